import { ClusterSpec } from "../cluster-spec";

/** One fixed node address, reserved in its subnet. */
export interface AddressReservation {
  /** Construct id suffix: `address-${id}`. */
  readonly id: string;
  readonly subnetIndex: number;
  /** `ip/32`. */
  readonly cidr: string;
  readonly description: string;
}

/**
 * Every fixed node address (control plane, dedicated load balancers, etcd members), each to be
 * reserved in its subnet as an explicit reservation: AWS then hands those addresses to nothing that
 * asks for any address (an NLB's own interfaces, other instances of an existing VPC), while the nodes,
 * which ask for exactly theirs, still get them. Made before the load balancers and the instances. The
 * cdktf flavour reserves them (an EC2 API call); the AWS CDK flavour holds each with the node's own
 * primary interface instead, as CloudFormation lacks AWS::EC2::SubnetCidrReservation in some regions.
 */
export function addressReservations(spec: ClusterSpec): AddressReservation[] {
  const { controlPlane, endpoint, etcd, clusterName } = spec;
  const nodes = [
    ...controlPlane.map((n) => ({ id: `control-plane-${n.index}`, ...n })),
    ...(endpoint.type === "keepalived" && endpoint.placement === "dedicated"
      ? endpoint.peers.map((p) => ({ id: `load-balancer-${p.index}`, ...p }))
      : []),
    ...(etcd.topology === "external" ? etcd.members.map((m) => ({ id: `etcd-${m.index}`, ...m })) : []),
  ];
  return nodes.map((n) => ({
    id: n.id,
    subnetIndex: n.subnetIndex,
    cidr: `${n.privateIp}/32`,
    description: `${n.name}, a node of ${clusterName}`,
  }));
}
