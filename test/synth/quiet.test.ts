/**
 * A cdktf synth says nothing: with cdktf's own validations run, no topology prints a line, and no
 * construct carries a warning or error annotation (what `cdktf synth` would print), in more than one
 * region. The AWS CDK flavour's counterpart is test/aws-cdk/regions.test.ts.
 */
import { Testing } from "cdktf";
import { KubeadmHaStack } from "../../bin/app";
import { EVERY_TOPOLOGY, printedDuring } from "../quiet";

describe.each(EVERY_TOPOLOGY)("%s", (_name, cluster) => {
  test.each(["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"])(
    "synthesizes in %s with cdktf's validations, printing nothing and annotating nothing",
    (region) => {
      const printed = printedDuring(() => {
        const stack = new KubeadmHaStack(Testing.app(), "test", { region, cluster });
        Testing.synth(stack, true);
        for (const c of stack.node.findAll())
          for (const m of c.node.metadata)
            if (m.type === "@cdktf/warn" || m.type === "@cdktf/error") console.warn(`${c.node.path}: ${m.data}`);
      });
      expect(printed).toEqual([]);
    },
  );
});
