/**
 * NLB endpoint, external etcd, for AWS CDK: an internet-facing NLB open to one office range only, three
 * control-plane nodes and a separate etcd cluster of three members, one per zone; the team's workers'
 * range may reach the kubelets, an operator role may read the admin kubeconfig.
 *   node scripts/app-build.js && npx cdk synth --app "node .app/examples/aws-cdk/nlb-external-etcd.js"
 */
import { App, Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { KubeadmCluster } from "../../lib/aws-cdk";

export class NlbExternalEtcdCdkStack extends Stack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id, { env: { region: "eu-west-1" } });
    this.cluster = new KubeadmCluster(this, "cluster", {
      clusterName: "nlb-external",
      endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] },
      etcd: { topology: "external", members: 3 },
    });
    this.cluster.addWorkerPool("workers");
    this.cluster.addOutputs();
    this.cluster.connections.allowFrom(
      ec2.Peer.ipv4("10.0.128.0/17"),
      ec2.Port.tcp(10250),
      "kubelet API from the workers' range",
    );
    const operators = new iam.Role(this, "operators", { assumedBy: new iam.AccountRootPrincipal() });
    this.cluster.grantAdminKubeconfigRead(operators);
  }
}

if (require.main === module) {
  const app = new App();
  new NlbExternalEtcdCdkStack(app, "nlb-external-etcd");
  app.synth();
}
