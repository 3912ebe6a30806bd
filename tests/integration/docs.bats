#!/usr/bin/env bats
# The manual pages (man/*.1.scd, rendered by meson into build/man/) and the
# command line's own help tell the same story: every command `ward --help`
# lists has a page whose NAME is its summary and whose OPTIONS are exactly
# the options its `--help` lists (names and value placeholders), ward(1)'s
# GLOBAL OPTIONS are `ward --help`'s, `ward help COMMAND` is `ward COMMAND
# --help`, and every option a --help lists is one the command accepts. A
# command added without its page, or a flag added to one side only, fails
# here. The formats read are described in man/README.md.

load helpers
load helpers_help

MAN_SRC=$WARD_SRC/man
MAN_BUILD=$(dirname "$WARD")/man

# The same from section "# $2" of the scdoc page $1: lines
# "*-x*, *--name* _ARG_".
man_options() {
	awk -v sec="# $2" '
	$0 == sec { f = 1; next }
	f && /^# / { exit }
	f && /^\*-/ {
		line = $0; arg = ""
		if (match(line, /_[^_]+_$/)) {
			arg = substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, 1, RSTART - 1)
		}
		gsub(/\*/, "", line); sub(/ +$/, "", line)
		n = split(line, parts, ", ")
		for (i = 1; i <= n; i++) print parts[i] (arg == "" ? "" : " " arg)
	}' "$1" | sort
}

# Compare two option lists, saying which side lacks what.
same_options() {
	local what=$1 help=$2 man=$3
	[ "$help" = "$man" ] && return 0
	echo "$what: options differ (< only in --help, > only in the man page):" >&2
	diff <(printf '%s\n' "$help") <(printf '%s\n' "$man") | grep '^[<>]' >&2
	return 1
}

@test "every command of ward --help has a manual page, built and listed in ward(1)" {
	local c missing=0 n=0
	[ -s "$MAN_BUILD/ward.1" ] || {
		echo "$MAN_BUILD/ward.1 was not built: is scdoc installed (scripts/install-deps.sh)?" >&2
		return 1
	}
	for c in $(help_commands); do
		n=$((n + 1))
		if [ ! -f "$MAN_SRC/ward-$c.1.scd" ]; then
			echo "no man/ward-$c.1.scd for command $c (template: man/README.md)" >&2
			missing=1
		elif [ ! -s "$MAN_BUILD/ward-$c.1" ]; then
			echo "ward-$c.1 not built: add 'ward-$c' to man_pages in man/meson.build" >&2
			missing=1
		fi
		if ! grep -qF "*ward-$c*(1)" "$MAN_SRC/ward.1.scd"; then
			echo "ward(1) does not point at ward-$c(1) in its COMMANDS" >&2
			missing=1
		fi
	done
	[ "$n" -ge 10 ] || { echo "only $n commands read from ward --help" >&2; return 1; }
	[ "$missing" = 0 ]
}

@test "every manual page is of a command ward has" {
	local f c bad=0
	for f in "$MAN_SRC"/ward-*.1.scd; do
		c=${f##*/ward-}
		c=${c%.1.scd}
		if ! help_commands | grep -qx "$c"; then
			echo "man/ward-$c.1.scd: ward --help has no command $c" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ]
}

@test "each page's NAME is the summary of its command in ward --help" {
	local c summary name bad=0
	for c in $(help_commands); do
		summary=$("$WARD" --help | awk -v c="$c" '/^Commands:$/ { f = 1; next }
			f && /^$/ { exit } f && $1 == c { sub(/^ +[^ ]+ +/, ""); print }')
		name=$(awk '/^# NAME$/ { f = 1; next } f && NF { print; exit }' "$MAN_SRC/ward-$c.1.scd")
		if [ "$name" != "ward-$c - $summary" ]; then
			echo "ward-$c.1.scd NAME \"$name\" is not \"ward-$c - $summary\"" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ]
}

@test "each command's --help lists exactly the options of its manual page" {
	local c bad=0 checked=0 help man
	for c in $(help_commands); do
		run "$WARD" "$c" --help
		if [ "$status" -ne 0 ] || [ -z "$output" ]; then
			echo "ward $c --help: status $status, output: $output" >&2
			bad=1
			continue
		fi
		help=$(help_options "Options:" <<<"$output")
		man=$(man_options "$MAN_SRC/ward-$c.1.scd" OPTIONS)
		[ -n "$help" ] && checked=$((checked + $(wc -l <<<"$help")))
		same_options "ward $c" "$help" "$man" || bad=1
	done
	# The parsers read something: ward has dozens of options.
	[ "$checked" -ge 40 ] || { echo "only $checked options read" >&2; return 1; }
	[ "$bad" = 0 ]
}

@test "ward --help's global options are ward(1)'s GLOBAL OPTIONS" {
	local help man
	help=$("$WARD" --help | help_options "Global options:")
	man=$(man_options "$MAN_SRC/ward.1.scd" "GLOBAL OPTIONS")
	[ "$(wc -l <<<"$help")" -ge 6 ]
	same_options "ward" "$help" "$man"
}

@test "ward help COMMAND prints what ward COMMAND --help prints" {
	local c bad=0
	for c in $(help_commands); do
		if [ "$("$WARD" help "$c")" != "$("$WARD" "$c" --help)" ]; then
			echo "ward help $c differs from ward $c --help" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ]
	[ "$("$WARD" help)" = "$("$WARD" --help)" ]
	run "$WARD" help frobnicate
	assert_failure
	assert_output_contains '"frobnicate"'
}

# A value to pass to an option whose placeholder is $1.
sample_value() {
	case $1 in
	*'|'*) echo "${1%%|*}" ;;
	CAP) echo CAP_CHOWN ;;
	*) echo 1 ;;
	esac
}

@test "every option a command's --help lists is one the command accepts" {
	local c opt arg ref out sub bad=0
	local tmp=$BATS_TEST_TMPDIR/accept
	mkdir -p "$tmp"
	cd "$tmp"
	for c in $(help_commands); do
		# A command with subcommands ("usage: ward seccomp default ...")
		# reads its options after the first of them.
		sub=$("$WARD" "$c" --help | sed -n "s/^usage: ward $c \([a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\1/p")
		ref=$(timeout 10 "$WARD" --root "$tmp/state" "$c" $sub --zz-no-such-option </dev/null 2>&1) || true
		if [[ "$ref" != *"unknown option --zz-no-such-option"* ]]; then
			echo "ward $c: a bogus option gives \"$ref\", not \"unknown option ...\"" >&2
			bad=1
			continue
		fi
		while read -r opt arg; do
			[ -n "$opt" ] || continue
			out=$(timeout 10 "$WARD" --root "$tmp/state" "$c" $sub "$opt" \
				${arg:+"$(sample_value "$arg")"} </dev/null 2>&1) || true
			if [[ "$out" == *"unknown option"* ]]; then
				echo "ward $c $opt: listed in --help but refused: $out" >&2
				bad=1
			fi
		done < <("$WARD" "$c" --help | help_options "Options:")
	done
	[ "$bad" = 0 ]
}

@test "the manual pages render without warnings" {
	local f warn bad=0
	command -v man >/dev/null || {
		echo "man (man-db) is not installed: scripts/install-deps.sh --all" >&2
		return 1
	}
	for f in "$MAN_BUILD"/ward*.1; do
		warn=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		if [ -n "$warn" ]; then
			echo "${f##*/}: $warn" >&2
			bad=1
		fi
		MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "^NAME" || {
			echo "${f##*/}: no NAME section rendered" >&2
			bad=1
		}
	done
	[ "$bad" = 0 ]
}
