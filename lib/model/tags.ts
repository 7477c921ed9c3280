/** Tag on every resource of a cluster; IAM conditions use it to keep nodes to their own cluster. */
export const CLUSTER_TAG = "kubeadm-ha:cluster";
/** Tag a node writes on itself with its bootstrap status (running:STEP, failed:STEP, ready). */
export const STATUS_TAG = "kubeadm-ha:bootstrap";
