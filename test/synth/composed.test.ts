/**
 * The everyday use: the constructs in a stack that already has its VPC, subnets, route tables and key,
 * passed as that stack's own resources (tokens). Every node's user data is gzipped at synth, where no
 * framework resolves a token, so each node's decoded user data must hold literal values only; the
 * deploy-time ones travel in the deploy settings.
 */
import { Fn, Lazy, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import {
  CLUSTER_TAG,
  ClusterNetwork,
  ControlPlaneIdentity,
  EtcdCluster,
  IKubeadmCluster,
  KubeadmClusterProps,
  NlbEndpoint,
  NodeImages,
  resolveClusterSpec,
  WorkerIdentity,
} from "../../lib";
import {
  COMPOSED_CIDRS,
  COMPOSED_ZONES,
  ComposedProps,
  ComposedStack,
  inUserNetwork,
  subnetsOf,
} from "../composed-stack";
import {
  dataOf,
  decodeUserData,
  deploySettingsText,
  envValues,
  resourcesOf,
  synthOf,
  synthStack,
  userDataText,
  specProblemsOf,
} from "../helpers";

Testing.setupJest();

/** What a framework leaves in text for a value it resolves later. */
const UNRESOLVED = /[$#]\{(Tf)?Token\[|-1\.888\d*e\+289/;

function composed(props: ComposedProps) {
  return synthOf((app) => new ComposedStack(app, "composed", props));
}

describe("a cluster in the user's own VPC, subnets and key (their attributes are tokens)", () => {
  const cases: Record<string, ComposedProps> = {
    "NLB, external etcd, a KMS key": (network, scope) => ({
      network: { vpcId: network.vpc.id, vpcCidr: network.vpc.cidrBlock, privateSubnets: subnetsOf(network) },
      etcd: { topology: "external" },
      endpoint: { type: "nlb", allowedCidrs: [network.vpc.cidrBlock] },
      secrets: { kmsKeyArn: new KmsKey(scope, "key").arn },
    }),
    "keepalived on dedicated load balancers, the VIP routed through the user's route tables": (network) => ({
      network: { vpcId: network.vpc.id, vpcCidr: network.vpc.cidrBlock, privateSubnets: subnetsOf(network) },
      endpoint: {
        type: "keepalived",
        placement: "dedicated",
        virtualIp: "192.168.100.10",
        routeTableIds: network.routeTables.map((t) => t.id),
      },
    }),
  };

  test.each(Object.entries(cases))("%s: every node's user data holds literal values only", (_, props) => {
    const result = composed(props);
    const instances = resourcesOf(result, "aws_instance");
    expect(instances.length).toBeGreaterThanOrEqual(5);
    for (const instance of instances) {
      const text = userDataText(instance);
      expect(text).not.toMatch(UNRESOLVED);
      const settings = envValues(decodeUserData(text).files["/etc/kubeadm-ha/node-settings.env"].content);
      expect(settings.NODE_IP).toMatch(/^10\.1\.[0-2]\.\d+$/);
      // The instance is placed at the address its user data names.
      expect(instance.private_ip).toBe(settings.NODE_IP);
    }
    // What is known only once deployed reaches the nodes through the deploy settings.
    expect(deploySettingsText(result)).toMatch(/\$\{aws_/);
  });
});

test("a cluster in the user's own stack adds no stack output until the user calls addOutputs()", () => {
  expect(composed(inUserNetwork).plan.output ?? {}).toEqual({});
  const asked = synthOf((app) => {
    const stack = new ComposedStack(app, "composed");
    stack.cluster.addOutputs();
    return stack;
  });
  expect(Object.keys(asked.plan.output).map((k) => k.replace(/^cluster_(.*)_[0-9A-F]{8}$/, "$1"))).toEqual(
    [
      "api-endpoint-url",
      "api-endpoint-host",
      "join-secret-arn",
      "control-plane-instance-ids",
      "shell-command",
      "admin-kubeconfig-command",
      "bootstrap-status-command",
    ].sort(),
  );
});

describe("a deploy-time value where the nodes need a literal is refused at synth, naming the prop", () => {
  const refused = (props: ComposedProps) => specProblemsOf(() => composed(props));

  test("a construct where an id belongs (the VPC resource as vpcId) is refused naming the prop, not a JSON crash", () => {
    const problems = refused((network) => ({
      network: { ...inUserNetwork(network, network.vpc).network!, vpcId: network.vpc as unknown as string },
    }));
    expect(problems).toContainEqual({ prop: "network.vpcId", message: expect.stringMatching(/string/) });
  });

  test("a subnet's CIDR as the subnet's attribute (the nodes' addresses are computed from it)", () => {
    const problems = refused((network) => ({
      network: {
        vpcId: network.vpc.id,
        vpcCidr: "10.1.0.0/16",
        privateSubnets: network.subnets.map((s) => ({
          id: s.id,
          availabilityZone: s.availabilityZone,
          cidrBlock: s.cidrBlock,
        })),
      },
    }));
    expect(problems.map((p) => p.prop)).toEqual([0, 1, 2].map((i) => `network.privateSubnets[${i}].cidrBlock`));
    expect(problems[0].message).toMatch(/deploy-time value.*user data.*literal/);
  });

  test.each([
    [
      "clusterName",
      (scope: Construct) => ({ clusterName: new TerraformVariable(scope, "name", { type: "string" }).stringValue }),
    ],
    [
      "endpoint.virtualIp",
      () => ({ endpoint: { type: "keepalived" as const, virtualIp: Fn.cidrhost("192.168.100.0/24", 10) } }),
    ],
    [
      "podCidr",
      (scope: Construct) => ({ podCidr: new TerraformVariable(scope, "pods", { type: "string" }).stringValue }),
    ],
    [
      "extraCertSans[0]",
      (scope: Construct) => ({ extraCertSans: [new TerraformVariable(scope, "san", { type: "string" }).stringValue] }),
    ],
    [
      "controlPlaneCount",
      (scope: Construct) => ({ controlPlaneCount: new TerraformVariable(scope, "n", { type: "number" }).numberValue }),
    ],
    [
      "network.availabilityZones",
      (scope: Construct) => ({ network: { availabilityZones: new DataAwsAvailabilityZones(scope, "zones").names } }),
    ],
    ["extraCertSans[0]", () => ({ extraCertSans: [Lazy.stringValue({ produce: () => "api.example.com" })] })],
  ] as const)("%s", (prop, props) => {
    expect(refused((_, scope) => props(scope))).toContainEqual({
      prop,
      message: expect.stringMatching(/deploy-time value|list token/),
    });
  });
});

test("subnets whose zones are tokens: the plan checks at deploy time that the nodes' subnets are in distinct zones", () => {
  const result = composed((network) => ({
    network: { vpcId: network.vpc.id, vpcCidr: "10.1.0.0/16", privateSubnets: subnetsOf(network) },
  }));
  const checks = dataOf(result, "aws_ec2_instance_type_offerings").flatMap((d) => d.lifecycle?.postcondition ?? []);
  const spread = checks.find((c: any) => /give each its own availability zone/.test(c.error_message));
  expect(spread.condition).toMatch(/length\(distinct\(\[data\.aws_subnet\.[\w-]+\.availability_zone, .*\]\)\) == 3/);
});

test("a composed node's user data is byte for byte that of the same cluster given literal ids: no value depends on a token", () => {
  const composedNodes = resourcesOf(composed(inUserNetwork), "aws_instance");
  const literal = synthStack({
    clusterName: "composed",
    network: {
      vpcId: "vpc-0123456789abcdef0",
      vpcCidr: "10.1.0.0/16",
      privateSubnets: COMPOSED_CIDRS.map((cidrBlock, i) => ({
        id: `subnet-${i}`,
        availabilityZone: COMPOSED_ZONES[i],
        cidrBlock,
      })),
    },
  });
  const literalNodes = resourcesOf(literal, "aws_instance");
  expect(composedNodes.map((n) => n.tags.Name).sort()).toEqual(literalNodes.map((n) => n.tags.Name).sort());
  for (const node of composedNodes) {
    const twin = literalNodes.find((n) => n.tags.Name === node.tags.Name)!;
    expect({ node: node.tags.Name, same: userDataText(node) === userDataText(twin) }).toEqual({
      node: node.tags.Name,
      same: true,
    });
  }
});

describe("the lower-level constructs composed by hand: a stack's own IKubeadmCluster, given to EtcdCluster and NlbEndpoint", () => {
  const props: KubeadmClusterProps = { clusterName: "by-hand", etcd: { topology: "external" } };
  let etcd!: EtcdCluster;
  let endpoint!: NlbEndpoint;
  let cluster!: IKubeadmCluster;
  const result = synthOf((app) => {
    const stack = new TerraformStack(app, "by-hand");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    const spec = resolveClusterSpec(props);
    const tags = { [CLUSTER_TAG]: spec.clusterName };
    const network = new ClusterNetwork(stack, "network", {
      clusterName: spec.clusterName,
      network: spec.network,
      tags,
      instanceTypes: [],
    });
    const policyReferences = {
      partition: "aws",
      region: "us-east-1",
      accountId: "123456789012",
      clusterName: spec.clusterName,
      deploySettingsArn: "arn:aws:ssm:us-east-1:123456789012:parameter/by-hand/settings",
      sessionManager: spec.sessionManager,
    };
    const identity = new ControlPlaneIdentity(stack, "identity", {
      clusterName: spec.clusterName,
      policyReferences,
      secrets: spec.secrets,
      tags,
    });
    cluster = {
      spec,
      network,
      controlPlaneSecurityGroup: new SecurityGroup(stack, "control-plane", { vpcId: network.vpcId, tags }),
      workerSecurityGroup: new SecurityGroup(stack, "workers", { vpcId: network.vpcId, tags }),
      identity,
      workerIdentity: new WorkerIdentity(stack, "worker-identity", {
        clusterName: spec.clusterName,
        policyReferences,
        secrets: spec.secrets,
        tags,
        controlPlane: identity,
      }),
      policyReferences,
      images: new NodeImages(stack),
      tags,
      addressReservations: [],
      bootPrerequisites: network.egressDependencies,
    };
    etcd = new EtcdCluster(stack, "etcd", { cluster });
    endpoint = new NlbEndpoint(stack, "endpoint", { cluster });
    return stack;
  });

  test("the members' user data is byte for byte KubeadmCluster's for the same props: the constructs load the scripts themselves", () => {
    const membersOf = (synth: typeof result) =>
      resourcesOf(synth, "aws_instance").filter((i) => i.tags.Name.startsWith("by-hand-etcd-"));
    const ours = membersOf(result).map(userDataText);
    expect(ours).toHaveLength(etcd.memberUserData.length);
    expect(new Set(ours).size).toBe(3);
    expect(ours).toEqual(membersOf(synthStack(props)).map(userDataText));
  });

  test("members and load balancers land in the given network, open to the given group, with the given roles granted", () => {
    const ref = (type: string, attribute: string, pick: (key: string, r: any) => boolean) =>
      Object.entries(result.plan.resource[type] ?? {})
        .filter(([key, r]) => pick(key, r))
        .map(([key]) => `\${${type}.${key}.${attribute}}`)
        .sort();
    const privateSubnets = ref("aws_subnet", "id", (_, s) => s.tags.Name.includes("private"));
    expect(privateSubnets).toHaveLength(3);
    expect(
      resourcesOf(result, "aws_instance")
        .map((m) => m.subnet_id)
        .sort(),
    ).toEqual(privateSubnets);
    expect([...resourcesOf(result, "aws_lb")[0].subnets].sort()).toEqual(privateSubnets);
    const [controlPlaneGroup] = ref("aws_security_group", "id", (key) => key.startsWith("control-plane"));
    const fromControlPlane = resourcesOf(result, "aws_vpc_security_group_ingress_rule").filter(
      (r) => r.referenced_security_group_id === controlPlaneGroup,
    );
    expect(fromControlPlane.map((r) => r.from_port).sort()).toEqual([cluster.spec.apiServerPort, 2379].sort());
    const clientPolicies = resourcesOf(result, "aws_iam_role_policy").filter(
      (p) => p.name === "kubeadm-ha-etcd-client",
    );
    const controlPlaneRoles = ref("aws_iam_role", "id", (_, r) => r.name_prefix.startsWith("by-hand-cp"));
    expect(controlPlaneRoles).toHaveLength(2);
    expect(clientPolicies.map((p) => p.role).sort()).toEqual(controlPlaneRoles);
    expect(endpoint.address.host).toBe("api.by-hand.internal");
  });
});
