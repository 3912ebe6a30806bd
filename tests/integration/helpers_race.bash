# The CVE-2016-9962 racer (tests/ptrace/race.c) for attacks.bats. Load
# after helpers and helpers_inside. RACE_ROOTFS is the rootfs (default:
# $BUNDLE/rootfs); race_ward runs ward as the test does (default: the
# `ward` helper; a test may redefine it, to run ward as another user).

race_ward() {
	ward "$@"
}

# n scaled by RACE_PERCENT (default 100), at least 1: the ASan+UBSan lane
# (tests/lanes/asan.sh) races a fifth as many rounds. There the point is
# that the paths under attack are memory-safe, which a few rounds show; the
# plain suite runs every round, to lose no chance of a hit.
race_n() {
	local n=$(($1 * ${RACE_PERCENT:-100} / 100))
	echo $((n > 0 ? n : 1))
}

race_rootfs() {
	echo "${RACE_ROOTFS:-$BUNDLE/rootfs}"
}

# The racer, built once per run (static: it runs in the busybox rootfs),
# copied to /race in the rootfs.
install_race() {
	local src="$WARD_SRC/tests/ptrace/race.c" sum dir
	sum=$(sha256sum "$src" | cut -c1-16)
	dir="${BATS_RUN_TMPDIR:-/tmp}/race-$sum"
	if [ ! -x "$dir/race" ]; then
		command -v cc >/dev/null || skip "no C compiler for tests/ptrace/race.c"
		mkdir -p "$dir"
		cc -static -O2 -Wall -Wextra -Werror -o "$dir/race.tmp.$$" "$src" >&2
		mv -f "$dir/race.tmp.$$" "$dir/race"
	fi
	cp "$dir/race" "$(race_rootfs)/race"
	chmod 755 "$(race_rootfs)/race"
}

# race_start CTR [PID...]: the racer, exec'd into CTR, watches new processes
# (and PIDs); waits until it does.
race_start() {
	local ctr=$1
	shift
	local r
	r=$(race_rootfs)
	rm -f "$r/tmp/race.stop" "$r/tmp/race.report"
	race_ward exec -d "$ctr" /race /bin/busybox /tmp/race.stop /tmp/race.report "$@" \
		</dev/null >"$BATS_TEST_TMPDIR/race.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/race.log" >&2; return 1; }
	wait_file "$r/tmp/race.report"
}

# Stop the racer and check its report: it saw every process (at least $1),
# tried at least $2 times (default: thousands), could reach processes once
# they ran their program (so it was able to reach any), and never reached
# one before. RACE_TRIES: the tries counted.
race_lost() {
	local want=$1 min=${2:-1000} report i
	report="$(race_rootfs)/tmp/race.report"
	touch "$(race_rootfs)/tmp/race.stop"
	for i in $(seq 1 200); do
		grep -q '^tries' "$report" 2>/dev/null && break
		sleep 0.05
	done
	[ -n "${RACE_QUIET:-}" ] || echo "# racer: $(head -n 1 "$report")" >&3
	local tries pids reached hits
	read -r _ tries _ pids _ reached _ hits <"$report"
	[ "$pids" -ge "$want" ] || { echo "the racer saw $pids processes, want $want" >&2; false; }
	RACE_TRIES=$tries
	[ "$tries" -ge "$min" ] || { echo "the racer tried only $tries times" >&2; false; }
	[ "$reached" -ge 1 ] || { echo "the racer never reached a process running its program" >&2; false; }
	[ "$hits" = 0 ] || { echo "reached before its program:" >&2; head -n 12 "$report" >&2; false; }
}

# n execs of a program the racer can reach (it runs a moment) into ctr.
race_execs() {
	local n=$1 i
	for i in $(seq 1 "$n"); do
		race_ward exec ctr sleep 0.001 </dev/null || { echo "exec $i failed" >&2; return 1; }
	done
}

