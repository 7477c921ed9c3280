/**
 * The nodes' units under real systemd (systemd-host.ts), where the other system tests use a
 * systemctl stand-in: a three-member external etcd cluster whose bootstrap-etcd.sh runs as on an
 * instance, its own `systemctl daemon-reload / enable / restart` going to each node's systemd, which
 * starts the rendered etcd.service (Type=notify, User=etcd, the full sandbox) with Debian's etcd.
 * Needs root, util-linux (unshare, nsenter), systemd, iproute2, etcd-server, etcd-client, openssl.
 */
import { spawnSync } from "child_process";
import { ETCD_PATHS } from "../../lib/render/internal";
import { EtcdLab } from "./etcd-lab";
import { requireRootAndTools, waitFor } from "./netns";

requireRootAndTools("systemd", {
  unshare: "util-linux",
  nsenter: "util-linux",
  "/lib/systemd/systemd": "systemd",
  etcd: "etcd-server",
  etcdctl: "etcd-client",
  openssl: "openssl",
  ip: "iproute2",
});

const UNIT = "etcd.service";

describe("external etcd under real systemd: the script's own systemctl calls start the rendered unit, sandboxed", () => {
  const lab = new EtcdLab("khsd", { systemd: true });
  beforeAll(() => lab.build(), 120000);
  afterAll(() => lab.destroy());
  /** Runs `cause` and waits until systemd has restarted etcd on member i (its NRestarts went up). */
  async function restartedAfter(i: number, what: string, cause: () => void) {
    const restarts = Number(lab.hosts[i].show(UNIT, "NRestarts"));
    cause();
    await waitFor(what, () => Number(lab.hosts[i].show(UNIT, "NRestarts")) > restarts, 30000, 200);
  }
  const journal = (i: number, lines = 60) =>
    lab.hosts[i].exec(["journalctl", "-u", UNIT, "--no-pager", "-o", "cat", "-n", String(lines)]).stdout;

  test("three members bootstrap; systemd reports etcd enabled and active (Type=notify: ready with a majority), and the cluster serves", async () => {
    const runs = await Promise.all(lab.etcd.members.map((_, i) => lab.bootstrap(i)));
    runs.forEach((run, i) =>
      expect({ member: i, code: run.code, output: run.code ? run.output : "" }).toEqual({
        member: i,
        code: 0,
        output: "",
      }),
    );
    lab.hosts.forEach((host, i) => {
      const unit = ["FragmentPath", "UnitFileState", "ActiveState", "NRestarts"].map((p) => host.show(UNIT, p));
      expect({ member: i, unit, journal: unit[3] === "0" ? "" : journal(i) }).toEqual({
        member: i,
        unit: [ETCD_PATHS.unit, "enabled", "active", "0"],
        journal: "",
      });
    });
    lab.unpackClientSecret();
    expect(
      lab
        .memberList()
        .map(([, status, name]) => `${name} ${status}`)
        .sort(),
    ).toEqual(lab.etcd.members.map((m) => `${m.name} started`));
    lab.etcd.members.forEach((_, i) =>
      expect({ member: i, healthy: lab.healthy(i) }).toEqual({ member: i, healthy: true }),
    );
  }, 180000);

  test("etcd runs as the etcd user, without capabilities or new privileges, under a syscall filter, on a read-only system where only its data folder is writable", () => {
    const uid = spawnSync("id", ["-u", "etcd"], { encoding: "utf8" }).stdout.trim();
    lab.hosts.forEach((host, i) => {
      const pid = host.show(UNIT, "MainPID");
      const status = Object.fromEntries(
        host
          .exec(["cat", `/proc/${pid}/status`])
          .stdout.split("\n")
          .map((l) => l.split(":\t").map((v) => v.trim())),
      );
      const fields = ["Uid", "NoNewPrivs", "CapEff", "CapBnd", "Seccomp"];
      expect({ member: i, ...Object.fromEntries(fields.map((f) => [f, status[f]])) }).toEqual({
        member: i,
        Uid: [uid, uid, uid, uid].join("\t"),
        NoNewPrivs: "1",
        CapEff: "0000000000000000",
        CapBnd: "0000000000000000",
        Seccomp: "2",
      });
      // In etcd's own mount namespace, even root cannot write outside the data folder.
      const inEtcd = (...cmd: string[]) => host.exec(["nsenter", "-t", pid, "-m", "-r", "-w", "--", ...cmd]);
      for (const path of [`${ETCD_PATHS.pki}/probe`, "/usr/local/bin/probe", "/var/lib/probe"])
        expect({ path, error: inEtcd("touch", path).stderr }).toEqual({
          path,
          error: expect.stringMatching(/Read-only file system/),
        });
      expect(inEtcd("touch", `${ETCD_PATHS.data}/probe`).status).toBe(0);
      inEtcd("rm", `${ETCD_PATHS.data}/probe`);
      // PrivateTmp: the node's /tmp is not etcd's.
      host.exec(["touch", "/tmp/node-only"]);
      expect(host.exec(["test", "-e", "/tmp/node-only"]).status).toBe(0);
      expect(inEtcd("test", "-e", "/tmp/node-only").status).not.toBe(0);
    });
  });

  test("systemd restarts a killed etcd (Restart=always), and a node powered off starts its enabled etcd at boot, with its data, and serves", async () => {
    const host = lab.hosts[1];
    await restartedAfter(1, "systemd to restart etcd on member 1", () =>
      host.exec(["systemctl", "kill", "--signal=SIGKILL", UNIT]),
    );
    await waitFor("member 1 to serve again", () => lab.healthy(1), 30000, 200);
    host.powerOff();
    expect(lab.healthy(1)).toBe(false);
    host.boot();
    await waitFor("member 1 to serve after its reboot", () => lab.healthy(1), 30000, 200);
    expect(host.show(UNIT, "NRestarts")).toBe("0");
    expect(lab.memberList().length).toBe(3); // the same member, not a new one
  }, 120000);

  test("the sandbox can fail a unit: with ReadWritePaths= reset by a drop-in, etcd cannot open its data and systemd restarts it; removed, the member serves again", async () => {
    const host = lab.hosts[2];
    const dropIn = `${ETCD_PATHS.unit}.d/no-data.conf`;
    host.exec(["mkdir", "-p", `${ETCD_PATHS.unit}.d`]);
    host.exec(["tee", dropIn], {}, "[Service]\nReadWritePaths=\n");
    host.exec(["systemctl", "daemon-reload"]);
    await restartedAfter(2, "etcd on member 2 to fail and be restarted", () =>
      host.exec(["systemctl", "restart", "--no-block", UNIT]),
    );
    expect(journal(2)).toMatch(/read-only file system/);
    expect(lab.healthy(2)).toBe(false);
    host.exec(["rm", dropIn]);
    host.exec(["systemctl", "daemon-reload"]);
    host.exec(["systemctl", "restart", "--no-block", UNIT]);
    await waitFor("member 2 to serve again", () => lab.healthy(2), 30000, 200);
    expect(host.show(UNIT, "ActiveState")).toBe("active");
  }, 90000);
});
