#!/usr/bin/env bats
# The audit layer without auditd: the kernel prints records to its log
# (dmesg), ward's JSON log keeps every record and says where its twin went,
# and `ward audit search` reads the kernel log. The kernel's audit settings
# and printk rate limit are restored afterwards.

load helpers
load helpers_cli
load helpers_audit

setup_file() {
	export AUDIT_DIR="$BATS_FILE_TMPDIR/audit"
	mkdir -p "$AUDIT_DIR"
	local other
	other=$(auditctl -s | awk '$1 == "pid" {print $2}')
	if [ -n "$other" ] && [ "$other" != 0 ]; then
		file_skip "an auditd (pid $other) runs on this host; these tests need none"
		return 0
	fi
	audit_save_state "$AUDIT_DIR"
	auditctl -e 1 >/dev/null
	auditctl -d "${AUDIT_RULE[@]:1}" >/dev/null 2>&1 || true
	auditctl "${AUDIT_RULE[@]}" >/dev/null
	# Without auditd the kernel prints records at the printk rate limit
	# (10 per 5 s by default): lift it for the run.
	echo 0 >/proc/sys/kernel/printk_ratelimit
}

teardown_file() {
	[ -f "$AUDIT_DIR/skip" ] || audit_restore_state "$AUDIT_DIR"
}

setup() {
	check_file_skip
	setup_bundle
	export WARD_AUDIT_CONF="$BATS_TEST_TMPDIR/audit.json"
	printf '{"enabled": true, "hostLog": "%s"}\n' "$BATS_TEST_TMPDIR/host.jsonl" >"$WARD_AUDIT_CONF"
	ID="ak$BATS_TEST_NUMBER-$$"
}

teardown() {
	teardown_bundle
}

@test "audit without auditd: records reach the kernel log and ward's, and search reads the kernel log" {
	set_args sh -c "busybox echo mark-kmsg-$ID"
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	run jq -r '"\(.op) \(.kernel)"' "$(audit_log_of "$ID")"
	assert_output_contains "create kmsg"
	assert_output_contains "delete kmsg"
	run dmesg
	assert_output_contains "vm=\"$ID\""
	# No --input, no auditd: the kernel's log.
	local i
	for i in $(seq 1 50); do
		run ward audit search --format json "$ID"
		[[ "$output" == *"mark-kmsg-$ID"* ]] && break
		sleep 0.1
	done
	assert_equal "$(jq -r .source <<<"$output")" "the kernel log (no auditd)"
	run jq -r '.events[] | "\(.kind) \(.records | join(" "))"' <<<"$output"
	assert_output_contains "ward type=VIRT_CONTROL"
	assert_output_contains "op=init"
	assert_output_contains "container type="
	assert_output_contains "mark-kmsg-$ID"
}

@test "audit disabled in the kernel: ward's log keeps every record and says the kernel would drop its twin" {
	auditctl -e 0 >/dev/null
	set_args sh -c 'sleep 1000'
	run_detached create -b "$BUNDLE" "$ID"
	local rc=$status
	run ward inspect --format json "$ID"
	local kernel
	kernel=$(jq -r .audit.kernel <<<"$output")
	ward delete -f "$ID"
	auditctl -e 1 >/dev/null
	[ "$rc" = 0 ]
	assert_equal "$kernel" disabled
	run jq -r '"\(.op) \(.kernel)"' "$(audit_log_of "$ID")"
	assert_output_contains "create disabled"
	assert_output_contains "delete disabled"
}
