import { ClusterSpec, EtcdMemberSpec, ExternalEtcdSpec } from "../cluster-spec";
import { renderEnvFile } from "./env-file";

export const ETCD_PATHS = {
  env: "/etc/etcd/etcd.env",
  /** Written at boot: ETCD_INITIAL_CLUSTER_STATE (and the membership, when joining an existing cluster). */
  state: "/etc/etcd/state.env",
  pki: "/etc/etcd/pki",
  data: "/var/lib/etcd",
  unit: "/etc/systemd/system/etcd.service",
} as const;

/** etcd runs as this system user, created by bootstrap-etcd.sh; it owns its data and its own keys. */
export const ETCD_USER = "etcd";

/** Files kubeadm's `etcd.external` points at on control-plane nodes. */
export const EXTERNAL_ETCD_CLIENT_FILES = {
  caFile: "/etc/kubernetes/pki/etcd/ca.crt",
  certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
  keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
} as const;

export function etcdClientUrl(etcd: ExternalEtcdSpec, member: EtcdMemberSpec): string {
  return `https://${member.privateIp}:${etcd.clientPort}`;
}

/** Every member's client URL, space-separated, as the node scripts read it. */
export function etcdClientUrls(etcd: ExternalEtcdSpec): string {
  return etcd.members.map((m) => etcdClientUrl(etcd, m)).join(" ");
}

export function etcdPeerUrl(etcd: ExternalEtcdSpec, member: EtcdMemberSpec): string {
  return `https://${member.privateIp}:${etcd.peerPort}`;
}

/**
 * etcd's flags as the environment file its systemd unit reads (etcd takes every flag as ETCD_*):
 * client and peer URLs on the member's own address, the full initial cluster, and mutual TLS for
 * both client and peer traffic (client-certificate auth on). The initial cluster state is not here:
 * bootstrap-etcd.sh decides it at boot (state.env). `paths` moves the files for tests.
 */
export function renderEtcdEnv(
  cluster: ClusterSpec,
  etcd: ExternalEtcdSpec,
  member: EtcdMemberSpec,
  paths: { readonly data: string; readonly pki: string } = ETCD_PATHS,
): string {
  const pki = paths.pki;
  return renderEnvFile({
    ETCD_NAME: member.name,
    ETCD_DATA_DIR: paths.data,
    ETCD_LISTEN_CLIENT_URLS: `${etcdClientUrl(etcd, member)},https://127.0.0.1:${etcd.clientPort}`,
    ETCD_ADVERTISE_CLIENT_URLS: etcdClientUrl(etcd, member),
    ETCD_LISTEN_PEER_URLS: etcdPeerUrl(etcd, member),
    ETCD_INITIAL_ADVERTISE_PEER_URLS: etcdPeerUrl(etcd, member),
    ETCD_INITIAL_CLUSTER: etcd.members.map((m) => `${m.name}=${etcdPeerUrl(etcd, m)}`).join(","),
    ETCD_INITIAL_CLUSTER_TOKEN: `${cluster.clusterName}-etcd`,
    ETCD_CLIENT_CERT_AUTH: "true",
    ETCD_TRUSTED_CA_FILE: `${pki}/ca.crt`,
    ETCD_CERT_FILE: `${pki}/server.crt`,
    ETCD_KEY_FILE: `${pki}/server.key`,
    ETCD_PEER_CLIENT_CERT_AUTH: "true",
    ETCD_PEER_TRUSTED_CA_FILE: `${pki}/ca.crt`,
    ETCD_PEER_CERT_FILE: `${pki}/peer.crt`,
    ETCD_PEER_KEY_FILE: `${pki}/peer.key`,
  });
}

export function renderEtcdUnit(): string {
  return `[Unit]
Description=etcd for the Kubernetes control plane (kubeadm-ha)
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
# A new cluster's first member is ready only once a majority of members runs.
TimeoutStartSec=900
EnvironmentFile=${ETCD_PATHS.env}
EnvironmentFile=${ETCD_PATHS.state}
ExecStart=/usr/local/bin/etcd
Restart=always
RestartSec=5
LimitNOFILE=65536
# Unprivileged and sandboxed: etcd writes only its data folder and reads only its own keys.
User=${ETCD_USER}
Group=${ETCD_USER}
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${ETCD_PATHS.data}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
CapabilityBoundingSet=

[Install]
WantedBy=multi-user.target
`;
}
