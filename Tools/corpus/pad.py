"""Simulated face presentation attacks for the corpus (issue 7, face PAD):
a face photo printed on paper or shown on a screen, held in front of the
enrolled camera (sensor A), and the matching bona fide scene. These are
SIMULATED recaptures, rendered from real face photos by a simple physical
model; they are not camera recordings of real prints or screens.

Every scene is a textured plane in front of the room wall (scenes.wall),
seen through a pinhole camera with the optics below, and then through the
sensor model (sensor.py) like every other species:

  LiveFaceScene  the person: a feathered cut-out of the photo (head, hair,
                 neck) at the distance where a real face of that size would
                 be, moving (head sway, lean, in-plane roll) in front of the
                 same photo, still, as their room. A flat cut-out cannot turn
                 its head, blink or show parallax inside the face: those
                 real 3D cues are absent from all three scenes alike.
  PrintScene     the photo printed on an A4 or A3 sheet (colour laser: CMYK
                 clustered-dot halftone, gamut and tone compression, paper
                 white and texture, flat matte reflectance), held by hand:
                 the sheet moves rigidly, tilted (keystone) and rolled.
  DisplayScene   the photo on a phone, tablet, laptop or monitor LCD (RGB stripe
                 subpixels behind a black matrix, display gamma and white
                 point, backlight black level, glass reflection and glare,
                 bezel, optional PWM banding), held by hand, moving rigidly.

Optics, shared by the three (so blur is not a class cue): pixel-area
integration (100 % fill factor box), a diffraction-limited lens and a
Gaussian aberration/defocus blur. Periodic structure (halftone dots,
subpixel stripes) is rendered analytically: each Fourier term of the
pattern is evaluated at the pixel centres with its phase from the exact
plane-to-sensor homography and its amplitude multiplied by the optical
transfer function at its frequency in sensor pixels, so terms above the
Nyquist frequency alias into moire exactly as point sampling of the
pixel-integrated, lens-blurred image would (the amplitude is taken at the
face centre once per frame: keystone varies it by ~10 % across the plane).

Left out: defocus as a function of distance (distances are kept >= 0.25 m,
inside a fixed-focus webcam's usable range), rolling-shutter skew, the
attacker's hands and body, paper bending (warped-photo attacks), cut-out
eye holes, FM (stochastic) inkjet screening (no periodic peak), OLED/PenTile
subpixel layouts, 3D masks, video replays (the screen shows a still).
"""
import math
import zlib

import numpy as np

import media
from scenes import DISPLAY_RESPONSE, upsample_bilinear, wall
from sensor import ROOM_RESPONSE, SRGB_TO_LINEAR_U8

# --- camera and optics ---------------------------------------------------------
# Diagonal field of view of the claimed camera: Logitech's C270 product
# specification gives 55 deg (a third-party measurement says ~60 deg); the
# same field of view at every frame size (a lens matched to the sensor).
DFOV_DEG = 55.0
# Diffraction cut-off in cycles per pixel: pixel pitch / (wavelength x
# f-number), with 2.8 um pixels (1280 px across a 1/4"-type, 3.6 mm wide
# sensor), 550 nm and f/2.4 (webcam lenses are f/2.0-2.8). Kept in pixel
# units at every frame size, like the field of view.
PIXEL_UM, WAVELENGTH_UM, F_NUMBER = 2.8, 0.55, 2.4
DIFFRACTION_CUTOFF = PIXEL_UM / (WAVELENGTH_UM * F_NUMBER)        # ~2.12 cycles/pixel
# Residual aberration and slight defocus: a Gaussian blur of sigma 0.25-0.45
# px per capture. With diffraction and the pixel box this puts the system
# MTF50 at ~0.30-0.38 cycles/pixel before demosaicking (a judgement for
# inexpensive fixed-focus webcams, not a measurement); the same range for
# every species.
ABERRATION_SIGMA_PX = (0.25, 0.45)
# The Airy core as a Gaussian: sigma ~ 0.42 lambda N (in pixels).
DIFFRACTION_SIGMA_PX = 0.42 * WAVELENGTH_UM * F_NUMBER / PIXEL_UM
# Veiling glare (stray light spread over the whole image): 1-3 % of the mean
# scene radiance, the order of the ISO 9358 veiling glare index of simple
# lenses. It lifts the darkest tones of every scene alike; without it a live
# face's deep shadows would separate from a print's limited black too easily.
VEILING_GLARE = (0.01, 0.03)

# --- geometry ---------------------------------------------------------------------
# Face sizes: the OpenCV frontal-face box height over the frame height.
DISTANCES = (("far", 0.25), ("mid", 0.40), ("near", 0.60))
# A live face's Haar box: about the bizygomatic breadth plus ~10 %; adult
# bizygomatic breadth is ~13-14.5 cm (Farkas, Anthropometry of the Head and
# Face, 1994), so 14-16.5 cm.
LIVE_FACE_M = (0.14, 0.165)
# Nothing closer than this to the camera (a fixed-focus webcam is not sharp
# much closer; defocus is not modelled).
MIN_DISTANCE_M = 0.25
# The room wall behind everything: ~2-3 m (only its look matters: scenes.wall).
# In-plane roll (head tilt, or a sheet/device held rotated): the same range
# for every species, up to 15 deg. Keystone (sheet or device tilted about a
# horizontal or vertical axis): attacks only, up to 20 deg.
ROLL_DEG = 15.0
TILT_DEG = 20.0

# --- print ---------------------------------------------------------------------
# The sheet (ISO 216): A4 portrait, A4 landscape or A3 landscape (MSU-MFSD's
# print attacks used A3), with probabilities 0.6, 0.2, 0.2; office printers
# leave ~5 mm unprinted at the edges. The face centre sits on the sheet's
# vertical axis, 38 % (portrait) or 45 % (landscape) down the printable area.
SHEETS = (("A4 portrait", (0.210, 0.297), 0.38, 0.6), ("A4 landscape", (0.297, 0.210), 0.45, 0.2),
          ("A3 landscape", (0.420, 0.297), 0.45, 0.2))
PRINT_MARGIN_M = 0.005
# The attacker crops and enlarges the face to about life size: face box on
# paper 10.5-18 cm (at 60 % of the frame and 1280x720 that is 0.31-0.53 m).
PRINT_FACE_M = (0.105, 0.18)
# Halftone screen rulings of colour laser printers: 600-dpi office devices
# default to 85 or 106 lpi (e.g. Xerox DocuSP: "optimum halftone
# frequencies are 53 lpi, 85 lpi and 106 lpi" at 600 dpi; Apple LaserWriter
# PPDs likewise), photo modes and offset print use ~150 lpi.
LPI_CHOICES = (85.0, 106.0, 150.0)
# Conventional AM screen angles per ink: C 15, M 75, Y 0, K 45 deg.
INK_ANGLES_DEG = (15.0, 75.0, 0.0, 45.0)
# Broad-band transmittance of a solid layer of each ink in the camera's R,
# G, B (under the room light): rounded, illustrative values for process
# CMYK toners with their usual impurities (cyan absorbs some green, magenta
# some blue); K transmits ~4 % (density ~1.4).
INK_TRANSMITTANCE = np.array([[0.10, 0.60, 0.85],     # C
                              [0.85, 0.10, 0.45],     # M
                              [0.95, 0.85, 0.08],     # Y
                              [0.04, 0.04, 0.04]],    # K
                             dtype=np.float32)
# Office paper: ISO brightness ~90-100 %, i.e. ~0.82-0.90 reflectance
# (below the 1.0 of the perfect white the sensor's exposure is set for).
PAPER_WHITE = (0.82, 0.90)
# Maximum print density of toner on plain paper: 1.3-1.7 (black at 2-5 %
# of paper white); that is where the printer maps the photo's black.
PRINT_DMAX = (1.3, 1.7)
# Gamut compression towards grey in linear RGB (office CMYK on plain paper
# holds less chroma than sRGB): chroma x 0.75-0.9.
PRINT_SATURATION = (0.75, 0.9)
# An AM screen carries detail only down to about its cell: the printer's
# rendering blurs the photo by sigma ~0.35 cell.
CELL_BLUR = 0.35
# Matte paper: a uniform sheen of 0-2 % of white, no highlights.
SHEEN = (0.0, 0.02)

# --- displays --------------------------------------------------------------------
# Pixel pitch from resolution and diagonal; active area in metres; bezel.
DEVICES = {
    # 6.1" 1792x828 LCD (326 ppi, iPhone XR class), portrait.
    "phone": {"pitch_m": 25.4e-3 / 326, "active_m": (0.0644, 0.1394), "bezel_m": (0.004, 0.008),
              "face_m": (0.04, 0.06), "glossy": True},
    # 10.2" 2160x1620 LCD (264 ppi, iPad class), portrait.
    "tablet": {"pitch_m": 25.4e-3 / 264, "active_m": (0.1555, 0.2074), "bezel_m": (0.010, 0.018),
               "face_m": (0.06, 0.12), "glossy": True},
    # 15.6" 1920x1080 laptop LCD (141 ppi), landscape.
    "laptop_fhd": {"pitch_m": 25.4e-3 / 141.2, "active_m": (0.3442, 0.1936), "bezel_m": (0.008, 0.015),
                   "face_m": (0.08, 0.16), "glossy": None},
    # 15.6" 1366x768 laptop LCD (100 ppi), landscape.
    "laptop_hd": {"pitch_m": 25.4e-3 / 100.5, "active_m": (0.3442, 0.1936), "bezel_m": (0.008, 0.015),
                  "face_m": (0.08, 0.16), "glossy": None},
    # 24" 1920x1080 desktop monitor (92 ppi), landscape, matte.
    "monitor": {"pitch_m": 25.4e-3 / 91.8, "active_m": (0.5313, 0.2989), "bezel_m": (0.010, 0.015),
                "face_m": (0.10, 0.24), "glossy": False},
}
# RGB stripe subpixels: each ~28 % of the pixel width, rows ~85 % open
# (black matrix), as in scenes.ScreenScene.
SUBPIXEL_APERTURE, ROW_OPEN = 0.28, 0.85
# IPS LCD contrast 700-1500:1: backlight black 0.07-0.14 % of white, with
# bleed towards the corners.
CONTRAST = (700.0, 1500.0)
# Display gamma: sRGB-ish, 2.0-2.4.
DISPLAY_GAMMA = (2.0, 2.4)
# Screen white relative to a white reflector in the room, after the
# camera's auto-exposure has settled with the bright screen in view.
SCREEN_WHITE = (0.7, 0.95)
# Diffuse reflection of the room in the screen surface: 0.5-2 % of white.
AMBIENT_REFLECTION = (0.005, 0.02)
# Specular glare of a lamp or window in glossy glass: a soft patch of 5-30 %
# of white (glass reflects ~4 % of a source many times brighter than the
# wall), 15-40 % of the device's size.
GLARE = (0.05, 0.30)


# --- optics ------------------------------------------------------------------------

def optics_transfer(nu, sigma):
    """The lens alone at nu cycles per pixel (scalar or array): a
    diffraction-limited circular pupil times a Gaussian blur of sigma px."""
    x = np.minimum(np.asarray(nu, dtype=np.float64) / DIFFRACTION_CUTOFF, 1.0)
    diffraction = (2 / np.pi) * (np.arccos(x) - x * np.sqrt(np.maximum(0.0, 1 - x * x)))
    return diffraction * np.exp(-2 * np.pi ** 2 * sigma ** 2 * np.asarray(nu, dtype=np.float64) ** 2)


def mtf(fx, fy, sigma):
    """Optical transfer of a pattern at (fx, fy) cycles per pixel: the pixel
    box (signed sinc: 100 % fill factor) times optics_transfer."""
    return float(np.sinc(fx) * np.sinc(fy) * optics_transfer(math.hypot(fx, fy), sigma))


def gaussian_kernel(sigma):
    radius = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / max(sigma, 1e-6)) ** 2)
    return (k / k.sum()).astype(np.float32)


def gaussian_blur(planes, sigma):
    """Separable Gaussian blur of (C, H, W) planes, edges replicated."""
    if sigma <= 0:
        return planes
    k = gaussian_kernel(sigma)
    r = len(k) // 2
    out = np.pad(planes, ((0, 0), (r, r), (0, 0)), mode="edge")
    acc = k[0] * out[:, 0:planes.shape[1]]
    for i in range(1, len(k)):
        acc = acc + k[i] * out[:, i:i + planes.shape[1]]
    out = np.pad(acc, ((0, 0), (0, 0), (r, r)), mode="edge")
    acc = k[0] * out[:, :, 0:planes.shape[2]]
    for i in range(1, len(k)):
        acc = acc + k[i] * out[:, :, i:i + planes.shape[2]]
    return acc.astype(np.float32)


# A Fourier term whose optical transfer is below this contributes under
# 0.01 code values: it is not rendered (most captures' patterns are far
# beyond the passband).
NEGLIGIBLE_TRANSFER = 1e-4


def fold(f):
    """A frequency in cycles/pixel aliased by sampling at 1/pixel into
    [-0.5, 0.5)."""
    return (f + 0.5) % 1.0 - 0.5


# --- geometry ------------------------------------------------------------------------

def focal_px(width, height):
    return math.hypot(width, height) / 2 / math.tan(math.radians(DFOV_DEG) / 2)


def rotation(roll, yaw, pitch):
    """Rz(roll) Ry(yaw) Rx(pitch), degrees; camera axes x right, y down, z
    forward."""
    r, y, p = (math.radians(a) for a in (roll, yaw, pitch))
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    return rz @ ry @ rx


class Texture:
    """Planes (C, h, w) laid on the object plane: texel (i, j) is centred at
    plane coordinates (u0 + (j + 0.5) s, v0 + (i + 0.5) s), metres. Sampled
    bilinearly; outside it every channel is 0."""

    def __init__(self, planes, u0, v0, texel):
        c, h, w = planes.shape
        padded = np.zeros((h + 2, w + 2, c), dtype=np.float32)
        padded[1:-1, 1:-1] = planes.transpose(1, 2, 0)
        self.flat = padded.reshape(-1, c)
        self.channels, self.h, self.w = c, h, w
        self.u0, self.v0, self.texel = float(u0), float(v0), float(texel)

    def corners(self):
        u1 = self.u0 + self.w * self.texel
        v1 = self.v0 + self.h * self.texel
        return [(self.u0, self.v0), (u1, self.v0), (u1, v1), (self.u0, v1)]

    def sample(self, u, v):
        tx = (u - self.u0) / self.texel + 0.5          # +1 pad, -0.5 centre
        ty = (v - self.v0) / self.texel + 0.5
        wp, hp = self.w + 2, self.h + 2
        np.clip(tx, 0.0, wp - 1.001, out=tx)
        np.clip(ty, 0.0, hp - 1.001, out=ty)
        x0 = tx.astype(np.int64)
        y0 = ty.astype(np.int64)
        fx = (tx - x0).astype(np.float32).reshape(-1, 1)
        fy = (ty - y0).astype(np.float32).reshape(-1, 1)
        idx = (y0 * wp + x0).reshape(-1)
        f = self.flat
        top = f[idx] * (1 - fx) + f[idx + 1] * fx
        bottom = f[idx + wp] * (1 - fx) + f[idx + wp + 1] * fx
        out = top * (1 - fy) + bottom * fy
        return out.T.reshape((self.channels,) + u.shape)


def photo_region(photo, x, y, w, h, out_w, out_h):
    """The photo's region [x, x+w) x [y, y+h) (photo pixels, may reach past
    the photo) resampled to out_w x out_h: (uint8 (out_h, out_w, 3), inside
    mask float32 (out_h, out_w)). Paths are decoded by ffmpeg (Lanczos);
    arrays (tests) are resampled bilinearly."""
    pw, ph = photo.size
    sx, sy = out_w / w, out_h / h
    ix0, iy0 = max(0, int(math.ceil(x))), max(0, int(math.ceil(y)))
    ix1, iy1 = min(pw, int(math.floor(x + w))), min(ph, int(math.floor(y + h)))
    rgb = np.zeros((out_h, out_w, 3), dtype=np.uint8)
    inside = np.zeros((out_h, out_w), dtype=np.float32)
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return rgb, inside
    ox0, oy0 = int(round((ix0 - x) * sx)), int(round((iy0 - y) * sy))
    ox1, oy1 = min(out_w, int(round((ix1 - x) * sx))), min(out_h, int(round((iy1 - y) * sy)))
    tw, th = max(2, ox1 - ox0), max(2, oy1 - oy0)
    ox1, oy1 = min(out_w, ox0 + tw), min(out_h, oy0 + th)
    if isinstance(photo.source, np.ndarray):
        crop = photo.source[iy0:iy1, ix0:ix1].astype(np.float32)
        part = np.stack([upsample_bilinear(crop[:, :, c], th, tw) for c in range(3)], axis=2)
        part = np.clip(np.rint(part), 0, 255).astype(np.uint8)
    else:
        ox, oy = getattr(photo, "offset", (0, 0))       # a crop of a larger file
        part = media.decode_rgb_region(photo.source, ix0 + ox, iy0 + oy, ix1 - ix0, iy1 - iy0, tw, th)
    rgb[oy0:oy1, ox0:ox1] = part[:oy1 - oy0, :ox1 - ox0]
    inside[oy0:oy1, ox0:ox1] = 1.0
    return rgb, inside


def linear(rgb_u8):
    return SRGB_TO_LINEAR_U8[rgb_u8].transpose(2, 0, 1)          # (3, h, w)


# --- halftone --------------------------------------------------------------------------

def _halftone_table(levels=257, n=256):
    """Fourier coefficients of a clustered (Euclidean) dot of coverage c,
    period 1: ink where (cos 2 pi a + cos 2 pi b) / 2 >= threshold(c). Returns
    (F10, F11) over c = 0..1 in `levels` steps: the (1, 0) and (1, 1)
    coefficients (real; the dot is symmetric)."""
    a = (np.arange(n) + 0.5) / n
    aa, bb = np.meshgrid(a, a)
    spot = 0.5 * (np.cos(2 * np.pi * aa) + np.cos(2 * np.pi * bb))
    order = np.argsort(-spot, axis=None, kind="stable")
    c10 = np.cos(2 * np.pi * aa).ravel()[order]
    c11 = np.cos(2 * np.pi * (aa + bb)).ravel()[order]
    cum10 = np.concatenate([[0.0], np.cumsum(c10)]) / (n * n)
    cum11 = np.concatenate([[0.0], np.cumsum(c11)]) / (n * n)
    counts = np.rint(np.linspace(0, 1, levels) * n * n).astype(np.int64)
    return cum10[counts].astype(np.float32), cum11[counts].astype(np.float32)


HALFTONE_F10, HALFTONE_F11 = _halftone_table()


def halftone_coefficients(coverage):
    i = np.clip(np.rint(coverage * (len(HALFTONE_F10) - 1)), 0, len(HALFTONE_F10) - 1).astype(np.int32)
    return HALFTONE_F10[i], HALFTONE_F11[i]


def separate(target, paper, k_share=0.5, iterations=4):
    """CMYK dot coverages (4, h, w) that print the target linear reflectance
    (3, h, w) on paper of the given white, with INK_TRANSMITTANCE: grey
    component replacement puts `k_share` of the common darkness in K, then
    each of C, M, Y is solved from its own channel given the absorption of
    the other inks (a few fixed-point passes), clipped to 0..1 (what falls
    outside the printable gamut is clipped)."""
    t = INK_TRANSMITTANCE
    darkness = np.clip(1.0 - target / paper, 0.0, 1.0)
    k = np.clip(k_share * darkness.min(axis=0) / (1 - t[3, 0]), 0.0, 1.0)
    cov = np.zeros((4,) + target.shape[1:], dtype=np.float32)
    cov[3] = k
    for _ in range(iterations):
        for ink, channel in ((0, 0), (1, 1), (2, 2)):
            others = np.ones(target.shape[1:], dtype=np.float32)
            for j in range(4):
                if j != ink:
                    others *= 1 - (1 - t[j, channel]) * cov[j]
            wanted = target[channel] / (paper * np.maximum(others, 1e-3))
            cov[ink] = np.clip((1 - wanted) / (1 - t[ink, channel]), 0.0, 1.0)
    return cov


def print_reflectance(cov, paper):
    """Mean (pixel-integrated) reflectance per camera channel of dots of
    coverage `cov` (4, ...) overlapping at random (Demichel), on paper."""
    t = INK_TRANSMITTANCE
    out = np.empty((3,) + cov.shape[1:], dtype=np.float32)
    for ch in range(3):
        r = np.full(cov.shape[1:], paper, dtype=np.float32)
        for j in range(4):
            r *= 1 - (1 - t[j, ch]) * cov[j]
        out[ch] = r
    return out


# --- motion ------------------------------------------------------------------------

class PlaneMotion:
    """Rigid motion of a held sheet/device, or of a head: postural sway (two
    slow sinusoids per axis at 0.1-0.5 Hz, 2-6 mm sideways, 3-10 mm in depth:
    quiet standing sways the head by millimetres to a centimetre, mostly
    below 0.5 Hz, at ~5-15 mm/s), small rotational sway, a fast tremor
    (physiological hand tremor 8-12 Hz, ~0.05-0.2 mm; for a head, the
    ballistocardiac ~1-1.5 Hz, ~0.03-0.1 mm) and the auto-exposure
    brightness drift of scenes.Motion (1-2 %). A head only rolls: a flat
    cut-out cannot turn."""

    def __init__(self, rng, hand_held):
        self.amp = np.array([rng.uniform(2e-3, 6e-3), 0.0, rng.uniform(3e-3, 10e-3)])
        self.amp[1] = rng.uniform(0.5, 0.8) * self.amp[0]
        self.freq = rng.uniform(0.1, 0.5, (3, 2))
        self.phase = rng.uniform(0, 2 * math.pi, (3, 2))
        self.rot_amp = np.array([rng.uniform(0.3, 1.0),
                                 rng.uniform(0.3, 1.0) if hand_held else 0.0,
                                 rng.uniform(0.3, 1.0) if hand_held else 0.0])
        self.rot_freq = rng.uniform(0.1, 0.5, 3)
        self.rot_phase = rng.uniform(0, 2 * math.pi, 3)
        if hand_held:
            self.tremor_f = rng.uniform(8.0, 12.0)
            self.tremor_amp = rng.uniform(0.05e-3, 0.2e-3)
            self.tremor_rot = rng.uniform(0.02, 0.06)
        else:
            self.tremor_f = rng.uniform(1.0, 1.5)
            self.tremor_amp = rng.uniform(0.03e-3, 0.1e-3)
            self.tremor_rot = 0.0
        self.tremor_phase = rng.uniform(0, 2 * math.pi, 3)
        self.ab = rng.uniform(0.005, 0.02)
        self.fb = rng.uniform(0.1, 0.5)
        self.pb = rng.uniform(0, 2 * math.pi)

    def at(self, t):
        """(dx, dy, dz) metres and (droll, dyaw, dpitch) degrees at t."""
        w = 2 * math.pi * t
        d = [self.amp[i] * (math.sin(w * self.freq[i, 0] + self.phase[i, 0]) +
                            0.5 * math.sin(w * self.freq[i, 1] + self.phase[i, 1])) for i in range(3)]
        tremor = math.sin(w * self.tremor_f + self.tremor_phase[0])
        d[0] += self.tremor_amp * tremor
        d[1] += self.tremor_amp * math.sin(w * self.tremor_f + self.tremor_phase[1])
        a = [self.rot_amp[i] * math.sin(w * self.rot_freq[i] + self.rot_phase[i]) for i in range(3)]
        if self.tremor_rot:
            a[1] += self.tremor_rot * math.sin(w * self.tremor_f + self.tremor_phase[2])
            a[2] += self.tremor_rot * tremor
        return np.array(d), a

    def brightness(self, t):
        return 1.0 + self.ab * math.sin(2 * math.pi * self.fb * t + self.pb)


# --- the scenes --------------------------------------------------------------------

class PlanarScene:
    """Shared machinery: camera, room wall, a textured plane with a pose
    (face centre at plane origin) and its motion, the optics blur."""

    hand_held = True

    def __init__(self, width, height, rng, photo, fraction, params=None):
        self.params = params or {}
        self.width, self.height = width, height
        self.f = focal_px(width, height)
        self.K = np.array([[self.f, 0, width / 2], [0, self.f, height / 2], [0, 0, 1.0]])
        self.photo = photo
        self.fraction = fraction
        self.face_px = fraction * height                  # face box height in the frame
        self.sigma_ab = float(rng.uniform(*ABERRATION_SIGMA_PX))
        self.sigma_blur = math.hypot(self.sigma_ab, DIFFRACTION_SIGMA_PX)
        self.veil = float(rng.uniform(*VEILING_GLARE))
        self.background = wall(rng, width, height)
        self.level = float(rng.uniform(0.85, 1.1))       # light on the face/sheet vs the nominal
        # Where the face centre is in the frame (as scenes.FaceScene).
        self.target = (width / 2 + rng.uniform(-0.08, 0.08) * width,
                       height / 2 + rng.uniform(-0.05, 0.05) * height)
        self.roll = float(rng.uniform(-ROLL_DEG, ROLL_DEG))
        if self.hand_held:
            tilt = float(rng.uniform(0.0, TILT_DEG))
            direction = float(rng.uniform(0, 2 * math.pi))
            self.yaw, self.pitch = tilt * math.cos(direction), tilt * math.sin(direction)
        else:
            self.yaw = self.pitch = 0.0
        self.motion = PlaneMotion(rng, self.hand_held)
        if self.params.get("still"):
            # A test fixture: no sway, tremor or drift (the draws are made
            # all the same, so the rest of the capture is unchanged).
            self.motion.amp[:] = 0
            self.motion.rot_amp[:] = 0
            self.motion.tremor_amp = self.motion.tremor_rot = self.motion.ab = 0.0

    def place(self, distance):
        self.distance = float(distance)
        tx, ty = self.target
        self.centre = np.array([(tx - self.width / 2) / self.f * distance,
                                (ty - self.height / 2) / self.f * distance, distance])

    def homography(self, t):
        """Plane (u, v, 1) in metres -> pixel (x, y, 1) at time t."""
        d, a = self.motion.at(t)
        r = rotation(self.roll + a[0], self.yaw + a[1], self.pitch + a[2])
        c = self.centre + d
        return self.K @ np.column_stack([r[:, 0], r[:, 1], c])

    def window(self, h):
        """Pixel bounding box (x0, y0, x1, y1) of the texture in the frame."""
        pts = np.array([[u, v, 1.0] for u, v in self.texture.corners()]).T
        p = h @ pts
        xs, ys = p[0] / p[2], p[1] / p[2]
        x0 = int(max(0, math.floor(xs.min()) - 2))
        y0 = int(max(0, math.floor(ys.min()) - 2))
        x1 = int(min(self.width, math.ceil(xs.max()) + 2))
        y1 = int(min(self.height, math.ceil(ys.max()) + 2))
        return x0, y0, max(x0, x1), max(y0, y1)

    def plane_coords(self, h, box):
        """Plane coordinates (u, v) (float64) of the pixel centres in box."""
        x0, y0, x1, y1 = box
        inv = np.linalg.inv(h)
        xs = np.arange(x0, x1, dtype=np.float64) + 0.5
        ys = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
        den = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
        u = (inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) / den
        v = (inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) / den
        return u, v

    def jacobian(self, h):
        """d(u, v)/d(x, y) at the face centre (metres per pixel), for the
        frequencies of periodic patterns in pixel units."""
        inv = np.linalg.inv(h)
        p = h @ np.array([0.0, 0.0, 1.0])
        x, y = p[0] / p[2], p[1] / p[2]

        def uv(px, py):
            q = inv @ np.array([px, py, 1.0])
            return q[:2] / q[2]
        dx = (uv(x + 0.5, y) - uv(x - 0.5, y))
        dy = (uv(x, y + 0.5) - uv(x, y - 0.5))
        return np.column_stack([dx, dy])                  # [[du/dx, du/dy], [dv/dx, dv/dy]]

    def pixel_frequency(self, h, k_uv):
        """A pattern cos(2 pi k . (u, v)) (k in cycles per metre) seen in
        the frame: its frequency in cycles per pixel."""
        return self.jacobian(h).T @ np.asarray(k_uv, dtype=np.float64)

    def face_box(self, t=0.0):
        """The face box's bounding box in the frame at t: [x0, y0, x1, y1]."""
        h = self.homography(t)
        half = self.face_m / 2
        pts = np.array([[-half, -half, 1], [half, -half, 1], [half, half, 1], [-half, half, 1]]).T
        p = h @ pts
        xs, ys = p[0] / p[2], p[1] / p[2]
        return [int(round(xs.min())), int(round(ys.min())), int(round(xs.max())), int(round(ys.max()))]

    def covers_frame(self, rect, t=0.0):
        """Whether the plane rectangle rect = (u0, v0, u1, v1) covers the
        whole frame at t (else its edge is in view)."""
        inv = np.linalg.inv(self.homography(t))
        u0, v0, u1, v1 = rect
        for x, y in ((0, 0), (self.width, 0), (0, self.height), (self.width, self.height)):
            q = inv @ np.array([x, y, 1.0])
            u, v = q[0] / q[2], q[1] / q[2]
            if not (u0 <= u <= u1 and v0 <= v <= v1):
                return False
        return True

    def finish(self, out, t):
        """Veiling glare and the auto-exposure drift, on the whole frame."""
        out += np.float32(self.veil) * out.mean(axis=(1, 2), dtype=np.float64).astype(np.float32)[:, None, None]
        out *= np.float32(self.motion.brightness(t))
        return out

    def composite(self, premultiplied, alpha, box):
        """The room with the plane over it: premultiplied = layer x alpha."""
        out = self.background.copy()
        x0, y0, x1, y1 = box
        region = out[:, y0:y1, x0:x1]
        region *= 1.0 - alpha
        region += premultiplied
        return out

    def texel_for(self, distance):
        """Texel size: 1.5 texels per sensor pixel at the nominal distance."""
        return distance / self.f / 1.5

    def describe_common(self):
        return {"distance": self.distance_label, "face_height_fraction": self.fraction,
                "distance_m": round(self.distance, 4), "roll_deg": round(self.roll, 2),
                "yaw_deg": round(self.yaw, 2), "pitch_deg": round(self.pitch, 2),
                "tilt_deg": round(math.hypot(self.yaw, self.pitch), 2),
                "face_box": self.face_box(0.0), "photo_upscale": round(self.face_px / self.photo.face_box[3], 3),
                "optics_sigma_px": round(self.sigma_ab, 3), "veiling_glare": round(self.veil, 4),
                "level": round(self.level, 3)}


class LiveFaceScene(PlanarScene):
    """The bona fide presentation: the person, at the distance where a real
    face of 14-16.5 cm has the chosen size, in front of their own room.

    The room is the photo itself, static (its edges feathered into the
    wall where the frame reaches past it); the person is a feathered
    elliptical cut-out of the same photo (head, hair, neck) that sways,
    rolls and leans against it. So the face moves relative to its
    background, as a live person does, and no foreign background frames
    the face. The base roll applies to the whole photo (a flat photo
    cannot hold the room upright while the head tilts)."""

    hand_held = False

    def __init__(self, width, height, rng, photo, fraction, distance_label, params=None):
        super().__init__(width, height, rng, photo, fraction, params)
        self.distance_label = distance_label
        self.face_m = float(rng.uniform(*LIVE_FACE_M))
        self.place(self.f * self.face_m / self.face_px)
        fx, fy, fw, fh = photo.face_box
        self.m_per_px = self.face_m / fh
        self.face_centre_px = (fx + fw / 2, fy + fh / 2)
        texel = self.texel_for(self.distance)
        # The person: an ellipse from ~0.95 face above the face centre to
        # ~1.45 below it, 1.9 faces wide, feathered over its outer quarter.
        rx, top, bottom = 0.95 * fw, 0.95 * fh, 1.45 * fh
        self.person = self._layer((-rx, -top, rx, bottom), texel, ellipse=True)
        # The room: what of the photo the frame sees at the base pose.
        base = self.homography(None)
        inv = np.linalg.inv(base)
        corners = [inv @ np.array([x, y, 1.0]) for x, y in ((0, 0), (width, 0), (0, height), (width, height))]
        us = [c[0] / c[2] for c in corners]
        vs = [c[1] / c[2] for c in corners]
        pw, ph = photo.size
        cx, cy = self.face_centre_px
        spare = 0.1 * min(pw, ph)          # room past the photo's edge for its feather
        left = max(min(us) / self.m_per_px - 4, -cx - spare)
        right = min(max(us) / self.m_per_px + 4, pw - cx + spare)
        upper = max(min(vs) / self.m_per_px - 4, -cy - spare)
        lower = min(max(vs) / self.m_per_px + 4, ph - cy + spare)
        room = self._layer((left, upper, right, lower), texel, ellipse=False)
        box = self.window_of(room, base)
        u, v = self.plane_coords(base, box)
        s = room.sample(u, v)
        self.room = self.background.copy()
        x0, y0, x1, y1 = box
        region = self.room[:, y0:y1, x0:x1]
        region *= 1.0 - s[3]
        region += s[:3] * np.float32(self.level)
        self.texture = self.person

    def _layer(self, extent, texel, ellipse):
        """A premultiplied RGBA texture of the photo over extent = (left,
        top, right, bottom) in photo pixels relative to the face centre."""
        left, top, right, bottom = extent
        cx, cy = self.face_centre_px
        w, h = right - left, bottom - top
        tw = max(8, int(round(w * self.m_per_px / texel)))
        th = max(8, int(round(h * self.m_per_px / texel)))
        rgb, inside = photo_region(self.photo, cx + left, cy + top, w, h, tw, th)
        if ellipse:
            yy = (np.arange(th, dtype=np.float32)[:, None] + 0.5) / th * 2 - 1
            xx = (np.arange(tw, dtype=np.float32)[None, :] + 0.5) / tw * 2 - 1
            alpha = np.clip((1.0 - np.sqrt(xx ** 2 + yy ** 2)) / 0.25, 0.0, 1.0) * _soften(inside)
        else:
            # Feather the photo's own edges over 6 % of its smaller side.
            ramp = max(2, int(0.06 * min(self.photo.size) * self.m_per_px / texel))
            alpha = _feather(inside, ramp)
        planes = np.concatenate([linear(rgb) * alpha, alpha[None]]).astype(np.float32)
        return Texture(planes, left * self.m_per_px, top * self.m_per_px, w * self.m_per_px / tw)

    def window_of(self, texture, h):
        saved, self.texture = getattr(self, "texture", None), texture
        try:
            return self.window(h)
        finally:
            self.texture = saved

    def homography(self, t):
        """t None: the base pose (no sway), where the room stays."""
        if t is not None:
            return super().homography(t)
        r = rotation(self.roll, self.yaw, self.pitch)
        return self.K @ np.column_stack([r[:, 0], r[:, 1], self.centre])

    def planes(self, t):
        h = self.homography(t)
        box = self.window(h)
        u, v = self.plane_coords(h, box)
        s = self.person.sample(u, v)
        out = self.room.copy()
        x0, y0, x1, y1 = box
        region = out[:, y0:y1, x0:x1]
        region *= 1.0 - s[3]
        region += s[:3] * np.float32(self.level)                    # premultiplied
        out = gaussian_blur(out, self.sigma_blur)
        return self.finish(out, t)

    def describe(self):
        d = self.describe_common()
        d.update({"presentation": "bona_fide", "face_m": round(self.face_m, 4)})
        return d


def _feather(inside, ramp):
    """Alpha falling linearly to 0 over `ramp` texels at a mask's edges
    (an approximate distance transform by repeated erosion)."""
    alpha = inside.astype(np.float32).copy()
    current = inside > 0.5
    for step in range(ramp):
        # Edge padding: where the texture ends inside the photo is no edge.
        p = np.pad(current, 1, mode="edge")
        current = current & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
        alpha = np.where(current, alpha, np.minimum(alpha, (step + 1) / (ramp + 1)))
    return alpha.astype(np.float32)


def _soften(mask, passes=2):
    """A hard 0/1 mask with its edge softened over a texel or two."""
    for _ in range(passes):
        p = np.pad(mask, 1, mode="edge")
        mask = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] + 4 * p[1:-1, 1:-1]) / 8
    return mask.astype(np.float32)


class PrintScene(PlanarScene):
    """print_attack: the photo printed on A4 or A3 by a colour laser printer, held
    up by hand."""

    def __init__(self, width, height, rng, photo, fraction, distance_label, params=None):
        super().__init__(width, height, rng, photo, fraction, params)
        params = self.params
        self.distance_label = distance_label
        low = max(PRINT_FACE_M[0], MIN_DISTANCE_M * self.face_px / self.f)
        self.face_m = float(params.get("face_m", rng.uniform(min(low, PRINT_FACE_M[1]), PRINT_FACE_M[1])))
        self.place(self.f * self.face_m / self.face_px)
        self.lpi = float(params.get("lpi", rng.choice(LPI_CHOICES) * rng.uniform(0.97, 1.03)))
        self.cell = 0.0254 / self.lpi
        self.paper = float(rng.uniform(*PAPER_WHITE))
        self.dmax = float(rng.uniform(*PRINT_DMAX))
        self.saturation = float(rng.uniform(*PRINT_SATURATION))
        self.sheen = float(rng.uniform(*SHEEN))
        self.gradient = rng.uniform(-0.06, 0.06, 2)
        self.screen_phase = rng.uniform(0, 1, (4, 2))
        pick = rng.random()
        edges = np.cumsum([p for _, _, _, p in SHEETS])
        self.sheet_name, self.sheet_m, self.face_down, _ = SHEETS[int(np.searchsorted(edges, pick, side="right"))]
        if "sheet" in params:
            self.sheet_name, self.sheet_m, self.face_down, _ = next(x for x in SHEETS if x[0] == params["sheet"])
        self.layout(rng)

    def layout(self, rng):
        fx, fy, fw, fh = self.photo.face_box
        m_per_px = self.face_m / fh
        sw, sh = self.sheet_m
        pw, ph = sw - 2 * PRINT_MARGIN_M, sh - 2 * PRINT_MARGIN_M
        down = self.face_down
        # The plane origin is the face centre.
        self.sheet = (-sw / 2, -(PRINT_MARGIN_M + down * ph), sw / 2, sh - (PRINT_MARGIN_M + down * ph))
        texel = self.texel_for(self.distance)
        tw, th = int(math.ceil(sw / texel)), int(math.ceil(sh / texel))
        texel = max(sw / tw, sh / th)
        u0, v0 = self.sheet[0], self.sheet[1]
        # The printable area in texels and in photo pixels.
        px0 = int(round((PRINT_MARGIN_M) / texel))
        py0 = int(round((PRINT_MARGIN_M) / texel))
        pw_t, ph_t = min(tw - px0, int(round(pw / texel))), min(th - py0, int(round(ph / texel)))
        cx, cy = fx + fw / 2, fy + fh / 2
        region = (cx - (pw / 2) / m_per_px, cy - (down * ph) / m_per_px, pw / m_per_px, ph / m_per_px)
        rgb, inside = photo_region(self.photo, *region, pw_t, ph_t)
        target = linear(rgb)
        # The printer's rendering: detail down to the halftone cell.
        target = gaussian_blur(target, CELL_BLUR * self.cell / texel)
        # Gamut: chroma pulled towards grey; tone: the photo's black and
        # white mapped to the print's Dmax and paper white.
        grey = 0.2126 * target[0] + 0.7152 * target[1] + 0.0722 * target[2]
        target = grey + np.float32(self.saturation) * (target - grey)
        black = self.paper * 10 ** (-self.dmax)
        target = black + (self.paper - black) * np.clip(target, 0, 1)
        cov = separate(target.astype(np.float32), self.paper) * inside
        planes = np.zeros((6, th, tw), dtype=np.float32)
        planes[0] = 1.0                                   # the sheet
        planes[1:5, py0:py0 + ph_t, px0:px0 + pw_t] = cov
        # Paper texture, fixed on the sheet: fine fibre noise (a texel or
        # two) of 0.4-1 % and formation (flocs of a few mm) of 0.5-1.2 %,
        # rough values for uncoated office paper.
        fine = rng.standard_normal((th, tw)).astype(np.float32)
        fine = gaussian_blur(fine[None], 1.0)[0]
        fine *= np.float32(rng.uniform(0.004, 0.01) / max(float(fine.std()), 1e-6))
        cells = (max(2, int(sh / 0.003)), max(2, int(sw / 0.003)))
        floc = upsample_bilinear(rng.standard_normal(cells).astype(np.float32), th, tw)
        floc *= np.float32(rng.uniform(0.005, 0.012) / max(float(floc.std()), 1e-6))
        planes[5] = 1.0 + fine + floc
        self.texture = Texture(planes, u0, v0, texel)

    def planes(self, t):
        h = self.homography(t)
        box = self.window(h)
        u, v = self.plane_coords(h, box)
        s = self.texture.sample(u, v)
        alpha, cov, paper_tex = s[0], s[1:5], s[5]
        # Sampled channels fade with alpha at the sheet's edge; un-fade.
        paper_tex = np.where(alpha > 1e-3, paper_tex / np.maximum(alpha, 1e-3), 1.0).astype(np.float32)
        refl = print_reflectance(cov, self.paper) * paper_tex
        light = (self.level * (1 + self.gradient[0] * u / 0.15 + self.gradient[1] * v / 0.15)).astype(np.float32)
        sheet = refl * light + np.float32(self.sheen)
        out = self.composite(sheet * alpha, alpha, box)
        out = gaussian_blur(out, self.sigma_blur)
        x0, y0, x1, y1 = box
        out[:, y0:y1, x0:x1] += alpha * light * self.modulation(h, u, v, cov, refl)
        return self.finish(out, t)

    def ink_frequencies(self, h):
        """Per ink: pixel frequencies of its screen's two axes."""
        out = []
        for angle in INK_ANGLES_DEG:
            a = math.radians(angle)
            ka = np.array([math.cos(a), math.sin(a)]) / self.cell
            kb = np.array([-math.sin(a), math.cos(a)]) / self.cell
            out.append((self.pixel_frequency(h, ka), self.pixel_frequency(h, kb)))
        return out

    def modulation(self, h, u, v, cov, refl):
        """The halftone's periodic part of the reflectance, after the optics:
        per camera channel, sum over inks of d(refl)/d(coverage) x the ink's
        attenuated Fourier terms (1,0), (0,1), (1,1), (1,-1)."""
        t = INK_TRANSMITTANCE
        out = np.zeros_like(refl)
        for i, (fa, fb) in enumerate(self.ink_frequencies(h)):
            m10a = mtf(fa[0], fa[1], self.sigma_ab)
            m10b = mtf(fb[0], fb[1], self.sigma_ab)
            m11p = mtf(fa[0] + fb[0], fa[1] + fb[1], self.sigma_ab)
            m11m = mtf(fa[0] - fb[0], fa[1] - fb[1], self.sigma_ab)
            if max(abs(m10a), abs(m10b), abs(m11p), abs(m11m)) < NEGLIGIBLE_TRANSFER:
                continue
            a_ang = math.radians(INK_ANGLES_DEG[i])
            ca, sa = math.cos(a_ang), math.sin(a_ang)
            pa = np.mod((u * ca + v * sa) / self.cell + self.screen_phase[i, 0], 1.0)
            pb = np.mod((-u * sa + v * ca) / self.cell + self.screen_phase[i, 1], 1.0)
            cos_a = np.cos(2 * np.pi * pa).astype(np.float32)
            sin_a = np.sin(2 * np.pi * pa).astype(np.float32)
            cos_b = np.cos(2 * np.pi * pb).astype(np.float32)
            sin_b = np.sin(2 * np.pi * pb).astype(np.float32)
            f10, f11 = halftone_coefficients(cov[i])
            cc, ss = cos_a * cos_b, sin_a * sin_b
            periodic = 2 * f10 * (np.float32(m10a) * cos_a + np.float32(m10b) * cos_b) + \
                2 * f11 * (np.float32(m11p) * (cc - ss) + np.float32(m11m) * (cc + ss))
            for ch in range(3):
                absorb = 1 - t[i, ch]
                out[ch] -= refl[ch] * absorb * periodic / np.maximum(1 - absorb * cov[i], 1e-3)
        return out

    def describe(self):
        d = self.describe_common()
        h = self.homography(0.0)
        peaks = []
        f10_half = float(halftone_coefficients(np.float32(0.5))[0])
        for i, (fa, fb) in enumerate(self.ink_frequencies(h)):
            m = mtf(fa[0], fa[1], self.sigma_ab)
            peaks.append({"ink": "CMYK"[i], "f_px": [round(float(fa[0]), 4), round(float(fa[1]), 4)],
                          "alias_px": [round(float(fold(fa[0])), 4), round(float(fold(fa[1])), 4)],
                          "transfer": round(m, 5),
                          "modulation_at_50pct": round(abs(2 * f10_half * m), 5)})
        d.update({"presentation": "print", "face_m": round(self.face_m, 4), "lpi": round(self.lpi, 2),
                  "halftone_period_px": round(self.cell / float(np.sqrt(abs(np.linalg.det(self.jacobian(h))))), 4),
                  "halftone": peaks, "sheet": self.sheet_name, "paper_white": round(self.paper, 3),
                  "dmax": round(self.dmax, 3),
                  "saturation": round(self.saturation, 3), "sheen": round(self.sheen, 4),
                  "sheet_edge_in_view": not self.covers_frame(self.sheet)})
        return d


class DisplayScene(PlanarScene):
    """screen_attack: the photo shown full-screen on a phone, tablet, laptop
    or monitor, held up to the camera (a monitor is moved by hand too)."""

    def __init__(self, width, height, rng, photo, fraction, distance_label, params=None):
        super().__init__(width, height, rng, photo, fraction, params)
        params = self.params
        self.distance_label = distance_label
        # Devices on which the face can be this large at >= MIN_DISTANCE_M
        # (the face box must fit in the active area).
        need = MIN_DISTANCE_M * self.face_px / self.f
        feasible = [name for name, d in DEVICES.items()
                    if min(d["face_m"][1], 0.8 * min(d["active_m"])) >= need]
        if not feasible:
            feasible = ["laptop_hd"]
        drawn = str(feasible[int(rng.integers(len(feasible)))])       # drawn always: same stream
        self.device = params.get("device", drawn)
        spec = DEVICES[self.device]
        top = min(spec["face_m"][1], 0.8 * min(spec["active_m"]))
        self.face_m = float(params.get("face_m", rng.uniform(max(spec["face_m"][0], need), max(top, need))))
        self.place(self.f * self.face_m / self.face_px)
        self.pitch_m = float(params.get("pitch_m", spec["pitch_m"]))
        self.gamma = float(rng.uniform(*DISPLAY_GAMMA))
        self.cool = bool(rng.random() < 0.5)
        # White point: D65, or a cool ~8000-9300 K panel (less red and
        # green for the same blue).
        self.white_point = np.array([1.0, 1.0, 1.0] if not self.cool else
                                    [rng.uniform(0.8, 0.9), rng.uniform(0.92, 0.97), 1.0], dtype=np.float32)
        self.white = float(rng.uniform(*SCREEN_WHITE))
        self.black = 1.0 / float(rng.uniform(*CONTRAST))
        self.bleed = float(rng.uniform(0.5, 2.0))
        self.ambient = float(rng.uniform(*AMBIENT_REFLECTION))
        glossy = spec["glossy"] if spec["glossy"] is not None else bool(rng.random() < 0.5)
        self.glossy = glossy
        # Glossy glass shows a lamp's reflection in 70 % of captures.
        self.glare = float(rng.uniform(*GLARE)) if glossy and rng.random() < 0.7 else 0.0
        self.glare_pos = rng.uniform(-0.35, 0.35, 2)
        self.glare_size = float(rng.uniform(0.15, 0.4))
        # PWM backlight dimming seen through a rolling shutter: some panels
        # (1/3 here) at 200-1000 Hz; exposure 10-33 ms; the ripple left after
        # integrating over the exposure is |sinc(f_pwm T)| of the on/off depth.
        self.pwm_hz = float(rng.uniform(200, 1000)) if rng.random() < 1 / 3 else 0.0
        self.pwm_hz = float(params.get("pwm_hz", self.pwm_hz))
        exposure = rng.uniform(0.010, 0.033)
        self.pwm_depth = float(abs(np.sinc(self.pwm_hz * exposure))) if self.pwm_hz else 0.0
        self.pwm_phase = float(rng.uniform(0, 1))
        self.mix = (DISPLAY_RESPONSE / ROOM_RESPONSE[:, None]).astype(np.float32)
        self.bezel_reflectance = float(rng.uniform(0.03, 0.06))
        self.layout(spec, rng)

    def layout(self, spec, rng):
        fx, fy, fw, fh = self.photo.face_box
        m_per_px = self.face_m / fh
        aw, ah = spec["active_m"]
        bx, by = spec["bezel_m"]
        # Face centre: horizontally centred, 45 % down the active area.
        self.active = (-aw / 2, -0.45 * ah, aw / 2, 0.55 * ah)
        self.body = (self.active[0] - bx, self.active[1] - by, self.active[2] + bx, self.active[3] + by)
        texel = self.texel_for(self.distance)
        bw, bh = self.body[2] - self.body[0], self.body[3] - self.body[1]
        tw, th = int(math.ceil(bw / texel)), int(math.ceil(bh / texel))
        texel = max(bw / tw, bh / th)
        ax0, ay0 = int(round(bx / texel)), int(round(by / texel))
        aw_t, ah_t = min(tw - ax0, int(round(aw / texel))), min(th - ay0, int(round(ah / texel)))
        cx, cy = fx + fw / 2, fy + fh / 2
        region = (cx - (aw / 2) / m_per_px, cy - (0.45 * ah) / m_per_px, aw / m_per_px, ah / m_per_px)
        rgb, inside = photo_region(self.photo, *region, aw_t, ah_t)
        drive = np.power(rgb.astype(np.float32) / 255.0, self.gamma).transpose(2, 0, 1) * inside
        planes = np.zeros((5, th, tw), dtype=np.float32)
        planes[0] = 1.0                                   # the device
        planes[1, ay0:ay0 + ah_t, ax0:ax0 + aw_t] = 1.0   # the active area
        planes[2:5, ay0:ay0 + ah_t, ax0:ax0 + aw_t] = drive
        self.texture = Texture(planes, self.body[0], self.body[1], texel)
        self.active_origin = (self.active[0], self.active[1])

    def emitted(self, s, u, v):
        """Light each primary emits (3, h, w), relative to a white reflector."""
        active, drive = s[1], s[2:5]
        au, av = (self.active[0] + self.active[2]) / 2, (self.active[1] + self.active[3]) / 2
        hw, hh = (self.active[2] - self.active[0]) / 2, (self.active[3] - self.active[1]) / 2
        corner = ((u - au) / hw) ** 2 * ((v - av) / hh) ** 2        # backlight bleed at the corners
        black = np.float32(self.black) * (1 + np.float32(self.bleed) * corner.astype(np.float32))
        e = black + (1 - black) * drive
        return e * (active * np.float32(self.white)) * self.white_point[:, None, None]

    def planes(self, t):
        h = self.homography(t)
        box = self.window(h)
        u, v = self.plane_coords(h, box)
        s = self.texture.sample(u, v)
        alpha, active = s[0], s[1]
        e = self.emitted(s, u, v)
        x0, y0, x1, y1 = box
        if self.pwm_hz:
            rows = np.arange(y0, y1, dtype=np.float64)[:, None]
            # Rolling shutter: row r starts exposing r line-times after row
            # 0 (line time 1/(fps x 1.04 H), 4 % blanking); 30 fps assumed.
            line = 1.0 / (30.0 * 1.04 * self.height)
            band = 1 + self.pwm_depth * np.cos(2 * np.pi * (self.pwm_hz * (t + rows * line) + self.pwm_phase))
            e = e * band.astype(np.float32)
        cam = np.tensordot(self.mix, e, axes=1)
        glass = np.float32(self.ambient * self.level) + self.glare_field(h, t, box)
        device = cam + glass + (1 - active) * np.float32(self.bezel_reflectance * self.level)
        out = self.composite(device * alpha, alpha, box)
        out = gaussian_blur(out, self.sigma_blur)
        stripes = self.modulation(h, u, v)
        if stripes is not None:
            out[:, y0:y1, x0:x1] += alpha * np.tensordot(self.mix, e * stripes, axes=1)
        return self.finish(out, t)

    def glare_field(self, h, t, box):
        """A lamp's specular reflection: a soft patch that stays put in the
        image as the device translates and moves twice its rotation."""
        if not self.glare:
            return np.float32(0.0)
        x0, y0, x1, y1 = box
        base = self.homography(0.0) @ np.array([self.glare_pos[0] * (self.active[2] - self.active[0]),
                                                self.glare_pos[1] * (self.active[3] - self.active[1]), 1.0])
        _, a = self.motion.at(t)
        _, a0 = self.motion.at(0.0)
        gx = base[0] / base[2] + 2 * self.f * math.radians(a[1] - a0[1])
        gy = base[1] / base[2] + 2 * self.f * math.radians(a[2] - a0[2])
        size = self.glare_size * (self.active[2] - self.active[0]) * self.f / self.distance
        xs = np.arange(x0, x1, dtype=np.float32) + 0.5
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        r2 = (xs - gx) ** 2 + (ys - gy) ** 2
        return (np.float32(self.glare) * np.exp(-r2 / np.float32(2 * (size / 2) ** 2))).astype(np.float32)

    def stripe_terms(self, h):
        """Pixel frequencies of the subpixel pattern's terms (n, m): n cycles
        per display pixel along its rows, m along its columns."""
        k = 1.0 / self.pitch_m
        terms = {}
        for n, m in ((1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (1, -1)):
            terms[(n, m)] = self.pixel_frequency(h, [n * k, m * k])
        return terms

    def modulation(self, h, u, v):
        """Per primary (3, h, w): the subpixel stripes and black-matrix rows
        as attenuated Fourier terms, mean 0; None when all are negligible."""
        a, r = SUBPIXEL_APERTURE, ROW_OPEN
        terms = self.stripe_terms(h)
        A = {key: np.float32(mtf(f[0], f[1], self.sigma_ab)) for key, f in terms.items()}
        if max(abs(float(x)) for x in A.values()) < NEGLIGIBLE_TRANSFER:
            return None
        px = np.mod((u - self.active[0]) / self.pitch_m, 1.0)
        py = np.mod((v - self.active[1]) / self.pitch_m - 0.5, 1.0)
        cy, sy = np.cos(2 * np.pi * py).astype(np.float32), np.sin(2 * np.pi * py).astype(np.float32)
        rows = np.float32(2 * np.sinc(r)) * A[(0, 1)] * cy
        out = np.empty((3,) + u.shape, dtype=np.float32)
        for p in range(3):
            offset = (p + 0.5) / 3.0
            total = rows.copy()
            for n in (1, 2, 3):
                ph = np.mod(n * (px - offset), 1.0)
                c = np.cos(2 * np.pi * ph).astype(np.float32)
                total += np.float32(2 * np.sinc(n * a)) * A[(n, 0)] * c
                if n == 1:
                    s = np.sin(2 * np.pi * ph).astype(np.float32)
                    cross = np.float32(2 * np.sinc(a) * np.sinc(r))
                    total += cross * (A[(1, 1)] * (c * cy - s * sy) + A[(1, -1)] * (c * cy + s * sy))
            out[p] = total
        return out

    def describe(self):
        d = self.describe_common()
        h = self.homography(0.0)
        terms = self.stripe_terms(h)
        peaks = []
        for key in ((0, 1), (1, 0), (3, 0)):
            f = terms[key]
            m = mtf(f[0], f[1], self.sigma_ab)
            weight = np.sinc(ROW_OPEN) if key == (0, 1) else np.sinc(key[0] * SUBPIXEL_APERTURE)
            peaks.append({"term": list(key), "f_px": [round(float(f[0]), 4), round(float(f[1]), 4)],
                          "alias_px": [round(float(fold(f[0])), 4), round(float(fold(f[1])), 4)],
                          "transfer": round(m, 5), "modulation": round(abs(2 * float(weight) * m), 5)})
        d.update({"presentation": "screen", "device": self.device, "face_m": round(self.face_m, 4),
                  "pitch_um": round(self.pitch_m * 1e6, 1),
                  "pixel_period_px": round(self.pitch_m / float(np.sqrt(abs(np.linalg.det(self.jacobian(h))))), 4),
                  "subpixel": peaks, "gamma": round(self.gamma, 3),
                  "white_point": "cool" if self.cool else "D65", "white": round(self.white, 3),
                  "contrast": round(1 / self.black), "ambient_reflection": round(self.ambient, 4),
                  "glossy": self.glossy, "glare": round(self.glare, 3), "pwm_hz": round(self.pwm_hz, 1),
                  "pwm_depth": round(self.pwm_depth, 4), "bezel_in_view": not self.covers_frame(self.body)})
        return d


def pairing(seed, index, n_photos):
    """(photo index, distance index) of capture `index`, shared by the three
    PAD species, so genuine_face-007, print_attack-007 and screen_attack-007
    show the same photo at the same size. Balanced at any count: distances
    cycle (in a seeded order) with the index, and over 3 x n_photos captures
    each photo appears once at each distance (photos in a seeded order)."""
    rng = np.random.default_rng([seed, zlib.crc32(b"pad-pairing")])
    distances = rng.permutation(len(DISTANCES))
    photos = rng.permutation(n_photos)
    slot, rnd = index % len(DISTANCES), index // len(DISTANCES)
    return int(photos[(rnd + slot) % n_photos]), int(distances[slot])
