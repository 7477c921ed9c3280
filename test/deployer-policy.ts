/**
 * The deployer's IAM policy as docs/deploying.md shows it ("IAM permissions for the deployer"), and the
 * actions each resource type of the plans and templates needs to be created, tagged and deleted. The
 * tests (test/synth/ and test/aws-cdk/deployer-permissions.test.ts) check every type the topologies
 * make against that policy, so the doc cannot fall behind what a deploy creates.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { ClusterInput } from "../lib/cluster-spec";

export const DEPLOYING_DOC = join(__dirname, "..", "docs", "deploying.md");
export const DEPLOYER_SECTION = "IAM permissions for the deployer";

/** The topologies whose every resource type the policy must cover, in both flavours. */
export const DEPLOYER_TOPOLOGIES: [string, ClusterInput][] = [
  ["the default (NLB, stacked etcd)", {}],
  ["external etcd", { etcd: { topology: "external" } }],
  ["an internet-facing NLB too", { endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["203.0.113.0/24"] } }],
  ["keepalived colocated, routed VIP", { endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } }],
  [
    "keepalived on dedicated load balancers, routed VIP",
    { endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } },
  ],
  [
    "keepalived on dedicated load balancers, secondary-IP VIP",
    { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
  ],
];

/** A worker pool's group, in both flavours: made, resized, rolled (instance refresh), tagged and deleted. */
const AUTO_SCALING_GROUP_ACTIONS = [
  "autoscaling:CreateAutoScalingGroup",
  "autoscaling:UpdateAutoScalingGroup",
  "autoscaling:DeleteAutoScalingGroup",
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeScalingActivities",
  "autoscaling:CreateOrUpdateTags",
  "autoscaling:DeleteTags",
  "autoscaling:StartInstanceRefresh",
  "autoscaling:DescribeInstanceRefreshes",
  "ec2:RunInstances",
  "ec2:CreateTags",
  "iam:PassRole",
  "iam:CreateServiceLinkedRole",
];

/**
 * What each Terraform resource type (and data source, as `data.TYPE`) of the plans needs: its create,
 * delete and tag actions and the reads that stand for the rest. [] where no AWS call needs a permission.
 */
export const TERRAFORM_ACTIONS: Record<string, string[]> = {
  aws_vpc: ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:DescribeVpcAttribute", "ec2:CreateTags"],
  aws_subnet: ["ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:DescribeSubnets", "ec2:CreateTags"],
  aws_internet_gateway: [
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
  ],
  aws_eip: ["ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DescribeAddresses", "ec2:CreateTags"],
  aws_nat_gateway: ["ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:DescribeNatGateways", "ec2:CreateTags"],
  aws_route_table: ["ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables"],
  aws_route_table_association: ["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"],
  aws_route: ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"],
  // The provider revokes a new group's allow-all egress rule.
  aws_security_group: [
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DescribeSecurityGroups",
  ],
  aws_vpc_security_group_ingress_rule: [
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DescribeSecurityGroupRules",
  ],
  aws_vpc_security_group_egress_rule: ["ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress"],
  aws_ec2_subnet_cidr_reservation: [
    "ec2:CreateSubnetCidrReservation",
    "ec2:DeleteSubnetCidrReservation",
    "ec2:GetSubnetCidrReservations",
  ],
  aws_ec2_tag: ["ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"],
  // iam:PassRole for the instance profile; source_dest_check is set after launch.
  aws_instance: [
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute",
    "ec2:ModifyInstanceAttribute",
    "ec2:CreateTags",
    "iam:PassRole",
  ],
  // The account's first load balancer creates ELB's service-linked role.
  aws_lb: [
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:AddTags",
    "iam:CreateServiceLinkedRole",
  ],
  aws_lb_target_group: [
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:AddTags",
  ],
  aws_lb_listener: [
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:AddTags",
  ],
  aws_lb_target_group_attachment: [
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:DescribeTargetHealth",
  ],
  // A private zone: Route 53 checks the VPC.
  aws_route53_zone: [
    "route53:CreateHostedZone",
    "route53:DeleteHostedZone",
    "route53:GetHostedZone",
    "route53:GetChange",
    "route53:ChangeTagsForResource",
    "route53:ListTagsForResource",
    "ec2:DescribeVpcs",
  ],
  aws_route53_record: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:GetChange"],
  aws_iam_role: ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:TagRole", "iam:ListRolePolicies"],
  aws_iam_role_policy: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
  // A launch template that names an instance profile and tags its instances; resolve:ssm: read with the caller's rights.
  aws_launch_template: [
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:ModifyLaunchTemplate",
    "ec2:DeleteLaunchTemplate",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:CreateTags",
    "iam:PassRole",
    "ssm:GetParameters",
  ],
  // Creating a group from a launch template checks RunInstances, CreateTags and PassRole against the caller;
  // the account's first group creates Auto Scaling's service-linked role.
  aws_autoscaling_group: AUTO_SCALING_GROUP_ACTIONS,
  aws_iam_instance_profile: [
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:PassRole",
  ],
  aws_secretsmanager_secret: [
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:TagResource",
  ],
  aws_secretsmanager_secret_policy: [
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:DeleteResourcePolicy",
  ],
  aws_ssm_parameter: [
    "ssm:PutParameter",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:DescribeParameters",
    "ssm:AddTagsToResource",
    "ssm:ListTagsForResource",
  ],
  terraform_data: [], // Terraform's own
  "data.aws_availability_zones": ["ec2:DescribeAvailabilityZones"],
  "data.aws_ec2_instance_type_offerings": ["ec2:DescribeInstanceTypeOfferings"],
  "data.aws_subnet": ["ec2:DescribeSubnets"],
  "data.aws_ssm_parameter": ["ssm:GetParameter"], // Canonical's public parameter for the Ubuntu image
  "data.aws_caller_identity": [], // sts:GetCallerIdentity, which no policy can deny
  "data.aws_partition": [], // from the provider's configuration
  "data.aws_region": [],
  "data.aws_iam_policy_document": [], // rendered by the provider, no call
};

/** The same for the CloudFormation resource types of the AWS CDK templates (what CloudFormation calls). */
export const CLOUDFORMATION_ACTIONS: Record<string, string[]> = {
  "AWS::EC2::VPC": ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:CreateTags"],
  "AWS::EC2::Subnet": ["ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:CreateTags"],
  "AWS::EC2::InternetGateway": ["ec2:CreateInternetGateway", "ec2:DeleteInternetGateway", "ec2:CreateTags"],
  "AWS::EC2::VPCGatewayAttachment": ["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"],
  "AWS::EC2::EIP": ["ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:CreateTags"],
  "AWS::EC2::NatGateway": ["ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:CreateTags"],
  "AWS::EC2::RouteTable": ["ec2:CreateRouteTable", "ec2:DeleteRouteTable"],
  "AWS::EC2::SubnetRouteTableAssociation": ["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"],
  "AWS::EC2::Route": ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"],
  // Inline rules, and the default egress rule revoked.
  "AWS::EC2::SecurityGroup": [
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupEgress",
  ],
  "AWS::EC2::SecurityGroupIngress": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
  "AWS::EC2::SecurityGroupEgress": ["ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress"],
  "AWS::EC2::NetworkInterface": [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:CreateTags",
  ],
  // ImageId is resolve:ssm:<Canonical's public parameter>, which EC2 reads with the caller's rights.
  "AWS::EC2::Instance": [
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "ec2:StopInstances",
    "ec2:StartInstances",
    "ec2:ModifyInstanceAttribute",
    "ec2:CreateTags",
    "iam:PassRole",
    "ssm:GetParameters",
  ],
  "AWS::ElasticLoadBalancingV2::LoadBalancer": [
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:AddTags",
    "iam:CreateServiceLinkedRole",
  ],
  "AWS::ElasticLoadBalancingV2::TargetGroup": [
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:AddTags",
  ],
  "AWS::ElasticLoadBalancingV2::Listener": [
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyListenerAttributes",
  ],
  "AWS::Route53::HostedZone": [
    "route53:CreateHostedZone",
    "route53:DeleteHostedZone",
    "route53:GetHostedZone",
    "route53:AssociateVPCWithHostedZone",
    "route53:ChangeTagsForResource",
    "route53:GetChange",
    "ec2:DescribeVpcs",
  ],
  "AWS::Route53::RecordSet": [
    "route53:ChangeResourceRecordSets",
    "route53:ListResourceRecordSets",
    "route53:GetChange",
  ],
  "AWS::IAM::Role": ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:TagRole"],
  "AWS::IAM::Policy": ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
  "AWS::EC2::LaunchTemplate": [
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:ModifyLaunchTemplate",
    "ec2:DeleteLaunchTemplate",
    "ec2:CreateTags",
    "iam:PassRole",
    "ssm:GetParameters",
  ],
  // The rolling update suspends the group's own replacement and scaling while it rolls.
  "AWS::AutoScaling::AutoScalingGroup": [
    ...AUTO_SCALING_GROUP_ACTIONS,
    "autoscaling:SuspendProcesses",
    "autoscaling:ResumeProcesses",
  ],
  "AWS::IAM::InstanceProfile": [
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:PassRole",
  ],
  "AWS::SecretsManager::Secret": [
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:TagResource",
  ],
  "AWS::SecretsManager::ResourcePolicy": [
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:DeleteResourcePolicy",
  ],
  "AWS::SSM::Parameter": ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameters", "ssm:AddTagsToResource"],
};

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: unknown;
}

/** The section's text, from its heading to the next heading of its level. */
export function deployerSection(markdown = readFileSync(DEPLOYING_DOC, "utf8")): string {
  const start = markdown.indexOf(`\n## ${DEPLOYER_SECTION}\n`);
  if (start === -1) throw new Error(`docs/deploying.md has no "## ${DEPLOYER_SECTION}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

/** The Allow statements of the section's JSON policies (every ```json block). */
export function deployerStatements(markdown?: string): PolicyStatement[] {
  const blocks = [...deployerSection(markdown).matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length === 0) throw new Error(`"${DEPLOYER_SECTION}" shows no JSON policy`);
  return blocks.flatMap((block) => {
    const policy = JSON.parse(block) as { Version: string; Statement: PolicyStatement[] };
    if (policy.Version !== "2012-10-17") throw new Error(`a policy without Version 2012-10-17: ${block.slice(0, 80)}`);
    return policy.Statement.filter((s) => s.Effect === "Allow");
  });
}

const listOf = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** Every action the statements allow, as written (wildcards included). */
export function allowedActions(statements: PolicyStatement[]): string[] {
  return statements.flatMap((s) => listOf(s.Action));
}

/** Whether a granted action (IAM's `*` and `?` wildcards, case-insensitive) covers `action`. */
export function grants(granted: string[], action: string): boolean {
  return granted.some((pattern) => {
    const regex = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    return new RegExp(`^${regex}$`, "i").test(action);
  });
}

/** The service prefix of an action ("ec2" of "ec2:RunInstances"). */
export const serviceOf = (action: string) => action.split(":")[0].toLowerCase();

/**
 * What the policy lacks for the given types: "TYPE: ACTION" for each required action it does not
 * grant, "TYPE: unknown ..." for a type the maps do not know yet (its actions must be looked up, then
 * added to the map and, where missing, to the doc).
 */
export function missingActions(types: string[], required: Record<string, string[]>, granted: string[]): string[] {
  return types.flatMap((type) => {
    const actions = required[type];
    if (actions === undefined)
      return [`${type}: unknown to test/deployer-policy.ts, name the IAM actions it needs there and in the doc`];
    return actions.filter((a) => !grants(granted, a)).map((a) => `${type}: ${a}`);
  });
}
