import { stringify } from "yaml";
import { ClusterSpec, ControlPlaneNodeSpec, ExternalEtcdSpec, WorkerPoolSpec } from "../cluster-spec";
import { drainTimers } from "./shutdown-timers";
import { NODE_PATHS } from "./paths";
import { EXTERNAL_ETCD_CLIENT_FILES, etcdClientUrl } from "./etcd";

export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";
export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";
/**
 * Filled in on the node at boot: the token is minted there (never shipped), the CA hash comes with the
 * shared roots, and the provider ID (`aws:///ZONE/INSTANCE-ID`) from the instance metadata.
 */
export const NODE_PLACEHOLDERS = {
  token: "__BOOTSTRAP_TOKEN__",
  caCertHash: "__CA_CERT_HASH__",
  providerId: "__PROVIDER_ID__",
  /** The deploy settings' ENDPOINT_HOST and API_SERVER_EXTRA_NAMES (known only once deployed, so never in user data). */
  endpointHost: "__ENDPOINT_HOST__",
  extraName: (index: number) => `__API_SERVER_EXTRA_NAME_${index}__`,
  /** A worker's name and address: one launch template serves every node of a pool, each learns its own at boot. */
  nodeName: "__NODE_NAME__",
  nodeIp: "__NODE_IP__",
} as const;
export const KUBELET_CONFIG_API_VERSION = "kubelet.config.k8s.io/v1beta1";
/** kubeadm applies the strategic-merge patches in this folder to the static pods it writes. */
export const KUBEADM_PATCHES_DIR = `${NODE_PATHS.etc}/kubeadm-patches`;

/** The stable endpoint the nodes use: an internal NLB's DNS name (a token at synth time) or a VIP, and its port. */
export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
  /** Other names clients reach the API servers by (an internet-facing NLB's): in the certificate, never used by nodes. */
  readonly extraNames?: string[];
}

export interface KubeadmDocuments {
  /** ClusterConfiguration + InitConfiguration + KubeletConfiguration, used when this node creates the cluster. */
  readonly init: string;
  /** JoinConfiguration with placeholders for the token and CA hash, used otherwise. */
  readonly join: string;
  /** UpgradeConfiguration for `kubeadm upgrade apply` and `kubeadm upgrade node --config` (KUBEADM_UPGRADE_CONFIG). */
  readonly upgrade: string;
  /** Files for KUBEADM_PATCHES_DIR, by name (the kubelet's holds the provider ID placeholder, filled in at boot). */
  readonly patches: Readonly<Record<string, string>>;
}

/** Where the node keeps the UpgradeConfiguration, for the operator's `kubeadm upgrade ... --config`. */
export const KUBEADM_UPGRADE_CONFIG = `${NODE_PATHS.etc}/kubeadm-upgrade.yaml`;
/** The patch kubeadm applies to this node's KubeletConfiguration (target "kubeletconfiguration"). */
export const KUBELET_PATCH = "kubeletconfiguration+strategic.yaml";

/** The host and port kubeadm gets; the host is a placeholder, filled in at boot from the deploy settings. */
export function controlPlaneEndpoint(endpoint: EndpointAddress): string {
  return `${NODE_PLACEHOLDERS.endpointHost}:${endpoint.port}`;
}

export function renderKubeadmConfig(
  spec: ClusterSpec,
  node: ControlPlaneNodeSpec,
  endpoint: EndpointAddress,
): KubeadmDocuments {
  const nodeRegistration = {
    name: node.name,
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [{ name: "node-ip", value: node.privateIp }],
  };
  const drain = drainTimers(spec.endpoint, spec.etcd);
  const patches = { directory: KUBEADM_PATCHES_DIR };
  const localAPIEndpoint = { advertiseAddress: node.privateIp, bindPort: spec.apiServerPort };

  const clusterConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "ClusterConfiguration",
    clusterName: spec.clusterName,
    kubernetesVersion: `v${spec.kubernetesVersion}`,
    controlPlaneEndpoint: controlPlaneEndpoint(endpoint),
    networking: { podSubnet: spec.podCidr, serviceSubnet: spec.serviceCidr, dnsDomain: spec.dnsDomain },
    apiServer: {
      certSANs: unique([
        NODE_PLACEHOLDERS.endpointHost,
        ...(endpoint.extraNames ?? []).map((_, i) => NODE_PLACEHOLDERS.extraName(i)),
        ...(spec.endpoint.type === "keepalived" && spec.endpoint.dnsName ? [spec.endpoint.dnsName] : []),
        ...spec.extraCertSans,
      ]),
      // An API server that is stopping keeps answering (its /readyz already failing) until the endpoint has let go of it.
      extraArgs: [{ name: "shutdown-delay-duration", value: `${drain.shutdownDelaySeconds}s` }],
    },
    etcd:
      spec.etcd.topology === "external"
        ? {
            external: {
              endpoints: spec.etcd.members.map((m) => etcdClientUrl(spec.etcd as ExternalEtcdSpec, m)),
              ...EXTERNAL_ETCD_CLIENT_FILES,
            },
          }
        : { local: { dataDir: "/var/lib/etcd" } },
  };
  const initConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "InitConfiguration",
    // kubeadm generates this token; it expires quickly because joiners mint their own.
    bootstrapTokens: [{ description: "created by kubeadm init; joiners mint their own", ttl: "15m0s" }],
    localAPIEndpoint,
    nodeRegistration,
    patches,
  };
  // The base kubelet configuration of every node (kubeadm uploads it; joiners download it).
  const kubeletConfiguration = {
    apiVersion: KUBELET_CONFIG_API_VERSION,
    kind: "KubeletConfiguration",
    cgroupDriver: "systemd",
    // On an instance stop or reboot the kubelet stops ordinary pods first, then the control plane, which drains.
    shutdownGracePeriod: `${drain.nodeShutdownSeconds}s`,
    shutdownGracePeriodCriticalPods: `${drain.nodeShutdownCriticalPodsSeconds}s`,
  };
  const joinConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    nodeRegistration,
    controlPlane: { localAPIEndpoint },
    patches,
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: controlPlaneEndpoint(endpoint),
        token: NODE_PLACEHOLDERS.token,
        caCertHashes: [NODE_PLACEHOLDERS.caCertHash],
      },
    },
  };
  // kubeadm keeps no patches in the cluster: an upgrade without them would rewrite the static pods with
  // kubeadm's 30 s grace periods and the kubelet's config without this node's provider ID. Field names:
  // UpgradeConfiguration.apply/node.patches (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go).
  const upgradeConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "UpgradeConfiguration",
    apply: { patches },
    node: { patches },
  };
  return {
    init: yamlDocuments([clusterConfiguration, initConfiguration, kubeletConfiguration]),
    join: yamlDocuments([joinConfiguration]),
    upgrade: yamlDocuments([upgradeConfiguration]),
    // kubeadm's static pods get the default 30 s grace period, shorter than the shutdown delay: lengthen it,
    // and keep a stacked etcd serving until its API server is done.
    patches: {
      // The EC2 provider ID (so the AWS cloud controller manager or load-balancer controller can be added
      // later) as KubeletConfiguration's providerID (kubelet.config.k8s.io/v1beta1), not the kubelet flag
      // (flags with a config field move to the config file: kubernetes.io/docs/tasks/administer-cluster/kubelet-config-file/).
      // A patch, because the KubeletConfiguration kubeadm uploads is shared by all nodes; kubeadm applies it
      // in init, join and `upgrade node` (target "kubeletconfiguration", cmd/kubeadm/app/phases/kubelet/config.go).
      [KUBELET_PATCH]: providerIdPatch(),
      "kube-apiserver+strategic.yaml": stringify({
        spec: { terminationGracePeriodSeconds: drain.terminationGraceSeconds },
      }),
      ...(drain.etcdPreStopSeconds === undefined
        ? {}
        : {
            "etcd+strategic.yaml": stringify({
              spec: {
                terminationGracePeriodSeconds: drain.etcdTerminationGraceSeconds,
                containers: [
                  { name: "etcd", lifecycle: { preStop: { sleep: { seconds: drain.etcdPreStopSeconds } } } },
                ],
              },
            }),
          }),
    },
  };
}

/** The kubelet's patch: this node's provider ID in its KubeletConfiguration (see renderKubeadmConfig). */
function providerIdPatch(): string {
  return stringify({ providerID: NODE_PLACEHOLDERS.providerId });
}

/**
 * A worker's JoinConfiguration: token discovery through the stable endpoint, the CA pinned by its hash
 * (both from the worker join secret, at the join), its name and address from the cloud at boot, and the
 * pool's labels and taints (kubeadm writes `--register-with-taints` only for a non-empty list: an empty
 * one registers none, as for any worker). Field names: JoinConfiguration in
 * cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go.
 */
export function renderWorkerJoin(
  pool: WorkerPoolSpec,
  endpointPort: number,
): { join: string; patches: Readonly<Record<string, string>> } {
  const labels = Object.entries(pool.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const joinConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    nodeRegistration: {
      name: NODE_PLACEHOLDERS.nodeName,
      criSocket: CRI_SOCKET,
      kubeletExtraArgs: [
        { name: "node-ip", value: NODE_PLACEHOLDERS.nodeIp },
        { name: "node-labels", value: labels },
      ],
      taints: pool.taints.map((t) => ({
        key: t.key,
        ...(t.value === undefined ? {} : { value: t.value }),
        effect: t.effect,
      })),
    },
    patches: { directory: KUBEADM_PATCHES_DIR },
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: controlPlaneEndpoint({ host: NODE_PLACEHOLDERS.endpointHost, port: endpointPort }),
        token: NODE_PLACEHOLDERS.token,
        caCertHashes: [NODE_PLACEHOLDERS.caCertHash],
      },
    },
  };
  return { join: yamlDocuments([joinConfiguration]), patches: { [KUBELET_PATCH]: providerIdPatch() } };
}

export function yamlDocuments(docs: object[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
