# bench/integrity.sh: figure 10 of bench/run.sh (sourced by it), and the
# integrity layer of figure 9. Ward alone: integrity is ward's own layer
# (linux.integrity, docs/integrity.md), measured against ward with it off.
#
#   - exec cost inside a running container (bench/execloop.c, static, exec'ing
#     itself): integrity off, measure and appraise-enforce (the rootfs copy
#     signed with evmctl by a CA made here), the verdict cached: the extra us
#     per exec is what the monitor's round trip adds;
#   - the first exec of a file never seen, 1 MiB and 64 MiB, measure: the
#     difference over 63 MiB is the monitor's hashing rate (SHA-NI when the
#     CPU has it: OpenSSL picks it);
#   - the RSS of a measuring container's monitor and guard;
#   - figure 9's "integrity" layer: `run` with linux.integrity measure.
#
# Counts: BENCH_INTEG_EXEC (execs per measurement, 2000 / 100 smoke) and
# BENCH_INTEG_FRESH (fresh files per size, 5 / 1 smoke).

if [ "$SMOKE" = 1 ]; then : "${BENCH_INTEG_EXEC:=100}" "${BENCH_INTEG_FRESH:=1}"; else
	: "${BENCH_INTEG_EXEC:=2000}" "${BENCH_INTEG_FRESH:=5}"
fi

defmetric 10 integ-exec-off us/exec lower "exec inside a container, integrity off (bench/execloop.c, fastest chunk)"
defmetric 10 integ-exec-measure us/exec lower "the same, linux.integrity measure, verdict cached"
defmetric 10 integ-exec-enforce us/exec lower "the same, appraise-enforce (signed by a test CA), verdict cached"
defmetric 10 integ-extra-measure us none "extra us per exec, measure, cached (target <= 50)"
defmetric 10 integ-extra-enforce us none "extra us per exec, appraise-enforce, cached (target <= 50)"
defmetric 10 integ-mon-cpu-measure us/exec lower "the monitor's own CPU per cached exec, measure (/proc/PID/schedstat: wall time under load is noise)"
defmetric 10 integ-mon-cpu-enforce us/exec lower "the monitor's own CPU per cached exec, appraise-enforce"
defmetric 10 integ-fresh-1m us lower "first exec of a new 1 MiB file (hashed), measure (fastest)"
defmetric 10 integ-fresh-64m us lower "first exec of a new 64 MiB file (hashed), measure (fastest)"
defmetric 10 integ-hash-rate MB/s higher "hashing rate: 63 MiB / (fresh-64m - fresh-1m) (target >= 1000 with SHA-NI)"
defmetric 10 integ-monitor-rss KB lower "RSS of the monitor and its guard (one measuring container)"

INTEG=$BD/integrity
integ_cmd() { CMD=(env "WARD_INTEGRITY_CONF=$INTEG/integrity.json" "$WARD" --root "$BD/state/ward"); }

# CA, signer, host settings trusting the CA, a signed rootfs copy, bundles.
integ_setup() {
	[ -f "$INTEG/integrity.json" ] && return 0
	command -v evmctl >/dev/null || { LAST_ERR="evmctl (ima-evm-utils) missing"; return 1; }
	mkdir -p "$INTEG/pki"
	(
		cd "$INTEG/pki" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=bench CA" -addext "keyUsage=critical,keyCertSign"
		openssl req -newkey rsa:2048 -nodes -keyout s.key -out s.csr -subj "/CN=bench signer"
		printf 'keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\n' >ext
		openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out s.pem -days 2 -extfile ext
	) >/dev/null 2>&1 || { LAST_ERR="openssl: test CA"; return 1; }
	jq -n --arg ca "$INTEG/pki/ca.pem" '{ca: [$ca]}' >"$INTEG/integrity.json"
	cp -a "$BD/rootfs" "$INTEG/rootfs-signed"
	cc -static -O2 -o "$BD/rootfs/execloop" "$BENCH_SRC/execloop.c" &&
		cp "$BD/rootfs/execloop" "$INTEG/rootfs-signed/execloop" ||
		{ LAST_ERR="cannot build execloop.c (cc -static)"; return 1; }
	local f
	for f in execloop bin/busybox; do
		evmctl ima_sign --key "$INTEG/pki/s.key" "$INTEG/rootfs-signed/$f" >/dev/null 2>&1 ||
			{ LAST_ERR="evmctl ima_sign $f"; return 1; }
	done
	local plain=$BD/base/plain-ward.json keys="[\"$INTEG/pki/s.pem\"]"
	bundle isleep-off ward "$plain" '.process.args = ["sleep", "1000000"] | .root.readonly = false'
	bundle isleep-measure ward "$plain" '.process.args = ["sleep", "1000000"] | .root.readonly = false
		| .linux.integrity = {mode: "measure"}'
	bundle isleep-enforce ward "$plain" '.process.args = ["sleep", "1000000"] | .root.path = $r
		| .linux.integrity = {mode: "appraise-enforce", keys: $k}' \
		--arg r "$INTEG/rootfs-signed" --argjson k "$keys"
}

# ns on the CPU of the container $1's monitor (0 without one).
mon_cpu_ns() {
	local f=$BD/state/ward/$1/integrity/monitor.json
	[ -f "$f" ] || { echo 0; return; }
	awk '{print $1}' "/proc/$(jq -r .pid "$f")/schedstat"
}

# One exec measurement in container $1: prints the number after $2=.
integ_exec() {
	local out
	out=$("${CMD[@]}" exec "$1" /execloop "${@:3}" </dev/null 2>>"$BD/log/ward.log") || return 1
	[[ $out =~ $2=([0-9.]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

fig_integrity() {
	integ_setup || return 1
	integ_cmd
	local v round us rss=0 p
	declare -A sl=() got=()
	for v in off measure enforce; do
		cid ward "i$v"
		sl[$v]=$ID
		"${CMD[@]}" run --detach --bundle "$BD/bundles/isleep-$v-ward" "$ID" </dev/null >/dev/null \
			2>>"$BD/log/ward.log" || { fail ward "integrity: run --detach ($v)" || return 1; }
	done
	for ((round = 0; round < BENCH_ROUNDS; round++)); do
		rotated "$round" off measure enforce
		for v in "${ORDER[@]}"; do
			local c0 c1
			c0=$(mon_cpu_ns "${sl[$v]}")
			us=$(integ_exec "${sl[$v]}" exec_us "$BENCH_INTEG_EXEC" /execloop) ||
				{ fail ward "integrity: exec loop ($v)" || return 1; }
			c1=$(mon_cpu_ns "${sl[$v]}")
			got[$v]=$us
			rec "integ-exec-$v" ward "$us"
			[ "$v" = off ] || rec "integ-mon-cpu-$v" ward \
				"$(awk -v a="$c1" -v b="$c0" -v n="$BENCH_INTEG_EXEC" 'BEGIN{printf "%.2f", (a - b) / 1000 / (n + 1)}')"
		done
		rec integ-extra-measure ward "$(awk -v a="${got[measure]}" -v b="${got[off]}" 'BEGIN{printf "%.2f", a-b}')"
		rec integ-extra-enforce ward "$(awk -v a="${got[enforce]}" -v b="${got[off]}" 'BEGIN{printf "%.2f", a-b}')"
		local f1 f64
		f1=$(integ_exec "${sl[measure]}" fresh_us fresh "$BENCH_INTEG_FRESH" 1048576) &&
			f64=$(integ_exec "${sl[measure]}" fresh_us fresh "$BENCH_INTEG_FRESH" 67108864) ||
			{ fail ward "integrity: fresh execs" || return 1; }
		rec integ-fresh-1m ward "$f1"
		rec integ-fresh-64m ward "$f64"
		rec integ-hash-rate ward "$(awk -v a="$f64" -v b="$f1" 'BEGIN{ if (a > b) printf "%.0f", 63 * 1048576 / (a - b); else print "nan" }')"
	done
	for p in $(jq -r '.pid, .guardPid' "$BD/state/ward/${sl[measure]}/integrity/monitor.json"); do
		rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
	done
	rec integ-monitor-rss ward "$rss"
	for v in off measure enforce; do
		"${CMD[@]}" delete --force "${sl[$v]}" </dev/null >/dev/null 2>>"$BD/log/ward.log" || true
	done
}

# Figure 9's layer: run /bin/true with linux.integrity measure (no host list).
layer_integrity() {
	local d=$BD/layers/integrity
	mkdir -p "$d"
	echo '{}' >"$d/integrity.json"
	LAYER_ENV[integrity]="WARD_INTEGRITY_CONF=$d/integrity.json"
	LAYER_BUNDLE[integrity]=integ
	bundle integ ward "$BD/base/plain-ward.json" '.linux.integrity = {mode: "measure"}'
}
deflayer integrity "linux.integrity measure: a monitor and guard per container, fanotify marks, the list" layer_integrity
