"""The corpus's species: genuine captures from the simulated sensor, and the
attacks the frame-forensics analysers must catch. Each species function
returns (metas, payloads, info): per-frame kernel metadata, an iterable of
payloads (YUYV or JPEG bytes) and manifest details.

Genuine means "sensor A, live": the enrolled camera looking at a live,
moving scene. Every attack except `metronome` keeps kernel-like timing, so
it exercises the pixel analysers rather than the timing one.

PAD_SPECIES (issue 7) are face presentation attacks and their bona fide
counterpart (pad.py): all live sensor-A captures, so genuine to frame
forensics; print_attack and screen_attack are simulated recaptures."""
import copy
import json
import os
import zlib

import numpy as np

import media
import pad
import scenes
import timing
from sensor import Sensor, rgb_to_ycbcr422, pack_yuyv, yuyv_from_rgb, rgb8

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLAIMED_DEVICE = os.path.join(ROOT, "Captures", "fingerprints", "dump-03-logitech-c270.json")
RECORDER = "Tools/corpus/generate.py (simulated sensor model, not a camera recording)"

# Species that are live captures; with sensor A (the enrolled camera) they
# are bona fide. other_sensor is live too, but from sensor B: an attack here.
GENUINE = ("genuine", "genuine_mjpeg", "enroll")
DESCRIPTIONS = {
    "genuine": "sensor A (the enrolled camera), live face scene, fresh noise, YUYV",
    "genuine_mjpeg": "as genuine, each frame a webcam-style JPEG (4:2:2 2x1, quality 85-95), MJPG",
    "static_image": "one rendered sensor-A frame repeated bit-identically",
    "static_noise": "one clean (never sensed) image plus fresh i.i.d. Gaussian noise of 1-3 DN per frame",
    "looped_clip": "a 0.6-1.2 s live sensor-A clip looped to fill the session",
    "h264_replay": "a live sensor-A clip through libx264 (CRF 20-28, 4:2:0) and back to YUYV",
    "vp9_replay": "a live sensor-A clip through libvpx-vp9 (CRF 28-40, 4:2:0) and back to YUYV",
    "metronome": "live sensor-A pixels, virtual-camera timing: intervals exact to <=10 us, EOF stamps, ~50 us host delay",
    "screen_recapture": "sensor A filming an LCD (RGB stripes, pitch 0.6-0.9 or 1.15-1.6 px, tilted) showing the face",
    "spliced": "two live sensor-A sessions (other pose, light, room) joined mid-capture, metadata continuous",
    "other_sensor": "a live capture from sensor B (same model, other PRNU/DSNU): only PRNU can tell",
    "genuine_face": "face PAD bona fide: sensor A live, the person (photo cut-out) at 25/40/60 % face height, "
                    "moving against the room",
    "print_attack": "face PAD attack, simulated: the photo printed on A4/A3 (CMYK halftone 85-150 lpi, paper, "
                    "gamut), held up and moving rigidly; sensor A live, genuine to frame forensics",
    "screen_attack": "face PAD attack, simulated: the photo on a phone/tablet/laptop/monitor LCD (RGB stripes, gamma, "
                     "glare, bezel), held up; sensor A live, genuine to frame forensics",
}
SPECIES = ["genuine", "genuine_mjpeg", "static_image", "static_noise", "looped_clip",
           "h264_replay", "vp9_replay", "metronome", "screen_recapture", "spliced", "other_sensor"]
# Face presentation-attack species (issue 7): live sensor-A captures, so
# genuine to the frame-forensics analysers; only face PAD can tell the
# print and screen attacks from genuine_face. Not in SPECIES (the frame
# forensics corpus and its report); ask for them with --species (or "pad").
PAD_SPECIES = ["genuine_face", "print_attack", "screen_attack"]


class Spec:
    """What one capture is: species, index, size, rate, length and seed."""

    def __init__(self, species, index, width, height, fps, seconds, seed, sensor="A", photos=None,
                 mjpeg=False, params=None):
        self.species, self.index = species, index
        self.width, self.height, self.fps, self.seconds = width, height, fps, seconds
        self.seed = seed
        self.sensor = sensor
        self.photos = photos or []      # paths or arrays; photos.Photo objects for PAD_SPECIES
        self.mjpeg = mjpeg              # PAD species: MJPEG instead of YUYV
        self.params = params or {}      # PAD species: fixed choices (tests)
        self.frames = int(round(seconds * fps))

    def seed_sequence(self):
        return [self.seed, zlib.crc32(self.species.encode()), self.index]

    def rng(self):
        return np.random.default_rng(self.seed_sequence())


# One Sensor object (PRNU and DSNU maps) per id and size per process.
_sensors = {}


def sensor_for(sensor_id, width, height, gain):
    key = (sensor_id, width, height)
    if key not in _sensors:
        _sensors[key] = Sensor(sensor_id, width, height)
    sensor = _sensors[key]
    sensor.set_gain(gain)
    return sensor


def claimed_device(fmt):
    """The fingerprint of the real UVC webcam the capture claims to come
    from (a published Logitech C270 dump), with its current format set to the
    negotiated one, as `record` takes it after negotiation."""
    with open(CLAIMED_DEVICE) as f:
        device = json.load(f)
    device["current_format"] = copy.deepcopy(fmt)
    device["source"] = device.get("source", "") + "; current_format set to the simulated capture's format by Tools/corpus/generate.py"
    return device


def header(spec, fourcc):
    w, h = spec.width, spec.height
    fmt = {"fourcc": fourcc, "width": w, "height": h,
           "bytesperline": 2 * w if fourcc == "YUYV" else 0,
           # uvcvideo reports the camera's dwMaxVideoFrameBufferSize for MJPEG;
           # 2*w*h is what many cameras put there.
           "sizeimage": 2 * w * h, "field": timing.V4L2_FIELD_NONE,
           "colorspace": 8}    # V4L2_COLORSPACE_SRGB, what uvcvideo reports
    seconds = spec.seed_sequence()[1] % 86400 + spec.index * 17
    created = "2026-01-01T%02d:%02d:%02d.000Z" % (seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    return {"source_kind": "v4l2", "source_path": "/dev/video0", "mode": "raw", "timing": "kernel",
            "format": fmt, "frame_interval": [1, spec.fps], "device": claimed_device(fmt),
            "recorder": RECORDER, "created_at": created}


def pick_photo(spec, rng):
    if not spec.photos:
        raise RuntimeError("no face photos: run Tools/corpus/fetch-real")
    return spec.photos[int(rng.integers(len(spec.photos)))]


def live(sensor, scene, times, rng):
    """Gamma-encoded RGB frames of a scene at the given times, with fresh
    noise for each frame."""
    for t in times:
        yield sensor.render(scene.planes(t), rng)


def as_yuyv(rgb_frames):
    for rgb in rgb_frames:
        yield yuyv_from_rgb(rgb)


def as_jpeg(rgb_frames, quality):
    for rgb in rgb_frames:
        yield media.jpeg_encode(rgb8(rgb), quality)


def gain_for(rng):
    # Analog gain chosen by auto-exposure: 1.5-4x (kiosk rooms from bright
    # offices to dim halls).
    return float(rng.uniform(1.5, 4.0))


def genuine(spec, mjpeg=False):
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for(spec.sensor, spec.width, spec.height, gain)
    photo = pick_photo(spec, rng)
    scene = scenes.FaceScene(photo, spec.width, spec.height, rng)
    metas, times = timing.kernel_timing(spec.frames, spec.fps, rng)
    info = {"analog_gain": round(gain, 3), "scene": scene.placement, "attack_starts_s": None}
    frames = live(sensor, scene, times, rng)
    if mjpeg:
        quality = int(rng.integers(85, 96))
        info["jpeg_quality"] = quality
        return metas, as_jpeg(frames, quality), info
    return metas, as_yuyv(frames), info


def static_image(spec):
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    scene = scenes.FaceScene(pick_photo(spec, rng), spec.width, spec.height, rng)
    payload = yuyv_from_rgb(sensor.render(scene.planes(0.0), rng))
    metas, _ = timing.kernel_timing(spec.frames, spec.fps, rng)
    return metas, (payload for _ in metas), {"analog_gain": round(gain, 3), "scene": scene.placement,
                                            "attack_starts_s": 0.0}


def static_noise(spec):
    """A clean picture (never through a sensor: no PRNU, no shot noise) plus
    fresh i.i.d. Gaussian noise in YUYV code values on every frame."""
    rng = spec.rng()
    sensor = sensor_for("A", spec.width, spec.height, gain_for(rng))
    scene = scenes.FaceScene(pick_photo(spec, rng), spec.width, spec.height, rng)
    clean = rgb_to_ycbcr422(sensor.render(scene.planes(0.0), rng, noise=False, fixed_pattern=False))
    sigma = float(rng.uniform(1.0, 3.0))
    metas, _ = timing.kernel_timing(spec.frames, spec.fps, rng)

    def frames():
        for _ in metas:
            noisy = [plane + rng.standard_normal(plane.shape, dtype=np.float32) * np.float32(sigma) for plane in clean]
            yield pack_yuyv(*noisy)
    return metas, frames(), {"noise_sigma_dn": round(sigma, 3), "scene": scene.placement, "attack_starts_s": 0.0}


def looped_clip(spec):
    """A short genuine recording of sensor A (0.6-1.2 s) played in a loop,
    restarting cleanly at the loop point."""
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    scene = scenes.FaceScene(pick_photo(spec, rng), spec.width, spec.height, rng)
    loop = max(2, int(round(rng.uniform(0.6, 1.2) * spec.fps)))
    clip = list(as_yuyv(live(sensor, scene, [k / spec.fps for k in range(loop)], rng)))
    metas, _ = timing.kernel_timing(spec.frames, spec.fps, rng)
    return metas, (clip[i % loop] for i in range(len(metas))), {
        "analog_gain": round(gain, 3), "loop_frames": loop, "scene": scene.placement,
        "attack_starts_s": loop / spec.fps}


def codec_replay(spec, codec):
    """A genuine sensor-A clip stored with a video codec (as an attacker's
    file would be), decoded and re-packed to YUYV for a virtual camera."""
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    scene = scenes.FaceScene(pick_photo(spec, rng), spec.width, spec.height, rng)
    metas, times = timing.kernel_timing(spec.frames, spec.fps, rng)
    if codec == "h264":
        quality = int(rng.integers(20, 29))                # libx264 CRF 20-28 (23 is its default)
        preset = str(rng.choice(["veryfast", "fast", "medium"]))
    else:
        quality = int(rng.integers(28, 41))                # libvpx-vp9 CRF 28-40 (constant quality)
        preset = 8
    source = list(as_yuyv(live(sensor, scene, times, rng)))
    frames, size = media.transcode_yuyv(source, spec.width, spec.height, spec.fps, codec, quality, preset)
    if len(frames) != len(source):
        raise RuntimeError(f"{codec}: {len(frames)} frames decoded from {len(source)}")
    return metas, frames, {"analog_gain": round(gain, 3), "codec": codec, "crf": quality, "preset": preset,
                           "encoded_bytes": size, "scene": scene.placement, "attack_starts_s": 0.0}


def metronome(spec):
    """Genuine-looking pixels (sensor A, fresh noise) delivered by a virtual
    camera with perfectly regular timing."""
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    scene = scenes.FaceScene(pick_photo(spec, rng), spec.width, spec.height, rng)
    metas, times = timing.metronome_timing(spec.frames, spec.fps, rng)
    return metas, as_yuyv(live(sensor, scene, times, rng)), {
        "analog_gain": round(gain, 3), "scene": scene.placement, "timing": timing.describe(metas),
        "attack_starts_s": 0.0}


def screen_recapture(spec):
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    content = scenes.FaceScene(pick_photo(spec, rng), spec.width, spec.height, rng)
    screen = scenes.ScreenScene(content, rng)
    metas, times = timing.kernel_timing(spec.frames, spec.fps, rng)
    info = {"analog_gain": round(gain, 3), "scene": content.placement, "attack_starts_s": 0.0}
    info.update(screen.describe())
    return metas, as_yuyv(live(sensor, screen, times, rng)), info


def spliced(spec):
    """Two live sensor-A sessions joined at the middle: a different pose
    (placement), lighting and room; sequence and timestamps continue across
    the cut."""
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    photo1 = pick_photo(spec, rng)
    first = scenes.FaceScene(photo1, spec.width, spec.height, rng)
    photo2 = pick_photo(spec, rng)
    lighting = float(rng.choice([rng.uniform(0.65, 0.85), rng.uniform(1.15, 1.35)]))
    second = scenes.FaceScene(photo2, spec.width, spec.height, rng, lighting=lighting)
    metas, times = timing.kernel_timing(spec.frames, spec.fps, rng)
    cut = len(metas) // 2
    later = rng.uniform(5, 60)        # the second session was recorded later

    def frames():
        for i, t in enumerate(times):
            scene, when = (first, t) if i < cut else (second, t + later)
            yield yuyv_from_rgb(sensor.render(scene.planes(when), rng))
    return metas, frames(), {"analog_gain": round(gain, 3), "scene": first.placement, "scene2": second.placement,
                             "lighting2": round(lighting, 3), "cut_frame": cut,
                             "attack_starts_s": round(times[cut] - times[0], 4)}


def pad_capture(spec):
    """genuine_face, print_attack and screen_attack: sensor A, live, uvcvideo
    timing, fresh noise; the photo and distance come from pad.pairing (the
    same for the three species at the same index), the rest from the
    capture's own seed."""
    rng = spec.rng()
    gain = gain_for(rng)
    sensor = sensor_for("A", spec.width, spec.height, gain)
    if not spec.photos or not all(hasattr(p, "face_box") for p in spec.photos):
        raise RuntimeError(f"{spec.species} needs face photos with face boxes (photos.Photo)")
    photo_i, distance_i = pad.pairing(spec.seed, spec.index, len(spec.photos))
    photo_i = spec.params.get("photo_index", photo_i)
    distance_i = spec.params.get("distance_index", distance_i)
    photo = spec.photos[photo_i]
    label, fraction = pad.DISTANCES[distance_i]
    if spec.species == "genuine_face":
        scene = pad.LiveFaceScene(spec.width, spec.height, rng, photo, fraction, label, spec.params)
    elif spec.species == "print_attack":
        scene = pad.PrintScene(spec.width, spec.height, rng, photo, fraction, label, spec.params)
    else:
        scene = pad.DisplayScene(spec.width, spec.height, rng, photo, fraction, label, spec.params)
    metas, times = timing.kernel_timing(spec.frames, spec.fps, rng)
    info = {"analog_gain": round(gain, 3), "photo": photo.name, "pad": scene.describe(),
            "attack_starts_s": None if spec.species == "genuine_face" else 0.0}
    frames = live(sensor, scene, times, rng)
    if spec.mjpeg:
        quality = int(rng.integers(85, 96))
        info["jpeg_quality"] = quality
        return "MJPG", metas, as_jpeg(frames, quality), info
    return "YUYV", metas, as_yuyv(frames), info


def other_sensor(spec):
    spec.sensor = "B"
    return genuine(spec)


def enroll(spec):
    """A bright, smooth, defocused scene for PRNU enrollment, at low gain."""
    rng = spec.rng()
    gain = 1.5
    sensor = sensor_for(spec.sensor, spec.width, spec.height, gain)
    scene = scenes.FlatScene(spec.width, spec.height, rng)
    metas, times = timing.kernel_timing(spec.frames, spec.fps, rng, drop_p=0.0)
    return metas, as_yuyv(live(sensor, scene, times, rng)), {"analog_gain": gain, "attack_starts_s": None}


def build(spec):
    """(fourcc, metas, payloads, info) for a Spec."""
    s = spec.species
    if s == "genuine":
        return ("YUYV",) + genuine(spec)
    if s == "genuine_mjpeg":
        return ("MJPG",) + genuine(spec, mjpeg=True)
    if s == "h264_replay":
        return ("YUYV",) + codec_replay(spec, "h264")
    if s == "vp9_replay":
        return ("YUYV",) + codec_replay(spec, "vp9")
    if s in PAD_SPECIES:
        return pad_capture(spec)
    table = {"static_image": static_image, "static_noise": static_noise, "looped_clip": looped_clip,
             "metronome": metronome, "screen_recapture": screen_recapture, "spliced": spliced,
             "other_sensor": other_sensor, "enroll": enroll}
    if s not in table:
        raise ValueError(f"unknown species {s!r}")
    return ("YUYV",) + table[s](spec)
