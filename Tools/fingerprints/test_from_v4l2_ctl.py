#!/usr/bin/env python3
"""Self-check for from-v4l2-ctl.py (stdlib only).

Converts every dump in Tools/fingerprints/dumps/ and checks facts read by hand
from the dumps, checks the recorded Captures/fingerprints/dump-*.json are what
the converter produces now, and runs a few synthetic snippets.
Prints one line per failure and "N passed, N failed" last; exits 1 on failure.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DUMPS = os.path.join(HERE, "dumps")
CAPTURES = os.path.join(ROOT, "Captures", "fingerprints")
SCRIPT = os.path.join(HERE, "from-v4l2-ctl.py")

spec = importlib.util.spec_from_file_location("from_v4l2_ctl", SCRIPT)
conv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conv)

passed = 0
failed = 0


def check(label, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s%s" % (label, (" -- " + str(detail)) if detail else ""))


def load(name):
    with open(os.path.join(DUMPS, name + ".txt"), encoding="utf-8") as f:
        return conv.convert(f.read(), name + ".txt")


def control(doc, cid):
    return next((c for c in doc.get("controls", []) if c["id"] == cid), None)


def version(a, b, c):
    return (a << 16) | (b << 8) | c


def keys_ok(doc):
    allowed = ["schema", "node", "source", "querycap", "formats", "current_format",
               "controls", "inputs", "sysfs", "modules", "notes"]
    return set(doc) <= set(allowed) and all(k in doc for k in ("schema", "node", "querycap"))


# --------------------------------------------------------------- real dumps

c270 = load("03-logitech-c270")
q = c270["querycap"]
check("c270 driver", q["driver"] == "uvcvideo", q)
check("c270 card", q["card"] == "UVC Camera (046d:0825)", q)
check("c270 bus_info", q["bus_info"] == "usb-0000:00:1a.0-1.3", q)
check("c270 version 5.4.65", q["version"] == version(5, 4, 65), q)
check("c270 capabilities", q["capabilities"] == 0x84a00001, q)
check("c270 device_caps", q["device_caps"] == 0x04200001, q)
check("c270 node", c270["node"] == "/dev/video0", c270["node"])
led = control(c270, 0x0a046d05)
check("c270 led1_mode", led is not None and led["name"] == "led1_mode" and led["type"] == 3
      and (led["minimum"], led["maximum"], led["step"], led["default"]) == (0, 3, 1, 3), led)
wbt = control(c270, 0x0098091a)
check("c270 white_balance_temperature inactive, step 10",
      wbt is not None and wbt["flags"] == 0x10 and wbt["step"] == 10 and wbt["maximum"] == 10000, wbt)
eap = control(c270, 0x009a0903)
check("c270 exposure_auto_priority bool 0..1",
      eap is not None and eap["type"] == 2 and (eap["minimum"], eap["maximum"], eap["step"], eap["default"]) == (0, 1, 1, 0), eap)
check("c270 14 unique controls", len(c270["controls"]) == 14 and
      len({c["id"] for c in c270["controls"]}) == 14, len(c270.get("controls", [])))
check("c270 current_format", c270.get("current_format") == {
    "fourcc": "MJPG", "width": 640, "height": 480, "bytesperline": 0, "sizeimage": 302080,
    "field": 1, "colorspace": 8}, c270.get("current_format"))
check("c270 inputs", c270.get("inputs") == [{"index": 0, "name": "Camera 1", "type": 2}], c270.get("inputs"))
check("c270 has no formats (no list in the dump)", "formats" not in c270)
check("c270 has no sysfs (lsusb only)", "sysfs" not in c270)
check("c270 has no modules", "modules" not in c270)
check("c270 keys", keys_ok(c270), sorted(c270))

sun = load("10-sunplus-fhd-camera")
q = sun["querycap"]
check("sunplus card (31 chars)", q["card"] == "FHD Camera Microphone: FHD Came", q)
check("sunplus version 5.15.83", q["version"] == version(5, 15, 83), q)
check("sunplus node default", sun["node"] == "/dev/video0", sun["node"])
fmts = sun.get("formats", [])
check("sunplus two formats", [f["fourcc"] for f in fmts] == ["MJPG", "YUYV"], fmts)
if len(fmts) == 2:
    mjpg, yuyv = fmts
    check("sunplus MJPG compressed", mjpg["compressed"] and not mjpg["emulated"]
          and mjpg["description"] == "Motion-JPEG", mjpg)
    check("sunplus YUYV not compressed", not yuyv["compressed"] and yuyv["description"] == "YUYV 4:2:2", yuyv)
    check("sunplus 10 sizes each", len(mjpg["sizes"]) == 10 and len(yuyv["sizes"]) == 10)
    check("sunplus MJPG 1920x1080 30 fps", {"kind": "discrete", "width": 1920, "height": 1080,
                                            "intervals": [[1, 30]]} in mjpg["sizes"])
    check("sunplus YUYV 1600x896 7.5 fps -> [2,15]", {"kind": "discrete", "width": 1600, "height": 896,
                                                     "intervals": [[2, 15]]} in yuyv["sizes"])
    check("sunplus YUYV 1920x1080 5 fps", {"kind": "discrete", "width": 1920, "height": 1080,
                                          "intervals": [[1, 5]]} in yuyv["sizes"])
check("sunplus current_format 800x600 MJPG", sun.get("current_format", {}).get("sizeimage") == 960000
      and sun["current_format"]["width"] == 800, sun.get("current_format"))
check("sunplus sysfs", sun.get("sysfs") == {"bus": "usb", "usb": {
    "vendor_id": "1bcf", "product_id": "28c4", "manufacturer": "SunplusIT Inc",
    "product": "FHD Camera Microphone", "serial": "01.00.00", "bcd_device": "0530",
    "speed": "480"}}, sun.get("sysfs"))
check("sunplus bus_info mismatch noted", any("does not match the node's bus_info" in n for n in sun["notes"]))
hue = control(sun, 0x00980903)
check("sunplus hue -2000..2000", hue is not None and (hue["minimum"], hue["maximum"]) == (-2000, 2000), hue)
check("sunplus 14 controls", len(sun.get("controls", [])) == 14)

loop = load("22-v4l2loopback-dummy-rpi-ros")
q = loop["querycap"]
check("loopback driver", q["driver"] == "v4l2 loopback", q)
check("loopback card", q["card"] == "Dummy video device (0x0000)", q)
check("loopback capabilities", q["capabilities"] == 0x85200003, q)
check("loopback device_caps", q["device_caps"] == 0x05200003, q)
check("loopback version 5.15.116", q["version"] == version(5, 15, 116), q)
kf = control(loop, 0x0098f900)
check("loopback keep_format", kf is not None and kf["name"] == "keep_format" and kf["type"] == 2, kf)
to = control(loop, 0x0098f902)
check("loopback timeout int 0..100000", to is not None and to["type"] == 1 and to["maximum"] == 100000, to)
check("loopback 4 controls", len(loop.get("controls", [])) == 4)
check("loopback no capture format (output only)", "current_format" not in loop)
check("loopback input", loop.get("inputs") == [{"index": 0, "name": "loopback", "type": 2}], loop.get("inputs"))

akv = load("28-akvcam-output-device")
q = akv["querycap"]
check("akvcam node", akv["node"] == "/dev/video2", akv["node"])
check("akvcam driver/card", (q["driver"], q["card"], q["bus_info"]) ==
      ("akvcam", "Akvcam (Output device)", "platform:akvcam-2"), q)
check("akvcam capabilities", q["capabilities"] == 0x85200002, q)
check("akvcam derived device_caps", q["device_caps"] == 0x05200002, q)
check("akvcam derivation note", any("Device Caps not shown" in n and "derived" in n for n in akv["notes"]), akv["notes"])
check("akvcam version 6.8.4", q["version"] == version(6, 8, 4), q)
mods = {m["name"]: m["marked"] for m in akv.get("modules", [])}
check("akvcam module marked virtual_camera", mods.get("akvcam") == "virtual_camera", mods)
check("akvcam videodev unmarked", "videodev" in mods and mods["videodev"] is None, mods)
check("akvcam no controls/formats/inputs/current_format",
      not any(k in akv for k in ("controls", "formats", "inputs", "current_format")), sorted(akv))

viv = load("29-vivid-6.1")
q = viv["querycap"]
check("vivid capabilities", q["capabilities"] == 0x9dbf0df7, q)
check("vivid device_caps", q["device_caps"] == 0x05230005, q)
check("vivid version 6.1.44", q["version"] == version(6, 1, 44), q)
br = control(viv, 0x00980900)
check("vivid brightness slider", br is not None and br["flags"] == 0x20, br)
check("vivid input Webcam 0", viv.get("inputs") == [{"index": 0, "name": "Webcam 0", "type": 2}], viv.get("inputs"))
check("vivid current_format YUYV", viv.get("current_format", {}).get("bytesperline") == 1280
      and viv["current_format"]["fourcc"] == "YUYV", viv.get("current_format"))
check("vivid head truncation noted", any("head" in n for n in viv["notes"]), viv["notes"])

gad = load("30-pi4-uvc-gadget-pi-webcam")
q = gad["querycap"]
check("gadget driver/card", (q["driver"], q["card"]) == ("uvcvideo", "PI4 USB Device: UVC Camera"), q)
check("gadget caps", (q["capabilities"], q["device_caps"]) == (0x84a00001, 0x04200001), q)
check("gadget version 5.4.51", q["version"] == version(5, 4, 51), q)
check("gadget only querycap and inputs",
      not any(k in gad for k in ("formats", "controls", "current_format", "sysfs", "modules")), sorted(gad))
check("gadget cut-short noted", any("cut short" in n for n in gad["notes"]), gad["notes"])

# ------------------------------------------------ recorded captures are fresh

for name in sorted(f[:-4] for f in os.listdir(DUMPS) if f.endswith(".txt")):
    path = os.path.join(CAPTURES, "dump-%s.json" % name)
    if not os.path.exists(path):
        check("recorded %s exists" % path, False)
        continue
    with open(path, encoding="utf-8") as f:
        recorded = json.load(f)
    check("recorded dump-%s.json matches the converter" % name, recorded == load(name))
    check("dump-%s schema" % name, recorded.get("schema") == "captureguard.fingerprint/1")
    check("dump-%s source names converter" % name,
          recorded.get("source", "").startswith("v4l2-ctl dump: ")
          and recorded["source"].endswith("(converted by Tools/fingerprints/from-v4l2-ctl.py)"))

# ---------------------------------------------------------------- synthetic

check("fps 30.000 -> [1,30]", conv.fps_to_interval("30.000") == [1, 30])
check("fps 15.000 -> [1,15]", conv.fps_to_interval("15.000") == [1, 15])
check("fps 7.500 -> [2,15]", conv.fps_to_interval("7.500") == [2, 15])

DRIVER = """Driver Info:
\tDriver name      : uvcvideo
\tCard type        : Cam
\tBus info         : usb-0000:00:14.0-2
\tDriver version   : 6.1.0
\tCapabilities     : 0x84a00001
\tDevice Caps      : 0x04200001
"""
CTRLS = """                     brightness 0x00980900 (int)    : min=0 max=255 step=1 default=128 value=128 flags=inactive, volatile
           power_line_frequency 0x00980918 (menu)   : min=0 max=2 default=2 value=2
\t\t\t\t0: Disabled
\t\t\t\t1: 50 Hz
                   trigger_btn 0x009a0920 (button) :
                   some_mask 0x00a00001 (bitmask): max=0x0000000f default=0x00000003 value=3
"""
doc = conv.convert("$ v4l2-ctl -d2 --all\n" + DRIVER + CTRLS + CTRLS)
check("synthetic -d2 node", doc["node"] == "/dev/video2", doc["node"])
check("synthetic dedupe", len(doc["controls"]) == 4, doc["controls"])
check("synthetic dedupe note", any("de-duplicated" in n for n in doc["notes"]), doc["notes"])
check("synthetic flags inactive|volatile", control(doc, 0x00980900)["flags"] == 0x90)
check("synthetic menu step 1", control(doc, 0x00980918)["step"] == 1)
check("synthetic button zeros", control(doc, 0x009a0920) is not None and
      (control(doc, 0x009a0920)["type"], control(doc, 0x009a0920)["maximum"]) == (4, 0))
check("synthetic bitmask", control(doc, 0x00a00001) is not None and
      (control(doc, 0x00a00001)["type"], control(doc, 0x00a00001)["maximum"],
       control(doc, 0x00a00001)["default"]) == (8, 15, 3))
check("synthetic no sections shown -> absent", not any(k in doc for k in ("formats", "inputs", "sysfs", "modules")))

OLD_FORMATS = """ioctl: VIDIOC_ENUM_FMT
\tIndex       : 0
\tType        : Video Capture
\tPixel Format: 'MJPG' (compressed)
\tName        : Motion-JPEG
\t\tSize: Discrete 1280x720
\t\t\tInterval: Discrete 0.033s (30.000 fps)
\t\t\tInterval: Discrete 0.067s (15.000 fps)
\t\tSize: Stepwise 16x16 - 1920x1080 with step 1/1

\tIndex       : 1
\tType        : Video Capture
\tPixel Format: 'YUYV' (emulated)
\tName        : YUYV 4:2:2
"""
doc = conv.convert(DRIVER + OLD_FORMATS)
f0 = doc.get("formats", [{}])[0]
check("old-style format list", f0.get("fourcc") == "MJPG" and f0.get("compressed") is True
      and f0.get("sizes") == [{"kind": "discrete", "width": 1280, "height": 720,
                               "intervals": [[1, 30], [1, 15]]}], doc.get("formats"))
check("stepwise size noted", any("stepwise" in n for n in doc["notes"]), doc["notes"])
f1 = doc.get("formats", [{}, {}])[1]
check("old-style emulated", f1.get("emulated") is True and f1.get("description") == "YUYV 4:2:2"
      and f1.get("sizes") == [], f1)

LIST_ONLY = """ioctl: VIDIOC_ENUM_FMT
\tType: Video Capture

\t[0]: 'YUYV' (YUYV 4:2:2)
\t[1]: 'BA81' (8-bit Bayer BGBG/GRGR, emulated)
"""
doc = conv.convert(DRIVER + LIST_ONLY)
check("--list-formats: no sizes key", [sorted(f) for f in doc.get("formats", [])] ==
      [["compressed", "description", "emulated", "fourcc"]] * 2, doc.get("formats"))
check("--list-formats emulated flag", doc["formats"][1]["emulated"] is True
      and doc["formats"][1]["description"] == "8-bit Bayer BGBG/GRGR", doc["formats"])

with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.txt")
    with open(bad, "w") as f:
        f.write("# source: nowhere\nBus 001 Device 002: ID 046d:0825 Logitech, Inc.\n")
    r = subprocess.run([sys.executable, SCRIPT, bad], capture_output=True, text=True)
    check("no Driver name -> exit 2", r.returncode == 2, r.returncode)
    check("no Driver name -> message", "Driver name" in r.stderr and not r.stdout, r.stderr)
    out = os.path.join(tmp, "out.json")
    c270_path = os.path.join(DUMPS, "03-logitech-c270.txt")
    r = subprocess.run([sys.executable, SCRIPT, c270_path, "--out", out], capture_output=True, text=True)
    check("--out exit 0", r.returncode == 0 and not r.stdout, r.stderr)
    r2 = subprocess.run([sys.executable, SCRIPT, c270_path], capture_output=True, text=True)
    with open(out) as f:
        check("--out and stdout agree", r2.returncode == 0 and f.read() == r2.stdout)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
