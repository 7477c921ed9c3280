import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { EndpointAddress, NLB_TIMERS } from "../render";
import { NlbEndpointSpec } from "../spec";
import { IApiEndpoint } from "./api-endpoint";
import { clusterSecurityGroup } from "./node-defaults";

export interface NlbEndpointProps {
  readonly clusterName: string;
  readonly spec: NlbEndpointSpec;
  readonly vpcId: string;
  /** Subnets for the load balancer's nodes: private for internal, public for internet-facing. */
  readonly subnetIds: string[];
  /** Security group of the control-plane instances: gets 6443 from the NLB, and may call the NLB. */
  readonly controlPlaneSecurityGroupId: string;
  readonly tags: Record<string, string>;
  /** Created first (the node address reservations: the NLB's interfaces must not take a node's address). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * An AWS Network Load Balancer in front of the API servers: TCP 6443 to instance targets, HTTPS
 * /readyz health checks, client IP preservation off (so a node routed to itself is not dropped),
 * unhealthy targets drained rather than cut, cross-zone on.
 */
export class NlbEndpoint extends Construct implements IApiEndpoint {
  readonly address: EndpointAddress;
  readonly url: string;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly listener: LbListener;
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: NlbEndpointProps) {
    super(scope, id);
    const { clusterName, spec, tags } = props;
    const port = spec.port;

    this.securityGroup = clusterSecurityGroup(this, "security-group", { name: `${clusterName}-api-endpoint`, description: `Kubernetes API endpoint of ${clusterName}`, vpcId: props.vpcId, tags });
    spec.allowedCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `allow-client-${i}`, {
        securityGroupId: this.securityGroup.id,
        description: "Kubernetes API clients",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: cidr,
      });
    });
    // Control-plane nodes (kube-proxy, admin kubeconfig) reach the API through the endpoint too.
    new VpcSecurityGroupIngressRule(this, "allow-control-plane", {
      securityGroupId: this.securityGroup.id,
      description: "Kubernetes API from the control plane",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: props.controlPlaneSecurityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, "to-api-servers", {
      securityGroupId: this.securityGroup.id,
      description: "forward and health-check to the API servers",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: props.controlPlaneSecurityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, "control-plane-to-endpoint", {
      securityGroupId: props.controlPlaneSecurityGroupId,
      description: "Kubernetes API through the NLB",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.securityGroup.id,
    });
    new VpcSecurityGroupIngressRule(this, "api-servers-from-endpoint", {
      securityGroupId: props.controlPlaneSecurityGroupId,
      description: "Kubernetes API from the endpoint's load balancer",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.securityGroup.id,
    });

    this.loadBalancer = new Lb(this, "load-balancer", {
      name: `${clusterName}-api`,
      loadBalancerType: "network",
      internal: !spec.internetFacing,
      subnets: props.subnetIds,
      securityGroups: [this.securityGroup.id],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: spec.deletionProtection,
      tags: { ...tags, Name: `${clusterName}-api` },
      dependsOn: props.dependsOn,
    });

    // No name: Terraform gives it a unique one, so a change that replaces it (port, protocol, VPC) can
    // create the new group before the old one goes.
    this.targetGroup = new LbTargetGroup(this, "api-servers", {
      vpcId: props.vpcId,
      port,
      protocol: "TCP",
      targetType: "instance",
      preserveClientIp: "false",
      connectionTermination: false,
      deregistrationDelay: String(NLB_TIMERS.drainSeconds),
      healthCheck: {
        enabled: true,
        protocol: "HTTPS",
        path: "/readyz",
        port: String(port),
        matcher: "200",
        interval: NLB_TIMERS.healthCheckIntervalSeconds,
        timeout: NLB_TIMERS.healthCheckTimeoutSeconds,
        healthyThreshold: NLB_TIMERS.healthyThreshold,
        unhealthyThreshold: NLB_TIMERS.unhealthyThreshold,
      },
      targetHealthState: [{ enableUnhealthyConnectionTermination: false, unhealthyDrainingInterval: NLB_TIMERS.drainSeconds }],
      tags: { ...tags, Name: `${clusterName}-api` },
      lifecycle: { createBeforeDestroy: true },
    });

    this.listener = new LbListener(this, "listener", {
      loadBalancerArn: this.loadBalancer.arn,
      port,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      tags,
    });

    this.address = { host: this.loadBalancer.dnsName, port };
    this.url = `https://${this.loadBalancer.dnsName}:${port}`;
  }

  registerControlPlane(nodes: Instance[], apiServerPort: number): void {
    nodes.forEach((node, i) => {
      new LbTargetGroupAttachment(this, `api-server-${i}`, {
        targetGroupArn: this.targetGroup.arn,
        targetId: node.id,
        port: apiServerPort,
      });
    });
  }
}
