#!/usr/bin/env bash
# Fuzz smoke run of ward's parsers (libFuzzer, ASan+UBSan), printing TAP:
#   ok N - fuzz <target>
#   not ok N - fuzz <target> (crash: <first line of the report>)
#   1..N
# Configures build-fuzz (CC=clang meson setup build-fuzz -Dfuzz=true) when it
# is missing and builds only the fuzz targets. For each target it first
# replays tests/fuzz/corpus/regressions/<target>-* (inputs that once crashed),
# then fuzzes a scratch copy of tests/fuzz/corpus/<target>/ for
# WARD_FUZZ_SECONDS (default 5) seconds. Crashing inputs are kept under
# build-fuzz/artifacts/<target>/. Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
build=${WARD_FUZZ_BUILD:-build-fuzz}
seconds=${WARD_FUZZ_SECONDS:-5}
. tests/fuzz/lib.sh
targets=("${fuzz_targets[@]}")
corpus=tests/fuzz/corpus

skip_all() {
	echo "ok 1 - fuzz # SKIP $1"
	echo "1..1"
	exit 0
}
fail_build() {
	echo "not ok 1 - fuzz build ($1)"
	echo "1..1"
	exit 1
}

command -v clang >/dev/null || skip_all "clang is not installed"
command -v meson >/dev/null && command -v ninja >/dev/null || skip_all "meson/ninja not installed"

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

if [ ! -f "$build/build.ninja" ]; then
	if ! CC=clang meson setup "$build" -Dfuzz=true >"$log/setup" 2>&1; then
		sed 's/^/# /' "$log/setup" | tail -n 20
		fail_build "meson setup $build failed"
	fi
fi
# Only the fuzz targets: the rest of the tree is not needed here. An existing
# build dir may predate -Dfuzz=true: turn it on and try again.
build_targets() { ninja -C "$build" "${targets[@]/#/tests/fuzz/}" >"$log/build" 2>&1; }
if ! build_targets; then
	if grep -q "unknown target" "$log/build"; then
		meson configure "$build" -Dfuzz=true >"$log/configure" 2>&1
		if ! build_targets && grep -q "unknown target" "$log/build"; then
			fail_build "$build has no fuzz targets: it must be a clang build (rm -rf $build)"
		fi
	fi
fi
if [ ! -x "$build/tests/fuzz/${targets[0]}" ] || grep -q FAILED "$log/build"; then
	grep -E 'error|FAILED' "$log/build" | head -n 20 | sed 's/^/# /'
	fail_build "ninja failed"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Stack frames worth showing: those in ward's code and in the harness.
frames='#[0-9]+ 0x[0-9a-f]+ in [a-zA-Z_]+ .*(src|tests/fuzz)/[a-z_/]+[.]c:[0-9]+'

n=0 failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	bin=$build/tests/fuzz/$t
	art=$build/artifacts/$t
	mkdir -p "$art"
	status=ok reason=

	# Known crashers first: each must now run clean.
	for r in "$corpus"/regressions/"$t"-*; do
		[ -f "$r" ] || continue
		"$bin" "$r" >"$log/$t.regress" 2>&1
		rc=$?
		[ $rc -eq 0 ] && continue
		why=$(fuzz_crash_reason "$log/$t.regress" $rc)
		echo "# regression ${r#"$corpus/"}: $why"
		grep -m3 -E "$frames" "$log/$t.regress" | sed 's/^ */#   /'
		if [ "$status" = ok ]; then
			status="not ok"
			reason="crash: $why [${r#"$corpus/"}]"
		fi
	done

	# Then fuzz, even when a regression failed: other bugs may be waiting.
	work=$log/corpus-$t
	mkdir -p "$work"
	cp -r "$corpus/$t/." "$work/" 2>/dev/null
	mapfile -t dict < <(fuzz_dict "$t")
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "${dict[@]}" "$work" >"$log/$t.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		why=$(fuzz_crash_reason "$log/$t.out" $rc)
		input=$(grep -m1 -oE 'Test unit written to .*' "$log/$t.out" | sed 's/Test unit written to //')
		echo "# fuzzing: $why"
		grep -m3 -E "$frames" "$log/$t.out" | sed 's/^ */#   /'
		echo "# input kept as ${input:-?}"
		if [ "$status" = ok ]; then
			status="not ok"
			reason="crash: $why"
		fi
	else
		runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log/$t.out" | grep -oE '[0-9]+$')
		echo "# $t: ${runs:-?} runs in ${seconds}s, no crash"
	fi

	if [ "$status" = ok ]; then
		echo "ok $n - fuzz $t"
	else
		echo "not ok $n - fuzz $t ($reason)"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
