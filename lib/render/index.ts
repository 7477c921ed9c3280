export * from "./cloud-config";
export * from "./control-plane-user-data";
export * from "./etcd";
export * from "./keepalived";
export * from "./kubeadm";
export * from "./node-env";
