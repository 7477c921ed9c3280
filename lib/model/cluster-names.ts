import { IConstruct } from "constructs";
import { ClusterSpecError, POOL_LABEL } from "../cluster-spec";

/** Cluster names in use, per app: two clusters of one name collide on AWS names and on the tag that scopes each node's permissions. */
const CLUSTER_NAMES = new WeakMap<IConstruct, Map<string, string>>();

/** Records that the cluster at `path` is named `name` in its app; a second cluster of that name fails, naming both. */
export function claimClusterName(scope: IConstruct, path: string, name: string) {
  const names = CLUSTER_NAMES.get(scope.node.root) ?? new Map<string, string>();
  CLUSTER_NAMES.set(scope.node.root, names);
  const other = names.get(name);
  if (other !== undefined) {
    throw new ClusterSpecError([
      {
        prop: "clusterName",
        message: `"${name}" is also the name of the cluster at ${other}, and ${path} would collide with it on its load balancer's name and on the cluster tag that scopes each node's permissions: give each cluster its own clusterName.`,
      },
    ]);
  }
  names.set(name, path);
}

/** Pool names in use, per app and cluster: two pools of one name collide on their group's name and their nodes' label. */
const POOL_NAMES = new WeakMap<IConstruct, Map<string, string>>();

/** Records that the pool at `path` is named `pool` in cluster `cluster`; a second pool of that name fails, naming both. */
export function claimPoolName(scope: IConstruct, path: string, cluster: string, pool: string) {
  const names = POOL_NAMES.get(scope.node.root) ?? new Map<string, string>();
  POOL_NAMES.set(scope.node.root, names);
  const other = names.get(`${cluster}/${pool}`);
  if (other !== undefined) {
    throw new ClusterSpecError(
      [
        {
          prop: "name",
          message: `"${pool}" is also the name of the pool at ${other} of cluster ${cluster}, and ${path} would collide with it on its Auto Scaling group's name and its nodes' ${POOL_LABEL} label: give each pool its own name.`,
        },
      ],
      `WorkerPool "${pool}"`,
    );
  }
  names.set(`${cluster}/${pool}`, path);
}
