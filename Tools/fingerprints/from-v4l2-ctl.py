#!/usr/bin/env python3
"""Convert a published v4l2-ctl / v4l2-compliance text dump into a
CaptureGuard fingerprint (schema ``captureguard.fingerprint/1``).

Usage: from-v4l2-ctl.py DUMP [--out FILE]     (JSON goes to stdout without --out)

A dump is plain text as people paste it into forums and issues. It may start
with ``# source:``, ``# kind:``, ``# driver:`` and ``# notes:`` header lines
(see Tools/fingerprints/dumps/); the rest is the dump itself.

What is parsed
  * node: the device of the first ``v4l2-ctl``/``v4l2-compliance`` command
    line (``-d /dev/videoN``, ``-dN``, ``--device=...``) or the
    ``Compliance test for ... device /dev/videoN`` line; else /dev/video0.
  * querycap: the ``Driver Info:`` block (``Driver name``, ``Card type``,
    ``Bus info``, ``Driver version``, ``Capabilities``, ``Device Caps``).
    Without ``Device Caps``, device_caps is derived from capabilities with
    V4L2_CAP_DEVICE_CAPS (0x80000000) cleared, and a note says so.
  * formats: ``ioctl: VIDIOC_ENUM_FMT`` sections (``--list-formats-ext`` and
    ``--list-formats``, new ``[0]: 'MJPG' (Motion-JPEG, compressed)`` and old
    ``Index/Type/Pixel Format/Name`` styles), video capture types only, with
    discrete sizes and discrete intervals.
  * current_format: the ``Format Video Capture:`` block.
  * controls: lines like ``brightness 0x00980900 (int) : min=0 max=255 ...``,
    de-duplicated by id (menu item lines are skipped).
  * inputs: ``Video input : 0 (Camera 1: ok)`` lines and ``--list-inputs``.
  * sysfs: the first ``udevadm info --attribute-walk`` block that shows
    ATTR{idVendor} (or ATTRS{idVendor}).
  * modules: ``lsmod`` output (first column only).

What is ignored (or only mentioned in "notes")
  Media Driver Info / Interface Info / Entity Info (used only to cross-check
  sysfs serial and bcdDevice), Priority, Video output lines, Format Video
  Output, crop and selection lines, streaming parameters, tuner and
  frequency lines, --list-devices output, v4l2-compliance test results,
  stepwise/continuous frame sizes and intervals, control values, menu item
  names, and control lines without an id (pre-1.12 v4l2-ctl).

Sections the dump does not show are left out of the JSON: absent means
unknown. Exit status 2 (with a message on stderr) when the dump has no
``Driver name`` line.
"""

import argparse
import json
import os
import re
import sys
from fractions import Fraction

SCHEMA = "captureguard.fingerprint/1"
CONVERTER = "Tools/fingerprints/from-v4l2-ctl.py"
DEFAULT_NODE = "/dev/video0"
CAP_DEVICE_CAPS = 0x80000000

# v4l2-ctl's type names -> enum v4l2_ctrl_type
CONTROL_TYPES = {
    "int": 1, "bool": 2, "menu": 3, "button": 4, "int64": 5, "ctrl_class": 6,
    "str": 7, "string": 7, "bitmask": 8, "intmenu": 9,
    "u8": 0x0100, "u16": 0x0101, "u32": 0x0102,
}

# v4l2-ctl's flag names -> V4L2_CTRL_FLAG_*
CONTROL_FLAGS = {
    "disabled": 0x0001, "grabbed": 0x0002, "read-only": 0x0004,
    "update": 0x0008, "inactive": 0x0010, "slider": 0x0020,
    "write-only": 0x0040, "volatile": 0x0080, "has-payload": 0x0100,
    "execute-on-write": 0x0200, "modify-layout": 0x0400,
    "dynamic-array": 0x0800,
}

# v4l2-ctl's field2s() names -> enum v4l2_field
FIELDS = {
    "any": 0, "none": 1, "top": 2, "bottom": 3, "interlaced": 4,
    "sequential top-bottom": 5, "sequential bottom-top": 6,
    "alternating": 7, "interlaced top-bottom": 8,
    "interlaced bottom-top": 9,
}

# v4l2-ctl's colorspace2s() names -> enum v4l2_colorspace
COLORSPACES = {
    "default": 0, "smpte 170m": 1, "smpte 240m": 2, "rec. 709": 3,
    "broken bt878": 4, "470 system m": 5, "470 system bg": 6, "jpeg": 7,
    "srgb": 8, "oprgb": 9, "adobergb": 9, "bt.2020": 10, "raw": 11,
    "dci-p3": 12,
}

# v4l2-ctl's fmtdesc2s() flag names, printed after the description
FORMAT_FLAG_NAMES = {
    "compressed", "emulated", "continuous-bytestream", "dyn-resolution",
    "enc-cap-frame-interval", "csc-colorspace", "csc-xfer-func",
    "csc-ycbcr-enc", "csc-hsv-enc", "csc-quantization", "meta-line-based",
}

CAPTURE_TYPES = {"video capture", "video capture multiplanar"}

MODULE_MARKS = {
    "v4l2loopback": "virtual_camera", "akvcam": "virtual_camera",
    "vivid": "test_driver", "vimc": "test_driver", "vim2m": "test_driver",
    "vicodec": "test_driver",
}

HEADER_RE = re.compile(r"^#\s*(source|kind|driver|notes)\s*:\s*(.*?)\s*$")
COMMAND_RE = re.compile(r"\b(v4l2-ctl|v4l2-compliance)\b(.*)$")
DEVICE_ARG_RE = re.compile(r"(?:^|\s)(?:--device(?:=|\s+)|-d\s*)(\S+)")
COMPLIANCE_NODE_RE = re.compile(r"Compliance test for .*? device (/dev/\S+?):?\s*$")
KEY_VALUE_RE = re.compile(r"^\s*([^:]+?)\s*:\s?(.*?)\s*$")
CONTROL_RE = re.compile(
    r"^\s*([A-Za-z0-9_]+)\s+0x([0-9a-fA-F]{8})\s+\(([a-z0-9_]+)\)\s*:\s*(.*?)\s*$")
OLD_CONTROL_RE = re.compile(
    r"^\s*[A-Za-z0-9_]+\s+\((?:%s)\)\s*:" % "|".join(CONTROL_TYPES))
CONTROL_NUMBER_RE = re.compile(r"\b(min|max|step|default)=(-?0x[0-9a-fA-F]+|-?\d+)")
CONTROL_FLAGS_RE = re.compile(r"\bflags=([a-z, -]+?)\s*$")
VIDEO_INPUT_RE = re.compile(r"^\s*Video input\s*:\s*(\d+)\s*\((.*)\)\s*$")
VIDEO_OUTPUT_RE = re.compile(r"^\s*Video output\s*:\s*(\d+)\s*\((.*)\)\s*$")
FMT_NEW_RE = re.compile(r"^\[(\d+)\]:\s*'([^']*)'\s*\((.*)\)\s*:?\s*$")
SIZE_RE = re.compile(r"^Size:\s*(Discrete|Stepwise|Continuous)\s*(.*)$")
DISCRETE_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")
INTERVAL_RE = re.compile(r"^Interval:\s*(Discrete|Stepwise|Continuous)\s*(.*)$")
FPS_RE = re.compile(r"\(([0-9.]+) fps\)")
UDEV_BLOCK_RE = re.compile(r"^\s*looking at (parent )?device '([^']*)':\s*$")
UDEV_ATTR_RE = re.compile(r'^\s*(ATTRS?|KERNELS?|SUBSYSTEMS?|DRIVERS?)(?:\{([^}]*)\})?=="(.*)"\s*$')
LSMOD_LINE_RE = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)(?:\s+(\S.*))?\s*$")
COMPLIANCE_STREAM_RE = re.compile(r"test (\w+) for Format (\S+), Frame Size (\d+)x(\d+)@([0-9.]+) Hz")
ELISIONS = {"../..", "...", "[...]", "\u2026", "(...)"}


class DumpError(Exception):
    """The text is not a dump this converter can read."""


def indent_of(line):
    return len(line) - len(line.lstrip()) if line.strip() else 0


def expand(line):
    return line.expandtabs(8)


class Dump:
    """The dump's lines (header removed) plus the header fields."""

    def __init__(self, text):
        lines = text.splitlines()
        self.header = {}
        start = 0
        while start < len(lines):
            m = HEADER_RE.match(lines[start])
            if not m:
                break
            self.header.setdefault(m.group(1), m.group(2))
            start += 1
        self.lines = [expand(l.rstrip("\r")) for l in lines[start:]]

    def blocks(self, header_re):
        """Yield (line index, body lines) for each line matching header_re;
        the body is every following line indented deeper than the header."""
        for i, line in enumerate(self.lines):
            if not header_re.match(line):
                continue
            base = indent_of(line)
            body = []
            for nxt in self.lines[i + 1:]:
                if not nxt.strip() or indent_of(nxt) <= base:
                    break
                body.append(nxt)
            yield i, body


def key_values(body):
    """First value of each "Key : value" line of a block (keys as printed)."""
    values = {}
    for line in body:
        m = KEY_VALUE_RE.match(line)
        if m and m.group(1) not in values:
            values[m.group(1)] = m.group(2)
    return values


def parse_int(text):
    text = text.strip()
    return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text)


def fps_to_interval(fps_text):
    """"7.500" -> [2, 15]: seconds per frame as [numerator, denominator]."""
    fps = Fraction(fps_text).limit_denominator(1001)
    if fps <= 0:
        raise ValueError("non-positive fps")
    interval = 1 / fps
    return [interval.numerator, interval.denominator]


# ---------------------------------------------------------------- sections

def find_node(dump, first_block_line, notes):
    before, anywhere = [], []
    for i, line in enumerate(dump.lines):
        node = None
        m = COMMAND_RE.search(line)
        if m:
            d = DEVICE_ARG_RE.search(m.group(2))
            if d:
                node = d.group(1)
                if node.isdigit():
                    node = "/dev/video" + node
            pipe = re.search(r"\|\s*(head|tail|grep)\b", m.group(2))
            if pipe:
                notes.append("the dump's command `%s` was piped through %s, so its "
                             "output may be incomplete"
                             % ((m.group(1) + m.group(2)).strip(), pipe.group(1)))
        else:
            c = COMPLIANCE_NODE_RE.search(line)
            if c:
                node = c.group(1)
        if node:
            anywhere.append(node)
            if first_block_line is None or i < first_block_line:
                before.append(node)
    chosen = (before[-1] if before else anywhere[0]) if anywhere else None
    if chosen is None:
        notes.append("no device path in the dump's command lines; node assumed %s" % DEFAULT_NODE)
        return DEFAULT_NODE
    others = sorted(set(anywhere) - {chosen})
    if others:
        notes.append("the dump also names %s; node taken as %s" % (", ".join(others), chosen))
    return chosen


def parse_querycap(dump, notes):
    header = re.compile(r"^\s*Driver Info(?: \([^)]*\))?:\s*$")
    blocks = [(i, key_values(body)) for i, body in dump.blocks(header)]
    blocks = [(i, kv) for i, kv in blocks if "Driver name" in kv]
    if not blocks:
        # No "Driver Info:" header: take the lines from the first "Driver name".
        for i, line in enumerate(dump.lines):
            if re.match(r"^\s*Driver name\s*:", line) and not _in_media_block(dump, i):
                body = []
                for nxt in dump.lines[i:]:
                    if not KEY_VALUE_RE.match(nxt) and nxt.strip() and indent_of(nxt) <= indent_of(line):
                        break
                    body.append(nxt)
                blocks = [(i, key_values(body))]
                notes.append("no 'Driver Info:' header; querycap read from the lines after 'Driver name'")
                break
    if not blocks:
        raise DumpError("no 'Driver name' line: not a v4l2-ctl --all/-D or v4l2-compliance dump")
    first_line, kv = blocks[0]
    if len(blocks) > 1:
        same = all(other == kv for _, other in blocks[1:])
        notes.append("Driver Info is printed %d times (%s); the first is used"
                     % (len(blocks), "identical" if same else "they differ"))

    def need(key):
        if key not in kv:
            raise DumpError("the Driver Info block has no '%s' line" % key)
        return kv[key]

    version_parts = [int(p) for p in re.findall(r"\d+", need("Driver version"))[:3]]
    version_parts += [0] * (3 - len(version_parts))
    a, b, c = version_parts
    capabilities = parse_int(need("Capabilities"))
    if "Device Caps" in kv:
        device_caps = parse_int(kv["Device Caps"])
    elif capabilities & CAP_DEVICE_CAPS:
        device_caps = capabilities & ~CAP_DEVICE_CAPS
        notes.append("Device Caps not shown in the dump; device_caps 0x%08x derived from "
                     "capabilities 0x%08x with V4L2_CAP_DEVICE_CAPS (0x80000000) cleared"
                     % (device_caps, capabilities))
    else:
        device_caps = 0
        notes.append("Device Caps not shown and capabilities lack V4L2_CAP_DEVICE_CAPS; "
                     "device_caps set to 0 as the kernel would report it")
    querycap = {
        "driver": need("Driver name"),
        "card": kv.get("Card type", ""),
        "bus_info": kv.get("Bus info", ""),
        "version": (a << 16) | (b << 8) | c,
        "capabilities": capabilities,
        "device_caps": device_caps,
    }
    for key, name in (("Card type", "card"), ("Bus info", "bus_info")):
        if key not in kv:
            notes.append("Driver Info has no '%s' line; %s left empty" % (key, name))
    return first_line, querycap


def _in_media_block(dump, index):
    for j in range(index - 1, -1, -1):
        line = dump.lines[j]
        if indent_of(line) == 0 and line.strip():
            return line.strip().startswith("Media Driver Info")
    return False


def media_info(dump):
    header = re.compile(r"^\s*Media Driver Info:\s*$")
    for _, body in dump.blocks(header):
        return key_values(body)
    return {}


def parse_formats(dump, notes):
    formats = {}          # index -> format dict (insertion ordered)
    skipped_types = set()
    skipped_sizes = 0
    skipped_intervals = 0
    saw_section = False
    for i, line in enumerate(dump.lines):
        if not re.match(r"^\s*ioctl:\s*VIDIOC_ENUM_FMT\s*$", line):
            continue
        saw_section = True
        buf_type = None
        current = None
        size = None
        section = {}
        for raw in dump.lines[i + 1:]:
            text = raw.strip()
            if not text:
                continue
            m_type = re.match(r"^Type\s*:\s*(.+)$", text)
            m_new = FMT_NEW_RE.match(text)
            m_index = re.match(r"^Index\s*:\s*(\d+)$", text)
            m_pix = re.match(r"^Pixel Format\s*:\s*'([^']*)'\s*(?:\((.*)\))?$", text)
            m_name = re.match(r"^Name\s*:\s*(.*)$", text)
            m_size = SIZE_RE.match(text)
            m_ival = INTERVAL_RE.match(text)
            if m_type:
                buf_type = m_type.group(1).strip().lower()
                if current is not None and current["_old"] and current["fourcc"] is None:
                    current["_type"] = buf_type     # old style: Type follows Index
            elif m_new:
                inner = [p.strip() for p in m_new.group(3).split(",")]
                flags = []
                while len(inner) > 1 and inner[-1] in FORMAT_FLAG_NAMES:
                    flags.insert(0, inner.pop())
                current = {"index": int(m_new.group(1)), "fourcc": m_new.group(2),
                           "description": ", ".join(inner), "flags": flags,
                           "sizes": [], "_type": buf_type, "_sized": False, "_old": False}
                section[current["index"]] = current
                size = None
            elif m_index:
                current = {"index": int(m_index.group(1)), "fourcc": None, "description": "",
                           "flags": [], "sizes": [], "_type": None, "_sized": False, "_old": True}
                section[current["index"]] = current
                size = None
            elif m_pix and current is not None:
                current["fourcc"] = m_pix.group(1)
                if m_pix.group(2):
                    current["flags"] = [f.strip() for f in m_pix.group(2).split(",")
                                        if f.strip() in FORMAT_FLAG_NAMES]
            elif m_name and current is not None:
                current["description"] = m_name.group(1)
            elif m_size and current is not None:
                current["_sized"] = True
                if m_size.group(1) == "Discrete" and DISCRETE_SIZE_RE.match(m_size.group(2).strip()):
                    w, h = DISCRETE_SIZE_RE.match(m_size.group(2).strip()).groups()
                    size = {"kind": "discrete", "width": int(w), "height": int(h), "intervals": []}
                    current["sizes"].append(size)
                else:
                    skipped_sizes += 1
                    size = None
            elif m_ival and current is not None:
                fps = FPS_RE.search(m_ival.group(2))
                if size is not None and m_ival.group(1) == "Discrete" and fps:
                    try:
                        size["intervals"].append(fps_to_interval(fps.group(1)))
                    except (ValueError, ZeroDivisionError):
                        skipped_intervals += 1
                elif size is not None:
                    skipped_intervals += 1
            else:
                break     # the first line that is not part of the listing ends it
        if any(fmt["_sized"] for fmt in section.values()):
            # a --list-formats-ext listing: a format without sizes really has none
            for fmt in section.values():
                fmt["_sized"] = True
        for index, fmt in section.items():
            if fmt["_type"] is not None and fmt["_type"] not in CAPTURE_TYPES:
                skipped_types.add(fmt["_type"])
                continue
            old = formats.get(index)
            if old is None or (fmt["_sized"] and not old["_sized"]):
                formats[index] = fmt
    if not saw_section:
        return None
    if skipped_types:
        notes.append("formats of buffer types %s skipped (only video capture is converted)"
                     % ", ".join(sorted(skipped_types)))
    if skipped_sizes:
        notes.append("%d stepwise/continuous frame size(s) skipped" % skipped_sizes)
    if skipped_intervals:
        notes.append("%d stepwise/continuous or unreadable frame interval(s) skipped" % skipped_intervals)
    result = []
    unsized = 0
    for fmt in sorted(formats.values(), key=lambda f: f["index"]):
        if not fmt["fourcc"]:
            continue
        entry = {"fourcc": fmt["fourcc"], "description": fmt["description"],
                 "emulated": "emulated" in fmt["flags"],
                 "compressed": "compressed" in fmt["flags"]}
        if fmt["_sized"]:
            entry["sizes"] = fmt["sizes"]
        else:
            unsized += 1
        result.append(entry)
    if unsized:
        notes.append("%d format(s) listed without frame sizes (--list-formats, not -ext); "
                     "their sizes are unknown and left out" % unsized)
    return result or None


def parse_current_format(dump, notes):
    header = re.compile(r"^\s*Format Video Capture( Multiplanar)?:\s*$")
    found = [(i, key_values(body)) for i, body in dump.blocks(header)]
    if not found:
        if any(re.match(r"^\s*Format Video Output", l) for l in dump.lines):
            notes.append("only a 'Format Video Output' block is shown; the capture format "
                         "(current_format) is unknown")
        return None
    _, kv = found[0]
    if len(found) > 1 and any(other != kv for _, other in found[1:]):
        notes.append("Format Video Capture is printed %d times and they differ; the first is used"
                     % len(found))
    if dump.lines[found[0][0]].strip().endswith("Multiplanar:"):
        notes.append("current_format is from a multiplanar capture format (plane 0 shown)")
    try:
        w, h = re.match(r"^(\d+)\s*/\s*(\d+)", kv["Width/Height"]).groups()
        fourcc = re.match(r"^'([^']*)'", kv["Pixel Format"]).group(1)
        bytesperline = int(kv["Bytes per Line"])
        sizeimage = int(kv["Size Image"])
    except (KeyError, AttributeError, ValueError):
        notes.append("Format Video Capture block is incomplete; current_format left out")
        return None
    field_name = kv.get("Field", "").strip()
    field = FIELDS.get(field_name.lower())
    if field is None:
        notes.append("field %r not recognised; current_format.field set to 1 (none)" % field_name)
        field = 1
    cs_name = kv.get("Colorspace", "").strip()
    colorspace = COLORSPACES.get(cs_name.lower())
    if colorspace is None:
        notes.append("colorspace %r not recognised; current_format.colorspace set to 0 (default)"
                     % cs_name)
        colorspace = 0
    return {"fourcc": fourcc, "width": int(w), "height": int(h),
            "bytesperline": bytesperline, "sizeimage": sizeimage,
            "field": field, "colorspace": colorspace}


def parse_controls(dump, notes):
    controls = {}
    duplicates = 0
    conflicts = set()
    old_style = 0
    unknown_types = set()
    unknown_flags = set()
    for line in dump.lines:
        m = CONTROL_RE.match(line)
        if not m:
            if OLD_CONTROL_RE.match(line):
                old_style += 1
            continue
        name, cid, type_name, rest = m.group(1), int(m.group(2), 16), m.group(3), m.group(4)
        if type_name not in CONTROL_TYPES:
            unknown_types.add(type_name)
            continue
        ctype = CONTROL_TYPES[type_name]
        numbers = {k: parse_int(v) for k, v in CONTROL_NUMBER_RE.findall(rest)}
        flags = 0
        fm = CONTROL_FLAGS_RE.search(rest)
        if fm:
            for flag in (f.strip() for f in fm.group(1).split(",")):
                if flag in CONTROL_FLAGS:
                    flags |= CONTROL_FLAGS[flag]
                elif flag:
                    unknown_flags.add(flag)
        if ctype == 2:                      # bool: the dump shows only default
            lo, hi, step = 0, 1, 1
        elif ctype in (4, 6):               # button, class: all zero
            lo, hi, step = 0, 0, 0
        elif ctype == 8:                    # bitmask: max and default only
            lo, hi, step = 0, numbers.get("max", 0), 0
        else:
            lo, hi = numbers.get("min", 0), numbers.get("max", 0)
            step = numbers.get("step", 1 if ctype in (3, 9) else 0)
        control = {"id": cid, "name": name, "type": ctype, "minimum": lo, "maximum": hi,
                   "step": step, "default": numbers.get("default", 0), "flags": flags}
        if cid in controls:
            duplicates += 1
            if controls[cid] != control:
                conflicts.add(name)
            continue
        controls[cid] = control
    if duplicates:
        notes.append("%d repeated control line(s) de-duplicated by id%s"
                     % (duplicates, "; conflicting repeats for " + ", ".join(sorted(conflicts))
                        + " (first kept)" if conflicts else ""))
    if old_style:
        notes.append("%d control line(s) without a control id (old v4l2-ctl) skipped" % old_style)
    if unknown_types:
        notes.append("controls of types %s skipped" % ", ".join(sorted(unknown_types)))
    if unknown_flags:
        notes.append("unknown control flag names ignored: %s" % ", ".join(sorted(unknown_flags)))
    return list(controls.values()) or None


def parse_inputs(dump, notes):
    inputs = {}
    for line in dump.lines:
        m = VIDEO_INPUT_RE.match(line)
        if m:
            inner = m.group(2)
            name, sep, _status = inner.rpartition(": ")
            inputs.setdefault(int(m.group(1)), name if sep else inner)
        o = VIDEO_OUTPUT_RE.match(line)
        if o:
            note = "video output %s (%s) is shown; outputs are not part of the fingerprint" % (
                o.group(1), o.group(2))
            if note not in notes:
                notes.append(note)
    # --list-inputs style: "Input : 0" / "Name : Camera 1" / "Type : 0x00000002 (Camera)"
    typed = {}
    for i, line in enumerate(dump.lines):
        m = re.match(r"^\s*Input\s*:\s*(\d+)\s*$", line)
        if not m:
            continue
        kv = key_values(dump.lines[i + 1:i + 8])
        index = int(m.group(1))
        if "Name" in kv:
            inputs.setdefault(index, kv["Name"])
        t = re.match(r"^(0x[0-9a-fA-F]+|\d+)", kv.get("Type", ""))
        if t:
            typed[index] = parse_int(t.group(1))
    if not inputs:
        return None
    if set(inputs) - set(typed):
        notes.append("input type is not printed by v4l2-ctl --all; assumed 2 (camera)")
    return [{"index": i, "name": n, "type": typed.get(i, 2)} for i, n in sorted(inputs.items())]


def parse_sysfs(dump, querycap, notes):
    for i, line in enumerate(dump.lines):
        m = UDEV_BLOCK_RE.match(line)
        if not m:
            continue
        attrs, kernel, subsystem = {}, None, None
        for nxt in dump.lines[i + 1:]:
            a = UDEV_ATTR_RE.match(nxt)
            if not a:
                break
            kind, key, value = a.groups()
            if kind.startswith("ATTR"):
                attrs[key] = value.strip()
            elif kind.startswith("KERNEL"):
                kernel = value
            elif kind.startswith("SUBSYSTEM"):
                subsystem = value
        if "idVendor" not in attrs:
            continue
        usb = {}
        for attr, key in (("idVendor", "vendor_id"), ("idProduct", "product_id"),
                          ("manufacturer", "manufacturer"), ("product", "product"),
                          ("serial", "serial"), ("bcdDevice", "bcd_device"), ("speed", "speed")):
            if attr in attrs:
                usb[key] = attrs[attr]
        notes.append("sysfs from the udevadm attribute walk, %s '%s'"
                     % ("parent device" if m.group(1) else "device", m.group(2)))
        _check_sysfs(dump, querycap, m.group(2), kernel, attrs, notes)
        return {"bus": subsystem or "usb", "usb": usb}
    if any(re.match(r"^\s*Bus \d+ Device \d+: ID [0-9a-f]{4}:[0-9a-f]{4}", l) for l in dump.lines):
        notes.append("lsusb lines are shown but do not tie a USB device to the node; sysfs left out")
    return None


def _check_sysfs(dump, querycap, devpath, kernel, attrs, notes):
    """Compare the udevadm device with querycap bus_info and Media Driver Info."""
    bus_info = querycap.get("bus_info", "")
    name = kernel or devpath.rsplit("/", 1)[-1]
    parts = devpath.strip("/").split("/")
    roots = [k for k, part in enumerate(parts) if re.match(r"^usb\d+$", part)]
    if bus_info.startswith("usb-") and "-" in name and roots and roots[-1] > 0:
        port = name.split("-", 1)[1]                  # "1-1.3" -> devpath "1.3"
        expected = "usb-%s-%s" % (parts[roots[-1] - 1], port)
        if expected and expected != bus_info:
            notes.append("udevadm device %s (bus_info would be %s) does not match the node's "
                         "bus_info %s: the walk and the v4l2-ctl output may be from different "
                         "plug-ins or ports" % (name, expected, bus_info))
        elif expected:
            notes.append("udevadm device %s matches the node's bus_info %s" % (name, bus_info))
    media = media_info(dump)
    if media.get("Serial") and "serial" in attrs:
        notes.append("udevadm serial %r %s Media Driver Info serial %r" % (
            attrs["serial"], "matches" if media["Serial"] == attrs["serial"] else "differs from",
            media["Serial"]))
    rev = re.match(r"^0x([0-9a-fA-F]+)", media.get("Hardware revision", ""))
    if rev and "bcdDevice" in attrs:
        same = int(rev.group(1), 16) == int(attrs["bcdDevice"], 16)
        notes.append("udevadm bcdDevice %s %s Media Driver Info hardware revision 0x%s" % (
            attrs["bcdDevice"], "matches" if same else "differs from", rev.group(1)))


def parse_modules(dump, notes):
    modules = []
    used_by = set()
    in_lsmod = False
    filtered = None
    for line in dump.lines:
        if re.search(r"\blsmod\b", line):
            in_lsmod = True
            g = re.search(r"\blsmod\b.*\|\s*(grep\b.*)$", line)
            if g:
                filtered = g.group(1).strip()
            continue
        if re.match(r"^Module\s+Size\s+Used by", line):
            in_lsmod = True
            continue
        if not in_lsmod:
            continue
        m = LSMOD_LINE_RE.match(line)
        if not m:
            in_lsmod = False
            continue
        name = m.group(1)
        if all(mod["name"] != name for mod in modules):
            modules.append({"name": name, "marked": MODULE_MARKS.get(name)})
        if m.group(4):
            used_by.update(u for u in m.group(4).replace("[permanent]", "").split(",") if u.strip())
    if not modules:
        return None
    if filtered:
        notes.append("lsmod output was filtered (`lsmod | %s`): the module list is partial" % filtered)
    unlisted = sorted(u.strip() for u in used_by if all(u.strip() != m["name"] for m in modules))
    if unlisted:
        notes.append("lsmod 'Used by' also names %s (loaded, but not listed as a line)"
                     % ", ".join(unlisted))
    return modules


def general_notes(dump, notes):
    if any(l.strip() in ELISIONS for l in dump.lines):
        notes.append("the dump contains an elision ('../..' or '...'); sections may be missing")
    tested = []
    for line in dump.lines:
        m = COMPLIANCE_STREAM_RE.search(line)
        if m:
            tested.append("%s %sx%s@%s Hz (%s)" % (m.group(2), m.group(3), m.group(4),
                                                   m.group(5), m.group(1)))
    if tested:
        notes.append("v4l2-compliance streamed %s; compliance test lines are not converted "
                     "into formats" % "; ".join(tested))
    if any(re.search(r"\s:\s.*\S[#$] (v4l2-ctl|v4l2-compliance)\b", l) for l in dump.lines):
        notes.append("a command prompt is glued to the previous output line (missing newline "
                     "in the published dump)")


def missing_output_notes(dump, doc, notes):
    """Say when a command asked for something that the dump does not show."""
    asked = set()
    for line in dump.lines:
        m = COMMAND_RE.search(line)
        if m and m.group(1) == "v4l2-ctl":
            asked.update(m.group(2).split("|")[0].split())
    wants = (
        ("formats", {"--list-formats-ext", "--list-formats"}, "a format list"),
        ("controls", {"-L", "-l", "--list-ctrls", "--list-ctrls-menus"}, "controls"),
        ("current_format", {"--all", "-a", "-V", "--get-fmt-video"}, "the capture format"),
    )
    for key, options, what in wants:
        used = sorted(asked & options)
        if key not in doc and used and not (
                key == "current_format" and any("Format Video Output" in l for l in dump.lines)):
            notes.append("the dump's v4l2-ctl command asked for %s (%s) but the dump shows none; "
                         "the published output is probably cut short" % (what, " ".join(used)))


# ---------------------------------------------------------------- driver

def convert(text, label="dump"):
    dump = Dump(text)
    notes = []
    first_block, querycap = parse_querycap(dump, notes)
    node = find_node(dump, first_block, notes)
    source = dump.header.get("source") or "unknown (no '# source:' header in %s)" % label
    doc = {
        "schema": SCHEMA,
        "node": node,
        "source": "v4l2-ctl dump: %s (converted by %s)" % (source, CONVERTER),
        "querycap": querycap,
    }
    sections = (
        ("formats", parse_formats(dump, notes)),
        ("current_format", parse_current_format(dump, notes)),
        ("controls", parse_controls(dump, notes)),
        ("inputs", parse_inputs(dump, notes)),
        ("sysfs", parse_sysfs(dump, querycap, notes)),
        ("modules", parse_modules(dump, notes)),
    )
    for key, value in sections:
        if value is not None:
            doc[key] = value
    general_notes(dump, notes)
    missing_output_notes(dump, doc, notes)
    doc["notes"] = notes
    return doc


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Convert a v4l2-ctl / v4l2-compliance text dump into a "
                    "captureguard.fingerprint/1 JSON document.")
    parser.add_argument("dump", help="the dump text file")
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    try:
        with open(args.dump, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        print("error: cannot read %s: %s" % (args.dump, e.strerror), file=sys.stderr)
        return 2
    try:
        doc = convert(text, os.path.basename(args.dump))
    except DumpError as e:
        print("error: %s: %s" % (args.dump, e), file=sys.stderr)
        return 2
    out = json.dumps(doc, indent=2) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(out)
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
