# Helpers shared by tests/integration/seccomp.bats and hardened.bats.
# Load after helpers:   load helpers
#                       load ../seccomp/lib

SECCOMP_FIXTURES="$WARD_SRC/tests/seccomp"

# Compile tests/seccomp/probe.c once per bats run (static, so it runs in the
# busybox rootfs) into a cache directory keyed by the source's hash. Call
# from setup_file; exports PROBE.
build_probe() {
	local src="$SECCOMP_FIXTURES/probe.c" sum dir
	sum=$(sha256sum "$src" | cut -c1-16)
	dir="${BATS_RUN_TMPDIR:-/tmp}/seccomp-probe-$sum"
	if [ ! -x "$dir/probe" ]; then
		mkdir -p "$dir"
		cc -static -O2 -pthread -o "$dir/probe.tmp.$$" "$src" >&2
		mv -f "$dir/probe.tmp.$$" "$dir/probe"
	fi
	export PROBE="$dir/probe"
}

# Put the probe in the bundle's rootfs as /bin/probe (optionally another name).
install_probe() {
	cp "$PROBE" "$BUNDLE/rootfs/bin/${1:-probe}"
}

# Replace linux.seccomp with a JSON value (a string of JSON).
set_seccomp() {
	update_config --argjson s "$1" '.linux.seccomp = $s'
}

# Replace linux.seccomp with a fixture file from tests/seccomp.
set_seccomp_file() {
	update_config --slurpfile s "$1" '.linux.seccomp = $s[0]'
}

# No core files when a test kills its process with SIGSYS.
no_core_dumps() {
	update_config '.process.rlimits = ((.process.rlimits // []) | map(select(.type != "RLIMIT_CORE")))
		+ [{type: "RLIMIT_CORE", hard: 0, soft: 0}]'
}

# A field of /proc/self/status text in $output: status_field Seccomp
status_field() {
	awk -v f="$1:" '$1 == f { print $2 }' <<<"$output"
}

# Run the probe as the container's process in the foreground:
# run_probe ID OP...  ($status, $output, $lines)
run_probe() {
	local id=$1
	shift
	set_args probe "$@"
	run_ward run -b "$BUNDLE" "$id"
}

# Fail with context unless $output's lines equal the arguments exactly.
assert_lines() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(printf '%s\n' "$output")
	if [ "$want" != "$got" ]; then
		echo "expected lines:" >&2
		echo "$want" >&2
		echo "actual output (status $status):" >&2
		echo "$got" >&2
		return 1
	fi
}

# ward spec's default capability set (podman's) as the kernel prints it
# (CapEff/CapBnd): CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5,
# SETGID 6, SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10, SYS_CHROOT 18,
# SETFCAP 31. (Docker's adds NET_RAW 13, MKNOD 27, AUDIT_WRITE 29.)
default_caps_hex() {
	local bits=(0 1 3 4 5 6 7 8 10 18 31) mask=0 b
	for b in "${bits[@]}"; do mask=$((mask | (1 << b))); done
	printf '%016x\n' "$mask"
}
