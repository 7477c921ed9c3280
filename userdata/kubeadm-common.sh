#!/usr/bin/env bash
# What the scripts of kubeadm's nodes (control plane and workers) share: kubeadm's output logged with
# every token and key redacted, its leftovers cleared, each attempt cleaned up before the next, the
# cluster CA's hash. Sourced (never run) after common.sh.

PKI_DIR=$KHA_KUBE_DIR/pki

# redact: hides bootstrap tokens and 64-hex keys in tool output before it reaches any log.
redact() {
  sed -E 's/[a-z0-9]{6}\.[a-z0-9]{16}/<redacted-token>/g; s/[a-f0-9]{64}/<redacted-hex>/g'
}

# kubeadm_logged ARGS...: runs kubeadm with its redacted output in kubeadm.log and on the console.
kubeadm_logged() {
  log "kubeadm $1 (output in $KHA_LOG/kubeadm.log)"
  kubeadm "$@" 2>&1 | redact | tee -a "$KHA_LOG/kubeadm.log" >&2
}

# Files an unfinished kubeadm run left behind; kubeadm refuses to init or join over them.
kubeadm_leftovers() {
  compgen -G "$KHA_KUBE_DIR/manifests/*" >/dev/null || compgen -G "$KHA_KUBE_DIR/*.conf" >/dev/null || compgen -G "$PKI_DIR/*" >/dev/null
}
reset_leftovers() {
  kubeadm_leftovers || return 0
  log "clearing what an unfinished kubeadm run left on this node (kubeadm reset)"
  kubeadm_logged reset --force
}

# attempt_kubeadm WHAT ATTEMPT CLEANUP: runs ATTEMPT (errexit on) until it succeeds, at most
# KHA_KUBEADM_ATTEMPTS times, running CLEANUP after each failure. Returns the last attempt's status.
KHA_KUBEADM_ATTEMPTS=${KHA_KUBEADM_ATTEMPTS:-3}
attempt_kubeadm() {
  local what=$1 attempt_fn=$2 cleanup_fn=$3 attempt status delay=$KHA_BACKOFF_FIRST
  for ((attempt = 1; ; attempt++)); do
    run_errexit "$attempt_fn"
    status=$ERREXIT_STATUS
    [ "$status" -eq 0 ] && return 0
    log "kubeadm $what: attempt $attempt of $KHA_KUBEADM_ATTEMPTS failed (exit $status); cleaning up"
    run_errexit "$cleanup_fn"
    [ "$ERREXIT_STATUS" -eq 0 ] ||
      log "cleanup after the failed kubeadm $what did not finish; the next attempt starts with kubeadm reset"
    [ "$attempt" -lt "$KHA_KUBEADM_ATTEMPTS" ] || return "$status"
    sleep "$delay"
    delay=$(next_backoff "$delay")
  done
}

# fill_join TEMPLATE OUT TOKEN CA_CERT_HASH: the join document with the token and the CA's hash
# (sha256:HEX) in their placeholders. sed reads them from its script file (printf is a builtin), so
# the token never reaches a process's argv; the script is removed at once.
fill_join() {
  printf 's/%s/%s/\ns/%s/%s/\n' "${BOOTSTRAP_TOKEN_PLACEHOLDER:?}" "$3" "${CA_CERT_HASH_PLACEHOLDER:?}" "$4" >"$2.sed"
  sed -f "$2.sed" "$1" >"$2"
  rm -f "$2.sed"
}

# join_value FILE KEY: KEY's value in a worker join secret's KEY=VALUE lines (read, never sourced).
join_value() { sed -n "s/^$2=//p" "$1" | head -n1; }

# ca_cert_hash CA_CERT: the hash kubeadm pins discovery to: SHA-256 of the certificate's DER
# SubjectPublicKeyInfo, hex (cmd/kubeadm/app/util/pubkeypin/pubkeypin.go); `pkey` for RSA and ECDSA keys.
ca_cert_hash() {
  openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1
}
