import { OWN_TAG_PREFIX } from "../spec/names";
/** Tag on every resource of a cluster; IAM conditions use it to keep nodes to their own cluster. */
export const CLUSTER_TAG = `${OWN_TAG_PREFIX}cluster`;
/** Tag a node writes on itself with its bootstrap status (running:STEP, failed:STEP, ready). */
export const STATUS_TAG = `${OWN_TAG_PREFIX}bootstrap`;
