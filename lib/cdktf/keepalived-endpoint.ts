import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { Ec2Tag } from "@cdktf/provider-aws/lib/ec2-tag";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Route } from "@cdktf/provider-aws/lib/route";
import { Construct } from "constructs";
import { encodeUserData, EndpointAddress, renderLoadBalancerUserData } from "../render/internal";
import { KeepalivedEndpointSpec, instanceArchitecture } from "../cluster-spec";
import { IApiEndpoint } from "./api-endpoint";
import type { IKubeadmCluster } from "./cluster-interface";
import { loadNodeScripts } from "../private/node-scripts";
import { clusterSecurityGroup, hardenedInstance, nodeRole, securityGroupRules } from "./private/node-defaults";
import {
  CLUSTER_TAG,
  everyNodeStatements,
  identityDescriptions,
  keepalivedRules,
  nodeTags,
  securityGroupDescription,
  vipStatements,
} from "../model";

export interface KeepalivedEndpointProps {
  /**
   * The cluster behind the VIP: its spec's `endpoint.type` must be "keepalived"; its control-plane
   * roles get the VIP permissions when the peers are the control-plane nodes; the VIP's route goes in
   * the spec's `routeTableIds`, or else in every route table its network created.
   */
  readonly cluster: IKubeadmCluster;
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

  /** The peers (colocated or dedicated) keep the VIP's route in these tables pointing at the master. */
  get controlPlaneRouteTableIds(): string[] {
    return this.routeTableIds;
  }

  /** Colocated peers of a routed VIP receive traffic for an address that is not their own. */
  get controlPlaneInstance(): { readonly sourceDestCheck?: boolean } {
    return this.spec.placement === "colocated" && this.spec.vipMode === "route" ? { sourceDestCheck: false } : {};
  }

  constructor(scope: Construct, id: string, { cluster }: KeepalivedEndpointProps) {
    super(scope, id);
    if (cluster.spec.endpoint.type !== "keepalived")
      throw new Error('KeepalivedEndpoint needs a spec with endpoint.type "keepalived"');
    const spec = cluster.spec.endpoint;
    this.spec = spec;
    this.tags = cluster.tags;
    this.address = { host: spec.virtualIp, port: spec.port };
    this.url = `https://${spec.virtualIp}:${spec.port}`;
    this.routeTableIds = spec.routeTableIds ?? cluster.network.routeTableIds;
    this.peerSecurityGroupId =
      spec.placement === "dedicated" ? this.loadBalancerSecurityGroup(cluster) : cluster.controlPlaneSecurityGroup.id;
    this.peerRules(cluster);
    if (spec.vipMode === "secondary-ip") {
      // Keep AWS from handing the VIP to another interface; only explicit assignment may use it.
      new Ec2SubnetCidrReservation(this, "vip-reservation", {
        subnetId: cluster.network.privateSubnetIds[spec.peers[0].subnetIndex],
        cidrBlock: `${spec.virtualIp}/32`,
        reservationType: "explicit",
        description: `keepalived VIP of ${cluster.spec.clusterName}`,
      });
    }
    const permissions = new DataAwsIamPolicyDocument(this, "vip-permissions", {
      statement: vipStatements(
        cluster.policyReferences,
        spec.vipMode === "route"
          ? { mode: "route", routeTableIds: this.routeTableIds }
          : {
              mode: "secondary-ip",
              subnetId: cluster.network.privateSubnetIds[spec.peers[0].subnetIndex],
              vpcId: cluster.network.vpcId,
            },
      ),
    });
    if (spec.placement === "dedicated") {
      this.loadBalancers.push(...this.loadBalancerInstances(cluster, permissions));
      this.attachVip(this.loadBalancers);
    } else {
      cluster.identity.roles.forEach(
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
  private loadBalancerSecurityGroup(cluster: IKubeadmCluster): string {
    return clusterSecurityGroup(this, "security-group", {
      ...securityGroupDescription(cluster.spec.clusterName, "api-load-balancers"),
      vpcId: cluster.network.vpcId,
      tags: cluster.tags,
    }).id;
  }

  /** Every rule of the model's keepalived part (lib/model/security-groups.ts), in this construct. */
  private peerRules(cluster: IKubeadmCluster) {
    securityGroupRules(this, keepalivedRules(this.spec, cluster.spec.apiServerPort), (role) =>
      role === "api-load-balancers"
        ? this.peerSecurityGroupId
        : role === "workers"
          ? cluster.workerSecurityGroup.id
          : cluster.controlPlaneSecurityGroup.id,
    );
  }

  /** The two dedicated load balancers, with a role that may only move the VIP and set their status. */
  private loadBalancerInstances(cluster: IKubeadmCluster, permissions: DataAwsIamPolicyDocument): Instance[] {
    const { spec } = this;
    const name = cluster.spec.clusterName;
    const { role, instanceProfile } = nodeRole(
      this,
      `${name}-lb-`,
      identityDescriptions(name).roles.loadBalancers,
      cluster.tags,
    );
    const statusOnly = new DataAwsIamPolicyDocument(this, "status-permissions", {
      statement: everyNodeStatements(cluster.policyReferences),
    });
    // Also what lets the node read the deploy settings at boot: its instances wait for it too.
    const statusPolicy = new IamRolePolicy(this, "status-policy", {
      role: role.id,
      name: "kubeadm-ha-status",
      policy: statusOnly.json,
    });
    const policy = new IamRolePolicy(this, "vip-policy", {
      role: role.id,
      name: "kubeadm-ha-vip",
      policy: permissions.json,
    });
    const context = { spec: cluster.spec, endpoint: this.address };
    const scripts = loadNodeScripts();
    return spec.peers.map((peer) =>
      hardenedInstance(this, `load-balancer-${peer.index}`, {
        ami: cluster.images.imageFor(instanceArchitecture(spec.loadBalancerInstanceType)),
        instanceType: spec.loadBalancerInstanceType,
        subnetId: cluster.network.privateSubnetIds[peer.subnetIndex],
        privateIp: peer.privateIp,
        vpcSecurityGroupIds: [this.peerSecurityGroupId],
        iamInstanceProfile: instanceProfile.name,
        sourceDestCheck: spec.vipMode !== "route",
        userDataBase64: encodeUserData(renderLoadBalancerUserData(context, peer, scripts), peer.name),
        rootVolumeSizeGiB: 20,
        tags: { ...cluster.tags, Name: peer.name, ...nodeTags("api-load-balancer") },
        volumeTags: { ...cluster.tags, Name: peer.name },
        dependsOn: [statusPolicy, policy, ...cluster.bootPrerequisites],
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
}
