#!/usr/bin/env bash
# Bootstraps this control-plane node. Run by the kubeadm-ha-bootstrap systemd unit (a oneshot that
# cloud-init starts on first boot and systemd restarts on failure and after a reboot, until the done
# marker exists); safe to run again by hand as root. The protocol:
#   - node 0 with an empty join secret runs `kubeadm init`, unless a peer answers (a cluster exists and its
#     secret was replaced: never a second cluster), and publishes the shared roots (CAs, SA key);
#   - every other node, and a replaced node 0, waits for those roots and for a ready API server (with
#     stacked etcd its predecessor, so etcd members are added one at a time; otherwise any peer), mints its
#     own short-lived bootstrap token with a one-hour admin credential derived from the CA, removes the etcd
#     member and the Node a previous instance left under its address and name, runs
#     `kubeadm join --control-plane`, and deletes its token.
# A node is a member only once kubeadm returned success on it (the kubeadm.done marker), never because
# some kubeadm file exists. A failed init or join is cleaned up (kubeadm reset; for a join, the etcd
# member it may have added and its token) before it is tried again, at most KHA_KUBEADM_ATTEMPTS times per run.
# Nothing depends on kubeadm's 2-hour certificate key or on a token made at init time, so a node
# that joins days later succeeds. Secrets stay on the nodes and in the cluster's own secret: kubeadm's
# output is logged with tokens and keys redacted, and the token never appears in argv of a long-lived
# process or in a file outside a root-only tmpfs folder.
# Needs: node-settings.env, kubeadm-init.yaml and kubeadm-join.yaml in $KHA_ETC; install-kubernetes.sh.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
# shellcheck source=kubeadm-common.sh
. "$KHA_SCRIPT_DIR/kubeadm-common.sh"
: "${NODE_INDEX:?}" "${NODE_IP:?}" "${CONTROL_PLANE_IPS:?}" "${CONTROL_PLANE_NAMES:?}" "${API_SERVER_PORT:?}"
# ENDPOINT_HOST, JOIN_SECRET_ID and the other deploy settings come with the deploy-settings step.

KHA_INSTALL_CMD=${KHA_INSTALL_CMD:-$KHA_SCRIPT_DIR/install-kubernetes.sh}
# A colocated keepalived + HAProxy endpoint must be up before kubeadm talks to the VIP.
ENDPOINT_SETUP_CMD=${KHA_ENDPOINT_SETUP_CMD:-${ENDPOINT_SETUP:-}}
# How long a joiner waits for the roots and its predecessor before it gives up (seconds).
KHA_JOIN_DEADLINE=${KHA_JOIN_DEADLINE:-3600}
ETCD_TOPOLOGY=${ETCD_TOPOLOGY:-stacked}
# The shared roots; with external etcd the control plane never holds the etcd CA key.
BUNDLE_FILES=(ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key)
[ "$ETCD_TOPOLOGY" = stacked ] && BUNDLE_FILES+=(etcd/ca.crt etcd/ca.key)
# kubeadm init or join returned success on this instance: it is a control-plane member.
MEMBER_FILE=$KHA_STATE/kubeadm.done
HOSTS_MARK="# kubeadm-ha bootstrap override"
read -r -a PEER_IPS <<<"$CONTROL_PLANE_IPS"
read -r -a PEER_NAMES <<<"$CONTROL_PLANE_NAMES"

WORK_DIR=$(mktemp -d "$KHA_RUN/run.XXXXXX")
trap 'endpoint_override_clear; rm -rf "$WORK_DIR"' EXIT

is_member() { [ -e "$MEMBER_FILE" ]; }

# The kubeadm configs with this instance's provider ID (aws:///ZONE/INSTANCE-ID) and the endpoint's
# names from the deploy settings filled in; the provider ID also in the kubelet's patch, in place, since
# `kubeadm upgrade node` applies the same patches later. The node's name resolves to its address.
render_configs() {
  local provider_id name placeholders i=0
  provider_id=$(retry 5 cloud_provider_id)
  local fill=(-e "s|${PROVIDER_ID_PLACEHOLDER:?}|$provider_id|" -e "s|${ENDPOINT_HOST_PLACEHOLDER:?}|${ENDPOINT_HOST:?}|g")
  # One placeholder per extra name the documents were synthesized with; a name beyond them has no place.
  read -r -a placeholders <<<"${API_SERVER_EXTRA_NAME_PLACEHOLDERS?}"
  for name in ${API_SERVER_EXTRA_NAMES:-}; do
    [ "$i" -lt "${#placeholders[@]}" ] || break
    fill+=(-e "s|${placeholders[$i]}|$name|g")
    i=$((i + 1))
  done
  printf '%s\n' "$provider_id" >"$WORK_DIR/provider-id"
  local patch
  for patch in "${KUBEADM_PATCHES_DIR:?}"/*; do
    if grep -qF "$PROVIDER_ID_PLACEHOLDER" "$patch"; then sed "${fill[@]}" "$patch" | write_file 0644 "$patch"; fi
  done
  node_name_resolves
  sed "${fill[@]}" "$KHA_ETC/kubeadm-init.yaml" >"$WORK_DIR/kubeadm-init.yaml"
  sed "${fill[@]}" "$KHA_ETC/kubeadm-join.yaml" >"$WORK_DIR/kubeadm-join.template.yaml"
  if grep -q "__[A-Z_0-9]*__" "$WORK_DIR/kubeadm-init.yaml"; then
    die "the deploy settings lack a name the kubeadm config needs: $(grep -o "__[A-Z_0-9]*__" "$WORK_DIR/kubeadm-init.yaml" | sort -u | tr '\n' ' ')"
  fi
  log "kubelet provider ID: $provider_id; endpoint $ENDPOINT_HOST"
}

# fetch_bundle: leaves the join secret's value in $WORK_DIR/bundle (empty file: no value yet).
fetch_bundle() { secret_fetch "${JOIN_SECRET_ID:?}" "$WORK_DIR/bundle"; }
bundle_published() { secret_present "$JOIN_SECRET_ID" "$WORK_DIR/bundle"; }

publish_bundle() {
  pack "$WORK_DIR/bundle.out" "$PKI_DIR" "${BUNDLE_FILES[@]}"
  retry 6 cloud_secret_put "$JOIN_SECRET_ID" "$WORK_DIR/bundle.out"
  rm -f "$KHA_STATE/init-started" # the cluster is real now: its etcd data is never cleared
  log "published the cluster's shared roots to the join secret"
  # The operator's way in (the admin-kubeconfig-command output), without a shell on a node.
  retry 6 cloud_secret_put "${ADMIN_KUBECONFIG_SECRET_ID:?}" "$KHA_KUBE_DIR/admin.conf"
  log "stored the admin kubeconfig in its secret"
}

install_bundle() {
  mkdir -p "$PKI_DIR/etcd"
  unpack "$WORK_DIR/bundle" "$PKI_DIR" "${BUNDLE_FILES[@]}"
  chmod 0600 "$PKI_DIR"/*.key
  log "placed the shared roots in $PKI_DIR"
}

# etcd_request PATH [JSON]: etcd's HTTP API (GET, or POST of JSON to its gateway) through the first
# member that answers successfully, with the API server's client certificate (external etcd; the
# control plane has no etcdctl).
ETCD_CLIENT_DIR=$WORK_DIR/etcd-client.d
etcd_request() {
  local endpoint body=()
  [ -z "${2:-}" ] || body=(-X POST -d "$2")
  for endpoint in $ETCD_ENDPOINTS; do
    curl -sf --max-time 10 --cacert "$ETCD_CLIENT_DIR/ca.crt" --cert "$ETCD_CLIENT_DIR/apiserver-etcd-client.crt" \
      --key "$ETCD_CLIENT_DIR/apiserver-etcd-client.key" "${body[@]}" "$endpoint$1" 2>/dev/null && return 0
  done
  return 1
}

# External etcd: the API server's client certificate (from member 0) and an etcd that answers.
etcd_healthy() { etcd_request /health | grep -q '"health":"true"'; }
# The files kubeadm's etcd.external points at (kubeadm reset removes them with the rest of pki/).
place_etcd_client() {
  install -d -m 0755 "$PKI_DIR/etcd"
  install -m 0644 "$ETCD_CLIENT_DIR/ca.crt" "$PKI_DIR/etcd/ca.crt"
  install -m 0644 "$ETCD_CLIENT_DIR/apiserver-etcd-client.crt" "$PKI_DIR/"
  install -m 0600 "$ETCD_CLIENT_DIR/apiserver-etcd-client.key" "$PKI_DIR/"
}
wait_external_etcd() {
  wait_until "$KHA_JOIN_DEADLINE" "the etcd client certificate from etcd member 0" secret_present "$ETCD_CLIENT_SECRET_ID" "$WORK_DIR/etcd-client"
  mkdir -p "$ETCD_CLIENT_DIR"
  unpack "$WORK_DIR/etcd-client" "$ETCD_CLIENT_DIR" ca.crt apiserver-etcd-client.crt apiserver-etcd-client.key
  wait_until "$KHA_JOIN_DEADLINE" "a healthy external etcd" etcd_healthy
}

# While bootstrapping, the endpoint name resolves to a known-ready API server (this node for init,
# the seed for a join), so nothing waits for the load balancer to register and pass health checks.
endpoint_override_set() {
  endpoint_override_clear
  [[ $ENDPOINT_HOST =~ ^[0-9.]+$ ]] && return 0 # a virtual IP needs no name override
  printf '%s %s %s\n' "$1" "$ENDPOINT_HOST" "$HOSTS_MARK" >>"$KHA_HOSTS_FILE"
}
endpoint_override_clear() {
  if [ -f "$KHA_HOSTS_FILE" ] && grep -qF "$HOSTS_MARK" "$KHA_HOSTS_FILE"; then
    grep -vF "$HOSTS_MARK" "$KHA_HOSTS_FILE" >"$KHA_HOSTS_FILE.kubeadm-ha" || true
    cat "$KHA_HOSTS_FILE.kubeadm-ha" >"$KHA_HOSTS_FILE"
    rm -f "$KHA_HOSTS_FILE.kubeadm-ha"
  fi
}

api_ready() {
  curl -sf --max-time 5 --cacert "$PKI_DIR/ca.crt" "https://$1:$API_SERVER_PORT/readyz" >/dev/null 2>&1
}

# pick_seed: the API server this node joins through. With stacked etcd node i>0 waits for node i-1
# (strict order: one etcd member add at a time); with external etcd kubeadm adds no member, so any ready
# peer will do (a stopped node 1 must not hold up a replaced node 2), as for a replaced node 0.
SEED_INDEX=
pick_seed_once() {
  local i
  if [ "$ETCD_TOPOLOGY" = stacked ] && [ "$NODE_INDEX" -gt 0 ]; then
    i=$((NODE_INDEX - 1))
    api_ready "${PEER_IPS[$i]}" && SEED_INDEX=$i && return 0
    return 1
  fi
  for i in "${!PEER_IPS[@]}"; do
    [ "$i" -eq "$NODE_INDEX" ] && continue
    api_ready "${PEER_IPS[$i]}" && SEED_INDEX=$i && return 0
  done
  return 1
}

# remove_stale_member ADMIN_KUBECONFIG: an etcd member registered at this node's address belongs to
# the instance this one replaced (two instances cannot hold one address). It is removed only if its
# client URL does not answer a health check, so a healthy member is never removed.
remove_stale_member() {
  local kubeconfig=$1 seed_name=${PEER_NAMES[$SEED_INDEX]} members id
  local etcdctl=(kubectl --kubeconfig "$kubeconfig" -n kube-system exec "etcd-$seed_name" -c etcd --
    etcdctl --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt
    --key=/etc/kubernetes/pki/etcd/healthcheck-client.key)
  members=$(retry 5 "${etcdctl[@]}" --endpoints=https://127.0.0.1:2379 member list -w simple)
  id=$(printf '%s\n' "$members" | awk -F', ' -v url="https://$NODE_IP:2380" \
    '{ n = split($4, urls, ","); for (i = 1; i <= n; i++) if (urls[i] == url) print $1 }')
  if [ -z "$id" ]; then
    log "no etcd member at https://$NODE_IP:2380: nothing stale to remove"
    return 0
  fi
  if "${etcdctl[@]}" --endpoints="https://$NODE_IP:2379" --command-timeout=5s endpoint health >/dev/null 2>&1; then
    die "etcd member $id at $NODE_IP answers health checks; refusing to remove a healthy member"
  fi
  log "removing stale etcd member $id (https://$NODE_IP:2380), left by the instance this one replaces"
  retry 5 "${etcdctl[@]}" --endpoints=https://127.0.0.1:2379 member remove "$id" >/dev/null
}

# remove_foreign_node ADMIN_KUBECONFIG: a Node with this node's name that another instance registered
# (the one this replaces) is deleted before the join. A Node's spec.providerID cannot change once set
# (k8s.io/kubernetes pkg/apis/core/validation/validation.go, ValidateNodeUpdate), so the new kubelet would
# keep the old instance's ID, which a cloud controller takes for a terminated instance's Node.
remove_foreign_node() {
  local kubeconfig=$1 mine registered
  mine=$(cat "$WORK_DIR/provider-id")
  registered=$(retry 5 kubectl --kubeconfig "$kubeconfig" get node "$NODE_NAME" --ignore-not-found -o 'jsonpath={.spec.providerID}')
  if [ -z "$registered" ] || [ "$registered" = "$mine" ]; then return 0; fi
  log "deleting Node $NODE_NAME of another instance ($registered); this instance is $mine"
  retry 5 kubectl --kubeconfig "$kubeconfig" delete node "$NODE_NAME" --ignore-not-found >/dev/null
}

# Base64 of "/registry" and "/registrz": the range of every key the API server writes.
REGISTRY_RANGE='"key":"L3JlZ2lzdHJ5","range_end":"L3JlZ2lzdHJ6"'

# kubeadm reset leaves external etcd's data alone. Kubernetes data there while the join secret is empty
# comes from this node's own aborted init (it left a marker: cleared) or from a cluster whose join
# secret was lost (refused: initializing on top would mix two clusters' objects).
clear_aborted_init_data() {
  local answer count
  answer=$(retry 5 etcd_request /v3/kv/range "{$REGISTRY_RANGE,\"count_only\":true}")
  count=$(printf '%s' "$answer" | sed -n 's/.*"count":"\{0,1\}\([0-9]*\).*/\1/p')
  [ "${count:-0}" -eq 0 ] && return 0
  if [ ! -e "$KHA_STATE/init-started" ]; then
    die "external etcd already holds $count Kubernetes keys but the join secret is empty: restore the join secret, or clear /registry in etcd if that cluster is gone for good"
  fi
  log "clearing $count keys an earlier, aborted kubeadm init of this node left in external etcd"
  retry 5 etcd_request /v3/kv/deleterange "{$REGISTRY_RANGE}" >/dev/null
}

# peer_answers IP PORT PATH: a server answers at https://IP:PORT (anything but a refused or timed-out
# connection, a TLS handshake refused for want of a client certificate included); no CA is trusted yet.
peer_answers() {
  local status=0
  curl -sk --connect-timeout 3 --max-time 5 -o /dev/null "https://$1:$2$3" || status=$?
  [ "$status" -ne 7 ] && [ "$status" -ne 28 ]
}

# no_other_cluster: node 0 with an empty join secret inits only while no peer answers. A peer's API
# server, or with stacked etcd its etcd, means a cluster exists whose join secret was emptied or replaced
# (a deploy that replaces the secret makes a new, empty one): an init would put a second cluster, with a
# new CA, behind the same endpoint.
no_other_cluster() {
  local i port
  for i in "${!PEER_IPS[@]}"; do
    [ "$i" -eq "$NODE_INDEX" ] && continue
    for port in "$API_SERVER_PORT" $([ "$ETCD_TOPOLOGY" = stacked ] && echo 2379); do
      if peer_answers "${PEER_IPS[$i]}" "$port" "$([ "$port" = 2379 ] && echo /version || echo /readyz)"; then
        die "the join secret is empty but ${PEER_NAMES[$i]} (${PEER_IPS[$i]}) answers on $port: a cluster exists, and this node will not start a second cluster: put the cluster's shared roots back in the join secret (${BUNDLE_FILES[*]} from /etc/kubernetes/pki of a running control-plane node, packed as in the docs/operating.md, Restoring the join secret), then systemctl reset-failed kubeadm-ha-bootstrap.service and start it here"
      fi
    done
  done
  log "no control-plane peer answers: no cluster exists yet"
}

init_attempt() {
  reset_leftovers
  if [ "$ETCD_TOPOLOGY" = external ]; then
    place_etcd_client
    clear_aborted_init_data
  fi
  touch "$KHA_STATE/init-started"
  endpoint_override_set "$NODE_IP"
  kubeadm_logged init --config "$WORK_DIR/kubeadm-init.yaml"
  endpoint_override_clear
}
# kubeadm reset removes what the failed init wrote; with external etcd the next attempt clears the
# keys it wrote there (it left the init-started marker).
init_cleanup() {
  endpoint_override_clear
  kubeadm_logged reset --force
}
init_cluster() {
  attempt_kubeadm init init_attempt init_cleanup
  touch "$MEMBER_FILE"
}

join_attempt() {
  local token hash
  reset_leftovers
  install_bundle
  if [ "$ETCD_TOPOLOGY" = external ]; then place_etcd_client; fi
  wait_until "$KHA_JOIN_DEADLINE" "a ready API server to join through" pick_seed_once
  echo "$SEED_INDEX" >"$WORK_DIR/seed"
  log "joining through ${PEER_NAMES[$SEED_INDEX]} (${PEER_IPS[$SEED_INDEX]})"
  endpoint_override_set "${PEER_IPS[$SEED_INDEX]}"

  # A one-hour admin credential derived from the CA: enough to mint a token and tidy etcd.
  kubeadm kubeconfig user --config "$WORK_DIR/kubeadm-init.yaml" --client-name "kubeadm-ha:$NODE_NAME" \
    --org kubeadm:cluster-admins --validity-period 1h >"$WORK_DIR/admin.conf" 2> >(redact >&2)
  if [ "$ETCD_TOPOLOGY" = stacked ]; then remove_stale_member "$WORK_DIR/admin.conf"; fi
  remove_foreign_node "$WORK_DIR/admin.conf"

  token=$(retry 5 kubeadm token create --kubeconfig "$WORK_DIR/admin.conf" --ttl 15m \
    --description "kubeadm-ha join of $NODE_NAME")
  printf '%s\n' "${token%%.*}" >"$WORK_DIR/token-id"
  hash=$(ca_cert_hash "$PKI_DIR/ca.crt")
  fill_join "$WORK_DIR/kubeadm-join.template.yaml" "$WORK_DIR/kubeadm-join.yaml" "$token" "sha256:$hash"
  unset token
  kubeadm_logged join --config "$WORK_DIR/kubeadm-join.yaml"
  endpoint_override_clear
}

# The token this run minted is deleted once it has served (or failed): it must not outlive the join.
delete_token() {
  [ -s "$WORK_DIR/token-id" ] || return 0
  retry 3 kubeadm token delete "$(cat "$WORK_DIR/token-id")" --kubeconfig "$WORK_DIR/admin.conf" >/dev/null
  rm -f "$WORK_DIR/token-id"
  log "deleted the bootstrap token this node joined with"
}

# kubeadm reset removes this node's files and, when it can reach the cluster, its etcd member; the
# member is removed here too if it is still listed (reset could not), as a stale member would be.
join_cleanup() {
  endpoint_override_clear
  kubeadm_logged reset --force
  if [ "$ETCD_TOPOLOGY" = stacked ] && [ -s "$WORK_DIR/admin.conf" ] && [ -s "$WORK_DIR/seed" ]; then
    SEED_INDEX=$(cat "$WORK_DIR/seed")
    remove_stale_member "$WORK_DIR/admin.conf"
  fi
  delete_token
}

join_cluster() {
  wait_until "$KHA_JOIN_DEADLINE" "the cluster's shared roots in the join secret" bundle_published
  attempt_kubeadm join join_attempt join_cleanup
  touch "$MEMBER_FILE"
  delete_token
}

main() {
  endpoint_override_clear # a power loss in the middle of a run can leave it behind
  if bootstrap_done; then
    log "this node is already a control-plane member (its bootstrap finished earlier); nothing to change"
    return 0
  fi
  step install-packages "$KHA_INSTALL_CMD"
  step deploy-settings load_deploy_settings
  load_deploy_settings # the step ran in a subshell: source what it fetched here too
  if [ -n "$ENDPOINT_SETUP_CMD" ]; then
    step api-endpoint "$ENDPOINT_SETUP_CMD"
  fi
  step read-join-secret fetch_bundle
  step node-config render_configs

  if is_member; then
    log "kubeadm already succeeded on this node; finishing its bootstrap"
    if [ "$NODE_INDEX" -eq 0 ] && [ ! -s "$WORK_DIR/bundle" ]; then
      step publish-roots publish_bundle # init finished earlier but publishing did not
    fi
  elif [ "$NODE_INDEX" -eq 0 ] && [ ! -s "$WORK_DIR/bundle" ]; then
    step no-other-cluster no_other_cluster
    if [ "$ETCD_TOPOLOGY" = external ]; then step external-etcd wait_external_etcd; fi
    step kubeadm-init init_cluster
    step publish-roots publish_bundle
  else
    if [ "$ETCD_TOPOLOGY" = external ]; then step external-etcd wait_external_etcd; fi
    step kubeadm-join join_cluster
  fi
  mark_bootstrap_done
  cloud_set_status ready
  # The worker token now, not at the timer's next run (up to 10 minutes): workers may be waiting for it.
  systemctl start --no-block kubeadm-ha-worker-token.service || log "the worker token keeper did not start; its timer runs it"
  log "bootstrap complete: $NODE_NAME is a control-plane node"
}

# Run when executed (cloud-init); only define the functions when sourced (the etcd system test).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
