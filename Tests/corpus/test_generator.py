#!/usr/bin/env python3
"""Checks of the evaluation-corpus generator (Tools/corpus) and of the cgcap
writer (Tools/captures/cgcap.py): the writer round-trips with the reader and
with `captureguard replay --json`; the sensor model behaves like a sensor
(photon transfer, fixed PRNU per sensor, distinct between sensors); each
species has the property that defines it. Runs offline on small frames (a
synthetic photo stands in for the fetched faces). Last line:
"corpus-generator: N passed, N failed"."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from corpus_support import ROOT, binary, check, run_tests

import cgcap
import measure
import sensor
import species as sp
import timing

W, H, FPS = 160, 120, 30


def test_photo():
    """A synthetic 'portrait' (uint8 sRGB): a skin-toned ellipse with texture
    on a darker background, so scenes have edges, levels and detail."""
    rng = np.random.default_rng(99)
    h, w = 200, 160
    yy, xx = np.mgrid[0:h, 0:w]
    face = ((xx - w / 2) / (w * 0.35)) ** 2 + ((yy - h * 0.45) / (h * 0.4)) ** 2 < 1
    img = np.zeros((h, w, 3), dtype=np.float32)
    img[:] = [40, 45, 60]
    img[face] = [205, 160, 135]
    img += rng.normal(0, 12, (h, w, 1))
    img[(np.abs(yy - h * 0.38) < 4) & face & ((np.abs(xx - w * 0.38) < 8) | (np.abs(xx - w * 0.62) < 8))] = [30, 30, 30]
    return np.clip(img, 0, 255).astype(np.uint8)


PHOTO = test_photo()


def build(name, index=0, seconds=1.0, width=W, height=H):
    spec = sp.Spec(name, index, width, height, FPS, seconds, 7, photos=[PHOTO])
    fourcc, metas, payloads, info = sp.build(spec)
    return spec, fourcc, metas, list(payloads), info


def lumas(payloads, width=W, height=H):
    return np.stack([sensor.unpack_yuyv(p, width, height)[0] for p in payloads])


# --- the cgcap writer ---------------------------------------------------------

def test_writer_round_trips_with_reader():
    rng = np.random.default_rng(1)
    header = {"source_kind": "v4l2", "mode": "raw", "timing": "kernel",
              "format": {"fourcc": "YUYV", "width": 8, "height": 2, "bytesperline": 16, "sizeimage": 32,
                         "field": 1, "colorspace": 8}, "frame_interval": [1, 30]}
    frames = []
    for k in range(5):
        payload = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
        meta = {"sequence": k + 10, "flags": 0x12001, "timestamp_ns": None if k == 2 else 1000 * k,
                "host_monotonic_ns": -5 if k == 3 else 2000 * k, "bytesused": 32, "field": 1}
        frames.append((meta, payload))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.cgcap")
        cgcap.write(path, header, frames, {"frames": 5, "reason": "complete"})
        got_header, got_frames, trailer, integrity = cgcap.read(path)
        check(got_header == header, "header differs")
        check(integrity == "complete" and trailer == {"frames": 5, "reason": "complete"}, f"{integrity} {trailer}")
        check(len(got_frames) == 5, f"{len(got_frames)} frames")
        for (meta, payload), (got_meta, got_payload) in zip(frames, got_frames):
            check(got_payload == payload, "payload differs")
            for key in meta:
                check(got_meta[key] == meta[key], f"{key}: {got_meta[key]} != {meta[key]}")
        check(not [n for n in os.listdir(tmp) if n.startswith(".")], "temporary file left behind")
        # No end record: a truncated capture keeps every frame.
        writer = cgcap.Writer(path, header)
        for meta, payload in frames[:3]:
            writer.frame(meta, payload)
        writer.close(False)
        _, got_frames, trailer, integrity = cgcap.read(path)
        check(integrity == "truncated" and trailer is None and len(got_frames) == 3, f"{integrity} {len(got_frames)}")


def test_writer_reproduces_the_recorded_sample_byte_for_byte():
    sample = os.path.join(ROOT, "Captures", "vivid-yuyv-320x180.cgcap")
    header, frames, trailer, _ = cgcap.read(sample)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "copy.cgcap")
        cgcap.write(path, header, [(m, p) for m, p in frames], trailer)
        check(open(path, "rb").read() == open(sample, "rb").read(),
              "rewriting the Swift-recorded sample gave different bytes")


def test_replay_json_reads_generated_captures():
    exe = binary()
    check(exe is not None, "no captureguard build (.build/{debug,release}/captureguard)")
    spec, fourcc, metas, payloads, _ = build("genuine", seconds=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "g.cgcap")
        cgcap.write(path, sp.header(spec, fourcc),
                    [(dict(m, bytesused=len(p)), p) for m, p in zip(metas, payloads)])
        result = subprocess.run([exe, "replay", path, "--json"], capture_output=True, text=True)
        check(result.returncode == 0, f"replay exited {result.returncode}: {result.stderr}")
        replay = json.loads(result.stdout)
    check(replay["summary"]["frames"] == len(metas), f"replay frames {replay['summary']['frames']}")
    check(replay["summary"]["integrity"] == "complete", replay["summary"]["integrity"])
    check(replay["summary"]["drops"] == timing.describe(metas)["drops"], "drops differ")
    check(replay["info"]["format"]["fourcc"] == "YUYV" and replay["info"]["timing"] == "kernel", "header")
    for meta, frame, payload in zip(metas, replay["frames"], payloads):
        for key in ("sequence", "flags", "timestamp_ns", "host_monotonic_ns", "field"):
            check(frame[key] == meta[key], f"{key}: replay {frame[key]} != written {meta[key]}")
        check(frame["bytesused"] == len(payload), "bytesused")
        check(frame["timestamp_type"] == "monotonic" and frame["timestamp_source"] == "soe",
              f"{frame['timestamp_type']} {frame['timestamp_source']}")


# --- the sensor model ------------------------------------------------------------

def test_photon_transfer_variance_grows_linearly_with_mean():
    """EMVA 1288 photon transfer on raw frames: temporal variance (from the
    difference of two frames) against mean, both above the black level, is a
    line with slope = the conversion gain K (DN/e-)."""
    cam = sensor.Sensor("A", 128, 128, analog_gain=2.0)
    rng = np.random.default_rng(5)
    means, variances = [], []
    for level in (0.02, 0.05, 0.1, 0.2, 0.4, 0.7):
        planes = np.full((3, 128, 128), level, dtype=np.float32)
        a = cam.expose(planes, rng).astype(np.float64)
        b = cam.expose(planes, rng).astype(np.float64)
        means.append(0.5 * (a + b).mean() - sensor.BLACK_LEVEL_DN)
        variances.append(((a - b) ** 2).mean() / 2)
    check(all(v2 > v1 for v1, v2 in zip(variances, variances[1:])), f"variance not increasing: {variances}")
    slope, intercept = np.polyfit(means, variances, 1)
    check(abs(slope / cam.k - 1) < 0.06, f"PTC slope {slope:.4f} DN/e- vs model K {cam.k:.4f}")
    dark = cam.k ** 2 * sensor.READ_NOISE_E ** 2 + 1 / 12
    check(-1.0 < intercept < dark + 1.0, f"PTC intercept {intercept:.3f} vs read noise + quantisation {dark:.3f}")


def test_shot_noise_is_poisson_like_on_both_sides_of_the_cutover():
    rng = np.random.default_rng(3)
    for lam in (3.0, sensor.POISSON_EXACT_BELOW - 1, sensor.POISSON_EXACT_BELOW + 1, 800.0):
        x = sensor.shot_noise(np.full((300, 300), lam, dtype=np.float32), rng)
        check(abs(x.mean() / lam - 1) < 0.02 and abs(x.var() / lam - 1) < 0.04,
              f"lambda {lam}: mean {x.mean():.3f} var {x.var():.3f}")


def test_prnu_is_fixed_per_sensor_and_differs_between_sensors():
    a1, a2, b = sensor.Sensor("A", W, H), sensor.Sensor("A", W, H), sensor.Sensor("B", W, H)
    check(np.array_equal(a1.prnu, a2.prnu) and np.array_equal(a1.dsnu, a2.dsnu), "sensor A's pattern not fixed")
    check(abs(a1.prnu.std() - sensor.PRNU_SIGMA) < 0.1 * sensor.PRNU_SIGMA, f"PRNU sigma {a1.prnu.std():.4f}")
    check(abs(measure.ncc(a1.prnu, b.prnu)) < 0.05, "sensors A and B share PRNU")
    # Through the whole ISP, on flat scenes: the PRNU estimated from two
    # different sessions of sensor A agrees; sensor B's does not.
    def flat(sensor_id, index):
        spec = sp.Spec("enroll", index, W, H, FPS, 1.5, 11, sensor=sensor_id)
        return measure.prnu_estimate(lumas(list(sp.build(spec)[2])))
    k_a1, k_a2, k_b = flat("A", 0), flat("A", 5), flat("B", 1)
    same, other = measure.ncc(k_a1, k_a2), measure.ncc(k_a1, k_b)
    check(same > 0.5, f"A vs A PRNU correlation {same:.3f}")
    check(abs(other) < 0.1, f"A vs B PRNU correlation {other:.3f}")


def test_isp_is_neutral_and_bt601_levels_are_right():
    cam = sensor.Sensor("A", 64, 64, analog_gain=2.0)
    grey = np.full((3, 64, 64), 0.3, dtype=np.float32)
    rgb = cam.render(grey, np.random.default_rng(0), noise=False, fixed_pattern=False)
    inner = rgb[:, 2:-2, 2:-2]
    check(np.ptp(inner.mean(axis=(1, 2))) < 1.0, f"grey is not neutral: {inner.mean(axis=(1, 2))}")
    expected = 255 * sensor.srgb_oetf(0.3)      # radiance 0.3 of white, white balanced, sRGB-encoded
    check(abs(inner.mean() - expected) < 2.0, f"grey level {inner.mean():.1f} vs {expected:.1f}")
    white = np.full((3, 2, 4), 255.0, dtype=np.float32)
    black = np.zeros((3, 2, 4), dtype=np.float32)
    for rgb_in, want in ((white, (235, 128, 128)), (black, (16, 128, 128))):
        y, cb, cr = sensor.unpack_yuyv(sensor.yuyv_from_rgb(rgb_in), 4, 2)
        check((y[0, 0], cb[0, 0], cr[0, 0]) == want, f"{(y[0, 0], cb[0, 0], cr[0, 0])} != {want}")
    rng = np.random.default_rng(1)
    y = rng.integers(0, 256, (6, 8), dtype=np.uint8)
    cb = rng.integers(0, 256, (6, 4), dtype=np.uint8)
    cr = rng.integers(0, 256, (6, 4), dtype=np.uint8)
    back = sensor.unpack_yuyv(sensor.pack_yuyv(y, cb, cr), 8, 6)
    check(all(np.array_equal(u, v) for u, v in zip(back, (y, cb, cr))), "YUYV pack/unpack")


# --- species ----------------------------------------------------------------------

def test_genuine_frames_all_differ_and_noise_depends_on_level():
    _, fourcc, metas, payloads, _ = build("genuine", seconds=1.0)
    check(fourcc == "YUYV" and len(payloads) == FPS and all(len(p) == 2 * W * H for p in payloads), "shape")
    check(all(a != b for a, b in zip(payloads, payloads[1:])), "two consecutive genuine frames are identical")
    noise = measure.temporal_noise(lumas(payloads))
    sigmas = [s for _, s, _ in noise]
    check(len(sigmas) >= 3 and sigmas[0] > 1.3 * sigmas[-1],
          f"gamma-encoded shot noise should fall from dark to bright: {noise}")
    check(all(0.5 < s < 8 for s in sigmas), f"temporal noise out of webcam range: {sigmas}")


def test_static_image_frames_are_bit_identical():
    _, _, metas, payloads, _ = build("static_image")
    check(len(set(payloads)) == 1 and len(payloads) == len(metas) == FPS, f"{len(set(payloads))} distinct frames")
    check(timing.describe(metas)["interval_sd_us"] > 100, "static_image must keep kernel-like timing")


def test_static_noise_is_fresh_gaussian_of_the_stated_sigma():
    _, _, _, payloads, info = build("static_noise")
    check(len(set(payloads)) == len(payloads), "static_noise frames repeat")
    noise = measure.temporal_noise(lumas(payloads))
    expected = np.sqrt(info["noise_sigma_dn"] ** 2 + 1 / 12)      # plus rounding to integers
    for level, sigma, _ in noise:
        check(abs(sigma / expected - 1) < 0.2, f"level {level:.0f}: sigma {sigma:.2f} vs {expected:.2f}")


def test_looped_clip_repeats_at_the_loop_length():
    spec, _, metas, payloads, info = build("looped_clip", seconds=3.0)
    loop = info["loop_frames"]
    check(FPS * 0.6 - 1 <= loop <= FPS * 1.2 + 1, f"loop of {loop} frames")
    check(all(payloads[i] == payloads[i + loop] for i in range(len(payloads) - loop)), "no repetition at the loop")
    check(len(set(payloads[:loop])) == loop, "frames repeat inside one loop")
    check(abs(info["attack_starts_s"] - loop / FPS) < 1e-9, "attack_starts_s")


def test_metronome_intervals_are_exact_and_genuine_timing_is_not():
    rng = np.random.default_rng(4)
    metas, _ = timing.metronome_timing(600, FPS, rng, jitter_us=10.0)
    ts = np.array([m["timestamp_ns"] for m in metas])
    intervals = np.diff(ts)
    nominal = 1e9 / FPS
    check(np.all(np.abs(intervals - nominal) <= 2 * 10_000 + 1000), f"interval range {intervals.min()}..{intervals.max()}")
    check(all(m["flags"] == 0x2001 for m in metas), "loopback flags should be MAPPED|MONOTONIC (EOF)")
    check(all(b["sequence"] - a["sequence"] == 1 for a, b in zip(metas, metas[1:])), "metronome sequence gaps")
    delay = np.array([m["host_monotonic_ns"] - m["timestamp_ns"] for m in metas])
    check(delay.max() < 100_000, f"metronome host delay up to {delay.max()} ns")
    exact, _ = timing.metronome_timing(300, FPS, rng, jitter_us=0.0)
    exact_intervals = np.diff([m["timestamp_ns"] for m in exact])
    check(set(exact_intervals.tolist()) <= {33_333_000, 33_334_000}, f"{set(exact_intervals.tolist())}")
    real, _ = timing.kernel_timing(600, FPS, rng, drop_p=0.0)
    real_intervals = np.diff([m["timestamp_ns"] for m in real])
    check(150_000 < real_intervals.std() < 1_000_000, f"kernel jitter sd {real_intervals.std():.0f} ns")
    check(all(m["flags"] == 0x12001 for m in real), "uvcvideo flags should be MAPPED|MONOTONIC|SOE")
    real_delay = np.array([m["host_monotonic_ns"] - m["timestamp_ns"] for m in real])
    check(real_delay.min() >= 1_000_000, f"kernel host delay from {real_delay.min()} ns")
    dropped, _ = timing.kernel_timing(3000, FPS, np.random.default_rng(8), drop_p=0.01)
    gaps = timing.describe(dropped)["drops"]
    check(5 <= gaps <= 60, f"{gaps} drops in 3000 frames at p=0.01")
    # The metronome species uses it.
    _, _, metas, _, _ = build("metronome")
    check(all(m["flags"] == 0x2001 for m in metas), "metronome species flags")


def test_codec_replays_remove_most_temporal_noise():
    _, _, _, genuine, _ = build("genuine", seconds=1.0)
    reference = np.median([s for _, s, _ in measure.temporal_noise(lumas(genuine))])
    for name in ("h264_replay", "vp9_replay"):
        _, _, metas, payloads, info = build(name, seconds=1.0)
        check(len(payloads) == len(metas), f"{name}: {len(payloads)} frames")
        sigma = np.median([s for _, s, _ in measure.temporal_noise(lumas(payloads))])
        check(sigma < 0.7 * reference, f"{name} (crf {info['crf']}): temporal noise {sigma:.2f} vs genuine {reference:.2f}")


def test_spliced_has_one_cut_and_continuous_metadata():
    _, _, metas, payloads, info = build("spliced", seconds=2.0)
    y = lumas(payloads).astype(np.float32)
    change = np.abs(np.diff(y, axis=0)).mean(axis=(1, 2))
    cut = info["cut_frame"]
    others = np.delete(change, cut - 1)
    check(change[cut - 1] > 4 * np.median(others) and change[cut - 1] == change.max(),
          f"cut at {cut}: change {change[cut - 1]:.2f} vs median {np.median(others):.2f}")
    seq = np.diff([m["sequence"] for m in metas])
    check(np.all(seq >= 1) and (seq > 1).sum() <= 1, "sequence not continuous across the splice")
    check(abs(np.diff([m["timestamp_ns"] for m in metas])[cut - 1] - 1e9 / FPS) < 3e6 * seq[cut - 1],
          "timestamps jump at the splice")


def test_screen_recapture_adds_high_frequency_chroma():
    def chroma_detail(payloads):
        cb = np.stack([sensor.unpack_yuyv(p, W, H)[1] for p in payloads]).astype(np.float32).mean(axis=0)
        return float((cb - measure.smooth(cb, 1)).std())
    _, _, _, genuine, _ = build("genuine", seconds=0.5)
    _, _, _, screen, info = build("screen_recapture", seconds=0.5)
    g, s = chroma_detail(genuine), chroma_detail(screen)
    check(s > 2 * g, f"screen chroma detail {s:.2f} vs genuine {g:.2f} (pitch {info['lcd_pitch_px']})")


def test_other_sensor_is_sensor_b_and_genuine_is_a():
    spec, _, _, _, _ = build("other_sensor", seconds=0.2)
    check(spec.sensor == "B", "other_sensor must use sensor B")
    spec, _, _, _, _ = build("genuine", seconds=0.2)
    check(spec.sensor == "A", "genuine must use sensor A")


def test_mjpeg_frames_are_webcam_jpegs_that_libv4lconvert_decodes():
    spec, fourcc, metas, payloads, _ = build("genuine_mjpeg", seconds=0.3)
    check(fourcc == "MJPG", fourcc)
    for p in payloads:
        check(p[:2] == b"\xff\xd8" and p[-2:] == b"\xff\xd9", "not a JPEG")
        sof = p.find(b"\xff\xc0")
        check(sof > 0, "no baseline SOF0")
        factors = [p[sof + 11 + 3 * k] for k in range(p[sof + 9])]
        check(factors == [0x21, 0x11, 0x11], f"sampling factors {factors}")
    exe = binary()
    check(exe is not None, "no captureguard build")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.cgcap")
        cgcap.write(path, sp.header(spec, fourcc), [(dict(m, bytesused=len(p)), p) for m, p in zip(metas, payloads)])
        out = os.path.join(tmp, "m.y4m")
        result = subprocess.run([exe, "export-y4m", path, "--out", out], capture_output=True, text=True)
        check(result.returncode == 0, f"export-y4m exited {result.returncode}: {result.stderr.strip()}")
        check(os.path.getsize(out) > len(payloads) * W * H, "export-y4m wrote too little")


def test_header_claims_the_c270_and_matches_the_format():
    spec, fourcc, _, _, _ = build("genuine", seconds=0.1)
    header = sp.header(spec, fourcc)
    fmt = header["format"]
    check(fmt == {"fourcc": "YUYV", "width": W, "height": H, "bytesperline": 2 * W, "sizeimage": 2 * W * H,
                  "field": 1, "colorspace": 8}, f"{fmt}")
    check(header["frame_interval"] == [1, FPS] and header["timing"] == "kernel" and header["mode"] == "raw"
          and header["source_kind"] == "v4l2", "header fields")
    device = header["device"]
    check(device["schema"] == "captureguard.fingerprint/1" and device["querycap"]["driver"] == "uvcvideo"
          and "046d:0825" in device["querycap"]["card"], "device is not the C270 fingerprint")
    check(device["current_format"] == fmt, "device current_format differs from the capture format")


def test_output_is_reproducible():
    digests = []
    for _ in range(2):
        sp._sensors.clear()
        _, _, metas, payloads, info = build("genuine", index=3, seconds=0.3)
        digest = hashlib.sha256(json.dumps(metas).encode() + b"".join(payloads)).hexdigest()
        digests.append(digest)
    check(digests[0] == digests[1], "same spec, different bytes")
    _, _, metas, other, _ = build("genuine", index=4, seconds=0.3)
    check(hashlib.sha256(json.dumps(metas).encode() + b"".join(other)).hexdigest() != digests[0],
          "another index gave the same bytes")


def test_generate_cli_writes_manifest_and_files():
    """The command line end to end on a tiny corpus (no photos fetched: the
    generator is pointed at a cache holding the synthetic photo)."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        real = os.path.join(cache, "real")
        os.makedirs(os.path.join(real, "kphotoalbum-demo"))
        png = os.path.join(tmp, "photo.ppm")
        with open(png, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (PHOTO.shape[1], PHOTO.shape[0]) + PHOTO.tobytes())
        for name in ("grace_hopper_512x512.jpg", "kphotoalbum-demo/jesper.jpg", "kphotoalbum-demo/jesper_2.jpg",
                     "kphotoalbum-demo/new_wave_2.jpg"):
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", png, "-f", "image2", "-c:v", "mjpeg",
                            os.path.join(real, name)], check=True)
        out = os.path.join(tmp, "corpus")
        env = dict(os.environ, CAPTUREGUARD_DATA=cache)
        result = subprocess.run([sys.executable, os.path.join(ROOT, "Tools", "corpus", "generate.py"), out,
                                 "--size", "96x64", "--seconds", "0.5", "--count", "1", "--jobs", "1",
                                 "--species", "genuine,static_image,other_sensor"],
                                capture_output=True, text=True, env=env)
        check(result.returncode == 0, f"generate.py exited {result.returncode}: {result.stderr[-500:]}")
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        paths = sorted(e["path"] for e in manifest["files"])
        check(paths == ["genuine/genuine-000.cgcap", "other_sensor/other_sensor-000.cgcap",
                        "sensors/A-enroll.cgcap", "sensors/B-enroll.cgcap", "static_image/static_image-000.cgcap"],
              f"{paths}")
        by_path = {e["path"]: e for e in manifest["files"]}
        check(by_path["genuine/genuine-000.cgcap"]["genuine"] is True, "genuine flag")
        check(by_path["other_sensor/other_sensor-000.cgcap"]["genuine"] is False
              and by_path["other_sensor/other_sensor-000.cgcap"]["sensor"] == "B", "other_sensor entry")
        for entry in manifest["files"]:
            _, frames, trailer, integrity = cgcap.read(os.path.join(out, entry["path"]))
            check(integrity == "complete" and trailer["frames"] == len(frames) == entry["frames"],
                  f"{entry['path']}: {integrity}")


if __name__ == "__main__":
    run_tests([(name, function) for name, function in list(globals().items())
               if name.startswith("test_") and name != "test_photo" and callable(function)], "corpus-generator")
