#!/usr/bin/env bats
# ward checkpoint / restore on CRIU (docs/checkpoint.md).
#
# Two kinds of tests:
#   - "criu:" tests need a criu that works on the running kernel. Debian 12's
#     criu 3.17 fails `criu check` on the development hosts' Linux 6.18 (it
#     cannot parse the vDSO/vvar layout of Linux >= 6.13), so there they skip
#     with criu's own reason; tests/lanes/kvm-criu.sh runs them on Debian's
#     6.1 kernel, where WARD_REQUIRE_CRIU=1 turns a skip into a failure.
#   - the others test ward's side and run everywhere: flags, refusals, and,
#     with a stand-in criu (tests/criu/fake-criu: Debian's protobuf decodes
#     ward's requests with criu's own rpc.proto bindings), what ward asks
#     criu for and what it does with criu's answers, including the refusal
#     of a restored tree that is not confined as the checkpoint was.

load helpers
load helpers_inside

setup_file() {
	local out
	if ! command -v criu >/dev/null 2>&1; then
		CRIU_STATE="criu is not installed (Debian package criu)"
	elif out=$(criu check 2>&1); then
		CRIU_STATE=ok
	else
		CRIU_STATE="criu $(criu --version | sed -n 's/^Version: //p') cannot work on Linux $(uname -r): $(grep -m1 Error <<<"$out" | sed 's/^.*): //')"
	fi
	export CRIU_STATE
}

setup() {
	setup_bundle
	isolate_cgroup
	# The containers write their state where the host can read it: the rootfs.
	update_config '.root.readonly = false'
	ID="cr-$BATS_TEST_NUMBER"
	IMG="$BATS_TEST_TMPDIR/img"
	FAKE="$WARD_SRC/tests/criu/fake-criu"
	FAKE_OUT="$BATS_TEST_TMPDIR/fake"
	mkdir -p "$FAKE_OUT"
	export FAKE_CRIU_OUT=$FAKE_OUT
	# A marker in the process's command line: what is left of it can be found.
	MARK="ward-cr-$$-$BATS_TEST_NUMBER"
}

teardown() {
	teardown_bundle
	pkill -9 -f "$MARK" 2>/dev/null || true
	if [ -n "${NETNS_MOUNT:-}" ]; then umount "$NETNS_MOUNT" 2>/dev/null || true; fi
}

need_criu() {
	[ "$CRIU_STATE" = ok ] && return 0
	if [ "${WARD_REQUIRE_CRIU:-0}" = 1 ]; then
		echo "WARD_REQUIRE_CRIU=1 but: $CRIU_STATE" >&2
		return 1
	fi
	skip "$CRIU_STATE"
}

# The stand-in needs Debian's python3 with python3-protobuf and pycriu (the
# criu package brings both) and unshare.
need_fake() {
	/usr/bin/python3 -c 'import pycriu.rpc_pb2, google.protobuf' 2>/dev/null ||
		skip "no /usr/bin/python3 with python3-protobuf and pycriu (Debian's criu package)"
	command -v unshare >/dev/null || skip "no unshare"
}

fake() {
	FAKE_CRIU_MODE=$1 "$WARD" --root "$STATE_ROOT" --criu "$FAKE" "${@:2}"
}

# The container counts in a shell variable (memory) and appends each value
# to /tmp/count through fd 3, opened once (an open file with its offset).
# On /tmp/go it tries mkdir and writes the answer to /tmp/res.
set_counter() {
	# (one line: set_args splits its arguments at newlines)
	set_args sh -c ": $MARK; exec 3>>/tmp/count; i=0; while :; do i=\$((i+1)); echo \$i >&3; if [ -e /tmp/go ]; then rm /tmp/go; mkdir /tmp/probe.\$i 2>/dev/null && echo made >>/tmp/res || echo denied >>/tmp/res; fi; sleep 0.1; done"
}

count_file() { echo "$BUNDLE/rootfs/tmp/count"; }

# Wait (up to 30 s: emulated guests are slow) until file $1 contains $2.
wait_text() {
	local i
	for i in $(seq 1 300); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1; it has:" >&2
	tail -n 5 "$1" >&2 2>/dev/null || true
	return 1
}

last_count() { tail -n 1 "$(count_file)"; }

# Wait (up to 30 s: emulated guests are slow) until the counter passes $1.
wait_count_above() {
	local i
	for i in $(seq 1 300); do
		[ -s "$(count_file)" ] && [ "$(last_count)" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "the counter did not pass $1 (at $(last_count 2>/dev/null))" >&2
	return 1
}

# Every line of the count file is its own line number: counted from 1 on,
# never restarted, nothing lost or written twice.
assert_count_continuous() {
	awk 'NR != $1 { printf "line %d is %s\n", NR, $1; bad = 1; exit } END { exit bad }' \
		"$(count_file)"
}

# Ask the container's init to try mkdir; print its answer.
res_lines() {
	if [ -f "$BUNDLE/rootfs/tmp/res" ]; then wc -l <"$BUNDLE/rootfs/tmp/res"; else echo 0; fi
}

probe_mkdir() {
	local n before
	before=$(res_lines)
	touch "$BUNDLE/rootfs/tmp/go"
	for n in $(seq 1 300); do
		if [ "$(res_lines)" -gt "$before" ]; then
			tail -n 1 "$BUNDLE/rootfs/tmp/res"
			return 0
		fi
		sleep 0.1
	done
	echo "the init did not answer the probe" >&2
	return 1
}

start_counter() {
	set_counter
	run_detached run -d -b "$BUNDLE" "${1:-$ID}"
	assert_success
	wait_status "${1:-$ID}" running
	wait_count_above 2
}

# Container $1 (default $ID) is running.
is_running() {
	[ "$(ward state "${1:-$ID}" | jq -r .status)" = running ]
}

# Checkpoint the counter's container and restore it detached: it counts on
# from where it stood, without a restart or a gap.
checkpoint_restore_counter() {
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	local at
	at=$(last_count)
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	wait_count_above $((at + 1))
	assert_count_continuous
}

# A container that sleeps (its command line marked).
start_sleeper() {
	set_args sh -c ": $MARK; sleep 100"
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
}

# What confines the container, from `ward inspect`, without what differs
# from one container or process to the next (pid, inode numbers).
confinement_of() {
	ward inspect --format json "$1" | jq -S '{capabilities, noNewPrivs, seccompMode,
		seccompFilters, uid, gid, uidMap, gidMap, lsm, landlock, maskedPaths,
		readonlyPaths, rlimits,
		namespaces: [.namespaces[] | select(.type != "time") | {type, private}]}'
}

# Checkpoint with the real criu where it works, else with the stand-in,
# which dumps nothing but notifies post-dump as criu does: the checks ward
# makes on the frozen tree then are the same.
checkpoint_any() {
	if [ "$CRIU_STATE" = ok ]; then
		run_ward checkpoint "$@"
	else
		need_fake
		run fake dump-ok checkpoint "$@"
	fi
}

# A host program and the libraries ldd lists, into the container's rootfs.
copy_host_prog() {
	local p lib
	p=$(command -v "$1") || skip "no $1 here"
	command -v ldd >/dev/null || skip "no ldd to copy $1 into the rootfs with its libraries"
	for lib in "$p" $(ldd "$p" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
}

nothing_left() {
	assert_no_leftovers "$1"
	assert_no_test_cgroup
	if grep -q criu-root /proc/self/mountinfo; then
		echo "a criu-root bind mount is left: $(grep criu-root /proc/self/mountinfo)" >&2
		return 1
	fi
}

# --- ward's side: everywhere --------------------------------------------------

@test "help and features name checkpoint and restore; org.criu.config is a potentially unsafe annotation" {
	run "$WARD" --help
	assert_success
	assert_output_contains "checkpoint   checkpoint a running container (CRIU)"
	assert_output_contains "restore      restore a container from a checkpoint (CRIU)"
	assert_output_contains "--criu PATH"
	run "$WARD" features
	assert_success
	jq -e '.annotations["org.opencontainers.runc.checkpoint.enabled"] == "true"' <<<"$output"
	jq -e '.potentiallyUnsafeConfigAnnotations | index("org.criu.config") != null' <<<"$output"
	run "$WARD" checkpoint --help
	assert_success
	assert_output_contains "--leave-running"
	assert_output_contains "--pre-dump"
	run "$WARD" restore --help
	assert_success
	assert_output_contains "--console-socket"
	assert_output_contains "-d, --detach"
}

@test "checkpoint and restore refuse lazy migration and other unsupported flags, naming them" {
	run_ward checkpoint --lazy-pages "$ID"
	assert_failure
	assert_output_contains "--lazy-pages"
	run_ward checkpoint --page-server 127.0.0.1:9000 "$ID"
	assert_failure
	assert_output_contains "--page-server"
	run_ward checkpoint --empty-ns pid "$ID"
	assert_failure
	assert_output_contains '--empty-ns: namespace "pid" is not supported'
	run_ward restore --lsm-profile foo "$ID"
	assert_failure
	assert_output_contains "--lsm-profile"
	run_ward checkpoint --console-socket /x "$ID"
	assert_failure
	assert_output_contains "belongs to \`ward restore\`"
	run_ward restore --leave-running "$ID"
	assert_failure
	assert_output_contains "belongs to \`ward checkpoint\`"
	run_ward checkpoint "$ID"
	assert_failure
	assert_output_contains "container \"$ID\" does not exist"
}

@test "checkpoint refuses a container that is created but not started" {
	set_args sleep 100
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "cannot be checkpointed in the created state"
	[ "$(ward state "$ID" | jq -r .status)" = created ]
}

@test "checkpoint refuses a created container that is paused (never started)" {
	set_args sleep 100
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	run_ward pause "$ID"
	assert_success
	[ "$(ward state "$ID" | jq -r .status)" = paused ]
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "paused but was never started"
	[ "$(ward state "$ID" | jq -r .status)" = paused ]
	[ -z "$(ls -A "$IMG" 2>/dev/null)" ]
	run_ward resume "$ID"
	assert_success
}

@test "restore without a ward checkpoint names --image-path and leaves nothing behind" {
	run_ward restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "--image-path $IMG"
	mkdir -p "$IMG"
	run_ward restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "no ward-checkpoint.json: not a checkpoint made by ward checkpoint"
	nothing_left "$ID"
}

@test "a Landlock-confined container is refused: checkpoint keeps it running, restore leaves nothing" {
	update_config '.process.landlock = {ruleset: {handledAccessFS: ["make_reg"]}}'
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "process.landlock: CRIU cannot carry a Landlock domain"
	is_running
	[ ! -e "$IMG/ward-checkpoint.json" ]
	# A checkpoint record that would restore into a Landlock config.
	mkdir -p "$IMG"
	echo '{"ward": 1, "tasks": []}' >"$IMG/ward-checkpoint.json"
	update_config '.linux.cgroupsPath += "-r"'
	run_ward restore -d -b "$BUNDLE" --image-path "$IMG" "$ID-r"
	assert_failure
	assert_output_contains "restore $ID-r: config.json: process.landlock"
	assert_no_leftovers "$ID-r"
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*$CGPATH-r" 2>/dev/null)" ]
}

@test "where criu cannot work, checkpoint says why and the container keeps running" {
	[ "$CRIU_STATE" != ok ] || skip "criu works here"
	command -v criu >/dev/null || skip "$CRIU_STATE"
	start_sleeper
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "checkpoint $ID: criu dump failed; $IMG/dump.log says: "
	assert_output_contains "this criu cannot initialize for Linux $(uname -r)"
	is_running
}

@test "the dump request: masked files and outside stdio external, the cgroup frozen by criu, an empty network namespace" {
	need_fake
	start_sleeper
	local pid
	pid=$(ctr_pid "$ID")
	run fake dump-ok checkpoint --leave-running --image-path "$IMG" --work-path "$BATS_TEST_TMPDIR/work" --tcp-established --file-locks "$ID"
	assert_success
	local req="$FAKE_OUT/dump.json"
	[ "$(jq -r .type "$req")" = DUMP ]
	[ "$(jq -r .opts.pid "$req")" = "$pid" ]
	[ "$(jq -r .opts.root "$req")" = "$BUNDLE/rootfs" ]
	[ "$(jq -r .opts.leave_running "$req")" = true ]
	[ "$(jq -r .opts.tcp_established "$req")" = true ]
	[ "$(jq -r .opts.file_locks "$req")" = true ]
	[ "$(jq -r .seen.images_dir "$req")" = "$IMG" ]
	# criu's own config file for ward (runc reads /etc/criu/runc.conf).
	[ "$(jq -r .opts.config_file "$req")" = /etc/criu/ward.conf ]
	# The network namespace comes back empty (runc's rule): CLONE_NEWNET.
	[ "$(jq -r .opts.empty_ns "$req")" = 1073741824 ]
	# criu freezes the container's own cgroup.
	local fz
	fz=$(jq -r .opts.freeze_cgroup "$req")
	[[ "$fz" == /sys/fs/cgroup/*"$CGPATH" ]]
	# Every masked file the init has (a bind of the host's /dev/null) is
	# external, named /dev/null; the masked directories (tmpfs) are not.
	local m want=0
	for m in $(jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json"); do
		if awk -v m="$m" '$5 == m && $4 != "/"' "/proc/$pid/mountinfo" | grep -q .; then
			want=$((want + 1))
			[ "$(jq -r --arg m "$m" '.opts.ext_mnt[] | select(.key == $m) | .val' "$req")" = /dev/null ]
		fi
	done
	[ "$want" -gt 0 ]
	[ "$(jq '.opts.ext_mnt | length' "$req")" = "$want" ]
	# stdio was the host's /dev/null and a log file: external by mount:inode.
	local ino
	ino=$(printf '%x' "$(stat -L -c %i "/proc/$pid/fd/1")")
	jq -e --arg i "$ino" '[.opts.external[] | select(endswith(":" + $i + "]"))] | length == 1' "$req"
	# ward's record: the frozen tree's threads, as /proc shows them.
	local rec="$IMG/ward-checkpoint.json" f
	[ "$(jq '.tasks | length' "$rec")" = 1 ]
	[ "$(jq -r '.tasks[0].tgid' "$rec")" = 1 ]
	for f in CapBnd CapEff CapPrm NoNewPrivs Seccomp Seccomp_filters; do
		[ "$(jq -r --arg f "$f" '.tasks[0][$f]' "$rec")" = "$(status_field "$(cat "/proc/$pid/status")" "$f")" ]
	done
	jq -e '.confinement["process.noNewPrivileges"] == true' "$rec"
	[ "$(jq -r '.[1]' "$IMG/descriptors.json")" = "$(readlink "/proc/$pid/fd/1")" ]
	# --leave-running: still there.
	is_running
}

@test "a failed dump quotes criu's log and leaves the container running" {
	need_fake
	start_sleeper
	run fake fail checkpoint --image-path "$IMG" --work-path "$BATS_TEST_TMPDIR/work" "$ID"
	assert_failure
	assert_output_contains "checkpoint $ID: criu dump failed; $BATS_TEST_TMPDIR/work/dump.log says: fake: refusing to dump"
	is_running
}

@test "a restored tree not confined as at checkpoint is killed, the restore fails, nothing is left" {
	need_fake
	set_args sh -c ": $MARK; sleep 100"
	# runc's annotation: criu reads this config file instead.
	update_config '.annotations["org.criu.config"] = "/etc/criu/special.conf"'
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	run fake dump-ok checkpoint --image-path "$IMG" "$ID"
	assert_success
	[ "$(jq -r .opts.config_file "$FAKE_OUT/dump.json")" = /etc/criu/special.conf ]
	# Without --leave-running the container is gone.
	run_ward state "$ID"
	assert_failure
	# The stand-in "restores" an unconfined impostor, pid 1 of a pid
	# namespace of its own, and reports success; ward compares what runs
	# with the checkpoint's record, refuses and kills it.
	run fake restore-impostor restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "restore $ID: the restored processes are not confined as they were at checkpoint (killed): process 1 (thread 1, pid $(cat "$FAKE_OUT/impostor.pid") on the host): "
	! kill -0 "$(cat "$FAKE_OUT/impostor.pid")" 2>/dev/null
	local req="$FAKE_OUT/restore.json"
	# criu ran in the container's cgroup, rooted on a bind of the rootfs,
	# restoring as ward's child, with no_new_privs (criu 3.17 does not
	# restore it; every checkpointed thread had it).
	[ "$(jq -r .seen.root_mounted "$req")" = true ]
	[[ "$(jq -r .opts.root "$req")" == "$STATE_ROOT/$ID/criu-root" ]]
	jq -r .seen.cgroup "$req" | grep -q ":$CGPATH\$"
	[ "$(jq -r '.opts.cg_root[0].path' "$req")" = "$CGPATH" ]
	[ "$(jq -r .seen.no_new_privs "$req")" = 1 ]
	[ "$(jq -r .opts.rst_sibling "$req")" = true ]
	jq -e '[.opts.inherit_fd[].fd] == [0, 1, 2]' "$req"
	nothing_left "$ID"
}

@test "restore refuses a config that confines differently from the checkpoint, and leaves nothing" {
	need_fake
	start_sleeper
	run fake dump-ok checkpoint --leave-running --image-path "$IMG" "$ID"
	assert_success
	update_config '.process.capabilities.bounding -= ["CAP_KILL"] | .linux.cgroupsPath += "-r"'
	run fake fail restore -d -b "$BUNDLE" --image-path "$IMG" "$ID-r"
	assert_failure
	assert_output_contains "restore $ID-r: config.json: process.capabilities differs from the checkpointed container's"
	[ ! -e "$FAKE_OUT/restore.json" ]
	assert_no_leftovers "$ID-r"
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*$CGPATH-r" 2>/dev/null)" ]
}

@test "restore hands the restored terminal to --console-socket" {
	need_fake
	start_sleeper
	run fake dump-ok checkpoint --image-path "$IMG" "$ID"
	assert_success
	update_config '.process.terminal = true'
	# A terminal container restored detached needs a socket, as create does.
	run fake restore-pty restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "process.terminal: cannot allocate a tty when detaching without --console-socket"
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	console_receiver_start "$sock" "$out"
	run fake restore-pty restore -d -b "$BUNDLE" --image-path "$IMG" --console-socket "$sock" "$ID"
	assert_failure
	assert_output_contains "fake: refusing to restore"
	[ "$(cat "$FAKE_OUT/pty.sent")" = yes ]
	wait_file "$out.fdinfo"
	[[ "$(cat "$out.name")" == /dev/pts/* ]]
	console_receiver_stop
	nothing_left "$ID"
}

# --- with a working criu (the KVM lane) ---------------------------------------

@test "criu: a terminal comes back: a foreground restore proxies the restored pty, and exits with the container" {
	need_criu
	update_config '.process.terminal = true'
	set_args sh -c ": $MARK; i=0; while :; do i=\$((i+1)); echo tick \$i; sleep 0.2; done"
	# In the foreground, ward keeps the pty master (outside the container).
	"$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
	local runner=$!
	wait_text "$BATS_TEST_TMPDIR/run.out" "tick 2"
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	wait "$runner" || true
	local last
	last=$(grep -o 'tick [0-9]*' "$BATS_TEST_TMPDIR/run.out" | tail -n 1 | cut -d' ' -f2)
	"$WARD" --root "$STATE_ROOT" restore -b "$BUNDLE" --image-path "$IMG" "$ID" </dev/null >"$BATS_TEST_TMPDIR/restore.out" 2>&1 &
	local restorer=$!
	wait_text "$BATS_TEST_TMPDIR/restore.out" "tick $((last + 2))"
	local pid
	pid=$(ctr_pid "$ID")
	[[ "$(readlink "/proc/$pid/fd/1")" == /dev/pts/* ]]
	run_ward kill "$ID" KILL
	assert_success
	local rc=0
	wait "$restorer" || rc=$?
	[ "$rc" = 137 ]
	nothing_left "$ID"
}

@test "criu: a counter in memory and an open file survive checkpoint and restore, in their pid namespace" {
	need_criu
	# A prestart hook records the state it is given (create's, then restore's).
	local hook="$BATS_TEST_TMPDIR/hook.json"
	update_config --arg h "cat >$hook" '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", $h]}]'
	start_counter
	wait_file "$hook"
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	rm "$hook"
	# The container is gone (runc's rule without --leave-running), its
	# processes with it: the counter stands still.
	run_ward state "$ID"
	assert_failure
	local at
	at=$(last_count)
	sleep 0.5
	[ "$(last_count)" = "$at" ]
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	wait_count_above $((at + 2))
	assert_count_continuous
	local pid
	pid=$(ctr_pid "$ID")
	is_running
	# pid 1 of its own pid namespace again, the shell it was.
	[ "$(status_field "$(cat "/proc/$pid/status")" NSpid | awk '{ print $NF }')" = 1 ]
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(host_ns pid)" ]
	grep -q "$MARK" "/proc/$pid/cmdline"
	# fd 3 is the same file, appended to; stdout is restore's.
	[ "$(readlink "/proc/$pid/fd/3")" = /tmp/count ]
	[ "$(readlink "/proc/$pid/fd/1")" = "$BATS_TEST_TMPDIR/detached.log" ]
	# The prestart hook ran again, at criu's setup-namespaces, with the
	# restored init's pid (runc's point for it).
	jq -e --argjson p "$pid" --arg id "$ID" '.pid == $p and .id == $id and .status == "creating"' "$hook"
}

@test "criu: a paused container can be checkpointed, and runs again once restored" {
	need_criu
	start_counter
	run_ward pause "$ID"
	assert_success
	wait_status "$ID" paused
	checkpoint_restore_counter
	is_running
}

@test "criu: after restore, inspect shows the same seccomp filter, capabilities, no_new_privs and Landlock, and the filter still denies" {
	need_criu
	# Docker's no-mkdir profile style: mkdir denied, the rest allowed.
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	update_config '.process.capabilities.bounding -= ["CAP_NET_RAW"] | .process.capabilities.effective -= ["CAP_NET_RAW"] | .process.capabilities.permitted -= ["CAP_NET_RAW"]'
	start_counter
	run probe_mkdir
	[ "$output" = denied ]
	local before after
	before=$(confinement_of "$ID")
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	after=$(confinement_of "$ID")
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; false; }
	# Not only the same numbers: what they say holds.
	jq -e '.noNewPrivs == true and .seccompMode == 2 and .seccompFilters == 1 and .landlock == null' <<<"$after"
	jq -e '.capabilities.bounding.names | index("CAP_NET_RAW") == null' <<<"$after"
	jq -e '[.maskedPaths[] | select(.absent != true) | .masked] | all' <<<"$after"
	jq -e '[.readonlyPaths[] | select(.absent != true) | .readonly] | all' <<<"$after"
	# The restored init (not an exec'd process: exec applies the config
	# anew) is still denied mkdir.
	run probe_mkdir
	[ "$output" = denied ]
	[ -z "$(ls -d "$BUNDLE"/rootfs/tmp/probe.* 2>/dev/null)" ]
}

@test "criu: without no_new_privs the seccomp filter comes back too, and no_new_privs stays off" {
	need_criu
	update_config '.process.noNewPrivileges = false'
	start_counter
	local before
	before=$(confinement_of "$ID")
	jq -e '.noNewPrivs == false and .seccompMode == 2' <<<"$before"
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	[ "$(confinement_of "$ID")" = "$before" ]
}

@test "a container where only some processes have no_new_privs is refused, and keeps running" {
	copy_host_prog setpriv
	update_config '.process.noNewPrivileges = false'
	set_args sh -c ": $MARK; setpriv --no-new-privs sleep 1000 & while :; do sleep 0.1; done"
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	local pid i
	pid=$(ctr_pid "$ID")
	for i in $(seq 1 100); do
		grep -q . "/proc/$pid/task/$pid/children" 2>/dev/null && break
		sleep 0.1
	done
	checkpoint_any --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "threads have no_new_privs set; criu 3."
	assert_output_contains "cannot restore it per process"
	is_running
	[ ! -e "$IMG/ward-checkpoint.json" ]
}

@test "a process ward exec started (not below the init) is refused: criu would lose it" {
	set_args sh -c ": $MARK; while :; do sleep 0.1; done"
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	run_detached exec -d "$ID" sh -c ": $MARK-exec; exec sleep 1000"
	assert_success
	checkpoint_any --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "is in the container but not below its init (started by ward exec?)"
	is_running
	pgrep -f "sleep 1000" >/dev/null
}

@test "criu: --leave-running keeps the container; the copy restored beside it is a normal ward container" {
	need_criu
	start_counter
	run_ward checkpoint --leave-running --image-path "$IMG" "$ID"
	assert_success
	is_running
	local at
	at=$(last_count)
	wait_count_above "$at"
	# Beside it, in a cgroup of its own, from the same rootfs.
	update_config '.linux.cgroupsPath += "-copy"'
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID-copy"
	assert_success
	local pid
	pid=$(ctr_pid "$ID-copy")
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
	[ "$pid" != "$(ctr_pid "$ID")" ]
	is_running "$ID-copy"
	# Its cgroup is ward's, from its config; ps, exec and inspect work.
	grep -q ":$CGPATH-copy\$" "/proc/$pid/cgroup"
	run_ward ps --format json "$ID-copy"
	assert_success
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
	run_ward exec "$ID-copy" sh -c 'echo $$ from $(cat /proc/1/cmdline | tr "\0" " ")'
	assert_success
	assert_output_contains "$MARK"
	run_ward inspect --format json "$ID-copy"
	assert_success
	jq -e --argjson p "$pid" '.pid == $p and .status == "running"' <<<"$output"
	# kill and delete, as for any container.
	run_ward kill "$ID-copy" KILL
	assert_success
	wait_status "$ID-copy" stopped
	run_ward delete "$ID-copy"
	assert_success
	assert_no_leftovers "$ID-copy"
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*$CGPATH-copy" 2>/dev/null)" ]
	is_running
}

@test "criu: --pre-dump, then a checkpoint on top of it with --parent-path, restores" {
	need_criu
	start_counter
	run_ward checkpoint --pre-dump --image-path "$BATS_TEST_TMPDIR/parent" "$ID"
	assert_success
	is_running
	ls "$BATS_TEST_TMPDIR/parent" | grep -q '^pages-'
	run_ward checkpoint --parent-path ../parent --image-path "$IMG" "$ID"
	assert_success
	[ -L "$IMG/parent" ]
	local at
	at=$(last_count)
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	wait_count_above $((at + 1))
	assert_count_continuous
}

@test "criu: a bind mount from the host and the masked paths come back as external mounts" {
	need_criu
	mkdir -p "$BATS_TEST_TMPDIR/data"
	echo "host data" >"$BATS_TEST_TMPDIR/data/file"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"ro\"]}"
	start_counter
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	jq -e '[.mounts[] | select(.kind == "bind" and .mountpoint == "/data")] | length == 1' "$IMG/ward-checkpoint.json"
	echo "changed on the host" >"$BATS_TEST_TMPDIR/data/file"
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	# The host's directory, live (not a copy in the images), read-only.
	run_ward exec "$ID" cat /data/file
	assert_success
	[ "$output" = "changed on the host" ]
	run_ward exec "$ID" sh -c 'echo x >/data/new'
	assert_failure
	local pid
	pid=$(ctr_pid "$ID")
	awk '$5 == "/data"' "/proc/$pid/mountinfo" | grep -q ' ro,'
	# Masked files are the host's /dev/null again.
	run_ward exec "$ID" sh -c 'wc -c </proc/kcore'
	assert_success
	[ "$output" = 0 ]
}

@test "criu: --tcp-established carries a TCP connection; without it, checkpoint says to use it" {
	need_criu
	# (the listener's stdin never ends, or it would close its side and the
	# client stop; the client starts once the listener shows in
	# /proc/net/tcp or tcp6: port 7000 is 1B58, state 0A is LISTEN)
	set_args sh -c ": $MARK; exec 3>>/tmp/count; sleep 100000 | nc -l -p 7000 >/tmp/recv & until grep -q ':1B58 [0-9A-F]*:0000 0A' /proc/net/tcp /proc/net/tcp6; do sleep 0.1; done; i=0; while :; do i=\$((i+1)); echo \$i; echo \$i >&3; sleep 0.1; done | nc 127.0.0.1 7000"
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	wait_count_above 3
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "tcp-established"
	is_running
	run_ward checkpoint --tcp-established --image-path "$IMG" "$ID"
	assert_success
	local at
	at=$(last_count)
	run_detached restore -d --tcp-established -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	wait_count_above $((at + 2))
	# What was sent after the restore arrived over the restored connection.
	local recv="$BUNDLE/rootfs/tmp/recv" i
	for i in $(seq 1 100); do
		[ "$(tail -n 1 "$recv")" -gt $((at + 1)) ] 2>/dev/null && break
		sleep 0.1
	done
	[ "$(tail -n 1 "$recv")" -gt $((at + 1)) ]
	awk 'NR != $1 { exit 1 }' "$recv"
}

@test "criu: a container in a user namespace comes back with its ID maps" {
	need_criu
	enable_userns 100000 65536
	# criu reopens the inherited stdio at restore as the namespace's root (a
	# mapped host id), and checks it has the checkpointed one's mode: the
	# log run and restore write to is writable by that id from the start.
	touch "$BATS_TEST_TMPDIR/detached.log"
	chmod 0666 "$BATS_TEST_TMPDIR/detached.log"
	start_counter
	local pid maps
	pid=$(ctr_pid "$ID")
	maps=$(cat "/proc/$pid/uid_map" "/proc/$pid/gid_map")
	checkpoint_restore_counter
	pid=$(ctr_pid "$ID")
	[ "$(cat "/proc/$pid/uid_map" "/proc/$pid/gid_map")" = "$maps" ]
	[ "$(readlink "/proc/$pid/ns/user")" != "$(host_ns user)" ]
	# An image directory the namespace's root cannot search is named.
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	chmod 0700 "$IMG"
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "--image-path $IMG: the container has a user namespace, whose root cannot search this directory (mode 700; chmod o+x it)"
	nothing_left "$ID"
}

@test "criu: a network namespace joined by path stays outside the checkpoint and is joined again" {
	need_criu
	local ns="$BATS_TEST_TMPDIR/netns"
	touch "$ns"
	unshare --net="$ns" true
	NETNS_MOUNT=$ns
	add_namespace network "$ns"
	start_counter
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	jq -e '.netnsExternal == true' "$IMG/ward-checkpoint.json"
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_success
	[ "$(stat -L -c %i "/proc/$(ctr_pid "$ID")/ns/net")" = "$(stat -L -c %i "$ns")" ]
	# The config must still join it: a config with a namespace of its own
	# does not match the checkpoint.
	run_ward delete -f "$ID"
	assert_success
	remove_namespace network
	add_namespace network
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "the checkpoint's network namespace was joined by path, the config's is not"
	nothing_left "$ID"
}

@test "criu: a restore that criu cannot finish leaves no cgroup, state, mount or process" {
	need_criu
	mkdir -p "$BATS_TEST_TMPDIR/data"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\"]}"
	start_counter
	run_ward checkpoint --image-path "$IMG" "$ID"
	assert_success
	# The bind mount's source is gone: criu cannot mount it back.
	rm -rf "$BATS_TEST_TMPDIR/data"
	run_detached restore -d -b "$BUNDLE" --image-path "$IMG" "$ID"
	assert_failure
	assert_output_contains "restore $ID: criu restore failed: "
	assert_output_contains "(see $IMG/restore.log)"
	nothing_left "$ID"
	! pgrep -f "$MARK"
}
