/**
 * A cdktf synth says nothing: with cdktf's own validations run, no topology prints a line, and no
 * construct carries a warning or error annotation (what `cdktf synth` would print), in more than one
 * region. The AWS CDK flavour's counterpart is test/aws-cdk/regions.test.ts.
 */
import { Testing } from "cdktf";
import { KubeadmClusterProps } from "../../lib/cdktf";
import { KubeadmHaStack } from "../../bin/app";

const TOPOLOGIES: [string, KubeadmClusterProps][] = [
  ["the default cluster", {}],
  ["external etcd", { etcd: { topology: "external" } }],
  [
    "keepalived on dedicated load balancers, route mode",
    { endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" } },
  ],
  [
    "keepalived on dedicated load balancers, the VIP a secondary IP",
    { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
  ],
];

describe.each(TOPOLOGIES)("%s", (_name, cluster) => {
  test.each(["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"])(
    "synthesizes in %s with cdktf's validations, printing nothing and annotating nothing",
    (region) => {
      const printed: string[] = [];
      const spies = (["error", "warn", "log", "info"] as const).map((m) =>
        jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args.join(" "))),
      );
      try {
        const stack = new KubeadmHaStack(Testing.app(), "test", { region, cluster });
        Testing.synth(stack, true);
        for (const c of stack.node.findAll())
          for (const m of c.node.metadata)
            if (m.type === "@cdktf/warn" || m.type === "@cdktf/error") printed.push(`${c.node.path}: ${m.data}`);
      } finally {
        spies.forEach((s) => s.mockRestore());
      }
      expect(printed).toEqual([]);
    },
  );
});
