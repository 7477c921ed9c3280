/**
 * The cdk-nag findings (AwsSolutions pack) this construct's design accepts, each with its reason,
 * acknowledged on the resources it concerns through aws-cdk-lib's own Validations API, so a user's
 * cdk-nag run shows them acknowledged (with the reason) rather than as errors. Everything else the
 * pack reports is fixed, not acknowledged (test/aws-cdk/nag.test.ts: zero unacknowledged findings).
 */
import { Stack, Validations } from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { IConstruct } from "constructs";

/** Rule id -> why this design accepts it, and which resources it is acknowledged on. */
export const ACKNOWLEDGED_FINDINGS: {
  readonly id: string;
  readonly reason: string;
  readonly on: (construct: IConstruct) => boolean;
}[] = [
  {
    id: "AwsSolutions-VPC7",
    reason:
      "Flow logs are the account's choice (a log group or bucket, retention, cost), as with the cdktf flavour: add an ec2.FlowLog on cluster.network.vpc where they are wanted.",
    on: (c) => c instanceof ec2.Vpc,
  },
  {
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "The Session Manager actions (ssm:UpdateInstanceInformation, ssmmessages:*Channel) take no resource ARN; nothing else in the node roles has a * resource.",
    on: (c) => c instanceof iam.Role,
  },
  {
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]",
    reason:
      "ec2:CreateTags on the node's own status tag: an instance's ARN exists only after the instance, so the statement is held to the stack's region and account, to this cluster's instances by aws:ResourceTag/kubeadm-ha:cluster and to the one tag key by aws:TagKeys.",
    on: (c) => c instanceof iam.Policy,
  },
  {
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]",
    reason:
      "ec2:AssignPrivateIpAddresses moves a secondary-IP VIP onto the new master's interface: the interface it assigns to is held to the peers' by aws:ResourceTag/kubeadm-ha:cluster (only their interfaces carry it), ec2:Subnet (the peers' subnet) and ec2:Vpc (the same statement as the cdktf flavour's; IAM has no condition on the address itself, so any secondary address of that subnet may be taken: docs/topologies.md).",
    on: (c) =>
      c instanceof iam.Policy &&
      JSON.stringify(Stack.of(c).resolve(c.document.toJSON())).includes(":network-interface/*"),
  },
  {
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "A VIP move reads before it writes (ec2:DescribeRouteTables or ec2:DescribeNetworkInterfaces, statement ReadVipDelivery): EC2's Describe actions take no resource type, so IAM cannot scope them below *; they read, never change.",
    on: (c) =>
      c instanceof iam.Policy && JSON.stringify(Stack.of(c).resolve(c.document.toJSON())).includes("ReadVipDelivery"),
  },
  {
    id: "AwsSolutions-SMG4",
    reason:
      "The secrets hold the cluster's roots (CAs, service-account key), the etcd CA and the admin kubeconfig, written once by node 0 or etcd member 0 and read when a node joins; rotating them is a PKI renewal (kubeadm certs renew), not a Secrets Manager rotation.",
    on: (c) => c instanceof secretsmanager.Secret,
  },
  {
    id: "AwsSolutions-ELB2",
    reason:
      "The API listener is TCP passthrough (TLS ends at the API servers): Network Load Balancer access logs exist only for TLS listeners, so there is nothing to log.",
    on: (c) => c instanceof elbv2.NetworkLoadBalancer,
  },
  {
    id: "AwsSolutions-EC28",
    reason:
      "Basic (5-minute) EC2 monitoring; detailed monitoring costs about $2.10 a month per instance and the cluster's health is the status tag and the NLB's target health.",
    on: (c) => c instanceof ec2.Instance,
  },
  {
    id: "AwsSolutions-EC29",
    reason:
      "Nodes are replaced one at a time on purpose (a replacement rejoins with its name and address); termination protection would block that, and an Auto Scaling group cannot keep a node's fixed address.",
    on: (c) => c instanceof ec2.Instance,
  },
  {
    id: "AwsSolutions-EC26",
    reason:
      "The root volume is encrypted (BlockDeviceMappings Encrypted: true). cdk-nag's EC26 misreads an instance launched without a launch template as soon as its stack holds one (a worker pool's): it looks for the instance's template and finds none.",
    on: (c) =>
      c instanceof ec2.Instance &&
      Stack.of(c)
        .node.findAll()
        .some((o) => o instanceof ec2.CfnLaunchTemplate),
  },
  {
    id: "AwsSolutions-EC26",
    reason:
      "The pool's launch template encrypts the root volume (BlockDeviceMappings Encrypted: true). cdk-nag's EC26 reads only a group's LaunchTemplate property, not the MixedInstancesPolicy's, which a pool of several instance types has.",
    on: (c) => c instanceof autoscaling.CfnAutoScalingGroup && c.mixedInstancesPolicy !== undefined,
  },
  {
    id: "AwsSolutions-AS3",
    reason:
      "A worker joining or leaving shows as a Node in Kubernetes and in the group's activity history; an SNS topic for scaling events is the account's choice: `pool.autoScalingGroup.addNotification`-style wiring on your own topic where wanted.",
    on: (c) => c instanceof autoscaling.AutoScalingGroup,
  },
];

/** aws-cdk-lib's own template validation, where it is wrong about this construct. */
export const ACKNOWLEDGED_VALIDATIONS: typeof ACKNOWLEDGED_FINDINGS = [
  {
    id: "CloudFormation-Validate::E1152",
    reason:
      "ImageId is resolve:ssm:<Canonical's public parameter>, which EC2 resolves at launch (documented for RunInstances and CloudFormation); the check expects a literal ami- id.",
    on: (c) => c instanceof ec2.Instance,
  },
  {
    id: "CloudFormation-Validate::W9010",
    reason:
      "A literal ami- id appears only when the props give imageId: the user's own choice of image, meant for the one region they deploy to.",
    on: (c) => c instanceof ec2.Instance,
  },
];

const acknowledged = new WeakMap<IConstruct, Set<object>>();

/**
 * Acknowledges each finding on the resources under `scope` it concerns, once per resource and finding:
 * every public construct calls it, so a lower-level one used on its own has them too (a worker pool
 * calls it on its whole stack: its launch template makes a finding apply to the instances made before).
 */
export function acknowledgeFindings(scope: IConstruct) {
  for (const construct of scope.node.findAll()) {
    const done = acknowledged.get(construct) ?? new Set<object>();
    acknowledged.set(construct, done);
    for (const finding of [...ACKNOWLEDGED_FINDINGS, ...ACKNOWLEDGED_VALIDATIONS])
      if (!done.has(finding) && finding.on(construct)) {
        done.add(finding);
        Validations.of(construct).acknowledge({ id: finding.id, reason: finding.reason });
      }
  }
}
