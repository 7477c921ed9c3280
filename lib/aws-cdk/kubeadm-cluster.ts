import { Aws, CfnOutput, Fn, Lazy, Stack, Tags, Token } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct, DependencyGroup, IDependable } from "constructs";
import {
  claimClusterName,
  CLUSTER_TAG,
  clusterOutputs,
  controlPlaneRules,
  nodeTags,
  PolicyReferences,
  securityGroupDescription,
  workerRules,
} from "../model";
import { loadNodeScripts } from "../private/node-scripts";
import {
  checkDeploySettingsSize,
  renderClusterDeploySettings,
  renderControlPlaneUserData,
  STANDARD_PARAMETER_LIMIT,
} from "../render/internal";
import {
  ClusterInput,
  ClusterSpec,
  WorkerPoolInput,
  deploySettingsParameterName,
  instanceArchitecture,
  resolveClusterSpec,
} from "../cluster-spec";
import { createApiEndpoint, IApiEndpoint } from "./api-endpoint";
import type { IKubeadmCluster } from "./cluster-interface";
import { ControlPlaneIdentity } from "./control-plane-identity";
import { EtcdCluster } from "./etcd-cluster";
import { WorkerIdentity } from "./worker-identity";
import { WorkerPool } from "./worker-pool";
import { acknowledgeFindings } from "./private/findings";
import { addSecurityGroupRules, clusterInstance, clusterSecurityGroup, oneAtATime } from "./private/resources";
import { ClusterNetwork } from "./network";
import { checkDeployTimeZones, VpcProps, withVpcNetwork } from "./vpc-props";

/**
 * Props of the AWS CDK KubeadmCluster: the same props as the cdktf construct's, with the same defaults
 * and checks, and an `ec2.IVpc` with its subnet selection in place of `network` if you have one.
 */
export type KubeadmClusterProps = ClusterInput & VpcProps;

/** An AWS CDK token inside a string. */
const TOKEN_IN_STRING = /\$\{Token\[[^\]]+\]\}/;

/**
 * A highly available kubeadm control plane for AWS CDK (CloudFormation): the same spec, user data,
 * node scripts, security-group rules and IAM statements as the cdktf flavour, from the same core.
 * An odd number of control-plane nodes with stacked etcd (or an external etcd cluster), spread over
 * availability zones behind one stable API endpoint (an NLB, or a keepalived VIP with HAProxy).
 */
export class KubeadmCluster extends Construct implements ec2.IConnectable, IKubeadmCluster {
  readonly spec: ClusterSpec;
  readonly network: ClusterNetwork;
  /** The control plane's security group: `cluster.connections.allowFrom(...)` opens the nodes to more. */
  readonly connections: ec2.Connections;
  readonly controlPlaneSecurityGroup: ec2.SecurityGroup;
  readonly workerSecurityGroup: ec2.SecurityGroup;
  /** The endpoint: its address as the nodes and the certificate know it, its URL, its own instances. */
  readonly endpoint: IApiEndpoint;
  /** The control-plane roles and the secrets they share their roots and the admin kubeconfig through. */
  readonly identity: ControlPlaneIdentity;
  /** The workers' role and the secret the control plane keeps their bootstrap token in. */
  readonly workerIdentity: WorkerIdentity;
  readonly controlPlaneNodes: ec2.Instance[];
  /** The external etcd cluster, with `etcd.topology: "external"`. */
  readonly etcd?: EtcdCluster;
  /** The SSM parameter every node reads at boot: the ARNs and names that exist only once deployed. */
  readonly deploySettings: ssm.StringParameter;
  /** User data of each control-plane node, as synthesized (tokens unresolved). */
  readonly controlPlaneUserData: string[] = [];
  readonly policyReferences: PolicyReferences;
  readonly addressHolders = new DependencyGroup();
  readonly bootPrerequisites: IDependable[];
  private deploySettingsText?: string;

  /** Every instance of the cluster: control-plane nodes, then dedicated load balancers and etcd members if any. */
  get allNodes(): ec2.Instance[] {
    return [...this.controlPlaneNodes, ...this.endpoint.loadBalancers, ...(this.etcd?.members ?? [])];
  }

  /** The secret the control-plane nodes share their roots through. */
  get joinSecret(): secretsmanager.Secret {
    return this.identity.joinSecret;
  }

  /** Node 0 stores the admin kubeconfig here after `kubeadm init`. */
  get adminKubeconfigSecret(): secretsmanager.Secret {
    return this.identity.adminKubeconfigSecret;
  }

  constructor(scope: Construct, id: string, props: KubeadmClusterProps = {}) {
    // Validate everything first: a bad prop must fail before any construct exists, this one included.
    const spec = resolveClusterSpec(withVpcNetwork(props), { isUnresolved: (value) => Token.isUnresolved(value) });
    checkDeployTimeZones(scope, props, spec);
    claimClusterName(scope, scope.node.path ? `${scope.node.path}/${id}` : id, spec.clusterName);
    super(scope, id);
    this.spec = spec;
    Tags.of(this).add(CLUSTER_TAG, spec.clusterName);
    for (const [key, value] of Object.entries(spec.tags)) Tags.of(this).add(key, value);

    this.network = new ClusterNetwork(this, "network", spec);
    [this.controlPlaneSecurityGroup, this.workerSecurityGroup] = this.securityGroupsWithRules();
    this.connections = new ec2.Connections({ securityGroups: [this.controlPlaneSecurityGroup] });
    this.deploySettings = this.deploySettingsParameter();
    this.policyReferences = {
      partition: Aws.PARTITION,
      region: Aws.REGION,
      accountId: Aws.ACCOUNT_ID,
      clusterName: spec.clusterName,
      // Built from its name, not a reference: the policies need not wait for the parameter.
      deploySettingsArn: Stack.of(this).formatArn({
        service: "ssm",
        resource: "parameter",
        resourceName: deploySettingsParameterName(spec.clusterName).slice(1),
      }),
      kmsKeyArn: spec.secrets.kmsKeyArn,
      sessionManager: spec.sessionManager,
    };
    this.identity = new ControlPlaneIdentity(this, "identity", {
      clusterName: spec.clusterName,
      policyReferences: this.policyReferences,
      secrets: spec.secrets,
    });
    this.workerIdentity = new WorkerIdentity(this, "worker-identity", {
      clusterName: spec.clusterName,
      policyReferences: this.policyReferences,
      secrets: spec.secrets,
      controlPlane: this.identity,
    });
    this.bootPrerequisites = [this.deploySettings, ...this.network.egress];
    // The endpoint and the etcd cluster take what they need of this cluster from it, as a composed stack's would.
    this.endpoint = createApiEndpoint(this, "api-endpoint", this);
    if (spec.etcd.topology === "external") this.etcd = new EtcdCluster(this, "etcd", { cluster: this });
    this.controlPlaneNodes = this.controlPlaneInstances();
    this.endpoint.registerControlPlane(this.controlPlaneNodes, spec.apiServerPort);
    this.deploySettingsValue();
    acknowledgeFindings(this);
  }

  /** Lets `grantee` read the admin kubeconfig (operators, a CI role). */
  grantAdminKubeconfigRead(grantee: iam.IGrantable): iam.Grant {
    return this.adminKubeconfigSecret.grantRead(grantee);
  }

  /**
   * The control plane's and the workers' groups, with the rules among and between them (the API, stacked
   * etcd, the kubelets), and egress for AWS and packages.
   */
  private securityGroupsWithRules(): [ec2.SecurityGroup, ec2.SecurityGroup] {
    const group = (role: "control-plane" | "workers") =>
      clusterSecurityGroup(
        this,
        `${role === "workers" ? "worker" : role}-security-group`,
        this.network.vpc,
        securityGroupDescription(this.spec.clusterName, role),
      );
    const controlPlane = group("control-plane");
    const workers = group("workers");
    addSecurityGroupRules([...controlPlaneRules(this.spec), ...workerRules(this.spec)], (role) =>
      role === "workers" ? workers : controlPlane,
    );
    return [controlPlane, workers];
  }

  /** One hardened instance per control-plane node, with its user data and its identity (node 0's or the others'). */
  private controlPlaneInstances(): ec2.Instance[] {
    const spec = this.spec;
    const scripts = loadNodeScripts();
    return oneAtATime(
      spec.controlPlane.map((node) => {
        const userData = renderControlPlaneUserData({ spec, node, endpoint: this.endpoint.address }, scripts);
        this.controlPlaneUserData.push(userData);
        return clusterInstance(this, `control-plane-${node.index}`, this, {
          name: node.name,
          subnetIndex: node.subnetIndex,
          privateIp: node.privateIp,
          instanceType: spec.instanceType,
          architecture: instanceArchitecture(spec.instanceType),
          securityGroup: this.controlPlaneSecurityGroup,
          role: this.identity.identityOf(node.index).role,
          // Every policy the control plane gets, also those other constructs add (etcd client, VIP).
          waitFor: [this.identity],
          userData,
          rootVolumeSizeGiB: spec.rootVolumeSizeGiB,
          tags: nodeTags("control-plane", node.index),
          ...this.endpoint.controlPlaneInstance,
        });
      }),
    );
  }

  /** The deploy settings parameter; its value is set once the resources it names exist (deploySettingsValue). */
  private deploySettingsParameter(): ssm.StringParameter {
    return new ssm.StringParameter(this, "deploy-settings", {
      parameterName: deploySettingsParameterName(this.spec.clusterName),
      description: `What the nodes of ${this.spec.clusterName} learn at boot that exists only once deployed (no secret: ARNs, names, ids)`,
      stringValue: Lazy.string({
        produce: () => {
          if (this.deploySettingsText === undefined) throw new Error("the deploy settings were never rendered");
          return this.deploySettingsText;
        },
      }),
    });
  }

  /** The deploy settings' value: the names and ids the nodes need; the tier from their longest size, at synth. */
  private deploySettingsValue() {
    const value = renderClusterDeploySettings(this.spec, {
      endpoint: this.endpoint.address,
      joinSecretId: this.identity.joinSecret.secretArn,
      adminKubeconfigSecretId: this.identity.adminKubeconfigSecret.secretArn,
      workerJoinSecretId: this.workerIdentity.joinSecret.secretArn,
      etcdClientSecretId: this.etcd?.clientSecret.secretArn,
      etcdCaSecretId: this.etcd?.caSecret.secretArn,
      routeTableIds: this.endpoint.controlPlaneRouteTableIds,
    });
    const worstCase = checkDeploySettingsSize(value, TOKEN_IN_STRING);
    this.deploySettingsText = value;
    (this.deploySettings.node.defaultChild as ssm.CfnParameter).tier =
      worstCase > STANDARD_PARAMETER_LIMIT ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD;
  }

  /** Adds a pool of workers to this cluster (`new WorkerPool(this, id, { ...props, cluster: this })`). */
  addWorkerPool(id: string, props: WorkerPoolInput = {}): WorkerPool {
    return new WorkerPool(this, id, { ...props, cluster: this });
  }

  /**
   * Adds the stack outputs a deployer needs: the API endpoint's URL and host, the join secret, the
   * instances, and the commands for a shell, the admin kubeconfig and each node's bootstrap status (the
   * default apps call it; a cluster in your own stack adds none unless you do). Call it once. A list is
   * one comma-separated output.
   */
  addOutputs(): void {
    const ids = (instances: ec2.Instance[]) => instances.map((i) => i.instanceId);
    const outputs = clusterOutputs({
      region: Aws.REGION,
      endpointUrl: this.endpoint.url,
      endpointHost: this.endpoint.address.host,
      joinSecretArn: this.identity.joinSecret.secretArn,
      adminKubeconfigSecretArn: this.adminKubeconfigSecret.secretArn,
      controlPlaneInstanceIds: ids(this.controlPlaneNodes),
      etcdMemberInstanceIds: this.etcd ? ids(this.etcd.members) : undefined,
      allInstanceIdsJoined: Fn.join(",", ids(this.allNodes)),
    });
    for (const { id, value, description } of outputs)
      new CfnOutput(this, id, { value: Array.isArray(value) ? Fn.join(",", value) : value, description });
  }
}
