/**
 * The AWS CDK flavour's CloudFormation template, through aws-cdk-lib/assertions: the listener and
 * health check, certSANs and the endpoint in the decoded user data, IMDSv2, encryption, IAM scope,
 * empty secrets, the deploy settings; the same validation as the cdktf flavour. The template's shape
 * per topology is a golden file (test/aws-cdk/golden.test.ts).
 */
import { gunzipSync } from "zlib";
import { Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import { Match, Template } from "aws-cdk-lib/assertions";
import { ClusterSpecError, KubeadmCluster, KubeadmClusterProps } from "../../lib/aws-cdk";
import { SESSION_MANAGER_ACTIONS } from "../../lib/model";
import { NLB_TIMERS } from "../../lib/cluster-spec";
import { BAD_INPUTS } from "../bad-inputs";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  decodeUserData,
  filledFromDeploySettings,
  yamlDocs,
} from "../helpers";
import { CdkSynth, cfnPrimaryInterface, cfnResources, cfnTag, cfnUserDataText, strictApp, synthCdk } from "./helpers";

const synth = synthCdk();
const { template } = synth;
const instances = cfnResources(synth, "AWS::EC2::Instance");

/** The deploy settings with CloudFormation's references as readable stand-ins. */
function deploySettingsOf(s: CdkSynth): string {
  const value = cfnResources(s, "AWS::SSM::Parameter")[0][1].Properties.Value;
  const parts: unknown[] = typeof value === "string" ? [value] : value["Fn::Join"][1];
  return parts
    .map((p: any) => (typeof p === "string" ? p : p.Ref ? `<Ref ${p.Ref}>` : `<${p["Fn::GetAtt"].join(".")}>`))
    .join("");
}

describe("the default cluster", () => {
  test("three control-plane instances, one per private subnet, IMDSv2 only with hop limit 1, encrypted gp3 roots, no key pair", () => {
    expect(instances).toHaveLength(3);
    template.allResourcesProperties("AWS::EC2::Instance", {
      MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 1, HttpEndpoint: "enabled" },
      BlockDeviceMappings: [
        {
          DeviceName: "/dev/sda1",
          Ebs: {
            Encrypted: true,
            VolumeType: "gp3",
            VolumeSize: synth.cluster.spec.rootVolumeSizeGiB,
            DeleteOnTermination: true,
          },
        },
      ],
      KeyName: Match.absent(),
    });
    const interfaces = instances.map(([, i]) => cfnPrimaryInterface(synth, i).Properties);
    expect(new Set(interfaces.map((n) => JSON.stringify(n.SubnetId))).size).toBe(3);
    expect(interfaces.map((n) => n.PrivateIpAddress)).toEqual(["10.0.0.10", "10.0.16.10", "10.0.32.10"]);
  });

  test("the image is Canonical's public SSM parameter, resolved by EC2 at launch: a new Ubuntu image changes no template", () => {
    for (const [, i] of instances)
      expect(i.Properties.ImageId).toBe(
        "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
      );
    // A template parameter would be read again at every deploy, and a new image would replace the nodes.
    const parameters = Object.values<any>(synth.json.Parameters ?? {});
    expect(parameters.filter((p) => p.Type.includes("AWS::EC2::Image::Id"))).toEqual([]);
  });

  test("a given imageId is every node's image, also in a stack without a region", () => {
    const pinned = synthCdk({ imageId: "ami-0123456789abcdef0" });
    for (const [, i] of cfnResources(pinned, "AWS::EC2::Instance"))
      expect(i.Properties.ImageId).toBe("ami-0123456789abcdef0");
  });

  test("an internal NLB with a TCP 6443 listener; HTTPS /readyz health checks and drain timers as the cdktf flavour's", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      Scheme: "internal",
      Type: "network",
      Name: "kubeadm-ha-api",
      LoadBalancerAttributes: Match.arrayWith([{ Key: "load_balancing.cross_zone.enabled", Value: "true" }]),
    });
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", { Port: 6443, Protocol: "TCP" });
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      Port: 6443,
      Protocol: "TCP",
      TargetType: "instance",
      HealthCheckProtocol: "HTTPS",
      HealthCheckPath: "/readyz",
      HealthCheckIntervalSeconds: NLB_TIMERS.healthCheckIntervalSeconds,
      HealthyThresholdCount: NLB_TIMERS.healthyThreshold,
      UnhealthyThresholdCount: NLB_TIMERS.unhealthyThreshold,
      TargetGroupAttributes: Match.arrayWith([
        { Key: "deregistration_delay.timeout_seconds", Value: String(NLB_TIMERS.drainSeconds) },
        { Key: "preserve_client_ip.enabled", Value: "false" },
      ]),
      Targets: instances.map(([id]) => ({ Id: { Ref: id }, Port: 6443 })),
    });
  });

  test("the listener keeps an idle connection (exec, port-forward, a watch) for an hour, not AWS's 350 s; endpoint.idleTimeoutSeconds sets both NLBs'", () => {
    const idle = (s: CdkSynth) =>
      cfnResources(s, "AWS::ElasticLoadBalancingV2::Listener").map(([, l]) => l.Properties.ListenerAttributes);
    expect(idle(synth)).toEqual([[{ Key: "tcp.idle_timeout.seconds", Value: "3600" }]]);
    const exposed = synthCdk({
      endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"], idleTimeoutSeconds: 600 },
    });
    expect(idle(exposed)).toEqual([
      [{ Key: "tcp.idle_timeout.seconds", Value: "600" }],
      [{ Key: "tcp.idle_timeout.seconds", Value: "600" }],
    ]);
  });

  test("losing a zone leaves the others their egress (Session Manager, Secrets Manager, the EC2 API, packages): a NAT gateway per zone, each private subnet routed through its own zone's", () => {
    const natSubnetOf = (s: CdkSynth) =>
      cfnResources(s, "AWS::EC2::Route")
        .filter(([, r]) => r.Properties.NatGatewayId)
        .map(([, r]) => {
          const table = s.json.Resources[r.Properties.RouteTableId.Ref];
          const nat = s.json.Resources[r.Properties.NatGatewayId.Ref];
          return [cfnTag(table, "Name"), s.json.Resources[nat.Properties.SubnetId.Ref].Properties.CidrBlock];
        });
    const ownZone = [
      ["kubeadm-ha-private-0", "10.0.240.0/24"],
      ["kubeadm-ha-private-1", "10.0.241.0/24"],
      ["kubeadm-ha-private-2", "10.0.242.0/24"],
    ];
    expect(natSubnetOf(synth)).toEqual(ownZone);
    expect(natSubnetOf(synthCdk({ etcd: { topology: "external" } }))).toEqual(ownZone);
    // Opting down: one gateway, in the first zone.
    expect(natSubnetOf(synthCdk({ network: { natGatewayPerZone: false } })).map(([, nat]) => nat)).toEqual([
      "10.0.240.0/24",
      "10.0.240.0/24",
      "10.0.240.0/24",
    ]);
  });

  test("the endpoint's own name: an alias to the NLB in a private zone of the VPC", () => {
    template.hasResourceProperties("AWS::Route53::HostedZone", { Name: "kubeadm-ha.internal." });
    template.hasResourceProperties("AWS::Route53::RecordSet", {
      Name: "api.kubeadm-ha.internal.",
      Type: "A",
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  test("each node's user data: gzip'd cloud-config with no secret, certSANs and endpoint filled from the deploy settings", () => {
    const settings = deploySettingsOf(synth);
    expect(settings).toMatch(/^ENDPOINT_HOST='api\.kubeadm-ha\.internal'$/m);
    expect(settings).toMatch(/^API_SERVER_EXTRA_NAMES='<clusterapiendpointloadbalancer[0-9A-F]+\.DNSName>'$/m);
    for (const [, instance] of instances) {
      expect(Buffer.from(instance.Properties.UserData, "base64").length).toBeLessThan(16384);
      const text = cfnUserDataText(instance);
      expect(text).not.toMatch(PRIVATE_KEY_PATTERN);
      expect(text).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
      const { files } = decodeUserData(text);
      const [cluster] = yamlDocs(
        filledFromDeploySettings(files["/etc/kubeadm-ha/kubeadm-init.yaml"].content, settings),
      );
      expect(cluster.controlPlaneEndpoint).toBe("api.kubeadm-ha.internal:6443");
      expect(cluster.apiServer.certSANs).toEqual(["api.kubeadm-ha.internal", expect.stringMatching(/DNSName>$/)]);
      expect(files["/etc/kubeadm-ha/node-settings.env"].content).toContain(`NODE_NAME='${cfnTag(instance, "Name")}'`);
    }
  });

  test("the secrets are created empty: no value, none generated", () => {
    template.allResourcesProperties("AWS::SecretsManager::Secret", {
      SecretString: Match.absent(),
      GenerateSecretString: Match.absent(),
    });
    // The control plane's join secret, the admin kubeconfig, the worker join secret.
    template.resourceCountIs("AWS::SecretsManager::Secret", 3);
  });

  test.each<[string, KubeadmClusterProps, string[]]>([
    ["stacked etcd", {}, ["identity/join-secret"]],
    ["external etcd", { etcd: { topology: "external" } }, ["identity/join-secret", "etcd/ca-secret"]],
  ])(
    "%s: the secrets that hold the cluster's roots, and their resource policies, outlive a stack deletion or a replacement; the others do not",
    (_what, props, roots) => {
      const s = synthCdk(props);
      // By construct path (cluster/identity/join-secret): the worker join secret holds no root.
      const holdsRoots = (id: string) => roots.some((r) => id.startsWith(`cluster${r.replace(/[-/]/g, "")}`));
      const secrets = cfnResources(s, "AWS::SecretsManager::Secret");
      const policies = cfnResources(s, "AWS::SecretsManager::ResourcePolicy");
      expect(secrets.filter(([id]) => holdsRoots(id))).toHaveLength(roots.length);
      for (const [id, r] of [...secrets, ...policies]) {
        const kept = holdsRoots(id) ? "Retain" : "Delete";
        expect([id, r.DeletionPolicy ?? "Delete", r.UpdateReplacePolicy ?? "Delete"]).toEqual([id, kept, kept]);
      }
    },
  );

  test("IAM: Session Manager's own actions, no managed policy; secrets and the parameter named by ARN, never *", () => {
    template.allResourcesProperties("AWS::IAM::Role", { ManagedPolicyArns: Match.absent() });
    const statements = [
      ...cfnResources(synth, "AWS::IAM::Role").flatMap(([, r]) =>
        r.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement),
      ),
      ...cfnResources(synth, "AWS::IAM::Policy").flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
    ];
    for (const s of statements) {
      if (s.Resource === "*") expect(s.Action).toEqual([...SESSION_MANAGER_ACTIONS]);
      if ([s.Action].flat().some((a: string) => a.startsWith("secretsmanager:"))) expect(s.Resource).not.toBe("*");
    }
    // The two control-plane roles' policies and the workers'.
    expect(statements.filter((s) => s.Sid === "DeploySettingsRead")).toHaveLength(3);
  });

  test("every instance waits for its policy, the deploy settings and its egress route; the NLB for the interfaces that hold the nodes' addresses", () => {
    const profiles = synth.json.Resources;
    for (const [, instance] of instances) {
      const after = instance.DependsOn ?? [];
      // The AWS::IAM::Policy that is attached to the instance's own role.
      const role = profiles[instance.Properties.IamInstanceProfile.Ref].Properties.Roles[0].Ref;
      const itsPolicies = cfnResources(synth, "AWS::IAM::Policy")
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
        .map(([id]) => id);
      expect(itsPolicies.length).toBeGreaterThanOrEqual(1);
      expect(after).toEqual(expect.arrayContaining(itsPolicies));
      expect(after.some((d: string) => /deploysettings/i.test(d))).toBe(true);
      expect(after.some((d: string) => /DefaultRoute/.test(d))).toBe(true);
    }
    // Every node's address is held by its own interface before the NLB, whose interfaces could take it, exists.
    const holders = instances.map(([, i]) => i.Properties.NetworkInterfaces[0].NetworkInterfaceId.Ref);
    const [nlb] = cfnResources(synth, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    expect(nlb[1].DependsOn).toEqual(expect.arrayContaining(holders));
    // No AWS::EC2::SubnetCidrReservation: CloudFormation lacks the type in some commercial regions (regions.test.ts).
    expect(cfnResources(synth, "AWS::EC2::SubnetCidrReservation")).toEqual([]);
    // The instance waits, not its instance profile, which only names the role.
    for (const [, profile] of cfnResources(synth, "AWS::IAM::InstanceProfile"))
      expect(profile.DependsOn).toBeUndefined();
  });

  test("synthesizes offline: nothing looked up (no context needed), the stack is environment-agnostic", () => {
    expect(
      synth.stack.node.tryGetContext("availability-zones:account=unknown-account:region=unknown-region"),
    ).toBeUndefined();
    const azs = JSON.stringify(cfnResources(synth, "AWS::EC2::Subnet").map(([, s]) => s.Properties.AvailabilityZone));
    expect(azs).toContain("Fn::GetAZs");
  });

  test("connections and grants for composition: the control plane, the endpoint and etcd each open on their own group", () => {
    const stack = new Stack(strictApp(), "composed");
    const cluster = new KubeadmCluster(stack, "cluster", { etcd: { topology: "external" } });
    cluster.connections.allowFrom(ec2.Peer.ipv4("10.99.0.0/16"), ec2.Port.tcp(10250), "workers' kubelets");
    cluster.endpoint.connections.allowDefaultPortFrom(ec2.Peer.ipv4("10.98.0.0/16"), "a peered VPC");
    cluster.etcd!.connections.allowDefaultPortFrom(ec2.Peer.ipv4("10.97.0.0/24"), "the backup host");
    const operator = new iam.Role(stack, "operator", { assumedBy: new iam.AccountRootPrincipal() });
    cluster.grantAdminKubeconfigRead(operator);
    const t = Template.fromStack(stack);
    const opened = Object.values<any>(t.findResources("AWS::EC2::SecurityGroup")).map((g) => [
      cfnTag(g, "Name"),
      (g.Properties.SecurityGroupIngress ?? [])
        .filter((r: any) => /^10\.9[789]\./.test(r.CidrIp ?? ""))
        .map((r: any) => `${r.CidrIp}:${r.FromPort}`),
    ]);
    expect(opened.filter(([, rules]) => rules.length > 0)).toEqual([
      ["kubeadm-ha-control-plane", ["10.99.0.0/16:10250"]],
      ["kubeadm-ha-api-endpoint", ["10.98.0.0/16:6443"]],
      ["kubeadm-ha-etcd", ["10.97.0.0/24:2379"]],
    ]);
    t.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("^operator") }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(["secretsmanager:GetSecretValue"]) })]),
      },
    });
  });
});

describe("keepalived with a routed VIP", () => {
  test("colocated: the endpoint's connections are the control plane's group, HAProxy's port on the VIP their default", () => {
    const stack = new Stack(strictApp(), "colocated");
    const cluster = new KubeadmCluster(stack, "cluster", {
      endpoint: { type: "keepalived", virtualIp: "192.168.255.10" },
    });
    expect(cluster.endpoint.connections.securityGroups).toEqual([cluster.controlPlaneSecurityGroup]);
    cluster.endpoint.connections.allowDefaultPortFrom(ec2.Peer.ipv4("10.98.0.0/16"), "a peered VPC");
    const [group] = Object.values<any>(Template.fromStack(stack).findResources("AWS::EC2::SecurityGroup")).filter(
      (g) => cfnTag(g, "Name") === "kubeadm-ha-control-plane",
    );
    expect(group.Properties.SecurityGroupIngress).toContainEqual(
      expect.objectContaining({ CidrIp: "10.98.0.0/16", FromPort: 8443, ToPort: 8443 }),
    );
  });

  test("colocated: the VIP's /32 route to cp-0 in every route table, source/destination check off, HAProxy in the user data", () => {
    const s = synthCdk({ endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } });
    const routes = cfnResources(s, "AWS::EC2::Route").filter(
      ([, r]) => r.Properties.DestinationCidrBlock === "192.168.255.10/32",
    );
    expect(routes).toHaveLength(cfnResources(s, "AWS::EC2::RouteTable").length);
    const cp0 = cfnResources(s, "AWS::EC2::Instance").find(([, i]) => cfnTag(i, "Name") === "kubeadm-ha-cp-0")![0];
    for (const [, r] of routes) expect(r.Properties.InstanceId).toEqual({ Ref: cp0 });
    for (const [, i] of cfnResources(s, "AWS::EC2::Instance"))
      expect(cfnPrimaryInterface(s, i).Properties.SourceDestCheck).toBe(false);
    s.template.resourceCountIs("AWS::ElasticLoadBalancingV2::LoadBalancer", 0);
    const files = decodeUserData(cfnUserDataText(cfnResources(s, "AWS::EC2::Instance")[0][1])).files;
    expect(files["/etc/kubeadm-ha/haproxy.cfg"].content).toContain("bind :8443");
    expect(deploySettingsOf(s)).toMatch(/^ROUTE_TABLE_IDS='(<Ref [^>]+> ?){6}'$/m);
  });

  test("dedicated: two load balancers, their own role that may only replace the VIP's routes and set their status", () => {
    const s = synthCdk({ endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } });
    const lbs = cfnResources(s, "AWS::EC2::Instance").filter(
      ([, i]) => cfnTag(i, "kubeadm-ha:role") === "api-load-balancer",
    );
    const peers = (s.cluster.spec.endpoint as { peers: { privateIp: string }[] }).peers;
    expect(lbs.map(([, i]) => cfnPrimaryInterface(s, i).Properties.PrivateIpAddress)).toEqual(
      peers.map((p) => p.privateIp),
    );
    const vip = cfnResources(s, "AWS::IAM::Policy").filter(([, p]) => p.Properties.PolicyName === "kubeadm-ha-vip");
    expect(vip).toHaveLength(1);
    expect(vip[0][1].Properties.PolicyDocument.Statement.map((x: any) => [x.Sid, x.Action])).toEqual([
      ["MoveVipRoute", "ec2:ReplaceRoute"],
      ["ReadVipDelivery", "ec2:DescribeRouteTables"],
    ]);
  });
});

describe("changing a running cluster", () => {
  test.each<[string, KubeadmClusterProps]>([
    ["external etcd", { etcd: { topology: "external" } }],
    [
      "keepalived on dedicated load balancers",
      { endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } },
    ],
  ])(
    "%s: CloudFormation updates one node of a kind at a time (each depends on the one before), so a user-data change stops one etcd member or load balancer at a time",
    (_what, props) => {
      const s = synthCdk(props);
      const kinds = new Map<string, [string, any][]>();
      for (const entry of cfnResources(s, "AWS::EC2::Instance")) {
        const role = cfnTag(entry[1], "kubeadm-ha:role")!;
        kinds.set(role, [...(kinds.get(role) ?? []), entry]);
      }
      expect(kinds.size).toBe(2);
      for (const [, nodes] of kinds) {
        nodes.sort(([, a], [, b]) => cfnTag(a, "Name")!.localeCompare(cfnTag(b, "Name")!));
        nodes.forEach(([, node], i) => {
          const others = nodes.map(([id]) => id).filter((id) => (node.DependsOn ?? []).includes(id));
          // Only the one before: the kinds still go side by side, and node 0 waits for no node.
          expect(others).toEqual(i === 0 ? [] : [nodes[i - 1][0]]);
        });
      }
    },
  );
});

describe("the same validation as the cdktf flavour", () => {
  test.each(BAD_INPUTS)("%s: fails naming the prop, before any construct exists", (_what, input, prop) => {
    const stack = new Stack(strictApp(), "bad");
    expect(() => new KubeadmCluster(stack, "cluster", input as KubeadmClusterProps)).toThrow(ClusterSpecError);
    try {
      new KubeadmCluster(stack, "again", input as KubeadmClusterProps);
    } catch (error) {
      expect((error as ClusterSpecError).problems.map((p) => p.prop)).toContain(prop);
    }
    expect(stack.node.children).toEqual([]);
  });
});

describe("keepalived with the VIP as a secondary IP", () => {
  /** Each instance (by Name) with its explicit primary interface. */
  const peersOf = (s: CdkSynth, role: string) =>
    cfnResources(s, "AWS::EC2::Instance")
      .filter(([, i]) => cfnTag(i, "kubeadm-ha:role") === role)
      .map(([id, i]) => ({ id, instance: i, eni: cfnPrimaryInterface(s, i) }));

  test.each<[string, KubeadmClusterProps, string]>([
    [
      "colocated, one zone",
      {
        spreadAcrossZones: false,
        network: { zoneCount: 1 },
        endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true },
      },
      "control-plane",
    ],
    [
      "dedicated",
      { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
      "api-load-balancer",
    ],
  ])(
    "%s: each peer's primary interface is its own resource carrying the cluster's tag, at the peer's address, checks on",
    (_what, props, role) => {
      const s = synthCdk(props);
      const spec = s.cluster.spec.endpoint as { peers: { name: string; privateIp: string }[] };
      const peers = peersOf(s, role);
      expect(peers.map((p) => cfnTag(p.instance, "Name"))).toEqual(spec.peers.map((p) => p.name));
      const subnets = new Set<string>();
      peers.forEach(({ instance, eni }, i) => {
        expect(eni.Type).toBe("AWS::EC2::NetworkInterface");
        expect(cfnTag(eni, "kubeadm-ha:cluster")).toBe("kubeadm-ha");
        expect(eni.Properties.PrivateIpAddress).toBe(spec.peers[i].privateIp);
        expect(eni.Properties.SourceDestCheck).toBeUndefined(); // the VIP becomes the interface's own address
        expect(eni.Properties.GroupSet).toHaveLength(1);
        subnets.add(JSON.stringify(eni.Properties.SubnetId));
        // EC2 refuses an instance that names its subnet, address or groups beside an interface.
        for (const property of ["SubnetId", "PrivateIpAddress", "SecurityGroupIds", "SourceDestCheck"])
          expect(instance.Properties[property]).toBeUndefined();
      });
      expect(subnets.size).toBe(1); // a secondary IP belongs to one subnet
      // The other nodes' interfaces do not carry the tag: the VIP cannot be moved onto them.
      for (const [, i] of cfnResources(s, "AWS::EC2::Instance"))
        if (cfnTag(i, "kubeadm-ha:role") !== role)
          expect(cfnTag(cfnPrimaryInterface(s, i), "kubeadm-ha:cluster")).toBeUndefined();
    },
  );

  test("a group added to a peer later lands on its interface, as on any other node", () => {
    const app = strictApp();
    const stack = new Stack(app, "s");
    const cluster = new KubeadmCluster(stack, "cluster", {
      endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true },
    });
    const monitoring = new ec2.SecurityGroup(stack, "monitoring", { vpc: cluster.network.vpc });
    cluster.endpoint.loadBalancers[0].addSecurityGroup(monitoring);
    const s = { ...synthCdk(), json: Template.fromStack(stack).toJSON() } as CdkSynth;
    const [lb0, lb1] = cfnResources(s, "AWS::EC2::Instance")
      .filter(([, i]) => cfnTag(i, "kubeadm-ha:role") === "api-load-balancer")
      .map(([, i]) => cfnPrimaryInterface(s, i).Properties.GroupSet);
    const monitoringId = Object.entries<any>(s.json.Resources).find(
      ([, r]) => r.Type === "AWS::EC2::SecurityGroup" && !cfnTag(r, "Name"),
    )![0];
    expect(lb0).toContainEqual({ "Fn::GetAtt": [monitoringId, "GroupId"] });
    expect([lb0.length, lb1.length]).toEqual([2, 1]);
  });

  test("dedicated: the VIP held from the start as a secondary address of the first peer's interface, no route, and a role that may move it only onto this cluster's tagged interfaces", () => {
    const s = synthCdk({
      endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true },
    });
    const [first, second] = peersOf(s, "api-load-balancer");
    expect(first.eni.Properties.PrivateIpAddresses).toEqual([{ PrivateIpAddress: "10.0.0.9", Primary: false }]);
    expect(second.eni.Properties.PrivateIpAddresses).toBeUndefined();
    expect(
      cfnResources(s, "AWS::EC2::Route").filter(([, r]) => r.Properties.DestinationCidrBlock.endsWith("/32")),
    ).toEqual([]);
    expect(deploySettingsOf(s)).not.toMatch(/<Ref [^>]*RouteTable/);
    const vip = cfnResources(s, "AWS::IAM::Policy").filter(([, p]) => p.Properties.PolicyName === "kubeadm-ha-vip");
    expect(vip).toHaveLength(1);
    expect(vip[0][1].Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: "MoveVipSecondaryIp",
        Effect: "Allow",
        Action: "ec2:AssignPrivateIpAddresses",
        Resource: ec2Arn("network-interface/*"),
        // IAM has no condition on the address itself: any secondary address of the subnet may be taken (docs/topologies.md).
        Condition: {
          StringEquals: { "aws:ResourceTag/kubeadm-ha:cluster": ["kubeadm-ha"] },
          ArnEquals: {
            "ec2:Subnet": [ec2Arn(`subnet/`, first.eni.Properties.SubnetId)],
            "ec2:Vpc": [
              ec2Arn(`vpc/`, { Ref: Object.keys(s.json.Resources).find((id) => /networkvpc[0-9A-F]+$/.test(id)) }),
            ],
          },
        },
      },
      { Sid: "ReadVipDelivery", Effect: "Allow", Action: "ec2:DescribeNetworkInterfaces", Resource: "*" },
    ]);
    // Only the load balancers' role: the control plane cannot move the VIP.
    expect(
      vip[0][1].Properties.Roles.map((r: { Ref: string }) => s.json.Resources[r.Ref].Properties.Description),
    ).toEqual([expect.stringMatching(/^keepalived \+ HAProxy load balancers/)]);
  });
});

/** An EC2 ARN in the stack's region and account, as CloudFormation joins it (`id` a reference, if any). */
function ec2Arn(resource: string, id?: unknown) {
  return {
    "Fn::Join": [
      "",
      [
        "arn:",
        { Ref: "AWS::Partition" },
        ":ec2:",
        { Ref: "AWS::Region" },
        ":",
        { Ref: "AWS::AccountId" },
        `:${resource}`,
        ...(id === undefined ? [] : [id]),
      ],
    ],
  };
}

describe("the default app's worker pool (a group of two from a launch template)", () => {
  const [[templateId, launchTemplate]] = cfnResources(synth, "AWS::EC2::LaunchTemplate");
  const [[, group]] = cfnResources(synth, "AWS::AutoScaling::AutoScalingGroup");

  test("the group names the template's latest version: a changed template rolls the nodes one at a time, a new one up before an old one goes", () => {
    expect(group.Properties.LaunchTemplate).toEqual({
      LaunchTemplateId: { Ref: templateId },
      Version: { "Fn::GetAtt": [templateId, "LatestVersionNumber"] },
    });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1,
      MinInstancesInService: 2,
      PauseTime: "PT5M",
    });
    expect(group.UpdatePolicy.AutoScalingScheduledAction).toEqual({ IgnoreUnmodifiedGroupSizeProperties: true });
  });

  test("no DesiredCapacity unless the props give one: a deploy never undoes the Cluster Autoscaler's size", () => {
    expect(group.Properties.DesiredCapacity).toBeUndefined();
    expect([group.Properties.MinSize, group.Properties.MaxSize]).toEqual(["2", "4"]);
    const given = synthCdk({}, undefined, { workers: { desiredSize: 3 } });
    const [[, sized]] = cfnResources(given, "AWS::AutoScaling::AutoScalingGroup");
    expect(sized.Properties.DesiredCapacity).toBe("3");
  });

  test("the template: IMDSv2 only with hop limit 1, an encrypted gp3 root, the workers' group, Ubuntu resolved at launch, a user data with no key or token", () => {
    const data = launchTemplate.Properties.LaunchTemplateData;
    expect(data.MetadataOptions).toEqual({
      HttpEndpoint: "enabled",
      HttpPutResponseHopLimit: 1,
      HttpTokens: "required",
      InstanceMetadataTags: "disabled",
    });
    expect(data.BlockDeviceMappings).toEqual([
      {
        DeviceName: "/dev/sda1",
        Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 50, VolumeType: "gp3" },
      },
    ]);
    expect(data.SecurityGroupIds).toHaveLength(1);
    expect(cfnTag(synth.json.Resources[data.SecurityGroupIds[0]["Fn::GetAtt"][0]], "Name")).toBe("kubeadm-ha-workers");
    expect(data.ImageId).toMatch(/^resolve:ssm:\/aws\/service\/canonical\/ubuntu\/server\/24\.04\/.*\/amd64\//);
    expect(data.KeyName).toBeUndefined();
    const text = gunzipSync(Buffer.from(data.UserData, "base64")).toString("utf8");
    expect(text).toMatch(/^#cloud-config\n/);
    expect(text).not.toMatch(PRIVATE_KEY_PATTERN);
    expect(text).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
  });
});
