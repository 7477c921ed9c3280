import { Stack, Token } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { IConstruct } from "constructs";
import { ClusterInput, ClusterSpec, ClusterSpecError, ExistingNetworkInput, SubnetInput } from "../cluster-spec";

/** What an AWS CDK user passes instead of `network`: the VPC object and which of its subnets. */
export interface VpcProps {
  /**
   * Your VPC (`new ec2.Vpc(...)`, `Vpc.fromLookup`, or `Vpc.fromVpcAttributes` with the subnets' CIDRs):
   * the cluster uses its subnets as they are, like `network` with `vpcId` does. Not with `network`.
   * @default - a new VPC planned from `network`
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` for the nodes, one per availability zone. Their CIDRs must be known at synth
   * (a new `ec2.Vpc` and `Vpc.fromLookup` know them): the nodes' fixed addresses are computed from them.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The subnets of `vpc` for an internet-facing NLB (`endpoint.internetFacing`).
   * @default - the VPC's public subnets, with `endpoint.internetFacing`; none otherwise
   */
  readonly publicSubnets?: ec2.SubnetSelection;
}

/** The cluster props with `vpc` turned into the `network` of an existing network, or as given without it. */
export function withVpcNetwork(props: ClusterInput & VpcProps): ClusterInput {
  // Anything else goes to the spec as it came, which reports what is wrong with its shape.
  const given = (key: keyof VpcProps) => typeof props === "object" && props !== null && key in props;
  if (!given("vpc") && !given("vpcSubnets") && !given("publicSubnets")) return props;
  const { vpc, vpcSubnets, publicSubnets, ...input } = props;
  if (vpc === undefined) {
    if (vpcSubnets || publicSubnets)
      throw new ClusterSpecError([
        {
          prop: vpcSubnets ? "vpcSubnets" : "publicSubnets",
          message: "selects subnets of `vpc`, which is not given: pass vpc too.",
        },
      ]);
    return input;
  }
  if (input.network !== undefined)
    throw new ClusterSpecError([
      {
        prop: "network",
        message: "is given with vpc: give one of the two (vpc for an ec2.IVpc, network for ids and CIDRs).",
      },
    ]);
  const problems: { prop: string; message: string }[] = [];
  /** An attribute an imported VPC or subnet may lack: aws-cdk-lib throws when asked for it. */
  const known = (prop: string, read: () => string, fix: string): string => {
    try {
      return read();
    } catch {
      problems.push({ prop, message: fix });
      return "";
    }
  };
  const subnets = (prop: string, selection: ec2.SubnetSelection): SubnetInput[] =>
    vpc.selectSubnets(selection).subnets.map((subnet, i) => ({
      id: subnet.subnetId,
      availabilityZone: subnet.availabilityZone,
      cidrBlock: known(
        `${prop}[${i}]`,
        () => subnet.ipv4CidrBlock,
        `subnet ${subnet.node.path} has no IPv4 CIDR known at synth (the nodes' addresses are computed from it): import it with its CIDR (Subnet.fromSubnetAttributes with ipv4CidrBlock, Vpc.fromVpcAttributes with privateSubnetIpv4CidrBlocks) or use Vpc.fromLookup.`,
      ),
    }));
  const internetFacing = input.endpoint?.type === "nlb" && input.endpoint.internetFacing === true;
  const network: ExistingNetworkInput = {
    vpcId: vpc.vpcId,
    vpcCidr: known("vpc", () => vpc.vpcCidrBlock, "has no CIDR: import it with vpcCidrBlock, or use Vpc.fromLookup."),
    privateSubnets: subnets("vpcSubnets", vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }),
    publicSubnets:
      publicSubnets || internetFacing
        ? subnets("publicSubnets", publicSubnets ?? { subnetType: ec2.SubnetType.PUBLIC })
        : undefined,
  };
  if (problems.length > 0) throw new ClusterSpecError(problems);
  return { ...input, network };
}

/**
 * The subnets the nodes spread over must lie in distinct zones (one zone's loss keeps etcd's majority).
 * cdktf checks their real zones in the plan; CloudFormation has no check on a resource's attributes
 * before it creates others, so zones known only at deploy time must be distinct by construction, as
 * distinct picks of one `Fn::GetAZs` list are, or they are refused here.
 */
export function checkDeployTimeZones(scope: IConstruct, props: VpcProps, spec: ClusterSpec): void {
  const zones = spec.network.privateSubnets
    .slice(0, spec.network.distinctZoneSubnets ?? 0)
    .map((subnet) => subnet.availabilityZone);
  if (!zones.some((zone) => Token.isUnresolved(zone))) return;
  const picks = zones.map((zone) => {
    const select = (Stack.of(scope).resolve(zone) as { "Fn::Select"?: unknown } | undefined)?.["Fn::Select"];
    const [index, list] = Array.isArray(select) ? select : [];
    return typeof index === "number" && list?.["Fn::GetAZs"] !== undefined
      ? { index, list: JSON.stringify(list) }
      : undefined;
  });
  const distinctPicks =
    picks.every((pick) => pick !== undefined) &&
    new Set(picks.map((pick) => pick!.list)).size === 1 &&
    new Set(picks.map((pick) => pick!.index)).size === picks.length;
  if (distinctPicks) return;
  throw new ClusterSpecError([
    {
      prop: props.vpc !== undefined ? "vpcSubnets" : "network.privateSubnets",
      message: `the first ${zones.length} subnets' zones are known only at deploy time, where CloudFormation cannot check that they differ (the nodes spread over them so that one zone's loss keeps etcd's majority): give the zones at synth (Vpc.fromLookup, or literal availabilityZones), pick them as distinct Fn.select(i, Fn.getAzs()), or set spreadAcrossZones: false to accept nodes sharing a zone.`,
    },
  ]);
}
