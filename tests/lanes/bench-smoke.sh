#!/usr/bin/env bash
# The benchmark script's smoke mode (bench/run.sh --smoke): a few iterations
# of every figure against crun and runc, so that the script keeps working.
# It prints TAP (one "ok" per figure that produced numbers) and never asserts
# timings; the "bench:" ratio lines it prints are for reading, not judging.
cd "$(dirname "$0")/../.." || exit 1
export WARD=${WARD:-$PWD/build/ward}
exec bench/run.sh --smoke
