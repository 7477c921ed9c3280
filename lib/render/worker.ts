/**
 * The worker node of a pool: its settings (node-settings.env) and its complete user data, one for every
 * node of the pool (its launch template's): each learns its name and address from the cloud at boot,
 * and joins with the bootstrap token the control plane keeps in the worker join secret. It holds no key
 * of the cluster's.
 */
import { ClusterSpec, WorkerPoolSpec } from "../cluster-spec";
import { renderCloudConfig } from "./cloud-config";
import { KUBEADM_PATCHES_DIR, NODE_PLACEHOLDERS, renderWorkerJoin } from "./kubeadm";
import {
  BASE_SCRIPTS,
  NodeScripts,
  TIME_SYNC_SOURCE,
  bootstrapFiles,
  cloudEnv,
  installEnv,
  kubeadmNodeFiles,
  nodeSettingsFile,
  scriptFiles,
} from "./node-common";
import { renderNodeSettings, WorkerSettings } from "./node-settings";
import { NODE_PATHS } from "./paths";

export interface WorkerUserDataInput {
  readonly spec: ClusterSpec;
  readonly pool: WorkerPoolSpec;
}

/** The settings file of every worker of a pool. */
export function renderWorkerEnv({ spec, pool }: WorkerUserDataInput): string {
  const settings: WorkerSettings = {
    CLUSTER_NAME: spec.clusterName,
    ...cloudEnv(spec),
    ...installEnv(spec, pool.architecture, pool.containerdSha256, pool.runcSha256),
    KUBEADM_PATCHES_DIR,
    PROVIDER_ID_PLACEHOLDER: NODE_PLACEHOLDERS.providerId,
    ENDPOINT_HOST_PLACEHOLDER: NODE_PLACEHOLDERS.endpointHost,
    BOOTSTRAP_TOKEN_PLACEHOLDER: NODE_PLACEHOLDERS.token,
    CA_CERT_HASH_PLACEHOLDER: NODE_PLACEHOLDERS.caCertHash,
    POOL_NAME: pool.name,
    NODE_NAME_PLACEHOLDER: NODE_PLACEHOLDERS.nodeName,
    NODE_IP_PLACEHOLDER: NODE_PLACEHOLDERS.nodeIp,
  };
  return renderNodeSettings(settings);
}

/** The complete `#cloud-config` user data of a pool's workers (its hostname left to cloud-init's EC2 datasource). */
export function renderWorkerUserData(input: WorkerUserDataInput, scripts: NodeScripts): string {
  const { spec, pool } = input;
  const kubeadm = renderWorkerJoin(pool, spec.endpoint.port);
  const bootstrap = bootstrapFiles(`worker of pool ${pool.name}`, `${NODE_PATHS.scripts}/bootstrap-worker.sh`);
  return renderCloudConfig({
    files: [
      nodeSettingsFile(renderWorkerEnv(input)),
      { path: `${NODE_PATHS.etc}/kubeadm-join.yaml`, content: kubeadm.join, permissions: "0600" },
      ...kubeadmNodeFiles(spec, kubeadm.patches),
      TIME_SYNC_SOURCE,
      ...bootstrap.files,
      ...scriptFiles([...BASE_SCRIPTS, "install-kubernetes.sh", "kubeadm-common.sh", "bootstrap-worker.sh"], scripts),
    ],
    runcmd: bootstrap.runcmd,
  });
}
