import {
  ClusterSpecError,
  ETCD_RELEASE_SHA256,
  instanceArchitecture,
  resolveClusterSpec,
} from "../../lib/cluster-spec";
import { BAD_INPUTS, threeZones } from "../bad-inputs";
import { cidrHost, cidrSubnet, cidrsOverlap, parseCidr } from "../../lib/cluster-spec/cidr";
import { CLUSTER_SHAPE, Field, Shape } from "../../lib/cluster-spec/shape";
import { specProblemsOf } from "../helpers";

describe("defaults", () => {
  const spec = resolveClusterSpec();

  test("the smallest call gives 3 nodes, NLB, stacked etcd, a new 3-zone VPC, Kubernetes 1.37.1 on containerd 2.3.4", () => {
    expect(spec.controlPlane).toHaveLength(3);
    expect(spec.endpoint).toEqual({
      type: "nlb",
      internetFacing: false,
      allowedCidrs: ["10.0.0.0/16"],
      publicAllowedCidrs: [],
      port: 6443,
      deletionProtection: false,
      idleTimeoutSeconds: 3600,
      privateDns: { zoneName: "kubeadm-ha.internal", name: "api.kubeadm-ha.internal" },
    });
    expect(spec.etcd).toEqual({ topology: "stacked" });
    expect(spec.network.mode).toBe("new");
    expect(spec.network.privateSubnets.map((s) => s.cidrBlock)).toEqual([
      "10.0.0.0/20",
      "10.0.16.0/20",
      "10.0.32.0/20",
    ]);
    expect(spec.network.publicSubnets.map((s) => s.cidrBlock)).toEqual([
      "10.0.240.0/24",
      "10.0.241.0/24",
      "10.0.242.0/24",
    ]);
    expect(spec.kubernetesVersion).toBe("1.37.1");
    expect(spec.kubernetesMinor).toBe(37);
    expect(spec.pauseImage).toBe("registry.k8s.io/pause:3.10.2");
    expect(spec.containerd).toEqual({
      version: "2.3.4",
      sha256: "9d68969855fbf676cdb8ed758e420fb048d61f984f61de3e53eddfebe484d168",
    });
    expect(spec.runc).toEqual({
      version: "1.4.3",
      sha256: "f6ae8efc0fa40079e1475e97cbe9d1bd3f106a28d6af78a11d9f1bd565515e60",
    });
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
  const TOKEN = "${TOKEN[deploy-time]}";
  const NUMBER_TOKEN = -1.8881545897087626e289;
  const isUnresolved = (v: unknown) =>
    v === NUMBER_TOKEN || (typeof v === "string" && v.includes("${TOKEN")) || (Array.isArray(v) && v[0] === "#{TOKEN}");
  const existing = {
    vpcId: TOKEN,
    vpcCidr: "10.1.0.0/16",
    privateSubnets: [0, 1, 2].map((i) => ({ id: TOKEN, availabilityZone: TOKEN, cidrBlock: `10.1.${i}.0/24` })),
  };

  test("ids, zones and the VPC's CIDR of an existing network may be tokens; the node addresses stay literal", () => {
    const spec = resolveClusterSpec({ network: existing }, { isUnresolved });
    expect(spec.controlPlane.map((n) => n.privateIp)).toEqual(["10.1.0.10", "10.1.1.10", "10.1.2.10"]);
  });

  test.each([1, 2])(
    "%s subnet(s) whose zones are tokens are refused while spreading: 3 nodes need 3 zones, checked at deploy time",
    (n) => {
      const network = { ...existing, privateSubnets: existing.privateSubnets.slice(0, n) };
      expect(specProblemsOf(() => resolveClusterSpec({ network }, { isUnresolved }))).toContainEqual({
        prop: "network.privateSubnets",
        message: expect.stringMatching(/at least 3/),
      });
      const spec = resolveClusterSpec({ network: existing }, { isUnresolved });
      expect(spec.network.distinctZoneSubnets).toBe(3);
    },
  );

  /**
   * Every leaf of the props' shape, with a token put there (the discriminants and an existing network's
   * required keys filled in): a leaf marked deployTime takes it, any other is refused naming the leaf.
   */
  function leaves(shape: Shape, path: string, base: Record<string, unknown>, out: [string, Field, unknown][]) {
    for (const [key, field] of Object.entries(shape)) {
      const prop = path ? `${path}.${key}` : key;
      const withValue = (value: unknown) => ({ ...base, [key]: value });
      if (field.kind === "variants") {
        for (const [variant, variantShape] of Object.entries(field.variants.shapes)) {
          const discriminant = key === "endpoint" ? { type: variant } : key === "etcd" ? { topology: variant } : {};
          const required = variant === "existing" ? existing : {};
          leaves(variantShape, prop, { ...discriminant, ...required }, []).forEach(([p, f, inner]) =>
            out.push([p, f, withValue(inner)]),
          );
        }
      } else if (field.kind === "object" || field.kind === "objects") {
        const inner: [string, Field, unknown][] = [];
        // A session log prefix needs its bucket beside it.
        const siblings = key === "sessionManager" ? { s3BucketName: "session-logs" } : {};
        leaves(field.shape, field.kind === "objects" ? `${prop}[0]` : prop, siblings, inner);
        for (const [p, f, v] of inner) {
          out.push([
            p,
            f,
            withValue(field.kind === "objects" ? [{ ...existing.privateSubnets[0], ...(v as object) }] : v),
          ]);
        }
      } else if (key !== "type" && key !== "topology") {
        const token = field.kind === "number" ? NUMBER_TOKEN : field.kind === "strings" ? [TOKEN] : TOKEN;
        out.push([
          field.kind === "strings" ? `${prop}[0]` : prop,
          field,
          withValue(field.kind === "tags" ? { a: TOKEN } : token),
        ]);
      }
    }
    return out;
  }
  const cases = leaves(CLUSTER_SHAPE, "", {}, []).filter(([, f]) =>
    ["string", "number", "strings", "tags"].includes(f.kind),
  );
  const problemsOf = (input: unknown) => specProblemsOf(() => resolveClusterSpec(input as never, { isUnresolved }));

  test.each(
    cases.filter(([, f]) => !("deployTime" in f && f.deployTime === true)).map(([prop, , input]) => [prop, input]),
  )("%s: a token is refused, naming it, since it would be frozen into user data", (prop, input) => {
    expect(problemsOf(input)).toContainEqual({ prop, message: expect.stringContaining("is a deploy-time value") });
  });

  test.each(
    cases.filter(([, f]) => "deployTime" in f && f.deployTime === true).map(([prop, , input]) => [prop, input]),
  )("%s: a token is taken (it reaches AWS resources or the deploy settings, not the user data)", (prop, input) => {
    expect(problemsOf(input).filter((p) => p.prop === prop || p.message.includes("deploy-time"))).toEqual([]);
  });

  test("a list token (a data source's zone names, Fn.getAzs()) is refused: its length is planned at synth", () => {
    expect(problemsOf({ network: { availabilityZones: ["#{TOKEN}"] } })).toContainEqual({
      prop: "network.availabilityZones",
      message: expect.stringContaining("a list token"),
    });
  });
});

describe("props as JavaScript hands them over", () => {
  test("props behind getters or a prototype are read like own ones", () => {
    class Props {
      get clusterName() {
        return "from-getter";
      }
    }
    const inherited = Object.create({ controlPlaneCount: 5 });
    expect(resolveClusterSpec(new Props() as never).clusterName).toBe("from-getter");
    expect(resolveClusterSpec(inherited).controlPlane).toHaveLength(5);
  });
});

describe("existing network", () => {
  test("subnets in three zones are accepted and used in order", () => {
    const spec = resolveClusterSpec({
      network: {
        vpcId: "vpc-1",
        vpcCidr: "10.1.0.0/16",
        privateSubnets: ["a", "b", "c"].map((z, i) => ({
          id: `subnet-${z}`,
          availabilityZone: `eu-west-1${z}`,
          cidrBlock: `10.1.${i}.0/24`,
        })),
      },
    });
    expect(spec.controlPlane.map((n) => n.privateIp)).toEqual(["10.1.0.10", "10.1.1.10", "10.1.2.10"]);
    expect(spec.endpoint.allowedCidrs).toEqual(["10.1.0.0/16"]);
  });
});

describe("bad inputs fail with an error that names the prop and the fix", () => {
  test(`the table covers at least 100 distinct bad inputs (${BAD_INPUTS.length})`, () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(BAD_INPUTS.map(([what]) => what)).size).toBe(BAD_INPUTS.length);
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
    const spec = resolveClusterSpec({
      network: threeZones(["a", "a", "a"]),
      spreadAcrossZones: false,
      endpoint: { type: "keepalived", virtualIp: "192.168.255.10", routeTableIds: ["rtb-1"] },
    });
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
    const spec = resolveClusterSpec({
      endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "api.example.com" },
    });
    const endpoint = spec.endpoint;
    if (endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(endpoint).toMatchObject({
      vipMode: "route",
      placement: "colocated",
      port: 8443,
      virtualRouterId: 51,
      allowedCidrs: ["10.0.0.0/16"],
    });
    expect(endpoint.peers.map((p) => [p.name, p.privateIp, p.priority])).toEqual([
      ["kubeadm-ha-cp-0", "10.0.0.10", 140],
      ["kubeadm-ha-cp-1", "10.0.16.10", 120],
      ["kubeadm-ha-cp-2", "10.0.32.10", 100],
    ]);
    // A failing check drops the master below every healthy peer.
    expect(Math.max(...endpoint.peers.map((p) => p.priority)) + endpoint.checkWeight).toBeLessThan(
      Math.min(...endpoint.peers.map((p) => p.priority)),
    );
    // 7 peers stay inside VRRP's 1..254 with the same rule.
    const seven = resolveClusterSpec({
      controlPlaneCount: 7,
      endpoint: { type: "keepalived", virtualIp: "192.168.255.10" },
    }).endpoint;
    if (seven.type !== "keepalived") throw new Error("expected keepalived");
    expect(seven.peers.map((p) => p.priority)).toEqual([220, 200, 180, 160, 140, 120, 100]);
    expect(220 + seven.checkWeight).toBeLessThan(100);
  });

  test("dedicated with a secondary IP: two load balancers in one subnet, VIP at host 9, HAProxy on 6443", () => {
    const spec = resolveClusterSpec({
      endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true, placement: "dedicated" },
    });
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
    const spec = resolveClusterSpec({
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
    });
    if (spec.endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(spec.endpoint.peers.map((p) => p.subnetIndex)).toEqual([0, 1]);
  });

  test("a secondary-IP VIP works colocated when the control plane shares one subnet", () => {
    const spec = resolveClusterSpec({
      network: threeZones(["a"], ["10.1.0.0/24"]),
      spreadAcrossZones: false,
      endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true },
    });
    if (spec.endpoint.type !== "keepalived") throw new Error("expected keepalived");
    expect(spec.endpoint.virtualIp).toBe("10.1.0.9");
    expect(spec.endpoint.peers.map((p) => p.privateIp)).toEqual(["10.1.0.10", "10.1.0.11", "10.1.0.12"]);
  });
});

describe("external etcd", () => {
  test("3 members by default, spread over the subnets at host 30, etcd 3.6.14 with its release checksum", () => {
    const spec = resolveClusterSpec({ etcd: { topology: "external" } });
    if (spec.etcd.topology !== "external") throw new Error("expected external etcd");
    expect(spec.etcd.members.map((m) => [m.name, m.subnetIndex, m.privateIp])).toEqual([
      ["kubeadm-ha-etcd-0", 0, "10.0.0.30"],
      ["kubeadm-ha-etcd-1", 1, "10.0.16.30"],
      ["kubeadm-ha-etcd-2", 2, "10.0.32.30"],
    ]);
    expect(spec.etcd).toMatchObject({ version: "3.6.14", architecture: "amd64", clientPort: 2379, peerPort: 2380 });
    expect(spec.etcd.sha256).toBe("ffe840ff9295808e88cce2794a18a5ac87f12a5203c8314d0bf6aa119b41bac5");
  });

  test("5 members wrap around the zones; Graviton members get the arm64 checksum", () => {
    const spec = resolveClusterSpec({
      etcd: { topology: "external", members: 5, instanceType: "m7g.large", version: "v3.6.14" },
    });
    if (spec.etcd.topology !== "external") throw new Error("expected external etcd");
    expect(spec.etcd.members.map((m) => m.privateIp)).toEqual([
      "10.0.0.30",
      "10.0.16.30",
      "10.0.32.30",
      "10.0.0.31",
      "10.0.16.31",
    ]);
    expect(spec.etcd.sha256).toBe("fa1b80565ee6fc2df1ae6f57a508b221f3ecc7d591c317c581cd8281b0842b3e");
    expect(spec.etcd.sha256).toBe(ETCD_RELEASE_SHA256["3.6.14"].arm64);
  });

  const etcdProblems = (input: Parameters<typeof resolveClusterSpec>[0]) =>
    specProblemsOf(() => resolveClusterSpec(input)).filter((p) => p.prop.startsWith("etcd."));

  // kubeadm's MinExternalEtcdVersion is "3.5.24-0" on release-1.35, 1.36 and 1.37 (constants.go).
  test.each(["1.35.9", "1.36.5", "1.37.1"])(
    "Kubernetes %s: etcd 3.5.21 is refused naming etcd.version, the value and kubeadm's minimum; 3.5.24 and the default pass",
    (kubernetesVersion) => {
      const withSha = (version: string) => ({ topology: "external" as const, version, sha256: "a".repeat(64) });
      expect(etcdProblems({ kubernetesVersion, etcd: withSha("3.5.21") })).toEqual([
        {
          prop: "etcd.version",
          message: expect.stringMatching(/"3\.5\.21" is older than 3\.5\.24-0, .*kubeadm 1\.3\d .*Use "3\.6\.14"/),
        },
      ]);
      expect(etcdProblems({ kubernetesVersion, etcd: withSha("3.5.23") }).map((p) => p.prop)).toEqual(["etcd.version"]);
      expect(etcdProblems({ kubernetesVersion, etcd: withSha("3.5.24") })).toEqual([]);
      expect(etcdProblems({ kubernetesVersion, etcd: { topology: "external" } })).toEqual([]);
    },
  );

  test.each(["3.06.1", "03.6.1", "3.6.01", "vv3.6.14", "3.6.14 ", "3.6", "4.0.0"])(
    "a malformed etcd version %j is refused, not rendered",
    (version) => {
      expect(etcdProblems({ etcd: { topology: "external", version, sha256: "a".repeat(64) } })).toEqual([
        { prop: "etcd.version", message: expect.stringContaining(`"${version}" is not an etcd 3.x release`) },
      ]);
    },
  );

  test("a leading v is dropped: v3.6.14 is 3.6.14 with its known checksum", () => {
    const spec = resolveClusterSpec({ etcd: { topology: "external", version: "v3.6.14" } });
    expect(spec.etcd).toMatchObject({ version: "3.6.14", sha256: ETCD_RELEASE_SHA256["3.6.14"].amd64 });
  });

  test("an etcd.sha256 that differs from the digest known for that version and architecture is refused", () => {
    const wrong = ETCD_RELEASE_SHA256["3.6.14"].arm64; // the other architecture's digest
    expect(etcdProblems({ etcd: { topology: "external", sha256: wrong } })).toEqual([
      {
        prop: "etcd.sha256",
        message: expect.stringMatching(
          new RegExp(
            `"${wrong}" is not the SHA-256 of etcd-v3\\.6\\.14-linux-amd64\\.tar\\.gz \\(${ETCD_RELEASE_SHA256["3.6.14"].amd64}\\)`,
          ),
        ),
      },
    ]);
    // The known digest itself, given explicitly, is accepted.
    expect(etcdProblems({ etcd: { topology: "external", sha256: ETCD_RELEASE_SHA256["3.6.14"].amd64 } })).toEqual([]);
  });

  test("no address is shared between control-plane nodes, load balancers and etcd members", () => {
    const spec = resolveClusterSpec({
      controlPlaneCount: 7,
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
      etcd: { topology: "external", members: 7 },
    });
    if (spec.etcd.topology !== "external" || spec.endpoint.type !== "keepalived")
      throw new Error("unexpected topology");
    const addresses = [...spec.controlPlane, ...spec.endpoint.peers, ...spec.etcd.members].map((n) => n.privateIp);
    expect(new Set(addresses).size).toBe(7 + 2 + 7);
  });
});
