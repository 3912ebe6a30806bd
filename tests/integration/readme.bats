#!/usr/bin/env bats
# README's main job, as written: `scripts/demo.sh` builds and runs a hardened
# container in a user namespace. It broke once unseen (ward spec's
# ping_group_range covers gids the demo's user namespace does not map), so
# the suite runs it and checks what the container reports.

load helpers

@test "README's main job (scripts/demo.sh) runs the hardened container and shows its confinement" {
	run "$WARD_SRC/scripts/demo.sh"
	assert_success
	assert_output_contains "hostname: ward-demo"
	assert_output_matches "uid_map: +0 +100000 +65536"
	assert_output_contains "$(printf 'NoNewPrivs:\t1')"
	assert_output_contains "$(printf 'Seccomp:\t2')"
	# podman's 11 capabilities, no more: no CAP_NET_RAW (bit 13), no CAP_SYS_ADMIN (bit 21)
	local eff
	eff=$(echo "$output" | awk -F'\t' '$1 == "CapEff:" {print $2}')
	[ -n "$eff" ]
	[ $((0x$eff & (1 << 13))) -eq 0 ]
	[ $((0x$eff & (1 << 21))) -eq 0 ]
	# run deletes what it made: no demo container left in the default root
	if compgen -G "/run/ward/ward-demo-*" >/dev/null; then
		ls -d /run/ward/ward-demo-* >&2
		false
	fi
}
