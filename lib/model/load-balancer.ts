/**
 * The API servers' target group behind an NLB, as plain data: TCP to instance targets, HTTPS /readyz
 * health checks, client IP preservation off (a node routed to itself is not dropped), deregistered
 * and unhealthy targets drained rather than cut. Both flavours map it onto their target group.
 */
import { NLB_TIMERS } from "../cluster-spec/nlb";

export function apiTargetGroup(port: number) {
  return {
    port,
    protocol: "TCP",
    targetType: "instance",
    preserveClientIp: false,
    connectionTermination: false,
    drainSeconds: NLB_TIMERS.drainSeconds,
    healthCheck: {
      protocol: "HTTPS",
      path: "/readyz",
      port,
      matcher: "200",
      intervalSeconds: NLB_TIMERS.healthCheckIntervalSeconds,
      timeoutSeconds: NLB_TIMERS.healthCheckTimeoutSeconds,
      healthyThreshold: NLB_TIMERS.healthyThreshold,
      unhealthyThreshold: NLB_TIMERS.unhealthyThreshold,
    },
  } as const;
}
