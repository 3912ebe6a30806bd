#!/usr/bin/env bash
# The CRI api.proto that Debian's own packages carry: containerd's source
# package vendors k8s.io/cri-api. Fetched with `apt-get source` (a deb-src
# line: scripts/install-deps.sh adds /etc/apt/sources.list.d/debian-src.sources)
# once, then kept in the cache:
#   OUT/proto/cri_api_v1.proto   vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto,
#                                its gogoproto options removed (Go-only code
#                                generation hints; the wire format is the same)
#   OUT/proto/VERSIONS           the source package and the cri-api version (go.mod)
# Usage: tests/cri/getproto.sh OUT
set -euo pipefail
out=${1:?usage: getproto.sh OUT}
dest=$out/proto
mkdir -p "$dest" "$out/stubs"
[ -s "$dest/cri_api_v1.proto" ] && [ -s "$dest/VERSIONS" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The installed version's source if the deb-src index has it (a security
# update may be newer than bookworm's), else the index's.
installed=$(dpkg-query -W -f='${Version}' containerd 2>/dev/null || true)
cd "$work"
apt_src() { apt-get source --download-only -qq -o APT::Sandbox::User=root "$@" >/dev/null; }
apt_src "containerd=$installed" 2>/dev/null || apt_src containerd
orig=$(ls containerd_*.orig.tar.*)
dsc=$(ls containerd_*.dsc)
proto='*/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto'
tar -xf "$orig" --wildcards "$proto" '*/go.mod'
src=$(echo containerd-*/)
cri_api=$(awk '$1 == "k8s.io/cri-api" { print $2; exit }' "$src/go.mod")
[ -n "$cri_api" ] || { echo "getproto.sh: no k8s.io/cri-api in $src/go.mod" >&2; exit 1; }
sed '/gogoproto/d' "$src"/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto >"$dest/cri_api_v1.proto.new"
{
	echo "source package: ${dsc%.dsc} (Debian, apt-get source containerd)"
	echo "file: ${src%/}/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto"
	echo "k8s.io/cri-api: $cri_api"
	echo "containerd installed: $installed"
} >"$dest/VERSIONS"
mv "$dest/cri_api_v1.proto.new" "$dest/cri_api_v1.proto"
