/**
 * keepalived VIP with HAProxy on two dedicated load balancers, external etcd, for AWS CDK: the classic
 * lb01/lb02 + etcd01-03 + master01-03 design, as the cdktf example builds it. The VIP is an address outside the VPC that a /32
 * route in every route table sends to the VRRP master; the two load balancers sit in two zones, so
 * losing either zone keeps the endpoint (a secondary-IP VIP would put both in one subnet, one zone).
 *   node scripts/app-build.js && npx cdk synth --app "node .app/examples/aws-cdk/keepalived-external-etcd.js"
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
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.20" },
      etcd: { topology: "external" },
    });
    this.cluster.addWorkerPool("workers");
    this.cluster.addOutputs();
  }
}

if (require.main === module) {
  const app = new App();
  new KeepalivedExternalEtcdCdkStack(app, "keepalived-external-etcd");
  app.synth();
}
