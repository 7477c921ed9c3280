import { IConstruct } from "constructs";
import { ClusterSpecError, POOL_LABEL } from "../cluster-spec";

/** Names in use per app, by kind: the construct path that holds each. */
const CLAIMED = new WeakMap<IConstruct, Map<string, string>>();

/** The path of the construct that already holds `key` in scope's app, or undefined; from now on `path` holds it. */
function claim(scope: IConstruct, key: string, path: string): string | undefined {
  const names = CLAIMED.get(scope.node.root) ?? new Map<string, string>();
  CLAIMED.set(scope.node.root, names);
  const other = names.get(key);
  if (other === undefined) names.set(key, path);
  return other;
}

/**
 * Records that the cluster at `path` is named `name` in its app; a second cluster of that name fails,
 * naming both (they would collide on AWS names and on the tag that scopes each node's permissions).
 */
export function claimClusterName(scope: IConstruct, path: string, name: string) {
  const other = claim(scope, `cluster ${name}`, path);
  if (other !== undefined) {
    throw new ClusterSpecError([
      {
        prop: "clusterName",
        message: `"${name}" is also the name of the cluster at ${other}, and ${path} would collide with it on its load balancer's name and on the cluster tag that scopes each node's permissions: give each cluster its own clusterName.`,
      },
    ]);
  }
}

/** Records that the pool at `path` is named `pool` in cluster `cluster`; a second pool of that name fails, naming both. */
export function claimPoolName(scope: IConstruct, path: string, cluster: string, pool: string) {
  const other = claim(scope, `pool ${cluster}/${pool}`, path);
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
}
