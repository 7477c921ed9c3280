import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Instance, InstanceConfig } from "@cdktf/provider-aws/lib/instance";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import {
  addressReservations,
  PolicyReferences,
  PolicyStatement,
  STATUS_TAG,
  SecurityGroupRole,
  SecurityGroupRule,
  everyNodeStatements,
  secretResourceStatements,
  sessionManagerStatements,
} from "../../model";
import { ClusterSpec, SecretsSpec } from "../../cluster-spec";

/** Reserves every fixed node address in its subnet (lib/model: addressReservations says which and why). */
export function reserveNodeAddresses(
  scope: Construct,
  spec: ClusterSpec,
  subnetIds: string[],
): Ec2SubnetCidrReservation[] {
  return addressReservations(spec).map(
    (r) =>
      new Ec2SubnetCidrReservation(scope, `address-${r.id}`, {
        subnetId: subnetIds[r.subnetIndex],
        cidrBlock: r.cidr,
        reservationType: "explicit",
        description: r.description,
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
 * remove it). Changes to any of these roll one node at a time, by hand (docs/operating.md: Changing a running cluster).
 */
export const INSTANCE_IGNORED_CHANGES = [
  "ami",
  "user_data",
  "user_data_base64",
  "instance_type",
  `tags["${STATUS_TAG}"]`,
  `tags_all["${STATUS_TAG}"]`,
];

/** IMDSv2 only, with a hop limit of 1 (a pod cannot reach it to borrow the node's role), without tags. */
export const INSTANCE_METADATA = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
};

/**
 * An EC2 instance with the project's security defaults: IMDSv2 only (hop limit 1, so pods cannot
 * borrow the node's role), encrypted gp3 root volume, no SSH key, and the changes in
 * INSTANCE_IGNORED_CHANGES left to the node or to a rolling replacement.
 */
export function hardenedInstance(scope: Construct, id: string, config: NodeInstanceConfig): Instance {
  const { rootVolumeSizeGiB, ...rest } = config;
  return new Instance(scope, id, {
    ...rest,
    metadataOptions: INSTANCE_METADATA,
    rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: rootVolumeSizeGiB, deleteOnTermination: true },
    lifecycle: { ignoreChanges: INSTANCE_IGNORED_CHANGES },
  });
}

/** An EC2 role and instance profile with SSM Session Manager access (instead of SSH). */
export function nodeRole(scope: Construct, namePrefix: string, description: string, tags: Record<string, string>) {
  const assume = new DataAwsIamPolicyDocument(scope, "assume-role", {
    statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] }],
  });
  const role = new IamRole(scope, "role", { namePrefix, description, assumeRolePolicy: assume.json, tags });
  const sessionManager = new DataAwsIamPolicyDocument(scope, "session-manager-permissions", {
    statement: sessionManagerStatements(),
  });
  new IamRolePolicy(scope, "session-manager", {
    role: role.id,
    name: "kubeadm-ha-session-manager",
    policy: sessionManager.json,
  });
  const instanceProfile = new IamInstanceProfile(scope, "instance-profile", { namePrefix, role: role.name, tags });
  return { role, instanceProfile };
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
  const statement = secretResourceStatements({
    readers: props.readers,
    writers: props.writers,
    breakGlass: props.secrets.breakGlassPrincipalArns,
  });
  const policy = new DataAwsIamPolicyDocument(scope, `${id}-resource-policy`, { statement });
  new SecretsmanagerSecretPolicy(scope, `${id}-policy`, { secretArn: secret.arn, policy: policy.json });
  return secret;
}

/** A node's role, its instance profile, and the policy its first boot must wait for. */
export interface NodeIdentity {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  readonly policy: IamRolePolicy;
}

/** Gives a node role (nodeRole) its one inline policy: these statements plus everyNodeStatements. */
export function withNodePolicy(
  scope: Construct,
  node: Omit<NodeIdentity, "policy">,
  policyName: string,
  statements: PolicyStatement[],
  refs: PolicyReferences,
): NodeIdentity {
  const permissions = new DataAwsIamPolicyDocument(scope, "permissions", {
    statement: [...statements, ...everyNodeStatements(refs)],
  });
  const policy = new IamRolePolicy(scope, "policy", { role: node.role.id, name: policyName, policy: permissions.json });
  return { ...node, policy };
}

/** The rules of the model (lib/model/security-groups.ts) as cdktf resources, each with the rule's id. */
export function securityGroupRules(
  scope: Construct,
  rules: SecurityGroupRule[],
  groupId: (role: SecurityGroupRole) => string,
): (VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule)[] {
  return rules.map((rule) => {
    const config = {
      securityGroupId: groupId(rule.group),
      description: rule.description,
      ipProtocol: rule.protocol,
      fromPort: rule.ports?.from,
      toPort: rule.ports?.to,
      ...("cidr" in rule.peer ? { cidrIpv4: rule.peer.cidr } : { referencedSecurityGroupId: groupId(rule.peer.group) }),
    };
    return rule.direction === "ingress"
      ? new VpcSecurityGroupIngressRule(scope, rule.id, config)
      : new VpcSecurityGroupEgressRule(scope, rule.id, config);
  });
}
