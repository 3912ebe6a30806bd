#!/usr/bin/env bash
# ward behind Kubernetes' CRI: Debian's containerd with its CRI plugin and a
# runtime handler "ward" (io.containerd.runc.v2, BinaryName = the ward under
# test), driven over the CRI gRPC API the way the kubelet drives it, by a
# Python client (Debian's python3-grpcio) built from the CRI api.proto that
# Debian's containerd source package vendors.
#
# Usage (as root):
#   tests/cri/run.sh                  the tests, TAP on stdout (tests/cri/cri_tests.py)
#   tests/cri/run.sh --capture DIR    write the config.json containerd makes for
#                                     each fixture pod to DIR/<case>/ (tests/cri/capture.py)
# Environment: WARD (default build/ward); WARD_CRI_CACHE (default
# tests/fixtures/cache/cri: the two images, the api.proto, the stubs).
#
# containerd runs in namespaces of its own (unshare --mount --net --pid):
# - mount: tmpfs over /run and /var/lib, so nothing it, its shims (their
#   socket directory /run/containerd/s is fixed in containerd 1.6) or CNI
#   (/var/lib/cni) write lands on the host, and its mounts are not seen there;
# - network: the CNI bridge, the veths and the pods' netns exist only there,
#   and "hostNetwork" means that namespace;
# - pid: when the run ends, or is killed, every process it started dies with
#   the namespace's init.
# Its root, state, sockets, ward's --root and the pod logs are below one
# /tmp/ward-cri.XXXXXX; the pods' cgroups below /ward-cri.XXXXXX in each
# hierarchy. Both are removed at the end, and the last test checks it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3  # Debian's, where python3-grpcio is installed
PAUSE_IMAGE=docker.io/library/ward-pause:1

# ------------------------------------------------------------------ inner --
# Runs as pid 1 of the new namespaces; the environment comes from outside.

inner_cleanup() {
	local pid
	pid=$(cat "$CRI_T/containerd.pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	# Everything else in this pid namespace is ours: shims, pods left over.
	kill -KILL -1 2>/dev/null
	wait 2>/dev/null
}

write_config() {
	local bin=$1 annotations=$2
	cat >"$CRI_T/config.toml" <<-EOF
		version = 2
		root = "$CTD_ROOT"
		state = "$CTD_STATE"
		disabled_plugins = ["io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
		                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
		[grpc]
		  address = "$CRI_SOCKET"
		[ttrpc]
		  address = "$CRI_SOCKET.ttrpc"
		[plugins."io.containerd.grpc.v1.cri"]
		  disable_tcp_service = true
		  stream_server_address = "127.0.0.1"
		  stream_server_port = "0"
		  sandbox_image = "$PAUSE_IMAGE"
		  netns_mounts_under_state_dir = true
		  # This machine's bounding set lacks CAP_SYS_RESOURCE: no runtime can
		  # lower oom_score_adj (the sandbox asks for -998). Clamp at ours.
		  restrict_oom_score_adj = true
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$CRI_T/cni"
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    default_runtime_name = "runc"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward]
		      runtime_type = "io.containerd.runc.v2"
		      $annotations
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward.options]
		        BinaryName = "$bin"
		        Root = "$WARD_ROOT_BASE"
		        SystemdCgroup = false
		    # The same without annotation pass-through (the fixtures' spoof case).
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward-plain]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ward-plain.options]
		        BinaryName = "$bin"
		        Root = "$WARD_ROOT_BASE"
		        SystemdCgroup = false
	EOF
	mkdir -p "$CRI_T/cni" "$CRI_T/cni-data"
	# bridge + host-local, from Debian's containernetworking-plugins; no
	# masquerading or port maps: nothing leaves this network namespace.
	cat >"$CRI_T/cni/10-ward-cri.conflist" <<-EOF
		{"cniVersion": "1.0.0", "name": "ward-cri",
		 "plugins": [{"type": "bridge", "bridge": "wardcri0", "isGateway": true, "ipMasq": false,
		              "ipam": {"type": "host-local", "dataDir": "$CRI_T/cni-data",
		                       "ranges": [[{"subnet": "10.233.0.0/24"}]]}}]}
	EOF
}

# A runc stand-in for the fixtures: keeps every config.json the shim hands
# over for `create`, under the container's id, then runs ward.
write_capture_wrapper() {
	mkdir -p "$CRI_T/bin" "$CRI_T/captured"
	cat >"$CRI_T/bin/ward-capture" <<-EOF
		#!/bin/bash
		bundle= create= prev=
		for a in "\$@"; do
		  [ "\$a" = create ] && create=1
		  [ "\$prev" = --bundle ] && bundle=\$a
		  prev=\$a
		done
		if [ -n "\$create" ] && [ -n "\$bundle" ]; then
		  cp "\$bundle/config.json" "$CRI_T/captured/\${@: -1}.json"
		fi
		exec "$WARD" "\$@"
	EOF
	chmod 755 "$CRI_T/bin/ward-capture"
}

inner() {
	trap inner_cleanup EXIT
	local d
	for d in /run /var/lib ${CRI_CAPTURE:+/var/log}; do
		mount -t tmpfs -o mode=0755 tmpfs "$d" || {
			echo "not ok 1 - a private $d for containerd (mount tmpfs failed)"
			return 1
		}
	done
	ip link set lo up
	if [ -n "${CRI_CAPTURE:-}" ]; then
		write_capture_wrapper
		write_config "$CRI_T/bin/ward-capture" \
			'pod_annotations = ["*"]
		      container_annotations = ["*"]'
	else
		write_config "$WARD" ""
	fi
	containerd --config "$CRI_T/config.toml" </dev/null >"$CRI_T/containerd.log" 2>&1 &
	echo $! >"$CRI_T/containerd.pid"
	# Up in well under a second; the limit only bounds a loaded machine.
	for _ in $(seq 600); do
		ctr --address "$CRI_SOCKET" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	local img
	for img in pause.tar busybox.tar; do
		if ! ctr --address "$CRI_SOCKET" -n k8s.io images import "$CRI_CACHE/$img" >"$CRI_T/import.log" 2>&1; then
			echo "not ok 1 - containerd starts and imports $img (ctr -n k8s.io images import)"
			sed 's/^/# /' "$CRI_T/import.log"
			tail -n 20 "$CRI_T/containerd.log" | sed 's/^/# /'
			return 1
		fi
	done
	if [ -n "${CRI_CAPTURE:-}" ]; then
		"$PY" "$here/capture.py" "$CRI_CAPTURE"
	else
		"$PY" "$here/cri_tests.py"
	fi
	local rc=$?
	[ "$rc" -ne 0 ] && tail -n 30 "$CRI_T/containerd.log" | sed 's/^/# containerd: /' >&2
	return "$rc"
}

if [ "${1:-}" = --inner ]; then
	inner
	exit $?
fi

# ------------------------------------------------------------------ outer --

capture=""
case "${1:-}" in
--capture) capture=$(mkdir -p "${2:?--capture DIR}" && cd "$2" && pwd) || exit 2 ;;
"") ;;
*) sed -n '2,25p' "$0" | cut -c3-; exit 2 ;;
esac

skip_all() {
	if [ -n "$capture" ]; then
		echo "run.sh: cannot capture fixtures: $1" >&2
		exit 1
	fi
	echo "1..1"
	echo "ok 1 - CRI tests # skip $1"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "not root"
for b in containerd ctr containerd-shim-runc-v2 unshare ip jq cc; do
	command -v "$b" >/dev/null || skip_all "$b is not installed (scripts/install-deps.sh --all)"
done
"$PY" -c 'import grpc, grpc_tools.protoc' 2>/dev/null ||
	skip_all "python3-grpcio or python3-grpc-tools is not installed (scripts/install-deps.sh --all)"
[ -d /usr/lib/cni ] && [ -x /usr/lib/cni/bridge ] ||
	skip_all "containernetworking-plugins is not installed (scripts/install-deps.sh --all)"

export WARD=${WARD:-$top/build/ward}
[ -x "$WARD" ] || skip_all "$WARD is missing: build ward (ninja -C build) or set WARD"
export CRI_CACHE=${WARD_CRI_CACHE:-$top/tests/fixtures/cache/cri}
mkdir -p "$CRI_CACHE"
"$here/mkimages.sh" "$CRI_CACHE" >&2 || skip_all "cannot build the pause and busybox images (tests/cri/mkimages.sh)"
"$here/getproto.sh" "$CRI_CACHE" >&2 ||
	skip_all "cannot get the CRI api.proto from Debian's containerd source package (tests/cri/getproto.sh: needs the deb-src line scripts/install-deps.sh adds)"
export CRI_STUBS=$CRI_CACHE/stubs
"$PY" -m grpc_tools.protoc -I"$CRI_CACHE/proto" --python_out="$CRI_STUBS" --grpc_python_out="$CRI_STUBS" \
	"$CRI_CACHE/proto/cri_api_v1.proto" >&2 || skip_all "grpc_tools.protoc cannot compile the CRI api.proto"

export CRI_T CRI_SOCKET CTD_ROOT CTD_STATE WARD_ROOT_BASE CRI_LOG_ROOT CRI_KUBELET_ROOT
if [ -n "$capture" ]; then
	# The fixtures show the paths of a node: containerd's, ward's and the
	# kubelet's default directories, which exist only in the private /run,
	# /var/lib and /var/log of the namespaces (see above). The rest of the
	# run (config, runtime wrapper) is in a fixed directory.
	CRI_T=/tmp/ward-cri-fixtures
	rm -rf --one-file-system "$CRI_T"
	mkdir -m 0755 "$CRI_T"
	export CRI_CAPTURE=$capture
	CRI_SOCKET=/run/containerd/containerd.sock CTD_ROOT=/var/lib/containerd CTD_STATE=/run/containerd
	WARD_ROOT_BASE=/run/ward CRI_LOG_ROOT=/var/log/pods CRI_KUBELET_ROOT=/var/lib/kubelet
else
	CRI_T=$(mktemp -d /tmp/ward-cri.XXXXXX) && chmod 0755 "$CRI_T"
	CRI_SOCKET=$CRI_T/containerd.sock CTD_ROOT=$CRI_T/root CTD_STATE=$CRI_T/state
	WARD_ROOT_BASE=$CRI_T/ward-root CRI_LOG_ROOT=$CRI_T/pods CRI_KUBELET_ROOT=$CRI_T/kubelet
fi
export WARD_ROOT=$WARD_ROOT_BASE/k8s.io   # the shim appends the namespace
export CRI_HANDLER=ward
export CRI_CGROUP_PARENT=/${CRI_T##*/}
tap=$(mktemp /tmp/ward-cri-tap.XXXXXX)

# Cgroup directories of this run in every hierarchy, deepest first.
run_cgroups() {
	local mnt
	for mnt in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts); do
		[ -d "$mnt$CRI_CGROUP_PARENT" ] && find "$mnt$CRI_CGROUP_PARENT" -depth -type d
	done
}

outer_cleanup() {
	local d
	for _ in $(seq 30); do
		for d in $(run_cgroups); do rmdir "$d" 2>/dev/null; done
		[ -z "$(run_cgroups)" ] && break
		sleep 0.1
	done
	# The mounts below $CRI_T died with the mount namespace; this side never
	# saw them, so this removes only this run's own files.
	rm -rf --one-file-system "$CRI_T"
	rm -f "$tap"
}
trap outer_cleanup EXIT

start=$(date +%s)
# In the background, so that a signal to this script is handled at once
# (bash runs traps only between foreground commands): it ends unshare, whose
# --kill-child then kills the namespace's init, and with it everything in
# the namespace. The time limit guards against a hang only.
timeout -s KILL 900 unshare --mount --net --pid --fork --kill-child --propagation slave --mount-proc \
	"$0" --inner >"$tap" &
child=$!
interrupted=""
trap 'interrupted=1; kill -TERM "$child" 2>/dev/null' INT TERM
tail -n +1 -f --pid="$child" "$tap" &
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do
	rc=0
	wait "$child" || rc=$?
done
wait
[ -n "$interrupted" ] && exit 130
[ "$rc" -eq 137 ] && echo "# run.sh: killed after 900 s"

if [ -n "$capture" ]; then
	outer_cleanup
	trap - EXIT
	[ "$rc" -eq 0 ] || { echo "run.sh: capture failed (exit $rc)" >&2; exit 1; }
	exit 0
fi

n=$(grep -cE '^(not )?ok ' "$tap")
if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$tap"; then
	n=$((n + 1))
	echo "not ok $n - the CRI tests (tests/cri/cri_tests.py) exited with status $rc"
fi

# The promise of the cleanup, checked from the host side.
outer_cleanup
left=""
[ -e "$CRI_T" ] && left="$left $CRI_T"
left="$left $(run_cgroups | tr '\n' ' ')"
for f in /proc/[0-9]*/cmdline; do
	mapfile -d '' argv <"$f" 2>/dev/null || continue
	[[ " ${argv[*]:-} " == *"$CRI_T/"* ]] || continue
	p=${f#/proc/}
	left="$left pid:${p%/cmdline}"
done
n=$((n + 1))
if [ -z "${left// /}" ]; then
	echo "ok $n - nothing left on the host: no process, cgroup or file of the run (CRI: none)"
else
	echo "not ok $n - nothing left on the host: no process, cgroup or file of the run (CRI: none)"
	echo "# left behind:$left"
fi
echo "1..$n"
echo "# CRI lane: $(($(date +%s) - start)) s"
trap - EXIT
exit 0
