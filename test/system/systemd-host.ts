/**
 * A node whose units run under real systemd (this machine's, 252) as PID 1: an overlay of this
 * machine's root (every change lands in DIR/upper) in new mount, PID, UTS, IPC and cgroup namespaces,
 * inside a network namespace the caller made. The units' sandboxing (ProtectSystem=, User=,
 * RestrictAddressFamilies=, CapabilityBoundingSet=, ...) is applied by systemd itself, as on an
 * instance. The machine's own services and everything that could touch the shared kernel (sysctls,
 * modules, binfmt, the clock) are masked, /proc/sys and /sys are read-only, and `container=` tells
 * systemd where it runs. Commands enter the node with nsenter. Needs root, util-linux and systemd.
 */
import { ChildProcess, SpawnSyncReturns, execFileSync, spawn, spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { basename, dirname, join } from "path";

/** Units the node must not run: the machine's enabled services, gettys, and what acts on the shared kernel. */
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
];
const NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The machine's enabled units, as their links (multi-user.target.wants/etcd.service, ...). */
function enabledMachineUnitLinks(): string[] {
  const root = "/etc/systemd/system";
  return readdirSync(root)
    .filter((d) => d.endsWith(".wants"))
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

  /** Boots systemd to multi-user.target and waits until it has finished starting up. */
  boot() {
    const m = join(this.dir, "merged");
    const script = `set -euo pipefail
mount -t overlay overlay -o "lowerdir=/,upperdir=${this.dir}/upper,workdir=${this.dir}/work" ${m}
mount -t proc proc ${m}/proc
mount --bind -o ro ${m}/proc/sys ${m}/proc/sys
mount --rbind /dev ${m}/dev
mount -t sysfs -o ro sysfs ${m}/sys
mount -t cgroup2 cgroup2 ${m}/sys/fs/cgroup
mount -t tmpfs -o mode=0755 tmpfs ${m}/run
mount -t tmpfs tmpfs ${m}/tmp
${this.binds.map((b) => `mkdir -p ${m}${b} && mount --bind ${b} ${m}${b}`).join("\n")}
exec chroot ${m} env -i container=kha-rehearsal /lib/systemd/systemd --system --unit=multi-user.target`;
    this.unshare = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.ns,
        "unshare",
        "--pid",
        "--fork",
        "--mount",
        "--uts",
        "--ipc",
        "--cgroup",
        "--propagation",
        "private",
        "bash",
        "-c",
        script,
      ],
      { stdio: "ignore" },
    );
    const started = Date.now();
    while (!this.pid1) {
      try {
        const child = readFileSync(`/proc/${this.unshare.pid}/task/${this.unshare.pid}/children`, "utf8").trim();
        if (child && readFileSync(`/proc/${child}/comm`, "utf8").trim() === "systemd") this.pid1 = Number(child);
      } catch {
        /* not yet */
      }
      if (Date.now() - started > 20000) throw new Error(`systemd did not start in ${this.ns}`);
      if (!this.pid1) execFileSync("sleep", ["0.05"]);
    }
    // systemctl answers once PID 1 has set up its private socket; until then it fails to connect.
    let state = "";
    while (!state && Date.now() - started < 30000) {
      state = this.exec(["systemctl", "is-system-running", "--wait"]).stdout.trim();
      if (!state) execFileSync("sleep", ["0.1"]);
    }
    if (state !== "running") {
      const failed = this.exec(["systemctl", "list-units", "--failed", "--no-legend", "--plain"]).stdout;
      throw new Error(`systemd in ${this.ns} is ${state}; failed units:\n${failed}`);
    }
  }

  /** Runs a command inside the node (its root, mounts, PID and network namespaces) as root. */
  exec(args: string[], env: Record<string, string> = {}, input?: string): SpawnSyncReturns<string> {
    return spawnSync("nsenter", this.enter(args), { encoding: "utf8", input, env: { PATH: NODE_PATH, ...env } });
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

  /** Powers the node off hard: PID 1 killed takes every process of the node with it. */
  destroy() {
    if (this.pid1) {
      try {
        process.kill(this.pid1, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    this.unshare?.kill("SIGKILL");
    const deadline = Date.now() + 5000;
    while (this.pid1 && Date.now() < deadline) {
      try {
        process.kill(this.pid1, 0);
        execFileSync("sleep", ["0.05"]);
      } catch {
        break;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
