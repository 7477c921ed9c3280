/**
 * The same cluster from both flavours: every topology the AWS CDK flavour builds is synthesized with
 * the cdktf flavour too, and each framework's references (Terraform's `${type.name.attr}`,
 * CloudFormation's Ref / Fn::GetAtt / Fn::Join) are resolved to the same stand-ins, named by what
 * they point at (a secret by its description, a group by its Name tag, ...). Then the node user data
 * must be equal byte for byte, and the deploy settings, security-group rules, IAM statements (node
 * roles and secret resource policies), NLB settings and instances equal as sets.
 */
import { resourcesOf, synthStack } from "../helpers";
import {
  sorted,
  subnetCidrOf,
  terraformDeploySettings,
  terraformInstances,
  terraformNlbs,
  terraformOutputs,
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
  cfnRules,
  cfnStatements,
  cfnUserData,
  cfnTaggedInterfaces,
  cloudFormationResolver,
} from "./reviewable";

const counts: string[] = [];
afterAll(() => console.log(`parity, per topology (compared equal):\n${counts.join("\n")}`));

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
