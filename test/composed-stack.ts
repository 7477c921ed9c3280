/**
 * A user's own cdktf stack: its VPC, three private subnets over three zones and two route tables, and
 * a KubeadmCluster given their attributes (tokens), as everyday composition looks. Shared by the synth
 * tests and the Terraform oracle, which applies it to moto.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { KubeadmCluster, KubeadmClusterProps } from "../lib/cdktf";

export const COMPOSED_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
/** The subnets' CIDRs, literal in the user's code: the nodes' addresses are computed from them. */
export const COMPOSED_CIDRS = ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"];

/** The user's network as written in their code: literal CIDRs and zones. */
export interface NetworkLayout {
  readonly vpcCidr: string;
  readonly subnetCidrs: string[];
  readonly zones: string[];
}
export const COMPOSED_LAYOUT: NetworkLayout = {
  vpcCidr: "10.1.0.0/16",
  subnetCidrs: COMPOSED_CIDRS,
  zones: COMPOSED_ZONES,
};

export interface UserNetwork {
  readonly vpc: Vpc;
  readonly subnets: Subnet[];
  readonly routeTables: RouteTable[];
  readonly layout: NetworkLayout;
}

export type ComposedProps = (network: UserNetwork, scope: Construct) => KubeadmClusterProps;

/** The subnets as a user passes them: ids and zones as the subnet resources' own attributes. */
export const subnetsOf = ({ subnets, layout }: UserNetwork) =>
  subnets.map((s, i) => ({ id: s.id, availabilityZone: s.availabilityZone, cidrBlock: layout.subnetCidrs[i] }));

/** The cluster `props` in the user's VPC and subnets, given as the resources' attributes. */
export const withUserNetwork =
  (props: KubeadmClusterProps): ComposedProps =>
  (network) => ({
    ...props,
    network: { vpcId: network.vpc.id, vpcCidr: network.vpc.cidrBlock, privateSubnets: subnetsOf(network) },
  });

/** The default composition: NLB, stacked etcd, in the user's VPC and subnets. */
export const inUserNetwork: ComposedProps = withUserNetwork({ clusterName: "composed" });

export class ComposedStack extends TerraformStack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string, props: ComposedProps = inUserNetwork, layout: Partial<NetworkLayout> = {}) {
    super(scope, id);
    const net = { ...COMPOSED_LAYOUT, ...layout };
    new AwsProvider(this, "aws", { region: "us-east-1" });
    const vpc = new Vpc(this, "vpc", { cidrBlock: net.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true });
    const subnets = net.subnetCidrs.map(
      (cidrBlock, i) => new Subnet(this, `subnet-${i}`, { vpcId: vpc.id, cidrBlock, availabilityZone: net.zones[i] }),
    );
    const routeTables = [0, 1].map((i) => new RouteTable(this, `routes-${i}`, { vpcId: vpc.id }));
    this.cluster = new KubeadmCluster(this, "cluster", props({ vpc, subnets, routeTables, layout: net }, this));
  }
}
