/**
 * The framework-free description of the AWS resources a cluster needs (security-group rules, IAM
 * statements, tags), which each flavour (cdktf, AWS CDK) maps onto its framework's resources.
 */
export * from "./policies";
export * from "./security-groups";
export * from "./tags";
export * from "./cluster-names";
export * from "./images";
export * from "./identities";
export * from "./load-balancer";
export * from "./address-reservations";
export * from "./worker-pool";
export * from "./outputs";
