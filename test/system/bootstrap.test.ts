/**
 * The bootstrap protocol, proven by running userdata/bootstrap-control-plane.sh for real under bash
 * (see bootstrap-harness.ts). Needs bash, openssl, tar, base64, sed and awk; no root, no network.
 */
import { execFileSync } from "child_process";
import { readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { BOOTSTRAP_TOKEN_PATTERN, PRIVATE_KEY_PATTERN, USERDATA_DIR, secretFileNames } from "../helpers";
import { ENDPOINT, FakeWorld } from "./bootstrap-harness";
import { sleep, waitFor } from "./netns";

const BUNDLE = [
  "ca.crt",
  "ca.key",
  "etcd/ca.crt",
  "etcd/ca.key",
  "front-proxy-ca.crt",
  "front-proxy-ca.key",
  "sa.key",
  "sa.pub",
];
const changing = /^(init|join|reset|token create|kubectl .*(member remove|delete node))/;

/** A world where all three nodes booted at once and formed the cluster. */
async function formedCluster(): Promise<FakeWorld> {
  const world = new FakeWorld();
  const results = await Promise.all([0, 1, 2].map((i) => world.run(i)));
  results.forEach((r, i) =>
    expect({ node: i, code: r.code, out: r.code ? r.output.slice(-1500) : "" }).toEqual({ node: i, code: 0, out: "" }),
  );
  return world;
}

function expectNoSecretsIn(world: FakeWorld, i: number) {
  const logs = world.logs(i);
  expect(logs).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
  expect(logs).not.toMatch(PRIVATE_KEY_PATTERN);
  expect(logs).not.toMatch(/client-key-data/);
  expect(world.runLeftovers(i)).toEqual([]); // the minted token and admin credential are gone
}

describe("first boot of a 3-node cluster (all nodes start at once)", () => {
  let world: FakeWorld;
  beforeAll(async () => {
    world = await formedCluster();
  });
  afterAll(() => world.cleanup());

  test("node 0 runs kubeadm init exactly once; no other node ever inits", () => {
    const inits = world.calls().filter((c) => c.command.startsWith("init"));
    expect(inits.map((c) => c.ip)).toEqual([world.ip(0)]);
  });

  test("nodes 1 and 2 join in order, one at a time, each with a token it minted", () => {
    const calls = world.calls();
    const joins = calls.filter((c) => c.command.startsWith("join"));
    expect(joins.map((c) => c.ip)).toEqual([world.ip(1), world.ip(2)]);
    expect(calls.filter((c) => /CONCURRENT|BAD-|MISSING|NOT-READY/.test(c.command))).toEqual([]);
    for (const i of [1, 2]) {
      const mine = calls
        .filter((c) => c.ip === world.ip(i))
        .map((c) => c.command.split(" ")[0] + (c.command.includes("token create") ? "-token" : ""));
      expect(mine.indexOf("token-token")).toBeLessThan(mine.indexOf("join"));
    }
  });

  test("etcd has one member per node, at each node's own address", () => {
    expect(world.members().map((m) => m.url)).toEqual([0, 1, 2].map((i) => `https://${world.ip(i)}:2380`));
  });

  test("the join secret holds exactly the shared roots, as a tar.gz", () => {
    const listing = secretFileNames(world.secret()!);
    expect(listing.sort()).toEqual(BUNDLE);
  });

  test("node 0 stores its admin kubeconfig, as kubeadm wrote it, in the admin kubeconfig secret", () => {
    expect(readFileSync(join(world.root, "cloud", "secrets", "admin-kubeconfig"), "utf8")).toBe(
      readFileSync(join(world.nodeDir(0), "kube", "admin.conf"), "utf8"),
    );
  });

  test("every node reports ready, and the endpoint override is gone from every hosts file", () => {
    for (const i of [0, 1, 2]) {
      expect(world.status(i)).toBe("ready");
      expect(world.hosts(i)).toBe(world.ownHosts(i));
    }
  });

  test("no token, key or credential reaches a log, and nothing is left in the run folder", () => {
    for (const i of [0, 1, 2]) expectNoSecretsIn(world, i);
    expect(world.logs(0)).toContain("<redacted-token>"); // kubeadm init printed one; it was redacted
  });

  test("every log line is timestamped and names its node and step", () => {
    const lines = world
      .logs(1)
      .split("\n")
      .filter((l) => l && !l.startsWith("[") && !l.startsWith("This node"));
    const bootstrap = lines.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    expect(bootstrap.length).toBeGreaterThan(5);
    expect(bootstrap.some((l) => l.includes(" kubeadm-ha-cp-1 [kubeadm-join] "))).toBe(true);
  });

  test("running the script again on a joined node changes nothing", async () => {
    const before = world.calls().length;
    for (const i of [0, 1, 2]) {
      const rerun = await world.run(i);
      expect(rerun.code).toBe(0);
      expect(rerun.output).toContain("already a control-plane member");
    }
    expect(
      world
        .calls()
        .slice(before)
        .filter((c) => changing.test(c.command)),
    ).toEqual([]);
    expect(world.members()).toHaveLength(3);
  });
});

describe("nodes replaced after the cluster exists", () => {
  let world: FakeWorld;
  beforeEach(async () => {
    world = await formedCluster();
  });
  afterEach(() => world.cleanup());

  test("a replaced node 0 joins (never inits a second cluster) and replaces its stale etcd member", async () => {
    const staleId = world.members()[0].id;
    world.terminate(0);
    world.provision(0);
    const before = world.calls().length;
    const result = await world.run(0);
    expect(result.code).toBe(0);
    const mine = world
      .calls()
      .slice(before)
      .filter((c) => c.ip === world.ip(0))
      .map((c) => c.command);
    expect(mine.some((c) => c.startsWith("init"))).toBe(false);
    const removeAt = mine.findIndex((c) => c.includes(`member remove ${staleId}`));
    const joinAt = mine.findIndex((c) => c.startsWith("join"));
    expect(removeAt).toBeGreaterThanOrEqual(0);
    expect(removeAt).toBeLessThan(joinAt);
    expect(
      world
        .members()
        .map((m) => m.url)
        .sort(),
    ).toEqual([0, 1, 2].map((i) => `https://${world.ip(i)}:2380`).sort());
    expect(world.members().map((m) => m.id)).not.toContain(staleId);
    expect(world.status(0)).toBe("ready");
  });

  test("a replaced node 1 removes only its own stale member, then joins through node 0", async () => {
    const [m0, m1, m2] = world.members();
    world.terminate(1);
    world.provision(1);
    const result = await world.run(1);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`joining through kubeadm-ha-cp-0`);
    const ids = world.members().map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([m0.id, m2.id]));
    expect(ids).not.toContain(m1.id);
    expect(ids).toHaveLength(3);
  });

  test("a node that boots days later joins although every earlier token has expired", async () => {
    world.expireAllTokens();
    world.terminate(2);
    world.provision(2);
    const result = await world.run(2);
    expect(result.code).toBe(0);
    expect(world.calls().filter((c) => c.command === "BAD-TOKEN")).toEqual([]);
    expect(world.status(2)).toBe("ready");
  });

  test("throttled secret reads are retried with backoff, then succeed", async () => {
    world.terminate(2);
    world.provision(2);
    world.throttle("secret_get", 3);
    const result = await world.run(2);
    expect(result.code).toBe(0);
    expect(result.output.match(/ThrottlingException \(simulated\)/g)).toHaveLength(3);
    expect(result.output).toMatch(/attempt 3 of 6 failed/);
  });

  test("a healthy member at this node's address is never removed", async () => {
    // The old node 2 still answers (impossible on EC2, where two instances cannot share an address):
    // the new one must refuse rather than break quorum.
    world.provision(2);
    const result = await world.run(2, { KHA_INSTALL_CMD: "true" });
    // node 2's old kubelet.conf is gone with the old disk, so the script believes it is new
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("refusing to remove a healthy member");
    expect(world.members()).toHaveLength(3);
    expect(world.status(2)).toBe("failed:kubeadm-join");
  });
});

describe("failures", () => {
  let world: FakeWorld;
  beforeEach(async () => {
    world = await formedCluster();
  });
  afterEach(() => world.cleanup());

  test("a join that fails for good leaves a visible marker, a non-zero exit and nothing that blocks a retry", async () => {
    world.terminate(2);
    world.provision(2);
    world.failAt("join", "preflight");
    const failed = await world.run(2);
    expect(failed.code).not.toBe(0);
    expect(world.status(2)).toBe("failed:kubeadm-join");
    expect(failed.output).toMatch(/step kubeadm-join: FAILED/);
    expect(world.hosts(2)).toBe(world.ownHosts(2));
    expect(world.runLeftovers(2)).toEqual([]);
    expect(world.isMember(2)).toBe(false);

    world.stopFailing("join");
    const retried = await world.run(2);
    expect(retried.code).toBe(0);
    expect(world.status(2)).toBe("ready");
    expect(world.members()).toHaveLength(3);
  });
});

describe("node 0's own failures", () => {
  test("a failed init is marked; a half-finished one is reset and redone on the next run", async () => {
    const world = new FakeWorld();
    try {
      world.failAt("init", "wait-control-plane");
      const failed = await world.run(0, { KHA_KUBEADM_ATTEMPTS: "1" });
      expect(failed.code).not.toBe(0);
      expect(world.status(0)).toBe("failed:kubeadm-init");
      expect(world.secret()).toBe(""); // nothing published, so nobody joins a broken cluster
      // The log says where: the file, line and command that failed, then the step.
      const script = readFileSync(join(USERDATA_DIR, "kubeadm-common.sh"), "utf8").split("\n");
      const line = script.findIndex((l) => /^\s*kubeadm "\$@" 2>&1 \| redact \| tee/.test(l)) + 1;
      expect(line).toBeGreaterThan(0);
      const errors = failed.output.split("\n").filter((l) => / ERROR: exit /.test(l));
      // kubeadm's own failure, once: the first part of kubeadm_logged's pipeline, named by its last part.
      expect(errors).toEqual([
        expect.stringMatching(
          new RegExp(`ERROR: exit 1 at \\S*/kubeadm-common\\.sh:${line}: tee -a .* \\(pipeline statuses: 1 0 0\\)$`),
        ),
      ]);
      expect(failed.output).toMatch(/step kubeadm-init: FAILED \(exit 1\)/);

      world.stopFailing("init");
      execFileSync("bash", [
        "-c",
        `mkdir -p "$0/kube/manifests" && echo partial > "$0/kube/manifests/kube-apiserver.yaml"`,
        world.nodeDir(0),
      ]);
      const retried = await world.run(0);
      expect(retried.code).toBe(0);
      const commands = world
        .calls()
        .map((c) => c.command.split(" ")[0])
        .filter((c) => c === "reset" || c === "init");
      expect(commands.slice(-2)).toEqual(["reset", "init"]);
      expect(world.secret()).toBeDefined();
    } finally {
      world.cleanup();
    }
  });

  test("joiners wait for node 0 and give up at their deadline with a visible marker", async () => {
    const world = new FakeWorld();
    try {
      const started = Date.now();
      const result = await world.run(1, { KHA_JOIN_DEADLINE: "3" });
      expect(result.code).not.toBe(0);
      expect(result.output).toContain("timed out waiting for the cluster's shared roots");
      expect(world.status(1)).toBe("failed:kubeadm-join");
      expect(Date.now() - started).toBeLessThan(15000);
    } finally {
      world.cleanup();
    }
  });
});

describe("external etcd: the control plane waits for etcd member 0's client certificate and a healthy etcd", () => {
  let world: FakeWorld;
  let results: Promise<{ code: number; output: string }[]>;
  beforeAll(() => {
    world = new FakeWorld(3, "external");
    results = Promise.all([0, 1, 2].map((i) => world.run(i)));
  });
  afterAll(() => world.cleanup());

  test("no node inits or joins before the client certificate is published and etcd answers", async () => {
    await waitFor(
      "every node to wait for external etcd",
      () => [0, 1, 2].every((i) => world.status(i) === "running:external-etcd"),
      20_000,
      100,
    );
    world.publishEtcdClientSecret();
    await sleep(2500); // certificate placed, etcd still unhealthy: everyone keeps waiting
    expect([0, 1, 2].map((i) => world.status(i))).toEqual(Array(3).fill("running:external-etcd"));
    expect(world.calls().filter((c) => /^(init|join)/.test(c.command))).toEqual([]);
    world.setEtcdHealthy(true);
    (await results).forEach((r, i) => expect({ node: i, code: r.code }).toEqual({ node: i, code: 0 }));
  });

  test("node 0 inits once, each other node joins once; nothing touches etcd membership", () => {
    const calls = world.calls();
    expect(calls.filter((c) => c.command.startsWith("init")).map((c) => c.ip)).toEqual([world.ip(0)]);
    expect(
      calls
        .filter((c) => c.command.startsWith("join"))
        .map((c) => c.ip)
        .sort(),
    ).toEqual([world.ip(1), world.ip(2)]);
    expect(calls.filter((c) => /MISSING-PKI|ETCD-|member (list|remove)/.test(c.command))).toEqual([]);
  });

  test("the join secret carries no etcd CA; every node holds the etcd CA certificate and client pair, never the etcd CA key", () => {
    const listing = secretFileNames(world.secret()!);
    expect(listing.sort()).toEqual(BUNDLE.filter((f) => !f.startsWith("etcd/")));
    for (const i of [0, 1, 2]) {
      expect(world.pkiFiles(i)).toEqual(
        expect.arrayContaining(["apiserver-etcd-client.crt", "apiserver-etcd-client.key", "etcd/ca.crt"]),
      );
      expect(world.pkiFiles(i)).not.toContain("etcd/ca.key");
      expectNoSecretsIn(world, i);
    }
  });

  test("a replaced node joins without any etcd member removal", async () => {
    world.terminate(1);
    world.provision(1);
    const before = world.calls().length;
    const result = await world.run(1);
    expect(result.code).toBe(0);
    const mine = world.calls().slice(before);
    expect(mine.filter((c) => c.command.startsWith("join")).map((c) => c.ip)).toEqual([world.ip(1)]);
    expect(mine.filter((c) => /member|reset/.test(c.command))).toEqual([]);
  });

  test("a replacement deletes its predecessor's Node, so its kubelet registers with the new instance's provider ID", async () => {
    const predecessor = world.providerId(2);
    expect(world.nodeObject(2)).toBe(predecessor);
    world.terminate(2);
    world.provision(2);
    expect(world.providerId(2)).not.toBe(predecessor);
    const result = await world.run(2);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`deleting Node kubeadm-ha-cp-2 of another instance (${predecessor})`);
    expect(world.calls().filter((c) => c.command.startsWith("NODE-PROVIDER-ID-REFUSED"))).toEqual([]);
    expect(world.nodeObject(2)).toBe(world.providerId(2));
  });

  test("a stopped node 1 does not hold up a replacement node 2: it joins through any ready API server", async () => {
    world.terminate(1); // stopped, not replaced
    world.terminate(2);
    world.provision(2);
    const result = await world.run(2, { KHA_JOIN_DEADLINE: "5" });
    expect({ code: result.code, tail: result.code ? result.output.slice(-1500) : "" }).toEqual({ code: 0, tail: "" });
    expect(result.output).toContain("joining through kubeadm-ha-cp-0");
    expect(world.status(2)).toBe("ready");
  });
});

describe("stacked etcd: one member add at a time", () => {
  test("a replacement node 2 waits for node 1 even while node 0 is ready, and gives up at its deadline", async () => {
    const world = await formedCluster();
    try {
      world.terminate(1);
      world.terminate(2);
      world.provision(2);
      const before = world.calls().length;
      const result = await world.run(2, { KHA_JOIN_DEADLINE: "3" });
      expect(result.code).not.toBe(0);
      expect(result.output).toContain("timed out waiting for a ready API server to join through");
      expect(
        world
          .calls()
          .slice(before)
          .filter((c) => c.command.startsWith("join")),
      ).toEqual([]);
    } finally {
      world.cleanup();
    }
  });
});

describe("stacked etcd: no second cluster behind the endpoint", () => {
  let world: FakeWorld;
  beforeEach(async () => {
    world = await formedCluster();
    // node 0 is replaced after a deploy replaced the join secret: a new secret, with no value yet.
    world.terminate(0);
    world.provision(0);
    world.emptyJoinSecret();
  });
  afterEach(() => world.cleanup());

  function expectRefused(run: { code: number; output: string }, before: number, peer: RegExp) {
    expect(run.code).not.toBe(0);
    expect(
      world
        .calls()
        .slice(before)
        .filter((c) => /^(init|join|reset)/.test(c.command)),
    ).toEqual([]);
    expect(world.status(0)).toBe("failed:no-other-cluster");
    expect(run.output).toMatch(peer);
    expect(run.output).toMatch(
      /will not start a second cluster: put the cluster's shared roots back in the join secret/,
    );
    expect(world.secret()).toBe("");
  }

  test("a node 0 that finds the join secret empty while a peer's API server answers refuses to init", async () => {
    const before = world.calls().length;
    const run = await world.run(0);
    expectRefused(run, before, /kubeadm-ha-cp-1 \(198\.18\.1\.10\) answers on 6443/);
  });

  test("it refuses as well when only a peer's etcd answers (every API server down)", async () => {
    world.terminate(1);
    world.terminate(2);
    world.setPeerEtcd(2, true);
    const before = world.calls().length;
    const run = await world.run(0);
    expectRefused(run, before, /kubeadm-ha-cp-2 \(198\.18\.2\.10\) answers on 2379/);
  });

  test("with every peer silent, node 0 inits (a new cluster: nothing answers)", async () => {
    world.terminate(1);
    world.terminate(2);
    const run = await world.run(0);
    expect(run.code).toBe(0);
    expect(world.status(0)).toBe("ready");
  });
});

describe("external etcd: node 0's init never mixes two clusters' data", () => {
  function externalWorld() {
    const world = new FakeWorld(3, "external");
    world.publishEtcdClientSecret();
    world.setEtcdHealthy(true);
    return world;
  }

  test("an aborted init's keys in etcd are cleared by the same node's re-run, then it inits", async () => {
    const world = externalWorld();
    try {
      world.failAt("init", "wait-control-plane");
      expect((await world.run(0, { KHA_KUBEADM_ATTEMPTS: "1" })).code).not.toBe(0);
      expect(world.etcdKeys()).toBe(17);
      world.stopFailing("init");
      const retried = await world.run(0);
      expect(retried.code).toBe(0);
      expect(retried.output).toMatch(/clearing 17 keys an earlier, aborted kubeadm init of this node left/);
      const commands = world.calls().map((c) => c.command);
      expect(
        commands
          .filter((c) => /^(init|curl etcd deleterange)/.test(c))
          .map((c) => c.split(" ")[0] + (c.includes("deleterange") ? "-clear" : "")),
      ).toEqual(["init", "curl-clear", "init"]);
      expect(commands).not.toContain("ETCD-HAS-OLD-DATA");
      expect(world.secret()).toBeDefined();
    } finally {
      world.cleanup();
    }
  });

  test("a fresh node 0 that finds Kubernetes data in etcd while the join secret is empty refuses and touches nothing", async () => {
    const world = externalWorld();
    try {
      world.setEtcdKeys(40); // a cluster whose join secret was lost
      const run = await world.run(0);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/already holds 40 Kubernetes keys but the join secret is empty/);
      expect(world.status(0)).toBe("failed:kubeadm-init");
      expect(world.etcdKeys()).toBe(40);
      expect(world.calls().filter((c) => /^(init|curl)/.test(c.command))).toEqual([]);
    } finally {
      world.cleanup();
    }
  });
});

/** kubeadm's phases in the order kubeadm 1.35-1.37 runs them (cmd/kubeadm/app/cmd/init.go, join.go). */
const INIT_PHASES = [
  "preflight",
  "certs",
  "kubeconfig",
  "etcd",
  "control-plane",
  "kubelet-start",
  "wait-control-plane",
  "upload-config",
  "upload-certs",
  "mark-control-plane",
  "bootstrap-token",
  "kubelet-finalize",
  "addon",
  "show-join-command",
];
const JOIN_PHASES = [
  "preflight",
  "control-plane-prepare",
  "check-etcd",
  "kubelet-start",
  "etcd-join",
  "kubelet-wait-bootstrap",
  "control-plane-join",
  "wait-control-plane",
];
const phaseTable: string[] = [];
afterAll(
  () =>
    phaseTable.length &&
    console.log(
      `kubeadm phase failures (first run with one attempt, then the unit's restart):\n${phaseTable.join("\n")}`,
    ),
);

describe("kubeadm fails at any phase: the run fails visibly, and the next run cleans up and succeeds", () => {
  test("the stand-in runs kubeadm's phases in kubeadm's order", async () => {
    const world = await formedCluster();
    try {
      const phases = (command: string, ip: string) =>
        world
          .calls()
          .filter((c) => c.ip === ip && c.command.startsWith(`phase ${command} `))
          .map((c) => c.command.split(" ")[2]);
      expect(phases("init", world.ip(0))).toEqual(INIT_PHASES);
      expect(phases("join", world.ip(1))).toEqual(JOIN_PHASES);
    } finally {
      world.cleanup();
    }
  });

  test.each(INIT_PHASES)("init fails at %s", async (phase) => {
    const world = new FakeWorld();
    try {
      world.failAt("init", phase, "once");
      const failed = await world.run(0, { KHA_KUBEADM_ATTEMPTS: "1" });
      const firstStatus = world.status(0);
      expect({ code: failed.code, status: firstStatus, published: world.secret() }).toEqual({
        code: 1,
        status: "failed:kubeadm-init",
        published: "",
      });
      expect(world.isMember(0)).toBe(false);
      const retried = await world.run(0);
      phaseTable.push(`  init  ${phase.padEnd(24)} first run ${firstStatus}, retry ${world.status(0)}`);
      expect({ code: retried.code, status: world.status(0) }).toEqual({ code: 0, status: "ready" });
      expect(world.isMember(0)).toBe(true);
      expect(world.members().map((m) => m.url)).toEqual([`https://${world.ip(0)}:2380`]);
      expect(secretFileNames(world.secret()!)).toEqual(BUNDLE);
      // What the failed phase left was cleared by kubeadm reset before kubeadm ran again.
      const kubeadm = world
        .calls()
        .map((c) => c.command.split(" ")[0])
        .filter((c) => ["init", "reset"].includes(c));
      expect(kubeadm).toEqual(["init", "reset", "init"]);
    } finally {
      world.cleanup();
    }
  });

  describe("join", () => {
    let world: FakeWorld;
    beforeAll(async () => {
      world = await formedCluster();
    });
    afterAll(() => world.cleanup());

    test.each(JOIN_PHASES)("a replaced node 2's join fails at %s", async (phase) => {
      world.terminate(2);
      world.provision(2);
      world.failAt("join", phase, "once");
      const failed = await world.run(2, { KHA_KUBEADM_ATTEMPTS: "1" });
      const firstStatus = world.status(2);
      expect({ code: failed.code, status: firstStatus }).toEqual({ code: 1, status: "failed:kubeadm-join" });
      // The failed join leaves no etcd member of its own, no token and no endpoint override behind.
      expect(
        world
          .members()
          .map((m) => m.url)
          .sort(),
      ).toEqual([0, 1].map((i) => `https://${world.ip(i)}:2380`).sort());
      expect(world.tokens()).toHaveLength(1); // kubeadm init's own, which expires in 15 minutes
      expect(world.hosts(2)).toBe(world.ownHosts(2));
      expect(world.isMember(2)).toBe(false);
      const retried = await world.run(2);
      phaseTable.push(`  join  ${phase.padEnd(24)} first run ${firstStatus}, retry ${world.status(2)}`);
      expect({ code: retried.code, status: world.status(2) }).toEqual({ code: 0, status: "ready" });
      expect(
        world
          .members()
          .map((m) => m.url)
          .sort(),
      ).toEqual([0, 1, 2].map((i) => `https://${world.ip(i)}:2380`).sort());
      expect(world.tokens()).toHaveLength(1);
      expectNoSecretsIn(world, 2);
    });
  });

  test("a failure inside one run is cleaned up and retried in the same run, up to KHA_KUBEADM_ATTEMPTS", async () => {
    const world = await formedCluster();
    try {
      world.terminate(1);
      world.provision(1);
      world.failAt("join", "kubelet-wait-bootstrap", "once");
      const before = world.calls().length;
      const run = await world.run(1);
      expect(run.code).toBe(0);
      expect(run.output).toMatch(/kubeadm join: attempt 1 of 3 failed \(exit 1\); cleaning up/);
      const mine = world
        .calls()
        .slice(before)
        .filter((c) => c.ip === world.ip(1))
        .map((c) => c.command.split(" ").slice(0, 2).join(" "));
      const firstJoin = mine.indexOf("join --config");
      expect(mine.slice(firstJoin).filter((c) => /^(join|reset|token)/.test(c))).toEqual([
        "join --config",
        "reset --force",
        "reset removed",
        "token delete",
        "token create",
        "join --config",
        "token delete",
      ]);
      expect(world.members()).toHaveLength(3);
    } finally {
      world.cleanup();
    }
  });
});

describe("what a member is, and what a run leaves behind", () => {
  let world: FakeWorld;
  beforeAll(async () => {
    world = await formedCluster();
  });
  afterAll(() => world.cleanup());

  test("every joiner deletes the bootstrap token it minted once it has joined", () => {
    const created = world.calls().filter((c) => c.command.startsWith("token create ttl=15m ")).length;
    const deleted = world.calls().filter((c) => c.command.startsWith("token delete")).length;
    expect({ created, deleted }).toEqual({ created: 2, deleted: 2 });
    expect(world.tokens()).toHaveLength(1);
  });

  test("each kubelet registers with its EC2 provider ID, aws:///ZONE/INSTANCE-ID, from its KubeletConfiguration (not the deprecated flag)", () => {
    for (const i of [0, 1, 2]) {
      const providerId = `aws:///test-1${"abc"[i]}/i-0${String(i).padStart(16, "0")}`;
      const config = readFileSync(join(world.nodeDir(i), "kubelet", "config.yaml"), "utf8");
      expect(config).toMatch(new RegExp(`^providerID: ${providerId}$`, "m"));
      expect(readFileSync(join(world.nodeDir(i), "kubelet", "kubeadm-flags.env"), "utf8")).not.toContain(
        "--provider-id",
      );
      expect(world.nodeObject(i)).toBe(providerId);
    }
  });

  test("kubeadm's files without kubeadm's success are not membership: the node is reset and joined again", async () => {
    world.terminate(2);
    world.provision(2);
    // A lost power mid-join leaves a kubelet.conf and manifests, but no marker.
    execFileSync("bash", [
      "-c",
      `mkdir -p "$0/kube/manifests" && echo x > "$0/kube/manifests/kube-apiserver.yaml" && echo x > "$0/kube/kubelet.conf"`,
      world.nodeDir(2),
    ]);
    const run = await world.run(2);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/clearing what an unfinished kubeadm run left on this node/);
    expect(world.isMember(2)).toBe(true);
  });

  test("an endpoint override left by a power loss is gone at the next start, even on a finished node", async () => {
    writeFileSync(
      join(world.nodeDir(1), "hosts"),
      `127.0.0.1 localhost\n${world.ip(0)} ${ENDPOINT.host} # kubeadm-ha bootstrap override\n`,
    );
    const run = await world.run(1);
    expect(run.code).toBe(0);
    expect(world.hosts(1)).toBe("127.0.0.1 localhost\n");
  });

  test("a secret that does not exist stops the bootstrap at once (no retries), naming the secret", async () => {
    world.provision(2);
    rmSync(join(world.root, "cloud", "secrets", "join-secret.bak"), { force: true });
    execFileSync("mv", [
      join(world.root, "cloud", "secrets", "join-secret"),
      join(world.root, "cloud", "secrets", "join-secret.bak"),
    ]);
    try {
      const started = Date.now();
      const run = await world.run(2);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/secret join-secret does not exist \(wrong id, or deleted\)/);
      expect(run.output).not.toMatch(/attempt \d of \d failed/);
      expect(world.status(2)).toBe("failed:read-join-secret");
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      execFileSync("mv", [
        join(world.root, "cloud", "secrets", "join-secret.bak"),
        join(world.root, "cloud", "secrets", "join-secret"),
      ]);
    }
  });
});
