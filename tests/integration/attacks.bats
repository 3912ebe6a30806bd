#!/usr/bin/env bats
# Hostile root filesystems and hostile container processes. Each test makes
# the attack and asserts it had no effect on the host.

load helpers
load helpers_inside
load helpers_race

# Names a successful attack would create on the host (teardown removes them).
PROBE=ward-attack-probe

setup() {
	setup_bundle
	isolate_cgroup
	VICTIM="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$VICTIM"
	echo "victim content" >"$VICTIM/file"
	SECRET="$BATS_TEST_TMPDIR/secret"
	echo s3cret-host-data >"$SECRET"
	HOST_PIDS=()
}

teardown() {
	teardown_bundle
	local p
	for p in "${HOST_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	# Evidence of a successful attack must not stay on the host.
	rmdir "/etc/$PROBE" 2>/dev/null || true
	rm -f "/etc/$PROBE" "/dev/$PROBE" 2>/dev/null || true
	umount -l "/etc/$PROBE" 2>/dev/null || true
}

host_mounts() {
	awk '{print $5, $6, $9}' /proc/$$/mountinfo | sort
}

etc_fingerprint() {
	ls -la --time-style=+%s /etc | sha256sum
}

# Start the container detached (its process sleeps) and check while it runs
# that the host mount table and /etc did not change. $1: expected "ok" or
# "any" (the runtime may also refuse the hostile rootfs).
run_hostile() {
	local before_m before_e
	before_m=$(host_mounts)
	before_e=$(etc_fingerprint)
	update_config '.process.args = ["sh", "-c", "cat /proc/self/mountinfo > /dev/shm/mi; sleep 100"]'
	run_detached run -d -b "$BUNDLE" hostile
	HOSTILE_STATUS=$status
	HOSTILE_OUTPUT=$output
	[ "$(host_mounts)" = "$before_m" ] || { echo "host mount table changed" >&2; diff <(echo "$before_m") <(host_mounts) >&2; return 1; }
	[ "$(etc_fingerprint)" = "$before_e" ] || { echo "host /etc changed" >&2; return 1; }
	[ ! -e "/etc/$PROBE" ] || { echo "/etc/$PROBE created on the host" >&2; return 1; }
}

@test "mount destination that is a symlink to /etc does not mount over the host's /etc" {
	ln -s /etc "$BUNDLE/rootfs/mnt"
	add_mount '{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	run_hostile
	if [ "$HOSTILE_STATUS" -eq 0 ]; then
		# Resolved inside the root: the tmpfs is the container's /etc.
		run ward exec hostile sh -c 'stat -f -c %T /etc; ls -A /etc | wc -l'
		assert_success
		[ "${lines[0]}" = tmpfs ]
		[ "${lines[1]}" = 0 ]
	fi
	[ -s /etc/passwd ]
}

@test "mount destination under a symlink to /etc does not create directories in the host's /etc" {
	ln -s /etc "$BUNDLE/rootfs/mnt"
	add_mount "{\"destination\": \"/mnt/$PROBE\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\"]}"
	run_hostile
	[ ! -e "/etc/$PROBE" ]
	if [ "$HOSTILE_STATUS" -eq 0 ]; then
		[ -d "$BUNDLE/rootfs/etc/$PROBE" ]
	fi
}

@test "a ../../.. symlink chain cannot take a mount destination out of the root" {
	local rel
	rel=$(printf '../%.0s' $(seq 1 30))
	ln -s "${rel}${VICTIM#/}" "$BUNDLE/rootfs/l1"
	ln -s l1 "$BUNDLE/rootfs/l2"
	ln -s ./l2 "$BUNDLE/rootfs/l3"
	# The same path exists inside the rootfs: resolved in the root, the chain
	# leads there.
	mkdir -p "$BUNDLE/rootfs$VICTIM"
	add_mount "{\"destination\": \"/l3/$PROBE\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\"]}"
	run_hostile
	[ ! -e "$VICTIM/$PROBE" ]
	[ "$(ls -A "$VICTIM")" = file ]
	if [ "$HOSTILE_STATUS" -eq 0 ]; then
		[ -d "$BUNDLE/rootfs$VICTIM/$PROBE" ]
		run ward exec hostile stat -f -c %T "$VICTIM/$PROBE"
		[ "$output" = tmpfs ]
	fi
}

@test "a ../../.. symlink chain cannot redirect a bind mount over a host directory" {
	local rel
	rel=$(printf '../%.0s' $(seq 1 30))
	ln -s "${rel}${VICTIM#/}" "$BUNDLE/rootfs/l1"
	ln -s l1 "$BUNDLE/rootfs/l2"
	mkdir -p "$BUNDLE/rootfs$VICTIM"
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo "attacker data" >"$BATS_TEST_TMPDIR/src/file"
	add_mount "{\"destination\": \"/l2\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\"]}"
	run_hostile
	[ "$(cat "$VICTIM/file")" = "victim content" ]
	if [ "$HOSTILE_STATUS" -eq 0 ]; then
		# In the container the bind landed on the in-root target of the chain.
		run ward exec hostile sh -c "cat /l2/file"
		assert_success
		[ "$output" = "attacker data" ]
	fi
}

@test "a mount destination through /proc/self/root cannot reach the host" {
	# Once /proc is mounted in the rootfs, /proc/self/root is a magic link to
	# the runtime's root: following it would leave the container's root.
	ln -s "/proc/self/root$VICTIM" "$BUNDLE/rootfs/evil"
	add_mount "{\"destination\": \"/evil/$PROBE\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\"]}"
	run_hostile
	[ ! -e "$VICTIM/$PROBE" ]
	[ "$(ls -A "$VICTIM")" = file ]
}

@test "a bind mount destination that is a symlink to /proc/self/cwd does not land outside the root" {
	ln -s /proc/self/cwd "$BUNDLE/rootfs/evil"
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo "attacker data" >"$BATS_TEST_TMPDIR/src/file"
	add_mount "{\"destination\": \"/evil/$PROBE\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\"]}"
	run_hostile
	# The runtime's cwd (bundle, state dir, test dir) got no new entry.
	[ ! -e "$BUNDLE/$PROBE" ]
	[ ! -e "$STATE_ROOT/$PROBE" ]
	[ ! -e "$STATE_ROOT/hostile/$PROBE" ]
	[ ! -e "$BATS_TEST_TMPDIR/$PROBE" ]
	[ ! -e "$PWD/$PROBE" ]
	[ ! -e "/$PROBE" ]
}

@test "a rootfs whose /dev is a symlink to the host's /dev is not populated on the host" {
	rmdir "$BUNDLE/rootfs/dev"
	ln -s /dev "$BUNDLE/rootfs/dev"
	local null_before
	null_before=$(stat -c '%a %u %g %t:%T' /dev/null)
	update_config --arg p "/dev/$PROBE" '.linux.devices = [{path: $p, type: "c", major: 1, minor: 3, fileMode: 438}]'
	run_hostile
	[ ! -e "/dev/$PROBE" ]
	[ "$(stat -c '%a %u %g %t:%T' /dev/null)" = "$null_before" ]
	[ ! -L /dev/fd ] || [ "$(readlink /dev/fd)" = /proc/self/fd ]
}

@test "a rootfs /dev symlink to the host's /dev without a /dev mount does not create nodes on the host" {
	rmdir "$BUNDLE/rootfs/dev"
	ln -s /dev "$BUNDLE/rootfs/dev"
	# No tmpfs on /dev: the runtime creates the default devices in the rootfs.
	update_config '.mounts = [.mounts[] | select(.destination | startswith("/dev") | not)]'
	update_config --arg p "/dev/$PROBE" '.linux.devices = [{path: $p, type: "c", major: 1, minor: 3, fileMode: 438}]'
	local dev_before
	dev_before=$(ls -la --time-style=+%s /dev | sha256sum)
	run_hostile
	[ ! -e "/dev/$PROBE" ]
	[ "$(ls -la --time-style=+%s /dev | sha256sum)" = "$dev_before" ]
}

# CVE-2019-16884, CVE-2023-28642: procfs and sysfs only on a real
# directory. $1: the mount's destination; $2...: symlinks to plant, as
# "PATH TARGET" pairs (PATH replaces what the rootfs has there).
refuses_kernel_fs_through() {
	local dest=$1 n
	shift
	while [ $# -gt 0 ]; do
		rm -rf "${BUNDLE:?}/rootfs$1"
		ln -s "$2" "$BUNDLE/rootfs$1"
		shift 2
	done
	n=$(jq --arg d "$dest" '[.mounts[].destination] | index($d)' "$BUNDLE/config.json")
	run_hostile
	[ "$HOSTILE_STATUS" != 0 ] || { echo "a mount on $dest through a symlink was made" >&2; false; }
	[[ "$HOSTILE_OUTPUT" == *"config.json: mounts[$n] $dest: "*"must be mounted on a real directory"* ]] ||
		{ echo "unexpected error: $HOSTILE_OUTPUT" >&2; false; }
	assert_no_leftovers hostile
	ward delete -f hostile 2>/dev/null || true
}

@test "a rootfs whose /proc is a symlink (absolute, relative, chained, to /, out of the root) gets no procfs: refused" {
	mkdir -p "$BUNDLE/rootfs/p2"
	local rel
	rel=$(printf '../%.0s' $(seq 1 10))
	refuses_kernel_fs_through /proc /proc /etc
	refuses_kernel_fs_through /proc /proc etc
	refuses_kernel_fs_through /proc /proc /p1 /p1 p2
	refuses_kernel_fs_through /proc /proc /
	refuses_kernel_fs_through /proc /proc "${rel}proc"
	# and not a directory at all
	rm -f "$BUNDLE/rootfs/proc"
	touch "$BUNDLE/rootfs/proc"
	run_hostile
	[ "$HOSTILE_STATUS" != 0 ]
	[[ "$HOSTILE_OUTPUT" == *"mounts[0] /proc: proc must be mounted on a real directory: /proc is not one"* ]]
	assert_no_leftovers hostile
}

@test "a rootfs whose /sys is a symlink (absolute, relative, to /) gets no sysfs: refused" {
	refuses_kernel_fs_through /sys /sys /etc
	refuses_kernel_fs_through /sys /sys dev
	refuses_kernel_fs_through /sys /sys /
}

@test "procfs on a path under a symlinked directory is refused as well" {
	update_config '.mounts += [{"destination": "/run/host/proc", "type": "proc", "source": "proc"}]'
	mkdir -p "$BUNDLE/rootfs/var/run-real"
	refuses_kernel_fs_through /run/host/proc /run /var/run-real
	# The real directory behind it got nothing.
	[ -z "$(ls -A "$BUNDLE/rootfs/var/run-real")" ]
}

@test "a masked path that is a symlink out of the root does not touch the host file" {
	ln -s "$SECRET" "$BUNDLE/rootfs/etc/secretlink"
	ln -s "$VICTIM" "$BUNDLE/rootfs/etc/dirlink"
	update_config '.linux.maskedPaths += ["/etc/secretlink", "/etc/dirlink"] | .linux.readonlyPaths += ["/etc/dirlink"]'
	local before
	before=$(stat -c '%a %u %g %s %Y' "$SECRET" "$VICTIM")
	run_hostile
	[ "$(stat -c '%a %u %g %s %Y' "$SECRET" "$VICTIM")" = "$before" ]
	[ "$(cat "$SECRET")" = s3cret-host-data ]
	# The host's file is still writable (not remounted read-only on the host).
	echo more >>"$VICTIM/file"
	if [ "$HOSTILE_STATUS" -eq 0 ]; then
		run ward exec hostile sh -c 'cat /etc/secretlink; ls /etc/dirlink'
		assert_output_not_contains s3cret-host-data
		assert_output_not_contains "victim content"
	fi
}

@test "the container cannot see host processes" {
	sleep 1000 &
	HOST_PIDS+=($!)
	local hostpid=$!
	run_sh "ps -o pid,args; echo ---; ls -d /proc/$hostpid 2>&1; ls /proc | grep -c '^[0-9]'"
	assert_success
	assert_output_not_contains "sleep 1000"
	assert_output_contains "No such file or directory"
	local n
	n=$(tail -n 1 <<<"$output")
	[ "$n" -le 4 ]
}

@test "the container cannot write to host files through escape paths" {
	update_config '.root.readonly = false'
	local target="$VICTIM/file"
	run_sh "for p in '$target' '/..$target' '/../../../..$target' '/proc/1/root$target' '/proc/self/root/../..$target' '/proc/1/cwd/../../../..$target'; do echo pwned >> \"\$p\" 2>/dev/null && echo \"wrote \$p\"; done; true"
	assert_success
	[ "$(cat "$target")" = "victim content" ]
	# Whatever was written landed in the rootfs.
	[[ "$output" != *"wrote"* ]] || [ -e "$BUNDLE/rootfs$target" ]
}

@test "the container cannot set the cgroup release_agent (CVE-2022-0492)" {
	local ra=/sys/fs/cgroup/memory/release_agent
	[ -e "$ra" ] || ra=$(ls /sys/fs/cgroup/*/release_agent 2>/dev/null | head -n 1)
	[ -n "$ra" ] || skip "no cgroup v1 hierarchy with release_agent"
	local before
	before=$(cat "$ra")
	run_sh 'for f in /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/release_agent; do [ -e "$f" ] && echo /pwn > "$f" && echo "wrote $f"; done; mkdir -p /tmp/x; mount -t cgroup -o memory cgroup /tmp/x && echo mounted; echo done'
	assert_output_not_contains "wrote"
	assert_output_not_contains "mounted"
	[ "$(cat "$ra")" = "$before" ]
}

@test "the container cannot read the host's disk through a device node it makes" {
	local disk
	disk=$(awk '$5 == "/" {print $3}' /proc/$$/mountinfo | head -n 1)
	local maj=${disk%%:*} min=${disk##*:}
	[ "$maj" != 0 ] || skip "the root filesystem has no block device"
	# Making the node needs CAP_MKNOD (ward spec leaves it out); the device
	# cgroup must stop the open all the same.
	add_caps CAP_MKNOD
	update_config '.root.readonly = false'
	run_sh "mknod /tmp/disk b $maj $min && echo made; head -c 512 /tmp/disk | wc -c"
	# The device cgroup (deny all) forbids the open even if mknod worked.
	assert_output_contains "Operation not permitted"
	[ "$(tail -n 1 <<<"$output")" = 0 ]
}

@test "ward exec into a container cannot overwrite the ward binary via /proc/self/exe (CVE-2019-5736)" {
	# The attack runs against a copy of ward so a vulnerable build cannot
	# destroy build/ward; build/ward's checksum is checked too.
	local copy="$BATS_TEST_TMPDIR/ward-copy"
	cp "$WARD" "$copy"
	local sum_copy sum_ward
	sum_copy=$(sha256sum <"$copy")
	sum_ward=$(sha256sum <"$WARD")
	update_config '.root.readonly = false'
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod 755 "$BUNDLE/rootfs/evil"
	# The attacker: opens every other process's exe read-only, then tries to
	# reopen it for writing through /proc/self/fd and overwrite it.
	cat >"$BUNDLE/rootfs/attack.sh" <<'EOF'
#!/bin/sh
while [ ! -e /tmp/stop ]; do
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = $$ ] && continue
		readlink $p/exe >> /tmp/seen 2>/dev/null
		if exec 9< $p/exe 2>/dev/null; then
			for i in 1 2 3 4 5 6 7 8 9 10; do
				if (echo PWNED > /proc/self/fd/9) 2>/dev/null; then
					echo "overwrote $(readlink /proc/self/fd/9)" >> /tmp/pwned
				fi
			done
			exec 9<&-
		fi
	done
done
EOF
	chmod 755 "$BUNDLE/rootfs/attack.sh"
	set_args /attack.sh
	"$copy" --root "$STATE_ROOT" run -d -b "$BUNDLE" victimctr </dev/null >"$BATS_TEST_TMPDIR/run.log" 2>&1
	wait_status victimctr running
	local i
	for i in $(seq 1 15); do
		"$copy" --root "$STATE_ROOT" exec victimctr /evil </dev/null >/dev/null 2>&1 || true
	done
	# And a process that execs /proc/self/exe directly.
	"$copy" --root "$STATE_ROOT" exec victimctr sh -c 'exec /proc/self/exe' </dev/null >/dev/null 2>&1 || true
	touch "$BUNDLE/rootfs/tmp/stop"
	sleep 0.2
	[ "$(sha256sum <"$copy")" = "$sum_copy" ]
	[ "$(sha256sum <"$WARD")" = "$sum_ward" ]
	[ ! -s "$BUNDLE/rootfs/tmp/pwned" ] || { cat "$BUNDLE/rootfs/tmp/pwned" >&2; false; }
	# No process in the container ever showed the on-disk binary as its exe.
	! grep -qxF "$copy" "$BUNDLE/rootfs/tmp/seen" 2>/dev/null || false
}

# Exec protection (src/runtime/protect.c): the init and exec's child run
# ward's code until they exec the program through the sealed exec stub, or,
# where the stub cannot be used, the whole CLI re-executes from a sealed copy.

# Probe the created container's init (PID 1, still running ward) from an
# exec'd process: its exe must be neither readable nor writable.
probe_init_exe() {
	run ward exec ctr sh -c 'readlink /proc/1/exe && echo LINKED; cat /proc/1/exe >/dev/null && echo READ; (echo PWNED >>/proc/1/exe) && echo WROTE; true'
}

@test "a created container's init, still running ward's binary, is closed to the container's processes" {
	local sum
	sum=$(sha256sum <"$WARD")
	set_args true
	run_detached create -b "$BUNDLE" ctr
	assert_success
	local pid
	pid=$(ctr_pid ctr)
	# The fast path: no sealed copy of ward, the init is ward's binary...
	[ "$(stat -L -c %d:%i "/proc/$pid/exe")" = "$(stat -L -c %d:%i "$WARD")" ]
	# ...and non-dumpable, so the container's processes cannot reach it.
	probe_init_exe
	assert_success
	assert_output_not_contains LINKED
	assert_output_not_contains READ
	assert_output_not_contains WROTE
	[ "$(sha256sum <"$WARD")" = "$sum" ]
}

@test "a #!/proc/self/exe program reaches the sealed exec stub, never ward's binary (CVE-2019-5736)" {
	local copy="$BATS_TEST_TMPDIR/ward-copy" sum
	cp "$WARD" "$copy"
	sum=$(sha256sum <"$copy")
	update_config '.root.readonly = false'
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod 755 "$BUNDLE/rootfs/evil"
	set_args /evil
	run "$copy" --root "$STATE_ROOT" run -b "$BUNDLE" ctr </dev/null
	# The kernel ran the stub (the init's /proc/self/exe at its exec), which
	# refuses to be anything but the runtime's last step.
	assert_status 126
	assert_output_contains "ward-stub: this is part of ward"
	[ "$(sha256sum <"$copy")" = "$sum" ]
	# The same for a program that execs /proc/self/exe itself: that is the
	# shell, here; the stub is only ever seen as the program's predecessor.
	set_args sh -c 'readlink /proc/self/exe'
	run "$copy" --root "$STATE_ROOT" run -b "$BUNDLE" ctr2 </dev/null
	assert_success
	[ "$output" = /bin/busybox ]
}

@test "an exec the stub cannot do is reported by start and run, as a direct exec was" {
	update_config '.root.readonly = false'
	printf 'not a program\n' >"$BUNDLE/rootfs/bad"
	chmod 755 "$BUNDLE/rootfs/bad"
	set_args /bad
	run_ward run -b "$BUNDLE" ctr </dev/null
	assert_failure
	assert_output_contains "exec /bad: Exec format error"
	assert_no_leftovers ctr
	run_detached create -b "$BUNDLE" ctr2
	assert_success
	run_ward start ctr2
	assert_failure
	assert_output_contains "exec /bad: Exec format error"
	# ward exec reports it the same way.
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" ctr3
	assert_success
	run_ward exec ctr3 /bad
	assert_failure
	assert_output_contains "exec /bad: Exec format error"
}

# The init's exe: "stub" (ward's binary, the fast path) or "reexec" (a sealed
# copy of ward). Also checks the choice the debug log gives.
assert_protection() {
	local want=$1 pid exe
	pid=$(ctr_pid ctr)
	exe=$(readlink "/proc/$pid/exe")
	if [ "$want" = reexec ]; then
		[[ "$exe" == /memfd:ward* ]] || { echo "init exe is $exe" >&2; false; }
		[[ "$exe" != /memfd:ward-stub* ]] || { echo "init exe is $exe" >&2; false; }
		[ "$(stat -L -c %d:%i "/proc/$pid/exe")" != "$(stat -L -c %d:%i "$WARD")" ]
		# Writing through the link fails: sealed.
		! (echo PWNED >"/proc/$pid/exe") 2>/dev/null || false
		grep -q "exec protection: re-executing from a sealed copy" "$BATS_TEST_TMPDIR/detached.log"
	else
		[ "$exe" = "$WARD" ] || { echo "init exe is $exe" >&2; false; }
		grep -q "exec protection: exec stub" "$BATS_TEST_TMPDIR/detached.log"
	fi
	[ "$(head -c 4 "$WARD" | od -An -c | tr -d ' ')" = '177ELF' ]
}

@test "exec protection: the stub by default; the sealed re-exec when asked" {
	set_args true
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection stub
	ward delete -f ctr
	WARD_EXE_PROTECT=reexec run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
	probe_init_exe
	assert_output_not_contains LINKED
	assert_output_not_contains WROTE
}

@test "exec protection: a createContainer hook, run by the init inside the container, means the sealed re-exec" {
	set_args true
	update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
	assert_output_contains "createContainer/startContainer hooks"
}

@test "exec protection: a seccomp filter that refuses the stub's execveat means the sealed re-exec" {
	set_args sh -c 'echo ran'
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]}'
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
	assert_output_contains "execveat"
	run_ward start ctr
	assert_success
	# and one that only refuses the stub's fcntl(F_SETFD)
	update_config '.linux.seccomp.syscalls = [{"names": ["fcntl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]'
	ward delete -f ctr
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
	assert_output_contains "fcntl"
}

@test "exec protection: CAP_SYS_PTRACE in the container means the sealed re-exec, for the init and for exec" {
	set_args sleep 100
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection stub
	run_detached --debug exec -d ctr true
	assert_success
	grep -q "exec protection: exec stub" "$BATS_TEST_TMPDIR/detached.log"
	# While the init still runs ward's binary, an exec that brings
	# CAP_SYS_PTRACE (it passes the non-dumpable check) is refused...
	run_detached --debug exec -d --cap CAP_SYS_PTRACE ctr true
	assert_failure
	assert_output_contains "start it first"
	# ...after start it re-executes, and marks the container: later execs,
	# whose children could be reached by that process, re-execute too.
	ward start ctr
	run_detached --debug exec -d --cap CAP_SYS_PTRACE ctr true
	assert_success
	assert_output_contains "may hold CAP_SYS_PTRACE"
	run_detached --debug exec -d ctr true
	assert_success
	assert_output_contains "an earlier exec brought CAP_SYS_PTRACE"
	ward delete -f ctr
	# A container whose processes may have it, in any set.
	update_config '.process.capabilities.inheritable += ["CAP_SYS_PTRACE"]'
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
	assert_output_contains "may hold CAP_SYS_PTRACE"
	# No capabilities field at all: the process keeps ward's.
	ward delete -f ctr
	update_config 'del(.process.capabilities)'
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
}

@test "exec protection: an exec --process read from a pipe survives the sealed re-exec" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	jq -c '.process | .args = ["sh", "-c", "echo via-pipe"] | .capabilities.bounding += ["CAP_SYS_PTRACE"]' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run sh -c "cat '$BATS_TEST_TMPDIR/p.json' | '$WARD' --root '$STATE_ROOT' --debug exec -p /dev/stdin ctr"
	assert_success
	assert_output_contains "re-executing from a sealed copy"
	assert_output_contains "via-pipe"
}

@test "exec protection: a container in a shared pid namespace gets the sealed re-exec" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" first
	assert_success
	local pid
	pid=$(ward state first | jq -r .pid)
	set_args true
	update_config --arg ns "/proc/$pid/ns/pid" '.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)
		| .linux.cgroupsPath += "-2"'
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection reexec
	assert_output_contains "shares a pid namespace"
}

@test "exec protection: no_new_privs, a non-root user and file capabilities: the program keeps them" {
	command -v setcap >/dev/null || skip "no setcap"
	mkdir -p "$BUNDLE/rootfs/capbin"
	cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/capbin/cat"
	setcap cap_net_bind_service=+ep "$BUNDLE/rootfs/capbin/cat" 2>/dev/null || skip "this filesystem has no file capabilities"
	set_args /capbin/cat /proc/self/status
	update_config '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = true
		| .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE"], effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"]}'
	run_ward --debug run -b "$BUNDLE" ctr </dev/null
	assert_success
	# Under no_new_privs each exec is capped at the permitted set before it:
	# the stub's exec would leave none, so ward execs directly (sealed copy).
	assert_output_contains "no_new_privs with permitted capabilities outside the ambient set"
	assert_output_matches "CapPrm:[[:space:]]+0000000000000400"
}

@test "exec protection: the stub fails closed when its fcntl is refused (no report fd reaches the program)" {
	# fcntl(F_SETFD) refused except on fd 3, the number ward's check asks
	# about: the check passes, the stub's real call fails.
	set_args sh -c 'ls /proc/self/fd | xargs; echo PROGRAM-RAN'
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["fcntl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]}'
	run_ward --debug run -b "$BUNDLE" ctr </dev/null
	assert_output_contains "exec protection: exec stub"
	assert_failure
	assert_output_contains "exec stub: fcntl(F_SETFD): Operation not permitted"
	assert_output_not_contains PROGRAM-RAN
	assert_no_leftovers ctr
}

@test "exec protection: the hardened default seccomp profile takes the stub" {
	set_args true
	[ "$(jq -r '.linux.seccomp.defaultAction' "$BUNDLE/config.json")" != null ]
	run_detached --debug create -b "$BUNDLE" ctr
	assert_success
	assert_protection stub
}

@test "exec protection: an immutable binary needs neither" {
	command -v chattr >/dev/null || skip "no chattr"
	local copy="$BATS_TEST_TMPDIR/ward-imm"
	cp "$WARD" "$copy"
	chattr +i "$copy" 2>/dev/null || skip "this filesystem has no immutable attribute"
	set_args true
	"$copy" --root "$STATE_ROOT" --debug create -b "$BUNDLE" ctr </dev/null >"$BATS_TEST_TMPDIR/detached.log" 2>&1 || { chattr -i "$copy"; cat "$BATS_TEST_TMPDIR/detached.log"; false; }
	local pid
	pid=$(ctr_pid ctr)
	local exe
	exe=$(readlink "/proc/$pid/exe")
	chattr -i "$copy"
	[ "$exe" = "$copy" ]
	grep -q "exec protection: none needed" "$BATS_TEST_TMPDIR/detached.log"
}

# CVE-2016-9962: a process entering the container (a ward exec, or the init
# at start) runs ward's code and then the exec stub before its program. A
# process already inside that reaches it then (ptrace, /proc/PID/mem,
# environ, exe) could take what it holds: descriptors to the runtime, more
# capabilities (exec --cap), another user, no Landlock domain yet.
# tests/ptrace/race.c tries that, as fast as it can, on every new process.

# CAP_SYS_PTRACE for the container's process, and ptrace(2) itself allowed:
# the filter ward spec writes for these capabilities.
with_sys_ptrace() {
	add_caps CAP_SYS_PTRACE
	local sc
	# shellcheck disable=SC2046
	sc=$("$WARD" seccomp default $(jq -r '.process.capabilities.bounding[] | "--cap " + .' "$BUNDLE/config.json"))
	update_config --argjson sc "$sc" '.linux.seccomp = $sc'
}

# The racer's helpers: helpers_race.bash. A bundle for the race: the rootfs
# writable (the racer's report), the program busybox.
race_bundle() {
	install_race
	update_config '.root.readonly = false'
	set_args sleep 1000
}

@test "CVE-2016-9962: a racing attacker in the container never reaches a ward exec process before its program" {
	race_bundle
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	race_start ctr
	race_execs "$(race_n 150)"
	race_lost "$(race_n 150)"
}

@test "CVE-2016-9962: the same with a user namespace (the container's root owns the exec'd process)" {
	race_bundle
	enable_userns
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	race_start ctr
	race_execs "$(race_n 150)"
	race_lost "$(race_n 150)"
}

@test "CVE-2016-9962: the same with a user namespace and CAP_SYS_PTRACE in the container" {
	race_bundle
	enable_userns
	with_sys_ptrace
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	race_start ctr
	race_execs "$(race_n 150)"
	race_lost "$(race_n 150)"
}

# The init at start: from a process exec'd into the created container,
# which watches the init (pid 1) run ward's code, then the stub, then its
# program. One window per start: many starts.
race_starts() {
	local n=$1 i total=0 RACE_QUIET=1
	for i in $(seq 1 "$n"); do
		run_detached create -b "$BUNDLE" ctr
		assert_success
		race_start ctr 1
		ward start ctr
		race_lost 1 1
		total=$((total + RACE_TRIES))
		ward delete -f ctr
	done
	echo "# racer: $total tries over $n starts" >&3
	[ "$total" -ge "$(race_n 1000)" ] || { echo "the racer tried only $total times" >&2; false; }
}

@test "CVE-2016-9962: a racing attacker in the container never reaches the init before its program" {
	race_bundle
	race_starts "$(race_n 15)"
}

@test "CVE-2016-9962: the same for the init with a user namespace" {
	race_bundle
	enable_userns
	race_starts "$(race_n 15)"
}

@test "an exec with CAP_SYS_PTRACE into a created container without a user namespace is refused: the init holds ward's privileges" {
	# The container itself has CAP_SYS_PTRACE: without a user namespace it
	# is the host's, and passes the waiting init's non-dumpable mark; the
	# init still has every capability ward has.
	with_sys_ptrace
	set_args true
	run_detached create -b "$BUNDLE" ctr
	assert_success
	run ward exec ctr sh -c 'grep CapEff /proc/1/status; tr "\0" "\n" </proc/1/environ | head -3; echo READ-THE-INIT'
	assert_failure
	assert_output_contains "start it first"
	assert_output_not_contains READ-THE-INIT
	# Once started, the same exec runs.
	set_args sleep 100
	ward delete -f ctr
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	run ward exec ctr sh -c 'echo ran'
	assert_success
	assert_output_contains ran
}

@test "no file descriptor of the runtime is visible to the container process" {
	run_sh 'ls /proc/self/fd | sort -n | xargs'
	assert_success
	# ls's own listing fd (3) and nothing else beyond stdio.
	[ "$output" = "0 1 2 3" ]
	# A running init (sleep): stdio only, seen from the host.
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	local pid
	pid=$(ctr_pid ctr)
	[ "$(ls "/proc/$pid/fd" | sort -n | xargs)" = "0 1 2" ]
	! ls -l "/proc/$pid/fd" | grep -qE "$STATE_ROOT|exec.fifo|memfd|socket:" || false
}

@test "no file descriptor of the runtime is visible to a ward exec process" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	run ward exec ctr sh -c 'ls /proc/self/fd | sort -n | xargs; ls /proc/1/fd | sort -n | xargs'
	assert_success
	[ "${lines[0]}" = "0 1 2 3" ]
	[ "${lines[1]}" = "0 1 2" ]
}

@test "process.cwd through /proc/self/fd/N cannot escape to the host (CVE-2024-21626)" {
	local n
	for n in $(seq 3 20); do
		update_config --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		set_args sh -c 'cd ../../../../../../../../.. 2>/dev/null; ls -a'
		run_ward run -b "$BUNDLE" "cwd$n"
		# Either refused, or the top is the container's root (no /work there).
		if [ "$status" -eq 0 ]; then
			assert_output_not_contains "work"
			assert_output_contains "linuxrc"
		fi
		ward delete -f "cwd$n" >/dev/null 2>&1 || true
	done
}

@test "ward exec --cwd through /proc/self/fd/N cannot escape to the host" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" ctr
	assert_success
	local n
	for n in $(seq 3 20); do
		run ward exec --cwd "/proc/self/fd/$n" ctr sh -c 'cd ../../../../../../../../.. 2>/dev/null; ls -a'
		if [ "$status" -eq 0 ]; then
			assert_output_not_contains "work"
			assert_output_contains "linuxrc"
		fi
	done
}
