/**
 * What each node role may do, as IAM policy statements in plain data: each framework's flavour turns
 * them into its policy documents, with its own references (tokens) for the ARNs, so a statement is
 * written here once. The shape is IAM's (condition as test/variable/values, as Terraform's policy
 * documents take it).
 */
import { CLUSTER_TAG, STATUS_TAG } from "./tags";

export interface PolicyCondition {
  readonly test: string;
  readonly variable: string;
  readonly values: string[];
}

export interface PolicyStatement {
  readonly sid: string;
  readonly effect?: "Allow" | "Deny";
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: PolicyCondition[];
  /** Resource policies only: `*` (everyone), the denials say whom they spare. */
  readonly principals?: { readonly type: string; readonly identifiers: string[] }[];
}

/** The framework's values (literals or tokens) for what the statements name. */
export interface PolicyReferences {
  readonly partition: string;
  readonly region: string;
  readonly clusterName: string;
  readonly deploySettingsArn: string;
  /** The cluster's KMS key for its secrets, if any (secrets.kmsKeyArn). */
  readonly kmsKeyArn?: string;
}

/**
 * What SSM Session Manager needs on an instance, and nothing more: registering with Systems Manager
 * and opening session channels. (AWS's AmazonSSMManagedInstanceCore would also grant
 * ssm:GetParameter(s) on every parameter of the account to each node, and so to every pod on the host
 * network.) None of these actions takes a resource ARN.
 */
export const SESSION_MANAGER_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
] as const;

export function sessionManagerStatements(): PolicyStatement[] {
  return [{ sid: "SessionManager", actions: [...SESSION_MANAGER_ACTIONS], resources: ["*"] }];
}

/** What every node may do: read the deploy settings, and set its own status tag on instances of its cluster only. */
export function everyNodeStatements(refs: PolicyReferences): PolicyStatement[] {
  return [
    { sid: "DeploySettingsRead", actions: ["ssm:GetParameter"], resources: [refs.deploySettingsArn] },
    {
      sid: "BootstrapStatusTag",
      actions: ["ec2:CreateTags"],
      resources: [`arn:${refs.partition}:ec2:*:*:instance/*`],
      condition: [
        { test: "StringEquals", variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [refs.clusterName] },
        { test: "ForAllValues:StringEquals", variable: "aws:TagKeys", values: [STATUS_TAG] },
      ],
    },
  ];
}

/** Use of the cluster's KMS key through Secrets Manager only: decrypt to read, also generate data keys to write. */
export function secretKeyStatements(refs: PolicyReferences, write: boolean): PolicyStatement[] {
  if (refs.kmsKeyArn === undefined) return [];
  return [
    {
      sid: write ? "SecretKeyReadWrite" : "SecretKeyRead",
      actions: write ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      resources: [refs.kmsKeyArn],
      condition: [
        { test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${refs.region}.amazonaws.com`] },
      ],
    },
  ];
}

/** Control-plane node 0 (runs kubeadm init): reads and writes the join secret, writes the admin kubeconfig. */
export function controlPlaneSeedStatements(
  refs: PolicyReferences,
  secrets: { joinSecretArn: string; adminKubeconfigSecretArn: string },
): PolicyStatement[] {
  return [
    {
      sid: "JoinSecret",
      actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      resources: [secrets.joinSecretArn],
    },
    {
      sid: "AdminKubeconfigWrite",
      actions: ["secretsmanager:PutSecretValue"],
      resources: [secrets.adminKubeconfigSecretArn],
    },
    ...secretKeyStatements(refs, true),
  ];
}

/** Every other control-plane node: reads the join secret. */
export function controlPlaneMemberStatements(refs: PolicyReferences, joinSecretArn: string): PolicyStatement[] {
  return [
    { sid: "JoinSecretRead", actions: ["secretsmanager:GetSecretValue"], resources: [joinSecretArn] },
    ...secretKeyStatements(refs, false),
  ];
}

/** The API servers' extra policy with external etcd: read their etcd client certificate. */
export function etcdClientStatements(refs: PolicyReferences, clientSecretArn: string): PolicyStatement[] {
  return [
    { sid: "EtcdClientSecret", actions: ["secretsmanager:GetSecretValue"], resources: [clientSecretArn] },
    ...secretKeyStatements(refs, false),
  ];
}

/** etcd member 0: creates the etcd CA and the API server's client certificate. */
export function etcdSeedStatements(
  refs: PolicyReferences,
  secrets: { caSecretArn: string; clientSecretArn: string },
): PolicyStatement[] {
  return [
    {
      sid: "EtcdSecretsWrite",
      actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      resources: [secrets.caSecretArn, secrets.clientSecretArn],
    },
    ...secretKeyStatements(refs, true),
  ];
}

/** Every other etcd member: reads the etcd CA. */
export function etcdMemberStatements(refs: PolicyReferences, caSecretArn: string): PolicyStatement[] {
  return [
    { sid: "EtcdCaRead", actions: ["secretsmanager:GetSecretValue"], resources: [caSecretArn] },
    ...secretKeyStatements(refs, false),
  ];
}

/**
 * A cluster secret's resource policy: reading denied to all but its readers and writers, writing to all
 * but its writers (and the break-glass principals), whatever an IAM policy elsewhere in the account
 * allows. `readers: undefined` leaves reading to IAM (the admin kubeconfig, read by operators).
 */
export function secretResourceStatements(access: {
  readers: string[] | undefined;
  writers: string[];
  breakGlass: string[];
}): PolicyStatement[] {
  const denyUnless = (sid: string, action: string, principals: string[]): PolicyStatement => ({
    sid,
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions: [action],
    resources: ["*"],
    condition: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: [...principals, ...access.breakGlass] }],
  });
  const statements = [denyUnless("OnlyItsWritersWrite", "secretsmanager:PutSecretValue", access.writers)];
  if (access.readers)
    statements.push(
      denyUnless("OnlyItsReadersRead", "secretsmanager:GetSecretValue", [...access.readers, ...access.writers]),
    );
  return statements;
}

/**
 * What a keepalived peer may do to move the VIP to itself: replace the VIP's route in the cluster's
 * route tables (route mode), or assign the VIP to an interface of this cluster (secondary-ip mode,
 * held to the cluster's interfaces by their tag).
 */
export function vipStatements(
  refs: PolicyReferences,
  accountId: string,
  vip: { mode: "route" | "secondary-ip"; routeTableIds: string[] },
): PolicyStatement[] {
  const arn = (resource: string) => `arn:${refs.partition}:ec2:${refs.region}:${accountId}:${resource}`;
  // The move reads first and writes only on a mismatch; EC2's Describe actions take no resource type.
  const read = (action: string): PolicyStatement => ({ sid: "ReadVipDelivery", actions: [action], resources: ["*"] });
  if (vip.mode === "route")
    return [
      {
        sid: "MoveVipRoute",
        actions: ["ec2:ReplaceRoute"],
        resources: vip.routeTableIds.map((id) => arn(`route-table/${id}`)),
      },
      read("ec2:DescribeRouteTables"),
    ];
  return [
    {
      sid: "MoveVipSecondaryIp",
      actions: ["ec2:AssignPrivateIpAddresses"],
      resources: [arn("network-interface/*")],
      condition: [{ test: "StringEquals", variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [refs.clusterName] }],
    },
    read("ec2:DescribeNetworkInterfaces"),
  ];
}
