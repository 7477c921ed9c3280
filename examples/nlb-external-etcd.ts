/**
 * NLB endpoint, external etcd: an internet-facing NLB open to one office range only, three
 * control-plane nodes and a separate etcd cluster of three members, one per zone.
 *   node scripts/app-build.js && cdktf synth --app "node .app/examples/nlb-external-etcd.js"
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { KubeadmCluster } from "../lib";

export class NlbExternalEtcdStack extends TerraformStack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-west-1" });
    this.cluster = new KubeadmCluster(this, "cluster", {
      clusterName: "nlb-external",
      endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] },
      etcd: { topology: "external", members: 3 },
    });
    this.cluster.addWorkerPool("workers");
    this.cluster.addOutputs();
  }
}

if (require.main === module) {
  const app = new App();
  new NlbExternalEtcdStack(app, "nlb-external-etcd");
  app.synth();
}
