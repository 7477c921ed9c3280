/**
 * What a deployer needs once a cluster is up: where the API is, how to reach a node, the kubeconfig and
 * each node's bootstrap status. Described once; each flavour's `addOutputs()` makes stack outputs of
 * them, which the default apps and examples call (a construct adds no output a user did not ask for).
 */
import { STATUS_TAG } from "./tags";

/** The references the outputs are made of, in the flavour's own terms (tokens). */
export interface ClusterOutputReferences {
  readonly region: string;
  readonly endpointUrl: string;
  readonly endpointHost: string;
  readonly joinSecretArn: string;
  readonly adminKubeconfigSecretArn: string;
  readonly controlPlaneInstanceIds: string[];
  /** External etcd's members; undefined with stacked etcd. */
  readonly etcdMemberInstanceIds?: string[];
  /** Every node's instance id joined with commas (each framework joins its own tokens). */
  readonly allInstanceIdsJoined: string;
}

export interface ClusterOutput {
  readonly id: string;
  /** A list where the value is one per node (CloudFormation outputs join it with commas). */
  readonly value: string | string[];
  readonly description: string;
}

export function clusterOutputs(refs: ClusterOutputReferences): ClusterOutput[] {
  return [
    { id: "api-endpoint-url", value: refs.endpointUrl, description: "Kubernetes API endpoint" },
    {
      id: "api-endpoint-host",
      value: refs.endpointHost,
      description:
        "The API endpoint's host name, as the nodes and the certificate know it (for a port forward's --tls-server-name)",
    },
    {
      id: "join-secret-arn",
      value: refs.joinSecretArn,
      description: "Secret the control-plane nodes share their roots through",
    },
    {
      id: "control-plane-instance-ids",
      value: refs.controlPlaneInstanceIds,
      description: "Control-plane instances, by node index",
    },
    ...(refs.etcdMemberInstanceIds
      ? [
          {
            id: "etcd-member-instance-ids",
            value: refs.etcdMemberInstanceIds,
            description: "External etcd members, by member index",
          },
        ]
      : []),
    {
      id: "shell-command",
      value: `aws ssm start-session --region ${refs.region} --target ${refs.controlPlaneInstanceIds[0]}`,
      description: "Open a shell on control-plane node 0 through SSM Session Manager (no SSH)",
    },
    {
      id: "admin-kubeconfig-command",
      value: `aws secretsmanager get-secret-value --region ${refs.region} --secret-id ${refs.adminKubeconfigSecretArn} --query SecretString --output text > admin.conf`,
      description:
        "Writes the cluster's admin kubeconfig, which node 0 stored after kubeadm init, to admin.conf (needs secretsmanager:GetSecretValue on it)",
    },
    {
      id: "bootstrap-status-command",
      value: `aws ec2 describe-tags --region ${refs.region} --filters Name=key,Values=${STATUS_TAG} Name=resource-id,Values=${refs.allInstanceIdsJoined}`,
      description:
        "Each node's bootstrap status tag (control plane, load balancers, etcd members): running:STEP, failed:STEP or ready",
    },
  ];
}
