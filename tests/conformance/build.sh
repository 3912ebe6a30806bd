#!/usr/bin/env bash
# Builds the OCI runtime-tools validation suite from Debian's source package
# into a cache directory, once: later runs find it and return at once.
#   tests/conformance/build.sh [CACHE]   (default tests/fixtures/cache/conformance)
# Leaves CACHE/bin/: runtimetest, rootfs-amd64.tar.gz and one executable per
# validation/<name>/ program, the layout the programs expect in their working
# directory. On failure exits non-zero, the last line of stderr saying why.
#
# Offline except for apt: the Go libraries are Debian's golang-*-dev packages
# (scripts/install-deps.sh installs them) used in GOPATH mode from
# /usr/share/gocode; github.com/mndrix/tap-go, the one import Debian does not
# package, is ward's own tests/conformance/tap-go.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-$here/../fixtures/cache/conformance}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

pkg=golang-github-opencontainers-runtime-tools
# Pinned, so that expected-failures.txt describes a known suite. 0.9.0.109
# is Debian 13's; Debian 12's 0.9.0+git20220423 is no longer served by the
# archive mirror here (its .dsc is, its tarballs answer 404). It builds with
# Debian 12's Go 1.19 and libraries.
version=${CONFORMANCE_VERSION:-0.9.0.109.ge931285-1}
suite=${CONFORMANCE_SUITE:-trixie}
upstream=${version%-*}

# The build is redone when the recipe changes: version, this script, tap-go.
key=$(cat "$0" "$here"/tap-go/*.go | sha256sum | cut -c1-16)
key="$version $key"
if [ -f "$cache/bin/.built" ] && [ "$(cat "$cache/bin/.built")" = "$key" ]; then
	exit 0
fi

die() { echo "conformance build: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is missing (scripts/install-deps.sh installs golang-go)"

# Debian 13's Sources index, in a private apt directory: a trixie deb-src
# line in /etc/apt would make every other `apt-get source` pick trixie's
# version. Signed by Debian's archive key, like the system's lines.
apt_source() {
	local a=$cache/apt
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/parts"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$a/sources.list"
	local opts=(-o "Dir::Etc::SourceList=$a/sources.list" -o "Dir::Etc::SourceParts=$a/parts"
		-o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update -qq && apt-get "${opts[@]}" source --download-only -qq "$pkg=$version"
}

# apt verifies each file against the signed Sources index before keeping it.
# The .dsc may be missing from a mirror that serves the tarballs (it is here),
# so the files are checked, not apt's status; dpkg-source is used when it can.
fetch() {
	local dl=$cache/download
	mkdir -p "$dl"
	local orig=$dl/${pkg}_$upstream.orig.tar.xz deb=$dl/${pkg}_$version.debian.tar.xz
	if [ ! -f "$orig" ] || [ ! -f "$deb" ]; then
		(cd "$dl" && apt_source) >"$cache/fetch.log" 2>&1 || true
		rm -rf "$cache/apt" # 20 MB of index, needed again only for a new version
	fi
	if [ ! -f "$orig" ] || [ ! -f "$deb" ]; then
		die "apt-get source $pkg=$version ($suite) failed: $(grep -m1 '^E:' "$cache/fetch.log")"
	fi
	rm -rf "$cache/src" && mkdir -p "$cache/src"
	if [ -f "$dl/${pkg}_$version.dsc" ]; then
		dpkg-source -x "$dl/${pkg}_$version.dsc" "$cache/src/tree" >/dev/null ||
			die "dpkg-source -x ${pkg}_$version.dsc failed"
		return
	fi
	mkdir "$cache/src/tree"
	tar -xJf "$orig" -C "$cache/src/tree" --strip-components=1 || die "cannot unpack $orig"
	tar -xJf "$deb" -C "$cache/src/tree" || die "cannot unpack $deb"
	local p
	while read -r p; do
		case "$p" in '' | '#'*) continue ;; esac
		patch -d "$cache/src/tree" -p1 -s <"$cache/src/tree/debian/patches/$p" ||
			die "debian patch $p does not apply"
	done <"$cache/src/tree/debian/patches/series"
}

build() {
	local gopath=$cache/gopath bin=$cache/bin.new
	rm -rf "$gopath" "$bin"
	mkdir -p "$gopath/src/github.com/opencontainers" "$gopath/src/github.com/mndrix" "$bin"
	ln -s "$cache/src/tree" "$gopath/src/github.com/opencontainers/runtime-tools"
	cp -r "$here/tap-go" "$gopath/src/github.com/mndrix/tap-go"
	# GOPATH mode: no module downloads; ours first, then Debian's libraries.
	export GO111MODULE=off GOPROXY=off GOFLAGS='' GOPATH="$gopath:/usr/share/gocode"
	export GOCACHE=$cache/gocache
	cd "$gopath/src/github.com/opencontainers/runtime-tools"
	# runtimetest runs inside the containers' busybox rootfs: static, as
	# runtime-tools' Makefile builds it.
	CGO_ENABLED=0 go build -tags "netgo osusergo" -ldflags "-s -w" \
		-o "$bin/runtimetest" ./cmd/runtimetest >"$cache/build.log" 2>&1 ||
		die "go build ./cmd/runtimetest failed: $(tail -n 3 "$cache/build.log" | tr '\n' ' ')"
	# One executable per validation/<name>/ (util/ is their library).
	go build -ldflags "-s -w" -o "$bin/" ./validation/... >>"$cache/build.log" 2>&1 ||
		die "go build ./validation/... failed: $(tail -n 3 "$cache/build.log" | tr '\n' ' ')"
	# The programs unpack rootfs-$GOARCH.tar.gz (busybox) for every bundle.
	local rootfs
	rootfs=rootfs-$(go env GOARCH).tar.gz
	[ -f "$rootfs" ] || die "the source package has no $rootfs for this architecture"
	cp "$rootfs" "$bin/"
	echo "$key" >"$bin/.built"
	rm -rf "${cache:?}/bin" "${GOCACHE:?}" && mv "$bin" "$cache/bin"
}

fetch
build
