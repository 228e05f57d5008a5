import CaptureModel
import Foundation

/// Reads a capture file as a `FrameSource`. Damage after the header never
/// throws: reading stops at the last whole, checksum-valid frame and
/// `integrity` says what happened, so nothing recorded is lost.
public final class CaptureFileReader: FrameSource {
    public enum Integrity: Hashable, Sendable {
        /// Not read to the end yet.
        case unknown
        /// Ended with an end record.
        case complete(CaptureTrailer)
        /// Ended without an end record: the recorder was killed or the file
        /// was cut. Every whole frame before `offset` was recovered.
        case truncated(offset: Int)
        /// A record failed its checksum or had an impossible header; frames
        /// before it were recovered, nothing after it is trusted.
        case damaged(offset: Int, reason: String)

        /// The stable name used in JSON output.
        public var name: String {
            switch self {
            case .unknown: return "unknown"
            case .complete: return "complete"
            case .truncated: return "truncated"
            case .damaged: return "damaged"
            }
        }

        /// One line for stderr, or nil when the file is whole.
        public func warning(path: String, frames: Int) -> String? {
            switch self {
            case .unknown, .complete: return nil
            case .truncated(let offset):
                return "\(path): truncated at byte \(offset) (no end record; recorder killed or file cut); recovered \(frames) whole frames"
            case .damaged(let offset, let reason):
                return "\(path): damaged record at byte \(offset) (\(reason)); recovered \(frames) frames before it"
            }
        }
    }

    public let path: String
    public let info: CaptureInfo
    public private(set) var integrity: Integrity = .unknown
    public private(set) var framesRead = 0
    private let input: InputFile

    public init(path: String) throws(CaptureFileError) {
        self.path = path
        input = try InputFile(path: path)
        let preamble = try input.read(CaptureFileLayout.preambleSize)
        let magic = CaptureFileLayout.magic
        guard preamble.count >= magic.count, Array(preamble[0..<magic.count]) == magic else {
            if preamble.count < magic.count && Array(magic.prefix(preamble.count)) == preamble && !preamble.isEmpty {
                throw .corruptHeader(path: path, reason: "file ends inside the preamble")
            }
            throw .foreign(path: path, reason: preamble.isEmpty ? "empty file" : "unknown magic")
        }
        guard preamble.count == CaptureFileLayout.preambleSize else {
            throw .corruptHeader(path: path, reason: "file ends inside the preamble")
        }
        let version = preamble.littleEndian(UInt16.self, at: 8)
        guard version == CaptureFileLayout.version else {
            if version > CaptureFileLayout.version { throw .unsupportedVersion(path: path, version: version) }
            throw .corruptHeader(path: path, reason: "version \(version)")
        }
        let headerLength = Int(preamble.littleEndian(UInt32.self, at: 12))
        let headerChecksum = preamble.littleEndian(UInt32.self, at: 16)
        guard headerLength > 0, headerLength <= CaptureFileLayout.maximumHeaderSize else {
            throw .corruptHeader(path: path, reason: "header length \(headerLength)")
        }
        let header = try input.read(headerLength)
        guard header.count == headerLength else {
            throw .corruptHeader(path: path, reason: "file ends inside the header")
        }
        guard CRC32.of(header) == headerChecksum else {
            throw .corruptHeader(path: path, reason: "header checksum mismatch")
        }
        do {
            info = try CaptureJSON.decoder().decode(CaptureInfo.self, from: Data(header))
        } catch {
            throw .corruptHeader(path: path, reason: "header JSON does not decode")
        }
        guard info.format.isPlausible else {
            throw .corruptHeader(path: path, reason: "implausible frame format \(info.format.width)x\(info.format.height), bytesperline \(info.format.bytesPerLine)")
        }
    }

    public func nextFrame() throws -> Frame? { try nextRecordedFrame() }

    /// The next whole frame, or nil at the end (see `integrity`). Throws only
    /// for I/O errors, never for damage.
    public func nextRecordedFrame() throws(CaptureFileError) -> Frame? {
        guard case .unknown = integrity else { return nil }
        let recordOffset = input.offset
        let head = try input.read(CaptureFileLayout.recordHeaderSize)
        if head.isEmpty {
            integrity = .truncated(offset: recordOffset)
            return nil
        }
        let tag = Array(head.prefix(4))
        if tag == CaptureFileLayout.endTag {
            return try readTrailer(head: head, offset: recordOffset)
        }
        guard tag == CaptureFileLayout.frameTag else {
            if head.count < 4 { integrity = .truncated(offset: recordOffset) } else {
                integrity = .damaged(offset: recordOffset, reason: "unknown record tag")
            }
            return nil
        }
        guard head.count == CaptureFileLayout.recordHeaderSize else {
            integrity = .truncated(offset: recordOffset)
            return nil
        }
        let length = Int(head.littleEndian(UInt32.self, at: 4))
        guard length <= CaptureFileLayout.maximumPayloadSize else {
            integrity = .damaged(offset: recordOffset, reason: "payload length \(length) exceeds the limit")
            return nil
        }
        let payload = try input.read(length)
        let checksumBytes = try input.read(CaptureFileLayout.checksumSize)
        guard payload.count == length, checksumBytes.count == CaptureFileLayout.checksumSize else {
            integrity = .truncated(offset: recordOffset)
            return nil
        }
        var crc = CRC32()
        crc.update(head)
        crc.update(payload)
        guard crc.checksum == checksumBytes.littleEndian(UInt32.self, at: 0) else {
            integrity = .damaged(offset: recordOffset, reason: "checksum mismatch")
            return nil
        }
        let timestamp = head.littleEndian(Int64.self, at: 16)
        let host = head.littleEndian(Int64.self, at: 24)
        let metadata = FrameMetadata(
            index: framesRead, sequence: head.littleEndian(UInt32.self, at: 8),
            timestampNanoseconds: timestamp == CaptureFileLayout.unknownTime ? nil : timestamp,
            flags: BufferFlags(rawValue: head.littleEndian(UInt32.self, at: 12)),
            bytesUsed: Int(head.littleEndian(UInt32.self, at: 32)), field: head.littleEndian(UInt32.self, at: 36),
            hostMonotonicNanoseconds: host == CaptureFileLayout.unknownTime ? nil : host)
        framesRead += 1
        return Frame(metadata: metadata, format: info.format, payload: payload)
    }

    /// Reads every remaining frame.
    public func readAll() throws(CaptureFileError) -> [Frame] {
        var frames: [Frame] = []
        while let frame = try nextRecordedFrame() { frames.append(frame) }
        return frames
    }

    private func readTrailer(head: [UInt8], offset: Int) throws(CaptureFileError) -> Frame? {
        guard head.count >= 8 else {
            integrity = .truncated(offset: offset)
            return nil
        }
        let length = Int(head.littleEndian(UInt32.self, at: 4))
        // The end record is short; `head` already holds its first bytes.
        let alreadyRead = head.count - 8
        // The trailer JSON is a few dozen bytes; 1 MiB bounds what a damaged
        // length field can make the reader allocate.
        guard length <= 1 << 20, alreadyRead <= length + CaptureFileLayout.checksumSize else {
            integrity = .damaged(offset: offset, reason: "end record length \(length)")
            return nil
        }
        let rest = try input.read(length + CaptureFileLayout.checksumSize - alreadyRead)
        let record = head + rest
        guard record.count == 8 + length + CaptureFileLayout.checksumSize else {
            integrity = .truncated(offset: offset)
            return nil
        }
        let body = Array(record[0..<(8 + length)])
        guard CRC32.of(body) == record.littleEndian(UInt32.self, at: 8 + length),
              let trailer = try? CaptureJSON.decoder().decode(CaptureTrailer.self, from: Data(record[8..<(8 + length)]))
        else {
            integrity = .damaged(offset: offset, reason: "end record checksum mismatch")
            return nil
        }
        integrity = .complete(trailer)
        return nil
    }
}
