#!/usr/bin/env bats
# containerd (Debian's 1.6) driving ward through its runc shim
# (io.containerd.runc.v2): the suite starts its own containerd with a
# generated config (temporary root, state, sockets), talks to it with ctr,
# and stops it and every shim it started at the end.
#
# The shim runs the runtime as
#   RUNTIME --root ROOT/NS --log BUNDLE/log.json --log-format json COMMAND ...
# and reads its JSON log, `state`, `ps --format json`, exit codes and pid
# files: any mismatch with runc's formats shows up here.

bats_require_minimum_version 1.5.0
load helpers_engines

NS=wardtest

setup_file() {
	local b
	for b in containerd ctr containerd-shim-runc-v2; do
		if ! command -v "$b" >/dev/null; then
			file_skip "$b is not installed (scripts/install-deps.sh installs containerd)"
			return 0
		fi
	done
	ensure_runtime
	ensure_image
	CTD=$(mktemp -d "$ENG_TMP/wctd.XXXXXX")
	export CTD
	mkdir -p "$CTD/cni" "$CTD/runc-root" "$CTD/cri-root" "$CTD/fifo"
	# The CRI section is what a Kubernetes node uses (docs/kubernetes.md):
	# a runtime handler "ward" of type io.containerd.runc.v2 whose
	# BinaryName is ward. ctr does not go through CRI; it passes the same
	# runc options per container (--runc-binary, --runc-root).
	cat >"$CTD/config.toml" <<-EOF
		version = 2
		root = "$CTD/root"
		state = "$CTD/state"
		disabled_plugins = ["io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
		                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
		[grpc]
		  address = "$CTD/containerd.sock"
		[ttrpc]
		  address = "$CTD/containerd.sock.ttrpc"
		[debug]
		  level = "debug"
		[plugins."io.containerd.grpc.v1.cri"]
		  disable_tcp_service = true
		  stream_server_address = "127.0.0.1"
		  sandbox_image = "$IMAGE_REF"
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$CTD/cni"
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    default_runtime_name = "ward"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward.options]
		        BinaryName = "$RUNTIME"
		        Root = "$CTD/cri-root"
	EOF
	containerd --config "$CTD/config.toml" </dev/null >"$CTD/containerd.log" 2>&1 3>&- &
	echo $! >"$CTD/containerd.pid"
	WAIT_TRIES=150 wait_for ctr --address "$CTD/containerd.sock" version ||
		{ tail -20 "$CTD/containerd.log" >&2; return 1; }
	c image import "$IMAGE_CACHE/oci-archive.tar" >/dev/null
}

teardown_file() {
	[ -n "${CTD:-}" ] && [ -d "$CTD" ] || return 0
	ctd_remove_all
	local pid p i
	pid=$(cat "$CTD/containerd.pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# Shims outlive containerd by design: end ours (they name our socket).
	for p in $(pids_mentioning "$CTD/"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	umount_below "$CTD"
	rm -rf "$CTD"
}

setup() {
	check_file_skip
}

teardown() {
	[ -n "${CTD:-}" ] || return 0
	ctd_remove_all
}

ctd_remove_all() {
	local t
	for t in $(c task ls -q 2>/dev/null); do
		c task kill -s KILL "$t" >/dev/null 2>&1 || true
	done
	for t in $(c task ls -q 2>/dev/null); do
		for _ in $(seq 30); do
			c task delete "$t" >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	for t in $(c containers ls -q 2>/dev/null); do
		c containers delete "$t" >/dev/null 2>&1 || true
	done
}

c() {
	ctr --address "$CTD/containerd.sock" -n "$NS" "$@"
}
# ctr keeps the stdio fifos of a process in --fifo-dir (default
# /run/containerd/fifo): ours stay below $CTD.
c_exec() {
	c task exec --fifo-dir "$CTD/fifo" "$@"
}
RUNC_OPTS=()
runc_opts() {
	RUNC_OPTS=(--runtime io.containerd.runc.v2 --runc-binary "$RUNTIME" --runc-root "$CTD/runc-root"
		--fifo-dir "$CTD/fifo")
}
# `ctr run --rm` through the runc shim with ward as its runc.
c_run() {
	runc_opts
	run c run --rm "${RUNC_OPTS[@]}" "$@"
}
# A detached task: ctr run -d ... NAME CMD...; sets $TPID.
c_start() {
	runc_opts
	run_file c run -d "${RUNC_OPTS[@]}" "$@"
	assert_success
	local name
	for a in "$@"; do
		[ "$a" = "$IMAGE_REF" ] && { name=next; continue; }
		[ "${name:-}" = next ] && { name=$a; break; }
	done
	TPID=$(c task ls | awk -v n="$name" '$1 == n { print $2 }')
	[ -n "$TPID" ]
	[ "$TPID" -gt 0 ]
}
task_status() {
	c task ls | awk -v n="$1" '$1 == n { print $3 }'
}
# ward's state directory for a task, as the shim tells it (--root ROOT/NS).
runtime_state_dir() {
	echo "$CTD/runc-root/$NS/$1"
}
shim_pids_of() {
	local id=$1 p
	for p in $(pids_mentioning "$CTD/containerd.sock"); do
		if tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qx -- "$id"; then
			echo "$p"
		fi
	done
}

# Nothing of task $1 remains: shim, mounts, cgroups, ward state, bundle.
assert_task_gone() {
	local id=$1 left
	# The shim exits shortly after the task is deleted.
	WAIT_TRIES=50 wait_for test -z "$(shim_pids_of "$id")" || true
	left=$(shim_pids_of "$id")
	if [ -n "$left" ]; then
		echo "shim left behind: $left" >&2
		return 1
	fi
	if grep -qF "/$NS/$id/" /proc/self/mountinfo || grep -qF "/$NS/$id " /proc/self/mountinfo; then
		echo "mounts left behind:" >&2
		grep -F "/$NS/$id" /proc/self/mountinfo >&2
		return 1
	fi
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*/$NS/$id" 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "cgroups left behind: $left" >&2
		return 1
	fi
	if [ -e "$(runtime_state_dir "$id")" ]; then
		echo "runtime state dir $(runtime_state_dir "$id") left behind" >&2
		return 1
	fi
	if [ -e "$CTD/state/io.containerd.runtime.v2.task/$NS/$id" ]; then
		echo "bundle $CTD/state/io.containerd.runtime.v2.task/$NS/$id left behind" >&2
		return 1
	fi
}

# ------------------------------------------------------------- config ------

@test "containerd: the generated config loads; CRI handler ward = runc.v2 with BinaryName" {
	run c plugins ls
	assert_success
	assert_output_matches 'io\.containerd\.grpc\.v1 +cri +linux/amd64 +ok'
	assert_output_matches 'io\.containerd\.runtime\.v2 +task +linux/amd64 +ok'
	run containerd --config "$CTD/config.toml" config dump
	assert_success
	assert_output_contains '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward]'
	assert_output_contains 'runtime_type = "io.containerd.runc.v2"'
	assert_output_contains "BinaryName = \"$RUNTIME\""
	assert_output_contains 'default_runtime_name = "ward"'
}

# ---------------------------------------------------------- lifecycle ------

@test "containerd: ctr run --rm prints the output and returns the exit status" {
	c_run "$IMAGE_REF" r1 sh -c 'echo hello from ward; exit 3'
	assert_status 3
	assert_equal "$output" "hello from ward"
	assert_task_gone r1
}

@test "containerd: ctr run -d; the task runs and ward's state agrees with the shim" {
	c_start "$IMAGE_REF" d1 sleep 1000
	assert_equal "$(task_status d1)" RUNNING
	[ -d "$(runtime_state_dir d1)" ]
	if runtime_is_ward; then
		run "$RUNTIME" --root "$CTD/runc-root/$NS" state d1
		assert_success
		assert_equal "$(jq -r .status <<<"$output")" running
		assert_equal "$(jq -r .pid <<<"$output")" "$TPID"
		assert_equal "$(jq -r .bundle <<<"$output")" "$CTD/state/io.containerd.runtime.v2.task/$NS/d1"
	fi
	# The init pid file the shim asked for.
	assert_equal "$(cat "$CTD/state/io.containerd.runtime.v2.task/$NS/d1/init.pid")" "$TPID"
}

@test "containerd: task exec: output, exit status, --user, --cwd" {
	c_start "$IMAGE_REF" x1 sleep 1000
	run c_exec --exec-id e1 x1 sh -c 'echo exec-out; exit 4'
	assert_status 4
	assert_equal "$output" exec-out
	run c_exec --exec-id e2 --user 1000 --cwd /tmp x1 sh -c 'echo $(id -u) $(pwd)'
	assert_success
	assert_equal "$output" "1000 /tmp"
}

@test "containerd: task ps lists the init and a detached exec process" {
	c_start "$IMAGE_REF" p1 sleep 1000
	run c_exec -d --exec-id bg p1 sleep 999
	assert_success
	local want=$TPID
	WAIT_TRIES=50 wait_for sh -c "ctr --address '$CTD/containerd.sock' -n $NS task ps p1 | grep -q ExecID:bg"
	run c task ps p1
	assert_success
	grep -qE "^$want +-" <<<"$output"
	assert_output_contains "ExecID:bg"
	[ "$(grep -cE '^[0-9]+ ' <<<"$output")" -eq 2 ]
}

@test "containerd: pause and resume freeze and thaw the task" {
	c_start "$IMAGE_REF" z1 sleep 1000
	run c task pause z1
	assert_success
	assert_equal "$(task_status z1)" PAUSED
	local fz
	fz=$(cgroup_dir_of "$TPID" freezer)
	if [ -f "$fz/freezer.state" ]; then
		assert_equal "$(cat "$fz/freezer.state")" FROZEN
	fi
	run c task resume z1
	assert_success
	assert_equal "$(task_status z1)" RUNNING
	run c_exec --exec-id after z1 true
	assert_success
}

@test "containerd: task metrics report the cgroup (memory, cpu, pids)" {
	c_start "$IMAGE_REF" m1 sleep 1000
	run c task metrics m1
	assert_success
	assert_output_contains "memory.usage_in_bytes"
	assert_output_matches 'pids\.current +1'
	run c task metrics --format json m1
	assert_success
	assert_equal "$(jq -r '.pids.current' <<<"$output")" 1
	[ "$(jq -r '.memory.usage.usage' <<<"$output")" -gt 0 ]
}

@test "containerd: kill, delete: exit status, and no shim, mount, cgroup or state left" {
	c_start "$IMAGE_REF" k1 sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
	local cg
	cg=$(cgroup_dir_of "$TPID" pids)
	[[ "$cg" == */$NS/k1 ]]
	run c task kill k1
	assert_success
	WAIT_TRIES=50 wait_for sh -c "[ \"\$(ctr --address '$CTD/containerd.sock' -n $NS task ls | awk '\$1==\"k1\"{print \$3}')\" = STOPPED ]"
	run c task delete k1
	assert_success
	assert_output_contains "exit code 9"
	run c containers delete k1
	assert_success
	WAIT_TRIES=30 wait_for test -z "$(shim_pids_of k1)"
	assert_task_gone k1
}

@test "containerd: task kill --all signals every process of the task" {
	c_start "$IMAGE_REF" ka sleep 1000
	run c_exec -d --exec-id bg ka sleep 999
	assert_success
	WAIT_TRIES=50 wait_for sh -c "ctr --address '$CTD/containerd.sock' -n $NS task ps ka | grep -q ExecID:bg"
	run c task kill --all -s KILL ka
	assert_success
	WAIT_TRIES=50 wait_for sh -c "[ \"\$(ctr --address '$CTD/containerd.sock' -n $NS task ls | awk '\$1==\"ka\"{print \$3}')\" = STOPPED ]"
	local cg
	cg=$(find /sys/fs/cgroup/pids -maxdepth 3 -type d -path "*/$NS/ka" | head -1)
	[ -z "$cg" ] || [ -z "$(cat "$cg/cgroup.procs")" ]
}

@test "containerd: a task killed with SIGKILL reports 137 to ctr run" {
	runc_opts
	c run -d "${RUNC_OPTS[@]}" "$IMAGE_REF" s1 sleep 1000 >/dev/null
	run c task kill -s KILL s1
	assert_success
	sleep 0.5
	run c task delete s1
	assert_output_contains "exit code 137"
}

@test "containerd: ctr run -t gives the shell a terminal" {
	runc_opts
	run_tty $'tty; echo $((6*7))\nexit 7' \
		ctr --address "$CTD/containerd.sock" -n "$NS" run -t --rm "${RUNC_OPTS[@]}" "$IMAGE_REF" t1 sh
	assert_status 7
	assert_output_contains "/ # "
	assert_output_contains 'echo $((6*7))'
	assert_output_contains $'\n42\n'
	assert_output_matches $'\n/dev/pts/[0-9]+\n'
}

@test "containerd: task exec -t gives the process a terminal" {
	c_start "$IMAGE_REF" t2 sleep 1000
	run_tty $'tty\nexit 3' ctr --address "$CTD/containerd.sock" -n "$NS" task exec -t --fifo-dir "$CTD/fifo" --exec-id tt t2 sh
	assert_status 3
	assert_output_contains "/ # "
	assert_output_matches $'\n/dev/pts/[0-9]+\n'
}

@test "containerd: --memory-limit reaches the task's cgroup" {
	c_start --memory-limit 67108864 "$IMAGE_REF" l1 sleep 1000
	local mem
	mem=$(cgroup_dir_of "$TPID" memory)
	if [ -f "$mem/memory.limit_in_bytes" ]; then
		assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	else
		assert_equal "$(cat "$mem/memory.max")" 67108864
	fi
}

@test "containerd: --privileged, --seccomp (containerd's default profile), --read-only" {
	c_run --privileged --seccomp --read-only "$IMAGE_REF" pv1 \
		sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev/fuse; touch /x'
	assert_status 1
	assert_output_contains "$(grep ^CapBnd: /proc/self/status | cut -f2)"
	assert_output_contains $'Seccomp:\t2'
	assert_output_contains "Read-only file system"
}

@test "containerd: ward's default seccomp profile via --seccomp-profile (the CRI Localhost loader)" {
	# containerd reads a Localhost seccomp profile of a pod into
	# linux.seccomp as is (seccomp.WithProfile), as ctr --seccomp-profile does.
	"$WARD" seccomp default >"$BATS_TEST_TMPDIR/ward-default.json"
	c_run --seccomp --seccomp-profile "$BATS_TEST_TMPDIR/ward-default.json" "$IMAGE_REF" sc1 \
		sh -c 'grep ^Seccomp: /proc/self/status; unshare -n true 2>/dev/null; echo "unshare=$?"'
	assert_success
	assert_output_contains $'Seccomp:\t2'
	assert_output_contains "unshare=1"
}

@test "containerd: --cap-drop and --cap-add change the task's capabilities" {
	c_run --cap-drop CAP_CHOWN --cap-add CAP_SYS_ADMIN "$IMAGE_REF" cp1 grep ^CapEff: /proc/self/status
	assert_success
	local eff
	eff=$((16#$(cap_hex CapEff <<<"$output")))
	[ $((eff & 1)) -eq 0 ]
	[ $((eff & (1 << 21))) -ne 0 ]
}

@test "containerd: a second task joins the first's network namespace (the CRI pod pattern)" {
	# Kubernetes pods: the sandbox owns the network (and ipc, uts) namespace
	# and every container of the pod is created with linux.namespaces[].path
	# pointing at it.
	c_start "$IMAGE_REF" sb1 sleep 1000
	local want
	want=$(readlink "/proc/$TPID/ns/net")
	c_run --with-ns "network:/proc/$TPID/ns/net" "$IMAGE_REF" member1 readlink /proc/self/ns/net
	assert_success
	assert_equal "$output" "$want"
}

# ------------------------------------------------ the runtime contract -----

@test "containerd: a create failure reaches ctr through ward's JSON log" {
	c_run "$IMAGE_REF" f1 /no/such/program
	assert_failure
	assert_output_contains "OCI runtime create failed"
	assert_output_contains "/no/such/program"
	assert_task_gone f1
}

@test "containerd: --log FILE --log-format json writes runc's {level,msg,time} lines" {
	# The shim reads the last "error" line of BUNDLE/log.json for its message.
	local log="$BATS_TEST_TMPDIR/log.json"
	run "$RUNTIME" --root "$CTD/runc-root/$NS" --log "$log" --log-format json state no-such-task
	assert_failure
	[ -s "$log" ]
	run jq -c 'select(.level == "error") | [.msg != "", (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))]' "$log"
	assert_success
	assert_output_contains "[true,true]"
}

@test "containerd: children of a host-pid-namespace task die with its init (shim KillAll)" {
	# The shim runs `RUNTIME kill --all ID 9` when the init of a task without
	# its own pid namespace exits; the task stays until it is deleted.
	local out="$BATS_TEST_TMPDIR/out"
	mkdir -p "$out"
	c_start --with-ns "pid:/proc/$$/ns/pid" --mount "type=bind,src=$out,dst=/out,options=rbind:rw" \
		"$IMAGE_REF" hp1 sh -c 'sleep 1007 & echo $! > /out/child; exit 0'
	WAIT_TRIES=50 wait_for sh -c "[ \"\$(ctr --address '$CTD/containerd.sock' -n $NS task ls | awk '\$1==\"hp1\"{print \$3}')\" = STOPPED ]"
	local child
	child=$(cat "$out/child")
	[ -n "$child" ]
	sleep 0.5
	local alive=no
	[ -e "/proc/$child" ] && ! grep -q '^State:.*Z' "/proc/$child/status" && alive=yes
	c task delete hp1 >/dev/null 2>&1 || true
	if [ "$alive" = yes ]; then
		kill -KILL "$child" 2>/dev/null || true
	fi
	assert_equal "$alive" no
}

@test "containerd: kill --all on a stopped task kills what is left in its cgroup (shim KillAll)" {
	# For a container without its own pid namespace (hostPID, or a pod's
	# shared one), the runc shim runs `RUNTIME kill --all ID SIGKILL` once the
	# init exited, so the init's children do not outlive it. runc accepts
	# --all on a stopped container and signals the cgroup's processes.
	local b="$BATS_TEST_TMPDIR/bundle" st="$BATS_TEST_TMPDIR/state"
	mkdir -p "$b/rootfs"
	tar -C "$b/rootfs" -xf "$IMAGE_CACHE/rootfs.tar"
	(cd "$b" && "$RUNTIME" spec)
	jq '.process.terminal = false | .process.args = ["sh", "-c", "sleep 1007 & exit 0"]
	    | .linux.namespaces |= map(select(.type != "pid"))' "$b/config.json" >"$b/c.json"
	mv "$b/c.json" "$b/config.json"
	"$RUNTIME" --root "$st" create --bundle "$b" ka1 </dev/null >/dev/null 2>&1
	"$RUNTIME" --root "$st" start ka1
	local child="" cg
	for _ in $(seq 50); do
		cg=$(find /sys/fs/cgroup/pids -maxdepth 3 -type d -name ka1 | head -1)
		child=$(head -1 "$cg/cgroup.procs" 2>/dev/null)
		[ "$("$RUNTIME" --root "$st" state ka1 | jq -r .status)" = stopped ] && [ -n "$child" ] && break
		sleep 0.1
	done
	[ -n "$child" ]
	[ "$(tr '\0' ' ' <"/proc/$child/cmdline")" = "sleep 1007 " ]
	run "$RUNTIME" --root "$st" kill --all ka1 KILL
	local rc=$status out=$output
	sleep 0.3
	local alive=no
	# A killed child is a zombie until the host's init reaps it.
	[ -n "$child" ] && [ -e "/proc/$child" ] && ! grep -q '^State:.*Z' "/proc/$child/status" && alive=yes
	"$RUNTIME" --root "$st" delete --force ka1 >/dev/null 2>&1 || true
	[ -n "$child" ] && kill -KILL "$child" 2>/dev/null || true
	status=$rc output=$out
	assert_success
	assert_equal "$alive" no
}

# ------------------------------------------------ the admission policy -----

# ward with an admission policy, as the shim's runc binary.
policy_runtime() {
	printf '%s\n' "$1" >"$CTD/policy.json"
	printf '#!/bin/sh\nexec "%s" --policy "%s" "$@"\n' "$RUNTIME" "$CTD/policy.json" >"$CTD/ward-policy"
	chmod 755 "$CTD/ward-policy"
}
c_run_policy() {
	run c run --rm --runtime io.containerd.runc.v2 --runc-binary "$CTD/ward-policy" \
		--runc-root "$CTD/runc-root" --fifo-dir "$CTD/fifo" "$@"
}

@test "containerd: a task ward's policy refuses shows ward's reason through ctr; nothing is left" {
	require_ward
	policy_runtime '{"level": "baseline"}'
	c_run_policy --cap-add CAP_SYS_ADMIN "$IMAGE_REF" pol1 true
	assert_failure
	assert_output_contains "policy baseline/capabilities: process.capabilities.bounding: CAP_SYS_ADMIN is not among the allowed capabilities"
	assert_task_gone pol1
	[ ! -e "$CTD/runc-root/pol1" ]
	c_run_policy --seccomp "$IMAGE_REF" pol2 echo admitted
	assert_success
	assert_output_contains admitted
}

@test "containerd: a namespace is trusted only from the shim of the namespace a policy names" {
	require_ward
	local ann=(--annotation io.kubernetes.cri.sandbox-namespace=kube-system)
	# The default source wants containerd's CRI namespace k8s.io: a ctr
	# client in another one (as docker's "moby") claims in vain.
	policy_runtime '{"level": "baseline", "exemptions": [{"namespaces": ["kube-system"]}]}'
	c_run_policy "${ann[@]}" "$IMAGE_REF" pol3 true
	assert_failure
	assert_output_contains "policy baseline/seccomp"
	assert_task_gone pol3
	# Named as a source, the shim of this namespace is believed: ward's
	# caller really is containerd-shim-runc-v2 -namespace $NS.
	policy_runtime "{\"level\": \"baseline\", \"exemptions\": [{\"namespaces\": [\"kube-system\"]}],
		\"namespaceSources\": [{\"annotation\": \"io.kubernetes.cri.sandbox-namespace\",
		  \"callers\": [\"$(command -v containerd-shim-runc-v2)\"], \"callerArgs\": [\"-namespace\", \"$NS\"]}]}"
	c_run_policy "${ann[@]}" "$IMAGE_REF" pol4 true
	assert_success
}
