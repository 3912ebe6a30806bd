#!/usr/bin/env bash
# Generic driver of ward's KVM test lanes (tests/lanes/*.sh set the LANE_*
# variables and exec this). Boots Debian 12's kernel under qemu-kvm with an
# initramfs holding ward, bats and the lane's bats files, and prints the
# guest's TAP on stdout, unchanged (bats numbers it). Anything that keeps
# the tests from running becomes one TAP line:
#   ok 1 - NAME # skip REASON        no usable KVM (or not root)
#   not ok 1 - NAME: WHAT FAILED     setup failure (with "# " log lines)
# and a guest that panics, hangs or loses output adds a "not ok" after the
# TAP it did print. Progress goes to stderr as "# " lines.
#
# Env (all optional):
#   LANE_NAME        the name in TAP lines ("kvm lane")
#   LANE_BATS        bats files: a bare name is tests/integration/NAME, a
#                    path is relative to the repository (or absolute).
#                    Missing files are reported as skipped.
#   LANE_CMDLINE, LANE_CMDLINE_EXTRA, LANE_TIMEOUT, LANE_MEM, LANE_SMP,
#   LANE_DISK_MB     see scripts/kvm/run-guest.sh
#   LANE_MODULES, LANE_HOST_BINS, LANE_GUEST_FILES, LANE_GUEST_ENV,
#   LANE_GUEST_SETUP see scripts/kvm/build-guest.sh
#   LANE_BATS_FILTER a regex for bats --filter in the guest
#   LANE_TCG_FILTER  under TCG emulation only: a bats --filter regex for the
#                    tests worth their emulated minutes; the others are
#                    reported as one skipped test. LANE_FULL=1 runs all.
#   LANE_TCG_WHY     the reason shown on that line
#   LANE_GUEST_PKGS  see scripts/kvm/build-guest.sh
#   LANE_PACKAGES    extra Debian packages the lane needs on the host
#   WARD             the ward binary (default build/ward)
#   KVM_CACHE        cache dir (default tests/fixtures/cache/kvm)
#   LANE_KEEP=DIR    keep the console log and initramfs in DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
name=${LANE_NAME:-kvm lane}
export LANE_NAME=$name
export KVM_CACHE=${KVM_CACHE:-$top/tests/fixtures/cache/kvm}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

skip() {
	echo "ok 1 - $name # skip $*"
	exit 0
}
# fail WHAT [LOG]: the setup failed; the last lines of LOG as TAP comments.
fail() {
	echo "not ok 1 - $name: $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 25 "$2" | tr -d '\r' | sed 's/^/# /'
	fi
	exit 1
}
note() { echo "# $name: $*" >&2; }

[ "$(id -u)" = 0 ] || skip "needs root (installs packages, builds the guest with device nodes)"

# --- accelerator ----------------------------------------------------------------
# auto: KVM when /dev/kvm is backed by hardware virtualization (kvm_intel,
# kvm_amd). A /dev/kvm from kvm_pvm (PVM, software nested virtualization, as
# on this project's machines) only boots PVM guest kernels: Debian's kernel
# hangs there, so auto falls back to TCG emulation (slower) unless
# LANE_TCG_FALLBACK=0. No /dev/kvm at all: skip (LANE_ACCEL=tcg forces TCG).
accel=${LANE_ACCEL:-auto}
accel_why=
kvm_usable() {
	[ -e /dev/kvm ] || { why_not="/dev/kvm does not exist (no KVM on this machine)"; return 1; }
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		why_not="/dev/kvm is not readable and writable"
		return 1
	fi
	if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
		why_not="/dev/kvm is PVM (kvm_pvm, no vmx/svm), which boots only PVM guest kernels, not Debian's"
		return 2
	fi
	return 0
}
why_not=
case $accel in
auto)
	kvm_usable
	case $? in
	0) accel=kvm ;;
	2)
		[ "${LANE_TCG_FALLBACK:-1}" = 1 ] || skip "$why_not (LANE_TCG_FALLBACK=0)"
		accel=tcg accel_why="$why_not"
		;;
	*) skip "$why_not; LANE_ACCEL=tcg runs the lane under emulation" ;;
	esac
	;;
kvm)
	kvm_usable
	[ $? = 1 ] && skip "$why_not"
	;;
tcg) accel_why="LANE_ACCEL=tcg" ;;
*) fail "LANE_ACCEL must be auto, kvm or tcg (is $accel)" ;;
esac
export LANE_ACCEL=$accel
if [ "$accel" = tcg ]; then
	export LANE_TIMEOUT=${LANE_TIMEOUT:-900} LANE_BOOT_TIMEOUT=${LANE_BOOT_TIMEOUT:-180}
else
	export LANE_TIMEOUT=${LANE_TIMEOUT:-300} LANE_BOOT_TIMEOUT=${LANE_BOOT_TIMEOUT:-60}
fi
echo "# $name: accelerator $accel${accel_why:+ ($accel_why)}"

work=$(mktemp -d "${TMPDIR:-/tmp}/ward-lane.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$work"' EXIT
mkdir -p "$KVM_CACHE" || fail "cannot create the cache dir $KVM_CACHE"

# --- host packages (idempotent; scripts/install-deps.sh lists them too) ----
export LANE_GUEST_PKGS=${LANE_GUEST_PKGS-coreutils procps util-linux findutils grep sed}
# shellcheck disable=SC2206 # word lists
pkgs=(qemu-system-x86 cpio busybox-static bats jq $LANE_GUEST_PKGS ${LANE_PACKAGES:-})
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	note "installing ${missing[*]}"
	{
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	} >"$work/deps.log" 2>&1 || fail "apt-get install ${missing[*]} failed" "$work/deps.log"
fi
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not found after installing qemu-system-x86"

# --- inputs -------------------------------------------------------------------
export WARD=${WARD:-$top/build/ward}
[ -x "$WARD" ] || fail "ward binary $WARD not found (build it first: scripts/test.sh or ninja -C build)"

files=() absent=()
for b in ${LANE_BATS:-}; do
	case $b in
	/*) f=$b ;;
	*/*) f=$top/$b ;;
	*) f=$top/tests/integration/$b ;;
	esac
	if [ -f "$f" ]; then files+=("$f"); else absent+=("${f#"$top"/}"); fi
done
if [ "${#files[@]}" -eq 0 ]; then
	skip "no bats files to run (${absent[*]:-LANE_BATS is empty} not present)"
fi
export LANE_BATS_FILES="${files[*]}"

# Under emulation a lane may run only a subset by default (LANE_TCG_FILTER).
subset=
if [ "$accel" = tcg ] && [ -n "${LANE_TCG_FILTER:-}" ] && [ -z "${LANE_BATS_FILTER:-}" ] &&
	[ "${LANE_FULL:-0}" != 1 ]; then
	export LANE_BATS_FILTER=$LANE_TCG_FILTER
	subset=1
fi

# --- kernel ---------------------------------------------------------------------
t=$(now)
KERNEL_DIR=$("$here/fetch-kernel.sh" 2>"$work/kernel.log") ||
	fail "fetching Debian's kernel (linux-image-amd64) failed" "$work/kernel.log"
export KERNEL_DIR
note "kernel $(cat "$KERNEL_DIR/package" 2>/dev/null) ($(secs "$t" "$(now)") s)"

# --- initramfs ------------------------------------------------------------------
t=$(now)
"$here/build-guest.sh" "$work/initrd.cpio" 2>"$work/build.log" ||
	fail "building the guest initramfs failed" "$work/build.log"
t_build=$(secs "$t" "$(now)")
note "initramfs built in $t_build s: $(grep -o '[0-9.]*[KMG] initramfs' "$work/build.log")"

# --- boot -----------------------------------------------------------------------
log=$work/console.log
t=$(now)
note "booting the guest under $accel (timeout $LANE_TIMEOUT s)"
"$here/run-guest.sh" "$KERNEL_DIR/vmlinuz" "$work/initrd.cpio" "$log" 2>"$work/qemu.log"
qrc=$?
t_qemu=$(secs "$t" "$(now)")
if [ -n "${LANE_KEEP:-}" ]; then
	mkdir -p "$LANE_KEEP" && cp "$log" "$work/initrd.cpio" "$work"/*.log "$LANE_KEEP/" 2>/dev/null
fi

# --- results --------------------------------------------------------------------
con=$work/console.txt
tr -d '\r' <"$log" >"$con" 2>/dev/null || : >"$con"
if ! grep -q '^=== LANE TAP BEGIN ===$' "$con"; then
	# The tests never started: report why, with the console's last lines.
	if [ "$qrc" = 125 ]; then
		what="guest did not reach /init within $LANE_BOOT_TIMEOUT s under $accel"
		[ "$accel" = kvm ] && what="$what (a /dev/kvm that cannot run a stock kernel? try LANE_ACCEL=tcg)"
	elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		what="guest timed out after $LANE_TIMEOUT s before the tests started"
	elif grep -q 'LANE-INIT-ERROR' "$con"; then
		what="guest /init failed: $(grep -m1 'LANE-INIT-ERROR' "$con" | sed 's/.*LANE-INIT-ERROR: //')"
	elif grep -q 'Kernel panic' "$con"; then
		what="guest kernel panic: $(grep -m1 'Kernel panic' "$con" | sed 's/.*Kernel panic - //')"
	elif [ "$qrc" != 0 ]; then
		what="qemu failed (exit $qrc)"
		cat "$work/qemu.log" >>"$con"
	else
		what="guest stopped before the tests started"
	fi
	fail "$what" "$con"
fi

# Guest facts as TAP comments.
sed -n 's/^lane-info: /# guest: /p' "$con"
# The TAP itself: TAP lines verbatim, anything else (stray output) as comments.
awk '
	/^=== LANE TAP BEGIN ===$/ { on = 1; next }
	/^=== LANE TAP END rc=[0-9]+ ===$/ { on = 0; next }
	on {
		if ($0 ~ /^(ok|not ok)( |$)/ || $0 ~ /^1\.\.[0-9]+/ || $0 ~ /^#/) print
		else if ($0 != "") print "# " $0
	}' "$con" >"$work/tap"
cat "$work/tap"

ran=$(grep -cE '^(ok|not ok)( |$)' "$work/tap")
plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$work/tap" | head -n 1)
brc=$(sed -n 's/^=== LANE TAP END rc=\([0-9]*\) ===$/\1/p' "$con" | tail -n 1)
n=$ran
bad=0
grep -q '^not ok' "$work/tap" && bad=1
problem() {
	bad=1
	n=$((n + 1))
	echo "not ok $n - $name: $1"
	tail -n 15 "$con" | sed 's/^/# console: /'
}
if [ -z "$brc" ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		problem "guest timed out after $LANE_TIMEOUT s during the tests ($ran of ${plan:-?} reported)"
	elif grep -q 'Kernel panic' "$con"; then
		problem "guest kernel panic during the tests ($ran of ${plan:-?} reported)"
	else
		problem "guest stopped during the tests ($ran of ${plan:-?} reported, qemu exit $qrc)"
	fi
elif [ -n "$plan" ] && [ "$ran" -ne "$plan" ]; then
	problem "bats planned $plan tests but $ran results came back (bats exit $brc)"
elif [ "$brc" != 0 ] && ! grep -q '^not ok' "$work/tap"; then
	problem "bats exited $brc without a failing test"
fi
if [ -n "$subset" ] && [ -n "$plan" ]; then
	# shellcheck disable=SC2086 # a word list
	total=$(cat $LANE_BATS_FILES | grep -cE '^[[:space:]]*@test ')
	if [ "$total" -gt "$plan" ]; then
		n=$((n + 1))
		echo "ok $n - $name: $((total - plan)) of $total tests not run under TCG emulation" \
			"# skip ${LANE_TCG_WHY:-emulation is slow}; LANE_FULL=1 runs them all"
	fi
fi
for a in "${absent[@]}"; do
	n=$((n + 1))
	echo "ok $n - $name: $a # skip not present in the repository"
done

up_init=$(sed -n 's/^lane-info: init reached at \([0-9.]*\)s uptime$/\1/p' "$con")
up_start=$(sed -n 's/^lane-info: tests start at \([0-9.]*\)s uptime$/\1/p' "$con")
up_end=$(sed -n 's/^lane-info: tests end at \([0-9.]*\)s uptime$/\1/p' "$con")
tests_s='?'
[ -n "$up_start" ] && [ -n "$up_end" ] && tests_s=$(secs "$up_start" "$up_end")
echo "# $name: kernel boot to /init ${up_init:-?} s, guest setup done at ${up_start:-?} s," \
	"bats ${tests_s} s, qemu ($accel) ${t_qemu} s wall, initramfs build ${t_build} s," \
	"lane total $(secs "$t_start" "$(now)") s"
exit "$bad"
