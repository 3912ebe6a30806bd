#!/usr/bin/env bats
# Idmapped bind mounts: mounts[].options idmap/ridmap with the mount's own
# uidMappings/gidMappings or the container's user namespace. Ownership is
# read from inside the container (ls -ln, stat) and from the host, which
# must never change: an idmapped mount maps, it does not chown.

load helpers
load helpers_inside

setup() {
	setup_bundle
	isolate_cgroup
	ID="im-$BATS_TEST_NUMBER"
	SRC="$BATS_TEST_TMPDIR/src"
	mkdir -p "$SRC/dir"
	echo data >"$SRC/file"
	chown 1000:1001 "$SRC" "$SRC/file"
	chown 1002:1003 "$SRC/dir"
	SUBMOUNT=
	update_config '.root.readonly = false'
	# The mount point exists: in a user namespace the container's root
	# (the host's root owns the rootfs) could not create it.
	mkdir "$BUNDLE/rootfs/v"
}

teardown() {
	teardown_bundle
	if [ -n "$SUBMOUNT" ]; then umount -l "$SUBMOUNT" 2>/dev/null || true; fi
}

# Host ownership of the source tree, to compare before and after.
src_owners() {
	find "$SRC" -printf '%P %U:%G\n' | sort
}

# An idmapped bind of $SRC at /v: idmap_mount OPTIONS_JSON [UIDMAP_JSON GIDMAP_JSON]
idmap_mount() {
	local m
	m=$(jq -nc --arg s "$SRC" --argjson o "$1" '{destination: "/v", type: "bind", source: $s, options: $o}')
	if [ $# -ge 3 ]; then
		m=$(jq -c --argjson u "$2" --argjson g "$3" '.uidMappings = $u | .gidMappings = $g' <<<"$m")
	fi
	add_mount "$m"
}

# uid:gid of paths inside the container, one line each.
owners_inside() {
	local args="" p
	for p in "$@"; do args+=" $p"; done
	run_sh "stat -c '%n %u:%g' $args" "$ID"
}

MAP_U='[{"containerID": 1000, "hostID": 2000, "size": 3}]'
MAP_G='[{"containerID": 1001, "hostID": 3001, "size": 3}]'

@test "idmap with the mount's own mappings: host uid/gid X appear as Y inside; the host is unchanged" {
	local before
	before=$(src_owners)
	idmap_mount '["rbind", "idmap"]' "$MAP_U" "$MAP_G"
	owners_inside /v /v/file /v/dir
	assert_success
	# 1000->2000, 1001->3001, 1002->2002, 1003->3003
	[ "$output" = "$(printf '/v 2000:3001\n/v/file 2000:3001\n/v/dir 2002:3003')" ]
	[ "$(src_owners)" = "$before" ]
	# The mount is idmapped in the container's mount table.
	run_sh "grep ' /v ' /proc/self/mountinfo" "$ID"
	assert_output_contains idmapped
	assert_no_test_cgroup
}

@test "idmap: the control without it shows the host's ids" {
	add_mount "{\"destination\": \"/v\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\"]}"
	owners_inside /v/file /v/dir
	assert_success
	[ "$output" = "$(printf '/v/file 1000:1001\n/v/dir 1002:1003')" ]
}

@test "idmap: a file created through the mount by a mapped user is owned by the source's id on the host" {
	idmap_mount '["rbind", "idmap"]' "$MAP_U" "$MAP_G"
	update_config '.process.user = {uid: 2000, gid: 3001}'
	run_sh 'echo x >/v/new && stat -c "%u:%g" /v/new' "$ID"
	assert_success
	[ "$output" = 2000:3001 ]
	[ "$(stat -c %u:%g "$SRC/new")" = 1000:1001 ]
	# An unmapped id cannot create files there (the kernel has no id to store).
	update_config '.process.user = {uid: 0, gid: 0}'
	run_sh 'echo x >/v/new2' "$ID"
	assert_failure
	[ ! -e "$SRC/new2" ]
}

@test "idmap without mappings uses the container's user namespace: the host's root files are root's inside" {
	chown 0:0 "$SRC" "$SRC/file"
	enable_userns 100000 65536
	idmap_mount '["rbind", "idmap"]'
	owners_inside /v /v/file /v/dir
	assert_success
	# Host 0 -> 0 and 1002 -> 1002 inside, as the namespace's own ids would be.
	[ "$output" = "$(printf '/v 0:0\n/v/file 0:0\n/v/dir 1002:1003')" ]
	[ "$(stat -c %u:%g "$SRC/file")" = 0:0 ]
}

@test "idmap without mappings, the control: in a user namespace a plain bind shows host root as nobody" {
	chown 0:0 "$SRC" "$SRC/file"
	enable_userns 100000 65536
	add_mount "{\"destination\": \"/v\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\"]}"
	owners_inside /v/file
	assert_success
	[ "$output" = "/v/file 65534:65534" ]
}

@test "idmap with the mount's own mappings in a user namespace: mapped onto the container's ids" {
	enable_userns 100000 65536
	# Source ids 1000.. -> host 100000.. -> container 0..
	idmap_mount '["rbind", "idmap"]' '[{"containerID": 1000, "hostID": 100000, "size": 10}]' \
		'[{"containerID": 1000, "hostID": 100000, "size": 10}]'
	owners_inside /v/file /v/dir
	assert_success
	[ "$output" = "$(printf '/v/file 0:1\n/v/dir 2:3')" ]
}

# A submount inside the source: a bind of another host directory.
make_submount() {
	mkdir -p "$BATS_TEST_TMPDIR/other"
	echo sub >"$BATS_TEST_TMPDIR/other/f"
	chown 1001:1002 "$BATS_TEST_TMPDIR/other/f"
	SUBMOUNT="$SRC/dir"
	mount --bind "$BATS_TEST_TMPDIR/other" "$SUBMOUNT"
}

@test "ridmap maps the submounts of an rbind too" {
	make_submount
	idmap_mount '["rbind", "ridmap"]' "$MAP_U" "$MAP_G"
	owners_inside /v/file /v/dir/f
	assert_success
	[ "$output" = "$(printf '/v/file 2000:3001\n/v/dir/f 2001:3002')" ]
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/other/f")" = 1001:1002 ]
}

@test "idmap (not recursive) maps only the top mount of an rbind" {
	make_submount
	idmap_mount '["rbind", "idmap"]' "$MAP_U" "$MAP_G"
	owners_inside /v/file /v/dir/f
	assert_success
	[ "$output" = "$(printf '/v/file 2000:3001\n/v/dir/f 1001:1002')" ]
}

@test "idmap keeps the mount's other options (ro), and a relative source is the bundle's" {
	mkdir -p "$BUNDLE/vol"
	echo data >"$BUNDLE/vol/file"
	chown 1000:1001 "$BUNDLE/vol/file"
	add_mount '{"destination": "/v", "type": "bind", "source": "vol", "options": ["bind", "ro", "idmap"],
		"uidMappings": [{"containerID": 1000, "hostID": 5000, "size": 1}],
		"gidMappings": [{"containerID": 1001, "hostID": 5001, "size": 1}]}'
	# As the file's (mapped) owner: only "ro" stands in the way.
	update_config '.process.user = {uid: 5000, gid: 5001}'
	run_sh 'stat -c "%u:%g" /v/file; echo x 2>&1 >/v/file' "$ID"
	assert_failure
	assert_output_contains 5000:5001
	assert_output_contains "Read-only file system"
	[ "$(cat "$BUNDLE/vol/file")" = data ]
}

@test "features: idmap and ridmap are listed and mountExtensions.idmap is enabled" {
	run "$WARD" features
	assert_success
	[ "$(jq -c '[.mountOptions[] | select(. == "idmap" or . == "ridmap")]' <<<"$output")" = '["idmap","ridmap"]' ]
	[ "$(jq -c .linux.mountExtensions.idmap.enabled <<<"$output")" = true ]
}

# A bad idmapped mount: refused with the message, nothing left behind, the
# source untouched.
refused() {
	local before
	before=$(src_owners)
	set_args true
	run_ward run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "$1"
	assert_no_leftovers "$ID"
	assert_no_test_cgroup
	[ "$(src_owners)" = "$before" ]
	[ -z "$(grep " $SRC " /proc/self/mountinfo)" ]
}

@test "error: idmap without mappings and without a user namespace" {
	idmap_mount '["rbind", "idmap"]'
	refused 'config.json: mounts[7].options: idmap without uidMappings/gidMappings maps ids as the container'"'"'s user namespace does, but the container has none'
}

@test "error: ridmap without mappings and without a user namespace names ridmap" {
	idmap_mount '["rbind", "ridmap"]'
	refused 'config.json: mounts[7].options: ridmap without uidMappings/gidMappings'
}

@test "error: uidMappings without gidMappings (and the other way round)" {
	add_mount "{\"destination\": \"/v\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\", \"idmap\"], \"uidMappings\": $MAP_U}"
	refused 'config.json: mounts[7].gidMappings: missing: an idmapped mount needs both uidMappings and gidMappings'
	update_config '.mounts[7] |= (del(.uidMappings) | .gidMappings = [{containerID: 0, hostID: 1, size: 1}])'
	refused 'config.json: mounts[7].uidMappings: missing'
}

@test "error: overlapping ranges name both entries" {
	idmap_mount '["rbind", "idmap"]' '[{"containerID": 0, "hostID": 1000, "size": 10}, {"containerID": 5, "hostID": 5000, "size": 10}]' "$MAP_G"
	refused 'config.json: mounts[7].uidMappings[1]: its containerID range overlaps that of config.json: mounts[7].uidMappings[0]'
	update_config '.mounts[7].uidMappings = [{containerID: 0, hostID: 1000, size: 10}, {containerID: 100, hostID: 1009, size: 1}]'
	refused 'config.json: mounts[7].uidMappings[1]: its hostID range overlaps'
}

@test "error: a range past the last id, a zero size, a bad type" {
	idmap_mount '["rbind", "idmap"]' '[{"containerID": 4294967290, "hostID": 0, "size": 10}]' "$MAP_G"
	refused 'config.json: mounts[7].uidMappings[0]: the containerID range goes past the last id'
	update_config '.mounts[7].uidMappings = [{containerID: 0, hostID: 0, size: 0}]'
	refused 'mounts[7].uidMappings[0].size'
	update_config '.mounts[7].uidMappings = {containerID: 0}'
	refused 'mounts[7].uidMappings'
}

@test "error: idmap on a mount that is not a bind mount" {
	add_mount '{"destination": "/v", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}'
	refused 'config.json: mounts[7].options: idmap is only supported on bind mounts'
}

@test "error: a missing source names it" {
	idmap_mount '["rbind", "idmap"]' "$MAP_U" "$MAP_G"
	update_config --arg s "$SRC/missing" '.mounts[7].source = $s'
	refused "config.json: mounts[7]: bind source $SRC/missing: No such file or directory"
}

@test "error: a filesystem that cannot be idmapped (sysfs) says so" {
	add_mount "{\"destination\": \"/v\", \"type\": \"bind\", \"source\": \"/sys/kernel\", \"options\": [\"rbind\", \"idmap\"], \"uidMappings\": $MAP_U, \"gidMappings\": $MAP_G}"
	refused 'config.json: mounts[7] /v: idmap /sys/kernel (does the filesystem support idmapped mounts?)'
}
