#!/usr/bin/env python3
"""`captureguard detect-faces` against OpenCV 4.x's
`cv2.CascadeClassifier.detectMultiScale`, the reference it reimplements.

The photos (Tools/corpus/fetch-real): astronaut.png, grace_hopper_512x512.jpg
and every JPEG of kphotoalbum's demo. Each is decoded once by
`cv2.imread(path, cv2.IMREAD_GRAYSCALE)` and written as a binary PGM, so both
sides see the same pixels. Both run scaleFactor 1.1, minNeighbors 3, minSize
30 (OpenCV single-threaded) with four cascades from Debian's opencv-data
(Haar default and alt2, LBP frontalface and frontalface_improved). Each
(photo, cascade) pair is one check: the same number of faces, matched one to
one with every coordinate within 3 px. Also: the colour PPM (OpenCV side
cvtColor BGR2GRAY), a 2-frame yuv420p Y4M and the .cgcap import-y4m makes of
it (OpenCV side the luma planes), --max-size and a larger --min-size, the JSON
report's fields, and the exit codes (0 with no face, 3 missing, 10 corrupt
image or cascade). OpenCV's boxes are printed for every pair, ours too for a
failing one.

Usage: Tests/faces/test_parity.py [--binary PATH] [--jobs N] [--record FILE]
       [--opencv-only]
The binary is --binary, else $CAPTUREGUARD, else the newer of the debug and
release builds (as the corpus tests). Pairs run --jobs at a time (default:
the CPU count). With --opencv-only only OpenCV runs (the comparisons are
skipped, not passed); a build without a working detect-faces fails them.
Also compared: every raw hit before grouping (minNeighbors 0, which must be
identical) on astronaut and Grace Hopper, for the four cascades and for
haarcascade_eye_tree_eyeglasses (tilted features, depth-2 trees).
Last line: "faces: N passed, N failed[, N skipped]"."""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus"))
from corpus_support import Skip, binary, check, real_cache, run_tests  # noqa: E402

try:
    import cv2
except ImportError:
    cv2 = None

CASCADES = {
    "haar_default": "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
    "haar_alt2": "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml",
    "lbp": "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml",
    "lbp_improved": "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml",
}
SCALE_FACTOR, MIN_NEIGHBORS, MIN_SIZE = 1.1, 3, 30
TOLERANCE_PX = 3
ERROR_PREFIX = "captureguard detect-faces:"
state = {"records": []}


# ---------------------------------------------------------------- inputs

def cache():
    return real_cache()


def photos():
    real = os.path.join(cache(), "real")
    demo = sorted(p for p in glob.glob(os.path.join(real, "kphotoalbum-demo", "*"))
                  if p.lower().endswith((".jpg", ".jpeg")))
    return [os.path.join(real, "astronaut.png"), os.path.join(real, "grace_hopper_512x512.jpg")] + demo


def workdir():
    if "dir" not in state:
        state["dir"] = tempfile.mkdtemp(prefix="cg-faces-")
    return state["dir"]


def write_pgm(path, gray):
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (gray.shape[1], gray.shape[0]))
        f.write(np.ascontiguousarray(gray, np.uint8).tobytes())


def write_ppm(path, bgr):
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (bgr.shape[1], bgr.shape[0]))
        f.write(np.ascontiguousarray(bgr[:, :, ::-1], np.uint8).tobytes())


def y4m_lumas(path):
    """The Y planes of a 4:2:0 or mono YUV4MPEG2 file, as uint8 arrays."""
    with open(path, "rb") as f:
        data = f.read()
    end = data.index(b"\n")
    fields = data[:end].split()
    check(fields[0] == b"YUV4MPEG2", f"{path}: not a Y4M")
    params = {field[:1]: field[1:] for field in fields[1:]}
    width, height = int(params[b"W"]), int(params[b"H"])
    colour = params.get(b"C", b"420jpeg")
    chroma = 0 if colour == b"mono" else 2 * ((width + 1) // 2) * ((height + 1) // 2)
    check(colour.startswith(b"420") or colour == b"mono", f"{path}: colour space {colour} not handled here")
    lumas, at = [], end + 1
    while at < len(data):
        header_end = data.index(b"\n", at)
        check(data[at:at + 5] == b"FRAME", f"{path}: no FRAME marker at {at}")
        plane = np.frombuffer(data, np.uint8, width * height, header_end + 1).reshape(height, width)
        lumas.append(plane.copy())
        at = header_end + 1 + width * height + chroma
    return lumas


def cascade_facts(path):
    """(kind, window width, window height, stages) as the XML declares them."""
    root = ET.parse(path).getroot()
    cascade = next(iter(root))
    kind = cascade.findtext("featureType").strip().lower()
    return (kind, int(cascade.findtext("width")), int(cascade.findtext("height")),
            int(cascade.findtext("stageNum")))


# ---------------------------------------------------------------- the two sides

_local = threading.local()


def opencv(gray, cascade, min_size=MIN_SIZE, max_size=None, min_neighbors=MIN_NEIGHBORS):
    """OpenCV's boxes, sorted, as [x, y, w, h] lists. One classifier per thread
    (a CascadeClassifier is not safe to share between threads)."""
    classifiers = _local.__dict__.setdefault("classifiers", {})
    if cascade not in classifiers:
        classifier = cv2.CascadeClassifier(cascade)
        check(not classifier.empty(), f"OpenCV cannot load {cascade}")
        classifiers[cascade] = classifier
    options = {"scaleFactor": SCALE_FACTOR, "minNeighbors": min_neighbors, "minSize": (min_size, min_size)}
    if max_size is not None:
        options["maxSize"] = (max_size, max_size)
    return sorted([int(v) for v in box] for box in classifiers[cascade].detectMultiScale(gray, **options))


def run_ours(*args):
    return subprocess.run([state["binary"], "detect-faces", *args], capture_output=True, text=True, timeout=900)


def ours(path, cascade, min_size=MIN_SIZE, max_size=None, min_neighbors=MIN_NEIGHBORS):
    """Our report for PATH; fails unless detect-faces exits 0 with JSON."""
    extra = ["--max-size", str(max_size)] if max_size is not None else []
    result = run_ours(path, "--cascade", cascade, "--scale-factor", str(SCALE_FACTOR),
                      "--min-neighbors", str(min_neighbors), "--min-size", str(min_size), *extra, "--json")
    check(result.returncode == 0,
          f"detect-faces {os.path.basename(path)} exited {result.returncode}: {result.stderr.strip()[-300:]}")
    try:
        return json.loads(result.stdout)
    except ValueError as error:
        raise AssertionError(f"detect-faces printed no JSON ({error}): {result.stdout[:200]!r}")


def boxes_of(frame):
    return sorted([int(face[k]) for k in ("x", "y", "width", "height")] for face in frame["faces"])


def one_to_one(expected, got, tolerance=TOLERANCE_PX):
    """True when the lists have the same length and a perfect matching exists
    in which every x, y, width and height differs by at most TOLERANCE px."""
    if len(expected) != len(got):
        return False
    near = [[j for j, b in enumerate(got) if all(abs(p - q) <= tolerance for p, q in zip(a, b))]
            for a in expected]
    owner = [-1] * len(got)

    def augment(i, seen):
        for j in near[i]:
            if j not in seen:
                seen.add(j)
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(augment(i, set()) for i in range(len(expected)))


# ---------------------------------------------------------------- jobs

class Job:
    """One input through one cascade: OpenCV on each of FRAMES (gray arrays)
    and, unless OpenCV only, detect-faces on PATH."""

    def __init__(self, label, path, frames, cascade, min_size=MIN_SIZE, max_size=None, min_neighbors=MIN_NEIGHBORS):
        self.label, self.path, self.frames = label, path, frames
        self.cascade, self.min_size, self.max_size = cascade, min_size, max_size
        self.min_neighbors = min_neighbors
        # Raw hits (no grouping) have no averaging to blur differences: they
        # must be identical.
        self.tolerance = 0 if min_neighbors == 0 else TOLERANCE_PX

    def run(self, with_ours):
        expected = [opencv(frame, self.cascade, self.min_size, self.max_size, self.min_neighbors) for frame in self.frames]
        report = ours(self.path, self.cascade, self.min_size, self.max_size, self.min_neighbors) if with_ours else None
        return expected, report


def describe(job):
    size = f"min {job.min_size}" + (f" max {job.max_size}" if job.max_size is not None else "")
    if job.min_neighbors != MIN_NEIGHBORS:
        size += f" neighbours {job.min_neighbors}"
    return f"{job.label} / {os.path.basename(job.cascade)} ({size})"


def parity_test(job, future):
    def test():
        expected, report = future.result()
        frames_note = lambda boxes: boxes if len(boxes) > 1 else boxes[0]
        shown = frames_note(expected)
        if job.min_neighbors == 0:
            shown = f"{sum(len(boxes) for boxes in expected)} raw hits"
        print(f"     {describe(job)}: opencv {shown}", flush=True)
        record = {"input": job.label, "cascade": os.path.basename(job.cascade), "min_size": job.min_size,
                  "max_size": job.max_size, "opencv": frames_note(expected)}
        state["records"].append(record)
        if report is None:
            raise Skip(state["skip_reason"])
        frames = report.get("frames") or []
        check(len(frames) == len(expected), f"{len(frames)} frames in the report, {len(expected)} expected")
        got = [boxes_of(frame) for frame in frames]
        record["captureguard"] = frames_note(got)
        for index, (frame, gray, want, have) in enumerate(zip(frames, job.frames, expected, got)):
            check(frame.get("index") == index, f"frame {index} has index {frame.get('index')}")
            check((frame.get("width"), frame.get("height")) == (gray.shape[1], gray.shape[0]),
                  f"frame {index} is {frame.get('width')}x{frame.get('height')}, "
                  f"the image {gray.shape[1]}x{gray.shape[0]}")
            if not one_to_one(want, have, job.tolerance):
                print(f"     {describe(job)}: captureguard {frames_note(got)}", flush=True)
                raise AssertionError(f"frame {index}: opencv {len(want)} faces {want}, "
                                     f"captureguard {len(have)} faces {have} (tolerance {job.tolerance} px)")
    return test


def build_jobs():
    """Decodes every input once and writes the files detect-faces reads."""
    jobs, tmp = [], workdir()
    for photo in photos():
        check(os.path.exists(photo), f"{photo} missing")
        gray = cv2.imread(photo, cv2.IMREAD_GRAYSCALE)
        check(gray is not None, f"OpenCV cannot decode {photo}")
        name = os.path.basename(photo)
        pgm = os.path.join(tmp, os.path.splitext(name)[0] + ".pgm")
        write_pgm(pgm, gray)
        for cascade in CASCADES.values():
            jobs.append(Job(name, pgm, [gray], cascade))
    # The colour path: detect-faces converts RGB to gray as cvtColor does.
    astronaut = os.path.join(cache(), "real", "astronaut.png")
    bgr = cv2.imread(astronaut)
    ppm = os.path.join(tmp, "astronaut.ppm")
    write_ppm(ppm, bgr)
    for cascade in CASCADES.values():
        jobs.append(Job("astronaut.ppm", ppm, [cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)], cascade))
    # Two frames (the photo and its mirror image) as yuv420p, by ffmpeg.
    cv2.imwrite(os.path.join(tmp, "frame0.png"), bgr)
    cv2.imwrite(os.path.join(tmp, "frame1.png"), cv2.flip(bgr, 1))
    y4m = os.path.join(tmp, "astronaut-2f.y4m")
    done = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", os.path.join(tmp, "frame%d.png"), "-frames:v", "2",
                           "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", y4m], capture_output=True, text=True)
    check(done.returncode == 0, f"ffmpeg cannot make the Y4M: {done.stderr.strip()[-300:]}")
    lumas = y4m_lumas(y4m)
    check(len(lumas) == 2, f"the Y4M has {len(lumas)} frames, not 2")
    for cascade in CASCADES.values():
        jobs.append(Job("astronaut-2f.y4m", y4m, lumas, cascade))
    state["y4m"] = (y4m, lumas)
    # --max-size and a larger --min-size on the busiest photos.
    demo = os.path.join(cache(), "real", "kphotoalbum-demo")
    for name, cascade, min_size, max_size in (("qt-logo.jpg", CASCADES["haar_default"], MIN_SIZE, 100),
                                              ("bar55.jpg", CASCADES["lbp_improved"], 80, None)):
        gray = cv2.imread(os.path.join(demo, name), cv2.IMREAD_GRAYSCALE)
        check(gray is not None, f"OpenCV cannot decode {name}")
        jobs.append(Job(name, os.path.join(tmp, os.path.splitext(name)[0] + ".pgm"), [gray], cascade,
                        min_size, max_size))
    # Every raw hit before grouping (minNeighbors 0), which must be
    # identical, and a cascade with tilted (45°) Haar features and depth-2
    # trees, which no face cascade has.
    tilted = "/usr/share/opencv4/haarcascades/haarcascade_eye_tree_eyeglasses.xml"
    for name in ("astronaut.pgm", "grace_hopper_512x512.pgm"):
        path = os.path.join(tmp, name)
        gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        check(gray is not None, f"cannot read back {name}")
        for cascade in [*CASCADES.values(), tilted]:
            jobs.append(Job(name, path, [gray], cascade, 20, None, 0))
        jobs.append(Job(name, path, [gray], tilted, 20))
    return jobs


# ---------------------------------------------------------------- other checks

def need_ours():
    if state.get("skip_reason"):
        raise Skip(state["skip_reason"])


def no_face_image():
    """A smooth 320x240 gradient: no face for OpenCV with any cascade."""
    if "blank" not in state:
        y, x = np.mgrid[0:240, 0:320]
        gray = (40 + x * 0.5 + y * 0.25).astype(np.uint8)
        path = os.path.join(workdir(), "gradient.pgm")
        write_pgm(path, gray)
        state["blank"] = (path, gray)
    return state["blank"]


def report_test(cascade):
    def test():
        path, gray = no_face_image()
        check(opencv(gray, cascade) == [], "OpenCV finds a face in the gradient; pick another no-face image")
        need_ours()
        report = ours(path, cascade)
        kind, width, height, stages = cascade_facts(cascade)
        check(report.get("schema") == "captureguard.faces/1", f"schema {report.get('schema')!r}")
        check(report.get("input") == path, f"input {report.get('input')!r}, not {path}")
        got = report.get("cascade") or {}
        check(got.get("path") in (cascade, os.path.realpath(cascade)), f"cascade.path {got.get('path')!r}")
        check(got.get("kind") == kind, f"cascade.kind {got.get('kind')!r}, the XML says {kind}")
        check(got.get("window") == {"width": width, "height": height},
              f"cascade.window {got.get('window')}, the XML says {width}x{height}")
        check(got.get("stages") == stages, f"cascade.stages {got.get('stages')}, the XML says {stages}")
        check(report.get("parameters") == {"scale_factor": SCALE_FACTOR, "min_neighbors": MIN_NEIGHBORS,
                                           "min_size": MIN_SIZE, "max_size": None},
              f"parameters {report.get('parameters')}")
        check(report.get("frames") == [{"index": 0, "width": 320, "height": 240, "faces": []}],
              f"frames {report.get('frames')}")
    return test


def expect_error(args, code, what):
    need_ours()
    result = run_ours(*args)
    message = result.stderr.strip()
    check(result.returncode == code, f"{what}: exit {result.returncode}, not {code} ({message[-200:]!r})")
    check(message.startswith(ERROR_PREFIX) and "\n" not in message,
          f"{what}: stderr is not one line starting {ERROR_PREFIX!r}: {message[-300:]!r}")
    print(f"     {what}: {message}", flush=True)


def bad_cascade(name, text):
    path = os.path.join(workdir(), name)
    with open(path, "w") as f:
        f.write(text)
    path_in, _ = no_face_image()
    return ["--cascade", path, "--json"], path_in


def test_fetch_real_provides_the_photos():
    found = photos()
    check(len(found) >= 20, f"only {len(found)} photos")
    for path in found:
        check(os.path.exists(path) and os.path.getsize(path) > 10000, f"{path} missing or small")
    astronaut = cv2.imread(found[0])
    check(astronaut is not None and astronaut.shape == (512, 512, 3), "astronaut.png is not 512x512 RGB")


def test_truncated_cascade_exits_10():
    with open(CASCADES["haar_default"]) as f:
        text = f.read()
    args, image = bad_cascade("truncated.xml", text[:len(text) // 2])
    expect_error([image, *args], 10, "truncated cascade")


def test_xml_that_is_not_a_cascade_exits_10():
    args, image = bad_cascade("not-a-cascade.xml", '<?xml version="1.0"?>\n<opencv_storage>\n'
                              "<calibration><rows>3</rows><cols>3</cols></calibration>\n</opencv_storage>\n")
    expect_error([image, *args], 10, "XML that is not a cascade")


def test_missing_image_exits_3():
    expect_error([os.path.join(workdir(), "no-such.pgm"), "--cascade", CASCADES["lbp"], "--json"], 3, "missing image")


def test_missing_cascade_exits_3():
    image, _ = no_face_image()
    expect_error([image, "--cascade", os.path.join(workdir(), "no-such.xml"), "--json"], 3, "missing cascade")


def test_truncated_pgm_exits_10():
    image, _ = no_face_image()
    with open(image, "rb") as f:
        data = f.read()
    path = os.path.join(workdir(), "truncated.pgm")
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
    expect_error([path, "--cascade", CASCADES["lbp"], "--json"], 10, "truncated PGM")


def test_capture_file_gives_the_y4m_frames():
    """import-y4m's capture of the 2-frame Y4M: the same faces per frame."""
    y4m, lumas = state["y4m"]
    expected = [opencv(luma, CASCADES["haar_default"]) for luma in lumas]
    print(f"     astronaut-2f.cgcap / haarcascade_frontalface_default.xml (min {MIN_SIZE}): opencv {expected}")
    need_ours()
    capture = os.path.join(workdir(), "astronaut-2f.cgcap")
    done = subprocess.run([state["binary"], "import-y4m", y4m, "--out", capture, "--force"],
                          capture_output=True, text=True)
    check(done.returncode == 0, f"import-y4m exited {done.returncode}: {done.stderr.strip()[-300:]}")
    report = ours(capture, CASCADES["haar_default"])
    got = [boxes_of(frame) for frame in report.get("frames") or []]
    check(len(got) == 2, f"{len(got)} frames in the report, not 2")
    for index, (want, have) in enumerate(zip(expected, got)):
        check(one_to_one(want, have), f"frame {index}: opencv {want}, captureguard {have}")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="the captureguard to test (e.g. .build/release/captureguard)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pairs run at once")
    ap.add_argument("--record", help="write every pair's boxes (OpenCV's, and ours) to this JSON file")
    ap.add_argument("--opencv-only", action="store_true", help="run OpenCV only and print its boxes")
    args = ap.parse_args()
    if cv2 is None or not hasattr(cv2, "CascadeClassifier"):
        print("FAIL opencv: no cv2 with CascadeClassifier; run Tools/setup (opencv-python-headless<5)")
        print("faces: 0 passed, 1 failed")
        sys.exit(1)
    cv2.setNumThreads(1)
    missing = [path for path in CASCADES.values() if not os.path.exists(path)]
    if missing:
        print(f"FAIL cascades: {', '.join(missing)} missing; run Tools/setup (Debian opencv-data)")
        print("faces: 0 passed, 1 failed")
        sys.exit(1)

    state["binary"] = os.path.abspath(args.binary) if args.binary else binary()
    if args.opencv_only:
        state["skip_reason"] = "--opencv-only"
    elif state["binary"] is None or not os.access(state["binary"], os.X_OK):
        state["skip_reason"] = f"no captureguard build ({args.binary or '.build/{debug,release}/captureguard'})"
    elif subprocess.run([state["binary"], "detect-faces", "--help"], capture_output=True).returncode != 0:
        state["skip_reason"] = f"{state['binary']} has no 'detect-faces' command yet: OpenCV side only"
    print(f"OpenCV {cv2.__version__} (1 thread); captureguard: {state['binary']}"
          + (f" (not run: {state['skip_reason']})" if state.get("skip_reason") else ""), flush=True)

    tests = [("fetch-real provides the photos", test_fetch_real_provides_the_photos)]
    executor = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        try:
            jobs = build_jobs()
        except Exception as error:  # noqa: BLE001 - reported as a failed test below
            message = str(error)

            def cannot_prepare():
                raise AssertionError(f"cannot prepare the inputs: {message}")
            tests.append(("prepare the inputs", cannot_prepare))
            jobs = []
        with_ours = not state.get("skip_reason")
        for job in jobs:
            future = executor.submit(job.run, with_ours)
            tests.append((f"parity {job.label} {os.path.basename(job.cascade)}"
                          + (f" min {job.min_size}" if job.min_size != MIN_SIZE else "")
                          + (f" max {job.max_size}" if job.max_size is not None else "")
                          + (f" raw (neighbours {job.min_neighbors})" if job.min_neighbors != MIN_NEIGHBORS else ""),
                          parity_test(job, future)))
        if jobs:
            tests.append(("a .cgcap of the Y4M gives the same faces per frame", test_capture_file_gives_the_y4m_frames))
        for name, cascade in CASCADES.items():
            tests.append((f"no face in a gray PGM: exit 0, faces [], report fields ({name})", report_test(cascade)))
        tests += [
            ("truncated cascade XML exits 10", test_truncated_cascade_exits_10),
            ("XML that is not a cascade exits 10", test_xml_that_is_not_a_cascade_exits_10),
            ("truncated PGM exits 10", test_truncated_pgm_exits_10),
            ("missing image exits 3", test_missing_image_exits_3),
            ("missing cascade exits 3", test_missing_cascade_exits_3),
        ]
        # Only --opencv-only may skip the comparisons: a build without a
        # working detect-faces is a failure, not a skip.
        run_tests(tests, "faces", skip_counts_as="skipped" if args.opencv_only else "failed")
    finally:
        executor.shutdown(cancel_futures=True)
        if args.record and state["records"]:
            with open(args.record, "w") as f:
                f.write("[\n" + ",\n".join(json.dumps(record) for record in state["records"]) + "\n]\n")
        if "dir" in state:
            shutil.rmtree(state["dir"], ignore_errors=True)


if __name__ == "__main__":
    main()
