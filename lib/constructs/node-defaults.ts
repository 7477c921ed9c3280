import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Instance, InstanceConfig } from "@cdktf/provider-aws/lib/instance";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { NodeScripts } from "../render";
import { Architecture, ClusterSpec, SecretsSpec } from "../spec";

/** Tag on every resource of a cluster; IAM conditions use it to keep nodes to their own cluster. */
export const CLUSTER_TAG = "kubeadm-ha:cluster";
/** Tag a node writes on itself with its bootstrap status (running:STEP, failed:STEP, ready). */
export const STATUS_TAG = "kubeadm-ha:bootstrap";

/** What every construct that runs nodes of a cluster needs from KubeadmCluster. */
export interface ClusterNodeContext {
  /** The resolved, validated spec. */
  readonly cluster: ClusterSpec;
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly controlPlaneSecurityGroupId: string;
  /** The control-plane roles (node 0's and the others'), for permissions the nodes need on this construct's resources. */
  readonly controlPlaneRoles: IamRole[];
  readonly partition: string;
  readonly region: string;
  /** The image for an architecture: nodes take the one of their instance type. */
  readonly imageFor: (architecture: Architecture) => string;
  /** The userdata/ scripts, by file name. */
  readonly scripts: NodeScripts;
  readonly tags: Record<string, string>;
  /** What every node needs before its first boot: its egress routes and every node's address reservation. */
  readonly bootPrerequisites: ITerraformDependable[];
}

/**
 * Reserves every fixed node address (control plane, dedicated load balancers, etcd members) in its
 * subnet, as an explicit reservation: AWS then hands those addresses to nothing that asks for any
 * address (the NLB's own interfaces, other instances of an existing VPC), while the nodes, which ask
 * for exactly theirs, still get them. Created before the load balancer and the instances.
 */
export function reserveNodeAddresses(
  scope: Construct,
  spec: ClusterSpec,
  subnetIds: string[],
): Ec2SubnetCidrReservation[] {
  const nodes = [
    ...spec.controlPlane.map((n) => ({ id: `control-plane-${n.index}`, ...n })),
    ...(spec.endpoint.type === "keepalived" && spec.endpoint.placement === "dedicated"
      ? spec.endpoint.peers.map((p) => ({ id: `load-balancer-${p.index}`, ...p }))
      : []),
    ...(spec.etcd.topology === "external" ? spec.etcd.members.map((m) => ({ id: `etcd-${m.index}`, ...m })) : []),
  ];
  return nodes.map(
    (n) =>
      new Ec2SubnetCidrReservation(scope, `address-${n.id}`, {
        subnetId: subnetIds[n.subnetIndex],
        cidrBlock: `${n.privateIp}/32`,
        reservationType: "explicit",
        description: `${n.name}, a node of ${spec.clusterName}`,
      }),
  );
}

export type NodeInstanceConfig = Omit<InstanceConfig, "metadataOptions" | "rootBlockDevice" | "lifecycle"> & {
  readonly rootVolumeSizeGiB: number;
};

/**
 * What Terraform leaves to the instance after creating it: the image and the user data (a new AMI or
 * spec never replaces all nodes at once), the instance type (changing it stops and starts the instance:
 * all nodes at once), and the bootstrap status tag each node writes on itself (the next plan would
 * remove it). Changes to any of these roll one node at a time, by hand (README: Changing a running cluster).
 */
export const INSTANCE_IGNORED_CHANGES = [
  "ami",
  "user_data",
  "user_data_base64",
  "instance_type",
  `tags["${STATUS_TAG}"]`,
  `tags_all["${STATUS_TAG}"]`,
];

/**
 * An EC2 instance with the project's security defaults: IMDSv2 only (hop limit 1, so pods cannot
 * borrow the node's role), encrypted gp3 root volume, no SSH key, and the changes in
 * INSTANCE_IGNORED_CHANGES left to the node or to a rolling replacement.
 */
export function hardenedInstance(scope: Construct, id: string, config: NodeInstanceConfig): Instance {
  const { rootVolumeSizeGiB, ...rest } = config;
  return new Instance(scope, id, {
    ...rest,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    },
    rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: rootVolumeSizeGiB, deleteOnTermination: true },
    lifecycle: { ignoreChanges: INSTANCE_IGNORED_CHANGES },
  });
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

/** An EC2 role and instance profile with SSM Session Manager access (instead of SSH). */
export function nodeRole(scope: Construct, namePrefix: string, description: string, tags: Record<string, string>) {
  const assume = new DataAwsIamPolicyDocument(scope, "assume-role", {
    statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] }],
  });
  const role = new IamRole(scope, "role", { namePrefix, description, assumeRolePolicy: assume.json, tags });
  const sessionManager = new DataAwsIamPolicyDocument(scope, "session-manager-permissions", {
    statement: [{ sid: "SessionManager", actions: [...SESSION_MANAGER_ACTIONS], resources: ["*"] }],
  });
  new IamRolePolicy(scope, "session-manager", {
    role: role.id,
    name: "kubeadm-ha-session-manager",
    policy: sessionManager.json,
  });
  const instanceProfile = new IamInstanceProfile(scope, "instance-profile", { namePrefix, role: role.name, tags });
  return { role, instanceProfile };
}

/** Lets a node set its own status tag, and only on instances of its cluster. */
export function statusTagStatement(partition: string, clusterName: string) {
  return {
    sid: "BootstrapStatusTag",
    actions: ["ec2:CreateTags"],
    resources: [`arn:${partition}:ec2:*:*:instance/*`],
    condition: [
      { test: "StringEquals", variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [clusterName] },
      { test: "ForAllValues:StringEquals", variable: "aws:TagKeys", values: [STATUS_TAG] },
    ],
  };
}

/**
 * A security group named by prefix (AWS adds a unique suffix) and replaced create-before-destroy: a
 * change that replaces it (its description, its VPC) never fails on a name still taken by the old one.
 * The name shows in the console as NAME-<suffix>; the Name tag is NAME.
 */
export function clusterSecurityGroup(
  scope: Construct,
  id: string,
  props: { name: string; description: string; vpcId: string; tags: Record<string, string> },
): SecurityGroup {
  return new SecurityGroup(scope, id, {
    namePrefix: `${props.name}-`,
    description: props.description,
    vpcId: props.vpcId,
    tags: { ...props.tags, Name: props.name },
    lifecycle: { createBeforeDestroy: true },
  });
}

export interface ClusterSecretProps {
  readonly namePrefix: string;
  readonly description: string;
  /** ARNs of the roles that read the value; `undefined` leaves reading to the account's IAM policies (the admin kubeconfig, read by operators). */
  readonly readers: string[] | undefined;
  /** ARNs of the roles that write the value. */
  readonly writers: string[];
  readonly secrets: SecretsSpec;
  readonly tags: Record<string, string>;
}

/**
 * A secret created empty (its value is born on a node, never in Terraform), encrypted with the
 * cluster's key when one is given, with a resource policy that denies reading to everyone but its
 * readers and writing to everyone but its writers (and the break-glass principals), whatever an IAM
 * policy elsewhere in the account allows. Managing the secret (describe, tag, delete) stays with IAM.
 */
export function clusterSecret(scope: Construct, id: string, props: ClusterSecretProps): SecretsmanagerSecret {
  const secret = new SecretsmanagerSecret(scope, id, {
    // A unique suffix, so a re-created cluster never collides with a secret pending deletion.
    namePrefix: props.namePrefix,
    description: props.description,
    recoveryWindowInDays: 7,
    kmsKeyId: props.secrets.kmsKeyArn,
    tags: props.tags,
  });
  const breakGlass = props.secrets.breakGlassPrincipalArns;
  const denyUnless = (sid: string, action: string, principals: string[]) => ({
    sid,
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions: [action],
    resources: ["*"],
    condition: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: [...principals, ...breakGlass] }],
  });
  const statement = [denyUnless("OnlyItsWritersWrite", "secretsmanager:PutSecretValue", props.writers)];
  if (props.readers)
    statement.push(
      denyUnless("OnlyItsReadersRead", "secretsmanager:GetSecretValue", [...props.readers, ...props.writers]),
    );
  const policy = new DataAwsIamPolicyDocument(scope, `${id}-resource-policy`, { statement });
  new SecretsmanagerSecretPolicy(scope, `${id}-policy`, { secretArn: secret.arn, policy: policy.json });
  return secret;
}

/** Use of the cluster's KMS key through Secrets Manager only: decrypt to read, also generate data keys to write. */
export function secretKeyStatements(secrets: SecretsSpec, region: string, write: boolean) {
  if (secrets.kmsKeyArn === undefined) return [];
  return [
    {
      sid: write ? "SecretKeyReadWrite" : "SecretKeyRead",
      actions: write ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      resources: [secrets.kmsKeyArn],
      condition: [
        { test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${region}.amazonaws.com`] },
      ],
    },
  ];
}

/** A node's role, its instance profile, and the policy its first boot must wait for. */
export interface NodeIdentity {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  readonly policy: IamRolePolicy;
}

/** Gives a node role (nodeRole) its one inline policy: these statements plus the status-tag statement. */
export function withNodePolicy(
  scope: Construct,
  node: Omit<NodeIdentity, "policy">,
  policyName: string,
  statements: DataAwsIamPolicyDocumentStatement[],
  cluster: { readonly partition: string; readonly clusterName: string },
): NodeIdentity {
  const permissions = new DataAwsIamPolicyDocument(scope, "permissions", {
    statement: [...statements, statusTagStatement(cluster.partition, cluster.clusterName)],
  });
  const policy = new IamRolePolicy(scope, "policy", { role: node.role.id, name: policyName, policy: permissions.json });
  return { ...node, policy };
}
