/**
 * The AWS CDK flavour (aws-cdk-lib 2.x, CloudFormation): `import { KubeadmCluster } from
 * "kubeadm-ha-aws/aws-cdk"`. The same spec, validation, user data and node scripts as the cdktf
 * flavour at the package root, and the same lower-level constructs for stacks that compose their
 * own; this subpath imports aws-cdk-lib only. Helpers they share are in ./private.
 */
export type { IApiEndpoint } from "./api-endpoint";
export type { IKubeadmCluster } from "./cluster-interface";
export { ControlPlaneIdentity } from "./control-plane-identity";
export type { ControlPlaneIdentityProps } from "./control-plane-identity";
export { EtcdCluster } from "./etcd-cluster";
export type { EtcdClusterProps } from "./etcd-cluster";
export { KeepalivedEndpoint } from "./keepalived-endpoint";
export type { KeepalivedEndpointProps } from "./keepalived-endpoint";
export { KubeadmCluster } from "./kubeadm-cluster";
export type { KubeadmClusterProps } from "./kubeadm-cluster";
export { NlbEndpoint } from "./nlb-endpoint";
export type { ApiLoadBalancer, NlbEndpointProps } from "./nlb-endpoint";
export { WorkerIdentity } from "./worker-identity";
export type { WorkerIdentityProps } from "./worker-identity";
export { WorkerPool } from "./worker-pool";
export type { WorkerPoolProps } from "./worker-pool";
export type { ClusterInstanceProps, NodeIdentity } from "./private/resources";
export { ClusterNetwork } from "./network";
export type { VpcProps } from "./vpc-props";
export { ClusterSpecError } from "../cluster-spec";
export { UserDataTooLargeError } from "../render/user-data";
