#!/usr/bin/env bash
# KVM SELinux lane: tests/integration/selinux.bats on Debian 12's own kernel
# (6.1) booted with security=selinux under qemu (scripts/kvm/lane.sh). The
# hosts run without SELinux, and in this kernel SELinux and AppArmor are
# both "exclusive" LSMs, so it cannot share the AppArmor guest's boot
# (tests/lanes/kvm-guest.sh): this is a second, short boot.
#
# The guest loads a small policy written for the tests,
# scripts/kvm/selinux-policy.cil, compiled here with secilc (Debian package
# secilc, installed on first use) and cached by content; Debian's own
# selinux-policy-default is not used (see docs/testing-kvm.md: it needs a
# labelled root file system and allows no transition from the guest's
# kernel_t init into a container domain). scripts/kvm/selinux-setup.sh
# loads the policy and switches to enforcing before bats runs.
# WARD_REQUIRE_SELINUX=1 in the guest makes a missing SELinux a failure.
# Any LANE_* variable, WARD and KVM_CACHE may be overridden;
# docs/testing-kvm.md has the details.
cd "$(dirname "$0")/../.." || exit 1
name=${LANE_NAME:-kvm selinux lane}
cil=scripts/kvm/selinux-policy.cil
cache=${KVM_CACHE:-$PWD/tests/fixtures/cache/kvm}
export LANE_NAME=$name
export LANE_BATS=${LANE_BATS:-selinux.bats}
export LANE_CMDLINE=${LANE_CMDLINE:-console=ttyS0 rdinit=/init cgroup_no_v1=all security=selinux panic=-1 quiet}
export LANE_MODULES=${LANE_MODULES-}
export LANE_DISK_MB=${LANE_DISK_MB-0}
export LANE_PACKAGES="${LANE_PACKAGES:-} secilc"
export LANE_GUEST_SETUP=${LANE_GUEST_SETUP:-scripts/kvm/selinux-setup.sh}
export LANE_GUEST_ENV="${LANE_GUEST_ENV:+$LANE_GUEST_ENV
}WARD_REQUIRE_SELINUX=1"

# The compiled policy, before lane.sh builds the guest. Not root: lane.sh
# reports the skip.
if [ "$(id -u)" = 0 ]; then
	if ! command -v secilc >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends secilc \
			>/dev/null 2>&1 ||
			{
				DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
					DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends secilc
			} >/dev/null 2>&1 ||
			{ echo "not ok 1 - $name: cannot install secilc (apt-get install secilc)"; exit 1; }
	fi
	mkdir -p "$cache/selinux"
	key=$({ cat "$cil"; dpkg-query -W secilc 2>&1; } | sha256sum | cut -c1-16)
	policy=$cache/selinux/policy-$key.bin
	if [ ! -s "$policy" ]; then
		if ! out=$(secilc -o "$policy.tmp" -f /dev/null "$cil" 2>&1); then
			echo "not ok 1 - $name: secilc cannot compile $cil"
			printf '%s\n' "$out" | sed 's/^/# /'
			exit 1
		fi
		mv -f "$policy.tmp" "$policy"
	fi
	export LANE_GUEST_FILES="${LANE_GUEST_FILES:-} $policy:selinux-policy.bin"
fi
exec scripts/kvm/lane.sh
