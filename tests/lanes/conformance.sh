#!/usr/bin/env bash
# Conformance lane: the OCI runtime-tools validation suite against ward, as
# part of scripts/test.sh. Built once from Debian's source package into
# tests/fixtures/cache/conformance (tests/conformance/build.sh), then run by
# tests/conformance/run.sh, whose TAP this prints: every check of every
# validation program; the failures tests/conformance/expected-failures.txt
# explains are "ok ... # skip REASON", any other is "not ok".
# A missing toolchain or a failed build is one "not ok" line saying what.
#
# Environment: WARD (default build/ward, which scripts/test.sh has just
# built), CONFORMANCE_CACHE (the build's directory), CONFORMANCE_STRICT=1
# (stale expected-failure entries fail instead of warning). Packages are
# not installed here: scripts/test.sh ran scripts/install-deps.sh --all.
# About 1.5 minutes on the 2-core test machine, plus ~15 s for the first
# build (docs/testing.md).
cd "$(dirname "$0")/../.." || exit 1
name="conformance (OCI runtime-tools validation suite)"
ward=${WARD:-$PWD/build/ward}
cache=${CONFORMANCE_CACHE:-$PWD/tests/fixtures/cache/conformance}

if [ "$(id -u)" != 0 ]; then
	echo "ok 1 - $name # skip needs root (the programs create containers)"
	exit 0
fi
if [ ! -x "$ward" ]; then
	echo "not ok 1 - $name: no ward binary at $ward"
	exit 0
fi

log=$(mktemp /tmp/ward-conformance-lane.XXXXXX)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
if ! nice -n 10 tests/conformance/build.sh "$cache" 2>"$log"; then
	echo "not ok 1 - $name: cannot build the suite: $(tail -n 1 "$log")"
	tail -n 20 "$log" | sed 's/^/# /'
	exit 0
fi
built=$(($(date +%s) - start))

tap=$(mktemp /tmp/ward-conformance-tap.XXXXXX)
trap 'rm -f "$log" "$tap"' EXIT
tests/conformance/run.sh --runtime "$ward" --cache "$cache" 2>"$log" | tee "$tap"
rc=${PIPESTATUS[0]}
# run.sh reports every check; a run that stopped without its plan, or exited
# non-zero, must not pass silently.
reported=$(grep -cE '^(not )?ok ' "$tap")
if [ "$rc" -ne 0 ] || ! grep -qE '^1\.\.[0-9]+$' "$tap"; then
	echo "not ok $((reported + 1)) - $name: tests/conformance/run.sh stopped (exit status $rc) after $reported checks"
	tail -n 20 "$log" | sed 's/^/# /'
fi
echo "# conformance lane: $(($(date +%s) - start)) s (of which $built s building or checking the cache)"
exit 0
