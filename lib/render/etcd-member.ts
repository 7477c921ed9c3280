/**
 * The external etcd member: its settings (node-settings.env) and its complete user data: etcd's own
 * environment and unit, run by bootstrap-etcd.sh.
 */
import { ClusterSpec, EtcdMemberSpec, ExternalEtcdSpec } from "../cluster-spec";
import { DOWNLOAD_SOURCES } from "../cluster-spec/versions";
import { renderCloudConfig } from "./cloud-config";
import { ETCD_PATHS, etcdClientUrls, renderEtcdEnv, renderEtcdUnit } from "./etcd";
import {
  BASE_SCRIPTS,
  NodeScripts,
  TIME_SYNC_SOURCE,
  bootstrapFiles,
  nodeSettingsFile,
  nodeEnv,
  scriptFiles,
} from "./node-common";
import { EtcdMemberSettings, renderNodeSettings } from "./node-settings";
import { NODE_PATHS } from "./paths";

export interface EtcdMemberUserDataInput {
  readonly spec: ClusterSpec;
  readonly member: EtcdMemberSpec;
}

/** The settings file of an external etcd member. */
export function renderEtcdMemberEnv(input: EtcdMemberUserDataInput): string {
  const etcd = input.spec.etcd as ExternalEtcdSpec;
  const settings: EtcdMemberSettings = {
    ...nodeEnv(input.spec, input.member.name, input.member.privateIp),
    NODE_INDEX: input.member.index,
    ETCD_ENDPOINTS: etcdClientUrls(etcd),
    ETCD_RELEASE: etcd.version,
    ETCD_RELEASE_SHA256: etcd.sha256,
    ETCD_RELEASE_ARCH: etcd.architecture,
    ETCD_RELEASES: DOWNLOAD_SOURCES.etcdReleases,
  };
  return renderNodeSettings(settings);
}

/** The complete `#cloud-config` user data of an external etcd member. */
export function renderEtcdMemberUserData(input: EtcdMemberUserDataInput, scripts: NodeScripts): string {
  const etcd = input.spec.etcd as ExternalEtcdSpec;
  const bootstrap = bootstrapFiles(`etcd member ${input.member.name}`, `${NODE_PATHS.scripts}/bootstrap-etcd.sh`);
  return renderCloudConfig({
    hostname: input.member.name,
    files: [
      nodeSettingsFile(renderEtcdMemberEnv(input)),
      { path: ETCD_PATHS.env, content: renderEtcdEnv(input.spec, etcd, input.member), permissions: "0644" },
      { path: ETCD_PATHS.unit, content: renderEtcdUnit(), permissions: "0644" },
      TIME_SYNC_SOURCE,
      ...bootstrap.files,
      ...scriptFiles([...BASE_SCRIPTS, "bootstrap-etcd.sh"], scripts),
    ],
    runcmd: bootstrap.runcmd,
  });
}
