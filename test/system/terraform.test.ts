/**
 * The synthesized plans run through the real Terraform and AWS provider, applied to moto, checked with
 * the AWS CLI, booted as far as their own AWS calls go, planned again (must be empty) and destroyed
 * (terraform-lab.ts). In every run: the default app (its worker pool included) and the keepalived-stacked example;
 * KHA_TERRAFORM_ALL=1 adds the other examples and a cluster composed into the user's own VPC. Needs
 * Terraform 1.11 at /usr/local/bin/terraform, the hashicorp/aws 5.100 provider under /opt/tf-plugins,
 * moto and the AWS CLI: outside CI a missing one skips this file with its name; under CI=true it fails.
 */
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { App, TerraformStack } from "cdktf";
import { KubeadmHaStack } from "../../bin/app";
import { EXAMPLES } from "../../examples";
import { ComposedStack } from "../composed-stack";
import { decodeInstanceUserData, synthOf } from "../helpers";
import { missingTerraformTools, PlanAdaptation, planDrift, TerraformLab } from "./terraform-lab";
import { runAsNode } from "./node-calls";

const missing = missingTerraformTools();
if (missing.length && process.env.CI === "true") throw new Error(`the Terraform oracle needs: ${missing.join(", ")}`);
const describeIf = missing.length ? describe.skip : describe;
if (missing.length) console.warn(`skipping the Terraform oracle; missing: ${missing.join(", ")}`);

interface Plan {
  readonly name: string;
  readonly build: (app: App) => TerraformStack;
}
const PLANS: Plan[] = [
  {
    name: "default app",
    build: (app) => new KubeadmHaStack(app, "kubeadm-ha", { region: "us-east-1", cluster: {}, workers: {} }),
  },
  // Each further app costs about 6 minutes of CI's 25 (CI runs the default app; the keepalived plans are
  // applied to moto by the CloudFormation test in every run, and compared with cdktf's by the parity test).
  ...(process.env.KHA_TERRAFORM_ALL
    ? [
        ...["keepalived-stacked", "nlb-stacked", "nlb-external-etcd", "keepalived-external-etcd"].map((name) => ({
          name,
          build: (app: App) => new EXAMPLES[name](app, name) as unknown as TerraformStack,
        })),
        // The everyday case: the subnets' ids and zones are the user's resources' attributes, resolved by
        // Terraform (about 4 minutes; in every run, composed.test.ts proves its user data literal, and
        // the CloudFormation test applies the AWS CDK flavour's composition).
        { name: "composed into the user's VPC", build: (app: App) => new ComposedStack(app, "composed") },
      ]
    : []),
];

const report: string[] = [];
/** The Auto Scaling group an instance was launched by, if any (the tag EC2 Auto Scaling gives it). */
const inPool = (instance: { Tags?: { Key: string; Value: string }[] }): string | undefined =>
  instance.Tags?.find((t) => t.Key === "aws:autoscaling:groupName")?.Value;
const tagOf = (resource: { Tags?: { Key: string; Value: string }[] }, key: string) =>
  resource.Tags?.find((t) => t.Key === key)?.Value;
/** A secondary-IP VIP's address (reserved like a node's, held by no instance as its primary address). */
const vipOf = (plan: any) =>
  Object.values<any>(plan.resource.aws_ec2_subnet_cidr_reservation)
    .find((r) => /VIP/.test(r.description))
    ?.cidr_block.replace("/32", "");
afterAll(() => report.length && console.log(`Terraform against moto (provider ${"5.100.0"}):\n${report.join("\n")}`));

describeIf.each(PLANS)(
  "$name: Terraform init, validate, apply to moto, boot calls, plan again, destroy",
  ({ name, build }) => {
    const lab = new TerraformLab();
    const synthesized = synthOf(build).plan as any;
    const resourceCount = Object.values<any>(synthesized.resource).reduce(
      (n, byName) => n + Object.keys(byName).length,
      0,
    );
    let dir: string;
    let adaptations: PlanAdaptation[];
    const times: Record<string, number> = {};
    let quirks: Record<string, number> = {};

    beforeAll(async () => {
      await lab.start();
      ({ dir, adaptations } = lab.workspace(name.replace(/ /g, "-"), JSON.parse(JSON.stringify(synthesized))));
      lab.publishImages(synthesized);
    }, 60_000);
    afterAll(() => {
      report.push(
        `  ${name}: ${resourceCount} resources; apply ${times.apply?.toFixed(0)} s, second plan ${times.plan?.toFixed(0)} s, destroy ${times.destroy?.toFixed(0)} s`,
        ...adaptations.map((a) => `    adapted: ${a.what} (x${a.count}): ${a.why}`),
        ...Object.entries(quirks).map(([what, n]) => `    second plan, set apart as moto's: ${what} (x${n})`),
      );
      lab.destroy();
    });

    test("terraform init installs the provider from the mirror, and the plan validates", async () => {
      const init = await lab.terraform(dir, ["init", "-input=false"]);
      expect({ status: init.status, output: init.status === 0 ? "" : init.output }).toEqual({ status: 0, output: "" });
      const validate = await lab.terraform(dir, ["validate", "-json"]);
      const result = JSON.parse(validate.output.slice(validate.output.indexOf("{")));
      expect({
        valid: result.valid,
        diagnostics: result.diagnostics.map((d: any) => `${d.severity}: ${d.summary} ${d.detail ?? ""}`),
      }).toEqual({ valid: true, diagnostics: [] });
    }, 120_000);

    test("terraform apply against moto creates every resource", async () => {
      const apply = await lab.terraform(dir, ["apply", "-auto-approve", "-input=false", "-parallelism=20"]);
      times.apply = apply.seconds;
      expect({ status: apply.status, tail: apply.status === 0 ? "" : apply.output.slice(-4000) }).toEqual({
        status: 0,
        tail: "",
      });
      expect(apply.output).toMatch(
        new RegExp(`Apply complete! Resources: ${resourceCount} added, 0 changed, 0 destroyed`),
      );
    }, 600_000);

    test("the instances are spread over the zones, with IMDSv2 required (hop limit 1), encrypted volumes, no key pair", () => {
      const instances = lab
        .aws(["ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running"])
        .Reservations.flatMap((r: any) => r.Instances)
        .filter((i: any) => !inPool(i));
      const planned = Object.values<any>(synthesized.resource.aws_instance);
      expect(instances).toHaveLength(planned.length);
      for (const i of instances) {
        expect(i.MetadataOptions).toMatchObject({
          HttpTokens: "required",
          HttpPutResponseHopLimit: 1,
          HttpEndpoint: "enabled",
        });
        expect(i.KeyName).toBeUndefined();
        const volumes = lab.aws([
          "ec2",
          "describe-volumes",
          "--filters",
          `Name=attachment.instance-id,Values=${i.InstanceId}`,
        ]).Volumes;
        expect(volumes.map((v: any) => [v.Encrypted, v.VolumeType])).toEqual([[true, "gp3"]]);
      }
      const zones = new Set(
        instances
          .filter((i: any) => i.Tags.some((t: any) => t.Key === "kubeadm-ha:role" && t.Value === "control-plane"))
          .map((i: any) => i.Placement.AvailabilityZone),
      );
      expect(zones.size).toBeGreaterThanOrEqual(3);
    });

    test("each pool's group holds its planned sizes, subnets, launch template version and tags; its nodes run from the template: its user data, group, role and tags", () => {
      const pools = Object.values<any>(synthesized.resource.aws_autoscaling_group ?? {});
      const templates = Object.values<any>(synthesized.resource.aws_launch_template ?? {});
      const groups = lab.aws(["autoscaling", "describe-auto-scaling-groups"]).AutoScalingGroups;
      expect(groups.map((g: any) => g.AutoScalingGroupName).sort()).toEqual(pools.map((p) => p.name).sort());
      const instances = lab
        .aws(["ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running"])
        .Reservations.flatMap((r: any) => r.Instances);
      for (const group of groups) {
        const planned = pools.find((p) => p.name === group.AutoScalingGroupName);
        const template = templates.find((t) => t.name_prefix === `${planned.name}-`);
        expect([group.MinSize, group.MaxSize, group.DesiredCapacity]).toEqual([
          planned.min_size,
          planned.max_size,
          planned.desired_capacity,
        ]);
        expect(group.VPCZoneIdentifier.split(",")).toHaveLength(3);
        const tags = Object.fromEntries(group.Tags.map((t: any) => [t.Key, t.Value]));
        expect(tags).toMatchObject({
          "k8s.io/cluster-autoscaler/enabled": "true",
          "k8s.io/cluster-autoscaler/kubeadm-ha": "owned",
        });
        const version = lab.aws([
          "ec2",
          "describe-launch-template-versions",
          "--launch-template-id",
          group.LaunchTemplate.LaunchTemplateId,
          "--versions",
          group.LaunchTemplate.Version,
        ]).LaunchTemplateVersions[0].LaunchTemplateData;
        expect(version.UserData).toBe(template.user_data);
        expect(version.MetadataOptions).toMatchObject({ HttpTokens: "required", HttpPutResponseHopLimit: 1 });
        expect(version.BlockDeviceMappings[0].Ebs).toMatchObject({ Encrypted: true, VolumeType: "gp3" });
        const nodes = instances.filter((i: any) => inPool(i) === group.AutoScalingGroupName);
        expect(nodes).toHaveLength(planned.desired_capacity);
        for (const node of nodes) {
          const nodeTags = Object.fromEntries(node.Tags.map((t: any) => [t.Key, t.Value]));
          expect(nodeTags).toMatchObject({
            Name: planned.name,
            "kubeadm-ha:role": "worker",
            "kubeadm-ha:cluster": "kubeadm-ha",
          });
          const userData = lab.aws([
            "ec2",
            "describe-instance-attribute",
            "--instance-id",
            node.InstanceId,
            "--attribute",
            "userData",
          ]).UserData.Value;
          expect(userData).toBe(template.user_data);
          expect(node.SecurityGroups.map((g: any) => g.GroupName)).toEqual([
            expect.stringMatching(/^kubeadm-ha-workers-/),
          ]);
        }
      }
    });

    test("each instance's user data, read back from EC2, is the synthesized gzip byte for byte; the deploy settings parameter has every reference filled in", () => {
      const instances = lab
        .aws(["ec2", "describe-instances"])
        .Reservations.flatMap((r: any) => r.Instances)
        .filter((i: any) => !inPool(i));
      const planned = Object.values<any>(synthesized.resource.aws_instance);
      for (const i of instances) {
        const attribute = lab.aws([
          "ec2",
          "describe-instance-attribute",
          "--instance-id",
          i.InstanceId,
          "--attribute",
          "userData",
        ]).UserData.Value;
        const name = i.Tags.find((t: any) => t.Key === "Name").Value;
        expect(attribute).toBe(planned.find((p) => p.tags.Name === name).user_data_base64);
        expect(Buffer.byteLength(attribute, "base64")).toBeLessThan(16384);
      }
      const parameterName = Object.values<any>(synthesized.resource.aws_ssm_parameter).find((p) =>
        p.name.endsWith("/deploy-settings"),
      ).name;
      const parameter = lab.aws(["ssm", "get-parameter", "--name", parameterName]).Parameter;
      expect(parameter.Value).toMatch(/^ENDPOINT_HOST='[a-z0-9.-]+'$/m);
      expect(parameter.Value).toMatch(/^JOIN_SECRET_ID='arn:aws:secretsmanager:[^']+'$/m);
      expect(parameter.Value).not.toMatch(/\$\{/); // every reference was filled in by Terraform
    });

    test("the secrets exist and are empty: their values are born on the nodes", () => {
      const secrets = lab.aws(["secretsmanager", "list-secrets"]).SecretList;
      expect(secrets.length).toBe(Object.keys(synthesized.resource.aws_secretsmanager_secret).length);
      for (const s of secrets) {
        const read = lab.awsCall(["secretsmanager", "get-secret-value", "--secret-id", s.ARN]);
        expect(read.stderr).toMatch(/can't find the specified secret value/);
      }
    });

    test("the endpoint in moto is the planned one: load balancers, listeners, target groups with their health checks, attributes and targets, the endpoint's name, VIP routes", () => {
      const controlPlane = lab
        .aws(["ec2", "describe-instances", "--filters", "Name=tag:kubeadm-ha:role,Values=control-plane"])
        .Reservations.flatMap((r: any) => r.Instances)
        .sort(
          (a: any, b: any) => Number(tagOf(a, "kubeadm-ha:node-index")) - Number(tagOf(b, "kubeadm-ha:node-index")),
        );
      const plannedLbs = Object.values<any>(synthesized.resource.aws_lb ?? {});
      const lbs = lab.aws(["elbv2", "describe-load-balancers"]).LoadBalancers ?? [];
      // moto reports no Scheme for a load balancer created without one (the provider sends none for AWS's default, internet-facing).
      expect(lbs.map((l: any) => [l.LoadBalancerName, l.Type, l.Scheme ?? "internet-facing"]).sort()).toEqual(
        plannedLbs.map((p) => [p.name, "network", p.internal ? "internal" : "internet-facing"]).sort(),
      );
      const [plannedTg] = Object.values<any>(synthesized.resource.aws_lb_target_group ?? {});
      for (const lb of lbs) {
        const listeners = lab.aws(["elbv2", "describe-listeners", "--load-balancer-arn", lb.LoadBalancerArn]).Listeners;
        expect(listeners.map((l: any) => [l.Port, l.Protocol, l.DefaultActions[0].Type])).toEqual([
          [plannedTg.port, "TCP", "forward"],
        ]);
        const tgArn = listeners[0].DefaultActions[0].TargetGroupArn;
        const [tg] = lab.aws(["elbv2", "describe-target-groups", "--target-group-arns", tgArn]).TargetGroups;
        const hc = plannedTg.health_check;
        expect(tg).toMatchObject({
          Protocol: "TCP",
          Port: plannedTg.port,
          TargetType: "instance",
          HealthCheckProtocol: hc.protocol,
          HealthCheckPort: hc.port,
          HealthCheckPath: hc.path,
          HealthCheckIntervalSeconds: hc.interval,
          HealthCheckTimeoutSeconds: hc.timeout,
          HealthyThresholdCount: hc.healthy_threshold,
          UnhealthyThresholdCount: hc.unhealthy_threshold,
          Matcher: { HttpCode: hc.matcher },
        });
        const attributes = Object.fromEntries(
          lab
            .aws(["elbv2", "describe-target-group-attributes", "--target-group-arn", tgArn])
            .Attributes.map((a: any) => [a.Key, a.Value]),
        );
        expect(attributes).toMatchObject({
          "deregistration_delay.timeout_seconds": plannedTg.deregistration_delay,
          "preserve_client_ip.enabled": plannedTg.preserve_client_ip,
        });
        const targets = lab.aws([
          "elbv2",
          "describe-target-health",
          "--target-group-arn",
          tgArn,
        ]).TargetHealthDescriptions;
        expect(targets.map((t: any) => [t.Target.Id, t.Target.Port]).sort()).toEqual(
          controlPlane.map((i: any) => [i.InstanceId, plannedTg.port]).sort(),
        );
      }

      for (const record of Object.values<any>(synthesized.resource.aws_route53_record ?? {})) {
        const zone = lab
          .aws(["route53", "list-hosted-zones"])
          .HostedZones.find((z: any) => `${record.name}.`.endsWith(`.${z.Name}`));
        const sets = lab.aws(["route53", "list-resource-record-sets", "--hosted-zone-id", zone.Id]).ResourceRecordSets;
        const alias = sets.find((r: any) => r.Name === `${record.name}.` && r.Type === "A")?.AliasTarget;
        const internal = lbs.find((l: any) => l.Scheme === "internal");
        expect(alias?.DNSName.replace(/\.$/, "")).toBe(internal.DNSName);
      }

      const vipRoutes = Object.values<any>(synthesized.resource.aws_route ?? {}).filter((r) =>
        r.destination_cidr_block.endsWith("/32"),
      );
      if (vipRoutes.length) {
        const tables = lab.aws([
          "ec2",
          "describe-route-tables",
          "--filters",
          `Name=route.destination-cidr-block,Values=${vipRoutes[0].destination_cidr_block}`,
        ]).RouteTables;
        expect(tables).toHaveLength(vipRoutes.length);
        for (const t of tables) {
          const route = t.Routes.find((r: any) => r.DestinationCidrBlock === vipRoutes[0].destination_cidr_block);
          expect(route.NetworkInterfaceId).toBe(controlPlane[0].NetworkInterfaces[0].NetworkInterfaceId);
        }
        expect(tables.some((t: any) => t.Associations?.some((a: any) => a.Main))).toBe(true);
      }
    });

    test("every node's address is reserved (explicit) in its subnet, and each node has it", () => {
      const planned = Object.values<any>(synthesized.resource.aws_ec2_subnet_cidr_reservation)
        .map((r) => r.cidr_block)
        .sort();
      // The plan's own subnets (moto's default VPC has others, and each is one more CLI call).
      const cidrs = Object.values<any>(synthesized.resource.aws_subnet ?? {}).map((s) => s.cidr_block);
      const subnets = lab.aws([
        "ec2",
        "describe-subnets",
        "--filters",
        `Name=cidr-block,Values=${cidrs.join(",")}`,
      ]).Subnets;
      const reserved = subnets.flatMap(
        (s: any) =>
          lab.aws(["ec2", "get-subnet-cidr-reservations", "--subnet-id", s.SubnetId]).SubnetIpv4CidrReservations,
      );
      expect(reserved.map((r: any) => [r.Cidr, r.ReservationType]).sort()).toEqual(planned.map((c) => [c, "explicit"]));
      const addresses = lab
        .aws(["ec2", "describe-instances"])
        .Reservations.flatMap((r: any) => r.Instances)
        .map((i: any) => `${i.PrivateIpAddress}/32`);
      const nodeAddresses = Object.values<any>(synthesized.resource.aws_ec2_subnet_cidr_reservation).filter(
        (r) => r.cidr_block !== `${vipOf(synthesized)}/32`,
      );
      for (const r of nodeAddresses)
        expect({ reserved: r.cidr_block, held: addresses.includes(r.cidr_block) }).toEqual({
          reserved: r.cidr_block,
          held: true,
        });
    });

    test("security groups hold the planned rules, and the roles the planned inline policies", () => {
      // A reference to an attribute the plan itself sets (a composed stack's "${aws_vpc.vpc.cidr_block}") is that value.
      const configured = (value: string) => {
        const [, type, id, attribute] = /^\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}$/.exec(value) ?? [];
        return type ? (synthesized.resource[type]?.[id]?.[attribute] ?? value) : value;
      };
      const groupName = (ref: string) => {
        const id = /aws_security_group\.([^.]+)\.id/.exec(ref)?.[1];
        return id ? synthesized.resource.aws_security_group[id].tags.Name : undefined;
      };
      const groups = lab.aws(["ec2", "describe-security-groups"]).SecurityGroups;
      const idOf = (name: string) =>
        groups.find((g: any) => g.Tags?.some((t: any) => t.Key === "Name" && t.Value === name))?.GroupId;
      const rules = lab.aws(["ec2", "describe-security-group-rules"]).SecurityGroupRules;
      for (const [type, egress] of [
        ["aws_vpc_security_group_ingress_rule", false],
        ["aws_vpc_security_group_egress_rule", true],
      ] as const) {
        for (const rule of Object.values<any>(synthesized.resource[type] ?? {})) {
          const group = idOf(groupName(rule.security_group_id));
          const found = rules.filter(
            (r: any) =>
              r.GroupId === group &&
              r.IsEgress === egress &&
              r.IpProtocol === rule.ip_protocol &&
              (rule.from_port === undefined || r.FromPort === rule.from_port) &&
              (rule.cidr_ipv4 === undefined || r.CidrIpv4 === configured(rule.cidr_ipv4)),
          );
          expect({ rule: rule.description, found: found.length > 0 }).toEqual({ rule: rule.description, found: true });
        }
      }
      const roles = lab.aws(["iam", "list-roles"]).Roles;
      for (const policy of Object.values<any>(synthesized.resource.aws_iam_role_policy)) {
        const roleId = /aws_iam_role\.([^.]+)\.id/.exec(policy.role)?.[1];
        const prefix = roleId ? synthesized.resource.aws_iam_role[roleId].name_prefix : undefined;
        const role = roles.find((r: any) => prefix && r.RoleName.startsWith(prefix));
        expect({
          policy: policy.name,
          on: lab.aws(["iam", "list-role-policies", "--role-name", role.RoleName]).PolicyNames.includes(policy.name),
        }).toEqual({ policy: policy.name, on: true });
      }
    });

    test("after the nodes fetch their deploy settings and publish their bootstrap status (cloud-aws.sh with the AWS CLI, as booted nodes do), a second plan is empty", async () => {
      const instances = lab.aws(["ec2", "describe-instances"]).Reservations.flatMap((r: any) => r.Instances);
      // Each node's own calls (all nodes at once, as they boot): its instance id from the metadata stand-in,
      // the tag through the real AWS CLI.
      const calls = await Promise.all(
        (instances as any[]).map((i) => {
          const name = i.Tags.find((t: any) => t.Key === "Name").Value;
          // A pool's node runs its launch template's user data (and asks the cloud for its name).
          const planned = inPool(i)
            ? Object.values<any>(synthesized.resource.aws_launch_template).find((t) => t.name_prefix === `${name}-`)
            : Object.values<any>(synthesized.resource.aws_instance).find((p) => p.tags.Name === name);
          return runAsNode({
            root: lab.root,
            endpoint: lab.endpoint,
            instance: i,
            nodeSettings: decodeInstanceUserData(planned).files["/etc/kubeadm-ha/node-settings.env"].content,
            script: `load_deploy_settings && echo "endpoint $ENDPOINT_HOST" && cloud_set_status running:kubeadm-join && cloud_set_status ready`,
          });
        }),
      );
      for (const call of calls) {
        expect(call.stderr).not.toMatch(/not published/);
        expect(call.stdout).toMatch(/^endpoint [a-z0-9.-]+$/m);
      }
      const tagged = lab.aws(["ec2", "describe-tags", "--filters", "Name=key,Values=kubeadm-ha:bootstrap"]).Tags;
      expect(tagged.map((t: any) => t.Value)).toEqual(instances.map(() => "ready"));

      const plan = await lab.terraform(dir, ["plan", "-input=false", "-out=second.tfplan"]);
      times.plan = plan.seconds;
      expect(plan.status).toBe(0);
      const drift = planDrift(JSON.parse((await lab.terraform(dir, ["show", "-json", "second.tfplan"])).output));
      quirks = drift.quirks;
      expect(drift.changes).toEqual([]);
    }, 300_000);

    test("terraform destroy removes everything", async () => {
      const destroy = await lab.terraform(dir, ["destroy", "-auto-approve", "-input=false", "-parallelism=20"]);
      times.destroy = destroy.seconds;
      expect({ status: destroy.status, tail: destroy.status === 0 ? "" : destroy.output.slice(-3000) }).toEqual({
        status: 0,
        tail: "",
      });
      expect(destroy.output).toMatch(new RegExp(`Destroy complete! Resources: ${resourceCount} destroyed`));
    }, 600_000);
  },
);

/**
 * What Terraform itself decides about zones, against moto's zone and offering lists. Each test has its own
 * working directory and reads only what it planned, so the five run at once (test.concurrent; measured
 * faster than two at a time): most of their time is Terraform's and the provider's own CPU, which the five
 * share, hence the longer time limits. workspace() and publishImages() follow each other with no await
 * between: lab.region is that workspace's.
 */
describeIf("zones: Terraform refuses too few zones or a type they do not offer, and keeps a choice once made", () => {
  const lab = new TerraformLab();
  beforeAll(() => lab.start(), 60_000);
  afterAll(() => lab.destroy());

  /** Synthesizes the default app with these props, initializes it, and plans it; returns the plan's output. */
  const plan = async (name: string, region: string, cluster: object, extra: string[] = []) => {
    const synthesized = synthOf((app) => new KubeadmHaStack(app, "kubeadm-ha", { region, cluster })).plan as any;
    const { dir } = lab.workspace(name, synthesized);
    lab.publishImages(synthesized);
    expect((await lab.terraform(dir, ["init", "-input=false"])).status).toBe(0);
    return { dir, synthesized, run: await lab.terraform(dir, ["plan", "-input=false", "-out=plan.tfplan", ...extra]) };
  };
  const oneLine = (text: string) => text.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ");

  test.concurrent(
    "a region with 2 zones (moto's us-west-1) and 3 asked for: the plan fails naming network.zoneCount and the zones",
    async () => {
      const { run } = await plan("two-zones", "us-west-1", {});
      expect(run.status).not.toBe(0);
      expect(oneLine(run.output)).toContain(
        "network.zoneCount is 3 but this region has only 2 availability zones (us-west-1a, us-west-1b)",
      );
    },
    300_000,
  );

  test.concurrent(
    "a type offered in one zone of three (p4d.24xlarge in moto's eu-west-1): the plan fails naming instanceType and where it is offered",
    async () => {
      const { run } = await plan("rare-type", "eu-west-1", { instanceType: "p4d.24xlarge" });
      expect(run.status).not.toBe(0);
      expect(oneLine(run.output)).toContain(
        'instanceType "p4d.24xlarge" is offered in only eu-west-1c of this region\'s zones, and the cluster needs 3 (network.zoneCount)',
      );
    },
    300_000,
  );

  test.concurrent(
    "given zones that do not all offer the type: the plan fails naming the zones that lack it and network.availabilityZones",
    async () => {
      const { run } = await plan("given-zones", "eu-west-1", {
        instanceType: "p4d.24xlarge",
        network: { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] },
      });
      expect(run.status).not.toBe(0);
      expect(oneLine(run.output)).toContain(
        'instanceType "p4d.24xlarge" is not offered in eu-west-1a, eu-west-1b (network.availabilityZones)',
      );
    },
    300_000,
  );

  test.concurrent(
    "the user's subnets, two of them in one zone although labelled otherwise: the plan fails naming network.privateSubnets and the zones",
    async () => {
      const synthesized = synthOf(
        (app) =>
          new ComposedStack(app, "shared-zone", undefined, { zones: ["us-east-1a", "us-east-1a", "us-east-1c"] }),
      ).plan as any;
      const { dir } = lab.workspace("shared-zone", synthesized);
      lab.publishImages(synthesized);
      expect((await lab.terraform(dir, ["init", "-input=false"])).status).toBe(0);
      // The subnets exist first (as a user's do), so the plan reads their real zones.
      const subnets = Object.keys(synthesized.resource.aws_subnet).map((id) => `-target=aws_subnet.${id}`);
      expect((await lab.terraform(dir, ["apply", "-auto-approve", "-input=false", ...subnets])).status).toBe(0);
      const run = await lab.terraform(dir, ["plan", "-input=false"]);
      expect(run.status).not.toBe(0);
      expect(oneLine(run.output)).toContain(
        "network.privateSubnets: the first 3 subnets, which hold the nodes, are in us-east-1a, us-east-1a, us-east-1c: give each its own availability zone",
      );
    },
    300_000,
  );

  test.concurrent(
    "5 zones in us-east-1: the choice skips us-east-1e, which does not offer t3.medium; once stored, a different zone list changes nothing",
    async () => {
      const { dir, run } = await plan("five-zones", "us-east-1", { network: { zoneCount: 5 }, controlPlaneCount: 5 });
      expect(run.status).toBe(0);
      const shown = JSON.parse((await lab.terraform(dir, ["show", "-json", "plan.tfplan"])).output);
      const choice = shown.resource_changes.find((rc: any) => rc.type === "terraform_data");
      expect(choice.change.after.input).toEqual({
        zones: ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"],
      });

      // Store the choice, then let the region's list "change" (the input expression now gives other zones): no change planned.
      expect(
        (await lab.terraform(dir, ["apply", "-auto-approve", "-input=false", `-target=${choice.address}`])).status,
      ).toBe(0);
      const config = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
      const [id] = Object.keys(config.resource.terraform_data);
      config.resource.terraform_data[id].input = {
        zones: ["us-east-1f", "us-east-1d", "us-east-1c", "us-east-1b", "us-east-1a"],
      };
      writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(config));
      expect(
        (await lab.terraform(dir, ["plan", "-input=false", "-out=again.tfplan", `-target=${choice.address}`])).status,
      ).toBe(0);
      const again = JSON.parse((await lab.terraform(dir, ["show", "-json", "again.tfplan"])).output);
      expect(again.resource_changes.find((rc: any) => rc.type === "terraform_data").change.actions).toEqual(["no-op"]);

      // A later instance type that a stored zone does not offer fails the plan, although 5 zones of the
      // region offer it (i2.xlarge in moto: us-east-1a to 1e, not 1f): the choice is held, not redone.
      const [offerings] = Object.values<any>(config.data.aws_ec2_instance_type_offerings);
      offerings.filter[0].values = ["i2.xlarge"];
      writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(config));
      const changedType = await lab.terraform(dir, ["plan", "-input=false", `-target=${choice.address}`]);
      expect(changedType.status).not.toBe(0);
      expect(oneLine(changedType.output)).toContain("us-east-1f does not offer every instance type");
    },
    300_000,
  );
});
