/**
 * The contract between the TypeScript that renders a node and the bash that runs on it: every setting
 * `/etc/kubeadm-ha/node-settings.env` (user data) and `deploy-settings.env` (the deploy settings) may
 * hold, and what it means. The scripts read nothing else from the cluster (test/unit/node-settings.test.ts:
 * every variable a script reads and does not set itself is one of these, etcd's own environment, or an
 * override of SCRIPT_OVERRIDES; each of these is read by a script and rendered for some node), and the
 * renderers cannot write a key that is not here. Each node kind has
 * its settings type with every key it needs required (ControlPlaneSettings, EtcdMemberSettings,
 * LoadBalancerSettings): a renderer that leaves out a setting its kind's scripts read does not compile.
 */
import { renderEnvFile } from "./env-file";

/** Every node: its cluster, how it reaches the cloud, where its deploy settings are. */
const EVERY_NODE = {
  CLUSTER_NAME: "The cluster's name: scopes the status tag and names the nodes.",
  DEPLOY_SETTINGS_PARAMETER:
    "The SSM parameter holding the deploy settings (below), fetched once into deploy-settings.env.",
  CLOUD_PROVIDER: "Which cloud interface the scripts load: `aws` (cloud-aws.sh); the tests use `file` (cloud-file.sh).",
  IMDS_ENDPOINT: "The instance metadata service (http://169.254.169.254); a loopback stand-in in tests.",
  STATUS_TAG_KEY:
    "The tag key the node writes its bootstrap status under (running:STEP, failed:STEP, ready); the only key its IAM policy lets it tag.",
} as const;

/**
 * A node whose name and address are fixed at synth (control plane, etcd members, dedicated load
 * balancers). A pool's node has neither: common.sh asks the cloud (its private DNS name and address).
 */
const FIXED_NODE = {
  NODE_NAME: "This node's name: its hostname and, on the control plane, its Kubernetes node name.",
  NODE_IP: "This node's fixed private address.",
} as const;

/** Control plane and etcd members. */
const INDEXED_NODE = {
  NODE_INDEX: "This node's index among its kind: 0 runs kubeadm init (or creates the etcd PKI).",
} as const;

/** Every node kubeadm makes a Kubernetes node of: control plane and workers. */
const KUBEADM_NODE = {
  KUBERNETES_VERSION: "kubeadm, kubelet and kubectl version (1.MINOR.PATCH).",
  KUBERNETES_MINOR: "Its minor (1.MINOR): the pkgs.k8s.io repository and the cri-tools version.",
  KUBERNETES_PACKAGE_REPO: "The pkgs.k8s.io repository of that minor.",
  NODE_ARCH: "amd64 or arm64: which release binaries to download.",
  CONTAINERD_VERSION: "containerd release installed from its GitHub releases.",
  CONTAINERD_SHA256: "SHA-256 of that release's tarball for NODE_ARCH.",
  CONTAINERD_RELEASES: "Base URL of containerd's release downloads.",
  RUNC_VERSION: "runc release installed beside containerd.",
  RUNC_SHA256: "SHA-256 of runc's binary for NODE_ARCH.",
  RUNC_RELEASES: "Base URL of runc's release downloads.",
  KUBEADM_PATCHES_DIR:
    "kubeadm's patches folder (the drain settings; this node's provider ID, filled in at boot), for init, join and upgrades.",
  PROVIDER_ID_PLACEHOLDER:
    "Stands for this instance's provider ID (aws:///ZONE/INSTANCE-ID) in the kubeadm documents and the kubelet's patch; replaced at step node-config.",
  ENDPOINT_HOST_PLACEHOLDER:
    "Stands for the deploy settings' ENDPOINT_HOST in the kubeadm documents; replaced at step node-config.",
  BOOTSTRAP_TOKEN_PLACEHOLDER:
    "Stands for the bootstrap token in the join document; replaced at the join by the token the node mints (a worker: the one the control plane publishes).",
  CA_CERT_HASH_PLACEHOLDER:
    "Stands for the cluster CA's hash (sha256:HEX) in the join document; replaced at the join, from the shared ca.crt (a worker: from the worker join secret).",
} as const;

/** Control plane. */
const CONTROL_PLANE = {
  CONTROL_PLANE_IPS: "Every control-plane node's address, space-separated, by index.",
  CONTROL_PLANE_NAMES: "Every control-plane node's name, space-separated, by index.",
  API_SERVER_PORT: "The port each API server binds on its own address.",
  ETCD_TOPOLOGY: "stacked or external.",
  API_SERVER_EXTRA_NAME_PLACEHOLDERS:
    "Stand for the deploy settings' API_SERVER_EXTRA_NAMES in the API server's certificate, one each, in order, space-separated (empty without extra names); replaced at step node-config.",
  WORKER_TOKEN_TTL_SECONDS: "The lifetime of each worker bootstrap token the control plane publishes.",
  WORKER_TOKEN_RENEW_SECONDS: "A published worker token with less than this left is replaced.",
} as const;

/** A worker, of a pool. */
const WORKER = {
  POOL_NAME: "The worker's pool.",
  NODE_NAME_PLACEHOLDER:
    "Stands for this node's name (its private DNS name, from the cloud) in the join document; replaced at step node-config.",
  NODE_IP_PLACEHOLDER:
    "Stands for this node's private address (from the cloud) in the join document; replaced at step node-config.",
} as const;

/** External etcd's clients and members: the control plane with external etcd, every etcd member. */
const ETCD_CLIENT = {
  ETCD_ENDPOINTS: "Every etcd member's client URL, space-separated.",
} as const;

/** etcd members. */
const ETCD_MEMBER = {
  ETCD_RELEASE: "etcd release installed from its GitHub releases.",
  ETCD_RELEASE_SHA256: "SHA-256 of that release's tarball.",
  ETCD_RELEASE_ARCH: "The members' architecture (amd64 or arm64).",
  ETCD_RELEASES: "Base URL of etcd's release downloads.",
} as const;

/** keepalived peers: colocated control-plane nodes or dedicated load balancers. */
const VRRP_PEER = {
  VIP: "The virtual IP.",
  VIP_MODE: "route or secondary-ip: how the VIP is moved to the master.",
  VIP_REASSERT_SECONDS: "How often the guard moves the VIP to the master again.",
  VIP_GUARD_UNIT: "The guard's systemd unit.",
  HAPROXY_MONITOR_PORT: "HAProxy's monitor endpoint port (loopback), which the check script asks.",
  HAPROXY_MONITOR_PATH: "HAProxy's monitor endpoint path.",
  ENDPOINT_SETUP: "The script that sets up keepalived and HAProxy on this node.",
  INTERFACE_PLACEHOLDER:
    "Stands for the interface carrying NODE_IP in the keepalived template; replaced when the endpoint is set up.",
} as const;

/**
 * The settings by role; a node kind's settings are some of these groups, each one whole: every key of
 * the group or none (ControlPlaneSettings, EtcdMemberSettings, LoadBalancerSettings below).
 */
export const NODE_SETTING_GROUPS = {
  everyNode: EVERY_NODE,
  fixedNode: FIXED_NODE,
  indexedNode: INDEXED_NODE,
  kubeadmNode: KUBEADM_NODE,
  controlPlane: CONTROL_PLANE,
  worker: WORKER,
  etcdClient: ETCD_CLIENT,
  etcdMember: ETCD_MEMBER,
  vrrpPeer: VRRP_PEER,
} as const;

/** Every key of a `node-settings.env`, and what it means. */
export const NODE_SETTINGS = {
  ...EVERY_NODE,
  ...FIXED_NODE,
  ...INDEXED_NODE,
  ...KUBEADM_NODE,
  ...CONTROL_PLANE,
  ...WORKER,
  ...ETCD_CLIENT,
  ...ETCD_MEMBER,
  ...VRRP_PEER,
} as const;

/**
 * The deploy settings: values that exist only once the cluster is deployed (ARNs, a load balancer's
 * name, route-table ids). They live in one SSM parameter per cluster, not in the user data, so a node's
 * user data is fixed at synth (compressed there, the same bytes in every framework) and the deploy
 * fills in only this short list. A script reads them like the others, from deploy-settings.env.
 */
export const DEPLOY_SETTINGS = {
  ENDPOINT_HOST: "The API endpoint's host as the nodes know it (controlPlaneEndpoint without the port).",
  API_SERVER_EXTRA_NAMES:
    "Other names of the endpoint (an internet-facing NLB's), space-separated: in the certificate only.",
  JOIN_SECRET_ID: "ARN of the join secret node 0 fills with the cluster's shared roots.",
  ADMIN_KUBECONFIG_SECRET_ID: "ARN of the secret node 0 stores the admin kubeconfig in.",
  ETCD_CLIENT_SECRET_ID: "ARN of the secret etcd member 0 fills with the API server's etcd client certificate.",
  ETCD_CA_SECRET_ID: "ARN of the secret etcd member 0 fills with the etcd CA.",
  ROUTE_TABLE_IDS: "Route tables holding the VIP's /32 route (route mode), space-separated.",
  WORKER_JOIN_SECRET_ID:
    "ARN of the secret the control plane keeps holding a valid worker bootstrap token and the cluster CA's hash (no key).",
} as const;

export type NodeSettingName = keyof typeof NODE_SETTINGS;

/** A group's settings, every one required (a value: a string, or a number written as one). */
type Whole<G> = { readonly [K in keyof G]: string | number };
/** None of a group's settings: a node without that role. */
type NoneOf<G> = { readonly [K in keyof G]?: never };

/** What every node kind's settings hold. */
export type EveryNodeSettings = Whole<typeof EVERY_NODE>;
/** What every node kind but a worker holds: its name and address. */
export type FixedNodeSettings = EveryNodeSettings & Whole<typeof FIXED_NODE>;
/** What kubeadm's nodes (control plane and workers) hold: versions, downloads, placeholders. */
export type KubeadmNodeSettings = Whole<typeof KUBEADM_NODE>;
/** A keepalived peer's settings, on a colocated control-plane node or a dedicated load balancer. */
export type VrrpPeerSettings = Whole<typeof VRRP_PEER>;

/** A control-plane node's settings but its etcd topology and the keepalived peer it may be. */
export interface ControlPlaneBaseSettings
  extends
    EveryNodeSettings,
    Whole<typeof FIXED_NODE>,
    Whole<typeof INDEXED_NODE>,
    KubeadmNodeSettings,
    Whole<Omit<typeof CONTROL_PLANE, "ETCD_TOPOLOGY">> {}
/** Stacked etcd names no endpoints; external etcd every member's. */
export type ControlPlaneEtcdSettings =
  | ({ readonly ETCD_TOPOLOGY: "stacked" } & NoneOf<typeof ETCD_CLIENT>)
  | ({ readonly ETCD_TOPOLOGY: "external" } & Whole<typeof ETCD_CLIENT>);
/** A colocated keepalived peer's settings, or none. */
export type ControlPlaneVrrpSettings = VrrpPeerSettings | NoneOf<typeof VRRP_PEER>;
/** A control-plane node's node-settings.env: with a colocated keepalived, every keepalived peer's setting too. */
export type ControlPlaneSettings = ControlPlaneBaseSettings & ControlPlaneEtcdSettings & ControlPlaneVrrpSettings;
/** An external etcd member's node-settings.env. */
export interface EtcdMemberSettings
  extends
    EveryNodeSettings,
    Whole<typeof FIXED_NODE>,
    Whole<typeof INDEXED_NODE>,
    Whole<typeof ETCD_CLIENT>,
    Whole<typeof ETCD_MEMBER> {}
/** A dedicated load balancer's node-settings.env. */
export interface LoadBalancerSettings extends EveryNodeSettings, Whole<typeof FIXED_NODE>, VrrpPeerSettings {}
/** A worker's node-settings.env: the same for every node of its pool (one launch template). */
export interface WorkerSettings extends EveryNodeSettings, KubeadmNodeSettings, Whole<typeof WORKER> {}
/** One node's node-settings.env, of whichever kind. */
export type NodeSettings = ControlPlaneSettings | EtcdMemberSettings | LoadBalancerSettings | WorkerSettings;
export type DeploySettingName = keyof typeof DEPLOY_SETTINGS;
export type DeploySettings = { readonly [K in DeploySettingName]?: string };

/**
 * What a node's environment may override, and only tests do: every other input is a setting. One
 * prefix (KHA_), each with the default the scripts give it (`KHA_X=${KHA_X:-default}`, or read as
 * `${KHA_X:-default}`; null: required, `${KHA_X:?...}`); test/unit/node-settings.test.ts keeps this table and the scripts equal.
 */
export const SCRIPT_OVERRIDES = {
  KHA_ETC: ["/etc/kubeadm-ha", "The settings folder (node-settings.env, deploy-settings.env, the kubeadm configs)."],
  KHA_STATE: ["/var/lib/kubeadm-ha", "Step markers and what a re-run keeps."],
  KHA_LOG: ["/var/log/kubeadm-ha", "The bootstrap log."],
  KHA_RUN: ["/run/kubeadm-ha", "Runtime files (the roots while joining, tmpfs)."],
  KHA_KUBE_DIR: ["/etc/kubernetes", "kubeadm's folder."],
  KHA_HOSTS_FILE: ["/etc/hosts", "Where the endpoint's name is pinned."],
  KHA_BACKOFF_FIRST: ["2", "The first retry's wait, in seconds (tests use 1)."],
  KHA_BACKOFF_MAX: ["30", "The longest retry wait, in seconds."],
  KHA_APT_LOCK_TIMEOUT: ["900", "Seconds apt waits for another apt's lock."],
  KHA_JOIN_DEADLINE: ["3600", "Seconds a joining node waits for the cluster's roots before it fails."],
  KHA_KUBEADM_ATTEMPTS: ["3", "Attempts of `kubeadm init` or `join`, each after a reset."],
  KHA_INSTALL_CMD: ["$KHA_SCRIPT_DIR/install-kubernetes.sh", "The package installer (tests install nothing)."],
  KHA_ENDPOINT_SETUP_CMD: [
    "${ENDPOINT_SETUP:-}",
    "Overrides ENDPOINT_SETUP (the bootstrap tests skip keepalived and HAProxy).",
  ],
  KHA_CLOUD_PROVIDER: ["${CLOUD_PROVIDER:-aws}", "Overrides CLOUD_PROVIDER (the tests use `file`)."],
  KHA_ETCD_ENV_FILE: ["/etc/etcd/etcd.env", "etcd's environment file."],
  KHA_ETCD_STATE_FILE: ['$(dirname "$KHA_ETCD_ENV_FILE")/state.env', "The member's state: new or existing, its peers."],
  KHA_ETCD_INSTALL_CMD: ["install_etcd", "Installs the etcd release (the lab uses its own binaries)."],
  KHA_NAMES_AND_TIME_CMD: ["names_and_time", "Pins names and waits for time sync."],
  KHA_ETCD_START_CMD: ["start_etcd_service", "Starts etcd (the lab starts it in a namespace)."],
  KHA_CLOUD_FILE_ROOT: [null, "cloud-file.sh: the folder that stands in for AWS (required: no default)."],
  KHA_CLOUD_FILE_VIP_HOOK: ["", "cloud-file.sh: a command run when the VIP moves (the failover lab routes it)."],
  KHA_CLOUD_FILE_INSTANCE: [
    null,
    "cloud-file.sh: which instance of the store a node without a fixed name is (required for one: no default).",
  ],
} as const satisfies Record<`KHA_${string}`, readonly [defaultValue: string | null, meaning: string]>;

/** `/etc/kubeadm-ha/node-settings.env`: the settings one node's scripts source, all known at synth. */
export function renderNodeSettings(settings: NodeSettings): string {
  return renderEnvFile(Object.fromEntries(Object.entries(settings)));
}

/** The deploy settings' value (deploy-settings.env on the nodes), deploy-time values left as the framework's tokens. */
export function renderDeploySettings(settings: DeploySettings): string {
  return renderEnvFile(settings as Record<string, string>, "the deploy (SSM parameter DEPLOY_SETTINGS_PARAMETER)");
}
