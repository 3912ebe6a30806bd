#!/usr/bin/env bats
# The admission policy (docs/policy.md): each built-in rule refuses a config
# that breaks it, naming the rule and the field, leaving nothing behind and
# recording the denial; the nearest config it admits runs. Then modes,
# exemptions (and a spoofed namespace claim), Lua rules and their sandbox,
# broken policies (fail closed), the system policy and what --policy cannot
# relax, exec and update, and the CRI plugin's real configs.

load helpers
load helpers_inside
load helpers_policy

setup() {
	setup_policy
	cd "$BUNDLE"
	policy '{"level": "baseline"}'
}

teardown() {
	stop_sandbox
	teardown_bundle
}

BASE='{"level": "baseline"}'
RESTRICTED='{"level": "restricted"}'

# ---------------------------------------------------------------- baseline

@test "ward spec's default config passes baseline and runs" {
	run_pward policy check
	assert_success
	assert_output_contains "admitted"
	assert_runs
}

@test "host-namespaces: no pid namespace is refused with the rule, the field and the reason" {
	remove_namespace pid
	run_pward run c1
	assert_policy_refused c1 baseline/host-namespaces linux.namespaces
	assert_output_contains 'ward: create c1: policy baseline/host-namespaces: linux.namespaces: no "pid" namespace (the container would share the host'"'"'s pid namespace)'
}

@test "host-namespaces: a path to the host's network namespace is refused; a sandbox's runs" {
	# (this shell's: /proc/1/ns may be closed to us on a test machine)
	update_config --arg p "/proc/$$/ns/net" '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")] + [{"type": "network", "path": $p}]'
	run_pward run c1
	assert_policy_refused c1 baseline/host-namespaces "linux.namespaces[5].path"
	assert_output_contains "/proc/$$/ns/net is the host's net namespace"
	start_sandbox
	update_config --arg p "/proc/$SANDBOX_PID/ns/net" '(.linux.namespaces[] | select(.type == "network") | .path) = $p'
	assert_runs
}

@test "host-namespaces: a symlink to the host's ipc namespace is judged by inode" {
	ln -s "/proc/$$/ns/ipc" "$BATS_TEST_TMPDIR/innocent"
	update_config --arg p "$BATS_TEST_TMPDIR/innocent" '(.linux.namespaces[] | select(.type == "ipc")) |= {type: "ipc", path: $p}'
	run_pward run c1
	assert_policy_refused c1 baseline/host-namespaces "linux.namespaces[1].path"
}

@test "privileged: every capability is refused; the default set runs" {
	local all
	all=$("$WARD" features | jq -c '.linux.capabilities')
	update_config --argjson a "$all" '.process.capabilities = {bounding: $a, effective: $a, permitted: $a}'
	run_pward run c1
	assert_policy_refused c1 baseline/privileged process.capabilities
	assert_output_contains "every capability (a privileged container)"
}

@test "privileged: empty masked paths and a writable /sys are refused" {
	update_config '.linux.maskedPaths = []'
	run_pward run c1
	assert_policy_refused c1 baseline/privileged linux.maskedPaths
	fresh_config
	update_config '(.mounts[] | select(.destination == "/sys") | .options) |= map(select(. != "ro"))'
	run_pward run c2
	assert_policy_refused c2 baseline/privileged "mounts[5]"
	assert_output_contains "/sys is mounted writable"
}

@test "privileged: a device cgroup open to every device is refused" {
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	run_pward run c1
	assert_policy_refused c1 baseline/privileged "linux.resources.devices[0]"
}

@test "capabilities: CAP_SYS_ADMIN is refused; CAP_MKNOD (in the baseline set) runs" {
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"]'
	run_pward run c1
	assert_policy_refused c1 baseline/capabilities process.capabilities.bounding
	assert_output_contains "CAP_SYS_ADMIN is not among the allowed capabilities"
	fresh_config
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.bounding |= unique'
	assert_runs
}

@test "capabilities: one in the ambient set only is refused too" {
	update_config '.process.capabilities.ambient = ["CAP_SYS_PTRACE"]'
	run_pward run c1
	assert_policy_refused c1 baseline/capabilities process.capabilities.ambient
}

@test "audit-control: CAP_AUDIT_CONTROL is refused even at the privileged level" {
	policy '{"level": "privileged"}'
	update_config '.process.capabilities.bounding += ["CAP_AUDIT_CONTROL"]'
	run_pward run c1
	assert_policy_refused c1 ward/audit-control process.capabilities.bounding
	fresh_config
	assert_runs
}

@test "audit-control: a policy cannot allow CAP_AUDIT_CONTROL, turn the rule off or exempt it" {
	printf '{"level": "baseline",\n "rules": {"capabilities":\n   {"allowed": ["CAP_CHOWN", "CAP_AUDIT_CONTROL"]}}}\n' >"$POLICY"
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "policy.json:3: rules.capabilities.allowed[1]: CAP_AUDIT_CONTROL can never be allowed"
	policy '{"level": "baseline", "rules": {"audit-control": {"mode": "warn"}}}'
	run_pward policy check
	assert_failure
	assert_output_contains "rules.audit-control.mode: this rule is always enforced"
	policy '{"level": "baseline", "exemptions": [{"ids": ["*"], "rules": ["audit-control"]}]}'
	run_pward policy check
	assert_failure
	assert_output_contains 'this rule is never exempted: "audit-control"'
}

@test "host-paths: a bind mount of the host's / is refused; a directory of the test's runs" {
	add_mount '{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "ro"]}'
	run_pward run c1
	assert_policy_refused c1 baseline/host-paths "mounts[7].source"
	assert_output_contains "/ is the host's /"
	fresh_config
	mkdir -p "$BATS_TEST_TMPDIR/data"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"ro\"]}"
	assert_runs
}

@test "host-paths: a symlink to /etc is resolved and refused; /var holding /var/lib/kubelet too" {
	ln -s /etc "$BATS_TEST_TMPDIR/harmless"
	add_mount "{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/harmless\", \"options\": [\"rbind\"]}"
	run_pward run c1
	assert_policy_refused c1 baseline/host-paths "mounts[7].source"
	assert_output_contains "/etc is the host's /etc"
	fresh_config
	add_mount '{"destination": "/v", "type": "bind", "source": "/var", "options": ["rbind"]}'
	run_pward run c2
	assert_policy_refused c2 baseline/host-paths "mounts[7].source"
	assert_output_contains "/var holds the host's /var/lib/"
}

@test "host-paths: an engine's socket is refused wherever it is; ward's own state root too" {
	touch "$BATS_TEST_TMPDIR/docker.sock"
	add_mount "{\"destination\": \"/var/run/docker.sock\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/docker.sock\", \"options\": [\"bind\"]}"
	run_pward run c1
	assert_policy_refused c1 baseline/host-paths "mounts[7].source"
	assert_output_contains "is a container engine's socket"
	fresh_config
	mkdir -p "$STATE_ROOT"
	add_mount "{\"destination\": \"/s\", \"type\": \"bind\", \"source\": \"$STATE_ROOT\", \"options\": [\"rbind\"]}"
	run_pward run c2
	assert_policy_refused c2 baseline/host-paths "mounts[7].source"
}

@test "host-paths: a devtmpfs mount (the host's devices) is refused" {
	add_mount '{"destination": "/hostdev", "type": "devtmpfs", "source": "devtmpfs"}'
	run_pward run c1
	assert_policy_refused c1 baseline/host-paths "mounts[7].type"
}

@test "apparmor: unconfined is refused (checked: this host runs no AppArmor, which create refuses first)" {
	update_config '.process.apparmorProfile = "unconfined"'
	run_pward policy check
	assert_failure
	assert_output_contains 'enforce  baseline/apparmor: process.apparmorProfile: "unconfined"'
	update_config '.process.apparmorProfile = "ward-default"'
	run_pward policy check
	assert_success
}

@test "selinux: a type other than the container ones is refused (checked, as apparmor)" {
	update_config '.process.selinuxLabel = "system_u:system_r:spc_t:s0"'
	run_pward policy check
	assert_failure
	assert_output_contains 'baseline/selinux: process.selinuxLabel: system_u:system_r:spc_t:s0: type "spc_t" is not a container type'
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
	run_pward policy check
	assert_success
}

@test "proc-mount: a default masked path removed is refused; one more masked runs" {
	update_config '.linux.maskedPaths -= ["/proc/kcore"]'
	run_pward run c1
	assert_policy_refused c1 baseline/proc-mount linux.maskedPaths
	assert_output_contains "/proc/kcore is not masked"
	fresh_config
	update_config '.linux.maskedPaths += ["/proc/cmdline"]'
	assert_runs
}

@test "seccomp: no filter is refused; an allow-all filter too; one that refuses a call runs" {
	update_config 'del(.linux.seccomp)'
	run_pward run c1
	assert_policy_refused c1 baseline/seccomp linux.seccomp
	assert_output_contains "absent: every system call is allowed (unconfined)"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
	run_pward run c2
	assert_policy_refused c2 baseline/seccomp linux.seccomp.defaultAction
	update_config '.linux.seccomp.syscalls = [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]'
	assert_runs
}

@test "sysctls: an unsafe one is refused; a safe one runs" {
	update_config '.linux.sysctl = {"kernel.msgmax": "65536"}'
	run_pward run c1
	assert_policy_refused c1 baseline/sysctls linux.sysctl.kernel.msgmax
	update_config '.linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "0"}'
	assert_runs
}

@test "devices: a block device and /dev/mem are refused; /dev/null's twin runs" {
	update_config '.linux.devices = [{"path": "/dev/disk0", "type": "b", "major": 8, "minor": 0}]'
	run_pward run c1
	assert_policy_refused c1 baseline/devices "linux.devices[0]"
	assert_output_contains "is a block device"
	update_config '.linux.devices = [{"path": "/dev/mem", "type": "c", "major": 1, "minor": 1}]'
	run_pward run c2
	assert_policy_refused c2 baseline/devices "linux.devices[0]"
	update_config '.linux.resources.devices += [{"allow": true, "type": "b", "major": 8, "access": "rw"}] | .linux.devices = []'
	run_pward run c3
	assert_policy_refused c3 baseline/devices "linux.resources.devices[1]"
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}] | .linux.devices = [{"path": "/dev/null2", "type": "c", "major": 1, "minor": 3}]'
	assert_runs
}

# -------------------------------------------------------------- restricted

@test "ward spec --restricted writes a config that passes restricted and runs" {
	rm "$BUNDLE/config.json"
	"$WARD" spec --restricted --bundle "$BUNDLE"
	update_config '.process.terminal = false'
	make_bundle_reachable
	policy "$RESTRICTED"
	run_pward policy check
	assert_success
	jq -e '.process.capabilities.bounding == ["CAP_NET_BIND_SERVICE"] and .process.noNewPrivileges
		and .root.readonly and ([.linux.namespaces[].type] | index("user")) and .process.landlock' "$BUNDLE/config.json"
	assert_runs
}

restricted_bundle() {
	fresh_config --restricted
	make_bundle_reachable
	policy "$RESTRICTED"
}

@test "no-new-privs: noNewPrivileges false is refused under restricted" {
	restricted_bundle
	update_config '.process.noNewPrivileges = false'
	run_pward run c1
	assert_policy_refused c1 restricted/no-new-privs process.noNewPrivileges
}

@test "capabilities: restricted allows CAP_NET_BIND_SERVICE only" {
	restricted_bundle
	update_config '.process.capabilities.bounding += ["CAP_CHOWN"]'
	run_pward run c1
	assert_policy_refused c1 restricted/capabilities process.capabilities.bounding
	assert_output_contains "CAP_CHOWN is not among the allowed capabilities"
}

@test "run-as-non-root: a user namespace mapping the host's root is refused; uid 0 without one too; uid 1000 runs" {
	restricted_bundle
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
	run_pward run c1
	assert_policy_refused c1 restricted/run-as-non-root "linux.uidMappings[0]"
	fresh_config
	policy '{"level": "baseline", "rules": {"run-as-non-root": {"mode": "enforce"}}}'
	run_pward run c2
	assert_policy_refused c2 restricted/run-as-non-root process.user.uid
	assert_output_contains "0 without a user namespace (root on the host)"
	update_config '.process.user.uid = 1000 | .process.user.gid = 1000'
	assert_runs
}

@test "user-namespace: no user namespace is refused when the rule is on" {
	policy '{"level": "baseline", "rules": {"user-namespace": {"mode": "enforce"}}}'
	run_pward run c1
	assert_policy_refused c1 ward/user-namespace linux.namespaces
	enable_userns 100000 65536
	assert_runs
}

@test "readonly-rootfs: a writable root is refused when the rule is on" {
	policy '{"level": "baseline", "rules": {"readonly-rootfs": {"mode": "enforce"}}}'
	update_config '.root.readonly = false'
	run_pward run c1
	assert_policy_refused c1 ward/readonly-rootfs root.readonly
	update_config '.root.readonly = true'
	assert_runs
}

@test "landlock: no Landlock policy is refused when the rule is on; ward spec --landlock runs" {
	policy '{"level": "baseline", "rules": {"landlock": {"mode": "enforce"}}}'
	run_pward run c1
	assert_policy_refused c1 ward/landlock process.landlock
	rm "$BUNDLE/config.json"
	"$WARD" spec --landlock --bundle "$BUNDLE"
	update_config '.process.terminal = false'
	assert_runs
}

# ------------------------------------------------------- modes, exemptions

@test "warn mode: the container runs, the finding is printed, recorded and shown by inspect" {
	policy '{"level": "baseline", "mode": "warn"}'
	update_config 'del(.linux.seccomp)'
	set_args sleep 100
	run_pward_detached run -d w1
	assert_success
	assert_output_contains "warning: create w1: policy baseline/seccomp: linux.seccomp: absent"
	audit_records w1 | jq -se 'map(select(.op == "policy" and .rule == "seccomp" and .mode == "warn" and .result == "success")) | length == 1'
	run ward inspect --format json w1
	assert_success
	jq -e '.policy.decision == "admitted" and .policy.findings[0].rule == "seccomp" and .policy.findings[0].mode == "warn"' <<<"$output"
	run ward inspect w1
	assert_output_contains "warn     baseline/seccomp: linux.seccomp"
	[ "$(ward state w1 | jq -r '.annotations["org.ward.audit.id"]')" = "$(audit_records w1 | jq -r '.auditId' | head -1)" ]
}

@test "audit mode: the container runs, nothing is printed, the finding is recorded" {
	policy '{"level": "baseline", "mode": "audit"}'
	update_config 'del(.linux.seccomp)'
	set_args true
	run_pward run a1
	assert_success
	assert_output_not_contains "policy"
	audit_records a1 | jq -se 'map(select(.op == "policy" and .rule == "seccomp" and .mode == "audit")) | length == 1'
}

@test "a rule's own mode: seccomp in warn under an enforced baseline" {
	policy '{"level": "baseline", "rules": {"seccomp": {"mode": "warn"}}}'
	update_config 'del(.linux.seccomp)'
	assert_runs
	assert_output_contains "policy baseline/seccomp"
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"]'
	run_pward run c1
	assert_policy_refused c1 baseline/capabilities process.capabilities.bounding
}

@test "exemptions: by container id pattern, by caller uid; recorded as exempt" {
	policy '{"level": "baseline", "exemptions": [{"ids": ["infra-*"], "rules": ["seccomp"]}]}'
	update_config 'del(.linux.seccomp)'
	assert_runs infra-1
	audit_records infra-1 | jq -se 'map(select(.op == "policy" and .mode == "exempt" and .rule == "seccomp")) | length == 1'
	run_pward run c1
	assert_policy_refused c1 baseline/seccomp linux.seccomp
	policy '{"level": "baseline", "exemptions": [{"uids": [0]}]}'
	assert_runs c2
	policy '{"level": "baseline", "exemptions": [{"uids": [1000]}]}'
	run_pward run c3
	assert_policy_refused c3 baseline/seccomp linux.seccomp
}

@test "exemptions by namespace: a caller's own annotation (a spoof) is not trusted; an engine's is" {
	update_config 'del(.linux.seccomp) | .annotations["io.kubernetes.cri.sandbox-namespace"] = "kube-system"
		| .annotations["io.kubernetes.pod.namespace"] = "kube-system"'
	# ward run from this shell, as podman --annotation would reach it: refused
	policy '{"level": "baseline", "exemptions": [{"namespaces": ["kube-system"]}]}'
	run_pward run c1
	assert_policy_refused c1 baseline/seccomp linux.seccomp
	# CRI-O's key is not trusted from anyone by default either
	policy '{"level": "baseline", "exemptions": [{"namespaces": ["kube-system"]}],
		"namespaceSources": [{"annotation": "io.kubernetes.cri.sandbox-namespace", "callers": ["/nonexistent/containerd-shim-runc-v2"]}]}'
	run_pward run c2
	assert_policy_refused c2 baseline/seccomp linux.seccomp
	# an engine named as the source (here: this shell, standing in for it)
	policy "{\"level\": \"baseline\", \"exemptions\": [{\"namespaces\": [\"kube-system\"]}],
		\"namespaceSources\": [{\"annotation\": \"io.kubernetes.cri.sandbox-namespace\", \"callers\": [\"$(readlink /proc/$$/exe)\"]}]}"
	assert_runs c3
}

@test "exemptions: the CRI spoof fixture's io.kubernetes.pod.namespace claim exempts nothing" {
	start_sandbox
	policy '{"level": "baseline", "exemptions": [{"namespaces": ["kube-system"]}]}'
	check_cri spoof container.json
	assert_failure
	assert_output_contains "baseline/seccomp: linux.seccomp"
	assert_output_not_contains "exempt "
}

# ------------------------------------------------------------ custom rules

@test "a Lua rule denies with its own field and reason; other configs run" {
	cat >"$BATS_TEST_TMPDIR/no-id.lua" <<'EOF'
return function(config, ctx)
  if config.process.args[1] == "id" and ctx.op == "create" then
    return {{field = "process.args[0]", reason = "id is not allowed here"}}
  end
end
EOF
	policy '{"level": "baseline", "rules": {"no-id": {"lua": "no-id.lua"}}}'
	set_args id
	run_pward run c1
	assert_policy_refused c1 lua/no-id "process.args[0]"
	assert_output_contains "id is not allowed here"
	assert_runs
}

@test "Lua: the OPA docker-authz example 'seccomp unconfined' as a ward rule" {
	cat >"$BATS_TEST_TMPDIR/seccomp.lua" <<'EOF'
-- OPA docker-authz: deny { input.Body.HostConfig.SecurityOpt[_] == "seccomp:unconfined" }
return function(config)
  if config.linux == nil or config.linux.seccomp == nil then
    return "seccomp:unconfined is not allowed"
  end
end
EOF
	policy '{"rules": {"seccomp-unconfined": {"lua": "seccomp.lua"}}}'
	update_config 'del(.linux.seccomp)'
	run_pward run c1
	assert_policy_refused c1 lua/seccomp-unconfined config
}

@test "Lua sandbox: no os, io, require, load or debug; the config is read-only; bytecode refused" {
	local marker=$BATS_TEST_TMPDIR/escaped
	for body in "os.execute('touch $marker')" "io.open('$marker', 'w')" "require('os')" \
		"load('x = 1')" "debug.getinfo(1)" "dofile('/etc/passwd')" "string.dump(print or tostring)" \
		"config.process.args[1] = 'x'" "rawset(config, 'x', 1)" "getmetatable(config).__index.x = 1" \
		"pcall(error, 'x')"; do
		printf 'return function(config) %s end\n' "$body" >"$BATS_TEST_TMPDIR/r.lua"
		policy '{"rules": {"r": {"lua": "r.lua"}}}'
		run_pward run c1
		assert_refused_nothing_left c1
		assert_output_contains "policy $POLICY: rules.r:"
		[ ! -e "$marker" ]
	done
	printf '\033Lua\124\000' >"$BATS_TEST_TMPDIR/r.lua"
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "attempt to load a binary chunk"
}

@test "Lua limits: an endless loop and a memory hog fail closed, naming the file and line" {
	printf 'return function(config)\n  while true do end\nend\n' >"$BATS_TEST_TMPDIR/loop.lua"
	policy '{"rules": {"loop": {"lua": "loop.lua", "limits": {"instructions": 100000}}}}'
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "loop.lua:2: instruction limit of 100000 exceeded"
	audit_records c1 | jq -se 'map(select(.op == "deny")) | length >= 1'
	printf 'return function(config)\n  local t = {}\n  for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end\nend\n' >"$BATS_TEST_TMPDIR/mem.lua"
	policy '{"rules": {"mem": {"lua": "mem.lua", "limits": {"memory": 1000000, "instructions": 100000000}}}}'
	run_pward run c2
	assert_refused_nothing_left c2
	assert_output_contains "memory limit of 1000000 bytes exceeded"
}

# --------------------------------------------------------- broken policies

@test "a broken policy fails closed, naming the file and the line; policy check says the same" {
	printf '{"level": "baseline",\n "rules": {"seccomp": {"mode": "warn"},}\n}\n' >"$POLICY"
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "policy.json:2:"
	printf '{"level": "baseline",\n "rules": {\n  "no-such-rule": {"mode": "warn"}}}\n' >"$POLICY"
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "policy.json:3: rules.no-such-rule: unknown rule"
	run_pward policy check
	assert_failure
	assert_output_contains "policy.json:3: rules.no-such-rule: unknown rule"
	printf '{"level": "strict"}\n' >"$POLICY"
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains 'policy.json:1: level: unknown level "strict"'
	printf 'return function(config)\n  return nil +\nend\n' >"$BATS_TEST_TMPDIR/bad.lua"
	policy '{"rules": {"bad": {"lua": "bad.lua"}}}'
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "bad.lua:3:"
	printf 'return function(config)\n  return config.nothing.here\nend\n' >"$BATS_TEST_TMPDIR/bad.lua"
	run_pward run c1
	assert_refused_nothing_left c1
	assert_output_contains "bad.lua:2: attempt to index"
	run_pward policy check
	assert_failure
	assert_output_contains "bad.lua:2: attempt to index"
}

@test "a --policy file that does not exist fails closed" {
	run "$WARD" --root "$STATE_ROOT" --policy "$BATS_TEST_TMPDIR/nope.json" run c1
	assert_refused_nothing_left c1
	assert_output_contains "nope.json: No such file or directory"
}

# ----------------------------------------------------------- system policy

@test "the system policy applies; --policy cannot relax it (privileged level, exemptions)" {
	SYSTEM_POLICY=$BASE
	update_config 'del(.linux.seccomp)'
	run_with_system_policy run c1
	assert_policy_refused c1 baseline/seccomp linux.seccomp
	audit_records c1 | jq -se 'map(select(.op == "deny" and .policy == "/etc/ward/policy.json")) | length == 1'
	policy '{"level": "privileged", "mode": "audit", "exemptions": [{"ids": ["*"]}], "rules": {"seccomp": {"mode": "off"}}}'
	run_with_system_policy --policy "$POLICY" run c2
	assert_policy_refused c2 baseline/seccomp linux.seccomp
	WARD_POLICY=$POLICY run_with_system_policy run c3
	assert_policy_refused c3 baseline/seccomp linux.seccomp
}

@test "--policy adds restrictions to the system policy" {
	SYSTEM_POLICY=$BASE
	policy "$RESTRICTED"
	run_with_system_policy --policy "$POLICY" run c1
	assert_refused_nothing_left c1
	assert_output_contains "policy restricted/"
	run_with_system_policy --policy "$POLICY" policy show --format json
	assert_success
	jq -e '.layers | length == 2 and .[0].path == "/etc/ward/policy.json" and .[0].role == "system"' <<<"$output"
}

@test "a system policy writable by others is refused (it would be a bypass)" {
	SYSTEM_POLICY=$BASE SYSTEM_POLICY_MODE=0666 run_with_system_policy run c1
	assert_refused_nothing_left c1
	assert_output_contains "/etc/ward/policy.json: refused: writable by a user other than root"
}

@test "a rootless user's own policy is read from XDG_CONFIG_HOME and adds to the system's" {
	local home=$BATS_TEST_TMPDIR/home
	mkdir -p "$home/ward"
	echo "$RESTRICTED" >"$home/ward/policy.json"
	chmod -R a+rX "$BATS_TEST_TMPDIR"
	make_bundle_reachable
	run setpriv --reuid 65534 --regid 65534 --clear-groups env XDG_CONFIG_HOME="$home" \
		"$WARD" --root "$BATS_TEST_TMPDIR/ustate" policy check --bundle "$BUNDLE"
	assert_failure
	assert_output_contains "$home/ward/policy.json: restricted"
	assert_output_contains "restricted/capabilities"
	# and what `ward spec --rootless --restricted` writes for that user passes it
	local ub=$BATS_TEST_TMPDIR/ubundle
	mkdir -p "$ub" && chmod 777 "$ub"
	setpriv --reuid 65534 --regid 65534 --clear-groups "$WARD" spec --rootless --restricted --bundle "$ub"
	run setpriv --reuid 65534 --regid 65534 --clear-groups env XDG_CONFIG_HOME="$home" \
		"$WARD" --root "$BATS_TEST_TMPDIR/ustate" policy check --bundle "$ub"
	assert_success
}

# -------------------------------------------------------- exec and update

@test "exec --cap CAP_SYS_ADMIN is refused under baseline; a plain exec runs" {
	set_args sleep 100
	run_pward_detached run -d e1
	assert_success
	run_pward exec --cap CAP_SYS_ADMIN e1 true
	assert_failure
	assert_output_contains "exec e1: policy baseline/capabilities: process (exec).capabilities.bounding: CAP_SYS_ADMIN"
	audit_records e1 | jq -se 'map(select(.op == "deny" and .operation == "exec" and .rule == "capabilities")) | length == 1'
	run_pward exec e1 true
	assert_success
}

@test "exec as uid 0 is refused when run-as-non-root is on for a container of uid 1000" {
	policy '{"level": "baseline", "rules": {"run-as-non-root": {"mode": "enforce"}}}'
	update_config '.process.user.uid = 1000 | .process.user.gid = 1000'
	set_args sleep 100
	run_pward_detached run -d e1
	assert_success
	run_pward exec --user 0 e1 true
	assert_failure
	assert_output_contains "policy restricted/run-as-non-root: process (exec).user.uid"
	run_pward exec e1 true
	assert_success
}

@test "update: a pids limit above the policy's maximum is refused and not applied" {
	policy '{"level": "baseline", "rules": {"resource-limits": {"mode": "enforce", "pidsMax": 100}}}'
	set_args sleep 100
	run_pward_detached run -d u1
	assert_failure
	assert_output_contains "policy ward/resource-limits: linux.resources.pids.limit: no pids limit"
	update_config '.linux.resources.pids = {"limit": 50}'
	run_pward_detached run -d u1
	assert_success
	run_pward update --pids-limit 500 u1
	assert_failure
	assert_output_contains "update u1: policy ward/resource-limits: linux.resources.pids.limit: 500 is above the maximum pids limit 100"
	local f
	f=$(find /sys/fs/cgroup -path "*/$WARD_CGROUP_PARENT/u1/pids.max" 2>/dev/null | head -1)
	[ "$(cat "$f")" = 50 ]
	run_pward update --pids-limit 80 u1
	assert_success
	[ "$(cat "$f")" = 80 ]
}

# ------------------------------------------------------------ the commands

@test "policy show expands the levels: every rule with its mode and parameters" {
	run_pward policy show
	assert_success
	jq -e '.layers[0].level == "baseline" and .layers[0].rules["host-namespaces"].mode == "enforce"
		and .layers[0].rules["no-new-privs"].mode == "off"
		and (.layers[0].rules.capabilities.parameters.allowed | index("CAP_CHOWN"))
		and .layers[0].rules["audit-control"].fixed' <<<"$output"
	run_pward policy show --format text
	assert_output_contains "enforce  baseline   host-paths"
}

@test "policy check --format json: every finding with rule, field, reason; exit 1 when denied" {
	update_config 'del(.linux.seccomp) | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]'
	run_pward policy check --format json
	assert_status 1
	jq -e '.decision == "denied" and ([.findings[].rule] | sort == ["capabilities", "seccomp"])
		and (.findings | all(.field and .reason and .mode == "enforce"))' <<<"$output"
	[ ! -d "$STATE_ROOT" ] || [ -z "$(ls -A "$STATE_ROOT")" ]
}

# ------------------------------------------- the CRI plugin's real configs

@test "CRI fixtures: what containerd sends for each control is judged on what takes effect" {
	start_sandbox
	# An ordinary pod without kubelet's seccompDefault: no filter, the one finding.
	check_cri default container.json
	assert_failure
	[ "$(grep -c '^enforce' <<<"$output")" = 1 ]
	assert_output_contains "baseline/seccomp: linux.seccomp: absent"
	check_cri seccomp-runtimedefault container.json
	assert_success
	check_cri default sandbox.json
	assert_success
	local c
	for c in hostnetwork:network hostpid:pid hostipc:ipc; do
		check_cri "${c%%:*}" sandbox.json
		assert_failure
		assert_output_contains "baseline/host-namespaces: linux.namespaces: no \"${c#*:}\" namespace"
	done
	check_cri privileged container.json
	assert_output_contains "baseline/privileged: process.capabilities: every capability"
	check_cri cap-add-sys-admin container.json
	assert_output_contains "baseline/capabilities: process.capabilities.bounding: CAP_SYS_ADMIN"
	for c in hostpath-root:/ hostpath-etc:/etc hostpath-containerd-sock:/run/containerd/containerd.sock; do
		check_cri "${c%%:*}" container.json
		assert_output_contains "baseline/host-paths: mounts[6].source: ${c#*:} "
	done
	check_cri sysctl-unsafe sandbox.json
	assert_output_contains "baseline/sysctls: linux.sysctl.kernel.msgmax"
	check_cri sysctl-safe sandbox.json
	assert_success
	check_cri procmount-unmasked container.json
	assert_output_contains "baseline/proc-mount: linux.maskedPaths"
}

@test "CRI fixtures under restricted: uid, no_new_privs, capabilities as the pod asked" {
	start_sandbox
	policy "$RESTRICTED"
	check_cri runasuser-0 container.json
	assert_output_contains "restricted/run-as-non-root: process.user.uid"
	check_cri runasuser-1000 container.json
	assert_output_not_contains "run-as-non-root"
	check_cri allowprivilegeescalation-false container.json
	assert_output_not_contains "no-new-privs"
	check_cri default container.json
	assert_output_contains "restricted/no-new-privs"
	check_cri cap-drop-all-add-net-bind-service container.json
	assert_output_not_contains "restricted/capabilities"
	check_cri readonlyrootfs container.json
	assert_output_not_contains "readonly-rootfs"
}

# --------------------------------------------------- podman's real configs

# podman_case CASE: `ward policy check` of tests/fixtures/podman/CASE.json.
podman_case() {
	run "$WARD" --root "$STATE_ROOT" --policy "$POLICY" policy check \
		--config "$WARD_SRC/tests/fixtures/podman/$1.json"
}

@test "podman fixtures: each control podman can ask for is judged as refused or admitted" {
	local c
	for c in default read-only no-new-privileges user-1000 sysctl-safe cap-drop-all device-null; do
		podman_case "$c"
		assert_success
	done
	for c in pid-host:host-namespaces ipc-host:host-namespaces uts-host:host-namespaces \
		network-host:host-namespaces privileged:privileged cap-add-sys-admin:capabilities \
		seccomp-unconfined:seccomp volume-root:host-paths volume-etc:host-paths \
		sysctl-unsafe:sysctls unmask-all:proc-mount; do
		podman_case "${c%%:*}"
		assert_failure
		assert_output_contains "enforce  baseline/${c#*:}: "
	done
}

@test "podman fixtures: podman passes --annotation through, so a namespace claim there exempts nothing" {
	# podman sets io.container.manager, io.podman.annotations.* and even
	# io.kubernetes.cri-o.* keys itself; the rest is the caller's
	jq -e '.annotations["io.kubernetes.cri.sandbox-namespace"] == "kube-system"
		and .annotations["io.container.manager"] == "libpod"' "$WARD_SRC/tests/fixtures/podman/annotation-spoof.json"
	policy '{"level": "baseline", "rules": {"seccomp": {"mode": "enforce"}},
		"exemptions": [{"namespaces": ["kube-system"]}]}'
	jq 'del(.linux.seccomp)' "$WARD_SRC/tests/fixtures/podman/annotation-spoof.json" >"$BATS_TEST_TMPDIR/spoof.json"
	run_pward policy check --config "$BATS_TEST_TMPDIR/spoof.json"
	assert_failure
	assert_output_contains "enforce  baseline/seccomp"
}

@test "exec-escalation: an exec is no stronger than its container (capabilities, no_new_privs)" {
	update_config '.process.capabilities = {bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]}'
	set_args sleep 100
	run_pward_detached run -d x1
	assert_success
	# CAP_KILL is in the baseline set, but the container does not hold it
	run_pward exec --cap CAP_KILL x1 true
	assert_failure
	assert_output_contains "policy ward/exec-escalation: process (exec).capabilities.bounding: CAP_KILL: the container's process does not hold it"
	jq '.process | .args = ["true"] | .noNewPrivileges = false' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
	run_pward exec --process "$BATS_TEST_TMPDIR/process.json" x1
	assert_failure
	assert_output_contains "policy ward/exec-escalation: process (exec).noNewPrivileges: false"
	run_pward exec x1 true
	assert_success
}
