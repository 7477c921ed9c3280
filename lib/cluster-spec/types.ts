/**
 * The cluster spec: what a user asks for (`ClusterInput`, all optional with documented defaults)
 * and what the rest of the code works from (`ClusterSpec`, every default applied and validated).
 * Strings may be Terraform tokens (values known only at deploy time); nothing here parses them.
 */

/** An API endpoint in front of the control plane: an AWS Network Load Balancer. */
export interface NlbEndpointInput {
  /** Selects this endpoint. */
  readonly type: "nlb";
  /**
   * Also serve the API from the internet: a second, internet-facing NLB in the public subnets, for
   * `allowedCidrs`, its name in the API server's certificate. The nodes keep using the internal one.
   * @default false - only the internal NLB in the control plane's private subnets
   */
  readonly internetFacing?: boolean;
  /**
   * CIDRs allowed to reach the API on 6443: through the internet-facing NLB with `internetFacing`
   * (required then; `0.0.0.0/0` only if you list it), otherwise through the internal one. The internal
   * NLB always admits the control plane and, with `internetFacing`, the VPC CIDR.
   * @default - the VPC CIDR for the internal NLB; required with `internetFacing`
   */
  readonly allowedCidrs?: string[];
  /**
   * Refuse to delete the NLB (AWS's deletion protection): `cdktf destroy` then fails until it is
   * turned off again.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Seconds a connection through the NLB may carry no data before the NLB drops it (its TCP listener's
   * `tcp.idle_timeout.seconds`; AWS allows 60 to 6000 and defaults to 350, which cuts an idle
   * `kubectl exec`, `port-forward` or watch after about 6 minutes). Clients that send TCP keepalives
   * (kubectl, client-go) keep a connection up past any value.
   * @default 3600
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * The endpoint's name, which the cluster owns: an alias record to the internal NLB in a Route 53
   * private hosted zone of the VPC. It is the nodes' `controlPlaneEndpoint` and a certificate SAN, so a
   * new load balancer (a changed subnet list or scheme, a re-created NLB) takes over without touching
   * the nodes, whose kubeconfigs name it. Give `zoneId` (and a `name` in that zone) to use a private
   * zone you have; `false` to use the NLB's own DNS name instead, which changes whenever the NLB is
   * replaced (renaming the cluster, removing one of its subnets) and then strands every node (docs/operating.md:
   * The endpoint's name, and what replaces a load balancer).
   * @default - a private zone CLUSTER.internal for the VPC, and the name api.CLUSTER.internal
   */
  readonly privateDns?: PrivateDnsInput | false;
}

/** Where the endpoint's name lives: a private hosted zone you have, or one the construct creates. */
export interface PrivateDnsInput {
  /**
   * A Route 53 private hosted zone associated with the cluster's VPC.
   * @default - a new private zone CLUSTER.internal, associated with the VPC
   */
  readonly zoneId?: string;
  /**
   * The endpoint's fully qualified name, inside the zone.
   * @default - api.CLUSTER.internal; required with `zoneId`
   */
  readonly name?: string;
}

/**
 * A keepalived (VRRP) virtual IP with HAProxy in front of the API servers: the classic on-premises
 * design, made to work on AWS by a notify script that moves the VIP with one EC2 call.
 */
export interface KeepalivedEndpointInput {
  /** Selects this endpoint. */
  readonly type: "keepalived";
  /**
   * How AWS delivers the VIP to the VRRP master:
   * - `route`: an overlay IP outside the VPC CIDR, routed by a /32 route in each route table to the
   *   master's network interface (`ec2 replace-route`); source/destination check off; works across zones.
   * - `secondary-ip`: a secondary private IP of the peers' subnet, reassigned to the master's network
   *   interface (`ec2 assign-private-ip-addresses --allow-reassignment`); all peers in one subnet.
   * @default "route"
   */
  readonly vipMode?: "route" | "secondary-ip";
  /**
   * Choose `vipMode: "secondary-ip"` knowingly: its peers share one subnet, so losing that subnet's
   * zone takes the API endpoint down although the control plane survives in the other zones.
   * Required with `secondary-ip`; `route` keeps the endpoint up through the loss of any zone.
   * @default false
   */
  readonly acceptSingleZone?: boolean;
  /**
   * Where keepalived and HAProxy run:
   * - `colocated`: on the control-plane nodes; HAProxy listens on VIP:8443 (the API server holds 6443).
   * - `dedicated`: on a pair of load-balancer instances; HAProxy listens on VIP:6443.
   * @default "colocated"
   */
  readonly placement?: "colocated" | "dedicated";
  /**
   * The virtual IP. `route` mode: an address outside the VPC, pod and service CIDRs (required).
   * @default - `secondary-ip` mode: host 9 of the peers' subnet; `route` mode: none, you must give one
   */
  readonly virtualIp?: string;
  /**
   * A DNS name you point at the VIP; added to the API server certificate.
   * @default - none
   */
  readonly dnsName?: string;
  /**
   * CIDRs allowed to reach the API through the VIP.
   * @default - the VPC CIDR
   */
  readonly allowedCidrs?: string[];
  /**
   * Route tables whose /32 route to the VIP keepalived keeps pointing at the master (`route` mode).
   * @default - the route tables this construct creates; required with an existing network
   */
  readonly routeTableIds?: string[];
  /** VRRP virtual router id, 1-255, unique among VRRP groups that share a network. @default 51 */
  readonly virtualRouterId?: number;
  /** Instance type of the dedicated load balancers. @default "t3.small" */
  readonly loadBalancerInstanceType?: string;
  /**
   * Seconds between VRRP adverts, 0.01 to 40.95 in hundredths (VRRPv3). A backup takes the VIP after
   * 3 missed adverts plus skew (about 3.2 x this): the failover time, and also how long a master may
   * stall (a paused instance, a dropped packet burst) before a backup takes the VIP and every client
   * connection through it is reset. Under CPU starvation a longer interval makes a move rarer but each
   * one longer (docs/topologies.md, measured).
   * @default 0.2
   */
  readonly advertIntervalSeconds?: number;
  /**
   * Seconds a (re)started higher-priority peer waits before it takes the VIP back, 0 to 1000 (keepalived's
   * `preempt_delay`). Only with `preempt`.
   * @default 30
   */
  readonly preemptDelaySeconds?: number;
  /**
   * Whether a recovered higher-priority peer takes the VIP back (a second move, resetting connections
   * again). `false`: the VIP stays on the peer that took it until that one fails (keepalived `nopreempt`).
   * @default true
   */
  readonly preempt?: boolean;
}

/** How the API endpoint is provided. */
export type EndpointInput = NlbEndpointInput | KeepalivedEndpointInput;

/** etcd on the control-plane nodes, managed by kubeadm. */
export interface StackedEtcdInput {
  /** Selects this topology: one etcd member per control-plane node, managed by kubeadm. */
  readonly topology: "stacked";
}

/** A separate etcd cluster on dedicated instances, used by the control plane over mutual TLS. */
export interface ExternalEtcdInput {
  /** Selects this topology. */
  readonly topology: "external";
  /** Number of etcd members, one per zone in turn: odd, 3 to 7. @default 3 */
  readonly members?: number;
  /** Instance type of the members (Graviton types get arm64 images and the arm64 release). @default "t3.medium" */
  readonly instanceType?: string;
  /** Encrypted gp3 root volume of each member, holding etcd's data, in GiB (at least 20). @default 30 */
  readonly rootVolumeSizeGiB?: number;
  /** etcd release installed from the etcd project's GitHub releases, at least what kubeadm of the chosen minor accepts (3.5.24 for 1.35-1.37). @default "3.6.14" */
  readonly version?: string;
  /**
   * SHA-256 of the release tarball for the members' architecture; the download is refused otherwise.
   * @default - the known checksum of the default version; required with any other version
   */
  readonly sha256?: string;
}

export type EtcdInput = StackedEtcdInput | ExternalEtcdInput;

/** A subnet the cluster should use, in a VPC you already have. */
export interface SubnetInput {
  /** The subnet id (may be a reference to a subnet in your stack). */
  readonly id: string;
  /** Its availability zone, e.g. `eu-west-1a`. */
  readonly availabilityZone: string;
  /** Its IPv4 CIDR: node addresses are fixed inside it (control plane from host 10, load balancers 20, etcd 30). */
  readonly cidrBlock: string;
}

/** Create a new VPC: public subnets (NAT, internet-facing NLB) and private ones (the nodes). */
export interface NewNetworkInput {
  /** CIDR of the new VPC, /16 to /20; the private and public subnets are cut from it. @default "10.0.0.0/16" */
  readonly vpcCidr?: string;
  /**
   * Availability zones to use, e.g. `["eu-west-1a","eu-west-1b","eu-west-1c"]`.
   * @default - the first `zoneCount` zones of the region, looked up at deploy time
   */
  readonly availabilityZones?: string[];
  /** Number of availability zones (and private/public subnet pairs) when `availabilityZones` is not given. @default 3 */
  readonly zoneCount?: number;
  /**
   * One NAT gateway per zone instead of one in the first zone, so that losing a zone loses no other
   * zone's egress: Session Manager (the only shell), Secrets Manager, SSM and the EC2 API (a VRRP
   * master's VIP move), packages for a replacement node. Each gateway costs $0.045 an hour plus its
   * public IPv4 address's $0.005, about $36.50 a month, and $0.045 per GB (us-east-1). `false` saves
   * $73 a month in three zones; losing the first zone then leaves the API up (NLB) but no shell, no
   * secret reads and no replacement node in the other zones until it returns.
   * @default true
   */
  readonly natGatewayPerZone?: boolean;
}

/** Use an existing VPC. */
export interface ExistingNetworkInput {
  /** The VPC id (may be a reference to a VPC in your stack). */
  readonly vpcId: string;
  /** The VPC's CIDR, used for the default allowed CIDRs and overlap checks. */
  readonly vpcCidr: string;
  /** Private subnets for the nodes (and an internal NLB), in 3 zones unless `spreadAcrossZones` is false. */
  readonly privateSubnets: SubnetInput[];
  /**
   * Public subnets, needed only for an internet-facing NLB.
   * @default - none
   */
  readonly publicSubnets?: SubnetInput[];
}

export type NetworkInput = NewNetworkInput | ExistingNetworkInput;

export interface ClusterInput {
  /**
   * Cluster name: a DNS label of at most 24 characters. Names AWS resources and the kubeadm cluster.
   * @default "kubeadm-ha"
   */
  readonly clusterName?: string;
  /**
   * Kubernetes version `1.MINOR.PATCH` of a minor in upstream support: 1.35, 1.36 or 1.37. kubeadm,
   * kubelet and kubectl come from pkgs.k8s.io at this version and are held there.
   * @default "1.37.1"
   */
  readonly kubernetesVersion?: string;
  /**
   * containerd release (2.x) installed from containerd's GitHub releases, verified by SHA-256; at least
   * what the Kubernetes minor supports (1.35: 2.1.5, 1.36 and 1.37: 2.2.0). containerd 1.x is refused:
   * it left support in September 2026 and Kubernetes 1.36 dropped it.
   * @default "2.3.4"
   */
  readonly containerdVersion?: string;
  /**
   * SHA-256 of `containerd-VERSION-linux-ARCH.tar.gz` for the control plane's architecture.
   * @default - the known checksum of 2.3.4 or 2.2.7; required with any other version
   */
  readonly containerdSha256?: string;
  /**
   * Number of control-plane nodes: odd, 3 to 7, so etcd keeps a majority when one (or two) fail.
   * @default 3
   */
  readonly controlPlaneCount?: number;
  /** Instance type of the control-plane nodes (2 vCPU, 2 GiB at least, kubeadm's minimum). @default "t3.medium" */
  readonly instanceType?: string;
  /** Encrypted gp3 root volume of each control-plane node, in GiB (20 to 16384). @default 40 */
  readonly rootVolumeSizeGiB?: number;
  /**
   * AMI id for the nodes (Ubuntu 24.04 or another Debian-family image with cloud-init and snap).
   * @default - Ubuntu 24.04 LTS, the current image found at deploy time through AWS's public SSM parameter
   */
  readonly imageId?: string;
  /** Pod network range for kubeadm (`networking.podSubnet`); must not overlap the VPC or services. @default "10.244.0.0/16" */
  readonly podCidr?: string;
  /** Service range (`networking.serviceSubnet`), at most a /12; must not overlap the VPC or pods. @default "10.96.0.0/12" */
  readonly serviceCidr?: string;
  /** Cluster DNS domain (`networking.dnsDomain`). @default "cluster.local" */
  readonly dnsDomain?: string;
  /**
   * Extra DNS names or IPv4 addresses for the API server certificate (e.g. a Route 53 alias).
   * @default - none; the endpoint's own name is always included
   */
  readonly extraCertSans?: string[];
  /** The stable API endpoint: `NlbEndpointInput` or `KeepalivedEndpointInput`. @default { type: "nlb" } */
  readonly endpoint?: EndpointInput;
  /** Where etcd runs: `StackedEtcdInput` or `ExternalEtcdInput`. @default { topology: "stacked" } */
  readonly etcd?: EtcdInput;
  /** Where the nodes live: `NewNetworkInput` or `ExistingNetworkInput`. @default - a new VPC, see `NewNetworkInput` */
  readonly network?: NetworkInput;
  /**
   * Require the control plane's subnets to cover at least 3 availability zones, so losing one zone
   * never loses the etcd majority.
   * @default true
   */
  readonly spreadAcrossZones?: boolean;
  /** Who may use the cluster's secrets, and the key that encrypts them. @default - see `SecretsInput` */
  readonly secrets?: SecretsInput;
  /**
   * The account's Session Manager preferences that need the nodes' permission: KMS session
   * encryption and session logs. @default - see `SessionManagerInput`
   */
  readonly sessionManager?: SessionManagerInput;
  /** Tags for every resource (the construct adds `kubeadm-ha:cluster`). @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The cluster's secrets (the join secret with the cluster CA and service-account keys, the admin
 * kubeconfig, the external etcd's CA and client certificate) each have a resource policy: only the
 * nodes that need a value may read it, only the node that creates it may write it, whatever else an
 * IAM policy in the account allows.
 */
export interface SecretsInput {
  /**
   * ARN of a customer-managed KMS key that encrypts every secret of the cluster. Its key policy must
   * let the account's IAM policies grant use of it (the default key policy does); the nodes' roles get
   * kms:Decrypt (readers) and kms:GenerateDataKey (writers) through Secrets Manager only.
   * @default - Secrets Manager's AWS-managed key (aws/secretsmanager)
   */
  readonly kmsKeyArn?: string;
  /**
   * IAM role or user ARNs that may also read and write the join secret and the etcd secrets, for
   * break-glass recovery (restoring the cluster's roots). Wildcards are not accepted.
   * @default - none: only the cluster's own nodes
   */
  readonly breakGlassPrincipalArns?: string[];
}

/**
 * What the account's Session Manager preferences (its SSM-SessionManagerRunShell document) ask of a
 * node: with KMS encryption or session logs turned on, the SSM agent on the node decrypts the session
 * key and writes the logs with the node's role, which then needs these permissions (AWS: "Create a
 * custom IAM role for Session Manager"). Each permission is held to what is named here.
 */
export interface SessionManagerInput {
  /**
   * The KMS key ARN of the preferences' "KMS encryption": the nodes may use it (kms:Decrypt,
   * kms:GenerateDataKey) for sessions.
   * @default - sessions are encrypted by TLS only
   */
  readonly kmsKeyArn?: string;
  /**
   * The S3 bucket (its name) sessions are logged to: the nodes may put objects under `s3KeyPrefix`
   * and read the bucket's encryption configuration.
   * @default - no S3 session logs
   */
  readonly s3BucketName?: string;
  /** The key prefix of the session logs in `s3BucketName`. @default "" */
  readonly s3KeyPrefix?: string;
  /**
   * The CloudWatch Logs log group sessions are streamed to: the nodes may create streams and put
   * events in it, and describe the account's log groups (which the agent checks first).
   * @default - no CloudWatch session logs
   */
  readonly cloudWatchLogGroupName?: string;
}

export interface SessionManagerSpec {
  readonly kmsKeyArn?: string;
  readonly s3BucketName?: string;
  readonly s3KeyPrefix: string;
  readonly cloudWatchLogGroupName?: string;
}

export interface SubnetSpec {
  readonly id?: string; // unset for subnets the construct creates
  readonly availabilityZone?: string; // unset when looked up at deploy time
  readonly cidrBlock: string;
}

export interface NetworkSpec {
  readonly mode: "new" | "existing";
  readonly vpcId?: string;
  readonly vpcCidr: string;
  readonly privateSubnets: SubnetSpec[];
  readonly publicSubnets: SubnetSpec[];
  readonly availabilityZones?: string[];
  readonly natGatewayPerZone: boolean;
  /**
   * An existing network's first private subnets that must be in distinct zones (the nodes use them
   * round-robin), checked at deploy time against their real zones; 0 without spreading or a new VPC.
   */
  readonly distinctZoneSubnets?: number;
}

export interface NlbEndpointSpec {
  readonly type: "nlb";
  readonly internetFacing: boolean;
  /** Who may use the internal NLB (besides the control plane). */
  readonly allowedCidrs: string[];
  /** Who may use the internet-facing NLB; empty without `internetFacing`. */
  readonly publicAllowedCidrs: string[];
  readonly port: number;
  readonly deletionProtection: boolean;
  /** The listeners' TCP idle timeout. */
  readonly idleTimeoutSeconds: number;
  /** The endpoint's own name in a private zone (created when `zoneId` is unset), or undefined to use the NLB's name. */
  readonly privateDns?: { readonly zoneId?: string; readonly zoneName?: string; readonly name: string };
}

/** One keepalived/HAProxy peer: a control-plane node (colocated) or a dedicated load balancer. */
export interface VrrpPeerSpec {
  readonly index: number;
  readonly name: string;
  readonly subnetIndex: number;
  readonly privateIp: string;
  /** Distinct per peer, so exactly one is master; the highest is peer 0. */
  readonly priority: number;
}

export interface KeepalivedEndpointSpec {
  readonly type: "keepalived";
  readonly vipMode: "route" | "secondary-ip";
  readonly placement: "colocated" | "dedicated";
  readonly virtualIp: string;
  /** Where HAProxy listens on the VIP: 8443 colocated, 6443 dedicated. */
  readonly port: number;
  readonly dnsName?: string;
  readonly allowedCidrs: string[];
  /** Route tables for `route` mode; undefined means the ones the construct creates. */
  readonly routeTableIds?: string[];
  readonly virtualRouterId: number;
  readonly loadBalancerInstanceType: string;
  readonly peers: VrrpPeerSpec[];
  /** Subtracted from a peer's priority while its check fails: drops the master below every peer. */
  readonly checkWeight: number;
  readonly advertIntervalSeconds: number;
  /** Undefined with `preempt: false`. */
  readonly preemptDelaySeconds?: number;
  readonly preempt: boolean;
}

export type EndpointSpec = NlbEndpointSpec | KeepalivedEndpointSpec;

export interface EtcdMemberSpec {
  readonly index: number;
  readonly name: string;
  readonly subnetIndex: number;
  readonly privateIp: string;
}

export interface ExternalEtcdSpec {
  readonly topology: "external";
  readonly members: EtcdMemberSpec[];
  readonly instanceType: string;
  readonly rootVolumeSizeGiB: number;
  readonly version: string;
  readonly sha256: string;
  readonly architecture: Architecture;
  readonly clientPort: number;
  readonly peerPort: number;
}

export type EtcdSpec = { readonly topology: "stacked" } | ExternalEtcdSpec;

export type Architecture = "amd64" | "arm64";

export interface ControlPlaneNodeSpec {
  readonly index: number;
  /** Hostname and Kubernetes node name; the same for a replacement, so stale state can be found. */
  readonly name: string;
  readonly subnetIndex: number;
  /** Fixed private IPv4 address (possibly a token): the node's advertiseAddress and etcd peer URL. */
  readonly privateIp: string;
}

/** A release binary a node downloads and verifies before installing it. */
export interface VerifiedRelease {
  readonly version: string;
  readonly sha256: string;
}

export interface ClusterSpec {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly kubernetesMinor: number;
  /** The sandbox image kubeadm of this minor expects, which containerd is configured with. */
  readonly pauseImage: string;
  /** Architecture of the control-plane nodes (their instance type). */
  readonly architecture: Architecture;
  readonly containerd: VerifiedRelease;
  readonly runc: VerifiedRelease;
  readonly instanceType: string;
  readonly rootVolumeSizeGiB: number;
  readonly imageId?: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly dnsDomain: string;
  readonly extraCertSans: string[];
  readonly endpoint: EndpointSpec;
  readonly etcd: EtcdSpec;
  readonly network: NetworkSpec;
  /** Port every API server binds on its own address. */
  readonly apiServerPort: number;
  readonly controlPlane: ControlPlaneNodeSpec[];
  readonly secrets: SecretsSpec;
  readonly sessionManager: SessionManagerSpec;
  readonly tags: Record<string, string>;
}

/** Kubernetes labels of a pool's nodes, by key. */
export type NodeLabels = Record<string, string>;

/** A taint every node of a pool registers with (`nodeRegistration.taints`). */
export interface TaintInput {
  /** The taint's key, a Kubernetes qualified name such as "dedicated" or "example.com/gpu". */
  readonly key: string;
  /** The taint's value. @default - none */
  readonly value?: string;
  /** "NoSchedule", "PreferNoSchedule" or "NoExecute". */
  readonly effect: string;
}

/**
 * A pool of worker nodes: an Auto Scaling group over the cluster's zones, its nodes joining through the
 * stable endpoint with a bootstrap token the control plane keeps valid (they never hold a key of the
 * cluster's).
 */
export interface WorkerPoolInput {
  /**
   * The pool's name, a DNS label of at most 20 characters: names its group, template and nodes' label.
   * @default - the WorkerPool's construct id (`addWorkerPool("batch")` makes pool "batch")
   */
  readonly name?: string;
  /**
   * Instance types, the first preferred; more than one lets the group find capacity. All of one
   * architecture (one image).
   * @default ["t3.medium"]
   */
  readonly instanceTypes?: string[];
  /** The fewest nodes the group keeps. @default 2 */
  readonly minSize?: number;
  /** The most nodes the group (or the Cluster Autoscaler) may run. @default 4 */
  readonly maxSize?: number;
  /** The nodes the group starts with. @default - minSize */
  readonly desiredSize?: number;
  /**
   * Labels the nodes register with (the kubelet's `--node-labels`); `kubeadm-ha.io/pool` is set to the
   * pool's name. Keys in the kubernetes.io and k8s.io namespaces are refused (the NodeRestriction
   * admission plugin forbids a kubelet to set them) except the ones it allows.
   * @default - none
   */
  readonly labels?: NodeLabels;
  /** Taints the nodes register with. @default - none */
  readonly taints?: TaintInput[];
  /** Encrypted gp3 root volume of each node, in GiB (20 to 16384). @default 50 */
  readonly rootVolumeSizeGiB?: number;
}

export interface TaintSpec {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface WorkerPoolSpec {
  readonly name: string;
  readonly instanceTypes: string[];
  readonly architecture: Architecture;
  /** containerd's checksum for the pool's architecture (the control plane's may differ). */
  readonly containerdSha256: string;
  readonly runcSha256: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredSize: number;
  readonly labels: NodeLabels;
  readonly taints: TaintSpec[];
  readonly rootVolumeSizeGiB: number;
}

export interface SecretsSpec {
  readonly kmsKeyArn?: string;
  readonly breakGlassPrincipalArns: string[];
}
