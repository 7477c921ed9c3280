/**
 * A three-node keepalived + HAProxy lab in network namespaces, built from the rendered configs:
 * namespaces <prefix>-n0..2 (the peers, eth0 on a bridge in <prefix>-sw) and <prefix>-cl (a client),
 * addresses in 198.18.0.0/24. Each peer runs a stand-in API server (fakes/api-server.js) on :6443,
 * HAProxy and keepalived exactly as rendered, except for lab substitutions: the interface name, where
 * the scripts live, the stats socket path, HAProxy's tracked process (matched by its command line, since
 * three peers' HAProxies share this machine) and a shorter preempt delay. keepalived enters its namespace
 * itself (--namespace), as process tracking needs the kernel's process events, which only the initial
 * network namespace delivers; on an instance it runs there anyway. The VIP "move" goes to the file-backed cloud,
 * whose hook (fakes/deliver-vip) then delivers the VIP to the new master only, as AWS would: in
 * secondary-ip mode by removing it from every other peer; in route mode (a VIP outside the subnet) by
 * pointing the client's /32 route at the peer the last move named, whether or not that peer still
 * holds the VIP, as a VPC route table does.
 * Needs root, iproute2, keepalived, haproxy, curl, openssl and node. Always call destroy().
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "fs";
import { join } from "path";
import { attachNode, createSwitch, ip, killProcesses, pidsIn, removeNamespaces, sleepSync } from "./netns";
import { renderControlPlaneEnv, renderHaproxyCfg, renderKeepalivedConf } from "../../lib/render/internal";
import {
  ClusterSpec,
  KeepalivedEndpointInput,
  KeepalivedEndpointSpec,
  resolveClusterSpec,
} from "../../lib/cluster-spec";
import { USERDATA_DIR } from "../helpers";

const FAKES = join(__dirname, "fakes");
const LAB_SCRIPTS = ["common.sh", "cloud-file.sh", "check-apiserver.sh", "keepalived-notify.sh"];
/** A restarted peer waits this long before it takes the VIP back (30 s on instances). */
export const LAB_PREEMPT_DELAY_S = 2;
export type Daemon = "keepalived" | "haproxy" | "api" | "guard";
/**
 * The environment systemd gives a service such as keepalived.service: no variable but this PATH
 * (systemd.exec(5), "Environment Variables in Spawned Processes"). keepalived starts in it here too,
 * so its scripts see what they see on an instance.
 */
export const SERVICE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } as const;
/** Where node i's keepalived leaves the environment its notify scripts ran with (its last transition). */
export const NOTIFY_ENV_FILE = "state/notify.env";
/** The guard re-asserts the VIP every second in the lab (15 s on instances). */
export const LAB_REASSERT_S = 1;

/** One request of fakes/prober.js. */
export interface Probe {
  /** When it was sent and when it ended (epoch ms). */
  readonly t: number;
  readonly end: number;
  readonly ok: boolean;
  /** The backend that answered. */
  readonly by: string | null;
  /** Why it failed (ECONNRESET, ETIMEDOUT, ...), or null. */
  readonly err: string | null;
}

export class VipLab {
  readonly spec: ClusterSpec;
  readonly endpoint: KeepalivedEndpointSpec;
  readonly root = mkdtempSync("/run/kha-lab-"); // root-only: keepalived's script security insists
  readonly clientNs: string;
  private readonly daemons = new Map<string, ChildProcess>();
  /** HAProxy log lines with the time they arrived, per node. */
  readonly haproxyLog: { t: number; node: number; line: string }[] = [];
  /** keepalived's console lines with the time they arrived, per node (for diagnosing a failed run). */
  readonly keepalivedLog: { t: number; node: number; line: string }[] = [];
  private prober?: ChildProcess;
  private probes = "";

  constructor(
    readonly prefix: string,
    readonly vipMode: "secondary-ip" | "route" = "secondary-ip",
    timers: Pick<KeepalivedEndpointInput, "advertIntervalSeconds"> = {},
  ) {
    this.spec = resolveClusterSpec({
      clusterName: "lab",
      network: {
        vpcId: "vpc-lab",
        vpcCidr: "198.18.0.0/16",
        privateSubnets: [{ id: "subnet-lab", availabilityZone: "lab-1a", cidrBlock: "198.18.0.0/24" }],
      },
      spreadAcrossZones: false,
      endpoint:
        vipMode === "route"
          ? { type: "keepalived", vipMode, virtualIp: "198.19.255.10", routeTableIds: ["rtb-lab"], ...timers }
          : { type: "keepalived", vipMode, acceptSingleZone: true, ...timers },
    });
    this.endpoint = this.spec.endpoint as KeepalivedEndpointSpec;
    this.clientNs = `${prefix}-cl`;
  }

  ns(i: number) {
    return `${this.prefix}-n${i}`;
  }
  get vip() {
    return this.endpoint.virtualIp;
  }
  nodeDir(i: number) {
    return join(this.root, `n${i}`);
  }

  static removeLeftovers(prefix: string) {
    removeNamespaces(prefix);
  }

  build() {
    createSwitch(this.prefix);
    const attach = (ns: string, veth: string, address: string) => attachNode(this.prefix, ns, veth, address);
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
        join(this.root, "api.key"),
        "-out",
        join(this.root, "api.crt"),
        "-subj",
        "/CN=kube-apiserver",
      ],
      { stdio: "ignore" },
    );
    this.endpoint.peers.forEach((peer, i) => {
      attach(this.ns(i), `${this.prefix}v${i}`, peer.privateIp);
      this.writeNodeFiles(i);
    });
    attach(this.clientNs, `${this.prefix}vc`, "198.18.0.100");
    // Terraform's /32 route, first aimed at node 0.
    if (this.vipMode === "route")
      ip("-n", this.clientNs, "route", "add", `${this.vip}/32`, "via", this.endpoint.peers[0].privateIp);
  }

  private writeNodeFiles(i: number) {
    const dir = this.nodeDir(i);
    for (const d of ["etc", "scripts", "log", "state", "cloud"]) mkdirSync(join(dir, d), { recursive: true });
    for (const s of LAB_SCRIPTS) {
      copyFileSync(join(USERDATA_DIR, s), join(dir, "scripts", s));
      chmodSync(join(dir, "scripts", s), 0o755);
    }
    const node = this.spec.controlPlane[i];
    const env = renderControlPlaneEnv({
      spec: this.spec,
      node,
      endpoint: { host: this.vip, port: this.endpoint.port },
    });
    writeFileSync(
      join(dir, "etc", "node-settings.env"),
      env.replace(/^VIP_REASSERT_SECONDS='\d+'$/m, `VIP_REASSERT_SECONDS='${LAB_REASSERT_S}'`),
    );
    const scriptEnv =
      `/usr/bin/env KHA_ETC=${dir}/etc KHA_LOG=${dir}/log KHA_STATE=${dir}/state KHA_CLOUD_PROVIDER=file KHA_CLOUD_FILE_ROOT=${this.root}/cloud ` +
      `KHA_CLOUD_FILE_VIP_HOOK=${join(FAKES, "deliver-vip")} LAB_PREFIX=${this.prefix} LAB_NODE_NS=${this.ns(i)} LAB_NODE_IP=${this.endpoint.peers[i].privateIp} `;
    const keepalived = renderKeepalivedConf(this.endpoint, this.endpoint.peers[i])
      .replace(/__INTERFACE__/g, "eth0")
      .replace(/"\/opt\/kubeadm-ha\//g, `"${scriptEnv}${dir}/scripts/`)
      .replace(/^( *process) haproxy$/m, `$1 haproxy -db -f ${join(dir, "haproxy.cfg")}`)
      .replace(/^( *preempt_delay) \d+$/m, `$1 ${LAB_PREEMPT_DELAY_S}`);
    writeFileSync(
      join(dir, "keepalived.conf"),
      keepalived.replace(/^( *)(notify_backup .*)$/m, `$1notify "${dir}/scripts/capture-env.sh"\n$1$2`),
    );
    writeFileSync(join(dir, "scripts", "capture-env.sh"), `#!/bin/sh\nenv >${join(dir, NOTIFY_ENV_FILE)}\n`, {
      mode: 0o755,
    });
    writeFileSync(join(dir, "guard.sh"), `#!/bin/sh\nexec ${scriptEnv}${dir}/scripts/keepalived-notify.sh guard\n`, {
      mode: 0o755,
    });
    const backends = this.spec.controlPlane.map((n) => ({ name: n.name, address: n.privateIp }));
    writeFileSync(
      join(dir, "haproxy.cfg"),
      renderHaproxyCfg(this.endpoint.port, backends, this.spec.apiServerPort, join(dir, "haproxy.sock")),
    );
  }

  start(i: number, daemon: Daemon) {
    const dir = this.nodeDir(i);
    const commands: Record<Daemon, string[]> = {
      api: [
        "node",
        join(FAKES, "api-server.js"),
        this.spec.controlPlane[i].privateIp,
        String(this.spec.apiServerPort),
        `n${i}`,
        join(this.root, "api.key"),
        join(this.root, "api.crt"),
      ],
      haproxy: ["haproxy", "-db", "-f", join(dir, "haproxy.cfg")],
      guard: [join(dir, "guard.sh")],
      keepalived: [
        "keepalived",
        `--namespace=${this.ns(i)}`,
        "--dont-fork",
        "--log-console",
        "--vrrp",
        "-f",
        join(dir, "keepalived.conf"),
        "-p",
        join(dir, "keepalived.pid"),
        "-r",
        join(dir, "vrrp.pid"),
        "-c",
        join(dir, "checkers.pid"),
      ],
    };
    const [command, ...args] =
      daemon === "keepalived" ? commands[daemon] : ["ip", "netns", "exec", this.ns(i), ...commands[daemon]];
    const env = daemon === "keepalived" ? SERVICE_ENV : process.env;
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    const onData = (d: Buffer) => {
      const log = daemon === "haproxy" ? this.haproxyLog : daemon === "keepalived" ? this.keepalivedLog : undefined;
      for (const line of d.toString().split("\n").filter(Boolean)) log?.push({ t: Date.now(), node: i, line });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    this.daemons.set(`${i}/${daemon}`, child);
  }

  isRunning(i: number, daemon: Daemon): boolean {
    const child = this.daemons.get(`${i}/${daemon}`);
    return (
      child !== undefined && child.exitCode === null && child.signalCode === null && this.pidsOf(i, daemon).length > 0
    );
  }

  private pidsOf(i: number, daemon: Daemon): number[] {
    const names: Record<Daemon, string> = {
      keepalived: "keepalived",
      haproxy: "haproxy",
      api: "node",
      guard: "keepalived-noti",
    };
    return pidsIn(this.ns(i), names[daemon]);
  }

  /**
   * Kills daemons of node i: every process of theirs in the namespace (keepalived forks a VRRP child).
   * The processes are looked up first, so `signalled` is the moment the signals went out; `gone` is
   * when every thread of theirs had exited (for SIGKILL; on a busy machine that takes up to tens of
   * ms), so a test can tell requests in flight at the death from requests sent after it.
   */
  kill(i: number, daemons: Daemon[], signal: NodeJS.Signals = "SIGKILL"): { signalled: number; gone: number } {
    const pids = daemons.flatMap((d) => this.pidsOf(i, d));
    const signalled = Date.now();
    killProcesses(pids, signal);
    return { signalled, gone: Date.now() };
  }

  /**
   * Starves node i's keepalived, and the check scripts it forks, to `quotaMs` of CPU time per second
   * (a cgroup v1 CFS quota: once spent, nothing runs until the next second, as a burstable instance
   * out of credits or a paused one). Returns the function that gives the CPU back and tells how often
   * and how long the group was throttled (cpu.stat), the proof the starvation bit.
   */
  starve(i: number, quotaMs: number): () => { throttledPeriods: number; throttledMs: number } {
    const group = `/sys/fs/cgroup/cpu/${this.prefix}-starved`;
    mkdirSync(group, { recursive: true }); // a crashed run may have left it
    writeFileSync(join(group, "cpu.cfs_period_us"), "1000000");
    writeFileSync(join(group, "cpu.cfs_quota_us"), String(quotaMs * 1000));
    for (const pid of this.pidsOf(i, "keepalived")) writeFileSync(join(group, "cgroup.procs"), String(pid));
    // A check script may be forked into the group while its members move out: retry until it is empty.
    return () => {
      const stat = Object.fromEntries(
        readFileSync(join(group, "cpu.stat"), "utf8")
          .trim()
          .split("\n")
          .map((l) => l.split(" ")),
      );
      const throttled = { throttledPeriods: Number(stat.nr_throttled), throttledMs: Number(stat.throttled_time) / 1e6 };
      for (let attempt = 0; ; attempt++) {
        for (const pid of readFileSync(join(group, "cgroup.procs"), "utf8").split("\n").filter(Boolean))
          try {
            writeFileSync("/sys/fs/cgroup/cpu/cgroup.procs", pid);
          } catch {
            /* exited meanwhile */
          }
        try {
          rmdirSync(group);
          return throttled;
        } catch (e) {
          if (attempt >= 50) throw e;
          sleepSync(20);
        }
      }
    };
  }

  /** Whether node i's interface carries the VIP (as keepalived puts it, /32, or as a static address). */
  holdsVip(i: number): boolean {
    return ip("-n", this.ns(i), "-o", "-4", "addr", "show", "dev", "eth0").includes(` ${this.vip}/`);
  }

  /** The nodes whose interface carries the VIP. */
  vipHolders(): number[] {
    return this.endpoint.peers.map((_, i) => i).filter((i) => this.holdsVip(i));
  }

  /** Node i loses its power: every daemon of it dies at once, and its interface goes down with no address. */
  powerOff(i: number) {
    this.kill(i, ["keepalived", "haproxy", "api", "guard"]);
    ip("-n", this.ns(i), "link", "set", "eth0", "down");
    ip("-n", this.ns(i), "addr", "flush", "dev", "eth0");
  }

  /**
   * Node i's network comes up as cloud-init configures it at boot: its own address (DHCP on an
   * instance) and every static address of the rendered network config, before any daemon starts.
   */
  bootNetwork(i: number, staticAddresses: string[]) {
    ip("-n", this.ns(i), "addr", "add", `${this.endpoint.peers[i].privateIp}/24`, "dev", "eth0");
    for (const address of staticAddresses) ip("-n", this.ns(i), "addr", "add", address, "dev", "eth0");
    ip("-n", this.ns(i), "link", "set", "eth0", "up");
  }

  startProber(durationMs: number) {
    this.prober = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.clientNs,
        "node",
        join(FAKES, "prober.js"),
        `https://${this.vip}:${this.endpoint.port}/readyz`,
        "50",
        "300",
        String(durationMs),
      ],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    this.prober.stdout!.on("data", (d) => (this.probes += d));
  }

  probesSince(t: number): Probe[] {
    return this.probes
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Probe)
      .filter((p) => p.t >= t);
  }

  /** The node the (file-backed) cloud delivers the VIP to. */
  cloudVipOwner(): string {
    return readFileSync(join(this.root, "cloud", "vip", this.vip), "utf8").trim();
  }
  setCloudVipOwner(node: string) {
    writeFileSync(join(this.root, "cloud", "vip", this.vip), `${node}\n`);
  }

  vipMoves(): string {
    try {
      return readFileSync(join(this.root, "cloud", "vip", `${this.vip}.log`), "utf8");
    } catch {
      return "";
    }
  }

  destroy() {
    this.prober?.kill("SIGKILL");
    for (const child of this.daemons.values()) child.kill("SIGKILL");
    VipLab.removeLeftovers(this.prefix);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Client-observed outage after time t: from the first failed request to the next success. */
export function outage(probes: Probe[]): { outageMs: number; failed: number } {
  const firstFail = probes.findIndex((p) => !p.ok);
  if (firstFail < 0) return { outageMs: 0, failed: 0 };
  const recovered = probes.findIndex((p, i) => i > firstFail && p.ok);
  if (recovered < 0) return { outageMs: Infinity, failed: probes.length - firstFail };
  return {
    outageMs: probes[recovered].t - probes[firstFail].t,
    failed: probes.slice(firstFail, recovered).filter((p) => !p.ok).length,
  };
}
