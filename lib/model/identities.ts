/** What each node role and each cluster secret is, in the words both flavours give AWS (their descriptions). */
export function identityDescriptions(clusterName: string) {
  return {
    roles: {
      controlPlaneSeed: `Control-plane node 0 of ${clusterName}: runs kubeadm init`,
      controlPlane: `Control-plane nodes 1+ of ${clusterName}`,
      etcdSeed: `etcd member 0 of ${clusterName}: creates the etcd PKI`,
      etcd: `etcd members 1+ of ${clusterName}`,
      loadBalancers: `keepalived + HAProxy load balancers of ${clusterName}`,
      worker: `Worker nodes of ${clusterName}: join with the published bootstrap token`,
    },
    secrets: {
      join: `Shared roots (CAs, service-account key) of ${clusterName}, written by control-plane node 0`,
      adminKubeconfig: `Admin kubeconfig of ${clusterName} (cluster-admin), written by control-plane node 0`,
      etcdCa: `etcd CA of ${clusterName}, written by etcd member 0; readable by the etcd members only`,
      etcdClient: `The API server's etcd client certificate of ${clusterName}, written by etcd member 0`,
      workerJoin: `Worker bootstrap token and CA hash of ${clusterName} (no key), kept current by the control plane`,
    },
  } as const;
}
