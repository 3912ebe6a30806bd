#!/usr/bin/env bats
# Rootless: an unprivileged user runs `ward spec --rootless` and `ward run`
# with its own bundle and XDG_RUNTIME_DIR.

load helpers
load helpers_inside

RL_USER=wardtest

setup() {
	ensure_rootfs_cache
	if ! id -u "$RL_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$RL_USER" || skip "cannot create user $RL_USER"
	fi
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	# Everything the user needs lives in a directory it owns (bats's own
	# temporary directories are 0700 root).
	RL=$(mktemp -d /tmp/ward-rootless.XXXXXX)
	chmod 755 "$RL"
	RL_BUNDLE="$RL/bundle"
	RL_XDG="$RL/xdg"
	mkdir -p "$RL_BUNDLE" "$RL_XDG"
	cp -a "$ROOTFS_CACHE" "$RL_BUNDLE/rootfs"
	chown -R "$RL_USER:$RL_USER" "$RL"
	chmod 700 "$RL_XDG"
	# ward itself must be reachable by the user.
	as_user "$WARD" --version
	[ "$status" -eq 0 ] || skip "$RL_USER cannot execute $WARD: $output"
	[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces are disabled (user.max_user_namespaces=0)"
	if [ -e /proc/sys/kernel/unprivileged_userns_clone ] && [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
		skip "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
	fi
}

teardown() {
	if [ -n "${RL:-}" ] && [ -d "$RL" ]; then
		local id
		for id in $(run_as_user_raw "$WARD" list -q 2>/dev/null); do
			run_as_user_raw "$WARD" delete -f "$id" >/dev/null 2>&1 || true
		done
		rm -rf "$RL"
	fi
}

# Run a command as the unprivileged user with a clean environment; stdio
# never holds a bats pipe (detached containers inherit it).
run_as_user_raw() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i HOME="/home/$RL_USER" USER="$RL_USER" LOGNAME="$RL_USER" \
		PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$RL_XDG" \
		sh -c 'cd "$0" && exec "$@"' "$RL_BUNDLE" "$@"
}

# Like bats `run`, through a file.
as_user() {
	local log="$RL/as_user.log"
	status=0
	run_as_user_raw "$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
	mapfile -t lines <<<"$output"
}

rl_spec() {
	as_user "$WARD" spec --rootless
	assert_success
	local tmp="$RL_BUNDLE/config.json.tmp"
	jq '.process.terminal = false' "$RL_BUNDLE/config.json" >"$tmp"
	mv "$tmp" "$RL_BUNDLE/config.json"
	chown "$RL_USER:$RL_USER" "$RL_BUNDLE/config.json"
}

rl_update() {
	local tmp="$RL_BUNDLE/config.json.tmp"
	jq "$@" "$RL_BUNDLE/config.json" >"$tmp"
	mv "$tmp" "$RL_BUNDLE/config.json"
	chown "$RL_USER:$RL_USER" "$RL_BUNDLE/config.json"
}

rl_args() {
	local json
	json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	rl_update --argjson a "$json" '.process.args = $a'
}

@test "rootless: ward spec --rootless maps the user's own uid and gid to root in a user namespace" {
	rl_spec
	local c="$RL_BUNDLE/config.json"
	[ "$(stat -c %U "$c")" = "$RL_USER" ]
	jq -e '.linux.namespaces | map(.type) | index("user")' "$c"
	[ "$(jq -c '.linux.uidMappings' "$c")" = "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" ]
	[ "$(jq -c '.linux.gidMappings' "$c")" = "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]" ]
}

@test "rootless: ward run as an unprivileged user is root inside, mapped to the user's uid" {
	rl_spec
	rl_args sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
	as_user "$WARD" run rl1
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo "${lines[2]}" | xargs)" = "0 $RL_UID 1" ]
	[ "$(echo "${lines[3]}" | xargs)" = "0 $RL_GID 1" ]
}

@test "rootless: the container is in its own user namespace, not the host's" {
	rl_spec
	rl_args readlink /proc/self/ns/user
	as_user "$WARD" run rl1
	assert_success
	[[ "$output" == "user:["*"]" ]]
	[ "$output" != "$(host_ns user)" ]
}

@test "rootless: files created inside are owned by the user on the host" {
	rl_spec
	rl_update '.root.readonly = false'
	rl_args sh -c 'echo hi > /tmp/by-rootless && echo ok'
	as_user "$WARD" run rl1
	assert_success
	[ "$output" = ok ]
	[ "$(stat -c %u:%g "$RL_BUNDLE/rootfs/tmp/by-rootless")" = "$RL_UID:$RL_GID" ]
}

@test "rootless: the container cannot read root-only host files bind-mounted in" {
	rl_spec
	local secret="$RL/secret"
	echo s3cret >"$secret"
	chown root:root "$secret"
	chmod 600 "$secret"
	mkdir -p "$RL_BUNDLE/rootfs/data"
	chown "$RL_USER:$RL_USER" "$RL_BUNDLE/rootfs/data"
	rl_update --arg s "$secret" '.mounts += [{destination: "/data/secret", type: "bind", source: $s, options: ["bind", "ro"]}]'
	rl_args sh -c 'echo container-started; cat /data/secret'
	as_user "$WARD" run rl1
	assert_output_contains container-started
	assert_output_not_contains s3cret
	assert_output_contains "Permission denied"
}

@test "rootless: ward list as the user shows its container under XDG_RUNTIME_DIR" {
	rl_spec
	rl_args sleep 100
	as_user "$WARD" run -d rl1
	assert_success
	as_user "$WARD" list -q
	assert_success
	[ "$output" = rl1 ]
	as_user "$WARD" list --format json
	assert_success
	[ "$(jq -r '.[0].id' <<<"$output")" = rl1 ]
	[ "$(jq -r '.[0].status' <<<"$output")" = running ]
	[ -d "$RL_XDG/ward/rl1" ]
	[ "$(stat -c %u "$RL_XDG/ward/rl1")" = "$RL_UID" ]
	# The init runs as the user on the host.
	local pid
	pid=$(jq -r '.[0].pid' <<<"$output")
	[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = "$RL_UID" ]
}

@test "rootless: inspect lists the Landlock rule paths best effort skipped" {
	rl_spec
	rl_args sleep 100
	rl_update '.process.landlock = {ruleset: {handledAccessFS: ["make_dir", "read_dir"]}, rules: {pathBeneath: [{allowedAccess: ["make_dir", "read_dir"], paths: ["/tmp", "/nope"]}]}}'
	as_user "$WARD" run -d rl1
	assert_success
	assert_output_contains '"/nope" does not exist in the container; rule skipped'
	as_user "$WARD" inspect --format json rl1
	assert_success
	[ "$(jq -r .landlock.policy.enforced <<<"$output")" = true ] || skip "Landlock is not enforced here"
	[ "$(jq -c .landlock.policy.skippedPaths <<<"$output")" = '["/nope"]' ]
}

@test "rootless: a created container's init, running ward's binary until start, is non-dumpable" {
	rl_spec
	rl_args true
	as_user "$WARD" create rl1
	assert_success
	local pid
	pid=$(run_as_user_raw "$WARD" state rl1 | jq -r .pid)
	# It runs as the user, and its /proc files belong to root: the mark of a
	# non-dumpable process (a dumpable one's would be the user's), which no
	# process of the container may then ptrace or reach through /proc/PID.
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$RL_UID" ]
	[ "$(stat -c %u "/proc/$pid/environ")" = 0 ]
	[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$WARD")" ]
}

@test "rootless: kill and delete as the user clean up" {
	rl_spec
	rl_args sleep 100
	as_user "$WARD" run -d rl1
	assert_success
	as_user "$WARD" kill rl1 KILL
	assert_success
	local i
	for i in $(seq 100); do
		as_user "$WARD" state rl1
		[ "$(jq -r .status <<<"$output")" = stopped ] && break
		sleep 0.05
	done
	[ "$(jq -r .status <<<"$output")" = stopped ]
	as_user "$WARD" delete rl1
	assert_success
	[ ! -e "$RL_XDG/ward/rl1" ]
	as_user "$WARD" list -q
	[ -z "$output" ]
}

@test "rootless: without a user namespace an unprivileged user is refused with a clear error" {
	rl_spec
	rl_update '.linux.namespaces = [.linux.namespaces[] | select(.type != "user")] | del(.linux.uidMappings) | del(.linux.gidMappings)'
	rl_args echo SHOULD-NOT-RUN
	as_user "$WARD" run rl1
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	assert_output_contains "user namespace"
}

@test "rootless: mapping another host uid than the user's own is refused" {
	rl_spec
	rl_update '.root.readonly = false | .linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	rl_args sh -c 'touch /tmp/as-host-root; echo SHOULD-NOT-RUN'
	as_user "$WARD" run rl1
	assert_failure
	assert_output_not_contains SHOULD-NOT-RUN
	assert_output_contains uidMappings
	[ ! -e "$RL_BUNDLE/rootfs/tmp/as-host-root" ]
}

@test "rootless: an audited container's records go to the user's own log, each saying the kernel refused its twin" {
	rl_spec
	rl_args sh -c 'cat /proc/self/sessionid'
	as_user env WARD_AUDIT=1 "$WARD" run rl-audit
	assert_success
	local log="$RL_XDG/ward/@audit/rl-audit.jsonl"
	[ -f "$log" ]
	[ "$(stat -c %u "$log")" = "$RL_UID" ]
	run jq -r '"\(.op) \(.kernel)"' "$log"
	assert_output_contains "create refused"
	assert_output_contains "delete refused"
	assert_output_not_contains "auditd"
	# No host-wide log for a user, and nothing written there.
	run jq -r 'select(.op == "create") | .auditId' "$log"
	[ -n "$output" ]
	if [ -f /var/log/ward/audit.jsonl ]; then
		run grep -c "$output" /var/log/ward/audit.jsonl
		assert_equal "$output" 0
	fi
}

# Poll `state` until the container reports a status.
rl_wait_status() {
	local i
	for i in $(seq 100); do
		as_user "$WARD" state "$1"
		[ "$(jq -r .status <<<"$output")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "rootless: exec as the user runs a command in the container, with its output and exit status" {
	rl_spec
	rl_args sleep 100
	as_user "$WARD" run -d rl1
	assert_success
	as_user "$WARD" exec rl1 sh -c 'echo from-exec; id -u; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = from-exec ]
	[ "${lines[1]}" = 0 ]
}

@test "rootless: an exec'd process is in the container's pid, user and mount namespaces" {
	rl_spec
	rl_args sleep 100
	as_user "$WARD" run -d rl1
	assert_success
	local pid
	pid=$(run_as_user_raw "$WARD" state rl1 | jq -r .pid)
	as_user "$WARD" exec rl1 sh -c 'for n in pid user mnt; do readlink /proc/self/ns/$n; done; tr "\0" " " </proc/1/cmdline'
	assert_success
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
	[ "${lines[1]}" = "$(readlink /proc/$pid/ns/user)" ]
	[ "${lines[2]}" = "$(readlink /proc/$pid/ns/mnt)" ]
	[ "${lines[0]}" != "$(host_ns pid)" ]
	# Its /proc is the container's: pid 1 is the container's init.
	[ "$(echo "${lines[3]}" | xargs)" = "sleep 100" ]
}

@test "rootless: exec -d leaves the process running in the container, as the user on the host, in the init's cgroup" {
	rl_spec
	rl_args sleep 100
	as_user "$WARD" run -d rl1
	assert_success
	local init
	init=$(run_as_user_raw "$WARD" state rl1 | jq -r .pid)
	as_user "$WARD" exec -d --pid-file "$RL/exec.pid" rl1 sleep 77
	assert_success
	local pid
	pid=$(cat "$RL/exec.pid")
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" | xargs)" = "sleep 77" ]
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$RL_UID" ]
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$init/ns/pid")" ]
	[ "$(cat "/proc/$pid/cgroup")" = "$(cat "/proc/$init/cgroup")" ]
	as_user "$WARD" kill rl1 KILL
	assert_success
	rl_wait_status rl1 stopped
	# The exec'd process went with the init (the pid namespace is gone).
	local i
	for i in $(seq 100); do
		[ -e "/proc/$pid" ] || break
		sleep 0.05
	done
	[ ! -e "/proc/$pid" ]
}

@test "rootless: an exec'd process is confined like the init: seccomp, no_new_privs, Landlock" {
	rl_spec
	rl_args sleep 100
	rl_update '.root.readonly = false | .process.landlock = {ruleset: {handledAccessFS: ["make_dir"]}, rules: {pathBeneath: [{allowedAccess: ["make_dir"], paths: ["/dev"]}]}}'
	as_user "$WARD" run -d rl1
	assert_success
	as_user "$WARD" exec rl1 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/ll-made && echo MADE'
	[ "$(grep Seccomp: <<<"$output" | xargs)" = "Seccomp: 2" ]
	[ "$(grep NoNewPrivs: <<<"$output" | xargs)" = "NoNewPrivs: 1" ]
	assert_output_not_contains MADE
	[ ! -e "$RL_BUNDLE/rootfs/tmp/ll-made" ]
}
