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

export interface UserNetwork {
  readonly vpc: Vpc;
  readonly subnets: Subnet[];
  readonly routeTables: RouteTable[];
}

export type ComposedProps = (network: UserNetwork, scope: Construct) => KubeadmClusterProps;

/** The subnets as a user passes them: ids and zones as the subnet resources' own attributes. */
export const subnetsOf = ({ subnets }: UserNetwork) =>
  subnets.map((s, i) => ({ id: s.id, availabilityZone: s.availabilityZone, cidrBlock: COMPOSED_CIDRS[i] }));

/** The default composition: NLB, stacked etcd, in the user's VPC and subnets. */
export const inUserNetwork: ComposedProps = (network) => ({
  clusterName: "composed",
  network: { vpcId: network.vpc.id, vpcCidr: network.vpc.cidrBlock, privateSubnets: subnetsOf(network) },
});

export class ComposedStack extends TerraformStack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string, props: ComposedProps = inUserNetwork, zones = COMPOSED_ZONES) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    const vpc = new Vpc(this, "vpc", { cidrBlock: "10.1.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
    const subnets = COMPOSED_CIDRS.map(
      (cidrBlock, i) => new Subnet(this, `subnet-${i}`, { vpcId: vpc.id, cidrBlock, availabilityZone: zones[i] }),
    );
    const routeTables = [0, 1].map((i) => new RouteTable(this, `routes-${i}`, { vpcId: vpc.id }));
    this.cluster = new KubeadmCluster(this, "cluster", props({ vpc, subnets, routeTables }, this));
  }
}
