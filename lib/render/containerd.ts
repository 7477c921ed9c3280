import { ClusterSpec } from "../cluster-spec";
import { CRI_SOCKET } from "./kubeadm";

export const CONTAINERD_PATHS = {
  config: "/etc/containerd/config.toml",
  unit: "/etc/systemd/system/containerd.service",
  crictl: "/etc/crictl.yaml",
} as const;

/**
 * containerd's configuration, `version = 3`: the configuration version of containerd 2.x, the only major
 * the spec installs (containerd's RELEASES.md, "Daemon Configuration": version 3 needs v2.0.0 or later;
 * a 1.x would need version 2). Only what differs from its defaults. The
 * sandbox image is the one kubeadm of this minor expects (otherwise kubeadm warns and the node keeps
 * two pause images), and runc uses the systemd cgroup driver, as the kubelet does.
 */
export function renderContainerdConfig(spec: ClusterSpec): string {
  return `# containerd for the Kubernetes control plane (kubeadm-ha); rendered from the cluster spec.
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = '${spec.pauseImage}'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true
`;
}

/** The unit for containerd installed from its release tarball (under /usr/local), as containerd's own containerd.service. */
export function renderContainerdUnit(): string {
  return `[Unit]
Description=containerd container runtime (release tarball, installed by kubeadm-ha)
Documentation=https://containerd.io
After=network.target dbus.service

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;
}

/** crictl (cri-tools) talks to containerd, not to the sockets of runtimes this node does not have. */
export function renderCrictlConfig(): string {
  return `runtime-endpoint: ${CRI_SOCKET}\nimage-endpoint: ${CRI_SOCKET}\ntimeout: 10\n`;
}
