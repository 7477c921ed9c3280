import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Fn, ITerraformDependable, TerraformOutput, Token } from "cdktf";
import { Construct } from "constructs";
import {
  checkDeploySettingsSize,
  encodeUserData,
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
  nodeInstanceTypes,
  resolveClusterSpec,
} from "../cluster-spec";
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
import { createApiEndpoint, IApiEndpoint } from "./api-endpoint";
import { IKubeadmCluster, NodeImages } from "./cluster-interface";
import { ControlPlaneIdentity } from "./control-plane-identity";
import { EtcdCluster } from "./etcd-cluster";
import { WorkerIdentity } from "./worker-identity";
import { WorkerPool } from "./worker-pool";
import {
  clusterSecurityGroup,
  hardenedInstance,
  reserveNodeAddresses,
  securityGroupRules,
} from "./private/node-defaults";
import { ClusterNetwork } from "./network";
import { loadNodeScripts } from "../private/node-scripts";

/** A cdktf token inside a string. */
const TOKEN_IN_STRING = /\$\{TfToken\[[^\]]+\]\}/;

/** Props of KubeadmCluster: the cluster spec, every field optional with a documented default. */
export type KubeadmClusterProps = ClusterInput;

/**
 * A highly available Kubernetes control plane on EC2: an odd number of kubeadm control-plane nodes
 * with stacked etcd (or an external etcd cluster), spread over availability zones behind one stable
 * API endpoint (an NLB, or a keepalived VIP with HAProxy), each bootstrapping itself through
 * cloud-init. Validates its props before creating anything.
 */
export class KubeadmCluster extends Construct implements IKubeadmCluster {
  readonly spec: ClusterSpec;
  readonly network: ClusterNetwork;
  readonly endpoint: IApiEndpoint;
  readonly identity: ControlPlaneIdentity;
  /** The workers' role and the secret the control plane keeps their bootstrap token in. */
  readonly workerIdentity: WorkerIdentity;
  /** The SSM parameter every node reads at boot: the ARNs, names and ids that exist only once deployed. */
  readonly deploySettings: SsmParameter;
  readonly controlPlaneSecurityGroup: SecurityGroup;
  readonly workerSecurityGroup: SecurityGroup;
  readonly controlPlaneNodes: Instance[];
  /** The external etcd cluster, with `etcd.topology: "external"`. */
  readonly etcd?: EtcdCluster;
  /** User data of each control-plane node, as synthesized (tokens unresolved). */
  readonly controlPlaneUserData: string[];
  readonly policyReferences: PolicyReferences;
  readonly images: NodeImages;
  /** The spec's tags and the cluster tag, on every resource. */
  readonly tags: Record<string, string>;
  readonly addressReservations: Ec2SubnetCidrReservation[];
  readonly bootPrerequisites: ITerraformDependable[];

  /** Every instance of the cluster: control-plane nodes, then dedicated load balancers and etcd members if any. */
  get allNodes(): Instance[] {
    return [...this.controlPlaneNodes, ...this.endpoint.loadBalancers, ...(this.etcd?.members ?? [])];
  }

  constructor(scope: Construct, id: string, props: KubeadmClusterProps = {}) {
    // Validate everything first: a bad prop must fail before any construct exists, this one included.
    const spec = resolveClusterSpec(props, { isUnresolved: (value) => Token.isUnresolved(value) });
    claimClusterName(scope, scope.node.path ? `${scope.node.path}/${id}` : id, spec.clusterName);
    super(scope, id);
    this.spec = spec;
    const tags = { ...spec.tags, [CLUSTER_TAG]: spec.clusterName };
    this.tags = tags;

    this.network = new ClusterNetwork(this, "network", {
      clusterName: spec.clusterName,
      network: spec.network,
      tags,
      instanceTypes: nodeInstanceTypes(spec),
    });
    this.addressReservations = reserveNodeAddresses(this, spec, this.network.privateSubnetIds);
    const { controlPlane, workers, rules } = this.securityGroupsWithRules(tags);
    this.controlPlaneSecurityGroup = controlPlane;
    this.workerSecurityGroup = workers;
    this.deploySettings = new SsmParameter(this, "deploy-settings", {
      name: deploySettingsParameterName(spec.clusterName),
      description: `What the nodes of ${spec.clusterName} learn at boot that exists only once deployed (no secret: ARNs, names, ids)`,
      type: "String",
      insecureValue: "", // set once the resources it names exist (deploySettingsValue)
      tags,
    });
    this.policyReferences = {
      partition: new DataAwsPartition(this, "partition").partition,
      region: new DataAwsRegion(this, "region").region,
      accountId: new DataAwsCallerIdentity(this, "account").accountId,
      clusterName: spec.clusterName,
      deploySettingsArn: this.deploySettings.arn,
      kmsKeyArn: spec.secrets.kmsKeyArn,
      sessionManager: spec.sessionManager,
    };
    this.identity = new ControlPlaneIdentity(this, "identity", {
      clusterName: spec.clusterName,
      policyReferences: this.policyReferences,
      secrets: spec.secrets,
      tags,
    });
    this.workerIdentity = new WorkerIdentity(this, "worker-identity", {
      clusterName: spec.clusterName,
      policyReferences: this.policyReferences,
      secrets: spec.secrets,
      tags,
      controlPlane: this.identity,
    });
    this.images = new NodeImages(this, spec.imageId);
    this.bootPrerequisites = [
      ...this.network.egressDependencies,
      ...rules,
      ...this.addressReservations,
      this.deploySettings,
    ];
    // The endpoint and the etcd cluster take what they need of this cluster from it, as a composed stack's would.
    this.endpoint = createApiEndpoint(this, "api-endpoint", this);
    if (spec.etcd.topology === "external") this.etcd = new EtcdCluster(this, "etcd", { cluster: this });
    this.controlPlaneUserData = [];
    this.controlPlaneNodes = this.controlPlaneInstances();
    this.endpoint.registerControlPlane(this.controlPlaneNodes, spec.apiServerPort);
    this.deploySettingsValue();
  }

  /** The deploy settings' value: the names and ids the nodes need, now that the resources they name exist. */
  private deploySettingsValue() {
    const value = renderClusterDeploySettings(this.spec, {
      endpoint: this.endpoint.address,
      joinSecretId: this.identity.joinSecret.arn,
      adminKubeconfigSecretId: this.identity.adminKubeconfigSecret.arn,
      workerJoinSecretId: this.workerIdentity.joinSecret.arn,
      etcdClientSecretId: this.etcd?.clientSecret.arn,
      etcdCaSecretId: this.etcd?.caSecret.arn,
      routeTableIds: this.endpoint.controlPlaneRouteTableIds,
    });
    // Standard parameters hold 4 KB: the longest values a deploy gives decide the tier, at synth.
    const worstCase = checkDeploySettingsSize(value, TOKEN_IN_STRING);
    this.deploySettings.insecureValue = value;
    this.deploySettings.tier = worstCase > STANDARD_PARAMETER_LIMIT ? "Advanced" : "Standard";
  }

  /**
   * The control plane's and the workers' groups, with the rules among and between them (the API, stacked
   * etcd, the kubelets), and egress for AWS and packages.
   */
  private securityGroupsWithRules(tags: Record<string, string>) {
    const group = (role: "control-plane" | "workers") =>
      clusterSecurityGroup(this, `${role === "workers" ? "worker" : role}-security-group`, {
        ...securityGroupDescription(this.spec.clusterName, role),
        vpcId: this.network.vpcId,
        tags,
      });
    const controlPlane = group("control-plane");
    const workers = group("workers");
    const rules = securityGroupRules(this, [...controlPlaneRules(this.spec), ...workerRules(this.spec)], (role) =>
      role === "workers" ? workers.id : controlPlane.id,
    );
    return { controlPlane, workers, rules };
  }

  /** One hardened instance per control-plane node, each with its own rendered user data and identity. */
  private controlPlaneInstances(): Instance[] {
    const spec = this.spec;
    const scripts = loadNodeScripts();
    return spec.controlPlane.map((node) => {
      const userData = renderControlPlaneUserData({ spec, node, endpoint: this.endpoint.address }, scripts);
      this.controlPlaneUserData.push(userData);
      const identity = this.identity.identityOf(node.index);
      return hardenedInstance(this, `control-plane-${node.index}`, {
        ami: this.images.imageFor(instanceArchitecture(spec.instanceType)),
        instanceType: spec.instanceType,
        subnetId: this.network.privateSubnetIds[node.subnetIndex],
        privateIp: node.privateIp,
        vpcSecurityGroupIds: [this.controlPlaneSecurityGroup.id],
        iamInstanceProfile: identity.instanceProfile.name,
        ...this.endpoint.controlPlaneInstance,
        userDataBase64: encodeUserData(userData, node.name),
        rootVolumeSizeGiB: spec.rootVolumeSizeGiB,
        tags: {
          ...this.tags,
          Name: node.name,
          ...nodeTags("control-plane", node.index),
        },
        volumeTags: { ...this.tags, Name: node.name },
        dependsOn: [identity.policy, ...this.bootPrerequisites],
      });
    });
  }

  /** Adds a pool of workers to this cluster (`new WorkerPool(this, id, { ...props, cluster: this })`). */
  addWorkerPool(id: string, props: WorkerPoolInput = {}): WorkerPool {
    return new WorkerPool(this, id, { ...props, cluster: this });
  }

  /**
   * Adds the stack outputs a deployer needs: the API endpoint's URL and host, the join secret, the
   * instances, and the commands for a shell, the admin kubeconfig and each node's bootstrap status (the
   * default apps call it; a cluster in your own stack adds none unless you do). Call it once.
   */
  addOutputs(): void {
    const outputs = clusterOutputs({
      region: this.policyReferences.region,
      endpointUrl: this.endpoint.url,
      endpointHost: this.endpoint.address.host,
      joinSecretArn: this.identity.joinSecret.arn,
      adminKubeconfigSecretArn: this.identity.adminKubeconfigSecret.arn,
      controlPlaneInstanceIds: this.controlPlaneNodes.map((n) => n.id),
      etcdMemberInstanceIds: this.etcd?.members.map((m) => m.id),
      allInstanceIdsJoined: Fn.join(
        ",",
        this.allNodes.map((n) => n.id),
      ),
    });
    // A list as one Terraform expression: cdktf 0.21 checks a plain array with util.isArray, which
    // Node.js 22 reports as deprecated on every synth.
    for (const { id, value, description } of outputs)
      new TerraformOutput(this, id, { value: Array.isArray(value) ? Fn.tolist(value) : value, description });
  }
}
