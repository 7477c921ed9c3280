#!/usr/bin/env bash
# keepalived's health check (vrrp_script): succeeds only when the local HAProxy answers and reaches
# a ready API server, i.e. when this peer could serve the VIP. Run every second by keepalived as root;
# run it by hand to see what keepalived sees (exit 0 = healthy). Needs: curl, cluster.env.
set -euo pipefail
# shellcheck source=/dev/null
. "${KHA_ETC:-/etc/kubeadm-ha}/cluster.env"
exec curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:${ENDPOINT_PORT:?}/readyz"
