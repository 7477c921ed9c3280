/**
 * What each node role may do, as IAM policy statements in plain data: each framework's flavour turns
 * them into its policy documents, with its own references (tokens) for the ARNs, so a statement is
 * written here once. The shape is IAM's (condition as test/variable/values, as Terraform's policy
 * documents take it).
 */
import type { SessionManagerSpec } from "../cluster-spec";
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
  /** The account the cluster is deployed in. */
  readonly accountId: string;
  readonly clusterName: string;
  readonly deploySettingsArn: string;
  /** The cluster's KMS key for its secrets, if any (secrets.kmsKeyArn). */
  readonly kmsKeyArn?: string;
  /** The account's Session Manager encryption key and log destinations (sessionManager). */
  readonly sessionManager: SessionManagerSpec;
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

/**
 * What the SSM agent needs besides, when the account's Session Manager preferences encrypt sessions
 * with a KMS key or log them to S3 or CloudWatch Logs (docs.aws.amazon.com/systems-manager/latest/
 * userguide/getting-started-create-iam-instance-profile.html): each held to the key, bucket prefix or
 * log group named in `sessionManager`. DescribeLogGroups takes no log group (the agent lists them to
 * check the group exists), so it is held to the account's log groups in the region.
 */
function sessionLoggingStatements(refs: PolicyReferences): PolicyStatement[] {
  const { kmsKeyArn, s3BucketName, s3KeyPrefix, cloudWatchLogGroupName } = refs.sessionManager;
  const logs = (resource: string) => `arn:${refs.partition}:logs:${refs.region}:${refs.accountId}:${resource}`;
  const statements: PolicyStatement[] = [];
  if (kmsKeyArn)
    statements.push({
      sid: "SessionEncryption",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [kmsKeyArn],
    });
  if (s3BucketName)
    statements.push(
      {
        sid: "SessionLogsS3",
        actions: ["s3:PutObject"],
        resources: [`arn:${refs.partition}:s3:::${s3BucketName}/${s3KeyPrefix}*`],
      },
      {
        sid: "SessionLogsS3Encryption",
        actions: ["s3:GetEncryptionConfiguration"],
        resources: [`arn:${refs.partition}:s3:::${s3BucketName}`],
      },
    );
  if (cloudWatchLogGroupName)
    statements.push(
      {
        sid: "SessionLogsCloudWatch",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        resources: [logs(`log-group:${cloudWatchLogGroupName}:*`)],
      },
      { sid: "SessionLogsCloudWatchGroups", actions: ["logs:DescribeLogGroups"], resources: [logs("log-group:*")] },
    );
  return statements;
}

/** An EC2 resource's ARN in the cluster's region and account. */
const ec2Arn = (refs: PolicyReferences, resource: string) =>
  `arn:${refs.partition}:ec2:${refs.region}:${refs.accountId}:${resource}`;

/**
 * What every node may do: read the deploy settings, set its own status tag on instances of its
 * cluster only, in its region and account, and what the account's Session Manager preferences ask.
 */
export function everyNodeStatements(refs: PolicyReferences): PolicyStatement[] {
  return [
    { sid: "DeploySettingsRead", actions: ["ssm:GetParameter"], resources: [refs.deploySettingsArn] },
    {
      sid: "BootstrapStatusTag",
      actions: ["ec2:CreateTags"],
      resources: [ec2Arn(refs, "instance/*")],
      condition: [
        { test: "StringEquals", variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [refs.clusterName] },
        { test: "ForAllValues:StringEquals", variable: "aws:TagKeys", values: [STATUS_TAG] },
      ],
    },
    ...sessionLoggingStatements(refs),
  ];
}

/**
 * Use of the cluster's KMS key through Secrets Manager only, and for these secrets only: decrypt to
 * read, also generate data keys to write. Secrets Manager names the secret in the encryption context
 * of every KMS call it makes for it (SecretARN; docs.aws.amazon.com/secretsmanager/latest/userguide/
 * security-encryption.html, "Secrets Manager encryption context"), so a node cannot use the key for
 * another secret the key protects.
 */
export function secretKeyStatements(refs: PolicyReferences, write: boolean, secretArns: string[]): PolicyStatement[] {
  if (refs.kmsKeyArn === undefined) return [];
  return [
    {
      sid: write ? "SecretKeyReadWrite" : "SecretKeyRead",
      actions: write ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      resources: [refs.kmsKeyArn],
      condition: [
        { test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${refs.region}.amazonaws.com`] },
        { test: "StringEquals", variable: "kms:EncryptionContext:SecretARN", values: secretArns },
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
    ...secretKeyStatements(refs, true, [secrets.joinSecretArn, secrets.adminKubeconfigSecretArn]),
  ];
}

/** Every other control-plane node: reads the join secret. */
export function controlPlaneMemberStatements(refs: PolicyReferences, joinSecretArn: string): PolicyStatement[] {
  return [
    { sid: "JoinSecretRead", actions: ["secretsmanager:GetSecretValue"], resources: [joinSecretArn] },
    ...secretKeyStatements(refs, false, [joinSecretArn]),
  ];
}

/** The control plane's extra policy: keep the worker join secret current (its leader writes it). */
export function workerTokenStatements(refs: PolicyReferences, workerJoinSecretArn: string): PolicyStatement[] {
  return [
    {
      sid: "WorkerJoinSecret",
      actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      resources: [workerJoinSecretArn],
    },
    ...secretKeyStatements(refs, true, [workerJoinSecretArn]),
  ];
}

/** A worker: reads the worker join secret (a bootstrap token and the CA's hash), nothing of the control plane's. */
export function workerStatements(refs: PolicyReferences, workerJoinSecretArn: string): PolicyStatement[] {
  return [
    { sid: "WorkerJoinSecretRead", actions: ["secretsmanager:GetSecretValue"], resources: [workerJoinSecretArn] },
    ...secretKeyStatements(refs, false, [workerJoinSecretArn]),
  ];
}

/** The API servers' extra policy with external etcd: read their etcd client certificate. */
export function etcdClientStatements(refs: PolicyReferences, clientSecretArn: string): PolicyStatement[] {
  return [
    { sid: "EtcdClientSecret", actions: ["secretsmanager:GetSecretValue"], resources: [clientSecretArn] },
    ...secretKeyStatements(refs, false, [clientSecretArn]),
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
    ...secretKeyStatements(refs, true, [secrets.caSecretArn, secrets.clientSecretArn]),
  ];
}

/** Every other etcd member: reads the etcd CA. */
export function etcdMemberStatements(refs: PolicyReferences, caSecretArn: string): PolicyStatement[] {
  return [
    { sid: "EtcdCaRead", actions: ["secretsmanager:GetSecretValue"], resources: [caSecretArn] },
    ...secretKeyStatements(refs, false, [caSecretArn]),
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
 * route tables (route mode), or assign a secondary address to an interface of this cluster (secondary-ip
 * mode). IAM authorizes AssignPrivateIpAddresses on the receiving interface only and has no condition
 * on the address, so with --allow-reassignment a peer may take any secondary address of its subnet,
 * not just the VIP, from whichever interface holds it. What the statement pins: the receiving interface
 * carries the cluster's tag (only the peers' do), is in the peers' subnet and in the cluster's VPC
 * (ec2:Subnet and ec2:Vpc, the network-interface resource's condition keys in the Service Authorization
 * Reference, docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html), in this
 * region and account.
 */
export function vipStatements(
  refs: PolicyReferences,
  vip: { mode: "route"; routeTableIds: string[] } | { mode: "secondary-ip"; subnetId: string; vpcId: string },
): PolicyStatement[] {
  // The move reads first and writes only on a mismatch; EC2's Describe actions take no resource type.
  const read = (action: string): PolicyStatement => ({ sid: "ReadVipDelivery", actions: [action], resources: ["*"] });
  if (vip.mode === "route")
    return [
      {
        sid: "MoveVipRoute",
        actions: ["ec2:ReplaceRoute"],
        resources: vip.routeTableIds.map((id) => ec2Arn(refs, `route-table/${id}`)),
      },
      read("ec2:DescribeRouteTables"),
    ];
  return [
    {
      sid: "MoveVipSecondaryIp",
      actions: ["ec2:AssignPrivateIpAddresses"],
      resources: [ec2Arn(refs, "network-interface/*")],
      condition: [
        { test: "StringEquals", variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [refs.clusterName] },
        { test: "ArnEquals", variable: "ec2:Subnet", values: [ec2Arn(refs, `subnet/${vip.subnetId}`)] },
        { test: "ArnEquals", variable: "ec2:Vpc", values: [ec2Arn(refs, `vpc/${vip.vpcId}`)] },
      ],
    },
    read("ec2:DescribeNetworkInterfaces"),
  ];
}
