#!/usr/bin/env bash
# The cloud interface, AWS implementation. Sourced by common.sh when CLOUD_PROVIDER=aws.
# Every script talks to the cloud only through these functions; cloud-file.sh implements the
# same ones on plain files for tests:
#   cloud_secret_get ID FILE   write the secret's value to FILE, byte for byte; exit 3 if it has no
#                              value yet; exit 4 if the secret does not exist (wrong id, deleted)
#   cloud_secret_put ID FILE   store FILE's content as the secret's new value
#   cloud_parameter_get NAME FILE  write the SSM parameter's value to FILE, byte for byte
#   cloud_set_status VALUE     publish this node's bootstrap status (best effort, never fails)
#   cloud_vip_move             make the VPC deliver $VIP to this instance ($VIP_MODE: route or
#                              secondary-ip); idempotent, so a caller retries it until it succeeds
#   cloud_provider_id          print this instance's Kubernetes provider ID, aws:///ZONE/INSTANCE-ID
#   cloud_node_identity        print this instance's name and address, "NAME IP" (a pool's node has no fixed one)
#   cloud_prepare              install what these functions need (the AWS CLI)
# Needs: aws CLI, curl, python3 (cloud-init's own), IMDS_ENDPOINT from node-settings.env. The region is the
# instance's own (from its metadata) unless AWS_REGION is set.
# The secret's value never reaches argv or logs.

export AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=6 AWS_PAGER=""
# Ubuntu's AWS CLI is a snap, in /snap/bin, which neither systemd's service PATH nor keepalived's
# (its notify scripts) holds: every caller finds it here (systemd.exec(5), "Environment Variables").
case ":$PATH:" in *:/snap/bin:*) ;; *) PATH=$PATH:/snap/bin ;; esac
IMDS_ENDPOINT=${IMDS_ENDPOINT:-http://169.254.169.254}

# imds PATH: reads instance metadata with an IMDSv2 session token (IMDSv1 is disabled on our instances).
imds() {
  local token
  token=$(curl -sSf --max-time 5 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" \
    "$IMDS_ENDPOINT/latest/api/token") || return 1
  curl -sSf --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$IMDS_ENDPOINT/latest/meta-data/$1"
}

# aws_in_region ARGS...: the AWS CLI in this instance's region, looked up once.
aws_in_region() {
  if [ -z "${AWS_REGION:-}" ]; then AWS_REGION=$(imds placement/region) || return 1; fi
  aws --region "$AWS_REGION" "$@"
}

# json_string: a JSON string on stdin, decoded byte for byte (--output text would add a newline).
json_string() { python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))'; }

# Both "no value yet" and "no such secret" come back as ResourceNotFoundException; only the message differs.
cloud_secret_get() {
  local id=$1 out=$2 err raw status=0
  err=$(mktemp -p "$KHA_RUN") raw=$(mktemp -p "$KHA_RUN")
  aws_in_region secretsmanager get-secret-value --secret-id "$id" --query SecretString --output json \
    >"$raw" 2>"$err" || status=$?
  if [ "$status" -eq 0 ]; then
    json_string <"$raw" >"$out" || status=$?
  elif grep -q "can't find the specified secret value" "$err"; then
    status=3 # the secret exists (Terraform created it) but nothing has been stored in it yet
  elif grep -Eq "ResourceNotFoundException|marked (for deletion|deleted)" "$err"; then
    log "secret $id does not exist or is deleted: $(head -c 300 "$err")"
    status=4
  else
    log "get-secret-value failed: $(head -c 300 "$err")"
  fi
  [ "$status" -eq 0 ] || rm -f "$out"
  rm -f "$err" "$raw"
  return "$status"
}

cloud_secret_put() {
  aws_in_region secretsmanager put-secret-value --secret-id "$1" \
    --secret-string "file://$2" --output text --query VersionId >/dev/null
}

cloud_parameter_get() {
  local raw status=0
  raw=$(mktemp -p "$KHA_RUN")
  aws_in_region ssm get-parameter --name "$1" --query Parameter.Value --output json >"$raw" || status=$?
  [ "$status" -eq 0 ] && { json_string <"$raw" >"$2" || status=$?; }
  rm -f "$raw"
  return "$status"
}

cloud_set_status() {
  local instance_id
  instance_id=$(imds instance-id 2>/dev/null) || { log "status $1 not published: no instance metadata"; return 0; }
  command -v aws >/dev/null 2>&1 || { log "status $1 not published: aws CLI not installed yet"; return 0; }
  aws_in_region ec2 create-tags --resources "$instance_id" \
    --tags "Key=${STATUS_TAG_KEY:?},Value=$1" >/dev/null 2>&1 || log "status $1 not published: create-tags failed"
  return 0
}

# Reads first and writes only what differs: the guard calls this every VIP_REASSERT_SECONDS, and
# an unneeded write is still a mutating call (CloudTrail, API rate limits). A write that fails is
# tried again at once, after reading again, so no route table is left pointing elsewhere until the
# next tick; returns non-zero only if the VIP is still not delivered here after 3 rounds.
cloud_vip_move() {
  local mac eni round
  mac=$(imds mac) || return 1
  eni=$(imds "network/interfaces/macs/$mac/interface-id") || return 1
  for round in 1 2 3; do
    vip_deliver "$eni" && return 0
    log "VIP $VIP not delivered to $eni everywhere yet (round $round of 3)"
  done
  return 1
}

# vip_deliver ENI: one round of read, then write where the VIP is not delivered to ENI.
vip_deliver() {
  local eni=$1 tables table held status=0
  case "$VIP_MODE" in
  secondary-ip)
    held=$(aws_in_region ec2 describe-network-interfaces --network-interface-ids "$eni" --output text \
      --query "length(NetworkInterfaces[0].PrivateIpAddresses[?PrivateIpAddress=='$VIP'])") || return 1
    [ "$held" = 1 ] && return 0
    aws_in_region ec2 assign-private-ip-addresses --network-interface-id "$eni" \
      --private-ip-addresses "$VIP" --allow-reassignment >/dev/null
    ;;
  route)
    # shellcheck disable=SC2086 # one argument per route table id
    tables=$(aws_in_region ec2 describe-route-tables --route-table-ids $ROUTE_TABLE_IDS --output text \
      --query "RouteTables[?length(Routes[?DestinationCidrBlock=='$VIP/32' && NetworkInterfaceId=='$eni']) == \`0\`].RouteTableId") ||
      return 1
    for table in $tables; do
      aws_in_region ec2 replace-route --route-table-id "$table" \
        --destination-cidr-block "$VIP/32" --network-interface-id "$eni" >/dev/null || status=1
    done
    return "$status"
    ;;
  *) log "unknown VIP_MODE '$VIP_MODE'"; return 2 ;;
  esac
}

cloud_provider_id() {
  local zone instance_id
  zone=$(imds placement/availability-zone) && instance_id=$(imds instance-id) || return 1
  echo "aws:///$zone/$instance_id"
}

# The private DNS name EC2 gives the instance (ip-A-B-C-D.REGION.compute.internal, or its resource name):
# what the AWS cloud controller manager looks a Node up by when it has no provider ID yet.
cloud_node_identity() {
  local name ip
  name=$(imds local-hostname) && ip=$(imds local-ipv4) || return 1
  echo "${name%% *} $ip"
}

cloud_prepare() {
  command -v aws >/dev/null 2>&1 && return 0
  retry 5 snap install aws-cli --classic
}
