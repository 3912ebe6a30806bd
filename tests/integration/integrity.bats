#!/usr/bin/env bats
# linux.integrity: a measurement list per container in IMA's formats, checked
# with IMA's own tools (evmctl) and an independent PCR recomputation;
# appraisal against keys a test CA certifies (openssl, evmctl ima_sign);
# the monitor's fail-closed behaviour, tried by killing it. No mocks: the
# kernel's fanotify answers every exec here.

load helpers
load helpers_integrity
load helpers_landlock
load helpers_inside

setup_file() {
	make_pki
}

setup() {
	need_integrity_tools
	setup_bundle
	update_config '.root.readonly = false'
	sign "$BUNDLE/rootfs/bin/busybox"
}

teardown() {
	teardown_bundle
}

# ---------------------------------------------------------------- measure

@test "measure: the list holds what ran, with the digests sha256sum computes" {
	variant only-here
	integrity_config '{"mode": "measure"}'
	set_args sh -c '/v/only-here/busybox true; echo done'
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	assert_output_contains done
	run list_files c1
	assert_success
	assert_output_contains "$(sha256sum "$BUNDLE/rootfs/bin/busybox" | cut -d' ' -f1) /bin/busybox"
	assert_output_contains "$(sha256sum "$BUNDLE/rootfs/v/only-here/busybox" | cut -d' ' -f1) /v/only-here/busybox"
	# and the ascii list says the same
	run list_ascii c1
	assert_output_matches "ima-sig sha256:$(sha256sum "$BUNDLE/rootfs/v/only-here/busybox" | cut -d' ' -f1) /v/only-here/busybox"
}

@test "measure: evmctl ima_measurement accepts the binary list against ward integrity pcr" {
	integrity_config '{"mode": "measure"}'
	set_args sh -c 'true'
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	list_binary c1
	ward integrity pcr --format pcrs c1 >"$BATS_TEST_TMPDIR/pcrs"
	run evmctl ima_measurement --pcrs "sha256,$BATS_TEST_TMPDIR/pcrs" "$BATS_TEST_TMPDIR/c1.bin"
	assert_success
	assert_output_contains "Matched per TPM bank"
	ward integrity pcr --format pcrs --bank sha1 c1 >"$BATS_TEST_TMPDIR/pcrs1"
	run evmctl ima_measurement --pcrs "sha1,$BATS_TEST_TMPDIR/pcrs1" "$BATS_TEST_TMPDIR/c1.bin"
	assert_success
	# a PCR that is not the list's is refused
	# (its first hex digit changed: 0 becomes 1, anything else 0)
	sed -i 's/^PCR-10: 0/PCR-10: 1/; t; s/^PCR-10: ./PCR-10: 0/' "$BATS_TEST_TMPDIR/pcrs"
	if grep -qxF "$(ward integrity pcr --format pcrs c1 | grep '^PCR-10:')" "$BATS_TEST_TMPDIR/pcrs"; then false; fi
	run evmctl ima_measurement --pcrs "sha256,$BATS_TEST_TMPDIR/pcrs" "$BATS_TEST_TMPDIR/c1.bin"
	assert_failure
}

@test "measure: an independent recomputation of PCR 10 agrees with ward integrity pcr" {
	integrity_config '{"mode": "measure"}'
	add_dynamic_true
	set_args sh -c '/bin/dyntrue; true'
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	list_binary c1
	run python3 "$INTEGRITY_PCR_PY" "$BATS_TEST_TMPDIR/c1.bin"
	assert_success
	local recomputed=$output
	run ward integrity pcr c1
	assert_success
	assert_equal "$(echo "$output" | awk '{print $2, $3}')" \
		"$(echo "$recomputed" | grep -v count)"
	assert_equal "$(ward integrity status c1 | jq .entries)" "$(echo "$recomputed" | awk '/count/ {print $2}')"
}

@test "measure: the list begins with boot_aggregate, the policy and the keys in force" {
	integrity_config "{\"mode\": \"measure\", \"keys\": [\"$PKI/sign.pem\"]}"
	set_args true
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	run list_ascii c1
	assert_success
	[[ "$(sed -n 1p <<<"$output")" == *" ima-sig sha256:$(printf '0%.0s' {1..64}) boot_aggregate "* ]]
	[[ "$(sed -n 2p <<<"$output")" == *" ima-buf sha256:"*" ward-policy "* ]]
	# the key record is the certificate itself (as IMA measures .ima keys)
	local der
	der=$(xxd -p "$PKI/sign.der" | tr -d '\n')
	[[ "$(sed -n 3p <<<"$output")" == *" ima-buf sha256:$(sha256sum "$PKI/sign.der" | cut -d' ' -f1) .ima $der" ]]
	# the policy record's buffer is the policy, as JSON
	sed -n 2p <<<"$output" | awk '{print $NF}' | xxd -r -p | jq -e '.mode == "measure" and (.keys | length) == 1'
}

@test "measure: a shared library load is measured (the loader and libc of a dynamic program)" {
	integrity_config '{"mode": "measure"}'
	add_dynamic_true
	set_args /bin/dyntrue
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	run list_files c1
	assert_success
	local lib
	for lib in $(ldd /bin/true | grep -o '/[^ ]*'); do
		assert_output_contains "$(sha256sum "$BUNDLE/rootfs$lib" | cut -d' ' -f1) "
	done
	assert_output_contains "$(sha256sum /lib/x86_64-linux-gnu/libc.so.6 | cut -d' ' -f1) /lib/x86_64-linux-gnu/libc.so.6"
}

@test "measure: a script run through #! is measured with its interpreter" {
	integrity_config '{"mode": "measure"}'
	printf '#!/bin/sh\necho script-ran\n' >"$BUNDLE/rootfs/bin/script"
	chmod +x "$BUNDLE/rootfs/bin/script"
	set_args /bin/script
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	assert_output_contains script-ran
	run list_files c1
	assert_output_contains "$(sha256sum "$BUNDLE/rootfs/bin/script" | cut -d' ' -f1) /bin/script"
	assert_output_contains " /bin/busybox"
}

@test "measure: ward exec processes are measured like the init's" {
	integrity_config '{"mode": "measure"}'
	variant via-exec
	start_sleeper
	run ward exec c1 /v/via-exec/busybox true
	assert_success
	run list_files c1
	assert_output_contains "$(sha256sum "$BUNDLE/rootfs/v/via-exec/busybox" | cut -d' ' -f1) /v/via-exec/busybox"
}

@test "measure: two containers' lists never mix" {
	integrity_config '{"mode": "measure"}'
	variant only-a
	variant only-b
	cp -a "$BUNDLE" "$BATS_TEST_TMPDIR/bundle2"
	update_config '.process.args = ["sh", "-c", "/v/only-a/busybox true; sleep 60"]'
	run_detached run -d -b "$BUNDLE" a
	assert_success
	BUNDLE="$BATS_TEST_TMPDIR/bundle2" update_config '.process.args = ["sh", "-c", "/v/only-b/busybox true; sleep 60"]'
	run_detached run -d -b "$BATS_TEST_TMPDIR/bundle2" b
	assert_success
	wait_until "list_ascii a | grep -q only-a && list_ascii b | grep -q only-b"
	run list_ascii a
	assert_output_not_contains only-b
	run list_ascii b
	assert_output_not_contains only-a
	[ "$(ward integrity pcr a)" != "$(ward integrity pcr b)" ]
}

@test "measure: the container reads its own list, read-only, where IMA's would be" {
	integrity_config '{"mode": "measure"}'
	set_args sh -c 'cat /sys/kernel/security/ima/ascii_runtime_measurements; echo x >> /sys/kernel/security/ima/ascii_runtime_measurements && echo WROTE'
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_contains " /bin/busybox"
	assert_output_not_contains WROTE
	assert_output_contains "Read-only file system"
}

@test "measure: memfd exec is refused inside (vm.memfd_noexec=2 in its pid namespace)" {
	build_llprobe
	cp "$LLPROBE" "$BUNDLE/rootfs/bin/llprobe"
	integrity_config '{"mode": "measure"}'
	set_args /bin/llprobe memfd-exec:/bin/busybox
	run_ward run -b "$BUNDLE" c1
	assert_success
	assert_output_contains EACCES
}

# --------------------------------------------------------------- appraise

@test "appraise-enforce: signed binaries run; unsigned and tampered ones get EPERM, a record, and the container keeps running" {
	enforce_config
	variant unsigned
	variant tampered
	sign "$BUNDLE/rootfs/v/tampered/busybox"
	# one byte of a string table changed after signing: it still runs
	printf 'X' | dd of="$BUNDLE/rootfs/v/tampered/busybox" bs=1 seek=$(($(stat -c %s "$BUNDLE/rootfs/v/tampered/busybox") - 1)) conv=notrunc 2>/dev/null
	set_args sh -c '/v/unsigned/busybox echo UNSIGNED-RAN; echo "u=$?"; /v/tampered/busybox echo TAMPERED-RAN; echo "t=$?"; echo alive'
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	assert_output_not_contains UNSIGNED-RAN
	assert_output_not_contains TAMPERED-RAN
	assert_output_contains "/v/unsigned/busybox: Operation not permitted"
	assert_output_contains "/v/tampered/busybox: Operation not permitted"
	assert_output_contains alive
	run records c1 integrity
	assert_output_contains '"path":"/v/unsigned/busybox"'
	assert_output_contains '"verdict":"denied"'
	assert_output_contains 'no signature'
	assert_output_contains 'does not verify'
	# the records carry the container's audit ID
	local aid
	aid=$(ward state c1 | jq -r '.annotations["org.ward.audit.id"]')
	[ -n "$aid" ] && [ "$aid" != null ]
	[ "$(records c1 integrity | wc -l)" -ge 2 ]
	[ -z "$(records c1 integrity | jq -r --arg a "$aid" 'select(.auditId != $a)')" ]
}

@test "appraise-enforce: the list carries the signatures, and evmctl --verify-sig verifies them" {
	enforce_config
	set_args true
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	list_binary c1
	ward integrity pcr --format pcrs c1 >"$BATS_TEST_TMPDIR/pcrs"
	run evmctl ima_measurement -v --verify-sig --key "$PKI/sign.der" --pcrs "sha256,$BATS_TEST_TMPDIR/pcrs" "$BATS_TEST_TMPDIR/c1.bin"
	assert_success
	assert_output_contains "/bin/busybox: verification is OK"
	assert_output_contains "Matched per TPM bank"
}

@test "appraise-enforce: a shared library that is not signed cannot be loaded" {
	enforce_config
	add_dynamic_true
	sign "$BUNDLE/rootfs/bin/dyntrue" "$BUNDLE/rootfs/lib64/ld-linux-x86-64.so.2"
	set_args sh -c '/bin/dyntrue && echo DYN-RAN; echo after'
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_not_contains DYN-RAN
	assert_output_contains "libc.so.6"
	assert_output_contains after
	run records c1 integrity
	assert_output_contains '"path":"/lib/x86_64-linux-gnu/libc.so.6"'
	# signed, it loads
	sign "$BUNDLE/rootfs/lib/x86_64-linux-gnu/libc.so.6"
	run_ward run -b "$BUNDLE" c2
	assert_output_contains DYN-RAN
}

@test "appraise-enforce: ward exec of an unsigned binary is refused, a signed one runs" {
	enforce_config
	variant unsigned
	start_sleeper
	run ward exec c1 /v/unsigned/busybox echo RAN
	assert_failure
	assert_output_not_contains RAN
	run ward exec c1 /bin/busybox echo signed-ran
	assert_success
	assert_output_contains signed-ran
}

@test "appraise-log: unsigned binaries run and each failure is recorded" {
	enforce_config appraise-log
	variant unsigned
	set_args sh -c '/v/unsigned/busybox echo UNSIGNED-RAN'
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	assert_output_contains UNSIGNED-RAN
	run records c1 integrity
	assert_output_contains '"path":"/v/unsigned/busybox"'
	assert_output_contains '"verdict":"logged"'
}

@test "appraise-enforce: detached signatures (getfattr --dump) for a rootfs without xattrs" {
	variant signed-apart
	variant unsigned
	sign "$BUNDLE/rootfs/v/signed-apart/busybox"
	(cd "$BUNDLE/rootfs" && getfattr -R -d -m security.ima -e hex bin v) >"$BATS_TEST_TMPDIR/sigs.txt"
	setfattr -x security.ima "$BUNDLE/rootfs/bin/busybox"
	setfattr -x security.ima "$BUNDLE/rootfs/v/signed-apart/busybox"
	run getfattr -n security.ima "$BUNDLE/rootfs/bin/busybox"
	assert_failure
	integrity_config "{\"mode\": \"appraise-enforce\", \"keys\": [\"$PKI/sign.pem\"], \"signatures\": \"$BATS_TEST_TMPDIR/sigs.txt\"}"
	set_args sh -c '/v/signed-apart/busybox echo APART-RAN; /v/unsigned/busybox echo UNSIGNED-RAN; echo end'
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_contains APART-RAN
	assert_output_not_contains UNSIGNED-RAN
	assert_output_contains end
	run records c1 integrity
	assert_output_contains '"path":"/v/unsigned/busybox"'
	# the list records the detached signature like an xattr (ima-sig)
	run list_ascii c1
	assert_output_matches "/v/signed-apart/busybox 030204"
}

@test "appraise-enforce: a hash allow-list (sha256sum lines)" {
	variant listed
	variant unlisted
	(cd "$BUNDLE/rootfs" && sha256sum bin/busybox v/listed/busybox) >"$BATS_TEST_TMPDIR/allow.sha256"
	integrity_config "{\"mode\": \"appraise-enforce\", \"allowList\": \"$BATS_TEST_TMPDIR/allow.sha256\"}"
	set_args sh -c '/v/listed/busybox echo LISTED-RAN; /v/unlisted/busybox echo UNLISTED-RAN; echo end'
	run_ward run -b "$BUNDLE" c1
	assert_output_contains LISTED-RAN
	assert_output_not_contains UNLISTED-RAN
	assert_output_contains end
}

@test "appraise-enforce: a file changed after its verdict is appraised again" {
	enforce_config
	variant tool
	sign "$BUNDLE/rootfs/v/tool/busybox"
	start_sleeper
	run ward exec c1 /v/tool/busybox echo first
	assert_output_contains first
	# rewritten in place, same inode: the cached verdict must not stand
	printf 'x' >>"$BUNDLE/rootfs/v/tool/busybox"
	run ward exec c1 /v/tool/busybox echo second
	assert_failure
	assert_output_not_contains second
	# signed again, it runs again
	sign "$BUNDLE/rootfs/v/tool/busybox"
	run ward exec c1 /v/tool/busybox echo third
	assert_output_contains third
}

# ------------------------------------------------------------------ policy

@test "the policy can be replaced once (measure to appraise-enforce), and not twice" {
	integrity_config '{"mode": "measure"}'
	variant unsigned
	start_sleeper
	run ward exec c1 /v/unsigned/busybox echo before
	assert_output_contains before
	variant unsigned2
	echo "{\"mode\": \"appraise-enforce\", \"keys\": [\"$PKI/sign.pem\"]}" >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_success
	[ "$(echo "$output" | jq -r .mode)" = appraise-enforce ]
	run ward exec c1 /v/unsigned2/busybox echo after
	assert_failure
	assert_output_not_contains after
	# recorded: in the list (a second policy record, the key) and the audit log
	run list_ascii c1
	[ "$(grep -c ' ward-policy ' <<<"$output")" = 2 ]
	assert_output_contains " .ima "
	run records c1 integrity-policy
	assert_output_contains '"reason":"policy replaced"'
	# and frozen
	echo '{"mode": "measure"}' >"$BATS_TEST_TMPDIR/p2.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p2.json"
	assert_failure
	assert_output_contains "replaced once already"
	[ "$(ward integrity status c1 | jq -r .mode)" = appraise-enforce ]
}

@test "after a replacement, code judged by the old policy is judged again (a library loaded before)" {
	add_dynamic_true
	sign "$BUNDLE/rootfs/bin/dyntrue" "$BUNDLE/rootfs/lib64/ld-linux-x86-64.so.2"
	start_sleeper '{"mode": "measure"}'
	run ward exec c1 /bin/dyntrue
	assert_success
	echo "{\"mode\": \"appraise-enforce\", \"keys\": [\"$PKI/sign.pem\"]}" >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_success
	# libc is not signed: under the new policy it may not be loaded (ld.so: 127)
	run -127 ward exec c1 /bin/dyntrue
	assert_output_contains libc.so.6
}

@test "a bad replacement policy is refused and the policy stays as it was" {
	start_sleeper '{"mode": "measure"}'
	echo '{"mode": "appraise-enforce", "kyes": []}' >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_failure
	assert_output_contains "policy.kyes: unknown field"
	echo "{\"mode\": \"appraise-enforce\", \"keys\": [\"$PKI/rogue.pem\"]}" >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_failure
	assert_output_contains "not certified by a CA the host trusts"
	echo '{"listPath": "/x"}' >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_failure
	assert_output_contains "a container setting, not part of a policy"
	# a failed attempt does not use up the one replacement
	echo "{\"mode\": \"appraise-log\", \"keys\": [\"$PKI/sign.pem\"]}" >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_success
}

@test "a locked policy cannot be replaced" {
	start_sleeper '{"mode": "measure", "locked": true}'
	echo '{"mode": "off"}' >"$BATS_TEST_TMPDIR/p.json"
	run ward integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_failure
	assert_output_contains "locked"
}

# -------------------------------------------------------------- host list

@test "root's exec lands in the host list even with the container's policy off" {
	variant roots-tool
	integrity_config '{"mode": "off"}'
	set_args /v/roots-tool/busybox true
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	local aid
	aid=$(ward state c1 | jq -r '.annotations["org.ward.audit.id"]')
	run ward integrity log --host
	assert_success
	assert_output_contains "sha256:$(sha256sum "$BUNDLE/rootfs/v/roots-tool/busybox" | cut -d' ' -f1) $aid:/v/roots-tool/busybox"
	# policy off: the container keeps no list of its own
	run ward integrity log c1
	assert_failure
	# the host list verifies as any IMA list
	ward integrity log --host --binary >"$BATS_TEST_TMPDIR/host.bin"
	ward integrity pcr --host --format pcrs >"$BATS_TEST_TMPDIR/hpcrs"
	run evmctl ima_measurement --pcrs "sha256,$BATS_TEST_TMPDIR/hpcrs" "$BATS_TEST_TMPDIR/host.bin"
	assert_success
	run records c1 integrity-host
	assert_output_contains '"path":"/v/roots-tool/busybox"'
}

@test "root's exec lands in the host list for a container without linux.integrity" {
	variant plain-tool
	set_args /v/plain-tool/busybox true
	run_ward run -b "$BUNDLE" c1
	assert_success
	run ward integrity log --host
	assert_output_contains ":/v/plain-tool/busybox"
}

@test "with a user namespace, the container's root lands in the host list, another uid does not" {
	variant as-root
	variant as-user
	integrity_config '{"mode": "measure"}'
	enable_userns 200000 65536
	start_sleeper
	run ward exec c1 /v/as-root/busybox true
	assert_success
	run ward exec --user 1000:1000 c1 /v/as-user/busybox true
	assert_success
	run ward integrity log --host
	assert_output_contains ":/v/as-root/busybox"
	assert_output_not_contains ":/v/as-user/busybox"
	# both in the container's own list
	run list_ascii c1
	assert_output_contains /v/as-root/busybox
	assert_output_contains /v/as-user/busybox
}

# ------------------------------------------------------------ fail closed

@test "killing the monitor (SIGKILL) kills the container, and no unappraised exec gets through" {
	enforce_config
	variant unsigned
	mkdir -p "$BATS_TEST_TMPDIR/out"
	update_config --arg o "$BATS_TEST_TMPDIR/out" '.mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]'
	set_args sh -c 'i=0; while true; do /v/unsigned/busybox echo RAN >>/out/log 2>/dev/null; i=$((i+1)); echo $i >/out/count; done'
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	wait_until "number_in $BATS_TEST_TMPDIR/out/count -gt 20"
	local mon guard
	mon=$(monitor_pid c1)
	guard=$(guard_pid c1)
	kill -9 "$mon"
	wait_until "status_is c1 stopped"
	run cat "$BATS_TEST_TMPDIR/out/log"
	assert_output_not_contains RAN
	run records c1 integrity-monitor
	assert_output_contains '"action":"killed"'
	wait_until "pid_gone $guard"
}

@test "killing the monitor: in measure mode nothing runs that is not in the list" {
	integrity_config '{"mode": "measure"}'
	mkdir -p "$BATS_TEST_TMPDIR/out"
	update_config --arg o "$BATS_TEST_TMPDIR/out" '.mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]'
	set_args sh -c 'i=0; while true; do i=$((i+1)); mkdir /tmp/n$i; cp /bin/busybox /tmp/n$i/; /tmp/n$i/busybox echo n$i >>/out/ran; done'
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	wait_until "lines_in $BATS_TEST_TMPDIR/out/ran -gt 10"
	kill -9 "$(monitor_pid c1)"
	wait_until "status_is c1 stopped"
	local n
	run list_ascii c1
	for n in $(cat "$BATS_TEST_TMPDIR/out/ran"); do
		assert_output_contains " /tmp/$n/busybox "
	done
}

@test "onMonitorLoss freeze: a lost monitor leaves the container frozen, not running" {
	start_sleeper '{"mode": "measure", "onMonitorLoss": "freeze"}'
	kill -9 "$(monitor_pid c1)"
	wait_until "status_is c1 paused"
	run records c1 integrity-monitor
	assert_output_contains '"action":"frozen"'
	run ward delete -f c1
	assert_success
}

@test "a hung monitor is detected (timeoutSeconds): the container is killed" {
	start_sleeper '{"mode": "measure", "timeoutSeconds": 2}'
	local mon
	mon=$(monitor_pid c1)
	kill -STOP "$mon"
	wait_until "status_is c1 stopped" 300
	run records c1 integrity-monitor
	assert_output_contains "stopped answering"
	wait_until "pid_gone $mon"
}

@test "monitor and guard killed together (host root's doing): exec is refused, inspect says so" {
	start_sleeper '{"mode": "measure"}'
	local mon guard
	mon=$(monitor_pid c1)
	guard=$(guard_pid c1)
	# Both stopped first: killed one after the other, the guard could see
	# the monitor die and kill the container before its own SIGKILL lands
	# (seen under load, in the ASan lane).
	kill -STOP "$mon" "$guard"
	kill -9 "$mon" "$guard"
	wait_until "pid_gone $mon && pid_gone $guard"
	run ward exec c1 true
	assert_failure
	assert_output_contains "monitor does not answer"
	[ "$(ward inspect --format json c1 | jq -r .integrity.monitor)" = gone ]
}

# -------------------------------------------------------------- bad input

@test "bad input: a clear error naming the field, and nothing left behind" {
	set_args true
	local cases=(
		'{"mode": "foo"}|linux.integrity.mode: unknown mode "foo"'
		'{"mdoe": "measure"}|linux.integrity.mdoe: unknown field'
		'{"mode": "appraise-enforce"}|linux.integrity: mode "appraise-enforce" needs keys or an allowList'
		"{\"mode\": \"appraise-enforce\", \"keys\": [\"$PKI/rogue.pem\"]}|linux.integrity.keys[0]: $PKI/rogue.pem: not certified by a CA the host trusts"
		"{\"mode\": \"appraise-enforce\", \"keys\": [\"$BATS_TEST_TMPDIR/none.pem\"]}|linux.integrity.keys[0]: $BATS_TEST_TMPDIR/none.pem: No such file"
		"{\"mode\": \"appraise-enforce\", \"keys\": [\"$PKI/sign.key\"]}|linux.integrity.keys[0]: $PKI/sign.key: not an X.509 certificate"
		'{"mode": "measure", "timeoutSeconds": 0}|linux.integrity.timeoutSeconds'
		'{"mode": "measure", "keys": "x"}|linux.integrity.keys: must be an array'
	)
	local c
	for c in "${cases[@]}"; do
		integrity_config "${c%%|*}"
		run_ward run -b "$BUNDLE" c1
		assert_failure
		assert_output_contains "config.json: ${c#*|}"
		assert_no_leftovers c1
	done
	printf 'not a digest\n' >"$BATS_TEST_TMPDIR/allow"
	integrity_config "{\"mode\": \"appraise-enforce\", \"allowList\": \"$BATS_TEST_TMPDIR/allow\"}"
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "linux.integrity.allowList: $BATS_TEST_TMPDIR/allow: line 1: not a sha256 digest"
	assert_no_leftovers c1
	update_config 'del(.linux.integrity) | .annotations["org.ward.integrity.mode"] = "bar"'
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains 'annotations.org.ward.integrity.mode: unknown mode "bar"'
	assert_no_leftovers c1
}

@test "a key file another user could replace is refused" {
	cp "$PKI/sign.pem" "$BATS_TEST_TMPDIR/key.pem"
	chmod 0666 "$BATS_TEST_TMPDIR/key.pem"
	integrity_config "{\"mode\": \"appraise-enforce\", \"keys\": [\"$BATS_TEST_TMPDIR/key.pem\"]}"
	set_args true
	run_ward run -b "$BUNDLE" c1
	assert_failure
	assert_output_contains "writable by a user other than root"
	assert_no_leftovers c1
}

# ----------------------------------------------------- config, CLI, state

@test "annotations org.ward.integrity.* configure a container without linux.integrity" {
	variant unsigned
	update_config --arg k "$PKI/sign.pem" '.annotations["org.ward.integrity.mode"] = "appraise-enforce" | .annotations["org.ward.integrity.keys"] = $k'
	set_args sh -c '/v/unsigned/busybox echo RAN; echo end'
	run_ward run -b "$BUNDLE" c1
	assert_output_not_contains RAN
	assert_output_contains end
}

@test "ward spec --integrity writes a measuring config" {
	rm "$BUNDLE/config.json"
	run ward spec --integrity --bundle "$BUNDLE"
	assert_success
	[ "$(jq -r .linux.integrity.mode "$BUNDLE/config.json")" = measure ]
}

@test "inspect reports mode, keys, list length and PCR" {
	enforce_config appraise-log
	start_sleeper
	run ward inspect --format json c1
	assert_success
	local j=$output
	[ "$(jq -r .integrity.mode <<<"$j")" = appraise-log ]
	[ "$(jq -r '.integrity.policy.keys[0].subject' <<<"$j")" = "/CN=ward test signer" ]
	[ "$(jq -r .integrity.entries <<<"$j")" -ge 4 ]
	[ "$(jq -r .integrity.pcr.sha256 <<<"$j")" = "$(ward integrity pcr c1 | awk '/sha256/ {print $3}')" ]
	[ "$(jq -r '.integrity.gaps | length' <<<"$j")" -ge 3 ]
	run ward inspect c1
	assert_output_contains "appraise-log (monitor running)"
	assert_output_contains "PCR 10         sha256:"
}

@test "delete stops the monitor and its guard; keep moves the lists to @integrity" {
	start_sleeper '{"mode": "measure", "keep": true}'
	local mon guard aid
	mon=$(monitor_pid c1)
	guard=$(guard_pid c1)
	aid=$(ward state c1 | jq -r '.annotations["org.ward.audit.id"]')
	ward integrity pcr c1 >"$BATS_TEST_TMPDIR/pcr-before"
	run ward delete -f c1
	assert_success
	wait_until "pid_gone $mon && pid_gone $guard"
	[ -f "$STATE_ROOT/@integrity/c1.$aid/ima/binary_runtime_measurements" ]
	python3 "$INTEGRITY_PCR_PY" "$STATE_ROOT/@integrity/c1.$aid/ima/binary_runtime_measurements" | grep sha256 |
		awk '{print $2}' >"$BATS_TEST_TMPDIR/pcr-kept"
	grep -qf "$BATS_TEST_TMPDIR/pcr-kept" "$BATS_TEST_TMPDIR/pcr-before"
	assert_no_leftovers c1
}

@test "the monitor is outside the container: not in its cgroup, its namespaces, its view" {
	start_sleeper '{"mode": "measure"}'
	local mon init
	mon=$(monitor_pid c1)
	init=$(ward state c1 | jq -r .pid)
	[ "$(cat /proc/$mon/cgroup)" != "$(cat /proc/$init/cgroup)" ]
	[ "$(readlink /proc/$mon/ns/mnt)" != "$(readlink /proc/$init/ns/mnt)" ]
	[ "$(readlink /proc/$mon/ns/pid)" = "$(readlink /proc/self/ns/pid)" ]
	run ward exec c1 sh -c "ls /proc/$mon 2>&1 || echo not-visible"
	assert_output_contains not-visible
}

# ----------------------------------------------------------------- nesting

@test "nesting: a nested container measures into its own list and, for its root, into its parent's" {
	nested_bundle
	integrity_config '{"mode": "measure"}'
	inner_variant inner-tool
	inner_config '{"mode": "measure"}' sh -c '/v/inner-tool/busybox true; cat /sys/kernel/security/ima/ascii_runtime_measurements'
	outer_runs_inner
	run_ward run -b "$BUNDLE" --keep c1
	assert_success
	assert_output_contains "inner=0"
	local digest inner_aid
	digest=$(sha256sum "$BUNDLE/rootfs/inner/rootfs/v/inner-tool/busybox" | cut -d' ' -f1)
	# the inner container reads its own list, and `ward integrity log` inside agrees
	[ "$(grep -c "sha256:$digest /v/inner-tool/busybox" <<<"$output")" = 2 ]
	inner_aid=$(sed -n '/---inner-audit---/,$p' <<<"$output" | sed 1d | jq -r '.annotations["org.ward.audit.id"]')
	[ -n "$inner_aid" ] && [ "$inner_aid" != null ]
	# upward: the outer list has it, named by the inner container's audit ID
	run list_ascii c1
	assert_output_contains "sha256:$digest $inner_aid:/v/inner-tool/busybox"
	# and the host's, for root
	run ward integrity log --host
	assert_output_contains "$inner_aid:/v/inner-tool/busybox"
}

@test "nesting: the outer policy still applies inside (an unsigned binary in the nested container is refused)" {
	nested_bundle
	enforce_config
	sign "$BATS_TEST_TMPDIR/wardbin/ward" "$BUNDLE/rootfs/inner/rootfs/bin/busybox"
	inner_variant unsigned
	# the inner policy would let it run: measure only
	inner_config '{"mode": "measure"}' sh -c '/v/unsigned/busybox echo INNER-UNSIGNED-RAN; echo inner-alive'
	outer_runs_inner
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_contains inner-alive
	assert_output_not_contains INNER-UNSIGNED-RAN
	assert_output_contains "/v/unsigned/busybox: Operation not permitted"
	run records c1 integrity
	assert_output_contains '"path":"/v/unsigned/busybox"'
}

@test "nesting: an inner policy may refuse more than the outer one" {
	nested_bundle
	integrity_config '{"mode": "measure"}'
	inner_variant unsigned
	sign "$BUNDLE/rootfs/inner/rootfs/bin/busybox"
	cp "$PKI/sign.pem" "$BUNDLE/rootfs/inner/signer.pem"
	inner_config '{"mode": "appraise-enforce", "keys": ["/inner/signer.pem"]}' \
		sh -c '/v/unsigned/busybox echo INNER-UNSIGNED-RAN; echo inner-alive'
	outer_runs_inner
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_contains inner-alive
	assert_output_not_contains INNER-UNSIGNED-RAN
}

@test "nesting: a nested container's non-root activity goes upward only with logChildren all" {
	nested_bundle
	inner_variant as-user
	inner_config '{"mode": "measure"}' /v/as-user/busybox true
	# a user namespace of its own: only its uid 0 is its root
	jq '.process.user = {"uid": 1000, "gid": 1000} | .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys" and .destination != "/sys/fs/cgroup"))
		| del(.linux.sysctl["net.ipv4.ping_group_range"])' \
		"$BUNDLE/rootfs/inner/config.json" >"$BUNDLE/i.json"
	mv "$BUNDLE/i.json" "$BUNDLE/rootfs/inner/config.json"
	outer_runs_inner
	integrity_config '{"mode": "measure"}'
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_contains "inner=0"
	run list_ascii c1
	assert_output_not_contains "/v/as-user/busybox"
	ward delete -f c1
	integrity_config '{"mode": "measure", "logChildren": "all"}'
	run_ward run -b "$BUNDLE" --keep c1
	assert_output_contains "inner=0"
	run list_ascii c1
	assert_output_contains ":/v/as-user/busybox"
}
