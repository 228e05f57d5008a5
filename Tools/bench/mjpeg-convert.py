#!/usr/bin/env python3
"""MJPEG -> YUV 4:2:0 decoding speed: libv4lconvert (through CaptureGuard's
FrameConverter) against `ffmpeg -threads 1`, on the same JPEG frames, in the
same run, both pinned to one CPU.

Inputs are 1280x720 MJPEG streams made here with ffmpeg from testsrc2 plus
temporal noise (so the entropy-coded data looks like a sensor's, not a flat
test card):
  * 420: ffmpeg's encoder, yuvj420p (h2v2 luma, as many webcams send);
  * 422: the same frames through cjpeg -sample 2x1 (h2v1 luma: the 4:2:2
    layout of most UVC webcams; ffmpeg's own 4:2:2 uses 2x2/1x2 sampling,
    which libv4lconvert does not accept).
Each side is timed as a whole process (start-up and file reading included)
over the frames decoded `--repeat` times; the median of `--runs` runs counts.
Baselines: ffmpeg decode only (-f null) and ffmpeg decode + swscale to
yuvj420p (what libv4lconvert delivers).

Usage: Tools/bench/mjpeg-convert.py [--frames 120] [--repeat 3] [--runs 5] [--json]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def timed(cmd, runs):
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        run(["taskset", "-c", "1"] + cmd)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for tool in ("ffmpeg", "cjpeg", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"mjpeg-convert: {tool} not found (apt-get install ffmpeg libjpeg-turbo-progs util-linux)")

    run(["swift", "build", "-c", "release", "--product", "convert-bench"], cwd=ROOT)
    run(["swift", "build", "-c", "release", "--product", "captureguard"], cwd=ROOT)
    bench = os.path.join(ROOT, ".build/release/convert-bench")
    agent = os.path.join(ROOT, ".build/release/captureguard")

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t", "-frames:v", str(args.frames)]
        s420 = os.path.join(tmp, "420.mjpeg")
        run(["ffmpeg", "-y", "-loglevel", "error"] + source + ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", "-f", "mjpeg", s420])
        frames_dir = os.path.join(tmp, "ppm")
        os.mkdir(frames_dir)
        run(["ffmpeg", "-y", "-loglevel", "error"] + source + [os.path.join(frames_dir, "%04d.ppm")])
        s422 = os.path.join(tmp, "422.mjpeg")
        with open(s422, "wb") as out:
            for name in sorted(os.listdir(frames_dir)):
                out.write(run(["cjpeg", "-quality", "90", "-sample", "2x1", os.path.join(frames_dir, name)]).stdout)

        for label, stream in (("420", s420), ("422", s422)):
            capture = os.path.join(tmp, label + ".cgcap")
            run([agent, "import-mjpeg", stream, "--out", capture, "--fps", "30"])
            frames = args.frames * args.repeat
            ours = timed([bench, capture, "--repeat", str(args.repeat)], args.runs)
            loop = ["-stream_loop", str(args.repeat - 1)]
            decode_only = timed(["ffmpeg", "-loglevel", "error", "-threads", "1", "-filter_threads", "1"] + loop + ["-f", "mjpeg", "-i", stream, "-f", "null", "-"], args.runs)
            to_420 = timed(["ffmpeg", "-loglevel", "error", "-threads", "1", "-filter_threads", "1"] + loop + ["-f", "mjpeg", "-i", stream, "-pix_fmt", "yuvj420p", "-f", "rawvideo", "-y", "/dev/null"], args.runs)
            results[label] = {
                "frames": frames,
                "mean_jpeg_bytes": os.path.getsize(stream) // args.frames,
                "libv4lconvert_fps": round(frames / ours, 1),
                "ffmpeg_decode_fps": round(frames / decode_only, 1),
                "ffmpeg_decode_to_yuv420_fps": round(frames / to_420, 1),
                "ratio_vs_decode": round(decode_only / ours, 3),
                "ratio_vs_decode_to_yuv420": round(to_420 / ours, 3),
            }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for label, r in results.items():
            print(f"{label}: {r['frames']} frames 1280x720, ~{r['mean_jpeg_bytes']//1024} KiB/frame: "
                  f"libv4lconvert {r['libv4lconvert_fps']} fps, ffmpeg decode {r['ffmpeg_decode_fps']} fps "
                  f"(ratio {r['ratio_vs_decode']}), ffmpeg decode+yuv420 {r['ffmpeg_decode_to_yuv420_fps']} fps "
                  f"(ratio {r['ratio_vs_decode_to_yuv420']})")


if __name__ == "__main__":
    main()
