/** The run-time shape (lib/cluster-spec/shape.ts) is the props' interfaces (lib/cluster-spec/types.ts), key for key and type for type. */
import { join } from "path";
import { readInterfaceDocs } from "../../scripts/api-reference";
import { CLUSTER_SHAPE, Field, Shape, WORKER_POOL_SHAPE } from "../../lib/cluster-spec/shape";

const variantsOf = (field: Field) => (field.kind === "variants" ? field.variants.shapes : {});
const objectOf = (field: Field) => (field.kind === "object" || field.kind === "objects" ? field.shape : {});
const SHAPES: Record<string, Shape> = {
  ClusterInput: CLUSTER_SHAPE,
  NlbEndpointInput: variantsOf(CLUSTER_SHAPE.endpoint).nlb,
  PrivateDnsInput: objectOf(variantsOf(CLUSTER_SHAPE.endpoint).nlb.privateDns),
  KeepalivedEndpointInput: variantsOf(CLUSTER_SHAPE.endpoint).keepalived,
  StackedEtcdInput: variantsOf(CLUSTER_SHAPE.etcd).stacked,
  ExternalEtcdInput: variantsOf(CLUSTER_SHAPE.etcd).external,
  NewNetworkInput: variantsOf(CLUSTER_SHAPE.network).new,
  ExistingNetworkInput: variantsOf(CLUSTER_SHAPE.network).existing,
  SubnetInput: objectOf(variantsOf(CLUSTER_SHAPE.network).existing.privateSubnets),
  SecretsInput: objectOf(CLUSTER_SHAPE.secrets),
  SessionManagerInput: objectOf(CLUSTER_SHAPE.sessionManager),
  WorkerPoolInput: WORKER_POOL_SHAPE,
  TaintInput: objectOf(WORKER_POOL_SHAPE.taints),
};

/** The shape's kind for a TypeScript type as written in types.ts. */
function kindOf(type: string): string {
  if (/^("[^"]*"( \| "[^"]*")*|string)$/.test(type)) return "string";
  if (type === "number" || type === "boolean") return type;
  if (type === "string[]") return "strings";
  if (type === "Record<string, string>") return "tags";
  if (type === "NodeLabels") return "labels";
  if (/^[A-Z]\w*Input\[\]$/.test(type)) return "objects";
  if (/^[A-Z]\w*Input \| false$/.test(type)) return "object|false";
  if (["EndpointInput", "EtcdInput", "NetworkInput"].includes(type)) return "variants";
  if (/^[A-Z]\w*Input$/.test(type)) return "object";
  return `unknown type ${type}`;
}
const kindOfField = (field: Field) => (field.kind === "object" && field.orFalse ? "object|false" : field.kind);

test.each(readInterfaceDocs(join(__dirname, "../../lib/cluster-spec/types.ts")).map((doc) => [doc.name, doc] as const))(
  "%s: every prop is in the shape with its type, and nothing else",
  (name, doc) => {
    const shape = SHAPES[name];
    expect(shape).toBeDefined();
    const fromTypes = Object.fromEntries(doc.props.map((p) => [p.name, kindOf(p.type)]));
    const fromShape = Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, kindOfField(field)]));
    expect(fromShape).toEqual(fromTypes);
  },
);
