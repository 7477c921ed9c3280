#!/usr/bin/env bash
# Bootstraps this worker node of a pool. Run by the kubeadm-ha-bootstrap systemd unit (a oneshot that
# cloud-init starts on first boot and systemd restarts on failure and after a reboot, until the done
# marker exists); safe to run again by hand as root. The protocol:
#   - the node is the instance the cloud says it is (common.sh: its private DNS name and address);
#   - it reads the worker join secret, in which the control plane keeps a bootstrap token valid for
#     longer than it waits between renewals, with the cluster CA's hash, and never a key: a new cluster's
#     node waits for the first one, a node that boots weeks later finds a current one;
#   - it runs `kubeadm join` through the stable endpoint, discovery pinned to that CA hash; an attempt
#     that fails is reset and retried with the secret read again, so a token renewed meanwhile is taken.
# The token never appears in argv or a log: it goes from the secret into the root-only join document
# in a tmpfs folder, which is removed with the run.
# Needs: node-settings.env and kubeadm-join.yaml in $KHA_ETC; install-kubernetes.sh, kubeadm-common.sh.
set -euo pipefail
KHA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$KHA_SCRIPT_DIR/common.sh"
# shellcheck source=kubeadm-common.sh
. "$KHA_SCRIPT_DIR/kubeadm-common.sh"
: "${POOL_NAME:?}" "${NODE_NAME:?}" "${NODE_IP:?}"

KHA_INSTALL_CMD=${KHA_INSTALL_CMD:-$KHA_SCRIPT_DIR/install-kubernetes.sh}
# How long a new node waits for the control plane's first worker token (seconds).
KHA_JOIN_DEADLINE=${KHA_JOIN_DEADLINE:-3600}
# kubeadm join returned success on this instance: it is a node of the cluster.
MEMBER_FILE=$KHA_STATE/kubeadm.done
# A token closer than this to its expiry is not used: the join could outlast it (seconds).
TOKEN_MARGIN_SECONDS=120

WORK_DIR=$(mktemp -d "$KHA_RUN/run.XXXXXX")
trap 'rm -rf "$WORK_DIR"' EXIT

# secret_value KEY: KEY's value in the worker join secret as last read.
secret_value() { join_value "$WORK_DIR/worker-join" "$1"; }

# usable_token: the secret holds a token with its CA hash that expires no sooner than the margin.
usable_token() {
  secret_present "${WORKER_JOIN_SECRET_ID:?}" "$WORK_DIR/worker-join" || return 1
  local expires
  expires=$(secret_value EXPIRES)
  [[ $(secret_value TOKEN) =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ && $(secret_value CA_CERT_HASH) =~ ^sha256:[a-f0-9]{64}$ ]] || {
    log "the worker join secret holds no token and CA hash yet"
    return 1
  }
  if ! [[ $expires =~ ^[0-9]+$ ]] || [ "$expires" -le $(($(date +%s) + TOKEN_MARGIN_SECONDS)) ]; then
    log "the worker join secret's token expires at ${expires:-?}: waiting for the control plane to renew it"
    return 1
  fi
}

# The join document with this instance's name, address and provider ID, and the endpoint's name.
render_join() {
  local provider_id
  provider_id=$(retry 5 cloud_provider_id)
  sed -e "s|${PROVIDER_ID_PLACEHOLDER:?}|$provider_id|" "$KUBEADM_PATCHES_DIR/kubeletconfiguration+strategic.yaml" |
    write_file 0644 "$KUBEADM_PATCHES_DIR/kubeletconfiguration+strategic.yaml"
  sed -e "s|${NODE_NAME_PLACEHOLDER:?}|$NODE_NAME|" -e "s|${NODE_IP_PLACEHOLDER:?}|$NODE_IP|" \
    -e "s|${ENDPOINT_HOST_PLACEHOLDER:?}|${ENDPOINT_HOST:?}|" "$KHA_ETC/kubeadm-join.yaml" >"$WORK_DIR/kubeadm-join.template.yaml"
  node_name_resolves
  log "kubelet provider ID: $provider_id; node $NODE_NAME ($NODE_IP) of pool $POOL_NAME; endpoint $ENDPOINT_HOST"
}

join_attempt() {
  reset_leftovers
  wait_until "$KHA_JOIN_DEADLINE" "a current worker token in the worker join secret" usable_token
  # The document is root-only, on tmpfs, and removed with the run.
  fill_join "$WORK_DIR/kubeadm-join.template.yaml" "$WORK_DIR/kubeadm-join.yaml" \
    "$(secret_value TOKEN)" "$(secret_value CA_CERT_HASH)"
  rm -f "$WORK_DIR/worker-join"
  kubeadm_logged join --config "$WORK_DIR/kubeadm-join.yaml"
}
join_cleanup() { kubeadm_logged reset --force; }

join_cluster() {
  attempt_kubeadm join join_attempt join_cleanup
  touch "$MEMBER_FILE"
}

main() {
  if bootstrap_done; then
    log "this worker joined earlier (its bootstrap finished); nothing to change"
    return 0
  fi
  step install-packages "$KHA_INSTALL_CMD"
  step deploy-settings load_deploy_settings
  load_deploy_settings # the step ran in a subshell: source what it fetched here too
  step node-config render_join
  if [ -e "$MEMBER_FILE" ]; then
    log "kubeadm already succeeded on this node; finishing its bootstrap"
  else
    step kubeadm-join join_cluster
  fi
  mark_bootstrap_done
  cloud_set_status ready
  log "bootstrap complete: $NODE_NAME is a worker of pool $POOL_NAME"
}

main "$@"
