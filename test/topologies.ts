/**
 * The topologies a reviewer sees: the parity test synthesizes each with both flavours, and the golden
 * files (test/golden/<slug>/) hold what each gives. One list, so a topology added for one is in both.
 */
import { ClusterInput } from "../lib/cluster-spec";

/** A network the cluster is given (ids of a VPC and subnets that exist), instead of one it creates. */
export const EXISTING_NETWORK = {
  vpcId: "vpc-0123456789abcdef0",
  vpcCidr: "10.20.0.0/16",
  privateSubnets: ["a", "b", "c"].map((z, i) => ({
    id: `subnet-0123456789abcdef${z}`,
    availabilityZone: `us-east-1${z}`,
    cidrBlock: `10.20.${i * 16}.0/20`,
  })),
};

export const REVIEWED_TOPOLOGIES: [slug: string, what: string, props: ClusterInput][] = [
  ["default", "the default (NLB, stacked etcd, new VPC)", {}],
  ["external-etcd-5", "external etcd, 5 members", { etcd: { topology: "external", members: 5 } }],
  [
    "nlb-5-nodes-own-name",
    "5 control-plane nodes, the NLB's own name (privateDns: false)",
    { controlPlaneCount: 5, endpoint: { type: "nlb", privateDns: false } },
  ],
  [
    "internet-facing-nlb",
    "an internet-facing NLB for one office range, beside the internal one",
    { endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] } },
  ],
  [
    "keepalived-colocated-routed",
    "keepalived on the control plane, routed VIP",
    { endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "api.example.com" } },
  ],
  [
    "keepalived-dedicated-routed-external-etcd",
    "keepalived on two dedicated load balancers, routed VIP, external etcd",
    {
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
      etcd: { topology: "external" },
    },
  ],
  [
    "keepalived-colocated-secondary-ip-one-zone",
    "keepalived on the control plane in one zone, the VIP a secondary IP",
    {
      spreadAcrossZones: false,
      network: { zoneCount: 1 },
      endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true },
    },
  ],
  [
    "keepalived-dedicated-secondary-ip",
    "keepalived on two dedicated load balancers, the VIP a secondary IP",
    { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
  ],
  [
    "existing-network-kms-external-etcd",
    "an existing network, a KMS key, break-glass principals, encrypted and logged sessions",
    {
      network: EXISTING_NETWORK,
      secrets: {
        kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        breakGlassPrincipalArns: ["arn:aws:iam::111122223333:role/break-glass"],
      },
      sessionManager: {
        kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab",
        s3BucketName: "session-logs",
        s3KeyPrefix: "kubeadm-ha/",
        cloudWatchLogGroupName: "/ssm/sessions",
      },
      etcd: { topology: "external" },
    },
  ],
];
