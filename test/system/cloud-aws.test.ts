/**
 * userdata/cloud-aws.sh, the nodes' only way to AWS, run for real: bash sources it as common.sh does
 * and its functions call the real AWS CLI against moto on loopback, with instance metadata from the
 * IMDSv2 stand-in on loopback (IMDS_ENDPOINT). Nothing reaches a real address: static test
 * credentials, AWS_EC2_METADATA_DISABLED, every endpoint on 127.0.0.1.
 * Needs python3 with moto and boto3, and the AWS CLI.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { USERDATA_DIR } from "../helpers";
import { MOTO_CREDENTIALS, motoAwsJson } from "./moto";
import { sleep, waitFor } from "./netns";

const missing = ["aws", "curl"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
if (spawnSync("python3", ["-c", "import moto, boto3"]).status !== 0) missing.push("python3 moto and boto3");
if (missing.length) throw new Error(`the cloud interface test needs: ${missing.join(", ")}`);

const MOTO_PORT = 5123;
const IMDS_PORT = 8123;
const ENDPOINT = `http://127.0.0.1:${MOTO_PORT}`;
const FAKES = join(__dirname, "fakes");
const work = mkdtempSync(join(tmpdir(), "kubeadm-ha-cloud-aws-"));
const daemons: ChildProcess[] = [];
const awsEnv = { ...MOTO_CREDENTIALS, AWS_ENDPOINT_URL: ENDPOINT };
let cloud: {
  secrets: Record<string, string>;
  instances: Record<string, { instanceId: string; zone: string; eni: string; mac: string }>;
  routeTables: string[];
};

const aws = (args: string[]) => motoAwsJson(ENDPOINT, "us-east-1", args);

/** A folder whose `aws` runs the shell line `before`, then the real AWS CLI (put it first on PATH). */
function wrappedAws(name: string, before: string): string {
  const bin = join(work, name);
  mkdirSync(bin, { recursive: true });
  const realAws = spawnSync("sh", ["-c", "command -v aws"], { encoding: "utf8" }).stdout.trim();
  writeFileSync(join(bin, "aws"), `#!/bin/sh\n${before}\nexec "${realAws}" "$@"\n`);
  chmodSync(join(bin, "aws"), 0o755);
  return bin;
}

/** Runs bash with common.sh (and so cloud-aws.sh) sourced, as node 198.18.0.10 of the seeded cloud. */
function cloudShell(script: string, settings: Record<string, string> = {}, path = process.env.PATH!) {
  const etc = join(work, "etc");
  mkdirSync(etc, { recursive: true });
  const env = {
    CLUSTER_NAME: "kubeadm-ha",
    NODE_NAME: "kubeadm-ha-cp-0",
    CLOUD_PROVIDER: "aws",
    DEPLOY_SETTINGS_PARAMETER: "/kubeadm-ha/kubeadm-ha/deploy-settings",
    IMDS_ENDPOINT: `http://127.0.0.1:${IMDS_PORT}`,
    STATUS_TAG_KEY: "kubeadm-ha:bootstrap",
    ...settings,
  };
  writeFileSync(
    join(etc, "node-settings.env"),
    Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join("\n") + "\n",
  );
  return spawnSync("bash", ["-c", `set -euo pipefail; . "${USERDATA_DIR}/common.sh"; ${script}`], {
    encoding: "utf8",
    env: {
      PATH: path,
      HOME: work,
      KHA_ETC: etc,
      KHA_STATE: join(work, "state"),
      KHA_LOG: join(work, "log"),
      KHA_RUN: join(work, "run"),
      KHA_BACKOFF_FIRST: "1",
      KHA_BACKOFF_MAX: "1",
      ...awsEnv,
    },
  });
}

beforeAll(async () => {
  daemons.push(
    spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(MOTO_PORT)], { stdio: "ignore" }),
  );
  await waitFor("moto", () => spawnSync("curl", ["-sf", "-o", "/dev/null", `${ENDPOINT}/`]).status === 0, 30_000, 200);
  const plan = {
    endpoint: ENDPOINT,
    region: "us-east-1",
    vpcCidr: "198.18.0.0/16",
    subnets: [{ cidr: "198.18.0.0/24", zone: "us-east-1a" }],
    instances: [
      { name: "kubeadm-ha-cp-0", ip: "198.18.0.10", subnet: 0 },
      { name: "kubeadm-ha-cp-1", ip: "198.18.0.11", subnet: 0 },
    ],
    secrets: ["empty", "filled"],
    routeTables: 3,
  };
  const seeded = spawnSync("python3", [join(FAKES, "aws", "seed-moto.py")], {
    input: JSON.stringify(plan),
    encoding: "utf8",
  });
  if (seeded.status !== 0) throw new Error(seeded.stderr);
  cloud = JSON.parse(seeded.stdout);
  // The metadata stand-in answers loopback callers as node 0.
  writeFileSync(
    join(work, "identities.json"),
    JSON.stringify({ "127.0.0.1": { ...cloud.instances["198.18.0.10"], ip: "198.18.0.10" } }),
  );
  daemons.push(
    spawn("python3", [join(FAKES, "aws", "imds.py"), "127.0.0.1", String(IMDS_PORT), join(work, "identities.json")], {
      stdio: "ignore",
    }),
  );
  await waitFor(
    "the metadata stand-in",
    () => spawnSync("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${IMDS_PORT}/`]).status === 0,
    10_000,
    100,
  );
}, 60_000);
afterAll(() => {
  for (const d of daemons) d.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

describe("secrets", () => {
  test("a secret with no value yet is status 3; one that does not exist is status 4 (both are ResourceNotFoundException in AWS)", () => {
    const empty = cloudShell(`cloud_secret_get '${cloud.secrets.empty}' "$KHA_RUN/out" || echo "status $?"`);
    expect(empty.stdout.trim()).toBe("status 3");
    const missingSecret = cloudShell(
      `cloud_secret_get 'arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-AbCdEf' "$KHA_RUN/out" || echo "status $?"`,
    );
    expect(missingSecret.stdout.trim()).toBe("status 4");
    expect(missingSecret.stderr).toMatch(/does not exist or is deleted/);
  });

  test("secret_fetch stops at once on a missing secret, naming it, and gives an empty value for one with none yet", () => {
    const missingSecret = cloudShell(
      `secret_fetch 'arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-AbCdEf' "$KHA_RUN/out"`,
    );
    expect(missingSecret.status).not.toBe(0);
    expect(missingSecret.stderr).toMatch(/secret arn:.*no-such-AbCdEf does not exist \(wrong id, or deleted\)/);
    expect(missingSecret.stderr).not.toMatch(/attempt \d of \d failed/);
    const empty = cloudShell(`secret_fetch '${cloud.secrets.empty}' "$KHA_RUN/out" && wc -c <"$KHA_RUN/out"`);
    expect(empty.stdout.trim()).toBe("0");
  });

  test("what is put is read back byte for byte (a trailing newline included), and the value never reaches the command line", () => {
    const value = "H4sIAAAAAAAAA+3OMQ6CQBCF4a09xR7BAw==\n";
    writeFileSync(join(work, "value"), value);
    // The real AWS CLI behind a wrapper that records every command line it is given.
    const bin = wrappedAws("argv-bin", `echo "$*" >>"${work}/argv.log"`);
    const put = cloudShell(
      `cloud_secret_put '${cloud.secrets.filled}' "${join(work, "value")}" && cloud_secret_get '${cloud.secrets.filled}' "$KHA_RUN/back" && cat "$KHA_RUN/back"`,
      {},
      `${bin}:${process.env.PATH}`,
    );
    expect({ status: put.status, stderr: put.stderr }).toEqual({ status: 0, stderr: "" });
    expect(put.stdout).toBe(value);
    expect(readFileSync(join(work, "argv.log"), "utf8")).not.toContain(value.trim().slice(0, 12));
    expect(aws(["secretsmanager", "get-secret-value", "--secret-id", cloud.secrets.filled]).SecretString).toBe(value);
  });
});

describe("the deploy settings", () => {
  const name = "/kubeadm-ha/kubeadm-ha/deploy-settings";
  const value =
    "ENDPOINT_HOST='api.kubeadm-ha.internal'\nJOIN_SECRET_ID='arn:aws:secretsmanager:us-east-1:1:secret:j'\n";

  test("are fetched once from their parameter into deploy-settings.env (0644), then sourced; a later change is not taken", () => {
    aws(["ssm", "put-parameter", "--name", name, "--type", "String", "--value", value]);
    rmSync(join(work, "etc", "deploy-settings.env"), { force: true });
    const first = cloudShell('load_deploy_settings && echo "$ENDPOINT_HOST $AWS_REGION"');
    expect({ status: first.status, stdout: first.stdout.trim() }).toEqual({
      status: 0,
      stdout: "api.kubeadm-ha.internal us-east-1", // the region from the instance metadata
    });
    expect(readFileSync(join(work, "etc", "deploy-settings.env"), "utf8")).toBe(value);
    expect((statSync(join(work, "etc", "deploy-settings.env")).mode & 0o777).toString(8)).toBe("644");
    aws([
      "ssm",
      "put-parameter",
      "--name",
      name,
      "--overwrite",
      "--type",
      "String",
      "--value",
      "ENDPOINT_HOST='changed'\n",
    ]);
    const again = cloudShell('load_deploy_settings && echo "$ENDPOINT_HOST"');
    expect(again.stdout.trim()).toBe("api.kubeadm-ha.internal");
    // Every later script sources them with the settings (common.sh), without fetching.
    expect(cloudShell('echo "$JOIN_SECRET_ID"').stdout.trim()).toBe("arn:aws:secretsmanager:us-east-1:1:secret:j");
  });

  test("a parameter that does not exist stops the step after bounded retries, naming it", () => {
    rmSync(join(work, "etc", "deploy-settings.env"), { force: true });
    const missingParameter = cloudShell("load_deploy_settings", {
      DEPLOY_SETTINGS_PARAMETER: "/kubeadm-ha/none/deploy-settings",
    });
    expect(missingParameter.status).not.toBe(0);
    expect(missingParameter.stderr).toMatch(/giving up after 6 attempts/);
    expect(missingParameter.stderr).toMatch(/cannot read the deploy settings \/kubeadm-ha\/none\/deploy-settings/);
    expect(readdirSync(join(work, "etc"))).not.toContain("deploy-settings.env");
  });
});

describe("instance identity and status", () => {
  test("the provider ID comes from the instance metadata (IMDSv2): aws:///ZONE/INSTANCE-ID", () => {
    const i = cloud.instances["198.18.0.10"];
    expect(cloudShell("cloud_provider_id").stdout.trim()).toBe(`aws:///${i.zone}/${i.instanceId}`);
  });

  test("a node without a fixed name (a worker) is its instance's private DNS name and address, from the metadata", () => {
    const i = cloud.instances["198.18.0.10"];
    const identity = `ip-198-18-0-10.${i.zone.slice(0, -1)}.compute.internal 198.18.0.10`;
    expect(cloudShell("cloud_node_identity").stdout.trim()).toBe(identity);
    // common.sh asks once for a node whose settings name none, and every script then has both.
    expect(cloudShell('echo "$NODE_NAME $NODE_IP"', { NODE_NAME: "" }).stdout.trim()).toBe(identity);
  });

  test("the status tag lands on this instance only, and a failure to publish never fails the caller", () => {
    expect(cloudShell("cloud_set_status running:kubeadm-init && cloud_set_status ready").status).toBe(0);
    const tags = aws(["ec2", "describe-tags", "--filters", "Name=key,Values=kubeadm-ha:bootstrap"]).Tags;
    expect(tags.map((t: any) => [t.ResourceId, t.Value])).toEqual([
      [cloud.instances["198.18.0.10"].instanceId, "ready"],
    ]);
    const noMetadata = cloudShell("cloud_set_status ready && echo still-ok", { IMDS_ENDPOINT: "http://127.0.0.1:9" });
    expect(noMetadata.stdout.trim()).toBe("still-ok");
    expect(noMetadata.stderr).toMatch(/not published: no instance metadata/);
  });
});

describe("moving the VIP", () => {
  const vip = "198.19.255.10";
  const node = () => cloud.instances["198.18.0.10"];
  const routeTargets = () =>
    cloud.routeTables.map(
      (t) =>
        aws(["ec2", "describe-route-tables", "--route-table-ids", t]).RouteTables[0].Routes.find(
          (r: any) => r.DestinationCidrBlock === `${vip}/32`,
        )?.NetworkInterfaceId,
    );

  beforeAll(() => {
    // Terraform creates the /32 route in each table, pointing at node 1 first.
    for (const t of cloud.routeTables)
      aws([
        "ec2",
        "create-route",
        "--route-table-id",
        t,
        "--destination-cidr-block",
        `${vip}/32`,
        "--network-interface-id",
        cloud.instances["198.18.0.11"].eni,
      ]);
  });

  test("route mode: every route table's /32 route points at this instance's interface", () => {
    const moved = cloudShell("cloud_vip_move", {
      VIP: vip,
      VIP_MODE: "route",
      ROUTE_TABLE_IDS: cloud.routeTables.join(" "),
    });
    expect({ status: moved.status, stderr: moved.stderr }).toEqual({ status: 0, stderr: "" });
    expect(routeTargets()).toEqual(cloud.routeTables.map(() => node().eni));
  });

  test("a call that fails in the middle of the tables is retried at once within the same move: when it returns, every table agrees", async () => {
    for (const t of cloud.routeTables)
      aws([
        "ec2",
        "replace-route",
        "--route-table-id",
        t,
        "--destination-cidr-block",
        `${vip}/32`,
        "--network-interface-id",
        cloud.instances["198.18.0.11"].eni,
      ]);
    // The real AWS CLI behind a stand-in that fails the first replace-route on the second table, as a throttled call would.
    const bin = wrappedAws(
      "flaky-bin",
      `case "$*" in *"replace-route --route-table-id ${cloud.routeTables[1]} "*) [ -e "${work}/failed-once" ] || { touch "${work}/failed-once"; echo "An error occurred (RequestLimitExceeded)" >&2; exit 255; } ;; esac`,
    );
    // One move, as the guard makes once per tick: a mix would stay until its next tick (15 s).
    const moved = cloudShell(
      "cloud_vip_move",
      { VIP: vip, VIP_MODE: "route", ROUTE_TABLE_IDS: cloud.routeTables.join(" ") },
      `${bin}:${process.env.PATH}`,
    );
    expect(moved.stderr).toMatch(/RequestLimitExceeded/);
    expect(moved.status).toBe(0);
    expect(routeTargets()).toEqual(cloud.routeTables.map(() => node().eni));
  });

  test("secondary-ip mode: the VIP becomes a secondary address of this instance's interface, taken from the other", async () => {
    aws([
      "ec2",
      "assign-private-ip-addresses",
      "--network-interface-id",
      cloud.instances["198.18.0.11"].eni,
      "--private-ip-addresses",
      "198.18.0.9",
    ]);
    const moved = cloudShell("cloud_vip_move", { VIP: "198.18.0.9", VIP_MODE: "secondary-ip" });
    expect({ status: moved.status, stderr: moved.stderr }).toEqual({ status: 0, stderr: "" });
    await sleep(100);
    const addresses = (eni: string) =>
      aws([
        "ec2",
        "describe-network-interfaces",
        "--network-interface-ids",
        eni,
      ]).NetworkInterfaces[0].PrivateIpAddresses.map((a: any) => a.PrivateIpAddress);
    expect(addresses(node().eni)).toContain("198.18.0.9");
  });

  test.each([
    ["route", { VIP: vip, VIP_MODE: "route" }],
    ["secondary-ip", { VIP: "198.18.0.9", VIP_MODE: "secondary-ip" }],
  ])("%s mode: re-asserting a VIP already delivered here reads first and makes no mutating call", (mode, settings) => {
    const log = join(work, `calls-${mode}.log`);
    const bin = wrappedAws(`count-${mode}`, `echo "$*" >>"${log}"`);
    const env = { ...settings, ROUTE_TABLE_IDS: cloud.routeTables.join(" ") };
    // The guard's ticks of one minute (15 s apart), the VIP already here from the tests above.
    const ticks = 4;
    const run = cloudShell(`for _ in $(seq ${ticks}); do cloud_vip_move; done`, env, `${bin}:${process.env.PATH}`);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const calls = readFileSync(log, "utf8").split("\n").filter(Boolean);
    const mutating = calls.filter((c) =>
      /^ec2 (replace-route|assign-private-ip-addresses)/.test(c.replace(/^--region \S+ /, "")),
    );
    console.log(
      `${mode}: ${calls.length} calls, ${mutating.length} mutating in ${ticks} guard ticks = ${(mutating.length / ticks) * 240} mutating calls per hour`,
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(mutating).toEqual([]);
  });
});
