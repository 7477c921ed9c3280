import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import {
  NODE_SCRIPTS,
  encodeUserData,
  NODE_PLACEHOLDERS,
  renderCloudConfig,
  renderControlPlaneUserData,
  renderEnvFile,
  renderEtcdEnv,
  renderEtcdMemberUserData,
  renderEtcdUnit,
  renderKubeadmConfig,
  renderLoadBalancerUserData,
  shellQuote,
  drainTimers,
  renderContainerdConfig,
  shippedScript,
} from "../../lib/render/internal";
import { parse } from "yaml";
import { ExternalEtcdSpec, KeepalivedEndpointSpec, resolveClusterSpec } from "../../lib/cluster-spec";
import {
  SHARED_FIELD_REFERENCE,
  USERDATA_DIR,
  decodeUserData,
  sharedReferenceExists,
  unknownKubeadmFields,
  yamlDocs,
} from "../helpers";

const endpoint = { host: "api.example.internal", port: 6443 };

describe("kubeadm configuration", () => {
  const spec = resolveClusterSpec({ extraCertSans: ["api.example.com", "198.18.0.100"] });
  const node = spec.controlPlane[1];
  const docs = renderKubeadmConfig(spec, node, endpoint);
  const [cluster, init] = yamlDocs(docs.init);
  const [join] = yamlDocs(docs.join);

  test("every rendered key is a kubeadm v1beta4 field", () => {
    for (const doc of [cluster, init, join]) expect(unknownKubeadmFields(doc)).toEqual([]);
  });

  test("the field check catches an unknown key (it can fail)", () => {
    expect(
      unknownKubeadmFields({ ...cluster, apiServer: { ...cluster.apiServer, timeoutForControlPlane: "4m" } }),
    ).toEqual(["ClusterConfiguration.apiServer.timeoutForControlPlane"]);
    expect(unknownKubeadmFields({ ...init, nodeRegistration: { kubeletExtraArgs: { "node-ip": "1.2.3.4" } } })).toEqual(
      ["InitConfiguration.nodeRegistration.kubeletExtraArgs should be a list"],
    );
  });

  test("controlPlaneEndpoint is the endpoint; certSANs are the endpoint name then the extra SANs (the deploy's names as placeholders)", () => {
    expect(cluster.controlPlaneEndpoint).toBe("__ENDPOINT_HOST__:6443");
    expect(cluster.apiServer.certSANs).toEqual(["__ENDPOINT_HOST__", "api.example.com", "198.18.0.100"]);
    const withPublicName = yamlDocs(
      renderKubeadmConfig(spec, node, { ...endpoint, extraNames: ["public.example.com"] }).init,
    )[0];
    expect(withPublicName.apiServer.certSANs).toEqual([
      "__ENDPOINT_HOST__",
      "__API_SERVER_EXTRA_NAME_0__",
      "api.example.com",
      "198.18.0.100",
    ]);
    expect(docs.init + docs.join).not.toContain(endpoint.host); // the host is in the deploy settings only
  });

  test("advertiseAddress and the kubelet node IP are the node's own address, never the endpoint", () => {
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: node.privateIp, bindPort: 6443 });
    expect(join.controlPlane.localAPIEndpoint).toEqual({ advertiseAddress: node.privateIp, bindPort: 6443 });
    expect(join.nodeRegistration).toMatchObject({
      name: node.name,
      kubeletExtraArgs: [{ name: "node-ip", value: node.privateIp }],
    });
  });

  test("the provider ID is this node's KubeletConfiguration providerID (a kubeletconfiguration patch), never the kubelet's flag", () => {
    for (const doc of [init, join])
      expect(doc.nodeRegistration.kubeletExtraArgs.map((a: { name: string }) => a.name)).toEqual(["node-ip"]);
    expect(parse(docs.patches["kubeletconfiguration+strategic.yaml"])).toEqual({
      providerID: NODE_PLACEHOLDERS.providerId,
    });
  });

  test("an UpgradeConfiguration gives `kubeadm upgrade apply` and `kubeadm upgrade node` the patches folder, in kubeadm's own field names", () => {
    const [upgrade] = yamlDocs(docs.upgrade);
    expect(upgrade).toEqual({
      apiVersion: "kubeadm.k8s.io/v1beta4",
      kind: "UpgradeConfiguration",
      apply: { patches: { directory: "/etc/kubeadm-ha/kubeadm-patches" } },
      node: { patches: { directory: "/etc/kubeadm-ha/kubeadm-patches" } },
    });
    // The shared field list has no UpgradeConfiguration; these are the json tags of
    // cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go (UpgradeConfiguration, UpgradeApplyConfiguration, UpgradeNodeConfiguration).
    const upstream: Record<string, string[]> = {
      UpgradeConfiguration: ["apiVersion", "kind", "apply", "diff", "node", "plan", "timeouts"],
      apply: [
        "kubernetesVersion",
        "allowExperimentalUpgrades",
        "allowRCUpgrades",
        "certificateRenewal",
        "dryRun",
        "etcdUpgrade",
        "forceUpgrade",
        "ignorePreflightErrors",
        "patches",
        "printConfig",
        "skipPhases",
        "imagePullPolicy",
        "imagePullSerial",
      ],
      node: [
        "certificateRenewal",
        "dryRun",
        "etcdUpgrade",
        "ignorePreflightErrors",
        "skipPhases",
        "patches",
        "imagePullPolicy",
        "imagePullSerial",
      ],
    };
    expect(Object.keys(upgrade).filter((k) => !upstream.UpgradeConfiguration.includes(k))).toEqual([]);
    for (const part of ["apply", "node"])
      expect(Object.keys(upgrade[part]).filter((k) => !upstream[part].includes(k))).toEqual([]);
  });

  test("the join document carries placeholders, not a token or certificate key", () => {
    expect(join.discovery.bootstrapToken).toEqual({
      apiServerEndpoint: "__ENDPOINT_HOST__:6443",
      token: NODE_PLACEHOLDERS.token,
      caCertHashes: [NODE_PLACEHOLDERS.caCertHash],
    });
    expect(join.controlPlane.certificateKey).toBeUndefined();
    expect(init.certificateKey).toBeUndefined();
    expect(init.bootstrapTokens[0].token).toBeUndefined();
  });

  test("stacked etcd is kubeadm's local etcd", () => {
    expect(cluster.etcd).toEqual({ local: { dataDir: "/var/lib/etcd" } });
  });

  test("no feature gates: every supported minor has kubelet local mode and waits for all control-plane components by default", () => {
    expect(cluster.featureGates).toBeUndefined();
  });

  test("an API server that is stopping keeps serving until the endpoint has let go: an NLB needs a minute, HAProxy seconds", () => {
    const delay = (s: typeof spec) =>
      yamlDocs(renderKubeadmConfig(s, s.controlPlane[0], endpoint).init)[0].apiServer.extraArgs;
    // NLB: 2 failed checks 10 s apart, then up to 40 s until it stops sending new connections, plus 10 s.
    expect(delay(spec)).toEqual([{ name: "shutdown-delay-duration", value: "70s" }]);
    const keepalived = resolveClusterSpec({ endpoint: { type: "keepalived", virtualIp: "192.168.255.10" } });
    expect(delay(keepalived)).toEqual([{ name: "shutdown-delay-duration", value: "11s" }]);
    for (const s of [spec, keepalived]) {
      const timers = drainTimers(s.endpoint, s.etcd);
      expect(timers.shutdownDelaySeconds).toBeGreaterThan(timers.endpointDetectionSeconds);
      // The pod's grace period and the kubelet's shutdown of critical pods outlast the delay.
      expect(timers.terminationGraceSeconds).toBeGreaterThan(timers.shutdownDelaySeconds);
      expect(timers.nodeShutdownCriticalPodsSeconds).toBeGreaterThan(timers.terminationGraceSeconds);
      const docs = renderKubeadmConfig(s, s.controlPlane[0], endpoint);
      expect(parse(docs.patches["kube-apiserver+strategic.yaml"])).toEqual({
        spec: { terminationGracePeriodSeconds: timers.terminationGraceSeconds },
      });
      const kubelet = yamlDocs(docs.init)[2];
      expect(kubelet).toMatchObject({
        kind: "KubeletConfiguration",
        cgroupDriver: "systemd",
        shutdownGracePeriod: `${timers.nodeShutdownSeconds}s`,
        shutdownGracePeriodCriticalPods: `${timers.nodeShutdownCriticalPodsSeconds}s`,
      });
      expect(kubelet.providerID).toBeUndefined(); // per node (kubeletExtraArgs), never in the shared config
      // Stacked etcd outlives its API server on a node shutdown: it sleeps before it stops, within the critical pods' time.
      expect(parse(docs.patches["etcd+strategic.yaml"])).toEqual({
        spec: {
          terminationGracePeriodSeconds: timers.etcdTerminationGraceSeconds,
          containers: [
            { name: "etcd", lifecycle: { preStop: { sleep: { seconds: timers.terminationGraceSeconds } } } },
          ],
        },
      });
      expect(timers.etcdTerminationGraceSeconds!).toBeGreaterThan(timers.etcdPreStopSeconds!);
      expect(timers.nodeShutdownCriticalPodsSeconds).toBeGreaterThan(timers.etcdTerminationGraceSeconds!);
    }
    const external = resolveClusterSpec({ etcd: { topology: "external" } });
    expect(Object.keys(renderKubeadmConfig(external, external.controlPlane[0], endpoint).patches)).toEqual([
      "kubeletconfiguration+strategic.yaml",
      "kube-apiserver+strategic.yaml",
    ]);
  });

  test("init and join apply the patches folder", () => {
    expect(init.patches).toEqual({ directory: "/etc/kubeadm-ha/kubeadm-patches" });
    expect(join.patches).toEqual({ directory: "/etc/kubeadm-ha/kubeadm-patches" });
  });
});

describe("env file", () => {
  test("values are single-quoted so bash reads them literally", () => {
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(renderEnvFile({ A: "x y", B: 3 })).toMatch(/^A='x y'\nB='3'\n$/m);
    expect(() => renderEnvFile({ "bad-name": "x" })).toThrow(/shell variable/);
  });
});

describe("cloud-config", () => {
  test("files keep their exact content, YAML-special characters included", () => {
    const script = "#!/bin/bash\necho \"${HOME}\" 'q' %{x} \\\n: done # not a comment\n";
    const text = renderCloudConfig({
      hostname: "n0",
      files: [
        { path: "/a", content: "plain: text\n", permissions: "0644" },
        { path: "/b.sh", content: script, permissions: "0755" },
      ],
      runcmd: [["/b.sh"]],
    });
    const { files, cloudConfig } = decodeUserData(text);
    expect(files["/a"]).toEqual({ content: "plain: text\n", permissions: "0644" });
    expect(files["/b.sh"].content).toBe(script);
    expect(cloudConfig.runcmd).toEqual([["/b.sh"]]);
  });

  test("a control-plane node's user data ships every script as shippedScript makes it", () => {
    const spec = resolveClusterSpec();
    const scripts = Object.fromEntries(
      NODE_SCRIPTS.map((n) => [n, readFileSync(join(USERDATA_DIR, n), "utf8")]),
    ) as any;
    const { files } = decodeUserData(
      renderControlPlaneUserData({ spec, node: spec.controlPlane[0], endpoint }, scripts),
    );
    const shipped = Object.keys(files).filter((p) => p.startsWith("/opt/kubeadm-ha/"));
    // The NLB topology needs no keepalived scripts; the worker token keeper runs on every control plane.
    expect(shipped.map((p) => p.split("/").pop())).toEqual([
      "common.sh",
      "cloud-aws.sh",
      "install-kubernetes.sh",
      "kubeadm-common.sh",
      "bootstrap-control-plane.sh",
      "worker-token.sh",
    ]);
    for (const path of shipped)
      expect(files[path].content).toBe(shippedScript(path.split("/").pop()!, scripts[path.split("/").pop()!]));
  });

  test("a control-plane node's chrony has the Amazon Time Sync Service (link-local, no NTP egress needed) as its preferred source", () => {
    const spec = resolveClusterSpec();
    const { files } = decodeUserData(
      renderControlPlaneUserData({ spec, node: spec.controlPlane[0], endpoint }, shippedScripts()),
    );
    const chrony = Object.entries(files).filter(([path]) => path.startsWith("/etc/chrony/"));
    expect(chrony).toEqual([
      [
        "/etc/chrony/sources.d/amazon-time-sync.sources",
        { content: "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n", permissions: "0644" },
      ],
    ]);
  });

  test("every other node kind (etcd member, dedicated load balancer) has the same time source", () => {
    const etcd = resolveClusterSpec({ etcd: { topology: "external" } });
    const balanced = resolveClusterSpec({
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
    });
    const peer = (balanced.endpoint as KeepalivedEndpointSpec).peers[0];
    for (const text of [
      renderEtcdMemberUserData({ spec: etcd, member: (etcd.etcd as ExternalEtcdSpec).members[0] }, shippedScripts()),
      renderLoadBalancerUserData({ spec: balanced, endpoint }, peer, shippedScripts()),
    ]) {
      expect(decodeUserData(text).files["/etc/chrony/sources.d/amazon-time-sync.sources"]).toEqual({
        content: "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n",
        permissions: "0644",
      });
    }
  });

  test("a control-plane node ships its upgrade configuration and its kubelet patch beside the other patches", () => {
    const spec = resolveClusterSpec();
    const { files } = decodeUserData(
      renderControlPlaneUserData({ spec, node: spec.controlPlane[0], endpoint }, shippedScripts()),
    );
    expect(files["/etc/kubeadm-ha/kubeadm-upgrade.yaml"].content).toContain("kind: UpgradeConfiguration");
    expect(files["/etc/kubeadm-ha/kubeadm-patches/kubeletconfiguration+strategic.yaml"].content).toBe(
      "providerID: __PROVIDER_ID__\n",
    );
    expect(files["/etc/kubeadm-ha/node-settings.env"].content).toContain(
      "KUBEADM_PATCHES_DIR='/etc/kubeadm-ha/kubeadm-patches'",
    );
  });
});

function shippedScripts() {
  return Object.fromEntries(NODE_SCRIPTS.map((n) => [n, readFileSync(join(USERDATA_DIR, n), "utf8")])) as any;
}

describe("containerd", () => {
  test.each(["2.2.7", "2.3.4"])(
    "containerd %s gets configuration version 3, the version of containerd 2.x (RELEASES.md: 3 needs v2.0.0)",
    (containerdVersion) => {
      const spec = resolveClusterSpec({ containerdVersion });
      expect(renderContainerdConfig(spec)).toMatch(/^version = 3$/m);
    },
  );
});

describe("external etcd member", () => {
  const spec = resolveClusterSpec({ etcd: { topology: "external" } });
  const etcd = spec.etcd.topology === "external" ? spec.etcd : undefined!;

  test("flags can be moved to other paths (the system test's lab) without changing anything else", () => {
    const standard = renderEtcdEnv(spec, etcd, etcd.members[0]);
    const moved = renderEtcdEnv(spec, etcd, etcd.members[0], { data: "/lab/data", pki: "/lab/pki" });
    expect(moved).toBe(standard.replaceAll("/var/lib/etcd", "/lab/data").replaceAll("/etc/etcd/pki", "/lab/pki"));
    expect(standard).toContain("ETCD_INITIAL_CLUSTER_TOKEN='kubeadm-ha-etcd'");
  });

  test("the systemd unit reads the rendered flags and then the boot-time state, restarts etcd, and waits for a majority", () => {
    const unit = renderEtcdUnit();
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/etcd\/etcd\.env\nEnvironmentFile=\/etc\/etcd\/state\.env$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^TimeoutStartSec=900$/m);
  });

  test("a member's user data ships only the etcd scripts and files, and holds no key material", () => {
    const scripts = Object.fromEntries(
      NODE_SCRIPTS.map((n) => [n, readFileSync(join(USERDATA_DIR, n), "utf8")]),
    ) as any;
    const text = renderEtcdMemberUserData({ spec, member: etcd.members[2] }, scripts);
    const { files, cloudConfig } = decodeUserData(text);
    expect(Object.keys(files).sort()).toEqual([
      "/etc/chrony/sources.d/amazon-time-sync.sources",
      "/etc/etcd/etcd.env",
      "/etc/kubeadm-ha/node-settings.env",
      "/etc/systemd/system/etcd.service",
      "/etc/systemd/system/kubeadm-ha-bootstrap.service",
      "/opt/kubeadm-ha/bootstrap-etcd.sh",
      "/opt/kubeadm-ha/cloud-aws.sh",
      "/opt/kubeadm-ha/common.sh",
    ]);
    expect(cloudConfig.hostname).toBe("kubeadm-ha-etcd-2");
    expect(files["/etc/kubeadm-ha/node-settings.env"].content).toContain("NODE_INDEX='2'");
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});

test("the vendored kubeadm field list matches ../shared/reference when that is present", () => {
  if (!sharedReferenceExists()) return; // a packed or standalone checkout has only the vendored copy
  expect(readFileSync(join(__dirname, "..", "fixtures", "kubeadm-v1beta4-fields.json"), "utf8")).toBe(
    readFileSync(SHARED_FIELD_REFERENCE, "utf8"),
  );
});

describe("shipped scripts", () => {
  const script = [
    "#!/usr/bin/env bash",
    "# A header comment.",
    "set -euo pipefail",
    "",
    "  # an indented comment",
    "# shellcheck source=common.sh",
    ". ./common.sh",
    "cat <<'EOF'",
    "# inside a here-document: kept",
    "",
    "EOF",
    'echo "# not a comment" # a trailing comment stays',
    "",
  ].join("\n");

  test("comment and blank lines go; the shebang, shellcheck directives, here-documents and code stay", () => {
    expect(shippedScript("x.sh", script).split("\n")).toEqual([
      "#!/usr/bin/env bash",
      "# kubeadm-ha x.sh, comments removed to fit in user data: the commented script is userdata/x.sh in the package",
      "set -euo pipefail",
      "# shellcheck source=common.sh",
      ". ./common.sh",
      "cat <<'EOF'",
      "# inside a here-document: kept",
      "",
      "EOF",
      'echo "# not a comment" # a trailing comment stays',
      "",
    ]);
  });

  test("every userdata/ script, shipped, still parses (bash -n) and is at least a fifth smaller", () => {
    for (const name of NODE_SCRIPTS) {
      const text = readFileSync(join(USERDATA_DIR, name), "utf8");
      const shipped = shippedScript(name, text);
      expect(execFileSync("bash", ["-n"], { input: shipped }).toString()).toBe("");
      expect(shipped.length).toBeLessThan(text.length * 0.8);
    }
  });
});

describe("user data is the last line of defence against deploy-time values", () => {
  test.each([
    ["a cdktf string token", "NODE_IP='${TfToken[TOKEN.11]}'"],
    ["an AWS CDK string token", "advertiseAddress: ${Token[TOKEN.24]}"],
    ["a list token", "zones: #{TfToken[TOKEN.3]}"],
    ["a number token", "count: -1.8881545897087626e+289"],
  ])("%s is refused, naming the node", (_, line) => {
    expect(() => encodeUserData(`#cloud-config\n${line}\n`, "c-cp-0")).toThrow(
      /c-cp-0's user data holds a deploy-time value \(a token\)/,
    );
  });
});
