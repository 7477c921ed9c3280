/**
 * The external etcd topology with real etcd (Debian's etcd-server 3.4 and etcd-client) in network
 * namespaces, bootstrapped by userdata/bootstrap-etcd.sh with the rendered flags and the file-backed
 * cloud (see etcd-lab.ts); certificates made by that script with real openssl. Needs root, iproute2,
 * etcd-server, etcd-client, openssl, curl and node.
 */
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "fs";
import { join } from "path";
import { renderEtcdEnv } from "../../lib/render/internal";
import { PRIVATE_KEY_PATTERN, secretFileNames } from "../helpers";
import { EtcdLab, SECRETS } from "./etcd-lab";
import { requireRootAndTools, waitFor } from "./netns";

requireRootAndTools("etcd", {
  etcd: "etcd-server",
  etcdctl: "etcd-client",
  openssl: "openssl",
  curl: "curl",
  ip: "iproute2",
});

const figures: string[] = [];

test("every rendered etcd flag is a flag of the real etcd", () => {
  const lab = new EtcdLab("khef"); // namespaces are not built: only the spec is used
  try {
    const help = spawnSync("etcd", ["--help"], { encoding: "utf8" });
    const flags = new Set([...`${help.stdout}${help.stderr}`.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]));
    expect(flags.size).toBeGreaterThan(50);
    const env = renderEtcdEnv(lab.spec, lab.etcd, lab.etcd.members[0]);
    const names = [...env.matchAll(/^ETCD_([A-Z0-9_]+)=/gm)].map((m) => m[1].toLowerCase().replace(/_/g, "-"));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !flags.has(n))).toEqual([]);
    expect(flags.has("no-such-flag")).toBe(false);
  } finally {
    lab.destroy();
  }
});

describe("three members bootstrapped by bootstrap-etcd.sh", () => {
  const lab = new EtcdLab("khe");
  let formedInMs = 0;

  beforeAll(async () => {
    lab.build();
    const start = Date.now();
    const results = await Promise.all([0, 1, 2].map((i) => lab.bootstrap(i)));
    formedInMs = Date.now() - start;
    results.forEach((r, i) =>
      expect({ member: i, code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({
        member: i,
        code: 0,
        output: "",
      }),
    );
    expect(lab.unpackClientSecret().sort()).toEqual([
      "apiserver-etcd-client.crt",
      "apiserver-etcd-client.key",
      "ca.crt",
    ]);
    figures.push(`three members healthy (bootstrap scripts started at once, PKI included): ${formedInMs} ms`);
  }, 180_000);
  afterAll(() => {
    lab.destroy();
    console.log(
      `etcd figures (etcd ${spawnSync("etcd", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]})\n  ${figures.join("\n  ")}`,
    );
  });

  test("the cluster has 3 started members, each at its own address, healthy over TLS", () => {
    const members = lab.memberList();
    expect(members.map(([, status, name, peer]) => [status, name, peer]).sort()).toEqual(
      lab.etcd.members.map((m) => ["started", m.name, `https://${m.privateIp}:2380`]).sort(),
    );
    for (const i of [0, 1, 2]) expect(lab.healthy(i)).toBe(true);
    for (const i of [0, 1, 2]) expect(lab.status(i)).toBe("ready");
  });

  test("a key written through one member is read through another", () => {
    expect(lab.etcdctl(["put", "/lab/written-via-0", "hello"], undefined, [lab.url(0)]).status).toBe(0);
    const read = lab.etcdctl(["get", "/lab/written-via-0", "--print-value-only"], undefined, [lab.url(2)]);
    expect(read.stdout.trim()).toBe("hello");
  });

  test("clients without a certificate from the etcd CA are refused", () => {
    const ca = join(lab.clientDir, "ca.crt");
    // No client certificate at all.
    const anonymous = spawnSync("ip", [
      "netns",
      "exec",
      lab.clientNs,
      "curl",
      "-s",
      "--max-time",
      "5",
      "--cacert",
      ca,
      `${lab.url(0)}/health`,
    ]);
    expect(anonymous.status).not.toBe(0);
    expect(lab.etcdctl(["get", "/lab/written-via-0"], { cacert: ca }, [lab.url(0)]).status).not.toBe(0);
    // A certificate from another CA.
    const other = mkdtempSync("/run/kha-etcd-other-");
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-days",
          "1",
          "-keyout",
          join(other, "k"),
          "-out",
          join(other, "c"),
          "-subj",
          "/CN=intruder",
        ],
        { stdio: "ignore" },
      );
      const intruder = lab.etcdctl(
        ["get", "/lab/written-via-0"],
        { cacert: ca, cert: join(other, "c"), key: join(other, "k") },
        [lab.url(0)],
      );
      expect(intruder.status).not.toBe(0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    // The same request with the API server's certificate succeeds (the refusals are about the certificate).
    const apiServer = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        lab.clientNs,
        "curl",
        "-sf",
        "--max-time",
        "5",
        "--cacert",
        ca,
        "--cert",
        join(lab.clientDir, "apiserver-etcd-client.crt"),
        "--key",
        join(lab.clientDir, "apiserver-etcd-client.key"),
        `${lab.url(0)}/health`,
      ],
      { encoding: "utf8" },
    );
    expect(apiServer.stdout).toMatch(/"health":"true"/);
  });

  test("node 0's check for an aborted init's data, against the real etcd gateway: clears its own leftovers, refuses others", () => {
    // Ten keys as an aborted kubeadm init leaves them, and one outside Kubernetes' range.
    for (let k = 0; k < 10; k++) expect(lab.etcdctl(["put", `/registry/pods/default/p${k}`, "x"]).status).toBe(0);
    expect(lab.etcdctl(["put", "/registrz-outside", "kept"]).status).toBe(0);
    const cp = lab.controlPlaneNode();
    const refused = cp.run("clear_aborted_init_data");
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/already holds 10 Kubernetes keys but the join secret is empty/);
    const registryKeys = () =>
      lab.etcdctl(["get", "/registry", "--prefix", "--keys-only"]).stdout.split("\n").filter(Boolean).length;
    expect(registryKeys()).toBe(10);

    cp.markInitStarted(); // this node's own aborted init
    const cleared = cp.run("clear_aborted_init_data");
    expect({ status: cleared.status, stderr: cleared.status === 0 ? "" : cleared.stderr }).toEqual({
      status: 0,
      stderr: "",
    });
    expect(cleared.stderr + cleared.stdout).not.toMatch(PRIVATE_KEY_PATTERN);
    expect(registryKeys()).toBe(0);
    expect(lab.etcdctl(["get", "/registrz-outside", "--print-value-only"]).stdout.trim()).toBe("kept");
    expect(cp.run("clear_aborted_init_data").status).toBe(0); // nothing left: a no-op
  });

  test("certificates: member SANs are its IP, name and localhost; the client secret never holds the CA key", () => {
    const san = execFileSync("openssl", [
      "x509",
      "-noout",
      "-ext",
      "subjectAltName",
      "-in",
      join(lab.memberDir(1), "pki", "server.crt"),
    ]).toString();
    const m = lab.etcd.members[1];
    expect(san).toContain(`IP Address:${m.privateIp}`);
    expect(san).toContain("IP Address:127.0.0.1");
    expect(san).toContain(`DNS:${m.name}`);
    expect(san).toContain("DNS:localhost");
    expect(secretFileNames(lab.secret(SECRETS.ca))).toEqual(["ca.crt", "ca.key", "formed"]); // member 0 recorded the formed cluster
    const ca = execFileSync("openssl", [
      "x509",
      "-noout",
      "-ext",
      "basicConstraints,keyUsage",
      "-in",
      join(lab.memberDir(0), "pki", "ca.crt"),
    ]).toString();
    expect(ca).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(ca).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(secretFileNames(lab.secret(SECRETS.client))).toEqual([
      "apiserver-etcd-client.crt",
      "apiserver-etcd-client.key",
      "ca.crt",
    ]);
    const usage = execFileSync("openssl", [
      "x509",
      "-noout",
      "-ext",
      "extendedKeyUsage",
      "-in",
      join(lab.clientDir, "apiserver-etcd-client.crt"),
    ]).toString();
    expect(usage).toMatch(/TLS Web Client Authentication/);
    expect(usage).not.toMatch(/Server Authentication/);
    for (const i of [0, 1, 2]) expect(lab.logs(i)).not.toMatch(PRIVATE_KEY_PATTERN);
  });

  test("running the script again on a member changes nothing", async () => {
    const before = lab
      .memberList()
      .map(([id]) => id)
      .sort();
    const cert = readFileSync(join(lab.memberDir(2), "pki", "server.crt"), "utf8");
    const rerun = await lab.bootstrap(2);
    expect(rerun.code).toBe(0);
    expect(rerun.output).toMatch(/etcd data found/);
    expect(
      lab
        .memberList()
        .map(([id]) => id)
        .sort(),
    ).toEqual(before);
    expect(readFileSync(join(lab.memberDir(2), "pki", "server.crt"), "utf8")).toBe(cert);
  });

  test("writes continue while the leader is killed, and the killed member rejoins with its data", async () => {
    const victim = lab.leader();
    const writes = lab.startWriter(6000);
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    lab.kill(victim);
    await new Promise((r) => setTimeout(r, 2500));
    expect(lab.isRunning(victim)).toBe(false);
    const restartedAt = Date.now();
    lab.restart(victim);
    const rejoinMs = await waitFor("the restarted member to be healthy", () => lab.healthy(victim), 30_000, 100);
    const log = await writes;

    const after = log.filter((w) => w.t >= killedAt);
    const okAfter = after.filter((w) => w.ok);
    expect(okAfter.length).toBeGreaterThan(after.length / 2);
    // The longest stretch without a successful write, from the kill on.
    let gap = 0;
    let last = killedAt;
    for (const w of okAfter) {
      gap = Math.max(gap, w.t - last);
      last = w.t;
    }
    expect(gap).toBeLessThan(5000);
    expect(lab.memberList().every(([, status]) => status === "started")).toBe(true);
    expect(
      lab.etcdctl(["get", "/lab/written-via-0", "--print-value-only"], undefined, [lab.url(victim)]).stdout.trim(),
    ).toBe("hello");
    figures.push(
      `leader (member ${victim}) killed: ${after.length - okAfter.length} of ${after.length} writes failed (every 50 ms, 1 s timeout); longest gap between successful writes ${gap} ms`,
      `killed member restarted with its data: healthy after ${rejoinMs} ms (process start at +${restartedAt - killedAt} ms)`,
    );
  }, 60_000);

  test("a replaced member (new instance, no data) removes its stale entry, re-adds itself and rejoins", async () => {
    const replaced = 1;
    const oldId = lab.memberList().find(([, , name]) => name === lab.etcd.members[replaced].name)![0];
    lab.kill(replaced);
    lab.provision(replaced); // the new instance: no data, no certificates
    const start = Date.now();
    const run = await lab.bootstrap(replaced);
    const rejoinMs = Date.now() - start;
    expect({ code: run.code, output: run.code === 0 ? "" : run.output }).toEqual({ code: 0, output: "" });
    expect(run.output).toMatch(new RegExp(`removing stale member ${oldId}`));
    const members = lab.memberList();
    expect(members).toHaveLength(3);
    expect(members.map(([id]) => id)).not.toContain(oldId);
    expect(members.every(([, status]) => status === "started")).toBe(true);
    expect(
      lab.etcdctl(["get", "/lab/written-via-0", "--print-value-only"], undefined, [lab.url(replaced)]).stdout.trim(),
    ).toBe("hello");
    figures.push(`replaced member (wiped) rejoined through remove + add: ${rejoinMs} ms`);
  }, 120_000);

  test("a healthy member at this address is never removed: the script refuses and exits non-zero", async () => {
    // Member 2 still runs; a second instance claiming its address without data must not evict it.
    const before = lab
      .memberList()
      .map(([id]) => id)
      .sort();
    const data = join(lab.memberDir(2), "data");
    renameSync(data, `${data}.aside`); // a fresh instance has no data; the running etcd keeps its open files
    const run = await lab.bootstrap(2);
    renameSync(`${data}.aside`, data);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/refusing to remove a healthy member/);
    expect(
      lab
        .memberList()
        .map(([id]) => id)
        .sort(),
    ).toEqual(before);
    expect(lab.status(2)).toBe("failed:membership");
  });
});

describe("members that boot at different times, and a cluster that must not be recreated", () => {
  const lab = new EtcdLab("khl");
  beforeAll(() => lab.build());
  afterAll(() => lab.destroy());

  test("member 0 failing to publish the CA (throttled for good) fails visibly; its re-run publishes", async () => {
    lab.throttle("secret_put", 6); // every attempt of the first run's bounded retry
    const failed = await lab.bootstrap(0);
    expect(failed.code).not.toBe(0);
    expect(lab.status(0)).toBe("failed:etcd-pki");
    expect(lab.hasSecret(SECRETS.ca)).toBe(false);
    const [first, second] = await Promise.all([lab.bootstrap(0), lab.bootstrap(1)]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(secretFileNames(lab.secret(SECRETS.ca))).toEqual(["ca.crt", "ca.key", "formed"]);
    lab.unpackClientSecret();
  }, 120_000);

  test("a member that boots after the others formed the cluster joins as listed: no member is removed or added", async () => {
    const before = lab.memberList();
    const late = before.find(([, , , peer]) => peer === `https://${lab.etcd.members[2].privateIp}:2380`)!;
    const run = await lab.bootstrap(2);
    expect({ code: run.code, output: run.code === 0 ? "" : run.output }).toEqual({ code: 0, output: "" });
    expect(run.output).toMatch(/listed but has never started: joining the running cluster/);
    expect(run.output).not.toMatch(/removing stale member|adding this member/);
    const after = lab.memberList();
    expect(after.map(([id]) => id).sort()).toEqual(before.map(([id]) => id).sort());
    expect(after.find(([id]) => id === late[0])![1]).toBe("started");
    expect(after.every(([, status]) => status === "started")).toBe(true);
  }, 120_000);

  test("after every member is lost, an empty instance refuses to start a new cluster", async () => {
    for (const i of [0, 1, 2]) lab.kill(i);
    lab.provision(2);
    const run = await lab.bootstrap(2, { KHA_JOIN_DEADLINE: "4" });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/formed earlier but no member answers with a majority: restore it from a snapshot/);
    expect(lab.status(2)).toBe("failed:membership");
    expect(lab.isRunning(2)).toBe(false);
  }, 60_000);
});
