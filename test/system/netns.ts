/**
 * Network namespaces for the system tests: one switch namespace <prefix>-sw holding a bridge, and
 * nodes attached to it by veth pairs (eth0 inside the node). Everything a lab creates carries its
 * prefix, so removeNamespaces(prefix) finds and removes it all, leftovers of a crashed run included.
 */
import { execFileSync, spawnSync } from "child_process";
import { readFileSync, readdirSync } from "fs";

export function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8" });
}

/** Kills every process inside the prefix's namespaces, then deletes the namespaces. */
export function removeNamespaces(prefix: string) {
  for (const name of ip("netns", "list")
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`${prefix}-`))) {
    killProcesses(ip("netns", "pids", name).split("\n").filter(Boolean).map(Number));
    ip("netns", "del", name);
  }
  // A run killed while attaching a node leaves its veth pair in this namespace (attachNode's <prefix>v*).
  for (const link of ip("-o", "link", "show")
    .split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0])
    .filter((n) => n?.startsWith(`${prefix}v`)))
    ip("link", "del", link!);
}

/** A fresh switch: removes the prefix's leftovers, then creates <prefix>-sw with bridge br0. */
export function createSwitch(prefix: string) {
  removeNamespaces(prefix);
  const sw = `${prefix}-sw`;
  ip("netns", "add", sw);
  ip("-n", sw, "link", "add", "br0", "type", "bridge");
  ip("-n", sw, "link", "set", "br0", "up");
}

/** Namespace `ns` with eth0 (address/prefixLength) on the prefix's switch, through veth pair `veth`. */
export function attachNode(prefix: string, ns: string, veth: string, address: string, prefixLength = 24) {
  const sw = `${prefix}-sw`;
  ip("netns", "add", ns);
  ip("link", "add", veth, "type", "veth", "peer", "name", `${veth}p`);
  ip("link", "set", veth, "netns", sw);
  ip("link", "set", `${veth}p`, "netns", ns);
  ip("-n", ns, "link", "set", `${veth}p`, "name", "eth0");
  ip("-n", sw, "link", "set", veth, "master", "br0");
  ip("-n", sw, "link", "set", veth, "up");
  ip("-n", ns, "addr", "add", `${address}/${prefixLength}`, "dev", "eth0");
  ip("-n", ns, "link", "set", "eth0", "up");
  ip("-n", ns, "link", "set", "lo", "up");
}

/** A process's name (/proc/PID/comm), or "" once it is gone. */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Pids of processes named `comm` inside namespace `ns`. */
export function pidsIn(ns: string, comm: string): number[] {
  return ip("netns", "pids", ns)
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => processName(pid) === comm);
}

/**
 * Sends `signal` to the processes; for SIGKILL, returns only once every thread of each has exited
 * (a multi-threaded process's leader, node's for one, shows Z while its other threads still hold
 * its sockets open: measured in 25 of 30 kills), and throws if one outlives `limitMs`.
 */
export function killProcesses(pids: number[], signal: NodeJS.Signals = "SIGKILL", limitMs = 5000) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  const exited = (pid: number) => {
    try {
      return readdirSync(`/proc/${pid}/task`).every((task) => {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
          return /^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2)); // zombie or dead
        } catch {
          return true;
        }
      });
    } catch {
      return true;
    }
  };
  const start = Date.now();
  while (signal === "SIGKILL" && !pids.every(exited)) {
    if (Date.now() - start > limitMs)
      throw new Error(`pids ${pids.join(", ")} still running ${limitMs} ms after SIGKILL`);
    sleepSync(1);
  }
}

/** Blocks the event loop for `ms` (for loops that must not let anything else run, e.g. reap a child). */
export function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A system test's needs: root, and each tool (command name -> Debian package), or it fails naming them. */
export function requireRootAndTools(suite: string, tools: Record<string, string>) {
  const missing = Object.keys(tools).filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length)
    throw new Error(
      `${missing.join(", ")} missing: apt-get install ${[...new Set(missing.map((t) => tools[t]))].join(" ")}`,
    );
  if (process.getuid?.() !== 0) throw new Error(`the ${suite} system tests need root (namespaces)`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `condition` every `everyMs` until true; returns the ms it took, or throws after `limitMs`. */
export async function waitFor(what: string, condition: () => boolean, limitMs: number, everyMs = 20): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - start;
}
