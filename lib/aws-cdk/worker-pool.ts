import { Annotations, Duration, Stack, Tags, Token } from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";
import { WorkerPoolInput, WorkerPoolSpec } from "../cluster-spec";
import { CLUSTER_TAG, WorkerPoolDescription } from "../model";
import { prepareWorkerPool } from "../private/worker-pool";
import { encodeUserData } from "../render/internal";
import type { IKubeadmCluster } from "./cluster-interface";
import { acknowledgeFindings } from "./private/findings";
import { nodeImage } from "./private/resources";

/** Props of a WorkerPool: the cluster it joins, and the pool's own props (every one optional, with a documented default). */
export interface WorkerPoolProps extends WorkerPoolInput {
  readonly cluster: IKubeadmCluster;
}

/**
 * A pool of worker nodes: an Auto Scaling group over the cluster's private subnets (one per zone), from
 * a launch template whose user data is the same for every node of the pool. Each node learns its name
 * and address from EC2 at boot and joins through the stable endpoint with the bootstrap token the control
 * plane keeps in the worker join secret: it never holds a key of the cluster's. A changed template
 * replaces the nodes one at a time (CloudFormation's rolling update, minSize kept in service); the
 * Cluster Autoscaler finds the group by its tags. Checks its props before anything is created.
 */
export class WorkerPool extends Construct {
  readonly spec: WorkerPoolSpec;
  readonly description: WorkerPoolDescription;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The user data of every node of the pool, as synthesized. */
  readonly userData: string;

  constructor(scope: Construct, id: string, props: WorkerPoolProps) {
    const { cluster, ...input } = props;
    // Checked and named before this construct exists: a second pool is a second addWorkerPool("id").
    const pool = prepareWorkerPool(scope, id, cluster.spec, input, (value) => Token.isUnresolved(value));
    super(scope, id);
    const { spec, description: described } = pool;
    this.spec = spec;
    this.description = described;
    this.userData = pool.userData;
    this.launchTemplate = new ec2.LaunchTemplate(this, "launch-template", {
      // Canonical's current image when a node launches: a new image never rolls the pool by itself.
      machineImage: nodeImage(cluster.spec.imageId, spec.architecture),
      // The group's overrides choose among the pool's types; this one is the first choice.
      instanceType: new ec2.InstanceType(spec.instanceTypes[0]),
      role: cluster.workerIdentity.identity.role,
      securityGroup: cluster.workerSecurityGroup,
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      blockDevices: [
        {
          deviceName: "/dev/sda1",
          volume: ec2.BlockDeviceVolume.ebs(spec.rootVolumeSizeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    const template = this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
    // Already base64 (of gzip, which CloudFormation cannot make): given to EC2 as it is.
    template.addPropertyOverride(
      "LaunchTemplateData.UserData",
      encodeUserData(this.userData, `worker of pool ${spec.name}`),
    );
    // The instances' and volumes' tags (the template's tag specifications); the cluster's also in a composed stack.
    for (const [key, value] of Object.entries({ ...described.instanceTags, [CLUSTER_TAG]: cluster.spec.clusterName }))
      Tags.of(this.launchTemplate).add(key, value);
    this.autoScalingGroup = this.group(cluster, described, input.desiredSize !== undefined);
    // The whole stack's: a launch template changes what cdk-nag finds on the instances made before.
    acknowledgeFindings(Stack.of(this));
  }

  /**
   * The group; CloudFormation sets its desired size only when the props give one, since every deploy of
   * a template that has one puts the group back to it (undoing the Cluster Autoscaler's).
   */
  private group(
    cluster: IKubeadmCluster,
    described: WorkerPoolDescription,
    desiredSizeGiven: boolean,
  ): autoscaling.AutoScalingGroup {
    const { spec } = this;
    const group = new autoscaling.AutoScalingGroup(this, "group", {
      autoScalingGroupName: described.name,
      vpc: cluster.network.vpc,
      vpcSubnets: { subnets: cluster.network.privateSubnets },
      minCapacity: spec.minSize,
      maxCapacity: spec.maxSize,
      desiredCapacity: desiredSizeGiven ? spec.desiredSize : undefined,
      // Several types: the first preferred, the next where it has no capacity; one type: the template alone.
      ...(spec.instanceTypes.length > 1
        ? {
            mixedInstancesPolicy: {
              launchTemplate: this.launchTemplate,
              launchTemplateOverrides: spec.instanceTypes.map((t) => ({ instanceType: new ec2.InstanceType(t) })),
              instancesDistribution: {
                onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
                onDemandPercentageAboveBaseCapacity: 100,
              },
            },
          }
        : { launchTemplate: this.launchTemplate }),
      healthChecks: autoscaling.HealthChecks.ec2({
        gracePeriod: Duration.seconds(described.healthCheckGracePeriodSeconds),
      }),
      // A new template version replaces one node at a time, the new one launched before the old one stops.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: Math.min(spec.minSize, spec.maxSize - 1),
        pauseTime: Duration.seconds(described.rollingReplacement.warmupSeconds),
      }),
    });
    if (desiredSizeGiven)
      Annotations.of(group).acknowledgeWarning(
        "@aws-cdk/aws-autoscaling:desiredCapacitySet",
        "desiredSize was given: each deploy sets the group back to it (docs/composing.md, Worker pools); leave it out where the Cluster Autoscaler sizes the pool.",
      );
    for (const [key, value] of Object.entries(described.groupTags))
      Tags.of(group).add(key, value, { applyToLaunchedInstances: false });
    // The nodes' permissions and the deploy settings exist before their first boot.
    group.node.addDependency(cluster.workerIdentity.identity.policy, ...cluster.bootPrerequisites);
    return group;
  }
}
