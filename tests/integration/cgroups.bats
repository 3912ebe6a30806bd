#!/usr/bin/env bats
# cgroups: linux.resources (memory, pids, cpu, cpuset, blockIO, hugetlb,
# devices, unified), linux.cgroupsPath, and the commands that act through the
# container's cgroups (ps, pause, resume, update, events, kill --all, delete).
#
# Runs on cgroup v1/v2 hybrid hosts and on pure cgroup v2 hosts: every file is
# looked up through the hierarchy that holds its controller
# (helpers_cgroup.bash), and checked both on the host and from inside the
# container (whose /sys/fs/cgroup shows its own cgroup, read-only).

load helpers
load helpers_cgroup

setup() {
	setup_bundle
	cg_cache
	ID=$(new_id)
	BG_PIDS=
	CG_EXTRA_DIRS=
}

teardown() {
	kill_bg
	resume_paused
	cg_thaw
	teardown_bundle
	local d
	# Parents of an absolute cgroupsPath (ward removes only the leaf).
	for d in $CG_EXTRA_DIRS; do rmdir "$d" 2>/dev/null || true; done
}

MiB=1048576

# ---------------------------------------------------------------- memory

@test "memory.limit sets memory.limit_in_bytes (v1) / memory.max (v2)" {
	require_ctrl memory
	update_config --argjson l $((32 * MiB)) '.linux.resources.memory = {limit: $l}'
	start_ctr
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((32 * MiB))
	in_ctr "cat $(cg_in memory "$(mem_file limit)")"
	assert_success
	[ "$output" = $((32 * MiB)) ]
}

@test "memory.reservation sets memory.soft_limit_in_bytes (v1) / memory.low (v2)" {
	require_ctrl memory
	update_config --argjson l $((64 * MiB)) --argjson r $((16 * MiB)) \
		'.linux.resources.memory = {limit: $l, reservation: $r}'
	start_ctr
	assert_file_value "$(cg_host memory "$(mem_file reservation)")" $((16 * MiB))
	in_ctr "cat $(cg_in memory "$(mem_file reservation)")"
	assert_success
	[ "$output" = $((16 * MiB)) ]
}

@test "memory.swap sets memory.memsw.limit_in_bytes (v1) / memory.swap.max = swap - limit (v2)" {
	require_ctrl memory
	cg_probe_file memory "$(mem_file swap)" || skip "no swap accounting ($(mem_file swap)) on this host"
	update_config --argjson l $((32 * MiB)) --argjson s $((64 * MiB)) \
		'.linux.resources.memory = {limit: $l, swap: $s}'
	start_ctr
	local want=$((64 * MiB))
	cg_is_v2 memory && want=$((32 * MiB)) # v2 limits swap alone
	assert_file_value "$(cg_host memory "$(mem_file swap)")" "$want"
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((32 * MiB))
	in_ctr "cat $(cg_in memory "$(mem_file swap)")"
	assert_success
	[ "$output" = "$want" ]
}

@test "memory.swappiness sets memory.swappiness (v1); v2 refuses it by name" {
	require_ctrl memory
	update_config '.linux.resources.memory = {swappiness: 13}'
	if cg_is_v2 memory; then
		set_cmd true
		run_detached create -b "$BUNDLE" "$ID"
		assert_failure
		assert_output_contains "swappiness"
		assert_no_cgroup
		return
	fi
	start_ctr
	assert_file_value "$(cg_host memory memory.swappiness)" 13
	in_ctr "cat $(cg_in memory memory.swappiness)"
	assert_success
	[ "$output" = 13 ]
}

@test "memory.disableOOMKiller sets oom_kill_disable (v1); v2 refuses it by name" {
	require_ctrl memory
	update_config --argjson l $((64 * MiB)) \
		'.linux.resources.memory = {limit: $l, disableOOMKiller: true}'
	if cg_is_v2 memory; then
		set_cmd true
		run_detached create -b "$BUNDLE" "$ID"
		assert_failure
		assert_output_contains "disableOOMKiller"
		assert_no_cgroup
		return
	fi
	start_ctr
	grep -qx "oom_kill_disable 1" "$(cg_host memory memory.oom_control)"
	in_ctr "cat $(cg_in memory memory.oom_control)"
	assert_success
	assert_output_contains "oom_kill_disable 1"
}

# A memory limit of $1 bytes that swap cannot extend (when the host has swap).
oom_memory_config() {
	if [ "$(wc -l </proc/swaps)" -gt 1 ]; then
		update_config --argjson l "$1" '.linux.resources.memory = {limit: $l, swap: $l}'
	else
		update_config --argjson l "$1" '.linux.resources.memory = {limit: $l}'
	fi
}

@test "a container with a 32M memory limit that allocates 64M is OOM-killed (137)" {
	require_ctrl memory
	oom_memory_config $((32 * MiB))
	# tail keeps a line without a newline in memory: 64M of anonymous memory.
	set_cmd sh -c 'head -c 64m /dev/zero | tail >/dev/null'
	run_ward run -b "$BUNDLE" "$ID"
	echo "status $status, output: $output"
	[ "$status" -eq 137 ]
	assert_no_cgroup
}

@test "the same 64M allocation succeeds under a 128M limit (the OOM test's method works)" {
	require_ctrl memory
	update_config --argjson l $((128 * MiB)) '.linux.resources.memory = {limit: $l}'
	set_cmd sh -c 'head -c 64m /dev/zero | tail | wc -c'
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	[ "$output" = $((64 * MiB)) ]
}

@test "ward events reports an OOM kill as {\"type\":\"oom\"}" {
	require_ctrl memory
	oom_memory_config $((32 * MiB))
	start_ctr
	local ev=$BATS_TEST_TMPDIR/events.out
	"$WARD" --root "$STATE_ROOT" events --interval 100ms "$ID" </dev/null >"$ev" 2>&1 3>&- &
	BG_PIDS=$!
	# The OOM watch is set up before the first stats line is printed.
	wait_for 'grep -q "\"type\":\"stats\"" "$ev"'
	in_ctr 'head -c 64m /dev/zero | tail; echo "tail=$?"'
	# The OOM killer picks tail, which holds the 64 MiB; once in a while it
	# picks the shell waiting for it (seen about 1 run in 10). Either way a
	# process of the container died of SIGKILL.
	if [ "$status" = 0 ]; then
		[ "${lines[-1]}" = "tail=137" ]
	else
		[ "$status" = 137 ]
	fi
	wait_for 'grep -q "\"type\":\"oom\"" "$ev"'
	run jq -c 'select(.type == "oom")' "$ev"
	[ "$(echo "${lines[0]}" | jq -r .id)" = "$ID" ]
}

# ---------------------------------------------------------------- pids

@test "pids.limit 10 stops a fork bomb: forks fail and pids.current never exceeds 10" {
	require_ctrl pids
	update_config '.linux.resources.pids = {limit: 10}'
	local d
	d=$(cg_mount pids)
	# Only shell builtins after the bomb: every pid is taken.
	set_cmd sh -c '
		d=$1
		( i=0; while [ $i -lt 50 ]; do sleep 3 & i=$((i+1)); echo x; done ) >/dev/shm/n 2>/dev/null
		n=0; while read l; do n=$((n+1)); done </dev/shm/n
		read cur <$d/pids.current; read max <$d/pids.max
		ev=0; while read k v; do [ "$k" = max ] && ev=$v; done <$d/pids.events
		peak=0; [ -e $d/pids.peak ] && read peak <$d/pids.peak
		echo "spawned=$n current=$cur max=$max events_max=$ev peak=$peak"' sh "$d"
	run_ward run -b "$BUNDLE" "$ID"
	assert_success
	echo "$output"
	local spawned current max events_max peak
	eval "$(echo "$output" | tr ' ' '\n' | grep -E '^(spawned|current|max|events_max|peak)=')"
	[ "$max" = 10 ]
	[ "$current" -le 10 ]
	[ "$peak" -le 10 ]
	[ "$spawned" -lt 10 ] # init sh + the subshell + at most 8 sleeps
	[ "$events_max" -gt 0 ] # the kernel refused forks
	assert_no_cgroup
}

@test "pids.limit is visible on the host as pids.max" {
	require_ctrl pids
	update_config '.linux.resources.pids = {limit: 10}'
	start_ctr
	assert_file_value "$(cg_host pids pids.max)" 10
}

# ---------------------------------------------------------------- cpu

@test "cpu.shares sets cpu.shares (v1) / cpu.weight converted as runc (v2)" {
	require_ctrl cpu
	update_config '.linux.resources.cpu = {shares: 512}'
	start_ctr
	local file=cpu.shares want=512
	if cg_is_v2 cpu; then
		file=cpu.weight
		want=$(shares_to_weight 512)
	fi
	assert_file_value "$(cg_host cpu "$file")" "$want"
	in_ctr "cat $(cg_in cpu "$file")"
	assert_success
	[ "$output" = "$want" ]
}

@test "cpu.quota/period set cpu.cfs_quota_us + cpu.cfs_period_us (v1) / cpu.max (v2)" {
	require_ctrl cpu
	update_config '.linux.resources.cpu = {quota: 20000, period: 50000}'
	start_ctr
	if cg_is_v2 cpu; then
		assert_file_value "$(cg_host cpu cpu.max)" "20000 50000" all
		in_ctr "cat $(cg_in cpu cpu.max)"
		assert_success
		[ "$output" = "20000 50000" ]
	else
		assert_file_value "$(cg_host cpu cpu.cfs_quota_us)" 20000
		assert_file_value "$(cg_host cpu cpu.cfs_period_us)" 50000
		in_ctr "cat $(cg_in cpu cpu.cfs_quota_us) $(cg_in cpu cpu.cfs_period_us)"
		assert_success
		[ "${lines[0]}" = 20000 ]
		[ "${lines[1]}" = 50000 ]
	fi
}

# CPU time used by the container so far, in nanoseconds.
cpu_usage_ns() {
	if cg_mount cpuacct >/dev/null 2>&1 && ! cg_is_v2 cpuacct; then
		cat "$(cg_host cpuacct cpuacct.usage)"
	else
		echo $(($(awk '$1 == "usage_usec" {print $2}' "$(cg_host cpu cpu.stat)") * 1000))
	fi
}

@test "a cpu quota of 20% holds a busy loop to roughly 0.2 s of CPU per wall second" {
	require_ctrl cpu
	update_config '.linux.resources.cpu = {quota: 20000, period: 100000}'
	start_ctr 'while :; do :; done'
	local u0 u1 t0 t1
	u0=$(cpu_usage_ns)
	t0=$(date +%s%N)
	sleep 0.7
	u1=$(cpu_usage_ns)
	t1=$(date +%s%N)
	# CPU per wall second, in per mille: 200 expected, tolerate up to 300.
	local pm=$(((u1 - u0) * 1000 / (t1 - t0)))
	echo "cpu use: $pm per mille of one CPU" >&2
	[ "$pm" -le 300 ]
	[ "$pm" -ge 20 ] # the loop did run
}

@test "cpu.cpus and cpu.mems set cpuset.cpus and cpuset.mems" {
	require_ctrl cpuset
	local cpu
	cpu=$(tr ',' '\n' </sys/devices/system/cpu/online | tail -1)
	cpu=${cpu##*-}
	update_config --arg c "$cpu" '.linux.resources.cpu = {cpus: $c, mems: "0"}'
	start_ctr
	assert_file_value "$(cg_host cpuset cpuset.cpus)" "$cpu"
	assert_file_value "$(cg_host cpuset cpuset.mems)" 0
	in_ctr "cat $(cg_in cpuset cpuset.cpus) $(cg_in cpuset cpuset.mems); grep Cpus_allowed_list /proc/self/status"
	assert_success
	[ "${lines[0]}" = "$cpu" ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" =~ Cpus_allowed_list:[[:space:]]+$cpu$ ]]
}

# ---------------------------------------------------------------- blockIO

# The controller holding block I/O: blkio (v1) or io (v2).
blk_ctrl() {
	if cg_mount blkio >/dev/null 2>&1; then echo blkio; else echo io; fi
}

@test "blockIO.weight sets blkio.weight / blkio.bfq.weight (v1) / io.weight / io.bfq.weight (v2)" {
	local ctrl
	ctrl=$(blk_ctrl)
	require_ctrl "$ctrl"
	# Which weight file the kernel offers depends on the I/O schedulers.
	local dir file want
	local candidates="io.weight io.bfq.weight"
	[ "$ctrl" = blkio ] && candidates="blkio.weight blkio.bfq.weight"
	for file in $candidates ""; do
		[ -z "$file" ] && break
		cg_probe_file "$ctrl" "$file" && break
	done
	[ -n "$file" ] || skip "no block I/O weight file on this host (no CFQ/BFQ/iocost)"
	dir=$(cg_dir "$ctrl")
	update_config '.linux.resources.blockIO = {weight: 500}'
	start_ctr
	want=500
	[ "$file" = io.weight ] && want=$((1 + ((500 - 10) * 9999) / 990))
	run cat "$dir/$file"
	echo "$file: $output" >&2
	# "500" (blkio.weight) or "default 500" (bfq, io.weight).
	[[ "$output" =~ (^|default\ )$want($'\n'|$) ]]
	in_ctr "cat $(cg_in "$ctrl" "$file")"
	assert_success
	[[ "$output" =~ (^|default\ )$want($'\n'|$) ]]
}

@test "blockIO.throttleReadBpsDevice sets blkio.throttle.read_bps_device (v1) / io.max rbps (v2)" {
	local ctrl dev
	ctrl=$(blk_ctrl)
	require_ctrl "$ctrl"
	dev=$(real_blockdev) || skip "no block device on this host"
	update_config --argjson ma "${dev%%:*}" --argjson mi "${dev##*:}" \
		'.linux.resources.blockIO = {throttleReadBpsDevice: [{major: $ma, minor: $mi, rate: 1048576}],
		                             throttleWriteIOPSDevice: [{major: $ma, minor: $mi, rate: 300}]}'
	start_ctr
	if [ "$ctrl" = blkio ]; then
		grep -qx "$dev 1048576" "$(cg_host blkio blkio.throttle.read_bps_device)"
		grep -qx "$dev 300" "$(cg_host blkio blkio.throttle.write_iops_device)"
		in_ctr "cat $(cg_in blkio blkio.throttle.read_bps_device)"
		assert_success
		[ "$output" = "$dev 1048576" ]
	else
		cat "$(cg_host io io.max)" >&2
		grep -q "^$dev rbps=1048576 wbps=max riops=max wiops=300" "$(cg_host io io.max)"
		in_ctr "cat $(cg_in io io.max)"
		assert_success
		assert_output_contains "$dev rbps=1048576 wbps=max riops=max wiops=300"
	fi
}

# ---------------------------------------------------------------- hugetlb

@test "hugepageLimits set hugetlb.2MB.limit_in_bytes (v1) / hugetlb.2MB.max (v2)" {
	require_ctrl hugetlb
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
	update_config --argjson l $((4 * MiB)) '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: $l}]'
	start_ctr
	local file=hugetlb.2MB.limit_in_bytes
	cg_is_v2 hugetlb && file=hugetlb.2MB.max
	assert_file_value "$(cg_host hugetlb "$file")" $((4 * MiB))
	in_ctr "cat $(cg_in hugetlb "$file")"
	assert_success
	[ "$output" = $((4 * MiB)) ]
}

# ---------------------------------------------------------------- devices

@test "devices: by default a device can be created but not opened; /dev/null works" {
	# mknod needs CAP_MKNOD, which ward spec leaves out.
	add_caps CAP_MKNOD
	local dev t ma mi
	dev=$(test_device) || skip "no openable test device on this host"
	read -r t ma mi <<<"$dev"
	set_cmd sh -c "
		echo hi >/dev/null && echo null-ok
		head -c 4 /dev/zero | wc -c
		mknod /dev/xdev $t $ma $mi && echo mknod-ok
		exec 3</dev/xdev && echo open-ok"
	run_ward run -b "$BUNDLE" "$ID"
	echo "$output"
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 4 ]
	[ "${lines[2]}" = mknod-ok ]
	assert_output_contains "Operation not permitted"
	assert_output_not_contains "open-ok"
}

@test "devices: a linux.resources.devices allow rule makes that device readable" {
	# mknod needs CAP_MKNOD, which ward spec leaves out.
	add_caps CAP_MKNOD
	local dev t ma mi
	dev=$(test_device) || skip "no openable test device on this host"
	read -r t ma mi <<<"$dev"
	update_config --arg t "$t" --argjson ma "$ma" --argjson mi "$mi" \
		'.linux.resources.devices += [{allow: true, type: $t, major: $ma, minor: $mi, access: "r"}]'
	set_cmd sh -c "mknod /dev/xdev $t $ma $mi && exec 3</dev/xdev && echo open-ok"
	run_ward run -b "$BUNDLE" "$ID"
	echo "$output"
	assert_success
	assert_output_not_contains "Operation not permitted"
	[ "$output" = open-ok ]
}

@test "devices: linux.devices entries are allowed automatically" {
	local dev t ma mi
	dev=$(test_device) || skip "no openable test device on this host"
	read -r t ma mi <<<"$dev"
	update_config --arg t "$t" --argjson ma "$ma" --argjson mi "$mi" \
		'.linux.devices = [{path: "/dev/xdev", type: $t, major: $ma, minor: $mi, fileMode: 384, uid: 0, gid: 0}]'
	set_cmd sh -c 'ls -l /dev/xdev && exec 3</dev/xdev && echo open-ok'
	run_ward run -b "$BUNDLE" "$ID"
	echo "$output"
	assert_success
	assert_output_not_contains "Operation not permitted"
	[ "${lines[-1]}" = open-ok ]
}

# ---------------------------------------------------------------- unified

@test "linux.resources.unified is refused on a v1/hybrid layout with an error naming it" {
	cg_v2_host && skip "pure cgroup v2 host: unified applies (next test)"
	update_config '.linux.resources.unified = {"pids.max": "7"}'
	set_cmd true
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "linux.resources.unified"
	assert_no_cgroup
	[ ! -e "$STATE_ROOT/$ID" ]
}

@test "linux.resources.unified is applied on cgroup v2 (pids.max 7)" {
	cg_v2_host || skip "not a pure cgroup v2 host"
	update_config '.linux.resources.unified = {"pids.max": "7"}'
	start_ctr
	assert_file_value "/sys/fs/cgroup/$WARD_CGROUP_PARENT/$ID/pids.max" 7
	in_ctr 'cat /sys/fs/cgroup/pids.max'
	assert_success
	[ "$output" = 7 ]
}

@test "linux.resources.unified on a hybrid host applies keys of controllers on the v2 mount" {
	cg_v2_host && skip "pure cgroup v2 host"
	cg_is_v2 hugetlb 2>/dev/null || skip "hugetlb is not on this host's cgroup v2 mount"
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
	update_config --arg l $((2 * MiB)) '.linux.resources.unified = {"hugetlb.2MB.max": $l}'
	start_ctr
	assert_file_value "$(cg_host hugetlb hugetlb.2MB.max)" $((2 * MiB))
}

# ---------------------------------------------------------------- cgroupsPath

@test "an absolute linux.cgroupsPath places the init there in every hierarchy; delete removes it" {
	local parent=/wardtest-$$ rel mp
	rel=$parent/$ID
	for mp in $(cg_all_mounts); do CG_EXTRA_DIRS="$CG_EXTRA_DIRS $mp$parent"; done
	update_config --arg p "$rel" '.linux.cgroupsPath = $p'
	start_ctr
	assert_cgroup_everywhere "$rel"
	# Not in the default place.
	assert_no_cgroup "/$WARD_CGROUP_PARENT/$ID"
	cat "/proc/$INIT_PID/cgroup" >&2
	local n=0 line
	while read -r line; do
		[ "${line#*:*:}" = "$rel" ] || {
			echo "init not in $rel: $line" >&2
			false
		}
		n=$((n + 1))
	done <"/proc/$INIT_PID/cgroup"
	[ "$n" -ge 1 ]
	# Every hierarchy ward placed it in shows up in /proc/<pid>/cgroup.
	for mp in $(cg_all_mounts); do
		grep -qx "$INIT_PID" "$mp$rel/cgroup.procs"
	done
	ward kill "$ID" KILL
	wait_status "$ID" stopped
	run_ward delete "$ID"
	assert_success
	assert_no_cgroup "$rel"
}

@test "a cgroupsPath with .. cannot climb out of the cgroup hierarchy (cleaned as runc cleans it)" {
	local mp
	# Enough ".." to reach the host's / from any cgroup mount: unclean, the
	# path names the host directory /$WARD_CGROUP_PARENT/$ID-esc; cleaned, it
	# is the cgroup /$WARD_CGROUP_PARENT/$ID-esc below each hierarchy's root.
	[ ! -e "/$WARD_CGROUP_PARENT" ]
	update_config --arg p "/../../../../../../$WARD_CGROUP_PARENT/x/../$ID-esc/." \
		'.linux.cgroupsPath = $p'
	run_detached create -b "$BUNDLE" "$ID"
	if [ -e "/$WARD_CGROUP_PARENT" ]; then
		echo "ward made /$WARD_CGROUP_PARENT on the host" >&2
		rm -rf "/${WARD_CGROUP_PARENT:?}"
		false
	fi
	assert_success
	INIT_PID=$(ward state "$ID" | jq -r .pid)
	assert_cgroup_everywhere "/$WARD_CGROUP_PARENT/$ID-esc"
	for mp in $(cg_all_mounts); do
		grep -qx "$INIT_PID" "$mp/$WARD_CGROUP_PARENT/$ID-esc/cgroup.procs"
	done
	run_ward delete --force "$ID"
	assert_success
	assert_no_cgroup "/$WARD_CGROUP_PARENT/$ID-esc"
}

@test "a cgroupsPath another container's processes are in is refused, and left as it was" {
	update_config --arg p "/$WARD_CGROUP_PARENT/$ID" '.linux.cgroupsPath = $p'
	start_ctr
	local first=$INIT_PID
	# The same cgroup for a second container: refused before anything runs.
	run_detached create -b "$BUNDLE" "$ID-2"
	assert_failure
	assert_output_contains "is in use by other processes"
	[ ! -e "$STATE_ROOT/$ID-2" ]
	# The first container is untouched: still in its cgroup, which exists.
	local mp
	for mp in $(cg_all_mounts); do
		grep -qx "$first" "$mp/$WARD_CGROUP_PARENT/$ID/cgroup.procs"
	done
	ctr_state "$ID"
	[ "$CTR_STATUS" = running ]
}

@test "a cgroupsPath whose processes are all in a cgroup below it is refused too" {
	require_ctrl pids
	local dir
	dir=$(cg_dir pids "/$WARD_CGROUP_PARENT/$ID-pre")
	mkdir -p "$dir/nested"
	CG_EXTRA_DIRS="$dir/nested $dir"
	sleep 100 &
	BG_PIDS=$!
	echo "$BG_PIDS" >"$dir/nested/cgroup.procs"
	[ -z "$(cat "$dir/cgroup.procs")" ]
	update_config --arg p "/$WARD_CGROUP_PARENT/$ID-pre" '.linux.cgroupsPath = $p'
	set_cmd true
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "is in use by other processes"
	[ ! -e "$STATE_ROOT/$ID" ]
	grep -qx "$BG_PIDS" "$dir/nested/cgroup.procs"
}

# ---------------------------------------------------------------- ps

@test "ward ps prints the ps header and only the container's processes" {
	start_ctr 'sleep 1000 & sleep 1000 & wait'
	local procs
	procs=$(cg_host pids cgroup.procs)
	wait_for '[ "$(wc -l <"$procs")" -eq 3 ]'
	run_ward ps "$ID"
	assert_success
	echo "$output"
	[[ "${lines[0]}" =~ PID ]]
	[ "${#lines[@]}" -eq 4 ]
	local l pid seen_init=0
	for l in "${lines[@]:1}"; do
		pid=$(echo "$l" | awk '{print $2}')
		grep -qx "$pid" "$procs"
		[ "$pid" != "$$" ]
		[ "$pid" = "$INIT_PID" ] && seen_init=1
	done
	[ "$seen_init" = 1 ]
}

@test "ward ps --format json prints the pids of the container's cgroup, the init's included" {
	start_ctr 'sleep 1000 & sleep 1000 & wait'
	local procs
	procs=$(cg_host pids cgroup.procs)
	wait_for '[ "$(wc -l <"$procs")" -eq 3 ]'
	run_ward ps --format json "$ID"
	assert_success
	echo "$output"
	[ "$(echo "$output" | jq 'length')" -eq 3 ]
	[ "$(echo "$output" | jq --argjson p "$INIT_PID" 'index($p) != null')" = true ]
	[ "$(echo "$output" | jq -c 'sort')" = "$(sort -n "$procs" | jq -sc .)" ]
}

# ---------------------------------------------------------------- pause/resume

# The container's cgroup is frozen (v1 freezer.state, v2 cgroup.events).
cg_frozen() {
	if cg_mount freezer >/dev/null 2>&1; then
		grep -qx FROZEN "$(cg_host freezer freezer.state)"
	else
		grep -qx "frozen 1" "/sys/fs/cgroup/$WARD_CGROUP_PARENT/$ID/cgroup.events"
	fi
}

# Thaw the container's cgroup behind ward's back (teardown: a created
# container a test paused, whatever ward does with it).
cg_thaw() {
	cg_frozen 2>/dev/null || return 0
	if cg_mount freezer >/dev/null 2>&1; then
		echo THAWED >"$(cg_host freezer freezer.state)"
	else
		echo 0 >"/sys/fs/cgroup/$WARD_CGROUP_PARENT/$ID/cgroup.freeze"
	fi
}

@test "ward pause freezes the container (state paused); ward resume thaws it" {
	update_config '.root.readonly = false'
	start_ctr 'i=0; while :; do i=$((i+1)); echo $i >/tmp/counter; sleep 0.02; done'
	local c="$BUNDLE/rootfs/tmp/counter" a b
	wait_for '[ -s "$c" ]'
	run_ward pause "$ID"
	assert_success
	run_ward state "$ID"
	[ "$(echo "$output" | jq -r .status)" = paused ]
	cg_frozen
	a=$(cat "$c")
	sleep 0.3
	b=$(cat "$c")
	[ "$a" = "$b" ]
	run_ward resume "$ID"
	assert_success
	run_ward state "$ID"
	[ "$(echo "$output" | jq -r .status)" = running ]
	if cg_frozen; then false; fi
	# Frozen between the shell's truncation of the file and its write, the
	# counter reads "" (then a = b = ""): any number after resume is progress.
	wait_for '[ "$(cat "$c")" -gt "${b:-0}" ] 2>/dev/null'
}

@test "ward pause of a stopped container fails" {
	set_cmd true
	run_detached run -d -b "$BUNDLE" "$ID"
	assert_success
	wait_status "$ID" stopped
	run_ward pause "$ID"
	assert_failure
	assert_output_contains "not running"
}

# Pause $ID, kill it with SIGKILL: it stops (a frozen task, v1 freezer,
# only dies once thawed), and delete leaves no cgroup.
pause_kill_delete() {
	run_ward pause "$ID"
	assert_success
	cg_frozen
	run_ward kill "$ID" KILL
	assert_success
	wait_status_within "$ID" stopped 3
	run_ward delete "$ID"
	assert_success
	assert_no_cgroup
}

# Pause $ID, delete it with --force: its init (pid $1) dies, nothing left.
pause_force_delete() {
	local pid=$1
	run_ward pause "$ID"
	assert_success
	cg_frozen
	# ward waits 10 s for the init to die; do not wait that long for a failure.
	run timeout 4 "$WARD" --root "$STATE_ROOT" delete --force "$ID"
	assert_success
	[ ! -e "$STATE_ROOT/$ID" ]
	assert_no_cgroup
	wait_for '! kill -0 "$pid" 2>/dev/null'
}

@test "ward kill KILL of a paused container kills it (the cgroup is thawed, as runc)" {
	start_ctr 'sleep 1000 & sleep 1000 & wait'
	pause_kill_delete
}

@test "ward delete --force of a paused container kills it and removes its cgroup" {
	start_ctr 'sleep 1000 & sleep 1000 & wait'
	pause_force_delete "$INIT_PID"
}

# A created container can be paused (as with runc); delete --force used to
# wait for an init that could not die (10 s, then failed), leaving the
# container, its cgroups and its process.
@test "ward delete --force of a created container that was paused kills it and leaves nothing" {
	set_cmd sleep 1000
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	pause_force_delete "$(ward state "$ID" | jq -r .pid)"
}

@test "ward kill KILL of a created container that was paused kills it" {
	set_cmd sleep 1000
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	pause_kill_delete
}

# runc's order: a created container that is paused reads "paused" (state
# and list), start refuses it, and resume makes it "created" again.
@test "a created container that is paused reads paused, is not started, and resume makes it created" {
	update_config '.root.readonly = false'
	set_cmd sh -c 'touch /tmp/started; sleep 1000'
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	run_ward pause "$ID"
	assert_success
	cg_frozen
	run_ward state "$ID"
	[ "$(jq -r .status <<<"$output")" = paused ]
	run_ward list --format json
	[ "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" = paused ]
	run timeout 5 "$WARD" --root "$STATE_ROOT" start "$ID"
	assert_failure
	assert_output_contains "cannot start a container in the paused state"
	[ ! -e "$BUNDLE/rootfs/tmp/started" ]
	run_ward resume "$ID"
	assert_success
	if cg_frozen; then false; fi
	run_ward state "$ID"
	[ "$(jq -r .status <<<"$output")" = created ]
	run timeout 5 "$WARD" --root "$STATE_ROOT" start "$ID"
	assert_success
	wait_for '[ -e "$BUNDLE/rootfs/tmp/started" ]'
	run_ward state "$ID"
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "a created container that is paused is not deleted without --force (as runc)" {
	set_cmd sleep 1000
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	run_ward pause "$ID"
	assert_success
	run_ward delete "$ID"
	assert_failure
	assert_output_contains "not stopped: paused"
	[ -d "$STATE_ROOT/$ID" ]
	local pid
	pid=$(ward state "$ID" | jq -r .pid)
	run timeout 4 "$WARD" --root "$STATE_ROOT" delete --force "$ID"
	assert_success
	[ ! -e "$STATE_ROOT/$ID" ]
	assert_no_cgroup
	wait_for '! kill -0 "$pid" 2>/dev/null'
}

# ---------------------------------------------------------------- update

# The value saved in the container's state for jq path $1 of linux.resources.
saved_resource() {
	jq -sc ".[2].linux.resources$1" "$STATE_ROOT/$ID/state.json"
}

@test "ward update --memory 64m changes the memory limit" {
	require_ctrl memory
	update_config --argjson l $((32 * MiB)) '.linux.resources.memory = {limit: $l}'
	start_ctr
	run_ward update --memory 64m "$ID"
	assert_success
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((64 * MiB))
	in_ctr "cat $(cg_in memory "$(mem_file limit)")"
	[ "$output" = $((64 * MiB)) ]
}

@test "ward update --pids-limit changes pids.max" {
	require_ctrl pids
	update_config '.linux.resources.pids = {limit: 10}'
	start_ctr
	run_ward update --pids-limit 25 "$ID"
	assert_success
	assert_file_value "$(cg_host pids pids.max)" 25
	in_ctr "cat $(cg_in pids pids.max)"
	[ "$output" = 25 ]
}

@test "ward update --cpu-quota/--cpu-period change the CFS quota" {
	require_ctrl cpu
	start_ctr
	run_ward update --cpu-quota 30000 --cpu-period 60000 "$ID"
	assert_success
	if cg_is_v2 cpu; then
		assert_file_value "$(cg_host cpu cpu.max)" "30000 60000" all
	else
		assert_file_value "$(cg_host cpu cpu.cfs_quota_us)" 30000
		assert_file_value "$(cg_host cpu cpu.cfs_period_us)" 60000
	fi
}

# The CFS quota and period of the container's cgroup, as "QUOTA PERIOD".
cpu_max() {
	if cg_is_v2 cpu; then
		cat "$(cg_host cpu cpu.max)"
	else
		echo "$(cat "$(cg_host cpu cpu.cfs_quota_us)") $(cat "$(cg_host cpu cpu.cfs_period_us)")"
	fi
}

@test "ward update of only the cpu period (or only the quota) keeps the other value" {
	require_ctrl cpu
	update_config '.linux.resources.cpu = {quota: 20000, period: 50000}'
	start_ctr
	[ "$(cpu_max)" = "20000 50000" ]
	run_ward update --cpu-period 100000 "$ID"
	assert_success
	[ "$(cpu_max)" = "20000 100000" ] || { echo "after --cpu-period 100000: $(cpu_max)" >&2; false; }
	run_ward update --cpu-quota 30000 "$ID"
	assert_success
	[ "$(cpu_max)" = "30000 100000" ] || { echo "after --cpu-quota 30000: $(cpu_max)" >&2; false; }
}

@test "ward update --cpu-share changes cpu.shares / cpu.weight" {
	require_ctrl cpu
	start_ctr
	run_ward update --cpu-share 1024 "$ID"
	assert_success
	if cg_is_v2 cpu; then
		assert_file_value "$(cg_host cpu cpu.weight)" "$(shares_to_weight 1024)"
	else
		assert_file_value "$(cg_host cpu cpu.shares)" 1024
	fi
}

@test "ward update -r FILE applies linux.resources JSON from a file" {
	require_ctrl memory
	require_ctrl pids
	start_ctr
	local f=$BATS_TEST_TMPDIR/res.json
	echo "{\"memory\": {\"limit\": $((48 * MiB))}, \"pids\": {\"limit\": 17}}" >"$f"
	run_ward update -r "$f" "$ID"
	assert_success
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((48 * MiB))
	assert_file_value "$(cg_host pids pids.max)" 17
}

@test "ward update -r - reads the JSON from stdin" {
	require_ctrl pids
	start_ctr
	run bash -c "echo '{\"pids\": {\"limit\": 33}}' | \"\$1\" --root \"\$2\" update -r - \"\$3\"" \
		sh "$WARD" "$STATE_ROOT" "$ID"
	assert_success
	assert_file_value "$(cg_host pids pids.max)" 33
}

@test "ward update with an invalid value fails before changing anything" {
	require_ctrl memory
	require_ctrl pids
	update_config --argjson l $((32 * MiB)) '.linux.resources.memory = {limit: $l} | .linux.resources.pids = {limit: 10}'
	start_ctr
	# Not a size: refused while parsing the command line.
	run_ward update --pids-limit 20 --memory foo "$ID"
	assert_failure
	assert_output_contains "foo"
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((32 * MiB))
	assert_file_value "$(cg_host pids pids.max)" 10
	[ "$(saved_resource .pids.limit)" = 10 ]
	# A valid size next to an out-of-range value: nothing is written either.
	run_ward update --memory 64m --cpu-share 1 "$ID"
	assert_failure
	assert_output_contains "shares"
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((32 * MiB))
	[ "$(saved_resource .memory.limit)" = $((32 * MiB)) ]
}

@test "ward update that the kernel refuses (limit below usage, v1) fails naming the file" {
	require_ctrl memory
	cg_is_v2 memory && skip "cgroup v2 reclaims or OOM-kills instead of refusing a lower memory.max"
	[ "$(wc -l </proc/swaps)" -le 1 ] || skip "with swap the kernel can reclaim instead of refusing"
	update_config --argjson l $((64 * MiB)) '.linux.resources.memory = {limit: $l}'
	# tail holds ~20M of anonymous memory while its input stays open.
	start_ctr '(head -c 20m /dev/zero; sleep 1000) | tail'
	local usage
	usage=$(cg_host memory "$(mem_file usage)")
	wait_for '[ "$(cat "$usage")" -ge $((16 * MiB)) ]'
	run_ward update --memory 4m "$ID"
	assert_failure
	echo "$output"
	assert_output_contains "memory.limit_in_bytes"
	assert_output_contains "Device or resource busy"
	assert_file_value "$(cg_host memory memory.limit_in_bytes)" $((64 * MiB))
	# The refused value is not recorded.
	[ "$(saved_resource .memory.limit)" = $((64 * MiB)) ]
}

@test "ward update keeps the new values in the container's state across updates" {
	require_ctrl memory
	require_ctrl pids
	update_config --argjson l $((32 * MiB)) '.linux.resources.memory = {limit: $l, reservation: 1048576}'
	start_ctr
	run_ward update --memory 64m "$ID"
	assert_success
	run_ward update --pids-limit 20 "$ID"
	assert_success
	[ "$(saved_resource .memory.limit)" = $((64 * MiB)) ]
	[ "$(saved_resource .memory.reservation)" = 1048576 ]
	[ "$(saved_resource .pids.limit)" = 20 ]
	assert_file_value "$(cg_host memory "$(mem_file limit)")" $((64 * MiB))
	run_ward events --stats "$ID"
	assert_success
	[ "$(echo "$output" | jq .data.memory.usage.limit)" = $((64 * MiB)) ]
	[ "$(echo "$output" | jq .data.pids.limit)" = 20 ]
}

# ---------------------------------------------------------------- events

@test "ward events --stats prints one stats JSON line" {
	require_ctrl memory
	require_ctrl pids
	update_config --argjson l $((32 * MiB)) '.linux.resources.memory = {limit: $l}'
	start_ctr
	run_ward events --stats "$ID"
	assert_success
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	local j=$output
	[ "$(echo "$j" | jq -r .type)" = stats ]
	[ "$(echo "$j" | jq -r .id)" = "$ID" ]
	[ "$(echo "$j" | jq -r '.data.cpu | type')" = object ]
	[ "$(echo "$j" | jq .data.memory.usage.limit)" = $((32 * MiB)) ]
	[ "$(echo "$j" | jq .data.memory.usage.usage)" -gt 0 ]
	[ "$(echo "$j" | jq .data.pids.current)" -eq "$(wc -l <"$(cg_host pids cgroup.procs)")" ]
}

@test "ward events --interval 1s streams stats lines" {
	start_ctr
	local ev=$BATS_TEST_TMPDIR/events.out
	"$WARD" --root "$STATE_ROOT" events --interval 1s "$ID" </dev/null >"$ev" 2>&1 3>&- &
	BG_PIDS=$!
	local i
	for i in $(seq 1 70); do
		[ "$(grep -c . "$ev")" -ge 2 ] && break
		sleep 0.05
	done
	cat "$ev" >&2
	[ "$(grep -c . "$ev")" -ge 2 ]
	[ "$(jq -r .type "$ev" | sort -u)" = stats ]
	[ "$(jq -r .id "$ev" | sort -u)" = "$ID" ]
}

@test "ward events exits when the container stops" {
	start_ctr
	local ev=$BATS_TEST_TMPDIR/events.out
	"$WARD" --root "$STATE_ROOT" events --interval 100ms "$ID" </dev/null >"$ev" 2>&1 3>&- &
	local epid=$!
	BG_PIDS=$epid
	wait_for 'grep -q "\"type\":\"stats\"" "$ev"'
	ward kill "$ID" KILL
	wait_for '! kill -0 "$epid" 2>/dev/null'
	wait "$epid"
}

# ---------------------------------------------------------------- kill/delete

@test "kill --all signals every process in the container's cgroup" {
	update_config '.root.readonly = false'
	# Every process records SIGUSR1 in its own file.
	start_ctr '
		w() { trap "touch /tmp/got.$1; exit 0" USR1; touch /tmp/ready.$1; while :; do sleep 0.05; done; }
		w a & w b &
		trap "touch /tmp/got.init" USR1; touch /tmp/ready.init
		while :; do sleep 0.05; done'
	local r=$BUNDLE/rootfs/tmp
	wait_for '[ -e "$r/ready.a" ] && [ -e "$r/ready.b" ] && [ -e "$r/ready.init" ]'
	run_ward kill --all "$ID" USR1
	assert_success
	wait_for '[ -e "$r/got.a" ] && [ -e "$r/got.b" ] && [ -e "$r/got.init" ]'
}

@test "kill without --all signals only the init" {
	update_config '.root.readonly = false'
	start_ctr '
		w() { trap "touch /tmp/got.$1; exit 0" USR1; touch /tmp/ready.$1; while :; do sleep 0.05; done; }
		w a &
		trap "touch /tmp/got.init" USR1; touch /tmp/ready.init
		while :; do sleep 0.05; done'
	local r=$BUNDLE/rootfs/tmp
	wait_for '[ -e "$r/ready.a" ] && [ -e "$r/ready.init" ]'
	run_ward kill "$ID" USR1
	assert_success
	wait_for '[ -e "$r/got.init" ]'
	sleep 0.2
	[ ! -e "$r/got.a" ]
}

@test "delete removes the container's cgroup in every hierarchy" {
	set_cmd sleep 1000
	run_detached create -b "$BUNDLE" "$ID"
	assert_success
	assert_cgroup_everywhere
	ward kill "$ID" KILL
	wait_status "$ID" stopped
	run_ward delete "$ID"
	assert_success
	assert_no_cgroup
	assert_no_leftovers "$ID"
}

@test "delete --force kills what is left in the cgroup and removes it" {
	# Without a pid namespace the children outlive the init: only the
	# cgroup finds them.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	start_ctr 'sleep 1000 & sleep 1000 & wait'
	local procs pids p
	procs=$(cg_host pids cgroup.procs)
	wait_for '[ "$(wc -l <"$procs")" -eq 3 ]'
	pids=$(cat "$procs")
	run_ward delete --force "$ID"
	assert_success
	for p in $pids; do
		wait_for '! kill -0 "$p" 2>/dev/null'
	done
	assert_no_cgroup
	assert_no_leftovers "$ID"
}

@test "a create that the kernel rejects (cpuset.cpus 4095) leaves no cgroup behind" {
	require_ctrl cpuset
	update_config '.linux.resources.cpu = {cpus: "4095"}'
	set_cmd true
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "cpuset.cpus"
	assert_no_cgroup
	[ ! -e "$STATE_ROOT/$ID" ]
}

@test "a create with a missing executable leaves no cgroup behind" {
	set_cmd /no/such/binary
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "/no/such/binary"
	assert_no_cgroup
	[ ! -e "$STATE_ROOT/$ID" ]
}

# ---------------------------------------------------------------- errors

@test "a resource whose controller is missing fails with an error naming it (network.classID needs net_cls)" {
	cg_mount net_cls >/dev/null && skip "this host has net_cls"
	update_config '.linux.resources.network = {classID: 1048577}'
	set_cmd true
	run_detached create -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "net_cls"
	assert_output_contains "classID"
	assert_no_cgroup
	[ ! -e "$STATE_ROOT/$ID" ]
}
