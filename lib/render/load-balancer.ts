/**
 * The dedicated load balancer: one of two keepalived + HAProxy peers in front of the control plane,
 * its settings (node-settings.env) and its complete user data.
 */
import { KeepalivedEndpointSpec, VrrpPeerSpec } from "../cluster-spec";
import { renderCloudConfig } from "./cloud-config";
import {
  BASE_SCRIPTS,
  ENDPOINT_SCRIPTS,
  NodeScripts,
  NodeUserDataContext,
  TIME_SYNC_SOURCE,
  bootstrapFiles,
  nodeSettingsFile,
  endpointFiles,
  nodeEnv,
  scriptFiles,
  vipEnv,
} from "./node-common";
import { LoadBalancerSettings, renderNodeSettings } from "./node-settings";
import { NODE_PATHS } from "./paths";

/** The settings file of a dedicated load balancer. */
export function renderLoadBalancerEnv(context: NodeUserDataContext, peer: VrrpPeerSpec): string {
  const endpoint = context.spec.endpoint as KeepalivedEndpointSpec;
  const settings: LoadBalancerSettings = {
    ...nodeEnv(context.spec, peer.name, peer.privateIp),
    ...vipEnv(endpoint),
  };
  return renderNodeSettings(settings);
}

/** The complete `#cloud-config` user data of a dedicated keepalived + HAProxy load balancer. */
export function renderLoadBalancerUserData(
  context: NodeUserDataContext,
  peer: VrrpPeerSpec,
  scripts: NodeScripts,
): string {
  const endpoint = context.spec.endpoint as KeepalivedEndpointSpec;
  const bootstrap = bootstrapFiles(
    `API load balancer ${peer.name}`,
    `${NODE_PATHS.scripts}/setup-endpoint.sh --standalone`,
  );
  return renderCloudConfig({
    hostname: peer.name,
    files: [
      nodeSettingsFile(renderLoadBalancerEnv(context, peer)),
      ...endpointFiles(context.spec, endpoint, peer),
      TIME_SYNC_SOURCE,
      ...bootstrap.files,
      ...scriptFiles([...BASE_SCRIPTS, ...ENDPOINT_SCRIPTS], scripts),
    ],
    runcmd: bootstrap.runcmd,
  });
}
