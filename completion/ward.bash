# bash completion for ward(1), installed as
# /usr/share/bash-completion/completions/ward.
#
# Everything it offers is read from the ward being completed, so it cannot
# drift from it: the commands and global options from `ward --help`, each
# command's options (and which of them take a value, and what kind) from
# `ward COMMAND --help`, its arguments from the usage lines there, and
# container ids from `ward list -q`. The help format it reads is described
# in man/README.md; tests/integration/completion.bats drives it.

declare -gA _ward_help_cache

# The help text of ward ($2 empty) or of command $2, of binary $1 (cached).
_ward_help()
{
	local key="$1 $2"
	if [[ -z ${_ward_help_cache[$key]+set} ]]; then
		if [[ -n $2 ]]; then
			_ward_help_cache[$key]=$("$1" "$2" --help 2>/dev/null)
		else
			_ward_help_cache[$key]=$("$1" --help 2>/dev/null)
		fi
	fi
	printf '%s\n' "${_ward_help_cache[$key]}"
}

# The commands listed under "Commands:" in `ward --help`.
_ward_commands()
{
	local line in=0
	while IFS= read -r line; do
		if [[ $line == Commands: ]]; then
			in=1
		elif ((in)); then
			[[ -z $line ]] && break
			[[ $line =~ ^\ +([a-z][a-z0-9-]*) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
		fi
	done < <(_ward_help "$1" "")
}

# "NAME ARG" for each option of the section headed $3 ("Options:" or
# "Global options:") in the help of command $2; ARG is the value's
# placeholder, empty for a flag. An option line is "  -x, --name ARG  text".
_ward_options()
{
	local line spec part arg in=0
	local -a parts names
	while IFS= read -r line; do
		if [[ $line == "$3" ]]; then
			in=1
			continue
		fi
		((in)) || continue
		[[ -z $line ]] && break
		[[ $line =~ ^\ \ (-[^ ].*) ]] || continue
		spec=${BASH_REMATCH[1]}
		spec=${spec%%  *}
		arg=
		names=()
		IFS=, read -ra parts <<<"$spec"
		for part in "${parts[@]}"; do
			part=${part# }
			names+=("${part%% *}")
			[[ $part == *' '* ]] && arg=${part#* }
		done
		for part in "${names[@]}"; do
			printf '%s %s\n' "$part" "$arg"
		done
	done < <(_ward_help "$1" "$2")
}

# The placeholder of option $2 in the "NAME ARG" lines $1; status 1 when
# the option is not there. ward, like runc, takes -name for --name.
_ward_option_arg()
{
	local name=$2 line
	[[ $name == -??* && $name != --* ]] && name=-$name
	while IFS= read -r line; do
		if [[ ${line%% *} == "$name" ]]; then
			printf '%s\n' "${line#* }"
			return 0
		fi
	done <<<"$1"
	return 1
}

# Candidates for a value whose placeholder is $2 (binary $1, global
# arguments for `list` in the rest).
_ward_values()
{
	local bin=$1 ph=$2
	shift 2
	case $ph in
	*'|'*) tr '|' '\n' <<<"$ph" ;;
	'<container-id>' | '[container-id]') "$bin" "$@" list -q 2>/dev/null ;;
	'[signal]' | SIGNAL) compgen -A signal | sed 's/^SIG//' ;;
	'[COMMAND]' | COMMAND) _ward_commands "$bin" ;;
	CAP) "$bin" features 2>/dev/null | grep -o 'CAP_[A-Z_]*' | sort -u ;;
	esac
}

# Reply with candidates $2... for the word $1; file and directory
# placeholders use bash's own completion.
_ward_reply()
{
	local cur=$1 ph=$2
	case $ph in
	DIR)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	FILE | PATH | *.json)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	*)
		mapfile -t COMPREPLY < <(compgen -W "$(_ward_values "${@:3}")" -- "$cur")
		;;
	esac
}

# The placeholder of argument $3 (0-based) of command $2, given the earlier
# arguments in the rest, from the command's usage lines
# ("usage: ward seccomp convert [options] PROFILE.json"): literal words
# (subcommands) must match what was typed. Several lines can offer
# candidates (seccomp's subcommands): printed space-separated.
_ward_positional()
{
	local bin=$1 cmd=$2 k=$3 line tok out=
	shift 3
	local -a typed=("$@") toks all
	while IFS= read -r line; do
		[[ $line =~ ^(usage:)?\ +ward\ "$cmd"(\ (.*))?$ ]] || continue
		toks=()
		read -ra all <<<"${BASH_REMATCH[3]}"
		for tok in "${all[@]}"; do
			[[ $tok == '[options]' ]] || toks+=("$tok")
		done
		local i ok=1
		for ((i = 0; i < k; i++)); do
			tok=${toks[i]-}
			[[ -z $tok ]] && ok=0 && break
			[[ $tok =~ ^[a-z][a-z0-9-]*$ && $tok != "${typed[i]}" ]] && ok=0 && break
		done
		((ok)) || continue
		tok=${toks[k]-}
		[[ -n $tok ]] && out+="$tok "
	done < <(_ward_help "$bin" "$cmd")
	printf '%s\n' "${out% }"
}

# Complete word $1 of the words in the rest (the line, reassembled).
_ward_complete()
{
	local cword=$1
	shift
	local -a words=("$@")
	local cur=${words[cword]} bin=${words[0]}
	bin=${bin/#\~/$HOME}
	type -P "$bin" >/dev/null 2>&1 || bin=ward

	# Global options, up to the command: --root and --rootless matter
	# to `ward list -q`.
	local global cmd= w arg val i=1
	local -a listargs=()
	global=$(_ward_options "$bin" "" "Global options:")
	while ((i < cword)); do
		w=${words[i]}
		[[ $w != -* ]] && cmd=$w && break
		if arg=$(_ward_option_arg "$global" "${w%%=*}") && [[ -n $arg ]]; then
			if [[ $w == *=* ]]; then
				val=${w#*=}
			else
				((i++))
				val=${words[i]-}
			fi
			case ${w%%=*} in
			-root | --root | -rootless | --rootless) listargs+=("${w%%=*}" "$val") ;;
			esac
		fi
		((i++))
	done

	local opts=$global
	[[ -n $cmd ]] && opts=$(_ward_options "$bin" "$cmd" "Options:")

	# A value: in --name=value, or after an option that takes one.
	if [[ $cur == -*=* ]] && arg=$(_ward_option_arg "$opts" "${cur%%=*}") && [[ -n $arg ]]; then
		_ward_reply "${cur#*=}" "$arg" "$bin" "$arg" "${listargs[@]}"
		COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		return 0
	fi
	local prev=${words[cword - 1]}
	if ((cword > 1)) && [[ $prev == -* && $prev != *=* ]] &&
		arg=$(_ward_option_arg "$opts" "$prev") && [[ -n $arg ]]; then
		_ward_reply "$cur" "$arg" "$bin" "$arg" "${listargs[@]}"
		return 0
	fi

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_ward_reply "$cur" "" "$bin" "$(cut -d' ' -f1 <<<"$global" | tr '\n' '|')"
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_ward_commands "$bin")" -- "$cur")
		fi
		return 0
	fi

	# The command's arguments typed so far (options and their values apart).
	local -a args=()
	for ((i++; i < cword; i++)); do
		w=${words[i]}
		if [[ $w == -* ]]; then
			arg=$(_ward_option_arg "$opts" "${w%%=*}")
			[[ -n $arg && $w != *=* ]] && ((i++))
		else
			args+=("$w")
		fi
	done
	# Options go before the arguments, after a subcommand (as runc's, most
	# commands stop reading options at the first argument).
	if [[ $cur == -* ]]; then
		local k ph_k
		for ((k = 0; k < ${#args[@]}; k++)); do
			ph_k=$(_ward_positional "$bin" "$cmd" "$k" "${args[@]:0:k}")
			[[ " $ph_k " == *" ${args[k]} "* && $ph_k =~ ^[a-z][a-z0-9-]*(\ [a-z][a-z0-9-]*)*$ ]] ||
				return 0
		done
		_ward_reply "$cur" "" "$bin" "$(cut -d' ' -f1 <<<"$opts" | tr '\n' '|')"
		return 0
	fi
	local ph
	ph=$(_ward_positional "$bin" "$cmd" "${#args[@]}" "${args[@]}")
	if [[ $ph =~ ^[a-z][a-z0-9-]*(\ [a-z][a-z0-9-]*)*$ ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$ph" -- "$cur")
	elif [[ -n $ph ]]; then
		# The container's command and ps(1)'s options are not ward's.
		[[ $ph == '[command' || $ph == '[ps' ]] && return 0
		_ward_reply "$cur" "${ph%% *}" "$bin" "${ph%% *}" "${listargs[@]}"
	fi
	return 0
}

# bash splits words at COMP_WORDBREAKS (--root=DIR, --user 0:0): join them
# back, complete, and reply relative to the word readline completes ($2).
_ward()
{
	local -a words=()
	local j w cword=0 join=0
	for ((j = 0; j < ${#COMP_WORDS[@]}; j++)); do
		w=${COMP_WORDS[j]}
		if ((j > 0)) && [[ $w == [=:] ]]; then
			words[-1]+=$w
			join=1
		elif ((join)); then
			words[-1]+=$w
			join=0
		else
			words+=("$w")
		fi
		((j == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	COMPREPLY=()
	_ward_complete "$cword" "${words[@]}"
	local cur=${words[cword]} rl=${2-${words[cword]}}
	local pre=${cur%"$rl"}
	[[ -n $pre && $cur == *"$rl" ]] && COMPREPLY=("${COMPREPLY[@]#"$pre"}")
	return 0
}

complete -F _ward ward
