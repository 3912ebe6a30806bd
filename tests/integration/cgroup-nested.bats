#!/usr/bin/env bats
# Cgroups made below a container's own cgroup (by a runtime or a systemd
# nested in the container): ps, kill --all and delete reach them, as runc's
# do (GetAllPids, recursive removal). Works on v1, hybrid and v2 hosts.

load helpers
load helpers_cgroup

setup() {
	setup_bundle
	ID="nest$$-${BATS_TEST_NUMBER}"
	update_config --arg p "/ward-nest-test/$ID" '.linux.cgroupsPath = $p'
	set_args sleep 100
}

teardown() {
	teardown_bundle
	local d
	for d in /sys/fs/cgroup/*/ward-nest-test /sys/fs/cgroup/ward-nest-test; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	true
}

# The container's cgroup directory in the hierarchy of the pids controller.
pids_dir() {
	echo "$(cg_mount pids)/ward-nest-test/$ID"
}

# Move a new process of the container (ward exec -d) into a child cgroup
# "inner/leaf" in every hierarchy the container has; prints its pid.
nest_a_process() {
	local pidfile="$BATS_TEST_TMPDIR/inner.pid" mp d
	run_detached exec -d --pid-file "$pidfile" "$ID" sleep 100
	assert_success
	local pid
	pid=$(cat "$pidfile")
	for mp in $(cg_mounts | awk '{print $1}'); do
		d="$mp/ward-nest-test/$ID"
		[ -d "$d" ] || continue
		# v2: a cgroup with processes cannot have controllers enabled below
		# it, so only move the process; leaf domains are fine without them.
		mkdir -p "$d/inner/leaf"
		# v1 cpuset: a new cgroup has no cpus or mems until given some.
		if [ -f "$d/inner/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/inner/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/inner/cpuset.mems"
			cat "$d/cpuset.cpus" >"$d/inner/leaf/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/inner/leaf/cpuset.mems"
		fi
		echo "$pid" >"$d/inner/leaf/cgroup.procs" || return 1
	done
	echo "$pid"
}

@test "ps lists the processes of child cgroups too" {
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	local inner
	inner=$(nest_a_process)
	[ -n "$inner" ]
	grep -qx "$inner" "$(pids_dir)/inner/leaf/cgroup.procs"
	run ward ps --format json "$ID"
	assert_success
	jq -e --argjson p "$inner" 'index($p) != null' <<<"$output"
	[ "$(jq length <<<"$output")" = 2 ]
}

@test "kill --all reaches processes in child cgroups" {
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	local inner
	inner=$(nest_a_process)
	# SIGTERM: the init (pid 1 of its namespace) ignores it, so only a
	# signal sent to the nested process itself can end that one.
	run ward kill --all "$ID" TERM
	assert_success
	wait_for "! kill -0 $inner 2>/dev/null" || {
		echo "the nested process $inner survived kill --all" >&2
		false
	}
	[ "$(ward state "$ID" | jq -r .status)" = running ]
}

@test "delete --force removes the container's cgroup with the cgroups made below it" {
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	nest_a_process >/dev/null
	[ -d "$(pids_dir)/inner/leaf" ]
	run ward delete -f "$ID"
	assert_success
	local left
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/ward-nest-test/$ID" 2>/dev/null || true)
	[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}
