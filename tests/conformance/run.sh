#!/usr/bin/env bash
# Runs the OCI runtime-tools validation programs (built by build.sh) against
# a runtime and prints one TAP stream: per program, a line for each check
# that failed, named "PROGRAM: CHECK", and "PROGRAM: runs to completion (N
# checks passed)" (tap.awk says what that checks). Failures listed in
# expected-failures.txt become skips.
#   tests/conformance/run.sh [--runtime PATH] [--filter REGEX] [--strict]
#                            [--verbose] [--cache DIR] [--expected FILE]
# --runtime: default $WARD, else build/ward; /usr/sbin/runc gives the
#   baseline (runc's failures on this host are mostly the host's).
# --filter: only the programs whose name matches REGEX (grep -E).
# --strict: a listed failure that did not happen fails instead of warning.
# --verbose: a line for every check, passed and skipped ones too.
# Environment: CONFORMANCE_TIMEOUT (seconds per program, default 120).
# Must run as root. Every container lives under a private --root and every
# bundle under a private TMPDIR, both removed at the end.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runtime=${WARD:-$top/build/ward}
cache=$top/tests/fixtures/cache/conformance
expected=$here/expected-failures.txt
filter=
strict=0
verbose=0
while [ $# -gt 0 ]; do
	case "$1" in
	--runtime) runtime=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--strict) strict=1; shift ;;
	--verbose) verbose=1; shift ;;
	--cache) cache=$2; shift 2 ;;
	--expected) expected=$2; shift 2 ;;
	*) echo "usage: $0 [--runtime PATH] [--filter REGEX] [--strict] [--verbose] [--cache DIR] [--expected FILE]" >&2; exit 2 ;;
	esac
done
[ "${CONFORMANCE_STRICT:-0}" = 1 ] && strict=1
timeout=${CONFORMANCE_TIMEOUT:-120}
bin=$cache/bin
runtime=$(command -v "$runtime") || { echo "run.sh: no runtime at $runtime" >&2; exit 2; }
[ -f "$bin/.built" ] || { echo "run.sh: $bin is not built (tests/conformance/build.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/ward-conformance.XXXXXX)
# 0755: a container whose root is mapped to another uid reaches its bundle
# through it.
chmod 0755 "$work"
mkdir -p "$work/state" "$work/tmp"
# The programs call $RUNTIME with runc's CLI and no --root: a wrapper keeps
# their containers apart from everything else on the machine.
cat >"$work/runtime" <<EOF
#!/bin/sh
exec "$runtime" --root "$work/state" "\$@"
EOF
chmod +x "$work/runtime"

# Containers and host mounts a program left behind (it should leave none):
# removed, and named in the stream.
sweep() {
	local id left='' m mounts=''
	for id in $("$work/runtime" list -q 2>/dev/null); do
		"$work/runtime" delete --force "$id" >/dev/null 2>&1
		left="$left $id"
	done
	[ -z "$left" ] || echo "# $1 left containers behind:$left (deleted)"
	for m in $(findmnt -rn -o TARGET | grep -F "$work/" | sort -r); do
		umount -l "$m" 2>/dev/null
		mounts="$mounts $m"
	done
	[ -z "$mounts" ] || echo "# $1 left mounts on the host:$mounts (unmounted)"
}
# The relative cgroupsPath programs use testdir/cgrouptest/container; the
# runtime removes the container's cgroup, not the parents it created (runc
# does the same). Removed if empty, and named.
sweep_cgroups() {
	local d left=''
	for d in /sys/fs/cgroup/*/testdir/cgrouptest /sys/fs/cgroup/testdir/cgrouptest \
		/sys/fs/cgroup/*/testdir /sys/fs/cgroup/testdir; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null && left="$left $d"
	done
	[ -z "$left" ] || echo "# empty parent cgroups left by the runtime:$left (removed)"
}
cleanup() {
	sweep "the run"
	sweep_cgroups
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

if [ ! -r "$expected" ]; then
	echo "not ok 1 - cannot read the expected-failures list $expected"
	echo "1..1"
	exit 0
fi
# A malformed list line would silently match nothing: refuse it.
bad=$(awk '!/^[ \t]*(#|$)/ && !/^[a-z0-9_]+ \| .+ \| .+$/ {print FILENAME ":" FNR ": " $0}' "$expected")
if [ -n "$bad" ]; then
	echo "not ok 1 - $expected: malformed lines (want \"program | check | reason\")"
	echo "$bad" | sed 's/^/# /'
	echo "1..1"
	exit 0
fi

n=1
start=$(date +%s)
for prog in $(cd "$bin" && find . -maxdepth 1 -type f -perm -u+x ! -name runtimetest -printf '%f\n' | sort); do
	if [ -n "$filter" ] && ! grep -qE "$filter" <<<"$prog"; then
		continue
	fi
	# The programs read runtimetest and rootfs-*.tar.gz from their working
	# directory.
	(cd "$bin" && RUNTIME=$work/runtime TMPDIR=$work/tmp \
		timeout -k 10 "$timeout" "./$prog" >"$work/out" 2>"$work/err")
	rc=$?
	rm -f "$work/count"
	awk -f "$here/tap.awk" -v prog="$prog" -v rc="$rc" -v start="$n" \
		-v stderr="$work/err" -v countfile="$work/count" -v strict="$strict" -v verbose="$verbose" \
		"$expected" "$work/out"
	if [ -s "$work/count" ]; then
		n=$(cat "$work/count")
	else
		echo "not ok $n - $prog: its output could not be read (tap.awk failed)"
		n=$((n + 1))
	fi
	sweep "$prog"
	rm -rf --one-file-system "${work:?}"/tmp/*
done
echo "1..$((n - 1))"
echo "# conformance: $((n - 1)) results against $runtime in $(($(date +%s) - start)) s"
