#!/usr/bin/env bash
# Build the engine tests' container image from Debian's busybox-static, with
# no registry: scripts/mkrootfs.sh makes the root filesystem, this script packs
# it as
#   OUT/rootfs.tar        a reproducible tar of it (for `podman import`)
#   OUT/oci-archive.tar   an OCI image layout in a tar (for `ctr image import`
#                         and `podman load`), built by hand: tar, sha256sum, jq
# The image is named docker.io/library/ward-busybox:latest in the archive.
# Both files are reused while they are newer than /bin/busybox and this script.
# Usage: tests/engines/mkimage.sh [OUT]   (default tests/fixtures/cache/engines)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/fixtures/cache/engines}
name=docker.io/library/ward-busybox:latest
mkdir -p "$out"

fresh() { [ -s "$1" ] && [ "$1" -nt /bin/busybox ] && [ "$1" -nt "$here/mkimage.sh" ]; }
if fresh "$out/rootfs.tar" && fresh "$out/oci-archive.tar"; then
	exit 0
fi

work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$top/scripts/mkrootfs.sh" "$work/rootfs" >/dev/null
# A non-root user for --user tests, and a group for it.
echo 'ward:x:1000:1000:ward:/home/ward:/bin/sh' >>"$work/rootfs/etc/passwd"
echo 'ward:x:1000:' >>"$work/rootfs/etc/group"
mkdir -p "$work/rootfs/home/ward" && chown 1000:1000 "$work/rootfs/home/ward"

# Reproducible layer: sorted, fixed times, numeric owners (all root but
# /home/ward; this runs as root, so the files are root's).
tar --sort=name --mtime=@0 --numeric-owner \
	--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$work/rootfs" -cf "$work/rootfs.tar" .

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
blobs="$work/oci/blobs/sha256"
mkdir -p "$blobs"
layer=$(sha "$work/rootfs.tar")
cp "$work/rootfs.tar" "$blobs/$layer"

jq -nc --arg diff "sha256:$layer" '{
  created: "1970-01-01T00:00:00Z",
  architecture: "amd64", os: "linux",
  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
           Cmd: ["/bin/sh"], WorkingDir: "/"},
  rootfs: {type: "layers", diff_ids: [$diff]},
  history: [{created: "1970-01-01T00:00:00Z", created_by: "tests/engines/mkimage.sh"}]
}' >"$work/config.json"
cfg=$(sha "$work/config.json")
mv "$work/config.json" "$blobs/$cfg"

jq -nc --arg cfg "sha256:$cfg" --argjson cfgsize "$(size "$blobs/$cfg")" \
	--arg layer "sha256:$layer" --argjson layersize "$(size "$blobs/$layer")" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cfg, size: $cfgsize},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $layer, size: $layersize}]
}' >"$work/manifest.json"
man=$(sha "$work/manifest.json")
mv "$work/manifest.json" "$blobs/$man"

jq -nc --arg man "sha256:$man" --argjson mansize "$(size "$blobs/$man")" --arg name "$name" '{
  schemaVersion: 2,
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
               digest: $man, size: $mansize,
               platform: {architecture: "amd64", os: "linux"},
               annotations: {"io.containerd.image.name": $name,
                             "org.opencontainers.image.ref.name": "latest"}}]
}' >"$work/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$work/oci" -cf "$work/oci-archive.tar" oci-layout index.json blobs

mv -f "$work/rootfs.tar" "$out/rootfs.tar"
mv -f "$work/oci-archive.tar" "$out/oci-archive.tar"
