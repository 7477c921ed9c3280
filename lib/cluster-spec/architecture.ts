import { Architecture, ClusterSpec } from "./types";

/** Graviton instance families (m7g, t4g, c8gd, ..., and the first Graviton, a1) are arm64; everything else this project runs is amd64. */
export function instanceArchitecture(instanceType: string): Architecture {
  return /^([a-z]+\d+g[a-z]*|a1)\./.test(instanceType) ? "arm64" : "amd64";
}

/** Every instance type a cluster runs, with the prop that sets it (one entry per distinct type, first prop wins). */
export function nodeInstanceTypes(
  spec: Pick<ClusterSpec, "instanceType" | "endpoint" | "etcd">,
): { readonly prop: string; readonly instanceType: string }[] {
  const all = [
    { prop: "instanceType", instanceType: spec.instanceType },
    ...(spec.endpoint.type === "keepalived" && spec.endpoint.placement === "dedicated"
      ? [{ prop: "endpoint.loadBalancerInstanceType", instanceType: spec.endpoint.loadBalancerInstanceType }]
      : []),
    ...(spec.etcd.topology === "external" ? [{ prop: "etcd.instanceType", instanceType: spec.etcd.instanceType }] : []),
  ];
  return all.filter((t, i) => all.findIndex((u) => u.instanceType === t.instanceType) === i);
}
