import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import { identityDescriptions, PolicyReferences, workerStatements, workerTokenStatements } from "../model";
import { SecretsSpec } from "../cluster-spec";
import type { ControlPlaneIdentity } from "./control-plane-identity";
import { clusterSecret, NodeIdentity, nodeRole, withNodePolicy } from "./private/node-defaults";

export interface WorkerIdentityProps {
  readonly clusterName: string;
  readonly policyReferences: PolicyReferences;
  readonly secrets: SecretsSpec;
  readonly tags: Record<string, string>;
  /** The control plane, which keeps the worker join secret current. */
  readonly controlPlane: ControlPlaneIdentity;
}

/**
 * What a worker node is allowed to be: read the worker join secret, in which the control plane keeps a
 * bootstrap token and the cluster CA's hash (never a key), set its own status tag, and use Session
 * Manager. The control-plane roles may write that secret, no one else (its resource policy). Every pool
 * of the cluster runs with this identity.
 */
export class WorkerIdentity extends Construct {
  /** A current worker bootstrap token and the CA's hash (`TOKEN=`, `CA_CERT_HASH=`, `EXPIRES=` lines). */
  readonly joinSecret: SecretsmanagerSecret;
  readonly identity: NodeIdentity;

  constructor(scope: Construct, id: string, props: WorkerIdentityProps) {
    super(scope, id);
    const { clusterName, policyReferences: refs, secrets, tags, controlPlane } = props;
    const described = identityDescriptions(clusterName);
    const role = nodeRole(this, `${clusterName}-worker-`, described.roles.worker, tags);
    this.joinSecret = clusterSecret(this, "join-secret", {
      namePrefix: `${clusterName}/worker-join-`,
      description: described.secrets.workerJoin,
      readers: [role.role.arn],
      writers: controlPlane.roles.map((r) => r.arn),
      secrets,
      tags,
    });
    this.identity = withNodePolicy(this, role, "kubeadm-ha-worker", workerStatements(refs, this.joinSecret.arn), refs);
    const keeper = new DataAwsIamPolicyDocument(this, "worker-token-permissions", {
      statement: workerTokenStatements(refs, this.joinSecret.arn),
    });
    controlPlane.roles.forEach(
      (r, i) =>
        new IamRolePolicy(this, i === 0 ? "worker-token-policy" : `worker-token-policy-${i}`, {
          role: r.id,
          name: "kubeadm-ha-worker-token",
          policy: keeper.json,
        }),
    );
  }
}
