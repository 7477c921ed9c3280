import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import {
  controlPlaneMemberStatements,
  controlPlaneSeedStatements,
  identityDescriptions,
  PolicyReferences,
} from "../model";
import { SecretsSpec } from "../cluster-spec";
import { clusterSecret, NodeIdentity, nodeRole, withNodePolicy } from "./private/node-defaults";

export interface ControlPlaneIdentityProps {
  readonly clusterName: string;
  readonly policyReferences: PolicyReferences;
  readonly secrets: SecretsSpec;
  readonly tags: Record<string, string>;
}

/**
 * What a control-plane node is allowed to be. Node 0 (the seed) runs `kubeadm init` and is the only
 * one that may write the join secret (the cluster's roots, created empty: the value never passes
 * through Terraform) and the admin-kubeconfig secret; the other nodes may only read the join secret.
 * Each secret's resource policy holds the same line against any other principal of the account. All
 * may tag only this cluster's instances with the status tag, and use SSM Session Manager instead of SSH.
 */
export class ControlPlaneIdentity extends Construct {
  readonly joinSecret: SecretsmanagerSecret;
  /** Node 0 stores the cluster's admin kubeconfig here after `kubeadm init` (the admin-kubeconfig-command output reads it). */
  readonly adminKubeconfigSecret: SecretsmanagerSecret;
  /** Node 0's identity: reads and writes the join secret, writes the admin kubeconfig. */
  readonly seed: NodeIdentity;
  /** The identity of every other control-plane node: reads the join secret. */
  readonly member: NodeIdentity;

  constructor(scope: Construct, id: string, props: ControlPlaneIdentityProps) {
    super(scope, id);
    const { clusterName, policyReferences: refs, secrets, tags } = props;
    const described = identityDescriptions(clusterName);

    const seedScope = new Construct(this, "seed-identity");
    const seedRole = nodeRole(seedScope, `${clusterName}-cp0-`, described.roles.controlPlaneSeed, tags);
    const memberRole = nodeRole(this, `${clusterName}-cp-`, described.roles.controlPlane, tags);

    this.joinSecret = clusterSecret(this, "join-secret", {
      namePrefix: `${clusterName}/control-plane-join-`,
      description: described.secrets.join,
      readers: [memberRole.role.arn],
      writers: [seedRole.role.arn],
      secrets,
      tags,
    });
    this.adminKubeconfigSecret = clusterSecret(this, "admin-kubeconfig", {
      namePrefix: `${clusterName}/admin-kubeconfig-`,
      description: described.secrets.adminKubeconfig,
      readers: undefined,
      writers: [seedRole.role.arn],
      secrets,
      tags,
    });

    this.seed = withNodePolicy(
      seedScope,
      seedRole,
      "kubeadm-ha-control-plane",
      controlPlaneSeedStatements(refs, {
        joinSecretArn: this.joinSecret.arn,
        adminKubeconfigSecretArn: this.adminKubeconfigSecret.arn,
      }),
      refs,
    );
    this.member = withNodePolicy(
      this,
      memberRole,
      "kubeadm-ha-control-plane",
      controlPlaneMemberStatements(refs, this.joinSecret.arn),
      refs,
    );
  }

  /** Both roles, for permissions every control-plane node needs. */
  get roles(): IamRole[] {
    return [this.seed.role, this.member.role];
  }

  identityOf(nodeIndex: number): NodeIdentity {
    return nodeIndex === 0 ? this.seed : this.member;
  }
}
