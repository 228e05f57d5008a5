#!/usr/bin/env bash
# Integration suite: the VM harness itself (Tools/vm/selftest): drivers load,
# exit codes pass through, files written in the guest reach the host.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/Tools/vm/selftest"
