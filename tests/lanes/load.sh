#!/usr/bin/env bash
# Load and leaks (docs/testing.md, "Load and leaks"): 1. many failing
# creates; 2. rounds of containers created, started, exec'd into, paused,
# killed and deleted in parallel, and races on one id; 3. the long-lived
# ward processes (integrity monitor and guard, events) under use; 4. the
# same as an unprivileged user; 5. a sample of commands under valgrind;
# 6. given an ASan build, the lifecycle under AddressSanitizer with
# LeakSanitizer. After each phase nothing of ward may be left: no mount,
# cgroup, state directory or process, no fd of the runtime in a
# container's processes. Prints TAP.
#
# Environment (defaults are issue 14's numbers):
#   LOAD_FAILING=1000   failing creates, spread over every kind of bad config
#   LOAD_PARALLEL=100   containers per round, all at once
#   LOAD_ROUNDS=5       rounds of LOAD_PARALLEL containers
#   LOAD_JOBS           how many run at the same time (default LOAD_PARALLEL;
#                       the failing creates use min(LOAD_JOBS, 4))
#   LOAD_MONITOR_EXECS=200  execs into the integrity container
#   LOAD_EVENTS_SECS=5  how long ward events streams stats
#   LOAD_ROOTLESS_FAILING=200, LOAD_ROOTLESS_PARALLEL=20  the same as an
#                       unprivileged user (wardtest, as rootless.bats)
#   LOAD_VALGRIND=0     skip the valgrind sample
#   LOAD_ASAN_WARD=PATH an ASan build of ward (meson -Db_sanitize=address):
#                       run the lifecycle sample and the failing creates under it
#   WARD                the binary under test (default build/ward)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
WARD=${WARD:-$top/build/ward}
LOAD_FAILING=${LOAD_FAILING:-1000}
LOAD_PARALLEL=${LOAD_PARALLEL:-100}
LOAD_ROUNDS=${LOAD_ROUNDS:-5}
LOAD_JOBS=${LOAD_JOBS:-$LOAD_PARALLEL}
LOAD_VALGRIND=${LOAD_VALGRIND:-1}
LOAD_ASAN_WARD=${LOAD_ASAN_WARD:-}

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
# seconds from T0 to T1 (date +%s%N), one decimal
secs_between() { local ds=$((($2 - $1) / 100000000)); echo "$((ds / 10)).$((ds % 10))"; }
skip_all() { echo "ok 1 - load and leaks # skip $*"; echo "1..1"; exit 0; }

[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$WARD" ] || skip_all "$WARD is not built"
command -v jq >/dev/null || skip_all "needs jq"

work=$(mktemp -d /tmp/ward-load.XXXXXX)
root=$work/state
out=$work/out
mkdir -p "$root" "$out"
# Containers without a cgroupsPath go below a parent of this run's own.
export WARD_CGROUP_PARENT="ward-load-${work##*.}"
WARD_CGROUP_PARENT=${WARD_CGROUP_PARENT//[^A-Za-z0-9_.-]/}
P=$WARD_CGROUP_PARENT
# The containers' process, recognisable on the host by its argument.
marker=$((400000 + $$ % 100000))

# Every cgroup directory of this run (all hierarchies, v1 and v2), deepest first.
our_cgroups() {
	find /sys/fs/cgroup/"$P" /sys/fs/cgroup/*/"$P" -depth -type d 2>/dev/null
}

# Live processes of this run: in one of its cgroups, or with its directory or
# marker on the command line. One "pid cmdline" a line.
our_processes() {
	local d p st args cg
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		{ st=$(<"$d/stat"); } 2>/dev/null || continue
		st=${st##*) }
		[ "${st%% *}" = Z ] && continue
		{ mapfile -d '' args <"$d/cmdline"; } 2>/dev/null || continue
		{ cg=$(<"$d/cgroup"); } 2>/dev/null || cg=
		if [[ "${args[*]}" == *"$work"* || "${args[*]}" == "sleep $marker" ||
			"$cg" == *"/$P/"* ]]; then
			echo "$p ${args[*]}"
		fi
	done
	return 0
}

# What this run left behind, one line each; nothing when clean. The cgroup
# parent itself ($P) is ward's, shared by the containers, and stays (as
# runc's parents do) until cleanup.
leftovers() {
	local m r=${1:-$root}
	m=$(grep -F "$work" /proc/self/mountinfo /proc/1/mountinfo 2>/dev/null)
	[ -z "$m" ] || echo "mounts: $m"
	our_cgroups | grep -vE "/$P\$" | sed 's/^/cgroup: /'
	# shellcheck disable=SC2010 # ward's own names: no newline in them
	ls -A "$r" | grep -vxE '@seccomp-cache|@audit' | sed 's/^/state dir: /'
	"$WARD" --root "$r" list -q 2>&1 | sed 's/^/listed: /'
	our_processes | sed 's/^/process: /'
}

# leftovers [ROOT], waiting up to 5 s for processes to be reaped by the
# machine's init.
settled_leftovers() {
	local i left
	for i in $(seq 1 50); do
		left=$(leftovers "$@")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	printf '%s\n' "$left"
}

# check_nothing_left NAME [ROOT]: a TAP line, ok when nothing is left, else
# not ok and what was left.
check_nothing_left() {
	local left
	left=$(settled_leftovers "${2:-$root}")
	if [ -z "$left" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$left" | head -n 40 | diag
	fi
}

cleanup() {
	local id pid m d r
	for r in "$root" "$work/rl/state"; do
		for id in $("$WARD" --root "$r" list -q 2>/dev/null); do
			"$WARD" --root "$r" delete -f "$id" >/dev/null 2>&1
		done
	done
	for pid in $(our_processes | cut -d' ' -f1); do
		kill -9 "$pid" 2>/dev/null
	done
	grep -F "$work" /proc/self/mountinfo | cut -d' ' -f5 | tac | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	for d in $(our_cgroups); do
		rmdir "$d" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# The bundle every container of the run shares (read-only rootfs).
cache=$top/tests/fixtures/cache/rootfs
if [ ! -x "$cache/bin/busybox" ]; then
	mkdir -p "$(dirname "$cache")"
	scripts/mkrootfs.sh "$cache.tmp.$$" >/dev/null && mv -T "$cache.tmp.$$" "$cache" 2>/dev/null
	rm -rf "$cache.tmp.$$"
fi
bundle=$work/bundle
mkdir -p "$bundle"
cp -a "$cache" "$bundle/rootfs"
"$WARD" spec --bundle "$bundle"
jq --arg m "$marker" '.process.terminal = false | .process.args = ["sleep", $m] | .root.readonly = true' \
	"$bundle/config.json" >"$work/c.json" && mv "$work/c.json" "$bundle/config.json"

mounts_before=$(wc -l </proc/self/mountinfo)

###########################################################################
# 1. failing creates: every kind of bad config, LOAD_FAILING times in all
###########################################################################

# kind @ stage @ global options @ jq filter on the good config @ expected in the error
# stage "parse": refused before any process exists (so valgrind can run it);
# "run": refused after the init was cloned (cgroup made, mounts begun, hooks run).
cat >"$work/hook-fails.sh" <<'EOF'
#!/bin/sh
echo "hook says no" >&2
exit 2
EOF
chmod +x "$work/hook-fails.sh"
echo '{"level": "baseline"}' >"$work/policy.json"
mkdir -p "$work/empty"
kinds=$(cat <<EOF
json@parse@@RAW@config.json:3:
noconfig@parse@@NONE@config.json
type@parse@@.process.args = "sh"@process.args: must be an array
root@parse@@del(.root)@root
rootfs@parse@@.root.path = "$work/no-such-rootfs"@root.path
namespace@parse@@.linux.namespaces += [{"type": "foo"}]@unknown namespace "foo"
dupns@parse@@.linux.namespaces += [{"type": "pid"}]@duplicate
mountopt@parse@@.mounts += [{"destination": "/mnt", "type": "bind", "source": "$work/empty", "options": ["rbind", "frobnicate"]}]@frobnicate
seccomp@parse@@.linux.seccomp.syscalls[0].action = "SCMP_ACT_FROB"@linux.seccomp.syscalls[0].action: unknown action
seccomparch@parse@@.linux.seccomp.architectures = ["SCMP_ARCH_FROB"]@linux.seccomp.architectures
memory@parse@@.linux.resources.memory.limit = -7@linux.resources.memory.limit
rlimit@parse@@.process.rlimits += [{"type": "RLIMIT_FROBNICATE", "hard": 1, "soft": 1}]@RLIMIT_FROBNICATE
hookpath@parse@@.hooks.prestart = [{"path": "rel/hook"}]@must be an absolute path
auditid@parse@@.annotations["org.ward.audit.id"] = "not-a-uuid"@is not a UUID
sysctl@parse@@.linux.sysctl = {"vm.swappiness": "10"}@not a namespaced sysctl
device@parse@@.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}]@unknown device type
uidmap@parse@@.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]@user namespace
policy@parse@--policy $work/policy.json@.linux.namespaces |= map(select(.type != "pid"))@policy baseline/host-namespaces
cpuset@run@@.linux.resources.cpu.cpus = "4095"@linux.resources.cpu.cpus
mountsrc@run@@.mounts += [{"destination": "/mnt", "type": "bind", "source": "$work/no-such-src", "options": ["rbind"]}]@bind source
tmpfs@run@@.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=foo"]}]@size=foo
hookmissing@run@@.hooks.createRuntime = [{"path": "$work/no-such-hook"}]@hooks.createRuntime[0]
hookfails@run@@.hooks.createRuntime = [{"path": "$work/hook-fails.sh"}]@exit status 2
exe@run@@.process.args = ["/nonexistent"]@process.args[0]
cwd@run@@.process.cwd = "/etc/passwd/dir"@process.cwd
EOF
)
# make_bad_configs DIR BASE_CONFIG [KIND...]: DIR/KIND/{config.json,gopt,
# want,stage} for every kind (or the kinds named) from the good config.
make_bad_configs() {
	local dir=$1 base=$2 kind stage gopt filter want d
	shift 2
	while IFS='@' read -r kind stage gopt filter want; do
		[ $# = 0 ] || [[ " $* " == *" $kind "* ]] || continue
		d=$dir/$kind
		mkdir -p "$d"
		case $filter in
		RAW) printf '{\n  "ociVersion": "1.2.0",\n  "root": {"path": "rootfs",},\n  "process": {}\n}\n' >"$d/config.json" ;;
		NONE) ;;
		*) jq --arg r "$bundle/rootfs" ".root.path = \$r | $filter" "$base" >"$d/config.json" ||
			echo "# kind $kind: bad jq filter" ;;
		esac
		printf '%s\n' "$gopt" >"$d/gopt"
		printf '%s\n' "$want" >"$d/want"
		printf '%s\n' "$stage" >"$d/stage"
	done <<<"$kinds"
}
make_bad_configs "$work/bad" "$bundle/config.json"
mapfile -t kind_names < <(printf '%s\n' "$kinds" | cut -d'@' -f1)

# One failing create of kind number I % the kinds in $kinds_list, with the
# configs of $BAD_DIR, state root $BAD_ROOT, as the user $BAD_AS ("" for
# root): writes $BAD_OUT-I.{rc,log}.
bad_create() {
	local i=$1 kind gopt rc as=()
	local -a kind_names
	read -ra kind_names <<<"$kinds_list"
	kind=${kind_names[$(($1 % ${#kind_names[@]}))]}
	gopt=$(<"$BAD_DIR/$kind/gopt")
	[ -z "$BAD_AS" ] || as=(setpriv --reuid="$BAD_AS" --regid="$BAD_AS" --clear-groups
		env -i PATH=/usr/bin:/bin HOME=/ XDG_RUNTIME_DIR="$BAD_DIR/../xdg")
	# shellcheck disable=SC2086 # gopt is empty or "--policy FILE"
	"${as[@]}" "$WARD" --root "$BAD_ROOT" $gopt create -b "$BAD_DIR/$kind" "bad-$kind-$i" \
		</dev/null >"$BAD_OUT-$i.log" 2>&1
	rc=$?
	echo "$kind $rc" >"$BAD_OUT-$i.rc"
}
export -f bad_create
export WARD root work out

# failing_creates NAME COUNT JOBS KIND...: COUNT creates spread over the kinds
# (BAD_* set), each checked for a status in 1-127 and one line naming the
# field or reason of its kind; a TAP line, and one message of each kind.
failing_creates() {
	local name=$1 count=$2 jobs=$3 t0 t1 i kind rc want msg report=$work/bad.report
	shift 3
	export kinds_list="$*"
	t0=$(date +%s%N)
	seq 0 $((count - 1)) | xargs -P "$jobs" -n 50 bash -c 'for i; do bad_create "$i"; done' _
	t1=$(date +%s%N)
	: >"$report"
	for i in $(seq 0 $((count - 1))); do
		read -r kind rc <"$BAD_OUT-$i.rc" 2>/dev/null || { echo "create $i: no result" >>"$report"; continue; }
		want=$(<"$BAD_DIR/$kind/want")
		msg=$(<"$BAD_OUT-$i.log")
		if [ "$rc" = 0 ] || [ "$rc" -ge 128 ]; then
			echo "$kind ($i): exit $rc: $msg" >>"$report"
		elif [[ "$msg" == *$'\n'* ]] || [[ "$msg" != "ward: create bad-$kind-$i: "* ]] ||
			[[ "$msg" != *"$want"* ]]; then
			echo "$kind ($i): want one line 'ward: create bad-$kind-$i: ...$want...', got: $msg" >>"$report"
		fi
	done
	name="$name: $count failing creates ($# kinds of bad config) each exit non-zero with one clear line"
	if [ -s "$report" ]; then
		not_ok "$name"
		head -n 40 "$report" | diag
	else
		ok "$name ($(secs_between "$t0" "$t1") s, $jobs at a time)"
	fi
	for kind in "$@"; do
		i=$(grep -l "^$kind " "$BAD_OUT"-*.rc 2>/dev/null | head -n 1)
		[ -n "$i" ] && echo "$kind: $(cat "${i%.rc}.log")"
	done | cut -c1-200 | diag
}

fjobs=$((LOAD_JOBS < 4 ? (LOAD_JOBS < 1 ? 1 : LOAD_JOBS) : 4))
export BAD_DIR=$work/bad BAD_ROOT=$root BAD_AS='' BAD_OUT=$out/bad
failing_creates root "$LOAD_FAILING" "$fjobs" "${kind_names[@]}"

check_nothing_left "after $LOAD_FAILING failing creates: no mount, cgroup, state dir or process left"

###########################################################################
# 2. rounds of LOAD_PARALLEL containers: create, start, exec, delete at once
###########################################################################

# One container's life; any failure is written to out/ID.fail. Records the
# peak RSS (KB) of its create and exec, and the fds of its init and of a
# process exec'd into it (each must have 0, 1 and 2 only: no fd of the
# runtime survives into the container, nor fd 9, which the caller leaves
# open to ward without --preserve-fds).
one_life() {
	local id=$1 o=$out/$1 pid epid i
	fail() { echo "$*" >>"$o.fail"; }
	if ! /usr/bin/time -f %M -o "$o.rss-create" "$WARD" --root "$root" create -b "$work/bundle" \
		--pid-file "$o.pid" "$id" </dev/null >"$o.log" 2>&1 9<"$work/bundle/config.json"; then
		fail "create: $(cat "$o.log")"
		return
	fi
	"$WARD" --root "$root" start "$id" >>"$o.log" 2>&1 || fail "start: $(cat "$o.log")"
	pid=$(<"$o.pid")
	# the init has exec'd the container's process once its comm is sleep
	for i in $(seq 1 50); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && break
		sleep 0.1
	done
	ls "/proc/$pid/fd" 2>&1 | tr '\n' ' ' >"$o.initfd"
	[ "$(<"$o.initfd")" = "0 1 2 " ] || fail "init fds: $(<"$o.initfd") ($(ls -l "/proc/$pid/fd/" 2>&1 | tail -n +2))"
	/usr/bin/time -f %M -o "$o.rss-exec" "$WARD" --root "$root" exec "$id" sh -c 'echo exec-ok' \
		</dev/null >"$o.exec" 2>&1
	grep -qx exec-ok "$o.exec" || fail "exec: $(cat "$o.exec")"
	"$WARD" --root "$root" exec -d --pid-file "$o.epid" "$id" sleep "$marker" \
		</dev/null >"$o.execd" 2>&1 9<"$work/bundle/config.json" || fail "exec -d: $(cat "$o.execd")"
	epid=$(cat "$o.epid" 2>/dev/null)
	ls "/proc/$epid/fd" 2>&1 | tr '\n' ' ' >"$o.execfd"
	[ "$(<"$o.execfd")" = "0 1 2 " ] || fail "exec'd process fds: $(<"$o.execfd")"
	# Three ends, by the container's number: paused, resumed and deleted
	# with --force; deleted with --force while paused; killed, then deleted.
	case $((${id##*-c} % 3)) in
	0) w pause "$id" && w resume "$id" && w delete -f "$id" ;;
	1) w pause "$id" && w delete -f "$id" ;;
	2) w kill "$id" KILL && wait_stopped "$id" && w delete "$id" ;;
	esac || fail "end ($((${id##*-c} % 3))): $(cat "$o.log")"
	[ ! -e "$root/$id" ] || fail "state dir $root/$id remains after delete"
}
# ward with the run's state root, output to the container's log
w() { "$WARD" --root "$root" "$@" >>"$out/${*: -1}.log" 2>&1; }
wait_stopped() {
	local i
	for i in $(seq 1 50); do
		[ "$("$WARD" --root "$root" state "$1" 2>/dev/null | jq -r .status)" = stopped ] && return 0
		sleep 0.1
	done
	echo "$1 did not stop after kill KILL" >>"$out/$1.log"
	return 1
}
export -f w wait_stopped
export -f one_life
export marker

median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }
maxof() { sort -n | tail -n 1; }

declare -a rss_create_med rss_exec_med
for r in $(seq 1 "$LOAD_ROUNDS"); do
	t0=$(date +%s%N)
	seq 1 "$LOAD_PARALLEL" | sed "s/^/r$r-c/" | xargs -P "$LOAD_JOBS" -n 1 bash -c 'one_life "$1"' _
	t1=$(date +%s%N)
	secs=$(secs_between "$t0" "$t1")
	fails=$(cat "$out"/r"$r"-c*.fail 2>/dev/null)
	rc_med=$(cat "$out"/r"$r"-c*.rss-create 2>/dev/null | median)
	rc_max=$(cat "$out"/r"$r"-c*.rss-create 2>/dev/null | maxof)
	re_med=$(cat "$out"/r"$r"-c*.rss-exec 2>/dev/null | median)
	re_max=$(cat "$out"/r"$r"-c*.rss-exec 2>/dev/null | maxof)
	# shellcheck disable=SC2034 # read through a nameref (declare -n) below
	rss_create_med[r]=$rc_med rss_exec_med[r]=$re_med
	name="round $r: $LOAD_PARALLEL containers created, started, exec'd into (twice), paused, killed and deleted, $LOAD_JOBS at a time, each init and exec'd process with fds 0-2 only ($secs s)"
	if [ -z "$fails" ]; then
		ok "$name"
	else
		not_ok "$name"
		printf '%s\n' "$fails" | head -n 30 | cut -c1-300 | diag
	fi
	echo "peak RSS (KB) of create: median $rc_med, max $rc_max; of exec: median $re_med, max $re_max" | diag
	check_nothing_left "round $r: no mount, cgroup, state dir or process left"
	rm -f "$out"/r"$r"-c*
done

# Flat: a command's peak RSS does not grow with the containers made before
# it (ward keeps nothing between commands but the state root). 10% and
# 256 KB of slack for the allocator and the machine's page cache noise.
if [ "$LOAD_ROUNDS" -ge 2 ]; then
	flat=ok
	for kind in create exec; do
		declare -n med=rss_${kind}_med
		first=${med[1]} last=${med[$LOAD_ROUNDS]}
		[ "$last" -le $((first + first / 10 + 256)) ] || flat=no
		echo "$kind peak RSS median, round 1: $first KB, round $LOAD_ROUNDS: $last KB"
	done >"$work/flat"
	if [ $flat = ok ]; then ok "peak RSS of create and exec stays flat across $LOAD_ROUNDS rounds"; else not_ok "peak RSS of create and exec grew across rounds"; fi
	diag <"$work/flat"
fi

# Races on one id: of 20 creates at once exactly one wins and the others
# say the id exists; of 10 starts one wins, the others say it runs; 10
# delete --force all succeed (a missing container is no error with --force,
# as runc). Nothing left.
# race N WANT_IN_ERRORS ARGS...: "WINNERS/N" and the failures that do not
# say WANT_IN_ERRORS
race() {
	local n=$1 want=$2 i wins=0
	shift 2
	for i in $(seq 1 "$n"); do
		("$WARD" --root "$root" "$@" </dev/null >"$out/race-$i" 2>&1 || echo "rc=$?" >>"$out/race-$i") &
	done
	wait
	for i in $(seq 1 "$n"); do
		if ! grep -q '^rc=' "$out/race-$i"; then
			wins=$((wins + 1))
		elif ! grep -q -- "$want" "$out/race-$i"; then
			echo "failed without \"$want\": $(tr '\n' ' ' <"$out/race-$i")"
		fi
	done
	echo "$wins/$n"
	rm -f "$out"/race-*
}
{
	echo "create: $(race 20 "id exists" create -b "$bundle" race-1)"
	echo "start: $(race 10 "already running" start race-1)"
	echo "delete: $(race 10 - delete -f race-1)"
} >"$work/race"
if [ "$(<"$work/race")" = "$(printf 'create: 1/20\nstart: 1/10\ndelete: 10/10')" ]; then
	ok "20 creates, 10 starts and 10 delete --force of one id at once: one create and one start win, the others fail clearly"
else
	not_ok "20 creates, 10 starts and 10 delete --force of one id at once: one create and one start win, the others fail clearly"
	diag <"$work/race"
fi
check_nothing_left "after the races on one id: nothing left"

mounts_after=$(wc -l </proc/self/mountinfo)
echo "host mountinfo: $mounts_before lines before, $mounts_after after (other jobs on the machine may change it; only this run's paths are checked)" | diag

###########################################################################
# 3. the long-lived ward processes: the integrity monitor (and its guard),
#    ward events
###########################################################################

# "fds=N rssKB" of a process
proc_use() {
	echo "$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) $(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null)"
}
LOAD_MONITOR_EXECS=${LOAD_MONITOR_EXECS:-200}
mkdir -p "$work/int"
ln -s "$bundle/rootfs" "$work/int/rootfs"
"$WARD" spec --bundle "$work/int" --integrity
jq --arg m "$marker" '.process.terminal = false | .process.args = ["sleep", $m] | .root.readonly = true' \
	"$work/int/config.json" >"$work/c.json" && mv "$work/c.json" "$work/int/config.json"
if ! "$WARD" --root "$root" run -d -b "$work/int" int-1 </dev/null >"$work/int.log" 2>&1; then
	ok "integrity monitor stays flat # skip no integrity container on this host: $(head -n 1 "$work/int.log")"
else
	st=$("$WARD" --root "$root" integrity status int-1)
	mon=$(jq -r .monitorPid <<<"$st") guard=$(jq -r .guardPid <<<"$st")
	read -r mfd0 mrss0 < <(proc_use "$mon")
	read -r gfd0 grss0 < <(proc_use "$guard")
	t0=$(date +%s%N)
	efail=0
	for i in $(seq 1 "$LOAD_MONITOR_EXECS"); do
		"$WARD" --root "$root" exec int-1 true </dev/null >/dev/null 2>&1 || efail=$((efail + 1))
	done
	"$WARD" --root "$root" exec int-1 sh -c 'i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done' \
		</dev/null >/dev/null 2>&1 || efail=$((efail + 1))
	t1=$(date +%s%N)
	read -r mfd1 mrss1 < <(proc_use "$mon")
	read -r gfd1 grss1 < <(proc_use "$guard")
	events=$("$WARD" --root "$root" integrity status int-1 | jq -r '"\(.events) events, \(.entries) list entries"')
	name="integrity monitor and guard: fds and RSS flat across $LOAD_MONITOR_EXECS execs and 1,000 runs of a program in the container ($(secs_between "$t0" "$t1") s)"
	if [ "$efail" = 0 ] && [ -n "$mfd0" ] && [ "$mfd1" = "$mfd0" ] && [ "$gfd1" = "$gfd0" ] &&
		[ "$mrss1" -le $((mrss0 + 256)) ] && [ "$grss1" -le $((grss0 + 256)) ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "failed execs: $efail" | diag
	fi
	{
		echo "monitor $mon: $mfd0 fds, $mrss0 KB before; $mfd1 fds, $mrss1 KB after ($events)"
		echo "guard $guard: $gfd0 fds, $grss0 KB before; $gfd1 fds, $grss1 KB after"
	} | diag
	"$WARD" --root "$root" delete -f int-1 >/dev/null 2>&1
	check_nothing_left "after the integrity container: nothing left (monitor and guard gone)"
fi

# ward events (no --stats) lives as long as its container: a stats record
# every 10 ms for LOAD_EVENTS_SECS, with fds and RSS sampled after the first
# second and at the end; it must end when the container is deleted.
LOAD_EVENTS_SECS=${LOAD_EVENTS_SECS:-5}
"$WARD" --root "$root" run -d -b "$bundle" ev-1 </dev/null >"$work/ev.log" 2>&1
"$WARD" --root "$root" events --interval 10ms ev-1 >"$work/ev.out" 2>&1 </dev/null &
evpid=$!
sleep 1
read -r efd0 erss0 < <(proc_use "$evpid")
n0=$(wc -l <"$work/ev.out")
sleep "$LOAD_EVENTS_SECS"
read -r efd1 erss1 < <(proc_use "$evpid")
n1=$(wc -l <"$work/ev.out")
"$WARD" --root "$root" delete -f ev-1 >>"$work/ev.log" 2>&1
gone=no
for i in $(seq 1 50); do
	kill -0 "$evpid" 2>/dev/null || { gone=yes; break; }
	sleep 0.1
done
name="ward events: fds and RSS flat across $((n1 - n0)) stats records in ${LOAD_EVENTS_SECS} s; it ends with its container"
if [ -n "$efd0" ] && [ "$efd1" = "$efd0" ] && [ "$erss1" -le $((erss0 + 256)) ] &&
	[ $((n1 - n0)) -gt 10 ] && [ $gone = yes ] && jq -e .data.pids "$work/ev.out" >/dev/null; then
	ok "$name"
else
	not_ok "$name"
	echo "events still running after the delete: $([ $gone = yes ] && echo no || echo yes); $(head -c 300 "$work/ev.log")" | diag
	kill "$evpid" 2>/dev/null
fi
echo "events $evpid: $efd0 fds, $erss0 KB after 1 s ($n0 records); $efd1 fds, $erss1 KB after $((1 + LOAD_EVENTS_SECS)) s ($n1 records)" | diag
wait "$evpid" 2>/dev/null
check_nothing_left "after ward events: nothing left"

###########################################################################
# 4. rootless: failing creates and lifecycles as an unprivileged user
###########################################################################

# The user of rootless.bats. Its state root and XDG_RUNTIME_DIR are under
# $work/rl (owned by it); containers run on the shared rootfs, read-only.
# Left out: the cpuset kind (a rootless container without a delegated
# cgroup ignores resources, as runc), the uidmap kind (there is a user
# namespace; newuidmap refuses the mapping), and exec (ward exec as an
# unprivileged user cannot join the container's pid namespace yet).
LOAD_ROOTLESS_FAILING=${LOAD_ROOTLESS_FAILING:-200}
LOAD_ROOTLESS_PARALLEL=${LOAD_ROOTLESS_PARALLEL:-20}
RL_USER=wardtest
rl=$work/rl
rl_skip=
if ! id -u "$RL_USER" >/dev/null 2>&1; then
	useradd -m -s /bin/sh "$RL_USER" >/dev/null 2>&1 || rl_skip="cannot create user $RL_USER"
fi
[ -n "$rl_skip" ] || [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || rl_skip="user namespaces are disabled"
if [ -z "$rl_skip" ]; then
	rl_uid=$(id -u "$RL_USER")
	mkdir -p "$rl/xdg" "$rl/b" "$rl/state" "$rl/out"
	chmod 711 "$work"
	chmod 700 "$rl/xdg"
	"$WARD" spec --rootless --bundle "$rl/b"
	# (written by root: the user's own ids in the maps, as its spec --rootless would)
	jq --arg m "$marker" --arg r "$bundle/rootfs" --argjson u "$rl_uid" \
		'.process.terminal = false | .process.args = ["sleep", $m] | .root = {path: $r, readonly: true} |
		.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}] | .linux.gidMappings = .linux.uidMappings' \
		"$rl/b/config.json" >"$work/c.json" && mv "$work/c.json" "$rl/b/config.json"
	mapfile -t rl_kinds < <(printf '%s\n' "${kind_names[@]}" | grep -vxE 'cpuset|uidmap')
	make_bad_configs "$rl/bad" "$rl/b/config.json" "${rl_kinds[@]}"
	# its hooks must be the user's to run
	cp "$work/hook-fails.sh" "$rl/hook-fails.sh"
	sed -i "s|$work/hook-fails.sh|$rl/hook-fails.sh|" "$rl/bad/hookfails/config.json"
	chown -R "$RL_USER:" "$rl"
	chmod 755 "$rl"
	setpriv --reuid="$rl_uid" --regid="$rl_uid" --clear-groups "$WARD" --version >/dev/null 2>&1 ||
		rl_skip="$RL_USER cannot run $WARD"
fi
# ward as the user, with the rootless state root
as_rl() {
	setpriv --reuid="$rl_uid" --regid="$rl_uid" --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/ XDG_RUNTIME_DIR="$rl/xdg" "$WARD" --root "$rl/state" "$@"
}
# One rootless container: run -d, its init's fds, then killed or deleted
# with --force; failures to out/ID.fail.
rl_life() {
	local id=$1 o=$out/$1 pid i
	as_rl run -d -b "$rl/b" --pid-file "$rl/out/$id.pid" "$id" </dev/null >"$o.log" 2>&1 9<"$rl/b/config.json" ||
		{ echo "run -d: $(cat "$o.log")" >>"$o.fail"; return; }
	pid=$(<"$rl/out/$id.pid")
	for i in $(seq 1 50); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && break
		sleep 0.1
	done
	[ "$(ls "/proc/$pid/fd" | tr '\n' ' ')" = "0 1 2 " ] ||
		echo "init fds: $(ls "/proc/$pid/fd" | tr '\n' ' ')" >>"$o.fail"
	[ "$(as_rl state "$id" | jq -r .status)" = running ] || echo "not running: $(as_rl state "$id" 2>&1)" >>"$o.fail"
	if [ $((${id##*-c} % 2)) = 0 ]; then
		as_rl kill "$id" KILL >>"$o.log" 2>&1 || echo "kill: $(cat "$o.log")" >>"$o.fail"
		for i in $(seq 1 50); do
			[ "$(as_rl state "$id" 2>/dev/null | jq -r .status)" = stopped ] && break
			sleep 0.1
		done
		as_rl delete "$id" >>"$o.log" 2>&1 || echo "delete: $(cat "$o.log")" >>"$o.fail"
	else
		as_rl delete -f "$id" >>"$o.log" 2>&1 || echo "delete -f: $(cat "$o.log")" >>"$o.fail"
	fi
	[ ! -e "$rl/state/$id" ] || echo "state dir remains after delete" >>"$o.fail"
}
export -f as_rl rl_life
export rl rl_uid

if [ -n "$rl_skip" ]; then
	ok "rootless # skip $rl_skip"
else
	BAD_DIR=$rl/bad BAD_ROOT=$rl/state BAD_AS=$rl_uid BAD_OUT=$out/rl-bad \
		failing_creates rootless "$LOAD_ROOTLESS_FAILING" "$fjobs" "${rl_kinds[@]}"
	check_nothing_left "rootless: after $LOAD_ROOTLESS_FAILING failing creates: nothing left" "$rl/state"
	t0=$(date +%s%N)
	seq 1 "$LOAD_ROOTLESS_PARALLEL" | sed 's/^/rl-c/' | xargs -P "$LOAD_ROOTLESS_PARALLEL" -n 1 bash -c 'rl_life "$1"' _
	t1=$(date +%s%N)
	fails=$(cat "$out"/rl-c*.fail 2>/dev/null)
	name="rootless: $LOAD_ROOTLESS_PARALLEL containers run, killed or deleted with --force at once, each init with fds 0-2 only ($(secs_between "$t0" "$t1") s)"
	if [ -z "$fails" ]; then ok "$name"; else not_ok "$name"; printf '%s\n' "$fails" | head -n 30 | diag; fi
	check_nothing_left "rootless: after $LOAD_ROOTLESS_PARALLEL containers: nothing left" "$rl/state"
fi

###########################################################################
# 5. valgrind on a sample: the ward process's own leaks and bad accesses
###########################################################################

# valgrind 3.19 (Debian 12) has no clone3, pidfd_open or mount_setattr:
# create stops at the clone of the init, start/exec/kill at pidfd_open. So
# the sample is what runs without them: the query commands, delete, spec,
# features, and every failing create of the "parse" stage (refused before
# the clone, with the same message as without valgrind).
vg_one() {
	local name=$1 want=$2 log
	shift 2
	log=$work/vg/$(echo "$name" | tr -c 'A-Za-z0-9\n' '_').log
	valgrind --quiet --trace-children=no --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=yes \
		--log-file="$log" "$@" </dev/null >"$log.out" 2>&1
	local rc=$?
	if [ $rc = 99 ] || grep -qE 'definitely lost|indirectly lost|Invalid (read|write|free)|uninitialised|Mismatched free' "$log"; then
		echo "$name: valgrind errors (exit $rc):"
		grep -vE '^==[0-9]+== *$' "$log" | head -n 40
		return
	fi
	if [ -n "$want" ] && ! grep -qF -- "$want" "$log.out"; then
		echo "$name: want '$want' in the output, got: $(head -c 300 "$log.out")"
	fi
	# fds ward opened and did not close (not the inherited and std ones)
	awk '/Open (file descriptor|AF_UNIX socket) [0-9]+/ {fd = $0; getline; if ($0 !~ /inherited from parent/) print fd}' "$log" |
		sed "s/^/$name: open at exit: /"
}

if [ "$LOAD_VALGRIND" = 0 ]; then
	ok "valgrind sample # skip LOAD_VALGRIND=0"
elif ! command -v valgrind >/dev/null; then
	ok "valgrind sample # skip valgrind is not installed"
else
	mkdir -p "$work/vg"
	"$WARD" --root "$root" create -b "$bundle" vg-c </dev/null >"$work/vg-create.log" 2>&1 &&
		"$WARD" --root "$root" start vg-c >>"$work/vg-create.log" 2>&1
	"$WARD" --root "$root" create -b "$bundle" vg-d </dev/null >>"$work/vg-create.log" 2>&1
	mkdir -p "$work/vg-spec"
	t0=$(date +%s)
	{
		vg_one state '"status": "running"' "$WARD" --root "$root" state vg-c
		vg_one list vg-c "$WARD" --root "$root" list
		vg_one list-json vg-d "$WARD" --root "$root" list --format json
		vg_one ps sleep "$WARD" --root "$root" ps vg-c
		vg_one inspect "container vg-c" "$WARD" --root "$root" inspect vg-c
		vg_one features ociVersionMax "$WARD" features
		vg_one spec "" "$WARD" spec --bundle "$work/vg-spec"
		vg_one seccomp-default SCMP_ACT_ERRNO "$WARD" seccomp default
		vg_one policy-show baseline "$WARD" --policy "$work/policy.json" policy show
		vg_one help-create "usage: ward create" "$WARD" help create
		vg_one policy-check "" "$WARD" --policy "$work/policy.json" policy check --bundle "$work/bad/policy"
		vg_one delete-created "" "$WARD" --root "$root" delete vg-d
		vg_one delete-running "" "$WARD" --root "$root" delete -f vg-c
		vg_one state-missing "does not exist" "$WARD" --root "$root" state vg-c
		for kind in "${kind_names[@]}"; do
			[ "$(<"$work/bad/$kind/stage")" = parse ] || continue
			# shellcheck disable=SC2046
			vg_one "create-$kind" "$(<"$work/bad/$kind/want")" "$WARD" --root "$root" \
				$(<"$work/bad/$kind/gopt") create -b "$work/bad/$kind" "vg-$kind"
		done
	} >"$work/vg.report"
	vgcount=$(ls "$work"/vg/*.log | wc -l)
	t1=$(date +%s)
	unhandled=$(grep -ho 'unhandled amd64-linux syscall: [0-9]*' "$work"/vg/*.log | sort -u | sed 's/.*: //' | tr '\n' ' ')
	if [ -s "$work/vg.report" ]; then
		not_ok "valgrind: $vgcount commands without a definite leak, bad access or unclosed fd"
		head -n 60 "$work/vg.report" | diag
	else
		ok "valgrind: $vgcount commands without a definite leak, bad access or unclosed fd ($((t1 - t0)) s)"
	fi
	echo "syscalls valgrind 3.19 does not know, seen in the sample: ${unhandled:-none} (317 seccomp, 434 pidfd_open, 435 clone3, 442 mount_setattr, 461 lsm_list_modules)" | diag
	check_nothing_left "after the valgrind sample: nothing left"
fi

###########################################################################
# 6. ASan + LeakSanitizer on the lifecycle (LOAD_ASAN_WARD)
###########################################################################

# Every command of a container's life under an ASan build, each process's
# leaks reported at its exit (exec's too: it goes back to its own pid
# namespace once its child is born there, so LeakSanitizer's tracer sees
# ward; it used to spin in sched_yield for ever).
# asan_one DETECT_LEAKS WANT_EXIT ARGS...
asan_one() {
	local leaks=$1 want=$2 rc
	shift 2
	ASAN_OPTIONS="detect_leaks=$leaks:exitcode=99:log_path=$work/asan/report" \
		timeout 60 "$LOAD_ASAN_WARD" --root "$root" "$@" </dev/null >"$work/asan/out" 2>&1
	rc=$?
	echo "$* -> $rc" >>"$work/asan/rcs"
	[ $rc = "$want" ] || echo "$*: exit $rc, want $want: $(head -c 300 "$work/asan/out")" >>"$work/asan/bad"
}
if [ -z "$LOAD_ASAN_WARD" ]; then
	ok "ASan/LeakSanitizer lifecycle sample # skip LOAD_ASAN_WARD is not set (an ASan build of ward)"
else
	mkdir -p "$work/asan"
	asan_one 1 0 create -b "$bundle" as-1
	asan_one 1 0 state as-1
	asan_one 1 0 list
	asan_one 1 0 ps as-1
	asan_one 1 0 inspect as-1
	asan_one 1 0 start as-1
	asan_one 1 0 exec as-1 true
	asan_one 1 0 exec -d as-1 sleep "$marker"
	asan_one 1 0 pause as-1
	asan_one 1 0 resume as-1
	asan_one 1 0 update --pids-limit 50 as-1
	asan_one 1 0 events --stats as-1
	# events streaming until its container dies: its leak check at exit
	ASAN_OPTIONS="detect_leaks=1:exitcode=99:log_path=$work/asan/report" \
		timeout 60 "$LOAD_ASAN_WARD" --root "$root" events --interval 10ms as-1 \
		</dev/null >/dev/null 2>&1 &
	asan_ev=$!
	sleep 1
	asan_one 1 0 kill as-1 KILL
	asan_one 1 0 delete -f as-1
	wait "$asan_ev"
	rc=$?
	echo "events --interval 10ms as-1 (until it is deleted) -> $rc" >>"$work/asan/rcs"
	[ $rc = 0 ] || echo "events: exit $rc, want 0" >>"$work/asan/bad"
	asan_one 1 0 run -d -b "$bundle" as-2
	asan_one 1 0 delete -f as-2
	# In the host's pid namespace exec has no pid namespace to join.
	mkdir -p "$work/hostpid"
	ln -s "$bundle/rootfs" "$work/hostpid/rootfs"
	jq '.linux.namespaces |= map(select(.type != "pid"))' "$bundle/config.json" >"$work/hostpid/config.json"
	asan_one 1 0 run -d -b "$work/hostpid" as-3
	asan_one 1 0 exec as-3 true
	asan_one 1 0 exec -d --pid-file "$work/asan/epid" as-3 sleep "$marker"
	asan_one 1 0 exec -e A=B -w /tmp as-3 sh -c 'test "$A" = B'
	asan_one 1 0 delete -f as-3
	for kind in "${kind_names[@]}"; do
		# shellcheck disable=SC2046
		asan_one 1 1 $(<"$work/bad/$kind/gopt") create -b "$work/bad/$kind" "as-$kind"
	done
	reports=$(cat "$work"/asan/report* "$work"/asan/bad 2>/dev/null)
	if [ -n "$reports" ]; then
		not_ok "ASan/LeakSanitizer: $(wc -l <"$work/asan/rcs") commands without a leak or memory error"
		printf '%s\n' "$reports" | grep -E 'ERROR|SUMMARY|#[0-9]+ |exit [0-9]+, want' | head -n 60 | diag
	else
		ok "ASan/LeakSanitizer: $(wc -l <"$work/asan/rcs") commands without a leak or memory error"
	fi
	diag <"$work/asan/rcs"
	check_nothing_left "after the ASan sample: nothing left"
fi

echo "1..$n"
