/**
 * The node-boot rehearsal: each node boots from its rendered user data in its own root (an overlay of
 * this machine's root in a private mount namespace, node-boot.sh) and its own network namespace on a
 * switch in 198.18.0.0/15, with the real cloud-init, apt, dpkg, gpg, curl, openssl, etcd and the real
 * AWS CLI, and stand-ins only for what this machine cannot have (test/system/fakes: kubeadm, kubelet,
 * containerd, runc, kernel and service calls). A services namespace stands in for the internet and AWS:
 *   - an HTTP server with pkgs.k8s.io's repositories, an Ubuntu-style archive and GitHub's release
 *     downloads (node-packages.ts), signed with a key made for the run;
 *   - moto (the AWS emulator) for Secrets Manager and EC2, seeded as Terraform leaves things;
 *   - an IMDSv2 stand-in answering each node as its instance.
 * The node settings that name those addresses (package repository, release downloads, metadata) and
 * the release checksums are the only changes made to the user data, besides the deploy-time values
 * Terraform would fill in. Needs root, iproute2, util-linux (unshare), cloud-init, dpkg-dev, apt-utils,
 * gpg, python3 with moto and boto3, the AWS CLI, etcd-server and etcd-client.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { UBUNTU_CGROUPS } from "./bootstrap-harness";
import { MOTO_CREDENTIALS, motoAwsJson } from "./moto";
import { attachNode, createSwitch, removeNamespaces, sleep, waitFor } from "./netns";
import {
  Downloads,
  SigningKey,
  buildDeb,
  distributionPackages,
  kubernetesPackages,
  kubernetesRepository,
  releaseDownloads,
  suiteRepository,
} from "./node-packages";

const FAKES = join(__dirname, "fakes");
export const SERVICES_IP = "198.18.255.254";
const PORTS = { http: 8000, moto: 5000, imds: 8080 };
const http = (path: string) => `http://${SERVICES_IP}:${PORTS.http}${path}`;

/** What the rehearsal needs on this machine; tests fail with this list when something is missing. */
export function missingBootTools(): string[] {
  const tools = [
    "unshare",
    "ip",
    "cloud-init",
    "dpkg-deb",
    "dpkg-scanpackages",
    "apt-ftparchive",
    "gpg",
    "etcd",
    "etcdctl",
    "aws",
    "setpriv",
  ];
  const missing = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (spawnSync("python3", ["-c", "import moto, boto3"]).status !== 0) missing.push("python3 moto and boto3");
  if (process.getuid?.() !== 0) missing.push("root");
  return missing;
}

export interface CloudPlan {
  readonly vpcCidr: string;
  readonly subnets: { cidr: string; zone: string }[];
  readonly instances: { name: string; ip: string; subnet: number }[];
  readonly secrets: string[];
  readonly routeTables?: number;
}
export interface SeededCloud {
  readonly secrets: Record<string, string>;
  readonly instances: Record<string, { name: string; instanceId: string; zone: string; mac: string; eni: string }>;
  readonly routeTables: string[];
}

export class BootLab {
  readonly root = mkdtempSync("/var/tmp/kha-boot-");
  readonly serve = join(this.root, "serve");
  readonly world = join(this.root, "world");
  readonly servicesNs: string;
  private readonly daemons: ChildProcess[] = [];
  private readonly nodes: NodeRoot[] = [];
  private key?: SigningKey;
  downloads?: Downloads;
  cloud?: SeededCloud;

  constructor(readonly prefix: string) {
    this.servicesNs = `${prefix}-svc`;
  }

  /** The switch, the services namespace and what it serves: repositories for `minors`, release downloads. */
  async build(options: {
    minors: Record<number, number>;
    containerd: string;
    runc: string;
    etcd: string;
    debianPackages?: string[];
  }) {
    createSwitch(this.prefix);
    attachNode(this.prefix, this.servicesNs, `${this.prefix}vs`, SERVICES_IP, 16);
    mkdirSync(this.world, { recursive: true });
    this.key = new SigningKey(this.root);
    for (const [minor, patch] of Object.entries(options.minors)) {
      kubernetesRepository(
        join(this.serve, "pkgs"),
        Number(minor),
        kubernetesPackages(Number(minor), [patch - 1, patch, patch + 1]),
        this.key,
      );
    }
    const debs = join(this.root, "debs");
    mkdirSync(debs, { recursive: true });
    const distribution = distributionPackages().map((p) => buildDeb(p, debs));
    // Real packages of this machine's distribution that a node installs (HAProxy, keepalived).
    for (const name of options.debianPackages ?? []) {
      execFileSync("apt-get", ["download", "-q", name], { cwd: debs, stdio: "ignore" });
    }
    const downloaded = readdirDebs(debs).filter((f) => !distribution.includes(f));
    suiteRepository(join(this.serve, "archive"), "noble", [...distribution, ...downloaded], this.key);
    this.downloads = releaseDownloads(this.serve, options);
    this.daemon(["python3", "-m", "http.server", String(PORTS.http), "--bind", SERVICES_IP, "--directory", this.serve]);
    this.daemon(["python3", "-m", "moto.server", "-H", SERVICES_IP, "-p", String(PORTS.moto)]);
    await waitFor(
      "the repository server and moto to answer",
      () =>
        [PORTS.http, PORTS.moto].every(
          (p) => this.inServices(["curl", "-sf", "-o", "/dev/null", `http://${SERVICES_IP}:${p}/`]).status === 0,
        ),
      30000,
      200,
    );
  }

  private daemon(argv: string[]) {
    const child = spawn("ip", ["netns", "exec", this.servicesNs, ...argv], { stdio: "ignore" });
    this.daemons.push(child);
  }
  inServices(argv: string[], input?: string) {
    return spawnSync("ip", ["netns", "exec", this.servicesNs, ...argv], { input, encoding: "utf8" });
  }

  /** What Terraform creates before the instances boot, in moto; then the metadata stand-in for those instances. */
  async seedCloud(plan: CloudPlan): Promise<SeededCloud> {
    const seeded = this.inServices(
      ["python3", join(FAKES, "aws", "seed-moto.py")],
      JSON.stringify({ endpoint: this.awsEndpoint, region: "us-east-1", ...plan }),
    );
    if (seeded.status !== 0) throw new Error(`seeding moto failed: ${seeded.stderr}`);
    this.cloud = JSON.parse(seeded.stdout) as SeededCloud;
    const identities = join(this.root, "identities.json");
    writeFileSync(identities, JSON.stringify(this.cloud.instances));
    this.daemon(["python3", join(FAKES, "aws", "imds.py"), SERVICES_IP, String(PORTS.imds), identities]);
    await waitFor(
      "the metadata stand-in",
      () => this.inServices(["curl", "-s", "-o", "/dev/null", `http://${SERVICES_IP}:${PORTS.imds}/`]).status === 0,
      10000,
      100,
    );
    return this.cloud;
  }

  get awsEndpoint() {
    return `http://${SERVICES_IP}:${PORTS.moto}`;
  }

  /** The AWS CLI against moto, from the services namespace. */
  aws(args: string[]) {
    return motoAwsJson(this.awsEndpoint, "us-east-1", args, ["ip", "netns", "exec", this.servicesNs]);
  }

  /** The node settings that point a node at this lab instead of the internet and AWS. */
  settings(): Record<string, string> {
    const d = this.downloads!;
    return {
      IMDS_ENDPOINT: `http://${SERVICES_IP}:${PORTS.imds}`,
      CONTAINERD_RELEASES: http(d.containerdReleases),
      CONTAINERD_SHA256: d.sha256.containerd,
      RUNC_RELEASES: http(d.runcReleases),
      RUNC_SHA256: d.sha256.runc,
      ETCD_RELEASES: http(d.etcdReleases),
      ETCD_RELEASE_SHA256: d.sha256.etcd,
    };
  }
  kubernetesRepo(minor: number) {
    return http(`/pkgs/core:/stable:/v1.${minor}/deb/`);
  }

  node(name: string, ip: string): NodeRoot {
    const node = new NodeRoot(this, name, ip, `${this.prefix}-n${this.nodes.length}`, join(this.root, "nodes", name));
    attachNode(this.prefix, node.ns, `${this.prefix}v${this.nodes.length}`, ip, 16);
    this.nodes.push(node);
    return node;
  }

  archiveKeyring(): Buffer {
    return this.key!.keyring();
  }

  destroy() {
    for (const n of this.nodes) n.shutdown();
    for (const d of this.daemons) d.kill("SIGKILL");
    removeNamespaces(this.prefix);
    // KHA_KEEP_BOOT_LAB=1 keeps every node's changes for a look after a failure.
    if (process.env.KHA_KEEP_BOOT_LAB) console.log(`boot lab kept in ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

function readdirDebs(dir: string): string[] {
  return execFileSync("sh", ["-c", `ls "${dir}"/*.deb`], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
}

export interface BootResult {
  readonly booted: boolean;
  readonly output: string;
}

/** One node: its overlay root (DIR/upper holds every change its boots made) and its network namespace. */
export class NodeRoot {
  readonly upper: string;
  private driver?: ChildProcess;
  private output = "";

  constructor(
    readonly lab: BootLab,
    readonly name: string,
    readonly ip: string,
    readonly ns: string,
    readonly dir: string,
  ) {
    this.upper = join(dir, "upper");
    for (const d of ["upper", "work", "merged"]) mkdirSync(join(dir, d), { recursive: true });
  }

  /** Writes a file into the image (before its first boot). */
  put(path: string, content: string | Buffer, mode = 0o644) {
    const target = join(this.upper, path);
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, content, { mode });
  }

  /**
   * The image: this machine's root with the distribution's sources replaced by the lab's archive, an
   * fstab with swap (as a cloud image may have), the stand-ins over the kernel and service tools,
   * Ubuntu 24.04's cgroups for the kubeadm stand-in's SystemVerification, the NoCloud seed holding the
   * user data as EC2 delivers it (gzip'd), and cloud-init's module lists limited to the modules this
   * user data uses plus the script runners (disk, ssh and apt modules would act on this machine).
   */
  prepareImage(userData: string, options: { purge?: string[]; removeUsers?: string[]; instanceId: string }) {
    this.put("var/lib/cloud/seed/nocloud/user-data", gzipSync(userData));
    this.put(
      "var/lib/cloud/seed/nocloud/meta-data",
      `instance-id: ${options.instanceId}\nlocal-hostname: ${this.name}\n`,
    );
    this.put(
      "etc/cloud/cloud.cfg.d/99-rehearsal.cfg",
      [
        "datasource_list: [NoCloud]",
        "cloud_init_modules: [bootcmd, write_files, set_hostname, update_hostname, update_etc_hosts, users_groups]",
        "cloud_config_modules: [runcmd]",
        "cloud_final_modules: [write_files_deferred, scripts_per_once, scripts_per_boot, scripts_per_instance, scripts_user, final_message]",
        "users: []",
        "",
      ].join("\n"),
    );
    for (const tool of ["modprobe", "sysctl", "swapoff"])
      this.put(`usr/sbin/${tool}`, readFileSync(join(FAKES, "node", tool)), 0o755);
    this.put("usr/bin/snap", readFileSync(join(FAKES, "node", "snap")), 0o755);
    this.put("usr/bin/systemctl", readFileSync(join(FAKES, "systemctl")), 0o755);
    // A chroot starts no daemons from package scripts (Debian's convention); systemd would, in its own way.
    this.put("usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755);
    this.put(
      "etc/systemctl-standin.conf",
      "SYSTEMCTL_STANDIN_RUN='kubeadm-ha-bootstrap.service kubelet.service containerd.service etcd.service'\nSYSTEMCTL_STANDIN_LOG=/var/log/standin/systemctl\nSYSTEMCTL_STANDIN_TIME_SCALE=0\n",
    );
    this.put(
      "etc/fstab",
      "# <file system> <mount point> <type> <options> <dump> <pass>\nLABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1\n/swap.img none swap sw 0 0\n",
    );
    this.put("usr/share/keyrings/rehearsal-archive-keyring.gpg", this.lab.archiveKeyring());
    this.put(
      "etc/apt/sources.list.d/ubuntu.sources",
      `Types: deb\nURIs: ${http("/archive")}\nSuites: noble\nComponents: main\nSigned-By: /usr/share/keyrings/rehearsal-archive-keyring.gpg\n`,
    );
    const identity = this.lab.cloud!.instances[this.ip];
    this.put(
      "etc/kubeadm-standin.env",
      `FAKE_WORLD=/var/lib/kubeadm-standin/world\nFAKE_NODE_IP=${this.ip}\nFAKE_NODE_NAME=${this.name}\nSWAPS_FILE=/run/standin/swaps\n` +
        "MOUNTS_FILE=/usr/local/lib/rehearsal/mounts\nCGROUP_DIR=/usr/local/lib/rehearsal/cgroup\n",
    );
    // kubeadm's SystemVerification sees an Ubuntu 24.04 node's cgroups, not this machine's (the node's
    // /sys is a fresh sysfs with nothing mounted at /sys/fs/cgroup; this machine's may be cgroup v1).
    this.put("usr/local/lib/rehearsal/mounts", UBUNTU_CGROUPS.mounts);
    for (const [path, content] of Object.entries(UBUNTU_CGROUPS.hierarchy))
      this.put(`usr/local/lib/rehearsal/cgroup/${path}`, content);
    const awsCli = execFileSync("sh", ["-c", "command -v aws"], { encoding: "utf8" }).trim();
    const realAws = execFileSync("sh", ["-c", 'pyenv which aws 2>/dev/null || readlink -f "$0"', awsCli], {
      encoding: "utf8",
    }).trim();
    this.put(
      "etc/standin-aws.env",
      `STANDIN_AWS_CLI=${realAws}\nAWS_ENDPOINT_URL=${this.lab.awsEndpoint}\n` +
        Object.entries(MOTO_CREDENTIALS)
          .map(([key, value]) => `${key}=${value}\n`)
          .join(""),
    );
    this.put(
      "usr/local/lib/rehearsal/image-setup.sh",
      [
        "#!/bin/bash",
        "set -e",
        "# This machine's own apt sources and anything a cloud image would not have are not the image's.",
        "rm -f /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.list",
        "# A new instance's package logs hold nothing of this machine's history.",
        ": >/var/log/apt/history.log; : >/var/log/dpkg.log",
        ...(options.purge?.length ? [`dpkg --purge --force-depends ${options.purge.join(" ")} >/dev/null`] : []),
        ...(options.removeUsers ?? []).map((u) => `userdel ${u}`),
        `echo '${identity?.instanceId ?? "unknown"}' >/var/log/standin/instance-id`,
        "",
      ].join("\n"),
      0o755,
    );
  }

  /** Boots (or reboots) the node; resolves when its boot has finished, or its driver exited. */
  async boot(options: { keepRunning?: boolean; timeoutMs?: number } = {}): Promise<BootResult> {
    this.shutdown();
    const boots = Number(this.read("/var/log/standin/boots") ?? "0") + 1;
    const marker = join(this.upper, "var", "log", "standin", `booted.${boots}`);
    this.output = "";
    const driver = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.ns,
        "unshare",
        "--mount",
        "--uts",
        "--pid",
        "--fork",
        "--kill-child",
        "--propagation",
        "private",
        "bash",
        join(__dirname, "node-boot.sh"),
        this.dir,
        this.lab.world,
      ],
      { env: { ...process.env, KEEP: options.keepRunning ? "1" : "" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    driver.stdout!.on("data", (d) => (this.output += d));
    driver.stderr!.on("data", (d) => (this.output += d));
    this.driver = driver;
    const limit = Date.now() + (options.timeoutMs ?? 150_000);
    // Until the boot finishes, the driver exits, or the node is powered off (shutdown()).
    const running = () => driver.exitCode === null && driver.signalCode === null && this.driver === driver;
    while (!existsSync(marker) && running() && Date.now() < limit) await sleep(200);
    if (!options.keepRunning) {
      while (running() && Date.now() < limit) await sleep(100);
    }
    return { booted: existsSync(marker), output: this.output };
  }

  /** Runs a command inside the running node (its namespaces and root), as root: for checks after a boot with keepRunning. */
  exec(command: string) {
    const pid = spawnSync(
      "sh",
      [
        "-c",
        `for p in $(ip netns pids ${this.ns}); do [ "$(cat /proc/$p/comm)" = sleep ] && [ "$(readlink /proc/$p/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] && echo $p; done | head -n1`,
      ],
      {
        encoding: "utf8",
      },
    ).stdout.trim();
    if (!pid) throw new Error(`${this.name} is not running (boot it with keepRunning)`);
    return spawnSync(
      "nsenter",
      ["-t", pid, "-m", "-u", "-n", "-p", "chroot", join(this.dir, "merged"), "/bin/bash", "-c", command],
      { encoding: "utf8" },
    );
  }

  /** Power off: every process of the node ends (its PID namespace goes). */
  shutdown() {
    if (this.driver && this.driver.exitCode === null) {
      this.driver.kill("SIGKILL");
      spawnSync("sh", ["-c", `for p in $(ip netns pids ${this.ns}); do kill -9 $p; done`]);
    }
    this.driver = undefined;
  }

  /** A file as the node sees it: from its changes, else from the image. */
  read(path: string): string | undefined {
    const mine = join(this.upper, path);
    if (existsSync(mine)) return readFileSync(mine, "utf8");
    return undefined;
  }
  /** Mode (octal string), owner and group of a file the boot created or changed. */
  stat(path: string): { mode: string; uid: number; gid: number } | undefined {
    const mine = join(this.upper, path);
    if (!existsSync(mine) && !isSymlink(mine)) return undefined;
    const s = statSync(mine);
    return { mode: (s.mode & 0o7777).toString(8).padStart(4, "0"), uid: s.uid, gid: s.gid };
  }
  /** Where a symlink the boot made points (systemctl enable's links), or undefined. */
  link(path: string): string | undefined {
    const mine = join(this.upper, path);
    return isSymlink(mine) ? readlinkSync(mine) : undefined;
  }
  lines(path: string): string[] {
    return (this.read(path) ?? "").split("\n").filter(Boolean);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
