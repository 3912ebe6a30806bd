#!/usr/bin/env bats
# OCI hooks: when each kind runs, what it receives (state on stdin, args,
# env), which namespaces it runs in, and what a failing or hung hook does.

load helpers
load helpers_inside

setup() {
	setup_bundle
	isolate_cgroup
	HOOKDIR="$BATS_TEST_TMPDIR/hooklog"
	mkdir -p "$HOOKDIR"
	LOG="$HOOKDIR/log"
	: >"$LOG"
	# The recording hook. Line: kind TAB $HOOKVAR TAB extra args TAB
	# $LEAKVAR TAB uts ns TAB mnt ns TAB net ns TAB state JSON on one line.
	HOOK="$BATS_TEST_TMPDIR/hook.sh"
	cat >"$HOOK" <<'EOF'
#!/bin/sh
kind=$1
log=$2
shift 2
json=$(cat | tr -d '\n')
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "${HOOKVAR-unset}" "$*" "${LEAKVAR-unset}" \
	"$(readlink /proc/self/ns/uts)" "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/self/ns/net)" \
	"$json" >>"$log"
EOF
	chmod 755 "$HOOK"
	# startContainer resolves in the container: a copy in the rootfs, with
	# the log directory bind-mounted at /hooklog.
	cp "$HOOK" "$BUNDLE/rootfs/hook.sh"
	mkdir -p "$BUNDLE/rootfs/hooklog"
	add_mount "{\"destination\": \"/hooklog\", \"type\": \"bind\", \"source\": \"$HOOKDIR\", \"options\": [\"rbind\", \"rw\"]}"
	make_bundle_reachable
}

teardown() {
	teardown_bundle
	if [ -n "${HUNG_PID:-}" ]; then
		kill -9 "$HUNG_PID" 2>/dev/null || true
	fi
}

# A recording hook of kind $1: JSON for config.hooks.
rec_hook() {
	local kind=$1
	if [ "$kind" = startContainer ]; then
		jq -n --arg k "$kind" '{path: "/hook.sh", args: ["hook.sh", $k, "/hooklog/log"], env: ["PATH=/bin:/usr/bin"]}'
	else
		jq -n --arg k "$kind" --arg h "$HOOK" --arg l "$LOG" \
			'{path: $h, args: ["hook.sh", $k, $l], env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
	fi
}

# Append a hook (JSON) to hooks.$1.
add_hook() {
	update_config --arg k "$1" --argjson h "$2" '.hooks[$k] += [$h]'
}

add_all_rec_hooks() {
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		add_hook "$k" "$(rec_hook "$k")"
	done
}

# A hook that exits with status $2 after logging "$1" (runtime namespace).
fail_hook() {
	local f="$BATS_TEST_TMPDIR/fail-$1.sh"
	printf '#!/bin/sh\necho "%s" >>"%s"\necho "hook %s says no" >&2\nexit %s\n' "$1" "$LOG" "$1" "${2:-3}" >"$f"
	chmod 755 "$f"
	jq -n --arg p "$f" '{path: $p}'
}

# Kinds logged so far, space-separated.
logged_kinds() {
	cut -f1 "$LOG" | xargs
}

# The state JSON that hook kind $1 received.
state_of() {
	awk -F'\t' -v k="$1" '$1 == k { print $8; exit }' "$LOG"
}

field_of() {
	awk -F'\t' -v k="$1" -v f="$2" '$1 == k { print $f; exit }' "$LOG"
}

@test "every hook kind gets the state JSON on stdin with the right status, id, pid and bundle" {
	add_all_rec_hooks
	set_args sleep 100
	run_detached create -b "$BUNDLE" hk
	assert_success
	local pid
	pid=$(ctr_pid hk)
	run_ward start hk
	assert_success
	run_ward kill hk KILL
	assert_success
	wait_status hk stopped
	run_ward delete hk
	assert_success
	local k want js
	for k in prestart:creating createRuntime:creating createContainer:creating \
		startContainer:created poststart:running poststop:stopped; do
		want=${k#*:}
		k=${k%:*}
		js=$(state_of "$k")
		[ -n "$js" ] || { echo "hook $k did not run" >&2; false; }
		[ "$(jq -r .status <<<"$js")" = "$want" ] || { echo "$k: status $(jq -r .status <<<"$js"), want $want" >&2; false; }
		[ "$(jq -r .id <<<"$js")" = hk ]
		[ "$(jq -r .bundle <<<"$js")" = "$BUNDLE" ]
		[ -n "$(jq -r .ociVersion <<<"$js")" ]
		if [ "$k" != poststop ]; then
			[ "$(jq -r .pid <<<"$js")" = "$pid" ] || { echo "$k: pid $(jq -r .pid <<<"$js"), want $pid" >&2; false; }
		fi
	done
}

@test "hooks run in order over create, start, kill and delete, each at its moment" {
	add_all_rec_hooks
	update_config '.root.readonly = false'
	set_args sh -c 'echo user-program >>/hooklog/log; exec sleep 100'
	run_detached create -b "$BUNDLE" hk
	assert_success
	[ "$(logged_kinds)" = "prestart createRuntime createContainer" ]
	run_ward start hk
	assert_success
	wait_file_contains "$LOG" user-program
	wait_file_contains "$LOG" poststart
	# startContainer before the user program; poststart after it started.
	local order
	order=$(logged_kinds)
	[[ "$order" == "prestart createRuntime createContainer startContainer "* ]]
	run_ward kill hk KILL
	assert_success
	wait_status hk stopped
	! grep -q '^poststop' "$LOG" || false
	run_ward delete hk
	assert_success
	order=$(logged_kinds)
	[[ "$order" == "prestart createRuntime createContainer startContainer "*" poststop" ]]
	[[ "$order" == *"user-program"* ]]
	[[ "$order" == *"poststart"* ]]
	[ "$(grep -c '^poststop' "$LOG")" = 1 ]
}

@test "several hooks of one kind run in the listed order" {
	local i
	for i in 1 2 3; do
		add_hook createRuntime "$(jq -n --arg h "$HOOK" --arg l "$LOG" --arg n "n$i" '{path: $h, args: ["hook.sh", "createRuntime", $l, $n]}')"
	done
	set_args true
	run_ward run -b "$BUNDLE" hk
	assert_success
	[ "$(cut -f3 "$LOG" | xargs)" = "n1 n2 n3" ]
}

@test "hook args and env are passed, and the runtime's environment is not" {
	add_hook createRuntime "$(jq -n --arg h "$HOOK" --arg l "$LOG" \
		'{path: $h, args: ["hook.sh", "createRuntime", $l, "x y", "z"], env: ["HOOKVAR=hello world", "PATH=/usr/bin:/bin"]}')"
	set_args true
	LEAKVAR=from-the-runtime run_ward run -b "$BUNDLE" hk
	assert_success
	[ "$(field_of createRuntime 2)" = "hello world" ]
	[ "$(field_of createRuntime 3)" = "x y z" ]
	[ "$(field_of createRuntime 4)" = unset ]
}

@test "a hook without env gets the runtime's environment (as runc); an empty env is empty" {
	add_hook createRuntime "$(jq -n --arg h "$HOOK" --arg l "$LOG" \
		'{path: $h, args: ["hook.sh", "createRuntime", $l, "x"]}')"
	set_args true
	LEAKVAR=from-the-runtime run_ward run -b "$BUNDLE" hk
	assert_success
	[ "$(field_of createRuntime 4)" = from-the-runtime ]
	update_config '.hooks.createRuntime[0].env = []'
	: >"$LOG"
	LEAKVAR=from-the-runtime run_ward run -b "$BUNDLE" hk
	assert_success
	[ "$(field_of createRuntime 4)" = unset ]
}

@test "createContainer and startContainer hooks run in the container's namespaces" {
	add_all_rec_hooks
	set_args true
	run_ward run -b "$BUNDLE" hk
	assert_success
	local k
	for k in createContainer startContainer; do
		[ -n "$(field_of $k 1)" ] || { echo "$k did not run" >&2; false; }
		[ "$(field_of $k 5)" != "$(host_ns uts)" ] || { echo "$k in the host uts ns" >&2; false; }
		[ "$(field_of $k 6)" != "$(host_ns mnt)" ] || { echo "$k in the host mnt ns" >&2; false; }
		[ "$(field_of $k 7)" != "$(host_ns net)" ] || { echo "$k in the host net ns" >&2; false; }
	done
	# Both in the same (the container's) namespaces.
	[ "$(field_of createContainer 5)" = "$(field_of startContainer 5)" ]
	[ "$(field_of createContainer 7)" = "$(field_of startContainer 7)" ]
}

@test "prestart, createRuntime, poststart and poststop hooks run in the runtime's namespaces" {
	add_all_rec_hooks
	set_args true
	run_ward run -b "$BUNDLE" hk
	assert_success
	local k
	for k in prestart createRuntime poststart poststop; do
		[ -n "$(field_of $k 1)" ] || { echo "$k did not run" >&2; false; }
		[ "$(field_of $k 5)" = "$(host_ns uts)" ] || { echo "$k not in the host uts ns" >&2; false; }
		[ "$(field_of $k 6)" = "$(host_ns mnt)" ] || { echo "$k not in the host mnt ns" >&2; false; }
		[ "$(field_of $k 7)" = "$(host_ns net)" ] || { echo "$k not in the host net ns" >&2; false; }
	done
}

@test "startContainer hook path resolves inside the container" {
	[ ! -e /hook.sh ]
	add_hook startContainer "$(rec_hook startContainer)"
	set_args true
	run_ward run -b "$BUNDLE" hk
	assert_success
	[ "$(logged_kinds)" = startContainer ]
}

@test "a failing poststart hook only warns: start succeeds, the container keeps running, later hooks run" {
	add_hook poststart "$(fail_hook poststart-fail)"
	add_hook poststart "$(rec_hook poststart)"
	set_args sleep 100
	run_detached create -b "$BUNDLE" hk
	assert_success
	run_ward start hk
	assert_success
	assert_output_contains "poststart-fail says no"
	[ "$(ward state hk | jq -r .status)" = running ]
	sleep 0.3
	[ "$(ward state hk | jq -r .status)" = running ]
	[ "$(logged_kinds)" = "poststart-fail poststart" ]
}

@test "a failing poststop hook only warns: delete succeeds, later hooks run" {
	add_hook poststop "$(fail_hook poststop-fail)"
	add_hook poststop "$(rec_hook poststop)"
	set_args true
	run_detached create -b "$BUNDLE" hk
	assert_success
	run_ward start hk
	assert_success
	wait_status hk stopped
	run_ward delete hk
	assert_success
	assert_output_contains "poststop-fail says no"
	[ "$(logged_kinds)" = "poststop-fail poststop" ]
	assert_no_leftovers hk
	assert_no_test_cgroup
}

# A failing hook of kind $1 during create: create fails, the user program
# never runs, later hooks of that kind do not run, nothing is left.
create_hook_fails() {
	local kind=$1
	add_hook "$kind" "$(fail_hook "$kind-fail")"
	add_hook "$kind" "$(rec_hook "$kind")"
	update_config '.root.readonly = false'
	set_args sh -c 'touch /user-program-ran'
	run_detached create -b "$BUNDLE" hk
	assert_failure
	assert_output_contains "$kind-fail says no"
	[ "$(logged_kinds)" = "$kind-fail" ]
	[ ! -e "$BUNDLE/rootfs/user-program-ran" ]
	run_ward state hk
	assert_failure
	assert_no_leftovers hk
	assert_no_test_cgroup
}

@test "a failing prestart hook fails create" { create_hook_fails prestart; }
@test "a failing createRuntime hook fails create" { create_hook_fails createRuntime; }
@test "a failing createContainer hook fails create" { create_hook_fails createContainer; }

@test "a failing createRuntime hook still runs the poststop hooks (lifecycle step 12-13)" {
	add_hook createRuntime "$(fail_hook createRuntime-fail)"
	add_hook poststop "$(rec_hook poststop)"
	set_args true
	run_detached create -b "$BUNDLE" hk
	assert_failure
	[ "$(logged_kinds)" = "createRuntime-fail poststop" ]
}

@test "a failing startContainer hook fails start and the user program does not run" {
	local f="$BUNDLE/rootfs/fail.sh"
	printf '#!/bin/sh\necho startContainer-fail >>/hooklog/log\necho "startContainer-fail says no" >&2\nexit 3\n' >"$f"
	chmod 755 "$f"
	add_hook startContainer '{"path": "/fail.sh"}'
	set_args sh -c 'echo user-program >>/hooklog/log'
	run_detached create -b "$BUNDLE" hk
	assert_success
	run_ward start hk
	assert_failure
	assert_output_contains "startContainer-fail says no"
	sleep 0.3
	[ "$(logged_kinds)" = startContainer-fail ]
	# The container is stopped (or already gone), not running.
	local st
	st=$(ward state hk 2>/dev/null | jq -r .status) || true
	[ "$st" != running ]
	[ "$st" != created ]
}

@test "a hook that exceeds its timeout is killed and the operation fails" {
	local f="$BATS_TEST_TMPDIR/hang.sh"
	printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 60\n' "$BATS_TEST_TMPDIR/hang.pid" >"$f"
	chmod 755 "$f"
	add_hook createRuntime "$(jq -n --arg p "$f" '{path: $p, timeout: 1}')"
	set_args true
	local t0=$SECONDS
	run_detached create -b "$BUNDLE" hk
	local took=$((SECONDS - t0))
	assert_failure
	[ "$took" -le 10 ]
	HUNG_PID=$(cat "$BATS_TEST_TMPDIR/hang.pid")
	[ -n "$HUNG_PID" ]
	local i
	for i in $(seq 40); do kill -0 "$HUNG_PID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$HUNG_PID" 2>/dev/null || false
	run_ward state hk
	assert_failure
}

@test "a hook with a timeout that finishes in time does not fail" {
	local h
	h=$(rec_hook createRuntime | jq '.timeout = 5')
	add_hook createRuntime "$h"
	set_args true
	run_ward run -b "$BUNDLE" hk
	assert_success
	[ "$(logged_kinds)" = createRuntime ]
}
