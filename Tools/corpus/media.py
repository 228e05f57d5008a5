"""ffmpeg and libjpeg-turbo helpers for the corpus: decode a photo to RGB,
encode a frame as a webcam-style JPEG, and push a clip through a video codec
and back (the signature of a replayed file)."""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

REAL_PHOTOS = [
    # (name in the fetch-real cache, what it is)
    ("grace_hopper_512x512.jpg", "facedetect: US Navy portrait of Grace Hopper, public domain"),
    ("kphotoalbum-demo/jesper.jpg", "kphotoalbum demo: close-up face"),
    ("kphotoalbum-demo/jesper_2.jpg", "kphotoalbum demo: close-up face"),
    ("kphotoalbum-demo/new_wave_2.jpg", "kphotoalbum demo: close-up face"),
]


def data_dir():
    return os.environ.get("CAPTUREGUARD_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "captureguard-data")


def need(tool):
    if shutil.which(tool) is None:
        raise RuntimeError(f"{tool} not found on PATH (Tools/setup installs it)")


def probe_size(path):
    need("ffprobe")
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    stream = json.loads(out)["streams"][0]
    return stream["width"], stream["height"]


def _decode_rgb(path, filters, width, height):
    """The first frame of PATH through ffmpeg's FILTERS, which must yield
    width x height -> uint8 (height, width, 3), sRGB code values."""
    need("ffmpeg")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-frames:v", "1",
                          "-vf", filters, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    if len(raw) != width * height * 3:
        raise RuntimeError(f"ffmpeg decoded {len(raw)} bytes from {path}, expected {width * height * 3}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def decode_rgb(path, width, height):
    """Decodes an image with ffmpeg, scaled (Lanczos) to width x height."""
    return _decode_rgb(path, f"scale={width}:{height}:flags=lanczos", width, height)


def decode_rgb_region(path, x, y, w, h, width, height):
    """Decodes the region [x, x+w) x [y, y+h) (integer photo pixels, inside
    the photo) of an image, scaled (Lanczos) to width x height."""
    return _decode_rgb(path, f"crop={w}:{h}:{x}:{y},scale={width}:{height}:flags=lanczos", width, height)


def jpeg_encode(rgb_hwc, quality=90):
    """One frame as a webcam sends it in MJPEG: baseline JPEG, YCbCr 4:2:2 with
    2x1 luma / 1x1 chroma sampling (the layout UVC cameras use, which
    libv4lconvert decodes; ffmpeg's own 4:2:2 encoder writes 2x2/1x2, see the
    README). libjpeg-turbo's cjpeg, quality ~90 (webcams: ~85-95)."""
    need("cjpeg")
    h, w, _ = rgb_hwc.shape
    ppm = b"P6\n%d %d\n255\n" % (w, h) + np.ascontiguousarray(rgb_hwc, dtype=np.uint8).tobytes()
    return subprocess.run(["cjpeg", "-quality", str(int(quality)), "-sample", "2x1", "-dct", "int"],
                          input=ppm, check=True, capture_output=True).stdout


def transcode_yuyv(payloads, width, height, fps, codec, quality, preset=None):
    """Encodes YUYV frames with a real video codec into a file the way an
    attacker's clip would be stored (4:2:0), then decodes it back to YUYV.
    codec: "h264" (libx264, quality = CRF) or "vp9" (libvpx-vp9, quality = CRF).
    Returns the list of decoded YUYV payloads."""
    need("ffmpeg")
    frame_bytes = width * height * 2
    with tempfile.TemporaryDirectory(prefix="cgcorpus-") as tmp:
        if codec == "h264":
            out = os.path.join(tmp, "clip.mp4")
            args = ["-c:v", "libx264", "-preset", preset or "fast", "-crf", str(quality)]
        elif codec == "vp9":
            out = os.path.join(tmp, "clip.webm")
            args = ["-c:v", "libvpx-vp9", "-crf", str(quality), "-b:v", "0",
                    "-deadline", "realtime", "-cpu-used", str(preset or 8), "-row-mt", "1"]
        else:
            raise ValueError(codec)
        log = open(os.path.join(tmp, "log"), "wb")
        encoder = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuyv422",
                                    "-s", f"{width}x{height}", "-r", str(fps), "-i", "-"] + args +
                                   ["-pix_fmt", "yuv420p", "-threads", "2", out],
                                   stdin=subprocess.PIPE, stderr=log)
        try:
            for payload in payloads:
                encoder.stdin.write(payload)
        finally:
            encoder.stdin.close()
        if encoder.wait() != 0:
            log.close()
            raise RuntimeError(f"ffmpeg {codec} encode failed: {open(os.path.join(tmp, 'log')).read()[-400:]}")
        raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", out, "-f", "rawvideo",
                              "-pix_fmt", "yuyv422", "-"], check=True, capture_output=True).stdout
        size = os.path.getsize(out)
    frames = [raw[i:i + frame_bytes] for i in range(0, len(raw) - frame_bytes + 1, frame_bytes)]
    return frames, size
