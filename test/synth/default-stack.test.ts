import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { readFileSync } from "fs";
import { join } from "path";
import { Testing } from "cdktf";
import { SESSION_MANAGER_ACTIONS } from "../../lib/model";
import { shippedScript } from "../../lib/render/internal";
import { NLB_TIMERS } from "../../lib/cluster-spec";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  dataOf,
  decodeUserData,
  refTo,
  resourcesOf,
  synthStack,
  USERDATA_DIR,
  unknownKubeadmFields,
  deploySettingsText,
  envValues,
  nodeKubeadmDocs,
  userDataBytes,
  userDataText,
  yamlDocs,
} from "../helpers";

Testing.setupJest();

const result = synthStack();
const nodes = resourcesOf(result, "aws_instance");
const lbRef = (attr: string) => refTo(result, "aws_lb", () => true, attr);
const tgArn = refTo(result, "aws_lb_target_group", () => true, "arn");
const cpSgId = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-control-plane", "id");
const nlbSgId = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-api-endpoint", "id");
const workerSgId = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-workers", "id");
const texts = nodes.map((n) => userDataText(n));
const decoded = texts.map((t) => decodeUserData(t));
const deploySettings = deploySettingsText(result);

test("the plan pins hashicorp/aws at the version the provider package was generated for", () => {
  // Under CDK Terrain (jest's cdktn project) this resolves to @cdktn/provider-aws.
  const pkg = require("@cdktf/provider-aws/package.json");
  const provider = (pkg.cdktf ?? pkg.cdktn).provider;
  const pin = JSON.parse(result.json).terraform.required_providers.aws;
  expect(
    `registry.terraform.io/${pin.source.includes("/") ? pin.source : `hashicorp/${pin.source}`}@${pin.version}`,
  ).toBe(`${provider.name}@${provider.version}`);
});

describe("names that a replacement would collide on", () => {
  test("security groups are named by prefix and replaced create-before-destroy; the target group lets Terraform name it", () => {
    for (const sg of resourcesOf(result, "aws_security_group")) {
      expect(sg.name).toBeUndefined();
      expect(sg.name_prefix).toBe(`${sg.tags.Name}-`);
      expect(sg.lifecycle).toEqual({ create_before_destroy: true });
    }
    const [tg] = resourcesOf(result, "aws_lb_target_group");
    expect({ name: tg.name, name_prefix: tg.name_prefix, lifecycle: tg.lifecycle }).toEqual({
      name: undefined,
      name_prefix: undefined,
      lifecycle: { create_before_destroy: true },
    });
  });

  test("the NLB's deletion protection is off by default (cdktf destroy works) and a prop turns it on", () => {
    expect(resourcesOf(result, "aws_lb")[0].enable_deletion_protection).toBe(false);
    const protectedPlan = synthStack({ endpoint: { type: "nlb", deletionProtection: true } });
    expect(resourcesOf(protectedPlan, "aws_lb")[0].enable_deletion_protection).toBe(true);
  });
});

describe("the default stack's NLB endpoint", () => {
  test("one internal network load balancer with cross-zone balancing in the private subnets", () => {
    const lbs = resourcesOf(result, "aws_lb");
    expect(lbs).toHaveLength(1);
    expect(lbs[0]).toMatchObject({
      load_balancer_type: "network",
      internal: true,
      enable_cross_zone_load_balancing: true,
    });
    expect(lbs[0].subnets).toHaveLength(3);
    for (const subnet of lbs[0].subnets) expect(subnet).toMatch(/^\$\{aws_subnet\.cluster_network_private-\d/);
    expect(lbs[0].security_groups).toEqual([nlbSgId]);
  });

  test("the listener forwards TCP 6443 to the API server target group", () => {
    expect(result.json).toHaveResourceWithProperties(LbListener, { port: 6443, protocol: "TCP" });
    const listeners = resourcesOf(result, "aws_lb_listener");
    expect(listeners).toHaveLength(1);
    expect(listeners[0].load_balancer_arn).toBe(lbRef("arn"));
    expect(listeners[0].default_action).toEqual([{ type: "forward", target_group_arn: tgArn }]);
  });

  test("the listener keeps an idle connection (exec, port-forward, a watch) for an hour, not AWS's 350 s; endpoint.idleTimeoutSeconds sets both NLBs'", () => {
    expect(resourcesOf(result, "aws_lb_listener").map((l) => l.tcp_idle_timeout_seconds)).toEqual([3600]);
    const exposed = synthStack({
      endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"], idleTimeoutSeconds: 600 },
    });
    expect(resourcesOf(exposed, "aws_lb_listener").map((l) => l.tcp_idle_timeout_seconds)).toEqual([600, 600]);
  });

  test("the target group checks /readyz over HTTPS on 6443 with a short interval and 2/2 thresholds", () => {
    const [tg] = resourcesOf(result, "aws_lb_target_group");
    expect(tg).toMatchObject({ port: 6443, protocol: "TCP", target_type: "instance" });
    expect(tg.health_check).toEqual({
      enabled: true,
      protocol: "HTTPS",
      path: "/readyz",
      port: "6443",
      matcher: "200",
      interval: 10,
      timeout: 5,
      healthy_threshold: 2,
      unhealthy_threshold: 2,
    });
    expect(tg.health_check.interval).toBeGreaterThanOrEqual(5);
    expect(tg.health_check.interval).toBeLessThanOrEqual(10);
  });

  test("client IP preservation is off, so a node routed to itself is not dropped (hairpin)", () => {
    const [tg] = resourcesOf(result, "aws_lb_target_group");
    expect(tg.preserve_client_ip).toBe("false");
  });

  test("unhealthy and deregistered targets are drained, not cut", () => {
    const [tg] = resourcesOf(result, "aws_lb_target_group");
    expect(tg.target_health_state).toEqual([
      { enable_unhealthy_connection_termination: false, unhealthy_draining_interval: NLB_TIMERS.drainSeconds },
    ]);
    expect(tg.connection_termination).toBe(false);
    expect(Number(tg.deregistration_delay)).toBe(NLB_TIMERS.drainSeconds);
  });

  test("exactly one target-group attachment per control-plane node, on 6443", () => {
    const attachments = resourcesOf(result, "aws_lb_target_group_attachment");
    expect(attachments).toHaveLength(3);
    const targets = attachments.map((a) => a.target_id).sort();
    const instanceIds = Object.keys(result.plan.resource.aws_instance)
      .map((k) => `\${aws_instance.${k}.id}`)
      .sort();
    expect(targets).toEqual(instanceIds);
    for (const a of attachments) expect(a).toMatchObject({ target_group_arn: tgArn, port: 6443 });
  });
});

describe("the default stack's control-plane instances", () => {
  test("three instances, one in each private subnet, at fixed addresses", () => {
    expect(nodes).toHaveLength(3);
    expect(new Set(nodes.map((n) => n.subnet_id)).size).toBe(3);
    expect(nodes.map((n) => n.private_ip)).toEqual(["10.0.0.10", "10.0.16.10", "10.0.32.10"]);
  });

  test("every instance requires IMDSv2 and encrypts its root volume", () => {
    expect(result.json).toHaveResourceWithProperties(Instance, {
      metadata_options: {
        http_endpoint: "enabled",
        http_tokens: "required",
        http_put_response_hop_limit: 1,
        instance_metadata_tags: "disabled",
      },
    });
    for (const n of nodes) {
      expect(n.metadata_options).toMatchObject({
        http_tokens: "required",
        http_endpoint: "enabled",
        http_put_response_hop_limit: 1,
      });
      expect(n.root_block_device).toMatchObject({ encrypted: true, volume_type: "gp3" });
    }
  });

  test("no SSH key and no public address", () => {
    for (const n of nodes) {
      expect(n.key_name).toBeUndefined();
      expect(n.associate_public_ip_address).toBeUndefined();
    }
  });

  test("the image is Ubuntu 24.04 found at deploy time; image, user-data or instance-type changes never touch running nodes, nor does their own status tag", () => {
    const [param] = dataOf(result, "aws_ssm_parameter");
    expect(param.name).toBe("/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id");
    for (const n of nodes) {
      expect(n.ami).toMatch(/^\$\{data\.aws_ssm_parameter\..*\.insecure_value\}$/);
      expect(n.lifecycle.ignore_changes).toEqual([
        "ami",
        "user_data",
        "user_data_base64",
        "instance_type",
        'tags["kubeadm-ha:bootstrap"]',
        'tags_all["kubeadm-ha:bootstrap"]',
      ]);
      expect(n.user_data_replace_on_change).toBeUndefined();
    }
  });

  test("every node's fixed address is reserved (explicit) in its subnet, before the NLB and the instances exist", () => {
    const reservations = resourcesOf(result, "aws_ec2_subnet_cidr_reservation");
    expect(reservations.map((r) => [r.cidr_block, r.subnet_id, r.reservation_type])).toEqual(
      nodes.map((n) => [`${n.private_ip}/32`, n.subnet_id, "explicit"]),
    );
    const reservationRefs = Object.keys(result.plan.resource.aws_ec2_subnet_cidr_reservation).map(
      (k) => `aws_ec2_subnet_cidr_reservation.${k}`,
    );
    for (const dependent of [...nodes, ...resourcesOf(result, "aws_lb")])
      expect(dependent.depends_on).toEqual(expect.arrayContaining(reservationRefs));
  });

  test("instances wait for their IAM policy and for egress through NAT before booting", () => {
    for (const n of nodes) {
      expect(n.depends_on.some((d: string) => d.startsWith("aws_iam_role_policy."))).toBe(true);
      expect(n.depends_on.some((d: string) => d.startsWith("aws_route."))).toBe(true);
    }
  });
});

describe("each node's decoded user data", () => {
  // The cluster's own name for the endpoint (an alias to the NLB in a private zone), not the NLB's.
  const endpointHost = "api.kubeadm-ha.internal";

  test.each([0, 1, 2])(
    "node %i: a #cloud-config that writes the kubeadm config and scripts, then runs the bootstrap",
    (i) => {
      const { cloudConfig, files } = decoded[i];
      expect(cloudConfig.hostname).toBe(`kubeadm-ha-cp-${i}`);
      expect(Object.keys(files).sort()).toEqual(
        [
          "/etc/kubeadm-ha/node-settings.env",
          "/etc/kubeadm-ha/kubeadm-init.yaml",
          "/etc/kubeadm-ha/kubeadm-join.yaml",
          "/etc/kubeadm-ha/kubeadm-patches/etcd+strategic.yaml",
          "/etc/kubeadm-ha/kubeadm-patches/kube-apiserver+strategic.yaml",
          "/etc/kubeadm-ha/kubeadm-patches/kubeletconfiguration+strategic.yaml",
          "/etc/kubeadm-ha/kubeadm-upgrade.yaml",
          "/etc/chrony/sources.d/amazon-time-sync.sources",
          "/etc/containerd/config.toml",
          "/etc/crictl.yaml",
          "/etc/systemd/system/containerd.service",
          "/etc/systemd/system/kubeadm-ha-bootstrap.service",
          "/etc/systemd/system/kubeadm-ha-worker-token.service",
          "/etc/systemd/system/kubeadm-ha-worker-token.timer",
          "/opt/kubeadm-ha/bootstrap-control-plane.sh",
          "/opt/kubeadm-ha/cloud-aws.sh",
          "/opt/kubeadm-ha/common.sh",
          "/opt/kubeadm-ha/install-kubernetes.sh",
          "/opt/kubeadm-ha/kubeadm-common.sh",
          "/opt/kubeadm-ha/worker-token.sh",
        ].sort(),
      );
      // cloud-init only starts the bootstrap unit; systemd runs it (and again after a reboot, until it has succeeded).
      expect(cloudConfig.runcmd).toEqual([
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "--no-block", "kubeadm-ha-bootstrap.service"],
        ["systemctl", "enable", "--now", "kubeadm-ha-worker-token.timer"],
      ]);
      const unit = files["/etc/systemd/system/kubeadm-ha-bootstrap.service"].content;
      expect(unit).toMatch(/^ExecStart=\/opt\/kubeadm-ha\/bootstrap-control-plane\.sh$/m);
      expect(unit).toMatch(/^Type=oneshot$/m);
      expect(unit).toMatch(/^Restart=on-failure$/m);
      expect(unit).toMatch(/^ConditionPathExists=!\/var\/lib\/kubeadm-ha\/bootstrap\.done$/m);
    },
  );

  test.each([0, 1, 2])("node %i: kubeadm documents of the right kinds, every key a real v1beta4 field", (i) => {
    const init = yamlDocs(decoded[i].files["/etc/kubeadm-ha/kubeadm-init.yaml"].content);
    const join = yamlDocs(decoded[i].files["/etc/kubeadm-ha/kubeadm-join.yaml"].content);
    expect(init.map((d) => d.kind)).toEqual(["ClusterConfiguration", "InitConfiguration", "KubeletConfiguration"]);
    expect(join.map((d) => d.kind)).toEqual(["JoinConfiguration"]);
    for (const doc of [...init.slice(0, 2), ...join]) {
      expect(doc.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
      expect(unknownKubeadmFields(doc)).toEqual([]);
    }
    expect(init[2].apiVersion).toBe("kubelet.config.k8s.io/v1beta1");
  });

  test.each([0, 1, 2])(
    "node %i: controlPlaneEndpoint is the endpoint's own name, certSANs hold it and the NLB's, advertiseAddress is the node's own IP",
    (i) => {
      const ip = nodes[i].private_ip;
      const [cluster, init] = nodeKubeadmDocs(result, nodes[i]);
      const [join] = nodeKubeadmDocs(result, nodes[i], "kubeadm-join.yaml");
      expect(cluster.controlPlaneEndpoint).toBe(`${endpointHost}:6443`);
      expect(cluster.apiServer.certSANs).toEqual([endpointHost, lbRef("dns_name")]);
      expect(init.localAPIEndpoint.advertiseAddress).toBe(ip);
      expect(join.controlPlane.localAPIEndpoint.advertiseAddress).toBe(ip);
      // The provider ID comes from the instance metadata at boot (the bootstrap fills the placeholder in the kubelet's patch).
      expect(init.nodeRegistration.kubeletExtraArgs).toEqual([{ name: "node-ip", value: ip }]);
      expect(decoded[i].files["/etc/kubeadm-ha/kubeadm-patches/kubeletconfiguration+strategic.yaml"].content).toBe(
        "providerID: __PROVIDER_ID__\n",
      );
      expect(join.nodeRegistration.kubeletExtraArgs).toEqual(init.nodeRegistration.kubeletExtraArgs);
      expect(join.discovery.bootstrapToken.apiServerEndpoint).toBe(`${endpointHost}:6443`);
      expect(cluster.etcd).toEqual({ local: { dataDir: "/var/lib/etcd" } });
    },
  );

  test.each([0, 1, 2])(
    "node %i: node-settings.env names this node, its peers in order and where the deploy settings are",
    (i) => {
      const env = decoded[i].files["/etc/kubeadm-ha/node-settings.env"].content;
      expect(env).toContain(`NODE_INDEX='${i}'`);
      expect(env).toContain(`NODE_IP='${nodes[i].private_ip}'`);
      expect(env).toContain(`CONTROL_PLANE_IPS='10.0.0.10 10.0.16.10 10.0.32.10'`);
      expect(env).toContain(`DEPLOY_SETTINGS_PARAMETER='/kubeadm-ha/kubeadm-ha/deploy-settings'`);
      expect(env).toContain(`KUBERNETES_VERSION='1.37.1'`);
      expect(env).toContain(`KUBERNETES_PACKAGE_REPO='https://pkgs.k8s.io/core:/stable:/v1.37/deb/'`);
      expect(env).toContain(`CONTAINERD_VERSION='2.3.4'`);
      expect(env).toContain(`IMDS_ENDPOINT='http://169.254.169.254'`);
    },
  );

  test("user data is gzipped at synth, a literal (no deploy-time value in it), under EC2's 16 KB limit", () => {
    for (const n of nodes) {
      expect(n.user_data).toBeUndefined();
      expect(n.user_data_base64).toMatch(/^H4sI[A-Za-z0-9+/]+=*$/); // base64 of gzip's magic bytes, then the rest
      expect(userDataBytes(n)).toBeLessThan(16384);
    }
    for (const text of texts) expect(text).not.toMatch(/\$\{(data\.)?aws_/);
  });

  test("the deploy settings hold the endpoint's names and the secrets' ARNs: every node reads them, at boot", () => {
    const secretArn = (part: string) =>
      refTo(result, "aws_secretsmanager_secret", (s) => s.name_prefix.includes(part), "arn");
    expect(envValues(deploySettings)).toEqual({
      ENDPOINT_HOST: endpointHost,
      API_SERVER_EXTRA_NAMES: lbRef("dns_name"),
      JOIN_SECRET_ID: secretArn("control-plane-join"),
      ADMIN_KUBECONFIG_SECRET_ID: secretArn("admin"),
      WORKER_JOIN_SECRET_ID: secretArn("worker-join"),
    });
    const [parameter] = resourcesOf(result, "aws_ssm_parameter");
    expect(parameter).toMatchObject({
      name: "/kubeadm-ha/kubeadm-ha/deploy-settings",
      type: "String",
      tier: "Standard",
    });
    const parameterRef = refTo(result, "aws_ssm_parameter", () => true, "arn");
    for (const n of nodes) expect(n.depends_on).toContain(parameterRef.slice(2, -5));
  });

  test("scripts arrive byte for byte as userdata/ ships them, comment lines removed (the HCL escaping round-trips)", () => {
    for (const d of decoded) {
      for (const [path, file] of Object.entries(d.files).filter(([p]) => p.endsWith(".sh"))) {
        const name = path.split("/").pop()!;
        expect(file.content).toBe(shippedScript(name, readFileSync(join(USERDATA_DIR, name), "utf8")));
      }
    }
  });
});

describe("security groups", () => {
  const ingress = resourcesOf(result, "aws_vpc_security_group_ingress_rule");
  const egress = resourcesOf(result, "aws_vpc_security_group_egress_rule");

  test("no ingress rule is open to the world, and no inline rules hide elsewhere", () => {
    for (const rule of ingress) expect(rule.cidr_ipv4).not.toBe("0.0.0.0/0");
    for (const sg of resourcesOf(result, "aws_security_group")) {
      expect(sg.ingress).toBeUndefined();
      expect(sg.egress).toBeUndefined();
    }
  });

  test("the control plane accepts 6443 only from the endpoint, itself and the workers, 2379-2380 only from itself, 10250 from itself and the workers", () => {
    const toControlPlane = ingress.filter((r) => r.security_group_id === cpSgId);
    const summary = toControlPlane
      .map((r) => `${r.ip_protocol}/${r.from_port}-${r.to_port} from ${r.referenced_security_group_id ?? r.cidr_ipv4}`)
      .sort();
    expect(summary).toEqual(
      [
        `tcp/10250-10250 from ${cpSgId}`,
        `tcp/10250-10250 from ${workerSgId}`,
        `tcp/2379-2380 from ${cpSgId}`,
        `tcp/6443-6443 from ${cpSgId}`,
        `tcp/6443-6443 from ${nlbSgId}`,
        `tcp/6443-6443 from ${workerSgId}`,
      ].sort(),
    );
  });

  test("no SSH: port 22 is never opened", () => {
    for (const rule of ingress) expect(rule.from_port <= 22 && 22 <= rule.to_port).toBe(false);
  });

  test("the internal endpoint admits 6443 from the VPC, the control plane and the workers only", () => {
    const toEndpoint = ingress.filter((r) => r.security_group_id === nlbSgId);
    expect(toEndpoint.map((r) => r.cidr_ipv4 ?? r.referenced_security_group_id).sort()).toEqual(
      ["10.0.0.0/16", cpSgId, workerSgId].sort(),
    );
    for (const r of toEndpoint) expect([r.from_port, r.to_port]).toEqual([6443, 6443]);
  });

  test("the control plane may reach the NLB on 6443 (kube-proxy and admin kubeconfigs use it)", () => {
    const toEndpoint = egress.filter(
      (r) => r.security_group_id === cpSgId && r.referenced_security_group_id === nlbSgId,
    );
    expect(toEndpoint.map((r) => [r.ip_protocol, r.from_port, r.to_port])).toEqual([["tcp", 6443, 6443]]);
  });

  test("egress to the world is limited to HTTP and HTTPS (packages, AWS APIs, images), for the control plane and the workers", () => {
    const world = egress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0");
    expect(world.map((r) => `${r.security_group_id} ${r.ip_protocol}/${r.from_port}-${r.to_port}`).sort()).toEqual(
      [cpSgId, workerSgId].flatMap((sg) => [`${sg} tcp/443-443`, `${sg} tcp/80-80`]).sort(),
    );
  });

  test("the workers accept only the kubelet API, from the control plane and each other; they reach the API servers directly and through the NLB", () => {
    const toWorkers = ingress.filter((r) => r.security_group_id === workerSgId);
    expect(
      toWorkers
        .map((r) => `${r.ip_protocol}/${r.from_port}-${r.to_port} from ${r.referenced_security_group_id}`)
        .sort(),
    ).toEqual([`tcp/10250-10250 from ${cpSgId}`, `tcp/10250-10250 from ${workerSgId}`].sort());
    const fromWorkers = egress.filter((r) => r.security_group_id === workerSgId && r.cidr_ipv4 === undefined);
    expect(
      fromWorkers
        .map((r) => `${r.ip_protocol}/${r.from_port}-${r.to_port} to ${r.referenced_security_group_id}`)
        .sort(),
    ).toEqual(
      [
        `tcp/10250-10250 to ${cpSgId}`,
        `tcp/10250-10250 to ${workerSgId}`,
        `tcp/6443-6443 to ${cpSgId}`,
        `tcp/6443-6443 to ${nlbSgId}`,
      ].sort(),
    );
  });
});

describe("IAM", () => {
  const policyDocs = dataOf(result, "aws_iam_policy_document");
  const permissions = policyDocs.find((d) => d.statement.some((s: any) => s.sid === "JoinSecret"))!;
  const secretArn = refTo(result, "aws_secretsmanager_secret", (s) => s.name_prefix.includes("join"), "arn");
  const adminSecretArn = refTo(result, "aws_secretsmanager_secret", (s) => s.name_prefix.includes("admin"), "arn");

  const roleArn = (prefix: string) => refTo(result, "aws_iam_role", (r) => r.name_prefix === prefix, "arn");
  const secretStatementsOf = (rolePrefix: string) => {
    const role = refTo(result, "aws_iam_role", (r) => r.name_prefix === rolePrefix, "id");
    const policy = resourcesOf(result, "aws_iam_role_policy").find(
      (p) => p.role === role && p.name === "kubeadm-ha-control-plane",
    )!;
    const doc = JSON.parse(result.json).data.aws_iam_policy_document[
      /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(policy.policy)![1]
    ];
    return doc.statement
      .filter((s: any) => s.actions.some((a: string) => a.startsWith("secretsmanager:")))
      .map((s: any) => [s.sid, s.actions.sort(), s.resources]);
  };
  /** A secret's resource policy, statement by statement: [effect, actions, the principals it spares]. */
  const resourcePolicyOf = (plan: typeof result, secret: string) => {
    const policy = resourcesOf(plan, "aws_secretsmanager_secret_policy").find((p) => p.secret_arn === secret)!;
    const doc = JSON.parse(plan.json).data.aws_iam_policy_document[
      /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(policy.policy)![1]
    ];
    return Object.fromEntries(doc.statement.map((s: any) => [s.sid, [s.effect, s.principals, s.actions, s.condition]]));
  };

  test("only node 0 (kubeadm init) may write the join secret and the admin kubeconfig; the other nodes may only read the join secret", () => {
    expect(secretStatementsOf("kubeadm-ha-cp0-")).toEqual([
      ["JoinSecret", ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], [secretArn]],
      ["AdminKubeconfigWrite", ["secretsmanager:PutSecretValue"], [adminSecretArn]],
    ]);
    expect(secretStatementsOf("kubeadm-ha-cp-")).toEqual([
      ["JoinSecretRead", ["secretsmanager:GetSecretValue"], [secretArn]],
    ]);
    const profile = (prefix: string) =>
      refTo(result, "aws_iam_instance_profile", (p) => p.name_prefix === prefix, "name");
    expect(nodes.map((n) => n.iam_instance_profile)).toEqual([
      profile("kubeadm-ha-cp0-"),
      profile("kubeadm-ha-cp-"),
      profile("kubeadm-ha-cp-"),
    ]);
  });

  test("the join secret's resource policy denies reading to all but the cluster's roles, and writing to all but node 0's", () => {
    const anyone = [{ type: "*", identifiers: ["*"] }];
    const sparing = (arns: string[]) => [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: arns }];
    expect(resourcePolicyOf(result, secretArn)).toEqual({
      OnlyItsWritersWrite: ["Deny", anyone, ["secretsmanager:PutSecretValue"], sparing([roleArn("kubeadm-ha-cp0-")])],
      OnlyItsReadersRead: [
        "Deny",
        anyone,
        ["secretsmanager:GetSecretValue"],
        sparing([roleArn("kubeadm-ha-cp-"), roleArn("kubeadm-ha-cp0-")]),
      ],
    });
    // The admin kubeconfig is read by operators through their own IAM; only its writing is held to node 0.
    expect(resourcePolicyOf(result, adminSecretArn)).toEqual({
      OnlyItsWritersWrite: ["Deny", anyone, ["secretsmanager:PutSecretValue"], sparing([roleArn("kubeadm-ha-cp0-")])],
    });
  });

  test("break-glass principals are spared by every deny; a customer-managed key encrypts the secrets, usable by the nodes only through Secrets Manager and only for their own secrets", () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const recovery = "arn:aws:iam::123456789012:role/cluster-recovery";
    const plan = synthStack({ secrets: { kmsKeyArn: key, breakGlassPrincipalArns: [recovery] } });
    const join = refTo(plan, "aws_secretsmanager_secret", (s) => s.name_prefix.includes("control-plane-join"), "arn");
    for (const [, , , condition] of Object.values<any>(resourcePolicyOf(plan, join)))
      expect(condition[0].values).toContain(recovery);
    expect(resourcesOf(plan, "aws_secretsmanager_secret").map((s) => s.kms_key_id)).toEqual([key, key, key]);
    const keyStatements = dataOf(plan, "aws_iam_policy_document")
      .flatMap((d) => d.statement)
      .filter((s: any) => s.resources?.includes(key));
    const viaSecretsManager = {
      test: "StringEquals",
      variable: "kms:ViaService",
      values: ["secretsmanager.${data.aws_region.cluster_region_807B4548.region}.amazonaws.com"],
    };
    // Secrets Manager names the secret in each KMS call's encryption context: a node's key use is held to its own secrets.
    const forSecrets = (...arns: string[]) => ({
      test: "StringEquals",
      variable: "kms:EncryptionContext:SecretARN",
      values: arns,
    });
    const kubeconfig = refTo(plan, "aws_secretsmanager_secret", (s) => s.name_prefix.includes("admin"), "arn");
    const workerJoin = refTo(plan, "aws_secretsmanager_secret", (s) => s.name_prefix.includes("worker-join"), "arn");
    expect(keyStatements.map((s: any) => [s.sid, s.actions, s.condition]).sort()).toEqual([
      ["SecretKeyRead", ["kms:Decrypt"], [viaSecretsManager, forSecrets(join)]],
      ["SecretKeyRead", ["kms:Decrypt"], [viaSecretsManager, forSecrets(workerJoin)]],
      ["SecretKeyReadWrite", ["kms:Decrypt", "kms:GenerateDataKey"], [viaSecretsManager, forSecrets(join, kubeconfig)]],
      ["SecretKeyReadWrite", ["kms:Decrypt", "kms:GenerateDataKey"], [viaSecretsManager, forSecrets(workerJoin)]],
    ]);
    expect(resourcesOf(result, "aws_secretsmanager_secret").map((s) => s.kms_key_id)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("with the account's Session Manager encryption and session logs, every node role may use that key, write under that bucket prefix and into that log group, and no more; without them, none of it", () => {
    const sessionKey = "arn:aws:kms:us-east-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab";
    const plan = synthStack({
      sessionManager: {
        kmsKeyArn: sessionKey,
        s3BucketName: "session-logs",
        s3KeyPrefix: "kubeadm-ha/",
        cloudWatchLogGroupName: "/ssm/sessions",
      },
    });
    const logs = (resource: string) =>
      `arn:\${data.aws_partition.cluster_partition_58BA2465.partition}:logs:\${data.aws_region.cluster_region_807B4548.region}:\${data.aws_caller_identity.cluster_account_9FA334D4.account_id}:${resource}`;
    const s3 = (resource: string) => `arn:\${data.aws_partition.cluster_partition_58BA2465.partition}:s3:::${resource}`;
    const expected = [
      ["SessionEncryption", ["kms:Decrypt", "kms:GenerateDataKey"], [sessionKey]],
      ["SessionLogsS3", ["s3:PutObject"], [s3("session-logs/kubeadm-ha/*")]],
      ["SessionLogsS3Encryption", ["s3:GetEncryptionConfiguration"], [s3("session-logs")]],
      [
        "SessionLogsCloudWatch",
        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        [logs("log-group:/ssm/sessions:*")],
      ],
      ["SessionLogsCloudWatchGroups", ["logs:DescribeLogGroups"], [logs("log-group:*")]],
    ];
    const nodeDocs = dataOf(plan, "aws_iam_policy_document").filter((d) =>
      d.statement.some((s: any) => s.sid === "BootstrapStatusTag"),
    );
    expect(nodeDocs).toHaveLength(3); // node 0's role, the other control-plane nodes', the workers'
    for (const doc of nodeDocs)
      expect(
        doc.statement.filter((s: any) => s.sid.startsWith("Session")).map((s: any) => [s.sid, s.actions, s.resources]),
      ).toEqual(expected);
    const all = dataOf(result, "aws_iam_policy_document").flatMap((d) => d.statement);
    expect(all.filter((s: any) => /^Session(Encryption|Logs)/.test(s.sid ?? ""))).toEqual([]);
  });

  test("nodes may only set the status tag, only on this cluster's instances in its region and account", () => {
    const tagging = permissions.statement.find((s: any) => s.sid === "BootstrapStatusTag");
    expect(tagging.actions).toEqual(["ec2:CreateTags"]);
    expect(tagging.resources).toEqual([
      "arn:${data.aws_partition.cluster_partition_58BA2465.partition}:ec2:${data.aws_region.cluster_region_807B4548.region}:${data.aws_caller_identity.cluster_account_9FA334D4.account_id}:instance/*",
    ]);
    expect(tagging.condition).toEqual(
      expect.arrayContaining([
        { test: "StringEquals", variable: "aws:ResourceTag/kubeadm-ha:cluster", values: ["kubeadm-ha"] },
        { test: "ForAllValues:StringEquals", variable: "aws:TagKeys", values: ["kubeadm-ha:bootstrap"] },
      ]),
    );
    for (const n of nodes) expect(n.tags["kubeadm-ha:cluster"]).toBe("kubeadm-ha");
  });

  test("no statement grants a wildcard action or an unconditioned wildcard resource (but Session Manager's, which take no resource)", () => {
    for (const doc of policyDocs) {
      for (const s of doc.statement) {
        for (const a of s.actions ?? []) expect(a).not.toMatch(/\*/);
        if (s.sid === "SessionManager") continue;
        if ((s.resources ?? []).some((r: string) => r.includes("*")))
          expect(s.condition?.length ?? 0).toBeGreaterThan(0);
      }
    }
  });

  test("SSM Session Manager replaces SSH, with only its own actions: no managed policy; of Parameter Store, only the deploy settings", () => {
    expect(resourcesOf(result, "aws_iam_role_policy_attachment")).toEqual([]);
    const sessionManager = policyDocs.flatMap((d) => d.statement).filter((s: any) => s.sid === "SessionManager");
    expect(sessionManager).toEqual(
      resourcesOf(result, "aws_iam_role").map(() => ({
        sid: "SessionManager",
        actions: [...SESSION_MANAGER_ACTIONS],
        resources: ["*"],
      })),
    );
    const parameterStatements = policyDocs
      .flatMap((d) => d.statement)
      .filter((s: any) => (s.actions ?? []).some((a: string) => /^ssm:.*Parameter/.test(a)));
    const deploySettingsArn = refTo(result, "aws_ssm_parameter", () => true, "arn");
    // One per role (node 0's and the others'), each reading that one parameter only.
    expect(parameterStatements).toEqual(
      resourcesOf(result, "aws_iam_role").map(() => ({
        sid: "DeploySettingsRead",
        actions: ["ssm:GetParameter"],
        resources: [deploySettingsArn],
      })),
    );
  });
});

describe("secrets", () => {
  test("the join, admin kubeconfig and worker join secrets are created empty: no secret version is in the plan", () => {
    expect(
      resourcesOf(result, "aws_secretsmanager_secret")
        .map((s) => s.name_prefix)
        .sort(),
    ).toEqual(["kubeadm-ha/admin-kubeconfig-", "kubeadm-ha/control-plane-join-", "kubeadm-ha/worker-join-"]);
    expect(result.plan.resource.aws_secretsmanager_secret_version).toBeUndefined();
  });

  test("no private key, bootstrap token or certificate key appears anywhere in the plan or user data", () => {
    const texts = [result.json, ...decoded.flatMap((d) => Object.values(d.files).map((f) => f.content))];
    for (const text of texts) {
      expect(text).not.toMatch(PRIVATE_KEY_PATTERN);
      expect(text).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
      expect(text).not.toMatch(/certificateKey/);
    }
  });
});

describe("outputs", () => {
  const output = (name: string) =>
    Object.entries(result.plan.output).find(([k]) => k.startsWith(`cluster_${name}_`))![1].value;

  test("API endpoint URL and host, join secret, shell and kubeconfig commands are outputs", () => {
    expect(output("api-endpoint-url")).toBe(`https://${lbRef("dns_name")}:6443`);
    expect(output("api-endpoint-host")).toBe("api.kubeadm-ha.internal");
    expect(output("shell-command")).toMatch(/^aws ssm start-session /);
  });

  test("the admin kubeconfig command reads the secret into a file, with no interactive session (no banner, no CRLF, nothing in Session Manager's logs)", () => {
    const adminSecretArn = refTo(result, "aws_secretsmanager_secret", (s) => s.name_prefix.includes("admin"), "arn");
    expect(output("admin-kubeconfig-command")).toBe(
      `aws secretsmanager get-secret-value --region \${data.aws_region.cluster_region_807B4548.region} --secret-id ${adminSecretArn} --query SecretString --output text > admin.conf`,
    );
  });
});

describe("an internet-facing endpoint is an addition: the nodes keep an internal one", () => {
  const exposed = synthStack({ endpoint: { type: "nlb", internetFacing: true, allowedCidrs: ["198.51.100.0/24"] } });
  const lbs = Object.entries(exposed.plan.resource.aws_lb);
  const internal = lbs.find(([, lb]) => lb.internal)!;
  const external = lbs.find(([, lb]) => !lb.internal)!;
  const host = (entry: [string, any]) => `\${aws_lb.${entry[0]}.dns_name}`;
  const sgRef = (name: string) => refTo(exposed, "aws_security_group", (sg) => sg.tags.Name === name, "id");

  test("two NLBs: the internal one in the private subnets, the internet-facing one in the public subnets, each with its own target group", () => {
    expect(lbs).toHaveLength(2);
    expect(internal[1].subnets.every((s: string) => s.includes("private"))).toBe(true);
    expect(external[1].subnets.every((s: string) => s.includes("public"))).toBe(true);
    expect(resourcesOf(exposed, "aws_lb_target_group")).toHaveLength(2);
    expect(resourcesOf(exposed, "aws_lb_target_group_attachment")).toHaveLength(6);
  });

  test("the nodes' controlPlaneEndpoint and join discovery are the internal endpoint's name; the public NLB's name is only a certificate SAN", () => {
    for (const node of resourcesOf(exposed, "aws_instance")) {
      const [cluster] = nodeKubeadmDocs(exposed, node);
      const [join] = nodeKubeadmDocs(exposed, node, "kubeadm-join.yaml");
      expect(cluster.controlPlaneEndpoint).toBe("api.kubeadm-ha.internal:6443");
      expect(join.discovery.bootstrapToken.apiServerEndpoint).toBe("api.kubeadm-ha.internal:6443");
      expect(cluster.apiServer.certSANs).toEqual(["api.kubeadm-ha.internal", host(internal), host(external)]);
      expect(envValues(deploySettingsText(exposed)).ENDPOINT_HOST).toBe("api.kubeadm-ha.internal");
    }
  });

  test("the allowed CIDRs reach only the internet-facing NLB; the internal one admits the VPC and the control plane", () => {
    const ingress = resourcesOf(exposed, "aws_vpc_security_group_ingress_rule");
    const cidrsOf = (sg: string) =>
      ingress.filter((r) => r.security_group_id === sg && r.cidr_ipv4).map((r) => r.cidr_ipv4);
    expect(cidrsOf(sgRef("kubeadm-ha-public-api-endpoint"))).toEqual(["198.51.100.0/24"]);
    expect(cidrsOf(sgRef("kubeadm-ha-api-endpoint"))).toEqual(["10.0.0.0/16"]);
    expect(
      ingress.filter(
        (r) =>
          r.security_group_id === sgRef("kubeadm-ha-api-endpoint") &&
          r.referenced_security_group_id === sgRef("kubeadm-ha-control-plane"),
      ),
    ).toHaveLength(1);
  });

  test("the API endpoint output is the internet-facing URL", () => {
    const url = Object.entries(exposed.plan.output).find(([k]) => k.includes("api-endpoint-url"))![1].value;
    expect(url).toBe(`https://${host(external)}:6443`);
  });
});

describe("the endpoint's own name, which outlives any load balancer", () => {
  test("a private hosted zone CLUSTER.internal for the VPC, with api.CLUSTER.internal an alias to the internal NLB", () => {
    const [zone] = resourcesOf(result, "aws_route53_zone");
    expect(zone).toMatchObject({
      name: "kubeadm-ha.internal",
      vpc: [{ vpc_id: refTo(result, "aws_vpc", () => true, "id") }],
    });
    const [record] = resourcesOf(result, "aws_route53_record");
    expect(record).toMatchObject({
      zone_id: refTo(result, "aws_route53_zone", () => true, "zone_id"),
      name: "api.kubeadm-ha.internal",
      type: "A",
      alias: { name: lbRef("dns_name"), zone_id: lbRef("zone_id"), evaluate_target_health: false },
    });
  });

  test("a private zone of your own: the record goes there and no zone is created", () => {
    const own = synthStack({
      endpoint: { type: "nlb", privateDns: { zoneId: "Z0123456789ABCDEFGHIJ", name: "k8s-api.prod.example.internal" } },
    });
    expect(resourcesOf(own, "aws_route53_zone")).toEqual([]);
    expect(resourcesOf(own, "aws_route53_record")[0]).toMatchObject({
      zone_id: "Z0123456789ABCDEFGHIJ",
      name: "k8s-api.prod.example.internal",
    });
    const [cluster] = nodeKubeadmDocs(own, resourcesOf(own, "aws_instance")[0]);
    expect(cluster.controlPlaneEndpoint).toBe("k8s-api.prod.example.internal:6443");
  });

  test("privateDns: false uses the NLB's own name, and creates no zone or record", () => {
    const bare = synthStack({ endpoint: { type: "nlb", privateDns: false } });
    expect(resourcesOf(bare, "aws_route53_zone")).toEqual([]);
    expect(resourcesOf(bare, "aws_route53_record")).toEqual([]);
    const [cluster] = nodeKubeadmDocs(bare, resourcesOf(bare, "aws_instance")[0]);
    expect(cluster.controlPlaneEndpoint).toBe(`${refTo(bare, "aws_lb", () => true, "dns_name")}:6443`);
  });
});

describe("zones: enough of them, chosen once, offering every instance type", () => {
  const plan = JSON.parse(result.json);
  const [choiceId] = Object.keys(plan.resource.terraform_data ?? {});
  const choice = plan.resource.terraform_data?.[choiceId];

  test("every subnet's zone is an element of one stored choice, which later zone lists do not change", () => {
    const zonesOf = (type: string) => resourcesOf(result, type).map((s) => s.availability_zone);
    for (const zone of [...zonesOf("aws_subnet")])
      expect(zone).toMatch(
        new RegExp(`^\\$\\{element\\(terraform_data\\.${choiceId}\\.output\\["zones"\\], \\d\\)\\}$`),
      );
    expect(choice.lifecycle.ignore_changes).toEqual(["input"]);
    expect(choice.triggers_replace).toEqual({ zoneCount: "3" });
    // The region's zone list is not filtered by state: an impaired zone must not shift the count.
    expect(dataOf(result, "aws_availability_zones")[0].state).toBeUndefined();
  });

  test("the choice takes only zones that offer every instance type in use, one offerings lookup per type", () => {
    const external = synthStack({
      etcd: { topology: "external", instanceType: "m7g.large" },
      endpoint: { type: "keepalived", placement: "dedicated", virtualIp: "192.168.255.10" },
    });
    const lookups = dataOf(external, "aws_ec2_instance_type_offerings");
    expect(lookups.map((l) => [l.location_type, l.filter[0].values])).toEqual([
      ["availability-zone", ["t3.medium"]],
      ["availability-zone", ["t3.small"]],
      ["availability-zone", ["m7g.large"]],
    ]);
    const [input] = Object.values<any>(JSON.parse(external.json).resource.terraform_data).map((c) => c.input.zones);
    for (const id of Object.keys(JSON.parse(external.json).data.aws_ec2_instance_type_offerings))
      expect(input).toContain(`data.aws_ec2_instance_type_offerings.${id}.locations`);
  });

  test("the checks name the prop to change (their evaluation by Terraform is in test/system/terraform.test.ts)", () => {
    const messages = choice.lifecycle.precondition.map((c: any) => c.error_message);
    expect(messages[0]).toMatch(/^network\.zoneCount is 3 but this region has only \$\{length\(/);
    expect(messages[1]).toMatch(/^instanceType "t3\.medium" is offered in only/);
    expect(choice.lifecycle.postcondition[0].condition).toContain("self.output.zones");
  });

  test("given zones or existing subnets: each offerings lookup checks its type against them", () => {
    const given = synthStack({ network: { availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] } });
    expect(JSON.parse(given.json).resource.terraform_data).toBeUndefined();
    expect(
      resourcesOf(given, "aws_subnet")
        .map((s) => s.availability_zone)
        .slice(0, 3),
    ).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    const [lookup] = dataOf(given, "aws_ec2_instance_type_offerings");
    expect(lookup.lifecycle.postcondition[0].error_message).toMatch(
      /^instanceType "t3\.medium" is not offered in .* \(network\.availabilityZones\)/,
    );
  });
});
