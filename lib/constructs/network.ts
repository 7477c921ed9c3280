import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Fn, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { NetworkSpec } from "../spec";

export interface ClusterNetworkProps {
  readonly clusterName: string;
  readonly network: NetworkSpec;
  readonly tags: Record<string, string>;
}

/**
 * The VPC and subnets the cluster lives in: a new VPC (public subnets with NAT and an internet
 * gateway, private subnets for the nodes) or a thin wrapper around subnets the user already has.
 */
export class ClusterNetwork extends Construct {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
  /** What nodes in private subnets need before their first boot can reach the internet. */
  readonly egressDependencies: ITerraformDependable[] = [];
  /** Route tables this construct created (public first): where a routed VIP's /32 route goes. */
  readonly routeTableIds: string[] = [];

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    const { network, clusterName, tags } = props;
    this.vpcCidr = network.vpcCidr;
    if (network.mode === "existing") {
      this.vpcId = network.vpcId!;
      this.privateSubnetIds = network.privateSubnets.map((s) => s.id!);
      this.publicSubnetIds = network.publicSubnets.map((s) => s.id!);
      return;
    }

    const named = (name: string) => ({ ...tags, Name: `${clusterName}-${name}` });
    const vpc = new Vpc(this, "vpc", {
      cidrBlock: network.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: named("vpc"),
    });
    this.vpcId = vpc.id;
    // Subnets without a table of their own use the main one: a routed VIP needs its route there too.
    this.routeTableIds.push(vpc.mainRouteTableId);

    const zones = network.availabilityZones
      ? undefined
      : new DataAwsAvailabilityZones(this, "zones", { state: "available", filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] });
    const zoneOf = (i: number) => network.privateSubnets[i].availabilityZone ?? Fn.element(zones!.names, i);

    const igw = new InternetGateway(this, "igw", { vpcId: vpc.id, tags: named("igw") });
    const publicRoutes = new RouteTable(this, "public-routes", { vpcId: vpc.id, tags: named("public") });
    this.routeTableIds.push(publicRoutes.id);
    const defaultRoute = new Route(this, "public-default", { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });

    const publicSubnets = network.publicSubnets.map((s, i) => {
      const subnet = new Subnet(this, `public-${i}`, {
        vpcId: vpc.id,
        cidrBlock: s.cidrBlock,
        availabilityZone: zoneOf(i),
        mapPublicIpOnLaunch: false,
        tags: { ...named(`public-${i}`), "kubernetes.io/role/elb": "1" },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });
    this.publicSubnetIds = publicSubnets.map((s) => s.id);

    const natCount = network.natGatewayPerZone ? publicSubnets.length : 1;
    const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
      const eip = new Eip(this, `nat-${i}-ip`, { domain: "vpc", tags: named(`nat-${i}`) });
      return new NatGateway(this, `nat-${i}`, { allocationId: eip.id, subnetId: subnet.id, tags: named(`nat-${i}`), dependsOn: [defaultRoute] });
    });

    this.privateSubnetIds = network.privateSubnets.map((s, i) => {
      const subnet = new Subnet(this, `private-${i}`, {
        vpcId: vpc.id,
        cidrBlock: s.cidrBlock,
        availabilityZone: zoneOf(i),
        tags: { ...named(`private-${i}`), "kubernetes.io/role/internal-elb": "1" },
      });
      const routes = new RouteTable(this, `private-${i}-routes`, { vpcId: vpc.id, tags: named(`private-${i}`) });
      this.routeTableIds.push(routes.id);
      const egress = new Route(this, `private-${i}-default`, {
        routeTableId: routes.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: nats[i % nats.length].id,
      });
      const association = new RouteTableAssociation(this, `private-${i}-association`, { subnetId: subnet.id, routeTableId: routes.id });
      this.egressDependencies.push(egress, association);
      return subnet.id;
    });
  }
}
