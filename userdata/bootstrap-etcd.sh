#!/usr/bin/env bash
# Bootstraps this member of an external etcd cluster; cloud-init runs it once per instance (runcmd)
# and it is safe to run again by hand as root. Steps:
#   - install the pinned etcd release, verified against its SHA-256 (skipped when that version is there);
#   - etcd CA: member 0 creates it if the CA secret is empty and publishes it, plus the API server's etcd
#     client certificate to a second secret that only the control plane reads; the others wait for the CA;
#   - every member issues its own server and peer certificates from the CA (SANs: its IP and name, localhost);
#   - membership: with data on disk, just start; if a healthy member answers and lists a started member at
#     this address (the instance this one replaced), remove it (only if it fails a health check) and re-add
#     this one, starting as "existing"; otherwise start as part of the initial cluster ("new");
#   - start etcd and wait until it serves over TLS.
# Needs: cluster.env, etcd.env (rendered flags), openssl, etcdctl after install. Private keys never leave
# the members except the CA to its secret; logs carry no key material.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
: "${NODE_INDEX:?}" "${NODE_IP:?}" "${ETCD_ENDPOINTS:?}" "${ETCD_CA_SECRET_ID:?}" "${ETCD_CLIENT_SECRET_ID:?}"

ETCD_ENV_FILE=${ETCD_ENV_FILE:-/etc/etcd/etcd.env}
ETCD_STATE_FILE=${ETCD_STATE_FILE:-$(dirname "$ETCD_ENV_FILE")/state.env}
# shellcheck source=/dev/null
. "$ETCD_ENV_FILE" # ETCD_* flags: names, URLs, data dir and certificate paths
KHA_ETCD_INSTALL_CMD=${KHA_ETCD_INSTALL_CMD:-install_etcd}
KHA_ETCD_START_CMD=${KHA_ETCD_START_CMD:-start_etcd_service}
JOIN_DEADLINE=${JOIN_DEADLINE:-3600}
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
  if etcd --version 2>/dev/null | grep -q "etcd Version: ${ETCD_RELEASE:?}$"; then return 0; fi
  local name="etcd-v$ETCD_RELEASE-linux-${ETCD_RELEASE_ARCH:?}"
  retry 5 curl -fsSL --max-time 300 -o "$WORK_DIR/$name.tar.gz" \
    "https://github.com/etcd-io/etcd/releases/download/v$ETCD_RELEASE/$name.tar.gz"
  echo "${ETCD_RELEASE_SHA256:?}  $WORK_DIR/$name.tar.gz" | sha256sum -c --quiet - || die "etcd download does not match its SHA-256"
  tar -C "$WORK_DIR" -xzf "$WORK_DIR/$name.tar.gz"
  install -m 0755 "$WORK_DIR/$name/etcd" "$WORK_DIR/$name/etcdctl" /usr/local/bin/
  log "etcd $ETCD_RELEASE installed (SHA-256 verified)"
}

# --no-block: a member of a new cluster reports ready only once a majority runs, which may take minutes.
start_etcd_service() {
  systemctl daemon-reload
  systemctl enable etcd
  systemctl restart --no-block etcd
}

# secret_fetch ID FILE: 0 with the value in FILE, 3 when the secret has no value yet (retries errors).
secret_fetch_once() {
  local status=0
  cloud_secret_get "$1" "$2" || status=$?
  [ "$status" -eq 3 ] && { : >"$2"; return 0; }
  return "$status"
}
secret_fetch() { retry 6 secret_fetch_once "$1" "$2"; }
secret_present() { secret_fetch "$1" "$2" && [ -s "$2" ]; }

# pack FILE DIR NAMES...: base64 tar.gz of NAMES in DIR, written to FILE (0600 via umask).
pack() {
  local out=$1 dir=$2
  shift 2
  (cd "$dir" && tar -czf - "$@") | base64 -w0 >"$out"
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

ensure_ca() {
  if [ -s "$PKI/ca.crt" ] && [ -s "$PKI/ca.key" ]; then return 0; fi
  secret_fetch "$ETCD_CA_SECRET_ID" "$WORK_DIR/ca"
  if [ ! -s "$WORK_DIR/ca" ]; then
    if [ "$NODE_INDEX" -eq 0 ]; then
      log "creating the etcd CA"
      new_key "$PKI/ca.key"
      openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=etcd-ca" -days 3650 -out "$PKI/ca.crt" 2>/dev/null
      pack "$WORK_DIR/ca.out" "$PKI" ca.crt ca.key
      retry 6 cloud_secret_put "$ETCD_CA_SECRET_ID" "$WORK_DIR/ca.out"
      log "published the etcd CA to the members' secret"
      return 0
    fi
    wait_until "$JOIN_DEADLINE" "the etcd CA from member 0" secret_present "$ETCD_CA_SECRET_ID" "$WORK_DIR/ca"
  fi
  base64 -d <"$WORK_DIR/ca" | tar -C "$PKI" -xzf - ca.crt ca.key
  chmod 0600 "$PKI/ca.key"
  log "placed the etcd CA"
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
    --key="$PKI/server.key" --command-timeout=5s "$@"
}

HEALTHY_PEER=
find_healthy_peer() {
  local endpoint
  HEALTHY_PEER=
  for endpoint in "${MEMBER_ENDPOINTS[@]}"; do
    [ "$endpoint" = "$CLIENT_URL" ] && continue
    if etcdctl_at "$endpoint" endpoint health >/dev/null 2>&1; then
      HEALTHY_PEER=$endpoint
      return 0
    fi
  done
  return 1
}

# Writes state.env: "new" for the initial cluster, "existing" (with the current membership) after an add.
decide_membership() {
  if [ -d "$ETCD_DATA_DIR/member" ]; then
    log "etcd data found in $ETCD_DATA_DIR: restarting as the member it holds"
    [ -s "$ETCD_STATE_FILE" ] || echo "ETCD_INITIAL_CLUSTER_STATE=new" >"$ETCD_STATE_FILE"
    return 0
  fi
  if ! find_healthy_peer; then
    log "no member answers yet: starting as part of the initial cluster"
    echo "ETCD_INITIAL_CLUSTER_STATE=new" >"$ETCD_STATE_FILE"
    return 0
  fi
  local line id status
  line=$(etcdctl_at "$HEALTHY_PEER" member list -w simple | awk -F', ' -v url="$PEER_URL" '$4 == url' | head -n1)
  if [ -n "$line" ]; then
    id=${line%%,*}
    status=$(printf '%s' "$line" | awk -F', ' '{print $2}')
    if [ "$status" = unstarted ]; then
      log "this member is in the initial cluster and has not started yet: joining it as new"
      echo "ETCD_INITIAL_CLUSTER_STATE=new" >"$ETCD_STATE_FILE"
      return 0
    fi
    if etcdctl_at "$CLIENT_URL" endpoint health >/dev/null 2>&1; then
      die "member $id at $PEER_URL answers health checks; refusing to remove a healthy member"
    fi
    log "removing stale member $id at $PEER_URL, left by the instance this one replaces"
    retry 5 etcdctl_at "$HEALTHY_PEER" member remove "$id" >/dev/null
  fi
  log "adding this member to the running cluster through $HEALTHY_PEER"
  retry 5 etcdctl_at "$HEALTHY_PEER" member add "$NODE_NAME" --peer-urls="$PEER_URL" >"$WORK_DIR/added"
  {
    echo "ETCD_INITIAL_CLUSTER_STATE=existing"
    grep '^ETCD_INITIAL_CLUSTER=' "$WORK_DIR/added"
  } >"$ETCD_STATE_FILE"
}

local_health() { etcdctl_at "$LOCAL_URL" endpoint health >/dev/null 2>&1; }

# Healthy means a majority answers, so on first boot this waits for the other members too.
start_and_wait() {
  "$KHA_ETCD_START_CMD"
  wait_until "$JOIN_DEADLINE" "etcd to serve on $LOCAL_URL with a majority" local_health
}

main() {
  cloud_prepare
  step install-etcd "$KHA_ETCD_INSTALL_CMD"
  step etcd-pki ensure_ca
  step etcd-client-certificate ensure_apiserver_client
  step member-certificates ensure_member_certs
  step membership decide_membership
  step start-etcd start_and_wait
  cloud_set_status ready
  log "bootstrap complete: $NODE_NAME serves etcd"
}

main "$@"
