#!/usr/bin/env python3
"""An independent reader of CaptureGuard's .cgcap format (README, "Capture file
format"), written from the specification rather than from the Swift code, so
tests can check that the two agree. Also handy for red teams.

Usage:
  cgcap.py info FILE              header, trailer and integrity as JSON
  cgcap.py frames FILE            per-frame metadata as JSON lines
  cgcap.py payloads FILE OUT      write every payload, concatenated, to OUT

As a module: read(path) returns (header, frames, trailer, integrity);
write(path, header, frames, trailer) and Writer write a capture (the
evaluation corpus, Tools/corpus/, makes its captures with them).
"""
import json, os, struct, sys, zlib

MAGIC = b"CGCAP\r\n\x1a"
UNKNOWN = -(2 ** 63)


def read(path):
    """Returns (header, frames, trailer, integrity); frames are (meta, payload)."""
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise ValueError("not a CaptureGuard capture")
    version, _, length, crc = struct.unpack_from("<HHII", data, 8)
    if version != 1:
        raise ValueError(f"version {version}")
    header_bytes = data[20:20 + length]
    if len(header_bytes) != length or zlib.crc32(header_bytes) != crc:
        raise ValueError("corrupt header")
    header = json.loads(header_bytes)
    frames, trailer, integrity = [], None, "truncated"
    pos = 20 + length
    while pos < len(data):
        tag = data[pos:pos + 4]
        if tag == b"END!":
            if pos + 8 > len(data):
                break
            (n,) = struct.unpack_from("<I", data, pos + 4)
            body = data[pos:pos + 8 + n]
            if len(data) < pos + 12 + n:
                break
            (crc,) = struct.unpack_from("<I", data, pos + 8 + n)
            if zlib.crc32(body) != crc:
                integrity = "damaged"
                break
            trailer = json.loads(data[pos + 8:pos + 8 + n])
            integrity = "complete"
            break
        if tag != b"FRME":
            integrity = "damaged"
            break
        if pos + 40 > len(data):
            break
        length, seq, flags, ts, host, used, field = struct.unpack_from("<IIIqqII", data, pos + 4)
        end = pos + 40 + length + 4
        if end > len(data):
            break
        (crc,) = struct.unpack_from("<I", data, pos + 40 + length)
        if zlib.crc32(data[pos:pos + 40 + length]) != crc:
            integrity = "damaged"
            break
        meta = {"index": len(frames), "sequence": seq, "flags": flags,
                "timestamp_ns": None if ts == UNKNOWN else ts,
                "host_monotonic_ns": None if host == UNKNOWN else host,
                "bytesused": used, "field": field}
        frames.append((meta, data[pos + 40:pos + 40 + length]))
        pos = end
    return header, frames, trailer, integrity


class Writer:
    """Writes a capture frame by frame: Writer(path, header), then frame(meta,
    payload) per frame, then close(trailer). Like the importers, it writes a
    hidden temporary file beside `path` and renames it into place on close().
    meta: sequence, flags, timestamp_ns and host_monotonic_ns (None = unknown),
    bytesused (default: the payload length) and field (default 1, NONE)."""

    def __init__(self, path, header):
        self.path = path
        directory, name = os.path.split(os.path.abspath(path))
        self.temporary = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
        self.out = open(self.temporary, "wb")
        self.frames = 0
        body = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
        if len(body) > 16 << 20:
            raise ValueError("header longer than 16 MiB")
        self.out.write(MAGIC + struct.pack("<HHII", 1, 0, len(body), zlib.crc32(body)) + body)

    def frame(self, meta, payload):
        payload = bytes(payload)
        if len(payload) > 256 << 20:
            raise ValueError("payload longer than 256 MiB")

        def known(value):
            return UNKNOWN if value is None else int(value)

        head = b"FRME" + struct.pack(
            "<IIIqqII", len(payload), int(meta["sequence"]) & 0xFFFFFFFF, int(meta.get("flags", 0)),
            known(meta.get("timestamp_ns")), known(meta.get("host_monotonic_ns")),
            int(meta.get("bytesused", len(payload))), int(meta.get("field", 1)))
        self.out.write(head)
        self.out.write(payload)
        self.out.write(struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))))
        self.frames += 1

    def close(self, trailer=None):
        """Writes the end record (default {"frames": N, "reason": "complete"})
        and renames the file into place. trailer=False leaves no end record
        (a truncated capture)."""
        if trailer is not False:
            if trailer is None:
                trailer = {"frames": self.frames, "reason": "complete"}
            body = json.dumps(trailer, separators=(",", ":"), sort_keys=True).encode()
            record = b"END!" + struct.pack("<I", len(body)) + body
            self.out.write(record + struct.pack("<I", zlib.crc32(record)))
        self.out.close()
        os.replace(self.temporary, self.path)

    def abort(self):
        self.out.close()
        try:
            os.unlink(self.temporary)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            self.abort()


def write(path, header, frames, trailer=None):
    """Writes a whole capture; frames is an iterable of (meta, payload)."""
    writer = Writer(path, header)
    try:
        for meta, payload in frames:
            writer.frame(meta, payload)
    except BaseException:
        writer.abort()
        raise
    writer.close(trailer)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("info", "frames", "payloads"):
        sys.exit(__doc__)
    header, frames, trailer, integrity = read(argv[2])
    if argv[1] == "info":
        print(json.dumps({"header": header, "trailer": trailer, "integrity": integrity, "frames": len(frames)}, indent=2))
    elif argv[1] == "frames":
        for meta, _ in frames:
            print(json.dumps(meta))
    else:
        with open(argv[3], "wb") as out:
            for _, payload in frames:
                out.write(payload)


if __name__ == "__main__":
    main(sys.argv)
