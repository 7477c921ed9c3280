import { cidrContains, cidrHost, cidrsOverlap, cidrSubnet, parseCidr, parseIpv4, Ipv4Cidr } from "./cidr";
import { instanceArchitecture } from "./architecture";
import { resolveExternalEtcd } from "./etcd";
import { resolveKeepalivedEndpoint } from "./keepalived";
import { CONTAINERD_RELEASE_SHA256, KUBERNETES_MINORS, RUNC_RELEASE, compareVersions } from "./versions";
import {
  ClusterInput,
  ClusterSpec,
  ControlPlaneNodeSpec,
  EndpointSpec,
  EtcdSpec,
  ExistingNetworkInput,
  NetworkInput,
  NetworkSpec,
  NlbEndpointInput,
  NlbEndpointSpec,
  SubnetInput,
  SecretsInput,
  SecretsSpec,
  SubnetSpec,
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
  vpcCidr: "10.0.0.0/16",
  zoneCount: 3,
  apiServerPort: 6443,
  /** First host offset used for fixed node addresses (AWS reserves the first four). */
  firstHostOffset: 10,
} as const;

/** The Kubernetes minors this library supports, oldest first (see versions.ts). */
export const SUPPORTED_KUBERNETES_MINORS = Object.keys(KUBERNETES_MINORS).map(Number).sort((a, b) => a - b);

/** One problem with the input: the prop it concerns and what to do about it. */
export interface SpecProblem {
  readonly prop: string;
  readonly message: string;
}

export class ClusterSpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(
      `Invalid KubeadmCluster props (nothing was synthesized):\n` +
        problems.map((p) => `  - ${p.prop}: ${p.message}`).join("\n"),
    );
    this.name = "ClusterSpecError";
  }
}

export interface ResolveOptions {
  /** Tells whether a string is a deploy-time token; such values are not validated here. */
  readonly isUnresolved?: (value: string) => boolean;
  /** Address of host `offset` in a subnet whose CIDR is a token (e.g. Terraform's cidrhost()). */
  readonly tokenCidrHost?: (cidr: string, offset: number) => string;
}

const CLUSTER_NAME = /^[a-z]([-a-z0-9]{0,22}[a-z0-9])?$/;
const KUBERNETES_VERSION = /^v?1\.(\d+)\.(\d+)$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const WILDCARD_DNS_NAME = /^\*\.(.+)$/;
const RELEASE_VERSION = /^(\d+)\.\d+\.\d+$/;
const SHA256 = /^[a-f0-9]{64}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** Applies defaults and validates; throws one ClusterSpecError listing every problem. */
export function resolveClusterSpec(input: ClusterInput = {}, options: ResolveOptions = {}): ClusterSpec {
  const isToken = options.isUnresolved ?? (() => false);
  const literal = (value: string | undefined): value is string => value !== undefined && !isToken(value);
  const problems: SpecProblem[] = [];
  const problem = (prop: string, message: string) => {
    if (!problems.some((p) => p.prop === prop && p.message === message)) problems.push({ prop, message });
  };

  const clusterName = input.clusterName ?? DEFAULTS.clusterName;
  if (literal(clusterName) && !CLUSTER_NAME.test(clusterName)) {
    problem(
      "clusterName",
      `"${clusterName}" is not a lower-case DNS label of 1-24 characters (a-z, 0-9, "-", starting with a letter); it names AWS resources with length limits. Use e.g. "prod-eu1".`,
    );
  }

  const kubernetesVersion = (input.kubernetesVersion ?? DEFAULTS.kubernetesVersion).replace(/^v/, "");
  const versionMatch = KUBERNETES_VERSION.exec(kubernetesVersion);
  const supported = SUPPORTED_KUBERNETES_MINORS.map((m) => `1.${m}`).join(", ");
  let kubernetesMinor = 0;
  if (!versionMatch) {
    problem("kubernetesVersion", `"${input.kubernetesVersion}" is not of the form 1.MINOR.PATCH (e.g. "${DEFAULTS.kubernetesVersion}").`);
  } else {
    kubernetesMinor = Number(versionMatch[1]);
    if (!KUBERNETES_MINORS[kubernetesMinor]) {
      problem(
        "kubernetesVersion",
        kubernetesMinor < SUPPORTED_KUBERNETES_MINORS[0]
          ? `${kubernetesVersion} is past its upstream support window; this library supports ${supported}. Use e.g. "${DEFAULTS.kubernetesVersion}" (upgrade a running cluster one minor at a time, README: Day 2).`
          : `${kubernetesVersion} is newer than this library knows (its sandbox image and containerd needs are not recorded); use ${supported}, or a newer release of this library.`,
      );
    }
  }
  const minor = KUBERNETES_MINORS[kubernetesMinor];

  const instanceType = input.instanceType ?? DEFAULTS.instanceType;
  const architecture = instanceArchitecture(instanceType);
  const containerdVersion = (input.containerdVersion ?? DEFAULTS.containerdVersion).replace(/^v/, "");
  const containerdMatch = RELEASE_VERSION.exec(containerdVersion);
  if (!containerdMatch) {
    problem("containerdVersion", `"${input.containerdVersion}" is not a containerd release of the form 2.MINOR.PATCH (e.g. "${DEFAULTS.containerdVersion}").`);
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
  const containerdSha256 = input.containerdSha256 ?? CONTAINERD_RELEASE_SHA256[containerdVersion]?.[architecture];
  if (containerdSha256 === undefined) {
    problem(
      "containerdSha256",
      `is required for containerd ${containerdVersion} (${architecture}): give the SHA-256 of containerd-${containerdVersion}-linux-${architecture}.tar.gz from the release's .sha256sum file, so the download can be verified.`,
    );
  } else if (!SHA256.test(containerdSha256)) {
    problem("containerdSha256", `"${containerdSha256}" is not a SHA-256 digest (64 lower-case hex characters).`);
  }

  const count = input.controlPlaneCount ?? DEFAULTS.controlPlaneCount;
  if (!Number.isInteger(count) || count < 3 || count > 7 || count % 2 === 0) {
    problem(
      "controlPlaneCount",
      `${count} is not one of 3, 5 or 7: etcd needs an odd member count of at least 3 to survive a node failure (an even count adds no tolerance), and more than 7 slows every write. Use 3 or 5.`,
    );
  }

  if (literal(instanceType) && !INSTANCE_TYPE.test(instanceType)) {
    problem("instanceType", `"${instanceType}" is not an EC2 instance type such as "t3.medium" or "m7i.large".`);
  }
  const rootVolumeSizeGiB = input.rootVolumeSizeGiB ?? DEFAULTS.rootVolumeSizeGiB;
  if (!Number.isInteger(rootVolumeSizeGiB) || rootVolumeSizeGiB < 20 || rootVolumeSizeGiB > 16384) {
    problem("rootVolumeSizeGiB", `${rootVolumeSizeGiB} is not a whole number of GiB between 20 (etcd, images and logs need room) and 16384.`);
  }

  const dnsDomain = input.dnsDomain ?? DEFAULTS.dnsDomain;
  if (!DNS_NAME.test(dnsDomain)) problem("dnsDomain", `"${dnsDomain}" is not a DNS domain such as "cluster.local".`);

  const network = resolveNetwork(input.network, input.endpoint?.type === "keepalived", literal, problem);

  // Pod, service and VPC ranges must not overlap: routing between them would be ambiguous.
  const ranges: { prop: string; text: string; cidr?: Ipv4Cidr }[] = [];
  const podCidr = input.podCidr ?? DEFAULTS.podCidr;
  const serviceCidr = input.serviceCidr ?? DEFAULTS.serviceCidr;
  for (const [prop, text] of [
    ["podCidr", podCidr],
    ["serviceCidr", serviceCidr],
    ["network.vpcCidr", network.vpcCidr],
  ] as const) {
    if (!literal(text)) continue;
    const cidr = parseCidr(text);
    if (!cidr) problem(prop, `"${text}" is not an IPv4 CIDR with its host bits clear (e.g. "10.0.0.0/16").`);
    ranges.push({ prop, text, cidr });
  }
  const parsedServiceCidr = ranges.find((r) => r.prop === "serviceCidr")?.cidr;
  if (parsedServiceCidr && parsedServiceCidr.prefix < 12) {
    problem("serviceCidr", `"${serviceCidr}" is larger than a /12, the largest service range the API server accepts.`);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      if (a.cidr && b.cidr && cidrsOverlap(a.cidr, b.cidr)) {
        problem(b.prop, `"${b.text}" overlaps ${a.prop} "${a.text}": pod, service and VPC ranges must be disjoint. Choose a range outside it.`);
      }
    }
  }

  const subnets = network.privateSubnets;
  const placement = (index: number) => ({
    subnetIndex: index % Math.max(subnets.length, 1),
    offset: DEFAULTS.firstHostOffset + Math.floor(index / Math.max(subnets.length, 1)),
  });
  const address = (subnetIndex: number, offset: number) => {
    const cidr = subnets[subnetIndex].cidrBlock;
    if (literal(cidr)) {
      const parsed = parseCidr(cidr);
      // AWS keeps the last address of a subnet (and the first four, below every offset used here).
      if (parsed && offset > 2 ** (32 - parsed.prefix) - 2) {
        problem(
          `network.privateSubnets[${subnetIndex}].cidrBlock`,
          `"${cidr}" is too small: this cluster places a node at host ${offset} of it. Use subnets of /26 or larger.`,
        );
        return "0.0.0.0";
      }
      return cidrHost(cidr, offset);
    }
    if (options.tokenCidrHost) return options.tokenCidrHost(cidr, offset);
    throw new Error(`subnet CIDR "${cidr}" is a deploy-time value and no tokenCidrHost was given`);
  };
  const endpointInput = input.endpoint ?? { type: "nlb" as const };
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
      controlPlanePlacement: placement,
      isValidDnsName: (name) => DNS_NAME.test(name),
    });
  } else {
    endpoint = resolveNlbEndpoint(endpointInput, network, clusterName, literal, problem);
  }
  const etcdInput = input.etcd ?? { topology: "stacked" as const };
  let etcd: EtcdSpec = { topology: "stacked" };
  if (etcdInput.topology === "external") etcd = resolveExternalEtcd(etcdInput, clusterName, subnets.length, address, literal, problem);
  else if (etcdInput.topology !== "stacked") {
    problem("etcd.topology", `"${(etcdInput as { topology: string }).topology}" is not supported; use "stacked" or "external".`);
  }

  // One given image must boot every node, so every instance type must share its architecture.
  if (input.imageId !== undefined) {
    const cpArchitecture = architecture;
    const others: [string, string | undefined][] = [
      ["etcd.instanceType", etcd.topology === "external" ? etcd.instanceType : undefined],
      ["endpoint.loadBalancerInstanceType", endpoint.type === "keepalived" && endpoint.placement === "dedicated" ? endpoint.loadBalancerInstanceType : undefined],
    ];
    for (const [prop, type] of others) {
      if (type === undefined || !literal(type) || instanceArchitecture(type) === cpArchitecture) continue;
      problem(prop, `"${type}" is ${instanceArchitecture(type)} but imageId is used for every node and instanceType "${instanceType}" is ${cpArchitecture}: choose a ${cpArchitecture} type, or leave imageId unset so each node gets an image of its own architecture.`);
    }
  }

  const extraCertSans = input.extraCertSans ?? [];
  extraCertSans.forEach((san, i) => {
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

  const secrets = resolveSecrets(input.secrets, literal, problem);

  const spreadAcrossZones = input.spreadAcrossZones ?? true;
  if (spreadAcrossZones) checkZoneSpread(input.network, network, literal, problem);

  const controlPlane: ControlPlaneNodeSpec[] =
    subnets.length === 0 || problems.some((p) => p.prop === "controlPlaneCount")
      ? []
      : Array.from({ length: count }, (_, index) => {
          const { subnetIndex, offset } = placement(index);
          return { index, name: `${clusterName}-cp-${index}`, subnetIndex, privateIp: address(subnetIndex, offset) };
        });

  if (problems.length > 0) throw new ClusterSpecError(problems);
  return {
    clusterName,
    kubernetesVersion,
    kubernetesMinor,
    pauseImage: minor?.pauseImage ?? "",
    architecture,
    containerd: { version: containerdVersion, sha256: containerdSha256 ?? "" },
    runc: { version: RUNC_RELEASE.version, sha256: RUNC_RELEASE.sha256[architecture] },
    instanceType,
    rootVolumeSizeGiB,
    imageId: input.imageId,
    podCidr,
    serviceCidr,
    dnsDomain,
    extraCertSans,
    endpoint,
    etcd,
    network,
    apiServerPort: DEFAULTS.apiServerPort,
    controlPlane,
    secrets,
    tags: input.tags ?? {},
  };
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/;
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

function resolveSecrets(input: SecretsInput | undefined, literal: Literal, problem: Problem): SecretsSpec {
  const kmsKeyArn = input?.kmsKeyArn;
  if (literal(kmsKeyArn) && !KMS_KEY_ARN.test(kmsKeyArn)) {
    problem("secrets.kmsKeyArn", `"${kmsKeyArn}" is not a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (an alias or key id cannot scope the nodes' permissions).`);
  }
  const breakGlassPrincipalArns = input?.breakGlassPrincipalArns ?? [];
  breakGlassPrincipalArns.forEach((arn, i) => {
    if (literal(arn) && !IAM_PRINCIPAL_ARN.test(arn)) {
      problem(`secrets.breakGlassPrincipalArns[${i}]`, `"${arn}" is not an IAM role or user ARN such as "arn:aws:iam::123456789012:role/cluster-recovery" (no wildcards: each principal is named).`);
    }
  });
  return { kmsKeyArn, breakGlassPrincipalArns };
}

type Problem = (prop: string, message: string) => void;
type Literal = (value: string | undefined) => value is string;

function isExisting(network: NetworkInput | undefined): network is ExistingNetworkInput {
  return network !== undefined && "vpcId" in network;
}

function resolveNetwork(input: NetworkInput | undefined, keepalived: boolean, literal: Literal, problem: Problem): NetworkSpec {
  if (isExisting(input)) {
    const check = (subnets: SubnetInput[] | undefined, prop: string) =>
      (subnets ?? []).forEach((s, i) => {
        const cidr = literal(s.cidrBlock) ? parseCidr(s.cidrBlock) : undefined;
        if (literal(s.cidrBlock) && !cidr) problem(`${prop}[${i}].cidrBlock`, `"${s.cidrBlock}" is not an IPv4 CIDR.`);
        const vpc = literal(input.vpcCidr) ? parseCidr(input.vpcCidr) : undefined;
        if (cidr && vpc && !cidrContains(vpc, cidr)) {
          problem(`${prop}[${i}].cidrBlock`, `"${s.cidrBlock}" is not inside network.vpcCidr "${input.vpcCidr}".`);
        }
      });
    if (input.privateSubnets.length === 0) {
      problem("network.privateSubnets", "is empty: give the private subnets the control-plane nodes should use (one per availability zone).");
    }
    check(input.privateSubnets, "network.privateSubnets");
    check(input.publicSubnets, "network.publicSubnets");
    return {
      mode: "existing",
      vpcId: input.vpcId,
      vpcCidr: input.vpcCidr,
      privateSubnets: input.privateSubnets.map(toSubnetSpec),
      publicSubnets: (input.publicSubnets ?? []).map(toSubnetSpec),
      natGatewayPerZone: false,
    };
  }

  const vpcCidr = input?.vpcCidr ?? DEFAULTS.vpcCidr;
  const zones = input?.availabilityZones;
  const zoneCount = zones?.length ?? input?.zoneCount ?? DEFAULTS.zoneCount;
  if (!Number.isInteger(zoneCount) || zoneCount < 1 || zoneCount > 6) {
    problem("network.zoneCount", `${zoneCount} is not a number of availability zones between 1 and 6.`);
  }
  const vpc = literal(vpcCidr) ? parseCidr(vpcCidr) : undefined;
  if (vpc && (vpc.prefix < 16 || vpc.prefix > 20)) {
    problem("network.vpcCidr", `"${vpcCidr}" must be a /16 to /20 (AWS allows at most /16; smaller than /20 leaves no room for the subnets).`);
  }
  const plannable = vpc !== undefined && vpc.prefix >= 16 && vpc.prefix <= 20 && zoneCount >= 1 && zoneCount <= 6;
  const range = (n: number) => Array.from({ length: plannable ? n : 0 }, (_, i) => i);
  // Private subnets: the first /+4 blocks. Public: small /+8 blocks near the top of the VPC.
  const privateSubnets = range(zoneCount).map((i) => ({ availabilityZone: zones?.[i], cidrBlock: cidrSubnet(vpcCidr, 4, i) }));
  const publicSubnets = range(zoneCount).map((i) => ({ availabilityZone: zones?.[i], cidrBlock: cidrSubnet(vpcCidr, 8, 240 + i) }));
  return {
    mode: "new",
    vpcCidr,
    privateSubnets,
    publicSubnets,
    availabilityZones: zones,
    // A new VRRP master moves the VIP with an EC2 call: it must not depend on a NAT in another zone.
    natGatewayPerZone: input?.natGatewayPerZone ?? keepalived,
  };
}

function toSubnetSpec(s: SubnetInput): SubnetSpec {
  return { id: s.id, availabilityZone: s.availabilityZone, cidrBlock: s.cidrBlock };
}

/** The endpoint's own name: in a zone the user gives, or api.CLUSTER.internal in one the construct creates. */
function resolvePrivateDns(endpoint: NlbEndpointInput, clusterName: string, literal: Literal, problem: Problem): NlbEndpointSpec["privateDns"] {
  const input = endpoint.privateDns ?? {};
  if (input === false) return undefined;
  if (input.zoneId !== undefined) {
    if (input.name === undefined) {
      problem("endpoint.privateDns.name", `is required with endpoint.privateDns.zoneId: give the endpoint's fully qualified name in that zone (e.g. "api.${clusterName}.example.internal").`);
      return undefined;
    }
    if (literal(input.name) && !DNS_NAME.test(input.name)) problem("endpoint.privateDns.name", `"${input.name}" is not a lower-case DNS name such as "api.${clusterName}.example.internal".`);
    return { zoneId: input.zoneId, name: input.name };
  }
  const zoneName = `${clusterName}.internal`;
  const name = input.name ?? `api.${zoneName}`;
  if (literal(name) && !name.endsWith(`.${zoneName}`)) {
    problem("endpoint.privateDns.name", `"${name}" is not inside the zone the construct creates, ${zoneName}: name one such as "api.${zoneName}", or give the zoneId of your own private zone.`);
  }
  return { zoneName, name };
}

function resolveNlbEndpoint(endpoint: NlbEndpointInput, network: NetworkSpec, clusterName: string, literal: Literal, problem: Problem): NlbEndpointSpec {
  if (endpoint.type !== "nlb") {
    problem("endpoint.type", `"${(endpoint as { type: string }).type}" is not supported; use "nlb" or "keepalived".`);
  }
  const internetFacing = endpoint.internetFacing ?? false;
  let allowedCidrs = endpoint.allowedCidrs;
  if (allowedCidrs === undefined) {
    if (internetFacing) {
      problem(
        "endpoint.allowedCidrs",
        'is required for an internet-facing endpoint: list the CIDRs that may reach the API (e.g. your office range); "0.0.0.0/0" only if you mean the whole internet.',
      );
    }
    allowedCidrs = [network.vpcCidr];
  }
  allowedCidrs.forEach((text, i) => {
    if (!literal(text)) return;
    if (!parseCidr(text)) problem(`endpoint.allowedCidrs[${i}]`, `"${text}" is not an IPv4 CIDR with its host bits clear.`);
    else if (text === "0.0.0.0/0" && !internetFacing) {
      problem(`endpoint.allowedCidrs[${i}]`, '"0.0.0.0/0" on an internal endpoint: list the networks that really need the API, or set internetFacing: true.');
    }
  });
  if (internetFacing && network.mode === "existing" && network.publicSubnets.length === 0) {
    problem("network.publicSubnets", "is empty but endpoint.internetFacing is true: give public subnets for the NLB, or make the endpoint internal.");
  }
  const privateDns = resolvePrivateDns(endpoint, clusterName, literal, problem);
  const deletionProtection = endpoint.deletionProtection ?? false;
  if (typeof deletionProtection !== "boolean") problem("endpoint.deletionProtection", `${JSON.stringify(deletionProtection)} is not true or false.`);
  return {
    type: "nlb",
    internetFacing,
    allowedCidrs: internetFacing ? [network.vpcCidr] : allowedCidrs,
    publicAllowedCidrs: internetFacing ? allowedCidrs : [],
    port: DEFAULTS.apiServerPort,
    deletionProtection,
    privateDns,
  };
}

function checkZoneSpread(input: NetworkInput | undefined, network: NetworkSpec, literal: Literal, problem: Problem) {
  const fix = "or set spreadAcrossZones: false to accept that losing one zone can lose the etcd majority.";
  if (!isExisting(input)) {
    const zones = network.availabilityZones;
    const zoneCount = zones?.length ?? input?.zoneCount ?? DEFAULTS.zoneCount;
    if (zoneCount < 3) problem("network.zoneCount", `is ${zoneCount}: the control plane is spread over at least 3 availability zones; use 3, ${fix}`);
    if (zones && zones.every(literal) && new Set(zones).size !== zones.length) {
      problem("network.availabilityZones", `lists a zone twice (${zones.join(", ")}): give distinct zones.`);
    }
    return;
  }
  const zones = input.privateSubnets.map((s) => s.availabilityZone);
  if (!zones.every(literal)) return; // zones known only at deploy time cannot be checked here
  const distinct = new Set(zones);
  if (input.privateSubnets.length > 0 && distinct.size < 3) {
    problem(
      "network.privateSubnets",
      `cover ${distinct.size} availability zone(s) (${[...distinct].join(", ")}), but the control plane is spread over at least 3: give private subnets in 3 zones, ${fix}`,
    );
  }
}
