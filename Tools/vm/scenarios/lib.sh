# Shared by the red-team scenario scripts; runs inside the test VM as root,
# cwd = the project. A scenario script sets:
#   SCENARIO       a short name
#   MODULE_PARAMS  array of v4l2loopback parameters
#   DEVICE         the node the module creates, e.g. /dev/video10
# and defines writer(), which execs the injecting process (it runs in the
# background; exec keeps its pid the writer's own). Then it calls
# scenario_run. Everything the agent said lands in $SCENARIO_OUT (default: a
# fresh directory) and summarize.py prints it, ending with the agent's
# capture-path verdict and findings before and after the writer started.
set -uo pipefail
AGENT=${CAPTUREGUARD:-.build/release/captureguard}
RECORD_SECONDS=${RECORD_SECONDS:-3}

scenario_run() {
    local out=${SCENARIO_OUT:-$(mktemp -d /tmp/scenario.XXXXXX)}
    local name=${DEVICE##*/}
    mkdir -p "$out"
    echo "$SCENARIO" >"$out/name"
    if ! modprobe v4l2loopback "${MODULE_PARAMS[@]}"; then
        echo "scenario $SCENARIO: modprobe v4l2loopback failed" >&2
        return 1
    fi
    for _ in $(seq 50); do [ -e "$DEVICE" ] && break; sleep 0.1; done

    # Before any writer: what the node looks like, how the agent judges it,
    # and whether it can capture.
    "$AGENT" inspect "$DEVICE" >"$out/inspect-before.json" 2>"$out/inspect-before.err"
    "$AGENT" assess-path "$DEVICE" --json >"$out/assess-before.json" 2>"$out/assess-before.err"
    "$AGENT" record "$DEVICE" --seconds 1 --timeout 2 --out "$out/before.cgcap" >/dev/null 2>"$out/record-before.err"
    echo $? >"$out/record-before.rc"

    writer &
    local writer_pid=$!
    echo "$writer_pid" >"$out/writer.pid"
    # The writer is ready once v4l2loopback reports a format in sysfs; ffmpeg
    # takes seconds to start under TCG, so poll rather than sleep.
    local ready=0
    for _ in $(seq 900); do
        # sysfs attributes always report a size; read the content instead.
        grep -q . "/sys/class/video4linux/$name/format" 2>/dev/null && { ready=1; break; }
        kill -0 "$writer_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$ready" >"$out/writer.ready"
    cat "/sys/class/video4linux/$name/format" >"$out/sysfs-format" 2>/dev/null

    "$AGENT" inspect "$DEVICE" >"$out/inspect.json" 2>"$out/inspect.err"
    "$AGENT" assess-path "$DEVICE" --json >"$out/assess.json" 2>"$out/assess.err"
    "$AGENT" record "$DEVICE" --seconds "$RECORD_SECONDS" --out "$out/capture.cgcap" --json >"$out/record.json" 2>"$out/record.err"
    echo $? >"$out/record.rc"
    "$AGENT" replay "$out/capture.cgcap" --json >"$out/replay.json" 2>"$out/replay.err"
    # What a kiosk would send its server: a signed attestation of 2 s.
    "$AGENT" keygen --out "$out/agent.key" --force >"$out/agent.jwks" 2>/dev/null
    "$AGENT" attest "$DEVICE" --seconds 2 --nonce c2NlbmFyaW8tbm9uY2U --key "$out/agent.key" \
        --evidence "$out/evidence.png" >"$out/token" 2>"$out/attest.err"

    kill "$writer_pid" 2>/dev/null
    wait "$writer_pid" 2>/dev/null
    for _ in $(seq 50); do rmmod v4l2loopback 2>/dev/null && break; sleep 0.1; done
    python3 Tools/vm/scenarios/summarize.py "$out"
}
