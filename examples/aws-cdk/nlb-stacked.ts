/**
 * NLB endpoint, stacked etcd, for AWS CDK: the default topology as a user's own CloudFormation stack.
 *   node scripts/app-build.js && npx cdk synth --app "node .app/examples/aws-cdk/nlb-stacked.js"
 */
import { App, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";
import { KubeadmCluster } from "../../lib/aws-cdk";

export class NlbStackedCdkStack extends Stack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id, { env: { region: "eu-west-1" } });
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
  new NlbStackedCdkStack(app, "nlb-stacked");
  app.synth();
}
