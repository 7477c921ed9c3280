/**
 * The AWS CDK flavour (aws-cdk-lib 2.x, CloudFormation): `import { KubeadmCluster } from
 * "cdktf-kubeadm-ha/aws-cdk"`. The same spec, validation, user data and node scripts as the cdktf
 * flavour at the package root; this subpath imports aws-cdk-lib only.
 */
export { KubeadmCluster } from "./kubeadm-cluster";
export type { KubeadmClusterProps } from "./kubeadm-cluster";
export { ClusterVpc } from "./vpc";
export { ClusterSpecError } from "../spec";
export { UserDataTooLargeError } from "../render/user-data";
