/**
 * Golden files, as kops keeps them: for each reviewed topology, one text file per artifact a reviewer
 * cares about, under test/golden/<topology>/, so a change to one description shows up as a diff of
 * the files it changes, once per topology, not as a blob in a whole-plan snapshot.
 *
 *   plan-shape.txt, template-shape.txt   every resource's address and type (cdktf; AWS CDK)
 *   instances.txt                        where each node is, how it is hardened, its user-data size
 *   security-group-rules.txt             every rule with its reason
 *   iam-statements.yaml                  the node roles' statements and the secrets' resource policies
 *   nlbs.yaml                            listener, target group, health check, attributes, targets
 *   deploy-settings.env, outputs.yaml    the deploy-time settings and the default app's outputs
 *   resources.yaml                       every other resource and data source as the plan has it
 *   <kind>/cloud-config.yaml             the first node of a kind: its cloud-config, files by path
 *   <kind>/<path on the node>            each file it writes (scripts are userdata/'s, asserted)
 *   <kind>/other-nodes.diff              how every other node of the kind differs from the first
 *   pool-<name>/...                      a worker pool's cloud-config and files (one for all its nodes)
 *
 * References are resolved to stand-ins named by what they point at (test/reviewable.ts), so the same
 * files hold for both flavours; the parity test proves the AWS CDK flavour gives the same facts.
 * `npm run test:golden` rewrites them; a test fails on any difference, missing or stale file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { basename, dirname, join, relative } from "path";
import { stringify } from "yaml";
import { shippedScript } from "../lib/render/internal";
import { decodeInstanceUserData, resourcesOf, ROOT, SynthResult, userDataBytes, USERDATA_DIR } from "./helpers";
import {
  Resolve,
  Rule,
  Statement,
  subnetCidrOf,
  terraformDeploySettings,
  terraformInstances,
  terraformNlbs,
  terraformOutputs,
  terraformResolver,
  terraformRules,
  terraformStatements,
} from "./reviewable";

export const GOLDEN_DIR = join(ROOT, "test", "golden");

/** Set by `npm run test:golden`: write the files instead of comparing with them. */
const UPDATING = process.env.KHA_UPDATE_GOLDEN === "1";

export type GoldenFiles = Record<string, string>;

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });
const parsed = <T>(json: string[]) => json.map((j) => JSON.parse(j) as T);

/** Every file a cdktf plan gives for review (the cluster built with `props`; an example's are its own). */
export function goldenFilesOf(result: SynthResult, props: { network?: unknown } = {}): GoldenFiles {
  const resolve = terraformResolver(result);
  const files: GoldenFiles = {
    "plan-shape.txt": planShape(result),
    "instances.txt": instancesText(result, resolve, props),
    "security-group-rules.txt": rulesText(parsed<Rule>(terraformRules(result, resolve))),
    "iam-statements.yaml": statementsYaml(
      parsed<Statement & { on: string }>(terraformStatements(result, resolve, true)),
    ),
    "resources.yaml": otherResourcesYaml(result),
    "deploy-settings.env": String(terraformDeploySettings(result, resolve)),
    ...nodeFiles(result),
  };
  const nlbs = parsed(terraformNlbs(result, resolve));
  if (nlbs.length) files["nlbs.yaml"] = yaml(nlbs);
  if (Object.keys(result.plan.output ?? {}).length) {
    const outputs = terraformOutputs(result, resolve);
    files["outputs.yaml"] = yaml(
      Object.fromEntries(
        Object.keys(outputs)
          .sort()
          .map((k) => [k, { value: outputs[k][0], description: outputs[k][1] }]),
      ),
    );
  }
  return files;
}

function planShape(result: SynthResult): string {
  const lines: string[] = [];
  for (const [kind, blocks] of [
    ["resource", result.plan.resource],
    ["data", result.plan.data],
  ] as const)
    for (const [type, byName] of Object.entries(blocks ?? {}))
      for (const name of Object.keys(byName)) lines.push(`${kind === "data" ? "data." : ""}${type}.${name}`);
  return lines.sort().join("\n") + "\n";
}

/** The types whose every argument another golden file holds (rules; role and secret policy statements). */
const HELD_ELSEWHERE = [
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
  "aws_iam_role_policy",
  "aws_secretsmanager_secret_policy",
];

/** Every resource and data source not held whole by another file, references as Terraform writes them. */
function otherResourcesYaml(result: SynthResult): string {
  const plan = result.plan;
  const statementDocs = new Set(
    HELD_ELSEWHERE.flatMap((type) => resourcesOf(result, type))
      .map((r) => /\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}/.exec(r.policy ?? "")?.[1])
      .filter(Boolean),
  );
  const described: Record<string, unknown> = {};
  for (const [type, byName] of Object.entries(plan.resource))
    if (!HELD_ELSEWHERE.includes(type))
      for (const [name, r] of Object.entries<any>(byName))
        described[`${type}.${name}`] =
          type === "aws_instance"
            ? { ...r, user_data_base64: `(${r.tags["kubeadm-ha:role"]}/cloud-config.yaml and its files)` }
            : type === "aws_launch_template"
              ? { ...r, user_data: `(${poolKind(r)}/cloud-config.yaml and its files)` }
              : type === "aws_ssm_parameter" && r.name?.endsWith("/deploy-settings")
                ? { ...r, insecure_value: "(deploy-settings.env)" }
                : r;
  for (const [type, byName] of Object.entries(plan.data ?? {}))
    for (const [name, d] of Object.entries<any>(byName))
      if (!(type === "aws_iam_policy_document" && statementDocs.has(name))) described[`data.${type}.${name}`] = d;
  return yaml(described);
}

function instancesText(result: SynthResult, resolve: Resolve, props: { network?: unknown }): string {
  const bytes = Object.fromEntries(resourcesOf(result, "aws_instance").map((i) => [i.tags.Name, userDataBytes(i)]));
  return (
    parsed<any>(terraformInstances(result, resolve, subnetCidrOf(props)))
      .map(
        (n) =>
          `${n.name}  ${n.role}  ${n.ip ?? "(address from the subnet)"} in ${n.subnet}  ${n.type}  ` +
          `IMDS ${n.imds.join("/")}  root ${n.root[0]} GiB ${n.root[1]} ${n.root[2] ? "encrypted" : "UNENCRYPTED"}  ` +
          `source/dest check ${n.sourceDestCheck ? "on" : "off"}  ` +
          `user data ${bytes[n.name]} bytes gzip`,
      )
      .join("\n") + "\n"
  );
}

function rulesText(rules: Rule[]): string {
  const byGroup = new Map<string, string[]>();
  for (const r of rules) {
    const ports = r.from === undefined ? "" : r.from === r.to ? ` ${r.from}` : ` ${r.from}-${r.to}`;
    const protocol =
      r.protocol === "-1" ? "all traffic" : /^\d+$/.test(r.protocol) ? `protocol ${r.protocol}` : r.protocol;
    const line = `  ${r.direction} ${protocol}${ports} ${r.direction === "ingress" ? "from" : "to"} ${r.peer}  # ${r.description}`;
    byGroup.set(String(r.group), [...(byGroup.get(String(r.group)) ?? []), line]);
  }
  return [...byGroup.keys()]
    .sort()
    .map((g) => `${g}\n${byGroup.get(g)!.sort().join("\n")}\n`)
    .join("\n");
}

function statementsYaml(statements: (Statement & { on: string })[]): string {
  const byHolder: Record<string, Record<string, unknown[]>> = {};
  for (const { on, policy, ...s } of statements) {
    const resources = (s.resources as string[]).map((r) => JSON.parse(r));
    const given = Object.entries({ ...s, resources }).filter(([, v]) => !(Array.isArray(v) && v.length === 0));
    ((byHolder[on] ??= {})[policy] ??= []).push(Object.fromEntries(given));
  }
  return yaml(
    Object.fromEntries(
      Object.keys(byHolder)
        .sort()
        .map((k) => [k, byHolder[k]]),
    ),
  );
}

/** Each node kind (its role tag): the first node's cloud-config and files, and how the others differ. */
function nodeFiles(result: SynthResult): GoldenFiles {
  const files: GoldenFiles = {};
  const byKind = new Map<string, any[]>();
  for (const i of resourcesOf(result, "aws_instance").sort((a, b) => a.tags.Name.localeCompare(b.tags.Name)))
    byKind.set(i.tags["kubeadm-ha:role"], [...(byKind.get(i.tags["kubeadm-ha:role"]) ?? []), i]);
  for (const [kind, [first, ...others]] of byKind) {
    const ours = nodeArtifacts(first);
    for (const [path, text] of Object.entries(ours)) files[`${kind}/${path}`] = text;
    const diffs = others.map((node) => nodeDiff(first.tags.Name, ours, node.tags.Name, nodeArtifacts(node)));
    if (others.length) files[`${kind}/other-nodes.diff`] = diffs.join("\n") || "(the others are the same)\n";
  }
  // A pool's nodes share one user data, its launch template's.
  for (const template of resourcesOf(result, "aws_launch_template"))
    for (const [path, text] of Object.entries(nodeArtifacts(template))) files[`${poolKind(template)}/${path}`] = text;
  return files;
}

/** A pool's folder of golden files: pool-NAME. */
function poolKind(template: any): string {
  const instance = template.tag_specifications.find((t: any) => t.resource_type === "instance");
  return `pool-${instance.tags["kubeadm-ha:pool"]}`;
}

/** A node's cloud-config (each file replaced by where to read it) and its files, by path on the node. */
function nodeArtifacts(instance: object): GoldenFiles {
  const { cloudConfig, files } = decodeInstanceUserData(instance);
  const artifacts: GoldenFiles = {};
  const writeFiles = Object.entries(files).map(([path, f]) => {
    const script = join(USERDATA_DIR, basename(path));
    if (path.endsWith(".sh") && existsSync(script)) {
      // The golden file's word for it, proven: a shipped script is userdata/'s, comments removed.
      if (f.content !== shippedScript(basename(path), readFileSync(script, "utf8")))
        throw new Error(`${path} is not userdata/${basename(path)} as shippedScript gives it`);
      return { path, permissions: f.permissions, content: `(userdata/${basename(path)}, comments removed)` };
    }
    artifacts[path.slice(1)] = f.content;
    return { path, permissions: f.permissions, content: `(golden file ${path.slice(1)})` };
  });
  return { "cloud-config.yaml": yaml({ ...cloudConfig, write_files: writeFiles }), ...artifacts };
}

/** How `node`'s artifacts differ from `first`'s, line by line. */
function nodeDiff(firstName: string, first: GoldenFiles, name: string, ours: GoldenFiles): string {
  const out: string[] = [];
  for (const path of [...new Set([...Object.keys(first), ...Object.keys(ours)])].sort()) {
    const hunks = lineDiff(first[path] ?? "", ours[path] ?? "");
    if (hunks.length) out.push(`--- ${firstName}/${path}\n+++ ${name}/${path}\n${hunks.join("\n")}`);
  }
  return out.length ? out.join("\n") + "\n" : `${name}: the same as ${firstName}\n`;
}

/** The changed lines of b against a (a longest-common-subsequence diff), `-`/`+` prefixed, no context. */
export function lineDiff(aText: string, bText: string): string[] {
  const a = aText.split("\n");
  const b = bText.split("\n");
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`-${a[i++]}`);
    else out.push(`+${b[j++]}`);
  }
  return out;
}

/** The files under a golden folder, by path relative to it, but for the subfolders `skip` names. */
function filesUnder(dir: string, skip: string[]): GoldenFiles {
  const files: GoldenFiles = {};
  const walk = (d: string) => {
    for (const name of existsSync(d) ? readdirSync(d) : []) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        if (!skip.includes(relative(dir, path))) walk(path);
      } else files[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return files;
}

/**
 * Compares `files` with test/golden/<folder>/ (or `root`/<folder>/) (but for its subfolders `skip` names, another test's) or,
 * under `npm run test:golden`, writes them there and removes the stale ones. Returns the problems:
 * each file that differs (with its first differing lines), is missing or is stale.
 */
export function goldenProblems(
  folder: string,
  files: GoldenFiles,
  { skip = [], root = GOLDEN_DIR }: { skip?: string[]; root?: string } = {},
): string[] {
  const dir = join(root, folder);
  const stored = filesUnder(dir, skip);
  const stale = Object.keys(stored).filter((path) => files[path] === undefined);
  if (UPDATING) {
    if (process.env.CI)
      throw new Error("KHA_UPDATE_GOLDEN under CI: golden files are written by a person, then reviewed");
    for (const path of stale) rmSync(join(dir, path));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return [];
  }
  const problems: string[] = [];
  for (const path of Object.keys(files).sort()) {
    if (stored[path] === undefined) problems.push(`${folder}/${path}: missing`);
    else if (stored[path] !== files[path])
      problems.push(`${folder}/${path} differs:\n${lineDiff(stored[path], files[path]).slice(0, 12).join("\n")}`);
  }
  for (const path of stale.sort()) problems.push(`${folder}/${path}: stale (nothing gives it any more)`);
  return problems;
}

/** Fails with the problems, and how to refresh the files once the change is meant. */
export function expectGolden(folder: string, files: GoldenFiles, skip: string[] = []): void {
  const problems = goldenProblems(folder, files, { skip });
  if (problems.length)
    throw new Error(
      `${problems.join("\n\n")}\n\nIf the change is meant, run \`npm run test:golden\` and review test/golden/'s diff.`,
    );
}
