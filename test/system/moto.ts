/** The AWS CLI against moto: dummy credentials, never the instance metadata (used by every system test that calls AWS). */
import { spawnSync, SpawnSyncReturns } from "child_process";

export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_EC2_METADATA_DISABLED: "true",
} as const;

/** Runs `aws ARGS` against moto at `endpoint`; `prefix` runs it through another command (e.g. `ip netns exec NS`). */
export function motoAws(
  endpoint: string,
  region: string,
  args: string[],
  prefix: string[] = [],
): SpawnSyncReturns<string> {
  const command = [...prefix, "aws", "--endpoint-url", endpoint, "--region", region, "--output", "json", ...args];
  return spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...MOTO_CREDENTIALS },
  });
}

/** The same, its JSON answer parsed; a failed call throws with its stderr. */
export function motoAwsJson(endpoint: string, region: string, args: string[], prefix: string[] = []): any {
  const run = motoAws(endpoint, region, args, prefix);
  if (run.status !== 0) throw new Error(`aws ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout || "{}");
}
