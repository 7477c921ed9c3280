import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance, InstanceConfig } from "@cdktf/provider-aws/lib/instance";
import { Construct } from "constructs";
import { NodeScripts } from "../render";
import { Architecture, ClusterSpec } from "../spec";

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
  /** The control-plane role, for permissions its nodes need on this construct's resources. */
  readonly controlPlaneRole: IamRole;
  readonly partition: string;
  readonly region: string;
  /** The image for an architecture: nodes take the one of their instance type. */
  readonly imageFor: (architecture: Architecture) => string;
  /** The userdata/ scripts, by file name. */
  readonly scripts: NodeScripts;
  readonly tags: Record<string, string>;
}

export type NodeInstanceConfig = Omit<InstanceConfig, "metadataOptions" | "rootBlockDevice" | "lifecycle"> & { readonly rootVolumeSizeGiB: number };

/**
 * An EC2 instance with the project's security defaults: IMDSv2 only (hop limit 1, so pods cannot
 * borrow the node's role), encrypted gp3 root volume, no SSH key, and image or user-data changes
 * ignored so a new AMI never stops or replaces running nodes at once (roll them one by one).
 */
export function hardenedInstance(scope: Construct, id: string, config: NodeInstanceConfig): Instance {
  const { rootVolumeSizeGiB, ...rest } = config;
  return new Instance(scope, id, {
    ...rest,
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
    rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: rootVolumeSizeGiB, deleteOnTermination: true },
    lifecycle: { ignoreChanges: ["ami", "user_data", "user_data_base64"] },
  });
}

/** An EC2 role and instance profile with SSM Session Manager access (instead of SSH). */
export function nodeRole(scope: Construct, namePrefix: string, description: string, partition: string, tags: Record<string, string>) {
  const assume = new DataAwsIamPolicyDocument(scope, "assume-role", {
    statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] }],
  });
  const role = new IamRole(scope, "role", { namePrefix, description, assumeRolePolicy: assume.json, tags });
  new IamRolePolicyAttachment(scope, "ssm", { role: role.name, policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` });
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
