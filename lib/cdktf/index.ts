/**
 * The cdktf flavour (CDK for Terraform 0.21, or CDK Terrain 0.24 through npm aliases): the cluster
 * construct and the lower-level constructs it is made of, for stacks that compose their own.
 * Helpers they share are in ./private and not part of the package's API.
 */
export type { IApiEndpoint } from "./api-endpoint";
export type { IKubeadmCluster } from "./cluster-interface";
export { NodeImages } from "./cluster-interface";
export { ControlPlaneIdentity } from "./control-plane-identity";
export type { ControlPlaneIdentityProps } from "./control-plane-identity";
export { EtcdCluster } from "./etcd-cluster";
export type { EtcdClusterProps } from "./etcd-cluster";
export { KeepalivedEndpoint } from "./keepalived-endpoint";
export type { KeepalivedEndpointProps } from "./keepalived-endpoint";
export { KubeadmCluster } from "./kubeadm-cluster";
export type { KubeadmClusterProps } from "./kubeadm-cluster";
export { ClusterNetwork } from "./network";
export type { ClusterNetworkProps } from "./network";
export { NlbEndpoint } from "./nlb-endpoint";
export { WorkerIdentity } from "./worker-identity";
export type { WorkerIdentityProps } from "./worker-identity";
export { WorkerPool } from "./worker-pool";
export type { WorkerPoolProps } from "./worker-pool";
export type { ApiLoadBalancer, NlbEndpointProps } from "./nlb-endpoint";
export type { NodeIdentity } from "./private/node-defaults";
