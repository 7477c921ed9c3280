import { execFileSync, spawnSync } from "child_process";
import { join } from "path";
import { sleep, waitFor } from "./netns";
import { VipLab } from "./vip-lab";

test("checks", async () => {
  const lab = new VipLab("khdbg");
  try {
    lab.build();
    for (let i = 0; i < 3; i++) for (const d of ["api", "haproxy", "keepalived"] as const) lab.start(i, d);
    await waitFor("node 0 to hold the VIP", () => lab.holdsVip(0), 20000, 100);
    await sleep(3000);
    for (let k = 0; k < 3; k++) for (let i = 0; i < 3; i++) {
      const env = { KHA_ETC: join(lab.nodeDir(i), "etc") };
      const r = spawnSync("ip", ["netns", "exec", lab.ns(i), "bash", join(lab.nodeDir(i), "scripts", "check-apiserver.sh")], { env: { ...process.env, ...env }, encoding: "utf8" });
      const c = spawnSync("ip", ["netns", "exec", lab.ns(i), "curl", "-s", "-v", "http://127.0.0.1:8404/healthz"], { encoding: "utf8" });
      console.log(`node ${i}: check exit ${r.status} ${r.stderr.slice(0, 200)} | curl: ${c.stdout.slice(0, 100)} ${c.stderr.split("\n").filter((l) => l.startsWith("<")).join(" ")}`);
    }
    console.log(execFileSync("grep", ["-h", "HAPROXY", join(lab.nodeDir(1), "etc", "cluster.env")]).toString());
    console.log(lab.haproxyLog.slice(0, 30).map((l) => `${l.node}: ${l.line}`).join("\n"));
  } finally {
    lab.destroy();
  }
}, 600000);
