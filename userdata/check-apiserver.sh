#!/usr/bin/env bash
# keepalived's health check (vrrp_script): succeeds only when the local HAProxy runs and has at least
# one ready API server (its monitor endpoint on loopback), i.e. when this peer could serve the VIP.
# Run every second by keepalived as root; run it by hand to see what keepalived sees (exit 0 = healthy).
# Needs: curl, node-settings.env.
set -euo pipefail
# shellcheck source=/dev/null
. "${KHA_ETC:-/etc/kubeadm-ha}/node-settings.env"
exec curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:${HAPROXY_MONITOR_PORT:?}${HAPROXY_MONITOR_PATH:?}"
