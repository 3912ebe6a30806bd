#!/usr/bin/env bash
# KVM CRIU lane: tests/integration/checkpoint.bats with a criu that works.
# Debian 12's criu 3.17 fails `criu check` on the development hosts' Linux
# 6.18 (it cannot parse the vDSO/vvar layout of Linux >= 6.13, fixed in
# criu 4.1), so the checkpoint/restore tests that need it skip there; this
# lane boots Debian's own kernel (6.1) under qemu (scripts/kvm/lane.sh) and
# runs them with the host's criu binary copied in, WARD_REQUIRE_CRIU=1 making
# a criu that does not work a failure instead of a skip.
#
# What criu needs that the initramfs guest lacks: the modules a normal
# system loads on demand (sock_diag for the sockets it dumps, nf_tables for
# its network lock, nf_conntrack_netlink for the conntrack table it dumps;
# the guest has no modprobe), tar and gzip (tmpfs contents).
# A pure cgroup v2 guest, as in the cgroup lane. The tests with the
# stand-in criu need Debian's python3, which the guest has not: they skip
# here and run on the hosts.
# Any LANE_* variable, WARD and KVM_CACHE may be overridden;
# docs/testing-kvm.md has the details.
cd "$(dirname "$0")/../.." || exit 1
export LANE_NAME=${LANE_NAME:-kvm criu lane}
export LANE_BATS=${LANE_BATS:-checkpoint.bats}
export LANE_CMDLINE=${LANE_CMDLINE:-console=ttyS0 rdinit=/init cgroup_no_v1=all panic=-1 quiet}
export LANE_MODULES=${LANE_MODULES-crc32c_generic nf_tables nf_conntrack_netlink unix_diag inet_diag tcp_diag udp_diag netlink_diag af_packet_diag}
export LANE_DISK_MB=${LANE_DISK_MB-0}
export LANE_PACKAGES="${LANE_PACKAGES:-} criu tar gzip"
export LANE_HOST_BINS="${LANE_HOST_BINS:-} criu tar gzip"
# libc-bin: ldd, which a test uses to copy setpriv into a container.
export LANE_GUEST_PKGS=${LANE_GUEST_PKGS-coreutils procps util-linux findutils grep sed libc-bin}
export LANE_GUEST_ENV="${LANE_GUEST_ENV:+$LANE_GUEST_ENV
}WARD_REQUIRE_CRIU=1"
# Under TCG only the tests that need criu run here (the others run on every
# host, and each costs seconds under emulation); LANE_FULL=1 runs all.
tcg_tests=(
	'^criu: '
	'^a container where only some processes have no_new_privs'
	'^a process ward exec started'
)
export LANE_TCG_FILTER=${LANE_TCG_FILTER-$(IFS='|'; echo "${tcg_tests[*]}")}
[ "${WARD_SLOW_LANES:-0}" = 1 ] && export LANE_FULL=1
export LANE_TCG_WHY=${LANE_TCG_WHY-"they need no criu and run on the hosts"}
exec scripts/kvm/lane.sh
