#!/usr/bin/env bats
# tests/conformance/tap.awk, the reader that turns each runtime-tools
# validation program's TAP into the conformance lane's lines: what fails must
# come out "not ok", what the expected-failure list explains "ok # skip".
# Synthetic program outputs; no container is started.

AWK_PROG="$BATS_TEST_DIRNAME/../conformance/tap.awk"

setup() {
	LIST="$BATS_TEST_TMPDIR/expected.txt"
	OUT="$BATS_TEST_TMPDIR/out.tap"
	ERR="$BATS_TEST_TMPDIR/err.txt"
	: >"$LIST"
	: >"$ERR"
}

# read_tap PROG RC [awk -v assignments...]: the lines for $OUT, numbered from 1.
read_tap() {
	local prog=$1 rc=$2
	shift 2
	run awk -f "$AWK_PROG" -v prog="$prog" -v rc="$rc" -v start=1 -v stderr="$ERR" \
		-v countfile="$BATS_TEST_TMPDIR/count" "$@" "$LIST" "$OUT"
	[ "$status" -eq 0 ]
}

@test "conformance reader: a passing program is one ok line with its counts" {
	printf 'TAP version 13\nok 1 - a\nok 2 # SKIP x not set\nok 3 - b\n1..3\n' >"$OUT"
	read_tap p 0
	[ "$output" = "ok 1 - p: runs to completion (2 checks passed, 1 skipped by the suite)" ]
	[ "$(cat "$BATS_TEST_TMPDIR/count")" = 2 ]
}

@test "conformance reader: an unlisted failing check is not ok, with its diagnostics and stderr" {
	printf 'TAP version 13\nok 1 - a\nnot ok 2 - b broke\n  ---\n  {"actual": 1}\n  ...\n1..2\n' >"$OUT"
	echo "ward: create x: it went wrong" >"$ERR"
	read_tap p 0
	[ "${lines[0]}" = "not ok 1 - p: b broke" ]
	[[ "$output" == *'#   {"actual": 1}'* ]]
	[[ "$output" == *"#   ward: create x: it went wrong"* ]]
	[ "${lines[-1]}" = "ok 2 - p: runs to completion (1 check passed)" ]
}

@test "conformance reader: a listed failing check becomes a skip carrying the list's reason" {
	echo 'p | b * (x) [y] | host: no such thing here' >"$LIST"
	printf 'TAP version 13\nnot ok 1 - b broke (x) [y]\n1..1\n' >"$OUT"
	read_tap p 0
	[ "${lines[0]}" = "ok 1 - p: b broke (x) [y] # skip host: no such thing here" ]
	# the glob matches only what it says
	printf 'TAP version 13\nnot ok 1 - c broke (x) [y]\n1..1\n' >"$OUT"
	read_tap p 0
	[ "${lines[0]}" = "not ok 1 - p: c broke (x) [y]" ]
}

@test "conformance reader: an error block outside any check fails the program (lifecycle programs' 1..0)" {
	printf 'TAP version 13\n  ---\n  {\n    "error": "Hooks MUST be called in the listed order"\n  }\n  ...\n1..0\n' >"$OUT"
	read_tap hooks 0
	[ "${lines[0]}" = "not ok 1 - hooks: runs to completion (0 checks passed)" ]
	[[ "$output" == *"outside any test point"* ]]
	[[ "$output" == *"Hooks MUST be called in the listed order"* ]]
}

@test "conformance reader: an error block right after a passing check is its diagnostic, not a failure" {
	printf 'TAP version 13\nok 1 - create MUST generate an error\n  ---\n  {"error": "exit status 1"}\n  ...\n1..1\n' >"$OUT"
	read_tap create 0
	[ "$output" = "ok 1 - create: runs to completion (1 check passed)" ]
	# but a second block after it stands alone
	printf 'TAP version 13\nok 1 - a\n  ---\n  {"x": 1}\n  ...\n  ---\n  {"error": "e"}\n  ...\n1..1\n' >"$OUT"
	read_tap state 0
	[[ "${lines[0]}" == "not ok 1 - state: runs to completion"* ]]
}

@test "conformance reader: a non-zero exit, a short plan or a missing plan fails the program" {
	printf 'TAP version 13\nok 1 - a\n1..1\n' >"$OUT"
	read_tap p 1
	[[ "${lines[0]}" == "not ok 1 - p: runs to completion"* ]]
	[[ "$output" == *"it exited with status 1"* ]]
	read_tap p 124
	[[ "$output" == *"killed after its time limit"* ]]
	printf 'TAP version 13\nok 1 - a\n1..3\n' >"$OUT"
	read_tap p 0
	[[ "$output" == *"plan 1..3 does not match the 1 test points"* ]]
	printf 'TAP version 13\nok 1 - a\n' >"$OUT"
	read_tap p 0
	[[ "$output" == *"has no plan"* ]]
	# each TAP section (a program may print several) has its own plan
	printf 'TAP version 13\nok 1 - a\n1..1\nTAP version 13\n1..0\n' >"$OUT"
	read_tap p 0
	[ "$output" = "ok 1 - p: runs to completion (1 check passed)" ]
}

@test "conformance reader: a listed program failure is a skip; an entry that did not fail warns, or fails when strict" {
	printf 'p | runs to completion | host: no net_cls\n' >"$LIST"
	: >"$OUT"
	read_tap p 1
	[ "$output" = "ok 1 - p: runs to completion (0 checks passed) # skip host: no net_cls" ]
	printf 'TAP version 13\nok 1 - a\n1..1\n' >"$OUT"
	read_tap p 0
	[ "${lines[0]}" = "ok 1 - p: runs to completion (1 check passed)" ]
	[[ "${lines[1]}" == "ok 2 - p: WARNING: \"runs to completion\" did not fail"*"line 1"*"# skip stale expected-failures entry" ]]
	read_tap p 0 -v strict=1
	[[ "${lines[1]}" == "not ok 2 - p: WARNING: \"runs to completion\" did not fail"* ]]
	# a racy entry gives no warning when its check passes
	printf 'p | runs to completion | racy: by timing\n' >"$LIST"
	read_tap p 0 -v strict=1
	[ "$output" = "ok 1 - p: runs to completion (1 check passed)" ]
}

@test "conformance reader: a TODO check is runtime-tools' own gap, not a failure; verbose prints every check" {
	printf 'TAP version 13\nnot ok 1 - needs the tty # TODO\nok 2 - a\n1..2\n' >"$OUT"
	read_tap p 0
	[ "${lines[0]}" = "ok 1 - p: needs the tty # skip TODO in runtime-tools (failed)" ]
	read_tap p 0 -v verbose=1
	[ "${lines[1]}" = "ok 2 - p: a" ]
	[ "${lines[2]}" = "ok 3 - p: runs to completion" ]
}
