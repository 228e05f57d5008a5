import CaptureEngine
import CaptureModel
import TestSupport
import XCTest

/// libv4lconvert's decoding compared with ffmpeg's on the same bytes.
final class FrameConverterTests: XCTestCase {
    private func frame(_ payload: [UInt8], _ format: FrameFormat) -> Frame {
        Frame(metadata: FrameMetadata(index: 0, sequence: 0, timestampNanoseconds: nil, flags: BufferFlags(rawValue: 0), bytesUsed: payload.count, hostMonotonicNanoseconds: nil),
              format: format, payload: payload)
    }

    func testMJPEGDecodesLikeFFmpegFullRange() throws {
        let directory = try makeScratchDirectory(for: self)
        let jpeg = directory + "/f.jpg"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", "-f", "mjpeg", jpeg])
        // JPEG samples are full range; ask ffmpeg not to rescale them.
        try ffmpeg(["-i", jpeg, "-pix_fmt", "yuvj420p", "-f", "rawvideo", directory + "/ref.yuv"])
        let format = try XCTUnwrap(FrameFormat.packed(.mjpeg, width: 320, height: 240))
        let decoded = try FrameConverter().toYU12(frame(try readBytes(jpeg), format))
        XCTAssertEqual(decoded.format.pixelFormat, .yu12)
        let reference = try readBytes(directory + "/ref.yuv")
        XCTAssertEqual(decoded.payload.count, reference.count)
        let differences = zip(decoded.payload, reference).map { abs(Int($0) - Int($1)) }
        // Two conforming IDCTs may differ by one code value on a few samples
        // (measured here: 0.25% of samples off by 1, none by more).
        XCTAssertLessThanOrEqual(differences.max() ?? 99, 2)
        XCTAssertLessThan(Double(differences.reduce(0, +)) / Double(differences.count), 0.05)
    }

    func testYUYVConversionKeepsLumaExactly() throws {
        let directory = try makeScratchDirectory(for: self)
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-pix_fmt", "yuyv422", "-f", "rawvideo", directory + "/f.yuyv"])
        let payload = try readBytes(directory + "/f.yuyv")
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 64, height: 48))
        let decoded = try FrameConverter().toYU12(frame(payload, format))
        let luma = stride(from: 0, to: payload.count, by: 2).map { payload[$0] }
        XCTAssertEqual(Array(decoded.payload.prefix(64 * 48)), luma)
        XCTAssertEqual(decoded.payload.count, 64 * 48 * 3 / 2)
    }

    func testCorruptJPEGThrowsInsteadOfCrashing() throws {
        let format = try XCTUnwrap(FrameFormat.packed(.mjpeg, width: 320, height: 240))
        let garbage: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x02, 0x13, 0x37]
        XCTAssertThrowsError(try FrameConverter().toYU12(frame(garbage, format))) { error in
            guard case .failed = error as? FrameConverter.ConversionError else { return XCTFail("\(error)") }
        }
    }
}
