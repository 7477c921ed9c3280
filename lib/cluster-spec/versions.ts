import { Architecture } from "./types";

/**
 * The Kubernetes minors this release of the library supports: those in upstream support on
 * 2026-12-01 (kubernetes.io/releases; sources and dates in docs/versions.md). Each entry holds
 * what a node of that minor needs and that kubeadm does not pick by itself.
 */
export interface KubernetesMinor {
  /** End of upstream support (kubernetes.io/releases/1.MINOR). */
  readonly endOfLife: string;
  /** The sandbox image kubeadm of this minor expects; containerd must use the same. */
  readonly pauseImage: string;
  /** The oldest containerd this minor supports (containerd RELEASES.md, "Kubernetes Support"). */
  readonly minContainerd: string;
  /**
   * The oldest external etcd this minor's kubeadm accepts: init's preflight (ExternalEtcdVersionCheck,
   * cmd/kubeadm/app/preflight/checks.go) GETs each endpoint's /version and fails below
   * MinExternalEtcdVersion (cmd/kubeadm/app/constants/constants.go on release-1.MINOR), written as
   * kubeadm writes it: an image tag whose "-0" orders before the release itself.
   */
  readonly minExternalEtcd: string;
}

export const KUBERNETES_MINORS: Readonly<Record<number, KubernetesMinor>> = {
  35: {
    endOfLife: "2027-02-28",
    pauseImage: "registry.k8s.io/pause:3.10.1",
    minContainerd: "2.1.5",
    minExternalEtcd: "3.5.24-0",
  },
  36: {
    endOfLife: "2027-06-28",
    pauseImage: "registry.k8s.io/pause:3.10.2",
    minContainerd: "2.2.0",
    minExternalEtcd: "3.5.24-0",
  },
  // containerd's table has no 1.37 row yet; 1.37 gets at least what 1.36 needs.
  37: {
    endOfLife: "2027-10-28",
    pauseImage: "registry.k8s.io/pause:3.10.2",
    minContainerd: "2.2.0",
    minExternalEtcd: "3.5.24-0",
  },
};

/** A release binary verified by SHA-256 before it is installed, per architecture. */
export type ReleaseChecksums = Readonly<Record<Architecture, string>>;

/**
 * SHA-256 of containerd-VERSION-linux-ARCH.tar.gz from containerd's GitHub releases (the same digests
 * kubespray pins in roles/kubespray_defaults/vars/main/checksums.yml). 2.3 is containerd's LTS (to 2028-04-30).
 */
export const CONTAINERD_RELEASE_SHA256: Readonly<Record<string, ReleaseChecksums>> = {
  "2.3.4": {
    amd64: "9d68969855fbf676cdb8ed758e420fb048d61f984f61de3e53eddfebe484d168",
    arm64: "a985fbb7e18fc0362d31a055338f5d7b0e087a3e27f14c70d1c5965399a29f95",
  },
  "2.2.7": {
    amd64: "91cd216ea26a1b8b512219d3f205375c967e7b7de4dae571bc3dd16bfacd34b5",
    arm64: "84eb0a161e20ad45465202fa2d6d93b3d9b74666c363e9908706d590a86e2618",
  },
};

/** runc, which containerd's release tarball does not include: runc.ARCH from opencontainers/runc's releases. */
export const RUNC_RELEASE = {
  version: "1.4.3",
  sha256: {
    amd64: "f6ae8efc0fa40079e1475e97cbe9d1bd3f106a28d6af78a11d9f1bd565515e60",
    arm64: "633301e2e32f8a5ad54031aab4901eb00308bec677dd15faa2751e8f9dab5ca4",
  } as ReleaseChecksums,
} as const;

/** Where nodes download what is not an apt package. Settings in the node's node-settings.env, so tests can point them elsewhere. */
export const DOWNLOAD_SOURCES = {
  /** pkgs.k8s.io: one flat apt repository per minor, signed with the same key. */
  kubernetesPackages: (minor: number) => `https://pkgs.k8s.io/core:/stable:/v1.${minor}/deb/`,
  containerdReleases: "https://github.com/containerd/containerd/releases/download",
  runcReleases: "https://github.com/opencontainers/runc/releases/download",
  etcdReleases: "https://github.com/etcd-io/etcd/releases/download",
} as const;

/** Compares dotted versions numerically: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
