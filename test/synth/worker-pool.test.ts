/** A worker pool in the cdktf flavour: its launch template, its Auto Scaling group, its names, and the default app's pool. */
import { App, TerraformStack, Testing } from "cdktf";
import { readSettings, SettingsError } from "../../bin/app";
import { KubeadmCluster, WorkerPool } from "../../lib/cdktf";
import { ClusterSpecError } from "../../lib/cluster-spec";
import { loadNodeScripts } from "../../lib/private/node-scripts";
import { encodeUserData, renderWorkerUserData } from "../../lib/render/internal";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  PRIVATE_KEY_PATTERN,
  refTo,
  resourcesOf,
  synthOf,
  synthStack,
  userDataBytes,
  userDataText,
} from "../helpers";

Testing.setupJest();

const result = synthStack();
const [template] = resourcesOf(result, "aws_launch_template");
const [group] = resourcesOf(result, "aws_autoscaling_group");
const workerSg = refTo(result, "aws_security_group", (sg) => sg.tags.Name === "kubeadm-ha-workers", "id");
const workerRole = refTo(result, "aws_iam_role", (r) => r.name_prefix === "kubeadm-ha-worker-", "name");
const workerProfile = refTo(result, "aws_iam_instance_profile", (p) => p.role === workerRole, "arn");

describe("the default app's pool", () => {
  test("one group and one launch template, named after the cluster and the pool", () => {
    expect(resourcesOf(result, "aws_autoscaling_group")).toHaveLength(1);
    expect(resourcesOf(result, "aws_launch_template")).toHaveLength(1);
    expect(group.name).toBe("kubeadm-ha-workers");
    expect(template.name_prefix).toBe("kubeadm-ha-workers-");
  });

  test("two workers to start with, up to four, over the three private subnets", () => {
    expect([group.min_size, group.desired_capacity, group.max_size]).toEqual([2, 2, 4]);
    const privateSubnets = resourcesOf(result, "aws_subnet")
      .filter((s) => !s.map_public_ip_on_launch && /private/.test(s.tags.Name))
      .map((s) => s.cidr_block);
    expect(privateSubnets).toHaveLength(3);
    const subnetCidrs = (group.vpc_zone_identifier as string[]).map((ref) => {
      const name = /^\$\{aws_subnet\.([^.]+)\.id\}$/.exec(ref)![1];
      return result.plan.resource.aws_subnet[name].cidr_block;
    });
    expect(subnetCidrs.sort()).toEqual(privateSubnets.sort());
  });

  test("the launch template: IMDSv2 only with hop limit 1, an encrypted gp3 root, the workers' group and role only, Ubuntu resolved at launch", () => {
    expect(template.metadata_options).toEqual({
      http_endpoint: "enabled",
      http_tokens: "required",
      http_put_response_hop_limit: 1,
      instance_metadata_tags: "disabled",
    });
    expect(template.block_device_mappings).toEqual([
      {
        device_name: "/dev/sda1",
        ebs: { encrypted: "true", volume_type: "gp3", volume_size: 50, delete_on_termination: "true" },
      },
    ]);
    expect(template.vpc_security_group_ids).toEqual([workerSg]);
    expect(template.iam_instance_profile).toEqual({ arn: workerProfile });
    expect(template.image_id).toBe(
      "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
    );
    expect(template.key_name).toBeUndefined();
    expect(template.update_default_version).toBe(true);
  });

  test("its user data is the pool's rendered worker user data, under EC2's limit, with no key, token or certificate", () => {
    const text = userDataText(template);
    expect(text).toMatch(/^#cloud-config\n/);
    expect(text).not.toMatch(PRIVATE_KEY_PATTERN);
    expect(text).not.toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(text).not.toMatch(/BEGIN CERTIFICATE/);
    expect(userDataBytes({ user_data_base64: template.user_data })).toBeLessThan(16384);
    expect(text).toContain("bootstrap-worker.sh");
    expect(text).not.toContain("bootstrap-control-plane.sh");
  });

  test("instances and volumes are tagged with the cluster, the pool and their role; the group's own tags are not propagated", () => {
    const [instance, volume] = ["instance", "volume"].map(
      (type) => template.tag_specifications.find((t: any) => t.resource_type === type)?.tags,
    );
    const expected = {
      "kubeadm-ha:cluster": "kubeadm-ha",
      "kubeadm-ha:role": "worker",
      "kubeadm-ha:pool": "workers",
      Name: "kubeadm-ha-workers",
    };
    expect(instance).toEqual(expected);
    expect(volume).toEqual(expected);
    for (const tag of group.tag) expect(tag.propagate_at_launch).toBe(false);
  });

  test("the Cluster Autoscaler finds the group by its tags, and builds a node of it from the pool's label", () => {
    const tags = Object.fromEntries(group.tag.map((t: any) => [t.key, t.value]));
    expect(tags).toMatchObject({
      "k8s.io/cluster-autoscaler/enabled": "true",
      "k8s.io/cluster-autoscaler/kubeadm-ha": "owned",
      "k8s.io/cluster-autoscaler/node-template/label/kubeadm-ha.io/pool": "workers",
    });
  });

  test("a changed template rolls the nodes: the group names the template's latest version number, with an instance refresh that keeps every node until its replacement is up", () => {
    expect(group.launch_template).toEqual({
      id: expect.stringMatching(/^\$\{aws_launch_template\.[^.]+\.id\}$/),
      version: expect.stringMatching(/^\$\{aws_launch_template\.[^.]+\.latest_version\}$/),
    });
    expect(group.mixed_instances_policy).toBeUndefined();
    expect(group.instance_refresh).toEqual({
      strategy: "Rolling",
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 110, instance_warmup: "300" },
    });
    expect([group.health_check_type, group.health_check_grace_period]).toEqual(["EC2", 300]);
  });

  test("Terraform leaves the size to the Cluster Autoscaler once created", () => {
    expect(group.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
  });

  test("the group waits for the workers' policy, the egress routes, the workers' rules and the deploy settings", () => {
    const deps: string[] = group.depends_on;
    expect(deps.filter((d) => d.startsWith("aws_iam_role_policy.cluster_worker-identity_policy"))).toHaveLength(1);
    expect(deps.filter((d) => d.startsWith("aws_route."))).toHaveLength(3);
    expect(deps.some((d) => /^aws_ssm_parameter\..*deploy-settings/.test(d))).toBe(true);
    const workerRules = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
      Object.entries<any>(result.plan.resource[type])
        // The cluster's own rules (the endpoint's are its construct's: a join retries until they exist).
        .filter(([name, r]) => r.security_group_id === workerSg && !name.includes("api-endpoint"))
        .map(([name]) => `${type}.${name}`),
    );
    expect(workerRules.length).toBeGreaterThan(0);
    expect(deps).toEqual(expect.arrayContaining(workerRules));
  });
});

describe("pools made by hand", () => {
  const build = (pools: (cluster: KubeadmCluster) => void) =>
    synthOf((app: App) => {
      const stack = new TerraformStack(app, "pools");
      pools(new KubeadmCluster(stack, "cluster", { clusterName: "pools" }));
      return stack;
    });

  test("several pools: each its own group, template and label, named by its construct id unless named", () => {
    const synthesized = build((cluster) => {
      cluster.addWorkerPool("general");
      cluster.addWorkerPool("gpu", {
        instanceTypes: ["g6.xlarge", "g5.xlarge"],
        minSize: 0,
        taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
      });
      new WorkerPool(cluster, "Arm", { cluster, name: "arm", instanceTypes: ["m7g.large"] });
    });
    const groups = resourcesOf(synthesized, "aws_autoscaling_group");
    expect(groups.map((g) => g.name).sort()).toEqual(["pools-arm", "pools-general", "pools-gpu"]);
    const gpu = groups.find((g) => g.name === "pools-gpu")!;
    expect(gpu.mixed_instances_policy.launch_template.override).toEqual([
      { instance_type: "g6.xlarge" },
      { instance_type: "g5.xlarge" },
    ]);
    expect(gpu.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_allocation_strategy: "prioritized",
      on_demand_percentage_above_base_capacity: 100,
    });
    expect(gpu.tag).toContainEqual({
      key: "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu",
      value: "true:NoSchedule",
      propagate_at_launch: false,
    });
    const images = resourcesOf(synthesized, "aws_launch_template").map(
      (t) => /\/current\/([a-z0-9]+)\//.exec(t.image_id)![1],
    );
    expect(images.sort()).toEqual(["amd64", "amd64", "arm64"]);
    // One user data per pool, each with its own name in its settings.
    const texts = resourcesOf(synthesized, "aws_launch_template").map((t) => userDataText(t));
    for (const name of ["general", "gpu", "arm"])
      expect(texts.filter((t) => t.includes(`POOL_NAME='${name}'`))).toHaveLength(1);
  });

  test("the launch template's user data is renderWorkerUserData's, byte for byte", () => {
    let made: { cluster: KubeadmCluster; pool: WorkerPool } | undefined;
    const synthesized = build((cluster) => {
      made = { cluster, pool: cluster.addWorkerPool("general", { labels: { "example.com/team": "data" } }) };
    });
    const [lt] = resourcesOf(synthesized, "aws_launch_template");
    const rendered = renderWorkerUserData({ spec: made!.cluster.spec, pool: made!.pool.spec }, loadNodeScripts());
    expect(made!.pool.userData).toBe(rendered);
    expect(lt.user_data).toBe(encodeUserData(rendered, "worker of pool general"));
    expect(rendered).toContain("example.com/team=data,kubeadm-ha.io/pool=general");
  });

  test("two pools of one name fail before anything is made, naming both and the fix", () => {
    const error = (() => {
      try {
        build((cluster) => {
          cluster.addWorkerPool("workers");
          cluster.addWorkerPool("more", { name: "workers" });
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ClusterSpecError);
    expect((error as Error).message).toMatch(
      /Invalid WorkerPool "workers" props[\s\S]*name: "workers" is also the name of the pool at pools\/cluster\/workers of cluster pools, and pools\/cluster\/more would collide with it[\s\S]*give each pool its own name/,
    );
  });

  test("a construct id that is no pool name fails naming the prop, the value and the fix", () => {
    expect(() => build((cluster) => cluster.addWorkerPool("Workers_1"))).toThrow(
      /name: "Workers_1" is not a DNS label of at most 20 characters/,
    );
  });
});

describe("the default app's settings for its pool", () => {
  const noContext = () => undefined;

  test("2 workers by default; KUBEADM_HA_WORKER_COUNT and KUBEADM_HA_WORKER_INSTANCE_TYPES change them; 0 makes no pool", () => {
    expect(readSettings({}, noContext).workers).toEqual({ minSize: 2, instanceTypes: undefined });
    expect(
      readSettings(
        { KUBEADM_HA_WORKER_COUNT: "5", KUBEADM_HA_WORKER_INSTANCE_TYPES: "m7i.large, m6i.large" },
        noContext,
      ).workers,
    ).toEqual({ minSize: 5, instanceTypes: ["m7i.large", "m6i.large"] });
    expect(readSettings({ KUBEADM_HA_WORKER_COUNT: "0" }, noContext).workers).toBeUndefined();
    const stack = synthStack({}, "us-east-1", false);
    expect(resourcesOf(stack, "aws_autoscaling_group")).toHaveLength(0);
  });

  test("a worker setting the pool refuses fails naming the variable, the value and the fix", () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        readSettings(env, noContext);
      } catch (e) {
        if (e instanceof SettingsError) return e.problems;
        throw e;
      }
      return [];
    };
    expect(problems({ KUBEADM_HA_WORKER_COUNT: "two" })).toEqual([
      'KUBEADM_HA_WORKER_COUNT="two" is not a whole number such as 3.',
    ]);
    expect(problems({ KUBEADM_HA_WORKER_INSTANCE_TYPES: "t3.medium,m7g.large" })).toEqual([
      expect.stringMatching(
        /^workers\.instanceTypes\[1\] \(KUBEADM_HA_WORKER_INSTANCE_TYPES="t3\.medium,m7g\.large"\): "m7g\.large" is arm64 but "t3\.medium" is amd64/,
      ),
    ]);
    expect(problems({ KUBEADM_HA_WORKER_COUNT: "0", KUBEADM_HA_WORKER_INSTANCE_TYPES: "m7i.large" })).toEqual([
      expect.stringMatching(
        /^KUBEADM_HA_WORKER_INSTANCE_TYPES="m7i\.large" applies only with KUBEADM_HA_WORKER_COUNT above 0/,
      ),
    ]);
  });
});
