#!/usr/bin/env bats
# Differential tests: ward and runc (Debian's 1.1.5) on the same bundle,
# side by side, must agree on what a caller of an OCI runtime can observe:
# exit codes, the state and list JSON, errors for wrong states, and what the
# process sees inside the container. Where they differ on purpose, the test
# says so and checks ward's side.

load helpers
load helpers_inside

RUNC=${RUNC:-$(command -v runc || true)}

setup() {
	[ -n "$RUNC" ] || skip "runc is not installed (scripts/install-deps.sh installs it)"
	setup_bundle
	RUNC_ROOT="$BATS_TEST_TMPDIR/runc-state"
	# Unique ids and cgroups per test: the two runtimes must not share one.
	P="rd$$-${BATS_TEST_NUMBER}"
	# runc's own spec: a config both runtimes take as it is.
	(cd "$BUNDLE" && rm -f config.json && "$RUNC" spec)
	update_config '.process.terminal = false'
}

teardown() {
	local id
	if [ -n "${RUNC_ROOT:-}" ] && [ -d "$RUNC_ROOT" ]; then
		for id in $("$RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null); do
			"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	teardown_bundle
}

# both CMD ARGS...: run `ward CMD ARGS` and `runc CMD ARGS`, each with its
# own state root; ids ending in @ get the runtime's suffix (-w / -r).
# Sets W_STATUS W_OUT R_STATUS R_OUT (stdout only; stderr in *_ERR).
both() {
	local wargs=() rargs=() a
	for a in "$@"; do
		case "$a" in
		*@) wargs+=("${a%@}-w"); rargs+=("${a%@}-r") ;;
		*) wargs+=("$a"); rargs+=("$a") ;;
		esac
	done
	W_STATUS=0 R_STATUS=0
	"$WARD" --root "$STATE_ROOT" "${wargs[@]}" </dev/null >"$BATS_TEST_TMPDIR/w.out" \
		2>"$BATS_TEST_TMPDIR/w.err" || W_STATUS=$?
	"$RUNC" --root "$RUNC_ROOT" "${rargs[@]}" </dev/null >"$BATS_TEST_TMPDIR/r.out" \
		2>"$BATS_TEST_TMPDIR/r.err" || R_STATUS=$?
	W_OUT=$(cat "$BATS_TEST_TMPDIR/w.out")
	R_OUT=$(cat "$BATS_TEST_TMPDIR/r.out")
	W_ERR=$(cat "$BATS_TEST_TMPDIR/w.err")
	R_ERR=$(cat "$BATS_TEST_TMPDIR/r.err")
}

same_status() {
	if [ "$W_STATUS" != "$R_STATUS" ]; then
		echo "exit status differs: ward $W_STATUS, runc $R_STATUS" >&2
		echo "ward stderr: $W_ERR" >&2
		echo "runc stderr: $R_ERR" >&2
		return 1
	fi
}

same_output() {
	if [ "$W_OUT" != "$R_OUT" ]; then
		echo "output differs" >&2
		diff <(echo "$R_OUT") <(echo "$W_OUT") | sed 's/^</runc:/; s/^>/ward:/' >&2
		return 1
	fi
}

# A detached container per runtime (create/run -d keep stdio: files, not pipes).
both_detached() {
	both "$@"
	same_status
	[ "$W_STATUS" = 0 ]
}

@test "runc-diff: run exits with the program's status, 128+N for a signal" {
	set_args sh -c 'exit 3'
	both run -b "$BUNDLE" "$P-a@"
	same_status
	[ "$W_STATUS" = 3 ]
	# Killed from outside (a pid 1 cannot kill itself): 128+9.
	set_args sleep 60
	"$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" "$P-b-w" </dev/null >/dev/null 2>&1 3>&- &
	local wp=$!
	"$RUNC" --root "$RUNC_ROOT" run -b "$BUNDLE" "$P-b-r" </dev/null >/dev/null 2>&1 3>&- &
	local rp=$! i
	for i in $(seq 50); do
		[ "$("$WARD" --root "$STATE_ROOT" state "$P-b-w" 2>/dev/null | jq -r .status)" = running ] &&
			[ "$("$RUNC" --root "$RUNC_ROOT" state "$P-b-r" 2>/dev/null | jq -r .status)" = running ] &&
			break
		sleep 0.1
	done
	"$WARD" --root "$STATE_ROOT" kill "$P-b-w" KILL
	"$RUNC" --root "$RUNC_ROOT" kill "$P-b-r" KILL
	W_STATUS=0 R_STATUS=0
	wait "$wp" || W_STATUS=$?
	wait "$rp" || R_STATUS=$?
	same_status
	[ "$W_STATUS" = 137 ]
	set_args true
	both run -b "$BUNDLE" "$P-c@"
	same_status
	[ "$W_STATUS" = 0 ]
}

@test "runc-diff: a program that does not exist fails both, leaving nothing" {
	set_args /nonexistent
	both run -b "$BUNDLE" "$P@"
	[ "$W_STATUS" != 0 ]
	[ "$R_STATUS" != 0 ]
	both list -q
	same_output
	[ -z "$W_OUT" ]
}

@test "runc-diff: state has runc's fields, in runc's order, for created, running and stopped" {
	update_config '.annotations = {"org.example.k": "v"}'
	set_args sleep 60
	both_detached create -b "$BUNDLE" "$P@"
	both state "$P@"
	same_status
	[ "$(jq -c keys_unsorted <<<"$W_OUT")" = "$(jq -c keys_unsorted <<<"$R_OUT")" ]
	local f
	for f in ociVersion status bundle rootfs annotations owner; do
		[ "$(jq -c ".$f" <<<"$W_OUT")" = "$(jq -c ".$f" <<<"$R_OUT")" ] ||
			{ echo "field $f: ward $(jq -c ".$f" <<<"$W_OUT"), runc $(jq -c ".$f" <<<"$R_OUT")" >&2; return 1; }
	done
	[ "$(jq -r .status <<<"$W_OUT")" = created ]
	both start "$P@"
	same_status
	both state "$P@"
	[ "$(jq -r .status <<<"$W_OUT")" = running ]
	[ "$(jq -r .status <<<"$R_OUT")" = running ]
	[ "$(jq -c keys_unsorted <<<"$W_OUT")" = "$(jq -c keys_unsorted <<<"$R_OUT")" ]
	both kill "$P@" KILL
	same_status
	sleep 0.3
	both state "$P@"
	[ "$(jq -r .status <<<"$W_OUT")" = stopped ]
	[ "$(jq -r .status <<<"$R_OUT")" = stopped ]
	[ "$(jq .pid <<<"$W_OUT")" = 0 ]
	[ "$(jq .pid <<<"$R_OUT")" = 0 ]
	[ "$(jq -c keys_unsorted <<<"$W_OUT")" = "$(jq -c keys_unsorted <<<"$R_OUT")" ]
}

@test "runc-diff: list -q, list --format json and the table header agree" {
	set_args sleep 60
	both_detached run -d -b "$BUNDLE" "$P-1@"
	both_detached run -d -b "$BUNDLE" "$P-2@"
	both list -q
	same_status
	[ "$(sed 's/-w$//' <<<"$W_OUT")" = "$(sed 's/-r$//' <<<"$R_OUT")" ]
	both list --format json
	same_status
	[ "$(jq -c 'map(keys_unsorted)' <<<"$W_OUT")" = "$(jq -c 'map(keys_unsorted)' <<<"$R_OUT")" ]
	[ "$(jq -c 'map(.status)' <<<"$W_OUT")" = "$(jq -c 'map(.status)' <<<"$R_OUT")" ]
	[ "$(jq -r '.[0].owner' <<<"$W_OUT")" = root ]
	both list
	[ "$(head -1 <<<"$W_OUT" | tr -s ' ')" = "$(head -1 <<<"$R_OUT" | tr -s ' ')" ]
}

@test "runc-diff: commands on containers in the wrong state fail in both" {
	set_args sleep 60
	both_detached run -d -b "$BUNDLE" "$P@"
	both start "$P@"           # already running
	[ "$W_STATUS" != 0 ]
	[ "$R_STATUS" != 0 ]
	both delete "$P@"          # running, no --force
	[ "$W_STATUS" != 0 ]
	[ "$R_STATUS" != 0 ]
	both state "$P-missing@"
	same_status
	both kill "$P-missing@"
	same_status
	both delete "$P-missing@"
	same_status
	both delete -f "$P-missing@" # --force on a missing container succeeds
	same_status
	[ "$W_STATUS" = 0 ]
	both kill "$P@" KILL
	sleep 0.3
	both exec "$P@" true       # stopped
	[ "$W_STATUS" != 0 ]
	[ "$R_STATUS" != 0 ]
	both start "$P@"           # stopped
	[ "$W_STATUS" != 0 ]
	[ "$R_STATUS" != 0 ]
	both delete "$P@"          # stopped: works without --force
	same_status
	[ "$W_STATUS" = 0 ]
}

# What the process sees; $1 is a label for failures.
inside_probe='
echo "uid: $(id -u) gid: $(id -g) groups: $(id -G)"
grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status
echo "uid_map: $(cat /proc/self/uid_map | tr -s " ")"
echo "hostname: $(hostname)"
echo "cwd: $(pwd)"
echo "umask: $(umask)"
echo "fds: $(ls /proc/self/fd | sort -n | tr "\n" " ")"
echo "env:"; env | grep -v "^HOSTNAME=" | sort
echo "mounts:"
# mount point and file system type; a masked file is the null device in both
# (ward binds the host /dev/null, runc the container one: devtmpfs vs tmpfs);
# ward also mounts the cgroup2 hierarchy of a hybrid host, runc 1.1 does not.
sed -E "s/^([^ ]+ ){4}([^ ]+) .* - ([^ ]+) .*/\2 \3/" /proc/self/mountinfo |
	sed -E "s#^(/proc/[^ ]+) devtmpfs#\1 tmpfs#" | grep -v "^/sys/fs/cgroup/unified " | sort
stat -c "%n %F %t:%T" /proc/keys /proc/timer_list 2>/dev/null
echo "dev:"; ls -A /dev | sort | tr "\n" " "; echo
echo "ns:"; for n in ipc mnt net pid uts cgroup; do [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] && echo "$n same as pid 1"; done
'

@test "runc-diff: the process sees the same ids, capabilities, env, fds, mounts and devices (runc's spec)" {
	set_args sh -c "$inside_probe"
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
}

@test "runc-diff: the same with ward's hardened spec (seccomp, masked paths, read-only root)" {
	(cd "$BUNDLE" && rm -f config.json && "$WARD" spec)
	update_config '.process.terminal = false'
	set_args sh -c "$inside_probe"
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
}

@test "runc-diff: exec sees what the init sees (user, cwd, env, capabilities)" {
	set_args sleep 60
	both_detached run -d -b "$BUNDLE" "$P@"
	both exec "$P@" sh -c "$inside_probe"
	same_status
	same_output
	both exec --user 1000:1000 --cwd /tmp --env FOO=bar "$P@" sh -c 'id; pwd; echo $FOO; grep ^CapEff /proc/self/status'
	same_status
	same_output
}

@test "runc-diff: kill --all and ps --format json agree" {
	set_args sh -c 'sleep 60 & sleep 60 & wait'
	both_detached run -d -b "$BUNDLE" "$P@"
	sleep 0.3
	both ps --format json "$P@"
	same_status
	[ "$(jq length <<<"$W_OUT")" = 3 ]
	[ "$(jq length <<<"$R_OUT")" = 3 ]
	both kill --all "$P@" KILL
	same_status
	sleep 0.3
	both state "$P@"
	[ "$(jq -r .status <<<"$W_OUT")" = stopped ]
	[ "$(jq -r .status <<<"$R_OUT")" = stopped ]
}

@test "runc-diff: events --stats has runc's top-level fields" {
	set_args sleep 60
	both_detached run -d -b "$BUNDLE" "$P@"
	both events --stats "$P@"
	same_status
	[ "$(jq -r .type <<<"$W_OUT")" = stats ]
	[ "$(jq -c 'keys_unsorted' <<<"$W_OUT")" = "$(jq -c 'keys_unsorted' <<<"$R_OUT")" ]
	# every stats group runc reports, ward reports too
	local missing
	missing=$(jq -n --argjson w "$W_OUT" --argjson r "$R_OUT" \
		'[$r.data | keys[]] - [$w.data | keys[]]')
	[ "$missing" = "[]" ] || { echo "ward lacks stats: $missing" >&2; return 1; }
}

# ---------------------------------------------------------------------------
# Configs runc runs and ward refused (issue 14). Where ward still refuses,
# the refusal protects the host and the test says so.

userns_both() {
	make_bundle_reachable
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "runc-diff: without a mount namespace both run in the caller's; ward leaves no mount behind" {
	update_config '.linux.namespaces |= map(select(.type != "mount")) | del(.linux.maskedPaths, .linux.readonlyPaths)'
	set_args sh -c 'readlink /proc/self/ns/mnt; ls /; grep -c " /proc " /proc/self/mountinfo'
	# The caller of both runtimes is a mount namespace of the test's own:
	# runc leaves its mounts in the caller's (on the host, run from a shell).
	local d=$BATS_TEST_TMPDIR
	cat >"$d/caller.sh" <<-EOF
		readlink /proc/self/ns/mnt >"$d/caller"
		"$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" "$P-w" </dev/null >"$d/w.out" 2>"$d/w.err"
		echo \$? >"$d/w.status"
		grep -c " $BUNDLE/rootfs" /proc/self/mountinfo >"$d/w.left"
		"$WARD" --root "$STATE_ROOT" run -d -b "$BUNDLE" "$P-d" </dev/null >/dev/null 2>&1
		grep -c " $BUNDLE/rootfs" /proc/self/mountinfo >"$d/w.detached"
		"$WARD" --root "$STATE_ROOT" delete -f "$P-d"
		grep -c " $BUNDLE/rootfs" /proc/self/mountinfo >"$d/w.deleted"
		"$RUNC" --root "$RUNC_ROOT" run -b "$BUNDLE" "$P-r" </dev/null >"$d/r.out" 2>"$d/r.err"
		echo \$? >"$d/r.status"
	EOF
	unshare -m --propagation private sh "$d/caller.sh"
	[ "$(cat "$d/w.status")" = 0 ] || { cat "$d/w.err" >&2; false; }
	[ "$(cat "$d/r.status")" = 0 ] || { cat "$d/r.err" >&2; false; }
	diff "$d/r.out" "$d/w.out"
	[ "$(head -n 1 "$d/w.out")" = "$(cat "$d/caller")" ]
	[ "$(cat "$d/w.left")" = 0 ]
	[ "$(cat "$d/w.detached")" -gt 0 ]
	[ "$(cat "$d/w.deleted")" = 0 ]
	# masked and read-only paths would be made in the caller's mounts: both refuse
	update_config '.linux.maskedPaths = ["/proc/kcore"]'
	both run -b "$BUNDLE" "$P-m@"
	[ "$W_STATUS" != 0 ]
	[ "$R_STATUS" != 0 ]
	[[ "$W_ERR" == *"linux.maskedPaths: needs a mount namespace"* ]]
}

@test "runc-diff: a hostname is set in a uts namespace joined by path (ward refuses the host's own)" {
	unshare --uts sleep 100 &
	local wns=$!
	unshare --uts sleep 100 &
	local rns=$!
	sleep 0.2
	set_args hostname
	update_config '.hostname = "joined"'
	update_config --arg p "/proc/$wns/ns/uts" '.linux.namespaces |= map(if .type == "uts" then .path = $p else . end)'
	W_STATUS=0
	"$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" "$P-w" </dev/null >"$BATS_TEST_TMPDIR/w.out" 2>"$BATS_TEST_TMPDIR/w.err" || W_STATUS=$?
	update_config --arg p "/proc/$rns/ns/uts" '.linux.namespaces |= map(if .type == "uts" then .path = $p else . end)'
	R_STATUS=0
	"$RUNC" --root "$RUNC_ROOT" run -b "$BUNDLE" "$P-r" </dev/null >"$BATS_TEST_TMPDIR/r.out" 2>"$BATS_TEST_TMPDIR/r.err" || R_STATUS=$?
	W_ERR=$(cat "$BATS_TEST_TMPDIR/w.err") R_ERR=$(cat "$BATS_TEST_TMPDIR/r.err")
	same_status
	[ "$W_STATUS" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/w.out")" = joined ]
	[ "$(nsenter -u -t "$wns" hostname)" = joined ]
	[ "$(nsenter -u -t "$rns" hostname)" = joined ]
	kill "$wns" "$rns"
	# The runtime's own uts namespace: that hostname would be the host's.
	# (Not run with runc: it sets it.)
	local before
	before=$(hostname)
	update_config --arg p "/proc/$$/ns/uts" '.linux.namespaces |= map(if .type == "uts" then .path = $p else . end)'
	run "$WARD" --root "$STATE_ROOT" run -b "$BUNDLE" "$P-h"
	assert_failure
	assert_output_contains "is the runtime's own"
	[ "$(hostname)" = "$before" ]
}

@test "runc-diff: kernel.domainname in linux.sysctl wins over the domainname field, as in runc" {
	set_args cat /proc/sys/kernel/domainname
	update_config '.domainname = "field.example" | .linux.sysctl = {"kernel.domainname": "sysctl.example"}'
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[ "$W_OUT" = sysctl.example ]
	# kernel.hostname: runc refuses it next to the hostname field; ward sets
	# it (the container's own uts namespace), after the field.
	set_args hostname
	update_config '.linux.sysctl = {"kernel.hostname": "from-sysctl"}'
	both run -b "$BUNDLE" "$P-h@"
	[ "$R_STATUS" != 0 ]
	[ "$W_STATUS" = 0 ]
	[ "$W_OUT" = from-sysctl ]
}

@test "runc-diff: bind mounts take mode=755, sync and dirsync as runc does; a tmpfs gets sync and dirsync" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo data >"$BATS_TEST_TMPDIR/src/f"
	update_config --arg s "$BATS_TEST_TMPDIR/src" '.mounts += [
		{destination: "/b", type: "bind", source: $s, options: ["rbind", "mode=755", "sync", "dirsync"]},
		{destination: "/t", type: "tmpfs", source: "tmpfs", options: ["sync", "dirsync", "mode=755"]}]'
	set_args sh -c 'cat /b/f; awk "\$5 == \"/b\" || \$5 == \"/t\" {print \$5, \$6, \$NF}" /proc/self/mountinfo'
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[[ "$W_OUT" == *"/t rw,relatime rw,sync,dirsync,mode=755"* ]]
}

@test "runc-diff: unknown capability names are ignored with a warning, in the config and in exec --cap" {
	update_config '.process.capabilities.bounding += ["CAP_FROBNICATE"]'
	set_args grep -E '^Cap(Bnd|Eff)' /proc/self/status
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[[ "$W_ERR" == *CAP_FROBNICATE* ]]
	set_args sleep 100
	both_detached run -d -b "$BUNDLE" "$P-e@"
	both exec --cap CAP_NOT_A_CAP "$P-e@" grep ^CapEff /proc/self/status
	same_status
	same_output
	[[ "$W_ERR" == *CAP_NOT_A_CAP* ]]
}

@test "runc-diff: exec --cap CAP_SYS_PTRACE --pid-file into a created container with a user namespace" {
	userns_both
	set_args sleep 100
	both_detached create -b "$BUNDLE" "$P@"
	both exec --cap CAP_SYS_PTRACE --pid-file "$BATS_TEST_TMPDIR/pid@" "$P@" sh -c 'grep ^CapEff /proc/self/status'
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[ "$(cat "$BATS_TEST_TMPDIR/pid-w")" -gt 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR/pid-r")" -gt 1 ]
	# Without a user namespace ward refuses (runc runs it): CAP_SYS_PTRACE is
	# then the host's, enough to ptrace the waiting init, which holds all of
	# the runtime's privileges until start (CVE-2016-9962).
	update_config 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(select(.type != "user"))'
	both_detached create -b "$BUNDLE" "$P-n@"
	both exec --cap CAP_SYS_PTRACE "$P-n@" true
	[ "$R_STATUS" = 0 ]
	[ "$W_STATUS" != 0 ]
	[[ "$W_ERR" == *"start it first"* ]]
}

@test "runc-diff: a hook without env gets the runtime's environment" {
	# The hook writes what it got to a file named after the container (the
	# state on its stdin), one per runtime.
	update_config --arg d "$BATS_TEST_TMPDIR/hook" '.hooks.prestart = [{path: "/bin/sh",
		args: ["sh", "-c", "id=$(sed -n \"s/.*\\\"id\\\": *\\\"\\([^\\\"]*\\)\\\".*/\\1/p\"); echo \"${RDIFF_VAR-unset}\" >\"$0-$id\"", $d]}]'
	set_args true
	RDIFF_VAR=from-the-runtime both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/hook-$P-w")" = from-the-runtime ]
	[ "$(cat "$BATS_TEST_TMPDIR/hook-$P-r")" = from-the-runtime ]
}

@test "runc-diff: a process.cwd missing from the rootfs is made" {
	set_args sh -c 'pwd; stat -c "%a %u" .'
	update_config '.process.cwd = "/no/such/dir"'
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[ "$W_OUT" = "$(printf '/no/such/dir\n755 0')" ]
}

@test "runc-diff: a mount destination that is a dangling symlink gets its target made and mounted" {
	ln -s /data/real "$BUNDLE/rootfs/dangling"
	update_config '.mounts += [{destination: "/dangling", type: "tmpfs", source: "tmpfs"}]'
	set_args sh -c 'readlink /dangling; awk "\$5 == \"/data/real\" {print \$5, \$9}" /proc/self/mountinfo'
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[ "$W_OUT" = "$(printf '/data/real\n/data/real tmpfs')" ]
	rm -rf "$BUNDLE/rootfs/data"
	# a file bind through one, and an idmapped one (runc 1.1 has no idmap:
	# it binds without; ward idmaps)
	ln -s /data/file "$BUNDLE/rootfs/dfile"
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo data >"$BATS_TEST_TMPDIR/src/f"
	update_config --arg s "$BATS_TEST_TMPDIR/src" '.mounts[-1] = {destination: "/dangling", type: "bind", source: $s, options: ["rbind", "idmap"],
			uidMappings: [{containerID: 0, hostID: 0, size: 1}], gidMappings: [{containerID: 0, hostID: 0, size: 1}]}
		| .mounts += [{destination: "/dfile", type: "bind", source: ($s + "/f"), options: ["bind"]}]'
	set_args sh -c 'cat /data/real/f /data/file'
	both run -b "$BUNDLE" "$P-i@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[ "$W_OUT" = "$(printf 'data\ndata')" ]
}

@test "runc-diff: in a user namespace a bind source its root cannot reach is mounted, as runc does" {
	userns_both
	mkdir -p "$BATS_TEST_TMPDIR/private/inner"
	chmod 700 "$BATS_TEST_TMPDIR/private"
	echo secret >"$BATS_TEST_TMPDIR/private/inner/f"
	chmod 755 "$BATS_TEST_TMPDIR/private/inner"
	mkdir -p "$BUNDLE/rootfs/mnt" # (the container's root could not make it)
	update_config --arg s "$BATS_TEST_TMPDIR/private/inner" \
		'.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro", "nosuid"]}]'
	set_args sh -c 'cat /mnt/f; awk "\$5 == \"/mnt\" {print \$6}" /proc/self/mountinfo'
	both run -b "$BUNDLE" "$P@"
	same_status
	[ "$W_STATUS" = 0 ]
	same_output
	[ "$W_OUT" = "$(printf 'secret\nro,nosuid,relatime')" ]
}
