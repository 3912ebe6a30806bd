#!/usr/bin/env bats
# process.landlock, tested from the inside: each test makes a container try
# what its policy forbids and asserts the kernel's answer (EACCES, EXDEV,
# EPERM), and tries what the policy allows and asserts it works. The probe
# (tests/landlock/llprobe.c) makes one system call per argument and prints
# "ok" or the errno's name.
#
# The rootfs has two trees the tests use: /ok (where a rule allows the right
# under test) and /no (where nothing allows it), each with files f, g, a/f,
# directories a, b, d and a copy of busybox named true.

load helpers
load helpers_inside
load helpers_landlock

setup_file() {
	build_llprobe
	HOST_MEMFD_NOEXEC=$(cat /proc/sys/vm/memfd_noexec 2>/dev/null || echo none)
	export HOST_MEMFD_NOEXEC
}

setup() {
	setup_bundle
	isolate_cgroup
	cp "$LLPROBE" "$BUNDLE/rootfs/bin/llprobe"
	local d
	for d in ok no; do
		mkdir -p "$BUNDLE/rootfs/$d/a" "$BUNDLE/rootfs/$d/b" "$BUNDLE/rootfs/$d/d"
		echo data >"$BUNDLE/rootfs/$d/f"
		echo data >"$BUNDLE/rootfs/$d/g"
		echo data >"$BUNDLE/rootfs/$d/a/f"
		cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/$d/true"
	done
	# The fs tests need a writable root; the wx tests set it back.
	update_config '.root.readonly = false'
	HOST_PIDS=()
}

teardown() {
	teardown_bundle
	local p
	for p in "${HOST_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}

R() { echo "$BUNDLE/rootfs$1"; }

# ---------------------------------------------------------------------------
# The control: without a policy every operation the tests use succeeds (so an
# EACCES below is Landlock's, not the file modes' or a capability's).

@test "control: without process.landlock every probed operation works" {
	# Device nodes need CAP_MKNOD, which ward spec leaves out.
	add_caps CAP_MKNOD
	update_config '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "m"}]'
	ll_probe exec:/no/true read:/no/f write:/no/f readdir:/no rmdir:/no/d unlink:/no/g \
		mkdir:/no/m mkreg:/no/r mkfifo:/no/p mksock:/no/s symlink:/no/l mkchar:/no/c \
		mkblock:/no/bl rename:/no/a/f:/no/b/f truncate:/no/f ioctl:/dev/zero bind:8081 \
		connect:8082
	assert_success
	assert_lines ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ENOTTY ok ECONNREFUSED
}

# ---------------------------------------------------------------------------
# Filesystem rights, one at a time: the right is handled, a rule allows it
# beneath /ok only.

@test "fs execute: allowed beneath /ok, EACCES elsewhere (also /bin)" {
	# The probe itself must stay executable.
	one_right execute /ok /bin/llprobe
	ll_probe exec:/ok/true exec:/no/true exec:/bin/busybox
	assert_success
	assert_lines ok EACCES EACCES
}

@test "fs read_file: allowed beneath /ok, EACCES elsewhere" {
	# execve reads the program: the probe needs read_file too.
	one_right read_file /ok /bin/llprobe
	ll_probe read:/ok/f read:/ok/a/f read:/no/f read:/etc/passwd
	assert_success
	assert_lines ok ok EACCES EACCES
}

@test "fs read_file: a rule on a single file allows that file only" {
	one_right read_file /ok/f /bin/llprobe
	ll_probe read:/ok/f read:/ok/g
	assert_success
	assert_lines ok EACCES
}

@test "fs write_file: allowed beneath /ok, EACCES elsewhere; the file is unchanged" {
	one_right write_file /ok
	ll_probe write:/ok/f write:/no/f
	assert_success
	assert_lines ok EACCES
	[ "$(cat "$(R /no/f)")" = data ]
	[ "$(head -c1 "$(R /ok/f)")" = x ]
}

@test "fs read_dir: allowed beneath /ok, EACCES elsewhere" {
	one_right read_dir /ok
	ll_probe readdir:/ok readdir:/ok/a readdir:/no readdir:/
	assert_success
	assert_lines ok ok EACCES EACCES
}

@test "fs remove_dir: allowed beneath /ok, EACCES elsewhere" {
	one_right remove_dir /ok
	ll_probe rmdir:/ok/d rmdir:/no/d
	assert_success
	assert_lines ok EACCES
	[ ! -e "$(R /ok/d)" ]
	[ -d "$(R /no/d)" ]
}

@test "fs remove_file: allowed beneath /ok, EACCES elsewhere" {
	one_right remove_file /ok
	ll_probe unlink:/ok/g unlink:/no/g
	assert_success
	assert_lines ok EACCES
	[ ! -e "$(R /ok/g)" ]
	[ -f "$(R /no/g)" ]
}

@test "fs make_dir: allowed beneath /ok, EACCES elsewhere" {
	one_right make_dir /ok
	ll_probe mkdir:/ok/m mkdir:/no/m
	assert_success
	assert_lines ok EACCES
	[ -d "$(R /ok/m)" ]
	[ ! -e "$(R /no/m)" ]
}

@test "fs make_reg: allowed beneath /ok, EACCES elsewhere" {
	one_right make_reg /ok
	ll_probe mkreg:/ok/r mkreg:/no/r
	assert_success
	assert_lines ok EACCES
	[ -f "$(R /ok/r)" ]
	[ ! -e "$(R /no/r)" ]
}

@test "fs make_fifo: allowed beneath /ok, EACCES elsewhere" {
	one_right make_fifo /ok
	ll_probe mkfifo:/ok/p mkfifo:/no/p
	assert_success
	assert_lines ok EACCES
	[ -p "$(R /ok/p)" ]
	[ ! -e "$(R /no/p)" ]
}

@test "fs make_sock: allowed beneath /ok, EACCES elsewhere" {
	one_right make_sock /ok
	ll_probe mksock:/ok/s mksock:/no/s
	assert_success
	assert_lines ok EACCES
	[ -S "$(R /ok/s)" ]
	[ ! -e "$(R /no/s)" ]
}

@test "fs make_sym: allowed beneath /ok, EACCES elsewhere" {
	one_right make_sym /ok
	ll_probe symlink:/ok/l symlink:/no/l
	assert_success
	assert_lines ok EACCES
	[ -L "$(R /ok/l)" ]
	[ ! -L "$(R /no/l)" ]
}

@test "fs make_char: allowed beneath /ok, EACCES elsewhere" {
	# Device nodes need CAP_MKNOD, which ward spec leaves out.
	add_caps CAP_MKNOD
	one_right make_char /ok
	ll_probe mkchar:/ok/c mkchar:/no/c
	assert_success
	assert_lines ok EACCES
	[ -c "$(R /ok/c)" ]
	[ ! -e "$(R /no/c)" ]
}

@test "fs make_block: allowed beneath /ok, EACCES elsewhere" {
	# Device nodes need CAP_MKNOD, which ward spec leaves out.
	add_caps CAP_MKNOD
	update_config '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "m"}]'
	one_right make_block /ok
	ll_probe mkblock:/ok/bl mkblock:/no/bl
	assert_success
	assert_lines ok EACCES
	[ -b "$(R /ok/bl)" ]
	[ ! -e "$(R /no/bl)" ]
}

@test "fs refer: moving a file to another directory is EXDEV unless allowed; a rename in place is not refer" {
	need_abi 2 "refer"
	one_right refer /ok
	ll_probe rename:/ok/a/f:/ok/b/f rename:/no/a/f:/no/b/f rename:/no/a/f:/no/a/f2
	assert_success
	assert_lines ok EXDEV ok
	[ -f "$(R /ok/b/f)" ]
	[ -f "$(R /no/a/f2)" ]
	[ ! -e "$(R /no/b/f)" ]
}

@test "fs truncate: truncate(2) and O_TRUNC allowed beneath /ok, EACCES elsewhere" {
	need_abi 3 "truncate"
	one_right truncate /ok
	ll_probe truncate:/ok/f otrunc:/ok/g truncate:/no/f otrunc:/no/g
	assert_success
	assert_lines ok ok EACCES EACCES
	[ ! -s "$(R /ok/f)" ]
	[ "$(cat "$(R /no/f)")" = data ]
	[ "$(cat "$(R /no/g)")" = data ]
}

@test "fs ioctl_dev: a device ioctl on /dev/null (allowed) reaches the driver, on /dev/zero is EACCES" {
	need_abi 5 "ioctl_dev"
	one_right ioctl_dev /dev/null
	ll_probe ioctl:/dev/null ioctl:/dev/zero
	assert_success
	# ENOTTY is the null driver's answer: the ioctl got through.
	assert_lines ENOTTY EACCES
}

@test "fs: rights the ruleset does not handle stay unrestricted" {
	one_right make_dir /ok
	ll_probe mkdir:/no/m mkreg:/no/r read:/no/f write:/no/f unlink:/no/g
	assert_success
	assert_lines EACCES ok ok ok ok
}

# ---------------------------------------------------------------------------
# Network

@test "net: bind and connect only to the allowed TCP ports" {
	need_abi 4 "handledAccessNet"
	set_landlock '{"ruleset": {"handledAccessNet": ["bind_tcp", "connect_tcp"]},
		"rules": {"netPort": [
			{"allowedAccess": ["bind_tcp"], "ports": [8081]},
			{"allowedAccess": ["connect_tcp"], "ports": [8082]},
			{"allowedAccess": ["bind_tcp", "connect_tcp"], "ports": [8085]}]}}'
	ll_probe bind:8081 bind:8083 connect:8082 connect:8084 loop:8085 loop:8081
	assert_success
	# connect:8082 is allowed and finds nobody listening; loop:8081 binds
	# and listens but may not connect.
	assert_lines ok EACCES ECONNREFUSED EACCES ok EACCES
}

@test "net: only the handled kind is restricted (bind handled, connect free)" {
	need_abi 4 "handledAccessNet"
	set_landlock '{"ruleset": {"handledAccessNet": ["bind_tcp"]},
		"rules": {"netPort": [{"allowedAccess": ["bind_tcp"], "ports": [8081]}]}}'
	ll_probe bind:8081 bind:8086 connect:8086
	assert_success
	assert_lines ok EACCES ECONNREFUSED
}

# ---------------------------------------------------------------------------
# Scopes. A process outside the container's domain is needed: the container
# shares the host's network (abstract sockets) or pid (signals) namespace
# with the test, which provides the outside process.

@test "scope abstract_unix_socket: no connecting to a host's abstract socket; inside the domain it works" {
	need_abi 6 "scoped"
	remove_namespace network
	local name="ward-ll-$$-$BATS_TEST_NUMBER" ready="$BATS_TEST_TMPDIR/ready"
	"$LLPROBE" "aserve:$name:$ready" >"$BATS_TEST_TMPDIR/server.out" 2>&1 &
	HOST_PIDS+=($!)
	wait_file "$ready"
	set_landlock '{"ruleset": {"scoped": ["abstract_unix_socket"]}}'
	set_args sh -c "llprobe aconnect:$name; llprobe aserve:$name-in:/tmp/r >/tmp/srv & \
		while [ ! -e /tmp/r ]; do sleep 0.05; done; llprobe aconnect:$name-in; wait; cat /tmp/srv"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	# host: EPERM; in the domain: the client's ok, then the server's.
	assert_lines EPERM ok ok
	# The control: without the scope the same connection reaches the host.
	update_config 'del(.process.landlock)'
	set_args llprobe "aconnect:$name"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines ok
	wait "${HOST_PIDS[0]}"
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = ok ]
}

@test "scope signal: no signal to a host process; inside the domain it works" {
	need_abi 6 "scoped"
	remove_namespace pid
	sleep 60 &
	local victim=$!
	HOST_PIDS+=("$victim")
	set_landlock '{"ruleset": {"scoped": ["signal"]}}'
	set_args sh -c "llprobe kill:$victim:15; sleep 30 & llprobe kill:\$!:15; wait"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines EPERM ok
	kill -0 "$victim"
	# The control: without the scope the container may signal it (root, CAP_KILL).
	update_config 'del(.process.landlock)'
	set_args llprobe "kill:$victim:0"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines ok
}

# ---------------------------------------------------------------------------
# Negotiation with the kernel's ABI, and bad policies

# The rights ward knows that this kernel lacks (name, ABI), newest first.
rights_beyond_kernel() {
	local abi
	abi=$(kernel_ll_abi)
	jq -rn --argjson k "$abi" '[
		["ioctl_dev", 5, "handledAccessFS"], ["truncate", 3, "handledAccessFS"],
		["refer", 2, "handledAccessFS"], ["bind_tcp", 4, "handledAccessNet"],
		["signal", 6, "scoped"]] | map(select(.[1] > $k)) | .[0] // empty | @tsv'
}

# make_dir handled and allowed beneath /ok, plus RIGHT in FIELD:
#   beyond_policy FIELD RIGHT DISABLE_BEST_EFFORT
beyond_policy() {
	jq -nc --arg f "$1" --arg r "$2" --argjson s "$3" '{disableBestEffort: $s,
		ruleset: {handledAccessFS: ["make_dir"]},
		rules: {pathBeneath: [{allowedAccess: ["make_dir"], paths: ["/ok"]}]}}
		| .ruleset[$f] = ((.ruleset[$f] // []) + [$r])'
}

@test "best effort: a right newer than the kernel's ABI is dropped, the rest enforced, inspect names it" {
	local line right abi field
	line=$(rights_beyond_kernel)
	[ -n "$line" ] || skip "this kernel (Landlock ABI $(kernel_ll_abi)) has every right ward knows (the KVM lane runs this on Linux 6.1, ABI 2)"
	read -r right abi field <<<"$line"
	set_landlock "$(beyond_policy "$field" "$right" false)"
	set_args sh -c 'llprobe mkdir:/no/m mkdir:/ok/m; sleep 30'
	run_detached run -d -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	wait_status "ll-$BATS_TEST_NUMBER" running
	run ward inspect --format json "ll-$BATS_TEST_NUMBER"
	assert_success
	[ "$(jq -c .landlock.policy.dropped <<<"$output")" = "[\"$right\"]" ]
	[ "$(jq -r .landlock.policy.enforced <<<"$output")" = true ]
	[ "$(jq -c .landlock.policy.handledAccessFS <<<"$output")" = '["make_dir"]' ]
	# The rest of the policy is enforced.
	[ -d "$(R /ok/m)" ]
	[ ! -e "$(R /no/m)" ]
}

@test "disableBestEffort: a right newer than the kernel's ABI refuses the container, naming it" {
	local line right abi field
	line=$(rights_beyond_kernel)
	[ -n "$line" ] || skip "this kernel (Landlock ABI $(kernel_ll_abi)) has every right ward knows (the KVM lane runs this on Linux 6.1, ABI 2)"
	read -r right abi field <<<"$line"
	set_landlock "$(beyond_policy "$field" "$right" true)"
	local index=0
	[ "$field" != handledAccessFS ] || index=1
	ll_probe mkdir:/ok/m
	assert_failure
	assert_output_contains "process.landlock.ruleset.$field[$index]: \"$right\" needs Landlock ABI $abi; this kernel has ABI $(kernel_ll_abi) (disableBestEffort is set)"
	[ ! -e "$(R /ok/m)" ]
	assert_no_leftovers "ll-$BATS_TEST_NUMBER"
	assert_no_test_cgroup
}

@test "disableBestEffort with every right the kernel has: the container runs" {
	set_landlock '{"disableBestEffort": true, "ruleset": {"handledAccessFS": ["make_dir"]},
		"rules": {"pathBeneath": [{"allowedAccess": ["make_dir"], "paths": ["/ok"]}]}}'
	ll_probe mkdir:/ok/m mkdir:/no/m
	assert_success
	assert_lines ok EACCES
}

@test "unknown right names are errors naming the field, in every list" {
	local bad
	for bad in '{"ruleset": {"handledAccessFS": ["read_file", "read_everything"]}}' \
		'{"ruleset": {"handledAccessNet": ["bind_udp"]}}' \
		'{"ruleset": {"scoped": ["ptrace"]}}' \
		'{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": {"pathBeneath": [{"allowedAccess": ["read_files"], "paths": ["/"]}]}}' \
		'{"ruleset": {"handledAccessFS": ["read_file"]}, "restrictSelf": ["log_everything"]}'; do
		set_landlock "$bad"
		ll_probe getpid
		assert_failure
		assert_output_contains "unknown access right"
		assert_no_leftovers "ll-$BATS_TEST_NUMBER"
	done
	set_landlock '{"ruleset": {"handledAccessFS": ["read_file", "read_everything"]}}'
	ll_probe getpid
	assert_output_contains 'config.json: process.landlock.ruleset.handledAccessFS[1]: unknown access right "read_everything"'
	set_landlock '{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": {"pathBeneath": [{"allowedAccess": ["read_files"], "paths": ["/"]}]}}'
	ll_probe getpid
	assert_output_contains 'process.landlock.rules.pathBeneath[0].allowedAccess[0]: unknown access right "read_files"'
}

@test "bad policies: clear errors naming the field, nothing left behind" {
	local -A cases=(
		['{"ruleset": []}']='process.landlock.ruleset: must be an object'
		['{}']='process.landlock.ruleset: handles no access right'
		['{"ruleset": {}}']='process.landlock.ruleset: handles no access right'
		['{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": []}']='process.landlock.rules: must be an object'
		['{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": {"pathBeneath": [{"allowedAccess": ["write_file"], "paths": ["/"]}]}}']='process.landlock.rules.pathBeneath[0].allowedAccess: "write_file" is not in ruleset.handledAccessFS'
		['{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": {"pathBeneath": [{"allowedAccess": ["read_file"], "paths": ["etc"]}]}}']='process.landlock.rules.pathBeneath[0].paths[0]: must be an absolute path'
		['{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": {"pathBeneath": [{"allowedAccess": ["read_file"]}]}}']='process.landlock.rules.pathBeneath[0].paths: must be an array'
		['{"ruleset": {"handledAccessFS": ["read_file"]}, "rules": {"pathBeneath": ["/etc"]}}']='process.landlock.rules.pathBeneath[0]: must be an object'
		['{"ruleset": {"handledAccessNet": ["bind_tcp"]}, "rules": {"netPort": [{"allowedAccess": ["bind_tcp"], "ports": 80}]}}']='process.landlock.rules.netPort[0].ports: must be an array of port numbers'
		['{"ruleset": {"handledAccessNet": ["bind_tcp"]}, "rules": {"netPort": [{"allowedAccess": ["bind_tcp"], "ports": [70000]}]}}']='process.landlock.rules.netPort[0].ports[0]: must be a port number'
		['{"ruleset": {"handledAccessNet": ["bind_tcp"]}, "rules": {"netPort": [{"allowedAccess": ["connect_tcp"], "ports": [80]}]}}']='process.landlock.rules.netPort[0].allowedAccess: "connect_tcp" is not in ruleset.handledAccessNet'
		['{"ruleset": {"handledAccessFS": ["read_file"]}, "disableBestEffort": "yes"}']='process.landlock.disableBestEffort: must be a boolean'
		['{"preset": "rx"}']='process.landlock.preset: unknown preset'
		['"wx"']='process.landlock: must be an object'
	)
	local policy
	for policy in "${!cases[@]}"; do
		set_landlock "$policy"
		ll_probe getpid
		assert_failure
		assert_output_contains "config.json: ${cases[$policy]}"
		assert_no_leftovers "ll-$BATS_TEST_NUMBER"
	done
	assert_no_test_cgroup
}

@test "missing rule path with disableBestEffort: refused, naming the field and the path; nothing left behind" {
	set_landlock '{"disableBestEffort": true, "ruleset": {"handledAccessFS": ["make_dir"]},
		"rules": {"pathBeneath": [{"allowedAccess": ["make_dir"], "paths": ["/ok", "/not/there"]}]}}'
	ll_probe mkdir:/ok/m
	assert_failure
	assert_output_contains 'config.json: process.landlock.rules.pathBeneath[0].paths[1]: "/not/there" does not exist in the container (disableBestEffort is set)'
	[ ! -e "$(R /ok/m)" ]
	assert_no_leftovers "ll-$BATS_TEST_NUMBER"
	assert_no_test_cgroup
}

@test "missing rule path under best effort: a warning naming it, the rule is skipped, the rest enforced; inspect lists it" {
	set_landlock '{"ruleset": {"handledAccessFS": ["make_dir"]},
		"rules": {"pathBeneath": [{"allowedAccess": ["make_dir"], "paths": ["/not/there", "/ok"]}]}}'
	set_args sh -c 'llprobe mkdir:/ok/m mkdir:/no/m; sleep 30'
	run_detached run -d -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_output_contains 'warning: config.json: process.landlock.rules.pathBeneath[0].paths[0]: "/not/there" does not exist in the container; rule skipped (best effort)'
	wait_status "ll-$BATS_TEST_NUMBER" running
	run ward inspect --format json "ll-$BATS_TEST_NUMBER"
	assert_success
	[ "$(jq -c .landlock.policy.skippedPaths <<<"$output")" = '["/not/there"]' ]
	[ "$(jq -r .landlock.policy.enforced <<<"$output")" = true ]
	local i
	for i in $(seq 1 100); do [ -d "$(R /ok/m)" ] && break; sleep 0.05; done
	[ -d "$(R /ok/m)" ]
	[ ! -e "$(R /no/m)" ]
}

# ---------------------------------------------------------------------------
# ward exec

@test "ward exec: the exec'd process is bound by the container's policy, whatever process.json says" {
	one_right make_dir /ok
	set_args sleep 60
	run_detached run -d -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	wait_status "ll-$BATS_TEST_NUMBER" running
	run ward exec "ll-$BATS_TEST_NUMBER" llprobe mkdir:/no/m1 mkdir:/ok/m1
	assert_success
	assert_lines EACCES ok
	# A process.json that brings no policy of its own, and one that brings a
	# permissive one: neither is a way out.
	jq -n '{terminal: false, cwd: "/", user: {uid: 0, gid: 0},
		args: ["llprobe", "mkdir:/no/m2"], env: ["PATH=/bin"]}' >"$BATS_TEST_TMPDIR/p1.json"
	run ward exec --process "$BATS_TEST_TMPDIR/p1.json" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines EACCES
	jq '.landlock = {ruleset: {handledAccessFS: ["make_dir"]},
		rules: {pathBeneath: [{allowedAccess: ["make_dir"], paths: ["/"]}]}}' \
		"$BATS_TEST_TMPDIR/p1.json" >"$BATS_TEST_TMPDIR/p2.json"
	run ward exec --process "$BATS_TEST_TMPDIR/p2.json" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines EACCES
	# Its children too (Landlock is inherited).
	run ward exec "ll-$BATS_TEST_NUMBER" sh -c 'sh -c "llprobe mkdir:/no/m3"'
	assert_success
	assert_lines EACCES
	[ ! -e "$(R /no/m1)" ]
	[ ! -e "$(R /no/m2)" ]
	[ ! -e "$(R /no/m3)" ]
}

@test "ward exec: scopes hold for exec'd processes (no signal to the host); exec'd and init are separate domains" {
	need_abi 6 "scoped"
	remove_namespace pid
	sleep 60 &
	local victim=$!
	HOST_PIDS+=("$victim")
	set_landlock '{"ruleset": {"scoped": ["signal"]}}'
	set_args sh -c 'echo $$ >/tmp/init.pid; sleep 60'
	run_detached run -d -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	wait_status "ll-$BATS_TEST_NUMBER" running
	wait_file "$(R /tmp/init.pid)"
	local init
	init=$(cat "$(R /tmp/init.pid)")
	run ward exec "ll-$BATS_TEST_NUMBER" llprobe "kill:$victim:0"
	assert_success
	assert_lines EPERM
	kill -0 "$victim"
	# Landlock has no way to add a process to an existing domain: the exec'd
	# process gets the same policy in a domain of its own, a sibling of the
	# init's, so a scope also separates the two (docs/landlock.md).
	run ward exec "ll-$BATS_TEST_NUMBER" llprobe "kill:$init:0"
	assert_success
	assert_lines EPERM
	# Within its own domain, it can signal its children.
	run ward exec "ll-$BATS_TEST_NUMBER" sh -c 'sleep 30 & llprobe kill:$!:15; wait'
	assert_lines ok
}

# ---------------------------------------------------------------------------
# The "wx" preset

# A wx config as `ward spec --landlock` writes it, with the probe's paths:
#   /tmp      tmpfs, writable, exec allowed by the mount
#   /rw       a writable bind mount of a host directory holding a program
#   /ro       a read-only bind mount of a host directory holding a program
#   /tmp/ro   a read-only bind mount below the writable /tmp
wx_bundle() {
	rm "$BUNDLE/config.json"
	"$WARD" spec --bundle "$BUNDLE" --landlock
	update_config '.process.terminal = false'
	isolate_cgroup
	mkdir -p "$BATS_TEST_TMPDIR/hrw" "$BATS_TEST_TMPDIR/hro"
	cp "$BUNDLE/rootfs/bin/busybox" "$BATS_TEST_TMPDIR/hrw/prog"
	cp "$BUNDLE/rootfs/bin/busybox" "$BATS_TEST_TMPDIR/hro/prog"
	add_mount '{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}'
	add_mount "{\"destination\": \"/rw\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hrw\", \"options\": [\"rbind\", \"rw\"]}"
	add_mount "{\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hro\", \"options\": [\"rbind\", \"ro\"]}"
	add_mount "{\"destination\": \"/tmp/ro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hro\", \"options\": [\"rbind\", \"ro\"]}"
}

# What a memfd-exec gives under wx: EACCES where the kernel has
# vm.memfd_noexec; else ok, and create warns (warnings are dropped from
# $output here).
wx_without_memfd_noexec() {
	MEMFD=EACCES MEMFD_SET=true
	if [ ! -e /proc/sys/vm/memfd_noexec ]; then
		MEMFD=ok MEMFD_SET=false
		output=$(grep -v '^ward: warning: ' <<<"$output")
	fi
}

# (set_args takes one line per argument)
# /proc/self/exe is checked as the file it leads to (the probe, read-only);
# a memfd lives on no mount Landlock sees: vm.memfd_noexec=2 stops it.
WX_OPS='cp /bin/busybox /tmp/bb && cp /bin/busybox /dev/bb && llprobe exec:/bin/true exec:/proc/self/exe exec:/ro/prog exec:/tmp/ro/prog exec:/tmp/bb exec:/dev/bb exec:/rw/prog memfd-exec:/bin/busybox mkreg:/tmp/new mkreg:/rw/new mkreg:/etc/new mkreg:/ro/new'

@test "wx preset: programs of read-only mounts run; nothing on a writable mount can be executed; writes only where mounts are writable" {
	need_abi 1 "the wx preset"
	wx_bundle
	[ "$(jq -c .process.landlock "$BUNDLE/config.json")" = '{"preset":"wx","disableBestEffort":false}' ]
	[ "$(jq .root.readonly "$BUNDLE/config.json")" = true ]
	set_args sh -c "$WX_OPS"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	wx_without_memfd_noexec
	assert_lines ok ok ok ok EACCES EACCES EACCES "$MEMFD" ok ok EROFS EROFS
	[ -f "$BATS_TEST_TMPDIR/hrw/new" ]
	# The memfd setting is the container's pid namespace's, not the host's.
	[ "$(cat /proc/sys/vm/memfd_noexec 2>/dev/null || echo none)" = "$HOST_MEMFD_NOEXEC" ]
}

@test "wx preset: the control without it executes from the writable mounts" {
	wx_bundle
	update_config 'del(.process.landlock)'
	set_args sh -c "$WX_OPS"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines ok ok ok ok ok ok ok ok ok ok EROFS EROFS
}

@test "wx preset: ward exec'd processes cannot execute what they wrote either" {
	need_abi 1 "the wx preset"
	wx_bundle
	set_args sleep 60
	run_detached run -d -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	wait_status "ll-$BATS_TEST_NUMBER" running
	run ward exec "ll-$BATS_TEST_NUMBER" sh -c 'cp /bin/busybox /tmp/x && llprobe exec:/tmp/x memfd-exec:/bin/true exec:/bin/true'
	assert_success
	wx_without_memfd_noexec
	assert_lines EACCES "$MEMFD" ok
	run ward inspect --format json "ll-$BATS_TEST_NUMBER"
	assert_success
	[ "$(jq -c '.landlock.policy | [.preset, .memfdNoexec, .enforced]' <<<"$output")" = "[\"wx\",$MEMFD_SET,true]" ]
}

@test "wx preset without a pid namespace of its own: memfds stay executable, with a warning; refused with disableBestEffort" {
	need_abi 1 "the wx preset"
	[ -e /proc/sys/vm/memfd_noexec ] || skip "no vm.memfd_noexec (Linux < 6.3)"
	wx_bundle
	remove_namespace pid
	set_args llprobe memfd-exec:/bin/busybox exec:/bin/true
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_output_contains 'warning: config.json: process.landlock.preset: "wx" cannot keep the container from executing memfds: the container has no pid namespace of its own'
	[ "$(grep -v warning <<<"$output")" = "$(printf 'ok\nok')" ]
	[ "$(cat /proc/sys/vm/memfd_noexec)" = "$HOST_MEMFD_NOEXEC" ]
	update_config '.process.landlock.disableBestEffort = true'
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_failure
	assert_output_contains 'config.json: process.landlock.preset: "wx" cannot keep the container from executing memfds: the container has no pid namespace of its own (vm.memfd_noexec is a setting of the pid namespace) (disableBestEffort is set)'
	assert_no_leftovers "ll-$BATS_TEST_NUMBER"
}

@test "wx preset: refused with a writable root, saying why" {
	wx_bundle
	update_config '.root.readonly = false'
	ll_probe getpid
	assert_failure
	assert_output_contains 'config.json: process.landlock.preset: "wx" allows execution only beneath read-only mounts; it needs root.readonly true'
	assert_no_leftovers "ll-$BATS_TEST_NUMBER"
}

# ---------------------------------------------------------------------------
# Nesting: ward in a ward container (ward-static, built next to ward).

WARD_STATIC=${WARD_STATIC:-$(dirname "$WARD")/ward-static}

# An outer container that can run ward: the host's capabilities, no seccomp
# filter, no no_new_privs, a writable cgroup mount and /run; /inner is the
# inner bundle (a busybox rootfs with the probe and a `ward spec` config).
nested_bundle() {
	[ -x "$WARD_STATIC" ] || skip "no $WARD_STATIC (configure with -Dstatic_ward=enabled; needs libjansson-dev, libseccomp-dev static libraries)"
	local caps
	caps=$(host_cap_names_json)
	cp "$WARD_STATIC" "$BUNDLE/rootfs/bin/ward"
	mkdir -p "$BUNDLE/rootfs/inner"
	cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs/inner/rootfs"
	cp "$LLPROBE" "$BUNDLE/rootfs/inner/rootfs/bin/llprobe"
	"$WARD" spec --bundle "$BUNDLE/rootfs/inner"
	jq '.process.terminal = false | .linux.cgroupsPath = "/ll-inner"' \
		"$BUNDLE/rootfs/inner/config.json" >"$BUNDLE/inner.json"
	mv "$BUNDLE/inner.json" "$BUNDLE/rootfs/inner/config.json"
	update_config --argjson c "$caps" '
		.process.capabilities = {bounding: $c, effective: $c, permitted: $c}
		| .process.noNewPrivileges = false
		| del(.linux.seccomp)
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(if .destination == "/sys/fs/cgroup"
			then .options = (.options - ["ro"] + ["rw"]) else . end)
		| .mounts += [{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}]'
	set_args sh -c "$(outer_cmd ll-inner)"
}

# The outer container's command: run the inner container. On cgroup v2 the
# outer processes first leave the outer cgroup's root for a leaf, so that
# the inner ward may enable controllers below it ("no internal processes").
# That leaf is a cgroup below the outer container's: `ward delete` of the
# outer container must remove it too (assert_no_test_cgroup checks).
outer_cmd() {
	echo 'if [ -e /sys/fs/cgroup/cgroup.controllers ]; then mkdir -p /sys/fs/cgroup/outer && echo $$ >/sys/fs/cgroup/outer/cgroup.procs; fi; ward --root /run/ward run -b /inner '"$1"
}

# Set the inner container's policy and args.
inner_config() {
	jq --argjson l "$1" '.process.args = $ARGS.positional
		| if $l == null then del(.process.landlock) else .process.landlock = $l end' \
		"$BUNDLE/rootfs/inner/config.json" --args "${@:2}" >"$BUNDLE/inner.json"
	mv "$BUNDLE/inner.json" "$BUNDLE/rootfs/inner/config.json"
}

INNER_NET='{"ruleset": {"handledAccessNet": ["bind_tcp"]},
	"rules": {"netPort": [{"allowedAccess": ["bind_tcp"], "ports": [8081, 8082]}]}}'

@test "nesting: the control: ward runs in a ward container, the inner policy alone applies" {
	need_abi 4 "net rules"
	nested_bundle
	inner_config "$INNER_NET" llprobe bind:8081 bind:8082 bind:8083
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines ok ok EACCES
	assert_no_test_cgroup
}

@test "nesting: an inner container is in the outer domain too: it cannot do what the outer policy forbids" {
	need_abi 4 "net rules"
	nested_bundle
	set_landlock '{"ruleset": {"handledAccessNet": ["bind_tcp"]},
		"rules": {"netPort": [{"allowedAccess": ["bind_tcp"], "ports": [8081]}]}}'
	inner_config "$INNER_NET" llprobe bind:8081 bind:8082 bind:8083
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	# 8082: the inner policy allows it, the outer does not.
	assert_lines ok EACCES EACCES
	# And an inner container without a policy of its own.
	inner_config null llprobe bind:8081 bind:8082
	set_args sh -c "$(outer_cmd ll-inner2)"
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_success
	assert_lines ok EACCES
	assert_no_test_cgroup
}

@test "nesting: an outer policy handling filesystem rights forbids the inner ward's mounts (Landlock denies mount to such domains)" {
	nested_bundle
	set_landlock '{"ruleset": {"handledAccessFS": ["make_sock"]},
		"rules": {"pathBeneath": [{"allowedAccess": ["make_sock"], "paths": ["/"]}]}}'
	inner_config null llprobe getpid
	run_ward run -b "$BUNDLE" "ll-$BATS_TEST_NUMBER"
	assert_failure
	assert_output_contains "create ll-inner:"
	assert_output_contains "Operation not permitted"
	assert_no_test_cgroup
}
