import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { gunzipSync } from "zlib";
import { dirname, join } from "path";
import { App, TerraformStack, Testing } from "cdktf";
import { parse, parseAllDocuments } from "yaml";
import { AppSettings, KubeadmHaStack } from "../bin/app";
import { KubeadmClusterProps } from "../lib/cdktf";
import { DeployValues, renderClusterDeploySettings } from "../lib/render/internal";
import {
  ClusterSpec,
  ClusterSpecError,
  deploySettingsParameterName,
  SpecProblem,
  WorkerPoolInput,
} from "../lib/cluster-spec";

export const ROOT = join(__dirname, "..");
export const USERDATA_DIR = join(ROOT, "userdata");

export type Resources = Record<string, Record<string, any>>;
export interface SynthResult {
  readonly json: string;
  readonly plan: { resource: Resources; data: Resources; output: Record<string, any> };
}

/** Synthesizes the default app's stack with the given cluster props (region us-east-1) and, as the app has, a pool of workers. */
export function synthStack(
  cluster: KubeadmClusterProps = {},
  region = "us-east-1",
  workers: WorkerPoolInput | false = {},
): SynthResult {
  const settings: AppSettings = { region, cluster, workers: workers || undefined };
  return synthOf((app) => new KubeadmHaStack(app, "test", settings));
}

/** Synthesizes the stack that `build` creates in a fresh test app. */
export function synthOf(build: (app: App) => TerraformStack): SynthResult {
  const json = Testing.synth(build(Testing.app()));
  return { json, plan: JSON.parse(json) };
}

export function resourcesOf(result: SynthResult, type: string): Record<string, any>[] {
  return Object.values(result.plan.resource[type] ?? {});
}

export function dataOf(result: SynthResult, type: string): Record<string, any>[] {
  return Object.values(result.plan.data[type] ?? {});
}

/** Terraform reference string of a resource in the synthesized plan, e.g. "${aws_lb.x.arn}". */
export function refTo(result: SynthResult, type: string, predicate: (r: any) => boolean, attribute: string): string {
  const entry = Object.entries(result.plan.resource[type] ?? {}).find(([, r]) => predicate(r));
  if (!entry) throw new Error(`no ${type} matches`);
  return `\${${type}.${entry[0]}.${attribute}}`;
}

/** The problems of the ClusterSpecError `build` throws; none when it succeeds. */
export function specProblemsOf(build: () => unknown): SpecProblem[] {
  try {
    build();
    return [];
  } catch (e) {
    if (e instanceof ClusterSpecError) return e.problems;
    throw e;
  }
}

export interface DecodedUserData {
  readonly raw: string;
  readonly cloudConfig: any;
  /** Every write_files entry, by path. */
  readonly files: Record<string, { content: string; permissions: string }>;
}

export function decodeUserData(raw: string): DecodedUserData {
  if (!raw.startsWith("#cloud-config\n")) throw new Error("user data does not start with #cloud-config");
  const cloudConfig = parse(raw);
  const files: DecodedUserData["files"] = {};
  for (const f of cloudConfig.write_files ?? []) files[f.path] = { content: f.content, permissions: f.permissions };
  return { raw, cloudConfig, files };
}

/** The user-data document of a synthesized instance or launch template: gzipped at synth, a base64 literal. */
export function userDataText(instance: { user_data_base64?: string } | { user_data?: string } | object): string {
  const { user_data_base64, user_data } = instance as { user_data_base64?: string; user_data?: string };
  const encoded = user_data_base64 ?? user_data ?? "";
  if (!/^[A-Za-z0-9+/]+=*$/.test(encoded))
    throw new Error(`user_data_base64 is not a literal: ${encoded.slice(0, 80)}`);
  return gunzipSync(Buffer.from(encoded, "base64")).toString("utf8");
}

/** The bytes EC2 counts against its 16 KB limit: the gzipped user data, before base64. */
export function userDataBytes(instance: { user_data_base64?: string }): number {
  return Buffer.from(instance.user_data_base64 ?? "", "base64").length;
}

/** The value of the cluster's deploy settings parameter, Terraform references left as `${reference}`. */
export function deploySettingsText(result: SynthResult): string {
  const parameters = resourcesOf(result, "aws_ssm_parameter").filter((p) => /\/deploy-settings$/.test(p.name));
  if (parameters.length !== 1) throw new Error(`expected one deploy settings parameter, found ${parameters.length}`);
  return parameters[0].insecure_value;
}

/**
 * A kubeadm config as the node's bootstrap fills it from the deploy settings (render_configs in
 * bootstrap-control-plane.sh; the boot rehearsal checks that the script does the same).
 */
export function filledFromDeploySettings(text: string, deploySettings: string): string {
  const values = envValues(deploySettings);
  const extraNames = (values.API_SERVER_EXTRA_NAMES ?? "").split(" ").filter((n) => n !== "");
  let filled = text.replaceAll("__ENDPOINT_HOST__", values.ENDPOINT_HOST);
  extraNames.forEach((name, i) => (filled = filled.replaceAll(`__API_SERVER_EXTRA_NAME_${i}__`, name)));
  return filled;
}

/** A node's kubeadm document(s) as its bootstrap fills them in from the plan's deploy settings. */
export function nodeKubeadmDocs(result: SynthResult, instance: object, file = "kubeadm-init.yaml"): any[] {
  const { files } = decodeInstanceUserData(instance);
  return yamlDocs(filledFromDeploySettings(files[`/etc/kubeadm-ha/${file}`].content, deploySettingsText(result)));
}

/** What a node's scripts see: its node-settings.env, then the deploy settings (deploy-settings.env) of the plan. */
export function nodeSettingsOf(result: SynthResult, instance: object): Record<string, string> {
  const { files } = decodeInstanceUserData(instance);
  return { ...envValues(files["/etc/kubeadm-ha/node-settings.env"].content), ...envValues(deploySettingsText(result)) };
}

/** Puts a cluster's deploy settings where the file-backed cloud (cloud-file.sh) keeps its parameter. */
export function putFileCloudDeploySettings(cloudRoot: string, spec: ClusterSpec, values: DeployValues) {
  const path = join(cloudRoot, "parameters" + deploySettingsParameterName(spec.clusterName));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderClusterDeploySettings(spec, values));
}

/** KEY → value of an env file (`KEY='value'` lines, as renderEnvFile writes them). */
export function envValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(/^([A-Z][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gm))
    values[key] = value.replace(/'\\''/g, "'");
  return values;
}

export function decodeInstanceUserData(instance: { user_data_base64?: string } | object): DecodedUserData {
  return decodeUserData(userDataText(instance));
}

/** Parses a multi-document YAML file into objects. */
export function yamlDocs(text: string): any[] {
  return parseAllDocuments(text).map((d) => d.toJS());
}

/** Replaces the Terraform references user data holds with plausible deploy-time values (for tools that read it). */
export function resolveReferences(text: string): string {
  return text
    .replace(/\$\{aws_lb\.[^}]+\.dns_name\}/g, "kubeadm-ha-api-0123456789abcdef.elb.us-east-1.amazonaws.com")
    .replace(
      /\$\{aws_secretsmanager_secret\.[^}]+\.arn\}/g,
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:kubeadm-ha/control-plane-join-20261123000000000000000001-AbCdEf",
    )
    .replace(/\$\{data\.aws_region\.[^}]+\.region\}/g, "us-east-1")
    .replace(/\$\{aws_route_table\.[^}]+\.id\}/g, "rtb-0123456789abcdef0");
}

/** The kubeadm v1beta4 field list (a copy of ../shared/reference/kubeadm-v1beta4-fields.json). */
export function kubeadmFieldReference(): {
  types: Record<string, Record<string, string>>;
  kinds: Record<string, string>;
} {
  return JSON.parse(readFileSync(join(__dirname, "fixtures", "kubeadm-v1beta4-fields.json"), "utf8"));
}

export const SHARED_FIELD_REFERENCE = join(ROOT, "..", "shared", "reference", "kubeadm-v1beta4-fields.json");
export const sharedReferenceExists = () => existsSync(SHARED_FIELD_REFERENCE);

/** Lists every key path in a kubeadm document that is not a v1beta4 field; [] when all are real. */
export function unknownKubeadmFields(doc: any): string[] {
  const ref = kubeadmFieldReference();
  const typeName = ref.kinds[doc.kind];
  if (!typeName) return [`kind ${doc.kind}`];
  const problems: string[] = [];
  const walk = (value: any, type: string, path: string) => {
    if (type.endsWith("[]")) {
      if (!Array.isArray(value)) return problems.push(`${path} should be a list`);
      return value.forEach((item, i) => walk(item, type.slice(0, -2), `${path}[${i}]`));
    }
    const fields = ref.types[type];
    if (!fields) return; // a leaf: string, bool, int, duration, map
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return problems.push(`${path} should be an object`);
    for (const [key, child] of Object.entries(value)) {
      if (!(key in fields)) problems.push(`${path}.${key}`);
      else walk(child, fields[key], `${path}.${key}`);
    }
  };
  walk(doc, typeName, doc.kind);
  return problems;
}

/** What cloud-init runs on every node: it only starts the bootstrap unit, which systemd runs. */
export const BOOTSTRAP_RUNCMD = [
  ["systemctl", "daemon-reload"],
  ["systemctl", "enable", "--now", "--no-block", "kubeadm-ha-bootstrap.service"],
];

/** The command the node's bootstrap unit runs. */
export function bootstrapCommand(files: DecodedUserData["files"]): string | undefined {
  return /^ExecStart=(.*)$/m.exec(files["/etc/systemd/system/kubeadm-ha-bootstrap.service"]?.content ?? "")?.[1];
}

export const PRIVATE_KEY_PATTERN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
export const BOOTSTRAP_TOKEN_PATTERN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/;

/**
 * The environment that runs userdata/ scripts for one simulated node whose folders (etc, state, log,
 * run, kube) are under `dir`, with the file-backed cloud in `cloudRoot` and backoff shrunk to 1 s.
 */
export function nodeScriptEnv(dir: string, cloudRoot: string): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    HOME: dir,
    KHA_ETC: join(dir, "etc"),
    KHA_STATE: join(dir, "state"),
    KHA_LOG: join(dir, "log"),
    KHA_RUN: join(dir, "run"),
    KHA_KUBE_DIR: join(dir, "kube"),
    KHA_CLOUD_PROVIDER: "file",
    KHA_CLOUD_FILE_ROOT: cloudRoot,
    KHA_BACKOFF_FIRST: "1",
    KHA_BACKOFF_MAX: "1",
  };
}

/** The file names inside a secret's value (a base64 tar.gz, as the node scripts pack it), sorted. */
export function secretFileNames(value: Buffer | string): string[] {
  return execFileSync("bash", ["-c", "base64 -d | tar -tzf -"], { input: value }).toString().trim().split("\n").sort();
}
