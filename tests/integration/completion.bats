#!/usr/bin/env bats
# Bash completion (completion/ward.bash), driven the way bash drives it:
# COMP_WORDS split as readline splits them (at COMP_WORDBREAKS, so
# "--root=DIR" is three words), COMP_CWORD, and the word being completed
# as the function's second argument. Its answers are checked against what
# `ward --help` and `ward COMMAND --help` say, read here independently.

load helpers
load helpers_help

setup() {
	setup_bundle
	# shellcheck source=/dev/null
	source "$WARD_SRC/completion/ward.bash"
}
teardown() { teardown_bundle; }

# Complete the last of the words given (COMP_WORDS[0] is $WARD) and print
# the candidates sorted, one a line.
complete_words() {
	COMP_WORDS=("$WARD" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	# readline's word starts after a word-break character: "--format=" is
	# completed as "" (seen with bash 5.2 on a pty).
	local word=${COMP_WORDS[COMP_CWORD]}
	[[ $word == [=:] ]] && word=
	_ward "$WARD" "$word" "${COMP_WORDS[COMP_CWORD - 1]}"
	[ "${#COMPREPLY[@]}" -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort
}

# Lists compared, with the difference shown.
same_list() {
	[ "$1" = "$2" ] && return 0
	echo "completion differs (< got, > want):" >&2
	diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") >&2
	return 1
}

@test "completion: the commands, as ward --help lists them" {
	[ "$(help_commands | wc -l)" -ge 10 ]
	same_list "$(complete_words "")" "$(help_commands | sort)"
	same_list "$(complete_words ins)" "inspect"
	same_list "$(complete_words p)" "$(printf '%s\n' pause policy ps)"
	same_list "$(complete_words help "")" "$(help_commands | sort)"
	[ -z "$(complete_words frob)" ]
}

@test "completion: global options and their values" {
	same_list "$(complete_words -)" "$("$WARD" --help | help_options "Global options:" | cut -d" " -f1 | sort)"
	same_list "$(complete_words --ro)" "$(printf '%s\n' --root --rootless)"
	same_list "$(complete_words --log-format "")" "$(printf '%s\n' json text)"
	same_list "$(complete_words --rootless a)" "auto"
	# after a global option and its value, the command
	same_list "$(complete_words --root /tmp --debug sp)" "spec"
}

@test "completion: each command's options, as its --help lists them" {
	local c want n=0
	for c in $(help_commands); do
		want=$("$WARD" "$c" --help | help_options "Options:" | cut -d" " -f1 | sort)
		[ -n "$want" ] && n=$((n + 1))
		same_list "$(complete_words "$c" -)" "$want" || {
			echo "for: ward $c -<TAB>" >&2
			return 1
		}
	done
	[ "$n" -ge 10 ]
	same_list "$(complete_words run --d)" "--detach"
	# options come before the arguments, after a subcommand
	[ -z "$(complete_words kill c1 -)" ]
	same_list "$(complete_words seccomp default --c)" "--cap"
}

@test "completion: option values: directories, files, choices, capabilities" {
	mkdir -p "$BATS_TEST_TMPDIR/cwd/bundle-a" "$BATS_TEST_TMPDIR/cwd/bundle-b"
	touch "$BATS_TEST_TMPDIR/cwd/bfile" "$BATS_TEST_TMPDIR/cwd/process.json"
	cd "$BATS_TEST_TMPDIR/cwd"
	same_list "$(complete_words run --bundle b)" "$(printf '%s\n' bundle-a bundle-b)"
	same_list "$(complete_words create -b "")" "$(printf '%s\n' bundle-a bundle-b)"
	same_list "$(complete_words exec --process p)" "process.json"
	same_list "$(complete_words list --format "")" "$(printf '%s\n' json table)"
	same_list "$(complete_words inspect -f t)" "text"
	same_list "$(complete_words exec --cap CAP_SYS_AD)" "CAP_SYS_ADMIN"
	same_list "$(complete_words update --cpu-idle "")" "$(printf '%s\n' 0 1)"
	# --name=value, split by readline at "=": the reply is the value alone
	same_list "$(complete_words list --format = j)" "json"
	same_list "$(complete_words list --format =)" "$(printf '%s\n' json table)"
	same_list "$(complete_words seccomp "")" "$(printf '%s\n' convert default)"
	same_list "$(complete_words seccomp convert p)" "process.json"
	[ -z "$(complete_words seccomp default "")" ]
}

@test "completion: container ids from ward list -q, under the --root given" {
	set_args sh -c 'while :; do sleep 1; done'
	local id
	for id in web-1 web-2 db; do
		run_detached create -b "$BUNDLE" "$id"
		assert_success
	done
	same_list "$(complete_words --root "$STATE_ROOT" kill "")" "$(printf '%s\n' db web-1 web-2)"
	same_list "$(complete_words --root "$STATE_ROOT" exec w)" "$(printf '%s\n' web-1 web-2)"
	# an option's value is not the command's argument
	same_list "$(complete_words --root "$STATE_ROOT" exec --cwd /tmp -u 0 : 0 w)" \
		"$(printf '%s\n' web-1 web-2)"
	same_list "$(complete_words --root = "$STATE_ROOT" delete --force d)" "db"
	same_list "$(complete_words --root "$STATE_ROOT" update --memory 64m we)" \
		"$(printf '%s\n' web-1 web-2)"
	# another root, another set: none
	mkdir -p "$BATS_TEST_TMPDIR/empty-root"
	[ -z "$(complete_words --root "$BATS_TEST_TMPDIR/empty-root" kill "")" ]
	# after the id: kill's signal; exec's command is the container's own
	same_list "$(complete_words --root "$STATE_ROOT" kill db KI)" "KILL"
	complete_words --root "$STATE_ROOT" kill db "" | grep -qx TERM
	[ -z "$(complete_words --root "$STATE_ROOT" exec db "")" ]
	[ -z "$(complete_words --root "$STATE_ROOT" exec db ls -)" ]
}

@test "completion: registered for ward, and loads without bash-completion" {
	run bash -c "source '$WARD_SRC/completion/ward.bash' && complete -p ward"
	assert_success
	assert_output_contains "-F _ward ward"
}

@test "completion: in an interactive bash, TAB completes the line (readline on a pty)" {
	local pty=("$WARD_SRC/tests/integration/complete_pty.py" "$WARD_SRC/completion/ward.bash"
		"$(dirname "$WARD")")
	run "${pty[@]}" "ward insp"
	assert_success
	assert_equal "$output" "ward inspect "
	run "${pty[@]}" "ward list --format=j"
	assert_success
	assert_equal "$output" "ward list --format=json "
	run "${pty[@]}" "ward exec --user 0:0 --cap CAP_SYS_AD"
	assert_success
	assert_equal "$output" "ward exec --user 0:0 --cap CAP_SYS_ADMIN "
}
