/** The AWS CLI against moto: dummy credentials, never the instance metadata (used by every system test that calls AWS). */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import { once } from "events";
import { createInterface } from "readline";

export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_EC2_METADATA_DISABLED: "true",
} as const;

/** What one AWS CLI call gave. */
export type AwsCall = Pick<SpawnSyncReturns<string>, "status" | "stdout" | "stderr">;

const cliArgs = (endpoint: string, region: string, args: string[]) => [
  "--endpoint-url",
  endpoint,
  "--region",
  region,
  "--output",
  "json",
  ...args,
];

/** A call's JSON answer parsed; a failed call throws with its stderr. */
function answer(run: AwsCall, args: string[]): any {
  if (run.status !== 0) throw new Error(`aws ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout || "{}");
}

/** Runs `aws ARGS` against moto at `endpoint`; `prefix` runs it through another command (e.g. `ip netns exec NS`). */
export function motoAws(
  endpoint: string,
  region: string,
  args: string[],
  prefix: string[] = [],
): SpawnSyncReturns<string> {
  const command = [...prefix, "aws", ...cliArgs(endpoint, region, args)];
  return spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...MOTO_CREDENTIALS },
  });
}

/** The same, its JSON answer parsed; a failed call throws with its stderr. */
export function motoAwsJson(endpoint: string, region: string, args: string[], prefix: string[] = []): any {
  return answer(motoAws(endpoint, region, args, prefix), args);
}

/**
 * The AWS CLI's own driver (awscli.clidriver, what `aws` runs), one process answering call after call on
 * a loopback port: the same arguments, output and exit status as `aws`, without a new interpreter and a
 * new load of the service models for each call (about a second each, most of a read-back test's time).
 * main() writes to sys.stdout and sys.stderr, captured per call; argparse's usage errors exit.
 */
const CLI_SERVER = `
import contextlib, io, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from awscli.clidriver import create_clidriver

sys.argv = ["aws"]  # argparse names the program in its usage errors
driver = create_clidriver()

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        args = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = driver.main(args)
            except SystemExit as e:
                status = e.code if isinstance(e.code, int) else 255
        body = json.dumps({"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

/**
 * The tests' own reads and writes against moto through the AWS CLI's driver kept running (CLI_SERVER).
 * The nodes' calls (node-calls.ts) still run the `aws` command, as a node does.
 */
export class MotoCli {
  private server?: ChildProcess;
  private url = "";

  async start() {
    const server = spawn("python3", ["-c", CLI_SERVER], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...MOTO_CREDENTIALS },
    });
    this.server = server;
    let stderr = "";
    server.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const port = await Promise.race([
      once(createInterface({ input: server.stdout }), "line").then(([line]) => String(line)),
      once(server, "exit").then(() => undefined),
    ]);
    if (!port) throw new Error(`the AWS CLI driver exited: ${stderr}`);
    this.url = `http://127.0.0.1:${port}/`;
  }

  /** As motoAws (no prefix). */
  run(endpoint: string, region: string, args: string[]): AwsCall {
    const call = spawnSync("curl", ["-sS", "--data-binary", "@-", this.url], {
      input: JSON.stringify(cliArgs(endpoint, region, args)),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (call.status !== 0) throw new Error(`the AWS CLI driver, for aws ${args.join(" ")}: ${call.stderr}`);
    return JSON.parse(call.stdout);
  }

  /** As motoAwsJson (no prefix). */
  json(endpoint: string, region: string, args: string[]): any {
    return answer(this.run(endpoint, region, args), args);
  }

  stop() {
    this.server?.kill("SIGKILL");
  }
}
