#!/usr/bin/env bash
# Capture the config.json podman writes for the Pod Security Standards'
# controls, as tests/fixtures/podman/<case>.json (the admission policy's
# tests judge them: tests/integration/policy.bats). podman runs with private
# state under a temporary directory and `--runtime` a wrapper that copies the
# bundle's config.json on `create`, then execs ward (which runs the
# container). Usage, as root, ward built: tests/engines/capture-podman-fixtures.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
WARD=${WARD:-$top/build/ward}
out=$top/tests/fixtures/podman
"$here/mkimage.sh" >&2
PM=$(mktemp -d /tmp/wpf.XXXXXX)
chmod 755 "$PM"
cleanup() {
	CONTAINERS_CONF=$PM/c.conf CONTAINERS_STORAGE_CONF=$PM/s.conf podman rm -af -t 0 >/dev/null 2>&1 || true
	awk -v d="$PM/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$PM"
}
trap cleanup EXIT
mkdir -p "$PM/tmp" "$PM/cap" "$out"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/root"\nrunroot = "%s/rr"\n' "$PM" "$PM" >"$PM/s.conf"
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s/ev.log"\ntmp_dir = "%s/tmp"\n' "$PM" "$PM" >"$PM/c.conf"
cat >"$PM/wrap" <<EOF
#!/bin/sh
prev=
for a in "\$@"; do
	if [ "\$prev" = --bundle ] || [ "\$prev" = -b ]; then
		cp "\$a/config.json" "$PM/cap/last.json"
	fi
	prev=\$a
done
exec "$WARD" "\$@"
EOF
chmod 755 "$PM/wrap"
pm() { CONTAINERS_CONF=$PM/c.conf CONTAINERS_STORAGE_CONF=$PM/s.conf podman --runtime "$PM/wrap" "$@"; }
pm import --change CMD=/bin/sh "$top/tests/fixtures/cache/engines/rootfs.tar" localhost/ward-busybox:latest >/dev/null

# case name, then podman run options
cases=(
	"default|"
	"privileged|--privileged"
	"cap-add-sys-admin|--cap-add SYS_ADMIN"
	"seccomp-unconfined|--security-opt seccomp=unconfined"
	"pid-host|--pid host"
	"ipc-host|--ipc host"
	"uts-host|--uts host"
	"network-host|--network host"
	"volume-root|-v /:/host:ro"
	"volume-etc|-v /etc:/hostetc:ro"
	"sysctl-unsafe|--sysctl kernel.msgmax=65536"
	"sysctl-safe|--sysctl net.ipv4.ip_unprivileged_port_start=0"
	"unmask-all|--security-opt unmask=ALL"
	"device-null|--device /dev/null:/dev/xnull"
	"no-new-privileges|--security-opt no-new-privileges"
	"user-1000|--user 1000:1000"
	"read-only|--read-only"
	"cap-drop-all|--cap-drop ALL --cap-add NET_BIND_SERVICE"
	"annotation-spoof|--annotation io.kubernetes.cri.sandbox-namespace=kube-system --annotation io.kubernetes.pod.namespace=kube-system"
)
for c in "${cases[@]}"; do
	name=${c%%|*}
	# shellcheck disable=SC2206
	opts=(${c#*|})
	rm -f "$PM/cap/last.json"
	if [ "$name" = network-host ]; then net=(); else net=(--network none); fi
	pm run --rm "${net[@]}" "${opts[@]}" localhost/ward-busybox:latest true >"$PM/out" 2>&1 || true
	if [ -s "$PM/cap/last.json" ]; then
		jq . "$PM/cap/last.json" >"$out/$name.json"
		echo "captured $name" >&2
	else
		echo "no config for $name: $(tail -1 "$PM/out")" >&2
	fi
done
{
	echo "podman $(podman --version | awk '{print $3}'), conmon $(conmon --version | head -1 | awk '{print $3}')"
	echo "ward $("$WARD" --version | head -1 | awk '{print $3}'), $(uname -sr)"
} >"$out/VERSIONS"
