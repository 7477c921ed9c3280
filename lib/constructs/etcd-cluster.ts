import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { renderEtcdMemberUserData } from "../render";
import { ExternalEtcdSpec } from "../spec";
import {
  ClusterNodeContext,
  clusterSecret,
  clusterSecurityGroup,
  hardenedInstance,
  NodeIdentity,
  nodeRole,
  secretKeyStatements,
  withNodePolicy,
} from "./node-defaults";
import { compressedUserData } from "./user-data";

/** `cluster.etcd.topology` must be "external"; the control-plane roles get read access to the client secret. */
export type EtcdClusterProps = ClusterNodeContext;

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
    const { cluster } = props;
    if (cluster.etcd.topology !== "external") throw new Error('EtcdCluster needs a spec with etcd.topology "external"');
    this.spec = cluster.etcd;
    const name = cluster.clusterName;

    // Member 0 creates the PKI and writes both secrets; the others only read the CA; the API servers the client certificate.
    const seedScope = new Construct(this, "seed-identity");
    const memberScope = new Construct(this, "member-identity");
    const seedRole = nodeRole(
      seedScope,
      `${name}-etcd0-`,
      `etcd member 0 of ${name}: creates the etcd PKI`,
      props.tags,
    );
    const memberRole = nodeRole(memberScope, `${name}-etcd-`, `etcd members 1+ of ${name}`, props.tags);
    const secret = (secretId: string, namePrefix: string, description: string, readers: string[]) =>
      clusterSecret(this, secretId, {
        namePrefix,
        description,
        readers,
        writers: [seedRole.role.arn],
        secrets: cluster.secrets,
        tags: props.tags,
      });
    this.caSecret = secret(
      "ca-secret",
      `${name}/etcd-ca-`,
      `etcd CA of ${name}, written by etcd member 0; readable by the etcd members only`,
      [memberRole.role.arn],
    );
    this.clientSecret = secret(
      "client-secret",
      `${name}/etcd-apiserver-client-`,
      `The API server's etcd client certificate of ${name}, written by etcd member 0`,
      props.controlPlaneRoles.map((r) => r.arn),
    );
    const { securityGroup, rules } = this.securityGroupWithRules(props);
    this.securityGroup = securityGroup;
    const { seed, others } = this.permissions(props, { seedScope, seedRole, memberScope, memberRole });
    this.memberUserData = [];
    this.members = this.memberInstances(props, (index) => (index === 0 ? seed : others), rules);
  }

  /** The members' group: client and peer traffic among them, clients from the API servers, egress for AWS and GitHub. */
  private securityGroupWithRules(props: EtcdClusterProps) {
    const etcd = this.spec;
    const name = props.cluster.clusterName;
    const sg = clusterSecurityGroup(this, "security-group", {
      name: `${name}-etcd`,
      description: `External etcd members of ${name}`,
      vpcId: props.vpcId,
      tags: props.tags,
    });
    const port = (fromPort: number) => ({ ipProtocol: "tcp", fromPort, toPort: fromPort });
    const ingress = (ruleId: string, description: string, fromPort: number, from: string) =>
      new VpcSecurityGroupIngressRule(this, ruleId, {
        securityGroupId: sg.id,
        description,
        ...port(fromPort),
        referencedSecurityGroupId: from,
      });
    const rules = [
      ingress(
        "client-from-control-plane",
        "etcd clients: the API servers",
        etcd.clientPort,
        props.controlPlaneSecurityGroupId,
      ),
      ingress(
        "client-from-members",
        "etcd clients: members checking health and changing membership",
        etcd.clientPort,
        sg.id,
      ),
      ingress("peer-from-members", "etcd peer traffic between members only", etcd.peerPort, sg.id),
      new VpcSecurityGroupEgressRule(this, "egress-members", {
        securityGroupId: sg.id,
        description: "etcd client and peer traffic to other members",
        ipProtocol: "tcp",
        fromPort: etcd.clientPort,
        toPort: etcd.peerPort,
        referencedSecurityGroupId: sg.id,
      }),
      new VpcSecurityGroupEgressRule(this, "egress-https", {
        securityGroupId: sg.id,
        description: "AWS APIs and the etcd release download (github.com)",
        ...port(443),
        cidrIpv4: "0.0.0.0/0",
      }),
    ];
    new VpcSecurityGroupEgressRule(this, "control-plane-to-etcd", {
      securityGroupId: props.controlPlaneSecurityGroupId,
      description: "API servers to the external etcd",
      ...port(etcd.clientPort),
      referencedSecurityGroupId: sg.id,
    });
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
    const { cluster, partition } = props;
    const name = cluster.clusterName;
    const { seedScope, seedRole, memberScope, memberRole } = roles;
    const seed = withNodePolicy(
      seedScope,
      seedRole,
      "kubeadm-ha-etcd",
      [
        {
          sid: "EtcdSecretsWrite",
          actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
          resources: [this.caSecret.arn, this.clientSecret.arn],
        },
        ...secretKeyStatements(cluster.secrets, props.region, true),
      ],
      { partition, clusterName: name },
    );
    const others = withNodePolicy(
      memberScope,
      memberRole,
      "kubeadm-ha-etcd",
      [
        { sid: "EtcdCaRead", actions: ["secretsmanager:GetSecretValue"], resources: [this.caSecret.arn] },
        ...secretKeyStatements(cluster.secrets, props.region, false),
      ],
      { partition, clusterName: name },
    );
    const controlPlanePermissions = new DataAwsIamPolicyDocument(this, "control-plane-permissions", {
      statement: [
        { sid: "EtcdClientSecret", actions: ["secretsmanager:GetSecretValue"], resources: [this.clientSecret.arn] },
        ...secretKeyStatements(cluster.secrets, props.region, false),
      ],
    });
    props.controlPlaneRoles.forEach(
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
    props: EtcdClusterProps,
    identityOf: (index: number) => NodeIdentity,
    rules: ITerraformDependable[],
  ): Instance[] {
    const { cluster, tags } = props;
    const etcd = this.spec;
    return etcd.members.map((member) => {
      const userData = renderEtcdMemberUserData(
        {
          spec: cluster,
          member,
          region: props.region,
          etcdCaSecretId: this.caSecret.arn,
          etcdClientSecretId: this.clientSecret.arn,
        },
        props.scripts,
      );
      this.memberUserData.push(userData);
      const identity = identityOf(member.index);
      return hardenedInstance(this, `member-${member.index}`, {
        ami: props.imageFor(etcd.architecture),
        instanceType: etcd.instanceType,
        subnetId: props.privateSubnetIds[member.subnetIndex],
        privateIp: member.privateIp,
        vpcSecurityGroupIds: [this.securityGroup.id],
        iamInstanceProfile: identity.instanceProfile.name,
        userDataBase64: compressedUserData(userData, member.name),
        rootVolumeSizeGiB: etcd.rootVolumeSizeGiB,
        tags: { ...tags, Name: member.name, "kubeadm-ha:node-index": String(member.index), "kubeadm-ha:role": "etcd" },
        volumeTags: { ...tags, Name: member.name },
        // The rules are separate resources: without them first-boot downloads and peer traffic fail.
        dependsOn: [identity.policy, ...rules, ...props.bootPrerequisites],
      });
    });
  }
}
