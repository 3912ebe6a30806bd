#!/usr/bin/env bats
# ward inspect: every fact it reports is compared with what the kernel says
# about the container's init (/proc/PID/...), and varied through the config
# so that a hard-coded answer would fail.

load helpers
load helpers_inside

setup() {
	setup_bundle
	isolate_cgroup
	ID="ins-$BATS_TEST_NUMBER"
}

teardown() {
	teardown_bundle
}

# Start the container detached (its process sleeps) and inspect it as JSON
# into $J; $PID is the init's pid.
start_and_inspect() {
	set_args sleep 120
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	wait_status "$ID" running
	PID=$(ctr_pid "$ID")
	inspect_json
}

inspect_json() {
	run ward inspect --format json "$ID"
	assert_success
	J=$output
	jq -e . <<<"$J" >/dev/null
}

# jq on the inspect JSON.
jj() {
	jq -r "$@" <<<"$J"
}

# spec namespace name -> /proc/PID/ns link name
declare -gA NS_LINK=([pid]=pid [network]=net [mount]=mnt [ipc]=ipc [uts]=uts [user]=user
	[cgroup]=cgroup [time]=time)

@test "inspect: namespaces: inode numbers are the init's /proc/PID/ns links, private exactly where the config asks" {
	add_namespace time
	remove_namespace ipc
	start_and_inspect
	[ "$(jj '.namespaces | length')" -eq 8 ]
	local type link ino private host
	for type in "${!NS_LINK[@]}"; do
		link=${NS_LINK[$type]}
		ino=$(stat -L -c %i "/proc/$PID/ns/$link")
		[ "$(jj --arg t "$type" '.namespaces[] | select(.type == $t) | .inode')" = "$ino" ]
		private=$(jj --arg t "$type" '.namespaces[] | select(.type == $t) | .private')
		# "The host": pid 1's namespaces, or where pid 1 is out of reach (a
		# sandboxed host), those of ward itself, i.e. of this shell.
		host=/proc/1/ns/$link
		stat -L "$host" >/dev/null 2>&1 || host=/proc/$$/ns/$link
		if [ "$(stat -L -c %i "$host")" = "$ino" ]; then
			[ "$private" = false ]
		else
			[ "$private" = true ]
		fi
	done
	# What the config asked for: time private, ipc and user shared.
	[ "$(jj '.namespaces[] | select(.type == "time") | .private')" = true ]
	[ "$(jj '.namespaces[] | select(.type == "ipc") | .private')" = false ]
	[ "$(jj '.namespaces[] | select(.type == "user") | .private')" = false ]
	[ "$(jj '.namespaces[] | select(.type == "mount") | .private')" = true ]
	# The text form says the same.
	run ward inspect "$ID"
	assert_success
	assert_output_contains "ipc      HOST's     inode $(stat -L -c %i "/proc/$PID/ns/ipc")"
	assert_output_contains "time     private    inode $(stat -L -c %i "/proc/$PID/ns/time")"
}

@test "inspect: capability sets are the init's, as hex and as names" {
	# Not Docker's default: drop two capabilities, keep one in bounding only.
	update_config '.process.capabilities |= map_values(. - ["CAP_KILL", "CAP_NET_RAW"])
		| .process.capabilities.effective -= ["CAP_CHOWN"]
		| .process.capabilities.permitted -= ["CAP_CHOWN"]'
	start_and_inspect
	local st set field
	st=$(cat "/proc/$PID/status")
	for set in inheritable:CapInh permitted:CapPrm effective:CapEff bounding:CapBnd ambient:CapAmb; do
		field=${set#*:}
		set=${set%%:*}
		[ "$(jj ".capabilities.$set.hex")" = "$(status_field "$st" "$field")" ]
	done
	[ "$(jj '.capabilities.bounding.hex')" = "$(cap_mask_of .process.capabilities.bounding)" ]
	[ "$(jj '.capabilities.effective.hex')" = "$(cap_mask_of .process.capabilities.effective)" ]
	[ "$(jj '.capabilities.bounding.names | sort | join(",")')" = \
		"$(jq -r '.process.capabilities.bounding | sort | join(",")' "$BUNDLE/config.json")" ]
	[ "$(jj '.capabilities.effective.names | index("CAP_CHOWN")')" = null ]
	[ "$(jj '.capabilities.bounding.names | index("CAP_CHOWN")')" != null ]
	[ "$(jj '.capabilities.bounding.names | index("CAP_KILL")')" = null ]
	[ "$(jj '.capabilities.ambient.names | length')" = 0 ]
}

@test "inspect: no_new_privs and seccomp are the init's (and change with the config)" {
	start_and_inspect
	local st
	st=$(cat "/proc/$PID/status")
	[ "$(status_field "$st" NoNewPrivs)" = 1 ]
	[ "$(jj .noNewPrivs)" = true ]
	[ "$(jj .seccompMode)" = "$(status_field "$st" Seccomp)" ]
	[ "$(jj .seccompMode)" = 2 ]
	[ "$(jj .seccompFilters)" = "$(status_field "$st" Seccomp_filters)" ]
	[ "$(jj .seccompFilters)" -ge 1 ]
	run ward inspect "$ID"
	assert_output_contains "no_new_privs   yes"
	assert_output_contains "seccomp        filter ($(status_field "$st" Seccomp_filters) filter"
	ward delete -f "$ID"

	update_config '.process.noNewPrivileges = false | del(.linux.seccomp)'
	start_and_inspect
	st=$(cat "/proc/$PID/status")
	[ "$(status_field "$st" NoNewPrivs)" = 0 ]
	[ "$(jj .noNewPrivs)" = false ]
	[ "$(jj .seccompMode)" = 0 ]
	[ "$(status_field "$st" Seccomp)" = 0 ]
	run ward inspect "$ID"
	assert_output_contains "no_new_privs   NO"
	assert_output_contains "seccomp        DISABLED"
}

@test "inspect: identity and ID maps are the init's (user namespace, non-root user)" {
	enable_userns 200000 65536
	update_config '.process.user = {uid: 1000, gid: 1001}'
	start_and_inspect
	local st
	st=$(cat "/proc/$PID/status")
	[ "$(jj .uid)" = "$(status_field "$st" Uid | tr '\t' ' ')" ]
	[ "$(jj .gid)" = "$(status_field "$st" Gid | tr '\t' ' ')" ]
	# Inside the namespace the init is 1000:1001, i.e. 201000:201001 on the host.
	[ "$(jj .uid)" = "201000 201000 201000 201000" ]
	[ "$(jj .gid)" = "201001 201001 201001 201001" ]
	[ "$(jj '.uidMap | join(";")')" = "$(awk '{print $1, $2, $3}' "/proc/$PID/uid_map" | paste -sd';')" ]
	[ "$(jj '.uidMap | join(";")')" = "0 200000 65536" ]
	[ "$(jj '.gidMap | join(";")')" = "0 200000 65536" ]
	[ "$(jj '.namespaces[] | select(.type == "user") | .private')" = true ]
}

@test "inspect: cgroup paths are the init's /proc/PID/cgroup, under the configured cgroupsPath" {
	update_config '.linux.resources.pids = {limit: 77}'
	start_and_inspect
	[ "$(jj '.cgroup.paths | join("\n")')" = "$(cat "/proc/$PID/cgroup")" ]
	local line
	while read -r line; do
		[[ "$line" == *":$CGPATH" ]]
	done < <(jj '.cgroup.paths[]')
	[ "$(jj .cgroup.limits.pids)" = 77 ]
	run ward inspect "$ID"
	assert_output_contains "limit pids     77"
}

@test "inspect: rlimits are the init's /proc/PID/limits" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 654},
		{type: "RLIMIT_CORE", soft: 0, hard: 0}]'
	start_and_inspect
	[ "$(jj '.rlimits[] | select(.name == "Max open files") | "\(.soft) \(.hard)"')" = "321 654" ]
	[ "$(jj '.rlimits[] | select(.name == "Max core file size") | "\(.soft) \(.hard)"')" = "0 0" ]
	[ "$(awk '/^Max open files/ {print $4, $5}' "/proc/$PID/limits")" = "321 654" ]
	[ "$(jj '.rlimits | length')" = "$(($(wc -l <"/proc/$PID/limits") - 1))" ]
}

@test "inspect: masked and read-only paths as the container's mount table has them" {
	update_config '.linux.maskedPaths = ["/proc/keys", "/etc/hostname", "/no/such/path"]
		| .linux.readonlyPaths = ["/proc/sys", "/tmp"]'
	mkdir -p "$BUNDLE/rootfs/tmp"
	update_config '.root.readonly = false'
	start_and_inspect
	local mi
	mi=$(cat "/proc/$PID/mountinfo")
	[ -n "$(mountinfo_at "$mi" /proc/keys)" ]
	[ "$(jj '.maskedPaths[] | select(.path == "/proc/keys") | .masked')" = true ]
	[ "$(jj '.maskedPaths[] | select(.path == "/etc/hostname") | .masked')" = true ]
	[ "$(jj '.maskedPaths[] | select(.path == "/no/such/path") | [.masked, .absent] | join(",")')" = false,true ]
	[[ "$(mnt_opts "$(mountinfo_at "$mi" /tmp)")" == ro* ]]
	[ "$(jj '.readonlyPaths[] | select(.path == "/tmp") | .readonly')" = true ]
	[ "$(jj '.readonlyPaths[] | select(.path == "/proc/sys") | .readonly')" = true ]
	# Undo a mask from the host: inspect must notice.
	nsenter --mount --target "$PID" umount -l /proc/keys
	inspect_json
	[ "$(jj '.maskedPaths[] | select(.path == "/proc/keys") | .masked')" = false ]
	run ward inspect "$ID"
	assert_output_contains "/proc/keys"
	assert_output_contains "NOT MASKED"
}

@test "inspect: landlock: the negotiated policy (handled rights, scopes, rules), null without one" {
	start_and_inspect
	[ "$(jj .landlock)" = null ]
	run ward inspect "$ID"
	assert_output_contains "landlock       none"
	ward delete -f "$ID"

	update_config '.process.landlock = {ruleset: {handledAccessFS: ["make_dir", "read_dir"], scoped: ["signal"]},
		rules: {pathBeneath: [{allowedAccess: ["make_dir", "read_dir"], paths: ["/tmp", "/nope"]}]}}'
	start_and_inspect
	local abi
	abi=$(jj .landlock.policy.abi)
	[ "$abi" -ge 1 ] || skip "no Landlock on this kernel"
	[ "$(jj .landlock.policy.enforced)" = true ]
	[ "$(jj '.landlock.policy.handledAccessFS | join(",")')" = read_dir,make_dir ]
	[ "$(jj '.landlock.policy.skippedPaths | join(",")')" = /nope ]
	[ "$(jj .landlock.policy.pathRules)" = 2 ]
	if [ "$abi" -ge 6 ]; then
		[ "$(jj '.landlock.policy.scoped | join(",")')" = signal ]
		[ "$(jj '.landlock.policy.dropped | length')" = 0 ]
	else
		[ "$(jj '.landlock.policy.dropped | join(",")')" = signal ]
	fi
	# The policy is real: the init's domain refuses mkdir outside /tmp.
	run ward exec "$ID" mkdir /denied
	assert_failure
	[ ! -e "$BUNDLE/rootfs/denied" ]
	run ward inspect "$ID"
	assert_output_contains "landlock       ENFORCED, kernel ABI $abi, best effort, 2 path rule(s), 0 port rule(s)"
	assert_output_contains "handled fs   read_dir, make_dir"
	assert_output_contains "SKIPPED      /nope"
}

@test "inspect: LSM: the kernel's active modules and each label-based LSM's state" {
	start_and_inspect
	local active
	if [ -r /sys/kernel/security/lsm ]; then
		[ "$(jj '.lsm.active | join(",")')" = "$(cat /sys/kernel/security/lsm)" ]
	else
		[ "$(jj .lsm.activeSource)" = "lsm_list_modules(2)" ]
		[ "$(jj '.lsm.active | index("capability")')" != null ]
	fi
	# Landlock is in the list exactly when the kernel answers its ABI query.
	active=$(jj '.lsm.active | index("landlock") != null')
	if command -v cc >/dev/null; then
		cat >"$BATS_TEST_TMPDIR/abi.c" <<'EOF'
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) { printf("%ld\n", syscall(444, NULL, 0, 1U)); return 0; }
EOF
		cc -o "$BATS_TEST_TMPDIR/abi" "$BATS_TEST_TMPDIR/abi.c"
		if [ "$("$BATS_TEST_TMPDIR/abi")" -ge 1 ]; then [ "$active" = true ]; else [ "$active" = false ]; fi
	fi
	local aa=false se=false
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /sys/kernel/security/apparmor ] && aa=true
	[ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" = selinux ] && se=true
	[ "$(jj .lsm.apparmor.enabled)" = "$aa" ]
	[ "$(jj .lsm.selinux.enabled)" = "$se" ]
	if [ "$aa" = false ]; then
		[ "$(jj .lsm.apparmor.label)" = null ]
		run ward inspect "$ID"
		assert_output_contains "apparmor       not enabled on this host"
	else
		[ "$(jj .lsm.apparmor.label)" = "$(cat "/proc/$PID/attr/apparmor/current")" ]
	fi
	if [ "$se" = false ]; then
		[ "$(jj .lsm.selinux.label)" = null ]
	else
		[ "$(jj .lsm.selinux.label)" = "$(tr -d '\0' <"/proc/$PID/attr/current")" ]
	fi
	[ "$(jj .lsm.apparmor.requested)" = null ]
}

@test "inspect: a created (not started) container is inspected too" {
	set_args sleep 120
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	wait_status "$ID" created
	PID=$(ctr_pid "$ID")
	inspect_json
	[ "$(jj .status)" = created ]
	[ "$(jj .pid)" = "$PID" ]
	[ "$(jj '.namespaces[] | select(.type == "pid") | .inode')" = "$(stat -L -c %i "/proc/$PID/ns/pid")" ]
}

@test "inspect: errors: missing container, stopped container, bad usage" {
	run ward inspect ins-no-such-container
	assert_failure
	assert_output_contains 'inspect ins-no-such-container: container "ins-no-such-container" does not exist'
	run ward inspect --format json ins-no-such-container
	assert_failure
	# The error is a message, not a JSON document.
	! jq -e . <<<"$output" >/dev/null 2>&1 || false

	set_args true
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	wait_status "$ID" stopped
	run ward inspect "$ID"
	assert_failure
	assert_output_contains "container $ID is not running (stopped)"

	run ward inspect
	assert_failure
	assert_output_contains "expects exactly one container id"
	run ward inspect a b
	assert_failure
	assert_output_contains "expects exactly one container id"
	run ward inspect --format yaml "$ID"
	assert_failure
	assert_output_contains '--format: unknown format "yaml"'
}
