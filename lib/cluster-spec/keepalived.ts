import { HOST_OFFSETS } from "./addresses";
import { cidrContains, parseCidr, parseIpv4 } from "./cidr";
import { checkAllowedCidrs, checkInstanceType } from "./rules";
import { KeepalivedEndpointInput, KeepalivedEndpointSpec, NetworkSpec, VrrpPeerSpec } from "./types";

/** What resolving a keepalived endpoint needs from the rest of the spec. */
export interface KeepalivedContext {
  readonly clusterName: string;
  readonly controlPlaneCount: number;
  readonly network: NetworkSpec;
  readonly reservedCidrs: { prop: string; text: string }[];
  readonly literal: (value: string | undefined) => value is string;
  readonly problem: (prop: string, message: string) => void;
  /** Address of host `offset` in private subnet `subnetIndex` (literal or token). */
  readonly address: (subnetIndex: number, offset: number) => string;
  /** Subnet and host offset of control-plane node i. */
  readonly controlPlanePlacement: (index: number) => { subnetIndex: number; offset: number };
  readonly isValidDnsName: (name: string) => boolean;
}

export const KEEPALIVED_DEFAULTS = {
  vipMode: "route",
  placement: "colocated",
  virtualRouterId: 51,
  loadBalancerInstanceType: "t3.small",
  colocatedPort: 8443,
  dedicatedPort: 6443,
  priorityBase: 100,
  /**
   * VRRPv3 backups declare the master dead after 3 adverts plus a skew of (256 - priority) / 256
   * adverts: 20 points apart, the best backup fires ~16 ms before the next, enough to win reliably
   * instead of being preempted a moment later (a second VIP move); 7 peers still fit in 100..220.
   */
  priorityStep: 20,
  advertIntervalSeconds: 0.2,
  preemptDelaySeconds: 30,
  preempt: true,
} as const;

export function resolveKeepalivedEndpoint(
  input: KeepalivedEndpointInput,
  ctx: KeepalivedContext,
): KeepalivedEndpointSpec {
  const { network, literal, problem } = ctx;
  const vipMode = input.vipMode ?? KEEPALIVED_DEFAULTS.vipMode;
  const placement = input.placement ?? KEEPALIVED_DEFAULTS.placement;
  if (vipMode !== "route" && vipMode !== "secondary-ip")
    problem("endpoint.vipMode", `"${vipMode}" is not "route" or "secondary-ip".`);
  if (vipMode === "secondary-ip" && input.acceptSingleZone !== true)
    problem(
      "endpoint.acceptSingleZone",
      'is not true, but vipMode "secondary-ip" puts every VRRP peer in one subnet: losing its zone takes the API endpoint down while the control plane survives elsewhere. Use vipMode "route" (the default, across zones), or set acceptSingleZone: true to choose one zone knowingly.',
    );
  else if (vipMode !== "secondary-ip" && input.acceptSingleZone !== undefined)
    problem(
      "endpoint.acceptSingleZone",
      'applies only to vipMode "secondary-ip" (a routed VIP spans zones): leave it out.',
    );
  if (placement !== "colocated" && placement !== "dedicated")
    problem("endpoint.placement", `"${placement}" is not "colocated" or "dedicated".`);
  const subnetCount = network.privateSubnets.length;

  // Peers: the control-plane nodes, or two load balancers (in one subnet for secondary-ip, two zones for route).
  const placements =
    placement === "dedicated"
      ? [0, 1].map((i) => ({
          name: `${ctx.clusterName}-lb-${i}`,
          subnetIndex: vipMode === "secondary-ip" ? 0 : i % Math.max(subnetCount, 1),
          offset: HOST_OFFSETS.loadBalancer + i,
        }))
      : Array.from({ length: ctx.controlPlaneCount }, (_, i) => ({
          name: `${ctx.clusterName}-cp-${i}`,
          ...ctx.controlPlanePlacement(i),
        }));
  const peerSubnets = new Set(placements.map((p) => p.subnetIndex));
  if (vipMode === "secondary-ip" && peerSubnets.size > 1) {
    problem(
      "endpoint.vipMode",
      `"secondary-ip" needs every VRRP peer in one subnet (a secondary IP belongs to one subnet), but the ${placements.length} colocated peers span ${peerSubnets.size} subnets. ` +
        'Use vipMode: "route" (works across zones), placement: "dedicated" (both load balancers in one subnet), or one private subnet with spreadAcrossZones: false.',
    );
  }
  const step = KEEPALIVED_DEFAULTS.priorityStep;
  const peers: VrrpPeerSpec[] =
    subnetCount === 0
      ? []
      : placements.map((p, index) => ({
          index,
          name: p.name,
          subnetIndex: p.subnetIndex,
          privateIp: ctx.address(p.subnetIndex, p.offset),
          priority: KEEPALIVED_DEFAULTS.priorityBase + step * (placements.length - 1 - index),
        }));

  let virtualIp = input.virtualIp;
  if (virtualIp === undefined) {
    if (vipMode === "secondary-ip" && subnetCount > 0)
      virtualIp = ctx.address(placements[0].subnetIndex, HOST_OFFSETS.vip);
    else {
      problem(
        "endpoint.virtualIp",
        'is required in "route" mode: give an address outside the VPC, pod and service CIDRs (e.g. "192.168.255.10" for a 10.x VPC).',
      );
      virtualIp = "";
    }
  } else if (literal(virtualIp)) {
    const vip = parseCidr(`${virtualIp}/32`);
    if (parseIpv4(virtualIp) === undefined || !vip)
      problem("endpoint.virtualIp", `"${virtualIp}" is not an IPv4 address.`);
    else {
      const vpc = literal(network.vpcCidr) ? parseCidr(network.vpcCidr) : undefined;
      const inVpc = vpc !== undefined && cidrContains(vpc, vip);
      if (vipMode === "route" && inVpc) {
        problem(
          "endpoint.virtualIp",
          `"${virtualIp}" is inside the VPC CIDR "${network.vpcCidr}": a routed (overlay) VIP must be outside it, or use vipMode: "secondary-ip".`,
        );
      }
      if (vipMode === "secondary-ip") {
        const subnet = network.privateSubnets[placements[0]?.subnetIndex ?? 0]?.cidrBlock;
        const parsed = literal(subnet) ? parseCidr(subnet) : undefined;
        if (parsed && !cidrContains(parsed, vip))
          problem(
            "endpoint.virtualIp",
            `"${virtualIp}" is not inside the peers' subnet "${subnet}", as a secondary IP must be.`,
          );
      }
      for (const r of ctx.reservedCidrs) {
        const range = literal(r.text) ? parseCidr(r.text) : undefined;
        if (range && r.prop !== "network.vpcCidr" && cidrContains(range, vip))
          problem("endpoint.virtualIp", `"${virtualIp}" is inside ${r.prop} "${r.text}"; choose another address.`);
      }
    }
  }

  if (input.dnsName !== undefined && literal(input.dnsName) && !ctx.isValidDnsName(input.dnsName)) {
    problem("endpoint.dnsName", `"${input.dnsName}" is not a lower-case DNS name.`);
  }
  const virtualRouterId = input.virtualRouterId ?? KEEPALIVED_DEFAULTS.virtualRouterId;
  if (!Number.isInteger(virtualRouterId) || virtualRouterId < 1 || virtualRouterId > 255) {
    problem("endpoint.virtualRouterId", `${virtualRouterId} is not a VRRP router id (1-255).`);
  }
  if (vipMode === "route" && network.mode === "existing" && (input.routeTableIds ?? []).length === 0) {
    problem(
      "endpoint.routeTableIds",
      'is required in "route" mode with an existing network: list the route tables of every subnet whose clients use the API.',
    );
  }
  const allowedCidrs = input.allowedCidrs ?? [network.vpcCidr];
  checkAllowedCidrs(
    "endpoint.allowedCidrs",
    allowedCidrs,
    "on a keepalived VIP, which is private to the VPC: list the networks that need the API.",
    literal,
    problem,
  );
  const timers = resolveVrrpTimers(input, problem);
  const loadBalancerInstanceType = input.loadBalancerInstanceType ?? KEEPALIVED_DEFAULTS.loadBalancerInstanceType;
  checkInstanceType("endpoint.loadBalancerInstanceType", loadBalancerInstanceType, literal, problem);

  return {
    type: "keepalived",
    vipMode,
    placement,
    virtualIp,
    port: placement === "dedicated" ? KEEPALIVED_DEFAULTS.dedicatedPort : KEEPALIVED_DEFAULTS.colocatedPort,
    dnsName: input.dnsName,
    allowedCidrs,
    routeTableIds: input.routeTableIds,
    virtualRouterId,
    loadBalancerInstanceType,
    peers,
    // Dropping by the whole priority spread plus one step puts a failing master below every healthy peer.
    checkWeight: -(step * placements.length),
    ...timers,
  };
}

/** The advert interval and preemption: keepalived's ranges (keepalived.conf(5): advert_int, preempt_delay). */
function resolveVrrpTimers(input: KeepalivedEndpointInput, problem: KeepalivedContext["problem"]) {
  const advertIntervalSeconds = input.advertIntervalSeconds ?? KEEPALIVED_DEFAULTS.advertIntervalSeconds;
  const preempt = input.preempt ?? KEEPALIVED_DEFAULTS.preempt;
  if (!(advertIntervalSeconds >= 0.01 && advertIntervalSeconds <= 40.95))
    problem("endpoint.advertIntervalSeconds", `${advertIntervalSeconds} is not from 0.01 to 40.95 (VRRPv3 seconds).`);
  else if (Math.abs(advertIntervalSeconds * 100 - Math.round(advertIntervalSeconds * 100)) > 1e-9)
    problem(
      "endpoint.advertIntervalSeconds",
      `${advertIntervalSeconds} is not in hundredths of a second (VRRPv3 counts centiseconds): e.g. ${Math.round(advertIntervalSeconds * 100) / 100}.`,
    );
  if (!preempt && input.preemptDelaySeconds !== undefined)
    problem("endpoint.preemptDelaySeconds", "applies only when peers preempt: remove it, or remove preempt: false.");
  const preemptDelaySeconds = preempt
    ? (input.preemptDelaySeconds ?? KEEPALIVED_DEFAULTS.preemptDelaySeconds)
    : undefined;
  if (preemptDelaySeconds !== undefined && !(preemptDelaySeconds >= 0 && preemptDelaySeconds <= 1000))
    problem(
      "endpoint.preemptDelaySeconds",
      `${preemptDelaySeconds} is not from 0 to 1000 seconds (keepalived's range).`,
    );
  return { advertIntervalSeconds, preemptDelaySeconds, preempt };
}
