#!/usr/bin/env bash
# ASan+UBSan lane: the bats integration suite against a ward built with
# AddressSanitizer and UndefinedBehaviorSanitizer (issue 14 item 8), as part
# of scripts/test.sh. Prints a TAP line per bats test, then one line that
# fails when any sanitizer report was written during the run, whether or not
# a test noticed (a use-after-free in an error path whose test only checks
# "exit status non-zero" passes the test, not this line).
#
# The build: build-asan/ (ASAN_BUILD), gcc with -fsanitize=address,undefined
# and -fno-sanitize-recover=all (a UBSan finding ends the process like an
# ASan one), -Db_lundef=false (the runtimes are shared libraries), no
# ward-static (ASan cannot be linked statically; the nesting tests that copy
# ward-static into a container take build/ward-static, unsanitized, when it
# is there: the outer ward is the sanitized one). Only the ward target is
# built (~40 s from scratch on the 2-core test machine, nothing when
# current).
#
# The run: every ward process gets ASAN_OPTIONS/UBSAN_OPTIONS with a
# log_path in one directory (ASAN_LOG_DIR, default a fresh /tmp/ward-asan.*,
# world-writable for the rootless tests' users). helpers.bash names each
# test's files after the test (FILE.bats-N.asan.PID, .ubsan.PID), so the
# report line says which test made them. The directory is removed when it
# is empty, kept and named when it is not.
#
# LeakSanitizer: detect_leaks=1 for every ward process. It checks at exit(),
# so it covers the CLI processes (create, start, run, exec, delete, state, the
# error paths), which is where a leak would pile up in a long-running engine
# that calls ward many times; the forked helpers and the container's init
# end in _exit or execve, where LSan never runs: nothing is checked there,
# and nothing needs to be (their memory goes with the process image). LSan
# stops the world with ptrace: the CLI runs as root or as the rootless
# user's own process, where that works.
#
# What a sanitizer cannot report to a file: the container's init after
# pivot_root no longer sees the log directory. A finding there makes ASan
# print "Can't open file" and exit non-zero: the test fails (ward reports
# the init's death), and this lane's last line cannot name it.
#
# Files: ASAN_LANE_FILES (names in tests/integration/, default below),
# ASAN_LANE_FILTER (bats --filter). Skips under the lane (WARD_SANITIZED=1,
# helpers.bash's skip_if_sanitized) say why in the test.
#
# docs/testing.md, "ASan+UBSan lane", has the timings and the findings.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
name="asan"
build=${ASAN_BUILD:-$top/build-asan}

if [ "$(id -u)" != 0 ]; then
	echo "ok 1 - $name: integration suite under ASan+UBSan # skip needs root (the tests create containers)"
	exit 0
fi
if ! echo 'int main(void){return 0;}' |
	cc -x c -fsanitize=address,undefined -o /dev/null - 2>/dev/null; then
	echo "ok 1 - $name: integration suite under ASan+UBSan # skip cc cannot link -fsanitize=address,undefined (libasan, libubsan missing)"
	exit 0
fi

# Files left out, and why:
#   audit.bats, audit-kmsg.bats: start auditd or need the host without one,
#     and read the kernel log; they cannot run while other jobs on the host
#     audit; src/audit is also run by every create (registry, records) in the
#     other files.
#   engines-regress.bats, checkpoint.bats: podman/containerd/CRIU in front of
#     ward, minutes of their own start-up for little of ward's code that the
#     others do not run (the engines lane runs them against build/ward).
#   conformance-tap.bats, docs.bats, completion.bats: check the TAP rewriter,
#     the manual pages and the bash completion, not ward's C code.
#   integrity-libcrypto.bats: checks what ward links (ldd, nm), which the
#     sanitizer runtimes change.
default_files="lifecycle lifecycle2 process mounts namespaces errors cli seccomp hardened
	cgroups cgroup-nested hooks landlock policy integrity idmap inspect rootless runc-diff
	attacks apparmor selinux"
files=()
for f in ${ASAN_LANE_FILES:-$default_files}; do
	files+=("tests/integration/${f%.bats}.bats")
done

log=$(mktemp /tmp/ward-asan-lane.XXXXXX)
tap=$(mktemp /tmp/ward-asan-tap.XXXXXX)
trap 'rm -f "$log" "$tap"' EXIT
start=$(date +%s)

opts=(-Dwerror=true -Dtests=disabled -Dfuzz=false -Dman=disabled -Dstatic_ward=disabled
	-Db_sanitize=address,undefined -Db_lundef=false
	-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all)
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "${opts[@]}" >"$log" 2>&1
else
	meson configure "$build" "${opts[@]}" >"$log" 2>&1
fi &&
	nice -n 5 ninja -C "$build" -j2 ward >>"$log" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ ! -x "$build/ward" ]; then
	echo "not ok 1 - $name: cannot build ward with -fsanitize=address,undefined in $build"
	tail -n 20 "$log" | sed 's/^/# /'
	exit 0
fi
built=$(($(date +%s) - start))

logs=${ASAN_LOG_DIR:-$(mktemp -d /tmp/ward-asan.XXXXXX)}
mkdir -p "$logs" && chmod 1777 "$logs"
# helpers.bash appends log_path per test. halt_on_error: the first report
# ends the process (ASan's default; UBSan's with -fno-sanitize-recover too).
# exitcode 86: a sanitizer's death is told apart from ward's own failures in
# a test's output.
export WARD_SANITIZED=1 WARD_SANITIZER_LOGS=$logs
export WARD_ASAN_OPTIONS=${WARD_ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:exitcode=86:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=0:print_summary=1}
export WARD_UBSAN_OPTIONS=${WARD_UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=86:print_summary=1}
export ASAN_OPTIONS="$WARD_ASAN_OPTIONS:log_path=$logs/lane.asan"
export UBSAN_OPTIONS="$WARD_UBSAN_OPTIONS:log_path=$logs/lane.ubsan"
export WARD=$build/ward
[ -x "$top/build/ward-static" ] && export WARD_STATIC=${WARD_STATIC:-$top/build/ward-static}

bats_args=(--tap)
[ -n "${ASAN_LANE_FILTER:-}" ] && bats_args+=(--filter "$ASAN_LANE_FILTER")
# A hang must not hold up the whole suite: 3 minutes a test (bats fails it
# and goes on), 10 a file.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}
# One bats run a file, its tests renumbered into one stream: the time of each
# file is measured, and one that stops early is named.
n=0
times=()
for f in "${files[@]}"; do
	t0=$(date +%s)
	timeout -k 30 600 bats "${bats_args[@]}" "$f" >"$tap" 2>&1
	rc=$?
	awk -v off="$n" '/^1\.\.[0-9]+$/ { next }
		match($0, /^(not )?ok [0-9]+/) {
			pre = ($0 ~ /^not /) ? "not ok " : "ok "
			print pre (substr($0, length(pre) + 1, RLENGTH - length(pre)) + off) substr($0, RLENGTH + 1)
			next
		}
		{ print }' "$tap"
	got=$(grep -cE '^(not )?ok ' "$tap")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tap" | head -1)
	n=$((n + got))
	if [ -n "$planned" ] && [ "$got" -lt "$planned" ]; then
		n=$((n + 1))
		echo "not ok $n - $name: ${f##*/} stopped after $got of $planned tests (bats exit status $rc; 124 is the 600 s limit)"
		tail -n 5 "$tap" | sed 's/^/# /'
	elif [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$tap"; then
		n=$((n + 1))
		echo "not ok $n - $name: ${f##*/}: bats exited with status $rc without a failed test"
		tail -n 5 "$tap" | sed 's/^/# /'
	fi
	times+=("${f##*/} $(($(date +%s) - t0))s")
done
ran=$(($(date +%s) - start - built))

n=$((n + 1))
mapfile -t reports < <(find "$logs" -type f | sort)
if [ ${#reports[@]} -eq 0 ]; then
	echo "ok $n - $name: no sanitizer report from any ward process"
	rmdir "$logs" 2>/dev/null
else
	echo "not ok $n - $name: ${#reports[@]} sanitizer report(s) in $logs"
	for r in "${reports[@]}"; do
		echo "# ${r##*/}: $(grep -m1 -E 'ERROR: |runtime error: |SUMMARY: ' "$r")"
	done | head -n 30
	echo "# first report, ${reports[0]##*/}:"
	grep -v '^ *$' "${reports[0]}" | head -n 40 | sed 's/^/#   /'
fi
echo "1..$n"
echo "# asan lane: build $built s, ${#files[@]} files in $ran s: ${times[*]}"
exit 0
