/**
 * The same cluster from both flavours: every topology the AWS CDK flavour builds is synthesized with
 * the cdktf flavour too, and each framework's references (Terraform's `${type.name.attr}`,
 * CloudFormation's Ref / Fn::GetAtt / Fn::Join) are resolved to the same stand-ins, named by what
 * they point at (a secret by its description, a group by its Name tag, ...). Then the node user data
 * must be equal byte for byte, and the deploy settings, security-group rules, IAM statements (node
 * roles and secret resource policies), NLB settings and instances equal as sets.
 */
import { CfnOutput } from "aws-cdk-lib";
import { KubeadmClusterProps } from "../../lib/aws-cdk";
import { resourcesOf, synthStack, SynthResult } from "../helpers";
import { CdkSynth, cfnPrimaryInterface, cfnResources, cfnTag, synthCdk } from "./helpers";

const EXISTING = {
  vpcId: "vpc-0123456789abcdef0",
  vpcCidr: "10.20.0.0/16",
  privateSubnets: ["a", "b", "c"].map((z, i) => ({
    id: `subnet-0123456789abcdef${z}`,
    availabilityZone: `us-east-1${z}`,
    cidrBlock: `10.20.${i * 16}.0/20`,
  })),
};

const TOPOLOGIES: [string, KubeadmClusterProps][] = [
  ["the default (NLB, stacked etcd, new VPC)", {}],
  ["external etcd, 5 members", { etcd: { topology: "external", members: 5 } }],
  [
    "5 control-plane nodes, the NLB's own name (privateDns: false)",
    { controlPlaneCount: 5, endpoint: { type: "nlb", privateDns: false } },
  ],
  [
    "an internet-facing NLB for one office range, beside the internal one",
    { endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] } },
  ],
  [
    "keepalived on the control plane, routed VIP",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "api.example.com" } },
  ],
  [
    "keepalived on two dedicated load balancers, routed VIP, external etcd",
    {
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
      etcd: { topology: "external" },
    },
  ],
  [
    "keepalived on the control plane in one zone, the VIP a secondary IP",
    {
      spreadAcrossZones: false,
      network: { zoneCount: 1 },
      endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true },
    },
  ],
  [
    "keepalived on two dedicated load balancers, the VIP a secondary IP",
    { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
  ],
  [
    "an existing network, a KMS key, break-glass principals, encrypted and logged sessions",
    {
      network: EXISTING,
      secrets: {
        kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        breakGlassPrincipalArns: ["arn:aws:iam::111122223333:role/break-glass"],
      },
      sessionManager: {
        kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab",
        s3BucketName: "session-logs",
        s3KeyPrefix: "kubeadm-ha/",
        cloudWatchLogGroupName: "/ssm/sessions",
      },
      etcd: { topology: "external" },
    },
  ],
];

type Resolve = (value: unknown) => unknown;

/** Terraform references in cdktf's plan, as stand-ins named by what they point at. */
function terraformResolver(result: SynthResult): Resolve {
  const r = result.plan.resource;
  const names: Record<string, (name: string, attr: string) => string> = {
    aws_secretsmanager_secret: (n) => `SECRET<${r.aws_secretsmanager_secret[n].description}>`,
    aws_lb: (n) => `NLB<${r.aws_lb[n].name}>`,
    aws_security_group: (n) => `SG<${r.aws_security_group[n].tags.Name}>`,
    aws_iam_role: (n) => `ROLE<${r.aws_iam_role[n].description}>`,
    aws_ssm_parameter: (n) => `PARAMETER<${r.aws_ssm_parameter[n].name}>`,
    aws_instance: (n) => `INSTANCE<${r.aws_instance[n].tags.Name}>`,
    aws_subnet: (n) => `SUBNET<${r.aws_subnet[n].cidr_block}>`,
    aws_route_table: () => "ROUTE_TABLE",
    aws_vpc: (_n, attr) => (attr === "id" ? "VPC" : "ROUTE_TABLE"), // else its main_route_table_id
    "data.aws_partition": () => "PARTITION",
    "data.aws_region": () => "REGION",
    "data.aws_caller_identity": () => "ACCOUNT",
  };
  const resolveText = (text: string) =>
    text.replace(/\$\{((?:data\.)?aws_[a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g, (ref, type, name, attr) => {
      if (!names[type]) throw new Error(`no stand-in for ${ref}`);
      return names[type](name, attr);
    });
  const resolve: Resolve = (value) =>
    typeof value === "string"
      ? resolveText(value)
      : Array.isArray(value)
        ? value.map(resolve)
        : value && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]))
          : value;
  return (value) => sameRouteTables(resolve(value));
}

/**
 * The VIP's route tables as one stand-in: the flavours' networks differ there (the cdktf VPC has one
 * public route table and adds its main one, which CloudFormation cannot name; AWS CDK's public subnets
 * have one each), so the test asserts apart that each flavour names all of its own.
 */
function sameRouteTables(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/ROUTE_TABLE( ROUTE_TABLE)*/g, "ROUTE_TABLES");
  if (Array.isArray(value)) {
    const arns = value.filter((v) => typeof v === "string" && /:route-table\/ROUTE_TABLE$/.test(v));
    return arns.length
      ? [...value.filter((v) => !arns.includes(v)), "route-tables: ROUTE_TABLES"]
      : value.map(sameRouteTables);
  }
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sameRouteTables(v)]));
  return value;
}

/** CloudFormation's intrinsics in the AWS CDK template, as the same stand-ins. */
function cloudFormationResolver(synth: CdkSynth): Resolve {
  const resources = synth.json.Resources;
  const ref = (id: string): string => {
    const pseudo: Record<string, string> = {
      "AWS::Partition": "PARTITION",
      "AWS::Region": "REGION",
      "AWS::AccountId": "ACCOUNT",
    };
    if (pseudo[id]) return pseudo[id];
    const r = resources[id];
    switch (r?.Type) {
      case "AWS::SecretsManager::Secret":
        return `SECRET<${r.Properties.Description}>`;
      case "AWS::EC2::Instance":
        return `INSTANCE<${cfnTag(r, "Name")}>`;
      case "AWS::EC2::Subnet":
        return `SUBNET<${r.Properties.CidrBlock}>`;
      case "AWS::EC2::RouteTable":
        return "ROUTE_TABLE";
      case "AWS::EC2::VPC":
        return "VPC";
      default:
        throw new Error(`no stand-in for Ref ${id} (${r?.Type})`);
    }
  };
  const getAtt = (id: string, attr: string): string => {
    const r = resources[id];
    if (r.Type === "AWS::ElasticLoadBalancingV2::LoadBalancer" && attr === "DNSName")
      return `NLB<${r.Properties.Name}>`;
    if (r.Type === "AWS::EC2::SecurityGroup" && attr === "GroupId") return `SG<${cfnTag(r, "Name")}>`;
    if (r.Type === "AWS::IAM::Role" && attr === "Arn") return `ROLE<${r.Properties.Description}>`;
    throw new Error(`no stand-in for GetAtt ${id}.${attr}`);
  };
  const resolve: Resolve = (value) => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === "object") {
      const v = value as Record<string, any>;
      if ("Ref" in v) return ref(v.Ref);
      if ("Fn::GetAtt" in v) return getAtt(v["Fn::GetAtt"][0], v["Fn::GetAtt"][1]);
      if ("Fn::Join" in v) return resolve((v["Fn::Join"][1] as unknown[]).map(resolve).join(v["Fn::Join"][0]));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    if (typeof value === "string")
      // The deploy settings' ARN is built from its name (no reference): the same stand-in as Terraform's reference.
      return value.replace(/^arn:PARTITION:ssm:REGION:ACCOUNT:parameter(\/.*)$/, "PARAMETER<$1>");
    return value;
  };
  return (value) => sameRouteTables(resolve(value));
}

const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();
const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// ---- user data and deploy settings ----

function terraformUserData(result: SynthResult) {
  return Object.fromEntries(resourcesOf(result, "aws_instance").map((i) => [i.tags.Name, i.user_data_base64]));
}
function cfnUserData(synth: CdkSynth) {
  return Object.fromEntries(
    cfnResources(synth, "AWS::EC2::Instance").map(([, i]) => [cfnTag(i, "Name"), i.Properties.UserData]),
  );
}
function terraformDeploySettings(result: SynthResult, resolve: Resolve) {
  return resolve(resourcesOf(result, "aws_ssm_parameter")[0].insecure_value);
}
function cfnDeploySettings(synth: CdkSynth, resolve: Resolve) {
  return resolve(cfnResources(synth, "AWS::SSM::Parameter")[0][1].Properties.Value);
}

// ---- security-group rules ----

interface Rule {
  group: unknown;
  direction: string;
  protocol: string;
  from?: number;
  to?: number;
  peer: unknown;
  description: string;
}

function terraformRules(result: SynthResult, resolve: Resolve): string[] {
  const rules: Rule[] = [];
  for (const direction of ["ingress", "egress"])
    for (const r of resourcesOf(result, `aws_vpc_security_group_${direction}_rule`))
      rules.push({
        group: resolve(r.security_group_id),
        direction,
        protocol: r.ip_protocol,
        from: r.from_port,
        to: r.to_port,
        peer: r.cidr_ipv4 ?? resolve(r.referenced_security_group_id),
        description: r.description,
      });
  return sorted(rules);
}

function cfnRules(synth: CdkSynth, resolve: Resolve): string[] {
  const rules: Rule[] = [];
  const rule = (group: unknown, direction: string, p: any) =>
    rules.push({
      group,
      direction,
      protocol: p.IpProtocol,
      from: p.FromPort,
      to: p.ToPort,
      peer: p.CidrIp ?? resolve(direction === "ingress" ? p.SourceSecurityGroupId : p.DestinationSecurityGroupId),
      description: p.Description,
    });
  for (const [, sg] of cfnResources(synth, "AWS::EC2::SecurityGroup")) {
    const group = `SG<${cfnTag(sg, "Name")}>`;
    for (const p of sg.Properties.SecurityGroupIngress ?? []) rule(group, "ingress", p);
    for (const p of sg.Properties.SecurityGroupEgress ?? []) rule(group, "egress", p);
  }
  for (const [, r] of cfnResources(synth, "AWS::EC2::SecurityGroupIngress"))
    rule(resolve(r.Properties.GroupId), "ingress", r.Properties);
  for (const [, r] of cfnResources(synth, "AWS::EC2::SecurityGroupEgress"))
    rule(resolve(r.Properties.GroupId), "egress", r.Properties);
  return sorted(rules);
}

// ---- IAM statements ----

interface Statement {
  on: unknown; // the role (its description) or the secret whose policy it is
  policy: string;
  sid: string;
  effect: string;
  actions: string[];
  resources: unknown[];
  conditions: string[];
  principals: string[];
}

function terraformStatements(result: SynthResult, resolve: Resolve): string[] {
  const docs = result.plan.data.aws_iam_policy_document;
  const docOf = (ref: string) => docs[/\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}/.exec(ref)![1]];
  const statements: Statement[] = [];
  const add = (on: unknown, policy: string, doc: any) => {
    for (const s of doc.statement)
      statements.push({
        on,
        policy,
        sid: s.sid,
        effect: s.effect ?? "Allow",
        actions: [...s.actions].sort(),
        resources: resolve([...s.resources]) as unknown[],
        conditions: (s.condition ?? [])
          .map((c: any) => `${c.test} ${c.variable} ${sorted(resolve(c.values) as unknown[])}`)
          .sort(),
        principals: (s.principals ?? []).map(() => "*"),
      });
  };
  for (const p of resourcesOf(result, "aws_iam_role_policy"))
    add(resolve(p.role.replace(/\.id\}$/, ".arn}")), p.name, docOf(p.policy));
  for (const p of resourcesOf(result, "aws_secretsmanager_secret_policy"))
    add(resolve(p.secret_arn), "resource policy", docOf(p.policy));
  return sorted(statements.map((s) => ({ ...s, resources: sorted(s.resources) })));
}

function cfnStatements(synth: CdkSynth, resolve: Resolve): string[] {
  const statements: Statement[] = [];
  const add = (on: unknown, policy: string, doc: any) => {
    for (const s of doc.Statement)
      statements.push({
        on,
        policy,
        sid: s.Sid,
        effect: s.Effect,
        actions: list(s.Action).sort() as string[],
        resources: list(resolve(s.Resource)),
        conditions: Object.entries(s.Condition ?? {})
          .flatMap(([test, vars]) =>
            Object.entries(vars as Record<string, unknown>).map(
              ([v, values]) => `${test} ${v} ${sorted(list(resolve(values)))}`,
            ),
          )
          .sort(),
        principals: s.Principal ? ["*"] : [],
      });
  };
  for (const [id, role] of cfnResources(synth, "AWS::IAM::Role"))
    for (const p of role.Properties.Policies ?? [])
      add(`ROLE<${synth.json.Resources[id].Properties.Description}>`, p.PolicyName, p.PolicyDocument);
  for (const [, p] of cfnResources(synth, "AWS::IAM::Policy"))
    for (const role of p.Properties.Roles)
      add(
        `ROLE<${synth.json.Resources[role.Ref].Properties.Description}>`,
        p.Properties.PolicyName,
        p.Properties.PolicyDocument,
      );
  for (const [, p] of cfnResources(synth, "AWS::SecretsManager::ResourcePolicy"))
    add(resolve(p.Properties.SecretId), "resource policy", p.Properties.ResourcePolicy);
  return sorted(statements.map((s) => ({ ...s, resources: sorted(s.resources) })));
}

// ---- the NLB and the instances ----

/** Each NLB with its listener, the target group the listener forwards to, and that group's targets. */
function terraformNlbs(result: SynthResult, resolve: Resolve) {
  const r = result.plan.resource;
  const idOf = (ref: string) => /\$\{aws_[a-z_]+\.([^.]+)\.arn\}/.exec(ref)![1];
  return sorted(
    Object.entries<any>(r.aws_lb_listener ?? {}).map(([, listener]) => {
      const lb = r.aws_lb[idOf(listener.load_balancer_arn)];
      const tgId = idOf(listener.default_action[0].target_group_arn);
      const tg = r.aws_lb_target_group[tgId];
      const h = tg.health_check;
      return {
        loadBalancer: {
          name: lb.name,
          internal: lb.internal,
          crossZone: lb.enable_cross_zone_load_balancing,
          subnets: lb.subnets.length,
          securityGroups: resolve(lb.security_groups),
        },
        listener: { port: listener.port, protocol: listener.protocol },
        targetGroup: {
          port: tg.port,
          protocol: tg.protocol,
          targetType: tg.target_type,
          healthCheck: [
            h.protocol,
            h.path,
            String(h.port),
            h.matcher,
            h.interval,
            h.timeout,
            h.healthy_threshold,
            h.unhealthy_threshold,
          ],
          attributes: {
            preserveClientIp: tg.preserve_client_ip,
            connectionTermination: String(tg.connection_termination),
            deregistrationDelay: tg.deregistration_delay,
            unhealthyConnectionTermination: String(tg.target_health_state[0].enable_unhealthy_connection_termination),
            unhealthyDraining: String(tg.target_health_state[0].unhealthy_draining_interval),
          },
        },
        targets: sorted(
          Object.values<any>(r.aws_lb_target_group_attachment)
            .filter((a) => idOf(a.target_group_arn) === tgId)
            .map((a) => `${resolve(a.target_id)}:${a.port}`),
        ),
      };
    }),
  );
}

function cfnNlbs(synth: CdkSynth, resolve: Resolve) {
  const resources = synth.json.Resources;
  return sorted(
    cfnResources(synth, "AWS::ElasticLoadBalancingV2::Listener").map(([, listener]) => {
      const lb = resources[listener.Properties.LoadBalancerArn.Ref];
      const p = resources[listener.Properties.DefaultActions[0].TargetGroupArn.Ref].Properties;
      const attribute = (key: string) => p.TargetGroupAttributes.find((a: any) => a.Key === key)?.Value;
      const lbAttribute = (key: string) => lb.Properties.LoadBalancerAttributes.find((a: any) => a.Key === key)?.Value;
      return {
        loadBalancer: {
          name: lb.Properties.Name,
          internal: lb.Properties.Scheme === "internal",
          crossZone: lbAttribute("load_balancing.cross_zone.enabled") === "true",
          subnets: lb.Properties.Subnets.length,
          securityGroups: resolve(lb.Properties.SecurityGroups),
        },
        listener: { port: listener.Properties.Port, protocol: listener.Properties.Protocol },
        targetGroup: {
          port: p.Port,
          protocol: p.Protocol,
          targetType: p.TargetType,
          healthCheck: [
            p.HealthCheckProtocol,
            p.HealthCheckPath,
            p.HealthCheckPort,
            p.Matcher.HttpCode,
            p.HealthCheckIntervalSeconds,
            p.HealthCheckTimeoutSeconds,
            p.HealthyThresholdCount,
            p.UnhealthyThresholdCount,
          ],
          attributes: {
            preserveClientIp: attribute("preserve_client_ip.enabled"),
            connectionTermination: attribute("deregistration_delay.connection_termination.enabled"),
            deregistrationDelay: attribute("deregistration_delay.timeout_seconds"),
            unhealthyConnectionTermination: attribute("target_health_state.unhealthy.connection_termination.enabled"),
            unhealthyDraining: attribute("target_health_state.unhealthy.draining_interval_seconds"),
          },
        },
        targets: sorted(p.Targets.map((t: any) => `${resolve(t.Id)}:${t.Port}`)),
      };
    }),
  );
}

/** Each node: where it is (its subnet's CIDR and its address) and how it is hardened. */
function terraformInstances(result: SynthResult, resolve: Resolve, subnetCidr: (id: string) => string) {
  return sorted(
    resourcesOf(result, "aws_instance").map((i) => ({
      name: i.tags.Name,
      subnet: subnetCidr(String(resolve(i.subnet_id))),
      ip: i.private_ip,
      type: i.instance_type,
      imds: [i.metadata_options.http_tokens, i.metadata_options.http_put_response_hop_limit],
      root: [i.root_block_device.volume_size, i.root_block_device.volume_type, i.root_block_device.encrypted],
      role: i.tags["kubeadm-ha:role"],
      sourceDestCheck: i.source_dest_check ?? true,
    })),
  );
}

function cfnInstances(synth: CdkSynth, resolve: Resolve, subnetCidr: (id: string) => string) {
  return sorted(
    cfnResources(synth, "AWS::EC2::Instance").map(([, i]) => {
      const p = i.Properties;
      const ebs = p.BlockDeviceMappings[0].Ebs;
      // Where an explicit primary interface is attached, the interface says where the node is.
      const at = p.NetworkInterfaces ? cfnPrimaryInterface(synth, i).Properties : p;
      return {
        name: cfnTag(i, "Name"),
        subnet: subnetCidr(String(resolve(at.SubnetId))),
        ip: at.PrivateIpAddress,
        type: p.InstanceType,
        imds: [p.MetadataOptions.HttpTokens, p.MetadataOptions.HttpPutResponseHopLimit],
        root: [ebs.VolumeSize, ebs.VolumeType, ebs.Encrypted],
        role: cfnTag(i, "kubeadm-ha:role"),
        sourceDestCheck: at.SourceDestCheck ?? true,
      };
    }),
  );
}

/** The nodes whose primary interface carries the cluster's tag (what a secondary-IP VIP policy's condition checks). */
function terraformTaggedInterfaces(result: SynthResult, resolve: Resolve) {
  return resourcesOf(result, "aws_ec2_tag")
    .filter((t) => t.key === "kubeadm-ha:cluster")
    .map((t) => `${resolve(t.resource_id)}=${t.value}`)
    .sort();
}
function cfnTaggedInterfaces(synth: CdkSynth) {
  return cfnResources(synth, "AWS::EC2::Instance")
    .filter(([, i]) => i.Properties.NetworkInterfaces)
    .map(([, i]) => [cfnTag(i, "Name"), cfnTag(cfnPrimaryInterface(synth, i), "kubeadm-ha:cluster")])
    .filter(([, tag]) => tag !== undefined)
    .map(([name, tag]) => `INSTANCE<${name}>=${tag}`)
    .sort();
}

/** A subnet by its CIDR: SUBNET<cidr> stand-ins, or an existing subnet's id. */
const subnetCidrOf = (props: KubeadmClusterProps) => (id: string) => {
  const m = /^SUBNET<(.*)>$/.exec(id);
  if (m) return m[1];
  const existing = (props.network as typeof EXISTING | undefined)?.privateSubnets.find((s) => s.id === id);
  if (!existing) throw new Error(`unknown subnet ${id}`);
  return existing.cidrBlock;
};

const counts: string[] = [];
afterAll(() => console.log(`parity, per topology (compared equal):\n${counts.join("\n")}`));

/** The stack outputs (the default app's), id → [value, description], lists joined as CloudFormation joins them. */
function terraformOutputs(result: SynthResult, resolve: Resolve) {
  // Terraform's join() of references, as CloudFormation's Fn::Join of the same references reads.
  const joined = (v: string) =>
    v.replace(/\$\{join\("(.*?)", \[(.*?)\]\)\}/g, (_, sep: string, items: string) =>
      items
        .split(", ")
        .map((item) => `\${${item}}`)
        .join(sep),
    );
  return Object.fromEntries(
    Object.entries(result.plan.output).map(([key, o]) => [
      key.replace(/^cluster_(.*)_[0-9A-F]{8}$/, "$1"),
      [resolve(Array.isArray(o.value) ? o.value.join(",") : joined(o.value)), o.description],
    ]),
  );
}
function cfnOutputs(synth: CdkSynth, resolve: Resolve) {
  const outputs = (synth.json as { Outputs?: Record<string, { Value: unknown; Description: string }> }).Outputs ?? {};
  return Object.fromEntries(
    synth.cluster.node.children
      .filter((c): c is CfnOutput => c instanceof CfnOutput)
      .map((c) => [c.node.id, [resolve(outputs[synth.stack.resolve(c.logicalId)].Value), c.description]]),
  );
}

describe.each(TOPOLOGIES)("%s", (what, props) => {
  const terraform = synthStack(props);
  const cdk = synthCdk(props, undefined, { outputs: true });
  const tf = terraformResolver(terraform);
  const cfn = cloudFormationResolver(cdk);

  test("every node's user data is the same bytes", () => {
    const ours = terraformUserData(terraform);
    expect(Object.keys(ours).length).toBeGreaterThanOrEqual(3);
    expect(cfnUserData(cdk)).toEqual(ours);
  });

  test("the deploy settings are the same once each framework's references are filled in alike", () => {
    const value = terraformDeploySettings(terraform, tf);
    expect(value).toMatch(/JOIN_SECRET_ID='SECRET<Shared roots/);
    expect(cfnDeploySettings(cdk, cfn)).toBe(value);
  });

  test("the same stack outputs (the default apps'), with the same values and descriptions", () => {
    const ours = terraformOutputs(terraform, tf);
    expect(Object.keys(ours)).toEqual(expect.arrayContaining(["api-endpoint-url", "bootstrap-status-command"]));
    expect(cfnOutputs(cdk, cfn)).toEqual(ours);
  });

  test("the same security-group rules, each with its reason", () => {
    expect(cfnRules(cdk, cfn)).toEqual(terraformRules(terraform, tf));
  });

  test("the same IAM statements on the same roles, and the same secret resource policies", () => {
    expect(cfnStatements(cdk, cfn)).toEqual(terraformStatements(terraform, tf));
  });

  test("the same NLBs: listener, target group, health check, attributes, targets, security group", () => {
    expect(cfnNlbs(cdk, cfn)).toEqual(terraformNlbs(terraform, tf));
  });

  test("the VIP's /32 route goes to the same first peer in every route table of each flavour's network", () => {
    const tfRoutes = resourcesOf(terraform, "aws_route").filter((r) => r.destination_cidr_block?.endsWith("/32"));
    const cfnRoutes = cfnResources(cdk, "AWS::EC2::Route")
      .map(([, r]) => r.Properties)
      .filter((r) => r.DestinationCidrBlock?.endsWith("/32"));
    const unique = (pairs: unknown[][]) => [...new Set(sorted(pairs))];
    expect(unique(cfnRoutes.map((r) => [r.DestinationCidrBlock, cfn(r.InstanceId)]))).toEqual(
      unique(tfRoutes.map((r) => [r.destination_cidr_block, tf(r.network_interface_id)])),
    );
    if (tfRoutes.length === 0) return;
    // Every route table of the network: the cdktf VPC's own tables and its main one; AWS CDK's tables.
    expect(tfRoutes).toHaveLength(resourcesOf(terraform, "aws_route_table").length + 1);
    expect(cfnRoutes).toHaveLength(cfnResources(cdk, "AWS::EC2::RouteTable").length);
  });

  test("a secondary-IP VIP moves only onto the peers' interfaces, which carry the cluster's tag in both", () => {
    const movesSecondaryIp = terraformStatements(terraform, tf).some((s) => s.includes('"MoveVipSecondaryIp"'));
    const tagged = terraformTaggedInterfaces(terraform, tf);
    if (!movesSecondaryIp) {
      // The AWS CDK flavour tags no interface where no policy checks it (cdktf tags routed peers' too).
      expect(cfnTaggedInterfaces(cdk)).toEqual([]);
      return;
    }
    expect(tagged.length).toBeGreaterThanOrEqual(2);
    expect(cfnTaggedInterfaces(cdk)).toEqual(tagged);
  });

  test("the same instances, in the same subnets at the same addresses, hardened alike", () => {
    const subnetCidr = subnetCidrOf(props);
    const nodes = terraformInstances(terraform, tf, subnetCidr);
    expect(cfnInstances(cdk, cfn, subnetCidr)).toEqual(nodes);
    counts.push(
      `  ${what}: ${nodes.length} nodes (user data byte for byte), ${terraformRules(terraform, tf).length} security-group rules, ` +
        `${terraformStatements(terraform, tf).length} IAM statements, ${terraformNlbs(terraform, tf).length} NLB(s)`,
    );
  });
});
