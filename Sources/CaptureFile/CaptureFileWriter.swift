import CaptureModel
import Foundation

/// Writes a capture file, one self-checking record per frame.
public final class CaptureFileWriter {
    public let path: String
    public private(set) var framesWritten = 0
    private let output: OutputFile
    private var finished = false

    /// Creates the file and writes its header at once.
    /// - Parameters:
    ///   - appendOnly: true while recording from a device (every record hits
    ///     the final path as it arrives); false for imports, which appear
    ///     only once complete.
    ///   - replace: overwrite an existing file instead of refusing.
    public init(path: String, info: CaptureInfo, appendOnly: Bool, replace: Bool = false) throws(CaptureFileError) {
        self.path = path
        output = try OutputFile(path: path, discipline: appendOnly ? .appendOnly : .atomic, replace: replace)
        let header: [UInt8]
        do {
            header = Array(try CaptureJSON.encoder(pretty: false).encode(info))
        } catch {
            throw .io(path: path, operation: "encode header", reason: "\(error)")
        }
        var preamble = CaptureFileLayout.magic
        preamble.appendLittleEndian(CaptureFileLayout.version)
        preamble.appendLittleEndian(UInt16(0))
        preamble.appendLittleEndian(UInt32(header.count))
        preamble.appendLittleEndian(CRC32.of(header))
        try output.write(preamble + header)
    }

    /// Appends one frame: its metadata, its payload byte for byte, and a
    /// CRC-32 over both, in a single `writev`.
    public func append(_ frame: Frame) throws(CaptureFileError) {
        let metadata = frame.metadata
        guard frame.payload.count <= CaptureFileLayout.maximumPayloadSize else {
            throw .io(path: path, operation: "append", reason: "payload of \(frame.payload.count) bytes exceeds the format's limit")
        }
        var record = CaptureFileLayout.frameTag
        record.reserveCapacity(CaptureFileLayout.recordHeaderSize)
        record.appendLittleEndian(UInt32(frame.payload.count))
        record.appendLittleEndian(metadata.sequence)
        record.appendLittleEndian(metadata.flags.rawValue)
        record.appendLittleEndian(metadata.timestampNanoseconds ?? CaptureFileLayout.unknownTime)
        record.appendLittleEndian(metadata.hostMonotonicNanoseconds ?? CaptureFileLayout.unknownTime)
        record.appendLittleEndian(UInt32(clamping: metadata.bytesUsed))
        record.appendLittleEndian(metadata.field)
        var crc = CRC32()
        crc.update(record)
        let outcome: Result<Void, CaptureFileError> = frame.payload.withUnsafeBytes { payload in
            crc.update(payload)
            var checksum = [UInt8]()
            checksum.appendLittleEndian(crc.checksum)
            return record.withUnsafeBytes { head in
                checksum.withUnsafeBytes { tail in
                    do throws(CaptureFileError) {
                        try output.write([head, payload, tail])
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        try outcome.get()
        framesWritten += 1
    }

    /// Writes the end record and makes the file durable (and, for imports,
    /// visible). A file without an end record reads as truncated.
    public func finish(reason: CaptureTrailer.Reason, message: String? = nil) throws(CaptureFileError) {
        guard !finished else { return }
        finished = true
        let trailer: [UInt8]
        do {
            trailer = Array(try CaptureJSON.encoder(pretty: false).encode(CaptureTrailer(frames: framesWritten, reason: reason, message: message)))
        } catch {
            throw .io(path: path, operation: "encode trailer", reason: "\(error)")
        }
        var record = CaptureFileLayout.endTag
        record.appendLittleEndian(UInt32(trailer.count))
        record += trailer
        record.appendLittleEndian(CRC32.of(record))
        try output.write(record)
        try output.commit()
    }
}
