# Helpers for the audit tests (audit.bats with auditd, audit-kmsg.bats
# without). Kernel audit is one per host: a file that starts auditd or
# changes audit settings records what it found and restores it in
# teardown_file (rules, enabled flag, printk rate limits).

FORGE_SRC="$WARD_SRC/tests/audit/forge.c"

# The loginuid the containers' sessions begin with (audit/session.c): the
# caller's, or uid 0 for a caller without one (a daemon, CI).
container_auid() {
	local a
	a=$(cat /proc/self/loginuid)
	[ "$a" = 4294967295 ] && a=$(id -u)
	echo "$a"
}

# Our rule: every execve of a process whose loginuid is the containers'
# (so the rest of the host does not flood the log).
AUDIT_RULE=(-a always,exit -F arch=b64 -S execve -F auid="$(container_auid)" -k ward-audit-test)

# Remember the kernel's audit state ($1: directory to keep it in).
audit_save_state() {
	auditctl -s | awk '$1 == "enabled" {print $2}' >"$1/enabled"
	cat /proc/sys/kernel/printk_ratelimit >"$1/ratelimit"
	cat /proc/sys/kernel/printk_ratelimit_burst >"$1/burst"
}

audit_restore_state() {
	local d=$1
	auditctl -d "${AUDIT_RULE[@]:1}" >/dev/null 2>&1 || true
	[ -f "$d/ratelimit" ] && cat "$d/ratelimit" >/proc/sys/kernel/printk_ratelimit
	[ -f "$d/burst" ] && cat "$d/burst" >/proc/sys/kernel/printk_ratelimit_burst
	# (2 is "locked": nothing to restore, it cannot have been changed)
	local e
	e=$(cat "$d/enabled" 2>/dev/null)
	[ -n "$e" ] && [ "$e" != 2 ] && auditctl -e "$e" >/dev/null
	return 0
}

# bats 1.8 cannot skip from setup_file: record why, and each test skips.
file_skip() {
	echo "$1" >"$AUDIT_DIR/skip"
}
check_file_skip() {
	if [ -f "$AUDIT_DIR/skip" ]; then
		skip "$(cat "$AUDIT_DIR/skip")"
	fi
}

# Start our own auditd writing to $AUDIT_DIR/audit.log (its config is
# Debian's with our log file and synchronous writes). Skips the file when
# another auditd runs (ours could not take the kernel's connection).
auditd_start() {
	local other
	other=$(auditctl -s | awk '$1 == "pid" {print $2}')
	if [ -n "$other" ] && [ "$other" != 0 ]; then
		file_skip "an auditd (pid $other) already runs on this host; these tests start their own"
		return 0
	fi
	sed -e "s|^log_file = .*|log_file = $AUDIT_DIR/audit.log|" \
		-e 's|^log_group = .*|log_group = root|' \
		-e 's|^flush = .*|flush = DATA|' \
		-e "s|^plugin_dir = .*|plugin_dir = $AUDIT_DIR/plugins.d|" \
		-e 's|^space_left_action = .*|space_left_action = IGNORE|' \
		-e 's|^admin_space_left_action = .*|admin_space_left_action = IGNORE|' \
		-e 's|^disk_full_action = .*|disk_full_action = IGNORE|' \
		-e 's|^disk_error_action = .*|disk_error_action = IGNORE|' \
		/etc/audit/auditd.conf >"$AUDIT_DIR/auditd.conf"
	chmod 600 "$AUDIT_DIR/auditd.conf"
	mkdir -p "$AUDIT_DIR/plugins.d"
	auditd -n -c "$AUDIT_DIR" </dev/null >"$AUDIT_DIR/auditd.out" 2>&1 3>&- &
	echo $! >"$AUDIT_DIR/auditd.pid"
	local i
	for i in $(seq 1 100); do
		[ "$(auditctl -s | awk '$1 == "pid" {print $2}')" = "$(cat "$AUDIT_DIR/auditd.pid")" ] &&
			break
		sleep 0.05
	done
	auditctl -e 1 >/dev/null
	auditctl -d "${AUDIT_RULE[@]:1}" >/dev/null 2>&1 || true
	auditctl "${AUDIT_RULE[@]}" >/dev/null
}

auditd_stop() {
	local pid
	pid=$(cat "$AUDIT_DIR/auditd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	local i
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$AUDIT_DIR/auditd.pid"
}

# The static forger, built once per run.
build_forge() {
	local dir="${BATS_RUN_TMPDIR:-/tmp}/forge-$(sha256sum "$FORGE_SRC" | cut -c1-16)"
	if [ ! -x "$dir/forge" ]; then
		mkdir -p "$dir"
		cc -static -O2 -Wall -Wextra -Werror -o "$dir/forge.tmp.$$" "$FORGE_SRC" >&2
		mv -f "$dir/forge.tmp.$$" "$dir/forge"
	fi
	FORGE="$dir/forge"
}

# The container's audit ID, from `ward state`.
audit_id_of() {
	ward state "$1" | jq -r '.annotations["org.ward.audit.id"]'
}

# ward's JSON log of container $1.
audit_log_of() {
	echo "$STATE_ROOT/@audit/$1.jsonl"
}

# Kernel records of audit ID $1 (ausearch on our auditd's log), waiting up
# to ~5 s until one contains $2 (default: any).
kernel_records() {
	local want=${2:-uuid=} i out=
	for i in $(seq 1 100); do
		out=$(ausearch -if "$AUDIT_DIR/audit.log" --uuid "$1" 2>/dev/null || true)
		[[ "$out" == *"$want"* ]] && break
		sleep 0.05
	done
	printf '%s\n' "$out"
}

# `ward audit search` of container $1 on our auditd's log (--format json),
# waiting up to ~5 s until its output contains $2.
search_json() {
	local want=$2 i
	for i in $(seq 1 100); do
		output=$("$WARD" --root "$STATE_ROOT" audit search --input "$AUDIT_DIR/audit.log" \
			--format json "$1" 2>&1) || true
		[[ "$output" == *"$want"* ]] && return 0
		sleep 0.05
	done
	echo "audit search of $1 never contained \"$want\"; it gave:" >&2
	echo "$output" >&2
	return 1
}
