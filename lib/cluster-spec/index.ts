export * from "./types";
export * from "./resolve";
export { instanceArchitecture, nodeInstanceTypes } from "./architecture";
export { ETCD_DEFAULTS, ETCD_RELEASE_SHA256 } from "./etcd";
export { KEEPALIVED_DEFAULTS } from "./keepalived";
export { cidrHost, cidrSubnet, parseCidr, cidrsOverlap } from "./cidr";
export { CONTAINERD_RELEASE_SHA256, DOWNLOAD_SOURCES, KUBERNETES_MINORS, RUNC_RELEASE } from "./versions";
export { deploySettingsParameterName } from "./names";
export { NLB_IDLE_TIMEOUT, NLB_TIMERS } from "./nlb";
