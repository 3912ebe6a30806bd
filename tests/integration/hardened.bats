#!/usr/bin/env bats
# The hardened defaults of `ward spec`: the config is used as written (only
# process.terminal=false and the args change, unless a test says otherwise),
# and each test tries something a default container must not do.
#
# Where the kernel itself would also refuse (no capability), the probe
# (tests/seccomp/probe.c) calls the syscall so that, without the filter, the
# kernel answers something else (ENOENT, EINVAL, EFAULT, success); a control
# run with linux.seccomp removed shows that answer, so the EPERM seen in the
# default container is the filter's.

load helpers
load ../seccomp/lib

setup_file() {
	build_probe
}

setup() {
	setup_bundle
	install_probe
}

teardown() {
	teardown_bundle
	if [ -n "${RL:-}" ] && [ -d "$RL" ]; then
		local id
		for id in $(rl_raw "$WARD" list -q 2>/dev/null); do
			rl_raw "$WARD" delete -f "$id" >/dev/null 2>&1 || true
		done
		rm -rf "$RL"
	fi
}

# The same probe, in the same config without linux.seccomp (the control).
run_probe_unfiltered() {
	local id=$1
	shift
	update_config 'del(.linux.seccomp)'
	run_probe "$id" "$@"
}


# ---------------------------------------------------------------------------
# Process status

@test "hardened: NoNewPrivs is 1 and a seccomp filter is loaded (Seccomp: 2)" {
	set_args cat /proc/self/status
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$(status_field NoNewPrivs)" = 1 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field Seccomp_filters)" = 1 ]
	jq -e '.process.noNewPrivileges == true and (.linux.seccomp | type) == "object"' "$BUNDLE/config.json"
}

@test "hardened: the capability sets are exactly podman's 11 defaults (Docker's without NET_RAW, MKNOD, AUDIT_WRITE)" {
	local want
	want=$(default_caps_hex)
	[ "$want" = 00000000800405fb ]
	set_args cat /proc/self/status
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$(status_field CapBnd)" = "$want" ]
	[ "$(status_field CapEff)" = "$want" ]
	[ "$(status_field CapPrm)" = "$want" ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "hardened: a ward exec process has the same capabilities, no_new_privs and filter" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	run_ward exec c1 cat /proc/self/status
	assert_success
	[ "$(status_field CapBnd)" = "$(default_caps_hex)" ]
	[ "$(status_field CapEff)" = "$(default_caps_hex)" ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	[ "$(status_field Seccomp)" = 2 ]
	run_ward exec c1 probe keyctl ptrace
	assert_lines EPERM EPERM
}

# ---------------------------------------------------------------------------
# Blocked syscalls

@test "hardened: keyctl, add_key and request_key are blocked" {
	run_probe c1 keyctl add_key request_key
	assert_success
	assert_lines EPERM EPERM EPERM
	# Without the filter: the session keyring answers, request_key says ENOKEY.
	run_probe_unfiltered c2 keyctl add_key request_key
	assert_lines ok ok ENOKEY
}

@test "hardened: ptrace and its relatives (process_vm_readv, kcmp, pidfd_getfd) are blocked" {
	run_probe c1 ptrace process_vm_readv kcmp pidfd_getfd
	assert_success
	assert_lines EPERM EPERM EPERM EPERM
	# Without the filter a root process may trace and read its own children.
	run_probe_unfiltered c2 ptrace process_vm_readv kcmp
	assert_lines ok ok ok
}

@test "hardened: unshare -U and unshare -m are blocked" {
	set_args sh -c 'unshare -U true; echo "U=$?"; unshare -m true; echo "m=$?"; unshare -U -m true; echo "Um=$?"'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "Operation not permitted"
	assert_output_contains "U=1"
	assert_output_contains "m=1"
	assert_output_contains "Um=1"
	run_probe c2 unshare:10000000 unshare:20000 unshare:10020000
	assert_lines EPERM EPERM EPERM
	# Without the filter, a new user namespace (with a mount namespace) is
	# something any process may make.
	update_config 'del(.linux.seccomp)'
	set_args sh -c 'unshare -U -m true; echo "Um=$?"'
	run_ward run -b "$BUNDLE" c3
	assert_output_contains "Um=0"
}

@test "hardened: clone with namespace flags is blocked, a plain fork works, clone3 gets ENOSYS" {
	# 0x10000000 CLONE_NEWUSER, 0x20000 CLONE_NEWNS, 0x04000000 CLONE_NEWUTS
	run_probe c1 clone:0 clone:10000000 clone:20000 clone:4000000 clone3
	assert_success
	assert_lines ok EPERM EPERM EPERM ENOSYS
	run_probe_unfiltered c2 clone:10000000 clone3
	assert_lines ok ok
}

@test "hardened: mount and umount are blocked" {
	run_probe c1 mount umount
	assert_success
	assert_lines EPERM EPERM
	# Without the filter the kernel looks the path up first (ENOENT) and only
	# then checks CAP_SYS_ADMIN.
	run_probe_unfiltered c2 mount umount
	assert_lines ENOENT ENOENT
	set_args sh -c 'mount -t tmpfs none /tmp'
	run_ward run -b "$BUNDLE" c3
	assert_failure
}

@test "hardened: bpf, perf_event_open, userfaultfd and io_uring_setup are blocked" {
	run_probe c1 bpf perf_event_open userfaultfd io_uring_setup
	assert_success
	assert_lines EPERM EPERM EPERM EPERM
	run_probe_unfiltered c2 bpf perf_event_open userfaultfd io_uring_setup
	[ "${lines[0]}" = EINVAL ]
	[ "${lines[1]}" = EFAULT ]
	[ "${lines[2]}" != EPERM ]
	[ "${lines[3]}" != EPERM ]
}

@test "hardened: clock_settime and settimeofday are blocked" {
	set_args sh -c 'date -s "2001-01-01 00:00:00"'
	run_ward run -b "$BUNDLE" c1
	assert_output_contains "can't set date: Operation not permitted"
	run_probe c2 clock_settime settimeofday
	assert_success
	assert_lines EPERM EPERM
	# Unfiltered, the kernel rejects the invalid time before the capability check.
	run_probe_unfiltered c3 clock_settime settimeofday
	assert_lines EINVAL EINVAL
}

@test "hardened: reboot is blocked, even with CAP_SYS_BOOT added to the capabilities" {
	run_probe c1 reboot
	assert_lines EPERM
	# The profile ward spec wrote stays; only the capability sets grow.
	add_caps CAP_SYS_BOOT
	run_probe c2 reboot
	assert_success
	assert_lines EPERM
	# Control: with the capability and no filter, the kernel gets to the
	# (deliberately wrong) magic numbers: EINVAL, nothing rebooted.
	run_probe_unfiltered c3 reboot
	assert_lines EINVAL
}

@test "hardened: init_module, finit_module and kexec_load are blocked" {
	run_probe c1 init_module finit_module kexec_load
	assert_success
	assert_lines EPERM EPERM EPERM
	# With CAP_SYS_MODULE and no filter the kernel goes further (ENOSYS
	# without module support, ENOEXEC/EBADF for the empty module otherwise).
	add_caps CAP_SYS_MODULE
	run_probe c2 init_module finit_module
	assert_lines EPERM EPERM
	run_probe_unfiltered c3 init_module finit_module
	[ "${lines[0]}" != EPERM ]
	[ "${lines[1]}" != EPERM ]
}

@test "hardened: open_by_handle_at is blocked" {
	run_probe c1 open_by_handle_at
	assert_success
	assert_lines EPERM
	run_probe_unfiltered c2 open_by_handle_at
	assert_lines EFAULT
}

@test "hardened: personality allows only the harmless personas" {
	# 0x40000 ADDR_NO_RANDOMIZE (turns off ASLR), 0x0400000 READ_IMPLIES_EXEC:
	# refused. 0xffffffff (query), 0 (PER_LINUX), 8 (PER_LINUX32): allowed.
	run_probe c1 personality:40000 personality:400000 personality:ffffffff personality:0 personality:8
	assert_success
	assert_lines EPERM EPERM ok ok ok
	run_probe_unfiltered c2 personality:40000
	assert_lines ok
}

# ---------------------------------------------------------------------------
# /proc and /sys

@test "hardened: /proc/sys is read-only" {
	set_args sh -c 'echo hacked > /proc/sys/kernel/hostname; echo "status=$?"; hostname'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "Read-only file system"
	assert_output_contains "status=1"
	assert_output_not_contains hacked
	set_args sh -c 'echo 1 > /proc/sys/vm/drop_caches; echo "status=$?"'
	run_ward run -b "$BUNDLE" c2
	assert_output_contains "Read-only file system"
	assert_output_contains "status=1"
}

@test "hardened: /proc/keys and /proc/timer_list read empty (masked)" {
	[ "$(wc -c </proc/timer_list)" -gt 0 ] || skip "the host's /proc/timer_list is empty"
	set_args sh -c 'for f in /proc/keys /proc/timer_list; do echo "$f $(wc -c < $f)"; done'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains "/proc/keys 0"
	assert_output_contains "/proc/timer_list 0"
	# Unmasked, the container's own session keyring shows in /proc/keys.
	update_config '.linux.maskedPaths = []'
	run_ward run -b "$BUNDLE" c2
	assert_success
	assert_output_not_contains "/proc/keys 0"
	assert_output_not_contains "/proc/timer_list 0"
}

@test "hardened: /sys/firmware is an empty read-only directory" {
	[ -n "$(ls -A /sys/firmware 2>/dev/null)" ] || skip "the host's /sys/firmware is empty"
	set_args sh -c 'test -d /sys/firmware && echo dir; echo "entries=$(ls -A /sys/firmware | wc -l)"; mkdir /sys/firmware/x; touch /sys/firmware/y'
	run_ward run -b "$BUNDLE" c1
	assert_output_contains dir
	assert_output_contains "entries=0"
	assert_output_contains "mkdir: can't create directory '/sys/firmware/x': Read-only file system"
	assert_output_contains "Read-only file system"
}

# ---------------------------------------------------------------------------
# Capabilities

@test "hardened: no CAP_NET_RAW by default: socket(AF_INET, SOCK_RAW) fails with EPERM; added, it works" {
	run_probe c1 rawsock
	assert_success
	assert_lines EPERM
	add_caps CAP_NET_RAW
	run_probe c2 rawsock
	assert_success
	assert_lines ok
	set_args grep ^CapEff: /proc/self/status
	run_ward run -b "$BUNDLE" c3
	assert_success
	[ "$(status_field CapEff)" = 00000000800425fb ]
}

@test "hardened: without CAP_NET_RAW ping works through net.ipv4.ping_group_range, for root and other users" {
	jq -e '.linux.sysctl["net.ipv4.ping_group_range"] == "0 2147483647"' "$BUNDLE/config.json"
	set_args sh -c 'cat /proc/sys/net/ipv4/ping_group_range; probe icmpecho rawsock; su nobody -s /bin/sh -c "probe icmpecho"'
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_lines "0	2147483647" ok EPERM ok
	# The sysctl is what makes it work.
	update_config 'del(.linux.sysctl["net.ipv4.ping_group_range"])'
	run_ward run -b "$BUNDLE" c2
	assert_success
	[ "${lines[1]}" = EACCES ]
}

@test "hardened: an unknown capability name is ignored with a warning naming it (as runc); the known ones apply" {
	update_config '.process.capabilities.bounding += ["CAP_FLY"] | .process.capabilities.effective += ["CAP_NOT_REAL"]'
	set_args grep -E "^Cap(Bnd|Eff):" /proc/self/status
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains 'ignoring unknown capabilities: "CAP_FLY", "CAP_NOT_REAL"'
	[ "$(status_field CapBnd)" = "$(default_caps_hex)" ]
	[ "$(status_field CapEff)" = "$(default_caps_hex)" ]
	# exec --cap with one: ignored the same way.
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c2
	assert_success
	run_ward exec --cap CAP_FLY c2 grep ^CapEff: /proc/self/status
	assert_success
	assert_output_contains 'ignoring unknown capability "CAP_FLY"'
	[ "$(status_field CapEff)" = "$(default_caps_hex)" ]
}

@test "hardened: ambient capabilities of a non-root user are raised when permitted and inheritable" {
	add_caps CAP_NET_RAW
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities.inheritable = ["CAP_NET_RAW"]
		| .process.capabilities.ambient = ["CAP_NET_RAW"]'
	set_args sh -c 'grep -E "^Cap(Inh|Prm|Eff|Amb):" /proc/self/status; probe rawsock'
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$(status_field CapAmb)" = 0000000000002000 ]
	[ "$(status_field CapEff)" = 0000000000002000 ]
	[ "$(status_field CapInh)" = 0000000000002000 ]
	[ "${lines[-1]}" = ok ]
	# Ambient but not inheritable: not raised (a warning), the user has nothing.
	update_config '.process.capabilities.inheritable = []'
	run_ward run -b "$BUNDLE" c2
	assert_success
	assert_output_contains "CAP_NET_RAW"
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
	[ "${lines[-1]}" = EPERM ]
	# Ambient and inheritable but not permitted: not raised either.
	update_config '.process.capabilities.inheritable = ["CAP_NET_RAW"]
		| .process.capabilities.permitted -= ["CAP_NET_RAW"]
		| .process.capabilities.effective -= ["CAP_NET_RAW"]'
	run_ward run -b "$BUNDLE" c3
	assert_success
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	[ "${lines[-1]}" = EPERM ]
}

@test "hardened: without ambient capabilities a non-root user has none" {
	update_config '.process.user = {uid: 1000, gid: 1000}'
	set_args sh -c 'grep -E "^Cap(Prm|Eff|Amb):" /proc/self/status; probe rawsock'
	run_ward run -b "$BUNDLE" c1
	assert_success
	[ "$(status_field CapPrm)" = 0000000000000000 ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	[ "${lines[-1]}" = EPERM ]
}

@test "hardened: ward exec --cap CAP_NET_RAW adds it to the exec'd process only" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	run_ward exec c1 probe rawsock
	assert_lines EPERM
	run_ward exec --cap CAP_NET_RAW c1 sh -c 'grep -E "^Cap(Bnd|Eff):" /proc/self/status; probe rawsock'
	assert_success
	[ "$(status_field CapEff)" = 00000000800425fb ]
	[ "$(status_field CapBnd)" = 00000000800425fb ]
	[ "${lines[-1]}" = ok ]
	# The init and later execs are unchanged.
	run_ward exec c1 sh -c 'grep -E "^Cap(Bnd|Eff):" /proc/1/status; grep ^CapEff: /proc/self/status'
	assert_success
	assert_output_not_contains 00000000800425fb
	[ "$(grep -c 00000000800405fb <<<"$output")" -eq 3 ]
	# The filter still applies to the exec with the extra capability.
	run_ward exec --cap CAP_SYS_ADMIN c1 probe mount unshare:20000
	assert_lines EPERM EPERM
}

# ---------------------------------------------------------------------------
# Rootless

rl_raw() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i HOME="/home/$RL_USER" USER="$RL_USER" PATH=/usr/local/bin:/usr/bin:/bin \
		XDG_RUNTIME_DIR="$RL/xdg" sh -c 'cd "$0" && exec "$@"' "$RL/bundle" "$@"
}

rl_run() {
	local log="$RL/out.log"
	status=0
	rl_raw "$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
	mapfile -t lines <<<"$output"
}

@test "hardened: a ward spec --rootless container runs hardened too" {
	RL_USER=wardtest
	if ! id -u "$RL_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$RL_USER" 2>/dev/null || skip "cannot create user $RL_USER"
	fi
	[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces are disabled"
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	RL=$(mktemp -d /tmp/ward-hardened-rl.XXXXXX)
	chmod 755 "$RL"
	mkdir -p "$RL/bundle" "$RL/xdg"
	cp -a "$ROOTFS_CACHE" "$RL/bundle/rootfs"
	cp "$PROBE" "$RL/bundle/rootfs/bin/probe"
	chown -R "$RL_USER:$RL_USER" "$RL"
	chmod 700 "$RL/xdg"
	rl_run "$WARD" --version
	[ "$status" -eq 0 ] || skip "$RL_USER cannot run $WARD: $output"
	rl_run "$WARD" spec --rootless
	assert_success
	jq '.process.terminal = false
		| .process.args = ["sh", "-c", "cat /proc/self/status; probe keyctl ptrace unshare:20000 mount"]' \
		"$RL/bundle/config.json" >"$RL/c.json"
	mv "$RL/c.json" "$RL/bundle/config.json"
	chown "$RL_USER:$RL_USER" "$RL/bundle/config.json"
	jq -e '.process.noNewPrivileges == true and (.linux.seccomp.syscalls | length > 0)' "$RL/bundle/config.json"
	rl_run "$WARD" run rl1
	if [ "$status" -ne 0 ] && [[ "$output" == *newuidmap* || "$output" == *"Operation not permitted"*uid_map* ]]; then
		skip "unprivileged user namespaces unusable here: $output"
	fi
	assert_success
	[ "$(status_field NoNewPrivs)" = 1 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field CapEff)" = "$(default_caps_hex)" ]
	[ "$(status_field CapBnd)" = "$(default_caps_hex)" ]
	[ "${lines[-4]}" = EPERM ]
	[ "${lines[-3]}" = EPERM ]
	[ "${lines[-2]}" = EPERM ]
	[ "${lines[-1]}" = EPERM ]
}
