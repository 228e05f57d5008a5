#!/usr/bin/env bash
# Integration suite: the vivid driver in the test VM (Tests/vm/guest/vivid_suite.py).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exec Tools/vm/run --timeout 900 -- python3 -u Tests/vm/guest/vivid_suite.py
