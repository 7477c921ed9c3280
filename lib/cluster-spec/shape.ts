/**
 * The shape of the props, checked at run time before anything else: every key known, every value of
 * its type, at every depth. TypeScript checks this for TypeScript callers; JavaScript, JSON or YAML
 * settings and environment variables get no such help, and a string "false" where a boolean belongs
 * would otherwise be taken as true. The check returns a copy without the values it refused, so the
 * rules that follow see only well-typed values and every problem is still reported in one error.
 * test/unit/shape.test.ts keeps this schema equal to the interfaces of types.ts.
 */
import { OWN_TAG_PREFIX } from "./names";

/**
 * `deployTime`: the value may be a framework token (known only once deployed) because it never enters a
 * node's user data: it reaches AWS resources, or the nodes through the deploy settings. Every other
 * value is written into the user data at synth, where no framework can resolve a token, so a token
 * there is refused naming the prop.
 */
export type Field =
  | { readonly kind: "string" | "number" | "boolean" | "tags" | "labels"; readonly deployTime?: true }
  /** `item`: what each entry is, for the message about a missing one (an unset variable). */
  | { readonly kind: "strings"; readonly deployTime?: true; readonly item: string }
  | { readonly kind: "object"; readonly shape: Shape; readonly orFalse?: true }
  | { readonly kind: "objects"; readonly shape: Shape }
  | { readonly kind: "variants"; readonly variants: Variants };

export type Shape = { readonly [key: string]: Field };

/** An object that is one of several shapes; `pick` names the one a value is (or explains why none). */
export interface Variants {
  readonly label: (variant: string) => string;
  readonly shapes: { readonly [variant: string]: Shape };
  readonly pick: (value: Record<string, unknown>) => { variant: string } | { problem: string; prop?: string };
}

const STRING = { kind: "string" } as const;
const NUMBER = { kind: "number" } as const;
const BOOLEAN = { kind: "boolean" } as const;
const DEPLOY_TIME_STRING = { kind: "string", deployTime: true } as const;
const strings = (item: string, deployTime?: true): Field => ({ kind: "strings", item, deployTime });
const ALLOWED_CIDRS = strings('a CIDR such as "10.0.0.0/16"', true);

const NLB_ENDPOINT: Shape = {
  type: STRING,
  internetFacing: BOOLEAN,
  allowedCidrs: ALLOWED_CIDRS,
  deletionProtection: BOOLEAN,
  idleTimeoutSeconds: NUMBER,
  privateDns: { kind: "object", orFalse: true, shape: { zoneId: DEPLOY_TIME_STRING, name: DEPLOY_TIME_STRING } },
};
const KEEPALIVED_ENDPOINT: Shape = {
  type: STRING,
  vipMode: STRING,
  acceptSingleZone: BOOLEAN,
  placement: STRING,
  virtualIp: STRING,
  dnsName: STRING,
  allowedCidrs: ALLOWED_CIDRS,
  routeTableIds: strings('a route table id such as "rtb-0123456789abcdef0"', true),
  virtualRouterId: NUMBER,
  loadBalancerInstanceType: STRING,
  advertIntervalSeconds: NUMBER,
  preemptDelaySeconds: NUMBER,
  preempt: BOOLEAN,
};
// A subnet's CIDR places the nodes' fixed addresses, which their user data holds: it must be literal.
const SUBNET: Shape = { id: DEPLOY_TIME_STRING, availabilityZone: DEPLOY_TIME_STRING, cidrBlock: STRING };
const NEW_NETWORK: Shape = {
  vpcCidr: STRING,
  availabilityZones: strings('an availability zone such as "eu-west-1a"'),
  zoneCount: NUMBER,
  natGatewayPerZone: BOOLEAN,
};
const EXISTING_NETWORK: Shape = {
  vpcId: DEPLOY_TIME_STRING,
  vpcCidr: DEPLOY_TIME_STRING,
  privateSubnets: { kind: "objects", shape: SUBNET },
  publicSubnets: { kind: "objects", shape: SUBNET },
};

/** A discriminated object: `key` selects the shape, one of `shapes`. */
function discriminated(
  prop: string,
  key: string,
  shapes: Record<string, Shape>,
  label: (v: string) => string,
): Variants {
  const choices = Object.keys(shapes)
    .map((v) => JSON.stringify(v))
    .join(" or ");
  return {
    label,
    shapes,
    pick: (value) => {
      const chosen = value[key];
      if (chosen === undefined) return { prop: `${prop}.${key}`, problem: `is required: ${choices}.` };
      if (typeof chosen === "string" && chosen in shapes) return { variant: chosen };
      return { prop: `${prop}.${key}`, problem: `${show(chosen)} is not ${choices}.` };
    },
  };
}

export const CLUSTER_SHAPE: Shape = {
  clusterName: STRING,
  kubernetesVersion: STRING,
  containerdVersion: STRING,
  containerdSha256: STRING,
  controlPlaneCount: NUMBER,
  instanceType: STRING,
  rootVolumeSizeGiB: NUMBER,
  imageId: DEPLOY_TIME_STRING,
  podCidr: STRING,
  serviceCidr: STRING,
  dnsDomain: STRING,
  extraCertSans: strings('a DNS name or IPv4 address for the API server\'s certificate, such as "api.example.com"'),
  endpoint: {
    kind: "variants",
    variants: discriminated("endpoint", "type", { nlb: NLB_ENDPOINT, keepalived: KEEPALIVED_ENDPOINT }, (v) =>
      v === "nlb" ? 'an NLB endpoint (type "nlb")' : 'a keepalived endpoint (type "keepalived")',
    ),
  },
  etcd: {
    kind: "variants",
    variants: discriminated(
      "etcd",
      "topology",
      {
        stacked: { topology: STRING },
        external: {
          topology: STRING,
          members: NUMBER,
          instanceType: STRING,
          rootVolumeSizeGiB: NUMBER,
          version: STRING,
          sha256: STRING,
        },
      },
      (v) => `${v} etcd (topology "${v}")`,
    ),
  },
  network: {
    kind: "variants",
    variants: {
      label: (v) => (v === "existing" ? "an existing network (with vpcId)" : "a new network (without vpcId)"),
      shapes: { new: NEW_NETWORK, existing: EXISTING_NETWORK },
      // An existing network is told by its VPC or its subnets; half of one must not plan a new VPC.
      pick: (value) => {
        const existing = ["vpcId", "privateSubnets", "publicSubnets"].filter((k) => value[k] !== undefined);
        if (existing.length === 0) return { variant: "new" };
        for (const required of ["vpcId", "vpcCidr", "privateSubnets"]) {
          if (value[required] === undefined) {
            return {
              prop: `network.${required}`,
              problem: `is required with network.${existing[0]} (an existing network: vpcId, vpcCidr and privateSubnets); leave all three out for a new VPC.`,
            };
          }
        }
        return { variant: "existing" };
      },
    },
  },
  spreadAcrossZones: BOOLEAN,
  secrets: {
    kind: "object",
    shape: {
      kmsKeyArn: DEPLOY_TIME_STRING,
      breakGlassPrincipalArns: strings(
        'an IAM role or user ARN such as "arn:aws:iam::123456789012:role/recovery"',
        true,
      ),
    },
  },
  // Each names what the nodes' IAM policies admit, never what their user data holds.
  sessionManager: {
    kind: "object",
    shape: {
      kmsKeyArn: DEPLOY_TIME_STRING,
      s3BucketName: DEPLOY_TIME_STRING,
      s3KeyPrefix: DEPLOY_TIME_STRING,
      cloudWatchLogGroupName: DEPLOY_TIME_STRING,
    },
  },
  tags: { kind: "tags", deployTime: true },
};

/** A value as the message shows it: strings quoted, so "3" and 3 look different; never throws (cycles, constructs). */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value))
    return `[${Array.from(value, (v) => (v === undefined ? "undefined" : show(v))).join(", ")}]`;
  if (typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null)
      return `a ${prototype?.constructor?.name ?? "class"} object`;
    try {
      return JSON.stringify(value);
    } catch {
      return "an object that refers to itself";
    }
  }
  return String(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number" && !Number.isFinite(value)) return "not a finite number";
  return (
    { string: "a string", number: "a number", boolean: "a boolean", object: "an object" }[typeof value as string] ??
    typeof value
  );
}

/** The edit distance between two keys, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

export function nearestKey(key: string, known: string[]): string | undefined {
  const lower = key.toLowerCase();
  // A typo of one or two letters ("etcdMember", "ENDPIONT") is that key, before any key it merely starts with.
  const typo = known
    .map((k) => ({ k, d: distance(lower, k.toLowerCase()) }))
    .filter(({ d }) => d > 0 && d <= Math.min(2, Math.floor(key.length / 4)))
    .sort((x, y) => x.d - y.d)[0];
  if (typo) return typo.k;
  // A key cut short or run on ("cidr", "kmsKey", "membersCount") is the known key it starts.
  const started = known
    .filter((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()))
    .sort((x, y) => x.length - y.length);
  if (started.length > 0 && Math.min(lower.length, started[0].length) >= 3) return started[0];
  const scored = known.map((k) => ({ k, d: k.toLowerCase() === lower ? 0 : distance(lower, k.toLowerCase()) }));
  const best = scored.sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.k : undefined;
}

export interface ShapeProblem {
  readonly prop: string;
  readonly message: string;
}

/** AWS's tag limits, less the tags the construct adds to a resource itself. */
const TAG_LIMITS = { perResource: 50, userTags: 45, keyLength: 128, valueLength: 256 } as const;

function tagKeyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > TAG_LIMITS.keyLength)
    return `is not a tag key of 1 to ${TAG_LIMITS.keyLength} characters.`;
  if (key.toLowerCase().startsWith("aws:")) return 'begins with "aws:", which AWS keeps for its own tags.';
  if (key === "Name" || key.startsWith(OWN_TAG_PREFIX))
    return `is a tag the construct sets on its resources itself (Name and ${OWN_TAG_PREFIX}*: the nodes' IAM conditions and status depend on them); choose another key.`;
  return undefined;
}

/** Tells a deploy-time value (a framework token, in a string, a number or a one-element list) from a literal. */
export type IsToken = (value: unknown) => boolean;

interface Checker {
  readonly problem: (prop: string, message: string) => void;
  readonly isToken: IsToken;
}

/** Checks `input` against a shape (the cluster's by default); returns the problems and a copy without the refused values. */
export function checkShape(
  input: unknown,
  isToken: IsToken = () => false,
  shape: Shape = CLUSTER_SHAPE,
  where = "the cluster props",
): { value: Record<string, unknown>; problems: ShapeProblem[] } {
  const problems: ShapeProblem[] = [];
  const checker: Checker = { problem: (prop, message) => problems.push({ prop, message }), isToken };
  const value = checkObject(input ?? {}, shape, "", where, checker, []) ?? {};
  return { value, problems };
}

/** A worker pool's props (types.ts: WorkerPoolInput). */
export const WORKER_POOL_SHAPE: Shape = {
  name: STRING,
  instanceTypes: strings('an EC2 instance type such as "m7i.large"'),
  minSize: NUMBER,
  maxSize: NUMBER,
  desiredSize: NUMBER,
  labels: { kind: "labels" },
  taints: { kind: "objects", shape: { key: STRING, value: STRING, effect: STRING } },
  rootVolumeSizeGiB: NUMBER,
};

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Why a prop that becomes part of the user data cannot be a token, and what to give instead. */
const FROZEN_AT_SYNTH =
  "is a deploy-time value (a token), but it is written into the nodes' user data at synth, where no framework can resolve it: give its literal value (from your variables or settings, not from a resource or data source).";
const LIST_TOKEN =
  "is a list known only at deploy time (a list token): its length decides how many things are planned at synth, so give a literal list (each item may be a token where the prop allows it).";

/** A plain object's own and inherited data, but not a class instance's hidden state: the keys to read. */
function keysOf(input: object, shape: Shape): string[] {
  const own = Object.keys(input);
  // Props behind getters or a prototype (a class of props, Object.create) count like own ones.
  const inherited = Object.keys(shape).filter((key) => !own.includes(key) && key in input);
  return [...own, ...inherited];
}

function checkObject(
  input: unknown,
  shape: Shape,
  path: string,
  where: string,
  checker: Checker,
  otherVariants: { label: string; shape: Shape }[],
): Record<string, unknown> | undefined {
  const { problem } = checker;
  if (typeof input !== "object" || input === null || Array.isArray(input) || input instanceof Map) {
    problem(
      path || "(props)",
      `${show(input)} (${typeName(input)}) is not an object of props${input instanceof Map ? ": pass Object.fromEntries(map)" : ""}.`,
    );
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of keysOf(input, shape)) {
    const raw = (input as Record<string, unknown>)[key];
    const prop = join(path, key);
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined; // not Object.prototype's "constructor"
    if (field === undefined) {
      const owner = otherVariants.find((o) => Object.hasOwn(o.shape, key));
      if (raw === undefined) continue;
      if (owner) problem(prop, `is not a prop of ${where}; it belongs to ${owner.label}.`);
      else {
        const near = nearestKey(key, Object.keys(shape));
        problem(
          prop,
          near
            ? `is not a prop of ${where}: did you mean ${join(path, near)}?`
            : `is not a prop of ${where}; its props are ${Object.keys(shape).join(", ")}.`,
        );
      }
      continue;
    }
    if (raw === undefined) continue;
    if (raw === null) {
      problem(prop, "is null: leave it out to get its default.");
      continue;
    }
    const checked = checkField(raw, field, prop, checker);
    if (checked !== undefined) out[key] = checked;
  }
  return out;
}

function checkField(raw: unknown, field: Field, prop: string, checker: Checker): unknown {
  const { problem, isToken } = checker;
  if ((field.kind === "string" || field.kind === "number") && isToken(raw)) {
    if (field.deployTime) return raw;
    problem(prop, FROZEN_AT_SYNTH);
    return undefined;
  }
  switch (field.kind) {
    case "string":
      if (raw === "") {
        problem(prop, 'is "" (an unset variable?): leave it out for its default, or give a value.');
        return undefined;
      }
      if (typeof raw === "string") return raw;
      problem(
        prop,
        `${show(raw)} (${typeName(raw)}) is not a string${typeof raw === "number" ? `: quote it, "${raw}"` : ""}.`,
      );
      return undefined;
    case "number":
      if (typeof raw === "number" && Number.isFinite(raw)) return raw;
      problem(
        prop,
        typeof raw === "number"
          ? `${raw} is not a finite number.`
          : `${show(raw)} (${typeName(raw)}) is not a number${typeof raw === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? `: write ${raw.trim()} without quotes (convert values read from JSON, YAML or the environment with Number())` : ""}.`,
      );
      return undefined;
    case "boolean":
      if (typeof raw === "boolean") return raw;
      problem(
        prop,
        `${show(raw)} (${typeName(raw)}) is not true or false${raw === "true" || raw === "false" ? `: write ${raw} without quotes (a non-empty string counts as true)` : ""}.`,
      );
      return undefined;
    case "strings": {
      if (!Array.isArray(raw)) {
        problem(
          prop,
          `${show(raw)} (${typeName(raw)}) is not a list of strings${typeof raw === "string" ? `: write [${show(raw)}]` : ""}.`,
        );
        return undefined;
      }
      if (isToken(raw)) {
        problem(prop, LIST_TOKEN);
        return undefined;
      }
      const items: string[] = [];
      // By index, not forEach: a hole in the list (an unset variable) is a problem, not skipped.
      for (let i = 0; i < raw.length; i++) {
        const item: unknown = raw[i];
        const at = `${prop}[${i}]`;
        if (item === undefined || item === null || item === "")
          problem(
            at,
            `is ${show(item)} (an unset variable?): each entry is ${field.item}; remove the entry or give one.`,
          );
        else if (typeof item !== "string") problem(at, `${show(item)} (${typeName(item)}) is not ${field.item}.`);
        else if (isToken(item) && !field.deployTime) problem(at, FROZEN_AT_SYNTH);
        else if (!isToken(item) && items.includes(item))
          problem(at, `${show(item)} is listed twice (also ${prop}[${raw.indexOf(item)}]): list each once.`);
        else items.push(item);
      }
      return items;
    }
    case "tags": {
      if (typeof raw !== "object" || Array.isArray(raw) || raw instanceof Map) {
        problem(
          prop,
          `${show(raw)} (${typeName(raw)}) is not an object of string tags such as { team: "platform" }${raw instanceof Map ? ": pass Object.fromEntries(map)" : ""}.`,
        );
        return undefined;
      }
      const tags: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw as object)) {
        const broken = tagKeyProblem(k);
        if (broken) problem(`${prop}.${k}`, broken);
        else if (typeof v !== "string")
          problem(`${prop}.${k}`, `${show(v)} (${typeName(v)}) is not a string: tag values are strings.`);
        else if (!isToken(v) && v.length > TAG_LIMITS.valueLength)
          problem(
            `${prop}.${k}`,
            `is ${v.length} characters long; AWS allows ${TAG_LIMITS.valueLength} in a tag value.`,
          );
        else tags[k] = v;
      }
      const count = Object.keys(raw as object).length;
      if (count > TAG_LIMITS.userTags)
        problem(
          prop,
          `has ${count} tags; AWS allows ${TAG_LIMITS.perResource} per resource and the construct adds up to ${TAG_LIMITS.perResource - TAG_LIMITS.userTags} of its own (Name, ${OWN_TAG_PREFIX}*): give at most ${TAG_LIMITS.userTags}.`,
        );
      return tags;
    }
    case "labels": {
      if (typeof raw !== "object" || Array.isArray(raw) || raw instanceof Map) {
        problem(
          prop,
          `${show(raw)} (${typeName(raw)}) is not an object of string labels such as { team: "platform" }.`,
        );
        return undefined;
      }
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw as object)) {
        if (typeof v !== "string")
          problem(`${prop}.${k}`, `${show(v)} (${typeName(v)}) is not a string: label values are strings.`);
        else if (isToken(v)) problem(`${prop}.${k}`, FROZEN_AT_SYNTH);
        else labels[k] = v;
      }
      return labels;
    }
    case "object":
      if (raw === false && field.orFalse) return false;
      return checkObject(raw, field.shape, prop, prop, checker, []);
    case "objects": {
      if (!Array.isArray(raw) || isToken(raw)) {
        problem(prop, isToken(raw) ? LIST_TOKEN : `${show(raw)} (${typeName(raw)}) is not a list.`);
        return undefined;
      }
      const items: Record<string, unknown>[] = [];
      for (let i = 0; i < raw.length; i++) {
        const item: unknown = raw[i];
        if (item === undefined || item === null)
          problem(`${prop}[${i}]`, `is ${item}: a hole in the list; remove it or fill it.`);
        else items.push(checkObject(item, field.shape, `${prop}[${i}]`, `${prop}[${i}]`, checker, []) ?? {});
      }
      return items;
    }
    case "variants": {
      if (typeof raw !== "object" || Array.isArray(raw)) {
        problem(prop, `${show(raw)} (${typeName(raw)}) is not an object of props.`);
        return undefined;
      }
      const picked = field.variants.pick(raw as Record<string, unknown>);
      if ("problem" in picked) {
        problem(picked.prop ?? prop, picked.problem);
        return undefined;
      }
      const others = Object.entries(field.variants.shapes)
        .filter(([v]) => v !== picked.variant)
        .map(([v, shape]) => ({ label: field.variants.label(v), shape }));
      return checkObject(
        raw,
        field.variants.shapes[picked.variant],
        prop,
        field.variants.label(picked.variant),
        checker,
        others,
      );
    }
  }
}
