import { Testing } from "cdktf";
import { EXAMPLES } from "../../examples";
import {
  PRIVATE_KEY_PATTERN,
  decodeInstanceUserData,
  resourcesOf,
  synthOf,
  userDataBytes,
  nodeKubeadmDocs,
} from "../helpers";

Testing.setupJest();

/** What each example must build: [control-plane nodes, load balancers, etcd members, NLBs, controlPlaneEndpoint pattern, etcd mode]. */
const EXPECTED: Record<string, [number, number, number, number, RegExp, "local" | "external"]> = {
  "nlb-stacked": [3, 0, 0, 1, /^api\.[a-z0-9-]+\.internal:6443$/, "local"],
  "nlb-external-etcd": [3, 0, 3, 2, /^api\.[a-z0-9-]+\.internal:6443$/, "external"], // an internal NLB for the nodes, an internet-facing one
  "keepalived-stacked": [5, 0, 0, 0, /^192\.168\.255\.10:8443$/, "local"],
  "keepalived-external-etcd": [3, 2, 3, 0, /^192\.168\.255\.20:6443$/, "external"],
};

test("there is one example per endpoint and etcd combination", () => {
  expect(Object.keys(EXAMPLES).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(Object.keys(EXPECTED))("example %s", (name) => {
  const result = synthOf((app) => new EXAMPLES[name](app, name) as any);
  const instances = resourcesOf(result, "aws_instance");
  const byRole = (role: string) => instances.filter((i) => i.tags["kubeadm-ha:role"] === role);
  const [controlPlane, loadBalancers, etcdMembers, nlbs, endpoint, etcdMode] = EXPECTED[name];

  test("builds the nodes and the endpoint of its topology", () => {
    expect([byRole("control-plane").length, byRole("api-load-balancer").length, byRole("etcd").length]).toEqual([
      controlPlane,
      loadBalancers,
      etcdMembers,
    ]);
    expect(resourcesOf(result, "aws_lb")).toHaveLength(nlbs);
    expect(JSON.parse(result.json).provider.aws).toEqual([expect.objectContaining({ region: "eu-west-1" })]);
  });

  test("every control-plane node's kubeadm config has the endpoint and the etcd mode", () => {
    for (const node of byRole("control-plane")) {
      const [cluster] = nodeKubeadmDocs(result, node);
      expect(cluster.controlPlaneEndpoint).toMatch(endpoint);
      expect(Object.keys(cluster.etcd)).toEqual([etcdMode]);
    }
  });

  test("every instance waits for its egress: the private subnets' default routes and route-table associations", () => {
    const plan = JSON.parse(result.json);
    const egress = [
      ...Object.keys(plan.resource.aws_route ?? {})
        .filter((id) => /private-\d+-default/.test(id))
        .map((id) => `aws_route.${id}`),
      ...Object.keys(plan.resource.aws_route_table_association ?? {})
        .filter((id) => /private-\d+-association/.test(id))
        .map((id) => `aws_route_table_association.${id}`),
    ];
    expect(egress.length).toBeGreaterThan(0);
    for (const i of instances)
      expect({ node: i.tags.Name, waitsFor: i.depends_on }).toEqual({
        node: i.tags.Name,
        waitsFor: expect.arrayContaining(egress),
      });
  });

  test("a keepalived VIP survives the loss of any zone: routed, its peers in more than one subnet", () => {
    const routes = resourcesOf(result, "aws_route").filter((r) => r.destination_cidr_block?.endsWith("/32"));
    const peers = instances.filter((i) => i.source_dest_check === false);
    if (loadBalancers === 0 && nlbs > 0) return; // an NLB spans the zones itself
    expect(routes.length).toBeGreaterThan(0); // no secondary-IP VIP: that one lives in one subnet
    expect(new Set(peers.map((i) => i.subnet_id)).size).toBeGreaterThan(1);
  });

  test("every instance is hardened, and its user data is small and free of secrets", () => {
    for (const i of instances) {
      expect(i.metadata_options.http_tokens).toBe("required");
      expect(i.root_block_device.encrypted).toBe(true);
      const { raw } = decodeInstanceUserData(i);
      expect(userDataBytes(i)).toBeLessThan(16384);
      expect(raw).not.toMatch(PRIVATE_KEY_PATTERN);
    }
  });
});
