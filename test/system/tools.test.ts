/**
 * Runs the real tools from Debian's packages on what the nodes receive:
 *   shellcheck (package shellcheck) on userdata/*.sh and on the scripts decoded from user data;
 *   cloud-init schema (package cloud-init) on each node's user data.
 * `.ci/run` installs them; locally: apt-get install shellcheck cloud-init.
 */
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { resolveClusterSpec, resolveWorkerPool } from "../../lib/cluster-spec";
import { loadNodeScripts } from "../../lib/private/node-scripts";
import { renderWorkerUserData } from "../../lib/render/internal";
import {
  USERDATA_DIR,
  decodeInstanceUserData,
  decodeUserData,
  resolveReferences,
  resourcesOf,
  synthStack,
  userDataText,
} from "../helpers";

function requireTool(tool: string, pkg: string) {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  if (!found) throw new Error(`${tool} is not installed: apt-get install ${pkg} (the system tests need it)`);
}

const work = mkdtempSync(join(tmpdir(), "kubeadm-ha-tools-"));

/** A worker's user data, as its pool's launch template will carry it (rendered: the pool construct comes next). */
function workerUserData() {
  const spec = resolveClusterSpec();
  const pool = resolveWorkerPool({}, spec);
  return decodeUserData(renderWorkerUserData({ spec, pool }, loadNodeScripts()));
}
afterAll(() => rmSync(work, { recursive: true, force: true }));

const topologies: [string, Parameters<typeof synthStack>[0]][] = [
  ["default (3 nodes, internal NLB, stacked etcd)", {}],
  [
    "5 nodes, internet-facing NLB, Kubernetes 1.35, extra SANs",
    {
      controlPlaneCount: 5,
      kubernetesVersion: "1.35.9",
      extraCertSans: ["api.example.com"],
      endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] },
    },
  ],
  ["keepalived colocated, routed VIP", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } }],
  [
    "keepalived dedicated, secondary-IP VIP",
    { endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true, placement: "dedicated" } },
  ],
  ["NLB with external etcd (3 members)", { etcd: { topology: "external" } }],
];

describe("shellcheck", () => {
  beforeAll(() => requireTool("shellcheck", "shellcheck"));

  test("every script in userdata/ is clean, with no blanket disables", () => {
    const scripts = readdirSync(USERDATA_DIR).filter((f) => f.endsWith(".sh"));
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    const run = spawnSync("shellcheck", ["-x", "-S", "style", ...scripts], { cwd: USERDATA_DIR, encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const f of scripts) {
      const text = execFileSync("cat", [join(USERDATA_DIR, f)], { encoding: "utf8" });
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      expect(text).not.toMatch(/^# shellcheck disable=/m); // only targeted disables, and none today
    }
  });

  test("the bash stand-ins the system tests put on PATH or into a node's root are clean too", () => {
    const fakes = join(__dirname, "fakes");
    const bash = (dir: string) =>
      readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && !/\.(js|py|md)$/.test(e.name))
        .map((e) => join(dir, e.name));
    const scripts = [...bash(fakes), ...bash(join(fakes, "node")), join(__dirname, "node-boot.sh")];
    expect(scripts.map((f) => f.slice(__dirname.length + 1)).sort()).toEqual(
      ["curl", "deliver-vip", "kubeadm", "kubectl", "start-etcd", "systemctl"]
        .map((f) => `fakes/${f}`)
        .concat(
          ["containerd", "crictl", "etcd", "kubelet", "modprobe", "runc", "snap", "swapoff", "sysctl", "tool"].map(
            (f) => `fakes/node/${f}`,
          ),
          ["node-boot.sh"],
        )
        .sort(),
    );
    const run = spawnSync("shellcheck", ["-S", "style", ...scripts], { encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
  });

  test.each([
    [
      "control-plane node",
      "control-plane",
      [
        "bootstrap-control-plane.sh",
        "cloud-aws.sh",
        "common.sh",
        "install-kubernetes.sh",
        "kubeadm-common.sh",
        "worker-token.sh",
      ],
    ],
    ["etcd member", "etcd", ["bootstrap-etcd.sh", "cloud-aws.sh", "common.sh"]],
    [
      "worker",
      "worker",
      ["bootstrap-worker.sh", "cloud-aws.sh", "common.sh", "install-kubernetes.sh", "kubeadm-common.sh"],
    ],
  ])("the scripts decoded from the user data of an %s are clean too", (_what, role, expected) => {
    const node = resourcesOf(synthStack({ etcd: { topology: "external" } }), "aws_instance").find(
      (n) => n.tags["kubeadm-ha:role"] === role,
    );
    const { files } = node ? decodeInstanceUserData(node) : workerUserData();
    const dir = join(work, `decoded-${role}`);
    execFileSync("mkdir", ["-p", dir]);
    const names: string[] = [];
    for (const [path, file] of Object.entries(files)) {
      if (!path.endsWith(".sh")) continue;
      const name = path.split("/").pop()!;
      writeFileSync(join(dir, name), file.content);
      names.push(name);
    }
    // cloud-file.sh is not shipped; common.sh sources cloud-$CLOUD_PROVIDER.sh dynamically.
    expect(names.sort()).toEqual(expected);
    const run = spawnSync("shellcheck", ["-x", "-S", "style", ...names], { cwd: dir, encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
  });
});

describe("cloud-init schema", () => {
  beforeAll(() => requireTool("cloud-init", "cloud-init"));

  test.each(topologies)("%s: every node's user data is valid cloud-config", (_name, props) => {
    const result = synthStack(props);
    const nodes = resourcesOf(result, "aws_instance");
    const loadBalancers = props?.endpoint?.type === "keepalived" && props.endpoint.placement === "dedicated" ? 2 : 0;
    const etcdMembers = props?.etcd?.topology === "external" ? 3 : 0;
    expect(nodes.length).toBe((props?.controlPlaneCount ?? 3) + loadBalancers + etcdMembers);
    nodes.forEach((node, i) => {
      const file = join(work, `user-data-${i}.yaml`);
      writeFileSync(file, resolveReferences(userDataText(node)));
      const run = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
      expect(`${run.stdout}${run.stderr}`).toMatch(/Valid cloud-config/);
      expect(run.status).toBe(0);
    });
  });

  test("a worker's user data is valid cloud-config (no hostname: cloud-init's EC2 datasource names it)", () => {
    const file = join(work, "user-data-worker.yaml");
    writeFileSync(file, workerUserData().raw);
    const run = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
    expect(`${run.stdout}${run.stderr}`).toMatch(/Valid cloud-config/);
    expect(run.status).toBe(0);
  });

  test("the schema check rejects a broken document (it can fail)", () => {
    const file = join(work, "broken.yaml");
    writeFileSync(file, "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 644\n    encoding: rot13\n");
    const run = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
    expect(run.status).not.toBe(0);
  });
});

describe("systemd-analyze verify", () => {
  beforeAll(() => requireTool("systemd-analyze", "systemd"));

  /** A root with this machine's systemd units, cloud-init enabled as its generator enables it, and the node's own units enabled. */
  function nodeRoot(files: Record<string, { content: string }>): { root: string; units: string[] } {
    const root = mkdtempSync(join(work, "systemd-root-"));
    execFileSync("mkdir", ["-p", join(root, "usr", "lib"), join(root, "etc", "systemd", "system")]);
    execFileSync("cp", ["-a", "/usr/lib/systemd", join(root, "usr", "lib")]);
    const link = (target: string, wants: string, unit: string) => {
      execFileSync("mkdir", ["-p", join(root, "etc", "systemd", "system", `${wants}.wants`)]);
      execFileSync("ln", ["-sf", target, join(root, "etc", "systemd", "system", `${wants}.wants`, unit)]);
    };
    for (const u of ["cloud-init-local.service", "cloud-init.service", "cloud-config.service", "cloud-final.service"])
      link(`/usr/lib/systemd/system/${u}`, "cloud-init.target", u);
    link("/usr/lib/systemd/system/cloud-init.target", "multi-user.target", "cloud-init.target");
    const units: string[] = [];
    for (const [path, file] of Object.entries(files)) {
      const target = join(root, path);
      execFileSync("mkdir", ["-p", join(target, "..")]);
      writeFileSync(target, file.content, { mode: path.endsWith(".sh") ? 0o755 : 0o644 });
      if (!path.startsWith("/etc/systemd/system/")) continue;
      const unit = path.split("/").pop()!;
      units.push(unit);
      for (const wants of /^WantedBy=(.*)$/m.exec(file.content)?.[1].split(" ") ?? []) link(path, wants, unit);
    }
    // What the bootstrap installs before systemd starts these units.
    for (const bin of ["/usr/local/bin/containerd", "/usr/local/bin/etcd", "/usr/sbin/modprobe"]) {
      execFileSync("mkdir", ["-p", join(root, bin, "..")]);
      writeFileSync(join(root, bin), "#!/bin/sh\n", { mode: 0o755 });
    }
    return { root, units };
  }

  test.each([
    ["control-plane node", "control-plane"],
    ["etcd member", "etcd"],
    ["dedicated load balancer", "api-load-balancer"],
    ["worker", "worker"],
  ])("a %s's units are valid, enabled and in no ordering cycle with cloud-init's", (_what, role) => {
    const result = synthStack({
      etcd: { topology: "external" },
      endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true, placement: "dedicated" },
    });
    const node = resourcesOf(result, "aws_instance").find((n) => n.tags["kubeadm-ha:role"] === role);
    const { root, units } = nodeRoot((node ? decodeInstanceUserData(node) : workerUserData()).files);
    expect(units).toContain("kubeadm-ha-bootstrap.service");
    const run = spawnSync("systemd-analyze", ["verify", `--root=${root}`, ...units, "multi-user.target"], {
      encoding: "utf8",
    });
    expect(`${run.stdout}${run.stderr}`).toBe("");
    expect(run.status).toBe(0);
  });

  test("the check can fail: a unit ordered after cloud-final but wanted by multi-user.target is a cycle", () => {
    const { root } = nodeRoot({
      "/etc/systemd/system/cycle.service": {
        content:
          "[Unit]\nAfter=cloud-final.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
      },
    });
    const run = spawnSync("systemd-analyze", ["verify", `--root=${root}`, "cycle.service", "multi-user.target"], {
      encoding: "utf8",
    });
    expect(`${run.stdout}${run.stderr}`).toMatch(/Found ordering cycle/);
  });
});
