"""vivid, the kernel's virtual test driver: devices/inspect/record, frame
completeness against v4l2-ctl in the same run, raw payloads against a Y4M
export, and the faults (busy, unplug, SIGINT)."""
import json, os, re, signal, subprocess, time
from vmtest import Suite, agent, agent_json, capture_frames, cgcap_info, run, sh, wait_for, AGENT, CGCAP

s = Suite("vivid")
s.check("modprobe vivid", sh("modprobe vivid").returncode == 0)
s.check("/dev/video0 appears", wait_for(lambda: os.path.exists("/dev/video0"), 10))

# devices
r = agent("devices")
line = next((l for l in r.stdout.splitlines() if l.startswith("/dev/video0\t")), "")
s.check("devices lists /dev/video0 as a vivid capture node", r.returncode == 0 and "\tvivid\t" in line and "platform:vivid-000" in line and "\tcapture" in line, r.stdout)
r, listing = agent_json("devices")
by_path = {d["path"]: d for d in listing or []}
s.check("devices --json ties the metadata node /dev/video2 to /dev/video0",
        by_path.get("/dev/video2", {}).get("metadata_for") == "/dev/video0" and "/dev/video2" in by_path.get("/dev/video0", {}).get("metadata_nodes", []), r.stdout)

# inspect
r, snap = agent_json("inspect", "/dev/video0")
s.check("inspect /dev/video0 exits 0 with a device snapshot", r.returncode == 0 and snap is not None, r.stderr)
snap = snap or {}
cap = snap.get("querycap", {})
s.check("querycap: driver vivid, bus platform:vivid-000, caps as integers",
        cap.get("driver") == "vivid" and cap.get("bus_info") == "platform:vivid-000" and isinstance(cap.get("device_caps"), int), cap)
yuyv = next((f for f in snap.get("formats", []) if f["fourcc"] == "YUYV"), None)
s.check("formats include YUYV with a discrete 640x480 size and intervals",
        yuyv is not None and any(z["width"] == 640 and z["height"] == 480 and z["intervals"] for z in yuyv["sizes"]), yuyv)
names = [c["name"] for c in snap.get("controls", [])]
s.check("controls enumerated via QUERY_EXT_CTRL include Brightness and the Vivid Controls class",
        "Brightness" in names and "Vivid Controls" in names, names[:10])
s.check("inputs include 'Webcam 0'", any(i["name"] == "Webcam 0" for i in snap.get("inputs", [])), snap.get("inputs"))
s.check("no other process holds the idle device", snap.get("openers") == [], snap.get("openers"))
s.check("the fingerprint places vivid on the platform bus with its siblings and marks the module",
        snap.get("schema") == "captureguard.fingerprint/1" and (snap.get("sysfs") or {}).get("bus") == "platform"
        and (snap.get("sysfs") or {}).get("driver") == "vivid" and any(x["node"] == "/dev/video2" and x["kind"] == "metadata" for x in snap.get("siblings") or [])
        and any(m["name"] == "vivid" and m.get("marked") == "test_driver" for m in snap.get("modules") or []), (snap.get("sysfs"), snap.get("siblings")))
r, assessment = agent_json("assess-path", "/dev/video0")
s.check("assess-path calls vivid virtual (test_driver)", (assessment or {}).get("verdict") == "virtual" and any(f["code"] == "test_driver" for f in assessment["findings"]), assessment)
r = agent("enroll-path", "/dev/video0", "--out", "/tmp/pinned.json")
r, assessment = agent_json("assess-path", "/dev/video0", "--pinned", "/tmp/pinned.json")
s.check("the same path assessed against its own pin has no pinned_path_changed", assessment and not any(f["code"] == "pinned_path_changed" for f in assessment["findings"]), assessment)
r = agent("inspect", "/dev/video1")
s.check("inspect works on the output-only node /dev/video1", r.returncode == 0 and "video_output" in r.stdout, r.stderr)
r = agent("inspect", "/dev/video2")
s.check("inspect works on the metadata node /dev/video2", r.returncode == 0 and "meta_capture" in r.stdout, r.stderr)
r = agent("record", "/dev/video1", "--out", "/tmp/never.cgcap")
s.check("record on the output node exits 6 (cannot capture)", r.returncode == 6 and not os.path.exists("/tmp/never.cgcap"), r.stderr)

# record 640x480 for 5 s
r, summary = agent_json("record", "/dev/video0", "--format", "YUYV", "--size", "640x480", "--fps", "25", "--seconds", "5", "--out", "/tmp/v.cgcap")
summary = summary or {}
print(f"info: record summary {json.dumps(summary)}", flush=True)
s.check("record exits 0", r.returncode == 0, r.stderr)
s.check("record negotiated YUYV 640x480 at 1/25 s",
        summary.get("format", {}).get("fourcc") == "YUYV" and summary.get("format", {}).get("width") == 640 and summary.get("frame_interval") == [1, 25], summary)
r, replay = agent_json("replay", "/tmp/v.cgcap")
frames = (replay or {}).get("frames", [])
seqs = [f["sequence"] for f in frames]
stamps = [f["timestamp_ns"] for f in frames]
# Under TCG vivid delivers a few frames more than wall time predicts (its
# timestamps run ideal); "every frame" is the sequence check below.
s.check("5 s at 25 fps gives at least 95% of 125 frames", len(frames) >= 119, len(frames))
# Gaps in the kernel's sequence numbers are frames the driver skipped:
# under TCG emulation vivid can fall behind its own timer and skip one
# (both captureguard and v4l2-ctl saw a single gap in one CI run of
# 132 frames, 2026-11-28). The reported drops must equal the gaps, and
# the gaps stay rare: at most 2 % of the frames, about twice that run's
# 0.8 %, while a reader that loses frames as a habit still fails.
def gaps(sequence):
    return sum(b - a - 1 for a, b in zip(sequence, sequence[1:])) if all(b > a for a, b in zip(sequence, sequence[1:])) else None
drop_bound = max(1, len(seqs) // 50)
s.check("drops equal the gaps in the kernel's sequence numbers, at most 2 % of the frames",
        bool(seqs) and gaps(seqs) is not None and replay["summary"]["drops"] == gaps(seqs) <= drop_bound,
        ((replay or {}).get("summary", {}).get("drops"), gaps(seqs), seqs[:5]))
s.check("kernel timestamps strictly increase", all(b > a for a, b in zip(stamps, stamps[1:])) and len(stamps) > 1)
s.check("every frame carries vivid's flags: monotonic timestamp, end-of-frame source",
        frames and all(f["timestamp_type"] == "monotonic" and f["timestamp_source"] == "eof" for f in frames), {f["flags"] for f in frames})
s.check("every payload is a whole 640x480 YUYV frame", frames and all(f["bytesused"] == 614400 for f in frames))
ours_fps = replay["summary"]["measured_fps"] if replay else 0
independent = [json.loads(l) for l in run(["python3", CGCAP, "frames", "/tmp/v.cgcap"]).stdout.splitlines()]
s.check("the independent Python reader sees the same frames and metadata",
        [(f["sequence"], f["timestamp_ns"], f["flags"]) for f in independent] == [(f["sequence"], f["timestamp_ns"], f["flags"]) for f in frames])

# the same device through v4l2-ctl, in the same run
n = len(frames)
r = run(["v4l2-ctl", "-d", "/dev/video0", "--set-fmt-video=width=640,height=480,pixelformat=YUYV", "--set-parm=25",
         "--stream-mmap=4", f"--stream-count={n}", "--verbose"], timeout=120)
# Lines look like: "cap dqbuf: 3 seq:     67 bytesused: 614400 ts: 26.488587 delta: 40.104 ms fps: 24.98 (ts-monotonic, ts-src-eof)"
dq = [m.groups() for m in (re.search(r"seq:\s*(\d+).*\bts:\s*([\d.]+).*\(([^)]*)\)\s*$", l) for l in (r.stdout + r.stderr).splitlines()) if m]
v_seqs = [int(x[0]) for x in dq]
v_ts = [float(x[1]) for x in dq]
v_fps = (len(v_ts) - 1) / (v_ts[-1] - v_ts[0]) if len(v_ts) > 1 and v_ts[-1] > v_ts[0] else 0
print(f"info: captureguard {n} frames at {ours_fps:.3f} fps; v4l2-ctl {len(dq)} frames at {v_fps:.3f} fps", flush=True)
s.check("v4l2-ctl --stream-count=N gets the same frame count, with as few gaps",
        len(dq) == n and gaps(v_seqs) is not None and gaps(v_seqs) <= drop_bound if v_seqs else False,
        (r.returncode, len(dq), gaps(v_seqs) if v_seqs else None, r.stderr[-300:]))
s.check("fps agrees with v4l2-ctl within 5%", v_fps > 0 and abs(ours_fps - v_fps) / v_fps < 0.05, (ours_fps, v_fps))
s.check("v4l2-ctl reports the same timestamp flags (ts-monotonic, ts-src-eof)", dq and all("ts-monotonic" in x[2] and "ts-src-eof" in x[2] for x in dq), dq[:1])

# raw payloads against a Y4M export
r = agent("export-y4m", "/tmp/v.cgcap", "--out", "/tmp/v.y4m")
s.check("export-y4m exits 0", r.returncode == 0, r.stderr)
run(["python3", CGCAP, "payloads", "/tmp/v.cgcap", "/tmp/raw.yuyv"])
r = run(["ffmpeg", "-loglevel", "error", "-y", "-i", "/tmp/v.y4m", "-f", "rawvideo", "-pix_fmt", "yuyv422", "/tmp/back.yuyv"], timeout=300)
raw, back = open("/tmp/raw.yuyv", "rb").read(), open("/tmp/back.yuyv", "rb").read() if os.path.exists("/tmp/back.yuyv") else b""
s.check("raw YUYV payloads are byte-identical to the Y4M export (repacked by ffmpeg)", len(raw) == n * 614400 and raw == back, (len(raw), len(back)))

# converted mode
r, conv = agent_json("record", "/dev/video0", "--converted", "--size", "640x480", "--seconds", "2", "--out", "/tmp/c.cgcap")
header = json.loads(agent("inspect", "/tmp/c.cgcap").stdout or "{}")
s.check("converted mode delivers YU12 from libv4lconvert", r.returncode == 0 and header.get("mode") == "converted" and header.get("format", {}).get("fourcc") == "YU12", r.stderr)
s.check("converted frames are whole YU12 frames", all(f["bytesused"] == 460800 for f in json.loads(agent("replay", "/tmp/c.cgcap", "--json").stdout)["frames"]))

# a live attestation from vivid, verified as a server would
nonce = "c2VydmVyLWNoYWxsZW5nZS0xMjM0"
r = agent("keygen", "--out", "/tmp/agent.key")
with open("/tmp/agent.jwks", "w") as f:
    f.write(r.stdout)
r = agent("attest", "/dev/video0", "--seconds", "2", "--nonce", nonce, "--key", "/tmp/agent.key", "--evidence", "/tmp/evidence.png")
token = r.stdout.strip()
print(f"info: {r.stderr.strip()}", flush=True)
s.check("attest on live vivid prints a token and says fail (test_driver)", r.returncode == 0 and token.count(".") == 2 and r.stderr.startswith("attest: fail (test_driver"), r.stderr)
r, verified = agent_json("verify", token, "--jwks", "/tmp/agent.jwks", "--nonce", nonce, "--evidence", "/tmp/evidence.png")
claims = (verified or {}).get("claims", {})
capture = claims.get("captureguard", {}).get("capture", {})
s.check("verify accepts the live token with its evidence image; the claims name the device and real kernel timing",
        r.returncode == 0 and capture.get("source") == "device" and capture.get("driver") == "vivid" and capture.get("timing") == "kernel"
        # At least the policy's minimum_frames: under TCG on a loaded host
        # vivid delivers 19-50 of its 50 frames in 2 s.
        and capture.get("frames", 0) >= 10 and claims["captureguard"]["evidence"]["frame_count"] == capture.get("frames"), (r.stderr, capture))
png = open("/tmp/evidence.png", "rb").read() if os.path.exists("/tmp/evidence.png") else b""
s.check("the evidence is a PNG of the captured frame size",
        png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == capture.get("width") and int.from_bytes(png[20:24], "big") == capture.get("height"))
forensics = claims.get("submods", {}).get("frame_forensics", {})
s.check("the live token's frame forensics ran and fail vivid's noiseless test pattern (no_temporal_noise)",
        forensics.get("status") == "ran" and forensics.get("verdict") == "fail"
        and any(f["code"] == "no_temporal_noise" and f["severity"] == "attack" for f in forensics.get("findings", [])), forensics)

# frame forensics on the live device
r, analysis = agent_json("analyze", "/dev/video0", "--seconds", "2")
analysis = analysis or {}
source = analysis.get("source", {})
print(f"info: analyze reasons {analysis.get('forensics', {}).get('reasons')}", flush=True)
s.check("analyze on live vivid reads frames with kernel timing, judges the path virtual and the forensics fail",
        r.returncode == 0 and source.get("kind") == "device" and source.get("timing") == "kernel" and source.get("frames", 0) >= 5
        and analysis.get("capture_path", {}).get("verdict") == "virtual" and analysis.get("forensics", {}).get("verdict") == "fail"
        and analysis.get("forensics", {}).get("analysers", {}).get("timing", {}).get("status") == "ran", (r.stderr, source, analysis.get("forensics", {}).get("reasons")))

# fault: a second reader while the agent holds the device
holder = subprocess.Popen([AGENT, "record", "/dev/video0", "--size", "640x480", "--seconds", "60", "--out", "/tmp/held.cgcap"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
s.check("the first recorder streams", wait_for(lambda: capture_frames("/tmp/held.cgcap") >= 3, 30))
r = agent("record", "/dev/video0", "--seconds", "1", "--out", "/tmp/second.cgcap")
s.check("a second agent gets exit 7 naming the holder", r.returncode == 7 and f"held by captureguard (pid {holder.pid}, rw)" in r.stderr, r.stderr)
s.check("the refused second reader leaves no file", not os.path.exists("/tmp/second.cgcap"))
r = run(["v4l2-ctl", "-d", "/dev/video0", "--stream-mmap", "--stream-count=1"])
# v4l2-ctl 1.22 exits 0 even when REQBUFS fails; its message is the signal.
s.check("v4l2-ctl as second reader is refused too (EBUSY)", "VIDIOC_REQBUFS returned -1 (Device or resource busy)" in (r.stdout + r.stderr), (r.stdout + r.stderr)[-200:])
r, busy_snap = agent_json("inspect", "/dev/video0")
s.check("inspect lists the recording agent among the openers",
        any(o["pid"] == holder.pid and o["comm"] == "captureguard" and o["mode"] == "rw" for o in (busy_snap or {}).get("openers", [])), (busy_snap or {}).get("openers"))

r, held = agent_json("assess-path", "/dev/video0")
s.check("assess-path names the second process holding the node",
        any(f["code"] == "other_opener" and f["evidence"].get("pid") == str(holder.pid) and f["evidence"].get("comm") == "captureguard" for f in (held or {}).get("findings", [])), held)

# fault: SIGINT during record
before = capture_frames("/tmp/held.cgcap")
holder.send_signal(signal.SIGINT)
try:
    out, err = holder.communicate(timeout=30)
except subprocess.TimeoutExpired:
    holder.kill()
    out, err = holder.communicate()
s.check("SIGINT ends record with exit 130", holder.returncode == 130, (holder.returncode, err[-300:]))
info = cgcap_info("/tmp/held.cgcap")
s.check("the interrupted capture is complete, with reason 'interrupted'",
        info["integrity"] == "complete" and (info["trailer"] or {}).get("reason") == "interrupted" and info["frames"] >= before, info.get("trailer"))
r = agent("replay", "/tmp/held.cgcap")
s.check("replay reads the interrupted capture without warnings", r.returncode == 0 and r.stderr == "", r.stderr)

# fault: v4l2-ctl holds the device, the agent is refused and names it
other = subprocess.Popen(["v4l2-ctl", "-d", "/dev/video0", "--stream-mmap", "--stream-count=100000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(3)
r = agent("record", "/dev/video0", "--seconds", "1", "--out", "/tmp/third.cgcap")
s.check("the agent refused by a streaming v4l2-ctl names it", r.returncode == 7 and f"v4l2-ctl (pid {other.pid}" in r.stderr, r.stderr)
other.kill()
other.wait()

# fault: unplug (unbind vivid through sysfs) mid-recording
rec = subprocess.Popen([AGENT, "record", "/dev/video0", "--size", "640x480", "--seconds", "60", "--out", "/tmp/unplug.cgcap"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
s.check("recording before the unplug", wait_for(lambda: capture_frames("/tmp/unplug.cgcap") >= 5, 30))
unbind = sh("echo vivid.0 > /sys/bus/platform/drivers/vivid/unbind")
try:
    out, err = rec.communicate(timeout=60)
except subprocess.TimeoutExpired:
    rec.kill()
    out, err = rec.communicate()
print(f"info: after unbind: exit {rec.returncode}, stderr: {err.strip()}", flush=True)
s.check("unbind succeeded", unbind.returncode == 0)
s.check("record ends with exit 8 and a 'device lost' error", rec.returncode == 8 and "device lost" in err, (rec.returncode, err[-300:]))
info = cgcap_info("/tmp/unplug.cgcap")
m = re.search(r"recorded (\d+) frames", err)
s.check("the capture holds every frame received before the unplug, closed as device_lost",
        info["integrity"] == "complete" and (info["trailer"] or {}).get("reason") == "device_lost" and m is not None and info["frames"] == int(m.group(1)) and info["frames"] >= 5,
        (info.get("trailer"), m and m.group(1)))
sh("echo vivid.0 > /sys/bus/platform/drivers/vivid/bind")
s.check("rebinding vivid brings /dev/video0 back", wait_for(lambda: agent("inspect", "/dev/video0").returncode == 0, 20))
s.finish()
