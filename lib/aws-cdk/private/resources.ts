/**
 * The framework-free description (lib/model) as AWS CDK resources: security-group rules, policy
 * statements, the hardened instance, the empty cluster secret. The AWS CDK flavour's one place for each.
 */
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import {
  everyNodeStatements,
  PolicyReferences,
  PolicyStatement,
  SecurityGroupRole,
  SecurityGroupRule,
  secretResourceStatements,
  sessionManagerStatements,
  ubuntuImageParameter,
} from "../../model";
import { Architecture, SecretsSpec } from "../../spec";

/** A model statement as an IAM policy statement. */
export function policyStatement(statement: PolicyStatement): iam.PolicyStatement {
  const conditions: Record<string, Record<string, string[]>> = {};
  for (const c of statement.condition ?? []) conditions[c.test] = { ...conditions[c.test], [c.variable]: c.values };
  return new iam.PolicyStatement({
    sid: statement.sid,
    effect: statement.effect === "Deny" ? iam.Effect.DENY : iam.Effect.ALLOW,
    actions: statement.actions,
    resources: statement.resources,
    conditions: statement.condition ? conditions : undefined,
    principals: statement.principals ? [new iam.AnyPrincipal()] : undefined,
  });
}

export function policyDocument(statements: PolicyStatement[]): iam.PolicyDocument {
  return new iam.PolicyDocument({ statements: statements.map(policyStatement) });
}

/** The model's rules on AWS CDK security groups (each with its reason as the description). */
export function addSecurityGroupRules(
  rules: SecurityGroupRule[],
  groupOf: (role: SecurityGroupRole) => ec2.ISecurityGroup,
): void {
  for (const rule of rules) {
    const group = groupOf(rule.group);
    const peer = "cidr" in rule.peer ? ec2.Peer.ipv4(rule.peer.cidr) : groupOf(rule.peer.group);
    const port =
      rule.protocol === "-1"
        ? ec2.Port.allTraffic()
        : rule.protocol === "tcp" && rule.ports
          ? rule.ports.from === rule.ports.to
            ? ec2.Port.tcp(rule.ports.from)
            : ec2.Port.tcpRange(rule.ports.from, rule.ports.to)
          : new ec2.Port({
              protocol: rule.protocol as ec2.Protocol,
              stringRepresentation: `protocol ${rule.protocol}`,
            });
    if (rule.direction === "ingress") group.addIngressRule(peer, port, rule.description);
    else group.addEgressRule(peer, port, rule.description);
  }
}

/** A security group without AWS's allow-all egress: the model's rules are all it allows. */
export function clusterSecurityGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  description: { name: string; description: string },
): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, id, {
    vpc,
    description: description.description,
    allowAllOutbound: false,
  });
  group.node.addMetadata("kubeadm-ha:name", description.name);
  return group;
}

/** An EC2 role with SSM Session Manager access (instead of SSH); its node policy comes with attachNodePolicy. */
export function nodeRole(scope: Construct, id: string, description: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
    description,
    inlinePolicies: { "kubeadm-ha-session-manager": policyDocument(sessionManagerStatements()) },
  });
}

/** A node role's policy: these statements plus what every node may do; the role's instances wait for it. */
export function attachNodePolicy(
  scope: Construct,
  id: string,
  role: iam.Role,
  props: { policyName: string; statements: PolicyStatement[]; refs: PolicyReferences },
): iam.Policy {
  const policy = new iam.Policy(scope, id, {
    policyName: props.policyName,
    document: policyDocument([...props.statements, ...everyNodeStatements(props.refs)]),
  });
  role.attachInlinePolicy(policy);
  return policy;
}

/**
 * A secret created empty (its value is born on a node, never in the template), encrypted with the
 * cluster's key when one is given, with the model's resource policy (only its readers read, only its
 * writers write, whatever else the account allows).
 */
export function clusterSecret(
  scope: Construct,
  id: string,
  props: { description: string; readers: string[] | undefined; writers: string[]; secrets: SecretsSpec },
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: props.description,
    encryptionKey: props.secrets.kmsKeyArn
      ? kms.Key.fromKeyArn(scope, `${id}-key`, props.secrets.kmsKeyArn)
      : undefined,
  });
  // The L2 secret generates a value by default: this one has none until its node writes it.
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride("GenerateSecretString");
  const statements = secretResourceStatements({
    readers: props.readers,
    writers: props.writers,
    breakGlass: props.secrets.breakGlassPrincipalArns,
  });
  for (const statement of statements) secret.addToResourcePolicy(policyStatement(statement));
  return secret;
}

export interface NodeInstanceProps {
  readonly vpc: ec2.IVpc;
  readonly subnet: ec2.ISubnet;
  readonly privateIp: string;
  readonly instanceType: string;
  readonly architecture: Architecture;
  readonly imageId?: string;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly role: iam.IRole;
  /** base64 of the gzipped cloud-config (encodeUserData): EC2 takes it as it is. */
  readonly userDataBase64: string;
  readonly rootVolumeSizeGiB: number;
  readonly sourceDestCheck?: boolean;
}

/** The given image in every region (a stack without a region cannot key a map by it). */
function fixedImage(imageId: string): ec2.IMachineImage {
  return {
    getImage: () => ({ imageId, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }),
  };
}

/**
 * An EC2 instance with the project's security defaults: IMDSv2 only with hop limit 1 (pods cannot
 * borrow the node's role), an encrypted gp3 root volume, no SSH key, and the user data fixed at synth.
 */
export function hardenedInstance(scope: Construct, id: string, props: NodeInstanceProps): ec2.Instance {
  const instance = new ec2.Instance(scope, id, {
    vpc: props.vpc,
    vpcSubnets: { subnets: [props.subnet] },
    privateIpAddress: props.privateIp,
    instanceType: new ec2.InstanceType(props.instanceType),
    machineImage: props.imageId
      ? fixedImage(props.imageId)
      : // Resolved by EC2 at launch, not a template parameter CloudFormation re-reads on every deploy: a
        // new Ubuntu image then never replaces a running node (its fixed address would still be taken).
        ec2.MachineImage.resolveSsmParameterAtLaunch(ubuntuImageParameter(props.architecture)),
    securityGroup: props.securityGroup,
    role: props.role,
    httpEndpoint: true,
    httpTokens: ec2.HttpTokens.REQUIRED,
    httpPutResponseHopLimit: 1,
    instanceMetadataTags: false,
    sourceDestCheck: props.sourceDestCheck,
    blockDevices: [
      {
        deviceName: "/dev/sda1",
        volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeSizeGiB, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      },
    ],
    propagateTagsToVolumeOnCreation: true,
  });
  // Already base64 (of gzip, which CloudFormation cannot make): given to EC2 as it is, not through Fn::Base64.
  (instance.node.defaultChild as ec2.CfnInstance).addPropertyOverride("UserData", props.userDataBase64);
  return instance;
}
