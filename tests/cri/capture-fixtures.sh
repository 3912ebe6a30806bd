#!/usr/bin/env bash
# Regenerate tests/fixtures/cri/: the config.json files containerd's CRI
# plugin writes for pods exercising the Pod Security Standards' controls
# (tests/cri/capture.py has the cases; tests/fixtures/cri/README.md says how
# they were made). As root, with ward built (WARD, default build/ward).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/cri/run.sh" --capture "$top/tests/fixtures/cri"
