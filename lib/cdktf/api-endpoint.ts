import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Construct } from "constructs";
import { EndpointAddress } from "../render/internal";
import { KeepalivedEndpoint } from "./keepalived-endpoint";
import { NlbEndpoint } from "./nlb-endpoint";
import { ClusterNodeContext } from "./private/node-defaults";

/**
 * The stable address in front of the API servers. One implementation per kind of endpoint
 * (NlbEndpoint, KeepalivedEndpoint); KubeadmCluster only talks to this interface.
 */
export interface IApiEndpoint {
  /** Host and port clients use: the kubeadm controlPlaneEndpoint, and a certificate SAN. */
  readonly address: EndpointAddress;
  /** `https://host:port`. */
  readonly url: string;
  /** Instances of the endpoint's own (dedicated load balancers); none for an NLB or colocated peers. */
  readonly loadBalancers: Instance[];
  /** Route tables whose VIP /32 route the VRRP peers keep pointing at the master (a routed keepalived VIP). */
  readonly controlPlaneRouteTableIds?: string[];
  /** What the endpoint needs of every control-plane instance (colocated peers of a routed VIP: no source/destination check). */
  readonly controlPlaneInstance: { readonly sourceDestCheck?: boolean };
  /** Sends API traffic to these control-plane instances (their API servers listen on `apiServerPort`). */
  registerControlPlane(nodes: Instance[], apiServerPort: number): void;
}

/** What a cluster's endpoint is built from, besides the node context. */
export interface ApiEndpointNetwork {
  readonly publicSubnetIds: string[];
  /** Route tables the network created (a routed VIP's /32 route goes in each). */
  readonly routeTableIds: string[];
  /** The node address reservations: the NLB's interfaces must not take a node's address. */
  readonly addressReservations: ClusterNodeContext["bootPrerequisites"];
}

/** The endpoint the spec asks for: an NLB, or keepalived with HAProxy. */
export function createApiEndpoint(
  scope: Construct,
  id: string,
  context: ClusterNodeContext,
  network: ApiEndpointNetwork,
): IApiEndpoint {
  const spec = context.cluster;
  if (spec.endpoint.type === "keepalived") {
    return new KeepalivedEndpoint(scope, id, {
      ...context,
      defaultRouteTableIds: network.routeTableIds,
    });
  }
  return new NlbEndpoint(scope, id, {
    clusterName: spec.clusterName,
    spec: spec.endpoint,
    vpcId: context.vpcId,
    privateSubnetIds: context.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    controlPlaneSecurityGroupId: context.controlPlaneSecurityGroupId,
    tags: context.tags,
    dependsOn: network.addressReservations,
  });
}
