/**
 * What every node kind's renderer shares: the scripts a node may run, the settings every node has, the
 * unit that bootstraps it, chrony's source, and what a keepalived peer gets on whichever kind it runs
 * (a colocated control-plane node or a dedicated load balancer). One file per kind builds on these:
 * control-plane.ts, etcd-member.ts, load-balancer.ts, worker.ts.
 */
import { Architecture, ClusterSpec, KeepalivedEndpointSpec, VrrpPeerSpec } from "../cluster-spec";
import { DOWNLOAD_SOURCES } from "../cluster-spec/versions";
import { STATUS_TAG, deploySettingsParameterName } from "../cluster-spec/names";
import { CloudConfigFile } from "./cloud-config";
import {
  FAILOVER_TIMERS,
  HAPROXY_MONITOR,
  INTERFACE_PLACEHOLDER,
  VRRP_PEER_CLOUD_CFG,
  renderHaproxyCfg,
  renderKeepalivedConf,
} from "./keepalived";
import { CONTAINERD_PATHS, renderContainerdConfig, renderContainerdUnit, renderCrictlConfig } from "./containerd";
import { EndpointAddress, KUBEADM_PATCHES_DIR } from "./kubeadm";
import { EveryNodeSettings, FixedNodeSettings, KubeadmNodeSettings, VrrpPeerSettings } from "./node-settings";
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
  "kubeadm-common.sh",
  "bootstrap-worker.sh",
  "worker-token.sh",
] as const;
export type ScriptName = (typeof NODE_SCRIPTS)[number];
export type NodeScripts = Readonly<Record<ScriptName, string>>;

/** The scripts every node runs: the helpers and the cloud interface. */
export const BASE_SCRIPTS: readonly ScriptName[] = ["common.sh", "cloud-aws.sh"];
/** The scripts of a keepalived + HAProxy peer. */
export const ENDPOINT_SCRIPTS: readonly ScriptName[] = [
  "setup-endpoint.sh",
  "check-apiserver.sh",
  "keepalived-notify.sh",
];

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

/** Settings every node kind with a fixed name and address has: who it is, how it reaches the cloud, where its deploy settings are. */
export function nodeEnv(spec: ClusterSpec, name: string, ip: string): FixedNodeSettings {
  return {
    CLUSTER_NAME: spec.clusterName,
    NODE_NAME: name,
    NODE_IP: ip,
    ...cloudEnv(spec),
  };
}

/** How a node reaches the cloud and its deploy settings (every kind; a pool's nodes learn their name there). */
export function cloudEnv(spec: ClusterSpec): Omit<EveryNodeSettings, "CLUSTER_NAME"> {
  return {
    CLOUD_PROVIDER: "aws",
    IMDS_ENDPOINT,
    DEPLOY_SETTINGS_PARAMETER: deploySettingsParameterName(spec.clusterName),
    STATUS_TAG_KEY: STATUS_TAG,
  };
}

/** What install-kubernetes.sh installs, for a node of this architecture (the control plane's, or a pool's). */
export function installEnv(
  spec: ClusterSpec,
  architecture: Architecture,
  containerdSha256: string,
  runcSha256: string,
): Omit<KubeadmNodeSettings, "KUBEADM_PATCHES_DIR" | `${string}_PLACEHOLDER`> {
  return {
    KUBERNETES_VERSION: spec.kubernetesVersion,
    KUBERNETES_MINOR: `1.${spec.kubernetesMinor}`,
    KUBERNETES_PACKAGE_REPO: DOWNLOAD_SOURCES.kubernetesPackages(spec.kubernetesMinor),
    NODE_ARCH: architecture,
    CONTAINERD_VERSION: spec.containerd.version,
    CONTAINERD_SHA256: containerdSha256,
    CONTAINERD_RELEASES: DOWNLOAD_SOURCES.containerdReleases,
    RUNC_VERSION: spec.runc.version,
    RUNC_SHA256: runcSha256,
    RUNC_RELEASES: DOWNLOAD_SOURCES.runcReleases,
  };
}

/** What every node kubeadm makes a Kubernetes node of carries: kubeadm's patches, containerd, crictl. */
export function kubeadmNodeFiles(spec: ClusterSpec, patches: Readonly<Record<string, string>>): CloudConfigFile[] {
  return [
    ...Object.entries(patches).map(([name, content]) => ({
      path: `${KUBEADM_PATCHES_DIR}/${name}`,
      content,
      permissions: "0644",
    })),
    { path: CONTAINERD_PATHS.config, content: renderContainerdConfig(spec), permissions: "0644" },
    { path: CONTAINERD_PATHS.unit, content: renderContainerdUnit(), permissions: "0644" },
    { path: CONTAINERD_PATHS.crictl, content: renderCrictlConfig(), permissions: "0644" },
  ];
}

/** `/etc/kubeadm-ha/node-settings.env`, the settings file every node script sources. */
export function nodeSettingsFile(content: string): CloudConfigFile {
  return { path: `${NODE_PATHS.etc}/node-settings.env`, content, permissions: "0644" };
}

/** The unit that bootstraps the node, and the commands cloud-init runs once to start it (without waiting: it may take minutes). */
export function bootstrapFiles(what: string, execStart: string): { files: CloudConfigFile[]; runcmd: string[][] } {
  return {
    files: [{ path: unitPath(BOOTSTRAP_UNIT), content: renderBootstrapUnit(what, execStart), permissions: "0644" }],
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "--no-block", BOOTSTRAP_UNIT],
    ],
  };
}

/** The scripts a node runs, as shipped (comments stripped), in /opt/kubeadm-ha. */
export function scriptFiles(names: readonly ScriptName[], scripts: NodeScripts): CloudConfigFile[] {
  return names.map((name) => ({
    path: `${NODE_PATHS.scripts}/${name}`,
    content: shippedScript(name, scripts[name]),
    permissions: "0755",
  }));
}

/** The settings of a keepalived peer, on a colocated control-plane node or a dedicated load balancer. */
export function vipEnv(endpoint: KeepalivedEndpointSpec): VrrpPeerSettings {
  return {
    VIP: endpoint.virtualIp,
    VIP_MODE: endpoint.vipMode,
    VIP_REASSERT_SECONDS: FAILOVER_TIMERS.vipReassertSeconds,
    VIP_GUARD_UNIT,
    HAPROXY_MONITOR_PORT: HAPROXY_MONITOR.port,
    HAPROXY_MONITOR_PATH: HAPROXY_MONITOR.path,
    ENDPOINT_SETUP: `${NODE_PATHS.scripts}/setup-endpoint.sh`,
    INTERFACE_PLACEHOLDER,
  };
}

/** keepalived template and haproxy.cfg of one VRRP peer, its VIP guard unit and cloud-init drop-in. */
export function endpointFiles(
  spec: ClusterSpec,
  endpoint: KeepalivedEndpointSpec,
  peer: VrrpPeerSpec,
): CloudConfigFile[] {
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
