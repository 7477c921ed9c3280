/**
 * What both flavours' "a synth says nothing" tests share: every topology, and the console lines a
 * piece of code prints (a framework warning is a failure, so tests collect and compare them).
 */
import { ClusterInput } from "../lib/cluster-spec";

export const EVERY_TOPOLOGY: [string, ClusterInput][] = [
  ["the default cluster", {}],
  ["external etcd", { etcd: { topology: "external" } }],
  [
    "keepalived on dedicated load balancers, route mode",
    { endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } },
  ],
  [
    "keepalived on dedicated load balancers, the VIP a secondary IP",
    { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
  ],
];

/** Runs `fn` with the console captured; returns every line printed, and the error `fn` threw, if any. */
export function printedDuring(fn: () => void): string[] {
  const printed: string[] = [];
  const spies = (["error", "warn", "log", "info"] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args.join(" "))),
  );
  try {
    fn();
  } catch (e) {
    printed.push(String(e));
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return printed;
}
