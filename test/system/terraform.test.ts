/**
 * The synthesized plans run through the real Terraform and AWS provider, applied to moto, checked with
 * the AWS CLI, booted as far as their own AWS calls go, planned again (must be empty) and destroyed
 * (terraform-lab.ts). In every run: the default app and the keepalived-stacked example;
 * KHA_TERRAFORM_ALL=1 adds the other examples. Needs Terraform 1.11 at /usr/local/bin/terraform, the
 * hashicorp/aws 5.100 provider under /opt/tf-plugins, moto and the AWS CLI: outside CI a missing one
 * skips this file with its name; under CI=true it fails.
 */
import { spawn, spawnSync } from "child_process";
import { writeFileSync } from "fs";
import { join } from "path";
import { gunzipSync } from "zlib";
import { App, TerraformStack } from "cdktf";
import { KubeadmHaStack } from "../../bin/app";
import { EXAMPLES } from "../../examples";
import { USERDATA_DIR, decodeUserData, synthOf } from "../helpers";
import { freePort, missingTerraformTools, PlanAdaptation, planDrift, TerraformLab } from "./terraform-lab";
import { waitFor } from "./netns";

const missing = missingTerraformTools();
if (missing.length && process.env.CI === "true") throw new Error(`the Terraform oracle needs: ${missing.join(", ")}`);
const describeIf = missing.length ? describe.skip : describe;
if (missing.length) console.warn(`skipping the Terraform oracle; missing: ${missing.join(", ")}`);

interface Plan {
  readonly name: string;
  readonly build: (app: App) => TerraformStack;
}
const PLANS: Plan[] = [
  { name: "default app", build: (app) => new KubeadmHaStack(app, "kubeadm-ha", { region: "us-east-1", cluster: {} }) },
  { name: "keepalived-stacked", build: (app) => new EXAMPLES["keepalived-stacked"](app, "keepalived-stacked") as unknown as TerraformStack },
  ...(process.env.KHA_TERRAFORM_ALL
    ? ["nlb-stacked", "nlb-external-etcd", "keepalived-external-etcd"].map((name) => ({ name, build: (app: App) => new EXAMPLES[name](app, name) as unknown as TerraformStack }))
    : []),
];

const report: string[] = [];
afterAll(() => report.length && console.log(`Terraform against moto (provider ${"5.100.0"}):\n${report.join("\n")}`));

describeIf.each(PLANS)("$name: Terraform init, validate, apply to moto, boot calls, plan again, destroy", ({ name, build }) => {
  const lab = new TerraformLab();
  const synthesized = synthOf(build).plan as any;
  const resourceCount = Object.values<any>(synthesized.resource).reduce((n, byName) => n + Object.keys(byName).length, 0);
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

  test("terraform init installs the provider from the mirror, and the plan validates", () => {
    const init = lab.terraform(dir, ["init", "-input=false"]);
    expect({ status: init.status, output: init.status === 0 ? "" : init.output }).toEqual({ status: 0, output: "" });
    const validate = lab.terraform(dir, ["validate", "-json"]);
    const result = JSON.parse(validate.output.slice(validate.output.indexOf("{")));
    expect({ valid: result.valid, diagnostics: result.diagnostics.map((d: any) => `${d.severity}: ${d.summary} ${d.detail ?? ""}`) }).toEqual({ valid: true, diagnostics: [] });
  }, 120_000);

  test("terraform apply against moto creates every resource", () => {
    const apply = lab.terraform(dir, ["apply", "-auto-approve", "-input=false", "-parallelism=20"]);
    times.apply = apply.seconds;
    expect({ status: apply.status, tail: apply.status === 0 ? "" : apply.output.slice(-4000) }).toEqual({ status: 0, tail: "" });
    expect(apply.output).toMatch(new RegExp(`Apply complete! Resources: ${resourceCount} added, 0 changed, 0 destroyed`));
  }, 600_000);

  test("the instances are spread over the zones, with IMDSv2 required (hop limit 1), encrypted volumes, no key pair", () => {
    const instances = lab.aws(["ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running"]).Reservations.flatMap((r: any) => r.Instances);
    const planned = Object.values<any>(synthesized.resource.aws_instance);
    expect(instances).toHaveLength(planned.length);
    for (const i of instances) {
      expect(i.MetadataOptions).toMatchObject({ HttpTokens: "required", HttpPutResponseHopLimit: 1, HttpEndpoint: "enabled" });
      expect(i.KeyName).toBeUndefined();
      const volumes = lab.aws(["ec2", "describe-volumes", "--filters", `Name=attachment.instance-id,Values=${i.InstanceId}`]).Volumes;
      expect(volumes.map((v: any) => [v.Encrypted, v.VolumeType])).toEqual([[true, "gp3"]]);
    }
    const zones = new Set(instances.filter((i: any) => i.Tags.some((t: any) => t.Key === "kubeadm-ha:role" && t.Value === "control-plane")).map((i: any) => i.Placement.AvailabilityZone));
    expect(zones.size).toBeGreaterThanOrEqual(3);
  });

  test("each instance's user data, read back from EC2, is the gzip'd cloud-config with the deploy-time values filled in", () => {
    const instances = lab.aws(["ec2", "describe-instances"]).Reservations.flatMap((r: any) => r.Instances);
    for (const i of instances) {
      const attribute = lab.aws(["ec2", "describe-instance-attribute", "--instance-id", i.InstanceId, "--attribute", "userData"]).UserData.Value;
      const text = gunzipSync(Buffer.from(attribute, "base64")).toString("utf8");
      const { files } = decodeUserData(text);
      const env = files["/etc/kubeadm-ha/cluster.env"].content;
      expect(env).toMatch(new RegExp(`^AWS_REGION='${lab.region}'$`, "m"));
      expect(env).not.toMatch(/\$\{/); // every reference was filled in by Terraform
      expect(Buffer.byteLength(attribute, "base64")).toBeLessThan(16384);
    }
  });

  test("the secrets exist and are empty: their values are born on the nodes", () => {
    const secrets = lab.aws(["secretsmanager", "list-secrets"]).SecretList;
    expect(secrets.length).toBe(Object.keys(synthesized.resource.aws_secretsmanager_secret).length);
    for (const s of secrets) {
      const read = spawnSync("aws", ["--endpoint-url", lab.endpoint, "--region", lab.region, "secretsmanager", "get-secret-value", "--secret-id", s.ARN], {
        encoding: "utf8",
        env: { ...process.env, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_EC2_METADATA_DISABLED: "true" },
      });
      expect(read.stderr).toMatch(/can't find the specified secret value/);
    }
  });

  test("after the nodes publish their bootstrap status (cloud-aws.sh with the AWS CLI, as booted nodes do), a second plan is empty", async () => {
    const instances = lab.aws(["ec2", "describe-instances"]).Reservations.flatMap((r: any) => r.Instances);
    const imdsPort = await freePort();
    for (const i of instances) {
      // Each node's own call: its instance id from the metadata stand-in, the tag through the real AWS CLI.
      const identities = join(lab.root, `identity-${i.InstanceId}.json`);
      writeFileSync(identities, JSON.stringify({ "127.0.0.1": { instanceId: i.InstanceId, zone: i.Placement.AvailabilityZone, mac: "02:00:00:00:00:01", eni: i.NetworkInterfaces[0].NetworkInterfaceId } }));
      const imds = spawn("python3", [join(__dirname, "fakes", "aws", "imds.py"), "127.0.0.1", String(imdsPort), identities], { stdio: "ignore" });
      try {
        await waitFor("the metadata stand-in", () => spawnSync("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${imdsPort}/`]).status === 0, 10_000, 100);
        const etc = join(lab.root, "node-etc");
        spawnSync("mkdir", ["-p", etc]);
        writeFileSync(join(etc, "cluster.env"), `CLUSTER_NAME='x'\nNODE_NAME='${i.InstanceId}'\nAWS_REGION='${lab.region}'\nCLOUD_PROVIDER='aws'\nIMDS_ENDPOINT='http://127.0.0.1:${imdsPort}'\n`);
        const call = spawnSync("bash", ["-c", `. "${USERDATA_DIR}/common.sh"; cloud_set_status running:kubeadm-join && cloud_set_status ready`], {
          encoding: "utf8",
          env: {
            PATH: process.env.PATH,
            HOME: lab.root,
            KHA_ETC: etc,
            KHA_STATE: join(lab.root, "node-state"),
            KHA_LOG: join(lab.root, "node-log"),
            KHA_RUN: join(lab.root, "node-run"),
            AWS_ENDPOINT_URL: lab.endpoint,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_EC2_METADATA_DISABLED: "true",
          },
        });
        expect(call.stderr).not.toMatch(/not published/);
      } finally {
        imds.kill("SIGKILL");
        await new Promise((r) => imds.once("exit", r));
      }
    }
    const tagged = lab.aws(["ec2", "describe-tags", "--filters", "Name=key,Values=kubeadm-ha:bootstrap"]).Tags;
    expect(tagged.map((t: any) => t.Value)).toEqual(instances.map(() => "ready"));

    const plan = lab.terraform(dir, ["plan", "-input=false", "-out=second.tfplan"]);
    times.plan = plan.seconds;
    expect(plan.status).toBe(0);
    const drift = planDrift(JSON.parse(lab.terraform(dir, ["show", "-json", "second.tfplan"]).output));
    quirks = drift.quirks;
    expect(drift.changes).toEqual([]);
  }, 300_000);

  test("terraform destroy removes everything", () => {
    const destroy = lab.terraform(dir, ["destroy", "-auto-approve", "-input=false", "-parallelism=20"]);
    times.destroy = destroy.seconds;
    expect({ status: destroy.status, tail: destroy.status === 0 ? "" : destroy.output.slice(-3000) }).toEqual({ status: 0, tail: "" });
    expect(destroy.output).toMatch(new RegExp(`Destroy complete! Resources: ${resourceCount} destroyed`));
  }, 600_000);
});
