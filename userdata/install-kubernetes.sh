#!/usr/bin/env bash
# Installs what a control-plane node needs, pinned to the cluster spec: the cloud CLI; kernel modules and
# sysctls; containerd and runc from their release binaries (verified by SHA-256) with the configuration
# cloud-init placed; kubeadm, kubelet, kubectl, cri-tools and kubernetes-cni from pkgs.k8s.io at the
# pinned version (installed at the pin even over a newer one, then held); conntrack and chrony (its Amazon
# Time Sync source placed by cloud-init) from the distribution. An install that a reboot or power loss
# interrupted is finished first (dpkg --configure -a), or apt would refuse every later run.
# Safe to re-run: each part checks what is already there, and re-applies modes that other programs need.
# Called by bootstrap-control-plane.sh as its first step; can be run by hand as root to debug.
# Needs: Ubuntu 22.04/24.04 (apt, snap, systemd), network egress, node-settings.env.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${KUBERNETES_VERSION:?}" "${KUBERNETES_MINOR:?}" "${KUBERNETES_PACKAGE_REPO:?}" "${NODE_ARCH:?}" \
  "${CONTAINERD_VERSION:?}" "${CONTAINERD_SHA256:?}" "${CONTAINERD_RELEASES:?}" \
  "${RUNC_VERSION:?}" "${RUNC_SHA256:?}" "${RUNC_RELEASES:?}"

KUBERNETES_KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
KUBERNETES_PACKAGES=(kubelet kubeadm kubectl cri-tools kubernetes-cni)

# newest_version PACKAGE [WANTED]: the newest available version equal to WANTED or of its series
# (WANTED followed by "." or "-"), so "1.37" picks 1.37.x and "1.37.1" picks 1.37.1-1.1; without
# WANTED, the newest there is.
newest_version() {
  apt-cache madison "$1" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | while read -r version; do
    case "$version" in "${2:-$version}" | "$2".* | "$2"-*) echo "$version"; break ;; esac
  done
}

# pinned PACKAGE [WANTED]: "PACKAGE=VERSION" for apt-get install, or fails naming what is missing.
pinned() {
  local version
  version=$(newest_version "$1" "${2:-}")
  [ -n "$version" ] || die "no $1 package matches version ${2:-any} in $KUBERNETES_PACKAGE_REPO (apt-cache madison $1 lists what exists)"
  echo "$1=$version"
}

configure_kernel() {
  printf 'overlay\nbr_netfilter\n' | write_file 0644 /etc/modules-load.d/kubernetes.conf
  modprobe overlay
  modprobe br_netfilter
  printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' |
    write_file 0644 /etc/sysctl.d/90-kubernetes.conf
  sysctl --system >/dev/null
  # The kubelet refuses to run with swap on; keep it off after a reboot too.
  swapoff -a
  if [ -f /etc/fstab ] && grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab; then
    sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# \1 # disabled by kubeadm-ha/' /etc/fstab
  fi
}

install_containerd() {
  local changed=false
  if ! /usr/local/bin/containerd --version 2>/dev/null | grep -q " v$CONTAINERD_VERSION "; then
    local name="containerd-$CONTAINERD_VERSION-linux-$NODE_ARCH.tar.gz"
    download_verified "$CONTAINERD_RELEASES/v$CONTAINERD_VERSION/$name" "$CONTAINERD_SHA256" "$WORK_DIR/$name"
    tar -C /usr/local -xzf "$WORK_DIR/$name" --no-same-owner bin/
    log "containerd $CONTAINERD_VERSION installed in /usr/local/bin (SHA-256 verified)"
    changed=true
  fi
  if ! /usr/local/sbin/runc --version 2>/dev/null | grep -q "^runc version $RUNC_VERSION$"; then
    download_verified "$RUNC_RELEASES/v$RUNC_VERSION/runc.$NODE_ARCH" "$RUNC_SHA256" "$WORK_DIR/runc"
    install -D -m 0755 "$WORK_DIR/runc" /usr/local/sbin/runc
    log "runc $RUNC_VERSION installed in /usr/local/sbin (SHA-256 verified)"
    changed=true
  fi
  # cloud-init placed the configuration (config.toml, the unit, crictl.yaml); a re-run fixes their modes.
  chmod 0644 /etc/containerd/config.toml /etc/systemd/system/containerd.service /etc/crictl.yaml
  chmod 0755 /etc/containerd
  systemctl daemon-reload
  systemctl enable containerd
  if [ "$changed" = true ]; then systemctl restart containerd; else systemctl start containerd; fi
}

install_kubernetes_packages() {
  install -d -m 0755 /etc/apt/keyrings
  if [ ! -s "$KUBERNETES_KEYRING" ]; then
    retry 5 curl -fsSL --max-time 60 -o "$WORK_DIR/Release.key" "${KUBERNETES_PACKAGE_REPO}Release.key"
    install -d -m 0700 "$WORK_DIR/gnupg"
    GNUPGHOME=$WORK_DIR/gnupg gpg --batch --yes --dearmor -o "$WORK_DIR/keyring.gpg" "$WORK_DIR/Release.key"
    install -m 0644 "$WORK_DIR/keyring.gpg" "$KUBERNETES_KEYRING"
  fi
  # apt checks signatures as its unprivileged _apt user: the keyring must be world-readable.
  chmod 0644 "$KUBERNETES_KEYRING"
  echo "deb [signed-by=$KUBERNETES_KEYRING] $KUBERNETES_PACKAGE_REPO /" | write_file 0644 /etc/apt/sources.list.d/kubernetes.list
  retry 3 dpkg_recover
  retry 5 apt_update
  # One assignment each: a failed $(pinned ...) inside a list assignment would not stop the script.
  local kubelet kubeadm kubectl cri_tools cni
  kubelet=$(pinned kubelet "$KUBERNETES_VERSION")
  kubeadm=$(pinned kubeadm "$KUBERNETES_VERSION")
  kubectl=$(pinned kubectl "$KUBERNETES_VERSION")
  cri_tools=$(pinned cri-tools "$KUBERNETES_MINOR")
  cni=$(pinned kubernetes-cni)
  local held=("$kubelet" "$kubeadm" "$kubectl" "$cri_tools" "$cni")
  # --allow-downgrades: an image may already carry a newer version; the cluster runs the pinned one.
  retry 3 apt_get install --no-install-recommends --allow-downgrades --allow-change-held-packages conntrack chrony "${held[@]}"
  apt-mark hold "${KUBERNETES_PACKAGES[@]}" >/dev/null
  log "installed and held: ${held[*]}"
  systemctl enable kubelet
  # chrony reads its sources at start: restarted, it uses the Amazon Time Sync source (also when the image had it running).
  systemctl restart chrony
}

WORK_DIR=$(mktemp -d "$KHA_RUN/install.XXXXXX")
trap 'rm -rf "$WORK_DIR"' EXIT

cloud_prepare
configure_kernel
install_containerd
install_kubernetes_packages
log "packages ready: kubeadm $(kubeadm version -o short), containerd $(/usr/local/bin/containerd --version | awk '{print $3}')"
