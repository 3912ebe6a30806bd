#!/usr/bin/env bats
# process.selinuxLabel and linux.mountLabel (src/confine/lsm.c,
# src/linux/mount.c): before READY the container's init writes the label to
# /proc/thread-self/attr/exec, so the program starts in that domain; tmpfs
# and devpts mounts get the mount label as their context= option (mqueue:
# its root is relabelled). On a host without SELinux ward refuses both
# instead of running without them.
#
# The confinement tests need SELinux enforcing a policy that has the types
# below: the KVM SELinux lane (tests/lanes/kvm-selinux.sh) boots Debian's
# kernel with security=selinux and loads scripts/kvm/selinux-policy.cil:
#   u:r:t                  every process and file of the guest
#   u:r:ward_ctr_t         the container domain: may use t files, not
#                          u:object_r:ward_secret_t ones
#   u:object_r:ward_ctr_file_t  what ward_ctr_t may write and t may not
# On a host without SELinux they skip, saying why, and the refusal tests run
# instead. WARD_REQUIRE_SELINUX=1 (the lane sets it) makes a missing SELinux
# a failure rather than a skip.

load helpers

CTR=u:r:ward_ctr_t
SECRET=u:object_r:ward_secret_t
CTR_FILE=u:object_r:ward_ctr_file_t

# selinuxfs is mounted (SELINUX_MAGIC), which is also what ward checks.
selinux_on() {
	[ "$(stat -f -c %t /sys/fs/selinux 2>/dev/null)" = f97cff8c ]
}

# Why the confinement tests cannot run here; empty when they can.
se_unusable() {
	if ! selinux_on; then
		echo "SELinux is not active on this kernel; tests/lanes/kvm-selinux.sh runs these tests in a VM"
	elif [ "$(cat /sys/fs/selinux/enforce)" != 1 ]; then
		echo "SELinux is not enforcing"
	elif ! chcon --help >/dev/null 2>&1; then
		echo "chcon is not installed"
	elif ! printf %s "$CTR" 2>/dev/null >/sys/fs/selinux/context; then
		echo "the loaded policy has no $CTR (it is scripts/kvm/selinux-policy.cil's)"
	fi
}

require_selinux() {
	local why
	why=$(se_unusable)
	[ -z "$why" ] && return 0
	if [ "${WARD_REQUIRE_SELINUX:-0}" = 1 ]; then
		echo "WARD_REQUIRE_SELINUX=1 but $why" >&2
		return 1
	fi
	skip "$why"
}

setup() {
	setup_bundle
	ID="se-$$-$BATS_TEST_NUMBER"
	update_config '.root.readonly = false'
	echo "top secret" >"$BUNDLE/rootfs/etc/ward-secret"
}

teardown() { teardown_bundle; }

set_label() {
	update_config --arg l "$1" '.process.selinuxLabel = $l'
}

@test "selinux: process.selinuxLabel runs the container in that domain" {
	require_selinux
	set_label "$CTR"
	set_args cat /proc/self/attr/current
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	# The kernel may end the string with a NUL.
	[ "${output%$'\0'}" = "$CTR" ]
}

@test "selinux: without selinuxLabel the container keeps the runtime's context" {
	require_selinux
	set_args cat /proc/self/attr/current
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	[ "${output%$'\0'}" = "$(tr -d '\0' </proc/self/attr/current)" ]
}

@test "selinux: a file the domain may not read is EACCES in the container; without the label it reads" {
	require_selinux
	chcon "$SECRET" "$BUNDLE/rootfs/etc/ward-secret"
	set_args cat /etc/ward-secret
	run_ward run -b "$BUNDLE" "$ID-free"
	assert_success
	[ "$output" = "top secret" ]

	set_label "$CTR"
	run_ward run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	assert_output_contains "can't open '/etc/ward-secret': Permission denied"
	assert_output_not_contains "top secret"
}

@test "selinux: the host sees the init in the domain; ward exec inherits it, --process-label replaces it" {
	require_selinux
	chcon "$SECRET" "$BUNDLE/rootfs/etc/ward-secret"
	set_label "$CTR"
	set_args sleep 300
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	local pid
	pid=$(ward state "$ID" | jq -r .pid)
	[ "$(tr -d '\0' <"/proc/$pid/attr/current")" = "$CTR" ]

	run_ward exec "$ID" sh -c 'tr -d "\0" </proc/self/attr/current; echo; cat /etc/ward-secret'
	[ "$status" -eq 1 ]
	assert_output_contains "$CTR"
	assert_output_contains "Permission denied"

	local mine
	mine=$(tr -d '\0' </proc/self/attr/current)
	run_ward exec --process-label "$mine" "$ID" sh -c 'tr -d "\0" </proc/self/attr/current; echo; cat /etc/ward-secret'
	assert_success
	[ "$output" = "$mine
top secret" ]
	ward delete -f "$ID"
}

@test "selinux: a context the policy does not know is a clear error and leaves nothing behind" {
	require_selinux
	set_label "u:r:ward_no_such_t"
	set_args touch /ran
	run_ward run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "process.selinuxLabel: \"u:r:ward_no_such_t\" is not a valid context in the loaded SELinux policy"
	[ ! -e "$BUNDLE/rootfs/ran" ]
	assert_no_leftovers "$ID"
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "is not a valid context"
	assert_no_leftovers "$ID"
	[ -z "$(ward list -q)" ]
}

@test "selinux: linux.mountLabel is the context= of the container's tmpfs mounts; the domain may write there" {
	require_selinux
	set_label "$CTR"
	update_config --arg l "$CTR_FILE" '.linux.mountLabel = $l |
		.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs"}]'
	# /dev/mqueue is among the mounts: its label is best effort (see
	# src/linux/mount.c), it must not keep the container from starting.
	set_args sh -c 'grep " /scratch " /proc/self/mountinfo; echo data >/scratch/f && cat /scratch/f'
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	# The tmpfs carries the label as its context= option; the container's
	# domain may write there.
	[[ "$output" == *" /scratch "*"context=$CTR_FILE"* ]] || {
		echo "no context=$CTR_FILE on /scratch: $output" >&2
		return 1
	}
	assert_output_contains "data"
}

@test "selinux: a mount labelled for the container is not writable by the host's domain (the label is real)" {
	require_selinux
	set_label "$CTR"
	update_config --arg l "$CTR_FILE" '.linux.mountLabel = $l |
		.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs"}]'
	set_args sh -c 'echo data >/scratch/f && sleep 300'
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	local pid f
	pid=$(ward state "$ID" | jq -r .pid)
	f=/proc/$pid/root/scratch/f
	local i
	for i in $(seq 50); do [ -s "$f" ] && break; sleep 0.1; done
	[ "$(stat -c %C "$f")" = "$CTR_FILE" ]
	# t may read ward_ctr_file_t but not write it (">", not ">>": appending
	# is another permission, which the test policy leaves unchecked).
	[ "$(cat "$f")" = data ]
	run sh -c "echo more >'$f'"
	[ "$status" -ne 0 ]
	assert_output_contains "Permission denied"
	ward delete -f "$ID"
}

# ---- hosts without SELinux ---------------------------------------------------

require_no_selinux() {
	if selinux_on; then
		skip "SELinux is active on this kernel; the refusal applies to hosts without it"
	fi
}

@test "selinux: without SELinux, ward refuses selinuxLabel and mountLabel and leaves nothing behind" {
	require_no_selinux
	set_label "u:r:container_t:s0"
	set_args touch /ran
	run_ward run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "process.selinuxLabel: SELinux is not enabled on this host; refusing to run without the label \"u:r:container_t:s0\""
	[ ! -e "$BUNDLE/rootfs/ran" ]
	assert_no_leftovers "$ID"

	update_config 'del(.process.selinuxLabel) | .linux.mountLabel = "u:object_r:container_file_t:s0"'
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "linux.mountLabel: SELinux is not enabled on this host"
	assert_no_leftovers "$ID"
	[ -z "$(ward list -q)" ]
}

@test "selinux: without SELinux, ward exec --process-label is refused and runs nothing" {
	require_no_selinux
	set_args sleep 300
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	run_ward exec --process-label "u:r:container_t:s0" "$ID" touch /ran
	assert_failure
	assert_output_contains "SELinux is not enabled on this host"
	[ ! -e "$BUNDLE/rootfs/ran" ]
	ward delete -f "$ID"
}
