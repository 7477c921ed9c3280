/** Synthesis and reading helpers for the AWS CDK flavour's tests. */
import { App, Environment, Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { readFileSync } from "fs";
import { join } from "path";
import { gunzipSync } from "zlib";
import { KubeadmCluster, KubeadmClusterProps } from "../../lib/aws-cdk";
import { WorkerPoolInput } from "../../lib/cluster-spec";
import { printedDuring } from "../quiet";

export interface CdkSynth {
  readonly stack: Stack;
  readonly cluster: KubeadmCluster;
  readonly template: Template;
  /** The template as CloudFormation gets it. */
  readonly json: {
    Resources: Record<
      string,
      { Type: string; Properties?: any; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }
    >;
    Outputs?: any;
    Parameters?: any;
  };
}

/**
 * An app as `cdk deploy` runs the default one: with cdk.json's context, the feature flags a new AWS CDK
 * app gets. One of them makes a synth fail on any finding of aws-cdk-lib's own template validation (its
 * bundled regional CloudFormation schemas: a type or property a region lacks), where it would only warn.
 */
export function strictApp(): App {
  return new App({ context: CDK_JSON_CONTEXT });
}

/** cdk.json's context: the recommended feature flags (`npm run cdk-flags` writes them). */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "cdk.json"), "utf8"),
).context;

/**
 * Synthesizes `stack`'s app and returns what the synth printed (console) and every warning or error
 * annotation: a synth that deploys says nothing.
 */
export function synthFindings(stack: Stack): string[] {
  // A finding is an error under strictApp's flag: printedDuring records it with what was printed.
  const printed = printedDuring(() => Template.fromStack(stack));
  const annotations = Annotations.fromStack(stack);
  for (const found of [
    ...annotations.findWarning("*", Match.anyValue()),
    ...annotations.findError("*", Match.anyValue()),
  ])
    printed.push(`${found.id}: ${JSON.stringify(found.entry.data)}`);
  return printed;
}

/**
 * A stack (environment-agnostic unless `env` is given: nothing is looked up) with one cluster; `props`
 * may build what the cluster composes with (a user's ec2.Vpc) in the stack first; `outputs` adds the
 * stack outputs the default app adds.
 */
export function synthCdk(
  props: KubeadmClusterProps | ((stack: Stack) => KubeadmClusterProps) = {},
  env?: Environment,
  /** `workers`: the pool the default app adds (its defaults), or false for none. */
  options: { outputs?: boolean; workers?: WorkerPoolInput | false } = {},
): CdkSynth {
  const app = strictApp();
  const stack = new Stack(app, "kubeadm-ha", { env });
  const cluster = new KubeadmCluster(stack, "cluster", typeof props === "function" ? props(stack) : props);
  if (options.workers !== false) cluster.addWorkerPool("workers", options.workers ?? {});
  if (options.outputs) cluster.addOutputs();
  // A framework warning is a defect as much as a failed assertion: every test's synth must say nothing.
  const findings = synthFindings(stack);
  if (findings.length > 0) throw new Error(`the synth printed or warned:\n${findings.join("\n")}`);
  const template = Template.fromStack(stack);
  return { stack, cluster, template, json: template.toJSON() as CdkSynth["json"] };
}

/** [logical id, resource] of every resource of a type. */
export function cfnResources(synth: CdkSynth, type: string): [string, any][] {
  return Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
}

/** A resource's tag value. */
export function cfnTag(resource: any, key: string): string | undefined {
  return (resource.Properties?.Tags ?? []).find((t: any) => t.Key === key)?.Value;
}

/** The explicit primary interface (device 0) an instance attaches. */
export function cfnPrimaryInterface(synth: CdkSynth, instance: any): any {
  const attachment = instance.Properties.NetworkInterfaces.find((n: any) => n.DeviceIndex === "0");
  return synth.json.Resources[attachment.NetworkInterfaceId.Ref];
}

/** The cloud-config an instance's UserData (base64 of gzip) holds. */
export function cfnUserDataText(resource: any): string {
  return gunzipSync(Buffer.from(resource.Properties.UserData, "base64")).toString("utf8");
}
