/**
 * The AWS CDK default app (bin/aws-cdk-app.ts, what `cdk synth` runs) with the same settings as the
 * cdktf app, and the AWS CDK examples: each synthesizes offline into a template of the topology asked.
 */
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { KubeadmCluster } from "../../lib/aws-cdk";
import { buildCdkApp } from "../../bin/aws-cdk-app";
import { SettingsError } from "../../bin/settings";
import { CDK_EXAMPLES } from "../../examples/aws-cdk";
import { recommendedFeatureFlags } from "../../scripts/cdk-flags";
import { CDK_JSON_CONTEXT } from "./helpers";

const outdir = () => mkdtempSync(join(tmpdir(), "kha-cdk-app-"));

test("with no settings: the default cluster in us-east-1, written to the cloud assembly", () => {
  const dir = outdir();
  const { app, stack } = buildCdkApp({ outdir: dir, env: {} });
  app.synth();
  expect(readdirSync(dir)).toContain("kubeadm-ha.template.json");
  expect(stack.region).toBe("us-east-1");
  Template.fromStack(stack).resourceCountIs("AWS::EC2::Instance", 3);
});

test.each<[string, () => void]>([
  ["the default app", () => buildCdkApp({ outdir: outdir(), env: {} }).app.synth()],
  [
    "a given imageId, a secondary-IP VIP on dedicated load balancers, external etcd",
    () => {
      const app = new App({ outdir: outdir() });
      new KubeadmCluster(new Stack(app, "given-image"), "cluster", {
        imageId: "ami-0123456789abcdef0",
        endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true },
        etcd: { topology: "external" },
      });
      app.synth();
    },
  ],
])(
  "synth of %s prints nothing: no warning of aws-cdk-lib's own template validation is left unacknowledged",
  (_what, synth) => {
    const printed: string[] = [];
    const spies = (["error", "warn", "log"] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args.join(" "))),
    );
    try {
      synth();
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(printed).toEqual([]);
  },
);

test("the same environment variables as the cdktf app: 5 nodes, external etcd of 5, another region", () => {
  const { stack } = buildCdkApp({
    outdir: outdir(),
    env: {
      KUBEADM_HA_CONTROL_PLANE_COUNT: "5",
      KUBEADM_HA_ETCD: "external",
      KUBEADM_HA_ETCD_MEMBERS: "5",
      KUBEADM_HA_REGION: "eu-west-1",
    },
  });
  expect(stack.region).toBe("eu-west-1");
  const instances = Object.values<any>(Template.fromStack(stack).findResources("AWS::EC2::Instance"));
  const roles = instances.map((i) => i.Properties.Tags.find((t: any) => t.Key === "kubeadm-ha:role").Value);
  expect(roles.filter((r) => r === "control-plane")).toHaveLength(5);
  expect(roles.filter((r) => r === "etcd")).toHaveLength(5);
});

test("a setting that does not convert fails before anything is written", () => {
  const dir = outdir();
  expect(() => buildCdkApp({ outdir: dir, env: { KUBEADM_HA_CONTROL_PLANE_COUNT: "four" } })).toThrow(SettingsError);
  expect(readdirSync(dir)).toEqual([]);
});

test("every topology the settings name synthesizes, a secondary-IP VIP on dedicated load balancers too", () => {
  const { stack } = buildCdkApp({
    outdir: outdir(),
    env: {
      KUBEADM_HA_ENDPOINT: "keepalived",
      KUBEADM_HA_ENDPOINT_PLACEMENT: "dedicated",
      KUBEADM_HA_VIP_MODE: "secondary-ip",
      KUBEADM_HA_ACCEPT_SINGLE_ZONE: "true",
    },
  });
  const template = Template.fromStack(stack);
  template.resourceCountIs("AWS::EC2::Instance", 5);
  // Each node's address held by its own interface; the VIP a secondary address of the first peer's.
  template.resourceCountIs("AWS::EC2::NetworkInterface", 5);
  template.resourceCountIs("AWS::EC2::SubnetCidrReservation", 0);
});

test.each(Object.entries(CDK_EXAMPLES))("example %s synthesizes", (name, Example) => {
  const app = new App({ outdir: outdir() });
  const example = new Example(app, name);
  const template = Template.fromStack(example.cluster.node.scope as any);
  const { endpoint, etcd, controlPlane } = example.cluster.spec;
  template.resourceCountIs(
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    endpoint.type === "keepalived" ? 0 : endpoint.internetFacing ? 2 : 1,
  );
  const loadBalancers = endpoint.type === "keepalived" && endpoint.placement === "dedicated" ? 2 : 0;
  expect(Object.keys(template.findResources("AWS::EC2::Instance")).length).toBe(
    controlPlane.length + loadBalancers + (etcd.topology === "external" ? 3 : 0),
  );
});

test("cdk.json sets every feature flag the installed aws-cdk-lib recommends for a new app (npm run cdk-flags)", () => {
  const flags = recommendedFeatureFlags();
  expect(Object.keys(flags).length).toBeGreaterThan(80);
  expect(CDK_JSON_CONTEXT).toEqual({ "cli-telemetry": false, ...flags });
});

test("the default app run without the cdk CLI (npm run synth) gets cdk.json's flags, as `cdk deploy` would", () => {
  const { app } = buildCdkApp({ outdir: outdir(), env: {} });
  expect(app.node.tryGetContext("@aws-cdk/aws-iam:minimizePolicies")).toBe(true);
  expect(app.node.tryGetContext("@aws-cdk/core:validateAgainstDefaultRules")).toBe(true);
});
