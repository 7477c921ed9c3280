import { stringify } from "yaml";
import { ClusterSpec, ControlPlaneNodeSpec, ExternalEtcdSpec } from "../spec";
import { EXTERNAL_ETCD_CLIENT_FILES, etcdClientUrl } from "./etcd";

export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";
export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";
/** Filled in on the node at join time (the token is minted there, never shipped). */
export const JOIN_PLACEHOLDERS = { token: "__BOOTSTRAP_TOKEN__", caCertHash: "__CA_CERT_HASH__" } as const;

/** The stable endpoint clients use: an NLB's DNS name (a token at synth time) and its port. */
export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
}

export interface KubeadmDocuments {
  /** ClusterConfiguration + InitConfiguration, used when this node creates the cluster. */
  readonly init: string;
  /** JoinConfiguration with placeholders for the token and CA hash, used otherwise. */
  readonly join: string;
}

export function controlPlaneEndpoint(endpoint: EndpointAddress): string {
  return `${endpoint.host}:${endpoint.port}`;
}

export function renderKubeadmConfig(spec: ClusterSpec, node: ControlPlaneNodeSpec, endpoint: EndpointAddress): KubeadmDocuments {
  const nodeRegistration = {
    name: node.name,
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [{ name: "node-ip", value: node.privateIp }],
  };
  const localAPIEndpoint = { advertiseAddress: node.privateIp, bindPort: spec.apiServerPort };

  const clusterConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "ClusterConfiguration",
    clusterName: spec.clusterName,
    kubernetesVersion: `v${spec.kubernetesVersion}`,
    controlPlaneEndpoint: controlPlaneEndpoint(endpoint),
    networking: { podSubnet: spec.podCidr, serviceSubnet: spec.serviceCidr, dnsDomain: spec.dnsDomain },
    apiServer: {
      certSANs: unique([endpoint.host, ...(spec.endpoint.type === "keepalived" && spec.endpoint.dnsName ? [spec.endpoint.dnsName] : []), ...spec.extraCertSans]),
      // Let an API server that is shutting down keep answering while the endpoint drains it.
      extraArgs: [{ name: "shutdown-delay-duration", value: "20s" }],
    },
    etcd:
      spec.etcd.topology === "external"
        ? { external: { endpoints: spec.etcd.members.map((m) => etcdClientUrl(spec.etcd as ExternalEtcdSpec, m)), ...EXTERNAL_ETCD_CLIENT_FILES } }
        : { local: { dataDir: "/var/lib/etcd" } },
    // Joined control-plane kubelets talk to their own API server, not through the endpoint (beta and on by default from 1.33).
    ...(spec.kubernetesMinor < 33 ? { featureGates: { ControlPlaneKubeletLocalMode: true } } : {}),
  };
  const initConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "InitConfiguration",
    // kubeadm generates this token; it expires quickly because joiners mint their own.
    bootstrapTokens: [{ description: "created by kubeadm init; joiners mint their own", ttl: "15m0s" }],
    localAPIEndpoint,
    nodeRegistration,
  };
  const joinConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    nodeRegistration,
    controlPlane: { localAPIEndpoint },
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: controlPlaneEndpoint(endpoint),
        token: JOIN_PLACEHOLDERS.token,
        caCertHashes: [JOIN_PLACEHOLDERS.caCertHash],
      },
    },
  };
  return {
    init: yamlDocuments([clusterConfiguration, initConfiguration]),
    join: yamlDocuments([joinConfiguration]),
  };
}

export function yamlDocuments(docs: object[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
