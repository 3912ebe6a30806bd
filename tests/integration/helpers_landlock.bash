# Helpers for tests/integration/landlock.bats (load after helpers and
# helpers_inside). The probe is tests/landlock/llprobe.c: one system call
# per argument, one line per call ("ok" or the errno's name).

LL_SRC="$WARD_SRC/tests/landlock/llprobe.c"

# Build the probe once per bats run (static: it runs in the busybox rootfs)
# into a directory keyed by the source's hash; export LLPROBE. A prebuilt
# probe ($LLPROBE, or `llprobe` on PATH) is used where there is no compiler
# (the KVM lane).
build_llprobe() {
	if [ -n "${LLPROBE:-}" ] && [ -x "$LLPROBE" ]; then
		export LLPROBE
		return 0
	fi
	if [ ! -f "$LL_SRC" ] || ! command -v cc >/dev/null; then
		LLPROBE=$(command -v llprobe) || {
			echo "no compiler and no llprobe on PATH" >&2
			return 1
		}
		export LLPROBE
		return 0
	fi
	local sum dir
	sum=$(sha256sum "$LL_SRC" | cut -c1-16)
	dir="${BATS_RUN_TMPDIR:-/tmp}/llprobe-$sum"
	if [ ! -x "$dir/llprobe" ]; then
		mkdir -p "$dir"
		cc -static -O2 -Wall -Wextra -Werror -o "$dir/llprobe.tmp.$$" "$LL_SRC" >&2
		mv -f "$dir/llprobe.tmp.$$" "$dir/llprobe"
	fi
	export LLPROBE="$dir/llprobe"
}

# The running kernel's Landlock ABI (0: none), as the probe asks it.
kernel_ll_abi() {
	"$LLPROBE" abi
}

# Skip unless the kernel has at least Landlock ABI $1 (for $2).
need_abi() {
	local have
	have=$(kernel_ll_abi)
	[ "$have" -ge "$1" ] || skip "$2 needs Landlock ABI $1; this kernel has ABI $have"
}

# Replace process.landlock with a JSON value (a string of JSON).
set_landlock() {
	update_config --argjson l "$1" '.process.landlock = $l'
}

# A one-right policy: RIGHT handled, allowed beneath the listed paths.
#   one_right RIGHT PATH...
one_right() {
	local right=$1 paths
	shift
	paths=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	set_landlock "{\"ruleset\": {\"handledAccessFS\": [\"$right\"]},
		\"rules\": {\"pathBeneath\": [{\"allowedAccess\": [\"$right\"], \"paths\": $paths}]}}"
}

# Run the probe as the container's process in the foreground:
#   ll_probe OP...   ($status, $output)
ll_probe() {
	set_args llprobe "$@"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
}

# $output must be exactly these lines.
assert_lines() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(printf '%s\n' "$output")
	if [ "$want" != "$got" ]; then
		echo "expected lines:" >&2
		echo "$want" >&2
		echo "actual output (status $status):" >&2
		echo "$got" >&2
		return 1
	fi
}

# The host's capability bounding set as config.json names (a container
# cannot get a capability ward itself lacks).
host_cap_names_json() {
	local bnd name names=()
	bnd=$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
	for name in "${!WARD_CAP_BITS[@]}"; do
		if (((bnd >> WARD_CAP_BITS[$name]) & 1)); then
			names+=("$name")
		fi
	done
	printf '%s\n' "${names[@]}" | jq -R . | jq -s -c 'sort'
}
