#!/usr/bin/env bash
# CRI lane: ward behind Kubernetes' Container Runtime Interface. Debian's
# containerd with its CRI plugin and a runtime handler "ward" (runc v2 shim,
# BinaryName = ward), driven over the CRI gRPC API the way the kubelet
# drives it: tests/cri/run.sh (how, and what it leaves on the host: nothing)
# and tests/cri/cri_tests.py (the tests). Each TAP line names the CRI calls
# its test made; what this machine cannot do is "ok ... # skip REASON".
#
# Environment: WARD (the ward binary; default build/ward, which
# scripts/test.sh has just built). Packages are not installed here:
# scripts/test.sh ran scripts/install-deps.sh --all already; the first run
# fetches containerd's source package (apt-get source) for its api.proto.
# About 10 s on the 2-core test machine.
cd "$(dirname "$0")/../.." || exit 1
export WARD=${WARD:-$PWD/build/ward}
exec tests/cri/run.sh
