/**
 * Every topology synthesizes in every commercial region without a finding: aws-cdk-lib validates the
 * template against its bundled regional CloudFormation schemas, and a resource type a region lacks
 * (F3006) is a stack CloudFormation refuses before it creates anything. The newest regions are listed
 * because they are the last to get a type; an environment-agnostic stack is checked as well.
 */
import { Stack } from "aws-cdk-lib";
import { KubeadmCluster } from "../../lib/aws-cdk";
import { EVERY_TOPOLOGY } from "../quiet";
import { strictApp, synthFindings } from "./helpers";

const REGIONS = [
  "us-east-1",
  "eu-west-1",
  "ap-southeast-2",
  "sa-east-1",
  "ap-east-2",
  "ca-west-1",
  "me-central-1",
  "mx-central-1",
  undefined,
];

describe.each(EVERY_TOPOLOGY)("%s", (_name, props) => {
  test.each(REGIONS.map((r) => [r ?? "no region (environment-agnostic)", r]))(
    "synthesizes in %s with no validation finding, warning or printed line",
    (_label, region) => {
      const stack = new Stack(strictApp(), "kubeadm-ha", {
        env: region ? { account: "123456789012", region } : undefined,
      });
      new KubeadmCluster(stack, "cluster", props);
      expect(synthFindings(stack)).toEqual([]);
    },
  );
});
