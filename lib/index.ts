/**
 * The package root: the cdktf flavour (also CDK Terrain), the spec and its errors, and the render
 * entry points. The AWS CDK flavour is the `kubeadm-ha-aws/aws-cdk` subpath (lib/aws-cdk), so a
 * user installs only the framework they use.
 */
export * from "./cdktf";
export type * from "./cluster-spec/types";
export { ClusterSpecError, DEFAULTS, resolveClusterSpec, SUPPORTED_KUBERNETES_MINORS } from "./cluster-spec/resolve";
export type { ResolveOptions, SpecProblem } from "./cluster-spec/resolve";
export { CLUSTER_TAG, STATUS_TAG } from "./model/tags";
export { UserDataTooLargeError } from "./render/user-data";
export * as render from "./render";
