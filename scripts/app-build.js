#!/usr/bin/env node
/**
 * What `cdktf synth` and `cdk synth` run before the default apps: lib/, bin/ and examples/ transpiled
 * to .app/ by swc, file by file, in well under a second: no type check (tsc, `npm test` and the
 * editor do that) and none of tsc's 10 s of reading every declaration file the frameworks ship.
 * The package itself is still built by tsc (`npm run build`, into dist/).
 */
const { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } = require("fs");
const { dirname, join, relative } = require("path");
const { transformFileSync } = require("@swc/core");

const root = join(__dirname, "..");
const out = join(root, ".app");

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

for (const file of ["lib", "bin", "examples"].flatMap((dir) => sources(join(root, dir)))) {
  const { code } = transformFileSync(file, {
    jsc: { target: "es2022", parser: { syntax: "typescript" } },
    module: { type: "commonjs" },
    swcrc: false,
  });
  const target = join(out, relative(root, file)).replace(/\.ts$/, ".js");
  mkdirSync(dirname(target), { recursive: true });
  // Written aside, then renamed: an app running from .app/ meanwhile reads the old file or the new one.
  writeFileSync(`${target}.${process.pid}`, code);
  renameSync(`${target}.${process.pid}`, target);
}
