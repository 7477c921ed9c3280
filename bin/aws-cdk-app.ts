import { App, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";
import { KubeadmCluster } from "../lib/aws-cdk";
import { AppSettings, readSettings } from "./settings";

/**
 * The default stack for AWS CDK: one KubeadmCluster in a new VPC, in the settings' region, with no
 * account (nothing is looked up: `cdk synth` runs offline; `cdk deploy` takes the CLI's account).
 */
export class KubeadmHaCdkStack extends Stack {
  readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string, settings: AppSettings) {
    super(scope, id, {
      env: { region: settings.region },
      description: "A highly available kubeadm control plane (kubeadm-ha-aws, AWS CDK flavour)",
    });
    this.cluster = new KubeadmCluster(this, "cluster", settings.cluster);
    this.cluster.addOutputs();
  }
}

/** The AWS CDK default app, with the same settings as the cdktf one (environment first, then cdk.json context). */
export function buildCdkApp(options: { outdir?: string; env?: NodeJS.ProcessEnv } = {}): {
  app: App;
  stack: KubeadmHaCdkStack;
} {
  // Run by the cdk CLI, CDK_OUTDIR says where; run directly (npm run synth), cdk.out as the CLI would.
  const app = new App({ outdir: options.outdir ?? process.env.CDK_OUTDIR ?? "cdk.out" });
  const settings = readSettings(
    options.env ?? process.env,
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext()),
  );
  const stack = new KubeadmHaCdkStack(app, "kubeadm-ha", settings);
  return { app, stack };
}
