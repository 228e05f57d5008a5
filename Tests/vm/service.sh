#!/usr/bin/env bash
# Integration suite: `captureguard serve` on vivid in the test VM
# (Tests/vm/guest/service_suite.py): sessions, unbind/rebind, racing clients.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exec Tools/vm/run --timeout 900 -- python3 -u Tests/vm/guest/service_suite.py
