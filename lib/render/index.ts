/**
 * The render entry points, public as `render` from the package root: what a node receives (its
 * user data, the cluster's deploy settings, the kubeadm documents) from a resolved spec, without any
 * framework, and the contract between them and the node scripts. Everything else in lib/render is
 * internal to these.
 */
export type { ControlPlaneUserDataInput } from "./control-plane";
export { renderControlPlaneUserData } from "./control-plane";
export type { EtcdMemberUserDataInput } from "./etcd-member";
export { renderEtcdMemberUserData } from "./etcd-member";
export { renderLoadBalancerUserData } from "./load-balancer";
export type { NodeScripts, NodeUserDataContext } from "./node-common";
export { NODE_SCRIPTS } from "./node-common";
export type { DeployValues } from "./deploy-settings";
export { renderClusterDeploySettings } from "./deploy-settings";
export type { EndpointAddress, KubeadmDocuments } from "./kubeadm";
export { renderKubeadmConfig } from "./kubeadm";
export { DEPLOY_SETTINGS, NODE_SETTINGS } from "./node-settings";
export { NLB_TIMERS } from "../cluster-spec/nlb";
export { FAILOVER_TIMERS } from "./keepalived";
export { EC2_USER_DATA_LIMIT, encodeUserData } from "./user-data";
