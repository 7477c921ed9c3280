#!/usr/bin/env bash
# keepalived's notify script: `keepalived-notify.sh master|backup|fault`. On becoming master it moves
# the VIP in AWS to this instance (cloud_vip_move: a secondary IP or the /32 routes), with bounded
# retries, so the VPC delivers the VIP's traffic here; other transitions are logged. Run by keepalived
# as root; can be run by hand. Needs: common.sh and the cloud interface, VIP settings in cluster.env.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${VIP:?}" "${VIP_MODE:?}"
KHA_CURRENT_STEP=vrrp
state=${1:?usage: keepalived-notify.sh master|backup|fault}

case "$state" in
master)
  log "VRRP master for $VIP: moving it here ($VIP_MODE)"
  if retry 8 cloud_vip_move; then
    log "VIP $VIP now routed to this instance"
  else
    # keepalived keeps the address locally; the next transition (or a manual run) tries again.
    log "ERROR: could not move VIP $VIP in AWS; clients may not reach it until this succeeds"
    exit 1
  fi
  ;;
backup | fault) log "VRRP $state for $VIP" ;;
*) die "unknown state '$state' (expected master, backup or fault)" ;;
esac
