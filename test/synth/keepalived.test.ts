import { Testing } from "cdktf";
import { FAILOVER_TIMERS } from "../../lib/render/internal";
import { KubeadmClusterProps } from "../../lib/cdktf";
import { KeepalivedEndpointInput } from "../../lib/cluster-spec";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  dataOf,
  decodeInstanceUserData,
  deploySettingsText,
  refTo,
  resourcesOf,
  synthStack,
  userDataBytes,
  nodeKubeadmDocs,
  nodeSettingsOf,
} from "../helpers";
import { BOOTSTRAP_RUNCMD, bootstrapCommand } from "../helpers";

Testing.setupJest();

const VIP = "192.168.255.10";
const colocatedProps: KubeadmClusterProps = {
  endpoint: { type: "keepalived", virtualIp: VIP, dnsName: "api.example.com" },
};
const dedicatedProps: KubeadmClusterProps = {
  endpoint: { type: "keepalived", vipMode: "secondary-ip", acceptSingleZone: true, placement: "dedicated" },
};

const keepalivedConf = (files: Record<string, { content: string }>) =>
  files["/etc/kubeadm-ha/keepalived.conf.template"].content;
const haproxyCfg = (files: Record<string, { content: string }>) => files["/etc/kubeadm-ha/haproxy.cfg"].content;
const cpSgOf = (result: ReturnType<typeof synthStack>) =>
  refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-control-plane", "id");

describe("colocated peers with a routed VIP (the control-plane nodes run keepalived and HAProxy)", () => {
  const result = synthStack(colocatedProps);
  const nodes = resourcesOf(result, "aws_instance");
  const decoded = nodes.map((n) => decodeInstanceUserData(n));
  const cpSg = cpSgOf(result);
  const workerSg = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-workers", "id");

  test("no NLB: the VIP is the endpoint", () => {
    expect(resourcesOf(result, "aws_lb")).toEqual([]);
    const outputs = Object.values(result.plan.output).map((o: any) => o.value);
    expect(outputs).toContain(`https://${VIP}:8443`);
  });

  test("a /32 route to the VIP in every route table, first aimed at node 0, and never moved back by Terraform", () => {
    const routes = resourcesOf(result, "aws_route").filter((r) => r.destination_cidr_block === `${VIP}/32`);
    // public + 3 private + the VPC's main table (where subnets without their own table route)
    const tables = [
      ...Object.keys(result.plan.resource.aws_route_table).map((k) => `\${aws_route_table.${k}.id}`),
      refTo(result, "aws_vpc", () => true, "main_route_table_id"),
    ];
    expect(routes.map((r) => r.route_table_id).sort()).toEqual(tables.sort());
    expect(tables).toHaveLength(5);
    const node0 = Object.keys(result.plan.resource.aws_instance).find((k) => k.includes("control-plane-0"));
    for (const r of routes) {
      expect(r.network_interface_id).toBe(`\${aws_instance.${node0}.primary_network_interface_id}`);
      expect(r.lifecycle.ignore_changes).toEqual(["network_interface_id"]);
    }
  });

  test("source/destination check is off on every peer (they receive traffic for an address not their own)", () => {
    for (const n of nodes) expect(n.source_dest_check).toBe(false);
  });

  test("VRRP (protocol 112) is allowed only between the peers", () => {
    const vrrp = resourcesOf(result, "aws_vpc_security_group_ingress_rule").filter((r) => r.ip_protocol === "112");
    expect(vrrp).toHaveLength(1);
    expect(vrrp[0]).toMatchObject({ security_group_id: cpSg, referenced_security_group_id: cpSg });
    expect(vrrp[0].cidr_ipv4).toBeUndefined();
  });

  test("clients reach HAProxy on 8443 from the VPC and the workers, and the nodes and workers may send to the VIP", () => {
    const ingress = resourcesOf(result, "aws_vpc_security_group_ingress_rule").filter((r) => r.from_port === 8443);
    expect(
      ingress.map((r) => `${r.security_group_id} from ${r.cidr_ipv4 ?? r.referenced_security_group_id}`).sort(),
    ).toEqual([`${cpSg} from ${workerSg}`, `${cpSg} from 10.0.0.0/16`].sort());
    const egress = resourcesOf(result, "aws_vpc_security_group_egress_rule").filter((r) => r.cidr_ipv4 === `${VIP}/32`);
    expect(egress.map((r) => [r.security_group_id, r.from_port, r.to_port])).toEqual([
      [cpSg, 8443, 8443],
      [workerSg, 8443, 8443],
    ]);
  });

  test("the control-plane role may replace routes only in this cluster's route tables", () => {
    const doc = dataOf(result, "aws_iam_policy_document").find((d) =>
      d.statement.some((s: any) => s.sid === "MoveVipRoute"),
    )!;
    const [statement] = doc.statement;
    expect(statement.actions).toEqual(["ec2:ReplaceRoute"]);
    expect(statement.resources).toHaveLength(5);
    for (const arn of statement.resources) {
      expect(arn).toMatch(
        /^arn:\$\{data\.aws_partition\.[^}]+\}:ec2:\$\{data\.aws_region\.[^}]+\}:\$\{data\.aws_caller_identity\.[^}]+\}:route-table\/\$\{aws_(route_table\.[^}]+\.id|vpc\.[^}]+\.main_route_table_id)\}$/,
      );
    }
    const policies = resourcesOf(result, "aws_iam_role_policy");
    const vipPolicy = policies.find((p) => p.name === "kubeadm-ha-vip")!;
    expect(vipPolicy.role).toBe(refTo(result, "aws_iam_role", () => true, "id"));
  });

  test.each([0, 1, 2])(
    "node %i: controlPlaneEndpoint is VIP:8443, certSANs hold the VIP and its DNS name, advertiseAddress stays the node's IP",
    (i) => {
      const [cluster, init] = nodeKubeadmDocs(result, nodes[i]);
      const [join] = nodeKubeadmDocs(result, nodes[i], "kubeadm-join.yaml");
      expect(cluster.controlPlaneEndpoint).toBe(`${VIP}:8443`);
      expect(cluster.apiServer.certSANs).toEqual([VIP, "api.example.com"]);
      expect(init.localAPIEndpoint).toEqual({ advertiseAddress: nodes[i].private_ip, bindPort: 6443 });
      expect(join.discovery.bootstrapToken.apiServerEndpoint).toBe(`${VIP}:8443`);
    },
  );

  test.each([0, 1, 2])(
    "node %i: keepalived.conf is unicast VRRPv3 to the other peers, with script security and no vrrp_strict",
    (i) => {
      const conf = keepalivedConf(decoded[i].files);
      const others = nodes.filter((_, j) => j !== i).map((n) => n.private_ip);
      expect(conf).toContain(`unicast_src_ip ${nodes[i].private_ip}`);
      expect(conf).toMatch(new RegExp(`unicast_peer \\{\\n\\s+${others[0]}\\n\\s+${others[1]}\\n\\s+\\}`));
      expect(conf).toContain(`priority ${140 - 20 * i}`);
      expect(conf).toContain("weight -60");
      expect(conf).toContain(`vrrp_version ${FAILOVER_TIMERS.vrrpVersion}`);
      expect(conf).toContain(`advert_int ${FAILOVER_TIMERS.advertIntervalSeconds}`);
      expect(conf).toContain("enable_script_security");
      expect(conf).not.toMatch(/vrrp_strict/);
      expect(conf).toContain(`${VIP}/32 dev __INTERFACE__`);
      expect(conf).toContain('notify_master "/opt/kubeadm-ha/keepalived-notify.sh master"');
    },
  );

  test.each([0, 1, 2])(
    "node %i: haproxy.cfg forwards TCP on 8443 to every API server with HTTPS /readyz checks",
    (i) => {
      const cfg = haproxyCfg(decoded[i].files);
      expect(cfg).toContain("mode tcp");
      expect(cfg).toContain("bind :8443");
      expect(cfg).toContain("http-check send meth GET uri /readyz");
      expect(cfg).toContain("check check-ssl verify none inter 500ms fall 2 rise 2");
      expect(cfg).toContain("timeout tunnel 24h");
      // keepalived's check asks HAProxy's own monitor (up, and at least one API server up), on loopback only.
      expect(cfg).toMatch(
        /frontend monitor\n\s+mode http\n\s+option httplog\n\s+bind 127\.0\.0\.1:8404\n\s+monitor-uri \/healthz\n\s+monitor fail if \{ nbsrv\(kubernetes-api\) lt 1 \}/,
      );
      for (const n of nodes) expect(cfg).toContain(`server ${n.tags.Name} ${n.private_ip}:6443`);
    },
  );

  test("each node's settings name the VIP, its mode and the route tables; the endpoint is set up before kubeadm", () => {
    const env = decoded[1].files["/etc/kubeadm-ha/node-settings.env"].content;
    expect(env).toContain(`VIP='${VIP}'`);
    expect(env).toContain("VIP_MODE='route'");
    expect(nodeSettingsOf(result, nodes[1]).ROUTE_TABLE_IDS).toMatch(
      /^(\$\{aws_(route_table\.[^}]+\.id|vpc\.[^}]+\.main_route_table_id)\} ?){5}$/,
    );
    expect(env).toContain("ENDPOINT_SETUP='/opt/kubeadm-ha/setup-endpoint.sh'");
    expect(Object.keys(decoded[1].files)).toEqual(
      expect.arrayContaining(["/opt/kubeadm-ha/check-apiserver.sh", "/opt/kubeadm-ha/keepalived-notify.sh"]),
    );
  });

  test("user data stays under 16 KB with keepalived and HAProxy on board, and carries no secret", () => {
    for (const [i, d] of decoded.entries()) {
      expect(userDataBytes(nodes[i])).toBeLessThan(16384);
      expect(d.raw).not.toMatch(PRIVATE_KEY_PATTERN);
      expect(d.raw).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
    }
  });
});

describe("a dedicated pair of load balancers with a secondary-IP VIP", () => {
  const result = synthStack(dedicatedProps);
  const instances = resourcesOf(result, "aws_instance");
  const lbs = instances.filter((n) => n.tags["kubeadm-ha:role"] === "api-load-balancer");
  const controlPlane = instances.filter((n) => n.tags["kubeadm-ha:role"] === "control-plane");
  const lbSg = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-api-load-balancers", "id");
  const cpSg = cpSgOf(result);

  test("each load balancer waits for every policy of its role (its status policy is what lets it read the deploy settings)", () => {
    const lbRole = Object.entries<any>(result.plan.resource.aws_iam_role).find(([, r]) =>
      r.description.startsWith("keepalived + HAProxy load balancers"),
    )![0];
    const policies = Object.entries<any>(result.plan.resource.aws_iam_role_policy)
      .filter(([, p]) => p.role === `\${aws_iam_role.${lbRole}.id}`)
      .map(([id]) => `aws_iam_role_policy.${id}`);
    expect(policies).toHaveLength(3); // Session Manager, status and deploy settings, VIP
    for (const lb of lbs)
      for (const p of policies.filter((id) => !id.includes("session-manager"))) expect(lb.depends_on).toContain(p);
  });

  test("two hardened load balancers in one subnet at fixed addresses; source/destination check stays on", () => {
    expect(lbs.map((n) => n.private_ip)).toEqual(["10.0.0.20", "10.0.0.21"]);
    expect(new Set(lbs.map((n) => n.subnet_id)).size).toBe(1);
    for (const n of lbs) {
      expect(n.metadata_options.http_tokens).toBe("required");
      expect(n.root_block_device.encrypted).toBe(true);
      expect(n.source_dest_check).toBe(true);
      expect(n.vpc_security_group_ids).toEqual([lbSg]);
    }
    for (const n of controlPlane) expect(n.source_dest_check).toBeUndefined();
  });

  test("the VIP is reserved in the subnet for explicit assignment; no routes are made", () => {
    const reservation = resourcesOf(result, "aws_ec2_subnet_cidr_reservation").find(
      (r) => r.cidr_block === "10.0.0.9/32",
    );
    expect(reservation).toMatchObject({
      cidr_block: "10.0.0.9/32",
      reservation_type: "explicit",
      subnet_id: lbs[0].subnet_id,
    });
    expect(resourcesOf(result, "aws_route").filter((r) => r.destination_cidr_block?.endsWith("/32"))).toEqual([]);
    // Nor is any route table named to the nodes: nothing moves a route.
    expect(deploySettingsText(result)).toMatch(/^ROUTE_TABLE_IDS=''$/m);
  });

  test("the load-balancer role may assign secondary IPs only to this cluster's tagged interfaces in the peers' subnet and VPC", () => {
    const doc = dataOf(result, "aws_iam_policy_document").find((d) =>
      d.statement.some((s: any) => s.sid === "MoveVipSecondaryIp"),
    )!;
    const [statement] = doc.statement;
    expect(statement.actions).toEqual(["ec2:AssignPrivateIpAddresses"]); // --allow-reassignment needs no Unassign; nothing calls it
    const arn = (resource: string) =>
      `arn:\${data.aws_partition.cluster_partition_58BA2465.partition}:ec2:\${data.aws_region.cluster_region_807B4548.region}:\${data.aws_caller_identity.cluster_account_9FA334D4.account_id}:${resource}`;
    // IAM has no condition on the address itself: any secondary address of the subnet may be taken (docs/topologies.md).
    expect(statement.condition).toEqual([
      { test: "StringEquals", variable: "aws:ResourceTag/kubeadm-ha:cluster", values: ["kubeadm-ha"] },
      {
        test: "ArnEquals",
        variable: "ec2:Subnet",
        values: [arn(`subnet/${refTo(result, "aws_subnet", (r) => r.cidr_block === "10.0.0.0/20", "id")}`)],
      },
      { test: "ArnEquals", variable: "ec2:Vpc", values: [arn(`vpc/${refTo(result, "aws_vpc", () => true, "id")}`)] },
    ]);
    const tags = resourcesOf(result, "aws_ec2_tag");
    expect(tags).toHaveLength(2);
    for (const t of tags) expect(t).toMatchObject({ key: "kubeadm-ha:cluster", value: "kubeadm-ha" });
    const vipPolicy = resourcesOf(result, "aws_iam_role_policy").find((p) => p.name === "kubeadm-ha-vip")!;
    expect(vipPolicy.role).toBe(refTo(result, "aws_iam_role", (r) => r.name_prefix === "kubeadm-ha-lb-", "id"));
  });

  test("security groups: VRRP only between the load balancers, 6443 from them to the API servers", () => {
    const ingress = resourcesOf(result, "aws_vpc_security_group_ingress_rule");
    expect(
      ingress.filter((r) => r.ip_protocol === "112").map((r) => [r.security_group_id, r.referenced_security_group_id]),
    ).toEqual([[lbSg, lbSg]]);
    expect(
      ingress.some(
        (r) => r.security_group_id === cpSg && r.referenced_security_group_id === lbSg && r.from_port === 6443,
      ),
    ).toBe(true);
    expect(ingress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0")).toEqual([]);
  });

  test("each load balancer's user data: keepalived and HAProxy on 6443, set up standalone; control-plane nodes carry neither", () => {
    lbs.forEach((lb, i) => {
      const { files, cloudConfig } = decodeInstanceUserData(lb);
      expect(cloudConfig.runcmd).toEqual(BOOTSTRAP_RUNCMD);
      expect(bootstrapCommand(files)).toBe("/opt/kubeadm-ha/setup-endpoint.sh --standalone");
      expect(keepalivedConf(files)).toContain(`unicast_src_ip ${lb.private_ip}`);
      expect(keepalivedConf(files)).toContain(`unicast_peer {\n        ${lbs[1 - i].private_ip}\n    }`);
      expect(haproxyCfg(files)).toContain("bind :6443");
      expect(Object.keys(files).filter((p) => /kubeadm-(init|join)\.yaml|bootstrap-control-plane/.test(p))).toEqual([]);
    });
    for (const n of controlPlane) {
      const { files } = decodeInstanceUserData(n);
      expect(files["/etc/kubeadm-ha/haproxy.cfg"]).toBeUndefined();
      const [cluster] = nodeKubeadmDocs(result, n);
      expect(cluster.controlPlaneEndpoint).toBe("10.0.0.9:6443");
      expect(cluster.apiServer.certSANs).toEqual(["10.0.0.9"]);
    }
  });
});

test("the largest user data (7 colocated peers, external etcd, many SANs) stays under EC2's 16 KB with long deploy-time names", () => {
  const result = synthStack({
    controlPlaneCount: 7,
    extraCertSans: Array.from({ length: 10 }, (_, i) => `api-${i}.a-rather-long-domain-name.example.com`),
    endpoint: { type: "keepalived", virtualIp: VIP, dnsName: "api.a-rather-long-domain-name.example.com" },
    etcd: { topology: "external", members: 7 },
  });
  const sizes = resourcesOf(result, "aws_instance").map((n) => userDataBytes(n));
  expect(sizes).toHaveLength(14);
  expect(Math.max(...sizes)).toBeLessThan(16384);
});

describe("losing a zone: the surviving zones keep their egress (a VRRP master's EC2 call, Session Manager, Secrets Manager, packages)", () => {
  /** For each private subnet, the public subnet its NAT gateway is in (by resource id). */
  const natSubnetOfEachPrivateSubnet = (result: ReturnType<typeof synthStack>) => {
    const plan = JSON.parse(result.json).resource;
    return Object.entries<any>(plan.aws_route)
      .filter(([id]) => /private-\d+-default/.test(id))
      .map(([, route]) => {
        const nat = /aws_nat_gateway\.([^.]+)\.id/.exec(route.nat_gateway_id)![1];
        return /aws_subnet\.cluster_network_(public-\d+)_/.exec(plan.aws_nat_gateway[nat].subnet_id)![1];
      });
  };

  test.each<[string, KubeadmClusterProps]>([
    ["NLB (the default)", {}],
    ["NLB, external etcd", { etcd: { topology: "external" } }],
    ["keepalived colocated", colocatedProps],
    ["keepalived dedicated", dedicatedProps],
  ])(
    "%s: one NAT gateway per zone, each private subnet's egress through its own zone's (no zone's loss cuts another's shell)",
    (_, props) => {
      expect(natSubnetOfEachPrivateSubnet(synthStack(props))).toEqual(["public-0", "public-1", "public-2"]);
    },
  );

  test("natGatewayPerZone: false (one NAT gateway, in the first zone) is honoured for every endpoint", () => {
    for (const props of [{}, colocatedProps])
      expect(natSubnetOfEachPrivateSubnet(synthStack({ ...props, network: { natGatewayPerZone: false } }))).toEqual([
        "public-0",
        "public-0",
        "public-0",
      ]);
  });
});

test.each([
  ["route", colocatedProps, "MoveVipRoute", "ec2:DescribeRouteTables"],
  ["secondary-ip", dedicatedProps, "MoveVipSecondaryIp", "ec2:DescribeNetworkInterfaces"],
])(
  "%s mode: the peers may read where the VIP is delivered, so the guard writes only on a mismatch",
  (_mode, props, moveSid, describe) => {
    const doc = dataOf(synthStack(props), "aws_iam_policy_document").find((d) =>
      d.statement.some((s: any) => s.sid === moveSid),
    )!;
    // EC2's Describe actions take no resource type (AWS Service Authorization Reference, Amazon EC2): "*" is the only scope.
    expect(doc.statement.find((s: any) => s.sid === "ReadVipDelivery")).toEqual({
      sid: "ReadVipDelivery",
      actions: [describe],
      resources: ["*"],
    });
  },
);

describe("VRRP timers are props", () => {
  const confOf = (endpoint: Partial<KeepalivedEndpointInput>) =>
    keepalivedConf(
      decodeInstanceUserData(
        resourcesOf(
          synthStack({ endpoint: { ...colocatedProps.endpoint, ...endpoint } as KeepalivedEndpointInput }),
          "aws_instance",
        )[0],
      ).files,
    );

  test("by default: adverts every 0.2 s, and a recovered peer takes the VIP back after 30 s", () => {
    const conf = confOf({});
    expect(conf).toMatch(/^ {4}advert_int 0\.2$/m);
    expect(conf).toMatch(/^ {4}preempt_delay 30$/m);
    expect(conf).not.toMatch(/nopreempt/);
  });

  test("the advert interval and the preempt delay are rendered as given; preempt: false keeps the VIP where it is", () => {
    expect(confOf({ advertIntervalSeconds: 1, preemptDelaySeconds: 120 })).toMatch(
      /advert_int 1\n(.*\n)* {4}preempt_delay 120\n/,
    );
    const noPreempt = confOf({ preempt: false });
    expect(noPreempt).toMatch(/^ {4}nopreempt$/m);
    expect(noPreempt).not.toMatch(/preempt_delay/);
  });

  test.each([
    [{ advertIntervalSeconds: 0 }, /endpoint\.advertIntervalSeconds: 0 is not .*0\.01 to 40\.95/],
    [{ advertIntervalSeconds: 0.125 }, /endpoint\.advertIntervalSeconds: 0\.125 is not .*hundredths/],
    [{ preemptDelaySeconds: 1001 }, /endpoint\.preemptDelaySeconds: 1001 is not .*0 to 1000/],
    [{ preempt: false, preemptDelaySeconds: 10 }, /endpoint\.preemptDelaySeconds: .*preempt: false/],
  ])("%j is refused, naming the prop, the value and the range", (endpoint, message) => {
    expect(() => confOf(endpoint as Partial<KeepalivedEndpointInput>)).toThrow(message);
  });
});
