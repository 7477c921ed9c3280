/**
 * A booted node's own AWS calls, run on this machine against moto: the node's node-settings.env (from its
 * user data, with the metadata stand-in's address in it), the metadata stand-in serving the instance's
 * identity and region, then a script with common.sh sourced, as the node's scripts run, through the
 * real AWS CLI. Used by the Terraform and the CloudFormation oracles on what each deploy made.
 */
import { spawn, spawnSync, SpawnSyncReturns } from "child_process";
import { mkdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { USERDATA_DIR } from "../helpers";
import { MOTO_CREDENTIALS } from "./moto";
import { waitFor } from "./netns";
import { freePort } from "./terraform-lab";

export interface NodeCall {
  /** A scratch directory of the test's own. */
  readonly root: string;
  /** moto's address. */
  readonly endpoint: string;
  /** The instance as `aws ec2 describe-instances` gives it. */
  readonly instance: any;
  /** The node's /etc/kubeadm-ha/node-settings.env, from its user data. */
  readonly nodeSettings: string;
  /** Bash run after `. common.sh`. */
  readonly script: string;
}

/** The script's exit status and output. Nodes' calls may run at once: each node has its own directories. */
export async function runAsNode(
  call: NodeCall,
): Promise<Pick<SpawnSyncReturns<string>, "status" | "stdout" | "stderr">> {
  const { root, instance } = call;
  const node = join(root, instance.InstanceId);
  const port = await freePort();
  const identities = join(root, `identity-${instance.InstanceId}.json`);
  writeFileSync(
    identities,
    JSON.stringify({
      "127.0.0.1": {
        instanceId: instance.InstanceId,
        zone: instance.Placement.AvailabilityZone,
        mac: "02:00:00:00:00:01",
        eni: instance.NetworkInterfaces[0].NetworkInterfaceId,
      },
    }),
  );
  const imds = spawn("python3", [join(__dirname, "fakes", "aws", "imds.py"), "127.0.0.1", String(port), identities], {
    stdio: "ignore",
  });
  try {
    await waitFor(
      "the metadata stand-in",
      () => spawnSync("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${port}/`]).status === 0,
      10_000,
      100,
    );
    const etc = join(node, "etc");
    mkdirSync(etc, { recursive: true });
    writeFileSync(
      join(etc, "node-settings.env"),
      call.nodeSettings.replace(/^IMDS_ENDPOINT=.*$/m, `IMDS_ENDPOINT='http://127.0.0.1:${port}'`),
    );
    rmSync(join(etc, "deploy-settings.env"), { force: true });
    const script = spawn("bash", ["-c", `. "${USERDATA_DIR}/common.sh"; ${call.script}`], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: root,
        KHA_ETC: etc,
        KHA_STATE: join(node, "state"),
        KHA_LOG: join(node, "log"),
        KHA_RUN: join(node, "run"),
        AWS_ENDPOINT_URL: call.endpoint,
        ...MOTO_CREDENTIALS,
      },
    });
    let stdout = "";
    let stderr = "";
    script.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    script.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve) => {
      script.once("error", () => resolve(null));
      script.once("close", (code) => resolve(code));
    });
    return { status, stdout, stderr };
  } finally {
    if (imds.exitCode === null && imds.signalCode === null) {
      const exited = new Promise((r) => imds.once("exit", r));
      imds.kill("SIGKILL");
      await exited;
    }
  }
}
