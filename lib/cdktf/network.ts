import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DataAwsEc2InstanceTypeOfferings } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type-offerings";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { DataResource, Fn, ITerraformDependable, Op, TerraformSelf } from "cdktf";
import { Construct } from "constructs";
import { NetworkSpec } from "../cluster-spec";

interface NetworkIds {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
}

export interface ClusterNetworkProps {
  readonly clusterName: string;
  readonly network: NetworkSpec;
  readonly tags: Record<string, string>;
  /** Every instance type the nodes run, with the prop that sets it: each must be offered in every zone used. */
  readonly instanceTypes: { readonly prop: string; readonly instanceType: string }[];
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
    this.vpcCidr = props.network.vpcCidr;
    const offerings = props.instanceTypes.map(
      ({ instanceType }, i) =>
        new DataAwsEc2InstanceTypeOfferings(this, `instance-type-offerings-${i}`, {
          locationType: "availability-zone",
          filter: [{ name: "instance-type", values: [instanceType] }],
        }),
    );
    const ids = props.network.mode === "existing" ? this.existing(props, offerings) : this.newVpc(props, offerings);
    this.vpcId = ids.vpcId;
    this.privateSubnetIds = ids.privateSubnetIds;
    this.publicSubnetIds = ids.publicSubnetIds;
  }

  /** The user's subnets as they are, their zones checked in the plan. */
  private existing(props: ClusterNetworkProps, offerings: DataAwsEc2InstanceTypeOfferings[]): NetworkIds {
    const { network } = props;
    const zones = network.privateSubnets.map(
      (s, i) => new DataAwsSubnet(this, `private-${i}`, { id: s.id }).availabilityZone,
    );
    this.requireOfferedIn(zones, "network.privateSubnets", offerings, props);
    this.requireDistinctZones(zones.slice(0, network.distinctZoneSubnets ?? 0), offerings[0]);
    return {
      vpcId: network.vpcId!,
      privateSubnetIds: network.privateSubnets.map((s) => s.id!),
      publicSubnetIds: network.publicSubnets.map((s) => s.id!),
    };
  }

  /** A new VPC: public subnets behind an internet gateway, NAT gateways, private subnets for the nodes. */
  private newVpc(props: ClusterNetworkProps, offerings: DataAwsEc2InstanceTypeOfferings[]): NetworkIds {
    const { network, clusterName, tags } = props;
    const named = (name: string) => ({ ...tags, Name: `${clusterName}-${name}` });
    const vpc = new Vpc(this, "vpc", {
      cidrBlock: network.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: named("vpc"),
    });
    // Subnets without a table of their own use the main one: a routed VIP needs its route there too.
    this.routeTableIds.push(vpc.mainRouteTableId);
    const zoneOf = this.zonePicker(props, offerings);
    const { subnets: publicSubnets, internetRoute } = this.publicSubnets(vpc, network, zoneOf, named);
    const natCount = network.natGatewayPerZone ? publicSubnets.length : 1;
    const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
      const eip = new Eip(this, `nat-${i}-ip`, { domain: "vpc", tags: named(`nat-${i}`) });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.id,
        subnetId: subnet.id,
        tags: named(`nat-${i}`),
        dependsOn: [internetRoute],
      });
    });
    return {
      vpcId: vpc.id,
      publicSubnetIds: publicSubnets.map((s) => s.id),
      privateSubnetIds: network.privateSubnets.map((s, i) => {
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
        const association = new RouteTableAssociation(this, `private-${i}-association`, {
          subnetId: subnet.id,
          routeTableId: routes.id,
        });
        this.egressDependencies.push(egress, association);
        return subnet.id;
      }),
    };
  }

  /** Subnet i's zone: as given (checked to offer every instance type), or chosen once in the plan. */
  private zonePicker(props: ClusterNetworkProps, offerings: DataAwsEc2InstanceTypeOfferings[]): (i: number) => string {
    const given = props.network.availabilityZones;
    if (given) {
      this.requireOfferedIn(given, "network.availabilityZones", offerings, props);
      return (i) => given[i];
    }
    const chosen = this.chooseZones(props.network.privateSubnets.length, offerings, props);
    return (i) => Fn.element(chosen, i);
  }

  /** The public subnets, on one route table whose default route (`internetRoute`) is the internet gateway. */
  private publicSubnets(
    vpc: Vpc,
    network: NetworkSpec,
    zoneOf: (i: number) => string,
    named: (name: string) => Record<string, string>,
  ): { subnets: Subnet[]; internetRoute: Route } {
    const igw = new InternetGateway(this, "igw", { vpcId: vpc.id, tags: named("igw") });
    const routes = new RouteTable(this, "public-routes", { vpcId: vpc.id, tags: named("public") });
    this.routeTableIds.push(routes.id);
    const internetRoute = new Route(this, "public-default", {
      routeTableId: routes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    const subnets = network.publicSubnets.map((s, i) => {
      const subnet = new Subnet(this, `public-${i}`, {
        vpcId: vpc.id,
        cidrBlock: s.cidrBlock,
        availabilityZone: zoneOf(i),
        mapPublicIpOnLaunch: false,
        tags: { ...named(`public-${i}`), "kubernetes.io/role/elb": "1" },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: subnet.id, routeTableId: routes.id });
      return subnet;
    });
    return { subnets, internetRoute };
  }

  /**
   * The zones the subnets go in, chosen once: the first `wanted` zones of the region (by name) that
   * offer every instance type. The choice is stored (terraform_data, later changes of the region's
   * zone list ignored), so a new zone in the region or one that is impaired during a plan moves no
   * subnet and no node; only a different zone count chooses again. Every check runs at plan time.
   */
  private chooseZones(
    wanted: number,
    offerings: DataAwsEc2InstanceTypeOfferings[],
    props: ClusterNetworkProps,
  ): string[] {
    // No state filter: an impaired zone must not shrink the list that the checks count.
    const region = new DataAwsAvailabilityZones(this, "zones", {
      filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    const offeringAll = Fn.sort(
      Fn.setintersection(
        region.names,
        offerings.map((o) => o.locations),
      ),
    );
    const types = props.instanceTypes.map((t) => `${t.prop} "${t.instanceType}"`).join(", ");
    const typeChecks = props.instanceTypes.map(({ prop, instanceType }, i) => {
      const offeredIn = Fn.setintersection(region.names, [offerings[i].locations]);
      return {
        condition: Op.gte(Fn.lengthOf(offeredIn), wanted),
        errorMessage: `${prop} "${instanceType}" is offered in only ${Fn.join(", ", Fn.sort(offeredIn))} of this region's zones, and the cluster needs ${wanted} (network.zoneCount): choose a type offered in ${wanted} zones, or fewer zones.`,
      };
    });
    const sharedZonesCheck = {
      condition: Op.gte(Fn.lengthOf(offeringAll), wanted),
      errorMessage: `only ${Fn.join(", ", offeringAll)} offer every instance type of the cluster (${types}), and network.zoneCount is ${wanted}: choose types offered in the same ${wanted} zones, or fewer zones.`,
    };
    const stored = TerraformSelf.getAny("output.zones");
    const choice = new DataResource(this, "zone-choice", {
      input: { zones: Fn.slice(offeringAll, 0, Fn.min([wanted, Fn.lengthOf(offeringAll)])) },
      triggersReplace: { zoneCount: String(wanted) },
      lifecycle: {
        ignoreChanges: ["input"],
        precondition: [
          {
            condition: Op.gte(Fn.lengthOf(region.names), wanted),
            errorMessage: `network.zoneCount is ${wanted} but this region has only ${Fn.lengthOf(region.names)} availability zones (${Fn.join(", ", region.names)}): one zone would carry two nodes, and losing it could lose the etcd majority. Set network.zoneCount (or network.availabilityZones) to at most that many, or use another region.`,
          },
          ...typeChecks,
          // More than one type: they must also share the zones.
          ...(props.instanceTypes.length > 1 ? [sharedZonesCheck] : []),
        ],
        // Checked again at every plan against the stored choice: a later instance type must run there too.
        postcondition: [
          {
            condition: Op.lt(Fn.lengthOf(Fn.setsubtract(stored, offeringAll)), 1),
            errorMessage: `the cluster's subnets are in ${Fn.join(", ", stored)}, and ${Fn.join(", ", Fn.setsubtract(stored, offeringAll))} does not offer every instance type (${types}): choose types offered there.`,
          },
        ],
      },
    });
    return choice.output.lookup("zones");
  }

  /**
   * Fails the plan when two of the subnets the nodes use share a zone (their real zones, looked up: a
   * zone given as a token, or mislabelled, is checked here), where one zone's loss could lose etcd's majority.
   */
  private requireDistinctZones(zones: string[], checkedBy: DataAwsEc2InstanceTypeOfferings) {
    if (zones.length < 2) return;
    checkedBy.lifecycle = {
      postcondition: [
        ...(checkedBy.lifecycle?.postcondition ?? []),
        {
          condition: Op.eq(Fn.lengthOf(Fn.distinct(zones)), zones.length),
          errorMessage: `network.privateSubnets: the first ${zones.length} subnets, which hold the nodes, are in ${Fn.join(", ", zones)}: give each its own availability zone (or set spreadAcrossZones: false to accept that losing one zone can lose the etcd majority).`,
        },
      ],
    };
  }

  /** Fails the plan when a zone the nodes use does not offer one of their instance types. */
  private requireOfferedIn(
    zones: string[],
    zonesProp: string,
    offerings: DataAwsEc2InstanceTypeOfferings[],
    props: ClusterNetworkProps,
  ) {
    const missing = Fn.setsubtract(zones, TerraformSelf.getAny("locations"));
    props.instanceTypes.forEach(({ prop, instanceType }, i) => {
      offerings[i].lifecycle = {
        postcondition: [
          {
            condition: Op.lt(Fn.lengthOf(missing), 1),
            errorMessage: `${prop} "${instanceType}" is not offered in ${Fn.join(", ", missing)} (${zonesProp}): choose a type offered in every zone the nodes use, or other zones.`,
          },
        ],
      };
    });
  }
}
