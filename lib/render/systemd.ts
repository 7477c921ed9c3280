import { NODE_PATHS } from "./paths";

export const BOOTSTRAP_UNIT = "kubeadm-ha-bootstrap.service";
export const VIP_GUARD_UNIT = "kubeadm-ha-vip-guard.service";
export const WORKER_TOKEN_UNIT = "kubeadm-ha-worker-token.service";
export const WORKER_TOKEN_TIMER = "kubeadm-ha-worker-token.timer";
/**
 * The worker token's lifetime and when it is renewed: a published token always has at least
 * RENEW - CHECK left (11 h 50 min), far more than a join takes, and lives TTL (24 h, kubeadm's default).
 */
export const WORKER_TOKEN_TIMES = { ttlSeconds: 86_400, renewSeconds: 43_200, checkSeconds: 600 } as const;
/** Written by a node's bootstrap script once it has fully succeeded; the unit never runs again after it. */
export const BOOTSTRAP_DONE_FILE = `${NODE_PATHS.state}/bootstrap.done`;
/** systemd's default path, plus /snap/bin where the AWS CLI lands. */
const UNIT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin";

/**
 * The unit that bootstraps a node: a oneshot restarted on failure (a reboot or a power loss mid-way
 * resumes where the done marker says), started by cloud-init on first boot and by systemd on every
 * boot until it has succeeded once. At most 10 starts a day: a node that cannot succeed stays failed
 * with its status tag saying where. Ordered after multi-user.target explicitly, as cloud-init's own
 * units are: cloud-final runs after multi-user.target, so a unit wanted by that target and ordered
 * after cloud-final alone would be in an ordering cycle, and systemd would drop it at the next boot.
 */
export function renderBootstrapUnit(what: string, execStart: string): string {
  return `[Unit]
Description=kubeadm-ha bootstrap: ${what}
Wants=network-online.target
After=network-online.target multi-user.target cloud-final.service
ConditionPathExists=!${BOOTSTRAP_DONE_FILE}
StartLimitIntervalSec=1d
StartLimitBurst=10

[Service]
Type=oneshot
ExecStart=${execStart}
Restart=on-failure
RestartSec=30
TimeoutStartSec=infinity
Environment=PATH=${UNIT_PATH}
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;
}

/** The loop that re-asserts the VIP in AWS while this peer is the VRRP master (see keepalived-notify.sh). */
export function renderVipGuardUnit(): string {
  return `[Unit]
Description=kubeadm-ha: keep the API VIP routed to this peer while it is the VRRP master
After=keepalived.service
PartOf=keepalived.service

[Service]
Type=simple
ExecStart=${NODE_PATHS.scripts}/keepalived-notify.sh guard
Restart=always
RestartSec=5
Environment=PATH=${UNIT_PATH}

[Install]
WantedBy=keepalived.service
`;
}

/** The control plane's worker token keeper (worker-token.sh), and the timer that runs it every few minutes. */
export function renderWorkerTokenUnits(): { service: string; timer: string } {
  return {
    service: `[Unit]
Description=kubeadm-ha: keep a current worker bootstrap token in the worker join secret
After=network-online.target kubelet.service
ConditionPathExists=${BOOTSTRAP_DONE_FILE}

[Service]
Type=oneshot
ExecStart=${NODE_PATHS.scripts}/worker-token.sh
# A run hung on a half-dead API connection would block every later one: only the leader writes.
TimeoutStartSec=5min
Environment=PATH=${UNIT_PATH}
`,
    timer: `[Unit]
Description=kubeadm-ha: run the worker token keeper every ${WORKER_TOKEN_TIMES.checkSeconds / 60} minutes

[Timer]
OnBootSec=1min
OnUnitActiveSec=${WORKER_TOKEN_TIMES.checkSeconds}s
RandomizedDelaySec=30s

[Install]
WantedBy=timers.target
`,
  };
}

export function unitPath(unit: string): string {
  return `/etc/systemd/system/${unit}`;
}
