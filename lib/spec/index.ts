export * from "./types";
export * from "./resolve";
export { ETCD_DEFAULTS, ETCD_RELEASE_SHA256, instanceArchitecture } from "./etcd";
export { KEEPALIVED_DEFAULTS } from "./keepalived";
export { cidrHost, cidrSubnet, parseCidr, cidrsOverlap } from "./cidr";
