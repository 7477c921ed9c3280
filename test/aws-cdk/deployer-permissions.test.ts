/**
 * docs/deploying.md's policy, used as the CloudFormation execution policy of a narrowed CDK bootstrap,
 * covers every resource type the topologies' templates hold: a type that appears without its actions
 * (or its service) in the policy fails here. Each topology is synthesized once.
 */
import {
  CLOUDFORMATION_ACTIONS,
  DEPLOYER_TOPOLOGIES,
  allowedActions,
  deployerStatements,
  missingActions,
  serviceOf,
} from "../deployer-policy";
import { synthCdk } from "./helpers";

const typesOf = new Map(
  DEPLOYER_TOPOLOGIES.map(([name, props]) => [
    name,
    [...new Set(Object.values(synthCdk(props).json.Resources).map((r) => r.Type))].sort(),
  ]),
);
const granted = allowedActions(deployerStatements());

describe("the deployer's policy in docs/deploying.md covers each topology's template", () => {
  test.each(DEPLOYER_TOPOLOGIES.map(([name]) => [name]))("%s: every type's actions", (name) => {
    expect(missingActions(typesOf.get(name)!, CLOUDFORMATION_ACTIONS, granted)).toEqual([]);
  });

  test("every service a template calls is named in the policy", () => {
    const named = new Set(granted.map(serviceOf));
    const needed = [...new Set([...typesOf.values()].flat())].flatMap((type) =>
      (CLOUDFORMATION_ACTIONS[type] ?? []).map((action) => ({ type, service: serviceOf(action) })),
    );
    expect(needed.filter(({ service }) => !named.has(service))).toEqual([]);
  });
});
