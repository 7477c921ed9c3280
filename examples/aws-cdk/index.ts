import { Construct } from "constructs";
import { KubeadmCluster } from "../../lib/aws-cdk";
import { KeepalivedExternalEtcdCdkStack } from "./keepalived-external-etcd";
import { KeepalivedStackedCdkStack } from "./keepalived-stacked";
import { NlbExternalEtcdCdkStack } from "./nlb-external-etcd";
import { NlbStackedCdkStack } from "./nlb-stacked";

/** Every AWS CDK example stack by name (its file name), for the tests and the benchmark. */
export const CDK_EXAMPLES: Record<string, new (scope: Construct, id: string) => { cluster: KubeadmCluster }> = {
  "nlb-stacked": NlbStackedCdkStack,
  "nlb-external-etcd": NlbExternalEtcdCdkStack,
  "keepalived-stacked": KeepalivedStackedCdkStack,
  "keepalived-external-etcd": KeepalivedExternalEtcdCdkStack,
};
