# Shared helpers for ward's bats tests. Each test gets its own bundle and its
# own state root under $BATS_TEST_TMPDIR, and teardown removes whatever the
# test left (containers, then the directories).

WARD_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WARD=${WARD:-$WARD_SRC/build/ward}
ROOTFS_CACHE=${ROOTFS_CACHE:-$WARD_SRC/tests/fixtures/cache/rootfs}
# Where containers without a cgroupsPath go (setup_suite.bash gives each bats
# run its own; ward's default when run otherwise).
export WARD_CGROUP_PARENT=${WARD_CGROUP_PARENT:-ward}

# The ASan+UBSan lane (tests/lanes/asan.sh) sets WARD_SANITIZER_LOGS: each
# test's sanitizer reports go to files named after the test (FILE.bats-N,
# "file" for setup_file), so that the lane can say which test made one.
if [ -n "${WARD_SANITIZER_LOGS:-}" ]; then
	_ward_san_log="$WARD_SANITIZER_LOGS/${BATS_TEST_FILENAME##*/}-${BATS_TEST_NUMBER:-file}"
	export ASAN_OPTIONS="${WARD_ASAN_OPTIONS:-}:log_path=$_ward_san_log.san"
	export UBSAN_OPTIONS="${WARD_UBSAN_OPTIONS:-}:log_path=$_ward_san_log.san"
	unset _ward_san_log
fi

# For the few tests that cannot hold under a sanitized ward (they count its
# memory or file descriptors, which ASan's runtime changes): skip them in the
# ASan+UBSan lane, saying why.
skip_if_sanitized() {
	[ -z "${WARD_SANITIZED:-}" ] || skip "under ASan+UBSan: $*"
}

# Build the busybox rootfs once per machine (scripts/mkrootfs.sh).
ensure_rootfs_cache() {
	if [ ! -x "$ROOTFS_CACHE/bin/busybox" ]; then
		mkdir -p "$(dirname "$ROOTFS_CACHE")"
		local tmp="$ROOTFS_CACHE.tmp.$$"
		"$WARD_SRC/scripts/mkrootfs.sh" "$tmp" >/dev/null
		mv -T "$tmp" "$ROOTFS_CACHE" 2>/dev/null || rm -rf "$tmp"
	fi
}

# Fresh bundle in $BUNDLE with a non-terminal `ward spec` config.
setup_bundle() {
	ensure_rootfs_cache
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	STATE_ROOT="$BATS_TEST_TMPDIR/state"
	mkdir -p "$BUNDLE"
	cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
	"$WARD" spec --bundle "$BUNDLE"
	update_config '.process.terminal = false'
}

# Apply a jq filter to $BUNDLE/config.json.
update_config() {
	local tmp="$BUNDLE/config.json.tmp"
	jq "$@" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# Add capabilities to every set but ambient: add_caps CAP_X...
add_caps() {
	local json
	json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	update_config --argjson c "$json" '.process.capabilities |= with_entries(
		if .key == "ambient" then . else .value = ((.value + $c) | unique) end)'
}

# Set process.args from the arguments (one jq: its start-up dominates the
# cost of a test under emulation, as in the KVM lane).
set_args() {
	printf '%s\n' "$@" |
		update_config --rawfile a /dev/stdin \
			'.process.args = ($a | rtrimstr("\n") | if . == "" then [""] else split("\n") end)'
}

# ward with the test's state root.
ward() {
	"$WARD" --root "$STATE_ROOT" "$@"
}

# Run a container in the foreground and capture output/status (bats `run`).
run_ward() {
	run "$WARD" --root "$STATE_ROOT" "$@"
}

# For commands that leave a container process behind (create, run -d, exec -d):
# the container inherits stdio, so capture into a file instead of a pipe that
# bats would wait on. Sets $status and $output like `run`.
run_detached() {
	local log="$BATS_TEST_TMPDIR/detached.log"
	status=0
	"$WARD" --root "$STATE_ROOT" "$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
}

teardown_bundle() {
	if [ -n "${STATE_ROOT:-}" ] && [ -d "$STATE_ROOT" ]; then
		local id
		for id in $("$WARD" --root "$STATE_ROOT" list -q 2>/dev/null); do
			"$WARD" --root "$STATE_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
}

# Wait until a container reaches a status (default 5 s).
wait_status() {
	local id=$1 want=$2 i
	for i in $(seq 1 100); do
		[ "$(ward state "$id" 2>/dev/null | jq -r .status)" = "$want" ] && return 0
		sleep 0.05
	done
	echo "container $id did not reach $want (now: $(ward state "$id" 2>&1))" >&2
	return 1
}

# Assertions with useful failure output.
source "$WARD_SRC/tests/assert.bash"

# Nothing of container $1 may remain: state dir, cgroups, processes.
assert_no_leftovers() {
	local id=$1
	if [ -e "$STATE_ROOT/$id" ]; then
		echo "state dir $STATE_ROOT/$id left behind" >&2
		return 1
	fi
	local left
	# find fails when a cgroup of a concurrent test vanishes mid-walk: only
	# what it prints counts.
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*/$WARD_CGROUP_PARENT/$id" 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "cgroups left behind: $left" >&2
		return 1
	fi
}
