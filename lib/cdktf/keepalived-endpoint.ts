import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { Ec2Tag } from "@cdktf/provider-aws/lib/ec2-tag";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Route } from "@cdktf/provider-aws/lib/route";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { encodeUserData, EndpointAddress, renderLoadBalancerUserData } from "../render";
import { KeepalivedEndpointSpec, instanceArchitecture } from "../spec";
import { IApiEndpoint } from "./api-endpoint";
import {
  CLUSTER_TAG,
  ClusterNodeContext,
  clusterSecurityGroup,
  hardenedInstance,
  nodeRole,
} from "./private/node-defaults";
import { everyNodeStatements, identityDescriptions } from "../model";

/** IP protocol number of VRRP: the security groups allow it between peers only. */
export const VRRP_PROTOCOL = "112";

/** The control-plane role gets the VIP permissions when the peers are the control-plane nodes. */
export interface KeepalivedEndpointProps extends ClusterNodeContext {
  /** Route tables of the network this construct created; used when the spec names none. */
  readonly defaultRouteTableIds: string[];
  readonly accountId: string;
}

/**
 * A keepalived VRRP virtual IP with HAProxy in front of the API servers, made to work on AWS:
 * unicast VRRP (protocol 112 allowed between peers only), and a notify script that moves the VIP
 * with one EC2 call, either a /32 route in each route table (`route`) or a secondary private IP
 * reassigned to the master's interface (`secondary-ip`). Peers are the control-plane nodes
 * (`colocated`, HAProxy on VIP:8443) or a pair of dedicated load balancers (VIP:6443).
 */
export class KeepalivedEndpoint extends Construct implements IApiEndpoint {
  readonly address: EndpointAddress;
  readonly url: string;
  readonly spec: KeepalivedEndpointSpec;
  /** The security group of the VRRP peers (the control plane's, when colocated). */
  readonly peerSecurityGroupId: string;
  /** Dedicated load-balancer instances (none when colocated). */
  readonly loadBalancers: Instance[] = [];
  readonly routeTableIds: string[];
  private readonly tags: Record<string, string>;

  /** Colocated peers keep the VIP's route in these tables pointing at the master. */
  get controlPlaneRouteTableIds(): string[] {
    return this.routeTableIds;
  }

  /** Colocated peers of a routed VIP receive traffic for an address that is not their own. */
  get controlPlaneInstance(): { readonly sourceDestCheck?: boolean } {
    return this.spec.placement === "colocated" && this.spec.vipMode === "route" ? { sourceDestCheck: false } : {};
  }

  constructor(scope: Construct, id: string, props: KeepalivedEndpointProps) {
    super(scope, id);
    const spec = props.cluster.endpoint as KeepalivedEndpointSpec;
    this.spec = spec;
    this.tags = props.tags;
    this.address = { host: spec.virtualIp, port: spec.port };
    this.url = `https://${spec.virtualIp}:${spec.port}`;
    this.routeTableIds = spec.routeTableIds ?? props.defaultRouteTableIds;
    this.peerSecurityGroupId =
      spec.placement === "dedicated" ? this.loadBalancerSecurityGroup(props) : props.controlPlaneSecurityGroupId;
    this.peerRules(props);
    if (spec.vipMode === "secondary-ip") {
      // Keep AWS from handing the VIP to another interface; only explicit assignment may use it.
      new Ec2SubnetCidrReservation(this, "vip-reservation", {
        subnetId: props.privateSubnetIds[spec.peers[0].subnetIndex],
        cidrBlock: `${spec.virtualIp}/32`,
        reservationType: "explicit",
        description: `keepalived VIP of ${props.cluster.clusterName}`,
      });
    }
    const permissions = new DataAwsIamPolicyDocument(this, "vip-permissions", { statement: this.vipStatements(props) });
    if (spec.placement === "dedicated") {
      this.loadBalancers.push(...this.loadBalancerInstances(props, permissions));
      this.attachVip(this.loadBalancers);
    } else {
      props.controlPlaneRoles.forEach(
        (role, i) =>
          new IamRolePolicy(this, i === 0 ? "vip-policy" : `vip-policy-${i}`, {
            role: role.id,
            name: "kubeadm-ha-vip",
            policy: permissions.json,
          }),
      );
    }
  }

  /** The dedicated load balancers' group: VRRP between them, the API servers behind, egress for AWS and packages. */
  private loadBalancerSecurityGroup(props: KeepalivedEndpointProps): string {
    const { spec } = this;
    const name = props.cluster.clusterName;
    const cpSg = props.controlPlaneSecurityGroupId;
    const peerSg = clusterSecurityGroup(this, "security-group", {
      name: `${name}-api-load-balancers`,
      description: `keepalived + HAProxy API endpoint of ${name}`,
      vpcId: props.vpcId,
      tags: props.tags,
    }).id;
    const egress = (
      ruleId: string,
      description: string,
      ipProtocol: string,
      port: number | undefined,
      target: { cidrIpv4?: string; referencedSecurityGroupId?: string },
    ) =>
      new VpcSecurityGroupEgressRule(this, ruleId, {
        securityGroupId: peerSg,
        description,
        ipProtocol,
        fromPort: port,
        toPort: port,
        ...target,
      });
    egress("vrrp-out", "VRRP adverts to the other load balancer", VRRP_PROTOCOL, undefined, {
      referencedSecurityGroupId: peerSg,
    });
    egress("to-api-servers", "forward and health-check to the API servers", "tcp", props.cluster.apiServerPort, {
      referencedSecurityGroupId: cpSg,
    });
    egress("egress-https", "AWS APIs and packages", "tcp", 443, { cidrIpv4: "0.0.0.0/0" });
    egress("egress-http", "Ubuntu package mirrors (signed metadata over HTTP)", "tcp", 80, { cidrIpv4: "0.0.0.0/0" });
    new VpcSecurityGroupIngressRule(this, "api-servers-from-load-balancers", {
      securityGroupId: cpSg,
      description: "Kubernetes API from the keepalived + HAProxy load balancers",
      ipProtocol: "tcp",
      fromPort: props.cluster.apiServerPort,
      toPort: props.cluster.apiServerPort,
      referencedSecurityGroupId: peerSg,
    });
    new VpcSecurityGroupIngressRule(this, "vip-from-control-plane", {
      securityGroupId: peerSg,
      description: "Kubernetes API through the VIP from the control plane",
      ipProtocol: "tcp",
      fromPort: spec.port,
      toPort: spec.port,
      referencedSecurityGroupId: cpSg,
    });
    return peerSg;
  }

  /** Rules every peer group gets: VRRP between peers only, the allowed clients, the control plane to the VIP. */
  private peerRules(props: KeepalivedEndpointProps) {
    const { spec, peerSecurityGroupId: peerSg } = this;
    // The VIP is not an interface's own address in route mode, so group references cannot match it.
    new VpcSecurityGroupEgressRule(this, "control-plane-to-vip", {
      securityGroupId: props.controlPlaneSecurityGroupId,
      description: "Kubernetes API through the VIP",
      ipProtocol: "tcp",
      fromPort: spec.port,
      toPort: spec.port,
      cidrIpv4: `${spec.virtualIp}/32`,
    });
    new VpcSecurityGroupIngressRule(this, "vrrp-between-peers", {
      securityGroupId: peerSg,
      description: "VRRP (IP protocol 112) between keepalived peers only",
      ipProtocol: VRRP_PROTOCOL,
      referencedSecurityGroupId: peerSg,
    });
    spec.allowedCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `allow-client-${i}`, {
        securityGroupId: peerSg,
        description: "Kubernetes API clients through the VIP",
        ipProtocol: "tcp",
        fromPort: spec.port,
        toPort: spec.port,
        cidrIpv4: cidr,
      });
    });
  }

  /** The two dedicated load balancers, with a role that may only move the VIP and set their status. */
  private loadBalancerInstances(props: KeepalivedEndpointProps, permissions: DataAwsIamPolicyDocument): Instance[] {
    const { spec } = this;
    const name = props.cluster.clusterName;
    const { role, instanceProfile } = nodeRole(
      this,
      `${name}-lb-`,
      identityDescriptions(name).roles.loadBalancers,
      props.tags,
    );
    const statusOnly = new DataAwsIamPolicyDocument(this, "status-permissions", {
      statement: everyNodeStatements(props.policyReferences),
    });
    new IamRolePolicy(this, "status-policy", { role: role.id, name: "kubeadm-ha-status", policy: statusOnly.json });
    const policy = new IamRolePolicy(this, "vip-policy", {
      role: role.id,
      name: "kubeadm-ha-vip",
      policy: permissions.json,
    });
    const context = { spec: props.cluster, endpoint: this.address };
    return spec.peers.map((peer) =>
      hardenedInstance(this, `load-balancer-${peer.index}`, {
        ami: props.imageFor(instanceArchitecture(spec.loadBalancerInstanceType)),
        instanceType: spec.loadBalancerInstanceType,
        subnetId: props.privateSubnetIds[peer.subnetIndex],
        privateIp: peer.privateIp,
        vpcSecurityGroupIds: [this.peerSecurityGroupId],
        iamInstanceProfile: instanceProfile.name,
        sourceDestCheck: spec.vipMode !== "route",
        userDataBase64: encodeUserData(renderLoadBalancerUserData(context, peer, props.scripts), peer.name),
        rootVolumeSizeGiB: 20,
        tags: { ...props.tags, Name: peer.name, "kubeadm-ha:role": "api-load-balancer" },
        volumeTags: { ...props.tags, Name: peer.name },
        dependsOn: [policy, ...props.bootPrerequisites],
      }),
    );
  }

  registerControlPlane(nodes: Instance[]): void {
    if (this.spec.placement === "colocated") this.attachVip(nodes);
  }

  /** Initial VIP target (peer 0) and the interface tags the IAM conditions check. */
  private attachVip(peers: Instance[]) {
    peers.forEach((peer, i) => {
      new Ec2Tag(this, `peer-${i}-interface-tag`, {
        resourceId: peer.primaryNetworkInterfaceId,
        key: CLUSTER_TAG,
        value: this.tags[CLUSTER_TAG],
      });
    });
    if (this.spec.vipMode !== "route") return;
    this.routeTableIds.forEach((routeTableId, i) => {
      new Route(this, `vip-route-${i}`, {
        routeTableId,
        destinationCidrBlock: `${this.spec.virtualIp}/32`,
        networkInterfaceId: peers[0].primaryNetworkInterfaceId,
        // keepalived moves the route on failover; Terraform must not move it back.
        lifecycle: { ignoreChanges: ["network_interface_id"] },
      });
    });
  }

  private vipStatements(props: KeepalivedEndpointProps): DataAwsIamPolicyDocumentStatement[] {
    if (this.spec.vipMode === "route") {
      return [
        {
          sid: "MoveVipRoute",
          actions: ["ec2:ReplaceRoute"],
          resources: this.routeTableIds.map(
            (id) => `arn:${props.partition}:ec2:${props.region}:${props.accountId}:route-table/${id}`,
          ),
        },
      ];
    }
    return [
      {
        sid: "MoveVipSecondaryIp",
        actions: ["ec2:AssignPrivateIpAddresses"],
        resources: [`arn:${props.partition}:ec2:${props.region}:${props.accountId}:network-interface/*`],
        condition: [
          { test: "StringEquals", variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [props.cluster.clusterName] },
        ],
      },
    ];
  }
}
