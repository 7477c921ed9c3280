#!/usr/bin/env bash
# Boots one node of the rehearsal. Runs as root in a new mount, UTS and PID namespace, inside the
# node's network namespace (node-boot.ts starts it so). The node's root is an overlay of this
# machine's root: every change the boot makes lands in DIR/upper, nothing touches the machine.
# The boot is what an instance does: /run starts empty, the kernel modules and sysctls configured in
# the image are applied and its fstab's swap comes on (what systemd does early), then cloud-init's
# four stages process the user data from the NoCloud seed, then systemd starts the queued and
# enabled units (the systemctl stand-in). With KEEP=1 the namespace stays up (the node's daemons
# keep serving) until the process is killed. Usage: node-boot.sh DIR WORLD
set -euo pipefail
dir=${1:?usage: node-boot.sh DIR WORLD} world=${2:?}
m=$dir/merged
mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$m"
mount -t proc proc "$m/proc"
mount --rbind /dev "$m/dev"
mount -t sysfs -o ro sysfs "$m/sys"
mount -t tmpfs -o mode=0755 tmpfs "$m/run"
mkdir -p "$m/var/lib/kubeadm-standin/world"
mount --bind "$world" "$m/var/lib/kubeadm-standin/world"

chroot "$m" /bin/bash -s <<'BOOT'
set -uo pipefail
mkdir -p /run/standin /var/log/standin
boot=$(($(cat /var/log/standin/boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/var/log/standin/boots
# The image, prepared once before its first boot (node-boot.ts wrote the script).
if [ "$boot" = 1 ] && [ -x /usr/local/lib/rehearsal/image-setup.sh ]; then /usr/local/lib/rehearsal/image-setup.sh; fi
printf 'Filename\tType\tSize\tUsed\tPriority\n' >/run/standin/swaps
if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab; then printf '/swap.img\tfile\t2097148\t0\t-2\n' >>/run/standin/swaps; fi
cat /etc/modules-load.d/*.conf 2>/dev/null | grep -v '^#' | xargs -r modprobe
sysctl --system >/dev/null 2>&1
status=0
{ cloud-init init --local && cloud-init init && cloud-init modules --mode=config && cloud-init modules --mode=final; } || status=$?
echo "boot $boot: cloud-init exit $status" >>/var/log/standin/boot.log
systemctl __boot
echo "boot $boot: systemd started its units" >>/var/log/standin/boot.log
touch "/var/log/standin/booted.$boot"
BOOT

if [ "${KEEP:-}" = 1 ]; then exec sleep infinity; fi
