/** The NLB endpoint: an internal load balancer for the nodes, an internet-facing one when asked, and the endpoint's own name. */
import { checkAllowedCidrs, DNS_NAME, Literal, Problem } from "./rules";
import { NetworkSpec, NlbEndpointInput, NlbEndpointSpec } from "./types";

/** The zones of the Amazon-provided private DNS names (ec2.internal in us-east-1, REGION.compute.internal elsewhere). */
const AWS_INTERNAL_ZONES = ["ec2.internal", "compute.internal"];

/** The API servers' port, which the NLB listens on too. */
export const NLB_PORT = 6443;

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
    privateDns,
  };
}
