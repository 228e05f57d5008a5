#!/usr/bin/env python3
"""The face analyser inside `captureguard attest`: sessions built from a real
photo (scikit-image's astronaut, via Tools/corpus/fetch-real) as mono Y4M
files, imported with `import-y4m` and attested. Each session varies one
quality signal, and its token must say so:
  * good: one face, no guidance, `submods.pad` passes, the evidence PNG is
    the frame the quality claim names and OpenCV finds the face in it where
    the claim says;
  * dark (luma × 0.35) → too_dark / more_light;
  * blurred (Gaussian σ = 6 px) → face_blurry / hold_still;
  * off-centre (face centre at 7/8 of the width) → face_off_centre /
    centre_face;
  * small (face about 1/8 of the height) → face_too_small / move_closer;
  * no face (a photo of snow) → no_face / look_at_camera.
Each problem session's `submods.pad` verdict is retry and its code is among
the decision's reasons; quality findings are never above severity info.
Usage: Tests/faces/test_session.py [--binary PATH]
Last line: "faces-session: N passed, N failed"."""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus"))
from corpus_support import binary, check, real_cache, run_tests  # noqa: E402

try:
    import cv2
except ImportError:
    cv2 = None

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
WIDTH, HEIGHT, FRAMES = 640, 480, 12
NONCE = "c2Vzc2lvbi1ub25jZS0x"
state = {}


def real_photo(name):
    return os.path.join(real_cache(), "real", name)


def face_frames(face_side, centre, gain=1.0, blur=0.0, photo=None, seed=1):
    """FRAMES gray frames: the astronaut's face region scaled so the face is
    about FACE_SIDE px, centred at CENTRE, on a textured wall, with a pixel
    of sway and fresh noise per frame."""
    rng = np.random.default_rng(seed)
    if photo is None:
        astronaut = cv2.imread(real_photo("astronaut.png"), cv2.IMREAD_GRAYSCALE)
        # OpenCV's Haar box on the 512-px photo is [177, 66, 95, 95]: crop a
        # square around it so the face fills a known share of the crop.
        x0, y0, side = 177 - 80, 66 - 80, 95 + 160
        crop = astronaut[max(y0, 0):y0 + side, x0:x0 + side]
        crop = np.pad(crop, ((side - crop.shape[0], 0), (0, 0)), mode="edge")
        scale = face_side / 95
        crop = cv2.resize(crop, (round(side * scale), round(side * scale)), interpolation=cv2.INTER_AREA)
    else:
        crop = cv2.resize(cv2.imread(photo, cv2.IMREAD_GRAYSCALE), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    wall = rng.normal(110, 12, (HEIGHT, WIDTH))
    frames = []
    for index in range(FRAMES):
        frame = wall.copy()
        h, w = crop.shape
        cx, cy = centre if photo is None else (WIDTH // 2, HEIGHT // 2)
        left, top = cx - w // 2 + index % 2, cy - h // 2
        sx0, sy0 = max(0, -left), max(0, -top)
        dx0, dy0 = max(0, left), max(0, top)
        dx1, dy1 = min(WIDTH, left + w), min(HEIGHT, top + h)
        frame[dy0:dy1, dx0:dx1] = crop[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
        if blur:
            frame = cv2.GaussianBlur(frame, (0, 0), blur)
        frame = frame * gain + rng.normal(0, 2.0, frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames


def attest(name, frames):
    work = state["dir"]
    y4m = os.path.join(work, name + ".y4m")
    with open(y4m, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 Cmono\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + frame.tobytes())
    capture = os.path.join(work, name + ".cgcap")
    done = subprocess.run([state["binary"], "import-y4m", y4m, "--out", capture, "--force"], capture_output=True, text=True)
    check(done.returncode == 0, f"import-y4m: {done.stderr.strip()[-300:]}")
    evidence = os.path.join(work, name + ".png")
    done = subprocess.run([state["binary"], "attest", capture, "--nonce", NONCE, "--key", state["key"], "--evidence", evidence,
                           "--cascade", CASCADE], capture_output=True, text=True)
    check(done.returncode == 0, f"attest exited {done.returncode}: {done.stderr.strip()[-300:]}")
    payload = done.stdout.strip().split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    print(f"     {name}: quality {json.dumps(claims['captureguard']['quality'])}", flush=True)
    return claims, evidence


def test_good_session():
    claims, evidence = attest("good", face_frames(150, (WIDTH // 2, HEIGHT // 2)))
    quality = claims["captureguard"]["quality"]
    pad = claims["submods"]["pad"]
    check(quality["assessed"] is True and quality["faces"] == 1, f"quality {quality}")
    check(quality["guidance"] == [], f"guidance {quality['guidance']}")
    check(quality["frames_sampled"] == FRAMES // 3 and quality["frames_with_face"] == FRAMES // 3, f"quality {quality}")
    check(pad["status"] == "ran" and pad["verdict"] == "pass" and pad["findings"] == [], f"pad {pad}")
    face = quality["face"]
    check(claims["captureguard"]["evidence"]["image_frame_index"] == face["frame_index"],
          "the evidence image is not the best face frame")
    gray = cv2.imread(evidence, cv2.IMREAD_GRAYSCALE)
    found = cv2.CascadeClassifier(CASCADE).detectMultiScale(gray, 1.1, 3, minSize=(48, 48))
    check(len(found) == 1, f"OpenCV finds {len(found)} faces in the evidence PNG")
    # The session tracks the face in a window around the last box, whose
    # pyramid differs from a full scan's: the boxes agree closely, not exactly.
    box = [int(v) for v in found[0]]
    claimed = [face[k] for k in ("x", "y", "width", "height")]
    check(iou(box, claimed) >= 0.8, f"OpenCV {box} vs the token's {claimed}: IoU {iou(box, claimed):.2f}")
    check(0.2 <= quality["framing"]["size"] <= 0.4, f"framing {quality['framing']}")
    check(quality["blur"]["sharpness"] > 10, f"blur {quality['blur']}")


def iou(a, b):
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def problem_test(name, frames, code, guidance):
    def test():
        claims, _ = attest(name, frames())
        quality = claims["captureguard"]["quality"]
        pad = claims["submods"]["pad"]
        check(guidance in quality["guidance"], f"guidance {quality['guidance']} lacks {guidance}")
        codes = [finding["code"] for finding in pad["findings"]]
        check(code in codes, f"pad findings {codes} lack {code}")
        check(all(finding["severity"] == "info" for finding in pad["findings"]), f"pad findings {pad['findings']}")
        check(pad["verdict"] == "retry", f"pad verdict {pad['verdict']}")
        # Each session varies one signal: only its own guidance appears.
        check(quality["guidance"] == [guidance], f"guidance {quality['guidance']}, expected only {guidance}")
        check(code in claims["captureguard"]["decision"]["reasons"], f"reasons {claims['captureguard']['decision']['reasons']}")
    return test


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    args = ap.parse_args()
    if cv2 is None or not os.path.exists(CASCADE):
        print("FAIL setup: needs cv2 and Debian opencv-data (Tools/setup)")
        print("faces-session: 0 passed, 1 failed")
        sys.exit(1)
    state["binary"] = os.path.abspath(args.binary) if args.binary else binary()
    with tempfile.TemporaryDirectory(prefix="cg-face-session-") as work:
        state["dir"] = work
        state["key"] = os.path.join(work, "agent.key")
        done = subprocess.run([state["binary"], "keygen", "--out", state["key"]], capture_output=True, text=True)
        tests = [("keygen", lambda: check(done.returncode == 0, done.stderr))]
        middle = (WIDTH // 2, HEIGHT // 2)
        tests += [
            ("a good session: one face, no guidance, evidence is the face frame", test_good_session),
            ("dark face → too_dark / more_light", problem_test("dark", lambda: face_frames(150, middle, gain=0.35), "too_dark", "more_light")),
            ("blurred face → face_blurry / hold_still", problem_test("blurred", lambda: face_frames(150, middle, blur=6), "face_blurry", "hold_still")),
            ("off-centre face → face_off_centre / centre_face",
             problem_test("off-centre", lambda: face_frames(150, (WIDTH * 7 // 8, HEIGHT // 2)), "face_off_centre", "centre_face")),
            ("small face → face_too_small / move_closer", problem_test("small", lambda: face_frames(60, middle), "face_too_small", "move_closer")),
            ("no face → no_face / look_at_camera",
             problem_test("no-face", lambda: face_frames(0, middle, photo=os.path.join(real_photo("kphotoalbum-demo"), "snow.jpg")),
                          "no_face", "look_at_camera")),
        ]
        run_tests(tests, "faces-session")


if __name__ == "__main__":
    main()
