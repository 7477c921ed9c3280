/**
 * The published package, as a user gets it: `npm pack`, then a separate consumer project in a
 * temporary folder installs the tarball (npm cache first, then the registry), type-checks its own stack
 * against the shipped declarations and synthesizes it with an existing VPC and subnets passed in.
 * The peer dependencies (cdktf, constructs, @cdktf/provider-aws) are linked from this checkout, as a
 * monorepo would; the library itself and its own dependency come from the tarball and the cache. A
 * second consumer gets CDK Terrain under those names, as npm aliases ("cdktf": "npm:cdktn@0.24.0")
 * give it: the same code must type-check and synthesize there. A third gets aws-cdk-lib and imports the
 * AWS CDK flavour from its subpath (kubeadm-ha-aws/aws-cdk), with no cdktf installed at all.
 */
import { shippedScript } from "../../lib/render/internal";
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ROOT, USERDATA_DIR, decodeInstanceUserData } from "../helpers";

const CONSUMER_STACK = `
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { KubeadmCluster, ClusterSpecError } from "kubeadm-ha-aws";

/** A platform team's stack: its own VPC and subnets, and a control plane in them. */
class PlatformStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-west-1" });
    const vpc = new Vpc(this, "vpc", { cidrBlock: "10.20.0.0/16" });
    const subnets = ["a", "b", "c"].map((zone, i) =>
      new Subnet(this, "private-" + zone, { vpcId: vpc.id, availabilityZone: "eu-west-1" + zone, cidrBlock: "10.20." + i * 16 + ".0/20" }),
    );
    new KubeadmCluster(this, "cluster", {
      clusterName: "platform",
      network: {
        vpcId: vpc.id,
        vpcCidr: "10.20.0.0/16",
        privateSubnets: subnets.map((s, i) => ({ id: s.id, availabilityZone: "eu-west-1" + "abc"[i], cidrBlock: "10.20." + i * 16 + ".0/20" })),
      },
      etcd: { topology: "external" },
      extraCertSans: ["api.platform.example.com"],
    });
  }
}

// The shipped types reject a wrong prop at compile time.
// @ts-expect-error controlPlaneCount is a number
const wrong: import("kubeadm-ha-aws").KubeadmClusterProps = { controlPlaneCount: "3" };
void wrong;

const app = new App({ outdir: "cdktf.out" });
new PlatformStack(app, "platform");
try {
  new KubeadmCluster(new TerraformStack(new App({ outdir: "bad.out" }), "bad"), "c", { controlPlaneCount: 4 });
} catch (e) {
  if (!(e instanceof ClusterSpecError)) throw e;
  console.log("rejected: " + e.problems.map((p) => p.prop).join(","));
}
app.synth();
`;

/** The AWS CDK flavour's consumer: the subpath import, a default network, external etcd, an operator granted the kubeconfig. */
const AWS_CDK_CONSUMER_STACK = `
import { App, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { KubeadmCluster, ClusterSpecError } from "kubeadm-ha-aws/aws-cdk";

const app = new App({ outdir: "cdk.out" });
const stack = new Stack(app, "platform");
const cluster = new KubeadmCluster(stack, "cluster", {
  clusterName: "platform",
  etcd: { topology: "external" },
  extraCertSans: ["api.platform.example.com"],
});
cluster.grantAdminKubeconfigRead(new iam.Role(stack, "operator", { assumedBy: new iam.AccountRootPrincipal() }));

// @ts-expect-error controlPlaneCount is a number
const wrong: import("kubeadm-ha-aws/aws-cdk").KubeadmClusterProps = { controlPlaneCount: "3" };
void wrong;
try {
  new KubeadmCluster(new Stack(new App(), "bad"), "c", { controlPlaneCount: 4 });
} catch (e) {
  if (!(e instanceof ClusterSpecError)) throw e;
  console.log("rejected: " + e.problems.map((p) => p.prop).join(","));
}
app.synth();
`;

interface Framework {
  /** The package linked under each peer name. */
  readonly peers: Record<string, string>;
  readonly stack: string;
  /** The synthesized instances (by role tag), their user data and the subnets they are in. */
  readonly synthesized: (
    consumer: string,
  ) => { role: string; subnet: unknown; userData: { user_data_base64: string } }[];
  /** What the instances' subnets must be. */
  readonly subnets: (consumer: string) => unknown[];
}

const CDKTF: Omit<Framework, "peers"> = {
  stack: CONSUMER_STACK,
  synthesized: (consumer) => {
    const plan = JSON.parse(readFileSync(join(consumer, "cdktf.out", "stacks", "platform", "cdk.tf.json"), "utf8"));
    return Object.values<any>(plan.resource.aws_instance).map((i) => ({
      role: i.tags["kubeadm-ha:role"],
      subnet: i.subnet_id,
      userData: i,
    }));
  },
  subnets: (consumer) => {
    const plan = JSON.parse(readFileSync(join(consumer, "cdktf.out", "stacks", "platform", "cdk.tf.json"), "utf8"));
    return Object.keys(plan.resource.aws_subnet).map((k) => `\${aws_subnet.${k}.id}`);
  },
};

const template = (consumer: string) =>
  JSON.parse(readFileSync(join(consumer, "cdk.out", "platform.template.json"), "utf8")).Resources as Record<
    string,
    any
  >;

const FRAMEWORKS: [string, Framework][] = [
  [
    "cdktf 0.21 with @cdktf/provider-aws 21",
    { ...CDKTF, peers: { cdktf: "cdktf", "@cdktf/provider-aws": "@cdktf/provider-aws", constructs: "constructs" } },
  ],
  [
    "CDK Terrain through npm aliases: cdktn 0.24 with @cdktn/provider-aws 25",
    { ...CDKTF, peers: { cdktf: "cdktn", "@cdktf/provider-aws": "@cdktn/provider-aws", constructs: "constructs" } },
  ],
  [
    "AWS CDK (aws-cdk-lib 2, the kubeadm-ha-aws/aws-cdk subpath)",
    {
      peers: { "aws-cdk-lib": "aws-cdk-lib", constructs: "constructs" },
      stack: AWS_CDK_CONSUMER_STACK,
      // Each instance sits in its subnet through its own primary interface, which holds its address.
      synthesized: (consumer) => {
        const resources = template(consumer);
        return Object.values(resources)
          .filter((r) => r.Type === "AWS::EC2::Instance")
          .map((i) => ({
            role: i.Properties.Tags.find((t: any) => t.Key === "kubeadm-ha:role").Value,
            subnet:
              resources[i.Properties.NetworkInterfaces.find((n: any) => n.DeviceIndex === "0").NetworkInterfaceId.Ref]
                .Properties.SubnetId.Ref,
            userData: { user_data_base64: i.Properties.UserData },
          }));
      },
      subnets: (consumer) =>
        Object.entries(template(consumer))
          .filter(([id, r]) => r.Type === "AWS::EC2::Subnet" && /private/.test(id))
          .map(([id]) => id),
    },
  ],
];

describe.each(FRAMEWORKS)("npm pack, then a separate consumer project on %s", (_framework, { peers, ...framework }) => {
  const work = mkdtempSync(join(tmpdir(), "kubeadm-ha-consumer-"));
  const consumer = join(work, "consumer");
  let packed: { filename: string; files: { path: string }[] };
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    [packed] = JSON.parse(out.slice(out.indexOf("[")));
    execFileSync("mkdir", ["-p", consumer]);
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    // --legacy-peer-deps: npm leaves the peers to us; they are linked in below.
    execFileSync(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--legacy-peer-deps",
        join(work, packed.filename),
      ],
      {
        cwd: consumer,
        stdio: "pipe",
      },
    );
    for (const [peer, installed] of Object.entries(peers)) {
      execFileSync("mkdir", ["-p", join(consumer, "node_modules", peer, "..")]);
      symlinkSync(join(ROOT, "node_modules", installed), join(consumer, "node_modules", peer));
    }
    writeFileSync(join(consumer, "main.ts"), framework.stack);
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          moduleResolution: "node",
          strict: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["main.ts"],
      }),
    );
  }, 180_000);

  test("the tarball holds the compiled library, its declarations, the node scripts, the docs and the license, and nothing else", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "dist/lib/index.js",
        "dist/lib/index.d.ts",
        "dist/lib/cdktf/kubeadm-cluster.d.ts",
        "docs/API.md",
        "docs/deploying.md",
        "package.json",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
      ]),
    );
    const scripts = paths
      .filter((p) => p.startsWith("userdata/"))
      .map((p) => p.slice("userdata/".length))
      .sort();
    expect(scripts).toEqual(execFileSync("ls", [USERDATA_DIR], { encoding: "utf8" }).trim().split("\n").sort());
    expect(
      paths.filter((p) => /^(test|bin|bench|dist\/(test|bin|bench))\/|\.ts$/.test(p) && !p.endsWith(".d.ts")),
    ).toEqual([]);
  });

  test("the consumer's stack type-checks against the shipped declarations", () => {
    const tsc = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: consumer, encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);

  test("it synthesizes a cluster in the consumer's own subnets, with the packaged scripts on board", () => {
    const run = spawnSync("node", ["main.js"], { cwd: consumer, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("rejected: controlPlaneCount");
    const instances = framework.synthesized(consumer);
    expect(instances).toHaveLength(6); // 3 control-plane nodes, 3 etcd members
    expect([...new Set(instances.map((i) => i.subnet))].sort()).toEqual(framework.subnets(consumer).sort());
    const node = instances.find((i) => i.role === "control-plane")!;
    const { files } = decodeInstanceUserData(node.userData);
    const shipped = shippedScript(
      "bootstrap-control-plane.sh",
      readFileSync(join(USERDATA_DIR, "bootstrap-control-plane.sh"), "utf8"),
    );
    expect(files["/opt/kubeadm-ha/bootstrap-control-plane.sh"].content).toBe(shipped);
    expect(files["/etc/kubeadm-ha/kubeadm-init.yaml"].content).toContain("api.platform.example.com");
  }, 120_000);
});
