#!/usr/bin/env bats
# Regressions for what real engines revealed (tests/engines/): each test
# reproduces, with plain ward and no engine, what podman or containerd asks of
# the runtime, so these run everywhere the integration tests run.
# Container ids start with "er-" and carry the test's pid so that concurrent
# runs never share a cgroup.

load helpers

setup() {
	setup_bundle
	ID="er-$$-${BATS_TEST_NUMBER}"
	LEFT_PIDS=()
}

teardown() {
	local p
	for p in "${LEFT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	teardown_bundle
}

# The host directory of the container's cgroup holding the pids controller
# (v1), or its v2 cgroup.
pids_cgroup_of() {
	local d
	for d in /sys/fs/cgroup/pids/ward/"$1" /sys/fs/cgroup/ward/"$1" /sys/fs/cgroup/unified/ward/"$1"; do
		[ -f "$d/cgroup.procs" ] && { echo "$d"; return 0; }
	done
	return 1
}

# A live (not zombie) process?
alive() {
	[ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"
}

# ------------------------------------------------------------ kill --all ----
# containerd's runc shim runs `RUNTIME kill --all ID 9` after the init of a
# task without its own pid namespace has exited, so the init's children die
# with it. runc accepts that on a stopped container.

start_orphan_maker() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 1007 & exit 0'
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_success
	run_ward start "$ID"
	assert_success
	wait_status "$ID" stopped
	CG=$(pids_cgroup_of "$ID")
	CHILD=""
	local i
	for i in $(seq 50); do
		CHILD=$(head -1 "$CG/cgroup.procs")
		[ -n "$CHILD" ] && break
		sleep 0.05
	done
	[ -n "$CHILD" ]
	LEFT_PIDS+=("$CHILD")
	[ "$(tr '\0' ' ' <"/proc/$CHILD/cmdline")" = "sleep 1007 " ]
}

@test "kill --all on a stopped container signals what is left in its cgroup" {
	start_orphan_maker
	run_ward kill --all "$ID" KILL
	assert_success
	local i
	for i in $(seq 50); do alive "$CHILD" || break; sleep 0.05; done
	! alive "$CHILD"
	[ -z "$(cat "$CG/cgroup.procs")" ]
	run_ward delete "$ID"
	assert_success
	assert_no_leftovers "$ID"
}

@test "kill --all on a stopped container sends the signal asked for" {
	start_orphan_maker
	run_ward kill --all "$ID" STOP
	assert_success
	local i
	for i in $(seq 50); do grep -q '^State:.*T' "/proc/$CHILD/status" && break; sleep 0.05; done
	grep -q '^State:.*T' "/proc/$CHILD/status"
	kill -KILL "$CHILD"
}

@test "kill without --all on a stopped container still fails: container not running" {
	set_args true
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_success
	run_ward start "$ID"
	wait_status "$ID" stopped
	run_ward kill "$ID" KILL
	assert_failure
	assert_output_contains "container not running"
	# With nothing left in the cgroup, --all has nothing to do and succeeds.
	run_ward kill --all "$ID" KILL
	assert_success
}
