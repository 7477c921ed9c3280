#!/usr/bin/env bash
# Bootstraps this member of an external etcd cluster. Run by the kubeadm-ha-bootstrap systemd unit
# (cloud-init starts it on first boot; systemd restarts it on failure and after a reboot, until the done
# marker exists); safe to run again by hand as root. Steps:
#   - its name in /etc/hosts and chrony on the Amazon Time Sync source (certificates need a true clock);
#   - install the pinned etcd release, verified against its SHA-256 (skipped when that version is there);
#   - etcd CA: member 0 creates it if the CA secret is empty and publishes it, plus the API server's etcd
#     client certificate to a second secret that only the control plane reads; the others wait for the CA;
#   - every member issues its own server and peer certificates from the CA (SANs: its IP and name, localhost);
#   - membership: with data on disk, just start. Otherwise, if a member with a majority answers: join the
#     running cluster ("existing"), after removing the entry a replaced instance left at this address
#     (only if that address fails a health check) and adding this one. If none answers: start as part of
#     the initial cluster ("new"), unless the CA secret records that the cluster formed before (then wait,
#     and fail rather than start an empty cluster);
#   - start etcd and wait until it serves with a majority; member 0 then records that the cluster formed.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${NODE_INDEX:?}" "${NODE_IP:?}" "${ETCD_ENDPOINTS:?}"
# ETCD_CA_SECRET_ID and ETCD_CLIENT_SECRET_ID come with the deploy-settings step.

KHA_ETCD_ENV_FILE=${KHA_ETCD_ENV_FILE:-/etc/etcd/etcd.env}
KHA_ETCD_STATE_FILE=${KHA_ETCD_STATE_FILE:-$(dirname "$KHA_ETCD_ENV_FILE")/state.env}
# shellcheck source=/dev/null
. "$KHA_ETCD_ENV_FILE" # ETCD_* flags: names, URLs, data dir and certificate paths
KHA_ETCD_INSTALL_CMD=${KHA_ETCD_INSTALL_CMD:-install_etcd}
KHA_NAMES_AND_TIME_CMD=${KHA_NAMES_AND_TIME_CMD:-names_and_time}
KHA_ETCD_START_CMD=${KHA_ETCD_START_CMD:-start_etcd_service}
KHA_JOIN_DEADLINE=${KHA_JOIN_DEADLINE:-3600}
PKI=$(dirname "$ETCD_TRUSTED_CA_FILE")
KHA_RUN=${KHA_RUN:-/run/kubeadm-ha}
mkdir -p "$KHA_RUN" "$PKI"
WORK_DIR=$(mktemp -d "$KHA_RUN/etcd.XXXXXX")
trap 'rm -rf "$WORK_DIR"' EXIT
read -r -a MEMBER_ENDPOINTS <<<"$ETCD_ENDPOINTS"
PEER_URL=$ETCD_INITIAL_ADVERTISE_PEER_URLS
CLIENT_URL=$ETCD_ADVERTISE_CLIENT_URLS
LOCAL_URL="https://127.0.0.1:${CLIENT_URL##*:}"

install_etcd() {
  ensure_etcd_user
  if /usr/local/bin/etcd --version 2>/dev/null | grep -q "etcd Version: ${ETCD_RELEASE:?}$"; then return 0; fi
  local name="etcd-v$ETCD_RELEASE-linux-${ETCD_RELEASE_ARCH:?}"
  download_verified "${ETCD_RELEASES:?}/v$ETCD_RELEASE/$name.tar.gz" "${ETCD_RELEASE_SHA256:?}" "$WORK_DIR/$name.tar.gz"
  tar -C "$WORK_DIR" -xzf "$WORK_DIR/$name.tar.gz" --no-same-owner
  install -m 0755 "$WORK_DIR/$name/etcd" "$WORK_DIR/$name/etcdctl" /usr/local/bin/
  log "etcd $ETCD_RELEASE installed (SHA-256 verified)"
}

# etcd runs as its own system user (the unit's User=etcd): it owns its data folder and its own keys.
ensure_etcd_user() {
  id -u etcd >/dev/null 2>&1 && return 0
  useradd --system --user-group --no-create-home --home-dir "$ETCD_DATA_DIR" --shell /usr/sbin/nologin etcd
  log "created the etcd system user"
}
# Run on every start: a re-run over files with other owners or modes puts them right.
own_etcd_files() {
  install -d -m 0700 -o etcd -g etcd "$ETCD_DATA_DIR"
  chmod 0755 "$PKI"
  chown etcd:etcd "$PKI/server.key" "$PKI/peer.key"
  chmod 0600 "$PKI/server.key" "$PKI/peer.key" "$PKI/ca.key"
  chmod 0644 "$PKI/ca.crt" "$PKI/server.crt" "$PKI/peer.crt"
}

# --no-block: a member of a new cluster reports ready only once a majority runs, which may take minutes.
start_etcd_service() {
  systemctl daemon-reload
  systemctl enable etcd
  systemctl restart --no-block etcd
}

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }

# issue NAME CN SANS [EXT_KEY_USAGE]: a key and certificate signed by the etcd CA, valid 10 years.
issue() {
  local name=$1 cn=$2 sans=$3 usage=${4:-serverAuth,clientAuth}
  new_key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "/CN=$cn" -out "$WORK_DIR/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s' \
    "$usage" "${sans:+subjectAltName=$sans}" >"$WORK_DIR/$name.ext"
  openssl x509 -req -in "$WORK_DIR/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$WORK_DIR/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
}

# The CA secret holds a base64 tar.gz of ca.crt and ca.key, plus a file "formed" once member 0 has
# seen the cluster healthy: after that, no member may ever start a new (empty) cluster.
CA_DIR=$WORK_DIR/ca-secret
cluster_formed() { [ -e "$CA_DIR/formed" ]; }

publish_ca() { # publish_ca [formed]: member 0 writes the CA (and the marker) from $CA_DIR
  [ -z "${1:-}" ] || : >"$CA_DIR/formed"
  pack "$WORK_DIR/ca.out" "$CA_DIR" ca.crt ca.key ${1:+formed}
  retry 6 cloud_secret_put "$ETCD_CA_SECRET_ID" "$WORK_DIR/ca.out"
}

# The secret is the source of truth. Member 0 publishes before it installs anything, so a failed
# publish leaves nothing behind that would skip publishing on a re-run.
ensure_ca() {
  mkdir -p "$CA_DIR"
  secret_fetch "$ETCD_CA_SECRET_ID" "$WORK_DIR/ca"
  if [ ! -s "$WORK_DIR/ca" ] && [ "$NODE_INDEX" -eq 0 ]; then
    if [ -s "$PKI/ca.crt" ] && [ -s "$PKI/ca.key" ]; then
      log "publishing the etcd CA an earlier run created"
      cp "$PKI/ca.crt" "$PKI/ca.key" "$CA_DIR/"
    else
      log "creating the etcd CA"
      new_key "$CA_DIR/ca.key"
      openssl req -x509 -new -key "$CA_DIR/ca.key" -subj "/CN=etcd-ca" -days 3650 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$CA_DIR/ca.crt" 2>/dev/null
    fi
    publish_ca
    log "published the etcd CA to the members' secret"
  else
    [ -s "$WORK_DIR/ca" ] || wait_until "$KHA_JOIN_DEADLINE" "the etcd CA from member 0" secret_present "$ETCD_CA_SECRET_ID" "$WORK_DIR/ca"
    unpack "$WORK_DIR/ca" "$CA_DIR"
  fi
  if ! cmp -s "$CA_DIR/ca.crt" "$PKI/ca.crt" || ! cmp -s "$CA_DIR/ca.key" "$PKI/ca.key"; then
    install -m 0644 "$CA_DIR/ca.crt" "$PKI/ca.crt"
    install -m 0600 "$CA_DIR/ca.key" "$PKI/ca.key"
    log "placed the etcd CA"
  fi
}

# The API server's client certificate goes to its own secret; the control plane never sees the CA key.
ensure_apiserver_client() {
  [ "$NODE_INDEX" -eq 0 ] || return 0
  secret_fetch "$ETCD_CLIENT_SECRET_ID" "$WORK_DIR/client"
  [ -s "$WORK_DIR/client" ] && return 0
  mkdir -p "$WORK_DIR/client-pki"
  issue apiserver-etcd-client kube-apiserver-etcd-client "" clientAuth
  mv "$PKI/apiserver-etcd-client.crt" "$PKI/apiserver-etcd-client.key" "$WORK_DIR/client-pki/"
  cp "$PKI/ca.crt" "$WORK_DIR/client-pki/ca.crt"
  pack "$WORK_DIR/client.out" "$WORK_DIR/client-pki" ca.crt apiserver-etcd-client.crt apiserver-etcd-client.key
  retry 6 cloud_secret_put "$ETCD_CLIENT_SECRET_ID" "$WORK_DIR/client.out"
  log "published the API server's etcd client certificate"
}

# Reuses a certificate that the current CA signed for this address; issues a new one otherwise.
ensure_member_certs() {
  local kind
  for kind in server peer; do
    if [ -s "$PKI/$kind.crt" ] && openssl verify -CAfile "$PKI/ca.crt" "$PKI/$kind.crt" >/dev/null 2>&1 &&
      openssl x509 -noout -ext subjectAltName -in "$PKI/$kind.crt" 2>/dev/null | grep -qF "IP Address:$NODE_IP,"; then
      continue
    fi
    if [ "$kind" = server ]; then
      issue server "$NODE_NAME" "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
    else
      issue peer "$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
    fi
    log "issued this member's $kind certificate"
  done
}

etcdctl_at() { # etcdctl_at ENDPOINT ARGS...: etcdctl over mutual TLS with this member's certificate
  local endpoint=$1
  shift
  ETCDCTL_API=3 etcdctl --endpoints="$endpoint" --cacert="$PKI/ca.crt" --cert="$PKI/server.crt" \
    --key="$PKI/server.key" --dial-timeout=2s --command-timeout="${ETCDCTL_TIMEOUT:-5s}" "$@"
}

# healthy_at ENDPOINT: the member there answers with a majority behind it. Bounded at 2 s: etcdctl
# keeps redialing a refused connection until its command timeout.
healthy_at() { ETCDCTL_TIMEOUT=2s etcdctl_at "$1" endpoint health >/dev/null 2>&1; }

HEALTHY_PEER=
find_healthy_peer() {
  local endpoint
  HEALTHY_PEER=
  for endpoint in "${MEMBER_ENDPOINTS[@]}"; do
    [ "$endpoint" = "$CLIENT_URL" ] && continue
    if healthy_at "$endpoint"; then
      HEALTHY_PEER=$endpoint
      return 0
    fi
  done
  return 1
}

# members_to FILE: the member list as a healthy member reports it, one line per member:
# "ID, STATUS, NAME, PEER_URLS, CLIENT_URLS, IS_LEARNER" (NAME and CLIENT_URLS stay empty until it starts).
members_to() { etcdctl_at "$HEALTHY_PEER" member list -w simple >"$1"; }

# join_existing: state.env that joins the running cluster as its member list shows it; etcd finds its
# own entry by this member's peer URL (members added but never started have no name yet).
join_existing() {
  members_to "$WORK_DIR/members"
  awk -F', ' -v me="$PEER_URL" -v my="$NODE_NAME" '
    { name = ($4 == me) ? my : ($3 == "" ? $1 : $3); cluster = cluster (NR > 1 ? "," : "") name "=" $4 }
    END { print "ETCD_INITIAL_CLUSTER_STATE=existing"; print "ETCD_INITIAL_CLUSTER=" cluster }' \
    "$WORK_DIR/members" >"$KHA_ETCD_STATE_FILE"
}

# Idempotent, so a retry after a lost answer does no harm.
remove_member() {
  members_to "$WORK_DIR/members"
  grep -q "^$1, " "$WORK_DIR/members" || return 0
  etcdctl_at "$HEALTHY_PEER" member remove "$1" >/dev/null
}
add_self() {
  members_to "$WORK_DIR/members"
  awk -F', ' -v url="$PEER_URL" '$4 == url { found = 1 } END { exit !found }' "$WORK_DIR/members" && return 0
  etcdctl_at "$HEALTHY_PEER" member add "$NODE_NAME" --peer-urls="$PEER_URL" >/dev/null
}

# Decides how etcd starts (state.env). Never starts a new cluster once one has formed, never removes a
# healthy member, and changes membership only through a member that has a majority (etcd's strict
# reconfiguration check refuses a change that would cost the quorum).
decide_membership() {
  if [ -d "$ETCD_DATA_DIR/member" ]; then
    log "etcd data found in $ETCD_DATA_DIR: restarting as the member it holds"
    [ -s "$KHA_ETCD_STATE_FILE" ] || echo "ETCD_INITIAL_CLUSTER_STATE=new" >"$KHA_ETCD_STATE_FILE"
    return 0
  fi
  if ! find_healthy_peer; then
    if ! cluster_formed; then
      log "no member answers and the cluster has never formed: starting as part of the initial cluster"
      echo "ETCD_INITIAL_CLUSTER_STATE=new" >"$KHA_ETCD_STATE_FILE"
      return 0
    fi
    wait_until "$KHA_JOIN_DEADLINE" "a member with a majority (the cluster exists: join it, never start an empty one)" find_healthy_peer ||
      die "the etcd cluster formed earlier but no member answers with a majority: restore it from a snapshot (docs/topologies.md, External etcd)"
  fi
  local line id client_urls
  members_to "$WORK_DIR/members"
  line=$(awk -F', ' -v url="$PEER_URL" '$4 == url' "$WORK_DIR/members" | head -n1)
  if [ -n "$line" ]; then
    id=${line%%,*}
    client_urls=$(printf '%s' "$line" | awk -F', ' '{print $5}')
    if [ -z "$client_urls" ]; then
      log "this member is listed but has never started: joining the running cluster"
      join_existing
      return 0
    fi
    if healthy_at "$CLIENT_URL"; then
      die "member $id at $PEER_URL answers health checks; refusing to remove a healthy member"
    fi
    log "removing stale member $id at $PEER_URL, left by the instance this one replaces"
    retry 5 remove_member "$id"
  fi
  log "adding this member to the running cluster through $HEALTHY_PEER"
  retry 5 add_self
  join_existing
}

local_health() { healthy_at "$LOCAL_URL"; }

# Healthy means a majority answers, so on first boot this waits for the other members too.
start_and_wait() {
  own_etcd_files
  "$KHA_ETCD_START_CMD"
  wait_until "$KHA_JOIN_DEADLINE" "etcd to serve on $LOCAL_URL with a majority" local_health
}

# Member 0 records that the cluster has formed, once it has seen it healthy.
mark_formed() {
  if [ "$NODE_INDEX" -ne 0 ] || cluster_formed; then return 0; fi
  publish_ca formed
  log "recorded in the CA secret that the cluster has formed"
}

main() {
  cloud_prepare
  step deploy-settings load_deploy_settings
  load_deploy_settings # the step ran in a subshell: source what it fetched here too
  step names-and-time "$KHA_NAMES_AND_TIME_CMD"
  step install-etcd "$KHA_ETCD_INSTALL_CMD"
  ensure_etcd_user
  step etcd-pki ensure_ca
  step etcd-client-certificate ensure_apiserver_client
  step member-certificates ensure_member_certs
  step membership decide_membership
  step start-etcd start_and_wait
  step mark-formed mark_formed
  mark_bootstrap_done
  cloud_set_status ready
  log "bootstrap complete: $NODE_NAME serves etcd"
}

main "$@"
