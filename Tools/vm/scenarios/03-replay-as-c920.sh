#!/usr/bin/env bash
# Scenario 3: a replay attack dressed as a real webcam. v4l2loopback with
# exclusive_caps=1 and card_label "HD Pro Webcam C920" (Logitech's name),
# fed by ffmpeg looping a capture recorded earlier from a camera: here the
# bundled vivid sample, exported to Y4M by the agent itself.
. "$(dirname "$0")/lib.sh"
SCENARIO=replay-as-c920
DEVICE=/dev/video10
MODULE_PARAMS=(video_nr=10 exclusive_caps=1 "card_label=HD Pro Webcam C920")
CLIP=$(mktemp -d /tmp/clip.XXXXXX)/vivid.y4m
"$AGENT" export-y4m Captures/vivid-yuyv-320x180.cgcap --out "$CLIP" || { echo "scenario $SCENARIO: cannot export the clip" >&2; exit 1; }
writer() {
    exec ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$CLIP" -pix_fmt yuyv422 -f v4l2 "$DEVICE"
}
scenario_run
