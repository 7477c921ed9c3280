import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import {
  identityDescriptions,
  keepalivedRules,
  nodeTags,
  PolicyStatement,
  securityGroupDescription,
  vipStatements,
} from "../model";
import { loadNodeScripts } from "../private/node-scripts";
import { EndpointAddress, renderLoadBalancerUserData } from "../render/internal";
import { instanceArchitecture, KeepalivedEndpointSpec } from "../cluster-spec";
import { IApiEndpoint } from "./api-endpoint";
import {
  addSecurityGroupRules,
  ClusterInstanceProps,
  clusterInstance,
  clusterSecurityGroup,
  nodeRole,
  oneAtATime,
  policyDocument,
  primaryInterfaceOf,
  withNodePolicy,
} from "./private/resources";
import { acknowledgeFindings } from "./private/findings";
import type { IKubeadmCluster } from "./cluster-interface";

export interface KeepalivedEndpointProps {
  /**
   * The cluster behind the VIP: its spec's `endpoint.type` must be "keepalived"; with colocated peers
   * its control-plane roles get the VIP policy; the VIP's route goes in the spec's `routeTableIds`, or
   * else in every route table its network created.
   */
  readonly cluster: IKubeadmCluster;
}

/**
 * A keepalived VRRP virtual IP with HAProxy in front of the API servers, made to work on AWS:
 * unicast VRRP (protocol 112 allowed between peers only), and a notify script that moves the VIP
 * with one EC2 call, either a /32 route in each route table (`route`) or a secondary private IP
 * reassigned to the master's interface (`secondary-ip`: the peers' primary interfaces are explicit
 * ones, tagged with the cluster's tag, which the IAM condition checks). Peers are the control-plane
 * nodes (`colocated`, HAProxy on VIP:8443) or a pair of dedicated load balancers (VIP:6443).
 */
export class KeepalivedEndpoint extends Construct implements IApiEndpoint {
  readonly spec: KeepalivedEndpointSpec;
  readonly address: EndpointAddress;
  readonly url: string;
  /** The security group of the VRRP peers (the control plane's, when colocated). */
  readonly peerSecurityGroup: ec2.ISecurityGroup;
  /**
   * The peers' group (the control plane's, when colocated), HAProxy's port on the VIP its default:
   * `endpoint.connections.allowDefaultPortFrom(clients)`.
   */
  readonly connections: ec2.Connections;
  /** Dedicated load-balancer instances (none when colocated). */
  readonly loadBalancers: ec2.Instance[] = [];
  /** Route tables for the VIP's /32 route (used in route mode): the spec's, or those of the subnets the network made. */
  readonly routeTableIds: string[];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: KeepalivedEndpointProps,
  ) {
    super(scope, id);
    const { cluster } = props;
    if (cluster.spec.endpoint.type !== "keepalived")
      throw new Error('KeepalivedEndpoint needs a spec with endpoint.type "keepalived"');
    const spec = cluster.spec.endpoint;
    this.spec = spec;
    this.address = { host: spec.virtualIp, port: spec.port };
    this.url = `https://${spec.virtualIp}:${spec.port}`;
    this.routeTableIds = spec.routeTableIds ?? cluster.network.routeTableIds;
    this.peerSecurityGroup =
      spec.placement === "dedicated"
        ? clusterSecurityGroup(
            this,
            "security-group",
            cluster.network.vpc,
            securityGroupDescription(cluster.spec.clusterName, "api-load-balancers"),
          )
        : cluster.controlPlaneSecurityGroup;
    this.connections = new ec2.Connections({
      securityGroups: [this.peerSecurityGroup],
      defaultPort: ec2.Port.tcp(spec.port),
    });
    addSecurityGroupRules(keepalivedRules(spec, cluster.spec.apiServerPort), (role) =>
      role === "api-load-balancers"
        ? this.peerSecurityGroup
        : role === "workers"
          ? cluster.workerSecurityGroup
          : cluster.controlPlaneSecurityGroup,
    );
    const permissions = vipStatements(
      cluster.policyReferences,
      spec.vipMode === "route"
        ? { mode: "route", routeTableIds: this.routeTableIds }
        : {
            mode: "secondary-ip",
            subnetId: cluster.network.privateSubnets[spec.peers[0].subnetIndex].subnetId,
            vpcId: cluster.network.vpc.vpcId,
          },
    );
    if (spec.placement === "dedicated") {
      this.loadBalancers.push(...this.loadBalancerInstances(permissions));
      this.attachVip(this.loadBalancers);
    } else cluster.identity.addPolicy("vip-policy", "kubeadm-ha-vip", permissions);
    acknowledgeFindings(this);
  }

  /** The peers (colocated or dedicated) keep the VIP's route in these tables pointing at the master. */
  get controlPlaneRouteTableIds(): string[] {
    return this.routeTableIds;
  }

  /** Colocated peers: no source/destination check for a routed VIP, a tagged interface for a secondary IP. */
  get controlPlaneInstance(): Pick<ClusterInstanceProps, "sourceDestCheck" | "taggedInterface"> {
    if (this.spec.placement !== "colocated") return {};
    return this.spec.vipMode === "route" ? { sourceDestCheck: false } : { taggedInterface: true };
  }

  registerControlPlane(nodes: ec2.Instance[]): void {
    if (this.spec.placement === "colocated") this.attachVip(nodes);
  }

  /** The two dedicated load balancers, with a role that may only move the VIP and set their status. */
  private loadBalancerInstances(permissions: PolicyStatement[]): ec2.Instance[] {
    const { cluster } = this.props;
    const spec = this.spec;
    const role = nodeRole(this, "role", identityDescriptions(cluster.spec.clusterName).roles.loadBalancers);
    // Also what lets the node read the deploy settings at boot: its instances wait for it too.
    const status = withNodePolicy(this, "status-policy", role, {
      policyName: "kubeadm-ha-status",
      statements: [],
      refs: cluster.policyReferences,
    });
    const vip = new iam.Policy(this, "vip-policy", {
      policyName: "kubeadm-ha-vip",
      document: policyDocument(permissions),
    });
    role.attachInlinePolicy(vip);
    const scripts = loadNodeScripts();
    return oneAtATime(
      spec.peers.map((peer) =>
        clusterInstance(this, `load-balancer-${peer.index}`, cluster, {
          name: peer.name,
          subnetIndex: peer.subnetIndex,
          privateIp: peer.privateIp,
          instanceType: spec.loadBalancerInstanceType,
          architecture: instanceArchitecture(spec.loadBalancerInstanceType),
          securityGroup: this.peerSecurityGroup,
          role,
          waitFor: [status.policy, vip],
          userData: renderLoadBalancerUserData({ spec: cluster.spec, endpoint: this.address }, peer, scripts),
          rootVolumeSizeGiB: 20,
          tags: nodeTags("api-load-balancer"),
          // A routed VIP is not the peer's own address; a secondary IP is moved onto its tagged interface.
          ...(spec.vipMode === "route" ? { sourceDestCheck: false } : { taggedInterface: true }),
        }),
      ),
    );
  }

  /**
   * The VIP starts on the first peer; keepalived moves it to the master from then on. Route mode: its /32
   * route in each route table. Secondary-IP mode: a secondary address of the first peer's interface, so
   * AWS hands it to nothing else from the start (the cdktf flavour reserves it in the subnet; CloudFormation
   * lacks that type in some regions).
   */
  private attachVip(peers: ec2.Instance[]) {
    if (this.spec.vipMode === "secondary-ip") {
      primaryInterfaceOf(peers[0]).privateIpAddresses = [{ privateIpAddress: this.spec.virtualIp, primary: false }];
      return;
    }
    this.routeTableIds.forEach(
      (routeTableId, i) =>
        new ec2.CfnRoute(this, `vip-route-${i}`, {
          routeTableId,
          destinationCidrBlock: `${this.spec.virtualIp}/32`,
          instanceId: peers[0].instanceId,
        }),
    );
  }
}
