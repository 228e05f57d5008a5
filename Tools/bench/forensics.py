#!/usr/bin/env python3
"""Frame-forensics speed, in one run, on the same frames, pinned to one CPU:
  * CaptureGuard (Tools/bench/forensics-bench, release build): the per-frame
    analysers over every frame (target >= 300 fps) and one session's PRNU
    check (target <= 150 ms);
  * numpy, the baseline to beat (docs: ../shared/research/data-availability.md
    §3): per frame, the luma plane y = f[:, 0::2], Immerkaer's spatial noise
    sigma and the temporal-difference sigma std(y_t - y_{t-1}) / sqrt(2).
The capture is a 1280x720 YUYV genuine capture of 3 s at 30 fps made by
Tools/corpus/generate.py in a temporary directory, unless --capture names one.
Usage: Tools/bench/forensics.py [--capture FILE] [--build] [--repeat 3] [--json]
"""
import os

# Must precede the numpy import, or its BLAS pool starts one thread per CPU.
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse, json, math, resource, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tools", "captures"))
import cgcap  # noqa: E402

BINARY = os.path.join(ROOT, ".build/release/forensics-bench")
PER_FRAME_TARGET_FPS = 300
PRNU_TARGET_MS = 150


def load_luma_sources(path):
    """The frames as (height, 2*width) uint8 arrays of YUYV bytes."""
    header, frames, _, _ = cgcap.read(path)
    fmt = header["format"]
    if fmt.get("fourcc") != "YUYV":
        sys.exit(f"forensics: {path}: the numpy baseline needs a YUYV capture, not {fmt.get('fourcc')}")
    width, height, stride = fmt["width"], fmt["height"], fmt["bytesperline"]
    return [np.frombuffer(payload, np.uint8, height * stride).reshape(height, stride)[:, :2 * width]
            for _, payload in frames]


def numpy_pass(frames):
    """One timed pass; returns (seconds, mean Immerkaer sigma, mean temporal sigma)."""
    spatial, temporal, previous = 0.0, 0.0, None
    start = time.perf_counter()
    for frame in frames:
        y = frame[:, 0::2].astype(np.int16)
        h, w = y.shape
        # The Immerkaer kernel is [1,-2,1] (x) [1,-2,1]; separable, and |result| <= 8*255 fits int16.
        dx = y[:, :-2] - 2 * y[:, 1:-1] + y[:, 2:]
        laplacian = dx[:-2] - 2 * dx[1:-1] + dx[2:]
        spatial += math.sqrt(math.pi / 2) / (6 * (w - 2) * (h - 2)) * float(np.abs(laplacian).sum())
        if previous is not None:
            # Widened before subtracting: a uint8 difference would wrap.
            temporal += float((y - previous).std()) / math.sqrt(2)
        previous = y
    seconds = time.perf_counter() - start
    return seconds, spatial / len(frames), temporal / max(1, len(frames) - 1)


def run(capture, repeat):
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"forensics: {BINARY} is missing; build it with "
                 "`swift build -c release --product forensics-bench` or pass --build")
    done = subprocess.run(["taskset", "-c", "1", BINARY, capture, "--repeat", str(repeat)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"forensics: forensics-bench failed ({done.returncode}): {done.stderr.strip()}")
    ours = json.loads(done.stdout)

    os.sched_setaffinity(0, {1})
    frames = load_luma_sources(capture)
    passes = [numpy_pass(frames) for _ in range(repeat)]
    seconds, spatial, temporal = min(passes)
    numpy_fps = len(frames) / seconds
    return {
        **ours,
        "per_frame_target_fps": PER_FRAME_TARGET_FPS, "per_frame_met": ours["per_frame_fps"] >= PER_FRAME_TARGET_FPS,
        "prnu_target_ms": PRNU_TARGET_MS, "prnu_met": ours["prnu_ms"] <= PRNU_TARGET_MS,
        "numpy_frames": len(frames), "numpy_fps": round(numpy_fps, 1), "numpy_ms": round(seconds * 1000 / len(frames), 3),
        "numpy_immerkaer_sigma_mean": round(spatial, 4), "numpy_temporal_sigma_mean": round(temporal, 4),
        "ratio_vs_numpy": round(ours["per_frame_fps"] / numpy_fps, 3),
        # ru_maxrss is in KB on Linux; it counts the decoded capture held in memory, as VmHWM does for Swift.
        "numpy_peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--capture", help="an existing YUYV .cgcap (default: generate one)")
    ap.add_argument("--build", action="store_true", help="build forensics-bench (release) first")
    ap.add_argument("--repeat", type=int, default=3, help="passes; each side reports its best")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "forensics-bench"], cwd=ROOT, check=True, capture_output=True)
    if args.capture:
        result = run(os.path.abspath(args.capture), args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, os.path.join(ROOT, "Tools/corpus/generate.py"), tmp, "--size", "1280x720",
                            "--seconds", "3", "--count", "1", "--species", "genuine", "--no-sensors"],
                           check=True, capture_output=True)
            result = run(os.path.join(tmp, "genuine", "genuine-000.cgcap"), args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        r = result
        print(f"forensics: per-frame analysers {r['per_frame_fps']:.0f} fps ({r['per_frame_ms']:.1f} ms/frame, "
              f"target >= {PER_FRAME_TARGET_FPS}{'' if r['per_frame_met'] else ' MISSED'}); "
              f"PRNU check {r['prnu_ms']:.0f} ms over {r['prnu_frames']} frames of a {r['prnu_crop']} crop "
              f"(target <= {PRNU_TARGET_MS}{'' if r['prnu_met'] else ' MISSED'}); "
              f"numpy Immerkaer+temporal baseline {r['numpy_fps']:.0f} fps; ratio {r['ratio_vs_numpy']:.2f}; "
              f"peak RSS: swift {r['peak_rss_kb'] / 1024:.0f} MB, python {r['numpy_peak_rss_kb'] / 1024:.0f} MB "
              f"(both hold the decoded capture)")


if __name__ == "__main__":
    main()
