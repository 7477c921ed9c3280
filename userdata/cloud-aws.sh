#!/usr/bin/env bash
# The cloud interface, AWS implementation. Sourced by common.sh when CLOUD_PROVIDER=aws.
# Every script talks to the cloud only through these functions; cloud-file.sh implements the
# same ones on plain files for tests:
#   cloud_secret_get ID FILE   write the secret's value to FILE; exit 3 if it has no value yet
#   cloud_secret_put ID FILE   store FILE's content as the secret's new value
#   cloud_set_status VALUE     publish this node's bootstrap status (best effort, never fails)
#   cloud_vip_move             make the VPC deliver $VIP to this instance ($VIP_MODE: route or secondary-ip)
#   cloud_prepare              install what these functions need (the AWS CLI)
# Needs: aws CLI v2, curl, AWS_REGION from cluster.env. The secret's value never reaches argv or logs.

export AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=6 AWS_PAGER=""
STATUS_TAG_KEY=${STATUS_TAG_KEY:-kubeadm-ha:bootstrap}

# imds PATH: reads instance metadata with an IMDSv2 session token (IMDSv1 is disabled on our instances).
imds() {
  local token
  token=$(curl -sSf --max-time 5 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" \
    http://169.254.169.254/latest/api/token) || return 1
  curl -sSf --max-time 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

cloud_secret_get() {
  local id=$1 out=$2 err status=0
  err=$(mktemp)
  aws --region "$AWS_REGION" secretsmanager get-secret-value --secret-id "$id" \
    --query SecretString --output text >"$out" 2>"$err" || status=$?
  if [ "$status" -ne 0 ] && grep -q 'ResourceNotFoundException' "$err"; then
    # The secret exists (Terraform created it) but nothing has been stored in it yet.
    rm -f "$err" "$out"
    return 3
  fi
  [ "$status" -eq 0 ] || log "get-secret-value failed: $(head -c 300 "$err")"
  rm -f "$err"
  return "$status"
}

cloud_secret_put() {
  aws --region "$AWS_REGION" secretsmanager put-secret-value --secret-id "$1" \
    --secret-string "file://$2" --output text --query VersionId >/dev/null
}

cloud_set_status() {
  local instance_id
  instance_id=$(imds instance-id 2>/dev/null) || { log "status $1 not published: no instance metadata"; return 0; }
  command -v aws >/dev/null 2>&1 || { log "status $1 not published: aws CLI not installed yet"; return 0; }
  aws --region "$AWS_REGION" ec2 create-tags --resources "$instance_id" \
    --tags "Key=$STATUS_TAG_KEY,Value=$1" >/dev/null 2>&1 || log "status $1 not published: create-tags failed"
  return 0
}

cloud_vip_move() {
  local mac eni table
  mac=$(imds mac) || return 1
  eni=$(imds "network/interfaces/macs/$mac/interface-id") || return 1
  case "$VIP_MODE" in
  secondary-ip)
    aws --region "$AWS_REGION" ec2 assign-private-ip-addresses --network-interface-id "$eni" \
      --private-ip-addresses "$VIP" --allow-reassignment >/dev/null
    ;;
  route)
    for table in $ROUTE_TABLE_IDS; do
      aws --region "$AWS_REGION" ec2 replace-route --route-table-id "$table" \
        --destination-cidr-block "$VIP/32" --network-interface-id "$eni" >/dev/null || return 1
    done
    ;;
  *) log "unknown VIP_MODE '$VIP_MODE'"; return 2 ;;
  esac
}

cloud_prepare() {
  command -v aws >/dev/null 2>&1 && return 0
  retry 5 snap install aws-cli --classic
}
