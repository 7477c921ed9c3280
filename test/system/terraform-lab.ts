/**
 * The plan as Terraform runs it: a synthesized stack in its own Terraform working directory, with the
 * real Terraform (1.11, /usr/local/bin/terraform) and the real AWS provider (5.100 from the filesystem
 * mirror /opt/tf-plugins), applied to moto (the AWS emulator) on loopback. What the test changes in the
 * plan is reported, never hidden: the provider pin (the plans pin 6.25, only 5.100 is here), the
 * attributes 5.100 names differently, the provider's endpoints and credentials, and moto's own limits.
 * Nothing reaches a real address: every endpoint is 127.0.0.1, credentials are dummies, Terraform's
 * checkpoint is off, and the provider never asks the instance metadata.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "fs";
import { createServer } from "net";
import { join } from "path";
import { AwsCall, MotoCli } from "./moto";
import { waitFor } from "./netns";

export const TERRAFORM = "/usr/local/bin/terraform";
export const PROVIDER_MIRROR = "/opt/tf-plugins";
export const MIRRORED_PROVIDER_VERSION = "5.100.0";

/** What the oracle needs on this machine, with how to get it; empty when everything is there. */
export function missingTerraformTools(): string[] {
  const missing: string[] = [];
  if (!existsSync(TERRAFORM)) missing.push(`Terraform at ${TERRAFORM}`);
  if (!existsSync(join(PROVIDER_MIRROR, "registry.terraform.io", "hashicorp", "aws", MIRRORED_PROVIDER_VERSION))) {
    missing.push(`the hashicorp/aws ${MIRRORED_PROVIDER_VERSION} provider in the filesystem mirror ${PROVIDER_MIRROR}`);
  }
  if (spawnSync("python3", ["-c", "import moto"]).status !== 0) missing.push("moto in python3");
  if (spawnSync("sh", ["-c", "command -v aws"]).status !== 0) missing.push("the AWS CLI");
  if (spawnSync("python3", ["-c", "import awscli"]).status !== 0)
    missing.push("the AWS CLI's awscli package in python3");
  return missing;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** One change the test made to the synthesized plan, and how often. */
export interface PlanAdaptation {
  readonly what: string;
  readonly why: string;
  readonly count: number;
}

export interface TerraformRun {
  readonly status: number;
  readonly output: string;
  readonly seconds: number;
}

/** moto on loopback and Terraform working directories that use it. */
export class TerraformLab {
  readonly root = mkdtempSync("/var/tmp/kha-tf-");
  private moto?: ChildProcess;
  private readonly cli = new MotoCli();
  port = 0;
  /** The region of the last workspace's provider: where its resources live in moto. */
  region = "us-east-1";

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.port = await freePort();
    this.moto = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(this.port)], {
      stdio: "ignore",
    });
    await Promise.all([
      waitFor(
        "moto",
        () => spawnSync("curl", ["-sf", "-o", "/dev/null", `${this.endpoint}/`]).status === 0,
        30_000,
        200,
      ),
      this.cli.start(),
    ]);
    writeFileSync(
      join(this.root, "terraform.rc"),
      `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path    = "${PROVIDER_MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
    );
  }

  /** The AWS CLI against moto, its JSON answer parsed; a failed call throws with its stderr. */
  aws(args: string[]): any {
    return this.cli.json(this.endpoint, this.region, args);
  }

  /** The same, as the call ended (for a call meant to fail). */
  awsCall(args: string[]): AwsCall {
    return this.cli.run(this.endpoint, this.region, args);
  }

  /**
   * A working directory for a synthesized stack (its cdk.tf.json as an object), adapted to this
   * machine's provider and to moto. Returns the adaptations, for the report.
   */
  workspace(name: string, plan: any): { dir: string; adaptations: PlanAdaptation[] } {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const adaptations: PlanAdaptation[] = [];
    const note = (what: string, why: string, count: number) => count > 0 && adaptations.push({ what, why, count });

    const aws = plan.terraform.required_providers.aws;
    note(
      `required_providers.aws.version ${aws.version} -> ${MIRRORED_PROVIDER_VERSION}`,
      "only 5.100 is in the offline mirror; the project keeps its own pin for users",
      1,
    );
    aws.version = MIRRORED_PROVIDER_VERSION;
    if (plan.terraform.backend) {
      note("terraform.backend removed", "the test keeps state in its own working directory", 1);
      delete plan.terraform.backend;
    }
    const region = plan.provider.aws[0].region ?? "us-east-1";
    this.region = region;
    plan.provider.aws = [
      {
        region,
        access_key: "testing",
        secret_key: "testing",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
        endpoints: [
          Object.fromEntries(
            ["autoscaling", "ec2", "elbv2", "iam", "kms", "route53", "s3", "secretsmanager", "ssm", "sts"].map((s) => [
              s,
              this.endpoint,
            ]),
          ),
        ],
      },
    ];
    note(
      "provider.aws: endpoints, static credentials, skip_* flags",
      "every call goes to moto on loopback; nothing asks the instance metadata",
      1,
    );

    let text = JSON.stringify(plan, null, 1);
    // Provider 6.x renamed data.aws_region's `name` to `region`.
    const regionRefs = text.match(/data\.aws_region\.[A-Za-z0-9_-]+\.region/g)?.length ?? 0;
    text = text.replace(/(data\.aws_region\.[A-Za-z0-9_-]+)\.region/g, "$1.name");
    note(
      "data.aws_region.*.region -> .name",
      "provider 6.x renamed the attribute; 5.100 knows only `name`",
      regionRefs,
    );
    const adapted = JSON.parse(text);
    // moto refuses parameter names under /aws/ (AWS's public parameters): the test publishes the image under /moto/aws/...
    let ssm = 0;
    for (const p of Object.values<any>(adapted.data?.aws_ssm_parameter ?? {})) {
      p.name = `/moto${p.name}`;
      ssm++;
    }
    note(
      "data.aws_ssm_parameter names prefixed with /moto",
      "moto refuses names under /aws/; the test publishes one of its AMIs there",
      ssm,
    );
    // moto requires ports for every protocol but -1 (it fails on VRRP, protocol 112, which has none).
    let portless = 0;
    for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
      for (const rule of Object.values<any>(adapted.resource?.[type] ?? {})) {
        if (!["tcp", "udp", "icmp", "-1"].includes(rule.ip_protocol) && rule.from_port === undefined) {
          rule.from_port = -1;
          rule.to_port = -1;
          portless++;
        }
      }
    }
    note(
      "from_port/to_port -1 on rules of a protocol without ports (VRRP, 112)",
      "moto fails on a rule of such a protocol without ports; AWS ignores ports there",
      portless,
    );
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(adapted, null, 1));
    return { dir, adaptations };
  }

  /** Publishes moto's AMI under every image parameter a workspace reads (as AWS publishes Ubuntu's). */
  publishImages(plan: any) {
    const image = this.aws(["ec2", "describe-images", "--owners", "amazon", "--query", "Images[0].ImageId"]);
    for (const p of Object.values<any>(plan.data?.aws_ssm_parameter ?? {})) {
      this.aws([
        "ssm",
        "put-parameter",
        "--name",
        `/moto${p.name}`,
        "--type",
        "String",
        "--value",
        image,
        "--overwrite",
      ]);
    }
    return image;
  }

  /**
   * Runs Terraform in a working directory; its output also goes to DIR/terraform.log as it runs.
   * Asynchronous, so that independent working directories can run side by side.
   */
  async terraform(dir: string, args: string[], timeoutSeconds = 900): Promise<TerraformRun> {
    const started = Date.now();
    const log = join(dir, "terraform.log");
    const header = `\n$ terraform ${args.join(" ")}\n`;
    appendFileSync(log, header);
    const fd = openSync(log, "a");
    const run = spawn(TERRAFORM, [...args, "-no-color"], {
      cwd: dir,
      stdio: ["ignore", fd, fd],
      timeout: timeoutSeconds * 1000,
      env: {
        PATH: process.env.PATH,
        HOME: this.root,
        TF_CLI_CONFIG_FILE: join(this.root, "terraform.rc"),
        TF_IN_AUTOMATION: "1",
        TF_INPUT: "0",
        CHECKPOINT_DISABLE: "1",
        AWS_EC2_METADATA_DISABLED: "true",
        // Terraform and the provider (Go) spend much of each start collecting garbage while the provider
        // builds its schemas: a collection at 4x the live heap, not 2x, saves 15-20% of their CPU (measured
        // on validate and plan) for about 35% more memory (550 MB, not 410, per provider process).
        GOGC: "400",
      },
    });
    closeSync(fd);
    // A Terraform that cannot start emits "error" and may not "close": either ends the wait.
    const status = await new Promise<number>((resolve) => {
      run.once("error", () => resolve(-1));
      run.once("close", (code) => resolve(code ?? -1));
    });
    const output = readFileSync(log, "utf8");
    return {
      status,
      output: output.slice(output.lastIndexOf(header) + header.length),
      seconds: (Date.now() - started) / 1000,
    };
  }

  destroy() {
    this.moto?.kill("SIGKILL");
    this.cli.stop();
    if (process.env.KHA_KEEP_TERRAFORM_LAB) console.log(`terraform lab kept in ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Differences moto makes between what it was given and what it reports, which a second plan then
 * "fixes": not the plan's drift, and not something real AWS does. Each is matched narrowly (resource
 * type, attribute, the exact shape of moto's answer) and counted in the report.
 */
export const MOTO_QUIRKS: {
  readonly type: RegExp;
  readonly attribute: string;
  readonly matches: (before: any, after: any) => boolean;
  readonly what: string;
}[] = [
  {
    type: /^aws_vpc_security_group_(ingress|egress)_rule$/,
    attribute: "description",
    matches: (before, after) => before === null && typeof after === "string",
    what: "moto does not return a security-group rule's description",
  },
  {
    type: /^aws_vpc_security_group_(ingress|egress)_rule$/,
    attribute: "referenced_security_group_id",
    matches: (before, after) => typeof before === "string" && before === `123456789012/${after}`,
    what: "moto returns a referenced group as ACCOUNT/sg-... instead of sg-...",
  },
  {
    type: /^aws_instance$/,
    attribute: "vpc_security_group_ids",
    matches: (before, after) =>
      Array.isArray(before) && Array.isArray(after) && before.length === 0 && after.length > 0,
    what: "moto's DescribeInstances leaves SecurityGroups empty (its network interface has them), which the provider reads",
  },
  {
    type: /^aws_route53_zone$/,
    attribute: "vpc",
    matches: (before, after) =>
      Array.isArray(before) && before.length === 0 && Array.isArray(after) && after.length > 0,
    what: "moto makes a zone private only when HostedZoneConfig.PrivateZone is sent (AWS takes the VPC as that), so it reads back no VPC",
  },
  {
    type: /^aws_ec2_subnet_cidr_reservation$/,
    attribute: "description",
    matches: (before, after) => (before === null || before === "") && typeof after === "string",
    what: "moto does not return a subnet CIDR reservation's description (forces a replacement)",
  },
  {
    type: /^aws_autoscaling_group$/,
    attribute: "capacity_reservation_specification",
    matches: (before, after) =>
      before?.[0]?.capacity_reservation_preference === null && after?.[0]?.capacity_reservation_preference === "",
    what: "moto returns an empty CapacityReservationSpecification for a group, which the provider reads as a null preference",
  },
  {
    type: /^aws_autoscaling_group$/,
    attribute: "launch_template",
    matches: (before, after) =>
      before?.length === 1 &&
      after?.length === 1 &&
      before[0].id === after[0].id &&
      /^\d+$/.test(String(before[0].version)) &&
      after[0].version === undefined,
    what: "the template's moto quirk (below) plans an update of it, so its latest_version, the group's version, is unknown until applied",
  },
  {
    type: /^aws_launch_template$/,
    attribute: "tag_specifications",
    matches: (before, after) =>
      JSON.stringify((before ?? []).filter((t: any) => t.resource_type !== "launch-template")) ===
      JSON.stringify(after),
    what: "moto returns the template's own tags as a launch-template tag specification of its version",
  },
];

export interface PlanDrift {
  /** Attribute changes the plan makes, as "address: attribute". */
  readonly changes: string[];
  /** Changes explained by a moto quirk, by quirk. */
  readonly quirks: Record<string, number>;
}

/** What a saved plan changes, attribute by attribute (`terraform show -json PLAN`), with moto's quirks set apart. */
export function planDrift(showJson: any): PlanDrift {
  const changes: string[] = [];
  const quirks: Record<string, number> = {};
  for (const rc of showJson.resource_changes ?? []) {
    const actions: string[] = rc.change.actions;
    if (actions.length === 1 && (actions[0] === "no-op" || actions[0] === "read")) continue;
    const replaced = actions.includes("delete") && actions.includes("create");
    if (!actions.includes("update") && !replaced) {
      changes.push(`${rc.address}: ${actions.join("+")}`);
      continue;
    }
    const before = rc.change.before ?? {};
    const after = rc.change.after ?? {};
    const found: string[] = [];
    const explained: string[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[key]) === JSON.stringify(after[key]) || rc.change.after_unknown?.[key] === true)
        continue;
      const quirk = MOTO_QUIRKS.find(
        (q) => q.type.test(rc.type) && q.attribute === key && q.matches(before[key], after[key]),
      );
      if (quirk) explained.push(quirk.what);
      else found.push(`${key} ${JSON.stringify(before[key])} -> ${JSON.stringify(after[key])}`);
    }
    // A replacement is moto's only when every attribute that differs is a quirk: then it counts as one.
    if (replaced && found.length > 0) changes.push(`${rc.address}: ${actions.join("+")} (${found.join(", ")})`);
    else {
      for (const what of explained) quirks[what] = (quirks[what] ?? 0) + 1;
      for (const f of found) changes.push(`${rc.address}: ${f}`);
    }
  }
  return { changes, quirks };
}
