#!/usr/bin/env bash
# Scenario 2: what OBS Studio's "Start Virtual Camera" sets up:
# v4l2loopback with exclusive_caps=1 and card_label "OBS Virtual Camera",
# here fed by ffmpeg's testsrc2. Output-only until the writer starts, then a
# capture-only node, as Chrome and most apps require.
. "$(dirname "$0")/lib.sh"
SCENARIO=obs-virtual-camera
DEVICE=/dev/video10
MODULE_PARAMS=(video_nr=10 exclusive_caps=1 "card_label=OBS Virtual Camera")
writer() {
    exec ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=640x480:rate=30 -pix_fmt yuyv422 -f v4l2 "$DEVICE"
}
scenario_run
