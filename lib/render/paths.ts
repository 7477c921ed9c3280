/** Where node files live; userdata/common.sh uses the same defaults (KHA_ETC, KHA_STATE). */
export const NODE_PATHS = {
  etc: "/etc/kubeadm-ha",
  scripts: "/opt/kubeadm-ha",
  state: "/var/lib/kubeadm-ha",
} as const;

/** The instance metadata service; a setting so tests can point the scripts at a stand-in. */
export const IMDS_ENDPOINT = "http://169.254.169.254";
