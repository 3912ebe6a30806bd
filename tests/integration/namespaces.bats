#!/usr/bin/env bats
# linux.namespaces, ID mappings, time offsets, hostname/domainname — checked
# from inside the container against the host's /proc/self/ns links.

load helpers
load helpers_inside

setup() {
	setup_bundle
	isolate_cgroup
	NETNS=
}

teardown() {
	teardown_bundle
	if [ -n "${NETNS:-}" ]; then
		ip netns delete "$NETNS" 2>/dev/null || true
	fi
}

# The spec's config has pid ipc uts mount cgroup network; user and time need
# to be added. $1: spec name, $2: /proc/self/ns link name.
ns_private_test() {
	local type=$1 link=$2
	case $type in
	user) enable_userns 100000 65536 ;;
	*) add_namespace "$type" ;;
	esac
	run_sh "readlink /proc/self/ns/$link"
	assert_success
	[[ "$output" == "$link:["*"]" ]]
	[ "$output" != "$(host_ns "$link")" ]
}

ns_shared_test() {
	local type=$1 link=$2
	remove_namespace "$type"
	# A hostname needs a private UTS namespace; sysctls too.
	[ "$type" = uts ] && update_config 'del(.hostname) | del(.domainname)'
	run_sh "readlink /proc/self/ns/$link"
	assert_success
	[ "$output" = "$(host_ns "$link")" ]
}

@test "pid namespace is private when listed" { ns_private_test pid pid; }
@test "pid namespace is shared with the host when not listed" { ns_shared_test pid pid; }
@test "network namespace is private when listed" { ns_private_test network net; }
@test "network namespace is shared with the host when not listed" { ns_shared_test network net; }
@test "mount namespace is private when listed" { ns_private_test mount mnt; }
@test "ipc namespace is private when listed" { ns_private_test ipc ipc; }
@test "ipc namespace is shared with the host when not listed" { ns_shared_test ipc ipc; }
@test "uts namespace is private when listed" { ns_private_test uts uts; }
@test "uts namespace is shared with the host when not listed" { ns_shared_test uts uts; }
@test "user namespace is private when listed" { ns_private_test user user; }
@test "user namespace is shared with the host when not listed" { ns_shared_test user user; }
@test "cgroup namespace is private when listed" { ns_private_test cgroup cgroup; }
@test "cgroup namespace is shared with the host when not listed" { ns_shared_test cgroup cgroup; }
@test "time namespace is private when listed" { ns_private_test time time; }
@test "time namespace is shared with the host when not listed" { ns_shared_test time time; }

@test "mount namespace not listed: the container shares the host's or ward refuses, and the host mount table is untouched" {
	# The spec says an unlisted namespace is inherited; ward refuses to build a
	# rootfs in the host's mount namespace. Either is acceptable, mounting on
	# the host is not.
	remove_namespace mount
	local before after
	before=$(awk '{print $5, $6}' /proc/$$/mountinfo | sort)
	run_sh 'readlink /proc/self/ns/mnt'
	after=$(awk '{print $5, $6}' /proc/$$/mountinfo | sort)
	if [ "$status" -eq 0 ]; then
		[ "$output" = "$(host_ns mnt)" ]
	else
		assert_output_contains "mount namespace"
	fi
	[ "$before" = "$after" ]
}

@test "pid namespace: the container process is pid 1 and sees no host processes" {
	run_sh 'echo "self=$$"; readlink /proc/1/exe; ls -d /proc/[0-9]* | wc -l'
	assert_success
	local lines
	mapfile -t lines <<<"$output"
	[ "${lines[0]}" = "self=1" ]
	[ "${lines[1]}" = "/bin/busybox" ]
	# sh (pid 1), ls and wc: nothing else.
	[ "${lines[2]}" -le 3 ]
}

@test "network namespace has only the loopback interface" {
	run_sh 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	assert_success
	[ "$output" = "lo" ]
}

@test "the loopback interface of a new network namespace is up (as with runc and crun)" {
	# busybox's ping needs a raw socket (ward spec leaves CAP_NET_RAW out).
	add_caps CAP_NET_RAW
	run_sh 'cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok'
	assert_success
	# IFF_UP is bit 0 of the flags; operstate of lo reads "unknown" when up.
	[ $((${lines[1]} & 1)) = 1 ]
	[ "${lines[2]}" = ping-ok ]
}

@test "joining a network namespace by path (ip netns) puts the container in it" {
	NETNS="wardtest$$"
	ip netns add "$NETNS"
	ip -n "$NETNS" link add wardprobe0 type bridge
	add_namespace network "/run/netns/$NETNS"
	run_sh 'readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort'
	assert_success
	local ino
	ino=$(stat -L -c %i "/run/netns/$NETNS")
	[ "${lines[0]}" = "net:[$ino]" ]
	[ "${lines[1]}" = "lo" ]
	[ "${lines[2]}" = "wardprobe0" ]
}

@test "joining another container's namespaces by /proc/PID/ns path" {
	set_args sleep 100
	run_detached run -d -b "$BUNDLE" first
	assert_success
	local pid
	pid=$(ctr_pid first)
	[ "$pid" -gt 0 ]
	local want_net want_uts want_ipc
	want_net=$(readlink /proc/$pid/ns/net)
	want_uts=$(readlink /proc/$pid/ns/uts)
	want_ipc=$(readlink /proc/$pid/ns/ipc)
	[ "$want_net" != "$(host_ns net)" ]

	local b2="$BATS_TEST_TMPDIR/bundle2"
	mkdir -p "$b2"
	cp -a "$BUNDLE/rootfs" "$b2/rootfs"
	jq --arg p "/proc/$pid/ns" --arg cg "$CGPATH-second" '.linux.cgroupsPath = $cg
		| .process.args = ["sh", "-c", "for n in net uts ipc; do readlink /proc/self/ns/$n; done; hostname"]
		| del(.hostname)
		| .linux.namespaces = [.linux.namespaces[] | select(.type != "network" and .type != "uts" and .type != "ipc")]
			+ [{type: "network", path: ($p + "/net")}, {type: "uts", path: ($p + "/uts")}, {type: "ipc", path: ($p + "/ipc")}]' \
		"$BUNDLE/config.json" >"$b2/config.json"
	run_ward run -b "$b2" second
	assert_success
	[ "${lines[0]}" = "$want_net" ]
	[ "${lines[1]}" = "$want_uts" ]
	[ "${lines[2]}" = "$want_ipc" ]
	# The first container's hostname, set in the UTS namespace it owns.
	[ "${lines[3]}" = "ward" ]
}

@test "a namespace path that is not a namespace file fails with a clear error" {
	echo notans >"$BATS_TEST_TMPDIR/plainfile"
	add_namespace network "$BATS_TEST_TMPDIR/plainfile"
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains "SHOULD-NOT-RUN"
	assert_output_contains "$BATS_TEST_TMPDIR/plainfile"
	assert_output_contains "not a network namespace"
	[ ! -e "$STATE_ROOT/ctr" ]
}

@test "a namespace path of the wrong namespace type fails with a clear error" {
	add_namespace network "/proc/$$/ns/uts"
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains "SHOULD-NOT-RUN"
	assert_output_contains "not a network namespace"
}

@test "a namespace path that does not exist fails with a clear error" {
	add_namespace network "$BATS_TEST_TMPDIR/no-such-netns"
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains "SHOULD-NOT-RUN"
	assert_output_contains "$BATS_TEST_TMPDIR/no-such-netns"
}

@test "user namespace: uidMappings and gidMappings appear in /proc/self/uid_map and gid_map" {
	enable_userns 100000 65536
	run_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g'
	assert_success
	[ "$(echo "${lines[0]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
}

@test "user namespace: several mapping ranges are all written" {
	add_namespace user
	make_bundle_reachable
	# (ping_group_range takes mapped gids only)
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 1000}, {containerID: 1000, hostID: 300000, size: 10}]
		| .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 1000}, {containerID: 1000, hostID: 400000, size: 10}]
		| .linux.sysctl["net.ipv4.ping_group_range"] = "0 999"'
	run_sh 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map'
	assert_success
	local norm
	norm=$(echo "$output" | tr -s ' ' | sed 's/^ //')
	[ "$norm" = "$(printf '0 200000 1000\n1000 300000 10\n--\n0 200000 1000\n1000 400000 10')" ]
}

@test "user namespace: files created by root in the container are owned by the mapped host ids" {
	enable_userns 100000 65536
	update_config '.root.readonly = false'
	run_sh 'touch /tmp/made-by-root && mkdir /tmp/dir-by-root && chown 1000:2000 /tmp/dir-by-root && echo ok'
	assert_success
	[ "$output" = ok ]
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/made-by-root")" = "100000:100000" ]
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/dir-by-root")" = "101000:102000" ]
}

@test "user namespace: host root files show up as the overflow id and cannot be written" {
	enable_userns 100000 65536
	update_config '.root.readonly = false'
	run_sh 'stat -c %u:%g /bin/busybox; echo x >> /etc/passwd'
	assert_failure
	[ "${lines[0]}" = "65534:65534" ]
	assert_output_contains "Permission denied"
	! grep -q '^x$' "$BUNDLE/rootfs/etc/passwd" || false
}

@test "time namespace: timeOffsets shift boottime and monotonic clocks" {
	add_namespace time
	update_config '.linux.timeOffsets = {boottime: {secs: 86400, nanosecs: 0}, monotonic: {secs: 172800, nanosecs: 0}}'
	local before after
	before=$(cut -d. -f1 /proc/uptime)
	run_sh 'cat /proc/uptime; cat /proc/self/timens_offsets'
	after=$(cut -d. -f1 /proc/uptime)
	assert_success
	local inside
	inside=$(echo "${lines[0]}" | cut -d. -f1)
	# Inside uptime = host uptime + 86400 (give or take the time the run took).
	[ "$inside" -ge $((before + 86400)) ]
	[ "$inside" -le $((after + 86400 + 1)) ]
	local offsets
	offsets=$(echo "$output" | tail -n +2 | tr -s ' \t' ' ' | sort)
	[ "$offsets" = "$(printf 'boottime 86400 0\nmonotonic 172800 0')" ]
}

@test "time namespace: no timeOffsets means clocks equal to the host's" {
	add_namespace time
	local before after
	before=$(cut -d. -f1 /proc/uptime)
	run_sh 'cat /proc/uptime'
	after=$(cut -d. -f1 /proc/uptime)
	assert_success
	local inside
	inside=$(echo "$output" | cut -d. -f1)
	[ "$inside" -ge "$before" ]
	[ "$inside" -le $((after + 1)) ]
}

@test "timeOffsets without a time namespace is refused" {
	remove_namespace time
	update_config '.linux.timeOffsets = {boottime: {secs: 86400, nanosecs: 0}}'
	run_sh 'echo SHOULD-NOT-RUN'
	assert_failure
	assert_output_not_contains "SHOULD-NOT-RUN"
}

@test "hostname is set inside and the host's is unchanged" {
	local host_before
	host_before=$(cat /proc/sys/kernel/hostname)
	update_config '.hostname = "inside-host"'
	run_sh 'hostname; cat /proc/sys/kernel/hostname'
	assert_success
	[ "${lines[0]}" = inside-host ]
	[ "${lines[1]}" = inside-host ]
	[ "$(cat /proc/sys/kernel/hostname)" = "$host_before" ]
}

@test "domainname is set inside and the host's is unchanged" {
	local host_before
	host_before=$(cat /proc/sys/kernel/domainname)
	update_config '.domainname = "inside.example"'
	run_sh 'cat /proc/sys/kernel/domainname'
	assert_success
	[ "$output" = inside.example ]
	[ "$(cat /proc/sys/kernel/domainname)" = "$host_before" ]
}

@test "kernel.hostname and kernel.domainname in linux.sysctl are set in a user namespace too" {
	# /proc/sys/kernel belongs to the host's root, out of the container
	# root's reach: ward sets them with sethostname/setdomainname.
	enable_userns
	update_config 'del(.hostname) | .linux.sysctl += {"kernel.hostname": "sys-host", "kernel.domainname": "sys.example"}'
	run_sh 'hostname; cat /proc/sys/kernel/domainname'
	assert_success
	[ "$output" = "$(printf 'sys-host\nsys.example')" ]
}

@test "hostname without a private uts namespace is refused" {
	local host_before
	host_before=$(cat /proc/sys/kernel/hostname)
	remove_namespace uts
	update_config '.hostname = "must-not-leak"'
	run_sh 'hostname'
	assert_failure
	[ "$(cat /proc/sys/kernel/hostname)" = "$host_before" ]
}
