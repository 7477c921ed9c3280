import { IConstruct } from "constructs";
import { ClusterSpecError } from "../cluster-spec";

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
