#!/usr/bin/env bats
# Faults (docs/testing.md "Faults"): ward killed with SIGKILL at every step
# of create, start, exec, delete and run (WARD_FAULT=CMD:N, src/util/fault.c),
# then cleaned up with `list` + `delete --force`: no state dir, cgroup,
# process, host mount or fd may remain. A full state root (ENOSPC), too few
# fds (EMFILE), two creates on one cgroupsPath, and a /proc/PID/stat that
# cannot be read.

load helpers
load helpers_inside

setup() {
	setup_bundle
	# The container's program, told apart from every other process.
	MARK=$((RANDOM * 7 + 100000))
	set_args sleep "$MARK"
	HOOK_ENV="$BATS_TEST_TMPDIR/hook.env"
	printf '#!/bin/sh\nenv > %s\n' "$HOOK_ENV" >"$BATS_TEST_TMPDIR/hook.sh"
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	update_config --arg h "$BATS_TEST_TMPDIR/hook.sh" '.hooks = {
		prestart: [{path: $h}], poststart: [{path: "/bin/true"}],
		poststop: [{path: "/bin/true"}]}'
	MOUNTS_BEFORE=$(grep -c -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo || true)
}

teardown() {
	teardown_bundle
	[ -n "${FULL:-}" ] && umount "$FULL" 2>/dev/null
	return 0
}

# The fault points a command reaches, one label a line (WARD_FAULT=CMD:list).
# Runs the command for real.
fault_list() {
	local cmd=$1
	shift
	WARD_FAULT="$cmd:list" "$WARD" --root "$STATE_ROOT" "$@" </dev/null \
		>"$BATS_TEST_TMPDIR/list.out" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/list.out" >&2
		return 1
	}
	sed -n 's/^ward-fault: [0-9]* //p' "$BATS_TEST_TMPDIR/list.out"
}

# Run a ward command with WARD_FAULT=CMD:N; it must die of SIGKILL there.
kill_at() {
	local cmd=$1 n=$2
	shift 2
	local rc=0
	WARD_FAULT="$cmd:$n" "$WARD" --root "$STATE_ROOT" "$@" </dev/null \
		>"$BATS_TEST_TMPDIR/kill.out" 2>&1 || rc=$?
	if [ "$rc" -ne 137 ]; then
		echo "$cmd killed at point $n: exit $rc, not SIGKILL (137):" >&2
		cat "$BATS_TEST_TMPDIR/kill.out" >&2
		return 1
	fi
}

# Processes of this test's containers: the init and exec children before
# their execve run ward's binary with its command line (which names the
# state root), after it the marked program. But those in $KEEP (pids of a
# container the test keeps).
our_processes() {
	{
		pgrep -f -- "$STATE_ROOT" || true
		pgrep -fx -- "sleep $MARK" || true
		pgrep -fx -- "sleep $((MARK + 1))" || true
	} | sort -u | grep -vxF -f <(printf '%s\n' ${KEEP:-} 0) || true
}

# Nothing of container $1 may remain, after $2 (what was done, for messages).
assert_nothing_left() {
	local id=$1 what=$2 left i
	assert_no_leftovers "$id" || { echo "after $what" >&2; return 1; }
	for i in $(seq 40); do
		left=$(our_processes)
		[ -z "$left" ] && break
		sleep 0.05
	done
	if [ -n "$left" ]; then
		echo "after $what: processes left: $(ps -o pid,stat,args -p "${left//$'\n'/,}")" >&2
		return 1
	fi
	local mounts
	mounts=$(grep -c -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo || true)
	if [ "$mounts" != "$MOUNTS_BEFORE" ]; then
		echo "after $what: host mounts left:" >&2
		grep -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo >&2
		return 1
	fi
}

# What an operator does after a crash: every listed container deleted.
# The one whose state dir is there must be listed.
clean_up() {
	local id=$1 what=$2 ids x
	ids=$(ward list -q)
	if [ -d "$STATE_ROOT/$id" ] && ! grep -qx -- "$id" <<<"$ids"; then
		echo "after $what: $id has a state dir but list -q does not name it" >&2
		return 1
	fi
	for x in $ids; do
		if ! ward delete --force "$x" >"$BATS_TEST_TMPDIR/delete.out" 2>&1; then
			echo "after $what: delete --force $x failed:" >&2
			cat "$BATS_TEST_TMPDIR/delete.out" >&2
			return 1
		fi
	done
	assert_nothing_left "$id" "$what"
}

# The fds of a created container's init (it is ward's code until start).
init_fds() {
	ls "/proc/$1/fd" | wc -l
}

@test "WARD_FAULT reaches neither hooks nor the container's processes" {
	set_args sh -c 'env; sleep 0'
	update_config '.hooks.poststart = [] | .hooks.poststop = []'
	run env WARD_FAULT=run:list "$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "ward-fault: 1 state dir made"
	assert_output_contains "PATH="
	assert_output_not_contains "WARD_FAULT="
	grep -q '^PATH=' "$HOOK_ENV"
	run grep WARD_FAULT "$HOOK_ENV"
	assert_failure
	assert_nothing_left c1 run
}

@test "create killed at every step: list and delete --force leave nothing" {
	mapfile -t points < <(fault_list create create -b "$BUNDLE" c0)
	[ "${#points[@]}" -ge 10 ] || { echo "only ${#points[@]} points: ${points[*]}" >&2; false; }
	base=$(init_fds "$(ward state c0 | jq .pid)")
	ward delete --force c0
	checked=0
	for n in $(seq "${#points[@]}"); do
		what="create killed at $n (${points[n - 1]})"
		kill_at create "$n" create -b "$BUNDLE" c1
		pid=$(ward state c1 2>/dev/null | jq -r '.pid // 0')
		# An init that outlives its create holds what a created one does.
		if [ "${pid:-0}" -gt 0 ] && [ -d "/proc/$pid/fd" ] && pgrep -f -- "$STATE_ROOT" | grep -qx "$pid"; then
			fds=$(init_fds "$pid")
			[ "$fds" -le "$base" ] || { echo "$what: init holds $fds fds, a created one $base" >&2; false; }
			checked=$((checked + 1))
		fi
		clean_up c1 "$what"
	done
	echo "# create: ${#points[@]} points; $checked surviving inits hold no more fds than a created one ($base)" >&3
	[ "$checked" -gt 0 ]
}

@test "create without a mount namespace killed at every step: no host mount is left" {
	update_config '.linux.namespaces |= map(select(.type != "mount")) |
		del(.linux.maskedPaths, .linux.readonlyPaths)'
	mapfile -t points < <(fault_list create create -b "$BUNDLE" c0)
	printf '%s\n' "${points[@]}" | grep -qx 'state written (rootfs anchor)'
	grep -q -- "$BUNDLE/rootfs" /proc/self/mountinfo
	ward delete --force c0
	assert_nothing_left c0 "delete of c0"
	for n in $(seq "${#points[@]}"); do
		kill_at create "$n" create -b "$BUNDLE" c1
		clean_up c1 "create killed at $n (${points[n - 1]})"
	done
}

@test "create in a new user namespace killed at every step: delete --force leaves nothing" {
	enable_userns 100000 65536
	mapfile -t points < <(fault_list create create -b "$BUNDLE" c0)
	printf '%s\n' "${points[@]}" | grep -qx 'id maps written'
	ward delete --force c0
	for n in $(seq "${#points[@]}"); do
		kill_at create "$n" create -b "$BUNDLE" c1
		clean_up c1 "create killed at $n (${points[n - 1]})"
	done
	echo "# create in a user namespace: ${#points[@]} points" >&3
}

@test "start killed at every step: the container starts or runs, delete --force leaves nothing" {
	ward create -b "$BUNDLE" c0 </dev/null >/dev/null 2>&1
	mapfile -t points < <(fault_list start start c0)
	[ "${#points[@]}" -ge 3 ]
	ward delete --force c0
	for n in $(seq "${#points[@]}"); do
		what="start killed at $n (${points[n - 1]})"
		ward create -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1
		kill_at start "$n" start c1
		st=$(ward state c1 | jq -r .status)
		# Never "created" for a container that runs: a second start would
		# wait forever on a fifo nobody writes.
		run timeout 10 "$WARD" --root "$STATE_ROOT" start c1
		if [ "$st" = created ]; then
			assert_success
		else
			[ "$st" = running ] || { echo "$what: status $st" >&2; false; }
			assert_output_contains "already running"
		fi
		pgrep -fx -- "sleep $MARK" >/dev/null || { echo "$what: the program does not run" >&2; false; }
		clean_up c1 "$what"
	done
	echo "# start: ${#points[@]} points" >&3
}

@test "exec killed at every step: nothing half-joined is left, delete --force leaves nothing" {
	ward run -d -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1
	mapfile -t points < <(fault_list exec exec c1 true)
	[ "${#points[@]}" -ge 3 ]
	for n in $(seq "${#points[@]}"); do
		what="exec killed at $n (${points[n - 1]})"
		[ "$(ward state c1 | jq -r .status)" = running ] || ward run -d -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1
		kill_at exec "$n" exec c1 sleep "$((MARK + 1))"
		# The exec child dies with ward until its execve (PDEATHSIG): no
		# process of ward's binary stays in the container.
		for i in $(seq 40); do
			[ -z "$(pgrep -f -- "$STATE_ROOT")" ] && break
			sleep 0.05
		done
		[ -z "$(pgrep -f -- "$STATE_ROOT")" ] || { echo "$what: $(ps -o pid,args -p "$(pgrep -d, -f -- "$STATE_ROOT")")" >&2; false; }
		[ "$(ward state c1 | jq -r .status)" = running ]
		clean_up c1 "$what"
	done
	echo "# exec: ${#points[@]} points" >&3
}

@test "delete killed at every step: delete --force again leaves nothing" {
	ward run -d -b "$BUNDLE" c0 </dev/null >/dev/null 2>&1
	mapfile -t points < <(fault_list delete delete --force c0)
	[ "${#points[@]}" -ge 4 ]
	for n in $(seq "${#points[@]}"); do
		ward run -d -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1
		kill_at delete "$n" delete --force c1
		clean_up c1 "delete killed at $n (${points[n - 1]})"
	done
	echo "# delete: ${#points[@]} points" >&3
}

@test "run killed at every step: list and delete --force leave nothing" {
	mapfile -t points < <(fault_list run run -d -b "$BUNDLE" c0)
	[ "${#points[@]}" -ge 12 ]
	ward delete --force c0
	for n in $(seq "${#points[@]}"); do
		kill_at run "$n" run -d -b "$BUNDLE" c1
		clean_up c1 "run killed at $n (${points[n - 1]})"
	done
	echo "# run: ${#points[@]} points" >&3
}

# A small tmpfs as the state root, filled up but for one page.
full_state_root() {
	FULL="$BATS_TEST_TMPDIR/full"
	mkdir -p "$FULL"
	mount -t tmpfs -o size=1m tmpfs "$FULL"
	STATE_ROOT="$FULL/state"
	MOUNTS_BEFORE=$(grep -c -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo)
}
fill_up() {
	head -c 4096 /dev/zero >"$FULL/pad"
	dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null || true
	rm "$FULL/pad"
}

@test "a full state root (ENOSPC): create fails naming state.json, nothing half-written, the other state intact" {
	full_state_root
	# A state.json of three pages: the one page left cannot hold it.
	update_config --arg pad "$(head -c 9000 /dev/zero | tr '\0' x)" '.annotations.pad = $pad'
	ward run -d -b "$BUNDLE" c0 </dev/null >/dev/null 2>&1
	KEEP=$(ward state c0 | jq .pid)
	before=$(sha256sum <"$STATE_ROOT/c0/state.json")
	fill_up
	run_detached create -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "create c1: state of c1: write .state.json.tmp: No space left on device"
	assert_nothing_left c1 "create on a full state root"
	# A state rewrite (update saves the config) fails and keeps the old file.
	run_ward update --pids-limit 77 c0
	assert_failure
	assert_output_contains "No space left on device"
	[ "$(sha256sum <"$STATE_ROOT/c0/state.json")" = "$before" ]
	[ -z "$(ls -A "$STATE_ROOT/c0" | grep tmp)" ]
	[ "$(ward state c0 | jq -r .status)" = running ]
	rm "$FULL/fill"
	run_ward update --pids-limit 77 c0
	assert_success
	KEEP=
	ward delete --force c0
	assert_nothing_left c0 "delete of c0"
}

@test "too few fds (EMFILE): create fails with a clear error or succeeds, and leaves nothing either way" {
	failed=0 ok=0
	for n in $(seq 6 2 40); do
		rc=0
		(ulimit -Sn "$n" && exec "$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" c1) \
			</dev/null >"$BATS_TEST_TMPDIR/emfile.out" 2>&1 || rc=$?
		if [ "$rc" -eq 0 ]; then
			ok=$((ok + 1))
			ward delete --force c1
		else
			failed=$((failed + 1))
			grep -q "Too many open files" "$BATS_TEST_TMPDIR/emfile.out" || {
				echo "ulimit -Sn $n: exit $rc:" >&2
				cat "$BATS_TEST_TMPDIR/emfile.out" >&2
				false
			}
			[ "$rc" -eq 1 ]
		fi
		assert_nothing_left c1 "create with ulimit -Sn $n"
	done
	echo "# EMFILE: $failed limits failed cleanly, $ok succeeded" >&3
	[ "$failed" -gt 0 ] && [ "$ok" -gt 0 ]
}

@test "two creates on one cgroupsPath: the second fails while the first sets it up, and removes nothing of it" {
	cg="/$WARD_CGROUP_PARENT/shared-$MARK"
	update_config --arg cg "$cg" '.linux.cgroupsPath = $cg'
	mapfile -t points < <(fault_list create create -b "$BUNDLE" c0)
	ward delete --force c0
	n=$(printf '%s\n' "${points[@]}" | grep -nx 'cgroups made' | cut -d: -f1)
	# a stops right after making (and claiming) the cgroups, before its
	# init is in them: empty, they look free.
	WARD_FAULT="create:$n:stop" "$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" a \
		</dev/null >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
	apid=$!
	for i in $(seq 100); do
		[ "$(awk '{print $3}' "/proc/$apid/stat" 2>/dev/null)" = T ] && break
		sleep 0.05
	done
	[ "$(awk '{print $3}' "/proc/$apid/stat")" = T ]
	run_detached create -b "$BUNDLE" b
	kill -CONT "$apid"
	wait "$apid"
	assert_failure
	assert_output_contains "linux.cgroupsPath: cgroup /sys/fs/cgroup/"
	assert_output_contains "is being set up by another create"
	[ ! -e "$STATE_ROOT/b" ]
	# a won, in its cgroups.
	[ "$(ward state a | jq -r .status)" = created ]
	apid=$(ward state a | jq .pid)
	for d in /sys/fs/cgroup/*"$cg"; do
		grep -qx "$apid" "$d/cgroup.procs" || { echo "a's init is not in $d" >&2; false; }
	done
	ward delete a
	assert_nothing_left a "delete of a"
	[ -z "$(ls -d /sys/fs/cgroup/*"$cg" 2>/dev/null)" ]
}

@test "two creates on one cgroupsPath at once: exactly one wins, cleanly" {
	cg="/$WARD_CGROUP_PARENT/race-$MARK"
	update_config --arg cg "$cg" '.linux.cgroupsPath = $cg'
	for round in 1 2 3 4 5; do
		"$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" a </dev/null >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
		apid=$!
		rb=0
		"$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" b </dev/null >"$BATS_TEST_TMPDIR/b.out" 2>&1 || rb=$?
		ra=0
		wait "$apid" || ra=$?
		if [ "$ra" -eq 0 ] && [ "$rb" -eq 0 ]; then
			echo "round $round: both creates succeeded on one cgroup" >&2
			false
		fi
		[ "$ra" -eq 0 ] || [ "$rb" -eq 0 ] || { cat "$BATS_TEST_TMPDIR"/[ab].out >&2; false; }
		winner=a loser=b
		[ "$ra" -eq 0 ] || { winner=b loser=a; }
		grep -q "linux.cgroupsPath: cgroup" "$BATS_TEST_TMPDIR/$loser.out"
		[ ! -e "$STATE_ROOT/$loser" ]
		wpid=$(ward state "$winner" | jq .pid)
		for d in /sys/fs/cgroup/*"$cg"; do
			grep -qx "$wpid" "$d/cgroup.procs" || { echo "round $round: $winner's init is not in $d" >&2; false; }
		done
		ward delete "$winner"
		[ -z "$(ls -d /sys/fs/cgroup/*"$cg" 2>/dev/null)" ]
	done
}

@test "state and list say unknown, not stopped, when /proc/PID/stat cannot be read" {
	ward run -d -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1
	pid=$(ward state c1 | jq .pid)
	run unshare -m sh -c "mount --bind /dev/null /proc/$pid/stat &&
		'$WARD' --root '$STATE_ROOT' state c1 &&
		'$WARD' --root '$STATE_ROOT' list &&
		'$WARD' --root '$STATE_ROOT' delete c1"
	assert_failure
	assert_output_contains '"status": "unknown"'
	assert_output_contains "\"statusReason\": \"/proc/$pid/stat: not a stat line\""
	assert_output_matches "c1 +$pid +unknown"
	assert_output_contains "list: container c1: status unknown"
	assert_output_contains "cannot delete container c1: its status is unknown"
	[ "$(ward state c1 | jq -r .status)" = running ]
	ward delete --force c1
	assert_nothing_left c1 "delete of c1"
}
