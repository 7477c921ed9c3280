/**
 * The cluster's name ends up in AWS names with rules of their own. Each rule is checked against the
 * name the construct actually derives, so a name that passes here is accepted by every service.
 */
import { Literal, Problem } from "./rules";

const CLUSTER_NAME = /^[a-z]([-a-z0-9]{0,22}[a-z0-9])?$/;

/** Names derived from the cluster name, by the AWS resource that carries them, with that resource's rule. */
export function derivedNames(
  clusterName: string,
): { resource: string; name: string; rule: (name: string) => string | undefined }[] {
  const loadBalancer = (name: string) =>
    name.length > 32
      ? "at most 32 characters"
      : name.startsWith("internal-")
        ? 'no name that begins with "internal-"'
        : undefined;
  const securityGroup = (name: string) => (name.startsWith("sg-") ? 'no name that begins with "sg-"' : undefined);
  const rolePrefix = (name: string) => (name.length > 38 ? "a name prefix of at most 38 characters" : undefined);
  return [
    { resource: "network load balancer", name: `${clusterName}-api`, rule: loadBalancer },
    { resource: "internet-facing network load balancer", name: `${clusterName}-public`, rule: loadBalancer },
    { resource: "security group", name: `${clusterName}-control-plane-`, rule: securityGroup },
    { resource: "IAM role", name: `${clusterName}-etcd0-`, rule: rolePrefix },
  ];
}

/** The prefix of the tags the construct sets itself (lib/model/tags.ts); users' tags may not use it. */
export const OWN_TAG_PREFIX = "kubeadm-ha:";
/** Tag a node writes on itself with its bootstrap status (running:STEP, failed:STEP, ready); its settings name it. */
export const STATUS_TAG = `${OWN_TAG_PREFIX}bootstrap`;

/** The SSM parameter holding a cluster's deploy settings (lib/render/node-settings.ts, DEPLOY_SETTINGS). */
export function deploySettingsParameterName(clusterName: string): string {
  return `/kubeadm-ha/${clusterName}/deploy-settings`;
}

export function checkClusterName(clusterName: string, literal: Literal, problem: Problem) {
  if (!literal(clusterName)) return;
  if (!CLUSTER_NAME.test(clusterName)) {
    problem(
      "clusterName",
      `"${clusterName}" is not a lower-case DNS label of 1-24 characters (a-z, 0-9, "-", starting with a letter); it names AWS resources with length limits. Use e.g. "prod-eu1".`,
    );
    return;
  }
  for (const { resource, name, rule } of derivedNames(clusterName)) {
    const broken = rule(name);
    if (broken)
      problem(
        "clusterName",
        `"${clusterName}" would name a ${resource} "${name}", and AWS allows ${broken}: choose another name, e.g. "k8s-${clusterName}".`,
      );
  }
}
