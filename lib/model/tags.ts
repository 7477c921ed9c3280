import { OWN_TAG_PREFIX } from "../cluster-spec/names";
/** Tag on every resource of a cluster; IAM conditions use it to keep nodes to their own cluster. */
export const CLUSTER_TAG = `${OWN_TAG_PREFIX}cluster`;
/** Tag a node writes on itself with its bootstrap status (running:STEP, failed:STEP, ready); defined with the names, which the node settings render. */
export { STATUS_TAG } from "../cluster-spec/names";

/** What a node is, on its instance: its kind and, for control-plane nodes and etcd members, its index. */
export type NodeRole = "control-plane" | "etcd" | "api-load-balancer" | "worker";
export const ROLE_TAG = `${OWN_TAG_PREFIX}role`;
export const NODE_INDEX_TAG = `${OWN_TAG_PREFIX}node-index`;
/** A worker's pool, on its instance. */
export const POOL_TAG = `${OWN_TAG_PREFIX}pool`;

/** The tags that say what a node is (beside its Name and the cluster's own), the same in both flavours. */
export function nodeTags(role: NodeRole, index?: number): Record<string, string> {
  return { ...(index === undefined ? {} : { [NODE_INDEX_TAG]: String(index) }), [ROLE_TAG]: role };
}
