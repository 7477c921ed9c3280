/**
 * keepalived VIP with HAProxy, stacked etcd, for AWS CDK: five control-plane nodes that also run
 * keepalived and HAProxy (VIP:8443), the VIP an overlay address routed to the VRRP master in every
 * route table, so the control plane stays spread over three zones.
 *   node scripts/app-build.js && npx cdk synth --app "node .app/examples/aws-cdk/keepalived-stacked.js"
 */
import { App, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";
import { KubeadmCluster } from "../../lib/aws-cdk";

export class KeepalivedStackedCdkStack extends Stack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id, { env: { region: "eu-west-1" } });
    this.cluster = new KubeadmCluster(this, "cluster", {
      clusterName: "vip-stacked",
      controlPlaneCount: 5,
      endpoint: { type: "keepalived", virtualIp: "192.168.255.10", dnsName: "api.vip-stacked.example.internal" },
    });
    this.cluster.addWorkerPool("workers");
    // Nodes only for pods that tolerate the taint (batch jobs), found by their label.
    this.cluster.addWorkerPool("batch", {
      instanceTypes: ["c7i.xlarge"],
      minSize: 0,
      maxSize: 10,
      labels: { "example.com/workload": "batch" },
      taints: [{ key: "example.com/workload", value: "batch", effect: "NoSchedule" }],
    });
    this.cluster.addOutputs();
  }
}

if (require.main === module) {
  const app = new App();
  new KeepalivedStackedCdkStack(app, "keepalived-stacked");
  app.synth();
}
