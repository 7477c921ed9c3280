/** Ubuntu 24.04 LTS images, published by Canonical as public SSM parameters (read at deploy time, no lookup at synth). */
export function ubuntuImageParameter(architecture: "amd64" | "arm64"): string {
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${architecture}/hvm/ebs-gp3/ami-id`;
}
