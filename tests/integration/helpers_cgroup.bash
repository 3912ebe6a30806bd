# Helpers for cgroups.bats. Load after helpers:
#   load helpers
#   load helpers_cgroup
#
# The same tests run on a cgroup v1/v2 hybrid host (v1 controllers under
# /sys/fs/cgroup/<ctrl>, a cgroup2 mount at /sys/fs/cgroup/unified) and on a
# pure cgroup v2 host, so files are found through the hierarchy that holds
# each controller rather than by a fixed path. Inside a container
# /sys/fs/cgroup has the same shape as on the host, rooted at the container's
# own cgroup (cgroup namespace), so the same mount point names work inside.

# /sys/fs/cgroup itself is cgroup2: a pure v2 host.
cg_v2_host() {
	[ -f /sys/fs/cgroup/cgroup.controllers ]
}

# "mountpoint fstype superoptions" for each cgroup mount ward uses: the v2
# root, or the mounts directly below /sys/fs/cgroup.
cg_mounts() {
	awk '{
		for (i = 7; i <= NF; i++) if ($i == "-") break
		fs = $(i + 1); opts = $(i + 3); mp = $5
		if (fs != "cgroup" && fs != "cgroup2") next
		if (mp != "/sys/fs/cgroup" && mp !~ /^\/sys\/fs\/cgroup\/[^\/]+$/) next
		print mp, fs, opts
	}' /proc/self/mountinfo
}

# controller -> mount point, filled by cg_cache. Every lookup below runs in a
# $(...) subshell, which cannot fill a cache: call cg_cache in setup. Under
# emulation (the KVM lane) each awk and grep costs a tenth of a second.
declare -gA CG_MP=()
CG_CACHED=

# Record the mount point of every controller: the first v1 mount naming it,
# else the first cgroup2 mount offering it (the order cg_mount searches in).
cg_cache() {
	local mp fs opts c mounts
	CG_MP=()
	mounts=$(cg_mounts)
	while read -r mp fs opts; do
		[ "$fs" = cgroup ] || continue
		for c in ${opts//,/ }; do
			[ -n "${CG_MP[$c]+x}" ] || CG_MP[$c]=$mp
		done
	done <<<"$mounts"
	while read -r mp fs opts; do
		[ "$fs" = cgroup2 ] && [ -r "$mp/cgroup.controllers" ] || continue
		for c in $(<"$mp/cgroup.controllers"); do
			[ -n "${CG_MP[$c]+x}" ] || CG_MP[$c]=$mp
		done
	done <<<"$mounts"
	CG_CACHED=1
}

# Mount point of the hierarchy holding controller $1 (a v1 mount with that
# controller, else a cgroup2 mount offering it); fails if there is none.
cg_mount() {
	local want=$1 mp fs opts
	if [ -n "$CG_CACHED" ]; then
		[ -n "${CG_MP[$want]:-}" ] || return 1
		echo "${CG_MP[$want]}"
		return 0
	fi
	while read -r mp fs opts; do
		[ "$fs" = cgroup ] && [[ ",$opts," == *",$want,"* ]] && { echo "$mp"; return 0; }
	done < <(cg_mounts)
	while read -r mp fs opts; do
		[ "$fs" = cgroup2 ] && grep -qw -- "$want" "$mp/cgroup.controllers" 2>/dev/null &&
			{ echo "$mp"; return 0; }
	done < <(cg_mounts)
	return 1
}

# Whether controller $1 lives on a cgroup2 hierarchy (decides file names).
cg_is_v2() {
	local mp
	mp=$(cg_mount "$1") || return 1
	[ -f "$mp/cgroup.controllers" ]
}

# Skip the test unless controller $1 is mounted somewhere.
require_ctrl() {
	cg_mount "$1" >/dev/null || skip "no $1 controller on this host"
}

# Every cgroup hierarchy mount point (ward places a container in each).
cg_all_mounts() {
	local mp fs opts
	while read -r mp fs opts; do
		# On a pure v2 host ward only uses the v2 root.
		if cg_v2_host && [ "$fs" != cgroup2 ]; then continue; fi
		echo "$mp"
	done < <(cg_mounts)
}

# Host directory of container cgroup path $2 (default /$WARD_CGROUP_PARENT/$ID) for
# controller $1.
cg_dir() {
	local mp
	mp=$(cg_mount "$1") || return 1
	echo "$mp${2:-/$WARD_CGROUP_PARENT/$ID}"
}

# Host file $2 of the container's cgroup for controller $1: cg_host memory memory.max
cg_host() {
	echo "$(cg_dir "$1")/$2"
}

# The same file as seen from inside the container.
cg_in() {
	echo "$(cg_mount "$1")/$2"
}

# Name of a memory file on this host's memory hierarchy:
#   limit | reservation | swap | usage
mem_file() {
	if cg_is_v2 memory; then
		case $1 in
		limit) echo memory.max ;;
		reservation) echo memory.low ;;
		swap) echo memory.swap.max ;;
		usage) echo memory.current ;;
		esac
	else
		case $1 in
		limit) echo memory.limit_in_bytes ;;
		reservation) echo memory.soft_limit_in_bytes ;;
		swap) echo memory.memsw.limit_in_bytes ;;
		usage) echo memory.usage_in_bytes ;;
		esac
	fi
}

# runc's (and ward's) cpu.shares -> cpu.weight conversion.
shares_to_weight() {
	echo $((1 + (($1 - 2) * 9999) / 262142))
}

# A unique container id: tests on this host may run concurrently with other
# suites, and the default cgroup path /ward/<id> is shared by all state roots.
new_id() {
	echo "cg${BATS_TEST_NUMBER}-$$"
}

# Set process.args exactly (set_args splits arguments at newlines; these
# tests pass multi-line scripts).
set_cmd() {
	local a i=0 args=() refs=()
	for a in "$@"; do
		args+=(--arg "a$i" "$a")
		refs+=("\$a$i")
		i=$((i + 1))
	done
	update_config "${args[@]}" ".process.args = [$(IFS=,; echo "${refs[*]}")]"
}

# CTR_STATUS and CTR_PID of container $1 from `ward state`, read without jq
# (a second of start-up under emulation); fails if there is no such container.
ctr_state() {
	local s
	CTR_STATUS= CTR_PID=
	s=$(ward state "$1" 2>/dev/null) || return 1
	[[ $s =~ \"status\":\ *\"([a-z]+)\" ]] && CTR_STATUS=${BASH_REMATCH[1]}
	[[ $s =~ \"pid\":\ *([0-9]+) ]] && CTR_PID=${BASH_REMATCH[1]}
	return 0
}

# Start a long-running container $ID (run -d) whose process is the sh
# script $1 (default: sleep). Sets INIT_PID.
start_ctr() {
	local i
	set_cmd sh -c "${1:-sleep 1000}"
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	for i in $(seq 1 100); do
		ctr_state "$ID" && [ "$CTR_STATUS" = running ] && break
		sleep 0.05
	done
	if [ "$CTR_STATUS" != running ] || [ -z "$CTR_PID" ]; then
		echo "container $ID did not reach running (now: $(ward state "$ID" 2>&1))" >&2
		return 1
	fi
	INIT_PID=$CTR_PID
}

# Run a sh script inside the running container $ID (foreground exec).
in_ctr() {
	run "$WARD" --root "$STATE_ROOT" exec "$ID" sh -c "$1"
}

# "MAJ:MIN" of a real disk (the root file system's device, else the first
# non-virtual disk with a size); fails if there is none.
real_blockdev() {
	local dev d
	dev=$(findmnt -no MAJ:MIN / 2>/dev/null | head -1)
	if [ -n "$dev" ] && [ "${dev%%:*}" != 0 ] && [ -e "/sys/dev/block/$dev" ]; then
		echo "$dev"
		return 0
	fi
	for d in /sys/block/*; do
		case ${d##*/} in loop* | ram* | zram* | nbd*) continue ;; esac
		[ "$(cat "$d/size" 2>/dev/null || echo 0)" -gt 0 ] || continue
		cat "$d/dev"
		return 0
	done
	return 1
}

# Wait until the shell condition $1 (evaluated each time, in the caller's
# variables) holds, up to ~5 s.
wait_for() {
	local _i
	for _i in $(seq 1 100); do
		eval "$1" && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $1" >&2
	return 1
}

# The container's cgroup directory exists in no hierarchy (path $1, default
# /$WARD_CGROUP_PARENT/$ID).
assert_no_cgroup() {
	local rel=${1:-/$WARD_CGROUP_PARENT/$ID} mp left=
	for mp in $(cg_all_mounts); do
		[ -d "$mp$rel" ] && left="$left $mp$rel"
	done
	if [ -n "$left" ]; then
		echo "cgroups left behind:$left" >&2
		return 1
	fi
}

# The container's cgroup directory exists in every hierarchy.
assert_cgroup_everywhere() {
	local rel=${1:-/$WARD_CGROUP_PARENT/$ID} mp missing=
	for mp in $(cg_all_mounts); do
		[ -d "$mp$rel" ] || missing="$missing $mp$rel"
	done
	if [ -n "$missing" ]; then
		echo "cgroup missing in:$missing" >&2
		return 1
	fi
}

# Assert that file $1 holds $2 (first word of the first line, or the whole
# content if $3 = all).
assert_file_value() {
	local got
	got=$(<"$1") || return 1
	[ "${3:-}" = all ] || read -r got _ <<<"${got%%$'\n'*}"
	if [ "$got" != "$2" ]; then
		echo "$1: expected '$2', got '$got'" >&2
		return 1
	fi
}

# Kill background helpers started by a test (pids in $BG_PIDS).
kill_bg() {
	local p
	for p in ${BG_PIDS:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=
}

# Whether a fresh container cgroup offers file $2 of controller $1 (some
# files depend on kernel options or I/O schedulers). Creates and deletes a
# probe container from the current config: call before shaping resources.
cg_probe_file() {
	local probe="$ID-probe" r=1 log="$BATS_TEST_TMPDIR/probe.log"
	"$WARD" --root "$STATE_ROOT" create -b "$BUNDLE" "$probe" </dev/null >"$log" 2>&1 || {
		cat "$log" >&2
		return 1
	}
	[ -e "$(cg_dir "$1" "/$WARD_CGROUP_PARENT/$probe")/$2" ] && r=0
	"$WARD" --root "$STATE_ROOT" delete -f "$probe" >/dev/null 2>&1 || true
	return $r
}

# A device node for the device-rule tests: "TYPE MAJOR MINOR" of a device
# the host itself can open (its driver is loaded), not among the devices a
# container gets by default. Fails if there is none.
test_device() {
	local cand path t ma mi
	for cand in "/dev/loop0 b 7 0" "/dev/net/tun c 10 200" "/dev/fuse c 10 229"; do
		read -r path t ma mi <<<"$cand"
		[ -e "$path" ] || continue
		( exec 3<"$path" ) 2>/dev/null || continue
		echo "$t $ma $mi"
		return 0
	done
	return 1
}

# Thaw paused containers so that teardown's delete -f does not wait on
# frozen processes.
resume_paused() {
	[ -n "${STATE_ROOT:-}" ] && [ -d "$STATE_ROOT" ] || return 0
	local id
	for id in $("$WARD" --root "$STATE_ROOT" list -q 2>/dev/null); do
		if ctr_state "$id" && [ "$CTR_STATUS" = paused ]; then
			"$WARD" --root "$STATE_ROOT" resume "$id" >/dev/null 2>&1 || true
		fi
	done
}

# wait_status with a deadline of $3 seconds (wait_status polls 100 times,
# which takes ~10 s on a loaded host when the status never comes).
wait_status_within() {
	local id=$1 want=$2 end=$(($(date +%s%N) + ${3:-3} * 1000000000)) now
	while :; do
		ctr_state "$id"
		now=$CTR_STATUS
		[ "$now" = "$want" ] && return 0
		[ "$(date +%s%N)" -lt "$end" ] || break
		sleep 0.05
	done
	echo "container $id did not reach $want in ${3:-3} s (now: $now)" >&2
	return 1
}
