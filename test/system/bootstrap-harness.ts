/**
 * Runs the real userdata/ scripts on this machine, one folder per simulated node, with the
 * file-backed cloud interface (userdata/cloud-file.sh) and stand-ins for kubeadm, kubectl, curl and
 * systemctl (test/system/fakes) that share a "world": ready API servers, etcd members, tokens, the
 * uploaded configs, a call log. Each node folder also stands in for what the node's kernel and
 * packages provide: /proc (ip_forward on, no swap), Ubuntu 24.04's cgroups (v2), containerd's socket,
 * the kubelet's unit and binary; external etcd answers /version with the release the spec installs.
 */
import { execFileSync, spawn } from "child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  KUBEADM_PATCHES_DIR,
  renderControlPlaneEnv,
  renderKubeadmConfig,
  renderWorkerEnv,
  renderWorkerJoin,
} from "../../lib/render/internal";
import { ClusterSpec, resolveClusterSpec, resolveWorkerPool, WorkerPoolSpec } from "../../lib/cluster-spec";
import { USERDATA_DIR, nodeScriptEnv, putFileCloudDeploySettings } from "../helpers";

export const ENDPOINT = { host: "api.kubeadm-ha.test.invalid", port: 6443 };

/**
 * What kubeadm's SystemVerification reads of an Ubuntu 24.04 node's cgroups (v2, which systemd mounts at
 * /sys/fs/cgroup): the mount table, and in the hierarchy the root cgroup's controllers and a child
 * cgroup with its cgroup.freeze (how the validator finds the freezer). This machine's own hierarchy is
 * not a node's (it may be cgroup v1, or v2 with the controllers held by v1), so the kubeadm stand-in
 * reads these instead: MOUNTS_FILE (or PROC_DIR/mounts) and CGROUP_DIR.
 */
export const UBUNTU_CGROUPS = {
  mounts: [
    "/dev/root / ext4 rw,relatime,discard,errors=remount-ro,commit=30 0 0",
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
    "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0",
    "",
  ].join("\n"),
  hierarchy: {
    "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "init.scope/cgroup.freeze": "0\n",
  } as Record<string, string>,
};
const FAKES = join(__dirname, "fakes");
const NODE_SCRIPTS = [
  "common.sh",
  "cloud-file.sh",
  "kubeadm-common.sh",
  "bootstrap-control-plane.sh",
  "worker-token.sh",
  "bootstrap-worker.sh",
];

/** A worker of the world's pool: its instance, and the name and address the cloud gives it. */
export interface FakeWorker {
  readonly instance: string;
  readonly name: string;
  readonly ip: string;
  readonly dir: string;
}

export interface RunResult {
  readonly code: number;
  readonly output: string;
}

export interface Call {
  readonly at: bigint;
  readonly ip: string;
  readonly command: string;
}

/**
 * An empty node folder with what the instance's image provides: /proc (ip_forward on, no swap), Ubuntu's
 * cgroups, containerd's socket, the kubelet's unit.
 */
function freshNodeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  for (const d of [
    "etc",
    "scripts",
    "kube",
    "state",
    "log",
    "run",
    "kubelet",
    "etcd",
    "proc/sys/net/ipv4",
    "systemd/lib/systemd/system",
    "systemctl",
  ]) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  writeFileSync(join(dir, "proc", "sys", "net", "ipv4", "ip_forward"), "1\n");
  writeFileSync(join(dir, "proc", "swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
  writeFileSync(join(dir, "proc", "mounts"), UBUNTU_CGROUPS.mounts);
  for (const [path, content] of Object.entries(UBUNTU_CGROUPS.hierarchy)) {
    mkdirSync(join(dir, "sys", "fs", "cgroup", path, ".."), { recursive: true });
    writeFileSync(join(dir, "sys", "fs", "cgroup", path), content);
  }
  writeFileSync(join(dir, "containerd.sock"), "");
  writeFileSync(
    join(dir, "systemd", "lib", "systemd", "system", "kubelet.service"),
    "[Service]\nExecStart=/usr/bin/kubelet\n[Install]\nWantedBy=multi-user.target\n",
  );
}

export class FakeWorld {
  readonly root = mkdtempSync(join(tmpdir(), "kubeadm-ha-world-"));
  readonly spec: ClusterSpec;
  /** How many instances each node has had: a replacement is a new instance, with a new instance id. */
  private readonly instances: number[] = [];

  constructor(
    count = 3,
    readonly etcd: "stacked" | "external" = "stacked",
  ) {
    // Addresses from 198.18.0.0/15 (benchmarking range); nothing here touches a network.
    this.spec = resolveClusterSpec({
      controlPlaneCount: count,
      etcd: { topology: etcd },
      network: {
        vpcId: "vpc-test",
        vpcCidr: "198.18.0.0/16",
        privateSubnets: ["a", "b", "c"].map((z, i) => ({
          id: `subnet-${z}`,
          availabilityZone: `test-1${z}`,
          cidrBlock: `198.18.${i}.0/24`,
        })),
      },
    });
    for (const d of ["ready", "etcd-up", "fail", "cloud/throttle", "cloud/secrets", "cloud/instance"])
      mkdirSync(join(this.root, d), { recursive: true });
    writeFileSync(join(this.root, "members"), "");
    writeFileSync(join(this.root, "tokens"), "");
    writeFileSync(join(this.root, "calls.log"), "");
    if (this.spec.etcd.topology === "external") writeFileSync(join(this.root, "etcd-version"), this.spec.etcd.version);
    // The secrets exist from the start, empty (Terraform creates them before any instance).
    for (const secret of ["join-secret", "etcd-client", "admin-kubeconfig", "worker-join"])
      writeFileSync(join(this.root, "cloud", "secrets", secret), "");
    this.spec.controlPlane.forEach((_, i) => this.provision(i));
  }

  nodeDir(i: number) {
    return join(this.root, "nodes", String(i));
  }
  ip(i: number) {
    return this.spec.controlPlane[i].privateIp;
  }
  zone(i: number) {
    return `test-1${"abc"[this.spec.controlPlane[i].subnetIndex]}`;
  }
  /** Node i's instance id: its first instance's, or that of its replacement number `generation`. */
  instanceId(i: number, generation = this.instances[i]) {
    return `i-${generation}${String(i).padStart(16, "0")}`;
  }
  /** The provider ID node i's current instance registers with. */
  providerId(i: number) {
    return `aws:///${this.zone(i)}/${this.instanceId(i)}`;
  }

  /** A fresh instance for node i (a new instance id after the first): what cloud-init writes, and nothing else. */
  provision(i: number) {
    const dir = this.nodeDir(i);
    const generation = (this.instances[i] = (this.instances[i] ?? -1) + 1);
    freshNodeDir(dir);
    const node = this.spec.controlPlane[i];
    writeFileSync(
      join(this.root, "cloud", "instance", node.name),
      `${this.zone(i)} ${this.instanceId(i, generation)}\n`,
    );
    putFileCloudDeploySettings(join(this.root, "cloud"), this.spec, {
      endpoint: ENDPOINT,
      joinSecretId: "join-secret",
      adminKubeconfigSecretId: "admin-kubeconfig",
      workerJoinSecretId: "worker-join",
      etcdClientSecretId: "etcd-client",
    });
    const kubeadm = renderKubeadmConfig(this.spec, node, ENDPOINT);
    // kubeadm's patches in the node's folder, where its settings and kubeadm configs name them.
    const patches = join(dir, "etc", "kubeadm-patches");
    const moved = (text: string) => text.replaceAll(KUBEADM_PATCHES_DIR, patches);
    mkdirSync(patches);
    for (const [name, content] of Object.entries(kubeadm.patches)) writeFileSync(join(patches, name), content);
    writeFileSync(
      join(dir, "etc", "node-settings.env"),
      moved(renderControlPlaneEnv({ spec: this.spec, node, endpoint: ENDPOINT })),
    );
    writeFileSync(join(dir, "etc", "kubeadm-init.yaml"), moved(kubeadm.init));
    writeFileSync(join(dir, "etc", "kubeadm-join.yaml"), moved(kubeadm.join));
    for (const s of NODE_SCRIPTS) copyFileSync(join(USERDATA_DIR, s), join(dir, "scripts", s));
    writeFileSync(join(dir, "hosts"), "127.0.0.1 localhost\n");
  }

  /** The world's worker pool (the default one: two t3.medium workers, no taints). */
  get pool(): WorkerPoolSpec {
    return resolveWorkerPool({}, this.spec);
  }

  /**
   * A fresh worker instance: what cloud-init writes from the pool's user data, the name and address its
   * metadata gives it (ip-A-B-C-D, as EC2's private DNS names), and the endpoint's name resolving to
   * control-plane node `behind`, as the NLB's name would.
   */
  provisionWorker(index: number, behind = 0): FakeWorker {
    const ip = `198.18.1.${10 + index}`;
    const worker = {
      instance: `i-w${String(index).padStart(16, "0")}`,
      name: `ip-${ip.replaceAll(".", "-")}.test-1.compute.internal`,
      ip,
      dir: join(this.root, "workers", String(index)),
    };
    const dir = worker.dir;
    freshNodeDir(dir);
    mkdirSync(join(this.root, "cloud", "identity"), { recursive: true });
    writeFileSync(join(this.root, "cloud", "identity", worker.instance), `${worker.name} ${ip}\n`);
    writeFileSync(join(this.root, "cloud", "instance", worker.name), `test-1a ${worker.instance}\n`);
    const patches = join(dir, "etc", "kubeadm-patches");
    const moved = (text: string) => text.replaceAll(KUBEADM_PATCHES_DIR, patches);
    const kubeadm = renderWorkerJoin(this.pool, ENDPOINT.port);
    mkdirSync(patches);
    for (const [name, content] of Object.entries(kubeadm.patches)) writeFileSync(join(patches, name), content);
    writeFileSync(join(dir, "etc", "node-settings.env"), moved(renderWorkerEnv({ spec: this.spec, pool: this.pool })));
    writeFileSync(join(dir, "etc", "kubeadm-join.yaml"), moved(kubeadm.join));
    for (const s of NODE_SCRIPTS) copyFileSync(join(USERDATA_DIR, s), join(dir, "scripts", s));
    writeFileSync(join(dir, "hosts"), `127.0.0.1 localhost\n${this.ip(behind)} ${ENDPOINT.host}\n`);
    return worker;
  }

  /** Runs a worker's bootstrap, as its unit would. */
  runWorker(worker: FakeWorker, env: Record<string, string> = {}): Promise<RunResult> {
    return this.spawnIn(
      worker.dir,
      worker.ip,
      worker.name,
      ["bash", join(worker.dir, "scripts", "bootstrap-worker.sh")],
      {
        KHA_CLOUD_FILE_INSTANCE: worker.instance,
        ...env,
      },
    );
  }

  /** Runs control-plane node i's worker token keeper, as its timer would. */
  runTokenKeeper(i: number): Promise<RunResult> {
    return this.spawn(i, ["bash", join(this.nodeDir(i), "scripts", "worker-token.sh")], {});
  }

  /** Control-plane node i's kube-controller-manager holds its leader lease. */
  setControllerManagerLeader(i: number) {
    writeFileSync(join(this.root, "lease"), `${this.spec.controlPlane[i].name}_6a4c3f9e-0d1b-4c1e-9a59-2f7d8c1b0e11`);
  }

  /** The worker join secret's value as KEY → value. */
  workerJoinSecret(): Record<string, string> {
    const text = readFileSync(join(this.root, "cloud", "secrets", "worker-join"), "utf8");
    return Object.fromEntries(
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  }

  /** Every file a worker's folder holds, relative to it. */
  workerFiles(worker: FakeWorker): string[] {
    return (readdirSync(worker.dir, { recursive: true }) as string[]).sort();
  }

  /** The old instance of node i is gone: its API server no longer answers (its etcd member stays). */
  terminate(i: number) {
    rmSync(join(this.root, "ready", this.ip(i)), { force: true });
    this.setPeerEtcd(i, false);
  }
  /** Stacked etcd: node i's etcd answers on 2379 (TLS, client certificates required) or not. */
  setPeerEtcd(i: number, up: boolean) {
    const f = join(this.root, "etcd-up", this.ip(i));
    if (up) writeFileSync(f, "");
    else rmSync(f, { force: true });
  }
  /** A deploy replaced the join secret: a new secret, with no value. */
  emptyJoinSecret() {
    writeFileSync(join(this.root, "cloud", "secrets", "join-secret"), "");
  }
  /** The Node object of node i in the cluster's API: its spec.providerID, or undefined when there is none. */
  nodeObject(i: number): string | undefined {
    const f = join(this.root, "node-objects", this.spec.controlPlane[i].name);
    return existsSync(f) ? readFileSync(f, "utf8").trim() : undefined;
  }

  run(i: number, env: Record<string, string> = {}): Promise<RunResult> {
    return this.spawn(i, ["bash", join(this.nodeDir(i), "scripts", "bootstrap-control-plane.sh")], env);
  }

  /** The kubeadm stand-in itself on node i, e.g. `init --config DIR/etc/kubeadm-init.yaml`; `wrap` runs it inside another command. */
  kubeadm(i: number, args: string[], env: Record<string, string> = {}, wrap: string[] = []): Promise<RunResult> {
    return this.spawn(i, [...wrap, join(FAKES, "kubeadm"), ...args], env);
  }

  private spawn(i: number, argv: string[], env: Record<string, string>): Promise<RunResult> {
    return this.spawnIn(this.nodeDir(i), this.ip(i), this.spec.controlPlane[i].name, argv, env);
  }

  private spawnIn(
    dir: string,
    ip: string,
    name: string,
    argv: string[],
    env: Record<string, string>,
  ): Promise<RunResult> {
    const child = spawn(argv[0], argv.slice(1), {
      env: {
        ...nodeScriptEnv(dir, join(this.root, "cloud")),
        PATH: `${FAKES}:${process.env.PATH}`,
        FAKE_WORLD: this.root,
        FAKE_NODE_IP: ip,
        FAKE_NODE_NAME: name,
        KHA_HOSTS_FILE: join(dir, "hosts"),
        KUBELET_DIR: join(dir, "kubelet"),
        ETCD_DIR: join(dir, "etcd"),
        PROC_DIR: join(dir, "proc"),
        CGROUP_DIR: join(dir, "sys", "fs", "cgroup"),
        CRI_SOCKET_PATH: join(dir, "containerd.sock"),
        KUBELET_BIN: join(FAKES, "node", "kubelet"),
        SYSTEMCTL_STANDIN_ROOT: join(dir, "systemd"),
        SYSTEMCTL_STANDIN_DIR: join(dir, "systemctl"),
        KHA_INSTALL_CMD: "true",
        KHA_JOIN_DEADLINE: "60",
        FAKE_JOIN_SECONDS: "1",
        FAKE_CONTROL_PLANE_WAIT: "5",
        ...env,
      },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, output })));
  }

  calls(): Call[] {
    return readFileSync(join(this.root, "calls.log"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [at, ip, ...rest] = line.split(" ");
        return { at: BigInt(at), ip, command: rest.join(" ") };
      });
  }
  members(): { id: string; name: string; url: string }[] {
    return readFileSync(join(this.root, "members"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [id, name, url] = l.split(" ");
        return { id, name, url };
      });
  }
  status(i: number): string | undefined {
    const f = join(this.root, "cloud", "status", this.spec.controlPlane[i].name);
    return existsSync(f) ? readFileSync(f, "utf8").trim() : undefined;
  }
  secret(): string | undefined {
    const f = join(this.root, "cloud", "secrets", "join-secret");
    return existsSync(f) ? readFileSync(f, "utf8") : undefined;
  }
  hosts(i: number) {
    return readFileSync(join(this.nodeDir(i), "hosts"), "utf8");
  }
  /** Node i's hosts file once its bootstrap has run: the image's, and its own name. */
  ownHosts(i: number) {
    return `127.0.0.1 localhost\n${this.ip(i)} ${this.spec.controlPlane[i].name}\n`;
  }
  /** kubeadm said so: its init or join returned success on this node. */
  isMember(i: number) {
    return existsSync(join(this.nodeDir(i), "state", "kubeadm.done"));
  }
  /** Every log a node wrote, and the files its bootstrap left in its run folder. */
  logs(i: number): string {
    const logDir = join(this.nodeDir(i), "log");
    return readdirSync(logDir)
      .map((f) => readFileSync(join(logDir, f), "utf8"))
      .join("\n");
  }
  runLeftovers(i: number): string[] {
    return readdirSync(join(this.nodeDir(i), "run"));
  }
  /** Makes kubeadm `init` or `join` fail at `phase` (every time, or only the next time), or stops that. */
  failAt(command: "init" | "join", phase: string, times: "always" | "once" = "always") {
    writeFileSync(join(this.root, "fail", command), `${phase}${times === "once" ? " once" : ""}\n`);
  }
  stopFailing(command: "init" | "join" | "token") {
    rmSync(join(this.root, "fail", command), { force: true });
  }
  failTokens() {
    writeFileSync(join(this.root, "fail", "token"), "");
  }
  /** Bootstrap tokens that still exist in the cluster (not deleted), with their expiry. */
  tokens(): string[] {
    return readFileSync(join(this.root, "tokens"), "utf8").split("\n").filter(Boolean);
  }
  throttle(operation: string, times: number) {
    writeFileSync(join(this.root, "cloud", "throttle", operation), String(times));
  }
  expireAllTokens() {
    const f = join(this.root, "tokens");
    const lines = readFileSync(f, "utf8").split("\n").filter(Boolean);
    writeFileSync(f, lines.map((l) => `${l.split(" ")[0]} 1`).join("\n") + (lines.length ? "\n" : ""));
  }
  /** External etcd: what etcd member 0 publishes for the API servers (a real CA and client certificate). */
  publishEtcdClientSecret() {
    const dir = join(this.root, "etcd-client");
    mkdirSync(dir, { recursive: true });
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl("req", "-x509", ...ec, "-days", "1", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=etcd-ca");
    openssl(
      "req",
      "-new",
      ...ec,
      "-keyout",
      "apiserver-etcd-client.key",
      "-out",
      "client.csr",
      "-subj",
      "/CN=kube-apiserver-etcd-client",
    );
    openssl(
      "x509",
      "-req",
      "-in",
      "client.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      "apiserver-etcd-client.crt",
    );
    const packed = execFileSync(
      "bash",
      ["-c", "tar -czf - ca.crt apiserver-etcd-client.crt apiserver-etcd-client.key | base64 -w0"],
      { cwd: dir },
    );
    writeFileSync(join(this.root, "cloud", "secrets", "etcd-client"), packed);
  }
  setEtcdHealthy(healthy: boolean) {
    const f = join(this.root, "etcd-healthy");
    if (healthy) writeFileSync(f, "");
    else rmSync(f, { force: true });
  }
  /** Keys under /registry in the fake external etcd. */
  etcdKeys(): number {
    const f = join(this.root, "etcd-keys");
    return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0;
  }
  setEtcdKeys(count: number) {
    writeFileSync(join(this.root, "etcd-keys"), String(count));
  }
  pkiFiles(i: number): string[] {
    const pki = join(this.nodeDir(i), "kube", "pki");
    return existsSync(pki) ? (readdirSync(pki, { recursive: true }) as string[]).sort() : [];
  }

  cleanup() {
    rmSync(this.root, { recursive: true, force: true });
  }
}
