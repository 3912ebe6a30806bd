#!/usr/bin/env bats
# ward links no libcrypto: the integrity layer dlopens libcrypto.so.3 when it
# first needs it (src/integrity/crypto_dl.c). Which libraries each ward
# process loaded is ld.so's own trace (LD_DEBUG=libs, one file per process).
# A host without libcrypto.so.3, or with a file of that name that is not
# OpenSSL's, is made in a mount namespace of the test's own (unshare -m): the
# host's library is never touched.

load helpers
load helpers_integrity

setup() {
	setup_bundle
	set_args true
	TRACE="$BATS_TEST_TMPDIR/trace"
	mkdir -p "$TRACE"
	# The host's integrity settings: none (a hostList would give every
	# container a monitor, and so libcrypto).
	echo '{}' >"$BATS_TEST_TMPDIR/integrity.json"
	export WARD_INTEGRITY_CONF="$BATS_TEST_TMPDIR/integrity.json"
	LIBCRYPTO=$(ldd "$(command -v openssl)" | awk '$1 == "libcrypto.so.3" { print $3 }')
	LIBCRYPTO=$(readlink -f "$LIBCRYPTO")
	[ -f "$LIBCRYPTO" ]
}

teardown() {
	teardown_bundle
}

# ward with ld.so tracing the libraries it loads into $TRACE/ld.PID.
traced() {
	LD_DEBUG=libs LD_DEBUG_OUTPUT="$TRACE/ld" "$WARD" --root "$STATE_ROOT" "$@"
}

# How many times a traced process initialised libcrypto.so.3.
libcrypto_inits() {
	cat "$TRACE"/ld.* | grep -c 'calling init: .*/libcrypto\.so\.3$' || true
}

# The trace covered the command: ld.so loaded ward's own libraries.
assert_traced() {
	cat "$TRACE"/ld.* | grep -q 'calling init: .*/libjansson\.so'
}

# Run ward "$@" (bats `run`) in a mount namespace where libcrypto.so.3 does
# not exist: its directory replaced by a copy of the libraries ward links.
run_without_libcrypto() {
	local copy="$BATS_TEST_TMPDIR/libs" f
	mkdir -p "$copy"
	for f in $(ldd "$WARD" | grep -o '/[^ ]*'); do
		cp -L "$f" "$copy/$(basename "$f")"
	done
	# shellcheck disable=SC2016
	run unshare -m sh -c 'mount --bind "$1" "$2" && [ ! -e "$3" ] || exit 99
		shift 3; exec "$@"' sh "$copy" "$(dirname "$LIBCRYPTO")" "$LIBCRYPTO" \
		"$WARD" --root "$STATE_ROOT" "$@"
}

# The same where libcrypto.so.3 is a library that is not OpenSSL's.
run_with_fake_libcrypto() {
	local fake="$BATS_TEST_TMPDIR/fake.so"
	echo 'int not_openssl(void) { return 0; }' | cc -shared -fPIC -o "$fake" -x c -
	# shellcheck disable=SC2016
	run unshare -m sh -c 'mount --bind "$1" "$2" || exit 99
		shift 2; exec "$@"' sh "$fake" "$LIBCRYPTO" "$WARD" --root "$STATE_ROOT" "$@"
}

@test "ward itself links no libcrypto, shared or static" {
	run ldd "$WARD"
	assert_success
	assert_output_contains libjansson
	assert_output_not_contains libcrypto
	# Linked in statically, OpenSSL's functions would be defined in ward.
	run nm "$WARD"
	assert_success
	assert_output_contains " T main"
	assert_output_not_contains " T EVP_DigestInit_ex"
}

@test "a container without integrity: no ward process loads libcrypto (run, create, exec, delete, the sealed re-exec)" {
	traced run -b "$BUNDLE" c1
	traced create -b "$BUNDLE" c2
	traced start c2
	traced state c2 >/dev/null
	traced list >/dev/null
	traced delete c2
	WARD_EXE_PROTECT=reexec traced run -b "$BUNDLE" c3
	set_args sleep 60
	WARD_EXE_PROTECT=reexec traced run -d -b "$BUNDLE" c4 </dev/null >/dev/null 2>&1
	WARD_EXE_PROTECT=reexec traced exec c4 true
	traced inspect c4 >/dev/null
	traced delete -f c4
	traced spec --bundle "$BATS_TEST_TMPDIR" >/dev/null
	assert_traced
	run grep -l libcrypto "$TRACE"/ld.*
	assert_failure
}

@test "a container with integrity loads libcrypto once, in create; the monitor has it, other commands do not load it" {
	integrity_config '{"mode": "measure"}'
	set_args sleep 60
	traced run -d -b "$BUNDLE" c1 </dev/null >/dev/null 2>&1
	assert_traced
	[ "$(libcrypto_inits)" = 1 ]
	grep -q libcrypto.so.3 "/proc/$(monitor_pid c1)/maps"
	rm -f "$TRACE"/ld.*
	traced exec c1 true
	traced integrity log c1 >/dev/null
	traced integrity pcr c1 >/dev/null
	traced integrity status c1 >/dev/null
	traced inspect c1 >/dev/null
	traced delete -f c1
	assert_traced
	[ "$(libcrypto_inits)" = 0 ]
	assert_no_leftovers c1
}

@test "the sealed re-exec with integrity loads libcrypto once too" {
	integrity_config '{"mode": "measure"}'
	WARD_EXE_PROTECT=reexec traced run -b "$BUNDLE" c1
	assert_traced
	[ "$(libcrypto_inits)" = 1 ]
}

@test "without libcrypto.so.3 on the host, create with integrity is refused, naming the library, and nothing is left behind" {
	integrity_config '{"mode": "measure"}'
	run_without_libcrypto run -b "$BUNDLE" c1
	[ "$status" = 1 ]
	assert_output_contains "create c1: config.json: linux.integrity: libcrypto.so.3 (OpenSSL 3, Debian package libssl3) cannot be loaded: libcrypto.so.3: cannot open shared object file: No such file or directory"
	assert_no_leftovers c1
	# A container without integrity does not need it.
	update_config 'del(.linux.integrity)'
	set_args sh -c 'echo ran'
	run_without_libcrypto run -b "$BUNDLE" c2
	assert_success
	assert_output_contains ran
	assert_no_leftovers c2
}

@test "without libcrypto.so.3, a host list (integrity for every container) refuses every create: fail closed" {
	jq -n --arg h "$BATS_TEST_TMPDIR/hostlist" '{hostList: $h}' >"$WARD_INTEGRITY_CONF"
	run_without_libcrypto run -b "$BUNDLE" c1
	[ "$status" = 1 ]
	assert_output_contains "libcrypto.so.3 (OpenSSL 3, Debian package libssl3) cannot be loaded"
	assert_no_leftovers c1
}

@test "a libcrypto.so.3 that is not OpenSSL's: create is refused, naming the file and the missing function" {
	integrity_config '{"mode": "measure"}'
	run_with_fake_libcrypto run -b "$BUNDLE" c1
	[ "$status" = 1 ]
	# The file ld.so found, by the path it took (/lib or /usr/lib).
	assert_output_contains "config.json: linux.integrity: libcrypto.so.3 (/"
	assert_output_contains "/libcrypto.so.3) is not OpenSSL 3's libcrypto: no function BIO_ctrl"
	assert_no_leftovers c1
}

@test "commands on an integrity container need no libcrypto of their own: a replacement policy (judged by the monitor, which has it), log, pcr, inspect, delete" {
	integrity_config '{"mode": "measure"}'
	set_args sleep 60
	run_detached run -d -b "$BUNDLE" c1
	assert_success
	echo '{"mode": "measure", "libraries": false}' >"$BATS_TEST_TMPDIR/p.json"
	run_without_libcrypto integrity policy c1 "$BATS_TEST_TMPDIR/p.json"
	assert_success
	[ "$(ward integrity status c1 | jq -r .policy.libraries)" = false ]
	run_without_libcrypto integrity log c1
	assert_success
	assert_output_contains boot_aggregate
	run_without_libcrypto integrity pcr c1
	assert_success
	run_without_libcrypto inspect c1
	assert_success
	assert_output_contains "measure (monitor running, policy replaced)"
	local mon
	mon=$(monitor_pid c1)
	run_without_libcrypto delete -f c1
	assert_success
	wait_until "pid_gone $mon"
	assert_no_leftovers c1
}
