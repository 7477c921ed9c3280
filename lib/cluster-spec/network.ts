/** Where the nodes live: a new VPC planned here, or an existing one checked for completeness. */
import { cidrContains, cidrsOverlap, cidrSubnet, parseCidr } from "./cidr";
import { Literal, Problem } from "./rules";
import { ExistingNetworkInput, NetworkInput, NetworkSpec, SubnetInput, SubnetSpec } from "./types";

export const NETWORK_DEFAULTS = { vpcCidr: "10.0.0.0/16", zoneCount: 3 } as const;

function isExisting(network: NetworkInput | undefined): network is ExistingNetworkInput {
  return network !== undefined && "vpcId" in network;
}

export interface NetworkNeeds {
  /** An NLB in the private subnets, and with `internetFacing` one in the public ones: one subnet per zone each. */
  readonly nlb: boolean;
  readonly internetFacing: boolean;
}

export function resolveNetwork(
  input: NetworkInput | undefined,
  needs: NetworkNeeds,
  literal: Literal,
  problem: Problem,
): NetworkSpec {
  if (isExisting(input)) return resolveExistingNetwork(input, needs, literal, problem);

  const vpcCidr = input?.vpcCidr ?? NETWORK_DEFAULTS.vpcCidr;
  const zones = input?.availabilityZones;
  if (zones && input?.zoneCount !== undefined && input.zoneCount !== zones.length) {
    problem(
      "network.zoneCount",
      `is ${input.zoneCount} but network.availabilityZones lists ${zones.length} zones: give one of the two.`,
    );
  }
  const zoneCount = zones?.length ?? input?.zoneCount ?? NETWORK_DEFAULTS.zoneCount;
  if (!Number.isInteger(zoneCount) || zoneCount < 1 || zoneCount > 6) {
    problem("network.zoneCount", `${zoneCount} is not a number of availability zones between 1 and 6.`);
  }
  const vpc = literal(vpcCidr) ? parseCidr(vpcCidr) : undefined;
  if (literal(vpcCidr) && !vpc)
    problem("network.vpcCidr", `"${vpcCidr}" is not an IPv4 CIDR with its host bits clear (e.g. "10.0.0.0/16").`);
  if (vpc && (vpc.prefix < 16 || vpc.prefix > 20)) {
    problem(
      "network.vpcCidr",
      `"${vpcCidr}" must be a /16 to /20 (AWS allows at most /16; smaller than /20 leaves no room for the subnets).`,
    );
  }
  const plannable =
    vpc !== undefined &&
    vpc.prefix >= 16 &&
    vpc.prefix <= 20 &&
    Number.isInteger(zoneCount) &&
    zoneCount >= 1 &&
    zoneCount <= 6;
  const range = (n: number) => Array.from({ length: plannable ? n : 0 }, (_, i) => i);
  // Private subnets: the first /+4 blocks. Public: small /+8 blocks near the top of the VPC.
  const privateSubnets = range(zoneCount).map((i) => ({
    availabilityZone: zones?.[i],
    cidrBlock: cidrSubnet(vpcCidr, 4, i),
  }));
  const publicSubnets = range(zoneCount).map((i) => ({
    availabilityZone: zones?.[i],
    cidrBlock: cidrSubnet(vpcCidr, 8, 240 + i),
  }));
  return {
    mode: "new",
    vpcCidr,
    privateSubnets,
    publicSubnets,
    availabilityZones: zones,
    // Losing a zone must leave the others their egress: Session Manager, Secrets Manager and the EC2 API
    // (a VRRP master's VIP move) over HTTPS, and packages for a replacement node.
    natGatewayPerZone: input?.natGatewayPerZone ?? true,
  };
}

/** Every subnet complete (id, zone, CIDR), each once, inside the VPC, apart from the others; one per zone for a load balancer. */
function resolveExistingNetwork(
  input: ExistingNetworkInput,
  needs: NetworkNeeds,
  literal: Literal,
  problem: Problem,
): NetworkSpec {
  const vpc = literal(input.vpcCidr) ? parseCidr(input.vpcCidr) : undefined;
  if (literal(input.vpcCidr) && !vpc)
    problem("network.vpcCidr", `"${input.vpcCidr}" is not an IPv4 CIDR with its host bits clear (e.g. "10.1.0.0/16").`);
  const privateSubnets = input.privateSubnets ?? [];
  const publicSubnets = input.publicSubnets ?? [];
  if (privateSubnets.length === 0)
    problem(
      "network.privateSubnets",
      "is empty: give the private subnets the control-plane nodes should use (one per availability zone).",
    );

  const seen: { prop: string; id?: string; cidr?: ReturnType<typeof parseCidr>; text?: string }[] = [];
  const checkList = (subnets: SubnetInput[], list: string, onePerZone: boolean) => {
    const zones = new Map<string, string>();
    subnets.forEach((s, i) => {
      const prop = `${list}[${i}]`;
      for (const key of ["id", "availabilityZone", "cidrBlock"] as const) {
        if (s[key] === undefined || s[key] === "") {
          const example = {
            id: '"subnet-0123456789abcdef0"',
            availabilityZone: '"eu-west-1a"',
            cidrBlock: '"10.1.0.0/24"',
          }[key];
          problem(`${prop}.${key}`, `is required for a subnet of an existing network (e.g. ${example}).`);
        }
      }
      const cidr = literal(s.cidrBlock) ? parseCidr(s.cidrBlock) : undefined;
      if (literal(s.cidrBlock) && !cidr)
        problem(`${prop}.cidrBlock`, `"${s.cidrBlock}" is not an IPv4 CIDR with its host bits clear.`);
      if (cidr && vpc && !cidrContains(vpc, cidr))
        problem(`${prop}.cidrBlock`, `"${s.cidrBlock}" is not inside network.vpcCidr "${input.vpcCidr}".`);
      for (const other of seen) {
        if (literal(s.id) && other.id === s.id)
          problem(`${prop}.id`, `"${s.id}" is also ${other.prop}.id: list each subnet once.`);
        else if (cidr && other.cidr && cidrsOverlap(cidr, other.cidr)) {
          problem(
            `${prop}.cidrBlock`,
            `"${s.cidrBlock}" overlaps ${other.prop}.cidrBlock "${other.text}": two subnets of one VPC never overlap, so one of the two is wrong.`,
          );
        }
      }
      seen.push({ prop, id: literal(s.id) ? s.id : undefined, cidr, text: s.cidrBlock });
      if (onePerZone && literal(s.availabilityZone)) {
        const first = zones.get(s.availabilityZone);
        if (first)
          problem(
            `${prop}.availabilityZone`,
            `"${s.availabilityZone}" is also the zone of ${first}: a load balancer takes one subnet per zone; list one subnet per zone.`,
          );
        else zones.set(s.availabilityZone, prop);
      }
    });
  };
  checkList(privateSubnets, "network.privateSubnets", needs.nlb);
  checkList(publicSubnets, "network.publicSubnets", needs.nlb && needs.internetFacing);
  return {
    mode: "existing",
    vpcId: input.vpcId,
    vpcCidr: input.vpcCidr,
    privateSubnets: privateSubnets.map(toSubnetSpec),
    publicSubnets: publicSubnets.map(toSubnetSpec),
    natGatewayPerZone: false,
  };
}

function toSubnetSpec(s: SubnetInput): SubnetSpec {
  return { id: s.id, availabilityZone: s.availabilityZone, cidrBlock: s.cidrBlock ?? "" };
}

/**
 * Each kind of etcd member (the control plane's stacked members, an external cluster's) spread so that
 * no zone holds half of a kind or more: losing any one zone keeps the majority. Returns, for an
 * existing network, how many of its first private subnets (those the nodes use) must be in distinct
 * zones, which the flavour checks again at deploy time against the subnets' real zones.
 */
export function checkZoneSpread(
  input: NetworkInput | undefined,
  network: NetworkSpec,
  memberCounts: { prop: string; count: number }[],
  literal: Literal,
  problem: Problem,
): number {
  const fix = "or set spreadAcrossZones: false to accept that losing one zone can lose the etcd majority.";
  if (!isExisting(input)) {
    const zones = network.availabilityZones;
    const zoneCount = zones?.length ?? input?.zoneCount ?? NETWORK_DEFAULTS.zoneCount;
    if (zoneCount < 3)
      problem(
        zones ? "network.availabilityZones" : "network.zoneCount",
        `${zones ? `lists ${zoneCount} zone(s)` : `is ${zoneCount}`}: the control plane is spread over at least 3 availability zones; give 3, ${fix}`,
      );
    return 0;
  }
  const zones = (input.privateSubnets ?? []).map((s) => s.availabilityZone);
  const used = Math.min(Math.max(...memberCounts.map((k) => k.count)), zones.length);
  if (zones.some((zone) => !literal(zone))) {
    // Zones known only at deploy time: at least one subnet per node of a 3-zone spread, each its own zone.
    if (zones.length < 3)
      problem(
        "network.privateSubnets",
        `are ${zones.length} subnet(s) whose zones are known only at deploy time, but the control plane is spread over at least 3 zones: give 3 private subnets in distinct zones (an AWS CDK ec2.Vpc: maxAzs: 3 in a stack with an account and region), ${fix}`,
      );
    return used;
  }
  const distinct = new Set(zones);
  if (zones.length > 0 && distinct.size < 3) {
    problem(
      "network.privateSubnets",
      `cover ${distinct.size} availability zone(s) (${[...distinct].join(", ")}), but the control plane is spread over at least 3: give private subnets in 3 zones, ${fix}`,
    );
    return used;
  }
  // Nodes go round-robin over the subnets: two subnets of one zone can still put a majority there.
  for (const { prop, count } of memberCounts) {
    const perZone = new Map<string, number[]>();
    for (let index = 0; index < count && zones.length > 0; index++) {
      const zone = zones[index % zones.length];
      perZone.set(zone, [...(perZone.get(zone) ?? []), index]);
    }
    for (const [zone, members] of perZone) {
      if (members.length > Math.floor((count - 1) / 2))
        problem(
          "network.privateSubnets",
          `put ${members.length} of the ${count} members of ${prop} (nodes ${members.join(", ")}) in ${zone}: losing that zone would lose their majority. Order the subnets so that consecutive ones are in different zones, ${fix}`,
        );
    }
  }
  return used;
}
