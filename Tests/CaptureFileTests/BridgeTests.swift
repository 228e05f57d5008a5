@testable import CaptureFile
import CaptureModel
import TestSupport
import XCTest

/// Y4M and MJPEG bridges checked against files ffmpeg makes and reads.
final class Y4MBridgeTests: XCTestCase {
    func testImportKeepsFFmpegFramesByteForByteForEveryY4MLayout() throws {
        let directory = try makeScratchDirectory(for: self)
        let cases: [(ffmpegFormat: String, format: PixelFormat)] = [("yuv420p", .yu12), ("yuv422p", .yuv422p), ("gray", .grey)]
        for (ffmpegFormat, expected) in cases {
            let y4m = "\(directory)/\(ffmpegFormat).y4m"
            let raw = "\(directory)/\(ffmpegFormat).raw"
            let source = ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=30000/1001", "-frames:v", "5", "-pix_fmt", ffmpegFormat]
            try ffmpeg(source + ["-strict", "-1", y4m])
            try ffmpeg(source + ["-f", "rawvideo", raw])
            let capture = "\(directory)/\(ffmpegFormat).cgcap"
            let (count, warning) = try Y4M.importFile(y4m, to: capture, recorder: "test", createdAt: "now")
            XCTAssertEqual(count, 5)
            XCTAssertNil(warning)
            let reader = try CaptureFileReader(path: capture)
            XCTAssertEqual(reader.info.format.pixelFormat, expected)
            XCTAssertEqual(reader.info.timing, .unknown, "Y4M has no kernel timestamps")
            XCTAssertEqual(reader.info.sourceKind, .y4m)
            XCTAssertEqual(reader.info.frameInterval, Fraction(1001, 30000))
            let payloads = try reader.readAll().map(\.payload)
            XCTAssertEqual(payloads.flatMap { $0 }, try readBytes(raw), "\(ffmpegFormat) payloads equal ffmpeg's raw frames")
            XCTAssertTrue(payloads.allSatisfy { $0.count == reader.info.format.sizeImage })
        }
    }

    func testExportOfAnImportIsByteIdenticalAndReadableByFFprobe() throws {
        let directory = try makeScratchDirectory(for: self)
        let original = directory + "/in.y4m"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "4", "-pix_fmt", "yuv420p", original])
        _ = try Y4M.importFile(original, to: directory + "/c.cgcap", recorder: "test", createdAt: "now")
        let exported = directory + "/out.y4m"
        let result = try Y4M.export(try CaptureFileReader(path: directory + "/c.cgcap"), to: exported, decode: nil)
        XCTAssertEqual(result.frames, 4)
        XCTAssertFalse(result.decoded)
        XCTAssertEqual(try readBytes(exported), try readBytes(original))
        let probe = try runTool("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=width,height,nb_read_frames,pix_fmt", "-of", "csv=p=0", exported])
        XCTAssertEqual(String(decoding: probe.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "96,64,yuv420p,4")
    }

    func testYUYVExportMatchesFFmpegPackedToPlanarConversion() throws {
        let directory = try makeScratchDirectory(for: self)
        let raw = directory + "/yuyv.raw"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "3", "-pix_fmt", "yuyv422", "-f", "rawvideo", raw])
        let rawBytes = try readBytes(raw)
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 64, height: 48))
        let info = CaptureInfo(sourceKind: .v4l2, sourcePath: "/dev/video0", mode: .raw, timing: .kernel, format: format,
                               frameInterval: Fraction(1, 25), device: nil, recorder: "test", createdAt: "now")
        let writer = try CaptureFileWriter(path: directory + "/y.cgcap", info: info, appendOnly: true)
        for index in 0..<3 {
            let payload = Array(rawBytes[(index * format.sizeImage)..<((index + 1) * format.sizeImage)])
            try writer.append(Frame(metadata: FrameMetadata(index: index, sequence: UInt32(index), timestampNanoseconds: Int64(index) * 40_000_000,
                                                            flags: BufferFlags(rawValue: 0x2000), bytesUsed: payload.count, hostMonotonicNanoseconds: nil),
                                    format: format, payload: payload))
        }
        try writer.finish(reason: .complete)
        _ = try Y4M.export(try CaptureFileReader(path: directory + "/y.cgcap"), to: directory + "/ours.y4m", decode: nil)
        try ffmpeg(["-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "64x48", "-r", "25", "-i", raw, "-pix_fmt", "yuv422p", directory + "/theirs.y4m"])
        let planarSize = 64 * 48 * 2
        let ours = try XCTUnwrap(parseY4M(try readBytes(directory + "/ours.y4m"), frameSize: planarSize))
        let theirs = try XCTUnwrap(parseY4M(try readBytes(directory + "/theirs.y4m"), frameSize: planarSize))
        XCTAssertEqual(ours.frames.count, 3)
        XCTAssertEqual(ours.frames, theirs.frames, "YUYV -> 4:2:2 planar moves bytes exactly as ffmpeg does")
        XCTAssertTrue(ours.header.contains("C422"))
        // And back: planar 4:2:2 re-interleaves to the original YUYV bytes.
        XCTAssertEqual(ours.frames.compactMap { Repack.planar422ToYUYV($0, width: 64, height: 48) }.flatMap { $0 }, rawBytes)
    }

    func testMalformedY4MInputsFailClearlyAndWriteNothing() throws {
        let directory = try makeScratchDirectory(for: self)
        func expectInvalid(_ bytes: [UInt8], _ fragment: String) throws {
            let input = directory + "/bad.y4m"
            try writeBytes(bytes, to: input)
            XCTAssertThrowsError(try Y4M.importFile(input, to: directory + "/out.cgcap", recorder: "t", createdAt: "t")) { error in
                guard case .invalidInput(_, let reason) = error as? CaptureFileError else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains(fragment), "'\(reason)' should mention '\(fragment)'")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out.cgcap"), "no half-written capture")
        }
        try expectInvalid(Array("RIFF....".utf8), "not a YUV4MPEG2")
        try expectInvalid(Array("YUV4MPEG2 W16 H16 F25:1 C444\nFRAME\n".utf8), "C444")
        try expectInvalid(Array("YUV4MPEG2 H16 F25:1\n".utf8), "W/H")
        try expectInvalid(Array("YUV4MPEG2 W4 H2 F25:1 Cmono\nFRAME\n12345678JUNK\n".utf8), "expected FRAME")
        try expectInvalid(Array("YUV4MPEG2 W4 H2 F25:1 Cmono\nFRAME\n123".utf8), "no whole frame")
    }

    func testTruncatedY4MKeepsWholeFramesAndWarns() throws {
        let directory = try makeScratchDirectory(for: self)
        let original = directory + "/in.y4m"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=32x32:rate=25", "-frames:v", "3", "-pix_fmt", "gray", "-strict", "-1", original])
        let bytes = try readBytes(original)
        try writeBytes(Array(bytes.dropLast(100)), to: original)
        let (count, warning) = try Y4M.importFile(original, to: directory + "/c.cgcap", recorder: "t", createdAt: "t")
        XCTAssertEqual(count, 2)
        XCTAssertTrue(warning?.contains("truncated") ?? false)
    }
}

final class MJPEGBridgeTests: XCTestCase {
    func testImportKeepsEveryJPEGByteForByte() throws {
        let directory = try makeScratchDirectory(for: self)
        let stream = directory + "/clip.mjpeg"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15", "-frames:v", "6", "-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", "-f", "mjpeg", stream])
        // ffmpeg's image2 muxer writes the same packets one file each: an
        // independent split of the stream to compare ours against.
        try ffmpeg(["-i", stream, "-c:v", "copy", "-f", "image2", directory + "/frame%02d.jpg"])
        let (count, warning) = try MJPEG.importFile(stream, to: directory + "/c.cgcap", framesPerSecond: 15, recorder: "t", createdAt: "t")
        XCTAssertEqual(count, 6)
        XCTAssertNil(warning)
        let reader = try CaptureFileReader(path: directory + "/c.cgcap")
        XCTAssertEqual(reader.info.format.pixelFormat, .mjpeg)
        XCTAssertEqual(reader.info.format.width, 160)
        XCTAssertEqual(reader.info.format.height, 120)
        XCTAssertEqual(reader.info.timing, .unknown)
        XCTAssertEqual(reader.info.frameInterval, Fraction(1, 15))
        let payloads = try reader.readAll().map(\.payload)
        let expected = try (1...6).map { try readBytes(String(format: "%@/frame%02d.jpg", directory, $0)) }
        XCTAssertEqual(payloads, expected)
        XCTAssertEqual(payloads.flatMap { $0 }, try readBytes(stream), "the stream is exactly the concatenation")
    }

    func testTruncatedStreamDropsOnlyTheCutImage() throws {
        let directory = try makeScratchDirectory(for: self)
        let stream = directory + "/clip.mjpeg"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15", "-frames:v", "4", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "mjpeg", stream])
        let bytes = try readBytes(stream)
        try writeBytes(Array(bytes.dropLast(200)), to: stream)
        let (count, warning) = try MJPEG.importFile(stream, to: directory + "/c.cgcap", framesPerSecond: nil, recorder: "t", createdAt: "t")
        XCTAssertEqual(count, 3)
        XCTAssertTrue(warning?.contains("incomplete") ?? false)
        XCTAssertNil(try CaptureFileReader(path: directory + "/c.cgcap").info.frameInterval)
    }

    func testMarkerWalkIgnoresEndMarkerBytesInsideSegments() {
        // An APP1 segment whose body contains FF D9 must not end the image.
        let image: [UInt8] = [0xFF, 0xD8,
                              0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00,
                              0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0x11, 0x00,
                              0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00,
                              0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,
                              0xFF, 0xD9]
        XCTAssertEqual(MJPEG.scanImage(image, from: 0), .image(MJPEG.Image(range: 0..<image.count, width: 32, height: 16)))
        XCTAssertEqual(MJPEG.scanImage(Array(image.dropLast(2)), from: 0), .truncated(start: 0))
    }

    func testNonJPEGAndMixedSizeStreamsAreRejected() throws {
        let directory = try makeScratchDirectory(for: self)
        try writeBytes(Array("not a jpeg at all".utf8), to: directory + "/x.mjpeg")
        XCTAssertThrowsError(try MJPEG.importFile(directory + "/x.mjpeg", to: directory + "/c.cgcap", framesPerSecond: nil, recorder: "t", createdAt: "t")) { error in
            guard case .invalidInput(_, let reason) = error as? CaptureFileError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("not an MJPEG stream"))
        }
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "mjpeg", directory + "/a.mjpeg"])
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "mjpeg", directory + "/b.mjpeg"])
        try writeBytes(try readBytes(directory + "/a.mjpeg") + readBytes(directory + "/b.mjpeg"), to: directory + "/mixed.mjpeg")
        XCTAssertThrowsError(try MJPEG.importFile(directory + "/mixed.mjpeg", to: directory + "/c.cgcap", framesPerSecond: nil, recorder: "t", createdAt: "t")) { error in
            guard case .invalidInput(_, let reason) = error as? CaptureFileError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("64x48"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/c.cgcap"))
    }

    func testPackedSizesAgreeWithFFmpegRawvideo() throws {
        // An independent check of the layout arithmetic: ffmpeg's rawvideo
        // frame size for the matching pixel format.
        let directory = try makeScratchDirectory(for: self)
        let pairs: [(String, PixelFormat)] = [("yuyv422", .yuyv), ("uyvy422", .uyvy), ("nv12", .nv12), ("nv21", .nv21),
                                              ("yuv420p", .yu12), ("yuv422p", .yuv422p), ("gray", .grey), ("rgb24", .rgb24), ("bgr24", .bgr24)]
        for (name, format) in pairs {
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", "-pix_fmt", name, "-f", "rawvideo", "\(directory)/\(name).raw"])
            XCTAssertEqual(try readBytes("\(directory)/\(name).raw").count, FrameFormat.packed(format, width: 320, height: 240)?.sizeImage, name)
        }
    }
}
