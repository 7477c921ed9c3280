/**
 * The package's API, drawn on purpose: the exact names each entry point exports (a change here is a
 * change to users' code), and the layers' imports: the core (spec, render, model) imports no
 * framework, the cdktf flavour no aws-cdk-lib, the AWS CDK flavour no cdktf.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";
import * as root from "../../lib";
import * as awsCdk from "../../lib/aws-cdk";
import { ROOT } from "../helpers";

test("the package root: the cdktf constructs, the spec and its errors, the cluster tags, render", () => {
  expect(Object.keys(root).sort()).toEqual(
    [
      "CLUSTER_TAG",
      "ClusterNetwork",
      "ClusterSpecError",
      "ControlPlaneIdentity",
      "DEFAULTS",
      "EtcdCluster",
      "KeepalivedEndpoint",
      "KubeadmCluster",
      "NlbEndpoint",
      "NodeImages",
      "STATUS_TAG",
      "SUPPORTED_KUBERNETES_MINORS",
      "UserDataTooLargeError",
      "WorkerIdentity",
      "WorkerPool",
      "render",
      "resolveClusterSpec",
    ].sort(),
  );
});

test("render: the entry points that make what a node receives, and the settings contract", () => {
  expect(Object.keys(root.render).sort()).toEqual(
    [
      "DEPLOY_SETTINGS",
      "EC2_USER_DATA_LIMIT",
      "FAILOVER_TIMERS",
      "NLB_TIMERS",
      "NODE_SCRIPTS",
      "NODE_SETTINGS",
      "encodeUserData",
      "renderClusterDeploySettings",
      "renderControlPlaneUserData",
      "renderEtcdMemberUserData",
      "renderKubeadmConfig",
      "renderLoadBalancerUserData",
    ].sort(),
  );
});

test("kubeadm-ha-aws/aws-cdk: the AWS CDK cluster, the lower-level constructs it is made of, and the errors", () => {
  expect(Object.keys(awsCdk).sort()).toEqual([
    "ClusterNetwork",
    "ClusterSpecError",
    "ControlPlaneIdentity",
    "EtcdCluster",
    "KeepalivedEndpoint",
    "KubeadmCluster",
    "NlbEndpoint",
    "UserDataTooLargeError",
    "WorkerIdentity",
    "WorkerPool",
  ]);
  // The same construct names in both flavours: a stack moves from one to the other by its import.
  for (const name of ["ControlPlaneIdentity", "EtcdCluster", "KeepalivedEndpoint", "KubeadmCluster", "NlbEndpoint"])
    expect(Object.keys(root)).toContain(name);
  // One error class for both flavours: a user's catch works whichever they use.
  expect(awsCdk.ClusterSpecError).toBe(root.ClusterSpecError);
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/^import [^;]*? from "([^"]+)";/gms)].map((m) => m[1]);

test.each([
  ["lib/cluster-spec", /^(cdktf|cdktn|@cdktf\/|aws-cdk-lib|constructs)|^\.\.\/(render|model)/],
  ["lib/render", /^(cdktf|cdktn|@cdktf\/|aws-cdk-lib|constructs)|^\.\.\/model/],
  ["lib/model", /^(cdktf|cdktn|@cdktf\/|aws-cdk-lib)|^\.\.\/render/],
  ["lib/private", /^(cdktf|cdktn|@cdktf\/|aws-cdk-lib)/],
  ["lib/cdktf", /^aws-cdk-lib|\/aws-cdk\//],
  ["lib/aws-cdk", /^(cdktf|cdktn|@cdktf\/)|\/cdktf\//],
])("%s imports no %s", (dir, forbidden) => {
  const offending = sources(join(ROOT, dir)).flatMap((file) =>
    importsOf(file)
      .filter((m) => forbidden.test(m))
      .map((m) => `${relative(ROOT, file)} imports ${m}`),
  );
  expect(offending).toEqual([]);
});

test("the flavours deep-import provider classes, never a provider package's root", () => {
  const roots = sources(join(ROOT, "lib")).flatMap((file) =>
    importsOf(file)
      .filter((m) => m === "@cdktf/provider-aws" || m === "aws-cdk-lib/aws-ec2/lib")
      .map((m) => `${relative(ROOT, file)} imports ${m}`),
  );
  expect(roots).toEqual([]);
});
