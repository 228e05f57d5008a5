"""A physically based model of a webcam's image sensor and ISP, for the
evaluation corpus (issue 6, frame forensics). Python 3 + numpy only (numpy
1.24 APIs: Debian 12's python3-numpy).

Signal chain, per frame (EMVA 1288 "linear camera model", then a minimal ISP):

  scene radiance (3 planes, linear, 1.0 = a white reflector under the room
  light) -> colour filter response (room illuminant x CFA) -> RGGB Bayer
  sampling -> x PRNU gain map (fixed per sensor) -> mean electrons
  -> Poisson shot noise -> + DSNU offset map (fixed per sensor) + Gaussian
  read noise -> x conversion gain + black level -> 10-bit ADC (round, clip)
  -> black-level subtraction -> bilinear demosaic -> white balance -> sRGB
  gamma -> (RGB 8-bit for MJPEG) or BT.601 limited-range YCbCr 4:2:2 -> YUYV.

What a real webcam ISP also does and this model leaves out (so the corpus
is a clean reference, not a copy of one camera): lens-shading correction,
colour-correction matrix, noise reduction, sharpening, defect-pixel
correction and auto-exposure loops. Noise reduction and sharpening make
real noise spatially correlated; the analysers must not rely on i.i.d.
pixel noise for genuine captures, and this model does not test that.

Every constant names where its value comes from.
"""
import zlib

import numpy as np

# --- sensor (EMVA 1288 quantities) --------------------------------------
# Full-well capacity of a 2.8-3 um pixel, as in 1/4"-1/3" webcam sensors:
# EMVA 1288 datasheets of such small-pixel CMOS sensors list ~4.5k-10k e-.
FULL_WELL_E = 6000.0
# Temporal dark (read) noise: EMVA 1288 datasheets of rolling-shutter CMOS
# sensors list 2-5 e- rms.
READ_NOISE_E = 3.0
# Photo-response non-uniformity, sigma of the per-pixel gain: EMVA 1288
# PRNU1288 values of consumer CMOS sensors are 0.5-1.5 % (1 % here).
PRNU_SIGMA = 0.01
# Dark-signal non-uniformity, sigma of the per-pixel offset: EMVA 1288
# DSNU1288 values at short exposure are 1-10 e- (2 e- here).
DSNU_SIGMA_E = 2.0
# Mean dark current integrated over one ~33 ms exposure at room temperature
# (datasheets: 5-50 e-/s for small-pixel CMOS, so ~1 e- per frame).
DARK_E = 1.0
# Shot noise is drawn exactly (numpy's Poisson sampler) where a pixel
# expects fewer than this many electrons, and from the normal approximation
# N(lambda, lambda) above it (same mean and variance; skewness 1/sqrt(lambda)
# < 0.2 is the only difference), which is 3x faster at 720p.
POISSON_EXACT_BELOW = 30.0
# ADC resolution: webcam sensors (OmniVision OV2710, Sony IMX219/IMX291 ...)
# read out 10-bit RAW.
ADC_BITS = 10
ADC_MAX = (1 << ADC_BITS) - 1
# Black-level pedestal: 64 DN at 10 bit (Sony IMX219 datasheet; the
# Raspberry Pi tuning files give 4096 at 16 bit = 64 at 10 bit).
BLACK_LEVEL_DN = 64
# Conversion gain at analog gain 1: the ADC range above the pedestal spans
# the full well (the usual design point: saturation at ADC full scale).
CONVERSION_GAIN = (ADC_MAX - BLACK_LEVEL_DN) / FULL_WELL_E   # DN per e-
# Auto-exposure target: a perfect white reflector at 90 % of the usable
# range, leaving headroom for speculars (typical AE designs aim mid-grey at
# ~18 % reflectance, i.e. white a little under clipping).
WHITE_FRACTION = 0.9

# --- colour -----------------------------------------------------------------
# Relative raw response of the R, G, B colour filters to a white reflector
# under ~4000 K indoor light (a typical Bayer CMOS behind an IR-cut filter:
# green highest, red ~0.6, blue ~0.5 of green; cf. the camera white-balance
# gains of 1.5-2.2 for R and B found in raw files and ISP tuning data).
ROOM_RESPONSE = np.array([0.60, 1.00, 0.50], dtype=np.float32)
# The ISP's white balance is set for that room light (auto white balance
# converged), so a white reflector comes out neutral.
WB_GAINS = (1.0 / ROOM_RESPONSE).astype(np.float32)

# BT.601 (ITU-R BT.601-7) luma/chroma coefficients, limited ("studio")
# range: Y 16..235, Cb/Cr 16..240, as UVC cameras send YUYV.
KR, KB = 0.299, 0.114
KG = 1.0 - KR - KB


def sensor_seed(sensor_id, width, height):
    """The seed of a sensor's fixed pattern (PRNU and DSNU): a pure function
    of its id and size, so every capture and the enrollment of sensor "A"
    share one fingerprint."""
    return [zlib.crc32(f"sensor:{sensor_id}".encode()), width, height]


def srgb_oetf(linear):
    """IEC 61966-2-1 sRGB encoding, linear 0..1 -> 0..1."""
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear,
                    1.055 * np.power(np.maximum(linear, 0.0031308), 1 / 2.4) - 0.055)


def srgb_eotf(code):
    """IEC 61966-2-1 sRGB decoding, 0..1 -> linear 0..1."""
    code = np.asarray(code, dtype=np.float64)
    return np.where(code <= 0.04045, code / 12.92, np.power((code + 0.055) / 1.055, 2.4))


SRGB_TO_LINEAR_U8 = srgb_eotf(np.arange(256) / 255.0).astype(np.float32)


def shot_noise(mean_e, rng, exact_below=None, read_noise=0.0):
    """Photo-electron counts: Poisson with the given means (EMVA 1288, the
    linear camera model), exact below POISSON_EXACT_BELOW electrons, normal
    approximation above; plus Gaussian read noise of sigma read_noise
    electrons (folded into the same normal draw above the cut-over: a sum of
    independent normals). Returns float32."""
    exact_below = POISSON_EXACT_BELOW if exact_below is None else exact_below
    electrons = rng.standard_normal(mean_e.shape, dtype=np.float32)
    electrons *= np.sqrt(mean_e + np.float32(read_noise ** 2))
    electrons += mean_e
    low = mean_e < exact_below
    if low.any():
        means = mean_e[low]
        counts = rng.poisson(means).astype(np.float32)
        if read_noise:
            counts += rng.standard_normal(means.shape, dtype=np.float32) * np.float32(read_noise)
        electrons[low] = counts
    return electrons


class Sensor:
    """One camera: an RGGB sensor of a given size with its own PRNU and DSNU
    (from sensor_seed), and the ISP that turns raw frames into YUYV."""

    def __init__(self, sensor_id, width, height, analog_gain=2.0):
        if width % 2 or height % 2:
            raise ValueError("width and height must be even (Bayer and YUYV)")
        self.sensor_id = sensor_id
        self.width, self.height = width, height
        rng = np.random.default_rng(sensor_seed(sensor_id, width, height))
        # PRNU: per-pixel gain 1 + N(0, PRNU_SIGMA), fixed for the sensor.
        self.prnu = (1.0 + PRNU_SIGMA * rng.standard_normal((height, width), dtype=np.float32)).astype(np.float32)
        # DSNU: per-pixel dark offset in electrons, fixed for the sensor.
        self.dsnu = (DARK_E + DSNU_SIGMA_E * rng.standard_normal((height, width), dtype=np.float32)).astype(np.float32)
        self.set_gain(analog_gain)

    def set_gain(self, analog_gain):
        """Analog gain chosen by auto-exposure: higher in dim rooms. The ADC
        clips at FULL_WELL_E / gain electrons."""
        self.analog_gain = float(analog_gain)
        self.k = CONVERSION_GAIN * self.analog_gain              # DN per electron
        self.white_e = WHITE_FRACTION * FULL_WELL_E / self.analog_gain  # e- of a white reflector (G)
        self._luts = None

    # --- radiance -> raw -------------------------------------------------
    def mosaic(self, planes):
        """RGGB sampling of 3 radiance planes (3, H, W) -> (H, W), times the
        room/CFA response."""
        r, g, b = planes
        m = np.empty((self.height, self.width), dtype=np.float32)
        m[0::2, 0::2] = r[0::2, 0::2] * ROOM_RESPONSE[0]
        m[0::2, 1::2] = g[0::2, 1::2] * ROOM_RESPONSE[1]
        m[1::2, 0::2] = g[1::2, 0::2] * ROOM_RESPONSE[1]
        m[1::2, 1::2] = b[1::2, 1::2] * ROOM_RESPONSE[2]
        return m

    def expose(self, planes, rng, noise=True, fixed_pattern=True):
        """Radiance planes -> 10-bit raw frame (uint16, H x W, RGGB).
        noise=False gives the noise-free expectation (no shot or read noise);
        fixed_pattern=False leaves out PRNU and DSNU (an image that never
        went through this sensor)."""
        mean_e = self.mosaic(planes)
        mean_e *= self.white_e
        if fixed_pattern:
            mean_e *= self.prnu
        np.maximum(mean_e, 0.0, out=mean_e)
        if noise:
            electrons = shot_noise(mean_e, rng, read_noise=READ_NOISE_E)
        else:
            electrons = mean_e
        electrons += self.dsnu if fixed_pattern else DARK_E
        dn = electrons * self.k
        dn += BLACK_LEVEL_DN
        np.rint(dn, out=dn)
        np.clip(dn, 0, ADC_MAX, out=dn)
        return dn.astype(np.uint16)

    # --- ISP: raw -> RGB ---------------------------------------------------
    def _tables(self):
        """Per-channel look-up tables from demosaiced raw (in quarter DN above
        the black level) to gamma-encoded 0..255 RGB: white balance and sRGB
        gamma in one step, as an ISP's gamma LUT does."""
        if self._luts is None:
            q = np.arange(4 * (ADC_MAX - BLACK_LEVEL_DN) + 1, dtype=np.float64) / 4.0
            white_dn = self.white_e * self.k    # G raw level of a white reflector
            self._luts = [(255.0 * srgb_oetf(q / white_dn * WB_GAINS[c])).astype(np.float32)
                          for c in range(3)]
        return self._luts

    def demosaic(self, raw):
        """Bilinear demosaic of an RGGB raw frame, black level removed ->
        (3, H, W) int32 in quarter DN (so every bilinear average is exact)."""
        x = raw.astype(np.int32) - BLACK_LEVEL_DN
        np.maximum(x, 0, out=x)
        p = np.pad(x, 1, mode="reflect")       # reflection keeps the CFA phase
        n, s = p[:-2, 1:-1], p[2:, 1:-1]
        w, e = p[1:-1, :-2], p[1:-1, 2:]
        cross = n + s + w + e
        diag = p[:-2, :-2] + p[:-2, 2:] + p[2:, :-2] + p[2:, 2:]
        horiz2 = 2 * (w + e)
        vert2 = 2 * (n + s)
        x4 = 4 * x
        out = np.empty((3,) + x.shape, dtype=np.int32)
        r, g, b = out
        # red
        r[0::2, 0::2] = x4[0::2, 0::2]
        r[0::2, 1::2] = horiz2[0::2, 1::2]
        r[1::2, 0::2] = vert2[1::2, 0::2]
        r[1::2, 1::2] = diag[1::2, 1::2]
        # green
        g[0::2, 0::2] = cross[0::2, 0::2]
        g[0::2, 1::2] = x4[0::2, 1::2]
        g[1::2, 0::2] = x4[1::2, 0::2]
        g[1::2, 1::2] = cross[1::2, 1::2]
        # blue
        b[1::2, 1::2] = x4[1::2, 1::2]
        b[1::2, 0::2] = horiz2[1::2, 0::2]
        b[0::2, 1::2] = vert2[0::2, 1::2]
        b[0::2, 0::2] = diag[0::2, 0::2]
        return out

    def to_rgb(self, raw):
        """Raw frame -> gamma-encoded RGB, float32 (3, H, W) in 0..255."""
        q = self.demosaic(raw)
        np.minimum(q, 4 * (ADC_MAX - BLACK_LEVEL_DN), out=q)
        luts = self._tables()
        return np.stack([luts[c][q[c]] for c in range(3)])

    def render(self, planes, rng, noise=True, fixed_pattern=True):
        """Radiance planes -> gamma-encoded RGB float32 (3, H, W), 0..255."""
        return self.to_rgb(self.expose(planes, rng, noise=noise, fixed_pattern=fixed_pattern))


# --- colour conversion and packing ---------------------------------------------
def rgb_to_ycbcr422(rgb):
    """Gamma-encoded RGB (3, H, W) 0..255 -> float Y (H, W), Cb and Cr
    (H, W/2), BT.601 limited range, chroma averaged over horizontal pairs (the
    4:2:2 siting of YUYV), not yet rounded."""
    r, g, b = rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0
    y = 16.0 + 219.0 * (KR * r + KG * g + KB * b)
    rp = 0.5 * (r[:, 0::2] + r[:, 1::2])
    gp = 0.5 * (g[:, 0::2] + g[:, 1::2])
    bp = 0.5 * (b[:, 0::2] + b[:, 1::2])
    yp = KR * rp + KG * gp + KB * bp
    cb = 128.0 + 224.0 * (bp - yp) / (2.0 * (1.0 - KB))
    cr = 128.0 + 224.0 * (rp - yp) / (2.0 * (1.0 - KR))
    return y.astype(np.float32), cb.astype(np.float32), cr.astype(np.float32)


def quantise(plane, lo=0, hi=255):
    return np.clip(np.rint(plane), lo, hi).astype(np.uint8)


def pack_yuyv(y, cb, cr):
    """Y (H, W), Cb, Cr (H, W/2), float or uint8 -> YUYV bytes (Y0 U Y1 V)."""
    if y.dtype != np.uint8:
        y, cb, cr = quantise(y), quantise(cb), quantise(cr)
    h, w = y.shape
    out = np.empty((h, w // 2, 4), dtype=np.uint8)
    out[:, :, 0] = y[:, 0::2]
    out[:, :, 1] = cb
    out[:, :, 2] = y[:, 1::2]
    out[:, :, 3] = cr
    return out.tobytes()


def unpack_yuyv(payload, width, height):
    """YUYV bytes -> uint8 Y (H, W), Cb (H, W/2), Cr (H, W/2)."""
    a = np.frombuffer(payload, dtype=np.uint8).reshape(height, width // 2, 4)
    y = np.empty((height, width), dtype=np.uint8)
    y[:, 0::2] = a[:, :, 0]
    y[:, 1::2] = a[:, :, 2]
    return y, a[:, :, 1].copy(), a[:, :, 3].copy()


def yuyv_from_rgb(rgb):
    return pack_yuyv(*rgb_to_ycbcr422(rgb))


def rgb8(rgb):
    """(3, H, W) float 0..255 -> (H, W, 3) uint8, interleaved (for JPEG)."""
    return np.ascontiguousarray(quantise(rgb).transpose(1, 2, 0))
