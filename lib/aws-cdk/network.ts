import { Annotations, Fn, Tags } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct, IDependable } from "constructs";
import { ClusterSpec } from "../cluster-spec";
import { acknowledgeFindings } from "./private/findings";

/**
 * The network of the spec: a new VPC with the spec's own subnet plan (private subnets holding the
 * nodes' fixed addresses, small public ones for the NAT gateways), or an existing one as given. No
 * lookup at synth: zones the spec does not name are the region's first ones, chosen at deploy time.
 */
export class ClusterNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.ISubnet[];
  readonly publicSubnets: ec2.ISubnet[];
  /** Route tables of the subnets made here, for a routed keepalived VIP (an existing network names its own). */
  readonly routeTableIds: string[] = [];
  /** What a node needs before its first boot: its subnet's route to the NAT gateway. */
  readonly egress: IDependable[] = [];

  constructor(scope: Construct, id: string, spec: ClusterSpec) {
    super(scope, id);
    ({
      vpc: this.vpc,
      privateSubnets: this.privateSubnets,
      publicSubnets: this.publicSubnets,
    } = spec.network.mode === "existing" ? this.existingNetwork(spec) : this.newNetwork(spec));
    acknowledgeFindings(this);
  }

  /** The VPC and subnets the spec names, as they are. */
  private existingNetwork(spec: ClusterSpec): Network {
    const network = spec.network;
    const imported = (kind: string, subnets: typeof network.privateSubnets) =>
      subnets.map((s, i) => {
        const subnet = ec2.Subnet.fromSubnetAttributes(this, `${kind}-${i}`, {
          subnetId: s.id!,
          availabilityZone: s.availabilityZone,
          ipv4CidrBlock: s.cidrBlock,
        });
        // No construct reads a subnet's route table: a routed VIP's tables are the spec's routeTableIds.
        Annotations.of(subnet).acknowledgeWarning(
          "@aws-cdk/aws-ec2:noSubnetRouteTableId",
          "the cluster never reads an existing subnet's route table",
        );
        return subnet;
      });
    // Only the VPC itself: every resource here takes its subnets from the lists below, and aws-cdk-lib
    // would refuse public subnet ids that are not one per zone of the private ones (3 private, 2 public).
    const vpc = ec2.Vpc.fromVpcAttributes(this, "vpc", {
      vpcId: network.vpcId!,
      vpcCidrBlock: network.vpcCidr,
      availabilityZones: network.privateSubnets.map((s) => s.availabilityZone!),
    });
    return {
      vpc,
      privateSubnets: imported("private", network.privateSubnets),
      publicSubnets: imported("public", network.publicSubnets),
    };
  }

  /** A new VPC: public subnets with the internet gateway and NAT gateways, private ones routed through them. */
  private newNetwork(spec: ClusterSpec): Network {
    const network = spec.network;
    const vpc = new ec2.Vpc(this, "vpc", {
      ipAddresses: ec2.IpAddresses.cidr(network.vpcCidr),
      subnetConfiguration: [],
      natGateways: 0,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      restrictDefaultSecurityGroup: false,
    });
    Tags.of(vpc).add("Name", spec.clusterName);
    const zone = (i: number) => network.availabilityZones?.[i] ?? Fn.select(i, Fn.getAzs());
    const gateway = new ec2.CfnInternetGateway(this, "internet-gateway");
    const attachment = new ec2.CfnVPCGatewayAttachment(this, "internet-gateway-attachment", {
      vpcId: vpc.vpcId,
      internetGatewayId: gateway.ref,
    });
    const publicSubnets = network.publicSubnets.map((s, i) => {
      const subnet = new ec2.PublicSubnet(this, `public-${i}`, {
        vpcId: vpc.vpcId,
        cidrBlock: s.cidrBlock,
        availabilityZone: zone(i),
        mapPublicIpOnLaunch: false,
      });
      subnet.addDefaultInternetRoute(gateway.ref, attachment);
      this.routeTableIds.push(subnet.routeTable.routeTableId);
      Tags.of(subnet).add("Name", `${spec.clusterName}-public-${i}`);
      return subnet;
    });
    // One NAT gateway per zone, or one for all (the spec decides: a keepalived VIP move needs its zone's).
    const nats = network.natGatewayPerZone
      ? publicSubnets.map((s) => s.addNatGateway())
      : [publicSubnets[0].addNatGateway()];
    const privateSubnets = network.privateSubnets.map((s, i) => {
      const subnet = new ec2.PrivateSubnet(this, `private-${i}`, {
        vpcId: vpc.vpcId,
        cidrBlock: s.cidrBlock,
        availabilityZone: zone(i),
      });
      subnet.addDefaultNatRoute(nats[network.natGatewayPerZone ? i : 0].ref);
      this.routeTableIds.push(subnet.routeTable.routeTableId);
      Tags.of(subnet).add("Name", `${spec.clusterName}-private-${i}`);
      this.egress.push(subnet.internetConnectivityEstablished);
      return subnet;
    });
    return { vpc, privateSubnets, publicSubnets };
  }
}

interface Network {
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.ISubnet[];
  readonly publicSubnets: ec2.ISubnet[];
}
