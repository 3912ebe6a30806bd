# Helpers for integrity.bats: a test CA and signer made with openssl(1), files
# signed with evmctl(1) as IMA's users sign them, configs, the lists.

INTEGRITY_PCR_PY="$WARD_SRC/tests/integration/ima_pcr.py"

# Once per file: CA (keyCertSign), a signer it certifies (digitalSignature),
# a rogue self-signed signer, and the host settings trusting only the CA.
make_pki() {
	PKI="$BATS_FILE_TMPDIR/pki"
	mkdir -p "$PKI"
	(
		cd "$PKI"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
			-subj "/CN=ward test CA" -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign"
		openssl req -newkey rsa:2048 -nodes -keyout sign.key -out sign.csr \
			-subj "/CN=ward test signer"
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >ext
		openssl x509 -req -in sign.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out sign.pem -days 30 -extfile ext
		openssl x509 -in sign.pem -outform der -out sign.der
		openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem \
			-days 30 -subj "/CN=rogue signer"
	) >/dev/null 2>&1
	[ -s "$PKI/sign.pem" ] && [ -s "$PKI/rogue.pem" ]
	HOSTLIST="$BATS_FILE_TMPDIR/hostlist"
	WARD_INTEGRITY_CONF="$BATS_FILE_TMPDIR/integrity.json"
	jq -n --arg ca "$PKI/ca.pem" --arg h "$HOSTLIST" '{ca: [$ca], hostList: $h}' \
		>"$WARD_INTEGRITY_CONF"
	export PKI HOSTLIST WARD_INTEGRITY_CONF
}

need_integrity_tools() {
	command -v evmctl >/dev/null || skip "evmctl (ima-evm-utils) is not installed"
	command -v getfattr >/dev/null || skip "getfattr (attr) is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
}

# Sign files with the test signer (security.ima, evmctl's v2 signature).
sign() {
	local f
	for f in "$@"; do
		evmctl ima_sign --key "$PKI/sign.key" "$f" >/dev/null 2>&1
	done
}

# linux.integrity = the JSON object $1.
integrity_config() {
	update_config --argjson i "$1" '.linux.integrity = $i'
}

# Container c1 running `sleep 60`, with linux.integrity $1 when given.
start_sleeper() {
	[ -z "${1:-}" ] || integrity_config "$1"
	set_args sleep 60
	run_detached run -d -b "$BUNDLE" c1
	assert_success
}

enforce_config() {
	integrity_config "{\"mode\": \"${1:-appraise-enforce}\", \"keys\": [\"$PKI/sign.pem\"]}"
}

# A copy of busybox that differs in content (its own digest), as
# /v/NAME/busybox (busybox runs the applet its file name says: the copy
# keeps the name).
variant() {
	mkdir -p "$BUNDLE/rootfs/v/$1"
	cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/v/$1/busybox"
	printf '%s' "$1" >>"$BUNDLE/rootfs/v/$1/busybox"
}

# A dynamically linked program with its loader and libraries, at the paths
# ldd names, so ld.so loads real shared objects inside the container.
add_dynamic_true() {
	local lib
	cp /bin/true "$BUNDLE/rootfs/bin/dyntrue"
	for lib in $(ldd /bin/true | grep -o '/[^ ]*'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
}

# The container's lists and PCR, through ward.
list_ascii() { ward integrity log "$1"; }
list_binary() { ward integrity log --binary "$1" >"$BATS_TEST_TMPDIR/$1.bin"; }

# "digest path" of every file record, by the independent parser.
list_files() {
	list_binary "$1"
	python3 "$INTEGRITY_PCR_PY" "$BATS_TEST_TMPDIR/$1.bin" --paths | tail -n +4
}

monitor_pid() {
	jq -r .pid "$STATE_ROOT/$1/integrity/monitor.json"
}

guard_pid() {
	jq -r .guardPid "$STATE_ROOT/$1/integrity/monitor.json"
}

# The container's audit records (ward's JSON log) of an op.
records() {
	local f="$STATE_ROOT/@audit/$1.jsonl"
	[ -f "$f" ] || return 0
	jq -c --arg op "$2" 'select(.op == $op)' "$f"
}

wait_until() {
	local i
	for i in $(seq 1 "${2:-200}"); do
		eval "$1" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $1" >&2
	return 1
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

status_is() {
	[ "$(ward state "$1" 2>/dev/null | jq -r .status)" = "$2" ]
}

# number_in FILE -gt N: the number FILE holds (0 if none) compares so.
number_in() {
	local v
	v=$(cat "$1" 2>/dev/null) || v=0
	[[ $v =~ ^[0-9]+$ ]] || v=0
	[ "$v" "$2" "$3" ]
}

lines_in() {
	local v=0
	[ -f "$1" ] && v=$(wc -l <"$1")
	[ "$v" "$2" "$3" ]
}

# Nesting: ward-static (built next to ward) in a privileged outer container
# (the host's capabilities, no seccomp filter, a writable cgroup mount and
# /run), on a read-only bind mount so the inner ward runs it directly; /inner
# is the inner bundle (a busybox rootfs and a `ward spec` config).
WARD_STATIC=${WARD_STATIC:-$(dirname "$WARD")/ward-static}
nested_bundle() {
	[ -x "$WARD_STATIC" ] || skip "no $WARD_STATIC (configure with -Dstatic_ward=enabled)"
	local caps
	caps=$(host_cap_names_json)
	mkdir -p "$BATS_TEST_TMPDIR/wardbin" "$BUNDLE/rootfs/opt/ward" "$BUNDLE/rootfs/inner"
	cp "$WARD_STATIC" "$BATS_TEST_TMPDIR/wardbin/ward"
	cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs/inner/rootfs"
	"$WARD" spec --bundle "$BUNDLE/rootfs/inner"
	jq '.process.terminal = false | .root.readonly = false | .linux.cgroupsPath = "/wi-inner"' \
		"$BUNDLE/rootfs/inner/config.json" >"$BUNDLE/inner.json"
	mv "$BUNDLE/inner.json" "$BUNDLE/rootfs/inner/config.json"
	update_config --argjson c "$caps" --arg w "$BATS_TEST_TMPDIR/wardbin" '
		.process.capabilities = {bounding: $c, effective: $c, permitted: $c}
		| .process.noNewPrivileges = false
		| del(.linux.seccomp)
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(if .destination == "/sys/fs/cgroup"
			then .options = (.options - ["ro"] + ["rw"]) else . end)
		| .mounts += [{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]},
			{destination: "/opt/ward", type: "bind", source: $w, options: ["rbind", "ro"]}]'
}

# variant, in the inner container's rootfs.
inner_variant() {
	mkdir -p "$BUNDLE/rootfs/inner/rootfs/v/$1"
	cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/inner/rootfs/v/$1/busybox"
	printf '%s' "$1" >>"$BUNDLE/rootfs/inner/rootfs/v/$1/busybox"
}

# The inner container's linux.integrity and args.
inner_config() {
	local i=$1
	shift
	printf '%s\n' "$@" | jq --argjson i "$i" --rawfile a /dev/stdin \
		'.linux.integrity = $i | .process.args = ($a | rtrimstr("\n") | split("\n"))' \
		"$BUNDLE/rootfs/inner/config.json" >"$BUNDLE/inner.json"
	mv "$BUNDLE/inner.json" "$BUNDLE/rootfs/inner/config.json"
}

# The outer container runs the inner one (on cgroup v2 from a leaf first,
# so the inner ward may enable controllers below) and prints its list.
outer_runs_inner() {
	local w='/opt/ward/ward --root /run/ward'
	set_args sh -c "if [ -e /sys/fs/cgroup/cgroup.controllers ]; then mkdir -p /sys/fs/cgroup/outer && echo \$\$ >/sys/fs/cgroup/outer/cgroup.procs; fi; $w run --keep -b /inner inner1; echo inner=\$?; echo ---inner-list---; $w integrity log inner1; echo ---inner-audit---; $w state inner1; $w delete inner1"
}
