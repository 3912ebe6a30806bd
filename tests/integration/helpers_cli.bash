# Extra helpers for cli.bats, errors.bats and lifecycle2.bats.
# Load after helpers: `load helpers` then `load helpers_cli`.

# True if PID exists and is not a zombie (the machine's pid 1 may be slow to
# reap orphans, so a dead container process can linger as Z).
pid_alive() {
	local stat state
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	state=${stat##*) }
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Wait (up to 5 s) until PID is gone or a zombie.
wait_pid_gone() {
	local i
	for i in $(seq 1 100); do
		pid_alive "$1" || return 0
		sleep 0.05
	done
	echo "process $1 still alive: $(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")" >&2
	return 1
}

# Live processes whose command line mentions this test's private directory
# (ward itself runs with --root $STATE_ROOT, hooks live in $BATS_TEST_TMPDIR).
test_processes() {
	local d p cmd
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$$" ] && continue
		[ "$p" = "$BASHPID" ] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline") || continue
		[[ "$cmd" == *"$BATS_TEST_TMPDIR"* ]] || continue
		[[ "$cmd" == "tr "* ]] && continue
		pid_alive "$p" && echo "$p $cmd"
	done
	return 0
}

assert_no_test_processes() {
	local left i
	for i in $(seq 1 40); do
		left=$(test_processes)
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "processes left behind:" >&2
	echo "$left" >&2
	return 1
}

# Live processes in the pid namespace of PID (including PID), one "pid cmdline" a line.
ns_processes() {
	local ns d p st
	ns=$(readlink "/proc/$1/ns/pid") || return 1
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$(readlink "$d/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		pid_alive "$p" || continue
		echo "$p $(tr '\0' ' ' 2>/dev/null <"$d/cmdline")"
	done
}

# $output is exactly one non-empty line.
assert_one_line() {
	if [ -z "$output" ] || [[ "$output" == *$'\n'* ]]; then
		echo "expected a one-line message, got:" >&2
		printf '%s\n' "$output" | cat -A >&2
		return 1
	fi
}

# A refused create: non-zero exit, one line naming what is wrong (each
# argument must appear in it), and nothing left: no state, no cgroup, no
# container in `list`, no process.
assert_refused_cleanly() {
	local id=$1 want
	shift
	assert_failure
	# (an empty id has no directory of its own: the state root check covers it)
	[ -z "$id" ] || assert_no_leftovers "$id"
	local listed
	listed=$("$WARD" --root "$STATE_ROOT" list -q 2>&1)
	if [ -n "$listed" ]; then
		echo "list -q not empty after a refused create: $listed" >&2
		return 1
	fi
	# (the compiled-seccomp cache is shared by all containers and may stay,
	# and the audit log is the record of the refusal: docs/audit.md)
	local left
	left=$(ls -A "$STATE_ROOT" 2>/dev/null | grep -vxE '@seccomp-cache|@audit|@audit-ids' || true)
	if [ -n "$left" ]; then
		echo "state root not empty: $left" >&2
		return 1
	fi
	assert_no_test_processes
	assert_one_line
	for want in "$@"; do
		assert_output_contains "$want"
	done
}

# `ward run` in the background with stdio in files (never bats' fd 3).
# Sets RUN_PID. Extra arguments go before the id: bg_run ID [run options].
bg_run() {
	local id=$1
	shift
	"$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" "$@" "$id" \
		</dev/null >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" 3>&- &
	RUN_PID=$!
}

# Wait (up to 5 s) for the background `ward run`; sets $status and $output
# (the container's stdout).
wait_bg_run() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$RUN_PID" 2>/dev/null; then
		echo "ward run (pid $RUN_PID) did not exit" >&2
		return 1
	fi
	status=0
	wait "$RUN_PID" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/run.out")
}

# Wait (up to 5 s) until FILE contains TEXT.
wait_file_contains() {
	local file=$1 text=$2 i
	for i in $(seq 1 100); do
		grep -qF -- "$text" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "$file never contained \"$text\"; it has:" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# The init pid of a container from `ward state`.
init_pid() {
	ward state "$1" | jq -r .pid
}

# A capability bit from a /proc/PID/status hex mask: has_cap MASK BIT
has_cap() {
	(((16#$1 >> $2) & 1))
}
