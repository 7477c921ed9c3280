import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { encodeUserData, renderEtcdMemberUserData } from "../render/internal";
import { ExternalEtcdSpec } from "../cluster-spec";
import type { IKubeadmCluster } from "./cluster-interface";
import { loadNodeScripts } from "../private/node-scripts";
import {
  clusterSecret,
  clusterSecurityGroup,
  hardenedInstance,
  NodeIdentity,
  nodeRole,
  securityGroupRules,
  withNodePolicy,
} from "./private/node-defaults";
import {
  etcdClientStatements,
  etcdMemberStatements,
  etcdRules,
  etcdSeedStatements,
  identityDescriptions,
  nodeTags,
  securityGroupDescription,
  SecurityGroupRole,
} from "../model";

export interface EtcdClusterProps {
  /** The cluster the members serve: its spec's `etcd.topology` must be "external"; its control-plane roles get read access to the client secret. */
  readonly cluster: IKubeadmCluster;
}

/**
 * An external etcd cluster on dedicated instances. Its PKI is born on the members: member 0 creates
 * the etcd CA and publishes it to a secret only the members can read, plus the API server's client
 * certificate to a second secret the control plane can read (never write). Client traffic (2379)
 * comes only from the control plane and the members; peer traffic (2380) only between members.
 */
export class EtcdCluster extends Construct {
  readonly spec: ExternalEtcdSpec;
  readonly securityGroup: SecurityGroup;
  /** The etcd CA (certificate and key), for members only. */
  readonly caSecret: SecretsmanagerSecret;
  /** The API server's etcd client certificate and key, plus the etcd CA certificate. */
  readonly clientSecret: SecretsmanagerSecret;
  readonly members: Instance[];
  readonly memberUserData: string[];

  constructor(scope: Construct, id: string, props: EtcdClusterProps) {
    super(scope, id);
    const { spec, tags } = props.cluster;
    if (spec.etcd.topology !== "external") throw new Error('EtcdCluster needs a spec with etcd.topology "external"');
    this.spec = spec.etcd;
    const name = spec.clusterName;
    const described = identityDescriptions(name);

    // Member 0 creates the PKI and writes both secrets; the others only read the CA; the API servers the client certificate.
    const seedScope = new Construct(this, "seed-identity");
    const memberScope = new Construct(this, "member-identity");
    const seedRole = nodeRole(seedScope, `${name}-etcd0-`, described.roles.etcdSeed, tags);
    const memberRole = nodeRole(memberScope, `${name}-etcd-`, described.roles.etcd, tags);
    const secret = (secretId: string, namePrefix: string, description: string, readers: string[]) =>
      clusterSecret(this, secretId, {
        namePrefix,
        description,
        readers,
        writers: [seedRole.role.arn],
        secrets: spec.secrets,
        tags,
      });
    this.caSecret = secret("ca-secret", `${name}/etcd-ca-`, described.secrets.etcdCa, [memberRole.role.arn]);
    this.clientSecret = secret(
      "client-secret",
      `${name}/etcd-apiserver-client-`,
      described.secrets.etcdClient,
      props.cluster.identity.roles.map((r) => r.arn),
    );
    const { securityGroup, rules } = this.securityGroupWithRules(props);
    this.securityGroup = securityGroup;
    const { seed, others } = this.permissions(props, { seedScope, seedRole, memberScope, memberRole });
    this.memberUserData = [];
    this.members = this.memberInstances(props, (index) => (index === 0 ? seed : others), rules);
  }

  /** The members' group: client and peer traffic among them, clients from the API servers, egress for AWS and GitHub. */
  private securityGroupWithRules({ cluster }: EtcdClusterProps) {
    const etcd = this.spec;
    const sg = clusterSecurityGroup(this, "security-group", {
      ...securityGroupDescription(cluster.spec.clusterName, "etcd"),
      vpcId: cluster.network.vpcId,
      tags: cluster.tags,
    });
    const groupId = (role: SecurityGroupRole) => (role === "etcd" ? sg.id : cluster.controlPlaneSecurityGroup.id);
    const all = etcdRules(etcd.clientPort, etcd.peerPort);
    const rules = securityGroupRules(this, all, groupId).filter((_, i) => all[i].group === "etcd");
    return { securityGroup: sg, rules };
  }

  /** Member 0's role writes both secrets, the others' reads the CA; the control plane may read the client certificate. */
  private permissions(
    props: EtcdClusterProps,
    roles: {
      seedScope: Construct;
      seedRole: Omit<NodeIdentity, "policy">;
      memberScope: Construct;
      memberRole: Omit<NodeIdentity, "policy">;
    },
  ) {
    const { seedScope, seedRole, memberScope, memberRole } = roles;
    const refs = props.cluster.policyReferences;
    const seed = withNodePolicy(
      seedScope,
      seedRole,
      "kubeadm-ha-etcd",
      etcdSeedStatements(refs, { caSecretArn: this.caSecret.arn, clientSecretArn: this.clientSecret.arn }),
      refs,
    );
    const others = withNodePolicy(
      memberScope,
      memberRole,
      "kubeadm-ha-etcd",
      etcdMemberStatements(refs, this.caSecret.arn),
      refs,
    );
    const controlPlanePermissions = new DataAwsIamPolicyDocument(this, "control-plane-permissions", {
      statement: etcdClientStatements(refs, this.clientSecret.arn),
    });
    props.cluster.identity.roles.forEach(
      (role, i) =>
        new IamRolePolicy(this, i === 0 ? "control-plane-policy" : `control-plane-policy-${i}`, {
          role: role.id,
          name: "kubeadm-ha-etcd-client",
          policy: controlPlanePermissions.json,
        }),
    );
    return { seed, others };
  }

  /** One hardened instance per member, each with its rendered user data. */
  private memberInstances(
    { cluster }: EtcdClusterProps,
    identityOf: (index: number) => NodeIdentity,
    rules: ITerraformDependable[],
  ): Instance[] {
    const { tags } = cluster;
    const etcd = this.spec;
    const scripts = loadNodeScripts();
    return etcd.members.map((member) => {
      const userData = renderEtcdMemberUserData({ spec: cluster.spec, member }, scripts);
      this.memberUserData.push(userData);
      const identity = identityOf(member.index);
      return hardenedInstance(this, `member-${member.index}`, {
        ami: cluster.images.imageFor(etcd.architecture),
        instanceType: etcd.instanceType,
        subnetId: cluster.network.privateSubnetIds[member.subnetIndex],
        privateIp: member.privateIp,
        vpcSecurityGroupIds: [this.securityGroup.id],
        iamInstanceProfile: identity.instanceProfile.name,
        userDataBase64: encodeUserData(userData, member.name),
        rootVolumeSizeGiB: etcd.rootVolumeSizeGiB,
        tags: { ...tags, Name: member.name, ...nodeTags("etcd", member.index) },
        volumeTags: { ...tags, Name: member.name },
        // The rules are separate resources: without them first-boot downloads and peer traffic fail.
        dependsOn: [identity.policy, ...rules, ...cluster.bootPrerequisites],
      });
    });
  }
}
