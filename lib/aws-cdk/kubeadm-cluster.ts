import { Aws, CfnOutput, Duration, Fn, Stack, Tags, Token } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as elbv2Targets from "aws-cdk-lib/aws-elasticloadbalancingv2-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as route53Targets from "aws-cdk-lib/aws-route53-targets";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import {
  apiTargetGroup,
  claimClusterName,
  CLUSTER_TAG,
  controlPlaneMemberStatements,
  controlPlaneSeedStatements,
  describeSecurityGroups,
  etcdClientStatements,
  etcdMemberStatements,
  etcdSeedStatements,
  identityDescriptions,
  PolicyReferences,
  vipStatements,
  SecurityGroupRole,
  STATUS_TAG,
} from "../model";
import {
  checkDeploySettingsSize,
  encodeUserData,
  EndpointAddress,
  renderClusterDeploySettings,
  renderControlPlaneUserData,
  renderEtcdMemberUserData,
  renderLoadBalancerUserData,
  STANDARD_PARAMETER_LIMIT,
} from "../render";
import { loadNodeScripts } from "../private/node-scripts";
import {
  ClusterInput,
  ClusterSpec,
  ClusterSpecError,
  deploySettingsParameterName,
  ExternalEtcdSpec,
  instanceArchitecture,
  KeepalivedEndpointSpec,
  NlbEndpointSpec,
  resolveClusterSpec,
  SpecProblem,
} from "../spec";
import {
  addSecurityGroupRules,
  attachNodePolicy,
  clusterSecret,
  clusterSecurityGroup,
  hardenedInstance,
  nodeRole,
  policyDocument,
} from "./private/resources";
import { acknowledgeFindings } from "./private/findings";
import { ClusterVpc } from "./vpc";

/** Props of the AWS CDK KubeadmCluster: the same props as the cdktf construct's, with the same defaults and checks. */
export type KubeadmClusterProps = ClusterInput;

/** An AWS CDK token inside a string. */
const TOKEN_IN_STRING = /\$\{Token\[[^\]]+\]\}/;

/**
 * A highly available kubeadm control plane for AWS CDK (CloudFormation): the same spec, user data,
 * node scripts, security-group rules and IAM statements as the cdktf flavour, from the same core.
 * Nodes behind an internal NLB (with its own name in a private zone; with `internetFacing`, a second NLB
 * for `allowedCidrs`), with stacked or external etcd.
 */
export class KubeadmCluster extends Construct implements ec2.IConnectable {
  readonly spec: ClusterSpec;
  readonly vpc: ClusterVpc;
  /** The control plane's security group: `cluster.connections.allowFrom(...)` opens the nodes to more. */
  readonly connections: ec2.Connections;
  readonly controlPlaneNodes: ec2.Instance[];
  readonly etcdMembers: ec2.Instance[] = [];
  /** The internal NLB, which the nodes use (an NLB endpoint). */
  readonly loadBalancer?: elbv2.NetworkLoadBalancer;
  /** keepalived + HAProxy on dedicated load balancers (`placement: "dedicated"`). */
  readonly apiLoadBalancers: ec2.Instance[] = [];
  /** With `internetFacing`: the NLB in the public subnets that `allowedCidrs` reach. */
  readonly publicLoadBalancer?: elbv2.NetworkLoadBalancer;
  readonly joinSecret: secretsmanager.Secret;
  /** Node 0 stores the admin kubeconfig here after `kubeadm init`. */
  readonly adminKubeconfigSecret: secretsmanager.Secret;
  /** The SSM parameter every node reads at boot: the ARNs and names that exist only once deployed. */
  readonly deploySettings: ssm.StringParameter;
  /** The endpoint: its host as the nodes and the certificate know it, and its port. */
  readonly endpoint: EndpointAddress;

  private readonly groups = new Map<SecurityGroupRole, ec2.SecurityGroup>();
  private readonly refs: PolicyReferences;
  private secrets?: { join: secretsmanager.Secret; admin: secretsmanager.Secret };
  private etcdSecrets?: { ca: secretsmanager.Secret; client: secretsmanager.Secret };
  /** keepalived in route mode: the route tables holding the VIP's /32 route. */
  private vipRouteTableIds: string[] = [];

  constructor(scope: Construct, id: string, props: KubeadmClusterProps = {}) {
    // Validate everything first: a bad prop must fail before any construct exists, this one included.
    const spec = resolveClusterSpec(props, { isUnresolved: (value) => Token.isUnresolved(value) });
    checkSupported(spec);
    claimClusterName(scope, scope.node.path ? `${scope.node.path}/${id}` : id, spec.clusterName);
    super(scope, id);
    this.spec = spec;
    Tags.of(this).add(CLUSTER_TAG, spec.clusterName);
    for (const [key, value] of Object.entries(spec.tags)) Tags.of(this).add(key, value);

    this.vpc = new ClusterVpc(this, "network", spec);
    this.securityGroups();
    this.connections = new ec2.Connections({ securityGroups: [this.groups.get("control-plane")!] });
    const deploySettingsName = deploySettingsParameterName(spec.clusterName);
    this.refs = {
      partition: Aws.PARTITION,
      region: Aws.REGION,
      clusterName: spec.clusterName,
      deploySettingsArn: Stack.of(this).formatArn({
        service: "ssm",
        resource: "parameter",
        resourceName: deploySettingsName.slice(1),
      }),
      kmsKeyArn: spec.secrets.kmsKeyArn,
    };
    const reservations = this.addressReservations();
    const identities = this.controlPlaneIdentity();
    this.joinSecret = this.secrets!.join;
    this.adminKubeconfigSecret = this.secrets!.admin;
    if (spec.etcd.topology === "external") this.etcdCluster(spec.etcd, identities);
    if (spec.endpoint.type === "nlb") {
      this.loadBalancer = this.apiLoadBalancer({ internal: true }, reservations);
      if (spec.endpoint.internetFacing)
        this.publicLoadBalancer = this.apiLoadBalancer({ internal: false }, reservations);
      this.endpoint = this.endpointName();
    } else {
      this.endpoint = { host: spec.endpoint.virtualIp, port: spec.endpoint.port };
      this.vipRouteTableIds = spec.endpoint.routeTableIds ?? this.vpc.routeTableIds;
      if (spec.endpoint.placement === "dedicated") this.apiLoadBalancerPeers(spec.endpoint);
      else for (const identity of identities) identity.policies.push(this.vipPolicy(identity.role));
    }
    this.controlPlaneNodes = this.controlPlaneInstances(identities);
    if (spec.endpoint.type === "nlb") this.registerTargets();
    else this.vipRoutes(spec.endpoint.placement === "dedicated" ? this.apiLoadBalancers[0] : this.controlPlaneNodes[0]);
    this.deploySettings = this.deploySettingsParameter(deploySettingsName);
    for (const node of [...this.controlPlaneNodes, ...this.apiLoadBalancers, ...this.etcdMembers]) {
      node.node.addDependency(this.deploySettings, ...reservations, ...this.vpc.egress);
    }
    this.outputs();
    acknowledgeFindings(this);
  }

  /** One hardened instance per control-plane node, with its user data and its identity (node 0's or the others'). */
  private controlPlaneInstances(identities: NodeIdentity[]): ec2.Instance[] {
    const spec = this.spec;
    return spec.controlPlane.map((node) => {
      const identity = identities[node.index === 0 ? 0 : 1];
      const instance = hardenedInstance(this, `control-plane-${node.index}`, {
        vpc: this.vpc.vpc,
        subnet: this.vpc.privateSubnets[node.subnetIndex],
        privateIp: node.privateIp,
        instanceType: spec.instanceType,
        architecture: instanceArchitecture(spec.instanceType),
        imageId: spec.imageId,
        securityGroup: this.groups.get("control-plane")!,
        role: identity.role,
        userDataBase64: encodeUserData(
          renderControlPlaneUserData({ spec, node, endpoint: this.endpoint }, loadNodeScripts()),
          node.name,
        ),
        rootVolumeSizeGiB: spec.rootVolumeSizeGiB,
        // A colocated peer in route mode receives traffic for the VIP, which is not its own address.
        sourceDestCheck:
          spec.endpoint.type === "keepalived" && spec.endpoint.placement === "colocated" ? false : undefined,
      });
      instance.node.addDependency(...identity.policies);
      tagNode(instance, node.name, node.index, "control-plane");
      return instance;
    });
  }

  /** Lets `grantee` read the admin kubeconfig (operators, a CI role). */
  grantAdminKubeconfigRead(grantee: iam.IGrantable): iam.Grant {
    return this.adminKubeconfigSecret.grantRead(grantee);
  }

  /** Every group of the model, and every rule of the model in them. */
  private securityGroups() {
    const plan = describeSecurityGroups(this.spec);
    for (const group of plan.groups) {
      const sg = clusterSecurityGroup(this, `${group.role}-security-group`, this.vpc.vpc, group);
      Tags.of(sg).add("Name", group.name);
      this.groups.set(group.role, sg);
    }
    addSecurityGroupRules(plan.rules, (role) => this.groups.get(role)!);
  }

  /** Every fixed node address, reserved in its subnet before the load balancer and the instances. */
  private addressReservations(): ec2.CfnSubnetCidrReservation[] {
    const endpoint = this.spec.endpoint;
    const nodes = [
      ...this.spec.controlPlane.map((n) => ({ id: `control-plane-${n.index}`, ...n })),
      ...(endpoint.type === "keepalived" && endpoint.placement === "dedicated"
        ? endpoint.peers.map((p) => ({ id: `load-balancer-${p.index}`, ...p }))
        : []),
      ...(this.spec.etcd.topology === "external"
        ? this.spec.etcd.members.map((m) => ({ id: `etcd-${m.index}`, ...m }))
        : []),
    ];
    return nodes.map(
      (n) =>
        new ec2.CfnSubnetCidrReservation(this, `address-${n.id}`, {
          subnetId: this.vpc.privateSubnets[n.subnetIndex].subnetId,
          cidr: `${n.privateIp}/32`,
          reservationType: "explicit",
          description: `${n.name}, a node of ${this.spec.clusterName}`,
        }),
    );
  }

  /** Node 0's role (reads and writes the join secret, writes the admin kubeconfig) and the others' (read the join secret). */
  private controlPlaneIdentity(): NodeIdentity[] {
    const { clusterName, secrets } = this.spec;
    const described = identityDescriptions(clusterName);
    const seedRole = nodeRole(this, "control-plane-seed-role", described.roles.controlPlaneSeed);
    const memberRole = nodeRole(this, "control-plane-role", described.roles.controlPlane);
    // The secrets' policies name the roles and the roles' policies name the secrets: separate resources, no cycle.
    const join = clusterSecret(this, "join-secret", {
      description: described.secrets.join,
      readers: [memberRole.roleArn],
      writers: [seedRole.roleArn],
      secrets,
    });
    const admin = clusterSecret(this, "admin-kubeconfig", {
      description: described.secrets.adminKubeconfig,
      readers: undefined,
      writers: [seedRole.roleArn],
      secrets,
    });
    this.secrets = { join, admin };
    const policyName = "kubeadm-ha-control-plane";
    const seedStatements = controlPlaneSeedStatements(this.refs, {
      joinSecretArn: join.secretArn,
      adminKubeconfigSecretArn: admin.secretArn,
    });
    return [
      {
        role: seedRole,
        policies: [
          attachNodePolicy(this, "control-plane-seed-policy", seedRole, {
            policyName,
            statements: seedStatements,
            refs: this.refs,
          }),
        ],
      },
      {
        role: memberRole,
        policies: [
          attachNodePolicy(this, "control-plane-policy", memberRole, {
            policyName,
            statements: controlPlaneMemberStatements(this.refs, join.secretArn),
            refs: this.refs,
          }),
        ],
      },
    ];
  }

  /** External etcd: the members, their secrets (the CA, the API servers' client certificate) and roles. */
  private etcdCluster(etcd: ExternalEtcdSpec, controlPlane: NodeIdentity[]) {
    const { clusterName, secrets } = this.spec;
    const described = identityDescriptions(clusterName);
    const seedRole = nodeRole(this, "etcd-seed-role", described.roles.etcdSeed);
    const memberRole = nodeRole(this, "etcd-role", described.roles.etcd);
    const ca = clusterSecret(this, "etcd-ca", {
      description: described.secrets.etcdCa,
      readers: [memberRole.roleArn],
      writers: [seedRole.roleArn],
      secrets,
    });
    const client = clusterSecret(this, "etcd-client", {
      description: described.secrets.etcdClient,
      readers: controlPlane.map((identity) => identity.role.roleArn),
      writers: [seedRole.roleArn],
      secrets,
    });
    this.etcdSecrets = { ca, client };
    const policyName = "kubeadm-ha-etcd";
    const seed = attachNodePolicy(this, "etcd-seed-policy", seedRole, {
      policyName,
      statements: etcdSeedStatements(this.refs, { caSecretArn: ca.secretArn, clientSecretArn: client.secretArn }),
      refs: this.refs,
    });
    const others = attachNodePolicy(this, "etcd-policy", memberRole, {
      policyName,
      statements: etcdMemberStatements(this.refs, ca.secretArn),
      refs: this.refs,
    });
    const clientPolicy = new iam.Policy(this, "control-plane-etcd-client-policy", {
      policyName: "kubeadm-ha-etcd-client",
      document: policyDocument(etcdClientStatements(this.refs, client.secretArn)),
    });
    for (const identity of controlPlane) {
      identity.role.attachInlinePolicy(clientPolicy);
      identity.policies.push(clientPolicy);
    }
    for (const member of etcd.members) {
      const [role, policy] = member.index === 0 ? [seedRole, seed] : [memberRole, others];
      const instance = hardenedInstance(this, `etcd-member-${member.index}`, {
        vpc: this.vpc.vpc,
        subnet: this.vpc.privateSubnets[member.subnetIndex],
        privateIp: member.privateIp,
        instanceType: etcd.instanceType,
        architecture: etcd.architecture,
        imageId: this.spec.imageId,
        securityGroup: this.groups.get("etcd")!,
        role,
        userDataBase64: encodeUserData(
          renderEtcdMemberUserData({ spec: this.spec, member }, loadNodeScripts()),
          member.name,
        ),
        rootVolumeSizeGiB: etcd.rootVolumeSizeGiB,
      });
      instance.node.addDependency(policy);
      tagNode(instance, member.name, member.index, "etcd");
      this.etcdMembers.push(instance);
    }
  }

  /**
   * An NLB: TCP to instance targets, HTTPS /readyz health checks, unhealthy targets drained, cross-zone
   * on. The nodes always use the internal one; `internetFacing` adds one in the public subnets for
   * `allowedCidrs`. Construct ids prefixed "public-" for that one, as in the cdktf flavour.
   */
  private apiLoadBalancer(
    options: { internal: boolean },
    reservations: ec2.CfnSubnetCidrReservation[],
  ): elbv2.NetworkLoadBalancer {
    const endpoint = this.spec.endpoint as NlbEndpointSpec;
    const [prefix, name, role, subnets] = options.internal
      ? (["", `${this.spec.clusterName}-api`, "api-endpoint", this.vpc.privateSubnets] as const)
      : (["public-", `${this.spec.clusterName}-public`, "public-api-endpoint", this.vpc.publicSubnets] as const);
    const nlb = new elbv2.NetworkLoadBalancer(this, `${prefix}load-balancer`, {
      loadBalancerName: name,
      vpc: this.vpc.vpc,
      internetFacing: !options.internal,
      vpcSubnets: { subnets },
      securityGroups: [this.groups.get(role)!],
      crossZoneEnabled: true,
      deletionProtection: endpoint.deletionProtection,
    });
    Tags.of(nlb).add("Name", name);
    for (const reservation of reservations) nlb.node.addDependency(reservation);
    return nlb;
  }

  /** The policy that lets a keepalived peer move the VIP to itself (route mode: the VIP's routes). */
  private vipPolicy(role: iam.Role): iam.Policy {
    const policy = new iam.Policy(this, `${role.node.id}-vip-policy`, {
      policyName: "kubeadm-ha-vip",
      document: policyDocument(
        vipStatements(this.refs, Aws.ACCOUNT_ID, { mode: "route", routeTableIds: this.vipRouteTableIds }),
      ),
    });
    role.attachInlinePolicy(policy);
    return policy;
  }

  /** The two dedicated keepalived + HAProxy load balancers, with a role that may only move the VIP and set their status. */
  private apiLoadBalancerPeers(endpoint: KeepalivedEndpointSpec) {
    const role = nodeRole(this, "load-balancer-role", identityDescriptions(this.spec.clusterName).roles.loadBalancers);
    const policies = [
      attachNodePolicy(this, "load-balancer-status-policy", role, {
        policyName: "kubeadm-ha-status",
        statements: [],
        refs: this.refs,
      }),
      this.vipPolicy(role),
    ];
    for (const peer of endpoint.peers) {
      const instance = hardenedInstance(this, `load-balancer-${peer.index}`, {
        vpc: this.vpc.vpc,
        subnet: this.vpc.privateSubnets[peer.subnetIndex],
        privateIp: peer.privateIp,
        instanceType: endpoint.loadBalancerInstanceType,
        architecture: instanceArchitecture(endpoint.loadBalancerInstanceType),
        imageId: this.spec.imageId,
        securityGroup: this.groups.get("api-load-balancers")!,
        role,
        userDataBase64: encodeUserData(
          renderLoadBalancerUserData({ spec: this.spec, endpoint: this.endpoint }, peer, loadNodeScripts()),
          peer.name,
        ),
        rootVolumeSizeGiB: 20,
        sourceDestCheck: false,
      });
      instance.node.addDependency(...policies);
      Tags.of(instance).add("Name", peer.name);
      Tags.of(instance).add("kubeadm-ha:role", "api-load-balancer");
      this.apiLoadBalancers.push(instance);
    }
  }

  /** The VIP's /32 route in each route table, to the first peer; keepalived moves it to the master from then on. */
  private vipRoutes(firstPeer: ec2.Instance) {
    const vip = (this.spec.endpoint as KeepalivedEndpointSpec).virtualIp;
    this.vipRouteTableIds.forEach(
      (routeTableId, i) =>
        new ec2.CfnRoute(this, `vip-route-${i}`, {
          routeTableId,
          destinationCidrBlock: `${vip}/32`,
          instanceId: firstPeer.instanceId,
        }),
    );
  }

  /** Each NLB's target group of the control plane, and the listener that forwards to it. */
  private registerTargets() {
    const port = this.spec.endpoint.port;
    const balancers: [string, elbv2.NetworkLoadBalancer | undefined][] = [
      ["", this.loadBalancer!],
      ["public-", this.publicLoadBalancer],
    ];
    const group = apiTargetGroup(port);
    for (const [prefix, nlb] of balancers) {
      if (!nlb) continue;
      const check = group.healthCheck;
      const targetGroup = new elbv2.NetworkTargetGroup(this, `${prefix}api-servers`, {
        vpc: this.vpc.vpc,
        port: group.port,
        protocol: group.protocol as elbv2.Protocol,
        targetType: group.targetType as elbv2.TargetType,
        preserveClientIp: group.preserveClientIp,
        connectionTermination: group.connectionTermination,
        deregistrationDelay: Duration.seconds(group.drainSeconds),
        healthCheck: {
          enabled: true,
          protocol: check.protocol as elbv2.Protocol,
          path: check.path,
          port: String(check.port),
          healthyHttpCodes: check.matcher,
          interval: Duration.seconds(check.intervalSeconds),
          timeout: Duration.seconds(check.timeoutSeconds),
          healthyThresholdCount: check.healthyThreshold,
          unhealthyThresholdCount: check.unhealthyThreshold,
        },
        targets: this.controlPlaneNodes.map((n) => new elbv2Targets.InstanceTarget(n, this.spec.apiServerPort)),
      });
      targetGroup.setAttribute(
        "target_health_state.unhealthy.connection_termination.enabled",
        String(group.connectionTermination),
      );
      targetGroup.setAttribute("target_health_state.unhealthy.draining_interval_seconds", String(group.drainSeconds));
      nlb.addListener(`${prefix}listener`, { port, protocol: elbv2.Protocol.TCP, defaultTargetGroups: [targetGroup] });
    }
  }

  /** api.CLUSTER.internal (an alias to the NLB in a private zone) as the nodes' address; or the NLB's own name. */
  private endpointName(): EndpointAddress {
    const endpoint = this.spec.endpoint as NlbEndpointSpec;
    const nlbNames = [this.loadBalancer!, ...(this.publicLoadBalancer ? [this.publicLoadBalancer] : [])].map(
      (nlb) => nlb.loadBalancerDnsName,
    );
    if (!endpoint.privateDns) return { host: nlbNames[0], port: endpoint.port, extraNames: nlbNames.slice(1) };
    const dns = endpoint.privateDns;
    const zone =
      dns.zoneId === undefined
        ? new route53.PrivateHostedZone(this, "private-zone", {
            zoneName: dns.zoneName!,
            vpc: this.vpc.vpc,
            comment: `Names of the Kubernetes cluster ${this.spec.clusterName}`,
          })
        : route53.HostedZone.fromHostedZoneAttributes(this, "private-zone", {
            hostedZoneId: dns.zoneId,
            zoneName: dns.name.split(".").slice(1).join("."),
          });
    new route53.ARecord(this, "endpoint-name", {
      zone,
      recordName: `${dns.name}.`,
      target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer!)),
    });
    return { host: dns.name, port: endpoint.port, extraNames: nlbNames };
  }

  /** The deploy settings parameter, its value the deployed names and ARNs; its tier from their longest size. */
  private deploySettingsParameter(name: string): ssm.StringParameter {
    const value = renderClusterDeploySettings(this.spec, {
      endpoint: this.endpoint,
      joinSecretId: this.joinSecret.secretArn,
      adminKubeconfigSecretId: this.adminKubeconfigSecret.secretArn,
      etcdClientSecretId: this.etcdSecrets?.client.secretArn,
      etcdCaSecretId: this.etcdSecrets?.ca.secretArn,
      routeTableIds: this.vipRouteTableIds,
    });
    const worstCase = checkDeploySettingsSize(value, TOKEN_IN_STRING);
    return new ssm.StringParameter(this, "deploy-settings", {
      parameterName: name,
      description: `What the nodes of ${this.spec.clusterName} learn at boot that exists only once deployed (no secret: ARNs, names, ids)`,
      stringValue: value,
      tier: worstCase > STANDARD_PARAMETER_LIMIT ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
  }

  /** Where the API is, how to reach a node, the kubeconfig and each node's status. */
  private outputs() {
    const region = Aws.REGION;
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output(
      "api-endpoint-url",
      this.loadBalancer
        ? `https://${(this.publicLoadBalancer ?? this.loadBalancer).loadBalancerDnsName}:${this.endpoint.port}`
        : `https://${this.endpoint.host}:${this.endpoint.port}`,
      "Kubernetes API endpoint",
    );
    output(
      "api-endpoint-host",
      this.endpoint.host,
      "The API endpoint's host name, as the nodes and the certificate know it (for a port forward's --tls-server-name)",
    );
    output(
      "shell-command",
      `aws ssm start-session --region ${region} --target ${this.controlPlaneNodes[0].instanceId}`,
      "Open a shell on control-plane node 0 through SSM Session Manager (no SSH)",
    );
    output(
      "admin-kubeconfig-command",
      `aws secretsmanager get-secret-value --region ${region} --secret-id ${this.adminKubeconfigSecret.secretArn} --query SecretString --output text > admin.conf`,
      "Writes the cluster's admin kubeconfig, which node 0 stored after kubeadm init, to admin.conf",
    );
    output(
      "bootstrap-status-command",
      `aws ec2 describe-tags --region ${region} --filters Name=key,Values=${STATUS_TAG} Name=resource-id,Values=${Fn.join(
        ",",
        [...this.controlPlaneNodes, ...this.apiLoadBalancers, ...this.etcdMembers].map((n) => n.instanceId),
      )}`,
      "Each node's bootstrap status tag: running:STEP, failed:STEP or ready",
    );
  }
}

/** What the AWS CDK flavour does not build yet: refused at synth, naming the prop, before anything exists. */
function checkSupported(spec: ClusterSpec) {
  const problems: SpecProblem[] = [];
  const elsewhere = "use the cdktf flavour (cdktf-kubeadm-ha) for it until the AWS CDK flavour has it";
  if (spec.endpoint.type === "keepalived" && spec.endpoint.vipMode === "secondary-ip")
    problems.push({
      prop: "endpoint.vipMode",
      message: `"secondary-ip" is not in the AWS CDK flavour yet (CloudFormation cannot tag an instance's own interface, which its IAM condition needs): use "route", or ${elsewhere}.`,
    });
  if (problems.length > 0) throw new ClusterSpecError(problems);
}

/** A node role and the policies its instances wait for. */
interface NodeIdentity {
  readonly role: iam.Role;
  readonly policies: iam.Policy[];
}

function tagNode(instance: ec2.Instance, name: string, index: number, role: string) {
  Tags.of(instance).add("Name", name);
  Tags.of(instance).add("kubeadm-ha:node-index", String(index));
  Tags.of(instance).add("kubeadm-ha:role", role);
}
