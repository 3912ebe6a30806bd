#!/usr/bin/env bash
# Where the time of one `run` goes, for ward, crun and runc (same bundles as
# bench/run.sh figure 1 and 3):
#   1. strace -f: syscalls, execve and clone counts, processes, threads;
#      strace -c -w -f: the top syscalls by wall time (strace inflates every syscall,
#      so read these as counts and proportions, not as durations);
#   2. ward's phases on a strace -f -ttt timeline (again: inflated);
#   3. perf stat -r: CPU time (task-clock, all processes of the run),
#      context switches, migrations, page faults, wall time (not inflated);
#   4. hyperfine -N: a cross-check of figure 1 with another harness (not
#      interleaved, so less robust to drift than bench/run.sh);
#   5. the kernel's cgroup-migration cost against the idle time before it,
#      and what clone3(CLONE_INTO_CGROUP) costs instead (bench/cgclone.c);
#   6. experiments on copies of ward (its code untouched): a static-pie link
#      of the same objects, with and without the exec stub, and the
#      hardened profile restricted to one architecture; CPU per run.
#
#   bench/profile.sh [--smoke]     PROFILE_RUNS=30/3 (perf stat and hyperfine runs)
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=bench/lib.sh
. "$(dirname "$SCRIPT")/lib.sh"

SMOKE=0
for a in "$@"; do
	case $a in
	--smoke) SMOKE=1 ;;
	-h | --help)
		sed -n '2,14p' "$SCRIPT" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "usage: $0 [--smoke]" ;;
	esac
done
if [ "$SMOKE" = 1 ]; then : "${PROFILE_RUNS:=3}"; else : "${PROFILE_RUNS:=30}"; fi
export PROFILE_RUNS SMOKE

if [ -z "${WARD_BENCH_INNER:-}" ]; then
	ensure_pkgs "${BENCH_PKGS[@]}"
	ensure_ward
	export WARD
	trap '[ -n "${BD:-}" ] && rm -rf "$BD" 2>/dev/null; true' EXIT
	make_bench_dir
	enter_bench_ns "$SCRIPT" "$@"
fi
enter_bench_ns "$SCRIPT" "$@"
if [ -n "${WARD_BENCH_CLEANUP_ONLY:-}" ]; then
	bench_cleanup
	exit 0
fi
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
pick_runtimes
make_base_configs
for r in "${RUNTIMES[@]}"; do
	bundle plain "$r" "$BD/base/plain-$r.json"
	bundle hardened "$r" "$BD/base/hardened.json"
done
# warm: page cache, ward's seccomp cache
for r in "${RUNTIMES[@]}"; do
	rtcmd "$r"
	for v in plain hardened; do
		cid "$r" warm
		"${CMD[@]}" run --bundle "$BD/bundles/$v-$r" "$ID" </dev/null >/dev/null 2>>"$BD/log/$r.log" || die "$r run ($v) fails"
	done
done
P=$BD/prof
mkdir -p "$P"

echo "ward profile: $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -sr), $(nproc) CPUs, $("$WARD" --version | head -n 1)$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null | sed 's/^/, commit /'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== 1. syscalls of one \`run\` of /bin/true (strace -f; counts include the container's init and /bin/true)"
printf '%-8s %-9s %9s %7s %6s %8s %9s %7s\n' runtime config syscalls execve procs threads "clone*" failed
for v in plain hardened; do
	for r in "${RUNTIMES[@]}"; do
		rtcmd "$r"
		cid "$r" strace
		strace -f -qq -o "$P/$r-$v.trace" "${CMD[@]}" run --bundle "$BD/bundles/$v-$r" "$ID" </dev/null >/dev/null 2>>"$BD/log/$r.log" ||
			warn "$r: strace run failed"
		cid "$r" strace
		strace -f -c -w -o "$P/$r-$v.count" "${CMD[@]}" run --bundle "$BD/bundles/$v-$r" "$ID" </dev/null >/dev/null 2>>"$BD/log/$r.log" || true
		awk -v r="$r" -v v="$v" '
			/ resumed>/ { next }                       # second half of an interrupted call
			/^[0-9]+ +\+\+\+ exited/ || /^[0-9]+ +--- / { next }
			{ n++; pids[$1] = 1 }
			/ (execve|execveat)\(/ { ex++ }
			/ (clone|clone3|fork|vfork)\(/ { cl++; if ($0 ~ /CLONE_THREAD/) th++ }
			/ = -1 E/ { fail++ }
			END { np = 0; for (p in pids) np++
			      printf "%-8s %-9s %9d %7d %6d %8d %9d %7d\n", r, v, n, ex, np - th, th, cl, fail }' "$P/$r-$v.trace"
	done
done
echo "(procs: distinct pids minus threads; clone*: clone/clone3/fork/vfork calls, threads included)"
echo
for r in "${RUNTIMES[@]}"; do
	echo "-- $r, plain config: top syscalls by wall time in the call (strace -c -w -f; blocking waits included)"
	sed -n '1,2p;3,14p' "$P/$r-plain.count" 2>/dev/null
	tail -n 1 "$P/$r-plain.count" 2>/dev/null
	echo
done
echo "-- ward, plain config: syscalls by count"
awk '
	/ resumed>/ || /^[0-9]+ +\+\+\+/ || /^[0-9]+ +---/ { next }
	{ s = $2; sub(/\(.*/, "", s); c[s]++ }
	END { for (k in c) printf "%6d %s\n", c[k], k }' "$P/ward-plain.trace" | sort -rn | head -n 20 | paste - - | column -t
echo

echo "== 2. ward's phases in one run (strace -f -ttt timeline; strace slows every syscall)"
cid ward phases
rtcmd ward
strace -f -qq -ttt -o "$P/ward-phases.trace" "${CMD[@]}" run --bundle "$BD/bundles/hardened-ward" "$ID" </dev/null >/dev/null 2>>"$BD/log/ward.log" || true
awk '
	function ms(t) { return sprintf("%7.2f ms", (t - t0) * 1000) }
	NR == 1 { t0 = $2; main = $1; print ms($2) "  start: " substr($3, 1, 40) }
	$1 == main && /execveat\(/ { print ms($2) "  sealed-memfd re-exec of the CLI (a config that needs it)" }
	$1 == main && /mkdir\("\/sys\/fs\/cgroup/ && !cg { cg = 1; print ms($2) "  cgroup setup begins (config parsed, seccomp ready)" }
	$1 == main && /clone3\(|clone\(/ && !cl { cl = 1; print ms($2) "  clone3 of the container init" }
	$1 != main && /pivot_root\(/ { print ms($2) "  init: pivot_root (mounts done)" }
	$1 != main && /seccomp\(SECCOMP_SET_MODE_FILTER/ { print ms($2) "  init: seccomp filter loaded" }
	$1 != main && /execveat\(/ { print ms($2) "  init: execveat of the sealed exec stub" }
	$1 != main && /execve\(/ { print ms($2) "  init (as the stub): execve of the program" }
	$1 != main && /exit_group/ { print ms($2) "  program exits" }
	{ last = $2 }
	END { print ms(last) "  ward exits (state removed, cgroups removed)" }' "$P/ward-phases.trace"
echo

echo "== 3. perf stat -r $PROFILE_RUNS: one \`run\` (plain config), all processes of the run"
if perf stat -e task-clock true >/dev/null 2>&1; then
	printf '%-8s %-9s %10s %10s %10s %10s %12s\n' runtime config "cpu ms" "ctx-sw" migrations "page-faults" "wall ms"
	for v in plain hardened; do
		for r in "${RUNTIMES[@]}"; do
			rtcmd "$r"
			cid "$r" perf
			perf stat -x, -r "$PROFILE_RUNS" -e task-clock,context-switches,cpu-migrations,page-faults \
				-o "$P/$r-$v.perf" "${CMD[@]}" run --bundle "$BD/bundles/$v-$r" "$ID" </dev/null >/dev/null 2>>"$BD/log/$r.log" || warn "$r: perf stat failed"
			awk -F, -v r="$r" -v v="$v" '
				$3 ~ /^task-clock/ { cpu = $1; wall = ($7 > 0) ? $1 / $7 : 0 }
				$3 ~ /context-switches/ { cs = $1 } $3 ~ /cpu-migrations/ { mg = $1 } $3 ~ /page-faults/ { pf = $1 }
				END { printf "%-8s %-9s %10.2f %10.0f %10.0f %10.0f %12.2f\n", r, v, cpu, cs, mg, pf, wall }' "$P/$r-$v.perf"
		done
	done
	echo "(means over the runs; cpu ms: task-clock summed over every process of the run, wall ms from perf's CPUs-utilized)"
else
	echo "perf stat is not usable here (no permission or no perf): skipped"
fi
echo

echo "== 4. hyperfine -N cross-check of figure 1 (plain config, not interleaved)"
if command -v hyperfine >/dev/null; then
	args=()
	for r in "${RUNTIMES[@]}"; do
		rtcmd "$r"
		cid "$r" hf
		args+=(-n "$r" "${CMD[*]} run --bundle $BD/bundles/plain-$r $ID")
	done
	hyperfine -N --style none --warmup 3 --runs "$PROFILE_RUNS" --export-json "$P/hf.json" "${args[@]}" >/dev/null 2>>"$BD/log/hyperfine.log" ||
		warn "hyperfine failed: $(tail -n 2 "$BD/log/hyperfine.log")"
	[ -f "$P/hf.json" ] && jq -r '.results[] | "\(.command)\tmean \(.mean * 1000 | . * 100 | round / 100) ms  median \(.median * 1000 | . * 100 | round / 100) ms  sd \(.stddev * 1000 | . * 100 | round / 100) ms  min \(.min * 1000 | . * 100 | round / 100) ms"' "$P/hf.json"
else
	echo "hyperfine not installed: skipped"
fi
echo

echo "== 5. placing a process in a cgroup after an idle gap: write to cgroup.procs vs clone3(CLONE_INTO_CGROUP)"
# bench/cgclone.c on a cgroup2 hierarchy (mounted privately here when the
# host has none at /sys/fs/cgroup; the lock it shows is global, v1 included).
cg2="" cg2_mounted=0
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	cg2=/sys/fs/cgroup
else
	mkdir -p "$BD/cg2"
	if mount -t cgroup2 none "$BD/cg2" 2>/dev/null; then
		cg2=$BD/cg2 cg2_mounted=1
	fi
fi
if [ -n "$cg2" ] && cc -O2 -o "$BD/cgclone" "$BENCH_SRC/cgclone.c" 2>>"$BD/log/cc.log" &&
	mkdir "$cg2/wardbench-$$" 2>/dev/null; then
	# on any exit: the test cgroup removed, the private mount gone
	trap 'rmdir "$cg2/wardbench-$$" 2>/dev/null; [ "$cg2_mounted" = 1 ] && umount "$BD/cg2"; bench_cleanup' EXIT
	"$BD/cgclone" "$cg2/wardbench-$$" $((SMOKE ? 1 : 8)) || warn "cgclone failed"
	sleep 0.1
	rmdir "$cg2/wardbench-$$" 2>/dev/null || warn "could not remove $cg2/wardbench-$$"
	[ "$cg2_mounted" = 1 ] && umount "$BD/cg2"
	trap bench_cleanup EXIT
else
	[ "$cg2_mounted" = 1 ] && umount "$BD/cg2"
	echo "no usable cgroup2 hierarchy (or no compiler): skipped"
fi
echo

echo "== 6. experiments on copies of ward (CPU ms per run, runs interleaved; ward's code untouched)"
mkdir -p "$BD/exp"
cp "$WARD" "$BD/exp/ward-dyn-copy"
cp "$WARD" "$BD/exp/ward-immutable-dyn"
exps=("ward-dyn-copy plain" "ward-immutable-dyn plain")
b=${BENCH_BUILD:-/tmp/build-bench}
if [ "$WARD" = "$(readlink -f "$b/ward")" ] && ls "$b"/ward.p/*.o >/dev/null 2>&1 &&
	cc -static-pie -o "$BD/exp/ward-static-copy" "$b"/ward.p/*.o "$b/libward.a" -ljansson -lseccomp \
		-Wl,-z,relro,-z,now 2>/dev/null; then
	cp "$BD/exp/ward-static-copy" "$BD/exp/ward-immutable-static"
	exps+=("ward-static-copy plain" "ward-immutable-static plain" "ward-immutable-static hardened")
	echo "static-pie build: $(stat -c %s "$BD/exp/ward-static-copy") bytes, dynamic: $(stat -c %s "$WARD") bytes"
else
	echo "(static-pie link skipped: needs ward built here and libjansson.a/libseccomp.a)"
fi
exps+=("ward-immutable-dyn hardened" "ward-immutable-dyn hardened-1arch")
jq '.linux.seccomp.architectures = ["SCMP_ARCH_X86_64"]' "$BD/bundles/hardened-ward/config.json" >"$BD/exp/h1.json"
mkdir -p "$BD/bundles/hardened-1arch-ward" && mv "$BD/exp/h1.json" "$BD/bundles/hardened-1arch-ward/config.json"
if chattr +i "$BD"/exp/ward-immutable-* 2>/dev/null; then
	declare -A EW=() EC=()
	for e in "${exps[@]}"; do
		read -r bin v <<<"$e"
		EW[$e]=0 EC[$e]=0
		"$BD/exp/$bin" --root "$BD/state/ward" run --bundle "$BD/bundles/$v-ward" "wbw$$-xw-$bin-$v" </dev/null >/dev/null 2>>"$BD/log/ward.log" ||
			warn "experiment $e does not run"
	done
	n=$((SMOKE ? 1 : 150))
	for ((i = 0; i < n; i++)); do
		rotated "$i" "${exps[@]}"
		for e in "${ORDER[@]}"; do
			read -r bin v <<<"$e"
			cid ward exp
			cpu_tick
			c0=$CPU
			tick
			t0=$T
			"$BD/exp/$bin" --root "$BD/state/ward" run --bundle "$BD/bundles/$v-ward" "$ID" </dev/null >/dev/null 2>>"$BD/log/ward.log"
			tick
			cpu_tick
			EW[$e]=$((EW[$e] + T - t0)) EC[$e]=$((EC[$e] + CPU - c0))
		done
	done
	for e in "${exps[@]}"; do
		printf '%-40s wall %6s ms  cpu %6s ms\n' "$e" "$(fdiv "${EW[$e]}" $((n * 1000)) 2)" "$(fdiv "${EC[$e]}" $((n * 1000)) 2)"
	done
	echo "(*-copy: the program is exec'd through the sealed exec stub; immutable: directly. hardened-1arch: the profile with SCMP_ARCH_X86_64 only)"
else
	echo "chattr +i not supported here: skipped"
fi

if [ "$SMOKE" = 1 ]; then
	echo "1..1"
	[ -s "$P/ward-plain.trace" ] && echo "ok 1 - profile ran" || { echo "not ok 1 - profile"; exit 1; }
fi
