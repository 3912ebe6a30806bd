#!/usr/bin/env bash
# Landlock lane: tests/integration/landlock.bats on Debian 12's own kernel
# (Linux 6.1: Landlock ABI 2), booted under qemu by scripts/kvm/lane.sh. The
# development hosts run a kernel with every Landlock right ward knows (ABI
# 7), so only here do the best-effort paths really run: rights newer than
# the kernel (truncate, net ports, ioctl_dev, scopes, restrictSelf flags)
# dropped and reported, refused with disableBestEffort, and the tests that
# need a newer ABI skip, saying which.
# The probe (tests/landlock/llprobe.c) and ward-static are built on the host
# and copied in (the guest has no compiler). Any LANE_* variable, WARD and
# KVM_CACHE may be overridden; docs/testing-kvm.md has the details.
cd "$(dirname "$0")/../.." || exit 1
name=${LANE_NAME:-landlock lane (Linux 6.1, Landlock ABI 2)}
[ -x scripts/kvm/lane.sh ] || { echo "ok 1 - $name # skip scripts/kvm/lane.sh is missing"; exit 0; }
# Under TCG emulation (no hardware KVM: a PVM /dev/kvm as on this project's
# machines, or none) the file takes 12-15 minutes, too long for every run of
# the suite: it runs only with hardware KVM, or when WARD_SLOW_LANES=1.
if [ "${WARD_SLOW_LANES:-0}" != 1 ] && [ -z "${LANE_ACCEL:-}" ] &&
	! { [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; }; then
	echo "ok 1 - $name # skip no hardware KVM here: under TCG emulation this lane takes ~15 min (WARD_SLOW_LANES=1 runs it)"
	exit 0
fi
cache=${KVM_CACHE:-$PWD/tests/fixtures/cache/kvm}
mkdir -p "$cache/llprobe"
probe=$(cd "$cache/llprobe" && pwd)/llprobe
if ! cc -static -O2 -o "$probe.tmp" tests/landlock/llprobe.c 2>"$cache/llprobe/cc.log"; then
	echo "not ok 1 - $name: cannot build tests/landlock/llprobe.c (cc -static)"
	sed 's/^/# /' "$cache/llprobe/cc.log"
	exit 1
fi
mv -f "$probe.tmp" "$probe"
ward=${WARD:-$PWD/build/ward}
bins="$probe"
env="LLPROBE=$probe"
if [ -x "$(dirname "$ward")/ward-static" ]; then
	bins="$bins $(cd "$(dirname "$ward")" && pwd)/ward-static"
	env="$env
WARD_STATIC=$(cd "$(dirname "$ward")" && pwd)/ward-static"
fi
export LANE_NAME=$name
export LANE_BATS=${LANE_BATS:-landlock.bats}
# Under TCG emulation (no usable KVM) the file takes about 14 minutes.
export LANE_TIMEOUT=${LANE_TIMEOUT:-2400}
export LANE_HOST_BINS="${LANE_HOST_BINS:-} $bins"
export LANE_GUEST_ENV="${LANE_GUEST_ENV:+$LANE_GUEST_ENV
}$env"
exec scripts/kvm/lane.sh
