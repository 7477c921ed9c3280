#!/usr/bin/env bash
# keepalived's notify script, and the guard that keeps the VIP with the master:
#   keepalived-notify.sh master|backup|fault   run by keepalived on a VRRP transition. On becoming
#       master it moves the VIP in AWS to this instance (cloud_vip_move: a secondary IP or the /32
#       routes), retried with backoff for as long as this peer is still the master;
#   keepalived-notify.sh guard                 run by the kubeadm-ha-vip-guard unit: every
#       VIP_REASSERT_SECONDS, while this peer is the master, moves the VIP here again, so a move that
#       failed, or raced a newer transition, is corrected.
# "The master" is what keepalived says: it holds the VIP on its interface only while master.
# Run as root; can be run by hand. Needs: common.sh and the cloud interface, VIP settings in node-settings.env.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${VIP:?}" "${VIP_MODE:?}"
KHA_CURRENT_STEP=vrrp
state=${1:?usage: keepalived-notify.sh master|backup|fault|guard}

is_master() { ip -o -4 addr show | grep -qF " $VIP/32 "; }

# The move, unless this peer stopped being the master meanwhile (then the new master moves it).
move_while_master() {
  if ! is_master; then
    log "no longer the VRRP master for $VIP: leaving the VIP to the new master"
    return 0
  fi
  cloud_vip_move
}

case "$state" in
master)
  log "VRRP master for $VIP: moving it here ($VIP_MODE)"
  if retry 8 move_while_master; then
    log "VIP $VIP routed to this instance"
  else
    # keepalived keeps the address locally; the guard tries again every VIP_REASSERT_SECONDS.
    log "ERROR: could not move VIP $VIP in AWS yet; the guard keeps trying"
    exit 1
  fi
  ;;
backup | fault) log "VRRP $state for $VIP" ;;
guard)
  : "${VIP_REASSERT_SECONDS:?}"
  log "guarding VIP $VIP: re-asserting it every ${VIP_REASSERT_SECONDS}s while this peer is the master"
  while sleep "$VIP_REASSERT_SECONDS"; do
    if is_master && ! cloud_vip_move; then log "re-asserting VIP $VIP failed; next try in ${VIP_REASSERT_SECONDS}s"; fi
  done
  ;;
*) die "unknown state '$state' (expected master, backup, fault or guard)" ;;
esac
