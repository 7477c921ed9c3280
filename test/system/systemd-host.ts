/**
 * A node whose units run under real systemd (this machine's, 252) as PID 1: an overlay of this
 * machine's root (every change lands in DIR/upper) in new mount, PID, UTS, IPC and cgroup namespaces,
 * inside a network namespace the caller made. The units' sandboxing (ProtectSystem=, User=,
 * RestrictAddressFamilies=, CapabilityBoundingSet=, ...) is applied by systemd itself, as on an
 * instance. Kept off the shared machine: the machine's own services are disabled; what acts on the
 * kernel (sysctls, modules, binfmt, the clock) is masked, and PID 1 runs without CAP_SYS_MODULE,
 * CAP_SYS_TIME and CAP_SYS_RAWIO; /proc/sys and /sys are read-only; the console is /dev/null; each
 * node has its own cgroup (removed with it); `container=` tells systemd where it runs. Commands enter
 * the node with nsenter. Needs root, util-linux and systemd.
 */
import { ChildProcess, SpawnSyncReturns, execFileSync, spawn, spawnSync } from "child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from "fs";
import { basename, dirname, join } from "path";
import { killProcesses, processName, sleepSync } from "./netns";

/** Masked on the node: gettys, the template the machine's PostgreSQL generator starts, what acts on the shared kernel. */
const MASKED = [
  "getty@.service",
  "console-getty.service",
  "serial-getty@.service",
  "postgresql@.service",
  "systemd-timesyncd.service",
  "systemd-modules-load.service",
  "systemd-sysctl.service",
  "systemd-binfmt.service",
  "systemd-pstore.service",
  "systemd-firstboot.service",
  "systemd-repart.service",
  "kmod-static-nodes.service",
  "modprobe@.service",
];
/** The cgroup v2 hierarchy this machine mounts beside its v1 controllers (or at /sys/fs/cgroup). */
const CGROUP2 = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].find((d) => {
  try {
    return readFileSync("/proc/mounts", "utf8").includes(` ${d} cgroup2 `);
  } catch {
    return false;
  }
});
const NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The machine's enabled units, as their links (multi-user.target.wants/etcd.service, ...). */
function enabledMachineUnitLinks(): string[] {
  const root = "/etc/systemd/system";
  return readdirSync(root)
    .filter((d) => d.endsWith(".wants") || d.endsWith(".requires"))
    .flatMap((d) => readdirSync(join(root, d)).map((unit) => join(root, d, unit)));
}

export class SystemdHost {
  readonly dir = mkdtempSync("/run/kha-sd-");
  private unshare?: ChildProcess;
  private pid1 = 0;

  /** `binds`: host folders shown at the same path inside (a lab's files, its file-backed cloud). */
  constructor(
    readonly ns: string,
    readonly binds: string[] = [],
  ) {
    for (const d of ["upper", "work", "merged"]) mkdirSync(join(this.dir, d));
    for (const link of enabledMachineUnitLinks()) this.remove(link); // disabled, not masked: a node may install its own
    for (const unit of MASKED) symlinkSync("/dev/null", join(this.mkdirs("/etc/systemd/system"), unit));
  }

  private mkdirs(path: string): string {
    const target = join(this.dir, "upper", path);
    mkdirSync(target, { recursive: true });
    return target;
  }

  /** Puts a file into the node's root before it boots (overlayfs forbids writing the upper layer after). */
  write(path: string, content: string | Buffer, mode = 0o644) {
    const target = this.upperPath(path);
    rmSync(target, { force: true }); // a whiteout or a mask
    writeFileSync(target, content, { mode });
  }

  /** Removes a file of this machine's root from the node's (an overlay whiteout), before boot. */
  remove(path: string) {
    const target = this.upperPath(path);
    rmSync(target, { force: true });
    execFileSync("mknod", [target, "c", "0", "0"]);
  }

  private upperPath(path: string): string {
    if (this.pid1) throw new Error(`${path}: change files before boot(), or with exec() after`);
    return join(this.mkdirs(dirname(path)), basename(path));
  }

  /** Boots systemd to multi-user.target (again, after powerOff()) and waits until it has finished starting up. */
  boot() {
    if (!CGROUP2) throw new Error("no cgroup2 hierarchy is mounted (systemd needs one)");
    const m = join(this.dir, "merged");
    mkdirSync(this.cgroup);
    writeFileSync(
      join(this.dir, "boot.sh"),
      [
        "set -euo pipefail",
        `mount -t overlay overlay -o "lowerdir=/,upperdir=${this.dir}/upper,workdir=${this.dir}/work" ${m}`,
        `mount -t proc proc ${m}/proc`,
        `mount --bind -o ro ${m}/proc/sys ${m}/proc/sys`,
        `mount --rbind /dev ${m}/dev`,
        `mount --bind /dev/null ${m}/dev/console`,
        `mount -t sysfs -o ro sysfs ${m}/sys`,
        `mount -t cgroup2 cgroup2 ${m}/sys/fs/cgroup`,
        `mount -t tmpfs -o mode=0755 tmpfs ${m}/run`,
        `mount -t tmpfs tmpfs ${m}/tmp`,
        ...this.binds.map((b) => `mkdir -p ${m}${b} && mount --bind ${b} ${m}${b}`),
        `exec setpriv --bounding-set -sys_module,-sys_time,-sys_rawio chroot ${m} env -i container=kha-rehearsal /lib/systemd/systemd --system --unit=multi-user.target`,
      ].join("\n"),
    );
    // The shell moves itself into the node's cgroup first (before `ip netns exec` remounts /sys), so
    // that the cgroup namespace unshare makes is rooted there: the node's systemd manages only its subtree.
    const script = [
      `echo $$ >${this.cgroup}/cgroup.procs`,
      `exec ip netns exec ${this.ns} unshare --pid --fork --kill-child --mount --uts --ipc --cgroup --propagation private bash ${this.dir}/boot.sh 2>${this.dir}/boot.log`,
    ].join(" && ");
    this.unshare = spawn("bash", ["-c", script], { stdio: "ignore" });
    const started = Date.now();
    const fail = (why: string) => {
      const log = existsSync(join(this.dir, "boot.log")) ? readFileSync(join(this.dir, "boot.log"), "utf8") : "";
      this.destroy();
      throw new Error(`systemd in ${this.ns}: ${why}${log ? `\n${log}` : ""}`);
    };
    while (!this.pid1) {
      this.pid1 = this.processesIn().find((pid) => processName(pid) === "systemd") ?? 0;
      if (!this.pid1 && Date.now() - started > 20000) fail("did not start");
      if (!this.pid1) sleepSync(50);
    }
    // systemctl answers once PID 1 has set up its private socket (before: nothing, or "offline").
    let state = "";
    while (!["running", "degraded", "maintenance", "stopping"].includes(state) && Date.now() - started < 60000) {
      state = this.exec(["systemctl", "is-system-running", "--wait"], {}, undefined, 30000).stdout.trim();
      if (state === "" || state === "offline") sleepSync(100);
    }
    if (state !== "running")
      fail(`is ${state}; failed units:\n${this.exec(["systemctl", "list-units", "--failed", "--plain"]).stdout}`);
  }

  /** The node's own cgroup, under this machine's cgroup v2 root. */
  private get cgroup(): string {
    return join(CGROUP2!, basename(this.dir));
  }

  /** Every process of the node (its cgroup and the cgroups systemd made under it). */
  private processesIn(): number[] {
    const walk = (dir: string): number[] => {
      try {
        const entries = readdirSync(dir, { withFileTypes: true });
        return [
          ...readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number),
          ...entries.filter((e) => e.isDirectory()).flatMap((e) => walk(join(dir, e.name))),
        ];
      } catch {
        return [];
      }
    };
    return walk(this.cgroup);
  }

  /** Runs a command inside the node (its root, mounts, PID and network namespaces) as root. */
  exec(args: string[], env: Record<string, string> = {}, input?: string, timeoutMs = 60000): SpawnSyncReturns<string> {
    return spawnSync("nsenter", this.enter(args), {
      encoding: "utf8",
      input,
      env: { PATH: NODE_PATH, ...env },
      timeout: timeoutMs,
    });
  }

  /** Runs a command asynchronously inside the node (as exec()). */
  run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
    const child = spawn("nsenter", this.enter(args), { env: { PATH: NODE_PATH, ...env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, output })));
  }

  private enter(args: string[]): string[] {
    return ["-t", String(this.pid1), "-m", "-p", "-u", "-i", "-n", "-r", "-w", "--", ...args];
  }

  /** A unit's property as systemd reports it (`systemctl show -p NAME --value`). */
  show(unit: string, property: string): string {
    return this.exec(["systemctl", "show", "-p", property, "--value", unit]).stdout.trim();
  }

  /** Power loss: every process of the node killed, its mounts gone with them; its disk (DIR/upper) stays. */
  powerOff() {
    this.unshare?.kill("SIGKILL");
    const deadline = Date.now() + 10000;
    // Until the cgroup is empty: a process may fork while its siblings are being killed.
    for (let pids = this.processesIn(); pids.length && Date.now() < deadline; pids = this.processesIn())
      killProcesses(pids);
    // Deepest first: a cgroup can only be removed once its children are.
    const remove = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
      rmdirSync(dir);
    };
    if (existsSync(this.cgroup)) remove(this.cgroup);
    this.pid1 = 0;
  }

  /** Powers the node off and removes it. */
  destroy() {
    this.powerOff();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
