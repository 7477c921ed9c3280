import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Architecture, ClusterSpec } from "../cluster-spec";
import { PolicyReferences, ubuntuImageParameter } from "../model";
import type { ControlPlaneIdentity } from "./control-plane-identity";
import type { ClusterNetwork } from "./network";
import type { WorkerIdentity } from "./worker-identity";

/**
 * What the constructs a cluster is made of take from it, as objects: `KubeadmCluster` is one, and
 * passes itself to its endpoint and etcd cluster (`{ cluster: this }`); a stack that composes its own
 * implements it with its own network, security group and identity.
 */
export interface IKubeadmCluster {
  /** The resolved, validated spec (`resolveClusterSpec`). */
  readonly spec: ClusterSpec;
  readonly network: ClusterNetwork;
  /** The control-plane nodes' group: other constructs add the rules their traffic to and from it needs. */
  readonly controlPlaneSecurityGroup: SecurityGroup;
  /** Every worker pool's group: the cluster's rules let it reach the API and the kubelets, and the control plane reach it. */
  readonly workerSecurityGroup: SecurityGroup;
  /** The control-plane roles: other constructs attach what the nodes need of their resources. */
  readonly identity: ControlPlaneIdentity;
  /** The workers' role, and the secret the control plane keeps their bootstrap token in. */
  readonly workerIdentity: WorkerIdentity;
  /** What the node policies name: partition, region, account, cluster, the deploy settings parameter, the KMS key. */
  readonly policyReferences: PolicyReferences;
  /** The image each node runs, by its instance type's architecture. */
  readonly images: NodeImages;
  /** Tags for every resource: the spec's, and the cluster tag. */
  readonly tags: Record<string, string>;
  /** Every fixed node address's reservation: a load balancer's interfaces must not take one. */
  readonly addressReservations: Ec2SubnetCidrReservation[];
  /** What every node needs before its first boot: its egress routes and security-group rules, every address reservation, the deploy settings. */
  readonly bootPrerequisites: ITerraformDependable[];
}

/**
 * The image of each architecture the nodes run: `imageId` for all, or Canonical's Ubuntu image for the
 * architecture, looked up once per architecture in use (a data source in `scope`).
 */
export class NodeImages {
  private readonly lookedUp = new Map<Architecture, string>();

  constructor(
    private readonly scope: Construct,
    private readonly imageId?: string,
  ) {}

  imageFor(architecture: Architecture): string {
    if (this.imageId !== undefined) return this.imageId;
    let image = this.lookedUp.get(architecture);
    if (image === undefined) {
      const id = architecture === "amd64" ? "ubuntu-image" : `ubuntu-image-${architecture}`;
      image = new DataAwsSsmParameter(this.scope, id, { name: ubuntuImageParameter(architecture) }).insecureValue;
      this.lookedUp.set(architecture, image);
    }
    return image;
  }
}
