// CaptureModel: the plain values that flow through CaptureGuard's pipeline.
//
// Pixel formats, frame layouts, per-frame kernel metadata, device fingerprints and
// the `FrameSource` seam live here. Nothing in this module performs I/O or
// touches a device, so analysers and tests can build these values from arrays.

/// A V4L2 pixel format, identified by its fourcc code.
///
/// Only the capture engine ever sees the raw `UInt32`; everything above it uses
/// the named members such as `.yuyv` and `.mjpeg`.
public struct PixelFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Builds a format from its four-character code, e.g. `"YUYV"`.
    /// Returns nil unless the code is exactly four ASCII characters.
    public init?(fourcc: String) {
        let bytes = Array(fourcc.utf8)
        guard bytes.count == 4, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
        rawValue = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    private static func code(_ s: StaticString) -> PixelFormat {
        let p = s.utf8Start
        return PixelFormat(rawValue: UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24)
    }

    public static let yuyv = code("YUYV")
    public static let uyvy = code("UYVY")
    public static let mjpeg = code("MJPG")
    public static let jpeg = code("JPEG")
    public static let nv12 = code("NV12")
    public static let nv21 = code("NV21")
    /// Planar Y, U, V 4:2:0 (`V4L2_PIX_FMT_YUV420`), the analysers' working format.
    public static let yu12 = code("YU12")
    public static let yv12 = code("YV12")
    /// Planar Y, U, V 4:2:2 (`V4L2_PIX_FMT_YUV422P`); what a Y4M `C422` file holds.
    public static let yuv422p = code("422P")
    public static let grey = code("GREY")
    public static let rgb24 = code("RGB3")
    public static let bgr24 = code("BGR3")
    public static let h264 = code("H264")

    /// The four characters, with non-printable bytes shown as `.`.
    public var fourcc: String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }
        return String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
    }

    public var description: String { fourcc }

    /// Formats whose payload size is not a function of width and height.
    public var isCompressed: Bool { self == .mjpeg || self == .jpeg || self == .h264 }

    /// The formats CaptureGuard can lay out, repack and analyse.
    public static let supported: [PixelFormat] = [.yuyv, .uyvy, .mjpeg, .jpeg, .nv12, .nv21, .yu12, .yv12, .yuv422p, .grey, .rgb24, .bgr24]
}

extension PixelFormat: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let format = PixelFormat(fourcc: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a fourcc: \(text)")
        }
        self = format
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fourcc)
    }
}

/// A ratio such as a frame interval (seconds per frame), kept exact as V4L2 gives it.
public struct Fraction: Hashable, Sendable, Codable, CustomStringConvertible {
    public var numerator: UInt32
    public var denominator: UInt32

    public init(_ numerator: UInt32, _ denominator: UInt32) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public var isValid: Bool { numerator != 0 && denominator != 0 }
    public var doubleValue: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }
    /// Frames per second, for an interval in seconds per frame.
    public var framesPerSecond: Double? { isValid ? Double(denominator) / Double(numerator) : nil }
    public var description: String { "\(numerator)/\(denominator)" }

    /// Encoded as `[numerator, denominator]`, the shape V4L2 documentation uses.
    public init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        numerator = try container.decode(UInt32.self)
        denominator = try container.decode(UInt32.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(numerator)
        try container.encode(denominator)
    }
}
