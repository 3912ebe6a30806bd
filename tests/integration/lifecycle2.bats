#!/usr/bin/env bats
# The lifecycle in detail: create/start/kill/delete/run/exec as runc 1.1 does them.

load helpers
load helpers_cli

setup() { setup_bundle; }
teardown() { teardown_bundle; }

# init that exits 3 on SIGTERM and otherwise waits
TRAP_TERM='trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done'

sleeper() {
	set_args sh -c 'while :; do sleep 0.1; done'
}

# A running container c1 (run -d) with a waiting init.
run_sleeper() {
	sleeper
	run_detached run -d -b "$BUNDLE" "${1:-c1}"
	assert_success
	wait_status "${1:-c1}" running
}

@test "create leaves a created container whose init pid exists" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward state c1
	assert_success
	echo "$output" | jq -e '.status == "created"'
	local pid
	pid=$(echo "$output" | jq -r .pid)
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	pid_alive "$pid"
}

@test "create --pid-file writes the init pid" {
	sleeper
	run_detached create --pid-file "$BATS_TEST_TMPDIR/pid" -b "$BUNDLE" c1
	assert_success
	[ -s "$BATS_TEST_TMPDIR/pid" ]
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[[ "$pid" =~ ^[0-9]+$ ]]
	[ "$pid" = "$(init_pid c1)" ]
	pid_alive "$pid"
}

@test "start makes a created container running" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	local pid
	pid=$(init_pid c1)
	run_ward start c1
	assert_success
	run_ward state c1
	echo "$output" | jq -e --argjson p "$pid" '.status == "running" and .pid == $p'
	# the init now runs the configured process
	[[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "sh -c while :; do sleep 0.1; done"* ]]
}

@test "start of a running container fails with already running" {
	run_sleeper
	run_ward start c1
	assert_failure
	assert_output_contains "already running"
	wait_status c1 running
}

@test "start of a stopped container fails" {
	set_args true
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward start c1
	assert_success
	wait_status c1 stopped
	run_ward start c1
	assert_failure
	assert_output_contains "stopped"
	run_ward state c1
	echo "$output" | jq -e '.status == "stopped"'
}

@test "kill sends SIGTERM by default" {
	set_args sh -c "$TRAP_TERM"
	bg_run c1
	wait_status c1 running
	wait_file_contains "$BATS_TEST_TMPDIR/run.out" ready
	run_ward kill c1
	assert_success
	wait_bg_run
	[ "$status" -eq 3 ]
	assert_output_contains "got TERM"
}

@test "kill accepts a signal name without SIG (KILL)" {
	set_args sh -c "$TRAP_TERM"
	bg_run c1
	wait_status c1 running
	run_ward kill c1 KILL
	assert_success
	wait_bg_run
	[ "$status" -eq 137 ]
}

@test "kill accepts a signal name with SIG (SIGKILL)" {
	set_args sh -c "$TRAP_TERM"
	bg_run c1
	wait_status c1 running
	run_ward kill c1 SIGKILL
	assert_success
	wait_bg_run
	[ "$status" -eq 137 ]
}

@test "kill accepts a signal number (9)" {
	set_args sh -c "$TRAP_TERM"
	bg_run c1
	wait_status c1 running
	run_ward kill c1 9
	assert_success
	wait_bg_run
	[ "$status" -eq 137 ]
}

@test "kill of a stopped container fails" {
	set_args true
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward start c1
	assert_success
	wait_status c1 stopped
	run_ward kill c1 KILL
	assert_failure
	assert_output_contains "not running"
}

@test "kill --all signals every process of the container" {
	# the init survives TERM (a handler), its two children do not
	set_args sh -c 'trap "echo init got TERM" TERM; sleep 100 & sleep 100 & while :; do sleep 0.1; done'
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	wait_status c1 running
	local init i n
	init=$(init_pid c1)
	for i in $(seq 1 100); do
		n=$(ns_processes "$init" | awk '$2 == "sleep" && $3 == "100"' | wc -l)
		[ "$n" -eq 2 ] && break
		sleep 0.05
	done
	[ "$n" -eq 2 ]
	run_ward kill --all c1 TERM
	assert_success
	for i in $(seq 1 100); do
		n=$(ns_processes "$init" | awk '$2 == "sleep" && $3 == "100"' | wc -l)
		[ "$n" -eq 0 ] && break
		sleep 0.05
	done
	[ "$n" -eq 0 ]
	pid_alive "$init"
	run_ward state c1
	echo "$output" | jq -e '.status == "running"'
}

@test "delete of a running container fails without --force" {
	run_sleeper
	local pid
	pid=$(init_pid c1)
	run_ward delete c1
	assert_failure
	assert_output_contains "running"
	pid_alive "$pid"
	[ -d "$STATE_ROOT/c1" ]
	run_ward state c1
	echo "$output" | jq -e '.status == "running"'
}

@test "delete --force of a running container kills and removes it" {
	run_sleeper
	local pid
	pid=$(init_pid c1)
	run_ward delete --force c1
	assert_success
	wait_pid_gone "$pid"
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
	run_ward state c1
	assert_failure
}

@test "delete of a created container works without --force" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	local pid
	pid=$(init_pid c1)
	run_ward delete c1
	assert_success
	wait_pid_gone "$pid"
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
}

@test "delete --force of a missing container succeeds" {
	mkdir -p "$STATE_ROOT"
	run_ward delete --force nosuch
	assert_success
	run_ward delete -f nosuch
	assert_success
}

@test "delete of a missing container fails without --force" {
	mkdir -p "$STATE_ROOT"
	run_ward delete nosuch
	assert_failure
	assert_output_contains "does not exist"
}

@test "run -d returns with the container running and exec works in it" {
	sleeper
	local t0 t1
	t0=$(date +%s)
	run_detached run -d -b "$BUNDLE" c1
	t1=$(date +%s)
	assert_success
	[ $((t1 - t0)) -lt 5 ]
	run_ward state c1
	echo "$output" | jq -e '.status == "running"'
	pid_alive "$(init_pid c1)"
	run_ward exec c1 echo exec-ok
	assert_success
	[ "$output" = exec-ok ]
}

@test "run --keep leaves a stopped container" {
	set_args sh -c 'exit 5'
	run_ward run --keep -b "$BUNDLE" c1
	[ "$status" -eq 5 ]
	run_ward state c1
	assert_success
	echo "$output" | jq -e '.status == "stopped" and .id == "c1"'
	run_ward list -q
	[ "$output" = c1 ]
	run_ward delete c1
	assert_success
	assert_no_leftovers c1
}

@test "run without --keep removes the container when it exits" {
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
}

@test "a foreground run holds no lock while the container runs, and cleans up only its own container" {
	sleeper
	"$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1 &
	local runner=$!
	wait_status c1 running
	# kill, state and delete from elsewhere do not wait for run.
	run timeout 5 "$WARD" --root "$STATE_ROOT" state c1
	assert_success
	# run is held still while its container is deleted and a new one takes
	# the id; when it goes on, it must leave the new one alone.
	kill -STOP "$runner"
	run timeout 5 "$WARD" --root "$STATE_ROOT" delete -f c1
	assert_success
	run_detached create -b "$BUNDLE" c1
	assert_success
	kill -CONT "$runner"
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" = 137 ] || { echo "run exited $rc" >&2; false; }
	run_ward state c1
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
}

@test "a delete that waited for the lock of a container removed meanwhile leaves a new one of the same id alone" {
	command -v flock >/dev/null || skip "no flock(1)"
	set_args true
	run_detached create -b "$BUNDLE" c1
	assert_success
	kill -9 "$(ward state c1 | jq -r .pid)"
	exec 8<"$STATE_ROOT/c1"
	flock 8
	# This delete opens c1's dir, then waits for the lock we hold.
	"$WARD" --root "$STATE_ROOT" delete -f c1 </dev/null >"$BATS_TEST_TMPDIR/delete.log" 2>&1 8<&- &
	local deleter=$!
	sleep 0.3
	# Meanwhile c1 goes away and a new c1 is made.
	rm -rf "$STATE_ROOT/c1"
	# (not inheriting our locked fd: the new init would hold the lock)
	run_detached create -b "$BUNDLE" c1 8<&-
	assert_success
	exec 8<&-
	wait "$deleter"
	run_ward state c1
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
}

@test "run exits 128+N when the process is killed by signal N" {
	# Without a pid namespace: an init of a pid namespace cannot be killed by
	# a signal sent from inside it.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'kill -KILL $$'
	run_ward run -b "$BUNDLE" c1
	[ "$status" -eq 137 ]
	set_args sh -c 'kill -USR1 $$'
	run_ward run -b "$BUNDLE" c2
	[ "$status" -eq 138 ]
}

@test "run forwards SIGTERM sent to ward to the container" {
	set_args sh -c "$TRAP_TERM"
	bg_run c1
	wait_status c1 running
	wait_file_contains "$BATS_TEST_TMPDIR/run.out" ready
	kill -TERM "$RUN_PID"
	wait_bg_run
	[ "$status" -eq 3 ]
	assert_output_contains "got TERM"
}

@test "run forwards SIGINT sent to ward to the container" {
	set_args sh -c 'trap "echo got INT; exit 4" INT; echo ready; while :; do sleep 0.1; done'
	# bash starts background jobs with SIGINT ignored; start ward the way a
	# terminal would, with SIGINT at its default
	env --default-signal=INT "$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" c1 \
		</dev/null >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" 3>&- &
	RUN_PID=$!
	wait_status c1 running
	wait_file_contains "$BATS_TEST_TMPDIR/run.out" ready
	kill -INT "$RUN_PID"
	wait_bg_run
	[ "$status" -eq 4 ]
	assert_output_contains "got INT"
}

@test "run from a background job: the container gets default signal dispositions" {
	# bash starts `cmd &` with SIGINT and SIGQUIT ignored; runc resets every
	# signal to its default for the container process, so the container's
	# trap of INT works and SIGINT sent to runc ends the container.
	set_args sh -c 'grep SigIgn /proc/self/status; trap "echo got INT; exit 4" INT; echo ready; while :; do sleep 0.1; done'
	bg_run c1
	wait_status c1 running
	wait_file_contains "$BATS_TEST_TMPDIR/run.out" ready
	grep -q '^SigIgn:[[:space:]]*0000000000000000$' "$BATS_TEST_TMPDIR/run.out" || {
		echo "container started with ignored signals: $(grep SigIgn "$BATS_TEST_TMPDIR/run.out")" >&2
		return 1
	}
	kill -INT "$RUN_PID"
	wait_bg_run
	[ "$status" -eq 4 ]
}

@test "exec runs in the container's uts and pid namespaces" {
	update_config '.hostname = "ctr-lc2"'
	run_sleeper
	run_ward exec c1 hostname
	assert_success
	[ "$output" = ctr-lc2 ]
	run bash -c '"$0" --root "$1" exec c1 cat /proc/1/cmdline | tr "\0" "|"' "$WARD" "$STATE_ROOT"
	assert_success
	[ "$output" = "sh|-c|while :; do sleep 0.1; done|" ]
	run_ward exec c1 ps -o pid,args
	assert_success
	printf '%s\n' "$output" | grep -E '^ *1 +sh -c while'
	# only the container's processes: init, its sleep, ps (no host processes)
	[ "${#lines[@]}" -le 5 ]
	# and the exec'd process is in the init's pid namespace
	run_ward exec c1 readlink /proc/self/ns/pid
	[ "$output" = "$(readlink "/proc/$(init_pid c1)/ns/pid")" ]
}

@test "exec propagates the process exit code" {
	run_sleeper
	run_ward exec c1 sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run_ward exec c1 false
	[ "$status" -eq 1 ]
}

@test "exec --env adds variables to the config's environment" {
	run_sleeper
	run_ward exec --env FOO=bar -e BAZ=qux c1 sh -c 'echo "$FOO $BAZ $PATH"'
	assert_success
	[ "$output" = "bar qux /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
}

@test "exec --cwd sets the working directory" {
	run_sleeper
	run_ward exec --cwd /etc c1 pwd
	assert_success
	[ "$output" = /etc ]
}

@test "exec --user uid:gid runs with that uid and gid" {
	run_sleeper
	run_ward exec --user 1000:1000 c1 sh -c 'id -u; id -g; id -G'
	assert_success
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 1000 ]
}

@test "exec --additional-gids adds supplementary groups" {
	run_sleeper
	run_ward exec --user 1000:1000 --additional-gids 10,20 c1 id -G
	assert_success
	[ "$(echo "$output" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "10 20 1000 " ]
}

@test "exec -d --pid-file starts a detached process in the container" {
	run_sleeper
	run_detached exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" c1 sleep 30
	assert_success
	[ -s "$BATS_TEST_TMPDIR/exec.pid" ]
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[[ "$pid" =~ ^[0-9]+$ ]]
	pid_alive "$pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 30 " ]
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$(init_pid c1)/ns/pid")" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink "/proc/$(init_pid c1)/ns/mnt")" ]
}

@test "exec --process runs the process described in a JSON file" {
	run_sleeper
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
	{
		"terminal": false,
		"user": {"uid": 1000, "gid": 1000},
		"args": ["sh", "-c", "echo \"$(id -u):$(id -g) $PWD $X\""],
		"env": ["X=from-process-json", "PATH=/bin"],
		"cwd": "/etc"
	}
	EOF
	run_ward exec --process "$BATS_TEST_TMPDIR/process.json" c1
	assert_success
	[ "$output" = "1000:1000 /etc from-process-json" ]
}

@test "exec into a stopped container fails" {
	set_args true
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward start c1
	assert_success
	wait_status c1 stopped
	run_ward exec c1 echo should-not-run
	assert_failure
	assert_output_contains "stopped"
	assert_output_not_contains "should-not-run"
}

@test "exec --cap adds a capability to the effective set" {
	run_sleeper
	run_ward exec c1 sh -c 'grep CapEff /proc/self/status'
	assert_success
	local eff=${output##*:}
	eff=${eff//[[:space:]]/}
	! has_cap "$eff" 21 || false # CAP_SYS_ADMIN is not in the default set
	run_ward exec --cap CAP_SYS_ADMIN c1 sh -c 'grep CapEff /proc/self/status'
	assert_success
	eff=${output##*:}
	eff=${eff//[[:space:]]/}
	has_cap "$eff" 21
}

@test "exec --cap does not grant inheritable capabilities (runc >= 1.1.2, CVE-2022-29162)" {
	run_sleeper
	run_ward exec --cap CAP_SYS_ADMIN c1 sh -c 'grep -E "^Cap(Inh|Amb)" /proc/self/status'
	assert_success
	printf '%s\n' "$output" | grep -qE '^CapInh:[[:space:]]*0+$' || {
		echo "inheritable set not empty: $output" >&2
		return 1
	}
	printf '%s\n' "$output" | grep -qE '^CapAmb:[[:space:]]*0+$'
}

@test "exec --no-new-privs sets no_new_privs" {
	update_config '.process.noNewPrivileges = false'
	run_sleeper
	run_ward exec c1 grep NoNewPrivs /proc/self/status
	assert_success
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]*0$ ]]
	run_ward exec --no-new-privs c1 grep NoNewPrivs /proc/self/status
	assert_success
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]*1$ ]]
}

@test "run --preserve-fds 1 passes fd 3 into the container" {
	set_args sh -c 'echo through-fd3 >/proc/self/fd/3'
	run "$WARD" --root "$STATE_ROOT" run --preserve-fds 1 -b "$BUNDLE" c1 3>"$BATS_TEST_TMPDIR/fd3"
	assert_success
	[ "$(cat "$BATS_TEST_TMPDIR/fd3")" = through-fd3 ]
}

@test "exec --preserve-fds 1 passes fd 3 into the process" {
	run_sleeper
	run "$WARD" --root "$STATE_ROOT" exec --preserve-fds 1 c1 sh -c 'echo exec-fd3 >/proc/self/fd/3' 3>"$BATS_TEST_TMPDIR/fd3"
	assert_success
	[ "$(cat "$BATS_TEST_TMPDIR/fd3")" = exec-fd3 ]
}

@test "no runtime file descriptors leak into the container" {
	set_args ls /proc/self/fd
	# the caller's extra fds (5, 7) must not be passed either
	run "$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" c1 5>"$BATS_TEST_TMPDIR/five" 7</etc/hostname
	assert_success
	# 0 1 2 and ls's own directory fd
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "no runtime file descriptors leak into an exec'd process" {
	run_sleeper
	run "$WARD" --root "$STATE_ROOT" exec c1 ls /proc/self/fd 5>"$BATS_TEST_TMPDIR/five" 7</etc/hostname
	assert_success
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "a concurrent second create of the same id fails with exists" {
	sleeper
	local a b sa=0 sb=0
	"$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" c1 </dev/null >"$BATS_TEST_TMPDIR/a.out" 2>&1 3>&- &
	a=$!
	"$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" c1 </dev/null >"$BATS_TEST_TMPDIR/b.out" 2>&1 3>&- &
	b=$!
	wait "$a" || sa=$?
	wait "$b" || sb=$?
	# exactly one wins
	if [ "$sa" -eq 0 ]; then
		[ "$sb" -ne 0 ]
		output=$(cat "$BATS_TEST_TMPDIR/b.out")
	else
		[ "$sb" -eq 0 ]
		output=$(cat "$BATS_TEST_TMPDIR/a.out")
	fi
	assert_output_contains "exists"
	run_ward list -q
	[ "$output" = c1 ]
	run_ward state c1
	echo "$output" | jq -e '.status == "created"'
	pid_alive "$(init_pid c1)"
}

@test "a second create of an existing id fails with exists" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	local pid
	pid=$(init_pid c1)
	run_detached create -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "exists"
	[ "$(init_pid c1)" = "$pid" ]
	pid_alive "$pid"
}
