# Helpers of policy.bats: a policy file of the test's own, passed with
# --policy (the system policy /etc/ward/policy.json is never written: tests
# that need one run ward in a private mount namespace where /etc is an
# overlay), and audit records read from the container's JSON log.

setup_policy() {
	setup_bundle
	POLICY=$BATS_TEST_TMPDIR/policy.json
	# Audit records only to the container's JSON log under the test's state
	# root: not the host's log, not the kernel (kernel audit is shared).
	export WARD_AUDIT_CONF=$BATS_TEST_TMPDIR/audit.json
	echo '{"kernel": false, "hostLog": null}' >"$WARD_AUDIT_CONF"
}

# A new `ward spec` config in the bundle (options: --restricted, --landlock).
fresh_config() {
	rm -f "$BUNDLE/config.json"
	"$WARD" spec --bundle "$BUNDLE" "$@"
	update_config '.process.terminal = false'
}

# policy JSON: write the test's policy file.
policy() {
	printf '%s\n' "$1" >"$POLICY"
}

# ward with the test's state root and policy.
pward() {
	"$WARD" --root "$STATE_ROOT" --policy "$POLICY" "$@"
}
run_pward() {
	run "$WARD" --root "$STATE_ROOT" --policy "$POLICY" "$@"
}
run_pward_detached() {
	local log="$BATS_TEST_TMPDIR/detached.log"
	status=0
	"$WARD" --root "$STATE_ROOT" --policy "$POLICY" "$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
}

# The audit records of container $1 (JSON lines).
audit_records() {
	cat "$STATE_ROOT/@audit/$1.jsonl" 2>/dev/null
}

# Nothing of container $1 after a refusal: no state dir, cgroup, list
# entry, mount below the bundle; only the shared seccomp cache and the audit
# logs (kept after a container by design) in the state root.
assert_refused_nothing_left() {
	local id=$1
	assert_failure
	assert_no_leftovers "$id"
	local listed left
	listed=$("$WARD" --root "$STATE_ROOT" list -q 2>&1)
	if [ -n "$listed" ]; then
		echo "list -q not empty after a refusal: $listed" >&2
		return 1
	fi
	left=$(ls -A "$STATE_ROOT" 2>/dev/null | grep -vxE '@seccomp-cache|@audit' || true)
	if [ -n "$left" ]; then
		echo "left in the state root: $left" >&2
		return 1
	fi
	if grep -qF " $BUNDLE/" /proc/self/mountinfo; then
		echo "mounts left below $BUNDLE" >&2
		return 1
	fi
}

# refused ID ORIGIN/RULE FIELD: the last command refused container ID naming
# the rule and the field, left nothing, and recorded the denial (op deny,
# the rule, the field, the container's audit ID) in its JSON audit log.
assert_policy_refused() {
	local id=$1 rule=$2 field=$3
	assert_refused_nothing_left "$id"
	assert_output_contains "policy $rule: $field"
	local r
	r=$(audit_records "$id" | jq -c --arg r "${rule#*/}" --arg f "$field" \
		'select(.op == "deny" and .rule == $r and .field == $f)' | head -n 1)
	if [ -z "$r" ]; then
		echo "no deny record for $rule $field in $STATE_ROOT/@audit/$id.jsonl:" >&2
		audit_records "$id" >&2
		return 1
	fi
	jq -e '.result == "failed" and (.auditId | test("^[0-9a-f-]{36}$")) and
		(."policy-sha256" | test("^[0-9a-f]{64}$")) and .policy != null' <<<"$r" >/dev/null
}

# The bundle's config admitted: run it (args `true`) to completion.
assert_runs() {
	local id=${1:-ok1}
	set_args true
	run_pward run "$id"
	assert_success
}

# Run ward in a private mount namespace whose /etc is an overlay with
# /etc/ward/policy.json = $SYSTEM_POLICY (the host's /etc is untouched).
SYSTEM_POLICY=
run_with_system_policy() {
	local d=$BATS_TEST_TMPDIR/etc-overlay
	mkdir -p "$d/up/ward" "$d/work"
	printf '%s\n' "$SYSTEM_POLICY" >"$d/up/ward/policy.json"
	chmod 0644 "$d/up/ward/policy.json"
	[ -z "${SYSTEM_POLICY_MODE:-}" ] || chmod "$SYSTEM_POLICY_MODE" "$d/up/ward/policy.json"
	run unshare -m --propagation private sh -c \
		'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/work" /etc &&
		 shift && exec "$@"' sh "$d" "$WARD" --root "$STATE_ROOT" "$@"
}

# A process in new network, ipc and uts namespaces (a stand-in for a pod
# sandbox): its pid in $SANDBOX_PID.
start_sandbox() {
	unshare --net --ipc --uts --pid --fork --kill-child sleep 3600 </dev/null >/dev/null 2>&1 3>&- &
	SANDBOX_PID=$!
	local i
	for i in $(seq 1 100); do
		[ "$(readlink /proc/$SANDBOX_PID/ns/net)" != "$(readlink /proc/1/ns/net)" ] && return 0
		sleep 0.05
	done
	return 1
}
stop_sandbox() {
	# unshare --fork ignores SIGTERM; SIGKILL it, --kill-child takes the child
	[ -n "${SANDBOX_PID:-}" ] && kill -KILL "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
	SANDBOX_PID=
	return 0
}

# A CRI fixture (tests/fixtures/cri/CASE/FILE) with its /proc/PID/ns paths
# pointed at the test's sandbox process, written to $BATS_TEST_TMPDIR/cri.json.
cri_fixture() {
	local f=$WARD_SRC/tests/fixtures/cri/$1/$2
	jq --arg p "/proc/$SANDBOX_PID/ns/" '
		{"network": "net", "ipc": "ipc", "uts": "uts", "pid": "pid_for_children"} as $n
		| (.linux.namespaces[]? | select(.path)) |= (.path = $p + $n[.type])' \
		"$f" >"$BATS_TEST_TMPDIR/cri.json"
}

# `ward policy check` of a CRI fixture: sets $status and $output.
check_cri() {
	cri_fixture "$1" "$2"
	run "$WARD" --root "$STATE_ROOT" --policy "$POLICY" policy check --config "$BATS_TEST_TMPDIR/cri.json"
}
