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
import { USERDATA_DIR, decodeInstanceUserData, resolveReferences, resourcesOf, synthStack, userDataText } from "../helpers";

function requireTool(tool: string, pkg: string) {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  if (!found) throw new Error(`${tool} is not installed: apt-get install ${pkg} (the system tests need it)`);
}

const work = mkdtempSync(join(tmpdir(), "kubeadm-ha-tools-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const topologies: [string, Parameters<typeof synthStack>[0]][] = [
  ["default (3 nodes, internal NLB, stacked etcd)", {}],
  ["5 nodes, internet-facing NLB, Kubernetes 1.35, extra SANs", {
    controlPlaneCount: 5,
    kubernetesVersion: "1.35.9",
    extraCertSans: ["api.example.com"],
    endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] },
  }],
  ["keepalived colocated, routed VIP", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } }],
  ["keepalived dedicated, secondary-IP VIP", { endpoint: { type: "keepalived", vipMode: "secondary-ip", placement: "dedicated" } }],
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
      ["curl", "deliver-vip", "kubeadm", "kubectl", "start-etcd", "systemctl"].map((f) => `fakes/${f}`)
        .concat(["containerd", "crictl", "kubelet", "modprobe", "runc", "snap", "swapoff", "sysctl", "tool"].map((f) => `fakes/node/${f}`), ["node-boot.sh"])
        .sort(),
    );
    const run = spawnSync("shellcheck", ["-S", "style", ...scripts], { encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
  });

  test.each([
    ["control-plane node", "control-plane", ["bootstrap-control-plane.sh", "cloud-aws.sh", "common.sh", "install-kubernetes.sh"]],
    ["etcd member", "etcd", ["bootstrap-etcd.sh", "cloud-aws.sh", "common.sh"]],
  ])("the scripts decoded from the user data of an %s are clean too", (_what, role, expected) => {
    const node = resourcesOf(synthStack({ etcd: { topology: "external" } }), "aws_instance").find((n) => n.tags["kubeadm-ha:role"] === role)!;
    const { files } = decodeInstanceUserData(node);
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

  test("the schema check rejects a broken document (it can fail)", () => {
    const file = join(work, "broken.yaml");
    writeFileSync(file, "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 644\n    encoding: rot13\n");
    const run = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
    expect(run.status).not.toBe(0);
  });
});
