#!/usr/bin/env bash
# Keeps the worker join secret holding a bootstrap token that workers can join with: a token valid for
# WORKER_TOKEN_TTL_SECONDS, replaced once fewer than WORKER_TOKEN_RENEW_SECONDS of it remain (or it is
# gone from the cluster), with the cluster CA's hash. Never a key: a worker gets nothing it could mint
# a credential with. Run by a systemd timer on every control-plane node; only the node whose
# kube-controller-manager holds the leader lease writes (one writer at a time, and another takes over
# when that node is gone). An old token is not deleted: it expires on its own, so a worker in the middle
# of a join with it still succeeds. The token never appears in argv or a log.
# Needs: node-settings.env and deploy-settings.env in $KHA_ETC, a finished bootstrap (admin.conf).
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
# shellcheck source=kubeadm-common.sh
. "$KHA_SCRIPT_DIR/kubeadm-common.sh"
: "${WORKER_TOKEN_TTL_SECONDS:?}" "${WORKER_TOKEN_RENEW_SECONDS:?}"

ADMIN_KUBECONFIG=$KHA_KUBE_DIR/admin.conf
WORK_DIR=$(mktemp -d "$KHA_RUN/worker-token.XXXXXX")
trap 'rm -rf "$WORK_DIR"' EXIT

# is_leader: this node's kube-controller-manager holds its leader lease (holderIdentity NODE_NAME_UUID).
is_leader() {
  local holder
  holder=$(retry 3 kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=20s -n kube-system \
    get lease kube-controller-manager -o 'jsonpath={.spec.holderIdentity}')
  [[ $holder == "${NODE_NAME}_"* ]]
}

published_value() { join_value "$WORK_DIR/published" "$1"; }

# current: the published token still exists in the cluster, has more than the renewal margin left, and
# comes with this cluster CA's hash (a rotated CA, or a bad value, is replaced at once).
current() {
  local expires id
  secret_present "${WORKER_JOIN_SECRET_ID:?}" "$WORK_DIR/published" || return 1
  [ "$(published_value CA_CERT_HASH)" = "sha256:$(ca_cert_hash "$PKI_DIR/ca.crt")" ] || return 1
  expires=$(published_value EXPIRES)
  id=$(published_value TOKEN)
  id=${id%%.*}
  if ! [[ $expires =~ ^[0-9]+$ ]] || [ "$expires" -le $(($(date +%s) + WORKER_TOKEN_RENEW_SECONDS)) ]; then return 1; fi
  retry 3 kubeadm token list --kubeconfig "$ADMIN_KUBECONFIG" -o 'jsonpath={.token}{"\n"}' 2>/dev/null |
    redact_all_but_ids | grep -qx "$id"
}
# The ids of the listed tokens only: the secret part never leaves this pipe.
redact_all_but_ids() { sed -E 's/^([a-z0-9]{6})\.[a-z0-9]{16}$/\1/'; }

publish() {
  local token hash expires
  expires=$(($(date +%s) + WORKER_TOKEN_TTL_SECONDS))
  token=$(retry 5 kubeadm token create --kubeconfig "$ADMIN_KUBECONFIG" --ttl "${WORKER_TOKEN_TTL_SECONDS}s" \
    --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token \
    --description "kubeadm-ha worker join, published by $NODE_NAME")
  hash=$(ca_cert_hash "$PKI_DIR/ca.crt")
  # Nothing half-made is published: workers would wait on it until the next renewal.
  [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ && $hash =~ ^[a-f0-9]{64}$ ]] || die "kubeadm gave no usable token or CA hash"
  printf 'TOKEN=%s\nCA_CERT_HASH=sha256:%s\nEXPIRES=%s\n' "$token" "$hash" "$expires" >"$WORK_DIR/next"
  unset token
  retry 6 cloud_secret_put "$WORKER_JOIN_SECRET_ID" "$WORK_DIR/next"
  log "published a new worker token, valid until $(date -u -d "@$expires" +%Y-%m-%dT%H:%M:%SZ)"
}

main() {
  if ! bootstrap_done; then
    log "this control-plane node has not finished its bootstrap: no worker token to keep yet"
    return 0
  fi
  load_deploy_settings
  if ! is_leader; then
    log "another control-plane node's controller manager leads: it keeps the worker token"
    return 0
  fi
  if current; then
    log "the published worker token is current (until $(date -u -d "@$(published_value EXPIRES)" +%Y-%m-%dT%H:%M:%SZ))"
    return 0
  fi
  publish
}

main "$@"
