#!/usr/bin/env python3
"""Face-detection speed against OpenCV, in one run, on the same frames, pinned
to one CPU:
  * CaptureGuard (Tools/bench/faces-bench, release build): the cascade
    detector over a grayscale frame, median of --repeat runs;
  * OpenCV 4.x `CascadeClassifier.detectMultiScale(gray, 1.1, 3, minSize)`
    with cv2.setNumThreads(1), median of --repeat runs after a warm-up: the
    reference it reimplements and the baseline to beat.
The frames mirror ../shared/research/data-availability.md §3, with a real
background that has no face: kphotoalbum's demo snow.jpg (Tools/corpus/
fetch-real) resized to cover the frame, and scikit-image's astronaut.png
pasted in the centre, scaled to 480 px in 640x480 and to 640 px in 1280x720;
then cvtColor BGR2GRAY. Cascades: Debian opencv-data's Haar frontalface
default and alt2, LBP frontalface and frontalface_improved; minSize 80 and 30.
Prints a Markdown table; without faces-bench, OpenCV's side only, and says so.
A second table times a 60-frame moving-face sequence per frame: OpenCV
scanning every frame against CaptureGuard's session detector, which scans
the whole frame every 10th frame and tracks the face between (faces-bench
--track); both with minSize 10 % of the height, as a session uses.
Usage: Tools/bench/faces.py [--build] [--binary PATH] [--repeat 15]
       [--min-sizes 80,30] [--cpu 0] [--frames-dir DIR] [--json]
"""
import os

# Must precede the numpy/cv2 imports, or their pools start one thread per CPU.
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse, json, statistics, subprocess, sys, tempfile, time

import numpy as np

try:
    import cv2
except ImportError:
    sys.exit("faces: no cv2; run Tools/setup (opencv-python-headless<5)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(ROOT, ".build/release/faces-bench")
BINARY = DEFAULT_BINARY
CASCADES = {
    "haar default": "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
    "haar alt2": "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml",
    "lbp": "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml",
    "lbp improved": "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml",
}
FRAMES = ((640, 480, 480), (1280, 720, 640))  # width, height, astronaut side
BACKGROUND = "snow.jpg"  # a busy real scene in which no cascade finds a face
SCALE_FACTOR, MIN_NEIGHBORS = 1.1, 3


def fetch_real():
    done = subprocess.run([os.path.join(ROOT, "Tools/corpus/fetch-real")], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("faces: fetch-real could not get the photos: "
                 + (done.stderr.strip().splitlines() or ["no message"])[-1])
    return os.path.join(done.stdout.strip().splitlines()[-1], "real")


def make_frame(real, width, height, side):
    """The gray frame: the background covering WIDTHxHEIGHT (centre crop) with
    the astronaut, SIDE px square, in the centre."""
    background = cv2.imread(os.path.join(real, "kphotoalbum-demo", BACKGROUND))
    astronaut = cv2.imread(os.path.join(real, "astronaut.png"))
    if background is None or astronaut is None:
        sys.exit(f"faces: cannot read {BACKGROUND} or astronaut.png under {real}")
    scale = max(width / background.shape[1], height / background.shape[0])
    covered = cv2.resize(background, (round(background.shape[1] * scale), round(background.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    top, left = (covered.shape[0] - height) // 2, (covered.shape[1] - width) // 2
    frame = covered[top:top + height, left:left + width].copy()
    face = cv2.resize(astronaut, (side, side), interpolation=cv2.INTER_AREA if side < 512 else cv2.INTER_LINEAR)
    top, left = (height - side) // 2, (width - side) // 2
    frame[top:top + side, left:left + side] = face
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def write_pgm(path, gray):
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (gray.shape[1], gray.shape[0]))
        f.write(np.ascontiguousarray(gray).tobytes())


def opencv(classifier, gray, min_size, repeat):
    """(median ms, boxes) of detectMultiScale over REPEAT runs after a warm-up."""
    options = {"scaleFactor": SCALE_FACTOR, "minNeighbors": MIN_NEIGHBORS, "minSize": (min_size, min_size)}
    boxes = classifier.detectMultiScale(gray, **options)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        classifier.detectMultiScale(gray, **options)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), sorted([int(v) for v in box] for box in boxes)


def ours(pgm, cascade, min_size, repeat, cpu):
    done = subprocess.run(["taskset", "-c", str(cpu), BINARY, pgm, "--cascade", cascade,
                           "--scale-factor", str(SCALE_FACTOR), "--min-neighbors", str(MIN_NEIGHBORS),
                           "--min-size", str(min_size), "--repeat", str(repeat)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"faces: faces-bench failed ({done.returncode}) on {os.path.basename(pgm)} "
                 f"{os.path.basename(cascade)}: {done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["median_ms"], sorted(list(box) for box in result["faces"])


def run(frames_dir, min_sizes, repeat, cpu):
    have_ours = os.access(BINARY, os.X_OK)
    missing = [path for path in CASCADES.values() if not os.path.exists(path)]
    if missing:
        sys.exit(f"faces: {', '.join(missing)} missing; run Tools/setup (Debian opencv-data)")
    real = fetch_real()
    cv2.setNumThreads(1)
    os.sched_setaffinity(0, {cpu})
    classifiers = {name: cv2.CascadeClassifier(path) for name, path in CASCADES.items()}
    rows = []
    for width, height, side in FRAMES:
        gray = make_frame(real, width, height, side)
        pgm = os.path.join(frames_dir, f"frame-{width}x{height}.pgm")
        write_pgm(pgm, gray)
        for name, path in CASCADES.items():
            for min_size in min_sizes:
                cv_ms, cv_faces = opencv(classifiers[name], gray, min_size, repeat)
                row = {"frame": f"{width}x{height}", "cascade": name, "min_size": min_size,
                       "opencv_ms": round(cv_ms, 2), "opencv_faces": cv_faces}
                if have_ours:
                    our_ms, our_faces = ours(pgm, path, min_size, repeat, cpu)
                    row.update(captureguard_ms=round(our_ms, 2), captureguard_faces=our_faces,
                               ratio=round(our_ms / cv_ms, 3))
                rows.append(row)
                print(f"faces: {row['frame']} {name} minSize {min_size}: OpenCV {cv_ms:.1f} ms"
                      + (f", CaptureGuard {row['captureguard_ms']:.1f} ms" if have_ours else ""),
                      file=sys.stderr, flush=True)
    sequences = run_sequences(frames_dir, cpu, have_ours, classifiers)
    return {"opencv_version": cv2.__version__, "threads": 1, "cpu": cpu, "repeat": repeat,
            "background": BACKGROUND, "captureguard": have_ours, "rows": rows, "sequences": sequences}


SEQUENCE_FRAMES = 60


def make_sequence(real, width, height, side, path):
    """SEQUENCE_FRAMES gray frames of a face moving over the background (the
    astronaut swaying 2 px a frame sideways and 1 px up and down), as a mono
    Y4M at PATH. Returns the frames."""
    still = make_frame(real, width, height, side)
    frames = []
    for index in range(SEQUENCE_FRAMES):
        dx = int(round(30 * np.sin(index / 8))) + index % 2
        dy = int(round(6 * np.sin(index / 5)))
        frames.append(np.roll(np.roll(still, dx, axis=1), dy, axis=0))
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 Cmono\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + np.ascontiguousarray(frame).tobytes())
    return frames


def run_sequences(frames_dir, cpu, have_ours, classifiers):
    """Per-frame cost over a moving-face sequence: OpenCV scanning every frame
    with minSize = 10 % of the height (what a session's full scan uses) against
    CaptureGuard's FaceSession (a full scan every 10th frame, tracking between)."""
    real = fetch_real()
    rows = []
    for width, height, side in FRAMES:
        path = os.path.join(frames_dir, f"sequence-{width}x{height}.y4m")
        frames = make_sequence(real, width, height, side, path)
        min_size = round(0.1 * height)
        for name in ("haar default", "lbp"):
            options = {"scaleFactor": SCALE_FACTOR, "minNeighbors": MIN_NEIGHBORS, "minSize": (min_size, min_size)}
            classifiers[name].detectMultiScale(frames[0], **options)
            start = time.perf_counter()
            found = sum(1 for frame in frames if len(classifiers[name].detectMultiScale(frame, **options)) > 0)
            cv_ms = (time.perf_counter() - start) * 1000 / len(frames)
            row = {"frame": f"{width}x{height}", "cascade": name, "min_size": min_size, "frames": len(frames),
                   "opencv_ms": round(cv_ms, 2), "opencv_frames_with_face": found}
            if have_ours:
                done = subprocess.run(["taskset", "-c", str(cpu), BINARY, path, "--cascade", CASCADES[name], "--track"],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    sys.exit(f"faces: faces-bench --track failed: {done.stderr.strip()}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                row.update(captureguard_ms=round(result["mean_ms"], 2), captureguard_frames_with_face=result["frames_with_face"],
                           ratio=round(result["mean_ms"] / cv_ms, 3))
            rows.append(row)
            print(f"faces: sequence {row['frame']} {name}: OpenCV {cv_ms:.1f} ms/frame"
                  + (f", CaptureGuard {row['captureguard_ms']:.1f} ms/frame" if have_ours else ""), file=sys.stderr, flush=True)
    return rows


def boxes_text(boxes):
    return f"{len(boxes)}" + (": " + " ".join("[" + ",".join(map(str, box)) + "]" for box in boxes) if boxes else "")


def table(result):
    lines = ["| frame | cascade | minSize | OpenCV ms | CaptureGuard ms | ratio (Swift/OpenCV) | faces OpenCV | faces CaptureGuard |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for row in result["rows"]:
        ours_ms = f"{row['captureguard_ms']:.1f}" if "captureguard_ms" in row else "–"
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else "–"
        ours_faces = boxes_text(row["captureguard_faces"]) if "captureguard_faces" in row else "–"
        lines.append(f"| {row['frame']} | {row['cascade']} | {row['min_size']} | {row['opencv_ms']:.1f} | {ours_ms} "
                     f"| {ratio} | {boxes_text(row['opencv_faces'])} | {ours_faces} |")
    note = (f"OpenCV {result['opencv_version']}, 1 thread, CPU {result['cpu']}; median of {result['repeat']} runs "
            f"after a warm-up; scaleFactor {SCALE_FACTOR}, minNeighbors {MIN_NEIGHBORS}; boxes are [x,y,w,h].")
    if not result["captureguard"]:
        note += (f" CaptureGuard not measured: {BINARY} is missing "
                 "(build it with `swift build -c release --product faces-bench` or pass --build).")
    lines2 = ["| frame | cascade | minSize | frames | OpenCV ms/frame (full scan each) | CaptureGuard ms/frame (session) | ratio | frames with a face (OpenCV / CaptureGuard) |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in result.get("sequences", []):
        ours_ms = f"{row['captureguard_ms']:.1f}" if "captureguard_ms" in row else "–"
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else "–"
        lines2.append(f"| {row['frame']} | {row['cascade']} | {row['min_size']} | {row['frames']} | {row['opencv_ms']:.1f} | {ours_ms} "
                      f"| {ratio} | {row['opencv_frames_with_face']} / {row.get('captureguard_frames_with_face', '–')} |")
    note2 = ("Moving-face sequences: the astronaut sways over the background; OpenCV scans every frame, "
             "CaptureGuard's FaceSession scans the whole frame every 10th frame and a window around the last face between.")
    return "\n".join(lines) + "\n\n" + note + "\n\n" + "\n".join(lines2) + "\n\n" + note2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="store_true", help="build faces-bench (release) first")
    ap.add_argument("--repeat", type=int, default=15, help="timed runs per case; each side reports the median")
    ap.add_argument("--min-sizes", default="80,30", help="comma-separated minSize values")
    ap.add_argument("--binary", default=DEFAULT_BINARY, help="the faces-bench to run (default: the release build)")
    ap.add_argument("--cpu", type=int, default=0, help="the CPU both sides are pinned to")
    ap.add_argument("--frames-dir", help="keep the frame PGMs here (default: a temporary directory)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    min_sizes = [int(value) for value in args.min_sizes.split(",")]
    global BINARY
    BINARY = os.path.abspath(args.binary)
    if args.build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "faces-bench"], cwd=ROOT, check=True,
                       capture_output=True)
    if args.frames_dir:
        os.makedirs(args.frames_dir, exist_ok=True)
        result = run(args.frames_dir, min_sizes, args.repeat, args.cpu)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(tmp, min_sizes, args.repeat, args.cpu)
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
