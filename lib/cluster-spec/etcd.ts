import { HOST_OFFSETS, placement } from "./addresses";
import { instanceArchitecture } from "./architecture";
import { checkInstanceType, checkMemberCount, checkVolumeSize, Literal, Problem } from "./rules";
import { Architecture, EtcdMemberSpec, ExternalEtcdInput, ExternalEtcdSpec } from "./types";
import { compareVersions, KUBERNETES_MINORS } from "./versions";

export const ETCD_DEFAULTS = {
  members: 3,
  instanceType: "t3.medium",
  rootVolumeSizeGiB: 30,
  version: "3.6.14",
  clientPort: 2379,
  peerPort: 2380,
} as const;

/**
 * SHA-256 of the etcd release tarballs this project knows (etcd-vVERSION-linux-ARCH.tar.gz): the digests
 * kubespray pins (roles/kubespray_defaults/vars/main/checksums.yml, etcd_binary_checksums), the same as
 * other projects that verify the release download.
 */
export const ETCD_RELEASE_SHA256: Record<string, Record<Architecture, string>> = {
  "3.6.14": {
    amd64: "ffe840ff9295808e88cce2794a18a5ac87f12a5203c8314d0bf6aa119b41bac5",
    arm64: "fa1b80565ee6fc2df1ae6f57a508b221f3ecc7d591c317c581cd8281b0842b3e",
  },
};

/** An etcd release as the etcd project tags it, without its "v": numbers without leading zeros. */
const ETCD_VERSION = /^3\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function resolveExternalEtcd(
  input: ExternalEtcdInput,
  clusterName: string,
  subnetCount: number,
  kubernetesMinor: number,
  address: (subnetIndex: number, offset: number) => string,
  literal: Literal,
  problem: Problem,
): ExternalEtcdSpec {
  const count = input.members ?? ETCD_DEFAULTS.members;
  checkMemberCount("etcd.members", count, problem);
  const instanceType = input.instanceType ?? ETCD_DEFAULTS.instanceType;
  checkInstanceType("etcd.instanceType", instanceType, literal, problem);
  const rootVolumeSizeGiB = input.rootVolumeSizeGiB ?? ETCD_DEFAULTS.rootVolumeSizeGiB;
  checkVolumeSize("etcd.rootVolumeSizeGiB", rootVolumeSizeGiB, 20, 16384, problem);
  const version = (input.version ?? ETCD_DEFAULTS.version).replace(/^v/, "");
  const minExternalEtcd = KUBERNETES_MINORS[kubernetesMinor]?.minExternalEtcd;
  if (!ETCD_VERSION.test(version)) {
    problem(
      "etcd.version",
      `"${input.version}" is not an etcd 3.x release such as "${ETCD_DEFAULTS.version}" (3.MINOR.PATCH, numbers without leading zeros).`,
    );
  } else if (minExternalEtcd && compareVersions(version, minExternalEtcd.replace(/-.*$/, "")) < 0) {
    // kubeadm's minimum is a pre-release tag ("3.5.24-0"), so the release it names passes.
    problem(
      "etcd.version",
      `"${input.version}" is older than ${minExternalEtcd}, the oldest external etcd kubeadm 1.${kubernetesMinor} accepts (its init preflight would stop at ExternalEtcdVersion). Use "${ETCD_DEFAULTS.version}".`,
    );
  }
  const architecture = instanceArchitecture(instanceType);
  const known = ETCD_RELEASE_SHA256[version]?.[architecture];
  const sha256 = input.sha256 ?? known;
  if (input.sha256 !== undefined && known !== undefined && input.sha256 !== known) {
    problem(
      "etcd.sha256",
      `"${input.sha256}" is not the SHA-256 of etcd-v${version}-linux-${architecture}.tar.gz (${known}): every member would refuse the download. Leave etcd.sha256 out for ${version}.`,
    );
  } else if (sha256 === undefined) {
    problem(
      "etcd.sha256",
      `is required for etcd ${version} (${architecture}): give the SHA-256 of etcd-v${version}-linux-${architecture}.tar.gz from the release's SHA256SUMS, so the download can be verified.`,
    );
  } else if (!/^[a-f0-9]{64}$/.test(sha256)) {
    problem("etcd.sha256", `"${sha256}" is not a SHA-256 digest (64 lower-case hex characters).`);
  }
  const members: EtcdMemberSpec[] =
    subnetCount === 0 || !Number.isInteger(count) || count < 1 || count > 7
      ? []
      : Array.from({ length: count }, (_, index) => {
          const { subnetIndex, offset } = placement(index, subnetCount, HOST_OFFSETS.etcd);
          return { index, name: `${clusterName}-etcd-${index}`, subnetIndex, privateIp: address(subnetIndex, offset) };
        });
  return {
    topology: "external",
    members,
    instanceType,
    rootVolumeSizeGiB,
    version,
    sha256: sha256 ?? "",
    architecture,
    clientPort: ETCD_DEFAULTS.clientPort,
    peerPort: ETCD_DEFAULTS.peerPort,
  };
}
