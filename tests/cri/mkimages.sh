#!/usr/bin/env bash
# The CRI tests' two images, built here with no registry:
#   OUT/pause.tar   docker.io/library/ward-pause:1, one layer holding /pause
#                   (tests/cri/pause.c, static): the pod sandbox image
#   OUT/busybox.tar docker.io/library/ward-busybox:latest, the engine tests'
#                   busybox image (tests/engines/mkimage.sh): the containers
# Reused while newer than their sources. Usage: tests/cri/mkimages.sh OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: mkimages.sh OUT}
mkdir -p "$out"

# The engine suites' cache, shared: the image is the same.
engines=$top/tests/fixtures/cache/engines
"$top/tests/engines/mkimage.sh" "$engines" >&2
ln -sfn "$engines/oci-archive.tar" "$out/busybox.tar"

fresh() { [ -s "$1" ] && [ "$1" -nt "$here/pause.c" ] && [ "$1" -nt "$here/mkimages.sh" ] &&
	[ "$1" -nt "$top/tests/engines/oci-pack.sh" ]; }
fresh "$out/pause.tar" && exit 0
work=$(mktemp -d "$out/.pause.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/rootfs"
cc -static -Os -s -Wall -Wextra -Werror -o "$work/rootfs/pause" "$here/pause.c"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
"$top/tests/engines/oci-pack.sh" "$work/layer.tar" docker.io/library/ward-pause:1 \
	'{"Entrypoint":["/pause"],"WorkingDir":"/"}' "$work/pause.tar"
mv -f "$work/pause.tar" "$out/pause.tar"
