/**
 * The same cluster from both flavours: every topology the AWS CDK flavour builds is synthesized with
 * the cdktf flavour too, and each framework's references (Terraform's `${type.name.attr}`,
 * CloudFormation's Ref / Fn::GetAtt / Fn::Join) are resolved to the same stand-ins, named by what
 * they point at (a secret by its description, a group by its Name tag, ...). Then the node user data
 * must be equal byte for byte, and the deploy settings, security-group rules, IAM statements (node
 * roles and secret resource policies), NLB settings and instances equal as sets.
 */
import { resolveClusterSpec } from "../../lib/cluster-spec";
import { resourcesOf, synthStack } from "../helpers";
import {
  sorted,
  subnetCidrOf,
  terraformDeploySettings,
  terraformInstances,
  terraformNlbs,
  terraformOutputs,
  terraformPools,
  terraformResolver,
  terraformRules,
  terraformStatements,
  terraformTaggedInterfaces,
  terraformUserData,
} from "../reviewable";
import { REVIEWED_TOPOLOGIES } from "../topologies";
import { cfnResources, synthCdk } from "./helpers";
import {
  cfnDeploySettings,
  cfnInstances,
  cfnNlbs,
  cfnOutputs,
  cfnPools,
  cfnRules,
  cfnStatements,
  cfnUserData,
  cfnTaggedInterfaces,
  cloudFormationResolver,
} from "./reviewable";

const counts: string[] = [];
afterAll(() => console.log(`parity, per topology (compared equal):\n${counts.join("\n")}`));

test("a pool of two types, with sizes, labels and taints of its own: the same group, template, tags and user data", () => {
  const pool = {
    instanceTypes: ["m7g.large", "m6g.large"],
    minSize: 1,
    maxSize: 7,
    desiredSize: 3,
    labels: { "example.com/team": "data" },
    taints: [{ key: "example.com/gpu", effect: "NoSchedule" }],
    rootVolumeSizeGiB: 80,
  };
  const terraform = synthStack({}, "us-east-1", pool);
  const cdk = synthCdk({}, undefined, { workers: pool });
  const ours = terraformPools(terraform, terraformResolver(terraform));
  expect(ours).toHaveLength(1);
  expect(ours[0]).toMatchObject({
    sizes: [1, 7, 3],
    instanceTypes: ["m7g.large", "m6g.large"],
    image: expect.stringContaining("/arm64/"),
    root: [80, "gp3", true],
  });
  expect(ours[0].groupTags).toMatchObject({
    "k8s.io/cluster-autoscaler/node-template/label/example.com/team": "data",
    "k8s.io/cluster-autoscaler/node-template/taint/example.com/gpu": ":NoSchedule",
  });
  expect(cfnPools(cdk, cloudFormationResolver(cdk))).toEqual(ours);
});

describe.each(REVIEWED_TOPOLOGIES)("%s: %s", (_slug, what, props) => {
  const terraform = synthStack(props);
  const cdk = synthCdk(props, undefined, { outputs: true });
  const tf = terraformResolver(terraform);
  const cfn = cloudFormationResolver(cdk);

  test("every node's user data is the same bytes", () => {
    const ours = terraformUserData(terraform);
    expect(Object.keys(ours).length).toBeGreaterThanOrEqual(3);
    expect(cfnUserData(cdk)).toEqual(ours);
  });

  test("the deploy settings are the same once each framework's references are filled in alike", () => {
    const value = terraformDeploySettings(terraform, tf);
    expect(value).toMatch(/JOIN_SECRET_ID='SECRET<Shared roots/);
    expect(cfnDeploySettings(cdk, cfn)).toBe(value);
  });

  test("the same stack outputs (the default apps'), with the same values and descriptions", () => {
    const ours = terraformOutputs(terraform, tf);
    expect(Object.keys(ours)).toEqual(expect.arrayContaining(["api-endpoint-url", "bootstrap-status-command"]));
    expect(cfnOutputs(cdk, cfn)).toEqual(ours);
  });

  test("the same worker pool: group sizes, subnets, instance types, launch template, tags, and its user data byte for byte", () => {
    const ours = terraformPools(terraform, tf);
    expect(ours.map((p) => p.name)).toEqual([`${resolveClusterSpec(props).clusterName}-workers`]);
    expect(cfnPools(cdk, cfn)).toEqual(ours);
  });

  test("the same security-group rules, each with its reason", () => {
    expect(cfnRules(cdk, cfn)).toEqual(terraformRules(terraform, tf));
  });

  test("the same IAM statements on the same roles, and the same secret resource policies", () => {
    expect(cfnStatements(cdk, cfn)).toEqual(terraformStatements(terraform, tf));
  });

  test("the same NLBs: listener, target group, health check, attributes, targets, security group", () => {
    expect(cfnNlbs(cdk, cfn)).toEqual(terraformNlbs(terraform, tf));
  });

  test("the VIP's /32 route goes to the same first peer in every route table of each flavour's network", () => {
    const tfRoutes = resourcesOf(terraform, "aws_route").filter((r) => r.destination_cidr_block?.endsWith("/32"));
    const cfnRoutes = cfnResources(cdk, "AWS::EC2::Route")
      .map(([, r]) => r.Properties)
      .filter((r) => r.DestinationCidrBlock?.endsWith("/32"));
    const unique = (pairs: unknown[][]) => [...new Set(sorted(pairs))];
    expect(unique(cfnRoutes.map((r) => [r.DestinationCidrBlock, cfn(r.InstanceId)]))).toEqual(
      unique(tfRoutes.map((r) => [r.destination_cidr_block, tf(r.network_interface_id)])),
    );
    if (tfRoutes.length === 0) return;
    // Every route table of the network: the cdktf VPC's own tables and its main one; AWS CDK's tables.
    expect(tfRoutes).toHaveLength(resourcesOf(terraform, "aws_route_table").length + 1);
    expect(cfnRoutes).toHaveLength(cfnResources(cdk, "AWS::EC2::RouteTable").length);
  });

  test("a secondary-IP VIP moves only onto the peers' interfaces, which carry the cluster's tag in both", () => {
    const movesSecondaryIp = terraformStatements(terraform, tf).some((s) => s.includes('"MoveVipSecondaryIp"'));
    const tagged = terraformTaggedInterfaces(terraform, tf);
    if (!movesSecondaryIp) {
      // The AWS CDK flavour tags no interface where no policy checks it (cdktf tags routed peers' too).
      expect(cfnTaggedInterfaces(cdk)).toEqual([]);
      return;
    }
    expect(tagged.length).toBeGreaterThanOrEqual(2);
    expect(cfnTaggedInterfaces(cdk)).toEqual(tagged);
  });

  test("the same instances, in the same subnets at the same addresses, hardened alike", () => {
    const subnetCidr = subnetCidrOf(props);
    const nodes = terraformInstances(terraform, tf, subnetCidr);
    expect(cfnInstances(cdk, cfn, subnetCidr)).toEqual(nodes);
    counts.push(
      `  ${what}: ${nodes.length} nodes (user data byte for byte), ${terraformRules(terraform, tf).length} security-group rules, ` +
        `${terraformStatements(terraform, tf).length} IAM statements, ${terraformNlbs(terraform, tf).length} NLB(s)`,
    );
  });
});
