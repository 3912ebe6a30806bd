#!/usr/bin/env bats
# Checks of the KVM guest lane's guest itself (tests/lanes/kvm-guest.sh): the
# cgroup hierarchy is pure v2 with the controllers delegated, AppArmor is
# active with apparmor_parser at hand, and ward runs a container there,
# placed in a v2 cgroup with its limits applied. A guest that is not what the
# other bats files assume fails here, instead of making them skip.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

@test "lane: /sys/fs/cgroup is cgroup2 and the only cgroup mount" {
	run awk '$3 == "cgroup" || $3 == "cgroup2" { print $2, $3 }' /proc/mounts
	[ "$output" = "/sys/fs/cgroup cgroup2" ]
	[ -f /sys/fs/cgroup/cgroup.controllers ]
}

@test "lane: the root offers and delegates cpu, memory, pids, io" {
	local c
	for c in cpu memory pids io cpuset; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.controllers || { echo "$c not offered" >&2; return 1; }
		grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control || { echo "$c not enabled" >&2; return 1; }
	done
}

@test "lane: ward run echo in the guest" {
	set_args echo hello from the guest
	run_ward run -b "$BUNDLE" lane-echo
	assert_success
	[ "$output" = "hello from the guest" ]
	assert_no_leftovers lane-echo
}

@test "lane: ward puts a container in a v2 cgroup with its limits" {
	update_config '.linux.resources.pids.limit = 42 | .linux.resources.memory.limit = 67108864'
	set_args sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max'
	run_ward run -b "$BUNDLE" lane-cg
	assert_success
	[ "$(sed -n 1p <<<"$output")" = "0::/" ]
	[ "$(sed -n 2p <<<"$output")" = 42 ]
	[ "$(sed -n 3p <<<"$output")" = 67108864 ]
	assert_no_leftovers lane-cg
}

@test "lane: AppArmor is the active LSM, securityfs is mounted, apparmor_parser loads a profile" {
	[ "$(cat /sys/module/apparmor/parameters/enabled)" = Y ]
	grep -qw apparmor /sys/kernel/security/lsm
	[ -d /sys/kernel/security/apparmor/policy ]
	local p=lane-sanity-$$
	echo "profile $p { file, }" >"$BATS_TEST_TMPDIR/p"
	apparmor_parser --replace --skip-cache --quiet "$BATS_TEST_TMPDIR/p" 2>/dev/null
	grep -qx "$p (enforce)" /sys/kernel/security/apparmor/profiles
	apparmor_parser --remove "$BATS_TEST_TMPDIR/p" 2>/dev/null
	! grep -q "^$p " /sys/kernel/security/apparmor/profiles
}
