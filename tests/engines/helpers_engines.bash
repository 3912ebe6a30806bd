# Shared helpers for the engine suites (podman.bats, containerd.bats): ward
# driven by real container engines, each with its own private state under a
# temporary directory so the host's engine state is never touched.
#
# Environment:
#   WARD                    the ward binary (default: build/ward of this tree)
#   WARD_ENGINES_RUNTIME    the runtime under test (default: $WARD); set it to
#                           /usr/sbin/runc to run the same suites against runc
#                           as a baseline (ward-only checks then skip)
#   WARD_ENGINES_TMP        parent of the suites' temporary directories
#                           (default /tmp); tests/engines/run.sh sets it so its
#                           trap can find and stop everything left behind
#   WARD_ENGINES_CACHE      where tests/engines/mkimage.sh keeps the image

ENG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WARD_SRC=$(cd "$ENG_DIR/../.." && pwd)
WARD=${WARD:-$WARD_SRC/build/ward}
RUNTIME=${WARD_ENGINES_RUNTIME:-$WARD}
ENG_TMP=${WARD_ENGINES_TMP:-/tmp}
IMAGE_CACHE=${WARD_ENGINES_CACHE:-$WARD_SRC/tests/fixtures/cache/engines}
IMAGE_REF=docker.io/library/ward-busybox:latest
# This machine's bounding set lacks CAP_SYS_RESOURCE: podman's default root
# rlimits (nofile/nproc raised to the hard maximum) cannot be set, by any
# runtime. Every podman container gets these instead.
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# Is the runtime under test ward (and not the runc baseline)?
runtime_is_ward() {
	"$RUNTIME" --version 2>/dev/null | grep -q '^ward version'
}
require_ward() {
	runtime_is_ward || skip "ward-only check (runtime under test: $RUNTIME)"
}

# The runtime's default state root as root: where an engine that passes no
# --root (podman) makes it keep its containers.
runtime_default_root() {
	if runtime_is_ward; then echo /run/ward; else echo "/run/$(basename "$RUNTIME")"; fi
}

# bats 1.8 cannot skip from setup_file: setup_file records the reason with
# file_skip (then returns 0) and every test's setup() skips with it.
file_skip() {
	export ENGINE_SKIP="$1"
}
check_file_skip() {
	if [ -n "${ENGINE_SKIP:-}" ]; then
		skip "$ENGINE_SKIP"
	fi
}

ensure_runtime() {
	if [ ! -x "$RUNTIME" ]; then
		echo "runtime under test $RUNTIME is missing: build ward (ninja -C build) or set WARD" >&2
		return 1
	fi
}

# The image: OUT/rootfs.tar and OUT/oci-archive.tar (tests/engines/mkimage.sh).
ensure_image() {
	"$ENG_DIR/mkimage.sh" "$IMAGE_CACHE" >&2
}

# ---- assertions (output on failure): tests/assert.bash ----
source "$ENG_DIR/../assert.bash"

# Retry a command until it succeeds (default 10 s, 0.1 s steps).
wait_for() {
	local tries=${WAIT_TRIES:-100}
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# Like bats `run`, for commands that may leave a process holding stdio (a
# detached container, a daemon): output goes through a file, never a pipe.
run_file() {
	local log
	log=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/run_file.XXXXXX")
	status=0
	"$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
	rm -f "$log"
}

# Drive an interactive command on a pseudo-terminal with script(1): the lines
# of $INPUT are typed one by one after a pause (the shell must be up first).
# Output is the terminal transcript with CRs removed.
run_tty() {
	local input=$1
	shift
	local cmd log
	cmd=$(printf '%q ' "$@")
	log=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/run_tty.XXXXXX")
	status=0
	{
		sleep "${TTY_DELAY:-2}"
		while IFS= read -r line; do
			printf '%s\n' "$line"
			sleep 0.7
		done <<<"$input"
		sleep 3
	} | timeout 60 script -qfec "$cmd" /dev/null >"$log" 2>&1 || status=$?
	output=$(tr -d '\r' <"$log")
	rm -f "$log"
}

# The host path of a process's cgroup for one v1 controller (or the v2
# cgroup when the controller is on the unified hierarchy or there is no v1).
cgroup_dir_of() {
	local pid=$1 ctrl=$2 line rel
	line=$(grep -E "^[0-9]+:([^:]*,)?$ctrl(,[^:]*)?:" "/proc/$pid/cgroup" | head -1)
	if [ -n "$line" ]; then
		rel=${line#*:*:}
		local mnt
		mnt=$(awk -v c="$ctrl" '$3 == "cgroup" && ("," $4 ",") ~ ("," c ",") { print $2; exit }' /proc/self/mounts)
		echo "$mnt$rel"
		return
	fi
	rel=$(grep -E '^0::' "/proc/$pid/cgroup" | cut -d: -f3)
	if [ -d /sys/fs/cgroup/unified ]; then
		echo "/sys/fs/cgroup/unified$rel"
	else
		echo "/sys/fs/cgroup$rel"
	fi
}

# A capability set from /proc/PID/status as a number.
cap_hex() {
	awk -v k="$1:" '$1 == k { print $2 }'
}

# Unmount everything mounted below a directory (deepest first).
umount_below() {
	local dir=$1 m
	[ -n "$dir" ] || return 0
	awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done
}

# Pids of processes whose command line mentions $1 (an exact substring of
# one of their arguments), for ending what a suite itself started, by pid.
pids_mentioning() {
	local needle=$1 f p cmd
	for f in $(grep -alF -- "$needle" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		# Never the test harness itself (bats, run.sh, a grep of ours).
		cmd=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
		case "$cmd" in
		*bats*|*run.sh*|grep\ *) continue ;;
		esac
		echo "$p"
	done
}
