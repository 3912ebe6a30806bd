#!/usr/bin/env bash
# Installs every Debian package ward needs to build, test and benchmark.
# Idempotent; run as root on Debian 12. Usage: scripts/install-deps.sh [--all|--build]
set -euo pipefail

build_pkgs=(
  build-essential meson ninja-build pkg-config
  libjansson-dev libseccomp-dev libcap-dev libaudit-dev libauparse-dev liblua5.4-dev libssl-dev
  scdoc
)
test_pkgs=(
  libcmocka-dev bats jq busybox-static uidmap util-linux iproute2 procps
  clang libclang-rt-14-dev strace
  qemu-system-x86 cpio apparmor secilc
  podman conmon catatonit netavark aardvark-dns containernetworking-plugins
  iptables slirp4netns fuse-overlayfs containerd runc
  crun hyperfine time valgrind libcap2-bin e2fsprogs auditd
  python3-grpcio python3-grpc-tools
  debhelper dpkg-dev lintian man-db
  criu
  # tests/conformance/build.sh: the OCI runtime-tools validation suite, in
  # GOPATH mode from these packages (what its runtimetest and validation/
  # import; Debian's Build-Depends list only the library part's).
  golang-go golang-github-google-uuid-dev golang-github-hashicorp-go-multierror-dev
  golang-github-mrunalp-fileutils-dev golang-github-opencontainers-selinux-dev
  golang-github-opencontainers-specs-dev golang-github-sirupsen-logrus-dev
  golang-github-urfave-cli-dev golang-gocapability-dev golang-golang-x-sys-dev
  ima-evm-utils openssl attr
)

mode=${1:---all}
case "$mode" in
  --build) pkgs=("${build_pkgs[@]}") ;;
  --all)   pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [--all|--build]" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: must run as root" >&2
  exit 1
fi

# deb-src for `apt-get source` (tests/cri/getproto.sh reads the CRI api.proto
# that containerd's source package vendors).
src_new=0
src_list=/etc/apt/sources.list.d/debian-src.sources
if [ "$mode" = --all ] && [ ! -e "$src_list" ]; then
  cat > "$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  src_new=1
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ] && [ "$src_new" = 0 ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run (a parallel install) instead of failing.
lock=(-o DPkg::Lock::Timeout=600)
apt-get "${lock[@]}" update -qq
[ "${#missing[@]}" -eq 0 ] ||
apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
