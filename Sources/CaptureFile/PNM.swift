/// Binary Netpbm stills: PGM (P5, gray) and PPM (P6, RGB) with 8-bit
/// samples, the formats `ffmpeg -i photo.jpg photo.pgm` writes. Enough to
/// feed any image to the face detector without an image library.
public struct PNMImage: Sendable {
    public let width: Int
    public let height: Int
    /// 1 for PGM, 3 (R, G, B) for PPM.
    public let channels: Int
    public let samples: [UInt8]

    /// Largest side accepted; a header claiming more is refused before any
    /// allocation.
    public static let maximumSide = 16384

    public static func isPNM(_ prefix: ArraySlice<UInt8>) -> Bool {
        prefix.count >= 2 && prefix.first == UInt8(ascii: "P")
            && (prefix[prefix.startIndex + 1] == UInt8(ascii: "5") || prefix[prefix.startIndex + 1] == UInt8(ascii: "6"))
    }

    public init(path: String) throws(CaptureFileError) {
        let input = try InputFile(path: path)
        let magic = Array(try input.read(2))
        guard magic.count == 2, magic[0] == UInt8(ascii: "P"), magic[1] == UInt8(ascii: "5") || magic[1] == UInt8(ascii: "6") else {
            throw .invalidInput(path: path, reason: "not a binary PGM or PPM (P5/P6) image")
        }
        channels = magic[1] == UInt8(ascii: "5") ? 1 : 3
        // Header: three decimal fields separated by whitespace and '#'
        // comments, then exactly one whitespace byte before the samples.
        var fields: [Int] = []
        while fields.count < 3 {
            guard let byte = try input.read(1).first else { throw .invalidInput(path: path, reason: "truncated PNM header") }
            if byte == UInt8(ascii: "#") {
                while let next = try input.read(1).first, next != 0x0A {}
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                continue
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                var value = Int(byte - UInt8(ascii: "0"))
                while true {
                    guard let next = try input.peek(1).first else { throw .invalidInput(path: path, reason: "truncated PNM header") }
                    guard next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9") else { break }
                    _ = try input.read(1)
                    value = value * 10 + Int(next - UInt8(ascii: "0"))
                    guard value <= 1 << 20 else { throw .invalidInput(path: path, reason: "PNM header number too large") }
                }
                fields.append(value)
            } else {
                throw .invalidInput(path: path, reason: "malformed PNM header at byte \(input.offset - 1)")
            }
        }
        guard let separator = try input.read(1).first, separator == 0x20 || separator == 0x09 || separator == 0x0A || separator == 0x0D else {
            throw .invalidInput(path: path, reason: "malformed PNM header: no whitespace before the samples")
        }
        let (width, height, maximum) = (fields[0], fields[1], fields[2])
        guard (1...Self.maximumSide).contains(width), (1...Self.maximumSide).contains(height) else {
            throw .invalidInput(path: path, reason: "PNM size \(width)x\(height) is out of range (1...\(Self.maximumSide))")
        }
        guard maximum == 255 else {
            throw .invalidInput(path: path, reason: "PNM maximum value \(maximum) is not supported (8-bit, 255, only)")
        }
        let expected = width * height * channels
        // Refuse a short file before reading, so a 20-byte header cannot make
        // us allocate for a giant image.
        guard input.size - input.offset >= expected else {
            throw .invalidInput(path: path, reason: "truncated: \(max(0, input.size - input.offset)) of \(expected) sample bytes")
        }
        let samples = try input.read(expected)
        guard samples.count == expected else {
            throw .invalidInput(path: path, reason: "truncated: \(samples.count) of \(expected) sample bytes")
        }
        self.width = width
        self.height = height
        self.samples = samples
    }
}

/// Tells input formats apart by their first bytes.
public enum FileSignature {
    public static func prefix(of path: String, count: Int) throws(CaptureFileError) -> [UInt8] {
        Array(try InputFile(path: path).peek(count))
    }
}
