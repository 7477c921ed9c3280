import { Testing } from "cdktf";
import { KubeadmClusterProps } from "../../lib/cdktf";
import { EXTERNAL_ETCD_CLIENT_FILES } from "../../lib/render/internal";
import { ETCD_RELEASE_SHA256 } from "../../lib/cluster-spec";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  dataOf,
  decodeInstanceUserData,
  refTo,
  resourcesOf,
  synthStack,
  unknownKubeadmFields,
  userDataBytes,
  yamlDocs,
  nodeKubeadmDocs,
  nodeSettingsOf,
} from "../helpers";
import { BOOTSTRAP_RUNCMD, bootstrapCommand } from "../helpers";

Testing.setupJest();

const props: KubeadmClusterProps = { etcd: { topology: "external" } };
const MEMBER_IPS = ["10.0.0.30", "10.0.16.30", "10.0.32.30"];
const CLIENT_URLS = MEMBER_IPS.map((ip) => `https://${ip}:2379`);

/** `KEY='value'` lines of an env file, as a map. */
const envOf = (text: string) =>
  Object.fromEntries([...text.matchAll(/^([A-Z0-9_]+)='(.*)'$/gm)].map((m) => [m[1], m[2]]));

describe("NLB endpoint with an external etcd cluster of 3 members", () => {
  const result = synthStack(props);
  const instances = resourcesOf(result, "aws_instance");
  const members = instances.filter((n) => n.tags["kubeadm-ha:role"] === "etcd");
  const controlPlane = instances.filter((n) => n.tags["kubeadm-ha:role"] === "control-plane");
  const etcdSg = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-etcd", "id");
  const cpSg = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-control-plane", "id");
  const caSecret = refTo(result, "aws_secretsmanager_secret", (s) => s.name_prefix === "kubeadm-ha/etcd-ca-", "arn");
  const clientSecret = refTo(
    result,
    "aws_secretsmanager_secret",
    (s) => s.name_prefix === "kubeadm-ha/etcd-apiserver-client-",
    "arn",
  );
  const joinSecret = refTo(
    result,
    "aws_secretsmanager_secret",
    (s) => s.name_prefix === "kubeadm-ha/control-plane-join-",
    "arn",
  );

  test("three hardened members, one per zone, at fixed addresses in the private subnets", () => {
    expect(members.map((m) => m.private_ip)).toEqual(MEMBER_IPS);
    expect(new Set(members.map((m) => m.subnet_id)).size).toBe(3);
    for (const m of members) {
      expect(m.instance_type).toBe("t3.medium");
      expect(m.metadata_options).toMatchObject({ http_tokens: "required", http_put_response_hop_limit: 1 });
      expect(m.root_block_device).toMatchObject({ encrypted: true, volume_size: 30 });
      expect(m.key_name).toBeUndefined();
      expect(m.vpc_security_group_ids).toEqual([etcdSg]);
      expect(m.associate_public_ip_address).toBeUndefined();
    }
    expect(controlPlane).toHaveLength(3);
  });

  test.each([0, 1, 2])(
    "member %i: etcd.env has its own URLs, every member in the initial cluster, and mutual TLS",
    (i) => {
      const { files, cloudConfig } = decodeInstanceUserData(members[i]);
      const flags = envOf(files["/etc/etcd/etcd.env"].content);
      const ip = MEMBER_IPS[i];
      expect(flags).toMatchObject({
        ETCD_NAME: `kubeadm-ha-etcd-${i}`,
        ETCD_DATA_DIR: "/var/lib/etcd",
        ETCD_LISTEN_CLIENT_URLS: `https://${ip}:2379,https://127.0.0.1:2379`,
        ETCD_ADVERTISE_CLIENT_URLS: `https://${ip}:2379`,
        ETCD_LISTEN_PEER_URLS: `https://${ip}:2380`,
        ETCD_INITIAL_ADVERTISE_PEER_URLS: `https://${ip}:2380`,
        ETCD_INITIAL_CLUSTER: MEMBER_IPS.map((m, j) => `kubeadm-ha-etcd-${j}=https://${m}:2380`).join(","),
        ETCD_CLIENT_CERT_AUTH: "true",
        ETCD_PEER_CLIENT_CERT_AUTH: "true",
        ETCD_TRUSTED_CA_FILE: "/etc/etcd/pki/ca.crt",
        ETCD_PEER_TRUSTED_CA_FILE: "/etc/etcd/pki/ca.crt",
        ETCD_CERT_FILE: "/etc/etcd/pki/server.crt",
        ETCD_KEY_FILE: "/etc/etcd/pki/server.key",
        ETCD_PEER_CERT_FILE: "/etc/etcd/pki/peer.crt",
        ETCD_PEER_KEY_FILE: "/etc/etcd/pki/peer.key",
      });
      // No plain-HTTP URL anywhere, and the initial state is decided at boot, not baked in.
      expect(Object.values(flags).join(" ")).not.toMatch(/http:\/\//);
      expect(flags.ETCD_INITIAL_CLUSTER_STATE).toBeUndefined();
      expect(files["/etc/systemd/system/etcd.service"].content).toMatch(
        /EnvironmentFile=\/etc\/etcd\/etcd\.env\nEnvironmentFile=\/etc\/etcd\/state\.env/,
      );
      expect(cloudConfig.runcmd).toEqual(BOOTSTRAP_RUNCMD);
      expect(bootstrapCommand(files)).toBe("/opt/kubeadm-ha/bootstrap-etcd.sh");
    },
  );

  test("members install the pinned release verified by its SHA-256, and know both secrets by ARN", () => {
    const env = nodeSettingsOf(result, members[0]);
    expect(env).toMatchObject({
      NODE_INDEX: "0",
      ETCD_RELEASE: "3.6.14",
      ETCD_RELEASE_ARCH: "amd64",
      ETCD_RELEASE_SHA256: ETCD_RELEASE_SHA256["3.6.14"].amd64,
      ETCD_ENDPOINTS: CLIENT_URLS.join(" "),
      ETCD_CA_SECRET_ID: caSecret,
      ETCD_CLIENT_SECRET_ID: clientSecret,
    });
  });

  test.each([0, 1, 2])(
    "control-plane node %i: kubeadm uses etcd.external with every member and the client certificate files",
    (i) => {
      const { files } = decodeInstanceUserData(controlPlane[i]);
      const [cluster, init] = nodeKubeadmDocs(result, controlPlane[i]);
      expect(cluster.etcd).toEqual({ external: { endpoints: CLIENT_URLS, ...EXTERNAL_ETCD_CLIENT_FILES } });
      expect(cluster.etcd.local).toBeUndefined();
      for (const doc of [cluster, init, ...yamlDocs(files["/etc/kubeadm-ha/kubeadm-join.yaml"].content)])
        expect(unknownKubeadmFields(doc)).toEqual([]);
      const env = nodeSettingsOf(result, controlPlane[i]);
      expect(env).toMatchObject({
        ETCD_TOPOLOGY: "external",
        ETCD_ENDPOINTS: CLIENT_URLS.join(" "),
        ETCD_CLIENT_SECRET_ID: clientSecret,
      });
    },
  );

  test("security groups: 2379 only from the control plane and the members, 2380 only between members", () => {
    const ingress = resourcesOf(result, "aws_vpc_security_group_ingress_rule");
    const toEtcd = ingress.filter((r) => r.security_group_id === etcdSg);
    expect(toEtcd.map((r) => [r.from_port, r.to_port, r.referenced_security_group_id]).sort()).toEqual(
      [
        [2379, 2379, cpSg],
        [2379, 2379, etcdSg],
        [2380, 2380, etcdSg],
      ].sort(),
    );
    for (const r of toEtcd) expect(r.cidr_ipv4).toBeUndefined();
    // The control plane has no stacked-etcd ports of its own any more.
    expect(ingress.filter((r) => r.security_group_id === cpSg && r.from_port <= 2380 && r.to_port >= 2379)).toEqual([]);
    const egress = resourcesOf(result, "aws_vpc_security_group_egress_rule");
    expect(
      egress
        .filter((r) => r.security_group_id === cpSg && r.referenced_security_group_id === etcdSg)
        .map((r) => [r.from_port, r.to_port]),
    ).toEqual([[2379, 2379]]);
    expect(
      egress
        .filter((r) => r.security_group_id === etcdSg)
        .map((r) => [r.from_port, r.to_port, r.cidr_ipv4 ?? r.referenced_security_group_id])
        .sort(),
    ).toEqual(
      [
        [2379, 2380, etcdSg],
        [443, 443, "0.0.0.0/0"],
      ].sort(),
    );
  });

  test("IAM: member 0 writes the two etcd secrets, the other members only read the CA, the control plane only reads the client secret", () => {
    const docs = dataOf(result, "aws_iam_policy_document");
    const statements = docs.flatMap((d) => d.statement);
    const statement = (sid: string) => statements.find((s: any) => s.sid === sid);
    expect(statement("EtcdSecretsWrite")).toEqual({
      sid: "EtcdSecretsWrite",
      actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      resources: [caSecret, clientSecret],
    });
    expect(statement("EtcdCaRead")).toEqual({
      sid: "EtcdCaRead",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [caSecret],
    });
    expect(statement("EtcdClientSecret")).toEqual({
      sid: "EtcdClientSecret",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [clientSecret],
    });
    expect(statement("JoinSecret").resources).toEqual([joinSecret]);
    // Only member 0 may write anything etcd; nobody but the members names the CA secret.
    const writers = statements
      .filter((s: any) => s.effect === undefined && s.actions.includes("secretsmanager:PutSecretValue"))
      .map((s: any) => s.sid)
      .sort();
    expect(writers).toEqual(["AdminKubeconfigWrite", "EtcdSecretsWrite", "JoinSecret", "WorkerJoinSecret"]);
    expect(
      statements
        .filter((s: any) => JSON.stringify(s).includes(caSecret))
        .map((s: any) => s.sid)
        .sort(),
    ).toEqual(["EtcdCaRead", "EtcdSecretsWrite"]);

    const policies = resourcesOf(result, "aws_iam_role_policy");
    const roleId = (prefix: string) => refTo(result, "aws_iam_role", (r) => r.name_prefix === prefix, "id");
    const profile = (prefix: string) =>
      refTo(result, "aws_iam_instance_profile", (p) => p.name_prefix === prefix, "name");
    const policyOf = (role: string) =>
      policies.filter((p) => p.role === role && p.name !== "kubeadm-ha-session-manager").map((p) => p.policy);
    expect(policyOf(roleId("kubeadm-ha-etcd0-"))).toHaveLength(1);
    expect(policyOf(roleId("kubeadm-ha-etcd-"))).toHaveLength(1);
    expect(
      policies
        .filter((p) => p.name === "kubeadm-ha-etcd-client")
        .map((p) => p.role)
        .sort(),
    ).toEqual([roleId("kubeadm-ha-cp0-"), roleId("kubeadm-ha-cp-")].sort());
    expect(members.map((m) => m.iam_instance_profile)).toEqual([
      profile("kubeadm-ha-etcd0-"),
      profile("kubeadm-ha-etcd-"),
      profile("kubeadm-ha-etcd-"),
    ]);
  });

  test("each etcd secret's resource policy: only member 0 writes; the CA is read by the members only, the client certificate by the control plane only", () => {
    const arn = (prefix: string) => refTo(result, "aws_iam_role", (r) => r.name_prefix === prefix, "arn");
    const policyOf = (secret: string) => {
      const policy = resourcesOf(result, "aws_secretsmanager_secret_policy").find((p) => p.secret_arn === secret)!;
      const docId = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(policy.policy)![1];
      const doc = JSON.parse(result.json).data.aws_iam_policy_document[docId];
      return Object.fromEntries(doc.statement.map((s: any) => [s.sid, [s.effect, s.actions, s.condition[0].values]]));
    };
    expect(policyOf(caSecret)).toEqual({
      OnlyItsWritersWrite: ["Deny", ["secretsmanager:PutSecretValue"], [arn("kubeadm-ha-etcd0-")]],
      OnlyItsReadersRead: [
        "Deny",
        ["secretsmanager:GetSecretValue"],
        [arn("kubeadm-ha-etcd-"), arn("kubeadm-ha-etcd0-")],
      ],
    });
    expect(policyOf(clientSecret)).toEqual({
      OnlyItsWritersWrite: ["Deny", ["secretsmanager:PutSecretValue"], [arn("kubeadm-ha-etcd0-")]],
      OnlyItsReadersRead: [
        "Deny",
        ["secretsmanager:GetSecretValue"],
        [arn("kubeadm-ha-cp0-"), arn("kubeadm-ha-cp-"), arn("kubeadm-ha-etcd0-")],
      ],
    });
  });

  test("members are created after their permissions and every security-group rule they need", () => {
    const ruleAddress = (type: string, name: string) => `${type}.${name}`;
    const etcdRules = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
      Object.entries<any>(result.plan.resource[type])
        .filter(([, r]) => r.security_group_id === etcdSg)
        .map(([name]) => ruleAddress(type, name)),
    );
    expect(etcdRules).toHaveLength(5);
    for (const m of members) {
      const deps: string[] = m.depends_on;
      expect(deps).toEqual(expect.arrayContaining(etcdRules));
      expect(deps.filter((d) => d.startsWith("aws_iam_role_policy."))).toHaveLength(1);
    }
  });

  test("no secret, key or certificate in any user data; each stays under 16 KB", () => {
    for (const n of instances) {
      const { raw } = decodeInstanceUserData(n);
      expect(raw).not.toMatch(PRIVATE_KEY_PATTERN);
      expect(raw).not.toMatch(/BEGIN CERTIFICATE/);
      expect(raw).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
      expect(userDataBytes(n)).toBeLessThan(16384);
    }
    expect(resourcesOf(result, "aws_secretsmanager_secret_version")).toEqual([]); // values are written by the nodes only
  });

  test("the bootstrap-status command covers the etcd members as well as the control plane", () => {
    const command = Object.entries(result.plan.output).find(([k]) => k.includes("bootstrap-status-command"))![1]
      .value as string;
    const ids = Object.keys(result.plan.resource.aws_instance).map((k) => `aws_instance.${k}.id`);
    expect(ids).toHaveLength(6);
    for (const id of ids) expect(command).toContain(id);
  });
});

describe("keepalived endpoint with external etcd, and Graviton members", () => {
  const result = synthStack({
    endpoint: { type: "keepalived", virtualIp: "192.168.255.10" },
    etcd: { topology: "external", members: 5, instanceType: "m7g.large" },
  });
  const instances = resourcesOf(result, "aws_instance");
  const members = instances.filter((n) => n.tags["kubeadm-ha:role"] === "etcd");

  test("5 members on arm64 images (their own image lookup), with the arm64 checksum", () => {
    expect(members).toHaveLength(5);
    const params = dataOf(result, "aws_ssm_parameter")
      .map((p) => p.name)
      .sort();
    expect(params).toEqual([
      "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
      "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
    ]);
    for (const m of members) {
      expect(m.ami).toMatch(/data\.aws_ssm_parameter\.[^.]*arm64[^.]*\.insecure_value/);
      const env = envOf(decodeInstanceUserData(m).files["/etc/kubeadm-ha/node-settings.env"].content);
      expect(env.ETCD_RELEASE_SHA256).toBe(ETCD_RELEASE_SHA256["3.6.14"].arm64);
    }
    for (const n of instances.filter((n) => n.tags["kubeadm-ha:role"] === "control-plane"))
      expect(n.ami).not.toMatch(/arm64/);
  });

  test("the control plane's kubeadm config lists all 5 members; the VIP stays the endpoint", () => {
    const cp = instances.find((n) => n.tags["kubeadm-ha:role"] === "control-plane")!;
    const [cluster] = nodeKubeadmDocs(result, cp);
    expect(cluster.controlPlaneEndpoint).toBe("192.168.255.10:8443");
    expect(cluster.etcd.external.endpoints).toHaveLength(5);
  });
});
