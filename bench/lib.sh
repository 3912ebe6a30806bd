# bench/lib.sh: shared by bench/run.sh, bench/costmodel.sh and bench/profile.sh.
# Sourced, not executed. Everything here is plain bash plus Debian tools.
#
# Layout of one benchmark run (all under $BD, a fresh mktemp dir in /tmp):
#   $BD/rootfs               busybox rootfs (scripts/mkrootfs.sh) + /getppid
#   $BD/bundles/<v>-<rt>/    config.json only; root.path points at $BD/rootfs
#   $BD/state/<rt>/          each runtime's own --root
#   $BD/log/<rt>.log         stderr of every runtime invocation
#
# The outer process (host mount namespace) installs packages, builds ward and
# the rootfs, then re-executes the script inside `unshare -m --propagation
# private`, where /sys/fs/cgroup/unified (a cgroup2 mount holding a controller
# on this hybrid host, which crun 1.8 refuses) is lazily unmounted. All
# measurements, for all runtimes, run inside that namespace. The unmount is
# private to it: the host never sees it, and it disappears with the last
# process in the namespace, so the trick cannot be left half-done.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_SRC")
ALL_RUNTIMES=(ward crun runc)

# --- output -------------------------------------------------------------------
SMOKE=${SMOKE:-0}
# Informational lines: TAP comments in smoke mode so a TAP consumer ignores them.
say() { if [ "$SMOKE" = 1 ]; then echo "# $*"; else echo "$*"; fi; }
warn() { echo "# warning: $*" >&2; }
die() {
	echo "bench: error: $*" >&2
	[ "$SMOKE" = 1 ] && echo "Bail out! $*" # TAP: the run cannot continue
	exit 1
}

# --- clock: bash 5's $EPOCHREALTIME is a builtin (no fork), in microseconds ---
if [ -n "${EPOCHREALTIME:-}" ]; then
	tick() { T=${EPOCHREALTIME/[.,]/}; T=$((10#$T)); }
else
	tick() { T=$(($(date +%s%N) / 1000)); }
fi

# CPU time (user+sys, us) of all waited-for children of this shell so far:
# bash's `times` builtin (getrusage(RUSAGE_CHILDREN), ms resolution) written to
# a file, not a $(...) subshell, whose children would be its own. A runtime
# waits for its container's init, so a `run` counts the runtime, its helper
# processes, the init and the program; kernel threads are not counted.
cpu_tick() {
	local f=${BD:-/tmp}/.times line
	times >"$f"
	{
		read -r line
		read -r line
	} <"$f"
	[[ $line =~ ([0-9]+)m([0-9]+)[.,]([0-9]+)s\ ([0-9]+)m([0-9]+)[.,]([0-9]+)s ]] || {
		CPU=0
		return
	}
	local u=$((10#${BASH_REMATCH[1]} * 60000000 + 10#${BASH_REMATCH[2]} * 1000000 + 10#${BASH_REMATCH[3]}000))
	local s=$((10#${BASH_REMATCH[4]} * 60000000 + 10#${BASH_REMATCH[5]} * 1000000 + 10#${BASH_REMATCH[6]}000))
	CPU=$((u + s))
}

# awk helpers (outside timed regions only)
fdiv() { awk -v a="$1" -v b="$2" -v p="${3:-3}" 'BEGIN { if (b == 0) print "nan"; else printf "%.*f\n", p, a / b }'; }
median() { # median of the arguments
	printf '%s\n' "$@" | { grep -E '^-?[0-9.]+$' || true; } | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- packages -----------------------------------------------------------------
BENCH_PKGS=(crun runc hyperfine time jq busybox-static util-linux procps e2fsprogs strace ima-evm-utils openssl
	build-essential meson ninja-build pkg-config libjansson-dev libseccomp-dev libcap-dev
	libaudit-dev libauparse-dev)

ensure_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	say "installing from Debian: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
		>"${TMPDIR:-/tmp}/ward-bench-apt.log" 2>&1; then
		warn "apt-get failed (see ${TMPDIR:-/tmp}/ward-bench-apt.log); continuing with what is installed"
	fi
}

# --- ward binary ----------------------------------------------------------------
# WARD=/path/to/ward uses that binary; otherwise build into $BENCH_BUILD
# (release build, tests disabled) from this checkout.
ensure_ward() {
	if [ -n "${WARD:-}" ]; then
		[ -x "$WARD" ] || die "WARD=$WARD is not executable"
		WARD=$(readlink -f "$WARD")
		return 0
	fi
	local b=${BENCH_BUILD:-/tmp/build-bench}
	if [ ! -f "$b/build.ninja" ]; then
		meson setup "$b" "$REPO" -Dtests=disabled --buildtype=release >"$b.setup.log" 2>&1 ||
			die "meson setup $b failed (see $b.setup.log)"
	fi
	ninja -C "$b" ward >"$b.ninja.log" 2>&1 || die "ninja -C $b failed (see $b.ninja.log)"
	WARD=$b/ward
}

# --- runtimes -------------------------------------------------------------------
RUNTIMES=()
pick_runtimes() {
	local want r
	read -ra want <<<"${BENCH_RUNTIMES:-${ALL_RUNTIMES[*]}}"
	RUNTIMES=()
	for r in "${want[@]}"; do
		case $r in
		ward) RUNTIMES+=(ward) ;;
		crun | runc)
			if command -v "$r" >/dev/null; then RUNTIMES+=("$r"); else warn "$r not installed: skipped"; fi
			;;
		*) die "unknown runtime $r" ;;
		esac
	done
}

# rtcmd RT: sets the array CMD to the runtime's command with its own --root.
rtcmd() {
	case $1 in
	ward) CMD=("$WARD" --root "$BD/state/ward") ;;
	crun) CMD=(crun --root "$BD/state/crun") ;;
	runc) CMD=(runc --root "$BD/state/runc") ;;
	*) die "rtcmd: $1" ;;
	esac
}

# Round-robin order for step N. What precedes a runtime matters: a cgroup
# migration shortly after another one is cheap, one after ~50 ms of quiet
# waits an RCU grace period (several ms; see docs/performance.md). Plain
# rotation of (ward crun runc) would put runc's long runs before ward 2 times
# in 3. For 3 names the steps alternate the two cyclic orders, 012 021 012
# 021..., a sequence that walks all six ordered pairs once per two steps (so
# each runtime follows each other one equally often), shifted by one every
# six steps so that positions rotate too. Other counts (2 runtimes, the cost
# model's variants): a rotation, reversed every other cycle.
rotated() { # rotated N NAME...
	local n=$1 i
	shift
	local a=("$@") k=$#
	ORDER=()
	if [ "$k" = 3 ]; then
		local off=$(((n / 6) % 3)) idx
		if ((n % 2 == 0)); then idx=(0 1 2); else idx=(0 2 1); fi
		for i in "${idx[@]}"; do ORDER+=("${a[$(((i + off) % 3))]}"); done
		return
	fi
	local rot=$((n % k)) rev=$(((n / k) % 2))
	for ((i = 0; i < k; i++)); do
		if [ "$rev" = 1 ]; then
			ORDER+=("${a[$(((k - 1 - i + rot) % k))]}")
		else
			ORDER+=("${a[$(((i + rot) % k))]}")
		fi
	done
}

# Unique container ids: runtime letter, our pid, a tag and a counter. The pid
# keeps parallel users of this machine apart (runc/crun name cgroups by id).
CID_N=0
cid() { # cid RT TAG -> $ID
	CID_N=$((CID_N + 1))
	ID="wb${1:0:1}$$-$2-$CID_N"
}

# status RT ID -> prints status (or "gone")
status_of() {
	local s
	rtcmd "$1"
	s=$("${CMD[@]}" state "$2" 2>/dev/null | jq -r .status 2>/dev/null) || s=""
	echo "${s:-gone}"
}

# wait_stopped RT ID...: until none of the ids is created/running (10 s max);
# one `list --format json` per poll, whatever the number of ids.
wait_stopped() {
	local r=$1 i
	shift
	rtcmd "$r"
	for ((i = 0; i < 1000; i++)); do
		"${CMD[@]}" list --format json 2>/dev/null | jq -e --args '
			[.[]? | select(.id as $i | $ARGS.positional | index($i)) | select(.status == "created" or .status == "running")]
			| length == 0' "$@" >/dev/null && return 0
		sleep 0.01
	done
	return 1
}

# --- private mount namespace ----------------------------------------------------
# enter_bench_ns SCRIPT ARGS...: called at the top of every bench script. In the
# outer process it prepares $BD and re-executes SCRIPT inside a private mount
# namespace, then cleans up whatever the inner run left (it should leave
# nothing); it never returns there. In the inner process it hides the cgroup2
# mount and returns.
enter_bench_ns() {
	local script=$1
	shift
	if [ -n "${WARD_BENCH_INNER:-}" ]; then
		[ "$(readlink /proc/self/ns/mnt)" != "$WARD_BENCH_OUTER_NS" ] ||
			die "not in a private mount namespace; refusing to unmount anything"
		# A private namespace: nothing we unmount here propagates to the host.
		if [ "$(findmnt -n -o FSTYPE /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2 ]; then
			umount -l /sys/fs/cgroup/unified || die "umount -l /sys/fs/cgroup/unified failed"
		fi
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "must run as root"
	export WARD_BENCH_OUTER_NS
	WARD_BENCH_OUTER_NS=$(readlink /proc/self/ns/mnt)
	export WARD_BENCH_INNER=1 SMOKE
	local rc=0 stop=0
	# Ctrl-C reaches the inner script too (same process group): its trap cleans
	# up; this handler only keeps us alive to run the fallback below.
	trap 'stop=1' INT TERM
	unshare -m --propagation private -- bash "$script" "$@" || rc=$?
	trap - INT TERM
	if [ -n "${BD:-}" ] && [ -d "$BD" ]; then
		warn "the inner run left $BD behind: cleaning up"
		WARD_BENCH_CLEANUP_ONLY=1 unshare -m --propagation private -- bash "$script" "$@" || true
		rm -rf "$BD" 2>/dev/null || true
	fi
	[ "$stop" = 1 ] && [ "$rc" = 0 ] && rc=130
	exit "$rc"
}

# --- cleanup (inner) --------------------------------------------------------------
# Deletes every container of every runtime under $BD/state, then removes $BD.
bench_cleanup() {
	set +e
	trap - INT TERM
	[ -n "${BD:-}" ] && [ -d "$BD" ] || return 0
	local r ids id
	for r in "${ALL_RUNTIMES[@]}"; do
		[ -d "$BD/state/$r" ] || continue
		command -v "$r" >/dev/null || [ "$r" = ward ] || continue
		rtcmd "$r"
		# list, and the state dirs as a fallback when list itself fails
		ids=$({
			"${CMD[@]}" list -q 2>/dev/null
			find "$BD/state/$r" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' 2>/dev/null
		} | sort -u)
		# in parallel (a failed scale run may leave hundreds), then stragglers
		[ -n "$ids" ] && printf '%s\n' $ids | xargs -r -P 4 -I{} "${CMD[@]}" delete --force {} >/dev/null 2>&1
		for id in $("${CMD[@]}" list -q 2>/dev/null); do
			"${CMD[@]}" delete --force "$id" >/dev/null 2>&1
		done
	done
	find "$BD" -xdev -type f -name 'ward-immutable*' -exec chattr -i {} + 2>/dev/null
	rm -rf "$BD"
}

# --- bundles ------------------------------------------------------------------------
# Hard limits of this process, as {"RLIMIT_NOFILE": 20000, ...} (null: unlimited).
rlimit_json() {
	prlimit --noheadings --raw -o RESOURCE,HARD | awk '
		BEGIN { printf "{" }
		{ printf "%s\"RLIMIT_%s\":%s", (NR > 1 ? "," : ""), $1, ($2 == "unlimited" ? "null" : $2) }
		END { printf "}" }'
}

# fix_config IN OUT [JQ-FILTER [ARGS...]]: the common adjustments every bundle
# gets: non-terminal, args [true], absolute root.path, ociVersion crun 1.8
# accepts, and no rlimit above our hard limits (the bounding set lacks
# CAP_SYS_RESOURCE, so raising one would fail), then the extra filter.
fix_config() {
	local in=$1 out=$2 extra=${3:-.}
	shift 3 2>/dev/null || shift $#
	jq --arg root "$BD/rootfs" --argjson lim "$(rlimit_json)" "$@" '
		.ociVersion = "1.0.2-dev"
		| .process.terminal = false
		| .process.args = ["true"]
		| .root.path = $root
		| if .process.rlimits then
			.process.rlimits |= map(select($lim[.type] == null or (.hard <= $lim[.type] and .soft <= $lim[.type])))
			| if (.process.rlimits | length) == 0 then del(.process.rlimits) else . end
		  else . end
		| '"$extra" "$in" >"$out"
}

USERNS_FILTER='.linux.namespaces += [{"type": "user"}]
	| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'

# Base configs: $BD/base/plain-<rt>.json (each runtime's own `spec`; ward's
# own spec is hardened, so ward gets runc's plain one) and hardened.json
# (`ward spec`, fed to all three: it already is OCI).
make_base_configs() {
	local r d
	mkdir -p "$BD/base"
	for r in ward crun runc; do
		d=$(mktemp -d "$BD/base/spec.XXXX")
		case $r in
		ward) (cd "$d" && runc spec 2>/dev/null) || (cd "$d" && crun spec 2>/dev/null) ||
			die "need runc or crun to write the plain config" ;;
		*) command -v "$r" >/dev/null && (cd "$d" && "$r" spec) ;;
		esac
		[ -f "$d/config.json" ] && fix_config "$d/config.json" "$BD/base/plain-$r.json"
		rm -rf "$d"
	done
	d=$(mktemp -d "$BD/base/spec.XXXX")
	(cd "$d" && "$WARD" spec) || die "ward spec failed"
	fix_config "$d/config.json" "$BD/base/hardened.json"
	rm -rf "$d"
}

# bundle NAME RT BASE [JQ-FILTER [ARGS...]]: $BD/bundles/NAME-RT/config.json
bundle() {
	local name=$1 r=$2 base=$3 filter=${4:-.}
	shift 4 2>/dev/null || shift $#
	mkdir -p "$BD/bundles/$name-$r"
	jq "$@" "$filter" "$base" >"$BD/bundles/$name-$r/config.json"
}
bdir() { echo "$BD/bundles/$1-$2"; }

# Prepare $BD: rootfs (+ the static syscall benchmark), state dirs, logs.
make_bench_dir() {
	BD=$(mktemp -d /tmp/ward-bench.XXXXXX)
	export BD
	chmod 755 "$BD"
	mkdir -p "$BD/state" "$BD/log" "$BD/bundles"
	"$REPO/scripts/mkrootfs.sh" "$BD/rootfs" || die "mkrootfs failed"
	cc -static -O2 -o "$BD/rootfs/getppid" "$BENCH_SRC/getppid.c" || die "cannot build getppid.c (cc -static)"
}
