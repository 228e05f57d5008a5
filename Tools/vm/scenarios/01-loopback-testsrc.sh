#!/usr/bin/env bash
# Scenario 1: v4l2loopback with exclusive_caps=0 and its default label, fed
# live by ffmpeg's testsrc2. The crudest injection: a virtual node that is
# capture and output at once, with a writer holding it.
. "$(dirname "$0")/lib.sh"
SCENARIO=loopback-testsrc
DEVICE=/dev/video10
MODULE_PARAMS=(video_nr=10 exclusive_caps=0)
writer() {
    exec ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=640x480:rate=30 -pix_fmt yuyv422 -f v4l2 "$DEVICE"
}
scenario_run
