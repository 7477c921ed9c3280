import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { App, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";
import { KubeadmCluster, WorkerPool } from "../lib/aws-cdk";
import { AppSettings, readSettings } from "./settings";

/**
 * The default stack for AWS CDK: one KubeadmCluster in a new VPC with a pool of workers, in the settings' region, with no
 * account (nothing is looked up: `cdk synth` runs offline; `cdk deploy` takes the CLI's account).
 */
export class KubeadmHaCdkStack extends Stack {
  readonly cluster: KubeadmCluster;
  readonly workers?: WorkerPool;

  constructor(scope: Construct, id: string, settings: AppSettings) {
    super(scope, id, {
      env: { region: settings.region },
      description: "A highly available kubeadm control plane (kubeadm-ha-aws, AWS CDK flavour)",
    });
    this.cluster = new KubeadmCluster(this, "cluster", settings.cluster);
    if (settings.workers) this.workers = this.cluster.addWorkerPool("workers", settings.workers);
    this.cluster.addOutputs();
  }
}

/** The AWS CDK default app, with the same settings as the cdktf one (environment first, then cdk.json context). */
export function buildCdkApp(options: { outdir?: string; env?: NodeJS.ProcessEnv } = {}): {
  app: App;
  stack: KubeadmHaCdkStack;
} {
  // Run by the cdk CLI, CDK_OUTDIR says where; run directly (npm run synth), cdk.out as the CLI would.
  const app = new App({ outdir: options.outdir ?? process.env.CDK_OUTDIR ?? "cdk.out", context: cdkJsonContext() });
  const settings = readSettings(
    options.env ?? process.env,
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext()),
  );
  const stack = new KubeadmHaCdkStack(app, "kubeadm-ha", settings);
  return { app, stack };
}

/**
 * cdk.json's context (the feature flags a new AWS CDK app gets) for a run without the cdk CLI (`npm run
 * synth`, the tests), so the template is the one `cdk deploy` makes; the CLI passes it itself.
 */
function cdkJsonContext(): Record<string, unknown> | undefined {
  if (process.env.CDK_CONTEXT_JSON) return undefined;
  // bin/ when run as TypeScript (the tests); dist/bin/ or .app/bin/ when built.
  const file = [join(__dirname, "..", "cdk.json"), join(__dirname, "..", "..", "cdk.json")].find(existsSync);
  return file ? JSON.parse(readFileSync(file, "utf8")).context : undefined;
}
