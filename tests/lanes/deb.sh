#!/usr/bin/env bash
# Debian package lane: the package a user installs with apt/dpkg, built and
# used as they would.
#  - a clean copy of the tree (the files git knows, or the tree without
#    build output: never the developer's build/) is built with
#    `dpkg-buildpackage -b -us -uc`, and its source package made;
#  - lintian finds no error and no warning in either;
#  - `dpkg -i` installs ward_*.deb: /usr/bin/ward (as Debian's crun; ward
#    is for unprivileged users too), a man page for ward and each command
#    it lists, the bash completion, the documentation;
#  - the installed /usr/bin/ward runs a container (its output and exit
#    status checked), `man ward-run` shows the page, the installed
#    completion completes;
#  - `dpkg --purge` removes every file again.
# The host is restored whatever happens (trap): the package purged, files it
# replaced put back. A host with a ward package of its own installed is
# left alone (skip). Prints TAP on stdout. About a minute on the 2-core test
# machine, most of it dpkg-buildpackage.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
# not_ok DESCRIPTION [FILE]: a failure, with FILE's last lines as diagnostics.
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 25 "$2" | sed 's/^/# /'
	return 0
}
skip_all() {
	echo "ok 1 - Debian package # skip $*"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "needs root (dpkg -i)"
for tool in dpkg-buildpackage dh lintian man jq; do
	command -v "$tool" >/dev/null ||
		skip_all "$tool is missing (scripts/install-deps.sh --all installs it)"
done
if dpkg-query -W -f='${Status}' ward 2>/dev/null | grep -q 'install ok installed'; then
	skip_all "a ward package is installed on this host; this lane would replace it"
fi

# dpkg_waiting LOG ARGS...: dpkg ARGS, output in LOG; while another apt or
# dpkg run holds dpkg's lock (a parallel install-deps.sh), wait for it (up
# to 10 minutes) instead of failing.
dpkg_waiting() {
	local log=$1 i
	shift
	for i in $(seq 1 300); do
		dpkg "$@" >"$log" 2>&1 && return 0
		grep -qiE 'frontend lock|database is locked|locked by another' "$log" || return 1
		sleep 2
	done
	return 1
}

work=$(mktemp -d /tmp/ward-deb.XXXXXX)
backup=$work/backup
installed=0
restore() {
	if [ "$installed" = 1 ]; then
		dpkg_waiting "$work/purge-trap.log" --purge ward ||
			echo "# deb lane: dpkg --purge ward failed: $(tail -n 3 "$work/purge-trap.log")"
	fi
	# Files the package replaced, put back where they were.
	if [ -d "$backup" ]; then
		(cd "$backup" && find . -type f -o -type l) | while read -r f; do
			mkdir -p "$(dirname "/${f#./}")"
			mv -f "$backup/${f#./}" "/${f#./}"
		done
	fi
	rm -rf "$work"
}
trap restore EXIT
trap 'exit 1' INT TERM

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
src=$work/ward-$version

# 1. A clean copy of the tree.
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -co --exclude-standard -z >"$work/files"
else
	find . \( -path ./.git -o -path ./build -o -path './build-*' -o -path ./.cache \
		-o -path ./tests/fixtures/cache -o -path './obj-*' \) -prune -o \
		\( -type f -o -type l \) -printf '%P\0' >"$work/files"
fi
# ls-files lists files deleted from the work tree too: only existing ones.
tr '\0' '\n' <"$work/files" | while read -r f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -C "$src" -xf -
if [ -f "$src/debian/control" ] && [ -f "$src/meson.build" ] && [ ! -e "$src/build" ] &&
	[ -z "$(find "$src" -name '*.o' -print -quit)" ]; then
	ok "a clean copy of the tree ($(tr -cd '\0' <"$work/files" | wc -c) files, no build output)"
else
	not_ok "a clean copy of the tree in $src (debian/control, meson.build, no build/)"
	exit 0
fi

# 2. The source package and the binary package.
start=$(date +%s)
if (cd "$src" && dpkg-source -b . >"$work/source.log" 2>&1); then
	ok "dpkg-source -b makes ward_$version.dsc"
else
	not_ok "dpkg-source -b fails" "$work/source.log"
fi
export DEB_BUILD_OPTIONS="parallel=$(nproc)"
if (cd "$src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1); then
	deb=$(ls "$work"/ward_"$version"_*.deb 2>/dev/null | head -1)
fi
if [ -n "${deb:-}" ]; then
	ok "dpkg-buildpackage -b -us -uc builds ${deb##*/} ($(($(date +%s) - start)) s)"
else
	not_ok "dpkg-buildpackage -b -us -uc builds no ward_${version}_*.deb" "$work/build.log"
	exit 0
fi

# 3. lintian: no error, no warning. A warning that is right to keep would be
# overridden with its reason in debian/*lintian-overrides (none is, today).
lint=$work/lintian.log
lintian --tag-display-limit 0 --fail-on error,warning "$work"/ward_"$version"_*.changes \
	$(ls "$work"/ward_"$version".dsc 2>/dev/null) >"$lint" 2>&1
lrc=$?
bad=$(grep -cE '^[EW]: ' "$lint")
if [ "$lrc" -eq 0 ] && [ "$bad" -eq 0 ]; then
	ok "lintian: no errors or warnings in the binary and source packages"
else
	not_ok "lintian: $bad errors or warnings (exit status $lrc)" "$lint"
fi

# 4. Install. Files of the package already on the host (an unpackaged
# /usr/bin/ward, say) are kept aside and put back by restore. Paths
# excluded by dpkg.cfg (container images drop man pages) are included.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' >"$work/contents"
while read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		mkdir -p "$backup$(dirname "$f")"
		mv "$f" "$backup$f"
	fi
done <"$work/contents"
installed=1
if dpkg_waiting "$work/install.log" --path-include='/usr/share/man/man1/ward*' \
	--path-include='/usr/share/doc/ward/*' -i "$deb"; then
	ok "dpkg -i ${deb##*/} installs ward $(dpkg-query -W -f='${Version}' ward)"
else
	not_ok "dpkg -i ${deb##*/} fails" "$work/install.log"
	exit 0
fi

# 5. What it installed: the binary, a man page per command, completion, docs.
ward=/usr/bin/ward
missing=()
[ -x "$ward" ] || missing+=("$ward")
for page in ward $("$ward" --help 2>/dev/null |
	awk '/^Commands:$/ { f = 1; next } f && /^$/ { exit } f { print "ward-" $1 }'); do
	[ -s "/usr/share/man/man1/$page.1.gz" ] || missing+=("man1/$page.1.gz")
done
for f in /usr/share/bash-completion/completions/ward /usr/share/doc/ward/copyright \
	/usr/share/doc/ward/README.md.gz /usr/share/doc/ward/seccomp.md.gz; do
	[ -s "$f" ] || missing+=("$f")
done
pages=$(ls /usr/share/man/man1/ward*.1.gz 2>/dev/null | wc -l)
if [ "${#missing[@]}" -eq 0 ] && [ "$pages" -ge 10 ]; then
	ok "installed: $ward, $pages man pages (one per command), bash completion, docs"
else
	not_ok "installed files missing: ${missing[*]:-(only $pages man pages)}"
fi

# 6. The installed ward runs a container; its version is the package's.
bundle=$work/bundle
mkdir -p "$bundle"
if [ -x tests/fixtures/cache/rootfs/bin/busybox ]; then
	cp -a tests/fixtures/cache/rootfs "$bundle/rootfs"
else
	scripts/mkrootfs.sh "$bundle/rootfs" >"$work/rootfs.log" 2>&1
fi
run_log=$work/run.log
if "$ward" spec --bundle "$bundle" >"$run_log" 2>&1 &&
	jq '.process.terminal = false
	  | .process.args = ["sh", "-c", "echo hello from $(hostname), pid $$; exit 3"]' \
		"$bundle/config.json" >"$bundle/config.json.new" &&
	mv "$bundle/config.json.new" "$bundle/config.json"; then
	"$ward" --root "$work/state" run --bundle "$bundle" "ward-deb-$$" >>"$run_log" 2>&1 </dev/null
	rc=$?
else
	rc=spec
fi
left=$("$ward" --root "$work/state" list -q 2>/dev/null)
if [ "$rc" = 3 ] && grep -qx 'hello from ward, pid 1' "$run_log" && [ -z "$left" ]; then
	ok "the installed $ward runs a container (pid 1 in its namespace, exit status 3 passed on)"
else
	not_ok "the installed $ward run: exit status $rc (want 3), left: ${left:-none}" "$run_log"
fi
# ward links no libcrypto and dlopens libcrypto.so.3 for integrity: the
# package must say it needs libssl3 (dpkg-shlibdeps sees only what is linked).
int_log=$work/integrity.log
deps=$(dpkg-deb -f "$deb" Depends)
if rm -f "$bundle/config.json" && "$ward" spec --integrity --bundle "$bundle" >"$int_log" 2>&1 &&
	jq '.process.terminal = false | .process.args = ["sh", "-c", "echo measured"]' \
		"$bundle/config.json" >"$bundle/config.json.new" &&
	mv "$bundle/config.json.new" "$bundle/config.json"; then
	"$ward" --debug --root "$work/state" run --bundle "$bundle" "ward-deb-i-$$" \
		>>"$int_log" 2>&1 </dev/null
	rc=$?
else
	rc=spec
fi
if [[ $deps == *"libssl3 (>= 3.0.0)"* ]] && [ "$rc" = 0 ] && grep -qx measured "$int_log" &&
	grep -q 'integrity: libcrypto.so.3 loaded' "$int_log"; then
	ok "Depends: libssl3; the installed ward runs a container with integrity (libcrypto.so.3 loaded then)"
else
	not_ok "Depends: ${deps:-none} (want libssl3); run with integrity: exit status $rc" "$int_log"
fi
got=$("$ward" --version | sed -n 's/^ward version //p')
if [ "$got" = "$version" ]; then
	ok "ward --version ($got) is the package's version"
else
	not_ok "ward --version says \"$got\", the package is $version"
fi

# 7. man ward-run, as a user types it. At a width of 66-80 man-db would
# use and save cat pages (/var/cache/man): a page from an earlier run, with
# the same date (the changelog's), would be shown instead, and one would
# be left behind.
man_out=$work/man.log
MANPAGER=cat MANWIDTH=100 man ward-run >"$man_out" 2>&1
where=$(man -w ward-run 2>/dev/null)
if [ "$where" = /usr/share/man/man1/ward-run.1.gz ] &&
	grep -q 'ward-run - create and start a container' "$man_out" &&
	grep -q -- '--bundle' "$man_out"; then
	ok "man ward-run shows the installed page ($where)"
else
	sed -n 1,12p "$man_out" >"$man_out.head"
	not_ok "man ward-run: page at \"$where\", NAME not \"ward-run - create and start a container\"" \
		"$man_out.head"
fi

# 8. The installed completion completes with the installed ward.
got=$(bash -c 'source /usr/share/bash-completion/completions/ward &&
	COMP_WORDS=(ward ru) COMP_CWORD=1 && _ward ward ru ward && echo "${COMPREPLY[*]}"' 2>&1)
if [ "$got" = run ]; then
	ok "the installed bash completion completes \"ward ru\" to \"run\""
else
	not_ok "the installed bash completion: \"ward ru\" gives \"$got\""
fi

# 9. Purge: nothing of the package is left.
if dpkg_waiting "$work/purge.log" --purge ward; then
	installed=0
	left=()
	while read -r f; do
		[ -e "$f" ] || [ -L "$f" ] && [ ! -e "$backup$f" ] && left+=("$f")
	done <"$work/contents"
	if [ "${#left[@]}" -eq 0 ] && ! dpkg-query -W -f='${Status}' ward 2>/dev/null |
		grep -q 'ok installed'; then
		ok "dpkg --purge ward removes all $(wc -l <"$work/contents") files"
	else
		not_ok "dpkg --purge ward leaves: ${left[*]}"
	fi
else
	not_ok "dpkg --purge ward fails" "$work/purge.log"
fi
echo "# deb lane: $(($(date +%s) - start)) s"
echo "1..$n"
