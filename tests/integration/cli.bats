#!/usr/bin/env bats
# The command line: global options, spec, features, list, state (runc 1.1's CLI).

load helpers
load helpers_cli

setup() { setup_bundle; }
teardown() {
	# `.dot` is used by the dot-id test; list may not show it, so delete it by name.
	[ -d "${STATE_ROOT:-/nonexistent}" ] && "$WARD" --root "$STATE_ROOT" delete -f .dot >/dev/null 2>&1
	[ -n "${RL_DIR:-}" ] && rm -rf "$RL_DIR"
	teardown_bundle
}

# A container whose init just waits; terminal off.
sleeper() {
	set_args sh -c 'while :; do sleep 0.1; done'
}

@test "--version prints the ward version and the spec version" {
	run "$WARD" --version
	assert_success
	[[ "${lines[0]}" =~ ^ward\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	local spec
	spec=$(printf '%s\n' "$output" | sed -n 's/^spec: //p')
	[[ "$spec" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]
	# the spec version is the one `features` reports as the maximum
	[ "$spec" = "$("$WARD" features | jq -r .ociVersionMax)" ]
	run "$WARD" -v
	assert_success
	[[ "${lines[0]}" =~ ^ward\ version\  ]]
}

@test "--help lists the commands and the global options and exits 0" {
	run "$WARD" --help
	assert_success
	local c
	for c in create start run state kill delete list exec spec features; do
		if ! printf '%s\n' "$output" | grep -qE "^ +$c +"; then
			echo "command $c not in --help" >&2
			return 1
		fi
	done
	assert_output_contains "--root"
	assert_output_contains "--log"
	assert_output_contains "--log-format"
}

@test "an unknown command fails with a message naming it" {
	run "$WARD" --root "$STATE_ROOT" frobnicate
	assert_failure
	assert_output_contains "frobnicate"
	assert_one_line
}

@test "an unknown global option fails with a message naming it" {
	run "$WARD" --root "$STATE_ROOT" --frobnicate list
	assert_failure
	assert_output_contains "--frobnicate"
	assert_output_not_contains "ID"
}

@test "an unknown command option fails with a message naming it" {
	run "$WARD" --root "$STATE_ROOT" list --frobnicate
	assert_failure
	assert_output_contains "--frobnicate"
	assert_output_not_contains "ID"
	run "$WARD" --root "$STATE_ROOT" create --frobnicate -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "--frobnicate"
	assert_no_leftovers c1
}

@test "--root selects the state directory" {
	sleeper
	local other="$BATS_TEST_TMPDIR/other-root"
	run_detached create -b "$BUNDLE" c1
	assert_success
	[ -d "$STATE_ROOT/c1" ]
	run_ward list -q
	[ "$output" = c1 ]
	mkdir -p "$other"
	run "$WARD" --root "$other" list -q
	assert_success
	[ -z "$output" ]
	run "$WARD" --root "$other" state c1
	assert_failure
	[ -z "$(ls -A "$other")" ]
}

@test "--log FILE --log-format text writes errors as logfmt lines to FILE" {
	local log="$BATS_TEST_TMPDIR/ward.log"
	run "$WARD" --root "$STATE_ROOT" --log "$log" --log-format text state nosuch
	assert_failure
	[ -s "$log" ]
	grep -E '^time="[^"]+" level=error msg=".*nosuch.*does not exist.*"$' "$log"
}

@test "--log FILE --log-format json writes errors as JSON lines with level and msg" {
	local log="$BATS_TEST_TMPDIR/ward.json"
	run "$WARD" --root "$STATE_ROOT" --log "$log" --log-format json state nosuch
	assert_failure
	[ -s "$log" ]
	# every line is a JSON object
	jq -e 'type == "object"' "$log" >/dev/null
	local n
	n=$(jq -s '[.[] | select(.level == "error" and (.msg | test("nosuch")) and (.msg | test("does not exist")))] | length' "$log")
	[ "$n" -eq 1 ]
	jq -e -s '.[0].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$log"
}

@test "--log-format with an unknown format fails" {
	run "$WARD" --root "$STATE_ROOT" --log-format yaml list
	assert_failure
	assert_output_contains "yaml"
}

@test "spec writes a hardened config.json in the current directory" {
	local d="$BATS_TEST_TMPDIR/specdir"
	mkdir "$d"
	cd "$d"
	run "$WARD" spec
	assert_success
	[ -f "$d/config.json" ]
	jq -e . "$d/config.json" >/dev/null
	jq -e '.ociVersion | test("^1\\.[0-9]+\\.[0-9]+")' config.json
	jq -e '.root.path == "rootfs"' config.json
	jq -e '.process.noNewPrivileges == true' config.json
	jq -e '.process.capabilities.bounding | length == 11' config.json
	# podman's default set, exactly (Docker's without NET_RAW, MKNOD, AUDIT_WRITE)
	jq -e '.process.capabilities.bounding | sort == (["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL"] | sort)' config.json
	jq -e '.process.capabilities | (.effective == .bounding) and (.permitted == .bounding)' config.json
	# ping without CAP_NET_RAW: ICMP echo sockets in the container's network namespace
	jq -e '.linux.sysctl == {"net.ipv4.ping_group_range": "0 2147483647"}' config.json
	# runc >= 1.1.2 (CVE-2022-29162): no inheritable capabilities in the example spec
	jq -e '(.process.capabilities.inheritable // []) | length == 0' config.json
	jq -e '.linux.maskedPaths | index("/proc/kcore") != null' config.json
	jq -e '[.linux.namespaces[].type] | sort == (["cgroup","ipc","mount","network","pid","uts"])' config.json
}

@test "spec never grants CAP_AUDIT_CONTROL, CAP_NET_RAW, CAP_MKNOD or CAP_AUDIT_WRITE, in any set or flavour" {
	local d="$BATS_TEST_TMPDIR/specs" f
	mkdir "$d"
	for f in "" --rootless --landlock "--rootless --landlock"; do
		rm -f "$d/config.json"
		# shellcheck disable=SC2086
		run "$WARD" spec --bundle "$d" $f
		assert_success
		jq -e '[.process.capabilities[][]] | length > 0' "$d/config.json"
		jq -e '[.process.capabilities[][]] - ["CAP_AUDIT_CONTROL", "CAP_NET_RAW", "CAP_MKNOD", "CAP_AUDIT_WRITE"]
			== [.process.capabilities[][]]' "$d/config.json" ||
			{ echo "ward spec $f: $(jq -c .process.capabilities "$d/config.json")" >&2; false; }
	done
	# --rootless has no network namespace of its own: no net.* sysctl
	mkdir "$d/rl"
	run "$WARD" spec --bundle "$d/rl" --rootless
	assert_success
	jq -e '(.linux.sysctl // {}) == {}' "$d/rl/config.json"
}

@test "spec refuses to overwrite an existing config.json" {
	local d="$BATS_TEST_TMPDIR/specdir"
	mkdir "$d"
	echo '{"sentinel": true}' >"$d/config.json"
	cd "$d"
	run "$WARD" spec
	assert_failure
	assert_output_contains "config.json"
	[ "$(cat "$d/config.json")" = '{"sentinel": true}' ]
	run "$WARD" spec --bundle "$d"
	assert_failure
	[ "$(cat "$d/config.json")" = '{"sentinel": true}' ]
}

@test "spec --bundle DIR writes DIR/config.json and nothing in the current directory" {
	local d="$BATS_TEST_TMPDIR/specdir" cwd="$BATS_TEST_TMPDIR/cwd"
	mkdir "$d" "$cwd"
	cd "$cwd"
	run "$WARD" spec --bundle "$d"
	assert_success
	jq -e '.root.path == "rootfs"' "$d/config.json"
	[ ! -e "$cwd/config.json" ]
	# -b is the short form
	rm "$d/config.json"
	run "$WARD" spec -b "$d"
	assert_success
	jq -e . "$d/config.json" >/dev/null
}

@test "spec --rootless adds a user namespace, drops the network namespace, binds /sys" {
	local d="$BATS_TEST_TMPDIR/rl"
	mkdir "$d"
	run "$WARD" spec --rootless --bundle "$d"
	assert_success
	local c="$d/config.json"
	jq -e '[.linux.namespaces[].type] | index("user") != null' "$c"
	jq -e '[.linux.namespaces[].type] | index("network") == null' "$c"
	jq -e '[.linux.namespaces[].type | select(. == "user")] | length == 1' "$c"
	jq -e --argjson u "$(id -u)" '.linux.uidMappings == [{"containerID":0,"hostID":$u,"size":1}]' "$c"
	jq -e --argjson g "$(id -g)" '.linux.gidMappings == [{"containerID":0,"hostID":$g,"size":1}]' "$c"
	jq -e '[.mounts[] | select(.destination == "/sys")] | length == 1' "$c"
	jq -e '.mounts[] | select(.destination == "/sys") | .source == "/sys" and (.options | index("rbind") != null) and (.options | index("ro") != null)' "$c"
	# runc's ToRootless: no uid=/gid= mount options, no cgroup resources
	jq -e '[.mounts[].options[]? | select(test("^(uid|gid)="))] | length == 0' "$c"
	jq -e '.linux.resources == null' "$c"
}

@test "spec --rootless maps the caller's effective uid and gid" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	# a directory uid 1000 can reach ($BATS_TEST_TMPDIR's parents are private)
	RL_DIR=$(mktemp -d /tmp/ward-rootless-spec.XXXXXX)
	local d=$RL_DIR
	chmod 755 "$d"
	chown 1000:1000 "$d"
	run setpriv --reuid 1000 --regid 1000 --clear-groups "$WARD" spec --rootless --bundle "$d"
	assert_success
	jq -e '.linux.uidMappings == [{"containerID":0,"hostID":1000,"size":1}]' "$d/config.json"
	jq -e '.linux.gidMappings == [{"containerID":0,"hostID":1000,"size":1}]' "$d/config.json"
}

@test "features prints JSON with ociVersionMax, hooks, all 8 namespaces and capabilities" {
	run "$WARD" features
	assert_success
	echo "$output" | jq -e . >/dev/null
	echo "$output" | jq -e '.ociVersionMax | test("^1\\.[0-9]+\\.[0-9]+")'
	echo "$output" | jq -e '.ociVersionMin | test("^1\\.")'
	echo "$output" | jq -e '.hooks | sort == (["createContainer","createRuntime","poststart","poststop","prestart","startContainer"])'
	echo "$output" | jq -e '.linux.namespaces | sort == (["cgroup","ipc","mount","network","pid","time","user","uts"])'
	local n=$(($(cat /proc/sys/kernel/cap_last_cap) + 1))
	echo "$output" | jq -e --argjson n "$n" '.linux.capabilities | length == $n'
	echo "$output" | jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null and index("CAP_CHOWN") != null'
	echo "$output" | jq -e '.mountOptions | index("rbind") != null'
}

@test "list prints a table with runc's header" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	local pid
	pid=$(init_pid c1)
	run_ward list
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(echo "${lines[0]}" | awk '{$1=$1; print}')" = "ID PID STATUS BUNDLE CREATED OWNER" ]
	read -r id lpid st bundle created owner <<<"${lines[1]}"
	[ "$id" = c1 ]
	[ "$lpid" = "$pid" ]
	[ "$st" = created ]
	[ "$bundle" = "$BUNDLE" ]
	[ "$created" = "$(ward state c1 | jq -r .created)" ]
	[ "$owner" = "$(id -un)" ]
}

@test "list -q prints only the ids, one a line" {
	sleeper
	run_detached create -b "$BUNDLE" c2
	assert_success
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward list -q
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "c1 c2 " ]
	run_ward list --quiet
	assert_success
	[ "${#lines[@]}" -eq 2 ]
}

@test "list --format json prints an array of states" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	local pid
	pid=$(init_pid c1)
	run_ward list --format json
	assert_success
	echo "$output" | jq -e 'type == "array" and length == 1'
	echo "$output" | jq -e --arg b "$BUNDLE" --argjson p "$pid" \
		'.[0] | .id == "c1" and .status == "created" and .pid == $p and .bundle == $b'
	echo "$output" | jq -e --arg o "$(id -un)" '.[0].owner == $o'
	echo "$output" | jq -e '.[0].created | test("Z$")'
}

@test "list with no containers prints only the header, nothing with -q, an empty JSON list" {
	mkdir -p "$STATE_ROOT"
	run_ward list
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(echo "${lines[0]}" | awk '{$1=$1; print}')" = "ID PID STATUS BUNDLE CREATED OWNER" ]
	run_ward list -q
	assert_success
	[ -z "$output" ]
	run_ward list --format json
	assert_success
	# runc prints null, an empty array is as good
	echo "$output" | jq -e '(. == null) or (. == [])'
}

@test "list shows a container whose id starts with a dot (a valid runc id)" {
	sleeper
	run_detached create -b "$BUNDLE" .dot
	assert_success
	run_ward state .dot
	assert_success
	run_ward list -q
	assert_success
	[ "$output" = ".dot" ] || {
		echo "list -q printed \"$output\" although state .dot works" >&2
		return 1
	}
}

@test "state prints exactly runc's fields" {
	sleeper
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward state c1
	assert_success
	echo "$output" | jq -e 'keys == (["bundle","created","id","ociVersion","owner","pid","rootfs","status"])'
	echo "$output" | jq -e --arg v "$(jq -r .ociVersion "$BUNDLE/config.json")" '.ociVersion == $v'
	echo "$output" | jq -e '.id == "c1" and .status == "created"'
	echo "$output" | jq -e '.pid | type == "number" and . > 0'
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b and .rootfs == ($b + "/rootfs")'
	# runc leaves owner empty in `state` (only `list` fills it in)
	echo "$output" | jq -e '.owner == ""'
}

@test "state includes the config's annotations" {
	sleeper
	update_config '.annotations = {"org.example.key": "value", "org.example.other": "x y"}'
	run_detached create -b "$BUNDLE" c1
	assert_success
	run_ward state c1
	assert_success
	echo "$output" | jq -e 'keys == (["annotations","bundle","created","id","ociVersion","owner","pid","rootfs","status"])'
	echo "$output" | jq -e '.annotations == {"org.example.key": "value", "org.example.other": "x y"}'
}

@test "state created is an RFC 3339 UTC timestamp of the creation time" {
	sleeper
	local before after created
	before=$(date -u +%s)
	run_detached create -b "$BUNDLE" c1
	assert_success
	after=$(date -u +%s)
	created=$(ward state c1 | jq -r .created)
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]
	local t
	t=$(date -u -d "$created" +%s)
	[ "$t" -ge "$before" ]
	[ "$t" -le "$after" ]
}

@test "state of a missing container fails with does not exist" {
	run_ward state nosuch
	assert_failure
	assert_output_contains "does not exist"
	assert_output_contains "nosuch"
	assert_one_line
}

@test "single-dash long options work like runc's" {
	sleeper
	run_detached create -bundle "$BUNDLE" c1
	assert_success
	run "$WARD" -root "$STATE_ROOT" state c1
	assert_success
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b'
	run "$WARD" -root "$STATE_ROOT" list -format json
	assert_success
	echo "$output" | jq -e '.[0].id == "c1"'
	run "$WARD" -root "$STATE_ROOT" delete -force c1
	assert_success
	assert_no_leftovers c1
	local d="$BATS_TEST_TMPDIR/specdir"
	mkdir "$d"
	run "$WARD" spec -bundle "$d"
	assert_success
	[ -f "$d/config.json" ]
}
