#!/usr/bin/env bash
# ward under real container engines: podman (tests/engines/podman.bats) and
# containerd (tests/engines/containerd.bats). Prints TAP on stdout; what
# cannot run here is reported as "ok N - ... # skip REASON".
#
# Usage (as root): tests/engines/run.sh [--runtime PATH] [--filter REGEX] [SUITE.bats...]
#   --runtime PATH   run the suites against another runtime (a runc
#                    baseline: --runtime /usr/sbin/runc); default: ward
#   --filter REGEX   only the tests whose names match
#   --no-install     do not install Debian packages (scripts/install-deps.sh)
# Environment: WARD (the ward binary; default build/ward, built if missing).
#
# Everything the suites start (containerd, its shims, conmon, podman's
# rootless pause process) lives under one temporary directory; the EXIT trap
# stops whatever is still running there, unmounts and removes it, even when
# bats fails or is interrupted. Left on the host, as by any use of podman and
# containerd: the user "wardeng" (rootless tests; created with a subuid range
# if missing), netavark's empty NETAVARK-* iptables chains and
# net.ipv4.ip_forward=1 (default-network test), /run/containerd/s (the
# shims' socket directory).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

runtime="" filter="" install=1 suites=()
while [ $# -gt 0 ]; do
	case "$1" in
	--runtime) runtime=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--no-install) install=0; shift ;;
	-h|--help) sed -n '2,21p' "$0" | cut -c3-; exit 0 ;;
	*) suites+=("$1"); shift ;;
	esac
done
[ ${#suites[@]} -gt 0 ] || suites=("$here/podman.bats" "$here/containerd.bats")

skip_all() {
	echo "1..1"
	echo "ok 1 - engine suites # skip $1"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "not root (the engines need root to run)"

if [ "$install" = 1 ]; then
	"$top/scripts/install-deps.sh" --all >&2 || echo "run.sh: installing packages failed; suites whose engine is missing will skip" >&2
fi
command -v bats >/dev/null || skip_all "bats is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
[ -x /bin/busybox ] || skip_all "busybox-static is not installed (the image is built from it)"

export WARD=${WARD:-$top/build/ward}
if [ ! -x "$WARD" ]; then
	echo "run.sh: $WARD is missing: building it in build-engines/" >&2
	if [ ! -f "$top/build-engines/build.ninja" ]; then
		meson setup "$top/build-engines" "$top" -Dtests=disabled >&2 || skip_all "cannot configure ward's build"
	fi
	ninja -C "$top/build-engines" >&2 || skip_all "ward does not build"
	WARD=$top/build-engines/ward
fi
[ -n "$runtime" ] && export WARD_ENGINES_RUNTIME=$runtime

"$here/mkimage.sh" >&2 || skip_all "cannot build the busybox test image (tests/engines/mkimage.sh)"

WARD_ENGINES_TMP=$(mktemp -d /tmp/ward-eng.XXXXXX)
chmod 755 "$WARD_ENGINES_TMP"
export WARD_ENGINES_TMP

# shellcheck source=helpers_engines.bash
. "$here/helpers_engines.bash"

cleanup() {
	local t=$WARD_ENGINES_TMP d p
	[ -d "$t" ] || return 0
	# Podman containers (their conmon and init are not below $t by pid).
	for d in "$t"/wpm.*; do
		[ -f "$d/ward.conf" ] || continue
		CONTAINERS_CONF=$d/ward.conf CONTAINERS_STORAGE_CONF=$d/storage.conf \
			timeout 60 podman rm -af -t 0 >/dev/null 2>&1 || true
	done
	# containerd tasks, while containerd still answers.
	for d in "$t"/wctd.*; do
		[ -S "$d/containerd.sock" ] || continue
		local c=(ctr --address "$d/containerd.sock" -n wardtest)
		for p in $(timeout 10 "${c[@]}" task ls -q 2>/dev/null); do
			timeout 10 "${c[@]}" task kill -s KILL "$p" >/dev/null 2>&1 || true
			sleep 0.2
			timeout 10 "${c[@]}" task delete -f "$p" >/dev/null 2>&1 || true
		done
	done
	# Whatever runtime state roots remain below $t.
	for d in $(find "$t" -maxdepth 4 -type d -name wardtest -path '*runc-root*' 2>/dev/null); do
		for p in $("${WARD_ENGINES_RUNTIME:-$WARD}" --root "$d" list -q 2>/dev/null); do
			"${WARD_ENGINES_RUNTIME:-$WARD}" --root "$d" delete -f "$p" >/dev/null 2>&1 || true
		done
	done
	# containerd first (so it restarts no shim), then everything else that
	# names our directory: shims, conmon, podman's rootless pause process.
	for p in $(cat "$t"/wctd.*/containerd.pid 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in $(pids_mentioning "$t/"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	umount_below "$t"
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bats_args=(--tap)
[ -n "$filter" ] && bats_args+=(--filter "$filter")
# A few minutes normally; the limit only guards against a hung engine.
timeout --foreground 1200 bats "${bats_args[@]}" "${suites[@]}"
rc=$?
[ $rc -eq 124 ] && echo "# run.sh: the engine suites timed out after 20 minutes"
exit $rc
