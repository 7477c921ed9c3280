#!/usr/bin/env bash
# Sets up this peer of the keepalived + HAProxy API endpoint: installs both from the distribution,
# puts the rendered configs in place with the network interface found at boot, and (re)starts them.
# Idempotent. Called by bootstrap-control-plane.sh before kubeadm (colocated placement) or by
# the kubeadm-ha-bootstrap systemd unit on a dedicated load balancer with --standalone (which also
# publishes the status).
# Needs: Ubuntu (apt, systemd), keepalived.conf.template and haproxy.cfg in $KHA_ETC, node-settings.env.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${NODE_IP:?}"

# The interface that carries this peer's own address: keepalived sends VRRP and holds the VIP there.
peer_interface() {
  ip -o -4 addr show | awk -v ip="$NODE_IP" '{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }'
}

install_packages() {
  cloud_prepare # the notify script moves the VIP with the cloud's CLI
  if ! command -v keepalived >/dev/null 2>&1 || ! command -v haproxy >/dev/null 2>&1; then
    retry 3 dpkg_recover # an install a power loss cut short, or apt refuses ("dpkg was interrupted")
    retry 5 apt_update
    retry 3 apt_get install --no-install-recommends -o Dpkg::Options::=--force-confold keepalived haproxy curl
  fi
}

configure() {
  local interface
  interface=$(peer_interface)
  [ -n "$interface" ] || die "no interface carries $NODE_IP"
  sed "s/${INTERFACE_PLACEHOLDER:?}/$interface/g" "$KHA_ETC/keepalived.conf.template" >/etc/keepalived/keepalived.conf.new
  install -m 0644 "$KHA_ETC/haproxy.cfg" /etc/haproxy/haproxy.cfg.new
  haproxy -c -f /etc/haproxy/haproxy.cfg.new >/dev/null
  keepalived -t -f /etc/keepalived/keepalived.conf.new
  mv /etc/haproxy/haproxy.cfg.new /etc/haproxy/haproxy.cfg
  chmod 0644 /etc/keepalived/keepalived.conf.new
  mv /etc/keepalived/keepalived.conf.new /etc/keepalived/keepalived.conf
  # The guard re-asserts the VIP in AWS while this peer is the master (keepalived-notify.sh guard).
  systemctl daemon-reload
  systemctl enable haproxy keepalived "${VIP_GUARD_UNIT:?}"
  systemctl restart haproxy keepalived "$VIP_GUARD_UNIT"
  log "keepalived, HAProxy and the VIP guard running on $interface for VIP ${VIP:-?}"
}

if [ "${1:-}" = --standalone ]; then
  step names-and-time names_and_time
  step install-packages install_packages
  step deploy-settings load_deploy_settings
  load_deploy_settings # the step ran in a subshell: source what it fetched here too
  step api-endpoint configure
  mark_bootstrap_done
  cloud_set_status ready
else
  install_packages
  configure
fi
