#!/usr/bin/env bash
# Long fuzzing runs of ward's parsers, outside CI, cumulative across sessions:
#
#   tests/fuzz/campaign.sh [-s SECONDS] [-j JOBS] [-u HH:MM] [TARGET...]
#   tests/fuzz/campaign.sh --report | --docs | --minimise [TARGET...]
#
# Each TARGET (default: every target of tests/fuzz/lib.sh) is fuzzed for
# SECONDS (default 600) of wall time under `nice -n 19`, JOBS targets at a
# time (default 2), from its committed corpus tests/fuzz/corpus/TARGET/ plus
# a scratch directory that receives the new inputs. With -u, rounds over the
# targets repeat until HH:MM (local time, today), each run cut short so that
# the last one ends before it.
#
# After each target's run:
#   - its new inputs are merged into tests/fuzz/corpus/TARGET/ with
#     -merge=1 (only the inputs that add coverage are added, so the committed
#     corpus grows slowly; --minimise also drops the ones made redundant),
#     then the scratch directory is emptied;
#   - every crash (also leaks, timeouts, out-of-memory) is copied to
#     tests/fuzz/corpus/regressions/TARGET-<sha1 prefix>, which run.sh
#     replays: commit it with the fix. A target stops after 3 crashes;
#   - one line is appended to the ledger tests/fuzz/campaign.tsv: UTC date,
#     target, commit built (+dirty when src/ or tests/fuzz/ differed), wall
#     seconds, CPU seconds the fuzzer really used (user+system, from
#     /usr/bin/time: at nice 19 on a busy machine it is far below wall time),
#     executions, crashes, corpus files and bytes after the merge.
#
# The targets run in the order of their CPU time so far, least first, so
# that new targets catch up. `kill -TERM` of the campaign's process (its
# pid is in build-fuzz/campaign/pid) stops it cleanly: the fuzzers are
# interrupted, their time so far is recorded and their inputs are merged.
#
# --report prints, from the ledger, the cumulative CPU time, executions and
# crashes per target as a Markdown table (for docs/testing.md), with what
# each target lacks to one CPU-hour; --docs writes it into docs/testing.md.
# --minimise cuts the committed corpora down to the inputs that keep their
# coverage (the merges after each run only add).
#
# Scratch files, logs and crash artifacts are under build-fuzz/campaign/.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/fuzz/lib.sh
build=${WARD_FUZZ_BUILD:-build-fuzz}
ledger=tests/fuzz/campaign.tsv
corpus=tests/fuzz/corpus
goal=3600

die() {
	echo "campaign: $*" >&2
	exit 1
}

report() {
	[ -f "$ledger" ] || die "no ledger $ledger yet"
	awk -F'\t' -v goal=$goal -v list="${fuzz_targets[*]}" '
		function hms(s) { return sprintf("%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60) }
		NR == 1 { next }
		{ cpu[$2] += $5; execs[$2] += $6; crashes[$2] += $7; runs[$2]++; files[$2] = $8 }
		END {
			n = split(list, t, " ")
			print "| target | CPU time | executions | crashes | runs | corpus files | 1 CPU-hour |"
			print "|---|---:|---:|---:|---:|---:|---|"
			for (i = 1; i <= n; i++) {
				k = t[i]
				printf "| %s | %s | %d | %d | %d | %s | %s |\n", k, hms(cpu[k]), execs[k],
					crashes[k], runs[k], ((k in files) ? files[k] : "-"),
					(cpu[k] >= goal ? "reached" : ("not yet (" hms(goal - cpu[k]) " to go)"))
				total += cpu[k]
			}
			printf "\nTotal: %s of CPU time over %d targets.\n", hms(total), n
		}' "$ledger"
}

# minimise TARGET...: each committed corpus cut down to the inputs that keep
# its coverage (-merge=1 into an empty directory). The named seeds stay;
# the inputs named by their SHA-1 (what libFuzzer writes) that add nothing
# are deleted.
minimise() {
	local t
	for t in "$@"; do
		local bin=$build/tests/fuzz/$t dir=$corpus/$t min=$build/campaign/$t/min
		[ -x "$bin" ] || die "$bin is not built"
		rm -rf "$min"
		mkdir -p "$min"
		find "$dir" -regextype posix-extended -type f ! -regex '.*/[0-9a-f]{40}' -exec cp -t "$min" {} +
		local before
		before=$(find "$dir" -type f | wc -l)
		nice -n 19 "$bin" -merge=1 -timeout=30 -rss_limit_mb=2048 "$min" "$dir" \
			>"$build/campaign/$t/minimise.log" 2>&1 || die "$t: merge failed"
		find "$dir" -regextype posix-extended -type f -regex '.*/[0-9a-f]{40}' -printf '%f\n' | while read -r f; do
			[ -e "$min/$f" ] || rm -f "$dir/$f"
		done
		echo "campaign: $t: corpus $before -> $(find "$dir" -type f | wc -l) files"
	done
}

# The report into docs/testing.md, between its two markers.
docs() {
	local doc=docs/testing.md table
	table=$(report) || exit 1
	grep -q '^<!-- end of the campaign table -->' "$doc" || die "$doc has no campaign table markers"
	awk -v table="$table" '
		/^<!-- end of the campaign table -->/ { skip = 0 }
		!skip { print }
		/^<!-- tests\/fuzz\/campaign.sh --docs rewrites/ { print table; skip = 1 }
	' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
}

build_targets() {
	if [ ! -f "$build/build.ninja" ]; then
		CC=clang meson setup "$build" -Dfuzz=true >/dev/null || die "meson setup $build failed"
	fi
	ninja -C "$build" "${@/#/tests/fuzz/}" >/dev/null || die "ninja failed (ninja -C $build)"
}

commit_id() {
	local c
	c=$(git rev-parse --short=12 HEAD 2>/dev/null) || c=unknown
	git diff --quiet HEAD -- src tests/fuzz 2>/dev/null || c="$c+dirty"
	echo "$c"
}

# fuzz_one TARGET SECONDS: one campaign run of TARGET (see the top).
fuzz_one() {
	local t=$1 budget=$2
	if [ -n "${WARD_FUZZ_UNTIL:-}" ]; then
		local cap=$((WARD_FUZZ_UNTIL - $(date +%s) - 60))
		[ "$cap" -lt "$budget" ] && budget=$cap
		[ "$budget" -lt 30 ] && return 0
	fi
	local bin=$build/tests/fuzz/$t work=$build/campaign/$t
	local scratch=$work/new crashes=$work/crashes
	[ -x "$bin" ] || { echo "campaign: $t: $bin is not built, skipped" >&2; return 0; }
	mkdir -p "$scratch" "$crashes" "$corpus/$t" "$corpus/regressions"
	touch "$work/busy"
	local dict
	dict=$(fuzz_dict "$t")
	local started=$SECONDS cpu=0 execs=0 ncrash=0 left=$budget run=0 rc
	while [ "$left" -ge 5 ] && [ "$ncrash" -lt 3 ]; do
		run=$((run + 1))
		local log=$work/run-$run.log
		/usr/bin/time -f '%U %S' -o "$work/time" nice -n 19 "$bin" \
			-max_total_time="$left" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$crashes/" ${dict:+"$dict"} "$scratch" "$corpus/$t" \
			>"$log" 2>&1 &
		local timer=$!
		sleep 1
		# The fuzzer (nice execs it): what a stop interrupts.
		ps -o pid= --ppid "$timer" >"$work/fuzzer.pid"
		wait "$timer"
		rc=$?
		rm -f "$work/fuzzer.pid"
		cpu=$(awk -v c="$cpu" 'END { printf "%.1f", c + $1 + $2 }' "$work/time")
		local n
		n=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
		execs=$((execs + ${n:-0}))
		left=$((budget - (SECONDS - started)))
		[ "$rc" -eq 0 ] && break
		if grep -q 'libFuzzer: run interrupted' "$log"; then
			echo "campaign: $t: stopped" >&2
			break
		fi
		local unit
		unit=$(grep -m1 -oE 'Test unit written to .*' "$log" | sed 's/Test unit written to //')
		if [ -z "$unit" ] || [ ! -f "$unit" ]; then
			echo "campaign: $t: exit status $rc without a crash input, see $log" >&2
			break
		fi
		ncrash=$((ncrash + 1))
		local keep
		keep=$corpus/regressions/$t-$(sha1sum "$unit" | cut -c1-12)
		cp "$unit" "$keep"
		echo "campaign: $t: CRASH ($(fuzz_crash_reason "$log" "$rc")), input kept as $keep, log $log"
	done
	if ! nice -n 19 "$bin" -merge=1 -timeout=30 -rss_limit_mb=2048 "$corpus/$t" "$scratch" \
		>"$work/merge.log" 2>&1; then
		echo "campaign: $t: merge failed, see $work/merge.log (scratch kept)" >&2
	else
		find "$scratch" -type f -delete
	fi
	local files bytes
	files=$(find "$corpus/$t" -type f | wc -l)
	bytes=$(find "$corpus/$t" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	(
		flock 9
		[ -s "$ledger" ] || printf 'date\ttarget\tcommit\twall_s\tcpu_s\texecs\tcrashes\tcorpus_files\tcorpus_bytes\n' >&9
		printf '%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\n' "$(date -u +%FT%TZ)" "$t" "${WARD_FUZZ_COMMIT:-$(commit_id)}" \
			$((SECONDS - started)) "$cpu" "$execs" "$ncrash" "$files" "$bytes" >&9
	) 9>>"$ledger"
	rm -f "$work/busy"
	echo "campaign: $t: $((SECONDS - started)) s wall, $cpu s CPU, $execs runs, $ncrash crashes, corpus $files files"
}

# least_first TARGET...: the targets, least CPU time in the ledger first.
least_first() {
	local t
	for t in "$@"; do
		awk -F'\t' -v t="$t" '$2 == t { s += $5 } END { printf "%012.1f %s\n", s, t }' \
			"$ledger" 2>/dev/null || echo "0 $t"
	done | sort | awk '{ print $2 }'
}

# On TERM or INT: no new run; the running fuzzers are interrupted, and
# their runs recorded, before the campaign exits.
stop() {
	[ -n "${runner:-}" ] && kill "$runner" 2>/dev/null
	local f
	for f in "$build"/campaign/*/fuzzer.pid; do
		[ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	# The runs record themselves and merge (a minute at most).
	for _ in $(seq 120); do
		compgen -G "$build/campaign/*/busy" >/dev/null || break
		sleep 1
	done
	rm -f "$build/campaign/pid"
	exit 0
}

main() {
	if [ "${1:-}" = --report ]; then
		report
		exit 0
	fi
	if [ "${1:-}" = --docs ]; then
		docs
		exit 0
	fi
	if [ "${1:-}" = --minimise ]; then
		shift
		[ $# -gt 0 ] || set -- "${fuzz_targets[@]}"
		minimise "$@"
		exit 0
	fi
	if [ "${1:-}" = --one ]; then
		fuzz_one "$2" "$3"
		exit 0
	fi

	seconds=600 jobs=2 until=
	while getopts s:j:u: o; do
		case $o in
		s) seconds=$OPTARG ;;
		j) jobs=$OPTARG ;;
		u) until=$(date -d "$OPTARG" +%s) || die "-u $OPTARG: not a time" ;;
		*) die "usage: $0 [-s SECONDS] [-j JOBS] [-u HH:MM] [TARGET...] | --report" ;;
		esac
	done
	shift $((OPTIND - 1))
	targets=("$@") explicit=yes
	[ ${#targets[@]} -gt 0 ] || targets=("${fuzz_targets[@]}") explicit=no
	for t in "${targets[@]}"; do
		[[ " ${fuzz_targets[*]} " == *" $t "* ]] || die "$t: not a target of tests/fuzz/lib.sh"
	done
	[ -x /usr/bin/time ] || die "/usr/bin/time is needed to measure CPU time (apt-get install time)"
	command -v flock >/dev/null || die "flock (util-linux) is needed"
	build_targets "${targets[@]}"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

	# Each run is cut short to end a minute before the deadline (time for the
	# last merges); a run that would be shorter than 30 s is not started.
	export WARD_FUZZ_UNTIL=$until
	mkdir -p "$build/campaign"
	echo $$ >"$build/campaign/pid"
	trap stop TERM INT
	# Without TARGETs, each round reads the list again and builds it: targets
	# added meanwhile join at the next round, fixes in src/ are picked up.
	round=0
	while :; do
		if [ "$explicit" = no ]; then
			. tests/fuzz/lib.sh
			targets=("${fuzz_targets[@]}")
			if [ "$round" -gt 0 ]; then
				(build_targets "${targets[@]}") ||
					echo "campaign: build failed, this round runs what was built" >&2
			fi
			mapfile -t targets < <(least_first "${targets[@]}")
		fi
		round=$((round + 1))
		WARD_FUZZ_COMMIT=$(commit_id)
		export WARD_FUZZ_COMMIT
		printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} "$0" --one {} "$seconds" &
		runner=$!
		wait "$runner"
		[ -n "$until" ] && [ $(($(date +%s) + 90)) -lt "$until" ] || break
	done
	rm -f "$build/campaign/pid"
}

# On one line: bash reads no further while main runs (the file may change).
main "$@"; exit $?
