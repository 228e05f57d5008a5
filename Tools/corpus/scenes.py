"""Scenes in linear radiance for the corpus's sensor model (sensor.py).

A scene gives, for each frame time t, three float32 planes (R, G, B; H x W)
of linear radiance relative to a white reflector under the room light
(1.0 = white). Scenes:

  FaceScene    a real face photo (sRGB decoded to linear) with a feathered
               elliptical edge, in front of a synthetic wall, moving a few
               pixels (head sway) with a slight brightness drift.
  FlatScene    a bright, smooth, defocused wall: what PRNU enrollment wants.
  ScreenScene  a FaceScene shown on an LCD (RGB subpixel stripes, black
               matrix, display gamma and primaries, a faint reflection),
               imaged by the sensor: the moire of a screen recapture.
"""
import math
import os

import numpy as np

import media
from sensor import SRGB_TO_LINEAR_U8, ROOM_RESPONSE


def upsample_bilinear(small, height, width):
    """(h, w) -> (height, width), bilinear, align-corners style (smooth
    low-frequency fields from a few random values)."""
    h, w = small.shape
    ys = np.linspace(0, h - 1, height, dtype=np.float32)
    xs = np.linspace(0, w - 1, width, dtype=np.float32)
    y0 = np.minimum(np.floor(ys).astype(np.int64), h - 2) if h > 1 else np.zeros(height, np.int64)
    x0 = np.minimum(np.floor(xs).astype(np.int64), w - 2) if w > 1 else np.zeros(width, np.int64)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    a = small[y0][:, x0]
    b = small[y0][:, x0 + 1]
    c = small[y0 + 1][:, x0]
    d = small[y0 + 1][:, x0 + 1]
    return ((1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d)).astype(np.float32)


def blur121(plane, passes=1):
    """Separable [1 2 1]/4 blur (a little optical blur), edges replicated."""
    for _ in range(passes):
        p = np.pad(plane, ((1, 1), (1, 1)), mode="edge")
        plane = 0.25 * (p[:-2, 1:-1] + p[2:, 1:-1]) + 0.5 * p[1:-1, 1:-1]
        p = np.pad(plane, ((1, 1), (1, 1)), mode="edge")
        plane = 0.25 * (p[1:-1, :-2] + p[1:-1, 2:]) + 0.5 * p[1:-1, 1:-1]
    return plane.astype(np.float32)


class Shifter:
    """Sub-pixel translation of a stack of planes (C, H, W) by (dx, dy),
    bilinear, out(y, x) = in(y - dy, x - dx). The stack is padded once with a
    margin of zeros (or edge values), so each shift is four weighted slices."""

    def __init__(self, stack, margin, mode="constant"):
        self.margin = margin
        self.h, self.w = stack.shape[1:]
        self.padded = np.pad(stack, ((0, 0), (margin, margin), (margin, margin)), mode=mode)

    def shift(self, dx, dy):
        m = self.margin
        if abs(dx) >= m - 1 or abs(dy) >= m - 1:
            raise ValueError("shift larger than the margin")
        ix, iy = math.floor(dx), math.floor(dy)
        fx, fy = dx - ix, dy - iy
        y0, x0 = m - iy - 1, m - ix - 1      # source offsets for the (1-f) and f taps
        p = self.padded
        h, w = self.h, self.w
        a = p[:, y0 + 1:y0 + 1 + h, x0 + 1:x0 + 1 + w]   # in(y - iy, x - ix)
        b = p[:, y0 + 1:y0 + 1 + h, x0:x0 + w]           # in(y - iy, x - ix - 1)
        c = p[:, y0:y0 + h, x0 + 1:x0 + 1 + w]           # in(y - iy - 1, x - ix)
        d = p[:, y0:y0 + h, x0:x0 + w]                   # in(y - iy - 1, x - ix - 1)
        return (np.float32((1 - fx) * (1 - fy)) * a + np.float32(fx * (1 - fy)) * b +
                np.float32((1 - fx) * fy) * c + np.float32(fx * fy) * d)


class Motion:
    """Head sway and lighting drift: a sum of two slow sinusoids per axis
    (people in front of a kiosk sway at ~0.2-1 Hz by a few pixels at 720p)
    and a brightness drift of ~1-2 % (auto-exposure hunting, mains-free LED
    light)."""

    def __init__(self, rng, width, amplitude_px=(1.5, 4.0), brightness=(0.005, 0.02)):
        scale = width / 1280.0
        self.ax = rng.uniform(*amplitude_px) * scale
        self.ay = rng.uniform(0.3, 0.7) * self.ax
        self.fx = rng.uniform(0.2, 0.8, 2)
        self.fy = rng.uniform(0.2, 0.8, 2)
        self.px = rng.uniform(0, 2 * math.pi, 2)
        self.py = rng.uniform(0, 2 * math.pi, 2)
        self.ab = rng.uniform(*brightness)
        self.fb = rng.uniform(0.1, 0.5)
        self.pb = rng.uniform(0, 2 * math.pi)

    def offset(self, t):
        dx = self.ax * (math.sin(2 * math.pi * self.fx[0] * t + self.px[0]) +
                        0.5 * math.sin(2 * math.pi * self.fx[1] * t + self.px[1]))
        dy = self.ay * (math.sin(2 * math.pi * self.fy[0] * t + self.py[0]) +
                        0.5 * math.sin(2 * math.pi * self.fy[1] * t + self.py[1]))
        return dx, dy

    def brightness(self, t):
        return 1.0 + self.ab * math.sin(2 * math.pi * self.fb * t + self.pb)

    def max_offset(self):
        return 1.5 * max(self.ax, self.ay)


def wall(rng, width, height, brightness=1.0, features=True):
    """A synthetic indoor wall: a tinted base reflectance, light falling off
    across the frame from one side, vignetting, low-frequency mottling and
    (optionally) a few darker rectangles (a door frame, a picture, a shelf).
    Returns (3, H, W) linear radiance."""
    base = rng.uniform(0.25, 0.55) * brightness
    tint = np.array([rng.uniform(0.9, 1.1), 1.0, rng.uniform(0.85, 1.05)], dtype=np.float32)
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    side = rng.uniform(-0.35, 0.35)
    light = (1.0 + side * xs + 0.1 * rng.uniform(-1, 1) * ys)
    light = light * (1.0 - 0.25 * (xs ** 2 + ys ** 2) / 2)          # vignetting-like fall-off
    mottle = upsample_bilinear(1.0 + 0.06 * rng.standard_normal((6, 10)).astype(np.float32), height, width)
    reflectance = base * mottle * light
    planes = np.stack([reflectance * tint[c] for c in range(3)]).astype(np.float32)
    if features:
        for _ in range(rng.integers(1, 4)):
            x0 = int(rng.uniform(0, 0.9) * width)
            y0 = int(rng.uniform(0, 0.9) * height)
            x1 = min(width, x0 + int(rng.uniform(0.05, 0.4) * width))
            y1 = min(height, y0 + int(rng.uniform(0.05, 0.5) * height))
            colour = rng.uniform(0.3, 1.4, 3).astype(np.float32)
            planes[:, y0:y1, x0:x1] *= colour[:, None, None]
    return np.stack([blur121(p) for p in planes])


class FaceScene:
    """A real face photo in front of a wall, swaying. photo: path of an image
    (decoded and scaled by ffmpeg), or a uint8 (h, w, 3) sRGB array (scaled
    bilinearly; the tests use this to run without the fetched photos);
    height_fraction: the photo's height over the frame height."""

    def __init__(self, photo, width, height, rng, height_fraction=None, lighting=1.0):
        self.width, self.height = width, height
        is_array = isinstance(photo, np.ndarray)
        ph, pw = photo.shape[:2] if is_array else media.probe_size(photo)[::-1]
        fraction = height_fraction if height_fraction is not None else rng.uniform(0.75, 0.95)
        fh = max(16, int(round(fraction * height / 2)) * 2)
        fw = max(16, int(round(fh * pw / ph / 2)) * 2)
        fw = min(fw, width - 8)
        if is_array:
            code = np.stack([np.clip(np.rint(upsample_bilinear(photo[:, :, c].astype(np.float32), fh, fw)), 0, 255)
                             for c in range(3)], axis=2).astype(np.uint8)
        else:
            code = media.decode_rgb(photo, fw, fh)
        face = SRGB_TO_LINEAR_U8[code].transpose(2, 0, 1) * np.float32(lighting)   # (3, fh, fw)
        # A feathered ellipse: the person cut out of the photo's own room,
        # blending into the wall.
        yy = (np.arange(fh, dtype=np.float32)[:, None] - (fh - 1) / 2) / (fh / 2)
        xx = (np.arange(fw, dtype=np.float32)[None, :] - (fw - 1) / 2) / (fw / 2)
        radius = np.sqrt((xx / 0.95) ** 2 + (yy / 1.0) ** 2)
        alpha = np.clip((1.0 - radius) / 0.15, 0.0, 1.0).astype(np.float32)
        self.motion = Motion(rng, width)
        margin = int(math.ceil(self.motion.max_offset())) + 3
        # Place the photo: centred with a random offset that keeps it inside.
        cx = width / 2 + rng.uniform(-0.08, 0.08) * width
        cy = height / 2 + rng.uniform(-0.05, 0.05) * height
        x0 = int(np.clip(round(cx - fw / 2), 0, width - fw))
        y0 = int(np.clip(round(cy - fh / 2), 0, height - fh))
        # The moving layer covers the photo plus the largest sway (the rest
        # of the frame is wall only), so each frame shifts just that window.
        self.window = (max(0, y0 - margin), min(height, y0 + fh + margin),
                       max(0, x0 - margin), min(width, x0 + fw + margin))
        wy0, wy1, wx0, wx1 = self.window
        layer = np.zeros((4, wy1 - wy0, wx1 - wx0), dtype=np.float32)
        layer[:3, y0 - wy0:y0 - wy0 + fh, x0 - wx0:x0 - wx0 + fw] = face * alpha
        layer[3, y0 - wy0:y0 - wy0 + fh, x0 - wx0:x0 - wx0 + fw] = alpha
        self.layer = Shifter(layer, margin)
        self.background = wall(rng, width, height, brightness=lighting)
        self.placement = {"photo": "array" if is_array else os.path.basename(photo), "x": x0, "y": y0, "w": fw, "h": fh}

    def planes(self, t):
        dx, dy = self.motion.offset(t)
        moved = self.layer.shift(dx, dy)
        wy0, wy1, wx0, wx1 = self.window
        out = self.background.copy()
        region = out[:, wy0:wy1, wx0:wx1]
        region *= 1.0 - moved[3]
        region += moved[:3]
        out *= np.float32(self.motion.brightness(t))
        return out


class FlatScene:
    """A bright, smooth, defocused wall (PRNU enrollment): no edges, mean
    radiance ~0.55-0.7 of white so no pixel clips, a slow brightness drift."""

    def __init__(self, width, height, rng):
        self.width, self.height = width, height
        planes = wall(rng, width, height, features=False)
        planes *= np.float32(rng.uniform(0.55, 0.7) / float(planes[1].mean(dtype=np.float64)))
        self.base = planes
        self.motion = Motion(rng, width, amplitude_px=(0.0, 0.0), brightness=(0.005, 0.01))

    def planes(self, t):
        return self.base * np.float32(self.motion.brightness(t))


# --- a screen in front of the camera ------------------------------------------

def _stripe_fraction(u, period, start, width):
    """Fraction of [u - 0.5, u + 0.5] (sensor-pixel units) covered by a
    periodic stripe: in pattern units z = u / period, the stripe occupies
    frac(z) in [start, start + width). Exact area integration, so
    sampling the stripes at the sensor's pixel pitch aliases as it would."""
    def cumulative(z):
        whole = np.floor(z)
        return whole * width + np.clip(z - whole - start, 0.0, width)
    return (cumulative((u + 0.5) / period) - cumulative((u - 0.5) / period)) * period


# Camera raw response to an LCD's R, G, B primaries (columns) relative to the
# room-light white (rows: camera R, G, B), with CFA crosstalk; a 6500 K
# display white gives relatively more blue (0.75 vs 0.5) than the ~4000 K
# room light the camera is white-balanced for. Used by ScreenScene and by
# pad.DisplayScene.
DISPLAY_RESPONSE = np.array([[0.55, 0.06, 0.01],
                             [0.10, 0.85, 0.10],
                             [0.01, 0.08, 0.70]], dtype=np.float32)


class ScreenScene:
    """An attacker's LCD showing a face video, filling the camera's view.

    Display model (constants from typical phone/laptop LCD specifications):
    RGB vertical subpixel stripes, each subpixel ~28 % of the pixel width and
    ~85 % of its height (black matrix in between); display gamma 2.2 with
    sRGB-like primaries; white point 6500 K, so under a camera white-balanced
    for ~4000 K room light the screen looks blue; contrast ~1000:1 (black at
    0.1 %); a faint (3-6 %) reflection of the room in the glass.

    The pixel pitch of the screen as seen by the sensor (pitch sensor pixels
    per LCD pixel) is chosen away from 1.0 and 0.5, slightly rotated, so the
    stripes alias into moire. The screen stands still (on a stand); the face
    in the video it shows sways."""

    def __init__(self, content, rng, pitch=None, angle_deg=None):
        self.content = content
        h, w = content.height, content.width
        self.width, self.height = w, h
        if pitch is None:
            pitch = rng.uniform(0.6, 0.9) if rng.random() < 0.5 else rng.uniform(1.15, 1.6)
        if angle_deg is None:
            angle_deg = rng.uniform(0.5, 4.0) * (1 if rng.random() < 0.5 else -1)
        self.pitch, self.angle_deg = float(pitch), float(angle_deg)
        theta = math.radians(angle_deg)
        ys = np.arange(h, dtype=np.float64)[:, None] + 0.5
        xs = np.arange(w, dtype=np.float64)[None, :] + 0.5
        u = xs * math.cos(theta) + ys * math.sin(theta)
        v = -xs * math.sin(theta) + ys * math.cos(theta)
        aperture = 0.28          # subpixel width over pixel width
        row_open = 0.85          # open fraction of each pixel row
        rows = _stripe_fraction(v, pitch, 0.0, row_open) / row_open
        masks = []
        for s in range(3):
            start = s / 3.0 + (1 / 3.0 - aperture) / 2
            masks.append((_stripe_fraction(u, pitch, start, aperture) / aperture * rows).astype(np.float32))
        self.masks = np.stack(masks)                          # mean ~1 each
        # Camera raw response to the display's primaries relative to the
        # room-light white (the sensor multiplies by ROOM_RESPONSE).
        self.mix = (DISPLAY_RESPONSE / ROOM_RESPONSE[:, None]).astype(np.float32)
        self.gain = np.float32(rng.uniform(0.8, 1.0))         # screen brightness vs white wall
        self.black = np.float32(0.001)                          # 1000:1 contrast
        reflection = wall(rng, w, h, features=False)
        self.reflection = (reflection * np.float32(rng.uniform(0.03, 0.06) / float(reflection[1].mean(dtype=np.float64)))).astype(np.float32)

    def planes(self, t):
        shown = self.content.planes(t)                      # linear light the display emits
        # The display re-encodes the video with its own gamma 2.2 instead of
        # the sRGB curve; close enough to treat the emitted light as linear.
        emitted = (np.clip(shown, 0.0, 1.0) * (1 - self.black) + self.black) * self.gain
        emitted = emitted * self.masks                       # subpixel stripes
        out = np.tensordot(self.mix, emitted, axes=1)         # camera channel from each primary
        out += self.reflection
        return out.astype(np.float32)

    def describe(self):
        return {"lcd_pitch_px": round(self.pitch, 4), "lcd_angle_deg": round(self.angle_deg, 3)}
