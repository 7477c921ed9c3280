/**
 * Bad props, one per row: what is wrong, the props, the prop the error must name, words its message
 * must contain. Used by the spec's tests (test/unit/spec.test.ts) and, through the construct, by
 * test/synth/validation.test.ts (nothing may be created or written).
 */
import { ClusterInput } from "../lib/cluster-spec";

export const threeZones = (zones: string[], cidrs = ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"]) => ({
  vpcId: "vpc-1",
  vpcCidr: "10.1.0.0/16",
  privateSubnets: zones.map((z, i) => ({ id: `subnet-${i}`, availabilityZone: z, cidrBlock: cidrs[i] })),
});

/** [what is wrong, input, prop the error must name, words the message must contain] */
export const BAD_INPUTS: [string, ClusterInput, string, RegExp][] = [
  ["an even control-plane count", { controlPlaneCount: 4 }, "controlPlaneCount", /odd/],
  ["a single control-plane node", { controlPlaneCount: 1 }, "controlPlaneCount", /3, 5 or 7/],
  ["too many control-plane nodes", { controlPlaneCount: 9 }, "controlPlaneCount", /3, 5 or 7/],
  ["a fractional control-plane count", { controlPlaneCount: 3.5 }, "controlPlaneCount", /3, 5 or 7/],
  ["a malformed Kubernetes version", { kubernetesVersion: "1.37" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  ["a Kubernetes version with a suffix", { kubernetesVersion: "1.37.1-rc.0" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  [
    "a Kubernetes minor past its support window",
    { kubernetesVersion: "1.34.2" },
    "kubernetesVersion",
    /past its upstream support window; this library supports 1\.35, 1\.36, 1\.37/,
  ],
  [
    "a Kubernetes minor this library does not know yet",
    { kubernetesVersion: "1.38.0" },
    "kubernetesVersion",
    /newer than this library knows/,
  ],
  [
    "containerd 1.x",
    { containerdVersion: "1.7.28" },
    "containerdVersion",
    /left support in September 2026 and Kubernetes 1\.36 and later cannot run on 1\.x/,
  ],
  [
    "a containerd older than the minor supports",
    { kubernetesVersion: "1.36.5", containerdVersion: "2.1.9", containerdSha256: "0".repeat(64) },
    "containerdVersion",
    /older than 2\.2\.0, the oldest containerd Kubernetes 1\.36 supports/,
  ],
  [
    "a containerd version without a known checksum",
    { containerdVersion: "2.3.5" },
    "containerdSha256",
    /is required for containerd 2\.3\.5 \(amd64\)/,
  ],
  [
    "a malformed containerd checksum",
    { containerdVersion: "2.3.5", containerdSha256: "abc" },
    "containerdSha256",
    /not a SHA-256 digest/,
  ],
  ["a cluster name with capitals", { clusterName: "Prod" }, "clusterName", /lower-case DNS label/],
  ["a cluster name that is too long", { clusterName: "a".repeat(25) }, "clusterName", /1-24 characters/],
  ["a cluster name ending in a dash", { clusterName: "prod-" }, "clusterName", /DNS label/],
  ["an extra SAN with a scheme", { extraCertSans: ["https://api.example.com"] }, "extraCertSans[0]", /no scheme/],
  ["an extra SAN with a port", { extraCertSans: ["api.example.com:6443"] }, "extraCertSans[0]", /DNS name/],
  [
    "an extra SAN with an underscore",
    { extraCertSans: ["ok.example.com", "bad_name.example.com"] },
    "extraCertSans[1]",
    /DNS name/,
  ],
  ["an extra SAN that is an invalid address", { extraCertSans: ["300.1.1.1"] }, "extraCertSans[0]", /IPv4/],
  ["a pod CIDR overlapping the VPC", { podCidr: "10.0.128.0/17" }, "network.vpcCidr", /overlaps podCidr/],
  ["a service CIDR overlapping the pod CIDR", { serviceCidr: "10.244.0.0/16" }, "serviceCidr", /overlaps podCidr/],
  ["a pod CIDR with host bits set", { podCidr: "10.244.0.1/16" }, "podCidr", /host bits/],
  ["a service CIDR larger than /12", { serviceCidr: "10.64.0.0/10" }, "serviceCidr", /\/12/],
  ["a VPC CIDR too large for AWS", { network: { vpcCidr: "10.0.0.0/8" } }, "network.vpcCidr", /\/16 to \/20/],
  [
    "fewer than 3 zones for a spread control plane",
    { network: { zoneCount: 2 } },
    "network.zoneCount",
    /spreadAcrossZones: false/,
  ],
  [
    "a KMS alias where a key ARN is needed",
    { secrets: { kmsKeyArn: "alias/cluster" } },
    "secrets.kmsKeyArn",
    /not a KMS key ARN .*an alias or key id cannot scope/,
  ],
  [
    "a break-glass principal with a wildcard",
    { secrets: { breakGlassPrincipalArns: ["arn:aws:iam::123456789012:role/ops-*"] } },
    "secrets.breakGlassPrincipalArns[0]",
    /no wildcards/,
  ],
  [
    "a break-glass principal that is not an IAM ARN",
    { secrets: { breakGlassPrincipalArns: ["arn:aws:iam::123456789012:role/ok", "ops-team"] } },
    "secrets.breakGlassPrincipalArns[1]",
    /IAM role or user ARN/,
  ],
  [
    "the same zone listed twice",
    { network: { availabilityZones: ["eu-west-1a", "eu-west-1a", "eu-west-1b"] } },
    "network.availabilityZones[1]",
    /"eu-west-1a" is listed twice \(also network.availabilityZones\[0\]\)/,
  ],
  [
    "existing subnets all in one zone",
    { network: threeZones(["eu-west-1a", "eu-west-1a", "eu-west-1a"]) },
    "network.privateSubnets",
    /cover 1 availability zone/,
  ],
  [
    "existing subnets in two zones",
    { network: threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1a"]) },
    "network.privateSubnets",
    /at least 3/,
  ],
  [
    "four subnets in three zones, the first two in one (nodes 0 and 1 share it)",
    {
      network: threeZones(
        ["eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1c"],
        ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"],
      ),
    },
    "network.privateSubnets",
    /put 2 of the 3 members of controlPlaneCount \(nodes 0, 1\) in eu-west-1a: losing that zone would lose their majority/,
  ],
  [
    "an existing subnet outside the VPC",
    { network: threeZones(["a", "b", "c"], ["10.1.0.0/24", "10.1.1.0/24", "10.9.2.0/24"]) },
    "network.privateSubnets[2].cidrBlock",
    /not inside/,
  ],
  [
    "no private subnets",
    { network: { vpcId: "vpc-1", vpcCidr: "10.1.0.0/16", privateSubnets: [] } },
    "network.privateSubnets",
    /is empty/,
  ],
  [
    "an internet-facing endpoint without allowed CIDRs",
    { endpoint: { type: "nlb", internetFacing: true } },
    "endpoint.allowedCidrs",
    /is required/,
  ],
  [
    "the whole internet on an internal endpoint",
    { endpoint: { type: "nlb", allowedCidrs: ["0.0.0.0/0"] } },
    "endpoint.allowedCidrs[0]",
    /internetFacing: true/,
  ],
  [
    "a malformed allowed CIDR",
    { endpoint: { type: "nlb", allowedCidrs: ["10.0.0.0/33"] } },
    "endpoint.allowedCidrs[0]",
    /IPv4 CIDR/,
  ],
  [
    "an internet-facing endpoint in an existing VPC without public subnets",
    {
      network: threeZones(["a", "b", "c"]),
      endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] },
    },
    "network.publicSubnets",
    /is empty/,
  ],
  [
    "an unknown endpoint type",
    { endpoint: { type: "haproxy" } as any },
    "endpoint.type",
    /"haproxy" is not "nlb" or "keepalived"/,
  ],
  [
    "an unknown etcd topology",
    { etcd: { topology: "sidecar" } as any },
    "etcd.topology",
    /"sidecar" is not "stacked" or "external"/,
  ],
  ["a root volume too small for etcd", { rootVolumeSizeGiB: 8 }, "rootVolumeSizeGiB", /between 20/],
  ["a malformed instance type", { instanceType: "large" }, "instanceType", /EC2 instance type/],
  [
    "a private zone of your own without the endpoint's name",
    { endpoint: { type: "nlb", privateDns: { zoneId: "Z0123" } } },
    "endpoint.privateDns.name",
    /is required with endpoint\.privateDns\.zoneId/,
  ],
  [
    "an endpoint name outside the zone the construct creates",
    { endpoint: { type: "nlb", privateDns: { name: "api.example.com" } } },
    "endpoint.privateDns.name",
    /not inside the zone the construct creates, kubeadm-ha\.internal/,
  ],
  [
    "a malformed containerd version",
    { containerdVersion: "latest" },
    "containerdVersion",
    /containerd release of the form 2\.MINOR\.PATCH/,
  ],
  ["a malformed DNS domain", { dnsDomain: "cluster..local" }, "dnsDomain", /DNS domain/],
  [
    "a routed VIP without an address",
    { endpoint: { type: "keepalived" } },
    "endpoint.virtualIp",
    /required in "route" mode/,
  ],
  [
    "a routed VIP inside the VPC",
    { endpoint: { type: "keepalived", virtualIp: "10.0.200.1" } },
    "endpoint.virtualIp",
    /must be outside/,
  ],
  [
    "a VIP inside the pod CIDR",
    { endpoint: { type: "keepalived", virtualIp: "10.244.0.9" } },
    "endpoint.virtualIp",
    /inside podCidr/,
  ],
  [
    "a VIP that is not an address",
    { endpoint: { type: "keepalived", virtualIp: "192.168.1" } },
    "endpoint.virtualIp",
    /not an IPv4 address/,
  ],
  [
    "a secondary-IP VIP with colocated peers in three subnets",
    { endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true } },
    "endpoint.vipMode",
    /one subnet[\s\S]*vipMode: "route"/,
  ],
  [
    "a secondary-IP VIP outside the peers' subnet",
    {
      endpoint: {
        type: "keepalived",
        vipMode: "secondary-ip",
        acceptSingleZone: true,
        placement: "dedicated",
        virtualIp: "10.0.16.9",
      },
    },
    "endpoint.virtualIp",
    /not inside the peers' subnet "10.0.0.0\/20"/,
  ],
  [
    "a routed VIP in an existing VPC without route tables",
    { network: threeZones(["a", "b", "c"]), endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } },
    "endpoint.routeTableIds",
    /is required/,
  ],
  [
    "a VRRP router id out of range",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", virtualRouterId: 300 } },
    "endpoint.virtualRouterId",
    /1-255/,
  ],
  [
    "a malformed VIP DNS name",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "API.example.com" } },
    "endpoint.dnsName",
    /DNS name/,
  ],
  [
    "a keepalived VIP open to the world",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", allowedCidrs: ["0.0.0.0/0"] } },
    "endpoint.allowedCidrs[0]",
    /private to the VPC/,
  ],
  [
    "an unknown VIP mode",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", vipMode: "arp" as any } },
    "endpoint.vipMode",
    /"route" or "secondary-ip"/,
  ],
  ["an even etcd member count", { etcd: { topology: "external", members: 4 } }, "etcd.members", /odd member count/],
  ["a single etcd member", { etcd: { topology: "external", members: 1 } }, "etcd.members", /3, 5 or 7/],
  [
    "an etcd version without a known checksum",
    { etcd: { topology: "external", version: "3.5.99" } },
    "etcd.sha256",
    /is required for etcd 3\.5\.99 \(amd64\)[\s\S]*SHA256SUMS/,
  ],
  [
    "an etcd checksum that is not SHA-256",
    { etcd: { topology: "external", version: "3.5.99", sha256: "abc" } },
    "etcd.sha256",
    /64 lower-case hex/,
  ],
  ["a malformed etcd version", { etcd: { topology: "external", version: "3.5" } }, "etcd.version", /etcd 3\.x release/],
  [
    "a malformed etcd instance type",
    { etcd: { topology: "external", instanceType: "big" } },
    "etcd.instanceType",
    /EC2 instance type/,
  ],
  [
    "an etcd root volume too small",
    { etcd: { topology: "external", rootVolumeSizeGiB: 10 } },
    "etcd.rootVolumeSizeGiB",
    /10 is not a whole number of GiB between 20/,
  ],
  [
    "one image for amd64 control plane and arm64 etcd members",
    { imageId: "ami-0123456789abcdef0", etcd: { topology: "external", instanceType: "m7g.large" } },
    "etcd.instanceType",
    /arm64 but imageId is used for every node[\s\S]*leave imageId unset/,
  ],
  [
    "one image for an amd64 control plane and arm64 load balancers",
    {
      imageId: "ami-0123456789abcdef0",
      endpoint: {
        type: "keepalived",
        placement: "dedicated",
        virtualIp: "192.168.255.10",
        loadBalancerInstanceType: "t4g.small",
      },
    },
    "endpoint.loadBalancerInstanceType",
    /arm64 but imageId/,
  ],
  [
    "subnets too small for the etcd members' addresses",
    {
      network: threeZones(["a", "b", "c"], ["10.1.0.0/28", "10.1.0.16/28", "10.1.0.32/28"]),
      etcd: { topology: "external" },
    },
    "network.privateSubnets[0].cidrBlock",
    /too small: this cluster places a node at host 30/,
  ],
  // The shape, as JavaScript, JSON, YAML or environment values give it.
  [
    "internetFacing as a string",
    { endpoint: { type: "nlb", internetFacing: "false" } } as any,
    "endpoint.internetFacing",
    /"false" \(a string\) is not true or false: write false without quotes/,
  ],
  [
    "deletionProtection as a number",
    { endpoint: { type: "nlb", deletionProtection: 1 } } as any,
    "endpoint.deletionProtection",
    /1 \(a number\) is not true or false/,
  ],
  [
    "controlPlaneCount as a string",
    { controlPlaneCount: "3" } as any,
    "controlPlaneCount",
    /"3" \(a string\) is not a number: write 3 without quotes/,
  ],
  [
    "controlPlaneCount as words",
    { controlPlaneCount: "three" } as any,
    "controlPlaneCount",
    /"three" \(a string\) is not a number\.$/,
  ],
  [
    "kubernetesVersion as a number",
    { kubernetesVersion: 1.34 } as any,
    "kubernetesVersion",
    /1\.34 \(a number\) is not a string: quote it, "1\.34"/,
  ],
  [
    "routeTableIds as a string",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", routeTableIds: "rtb-1" } } as any,
    "endpoint.routeTableIds",
    /"rtb-1" \(a string\) is not a list of strings: write \["rtb-1"\]/,
  ],
  [
    "allowedCidrs with a number in it",
    { endpoint: { type: "nlb", allowedCidrs: ["10.0.0.0/16", 10] } } as any,
    "endpoint.allowedCidrs[1]",
    /10 \(a number\) is not a CIDR such as "10.0.0.0\/16"/,
  ],
  [
    "extraCertSans as a string",
    { extraCertSans: "api.example.com" } as any,
    "extraCertSans",
    /is not a list of strings: write \["api\.example\.com"\]/,
  ],
  ["tags as a list", { tags: ["team=platform"] } as any, "tags", /is not an object of string tags/],
  [
    "a tag value that is a number",
    { tags: { cost: 12 } } as any,
    "tags.cost",
    /12 \(a number\) is not a string: tag values are strings/,
  ],
  [
    "spreadAcrossZones as a string",
    { spreadAcrossZones: "no" } as any,
    "spreadAcrossZones",
    /"no" \(a string\) is not true or false\.$/,
  ],
  ["rootVolumeSizeGiB as a string", { rootVolumeSizeGiB: "40" } as any, "rootVolumeSizeGiB", /write 40 without quotes/],
  ["zoneCount as a string", { network: { zoneCount: "3" } } as any, "network.zoneCount", /write 3 without quotes/],
  [
    "natGatewayPerZone as a string",
    { network: { natGatewayPerZone: "true" } } as any,
    "network.natGatewayPerZone",
    /write true without quotes/,
  ],
  [
    "etcd members as a string",
    { etcd: { topology: "external", members: "5" } } as any,
    "etcd.members",
    /write 5 without quotes/,
  ],
  [
    "virtualRouterId as a string",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", virtualRouterId: "51" } } as any,
    "endpoint.virtualRouterId",
    /write 51 without quotes/,
  ],
  [
    "privateDns as true",
    { endpoint: { type: "nlb", privateDns: true } } as any,
    "endpoint.privateDns",
    /true \(a boolean\) is not an object of props/,
  ],
  [
    "a subnet list that is an object",
    { network: { vpcId: "vpc-1", vpcCidr: "10.1.0.0/16", privateSubnets: { id: "subnet-1" } } } as any,
    "network.privateSubnets",
    /is not a list/,
  ],
  [
    "a subnet that is a string",
    { network: { vpcId: "vpc-1", vpcCidr: "10.1.0.0/16", privateSubnets: ["subnet-1"] } } as any,
    "network.privateSubnets[0]",
    /"subnet-1" \(a string\) is not an object of props/,
  ],
  ["endpoint as a string", { endpoint: "nlb" } as any, "endpoint", /"nlb" \(a string\) is not an object of props/],
  ["etcd as a string", { etcd: "external" } as any, "etcd", /"external" \(a string\) is not an object of props/],
  [
    "an endpoint without its type",
    { endpoint: { internetFacing: true } } as any,
    "endpoint.type",
    /is required: "nlb" or "keepalived"/,
  ],
  [
    "etcd without its topology",
    { etcd: { members: 5 } } as any,
    "etcd.topology",
    /is required: "stacked" or "external"/,
  ],
  ["a null prop", { instanceType: null } as any, "instanceType", /is null: leave it out to get its default/],
  ["the props as a list", [] as any, "(props)", /is not an object of props/],
  ["secrets as a string", { secrets: "kms" } as any, "secrets", /"kms" \(a string\) is not an object of props/],
  // Unknown keys, with the nearest known one, and keys of another variant.
  [
    "a typo in a top-level key",
    { controlPlaneCont: 5 } as any,
    "controlPlaneCont",
    /is not a prop of the cluster props: did you mean controlPlaneCount\?/,
  ],
  ["a key in the wrong case", { instancetype: "m7i.large" } as any, "instancetype", /did you mean instanceType\?/],
  [
    "a typo in an endpoint key",
    { endpoint: { type: "nlb", internetFacng: true } } as any,
    "endpoint.internetFacng",
    /did you mean endpoint\.internetFacing\?/,
  ],
  [
    "an NLB key on a keepalived endpoint",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", internetFacing: true } } as any,
    "endpoint.internetFacing",
    /is not a prop of a keepalived endpoint \(type "keepalived"\); it belongs to an NLB endpoint \(type "nlb"\)/,
  ],
  [
    "a keepalived key on an NLB endpoint",
    { endpoint: { type: "nlb", virtualIp: "10.0.0.9" } } as any,
    "endpoint.virtualIp",
    /it belongs to a keepalived endpoint/,
  ],
  [
    "members with stacked etcd",
    { etcd: { topology: "stacked", members: 5 } } as any,
    "etcd.members",
    /is not a prop of stacked etcd \(topology "stacked"\); it belongs to external etcd/,
  ],
  [
    "a typo in an external etcd key",
    { etcd: { topology: "external", member: 5 } } as any,
    "etcd.member",
    /did you mean etcd\.members\?/,
  ],
  [
    "a new-network key on an existing network",
    { network: { ...threeZonesLiteral(), zoneCount: 3 } } as any,
    "network.zoneCount",
    /is not a prop of an existing network \(with vpcId\); it belongs to a new network/,
  ],
  [
    "a typo in a subnet key",
    {
      network: {
        vpcId: "vpc-1",
        vpcCidr: "10.1.0.0/16",
        privateSubnets: [{ id: "subnet-1", availabilityZone: "eu-west-1a", cidr: "10.1.0.0/24" }],
      },
    } as any,
    "network.privateSubnets[0].cidr",
    /did you mean network\.privateSubnets\[0\]\.cidrBlock\?/,
  ],
  [
    "a typo in a privateDns key",
    { endpoint: { type: "nlb", privateDns: { zoneID: "Z1" } } } as any,
    "endpoint.privateDns.zoneID",
    /did you mean endpoint\.privateDns\.zoneId\?/,
  ],
  [
    "a typo in a secrets key",
    { secrets: { kmsKey: "arn" } } as any,
    "secrets.kmsKey",
    /did you mean secrets\.kmsKeyArn\?/,
  ],
  [
    "a key with no near match",
    { flavour: "vanilla" } as any,
    "flavour",
    /is not a prop of the cluster props; its props are clusterName, kubernetesVersion/,
  ],
  // Existing networks: complete and consistent.
  [
    "subnets without a vpcId",
    { network: { privateSubnets: threeZonesLiteral().privateSubnets } } as any,
    "network.vpcId",
    /is required with network\.privateSubnets \(an existing network/,
  ],
  [
    "a vpcId without a vpcCidr",
    { network: { vpcId: "vpc-1", privateSubnets: threeZonesLiteral().privateSubnets } } as any,
    "network.vpcCidr",
    /is required with network\.vpcId/,
  ],
  [
    "a vpcId without subnets",
    { network: { vpcId: "vpc-1", vpcCidr: "10.1.0.0/16" } } as any,
    "network.privateSubnets",
    /is required with network\.vpcId/,
  ],
  [
    "a subnet without an id",
    {
      network: {
        ...threeZonesLiteral(),
        privateSubnets: threeZonesLiteral().privateSubnets.map((s, i) => (i === 1 ? { ...s, id: undefined } : s)),
      },
    } as any,
    "network.privateSubnets[1].id",
    /is required for a subnet of an existing network/,
  ],
  [
    "a subnet without a zone",
    {
      network: {
        ...threeZonesLiteral(),
        privateSubnets: threeZonesLiteral().privateSubnets.map((s, i) =>
          i === 2 ? { id: s.id, cidrBlock: s.cidrBlock } : s,
        ),
      },
    } as any,
    "network.privateSubnets[2].availabilityZone",
    /is required/,
  ],
  [
    "a subnet without a CIDR",
    {
      network: {
        ...threeZonesLiteral(),
        privateSubnets: threeZonesLiteral().privateSubnets.map((s, i) =>
          i === 0 ? { id: s.id, availabilityZone: s.availabilityZone } : s,
        ),
      },
    } as any,
    "network.privateSubnets[0].cidrBlock",
    /is required/,
  ],
  [
    "the same subnet twice",
    {
      network: {
        ...threeZonesLiteral(),
        privateSubnets: threeZonesLiteral().privateSubnets.map((s, i) => (i === 2 ? { ...s, id: "subnet-0" } : s)),
      },
    },
    "network.privateSubnets[2].id",
    /"subnet-0" is also network\.privateSubnets\[0\]\.id/,
  ],
  [
    "two subnets with one CIDR",
    { network: threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1c"], ["10.1.0.0/24", "10.1.0.0/24", "10.1.2.0/24"]) },
    "network.privateSubnets[1].cidrBlock",
    /overlaps network\.privateSubnets\[0\]\.cidrBlock/,
  ],
  [
    "a public subnet overlapping a private one",
    {
      network: {
        ...threeZonesLiteral(),
        publicSubnets: [{ id: "subnet-p", availabilityZone: "eu-west-1a", cidrBlock: "10.1.0.128/25" }],
      },
    },
    "network.publicSubnets[0].cidrBlock",
    /overlaps network\.privateSubnets\[0\]\.cidrBlock/,
  ],
  [
    "a public subnet outside the VPC",
    {
      network: {
        ...threeZonesLiteral(),
        publicSubnets: [{ id: "subnet-p", availabilityZone: "eu-west-1a", cidrBlock: "10.9.0.0/24" }],
      },
    },
    "network.publicSubnets[0].cidrBlock",
    /not inside network\.vpcCidr/,
  ],
  [
    "an NLB over two subnets of one zone",
    { network: threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1a"]), spreadAcrossZones: false },
    "network.privateSubnets[2].availabilityZone",
    /a load balancer takes one subnet per zone/,
  ],
  [
    "an existing VPC CIDR that is not a CIDR",
    { network: { ...threeZonesLiteral(), vpcCidr: "10.1.0.0" } },
    "network.vpcCidr",
    /not an IPv4 CIDR/,
  ],
  [
    "a zone count that disagrees with the zones",
    { network: { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zoneCount: 4 } },
    "network.zoneCount",
    /is 4 but network\.availabilityZones lists 3 zones/,
  ],
  // Names that AWS refuses.
  [
    "a cluster name that makes an internal- load balancer name",
    { clusterName: "internal-k8s" },
    "clusterName",
    /would name a network load balancer "internal-k8s-api", and AWS allows no name that begins with "internal-"/,
  ],
  ["the cluster name internal", { clusterName: "internal" }, "clusterName", /"internal-api"/],
  [
    "a cluster name that makes an sg- security group name",
    { clusterName: "sg-prod" },
    "clusterName",
    /would name a security group "sg-prod-control-plane-", and AWS allows no name that begins with "sg-"/,
  ],
  ["a cluster name ending in a hyphen", { clusterName: "prod-" }, "clusterName", /lower-case DNS label/],
  ["a cluster name with a dot", { clusterName: "prod.eu" }, "clusterName", /lower-case DNS label/],
  // Addresses.
  [
    "a secondary-IP VIP on the subnet's network address",
    { ...secondaryIp("10.0.0.0") },
    "endpoint.virtualIp",
    /is the subnet's network address of "10\.0\.0\.0\/20"/,
  ],
  ["a secondary-IP VIP on the VPC router", { ...secondaryIp("10.0.0.1") }, "endpoint.virtualIp", /is the VPC router/],
  [
    "a secondary-IP VIP on the Amazon DNS server",
    { ...secondaryIp("10.0.0.2") },
    "endpoint.virtualIp",
    /is the Amazon DNS server/,
  ],
  [
    "a secondary-IP VIP on AWS's reserved fourth address",
    { ...secondaryIp("10.0.0.3") },
    "endpoint.virtualIp",
    /kept by AWS for future use/,
  ],
  [
    "a secondary-IP VIP on the broadcast address",
    { ...secondaryIp("10.0.15.255") },
    "endpoint.virtualIp",
    /is the broadcast address of "10\.0\.0\.0\/20"/,
  ],
  [
    "a secondary-IP VIP on a load balancer's own address",
    { ...secondaryIp("10.0.0.20") },
    "endpoint.virtualIp",
    /is kubeadm-ha-lb-0's own address/,
  ],
  [
    "a secondary-IP VIP on an etcd member's address",
    { ...secondaryIp("10.0.0.30"), etcd: { topology: "external" } },
    "endpoint.virtualIp",
    /is kubeadm-ha-etcd-0's own address/,
  ],
  [
    "a routed VIP on loopback",
    { endpoint: { type: "keepalived", virtualIp: "127.0.0.1" } },
    "endpoint.virtualIp",
    /is loopback \(127\.0\.0\.0\/8\)/,
  ],
  [
    "a routed VIP in link-local",
    { endpoint: { type: "keepalived", virtualIp: "169.254.169.254" } },
    "endpoint.virtualIp",
    /is link-local/,
  ],
  [
    "a routed VIP that is unspecified",
    { endpoint: { type: "keepalived", virtualIp: "0.0.0.0" } },
    "endpoint.virtualIp",
    /is the unspecified range/,
  ],
  [
    "a routed VIP that is multicast",
    { endpoint: { type: "keepalived", virtualIp: "224.0.0.18" } },
    "endpoint.virtualIp",
    /is multicast/,
  ],
  [
    "a routed VIP that is the broadcast address",
    { endpoint: { type: "keepalived", virtualIp: "255.255.255.255" } },
    "endpoint.virtualIp",
    /is reserved/,
  ],
  [
    "a pod range smaller than a node's block",
    { podCidr: "10.244.0.0/25" },
    "podCidr",
    /holds no of the \/24 blocks kubeadm gives each node/,
  ],
  [
    "a pod range with room for fewer nodes than the control plane",
    { podCidr: "10.244.0.0/23", controlPlaneCount: 3 },
    "podCidr",
    /holds 2 of the \/24 blocks kubeadm gives each node, and the control plane alone has 3 nodes/,
  ],
  ["a pod range larger than a /8", { podCidr: "0.0.0.0/7" }, "podCidr", /larger than a \/8/],
  [
    "a service range too small for the DNS service",
    { serviceCidr: "10.96.0.0/29" },
    "serviceCidr",
    /kubeadm gives the cluster DNS service its 10th address/,
  ],
  // Relations and sizes.
  [
    "an invalid load balancer instance type",
    {
      endpoint: {
        type: "keepalived",
        placement: "dedicated",
        vipMode: "secondary-ip",
        acceptSingleZone: true,
        loadBalancerInstanceType: "small",
      },
    },
    "endpoint.loadBalancerInstanceType",
    /not an EC2 instance type/,
  ],
  [
    "an etcd root volume too large",
    { etcd: { topology: "external", rootVolumeSizeGiB: 20000 } },
    "etcd.rootVolumeSizeGiB",
    /between 20 .* and 16384/,
  ],
  [
    "an even etcd member count as a whole number check",
    { etcd: { topology: "external", members: 3.5 } },
    "etcd.members",
    /3, 5 or 7/,
  ],
  [
    "a secondary-IP VIP without choosing one zone knowingly",
    { endpoint: { type: "keepalived", vipMode: "secondary-ip", placement: "dedicated" } },
    "endpoint.acceptSingleZone",
    /losing its zone takes the API endpoint down .* Use vipMode "route"/,
  ],
  [
    "acceptSingleZone with a routed VIP",
    { endpoint: { type: "keepalived", virtualIp: "192.168.100.10", acceptSingleZone: true } },
    "endpoint.acceptSingleZone",
    /applies only to vipMode "secondary-ip"/,
  ],
  // A second round of careless and adversarial inputs (issue 18, section 5), one class each.
  ["an infinite count", { controlPlaneCount: Infinity }, "controlPlaneCount", /^Infinity is not a finite number\.$/],
  ["a version with a doubled v", { kubernetesVersion: "vv1.37.1" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  ["a minor with a leading zero", { kubernetesVersion: "1.037.1" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  ["a patch with a leading zero", { kubernetesVersion: "1.37.01" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  ["a containerd release with a leading zero", { containerdVersion: "2.03.4" }, "containerdVersion", /2\.MINOR\.PATCH/],
  [
    "a containerd digest other than the release's",
    { containerdSha256: "0".repeat(64) },
    "containerdSha256",
    /is not the SHA-256 of containerd-2\.3\.4-linux-amd64\.tar\.gz .*every node would refuse the download/,
  ],
  ["an empty image id", { imageId: "" }, "imageId", /is "" \(an unset variable\?\)/],
  ["an image name for an image id", { imageId: "ubuntu-24.04" }, "imageId", /not an AMI id such as "ami-/],
  [
    "a certificate name from an unset variable",
    { extraCertSans: [undefined as unknown as string] },
    "extraCertSans[0]",
    /is undefined \(an unset variable\?\): each entry is a DNS name or IPv4 address/,
  ],
  [
    "an empty allowed CIDR",
    { endpoint: { type: "nlb", allowedCidrs: [""] } },
    "endpoint.allowedCidrs[0]",
    /unset variable/,
  ],
  [
    "an allowed CIDR listed twice",
    { endpoint: { type: "nlb", allowedCidrs: ["10.0.0.0/16", "10.0.0.0/16"] } },
    "endpoint.allowedCidrs[1]",
    /listed twice/,
  ],
  [
    "a route table listed twice",
    {
      ...threeZonesLiteral(),
      endpoint: { type: "keepalived", virtualIp: "192.168.100.10", routeTableIds: ["rtb-1", "rtb-1"] },
    },
    "endpoint.routeTableIds[1]",
    /"rtb-1" is listed twice/,
  ],
  [
    "an empty route table id",
    {
      network: threeZonesLiteral(),
      endpoint: { type: "keepalived", virtualIp: "192.168.100.10", routeTableIds: [""] },
    },
    "endpoint.routeTableIds[0]",
    /unset variable/,
  ],
  ["an empty VPC id", { network: { ...threeZonesLiteral(), vpcId: "" } }, "network.vpcId", /unset variable/],
  ["a pod range with a leading zero", { podCidr: "010.244.0.0/16" }, "podCidr", /not an IPv4 CIDR/],
  [
    "a VIP with a leading zero",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.010" } },
    "endpoint.virtualIp",
    /"192\.168\.255\.010" is not an IPv4 address/,
  ],
  [
    "an endpoint name with an empty label",
    { endpoint: { type: "nlb", privateDns: { name: "api..kubeadm-ha.internal" } } },
    "endpoint.privateDns.name",
    /not a lower-case DNS name \(no empty label, no wildcard\)/,
  ],
  [
    "a wildcard endpoint name",
    { endpoint: { type: "nlb", privateDns: { name: "*.kubeadm-ha.internal" } } },
    "endpoint.privateDns.name",
    /no wildcard/,
  ],
  [
    "a cluster named like us-east-1's internal zone",
    { clusterName: "ec2" },
    "clusterName",
    /shadows the VPC's own instance names \(ec2\.internal/,
  ],
  ["a cluster named like the regions' internal zone", { clusterName: "compute" }, "clusterName", /compute\.internal/],
  [
    "more tags than AWS allows beside the construct's own",
    { tags: Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`t${i}`, "x"])) },
    "tags",
    /has 46 tags; AWS allows 50 per resource .* give at most 45/,
  ],
  [
    "a tag key over AWS's length",
    { tags: { ["k".repeat(129)]: "x" } },
    `tags.${"k".repeat(129)}`,
    /1 to 128 characters/,
  ],
  ["a tag value over AWS's length", { tags: { team: "v".repeat(257) } }, "tags.team", /AWS allows 256/],
  [
    "an aws: tag key",
    { tags: { "aws:cloudformation:stack-name": "x" } },
    "tags.aws:cloudformation:stack-name",
    /keeps for its own/,
  ],
  [
    "the construct's own cluster tag",
    { tags: { "kubeadm-ha:cluster": "other" } },
    "tags.kubeadm-ha:cluster",
    /the construct sets/,
  ],
  [
    "the construct's own status tag",
    { tags: { "kubeadm-ha:bootstrap": "ready" } },
    "tags.kubeadm-ha:bootstrap",
    /the construct sets/,
  ],
  ["a Name tag", { tags: { Name: "mine" } }, "tags.Name", /the construct sets/],
  ["tags as a Map", { tags: new Map([["team", "platform"]]) as never }, "tags", /pass Object\.fromEntries\(map\)/],
  [
    "a props key named constructor",
    JSON.parse('{"constructor": "x"}'),
    "constructor",
    /is not a prop of the cluster props/,
  ],
  [
    "a props key named __proto__",
    JSON.parse('{"__proto__": {"clusterName": "x"}}'),
    "__proto__",
    /is not a prop of the cluster props/,
  ],
  [
    "a hole in the subnet list",
    {
      network: {
        ...threeZonesLiteral(),
        // A sparse list, as `[a, , c]` or a deleted entry gives one.
        privateSubnets: Object.assign(new Array(3), {
          0: threeZonesLiteral().privateSubnets[0],
          2: threeZonesLiteral().privateSubnets[2],
        }) as never,
      },
    },
    "network.privateSubnets[1]",
    /a hole in the list/,
  ],
  [
    "an object that refers to itself as the VPC id",
    { network: { ...threeZonesLiteral(), vpcId: selfReferring() as never } },
    "network.vpcId",
    /an object that refers to itself \(an object\) is not a string/,
  ],
  [
    "a class instance as a KMS key",
    { secrets: { kmsKeyArn: new (class Key {})() as never } },
    "secrets.kmsKeyArn",
    /a Key object \(an object\) is not a string/,
  ],
  [
    "two zones given while spreading",
    { network: { availabilityZones: ["eu-west-1a", "eu-west-1b"] } },
    "network.availabilityZones",
    /lists 2 zone\(s\): .* at least 3/,
  ],
  [
    "a control plane on t3.micro",
    { instanceType: "t3.micro" },
    "instanceType",
    /fewer than 2 vCPUs or 1\.7 GiB .* kubeadm refuses/,
  ],
  ["a control plane on t3.nano", { instanceType: "t3.nano" }, "instanceType", /kubeadm refuses/],
  ["a control plane on a 1-vCPU Graviton", { instanceType: "m7g.medium" }, "instanceType", /kubeadm refuses/],
  [
    "a Session Manager key given by alias",
    { sessionManager: { kmsKeyArn: "alias/session-manager" } },
    "sessionManager.kmsKeyArn",
    /is not a KMS key ARN/,
  ],
  [
    "a session log bucket given as an ARN",
    { sessionManager: { s3BucketName: "arn:aws:s3:::session-logs" } },
    "sessionManager.s3BucketName",
    /not its ARN/,
  ],
  [
    "a session log prefix without a bucket",
    { sessionManager: { s3KeyPrefix: "logs/" } },
    "sessionManager.s3KeyPrefix",
    /name the bucket/,
  ],
  [
    "a session log group given as an ARN",
    { sessionManager: { cloudWatchLogGroupName: "arn:aws:logs:us-east-1:123456789012:log-group:/ssm/sessions" } },
    "sessionManager.cloudWatchLogGroupName",
    /not its ARN/,
  ],
  [
    "an NLB idle timeout below AWS's range",
    { endpoint: { type: "nlb", idleTimeoutSeconds: 59 } },
    "endpoint.idleTimeoutSeconds",
    /59 is not a whole number of seconds from 60 to 6000/,
  ],
  [
    "an NLB idle timeout above AWS's range",
    { endpoint: { type: "nlb", idleTimeoutSeconds: 6001 } },
    "endpoint.idleTimeoutSeconds",
    /from 60 to 6000/,
  ],
  [
    "a fractional NLB idle timeout",
    { endpoint: { type: "nlb", idleTimeoutSeconds: 90.5 } },
    "endpoint.idleTimeoutSeconds",
    /whole number of seconds/,
  ],
];

/** An object whose JSON would never end, like a construct (it refers to its scope, which refers to it). */
function selfReferring(): object {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
}

/** An existing network in three zones, as literal values. */
function threeZonesLiteral() {
  return threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
}

/** Dedicated load balancers with a secondary-IP VIP at `vip` (their subnet is 10.0.0.0/20). */
function secondaryIp(vip: string): ClusterInput {
  return {
    endpoint: {
      type: "keepalived",
      vipMode: "secondary-ip",
      acceptSingleZone: true,
      placement: "dedicated",
      virtualIp: vip,
    },
  };
}
