/**
 * keepalived VIP with HAProxy on two dedicated load balancers, external etcd, for AWS CDK: the classic
 * lb01/lb02 + etcd01-03 + master01-03 design. The VIP is an overlay address routed to the VRRP master
 * (the cdktf example moves a secondary IP instead, which this flavour does not do yet).
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
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
      etcd: { topology: "external" },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new KeepalivedExternalEtcdCdkStack(app, "keepalived-external-etcd");
  app.synth();
}
