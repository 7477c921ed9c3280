/**
 * The shape of the props, checked at run time before anything else: every key known, every value of
 * its type, at every depth. TypeScript checks this for TypeScript callers; JavaScript, JSON or YAML
 * settings and environment variables get no such help, and a string "false" where a boolean belongs
 * would otherwise be taken as true. The check returns a copy without the values it refused, so the
 * rules that follow see only well-typed values and every problem is still reported in one error.
 * test/unit/shape.test.ts keeps this schema equal to the interfaces of types.ts.
 */

export type Field =
  | { readonly kind: "string" | "number" | "boolean" | "strings" | "tags" }
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
const STRINGS = { kind: "strings" } as const;

const NLB_ENDPOINT: Shape = {
  type: STRING,
  internetFacing: BOOLEAN,
  allowedCidrs: STRINGS,
  deletionProtection: BOOLEAN,
  idleTimeoutSeconds: NUMBER,
  privateDns: { kind: "object", orFalse: true, shape: { zoneId: STRING, name: STRING } },
};
const KEEPALIVED_ENDPOINT: Shape = {
  type: STRING,
  vipMode: STRING,
  placement: STRING,
  virtualIp: STRING,
  dnsName: STRING,
  allowedCidrs: STRINGS,
  routeTableIds: STRINGS,
  virtualRouterId: NUMBER,
  loadBalancerInstanceType: STRING,
};
const SUBNET: Shape = { id: STRING, availabilityZone: STRING, cidrBlock: STRING };
const NEW_NETWORK: Shape = {
  vpcCidr: STRING,
  availabilityZones: STRINGS,
  zoneCount: NUMBER,
  natGatewayPerZone: BOOLEAN,
};
const EXISTING_NETWORK: Shape = {
  vpcId: STRING,
  vpcCidr: STRING,
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
  imageId: STRING,
  podCidr: STRING,
  serviceCidr: STRING,
  dnsDomain: STRING,
  extraCertSans: STRINGS,
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
  secrets: { kind: "object", shape: { kmsKeyArn: STRING, breakGlassPrincipalArns: STRINGS } },
  sessionManager: {
    kind: "object",
    shape: { kmsKeyArn: STRING, s3BucketName: STRING, s3KeyPrefix: STRING, cloudWatchLogGroupName: STRING },
  },
  tags: { kind: "tags" },
};

/** A value as the message shows it: strings quoted, so "3" and 3 look different. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
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

/** Checks `input` against the cluster's shape; returns the problems and a copy without the refused values. */
export function checkShape(input: unknown): { value: Record<string, unknown>; problems: ShapeProblem[] } {
  const problems: ShapeProblem[] = [];
  const problem = (prop: string, message: string) => problems.push({ prop, message });
  const value = checkObject(input ?? {}, CLUSTER_SHAPE, "", "the cluster props", problem, []) ?? {};
  return { value, problems };
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function checkObject(
  input: unknown,
  shape: Shape,
  path: string,
  where: string,
  problem: (prop: string, message: string) => void,
  otherVariants: { label: string; shape: Shape }[],
): Record<string, unknown> | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    problem(path || "(props)", `${show(input)} (${typeName(input)}) is not an object of props.`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    const prop = join(path, key);
    const field = shape[key];
    if (field === undefined) {
      const owner = otherVariants.find((o) => key in o.shape);
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
    const checked = checkField(raw, field, prop, problem);
    if (checked !== undefined) out[key] = checked;
  }
  return out;
}

function checkField(
  raw: unknown,
  field: Field,
  prop: string,
  problem: (prop: string, message: string) => void,
): unknown {
  switch (field.kind) {
    case "string":
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
        `${show(raw)} (${typeName(raw)}) is not a number${typeof raw === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? `: write ${raw.trim()} without quotes (convert values read from JSON, YAML or the environment with Number())` : ""}.`,
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
      raw.forEach((item, i) => {
        if (typeof item !== "string") problem(`${prop}[${i}]`, `${show(item)} (${typeName(item)}) is not a string.`);
      });
      return raw.filter((item) => typeof item === "string");
    }
    case "tags": {
      if (typeof raw !== "object" || Array.isArray(raw)) {
        problem(prop, `${show(raw)} (${typeName(raw)}) is not an object of string tags such as { team: "platform" }.`);
        return undefined;
      }
      const tags: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw as object)) {
        if (typeof v === "string") tags[k] = v;
        else problem(`${prop}.${k}`, `${show(v)} (${typeName(v)}) is not a string: tag values are strings.`);
      }
      return tags;
    }
    case "object":
      if (raw === false && field.orFalse) return false;
      return checkObject(raw, field.shape, prop, prop, problem, []);
    case "objects":
      if (!Array.isArray(raw)) {
        problem(prop, `${show(raw)} (${typeName(raw)}) is not a list.`);
        return undefined;
      }
      return raw.map((item, i) => checkObject(item, field.shape, `${prop}[${i}]`, `${prop}[${i}]`, problem, []) ?? {});
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
        problem,
        others,
      );
    }
  }
}
