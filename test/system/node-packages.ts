/**
 * What the node-boot rehearsal serves its nodes instead of the internet: stand-in packages built with
 * dpkg-deb under the real names, versions and dependencies, in apt repositories laid out and signed as
 * the real ones are (pkgs.k8s.io's flat repository per minor with its Release.key; an Ubuntu-style
 * suite), and the release archives nodes download from GitHub (containerd, runc, etcd), all under one
 * folder that a plain HTTP server serves. Signing uses a throwaway key made for the run.
 * Needs dpkg-deb, dpkg-scanpackages (dpkg-dev), apt-ftparchive (apt-utils), gpg, tar, etcd.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { dirname, join } from "path";

const FAKES = join(__dirname, "fakes");
const NODE_FAKES = join(FAKES, "node");

export interface PackageFile {
  /** The stand-in's source file, or its content. */
  readonly from?: string;
  readonly content?: string;
  readonly mode: number;
}

export interface StandInPackage {
  readonly name: string;
  readonly version: string;
  readonly depends?: string;
  readonly files: Record<string, PackageFile>;
  /** The package's postinst maintainer script, which dpkg runs in its configure step. */
  readonly postinst?: string;
}

const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });

export const sha256Of = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

function stage(dir: string, files: Record<string, PackageFile>) {
  for (const [path, f] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (f.from) copyFileSync(f.from, target);
    else writeFileSync(target, f.content ?? "");
    chmodSync(target, f.mode);
  }
}

/** A .deb of the stand-in, as dpkg-deb builds it (files owned by root). */
export function buildDeb(pkg: StandInPackage, outDir: string): string {
  const dir = mkdtempSync(join(outDir, `.stage-${pkg.name}-`));
  stage(dir, pkg.files);
  mkdirSync(join(dir, "DEBIAN"));
  const control = [
    `Package: ${pkg.name}`,
    `Version: ${pkg.version}`,
    "Architecture: amd64",
    "Maintainer: kubeadm-ha tests <tests@kubeadm-ha.invalid>",
    ...(pkg.depends ? [`Depends: ${pkg.depends}`] : []),
    `Description: stand-in ${pkg.name} for the node-boot rehearsal`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "DEBIAN", "control"), control);
  if (pkg.postinst) writeFileSync(join(dir, "DEBIAN", "postinst"), pkg.postinst, { mode: 0o755 });
  const deb = join(outDir, `${pkg.name}_${pkg.version}_amd64.deb`);
  run("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", dir, deb]);
  rmSync(dir, { recursive: true, force: true });
  return deb;
}

/** A throwaway OpenPGP key that signs the repositories of one run. */
export class SigningKey {
  readonly home: string;
  constructor(dir: string) {
    this.home = join(dir, "gnupg");
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    this.gpg([
      "--quick-generate-key",
      "--passphrase",
      "",
      "kubeadm-ha rehearsal <rehearsal@kubeadm-ha.invalid>",
      "ed25519",
      "sign",
      "1d",
    ]);
  }
  gpg(args: string[], cwd?: string) {
    return run("gpg", ["--homedir", this.home, "--batch", "--yes", "--pinentry-mode", "loopback", ...args], { cwd });
  }
  /** The public key, ASCII-armoured (what pkgs.k8s.io serves as Release.key). */
  armored(): Buffer {
    return this.gpg(["--armor", "--export"]);
  }
  /** The public key as a binary keyring (what `gpg --dearmor` makes, and apt's Signed-By reads). */
  keyring(): Buffer {
    return this.gpg(["--export"]);
  }
  /** InRelease and Release.gpg beside a Release file. */
  signRelease(dir: string) {
    this.gpg(["--clearsign", "-o", "InRelease", "Release"], dir);
    this.gpg(["-abs", "-o", "Release.gpg", "Release"], dir);
  }
}

/**
 * pkgs.k8s.io's layout for one minor: <root>/core:/stable:/v1.MINOR/deb/ holding amd64/*.deb, Packages,
 * a signed Release (InRelease, Release.gpg) and Release.key, for `deb [signed-by=...] URL /`.
 */
export function kubernetesRepository(root: string, minor: number, packages: StandInPackage[], key: SigningKey): string {
  const repo = join(root, "core:", "stable:", `v1.${minor}`, "deb");
  mkdirSync(join(repo, "amd64"), { recursive: true });
  for (const pkg of packages) buildDeb(pkg, join(repo, "amd64"));
  writeFileSync(
    join(repo, "Packages"),
    run("dpkg-scanpackages", ["--multiversion", "amd64", "/dev/null"], { cwd: repo }),
  );
  run("gzip", ["-k", "-f", "Packages"], { cwd: repo });
  writeFileSync(
    join(repo, "Release"),
    run(
      "apt-ftparchive",
      [
        "-o",
        "APT::FTPArchive::Release::Origin=obs://build.opensuse.org/isv:kubernetes:core:stable:v1." + minor,
        "release",
        ".",
      ],
      { cwd: repo },
    ),
  );
  key.signRelease(repo);
  writeFileSync(join(repo, "Release.key"), key.armored());
  return repo;
}

/** An Ubuntu-style suite <root>/dists/SUITE/main/binary-amd64 with its pool, signed (the image's archive). */
export function suiteRepository(root: string, suite: string, debs: string[], key: SigningKey) {
  const pool = join(root, "pool", "main");
  const binary = join(root, "dists", suite, "main", "binary-amd64");
  mkdirSync(pool, { recursive: true });
  mkdirSync(binary, { recursive: true });
  for (const deb of debs) copyFileSync(deb, join(pool, deb.split("/").pop()!));
  writeFileSync(
    join(binary, "Packages"),
    run("dpkg-scanpackages", ["--multiversion", "pool/main", "/dev/null"], { cwd: root }),
  );
  run("gzip", ["-k", "-f", "Packages"], { cwd: binary });
  const release = run(
    "apt-ftparchive",
    [
      "-o",
      `APT::FTPArchive::Release::Suite=${suite}`,
      "-o",
      `APT::FTPArchive::Release::Codename=${suite}`,
      "-o",
      "APT::FTPArchive::Release::Components=main",
      "-o",
      "APT::FTPArchive::Release::Architectures=amd64",
      "release",
      ".",
    ],
    { cwd: join(root, "dists", suite) },
  );
  writeFileSync(join(root, "dists", suite, "Release"), release);
  key.signRelease(join(root, "dists", suite));
}

/** A tar.gz of `files` (path inside the archive -> source), as a release publishes it. */
function tarball(out: string, files: Record<string, PackageFile>) {
  const dir = mkdtempSync(join(dirname(out), ".tar-"));
  stage(dir, files);
  // Top-level names, as the real archives list them ("bin/containerd", not "./bin/containerd").
  const top = [...new Set(Object.keys(files).map((f) => f.split("/")[0]))];
  run("tar", ["--owner=0", "--group=0", "-czf", out, "-C", dir, ...top]);
  rmSync(dir, { recursive: true, force: true });
}

export interface Downloads {
  /** URL paths under the server root, by what the node settings call them. */
  readonly containerdReleases: string;
  readonly runcReleases: string;
  readonly etcdReleases: string;
  readonly sha256: { containerd: string; runc: string; etcd: string };
}

/**
 * GitHub's release downloads: containerd's tarball (stand-in binaries under bin/), runc.amd64, and
 * etcd's tarball with the real etcd and etcdctl of this machine (Debian's etcd-server/etcd-client),
 * its etcd answering `--version` and GET /version as the release the tarball is named for.
 */
export function releaseDownloads(
  root: string,
  versions: { containerd: string; runc: string; etcd: string },
): Downloads {
  const base = join(root, "github");
  const containerdDir = join(base, "containerd", "containerd", "releases", "download", `v${versions.containerd}`);
  const runcDir = join(base, "opencontainers", "runc", "releases", "download", `v${versions.runc}`);
  const etcdDir = join(base, "etcd-io", "etcd", "releases", "download", `v${versions.etcd}`);
  for (const d of [containerdDir, runcDir, etcdDir]) mkdirSync(d, { recursive: true });
  const containerd = join(containerdDir, `containerd-${versions.containerd}-linux-amd64.tar.gz`);
  tarball(containerd, {
    "bin/containerd": {
      content: readFileSync(join(NODE_FAKES, "containerd"), "utf8").replace(
        "${STANDIN_CONTAINERD_VERSION:-2.3.4}",
        versions.containerd,
      ),
      mode: 0o755,
    },
    "bin/containerd-shim-runc-v2": { from: join(NODE_FAKES, "tool"), mode: 0o755 },
    "bin/ctr": { from: join(NODE_FAKES, "tool"), mode: 0o755 },
  });
  const runc = join(runcDir, "runc.amd64");
  writeFileSync(
    runc,
    readFileSync(join(NODE_FAKES, "runc"), "utf8").replaceAll("${STANDIN_RUNC_VERSION:-1.4.3}", versions.runc),
  );
  const etcdName = `etcd-v${versions.etcd}-linux-amd64`;
  const etcd = join(etcdDir, `${etcdName}.tar.gz`);
  tarball(etcd, {
    [`${etcdName}/etcd`]: {
      content: readFileSync(join(NODE_FAKES, "etcd"), "utf8").replaceAll(
        "${STANDIN_ETCD_VERSION:-3.6.14}",
        versions.etcd,
      ),
      mode: 0o755,
    },
    [`${etcdName}/etcdctl`]: { from: "/usr/bin/etcdctl", mode: 0o755 },
  });
  return {
    containerdReleases: "/github/containerd/containerd/releases/download",
    runcReleases: "/github/opencontainers/runc/releases/download",
    etcdReleases: "/github/etcd-io/etcd/releases/download",
    sha256: { containerd: sha256Of(containerd), runc: sha256Of(runc), etcd: sha256Of(etcd) },
  };
}

/**
 * The packages pkgs.k8s.io's repository for a minor holds, as stand-ins: three patch releases of
 * kubeadm, kubelet and kubectl (so a pin is visibly a pin), with the dependencies the real ones declare.
 */
export function kubernetesPackages(minor: number, patches: number[]): StandInPackage[] {
  const wrap = (tool: string) =>
    `#!/bin/sh\n# ${tool} stand-in of the node-boot rehearsal: the shared world and this node's identity come from /etc/kubeadm-standin.env.\nset -a\n. /etc/kubeadm-standin.env\nset +a\nexec /usr/lib/kubeadm-standin/${tool} "$@"\n`;
  const perPatch = patches.flatMap((patch): StandInPackage[] => {
    const version = `1.${minor}.${patch}-1.1`;
    return [
      {
        name: "kubeadm",
        version,
        depends: "cri-tools (>= 1.30.0)",
        files: {
          "/usr/bin/kubeadm": { content: wrap("kubeadm"), mode: 0o755 },
          "/usr/lib/kubeadm-standin/kubeadm": {
            content: readFileSync(join(FAKES, "kubeadm"), "utf8").replace(
              "${FAKE_KUBEADM_VERSION:-1.37.1}",
              `1.${minor}.${patch}`,
            ),
            mode: 0o755,
          },
          "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf": {
            content:
              '[Service]\nEnvironment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"\nEnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n',
            mode: 0o644,
          },
        },
      },
      {
        name: "kubelet",
        version,
        depends: "iptables (>= 1.4.21), kubernetes-cni (>= 1.2.0), mount, util-linux",
        // A test holds dpkg in kubelet's configure step (HOLD_KUBELET_POSTINST in the world) to cut the power there.
        postinst: `#!/bin/sh\nwhile [ -e /var/lib/kubeadm-standin/world/${HOLD_KUBELET_POSTINST} ]; do sleep 0.2; done\n`,
        files: {
          "/usr/bin/kubelet": {
            content: readFileSync(join(NODE_FAKES, "kubelet"), "utf8").replace(
              "${STANDIN_KUBE_VERSION:-1.37.1}",
              `1.${minor}.${patch}`,
            ),
            mode: 0o755,
          },
          "/usr/lib/kubelet-standin/apiserver.py": { from: join(NODE_FAKES, "apiserver.py"), mode: 0o644 },
          "/usr/lib/systemd/system/kubelet.service": {
            content:
              "[Unit]\nDescription=kubelet: The Kubernetes Node Agent\nWants=network-online.target\nAfter=network-online.target\n\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\nStartLimitInterval=0\nRestartSec=10\n\n[Install]\nWantedBy=multi-user.target\n",
            mode: 0o644,
          },
        },
      },
      {
        name: "kubectl",
        version,
        files: {
          "/usr/bin/kubectl": { content: wrap("kubectl"), mode: 0o755 },
          "/usr/lib/kubeadm-standin/kubectl": { from: join(FAKES, "kubectl"), mode: 0o755 },
        },
      },
    ];
  });
  return [
    ...perPatch,
    {
      name: "cri-tools",
      version: `1.${minor}.0-1.1`,
      files: {
        "/usr/bin/crictl": {
          content: readFileSync(join(NODE_FAKES, "crictl"), "utf8").replace(
            "${STANDIN_CRICTL_VERSION:-1.37.0}",
            `1.${minor}.0`,
          ),
          mode: 0o755,
        },
      },
    },
    {
      name: "kubernetes-cni",
      version: "1.9.1-1.1",
      files: Object.fromEntries(
        ["bridge", "host-local", "loopback", "portmap"].map((p) => [
          `/opt/cni/bin/${p}`,
          { from: join(NODE_FAKES, "tool"), mode: 0o755 },
        ]),
      ),
    },
  ];
}

/** While this file exists in the world, the kubelet stand-in's postinst waits: dpkg stays in its configure step. */
export const HOLD_KUBELET_POSTINST = "hold-kubelet-postinst";

/** What the image's distribution archive holds that the nodes install: stand-ins for conntrack, iptables and chrony. */
export function distributionPackages(): StandInPackage[] {
  return [
    {
      name: "conntrack",
      version: "1:1.4.8-1ubuntu1",
      files: { "/usr/sbin/conntrack": { from: join(NODE_FAKES, "tool"), mode: 0o755 } },
    },
    {
      name: "chrony",
      version: "4.5-1ubuntu4",
      files: {
        "/usr/sbin/chronyd": { from: join(NODE_FAKES, "tool"), mode: 0o755 },
        // As Ubuntu's: the sources come from sources.d, where cloud-init put the Amazon Time Sync Service.
        "/etc/chrony/chrony.conf": { content: "sourcedir /etc/chrony/sources.d\n", mode: 0o644 },
        "/usr/lib/systemd/system/chrony.service": {
          content:
            "[Unit]\nDescription=chrony, an NTP client/server\n\n[Service]\nExecStart=/usr/sbin/chronyd\n\n[Install]\nWantedBy=multi-user.target\n",
          mode: 0o644,
        },
      },
    },
    {
      name: "iptables",
      version: "1.8.10-3ubuntu2",
      files: { "/usr/sbin/iptables": { from: join(NODE_FAKES, "tool"), mode: 0o755 } },
    },
  ];
}
