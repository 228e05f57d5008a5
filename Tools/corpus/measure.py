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


def face_spectrum(frames, box, margin=0.15):
    """Mean power spectrum of luma in a face box [x0, y0, x1, y1] (shrunk by
    `margin` per side so sway keeps it on the face), over frames: each crop
    high-passed (minus its 3-pass 3x3 box smoothing), Hann-windowed, |FFT|^2.
    Returns (power, fx, fy) with the zero frequency centred; fx, fy in
    cycles per pixel."""
    x0, y0, x1, y1 = box
    dx, dy = int((x1 - x0) * margin), int((y1 - y0) * margin)
    x0, y0, x1, y1 = max(0, x0 + dx), max(0, y0 + dy), min(frames.shape[2], x1 - dx), min(frames.shape[1], y1 - dy)
    crops = frames[:, y0:y1, x0:x1].astype(np.float32)
    h, w = crops.shape[1:]
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    power = np.zeros((h, w), dtype=np.float64)
    for crop in crops:
        detail = (crop - smooth(crop)) * window
        power += np.abs(np.fft.fft2(detail)) ** 2
    power = np.fft.fftshift(power / len(crops))
    fy = np.fft.fftshift(np.fft.fftfreq(h))[:, None] * np.ones((1, w))
    fx = np.fft.fftshift(np.fft.fftfreq(w))[None, :] * np.ones((h, 1))
    return power, fx, fy


def ring_ratio(power, fx, fy, width=0.03):
    """Each bin's power over the median power of its ring (|f| +- width):
    how far a bin stands above the isotropic spectrum at that frequency."""
    radius = np.hypot(fx, fy)
    edges = np.arange(0.0, 0.75, width)
    index = np.digitize(radius, edges)
    medians = np.zeros(len(edges) + 2)
    for i in np.unique(index):
        medians[i] = np.median(power[index == i])
    return power / np.maximum(medians[index], 1e-12)


def peak_db(power, fx, fy, f, tolerance=0.02):
    """The strongest ring ratio (dB) within `tolerance` cycles/pixel of the
    frequency f = (fx, fy) or of its mirror -f (a real image's spectrum is
    symmetric)."""
    ratio = ring_ratio(power, fx, fy)
    near = (np.hypot(fx - f[0], fy - f[1]) <= tolerance) | (np.hypot(fx + f[0], fy + f[1]) <= tolerance)
    if not near.any():
        return None
    return float(10 * np.log10(ratio[near].max()))


def peakiness_db(power, fx, fy, low=0.08):
    """The strongest ring ratio (dB) at |f| >= low, and where: a blind
    measure of periodic structure (no expected frequency needed)."""
    ratio = ring_ratio(power, fx, fy)
    ratio[np.hypot(fx, fy) < low] = 0
    i = np.unravel_index(np.argmax(ratio), ratio.shape)
    return float(10 * np.log10(ratio[i])), (float(fx[i]), float(fy[i]))


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
