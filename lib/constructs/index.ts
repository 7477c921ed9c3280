export * from "./api-endpoint";
export * from "./control-plane-identity";
export * from "./etcd-cluster";
export * from "./keepalived-endpoint";
export * from "./kubeadm-cluster";
export * from "./node-defaults";
export * from "./network";
export * from "./nlb-endpoint";
