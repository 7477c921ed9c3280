/**
 * The render entry points, public as `render` from the package root: what a node receives (its
 * user data, the cluster's deploy settings, the kubeadm documents) from a resolved spec, without any
 * framework, and the contract between them and the node scripts. Everything else in lib/render is
 * internal to these.
 */
export type {
  ControlPlaneUserDataInput,
  DeployValues,
  EtcdMemberUserDataInput,
  NodeScripts,
  NodeUserDataContext,
} from "./control-plane-user-data";
export {
  NODE_SCRIPTS,
  renderClusterDeploySettings,
  renderControlPlaneUserData,
  renderEtcdMemberUserData,
  renderLoadBalancerUserData,
} from "./control-plane-user-data";
export type { EndpointAddress, KubeadmDocuments } from "./kubeadm";
export { renderKubeadmConfig } from "./kubeadm";
export { DEPLOY_SETTINGS, NODE_SETTINGS } from "./node-settings";
export { NLB_TIMERS } from "../spec/nlb";
export { FAILOVER_TIMERS } from "./keepalived";
export { EC2_USER_DATA_LIMIT, encodeUserData } from "./user-data";
