#!/usr/bin/env bash
# Build a minimal root filesystem from Debian's busybox-static: one static
# binary and its applet links, plus the few files a userland expects.
# Usage: scripts/mkrootfs.sh DIR   (DIR is created; existing content is kept)
set -euo pipefail
dir=${1:?usage: mkrootfs.sh DIR}
bb=/bin/busybox
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
  echo "mkrootfs: $bb is missing or dynamically linked; install busybox-static" >&2
  exit 1
fi
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,run,var/tmp}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
install -m 0755 "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$dir/$(dirname "$applet")"
  ln -sf /bin/busybox "$dir/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
G
echo "ward" > "$dir/etc/hostname"
: > "$dir/etc/resolv.conf"
