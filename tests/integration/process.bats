#!/usr/bin/env bats
# process: args, env, cwd, user, umask, rlimits, noNewPrivileges,
# capabilities, oomScoreAdj, personality, terminal — checked from inside.

load helpers
load helpers_inside

setup() {
	setup_bundle
	isolate_cgroup
	CONSOLE_RECV_PID=
}

teardown() {
	console_receiver_stop
	teardown_bundle
}

add_passwd_user() {
	echo "wuser:x:1000:1000:w user:/home/wuser:/bin/sh" >>"$BUNDLE/rootfs/etc/passwd"
	echo "wgroup:x:1000:" >>"$BUNDLE/rootfs/etc/group"
}

@test "process.args are passed exactly, including spaces and empty strings" {
	set_args sh -c 'printf "[%s]" "$0" "$@"; echo' zeroth 'a b' '' c
	run_ward run -b "$BUNDLE" ctr
	assert_success
	[ "$output" = "[zeroth][a b][][c]" ]
}

@test "process.args[0] is looked up in the container's PATH" {
	set_args echo found-through-path
	run_ward run -b "$BUNDLE" ctr
	assert_success
	[ "$output" = found-through-path ]
}

@test "a missing executable fails with an error naming it" {
	set_args /no/such/binary
	run_ward run -b "$BUNDLE" ctr
	assert_failure
	assert_output_contains "/no/such/binary"
}

@test "process.env is the whole environment of the process" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="]'
	set_args env
	BATS_LEAK_CHECK=must-not-leak run_ward run -b "$BUNDLE" ctr
	assert_success
	assert_output_contains "FOO=bar baz"
	assert_output_contains "EMPTY="
	assert_output_contains "PATH=/bin:/usr/bin"
	assert_output_not_contains "must-not-leak"
	assert_output_not_contains "BATS_"
	# PATH, FOO, EMPTY and HOME (added by the runtime): nothing else.
	[ "${#lines[@]}" -eq 4 ]
}

@test "process.cwd is the working directory" {
	update_config '.process.cwd = "/usr/bin"'
	run_sh 'pwd; readlink /proc/self/cwd'
	assert_success
	[ "${lines[0]}" = /usr/bin ]
	[ "${lines[1]}" = /usr/bin ]
}

@test "HOME is set from /etc/passwd when absent (root)" {
	update_config '.process.env = ["PATH=/bin:/usr/bin"]'
	run_sh 'echo "HOME=$HOME"'
	assert_success
	[ "$output" = "HOME=/root" ]
}

@test "HOME is set from /etc/passwd when absent (non-root user)" {
	add_passwd_user
	update_config '.process.env = ["PATH=/bin:/usr/bin"] | .process.user = {uid: 1000, gid: 1000}'
	run_sh 'echo "HOME=$HOME"'
	assert_success
	[ "$output" = "HOME=/home/wuser" ]
}

@test "HOME given in process.env is kept" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "HOME=/custom/home"]'
	run_sh 'echo "HOME=$HOME"'
	assert_success
	[ "$output" = "HOME=/custom/home" ]
}

@test "process.user uid, gid and additionalGids" {
	add_passwd_user
	update_config '.process.user = {uid: 1000, gid: 1001, additionalGids: [5, 2000]}'
	run_sh 'cat /proc/self/status; echo "id: $(id)"'
	assert_success
	[ "$(status_field "$output" Uid)" = "$(printf '1000\t1000\t1000\t1000')" ]
	[ "$(status_field "$output" Gid)" = "$(printf '1001\t1001\t1001\t1001')" ]
	[ "$(status_field "$output" Groups | xargs)" = "5 2000" ]
	assert_output_contains "id: uid=1000(wuser) gid=1001"
}

@test "without additionalGids a non-root process has no supplementary groups" {
	update_config '.process.user = {uid: 1000, gid: 1000}'
	run_sh 'cat /proc/self/status'
	assert_success
	[ -z "$(status_field "$output" Groups | xargs)" ]
}

@test "process.user.umask applies to files the process creates" {
	update_config '.process.user.umask = 63'
	run_sh 'touch /dev/shm/f && mkdir /dev/shm/d && stat -c %a /dev/shm/f /dev/shm/d'
	assert_success
	[ "${lines[0]}" = 600 ]
	[ "${lines[1]}" = 700 ]
}

@test "process.user.umask 0 creates world-writable files" {
	update_config '.process.user.umask = 0'
	run_sh 'touch /dev/shm/f && stat -c %a /dev/shm/f; umask'
	assert_success
	[ "${lines[0]}" = 666 ]
	[ "${lines[1]}" = 0000 ]
}

@test "rlimits: lowered RLIMIT_NOFILE soft/hard are in /proc/self/limits" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 256, hard: 512}]'
	run_sh 'grep "Max open files" /proc/self/limits; ulimit -n'
	assert_success
	[ "$(echo "${lines[0]}" | xargs)" = "Max open files 256 512 files" ]
	[ "${lines[1]}" = 256 ]
}

@test "rlimits: several limits are all applied" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 100, hard: 200},
		{type: "RLIMIT_NPROC", soft: 300, hard: 400}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]'
	run_sh 'grep -E "Max (open files|processes|core file size)" /proc/self/limits | tr -s " "'
	assert_success
	assert_output_contains "Max core file size 0 0 bytes"
	assert_output_contains "Max processes 300 400 processes"
	assert_output_contains "Max open files 100 200 files"
}

@test "rlimits: raising a hard limit above the runtime's fails with a clear error" {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ]
	# ward's bounding set on this machine lacks CAP_SYS_RESOURCE.
	if grep -q '^CapBnd:' /proc/self/status && [ $((0x$(awk '/^CapBnd/ {print $2}' /proc/self/status) >> 24 & 1)) = 1 ]; then
		skip "the test runs with CAP_SYS_RESOURCE: raising would succeed"
	fi
	update_config --argjson h $((hard * 2)) '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1024, hard: $h}]'
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	assert_output_contains RLIMIT_NOFILE
}

@test "rlimits: an unknown type is refused" {
	update_config '.process.rlimits = [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	assert_output_contains RLIMIT_BOGUS
}

@test "rlimits: duplicate types are refused" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 100, hard: 200}, {type: "RLIMIT_NOFILE", soft: 50, hard: 100}]'
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	assert_output_contains RLIMIT_NOFILE
}

@test "noNewPrivileges true sets NoNewPrivs" {
	update_config '.process.noNewPrivileges = true'
	run_sh 'grep NoNewPrivs /proc/self/status'
	assert_success
	[ "$(echo "$output" | tr -s '\t ' ' ')" = "NoNewPrivs: 1" ]
}

@test "noNewPrivileges false leaves NoNewPrivs unset" {
	update_config '.process.noNewPrivileges = false'
	run_sh 'grep NoNewPrivs /proc/self/status'
	assert_success
	[ "$(echo "$output" | tr -s '\t ' ' ')" = "NoNewPrivs: 0" ]
}

@test "capabilities: root with the default config has exactly the configured sets" {
	run_sh 'grep ^Cap /proc/self/status'
	assert_success
	local bnd
	bnd=$(cap_mask_of .process.capabilities.bounding)
	[ "$bnd" = 00000000800405fb ]
	[ "$(status_field "$output" CapBnd)" = "$bnd" ]
	[ "$(status_field "$output" CapEff)" = "$(cap_mask_of .process.capabilities.effective)" ]
	[ "$(status_field "$output" CapPrm)" = "$(cap_mask_of .process.capabilities.permitted)" ]
	[ "$(status_field "$output" CapInh)" = 0000000000000000 ]
	[ "$(status_field "$output" CapAmb)" = 0000000000000000 ]
}

@test "capabilities: a small root set is exact in every mask" {
	update_config '.process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
		effective: ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
		permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
		inheritable: ["CAP_KILL"]}'
	run_sh 'grep ^Cap /proc/self/status'
	assert_success
	[ "$(status_field "$output" CapBnd)" = "$(cap_mask CAP_CHOWN CAP_KILL CAP_SETUID)" ]
	[ "$(status_field "$output" CapBnd)" = 00000000000000a1 ]
	[ "$(status_field "$output" CapEff)" = 00000000000000a1 ]
	[ "$(status_field "$output" CapPrm)" = 00000000000000a1 ]
	[ "$(status_field "$output" CapInh)" = 0000000000000020 ]
	[ "$(status_field "$output" CapAmb)" = 0000000000000000 ]
}

@test "capabilities: non-root user with ambient capabilities has exact masks" {
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities = {
			bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
			permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			effective: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
			inheritable: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
			ambient: ["CAP_NET_BIND_SERVICE"]}'
	run_sh 'grep ^Cap /proc/self/status'
	assert_success
	# For a non-root uid, execve keeps the inheritable set, and permitted and
	# effective become the ambient set.
	[ "$(status_field "$output" CapBnd)" = "$(cap_mask CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_NET_RAW)" ]
	[ "$(status_field "$output" CapInh)" = "$(cap_mask CAP_KILL CAP_NET_BIND_SERVICE)" ]
	[ "$(status_field "$output" CapAmb)" = "$(cap_mask CAP_NET_BIND_SERVICE)" ]
	[ "$(status_field "$output" CapPrm)" = "$(cap_mask CAP_NET_BIND_SERVICE)" ]
	[ "$(status_field "$output" CapEff)" = "$(cap_mask CAP_NET_BIND_SERVICE)" ]
}

@test "capabilities: an ambient CAP_NET_BIND_SERVICE lets a non-root user bind port 80" {
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities.inheritable = ["CAP_NET_BIND_SERVICE"]
		| .process.capabilities.ambient = ["CAP_NET_BIND_SERVICE"]'
	run_sh 'timeout 1 nc -l -p 80; echo "rc=$?"'
	assert_success
	assert_output_not_contains "Permission denied"
	# timeout killed the listening nc: the bind worked.
	assert_output_contains "rc=143"
}

@test "capabilities: without ambient capabilities a non-root user cannot bind port 80" {
	update_config '.process.user = {uid: 1000, gid: 1000}'
	run_sh 'timeout 1 nc -l -p 80; echo "rc=$?"'
	assert_output_contains "Permission denied"
	assert_output_contains "rc=1"
}

@test "capabilities: without CAP_SYS_ADMIN the container cannot mount" {
	run_sh 'mount -t tmpfs none /tmp && echo MOUNTED'
	assert_failure
	assert_output_not_contains MOUNTED
	# busybox reports EPERM as "permission denied (are you root?)"
	[[ "${output,,}" == *"permission denied"* ]]
}

@test "capabilities: without CAP_NET_RAW (the default) ping fails where ICMP sockets are not allowed" {
	# The host network (lo is up there); its ping_group_range gives no
	# unprivileged ICMP sockets, so ping needs a raw socket.
	[ "$(cut -f1 /proc/sys/net/ipv4/ping_group_range)" -gt "$(cut -f2 /proc/sys/net/ipv4/ping_group_range)" ] ||
		skip "host allows unprivileged ICMP sockets (ping_group_range)"
	remove_namespace network
	run_sh 'ping -c1 -W2 127.0.0.1'
	assert_failure
	assert_output_contains "permission denied"
}

@test "capabilities: with CAP_NET_RAW added ping works (a raw socket)" {
	remove_namespace network
	add_caps CAP_NET_RAW
	run_sh 'ping -c1 -W2 127.0.0.1'
	assert_success
	assert_output_contains "1 packets received"
}

@test "oomScoreAdj is applied" {
	update_config '.process.oomScoreAdj = 500'
	run_sh 'cat /proc/self/oom_score_adj'
	assert_success
	[ "$output" = 500 ]
}

@test "personality LINUX32 makes uname -m report i686" {
	[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host"
	update_config '.linux.personality = {domain: "LINUX32"}'
	run_sh 'uname -m'
	assert_success
	[ "$output" = i686 ]
}

@test "personality LINUX keeps the native machine" {
	update_config '.linux.personality = {domain: "LINUX"}'
	run_sh 'uname -m'
	assert_success
	[ "$output" = "$(uname -m)" ]
}

@test "terminal: the pty master arrives on --console-socket and carries the output" {
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	console_receiver_start "$sock" "$out"
	update_config '.process.terminal = true'
	set_args sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; echo end-of-output'
	run_detached create --console-socket "$sock" -b "$BUNDLE" ctr
	assert_success
	run_ward start ctr
	assert_success
	wait_file "$out.done"
	local got
	got=$(tr -d '\r' <"$out")
	[[ "$got" == *"end-of-output"* ]]
	[[ "$got" == *"all-ttys"* ]]
	local ttyname
	ttyname=$(head -n 1 <<<"$got")
	[ "$ttyname" = /dev/pts/0 ] || [ "$ttyname" = /dev/console ]
	# The fd is a pty master (major 5 on Linux: /dev/ptmx; or 128+).
	read -r major _ <"$out.fdinfo"
	[ "$major" -eq 5 ] || [ "$major" -ge 128 ]
}

@test "terminal: input written to the pty master reaches the process" {
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	console_receiver_start "$sock" "$out" $'hello-through-pty\n'
	update_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got:$line"'
	run_detached create --console-socket "$sock" -b "$BUNDLE" ctr
	assert_success
	run_ward start ctr
	assert_success
	wait_file "$out.done"
	[[ "$(tr -d '\r' <"$out")" == *"got:hello-through-pty"* ]]
}

@test "terminal: consoleSize sets the window size" {
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	console_receiver_start "$sock" "$out"
	update_config '.process.terminal = true | .process.consoleSize = {height: 33, width: 111}'
	set_args stty size
	run_detached create --console-socket "$sock" -b "$BUNDLE" ctr
	assert_success
	run_ward start ctr
	assert_success
	wait_file "$out.done"
	[ "$(tr -d '\r' <"$out")" = "33 111" ]
}

@test "terminal: --console-socket with process.terminal false is refused" {
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	console_receiver_start "$sock" "$out"
	set_args true
	run_detached create --console-socket "$sock" -b "$BUNDLE" ctr
	assert_failure
	assert_output_contains "terminal"
}

@test "terminal: detached with terminal true and no --console-socket is refused" {
	update_config '.process.terminal = true'
	set_args true
	run_detached create -b "$BUNDLE" ctr
	assert_failure
	assert_output_contains "console-socket"
}

@test "terminal: foreground run with terminal true gets a tty (under script)" {
	command -v script >/dev/null || skip "util-linux script is not installed"
	update_config '.process.terminal = true'
	set_args sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo all-ttys'
	run timeout 20 script -qec "$WARD --root $STATE_ROOT run -b $BUNDLE ctr" /dev/null </dev/null
	assert_success
	local got
	got=$(tr -d '\r' <<<"$output")
	[[ "$got" == *"all-ttys"* ]]
	[[ "$got" == *"/dev/pts/0"* ]] || [[ "$got" == *"/dev/console"* ]]
}
