#!/usr/bin/env bash
# Boot a test lane's guest: qemu-system-x86_64 with the kernel and initramfs
# given, the console (ttyS0) written to LOG, a hard timeout, and a boot
# watchdog (the guest /init must print "lane-info: init reached" in time).
# Exits with qemu's status (0 after the guest powers off or panics: panic=-1
# and -no-reboot end qemu), 124 when the timeout hit, 125 when the watchdog
# killed a guest that never reached /init.
# Usage: scripts/kvm/run-guest.sh KERNEL INITRD LOG
# Env:
#   LANE_ACCEL        kvm (default) or tcg (software emulation, slow)
#   LANE_CMDLINE      whole kernel command line (default below)
#   LANE_CMDLINE_EXTRA appended to it (e.g. "apparmor=1 security=apparmor")
#   LANE_TIMEOUT      seconds for the whole run (default 300)
#   LANE_BOOT_TIMEOUT seconds until /init must have started (default 60)
#   LANE_CPU          qemu -cpu model (host under KVM; qemu64 under TCG, which
#                     ran the cgroup lane ~12% faster than max)
#   LANE_MEM, LANE_SMP  guest memory in MiB (2048) and CPUs (2)
#   LANE_DISK_MB      if set and > 0, a sparse raw virtio disk of that size
#                     (the guest needs LANE_MODULES="virtio_pci virtio_blk")
#   LANE_VERBOSE=1    also copy the console to stderr while it runs
set -euo pipefail
kernel=${1:?usage: run-guest.sh KERNEL INITRD LOG}
initrd=${2:?usage: run-guest.sh KERNEL INITRD LOG}
log=${3:?usage: run-guest.sh KERNEL INITRD LOG}

cmdline=${LANE_CMDLINE:-console=ttyS0 rdinit=/init cgroup_no_v1=all panic=-1 quiet}
[ -n "${LANE_CMDLINE_EXTRA:-}" ] && cmdline="$cmdline $LANE_CMDLINE_EXTRA"

# shellcheck disable=SC2054 # the commas are qemu's option syntax
case ${LANE_ACCEL:-kvm} in
kvm) accel=(-enable-kvm -cpu "${LANE_CPU:-host}") ;;
tcg) accel=(-accel tcg,thread=multi -cpu "${LANE_CPU:-qemu64}") ;;
*) echo "run-guest: LANE_ACCEL must be kvm or tcg" >&2; exit 2 ;;
esac
args=(
	"${accel[@]}" -m "${LANE_MEM:-2048}" -smp "${LANE_SMP:-2}"
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline"
	-nodefaults -no-user-config -display none -monitor none
	-serial "file:$log" -no-reboot
)
disk=
if [ "${LANE_DISK_MB:-0}" -gt 0 ]; then
	disk=$(mktemp "${TMPDIR:-/tmp}/ward-lane-disk.XXXXXX")
	truncate -s "${LANE_DISK_MB}M" "$disk"
	args+=(-drive "file=$disk,format=raw,if=virtio,cache=unsafe")
fi
qpid='' tailpid=''
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; fi
	if [ -n "$tailpid" ]; then kill "$tailpid" 2>/dev/null || true; fi
	if [ -n "$disk" ]; then rm -f "$disk"; fi
}
trap cleanup EXIT

: >"$log"
if [ -n "${LANE_VERBOSE:-}" ]; then
	tail -n +1 -f "$log" >&2 &
	tailpid=$!
fi
timeout -k 10 "${LANE_TIMEOUT:-300}" qemu-system-x86_64 "${args[@]}" </dev/null &
qpid=$!

# Boot watchdog: a guest that cannot boot (e.g. a stock kernel on a KVM that
# only runs paravirtualized guests) spins without output until the timeout.
deadline=$((SECONDS + ${LANE_BOOT_TIMEOUT:-60}))
while kill -0 "$qpid" 2>/dev/null; do
	grep -q 'lane-info: init reached' "$log" 2>/dev/null && break
	if [ "$SECONDS" -ge "$deadline" ]; then
		echo "run-guest: the guest did not reach /init within ${LANE_BOOT_TIMEOUT:-60} s; stopping it" >&2
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		qpid=
		exit 125
	fi
	sleep 0.2
done
rc=0
wait "$qpid" || rc=$?
qpid=
exit "$rc"
