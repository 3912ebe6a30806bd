#!/usr/bin/env bash
# Build the initramfs (cpio, newc, uncompressed) of ward's KVM test lanes.
# It is two archives back to back, which the kernel unpacks in order:
#   base (cached in $KVM_CACHE/initramfs/base-KEY.cpio, rebuilt when this
#   script, the guest /init, scripts/mkrootfs.sh, the Debian packages used or
#   LANE_HOST_BINS change): busybox-static with its applet links, bash, bats,
#   jq and their libraries, /init (scripts/kvm/init), and the busybox rootfs
#   the tests copy into bundles (scripts/mkrootfs.sh) at
#   /ward/tests/fixtures/cache/rootfs;
#   run (rebuilt every time, it is small): the ward binary and its libraries
#   at /ward/build/ward, tests/integration/helpers*.bash and the lane's bats
#   files in /ward/tests/integration, kernel modules, /lane/env.
# The guest is laid out like a merged-/usr Debian: /bin, /sbin, /lib, /lib64
# are links into /usr, so every library path `ldd` prints resolves.
#
# Usage: scripts/kvm/build-guest.sh OUT.cpio
# Env:
#   WARD               the ward binary (default build/ward)
#   LANE_BATS_FILES    paths of the .bats files to run (space separated)
#   LANE_NAME          shown by the guest
#   KERNEL_DIR         from fetch-kernel.sh (needed for LANE_MODULES)
#   LANE_MODULES       modules to insmod in the guest, with their
#                      dependencies, taken from the kernel package
#   LANE_GUEST_PKGS    installed Debian packages whose programs (bin and
#                      sbin dirs) go into the guest with their libraries,
#                      over the busybox applets of the same name; default
#                      "coreutils procps util-linux findutils grep sed", so
#                      the tests meet the same tools as on a Debian host
#                      (date +%N, ps -o, findmnt, ...)
#   LANE_HOST_BINS     extra host programs for the guest (names or paths),
#                      copied with their libraries (e.g. apparmor_parser)
#   LANE_GUEST_FILES   host files for the guest, "SRC:NAME" (space separated):
#                      /lane/files/NAME in the per-run archive
#   LANE_GUEST_ENV     extra "VAR=value" lines exported in the guest
#   LANE_GUEST_SETUP   a sh script the guest /init sources before bats
#   LANE_BATS_FILTER   passed to bats --filter in the guest
#   KVM_CACHE          cache dir (default tests/fixtures/cache/kvm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: build-guest.sh OUT.cpio}
cache=${KVM_CACHE:-$top/tests/fixtures/cache/kvm}
ward=${WARD:-$top/build/ward}
mkdir -p "$cache/initramfs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-guest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Where host path $1 lives in the merged-/usr guest.
guest_path() {
	case $1 in
	/bin/* | /sbin/* | /lib/* | /lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

# copy_file STAGE SRC [DEST]: SRC (links resolved) at DEST (default: SRC's
# guest path) in STAGE, replacing whatever is there (busybox applet links).
copy_file() {
	local stage=$1 src=$2 dst
	dst=$stage$(guest_path "${3:-$src}")
	mkdir -p "$(dirname "$dst")"
	rm -f "$dst"
	cp -L --preserve=mode "$src" "$dst"
}

# copy_prog STAGE PROG [DEST]: a program plus the libraries and loader ldd lists.
copy_prog() {
	local stage=$1 src=$2 lib
	copy_file "$stage" "$src" "${3:-$src}"
	# Static programs: ldd fails ("not a dynamic executable").
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
		copy_file "$stage" "$lib"
	done
}

# Host path of a program given by name or path.
find_prog() {
	local p
	case $1 in
	/*) p=$1 ;;
	*) p=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH command -v "$1" || true) ;;
	esac
	if [ -z "$p" ] || [ ! -x "$p" ]; then
		echo "build-guest: program $1 not found on the host" >&2
		return 1
	fi
	echo "$p"
}

# Write the archive of STAGE to OUT (entries owned by root, sorted).
pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2"
}

# --- base archive ---------------------------------------------------------
guest_pkgs=${LANE_GUEST_PKGS-coreutils procps util-linux findutils grep sed}
host_bins=()
for pkg in $guest_pkgs; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || {
		echo "build-guest: package $pkg (LANE_GUEST_PKGS) is not installed" >&2
		exit 1
	}
	while read -r f; do
		case $f in /bin/* | /sbin/* | /usr/bin/* | /usr/sbin/*) ;; *) continue ;; esac
		[ -f "$f" ] && [ -x "$f" ] && host_bins+=("$f")
	done < <(dpkg -L "$pkg")
done
for b in ${LANE_HOST_BINS:-}; do
	host_bins+=("$(find_prog "$b")")
done
key=$(
	{
		cat "$here/build-guest.sh" "$here/init" "$top/scripts/mkrootfs.sh"
		# shellcheck disable=SC2086 # a word list
		dpkg-query -W busybox-static bash bats jq libc6 libjq1 libonig5 libtinfo6 $guest_pkgs 2>&1 || true
		echo "${LANE_HOST_BINS:-}"
		# The programs and their libraries by content: ldd's own output has
		# load addresses that change with every run (ASLR).
		for b in ${LANE_HOST_BINS:-}; do
			b=$(find_prog "$b")
			sha256sum "$b"
			for lib in $(ldd "$b" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
				sha256sum "$lib"
			done
		done
	} | sha256sum | cut -c1-16
)
base=$cache/initramfs/base-$key.cpio
if [ ! -s "$base" ]; then
	echo "# build-guest: building base archive $base" >&2
	s=$tmp/base
	mkdir -p "$s"/usr/{bin,sbin,lib,lib64} "$s"/{etc,proc,sys,dev,tmp,run,root,newroot,var/tmp,lane}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$s/$d"; done
	chmod 1777 "$s/tmp" "$s/var/tmp"
	chmod 0700 "$s/root"
	# Stage 1 of /init runs before devtmpfs: the kernel opens /dev/console for it.
	mknod -m 600 "$s/dev/console" c 5 1
	mknod -m 666 "$s/dev/null" c 1 3

	bb=/bin/busybox
	if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
		echo "build-guest: $bb is missing or not static; install busybox-static" >&2
		exit 1
	fi
	copy_file "$s" "$bb"
	for a in $("$bb" --list-full); do
		case $a in */*) ;; *) continue ;; esac # "linuxrc"
		dst=$s$(guest_path "/$a")
		[ -e "$dst" ] || [ -L "$dst" ] || ln -s /bin/busybox "$dst"
	done
	copy_prog "$s" "$(find_prog bash)" /bin/bash
	copy_prog "$s" "$(find_prog jq)" /usr/bin/jq
	dpkg -L bats >/dev/null || { echo "build-guest: bats is not installed" >&2; exit 1; }
	while read -r f; do
		case $f in /usr/share/*) continue ;; esac
		[ -f "$f" ] && [ ! -L "$f" ] && copy_file "$s" "$f"
	done < <(dpkg -L bats)
	for b in "${host_bins[@]}"; do
		copy_prog "$s" "$b"
	done

	cat >"$s/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/bash
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$s/etc/group" <<-'EOF'
		root:x:0:
		tty:x:5:
		nogroup:x:65534:
	EOF
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$s/etc/hosts"
	echo ward-lane >"$s/etc/hostname"
	: >"$s/etc/resolv.conf"

	install -m 0755 "$here/init" "$s/init"
	mkdir -p "$s/ward/scripts" "$s/ward/tests/integration" "$s/ward/build"
	install -m 0755 "$top/scripts/mkrootfs.sh" "$s/ward/scripts/mkrootfs.sh"
	"$top/scripts/mkrootfs.sh" "$s/ward/tests/fixtures/cache/rootfs" >/dev/null

	pack "$s" "$tmp/base.cpio"
	mv "$tmp/base.cpio" "$base"
	# Old bases (other keys) unused for two weeks.
	find "$cache/initramfs" -name 'base-*.cpio' -mtime +14 -delete 2>/dev/null || true
fi
touch "$base"

# --- per-run archive ------------------------------------------------------
r=$tmp/run
mkdir -p "$r/usr/lib" "$r/ward/build" "$r/ward/tests/integration" "$r/lane"
[ -x "$ward" ] || { echo "build-guest: ward binary $ward not found" >&2; exit 1; }
copy_prog "$r" "$ward" /ward/build/ward
for f in "$top"/tests/integration/helpers*.bash "$top"/tests/integration/setup_suite.bash; do
	[ -f "$f" ] && cp "$f" "$r/ward/tests/integration/"
done
cp "$top/tests/assert.bash" "$r/ward/tests/" # sourced by helpers.bash
names=()
for f in ${LANE_BATS_FILES:-}; do
	[ -f "$f" ] || { echo "build-guest: bats file $f not found" >&2; exit 1; }
	n=$(basename "$f")
	cp "$f" "$r/ward/tests/integration/$n"
	names+=("$n")
done

# Kernel modules with their dependencies, in load order (cached per set).
mods=()
if [ -n "${LANE_MODULES:-}" ]; then
	: "${KERNEL_DIR:?build-guest: LANE_MODULES needs KERNEL_DIR (fetch-kernel.sh)}"
	want=$(echo "$LANE_MODULES" | tr '-' '_' | xargs -n1 | sort -u | xargs)
	mkey=$(echo "$want" | sha256sum | cut -c1-12)
	mcache=$KERNEL_DIR/modules-$mkey
	if [ ! -s "$mcache/load-order" ]; then
		# Depth-first: dependencies before the modules that need them.
		awk -v want="$want" '
			{ path[$1] = $2; deps[$1] = $3 }
			function visit(m,   d, n, i) {
				if (m in seen) return
				seen[m] = 1
				if (!(m in path)) { missing = missing " " m; return }
				if (deps[m] != "-") {
					n = split(deps[m], d, ",")
					for (i = 1; i <= n; i++) visit(d[i])
				}
				print m, path[m]
			}
			END {
				n = split(want, w, " ")
				for (i = 1; i <= n; i++) visit(w[i])
				if (missing != "") { print "missing modules (built in or unknown):" missing > "/dev/stderr" }
			}' "$KERNEL_DIR/modules.dep" >"$tmp/order"
		mkdir -p "$tmp/mods"
		if [ -s "$tmp/order" ]; then
			# shellcheck disable=SC2046 # member names have no spaces
			dpkg-deb --fsys-tarfile "$KERNEL_DIR/pkg.deb" |
				tar -x -C "$tmp/mods" $(awk '{ print $2 }' "$tmp/order")
		fi
		mkdir -p "$tmp/mc"
		while read -r m p; do
			cp "$tmp/mods/$p" "$tmp/mc/$m.ko"
		done <"$tmp/order"
		awk '{ print $1 }' "$tmp/order" >"$tmp/mc/load-order"
		rm -rf "$mcache"
		mv -T "$tmp/mc" "$mcache" 2>/dev/null || true
	fi
	if [ -s "$mcache/load-order" ]; then
		mkdir -p "$r/lane/modules"
		cp "$mcache"/*.ko "$mcache/load-order" "$r/lane/modules/"
		mapfile -t mods <"$mcache/load-order"
	fi
fi

for f in ${LANE_GUEST_FILES:-}; do
	src=${f%%:*} dst=${f#*:}
	case $dst in "" | */* | "$f") echo "build-guest: LANE_GUEST_FILES entry \"$f\" is not SRC:NAME" >&2; exit 1 ;; esac
	[ -f "$src" ] || { echo "build-guest: $src (LANE_GUEST_FILES) not found" >&2; exit 1; }
	mkdir -p "$r/lane/files"
	cp "$src" "$r/lane/files/$dst"
done

if [ -n "${LANE_GUEST_SETUP:-}" ]; then
	install -m 0644 "$LANE_GUEST_SETUP" "$r/lane/setup.sh"
fi

q() { printf '%q' "$1"; }
{
	echo "# Written by scripts/kvm/build-guest.sh; sourced by /init."
	echo "export LANE_NAME=$(q "${LANE_NAME:-kvm lane}")"
	echo "export WARD_SRC=/ward"
	echo "export WARD=/ward/build/ward"
	echo "export ROOTFS_CACHE=/ward/tests/fixtures/cache/rootfs"
	echo "export LANE_BATS=$(q "${names[*]:-}")"
	echo "export LANE_MODULES_LOADED=$(q "${mods[*]:-}")"
	echo "export LANE_DISK_MB=$(q "${LANE_DISK_MB:-0}")"
	echo "export LANE_BATS_FILTER=$(q "${LANE_BATS_FILTER:-}")"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		case $line in
		*=*) echo "export ${line%%=*}=$(q "${line#*=}")" ;;
		*) echo "build-guest: LANE_GUEST_ENV line without '=': $line" >&2; exit 1 ;;
		esac
	done <<<"${LANE_GUEST_ENV:-}"
} >"$r/lane/env"

pack "$r" "$tmp/run.cpio"
cat "$base" "$tmp/run.cpio" >"$out.tmp"
mv "$out.tmp" "$out"
echo "# build-guest: $(du -h "$out" | cut -f1) initramfs (base $(du -h "$base" | cut -f1))" >&2
