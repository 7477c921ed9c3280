/**
 * A worker pool's Auto Scaling group as plain data: its names, the tags of its instances and of the group
 * (the Cluster Autoscaler's discovery and node templates), and how a changed launch template rolls. Each
 * flavour turns it into its own group (cdktf's AutoscalingGroup, AWS CDK's AutoScalingGroup).
 */
import { ClusterSpec, NODE_TEMPLATE_TAG, WorkerPoolSpec } from "../cluster-spec";

import { nodeTags, POOL_TAG } from "./tags";

/** The tag prefix the Cluster Autoscaler's auto-discovery and scale-from-zero node templates read. */
const AUTOSCALER = "k8s.io/cluster-autoscaler";

export interface WorkerPoolDescription {
  /** The group's name, and its instances' Name tag: CLUSTER-POOL. */
  readonly name: string;
  /** Tags of each instance and its volumes, beside the cluster's own: what it is and of which pool. */
  readonly instanceTags: Record<string, string>;
  /**
   * Tags of the group only (not its instances): the Cluster Autoscaler finds the group by the first two
   * (`--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/CLUSTER`)
   * and builds a node from the others when the pool is at zero (labels, taints).
   */
  readonly groupTags: Record<string, string>;
  /** How long the group leaves a new instance to boot before its EC2 health counts (seconds). */
  readonly healthCheckGracePeriodSeconds: number;
  /**
   * A changed launch template replaces the nodes one batch at a time, a new node launched before an old
   * one stops (Terraform: the group's instance refresh; CloudFormation: its rolling update policy).
   */
  readonly rollingReplacement: {
    /** Never fewer healthy nodes than this share of the group while it rolls. */
    readonly minHealthyPercentage: number;
    /** At most this share of the group at once (above 100: new nodes come up before old ones go). */
    readonly maxHealthyPercentage: number;
    /** A new node counts as ready this long after it is in service: a worker joins in about 3 minutes (seconds). */
    readonly warmupSeconds: number;
  };
}

/** The description of one pool's group (lib/model: each flavour only turns it into resources). */
export function describeWorkerPool(spec: ClusterSpec, pool: WorkerPoolSpec): WorkerPoolDescription {
  const name = `${spec.clusterName}-${pool.name}`;
  const template = NODE_TEMPLATE_TAG;
  return {
    name,
    instanceTags: { Name: name, ...nodeTags("worker"), [POOL_TAG]: pool.name },
    groupTags: {
      [`${AUTOSCALER}/enabled`]: "true",
      [`${AUTOSCALER}/${spec.clusterName}`]: "owned",
      ...Object.fromEntries(Object.entries(pool.labels).map(([key, value]) => [`${template}/label/${key}`, value])),
      ...Object.fromEntries(pool.taints.map((t) => [`${template}/taint/${t.key}`, `${t.value ?? ""}:${t.effect}`])),
    },
    healthCheckGracePeriodSeconds: 300,
    rollingReplacement: { minHealthyPercentage: 100, maxHealthyPercentage: 110, warmupSeconds: 300 },
  };
}
