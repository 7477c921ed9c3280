/**
 * Network namespaces for the system tests: one switch namespace <prefix>-sw holding a bridge, and
 * nodes attached to it by veth pairs (eth0 inside the node). Everything a lab creates carries its
 * prefix, so removeNamespaces(prefix) finds and removes it all, leftovers of a crashed run included.
 */
import { execFileSync } from "child_process";
import { readFileSync } from "fs";

export function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8" });
}

/** Kills every process inside the prefix's namespaces, then deletes the namespaces. */
export function removeNamespaces(prefix: string) {
  for (const name of ip("netns", "list")
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`${prefix}-`))) {
    for (const pid of ip("netns", "pids", name).split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    ip("netns", "del", name);
  }
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

/** Pids of processes named `comm` inside namespace `ns`. */
export function pidsIn(ns: string, comm: string): number[] {
  return ip("netns", "pids", ns)
    .split("\n")
    .filter(Boolean)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
      } catch {
        return false;
      }
    })
    .map(Number);
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
