#!/usr/bin/env bash
# Integration suite: v4l2loopback fed by ffmpeg, via the red-team scenarios
# (Tests/vm/guest/loopback_suite.py) in one boot of the test VM.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exec Tools/vm/run --timeout 900 -- python3 -u Tests/vm/guest/loopback_suite.py
