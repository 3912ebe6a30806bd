#!/usr/bin/env bash
# Pack one layer as an OCI image layout in a tar, by hand (tar, sha256sum,
# jq; no registry): what `ctr image import` and `podman load` read. The
# archive is reproducible: fixed times, sorted names, numeric owners.
# Usage: tests/engines/oci-pack.sh LAYER.tar NAME CONFIG OUT.tar
#   LAYER.tar  the root filesystem as an uncompressed tar
#   NAME       the image name (io.containerd.image.name), e.g. docker.io/library/x:latest
#   CONFIG     the image config's "config" object as JSON: {"Cmd":["/bin/sh"],...}
set -euo pipefail
layer_tar=${1:?usage: oci-pack.sh LAYER.tar NAME CONFIG OUT.tar}
name=${2:?NAME missing}
image_config=${3:?CONFIG missing}
out=${4:?OUT.tar missing}

work=$(mktemp -d "$(dirname "$out")/.oci-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
blobs="$work/oci/blobs/sha256"
mkdir -p "$blobs"
layer=$(sha "$layer_tar")
cp "$layer_tar" "$blobs/$layer"

jq -nc --arg diff "sha256:$layer" --argjson cfg "$image_config" '{
  created: "1970-01-01T00:00:00Z",
  architecture: "amd64", os: "linux",
  config: $cfg,
  rootfs: {type: "layers", diff_ids: [$diff]},
  history: [{created: "1970-01-01T00:00:00Z", created_by: "tests/engines/oci-pack.sh"}]
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
                             "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]
}' >"$work/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$work/oci" -cf "$work/out.tar" oci-layout index.json blobs
mv -f "$work/out.tar" "$out"
