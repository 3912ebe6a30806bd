#!/usr/bin/env bash
# Engines lane: ward driven by podman (conmon) and containerd (the runc shim),
# tests/engines/run.sh, as part of scripts/test.sh. Prints the suites' TAP
# on stdout (scripts/test.sh counts it); what this machine cannot do is an
# "ok ... # skip REASON" line, and a run that dies without saying why is one
# "not ok" line with the tail of its log.
#
# Environment: WARD (the ward binary; default build/ward, which
# scripts/test.sh has just built). Packages are not installed here:
# scripts/test.sh ran scripts/install-deps.sh --all already. About two
# minutes on the 2-core test machine.
#
# Everything the suites start lives under one /tmp/ward-eng.XXXXXX directory
# (short on purpose: conmon's socket paths below podman's runroot must fit a
# unix socket address), removed by run.sh's trap.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
export WARD=${WARD:-$top/build/ward}

log=$(mktemp /tmp/ward-engines-lane.XXXXXX)
tap=$(mktemp /tmp/ward-engines-tap.XXXXXX)
trap 'rm -f "$log" "$tap"' EXIT

start=$(date +%s)
tests/engines/run.sh --no-install 2>"$log" | tee "$tap"
rc=${PIPESTATUS[0]}
echo "# engines lane: $(($(date +%s) - start)) s, run.sh exit status $rc"

# bats reports its own failures; a run that printed no failure but did not
# finish well (a setup error, the 20-minute guard) must not pass silently.
planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tap" | head -1)
reported=$(grep -cE '^(not )?ok ' "$tap")
if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$tap"; then
	echo "not ok $((reported + 1)) - engine suites (tests/engines/run.sh) exited with status $rc"
	tail -n 20 "$log" | sed 's/^/# /'
elif [ -n "$planned" ] && [ "$reported" -lt "$planned" ]; then
	echo "not ok $((reported + 1)) - engine suites stopped after $reported of $planned tests"
	tail -n 20 "$log" | sed 's/^/# /'
fi
exit 0
