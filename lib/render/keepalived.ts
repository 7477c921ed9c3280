import { KEEPALIVED_DEFAULTS, KeepalivedEndpointSpec, VrrpPeerSpec } from "../cluster-spec";
import { NODE_PATHS } from "./paths";

/**
 * Failover timers (measured in test/system/keepalived.test.ts, figures in docs/topologies.md). VRRPv3 adverts every 0.2 s make a dead master
 * lose the VIP in about 3 x 0.2 s plus skew; a failing check script (1 s interval, 2 failures) drops
 * its priority below every peer; HAProxy marks a dead API server down after 2 checks 500 ms apart.
 */
export const FAILOVER_TIMERS = {
  vrrpVersion: 3,
  /** The default; each endpoint's own is `advertIntervalSeconds` (a prop). */
  advertIntervalSeconds: KEEPALIVED_DEFAULTS.advertIntervalSeconds,
  checkIntervalSeconds: 1,
  checkTimeoutSeconds: 1,
  checkFall: 2,
  checkRise: 2,
  haproxyCheckIntervalMs: 500,
  haproxyFall: 2,
  haproxyRise: 2,
  /**
   * A VPC's round trip is about a millisecond even across zones, and a lost SYN is resent only after
   * Linux's 1 s initial RTO: waiting longer than this for a connect only delays the retry on another
   * server (a dead node's API server, until its checks mark it down, black-holes SYNs).
   */
  haproxyConnectTimeoutMs: 100,
  /** The default (a prop): a peer that (re)starts waits this long before it takes the VIP back, so a rebooting node settles first. */
  preemptDelaySeconds: KEEPALIVED_DEFAULTS.preemptDelaySeconds,
  /** While master, the notify script's guard re-asserts the VIP in AWS this often (a failed or raced move gets corrected). */
  vipReassertSeconds: 15,
} as const;

/** keepalived follows the HAProxy process itself (kernel process events): a dead HAProxy puts its peer in FAULT at once. */
export const HAPROXY_PROCESS = "haproxy";

/**
 * HAProxy's own health endpoint on loopback, for keepalived's check: 200 while HAProxy runs and has at
 * least one API server up, 503 otherwise. Checking through the API port instead would fail whenever a
 * request lands on a dead server not yet marked down, and make the VIP flap between healthy peers.
 */
export const HAPROXY_MONITOR = { port: 8404, path: "/healthz" } as const;

/**
 * cloud-init system config for every VRRP peer. By default cloud-init's EC2 datasource renders every
 * secondary address the metadata lists as a static address of the interface
 * (cloudinit/sources/DataSourceEc2.py, apply_full_imds_network_config, default true), so a peer whose
 * network config is rendered while AWS delivers the VIP to it (a new instance id, a hotplug, boot
 * events turned on) would bring the VIP up as BACKUP and answer for it. keepalived alone places it.
 * Datasource settings are system config (/etc/cloud/cloud.cfg.d), not user data
 * (doc/rtd/reference/datasources/ec2.rst, "Configuration").
 */
export const VRRP_PEER_CLOUD_CFG = {
  path: "/etc/cloud/cloud.cfg.d/99-kubeadm-ha-vrrp-peer.cfg",
  content:
    "# keepalived alone places the VIP: never configure the interface's secondary addresses from metadata.\ndatasource:\n  Ec2:\n    apply_full_imds_network_config: false\n",
} as const;

/** Replaced at boot by the interface that carries the peer's address (never hard-coded). */
export const INTERFACE_PLACEHOLDER = "__INTERFACE__";

/** keepalived.conf for one peer: unicast VRRPv3, script security on, no vrrp_strict. */
export function renderKeepalivedConf(endpoint: KeepalivedEndpointSpec, self: VrrpPeerSpec): string {
  const t = FAILOVER_TIMERS;
  const others = endpoint.peers.filter((p) => p.index !== self.index);
  const notify = (state: string) => `"${NODE_PATHS.scripts}/keepalived-notify.sh ${state}"`;
  return `# keepalived for the Kubernetes API VIP ${endpoint.virtualIp} (${endpoint.vipMode}, ${endpoint.placement}); rendered from the cluster spec.
global_defs {
    router_id ${self.name}
    vrrp_version ${t.vrrpVersion}
    script_user root
    enable_script_security
}

vrrp_script check_api_path {
    script "${NODE_PATHS.scripts}/check-apiserver.sh"
    interval ${t.checkIntervalSeconds}
    timeout ${t.checkTimeoutSeconds}
    fall ${t.checkFall}
    rise ${t.checkRise}
    weight ${endpoint.checkWeight}
}

vrrp_track_process haproxy_running {
    process ${HAPROXY_PROCESS}
    quorum 1
}

vrrp_instance kubernetes_api {
    state BACKUP
    interface ${INTERFACE_PLACEHOLDER}
    virtual_router_id ${endpoint.virtualRouterId}
    priority ${self.priority}
    advert_int ${endpoint.advertIntervalSeconds}
    ${endpoint.preempt ? `preempt_delay ${endpoint.preemptDelaySeconds}` : "nopreempt"}
    unicast_src_ip ${self.privateIp}
    unicast_peer {
${others.map((p) => `        ${p.privateIp}`).join("\n")}
    }
    virtual_ipaddress {
        ${endpoint.virtualIp}/32 dev ${INTERFACE_PLACEHOLDER}
    }
    track_script {
        check_api_path
    }
    track_process {
        haproxy_running
    }
    notify_master ${notify("master")}
    # A master that stalled (paused, starved, a link blip) may have lost the VIP to a backup, whose move
    # now sends traffic to it; when the master resumes, it stays master (no notify_master) and sees that
    # peer's lower-priority advert: move the VIP back here. (keepalived >= 2.0.6, written for this AWS case:
    # ChangeLog "Add notify_master_rx_lower_pri"; doc/man/man5/keepalived.conf.5.in)
    notify_master_rx_lower_pri ${notify("master")}
    notify_backup ${notify("backup")}
    notify_fault ${notify("fault")}
}
`;
}

export interface HaproxyBackend {
  readonly name: string;
  readonly address: string;
}

/**
 * haproxy.cfg: TCP to every API server, HTTPS /readyz checks, timeouts that keep watches and
 * `kubectl logs -f` alive. A server marked down keeps its sessions (they end by themselves).
 */
export function renderHaproxyCfg(
  port: number,
  backends: HaproxyBackend[],
  apiServerPort: number,
  statsSocket = "/run/haproxy/admin.sock",
): string {
  const t = FAILOVER_TIMERS;
  return `# HAProxy for the Kubernetes API; rendered from the cluster spec.
global
    log stdout format raw local0 info
    # Started as root to bind; then confined to an empty folder as the unprivileged haproxy user.
    chroot /var/lib/haproxy
    user haproxy
    group haproxy
    stats socket ${statsSocket} mode 600 level admin

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    # A failed connect is retried at once on another server (redispatch on every retry; the 1 s
    # turn-around timer applies only to the same server). retry-on is HTTP-only: TCP mode retries the
    # connect alone. (HAProxy 2.6 configuration.txt: retries, option redispatch <interval>, retry-on)
    retries 2
    option redispatch 1
    timeout connect ${t.haproxyConnectTimeoutMs}ms
    timeout client 4h
    timeout server 4h
    timeout tunnel 24h
    timeout client-fin 10s
    timeout server-fin 10s

frontend kubernetes-api
    bind :${port}
    default_backend kubernetes-api

frontend monitor
    mode http
    option httplog
    bind 127.0.0.1:${HAPROXY_MONITOR.port}
    monitor-uri ${HAPROXY_MONITOR.path}
    monitor fail if { nbsrv(kubernetes-api) lt 1 }

backend kubernetes-api
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    default-server check check-ssl verify none inter ${t.haproxyCheckIntervalMs}ms fall ${t.haproxyFall} rise ${t.haproxyRise}
${backends.map((b) => `    server ${b.name} ${b.address}:${apiServerPort}`).join("\n")}
`;
}
