#!/usr/bin/env bash
# Approves the kubelets' serving certificate requests (the kubelets run with serverTLSBootstrap, so the
# API server and metrics-server reach them with a certificate of the cluster CA, never unverified),
# and only those a node may have: a pending request to the kubernetes.io/kubelet-serving signer, made by
# the node it names (username system:node:NAME, the subject's CN the same, O system:nodes), for no usage
# but digital signature, key encipherment and server auth, and for names and addresses the Node object
# holds and no others. Anything else stays pending, with the reason logged (a Node's addresses may come
# later; kube-controller-manager removes a request left pending for 24 hours). Run by a systemd timer on
# every control-plane node: approving twice is harmless. kube-controller-manager signs what is approved.
# Needs: a finished bootstrap (admin.conf), openssl.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"

WORK_DIR=$(mktemp -d "$KHA_RUN/serving-approver.XXXXXX")
trap 'rm -rf "$WORK_DIR"' EXIT
k() { retry 3 kubectl --kubeconfig "$KHA_KUBE_DIR/admin.conf" --request-timeout=20s "$@"; }

# refusal CSR: why CSR may not be approved, or nothing when it may.
refusal() {
  local csr=$1 user node subject usage names
  user=$(k get csr "$csr" -o 'jsonpath={.spec.username}')
  node=${user#system:node:}
  if [ "$user" = "$node" ] || [ -z "$node" ]; then
    echo "asked by $user, not a node"
    return
  fi
  k get csr "$csr" -o 'jsonpath={.spec.request}' | base64 -d >"$WORK_DIR/request.pem"
  subject=$(openssl req -in "$WORK_DIR/request.pem" -noout -subject -nameopt sep_multiline,utf8 | sed 1d | tr -d ' ' | sort | paste -sd,)
  [ "$subject" = "CN=system:node:$node,O=system:nodes" ] || { echo "its subject is $subject, not node $node's"; return; }
  for usage in $(k get csr "$csr" -o 'jsonpath={range .spec.usages[*]}{@}{"\n"}{end}' | tr ' ' '_'); do
    [[ $usage =~ ^(digital_signature|key_encipherment|server_auth)$ ]] || { echo "it asks for usage $usage"; return; }
  done
  # The names and addresses it asks for, each as the Node object would hold it (Hostname/DNS or IP).
  names=$(openssl req -in "$WORK_DIR/request.pem" -noout -text | grep -A1 'Subject Alternative Name:' | tail -n +2 |
    tr ',' '\n' | sed -E 's/^ *//; s/^IP Address:/IP=/; s/^DNS:/DNS=/' | sort -u)
  [ -n "$names" ] || { echo "it names no address"; return; }
  k get node "$node" -o 'jsonpath={range .status.addresses[*]}{.type}={.address}{"\n"}{end}' |
    sed -E 's/^(InternalIP|ExternalIP)=/IP=/; s/^(Hostname|InternalDNS|ExternalDNS)=/DNS=/' | sort -u >"$WORK_DIR/held"
  { grep -vxF -f "$WORK_DIR/held" <<<"$names" || true; } | paste -sd' ' | sed -E "s/^(.+)\$/node $node does not hold \\1/"
}

main() {
  if ! bootstrap_done; then
    log "this control-plane node has not finished its bootstrap: nothing to approve yet"
    return 0
  fi
  local csr why
  for csr in $(k get csr -o 'jsonpath={range .items[?(@.spec.signerName=="kubernetes.io/kubelet-serving")]}{.metadata.name}={.status.conditions[*].type}{"\n"}{end}' |
    sed -n 's/=$//p'); do
    why=$(refusal "$csr")
    if [ -n "$why" ]; then
      log "left $csr pending: $why"
    else
      k certificate approve "$csr" >/dev/null
      log "approved $csr"
    fi
  done
}

main "$@"
