import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { KubeadmCluster, WorkerPool } from "../lib/cdktf";
import { AppSettings, readSettings } from "./settings";

export { AppSettings, DEFAULT_REGION, readSettings, SETTINGS, SettingsError } from "./settings";

/**
 * Where the default app keeps its state: the project folder, as cdktf does by default, but written
 * relative to the stack's folder (cdktf.out/stacks/NAME) so the plan holds no path of this machine.
 * A team uses a remote backend instead (docs/deploying.md).
 */
export function defaultStatePath(stackId: string): string {
  return `../../../terraform.${stackId}.tfstate`;
}

/** The default stack: AWS provider plus one KubeadmCluster in a new VPC, with a pool of workers. */
export class KubeadmHaStack extends TerraformStack {
  readonly cluster: KubeadmCluster;
  readonly workers?: WorkerPool;

  constructor(scope: Construct, id: string, settings: AppSettings) {
    super(scope, id);
    new LocalBackend(this, { path: defaultStatePath(id) });
    new AwsProvider(this, "aws", { region: settings.region });
    this.cluster = new KubeadmCluster(this, "cluster", settings.cluster);
    if (settings.workers) this.workers = this.cluster.addWorkerPool("workers", settings.workers);
    this.cluster.addOutputs();
  }
}

export function buildApp(options: { outdir?: string; env?: NodeJS.ProcessEnv } = {}): {
  app: App;
  stack: KubeadmHaStack;
} {
  const app = new App({ outdir: options.outdir });
  const settings = readSettings(
    options.env ?? process.env,
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext()),
  );
  const stack = new KubeadmHaStack(app, "kubeadm-ha", settings);
  return { app, stack };
}
