"""Per-frame kernel metadata for the corpus: what uvcvideo delivers for a real
webcam, and what a virtual camera (v4l2loopback fed by a player) delivers.
The flag values below are those of include/uapi/linux/videodev2.h."""

import numpy as np

V4L2_BUF_FLAG_MAPPED = 0x00000001
V4L2_BUF_FLAG_DONE = 0x00000004
V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC = 0x00002000
V4L2_BUF_FLAG_TSTAMP_SRC_EOF = 0x00000000
V4L2_BUF_FLAG_TSTAMP_SRC_SOE = 0x00010000
V4L2_FIELD_NONE = 1

# uvcvideo: its vb2 queue has timestamp_flags MONOTONIC | TSTAMP_SRC_SOE
# (drivers/media/usb/uvc/uvc_queue.c); a buffer dequeued from an mmap queue
# also carries MAPPED (DONE is cleared once the buffer is dequeued; the
# kernel's vivid sample in Captures/ shows 0x2001 = MONOTONIC | MAPPED).
UVC_FLAGS = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_TSTAMP_SRC_SOE
# A virtual camera stamps a buffer when the writer hands it over: monotonic,
# end-of-frame source (no SOE bit).
LOOPBACK_FLAGS = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_TSTAMP_SRC_EOF


def kernel_timing(count, fps, rng, drop_p=0.002, jitter_ms=None, delay_ms=None):
    """A real webcam's stream: `count` delivered frames.

    - sequence: consecutive from 0 (uvcvideo counts from stream start), with
      a gap where a frame was dropped (probability drop_p per frame slot;
      a USB isochronous error or a late DQBUF);
    - timestamp_ns: on a CLOCK_MONOTONIC base a few minutes to hours after
      boot, period 1/fps off by the camera crystal's error (+-30 ppm rms,
      typical of the 12-48 MHz crystals on UVC bridges), plus per-frame
      jitter N(0, 0.2-0.5 ms) (the SOF/PTS clock recovery of uvcvideo);
      microsecond resolution (struct timeval in v4l2_buffer);
    - host_monotonic_ns: the timestamp plus 1-6 ms of transfer, completion
      and scheduling delay, jittered (half-normal 0.3 ms) with rare longer
      stalls (scheduler, 1 % of frames, exponential 3 ms).
    Returns (metas, scene_times): metas without bytesused; scene_times in s
    from the first slot (so a dropped frame's content is skipped too)."""
    period = 1e9 / fps * (1.0 + rng.normal(0.0, 30e-6))
    jitter = (jitter_ms if jitter_ms is not None else rng.uniform(0.2, 0.5)) * 1e6
    delay = (delay_ms if delay_ms is not None else rng.uniform(1.0, 6.0)) * 1e6
    start = int(rng.uniform(60, 20000) * 1e9)
    metas, times = [], []
    slot = 0
    last_host = -1
    for _ in range(count):
        while drop_p > 0 and rng.random() < drop_p:
            slot += 1
        ideal = start + slot * period
        ts = int(round((ideal + rng.normal(0.0, jitter)) / 1000.0)) * 1000
        host = ts + delay + abs(rng.normal(0.0, 0.3e6))
        if rng.random() < 0.01:
            host += rng.exponential(3e6)
        host = max(int(host), last_host + 1000)
        last_host = host
        metas.append({"sequence": slot, "flags": UVC_FLAGS, "timestamp_ns": ts,
                      "host_monotonic_ns": host, "field": V4L2_FIELD_NONE})
        times.append(slot / fps)
        slot += 1
    return metas, times


def metronome_timing(count, fps, rng, jitter_us=None):
    """A virtual camera fed at a fixed rate: intervals exactly 1e9/fps ns
    (rounded to the microsecond of struct timeval) or within +-jitter_us
    (0-10 us), no drops, the reader waking tens of microseconds after the
    buffer is queued, EOF-sourced monotonic timestamps."""
    jitter = jitter_us if jitter_us is not None else float(rng.choice([0.0, 2.0, 10.0]))
    start = int(rng.uniform(60, 20000) * 1e9)
    metas, times = [], []
    for k in range(count):
        exact = start + k * 1e9 / fps
        if jitter:
            exact += rng.uniform(-jitter, jitter) * 1000.0
        ts = int(round(exact / 1000.0)) * 1000
        host = ts + int(rng.uniform(20e3, 80e3))
        metas.append({"sequence": k, "flags": LOOPBACK_FLAGS, "timestamp_ns": ts,
                      "host_monotonic_ns": host, "field": V4L2_FIELD_NONE})
        times.append(k / fps)
    return metas, times


def describe(metas):
    """Summary numbers of a timing track (tests and the manifest)."""
    ts = np.array([m["timestamp_ns"] for m in metas], dtype=np.int64)
    host = np.array([m["host_monotonic_ns"] for m in metas], dtype=np.int64)
    seq = np.array([m["sequence"] for m in metas], dtype=np.int64)
    intervals = np.diff(ts)
    return {"frames": len(metas), "drops": int((np.diff(seq) - 1).sum()) if len(seq) > 1 else 0,
            "interval_mean_us": float(intervals.mean() / 1000) if len(intervals) else None,
            "interval_sd_us": float(intervals.std() / 1000) if len(intervals) else None,
            "host_delay_mean_us": float((host - ts).mean() / 1000) if len(ts) else None}
