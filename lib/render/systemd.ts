import { NODE_PATHS } from "./paths";

export const BOOTSTRAP_UNIT = "kubeadm-ha-bootstrap.service";
export const VIP_GUARD_UNIT = "kubeadm-ha-vip-guard.service";
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

/** A job the control-plane nodes run on a timer once bootstrapped: its script, what it does, how often. */
export interface KeeperJob {
  /** The unit's name, kubeadm-ha-NAME.service and .timer. */
  readonly name: string;
  readonly script: "worker-token.sh" | "serving-approver.sh";
  readonly description: string;
  readonly everySeconds: number;
}

export const KEEPER_JOBS: readonly KeeperJob[] = [
  {
    name: "worker-token",
    script: "worker-token.sh",
    description: "keep a current worker bootstrap token in the worker join secret",
    everySeconds: WORKER_TOKEN_TIMES.checkSeconds,
  },
  {
    name: "serving-approver",
    script: "serving-approver.sh",
    // A kubelet serves nothing until its certificate is approved: kubectl logs and exec wait for it.
    description: "approve the kubelets' serving certificate requests that match their Node",
    everySeconds: 30,
  },
];

/** A keeper job's oneshot service and the timer that runs it (its files, and the timer to enable). */
export function renderKeeperUnits(job: KeeperJob): { files: { path: string; content: string }[]; timer: string } {
  const timer = `kubeadm-ha-${job.name}.timer`;
  return {
    timer,
    files: [
      {
        path: unitPath(`kubeadm-ha-${job.name}.service`),
        content: `[Unit]
Description=kubeadm-ha: ${job.description}
After=network-online.target kubelet.service
ConditionPathExists=${BOOTSTRAP_DONE_FILE}

[Service]
Type=oneshot
ExecStart=${NODE_PATHS.scripts}/${job.script}
# A run hung on a half-dead API connection would block every later one.
TimeoutStartSec=5min
Environment=PATH=${UNIT_PATH}
`,
      },
      {
        path: unitPath(timer),
        content: `[Unit]
Description=kubeadm-ha: ${job.description}, every ${job.everySeconds} s

[Timer]
OnBootSec=1min
OnUnitActiveSec=${job.everySeconds}s
RandomizedDelaySec=${Math.min(30, job.everySeconds / 2)}s

[Install]
WantedBy=timers.target
`,
      },
    ],
  };
}

export function unitPath(unit: string): string {
  return `/etc/systemd/system/${unit}`;
}
