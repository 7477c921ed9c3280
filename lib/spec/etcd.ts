import { HOST_OFFSETS, placement } from "./addresses";
import { instanceArchitecture } from "./architecture";
import { checkInstanceType, checkMemberCount, checkVolumeSize, Literal, Problem } from "./rules";
import { Architecture, EtcdMemberSpec, ExternalEtcdInput, ExternalEtcdSpec } from "./types";

export const ETCD_DEFAULTS = {
  members: 3,
  instanceType: "t3.medium",
  rootVolumeSizeGiB: 30,
  version: "3.5.21",
  clientPort: 2379,
  peerPort: 2380,
} as const;

/** SHA-256 of the etcd release tarballs this project knows (etcd-vVERSION-linux-ARCH.tar.gz). */
export const ETCD_RELEASE_SHA256: Record<string, Record<Architecture, string>> = {
  "3.5.21": {
    amd64: "adddda4b06718e68671ffabff2f8cee48488ba61ad82900e639d108f2148501c",
    arm64: "95bf6918623a097c0385b96f139d90248614485e781ec9bee4768dbb6c79c53f",
  },
};

export function resolveExternalEtcd(
  input: ExternalEtcdInput,
  clusterName: string,
  subnetCount: number,
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
  if (!/^3\.\d+\.\d+$/.test(version))
    problem("etcd.version", `"${input.version}" is not an etcd 3.x release such as "${ETCD_DEFAULTS.version}".`);
  const architecture = instanceArchitecture(instanceType);
  const sha256 = input.sha256 ?? ETCD_RELEASE_SHA256[version]?.[architecture];
  if (sha256 === undefined) {
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
