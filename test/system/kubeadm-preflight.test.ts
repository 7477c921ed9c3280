/**
 * The kubeadm stand-in's preflight, check by check, as kubeadm runs it (cmd/kubeadm/app/preflight/
 * checks.go: InitNodeChecks, JoinNodeChecks, RunChecks): an error stops init or join with kubeadm's
 * message before any file is written; a warning is printed and the run goes on. Each node is a folder
 * of the bootstrap tests' world (bootstrap-harness.ts); port checks run in a network namespace the
 * test creates, with a listener on loopback only.
 */
import { execFileSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { ENDPOINT, FakeWorld, RunResult } from "./bootstrap-harness";

/** The node's kubeadm config as its bootstrap fills it in (endpoint, provider ID), for the stand-in to run directly. */
function config(world: FakeWorld, i: number, kind: "init" | "join", fill: Record<string, string> = {}): string {
  let text = readFileSync(join(world.nodeDir(i), "etc", `kubeadm-${kind}.yaml`), "utf8")
    .replaceAll("__ENDPOINT_HOST__", ENDPOINT.host)
    .replaceAll("__PROVIDER_ID__", `aws:///test-1a/i-0${i}`);
  for (const [placeholder, value] of Object.entries(fill)) text = text.replaceAll(placeholder, value);
  const file = join(world.nodeDir(i), "run", `kubeadm-${kind}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** As the bootstrap leaves a node before kubeadm: the kubelet enabled, the node's name resolving locally. */
function resolvable(world: FakeWorld, i: number) {
  const dir = world.nodeDir(i);
  execFileSync(join(__dirname, "fakes", "systemctl"), ["enable", "kubelet.service"], {
    env: {
      ...process.env,
      SYSTEMCTL_STANDIN_ROOT: join(dir, "systemd"),
      SYSTEMCTL_STANDIN_DIR: join(dir, "systemctl"),
    },
    stdio: "ignore",
  });
  writeFileSync(
    join(world.nodeDir(i), "hosts"),
    `127.0.0.1 localhost\n${world.ip(i)} ${world.spec.controlPlane[i].name}\n`,
  );
}

const init = (world: FakeWorld, i = 0, env: Record<string, string> = {}, wrap: string[] = []) =>
  world.kubeadm(i, ["init", "--config", config(world, i, "init")], env, wrap);

/** Node i joins node 0's cluster with a token and the CA hash, as its bootstrap would set it up. */
async function join_(world: FakeWorld, i: number, env: Record<string, string> = {}): Promise<RunResult> {
  const token = (await world.kubeadm(0, ["token", "create"])).output.trim();
  const ca = join(world.root, "pki", "ca.crt");
  const hash = execFileSync("sh", [
    "-c",
    `openssl x509 -pubkey -noout -in ${ca} | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1`,
  ])
    .toString()
    .trim();
  const from = join(world.nodeDir(0), "kube", "pki");
  const to = join(world.nodeDir(i), "kube", "pki");
  for (const f of [
    "ca.crt",
    "ca.key",
    "sa.key",
    "sa.pub",
    "front-proxy-ca.crt",
    "front-proxy-ca.key",
    "etcd/ca.crt",
    "etcd/ca.key",
  ]) {
    mkdirSync(join(to, f, ".."), { recursive: true });
    copyFileSync(join(from, f), join(to, f));
  }
  resolvable(world, i);
  writeFileSync(
    join(world.nodeDir(i), "hosts"),
    `127.0.0.1 localhost\n${world.ip(i)} ${world.spec.controlPlane[i].name}\n${world.ip(0)} ${ENDPOINT.host}\n`,
  );
  const file = config(world, i, "join", { __BOOTSTRAP_TOKEN__: token, __CA_CERT_HASH__: `sha256:${hash}` });
  return world.kubeadm(i, ["join", "--config", file], env);
}

function phasesRun(world: FakeWorld, i: number): string[] {
  return world
    .calls()
    .filter((c) => c.ip === world.ip(i) && c.command.startsWith("phase "))
    .map((c) => c.command.split(" ")[2]);
}

/** What a check that failed leaves: kubeadm's report, exit 1, and nothing after preflight. */
function expectStopped(world: FakeWorld, i: number, result: RunResult, ...errors: string[]) {
  expect(result.code).toBe(1);
  expect(result.output).toContain("[preflight] Some fatal errors occurred:\n");
  for (const e of errors) expect(result.output).toContain(`\t${e}`);
  expect(result.output).toContain("error: error execution phase preflight: preflight checks failed");
  expect(phasesRun(world, i).filter((p) => p !== "preflight")).toEqual([]);
  expect(existsSync(join(world.nodeDir(i), "kube", "pki", "apiserver.crt"))).toBe(false);
}

describe("kubeadm init's preflight, stacked etcd", () => {
  let world: FakeWorld;
  beforeEach(() => {
    world = new FakeWorld(3, "stacked");
    resolvable(world, 0);
  });
  afterEach(() => world.cleanup());

  test("a node as the bootstrap leaves it passes every check quietly, and init runs to the end", async () => {
    const result = await init(world);
    expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({ code: 0, output: "" });
    expect(result.output).not.toMatch(/\[(WARNING|ERROR) /);
    expect(phasesRun(world, 0)).toContain("show-join-command");
  });

  test("Hostname: a node name that does not resolve is a warning, printed, and init goes on", async () => {
    writeFileSync(join(world.nodeDir(0), "hosts"), "127.0.0.1 localhost\n");
    const result = await init(world);
    expect(result.output).toContain('\t[WARNING Hostname]: hostname "kubeadm-ha-cp-0" could not be reached\n');
    expect(result.code).toBe(0);
    expect(phasesRun(world, 0)).toContain("show-join-command");
  });

  test("Service-Kubelet: a kubelet service that is not enabled is a warning, printed, and init goes on", async () => {
    execFileSync(join(__dirname, "fakes", "systemctl"), ["disable", "kubelet.service"], {
      env: {
        ...process.env,
        SYSTEMCTL_STANDIN_ROOT: join(world.nodeDir(0), "systemd"),
        SYSTEMCTL_STANDIN_DIR: join(world.nodeDir(0), "systemctl"),
      },
      stdio: "ignore",
    });
    const result = await init(world);
    expect(result.output).toContain(
      "\t[WARNING Service-Kubelet]: kubelet service is not enabled, please run 'systemctl enable kubelet.service'\n",
    );
    expect(result.code).toBe(0);
  });

  test("KubernetesVersion: a config one minor newer than kubeadm is a warning, printed, and init goes on", async () => {
    const result = await init(world, 0, { FAKE_KUBEADM_VERSION: "1.36.2" });
    expect(result.output).toContain(
      `\t[WARNING KubernetesVersion]: Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes version: ${world.spec.kubernetesVersion}. Kubeadm version: 1.36.x\n`,
    );
    expect(result.code).toBe(0);
  });

  test.each([6443, 10259, 10257, 10250, 2379, 2380])(
    "Port: a listener on %i stops init with [ERROR Port-N]",
    async (port) => {
      // A network namespace of this test's own: the listener is on its loopback, nowhere else.
      const listen = `ip link set lo up; timeout 20 python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", ${port})); s.listen(); time.sleep(20)' >/dev/null 2>&1 & sleep 0.5; exec "$@"`;
      const result = await init(world, 0, {}, ["unshare", "--net", "bash", "-c", listen, "listen"]);
      expectStopped(world, 0, result, `[ERROR Port-${port}]: Port ${port} is in use`);
    },
  );

  test("FileAvailable: static pod manifests already present stop init, one error each", async () => {
    const manifests = join(world.nodeDir(0), "kube", "manifests");
    mkdirSync(manifests, { recursive: true });
    for (const m of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"])
      writeFileSync(join(manifests, `${m}.yaml`), "");
    const result = await init(world);
    expectStopped(
      world,
      0,
      result,
      ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"].map(
        (m) =>
          `[ERROR FileAvailable--etc-kubernetes-manifests-${m}.yaml]: /etc/kubernetes/manifests/${m}.yaml already exists`,
      ),
    );
  });

  test("DirAvailable: a non-empty etcd data directory stops init", async () => {
    mkdirSync(join(world.nodeDir(0), "etcd", "member"), { recursive: true });
    expectStopped(world, 0, await init(world), "[ERROR DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty");
  });

  test("KubeletVersion: a kubelet newer than the control plane stops init; one older than kubeadm supports too", async () => {
    expectStopped(
      world,
      0,
      await init(world, 0, { STANDIN_KUBE_VERSION: "1.38.0" }),
      '[ERROR KubeletVersion]: the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "1.38.0" Control plane version: "1.37.1"',
    );
    expectStopped(
      world,
      0,
      await init(world, 0, { STANDIN_KUBE_VERSION: "1.33.9" }),
      '[ERROR KubeletVersion]: Kubelet version "1.33.9" is lower than kubeadm can support. Please upgrade kubelet',
    );
    expectStopped(
      world,
      0,
      await init(world, 0, { KUBELET_BIN: join(world.root, "no-kubelet") }),
      "[ERROR KubeletVersion]: couldn't get kubelet version: ",
    );
  });

  test("Swap: swap on is a warning and init goes on, until the kubelet refuses to run with it", async () => {
    writeFileSync(
      join(world.nodeDir(0), "proc", "swaps"),
      "Filename\tType\tSize\tUsed\tPriority\n/swap.img\tfile\t2097148\t0\t-2\n",
    );
    const result = await init(world);
    expect(result.output).toContain("\t[WARNING Swap]: swap is supported for cgroup v2 only.");
    expect(result.output).not.toContain("[preflight] Some fatal errors occurred");
    expect(phasesRun(world, 0)).toEqual(expect.arrayContaining(["certs", "kubelet-start", "wait-control-plane"]));
    expect(result.output).toContain("error execution phase wait-control-plane");
  });

  test("FileContent: ip_forward off stops init", async () => {
    writeFileSync(join(world.nodeDir(0), "proc", "sys", "net", "ipv4", "ip_forward"), "0\n");
    expectStopped(
      world,
      0,
      await init(world),
      "[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1",
    );
  });

  test("CRI: no container runtime socket stops init", async () => {
    const result = await init(world, 0, { CRI_SOCKET_PATH: join(world.nodeDir(0), "run", "no-containerd.sock") });
    expectStopped(
      world,
      0,
      result,
      "[ERROR CRI]: container runtime is not running: validate service connection: dial unix",
    );
  });

  test("NumCPU and Mem: fewer than 2 CPUs or 1700 MB stop init on a control plane", async () => {
    writeFileSync(join(world.nodeDir(0), "proc", "meminfo"), "MemTotal:         980000 kB\nMemFree:  1 kB\n");
    expectStopped(
      world,
      0,
      await init(world, 0, { FAKE_NUM_CPU: "1" }),
      "[ERROR NumCPU]: the number of available CPUs 1 is less than the required 2",
      "[ERROR Mem]: the system RAM (957 MB) is less than the minimum 1700 MB",
    );
  });
});

/** Node i's cgroup hierarchy as the stand-in reads it (CGROUP_DIR): the harness gives it Ubuntu 24.04's. */
const cgroupDir = (world: FakeWorld, i: number) => join(world.nodeDir(i), "sys", "fs", "cgroup");
const controllers = (world: FakeWorld, i: number, list: string) =>
  writeFileSync(join(cgroupDir(world, i), "cgroup.controllers"), `${list}\n`);

/** Node i as a cgroup v1 host (Ubuntu 20.04's hybrid layout): v1 hierarchies under a tmpfs, /proc/cgroups. */
function cgroupV1(world: FakeWorld, i: number, disabled: string[] = []) {
  const hierarchies = ["cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb"];
  const mounts = [
    "/dev/root / ext4 rw,relatime,discard,errors=remount-ro 0 0",
    "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0",
    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0",
    "cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0",
    ...hierarchies.map((h) => `cgroup /sys/fs/cgroup/${h} cgroup rw,nosuid,nodev,noexec,relatime,${h} 0 0`),
  ];
  writeFileSync(join(world.nodeDir(i), "proc", "mounts"), mounts.join("\n") + "\n");
  rmSync(cgroupDir(world, i), { recursive: true, force: true });
  for (const h of ["unified", "systemd", ...hierarchies]) mkdirSync(join(cgroupDir(world, i), h), { recursive: true });
  const subsystems = "cpuset cpu cpuacct blkio memory devices freezer net_cls perf_event net_prio hugetlb pids rdma";
  writeFileSync(
    join(world.nodeDir(i), "proc", "cgroups"),
    "#subsys_name\thierarchy\tnum_cgroups\tenabled\n" +
      subsystems
        .split(" ")
        .map((c, n) => `${c}\t${n + 2}\t1\t${disabled.includes(c) ? 0 : 1}\n`)
        .join(""),
  );
}

// validators/cgroup_validator_linux.go (k8s.io/system-validators v1.12.1), kubeadm's word for word.
const CGROUPS_V1 =
  "cgroups v1 support is deprecated and will be removed in a future release. Please migrate to cgroups v2. To explicitly enable cgroups v1 support for kubelet v1.35 or newer, you must set the kubelet configuration option 'FailCgroupV1' to 'false'. You must also explicitly skip this validation. For more information, see https://git.k8s.io/enhancements/keps/sig-node/5573-remove-cgroup-v1";
const VERIFICATION_FAILED = "[preflight] The system verification failed. Printing the output from the verification:\n";

describe("SystemVerification: the kernel release and the cgroups, as k8s.io/system-validators judges them", () => {
  let world: FakeWorld;
  beforeEach(() => {
    world = new FakeWorld(3, "stacked");
    resolvable(world, 0);
  });
  afterEach(() => world.cleanup());

  /** Init ran through every phase, with no report of the verification and nothing from it but `warnings`. */
  function expectWentOn(result: RunResult, ...warnings: string[]) {
    expect({ code: result.code, errors: result.output.match(/\[ERROR .*/g) }).toEqual({ code: 0, errors: null });
    expect(result.output).not.toContain(VERIFICATION_FAILED);
    expect(result.output.match(/\t\[WARNING SystemVerification\]: .*/g) ?? []).toEqual(
      warnings.map((w) => `\t[WARNING SystemVerification]: ${w}`),
    );
    expect(phasesRun(world, 0)).toContain("show-join-command");
  }

  test.each(["6.8.0-1021-aws", "6.14.0-1011-aws", "5.15.0-1051-aws", "5.10.0-32-cloud-amd64"])(
    "an Ubuntu 24.04 node (cgroup v2 with its controllers) on kernel %s passes quietly",
    async (release) => {
      expectWentOn(await init(world, 0, { FAKE_KERNEL_RELEASE: release }));
    },
  );

  test.each(["5.8.0-63-generic", "5.19.0-1028-aws", "4.19.0-26-amd64", "6.8"])(
    "kernel %s, not one the spec lists, is a warning with kubeadm's note, and init goes on",
    async (release) => {
      expectWentOn(
        await init(world, 0, { FAKE_KERNEL_RELEASE: release }),
        `kernel release ${release} is unsupported. Supported LTS versions from the 5.x series are 5.4, 5.10 and 5.15. Any 6.x version is also supported. For cgroups v2 support, the recommended version is 5.10 or newer`,
      );
    },
  );

  test.each(["cpu", "cpuset", "memory", "pids"])(
    "a root cgroup without the %s controller stops init, with what the validators reported",
    async (missing) => {
      const all = "cpuset cpu io memory hugetlb pids rdma misc";
      controllers(world, 0, all.replace(new RegExp(`\\b${missing} `), ""));
      const result = await init(world);
      expectStopped(world, 0, result, `[ERROR SystemVerification]: missing required cgroups: ${missing}`);
      expect(result.output.match(/\[ERROR SystemVerification\]: .*/g)).toEqual([
        `[ERROR SystemVerification]: missing required cgroups: ${missing}`,
      ]);
      expect(result.output).toContain(VERIFICATION_FAILED);
      expect(result.output).toContain(`\nCGROUPS_${missing.toUpperCase()}: missing\n`);
      expect(result.output).toContain("\nCGROUPS_DEVICES: enabled\n"); // the kernel's own, never listed
    },
  );

  test("no child cgroup with a cgroup.freeze (no freezer) and no memory controller: one error naming both", async () => {
    rmSync(join(cgroupDir(world, 0), "init.scope"), { recursive: true });
    controllers(world, 0, "cpuset cpu io hugetlb pids");
    expectStopped(world, 0, await init(world), "[ERROR SystemVerification]: missing required cgroups: freezer memory");
  });

  test("without the optional hugetlb and io controllers it is a warning, and init goes on", async () => {
    controllers(world, 0, "cpuset cpu memory pids");
    expectWentOn(await init(world), "missing optional cgroups: hugetlb io");
  });

  test("the rehearsal's settings: the mount table from MOUNTS_FILE, not PROC_DIR/mounts, and CGROUP_DIR", async () => {
    const proc = join(world.nodeDir(0), "proc", "mounts");
    const mounts = join(world.nodeDir(0), "etc", "mounts");
    copyFileSync(proc, mounts);
    rmSync(proc);
    expectStopped(
      world,
      0,
      await init(world),
      "[ERROR SystemVerification]: cannot get a cgroup mount point: open /proc/mounts: no such file or directory",
    );
    expectWentOn(await init(world, 0, { MOUNTS_FILE: mounts }));
  });

  test("no cgroup file system mounted at all stops init (what a rehearsal root without the fixture would show)", async () => {
    writeFileSync(join(world.nodeDir(0), "proc", "mounts"), "/dev/root / ext4 rw,relatime 0 0\n");
    expectStopped(
      world,
      0,
      await init(world),
      '[ERROR SystemVerification]: cannot get a cgroup mount point: cannot get a cgroupfs mount point from "/proc/mounts"',
    );
  });

  test.each([35, 36, 37])("a cgroup v1 host with a 1.%i kubelet (and kubeadm of that minor) stops init", async (m) => {
    cgroupV1(world, 0);
    const file = config(world, 0, "init", { "kubernetesVersion: v1.37.1": `kubernetesVersion: v1.${m}.2` });
    const result = await world.kubeadm(0, ["init", "--config", file], {
      FAKE_KUBEADM_VERSION: `1.${m}.2`,
      STANDIN_KUBE_VERSION: `1.${m}.2`,
    });
    expectStopped(world, 0, result, `[ERROR SystemVerification]: ${CGROUPS_V1}`);
    expect(result.output).toContain("\nCGROUPS_CPUACCT: enabled\n"); // v1's controllers, from /proc/cgroups
    expect(result.output).not.toContain("[WARNING SystemVerification]");
  });

  test("with a kubelet older than 1.35 (1.34, which kubeadm 1.37 still supports) cgroup v1 is only a warning", async () => {
    cgroupV1(world, 0);
    expectWentOn(await init(world, 0, { STANDIN_KUBE_VERSION: "1.34.3" }), CGROUPS_V1);
  });

  test("on cgroup v1 a missing required controller is the only error: it replaces the v1 one (errs =, not append)", async () => {
    cgroupV1(world, 0, ["pids"]);
    const result = await init(world);
    expectStopped(world, 0, result, "[ERROR SystemVerification]: missing required cgroups: pids");
    expect(result.output).not.toContain(CGROUPS_V1);
  });

  test("join runs it too: a missing controller stops the join before discovery", async () => {
    expect((await init(world)).code).toBe(0);
    controllers(world, 1, "cpu io memory hugetlb pids");
    const result = await join_(world, 1);
    expectStopped(world, 1, result, "[ERROR SystemVerification]: missing required cgroups: cpuset");
    expect(result.output).not.toContain('Reading configuration from the "kubeadm-config" ConfigMap');
  });
});

describe("kubeadm init's preflight, external etcd: ExternalEtcdVersionCheck asks every endpoint's /version", () => {
  let world: FakeWorld;
  beforeEach(() => {
    world = new FakeWorld(3, "external");
    resolvable(world, 0);
    world.publishEtcdClientSecret();
    world.setEtcdHealthy(true);
    // The client files where the bootstrap puts them before init.
    const pki = join(world.nodeDir(0), "kube", "pki");
    mkdirSync(join(pki, "etcd"), { recursive: true });
    const packed = readFileSync(join(world.root, "cloud", "secrets", "etcd-client"), "utf8");
    execFileSync("bash", ["-c", `base64 -d | tar -xzf - -C ${pki}`], { input: packed });
    copyFileSync(join(pki, "ca.crt"), join(pki, "etcd", "ca.crt"));
  });
  afterEach(() => world.cleanup());

  // kubeadm 1.35, 1.36 and 1.37 all have MinExternalEtcdVersion "3.5.24-0" (constants.go).
  const minor = (m: number): [Record<string, string>, Record<string, string>] => [
    { "kubernetesVersion: v1.37.1": `kubernetesVersion: v1.${m}.2` },
    { FAKE_KUBEADM_VERSION: `1.${m}.2`, STANDIN_KUBE_VERSION: `1.${m}.2` },
  ];
  const initMinor = (m: number) => {
    const [fill, env] = minor(m);
    return world.kubeadm(0, ["init", "--config", config(world, 0, "init", fill)], env);
  };

  test.each([35, 36, 37])(
    "kubeadm 1.%i: the release the spec installs (3.6.14) passes, and init runs to the end",
    async (m) => {
      expect(readFileSync(join(world.root, "etcd-version"), "utf8")).toBe("3.6.14");
      const result = await initMinor(m);
      expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({ code: 0, output: "" });
      expect(result.output).not.toMatch(/\[(WARNING|ERROR) /);
    },
  );

  test.each([35, 36, 37])(
    "kubeadm 1.%i: etcd 3.5.21 (main's default) is refused, once per endpoint, with kubeadm's minimum",
    async (m) => {
      writeFileSync(join(world.root, "etcd-version"), "3.5.21");
      const result = await initMinor(m);
      const error =
        "[ERROR ExternalEtcdVersion]: this version of kubeadm only supports external etcd version >= 3.5.24-0. Current version: 3.5.21";
      expectStopped(world, 0, result, error);
      expect(result.output.split(error)).toHaveLength(4);
    },
  );

  test.each(["3.5.23", "3.4.23"])("etcd %s is refused too", async (version) => {
    writeFileSync(join(world.root, "etcd-version"), version);
    expectStopped(
      world,
      0,
      await init(world),
      `[ERROR ExternalEtcdVersion]: this version of kubeadm only supports external etcd version >= 3.5.24-0. Current version: ${version}`,
    );
  });

  test("3.5.24, kubeadm's minimum itself, passes", async () => {
    writeFileSync(join(world.root, "etcd-version"), "3.5.24");
    expect((await init(world)).code).toBe(0);
  });

  test("an endpoint that does not answer is an error after kubeadm's retries", async () => {
    world.setEtcdHealthy(false);
    const result = await init(world, 0, { FAKE_ETCD_RETRY_DELAY: "0" });
    const first = world.spec.etcd.topology === "external" ? world.spec.etcd.members[0].privateIp : "";
    expectStopped(
      world,
      0,
      result,
      `[ERROR ExternalEtcdVersion]: Get "https://${first}:2379/version": curl: (7) Failed to connect to ${first} port 2379`,
    );
  });

  test("ExternalEtcdClientCertificates: a missing client certificate stops init", async () => {
    const pki = join(world.nodeDir(0), "kube", "pki");
    execFileSync("rm", [join(pki, "apiserver-etcd-client.crt")]);
    expectStopped(
      world,
      0,
      await init(world),
      "[ERROR ExternalEtcdClientCertificates]: /etc/kubernetes/pki/apiserver-etcd-client.crt doesn't exist",
    );
  });
});

describe("kubeadm join --control-plane's preflight and etcd member", () => {
  let world: FakeWorld;
  beforeEach(async () => {
    world = new FakeWorld(3, "stacked");
    resolvable(world, 0);
    const result = await init(world);
    if (result.code !== 0) throw new Error(result.output);
  });
  afterEach(() => world.cleanup());

  test("a clean node joins; its etcd member is added", async () => {
    const result = await join_(world, 1);
    expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({ code: 0, output: "" });
    expect(result.output).not.toMatch(/\[(WARNING|ERROR) /);
    expect(world.members().map((m) => m.url)).toEqual([0, 1].map((i) => `https://${world.ip(i)}:2380`));
  });

  test("FileAvailable: a kubelet.conf left on the node stops the join before discovery", async () => {
    writeFileSync(join(world.nodeDir(1), "kube", "kubelet.conf"), "");
    const result = await join_(world, 1);
    expectStopped(
      world,
      1,
      result,
      "[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists",
    );
    expect(result.output).not.toContain('Reading configuration from the "kubeadm-config" ConfigMap');
  });

  test("the secondary control plane's checks run after discovery: a non-empty etcd data directory stops the join", async () => {
    mkdirSync(join(world.nodeDir(1), "etcd", "member"), { recursive: true });
    const result = await join_(world, 1);
    expectStopped(world, 1, result, "[ERROR DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty");
    expect(result.output).toContain('Reading configuration from the "kubeadm-config" ConfigMap');
  });

  test("ip_forward is not checked on a join through a DNS name (kubeadm adds the IPv4 checks only for an IP endpoint)", async () => {
    writeFileSync(join(world.nodeDir(1), "proc", "sys", "net", "ipv4", "ip_forward"), "0\n");
    expect((await join_(world, 1)).code).toBe(0);
  });

  test("a peer URL that is already an etcd member is reused, not added again (kubeadm's addMember)", async () => {
    const existing = `0badc0de ${world.spec.controlPlane[1].name} https://${world.ip(1)}:2380`;
    writeFileSync(join(world.root, "members"), readFileSync(join(world.root, "members"), "utf8") + existing + "\n");
    const result = await join_(world, 1);
    expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({ code: 0, output: "" });
    expect(result.output).toContain(
      `The peer URL "https://${world.ip(1)}:2380" for the added etcd member already exists`,
    );
    expect(world.members().filter((m) => m.url === `https://${world.ip(1)}:2380`)).toEqual([
      { id: "0badc0de", name: world.spec.controlPlane[1].name, url: `https://${world.ip(1)}:2380` },
    ]);
    expect(readdirSync(join(world.nodeDir(1), "kube", "manifests"))).toContain("etcd.yaml");
  });
});

describe("the stand-in's API server: a Node's spec.providerID cannot change once set", () => {
  let world: FakeWorld;
  beforeEach(() => {
    world = new FakeWorld(3, "stacked");
    resolvable(world, 0);
  });
  afterEach(() => world.cleanup());
  /** The provider ID the bootstrap writes into the kubelet's patch, here filled in by hand. */
  const withProviderId = (w: FakeWorld) => {
    const id = "aws:///test-1a/i-0000000000000new";
    execFileSync("sh", [
      "-c",
      `grep -rl __PROVIDER_ID__ "$1" | xargs -r sed -i "s|__PROVIDER_ID__|${id}|"`,
      "fill",
      join(w.nodeDir(0), "etc"),
    ]);
    return id;
  };

  test("a kubelet starting with another providerID than its Node's keeps the old one, and its update is refused", async () => {
    withProviderId(world);
    // What a replaced instance meets when its predecessor's Node was not deleted (ValidateNodeUpdate).
    const stale = "aws:///test-1a/i-0000000000000old";
    mkdirSync(join(world.root, "node-objects"), { recursive: true });
    writeFileSync(join(world.root, "node-objects", world.spec.controlPlane[0].name), `${stale}\n`);
    const result = await init(world);
    expect(result.output).toContain(
      `Node "${world.spec.controlPlane[0].name}" is invalid: spec.providerID: Forbidden: node updates may not change providerID except from "" to valid`,
    );
    expect(world.nodeObject(0)).toBe(stale);
    // The oracle: with no Node there, the kubelet registers its own provider ID.
    const fresh = new FakeWorld(3, "stacked");
    try {
      resolvable(fresh, 0);
      const id = withProviderId(fresh);
      expect((await init(fresh)).code).toBe(0);
      expect(fresh.nodeObject(0)).toBe(id);
    } finally {
      fresh.cleanup();
    }
  });
});
