/**
 * The address plan, in one place: which subnet each node goes in and at which host offset, the
 * addresses AWS and the nodes already hold, and the ranges an address must stay out of.
 */
import { cidrContains, cidrHost, parseCidr, parseIpv4 } from "./cidr";
import { Problem } from "./rules";
import { SubnetSpec } from "./types";

/** Host offsets in a subnet: AWS keeps 0-3 (network, router, DNS, future) and the last address. */
export const HOST_OFFSETS = {
  /** A secondary-IP VIP, in the load balancers' (or control plane's) subnet. */
  vip: 9,
  controlPlane: 10,
  loadBalancer: 20,
  etcd: 30,
} as const;

/** Node `index` of a kind: round-robin over the subnets, the next offset on each lap. */
export function placement(
  index: number,
  subnetCount: number,
  firstOffset: number,
): { subnetIndex: number; offset: number } {
  const n = Math.max(subnetCount, 1);
  return { subnetIndex: index % n, offset: firstOffset + Math.floor(index / n) };
}

/**
 * Address of host `offset` in private subnet `subnetIndex`; a subnet too small for it is a problem of
 * its CIDR. The CIDRs are literal (shape.ts refuses a token there: the addresses go into user data).
 */
export function addressPlan(subnets: SubnetSpec[], problem: Problem): (subnetIndex: number, offset: number) => string {
  return (subnetIndex, offset) => {
    const cidr = subnets[subnetIndex].cidrBlock;
    const parsed = parseCidr(cidr);
    if (!parsed) return "0.0.0.0"; // its own problem is reported with the subnet
    if (offset > 2 ** (32 - parsed.prefix) - 2) {
      problem(
        `network.privateSubnets[${subnetIndex}].cidrBlock`,
        `"${cidr}" is too small: this cluster places a node at host ${offset} of it. Use subnets of /26 or larger.`,
      );
      return "0.0.0.0";
    }
    return cidrHost(cidr, offset);
  };
}

/** Ranges no address of ours may be in: they never reach an instance (loopback, link-local, multicast, ...). */
const SPECIAL_RANGES: [string, string][] = [
  ["0.0.0.0/8", "the unspecified range"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (the instance metadata lives there)"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved (and the broadcast address)"],
];

/**
 * Why a VIP may not be `vip`, if it may not: a special range, an address AWS keeps in `subnet`
 * (its first four and its last), or an address a node holds.
 */
export function vipConflict(
  vip: string,
  subnet: string | undefined,
  nodeAddresses: { name: string; address: string }[],
): string | undefined {
  const address = parseCidr(`${vip}/32`);
  if (!address) return undefined;
  for (const [range, what] of SPECIAL_RANGES)
    if (cidrContains(parseCidr(range)!, address)) return `is ${what} (${range})`;
  const net = subnet ? parseCidr(subnet) : undefined;
  if (net && cidrContains(net, address)) {
    const host = parseIpv4(vip)! - parseIpv4(subnet!.split("/")[0])!;
    const size = 2 ** (32 - net.prefix);
    const kept = [
      "the subnet's network address",
      "the VPC router",
      "the Amazon DNS server",
      "kept by AWS for future use",
    ];
    if (host < 4) return `is ${kept[host]} of "${subnet}" (AWS keeps its first four addresses)`;
    if (host === size - 1) return `is the broadcast address of "${subnet}" (AWS keeps it)`;
  }
  const holder = nodeAddresses.find((n) => n.address === vip);
  return holder ? `is ${holder.name}'s own address` : undefined;
}
