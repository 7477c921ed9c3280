/**
 * The framework-free description (lib/model) as AWS CDK resources: security-group rules, policy
 * statements, the hardened instance, the empty cluster secret. The AWS CDK flavour's one place for each.
 */
import { RemovalPolicy, Tags } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct, IDependable } from "constructs";
import {
  CLUSTER_TAG,
  everyNodeStatements,
  PolicyReferences,
  PolicyStatement,
  SecurityGroupRole,
  SecurityGroupRule,
  secretResourceStatements,
  sessionManagerStatements,
  ubuntuImageParameter,
} from "../../model";
import { encodeUserData } from "../../render/user-data";
import { Architecture, SecretsSpec } from "../../cluster-spec";
import type { IKubeadmCluster } from "../cluster-interface";

/** A node role and the policy its instances wait for (its own statements plus every node's). */
export interface NodeIdentity {
  readonly role: iam.Role;
  readonly policy: iam.Policy;
}

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
  Tags.of(group).add("Name", description.name);
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

/** A node role's identity: its policy holds these statements plus what every node may do; its instances wait for it. */
export function withNodePolicy(
  scope: Construct,
  id: string,
  role: iam.Role,
  props: { policyName: string; statements: PolicyStatement[]; refs: PolicyReferences },
): NodeIdentity {
  const policy = new iam.Policy(scope, id, {
    policyName: props.policyName,
    document: policyDocument([...props.statements, ...everyNodeStatements(props.refs)]),
  });
  role.attachInlinePolicy(policy);
  return { role, policy };
}

/**
 * A secret created empty (its value is born on a node, never in the template), encrypted with the
 * cluster's key when one is given, with the model's resource policy (only its readers read, only its
 * writers write, whatever else the account allows).
 */
export function clusterSecret(
  scope: Construct,
  id: string,
  props: {
    description: string;
    readers: string[] | undefined;
    writers: string[];
    secrets: SecretsSpec;
    /**
     * It holds the cluster's roots (CA keys): CloudFormation keeps it, and its resource policy, when the
     * stack is deleted or the secret replaced (it would delete it at once, with no recovery window).
     */
    holdsRoots: boolean;
  },
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
  if (props.holdsRoots) {
    secret.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // A kept secret stays readable by none but the break-glass principals (the roles it names are gone).
    for (const policy of secret.node.findAll())
      if (policy instanceof secretsmanager.CfnResourcePolicy) policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
  return secret;
}

/** A node of the cluster: where it is, what it is, what it runs. */
export interface ClusterInstanceProps {
  /** Its Name tag. */
  readonly name: string;
  readonly subnetIndex: number;
  readonly privateIp: string;
  readonly instanceType: string;
  readonly architecture: Architecture;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly role: iam.IRole;
  /** What its first boot needs besides the cluster's boot prerequisites (its role's policies). */
  readonly waitFor: IDependable[];
  /** Its cloud-config, compressed and encoded here (EC2's limit checked at synth). */
  readonly userData: string;
  readonly rootVolumeSizeGiB: number;
  /** Tags besides Name (its role in the cluster, its index). */
  readonly tags: Record<string, string>;
  /** @default true */
  readonly sourceDestCheck?: boolean;
  /**
   * Its primary interface carries the cluster's tag: the interface a secondary-IP VIP may be assigned to
   * (the IAM condition that names the interface checks the tag). The other nodes' interfaces do not.
   * @default false
   */
  readonly taggedInterface?: boolean;
}

/** The given image in every region (a stack without a region cannot key a map by it). */
function fixedImage(imageId: string): ec2.IMachineImage {
  return {
    getImage: () => ({ imageId, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }),
  };
}

/**
 * The given image, or Canonical's Ubuntu for the architecture resolved by EC2 at launch: not a template
 * parameter CloudFormation re-reads on every deploy, so a new Ubuntu image never replaces a running node
 * (a fixed address would still be taken) nor rolls a pool by itself.
 */
export function nodeImage(imageId: string | undefined, architecture: Architecture): ec2.IMachineImage {
  return imageId
    ? fixedImage(imageId)
    : ec2.MachineImage.resolveSsmParameterAtLaunch(ubuntuImageParameter(architecture));
}

/**
 * An EC2 instance with the project's security defaults: IMDSv2 only with hop limit 1 (pods cannot
 * borrow the node's role), an encrypted gp3 root volume, no SSH key, and the user data fixed at synth.
 * It waits for the cluster's boot prerequisites and its own.
 */
export function clusterInstance(
  scope: Construct,
  id: string,
  cluster: IKubeadmCluster,
  props: ClusterInstanceProps,
): ec2.Instance {
  const subnet = cluster.network.privateSubnets[props.subnetIndex];
  const instance = new ec2.Instance(scope, id, {
    instanceName: props.name,
    vpc: cluster.network.vpc,
    vpcSubnets: { subnets: [subnet] },
    privateIpAddress: props.privateIp,
    instanceType: new ec2.InstanceType(props.instanceType),
    machineImage: nodeImage(cluster.spec.imageId, props.architecture),
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
  const cfn = instance.node.defaultChild as ec2.CfnInstance;
  // Already base64 (of gzip, which CloudFormation cannot make): given to EC2 as it is, not through Fn::Base64.
  cfn.addPropertyOverride("UserData", encodeUserData(props.userData, props.name));
  // The cluster's tag also where a construct is used without KubeadmCluster: the status tag's IAM condition checks it.
  for (const [key, value] of Object.entries({ ...props.tags, [CLUSTER_TAG]: cluster.spec.clusterName }))
    Tags.of(instance).add(key, value);
  cluster.addressHolders.add(primaryInterface(scope, `${id}-interface`, instance, cluster, props, subnet));
  // The instance itself waits, not its instance profile.
  cfn.node.addDependency(...props.waitFor, ...cluster.bootPrerequisites);
  return instance;
}

/** Each node's primary interface, for what another construct adds to it (a VIP held as a secondary address). */
const PRIMARY_INTERFACES = new WeakMap<ec2.Instance, ec2.CfnNetworkInterface>();

export function primaryInterfaceOf(instance: ec2.Instance): ec2.CfnNetworkInterface {
  const found = PRIMARY_INTERFACES.get(instance);
  if (!found) throw new Error(`${instance.node.path} was not made by clusterInstance`);
  return found;
}

/**
 * The instance's primary interface as its own resource, attached as device 0: it holds the node's fixed
 * address from its creation on, whatever the instance does, and the load balancers are made after it.
 * (AWS::EC2::SubnetCidrReservation would hold it without an interface, but CloudFormation lacks that type
 * in some commercial regions: aws-cdk-lib's regional schemas, test/aws-cdk/regions.test.ts.)
 */
function primaryInterface(
  scope: Construct,
  id: string,
  instance: ec2.Instance,
  cluster: IKubeadmCluster,
  props: ClusterInstanceProps,
  subnet: ec2.ISubnet,
): ec2.CfnNetworkInterface {
  const cfn = instance.node.defaultChild as ec2.CfnInstance;
  const networkInterface = new ec2.CfnNetworkInterface(scope, id, {
    description: `The primary interface of ${props.name}`,
    subnetId: subnet.subnetId,
    privateIpAddress: props.privateIp,
    // The instance's own group list, resolved at synth: `instance.addSecurityGroup` still takes effect.
    groupSet: cfn.securityGroupIds,
    sourceDestCheck: props.sourceDestCheck,
  });
  Tags.of(networkInterface).add("Name", props.name);
  // Only a VIP peer's interface carries the tag the VIP statement's condition checks (it outranks the cluster-wide tag).
  if (props.taggedInterface) Tags.of(networkInterface).add(CLUSTER_TAG, cluster.spec.clusterName);
  else Tags.of(networkInterface).remove(CLUSTER_TAG);
  // Where the interface is now says the interface, not the instance (EC2 refuses both; its subnet gives the zone).
  for (const property of ["SubnetId", "AvailabilityZone", "PrivateIpAddress", "SecurityGroupIds", "SourceDestCheck"])
    cfn.addPropertyDeletionOverride(property);
  cfn.addPropertyOverride("NetworkInterfaces", [{ NetworkInterfaceId: networkInterface.ref, DeviceIndex: "0" }]);
  PRIMARY_INTERFACES.set(instance, networkInterface);
  return networkInterface;
}

/**
 * Chains the nodes of one kind so that CloudFormation creates, updates and deletes them one at a time.
 * It has no ignore_changes: a user-data change (a library upgrade that changes a script) stops and
 * starts each instance, and instances that do not depend on each other are updated together, which
 * would stop every etcd member at once.
 */
export function oneAtATime(nodes: ec2.Instance[]): ec2.Instance[] {
  nodes.forEach((node, i) => {
    if (i > 0) node.instance.node.addDependency(nodes[i - 1].instance);
  });
  return nodes;
}
