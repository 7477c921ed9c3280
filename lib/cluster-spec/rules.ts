/** The rules more than one prop follows, each written once, and the helpers every validator shares. */
import { parseCidr } from "./cidr";

/** Records one problem: the prop's path and what is wrong, with the fix. */
export type Problem = (prop: string, message: string) => void;
/** True for a value known at synth (not a deploy-time token, not absent). */
export type Literal = (value: string | undefined) => value is string;

export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** A KMS key by its ARN (an alias or key id cannot scope a permission). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/;

/** etcd's member counts: odd, 3 to 7 (the control plane's stacked members, or an external cluster's). */
export function checkMemberCount(prop: string, count: number, problem: Problem) {
  if (!Number.isInteger(count) || count < 3 || count > 7 || count % 2 === 0) {
    problem(
      prop,
      `${count} is not one of 3, 5 or 7: etcd needs an odd member count of at least 3 to keep a majority when a member fails (an even count adds no tolerance), and more than 7 slows every write. Use 3 or 5.`,
    );
  }
}

export function checkInstanceType(prop: string, instanceType: string, literal: Literal, problem: Problem) {
  if (literal(instanceType) && !INSTANCE_TYPE.test(instanceType))
    problem(prop, `"${instanceType}" is not an EC2 instance type such as "t3.medium" or "m7i.large".`);
}

/**
 * Instance types known to have fewer than 2 vCPUs or 1.7 GiB of memory, which kubeadm's preflight refuses
 * on a control-plane node (NumCPUCheck and MemCheck in cmd/kubeadm/app/preflight/checks.go: 2 CPUs,
 * 1700 MB): every nano and micro size, t2.small, and Graviton's medium sizes (1 vCPU; t4g.medium has 2).
 */
const TOO_SMALL_FOR_KUBEADM =
  /^([a-z0-9-]+\.(nano|micro)|t2\.small|m1\.small|a1\.medium|(?!t4g)[a-z]+\d+g[a-z]*\.medium)$/;

export function checkControlPlaneInstanceType(prop: string, instanceType: string, literal: Literal, problem: Problem) {
  checkInstanceType(prop, instanceType, literal, problem);
  if (literal(instanceType) && TOO_SMALL_FOR_KUBEADM.test(instanceType))
    problem(
      prop,
      `"${instanceType}" has fewer than 2 vCPUs or 1.7 GiB of memory, which kubeadm refuses on a control-plane node: use "t3.medium" or larger.`,
    );
}

/** A whole number of GiB in [min, max]. */
export function checkVolumeSize(prop: string, size: number, min: number, max: number, problem: Problem) {
  if (!Number.isInteger(size) || size < min || size > max) {
    problem(prop, `${size} is not a whole number of GiB between ${min} (etcd, images and logs need room) and ${max}.`);
  }
}

/** CIDRs a security group admits; `world` explains why 0.0.0.0/0 is refused here, or allows it (undefined). */
export function checkAllowedCidrs(
  prop: string,
  cidrs: string[],
  world: string | undefined,
  literal: Literal,
  problem: Problem,
) {
  cidrs.forEach((text, i) => {
    if (!literal(text)) return;
    if (!parseCidr(text))
      problem(`${prop}[${i}]`, `"${text}" is not an IPv4 CIDR with its host bits clear (e.g. "10.0.0.0/16").`);
    else if (text === "0.0.0.0/0" && world !== undefined) problem(`${prop}[${i}]`, `"0.0.0.0/0" ${world}`);
  });
}
