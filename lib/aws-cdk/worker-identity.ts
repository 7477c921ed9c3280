import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { identityDescriptions, PolicyReferences, workerStatements, workerTokenStatements } from "../model";
import { SecretsSpec } from "../cluster-spec";
import type { ControlPlaneIdentity } from "./control-plane-identity";
import { clusterSecret, NodeIdentity, nodeRole, withNodePolicy } from "./private/resources";
import { acknowledgeFindings } from "./private/findings";

export interface WorkerIdentityProps {
  readonly clusterName: string;
  readonly policyReferences: PolicyReferences;
  readonly secrets: SecretsSpec;
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
  readonly joinSecret: secretsmanager.Secret;
  readonly identity: NodeIdentity;

  constructor(scope: Construct, id: string, props: WorkerIdentityProps) {
    super(scope, id);
    const { clusterName, policyReferences: refs, secrets, controlPlane } = props;
    const described = identityDescriptions(clusterName);
    const role = nodeRole(this, "role", described.roles.worker);
    this.joinSecret = clusterSecret(this, "join-secret", {
      description: described.secrets.workerJoin,
      readers: [role.roleArn],
      writers: controlPlane.roles.map((r) => r.roleArn),
      secrets,
      holdsRoots: false,
    });
    this.identity = withNodePolicy(this, "policy", role, {
      policyName: "kubeadm-ha-worker",
      statements: workerStatements(refs, this.joinSecret.secretArn),
      refs,
    });
    controlPlane.addPolicy(
      "worker-token-policy",
      "kubeadm-ha-worker-token",
      workerTokenStatements(refs, this.joinSecret.secretArn),
    );
    acknowledgeFindings(this);
  }
}
