/**
 * docs/deploying.md's policy for the deployer covers every resource type and data source the
 * topologies' plans hold: a type that appears without its actions (or its service) in the policy fails
 * here, so the doc cannot fall behind the plan. Each topology is synthesized once.
 */
import { ClusterInput } from "../../lib/cluster-spec";
import {
  DEPLOYER_TOPOLOGIES,
  TERRAFORM_ACTIONS,
  allowedActions,
  deployerStatements,
  grants,
  missingActions,
  serviceOf,
} from "../deployer-policy";
import { synthStack } from "../helpers";

/** An existing network adds the subnets' data sources (their zones, checked at deploy time). */
const EXISTING_NETWORK: ClusterInput = {
  network: {
    vpcId: "vpc-0123456789abcdef0",
    vpcCidr: "10.1.0.0/16",
    privateSubnets: ["a", "b", "c"].map((z, i) => ({
      id: `subnet-0123456789abcdef${z}`,
      availabilityZone: `us-east-1${z}`,
      cidrBlock: `10.1.${i}.0/24`,
    })),
  },
};

const TOPOLOGIES: [string, ClusterInput][] = [...DEPLOYER_TOPOLOGIES, ["in an existing network", EXISTING_NETWORK]];

/** Each topology's resource types and data sources (`data.TYPE`). */
const typesOf = new Map(
  TOPOLOGIES.map(([name, props]) => {
    const { plan } = synthStack(props);
    return [name, [...Object.keys(plan.resource), ...Object.keys(plan.data ?? {}).map((t) => `data.${t}`)].sort()];
  }),
);
const granted = allowedActions(deployerStatements());

describe("the deployer's policy in docs/deploying.md covers each topology's plan", () => {
  test.each(TOPOLOGIES.map(([name]) => [name]))("%s: every type's actions", (name) => {
    expect(missingActions(typesOf.get(name)!, TERRAFORM_ACTIONS, granted)).toEqual([]);
  });

  test("every service a plan calls is named in the policy", () => {
    const named = new Set(granted.map(serviceOf));
    const needed = [...new Set([...typesOf.values()].flat())].flatMap((type) =>
      (TERRAFORM_ACTIONS[type] ?? []).map((action) => ({ type, service: serviceOf(action) })),
    );
    expect(needed.filter(({ service }) => !named.has(service))).toEqual([]);
  });

  test("the plans hold the types the policy was written for (a sanity check of the synthesis)", () => {
    const all = new Set([...typesOf.values()].flat());
    for (const type of ["aws_instance", "aws_lb", "aws_route53_zone", "aws_ec2_tag", "data.aws_subnet"])
      expect(all).toContain(type);
  });

  test("the deployer may not read or write the secrets' values", () => {
    expect(grants(granted, "secretsmanager:GetSecretValue")).toBe(false);
    expect(grants(granted, "secretsmanager:PutSecretValue")).toBe(false);
  });
});
