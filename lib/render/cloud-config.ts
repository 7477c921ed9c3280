import { stringify } from "yaml";

export interface CloudConfigFile {
  readonly path: string;
  readonly content: string;
  /** Octal mode, e.g. "0644". */
  readonly permissions: string;
}

export interface CloudConfig {
  /** The node's fixed name; none for a pool's node, which keeps the name cloud-init's EC2 datasource gives it. */
  readonly hostname?: string;
  readonly files: CloudConfigFile[];
  /** Commands run once, in order, on the instance's first boot (argv lists). */
  readonly runcmd: string[][];
}

export const CLOUD_CONFIG_HEADER = "#cloud-config\n";

/**
 * Renders readable cloud-config; encodeUserData (user-data.ts) gzips it at synth, for every framework,
 * to stay under EC2's 16 KB user-data limit. Deploy-time values are never in it (the deploy settings).
 */
export function renderCloudConfig(config: CloudConfig): string {
  const doc = {
    ...(config.hostname === undefined ? {} : { hostname: config.hostname }),
    preserve_hostname: false,
    manage_etc_hosts: false,
    write_files: config.files.map((f) => ({
      path: f.path,
      owner: "root:root",
      permissions: f.permissions,
      content: f.content,
    })),
    runcmd: config.runcmd,
  };
  return CLOUD_CONFIG_HEADER + stringify(doc, { lineWidth: 0 });
}
