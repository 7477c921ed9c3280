/**
 * Workers join without the roots, proven by running userdata/worker-token.sh on the control plane and
 * userdata/bootstrap-worker.sh on workers for real under bash (bootstrap-harness.ts): the control
 * plane's leader keeps a bootstrap token in the worker join secret, a worker joins with it through the
 * endpoint, and ends with the cluster CA's certificate and its own kubelet credential, never a key of
 * the cluster's. Needs bash, openssl, tar, base64, sed and awk; no root, no network.
 */
import { execFileSync } from "child_process";
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { BOOTSTRAP_TOKEN_PATTERN, PRIVATE_KEY_PATTERN } from "../helpers";
import { FakeWorld, FakeWorker } from "./bootstrap-harness";
import { sleep, waitFor } from "./netns";

const ok = (r: { code: number; output: string }) => ({ code: r.code, out: r.code ? r.output.slice(-2000) : "" });
const okResult = { code: 0, out: "" };

/** The cluster CA's hash as kubeadm pins it (sha256 of the DER public key). */
function caHash(world: FakeWorld): string {
  const pem = execFileSync("openssl", ["x509", "-pubkey", "-noout", "-in", join(world.root, "pki", "ca.crt")]);
  const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: pem });
  return `sha256:${execFileSync("sha256sum", { input: der }).toString().split(" ")[0]}`;
}

/** What a worker ends with: no key of the cluster's, no token, only the CA's certificate under pki/. */
function expectNoRoots(world: FakeWorld, worker: FakeWorker) {
  const files = world.workerFiles(worker);
  expect(files.filter((f) => f.startsWith("kube/pki/") || f === "kube/pki")).toEqual(["kube/pki", "kube/pki/ca.crt"]);
  expect(files.filter((f) => /\.key$|(^|\/)(sa\.pub|admin\.conf|super-admin\.conf)$/.test(f))).toEqual([]);
  for (const f of files.filter((f) => !f.startsWith("scripts/") && !f.startsWith("sys/") && !f.startsWith("proc/"))) {
    let text: string;
    try {
      text = readFileSync(join(worker.dir, f), "utf8");
    } catch {
      continue; // a folder
    }
    expect({ file: f, key: PRIVATE_KEY_PATTERN.test(text), token: BOOTSTRAP_TOKEN_PATTERN.test(text) }).toEqual({
      file: f,
      key: false,
      token: false,
    });
  }
  expect(world.workerFiles(worker).filter((f) => f.startsWith("run/") && f !== "run/")).toEqual([]);
}

describe("workers join with the token the control plane keeps, and hold no root", () => {
  let world: FakeWorld;
  beforeAll(async () => {
    world = new FakeWorld();
    expect(ok(await world.run(0))).toEqual(okResult);
  }, 120_000);
  afterAll(() => world.cleanup());

  test("a control-plane node whose controller manager does not lead writes no token; a node still bootstrapping neither", async () => {
    world.setControllerManagerLeader(1);
    const notLeader = await world.runTokenKeeper(0);
    expect(ok(notLeader)).toEqual(okResult);
    expect(notLeader.output).toMatch(/another control-plane node's controller manager leads/);
    const notReady = await world.runTokenKeeper(2);
    expect(ok(notReady)).toEqual(okResult);
    expect(notReady.output).toMatch(/has not finished its bootstrap/);
    expect(world.workerJoinSecret()).toEqual({});
    expect(world.calls().filter((c) => c.command.startsWith("token create ttl=24h"))).toEqual([]);
  });

  test("the leader publishes a default-node token valid 24 h with the CA's hash; while it is current, it is left alone", async () => {
    world.setControllerManagerLeader(0);
    const before = Math.floor(Date.now() / 1000);
    for (const run of [await world.runTokenKeeper(0), await world.runTokenKeeper(0)]) expect(ok(run)).toEqual(okResult);
    const published = world.workerJoinSecret();
    expect(Object.keys(published)).toEqual(["TOKEN", "CA_CERT_HASH", "EXPIRES"]);
    expect(published.TOKEN).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(published.CA_CERT_HASH).toBe(caHash(world));
    expect(Number(published.EXPIRES) - before).toBeGreaterThanOrEqual(86_400);
    expect(Number(published.EXPIRES) - before).toBeLessThan(86_400 + 60);
    const creates = world.calls().filter((c) => c.command.startsWith("token create ttl=86400s"));
    expect(creates.map((c) => c.command)).toEqual([
      "token create ttl=86400s groups=system:bootstrappers:kubeadm:default-node-token",
    ]);
    expect(world.tokens().map((t) => t.split(" ")[0])).toContain(published.TOKEN);
    expect(world.logs(0)).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
  });

  test("a published value whose CA hash is not this cluster CA's (a rotated CA, a bad write) is replaced at once", async () => {
    const published = world.workerJoinSecret();
    writeFileSync(
      join(world.root, "cloud", "secrets", "worker-join"),
      `TOKEN=${published.TOKEN}\nCA_CERT_HASH=sha256:${"0".repeat(64)}\nEXPIRES=${published.EXPIRES}\n`,
    );
    expect(ok(await world.runTokenKeeper(0))).toEqual(okResult);
    const replaced = world.workerJoinSecret();
    expect(replaced.CA_CERT_HASH).toBe(caHash(world));
    expect(replaced.TOKEN).not.toBe(published.TOKEN);
  });

  test("a worker joins through the endpoint with it, under its cloud name and provider ID, and ends with no root", async () => {
    const worker = world.provisionWorker(0);
    const run = await world.runWorker(worker);
    expect(ok(run)).toEqual(okResult);
    const joins = world.calls().filter((c) => c.command.startsWith("join worker"));
    expect(joins.map((c) => c.command.split(" ")[2])).toEqual([worker.name]);
    expect(world.calls().filter((c) => /BAD-|NOT-READY|MISSING/.test(c.command))).toEqual([]);
    expect(readFileSync(join(world.root, "node-objects", worker.name), "utf8").trim()).toBe(
      `aws:///test-1a/${worker.instance}`,
    );
    expect(readFileSync(join(world.root, "cloud", "status", worker.name), "utf8").trim()).toBe("ready");
    expectNoRoots(world, worker);
    expect(run.output).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
    // Its labels: the pool's, as the kubelet registers them.
    expect(readFileSync(join(worker.dir, "etc", "kubeadm-join.yaml"), "utf8")).toContain(
      "value: kubeadm-ha.io/pool=workers",
    );
  });

  test("a worker that boots after every token expired waits, and joins with the one the leader renews", async () => {
    world.expireAllTokens();
    const stale: Record<string, string> = {
      ...world.workerJoinSecret(),
      EXPIRES: String(Math.floor(Date.now() / 1000) - 1),
    };
    writeFileSync(
      join(world.root, "cloud", "secrets", "worker-join"),
      Object.entries(stale)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    const worker = world.provisionWorker(1);
    const running = world.runWorker(worker);
    const log = join(worker.dir, "log", "bootstrap.log");
    await waitFor(
      "the worker to wait for a renewed token",
      () => /waiting for the control plane to renew it/.test(existsSync(log) ? readFileSync(log, "utf8") : ""),
      30_000,
      100,
    );
    expect(ok(await world.runTokenKeeper(0))).toEqual(okResult);
    const renewed = world.workerJoinSecret();
    expect(renewed.TOKEN).not.toBe(stale.TOKEN);
    expect(ok(await running)).toEqual(okResult);
    const calls = world.calls();
    const renewal = calls.filter((c) => c.command.startsWith("token create ttl=86400s")).at(-1)!;
    const joined = calls.filter((c) => c.command.startsWith(`join worker ${worker.name}`));
    expect(joined).toHaveLength(1);
    expect(joined[0].at).toBeGreaterThan(renewal.at);
    expect(calls.filter((c) => c.command.startsWith("BAD-TOKEN"))).toEqual([]);
    expectNoRoots(world, worker);
  }, 90_000);

  test("a token the cluster lost while the secret still names it: the join fails, is reset, and takes the renewed token", async () => {
    writeFileSync(join(world.root, "tokens"), ""); // every token gone (an admin's `kubeadm token delete`)
    const worker = world.provisionWorker(2);
    const running = world.runWorker(worker, { KHA_KUBEADM_ATTEMPTS: "6" });
    await waitFor(
      "a join refused for its token",
      () => world.calls().some((c) => c.command === "BAD-TOKEN"),
      30_000,
      100,
    );
    await sleep(200);
    expect(ok(await world.runTokenKeeper(0))).toEqual(okResult);
    expect(ok(await running)).toEqual(okResult);
    const mine = world.calls().filter((c) => c.ip === worker.ip);
    expect(mine.filter((c) => c.command.startsWith("reset")).length).toBeGreaterThanOrEqual(1);
    expect(mine.filter((c) => c.command.startsWith("join worker"))).not.toHaveLength(0);
    expect(readFileSync(join(world.root, "cloud", "status", worker.name), "utf8").trim()).toBe("ready");
    expectNoRoots(world, worker);
  }, 90_000);
});
