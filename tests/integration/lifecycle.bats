#!/usr/bin/env bats
# The OCI lifecycle: create, start, state, kill, delete, run.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

@test "run prints from inside the container and exits 0" {
	set_args sh -c 'echo hello from ward'
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$output" = "hello from ward" ]
	assert_no_leftovers c1
}

@test "run exits with the container's exit status" {
	set_args sh -c 'exit 42'
	run_ward run -b "$BUNDLE" c1
	[ "$status" -eq 42 ]
}

@test "create leaves the container created until start" {
	set_args sh -c 'echo started > /tmp/marker; sleep 100'
	update_config '.root.readonly = false'
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward state c1
	assert_success
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ ! -e "$BUNDLE/rootfs/tmp/marker" ]
	run_ward start c1
	assert_success
	wait_status c1 running
	for i in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/marker" ] && break; sleep 0.05; done
	[ -e "$BUNDLE/rootfs/tmp/marker" ]
	run_ward kill c1 KILL
	assert_success
	wait_status c1 stopped
	run_ward delete c1
	assert_success
	assert_no_leftovers c1
}
