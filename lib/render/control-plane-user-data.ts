import { ClusterSpec, ControlPlaneNodeSpec, EtcdMemberSpec, ExternalEtcdSpec, KeepalivedEndpointSpec, VrrpPeerSpec } from "../spec";
import { CloudConfigFile, renderCloudConfig } from "./cloud-config";
import { ETCD_PATHS, etcdClientUrls, renderEtcdEnv, renderEtcdUnit } from "./etcd";
import { HAPROXY_MONITOR, renderHaproxyCfg, renderKeepalivedConf } from "./keepalived";
import { EndpointAddress, renderKubeadmConfig } from "./kubeadm";
import { renderEnvFile } from "./node-env";

/** Every userdata/ script a node may run, by file name. */
export const NODE_SCRIPTS = [
  "common.sh",
  "cloud-aws.sh",
  "install-kubernetes.sh",
  "bootstrap-control-plane.sh",
  "setup-endpoint.sh",
  "check-apiserver.sh",
  "keepalived-notify.sh",
  "bootstrap-etcd.sh",
] as const;
export type ScriptName = (typeof NODE_SCRIPTS)[number];
export type NodeScripts = Readonly<Record<ScriptName, string>>;

const ENDPOINT_SCRIPTS: ScriptName[] = ["setup-endpoint.sh", "check-apiserver.sh", "keepalived-notify.sh"];

export const NODE_PATHS = {
  etc: "/etc/kubeadm-ha",
  scripts: "/opt/kubeadm-ha",
} as const;

export interface NodeUserDataContext {
  readonly spec: ClusterSpec;
  readonly endpoint: EndpointAddress;
  readonly region: string;
  /** Route tables the VIP's /32 route lives in (`route` mode), as ids or tokens. */
  readonly routeTableIds?: string[];
}

export interface ControlPlaneUserDataInput extends NodeUserDataContext {
  readonly node: ControlPlaneNodeSpec;
  /** Id (ARN) of the per-cluster join secret; its value is written by node 0 at boot, never here. */
  readonly joinSecretId: string;
  /** External etcd only: the secret etcd member 0 fills with the API server's etcd client certificate. */
  readonly etcdClientSecretId?: string;
}

/** The colocated keepalived peer a control-plane node is, if any. */
export function colocatedPeer(spec: ClusterSpec, node: ControlPlaneNodeSpec): VrrpPeerSpec | undefined {
  return spec.endpoint.type === "keepalived" && spec.endpoint.placement === "colocated" ? spec.endpoint.peers[node.index] : undefined;
}

function vipEnv(endpoint: KeepalivedEndpointSpec, routeTableIds: string[] | undefined) {
  return {
    VIP: endpoint.virtualIp,
    VIP_MODE: endpoint.vipMode,
    ROUTE_TABLE_IDS: (routeTableIds ?? []).join(" "),
    HAPROXY_MONITOR_PORT: HAPROXY_MONITOR.port,
    HAPROXY_MONITOR_PATH: HAPROXY_MONITOR.path,
    ENDPOINT_SETUP: `${NODE_PATHS.scripts}/setup-endpoint.sh`,
  };
}

/** The settings file every node script sources: the spec as seen by one control-plane node. */
export function renderControlPlaneEnv(input: ControlPlaneUserDataInput): string {
  const { spec, node, endpoint } = input;
  return renderEnvFile({
    CLUSTER_NAME: spec.clusterName,
    NODE_INDEX: node.index,
    NODE_NAME: node.name,
    NODE_IP: node.privateIp,
    CONTROL_PLANE_IPS: spec.controlPlane.map((n) => n.privateIp).join(" "),
    CONTROL_PLANE_NAMES: spec.controlPlane.map((n) => n.name).join(" "),
    ENDPOINT_HOST: endpoint.host,
    API_SERVER_PORT: spec.apiServerPort,
    JOIN_SECRET_ID: input.joinSecretId,
    AWS_REGION: input.region,
    KUBERNETES_VERSION: spec.kubernetesVersion,
    KUBERNETES_MINOR: `1.${spec.kubernetesMinor}`,
    CONTAINERD_VERSION: spec.containerdVersion,
    CLOUD_PROVIDER: "aws",
    ETCD_TOPOLOGY: spec.etcd.topology,
    ...(spec.etcd.topology === "external"
      ? {
          ETCD_ENDPOINTS: etcdClientUrls(spec.etcd),
          ETCD_CLIENT_SECRET_ID: input.etcdClientSecretId ?? "",
        }
      : {}),
    ...(colocatedPeer(spec, node) ? vipEnv(spec.endpoint as KeepalivedEndpointSpec, input.routeTableIds) : {}),
  });
}

function scriptFiles(names: readonly ScriptName[], scripts: NodeScripts): CloudConfigFile[] {
  return names.map((name) => ({ path: `${NODE_PATHS.scripts}/${name}`, content: scripts[name], permissions: "0755" }));
}

/** keepalived template and haproxy.cfg of one VRRP peer. */
function endpointFiles(spec: ClusterSpec, endpoint: KeepalivedEndpointSpec, peer: VrrpPeerSpec): CloudConfigFile[] {
  const backends = spec.controlPlane.map((n) => ({ name: n.name, address: n.privateIp }));
  return [
    { path: `${NODE_PATHS.etc}/keepalived.conf.template`, content: renderKeepalivedConf(endpoint, peer), permissions: "0644" },
    { path: `${NODE_PATHS.etc}/haproxy.cfg`, content: renderHaproxyCfg(endpoint.port, backends, spec.apiServerPort), permissions: "0644" },
  ];
}

/** The complete `#cloud-config` user data of one control-plane node. */
export function renderControlPlaneUserData(input: ControlPlaneUserDataInput, scripts: NodeScripts): string {
  const { spec, node } = input;
  const kubeadm = renderKubeadmConfig(spec, node, input.endpoint);
  const peer = colocatedPeer(spec, node);
  const names: ScriptName[] = ["common.sh", "cloud-aws.sh", "install-kubernetes.sh", "bootstrap-control-plane.sh", ...(peer ? ENDPOINT_SCRIPTS : [])];
  return renderCloudConfig({
    hostname: node.name,
    files: [
      { path: `${NODE_PATHS.etc}/cluster.env`, content: renderControlPlaneEnv(input), permissions: "0644" },
      { path: `${NODE_PATHS.etc}/kubeadm-init.yaml`, content: kubeadm.init, permissions: "0600" },
      { path: `${NODE_PATHS.etc}/kubeadm-join.yaml`, content: kubeadm.join, permissions: "0600" },
      ...(peer ? endpointFiles(spec, spec.endpoint as KeepalivedEndpointSpec, peer) : []),
      ...scriptFiles(names, scripts),
    ],
    runcmd: [[`${NODE_PATHS.scripts}/bootstrap-control-plane.sh`]],
  });
}

/** The settings file of a dedicated load balancer. */
export function renderLoadBalancerEnv(context: NodeUserDataContext, peer: VrrpPeerSpec): string {
  const endpoint = context.spec.endpoint as KeepalivedEndpointSpec;
  return renderEnvFile({
    CLUSTER_NAME: context.spec.clusterName,
    NODE_NAME: peer.name,
    NODE_IP: peer.privateIp,
    AWS_REGION: context.region,
    CLOUD_PROVIDER: "aws",
    ...vipEnv(endpoint, context.routeTableIds),
  });
}

/** The complete `#cloud-config` user data of a dedicated keepalived + HAProxy load balancer. */
export function renderLoadBalancerUserData(context: NodeUserDataContext, peer: VrrpPeerSpec, scripts: NodeScripts): string {
  const endpoint = context.spec.endpoint as KeepalivedEndpointSpec;
  return renderCloudConfig({
    hostname: peer.name,
    files: [
      { path: `${NODE_PATHS.etc}/cluster.env`, content: renderLoadBalancerEnv(context, peer), permissions: "0644" },
      ...endpointFiles(context.spec, endpoint, peer),
      ...scriptFiles(["common.sh", "cloud-aws.sh", ...ENDPOINT_SCRIPTS], scripts),
    ],
    runcmd: [[`${NODE_PATHS.scripts}/setup-endpoint.sh`, "--standalone"]],
  });
}

export interface EtcdMemberUserDataInput {
  readonly spec: ClusterSpec;
  readonly member: EtcdMemberSpec;
  readonly region: string;
  /** The etcd CA secret (members only) and the API server's etcd client secret (member 0 fills both). */
  readonly etcdCaSecretId: string;
  readonly etcdClientSecretId: string;
}

/** The settings file of an external etcd member. */
export function renderEtcdMemberEnv(input: EtcdMemberUserDataInput): string {
  const etcd = input.spec.etcd as ExternalEtcdSpec;
  return renderEnvFile({
    CLUSTER_NAME: input.spec.clusterName,
    NODE_INDEX: input.member.index,
    NODE_NAME: input.member.name,
    NODE_IP: input.member.privateIp,
    ETCD_ENDPOINTS: etcdClientUrls(etcd),
    ETCD_CA_SECRET_ID: input.etcdCaSecretId,
    ETCD_CLIENT_SECRET_ID: input.etcdClientSecretId,
    ETCD_RELEASE: etcd.version,
    ETCD_RELEASE_SHA256: etcd.sha256,
    ETCD_RELEASE_ARCH: etcd.architecture,
    AWS_REGION: input.region,
    CLOUD_PROVIDER: "aws",
  });
}

/** The complete `#cloud-config` user data of an external etcd member. */
export function renderEtcdMemberUserData(input: EtcdMemberUserDataInput, scripts: NodeScripts): string {
  const etcd = input.spec.etcd as ExternalEtcdSpec;
  return renderCloudConfig({
    hostname: input.member.name,
    files: [
      { path: `${NODE_PATHS.etc}/cluster.env`, content: renderEtcdMemberEnv(input), permissions: "0644" },
      { path: ETCD_PATHS.env, content: renderEtcdEnv(input.spec, etcd, input.member), permissions: "0644" },
      { path: ETCD_PATHS.unit, content: renderEtcdUnit(), permissions: "0644" },
      ...scriptFiles(["common.sh", "cloud-aws.sh", "bootstrap-etcd.sh"], scripts),
    ],
    runcmd: [[`${NODE_PATHS.scripts}/bootstrap-etcd.sh`]],
  });
}
