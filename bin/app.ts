import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { KubeadmCluster, KubeadmClusterProps } from "../lib/constructs";
import { EndpointInput, EtcdInput, KeepalivedEndpointInput } from "../lib/spec";

/** Settings of the default app, from environment variables (first) or cdktf.json context. */
export interface AppSettings {
  readonly region: string;
  readonly cluster: KubeadmClusterProps;
}

/** name in context -> environment variable, as documented in the README. */
export const SETTINGS = {
  clusterName: "KUBEADM_HA_CLUSTER_NAME",
  region: "KUBEADM_HA_REGION",
  kubernetesVersion: "KUBEADM_HA_KUBERNETES_VERSION",
  controlPlaneCount: "KUBEADM_HA_CONTROL_PLANE_COUNT",
  instanceType: "KUBEADM_HA_INSTANCE_TYPE",
  endpoint: "KUBEADM_HA_ENDPOINT",
  internetFacing: "KUBEADM_HA_INTERNET_FACING",
  allowedCidrs: "KUBEADM_HA_ALLOWED_CIDRS",
  virtualIp: "KUBEADM_HA_VIRTUAL_IP",
  vipMode: "KUBEADM_HA_VIP_MODE",
  placement: "KUBEADM_HA_ENDPOINT_PLACEMENT",
  etcd: "KUBEADM_HA_ETCD",
  etcdMembers: "KUBEADM_HA_ETCD_MEMBERS",
} as const;

export const DEFAULT_REGION = "us-east-1";

/** Reads the settings; `context` is the cdktf context (cdktf.json "context" or `--context`). */
export function readSettings(env: NodeJS.ProcessEnv, context: (key: string) => unknown): AppSettings {
  const get = (key: keyof typeof SETTINGS): string | undefined => {
    const value = env[SETTINGS[key]] ?? context(key);
    return value === undefined || value === "" ? undefined : String(value);
  };
  const endpointType = get("endpoint") ?? "nlb";
  const count = get("controlPlaneCount");
  const allowedCidrs = get("allowedCidrs")?.split(",").map((c) => c.trim()).filter(Boolean);
  let endpoint: EndpointInput;
  if (endpointType === "nlb") endpoint = { type: "nlb", internetFacing: get("internetFacing") === "true", allowedCidrs };
  else if (endpointType === "keepalived") {
    endpoint = {
      type: "keepalived",
      virtualIp: get("virtualIp"),
      vipMode: get("vipMode") as KeepalivedEndpointInput["vipMode"],
      placement: get("placement") as KeepalivedEndpointInput["placement"],
      allowedCidrs,
    };
  } else {
    throw new Error(`${SETTINGS.endpoint} / context "endpoint": "${endpointType}" is not an endpoint; use "nlb" or "keepalived".`);
  }
  const etcdTopology = get("etcd") ?? "stacked";
  const etcdMembers = get("etcdMembers");
  let etcd: EtcdInput;
  if (etcdTopology === "stacked") etcd = { topology: "stacked" };
  else if (etcdTopology === "external") etcd = { topology: "external", members: etcdMembers === undefined ? undefined : Number(etcdMembers) };
  else throw new Error(`${SETTINGS.etcd} / context "etcd": "${etcdTopology}" is not an etcd topology; use "stacked" or "external".`);
  return {
    // Environment first, as for every setting: KUBEADM_HA_REGION, then AWS_REGION, then context.
    region: env[SETTINGS.region] || env.AWS_REGION || (context("region") as string | undefined) || DEFAULT_REGION,
    cluster: {
      clusterName: get("clusterName"),
      kubernetesVersion: get("kubernetesVersion"),
      controlPlaneCount: count === undefined ? undefined : Number(count),
      instanceType: get("instanceType"),
      endpoint,
      etcd,
    },
  };
}

/**
 * Where the default app keeps its state: the project folder, as cdktf does by default, but written
 * relative to the stack's folder (cdktf.out/stacks/NAME) so the plan holds no path of this machine.
 * A team uses a remote backend instead (README: Deploying for real).
 */
export function defaultStatePath(stackId: string): string {
  return `../../../terraform.${stackId}.tfstate`;
}

/** The default stack: AWS provider plus one KubeadmCluster in a new VPC. */
export class KubeadmHaStack extends TerraformStack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string, settings: AppSettings) {
    super(scope, id);
    new LocalBackend(this, { path: defaultStatePath(id) });
    new AwsProvider(this, "aws", { region: settings.region });
    this.cluster = new KubeadmCluster(this, "cluster", settings.cluster);
  }
}

export function buildApp(options: { outdir?: string; env?: NodeJS.ProcessEnv } = {}): { app: App; stack: KubeadmHaStack } {
  const app = new App({ outdir: options.outdir });
  const settings = readSettings(options.env ?? process.env, (key) => app.node.tryGetContext(key));
  const stack = new KubeadmHaStack(app, "kubeadm-ha", settings);
  return { app, stack };
}
