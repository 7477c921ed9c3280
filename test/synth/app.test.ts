import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { buildApp, readSettings } from "../../bin/app";
import { ClusterSpecError } from "../../lib/cluster-spec";

const noContext = () => undefined;

describe("the default app's settings", () => {
  test("environment variables win over context, and the defaults are documented ones", () => {
    const settings = readSettings(
      { KUBEADM_HA_CLUSTER_NAME: "from-env", KUBEADM_HA_ALLOWED_CIDRS: "10.0.0.0/16, 192.0.2.0/24" },
      (key) => ({ clusterName: "from-context", controlPlaneCount: 5 })[key],
    );
    expect(settings.cluster.clusterName).toBe("from-env");
    expect(settings.cluster.controlPlaneCount).toBe(5);
    expect(settings.cluster.endpoint).toEqual({ type: "nlb", allowedCidrs: ["10.0.0.0/16", "192.0.2.0/24"] });
    expect(readSettings({}, noContext).region).toBe("us-east-1");
    expect(readSettings({ AWS_REGION: "eu-west-1" }, noContext).region).toBe("eu-west-1");
    // The environment wins over context for the region too, AWS_REGION included.
    const regionContext = (key: string) => ({ region: "ap-south-1" })[key];
    expect(readSettings({ AWS_REGION: "eu-west-1" }, regionContext).region).toBe("eu-west-1");
    expect(readSettings({ KUBEADM_HA_REGION: "eu-north-1", AWS_REGION: "eu-west-1" }, regionContext).region).toBe(
      "eu-north-1",
    );
    expect(readSettings({}, regionContext).region).toBe("ap-south-1");
  });

  test("an unsupported endpoint is refused with the variable's name", () => {
    expect(() => readSettings({ KUBEADM_HA_ENDPOINT: "haproxy" }, noContext)).toThrow(/KUBEADM_HA_ENDPOINT/);
  });

  test("a keepalived endpoint is configured from its own variables", () => {
    const settings = readSettings(
      {
        KUBEADM_HA_ENDPOINT: "keepalived",
        KUBEADM_HA_VIRTUAL_IP: "192.168.255.10",
        KUBEADM_HA_ENDPOINT_PLACEMENT: "dedicated",
      },
      noContext,
    );
    expect(settings.cluster.endpoint).toEqual({
      type: "keepalived",
      virtualIp: "192.168.255.10",
      vipMode: undefined,
      placement: "dedicated",
      allowedCidrs: undefined,
    });
  });
});

describe("settings a person gets wrong", () => {
  const problemsOf = (env: NodeJS.ProcessEnv, context: Record<string, unknown> = {}) => {
    try {
      readSettings(env, (key) => context[key], Object.keys(context));
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };

  test.each([["EU-WEST-1"], ["eu-west-1a"], ["eu-west-1 "]])(
    "the region %j is refused naming its variable",
    (region) => {
      expect(problemsOf({ KUBEADM_HA_REGION: region })).toContain(
        `KUBEADM_HA_REGION=${JSON.stringify(region)} is not an AWS region such as "eu-west-1"`,
      );
      expect(problemsOf({ AWS_REGION: region })).toContain(`AWS_REGION=${JSON.stringify(region)} is not an AWS region`);
      expect(problemsOf({}, { region })).toContain(`context "region": ${JSON.stringify(region)} is not an AWS region`);
    },
  );

  test("a misspelt variable or context key is refused with the setting it resembles, not ignored", () => {
    expect(problemsOf({ KUBEADM_HA_ENDPIONT: "keepalived" })).toContain(
      "KUBEADM_HA_ENDPIONT is not a setting of this app: did you mean KUBEADM_HA_ENDPOINT?",
    );
    expect(problemsOf({}, { etcdMember: 5 })).toContain(
      'context "etcdMember" is not a setting of this app: did you mean "etcdMembers"?',
    );
    // The frameworks' own context keys are theirs.
    expect(problemsOf({}, { "@aws-cdk/core:newStyleStackSynthesis": true, "aws:cdk:version-reporting": false })).toBe(
      "",
    );
  });

  test("a prop's problem names the variable the user set, not only the prop", () => {
    expect(problemsOf({ KUBEADM_HA_ENDPOINT: "keepalived", KUBEADM_HA_VIRTUAL_IP: "10.0.0.300" })).toMatch(
      /- endpoint\.virtualIp \(KUBEADM_HA_VIRTUAL_IP="10\.0\.0\.300"\): /,
    );
  });

  test("a settings mistake does not hide a prop mistake: one run reports both", () => {
    const message = problemsOf({ KUBEADM_HA_ETCD: "extrenal", KUBEADM_HA_CONTROL_PLANE_COUNT: "4" });
    expect(message).toContain('KUBEADM_HA_ETCD="extrenal" is not "stacked" or "external"');
    expect(message).toContain('controlPlaneCount (KUBEADM_HA_CONTROL_PLANE_COUNT="4"): 4 is not one of 3, 5 or 7');
  });
});

describe("etcd settings", () => {
  test("stacked by default; external with a member count from KUBEADM_HA_ETCD_MEMBERS", () => {
    expect(readSettings({}, noContext).cluster.etcd).toEqual({ topology: "stacked" });
    expect(readSettings({ KUBEADM_HA_ETCD: "external", KUBEADM_HA_ETCD_MEMBERS: "5" }, noContext).cluster.etcd).toEqual(
      { topology: "external", members: 5 },
    );
    expect(readSettings({}, (key) => ({ etcd: "external" })[key]).cluster.etcd).toEqual({
      topology: "external",
      members: undefined,
    });
  });

  test("an unknown topology is refused with the variable's name", () => {
    expect(() => readSettings({ KUBEADM_HA_ETCD: "sidecar" }, noContext)).toThrow(
      /KUBEADM_HA_ETCD="sidecar" is not "stacked" or "external"/,
    );
  });

  /** [environment, context, what the message must say] */
  const BAD_SETTINGS: [NodeJS.ProcessEnv, Record<string, unknown>, RegExp][] = [
    [{ KUBEADM_HA_CONTROL_PLANE_COUNT: "four" }, {}, /KUBEADM_HA_CONTROL_PLANE_COUNT="four" is not a whole number/],
    [{ KUBEADM_HA_CONTROL_PLANE_COUNT: "3.0" }, {}, /KUBEADM_HA_CONTROL_PLANE_COUNT="3.0" is not a whole number/],
    [{}, { controlPlaneCount: "five" }, /context "controlPlaneCount": "five" is not a whole number/],
    [{ KUBEADM_HA_INTERNET_FACING: "yes" }, {}, /KUBEADM_HA_INTERNET_FACING="yes" is not true or false/],
    [{}, { internetFacing: 1 }, /context "internetFacing": 1 is not true or false/],
    [
      {
        KUBEADM_HA_ENDPOINT: "keepalived",
        KUBEADM_HA_INTERNET_FACING: "true",
        KUBEADM_HA_VIRTUAL_IP: "192.168.255.10",
      },
      {},
      /KUBEADM_HA_INTERNET_FACING="true" applies only with KUBEADM_HA_ENDPOINT=nlb/,
    ],
    [
      { KUBEADM_HA_VIRTUAL_IP: "192.168.255.10" },
      {},
      /KUBEADM_HA_VIRTUAL_IP="192.168.255.10" applies only with KUBEADM_HA_ENDPOINT=keepalived/,
    ],
    [
      { KUBEADM_HA_ENDPOINT: "keepalived", KUBEADM_HA_VIP_MODE: "eip" },
      {},
      /KUBEADM_HA_VIP_MODE="eip" is not "route" or "secondary-ip"/,
    ],
    [
      { KUBEADM_HA_ENDPOINT: "keepalived", KUBEADM_HA_ENDPOINT_PLACEMENT: "sidecar" },
      {},
      /KUBEADM_HA_ENDPOINT_PLACEMENT="sidecar" is not "colocated" or "dedicated"/,
    ],
    [{ KUBEADM_HA_ETCD_MEMBERS: "5" }, {}, /KUBEADM_HA_ETCD_MEMBERS="5" applies only with KUBEADM_HA_ETCD=external/],
    [
      { KUBEADM_HA_ETCD: "external", KUBEADM_HA_ETCD_MEMBERS: "many" },
      {},
      /KUBEADM_HA_ETCD_MEMBERS="many" is not a whole number/,
    ],
    [{}, { allowedCidrs: [10, 20] }, /context "allowedCidrs": \[10,20\] is not a comma-separated list/],
    [{}, { clusterName: 42 }, /context "clusterName": 42 is not text/],
    [{}, { endpoint: "alb" }, /context "endpoint": "alb" is not "nlb" or "keepalived"/],
  ];

  test.each(BAD_SETTINGS)(
    "a setting that does not convert is refused with its name and value: %j %j",
    (env, context, words) => {
      expect(() => readSettings(env, (key) => context[key])).toThrow(words);
    },
  );

  test("every bad setting is reported at once", () => {
    const read = () =>
      readSettings({ KUBEADM_HA_CONTROL_PLANE_COUNT: "four", KUBEADM_HA_INTERNET_FACING: "yes" }, noContext);
    expect(read).toThrow(/KUBEADM_HA_CONTROL_PLANE_COUNT="four"/);
    expect(read).toThrow(/KUBEADM_HA_INTERNET_FACING="yes"/);
  });

  test("settings convert explicitly: numbers, true/false and lists from the environment or typed context", () => {
    const settings = readSettings(
      {
        KUBEADM_HA_CONTROL_PLANE_COUNT: " 5 ",
        KUBEADM_HA_INTERNET_FACING: "true",
        KUBEADM_HA_ALLOWED_CIDRS: "198.51.100.0/24",
      },
      noContext,
    );
    expect(settings.cluster.controlPlaneCount).toBe(5);
    expect(settings.cluster.endpoint).toEqual({ type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] });
    const typed = readSettings(
      {},
      (key) => ({ internetFacing: false, allowedCidrs: ["10.0.0.0/16"], etcd: "external", etcdMembers: 5 })[key],
    );
    expect([typed.cluster.endpoint, typed.cluster.etcd]).toEqual([
      { type: "nlb", internetFacing: false, allowedCidrs: ["10.0.0.0/16"] },
      { topology: "external", members: 5 },
    ]);
  });

  test("an even member count fails at synth, naming etcd.members", () => {
    expect(() => buildApp({ env: { KUBEADM_HA_ETCD: "external", KUBEADM_HA_ETCD_MEMBERS: "4" } })).toThrow(
      /etcd\.members \(KUBEADM_HA_ETCD_MEMBERS="4"\): 4 is not one of 3, 5 or 7/,
    );
  });
});

describe("a failing synth writes nothing", () => {
  const outdir = join(mkdtempSync(join(tmpdir(), "kubeadm-ha-app-")), "cdktf.out");
  afterAll(() => rmSync(join(outdir, ".."), { recursive: true, force: true }));

  test("bad settings throw a ClusterSpecError naming each prop, before any file is written", () => {
    let error: unknown;
    try {
      buildApp({
        outdir,
        env: { KUBEADM_HA_CONTROL_PLANE_COUNT: "4", KUBEADM_HA_KUBERNETES_VERSION: "1.29.1" },
      }).app.synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterSpecError);
    expect((error as ClusterSpecError).problems.map((p) => p.prop)).toEqual(["kubernetesVersion", "controlPlaneCount"]);
    expect(
      existsSync(outdir) ? readdirSync(outdir, { recursive: true }).filter((f) => String(f).endsWith(".json")) : [],
    ).toEqual([]);
  });

  test("good settings do write the stack (the check above can fail)", () => {
    buildApp({ outdir, env: {} }).app.synth();
    expect(existsSync(join(outdir, "stacks", "kubeadm-ha", "cdk.tf.json"))).toBe(true);
  });

  test("the plan names no path of the machine it was synthesized on: the local state sits in the project folder, by a relative path", () => {
    const text = readFileSync(join(outdir, "stacks", "kubeadm-ha", "cdk.tf.json"), "utf8");
    expect(JSON.parse(text).terraform.backend).toEqual({ local: { path: "../../../terraform.kubeadm-ha.tfstate" } });
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain(tmpdir());
  });
});

describe("the default apps' entry point (bin/main.ts, bin/aws-cdk-main.ts)", () => {
  const { synthOrExplain } = require("../../bin/settings");
  const run = (build: () => { synth(): unknown }) => {
    const exit = jest.spyOn(process, "exit").mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      synthOrExplain(build);
      return { exit: undefined, printed: error.mock.calls.flat() };
    } catch (e) {
      return { exit: (e as Error).message, printed: error.mock.calls.flat() };
    } finally {
      exit.mockRestore();
      error.mockRestore();
    }
  };

  test("a mistake in the settings or props exits 1 with its message, no stack trace", () => {
    const result = run(
      () =>
        buildApp({ outdir: mkdtempSync(join(tmpdir(), "kha-main-")), env: { KUBEADM_HA_CONTROL_PLANE_COUNT: "4" } })
          .app,
    );
    expect(result.exit).toBe("exit 1");
    expect(result.printed.join("\n")).toMatch(
      /^Invalid KubeadmCluster props \(nothing was synthesized\):\n {2}- controlPlaneCount \(KUBEADM_HA_CONTROL_PLANE_COUNT="4"\):/,
    );
  });

  test("anything else is not hidden: it propagates", () => {
    expect(() =>
      synthOrExplain(() => {
        throw new TypeError("a bug");
      }),
    ).toThrow(TypeError);
  });
});

describe("the command cdktf.json and cdk.json run (scripts/app-build.js, then the app from .app/)", () => {
  const root = join(__dirname, "..", "..");
  const appCommand = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")).app as string;

  test("both apps build with scripts/app-build.js and run from .app/", () => {
    expect(appCommand("cdktf.json")).toBe("node scripts/app-build.js && node .app/bin/main.js");
    expect(appCommand("cdk.json")).toBe("node scripts/app-build.js && node .app/bin/aws-cdk-main.js");
  });

  test("it synthesizes the default cluster: three control-plane nodes behind an NLB, and prints nothing", () => {
    const outdir = mkdtempSync(join(tmpdir(), "kha-app-command-"));
    try {
      const run = spawnSync(appCommand("cdktf.json"), {
        cwd: root,
        env: { ...process.env, CDKTF_OUTDIR: outdir },
        shell: true,
        encoding: "utf8",
      });
      // Not a warning, not a deprecation (Node.js 22 reports cdktf's own util.isArray for a list output).
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
        status: 0,
        stdout: "",
        stderr: "",
      });
      const plan = JSON.parse(readFileSync(join(outdir, "stacks", "kubeadm-ha", "cdk.tf.json"), "utf8"));
      expect(Object.keys(plan.resource.aws_instance)).toHaveLength(3);
      expect(Object.keys(plan.resource.aws_lb)).toHaveLength(1);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
