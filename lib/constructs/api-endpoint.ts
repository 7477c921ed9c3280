import { Instance } from "@cdktf/provider-aws/lib/instance";
import { EndpointAddress } from "../render";

/**
 * The stable address in front of the API servers. One implementation per kind of endpoint
 * (NlbEndpoint, KeepalivedEndpoint); KubeadmCluster only talks to this interface.
 */
export interface IApiEndpoint {
  /** Host and port clients use: the kubeadm controlPlaneEndpoint, and a certificate SAN. */
  readonly address: EndpointAddress;
  /** `https://host:port`. */
  readonly url: string;
  /** Sends API traffic to these control-plane instances (their API servers listen on `apiServerPort`). */
  registerControlPlane(nodes: Instance[], apiServerPort: number): void;
}
