/**
 * keepalived VIP with HAProxy on two dedicated load balancers, external etcd, for AWS CDK: the classic
 * lb01/lb02 + etcd01-03 + master01-03 design, as the cdktf example builds it. The VIP is a secondary
 * private IP that keepalived moves between the two load balancers (both in the first private subnet;
 * their primary interfaces carry the cluster's tag, which the VIP policy checks).
 *   npm run build && npx cdk synth --app "node dist/examples/aws-cdk/keepalived-external-etcd.js"
 */
import { App, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";
import { KubeadmCluster } from "../../lib/aws-cdk";

export class KeepalivedExternalEtcdCdkStack extends Stack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id, { env: { region: "eu-west-1" } });
    this.cluster = new KubeadmCluster(this, "cluster", {
      clusterName: "vip-external",
      endpoint: { type: "keepalived", vipMode: "secondary-ip", placement: "dedicated" },
      etcd: { topology: "external" },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new KeepalivedExternalEtcdCdkStack(app, "keepalived-external-etcd");
  app.synth();
}
