/**
 * Rehearses the first boot of every kind of node from the user data the stack synthesizes, as an
 * instance would run it (node-boot.ts): real cloud-init, apt/dpkg/gpg against signed repositories,
 * the real AWS CLI against moto, real etcd; stand-ins only for kubeadm, the kubelet, containerd and the
 * kernel. Each boot's changes are the overlay's upper folder, which the assertions read.
 */
import { KubeadmClusterProps } from "../../lib/cdktf";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  resourcesOf,
  secretFileNames,
  deploySettingsText,
  synthOf,
  userDataText,
} from "../helpers";
import { ComposedStack, NetworkLayout, withUserNetwork } from "../composed-stack";
import { ETCD_DEFAULTS, deploySettingsParameterName } from "../../lib/cluster-spec";
import { waitFor } from "./netns";
import { BootLab, CloudPlan, NodeRoot, missingBootTools } from "./node-boot";
import { HOLD_KUBELET_POSTINST } from "./node-packages";

const missing = missingBootTools();
if (missing.length > 0)
  throw new Error(
    `the node-boot rehearsal needs: ${missing.join(", ")} (apt-get install cloud-init dpkg-dev apt-utils etcd-server etcd-client; pip install moto boto3 awscli)`,
  );

/**
 * Every rehearsed node comes from a user's own stack (test/composed-stack.ts): their VPC in the lab's
 * 198.18.0.0/16 and subnets in three zones, passed to the cluster as the resources' attributes (tokens).
 */
const LAYOUT: NetworkLayout = {
  vpcCidr: "198.18.0.0/16",
  subnetCidrs: ["198.18.0.0/24", "198.18.1.0/24", "198.18.2.0/24"],
  zones: ["us-east-1a", "us-east-1b", "us-east-1c"],
};

interface SynthesizedNode {
  readonly name: string;
  readonly ip: string;
  readonly role: string;
  readonly subnet: number;
  readonly userData: string; // decoded: fixed at synth, no deploy-time value in it
}

interface SynthesizedCluster {
  readonly nodes: SynthesizedNode[];
  /** The deploy settings parameter's value, with Terraform references left in. */
  readonly deploySettings: string;
}

function synthesizedCluster(props: KubeadmClusterProps): SynthesizedCluster {
  const result = synthOf((app) => new ComposedStack(app, "rehearsal", withUserNetwork(props), LAYOUT));
  const nodes = resourcesOf(result, "aws_instance").map((i) => ({
    name: i.tags.Name,
    ip: i.private_ip,
    role: i.tags["kubeadm-ha:role"],
    subnet: Number(/^\$\{aws_subnet\.subnet-(\d)\.id\}$/.exec(i.subnet_id)![1]),
    userData: userDataText(i),
  }));
  return { nodes, deploySettings: deploySettingsText(result) };
}

const DEPLOY_SETTINGS_NAME = deploySettingsParameterName("kubeadm-ha");
const TERRAFORM_REFERENCE = /\$\{((?:data\.)?aws_[a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g;

/** The cloud the deploy settings refer to: their secrets, in moto. */
function cloudPlan(cluster: SynthesizedCluster): CloudPlan {
  const secrets = new Set<string>();
  for (const [, type, name] of cluster.deploySettings.matchAll(TERRAFORM_REFERENCE))
    if (type === "aws_secretsmanager_secret") secrets.add(name);
  return {
    vpcCidr: LAYOUT.vpcCidr,
    subnets: LAYOUT.subnetCidrs.map((cidr, i) => ({ cidr, zone: LAYOUT.zones[i] })),
    instances: cluster.nodes.map((n) => ({ name: n.name, ip: n.ip, subnet: n.subnet })),
    secrets: [...secrets],
  };
}

/** The deploy settings as Terraform would write them: every reference filled in with the lab's resource. */
function deployedSettings(lab: BootLab, cluster: SynthesizedCluster): string {
  return cluster.deploySettings.replace(TERRAFORM_REFERENCE, (ref, type: string, name: string) => {
    if (type === "aws_secretsmanager_secret") return lab.cloud!.secrets[name];
    if (type === "aws_lb") return "kubeadm-ha-api-0123456789abcdef.elb.us-east-1.amazonaws.com";
    throw new Error(`no rehearsal value for ${ref}`);
  });
}

/** The user data as EC2 would deliver it, the lab's addresses in the settings instead of the internet's. */
function deliveredUserData(lab: BootLab, node: SynthesizedNode, minor: number): string {
  let text = node.userData;
  const settings = { ...lab.settings(), KUBERNETES_PACKAGE_REPO: lab.kubernetesRepo(minor) };
  for (const [key, value] of Object.entries(settings))
    text = text.replace(new RegExp(`^(\\s*${key}=)'[^']*'$`, "m"), `$1'${value}'`);
  return text;
}

/** A node's own name in its hosts file, and chrony (from the archive) restarted on the user data's time source. */
function expectNamesAndTime(node: NodeRoot) {
  expect(node.lines("/etc/hosts")).toContain(`${node.ip} ${node.name}`);
  expect(node.read("/var/lib/dpkg/status")).toMatch(/Package: chrony\nStatus: install ok installed/);
  expect(node.read("/etc/chrony/sources.d/amazon-time-sync.sources")).toBe(
    "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n",
  );
  expect(node.lines("/var/log/standin/systemctl/calls.log")).toContain("restart chrony");
}

function expectNoSecrets(node: NodeRoot) {
  for (const log of [
    "/var/log/kubeadm-ha/bootstrap.log",
    "/var/log/kubeadm-ha/kubeadm.log",
    "/var/log/cloud-init-output.log",
  ]) {
    const text = node.read(log) ?? "";
    expect(text).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(text).not.toMatch(PRIVATE_KEY_PATTERN);
  }
}

/** The EC2 status tag a node last published (through the real AWS CLI, into moto). */
function statusTag(lab: BootLab, ip: string): string | undefined {
  const id = lab.cloud!.instances[ip].instanceId;
  return lab.aws([
    "ec2",
    "describe-tags",
    "--filters",
    `Name=resource-id,Values=${id}`,
    "Name=key,Values=kubeadm-ha:bootstrap",
  ]).Tags[0]?.Value;
}

/** Why a node is not ready, for the failure message. */
function diagnosis(node: NodeRoot): string {
  return [
    node.read("/var/log/kubeadm-ha/bootstrap.log"),
    node.read("/var/log/standin/systemctl/kubeadm-ha-bootstrap.service.log")?.slice(-3000),
  ].join("\n");
}

function expectReady(lab: BootLab, node: NodeRoot) {
  const status = statusTag(lab, node.ip);
  expect({ node: node.name, status, why: status === "ready" ? "" : diagnosis(node) }).toEqual({
    node: node.name,
    status: "ready",
    why: "",
  });
}

/** Package → version of what dpkg holds, from the node's dpkg status. */
function heldPackages(node: NodeRoot): Record<string, string> {
  const held: Record<string, string> = {};
  for (const entry of (node.read("/var/lib/dpkg/status") ?? "").split("\n\n")) {
    const name = /^Package: (.*)$/m.exec(entry)?.[1];
    if (name && /^Status: hold ok installed$/m.test(entry)) held[name] = /^Version: (.*)$/m.exec(entry)![1];
  }
  return held;
}

const boots: string[] = [];
afterAll(() => boots.length && console.log(`node boots (first boot to ready, wall clock):\n${boots.join("\n")}`));
async function timedBoot(node: NodeRoot, options: { keepRunning?: boolean } = {}) {
  const started = Date.now();
  const result = await node.boot(options);
  boots.push(`  ${node.name.padEnd(20)} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** What each node's boot ran, for the record: apt's command lines, dpkg's installs, systemctl calls, the kernel stand-ins. */
const commandsRun: string[] = [];
afterAll(
  () => commandsRun.length && console.log(`what each node kind ran on its first boot:\n${commandsRun.join("\n")}`),
);
function recordCommands(kind: string, node: NodeRoot) {
  const apt = node
    .lines("/var/log/apt/history.log")
    .filter((l) => l.startsWith("Commandline: "))
    .map((l) => l.slice(13));
  const dpkg = node
    .lines("/var/log/dpkg.log")
    .filter((l) => / status installed /.test(l))
    .map((l) => l.split(" ")[4]);
  const cloudInit = node
    .lines("/var/log/cloud-init.log")
    .filter((l) => /running 'modules:|running 'init/.test(l))
    .map((l) => l.replace(/.*running '([^']+)'.*/, "$1"));
  commandsRun.push(
    `  ${kind} (${node.name}):`,
    `    cloud-init stages: ${[...new Set(cloudInit)].join(", ")}`,
    ...apt.map((c) => `    apt: ${c}`),
    `    dpkg installed: ${[...new Set(dpkg)].join(" ")}`,
    `    systemctl: ${node.lines("/var/log/standin/systemctl/calls.log").join("; ")}`,
    `    kernel and service stand-ins: ${node.lines("/var/log/standin/calls.log").join("; ")}`,
  );
}

interface RehearsalOptions {
  readonly minor: number;
  readonly patch: number;
  readonly containerd?: string;
  readonly debianPackages?: string[];
}

/** A lab with the repositories and cloud a topology needs, and its nodes' roots, prepared from the synthesized user data. */
function rehearsal(prefix: string, props: KubeadmClusterProps, options: RehearsalOptions) {
  const lab = new BootLab(prefix);
  const cluster = synthesizedCluster(props);
  const nodes = cluster.nodes;
  const roots = new Map<string, NodeRoot>();
  return {
    lab,
    nodes,
    async build() {
      await lab.build({
        minors: { [options.minor]: options.patch },
        containerd: options.containerd ?? "2.3.4",
        runc: "1.4.3",
        etcd: ETCD_DEFAULTS.version,
        debianPackages: options.debianPackages,
      });
      await lab.seedCloud(cloudPlan(cluster));
      // What Terraform creates before any instance: the deploy settings, with the deployed values.
      lab.aws([
        "ssm",
        "put-parameter",
        "--type",
        "String",
        "--name",
        DEPLOY_SETTINGS_NAME,
        "--value",
        deployedSettings(lab, cluster),
      ]);
    },
    /** The root of the node with this role and index, its image prepared from the node's user data. */
    root(role: string, index: number, image: { purge?: string[]; removeUsers?: string[] } = {}): NodeRoot {
      const n = nodes.filter((x) => x.role === role)[index];
      if (!roots.has(n.name)) {
        const node = lab.node(n.name, n.ip);
        node.prepareImage(deliveredUserData(lab, n, options.minor), {
          ...image,
          instanceId: lab.cloud!.instances[n.ip].instanceId,
        });
        roots.set(n.name, node);
      }
      return roots.get(n.name)!;
    },
  };
}

describe("NLB with stacked etcd: control plane 0 inits, control plane 1 joins", () => {
  const { lab, build, root } = rehearsal("khab", {}, { minor: 37, patch: 1 });
  let cp0: NodeRoot;
  let cp1: NodeRoot;

  beforeAll(async () => {
    await build();
    cp0 = root("control-plane", 0);
    cp1 = root("control-plane", 1);
    await timedBoot(cp0, { keepRunning: true });
    recordCommands("control plane 0 (kubeadm init)", cp0);
  }, 300_000);
  afterAll(() => lab.destroy());

  test("cp-0 boots to ready: cloud-init started the bootstrap unit, kubeadm init ran, the status tag in EC2 says ready", () => {
    expectReady(lab, cp0);
    expect(cp0.lines("/var/log/standin/systemctl/calls.log").slice(0, 2)).toEqual([
      "daemon-reload",
      "enable --now --no-block kubeadm-ha-bootstrap.service",
    ]);
    expect(cp0.lines("/var/log/standin/systemctl/runs.log")).toContain("kubeadm-ha-bootstrap.service run 1: exit 0");
    expect(cp0.read("/var/lib/kubeadm-ha/bootstrap.done")).toBeDefined();
    // The worker token keeper's timer, enabled for every boot (it acts once the bootstrap is done); the
    // bootstrap's last act starts the keeper at once.
    const calls = cp0.lines("/var/log/standin/systemctl/calls.log");
    expect(calls).toContain("enable --now kubeadm-ha-worker-token.timer");
    expect(cp0.link("/etc/systemd/system/timers.target.wants/kubeadm-ha-worker-token.timer")).toBe(
      "/etc/systemd/system/kubeadm-ha-worker-token.timer",
    );
    expect(calls.at(-1)).toBe("start --no-block kubeadm-ha-worker-token.service");
  });

  test("cloud-init wrote every file of the user data with its mode and owner", () => {
    expect(cp0.stat("/etc/kubeadm-ha/node-settings.env")).toEqual({ mode: "0644", uid: 0, gid: 0 });
    expect(cp0.stat("/etc/kubeadm-ha/kubeadm-init.yaml")).toEqual({ mode: "0600", uid: 0, gid: 0 });
    expect(cp0.stat("/opt/kubeadm-ha/bootstrap-control-plane.sh")?.mode).toBe("0755");
    expect(cp0.stat("/etc/systemd/system/kubeadm-ha-bootstrap.service")?.mode).toBe("0644");
    expect(cp0.read("/etc/hostname")?.trim()).toBe("kubeadm-ha-cp-0");
  });

  test("the node's name resolves to its own address (kubeadm's Hostname preflight, sudo), once", () => {
    expect(cp0.lines("/etc/hosts").filter((l) => l.endsWith(" kubeadm-ha-cp-0"))).toEqual([
      "198.18.0.10 kubeadm-ha-cp-0",
    ]);
  });

  test("chrony is installed and restarted with the Amazon Time Sync Service from the user data as its source", () => {
    expect(cp0.read("/var/lib/dpkg/status")).toMatch(/Package: chrony\nStatus: install ok installed/);
    expect(cp0.read("/etc/chrony/sources.d/amazon-time-sync.sources")).toBe(
      "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n",
    );
    expect(cp0.lines("/var/log/standin/systemctl/calls.log")).toContain("restart chrony");
  });

  test("the deploy settings came from their SSM parameter (the real AWS CLI, in the instance's region) into deploy-settings.env; the API server's certificate names the endpoint from them", () => {
    expect(cp0.stat("/etc/kubeadm-ha/deploy-settings.env")).toEqual({ mode: "0644", uid: 0, gid: 0 });
    expect(cp0.read("/etc/kubeadm-ha/deploy-settings.env")).toContain("ENDPOINT_HOST='api.kubeadm-ha.internal'");
    expect(cp0.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(
      /deploy settings from \/kubeadm-ha\/kubeadm-ha\/deploy-settings[\s\S]*step deploy-settings: ok/,
    );
    const sans = cp0.exec("openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName").stdout;
    expect(sans).toContain("DNS:api.kubeadm-ha.internal");
    expect(sans).toContain("DNS:kubeadm-ha-api-0123456789abcdef.elb.us-east-1.amazonaws.com");
    expect(sans).not.toMatch(/__[A-Z_0-9]+__/);
  });

  test("apt verified pkgs.k8s.io's signature as its _apt user: the keyring, its folder and the source are world-readable", () => {
    expect(cp0.stat("/etc/apt/keyrings")?.mode).toBe("0755");
    expect(cp0.stat("/etc/apt/keyrings/kubernetes-apt-keyring.gpg")?.mode).toBe("0644");
    expect(cp0.stat("/etc/apt/sources.list.d/kubernetes.list")?.mode).toBe("0644");
    expect(cp0.read("/etc/apt/sources.list.d/kubernetes.list")).toBe(
      `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${lab.kubernetesRepo(37)} /\n`,
    );
  });

  test("a keyring only root can read (what umask 077 made of it on main) makes apt refuse the repository; a re-run repairs it", () => {
    cp0.exec("chmod 0600 /etc/apt/keyrings/kubernetes-apt-keyring.gpg && chmod 0700 /etc/apt/keyrings");
    const refused = cp0.exec("apt-get update 2>&1");
    expect(refused.stdout).toMatch(/The repository .*v1\.37\/deb .* is not signed|NO_PUBKEY|not signed/);
    const rerun = cp0.exec("/opt/kubeadm-ha/install-kubernetes.sh 2>&1");
    expect({ status: rerun.status, tail: rerun.status === 0 ? "" : rerun.stdout.slice(-2000) }).toEqual({
      status: 0,
      tail: "",
    });
    expect(
      cp0.exec("stat -c %a /etc/apt/keyrings /etc/apt/keyrings/kubernetes-apt-keyring.gpg").stdout.split("\n"),
    ).toEqual(["755", "644", ""]);
    expect(cp0.exec("apt-get update 2>&1").stdout).not.toMatch(/not signed|NO_PUBKEY/);
  });

  test("the pinned Kubernetes packages are installed at the pin (a newer patch is in the repository) and held with cri-tools and kubernetes-cni", () => {
    expect(heldPackages(cp0)).toEqual({
      kubeadm: "1.37.1-1.1",
      kubelet: "1.37.1-1.1",
      kubectl: "1.37.1-1.1",
      "cri-tools": "1.37.0-1.1",
      "kubernetes-cni": "1.9.1-1.1",
    });
    expect(cp0.read("/var/lib/dpkg/status")).toMatch(/Package: conntrack\nStatus: install ok installed/);
    expect(cp0.read("/etc/crictl.yaml")).toBe(
      "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\n",
    );
  });

  test("containerd and runc come from their releases, verified by SHA-256, with the sandbox image kubeadm 1.37 expects", () => {
    expect(cp0.stat("/usr/local/bin/containerd")?.mode).toBe("0755");
    expect(cp0.stat("/usr/local/sbin/runc")?.mode).toBe("0755");
    expect(cp0.read("/etc/containerd/config.toml")).toContain("sandbox = 'registry.k8s.io/pause:3.10.2'");
    expect(cp0.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(
      /containerd 2\.3\.4 installed in \/usr\/local\/bin \(SHA-256 verified\)/,
    );
  });

  test("kernel modules, sysctls and swap are set, in that order, for now and for the next boot; containerd and the kubelet are enabled", () => {
    // install-kubernetes.sh, then containerd's unit (ExecStartPre=-/sbin/modprobe overlay)
    expect(
      cp0
        .lines("/var/log/standin/calls.log")
        .filter((c) => /^(modprobe|swapoff|sysctl)/.test(c))
        .slice(1, 6),
    ).toEqual(["modprobe overlay", "modprobe br_netfilter", "sysctl --system", "swapoff -a", "modprobe overlay"]);
    expect(
      cp0
        .lines("/var/log/standin/sysctl.log")
        .filter((l) => / = 1$/.test(l) && /bridge|ip_forward/.test(l))
        .slice(0, 3),
    ).toEqual([
      "net.bridge.bridge-nf-call-iptables = 1",
      "net.bridge.bridge-nf-call-ip6tables = 1",
      "net.ipv4.ip_forward = 1",
    ]);
    for (const f of ["/etc/modules-load.d/kubernetes.conf", "/etc/sysctl.d/90-kubernetes.conf"])
      expect(cp0.stat(f)?.mode).toBe("0644");
    expect(cp0.read("/etc/fstab")).toMatch(/^# \/swap\.img none swap sw 0 0 # disabled by kubeadm-ha$/m);
    expect(cp0.link("/etc/systemd/system/multi-user.target.wants/containerd.service")).toBe(
      "/etc/systemd/system/containerd.service",
    );
    expect(cp0.link("/etc/systemd/system/multi-user.target.wants/kubelet.service")).toBe(
      "/usr/lib/systemd/system/kubelet.service",
    );
    expect(cp0.link("/etc/systemd/system/multi-user.target.wants/kubeadm-ha-bootstrap.service")).toBe(
      "/etc/systemd/system/kubeadm-ha-bootstrap.service",
    );
  });

  test("kubeadm's files: provider ID from the instance metadata in the kubelet's configuration, the API server's grace period and shutdown delay, the kubelet's shutdown grace", () => {
    const instance = lab.cloud!.instances[cp0.ip];
    expect(cp0.read("/var/lib/kubelet/config.yaml")).toContain(
      `\nproviderID: aws:///${instance.zone}/${instance.instanceId}\n`,
    );
    expect(cp0.read("/var/lib/kubelet/kubeadm-flags.env")).not.toContain("--provider-id");
    expect(cp0.read("/etc/kubeadm-ha/kubeadm-patches/kubeletconfiguration+strategic.yaml")).toBe(
      `providerID: aws:///${instance.zone}/${instance.instanceId}\n`,
    );
    const apiserver = cp0.read("/etc/kubernetes/manifests/kube-apiserver.yaml")!;
    expect(apiserver).toContain("terminationGracePeriodSeconds: 100");
    expect(apiserver).toContain("--shutdown-delay-duration=70s");
    // Stacked etcd outlives its API server on a shutdown: it sleeps as long as the API server may serve.
    expect(cp0.read("/etc/kubernetes/manifests/etcd.yaml")).toMatch(
      /terminationGracePeriodSeconds: 110\n[\s\S]*preStop: \{sleep: \{seconds: 100\}\}/,
    );
    expect(cp0.read("/var/lib/kubelet/config.yaml")).toMatch(
      /shutdownGracePeriod: 150s\nshutdownGracePeriodCriticalPods: 120s/,
    );
  });

  test("the join secret in AWS holds the shared roots, the admin kubeconfig secret cp-0's admin.conf; no token or key reached a log", () => {
    const secret = (part: string) =>
      lab.aws([
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        Object.entries(lab.cloud!.secrets).find(([name]) => name.includes(part))![1],
      ]).SecretString;
    expect(secretFileNames(secret("join-secret"))).toEqual([
      "ca.crt",
      "ca.key",
      "etcd/ca.crt",
      "etcd/ca.key",
      "front-proxy-ca.crt",
      "front-proxy-ca.key",
      "sa.key",
      "sa.pub",
    ]);
    expect(secret("admin-kubeconfig")).toBe(cp0.read("/etc/kubernetes/admin.conf"));
    expectNoSecrets(cp0);
  });

  test("cp-1 joins through cp-0's API server (TLS, verified against the cluster CA) and deletes its token", async () => {
    await timedBoot(cp1, { keepRunning: true });
    recordCommands("control plane 1 (kubeadm join)", cp1);
    expectReady(lab, cp1);
    expect(cp1.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(/joining through kubeadm-ha-cp-0 \(198\.18\.0\.10\)/);
    expect(cp1.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(/deleted the bootstrap token this node joined with/);
    expect(readFileSync(join(lab.world, "members"), "utf8").split("\n").filter(Boolean)).toHaveLength(2);
    expect(cp1.read("/etc/hosts")).not.toContain("kubeadm-ha bootstrap override");
    expectNoSecrets(cp1);
  });

  test("a reboot of a finished node runs no bootstrap: the unit's condition skips it, containerd and the kubelet start again", async () => {
    cp1.shutdown();
    const reboot = await cp1.boot({ keepRunning: true });
    expect(reboot.booted).toBe(true);
    expect(cp1.lines("/var/log/standin/systemctl/runs.log")).toContain(
      "kubeadm-ha-bootstrap.service skipped: condition not met",
    );
    const started = cp1
      .lines("/var/log/standin/systemctl/runs.log")
      .filter((l) => / started: /.test(l))
      .map((l) => l.split(" ")[0]);
    expect(started.filter((u) => u === "kubelet.service")).toHaveLength(2);
    expect(started.filter((u) => u === "containerd.service")).toHaveLength(2);
    await waitFor(
      "cp-1's API server to serve again",
      () => cp1.exec("curl -sf --cacert /etc/kubernetes/pki/ca.crt https://198.18.1.10:6443/readyz").stdout === "ok",
      15_000,
      250,
    );
  });

  test("a power loss mid-bootstrap resumes at the next boot; a run that fails is restarted by systemd until it succeeds", async () => {
    const cp2 = root("control-plane", 2);
    cp1.shutdown(); // cp-2 joins through cp-1: it waits
    const interrupted = cp2.boot({ keepRunning: true });
    await waitFor(
      "cp-2 to wait for its predecessor",
      () => /waiting for a ready API server to join through/.test(cp2.read("/var/log/kubeadm-ha/bootstrap.log") ?? ""),
      60_000,
      250,
    );
    cp2.shutdown(); // power loss
    await interrupted;
    expect(statusTag(lab, cp2.ip)).toBe("running:kubeadm-join");

    await cp1.boot({ keepRunning: true });
    await waitFor(
      "cp-1's API server",
      () => cp1.exec("curl -sf --cacert /etc/kubernetes/pki/ca.crt https://198.18.1.10:6443/readyz").stdout === "ok",
      15_000,
      250,
    );
    // The resumed run's kubeadm join fails three times (every attempt of that run) before it can succeed.
    writeFileSync(join(lab.world, "fail", "join"), "kubelet-start 3\n");
    const resumed = await cp2.boot({ keepRunning: true });
    expect(resumed.booted).toBe(true);
    expectReady(lab, cp2);
    const runs = cp2
      .lines("/var/log/standin/systemctl/runs.log")
      .filter((l) => l.startsWith("kubeadm-ha-bootstrap.service run"));
    expect(runs).toEqual(["kubeadm-ha-bootstrap.service run 1: exit 1", "kubeadm-ha-bootstrap.service run 2: exit 0"]);
    expect(cp2.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(/step kubeadm-join: FAILED/);
    expect(readFileSync(join(lab.world, "members"), "utf8").split("\n").filter(Boolean)).toHaveLength(3);
    expect(cp2.read("/etc/hosts") ?? "").not.toContain("kubeadm-ha bootstrap override");
  }, 180_000);
});

describe("keepalived colocated with a routed VIP, Kubernetes 1.36: control plane 0 sets up its endpoint, then inits", () => {
  const { lab, build, root } = rehearsal(
    "khak",
    {
      kubernetesVersion: "1.36.5",
      endpoint: { type: "keepalived", virtualIp: "198.19.255.10", routeTableIds: ["rtb-0rehearsal"] },
    },
    { minor: 36, patch: 5 },
  );
  let cp0: NodeRoot;
  beforeAll(async () => {
    await build();
    cp0 = root("control-plane", 0);
    await timedBoot(cp0, { keepRunning: true });
    recordCommands("control plane 0 with colocated keepalived", cp0);
  }, 300_000);
  afterAll(() => lab.destroy());

  test("cp-0 is ready; its API endpoint step ran before kubeadm", () => {
    expectReady(lab, cp0);
    const steps = cp0
      .lines("/var/log/kubeadm-ha/bootstrap.log")
      .filter((l) => /step [a-z-]+: ok$/.test(l))
      .map((l) => l.replace(/.*step ([a-z-]+): ok$/, "$1"));
    expect(steps).toEqual([
      "install-packages",
      "deploy-settings",
      "api-endpoint",
      "read-join-secret",
      "node-config",
      "no-other-cluster",
      "kubeadm-init",
      "publish-roots",
    ]);
  });

  test("keepalived and HAProxy got configs that passed their own checks, for the interface that carries the node's address", () => {
    const keepalived = cp0.read("/etc/keepalived/keepalived.conf")!;
    expect(keepalived).toMatch(/^\s*interface eth0$/m);
    expect(keepalived).toContain("198.19.255.10/32 dev eth0");
    expect(keepalived).toMatch(/track_process \{\n\s*haproxy_running\n\s*\}/);
    expect(cp0.read("/etc/haproxy/haproxy.cfg")).toMatch(
      /chroot \/var\/lib\/haproxy\n\s*user haproxy\n\s*group haproxy/,
    );
    expect(cp0.stat("/etc/haproxy/haproxy.cfg")?.mode).toBe("0644");
    const systemctl = cp0.lines("/var/log/standin/systemctl/calls.log");
    expect(systemctl).toEqual(
      expect.arrayContaining([
        "enable haproxy keepalived kubeadm-ha-vip-guard.service",
        "restart haproxy keepalived kubeadm-ha-vip-guard.service",
      ]),
    );
    expect(cp0.link("/etc/systemd/system/keepalived.service.wants/kubeadm-ha-vip-guard.service")).toBe(
      "/etc/systemd/system/kubeadm-ha-vip-guard.service",
    );
  });

  test("Kubernetes 1.36 from its own repository, with the sandbox image kubeadm 1.36 expects and the short HAProxy drain", () => {
    expect(heldPackages(cp0).kubeadm).toBe("1.36.5-1.1");
    expect(cp0.read("/etc/containerd/config.toml")).toContain("sandbox = 'registry.k8s.io/pause:3.10.2'");
    expect(cp0.read("/etc/kubernetes/manifests/kube-apiserver.yaml")).toContain("--shutdown-delay-duration=11s");
  });
});

describe("keepalived on dedicated load balancers with a secondary-IP VIP: a load balancer installs HAProxy and keepalived from the archive", () => {
  const { lab, build, root } = rehearsal(
    "khal",
    { endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true, placement: "dedicated" } },
    { minor: 37, patch: 1, debianPackages: ["haproxy", "keepalived"] },
  );
  let lb0: NodeRoot;
  beforeAll(async () => {
    await build();
    // A cloud image has neither: they come from its archive (here, this machine's real Debian packages).
    lb0 = root("api-load-balancer", 0, { purge: ["haproxy", "keepalived"] });
    await timedBoot(lb0, { keepRunning: true });
    recordCommands("dedicated load balancer", lb0);
  }, 300_000);
  afterAll(() => lab.destroy());

  test("lb-0 is ready after its four steps, with no Kubernetes package on it", () => {
    expectReady(lab, lb0);
    const steps = lb0
      .lines("/var/log/kubeadm-ha/bootstrap.log")
      .filter((l) => /step [a-z-]+: ok$/.test(l))
      .map((l) => l.replace(/.*step ([a-z-]+): ok$/, "$1"));
    expect(steps).toEqual(["names-and-time", "install-packages", "deploy-settings", "api-endpoint"]);
    expect(heldPackages(lb0)).toEqual({});
    expect(lb0.read("/var/lib/kubeadm-ha/bootstrap.done")).toBeDefined();
  });

  test("lb-0's name resolves to its address, and chrony is installed and restarted with the Amazon Time Sync Service as its source", () => {
    expectNamesAndTime(lb0);
  });

  test("real HAProxy and keepalived packages were installed by apt, and HAProxy's package made its unprivileged user and chroot", () => {
    const status = lb0.read("/var/lib/dpkg/status")!;
    expect(status).toMatch(/Package: haproxy\nStatus: install ok installed/);
    expect(status).toMatch(/Package: keepalived\nStatus: install ok installed/);
    expect(lb0.exec("id -u haproxy && test -d /var/lib/haproxy && echo chroot-ok").stdout).toMatch(
      /^\d+\nchroot-ok\n$/,
    );
    expect(lb0.exec("haproxy -c -f /etc/haproxy/haproxy.cfg 2>&1").stdout).toMatch(/Configuration file is valid/);
  });
});

describe("NLB with an external etcd cluster, Kubernetes 1.35 on containerd 2.2: three etcd members form the cluster as their own user, control plane 0 inits on it", () => {
  const { lab, build, root } = rehearsal(
    "khae",
    { kubernetesVersion: "1.35.9", containerdVersion: "2.2.7", etcd: { topology: "external" } },
    { minor: 35, patch: 9, containerd: "2.2.7" },
  );
  let members: NodeRoot[];
  let cp0: NodeRoot;
  beforeAll(async () => {
    await build();
    // A cloud image has no etcd user: the member's bootstrap creates it.
    members = [0, 1, 2].map((i) => root("etcd", i, { removeUsers: ["etcd"] }));
    await Promise.all(members.map((m) => timedBoot(m, { keepRunning: true })));
    recordCommands("external etcd member", members[0]);
    cp0 = root("control-plane", 0);
    await timedBoot(cp0, { keepRunning: true });
    recordCommands("control plane 0 on external etcd", cp0);
  }, 400_000);
  afterAll(() => lab.destroy());

  test("every member is ready, serving over mutual TLS with a majority", () => {
    for (const m of members) expectReady(lab, m);
    const health = members[1].exec(
      "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key endpoint health 2>&1",
    );
    expect(health.stdout).toMatch(/is healthy/);
  });

  test("every member's name resolves to its address, and chrony is installed and restarted with the Amazon Time Sync Service as its source", () => {
    members.forEach(expectNamesAndTime);
  });

  test("etcd runs as the etcd user its bootstrap created, owning its data and its own keys; the CA key stays root's", () => {
    const m = members[0];
    expect(m.exec("id -u etcd").status).toBe(0);
    expect(m.exec("ps -o user= -C etcd | sort -u").stdout.trim()).toBe("etcd");
    expect(
      m
        .exec("stat -c '%U %a' /var/lib/etcd /etc/etcd/pki/server.key /etc/etcd/pki/peer.key /etc/etcd/pki/ca.key")
        .stdout.split("\n"),
    ).toEqual(["etcd 700", "etcd 600", "etcd 600", "root 600", ""]);
    expect(m.read("/etc/systemd/system/etcd.service")).toMatch(/^User=etcd$/m);
    expect(m.read("/var/lib/kubeadm-ha/bootstrap.done")).toBeDefined();
  });

  test("cp-0 inits on the external etcd (its client certificate from member 0, checked against real etcd), on Kubernetes 1.35 and containerd 2.2.7", () => {
    expectReady(lab, cp0);
    expect(cp0.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(/done waiting for a healthy external etcd/);
    expect(cp0.stat("/etc/kubernetes/pki/apiserver-etcd-client.key")?.mode).toBe("0600");
    expect(cp0.read("/etc/kubernetes/pki/etcd/ca.key")).toBeUndefined();
    expect(heldPackages(cp0).kubeadm).toBe("1.35.9-1.1");
    expect(cp0.read("/etc/containerd/config.toml")).toContain("sandbox = 'registry.k8s.io/pause:3.10.1'");
    expect(cp0.read("/var/log/kubeadm-ha/bootstrap.log")).toMatch(/containerd 2\.2\.7 installed/);
    expectNoSecrets(cp0);
  });

  test("every member answers /version with the release the node installed (what kubeadm's ExternalEtcdVersion preflight read on cp-0, which passed)", () => {
    for (const m of members) {
      const version = cp0.exec(
        `curl -sS --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/apiserver-etcd-client.crt --key /etc/kubernetes/pki/apiserver-etcd-client.key https://${m.ip}:2379/version`,
      );
      expect(JSON.parse(version.stdout)).toEqual({ etcdserver: ETCD_DEFAULTS.version, etcdcluster: "3.6.0" });
    }
    const kubeadm = cp0.read("/var/log/kubeadm-ha/kubeadm.log") ?? "";
    expect(kubeadm).toContain("[preflight] Running pre-flight checks");
    expect(kubeadm).not.toContain("[ERROR");
    console.log(
      `cp-0's kubeadm preflight warnings:\n${kubeadm
        .split("\n")
        .filter((l) => l.includes("[WARNING"))
        .join("\n")}`,
    );
  });

  test("a power loss while dpkg configures a package leaves dpkg interrupted; the next boot finishes it and cp-1 joins", async () => {
    const cp1 = root("control-plane", 1);
    writeFileSync(join(lab.world, HOLD_KUBELET_POSTINST), "");
    const interrupted = cp1.boot({ keepRunning: true });
    await waitFor(
      "dpkg to run kubelet's postinst",
      () => /status half-configured kubelet/.test(cp1.read("/var/log/dpkg.log") ?? ""),
      120_000,
      250,
    );
    cp1.shutdown(); // power loss inside `apt-get install`
    await interrupted;
    rmSync(join(lab.world, HOLD_KUBELET_POSTINST));
    expect(cp1.lines("/var/log/kubeadm-ha/bootstrap.log").filter((l) => / step install-packages: /.test(l))).toEqual([
      expect.stringMatching(/step install-packages: start$/),
    ]);
    // dpkg's journal holds the cut-short run: what makes apt refuse with "dpkg was interrupted" (apt-pkg/deb/debsystem.cc).
    expect(readdirSync(join(cp1.upper, "var/lib/dpkg/updates")).filter((f) => /^\d+$/.test(f))).not.toEqual([]);
    const resumed = await timedBoot(cp1, { keepRunning: true });
    expect(resumed.booted).toBe(true);
    expectReady(lab, cp1);
    // The second boot's dpkg --configure -a finished kubelet's configuration before apt ran.
    const dpkg = cp1.lines("/var/log/dpkg.log");
    const afterPowerLoss = dpkg.slice(dpkg.findIndex((l) => /status half-configured kubelet/.test(l)) + 1);
    const recovered = afterPowerLoss.findIndex((l) => / startup packages configure$/.test(l));
    expect(recovered).toBeGreaterThanOrEqual(0);
    expect(afterPowerLoss.slice(recovered).some((l) => /status installed kubelet/.test(l))).toBe(true);
    expect(heldPackages(cp1).kubelet).toBe("1.35.9-1.1");
  }, 300_000);

  test("a rebooted member comes back from its data as a member (systemd starts etcd; the bootstrap does not run again)", async () => {
    members[2].shutdown();
    const reboot = await members[2].boot({ keepRunning: true });
    expect(reboot.booted).toBe(true);
    expect(members[2].lines("/var/log/standin/systemctl/runs.log")).toContain(
      "kubeadm-ha-bootstrap.service skipped: condition not met",
    );
    const healthy = () =>
      members[2]
        .exec(
          "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key endpoint health 2>&1",
        )
        .stdout.includes("is healthy");
    await waitFor("the rebooted member to be healthy", healthy, 20_000, 250);
  });
});
