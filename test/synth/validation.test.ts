/**
 * Validation through the construct, as a user's app meets it: every bad input of test/bad-inputs.ts
 * fails in the constructor, before the cluster (or anything of it) exists and before any file is
 * written; clusters that would collide and user data EC2 would refuse fail the same way; and a set
 * of unusual but good inputs synthesize.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { createHash } from "crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { App, Fn, TerraformStack, Testing, Token } from "cdktf";
import { Construct } from "constructs";
import { UserDataTooLargeError } from "../../lib";
import { KubeadmCluster, KubeadmClusterProps } from "../../lib/cdktf";
import { ClusterSpecError } from "../../lib/cluster-spec";
import { BAD_INPUTS, threeZones } from "../bad-inputs";
import { resourcesOf } from "../helpers";

/** The files the app wrote to its output folder (cdktf makes the folders themselves when the app and stack are made). */
const written = (outdir: string) =>
  existsSync(outdir)
    ? readdirSync(outdir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];

/** A user's app: one stack with the AWS provider, synthesized into a fresh folder; `build` adds what it adds. */
function userApp(build: (stack: TerraformStack) => void): { error?: unknown; stack: TerraformStack; outdir: string } {
  const outdir = join(mkdtempSync(join(tmpdir(), "kha-validation-")), "cdktf.out");
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "user-stack");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  try {
    build(stack);
    app.synth();
    return { stack, outdir };
  } catch (error) {
    return { error, stack, outdir };
  }
}

describe.each(BAD_INPUTS)("%s", (_what, input, prop) => {
  test("fails in the constructor naming the prop; no construct of the cluster exists and nothing is written", () => {
    const { error, stack, outdir } = userApp(
      (stack) => new KubeadmCluster(stack, "cluster", input as KubeadmClusterProps),
    );
    expect(error).toBeInstanceOf(ClusterSpecError);
    expect((error as ClusterSpecError).problems.map((p) => p.prop)).toContain(prop);
    expect(stack.node.children.map((c) => c.node.id)).toEqual(["aws"]);
    expect(written(outdir)).toEqual([]);
    rmSync(join(outdir, ".."), { recursive: true, force: true });
  });
});

describe("what only the construct can see", () => {
  test("two clusters of one name in one app: the second fails naming both construct paths, before it exists", () => {
    const { error, stack } = userApp((stack) => {
      new KubeadmCluster(stack, "blue", { clusterName: "prod" });
      const team = new Construct(stack, "team");
      new KubeadmCluster(team, "green", { clusterName: "prod" });
    });
    expect(error).toBeInstanceOf(ClusterSpecError);
    expect((error as Error).message).toMatch(
      /clusterName: "prod" is also the name of the cluster at user-stack\/blue, and user-stack\/team\/green would collide with it/,
    );
    expect(stack.node.findAll().some((c) => c.node.path === "user-stack/team/green")).toBe(false);
  });

  test("a good app writes its stack through the same helper (so the checks above can fail)", () => {
    const { error, outdir } = userApp((stack) => new KubeadmCluster(stack, "cluster"));
    expect(error).toBeUndefined();
    expect(written(outdir)).toEqual(expect.arrayContaining(["cdk.tf.json"]));
  });

  test("user data over EC2's 16 KB fails naming the node and what to shorten", () => {
    // Names as varied as real ones (hex labels), so compression cannot make them small.
    const sans = Array.from(
      { length: 300 },
      (_, i) => `${createHash("sha256").update(String(i)).digest("hex").slice(0, 40)}.example.com`,
    );
    const { error, outdir } = userApp(
      (stack) => new KubeadmCluster(stack, "cluster", { controlPlaneCount: 7, extraCertSans: sans }),
    );
    expect(error).toBeInstanceOf(UserDataTooLargeError);
    expect((error as Error).message).toMatch(
      /^kubeadm-ha-cp-0's user data would be \d+ bytes gzipped, over EC2's limit of 16384 .*shorten .*extraCertSans/,
    );
    expect(written(outdir)).toEqual([]);
  });
});

describe("the deploy settings parameter", () => {
  const withRouteTables = (count: number) => ({
    network: threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    endpoint: {
      type: "keepalived" as const,
      virtualIp: "192.168.255.10",
      routeTableIds: Array.from({ length: count }, () => Token.asString(Fn.uuid())),
    },
  });

  test("takes the standard tier while the longest values fit 4 KB, the advanced one past that", () => {
    const tier = (count: number) => {
      const { error, outdir } = userApp((s) => new KubeadmCluster(s, "cluster", withRouteTables(count)));
      expect(error).toBeUndefined();
      const written = JSON.parse(readFileSync(join(outdir, "stacks", "user-stack", "cdk.tf.json"), "utf8"));
      return written.resource.aws_ssm_parameter;
    };
    expect(Object.values<any>(tier(3))[0].tier).toBe("Standard");
    expect(Object.values<any>(tier(30))[0].tier).toBe("Advanced");
  });

  test("past what any parameter holds (8 KB) fails naming what to shorten, and nothing is written", () => {
    const { error, outdir } = userApp((s) => new KubeadmCluster(s, "cluster", withRouteTables(60)));
    expect(error).toBeInstanceOf(UserDataTooLargeError);
    expect((error as Error).message).toMatch(
      /^The deploy settings would be up to \d+ bytes, over an SSM parameter's limit of 8192 .*endpoint\.routeTableIds/,
    );
    expect(written(outdir)).toEqual([]);
  });
});

/** Good but unusual inputs: [what, how the user's stack builds it, control-plane nodes expected]. */
const GOOD_INPUTS: [string, (stack: TerraformStack) => void, number][] = [
  ["nothing at all", (s) => new KubeadmCluster(s, "c"), 3],
  ["7 control-plane nodes", (s) => new KubeadmCluster(s, "c", { controlPlaneCount: 7 }), 7],
  [
    "5 keepalived peers on the control plane",
    (s) =>
      new KubeadmCluster(s, "c", {
        controlPlaneCount: 5,
        endpoint: { type: "keepalived", virtualIp: "192.168.255.10" },
      }),
    5,
  ],
  [
    // The subnets' CIDRs stay literal: the nodes' addresses, which their user data holds, come from them
    // (composed.test.ts: a token there is refused).
    "an existing network whose ids, zones and VPC CIDR are tokens of the same stack",
    (s) => {
      const vpc = new Vpc(s, "vpc", { cidrBlock: "10.1.0.0/16" });
      const subnets = ["a", "b", "c"].map(
        (z, i) =>
          new Subnet(s, `subnet-${z}`, {
            vpcId: vpc.id,
            cidrBlock: `10.1.${i}.0/24`,
            availabilityZone: `eu-west-1${z}`,
          }),
      );
      new KubeadmCluster(s, "c", {
        network: {
          vpcId: vpc.id,
          vpcCidr: vpc.cidrBlock,
          privateSubnets: subnets.map((sn, i) => ({
            id: sn.id,
            cidrBlock: `10.1.${i}.0/24`,
            availabilityZone: sn.availabilityZone,
          })),
        },
      });
    },
    3,
  ],
  [
    "an existing network of literal values",
    (s) => new KubeadmCluster(s, "c", { network: threeZones(["eu-west-1a", "eu-west-1b", "eu-west-1c"]) }),
    3,
  ],
  [
    "two clusters in one stack",
    (s) => [new KubeadmCluster(s, "one", { clusterName: "one" }), new KubeadmCluster(s, "two", { clusterName: "two" })],
    6,
  ],
  [
    "a cluster nested two constructs deep",
    (s) => new KubeadmCluster(new Construct(new Construct(s, "platform"), "clusters"), "c", { clusterName: "nested" }),
    3,
  ],
  [
    "an internet-facing NLB open to the world, asked explicitly",
    (s) => new KubeadmCluster(s, "c", { endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["0.0.0.0/0"] } }),
    3,
  ],
  [
    "the NLB's own name as the endpoint",
    (s) => new KubeadmCluster(s, "c", { endpoint: { type: "nlb", privateDns: false } }),
    3,
  ],
  [
    "a private zone of the user's",
    (s) =>
      new KubeadmCluster(s, "c", {
        endpoint: { type: "nlb", privateDns: { zoneId: "Z0123456789", name: "k8s.corp.internal" } },
      }),
    3,
  ],
  [
    "7 external etcd members on Graviton",
    (s) => new KubeadmCluster(s, "c", { etcd: { topology: "external", members: 7, instanceType: "m7g.large" } }),
    3,
  ],
  [
    "dedicated load balancers with a secondary IP",
    (s) =>
      new KubeadmCluster(s, "c", {
        endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true },
      }),
    3,
  ],
  [
    "dedicated load balancers with a routed VIP",
    (s) =>
      new KubeadmCluster(s, "c", {
        endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
      }),
    3,
  ],
  [
    "the oldest supported minor on the older containerd",
    (s) => new KubeadmCluster(s, "c", { kubernetesVersion: "1.35.0", containerdVersion: "2.2.7" }),
    3,
  ],
  ["a cluster name of 24 characters", (s) => new KubeadmCluster(s, "c", { clusterName: "a".repeat(24) }), 3],
  [
    "zones given by name",
    (s) => new KubeadmCluster(s, "c", { network: { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] } }),
    3,
  ],
  ["5 zones for 5 nodes", (s) => new KubeadmCluster(s, "c", { controlPlaneCount: 5, network: { zoneCount: 5 } }), 5],
  [
    "a customer-managed key and a break-glass role",
    (s) =>
      new KubeadmCluster(s, "c", {
        secrets: {
          kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
          breakGlassPrincipalArns: ["arn:aws:iam::123456789012:role/recovery"],
        },
      }),
    3,
  ],
  [
    "many tags",
    (s) =>
      new KubeadmCluster(s, "c", {
        tags: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`tag-${i}`, `value-${i}`])),
      }),
    3,
  ],
  ["an image of the user's", (s) => new KubeadmCluster(s, "c", { imageId: "ami-0123456789abcdef0" }), 3],
  [
    "wildcard and address SANs",
    (s) => new KubeadmCluster(s, "c", { extraCertSans: ["*.k8s.example.com", "203.0.113.10"] }),
    3,
  ],
  [
    "props that JavaScript passes as undefined",
    (s) =>
      new KubeadmCluster(s, "c", {
        clusterName: undefined,
        controlPlaneCount: undefined,
        endpoint: { type: "nlb", internetFacing: undefined },
      }),
    3,
  ],
  [
    "one zone for keepalived, asked explicitly",
    (s) =>
      new KubeadmCluster(s, "c", {
        spreadAcrossZones: false,
        network: { zoneCount: 1 },
        endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true },
      }),
    3,
  ],
  ["the smallest VPC (/20)", (s) => new KubeadmCluster(s, "c", { network: { vpcCidr: "10.0.0.0/20" } }), 3],
  ["a pod range of exactly enough /24 blocks", (s) => new KubeadmCluster(s, "c", { podCidr: "10.244.0.0/22" }), 3],
];

describe("good inputs synthesize", () => {
  test(`at least 20 (${GOOD_INPUTS.length})`, () => expect(GOOD_INPUTS.length).toBeGreaterThanOrEqual(20));

  test.each(GOOD_INPUTS)("%s", (_what, build, controlPlaneNodes) => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "user-stack");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    build(stack);
    const json = Testing.synth(stack);
    const nodes = resourcesOf({ json, plan: JSON.parse(json) }, "aws_instance").filter(
      (i) => i.tags["kubeadm-ha:role"] === "control-plane",
    );
    expect(nodes).toHaveLength(controlPlaneNodes);
  });
});
