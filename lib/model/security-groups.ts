/**
 * The cluster's security groups and every rule in them, with the reason for each, as plain data:
 * each framework's flavour only turns these into its own resources (cdktf's
 * VpcSecurityGroupIngressRule, AWS CDK's CfnSecurityGroupIngress), so a rule is written here once.
 */
import { ClusterSpec, KeepalivedEndpointSpec } from "../cluster-spec";

/** IP protocol number of VRRP: the security groups allow it between keepalived peers only. */
export const VRRP_PROTOCOL = "112";

/** The groups a cluster may have, by role. */
export type SecurityGroupRole =
  "control-plane" | "workers" | "api-endpoint" | "public-api-endpoint" | "api-load-balancers" | "etcd";

export interface SecurityGroupDescription {
  readonly role: SecurityGroupRole;
  /** The Name tag and name prefix: CLUSTER-ROLE. */
  readonly name: string;
  readonly description: string;
}

/** Where a rule lets traffic come from (ingress) or go to (egress). */
export type RulePeer = { readonly group: SecurityGroupRole } | { readonly cidr: string };

export interface SecurityGroupRule {
  /** Stable within the part of the cluster that makes it (the cdktf flavour's construct id there). */
  readonly id: string;
  readonly group: SecurityGroupRole;
  readonly direction: "ingress" | "egress";
  /** "tcp", "-1" (everything) or an IP protocol number. */
  readonly protocol: string;
  /** One port or a range; none for "-1" and VRRP. */
  readonly ports?: { readonly from: number; readonly to: number };
  readonly peer: RulePeer;
  /** Why the rule exists (the rule's description in AWS). */
  readonly description: string;
}

const port = (from: number, to = from) => ({ from, to });
const ANYWHERE = { cidr: "0.0.0.0/0" } as const;

/** A group's name (its Name tag and name prefix) and description. */
export function securityGroupDescription(name: string, role: SecurityGroupRole): SecurityGroupDescription {
  const description = {
    "control-plane": `Control-plane nodes of ${name}`,
    workers: `Worker nodes of ${name} (every pool)`,
    "api-endpoint": `Internal Kubernetes API endpoint of ${name}`,
    "public-api-endpoint": `Internet-facing Kubernetes API endpoint of ${name}`,
    "api-load-balancers": `keepalived + HAProxy API endpoint of ${name}`,
    etcd: `External etcd members of ${name}`,
  }[role];
  return { role, name: `${name}-${role}`, description };
}

/** The API, stacked etcd and the kubelet among the control-plane nodes; egress for AWS and packages. */
export function controlPlaneRules(spec: ClusterSpec): SecurityGroupRule[] {
  const self = { group: "control-plane" } as const;
  const among = (id: string, description: string, ports: { from: number; to: number }): SecurityGroupRule => ({
    id,
    group: "control-plane",
    direction: "ingress",
    protocol: "tcp",
    ports,
    peer: self,
    description,
  });
  return [
    among("api-from-control-plane", "Kubernetes API between control-plane nodes", port(spec.apiServerPort)),
    ...(spec.etcd.topology === "stacked"
      ? [among("etcd-peers", "etcd client and peer traffic between stacked members", port(2379, 2380))]
      : []),
    among("kubelet-from-control-plane", "kubelet API from the control plane", port(10250)),
    {
      id: "egress-control-plane",
      group: "control-plane",
      direction: "egress",
      protocol: "-1",
      peer: self,
      description: "anything to other control-plane nodes",
    },
    {
      id: "egress-https",
      group: "control-plane",
      direction: "egress",
      protocol: "tcp",
      ports: port(443),
      peer: ANYWHERE,
      description: "AWS APIs, pkgs.k8s.io, registry.k8s.io",
    },
    {
      id: "egress-http",
      group: "control-plane",
      direction: "egress",
      protocol: "tcp",
      ports: port(80),
      peer: ANYWHERE,
      description: "Ubuntu package mirrors (signed metadata over HTTP)",
    },
  ];
}

/**
 * The workers' group (every pool's) and the control plane's side of their traffic: the API servers
 * directly (the `kubernetes` Service's endpoints are their addresses), the kubelet API between every
 * two nodes (the API server's logs and exec, metrics-server wherever it runs), egress for AWS, packages
 * and images. The endpoint's rules (nlbRules, keepalivedRules) add the workers' way to the stable endpoint.
 */
export function workerRules(spec: ClusterSpec): SecurityGroupRule[] {
  const api = port(spec.apiServerPort);
  const kubelet = port(10250);
  return [
    ...flow("api-workers", "workers", "control-plane", api, "Kubernetes API servers, the kubernetes Service"),
    ...flow("kubelet-control-plane", "control-plane", "workers", kubelet, "kubelet API, logs and exec"),
    ...flow("kubelet-workers", "workers", "workers", kubelet, "kubelet API, metrics-server"),
    ...flow("kubelet-of-control-plane", "workers", "control-plane", kubelet, "kubelet API, metrics-server"),
    {
      id: "workers-egress-https",
      group: "workers",
      direction: "egress",
      protocol: "tcp",
      ports: port(443),
      peer: ANYWHERE,
      description: "AWS APIs, pkgs.k8s.io, container registries",
    },
    {
      id: "workers-egress-http",
      group: "workers",
      direction: "egress",
      protocol: "tcp",
      ports: port(80),
      peer: ANYWHERE,
      description: "Ubuntu package mirrors (signed metadata over HTTP)",
    },
  ];
}

/** Both sides of TCP traffic from one group to another: the sender's egress rule and the receiver's ingress rule. */
function flow(
  id: string,
  from: SecurityGroupRole,
  to: SecurityGroupRole,
  ports: { from: number; to: number },
  what: string,
): SecurityGroupRule[] {
  return [
    {
      id: `${id}-out`,
      group: from,
      direction: "egress",
      protocol: "tcp",
      ports,
      peer: { group: to },
      description: `${what} (to ${to})`,
    },
    {
      id: `${id}-in`,
      group: to,
      direction: "ingress",
      protocol: "tcp",
      ports,
      peer: { group: from },
      description: `${what} (from ${from})`,
    },
  ];
}

/**
 * One NLB's group: its clients in, to the API servers out, and the API servers' side of that; the
 * internal one also admits the control plane (kube-proxy, kubelets, admin.conf on a node).
 */
export function nlbRules(
  group: "api-endpoint" | "public-api-endpoint",
  cidrs: string[],
  listenerPort: number,
): SecurityGroupRule[] {
  const internal = group === "api-endpoint";
  const prefix = internal ? "" : "public-";
  const api = port(listenerPort);
  const rules: SecurityGroupRule[] = cidrs.map((cidr, i) => ({
    id: `${prefix}allow-client-${i}`,
    group,
    direction: "ingress",
    protocol: "tcp",
    ports: api,
    peer: { cidr },
    description: "Kubernetes API clients",
  }));
  rules.push(
    {
      id: `${prefix}to-api-servers`,
      group,
      direction: "egress",
      protocol: "tcp",
      ports: api,
      peer: { group: "control-plane" },
      description: "forward and health-check to the API servers",
    },
    {
      id: `${prefix}api-servers-from-endpoint`,
      group: "control-plane",
      direction: "ingress",
      protocol: "tcp",
      ports: api,
      peer: { group },
      description: `Kubernetes API from the ${internal ? "internal" : "internet-facing"} load balancer`,
    },
  );
  if (internal)
    rules.push(
      {
        id: "allow-control-plane",
        group,
        direction: "ingress",
        protocol: "tcp",
        ports: api,
        peer: { group: "control-plane" },
        description: "Kubernetes API from the control plane",
      },
      {
        id: "control-plane-to-endpoint",
        group: "control-plane",
        direction: "egress",
        protocol: "tcp",
        ports: api,
        peer: { group },
        description: "Kubernetes API through the NLB",
      },
      {
        id: "allow-workers",
        group,
        direction: "ingress",
        protocol: "tcp",
        ports: api,
        peer: { group: "workers" },
        description: "Kubernetes API from the workers (kubeadm join, kubelets, kube-proxy)",
      },
      {
        id: "workers-to-endpoint",
        group: "workers",
        direction: "egress",
        protocol: "tcp",
        ports: api,
        peer: { group },
        description: "Kubernetes API through the NLB",
      },
    );
  return rules;
}

/** The members' group: clients from the API servers and each other, peers among themselves, egress for AWS and GitHub. */
export function etcdRules(clientPort: number, peerPort: number): SecurityGroupRule[] {
  const members = { group: "etcd" } as const;
  return [
    {
      id: "client-from-control-plane",
      group: "etcd",
      direction: "ingress",
      protocol: "tcp",
      ports: port(clientPort),
      peer: { group: "control-plane" },
      description: "etcd clients: the API servers",
    },
    {
      id: "client-from-members",
      group: "etcd",
      direction: "ingress",
      protocol: "tcp",
      ports: port(clientPort),
      peer: members,
      description: "etcd clients: members checking health and changing membership",
    },
    {
      id: "peer-from-members",
      group: "etcd",
      direction: "ingress",
      protocol: "tcp",
      ports: port(peerPort),
      peer: members,
      description: "etcd peer traffic between members only",
    },
    {
      id: "egress-members",
      group: "etcd",
      direction: "egress",
      protocol: "tcp",
      ports: port(clientPort, peerPort),
      peer: members,
      description: "etcd client and peer traffic to other members",
    },
    {
      id: "egress-https",
      group: "etcd",
      direction: "egress",
      protocol: "tcp",
      ports: port(443),
      peer: ANYWHERE,
      description: "AWS APIs and the etcd release download (github.com)",
    },
    {
      id: "control-plane-to-etcd",
      group: "control-plane",
      direction: "egress",
      protocol: "tcp",
      ports: port(clientPort),
      peer: members,
      description: "API servers to the external etcd",
    },
  ];
}

/**
 * The keepalived peers' rules: VRRP between the peers only, the allowed clients and the control plane
 * to the VIP; dedicated load balancers also get their own group (the API servers behind them, egress
 * for AWS and packages). Colocated, the peers are the control plane.
 */
export function keepalivedRules(endpoint: KeepalivedEndpointSpec, apiServerPort: number): SecurityGroupRule[] {
  const peers: SecurityGroupRole = endpoint.placement === "dedicated" ? "api-load-balancers" : "control-plane";
  const vip = port(endpoint.port);
  const rules: SecurityGroupRule[] = [];
  if (endpoint.placement === "dedicated") {
    const lb = "api-load-balancers" as const;
    rules.push(
      {
        id: "vrrp-out",
        group: lb,
        direction: "egress",
        protocol: VRRP_PROTOCOL,
        peer: { group: lb },
        description: "VRRP adverts to the other load balancer",
      },
      {
        id: "to-api-servers",
        group: lb,
        direction: "egress",
        protocol: "tcp",
        ports: port(apiServerPort),
        peer: { group: "control-plane" },
        description: "forward and health-check to the API servers",
      },
      {
        id: "egress-https",
        group: lb,
        direction: "egress",
        protocol: "tcp",
        ports: port(443),
        peer: ANYWHERE,
        description: "AWS APIs and packages",
      },
      {
        id: "egress-http",
        group: lb,
        direction: "egress",
        protocol: "tcp",
        ports: port(80),
        peer: ANYWHERE,
        description: "Ubuntu package mirrors (signed metadata over HTTP)",
      },
      {
        id: "api-servers-from-load-balancers",
        group: "control-plane",
        direction: "ingress",
        protocol: "tcp",
        ports: port(apiServerPort),
        peer: { group: lb },
        description: "Kubernetes API from the keepalived + HAProxy load balancers",
      },
      {
        id: "vip-from-control-plane",
        group: lb,
        direction: "ingress",
        protocol: "tcp",
        ports: vip,
        peer: { group: "control-plane" },
        description: "Kubernetes API through the VIP from the control plane",
      },
    );
  }
  // The VIP is not an interface's own address in route mode, so group references cannot match it.
  rules.push(
    {
      id: "control-plane-to-vip",
      group: "control-plane",
      direction: "egress",
      protocol: "tcp",
      ports: vip,
      peer: { cidr: `${endpoint.virtualIp}/32` },
      description: "Kubernetes API through the VIP",
    },
    {
      id: "workers-to-vip",
      group: "workers",
      direction: "egress",
      protocol: "tcp",
      ports: vip,
      peer: { cidr: `${endpoint.virtualIp}/32` },
      description: "Kubernetes API through the VIP",
    },
    {
      id: "vip-from-workers",
      group: peers,
      direction: "ingress",
      protocol: "tcp",
      ports: vip,
      peer: { group: "workers" },
      description: "Kubernetes API through the VIP from the workers (kubeadm join, kubelets, kube-proxy)",
    },
    {
      id: "vrrp-between-peers",
      group: peers,
      direction: "ingress",
      protocol: VRRP_PROTOCOL,
      peer: { group: peers },
      description: "VRRP (IP protocol 112) between keepalived peers only",
    },
    ...endpoint.allowedCidrs.map((cidr, i): SecurityGroupRule => ({
      id: `allow-client-${i}`,
      group: peers,
      direction: "ingress",
      protocol: "tcp",
      ports: vip,
      peer: { cidr },
      description: "Kubernetes API clients through the VIP",
    })),
  );
  return rules;
}
