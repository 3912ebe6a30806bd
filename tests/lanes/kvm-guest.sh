#!/usr/bin/env bash
# KVM guest lane: what the development hosts' kernel configuration cannot
# show, in one boot of Debian 12's own kernel (6.1) under qemu, everything in
# an initramfs (scripts/kvm/lane.sh):
#   - a pure cgroup v2 system (cgroup_no_v1=all; the hosts are v1/v2 hybrid):
#     tests/integration/cgroups.bats, including the v2 eBPF device filter;
#   - AppArmor active (Debian's kernel enables it; the hosts run without):
#     tests/integration/apparmor.bats, with apparmor_parser from the host's
#     apparmor package and WARD_REQUIRE_APPARMOR=1, so that a guest without
#     AppArmor fails instead of skipping;
#   - scripts/kvm/sanity-guest.bats first: the guest really is what the
#     tests assume (v2 only, controllers delegated, AppArmor on, ward runs).
# The guest's TAP goes to stdout (scripts/test.sh counts it). No usable
# accelerator: one skipped test; setup failure: one "not ok" saying what.
#
# With hardware KVM everything runs (about a minute). Under TCG emulation
# (this project's machines: their /dev/kvm is PVM, which cannot boot Debian's
# kernel) all of it takes about 10 minutes, so by default only the sanity
# checks, apparmor.bats and the cgroup tests of distinct v2 code paths run
# (LANE_TCG_FILTER below, about 3 minutes); the rest is one skipped line.
# LANE_FULL=1 (or WARD_SLOW_LANES=1) runs everything, LANE_TCG_FALLBACK=0
# skips the lane.
#
# A virtio disk (modules virtio_pci, virtio_blk from the kernel package) gives
# the io controller a real block device; the loop module gives the
# device-filter tests a device to open (/dev/loop0).
# Override any LANE_* variable (scripts/kvm/lane.sh), WARD, KVM_CACHE;
# docs/testing-kvm.md has the details.
cd "$(dirname "$0")/../.." || exit 1
export LANE_NAME=${LANE_NAME:-kvm guest lane}
export LANE_BATS=${LANE_BATS:-scripts/kvm/sanity-guest.bats cgroups.bats apparmor.bats}
export LANE_CMDLINE=${LANE_CMDLINE:-console=ttyS0 rdinit=/init cgroup_no_v1=all apparmor=1 panic=-1 quiet}
export LANE_MODULES=${LANE_MODULES-virtio_pci virtio_blk loop}
export LANE_DISK_MB=${LANE_DISK_MB-64}
export LANE_PACKAGES="${LANE_PACKAGES:-} apparmor"
export LANE_HOST_BINS="${LANE_HOST_BINS:-} apparmor_parser"
export LANE_GUEST_ENV="${LANE_GUEST_ENV:+$LANE_GUEST_ENV
}WARD_REQUIRE_APPARMOR=1"
# Under TCG: one test per distinct v2 code path (memory, cpu weight and max,
# pids, io, the eBPF device filter, unified, freeze, update, cleanup after a
# refused create), plus everything of the guest checks and AppArmor.
tcg_tests=(
	'^lane: '
	'^apparmor: '
	'^memory\.limit sets '
	'^cpu\.shares sets '
	'^cpu\.quota/period set '
	'^pids\.limit is visible '
	'^blockIO\.weight sets '
	'^devices: '
	'^linux\.resources\.unified is applied on cgroup v2'
	'^ward pause freezes '
	'^ward update --memory 64m '
	'^a create that the kernel rejects '
)
export LANE_TCG_FILTER=${LANE_TCG_FILTER-$(IFS='|'; echo "${tcg_tests[*]}")}
# WARD_SLOW_LANES=1 (the suite-wide switch for slow lanes) means everything.
[ "${WARD_SLOW_LANES:-0}" = 1 ] && export LANE_FULL=1
export LANE_TCG_WHY=${LANE_TCG_WHY-"all of it takes about 10 minutes under TCG emulation"}
exec scripts/kvm/lane.sh
