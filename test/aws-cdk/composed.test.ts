/**
 * The AWS CDK flavour in a user's own stack: an `ec2.IVpc` passed as aws-cdk users pass one, and
 * values from CloudFormation parameters. Every node's decoded user data must hold literal values only
 * (it is gzipped at synth, where no token resolves); what cannot travel that way is refused at synth.
 */
import { App, CfnParameter, Fn, Lazy, Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Template } from "aws-cdk-lib/assertions";
import { KubeadmCluster, KubeadmClusterProps } from "../../lib/aws-cdk";
import { decodeUserData, envValues, specProblemsOf } from "../helpers";
import { cfnResources, cfnUserDataText, synthFindings } from "./helpers";

const UNRESOLVED = /[$#]\{(Tf)?Token\[|-1\.888\d*e\+289/;
const ENV = { account: "123456789012", region: "eu-west-1" };

/** `env: null` makes an environment-agnostic stack (no account or region). */
function build(props: (stack: Stack) => KubeadmClusterProps, env: typeof ENV | null = ENV) {
  const app = new App();
  const stack = new Stack(app, "composed", { env: env ?? undefined });
  new KubeadmCluster(stack, "cluster", props(stack));
  // A framework warning fails the test like a wrong value (synthFindings: printed lines and annotations).
  const findings = synthFindings(stack);
  if (findings.length > 0) throw new Error(`the synth printed or warned:\n${findings.join("\n")}`);
  return Template.fromStack(stack).toJSON();
}

const problemsOf = (props: (stack: Stack) => KubeadmClusterProps, env: typeof ENV | null = ENV) =>
  specProblemsOf(() => build(props, env));

/** A user's VPC over three zones of the stack's region (their CIDRs are known at synth). */
const userVpc = (stack: Stack) =>
  new ec2.Vpc(stack, "vpc", { ipAddresses: ec2.IpAddresses.cidr("10.1.0.0/16"), maxAzs: 3, natGateways: 3 });

test("a cluster in the user's own stack adds no stack output until the user calls addOutputs()", () => {
  const template = build((stack) => ({ vpc: userVpc(stack) }));
  expect(template.Outputs).toBeUndefined();
});

describe("an ec2.IVpc of the user's stack", () => {
  test.each([
    ["NLB, stacked etcd", {}],
    ["NLB, external etcd", { etcd: { topology: "external" as const } }],
    [
      "internet-facing NLB",
      { endpoint: { type: "nlb" as const, internetFacing: true, allowedCidrs: ["203.0.113.0/24"] } },
    ],
  ])("%s: every node sits in the VPC's private subnets, its user data literal", (_, extra) => {
    const template = build((stack) => ({ vpc: userVpc(stack), ...extra }));
    const instances = cfnResources({ json: template } as never, "AWS::EC2::Instance");
    expect(instances.length).toBeGreaterThanOrEqual(3);
    const privateSubnets = Object.entries(template.Resources as Record<string, any>)
      .filter(([id, r]) => r.Type === "AWS::EC2::Subnet" && /PrivateSubnet/.test(id))
      .map(([id]) => id);
    expect(privateSubnets).toHaveLength(3);
    for (const [, instance] of instances) {
      const text = cfnUserDataText(instance);
      expect(text).not.toMatch(UNRESOLVED);
      const settings = envValues(decodeUserData(text).files["/etc/kubeadm-ha/node-settings.env"].content);
      expect(settings.NODE_IP).toMatch(/^10\.1\.\d+\.\d+$/);
    }
    // No second VPC: the cluster uses the user's.
    expect(cfnResources({ json: template } as never, "AWS::EC2::VPC")).toHaveLength(1);
  });

  test("a VPC and subnets imported without their CIDRs are refused naming vpcSubnets and vpc", () => {
    const problems = problemsOf((stack) => ({
      vpc: ec2.Vpc.fromVpcAttributes(stack, "imported", {
        vpcId: "vpc-0123456789abcdef0",
        availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
      }),
    }));
    expect(problems.map((p) => p.prop)).toEqual(["vpc", "vpcSubnets[0]", "vpcSubnets[1]", "vpcSubnets[2]"]);
    expect(problems[0].message).toMatch(/no CIDR: import it with vpcCidrBlock/);
    expect(problems[1].message).toMatch(/no IPv4 CIDR known at synth/);
  });

  test("vpc and network together are refused", () => {
    expect(problemsOf((stack) => ({ vpc: userVpc(stack), network: { zoneCount: 3 } }), ENV)).toEqual([
      { prop: "network", message: expect.stringContaining("give one of the two") },
    ]);
  });

  // CloudFormation has no precondition on a resource's attributes (cdktf checks the subnets' real zones
  // in the plan): zones known only at deploy time must be provably distinct at synth, or refused.
  describe("subnets whose zones are tokens", () => {
    const imported = (zones: string[]) => (stack: Stack) => ({
      vpc: ec2.Vpc.fromVpcAttributes(stack, "imported", {
        vpcId: "vpc-0123456789abcdef0",
        vpcCidrBlock: "10.1.0.0/16",
        availabilityZones: zones,
        privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
        privateSubnetIpv4CidrBlocks: ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"],
        privateSubnetRouteTableIds: ["rtb-0123456789abcdef0", "rtb-0123456789abcdef1", "rtb-0123456789abcdef2"],
      }),
    });
    const picked = (...indexes: number[]) => indexes.map((i) => Fn.select(i, Fn.getAzs()));

    test("three distinct picks of the region's zones (Fn::Select over Fn::GetAZs) are distinct by construction", () => {
      expect(problemsOf(imported(picked(0, 1, 2)), null)).toEqual([]);
    });

    test.each([
      ["the same pick twice", picked(0, 0, 2)],
      ["zones from another stack's exports", [0, 1, 2].map((i) => Fn.importValue(`network-zone-${i}`))],
      ["a literal zone beside a token", ["eu-west-1a", ...picked(1, 2)]],
    ])("%s: refused naming vpcSubnets, as CloudFormation cannot check them at deploy time", (_, zones) => {
      expect(problemsOf(imported(zones), null)).toEqual([
        {
          prop: "vpcSubnets",
          message: expect.stringMatching(/zones are known only at deploy time.*spreadAcrossZones: false/),
        },
      ]);
    });

    test("through network, zones from parameters: refused naming network.privateSubnets", () => {
      const problems = problemsOf((stack) => ({
        network: {
          vpcId: "vpc-0123456789abcdef0",
          vpcCidr: "10.1.0.0/16",
          privateSubnets: [0, 1, 2].map((i) => ({
            id: `subnet-${String(i).padStart(17, "0")}`,
            availabilityZone: new CfnParameter(stack, `zone${i}`).valueAsString,
            cidrBlock: `10.1.${i}.0/24`,
          })),
        },
      }));
      expect(problems).toEqual([
        { prop: "network.privateSubnets", message: expect.stringMatching(/known only at deploy time/) },
      ]);
    });

    test("with spreadAcrossZones: false, nothing needs checking", () => {
      const props = imported([0, 1, 2].map((i) => Fn.importValue(`network-zone-${i}`)));
      expect(problemsOf((stack) => ({ ...props(stack), spreadAcrossZones: false }), null)).toEqual([]);
    });
  });

  test("an environment-agnostic ec2.Vpc has two zones, known only at deploy time: refused while spreading", () => {
    const problems = problemsOf((stack) => ({ vpc: new ec2.Vpc(stack, "vpc", { natGateways: 2 }) }), null);
    expect(problems).toContainEqual({ prop: "network.privateSubnets", message: expect.stringMatching(/at least 3/) });
  });
});

test("an internet-facing NLB on an existing VPC with 3 private and 2 public subnets synthesizes, as in cdktf", () => {
  const subnet = (kind: string, z: string, i: number) => ({
    id: `subnet-${kind === "private" ? "a" : "b"}${z.repeat(16)}`, // valid ids: CloudFormation checks the format
    availabilityZone: `eu-west-1${z}`,
    cidrBlock: `10.1.${kind === "private" ? i : 100 + i}.0/24`,
  });
  const template = build(() => ({
    network: {
      vpcId: "vpc-0123456789abcdef0",
      vpcCidr: "10.1.0.0/16",
      privateSubnets: ["a", "b", "c"].map((z, i) => subnet("private", z, i)),
      publicSubnets: ["a", "b"].map((z, i) => subnet("public", z, i)),
    },
    endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["203.0.113.0/24"] },
  }));
  const balancers = cfnResources({ json: template } as never, "AWS::ElasticLoadBalancingV2::LoadBalancer");
  const publicNlb = balancers.find(([, r]) => r.Properties.Scheme === "internet-facing")![1];
  expect(publicNlb.Properties.Subnets).toEqual([`subnet-b${"a".repeat(16)}`, `subnet-b${"b".repeat(16)}`]);
});

describe("deploy-time values (parameters, Lazy, intrinsics) where the nodes need a literal are refused at synth, naming the prop", () => {
  test.each([
    ["clusterName", (stack: Stack) => ({ clusterName: new CfnParameter(stack, "Name").valueAsString })],
    [
      "network.privateSubnets[0].cidrBlock",
      (stack: Stack) => ({
        network: {
          vpcId: "vpc-0123456789abcdef0",
          vpcCidr: "10.1.0.0/16",
          privateSubnets: ["a", "b", "c"].map((z, i) => ({
            id: `subnet-${z.repeat(17)}`,
            availabilityZone: `eu-west-1${z}`,
            cidrBlock: i === 0 ? new CfnParameter(stack, "Cidr").valueAsString : `10.1.${i}.0/24`,
          })),
        },
      }),
    ],
    [
      "endpoint.routeTableIds",
      (stack: Stack) => ({
        endpoint: {
          type: "keepalived" as const,
          virtualIp: "192.168.100.10",
          routeTableIds: new CfnParameter(stack, "Tables", { type: "List<String>" }).valueAsList,
        },
      }),
    ],
    ["extraCertSans[0]", () => ({ extraCertSans: [Lazy.string({ produce: () => "api.example.com" })] })],
    ["podCidr", () => ({ podCidr: Lazy.string({ produce: () => "10.244.0.0/16" }) })],
    [
      "endpoint.virtualIp",
      () => ({
        endpoint: { type: "keepalived" as const, virtualIp: Fn.select(10, Fn.cidr("192.168.100.0/24", 16, "4")) },
      }),
    ],
    ["network.availabilityZones", () => ({ network: { availabilityZones: Fn.getAzs() } })],
  ] as const)("%s", (prop, props) => {
    expect(problemsOf(props, ENV)).toContainEqual({
      prop,
      message: expect.stringMatching(/deploy-time value|list token/),
    });
  });

  test("a construct where an id belongs (the VPC object as vpcId) is refused naming the prop, not a JSON crash", () => {
    const problems = problemsOf((stack) => ({
      network: {
        vpcId: userVpc(stack) as unknown as string,
        vpcCidr: "10.1.0.0/16",
        privateSubnets: ["a", "b", "c"].map((z, i) => ({
          id: `subnet-${z.repeat(17)}`,
          availabilityZone: `eu-west-1${z}`,
          cidrBlock: `10.1.${i}.0/24`,
        })),
      },
    }));
    expect(problems).toContainEqual({ prop: "network.vpcId", message: expect.stringMatching(/string/) });
  });
});
