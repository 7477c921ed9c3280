import { EndpointSpec, EtcdSpec, NLB_TIMERS } from "../cluster-spec";
import { FAILOVER_TIMERS } from "./keepalived";

/** Slack on top of each measured or documented bound. */
const MARGIN_SECONDS = 10;
/** What an API server may still be answering when its shutdown delay ends (requests time out at 60 s; most end far sooner). */
const IN_FLIGHT_SECONDS = 30;
/** Ordinary pods' share of a node shutdown, before critical pods (the control plane) are stopped. */
const REGULAR_PODS_SECONDS = 30;

export interface DrainTimers {
  /** Seconds the endpoint needs to stop sending new connections to an API server whose /readyz fails. */
  readonly endpointDetectionSeconds: number;
  /** kube-apiserver `--shutdown-delay-duration`: keeps serving while /readyz already fails, until the endpoint has let go. */
  readonly shutdownDelaySeconds: number;
  /** The API server pod's terminationGracePeriodSeconds: the delay, then the requests still in flight. */
  readonly terminationGraceSeconds: number;
  /**
   * Stacked etcd only: the local etcd the API server talks to must outlive it. On a node shutdown the
   * kubelet stops every critical pod at once, so etcd waits (a preStop sleep) as long as the API server
   * may still serve, then stops.
   */
  readonly etcdPreStopSeconds?: number;
  readonly etcdTerminationGraceSeconds?: number;
  /** Kubelet graceful node shutdown (`shutdownGracePeriod`, `shutdownGracePeriodCriticalPods`). */
  readonly nodeShutdownSeconds: number;
  readonly nodeShutdownCriticalPodsSeconds: number;
}

/**
 * How long an API server that is stopping (an upgrade, a reboot, an instance stop) keeps serving:
 * the endpoint must notice its failing /readyz and stop sending it new connections before it closes.
 * An NLB needs unhealthyThreshold checks plus its propagation (tens of seconds); HAProxy about 1 s.
 */
export function drainTimers(endpoint: EndpointSpec, etcd: EtcdSpec): DrainTimers {
  const detection =
    endpoint.type === "nlb"
      ? NLB_TIMERS.unhealthyThreshold * NLB_TIMERS.healthCheckIntervalSeconds + NLB_TIMERS.propagationSeconds
      : Math.ceil((FAILOVER_TIMERS.haproxyFall * FAILOVER_TIMERS.haproxyCheckIntervalMs) / 1000);
  const shutdownDelay = detection + MARGIN_SECONDS;
  const termination = shutdownDelay + IN_FLIGHT_SECONDS;
  const etcdDrain =
    etcd.topology === "stacked"
      ? { etcdPreStopSeconds: termination, etcdTerminationGraceSeconds: termination + MARGIN_SECONDS }
      : {};
  const critical = (etcdDrain.etcdTerminationGraceSeconds ?? termination) + MARGIN_SECONDS;
  return {
    endpointDetectionSeconds: detection,
    shutdownDelaySeconds: shutdownDelay,
    terminationGraceSeconds: termination,
    ...etcdDrain,
    nodeShutdownCriticalPodsSeconds: critical,
    nodeShutdownSeconds: critical + REGULAR_PODS_SECONDS,
  };
}
