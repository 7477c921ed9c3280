import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import { nodeRole, statusTagStatement } from "./node-defaults";

export interface ControlPlaneIdentityProps {
  readonly clusterName: string;
  readonly partition: string;
  readonly tags: Record<string, string>;
}

/**
 * What a control-plane node is allowed to be: the per-cluster join secret (created empty; node 0
 * fills it at boot, so its value never passes through Terraform), an IAM role that may read and
 * write only that secret and tag only this cluster's instances with the status tag, and SSM
 * Session Manager access instead of SSH.
 */
export class ControlPlaneIdentity extends Construct {
  readonly joinSecret: SecretsmanagerSecret;
  /** Node 0 stores the cluster's admin kubeconfig here after `kubeadm init` (the admin-kubeconfig-command output reads it). */
  readonly adminKubeconfigSecret: SecretsmanagerSecret;
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ControlPlaneIdentityProps) {
    super(scope, id);
    const { clusterName, partition, tags } = props;

    this.joinSecret = new SecretsmanagerSecret(this, "join-secret", {
      // A unique suffix, so a re-created cluster never collides with a secret pending deletion.
      namePrefix: `${clusterName}/control-plane-join-`,
      description: `Shared roots (CAs, service-account key) of ${clusterName}, written by control-plane node 0`,
      recoveryWindowInDays: 7,
      tags,
    });
    this.adminKubeconfigSecret = new SecretsmanagerSecret(this, "admin-kubeconfig", {
      namePrefix: `${clusterName}/admin-kubeconfig-`,
      description: `Admin kubeconfig of ${clusterName} (cluster-admin), written by control-plane node 0`,
      recoveryWindowInDays: 7,
      tags,
    });
    ({ role: this.role, instanceProfile: this.instanceProfile } = nodeRole(this, `${clusterName}-cp-`, `Control-plane nodes of ${clusterName}`, tags));

    const permissions = new DataAwsIamPolicyDocument(this, "permissions", {
      statement: [
        {
          sid: "JoinSecret",
          actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
          resources: [this.joinSecret.arn],
        },
        { sid: "AdminKubeconfigWrite", actions: ["secretsmanager:PutSecretValue"], resources: [this.adminKubeconfigSecret.arn] },
        statusTagStatement(partition, clusterName),
      ],
    });
    this.policy = new IamRolePolicy(this, "policy", { role: this.role.id, name: "kubeadm-ha-control-plane", policy: permissions.json });
  }
}
