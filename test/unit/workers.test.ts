/** A worker pool's props (resolveWorkerPool) and its nodes' user data (renderWorkerUserData). */
import { parse } from "yaml";
import { POOL_LABEL, resolveClusterSpec, resolveWorkerPool, WorkerPoolInput } from "../../lib/cluster-spec";
import { loadNodeScripts } from "../../lib/private/node-scripts";
import { encodeUserData, renderWorkerUserData } from "../../lib/render/internal";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  decodeUserData,
  envValues,
  specProblemsOf,
  unknownKubeadmFields,
} from "../helpers";

const spec = resolveClusterSpec();
const problemsOf = (input: WorkerPoolInput, cluster = spec) => specProblemsOf(() => resolveWorkerPool(input, cluster));

describe("a worker pool's props", () => {
  test("the defaults: two t3.medium workers (room for four), 50 GiB, the pool's label, no taints", () => {
    expect(resolveWorkerPool({}, spec)).toEqual({
      name: "workers",
      instanceTypes: ["t3.medium"],
      architecture: "amd64",
      containerdSha256: spec.containerd.sha256,
      runcSha256: spec.runc.sha256,
      minSize: 2,
      maxSize: 4,
      desiredSize: 2,
      labels: { [POOL_LABEL]: "workers" },
      taints: [],
      rootVolumeSizeGiB: 50,
    });
  });

  test("an arm64 pool of an amd64 cluster gets containerd's and runc's arm64 checksums", () => {
    const pool = resolveWorkerPool({ name: "graviton", instanceTypes: ["m7g.large", "c7g.large"] }, spec);
    expect(pool.architecture).toBe("arm64");
    expect(pool.containerdSha256).not.toBe(spec.containerd.sha256);
    expect(pool.containerdSha256).toMatch(/^[a-f0-9]{64}$/);
    expect(pool.runcSha256).not.toBe(spec.runc.sha256);
  });

  test.each<[string, WorkerPoolInput, string, RegExp]>([
    ["a name that is no DNS label", { name: "GPU_pool" }, "name", /not a DNS label of at most 20/],
    [
      "types of two architectures",
      { instanceTypes: ["m7i.large", "m7g.large"] },
      "instanceTypes[1]",
      /arm64.*one image/,
    ],
    ["no type", { instanceTypes: [] }, "instanceTypes", /at least one/],
    ["min above max", { minSize: 5, maxSize: 3 }, "minSize", /more than maxSize \(3\)/],
    [
      "desired outside",
      { minSize: 1, maxSize: 3, desiredSize: 4 },
      "desiredSize",
      /between minSize \(1\) and maxSize \(3\)/,
    ],
    ["a fraction of a node", { minSize: 1.5 }, "minSize", /whole number of nodes/],
    [
      "a label the kubelet may not set",
      { labels: { "node-role.kubernetes.io/worker": "" } },
      "labels.node-role.kubernetes.io/worker",
      /NodeRestriction/,
    ],
    [
      "a kubernetes.io label",
      { labels: { "kubernetes.io/role": "x" } },
      "labels.kubernetes.io/role",
      /NodeRestriction/,
    ],
    ["the pool's own label", { labels: { [POOL_LABEL]: "other" } }, `labels.${POOL_LABEL}`, /set to the pool's name/],
    ["a label value too long", { labels: { team: "x".repeat(64) } }, "labels.team", /not a label value/],
    [
      "a taint effect",
      { taints: [{ key: "gpu", effect: "NoRun" }] },
      "taints[0].effect",
      /NoSchedule, PreferNoSchedule, NoExecute/,
    ],
    [
      "a taint twice",
      {
        taints: [
          { key: "gpu", effect: "NoSchedule" },
          { key: "gpu", value: "a", effect: "NoSchedule" },
        ],
      },
      "taints[1]",
      /repeats the key "gpu"/,
    ],
    ["a volume too small", { rootVolumeSizeGiB: 8 }, "rootVolumeSizeGiB", /between 20/],
  ])("%s is refused, naming the prop", (_what, input, prop, message) => {
    const problems = problemsOf(input);
    expect(problems.map((p) => p.prop)).toContain(prop);
    expect(problems.find((p) => p.prop === prop)!.message).toMatch(message);
  });

  test("labels a kubelet may set are accepted ([*.]node.kubernetes.io, [*.]kubelet.kubernetes.io, your own prefix)", () => {
    const labels = {
      "node.kubernetes.io/exclude-from-external-load-balancers": "true",
      "team.node.kubernetes.io/name": "data",
      "example.kubelet.kubernetes.io/x": "y",
      "example.com/team": "data",
      // Not the kubernetes.io namespace at all.
      "nodekubernetes.io/x": "y",
      "node.kubernetes.io.example/x": "y",
    };
    const pool = resolveWorkerPool({ labels }, spec);
    expect(Object.keys(pool.labels).sort()).toEqual([...Object.keys(labels), POOL_LABEL].sort());
  });

  test.each([
    "node-restriction.kubernetes.io/trusted",
    "node-role.kubernetes.io/worker",
    "topology.kubernetes.io/zone",
    "example.k8s.io/x",
  ])("a label the kubelet may not set (%s) is refused, naming it", (key) => {
    expect(problemsOf({ labels: { [key]: "x" } }).map((p) => p.prop)).toEqual([`labels.${key}`]);
  });

  test("JavaScript or JSON props of the wrong type are refused by the shape, naming the prop, in one error", () => {
    const problems = problemsOf({ minSize: "2", taints: { key: "a" }, labels: { a: 1 } } as unknown as WorkerPoolInput);
    expect(problems.map((p) => p.prop).sort()).toEqual(["labels.a", "minSize", "taints"]);
    expect(() => resolveWorkerPool({ minSize: "2" } as unknown as WorkerPoolInput, spec)).toThrow(
      /^Invalid WorkerPool "workers" props \(nothing was synthesized\)/,
    );
  });

  test("a pool of another architecture than a cluster's given image, or a containerd whose checksum is known only for the control plane's, is refused", () => {
    const withImage = resolveClusterSpec({ imageId: "ami-0123456789abcdef0" });
    expect(problemsOf({ instanceTypes: ["m7g.large"] }, withImage).map((p) => p.prop)).toEqual(["instanceTypes"]);
    const ownContainerd = resolveClusterSpec({ containerdVersion: "2.2.5", containerdSha256: "a".repeat(64) });
    expect(problemsOf({ instanceTypes: ["m7g.large"] }, ownContainerd)[0].message).toMatch(
      /only the amd64 checksum of containerd 2.2.5 is known/,
    );
  });
});

describe("a worker's user data", () => {
  const pool = resolveWorkerPool({ taints: [{ key: "dedicated", value: "batch", effect: "NoSchedule" }] }, spec);
  const userData = renderWorkerUserData({ spec, pool }, loadNodeScripts());
  const { cloudConfig, files } = decodeUserData(userData);
  const settings = envValues(files["/etc/kubeadm-ha/node-settings.env"].content);

  test("one for the whole pool: no hostname, name or address of its own (each node asks the cloud at boot)", () => {
    expect(cloudConfig.hostname).toBeUndefined();
    expect(settings.NODE_NAME).toBeUndefined();
    expect(settings.NODE_IP).toBeUndefined();
    expect(settings.POOL_NAME).toBe("workers");
  });

  test("its JoinConfiguration: token discovery through the endpoint, the CA pinned by hash, the pool's labels and taints, no control plane", () => {
    const join = parse(files["/etc/kubeadm-ha/kubeadm-join.yaml"].content);
    expect(unknownKubeadmFields(join)).toEqual([]);
    expect(join.controlPlane).toBeUndefined();
    expect(join.discovery).toEqual({
      bootstrapToken: {
        apiServerEndpoint: "__ENDPOINT_HOST__:6443",
        token: "__BOOTSTRAP_TOKEN__",
        caCertHashes: ["__CA_CERT_HASH__"],
      },
    });
    expect(join.nodeRegistration).toEqual({
      name: "__NODE_NAME__",
      criSocket: "unix:///run/containerd/containerd.sock",
      kubeletExtraArgs: [
        { name: "node-ip", value: "__NODE_IP__" },
        { name: "node-labels", value: `${POOL_LABEL}=workers` },
      ],
      taints: [{ key: "dedicated", value: "batch", effect: "NoSchedule" }],
    });
    for (const [placeholder, value] of Object.entries(settings).filter(([k]) => k.endsWith("_PLACEHOLDER")))
      expect({ placeholder, used: userData.includes(value) }).toEqual({ placeholder, used: true });
  });

  test("it carries no secret and no secret's id, ships the worker's scripts, and fits EC2's 16 KB gzipped", () => {
    expect(userData).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(userData).not.toMatch(PRIVATE_KEY_PATTERN);
    const settingsAndConfigs = Object.entries(files).filter(([path]) => !path.startsWith("/opt/kubeadm-ha/"));
    expect(settingsAndConfigs.map(([, f]) => f.content).join("\n")).not.toMatch(/SECRET_ID=|arn:aws/);
    expect(
      Object.keys(files)
        .filter((p) => p.startsWith("/opt/kubeadm-ha/"))
        .map((p) => p.split("/").pop()),
    ).toEqual(["common.sh", "cloud-aws.sh", "install-kubernetes.sh", "kubeadm-common.sh", "bootstrap-worker.sh"]);
    const bytes = Buffer.from(encodeUserData(userData, "workers"), "base64").length;
    expect(bytes).toBeLessThan(16_384);
  });
});
