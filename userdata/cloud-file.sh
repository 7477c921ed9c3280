#!/usr/bin/env bash
# The cloud interface, file-backed stand-in for tests. Sourced by common.sh when CLOUD_PROVIDER=file.
# Same functions as cloud-aws.sh, on files under $KHA_CLOUD_FILE_ROOT:
#   secrets/ID          a secret's value (empty: no value yet; absent: no such secret)
#   parameters/NAME     a parameter's value (NAME begins with "/")
#   status/NODE_NAME    the last status this node published
#   vip/VIP             the node the VIP is delivered to; vip/VIP.log every move, timestamped
#   throttle/OPERATION  a number N: the next N calls of OPERATION fail as if AWS throttled them
#   instance/NAME       "ZONE INSTANCE-ID" of the node NAME, as its metadata would tell
#   identity/INSTANCE   "NAME IP" of a node without a fixed name, KHA_CLOUD_FILE_INSTANCE

: "${KHA_CLOUD_FILE_ROOT:?KHA_CLOUD_FILE_ROOT must point at the stand-in store}"
mkdir -p "$KHA_CLOUD_FILE_ROOT/secrets" "$KHA_CLOUD_FILE_ROOT/status" "$KHA_CLOUD_FILE_ROOT/throttle" "$KHA_CLOUD_FILE_ROOT/vip" "$KHA_CLOUD_FILE_ROOT/instance"

# cloud_file_throttled OPERATION: consumes one simulated throttling error, if any are queued.
cloud_file_throttled() {
  local file="$KHA_CLOUD_FILE_ROOT/throttle/$1" left
  [ -s "$file" ] || return 1
  left=$(cat "$file")
  [ "$left" -gt 0 ] || return 1
  echo $((left - 1)) >"$file"
  log "$1: ThrottlingException (simulated)"
  return 0
}

cloud_secret_get() {
  local file="$KHA_CLOUD_FILE_ROOT/secrets/$1"
  cloud_file_throttled secret_get && return 1
  [ -e "$file" ] || return 4
  [ -s "$file" ] || return 3
  cp "$file" "$2"
}

cloud_secret_put() {
  cloud_file_throttled secret_put && return 1
  [ -e "$KHA_CLOUD_FILE_ROOT/secrets/$1" ] || return 4
  cp "$2" "$KHA_CLOUD_FILE_ROOT/secrets/$1.tmp"
  mv "$KHA_CLOUD_FILE_ROOT/secrets/$1.tmp" "$KHA_CLOUD_FILE_ROOT/secrets/$1"
}

cloud_parameter_get() {
  cloud_file_throttled parameter_get && return 1
  cp "$KHA_CLOUD_FILE_ROOT/parameters$1" "$2"
}

cloud_set_status() {
  printf '%s\n' "$1" >"$KHA_CLOUD_FILE_ROOT/status/$NODE_NAME"
}

# KHA_CLOUD_FILE_VIP_HOOK, if set, is run after each move: a lab uses it to deliver the VIP to this node only.
cloud_vip_move() {
  cloud_file_throttled vip_move && return 1
  printf '%s\n' "$NODE_NAME" >"$KHA_CLOUD_FILE_ROOT/vip/$VIP"
  printf '%s %s\n' "$(date +%s.%N)" "$NODE_NAME" >>"$KHA_CLOUD_FILE_ROOT/vip/$VIP.log"
  if [ -n "${KHA_CLOUD_FILE_VIP_HOOK:-}" ]; then VIP=$VIP VIP_MODE=$VIP_MODE "$KHA_CLOUD_FILE_VIP_HOOK"; fi
}

# instance/NODE_NAME holds "ZONE INSTANCE-ID", as the instance metadata would tell.
cloud_provider_id() {
  local zone id
  read -r zone id <"$KHA_CLOUD_FILE_ROOT/instance/$NODE_NAME" || return 1
  echo "aws:///$zone/$id"
}

cloud_node_identity() {
  cat "$KHA_CLOUD_FILE_ROOT/identity/${KHA_CLOUD_FILE_INSTANCE:?a node without a fixed name needs KHA_CLOUD_FILE_INSTANCE}"
}

cloud_prepare() { :; }
