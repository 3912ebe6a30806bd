#!/usr/bin/env bash
# The main job: install dependencies, build ward, build a busybox root
# filesystem locally (no network), and run a hardened container in a user
# namespace that prints what confines it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "scripts/demo.sh: run as root" >&2
	exit 1
fi
scripts/install-deps.sh --all
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
ward=$(pwd)/build/ward

demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"
scripts/mkrootfs.sh "$demo/rootfs"
"$ward" spec --bundle "$demo"
# The hardened defaults of `ward spec`, plus a user namespace: root in the
# container is uid 100000 on the host; ping's groups only those it maps
# (the kernel refuses gids the user namespace does not map).
jq '.process.terminal = false
  | .hostname = "ward-demo"
  | .linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.sysctl["net.ipv4.ping_group_range"] = "0 65535"
  | .process.args = ["sh", "-c", "echo \"hostname: $(hostname)\"; echo \"uid_map: $(cat /proc/self/uid_map)\"; grep -E \"^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):\" /proc/self/status; echo mounts:; cat /proc/self/mounts"]' \
  "$demo/config.json" >"$demo/config.json.new"
mv "$demo/config.json.new" "$demo/config.json"
exec "$ward" run --bundle "$demo" "ward-demo-$$"
