# Helpers for the tests that look at a container from the inside
# (namespaces, mounts, process, hooks, attacks, rootless). Load after helpers:
#   load helpers
#   load helpers_inside

# The namespace link (e.g. "net:[4026531840]") of the test shell, which is
# the namespace ward itself runs in ("the host" for these tests).
host_ns() {
	readlink "/proc/$$/ns/$1"
}

# Give the test's containers a cgroup of their own. ward's default cgroup is
# ward/<id> whatever --root is, so two sessions running tests with the same
# container id share (and `delete -f` kills) each other's processes.
# $1: optional suffix for a second container of the same test.
isolate_cgroup() {
	CGPATH="/ward/it-$(basename "${BATS_RUN_TMPDIR:-x}")-${BATS_TEST_NUMBER:-0}${1:+-$1}"
	update_config --arg p "$CGPATH" '.linux.cgroupsPath = $p'
}

# The test's cgroup must be gone.
assert_no_test_cgroup() {
	local left
	# (find fails when another test's cgroup vanishes mid-walk; only what
	# it prints counts)
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*$CGPATH" 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "cgroups left behind: $left" >&2
		return 1
	fi
}

# Run a shell command as the container's process, in the foreground
# (bats `run` semantics: $status, $output).
run_sh() {
	set_args sh -c "$1"
	run_ward run -b "$BUNDLE" "${2:-ctr}"
}

# Set linux.namespaces to exactly the given types (no paths).
set_namespaces() {
	local json
	json=$(printf '%s\n' "$@" | jq -R '{type: .}' | jq -s .)
	update_config --argjson n "$json" '.linux.namespaces = $n'
}

# Add or replace a namespace entry: add_namespace TYPE [PATH]
add_namespace() {
	local type=$1 path=${2:-}
	if [ -n "$path" ]; then
		update_config --arg t "$type" --arg p "$path" \
			'.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])'
	else
		update_config --arg t "$type" \
			'.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t}])'
	fi
}

# Without its network namespace a config cannot keep net.* sysctls
# (ward spec writes net.ipv4.ping_group_range): they go too.
remove_namespace() {
	update_config --arg t "$1" '.linux.namespaces = [.linux.namespaces[] | select(.type != $t)]
		| if $t == "network" and .linux.sysctl then
			.linux.sysctl |= with_entries(select(.key | startswith("net.") | not)) else . end'
}

# Let ids other than root traverse the directories above the bundle (bats
# makes its temporary directories 0700): a container in a user namespace
# reaches its rootfs as a mapped, non-root host id.
make_bundle_reachable() {
	local d=$BUNDLE
	while [ -n "$d" ] && [ "$d" != / ]; do
		chmod o+x "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] && break
		d=$(dirname "$d")
	done
}

# A user namespace mapping container 0..size-1 to host base..base+size-1.
enable_userns() {
	local base=${1:-100000} size=${2:-65536}
	make_bundle_reachable
	add_namespace user
	# The kernel takes only mapped gids in ping_group_range.
	update_config --argjson b "$base" --argjson s "$size" \
		'.linux.uidMappings = [{containerID: 0, hostID: $b, size: $s}]
		 | .linux.gidMappings = [{containerID: 0, hostID: $b, size: $s}]
		 | if .linux.sysctl["net.ipv4.ping_group_range"] then
			.linux.sysctl["net.ipv4.ping_group_range"] = "0 \($s - 1)" else . end'
}

# Append one mount (a JSON object) to .mounts.
add_mount() {
	update_config --argjson m "$1" '.mounts += [$m]'
}

# The line of /proc/self/mountinfo text ($1) whose mount point is $2.
# Prints the last such line (the one on top).
mountinfo_at() {
	awk -v mp="$2" '$5 == mp { l = $0 } END { if (l != "") print l }' <<<"$1"
}

# Per-mount options (field 6) of a mountinfo line.
mnt_opts() {
	awk '{ print $6 }' <<<"$1"
}

# Optional fields (between field 7 and the " - " separator) of a mountinfo line.
mnt_optional() {
	sed -E 's/^([^ ]+ ){6}//; s/ - .*$//; s/^-.*$//' <<<"$1"
}

# Super options (last field) of a mountinfo line.
mnt_super() {
	awk '{ print $NF }' <<<"$1"
}

# Wait (up to ~5 s) until a file exists and is non-empty.
wait_file() {
	local f=$1 i
	for i in $(seq 1 100); do
		[ -s "$f" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# Wait (up to ~5 s) until a file contains a string.
wait_file_contains() {
	local f=$1 s=$2 i
	for i in $(seq 1 100); do
		grep -qF -- "$s" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$s' in $f; it has:" >&2
	cat "$f" >&2 2>/dev/null || true
	return 1
}

# Init pid of a container, from `ward state`.
ctr_pid() {
	ward state "$1" | jq -r .pid
}

# --- console socket (runc's protocol: the pty master arrives over a unix
# socket with SCM_RIGHTS). console_receiver_start SOCK OUT starts a receiver
# in the background: it accepts one connection, takes the fd, and copies
# everything read from it into OUT until EOF/EIO. OUT.name gets the message
# that came with the fd. Optionally, INPUT (a string) is written to the
# master after the fd arrives.
console_receiver_start() {
	local sock=$1 out=$2 input=${3:-}
	cat >"$BATS_TEST_TMPDIR/console_recv.py" <<'EOF'
import array, os, socket, sys
sock_path, out_path, data = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(1)
s.settimeout(30)
conn, _ = s.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
for level, typ, cdata in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
with open(out_path + ".name", "wb") as f:
    f.write(msg)
if not fds:
    with open(out_path + ".err", "w") as f:
        f.write("no fd received\n")
    sys.exit(1)
fd = fds[0]
st = os.fstat(fd)
with open(out_path + ".fdinfo", "w") as f:
    f.write("%d %d\n" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
if data:
    os.write(fd, data.encode())
with open(out_path, "wb", buffering=0) as out:
    while True:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out.write(b)
with open(out_path + ".done", "w") as f:
    f.write("done\n")
EOF
	python3 "$BATS_TEST_TMPDIR/console_recv.py" "$sock" "$out" "$input" \
		</dev/null >"$BATS_TEST_TMPDIR/console_recv.log" 2>&1 3>&- &
	CONSOLE_RECV_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	echo "console receiver did not start" >&2
	cat "$BATS_TEST_TMPDIR/console_recv.log" >&2
	return 1
}

console_receiver_stop() {
	if [ -n "${CONSOLE_RECV_PID:-}" ]; then
		kill "$CONSOLE_RECV_PID" 2>/dev/null || true
		wait "$CONSOLE_RECV_PID" 2>/dev/null || true
		CONSOLE_RECV_PID=
	fi
}

# Capability bit numbers (linux/capability.h).
declare -gA WARD_CAP_BITS=(
	[CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_DAC_READ_SEARCH]=2 [CAP_FOWNER]=3
	[CAP_FSETID]=4 [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8
	[CAP_LINUX_IMMUTABLE]=9 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11
	[CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13 [CAP_IPC_LOCK]=14 [CAP_IPC_OWNER]=15
	[CAP_SYS_MODULE]=16 [CAP_SYS_RAWIO]=17 [CAP_SYS_CHROOT]=18 [CAP_SYS_PTRACE]=19
	[CAP_SYS_PACCT]=20 [CAP_SYS_ADMIN]=21 [CAP_SYS_BOOT]=22 [CAP_SYS_NICE]=23
	[CAP_SYS_RESOURCE]=24 [CAP_SYS_TIME]=25 [CAP_SYS_TTY_CONFIG]=26 [CAP_MKNOD]=27
	[CAP_LEASE]=28 [CAP_AUDIT_WRITE]=29 [CAP_AUDIT_CONTROL]=30 [CAP_SETFCAP]=31
	[CAP_MAC_OVERRIDE]=32 [CAP_MAC_ADMIN]=33 [CAP_SYSLOG]=34 [CAP_WAKE_ALARM]=35
	[CAP_BLOCK_SUSPEND]=36 [CAP_AUDIT_READ]=37 [CAP_PERFMON]=38 [CAP_BPF]=39
	[CAP_CHECKPOINT_RESTORE]=40
)

# The /proc/PID/status hex mask (16 digits) of the named capabilities.
cap_mask() {
	local m=0 c
	for c in "$@"; do
		m=$((m | (1 << ${WARD_CAP_BITS[$c]})))
	done
	printf '%016x\n' "$m"
}

# cap_mask of a JSON array of names in config.json: cap_mask_of '.process.capabilities.bounding'
cap_mask_of() {
	local names
	names=$(jq -r "($1 // [])[]" "$BUNDLE/config.json")
	# shellcheck disable=SC2086
	cap_mask $names
}

# Value of a /proc/PID/status field in text $1, e.g. status_field "$output" CapEff
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" <<<"$1" | head -n 1
}
