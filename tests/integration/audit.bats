#!/usr/bin/env bats
# The audit layer with a real auditd (started by this file, with its own
# log, rules and settings, and stopped again): the container's audit ID,
# ward's kernel records, the kernel's records of the container's processes
# attributed through its audit session, forgery, ward's JSON log.
# audit-kmsg.bats covers the same without auditd.

load helpers
load helpers_cli
load helpers_cgroup
load helpers_audit
load helpers_inside
load helpers_landlock

setup_file() {
	export AUDIT_DIR="$BATS_FILE_TMPDIR/audit"
	mkdir -p "$AUDIT_DIR"
	audit_save_state "$AUDIT_DIR"
	auditd_start
}

teardown_file() {
	auditd_stop
	audit_restore_state "$AUDIT_DIR"
}

setup() {
	check_file_skip
	setup_bundle
	# Auditing on, as /etc/ward/audit.json would say, with the host log in
	# the test's own directory.
	export WARD_AUDIT_CONF="$BATS_TEST_TMPDIR/audit.json"
	printf '{"enabled": true, "hostLog": "%s"}\n' "$BATS_TEST_TMPDIR/host.jsonl" >"$WARD_AUDIT_CONF"
	ID="au$BATS_TEST_NUMBER-$$"
}

teardown() {
	teardown_bundle
}

# A container that stays up (sleeping) until the test stops it.
create_sleeper() {
	set_args sh -c "${2:-sleep 1000}"
	run_detached create -b "$BUNDLE" "$1"
	assert_success
}

@test "audit: every lifecycle command leaves its record; ausearch --uuid and --vm-name find them all" {
	create_sleeper "$ID"
	local uuid
	uuid=$(audit_id_of "$ID")
	[[ "$uuid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	ward start "$ID"
	run ward exec "$ID" true
	assert_success
	ward pause "$ID"
	ward resume "$ID"
	ward update --pids-limit 50 "$ID"
	ward kill "$ID" KILL
	wait_status "$ID" stopped
	ward delete "$ID"
	local recs op
	recs=$(kernel_records "$uuid" "op=delete")
	for op in create init start exec pause resume update kill delete; do
		if ! grep -q "op=$op .*vm=\"$ID\" uuid=$uuid .*res=success" <<<"$recs"; then
			echo "no successful op=$op record of $uuid in:" >&2
			echo "$recs" >&2
			return 1
		fi
	done
	# libvirt's shape: found by the VM name too, all of them.
	local by_name
	by_name=$(ausearch -if "$AUDIT_DIR/audit.log" --vm-name "$ID" 2>/dev/null | grep -c 'type=VIRT_CONTROL')
	assert_equal "$by_name" "$(grep -c 'type=VIRT_CONTROL' <<<"$recs")"
	# ward's JSON log has each record too, saying auditd took its twin.
	run jq -r '"\(.op) \(.result) \(.kernel) \(.auditId)"' "$(audit_log_of "$ID")"
	for op in create init start exec pause resume update kill delete; do
		assert_output_contains "$op success auditd $uuid"
	done
	# And the host-wide log.
	run jq -r .op "$BATS_TEST_TMPDIR/host.jsonl"
	assert_output_contains "delete"
}

@test "audit: a failed command is recorded as failed, with ward's reason" {
	create_sleeper "$ID"
	local uuid
	uuid=$(audit_id_of "$ID")
	run ward exec "$ID" /no/such/program
	assert_failure
	run jq -r 'select(.op == "exec") | "\(.result) \(.reason)"' "$(audit_log_of "$ID")"
	assert_output_contains "failed"
	assert_output_contains "/no/such/program"
	run kernel_records "$uuid" "op=exec"
	assert_output_contains "res=failed"
}

@test "audit: the init record maps the container: session, init pid, pid and net namespaces, cgroup, boot id" {
	create_sleeper "$ID"
	local pid m
	pid=$(init_pid "$ID")
	m=$(jq -c 'select(.op == "init")' "$(audit_log_of "$ID")")
	assert_equal "$(jq -r '."init-pid"' <<<"$m")" "$pid"
	assert_equal "$(jq -r '."pid-ns"' <<<"$m")" "$(stat -L -c %i "/proc/$pid/ns/pid")"
	assert_equal "$(jq -r '."net-ns"' <<<"$m")" "$(stat -L -c %i "/proc/$pid/ns/net")"
	assert_equal "$(jq -r '."boot-id"' <<<"$m")" "$(cat /proc/sys/kernel/random/boot_id)"
	assert_equal "$(jq -r .attribution <<<"$m")" session
	# The session is the kernel's: the init and what it runs carry it.
	assert_equal "$(jq -r .ses <<<"$m")" "$(cat "/proc/$pid/sessionid")"
	[ "$(jq -r .ses <<<"$m")" != "$(cat /proc/self/sessionid)" ]
	local cg
	cg=$(jq -r .cgroup <<<"$m")
	assert_equal "$(jq -r '."cgroup-id"' <<<"$m")" "$(stat -c %i "$cg")"
	grep -qx "$pid" "$cg/cgroup.procs"
	assert_equal "$(jq -r '."audit-control"' <<<"$m")" false
}

@test "audit: an execve inside the container by a process ward never saw is attributed to the container" {
	create_sleeper "$ID" 'sleep 0.3; busybox echo mark-in-'"$ID"'; sleep 1000'
	ward start "$ID"
	search_json "$ID" "mark-in-$ID"
	# It is the kernel's own record of the container's process, found
	# through the session: a "container" event with an EXECVE record.
	run jq -r '.events[] | select(.kind == "container") | .records[]' <<<"$output"
	assert_output_contains "type=EXECVE"
	assert_output_contains "a2=\"mark-in-$ID\""
	# The documented ausearch line finds it as well.
	local ses
	ses=$(jq -r 'select(.op == "init") | .ses' "$(audit_log_of "$ID")")
	run ausearch -if "$AUDIT_DIR/audit.log" --session "$ses" -k ward-audit-test
	assert_output_contains "mark-in-$ID"
}

@test "audit: two containers' records never mix" {
	create_sleeper "$ID-a" 'busybox echo mark-a-'"$ID"'; sleep 1000'
	create_sleeper "$ID-b" 'busybox echo mark-b-'"$ID"'; sleep 1000'
	ward start "$ID-a"
	ward start "$ID-b"
	[ "$(audit_id_of "$ID-a")" != "$(audit_id_of "$ID-b")" ]
	search_json "$ID-a" "mark-a-$ID"
	assert_output_not_contains "mark-b-$ID"
	assert_output_not_contains "$(audit_id_of "$ID-b")"
	search_json "$ID-b" "mark-b-$ID"
	assert_output_not_contains "mark-a-$ID"
	assert_output_not_contains "$(audit_id_of "$ID-a")"
}

@test "audit: a ward exec process gets a session of its own, mapped by its exec record" {
	create_sleeper "$ID"
	ward start "$ID"
	run ward exec "$ID" busybox echo "mark-exec-$ID"
	assert_success
	local init_ses exec_ses
	init_ses=$(jq -r 'select(.op == "init") | .ses' "$(audit_log_of "$ID")")
	exec_ses=$(jq -r 'select(.op == "exec") | .ses' "$(audit_log_of "$ID")")
	[ -n "$exec_ses" ] && [ "$exec_ses" != null ] && [ "$exec_ses" != "$init_ses" ]
	search_json "$ID" "mark-exec-$ID"
	run jq -r '.sessions[].ses' <<<"$output"
	assert_output_contains "$init_ses"
	assert_output_contains "$exec_ses"
}

@test "audit: the ID cannot be changed: not by the bundle, update, exec, or the container" {
	create_sleeper "$ID" 'echo 0 > /proc/self/loginuid 2>/dev/null && echo CHANGED; cat /proc/self/sessionid; sleep 1000'
	local uuid ses
	uuid=$(audit_id_of "$ID")
	ses=$(jq -r 'select(.op == "init") | .ses' "$(audit_log_of "$ID")")
	# The bundle's config is not read again.
	update_config --arg u "$(cat /proc/sys/kernel/random/uuid)" '.annotations["org.ward.audit.id"] = $u'
	ward start "$ID"
	assert_equal "$(audit_id_of "$ID")" "$uuid"
	# update takes resources only.
	run ward update -r - "$ID" <<<'{"annotations": {"org.ward.audit.id": "11111111-1111-4111-8111-111111111111"}, "pids": {"limit": 60}}'
	assert_equal "$(audit_id_of "$ID")" "$uuid"
	# An exec with a process file that says otherwise changes nothing.
	echo '{"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "annotations": {"org.ward.audit.id": "22222222-2222-4222-8222-222222222222"}}' >"$BATS_TEST_TMPDIR/p.json"
	ward exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	assert_equal "$(audit_id_of "$ID")" "$uuid"
	# Inside, root cannot leave its session (no CAP_AUDIT_CONTROL): the
	# loginuid write fails and the session is the one its exec record maps.
	run ward exec "$ID" sh -c 'echo 0 > /proc/self/loginuid && echo CHANGED; cat /proc/self/sessionid'
	assert_output_not_contains CHANGED
	assert_output_contains "$(jq -r 'select(.op == "exec") | .ses' "$(audit_log_of "$ID")" | tail -n 1)"
	# And the init, which tried the same first thing, kept the init's.
	assert_equal "$(cat "/proc/$(init_pid "$ID")/sessionid")" "$ses"
	# The state is out of the container's reach.
	run ward exec "$ID" ls "$STATE_ROOT"
	assert_failure
	assert_equal "$(audit_id_of "$ID")" "$uuid"
}

@test "audit: an audit ID held by a live container is refused to another, and free again once it is deleted" {
	create_sleeper "$ID"
	local uuid
	uuid=$(audit_id_of "$ID")
	local other="$BATS_TEST_TMPDIR/other"
	mkdir -p "$other"
	cp -a "$BUNDLE/rootfs" "$other/rootfs"
	jq --arg u "$uuid" '.annotations["org.ward.audit.id"] = $u' "$BUNDLE/config.json" >"$other/config.json"
	# Another state root: the registry is the host's.
	run "$WARD" --root "$BATS_TEST_TMPDIR/state2" create -b "$other" "$ID-2"
	assert_failure
	assert_one_line
	assert_output_contains "annotations.org.ward.audit.id: $uuid is already the audit ID of container $ID"
	[ ! -e "$BATS_TEST_TMPDIR/state2/$ID-2" ]
	ward delete -f "$ID"
	run_detached --root "$BATS_TEST_TMPDIR/state2" create -b "$other" "$ID-2"
	assert_success
	assert_equal "$("$WARD" --root "$BATS_TEST_TMPDIR/state2" state "$ID-2" | jq -r '.annotations["org.ward.audit.id"]')" "$uuid"
	"$WARD" --root "$BATS_TEST_TMPDIR/state2" delete -f "$ID-2"
}

@test "audit: a malformed org.ward.audit.id is refused, naming the annotation, and leaves nothing" {
	local bad
	for bad in "not-a-uuid" "00000000-0000-0000-0000-000000000000" "3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5" 7; do
		if [ "$bad" = 7 ]; then
			update_config '.annotations["org.ward.audit.id"] = 7'
		else
			update_config --arg u "$bad" '.annotations["org.ward.audit.id"] = $u'
		fi
		run ward create -b "$BUNDLE" "$ID"
		assert_refused_cleanly "$ID" "config.json: annotations.org.ward.audit.id"
	done
}

@test "audit: the engine's ID (the annotation) is the container's in state, list, inspect, events and every record" {
	# With the annotation alone: auditing settings off.
	echo '{"enabled": false}' >"$WARD_AUDIT_CONF"
	local uuid=3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5b
	update_config --arg u "${uuid^^}" '.annotations["org.ward.audit.id"] = $u'
	create_sleeper "$ID"
	ward start "$ID"
	# (the engine's text as given: the state keeps the config's annotation)
	run ward state "$ID"
	assert_output_contains "${uuid^^}"
	run ward list --format json
	assert_output_contains "${uuid^^}"
	run ward inspect --format json "$ID"
	assert_equal "$(jq -r .audit.id <<<"$output")" "${uuid^^}"
	run ward events --audit --stats "$ID"
	assert_success
	assert_equal "$(jq -r 'select(.data.op == "start") | .type' <<<"$output")" audit
	run kernel_records "$uuid" "op=start"
	assert_output_contains "uuid=$uuid vm-pid=$(init_pid "$ID")"
}

@test "audit: a record forged inside a container is told apart from ward's" {
	build_forge
	cp "$FORGE" "$BUNDLE/rootfs/bin/forge"
	# Docker's default capability set keeps CAP_AUDIT_WRITE.
	update_config '.process.capabilities |= with_entries(.value |= (. + ["CAP_AUDIT_WRITE"] | unique))'
	create_sleeper "$ID"
	local uuid ses
	uuid=$(audit_id_of "$ID")
	ses=$(jq -r 'select(.op == "init") | .ses' "$(audit_log_of "$ID")")
	ward start "$ID"
	run ward exec "$ID" forge 2500 "virt=ward op=delete reason=\"ok\" vm=\"$ID\" uuid=$uuid vm-pid=1 exe=\"/usr/bin/ward\" hostname=? addr=? terminal=? res=success"
	assert_output_contains sent
	# The kernel set the sender's session on it: the container's (the
	# forger's exec began one of its own, which its exec record maps).
	ses=$(jq -r 'select(.op == "exec") | .ses' "$(audit_log_of "$ID")" | tail -n 1)
	local forged
	forged=$(kernel_records "$uuid" "vm-pid=1 ")
	run grep "vm-pid=1 " <<<"$forged"
	assert_output_contains "ses=$ses "
	# ward's own records carry ward's (the caller's) session.
	run grep "op=create" <<<"$forged"
	assert_output_contains "ses=$(cat /proc/self/sessionid) "
	search_json "$ID" '"forged"'
	run jq -r '.events[] | select(.kind == "forged") | "\(.why) \(.records[0])"' <<<"$output"
	assert_output_contains "sent from audit session $ses"
	assert_output_contains "vm-pid=1 "
	# Nothing else was judged forged, and the real records are ward's.
	run "$WARD" --root "$STATE_ROOT" audit search --input "$AUDIT_DIR/audit.log" "$ID"
	assert_success
	assert_output_contains "# FORGED: sent from audit session $ses"
	[ "$(grep -c '^# FORGED' <<<"$output")" = 1 ]
}

@test "audit: a container holding CAP_AUDIT_CONTROL is flagged, and indeed can leave its session" {
	update_config '.process.capabilities |= with_entries(.value |= (. + ["CAP_AUDIT_CONTROL"] | unique))'
	create_sleeper "$ID" 'echo 0 > /proc/self/loginuid; sleep 1000'
	assert_equal "$(jq -r 'select(.op == "init") | ."audit-control"' "$(audit_log_of "$ID")")" true
	run kernel_records "$(audit_id_of "$ID")" "op=init"
	assert_output_contains 'audit-control="yes"'
	ward start "$ID"
	wait_for '[ "$(ward inspect --format json "$ID" | jq -r .audit.sessionKept)" = false ]'
	run ward inspect "$ID"
	assert_output_contains "LEFT"
	assert_output_contains "AUDIT_CONTROL  HELD"
}

@test "audit: ward spec never grants CAP_AUDIT_CONTROL" {
	local d="$BATS_TEST_TMPDIR/spec"
	mkdir -p "$d"
	"$WARD" spec --bundle "$d"
	run jq -r '.process.capabilities | .[] | .[]' "$d/config.json"
	assert_output_not_contains CAP_AUDIT_CONTROL
	rm "$d/config.json"
	"$WARD" spec --rootless --bundle "$d"
	run jq -r '.process.capabilities | .[] | .[]' "$d/config.json"
	assert_output_not_contains CAP_AUDIT_CONTROL
}

@test "audit: a caller that cannot begin sessions: the records fall back to the namespaces and say why" {
	# A caller whose loginuid is set and who lacks CAP_AUDIT_CONTROL (as
	# with an immutable loginuid, the kernel refuses a new session).
	set_args sh -c 'sleep 1000'
	run sh -c 'echo 0 > /proc/self/loginuid && exec setpriv --bounding-set -audit_control "$0" --root "$1" create -b "$2" "$3" </dev/null >/dev/null 2>&1' \
		"$WARD" "$STATE_ROOT" "$BUNDLE" "$ID"
	assert_success
	local m
	m=$(jq -c 'select(.op == "init")' "$(audit_log_of "$ID")")
	assert_equal "$(jq -r .attribution <<<"$m")" pid-ns
	assert_equal "$(jq -r '."session-error"' <<<"$m")" "Operation not permitted"
	assert_equal "$(jq -r '."pid-ns"' <<<"$m")" "$(stat -L -c %i "/proc/$(init_pid "$ID")/ns/pid")"
	run ward inspect "$ID"
	assert_output_contains "pid-ns (Operation not permitted)"
}

@test "audit: auditd killed mid-run: the container keeps working, records go on to ward's log, which says where" {
	create_sleeper "$ID"
	ward start "$ID"
	run ward inspect --format json "$ID"
	assert_equal "$(jq -r .audit.kernel <<<"$output")" auditd
	auditd_stop
	run ward exec "$ID" echo still-here
	assert_success
	assert_equal "$output" still-here
	ward kill "$ID" KILL
	wait_status "$ID" stopped
	ward delete "$ID"
	run jq -r 'select(.op == "exec" or .op == "kill" or .op == "delete") | .kernel' "$(audit_log_of "$ID")"
	assert_output_not_contains auditd
	assert_output_contains kmsg
	# Back for the tests that follow.
	auditd_start
}

@test "audit: the container's log outlives it, and search still finds it by name" {
	create_sleeper "$ID" 'busybox echo mark-gone-'"$ID"'; sleep 1000'
	ward start "$ID"
	local uuid
	uuid=$(audit_id_of "$ID")
	search_json "$ID" "mark-gone-$ID"
	ward delete -f "$ID"
	run ward audit log "$ID"
	assert_success
	assert_output_contains '"op":"delete"'
	search_json "$ID" 'op=delete'
	assert_equal "$(jq -r .auditId <<<"$output")" "$uuid"
	assert_output_contains "mark-gone-$ID"
}

# A ward in a ward container: the outer is audited, the inner records the
# outer's ID as its parent.
@test "audit: a ward nested in an audited container records the outer container's ID as parent" {
	local ws
	ws=$(dirname "$WARD")/ward-static
	[ -x "$ws" ] || skip "no $ws (configure with -Dstatic_ward=enabled)"
	cp "$ws" "$BUNDLE/rootfs/bin/ward"
	mkdir -p "$BUNDLE/rootfs/inner"
	cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs/inner/rootfs"
	"$WARD" spec --bundle "$BUNDLE/rootfs/inner"
	jq '.process.terminal = false | .process.args = ["true"] | .linux.cgroupsPath = "/au-inner-'"$ID"'"' \
		"$BUNDLE/rootfs/inner/config.json" >"$BUNDLE/inner.json"
	mv "$BUNDLE/inner.json" "$BUNDLE/rootfs/inner/config.json"
	update_config --argjson c "$(host_cap_names_json)" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}
		| .process.noNewPrivileges = false
		| del(.linux.seccomp)
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(if .destination == "/sys/fs/cgroup" then .options = (.options - ["ro"] + ["rw"]) else . end)
		| .mounts += [{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}]
		| .process.env += ["WARD_AUDIT=1"]'
	set_args sh -c 'if [ -e /sys/fs/cgroup/cgroup.controllers ]; then mkdir -p /sys/fs/cgroup/outer && echo $$ >/sys/fs/cgroup/outer/cgroup.procs; fi; ward --root /run/ward run -b /inner inner && cat /run/ward/@audit/inner.jsonl'
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	local outer
	outer=$(jq -r 'select(.op == "create") | .auditId' "$(audit_log_of "$ID")")
	run jq -r 'select(.op == "create") | "\(.id) \(.parent)"' <<<"$(grep '^{' <<<"$output")"
	assert_equal "$output" "inner $outer"
	# The inner ward's kernel record carries it too, sent from the outer
	# container's session (the kernel's word for where it came from).
	local outer_ses recs
	outer_ses=$(jq -r 'select(.op == "init") | .ses' "$(audit_log_of "$ID")")
	recs=$(ausearch -if "$AUDIT_DIR/audit.log" --vm-name inner 2>/dev/null | grep "parent=$outer" | grep 'op=create' || true)
	[[ "$recs" == *" ses=$outer_ses "* ]] || { echo "no inner create record from session $outer_ses: $recs" >&2; return 1; }
	find /sys/fs/cgroup -maxdepth 3 -name "au-inner-$ID" -exec rmdir {} + 2>/dev/null || true
}
