#!/usr/bin/env bats
# process.apparmorProfile (src/confine/lsm.c): right before the container's
# execve ward writes "exec PROFILE" ("stack PROFILE" for "&PROFILE") to
# /proc/thread-self/attr/apparmor/exec, so the kernel confines the process
# from its first instruction; on a host without AppArmor it refuses the
# config instead of running unconfined.
#
# The confinement tests need AppArmor active and apparmor_parser: the KVM
# guest lane (tests/lanes/kvm-guest.sh) boots Debian's kernel, which has it.
# On a host without AppArmor they skip, saying why, and the refusal tests run
# instead. WARD_REQUIRE_APPARMOR=1 (the lane sets it) makes a missing
# AppArmor a failure rather than a skip.
#
# The profiles are loaded once per file under names unique to this run and
# removed afterwards; every container id is unique too (other runs of the
# suite may share the host).

load helpers

# Why AppArmor confinement cannot be tested here; empty when it can.
aa_unusable() {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		echo "AppArmor is not active on this kernel; tests/lanes/kvm-guest.sh runs these tests in a VM"
	elif [ ! -d /sys/kernel/security/apparmor ]; then
		echo "securityfs is not mounted at /sys/kernel/security"
	elif ! command -v apparmor_parser >/dev/null; then
		echo "apparmor_parser is not installed (Debian package apparmor)"
	fi
}

require_apparmor() {
	local why
	why=$(aa_unusable)
	[ -z "$why" ] && return 0
	if [ "${WARD_REQUIRE_APPARMOR:-0}" = 1 ]; then
		echo "WARD_REQUIRE_APPARMOR=1 but $why" >&2
		return 1
	fi
	skip "$why"
}

# require_feature PATH: a file under .../apparmor/features that must read yes
# (or exist, for directories).
require_feature() {
	local f=/sys/kernel/security/apparmor/features/$1
	if [ -d "$f" ] || [ "$(cat "$f" 2>/dev/null)" = yes ]; then
		return 0
	fi
	skip "this kernel's AppArmor lacks features/$1"
}

# apparmor_parser --replace, without the guest's "no parser.conf" warning.
aa_load() {
	local out rc=0
	out=$(apparmor_parser --replace --skip-cache --quiet "$@" 2>&1) || rc=$?
	grep -v "parser.conf' not found" <<<"$out" >&2 || true
	return "$rc"
}

# A profile that allows everything a container needs except writing under
# /tmp and reading /etc/ward-secret.
deny_profile() {
	cat <<-EOF
		profile $1 flags=(attach_disconnected,mediate_deleted) {
		  file,
		  capability,
		  network,
		  signal,
		  ptrace,
		  unix,
		  mount,
		  umount,
		  pivot_root,
		  deny /tmp/** w,
		  deny /etc/ward-secret r,
		}
	EOF
}

setup_file() {
	export AA_TAG="ward-bats-$$-$RANDOM"
	export AA_DENY="$AA_TAG-deny" AA_ALLOW="$AA_TAG-allow" AA_NS="$AA_TAG-ns"
	export AA_NSONLY="$AA_TAG-nsonly" AA_LOADED=0 AA_NS_LOADED=0
	[ -z "$(aa_unusable)" ] || return 0
	local d=$BATS_FILE_TMPDIR
	deny_profile "$AA_DENY" >"$d/deny"
	deny_profile "$AA_ALLOW" | grep -v deny >"$d/allow"
	if aa_load "$d/deny" && aa_load "$d/allow"; then
		export AA_LOADED=1
	fi
	# A profile that exists only in a policy namespace of its own.
	local nsdir=/sys/kernel/security/apparmor/policy/namespaces
	if [ -d "$nsdir" ] && mkdir "$nsdir/$AA_NS" 2>/dev/null; then
		deny_profile "$AA_NSONLY" >"$d/nsonly"
		if aa_load -n "$AA_NS" "$d/nsonly"; then
			export AA_NS_LOADED=1
		fi
	fi
}

teardown_file() {
	local d=$BATS_FILE_TMPDIR f
	for f in deny allow; do
		[ -f "$d/$f" ] && apparmor_parser --remove "$d/$f" >/dev/null 2>&1
	done
	if [ -f "$d/nsonly" ]; then
		apparmor_parser --remove -n "$AA_NS" "$d/nsonly" >/dev/null 2>&1
		rmdir "/sys/kernel/security/apparmor/policy/namespaces/$AA_NS" 2>/dev/null
	fi
	return 0
}

setup() {
	setup_bundle
	ID="aa-$$-$BATS_TEST_NUMBER"
	update_config '.root.readonly = false'
	echo "top secret" >"$BUNDLE/rootfs/etc/ward-secret"
}

teardown() { teardown_bundle; }

# Loaded profiles are a precondition of every confinement test.
require_profiles() {
	require_apparmor
	if [ "$AA_LOADED" != 1 ]; then
		echo "apparmor_parser could not load the test profiles (see setup_file output)" >&2
		return 1
	fi
}

set_profile() {
	update_config --arg p "$1" '.process.apparmorProfile = $p'
}

@test "apparmor: a profile denying writes under /tmp makes them fail with EACCES; unconfined they work" {
	require_profiles
	set_args sh -c 'echo data >/tmp/f && cat /tmp/f'
	run_ward run -b "$BUNDLE" "$ID-free"
	assert_success
	[ "$output" = data ]
	rm "$BUNDLE/rootfs/tmp/f"

	set_profile "$AA_DENY"
	run_ward run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	assert_output_contains "can't create /tmp/f: Permission denied"
	assert_output_not_contains data
	[ ! -e "$BUNDLE/rootfs/tmp/f" ]
}

@test "apparmor: a profile denying reads of a file makes them fail with EACCES; unconfined they work" {
	require_profiles
	set_args cat /etc/ward-secret
	run_ward run -b "$BUNDLE" "$ID-free"
	assert_success
	[ "$output" = "top secret" ]

	set_profile "$AA_DENY"
	run_ward run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	assert_output_contains "can't open '/etc/ward-secret': Permission denied"
	assert_output_not_contains "top secret"
}

@test "apparmor: /proc/self/attr/current in the container names the profile, in enforce mode" {
	require_profiles
	set_profile "$AA_DENY"
	set_args sh -c 'cat /proc/self/attr/current /proc/self/attr/apparmor/current'
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	[ "$output" = "$AA_DENY (enforce)
$AA_DENY (enforce)" ]
}

@test "apparmor: without apparmorProfile the container is unconfined" {
	require_apparmor
	set_args cat /proc/self/attr/current
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	[ "$output" = unconfined ]
}

@test "apparmor: the host sees the container's init under the profile; ward exec inherits it, --apparmor replaces it" {
	require_profiles
	set_profile "$AA_DENY"
	set_args sleep 300
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	local pid
	pid=$(ward state "$ID" | jq -r .pid)
	[ "$(cat "/proc/$pid/attr/current")" = "$AA_DENY (enforce)" ]

	run_ward exec "$ID" sh -c 'cat /proc/self/attr/current; echo x >/tmp/e'
	[ "$status" -eq 1 ]
	assert_output_contains "$AA_DENY (enforce)"
	assert_output_contains "can't create /tmp/e: Permission denied"

	run_ward exec --apparmor "$AA_ALLOW" "$ID" sh -c 'cat /proc/self/attr/current; echo x >/tmp/e && echo wrote'
	assert_success
	[ "$output" = "$AA_ALLOW (enforce)
wrote" ]
	ward delete -f "$ID"
}

@test "apparmor: a file bound over /proc/thread-self/attr/*/exec cannot take the profile (CVE-2019-16884): refused" {
	require_profiles
	set_profile "$AA_DENY"
	set_args sh -c 'echo RAN-UNCONFINED'
	# What ward writes the profile to, both the new and the legacy interface,
	# made files of another filesystem, as a volume or the image could.
	update_config '.mounts += [
		{"destination": "/proc/thread-self/attr/apparmor/exec", "type": "bind", "source": "/dev/null"},
		{"destination": "/proc/thread-self/attr/exec", "type": "bind", "source": "/dev/null"}]'
	run_ward run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_not_contains RAN-UNCONFINED
	assert_output_contains "is not on procfs"
	assert_no_leftovers "$ID"
}

@test "apparmor: a profile that is not loaded is a clear error and leaves nothing behind" {
	require_apparmor
	set_profile "$AA_TAG-missing"
	set_args touch /ran
	run_ward run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "process.apparmorProfile: the AppArmor profile \"$AA_TAG-missing\" is not loaded"
	[ ! -e "$BUNDLE/rootfs/ran" ]
	assert_no_leftovers "$ID"
	[ -z "$(ward list -q)" ]
	# The same for create, which must not leave a created container behind.
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "is not loaded"
	assert_no_leftovers "$ID"
}

@test "apparmor: &PROFILE stacks the profile on the container's confinement" {
	require_profiles
	require_feature domain/stack
	set_profile "&$AA_DENY"
	set_args sh -c 'cat /proc/self/attr/current; echo x >/tmp/f'
	run_ward run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	# Stacked on the unconfined runtime: both labels, the profile enforcing.
	assert_output_contains "unconfined//&$AA_DENY (enforce)"
	assert_output_contains "can't create /tmp/f: Permission denied"
}

@test "apparmor: :NS:PROFILE confines the container with a profile of that policy namespace" {
	require_profiles
	[ -d /sys/kernel/security/apparmor/policy/namespaces ] ||
		skip "this kernel's AppArmor has no policy namespaces"
	[ "$AA_NS_LOADED" = 1 ] || {
		echo "could not load a profile into the namespace $AA_NS" >&2
		return 1
	}
	# The profile exists only in the namespace: a wrong name would be ENOENT.
	set_profile ":$AA_NS:$AA_NSONLY"
	set_args sh -c 'cat /proc/self/attr/current; echo x >/tmp/f'
	run_ward run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	# Seen from inside, the label is relative to the namespace.
	assert_output_contains "$AA_NSONLY (enforce)"
	assert_output_contains "can't create /tmp/f: Permission denied"
	set_profile "$AA_NSONLY"
	set_args true
	run_ward run -b "$BUNDLE" "$ID-root"
	assert_failure
	assert_output_contains "\"$AA_NSONLY\" is not loaded"
}

# ---- hosts without AppArmor --------------------------------------------------

require_no_apparmor() {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
		[ -d /sys/kernel/security/apparmor ]; then
		skip "AppArmor is active on this kernel; the refusal applies to hosts without it"
	fi
}

@test "apparmor: without AppArmor, ward refuses a config with apparmorProfile and leaves nothing behind" {
	require_no_apparmor
	set_profile "ward-any-profile"
	set_args touch /ran
	run_ward run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "process.apparmorProfile: AppArmor is not enabled on this host; refusing to run without the profile \"ward-any-profile\""
	[ ! -e "$BUNDLE/rootfs/ran" ]
	assert_no_leftovers "$ID"
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "AppArmor is not enabled on this host"
	assert_no_leftovers "$ID"
	[ -z "$(ward list -q)" ]
}

@test "apparmor: without AppArmor, ward exec --apparmor is refused and runs nothing" {
	require_no_apparmor
	set_args sleep 300
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	run_ward exec --apparmor ward-any-profile "$ID" touch /ran
	assert_failure
	assert_output_contains "AppArmor is not enabled on this host"
	[ ! -e "$BUNDLE/rootfs/ran" ]
	ward delete -f "$ID"
}
