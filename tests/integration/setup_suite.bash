# Once per bats run: containers without a cgroupsPath go below a cgroup of
# this run's own (ward's WARD_CGROUP_PARENT, default "ward"), so that two
# runs on one host (two checkouts, a developer and CI) never meet in
# /ward/<id>; removed again at the end.

setup_suite() {
	export WARD_CGROUP_PARENT="ward-t${BATS_RUN_TMPDIR##*-}"
	WARD_CGROUP_PARENT=${WARD_CGROUP_PARENT//[^A-Za-z0-9_.-]/}
}

teardown_suite() {
	local d
	[ -n "${WARD_CGROUP_PARENT:-}" ] || return 0
	for d in /sys/fs/cgroup/"$WARD_CGROUP_PARENT" /sys/fs/cgroup/*/"$WARD_CGROUP_PARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}
