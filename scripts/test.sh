#!/usr/bin/env bash
# ward's whole test suite, as root on Debian 12:
#   unit tests (cmocka), integration tests (bats) against the real binary,
#   fuzz smoke runs of every parser, the benchmark script's smoke mode.
# Ends with "tests: N passed, M failed, K skipped"; exits non-zero on failure.
# Environment: WARD_TEST_FILTER=regex limits bats tests; WARD_SKIP_FUZZ=1.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "$(id -u)" != 0 ]; then
	echo "scripts/test.sh: run as root (the integration tests create containers)" >&2
	exit 1
fi
scripts/install-deps.sh --all

build=build
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Dwerror=true -Dtests=enabled >/dev/null
else
	# build/ may come from scripts/demo.sh's plain setup: same options as CI.
	meson configure "$build" -Dwerror=true -Dtests=enabled >/dev/null
fi
ninja -C "$build" >/dev/null || { echo "tests: 0 passed, 1 failed (build)"; exit 1; }

passed=0 failed=0 skipped=0
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# Count a TAP stream: "ok", "ok ... # skip", "not ok".
count_tap() {
	local file=$1 p s f
	p=$(grep -cE '^ok ' "$file" | tr -d ' ')
	s=$(grep -ciE '^ok .*# skip' "$file" | tr -d ' ')
	f=$(grep -cE '^not ok ' "$file" | tr -d ' ')
	passed=$((passed + p - s))
	skipped=$((skipped + s))
	failed=$((failed + f))
}

# Print a TAP stream indented: results, and the diagnostics ("# ...") of
# failed tests only, so that a CI log says why something failed.
show_tap() {
	awk '/^not ok /{diag=1; print "  " $0; next}
	     /^ok /{diag=0; print "  " $0; next}
	     /^#/{if (diag) print "    " $0; next}
	     /^1\.\./{next}
	     {print "  " $0}'
}

echo "== unit tests"
for t in "$build"/tests/unit/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$results/unit.tap" 2>&1
	rc=$?
	sed 's/^/  /' "$results/unit.tap" | grep -E '^  (not )?ok|^  #' || true
	count_tap "$results/unit.tap"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$results/unit.tap"; then
		echo "  not ok - $(basename "$t") crashed (exit $rc)"
		failed=$((failed + 1))
	fi
done

echo "== integration tests"
bats_args=(--tap)
[ -n "${WARD_TEST_FILTER:-}" ] && bats_args+=(--filter "$WARD_TEST_FILTER")
bats "${bats_args[@]}" tests/integration/*.bats 2>&1 | tee "$results/bats.tap" | show_tap
count_tap "$results/bats.tap"

if [ -z "${WARD_SKIP_FUZZ:-}" ] && [ -x tests/fuzz/run.sh ]; then
	echo "== fuzz smoke"
	tests/fuzz/run.sh >"$results/fuzz.tap" 2>&1
	sed 's/^/  /' "$results/fuzz.tap" | grep -E '^  (not )?ok' || true
	count_tap "$results/fuzz.tap"
fi

for lane in tests/lanes/*.sh; do
	[ -x "$lane" ] || continue
	echo "== lane $(basename "$lane" .sh)"
	"$lane" >"$results/lane.tap" 2>&1
	show_tap <"$results/lane.tap" | tail -n 300 || true
	count_tap "$results/lane.tap"
done

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
