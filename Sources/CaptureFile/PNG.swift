import CaptureModel

/// Writes PNG images (ISO/IEC 15948) for attestation evidence: 8-bit RGB or
/// grey, no filtering, zlib "stored" (uncompressed) deflate blocks. Larger
/// than a compressed PNG, but byte-exact, dependency-free, and readable by
/// every decoder; the server hashes these exact bytes.
public enum PNG {
    public enum ColorType: UInt8, Sendable {
        case grey = 0
        case rgb = 2

        var channels: Int { self == .grey ? 1 : 3 }
    }

    /// Nil when `pixels` does not hold width x height x channels bytes.
    public static func encode(pixels: [UInt8], width: Int, height: Int, color: ColorType) -> [UInt8]? {
        let rowBytes = width * color.channels
        guard width > 0, height > 0, width < 1 << 24, height < 1 << 24, pixels.count == rowBytes * height else { return nil }
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * height)
        for row in 0..<height {
            raw.append(0)  // filter type None
            raw += pixels[(row * rowBytes)..<((row + 1) * rowBytes)]
        }
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, color.rawValue, 0, 0, 0]
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", header)
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(UInt32(data.count))
        let body = Array(type.utf8) + data
        out += body
        out.appendBigEndian(CRC32.of(body))
        return out
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        let blockSize = 65_535
        var offset = 0
        repeat {
            let count = min(blockSize, data.count - offset)
            let final: UInt8 = offset + count >= data.count ? 1 : 0
            out.append(final)
            out += [UInt8(count & 0xff), UInt8(count >> 8), UInt8(~count & 0xff), UInt8((~count >> 8) & 0xff)]
            out += data[offset..<(offset + count)]
            offset += count
        } while offset < data.count
        out.appendBigEndian(adler32(data))
        return out
    }

    /// Adler-32 (RFC 1950 §9), the zlib stream's checksum.
    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        // 5552 is the largest run before b can overflow 32 bits (zlib's NMAX).
        var index = 0
        while index < data.count {
            let end = min(index + 5552, data.count)
            for byte in data[index..<end] {
                a += UInt32(byte)
                b += a
            }
            a %= 65_521
            b %= 65_521
            index = end
        }
        return b << 16 | a
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)])
    }
}
