#!/usr/bin/env bats
# Bad input: each is refused with a non-zero exit and a one-line error that
# names the file, the field and the reason, and leaves nothing behind.

load helpers
load helpers_cli

setup() {
	setup_bundle
	# a process that would stay if create wrongly succeeded
	set_args sh -c 'while :; do sleep 0.1; done'
}
teardown() { teardown_bundle; }

# create ID with the current config, capturing into $status/$output
try_create() {
	run_detached create -b "$BUNDLE" "$1"
}

@test "malformed JSON is refused with config.json:LINE:COL" {
	# line 3 has a trailing comma inside an object
	printf '{\n  "ociVersion": "1.2.0",\n  "root": {"path": "rootfs",},\n  "process": {}\n}\n' >"$BUNDLE/config.json"
	try_create c1
	assert_refused_cleanly c1 "config.json:3:"
	[[ "$output" =~ config\.json:3:[0-9]+ ]]
}

@test "a field of the wrong type is refused naming the field" {
	update_config '.process.args = "sh"'
	try_create c1
	assert_refused_cleanly c1 config.json process.args
}

@test "a missing root is refused" {
	update_config 'del(.root)'
	try_create c1
	assert_refused_cleanly c1 config.json root
}

@test "a missing root.path is refused" {
	update_config 'del(.root.path)'
	try_create c1
	assert_refused_cleanly c1 config.json root.path
}

@test "a nonexistent rootfs directory is refused naming the path" {
	update_config '.root.path = "no-such-rootfs"'
	try_create c1
	assert_refused_cleanly c1 root.path no-such-rootfs
}

@test "an unknown namespace type is refused naming its index" {
	local n
	n=$(jq '.linux.namespaces | length' "$BUNDLE/config.json")
	update_config '.linux.namespaces += [{"type": "foo"}]'
	try_create c1
	assert_refused_cleanly c1 "linux.namespaces[$n].type: unknown namespace \"foo\""
}

@test "a duplicate namespace is refused" {
	local n
	n=$(jq '.linux.namespaces | length' "$BUNDLE/config.json")
	update_config '.linux.namespaces += [{"type": "pid"}]'
	try_create c1
	assert_refused_cleanly c1 "linux.namespaces[$n]" duplicate pid
}

@test "a capability that is not a string is refused" {
	# (an unknown name is ignored with a warning, as runc does: hardened.bats)
	local n
	n=$(jq '.process.capabilities.bounding | length' "$BUNDLE/config.json")
	update_config '.process.capabilities.bounding += [21]'
	try_create c1
	assert_refused_cleanly c1 "process.capabilities.bounding[$n]" "must be a string"
}

@test "an unknown rlimit is refused" {
	update_config '.process.rlimits += [{"type": "RLIMIT_FROBNICATE", "hard": 1, "soft": 1}]'
	try_create c1
	assert_refused_cleanly c1 "process.rlimits[" RLIMIT_FROBNICATE
}

@test "an unknown mount option on a bind mount is refused" {
	local n
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	mkdir -p "$BATS_TEST_TMPDIR/src"
	update_config --arg s "$BATS_TEST_TMPDIR/src" \
		'.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "frobnicate"]}]'
	try_create c1
	assert_refused_cleanly c1 "mounts[$n]" frobnicate
}

@test "a bad tmpfs option (size=foo) fails at create and cleans up" {
	local n
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	update_config '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=foo"]}]'
	try_create c1
	assert_refused_cleanly c1 "mounts[$n]" "size=foo"
}

@test "a duplicate container id is refused and the existing container is untouched" {
	run_detached create -b "$BUNDLE" c1
	assert_success
	local pid
	pid=$(init_pid c1)
	try_create c1
	assert_failure
	assert_one_line
	assert_output_contains "c1"
	assert_output_contains "exists"
	[ "$(init_pid c1)" = "$pid" ]
	pid_alive "$pid"
	run_ward state c1
	echo "$output" | jq -e '.status == "created"'
	run_ward list -q
	[ "$output" = c1 ]
}

@test "a container id with a slash is refused" {
	try_create a/b
	assert_refused_cleanly a/b "a/b"
	[ ! -e "$STATE_ROOT/a" ]
}

@test "a container id with .. is refused" {
	mkdir -p "$STATE_ROOT"
	try_create ../x
	assert_refused_cleanly ../x "../x"
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "an empty container id is refused" {
	mkdir -p "$STATE_ROOT"
	try_create ""
	assert_refused_cleanly "" "id"
}

@test "empty process.args is refused" {
	update_config '.process.args = []'
	try_create c1
	assert_refused_cleanly c1 config.json process.args
}

@test "a relative process.cwd is refused" {
	update_config '.process.cwd = "tmp"'
	try_create c1
	assert_refused_cleanly c1 config.json process.cwd
}

@test "a missing process.user is refused" {
	update_config 'del(.process.user)'
	try_create c1
	assert_refused_cleanly c1 config.json process.user
}

@test "uidMappings without a user namespace are refused" {
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]'
	try_create c1
	assert_refused_cleanly c1 config.json linux.uidMappings "user namespace"
}

@test "a hostname without a uts namespace is refused" {
	update_config '.hostname = "h" | .linux.namespaces |= map(select(.type != "uts"))'
	try_create c1
	assert_refused_cleanly c1 config.json hostname uts
}

@test "a sysctl that is not namespaced is refused" {
	local before
	before=$(cat /proc/sys/vm/swappiness)
	update_config --arg v "$((before == 17 ? 18 : 17))" '.linux.sysctl = {"vm.swappiness": $v}'
	try_create c1
	assert_refused_cleanly c1 config.json vm.swappiness
	[ "$(cat /proc/sys/vm/swappiness)" = "$before" ]
}

@test "a missing executable fails at create and leaves nothing" {
	set_args /nonexistent
	try_create c1
	assert_refused_cleanly c1 /nonexistent
}

@test "a cwd that cannot be made (under a file) fails at create and leaves nothing" {
	# A missing one is made, as runc does (runc-diff.bats).
	update_config '.process.cwd = "/etc/passwd/dir"'
	try_create c1
	# names the field (process.cwd), the path and the reason
	assert_refused_cleanly c1 cwd /etc/passwd/dir "Not a directory"
}

@test "a failing createRuntime hook fails create and leaves nothing" {
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<-'EOF'
	#!/bin/sh
	echo "hook says no" >&2
	exit 2
	EOF
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	update_config --arg h "$BATS_TEST_TMPDIR/hook.sh" '.hooks.createRuntime = [{"path": $h}]'
	try_create c1
	assert_refused_cleanly c1 "hooks.createRuntime[0]" "exit status 2"
}

@test "a hook that times out is killed and fails create" {
	cat >"$BATS_TEST_TMPDIR/hang.sh" <<-'EOF'
	#!/bin/bash
	echo started >"${0%/*}/hang.started"
	while :; do sleep 0.1; done
	EOF
	chmod +x "$BATS_TEST_TMPDIR/hang.sh"
	update_config --arg h "$BATS_TEST_TMPDIR/hang.sh" '.hooks.createRuntime = [{"path": $h, "timeout": 2}]'
	local t0 t1
	t0=$(date +%s)
	try_create c1
	t1=$(date +%s)
	[ -e "$BATS_TEST_TMPDIR/hang.started" ]
	[ $((t1 - t0)) -le 6 ]
	assert_refused_cleanly c1 "hooks.createRuntime[0]" "time"
}
