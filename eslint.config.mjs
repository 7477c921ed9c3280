// The linter: typescript-eslint's recommended rules (syntax only, fast), for every TypeScript file.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", ".app/**", "cdktf.out/**", "cdk.out/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused names are tsc's job (noUnusedLocals/Parameters), with its own escape hatch.
      "@typescript-eslint/no-unused-vars": "off",
    },
  },
  {
    // Tests read synthesized JSON, whose shape is not typed.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The few plain Node.js scripts (test stand-ins, the jest sequencer).
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: Object.fromEntries(
        [
          "require",
          "module",
          "__dirname",
          "process",
          "console",
          "Buffer",
          "setTimeout",
          "clearTimeout",
          "setInterval",
        ].map((g) => [g, "readonly"]),
      ),
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
