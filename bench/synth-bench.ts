/**
 * Prints synth figures (not assertions): wall time and peak memory of synthesizing the default app
 * against an empty cdktf app holding only the AWS provider, each in a fresh Node process, measured
 * in the same run (median of N runs), plus the size of each control-plane node's user data.
 * Run with `npm run bench` (builds first). BENCH_RUNS overrides the number of runs (default 5).
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gzipSync } from "zlib";

const runs = Number(process.env.BENCH_RUNS ?? 5);
const distRoot = join(__dirname, "..");

const programs: Record<string, string> = {
  "empty app + AWS provider": `
    const { App, TerraformStack } = require("cdktf");
    const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
    const app = new App({ outdir: process.argv[1] });
    const stack = new TerraformStack(app, "empty");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    app.synth();`,
  "default app (3 nodes, NLB, stacked etcd)": `
    const { buildApp } = require(${JSON.stringify(join(distRoot, "bin", "app.js"))});
    buildApp({ outdir: process.argv[1], env: {} }).app.synth();`,
};

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
  console.log(`  ${name.padEnd(42)} ${median(s.ms).toFixed(0).padStart(6)} ms   ${median(s.rss).toFixed(0).padStart(5)} MiB peak RSS`);
}

// User-data sizes of the default app, as synthesized (deploy-time names still unresolved).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { buildApp } = require(join(distRoot, "bin", "app.js"));
const { stack } = buildApp({ outdir: join(tmpdir(), "kubeadm-ha-bench-unused"), env: {} }); // not synthesized
stack.cluster.controlPlaneUserData.forEach((text: string, i: number) => {
  const gzipped = gzipSync(Buffer.from(text, "utf8")).length;
  console.log(`  user data of control-plane node ${i}: ${Buffer.byteLength(text, "utf8")} bytes as cloud-config, ${gzipped} bytes gzipped (EC2 limit 16384)`);
});
