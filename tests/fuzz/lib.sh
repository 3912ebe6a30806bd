# shellcheck shell=bash
# Shared by tests/fuzz/run.sh (CI smoke runs) and tests/fuzz/campaign.sh
# (long runs): the list of targets, the dictionary each one uses, what a
# crash report says.
# Sourced, with the working directory at the top of the tree.

# Every libFuzzer target of tests/fuzz/meson.build (keep the two lists alike).
# shellcheck disable=SC2034 # used by the scripts that source this file
fuzz_targets=(fuzz_config fuzz_process fuzz_signal fuzz_bpf fuzz_audit fuzz_criu fuzz_policy
	fuzz_integrity_conf fuzz_imasig fuzz_allowlist fuzz_imalist fuzz_seccomp fuzz_landlock
	fuzz_resources fuzz_imakey fuzz_nest fuzz_passwd)

# fuzz_dict TARGET: prints the -dict= argument for TARGET, if it has one.
fuzz_dict() {
	case $1 in
	fuzz_config | fuzz_process) echo "-dict=tests/fuzz/config.dict" ;;
	fuzz_policy) echo "-dict=tests/fuzz/policy.dict" ;;
	fuzz_seccomp) echo "-dict=tests/fuzz/seccomp.dict" ;;
	fuzz_landlock) echo "-dict=tests/fuzz/landlock.dict" ;;
	fuzz_resources) echo "-dict=tests/fuzz/resources.dict" ;;
	esac
}

# fuzz_crash_reason LOG STATUS: what a libFuzzer crash report says, in one line.
fuzz_crash_reason() {
	local f=$1 line
	line=$(grep -m1 -E 'runtime error:|^fuzz_[a-z_]+: ' "$f")
	[ -z "$line" ] && line=$(grep -m1 -E '^SUMMARY: ' "$f")
	[ -z "$line" ] && line=$(grep -m1 -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)' "$f")
	[ -z "$line" ] && line="exit status $2, see the fuzzer output"
	line=${line#*ERROR: }
	line=${line#SUMMARY: }
	line=${line#"$PWD/"}
	echo "${line//\.\.\/src\//src/}"
}
