#!/usr/bin/env bats
# podman (Debian's 4.3, with conmon) driving ward: as `--runtime PATH` and as
# the runtime configured in a containers.conf. podman keeps everything in a
# private storage root and tmp dir under $PM, removed at the end.

bats_require_minimum_version 1.5.0
load helpers_engines

# ---------------------------------------------------------------- setup ----

setup_file() {
	local b
	for b in podman conmon; do
		if ! command -v "$b" >/dev/null; then
			file_skip "$b is not installed (scripts/install-deps.sh installs it)"
			return 0
		fi
	done
	ensure_runtime
	ensure_image
	# Short paths: podman refuses a runroot longer than 50 characters given
	# with --runroot and, from storage.conf, stalls ~20 s per container
	# (conmon's socket paths) when it is that long.
	PM=$(mktemp -d "$ENG_TMP/wpm.XXXXXX")
	chmod 755 "$PM"
	export PM
	mkdir -p "$PM/tmp" "$PM/volumes" "$PM/networks" "$PM/share"
	cat >"$PM/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PM/root"
		runroot = "$PM/rr"
	EOF
	# Common engine settings: no systemd here (cgroupfs, file events), and
	# nothing of podman's state outside $PM.
	local common
	common=$(
		cat <<-EOF
			[containers]
			default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
			[network]
			network_config_dir = "$PM/networks"
			[engine]
			cgroup_manager = "cgroupfs"
			events_logger = "file"
			events_logfile_path = "$PM/events.log"
			tmp_dir = "$PM/tmp"
			volume_path = "$PM/volumes"
		EOF
	)
	# base.conf: the runtime comes from `podman --runtime PATH`.
	printf '%s\n' "$common" >"$PM/base.conf"
	# ward.conf: ward is a configured runtime and the default one.
	printf '%s\nruntime = "ward"\n[engine.runtimes]\nward = ["%s"]\n' "$common" "$RUNTIME" >"$PM/ward.conf"
	# audit.conf: the same, with ward's audit settings (its host log in $PM)
	# in the environment conmon gives the runtime.
	printf '{"enabled": false, "hostLog": "%s/audit-host.jsonl"}\n' "$PM" >"$PM/ward-audit.json"
	printf '%s\nconmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "WARD_AUDIT_CONF=%s"]\nruntime = "ward"\n[engine.runtimes]\nward = ["%s"]\n' \
		"$common" "$PM/ward-audit.json" "$RUNTIME" >"$PM/audit.conf"
	cat >"$PM/seccomp-nomkdir.json" <<-'EOF'
		{
		  "defaultAction": "SCMP_ACT_ALLOW",
		  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		  "syscalls": [
		    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
		  ]
		}
	EOF
	pm import --change CMD=/bin/sh "$IMAGE_CACHE/rootfs.tar" localhost/ward-busybox:latest >/dev/null
}

teardown_file() {
	[ -n "${PM:-}" ] && [ -d "$PM" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
	pm rmi -af >/dev/null 2>&1 || true
	rootless_teardown
	umount_below "$PM"
	rm -rf "$PM"
}

setup() {
	check_file_skip
}

teardown() {
	[ -n "${PM:-}" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
}

IMG=localhost/ward-busybox:latest

# podman with the configured runtime (containers.conf: runtime = "ward").
pm() {
	CONTAINERS_CONF=$PM/ward.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf podman "$@"
}
# podman with `--runtime PATH` (containers.conf names no runtime).
pmr() {
	CONTAINERS_CONF=$PM/base.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf podman --runtime "$RUNTIME" "$@"
}
# `podman run --rm` with the machine's rlimits and no network.
pm_run() {
	run pm run --rm "${ULIMITS[@]}" --network none "$@"
}
# A detached container; sets $CID and $CPID.
pm_start() {
	run_file pm run -d "${ULIMITS[@]}" "$@"
	assert_success
	CID=${output##*$'\n'}
	CPID=$(pm inspect --format '{{.State.Pid}}' "$CID")
	[ "$CPID" -gt 0 ]
}

# Nothing of container $1 remains: runtime state dir, cgroups, mounts, conmon.
assert_podman_gone() {
	local id=$1 left
	if [ -e "$(runtime_default_root)/$id" ]; then
		echo "runtime state dir $(runtime_default_root)/$id left behind" >&2
		return 1
	fi
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$id*" 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "cgroups left behind: $left" >&2
		return 1
	fi
	if grep -qF "$id" /proc/self/mountinfo; then
		echo "mounts left behind:" >&2
		grep -F "$id" /proc/self/mountinfo >&2
		return 1
	fi
	left=$(pids_mentioning "$id")
	if [ -n "$left" ]; then
		echo "processes left behind: $left" >&2
		return 1
	fi
}

# ------------------------------------------------------- runtime wiring ----

@test "podman: containers.conf makes ward the default runtime (podman info)" {
	run pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	assert_success
	assert_equal "$output" "ward $RUNTIME"
	require_ward
	run pm info --format '{{.Host.OCIRuntime.Version}}'
	assert_success
	assert_output_contains "ward version"
}

@test "podman --runtime: run prints the container's output and exits 0" {
	run pmr run --rm "${ULIMITS[@]}" --network none "$IMG" sh -c 'echo hello from $(hostname)'
	assert_success
	assert_output_matches '^hello from [0-9a-f]{12}$'
}

@test "podman --runtime: run exits with the container's status" {
	run pmr run --rm "${ULIMITS[@]}" --network none "$IMG" sh -c 'exit 42'
	assert_status 42
}

@test "podman --runtime: a command that cannot be executed exits 127 with the reason" {
	run -127 pmr run --rm "${ULIMITS[@]}" --network none "$IMG" /no/such/program
	assert_output_contains "/no/such/program"
}

@test "podman (configured runtime): run, stdin, exit status, inspect names the runtime" {
	run bash -c "echo piped-input | CONTAINERS_CONF=$PM/ward.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf podman run -i --name cfg1 ${ULIMITS[*]} --network none $IMG sh -c 'cat; exit 3'"
	assert_status 3
	assert_equal "$output" "piped-input"
	run pm inspect --format '{{.OCIRuntime}} {{.State.Status}} {{.State.ExitCode}}' cfg1
	assert_success
	assert_output_matches "^ward (exited|stopped) 3$"
}

@test "podman: env, workdir, hostname and /etc/hosts reach the process" {
	pm_run -e FOO=bar -w /home --hostname wardhost --add-host db.example:192.0.2.7 "$IMG" \
		sh -c 'echo "$FOO $(pwd) $(hostname)"; grep db.example /etc/hosts'
	assert_success
	assert_output_contains "bar /home wardhost"
	assert_output_contains "192.0.2.7	db.example"
}

# ------------------------------------------------------------ lifecycle ----

@test "podman: run -d, ps, inspect, exec, logs, stop, rm leaves nothing behind" {
	pm_start --name life --network none "$IMG" sh -c 'echo started; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done'
	run pm ps --format '{{.Names}} {{.Status}}'
	assert_success
	assert_output_matches 'life Up '
	run pm inspect --format '{{.State.Status}} {{.State.Running}} {{.OCIRuntime}}' life
	assert_equal "$output" "running true ward"
	# ward's own view of the container podman made.
	if runtime_is_ward; then
		run "$RUNTIME" --root "$(runtime_default_root)" state "$CID"
		assert_success
		[ "$(jq -r .status <<<"$output")" = running ]
		[ "$(jq -r .pid <<<"$output")" = "$CPID" ]
	fi
	run pm exec life sh -c 'echo in-exec; exit 5'
	assert_status 5
	assert_equal "$output" "in-exec"
	run pm exec --user 1000:1000 -e X=y -w /tmp life sh -c 'echo $(id -u):$(id -g) $X $(pwd)'
	assert_success
	assert_equal "$output" "1000:1000 y /tmp"
	run pm exec -d life sh -c 'echo detached-exec > /tmp/d'
	assert_success
	WAIT_TRIES=50 wait_for pm exec life test -s /tmp/d
	run pm stop -t 10 life
	assert_success
	run pm logs life
	assert_success
	assert_equal "$output" $'started\ngot-term'
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' life
	assert_equal "$output" "exited 0"
	run pm rm life
	assert_success
	assert_podman_gone "$CID"
}

@test "podman --runtime: run -d, exec, kill -s, wait reports the signal" {
	run_file pmr run -d --name k1 "${ULIMITS[@]}" --network none "$IMG" sleep 1000
	assert_success
	run pmr exec k1 cat /proc/1/cmdline
	assert_success
	assert_equal "$output" "sleep1000"
	run pmr kill -s KILL k1
	assert_success
	run pmr wait k1
	assert_equal "$output" "137"
	run pmr rm k1
	assert_success
}

@test "podman: restart re-creates the container with the runtime" {
	pm_start --name rs --network none "$IMG" sleep 1000
	local first=$CPID
	run pm restart -t 0 rs
	assert_success
	local second
	second=$(pm inspect --format '{{.State.Pid}}' rs)
	[ "$second" -gt 0 ]
	[ "$second" != "$first" ]
	run pm exec rs true
	assert_success
}

@test "podman: pause and unpause freeze and thaw the container" {
	pm_start --name pz --network none "$IMG" sh -c 'while :; do date +%s%N > /tmp/tick; sleep 0.05; done'
	run pm pause pz
	assert_success
	run pm inspect --format '{{.State.Status}}' pz
	assert_equal "$output" paused
	local fz
	fz=$(cgroup_dir_of "$CPID" freezer)
	if [ -f "$fz/freezer.state" ]; then
		assert_equal "$(cat "$fz/freezer.state")" FROZEN
	else
		assert_equal "$(cat "$fz/cgroup.freeze")" 1
	fi
	run pm unpause pz
	assert_success
	run pm inspect --format '{{.State.Status}}' pz
	assert_equal "$output" running
	run pm exec pz cat /tmp/tick
	assert_success
}

@test "podman: top and stats read the running container" {
	pm_start --name ts --network none "$IMG" sleep 1000
	run pm top ts
	assert_success
	assert_output_contains "sleep 1000"
	run pm stats --no-stream --format '{{.Name}} {{.PIDs}}' ts
	assert_success
	assert_equal "$output" "ts 1"
}

# ------------------------------------------------------------- terminal ----

@test "podman: run -it gives the shell a terminal (prompt, echo, tty, exit status)" {
	run_tty $'tty; echo $((6*7))\nexit 7' \
		env CONTAINERS_CONF="$PM/ward.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" \
		podman run -it --rm "${ULIMITS[@]}" --network none "$IMG" sh
	assert_status 7
	assert_output_contains "/ # "          # the prompt
	assert_output_contains 'echo $((6*7))' # echoed input
	assert_output_contains "/dev/pts/0"
	assert_output_contains $'\n42\n'
}

@test "podman: exec -it gives the process a terminal" {
	pm_start --name tx --network none "$IMG" sleep 1000
	run_tty $'tty; stty size\nexit 3' \
		env CONTAINERS_CONF="$PM/ward.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" \
		podman exec -it tx sh
	assert_status 3
	assert_output_contains "/ # "
	assert_output_matches $'\n/dev/pts/[0-9]+\n'
}

# ------------------------------------------------------------- identity ----

@test "podman: --user 1000:1000 runs the process as that user" {
	pm_run --user 1000:1000 "$IMG" sh -c 'id; grep -E "^(Uid|Gid):" /proc/self/status'
	assert_success
	assert_output_contains "uid=1000(ward) gid=1000(ward)"
	assert_output_matches $'Uid:\t1000\t1000\t1000\t1000'
}

@test "podman: --uidmap 0:100000:65536 maps root to 100000 on the host" {
	mkdir -p "$PM/share/um"
	chown 100000:100000 "$PM/share/um"
	pm_run --uidmap 0:100000:65536 --gidmap 0:100000:65536 -v "$PM/share/um:/um" "$IMG" \
		sh -c 'cat /proc/self/uid_map; id -u; touch /um/made-inside'
	assert_success
	assert_output_matches '^ +0 +100000 +65536'
	[ "$(stat -c %u:%g "$PM/share/um/made-inside")" = "100000:100000" ]
}

# --------------------------------------------------------- capabilities ----

@test "podman: --cap-drop ALL --cap-add NET_ADMIN leaves exactly CAP_NET_ADMIN" {
	pm_run --cap-drop ALL --cap-add NET_ADMIN "$IMG" grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb)' /proc/self/status
	assert_success
	assert_output_contains $'CapEff:\t0000000000001000'
	assert_output_contains $'CapPrm:\t0000000000001000'
	assert_output_contains $'CapBnd:\t0000000000001000'
	assert_output_contains $'CapAmb:\t0000000000000000'
}

@test "podman: --cap-add SYS_ADMIN --cap-drop CHOWN changes the default set" {
	pm_run "$IMG" cat /proc/self/status
	local def
	def=$((16#$(cap_hex CapEff <<<"$output")))
	pm_run --cap-add SYS_ADMIN --cap-drop CHOWN "$IMG" cat /proc/self/status
	assert_success
	local eff
	eff=$((16#$(cap_hex CapEff <<<"$output")))
	# CAP_CHOWN is bit 0, CAP_SYS_ADMIN bit 21.
	[ $((def & 1)) -eq 1 ]
	[ $((eff & 1)) -eq 0 ]
	[ $((def & (1 << 21))) -eq 0 ]
	[ $((eff & (1 << 21))) -ne 0 ]
	[ $(((def | (1 << 21)) & ~1)) -eq "$eff" ]
}

# ------------------------------------------------------ syscalls, privs ----

@test "podman: --security-opt seccomp=profile.json (Docker format) blocks mkdir only" {
	pm_run --security-opt seccomp="$PM/seccomp-nomkdir.json" "$IMG" \
		sh -c 'mkdir /tmp/d; echo "mkdir=$?"; touch /tmp/f && echo touch-ok; grep ^Seccomp: /proc/self/status'
	assert_success
	assert_output_contains "Operation not permitted"
	assert_output_contains "mkdir=1"
	assert_output_contains "touch-ok"
	assert_output_contains $'Seccomp:\t2'
}

@test "podman: the default seccomp profile is loaded; seccomp=unconfined removes it" {
	pm_run "$IMG" grep ^Seccomp: /proc/self/status
	assert_success
	assert_equal "$output" $'Seccomp:\t2'
	pm_run --security-opt seccomp=unconfined "$IMG" grep ^Seccomp: /proc/self/status
	assert_success
	assert_equal "$output" $'Seccomp:\t0'
}

@test "podman: ward's default seccomp profile (ward seccomp default) loads as a podman profile" {
	"$WARD" seccomp default >"$PM/ward-default-seccomp.json"
	pm_run --security-opt seccomp="$PM/ward-default-seccomp.json" "$IMG" \
		sh -c 'grep ^Seccomp: /proc/self/status; unshare -n true 2>/dev/null; echo "unshare=$?"; mkdir /tmp/d && echo mkdir-ok'
	assert_success
	assert_output_contains $'Seccomp:\t2'
	assert_output_contains "unshare=1"
	assert_output_contains "mkdir-ok"
}

@test "podman: --security-opt no-new-privileges sets NoNewPrivs" {
	pm_run "$IMG" grep ^NoNewPrivs: /proc/self/status
	assert_equal "$output" $'NoNewPrivs:\t0'
	pm_run --security-opt no-new-privileges "$IMG" grep ^NoNewPrivs: /proc/self/status
	assert_success
	assert_equal "$output" $'NoNewPrivs:\t1'
}

# --------------------------------------------------------------- mounts ----

@test "podman: --read-only --read-only-tmpfs=false makes / read-only" {
	pm_run --read-only --read-only-tmpfs=false "$IMG" sh -c 'touch /x 2>&1; echo "rc=$?"'
	assert_success
	assert_output_contains "Read-only file system"
	assert_output_contains "rc=1"
}

@test "podman: --read-only keeps /tmp, /run, /var/tmp writable (tmpfs with tmpcopyup)" {
	# podman mounts those three as tmpfs with the "tmpcopyup" option.
	pm_run --read-only "$IMG" sh -c 'touch /x 2>/dev/null || echo root-ro; touch /tmp/a /run/b /var/tmp/c && echo tmp-rw'
	assert_success
	assert_output_contains "root-ro"
	assert_output_contains "tmp-rw"
}

@test "podman: --tmpfs copies the image's directory into the tmpfs (tmpcopyup)" {
	pm_run --tmpfs /home "$IMG" sh -c 'grep " /home " /proc/mounts; ls -ld /home/ward'
	assert_success
	assert_output_contains "tmpfs /home tmpfs"
	assert_output_contains "ward"
}

@test "podman: --tmpfs DIR:notmpcopyup mounts an empty tmpfs" {
	pm_run --tmpfs /scratch:notmpcopyup,size=1m "$IMG" sh -c 'grep " /scratch " /proc/mounts'
	assert_success
	assert_output_contains "size=1024k"
}

@test "podman: -v bind mounts, read-write and :ro" {
	mkdir -p "$PM/share/rw" "$PM/share/ro"
	echo from-host >"$PM/share/ro/f"
	pm_run -v "$PM/share/rw:/rw" -v "$PM/share/ro:/ro:ro" "$IMG" \
		sh -c 'cat /ro/f; echo from-container > /rw/g; echo x > /ro/h 2>/dev/null || echo ro-refused'
	assert_success
	assert_output_contains "from-host"
	assert_output_contains "ro-refused"
	[ "$(cat "$PM/share/rw/g")" = from-container ]
	[ ! -e "$PM/share/ro/h" ]
}

@test "podman: named volume persists between containers" {
	pm_run -v wardvol:/data "$IMG" sh -c 'echo kept > /data/f'
	assert_success
	pm_run -v wardvol:/data "$IMG" cat /data/f
	assert_success
	assert_equal "$output" kept
	pm volume rm -f wardvol >/dev/null
}

# ------------------------------------------------------------- cgroups -----

@test "podman: --memory 64m and --pids-limit 64 reach the container's cgroup" {
	pm_start --name lim --network none --memory 64m --pids-limit 64 "$IMG" sleep 1000
	local mem pids
	mem=$(cgroup_dir_of "$CPID" memory)
	pids=$(cgroup_dir_of "$CPID" pids)
	if [ -f "$mem/memory.limit_in_bytes" ]; then
		assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	else
		assert_equal "$(cat "$mem/memory.max")" 67108864
	fi
	assert_equal "$(cat "$pids/pids.max")" 64
	[[ "$mem" == *"libpod-$CID"* ]]
	# podman update goes through the runtime's `update --resources`.
	run pm update --memory 128m lim
	assert_success
	if [ -f "$mem/memory.limit_in_bytes" ]; then
		assert_equal "$(cat "$mem/memory.limit_in_bytes")" 134217728
	else
		assert_equal "$(cat "$mem/memory.max")" 134217728
	fi
}

@test "podman: a fork bomb stops at --pids-limit" {
	pm_run --pids-limit 20 "$IMG" sh -c 'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo all-forked'
	assert_output_contains "can't fork: Resource temporarily unavailable"
	assert_output_not_contains "all-forked"
}

@test "podman: cpu, cpuset, memory-swap, oom-score-adj, shm-size, ulimit, sysctl, private cgroupns" {
	pm_run --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --memory 32m --memory-swap 32m \
		--oom-score-adj 100 --shm-size 8m --ulimit core=0:0 --sysctl kernel.msgmax=4096 \
		--cgroupns private "$IMG" sh -c '
		for f in cpu/cpu.cfs_quota_us cpu/cpu.shares cpuset/cpuset.cpus memory/memory.memsw.limit_in_bytes; do
			echo "$f=$(cat /sys/fs/cgroup/$f 2>/dev/null || echo none)"
		done
		echo "oom=$(cat /proc/self/oom_score_adj) core=$(ulimit -c) msgmax=$(cat /proc/sys/kernel/msgmax)"
		df -k /dev/shm | tail -1; head -1 /proc/self/cgroup'
	assert_success
	if [ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/memory ]; then
		assert_output_contains "cpu/cpu.cfs_quota_us=50000"
		assert_output_contains "cpu/cpu.shares=512"
		assert_output_contains "cpuset/cpuset.cpus=0"
		assert_output_contains "memory/memory.memsw.limit_in_bytes=33554432"
	fi
	assert_output_contains "oom=100 core=0 msgmax=4096"
	assert_output_matches 'shm +8192 '
	assert_output_matches $'\n[0-9]+:[^:]*:/$'
}

# ---------------------------------------------------------------- init -----

@test "podman: --init runs podman's init (catatonit) as pid 1" {
	pm_run --init "$IMG" ps -o pid,args
	assert_success
	assert_output_matches '1 /run/podman-init -- ps'
}

# ------------------------------------------------------------- devices -----

@test "podman: --device /dev/fuse creates the device node (linux.devices with st_mode fileMode)" {
	# podman sets linux.devices[].fileMode to the host node's st_mode,
	# S_IFCHR included (0o20600 = 8576); runc and crun accept that.
	[ -c /dev/fuse ] || skip "no /dev/fuse on this machine"
	pm_run --device /dev/fuse "$IMG" sh -c 'ls -l /dev/fuse'
	assert_success
	assert_output_matches '^crw-------.* 10, +229 '
}

@test "podman: --privileged runs with every capability and the host's devices" {
	pm_run --privileged "$IMG" sh -c 'grep ^CapEff: /proc/self/status; ls /dev/fuse'
	assert_success
	assert_output_contains "/dev/fuse"
	[ "$(cap_hex CapEff <<<"$output")" = "$(cap_hex CapBnd </proc/self/status)" ]
}

# ------------------------------------------------------------- network -----

@test "podman: --network none has only the loopback interface" {
	pm_run "$IMG" sh -c 'ls /sys/class/net'
	assert_success
	assert_equal "$output" lo
}

@test "podman: default network (netavark bridge): eth0 has an address, a port publishes on 127.0.0.1" {
	[ -x /usr/lib/podman/netavark ] || skip "netavark is not installed"
	mkdir -p "$PM/share/www"
	echo hello-from-ward >"$PM/share/www/index.html"
	run_file pm run -d --name web "${ULIMITS[@]}" -p 127.0.0.1:18089:8080 -v "$PM/share/www:/www:ro" \
		"$IMG" httpd -f -p 8080 -h /www
	assert_success
	run pm exec web sh -c 'ip -4 addr show eth0'
	assert_success
	assert_output_matches 'inet 10\.88\.'
	WAIT_TRIES=50 wait_for busybox wget -q -O /dev/null http://127.0.0.1:18089/index.html
	run busybox wget -q -O - http://127.0.0.1:18089/index.html
	assert_equal "$output" hello-from-ward
}

@test "podman: --network container:X joins another container's network namespace" {
	pm_start --name netowner --network none "$IMG" sleep 1000
	local want
	want=$(readlink "/proc/$CPID/ns/net")
	run pm run --rm "${ULIMITS[@]}" --network container:netowner "$IMG" readlink /proc/self/ns/net
	assert_success
	assert_equal "$output" "$want"
}

@test "podman: --pid container:X and --ipc container:X share those namespaces" {
	pm_start --name pidowner --network none --ipc shareable "$IMG" sleep 1000
	local want
	want="$(readlink "/proc/$CPID/ns/pid") $(readlink "/proc/$CPID/ns/ipc")"
	pm_run --pid container:pidowner --ipc container:pidowner "$IMG" sh -c 'echo $(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/ipc); cat /proc/1/cmdline'
	assert_success
	assert_output_contains "$want"
	assert_output_contains "sleep1000"
}

@test "podman: a pod (infra container + member sharing its namespaces)" {
	run pm pod create --name wardpod --network none
	assert_success
	pm_run --pod wardpod "$IMG" hostname
	assert_success
	assert_output_contains wardpod
	pm pod rm -f wardpod >/dev/null
}

# ------------------------------------------------------------ inspect ------

@test "podman: ward inspect reports the confinement of a podman container" {
	require_ward
	pm_start --name insp --network none --cap-drop ALL --cap-add NET_ADMIN \
		--security-opt no-new-privileges "$IMG" sleep 1000
	run "$RUNTIME" --root "$(runtime_default_root)" inspect --format json "$CID"
	assert_success
	jq -e . <<<"$output" >/dev/null
	run "$RUNTIME" --root "$(runtime_default_root)" inspect "$CID"
	assert_success
	assert_output_contains "CAP_NET_ADMIN"
	assert_output_not_contains "CAP_CHOWN"
	assert_output_matches 'no_new_privs +(yes|YES)'
	assert_output_matches 'seccomp +filter'
}

@test "podman: --annotation org.ward.audit.id is the container's audit ID in ward's state and records" {
	require_ward
	local uuid=6a1c3e2f-9b8d-4c7e-a5f4-3d2c1b0a9e8f
	run_file env CONTAINERS_CONF="$PM/audit.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" \
		podman run -d "${ULIMITS[@]}" --network none --annotation "org.ward.audit.id=$uuid" "$IMG" sleep 1000
	assert_success
	CID=${output##*$'\n'}
	local root
	root=$(runtime_default_root)
	run "$RUNTIME" --root "$root" state "$CID"
	assert_success
	assert_equal "$(jq -r '.annotations["org.ward.audit.id"]' <<<"$output")" "$uuid"
	run env CONTAINERS_CONF="$PM/audit.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" \
		podman rm -f -t 0 "$CID"
	assert_success
	# Every record of it, in the container's log and the host's, has the ID.
	run jq -r '"\(.op) \(.auditId)"' "$root/@audit/$CID.jsonl"
	assert_output_contains "create $uuid"
	assert_output_contains "start $uuid"
	assert_output_contains "delete $uuid"
	run jq -r 'select(.id == "'"$CID"'") | .auditId' "$PM/audit-host.jsonl"
	assert_success
	[ -n "$output" ]
	[ "$(sort -u <<<"$output")" = "$uuid" ]
	rm -f "$root/@audit/$CID.jsonl"
}

# ------------------------------------------------------------ rootless -----
# As the unprivileged user $RL_USER: podman makes a user namespace (newuidmap,
# /etc/subuid) and runs conmon and the runtime inside it as uid 0.

RL_USER=wardeng

rootless_prepare() {
	[ -f "$PM/rootless.skip" ] && skip "$(cat "$PM/rootless.skip")"
	[ -f "$PM/rootless.ok" ] && return 0
	local why=""
	if ! id -u "$RL_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$RL_USER" 2>/dev/null || why="cannot create user $RL_USER"
	fi
	if [ -z "$why" ] && ! grep -q "^$RL_USER:" /etc/subuid; then
		usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$RL_USER" ||
			why="cannot give $RL_USER a subordinate id range"
	fi
	[ -z "$why" ] && ! command -v newuidmap >/dev/null && why="newuidmap is missing (package uidmap)"
	[ -z "$why" ] && [ "$(cat /proc/sys/user/max_user_namespaces)" -eq 0 ] &&
		why="user namespaces are disabled (user.max_user_namespaces=0)"
	if [ -n "$why" ]; then
		echo "$why" >"$PM/rootless.skip"
		skip "$why"
	fi
	local rl="$PM/rl"
	mkdir -p "$rl/xdg" "$rl/home"
	cp "$IMAGE_CACHE/rootfs.tar" "$rl/rootfs.tar"
	sed -e "s|^graphroot = .*|graphroot = \"$rl/storage\"|" \
		-e "s|^runroot = .*|runroot = \"$rl/rr\"|" "$PM/storage.conf" >"$rl/storage.conf"
	echo "rootless_storage_path = \"$rl/storage\"" >>"$rl/storage.conf"
	sed -e "s|$PM/|$rl/|g" "$PM/ward.conf" >"$rl/ward.conf"
	chown -R "$RL_USER:" "$rl"
	chmod 700 "$rl/xdg"
	if ! rl_raw test -x "$RUNTIME"; then
		echo "$RL_USER cannot execute $RUNTIME (a directory on its path is not searchable)" >"$PM/rootless.skip"
		skip "$(cat "$PM/rootless.skip")"
	fi
	rl_raw podman import --change CMD=/bin/sh "$rl/rootfs.tar" localhost/ward-busybox:latest >/dev/null 2>&1
	touch "$PM/rootless.ok"
}

rl_raw() {
	local rl="$PM/rl"
	setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups \
		env -i HOME="$rl/home" USER="$RL_USER" LOGNAME="$RL_USER" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="$rl/xdg" \
		CONTAINERS_CONF="$rl/ward.conf" CONTAINERS_STORAGE_CONF="$rl/storage.conf" \
		sh -c 'cd "$HOME" && exec "$@"' sh "$@"
}
rl() {
	run_file rl_raw "$@"
}

rootless_teardown() {
	local rl="$PM/rl"
	[ -f "$PM/rootless.ok" ] || return 0
	rl_raw podman rm -af -t 0 >/dev/null 2>&1 || true
	rl_raw podman rmi -af >/dev/null 2>&1 || true
	# podman's rootless pause process (catatonit -P) keeps the user
	# namespace alive; its pid file is in tmp_dir (or XDG_RUNTIME_DIR).
	local p
	for p in $(cat "$rl/tmp/pause.pid" "$rl/xdg/libpod/tmp/pause.pid" 2>/dev/null) $(pids_mentioning "$rl/"); do
		kill -9 "$p" 2>/dev/null || true
	done
	umount_below "$rl"
}

@test "podman rootless: run as an unprivileged user (uid 0 mapped to the user)" {
	rootless_prepare
	rl podman run --rm "${ULIMITS[@]}" --network none "$IMG" sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_output_matches $'^0\n'
	assert_output_matches " +0 +$(id -u "$RL_USER") +1"
}

@test "podman rootless: run -d, exec, stop, rm" {
	rootless_prepare
	rl podman run -d --name rl1 "${ULIMITS[@]}" --network none "$IMG" sleep 1000
	assert_success
	rl podman exec rl1 sh -c 'echo in-exec; exit 4'
	assert_status 4
	assert_output_contains in-exec
	rl podman stop -t 0 rl1
	assert_success
	rl podman rm rl1
	assert_success
}

@test "podman rootless: default network (slirp4netns)" {
	rootless_prepare
	if ! rl_raw sh -c ': < /dev/net/tun' 2>/dev/null && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		skip "/dev/net/tun is mode $(stat -c %a /dev/net/tun) owned by root on this machine: slirp4netns cannot open it from the rootless user namespace (podman 4.3 has no pasta)"
	fi
	rl podman run --rm "${ULIMITS[@]}" "$IMG" sh -c 'ip -4 addr show tap0'
	assert_success
	assert_output_contains "inet 10.0.2.100"
}

# ------------------------------------------------ the admission policy -----

# A runtime that is ward with an admission policy: podman --runtime WRAPPER.
policy_runtime() {
	printf '%s\n' "$1" >"$PM/policy.json"
	printf '#!/bin/sh\nexec "%s" --policy "%s" "$@"\n' "$RUNTIME" "$PM/policy.json" >"$PM/ward-policy"
	chmod 755 "$PM/ward-policy"
}
pmp() {
	CONTAINERS_CONF=$PM/base.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf \
		podman --runtime "$PM/ward-policy" "$@"
}

@test "podman: a container ward's policy refuses shows ward's reason to the user; nothing is left" {
	require_ward
	policy_runtime '{"level": "baseline"}'
	run pmp run --name pol1 --rm "${ULIMITS[@]}" --network none --cap-add SYS_ADMIN "$IMG" true
	assert_failure
	assert_output_contains "policy baseline/capabilities: process.capabilities.bounding: CAP_SYS_ADMIN is not among the allowed capabilities"
	[ ! -e "$(runtime_default_root)/pol1" ]
	run pmp ps -a --format '{{.Names}}'
	assert_output_not_contains pol1
	run pmp run --rm "${ULIMITS[@]}" --network none "$IMG" echo admitted
	assert_success
	assert_output_contains admitted
}

@test "podman: --annotation claiming a Kubernetes namespace does not reach an exemption" {
	require_ward
	policy_runtime '{"level": "baseline", "exemptions": [{"namespaces": ["kube-system"]}]}'
	run pmp run --rm "${ULIMITS[@]}" --network none --security-opt seccomp=unconfined \
		--annotation io.kubernetes.cri.sandbox-namespace=kube-system \
		--annotation io.kubernetes.pod.namespace=kube-system "$IMG" true
	assert_failure
	assert_output_contains "policy baseline/seccomp: linux.seccomp: absent"
}

@test "podman: exec --privileged is refused with ward's reason" {
	require_ward
	policy_runtime '{"level": "baseline"}'
	run_file pmp run -d --name pol2 "${ULIMITS[@]}" --network none "$IMG" sleep 1000
	assert_success
	run pmp exec --privileged pol2 true
	assert_failure
	assert_output_contains "policy baseline/"
	assert_output_contains "process (exec).capabilities"
	run pmp exec pol2 true
	assert_success
	pmp rm -f -t 0 pol2 >/dev/null
}
