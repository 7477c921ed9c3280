import { addressPlan, HOST_OFFSETS, placement, vipConflict } from "./addresses";
import { instanceArchitecture, nodeInstanceTypes } from "./architecture";
import { cidrsOverlap, parseCidr, parseIpv4, Ipv4Cidr } from "./cidr";
import { resolveExternalEtcd } from "./etcd";
import { resolveKeepalivedEndpoint } from "./keepalived";
import { checkClusterName } from "./names";
import { checkZoneSpread, NETWORK_DEFAULTS, resolveNetwork } from "./network";
import { NLB_PORT, resolveNlbEndpoint } from "./nlb";
import {
  checkControlPlaneInstanceType,
  checkMemberCount,
  checkVolumeSize,
  DNS_NAME,
  KMS_KEY_ARN,
  Literal,
  Problem,
} from "./rules";
import { resolveSessionManager } from "./session-manager";
import { checkShape } from "./shape";
import { CONTAINERD_RELEASE_SHA256, KUBERNETES_MINORS, RUNC_RELEASE, compareVersions } from "./versions";
import {
  ClusterInput,
  ClusterSpec,
  ControlPlaneNodeSpec,
  EndpointSpec,
  EtcdSpec,
  SecretsInput,
  SecretsSpec,
} from "./types";

export const DEFAULTS = {
  clusterName: "kubeadm-ha",
  kubernetesVersion: "1.37.1",
  containerdVersion: "2.3.4",
  controlPlaneCount: 3,
  instanceType: "t3.medium",
  rootVolumeSizeGiB: 40,
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  dnsDomain: "cluster.local",
  vpcCidr: NETWORK_DEFAULTS.vpcCidr,
  zoneCount: NETWORK_DEFAULTS.zoneCount,
  apiServerPort: NLB_PORT,
} as const;

/** The Kubernetes minors this library supports, oldest first (see versions.ts). */
export const SUPPORTED_KUBERNETES_MINORS = Object.keys(KUBERNETES_MINORS)
  .map(Number)
  .sort((a, b) => a - b);

/** One problem with the input: the prop it concerns and what to do about it. */
export interface SpecProblem {
  readonly prop: string;
  readonly message: string;
  /** Where the value came from, when not from the props themselves (an app's variable or context key). */
  readonly source?: string;
}

export class ClusterSpecError extends Error {
  constructor(
    readonly problems: SpecProblem[],
    construct = "KubeadmCluster",
  ) {
    super(
      `Invalid ${construct} props (nothing was synthesized):\n` +
        problems.map((p) => `  - ${p.prop}${p.source ? ` (${p.source})` : ""}: ${p.message}`).join("\n"),
    );
    this.name = "ClusterSpecError";
  }
}

export interface ResolveOptions {
  /**
   * Tells whether a value is a deploy-time token (a string, a number or a one-element list token).
   * Where a prop may be one (shape.ts: `deployTime`) it is not validated here; anywhere else it is refused.
   */
  readonly isUnresolved?: (value: unknown) => boolean;
}

// Numbers without leading zeros: "1.037.1" or "1.37.01" would be rendered as given and name no release.
const KUBERNETES_VERSION = /^1\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const WILDCARD_DNS_NAME = /^\*\.(.+)$/;
const RELEASE_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const SHA256 = /^[a-f0-9]{64}$/;
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/**
 * Applies defaults and validates; throws one ClusterSpecError listing every problem. First the shape
 * (types and keys, at every depth), then each concern on the well-typed rest: names, software,
 * ranges, network, endpoint, etcd, addresses, secrets.
 */
export function resolveClusterSpec(rawInput: ClusterInput = {}, options: ResolveOptions = {}): ClusterSpec {
  const isToken = options.isUnresolved ?? (() => false);
  const literal: Literal = (value): value is string => value !== undefined && !isToken(value);
  const problems: SpecProblem[] = [];
  const shaped = checkShape(rawInput, isToken);
  problems.push(...shaped.problems);
  // A value the shape refused is left out; the rules that follow would only report it missing again.
  const refused = new Set(shaped.problems.map((p) => p.prop));
  const problem: Problem = (prop, message) => {
    if (!refused.has(prop) && !problems.some((p) => p.prop === prop && p.message === message))
      problems.push({ prop, message });
  };
  const input = shaped.value as ClusterInput;

  const clusterName = input.clusterName ?? DEFAULTS.clusterName;
  checkClusterName(clusterName, literal, problem);
  const instanceType = input.instanceType ?? DEFAULTS.instanceType;
  checkControlPlaneInstanceType("instanceType", instanceType, literal, problem);
  const architecture = instanceArchitecture(instanceType);
  const software = resolveSoftware(input, architecture, problem);

  const count = input.controlPlaneCount ?? DEFAULTS.controlPlaneCount;
  checkMemberCount("controlPlaneCount", count, problem);
  const rootVolumeSizeGiB = input.rootVolumeSizeGiB ?? DEFAULTS.rootVolumeSizeGiB;
  checkVolumeSize("rootVolumeSizeGiB", rootVolumeSizeGiB, 20, 16384, problem);
  const dnsDomain = input.dnsDomain ?? DEFAULTS.dnsDomain;
  if (!DNS_NAME.test(dnsDomain)) problem("dnsDomain", `"${dnsDomain}" is not a DNS domain such as "cluster.local".`);

  const endpointInput = input.endpoint ?? { type: "nlb" as const };
  const network = resolveNetwork(
    input.network,
    {
      nlb: endpointInput.type === "nlb",
      internetFacing: endpointInput.type === "nlb" && endpointInput.internetFacing === true,
    },
    literal,
    problem,
  );
  const podCidr = input.podCidr ?? DEFAULTS.podCidr;
  const serviceCidr = input.serviceCidr ?? DEFAULTS.serviceCidr;
  const ranges = checkRanges(podCidr, serviceCidr, network.vpcCidr, count, literal, problem);

  const subnets = network.privateSubnets;
  const address = addressPlan(subnets, problem);
  const controlPlanePlacement = (index: number) => placement(index, subnets.length, HOST_OFFSETS.controlPlane);
  let endpoint: EndpointSpec;
  if (endpointInput.type === "keepalived") {
    endpoint = resolveKeepalivedEndpoint(endpointInput, {
      clusterName,
      controlPlaneCount: count,
      network,
      reservedCidrs: ranges,
      literal,
      problem,
      address,
      controlPlanePlacement,
      isValidDnsName: (name) => DNS_NAME.test(name),
    });
  } else {
    endpoint = resolveNlbEndpoint(endpointInput, network, clusterName, literal, problem);
  }
  const etcdInput = input.etcd ?? { topology: "stacked" as const };
  const etcd: EtcdSpec =
    etcdInput.topology === "external"
      ? resolveExternalEtcd(etcdInput, clusterName, subnets.length, software.kubernetesMinor, address, literal, problem)
      : { topology: "stacked" };

  if (literal(input.imageId) && !AMI_ID.test(input.imageId))
    problem(
      "imageId",
      `"${input.imageId}" is not an AMI id such as "ami-0123456789abcdef0" (an image name or SSM path is not resolved here); leave imageId out for Ubuntu 24.04 from its public SSM parameter.`,
    );
  checkOneImage(input.imageId, instanceType, etcd, endpoint, literal, problem);
  const extraCertSans = input.extraCertSans ?? [];
  checkCertSans(extraCertSans, literal, problem);
  const secrets = resolveSecrets(input.secrets, literal, problem);
  const memberCounts = [
    { prop: "controlPlaneCount", count },
    ...(etcd.topology === "external" ? [{ prop: "etcd.members", count: etcd.members.length }] : []),
  ];
  const distinctZoneSubnets =
    (input.spreadAcrossZones ?? true) ? checkZoneSpread(input.network, network, memberCounts, literal, problem) : 0;
  const sessionManager = resolveSessionManager(input.sessionManager, literal, problem);

  const controlPlane: ControlPlaneNodeSpec[] =
    subnets.length === 0 || problems.some((p) => p.prop === "controlPlaneCount")
      ? []
      : Array.from({ length: count }, (_, index) => {
          const { subnetIndex, offset } = controlPlanePlacement(index);
          return { index, name: `${clusterName}-cp-${index}`, subnetIndex, privateIp: address(subnetIndex, offset) };
        });
  if (endpoint.type === "keepalived")
    checkVipAddress(
      endpoint,
      network.privateSubnets,
      [...controlPlane, ...endpoint.peers, ...(etcd.topology === "external" ? etcd.members : [])],
      literal,
      problem,
    );

  if (problems.length > 0) throw new ClusterSpecError(problems);
  return {
    clusterName,
    ...software,
    architecture,
    instanceType,
    rootVolumeSizeGiB,
    imageId: input.imageId,
    podCidr,
    serviceCidr,
    dnsDomain,
    extraCertSans,
    endpoint,
    etcd,
    network: { ...network, distinctZoneSubnets },
    apiServerPort: DEFAULTS.apiServerPort,
    controlPlane,
    secrets,
    sessionManager,
    tags: input.tags ?? {},
  };
}

/** Kubernetes and containerd: a supported minor, and a containerd 2.x it supports, verifiable by checksum. */
function resolveSoftware(input: ClusterInput, architecture: ClusterSpec["architecture"], problem: Problem) {
  const kubernetesVersion = (input.kubernetesVersion ?? DEFAULTS.kubernetesVersion).replace(/^v(?=\d)/, "");
  const versionMatch = KUBERNETES_VERSION.exec(kubernetesVersion);
  const supported = SUPPORTED_KUBERNETES_MINORS.map((m) => `1.${m}`).join(", ");
  let kubernetesMinor = 0;
  if (!versionMatch) {
    problem(
      "kubernetesVersion",
      `"${input.kubernetesVersion}" is not of the form 1.MINOR.PATCH (e.g. "${DEFAULTS.kubernetesVersion}").`,
    );
  } else {
    kubernetesMinor = Number(versionMatch[1]);
    if (!KUBERNETES_MINORS[kubernetesMinor]) {
      problem(
        "kubernetesVersion",
        kubernetesMinor < SUPPORTED_KUBERNETES_MINORS[0]
          ? `${kubernetesVersion} is past its upstream support window; this library supports ${supported}. Use e.g. "${DEFAULTS.kubernetesVersion}" (upgrade a running cluster one minor at a time, docs/operating.md: Changing a running cluster).`
          : `${kubernetesVersion} is newer than this library knows (its sandbox image and containerd needs are not recorded); use ${supported}, or a newer release of this library.`,
      );
    }
  }
  const minor = KUBERNETES_MINORS[kubernetesMinor];

  const containerdVersion = (input.containerdVersion ?? DEFAULTS.containerdVersion).replace(/^v(?=\d)/, "");
  const containerdMatch = RELEASE_VERSION.exec(containerdVersion);
  if (!containerdMatch) {
    problem(
      "containerdVersion",
      `"${input.containerdVersion}" is not a containerd release of the form 2.MINOR.PATCH (e.g. "${DEFAULTS.containerdVersion}").`,
    );
  } else if (containerdMatch[1] !== "2") {
    problem(
      "containerdVersion",
      `"${containerdVersion}" is containerd ${containerdMatch[1]}.x: containerd 1.7 left support in September 2026 and Kubernetes 1.36 and later cannot run on 1.x. Use "${DEFAULTS.containerdVersion}".`,
    );
  } else if (minor && compareVersions(containerdVersion, minor.minContainerd) < 0) {
    problem(
      "containerdVersion",
      `"${containerdVersion}" is older than ${minor.minContainerd}, the oldest containerd Kubernetes 1.${kubernetesMinor} supports (containerd RELEASES.md). Use "${DEFAULTS.containerdVersion}".`,
    );
  }
  const knownSha256 = CONTAINERD_RELEASE_SHA256[containerdVersion]?.[architecture];
  const containerdSha256 = input.containerdSha256 ?? knownSha256;
  if (input.containerdSha256 !== undefined && knownSha256 !== undefined && input.containerdSha256 !== knownSha256) {
    problem(
      "containerdSha256",
      `"${input.containerdSha256}" is not the SHA-256 of containerd-${containerdVersion}-linux-${architecture}.tar.gz (${knownSha256}): every node would refuse the download. Leave containerdSha256 out for a release this library knows.`,
    );
  } else if (containerdSha256 === undefined) {
    problem(
      "containerdSha256",
      `is required for containerd ${containerdVersion} (${architecture}): give the SHA-256 of containerd-${containerdVersion}-linux-${architecture}.tar.gz from the release's .sha256sum file, so the download can be verified.`,
    );
  } else if (!SHA256.test(containerdSha256)) {
    problem("containerdSha256", `"${containerdSha256}" is not a SHA-256 digest (64 lower-case hex characters).`);
  }
  return {
    kubernetesVersion,
    kubernetesMinor,
    pauseImage: minor?.pauseImage ?? "",
    containerd: { version: containerdVersion, sha256: containerdSha256 ?? "" },
    runc: { version: RUNC_RELEASE.version, sha256: RUNC_RELEASE.sha256[architecture] },
  };
}

/**
 * Pod, service and VPC ranges: valid, disjoint, and as large as Kubernetes needs: every node takes a
 * /24 of the pod range (kubeadm's node CIDR mask), and the cluster DNS service the 10th service address.
 */
function checkRanges(
  podCidr: string,
  serviceCidr: string,
  vpcCidr: string,
  controlPlaneCount: number,
  literal: Literal,
  problem: Problem,
) {
  const ranges: { prop: string; text: string; cidr?: Ipv4Cidr }[] = [];
  for (const [prop, text] of [
    ["podCidr", podCidr],
    ["serviceCidr", serviceCidr],
    ["network.vpcCidr", vpcCidr],
  ] as const) {
    if (!literal(text)) continue;
    const cidr = parseCidr(text);
    if (!cidr && prop !== "network.vpcCidr")
      problem(prop, `"${text}" is not an IPv4 CIDR with its host bits clear (e.g. "10.0.0.0/16").`);
    ranges.push({ prop, text, cidr });
  }
  const pods = ranges.find((r) => r.prop === "podCidr")?.cidr;
  const nodeBlocks = 2 ** Math.ceil(Math.log2(Math.max(controlPlaneCount, 1)));
  if (pods && pods.prefix > 24 - Math.log2(nodeBlocks)) {
    problem(
      "podCidr",
      `"${podCidr}" holds ${pods.prefix > 24 ? "no" : 2 ** (24 - pods.prefix)} of the /24 blocks kubeadm gives each node, and the control plane alone has ${controlPlaneCount} nodes: use a /16 such as "10.244.0.0/16".`,
    );
  } else if (pods && pods.prefix < 8) {
    problem(
      "podCidr",
      `"${podCidr}" is larger than a /8: kube-controller-manager splits the pod range into at most 2^16 node blocks of /24.`,
    );
  }
  const services = ranges.find((r) => r.prop === "serviceCidr")?.cidr;
  if (services && services.prefix < 12)
    problem("serviceCidr", `"${serviceCidr}" is larger than a /12, the largest service range the API server accepts.`);
  else if (services && services.prefix > 28)
    problem(
      "serviceCidr",
      `"${serviceCidr}" is too small: kubeadm gives the cluster DNS service its 10th address; use a /16 or larger, e.g. "10.96.0.0/12".`,
    );
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      if (a.cidr && b.cidr && cidrsOverlap(a.cidr, b.cidr)) {
        problem(
          b.prop,
          `"${b.text}" overlaps ${a.prop} "${a.text}": pod, service and VPC ranges must be disjoint. Choose a range outside it.`,
        );
      }
    }
  }
  return ranges;
}

/** One given image must boot every node, so every instance type must share its architecture. */
function checkOneImage(
  imageId: string | undefined,
  instanceType: string,
  etcd: EtcdSpec,
  endpoint: EndpointSpec,
  literal: Literal,
  problem: Problem,
) {
  if (imageId === undefined) return;
  const architecture = instanceArchitecture(instanceType);
  for (const { prop, instanceType: type } of nodeInstanceTypes({ instanceType, etcd, endpoint }).slice(1)) {
    if (!literal(type) || instanceArchitecture(type) === architecture) continue;
    problem(
      prop,
      `"${type}" is ${instanceArchitecture(type)} but imageId is used for every node and instanceType "${instanceType}" is ${architecture}: choose a ${architecture} type, or leave imageId unset so each node gets an image of its own architecture.`,
    );
  }
}

function checkCertSans(sans: string[], literal: Literal, problem: Problem) {
  sans.forEach((san, i) => {
    if (!literal(san)) return;
    const wildcard = WILDCARD_DNS_NAME.exec(san);
    const looksNumeric = /^[\d.]+$/.test(san); // "300.1.1.1" is a bad address, not a DNS name
    const ok = looksNumeric
      ? parseIpv4(san) !== undefined
      : DNS_NAME.test(san) || (wildcard !== null && DNS_NAME.test(wildcard[1]));
    if (!ok) {
      problem(
        `extraCertSans[${i}]`,
        `"${san}" is neither a lower-case DNS name (e.g. "api.example.com", "*.example.com") nor an IPv4 address; certificate SANs take no scheme, port or path.`,
      );
    }
  });
}

/** A VIP never on an address that cannot carry it: special ranges, AWS's own addresses of its subnet, a node's address. */
function checkVipAddress(
  endpoint: Extract<EndpointSpec, { type: "keepalived" }>,
  subnets: { cidrBlock: string }[],
  nodes: { name: string; privateIp: string }[],
  literal: Literal,
  problem: Problem,
) {
  if (!literal(endpoint.virtualIp) || parseIpv4(endpoint.virtualIp) === undefined) return;
  const subnet =
    endpoint.vipMode === "secondary-ip" ? subnets[endpoint.peers[0]?.subnetIndex ?? 0]?.cidrBlock : undefined;
  const conflict = vipConflict(
    endpoint.virtualIp,
    literal(subnet) ? subnet : undefined,
    nodes.map((n) => ({ name: n.name, address: n.privateIp })),
  );
  if (conflict) problem("endpoint.virtualIp", `"${endpoint.virtualIp}" ${conflict}: choose another address.`);
}

function resolveSecrets(input: SecretsInput | undefined, literal: Literal, problem: Problem): SecretsSpec {
  const kmsKeyArn = input?.kmsKeyArn;
  if (literal(kmsKeyArn) && !KMS_KEY_ARN.test(kmsKeyArn)) {
    problem(
      "secrets.kmsKeyArn",
      `"${kmsKeyArn}" is not a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (an alias or key id cannot scope the nodes' permissions).`,
    );
  }
  const breakGlassPrincipalArns = input?.breakGlassPrincipalArns ?? [];
  breakGlassPrincipalArns.forEach((arn, i) => {
    if (literal(arn) && !IAM_PRINCIPAL_ARN.test(arn)) {
      problem(
        `secrets.breakGlassPrincipalArns[${i}]`,
        `"${arn}" is not an IAM role or user ARN such as "arn:aws:iam::123456789012:role/cluster-recovery" (no wildcards: each principal is named).`,
      );
    }
  });
  return { kmsKeyArn, breakGlassPrincipalArns };
}
