/**
 * NLB endpoint, stacked etcd: three control-plane nodes in a new VPC over three zones, behind an
 * internal Network Load Balancer. The default topology, written out as a user's own stack.
 *   node scripts/app-build.js && cdktf synth --app "node .app/examples/nlb-stacked.js"
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { KubeadmCluster } from "../lib";

export class NlbStackedStack extends TerraformStack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-west-1" });
    this.cluster = new KubeadmCluster(this, "cluster", {
      clusterName: "nlb-stacked",
      kubernetesVersion: "1.37.1",
      extraCertSans: ["api.nlb-stacked.example.com"],
    });
    // Two worker types, the first preferred: the group takes the second when the first has no capacity.
    this.cluster.addWorkerPool("workers", { instanceTypes: ["m7i.large", "m6i.large"], minSize: 3, maxSize: 6 });
    this.cluster.addOutputs();
  }
}

if (require.main === module) {
  const app = new App();
  new NlbStackedStack(app, "nlb-stacked");
  app.synth();
}
