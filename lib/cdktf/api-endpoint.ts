import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Construct } from "constructs";
import { EndpointAddress } from "../render/internal";
import { KeepalivedEndpoint } from "./keepalived-endpoint";
import { NlbEndpoint } from "./nlb-endpoint";
import type { IKubeadmCluster } from "./cluster-interface";

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

/** The endpoint the spec asks for: an NLB, or keepalived with HAProxy. */
export function createApiEndpoint(scope: Construct, id: string, cluster: IKubeadmCluster): IApiEndpoint {
  return cluster.spec.endpoint.type === "keepalived"
    ? new KeepalivedEndpoint(scope, id, { cluster })
    : new NlbEndpoint(scope, id, { cluster });
}
