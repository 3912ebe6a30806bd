#!/usr/bin/env bats
# mounts, root.readonly, rootfsPropagation, default and configured devices,
# maskedPaths, readonlyPaths, sysctl — checked from inside the container.

load helpers
load helpers_inside

setup() {
	setup_bundle
	isolate_cgroup
	HOSTDIR="$BATS_TEST_TMPDIR/hostdir"
	mkdir -p "$HOSTDIR"
	echo "from the host" >"$HOSTDIR/hostfile"
	mkdir -p "$BUNDLE/rootfs/data"
	HOST_MOUNTS=()
}

teardown() {
	teardown_bundle
	local i
	for ((i = ${#HOST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${HOST_MOUNTS[$i]}" 2>/dev/null || true
	done
}

# Mount on the host, remembered for teardown.
host_mount() {
	local target=${*: -1}
	mount "$@"
	HOST_MOUNTS+=("$target")
}

bind_data() {
	local opts=$1
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": $opts}"
}

@test "bind mount of a host directory is read-write" {
	bind_data '["rbind", "rw"]'
	run_sh 'cat /data/hostfile && echo "from the container" > /data/newfile && echo ok'
	assert_success
	[ "${lines[0]}" = "from the host" ]
	[ "${lines[1]}" = ok ]
	[ "$(cat "$HOSTDIR/newfile")" = "from the container" ]
}

@test "read-only bind mount: writes fail with EROFS and the host dir is unchanged" {
	bind_data '["rbind", "ro"]'
	run_sh 'cat /data/hostfile; echo x > /data/newfile'
	assert_failure
	[ "${lines[0]}" = "from the host" ]
	assert_output_contains "Read-only file system"
	[ ! -e "$HOSTDIR/newfile" ]
	run_sh 'cat /proc/self/mountinfo'
	local opts
	opts=$(mnt_opts "$(mountinfo_at "$output" /data)")
	[[ ",$opts," == *",ro,"* ]]
}

@test "rbind carries submounts of the source" {
	mkdir -p "$HOSTDIR/sub"
	host_mount -t tmpfs wardsub "$HOSTDIR/sub"
	echo "in the submount" >"$HOSTDIR/sub/subfile"
	bind_data '["rbind"]'
	run_sh 'cat /data/sub/subfile; grep -c " /data/sub " /proc/self/mountinfo'
	assert_success
	[ "${lines[0]}" = "in the submount" ]
	[ "${lines[1]}" = 1 ]
}

@test "bind (not rbind) does not carry submounts of the source" {
	mkdir -p "$HOSTDIR/sub"
	host_mount -t tmpfs wardsub "$HOSTDIR/sub"
	echo "in the submount" >"$HOSTDIR/sub/subfile"
	bind_data '["bind"]'
	run_sh 'ls -A /data/sub | wc -l; grep -c " /data/sub " /proc/self/mountinfo'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
}

@test "nosuid, nodev and noexec on a bind mount show in mountinfo" {
	bind_data '["rbind", "nosuid", "nodev", "noexec"]'
	run_sh 'cat /proc/self/mountinfo'
	assert_success
	local opts
	opts=$(mnt_opts "$(mountinfo_at "$output" /data)")
	[[ ",$opts," == *",nosuid,"* ]]
	[[ ",$opts," == *",nodev,"* ]]
	[[ ",$opts," == *",noexec,"* ]]
}

@test "noexec on a bind mount: executing a script from it fails" {
	printf '#!/bin/sh\necho script ran\n' >"$HOSTDIR/script.sh"
	chmod 755 "$HOSTDIR/script.sh"
	bind_data '["rbind", "noexec"]'
	run_sh '/data/script.sh'
	assert_failure
	assert_output_not_contains "script ran"
	assert_output_contains "Permission denied"
}

@test "without noexec the same script on a bind mount runs" {
	printf '#!/bin/sh\necho script ran\n' >"$HOSTDIR/script.sh"
	chmod 755 "$HOSTDIR/script.sh"
	bind_data '["rbind"]'
	run_sh '/data/script.sh'
	assert_success
	[ "$output" = "script ran" ]
}

@test "nodev on a mount: a device node on it cannot be opened" {
	mknod "$HOSTDIR/null" c 1 3
	chmod 666 "$HOSTDIR/null"
	bind_data '["rbind", "nodev"]'
	run_sh 'echo x > /data/null'
	assert_failure
	assert_output_contains "Permission denied"
}

@test "noatime, relatime and strictatime mount flags are visible in mountinfo" {
	mkdir -p "$BUNDLE/rootfs/data/a" "$BUNDLE/rootfs/data/r" "$BUNDLE/rootfs/data/s"
	add_mount '{"destination": "/data/a", "type": "tmpfs", "source": "tmpfs", "options": ["noatime"]}'
	add_mount '{"destination": "/data/r", "type": "tmpfs", "source": "tmpfs", "options": ["relatime"]}'
	add_mount '{"destination": "/data/s", "type": "tmpfs", "source": "tmpfs", "options": ["strictatime"]}'
	run_sh 'cat /proc/self/mountinfo'
	assert_success
	local a r s
	a=$(mnt_opts "$(mountinfo_at "$output" /data/a)")
	r=$(mnt_opts "$(mountinfo_at "$output" /data/r)")
	s=$(mnt_opts "$(mountinfo_at "$output" /data/s)")
	[[ ",$a," == *",noatime,"* ]]
	[[ ",$r," == *",relatime,"* ]]
	[ -n "$s" ]
	[[ ",$s," != *",relatime,"* ]]
	[[ ",$s," != *",noatime,"* ]]
}

@test "noatime on a bind mount is visible in mountinfo" {
	bind_data '["rbind", "noatime"]'
	run_sh 'cat /proc/self/mountinfo'
	assert_success
	local opts
	opts=$(mnt_opts "$(mountinfo_at "$output" /data)")
	[[ ",$opts," == *",noatime,"* ]]
}

@test "bind mount of a single file" {
	echo "bound file content" >"$BATS_TEST_TMPDIR/single"
	add_mount "{\"destination\": \"/etc/hostname\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/single\", \"options\": [\"bind\", \"ro\"]}"
	run_sh 'cat /etc/hostname; stat -c %F /etc/hostname'
	assert_success
	[ "${lines[0]}" = "bound file content" ]
	[ "${lines[1]}" = "regular file" ]
}

@test "tmpfs with size= and mode=" {
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m", "mode=750", "nosuid"]}'
	run_sh 'stat -c %a /data; cat /proc/self/mountinfo'
	assert_success
	[ "${lines[0]}" = 750 ]
	local l
	l=$(mountinfo_at "$output" /data)
	[[ "$l" == *" - tmpfs "* ]]
	local sup
	sup=$(mnt_super "$l")
	[[ ",$sup," == *",size=2048k,"* ]]
	[[ ",$sup," == *",mode=750,"* ]]
}

@test "tmpfs size is enforced" {
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	run_sh 'dd if=/dev/zero of=/data/big bs=1024 count=2048'
	assert_failure
	assert_output_contains "No space left on device"
}

@test "bind mount with rshared is a shared mount inside" {
	bind_data '["rbind", "rshared"]'
	run_sh 'cat /proc/self/mountinfo'
	assert_success
	local opt
	opt=$(mnt_optional "$(mountinfo_at "$output" /data)")
	[[ "$opt" == *"shared:"* ]]
}

@test "bind mount with rprivate has no propagation inside and misses later host mounts" {
	host_mount -t tmpfs wardprop "$HOSTDIR"
	mount --make-shared "$HOSTDIR"
	mkdir -p "$HOSTDIR/later"
	bind_data '["rbind", "rprivate"]'
	update_config '.root.readonly = false'
	set_args sh -c 'grep " /data " /proc/self/mountinfo > /tmp/mi; while [ ! -e /tmp/go ]; do usleep 20000; done; ls /data/later > /tmp/ls; touch /tmp/done; sleep 100'
	run_detached run -d -b "$BUNDLE" prop
	assert_success
	wait_file "$BUNDLE/rootfs/tmp/mi"
	host_mount -t tmpfs wardlater "$HOSTDIR/later"
	touch "$HOSTDIR/later/marker"
	touch "$BUNDLE/rootfs/tmp/go"
	for i in $(seq 100); do [ -e "$BUNDLE/rootfs/tmp/done" ] && break; sleep 0.05; done
	[ -e "$BUNDLE/rootfs/tmp/done" ]
	local opt
	opt=$(mnt_optional "$(cat "$BUNDLE/rootfs/tmp/mi")")
	[[ "$opt" != *"shared:"* ]]
	[[ "$opt" != *"master:"* ]]
	[ ! -s "$BUNDLE/rootfs/tmp/ls" ]
}

@test "bind mount with rslave receives mounts made later on the host" {
	host_mount -t tmpfs wardprop "$HOSTDIR"
	mount --make-shared "$HOSTDIR"
	mkdir -p "$HOSTDIR/later"
	bind_data '["rbind", "rslave"]'
	update_config '.root.readonly = false'
	set_args sh -c 'grep " /data " /proc/self/mountinfo > /tmp/mi; while [ ! -e /tmp/go ]; do usleep 20000; done; ls /data/later > /tmp/ls; touch /tmp/done; sleep 100'
	run_detached run -d -b "$BUNDLE" prop
	assert_success
	wait_file "$BUNDLE/rootfs/tmp/mi"
	host_mount -t tmpfs wardlater "$HOSTDIR/later"
	touch "$HOSTDIR/later/marker"
	touch "$BUNDLE/rootfs/tmp/go"
	for i in $(seq 100); do [ -e "$BUNDLE/rootfs/tmp/done" ] && break; sleep 0.05; done
	[ -e "$BUNDLE/rootfs/tmp/done" ]
	local opt
	opt=$(mnt_optional "$(cat "$BUNDLE/rootfs/tmp/mi")")
	[[ "$opt" == *"master:"* ]]
	[[ "$opt" != *"shared:"* ]]
	[ "$(cat "$BUNDLE/rootfs/tmp/ls")" = marker ]
	# Nothing the runtime mounted came back to the host's shared mount.
	[ "$(grep -c " $HOSTDIR[/ ]" /proc/$$/mountinfo)" -eq 2 ]
}

@test "root.readonly true: writing to / fails with EROFS" {
	update_config '.root.readonly = true'
	run_sh 'touch /newfile'
	assert_failure
	assert_output_contains "Read-only file system"
	[ ! -e "$BUNDLE/rootfs/newfile" ]
	run_sh 'cat /proc/self/mountinfo'
	local opts
	opts=$(mnt_opts "$(mountinfo_at "$output" /)")
	[[ ",$opts," == *",ro,"* ]]
}

@test "root.readonly false: writing to / works and lands in the rootfs" {
	update_config '.root.readonly = false'
	run_sh 'echo written > /newfile && echo ok'
	assert_success
	[ "$output" = ok ]
	[ "$(cat "$BUNDLE/rootfs/newfile")" = written ]
}

rootfs_propagation_test() {
	update_config --arg p "$1" '.linux.rootfsPropagation = $p'
	run_sh 'cat /proc/self/mountinfo'
	assert_success
	mnt_optional "$(mountinfo_at "$output" /)"
}

@test "linux.rootfsPropagation shared makes / a shared mount" {
	local opt
	opt=$(rootfs_propagation_test shared)
	[[ "$opt" == *"shared:"* ]]
}

@test "linux.rootfsPropagation private makes / a private mount" {
	local opt
	opt=$(rootfs_propagation_test private)
	[ -z "$opt" ]
}

@test "linux.rootfsPropagation unbindable makes / unbindable" {
	local opt
	opt=$(rootfs_propagation_test unbindable)
	[[ "$opt" == *"unbindable"* ]]
}

@test "proc is mounted at /proc and shows the container's pid namespace" {
	run_sh 'cat /proc/self/mountinfo; echo ---; cat /proc/1/cmdline | tr "\0" " "; echo'
	assert_success
	local l
	l=$(mountinfo_at "$output" /proc)
	[[ "$l" == *" - proc "* ]]
	[[ "$output" == *"---"$'\n'"sh -c "* ]]
}

@test "sysfs is mounted read-only at /sys" {
	run_sh 'grep " /sys " /proc/self/mountinfo; touch /sys/wardtest'
	assert_failure
	[[ "${lines[0]}" == *" - sysfs "* ]]
	local opts
	opts=$(mnt_opts "${lines[0]}")
	[[ ",$opts," == *",ro,"* ]]
	assert_output_contains "Read-only file system"
}

@test "devpts is a new instance with the configured ptmxmode" {
	run_sh 'grep " /dev/pts " /proc/self/mountinfo; stat -c %a /dev/pts/ptmx'
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *" - devpts "* ]]
	[[ "$(mnt_super "${lines[0]}")" == *"ptmxmode=666"* ]]
	[[ "$(mnt_super "${lines[0]}")" == *"mode=620"* ]]
	[ "${lines[1]}" = 666 ]
	# A new instance has its own device number, unlike any host devpts.
	local dev
	dev=$(awk '{print $3}' <<<"${lines[0]}")
	! awk '$9 == "devpts" {print $3}' /proc/$$/mountinfo | grep -qx "$dev" || false
}

@test "mqueue is mounted at /dev/mqueue" {
	run_sh 'grep " /dev/mqueue " /proc/self/mountinfo'
	assert_success
	[[ "$output" == *" - mqueue "* ]]
}

@test "cgroup filesystem is mounted read-only under /sys/fs/cgroup" {
	local probe="ro-probe-$$-$BATS_TEST_NUMBER"
	run_sh "grep ' /sys/fs/cgroup' /proc/self/mountinfo; mkdir /sys/fs/cgroup/pids/$probe || mkdir /sys/fs/cgroup/$probe"
	assert_failure
	assert_output_contains "Read-only file system"
	local l n=0
	while read -r l; do
		[[ "$l" == *" /sys/fs/cgroup"* ]] || continue
		n=$((n + 1))
		[[ ",$(mnt_opts "$l")," == *",ro,"* ]]
	done <<<"$output"
	[ "$n" -ge 1 ]
	# And it is a cgroup filesystem, not just an empty directory.
	[[ "$output" == *" - cgroup"* ]]
	[ ! -e "/sys/fs/cgroup/pids/$probe" ]
	[ ! -e "/sys/fs/cgroup/$probe" ]
}

@test "default devices exist with the right type, major:minor and mode" {
	run_sh 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done'
	assert_success
	[ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
}

@test "default devices work: null swallows, zero reads zeros, full is full" {
	run_sh 'echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1 | tr -d " "; head -c 16 /dev/urandom | wc -c; echo x > /dev/full'
	assert_failure
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 00000000 ]
	[ "${lines[2]}" = 16 ]
	assert_output_contains "No space left on device"
}

@test "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr and /dev/ptmx are the standard symlinks" {
	run_sh 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
	assert_success
	[ "${lines[0]}" = "fd -> /proc/self/fd" ]
	[ "${lines[1]}" = "stdin -> /proc/self/fd/0" ]
	[ "${lines[2]}" = "stdout -> /proc/self/fd/1" ]
	[ "${lines[3]}" = "stderr -> /proc/self/fd/2" ]
	[ "${lines[4]}" = "ptmx -> pts/ptmx" ]
}

@test "linux.devices creates a char device with fileMode, uid and gid" {
	update_config '.linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 3, fileMode: 384, uid: 1234, gid: 5}]'
	run_sh 'stat -c "%F %t:%T %a %u:%g" /dev/mydev; echo data > /dev/mydev && echo write-ok; wc -c < /dev/mydev'
	assert_success
	[ "${lines[0]}" = "character special file 1:3 600 1234:5" ]
	[ "${lines[1]}" = write-ok ]
	[ "${lines[2]}" = 0 ]
}

@test "linux.devices in a subdirectory of /dev" {
	update_config '.linux.devices = [{path: "/dev/sub/dir/zero2", type: "c", major: 1, minor: 5, fileMode: 438}]'
	run_sh 'stat -c "%F %t:%T %a" /dev/sub/dir/zero2; head -c 2 /dev/sub/dir/zero2 | od -An -tx1 | tr -d " "'
	assert_success
	[ "${lines[0]}" = "character special file 1:5 666" ]
	[ "${lines[1]}" = 0000 ]
}

@test "devices inside a user namespace are bind mounts of the host's" {
	enable_userns 100000 65536
	run_sh 'grep " /dev/null " /proc/self/mountinfo; stat -c "%F %t:%T" /dev/null; echo x > /dev/null && echo write-ok'
	assert_success
	# A bind mount of the host's /dev/null: a mount point of its own whose
	# root is the file in the host's /dev filesystem.
	[[ "${lines[0]}" == *" /null /dev/null "* ]]
	[ "${lines[1]}" = "character special file 1:3" ]
	[ "${lines[2]}" = write-ok ]
}

@test "maskedPaths: a masked file reads empty" {
	[ -n "$(head -c 1 /proc/timer_list)" ]
	update_config '.linux.maskedPaths = ["/proc/timer_list", "/proc/keys", "/etc/hostname"]'
	run_sh 'wc -c < /proc/timer_list; wc -c < /proc/keys; wc -c < /etc/hostname'
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 0 ]
}

@test "maskedPaths: a file is not masked unless listed" {
	update_config '.linux.maskedPaths = []'
	run_sh 'wc -c < /proc/timer_list; wc -c < /etc/hostname'
	assert_success
	[ "${lines[0]}" -gt 0 ]
	[ "${lines[1]}" -gt 0 ]
}

@test "maskedPaths: a masked directory is empty and read-only" {
	[ -n "$(ls -A /sys/firmware)" ]
	mkdir -p "$HOSTDIR/secret"
	echo s3cret >"$HOSTDIR/secret/key"
	bind_data '["rbind", "rw"]'
	update_config '.linux.maskedPaths = ["/sys/firmware", "/data/secret"]'
	run_sh 'ls -A /sys/firmware | wc -l; ls -A /data/secret | wc -l; cat /data/secret/key; touch /data/secret/new'
	assert_failure
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	assert_output_not_contains "s3cret"
	assert_output_contains "Read-only file system"
	[ ! -e "$HOSTDIR/secret/new" ]
	[ "$(cat "$HOSTDIR/secret/key")" = s3cret ]
}

@test "maskedPaths: a path missing from the container is ignored" {
	update_config '.linux.maskedPaths = ["/proc/no-such-thing", "/proc/keys"]'
	run_sh 'wc -c < /proc/keys'
	assert_success
	[ "$output" = 0 ]
}

@test "readonlyPaths: /proc/sys cannot be written" {
	local before
	before=$(cat /proc/sys/kernel/domainname)
	run_sh 'echo changed > /proc/sys/kernel/domainname; grep " /proc/sys " /proc/self/mountinfo'
	assert_output_contains "Read-only file system"
	[[ ",$(mnt_opts "$(mountinfo_at "$output" /proc/sys)")," == *",ro,"* ]]
	[ "$(cat /proc/sys/kernel/domainname)" = "$before" ]
}

@test "readonlyPaths: a custom path becomes read-only, the rest stays writable" {
	update_config '.root.readonly = false | .linux.readonlyPaths = ["/tmp"]'
	run_sh 'touch /rootfile && echo root-ok; touch /tmp/tmpfile'
	assert_failure
	[ "${lines[0]}" = root-ok ]
	assert_output_contains "Read-only file system"
	[ -e "$BUNDLE/rootfs/rootfile" ]
	[ ! -e "$BUNDLE/rootfs/tmp/tmpfile" ]
}

@test "sysctl net.ipv4.ip_forward is set in the container's network namespace only" {
	local host_before
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	[ "$host_before" = 0 ] || skip "host has ip_forward=$host_before; the test needs 0"
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run_sh 'cat /proc/sys/net/ipv4/ip_forward'
	assert_success
	[ "$output" = 1 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

@test "sysctl kernel.shmmax is set in the container's ipc namespace only" {
	local host_before
	host_before=$(cat /proc/sys/kernel/shmmax)
	update_config '.linux.sysctl = {"kernel.shmmax": "123456789"}'
	run_sh 'cat /proc/sys/kernel/shmmax'
	assert_success
	[ "$output" = 123456789 ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_before" ]
}

@test "sysctl net.* without a private network namespace is refused, the host value unchanged" {
	local host_before
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	remove_namespace network
	local want=1
	[ "$host_before" = 1 ] && want=0
	update_config --arg v "$want" '.linux.sysctl = {"net.ipv4.ip_forward": $v}'
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

@test "sysctl kernel.shmmax without a private ipc namespace is refused, the host value unchanged" {
	local host_before
	host_before=$(cat /proc/sys/kernel/shmmax)
	remove_namespace ipc
	update_config '.linux.sysctl = {"kernel.shmmax": "123456789"}'
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_before" ]
}
