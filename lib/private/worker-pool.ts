import { IConstruct } from "constructs";
import { ClusterSpec, resolveWorkerPool, WorkerPoolInput, WorkerPoolSpec } from "../cluster-spec";
import { claimPoolName, describeWorkerPool, WorkerPoolDescription } from "../model";
import { renderWorkerUserData } from "../render/internal";
import { loadNodeScripts } from "./node-scripts";

/**
 * What both flavours' WorkerPool start from, before the construct exists: the pool's props resolved
 * and checked (named by its construct id unless the props name it), its name claimed in its cluster,
 * its description, and the user data of every node of the pool.
 */
export function prepareWorkerPool(
  scope: IConstruct,
  id: string,
  cluster: ClusterSpec,
  input: WorkerPoolInput,
  isUnresolved: (value: unknown) => boolean,
): { spec: WorkerPoolSpec; description: WorkerPoolDescription; userData: string } {
  const spec = resolveWorkerPool({ ...input, name: input.name ?? id }, cluster, { isUnresolved });
  claimPoolName(scope, scope.node.path ? `${scope.node.path}/${id}` : id, cluster.clusterName, spec.name);
  return {
    spec,
    description: describeWorkerPool(cluster, spec),
    userData: renderWorkerUserData({ spec: cluster, pool: spec }, loadNodeScripts()),
  };
}
