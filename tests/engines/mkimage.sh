#!/usr/bin/env bash
# Build the engine tests' container image from Debian's busybox-static, with
# no registry: scripts/mkrootfs.sh makes the root filesystem, this script packs
# it as
#   OUT/rootfs.tar        a reproducible tar of it (for `podman import`)
#   OUT/oci-archive.tar   an OCI image layout in a tar (for `ctr image import`
#                         and `podman load`), built by tests/engines/oci-pack.sh
# The image is named docker.io/library/ward-busybox:latest in the archive.
# Both files are reused while they are newer than /bin/busybox and this script.
# Usage: tests/engines/mkimage.sh [OUT]   (default tests/fixtures/cache/engines)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/fixtures/cache/engines}
name=docker.io/library/ward-busybox:latest
mkdir -p "$out"

fresh() { [ -s "$1" ] && [ "$1" -nt /bin/busybox ] && [ "$1" -nt "$here/mkimage.sh" ] && [ "$1" -nt "$here/oci-pack.sh" ]; }
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

"$here/oci-pack.sh" "$work/rootfs.tar" "$name" \
	'{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"}' \
	"$work/oci-archive.tar"

mv -f "$work/rootfs.tar" "$out/rootfs.tar"
mv -f "$work/oci-archive.tar" "$out/oci-archive.tar"
