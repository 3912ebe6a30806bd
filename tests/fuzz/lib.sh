# Shared by tests/fuzz/run.sh (CI smoke runs) and tests/fuzz/campaign.sh
# (long runs): the list of targets and the dictionary each one uses.
# Sourced, with the working directory at the top of the tree.

# Every libFuzzer target of tests/fuzz/meson.build (keep the two lists alike).
fuzz_targets=(fuzz_config fuzz_process fuzz_signal fuzz_bpf fuzz_audit fuzz_criu fuzz_policy
	fuzz_integrity_conf fuzz_imasig fuzz_allowlist fuzz_imalist fuzz_seccomp fuzz_landlock
	fuzz_resources fuzz_imakey fuzz_nest)

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
