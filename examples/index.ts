import { Construct } from "constructs";
import { KubeadmCluster } from "../lib";
import { KeepalivedExternalEtcdStack } from "./keepalived-external-etcd";
import { KeepalivedStackedStack } from "./keepalived-stacked";
import { NlbExternalEtcdStack } from "./nlb-external-etcd";
import { NlbStackedStack } from "./nlb-stacked";

/** Every example stack by name (its file name), for the tests and the benchmark. */
export const EXAMPLES: Record<string, new (scope: Construct, id: string) => { cluster: KubeadmCluster }> = {
  "nlb-stacked": NlbStackedStack,
  "nlb-external-etcd": NlbExternalEtcdStack,
  "keepalived-stacked": KeepalivedStackedStack,
  "keepalived-external-etcd": KeepalivedExternalEtcdStack,
};
