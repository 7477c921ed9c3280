import * as ec2 from "aws-cdk-lib/aws-ec2";
import { DependencyGroup, IDependable } from "constructs";
import { ClusterSpec } from "../cluster-spec";
import { PolicyReferences } from "../model";
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
  readonly controlPlaneSecurityGroup: ec2.ISecurityGroup;
  /** Every worker pool's group: the cluster's rules let it reach the API and the kubelets, and the control plane reach it. */
  readonly workerSecurityGroup: ec2.ISecurityGroup;
  /** The control-plane roles: other constructs add what the nodes need of their resources (`addPolicy`). */
  readonly identity: ControlPlaneIdentity;
  /** The workers' role, and the secret the control plane keeps their bootstrap token in. */
  readonly workerIdentity: WorkerIdentity;
  /** What the node policies name: partition, region, account, cluster, the deploy settings parameter, the KMS key. */
  readonly policyReferences: PolicyReferences;
  /**
   * The primary interfaces that hold the nodes' fixed addresses, filled as nodes are made: a load
   * balancer's interfaces, made after them, cannot take one.
   */
  readonly addressHolders: DependencyGroup;
  /** What every node needs before its first boot: its subnet's egress, the deploy settings. */
  readonly bootPrerequisites: IDependable[];
}
