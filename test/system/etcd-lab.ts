/**
 * A three-member external etcd cluster in network namespaces, bootstrapped by the real
 * userdata/bootstrap-etcd.sh with the rendered flags: namespaces <prefix>-m0..2 (the members, at
 * their spec addresses in 198.18.0.0/24) and <prefix>-cl (a client at a control-plane address).
 * Lab substitutions only: file paths moved under a temporary folder, the file-backed cloud, the
 * etcd from Debian's package instead of the release download, and fakes/start-etcd for systemctl.
 * With `systemd: true` each member is a node under real systemd (systemd-host.ts) instead: etcd's
 * files at their real paths, the rendered unit, and the script's own systemctl calls.
 * Needs root, iproute2, etcd-server, etcd-client, openssl, curl and node (and util-linux and systemd
 * for `systemd`). Always call destroy().
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "fs";
import { join } from "path";
import {
  DeployValues,
  renderClusterDeploySettings,
  renderControlPlaneEnv,
  ETCD_PATHS,
  renderEtcdEnv,
  renderEtcdMemberEnv,
  renderEtcdUnit,
} from "../../lib/render/internal";
import { ClusterSpec, ExternalEtcdSpec, resolveClusterSpec } from "../../lib/cluster-spec";
import { USERDATA_DIR, nodeScriptEnv, putFileCloudDeploySettings, secretFileNames } from "../helpers";
import { attachNode, createSwitch, pidsIn, removeNamespaces } from "./netns";
import { SystemdHost } from "./systemd-host";

const FAKES = join(__dirname, "fakes");
const MEMBER_SCRIPTS = ["common.sh", "cloud-file.sh", "bootstrap-etcd.sh"];
export const SECRETS = { ca: "etcd-ca", client: "etcd-apiserver-client" };

export interface RunResult {
  readonly code: number;
  readonly output: string;
}

export class EtcdLab {
  readonly spec: ClusterSpec;
  readonly deployValues: DeployValues = {
    endpoint: { host: "api.lab.invalid", port: 6443 },
    joinSecretId: "join",
    adminKubeconfigSecretId: "admin",
    workerJoinSecretId: "worker-join",
    etcdCaSecretId: SECRETS.ca,
    etcdClientSecretId: SECRETS.client,
  };
  readonly etcd: ExternalEtcdSpec;
  readonly root = mkdtempSync("/run/kha-etcd-");
  readonly clientNs: string;
  /** The API server's view: the client secret unpacked into <root>/client. */
  readonly clientDir: string;
  private writer?: ChildProcess;
  private writes = "";
  /** The members' nodes, with `systemd: true`. */
  readonly hosts: SystemdHost[] = [];

  constructor(
    readonly prefix: string,
    readonly options: { readonly systemd?: boolean } = {},
  ) {
    this.spec = resolveClusterSpec({
      clusterName: "lab",
      network: {
        vpcId: "vpc-lab",
        vpcCidr: "198.18.0.0/16",
        privateSubnets: [{ id: "subnet-lab", availabilityZone: "lab-1a", cidrBlock: "198.18.0.0/24" }],
      },
      spreadAcrossZones: false,
      etcd: { topology: "external" },
    });
    this.etcd = this.spec.etcd as ExternalEtcdSpec;
    this.clientNs = `${prefix}-cl`;
    this.clientDir = join(this.root, "client");
  }

  ns(i: number) {
    return `${this.prefix}-m${i}`;
  }
  memberDir(i: number) {
    return join(this.root, `m${i}`);
  }
  url(i: number) {
    return `https://${this.etcd.members[i].privateIp}:${this.etcd.clientPort}`;
  }
  get endpoints() {
    return this.etcd.members.map((_, i) => this.url(i));
  }

  build() {
    createSwitch(this.prefix);
    this.etcd.members.forEach((m, i) => {
      attachNode(this.prefix, this.ns(i), `${this.prefix}v${i}`, m.privateIp);
      this.provision(i);
    });
    attachNode(this.prefix, this.clientNs, `${this.prefix}vc`, this.spec.controlPlane[0].privateIp);
    // The secrets exist from the start, empty (Terraform creates them before any instance).
    mkdirSync(join(this.root, "cloud", "secrets"), { recursive: true });
    for (const id of Object.values(SECRETS)) writeFileSync(join(this.root, "cloud", "secrets", id), "");
    // etcd runs as the etcd user (as its unit says): it must be able to reach its data and keys.
    chmodSync(this.root, 0o755);
    if (this.options.systemd) this.etcd.members.forEach((_, i) => this.bootNode(i));
  }

  /** Member i's node under real systemd: what cloud-init writes for etcd at its real paths, and etcd installed. */
  private bootNode(i: number) {
    const host = new SystemdHost(this.ns(i), [this.root]);
    this.hosts[i] = host;
    host.write(ETCD_PATHS.env, renderEtcdEnv(this.spec, this.etcd, this.etcd.members[i]));
    host.write(ETCD_PATHS.unit, renderEtcdUnit());
    host.write("/usr/local/bin/etcd", readFileSync("/usr/bin/etcd"), 0o755); // what install_etcd would put there
    host.remove("/etc/init.d/etcd"); // Debian's SysV script (systemctl enable would run update-rc.d for it); an instance has none
    host.boot();
  }

  /** A fresh instance for member i: only what cloud-init writes (no data, no certificates). */
  provision(i: number) {
    const dir = this.memberDir(i);
    rmSync(dir, { recursive: true, force: true });
    for (const d of ["etc", "scripts", "log", "state", "run", "pki"]) mkdirSync(join(dir, d), { recursive: true });
    chmodSync(dir, 0o755);
    const member = this.etcd.members[i];
    putFileCloudDeploySettings(join(this.root, "cloud"), this.spec, this.deployValues);
    writeFileSync(join(dir, "etc", "node-settings.env"), renderEtcdMemberEnv({ spec: this.spec, member }));
    writeFileSync(
      join(dir, "etc", "etcd.env"),
      renderEtcdEnv(this.spec, this.etcd, member, { data: join(dir, "data"), pki: join(dir, "pki") }),
    );
    for (const s of MEMBER_SCRIPTS) copyFileSync(join(USERDATA_DIR, s), join(dir, "scripts", s));
  }

  /** bootstrap-etcd.sh's settings: the lab's paths and cloud, etcd installed; systemctl or its stand-in. */
  private memberEnv(i: number): Record<string, string> {
    const dir = this.memberDir(i);
    const { PATH, ...settings }: Record<string, string> = {
      ...nodeScriptEnv(dir, join(this.root, "cloud")),
      KHA_JOIN_DEADLINE: "90",
      KHA_ETCD_INSTALL_CMD: "true",
      // The members share this machine's /etc/hosts and packages: the boot rehearsal (an isolated root) covers them.
      KHA_NAMES_AND_TIME_CMD: "true",
    };
    if (this.options.systemd) return settings; // the node's own PATH, etcd's real paths, real systemctl
    return {
      PATH,
      ...settings,
      KHA_ETCD_START_CMD: join(FAKES, "start-etcd"),
      KHA_ETCD_ENV_FILE: join(dir, "etc", "etcd.env"),
      KHA_ETCD_STATE_FILE: join(dir, "etc", "state.env"),
      ETCD_LOG: join(dir, "log", "etcd.log"),
    };
  }

  /** Runs bootstrap-etcd.sh as cloud-init would, inside member i's namespace (or node). */
  bootstrap(i: number, env: Record<string, string> = {}): Promise<RunResult> {
    const dir = this.memberDir(i);
    if (this.options.systemd)
      return this.hosts[i].run(["bash", join(dir, "scripts", "bootstrap-etcd.sh")], { ...this.memberEnv(i), ...env });
    const child = spawn("ip", ["netns", "exec", this.ns(i), "bash", join(dir, "scripts", "bootstrap-etcd.sh")], {
      env: { ...this.memberEnv(i), ...env },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, output })));
  }

  /** What systemd's Restart=always does after a crash: start etcd again with the same files. */
  restart(i: number) {
    const run = spawnSync("ip", ["netns", "exec", this.ns(i), join(FAKES, "start-etcd")], {
      env: this.memberEnv(i),
      encoding: "utf8",
    });
    if (run.status !== 0) throw new Error(`start-etcd failed: ${run.stderr}`);
  }

  kill(i: number) {
    for (const pid of pidsIn(this.ns(i), "etcd")) process.kill(pid, "SIGKILL");
  }
  isRunning(i: number) {
    return pidsIn(this.ns(i), "etcd").length > 0;
  }

  /** Unpacks the client secret as a control-plane node does (bootstrap-control-plane.sh). */
  unpackClientSecret(): string[] {
    mkdirSync(this.clientDir, { recursive: true });
    const secret = readFileSync(join(this.root, "cloud", "secrets", SECRETS.client));
    spawnSync("bash", ["-c", `base64 -d | tar -C '${this.clientDir}' -xzf -`], { input: secret });
    return secretFileNames(secret);
  }

  /**
   * Control-plane node 0 of the lab, in the client namespace: its rendered settings and
   * bootstrap-control-plane.sh sourced, so that single functions can be run against the real etcd
   * after the script's own external-etcd step (the client secret fetched and unpacked, etcd healthy).
   */
  controlPlaneNode() {
    const dir = join(this.root, "cp0");
    for (const d of ["etc", "scripts", "log", "state", "run", "kube/pki/etcd"])
      mkdirSync(join(dir, d), { recursive: true });
    const node = this.spec.controlPlane[0];
    const endpoint = { host: "api.lab.invalid", port: 6443 };
    writeFileSync(join(dir, "etc", "node-settings.env"), renderControlPlaneEnv({ spec: this.spec, node, endpoint }));
    // The functions run without the script's deploy-settings step: the settings it would have fetched.
    writeFileSync(join(dir, "etc", "deploy-settings.env"), renderClusterDeploySettings(this.spec, this.deployValues));
    for (const s of ["common.sh", "cloud-file.sh", "kubeadm-common.sh", "bootstrap-control-plane.sh"])
      copyFileSync(join(USERDATA_DIR, s), join(dir, "scripts", s));
    const scriptEnv = nodeScriptEnv(dir, join(this.root, "cloud"));
    return {
      run: (fn: string) =>
        spawnSync(
          "ip",
          [
            "netns",
            "exec",
            this.clientNs,
            "bash",
            "-c",
            `. "$1"; wait_external_etcd 2>/dev/null; ${fn}`,
            "bash",
            join(dir, "scripts", "bootstrap-control-plane.sh"),
          ],
          {
            env: scriptEnv,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
          },
        ),
      markInitStarted: () => writeFileSync(join(dir, "state", "init-started"), ""),
    };
  }

  /** etcdctl from the client namespace with the API server's certificate (or `auth` files). */
  etcdctl(args: string[], auth?: { cacert: string; cert?: string; key?: string }, endpoints = this.endpoints) {
    const files = auth ?? {
      cacert: join(this.clientDir, "ca.crt"),
      cert: join(this.clientDir, "apiserver-etcd-client.crt"),
      key: join(this.clientDir, "apiserver-etcd-client.key"),
    };
    const tls = [`--cacert=${files.cacert}`, ...(files.cert ? [`--cert=${files.cert}`, `--key=${files.key}`] : [])];
    return spawnSync(
      "ip",
      [
        "netns",
        "exec",
        this.clientNs,
        "etcdctl",
        `--endpoints=${endpoints.join(",")}`,
        ...tls,
        "--dial-timeout=2s",
        "--command-timeout=3s",
        ...args,
      ],
      {
        env: { ...process.env, ETCDCTL_API: "3" },
        encoding: "utf8",
      },
    );
  }

  /** Members as the cluster lists them: [id, status, name, peer URL]. */
  memberList(endpoints = this.endpoints): string[][] {
    const run = this.etcdctl(["member", "list", "-w", "simple"], undefined, endpoints);
    if (run.status !== 0) throw new Error(`member list failed: ${run.stderr}`);
    return run.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(", ").slice(0, 4));
  }

  healthy(i: number): boolean {
    return this.etcdctl(["endpoint", "health"], undefined, [this.url(i)]).status === 0;
  }

  /** Index of the leader; `endpoint status -w simple` prints "URL, ID, VERSION, SIZE, IS_LEADER, ...". */
  leader(): number {
    const run = this.etcdctl(["endpoint", "status", "-w", "simple"]);
    const line = run.stdout.split("\n").find((l) => l.split(", ")[4] === "true");
    if (!line) throw new Error(`no leader in: ${run.stdout}${run.stderr}`);
    return this.endpoints.indexOf(line.split(", ")[0]);
  }

  startWriter(durationMs: number, intervalMs = 50, timeoutMs = 1000) {
    const c = this.clientDir;
    this.writes = "";
    this.writer = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.clientNs,
        "node",
        join(FAKES, "etcd-writer.js"),
        this.endpoints.join(","),
        join(c, "ca.crt"),
        join(c, "apiserver-etcd-client.crt"),
        join(c, "apiserver-etcd-client.key"),
        String(intervalMs),
        String(timeoutMs),
        String(durationMs),
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    this.writer.stdout!.on("data", (d) => (this.writes += d));
    return new Promise<{ t: number; ok: boolean; by: string }[]>((resolve) =>
      this.writer!.on("close", () =>
        resolve(
          this.writes
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        ),
      ),
    );
  }

  status(i: number): string | undefined {
    const f = join(this.root, "cloud", "status", this.etcd.members[i].name);
    return existsSync(f) ? readFileSync(f, "utf8").trim() : undefined;
  }
  logs(i: number): string {
    const logDir = join(this.memberDir(i), "log");
    return readdirSync(logDir)
      .filter((f) => f !== "etcd.log")
      .map((f) => readFileSync(join(logDir, f), "utf8"))
      .join("\n");
  }
  /** The secret has a value (they all exist, empty, from the start). */
  hasSecret(id: string): boolean {
    const f = join(this.root, "cloud", "secrets", id);
    return existsSync(f) && readFileSync(f).length > 0;
  }
  /** The next `times` calls of a cloud operation fail as if AWS throttled them (cloud-file.sh). */
  throttle(operation: string, times: number) {
    mkdirSync(join(this.root, "cloud", "throttle"), { recursive: true });
    writeFileSync(join(this.root, "cloud", "throttle", operation), String(times));
  }
  secret(id: string): Buffer {
    return readFileSync(join(this.root, "cloud", "secrets", id));
  }

  destroy() {
    this.writer?.kill("SIGKILL");
    for (const host of this.hosts) host.destroy();
    removeNamespaces(this.prefix); // kills every etcd started inside
    rmSync(this.root, { recursive: true, force: true });
  }
}
