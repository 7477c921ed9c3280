/**
 * The settings contract (lib/render/node-settings.ts) against what the scripts in userdata/ really
 * read: nothing read is undocumented, nothing documented is unread or never rendered.
 */
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import {
  ControlPlaneSettings,
  DEPLOY_SETTINGS,
  EtcdMemberSettings,
  EveryNodeSettings,
  LoadBalancerSettings,
  NODE_SETTING_GROUPS,
  NODE_SETTINGS,
  SCRIPT_OVERRIDES,
  VrrpPeerSettings,
  WorkerSettings,
  renderClusterDeploySettings,
  renderControlPlaneEnv,
  renderEtcdEnv,
  renderEtcdMemberEnv,
  colocatedPeer,
  renderLoadBalancerEnv,
  renderWorkerEnv,
} from "../../lib/render/internal";
import {
  ClusterInput,
  ExternalEtcdSpec,
  KeepalivedEndpointSpec,
  resolveClusterSpec,
  resolveWorkerPool,
} from "../../lib/cluster-spec";
import { USERDATA_DIR } from "../helpers";

const scripts = readdirSync(USERDATA_DIR)
  .filter((f) => f.endsWith(".sh"))
  .map((f) => readFileSync(join(USERDATA_DIR, f), "utf8"));
const code = scripts
  .map((s) =>
    s
      .split("\n")
      .filter((line) => !/^\s*#/.test(line))
      .join("\n"),
  )
  .join("\n");

/** Upper-case variables the scripts read: $VAR, ${VAR...}, ${!VAR[@]}, ${#VAR}. */
const read = new Set([...code.matchAll(/\$\{?[!#]?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
/** Those the scripts set themselves: assignments (also inline and local), loop variables, read targets. */
const own = new Set([
  ...[...code.matchAll(/(?:^|[\s;(])(?:local |readonly |export |declare (?:-\w+ )?)?([A-Z][A-Z0-9_]*)\+?=/gm)].map(
    (m) => m[1],
  ),
  ...[...code.matchAll(/\bfor ([A-Z][A-Z0-9_]*) in\b/g)].map((m) => m[1]),
  ...[...code.matchAll(/\bread -r (?:-a )?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]),
]);
const SHELL = new Set(["PATH", "BASH_SOURCE", "BASH_LINENO", "BASH_COMMAND", "PIPESTATUS", "HOME"]);

const TOPOLOGIES: ClusterInput[] = [
  {},
  { endpoint: { type: "keepalived", virtualIp: "192.168.255.10" }, etcd: { topology: "external" } },
  { endpoint: { type: "keepalived", placement: "dedicated", vipMode: "secondary-ip", acceptSingleZone: true } },
];
const keys = (env: string) => [...env.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);

/** The settings files every kind of node gets, over the topologies that give each kind all its keys. */
function renderedKeys(): Set<string> {
  const found = new Set<string>();
  for (const input of TOPOLOGIES) {
    const spec = resolveClusterSpec(input);
    const endpoint = { host: "api.example.internal", port: 6443 };
    for (const node of spec.controlPlane)
      keys(renderControlPlaneEnv({ spec, node, endpoint })).forEach((k) => found.add(k));
    if (spec.endpoint.type === "keepalived") {
      for (const peer of (spec.endpoint as KeepalivedEndpointSpec).peers)
        keys(renderLoadBalancerEnv({ spec, endpoint }, peer)).forEach((k) => found.add(k));
    }
    if (spec.etcd.topology === "external") {
      for (const member of (spec.etcd as ExternalEtcdSpec).members)
        keys(renderEtcdMemberEnv({ spec, member })).forEach((k) => found.add(k));
    }
    keys(renderWorkerEnv({ spec, pool: resolveWorkerPool({}, spec) })).forEach((k) => found.add(k));
  }
  return found;
}

/** The deploy settings' keys over the same topologies. */
function renderedDeployKeys(): Set<string> {
  const found = new Set<string>();
  for (const input of TOPOLOGIES) {
    const text = renderClusterDeploySettings(resolveClusterSpec(input), {
      endpoint: { host: "api.example.internal", port: 6443, extraNames: ["public.example.com"] },
      joinSecretId: "j",
      adminKubeconfigSecretId: "a",
      workerJoinSecretId: "w",
      etcdClientSecretId: "c",
      etcdCaSecretId: "ca",
      routeTableIds: ["rtb-1"],
    });
    keys(text).forEach((k) => found.add(k));
  }
  return found;
}

/** etcd's own environment (etcd.env, rendered for the etcd unit), which bootstrap-etcd.sh also reads. */
function etcdEnvironment(): Set<string> {
  const spec = resolveClusterSpec({ etcd: { topology: "external" } });
  const etcd = spec.etcd as ExternalEtcdSpec;
  return new Set([...renderEtcdEnv(spec, etcd, etcd.members[0]).matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
}

test("every variable a script reads and does not set is a node setting, etcd's own environment, an override or the shell's", () => {
  const explained = new Set([
    ...Object.keys(NODE_SETTINGS),
    ...Object.keys(DEPLOY_SETTINGS),
    ...etcdEnvironment(),
    ...Object.keys(SCRIPT_OVERRIDES),
    ...SHELL,
  ]);
  expect([...read].filter((v) => !own.has(v) && !explained.has(v)).sort()).toEqual([]);
});

test("every node setting and override is read by a script", () => {
  expect(
    [...Object.keys(NODE_SETTINGS), ...Object.keys(DEPLOY_SETTINGS), ...Object.keys(SCRIPT_OVERRIDES)].filter(
      (k) => !read.has(k),
    ),
  ).toEqual([]);
});

/** Every `${NAME:-default}` (default as written, nested expansions whole) and `${NAME:?...}` (null). */
function readsWithDefault(text: string): [name: string, defaultValue: string | null][] {
  const found: [string, string | null][] = [];
  for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]*):([-?])/g)) {
    if (m[2] === "?") {
      found.push([m[1], null]);
      continue;
    }
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; depth > 0; i++) depth += text.startsWith("${", i) ? (i++, 1) : text[i] === "}" ? -1 : 0;
    found.push([m[1], text.slice(start, i - 1)]);
  }
  return found;
}

describe("the overrides: one prefix, each in SCRIPT_OVERRIDES with the default the scripts give it", () => {
  const settings = new Set([...Object.keys(NODE_SETTINGS), ...Object.keys(DEPLOY_SETTINGS)]);
  /** Variables the scripts assign from anything but their own default: the scripts' own, not inputs. */
  const assignedOtherwise = new Set(
    [...code.matchAll(/(?:^|[\s;(])(?:local |readonly |export )?([A-Z][A-Z0-9_]*)=(\S*)/gm)]
      .filter(([, name, value]) => !value.startsWith(`\${${name}:-`))
      .map(([, name]) => name),
  );
  const overrides = readsWithDefault(code).filter(([name]) => !settings.has(name) && !assignedOtherwise.has(name));

  test("every variable the environment may set (read with a default, never assigned otherwise) is documented, and only those", () => {
    expect([...new Set(overrides.map(([name]) => name))].sort()).toEqual(Object.keys(SCRIPT_OVERRIDES).sort());
  });

  test("each is KHA_-prefixed, and every read of it has the documented default", () => {
    for (const [name, defaultValue] of overrides) {
      expect(name).toMatch(/^KHA_[A-Z0-9_]+$/);
      expect({ name, defaultValue }).toEqual({
        name,
        defaultValue: SCRIPT_OVERRIDES[name as keyof typeof SCRIPT_OVERRIDES][0],
      });
    }
  });

  test("the reader finds nested defaults whole, and a required one", () => {
    expect(readsWithDefault('A=${A:-$(x "${B[0]}")} ${C:?need C} ${D:-${E:-e}}')).toEqual([
      ["A", '$(x "${B[0]}")'],
      ["C", null],
      ["D", "${E:-e}"],
      ["E", "e"],
    ]);
  });
});

test("every node setting is rendered for some node, and nothing else is", () => {
  expect([...renderedKeys()].sort()).toEqual(Object.keys(NODE_SETTINGS).sort());
});

test("every deploy setting is in the deploy settings of some topology, and nothing else is; none is also a node setting", () => {
  expect([...renderedDeployKeys()].sort()).toEqual(Object.keys(DEPLOY_SETTINGS).sort());
  expect(Object.keys(DEPLOY_SETTINGS).filter((k) => k in NODE_SETTINGS)).toEqual([]);
});

test("the scripts never set a node setting to anything but itself with a default (a setting has one source: the settings file)", () => {
  const assignments = [...code.matchAll(/(?:^|[\s;(])(?:local |readonly |export )?([A-Z][A-Z0-9_]*)=(\S*)/gm)];
  const overwritten = assignments
    .filter(([, name, value]) => (name in NODE_SETTINGS || name in DEPLOY_SETTINGS) && !value.includes(name))
    .map(([whole]) => whole.trim());
  expect(overwritten).toEqual([]);
});

type Group = keyof typeof NODE_SETTING_GROUPS;
const groupKeys = (...groups: Group[]) => groups.flatMap((g) => Object.keys(NODE_SETTING_GROUPS[g])).sort();

test("the groups partition the settings, in NODE_SETTINGS' order", () => {
  expect(Object.values(NODE_SETTING_GROUPS).flatMap((g) => Object.keys(g))).toEqual(Object.keys(NODE_SETTINGS));
});

test("each kind renders exactly its settings type's keys: its groups, an optional group whole or not at all", () => {
  const kinds: Record<string, number> = { controlPlane: 0, etcdMember: 0, loadBalancer: 0, worker: 0 };
  for (const input of TOPOLOGIES) {
    const spec = resolveClusterSpec(input);
    const endpoint = { host: "api.example.internal", port: 6443 };
    for (const node of spec.controlPlane) {
      const expected: Group[] = ["everyNode", "fixedNode", "indexedNode", "kubeadmNode", "controlPlane"];
      if (spec.etcd.topology === "external") expected.push("etcdClient");
      if (colocatedPeer(spec, node)) expected.push("vrrpPeer");
      expect([...keys(renderControlPlaneEnv({ spec, node, endpoint }))].sort()).toEqual(groupKeys(...expected));
      kinds.controlPlane++;
    }
    if (spec.endpoint.type === "keepalived" && spec.endpoint.placement === "dedicated") {
      for (const peer of spec.endpoint.peers) {
        expect(keys(renderLoadBalancerEnv({ spec, endpoint }, peer)).sort()).toEqual(
          groupKeys("everyNode", "fixedNode", "vrrpPeer"),
        );
        kinds.loadBalancer++;
      }
    }
    if (spec.etcd.topology === "external") {
      for (const member of (spec.etcd as ExternalEtcdSpec).members) {
        expect(keys(renderEtcdMemberEnv({ spec, member })).sort()).toEqual(
          groupKeys("everyNode", "fixedNode", "indexedNode", "etcdClient", "etcdMember"),
        );
        kinds.etcdMember++;
      }
    }
    expect(keys(renderWorkerEnv({ spec, pool: resolveWorkerPool({}, spec) })).sort()).toEqual(
      groupKeys("everyNode", "kubeadmNode", "worker"),
    );
    kinds.worker++;
  }
  expect(kinds).toEqual({ controlPlane: 9, etcdMember: 3, loadBalancer: 2, worker: 3 });
});

test("a kind's settings are all required: leaving one out does not compile (tsc checks the @ts-expect-error lines)", () => {
  const cloud: EveryNodeSettings = {
    CLUSTER_NAME: "c",
    DEPLOY_SETTINGS_PARAMETER: "/p",
    CLOUD_PROVIDER: "aws",
    IMDS_ENDPOINT: "http://169.254.169.254",
    STATUS_TAG_KEY: "kubeadm-ha:bootstrap",
  };
  const every = { ...cloud, NODE_NAME: "n", NODE_IP: "10.0.0.1" };
  const vrrp: VrrpPeerSettings = {
    VIP: "192.168.255.10",
    VIP_MODE: "route",
    VIP_REASSERT_SECONDS: 15,
    VIP_GUARD_UNIT: "u",
    HAPROXY_MONITOR_PORT: 8404,
    HAPROXY_MONITOR_PATH: "/",
    ENDPOINT_SETUP: "/s",
    INTERFACE_PLACEHOLDER: "__INTERFACE__",
  };
  const kubeadmNode = {
    KUBERNETES_VERSION: "",
    KUBERNETES_MINOR: "",
    KUBERNETES_PACKAGE_REPO: "",
    NODE_ARCH: "",
    CONTAINERD_VERSION: "",
    CONTAINERD_SHA256: "",
    CONTAINERD_RELEASES: "",
    RUNC_VERSION: "",
    RUNC_SHA256: "",
    RUNC_RELEASES: "",
    KUBEADM_PATCHES_DIR: "",
    PROVIDER_ID_PLACEHOLDER: "__PROVIDER_ID__",
    ENDPOINT_HOST_PLACEHOLDER: "__ENDPOINT_HOST__",
    BOOTSTRAP_TOKEN_PLACEHOLDER: "__BOOTSTRAP_TOKEN__",
    CA_CERT_HASH_PLACEHOLDER: "__CA_CERT_HASH__",
  };
  const controlPlane = {
    ...every,
    ...kubeadmNode,
    NODE_INDEX: 0,
    CONTROL_PLANE_IPS: "",
    CONTROL_PLANE_NAMES: "",
    API_SERVER_PORT: 6443,
    API_SERVER_EXTRA_NAME_PLACEHOLDERS: "",
    WORKER_TOKEN_TTL_SECONDS: 86400,
    WORKER_TOKEN_RENEW_SECONDS: 43200,
  };
  const worker: WorkerSettings = {
    ...cloud,
    ...kubeadmNode,
    POOL_NAME: "workers",
    NODE_NAME_PLACEHOLDER: "__NODE_NAME__",
    NODE_IP_PLACEHOLDER: "__NODE_IP__",
  };
  const { VIP_MODE: _mode, ...vrrpWithoutMode } = vrrp;
  const { NODE_INDEX: _index, ...controlPlaneWithoutIndex } = controlPlane;
  const good: ControlPlaneSettings[] = [
    { ...controlPlane, ETCD_TOPOLOGY: "stacked" },
    { ...controlPlane, ETCD_TOPOLOGY: "external", ETCD_ENDPOINTS: "https://10.0.0.30:2379", ...vrrp },
  ];
  const bad = [
    // @ts-expect-error a control-plane node's own setting missing
    (): ControlPlaneSettings => ({ ...controlPlaneWithoutIndex, ETCD_TOPOLOGY: "stacked" }),
    // @ts-expect-error external etcd without its endpoints
    (): ControlPlaneSettings => ({ ...controlPlane, ETCD_TOPOLOGY: "external" }),
    // @ts-expect-error stacked etcd with endpoints
    (): ControlPlaneSettings => ({ ...controlPlane, ETCD_TOPOLOGY: "stacked", ETCD_ENDPOINTS: "x" }),
    // @ts-expect-error a colocated keepalived peer without one of its settings
    (): ControlPlaneSettings => ({ ...controlPlane, ETCD_TOPOLOGY: "stacked", ...vrrpWithoutMode }),
    // @ts-expect-error a load balancer without one of its settings
    (): LoadBalancerSettings => ({ ...every, ...vrrpWithoutMode }),
    // @ts-expect-error an etcd member without its release
    (): EtcdMemberSettings => ({ ...every, NODE_INDEX: 0, ETCD_ENDPOINTS: "x" }),
    // @ts-expect-error a worker has no fixed name: it learns it from the cloud
    (): WorkerSettings => ({ ...worker, NODE_NAME: "n" }),
    // @ts-expect-error a load balancer without its fixed name and address
    (): LoadBalancerSettings => ({ ...cloud, ...vrrp }),
  ];
  expect(good).toHaveLength(2);
  expect(worker.POOL_NAME).toBe("workers");
  expect(bad).toHaveLength(8);
});
