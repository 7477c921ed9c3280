/**
 * Prints figures (not assertions), each program in a fresh Node process, interleaved, median of N:
 *   - wall time and peak memory of synthesizing each example in examples/ and the default app,
 *     against an empty cdktf app holding only the AWS provider, measured in the same run; the empty
 *     app and the default app also on CDK Terrain (cdktn and @cdktn/provider-aws under the cdktf
 *     names, as npm aliases give them); and the AWS CDK default app against an empty AWS CDK app
 *     (one Stack), with its examples;
 *   - the user-data size of every node of every example (EC2's limit is 16384 bytes);
 *   - the test suite's wall time: unit + synth always, everything with BENCH_ALL_TESTS=1 (needs root
 *     and the Debian packages of the system tests).
 * Run with `npm run bench` (builds first). BENCH_RUNS overrides the number of runs (default 5).
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gzipSync } from "zlib";

const runs = Number(process.env.BENCH_RUNS ?? 5);
const distRoot = join(__dirname, "..");
const sourceRoot = join(distRoot, "..");

const { EXAMPLES } = require(join(distRoot, "examples", "index.js"));
const programs: Record<string, string> = {
  "empty app + AWS provider": `
    const { App, TerraformStack } = require("cdktf");
    const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
    const app = new App({ outdir: process.argv[1] });
    const stack = new TerraformStack(app, "empty");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    app.synth();`,
  "default app (bin/, NLB, stacked etcd)": `
    const { buildApp } = require(${JSON.stringify(join(distRoot, "bin", "app.js"))});
    buildApp({ outdir: process.argv[1], env: {} }).app.synth();`,
};
// What npm aliases do: the cdktf names resolve to CDK Terrain's packages.
const CDK_TERRAIN = `
  const Module = require("module");
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === "cdktf") request = "cdktn";
    else if (request.startsWith("@cdktf/provider-aws/")) request = "@cdktn/provider-aws/" + request.slice("@cdktf/provider-aws/".length);
    return resolve.call(this, request, ...rest);
  };`;
programs["empty app + AWS provider, on CDK Terrain"] = CDK_TERRAIN + programs["empty app + AWS provider"];
programs["default app, on CDK Terrain"] = CDK_TERRAIN + programs["default app (bin/, NLB, stacked etcd)"];
programs["AWS CDK: empty app (one Stack)"] = `
  const { App, Stack } = require("aws-cdk-lib");
  const app = new App({ outdir: process.argv[1] });
  new Stack(app, "empty");
  app.synth();`;
programs["AWS CDK: default app (bin/aws-cdk-app)"] = `
  const { buildCdkApp } = require(${JSON.stringify(join(distRoot, "bin", "aws-cdk-app.js"))});
  buildCdkApp({ outdir: process.argv[1], env: {} }).app.synth();`;
const { CDK_EXAMPLES } = require(join(distRoot, "examples", "aws-cdk", "index.js"));
for (const name of Object.keys(CDK_EXAMPLES)) {
  programs[`AWS CDK: examples/aws-cdk/${name}`] = `
    const { App } = require("aws-cdk-lib");
    const { CDK_EXAMPLES } = require(${JSON.stringify(join(distRoot, "examples", "aws-cdk", "index.js"))});
    const app = new App({ outdir: process.argv[1] });
    new CDK_EXAMPLES[${JSON.stringify(name)}](app, ${JSON.stringify(name)});
    app.synth();`;
}
for (const name of Object.keys(EXAMPLES)) {
  programs[`examples/${name}`] = `
    const { App } = require("cdktf");
    const { EXAMPLES } = require(${JSON.stringify(join(distRoot, "examples", "index.js"))});
    const app = new App({ outdir: process.argv[1] });
    new EXAMPLES[${JSON.stringify(name)}](app, ${JSON.stringify(name)});
    app.synth();`;
}

function measure(program: string): { ms: number; rssMiB: number } {
  const outdir = mkdtempSync(join(tmpdir(), "kubeadm-ha-bench-"));
  try {
    const script = `${program}\nconst r = process.resourceUsage(); console.log(JSON.stringify({ maxRss: r.maxRSS }));`;
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ["-e", script, outdir], { cwd: distRoot, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0) throw new Error(run.stderr);
    const { maxRss } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    return { ms, rssMiB: maxRss / 1024 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`synth benchmark: ${runs} runs each, fresh process per run, interleaved (median)`);
const samples: Record<string, { ms: number[]; rss: number[] }> = {};
for (let i = 0; i < runs; i++) {
  for (const [name, program] of Object.entries(programs)) {
    const m = measure(program);
    (samples[name] ??= { ms: [], rss: [] }).ms.push(m.ms);
    samples[name].rss.push(m.rssMiB);
  }
}
for (const [name, s] of Object.entries(samples)) {
  console.log(
    `  ${name.padEnd(50)} ${median(s.ms).toFixed(0).padStart(6)} ms   ${median(s.rss).toFixed(0).padStart(5)} MiB peak RSS`,
  );
}

// User-data sizes: the cloud-config, and what EC2 counts (gzipped at synth, as every flavour ships it).
const { App } = require("cdktf");
console.log("user data per node (cloud-config bytes / gzipped bytes; EC2 limit 16384)");
for (const [name, Stack] of Object.entries<any>(EXAMPLES)) {
  const stack = new Stack(new App({ outdir: join(tmpdir(), "kubeadm-ha-bench-unused") }), name); // not synthesized
  const cluster = stack.cluster;
  const sizes = [...cluster.controlPlaneUserData, ...(cluster.etcd?.memberUserData ?? [])].map(
    (text: string) => `${Buffer.byteLength(text, "utf8")}/${gzipSync(Buffer.from(text, "utf8"), { level: 9 }).length}`,
  );
  console.log(
    `  examples/${name.padEnd(26)} control plane ${sizes.slice(0, cluster.controlPlaneUserData.length).join(", ")}` +
      (cluster.etcd ? `; etcd members ${sizes.slice(cluster.controlPlaneUserData.length).join(", ")}` : ""),
  );
}

// Test-suite wall time (one run: it is minutes long with the system tests).
const all = process.env.BENCH_ALL_TESTS === "1";
const suites = all ? [] : ["test/unit", "test/synth", "test/aws-cdk/parity.test.ts", "test/aws-cdk/template.test.ts"];
const start = Date.now();
const jest = spawnSync(join(sourceRoot, "node_modules", ".bin", "jest"), ["--silent", ...suites], {
  cwd: sourceRoot,
  encoding: "utf8",
});
const summary = `${jest.stdout}${jest.stderr}`.match(/^Tests:.*$/m)?.[0] ?? "no summary";
console.log(
  `test suite (${all ? "everything" : "unit + synth + AWS CDK templates; BENCH_ALL_TESTS=1 for everything"}): ${((Date.now() - start) / 1000).toFixed(1)} s, ${summary}`,
);
