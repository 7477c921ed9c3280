import {
  ClusterSpec,
  ControlPlaneNodeSpec,
  EtcdMemberSpec,
  ExternalEtcdSpec,
  KeepalivedEndpointSpec,
  VrrpPeerSpec,
} from "../spec";
import { deploySettingsParameterName } from "../spec/names";
import { DOWNLOAD_SOURCES } from "../spec/versions";
import { CloudConfigFile, renderCloudConfig } from "./cloud-config";
import { CONTAINERD_PATHS, renderContainerdConfig, renderContainerdUnit, renderCrictlConfig } from "./containerd";
import { ETCD_PATHS, etcdClientUrls, renderEtcdEnv, renderEtcdUnit } from "./etcd";
import {
  FAILOVER_TIMERS,
  HAPROXY_MONITOR,
  VRRP_PEER_CLOUD_CFG,
  renderHaproxyCfg,
  renderKeepalivedConf,
} from "./keepalived";
import { EndpointAddress, KUBEADM_PATCHES_DIR, KUBEADM_UPGRADE_CONFIG, renderKubeadmConfig } from "./kubeadm";
import { NodeSettings, renderDeploySettings, renderNodeSettings } from "./node-settings";
import { IMDS_ENDPOINT, NODE_PATHS } from "./paths";
import { shippedScript } from "./scripts";
import { BOOTSTRAP_UNIT, VIP_GUARD_UNIT, renderBootstrapUnit, renderVipGuardUnit, unitPath } from "./systemd";

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

/**
 * chrony's source: the Amazon Time Sync Service at its link-local address, which every instance reaches
 * without NTP egress (the security groups allow none), as AWS documents it
 * (docs.aws.amazon.com/AWSEC2/latest/UserGuide/configure-ec2-ntp.html). Ubuntu's chrony.conf reads sources.d.
 */
export const TIME_SYNC_SOURCE: CloudConfigFile = {
  path: "/etc/chrony/sources.d/amazon-time-sync.sources",
  content: "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n",
  permissions: "0644",
};

export interface NodeUserDataContext {
  readonly spec: ClusterSpec;
  /** The endpoint: the static files hold its port and placeholders for its host and names (the deploy settings have them). */
  readonly endpoint: EndpointAddress;
}

export interface ControlPlaneUserDataInput extends NodeUserDataContext {
  readonly node: ControlPlaneNodeSpec;
}

/**
 * What only the deploy knows, as the framework's tokens: the endpoint's names, the secrets' ARNs
 * (their values are written by the nodes at boot, never here), the route tables of the VIP.
 */
export interface DeployValues {
  readonly endpoint: EndpointAddress;
  readonly joinSecretId: string;
  readonly adminKubeconfigSecretId: string;
  /** External etcd only: the secret etcd member 0 fills with the API server's etcd client certificate. */
  readonly etcdClientSecretId?: string;
  /** External etcd only: the secret etcd member 0 fills with the etcd CA. */
  readonly etcdCaSecretId?: string;
  /** keepalived only: the route tables the VIP's /32 route lives in (`route` mode). */
  readonly routeTableIds?: string[];
}

/** The deploy settings of a cluster: the value of its SSM parameter (deploySettingsParameterName), one for every node. */
export function renderClusterDeploySettings(spec: ClusterSpec, values: DeployValues): string {
  return renderDeploySettings({
    ENDPOINT_HOST: values.endpoint.host,
    API_SERVER_EXTRA_NAMES: (values.endpoint.extraNames ?? []).join(" "),
    JOIN_SECRET_ID: values.joinSecretId,
    ADMIN_KUBECONFIG_SECRET_ID: values.adminKubeconfigSecretId,
    ...(spec.etcd.topology === "external"
      ? { ETCD_CLIENT_SECRET_ID: values.etcdClientSecretId ?? "", ETCD_CA_SECRET_ID: values.etcdCaSecretId ?? "" }
      : {}),
    // Only a routed VIP moves a route; a secondary IP names no table (and keeps the parameter small).
    ...(spec.endpoint.type === "keepalived"
      ? { ROUTE_TABLE_IDS: spec.endpoint.vipMode === "route" ? (values.routeTableIds ?? []).join(" ") : "" }
      : {}),
  });
}

/** The colocated keepalived peer a control-plane node is, if any. */
export function colocatedPeer(spec: ClusterSpec, node: ControlPlaneNodeSpec): VrrpPeerSpec | undefined {
  return spec.endpoint.type === "keepalived" && spec.endpoint.placement === "colocated"
    ? spec.endpoint.peers[node.index]
    : undefined;
}

/** Settings every node kind has: who it is, how it reaches the cloud, where its deploy settings are. */
function nodeEnv(spec: ClusterSpec, name: string, ip: string): NodeSettings {
  return {
    CLUSTER_NAME: spec.clusterName,
    NODE_NAME: name,
    NODE_IP: ip,
    CLOUD_PROVIDER: "aws",
    IMDS_ENDPOINT,
    DEPLOY_SETTINGS_PARAMETER: deploySettingsParameterName(spec.clusterName),
  };
}

function vipEnv(endpoint: KeepalivedEndpointSpec): NodeSettings {
  return {
    VIP: endpoint.virtualIp,
    VIP_MODE: endpoint.vipMode,
    VIP_REASSERT_SECONDS: FAILOVER_TIMERS.vipReassertSeconds,
    VIP_GUARD_UNIT,
    HAPROXY_MONITOR_PORT: HAPROXY_MONITOR.port,
    HAPROXY_MONITOR_PATH: HAPROXY_MONITOR.path,
    ENDPOINT_SETUP: `${NODE_PATHS.scripts}/setup-endpoint.sh`,
  };
}

/** The unit that bootstraps the node, and the commands cloud-init runs once to start it (without waiting: it may take minutes). */
function bootstrapFiles(what: string, execStart: string): { files: CloudConfigFile[]; runcmd: string[][] } {
  return {
    files: [{ path: unitPath(BOOTSTRAP_UNIT), content: renderBootstrapUnit(what, execStart), permissions: "0644" }],
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "--no-block", BOOTSTRAP_UNIT],
    ],
  };
}

/** The settings file every node script sources: the spec as seen by one control-plane node. */
export function renderControlPlaneEnv(input: ControlPlaneUserDataInput): string {
  const { spec, node } = input;
  return renderNodeSettings({
    ...nodeEnv(spec, node.name, node.privateIp),
    NODE_INDEX: node.index,
    CONTROL_PLANE_IPS: spec.controlPlane.map((n) => n.privateIp).join(" "),
    CONTROL_PLANE_NAMES: spec.controlPlane.map((n) => n.name).join(" "),
    API_SERVER_PORT: spec.apiServerPort,
    KUBERNETES_VERSION: spec.kubernetesVersion,
    KUBERNETES_MINOR: `1.${spec.kubernetesMinor}`,
    KUBERNETES_PACKAGE_REPO: DOWNLOAD_SOURCES.kubernetesPackages(spec.kubernetesMinor),
    NODE_ARCH: spec.architecture,
    CONTAINERD_VERSION: spec.containerd.version,
    CONTAINERD_SHA256: spec.containerd.sha256,
    CONTAINERD_RELEASES: DOWNLOAD_SOURCES.containerdReleases,
    RUNC_VERSION: spec.runc.version,
    RUNC_SHA256: spec.runc.sha256,
    RUNC_RELEASES: DOWNLOAD_SOURCES.runcReleases,
    ETCD_TOPOLOGY: spec.etcd.topology,
    KUBEADM_PATCHES_DIR,
    ...(spec.etcd.topology === "external" ? { ETCD_ENDPOINTS: etcdClientUrls(spec.etcd) } : {}),
    ...(colocatedPeer(spec, node) ? vipEnv(spec.endpoint as KeepalivedEndpointSpec) : {}),
  });
}

function scriptFiles(names: readonly ScriptName[], scripts: NodeScripts): CloudConfigFile[] {
  return names.map((name) => ({
    path: `${NODE_PATHS.scripts}/${name}`,
    content: shippedScript(name, scripts[name]),
    permissions: "0755",
  }));
}

/** keepalived template and haproxy.cfg of one VRRP peer. */
function endpointFiles(spec: ClusterSpec, endpoint: KeepalivedEndpointSpec, peer: VrrpPeerSpec): CloudConfigFile[] {
  const backends = spec.controlPlane.map((n) => ({ name: n.name, address: n.privateIp }));
  return [
    {
      path: `${NODE_PATHS.etc}/keepalived.conf.template`,
      content: renderKeepalivedConf(endpoint, peer),
      permissions: "0644",
    },
    {
      path: `${NODE_PATHS.etc}/haproxy.cfg`,
      content: renderHaproxyCfg(endpoint.port, backends, spec.apiServerPort),
      permissions: "0644",
    },
    { path: unitPath(VIP_GUARD_UNIT), content: renderVipGuardUnit(), permissions: "0644" },
    { ...VRRP_PEER_CLOUD_CFG, permissions: "0644" },
  ];
}

/** The complete `#cloud-config` user data of one control-plane node. */
export function renderControlPlaneUserData(input: ControlPlaneUserDataInput, scripts: NodeScripts): string {
  const { spec, node } = input;
  const kubeadm = renderKubeadmConfig(spec, node, input.endpoint);
  const peer = colocatedPeer(spec, node);
  const names: ScriptName[] = [
    "common.sh",
    "cloud-aws.sh",
    "install-kubernetes.sh",
    "bootstrap-control-plane.sh",
    ...(peer ? ENDPOINT_SCRIPTS : []),
  ];
  const bootstrap = bootstrapFiles(
    `control-plane node ${node.name}`,
    `${NODE_PATHS.scripts}/bootstrap-control-plane.sh`,
  );
  return renderCloudConfig({
    hostname: node.name,
    files: [
      { path: `${NODE_PATHS.etc}/cluster.env`, content: renderControlPlaneEnv(input), permissions: "0644" },
      { path: `${NODE_PATHS.etc}/kubeadm-init.yaml`, content: kubeadm.init, permissions: "0600" },
      { path: `${NODE_PATHS.etc}/kubeadm-join.yaml`, content: kubeadm.join, permissions: "0600" },
      { path: KUBEADM_UPGRADE_CONFIG, content: kubeadm.upgrade, permissions: "0644" },
      ...Object.entries(kubeadm.patches).map(([name, content]) => ({
        path: `${KUBEADM_PATCHES_DIR}/${name}`,
        content,
        permissions: "0644",
      })),
      { path: CONTAINERD_PATHS.config, content: renderContainerdConfig(spec), permissions: "0644" },
      { path: CONTAINERD_PATHS.unit, content: renderContainerdUnit(), permissions: "0644" },
      { path: CONTAINERD_PATHS.crictl, content: renderCrictlConfig(), permissions: "0644" },
      TIME_SYNC_SOURCE,
      ...(peer ? endpointFiles(spec, spec.endpoint as KeepalivedEndpointSpec, peer) : []),
      ...bootstrap.files,
      ...scriptFiles(names, scripts),
    ],
    runcmd: bootstrap.runcmd,
  });
}

/** The settings file of a dedicated load balancer. */
export function renderLoadBalancerEnv(context: NodeUserDataContext, peer: VrrpPeerSpec): string {
  const endpoint = context.spec.endpoint as KeepalivedEndpointSpec;
  return renderNodeSettings({
    ...nodeEnv(context.spec, peer.name, peer.privateIp),
    ...vipEnv(endpoint),
  });
}

/** The complete `#cloud-config` user data of a dedicated keepalived + HAProxy load balancer. */
export function renderLoadBalancerUserData(
  context: NodeUserDataContext,
  peer: VrrpPeerSpec,
  scripts: NodeScripts,
): string {
  const endpoint = context.spec.endpoint as KeepalivedEndpointSpec;
  const bootstrap = bootstrapFiles(
    `API load balancer ${peer.name}`,
    `${NODE_PATHS.scripts}/setup-endpoint.sh --standalone`,
  );
  return renderCloudConfig({
    hostname: peer.name,
    files: [
      { path: `${NODE_PATHS.etc}/cluster.env`, content: renderLoadBalancerEnv(context, peer), permissions: "0644" },
      ...endpointFiles(context.spec, endpoint, peer),
      TIME_SYNC_SOURCE,
      ...bootstrap.files,
      ...scriptFiles(["common.sh", "cloud-aws.sh", ...ENDPOINT_SCRIPTS], scripts),
    ],
    runcmd: bootstrap.runcmd,
  });
}

export interface EtcdMemberUserDataInput {
  readonly spec: ClusterSpec;
  readonly member: EtcdMemberSpec;
}

/** The settings file of an external etcd member. */
export function renderEtcdMemberEnv(input: EtcdMemberUserDataInput): string {
  const etcd = input.spec.etcd as ExternalEtcdSpec;
  return renderNodeSettings({
    ...nodeEnv(input.spec, input.member.name, input.member.privateIp),
    NODE_INDEX: input.member.index,
    ETCD_ENDPOINTS: etcdClientUrls(etcd),
    ETCD_RELEASE: etcd.version,
    ETCD_RELEASE_SHA256: etcd.sha256,
    ETCD_RELEASE_ARCH: etcd.architecture,
    ETCD_RELEASES: DOWNLOAD_SOURCES.etcdReleases,
  });
}

/** The complete `#cloud-config` user data of an external etcd member. */
export function renderEtcdMemberUserData(input: EtcdMemberUserDataInput, scripts: NodeScripts): string {
  const etcd = input.spec.etcd as ExternalEtcdSpec;
  const bootstrap = bootstrapFiles(`etcd member ${input.member.name}`, `${NODE_PATHS.scripts}/bootstrap-etcd.sh`);
  return renderCloudConfig({
    hostname: input.member.name,
    files: [
      { path: `${NODE_PATHS.etc}/cluster.env`, content: renderEtcdMemberEnv(input), permissions: "0644" },
      { path: ETCD_PATHS.env, content: renderEtcdEnv(input.spec, etcd, input.member), permissions: "0644" },
      { path: ETCD_PATHS.unit, content: renderEtcdUnit(), permissions: "0644" },
      TIME_SYNC_SOURCE,
      ...bootstrap.files,
      ...scriptFiles(["common.sh", "cloud-aws.sh", "bootstrap-etcd.sh"], scripts),
    ],
    runcmd: bootstrap.runcmd,
  });
}
