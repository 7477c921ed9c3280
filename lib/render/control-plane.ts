/**
 * The control-plane node: its settings (node-settings.env) and its complete user data: kubeadm's documents
 * and patches, containerd, and with a colocated keepalived the endpoint's files and scripts.
 */
import { ClusterSpec, ControlPlaneNodeSpec, KeepalivedEndpointSpec, VrrpPeerSpec } from "../cluster-spec";
import { renderCloudConfig } from "./cloud-config";
import { etcdClientUrls } from "./etcd";
import { KUBEADM_PATCHES_DIR, KUBEADM_UPGRADE_CONFIG, NODE_PLACEHOLDERS, renderKubeadmConfig } from "./kubeadm";
import {
  BASE_SCRIPTS,
  ENDPOINT_SCRIPTS,
  NodeScripts,
  NodeUserDataContext,
  ScriptName,
  TIME_SYNC_SOURCE,
  bootstrapFiles,
  nodeSettingsFile,
  endpointFiles,
  installEnv,
  kubeadmNodeFiles,
  nodeEnv,
  scriptFiles,
  vipEnv,
} from "./node-common";
import { ControlPlaneSettings, ControlPlaneVrrpSettings, renderNodeSettings } from "./node-settings";
import { NODE_PATHS } from "./paths";
import { WORKER_TOKEN_TIMER, WORKER_TOKEN_TIMES, WORKER_TOKEN_UNIT, renderWorkerTokenUnits, unitPath } from "./systemd";

export interface ControlPlaneUserDataInput extends NodeUserDataContext {
  readonly node: ControlPlaneNodeSpec;
}

/** The colocated keepalived peer a control-plane node is, if any. */
export function colocatedPeer(spec: ClusterSpec, node: ControlPlaneNodeSpec): VrrpPeerSpec | undefined {
  return spec.endpoint.type === "keepalived" && spec.endpoint.placement === "colocated"
    ? spec.endpoint.peers[node.index]
    : undefined;
}

/** The settings file every node script sources: the spec as seen by one control-plane node. */
export function renderControlPlaneEnv(input: ControlPlaneUserDataInput): string {
  const { spec, node } = input;
  const common = {
    ...nodeEnv(spec, node.name, node.privateIp),
    NODE_INDEX: node.index,
    CONTROL_PLANE_IPS: spec.controlPlane.map((n) => n.privateIp).join(" "),
    CONTROL_PLANE_NAMES: spec.controlPlane.map((n) => n.name).join(" "),
    API_SERVER_PORT: spec.apiServerPort,
    ...installEnv(spec, spec.architecture, spec.containerd.sha256, spec.runc.sha256),
  };
  // What bash fills in at boot, named here so the scripts never spell a placeholder.
  const placeholders = {
    PROVIDER_ID_PLACEHOLDER: NODE_PLACEHOLDERS.providerId,
    ENDPOINT_HOST_PLACEHOLDER: NODE_PLACEHOLDERS.endpointHost,
    API_SERVER_EXTRA_NAME_PLACEHOLDERS: (input.endpoint.extraNames ?? [])
      .map((_, i) => NODE_PLACEHOLDERS.extraName(i))
      .join(" "),
    BOOTSTRAP_TOKEN_PLACEHOLDER: NODE_PLACEHOLDERS.token,
    CA_CERT_HASH_PLACEHOLDER: NODE_PLACEHOLDERS.caCertHash,
    WORKER_TOKEN_TTL_SECONDS: WORKER_TOKEN_TIMES.ttlSeconds,
    WORKER_TOKEN_RENEW_SECONDS: WORKER_TOKEN_TIMES.renewSeconds,
  };
  const vrrp: ControlPlaneVrrpSettings = colocatedPeer(spec, node)
    ? vipEnv(spec.endpoint as KeepalivedEndpointSpec)
    : {};
  const settings: ControlPlaneSettings =
    spec.etcd.topology === "external"
      ? {
          ...common,
          ETCD_TOPOLOGY: "external",
          KUBEADM_PATCHES_DIR,
          ETCD_ENDPOINTS: etcdClientUrls(spec.etcd),
          ...placeholders,
          ...vrrp,
        }
      : { ...common, ETCD_TOPOLOGY: "stacked", KUBEADM_PATCHES_DIR, ...placeholders, ...vrrp };
  return renderNodeSettings(settings);
}

/** The complete `#cloud-config` user data of one control-plane node. */
export function renderControlPlaneUserData(input: ControlPlaneUserDataInput, scripts: NodeScripts): string {
  const { spec, node } = input;
  const kubeadm = renderKubeadmConfig(spec, node, input.endpoint);
  const peer = colocatedPeer(spec, node);
  const names: ScriptName[] = [
    ...BASE_SCRIPTS,
    "install-kubernetes.sh",
    "kubeadm-common.sh",
    "bootstrap-control-plane.sh",
    "worker-token.sh",
    ...(peer ? ENDPOINT_SCRIPTS : []),
  ];
  const workerToken = renderWorkerTokenUnits();
  const bootstrap = bootstrapFiles(
    `control-plane node ${node.name}`,
    `${NODE_PATHS.scripts}/bootstrap-control-plane.sh`,
  );
  return renderCloudConfig({
    hostname: node.name,
    files: [
      nodeSettingsFile(renderControlPlaneEnv(input)),
      { path: `${NODE_PATHS.etc}/kubeadm-init.yaml`, content: kubeadm.init, permissions: "0600" },
      { path: `${NODE_PATHS.etc}/kubeadm-join.yaml`, content: kubeadm.join, permissions: "0600" },
      { path: KUBEADM_UPGRADE_CONFIG, content: kubeadm.upgrade, permissions: "0644" },
      ...kubeadmNodeFiles(spec, kubeadm.patches),
      TIME_SYNC_SOURCE,
      ...(peer ? endpointFiles(spec, spec.endpoint as KeepalivedEndpointSpec, peer) : []),
      ...bootstrap.files,
      { path: unitPath(WORKER_TOKEN_UNIT), content: workerToken.service, permissions: "0644" },
      { path: unitPath(WORKER_TOKEN_TIMER), content: workerToken.timer, permissions: "0644" },
      ...scriptFiles(names, scripts),
    ],
    runcmd: [...bootstrap.runcmd, ["systemctl", "enable", "--now", WORKER_TOKEN_TIMER]],
  });
}
