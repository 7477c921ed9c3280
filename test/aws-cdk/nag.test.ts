/**
 * cdk-nag over the AWS CDK flavour: the AwsSolutions pack and NIST 800-53 rev 5's IMDSv2 rule find
 * nothing unacknowledged in any topology, every acknowledgement names its rule and its reason, and
 * every acknowledgement is still needed (without it, its rule fires).
 */
import { App, Aws, CfnResource, Stack, Validations } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { AwsSolutionsChecks, NagMessageLevel, NagPack, rules } from "cdk-nag";
import { DependencyGroup, IConstruct } from "constructs";
import {
  ClusterNetwork,
  ControlPlaneIdentity,
  EtcdCluster,
  IKubeadmCluster,
  KubeadmClusterProps,
  NlbEndpoint,
  WorkerIdentity,
} from "../../lib/aws-cdk";
import { resolveClusterSpec } from "../../lib/cluster-spec";
import { ACKNOWLEDGED_FINDINGS } from "../../lib/aws-cdk/private/findings";
import { cfnTag, strictApp, synthCdk } from "./helpers";
import { Template } from "aws-cdk-lib/assertions";

/** NIST 800-53 rev 5's IMDSv2 rule, alone (the rest of that pack is not this project's bar). */
class Imdsv2Check extends NagPack {
  readonly name = "IMDSv2";
  constructor() {
    super();
    this.packName = "NIST.800.53.R5";
  }
  protected checkResource(node: CfnResource): void {
    this.applyRule({
      info: "The EC2 instance does not require IMDSv2.",
      explanation: "NIST.800.53.R5-EC2IMDSv2Enabled",
      level: NagMessageLevel.ERROR,
      rule: rules.ec2.EC2IMDSv2Enabled,
      node,
    });
  }
}

const TOPOLOGIES: [string, KubeadmClusterProps][] = [
  ["the default", {}],
  ["external etcd", { etcd: { topology: "external" } }],
  ["privateDns: false, 5 nodes", { controlPlaneCount: 5, endpoint: { type: "nlb", privateDns: false } }],
  ["internet-facing", { endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] } }],
  ["keepalived colocated", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } }],
  ["keepalived dedicated", { endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } }],
  [
    "keepalived dedicated, secondary-IP VIP, external etcd",
    {
      endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true },
      etcd: { topology: "external" },
    },
  ],
];

/** "RULE on RESOURCE" for every finding. */
const findings = (pack: NagPack, scope: IConstruct) =>
  pack.validateScope(scope).violations.flatMap((v) =>
    // cdk-nag 3 names each resource by its construct path (the CDK type says logical id).
    v.violatingResources.map((r) => `${v.ruleName} on ${(r as unknown as { constructPath: string }).constructPath}`),
  );

/** The cluster's acknowledgements taken away (test only: what the pack sees on a construct that makes none). */
function withoutAcknowledgements(scope: IConstruct) {
  for (const c of scope.node.findAll()) {
    const node = c.node as unknown as { _metadata?: { type: string }[] };
    node._metadata = (node._metadata ?? []).filter((m) => m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
  }
}

const before: string[] = [];
afterAll(() => console.log(`cdk-nag AwsSolutions findings before acknowledgements:\n${before.join("\n")}`));

describe.each(TOPOLOGIES)("%s", (what, props) => {
  test("AwsSolutions and the IMDSv2 rule: no finding left unacknowledged", () => {
    const { stack } = synthCdk(props);
    expect(findings(new AwsSolutionsChecks(), stack)).toEqual([]);
    expect(findings(new Imdsv2Check(), stack)).toEqual([]);
  });

  test("every acknowledgement is needed: without them, exactly the rules of those made on this cluster fire", () => {
    const { stack } = synthCdk(props);
    const made = [...new Set(ACKNOWLEDGED_FINDINGS.filter((a) => stack.node.findAll().some(a.on)).map((a) => a.id))];
    withoutAcknowledgements(stack);
    const raw = findings(new AwsSolutionsChecks(), stack);
    const rulesFired = new Set(raw.map((f) => f.split(" on ")[0]));
    expect([...rulesFired].sort()).toEqual(made.sort());
    before.push(`  ${what}: ${rulesFired.size} rules, ${raw.length} findings`);
  });
});

test("a pool of two instance types (a mixed instances policy): nothing unacknowledged, and its acknowledgement is needed", () => {
  const { stack } = synthCdk({}, undefined, { workers: { instanceTypes: ["m7i.large", "m6i.large"] } });
  expect(findings(new AwsSolutionsChecks(), stack)).toEqual([]);
  withoutAcknowledgements(stack);
  expect(findings(new AwsSolutionsChecks(), stack)).toContain(
    "AwsSolutions-EC26 on kubeadm-ha/cluster/workers/group/ASG",
  );
});

test("the IMDSv2 rule fires on an instance that allows IMDSv1 (so its silence above means something)", () => {
  const stack = new Stack(new App(), "probe");
  new ec2.Instance(stack, "v1", {
    vpc: new ec2.Vpc(stack, "vpc", { natGateways: 0, restrictDefaultSecurityGroup: false }),
    instanceType: new ec2.InstanceType("t3.micro"),
    machineImage: ec2.MachineImage.genericLinux({ "us-east-1": "ami-0123456789abcdef0" }),
  });
  expect(findings(new Imdsv2Check(), stack)).toEqual([
    expect.stringMatching(/^NIST\.800\.53\.R5-EC2IMDSv2Enabled on probe\/v1/),
  ]);
});

test("each acknowledgement names its rule and gives a reason a reviewer can check", () => {
  for (const a of ACKNOWLEDGED_FINDINGS) {
    expect(a.id).toMatch(/^AwsSolutions-[A-Z0-9]+(\[.+\])?$/);
    expect(a.reason.length).toBeGreaterThan(80);
  }
});

test("the lower-level constructs composed by hand carry their own acknowledgements: nothing unacknowledged without KubeadmCluster", () => {
  const stack = new Stack(strictApp(), "composed");
  const spec = resolveClusterSpec({ clusterName: "composed", etcd: { topology: "external" } });
  const vpc = new ClusterNetwork(stack, "network", spec);
  const controlPlaneSecurityGroup = new ec2.SecurityGroup(stack, "control-plane", {
    vpc: vpc.vpc,
    allowAllOutbound: false,
  });
  const policyReferences = {
    partition: Aws.PARTITION,
    region: Aws.REGION,
    accountId: Aws.ACCOUNT_ID,
    clusterName: spec.clusterName,
    sessionManager: spec.sessionManager,
    deploySettingsArn: `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter/composed/settings`,
  };
  const identity = new ControlPlaneIdentity(stack, "identity", {
    clusterName: spec.clusterName,
    policyReferences,
    secrets: spec.secrets,
  });
  const cluster: IKubeadmCluster = {
    spec,
    network: vpc,
    controlPlaneSecurityGroup,
    workerSecurityGroup: new ec2.SecurityGroup(stack, "workers", { vpc: vpc.vpc, allowAllOutbound: false }),
    identity,
    workerIdentity: new WorkerIdentity(stack, "worker-identity", {
      clusterName: spec.clusterName,
      policyReferences,
      secrets: spec.secrets,
      controlPlane: identity,
    }),
    policyReferences,
    addressHolders: new DependencyGroup(),
    bootPrerequisites: vpc.egress,
  };
  const endpoint = new NlbEndpoint(stack, "endpoint", { cluster });
  const etcd = new EtcdCluster(stack, "etcd", { cluster });
  expect([etcd.members.length, endpoint.address.host]).toEqual([3, "api.composed.internal"]);
  // The status tag's IAM condition needs the cluster's tag on each instance, which KubeadmCluster did not give them here.
  const instances = Template.fromStack(stack).findResources("AWS::EC2::Instance");
  expect(Object.values(instances).map((i) => cfnTag(i, "kubeadm-ha:cluster"))).toEqual([
    "composed",
    "composed",
    "composed",
  ]);
  expect(findings(new AwsSolutionsChecks(), stack)).toEqual([]);
  expect(findings(new Imdsv2Check(), stack)).toEqual([]);
});
