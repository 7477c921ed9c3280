import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import { EndpointAddress } from "../render/internal";
import { NlbEndpointSpec } from "../cluster-spec";
import { IApiEndpoint } from "./api-endpoint";
import type { IKubeadmCluster } from "./cluster-interface";
import { apiTargetGroup, nlbRules, securityGroupDescription } from "../model";
import { clusterSecurityGroup, securityGroupRules } from "./private/node-defaults";

export interface NlbEndpointProps {
  /**
   * The cluster behind the load balancers: its spec's `endpoint.type` must be "nlb". The internal NLB
   * goes in its network's private subnets, the internet-facing one (`internetFacing`) in the public
   * ones; its control-plane group gets the API port from the NLBs; the NLBs wait for its node address
   * reservations, so their interfaces never take a node's address.
   */
  readonly cluster: IKubeadmCluster;
}

/** One network load balancer with its security group, listener and target group. */
export interface ApiLoadBalancer {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly listener: LbListener;
  readonly securityGroup: SecurityGroup;
}

/**
 * AWS Network Load Balancers in front of the API servers: TCP 6443 to instance targets, HTTPS /readyz
 * health checks, client IP preservation off (so a node routed to itself is not dropped), unhealthy
 * targets drained rather than cut, cross-zone on. The nodes always use an internal one: a public
 * NLB's name resolves to public addresses even inside the VPC, which private nodes would reach only
 * through the NAT. With `internetFacing`, a second, internet-facing NLB in the public subnets serves
 * `allowedCidrs` (its name is in the API server's certificate), as Cluster API Provider AWS does with
 * its secondary load balancer.
 */
export class NlbEndpoint extends Construct implements IApiEndpoint {
  readonly spec: NlbEndpointSpec;
  readonly address: EndpointAddress;
  readonly url: string;
  readonly loadBalancers: Instance[] = [];
  readonly controlPlaneInstance = {};
  /** The internal load balancer, which the nodes use. */
  readonly internal: ApiLoadBalancer;
  /** The internet-facing load balancer, with `internetFacing`. */
  readonly public?: ApiLoadBalancer;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly listener: LbListener;
  readonly securityGroup: SecurityGroup;
  /** The private zone the construct made for the endpoint's name, if it made one. */
  readonly privateZone?: Route53Zone;
  /** The endpoint's own name (an alias to the internal NLB), unless `privateDns` is false. */
  readonly record?: Route53Record;

  private readonly cluster: IKubeadmCluster;

  constructor(scope: Construct, id: string, { cluster }: NlbEndpointProps) {
    super(scope, id);
    if (cluster.spec.endpoint.type !== "nlb") throw new Error('NlbEndpoint needs a spec with endpoint.type "nlb"');
    const spec = cluster.spec.endpoint;
    this.spec = spec;
    this.cluster = cluster;
    const port = spec.port;
    this.internal = this.apiLoadBalancer("", {
      internal: true,
      subnetIds: cluster.network.privateSubnetIds,
      allowedCidrs: spec.allowedCidrs,
    });
    ({
      loadBalancer: this.loadBalancer,
      targetGroup: this.targetGroup,
      listener: this.listener,
      securityGroup: this.securityGroup,
    } = this.internal);
    if (spec.internetFacing) {
      this.public = this.apiLoadBalancer("public-", {
        internal: false,
        subnetIds: cluster.network.publicSubnetIds,
        allowedCidrs: spec.publicAllowedCidrs,
      });
    }
    ({ address: this.address, privateZone: this.privateZone, record: this.record } = this.endpointName());
    this.url = `https://${(this.public ?? this.internal).loadBalancer.dnsName}:${port}`;
  }
  /**
   * The endpoint's own name (api.CLUSTER.internal, an alias to the internal NLB in a private zone)
   * as the nodes' address, the NLBs' names beside it in the certificate; or the internal NLB's name.
   */
  private endpointName(): { address: EndpointAddress; privateZone?: Route53Zone; record?: Route53Record } {
    const { spec } = this;
    const { tags } = this.cluster;
    const { clusterName } = this.cluster.spec;
    const { vpcId } = this.cluster.network;
    const nlbNames = [this.internal.loadBalancer.dnsName, ...(this.public ? [this.public.loadBalancer.dnsName] : [])];
    if (!spec.privateDns) return { address: { host: nlbNames[0], port: spec.port, extraNames: nlbNames.slice(1) } };
    const dns = spec.privateDns;
    const privateZone =
      dns.zoneId === undefined
        ? new Route53Zone(this, "private-zone", {
            name: dns.zoneName!,
            comment: `Names of the Kubernetes cluster ${clusterName}`,
            vpc: [{ vpcId }],
            tags,
          })
        : undefined;
    const record = new Route53Record(this, "endpoint-name", {
      zoneId: dns.zoneId ?? privateZone!.zoneId,
      name: dns.name,
      type: "A",
      alias: {
        name: this.internal.loadBalancer.dnsName,
        zoneId: this.internal.loadBalancer.zoneId,
        evaluateTargetHealth: false,
      },
    });
    return { address: { host: dns.name, port: spec.port, extraNames: nlbNames }, privateZone, record };
  }

  /** A load balancer and what it needs; construct ids prefixed with `prefix` (none for the internal one, as before). */
  private apiLoadBalancer(
    prefix: string,
    options: { internal: boolean; subnetIds: string[]; allowedCidrs: string[] },
  ): ApiLoadBalancer {
    const { spec } = this;
    const { tags, network, controlPlaneSecurityGroup, workerSecurityGroup } = this.cluster;
    const { clusterName } = this.cluster.spec;
    const port = spec.port;
    const name = options.internal ? `${clusterName}-api` : `${clusterName}-public`;
    const role = options.internal ? "api-endpoint" : "public-api-endpoint";
    const securityGroup = clusterSecurityGroup(this, `${prefix}security-group`, {
      ...securityGroupDescription(clusterName, role),
      vpcId: network.vpcId,
      tags,
    });
    securityGroupRules(this, nlbRules(role, options.allowedCidrs, port), (group) =>
      group === role ? securityGroup.id : group === "workers" ? workerSecurityGroup.id : controlPlaneSecurityGroup.id,
    );

    const loadBalancer = new Lb(this, `${prefix}load-balancer`, {
      name,
      loadBalancerType: "network",
      internal: options.internal,
      subnets: options.subnetIds,
      securityGroups: [securityGroup.id],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: spec.deletionProtection,
      tags: { ...tags, Name: name },
      dependsOn: this.cluster.addressReservations,
    });

    // No name: Terraform gives it a unique one, so a change that replaces it (port, protocol, VPC) can
    // create the new group before the old one goes.
    const group = apiTargetGroup(port);
    const check = group.healthCheck;
    const targetGroup = new LbTargetGroup(this, `${prefix}api-servers`, {
      vpcId: network.vpcId,
      port: group.port,
      protocol: group.protocol,
      targetType: group.targetType,
      preserveClientIp: String(group.preserveClientIp),
      connectionTermination: group.connectionTermination,
      deregistrationDelay: String(group.drainSeconds),
      healthCheck: {
        enabled: true,
        protocol: check.protocol,
        path: check.path,
        port: String(check.port),
        matcher: check.matcher,
        interval: check.intervalSeconds,
        timeout: check.timeoutSeconds,
        healthyThreshold: check.healthyThreshold,
        unhealthyThreshold: check.unhealthyThreshold,
      },
      targetHealthState: [
        {
          enableUnhealthyConnectionTermination: group.connectionTermination,
          unhealthyDrainingInterval: group.drainSeconds,
        },
      ],
      tags: { ...tags, Name: name },
      lifecycle: { createBeforeDestroy: true },
    });

    const listener = new LbListener(this, `${prefix}listener`, {
      loadBalancerArn: loadBalancer.arn,
      port,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      // Idle exec, port-forward and watches outlive AWS's 350 s (endpoint.idleTimeoutSeconds).
      tcpIdleTimeoutSeconds: spec.idleTimeoutSeconds,
      tags,
    });
    return { loadBalancer, targetGroup, listener, securityGroup };
  }

  registerControlPlane(nodes: Instance[], apiServerPort: number): void {
    for (const [prefix, lb] of [
      ["", this.internal],
      ["public-", this.public],
    ] as const) {
      if (!lb) continue;
      nodes.forEach((node, i) => {
        new LbTargetGroupAttachment(this, `${prefix}api-server-${i}`, {
          targetGroupArn: lb.targetGroup.arn,
          targetId: node.id,
          port: apiServerPort,
        });
      });
    }
  }
}
