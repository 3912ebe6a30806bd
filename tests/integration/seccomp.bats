#!/usr/bin/env bats
# linux.seccomp: each action, errno, argument comparisons, flags and
# architectures, the error messages for bad profiles, exec, the seccomp
# notify listener, and `ward seccomp default|convert`. Every test tries the
# forbidden thing inside a container and looks at how it fails.
#
# The syscall probe (tests/seccomp/probe.c) prints one line per operation:
# "ok", an errno name, or SIGSYS(code=..,syscall=..) if the call trapped.

load helpers
load ../seccomp/lib

setup_file() {
	build_probe
}

setup() {
	setup_bundle
	install_probe
	update_config '.root.readonly = false'
	LISTENER_PID=
}

teardown() {
	teardown_bundle
	if [ -n "${LISTENER_PID:-}" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
}

# x86_64 syscall numbers, as the kernel reports them to a listener or in
# SIGSYS's si_syscall.
NR_MKDIR=83
NR_MKDIRAT=258

# ward's own default profile (the allow-list `ward spec` writes) with mkdir and
# mkdirat taken out of it: a realistic ERRNO-default profile to play with.
default_profile_without_mkdir() {
	jq -c '.linux.seccomp
		| .syscalls |= map(.names -= ["mkdir", "mkdirat"])' "$BUNDLE/config.json"
}

# One-rule profile on top of an ALLOW default: rule_profile RULE-JSON
rule_profile() {
	jq -nc --argjson r "$1" '{defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [$r]}'
}

# Start tests/seccomp/listener.py on $BATS_TEST_TMPDIR/l.sock: start_listener MODE
start_listener() {
	LDIR="$BATS_TEST_TMPDIR/listener"
	LSOCK="$LDIR/l.sock"
	mkdir -p "$LDIR"
	python3 "$SECCOMP_FIXTURES/listener.py" "$LSOCK" "$LDIR" "$1" \
		</dev/null >"$LDIR/log" 2>&1 3>&- &
	LISTENER_PID=$!
	local i
	for i in $(seq 100); do
		[ -e "$LDIR/ready" ] && return 0
		sleep 0.05
	done
	echo "listener did not start: $(cat "$LDIR/log")" >&2
	return 1
}

# A profile notifying mkdir/mkdirat to the test's listener.
notify_profile() {
	jq -nc --arg p "$LSOCK" '{defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		listenerPath: $p, listenerMetadata: "ward-test-metadata",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}'
}

# Wait until the listener wrote a file (default 5 s).
wait_file() {
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "no $1; listener log: $(cat "$LDIR/log" 2>/dev/null)" >&2
	return 1
}

# ---------------------------------------------------------------------------
# ERRNO, errnoRet, defaultErrnoRet, ALLOW

@test "seccomp: a Docker-style no-mkdir profile blocks mkdir with EPERM while other syscalls work" {
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	set_args sh -c 'mkdir /tmp/d; echo "mkdir=$?"; touch /tmp/f && echo touched; echo hi > /tmp/f && cat /tmp/f; ls /tmp'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "can't create directory '/tmp/d': Operation not permitted"
	assert_output_contains "mkdir=1"
	assert_output_contains "touched"
	assert_output_contains "hi"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	[ -f "$BUNDLE/rootfs/tmp/f" ]
	# Both syscalls of the rule, called directly.
	run_probe c2 mkdir:/tmp/d1 mkdirat:/tmp/d2 getpid
	assert_success
	assert_lines EPERM EPERM ok
	[ ! -e "$BUNDLE/rootfs/tmp/d1" ]
	[ ! -e "$BUNDLE/rootfs/tmp/d2" ]
}

@test "seccomp: errnoRet sets the errno a rule returns (38: Function not implemented)" {
	set_seccomp "$(rule_profile '{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}')"
	set_args sh -c 'mkdir /tmp/d'
	run_ward run -b "$BUNDLE" c1
	[ "$status" -eq 1 ]
	assert_output_contains "can't create directory '/tmp/d': Function not implemented"
	run_probe c2 mkdir:/tmp/d mkdirat:/tmp/d getpid
	assert_lines ENOSYS ENOSYS ok
}

@test "seccomp: defaultErrnoRet sets the errno of the default action" {
	local p
	p=$(default_profile_without_mkdir | jq -c '.defaultErrnoRet = 38')
	set_seccomp "$p"
	run_probe c1 mkdir:/tmp/d mkdirat:/tmp/d keyctl getpid
	assert_success
	assert_lines ENOSYS ENOSYS ENOSYS ok
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp: a rule without errnoRet returns EPERM, not defaultErrnoRet (runtime-spec default)" {
	# runtime-spec config-linux.md, syscalls[].errnoRet: "If not specified its
	# default value is EPERM" (runc: actErrno = EPERM). defaultErrnoRet only
	# applies to defaultAction.
	local p
	p=$(default_profile_without_mkdir |
		jq -c '.defaultErrnoRet = 38 | .syscalls += [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]')
	set_seccomp "$p"
	run_probe c1 mkdir:/tmp/d mkdirat:/tmp/d keyctl
	assert_success
	# mkdir/mkdirat by the rule (EPERM), keyctl by the default (ENOSYS).
	assert_lines EPERM EPERM ENOSYS
}

@test "seccomp: SCMP_ACT_ALLOW rules open syscalls under an ERRNO default" {
	set_seccomp "$(default_profile_without_mkdir)"
	run_probe c1 mkdir:/tmp/d getpid
	assert_lines EPERM ok
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	set_seccomp "$(default_profile_without_mkdir | jq -c '.syscalls += [{names: ["mkdir"], action: "SCMP_ACT_ALLOW"}]')"
	run_probe c2 mkdir:/tmp/d mkdirat:/tmp/e
	assert_lines ok EPERM
	[ -d "$BUNDLE/rootfs/tmp/d" ]
	[ ! -e "$BUNDLE/rootfs/tmp/e" ]
}

@test "seccomp: errnoRet on an action without an errno is refused (runtime-spec MUST)" {
	# config-linux.md: "When the action doesn't support an errno, the runtime
	# MUST print and error and fail."
	set_seccomp "$(rule_profile '{"names": ["mkdir"], "action": "SCMP_ACT_KILL_PROCESS", "errnoRet": 5}')"
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "linux.seccomp.syscalls[0]"
	assert_output_contains "errnoRet"
	assert_no_leftovers c1
}

@test "seccomp: defaultErrnoRet with a default action without an errno is refused (runtime-spec MUST)" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 38,
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "linux.seccomp.defaultErrnoRet"
	assert_no_leftovers c1
}

# ---------------------------------------------------------------------------
# KILL, KILL_THREAD, KILL_PROCESS, TRAP, LOG, TRACE

@test "seccomp: SCMP_ACT_KILL kills the calling process by SIGSYS (status 159)" {
	no_core_dumps
	set_seccomp "$(rule_profile '{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}')"
	set_args mkdir /tmp/d
	run_ward run -b "$BUNDLE" c1
	[ "$status" -eq 159 ]
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	# Other processes of the container go on: the shell survives its child.
	set_args sh -c 'mkdir /tmp/d; echo "child status $?"'
	run_ward run -b "$BUNDLE" c2
	assert_success
	assert_output_contains "child status 159"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp: SCMP_ACT_KILL_THREAD kills only the calling thread" {
	no_core_dumps
	set_seccomp "$(rule_profile '{"names": ["mkdir"], "action": "SCMP_ACT_KILL_THREAD"}')"
	run_probe c1 mkdir-thread:/tmp/d getpid
	assert_success
	assert_lines thread-killed main-alive ok
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	# From the main (only) thread, the process dies.
	run_probe c2 mkdir:/tmp/d
	[ "$status" -eq 159 ]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the whole process, even from another thread" {
	no_core_dumps
	set_seccomp "$(rule_profile '{"names": ["mkdir"], "action": "SCMP_ACT_KILL_PROCESS"}')"
	run_probe c1 mkdir-thread:/tmp/d getpid
	[ "$status" -eq 159 ]
	assert_output_not_contains "main-alive"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp: SCMP_ACT_TRAP sends a catchable SIGSYS with si_code SYS_SECCOMP" {
	no_core_dumps
	set_seccomp "$(rule_profile '{"names": ["mkdir"], "action": "SCMP_ACT_TRAP"}')"
	# The probe catches SIGSYS and goes on (code 1 = SYS_SECCOMP, syscall 83 = mkdir).
	run_probe c1 mkdir:/tmp/d getpid
	assert_success
	assert_lines "SIGSYS(code=1,syscall=$NR_MKDIR)" ok
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	# A program that does not catch it dies of it.
	set_args sh -c 'mkdir /tmp/d; echo "child status $?"'
	run_ward run -b "$BUNDLE" c2
	assert_output_contains "child status 159"
}

# A program name nobody else uses, to find the kernel's audit records
# (type=1326 AUDIT_SECCOMP) for our calls in dmesg.
unique_comm() {
	local name="w$$$RANDOM$RANDOM"
	echo "${name:0:15}"
}

# Can this host show seccomp audit records for action $1 (log, errno...)?
audit_visible() {
	dmesg >/dev/null 2>&1 && grep -qw "$1" /proc/sys/kernel/seccomp/actions_logged
}

# Wait for an audit record of program $1 for syscall $2 with code $3.
wait_audit() {
	local i
	for i in $(seq 40); do
		dmesg | grep "comm=\"$1\"" | grep "syscall=$2 " | grep -q "code=$3" && return 0
		sleep 0.05
	done
	echo "no audit record comm=$1 syscall=$2 code=$3" >&2
	return 1
}

@test "seccomp: SCMP_ACT_LOG allows the syscall and logs it" {
	set_seccomp "$(rule_profile '{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"}')"
	local name
	name=$(unique_comm)
	install_probe "$name"
	set_args "$name" mkdir:/tmp/d
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_lines ok
	[ -d "$BUNDLE/rootfs/tmp/d" ]
	if audit_visible log; then
		# code 0x7ffc0000 = SECCOMP_RET_LOG
		wait_audit "$name" "$NR_MKDIR" 0x7ffc0000
	fi
}

@test "seccomp: SCMP_ACT_TRACE without a tracer fails the syscall with ENOSYS" {
	set_seccomp "$(rule_profile '{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRACE"}')"
	set_args sh -c 'mkdir /tmp/d'
	run_ward run -b "$BUNDLE" c1
	[ "$status" -eq 1 ]
	assert_output_contains "Function not implemented"
	run_probe c2 mkdir:/tmp/d getpid
	assert_lines ENOSYS ok
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

# ---------------------------------------------------------------------------
# Argument comparisons. umask(2) never fails by itself, so any failure is
# the filter's; 42 (ENOMSG) marks the rule's errno.

# umask_rule OP VALUE [VALUE2]: ERRNO 42 when umask's argument 0 compares.
umask_rule() {
	jq -nc --arg op "$1" --argjson v "$2" --argjson v2 "${3:-0}" \
		'{names: ["umask"], action: "SCMP_ACT_ERRNO", errnoRet: 42,
		  args: [{index: 0, value: $v, valueTwo: $v2, op: $op}]}'
}

@test "seccomp: SCMP_CMP_EQ on personality's argument blocks only that persona" {
	# 0x0040000 = ADDR_NO_RANDOMIZE
	set_seccomp "$(rule_profile '{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
		"args": [{"index": 0, "value": 262144, "op": "SCMP_CMP_EQ"}]}')"
	run_probe c1 personality:40000 personality:ffffffff personality:0 personality:40001
	assert_success
	assert_lines ENOMSG ok ok ok
}

@test "seccomp: SCMP_CMP_EQ matches exactly the value" {
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_EQ 18)")" # 18 = 022
	run_probe c1 umask:21 umask:22 umask:23
	assert_lines ok ENOMSG ok
}

@test "seccomp: SCMP_CMP_NE matches every other value" {
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_NE 18)")"
	run_probe c1 umask:21 umask:22 umask:23
	assert_lines ENOMSG ok ENOMSG
}

@test "seccomp: SCMP_CMP_LT matches values below" {
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_LT 18)")"
	run_probe c1 umask:21 umask:22 umask:23
	assert_lines ENOMSG ok ok
}

@test "seccomp: SCMP_CMP_LE matches values below or equal" {
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_LE 18)")"
	run_probe c1 umask:21 umask:22 umask:23
	assert_lines ENOMSG ENOMSG ok
}

@test "seccomp: SCMP_CMP_GE matches values above or equal" {
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_GE 18)")"
	run_probe c1 umask:21 umask:22 umask:23
	assert_lines ok ENOMSG ENOMSG
}

@test "seccomp: SCMP_CMP_GT matches values above" {
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_GT 18)")"
	run_probe c1 umask:21 umask:22 umask:23
	assert_lines ok ok ENOMSG
}

@test "seccomp: SCMP_CMP_MASKED_EQ on clone flags blocks CLONE_NEWUSER, not a plain fork" {
	# (flags & CLONE_NEWUSER) == CLONE_NEWUSER; value is the mask, valueTwo
	# the expected result (Docker's and runc's reading).
	set_seccomp "$(rule_profile '{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
		"args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}')"
	run_probe c1 clone:0 clone:10000000 clone:10000000
	assert_success
	assert_lines ok ENOMSG ENOMSG
	# And busybox forks fine.
	set_args sh -c '/bin/true && echo forked'
	run_ward run -b "$BUNDLE" c2
	assert_success
	assert_output_contains forked
}

@test "seccomp: SCMP_CMP_MASKED_EQ compares only the masked bits" {
	# (mode & 0o070) == 0o020: 020, 027 and 127 match; 000, 030, 070 do not.
	set_seccomp "$(rule_profile "$(umask_rule SCMP_CMP_MASKED_EQ 56 16)")"
	run_probe c1 umask:20 umask:27 umask:127 umask:0 umask:30 umask:70
	assert_lines ENOMSG ENOMSG ENOMSG ok ok ok
}

@test "seccomp: two comparisons of the same argument are ORed (runc semantics)" {
	set_seccomp "$(rule_profile '{"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
		"args": [{"index": 0, "value": 9, "op": "SCMP_CMP_EQ"},
			 {"index": 0, "value": 18, "op": "SCMP_CMP_EQ"}]}')"
	run_probe c1 umask:11 umask:22 umask:33
	assert_success
	assert_lines ENOMSG ENOMSG ok
}

@test "seccomp: comparisons of different arguments are ANDed" {
	# getpriority(which, who): blocked only for which == PRIO_PROCESS (0) and
	# who == 0. (0, 1) is pid 1, the probe itself; (2, 0) is PRIO_USER, our uid.
	set_seccomp "$(rule_profile '{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
		"args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
			 {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}')"
	run_probe c1 getpriority:0:0 getpriority:0:1 getpriority:2:0
	assert_success
	assert_lines ENOMSG ok ok
}

# ---------------------------------------------------------------------------
# Names, bad profiles

@test "seccomp: unknown syscall names are skipped; the rest of the rule still applies" {
	set_seccomp "$(rule_profile '{"names": ["ward_no_such_syscall", "mkdir", "mkdirat", "another_made_up_one"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 38}')"
	run_probe c1 mkdir:/tmp/d getpid
	assert_success
	assert_lines ENOSYS ok
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp: an unknown action is a clear error naming the field, and nothing is left behind" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
		{"names": ["rmdir"], "action": "SCMP_ACT_EXPLODE"}]}'
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains 'linux.seccomp.syscalls[1].action'
	assert_output_contains 'SCMP_ACT_EXPLODE'
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
	# The same through create (and an unknown defaultAction).
	set_seccomp '{"defaultAction": "SCMP_ACT_NOPE"}'
	run_detached create -b "$BUNDLE" c2
	assert_failure
	assert_output_contains 'linux.seccomp.defaultAction'
	assert_output_contains 'SCMP_ACT_NOPE'
	assert_no_leftovers c2
}

@test "seccomp: an unknown operator is a clear error naming the field, and nothing is left behind" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["umask"], "action": "SCMP_ACT_ERRNO",
		 "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]}'
	set_args true
	run_detached create -b "$BUNDLE" c1
	assert_failure
	assert_output_contains 'linux.seccomp.syscalls[0].args[1]'
	assert_output_contains 'SCMP_CMP_ALMOST'
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
}

@test "seccomp: an unknown architecture is a clear error naming the field, and nothing is left behind" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11"],
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args true
	run_detached create -b "$BUNDLE" c1
	assert_failure
	assert_output_contains 'linux.seccomp.architectures[1]'
	assert_output_contains 'SCMP_ARCH_PDP11'
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
}

@test "seccomp: an unknown flag is a clear error naming the field" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"]}'
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains 'linux.seccomp.flags[1]'
	assert_output_contains 'SECCOMP_FILTER_FLAG_BOGUS'
	assert_no_leftovers c1
}

# ---------------------------------------------------------------------------
# Flags, architectures, status

@test "seccomp: flags SECCOMP_FILTER_FLAG_LOG, SPEC_ALLOW and TSYNC are accepted and the filter applies" {
	set_seccomp "$(jq -c '.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]' \
		"$SECCOMP_FIXTURES/no-mkdir.json")"
	local name
	name=$(unique_comm)
	install_probe "$name"
	set_args "$name" mkdir:/tmp/d getpid
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_lines EPERM ok
	# SECCOMP_FILTER_FLAG_LOG: even the ERRNO action is audited (code =
	# SECCOMP_RET_ERRNO, the action without its data).
	if audit_visible errno; then
		wait_audit "$name" "$NR_MKDIR" 0x50000
	fi
	set_args cat /proc/self/status
	run_ward run -b "$BUNDLE" c2
	assert_success
	[ "$(status_field Seccomp)" = 2 ]
}

@test "seccomp: architectures X86_64, X86 and X32 all get the rules (i386 int 0x80 mkdir is blocked)" {
	grep -q '^CONFIG_IA32_EMULATION=y' <(zcat /proc/config.gz 2>/dev/null) ||
		[ -e /proc/sys/abi/vsyscall32 ] || skip "no ia32 emulation"
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	run_probe c1 mkdir:/tmp/a mkdir-i386:/tmp/b getpid
	assert_success
	assert_lines EPERM EPERM ok
	[ ! -e "$BUNDLE/rootfs/tmp/a" ]
	[ ! -e "$BUNDLE/rootfs/tmp/b" ]
	# Without a filter the same i386 call works: the probe is sound.
	update_config 'del(.linux.seccomp)'
	run_probe c2 mkdir-i386:/tmp/b
	assert_lines ok
	[ -d "$BUNDLE/rootfs/tmp/b" ]
}

@test "seccomp: /proc/self/status shows Seccomp: 2 and exactly one filter" {
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	set_args cat /proc/self/status
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field Seccomp_filters)" = 1 ]
	# Without linux.seccomp: no filter at all.
	update_config 'del(.linux.seccomp)'
	run_ward run -b "$BUNDLE" c2
	assert_success
	[ "$(status_field Seccomp)" = 0 ]
}

@test "seccomp: ward exec processes get the container's filter" {
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	run_ward exec c1 cat /proc/self/status
	assert_success
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field Seccomp_filters)" = 1 ]
	run_ward exec c1 mkdir /tmp/e
	assert_failure
	assert_output_contains "can't create directory '/tmp/e': Operation not permitted"
	run_ward exec c1 probe mkdirat:/tmp/e getpid
	assert_lines EPERM ok
	[ ! -e "$BUNDLE/rootfs/tmp/e" ]
	# --process with its own process.json does not escape it either.
	echo '{"args": ["probe", "mkdir:/tmp/e"], "cwd": "/", "user": {"uid": 0, "gid": 0}}' >"$BATS_TEST_TMPDIR/p.json"
	run_ward exec --process "$BATS_TEST_TMPDIR/p.json" c1
	assert_lines EPERM
}

@test "seccomp: the filter loads without noNewPrivileges (before capabilities are dropped)" {
	update_config '.process.noNewPrivileges = false'
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	set_args sh -c 'grep -E "^(NoNewPrivs|Seccomp|Seccomp_filters|CapEff):" /proc/self/status; probe mkdir:/tmp/d'
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$(status_field NoNewPrivs)" = 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field Seccomp_filters)" = 1 ]
	[ "$(status_field CapEff)" = "$(default_caps_hex)" ]
	assert_output_contains EPERM
	# As a non-root user without any capability left, still loaded and enforced.
	update_config '.process.user = {uid: 1000, gid: 1000}'
	run_ward run -b "$BUNDLE" c2
	assert_success
	[ "$(status_field NoNewPrivs)" = 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
	assert_output_contains EPERM
}

@test "seccomp: ward's default allow-list also loads without noNewPrivileges, for a non-root user" {
	update_config '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000, additionalGids: [5]}'
	set_args sh -c 'id; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; probe keyctl'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "uid=1000"
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
	assert_output_contains EPERM
}

# Compiled filters in the state root's cache directory.
cache_entries() {
	find "$STATE_ROOT" -maxdepth 2 -path '*seccomp-cache/*.bpf' 2>/dev/null | wc -l
}

@test "seccomp: compiled filters are cached under the state root and reused" {
	# A state root that exists already (as it does after the first container).
	mkdir -p "$STATE_ROOT"
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	run_probe c1 mkdir:/tmp/d
	assert_lines EPERM
	[ "$(cache_entries)" -eq 1 ]
	run_probe c2 mkdir:/tmp/d
	assert_lines EPERM
	[ "$(cache_entries)" -eq 1 ]
	# A different profile is a different entry, and is enforced as itself.
	set_seccomp "$(rule_profile '{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}')"
	run_probe c3 mkdir:/tmp/d
	assert_lines ENOSYS
	[ "$(cache_entries)" -eq 2 ]
	# A damaged entry is not trusted: ward recompiles.
	local f
	for f in "$STATE_ROOT"/*seccomp-cache/*.bpf; do truncate -s 20 "$f"; done
	run_probe c4 mkdir:/tmp/d
	assert_lines ENOSYS
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	run_probe c5 mkdir:/tmp/d
	assert_lines EPERM
}

@test "seccomp: the first container of a fresh state root has its filter cached too" {
	[ ! -e "$STATE_ROOT" ]
	set_seccomp_file "$SECCOMP_FIXTURES/no-mkdir.json"
	run_probe c1 mkdir:/tmp/d
	assert_lines EPERM
	[ "$(cache_entries)" -eq 1 ] || {
		echo "no cache entry after the first container: $(ls -la "$STATE_ROOT")" >&2
		return 1
	}
}

# ---------------------------------------------------------------------------
# SCMP_ACT_NOTIFY and listenerPath

@test "seccomp: SCMP_ACT_NOTIFY hands the notify fd and the state to listenerPath; the agent's errno reaches the container" {
	start_listener errno:42
	set_seccomp "$(notify_profile)"
	set_args mkdir /tmp/d
	run_ward run -b "$BUNDLE" c1
	[ "$status" -eq 1 ]
	assert_output_contains "can't create directory '/tmp/d': No message of desired type"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	wait_file "$LDIR/state.0.json"
	local st="$LDIR/state.0.json"
	jq -e . "$st" >/dev/null
	[ -n "$(jq -r '.ociVersion // empty' "$st")" ]
	[ "$(jq -c .fds "$st")" = '["seccompFd"]' ]
	[ "$(cat "$LDIR/fds.0")" -eq 1 ]
	[ "$(jq -r .metadata "$st")" = ward-test-metadata ]
	[ "$(jq -r .state.id "$st")" = c1 ]
	[ "$(jq -r .state.bundle "$st")" = "$BUNDLE" ]
	local pid
	pid=$(jq -r .pid "$st")
	[ "$pid" -gt 1 ]
	[ "$(jq -r .state.pid "$st")" = "$pid" ]
	# The notification came from that very process, for mkdir (or mkdirat).
	grep -Eq "^conn=0 nr=($NR_MKDIR|$NR_MKDIRAT) pid=$pid\$" "$LDIR/notifs"
}

@test "seccomp: a listener can make a notified syscall succeed without running it" {
	start_listener success:0
	set_seccomp "$(notify_profile)"
	set_args sh -c 'mkdir /tmp/d && echo "mkdir said yes"; if [ -e /tmp/d ]; then echo exists; else echo absent; fi'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "mkdir said yes"
	assert_output_contains absent
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	# And SECCOMP_USER_NOTIF_FLAG_CONTINUE lets it run for real.
	kill "$LISTENER_PID"
	wait "$LISTENER_PID" 2>/dev/null || true
	rm -rf "$LDIR"
	start_listener continue
	set_seccomp "$(notify_profile)"
	run_ward run -b "$BUNDLE" c2
	assert_success
	assert_output_contains exists
	[ -d "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp: the listener connection is closed right after the state is sent" {
	start_listener errno:42
	set_seccomp "$(notify_profile)"
	set_args sleep 2
	run_ward run -b "$BUNDLE" c1
	assert_success
	wait_file "$LDIR/eof.0"
	# runtime-spec: "it MUST be closed after sending a seccomp state" - not
	# when the container process ends 2 s later.
	awk '{ exit !($1 < 1.0) }' "$LDIR/eof.0" || {
		echo "connection closed $(cat "$LDIR/eof.0") s after the state" >&2
		return 1
	}
}

@test "seccomp: ward exec sends its own state to the listener and its process is notified" {
	start_listener errno:42
	set_seccomp "$(notify_profile)"
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	wait_file "$LDIR/state.0.json"
	local init_pid
	init_pid=$(ward state c1 | jq -r .pid)
	run_ward exec c1 mkdir /tmp/e
	assert_failure
	assert_output_contains "can't create directory '/tmp/e': No message of desired type"
	[ ! -e "$BUNDLE/rootfs/tmp/e" ]
	wait_file "$LDIR/state.1.json"
	local st="$LDIR/state.1.json"
	[ "$(jq -c .fds "$st")" = '["seccompFd"]' ]
	[ "$(jq -r .state.id "$st")" = c1 ]
	[ "$(jq -r .metadata "$st")" = ward-test-metadata ]
	[ "$(jq -r .state.pid "$st")" = "$init_pid" ]
	grep -Eq "^conn=1 nr=($NR_MKDIR|$NR_MKDIRAT) pid=" "$LDIR/notifs"
}

@test "seccomp: for ward exec, the listener's pid is the exec'd process (the one notified)" {
	# runc (setnsProcess) sends Pid: the exec'd process, State.Pid: the init.
	# An agent reaches the notifying process's memory through that pid.
	start_listener errno:42
	set_seccomp "$(notify_profile)"
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	run_ward exec c1 mkdir /tmp/e
	assert_failure
	wait_file "$LDIR/state.1.json"
	local notified
	notified=$(sed -n 's/^conn=1 nr=[0-9]* pid=\([0-9]*\)$/\1/p' "$LDIR/notifs" | head -1)
	[ -n "$notified" ]
	[ "$(jq -r .pid "$LDIR/state.1.json")" = "$notified" ] || {
		echo "state pid $(jq -r .pid "$LDIR/state.1.json"), notified pid $notified" >&2
		return 1
	}
}

@test "seccomp: ward exec closes its listener connection right after sending the state" {
	start_listener errno:42
	set_seccomp "$(notify_profile)"
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	wait_file "$LDIR/state.0.json"
	run_ward exec c1 sleep 2
	assert_success
	wait_file "$LDIR/eof.1"
	awk '{ exit !($1 < 1.0) }' "$LDIR/eof.1" || {
		echo "exec's connection closed $(cat "$LDIR/eof.1") s after the state (held until the process ended)" >&2
		return 1
	}
}

@test "seccomp: an unreachable listenerPath is a clear error and nothing is left behind" {
	set_seccomp "$(jq -nc --arg p "$BATS_TEST_TMPDIR/nobody-listens.sock" '{defaultAction: "SCMP_ACT_ALLOW",
		listenerPath: $p, syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}')"
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "listenerPath"
	assert_output_contains "nobody-listens.sock"
	assert_no_leftovers c1
	run_ward list -q
	[ -z "$output" ]
}

@test "seccomp: SCMP_ACT_NOTIFY without a listener fails closed" {
	set_seccomp "$(rule_profile '{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}')"
	run_probe c1 mkdir:/tmp/d getpid
	# Either refused up front (runc: "seccomp listenerPath is not set") or the
	# syscall fails; it must never run.
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" != ok ]
		[ "${lines[1]}" = ok ]
	fi
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp: SCMP_ACT_NOTIFY as the default action is refused" {
	set_seccomp '{"defaultAction": "SCMP_ACT_NOTIFY"}'
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "linux.seccomp.defaultAction"
	assert_no_leftovers c1
}

# ---------------------------------------------------------------------------
# ward seccomp default

@test "seccomp: 'ward seccomp default' prints valid linux.seccomp JSON equal to what ward spec writes" {
	run "$WARD" seccomp default
	assert_success
	local prof=$output
	jq -e '.defaultAction == "SCMP_ACT_ERRNO"
		and (.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
		and (.syscalls | length > 0)
		and all(.syscalls[]; (.names | length > 0) and (.action | startswith("SCMP_ACT_")))' <<<"$prof"
	[ "$(jq -S . <<<"$prof")" = "$(jq -S .linux.seccomp "$BUNDLE/config.json")" ]
	# It is a profile ward itself accepts and enforces.
	set_seccomp "$prof"
	set_args sh -c 'grep "^Seccomp:" /proc/self/status; probe keyctl mkdir:/tmp/d getpid'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_lines "Seccomp:	2" EPERM ok ok
}

@test "seccomp: 'ward seccomp default --cap' follows the capabilities" {
	run "$WARD" seccomp default
	assert_success
	# Without CAP_SYS_ADMIN: clone only without namespace flags, no mount.
	jq -e '[.syscalls[] | select(.names | index("clone")) | .args[0].op] == ["SCMP_CMP_MASKED_EQ"]' <<<"$output"
	jq -e '[.syscalls[].names[]] | index("mount") == null' <<<"$output"
	run "$WARD" seccomp default --cap CAP_SYS_ADMIN
	assert_success
	jq -e '[.syscalls[] | select(.names | index("clone")) | .args] == [null]' <<<"$output"
	jq -e '[.syscalls[].names[]] | (index("mount") != null and index("unshare") != null)' <<<"$output"
	run "$WARD" seccomp default --cap CAP_NOT_A_CAP
	assert_failure
	assert_output_contains CAP_NOT_A_CAP
}

# ---------------------------------------------------------------------------
# ward seccomp convert (Docker/podman profiles)

# Names that the converted profile allows (any rule with that action).
converted_names() {
	jq -c --arg a "${2:-SCMP_ACT_ALLOW}" '[.syscalls[] | select(.action == $a) | .names[]] | unique' <<<"$1"
}

@test "seccomp convert: archMap resolves to X86_64 and its sub-architectures X86 and X32" {
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	jq -e '.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]' <<<"$output"
	jq -e '.defaultAction == "SCMP_ACT_ERRNO" and .defaultErrnoRet == 1' <<<"$output"
	# Docker-only keys are gone; the single "name" form became "names".
	jq -e 'all(.syscalls[]; has("includes") | not) and all(.syscalls[]; has("excludes") | not)
		and all(.syscalls[]; has("comment") | not) and all(.syscalls[]; has("name") | not)' <<<"$output"
	jq -e '[.syscalls[] | select(.names == ["sync"])] | length == 1' <<<"$output"
}

@test "seccomp convert: rules whose includes.caps are not all held are dropped" {
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	local allowed
	allowed=$(converted_names "$output")
	local n
	for n in mount umount2 unshare setns bpf perf_event_open open_by_handle_at reboot init_module \
		process_vm_readv clock_settime iopl syslog; do
		jq -e --arg n "$n" 'index($n) == null' <<<"$allowed" >/dev/null || {
			echo "$n allowed without its capability" >&2
			return 1
		}
	done
	# CAP_SYS_CHROOT is one of the 11 defaults: its rule stays.
	jq -e 'index("chroot") != null' <<<"$allowed"
	# A rule needing CAP_CHOWN and CAP_SYS_ADMIN needs both.
	jq -e '[.syscalls[] | select(.action == "SCMP_ACT_LOG")] | length == 0' <<<"$output"
}

@test "seccomp convert: --cap CAP_SYS_ADMIN brings the CAP_SYS_ADMIN rules back and drops its excludes" {
	run "$WARD" seccomp convert --cap CAP_SYS_ADMIN "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	local allowed
	allowed=$(converted_names "$output")
	jq -e 'index("mount") != null and index("unshare") != null and index("setns") != null and index("bpf") != null' <<<"$allowed"
	# clone: unconditional now; the MASKED_EQ variant (excludes CAP_SYS_ADMIN) is gone.
	jq -e '[.syscalls[] | select(.names | index("clone")) | (.args // [] | length)] == [0]' <<<"$output"
	# clone3's ENOSYS rule excludes CAP_SYS_ADMIN.
	jq -e '[.syscalls[] | select(.names == ["clone3"])] | length == 0' <<<"$output"
	# --cap replaces the default set: CAP_SYS_CHROOT is not held now.
	jq -e 'index("chroot") == null' <<<"$allowed"
	# Several --cap: a rule including CAP_CHOWN and CAP_SYS_ADMIN applies.
	run "$WARD" seccomp convert --cap CAP_SYS_ADMIN --cap CAP_CHOWN "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	jq -e '[.syscalls[] | select(.action == "SCMP_ACT_LOG")] | length == 1' <<<"$output"
}

@test "seccomp convert: excludes.caps and excludes.arches drop a rule" {
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	# Without CAP_SYS_ADMIN: the clone MASKED_EQ rule and clone3 ENOSYS are in.
	jq -e '[.syscalls[] | select(.names == ["clone"]) | .args[0]]
		== [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]' <<<"$output"
	jq -e '[.syscalls[] | select(.names == ["clone3"]) | [.action, .errnoRet]] == [["SCMP_ACT_ERRNO", 38]]' <<<"$output"
	# The keyring rule excludes amd64.
	jq -e '[.syscalls[] | select(.names | index("keyctl"))] | length == 0' <<<"$output"
	# excludes.caps: CAP_CHOWN is held by default, so its rule goes.
	jq -e '[.syscalls[] | select(.action == "SCMP_ACT_LOG")] | length == 0' <<<"$output"
	# With CAP_CHOWN not held (only --cap CAP_KILL), the excluded rule comes in.
	run "$WARD" seccomp convert --cap CAP_KILL "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	jq -e '[.syscalls[] | select(.action == "SCMP_ACT_LOG")] | length == 1' <<<"$output"
}

@test "seccomp convert: includes.arches keep rules for amd64 only" {
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	local allowed
	allowed=$(converted_names "$output")
	jq -e 'index("arch_prctl") != null and index("modify_ldt") != null' <<<"$allowed"
	jq -e 'index("s390_pci_mmio_read") == null and index("riscv_flush_icache") == null' <<<"$allowed"
	# The s390 clone variant (argument 1) is not here.
	jq -e '[.syscalls[] | select(.names == ["clone"]) | .args[0].index] == [0]' <<<"$output"
}

@test "seccomp convert: includes.minKernel is compared with the running kernel, numerically" {
	local rel maj min
	rel=$(uname -r)
	maj=${rel%%.*}
	min=${rel#*.}
	min=${min%%[!0-9]*}
	local prof="$BATS_TEST_TMPDIR/kernel-profile.json"
	jq -n --arg eq "$maj.$min" --arg next "$maj.$((min + 1))" --arg major "$((maj + 1)).0" \
		--arg lower "$maj.0" --arg lexi "$maj.9" '{defaultAction: "SCMP_ACT_ERRNO",
		syscalls: [
			{names: ["getpid"], action: "SCMP_ACT_ALLOW", includes: {minKernel: $eq}},
			{names: ["getppid"], action: "SCMP_ACT_ALLOW", includes: {minKernel: $next}},
			{names: ["gettid"], action: "SCMP_ACT_ALLOW", includes: {minKernel: $major}},
			{names: ["getuid"], action: "SCMP_ACT_ALLOW", includes: {minKernel: $lower}},
			{names: ["getgid"], action: "SCMP_ACT_ALLOW", includes: {minKernel: "3.10"}},
			{names: ["getegid"], action: "SCMP_ACT_ALLOW", includes: {minKernel: $lexi}}
		]}' >"$prof"
	run "$WARD" seccomp convert "$prof"
	assert_success
	local allowed
	allowed=$(converted_names "$output")
	jq -e 'index("getpid") != null' <<<"$allowed"        # equal: applies
	jq -e 'index("getppid") == null' <<<"$allowed"       # next minor: not yet
	jq -e 'index("gettid") == null' <<<"$allowed"        # next major: not yet
	jq -e 'index("getuid") != null and index("getgid") != null' <<<"$allowed"
	if [ "$min" -gt 9 ]; then
		# e.g. 6.18 >= 6.9 (a string comparison would say no)
		jq -e 'index("getegid") != null' <<<"$allowed"
	fi
	# The fixture: ptrace from 4.8 is in, io_uring from 99.0 is not.
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	allowed=$(converted_names "$output")
	jq -e 'index("ptrace") != null and index("io_uring_setup") == null' <<<"$allowed"
}

@test "seccomp convert: excludes.minKernel drops a rule on kernels at or above it (moby Filter.MinKernel)" {
	# moby profiles/seccomp: "if call.Excludes.MinKernel != \"\" { if
	# kernelGreaterEqualThan(...) { continue } }". The fixture allows
	# userfaultfd only on kernels older than 5.0.
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	jq -e '[.syscalls[].names[]] | index("userfaultfd") == null' <<<"$output" || {
		echo "userfaultfd rule (excludes.minKernel 5.0) kept on $(uname -r)" >&2
		return 1
	}
}

@test "seccomp convert: a converted Docker profile enforces inside a container" {
	run "$WARD" seccomp convert "$SECCOMP_FIXTURES/docker-profile.json"
	assert_success
	set_seccomp "$output"
	# mkdir: the profile's errnoRet 38; keyctl and unshare: the default errno 1;
	# clone with CLONE_NEWUSER: refused by the MASKED_EQ rule; fork and the
	# everyday syscalls work.
	set_args sh -c 'mkdir /tmp/d; probe keyctl unshare:10000000 clone:10000000 clone:0 clone3 getpid'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "can't create directory '/tmp/d': Function not implemented"
	[ "${lines[1]}" = EPERM ]
	[ "${lines[2]}" = EPERM ]
	[ "${lines[3]}" = EPERM ]
	[ "${lines[4]}" = ok ]
	[ "${lines[5]}" = ENOSYS ]
	[ "${lines[6]}" = ok ]
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "seccomp convert: bad input is a clear error" {
	echo '{"syscalls": []}' >"$BATS_TEST_TMPDIR/nodefault.json"
	run "$WARD" seccomp convert "$BATS_TEST_TMPDIR/nodefault.json"
	assert_failure
	assert_output_contains defaultAction
	echo '{"defaultAction": ' >"$BATS_TEST_TMPDIR/broken.json"
	run "$WARD" seccomp convert "$BATS_TEST_TMPDIR/broken.json"
	assert_failure
	assert_output_contains "broken.json"
	assert_output_contains "invalid JSON"
	run "$WARD" seccomp convert "$BATS_TEST_TMPDIR/missing.json"
	assert_failure
	assert_output_contains "missing.json"
}
