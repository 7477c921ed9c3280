/**
 * Transpile-only (swc) for speed; `tsc --noEmit` in `npm test` does the type checking.
 * Three projects: every cdktf test; the plan tests (synth) again on CDK Terrain (cdktn and
 * @cdktn/provider-aws, the maintained fork), against the same golden files: the plans must be the
 * same; and the AWS CDK flavour's tests (test/aws-cdk: its templates, cdk-nag, parity with the cdktf flavour).
 */
const base = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
};

module.exports = {
  testTimeout: 120000,
  // Two workers on the 2-core CI machine; test/sequencer.js decides what runs beside what.
  maxWorkers: 2,
  testSequencer: "<rootDir>/test/sequencer.js",
  projects: [
    {
      ...base,
      displayName: "cdktf",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/aws-cdk/"],
    },
    { ...base, displayName: "aws-cdk", testMatch: ["<rootDir>/test/aws-cdk/**/*.test.ts"] },
    {
      ...base,
      displayName: "cdktn",
      testMatch: ["<rootDir>/test/synth/**/*.test.ts"],
      // What a user's npm aliases do ("cdktf": "npm:cdktn@...", "@cdktf/provider-aws": "npm:@cdktn/provider-aws@...").
      moduleNameMapper: {
        "^cdktf$": "cdktn",
        "^cdktf/(.*)$": "cdktn/$1",
        "^@cdktf/provider-aws/(.*)$": "@cdktn/provider-aws/$1",
      },
    },
  ],
};
