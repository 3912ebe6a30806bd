#!/usr/bin/env bats
# Regressions for what real engines revealed (tests/engines/): each test
# reproduces, with plain ward and no engine, what podman or containerd asks of
# the runtime, so these run everywhere the integration tests run.
# Container ids start with "er-" and carry the test's pid so that concurrent
# runs never share a cgroup.

load helpers
load helpers_inside

setup() {
	setup_bundle
	ID="er-$$-${BATS_TEST_NUMBER}"
	LEFT_PIDS=()
	RL=""
}

teardown() {
	local p
	for p in "${LEFT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rootless_teardown
	teardown_bundle
}

# The host directory of the container's cgroup holding the pids controller
# (v1), or its v2 cgroup.
pids_cgroup_of() {
	local d
	for d in /sys/fs/cgroup/pids/"$WARD_CGROUP_PARENT/$1" /sys/fs/cgroup/"$WARD_CGROUP_PARENT/$1" /sys/fs/cgroup/unified/"$WARD_CGROUP_PARENT/$1"; do
		[ -f "$d/cgroup.procs" ] && { echo "$d"; return 0; }
	done
	return 1
}

# A live (not zombie) process?
alive() {
	[ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"
}

# ------------------------------------------------------------ kill --all ----
# containerd's runc shim runs `RUNTIME kill --all ID 9` after the init of a
# task without its own pid namespace has exited, so the init's children die
# with it. runc accepts that on a stopped container.

start_orphan_maker() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 1007 & exit 0'
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_success
	run_ward start "$ID"
	assert_success
	wait_status "$ID" stopped
	CG=$(pids_cgroup_of "$ID")
	CHILD=""
	local i
	for i in $(seq 50); do
		CHILD=$(head -1 "$CG/cgroup.procs")
		[ -n "$CHILD" ] && break
		sleep 0.05
	done
	[ -n "$CHILD" ]
	LEFT_PIDS+=("$CHILD")
	[ "$(tr '\0' ' ' <"/proc/$CHILD/cmdline")" = "sleep 1007 " ]
}

@test "kill --all on a stopped container signals what is left in its cgroup" {
	start_orphan_maker
	run_ward kill --all "$ID" KILL
	assert_success
	local i
	for i in $(seq 50); do alive "$CHILD" || break; sleep 0.05; done
	! alive "$CHILD" || false
	[ -z "$(cat "$CG/cgroup.procs")" ]
	run_ward delete "$ID"
	assert_success
	assert_no_leftovers "$ID"
}

@test "kill --all on a stopped container sends the signal asked for" {
	start_orphan_maker
	run_ward kill --all "$ID" STOP
	assert_success
	local i
	for i in $(seq 50); do grep -q '^State:.*T' "/proc/$CHILD/status" && break; sleep 0.05; done
	grep -q '^State:.*T' "/proc/$CHILD/status"
	kill -KILL "$CHILD"
}

@test "kill without --all on a stopped container still fails: container not running" {
	set_args true
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_success
	run_ward start "$ID"
	wait_status "$ID" stopped
	run_ward kill "$ID" KILL
	assert_failure
	assert_output_contains "container not running"
	# With nothing left in the cgroup, --all has nothing to do and succeeds.
	run_ward kill --all "$ID" KILL
	assert_success
}

# ------------------------------------------------------------- tmpcopyup ----
# podman mounts /tmp, /run and /var/tmp of a --read-only container, and every
# --tmpfs, as tmpfs with "tmpcopyup": the tmpfs starts with a copy of the
# image's directory. runc and crun implement it.

# An image directory /data with what a copy must preserve.
make_copyup_source() {
	local d="$BUNDLE/rootfs/data"
	mkdir -p "$d/sub/deeper"
	echo "image content" >"$d/file"
	chown 1000:1001 "$d/file"
	chmod 0640 "$d/file"
	chown 2:3 "$d/sub"
	chmod 0711 "$d/sub"
	echo deep >"$d/sub/deeper/f"
	chmod 4755 "$d/sub/deeper/f"
	ln -s ../file "$d/sub/rel-link"
	ln -s /etc/hostname "$d/abs-link"
	mkfifo -m 0620 "$d/fifo"
	chmod 0750 "$d"
	chown 5:6 "$d"
	touch -d '2001-02-03 04:05:06' "$d/file"
}

@test "tmpcopyup: the tmpfs starts with a copy of the directory (content, modes, owners, symlinks, fifos, times)" {
	make_copyup_source
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "tmpcopyup"]}'
	# (one line: set_args splits its arguments at newlines)
	local script='grep " /data " /proc/mounts; cat /data/file; cat /data/sub/deeper/f;'
	script+=' stat -c "%n %a %u %g %F" /data /data/file /data/sub /data/sub/deeper/f /data/fifo;'
	script+=' readlink /data/sub/rel-link; readlink /data/abs-link; cat /data/sub/rel-link;'
	script+=' date -u -r /data/file +%Y-%m-%dT%H:%M:%S; echo written > /data/new && cat /data/new'
	run_sh "$script" "$ID"
	assert_success
	assert_output_contains "tmpfs /data tmpfs rw,nosuid,nodev"
	assert_output_contains $'image content
deep'
	assert_output_contains "/data 750 5 6 directory"
	assert_output_contains "/data/file 640 1000 1001 regular file"
	assert_output_contains "/data/sub 711 2 3 directory"
	assert_output_contains "/data/sub/deeper/f 4755 0 0 regular file"
	assert_output_contains "/data/fifo 620 0 0 fifo"
	assert_output_contains $'../file
/etc/hostname
image content'
	assert_output_contains "2001-02-03T"
	assert_output_contains written
	# The writes went to the tmpfs, not to the image.
	[ ! -e "$BUNDLE/rootfs/data/new" ]
}

@test "tmpcopyup: a read-only root keeps the copied directory writable (podman --read-only)" {
	echo keep >"$BUNDLE/rootfs/tmp/from-image"
	update_config '.root.readonly = true'
	add_mount '{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}'
	run_sh 'touch /x 2>/dev/null || echo root-ro; cat /tmp/from-image; touch /tmp/new && echo tmp-rw' "$ID"
	assert_success
	assert_output_contains $'root-ro
keep
tmp-rw'
}

@test "tmpcopyup with ro: the copy is there and the tmpfs is read-only" {
	make_copyup_source
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "tmpcopyup"]}'
	run_sh 'cat /data/file; touch /data/x' "$ID"
	assert_failure
	assert_output_contains "image content"
	assert_output_contains "Read-only file system"
}

@test "tmpcopyup with mode=: the option's mode wins over the directory's" {
	make_copyup_source
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "tmpcopyup"]}'
	run_sh 'stat -c "%a %u %g" /data; cat /data/file' "$ID"
	assert_success
	assert_output_contains $'1777 5 6
image content'
}

@test "tmpcopyup in a user namespace: mapped owners are kept" {
	make_copyup_source
	chown -R 100000:100000 "$BUNDLE/rootfs"
	chown 101000:101001 "$BUNDLE/rootfs/data/file"
	enable_userns 100000 65536
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}'
	run_sh 'stat -c "%n %a %u %g" /data/file /data/sub; cat /data/file' "$ID"
	assert_success
	assert_output_contains "/data/file 640 1000 1001"
	assert_output_contains "/data/sub 711 0 0"
	assert_output_contains "image content"
}

@test "tmpcopyup in a user namespace: a device node it may not make is left out, the rest copied" {
	make_copyup_source
	mknod "$BUNDLE/rootfs/data/null" c 1 3
	chown -R 100000:100000 "$BUNDLE/rootfs"
	enable_userns 100000 65536
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}'
	run_sh 'ls /data; cat /data/file' "$ID"
	assert_success
	assert_output_contains "tmpcopyup /data/null: a device node cannot be made in a user namespace; not copied"
	assert_output_contains "image content"
	assert_output_contains "fifo"
	! grep -qx null <<<"$output" || false
}

@test "tmpcopyup never reads outside the root: a symlinked destination resolves inside it" {
	local secret="$BATS_TEST_TMPDIR/host-secret"
	mkdir -p "$secret"
	echo "host secret" >"$secret/s"
	# /data -> an absolute path that names the secret on the host and, inside
	# the root, a directory of the image.
	rm -rf "$BUNDLE/rootfs/data"
	ln -s "$secret" "$BUNDLE/rootfs/data"
	mkdir -p "$BUNDLE/rootfs/$secret"
	echo "image side" >"$BUNDLE/rootfs/$secret/i"
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}'
	run_sh 'ls -A /data; cat /data/i; cat /data/s 2>&1; grep " '"$secret"' " /proc/mounts' "$ID"
	assert_output_not_contains "host secret"
	assert_output_contains "image side"
	assert_output_contains "tmpfs $secret tmpfs"
	# Nothing was created on the host either.
	[ "$(ls -A "$secret")" = s ]
}

@test "tmpcopyup on a bind mount is refused, naming the field" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	add_mount '{"destination": "/data", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'", "options": ["rbind", "tmpcopyup"]}'
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "mounts[$(jq '.mounts | length - 1' "$BUNDLE/config.json")].options"
	assert_output_contains "tmpcopyup applies only to mounts of type tmpfs"
	assert_no_leftovers "$ID"
}

@test "features lists tmpcopyup among the mount options" {
	run_ward features
	assert_success
	jq -e '.mountOptions | index("tmpcopyup")' <<<"$output" >/dev/null
}

# -------------------------------------------------- linux.devices fileMode ----
# podman passes the host node's whole st_mode as linux.devices[].fileMode
# (`--device /dev/fuse`: 8576 = S_IFCHR|0600; `--privileged`: every host
# device); runc and crun accept it.

@test "linux.devices fileMode with S_IFCHR bits (podman's st_mode) creates the node with the permission bits" {
	update_config '.linux.devices = [{"path": "/dev/er-null", "type": "c", "major": 1, "minor": 3, "fileMode": 8576, "uid": 0, "gid": 0},
		{"path": "/dev/er-zero", "type": "c", "major": 1, "minor": 5, "fileMode": 8630}]'
	run_sh 'stat -c "%n %A %t:%T" /dev/er-null /dev/er-zero; echo hi > /dev/er-null && echo write-ok; head -c 3 /dev/er-zero | od -An -tx1' "$ID"
	assert_success
	assert_output_contains "/dev/er-null crw------- 1:3"
	assert_output_contains "/dev/er-zero crw-rw-rw- 1:5"
	assert_output_contains "write-ok"
	assert_output_contains " 00 00 00"
}

@test "linux.devices fileMode whose type bits contradict the type is refused, naming the field" {
	update_config '.linux.devices = [{"path": "/dev/er-x", "type": "c", "major": 1, "minor": 3, "fileMode": 25008}]'
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains 'linux.devices[0].fileMode: 060660 has the file type bits of a block device (060000), but type is "c"'
	assert_no_leftovers "$ID"
}

# ------------------------------------------------------ rootless detection ----
# Rootless engines (rootless podman, rootless containerd) run the runtime as
# uid 0 of a user namespace of their own. runc counts that as rootless: state
# under $XDG_RUNTIME_DIR, cgroup permission errors tolerated, devices bound
# from the host (mknod is refused), setgroups possibly denied. Here
# `unshare --user --map-root-user` plays the engine.

# Run a script inside a new user namespace mapping root to the caller (or,
# with RL_AS set, to that unprivileged user); XDG_RUNTIME_DIR=$RL_XDG. Output
# goes through a file: a container may outlive the script.
in_userns() {
	local log="$BATS_TEST_TMPDIR/in_userns.log" pre=()
	[ -n "${RL_AS:-}" ] && pre=(setpriv --reuid="$RL_AS" --regid="$RL_AS" --clear-groups)
	status=0
	env -i PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$RL_XDG" W="$WARD" B="$RL_BUNDLE" ID="$ID" \
		"${pre[@]}" unshare --user --map-root-user sh -c "$1" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
}

# A bundle and XDG_RUNTIME_DIR that the user of in_userns can use: the
# default config less devpts' gid=5 (not mapped in a one-id namespace; podman
# leaves it out there too), and ping_group_range on the one mapped gid (the
# kernel takes mapped gids only; podman writes "0 0" there).
rootless_setup() {
	[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces are disabled"
	command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
	RL=$(mktemp -d /tmp/ward-er.XXXXXX)
	chmod 755 "$RL"
	RL_XDG="$RL/xdg" RL_BUNDLE="$RL/bundle"
	mkdir -p "$RL_XDG"
	chmod 700 "$RL_XDG"
	mv "$BUNDLE" "$RL_BUNDLE"
	BUNDLE=$RL_BUNDLE
	update_config '.mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)
		| .linux.sysctl["net.ipv4.ping_group_range"] = "0 0"'
	set_args sh -c 'id -u; grep -c " /dev/null " /proc/self/mountinfo; grep ^Groups: /proc/self/status'
	if [ -n "${RL_AS:-}" ]; then
		chown -R "$RL_AS:$RL_AS" "$RL"
	fi
}

rootless_teardown() {
	[ -n "${RL:-}" ] && [ -d "$RL" ] || return 0
	in_userns '"$W" --root "$XDG_RUNTIME_DIR/ward" delete -f "$ID"' || true
	rm -rf "$RL"
}

@test "root of a user namespace is rootless: state under XDG_RUNTIME_DIR, devices bound from the host" {
	rootless_setup
	in_userns 'set -e; "$W" create --bundle "$B" "$ID" >"$B/ctr.out" 2>&1
		ls -d "$XDG_RUNTIME_DIR/ward/$ID"; "$W" start "$ID"
		for i in 1 2 3 4 5 6 7 8 9 10; do "$W" state "$ID" | grep -q "\"status\":\"stopped\"" && break; sleep 0.2; done
		"$W" delete "$ID"; echo deleted'
	local out
	out=$(cat "$RL_BUNDLE/ctr.out" 2>/dev/null)
	assert_success
	assert_output_contains "xdg/ward/$ID"
	assert_output_contains deleted
	[ ! -e "/run/ward/$ID" ]
	# uid 0, and /dev/null is a bind mount of the host's node, not a mknod.
	output=$out
	assert_output_contains $'0\n1\nGroups:'
}

@test "unprivileged user as root of its own user namespace: no cgroup permission, the container still runs" {
	id -u wardtest >/dev/null 2>&1 || useradd -m -s /bin/sh wardtest || skip "cannot create user wardtest"
	RL_AS=$(id -u wardtest)
	rootless_setup
	in_userns '"$W" --debug run --bundle "$B" "$ID"; echo "rc=$?"'
	assert_output_contains "rc=0"
	assert_output_contains $'\n0\n1\nGroups:'
	assert_output_contains "no cgroup for rootless container"
	[ ! -e "/run/ward/$ID" ]
}

@test "--rootless takes true, false or auto" {
	run_ward --rootless maybe list
	assert_failure
	assert_output_contains '--rootless: "maybe" is not true, false or auto'
	run_ward --rootless auto list
	assert_success
}

# -------------------------------------------------------- --systemd-cgroup ----
# containerd (SystemdCgroup = true) and CRI-O (cgroup_manager = "systemd")
# pass --systemd-cgroup and a cgroupsPath "slice:prefix:name". Without
# systemd on the machine, ward puts the cgroup where systemd would put the
# unit, with cgroupfs.

# Remove the test's slice directories (ward removes only the scope).
remove_test_slices() {
	local d
	for d in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name "er$$.slice" 2>/dev/null); do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

@test "--systemd-cgroup: slice:prefix:name becomes <slice path>/<prefix>-<name>.scope" {
	local slice="er$$-pod1.slice"
	update_config --arg p "$slice:cri-test:$ID" '.linux.cgroupsPath = $p'
	set_args sleep 100
	run_detached --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_success
	local pid rel
	pid=$(ward state "$ID" | jq -r .pid)
	rel="/er$$.slice/er$$-pod1.slice/cri-test-$ID.scope"
	grep -q "^[0-9]*:[^:]*pids[^:]*:$rel\$" "/proc/$pid/cgroup" || { cat "/proc/$pid/cgroup" >&2; remove_test_slices; false; }
	[ -f "/sys/fs/cgroup/pids$rel/cgroup.procs" ]
	grep -qx "$pid" "/sys/fs/cgroup/pids$rel/cgroup.procs"
	# Every later command finds it from the state, with or without the flag.
	run_ward delete -f "$ID"
	local gone=yes
	[ -e "/sys/fs/cgroup/pids$rel" ] && gone=no
	remove_test_slices
	assert_success
	[ "$gone" = yes ]
}

@test "--systemd-cgroup: a cgroupsPath that is not slice:prefix:name is refused, naming the field" {
	update_config '.linux.cgroupsPath = "/er/plain/path"'
	run_detached --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains 'linux.cgroupsPath: "/er/plain/path" is not "slice:prefix:name", as --systemd-cgroup requires'
	assert_no_leftovers "$ID"
	update_config '.linux.cgroupsPath = "er--x.slice:p:n"'
	run_detached --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains 'slice "er--x.slice" is not a valid slice name'
	update_config '.linux.cgroupsPath = "kubepods:p:n"'
	run_detached --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains 'slice "kubepods" does not end in ".slice"'
	assert_no_leftovers "$ID"
}

# ------------------------------------------------------ update -r (CRI) ----
# containerd's CRI UpdateContainerResources (the kubelet's CPU manager,
# in-place resize) runs `RUNTIME update --resources - ID` with the
# container's whole linux.resources, its device rules included; runc ignores
# device rules there. Found by tests/cri (UpdateContainerResources).

# A created container with pids.max 10; $CG is its pids cgroup.
create_pids_limited() {
	update_config '.linux.resources.pids = {limit: 10}'
	set_args sleep 1000
	run_detached create --bundle "$BUNDLE" "$ID"
	assert_success
	CG=$(pids_cgroup_of "$ID")
	[ "$(cat "$CG/pids.max")" = 10 ]
}

# update -r - with the config's linux.resources through the jq filter $1.
update_resources_stdin() {
	local res
	res=$(jq -c ".linux.resources | $1" "$BUNDLE/config.json")
	run bash -c 'echo "$1" | "$2" --root "$3" update -r - "$4"' sh "$res" "$WARD" "$STATE_ROOT" "$ID"
}

@test "update -r with the container's own device rules, as containerd resends them, applies the rest" {
	create_pids_limited
	update_resources_stdin '.pids = {limit: 25}'
	assert_success
	[ "$(cat "$CG/pids.max")" = 25 ]
}

@test "update -r that changes the device rules is refused, naming the field, and changes nothing" {
	create_pids_limited
	update_resources_stdin '.pids = {limit: 25} |
		.devices += [{allow: true, type: "c", major: 1, minor: 1, access: "rwm"}]'
	assert_failure
	assert_output_contains "resources.devices: device rules cannot be changed by update"
	[ "$(cat "$CG/pids.max")" = 10 ]
	[ "$(ward state "$ID" | jq -r .status)" = created ]
}
