#!/usr/bin/env bash
# Installs what a control-plane node needs, pinned to the cluster spec: the cloud CLI, kernel settings,
# containerd (Ubuntu archive, held), kubeadm/kubelet/kubectl (pkgs.k8s.io, held). Safe to re-run:
# each part checks what is already there. Called by bootstrap-control-plane.sh as its first step;
# can be run by hand as root to debug. Needs: Ubuntu 22.04/24.04 (apt, snap), network egress.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${KUBERNETES_VERSION:?}" "${KUBERNETES_MINOR:?}" "${CONTAINERD_VERSION:?}"
export DEBIAN_FRONTEND=noninteractive

# newest_version PACKAGE WANTED: the newest available version equal to WANTED or of its series
# (WANTED followed by "." or "-"), so "1.7" picks 1.7.x and "1.34.2" picks 1.34.2-1.1.
newest_version() {
  apt-cache madison "$1" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | while read -r version; do
    case "$version" in "$2" | "$2".* | "$2"-*) echo "$version"; break ;; esac
  done
}

# apt_install_pinned PACKAGE WANTED: installs that version unless it is already installed, then holds it.
apt_install_pinned() {
  local package=$1 version installed
  version=$(newest_version "$package" "$2")
  [ -n "$version" ] || die "no $package package matches version $2 (apt-cache madison $package lists what exists)"
  installed=$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || true)
  if [ "$installed" != "$version" ]; then
    apt-mark unhold "$package" >/dev/null 2>&1 || true
    retry 5 apt-get install -y -q --allow-change-held-packages "$package=$version"
  fi
  apt-mark hold "$package" >/dev/null
  log "$package $version installed and held"
}

configure_kernel() {
  printf 'overlay\nbr_netfilter\n' >/etc/modules-load.d/kubernetes.conf
  modprobe overlay
  modprobe br_netfilter
  printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' \
    >/etc/sysctl.d/90-kubernetes.conf
  sysctl --system >/dev/null
  swapoff -a
}

install_containerd() {
  retry 5 apt-get update -q
  apt_install_pinned containerd "$CONTAINERD_VERSION"
  mkdir -p /etc/containerd
  if ! grep -q 'SystemdCgroup = true' /etc/containerd/config.toml 2>/dev/null; then
    containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' >/etc/containerd/config.toml
    systemctl restart containerd
  fi
  systemctl enable --now containerd
}

install_kubernetes_packages() {
  local keyring=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
  local repo="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"
  mkdir -p /etc/apt/keyrings
  if [ ! -s "$keyring" ]; then
    retry 5 curl -fsSL --max-time 60 -o /tmp/kubernetes-release.key "${repo}Release.key"
    gpg --batch --yes --dearmor -o "$keyring" /tmp/kubernetes-release.key
    rm -f /tmp/kubernetes-release.key
  fi
  echo "deb [signed-by=$keyring] $repo /" >/etc/apt/sources.list.d/kubernetes.list
  retry 5 apt-get update -q
  for package in kubelet kubeadm kubectl; do
    apt_install_pinned "$package" "$KUBERNETES_VERSION"
  done
  systemctl enable kubelet
}

cloud_prepare
configure_kernel
install_containerd
install_kubernetes_packages
log "packages ready: $(kubeadm version -o short), containerd $(containerd --version | awk '{print $3}')"
