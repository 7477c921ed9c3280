import { Duration, Tags } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as elbv2Targets from "aws-cdk-lib/aws-elasticloadbalancingv2-targets";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as route53Targets from "aws-cdk-lib/aws-route53-targets";
import { Construct } from "constructs";
import { apiTargetGroup, nlbRules, securityGroupDescription } from "../model";
import { EndpointAddress } from "../render/internal";
import { NlbEndpointSpec } from "../cluster-spec";
import { IApiEndpoint } from "./api-endpoint";
import type { IKubeadmCluster } from "./cluster-interface";
import { addSecurityGroupRules, clusterSecurityGroup } from "./private/resources";
import { acknowledgeFindings } from "./private/findings";

export interface NlbEndpointProps {
  /**
   * The cluster behind the load balancers: its spec's `endpoint.type` must be "nlb". The internal NLB
   * goes in its network's private subnets, the internet-facing one (`internetFacing`) in the public
   * ones; its control-plane group gets the API port from the NLBs; the NLBs are made after its
   * address holders, so their interfaces never take a node's address.
   */
  readonly cluster: IKubeadmCluster;
}

/** One NLB of the endpoint, with what it needs. */
export interface ApiLoadBalancer {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroup: elbv2.NetworkTargetGroup;
  readonly listener: elbv2.NetworkListener;
  readonly securityGroup: ec2.SecurityGroup;
}

/**
 * An NLB in front of the API servers: TCP to instance targets, HTTPS /readyz health checks, unhealthy
 * targets drained, cross-zone on; its security group admits only `allowedCidrs`. The nodes always use
 * the internal one, by its own name in a private zone (api.CLUSTER.internal) unless `privateDns` is
 * false; `internetFacing` adds one in the public subnets for `publicAllowedCidrs` (an internet-facing
 * NLB's name resolves to public addresses even inside the VPC, which private nodes would reach only
 * through NAT).
 */
export class NlbEndpoint extends Construct implements IApiEndpoint {
  readonly spec: NlbEndpointSpec;
  readonly address: EndpointAddress;
  readonly url: string;
  readonly loadBalancers: ec2.Instance[] = [];
  readonly controlPlaneInstance = {};
  /** The internal NLB, which the nodes use. */
  readonly internal: ApiLoadBalancer;
  /** With `internetFacing`: the NLB in the public subnets that `publicAllowedCidrs` reach. */
  readonly public?: ApiLoadBalancer;
  /** The internal NLB's group, the listener's port its default: `endpoint.connections.allowDefaultPortFrom(clients)`. */
  readonly connections: ec2.Connections;
  /** The internal NLB (`internal.loadBalancer`). */
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The endpoint's own name (an alias to the internal NLB), unless `privateDns` is false. */
  readonly record?: route53.ARecord;

  private readonly cluster: IKubeadmCluster;

  constructor(scope: Construct, id: string, { cluster }: NlbEndpointProps) {
    super(scope, id);
    const { spec, network } = cluster;
    if (spec.endpoint.type !== "nlb") throw new Error('NlbEndpoint needs a spec with endpoint.type "nlb"');
    this.spec = spec.endpoint;
    this.cluster = cluster;
    this.internal = this.apiLoadBalancer("", { internal: true, subnets: network.privateSubnets });
    this.loadBalancer = this.internal.loadBalancer;
    this.connections = new ec2.Connections({
      securityGroups: [this.internal.securityGroup],
      defaultPort: ec2.Port.tcp(this.spec.port),
    });
    if (this.spec.internetFacing)
      this.public = this.apiLoadBalancer("public-", { internal: false, subnets: network.publicSubnets });
    ({ address: this.address, record: this.record } = this.endpointName());
    this.url = `https://${(this.public ?? this.internal).loadBalancer.loadBalancerDnsName}:${this.spec.port}`;
    acknowledgeFindings(this);
  }

  registerControlPlane(nodes: ec2.Instance[], apiServerPort: number): void {
    for (const lb of [this.internal, this.public])
      for (const node of nodes) lb?.targetGroup.addTarget(new elbv2Targets.InstanceTarget(node, apiServerPort));
  }

  /** An NLB, its group and rules, its target group and listener; construct ids prefixed "public-" for the public one. */
  private apiLoadBalancer(prefix: string, options: { internal: boolean; subnets: ec2.ISubnet[] }): ApiLoadBalancer {
    const { network, controlPlaneSecurityGroup, workerSecurityGroup, addressHolders } = this.cluster;
    const { clusterName } = this.cluster.spec;
    const spec = this.spec;
    const [name, role, cidrs] = options.internal
      ? ([`${clusterName}-api`, "api-endpoint", spec.allowedCidrs] as const)
      : ([`${clusterName}-public`, "public-api-endpoint", spec.publicAllowedCidrs] as const);
    const securityGroup = clusterSecurityGroup(
      this,
      `${prefix}security-group`,
      network.vpc,
      securityGroupDescription(clusterName, role),
    );
    addSecurityGroupRules(nlbRules(role, cidrs, spec.port), (group) =>
      group === role ? securityGroup : group === "workers" ? workerSecurityGroup : controlPlaneSecurityGroup,
    );
    const loadBalancer = new elbv2.NetworkLoadBalancer(this, `${prefix}load-balancer`, {
      loadBalancerName: name,
      vpc: network.vpc,
      internetFacing: !options.internal,
      vpcSubnets: { subnets: options.subnets },
      securityGroups: [securityGroup],
      crossZoneEnabled: true,
      deletionProtection: spec.deletionProtection,
    });
    Tags.of(loadBalancer).add("Name", name);
    // Its interfaces must not take a node's fixed address: made after the interfaces that hold them.
    loadBalancer.node.addDependency(addressHolders);

    const group = apiTargetGroup(spec.port);
    const check = group.healthCheck;
    const targetGroup = new elbv2.NetworkTargetGroup(this, `${prefix}api-servers`, {
      vpc: network.vpc,
      port: group.port,
      protocol: group.protocol as elbv2.Protocol,
      targetType: group.targetType as elbv2.TargetType,
      preserveClientIp: group.preserveClientIp,
      connectionTermination: group.connectionTermination,
      deregistrationDelay: Duration.seconds(group.drainSeconds),
      healthCheck: {
        enabled: true,
        protocol: check.protocol as elbv2.Protocol,
        path: check.path,
        port: String(check.port),
        healthyHttpCodes: check.matcher,
        interval: Duration.seconds(check.intervalSeconds),
        timeout: Duration.seconds(check.timeoutSeconds),
        healthyThresholdCount: check.healthyThreshold,
        unhealthyThresholdCount: check.unhealthyThreshold,
      },
    });
    targetGroup.setAttribute(
      "target_health_state.unhealthy.connection_termination.enabled",
      String(group.connectionTermination),
    );
    targetGroup.setAttribute("target_health_state.unhealthy.draining_interval_seconds", String(group.drainSeconds));
    const listener = loadBalancer.addListener(`${prefix}listener`, {
      port: spec.port,
      protocol: elbv2.Protocol.TCP,
      defaultTargetGroups: [targetGroup],
      // Idle exec, port-forward and watches outlive AWS's 350 s (endpoint.idleTimeoutSeconds).
      tcpIdleTimeout: Duration.seconds(spec.idleTimeoutSeconds),
    });
    return { loadBalancer, targetGroup, listener, securityGroup };
  }

  /**
   * The endpoint's own name (api.CLUSTER.internal, an alias to the internal NLB in a private zone)
   * as the nodes' address, the NLBs' names beside it in the certificate; or the internal NLB's name.
   */
  private endpointName(): { address: EndpointAddress; record?: route53.ARecord } {
    const { network } = this.cluster;
    const { clusterName } = this.cluster.spec;
    const spec = this.spec;
    const nlbNames = [this.internal, ...(this.public ? [this.public] : [])].map(
      (lb) => lb.loadBalancer.loadBalancerDnsName,
    );
    if (!spec.privateDns) return { address: { host: nlbNames[0], port: spec.port, extraNames: nlbNames.slice(1) } };
    const dns = spec.privateDns;
    const zone =
      dns.zoneId === undefined
        ? new route53.PrivateHostedZone(this, "private-zone", {
            zoneName: dns.zoneName!,
            vpc: network.vpc,
            comment: `Names of the Kubernetes cluster ${clusterName}`,
          })
        : route53.HostedZone.fromHostedZoneAttributes(this, "private-zone", {
            hostedZoneId: dns.zoneId,
            zoneName: dns.name.split(".").slice(1).join("."),
          });
    const record = new route53.ARecord(this, "endpoint-name", {
      zone,
      recordName: `${dns.name}.`,
      target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
    });
    return { address: { host: dns.name, port: spec.port, extraNames: nlbNames }, record };
  }
}
