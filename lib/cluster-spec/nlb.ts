/** The NLB endpoint: an internal load balancer for the nodes, an internet-facing one when asked, and the endpoint's own name. */
import { checkAllowedCidrs, DNS_NAME, Literal, Problem } from "./rules";
import { NetworkSpec, NlbEndpointInput, NlbEndpointSpec } from "./types";

/** The zones of the Amazon-provided private DNS names (ec2.internal in us-east-1, REGION.compute.internal elsewhere). */
const AWS_INTERNAL_ZONES = ["ec2.internal", "compute.internal"];

/** The API servers' port, which the NLB listens on too. */
export const NLB_PORT = 6443;

/**
 * The listener's TCP idle timeout: AWS's range and this library's default (AWS's own, 350 s, drops an
 * idle exec or watch). docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html
 */
export const NLB_IDLE_TIMEOUT = { min: 60, max: 6000, defaultSeconds: 3600 } as const;

/** Health check and draining timers of the NLB's API target group: fast to notice a dead API server, gentle to its open watches. */
export const NLB_TIMERS = {
  healthCheckIntervalSeconds: 10,
  healthCheckTimeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  /** Time a deregistered or unhealthy API server keeps its connections, so watches end cleanly. */
  drainSeconds: 120,
  /** After a target turns unhealthy, an NLB takes 30-40 s more to stop sending it new connections. */
  propagationSeconds: 40,
} as const;

function resolveIdleTimeout(endpoint: NlbEndpointInput, problem: Problem): number {
  const seconds = endpoint.idleTimeoutSeconds ?? NLB_IDLE_TIMEOUT.defaultSeconds;
  const { min, max } = NLB_IDLE_TIMEOUT;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max)
    problem(
      "endpoint.idleTimeoutSeconds",
      `${seconds} is not a whole number of seconds from ${min} to ${max} (the range AWS allows for an NLB's TCP idle timeout): give e.g. ${NLB_IDLE_TIMEOUT.defaultSeconds}, or leave it unset.`,
    );
  return seconds;
}

function resolvePrivateDns(
  endpoint: NlbEndpointInput,
  clusterName: string,
  literal: Literal,
  problem: Problem,
): NlbEndpointSpec["privateDns"] {
  const input = endpoint.privateDns ?? {};
  if (input === false) return undefined;
  if (input.zoneId !== undefined) {
    if (input.name === undefined) {
      problem(
        "endpoint.privateDns.name",
        `is required with endpoint.privateDns.zoneId: give the endpoint's fully qualified name in that zone (e.g. "api.${clusterName}.example.internal").`,
      );
      return undefined;
    }
    if (literal(input.name) && !DNS_NAME.test(input.name))
      problem(
        "endpoint.privateDns.name",
        `"${input.name}" is not a lower-case DNS name such as "api.${clusterName}.example.internal".`,
      );
    return { zoneId: input.zoneId, name: input.name };
  }
  const zoneName = `${clusterName}.internal`;
  const shadowed = AWS_INTERNAL_ZONES.find((zone) => zone === zoneName);
  if (shadowed)
    problem(
      "clusterName",
      `"${clusterName}" would create the private zone ${zoneName}, which shadows the VPC's own instance names (${shadowed}, *.${shadowed}): choose another name, or give endpoint.privateDns.zoneId of your own zone.`,
    );
  const name = input.name ?? `api.${zoneName}`;
  if (literal(name) && !DNS_NAME.test(name)) {
    problem(
      "endpoint.privateDns.name",
      `"${name}" is not a lower-case DNS name (no empty label, no wildcard) such as "api.${zoneName}".`,
    );
  } else if (literal(name) && !name.endsWith(`.${zoneName}`)) {
    problem(
      "endpoint.privateDns.name",
      `"${name}" is not inside the zone the construct creates, ${zoneName}: name one such as "api.${zoneName}", or give the zoneId of your own private zone.`,
    );
  }
  return { zoneName, name };
}

export function resolveNlbEndpoint(
  endpoint: NlbEndpointInput,
  network: NetworkSpec,
  clusterName: string,
  literal: Literal,
  problem: Problem,
): NlbEndpointSpec {
  const internetFacing = endpoint.internetFacing ?? false;
  let allowedCidrs = endpoint.allowedCidrs;
  if (allowedCidrs === undefined) {
    if (internetFacing) {
      problem(
        "endpoint.allowedCidrs",
        'is required for an internet-facing endpoint: list the CIDRs that may reach the API (e.g. your office range); "0.0.0.0/0" only if you mean the whole internet.',
      );
    }
    allowedCidrs = [network.vpcCidr];
  }
  checkAllowedCidrs(
    "endpoint.allowedCidrs",
    allowedCidrs,
    internetFacing
      ? undefined
      : "on an internal endpoint: list the networks that really need the API, or set internetFacing: true.",
    literal,
    problem,
  );
  if (internetFacing && network.mode === "existing" && network.publicSubnets.length === 0) {
    problem(
      "network.publicSubnets",
      "is empty but endpoint.internetFacing is true: give public subnets for the NLB, or make the endpoint internal.",
    );
  }
  const privateDns = resolvePrivateDns(endpoint, clusterName, literal, problem);
  const deletionProtection = endpoint.deletionProtection ?? false;
  return {
    type: "nlb",
    internetFacing,
    allowedCidrs: internetFacing ? [network.vpcCidr] : allowedCidrs,
    publicAllowedCidrs: internetFacing ? allowedCidrs : [],
    port: NLB_PORT,
    deletionProtection,
    idleTimeoutSeconds: resolveIdleTimeout(endpoint, problem),
    privateDns,
  };
}
