/**
 * Generates docs/API.md, the props reference, from the doc comments of the input interfaces in
 * lib/cluster-spec/types.ts (the single source of truth): every prop with its type, default and meaning.
 * `npm run docs` rewrites the file; test/unit/api-reference.test.ts fails when it is out of date.
 */
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import * as ts from "typescript";

/** The input interfaces, in reading order. */
export const DOCUMENTED_INTERFACES = [
  "ClusterInput",
  "NlbEndpointInput",
  "PrivateDnsInput",
  "KeepalivedEndpointInput",
  "StackedEtcdInput",
  "ExternalEtcdInput",
  "NewNetworkInput",
  "ExistingNetworkInput",
  "SubnetInput",
  "SecretsInput",
  "WorkerPoolInput",
  "TaintInput",
] as const;

export interface PropDoc {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly defaultValue?: string;
  readonly description: string;
}

export interface InterfaceDoc {
  readonly name: string;
  readonly description: string;
  readonly props: PropDoc[];
}

const text = (comment: string | ts.NodeArray<ts.JSDocComment> | undefined): string =>
  (typeof comment === "string" ? comment : (comment ?? []).map((c) => c.text).join("")).trim();

function jsDocOf(node: ts.Node): ts.JSDoc | undefined {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
  return docs?.[docs.length - 1];
}

export function readInterfaceDocs(typesFile: string): InterfaceDoc[] {
  const source = ts.createSourceFile(typesFile, readFileSync(typesFile, "utf8"), ts.ScriptTarget.ES2022, true);
  const found = new Map<string, InterfaceDoc>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    const props = node.members.filter(ts.isPropertySignature).map((member): PropDoc => {
      const doc = jsDocOf(member);
      const defaultTag = doc?.tags?.find((t) => t.tagName.text === "default");
      return {
        name: member.name.getText(source),
        type: member.type?.getText(source).replace(/\s+/g, " ") ?? "unknown",
        optional: member.questionToken !== undefined,
        defaultValue: defaultTag ? text(defaultTag.comment) : undefined,
        description: text(doc?.comment),
      };
    });
    found.set(node.name.text, { name: node.name.text, description: text(jsDocOf(node)?.comment), props });
  });
  return DOCUMENTED_INTERFACES.map((name) => {
    const doc = found.get(name);
    if (!doc) throw new Error(`${name} is not an interface of ${typesFile}`);
    return doc;
  });
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

/** `@default VALUE - why` as code plus explanation; `@default - text` as text; required props say so. */
function defaultCell(p: PropDoc): string {
  if (!p.optional) return "**required**";
  const d = p.defaultValue ?? "";
  if (d.startsWith("- ")) return d.slice(2);
  const [value, ...why] = d.split(" - ");
  return why.length ? `\`${value}\` (${why.join(" - ")})` : `\`${value}\``;
}

export function renderApiReference(docs: InterfaceDoc[]): string {
  const out = [
    "# API reference: the props of `KubeadmCluster`",
    "",
    "Generated from the doc comments in `lib/cluster-spec/types.ts` by `npm run docs`; do not edit by hand.",
    "Every prop is optional unless marked required. Anything invalid fails at synth with a message",
    "naming the prop (for example `etcd.members`) before any resource is emitted.",
    "",
  ];
  for (const doc of docs) {
    out.push(`## ${doc.name}`, "");
    if (doc.description) out.push(doc.description, "");
    out.push("| prop | type | default | meaning |", "| --- | --- | --- | --- |");
    for (const p of doc.props)
      out.push(`| \`${p.name}\` | \`${cell(p.type)}\` | ${cell(defaultCell(p))} | ${cell(p.description)} |`);
    out.push("");
  }
  return out.join("\n");
}

export const ROOT = join(__dirname, "..", __dirname.includes(`${join("dist", "scripts")}`) ? ".." : "");
export const API_REFERENCE = join(ROOT, "docs", "API.md");
export const TYPES_FILE = join(ROOT, "lib", "cluster-spec", "types.ts");

if (require.main === module) {
  writeFileSync(API_REFERENCE, renderApiReference(readInterfaceDocs(TYPES_FILE)));
  console.log(`wrote ${API_REFERENCE}`);
}
