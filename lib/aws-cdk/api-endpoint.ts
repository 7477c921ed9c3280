import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";
import { EndpointAddress } from "../render/internal";
import { KeepalivedEndpoint } from "./keepalived-endpoint";
import { NlbEndpoint } from "./nlb-endpoint";
import type { IKubeadmCluster } from "./cluster-interface";
import { ClusterInstanceProps } from "./private/resources";

/**
 * The stable address in front of the API servers. One implementation per kind of endpoint
 * (NlbEndpoint, KeepalivedEndpoint); KubeadmCluster only talks to this interface. Its `connections`
 * are the group clients of the API reach (the internal NLB's, or the VRRP peers'), the API's port
 * their default.
 */
export interface IApiEndpoint extends ec2.IConnectable {
  /** Host and port clients use: the kubeadm controlPlaneEndpoint, and a certificate SAN. */
  readonly address: EndpointAddress;
  /** `https://host:port`, as a client outside the VPC reaches it. */
  readonly url: string;
  /** Instances of the endpoint's own (dedicated load balancers); none for an NLB or colocated peers. */
  readonly loadBalancers: ec2.Instance[];
  /** Route tables whose VIP /32 route the VRRP peers keep pointing at the master (a routed keepalived VIP). */
  readonly controlPlaneRouteTableIds?: string[];
  /** What the endpoint needs of every control-plane instance (a routed VIP's colocated peers: no source/destination check). */
  readonly controlPlaneInstance: Pick<ClusterInstanceProps, "sourceDestCheck" | "taggedInterface">;
  /** Sends API traffic to these control-plane instances (their API servers listen on `apiServerPort`). */
  registerControlPlane(nodes: ec2.Instance[], apiServerPort: number): void;
}

/** The endpoint the spec asks for: an NLB, or keepalived with HAProxy. */
export function createApiEndpoint(scope: Construct, id: string, cluster: IKubeadmCluster): IApiEndpoint {
  return cluster.spec.endpoint.type === "keepalived"
    ? new KeepalivedEndpoint(scope, id, { cluster })
    : new NlbEndpoint(scope, id, { cluster });
}
