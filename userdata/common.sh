#!/usr/bin/env bash
# Shared helpers for the kubeadm-ha node scripts: settings, logging, bounded retries, step status,
# secrets and the bundles stored in them. Sourced (never run) by every node script. It loads the cluster
# settings from $KHA_ETC/node-settings.env and the cloud interface named by CLOUD_PROVIDER (cloud-aws.sh on
# instances, cloud-file.sh in tests). Every path can be moved with an environment variable so the
# same scripts run unprivileged on a laptop.

KHA_ETC=${KHA_ETC:-/etc/kubeadm-ha}
KHA_STATE=${KHA_STATE:-/var/lib/kubeadm-ha}
KHA_LOG=${KHA_LOG:-/var/log/kubeadm-ha}
KHA_RUN=${KHA_RUN:-/run/kubeadm-ha}
KHA_KUBE_DIR=${KHA_KUBE_DIR:-/etc/kubernetes}
KHA_HOSTS_FILE=${KHA_HOSTS_FILE:-/etc/hosts}
KHA_SCRIPT_DIR=${KHA_SCRIPT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# Backoff bounds, in seconds; tests shrink them.
KHA_BACKOFF_FIRST=${KHA_BACKOFF_FIRST:-2}
KHA_BACKOFF_MAX=${KHA_BACKOFF_MAX:-30}

# shellcheck source=/dev/null
. "$KHA_ETC/node-settings.env"
: "${CLUSTER_NAME:?node-settings.env must set CLUSTER_NAME}"
# The deploy settings (secret ARNs, the endpoint's names, route tables: what exists only once deployed),
# once load_deploy_settings has fetched them from their SSM parameter.
DEPLOY_SETTINGS_FILE=$KHA_ETC/deploy-settings.env
# shellcheck source=/dev/null
if [ -s "$DEPLOY_SETTINGS_FILE" ]; then . "$DEPLOY_SETTINGS_FILE"; fi
# Tests set KHA_CLOUD_PROVIDER=file to swap in the file-backed cloud interface.
CLOUD_PROVIDER=${KHA_CLOUD_PROVIDER:-${CLOUD_PROVIDER:-aws}}

mkdir -p "$KHA_STATE" "$KHA_LOG" "$KHA_RUN"
chmod 0700 "$KHA_STATE" "$KHA_LOG" "$KHA_RUN"
# Private by default (secrets pass through these scripts); what other programs read is written with
# its own mode (write_file, install -m), never through the umask.
umask 077

# The done marker: written once the node's bootstrap has fully succeeded; the bootstrap unit never runs after it.
bootstrap_done() { [ -e "$KHA_STATE/bootstrap.done" ]; }
mark_bootstrap_done() { touch "$KHA_STATE/bootstrap.done"; }

# log MESSAGE...: one timestamped line to the log file and to stderr (the console under cloud-init).
log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) ${NODE_NAME:-$CLUSTER_NAME} [${KHA_CURRENT_STEP:-main}] $*"
  printf '%s\n' "$line" >>"$KHA_LOG/bootstrap.log"
  printf '%s\n' "$line" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# next_backoff DELAY: the delay that follows DELAY seconds: doubled, at most KHA_BACKOFF_MAX.
next_backoff() { echo $(($1 * 2 > KHA_BACKOFF_MAX ? KHA_BACKOFF_MAX : $1 * 2)); }

# retry ATTEMPTS CMD...: runs CMD until it succeeds, at most ATTEMPTS times, with exponential
# backoff between KHA_BACKOFF_FIRST and KHA_BACKOFF_MAX seconds. Returns CMD's last status.
retry() {
  local attempts=$1 attempt=1 delay=$KHA_BACKOFF_FIRST status
  shift
  while true; do
    status=0
    "$@" || status=$?
    [ "$status" -eq 0 ] && return 0
    if [ "$attempt" -ge "$attempts" ]; then
      log "giving up after $attempt attempts (exit $status): $1"
      return "$status"
    fi
    log "attempt $attempt of $attempts failed (exit $status): $1; retrying in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$(next_backoff "$delay")
  done
}

# wait_until DEADLINE_SECONDS WHAT CMD...: polls CMD with the same backoff until it succeeds or the
# deadline passes (then returns 1). For waits on other nodes, which may legitimately take minutes.
wait_until() {
  local seconds=$1 what=$2 delay=$KHA_BACKOFF_FIRST deadline
  deadline=$(($(date +%s) + seconds))
  shift 2
  log "waiting for $what (up to $seconds s)"
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out waiting for $what"
      return 1
    fi
    sleep "$delay"
    delay=$(next_backoff "$delay")
  done
  log "done waiting for $what"
}

# on_error: the ERR trap inside run_errexit: logs the file, line and command that failed (as
# amazon-eks-ami's bootstrap does), so a failed step's log says where, not only which step. A pipeline
# is named by its last command: its statuses say which part failed. A function's failing `return` is
# not logged again: what failed in it was, or its own log line says why.
on_error() {
  local status=$? pipeline="${PIPESTATUS[*]}"
  [[ $BASH_COMMAND == return* ]] && return 0
  [[ $pipeline == *" "* ]] && pipeline=" (pipeline statuses: $pipeline)" || pipeline=""
  log "ERROR: exit $status at ${BASH_SOURCE[1]:-?}:${BASH_LINENO[0]:-?}: $BASH_COMMAND$pipeline"
}

# run_errexit CMD...: runs CMD in a subshell with errexit (and the ERR trap) on, its functions included,
# and leaves its status in ERREXIT_STATUS (returning 0). bash ignores `set -e` inside anything tested
# with `||`, `&&`, `if` or `!`, so a function that relies on errexit must be run this way, never tested.
run_errexit() {
  local errexit=0 err_trap
  [[ $- == *e* ]] && errexit=1
  err_trap=$(trap -p ERR)
  set +e
  trap - ERR # inside a run_errexit: the subshell logs its own failure, its exit status is not another
  (
    set -eE
    trap on_error ERR
    "$@"
  )
  ERREXIT_STATUS=$?
  eval "${err_trap:-trap - ERR}"
  [ "$errexit" -eq 0 ] || set -e
}

# step NAME CMD...: runs one named bootstrap step, publishing its progress through cloud_set_status.
# A failing step leaves the status "failed:NAME" (visible from outside the instance) and exits; the
# log names the file, line and command that failed.
step() {
  local name=$1
  shift
  KHA_CURRENT_STEP=$name
  log "step $name: start"
  cloud_set_status "running:$name"
  run_errexit "$@"
  if [ "$ERREXIT_STATUS" -ne 0 ]; then
    log "step $name: FAILED (exit $ERREXIT_STATUS); full log in $KHA_LOG/bootstrap.log"
    cloud_set_status "failed:$name"
    exit "$ERREXIT_STATUS"
  fi
  log "step $name: ok"
  KHA_CURRENT_STEP=main
}

# write_file MODE PATH: stdin into PATH with exactly MODE (also over an existing file with another mode),
# replaced atomically so a reader never sees half a file; its folder is created 0755 if missing.
write_file() {
  local mode=$1 path=$2 tmp
  install -d -m 0755 "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
}

# node_name_resolves: this node's name resolves to its own address from the hosts file, as kubeadm's
# preflight HostnameCheck wants (cmd/kubeadm/app/preflight/checks.go: it warns when the name does not
# resolve) and sudo too; EC2's resolver knows only ip-A-B-C-D names. Added once, kept on every re-run.
node_name_resolves() {
  local line="$NODE_IP $NODE_NAME"
  if grep -qxF "$line" "$KHA_HOSTS_FILE" 2>/dev/null; then return 0; fi
  printf '%s\n' "$line" >>"$KHA_HOSTS_FILE"
  log "$NODE_NAME resolves to $NODE_IP ($KHA_HOSTS_FILE)"
}

# apt_get ARGS...: apt-get, non-interactive, waiting for the dpkg lock that unattended-upgrades holds
# for minutes on a first boot (rather than failing at once).
KHA_APT_LOCK_TIMEOUT=${KHA_APT_LOCK_TIMEOUT:-900}
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout="$KHA_APT_LOCK_TIMEOUT" "$@"; }
# while_locked CMD...: CMD, run again while it fails on a lock that another apt or dpkg holds (a first
# boot's apt-daily or unattended-upgrades), up to KHA_APT_LOCK_TIMEOUT; other failures are returned at once.
while_locked() {
  local deadline=$(($(date +%s) + KHA_APT_LOCK_TIMEOUT)) out status
  while true; do
    status=0
    out=$("$@" 2>&1) || status=$?
    printf '%s\n' "$out" >&2
    if [ "$status" -eq 0 ] || ! grep -Eq "Could not get lock|lock was locked|database is locked" <<<"$out"; then
      return "$status"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || return "$status"
    log "apt or dpkg is locked by another process (apt-daily on a first boot?); waiting"
    sleep 5
  done
}
# apt_update: `apt-get update`, waiting as long for the lists lock (which the option above does not cover).
apt_update() { while_locked apt_get update; }
# dpkg_recover: finishes what a dpkg run cut short by a reboot or power loss left half-installed; until
# then apt refuses every command ("dpkg was interrupted, you must manually run 'dpkg --configure -a'":
# apt-pkg/deb/debsystem.cc).
# Does nothing when dpkg has nothing pending; keeps the configuration files already there.
dpkg_recover() {
  while_locked env DEBIAN_FRONTEND=noninteractive dpkg --configure -a --force-confdef --force-confold
}

# names_and_time: what a node that installs no Kubernetes package (an etcd member, a dedicated load
# balancer) needs like the control plane: its name resolving to its address, and chrony on the Amazon
# Time Sync source its user data holds (installed if the image lacks it, then restarted to read the source).
names_and_time() {
  node_name_resolves
  if ! command -v chronyd >/dev/null 2>&1; then
    retry 3 dpkg_recover
    retry 5 apt_update
    retry 3 apt_get install --no-install-recommends chrony
  fi
  systemctl restart chrony
}

# download_verified URL SHA256 FILE: URL into FILE, refused (and removed) unless its SHA-256 matches.
download_verified() {
  local url=$1 sha256=$2 out=$3
  retry 5 curl -fsSL --max-time 300 -o "$out" "$url"
  if ! echo "$sha256  $out" | sha256sum -c --quiet - >/dev/null 2>&1; then
    rm -f "$out"
    log "ERROR: $url does not match its SHA-256 $sha256"
    return 1
  fi
}

# secret_fetch ID FILE: the secret's value in FILE, or an empty FILE while it has none (the cloud
# interface's status 3); a secret that does not exist (status 4) stops the step at once, since no
# retry can fix a wrong id; other errors (throttling, network) are retried with backoff.
secret_fetch_once() {
  local status=0
  cloud_secret_get "$1" "$2" || status=$?
  [ "$status" -eq 3 ] && { : >"$2"; return 0; }
  [ "$status" -eq 4 ] && die "secret $1 does not exist (wrong id, or deleted): check the stack's outputs"
  return "$status"
}
secret_fetch() { retry 6 secret_fetch_once "$1" "$2"; }
# secret_present ID FILE: like secret_fetch, and succeeds only when the secret has a value.
secret_present() { secret_fetch "$1" "$2" && [ -s "$2" ]; }

# load_deploy_settings: the deploy settings from the parameter DEPLOY_SETTINGS_PARAMETER into deploy-settings.env,
# once (a re-run, or a node whose parameter changed since, keeps what it booted with), then sourced.
# The parameter exists before any instance (the instances depend on it): not finding it stops the step.
load_deploy_settings() {
  if [ ! -s "$DEPLOY_SETTINGS_FILE" ]; then
    retry 6 cloud_parameter_get "${DEPLOY_SETTINGS_PARAMETER:?}" "$KHA_RUN/deploy-settings.env" ||
      die "cannot read the deploy settings $DEPLOY_SETTINGS_PARAMETER: check the node's role and the stack"
    write_file 0644 "$DEPLOY_SETTINGS_FILE" <"$KHA_RUN/deploy-settings.env"
    rm -f "$KHA_RUN/deploy-settings.env"
    log "deploy settings from $DEPLOY_SETTINGS_PARAMETER"
  fi
  # shellcheck source=/dev/null
  . "$DEPLOY_SETTINGS_FILE"
}

# Secrets hold files as a base64 tar.gz.
# pack FILE DIR NAMES...: NAMES in DIR, packed into FILE (0600 via umask).
pack() {
  local out=$1 dir=$2
  shift 2
  (cd "$dir" && tar -czf - "$@") | base64 -w0 >"$out"
}
# unpack FILE DIR [NAMES...]: FILE's files (or only NAMES) into DIR.
unpack() {
  local in=$1 dir=$2
  shift 2
  base64 -d <"$in" | tar -C "$dir" -xzf - "$@"
}

# shellcheck source=/dev/null
. "$KHA_SCRIPT_DIR/cloud-$CLOUD_PROVIDER.sh"

# A node with no fixed name (a pool's worker) is the instance the cloud says it is: its private DNS name
# (the name the AWS cloud controller manager expects of a Node) and address, asked once and kept.
NODE_IDENTITY_FILE=$KHA_STATE/node-identity.env
if [ -z "${NODE_NAME:-}" ]; then
  if [ ! -s "$NODE_IDENTITY_FILE" ]; then
    identity=$(retry 6 cloud_node_identity) || die "cannot learn this instance's name and address from the cloud"
    read -r name ip <<<"$identity"
    [[ $name =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ && $ip =~ ^[0-9]+(\.[0-9]+){3}$ ]] ||
      die "the cloud gave no usable name and address: '$identity'"
    printf 'NODE_NAME=%s\nNODE_IP=%s\n' "$name" "$ip" | write_file 0644 "$NODE_IDENTITY_FILE"
    unset identity name ip
  fi
  # shellcheck source=/dev/null
  . "$NODE_IDENTITY_FILE"
fi
