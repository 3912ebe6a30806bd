#!/usr/bin/env bash
# ward vs crun vs runc, interleaved in one run. See bench/README.md.
#
#   bench/run.sh            full run (~5-10 minutes on 2 cores)
#   bench/run.sh --smoke    every figure with a few iterations (seconds), TAP
#                           output; asserts only that each figure produced
#                           numbers, never timings
#
# Counts (environment; defaults for full / smoke):
#   BENCH_ROUNDS=5/1        rounds; every figure reports the median over rounds
#   BENCH_RUN=20/2          containers per runtime per round (figures 1-3):
#                           5 x 20 = 100 sequential containers per runtime
#   BENCH_ISOLATED=4/1      isolated runs per runtime per round (figure 1),
#   BENCH_PAUSE=0.25        each after this pause (seconds, untimed)
#   BENCH_EXEC=20/2         execs per runtime per round (figure 4)
#   BENCH_PAR=50/3          containers started in parallel (figure 5)
#   BENCH_PAR_ROUNDS=3/1
#   BENCH_SYSCALLS=10000000/100000   syscalls per measurement (figure 7)
#   BENCH_SYSCALL_ROUNDS=3/1
#   BENCH_SCALE=500/5       containers kept running per runtime (figure 8)
#   BENCH_SCALE_OPS=10/2    list/state calls per runtime per round (figure 8)
#   BENCH_RUNTIMES="ward crun runc"   subset/order of runtimes
#   BENCH_FIGURES="1 2 ... 10"        subset of figures (default all)
#   WARD=path               use this ward binary instead of building one
#   BENCH_BUILD=/tmp/build-bench      where to build ward (release, no tests)
#   BENCH_OUT=file          also write the report (table, summary, raw) there
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=bench/lib.sh
. "$(dirname "$SCRIPT")/lib.sh"

usage() { sed -n '2,28p' "$SCRIPT" | sed 's/^# \{0,1\}//'; }
SMOKE=${SMOKE:-0}
for a in "$@"; do
	case $a in
	--smoke) SMOKE=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done

if [ "$SMOKE" = 1 ]; then
	: "${BENCH_ROUNDS:=1}" "${BENCH_RUN:=2}" "${BENCH_ISOLATED:=1}" "${BENCH_PAUSE:=0.05}" "${BENCH_EXEC:=2}" "${BENCH_PAR:=3}" "${BENCH_PAR_ROUNDS:=1}"
	: "${BENCH_SYSCALLS:=100000}" "${BENCH_SYSCALL_ROUNDS:=1}" "${BENCH_SCALE:=5}" "${BENCH_SCALE_OPS:=2}"
else
	: "${BENCH_ROUNDS:=5}" "${BENCH_RUN:=20}" "${BENCH_ISOLATED:=4}" "${BENCH_PAUSE:=0.25}" "${BENCH_EXEC:=20}" "${BENCH_PAR:=50}" "${BENCH_PAR_ROUNDS:=3}"
	: "${BENCH_SYSCALLS:=10000000}" "${BENCH_SYSCALL_ROUNDS:=3}" "${BENCH_SCALE:=500}" "${BENCH_SCALE_OPS:=10}"
fi
export BENCH_ROUNDS BENCH_RUN BENCH_ISOLATED BENCH_PAUSE BENCH_EXEC BENCH_PAR BENCH_PAR_ROUNDS BENCH_SYSCALLS \
	BENCH_SYSCALL_ROUNDS BENCH_SCALE BENCH_SCALE_OPS SMOKE

# ---------------------------------------------------------------- outer part
if [ -z "${WARD_BENCH_INNER:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		if [ "$SMOKE" = 1 ]; then
			echo "1..0 # SKIP bench/run.sh needs root"
			exit 0
		fi
		die "must run as root"
	fi
	ensure_pkgs "${BENCH_PKGS[@]}"
	ensure_ward
	export WARD
	trap '[ -n "${BD:-}" ] && rm -rf "$BD" 2>/dev/null; true' EXIT
	make_bench_dir
	enter_bench_ns "$SCRIPT" "$@" # re-executes us in a private mount namespace; exits
fi

# ---------------------------------------------------------------- inner part
enter_bench_ns "$SCRIPT" "$@"
if [ -n "${WARD_BENCH_CLEANUP_ONLY:-}" ]; then
	bench_cleanup
	exit 0
fi
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

pick_runtimes
make_base_configs

# ------------------------------------------------------------ results store
declare -A VALS=() UNIT=() FIG=() BETTER=() DESC=() FIGFAIL=()
METRICS=()
defmetric() { # defmetric FIG METRIC UNIT lower|higher|none DESCRIPTION
	METRICS+=("$2")
	FIG[$2]=$1 UNIT[$2]=$3 BETTER[$2]=$4 DESC[$2]=$5
}
rec() { VALS[$1|$2]="${VALS[$1|$2]:-} $3"; }
med() { # med METRIC RT
	# shellcheck disable=SC2086
	median ${VALS[$1|$2]:-}
}

defmetric 1 run ms/ctr lower "run /bin/true, sequential, each runtime's plain default config"
defmetric 1 run-cpu cpu-ms lower "CPU (user+sys) of every process of such a run: runtime, helpers, init, program"
defmetric 1 run-isolated ms lower "the same run after a ${BENCH_PAUSE}s pause, as a lone \`run\` sees the kernel (cold cgroup-migration lock)"
defmetric 2 create ms lower "create (plain config)"
defmetric 2 start ms lower "start (container runs /bin/true)"
defmetric 2 delete ms lower "delete of a stopped container"
defmetric 3 run-userns ms/ctr lower "run /bin/true with a user namespace (0->100000, 65536)"
defmetric 3 run-hardened ms/ctr lower "run /bin/true with \`ward spec\` (seccomp, Docker caps, masked paths) for all"
defmetric 3 run-userns-cpu cpu-ms lower "CPU of a run with a user namespace"
defmetric 3 run-hardened-cpu cpu-ms lower "CPU of a hardened run"
defmetric 4 exec ms lower "exec /bin/true into a running container"
defmetric 4 exec-cpu cpu-ms lower "CPU of such an exec (runtime, helpers, the program)"
defmetric 5 parallel-rate ctr/s higher "containers per second, $BENCH_PAR \`run --detach\` in parallel"
defmetric 5 parallel-delete ms lower "delete --force of those $BENCH_PAR containers, in parallel (total)"
defmetric 6 rss-create KB lower "peak RSS of the runtime process: create"
defmetric 6 rss-start KB lower "peak RSS: start"
defmetric 6 rss-run KB lower "peak RSS: run (/bin/true)"
defmetric 6 rss-exec KB lower "peak RSS: exec (/bin/true)"
defmetric 6 rss-delete KB lower "peak RSS: delete"
defmetric 7 seccomp-getppid ns/call lower "getppid() under ward's default profile (fastest 1/20 chunk)"
defmetric 7 nofilter-getppid ns/call lower "getppid() without seccomp (fastest 1/20 chunk)"
defmetric 7 overhead-getppid ns/call none "filter overhead per getppid() (cached verdict)"
defmetric 7 seccomp-personality ns/call lower "personality(~0) under the profile (arg-checked: full BPF run)"
defmetric 7 nofilter-personality ns/call lower "personality(~0) without seccomp"
defmetric 7 overhead-personality ns/call none "filter overhead per personality(~0)"
defmetric 8 scale-create ms/ctr lower "run --detach while growing to $BENCH_SCALE containers per runtime"
defmetric 8 scale-list ms lower "list with $BENCH_SCALE containers"
defmetric 8 scale-state ms lower "state of one container among $BENCH_SCALE"
defmetric 8 scale-delete ms/ctr lower "delete --force of the $BENCH_SCALE"

# ------------------------------------------------------------------ helpers
LAST_ERR=""
fail() { # fail RT WHAT
	LAST_ERR="$1: $2 failed: $(tail -n 3 "$BD/log/$1.log" 2>/dev/null | tr '\n' ' ')"
	warn "$LAST_ERR"
	return 1
}
log_of() { echo "$BD/log/$1.log"; }

# Delete every container except the ids in $KEEP (run after each figure, so a
# failed figure cannot leak into the next).
KEEP=""
sweep() {
	local r id
	for r in "${RUNTIMES[@]}"; do
		rtcmd "$r"
		for id in $("${CMD[@]}" list -q 2>/dev/null); do
			case " $KEEP " in *" $id "*) continue ;; esac
			"${CMD[@]}" delete --force "$id" >/dev/null 2>>"$(log_of "$r")" || true
		done
	done
}

# ------------------------------------------------------------------ figures
# Interleaving: inside every round the runtimes alternate container by
# container (ward, crun, runc, then crun, runc, ward, ...), so a burst of other
# load hits all of them alike; a round's figure per runtime is the sum of its
# operations, and the reported figure is the median over rounds.
declare -A ACC=() CACC=()
acc_reset() {
	local r
	for r in "${RUNTIMES[@]}"; do ACC[$r]=0 CACC[$r]=0; done
}
# timed RT CMD...: run the command with the runtime's CMD prefix, adding its
# wall (and CPU) time to ACC[RT] (CACC[RT]); stdio to /dev/null and the log.
timed() {
	local r=$1 t0 c0
	shift
	cpu_tick
	c0=$CPU
	tick
	t0=$T
	"${CMD[@]}" "$@" </dev/null >/dev/null 2>>"$BD/log/$r.log" || return 1
	tick
	cpu_tick
	ACC[$r]=$((ACC[$r] + T - t0)) CACC[$r]=$((CACC[$r] + CPU - c0))
}

# An untimed operation right before a timed loop, so that the loop's first
# operation does not pay for the pause before it (see fig_run_isolated).
warmup() { # warmup RT [exec]
	rtcmd "$1"
	cid "$1" warm
	if [ "${2:-}" = exec ]; then
		"${CMD[@]}" exec "${SLEEPER[$1]}" true </dev/null >/dev/null 2>>"$BD/log/$1.log" || true
	else
		"${CMD[@]}" run --bundle "$BD/bundles/plain-$1" "$ID" </dev/null >/dev/null 2>>"$BD/log/$1.log" || true
	fi
}

# 1, 3: sequential `run` of the bundle VARIANT-RT, BENCH_RUN per runtime per round.
fig_run() { # fig_run METRIC VARIANT
	local m=$1 v=$2 round r i
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		acc_reset
		warmup "${RUNTIMES[$((round % ${#RUNTIMES[@]}))]}"
		for ((i = 0; i < BENCH_RUN; i++)); do
			rotated $((round + i)) "${RUNTIMES[@]}"
			for r in "${ORDER[@]}"; do
				rtcmd "$r"
				cid "$r" "$m"
				timed "$r" run --bundle "$BD/bundles/$v-$r" "$ID" || { fail "$r" "$m ($ID)" || return 1; }
			done
		done
		for r in "${RUNTIMES[@]}"; do
			rec "$m" "$r" "$(fdiv "${ACC[$r]}" $((BENCH_RUN * 1000)))"
			rec "$m-cpu" "$r" "$(fdiv "${CACC[$r]}" $((BENCH_RUN * 1000)))"
		done
	done
}

# 1b: the same run, each after an untimed pause. Back-to-back runs keep the
# kernel's cgroup-migration lock (cgroup_threadgroup_rwsem, an RCU-synced
# percpu rwsem) in its writer-friendly state; after ~50 ms of quiet the next
# write to cgroup.procs waits a full RCU grace period (several ms here), as
# it does for a lone `run`.
fig_run_isolated() {
	local round r i
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		acc_reset
		for ((i = 0; i < BENCH_ISOLATED; i++)); do
			rotated $((round + i)) "${RUNTIMES[@]}"
			for r in "${ORDER[@]}"; do
				rtcmd "$r"
				cid "$r" iso
				sleep "$BENCH_PAUSE"
				timed "$r" run --bundle "$BD/bundles/plain-$r" "$ID" || { fail "$r" "run-isolated ($ID)" || return 1; }
			done
		done
		for r in "${RUNTIMES[@]}"; do rec run-isolated "$r" "$(fdiv "${ACC[$r]}" $((BENCH_ISOLATED * 1000)))"; done
	done
}

# 2: per round, create BENCH_RUN containers per runtime, then start them, then
# (once stopped) delete them; each step alternates the runtimes.
fig_lifecycle() {
	local round r i op
	declare -A lids=()
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		for r in "${RUNTIMES[@]}"; do lids[$r]=""; done
		for op in create start delete; do
			acc_reset
			if [ "$op" = delete ]; then
				for r in "${RUNTIMES[@]}"; do
					# shellcheck disable=SC2086
					wait_stopped "$r" ${lids[$r]} # untimed
				done
			fi
			[ "$op" = create ] && warmup "${RUNTIMES[$((round % ${#RUNTIMES[@]}))]}"
			for ((i = 0; i < BENCH_RUN; i++)); do
				rotated $((round + i)) "${RUNTIMES[@]}"
				for r in "${ORDER[@]}"; do
					rtcmd "$r"
					case $op in
					create)
						cid "$r" life
						lids[$r]="${lids[$r]} $ID"
						timed "$r" create --bundle "$BD/bundles/plain-$r" "$ID" || { fail "$r" "create $ID" || return 1; }
						;;
					*)
						local -a arr
						read -ra arr <<<"${lids[$r]}"
						timed "$r" "$op" "${arr[$i]}" || { fail "$r" "$op ${arr[$i]}" || return 1; }
						;;
					esac
				done
			done
			for r in "${RUNTIMES[@]}"; do rec "$op" "$r" "$(fdiv "${ACC[$r]}" $((BENCH_RUN * 1000)))"; done
		done
	done
}

# A long-running container per runtime for exec (figures 4 and 6).
declare -A SLEEPER=()
start_sleepers() {
	local r
	for r in "${RUNTIMES[@]}"; do
		rtcmd "$r"
		cid "$r" sleeper
		"${CMD[@]}" run --detach --bundle "$BD/bundles/sleep-$r" "$ID" </dev/null >/dev/null 2>>"$(log_of "$r")" ||
			{ fail "$r" "run --detach (sleeper)" || return 1; }
		SLEEPER[$r]=$ID
		KEEP="$KEEP $ID"
	done
}

# 4: exec /bin/true into the sleeper, runtimes alternating exec by exec.
fig_exec() {
	local round r i
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		acc_reset
		warmup "${RUNTIMES[$((round % ${#RUNTIMES[@]}))]}" exec
		for ((i = 0; i < BENCH_EXEC; i++)); do
			rotated $((round + i)) "${RUNTIMES[@]}"
			for r in "${ORDER[@]}"; do
				rtcmd "$r"
				timed "$r" exec "${SLEEPER[$r]}" true || { fail "$r" "exec into ${SLEEPER[$r]}" || return 1; }
			done
		done
		for r in "${RUNTIMES[@]}"; do
			rec exec "$r" "$(fdiv "${ACC[$r]}" $((BENCH_EXEC * 1000)))"
			rec exec-cpu "$r" "$(fdiv "${CACC[$r]}" $((BENCH_EXEC * 1000)))"
		done
	done
}

# 5: BENCH_PAR `run --detach` at once; then delete --force them all at once.
fig_parallel() {
	local round r t0 log dir p bad
	local -a ids pids
	for ((round = 0; round < BENCH_PAR_ROUNDS; round++)); do
		rotated "$round" "${RUNTIMES[@]}"
		for r in "${ORDER[@]}"; do
			rtcmd "$r"
			log=$BD/log/$r.log dir=$BD/bundles/sleep-$r ids=() pids=() bad=0
			for ((i = 0; i < BENCH_PAR; i++)); do
				cid "$r" par
				ids+=("$ID")
			done
			tick
			t0=$T
			for id in "${ids[@]}"; do
				"${CMD[@]}" run --detach --bundle "$dir" "$id" </dev/null >/dev/null 2>>"$log" &
				pids+=($!)
			done
			for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
			tick
			[ "$bad" = 0 ] || { fail "$r" "$bad of $BENCH_PAR parallel run --detach" || return 1; }
			rec parallel-rate "$r" "$(fdiv $((BENCH_PAR * 1000000)) $((T - t0)) 1)"
			pids=()
			tick
			t0=$T
			for id in "${ids[@]}"; do
				"${CMD[@]}" delete --force "$id" </dev/null >/dev/null 2>>"$log" &
				pids+=($!)
			done
			for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
			tick
			[ "$bad" = 0 ] || { fail "$r" "$bad parallel delete --force" || return 1; }
			rec parallel-delete "$r" "$(fdiv $((T - t0)) 1000 1)"
		done
	done
}

# 6: peak RSS (KB) of the runtime process, /usr/bin/time -f %M.
fig_rss() {
	local round r log f=$BD/rss.tmp op id
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		rotated "$round" "${RUNTIMES[@]}"
		for r in "${ORDER[@]}"; do
			rtcmd "$r"
			log=$BD/log/$r.log
			cid "$r" rss
			id=$ID
			for op in create start delete run exec; do
				case $op in
				create) set -- create --bundle "$BD/bundles/plain-$r" "$id" ;;
				start) set -- start "$id" ;;
				delete)
					wait_stopped "$r" "$id"
					set -- delete "$id"
					;;
				run)
					cid "$r" rss
					set -- run --bundle "$BD/bundles/plain-$r" "$ID"
					;;
				exec) set -- exec "${SLEEPER[$r]}" true ;;
				esac
				/usr/bin/time -f %M -o "$f" "${CMD[@]}" "$@" </dev/null >/dev/null 2>>"$log" ||
					{ fail "$r" "$op (under /usr/bin/time)" || return 1; }
				rec "rss-$op" "$r" "$(tail -n 1 "$f")"
			done
		done
	done
}

# 7: ns per syscall inside the container, ward's default profile vs none.
fig_syscall() {
	local round r v out log
	for ((round = 0; round < BENCH_SYSCALL_ROUNDS; round++)); do
		rotated "$round" "${RUNTIMES[@]}"
		for r in "${ORDER[@]}"; do
			rtcmd "$r"
			log=$BD/log/$r.log
			declare -A got=()
			# alternate which variant goes first
			for v in $( ((round % 2)) && echo "nofilter seccomp" || echo "seccomp nofilter"); do
				cid "$r" sys
				out=$("${CMD[@]}" run --bundle "$BD/bundles/sc-$v-$r" "$ID" </dev/null 2>>"$log") ||
					{ fail "$r" "run getppid ($v)" || return 1; }
				# the fastest-chunk figures (see bench/getppid.c)
				[[ $out =~ getppid_ns=([0-9.]+)\ personality_ns=([0-9.]+) ]] ||
					{ fail "$r" "getppid printed \"$out\"" || return 1; }
				got[$v-getppid]=${BASH_REMATCH[1]} got[$v-personality]=${BASH_REMATCH[2]}
				rec "$v-getppid" "$r" "${BASH_REMATCH[1]}"
				rec "$v-personality" "$r" "${BASH_REMATCH[2]}"
			done
			rec overhead-getppid "$r" "$(awk -v a="${got[seccomp-getppid]}" -v b="${got[nofilter-getppid]}" 'BEGIN{printf "%.2f", a-b}')"
			rec overhead-personality "$r" "$(awk -v a="${got[seccomp-personality]}" -v b="${got[nofilter-personality]}" 'BEGIN{printf "%.2f", a-b}')"
			unset got
		done
	done
}

# 8: BENCH_SCALE running containers per runtime (all runtimes' containers
# exist at once, so every runtime sees the same machine), list/state latency.
fig_scale() {
	local i r t0 log round mid
	declare -A acc=() sids=()
	for r in "${RUNTIMES[@]}"; do acc[$r]=0 sids[$r]=""; done
	for ((i = 0; i < BENCH_SCALE; i++)); do
		rotated "$i" "${RUNTIMES[@]}"
		for r in "${ORDER[@]}"; do
			rtcmd "$r"
			cid "$r" scale
			tick
			t0=$T
			"${CMD[@]}" run --detach --bundle "$BD/bundles/sleep-$r" "$ID" </dev/null >/dev/null 2>>"$BD/log/$r.log" ||
				{ fail "$r" "scale: run --detach #$i" || return 1; }
			tick
			acc[$r]=$((acc[$r] + T - t0))
			sids[$r]="${sids[$r]} $ID"
		done
	done
	for r in "${RUNTIMES[@]}"; do rec scale-create "$r" "$(fdiv "${acc[$r]}" $((BENCH_SCALE * 1000)))"; done
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		rotated "$round" "${RUNTIMES[@]}"
		for r in "${ORDER[@]}"; do
			rtcmd "$r"
			log=$BD/log/$r.log
			set -- ${sids[$r]}
			mid=${*:$(((BENCH_SCALE + 1) / 2)):1}
			[ -n "$mid" ] || mid=$1
			tick
			t0=$T
			for ((i = 0; i < BENCH_SCALE_OPS; i++)); do
				"${CMD[@]}" list </dev/null >/dev/null 2>>"$log" || { fail "$r" "list" || return 1; }
			done
			tick
			rec scale-list "$r" "$(fdiv $((T - t0)) $((BENCH_SCALE_OPS * 1000)))"
			tick
			t0=$T
			for ((i = 0; i < BENCH_SCALE_OPS; i++)); do
				"${CMD[@]}" state "$mid" </dev/null >/dev/null 2>>"$log" || { fail "$r" "state $mid" || return 1; }
			done
			tick
			rec scale-state "$r" "$(fdiv $((T - t0)) $((BENCH_SCALE_OPS * 1000)))"
		done
	done
	for r in "${RUNTIMES[@]}"; do acc[$r]=0; done
	local -a arr
	for ((i = 0; i < BENCH_SCALE; i++)); do
		rotated "$i" "${RUNTIMES[@]}"
		for r in "${ORDER[@]}"; do
			rtcmd "$r"
			read -ra arr <<<"${sids[$r]}"
			tick
			t0=$T
			"${CMD[@]}" delete --force "${arr[$i]}" </dev/null >/dev/null 2>>"$BD/log/$r.log" ||
				{ fail "$r" "scale: delete --force ${arr[$i]}" || return 1; }
			tick
			acc[$r]=$((acc[$r] + T - t0))
		done
	done
	for r in "${RUNTIMES[@]}"; do rec scale-delete "$r" "$(fdiv "${acc[$r]}" $((BENCH_SCALE * 1000)))"; done
}

# 9: the mission layers, ward alone: each layer on against ward with every
# layer off, interleaved run by run (rotated), BENCH_RUN per layer per round.
# A layer is added with deflayer NAME DESCRIPTION SETUP; SETUP writes what it
# needs below $BD/layers/NAME and sets LAYER_ENV[NAME] (environment
# assignments for ward, space-separated) and LAYER_BUNDLE[NAME] (a bundle
# variant; default plain).
LAYERS=()
declare -A LAYER_DESC=() LAYER_SETUP=() LAYER_ENV=() LAYER_BUNDLE=() LAYER_NOTE=()
deflayer() { LAYERS+=("$1"); LAYER_DESC[$1]=$2; LAYER_SETUP[$1]=$3; }

layer_cmd() { # layer_cmd NAME -> CMD (through env(1) for "off" too: the same exec cost)
	local -a envs=()
	read -ra envs <<<"${LAYER_ENV[$1]:-}"
	CMD=(env "${envs[@]}" "$WARD" --root "$BD/state/ward")
}

layer_audit() {
	local d=$BD/layers/audit
	mkdir -p "$d"
	printf '{"enabled": true, "hostLog": "%s"}\n' "$d/host.jsonl" >"$d/audit.json"
	LAYER_ENV[audit]="WARD_AUDIT_CONF=$d/audit.json"
	# What the kernel does with the record decides the cost of sending it.
	local st
	st=$(auditctl -s 2>/dev/null | awk '$1 == "enabled" {e=$2} $1 == "pid" {p=$2} END {print e, p}')
	case "$st" in
	"0 "*) LAYER_NOTE[audit]="kernel audit disabled here: records not sent to the kernel (JSON logs only)" ;;
	*" 0") LAYER_NOTE[audit]="kernel audit enabled, no auditd: records sent, printed by the kernel" ;;
	"") LAYER_NOTE[audit]="auditctl unavailable: kernel state unknown" ;;
	*) LAYER_NOTE[audit]="auditd running: records sent to it" ;;
	esac
}
deflayer audit "auditing on (audit.json): audit ID and registry, a session per container, kernel records, JSON logs" layer_audit
# shellcheck source=bench/integrity.sh
. "$BENCH_SRC/integrity.sh" # figure 10, and the integrity layer of figure 9

# The admission policy (docs/policy.md) at the baseline level, and with a
# Lua rule file too. The plain config has no seccomp filter, which baseline
# refuses: that one rule is off, every other one judges the config (host
# facts, realpaths, namespaces) and admits it, so nothing is recorded.
layer_policy() { # layer_policy NAME [LUA-RULE-FILE]
	local d=$BD/layers/$1 rules='"seccomp": {"mode": "off"}'
	mkdir -p "$d"
	if [ -n "${2:-}" ]; then
		cp "$2" "$d/rule.lua"
		rules="$rules, \"site\": {\"lua\": \"rule.lua\"}"
	fi
	printf '{"level": "baseline", "rules": {%s}}\n' "$rules" >"$d/policy.json"
	LAYER_ENV[$1]="WARD_POLICY=$d/policy.json"
}
layer_policy_baseline() { layer_policy policy-baseline; }
layer_policy_lua() { layer_policy policy-lua "$BENCH_SRC/policy-rule.lua"; }
deflayer policy-baseline "admission policy, baseline level (WARD_POLICY)" layer_policy_baseline
deflayer policy-lua "admission policy, baseline level and a Lua rule file (bench/policy-rule.lua)" layer_policy_lua

fig_layers() {
	local round i n l names=(off "${LAYERS[@]}")
	for l in "${LAYERS[@]}"; do
		"${LAYER_SETUP[$l]}" || { LAST_ERR="layer $l: setup failed"; return 1; }
	done
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		for n in "${names[@]}"; do ACC[$n]=0 CACC[$n]=0; done
		layer_cmd off
		cid ward warm
		"${CMD[@]}" run --bundle "$BD/bundles/plain-ward" "$ID" </dev/null >/dev/null 2>&1 || true
		for ((i = 0; i < BENCH_RUN; i++)); do
			rotated $((round + i)) "${names[@]}"
			for n in "${ORDER[@]}"; do
				layer_cmd "$n"
				cid ward "L$n"
				timed "$n" run --bundle "$BD/bundles/${LAYER_BUNDLE[$n]:-plain}-ward" "$ID" ||
					{ fail "$n" "layer $n: run ($ID)" || return 1; }
			done
		done
		for n in "${names[@]}"; do
			rec layer-run "$n" "$(fdiv "${ACC[$n]}" $((BENCH_RUN * 1000)))"
			rec layer-run-cpu "$n" "$(fdiv "${CACC[$n]}" $((BENCH_RUN * 1000)))"
		done
	done
}

fig_run_plain() { fig_run run plain; }
fig_run_userns() { fig_run run-userns userns; }
fig_run_hardened() { fig_run run-hardened hardened; }

# --------------------------------------------------------------------- bundles
for r in "${RUNTIMES[@]}"; do
	plain=$BD/base/plain-$r.json
	bundle plain "$r" "$plain"
	bundle sleep "$r" "$plain" '.process.args = ["sleep", "1000000"]'
	bundle userns "$r" "$plain" "$USERNS_FILTER"
	bundle hardened "$r" "$BD/base/hardened.json"
	bundle sc-seccomp "$r" "$BD/base/hardened.json" '.process.args = ["/getppid", $n]' --arg n "$BENCH_SYSCALLS"
	bundle sc-nofilter "$r" "$BD/base/hardened.json" '.process.args = ["/getppid", $n] | del(.linux.seccomp)' --arg n "$BENCH_SYSCALLS"
done

# ------------------------------------------------------------------- header
tick
T_START=$T
say "ward benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -sr), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%d MB", $2/1024}' /proc/meminfo)"
say "  ward: $WARD ($("$WARD" --version | head -n 1)$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null | sed 's/^/, commit /'))"
for r in crun runc; do
	case " ${RUNTIMES[*]} " in *" $r "*) say "  $r: $("$r" --version | head -n 1)" ;; esac
done
say "  rounds $BENCH_ROUNDS x $BENCH_RUN containers (+ $BENCH_ISOLATED isolated), exec $BENCH_EXEC, parallel $BENCH_PAR x $BENCH_PAR_ROUNDS, syscalls $BENCH_SYSCALLS x $BENCH_SYSCALL_ROUNDS, scale $BENCH_SCALE"
say "  private mount namespace, /sys/fs/cgroup/unified unmounted there (crun 1.8 on a hybrid host)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "  load average at start: $LOAD_START (other work on the machine adds noise; rounds are interleaved)"
# What the harness itself costs: the same loop spawning /bin/true.
tick
t0=$T
for ((i = 0; i < BENCH_RUN * BENCH_ROUNDS; i++)); do /bin/true; done
tick
SPAWN_MS=$(fdiv $((T - t0)) $((BENCH_RUN * BENCH_ROUNDS * 1000)))
say "  harness floor: fork+exec+wait of /bin/true from the timing loop = $SPAWN_MS ms (included in every ms figure)"

[ "$SMOKE" = 1 ] && echo "1..10"

# ------------------------------------------------------------------- run them
FIGNAMES=([1]="run (plain config)" [2]="create/start/delete" [3]="run with userns / hardened"
	[4]="exec" [5]="parallel start/delete" [6]="peak RSS" [7]="per-syscall seccomp cost" [8]="scale: list/state"
	[9]="mission layers (ward alone: each layer on vs off)" [10]="integrity (ward alone: exec cost, hashing, monitor RSS)")
runfig() { # runfig N FUNC...
	local n=$1
	shift
	local t0
	case " ${BENCH_FIGURES:-$n} " in *" $n "*) ;; *) return 0 ;; esac
	tick
	t0=$T
	say "figure $n: ${FIGNAMES[$n]} ..."
	LAST_ERR=""
	local f
	for f in "$@"; do
		if ! "$f"; then
			FIGFAIL[$n]=${LAST_ERR:-$f failed}
			break
		fi
	done
	sweep
	tick
	say "  ($(fdiv $((T - t0)) 1000000 1) s)"
}

runfig 1 fig_run_plain fig_run_isolated
runfig 2 fig_lifecycle
runfig 3 fig_run_userns fig_run_hardened
runfig 4 start_sleepers fig_exec
runfig 6 fig_rss
KEEP=""
runfig 5 fig_parallel
runfig 7 fig_syscall
runfig 8 fig_scale
runfig 9 fig_layers
runfig 10 fig_integrity

# --------------------------------------------------------------------- report
tick
TOTAL_S=$(fdiv $((T - T_START)) 1000000 0)
declare -A MED=()
for m in "${METRICS[@]}"; do
	for r in "${RUNTIMES[@]}"; do MED[$m|$r]=$(med "$m" "$r"); done
done
isnum() { [[ $1 =~ ^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
ratio() { # ratio METRIC OTHER -> ward/other, 2 decimals
	local a=${MED[$1|ward]:-nan} b=${MED[$1|$2]:-nan}
	if isnum "$a" && isnum "$b" && awk -v b="$b" 'BEGIN { exit !(b != 0) }'; then
		fdiv "$a" "$b" 2
	else
		echo nan
	fi
}
has() { case " ${RUNTIMES[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
fmt() { isnum "$1" && awk -v v="$1" 'BEGIN { printf (v >= 100 || v <= -100) ? "%.0f" : "%.2f", v }' || echo "-"; }

report() {
	local m r line
	printf '%-3s %-21s %-8s' fig metric unit
	for r in "${RUNTIMES[@]}"; do printf ' %10s' "$r"; done
	has crun && printf ' %10s' ward/crun
	has runc && printf ' %10s' ward/runc
	printf '  %s\n' "(lower is better unless marked ^)"
	for m in "${METRICS[@]}"; do
		printf '%-3s %-21s %-8s' "${FIG[$m]}" "$m$([ "${BETTER[$m]}" = higher ] && echo ' ^')" "${UNIT[$m]}"
		for r in "${RUNTIMES[@]}"; do printf ' %10s' "$(fmt "${MED[$m|$r]}")"; done
		for r in crun runc; do
			has "$r" || continue
			if [ "${BETTER[$m]}" = none ]; then printf ' %10s' -; else printf ' %10s' "$(ratio "$m" "$r")"; fi
		done
		printf '\n'
	done
	echo
	layer_report
	echo
	echo "metrics:"
	for m in "${METRICS[@]}"; do printf '  %-21s %s\n' "$m" "${DESC[$m]}"; done
	echo
	echo "medians over rounds; raw per-round values:"
	for m in "${METRICS[@]}"; do
		for r in "${RUNTIMES[@]}"; do echo "  $m $r:${VALS[$m|$r]:-}"; done
	done
}
# Figure 9's table: ward with each layer on against all layers off.
layer_delta() { # layer_delta METRIC LAYER -> "ratio extra-us"
	local on off
	on=$(median ${VALS[$1|$2]:-})
	off=$(median ${VALS[$1|off]:-})
	if isnum "$on" && isnum "$off" && awk -v b="$off" 'BEGIN { exit !(b != 0) }'; then
		echo "$(fdiv "$on" "$off" 3) $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%+.0f", (a - b) * 1000 }')"
	else
		echo "nan nan"
	fi
}
layer_report() {
	local l d c
	echo "figure 9: mission layers, ward alone, each on vs all off (run /bin/true, plain config; medians)"
	printf '  %-12s %9s %9s %7s %9s %9s %9s %7s %9s\n' layer "on ms" "off ms" ratio "+us" "on cpu" "off cpu" ratio "+us cpu"
	for l in "${LAYERS[@]}"; do
		read -r -a d <<<"$(layer_delta layer-run "$l")"
		read -r -a c <<<"$(layer_delta layer-run-cpu "$l")"
		printf '  %-12s %9s %9s %7s %9s %9s %9s %7s %9s\n' "$l" \
			"$(fmt "$(median ${VALS[layer-run|$l]:-})")" "$(fmt "$(median ${VALS[layer-run|off]:-})")" "${d[0]}" "${d[1]}" \
			"$(fmt "$(median ${VALS[layer-run-cpu|$l]:-})")" "$(fmt "$(median ${VALS[layer-run-cpu|off]:-})")" "${c[0]}" "${c[1]}"
	done
	for l in "${LAYERS[@]}"; do
		printf '  %-12s %s%s\n' "$l" "${LAYER_DESC[$l]}" "${LAYER_NOTE[$l]:+ [${LAYER_NOTE[$l]}]}"
	done
	echo "  raw per-round values (ms):"
	for l in off "${LAYERS[@]}"; do echo "    $l:${VALS[layer-run|$l]:-} | cpu:${VALS[layer-run-cpu|$l]:-}"; done
}
REPORT=$(report)
if [ "$SMOKE" = 1 ]; then sed 's/^/# /' <<<"$REPORT"; else echo "$REPORT"; fi

# one summary line per figure metric: ward's value divided by the other's
SUMMARY=$(
	for m in "${METRICS[@]}"; do
		[ "${BETTER[$m]}" = none ] && continue
		case $m in nofilter-* | integ-*) continue ;; esac
		for r in crun runc; do has "$r" && echo "bench: ward/$r $m = $(ratio "$m" "$r")"; done
	done
	for m in "${METRICS[@]}"; do
		case $m in integ-*) echo "bench: integrity $m = $(fmt "${MED[$m|ward]}") ${UNIT[$m]}" ;; esac
	done
	for l in "${LAYERS[@]}"; do
		read -r -a d <<<"$(layer_delta layer-run "$l")"
		read -r -a c <<<"$(layer_delta layer-run-cpu "$l")"
		echo "bench: layer $l / off: run = ${d[0]} (${d[1]} us), cpu = ${c[0]} (${c[1]} us)"
	done
	for n in "${!FIGFAIL[@]}"; do echo "bench: figure $n FAILED: ${FIGFAIL[$n]}"; done
	echo "bench: total ${TOTAL_S} s, harness floor ${SPAWN_MS} ms/spawn, load average ${LOAD_START} -> $(cut -d' ' -f1-3 /proc/loadavg)"
)
echo "$SUMMARY"
if [ -n "${BENCH_OUT:-}" ]; then
	{
		echo "$REPORT"
		echo
		echo "$SUMMARY"
	} >"$BENCH_OUT" || warn "cannot write $BENCH_OUT"
fi

# TAP (smoke): a figure is ok when it ran and every metric has a number for
# every runtime. Timings are never asserted.
status=0
for n in 1 2 3 4 5 6 7 8 9 10; do
	case " ${BENCH_FIGURES:-$n} " in *" $n "*) ;; *)
		[ "$SMOKE" = 1 ] && echo "ok $n - figure $n: ${FIGNAMES[$n]} # SKIP not in BENCH_FIGURES"
		continue ;;
	esac
	nonum=""
	for m in "${METRICS[@]}"; do
		[ "${FIG[$m]}" = "$n" ] || continue
		for r in "${RUNTIMES[@]}"; do
			[ "$n" = 10 ] && [ "$r" != ward ] && continue # ward's own layer
			isnum "${MED[$m|$r]}" || nonum="$nonum $m/$r"
		done
	done
	if [ "$n" = 9 ]; then
		for l in off "${LAYERS[@]}"; do
			isnum "$(median ${VALS[layer-run|$l]:-})" || nonum="$nonum layer-run/$l"
		done
	fi
	if [ -n "${FIGFAIL[$n]:-}" ] || [ -n "$nonum" ]; then
		status=1
		[ "$SMOKE" = 1 ] && echo "not ok $n - figure $n: ${FIGNAMES[$n]}${FIGFAIL[$n]:+: ${FIGFAIL[$n]}}${nonum:+ (no number:$nonum)}"
	else
		[ "$SMOKE" = 1 ] && echo "ok $n - figure $n: ${FIGNAMES[$n]} (${RUNTIMES[*]})"
	fi
done
exit "$status"
