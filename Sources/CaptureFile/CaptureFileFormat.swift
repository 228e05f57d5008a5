// CaptureFile: the `.cgcap` container that holds CaptureGuard's corpus, and
// the Y4M and MJPEG bridges that turn any video into a capture and back.
//
// A capture file is append-only while recording: a fixed preamble and a JSON
// header (device fingerprint, negotiated format, frame interval), then one
// self-checking record per frame with the kernel metadata and the payload
// exactly as delivered, then an end record. A recorder that is killed loses
// at most the frame it was writing; the reader recovers every whole frame.
// The byte layout is specified in the README ("Capture file format").

import CaptureModel
import Foundation

/// Constants of the on-disk layout, version 1. All integers little-endian.
enum CaptureFileLayout {
    /// PNG-style magic: the CR LF and SUB bytes catch text-mode mangling.
    static let magic: [UInt8] = Array("CGCAP".utf8) + [0x0d, 0x0a, 0x1a]
    static let version: UInt16 = 1
    /// magic(8) version(2) reserved(2) header_length(4) header_crc32(4)
    static let preambleSize = 20
    /// Bounds a header a reader will allocate for: a real device fingerprint
    /// is tens of KiB (vivid's, the largest seen, is about 60 KiB).
    static let maximumHeaderSize = 16 << 20
    static let frameTag: [UInt8] = Array("FRME".utf8)
    static let endTag: [UInt8] = Array("END!".utf8)
    /// tag(4) payload_length(4) sequence(4) flags(4) timestamp_ns(8)
    /// host_monotonic_ns(8) bytesused(4) field(4)
    static let recordHeaderSize = 40
    static let checksumSize = 4
    /// Bounds one payload: an uncompressed 8K RGB24 frame is 99.5 MB.
    static let maximumPayloadSize = 256 << 20
    /// Stored in place of a timestamp the source did not have.
    static let unknownTime = Int64.min
}

/// How a capture file ended.
public struct CaptureTrailer: Hashable, Sendable, Codable {
    public enum Reason: String, Sendable, Codable {
        /// The recorder reached its duration or frame count.
        case complete
        /// Stopped by SIGINT/SIGTERM; every frame before it is kept.
        case interrupted
        /// The device disappeared mid-stream.
        case deviceLost = "device_lost"
        /// No frame arrived within the poll timeout.
        case timeout
        /// An import or export that converted a whole file.
        case converted
    }

    public var frames: Int
    public var reason: Reason
    public var message: String?

    public init(frames: Int, reason: Reason, message: String? = nil) {
        self.frames = frames
        self.reason = reason
        self.message = message
    }
}

/// What went wrong with a capture, Y4M or MJPEG file.
public enum CaptureFileError: Error, Equatable, Sendable {
    case notFound(path: String)
    case permissionDenied(path: String)
    /// The file is not a capture at all (wrong magic, a directory, ...).
    case foreign(path: String, reason: String)
    case unsupportedVersion(path: String, version: UInt16)
    /// The preamble or JSON header is damaged.
    case corruptHeader(path: String, reason: String)
    /// An imported Y4M or MJPEG file that cannot be parsed.
    case invalidInput(path: String, reason: String)
    /// Refusing to overwrite: recorded material is never lost by accident.
    case outputExists(path: String)
    /// Reading an input failed (an I/O error, not its content).
    case unreadable(path: String, operation: String, reason: String)
    /// Writing an output failed.
    case io(path: String, operation: String, reason: String)

    public var message: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .permissionDenied(let path): return "\(path): permission denied"
        case .foreign(let path, let reason): return "\(path): not a CaptureGuard capture (\(reason))"
        case .unsupportedVersion(let path, let version): return "\(path): capture format version \(version) is newer than this reader (1)"
        case .corruptHeader(let path, let reason): return "\(path): corrupt capture header (\(reason))"
        case .invalidInput(let path, let reason): return "\(path): \(reason)"
        case .outputExists(let path): return "\(path): already exists (use --force to replace it)"
        case .io(let path, let operation, let reason), .unreadable(let path, let operation, let reason):
            return "\(path): \(operation) failed: \(reason)"
        }
    }
}

/// JSON settings shared by capture headers and command output.
public enum CaptureJSON {
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder { JSONDecoder() }
}

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) over record bytes. It only
/// detects accidental damage such as a torn write or a flipped bit; the
/// attestation issue signs captures with OpenSSL.
///
/// Slicing-by-8 (eight derived tables, eight bytes per step): a 640x480 YUYV
/// frame is checksummed once per frame while recording, and the bytewise
/// loop cost the recorder frames at 25 fps in the TCG test VM.
public struct CRC32 {
    /// tables[0] is the classic bytewise table; tables[k][i] advances
    /// tables[k-1][i] by one more zero byte.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var value = UInt32(index)
            for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
            tables[index] = value
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xff)]
            }
        }
        return tables
    }()

    private(set) var value: UInt32 = 0xFFFF_FFFF

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var crc = value
        var offset = 0
        let count = bytes.count
        Self.tables.withUnsafeBufferPointer { t in
            while count - offset >= 8 {
                let low = UInt32(littleEndian: (base + offset).loadUnaligned(as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: (base + offset + 4).loadUnaligned(as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xff)] ^ t[6 * 256 + Int((low >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xff)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xff)] ^ t[2 * 256 + Int((high >> 8) & 0xff)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xff)] ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt32(bytes[offset])) & 0xff)] ^ (crc >> 8)
                offset += 1
            }
        }
        value = crc
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public var checksum: UInt32 { value ^ 0xFFFF_FFFF }

    public static func of(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.checksum
    }
}

extension Array where Element == UInt8 {
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    public func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { destination in
            for i in 0..<MemoryLayout<T>.size { destination[i] = self[offset + i] }
        }
        return T(littleEndian: value)
    }
}
