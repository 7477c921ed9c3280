import { ClusterInput, ClusterSpecError, ETCD_RELEASE_SHA256, instanceArchitecture, resolveClusterSpec } from "../../lib/spec";
import { cidrHost, cidrSubnet, cidrsOverlap, parseCidr } from "../../lib/spec/cidr";

describe("defaults", () => {
  const spec = resolveClusterSpec();

  test("the smallest call gives 3 nodes, NLB, stacked etcd, a new 3-zone VPC, Kubernetes 1.37.1 on containerd 2.3.4", () => {
    expect(spec.controlPlane).toHaveLength(3);
    expect(spec.endpoint).toEqual({ type: "nlb", internetFacing: false, allowedCidrs: ["10.0.0.0/16"], publicAllowedCidrs: [], port: 6443, deletionProtection: false, privateDns: { zoneName: "kubeadm-ha.internal", name: "api.kubeadm-ha.internal" } });
    expect(spec.etcd).toEqual({ topology: "stacked" });
    expect(spec.network.mode).toBe("new");
    expect(spec.network.privateSubnets.map((s) => s.cidrBlock)).toEqual(["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]);
    expect(spec.network.publicSubnets.map((s) => s.cidrBlock)).toEqual(["10.0.240.0/24", "10.0.241.0/24", "10.0.242.0/24"]);
    expect(spec.kubernetesVersion).toBe("1.37.1");
    expect(spec.kubernetesMinor).toBe(37);
    expect(spec.pauseImage).toBe("registry.k8s.io/pause:3.10.2");
    expect(spec.containerd).toEqual({ version: "2.3.4", sha256: "9d68969855fbf676cdb8ed758e420fb048d61f984f61de3e53eddfebe484d168" });
    expect(spec.runc).toEqual({ version: "1.4.3", sha256: "f6ae8efc0fa40079e1475e97cbe9d1bd3f106a28d6af78a11d9f1bd565515e60" });
  });

  test("nodes are spread round-robin over subnets at fixed host addresses", () => {
    const five = resolveClusterSpec({ controlPlaneCount: 5 });
    expect(five.controlPlane.map((n) => [n.name, n.subnetIndex, n.privateIp])).toEqual([
      ["kubeadm-ha-cp-0", 0, "10.0.0.10"],
      ["kubeadm-ha-cp-1", 1, "10.0.16.10"],
      ["kubeadm-ha-cp-2", 2, "10.0.32.10"],
      ["kubeadm-ha-cp-3", 0, "10.0.0.11"],
      ["kubeadm-ha-cp-4", 1, "10.0.16.11"],
    ]);
  });

  test("a leading v in the version is accepted and dropped", () => {
    expect(resolveClusterSpec({ kubernetesVersion: "v1.36.4" }).kubernetesVersion).toBe("1.36.4");
  });

  test.each([
    ["1.35.9", "registry.k8s.io/pause:3.10.1"],
    ["1.36.5", "registry.k8s.io/pause:3.10.2"],
    ["1.37.1", "registry.k8s.io/pause:3.10.2"],
  ])("every supported minor is accepted, with the sandbox image its kubeadm expects: %s", (version, pause) => {
    expect(resolveClusterSpec({ kubernetesVersion: version }).pauseImage).toBe(pause);
  });

  test.each([
    ["m7g.large", "arm64"],
    ["t4g.medium", "arm64"],
    ["c8gd.xlarge", "arm64"],
    ["a1.large", "arm64"],
    ["m7i.large", "amd64"],
    ["t3.medium", "amd64"],
    ["g5.xlarge", "amd64"],
  ])("%s is %s", (type, arch) => {
    expect(instanceArchitecture(type)).toBe(arch);
  });

  test("Graviton control planes get the arm64 containerd and runc", () => {
    const arm = resolveClusterSpec({ instanceType: "m7g.large" });
    expect(arm.architecture).toBe("arm64");
    expect(arm.containerd.sha256).toBe("a985fbb7e18fc0362d31a055338f5d7b0e087a3e27f14c70d1c5965399a29f95");
    expect(arm.runc.sha256).toBe("633301e2e32f8a5ad54031aab4901eb00308bec677dd15faa2751e8f9dab5ca4");
  });
});

describe("deploy-time values (tokens)", () => {
  const isUnresolved = (v: string) => v.startsWith("${TOKEN");
  const existing = {
    vpcId: "${TOKEN.vpc}",
    vpcCidr: "10.1.0.0/16",
    privateSubnets: [0, 1, 2].map((i) => ({ id: `\${TOKEN.s${i}}`, availabilityZone: `\${TOKEN.az${i}}`, cidrBlock: `\${TOKEN.cidr${i}}` })),
  };

  test("are not validated and addresses inside token CIDRs come from tokenCidrHost", () => {
    const spec = resolveClusterSpec(
      { network: existing },
      { isUnresolved, tokenCidrHost: (cidr, offset) => `cidrhost(${cidr},${offset})` },
    );
    expect(spec.controlPlane.map((n) => n.privateIp)).toEqual(["cidrhost(${TOKEN.cidr0},10)", "cidrhost(${TOKEN.cidr1},10)", "cidrhost(${TOKEN.cidr2},10)"]);
  });
});

describe("existing network", () => {
  test("subnets in three zones are accepted and used in order", () => {
    const spec = resolveClusterSpec({
      network: {
        vpcId: "vpc-1",
        vpcCidr: "10.1.0.0/16",
        privateSubnets: ["a", "b", "c"].map((z, i) => ({ id: `subnet-${z}`, availabilityZone: `eu-west-1${z}`, cidrBlock: `10.1.${i}.0/24` })),
      },
    });
    expect(spec.controlPlane.map((n) => n.privateIp)).toEqual(["10.1.0.10", "10.1.1.10", "10.1.2.10"]);
    expect(spec.endpoint.allowedCidrs).toEqual(["10.1.0.0/16"]);
  });
});

const threeZones = (zones: string[], cidrs = ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"]) => ({
  vpcId: "vpc-1",
  vpcCidr: "10.1.0.0/16",
  privateSubnets: zones.map((z, i) => ({ id: `subnet-${i}`, availabilityZone: z, cidrBlock: cidrs[i] })),
});

/** [what is wrong, input, prop the error must name, words the message must contain] */
const BAD_INPUTS: [string, ClusterInput, string, RegExp][] = [
  ["an even control-plane count", { controlPlaneCount: 4 }, "controlPlaneCount", /odd/],
  ["a single control-plane node", { controlPlaneCount: 1 }, "controlPlaneCount", /3, 5 or 7/],
  ["too many control-plane nodes", { controlPlaneCount: 9 }, "controlPlaneCount", /3, 5 or 7/],
  ["a fractional control-plane count", { controlPlaneCount: 3.5 }, "controlPlaneCount", /3, 5 or 7/],
  ["a malformed Kubernetes version", { kubernetesVersion: "1.37" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  ["a Kubernetes version with a suffix", { kubernetesVersion: "1.37.1-rc.0" }, "kubernetesVersion", /1\.MINOR\.PATCH/],
  ["a Kubernetes minor past its support window", { kubernetesVersion: "1.34.2" }, "kubernetesVersion", /past its upstream support window; this library supports 1\.35, 1\.36, 1\.37/],
  ["a Kubernetes minor this library does not know yet", { kubernetesVersion: "1.38.0" }, "kubernetesVersion", /newer than this library knows/],
  ["containerd 1.x", { containerdVersion: "1.7.28" }, "containerdVersion", /left support in September 2026 and Kubernetes 1\.36 and later cannot run on 1\.x/],
  ["a containerd older than the minor supports", { kubernetesVersion: "1.36.5", containerdVersion: "2.1.9", containerdSha256: "0".repeat(64) }, "containerdVersion", /older than 2\.2\.0, the oldest containerd Kubernetes 1\.36 supports/],
  ["a containerd version without a known checksum", { containerdVersion: "2.3.5" }, "containerdSha256", /is required for containerd 2\.3\.5 \(amd64\)/],
  ["a malformed containerd checksum", { containerdVersion: "2.3.5", containerdSha256: "abc" }, "containerdSha256", /not a SHA-256 digest/],
  ["a cluster name with capitals", { clusterName: "Prod" }, "clusterName", /lower-case DNS label/],
  ["a cluster name that is too long", { clusterName: "a".repeat(25) }, "clusterName", /1-24 characters/],
  ["a cluster name ending in a dash", { clusterName: "prod-" }, "clusterName", /DNS label/],
  ["an extra SAN with a scheme", { extraCertSans: ["https://api.example.com"] }, "extraCertSans[0]", /no scheme/],
  ["an extra SAN with a port", { extraCertSans: ["api.example.com:6443"] }, "extraCertSans[0]", /DNS name/],
  ["an extra SAN with an underscore", { extraCertSans: ["ok.example.com", "bad_name.example.com"] }, "extraCertSans[1]", /DNS name/],
  ["an extra SAN that is an invalid address", { extraCertSans: ["300.1.1.1"] }, "extraCertSans[0]", /IPv4/],
  ["a pod CIDR overlapping the VPC", { podCidr: "10.0.128.0/17" }, "network.vpcCidr", /overlaps podCidr/],
  ["a service CIDR overlapping the pod CIDR", { serviceCidr: "10.244.0.0/16" }, "serviceCidr", /overlaps podCidr/],
  ["a pod CIDR with host bits set", { podCidr: "10.244.0.1/16" }, "podCidr", /host bits/],
  ["a service CIDR larger than /12", { serviceCidr: "10.64.0.0/10" }, "serviceCidr", /\/12/],
  ["a VPC CIDR too large for AWS", { network: { vpcCidr: "10.0.0.0/8" } }, "network.vpcCidr", /\/16 to \/20/],
  ["fewer than 3 zones for a spread control plane", { network: { zoneCount: 2 } }, "network.zoneCount", /spreadAcrossZones: false/],
  ["a KMS alias where a key ARN is needed", { secrets: { kmsKeyArn: "alias/cluster" } }, "secrets.kmsKeyArn", /not a KMS key ARN .*an alias or key id cannot scope/],
  ["a break-glass principal with a wildcard", { secrets: { breakGlassPrincipalArns: ["arn:aws:iam::123456789012:role/ops-*"] } }, "secrets.breakGlassPrincipalArns[0]", /no wildcards/],
  ["a break-glass principal that is not an IAM ARN", { secrets: { breakGlassPrincipalArns: ["arn:aws:iam::123456789012:role/ok", "ops-team"] } }, "secrets.breakGlassPrincipalArns[1]", /IAM role or user ARN/],
  ["the same zone listed twice", { network: { availabilityZones: ["eu-west-1a", "eu-west-1a", "eu-west-1b"] } }, "network.availabilityZones", /distinct/],
  ["existing subnets all in one zone", { network: threeZones(["eu-west-1a", "eu-west-1a", "eu-west-1a"]) }, "network.privateSubnets", /cover 1 availability zone/],
  ["existing subnets in two zones", { network: threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1a"]) }, "network.privateSubnets", /at least 3/],
  ["an existing subnet outside the VPC", { network: threeZones(["a", "b", "c"], ["10.1.0.0/24", "10.1.1.0/24", "10.9.2.0/24"]) }, "network.privateSubnets[2].cidrBlock", /not inside/],
  ["no private subnets", { network: { vpcId: "vpc-1", vpcCidr: "10.1.0.0/16", privateSubnets: [] } }, "network.privateSubnets", /is empty/],
  ["an internet-facing endpoint without allowed CIDRs", { endpoint: { type: "nlb", internetFacing: true } }, "endpoint.allowedCidrs", /is required/],
  ["the whole internet on an internal endpoint", { endpoint: { type: "nlb", allowedCidrs: ["0.0.0.0/0"] } }, "endpoint.allowedCidrs[0]", /internetFacing: true/],
  ["a malformed allowed CIDR", { endpoint: { type: "nlb", allowedCidrs: ["10.0.0.0/33"] } }, "endpoint.allowedCidrs[0]", /IPv4 CIDR/],
  [
    "an internet-facing endpoint in an existing VPC without public subnets",
    { network: threeZones(["a", "b", "c"]), endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] } },
    "network.publicSubnets",
    /is empty/,
  ],
  ["an unknown endpoint type", { endpoint: { type: "haproxy" } as any }, "endpoint.type", /"haproxy" is not "nlb" or "keepalived"/],
  ["an unknown etcd topology", { etcd: { topology: "sidecar" } as any }, "etcd.topology", /"sidecar" is not "stacked" or "external"/],
  ["a root volume too small for etcd", { rootVolumeSizeGiB: 8 }, "rootVolumeSizeGiB", /between 20/],
  ["a malformed instance type", { instanceType: "large" }, "instanceType", /EC2 instance type/],
  ["a private zone of your own without the endpoint's name", { endpoint: { type: "nlb", privateDns: { zoneId: "Z0123" } } }, "endpoint.privateDns.name", /is required with endpoint\.privateDns\.zoneId/],
  ["an endpoint name outside the zone the construct creates", { endpoint: { type: "nlb", privateDns: { name: "api.example.com" } } }, "endpoint.privateDns.name", /not inside the zone the construct creates, kubeadm-ha\.internal/],
  ["a malformed containerd version", { containerdVersion: "latest" }, "containerdVersion", /containerd release of the form 2\.MINOR\.PATCH/],
  ["a malformed DNS domain", { dnsDomain: "cluster..local" }, "dnsDomain", /DNS domain/],
  ["a routed VIP without an address", { endpoint: { type: "keepalived" } }, "endpoint.virtualIp", /required in "route" mode/],
  ["a routed VIP inside the VPC", { endpoint: { type: "keepalived", virtualIp: "10.0.200.1" } }, "endpoint.virtualIp", /must be outside/],
  ["a VIP inside the pod CIDR", { endpoint: { type: "keepalived", virtualIp: "10.244.0.9" } }, "endpoint.virtualIp", /inside podCidr/],
  ["a VIP that is not an address", { endpoint: { type: "keepalived", virtualIp: "192.168.1" } }, "endpoint.virtualIp", /not an IPv4 address/],
  [
    "a secondary-IP VIP with colocated peers in three subnets",
    { endpoint: { type: "keepalived", vipMode: "secondary-ip" } },
    "endpoint.vipMode",
    /one subnet[\s\S]*vipMode: "route"/,
  ],
  [
    "a secondary-IP VIP outside the peers' subnet",
    { endpoint: { type: "keepalived", vipMode: "secondary-ip", placement: "dedicated", virtualIp: "10.0.16.9" } },
    "endpoint.virtualIp",
    /not inside the peers' subnet "10.0.0.0\/20"/,
  ],
  [
    "a routed VIP in an existing VPC without route tables",
    { network: threeZones(["a", "b", "c"]), endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } },
    "endpoint.routeTableIds",
    /is required/,
  ],
  ["a VRRP router id out of range", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", virtualRouterId: 300 } }, "endpoint.virtualRouterId", /1-255/],
  ["a malformed VIP DNS name", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "API.example.com" } }, "endpoint.dnsName", /DNS name/],
  ["a keepalived VIP open to the world", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", allowedCidrs: ["0.0.0.0/0"] } }, "endpoint.allowedCidrs[0]", /private to the VPC/],
  ["an unknown VIP mode", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", vipMode: "arp" as any } }, "endpoint.vipMode", /"route" or "secondary-ip"/],
  ["an even etcd member count", { etcd: { topology: "external", members: 4 } }, "etcd.members", /odd member count/],
  ["a single etcd member", { etcd: { topology: "external", members: 1 } }, "etcd.members", /3, 5 or 7/],
  ["an etcd version without a known checksum", { etcd: { topology: "external", version: "3.5.99" } }, "etcd.sha256", /is required for etcd 3\.5\.99 \(amd64\)[\s\S]*SHA256SUMS/],
  ["an etcd checksum that is not SHA-256", { etcd: { topology: "external", version: "3.5.99", sha256: "abc" } }, "etcd.sha256", /64 lower-case hex/],
  ["a malformed etcd version", { etcd: { topology: "external", version: "3.5" } }, "etcd.version", /etcd 3\.x release/],
  ["a malformed etcd instance type", { etcd: { topology: "external", instanceType: "big" } }, "etcd.instanceType", /EC2 instance type/],
  ["an etcd root volume too small", { etcd: { topology: "external", rootVolumeSizeGiB: 10 } }, "etcd.rootVolumeSizeGiB", /10 is not a whole number of GiB between 20/],
  [
    "one image for amd64 control plane and arm64 etcd members",
    { imageId: "ami-0123456789abcdef0", etcd: { topology: "external", instanceType: "m7g.large" } },
    "etcd.instanceType",
    /arm64 but imageId is used for every node[\s\S]*leave imageId unset/,
  ],
  [
    "one image for an amd64 control plane and arm64 load balancers",
    { imageId: "ami-0123456789abcdef0", endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10", loadBalancerInstanceType: "t4g.small" } },
    "endpoint.loadBalancerInstanceType",
    /arm64 but imageId/,
  ],
  [
    "subnets too small for the etcd members' addresses",
    { network: threeZones(["a", "b", "c"], ["10.1.0.0/28", "10.1.0.16/28", "10.1.0.32/28"]), etcd: { topology: "external" } },
    "network.privateSubnets[0].cidrBlock",
    /too small: this cluster places a node at host 30/,
  ],
];

describe("bad inputs fail with an error that names the prop and the fix", () => {
  test(`the table covers at least 50 distinct bad inputs (${BAD_INPUTS.length})`, () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(50);
  });

  test.each(BAD_INPUTS)("%s", (_what, input, prop, words) => {
    let error: unknown;
    try {
      resolveClusterSpec(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterSpecError);
    const problems = (error as ClusterSpecError).problems;
    const named = problems.filter((p) => p.prop === prop);
    expect(named.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(words)]));
    expect((error as Error).message).toContain(`  - ${prop}: `);
  });

  test("every problem is reported at once, not only the first", () => {
    expect(() => resolveClusterSpec({ controlPlaneCount: 2, kubernetesVersion: "1.29.0", clusterName: "X" })).toThrow(
      /clusterName[\s\S]*kubernetesVersion[\s\S]*controlPlaneCount/,
    );
  });

  test("spreadAcrossZones: false accepts subnets in one zone (for keepalived: a load balancer takes one subnet per zone)", () => {
    const spec = resolveClusterSpec({ network: threeZones(["a", "a", "a"]), spreadAcrossZones: false, endpoint: { type: "keepalived", virtualIp: "192.168.255.10", routeTableIds: ["rtb-1"] } });
    expect(spec.controlPlane).toHaveLength(3);
  });

  test("an internet-facing endpoint may be opened to the world when asked explicitly", () => {
    const spec = resolveClusterSpec({ endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["0.0.0.0/0"] } });
    // The internet-facing NLB serves the world; the internal one, which the nodes use, stays the VPC's.
    expect(spec.endpoint).toMatchObject({ publicAllowedCidrs: ["0.0.0.0/0"], allowedCidrs: ["10.0.0.0/16"] });
  });
});

describe("CIDR helpers agree with Terraform's functions", () => {
  test.each([
    ["10.0.0.0/16", 4, 0, "10.0.0.0/20"],
    ["10.0.0.0/16", 4, 2, "10.0.32.0/20"],
    ["10.0.0.0/16", 8, 240, "10.0.240.0/24"],
    ["172.16.0.0/20", 4, 15, "172.16.15.0/24"],
  ])("cidrsubnet(%s, %i, %i) = %s", (cidr, bits, num, expected) => expect(cidrSubnet(cidr, bits, num)).toBe(expected));

  test("cidrhost and overlap", () => {
    expect(cidrHost("10.0.16.0/20", 10)).toBe("10.0.16.10");
    expect(cidrHost("192.168.255.0/24", 255)).toBe("192.168.255.255");
    expect(() => cidrHost("10.0.0.0/30", 4)).toThrow(/outside/);
    expect(cidrsOverlap(parseCidr("10.0.0.0/8")!, parseCidr("10.96.0.0/12")!)).toBe(true);
    expect(cidrsOverlap(parseCidr("10.0.0.0/16")!, parseCidr("10.1.0.0/16")!)).toBe(false);
    expect(parseCidr("10.0.0.1/16")).toBeUndefined();
    expect(parseCidr("256.0.0.0/8")).toBeUndefined();
  });
});

describe("keepalived endpoint", () => {
  test("colocated, routed by default: every control-plane node is a peer with a distinct priority, HAProxy on 8443", () => {
    const spec = resolveClusterSpec({ endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "api.example.com" } });
    const endpoint = spec.endpoint;
    if (endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(endpoint).toMatchObject({ vipMode: "route", placement: "colocated", port: 8443, virtualRouterId: 51, allowedCidrs: ["10.0.0.0/16"] });
    expect(endpoint.peers.map((p) => [p.name, p.privateIp, p.priority])).toEqual([
      ["kubeadm-ha-cp-0", "10.0.0.10", 140],
      ["kubeadm-ha-cp-1", "10.0.16.10", 120],
      ["kubeadm-ha-cp-2", "10.0.32.10", 100],
    ]);
    // A failing check drops the master below every healthy peer.
    expect(Math.max(...endpoint.peers.map((p) => p.priority)) + endpoint.checkWeight).toBeLessThan(Math.min(...endpoint.peers.map((p) => p.priority)));
    // 7 peers stay inside VRRP's 1..254 with the same rule.
    const seven = resolveClusterSpec({ controlPlaneCount: 7, endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } }).endpoint;
    if (seven.type !== "keepalived") throw new Error("expected keepalived");
    expect(seven.peers.map((p) => p.priority)).toEqual([220, 200, 180, 160, 140, 120, 100]);
    expect(220 + seven.checkWeight).toBeLessThan(100);
  });

  test("dedicated with a secondary IP: two load balancers in one subnet, VIP at host 9, HAProxy on 6443", () => {
    const spec = resolveClusterSpec({ endpoint: { type: "keepalived", vipMode: "secondary-ip", placement: "dedicated" } });
    const endpoint = spec.endpoint;
    if (endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(endpoint.virtualIp).toBe("10.0.0.9");
    expect(endpoint.port).toBe(6443);
    expect(endpoint.peers.map((p) => [p.name, p.subnetIndex, p.privateIp])).toEqual([
      ["kubeadm-ha-lb-0", 0, "10.0.0.20"],
      ["kubeadm-ha-lb-1", 0, "10.0.0.21"],
    ]);
  });

  test("dedicated and routed: the load balancers sit in two zones", () => {
    const spec = resolveClusterSpec({ endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } });
    if (spec.endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(spec.endpoint.peers.map((p) => p.subnetIndex)).toEqual([0, 1]);
  });

  test("a secondary-IP VIP works colocated when the control plane shares one subnet", () => {
    const spec = resolveClusterSpec({
      network: threeZones(["a"], ["10.1.0.0/24"]),
      spreadAcrossZones: false,
      endpoint: { type: "keepalived", vipMode: "secondary-ip" },
    });
    if (spec.endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(spec.endpoint.virtualIp).toBe("10.1.0.9");
    expect(spec.endpoint.peers.map((p) => p.privateIp)).toEqual(["10.1.0.10", "10.1.0.11", "10.1.0.12"]);
  });
});

describe("external etcd", () => {
  test("3 members by default, spread over the subnets at host 30, etcd 3.5.21 with its release checksum", () => {
    const spec = resolveClusterSpec({ etcd: { topology: "external" } });
    if (spec.etcd.topology !== "external") throw new Error("expected external etcd");
    expect(spec.etcd.members.map((m) => [m.name, m.subnetIndex, m.privateIp])).toEqual([
      ["kubeadm-ha-etcd-0", 0, "10.0.0.30"],
      ["kubeadm-ha-etcd-1", 1, "10.0.16.30"],
      ["kubeadm-ha-etcd-2", 2, "10.0.32.30"],
    ]);
    expect(spec.etcd).toMatchObject({ version: "3.5.21", architecture: "amd64", clientPort: 2379, peerPort: 2380 });
    expect(spec.etcd.sha256).toBe(ETCD_RELEASE_SHA256["3.5.21"].amd64);
  });

  test("5 members wrap around the zones; Graviton members get the arm64 checksum", () => {
    const spec = resolveClusterSpec({ etcd: { topology: "external", members: 5, instanceType: "m7g.large", version: "v3.5.21" } });
    if (spec.etcd.topology !== "external") throw new Error("expected external etcd");
    expect(spec.etcd.members.map((m) => m.privateIp)).toEqual(["10.0.0.30", "10.0.16.30", "10.0.32.30", "10.0.0.31", "10.0.16.31"]);
    expect(spec.etcd.sha256).toBe(ETCD_RELEASE_SHA256["3.5.21"].arm64);
  });

  test("no address is shared between control-plane nodes, load balancers and etcd members", () => {
    const spec = resolveClusterSpec({
      controlPlaneCount: 7,
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
      etcd: { topology: "external", members: 7 },
    });
    if (spec.etcd.topology !== "external" || spec.endpoint.type !== "keepalived") throw new Error("unexpected topology");
    const addresses = [...spec.controlPlane, ...spec.endpoint.peers, ...spec.etcd.members].map((n) => n.privateIp);
    expect(new Set(addresses).size).toBe(7 + 2 + 7);
  });
});
