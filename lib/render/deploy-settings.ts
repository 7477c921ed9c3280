/**
 * The deploy settings: the value of the cluster's SSM parameter (deploySettingsParameterName), what only
 * the deploy knows, one for every node of every kind (deploy-settings.env on the nodes).
 */
import { ClusterSpec } from "../cluster-spec";
import { EndpointAddress } from "./kubeadm";
import { renderDeploySettings } from "./node-settings";

/**
 * What only the deploy knows, as the framework's tokens: the endpoint's names, the secrets' ARNs
 * (their values are written by the nodes at boot, never here), the route tables of the VIP.
 */
export interface DeployValues {
  readonly endpoint: EndpointAddress;
  readonly joinSecretId: string;
  readonly adminKubeconfigSecretId: string;
  /** The secret the control plane keeps a worker bootstrap token and the CA's hash in (no key). */
  readonly workerJoinSecretId: string;
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
    WORKER_JOIN_SECRET_ID: values.workerJoinSecretId,
    ...(spec.etcd.topology === "external"
      ? { ETCD_CLIENT_SECRET_ID: values.etcdClientSecretId ?? "", ETCD_CA_SECRET_ID: values.etcdCaSecretId ?? "" }
      : {}),
    // Only a routed VIP moves a route; a secondary IP names no table (and keeps the parameter small).
    ...(spec.endpoint.type === "keepalived"
      ? { ROUTE_TABLE_IDS: spec.endpoint.vipMode === "route" ? (values.routeTableIds ?? []).join(" ") : "" }
      : {}),
  });
}
