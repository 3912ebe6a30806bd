#!/usr/bin/env bash
# What each layer of ward costs per container start: `ward run` of /bin/true
# with one feature toggled at a time against a floor config, all variants
# interleaved per round; a feature's cost is the median over rounds of
# (variant - its base) measured in the same round.
#
#   bench/costmodel.sh [--smoke]
#
#   COST_ROUNDS=12/1  rounds
#   COST_RUN=20/2     containers per variant per round
#
# Two figures per variant: wall time, and CPU time (user+sys of every process
# of the run: ward, its re-exec, the init, /bin/true; from getrusage of the
# children). On a machine shared with other work the CPU figure is the stable
# one; the wall figure also shows waiting (scheduling, RCU, kernel workers).
#   WARD, BENCH_BUILD as for bench/run.sh
#
# The cgroup layers are toggled by hiding cgroupfs in a nested private mount
# namespace for the batch (ward then finds no hierarchy, or no devices one);
# the CVE-2019-5736 protection by running a `chattr +i` copy of the binary
# (ward needs no protection for an immutable binary) against a plain copy
# (the exec stub, ward's default) and the plain copy with
# WARD_EXE_PROTECT=reexec (the sealed-memfd re-exec of the whole CLI).
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=bench/lib.sh
. "$(dirname "$SCRIPT")/lib.sh"

# ---- batch mode: bench/costmodel.sh --loop CGMODE BIN N PREFIX BUNDLE [FLAGS]
# Runs inside a nested private mount namespace; prints the batch time in us.
if [ "${1:-}" = --loop ]; then
	shift
	cgmode=$1 bin=$2 n=$3 prefix=$4 bundle=$5
	shift 5
	case $bin in
	*/ward-reexec)
		bin=${bin%-reexec}-copy
		export WARD_EXE_PROTECT=reexec
		;;
	esac
	[ "$(readlink /proc/self/ns/mnt)" != "$WARD_BENCH_PARENT_NS" ] || die "--loop: not in a nested namespace"
	case $cgmode in
	full) ;;
	nodev) umount -l /sys/fs/cgroup/devices ;;
	none) umount -l /sys/fs/cgroup ;;
	*) die "cgmode $cgmode" ;;
	esac
	tmpl=$(<"$bundle/config.tmpl")
	log=$BD/log/ward.log
	elapsed=0
	cpu_tick
	c0=$CPU
	for ((i = 0; i < n; i++)); do
		# every variant rewrites its config each time (same cost for all);
		# only the seccomp-miss template has a @NONCE@, which makes every
		# run a seccomp cache miss
		printf '%s' "${tmpl//@NONCE@/$prefix-$i}" >"$bundle/config.json"
		tick
		t0=$T
		"$bin" --root "$BD/state/ward" run "$@" --bundle "$bundle" "$prefix-$i" </dev/null >/dev/null 2>>"$log" ||
			die "ward run failed in $bundle (see tail of $log: $(tail -n 2 "$log" | tr '\n' ' '))"
		tick
		elapsed=$((elapsed + T - t0))
	done
	cpu_tick
	echo "$elapsed $((CPU - c0))"
	exit 0
fi

SMOKE=0
for a in "$@"; do
	case $a in
	--smoke) SMOKE=1 ;;
	-h | --help)
		sed -n '2,19p' "$SCRIPT" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "usage: $0 [--smoke]" ;;
	esac
done
if [ "$SMOKE" = 1 ]; then
	: "${COST_ROUNDS:=1}" "${COST_RUN:=2}"
else
	: "${COST_ROUNDS:=12}" "${COST_RUN:=20}"
fi
export COST_ROUNDS COST_RUN SMOKE

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
RUNTIMES=(ward)
make_base_configs
export WARD_BENCH_PARENT_NS
WARD_BENCH_PARENT_NS=$(readlink /proc/self/ns/mnt)

# Two copies of the binary side by side: plain, and immutable (no exec
# protection needed); "reexec" is the plain one with WARD_EXE_PROTECT=reexec.
mkdir -p "$BD/bin"
cp "$WARD" "$BD/bin/ward-copy"
cp "$WARD" "$BD/bin/ward-immutable"
HAVE_IMMUTABLE=1
chattr +i "$BD/bin/ward-immutable" 2>/dev/null || {
	HAVE_IMMUTABLE=0
	warn "chattr +i not supported here: the immutable variants are skipped"
}

# ------------------------------------------------------------------ variants
PLAIN=$BD/base/plain-ward.json
HARD=$BD/base/hardened.json
# The floor: a mount namespace (ward requires one), a pid namespace (without
# one ward takes the sealed re-exec: variant no-pidns), /proc (ward's init
# reaches the exec fifo through /proc/self/fd after pivot_root) and a /dev
# tmpfs (else the default device nodes land in the shared rootfs); nothing else.
# Capabilities: all of ours (the bounding set; `ward features` lists them in
# bit order) but CAP_SYS_PTRACE, which would make ward choose the sealed
# re-exec (protect.c); no capabilities field would keep ward's, that one too.
ALLCAPS=$("$WARD" features | jq -c --arg bnd "$(awk '/^CapBnd/ { print $2 }' /proc/self/status)" '
	($bnd | explode | map(if . >= 97 then . - 87 else . - 48 end)
		| reduce .[] as $d (0; . * 16 + $d)) as $mask
	| [.linux.capabilities | to_entries[]
		| select(.value != "CAP_SYS_PTRACE")
		| select((($mask / pow(2; .key)) | floor) % 2 == 1) | .value]')
FLOOR='.linux = {namespaces: [{type: "mount"}, {type: "pid"}]}
	| .mounts = ($p.mounts | map(select(.destination == "/proc" or .destination == "/dev")))
	| del(.hostname) | del(.process.rlimits)
	| .process.capabilities = {bounding: '"$ALLCAPS"', effective: '"$ALLCAPS"', permitted: '"$ALLCAPS"'}
	| .process.noNewPrivileges = false | .root.readonly = false'
addns() { echo "$FLOOR | .linux.namespaces += [$1]"; }
MOUNTS="$FLOOR | .mounts = (\$p.mounts | map(select(.destination != \"/sys/fs/cgroup\")))"

VARIANTS=()
declare -A V_BASE=() V_CG=() V_BIN=() V_FLAGS=() V_FILTER=() V_SRC=() V_DESC=()
variant() { # variant NAME BASE CGMODE BIN FLAGS SRC FILTER DESCRIPTION
	VARIANTS+=("$1")
	V_BASE[$1]=$2 V_CG[$1]=$3 V_BIN[$1]=$4 V_FLAGS[$1]=$5 V_SRC[$1]=$6 V_FILTER[$1]=$7 V_DESC[$1]=$8
}
variant floor - none copy "" "$PLAIN" "$FLOOR" "mount + pid ns, /proc, /dev; no cgroup, seccomp; all caps but ptrace"
[ "$HAVE_IMMUTABLE" = 1 ] &&
	variant no-protect floor none immutable "" "$PLAIN" "$FLOOR" "floor, immutable binary: no exec stub (direct exec)"
variant reexec floor none reexec "" "$PLAIN" "$FLOOR" "floor, sealed re-exec of the CLI instead of the exec stub"
variant no-pivot floor none copy "--no-pivot" "$PLAIN" "$FLOOR" "floor with --no-pivot (MS_MOVE+chroot instead of pivot_root)"
variant cgroup floor nodev copy "" "$PLAIN" "$FLOOR" "+ cgroup dirs in 8 v1 hierarchies (devices hidden)"
variant cgroup+devices floor full copy "" "$PLAIN" "$FLOOR" "+ cgroups incl. devices (device allow/deny writes)"
variant cgroupfs cgroup+devices full copy "" "$PLAIN" "$FLOOR | .mounts += (\$p.mounts | map(select(.destination == \"/sys\" or .destination == \"/sys/fs/cgroup\")))" "+ sysfs and the /sys/fs/cgroup mount (v1: one bind per hierarchy)"
variant no-pidns floor none copy "" "$PLAIN" "$FLOOR | .linux.namespaces = [{type: \"mount\"}]" "floor without its pid namespace (the host's: ward takes the sealed re-exec)"
variant netns floor none copy "" "$PLAIN" "$(addns '{type: "network"}')" "+ network namespace (+ lo up)"
variant ipcns floor none copy "" "$PLAIN" "$(addns '{type: "ipc"}')" "+ ipc namespace"
variant utsns floor none copy "" "$PLAIN" "$(addns '{type: "uts"}') | .hostname = \"bench\"" "+ uts namespace + hostname"
variant cgroupns floor none copy "" "$PLAIN" "$(addns '{type: "cgroup"}')" "+ cgroup namespace"
variant timens floor none copy "" "$PLAIN" "$(addns '{type: "time"}')" "+ time namespace"
variant userns floor none copy "" "$PLAIN" "$FLOOR | $USERNS_FILTER" "+ user namespace, 0->100000 x65536 maps"
variant all-ns floor none copy "" "$PLAIN" "$(addns '{type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "cgroup"}')" "+ net, ipc, uts, cgroup namespaces together"
variant mounts floor none copy "" "$PLAIN" "$MOUNTS" "+ the other default mounts (devpts, shm, mqueue, sysfs)"
variant masked mounts none copy "" "$PLAIN" "$MOUNTS | .linux.maskedPaths = \$h.linux.maskedPaths" "+ 11 masked paths (over mounts)"
variant readonly mounts none copy "" "$PLAIN" "$MOUNTS | .linux.readonlyPaths = \$h.linux.readonlyPaths" "+ 5 read-only paths (over mounts)"
variant seccomp floor none copy "" "$PLAIN" "$FLOOR | .linux.seccomp = \$h.linux.seccomp" "+ default seccomp profile, cached BPF"
variant seccomp-miss floor none copy "" "$PLAIN" "$FLOOR | .linux.seccomp = (\$h.linux.seccomp | .xBenchNonce = \"@NONCE@\")" "+ seccomp, cache miss every run (compile)"
variant caps floor none copy "" "$PLAIN" "$FLOOR | .process.capabilities = \$h.process.capabilities" "+ Docker's 14 capabilities (all sets)"
variant nnp floor none copy "" "$PLAIN" "$FLOOR | .process.noNewPrivileges = true" "+ no_new_privs"
variant rlimits floor none copy "" "$PLAIN" "$FLOOR | .process.rlimits = [{type: \"RLIMIT_NOFILE\", hard: 1024, soft: 1024}]" "+ one rlimit"
variant ro-root floor none copy "" "$PLAIN" "$FLOOR | .root.readonly = true" "+ read-only root"
variant plain floor full copy "" "$PLAIN" "." "runc's default config (figure 1's ward config)"
[ "$HAVE_IMMUTABLE" = 1 ] &&
	variant plain-immutable plain full immutable "" "$PLAIN" "." "plain, immutable binary"
variant hardened plain full copy "" "$HARD" "." "\`ward spec\` (figure 3), cached BPF"
[ "$HAVE_IMMUTABLE" = 1 ] &&
	variant hardened-immutable hardened full immutable "" "$HARD" "." "hardened, immutable binary"
variant hardened-userns hardened full copy "" "$HARD" "$USERNS_FILTER" "hardened + user namespace"

for v in "${VARIANTS[@]}"; do
	mkdir -p "$BD/bundles/$v"
	jq --slurpfile p "$PLAIN" --slurpfile h "$HARD" \
		"(\$p[0]) as \$p | (\$h[0]) as \$h | ${V_FILTER[$v]}" "${V_SRC[$v]}" >"$BD/bundles/$v/config.tmpl" ||
		die "jq filter for variant $v"
done

# ----------------------------------------------------------------- measure
declare -A VALS=() CVALS=()
say "ward cost model: $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -sr), $(nproc) CPUs; $COST_ROUNDS rounds x $COST_RUN runs per variant"
say "  $WARD ($("$WARD" --version | head -n 1)$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null | sed 's/^/, commit /')); load average $(cut -d' ' -f1-3 /proc/loadavg)"
# warm-up: one batch per variant (fills the seccomp cache, page cache, checks configs)
for v in "${VARIANTS[@]}"; do
	# shellcheck disable=SC2086
	unshare -m --propagation private -- bash "$SCRIPT" --loop "${V_CG[$v]}" "$BD/bin/ward-${V_BIN[$v]}" 1 \
		"wbw$$-w-$v" "$BD/bundles/$v" ${V_FLAGS[$v]} >/dev/null || die "variant $v does not run"
done
for ((round = 0; round < COST_ROUNDS; round++)); do
	rotated "$round" "${VARIANTS[@]}"
	for v in "${ORDER[@]}"; do
		# shellcheck disable=SC2086
		out=$(unshare -m --propagation private -- bash "$SCRIPT" --loop "${V_CG[$v]}" "$BD/bin/ward-${V_BIN[$v]}" \
			"$COST_RUN" "wbw$$-$round-$v" "$BD/bundles/$v" ${V_FLAGS[$v]}) || die "variant $v failed"
		read -r us cus <<<"$out"
		VALS[$v|$round]=$(fdiv "$us" $((COST_RUN * 1000)))
		CVALS[$v|$round]=$(fdiv "$cus" $((COST_RUN * 1000)))
	done
done

# ------------------------------------------------------------------ report
# Reference: what spawning a process costs here, and spawning ward itself
# (exec + dynamic linking of libjansson/libseccomp/libc).
ref() {
	local n=$((COST_RUN * COST_ROUNDS)) t0 i
	tick
	t0=$T
	for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1; done
	tick
	fdiv $((T - t0)) $((n * 1000))
}
REF_TRUE=$(ref /bin/true)
REF_WARD=$(ref "$BD/bin/ward-copy" --version)
REF_STATIC=$(ref "$BD/rootfs/bin/busybox" true)

# stats NAME ARRAY [mean]: median level, and the median (or mean) and IQR of
# the per-round differences (v - base). The CPU figures use the mean: `times`
# has 1 ms resolution per batch, which the mean over all runs averages out.
stats() {
	local v=$1 how=${3:-median} round b vals=() diffs=()
	local -n A=$2
	b=${V_BASE[$v]}
	for ((round = 0; round < COST_ROUNDS; round++)); do
		vals+=("${A[$v|$round]}")
		[ "$b" = - ] || diffs+=("$(awk -v a="${A[$v|$round]}" -v c="${A[$b|$round]}" 'BEGIN { printf "%.3f", a - c }')")
	done
	S_LEVEL=$(median "${vals[@]}")
	S_D="" S_RNG=""
	if [ "${#diffs[@]}" -gt 0 ]; then
		if [ "$how" = mean ]; then
			S_D=$(printf '%s\n' "${diffs[@]}" | awk '{ s += $1 } END { printf "%.3f", s / NR }')
		else
			S_D=$(median "${diffs[@]}")
		fi
		S_RNG=$(printf '%s\n' "${diffs[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f..%.2f", v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)] }')
	fi
}
printf '%-19s %8s %8s %-14s %8s %8s %-14s %s\n' variant "wall ms" "+wall" "(IQR +wall)" "cpu ms" "+cpu" "(IQR +cpu)" "base: what"
for v in "${VARIANTS[@]}"; do
	stats "$v" VALS
	wl=$S_LEVEL wd=$S_D wr=$S_RNG
	stats "$v" CVALS mean
	if [ -n "$wd" ]; then
		printf '%-19s %8.2f %+8.2f %-14s %8.2f %+8.2f %-14s %s: %s\n' "$v" "$wl" "$wd" "($wr)" "$S_LEVEL" "$S_D" "($S_RNG)" "${V_BASE[$v]}" "${V_DESC[$v]}"
	else
		printf '%-19s %8.2f %8s %-14s %8.2f %8s %-14s %s\n' "$v" "$wl" "" "" "$S_LEVEL" "" "" "${V_DESC[$v]}"
	fi
done
echo "(levels: medians over $COST_ROUNDS rounds of $COST_RUN runs; +wall: median of the per-round differences"
echo " to the base variant, +cpu: their mean; IQR: interquartile range of those per-round differences)"
echo
echo "reference: spawn /bin/true (dynamic) $REF_TRUE ms; busybox true (static) $REF_STATIC ms; ward --version $REF_WARD ms"
echo "(a ward run = exec of ward + clone of the init + exec of the stub + exec of the program: 3 execs, one of a 1.3 KB static ELF)"
if [ "$SMOKE" = 1 ]; then
	ok=1
	for v in "${VARIANTS[@]}"; do [[ ${VALS[$v|0]:-} =~ ^[0-9.]+$ ]] || ok=0; done
	echo "1..1"
	[ "$ok" = 1 ] && echo "ok 1 - cost model variants all ran" || { echo "not ok 1 - cost model"; exit 1; }
fi
