#!/usr/bin/env python3
"""Measurements on corpus captures (used by the corpus tests, and handy by
hand): temporal noise against level, a simple PRNU estimate and its
correlation between captures, frame repetition.

Usage:
  measure.py noise CAPTURE            temporal noise sigma of luma per level
  measure.py prnu CAPTURE CAPTURE...  PRNU correlation of the first with the others
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "captures"))
import cgcap  # noqa: E402
from sensor import unpack_yuyv  # noqa: E402


def luma(path, limit=None):
    """The luma planes of a YUYV or MJPEG capture -> uint8 (n, H, W)."""
    header, frames, _, _ = cgcap.read(path)
    fmt = header["format"]
    w, h = fmt["width"], fmt["height"]
    frames = frames[:limit] if limit else frames
    if fmt["fourcc"] == "YUYV":
        return np.stack([unpack_yuyv(p, w, h)[0] for _, p in frames])
    if fmt["fourcc"] == "MJPG":
        raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "mjpeg", "-i", "-", "-f", "rawvideo",
                              "-pix_fmt", "gray", "-"], input=b"".join(p for _, p in frames),
                             capture_output=True, check=True).stdout
        return np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w)
    raise ValueError(f"unsupported fourcc {fmt['fourcc']}")


def robust_sigma(x):
    """1.4826 x median absolute deviation: a sigma that ignores outliers
    (moving edges)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def trimmed_sigma(x):
    """RMS of x after dropping |x| above 5 x a first robust sigma (at least
    1 code value): moving edges are left out, integer-valued noise is not
    mis-measured as MAD would on a few discrete values."""
    x = np.asarray(x, dtype=np.float64).ravel()
    limit = 5.0 * max(robust_sigma(x), 1.0)
    kept = x[np.abs(x) <= limit]
    return float(np.sqrt(np.mean(kept ** 2))) if kept.size else 0.0


def temporal_noise(frames, bins=8):
    """Temporal noise of luma by level, from consecutive-frame differences
    divided by sqrt(2) (EMVA 1288's two-frame method), trimmed of motion.
    Returns [(mean level, sigma, pixels)] for populated level bins."""
    f = frames.astype(np.float32)
    d = (f[1:] - f[:-1]).ravel() / np.sqrt(2.0)
    m = (0.5 * (f[1:] + f[:-1])).ravel()
    edges = np.linspace(16, 235, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (m >= lo) & (m < hi)
        if sel.sum() > 2000:
            out.append((float(m[sel].mean()), trimmed_sigma(d[sel]), int(sel.sum())))
    return out


def smooth(plane, passes=3):
    p = plane.astype(np.float32)
    for _ in range(passes):
        q = np.pad(p, 1, mode="edge")
        p = (q[:-2, :-2] + q[:-2, 1:-1] + q[:-2, 2:] + q[1:-1, :-2] + q[1:-1, 1:-1] + q[1:-1, 2:] +
             q[2:, :-2] + q[2:, 1:-1] + q[2:, 2:]) / 9.0
    return p


def prnu_estimate(frames):
    """A plain PRNU estimate: the temporal mean of the luma frames minus its
    local (3x3 box, 3 passes) smoothing, over the smoothing: the relative
    fixed-pattern residual. Not the wavelet estimator of Lukas et al.; enough
    to tell two sensors apart on flat scenes."""
    mean = frames.astype(np.float32).mean(axis=0)
    base = smooth(mean)
    k = (mean - base) / np.maximum(base, 1.0)
    # Zero-mean rows and columns (removes line patterns common to all cameras).
    k -= k.mean(axis=1, keepdims=True)
    k -= k.mean(axis=0, keepdims=True)
    return k


def ncc(a, b):
    a = a - a.mean()
    b = b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def main(argv):
    if len(argv) >= 3 and argv[1] == "noise":
        for level, sigma, n in temporal_noise(luma(argv[2])):
            print(json.dumps({"level": round(level, 1), "sigma": round(sigma, 3), "pixels": n}))
    elif len(argv) >= 4 and argv[1] == "prnu":
        reference = prnu_estimate(luma(argv[2]))
        print(json.dumps({"capture": argv[2], "residual_sigma": float(reference.std())}))
        for other in argv[3:]:
            k = prnu_estimate(luma(other))
            print(json.dumps({"capture": other, "ncc": round(ncc(reference, k), 4)}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
