/**
 * The AWS CDK flavour's template applied with moto's CloudFormation (moto 5.2.1 on loopback), as the
 * cdktf flavour's plan is applied with Terraform: create-stack, then the AWS CLI reads back what was
 * made, then delete-stack. moto's CloudFormation does not implement every type the template uses; the
 * test names them (a moto that learns one fails here, so the adaptation below can go), and stands in
 * for each the way CloudFormation would: the secrets are created first with the AWS CLI and the
 * template's references to them become their ARNs; the egress rules, which
 * nothing in the template references, are left out and counted. moto's CloudFormation also drops some
 * properties it does not model (MOTO_DROPS): what depends on them is asserted on the template instead
 * (template.test.ts). The instances get one of moto's AMIs where the template has EC2 resolve Canonical's
 * image parameter at launch (moto resolves no resolve:ssm: image).
 */
import { CfnElement } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { waitFor } from "../system/netns";
import { MotoCli } from "../system/moto";
import { freePort } from "../system/terraform-lab";
import { decodeUserData } from "../helpers";
import { runAsNode } from "../system/node-calls";
import { cfnPrimaryInterface, cfnResources, cfnTag, cfnUserDataText, synthCdk } from "./helpers";

if (
  spawnSync("python3", ["-c", "import moto, boto3, awscli"]).status !== 0 ||
  spawnSync("sh", ["-c", "command -v aws"]).status !== 0
)
  throw new Error(
    "the CloudFormation test needs python3 with moto 5, boto3 and awscli, and the AWS CLI (pip install moto boto3 awscli)",
  );

/** What moto 5.2.1's CloudFormation cannot create, and how the test stands in for it. */
const NOT_IN_MOTO = [
  "AWS::EC2::SecurityGroupEgress",
  "AWS::SecretsManager::ResourcePolicy",
  "AWS::SecretsManager::Secret",
];

/** Properties moto's CloudFormation models drop, and what the test does about each. */
const MOTO_DROPS = {
  "AWS::ElasticLoadBalancingV2::LoadBalancer":
    "Type: it makes an application load balancer, which refuses the TCP listener; the listener is left out",
  "AWS::EC2::Instance":
    "MetadataOptions, SecurityGroupIds and NetworkInterfaces (it gives the instance an interface of its own): IMDSv2, the groups and the attached interface are asserted on the template",
  "AWS::EC2::NetworkInterface":
    "Tags and GroupSet: the interface is read back by its address and subnet; its cluster tag is asserted on the template",
  "AWS::ElasticLoadBalancingV2::TargetGroup": "Targets: the control plane's registration is asserted on the template",
  "AWS::SSM::Parameter": "nothing, but it reads Tags as a list where CloudFormation has a map: the test rewrites them",
  "AWS::EC2::SecurityGroupIngress":
    "nothing, but it fails on VRRP (protocol 112) without ports: the test gives -1, which AWS ignores",
};

const REGION = "us-east-1";
let endpoint: string;
/** The test's own calls: the AWS CLI's driver, started once for the file (the nodes' calls run `aws` itself). */
const cli = new MotoCli();
beforeAll(() => cli.start(), 60_000);
afterAll(() => cli.stop());
const aws = (args: string[]) => cli.json(endpoint, REGION, args);

/** A fresh moto for each topology: its delete-stack does not go in dependency order, so nothing is cleaned between. */
function withMoto() {
  let moto: ChildProcess | undefined;
  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    await waitFor(
      "moto",
      () => spawnSync("curl", ["-sf", "-o", "/dev/null", `${endpoint}/`]).status === 0,
      30_000,
      200,
    );
  }, 60_000);
  afterAll(() => moto?.kill("SIGKILL"));
}

/** The types moto's CloudFormation implements (from moto itself; the same for every topology: asked once). */
let implemented: Set<string> | undefined;
function motoTypes(): Set<string> {
  if (implemented) return implemented;
  const probe = spawnSync(
    "python3",
    [
      "-c",
      `import json, moto.cloudformation.parsing
from moto.core.common_models import CloudFormationModel
def sub(c):
    for s in c.__subclasses__():
        yield s; yield from sub(s)
out = set()
for c in sub(CloudFormationModel):
    try: out.add(c.cloudformation_type())
    except Exception: pass
print(json.dumps(sorted(t for t in out if t)))`,
    ],
    { encoding: "utf8" },
  );
  implemented = new Set(JSON.parse(probe.stdout));
  return implemented;
}

describe.each<[string, Parameters<typeof synthCdk>[0]]>([
  ["the default cluster", {}],
  [
    // The everyday case: the user's own ec2.Vpc, its subnets' ids CloudFormation references.
    "the user's own ec2.Vpc",
    (stack) => ({
      vpc: new ec2.Vpc(stack, "user-vpc", {
        ipAddresses: ec2.IpAddresses.cidr("10.1.0.0/16"),
        availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        natGateways: 3,
        // A new app's flags (cdk.json) give the user's VPC a Lambda-backed custom resource that empties
        // its default security group; its code is an asset in the CDK bootstrap bucket, which moto lacks.
        restrictDefaultSecurityGroup: false,
      }),
    }),
  ],
  ["external etcd", { etcd: { topology: "external" } }],
  [
    "keepalived on dedicated load balancers",
    { endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } },
  ],
  [
    "keepalived on dedicated load balancers, the VIP a secondary IP",
    { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
  ],
])("%s on moto's CloudFormation", (name, props) => {
  const synth = synthCdk(props, undefined, { outputs: true }); // as the default app: its outputs deployed too
  const template = JSON.parse(JSON.stringify(synth.json));
  const stackName = `kha-${name.replace(/[^a-z]/g, "")}`;
  const left: Record<string, number> = {};
  /** The secrets' ARNs, by logical id: made first with the AWS CLI (moto's CloudFormation has no secrets). */
  const arns: Record<string, string> = {};
  withMoto();

  test("moto implements every type but these (checked against moto itself)", () => {
    const types = motoTypes();
    const ours = [...new Set(Object.values<any>(template.Resources).map((r) => r.Type))].sort();
    expect(ours.filter((t) => !types.has(t))).toEqual(NOT_IN_MOTO);
  });

  test("create-stack completes, with the stand-ins for what moto lacks", () => {
    // The secrets as CloudFormation would make them (empty), then their ARNs where the template refers to them.
    for (const [id, secret] of cfnResources(synth, "AWS::SecretsManager::Secret"))
      arns[id] = aws([
        "secretsmanager",
        "create-secret",
        "--name",
        `${stackName}-${id}`,
        "--description",
        secret.Properties.Description,
      ]).ARN;
    const replace = (value: any): any =>
      Array.isArray(value)
        ? value.map(replace)
        : value && typeof value === "object"
          ? value.Ref && arns[value.Ref]
            ? arns[value.Ref]
            : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]))
          : value;
    for (const [id, r] of Object.entries<any>(template.Resources))
      if (NOT_IN_MOTO.includes(r.Type) || r.Type === "AWS::ElasticLoadBalancingV2::Listener") {
        left[r.Type] = (left[r.Type] ?? 0) + 1;
        delete template.Resources[id];
      }
    const removed = new Set(Object.keys(synth.json.Resources).filter((id) => !(id in template.Resources)));
    for (const r of Object.values<any>(template.Resources)) {
      if (r.DependsOn) r.DependsOn = r.DependsOn.filter((d: string) => !removed.has(d));
      r.Properties = replace(r.Properties);
    }
    template.Outputs = replace(template.Outputs);
    // moto fails on a rule of a protocol without ports (VRRP, 112), as in the Terraform test: ports -1, which AWS ignores.
    for (const r of Object.values<any>(template.Resources).filter((x) => x.Type === "AWS::EC2::SecurityGroupIngress"))
      if (r.Properties.IpProtocol === "112") Object.assign(r.Properties, { FromPort: -1, ToPort: -1 });
    // moto reads an SSM parameter's Tags as a list; CloudFormation's are a map.
    for (const [, p] of Object.entries<any>(template.Resources).filter(([, r]) => r.Type === "AWS::SSM::Parameter"))
      p.Properties.Tags = Object.entries(p.Properties.Tags).map(([Key, Value]) => ({ Key, Value }));
    const image = aws(["ec2", "describe-images", "--owners", "amazon"]).Images[0].ImageId;
    aws([
      "ssm",
      "put-parameter",
      "--name",
      "/cdk-bootstrap/hnb659fds/version",
      "--type",
      "String",
      "--value",
      "30",
      "--overwrite",
    ]);
    // moto does not resolve an image given as resolve:ssm: at launch: the instances get one of moto's AMIs.
    for (const r of Object.values<any>(template.Resources).filter((x) => x.Type === "AWS::EC2::Instance"))
      if (String(r.Properties.ImageId).startsWith("resolve:ssm:")) r.Properties.ImageId = image;
    const file = join(mkdtempSync(join(tmpdir(), "kha-cfn-")), "template.json");
    writeFileSync(file, JSON.stringify(template));
    const created = cli.run(endpoint, REGION, [
      "cloudformation",
      "create-stack",
      "--stack-name",
      stackName,
      "--template-body",
      `file://${file}`,
      "--capabilities",
      "CAPABILITY_IAM",
    ]);
    expect(created.stderr.slice(-600)).toBe("");
    const stack = aws(["cloudformation", "describe-stacks", "--stack-name", stackName]).Stacks[0];
    expect({ status: stack.StackStatus, reason: stack.StackStatusReason }).toEqual({
      status: "CREATE_COMPLETE",
      reason: undefined,
    });
    console.log(
      `${name}: moto created ${Object.keys(template.Resources).length} of ${Object.keys(synth.json.Resources).length} resources; left out: ${JSON.stringify(left)}; moto drops: ${JSON.stringify(MOTO_DROPS)}`,
    );
  });

  test("the instances are the planned ones: names, addresses, subnets, roles, the user data byte for byte", () => {
    const instances = aws(["ec2", "describe-instances"]).Reservations.flatMap((r: any) => r.Instances);
    const planned = cfnResources(synth, "AWS::EC2::Instance");
    const byName = (i: any) => i.Tags?.find((t: any) => t.Key === "Name")?.Value;
    const ours = instances.filter((i: any) => planned.some(([, p]) => cfnTag(p, "Name") === byName(i)));
    expect(ours.map(byName).sort()).toEqual(planned.map(([, p]) => cfnTag(p, "Name")).sort());
    for (const i of ours) {
      const [, p] = planned.find(([, x]) => cfnTag(x, "Name") === byName(i))!;
      // The node's explicit primary interface says where it is; moto does not attach it (MOTO_DROPS), so
      // the interface is read back on its own: its address in its subnet.
      const at = cfnPrimaryInterface(synth, p).Properties;
      const [eni] = aws([
        "ec2",
        "describe-network-interfaces",
        "--filters",
        `Name=addresses.private-ip-address,Values=${at.PrivateIpAddress}`,
      ]).NetworkInterfaces;
      const subnet = aws(["ec2", "describe-subnets", "--subnet-ids", eni.SubnetId]).Subnets[0];
      expect([eni.Description, subnet.CidrBlock]).toEqual([
        `The primary interface of ${byName(i)}`,
        synth.json.Resources[at.SubnetId.Ref].Properties.CidrBlock,
      ]);
      expect(i.IamInstanceProfile?.Arn).toMatch(/instance-profile\//);
      const userData = aws([
        "ec2",
        "describe-instance-attribute",
        "--instance-id",
        i.InstanceId,
        "--attribute",
        "userData",
      ]);
      expect(userData.UserData.Value).toBe(p.Properties.UserData);
    }
  });

  test("the endpoint (the load balancer and target group's HTTPS /readyz health check, the VIP's routes to the first peer, or none for a secondary IP); the deploy settings with every reference filled in", () => {
    const spec = synth.cluster.spec.endpoint;
    if (spec.type === "keepalived" && spec.vipMode === "secondary-ip") {
      // No route moves: the VIP is a secondary IP of the peers' subnet (their interfaces: the test above).
      const routes = aws(["ec2", "describe-route-tables"])
        .RouteTables.flatMap((t: any) => t.Routes)
        .filter((r: any) => r.DestinationCidrBlock === `${spec.virtualIp}/32`);
      expect(routes).toEqual([]);
    } else if (spec.type === "keepalived") {
      const vip = `${spec.virtualIp}/32`;
      const routes = aws(["ec2", "describe-route-tables"])
        .RouteTables.flatMap((t: any) => t.Routes)
        .filter((r: any) => r.DestinationCidrBlock === vip);
      expect(routes).toHaveLength(cfnResources(synth, "AWS::EC2::RouteTable").length);
      const lb0 = aws(["ec2", "describe-instances", "--filters", "Name=tag:Name,Values=kubeadm-ha-lb-0"])
        .Reservations[0].Instances[0];
      for (const r of routes)
        expect(r.InstanceId ?? r.NetworkInterfaceId).toMatch(
          new RegExp(`${lb0.InstanceId}|${lb0.NetworkInterfaces[0].NetworkInterfaceId}`),
        );
    } else {
      const lb = aws(["elbv2", "describe-load-balancers"]).LoadBalancers.find(
        (l: any) => l.LoadBalancerName === "kubeadm-ha-api",
      );
      expect(lb).toMatchObject({ Scheme: "internal" });
      const tg = aws(["elbv2", "describe-target-groups"]).TargetGroups.find((t: any) => t.Port === 6443);
      expect(tg).toMatchObject({
        Protocol: "TCP",
        HealthCheckProtocol: "HTTPS",
        HealthCheckPath: "/readyz",
        HealthCheckIntervalSeconds: 10,
      });
    }
    const value = aws(["ssm", "get-parameter", "--name", "/kubeadm-ha/kubeadm-ha/deploy-settings"]).Parameter.Value;
    expect(value).toMatch(
      spec.type === "keepalived"
        ? spec.vipMode === "route"
          ? /^ROUTE_TABLE_IDS='(rtb-[0-9a-f]+ ?)+'$/m
          : /^ENDPOINT_HOST='10\.0\.0\.9'$/m
        : /^ENDPOINT_HOST='api\.kubeadm-ha\.internal'$/m,
    );
    expect(value).toMatch(/^JOIN_SECRET_ID='arn:aws:secretsmanager:us-east-1:\d+:secret:[^']+'$/m);
    expect(value).not.toMatch(/\{|Token/);
  });

  test("each node's own boot calls against what CloudFormation made: it reads the deploy settings (the real AWS CLI, the region from the metadata stand-in), finds this deploy's endpoint, secrets and route tables in them, and tags itself; moto enforces no IAM", async () => {
    const root = mkdtempSync(join(tmpdir(), "kha-cfn-node-"));
    const spec = synth.cluster.spec.endpoint;
    const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
      synth.stack.resolve(synth.stack.getLogicalId(construct.node.defaultChild as CfnElement));
    const vipTables = () =>
      aws(["ec2", "describe-route-tables"])
        .RouteTables.filter((t: any) =>
          t.Routes.some((r: any) => spec.type === "keepalived" && r.DestinationCidrBlock === `${spec.virtualIp}/32`),
        )
        .map((t: any) => t.RouteTableId)
        .sort();
    const expected = [
      `endpoint ${spec.type === "keepalived" ? spec.virtualIp : "api.kubeadm-ha.internal"}`,
      `join ${arns[logicalId(synth.cluster.identity.joinSecret)]}`,
      `etcd client ${synth.cluster.etcd ? arns[logicalId(synth.cluster.etcd.clientSecret)] : ""}`,
      `route tables ${spec.type === "keepalived" && spec.vipMode === "route" ? vipTables().join(" ") : ""}`,
    ];
    expect(expected[1]).toMatch(/^join arn:aws:secretsmanager:us-east-1:\d+:secret:/);
    const instances = aws(["ec2", "describe-instances"]).Reservations.flatMap((r: any) => r.Instances);
    const planned = cfnResources(synth, "AWS::EC2::Instance");
    const nameOf = (i: any) => i.Tags?.find((t: any) => t.Key === "Name")?.Value;
    const ours = instances.filter((i: any) => planned.some(([, p]) => cfnTag(p, "Name") === nameOf(i)));
    expect(ours).toHaveLength(planned.length);
    const asNode = (i: any, script: string) =>
      runAsNode({
        root,
        endpoint,
        instance: i,
        nodeSettings: decodeUserData(cfnUserDataText(planned.find(([, x]) => cfnTag(x, "Name") === nameOf(i))![1]))
          .files["/etc/kubeadm-ha/node-settings.env"].content,
        script: `load_deploy_settings && ${script}`,
      });
    // The nodes' calls at once, as they boot.
    const calls = await Promise.all(
      (ours as any[]).map((i) =>
        asNode(
          i,
          'printf "endpoint %s\\njoin %s\\netcd client %s\\nroute tables %s\\n" "$ENDPOINT_HOST" "$JOIN_SECRET_ID" "${ETCD_CLIENT_SECRET_ID:-}" "$(echo $ROUTE_TABLE_IDS | tr " " "\\n" | sort | tr "\\n" " " | sed "s/ $//")" && cloud_set_status ready',
        ),
      ),
    );
    for (const call of calls) {
      expect({ status: call.status, failures: call.stderr.match(/.*(not published|fail|error).*/gi) }).toEqual({
        status: 0,
        failures: null,
      });
      expect(call.stderr).toContain("deploy settings from /kubeadm-ha/kubeadm-ha/deploy-settings");
      expect(call.stdout.split("\n").map((line) => line.trimEnd())).toEqual([...expected.map((e) => e.trimEnd()), ""]);
    }
    const tagged = aws(["ec2", "describe-tags", "--filters", "Name=key,Values=kubeadm-ha:bootstrap"]).Tags;
    expect(tagged.map((t: any) => [t.ResourceId, t.Value]).sort()).toEqual(
      ours.map((i: any) => [i.InstanceId, "ready"]).sort(),
    );
    if (spec.type !== "keepalived") return;
    // The second peer becomes master: its VIP move, with the route tables from the deploy settings.
    const second = ours.find((i: any) => nameOf(i) === spec.peers[1].name);
    const moved = await asNode(second, "cloud_vip_move");
    expect({ status: moved.status, failures: moved.stderr.match(/.*(fail|error).*/gi) }).toEqual({
      status: 0,
      failures: null,
    });
    const eni = second.NetworkInterfaces[0].NetworkInterfaceId;
    if (spec.vipMode === "route") {
      const targets = aws(["ec2", "describe-route-tables"]).RouteTables.flatMap((t: any) =>
        t.Routes.filter((r: any) => r.DestinationCidrBlock === `${spec.virtualIp}/32`).map(
          (r: any) => r.NetworkInterfaceId,
        ),
      );
      expect(targets.length).toBeGreaterThan(0);
      expect(new Set(targets)).toEqual(new Set([eni]));
    } else {
      const [onSecond] = aws(["ec2", "describe-network-interfaces", "--network-interface-ids", eni]).NetworkInterfaces;
      expect(onSecond.PrivateIpAddresses.map((a: any) => a.PrivateIpAddress)).toContain(spec.virtualIp);
    }
    rmSync(root, { recursive: true, force: true });
  }, 180_000);

  test("delete-stack is refused by moto (it deletes the VPC before what is in it), and says so", () => {
    const deleted = cli.run(endpoint, REGION, ["cloudformation", "delete-stack", "--stack-name", stackName]);
    expect(deleted.stderr).toMatch(/DependencyViolation.*vpc-/);
  });
});
