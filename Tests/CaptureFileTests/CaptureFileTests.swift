@testable import CaptureFile
import CaptureModel
import TestSupport
import XCTest

/// Synthetic frames with every metadata field set to a distinct value.
func makeFrames(count: Int, format: FrameFormat, seed: UInt8 = 1) -> [Frame] {
    (0..<count).map { index in
        let metadata = FrameMetadata(
            index: index, sequence: UInt32(100 + index * 2), timestampNanoseconds: 5_000_000_000 + Int64(index) * 33_366_667,
            flags: BufferFlags(rawValue: 0x2001 | (index % 3 == 0 ? 0x8 : 0)), bytesUsed: format.sizeImage - index,
            field: 1, hostMonotonicNanoseconds: 5_000_400_000 + Int64(index) * 33_400_000)
        let payload = (0..<(format.sizeImage - index)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7 &+ Int(seed)) }
        return Frame(metadata: metadata, format: format, payload: payload)
    }
}

func deviceInfo(format: FrameFormat) -> CaptureInfo {
    let cap = QueryCapability(driver: "vivid", card: "vivid", busInfo: "platform:vivid-000", version: 0x0601c0,
                              capabilities: Capabilities(rawValue: 0x9dbf_0df7), deviceCaps: Capabilities(rawValue: 0x0523_0005))
    let snapshot = DeviceFingerprint(node: "/dev/video0", querycap: cap, formats: [], currentFormat: format,
                                  streamParameters: StreamParameters(supportsFrameInterval: true, timePerFrame: Fraction(1, 25), readBuffers: 0),
                                  controls: [], inputs: [InputDescription(index: 0, name: "Webcam 0", type: 2, status: 0, capabilities: 0)],
                                  openers: [DeviceHolder(pid: 77, command: "ffmpeg", mode: .readWrite, fd: 3)], notes: [])
    return CaptureInfo(sourceKind: .v4l2, sourcePath: "/dev/video0", mode: .raw, timing: .kernel, format: format,
                       frameInterval: Fraction(1, 25), device: snapshot, recorder: "captureguard test", createdAt: "2026-11-27T00:00:00Z")
}

final class CaptureFileRoundTripTests: XCTestCase {
    func testFramesAndMetadataRoundTripExactly() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 32, height: 16))
        let frames = makeFrames(count: 7, format: format)
        let path = directory + "/round.cgcap"
        let writer = try CaptureFileWriter(path: path, info: deviceInfo(format: format), appendOnly: true)
        for frame in frames { try writer.append(frame) }
        try writer.finish(reason: .complete)

        let reader = try CaptureFileReader(path: path)
        XCTAssertEqual(reader.info, deviceInfo(format: format))
        let read = try reader.readAll()
        XCTAssertEqual(read.map(\.metadata), frames.map(\.metadata))
        XCTAssertEqual(read.map(\.payload), frames.map(\.payload))
        XCTAssertEqual(reader.integrity, .complete(CaptureTrailer(frames: 7, reason: .complete)))
    }

    func testImportsKeepUnknownTimingAsNil() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 8, height: 8))
        var info = deviceInfo(format: format)
        info.timing = .unknown
        let metadata = FrameMetadata(index: 0, sequence: 0, timestampNanoseconds: nil, flags: BufferFlags(rawValue: 0), bytesUsed: 64, hostMonotonicNanoseconds: nil)
        let writer = try CaptureFileWriter(path: directory + "/i.cgcap", info: info, appendOnly: false)
        try writer.append(Frame(metadata: metadata, format: format, payload: [UInt8](repeating: 9, count: 64)))
        try writer.finish(reason: .converted)
        let frame = try XCTUnwrap(try CaptureFileReader(path: directory + "/i.cgcap").nextRecordedFrame())
        XCTAssertNil(frame.metadata.timestampNanoseconds)
        XCTAssertNil(frame.metadata.hostMonotonicNanoseconds)
    }

    func testWriterRefusesToOverwriteARecording() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 8, height: 8))
        let path = directory + "/keep.cgcap"
        try writeBytes([1, 2, 3], to: path)
        XCTAssertThrowsError(try CaptureFileWriter(path: path, info: deviceInfo(format: format), appendOnly: true)) { error in
            XCTAssertEqual(error as? CaptureFileError, .outputExists(path: path))
        }
        XCTAssertEqual(try readBytes(path), [1, 2, 3], "the existing file is untouched")
    }

    func testAtomicWriterLeavesNothingWhenAbandoned() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 8, height: 8))
        do {
            let writer = try CaptureFileWriter(path: directory + "/import.cgcap", info: deviceInfo(format: format), appendOnly: false)
            try writer.append(makeFrames(count: 1, format: format)[0])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "no partial or temporary file remains")
    }
}

final class CaptureFileRecoveryTests: XCTestCase {
    private func writeCapture(_ path: String, frames: [Frame], finish: Bool) throws {
        let writer = try CaptureFileWriter(path: path, info: deviceInfo(format: frames[0].format), appendOnly: true)
        for frame in frames { try writer.append(frame) }
        if finish { try writer.finish(reason: .complete) }
    }

    func testKilledRecorderKeepsEveryFrame() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 16, height: 4))
        let frames = makeFrames(count: 5, format: format)
        // Dropping the writer without finish() is what SIGKILL leaves behind:
        // every record written, no end record.
        try writeCapture(directory + "/killed.cgcap", frames: frames, finish: false)
        let reader = try CaptureFileReader(path: directory + "/killed.cgcap")
        XCTAssertEqual(try reader.readAll().map(\.payload), frames.map(\.payload))
        guard case .truncated = reader.integrity else { return XCTFail("expected truncated, got \(reader.integrity)") }
        XCTAssertNotNil(reader.integrity.warning(path: "x", frames: 5))
    }

    func testTruncationAtEveryByteOfTheLastRecordRecoversAllWholeFrames() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 8, height: 4))
        let frames = makeFrames(count: 4, format: format)
        let path = directory + "/full.cgcap"
        try writeCapture(path, frames: frames, finish: true)
        let bytes = try readBytes(path)
        let recordSize = { (frame: Frame) in CaptureFileLayout.recordHeaderSize + frame.payload.count + CaptureFileLayout.checksumSize }
        let endRecordSize = 12 + (try trailerLength(bytes))
        let startOfLastFrame = bytes.count - endRecordSize - recordSize(frames[3])
        for cut in startOfLastFrame..<bytes.count {
            let cutPath = directory + "/cut.cgcap"
            try writeBytes(Array(bytes[..<cut]), to: cutPath)
            let reader = try CaptureFileReader(path: cutPath)
            let recovered = try reader.readAll()
            let whole = cut >= startOfLastFrame + recordSize(frames[3]) ? 4 : 3
            XCTAssertEqual(recovered.count, whole, "cut at \(cut)")
            XCTAssertEqual(recovered.map(\.payload), Array(frames.prefix(whole)).map(\.payload), "cut at \(cut)")
            guard case .truncated = reader.integrity else { return XCTFail("cut at \(cut): \(reader.integrity)") }
        }
    }

    private func trailerLength(_ bytes: [UInt8]) throws -> Int {
        // The end record is "END!" + u32 length + JSON + crc; find it from the back.
        let tag = Array("END!".utf8)
        let start = try XCTUnwrap((0...(bytes.count - 4)).reversed().first { Array(bytes[$0..<$0 + 4]) == tag })
        return bytes.count - start - 12
    }

    func testDamagedRecordStopsWithEarlierFramesRecovered() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 8, height: 4))
        let frames = makeFrames(count: 5, format: format)
        let path = directory + "/damaged.cgcap"
        try writeCapture(path, frames: frames, finish: true)
        var bytes = try readBytes(path)
        let header = Int(bytes.littleEndian(UInt32.self, at: 12))
        let record = CaptureFileLayout.recordHeaderSize + format.sizeImage + 4
        let firstRecord = CaptureFileLayout.preambleSize + header
        // Flip one payload bit inside the third frame (frames shrink by one byte each).
        let thirdPayload = firstRecord + record + (record - 1) + CaptureFileLayout.recordHeaderSize + 5
        bytes[thirdPayload] ^= 0x10
        try writeBytes(bytes, to: path)
        let reader = try CaptureFileReader(path: path)
        XCTAssertEqual(try reader.readAll().count, 2)
        guard case .damaged(_, let reason) = reader.integrity else { return XCTFail("\(reader.integrity)") }
        XCTAssertEqual(reason, "checksum mismatch")
    }

    func testCorruptOrForeignHeadersFailClearly() throws {
        let directory = try makeScratchDirectory(for: self)
        let format = try XCTUnwrap(FrameFormat.packed(.grey, width: 8, height: 4))
        let path = directory + "/good.cgcap"
        try writeCapture(path, frames: makeFrames(count: 1, format: format), finish: true)
        let good = try readBytes(path)

        func expect(_ bytes: [UInt8], _ check: (CaptureFileError) -> Bool, _ label: String) throws {
            let p = directory + "/bad.cgcap"
            try writeBytes(bytes, to: p)
            XCTAssertThrowsError(try CaptureFileReader(path: p), label) { error in
                guard let error = error as? CaptureFileError else { return XCTFail("\(label): \(error)") }
                XCTAssertTrue(check(error), "\(label): \(error)")
                XCTAssertFalse(error.message.contains("\n"), "one line")
            }
        }
        var flipped = good
        flipped[CaptureFileLayout.preambleSize + 3] ^= 0x01
        try expect(flipped, { if case .corruptHeader(_, let r) = $0 { return r.contains("checksum") }; return false }, "flipped header byte")
        try expect(Array("P6\n640 480\n255\n".utf8), { if case .foreign = $0 { return true }; return false }, "a PPM image")
        try expect([], { if case .foreign(_, let r) = $0 { return r == "empty file" }; return false }, "empty file")
        try expect(Array(good.prefix(30)), { if case .corruptHeader = $0 { return true }; return false }, "cut inside the header")
        try expect(Array(good.prefix(5)), { if case .corruptHeader = $0 { return true }; return false }, "cut inside the magic")
        var future = good
        future[8] = 9
        try expect(future, { $0 == .unsupportedVersion(path: directory + "/bad.cgcap", version: 9) }, "newer version")
        var hugeHeader = good
        hugeHeader[15] = 0x7f
        try expect(hugeHeader, { if case .corruptHeader = $0 { return true }; return false }, "absurd header length")
        XCTAssertThrowsError(try CaptureFileReader(path: directory)) { error in
            XCTAssertEqual(error as? CaptureFileError, .foreign(path: directory, reason: "a directory"))
        }
        XCTAssertThrowsError(try CaptureFileReader(path: directory + "/missing.cgcap")) { error in
            XCTAssertEqual(error as? CaptureFileError, .notFound(path: directory + "/missing.cgcap"))
        }
    }
}

final class ChecksumTests: XCTestCase {
    func testCRC32MatchesZlibCheckValues() throws {
        // The standard check value of CRC-32/ISO-HDLC, and values computed
        // with Python's zlib.crc32 for lengths that exercise the 8-byte
        // stride and the byte tail.
        XCTAssertEqual(CRC32.of(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.of([]), 0)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        XCTAssertEqual(CRC32.of(Array(bytes.prefix(13))), try zlibCRC(Array(bytes.prefix(13))))
        XCTAssertEqual(CRC32.of(bytes), try zlibCRC(bytes))
        var split = CRC32()
        split.update(Array(bytes.prefix(333)))
        split.update(Array(bytes.dropFirst(333)))
        XCTAssertEqual(split.checksum, CRC32.of(bytes), "incremental updates equal one pass")
    }

    private func zlibCRC(_ bytes: [UInt8]) throws -> UInt32 {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let result = try runTool("python3", ["-c", "import zlib,sys; print(zlib.crc32(bytes.fromhex(sys.argv[1])))", hex])
        return try XCTUnwrap(UInt32(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
