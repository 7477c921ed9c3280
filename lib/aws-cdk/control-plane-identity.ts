import * as iam from "aws-cdk-lib/aws-iam";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import {
  controlPlaneMemberStatements,
  controlPlaneSeedStatements,
  identityDescriptions,
  PolicyReferences,
  PolicyStatement,
} from "../model";
import { SecretsSpec } from "../cluster-spec";
import { clusterSecret, NodeIdentity, nodeRole, policyDocument, withNodePolicy } from "./private/resources";
import { acknowledgeFindings } from "./private/findings";

export interface ControlPlaneIdentityProps {
  readonly clusterName: string;
  readonly policyReferences: PolicyReferences;
  readonly secrets: SecretsSpec;
}

/**
 * What a control-plane node is allowed to be. Node 0 (the seed) runs `kubeadm init` and is the only
 * one that may write the join secret (the cluster's roots, created empty: the value never passes
 * through CloudFormation) and the admin-kubeconfig secret; the other nodes may only read the join
 * secret. Each secret's resource policy holds the same line against any other principal of the
 * account. All may tag only this cluster's instances with the status tag, and use SSM Session Manager
 * instead of SSH. Instances that depend on this construct wait for every policy in it.
 */
export class ControlPlaneIdentity extends Construct {
  readonly joinSecret: secretsmanager.Secret;
  /** Node 0 stores the cluster's admin kubeconfig here after `kubeadm init` (the admin-kubeconfig-command output reads it). */
  readonly adminKubeconfigSecret: secretsmanager.Secret;
  /** Node 0's identity: reads and writes the join secret, writes the admin kubeconfig. */
  readonly seed: NodeIdentity;
  /** The identity of every other control-plane node: reads the join secret. */
  readonly member: NodeIdentity;

  constructor(scope: Construct, id: string, props: ControlPlaneIdentityProps) {
    super(scope, id);
    const { clusterName, policyReferences: refs, secrets } = props;
    const described = identityDescriptions(clusterName);
    const seedRole = nodeRole(this, "seed-role", described.roles.controlPlaneSeed);
    const memberRole = nodeRole(this, "role", described.roles.controlPlane);
    // The secrets' policies name the roles and the roles' policies name the secrets: separate resources, no cycle.
    this.joinSecret = clusterSecret(this, "join-secret", {
      description: described.secrets.join,
      readers: [memberRole.roleArn],
      writers: [seedRole.roleArn],
      secrets,
      holdsRoots: true,
    });
    this.adminKubeconfigSecret = clusterSecret(this, "admin-kubeconfig", {
      description: described.secrets.adminKubeconfig,
      readers: undefined,
      writers: [seedRole.roleArn],
      secrets,
      holdsRoots: false,
    });
    const policyName = "kubeadm-ha-control-plane";
    this.seed = withNodePolicy(this, "seed-policy", seedRole, {
      policyName,
      statements: controlPlaneSeedStatements(refs, {
        joinSecretArn: this.joinSecret.secretArn,
        adminKubeconfigSecretArn: this.adminKubeconfigSecret.secretArn,
      }),
      refs,
    });
    this.member = withNodePolicy(this, "policy", memberRole, {
      policyName,
      statements: controlPlaneMemberStatements(refs, this.joinSecret.secretArn),
      refs,
    });
    acknowledgeFindings(this);
  }

  /** Both roles, for permissions every control-plane node needs. */
  get roles(): iam.Role[] {
    return [this.seed.role, this.member.role];
  }

  identityOf(nodeIndex: number): NodeIdentity {
    return nodeIndex === 0 ? this.seed : this.member;
  }

  /**
   * A policy every control-plane node gets (both roles), for what another construct makes (an etcd
   * client secret, the VIP's routes). Made in this construct, so the nodes wait for it too.
   */
  addPolicy(id: string, policyName: string, statements: PolicyStatement[]): iam.Policy {
    const policy = new iam.Policy(this, id, { policyName, document: policyDocument(statements) });
    for (const role of this.roles) role.attachInlinePolicy(policy);
    acknowledgeFindings(policy);
    return policy;
  }
}
