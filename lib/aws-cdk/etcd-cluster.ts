import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import {
  etcdClientStatements,
  etcdMemberStatements,
  etcdRules,
  etcdSeedStatements,
  identityDescriptions,
  nodeTags,
  securityGroupDescription,
} from "../model";
import { loadNodeScripts } from "../private/node-scripts";
import { renderEtcdMemberUserData } from "../render/internal";
import { ExternalEtcdSpec } from "../cluster-spec";
import {
  addSecurityGroupRules,
  clusterInstance,
  clusterSecret,
  clusterSecurityGroup,
  NodeIdentity,
  nodeRole,
  oneAtATime,
  withNodePolicy,
} from "./private/resources";
import { acknowledgeFindings } from "./private/findings";
import type { IKubeadmCluster } from "./cluster-interface";

export interface EtcdClusterProps {
  /** The cluster the members serve: its spec's `etcd.topology` must be "external"; its control plane gets read access to the client secret. */
  readonly cluster: IKubeadmCluster;
}

/**
 * An external etcd cluster on dedicated instances. Its PKI is born on the members: member 0 creates
 * the etcd CA and publishes it to a secret only the members can read, plus the API server's client
 * certificate to a second secret the control plane can read (never write). Client traffic (2379)
 * comes only from the control plane and the members; peer traffic (2380) only between members.
 */
export class EtcdCluster extends Construct implements ec2.IConnectable {
  readonly spec: ExternalEtcdSpec;
  readonly securityGroup: ec2.SecurityGroup;
  /** The members' group, the client port its default: `etcd.connections.allowDefaultPortFrom(backupHost)`. */
  readonly connections: ec2.Connections;
  /** The etcd CA (certificate and key), for members only. */
  readonly caSecret: secretsmanager.Secret;
  /** The API server's etcd client certificate and key, plus the etcd CA certificate. */
  readonly clientSecret: secretsmanager.Secret;
  readonly members: ec2.Instance[];
  /** Each member's cloud-config, as synthesized. */
  readonly memberUserData: string[];

  constructor(scope: Construct, id: string, props: EtcdClusterProps) {
    super(scope, id);
    const { spec, identity } = props.cluster;
    if (spec.etcd.topology !== "external") throw new Error('EtcdCluster needs a spec with etcd.topology "external"');
    this.spec = spec.etcd;
    const described = identityDescriptions(spec.clusterName);
    // Member 0 creates the PKI and writes both secrets; the others only read the CA; the API servers the client certificate.
    const seedRole = nodeRole(this, "seed-role", described.roles.etcdSeed);
    const memberRole = nodeRole(this, "role", described.roles.etcd);
    const secret = (secretId: string, description: string, readers: string[], holdsRoots: boolean) =>
      clusterSecret(this, secretId, {
        description,
        readers,
        writers: [seedRole.roleArn],
        secrets: spec.secrets,
        holdsRoots,
      });
    this.caSecret = secret("ca-secret", described.secrets.etcdCa, [memberRole.roleArn], true);
    this.clientSecret = secret(
      "client-secret",
      described.secrets.etcdClient,
      identity.roles.map((r) => r.roleArn),
      false,
    );
    const identities = this.permissions(props, seedRole, memberRole);
    this.securityGroup = this.securityGroupWithRules(props);
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(this.spec.clientPort),
    });
    this.memberUserData = [];
    this.members = this.memberInstances(props, identities);
    acknowledgeFindings(this);
  }

  /** Member 0's policy writes both secrets, the others' reads the CA; the control plane may read the client certificate. */
  private permissions({ cluster }: EtcdClusterProps, seedRole: iam.Role, memberRole: iam.Role): NodeIdentity[] {
    const refs = cluster.policyReferences;
    const policyName = "kubeadm-ha-etcd";
    const seed = withNodePolicy(this, "seed-policy", seedRole, {
      policyName,
      statements: etcdSeedStatements(refs, {
        caSecretArn: this.caSecret.secretArn,
        clientSecretArn: this.clientSecret.secretArn,
      }),
      refs,
    });
    const others = withNodePolicy(this, "policy", memberRole, {
      policyName,
      statements: etcdMemberStatements(refs, this.caSecret.secretArn),
      refs,
    });
    cluster.identity.addPolicy(
      "etcd-client-policy",
      "kubeadm-ha-etcd-client",
      etcdClientStatements(refs, this.clientSecret.secretArn),
    );
    return [seed, others];
  }

  /** The members' group: client and peer traffic among them, clients from the API servers, egress for AWS and GitHub. */
  private securityGroupWithRules({ cluster }: EtcdClusterProps): ec2.SecurityGroup {
    const group = clusterSecurityGroup(
      this,
      "security-group",
      cluster.network.vpc,
      securityGroupDescription(cluster.spec.clusterName, "etcd"),
    );
    addSecurityGroupRules(etcdRules(this.spec.clientPort, this.spec.peerPort), (role) =>
      role === "etcd" ? group : cluster.controlPlaneSecurityGroup,
    );
    return group;
  }

  /** One hardened instance per member, each with its rendered user data, one updated at a time. */
  private memberInstances({ cluster }: EtcdClusterProps, [seed, others]: NodeIdentity[]): ec2.Instance[] {
    const etcd = this.spec;
    const scripts = loadNodeScripts();
    return oneAtATime(
      etcd.members.map((member) => {
        const userData = renderEtcdMemberUserData({ spec: cluster.spec, member }, scripts);
        this.memberUserData.push(userData);
        const identity = member.index === 0 ? seed : others;
        return clusterInstance(this, `member-${member.index}`, cluster, {
          name: member.name,
          subnetIndex: member.subnetIndex,
          privateIp: member.privateIp,
          instanceType: etcd.instanceType,
          architecture: etcd.architecture,
          securityGroup: this.securityGroup,
          role: identity.role,
          waitFor: [identity.policy],
          userData,
          rootVolumeSizeGiB: etcd.rootVolumeSizeGiB,
          tags: nodeTags("etcd", member.index),
        });
      }),
    );
  }
}
