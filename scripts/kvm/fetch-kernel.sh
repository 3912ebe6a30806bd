#!/usr/bin/env bash
# Fetch Debian 12's kernel for the KVM test lanes into a cache, once.
# Never installs it on the host: `apt-get download`s the package that
# linux-image-amd64 depends on (linux-image-6.1.0-NN-amd64) and keeps
#   $KVM_CACHE/kernel/VER/vmlinuz      the kernel
#   $KVM_CACHE/kernel/VER/config       its .config
#   $KVM_CACHE/kernel/VER/pkg.deb      the package (modules are taken from it
#                                      on demand by build-guest.sh)
#   $KVM_CACHE/kernel/VER/modules.dep  "name path-in-deb dep,dep" per module
#   $KVM_CACHE/kernel/current          VER of the kernel in use
# Prints the directory KVM_CACHE/kernel/VER on stdout; progress on stderr.
# Later runs use the cached kernel without any network access;
# LANE_KERNEL_REFRESH=1 resolves linux-image-amd64 again (a newer point
# release is downloaded next to the old one).
# Usage: scripts/kvm/fetch-kernel.sh    Env: KVM_CACHE (default
# tests/fixtures/cache/kvm), LANE_KERNEL_PKG (a concrete package name).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KVM_CACHE:-$top/tests/fixtures/cache/kvm}
kroot=$cache/kernel
mkdir -p "$kroot"
# One fetch at a time (lanes may run side by side).
exec 9>"$kroot/.lock"
flock 9

if [ -z "${LANE_KERNEL_REFRESH:-}" ] && [ -z "${LANE_KERNEL_PKG:-}" ] && [ -s "$kroot/current" ]; then
	ver=$(cat "$kroot/current")
	if [ -s "$kroot/$ver/vmlinuz" ] && [ -s "$kroot/$ver/modules.dep" ]; then
		echo "$kroot/$ver"
		exit 0
	fi
fi

resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
pkg=${LANE_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(resolve)
	if [ -z "$pkg" ]; then
		echo "# fetch-kernel: apt lists have no linux-image-amd64; running apt-get update" >&2
		apt-get update -qq >&2
		pkg=$(resolve)
	fi
fi
if [ -z "$pkg" ]; then
	echo "fetch-kernel: cannot resolve linux-image-amd64 to a concrete package" >&2
	exit 1
fi
ver=${pkg#linux-image-}
kdir=$kroot/$ver
if [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/modules.dep" ]; then
	echo "$ver" >"$kroot/current"
	echo "$kdir"
	exit 0
fi

echo "# fetch-kernel: downloading $pkg (once; cached in $kdir)" >&2
tmp=$(mktemp -d "$kroot/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# APT::Sandbox::User=root: the cache dir is not reachable by the _apt user.
(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
deb=$(ls "$tmp"/*.deb)
mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
mdir=$tmp/x/lib/modules/$ver
[ -s "$tmp/x/boot/vmlinuz-$ver" ] || { echo "fetch-kernel: no boot/vmlinuz-$ver in $pkg" >&2; exit 1; }
[ -d "$mdir/kernel" ] || { echo "fetch-kernel: no lib/modules/$ver in $pkg" >&2; exit 1; }

mkdir -p "$tmp/out"
cp "$tmp/x/boot/vmlinuz-$ver" "$tmp/out/vmlinuz"
cp "$tmp/x/boot/config-$ver" "$tmp/out/config"
mv "$deb" "$tmp/out/pkg.deb"
echo "$ver" >"$tmp/out/version"
echo "$pkg $(dpkg-deb -f "$tmp/out/pkg.deb" Version)" >"$tmp/out/package"
# The package ships no modules.dep (depmod runs in its postinst, and kmod may
# not be installed here): read each module's "depends=" from its .modinfo.
(cd "$tmp/x" && grep -r -a -o 'depends=[A-Za-z0-9_,-]*' --include='*.ko' "lib/modules/$ver/kernel") |
	awk -F: '{
		path = $1; deps = substr($2, 9)
		n = path; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n)
		gsub(/-/, "_", deps)
		print n, "./" path, (deps == "" ? "-" : deps)
	}' | sort >"$tmp/out/modules.dep"
[ -s "$tmp/out/modules.dep" ] || { echo "fetch-kernel: found no modules in $pkg" >&2; exit 1; }

rm -rf "$kdir"
mv -T "$tmp/out" "$kdir"
echo "$ver" >"$kroot/current"
echo "# fetch-kernel: $pkg cached" >&2
echo "$kdir"
