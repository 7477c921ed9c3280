import { execFileSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { App, TerraformStack, Testing } from "cdktf";
import { parse, parseAllDocuments } from "yaml";
import { AppSettings, KubeadmHaStack } from "../bin/app";
import { KubeadmClusterProps } from "../lib/constructs";
import { worstCaseUserDataBytes as worstCaseSize } from "../lib/render";

export const ROOT = join(__dirname, "..");
export const USERDATA_DIR = join(ROOT, "userdata");

export type Resources = Record<string, Record<string, any>>;
export interface SynthResult {
  readonly json: string;
  readonly plan: { resource: Resources; data: Resources; output: Record<string, any> };
}

/** Synthesizes the default app's stack with the given cluster props (region us-east-1). */
export function synthStack(cluster: KubeadmClusterProps = {}, region = "us-east-1"): SynthResult {
  const settings: AppSettings = { region, cluster };
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

/**
 * The user-data document of a synthesized instance: its `user_data_base64` is the Terraform
 * expression `${base64gzip(join("", [<HCL strings and references>]))}`. Strings are unescaped as
 * Terraform would; references come back as `${reference}`, as they would be in a plain string.
 */
export function userDataText(instance: { user_data_base64?: string }): string {
  const expr = instance.user_data_base64 ?? "";
  const m = /^\$\{base64gzip\(join\("", \[([\s\S]*)\]\)\)\}$/.exec(expr);
  if (!m) throw new Error(`user_data_base64 is not base64gzip(join(...)): ${expr.slice(0, 80)}`);
  const list = m[1];
  let out = "";
  let i = 0;
  while (i < list.length) {
    if (list.startsWith(", ", i)) i += 2;
    if (list[i] === '"') {
      i++;
      while (list[i] !== '"') {
        if (list[i] === "\\") {
          const c = list[i + 1];
          const unescaped: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
          if (!(c in unescaped)) throw new Error(`unexpected escape \\${c}`);
          out += unescaped[c];
          i += 2;
        } else if (list.startsWith("$${", i) || list.startsWith("%%{", i)) {
          out += list[i] + "{";
          i += 3;
        } else if (list.startsWith("${", i) || list.startsWith("%{", i)) {
          throw new Error(`unescaped template sequence at ${list.slice(i, i + 20)}`);
        } else {
          out += list[i++];
        }
      }
      i++;
    } else {
      let depth = 0;
      const start = i;
      while (i < list.length && !(depth === 0 && list.startsWith(", ", i))) {
        if (list[i] === "(") depth++;
        if (list[i] === ")") depth--;
        i++;
      }
      out += `\${${list.slice(start, i)}}`;
    }
  }
  return out;
}

export function decodeInstanceUserData(instance: { user_data_base64?: string }): DecodedUserData {
  return decodeUserData(userDataText(instance));
}

/** Size EC2 sees of a synthesized document: every Terraform reference (not the scripts' own ${VAR}s) at its longest. */
export function worstCaseUserDataBytes(text: string): number {
  return worstCaseSize(text, /\$\{(?:data\.)?aws_[^}]+\}/g);
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
 * The plan as a reviewer wants it in a snapshot: each instance's user data decoded, configuration
 * files shown as text, and shipped scripts shown by name, size and digest (their diffs are reviewed
 * in userdata/ itself, not as compressed blobs).
 */
export function reviewablePlan(result: SynthResult): unknown {
  const plan = JSON.parse(result.json);
  // The one line that differs between cdktf and CDK Terrain: the provider package's own pin (asserted
  // on its own in default-stack.test.ts), so one snapshot proves both frameworks give the same plan.
  plan.terraform.required_providers.aws = "(pinned by the installed provider package)";
  for (const instance of Object.values<any>(plan.resource.aws_instance ?? {})) {
    const { cloudConfig, files } = decodeInstanceUserData(instance);
    delete instance.user_data_base64;
    instance["user_data (decoded from user_data_base64)"] = {
      ...cloudConfig,
      write_files: Object.entries(files).map(([path, f]) =>
        path.endsWith(".sh")
          ? {
              path,
              permissions: f.permissions,
              script: `${Buffer.byteLength(f.content)} bytes, sha256 ${createHash("sha256").update(f.content).digest("hex").slice(0, 16)}`,
            }
          : { path, permissions: f.permissions, content: f.content },
      ),
    };
  }
  return plan;
}

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
    KUBE_DIR: join(dir, "kube"),
    KHA_CLOUD_PROVIDER: "file",
    CLOUD_FILE_ROOT: cloudRoot,
    KHA_BACKOFF_FIRST: "1",
    KHA_BACKOFF_MAX: "1",
  };
}

/** The file names inside a secret's value (a base64 tar.gz, as the node scripts pack it), sorted. */
export function secretFileNames(value: Buffer | string): string[] {
  return execFileSync("bash", ["-c", "base64 -d | tar -tzf -"], { input: value }).toString().trim().split("\n").sort();
}
