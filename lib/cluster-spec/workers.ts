/**
 * A worker pool's props, resolved against its cluster and checked, every problem named by its prop
 * before anything is created (as resolveClusterSpec does for the cluster).
 */
import { instanceArchitecture } from "./architecture";
import { ClusterSpecError, ResolveOptions, SpecProblem } from "./resolve";
import { checkInstanceType, checkVolumeSize, Literal } from "./rules";
import { checkShape, WORKER_POOL_SHAPE } from "./shape";
import { ClusterSpec, TaintSpec, WorkerPoolInput, WorkerPoolSpec } from "./types";
import { CONTAINERD_RELEASE_SHA256, RUNC_RELEASE } from "./versions";

export const WORKER_POOL_DEFAULTS = {
  name: "workers",
  instanceTypes: ["t3.medium"],
  minSize: 2,
  maxSize: 4,
  rootVolumeSizeGiB: 50,
} as const;

/** The label every node of a pool carries, its value the pool's name. */
export const POOL_LABEL = "kubeadm-ha.io/pool";
/** The Cluster Autoscaler's node-template tags (lib/model/worker-pool.ts) carry each label and taint key in theirs. */
export const NODE_TEMPLATE_TAG = "k8s.io/cluster-autoscaler/node-template";
/** The longest tag key AWS takes. */
const TAG_KEY_LIMIT = 128;
/** The most nodes a pool may run (a guard against a typo, far above what one pool should hold). */
const MAX_POOL_SIZE = 1000;

const POOL_NAME = /^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
/**
 * Label prefixes a kubelet may set in the kubernetes.io and k8s.io namespaces, each also with any
 * subdomain before it (`[*.]node.kubernetes.io`: LabelNamespaceSuffixNode and LabelNamespaceSuffixKubelet
 * in staging/src/k8s.io/api/core/v1/well_known_labels.go). The NodeRestriction admission plugin refuses
 * the others, and kubelet's --node-labels validation (cmd/kubelet/app/options/options.go) with it; the
 * well-known labels it also allows (kubernetes.io/hostname, topology.kubernetes.io/zone, ...) are the
 * kubelet's and the cloud controller manager's own to set.
 */
const KUBELET_LABEL_PREFIXES = ["kubelet.kubernetes.io", "node.kubernetes.io"];

/** A Kubernetes qualified name (`[prefix/]name`), as label and taint keys are; a message if it is not one. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split("/");
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || !LABEL_NAME.test(name) || (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)))
    return `"${key}" is not a Kubernetes qualified name ([DNS-subdomain/]name, the name at most 63 letters, digits, "-", "_" or "." between alphanumerics).`;
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  return value === "" || LABEL_NAME.test(value)
    ? undefined
    : `"${value}" is not a label value (at most 63 letters, digits, "-", "_" or "." between alphanumerics, or empty).`;
}

/** Applies a pool's defaults and checks its props against its cluster; throws one ClusterSpecError listing every problem. */
export function resolveWorkerPool(
  rawInput: WorkerPoolInput,
  cluster: ClusterSpec,
  options: ResolveOptions = {},
): WorkerPoolSpec {
  const isToken = options.isUnresolved ?? (() => false);
  const literal: Literal = (value): value is string => value !== undefined && !isToken(value);
  const shaped = checkShape(rawInput, isToken, WORKER_POOL_SHAPE, "the worker pool props");
  const problems: SpecProblem[] = [...shaped.problems];
  const problem = (prop: string, message: string) => problems.push({ prop, message });
  const input = shaped.value as WorkerPoolInput;

  const name = input.name ?? WORKER_POOL_DEFAULTS.name;
  if (!POOL_NAME.test(name))
    problem("name", `"${name}" is not a DNS label of at most 20 characters (lower-case letters, digits and "-").`);

  const instanceTypes = input.instanceTypes ?? [...WORKER_POOL_DEFAULTS.instanceTypes];
  if (instanceTypes.length === 0) problem("instanceTypes", "is empty: give at least one instance type.");
  instanceTypes.forEach((t, i) => checkInstanceType(`instanceTypes[${i}]`, t, literal, problem));
  const architecture = instanceArchitecture(instanceTypes[0] ?? WORKER_POOL_DEFAULTS.instanceTypes[0]);
  instanceTypes.forEach((t, i) => {
    if (instanceArchitecture(t) !== architecture)
      problem(
        `instanceTypes[${i}]`,
        `"${t}" is ${instanceArchitecture(t)} but "${instanceTypes[0]}" is ${architecture}: a pool runs one image, so all its types share one architecture; make a second pool for the other.`,
      );
  });
  if (cluster.imageId !== undefined && architecture !== cluster.architecture)
    problem(
      "instanceTypes",
      `are ${architecture}, but the cluster's imageId is for its ${cluster.architecture} control plane and every node runs it: use ${cluster.architecture} types, or leave the cluster's imageId out (each architecture then gets Ubuntu's own image).`,
    );
  const containerdSha256 =
    architecture === cluster.architecture
      ? cluster.containerd.sha256
      : CONTAINERD_RELEASE_SHA256[cluster.containerd.version]?.[architecture];
  if (containerdSha256 === undefined)
    problem(
      "instanceTypes",
      `are ${architecture}, but only the ${cluster.architecture} checksum of containerd ${cluster.containerd.version} is known (the cluster's containerdSha256): use a containerd release this library knows (${Object.keys(CONTAINERD_RELEASE_SHA256).join(", ")}), or ${cluster.architecture} types.`,
    );

  const minSize = input.minSize ?? WORKER_POOL_DEFAULTS.minSize;
  const maxSize = input.maxSize ?? Math.max(WORKER_POOL_DEFAULTS.maxSize, minSize);
  const desiredSize = input.desiredSize ?? minSize;
  for (const [prop, size] of [
    ["minSize", minSize],
    ["maxSize", maxSize],
    ["desiredSize", desiredSize],
  ] as const) {
    if (!Number.isInteger(size) || size < 0 || size > MAX_POOL_SIZE)
      problem(prop, `${size} is not a whole number of nodes from 0 to ${MAX_POOL_SIZE}.`);
  }
  if (maxSize < 1) problem("maxSize", `${maxSize} leaves the pool no node: give at least 1.`);
  if (minSize > maxSize) problem("minSize", `${minSize} is more than maxSize (${maxSize}).`);
  else if (desiredSize < minSize || desiredSize > maxSize)
    problem("desiredSize", `${desiredSize} is not between minSize (${minSize}) and maxSize (${maxSize}).`);

  const labels = { ...(input.labels ?? {}) };
  for (const [key, value] of Object.entries(labels)) {
    const prefix = key.includes("/") ? key.split("/")[0] : "";
    const broken = qualifiedNameProblem(key) ?? labelValueProblem(value);
    if (broken) problem(`labels.${key}`, broken);
    else if (`${NODE_TEMPLATE_TAG}/label/${key}`.length > TAG_KEY_LIMIT)
      problem(
        `labels.${key}`,
        `makes the pool's Cluster Autoscaler tag "${NODE_TEMPLATE_TAG}/label/${key}" longer than AWS's ${TAG_KEY_LIMIT} characters: use a shorter key.`,
      );
    else if (key === POOL_LABEL)
      problem(`labels.${key}`, `is set to the pool's name by the construct; leave it out (or change name).`);
    else if (
      /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix) &&
      !KUBELET_LABEL_PREFIXES.some((allowed) => prefix === allowed || prefix.endsWith(`.${allowed}`))
    )
      problem(
        `labels.${key}`,
        `is in the ${prefix} namespace, which the NodeRestriction admission plugin forbids a kubelet to set (node-role.kubernetes.io included): use your own prefix, such as "example.com/role", or ${KUBELET_LABEL_PREFIXES.join(" or ")}.`,
      );
  }

  const taints: TaintSpec[] = [];
  (input.taints ?? []).forEach((taint, i) => {
    const at = `taints[${i}]`;
    const broken = qualifiedNameProblem(taint.key ?? "");
    if (taint.key === undefined) problem(`${at}.key`, "is missing: every taint has a key.");
    else if (broken) problem(`${at}.key`, broken);
    else if (`${NODE_TEMPLATE_TAG}/taint/${taint.key}`.length > TAG_KEY_LIMIT)
      problem(
        `${at}.key`,
        `makes the pool's Cluster Autoscaler tag longer than AWS's ${TAG_KEY_LIMIT} characters: use a shorter key.`,
      );
    if (taint.value !== undefined && labelValueProblem(taint.value))
      problem(`${at}.value`, labelValueProblem(taint.value)!);
    if (!(TAINT_EFFECTS as readonly string[]).includes(taint.effect))
      problem(`${at}.effect`, `${JSON.stringify(taint.effect)} is not one of ${TAINT_EFFECTS.join(", ")}.`);
    else if (taints.some((t) => t.key === taint.key && t.effect === taint.effect))
      problem(at, `repeats the key "${taint.key}" with the effect ${taint.effect}: give each key and effect once.`);
    else taints.push({ key: taint.key, value: taint.value, effect: taint.effect as TaintSpec["effect"] });
  });

  const rootVolumeSizeGiB = input.rootVolumeSizeGiB ?? WORKER_POOL_DEFAULTS.rootVolumeSizeGiB;
  checkVolumeSize("rootVolumeSizeGiB", rootVolumeSizeGiB, 20, 16384, problem);

  if (problems.length > 0) throw new ClusterSpecError(problems, `WorkerPool "${name}"`);
  return {
    name,
    instanceTypes,
    architecture,
    containerdSha256: containerdSha256!,
    runcSha256: RUNC_RELEASE.sha256[architecture],
    minSize,
    maxSize,
    desiredSize,
    labels: { ...labels, [POOL_LABEL]: name },
    taints,
    rootVolumeSizeGiB,
  };
}
