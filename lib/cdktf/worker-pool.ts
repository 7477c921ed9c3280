import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { WorkerPoolInput, WorkerPoolSpec } from "../cluster-spec";
import { ubuntuImageParameter, WorkerPoolDescription } from "../model";
import { prepareWorkerPool } from "../private/worker-pool";
import { encodeUserData } from "../render/internal";
import type { IKubeadmCluster } from "./cluster-interface";
import { INSTANCE_METADATA } from "./private/node-defaults";

/** Props of a WorkerPool: the cluster it joins, and the pool's own props (every one optional, with a documented default). */
export interface WorkerPoolProps extends WorkerPoolInput {
  readonly cluster: IKubeadmCluster;
}

/**
 * A pool of worker nodes: an Auto Scaling group over the cluster's private subnets (one per zone), from
 * a launch template whose user data is the same for every node of the pool. Each node learns its name
 * and address from EC2 at boot and joins through the stable endpoint with the bootstrap token the control
 * plane keeps in the worker join secret: it never holds a key of the cluster's. A changed template
 * replaces the nodes one at a time (the group's instance refresh, a new node up before an old one goes);
 * the Cluster Autoscaler finds the group by its tags and may change its desired size (Terraform leaves
 * that to it). Checks its props before anything is created.
 */
export class WorkerPool extends Construct {
  readonly spec: WorkerPoolSpec;
  readonly description: WorkerPoolDescription;
  readonly launchTemplate: LaunchTemplate;
  readonly autoScalingGroup: AutoscalingGroup;
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
    const tags = { ...cluster.tags, ...described.instanceTags };
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      namePrefix: `${described.name}-`,
      description: `Worker nodes of pool ${spec.name} of ${cluster.spec.clusterName}`,
      // Canonical's current image when a node launches: a new image never rolls the pool by itself.
      imageId: cluster.spec.imageId ?? `resolve:ssm:${ubuntuImageParameter(spec.architecture)}`,
      // The group's overrides choose among the pool's types; this one is the first choice.
      instanceType: spec.instanceTypes[0],
      iamInstanceProfile: { arn: cluster.workerIdentity.identity.instanceProfile.arn },
      vpcSecurityGroupIds: [cluster.workerSecurityGroup.id],
      userData: encodeUserData(this.userData, `worker of pool ${spec.name}`),
      metadataOptions: INSTANCE_METADATA,
      blockDeviceMappings: [
        {
          deviceName: "/dev/sda1",
          ebs: {
            encrypted: "true",
            volumeType: "gp3",
            volumeSize: spec.rootVolumeSizeGiB,
            deleteOnTermination: "true",
          },
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
      ],
      updateDefaultVersion: true,
      tags: cluster.tags,
    });
    this.autoScalingGroup = this.group(cluster, described);
  }

  private group(cluster: IKubeadmCluster, described: WorkerPoolDescription): AutoscalingGroup {
    const { spec } = this;
    const rolling = described.rollingReplacement;
    // The version number, not "$Latest": a new version changes the group, which starts the refresh.
    const template = {
      launchTemplateId: this.launchTemplate.id,
      version: Token.asString(this.launchTemplate.latestVersion),
    };
    return new AutoscalingGroup(this, "group", {
      name: described.name,
      minSize: spec.minSize,
      maxSize: spec.maxSize,
      desiredCapacity: spec.desiredSize,
      vpcZoneIdentifier: cluster.network.privateSubnetIds,
      healthCheckType: "EC2",
      healthCheckGracePeriod: described.healthCheckGracePeriodSeconds,
      // Several types: the first preferred, the next where it has no capacity; one type: the template alone.
      ...(spec.instanceTypes.length > 1
        ? {
            mixedInstancesPolicy: {
              launchTemplate: {
                launchTemplateSpecification: template,
                override: spec.instanceTypes.map((instanceType) => ({ instanceType })),
              },
              instancesDistribution: {
                onDemandAllocationStrategy: "prioritized",
                onDemandPercentageAboveBaseCapacity: 100,
              },
            },
          }
        : { launchTemplate: { id: template.launchTemplateId, version: template.version } }),
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: rolling.minHealthyPercentage,
          maxHealthyPercentage: rolling.maxHealthyPercentage,
          instanceWarmup: String(rolling.warmupSeconds),
        },
      },
      tag: Object.entries({ ...cluster.tags, ...described.groupTags }).map(([key, value]) => ({
        key,
        value,
        // The instances get theirs from the launch template.
        propagateAtLaunch: false,
      })),
      // The Cluster Autoscaler (or a person) sets the size between min and max: a plan leaves it.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
      // The node's permissions, egress and deploy settings exist before its first boot.
      dependsOn: [cluster.workerIdentity.identity.policy, ...cluster.bootPrerequisites],
    });
  }
}
