/**
 * The default apps' settings, the same for both (bin/app.ts for cdktf, bin/aws-cdk-app.ts for AWS
 * CDK): environment variables first, then the framework's context (cdktf.json or cdk.json "context",
 * or --context). Framework-free: each app passes its own context lookup.
 */
import { UserDataTooLargeError } from "../lib/render/user-data";
import {
  ClusterInput,
  ClusterSpecError,
  EndpointInput,
  EtcdInput,
  resolveClusterSpec,
  resolveWorkerPool,
  SpecProblem,
  WorkerPoolInput,
} from "../lib/cluster-spec";
import { nearestKey } from "../lib/cluster-spec/shape";

/** Settings of the default app, from environment variables (first) or cdktf.json context. */
export interface AppSettings {
  readonly region: string;
  readonly cluster: ClusterInput;
  /** The app's one worker pool; none when the worker count is 0. */
  readonly workers?: WorkerPoolInput;
}

/** name in context -> environment variable, as documented in docs/deploying.md. */
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
  acceptSingleZone: "KUBEADM_HA_ACCEPT_SINGLE_ZONE",
  placement: "KUBEADM_HA_ENDPOINT_PLACEMENT",
  etcd: "KUBEADM_HA_ETCD",
  etcdMembers: "KUBEADM_HA_ETCD_MEMBERS",
  workerCount: "KUBEADM_HA_WORKER_COUNT",
  workerInstanceTypes: "KUBEADM_HA_WORKER_INSTANCE_TYPES",
} as const;

/** The prop each setting gives, so a prop's problem can name the variable or context key it came from. */
const PROP_OF_SETTING: Record<Exclude<keyof typeof SETTINGS, "region" | WorkerSetting>, string> = {
  clusterName: "clusterName",
  kubernetesVersion: "kubernetesVersion",
  controlPlaneCount: "controlPlaneCount",
  instanceType: "instanceType",
  endpoint: "endpoint.type",
  internetFacing: "endpoint.internetFacing",
  allowedCidrs: "endpoint.allowedCidrs",
  virtualIp: "endpoint.virtualIp",
  vipMode: "endpoint.vipMode",
  acceptSingleZone: "endpoint.acceptSingleZone",
  placement: "endpoint.placement",
  etcd: "etcd.topology",
  etcdMembers: "etcd.members",
};

/** The worker pool's settings, and the pool prop each gives. */
type WorkerSetting = "workerCount" | "workerInstanceTypes";
const POOL_PROP_OF_SETTING: Record<WorkerSetting, string> = {
  workerCount: "minSize",
  workerInstanceTypes: "instanceTypes",
};

export const DEFAULT_REGION = "us-east-1";
/** The default app's workers: enough to run something, and to move it when one node goes. */
export const DEFAULT_WORKER_COUNT = 2;
/** A commercial, GovCloud or China region's name, e.g. eu-west-1 (not a zone, no upper case, no space). */
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const ENV_PREFIX = "KUBEADM_HA_";

/** Settings that cannot be turned into props: each names its variable or context key and the value given. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid settings of the default app (nothing was synthesized):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "SettingsError";
  }
}

/**
 * Reads the settings; `context` is the app's context (cdktf.json or cdk.json "context", or `--context`). Every value
 * is converted here, explicitly (numbers, true/false, lists, one of a set), and a value that does not
 * convert is reported with where it came from; raw strings never reach the props.
 */
export function readSettings(
  env: NodeJS.ProcessEnv,
  context: (key: string) => unknown,
  /** Every context key the app has: one that looks like a misspelt setting is refused. */
  contextKeys: string[] = [],
): AppSettings {
  const problems: string[] = [];
  misspelt(env, contextKeys).forEach((p) => problems.push(p));
  /** The raw value and how to name it in a message: `VARIABLE="value"` or `context "key": value`. */
  const lookup = (key: keyof typeof SETTINGS): { raw: unknown; where: string } | undefined => {
    const fromEnv = env[SETTINGS[key]];
    if (fromEnv !== undefined && fromEnv !== "")
      return { raw: fromEnv, where: `${SETTINGS[key]}=${JSON.stringify(fromEnv)}` };
    const fromContext = context(key);
    if (fromContext === undefined || fromContext === "") return undefined;
    return { raw: fromContext, where: `context "${key}": ${JSON.stringify(fromContext)}` };
  };
  const text = (key: keyof typeof SETTINGS): string | undefined => {
    const found = lookup(key);
    if (found === undefined) return undefined;
    if (typeof found.raw === "string") return found.raw.trim();
    problems.push(`${found.where} is not text; give a string.`);
    return undefined;
  };
  const oneOf = <T extends string>(key: keyof typeof SETTINGS, choices: readonly T[]): T | undefined => {
    const value = text(key);
    if (value === undefined || (choices as readonly string[]).includes(value)) return value as T | undefined;
    problems.push(`${lookup(key)!.where} is not ${choices.map((c) => `"${c}"`).join(" or ")}.`);
    return undefined;
  };
  const wholeNumber = (key: keyof typeof SETTINGS): number | undefined => {
    const found = lookup(key);
    if (found === undefined) return undefined;
    if (typeof found.raw === "number" && Number.isInteger(found.raw)) return found.raw;
    if (typeof found.raw === "string" && /^\s*\d+\s*$/.test(found.raw)) return Number(found.raw);
    problems.push(`${found.where} is not a whole number such as 3.`);
    return undefined;
  };
  const flag = (key: keyof typeof SETTINGS): boolean | undefined => {
    const found = lookup(key);
    if (found === undefined) return undefined;
    if (typeof found.raw === "boolean") return found.raw;
    if (found.raw === "true" || found.raw === "false") return found.raw === "true";
    problems.push(`${found.where} is not true or false.`);
    return undefined;
  };
  const list = (key: keyof typeof SETTINGS): string[] | undefined => {
    const found = lookup(key);
    if (found === undefined) return undefined;
    if (Array.isArray(found.raw) && found.raw.every((v) => typeof v === "string")) return found.raw;
    if (typeof found.raw === "string")
      return found.raw
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean);
    problems.push(`${found.where} is not a comma-separated list (or, in context, a list of strings).`);
    return undefined;
  };
  /** A setting that only one choice of another setting uses. */
  const onlyWith = (keys: (keyof typeof SETTINGS)[], owner: string, chosen: string) => {
    for (const key of keys)
      if (lookup(key))
        problems.push(`${lookup(key)!.where} applies only with ${owner}; this app has ${chosen}: leave it unset.`);
  };

  const endpointType = oneOf("endpoint", ["nlb", "keepalived"] as const) ?? "nlb";
  const allowedCidrs = list("allowedCidrs");
  let endpoint: EndpointInput;
  if (endpointType === "nlb") {
    onlyWith(
      ["virtualIp", "vipMode", "acceptSingleZone", "placement"],
      `${SETTINGS.endpoint}=keepalived`,
      "the nlb endpoint",
    );
    endpoint = { type: "nlb", internetFacing: flag("internetFacing"), allowedCidrs };
  } else {
    onlyWith(["internetFacing"], `${SETTINGS.endpoint}=nlb`, "the keepalived endpoint");
    endpoint = {
      type: "keepalived",
      virtualIp: text("virtualIp"),
      vipMode: oneOf("vipMode", ["route", "secondary-ip"] as const),
      acceptSingleZone: flag("acceptSingleZone"),
      placement: oneOf("placement", ["colocated", "dedicated"] as const),
      allowedCidrs,
    };
  }
  const etcdTopology = oneOf("etcd", ["stacked", "external"] as const) ?? "stacked";
  let etcd: EtcdInput;
  if (etcdTopology === "stacked") {
    onlyWith(["etcdMembers"], `${SETTINGS.etcd}=external`, "stacked etcd");
    etcd = { topology: "stacked" };
  } else etcd = { topology: "external", members: wholeNumber("etcdMembers") };
  const cluster: ClusterInput = {
    clusterName: text("clusterName"),
    kubernetesVersion: text("kubernetesVersion"),
    controlPlaneCount: wholeNumber("controlPlaneCount"),
    instanceType: text("instanceType"),
    endpoint,
    etcd,
  };
  const workerCount = wholeNumber("workerCount") ?? DEFAULT_WORKER_COUNT;
  if (workerCount === 0) onlyWith(["workerInstanceTypes"], `${SETTINGS.workerCount} above 0`, "no workers");
  const workers: WorkerPoolInput | undefined =
    workerCount === 0 ? undefined : { minSize: workerCount, instanceTypes: list("workerInstanceTypes") };
  // Environment first, as for every setting: KUBEADM_HA_REGION, then AWS_REGION, then context.
  const regionFrom = env[SETTINGS.region]
    ? `${SETTINGS.region}=${JSON.stringify(env[SETTINGS.region])}`
    : env.AWS_REGION
      ? `AWS_REGION=${JSON.stringify(env.AWS_REGION)}`
      : lookup("region")?.where;
  const region = env[SETTINGS.region] || env.AWS_REGION || lookup("region")?.raw || DEFAULT_REGION;
  if (typeof region !== "string" || !REGION.test(region))
    problems.push(`${regionFrom} is not an AWS region such as "eu-west-1" (lower case, a region and not a zone).`);

  // The props are checked here too, so one run reports every mistake, each named as the user wrote it.
  const propProblems = checkProps(cluster, (key) => lookup(key)?.where);
  const poolProblems =
    propProblems.length === 0 && workers ? checkPool(workers, cluster, (key) => lookup(key)?.where) : [];
  if (problems.length > 0 || poolProblems.length > 0)
    throw new SettingsError(
      [...problems, ...propProblems, ...poolProblems].map((p) =>
        typeof p === "string" ? p : `${p.prop} (${p.source}): ${p.message}`,
      ),
    );
  if (propProblems.length > 0) throw new ClusterSpecError(propProblems);
  return { region: region as string, cluster, workers };
}

/** The spec's problems with the props the settings make, each with the setting it came from. */
function checkProps(
  cluster: ClusterInput,
  where: (key: keyof typeof PROP_OF_SETTING) => string | undefined,
): SpecProblem[] {
  try {
    resolveClusterSpec(cluster);
    return [];
  } catch (error) {
    if (!(error instanceof ClusterSpecError)) throw error;
    return error.problems.map((p) => {
      const setting = (Object.keys(PROP_OF_SETTING) as (keyof typeof PROP_OF_SETTING)[]).find((key) =>
        [PROP_OF_SETTING[key], `${PROP_OF_SETTING[key]}[`].some((path) => p.prop === path || p.prop.startsWith(path)),
      );
      const source = setting && where(setting);
      return { ...p, source: source ?? "the default" };
    });
  }
}

/** The pool's problems with the props the settings make, each with the setting it came from. */
function checkPool(
  pool: WorkerPoolInput,
  cluster: ClusterInput,
  where: (key: WorkerSetting) => string | undefined,
): SpecProblem[] {
  try {
    resolveWorkerPool(pool, resolveClusterSpec(cluster));
    return [];
  } catch (error) {
    if (!(error instanceof ClusterSpecError)) throw error;
    return error.problems.map((p) => {
      const setting = (Object.keys(POOL_PROP_OF_SETTING) as WorkerSetting[]).find((key) =>
        p.prop.startsWith(POOL_PROP_OF_SETTING[key]),
      );
      return { ...p, prop: `workers.${p.prop}`, source: (setting && where(setting)) ?? "the default" };
    });
  }
}

/** KUBEADM_HA_ variables that are no setting, and context keys one typo away from one: said, not ignored. */
function misspelt(env: NodeJS.ProcessEnv, contextKeys: string[]): string[] {
  const variables = Object.values(SETTINGS) as string[];
  const keys = Object.keys(SETTINGS);
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX) || variables.includes(name) || env[name] === undefined) continue;
    const near = nearestKey(name, variables);
    problems.push(
      `${name} is not a setting of this app${near ? `: did you mean ${near}?` : `; its variables are ${variables.join(", ")}.`}`,
    );
  }
  // Context also holds the frameworks' own keys ("@aws-cdk/...", "aws:cdk:..."); only near misses are ours.
  for (const key of contextKeys) {
    if (keys.includes(key) || /[:@/]/.test(key)) continue;
    const near = nearestKey(key, keys);
    if (near) problems.push(`context "${key}" is not a setting of this app: did you mean "${near}"?`);
  }
  return problems;
}

/**
 * Synthesizes the app `build` makes; a mistake in the settings or props ends the process with its
 * message (exit 1) instead of a stack trace. The errors of both flavours are the core's own.
 */
export function synthOrExplain(build: () => { synth(): unknown }): void {
  try {
    build().synth();
  } catch (error) {
    if (error instanceof ClusterSpecError || error instanceof SettingsError || error instanceof UserDataTooLargeError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
