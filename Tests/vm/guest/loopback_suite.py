"""v4l2loopback fed by ffmpeg: the three red-team scenarios in
Tools/vm/scenarios, run as-is, with the agent's observations checked."""
import json, os, subprocess, sys
from vmtest import Suite, agent, run

sys.path.insert(0, "Tools/vm/scenarios")
from summarize import load as load_json, text as load_text  # noqa: E402  (the scenarios' own readers)

s = Suite("loopback")
# Frame-forensics codes of suspicious or attack severity (README, "Frame forensics").
FORENSIC_CODES = {"timestamp_not_monotonic", "timestamp_copy", "timestamp_type_unknown", "metronome_timing", "bursty_timing",
                  "host_delay_anomaly", "format_changed", "frozen_frame", "duplicate_frames", "loop_detected", "scene_cut",
                  "no_temporal_noise", "synthetic_noise", "noise_reused", "reencoded_stream", "double_jpeg", "screen_moire"}


def scenario(script, out):
    result = subprocess.run(["bash", f"Tools/vm/scenarios/{script}"], env=dict(os.environ, SCENARIO_OUT=out),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    print(result.stdout, flush=True)
    return (lambda name: load_json(out, name) or {}), (lambda name: load_text(out, name))


cases = [
    ("01-loopback-testsrc.sh", "Dummy video device (0x0000)", False, (640, 480)),
    ("02-obs-virtual-camera.sh", "OBS Virtual Camera", True, (640, 480)),
    ("03-replay-as-c920.sh", "HD Pro Webcam C920", True, (320, 180)),
]
for script, card, exclusive, (width, height) in cases:
    out = f"/tmp/out-{script[:2]}"
    load, text = scenario(script, out)
    tag = script[:-3]
    before, after, record, replay = load("inspect-before.json"), load("inspect.json"), load("record.json"), load("replay.json")
    caps_before = before.get("querycap", {}).get("device_cap_names", [])
    caps_after = after.get("querycap", {}).get("device_cap_names", [])
    s.check(f"{tag}: inspect sees driver 'v4l2 loopback' labelled '{card}'",
            after.get("querycap", {}).get("driver") == "v4l2 loopback" and after.get("querycap", {}).get("card") == card, after.get("querycap"))
    if exclusive:
        s.check(f"{tag}: before the writer the node is output-only and record exits 6",
                "video_output" in caps_before and "video_capture" not in caps_before and text("record-before.rc") == "6", (caps_before, text("record-before.err")))
        s.check(f"{tag}: with the writer the node is capture-only", "video_capture" in caps_after and "video_output" not in caps_after, caps_after)
    else:
        s.check(f"{tag}: before the writer record exits 6 (no capture format yet)",
                text("record-before.rc") == "6" and "no capture format" in text("record-before.err"), text("record-before.err"))
        s.check(f"{tag}: the node is capture and output at once", "video_capture" in caps_after and "video_output" in caps_after, caps_after)
    writer = int(text("writer.pid") or 0)
    openers = after.get("openers", [])
    s.check(f"{tag}: inspect shows the ffmpeg writer among the openers",
            any(o["pid"] == writer and o["comm"] == "ffmpeg" and o["mode"] in ("w", "rw") for o in openers), (writer, openers))
    s.check(f"{tag}: the agent records the injected frames",
            text("record.rc") == "0" and record.get("frames", 0) >= 30 and record.get("format", {}).get("width") == width
            and record.get("format", {}).get("height") == height, (text("record.rc"), text("record.err"), record.get("frames")))
    device = replay.get("info", {}).get("device") or {}
    s.check(f"{tag}: the capture's own device snapshot names the writer too",
            any(o["pid"] == writer and o["comm"] == "ffmpeg" for o in device.get("openers", [])), device.get("openers"))
    s.check(f"{tag}: the capture reads back complete", replay.get("summary", {}).get("integrity") == "complete", replay.get("summary"))
    for stage, name in (("before the writer", "assess-before.json"), ("with the writer", "assess.json")):
        assessment = load(name)
        s.check(f"{tag}: assess-path says virtual {stage}", assessment.get("verdict") == "virtual",
                (assessment.get("verdict"), [f["code"] for f in assessment.get("findings", [])]))
    writer_findings = [f for f in load("assess.json").get("findings", []) if f["code"] == "writer_process"]
    s.check(f"{tag}: the writer_process finding names the ffmpeg writer",
            any(f["evidence"].get("comm") == "ffmpeg" and f["evidence"].get("pid") == str(writer) for f in writer_findings), writer_findings)
    s.check(f"{tag}: attest signs a token that says fail, with virtual_camera_driver among the reasons",
            text("token").count(".") == 2 and text("attest.err").startswith("attest: fail (") and "virtual_camera_driver" in text("attest.err"), text("attest.err"))
    attest_line = text("attest.err")
    reasons = set(attest_line.split("(", 1)[1].split(")", 1)[0].split(",")) if "(" in attest_line else set()
    s.check(f"{tag}: frame forensics flags the injected stream too (beyond the path)", bool(reasons & FORENSIC_CODES), sorted(reasons))
    s.check(f"{tag}: module unloaded afterwards", not os.path.exists("/dev/video10"))
s.finish()
