/**
 * What a reviewer reads in a Terraform plan, with its references resolved to stand-ins named by what
 * they point at (a secret by its description, a group by its Name tag, ...): the node user data, the
 * deploy settings, the security-group rules, the IAM statements, the NLBs, the instances, the outputs.
 * The parity test compares these with the AWS CDK flavour's (test/aws-cdk/reviewable.ts); the golden
 * files (test/golden.ts) write them out per topology.
 */
import { resourcesOf, SynthResult } from "./helpers";
import { EXISTING_NETWORK } from "./topologies";

export type Resolve = (value: unknown) => unknown;

/** Terraform references in cdktf's plan, as stand-ins named by what they point at. */
export function terraformResolver(result: SynthResult): Resolve {
  const r = result.plan.resource;
  const names: Record<string, (name: string, attr: string) => string> = {
    aws_secretsmanager_secret: (n) => `SECRET<${r.aws_secretsmanager_secret[n].description}>`,
    aws_lb: (n) => `NLB<${r.aws_lb[n].name}>`,
    aws_security_group: (n) => `SG<${r.aws_security_group[n].tags.Name}>`,
    aws_iam_role: (n) => `ROLE<${r.aws_iam_role[n].description}>`,
    aws_ssm_parameter: (n) => `PARAMETER<${r.aws_ssm_parameter[n].name}>`,
    aws_instance: (n) => `INSTANCE<${r.aws_instance[n].tags.Name}>`,
    aws_iam_instance_profile: (n) => `PROFILE<${resolveText(r.aws_iam_instance_profile[n].role)}>`,
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
export function sameRouteTables(value: unknown): unknown {
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

export const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

export const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function terraformUserData(result: SynthResult) {
  return Object.fromEntries(resourcesOf(result, "aws_instance").map((i) => [i.tags.Name, i.user_data_base64]));
}

export function terraformDeploySettings(result: SynthResult, resolve: Resolve) {
  return resolve(resourcesOf(result, "aws_ssm_parameter")[0].insecure_value);
}

export interface Rule {
  group: unknown;
  direction: string;
  protocol: string;
  from?: number;
  to?: number;
  peer: unknown;
  description: string;
}

export function terraformRules(result: SynthResult, resolve: Resolve): string[] {
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

export interface Statement {
  on: unknown; // the role (its description) or the secret whose policy it is
  policy: string;
  sid: string;
  effect: string;
  actions: string[];
  resources: unknown[];
  conditions: string[];
  principals: string[];
}

/**
 * The statements of the node roles' policies and the secrets' resource policies; principals as "*"
 * (the flavours spell them differently), or as `type: identifiers` with `withPrincipals`.
 */
export function terraformStatements(result: SynthResult, resolve: Resolve, withPrincipals = false): string[] {
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
        principals: (s.principals ?? []).map((p: any) =>
          withPrincipals ? `${p.type}: ${(resolve(p.identifiers) as string[]).join(", ")}` : "*",
        ),
      });
  };
  for (const p of resourcesOf(result, "aws_iam_role_policy"))
    add(resolve(p.role.replace(/\.id\}$/, ".arn}")), p.name, docOf(p.policy));
  for (const p of resourcesOf(result, "aws_secretsmanager_secret_policy"))
    add(resolve(p.secret_arn), "resource policy", docOf(p.policy));
  return sorted(statements.map((s) => ({ ...s, resources: sorted(s.resources) })));
}

/** Each NLB with its listener, the target group the listener forwards to, and that group's targets. */
export function terraformNlbs(result: SynthResult, resolve: Resolve) {
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

/** Each node: where it is (its subnet's CIDR and its address) and how it is hardened. */
export function terraformInstances(result: SynthResult, resolve: Resolve, subnetCidr: (id: string) => string) {
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

/** The nodes whose primary interface carries the cluster's tag (what a secondary-IP VIP policy's condition checks). */
export function terraformTaggedInterfaces(result: SynthResult, resolve: Resolve) {
  return resourcesOf(result, "aws_ec2_tag")
    .filter((t) => t.key === "kubeadm-ha:cluster")
    .map((t) => `${resolve(t.resource_id)}=${t.value}`)
    .sort();
}

/** The stack outputs (the default app's), id → [value, description], lists joined as CloudFormation joins them. */
export function terraformOutputs(result: SynthResult, resolve: Resolve) {
  // Terraform's join() or tolist() of references, as CloudFormation's Fn::Join of the same references
  // reads (a list output is one comma-separated value there).
  const joined = (v: string) =>
    v
      .replace(/\$\{join\("(.*?)", \[(.*?)\]\)\}/g, (_, sep: string, items: string) => listed(items, sep))
      .replace(/^\$\{tolist\(\[(.*?)\]\)\}$/, (_, items: string) => listed(items, ","));
  const listed = (items: string, sep: string) =>
    items
      .split(", ")
      .map((item) => `\${${item}}`)
      .join(sep);
  return Object.fromEntries(
    Object.entries(result.plan.output).map(([key, o]) => [
      key.replace(/^cluster_(.*)_[0-9A-F]{8}$/, "$1"),
      [resolve(joined(o.value)), o.description],
    ]),
  );
}

/** A subnet by its CIDR: SUBNET<cidr> stand-ins, or an existing subnet's id. */
export const subnetCidrOf = (props: { network?: unknown }) => (id: string) => {
  const m = /^SUBNET<(.*)>$/.exec(id);
  if (m) return m[1];
  const existing = (props.network as typeof EXISTING_NETWORK | undefined)?.privateSubnets.find((s) => s.id === id);
  if (!existing) throw new Error(`unknown subnet ${id}`);
  return existing.cidrBlock;
};

/** A worker pool as a reviewer reads it: its group (sizes, subnets, types, health, tags) and its launch template. */
export interface PoolFacts {
  readonly name: string;
  readonly sizes: [min: number, max: number, desired: number];
  readonly subnets: unknown;
  readonly instanceTypes: string[];
  readonly image: string;
  readonly imds: [tokens: string, hopLimit: number];
  readonly root: [size: number, type: string, encrypted: boolean];
  readonly securityGroups: unknown;
  readonly profile: unknown;
  readonly instanceTags: Record<string, string>;
  readonly groupTags: Record<string, string>;
  readonly health: [type: string, graceSeconds: number];
  /** Its nodes' user data, base64 of gzip. */
  readonly userData: string;
}

const byKey = (entries: [string, string][]) => Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));

export function terraformPools(result: SynthResult, resolve: Resolve): PoolFacts[] {
  const templates = result.plan.resource.aws_launch_template ?? {};
  return resourcesOf(result, "aws_autoscaling_group")
    .map((g): PoolFacts => {
      const mixed = g.mixed_instances_policy?.launch_template;
      const reference: string = mixed ? mixed.launch_template_specification.launch_template_id : g.launch_template.id;
      const t = templates[/^\$\{aws_launch_template\.([^.]+)\.id\}$/.exec(reference)![1]];
      const ebs = t.block_device_mappings[0].ebs;
      return {
        name: g.name,
        sizes: [g.min_size, g.max_size, g.desired_capacity],
        subnets: resolve(g.vpc_zone_identifier),
        instanceTypes: mixed ? mixed.override.map((o: any) => o.instance_type) : [t.instance_type],
        image: t.image_id,
        imds: [t.metadata_options.http_tokens, t.metadata_options.http_put_response_hop_limit],
        root: [ebs.volume_size, ebs.volume_type, ebs.encrypted === "true"],
        securityGroups: resolve(t.vpc_security_group_ids),
        profile: resolve(t.iam_instance_profile.arn),
        instanceTags: byKey(Object.entries(t.tag_specifications.find((s: any) => s.resource_type === "instance").tags)),
        groupTags: byKey(g.tag.map((tag: any) => [tag.key, tag.value])),
        health: [g.health_check_type, g.health_check_grace_period],
        userData: t.user_data,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
