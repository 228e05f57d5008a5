import CaptureModel
import XCTest

final class RepackTests: XCTestCase {
    /// Deterministic bytes; a fixed LCG so failures reproduce.
    static func pseudoRandomBytes(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    func testYUYVToPlanarIsLosslessAndReversible() throws {
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 64, height: 8))
        let payload = Self.pseudoRandomBytes(format.sizeImage, seed: 7)
        let (planarFormat, planar) = try XCTUnwrap(Repack.toPlanar(payload, format: format))
        XCTAssertEqual(planarFormat.pixelFormat, .yuv422p)
        XCTAssertEqual(planar.count, format.sizeImage)
        // Y0 U0 Y1 V0: check the first pair explicitly.
        XCTAssertEqual(planar[0], payload[0])
        XCTAssertEqual(planar[1], payload[2])
        XCTAssertEqual(planar[64 * 8], payload[1])
        XCTAssertEqual(planar[64 * 8 + 32 * 8], payload[3])
        XCTAssertEqual(Repack.planar422ToYUYV(planar, width: 64, height: 8), payload)
    }

    func testNV12AndNV21DeinterleaveChroma() throws {
        let format = try XCTUnwrap(FrameFormat.packed(.nv12, width: 4, height: 2))
        // Y: 8 bytes, then one chroma row of 2 CbCr pairs.
        let payload: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 11, 21]
        XCTAssertEqual(Repack.toPlanar(payload, format: format)?.1, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20, 21])
        var nv21 = format
        nv21.pixelFormat = .nv21
        XCTAssertEqual(Repack.toPlanar(payload, format: nv21)?.1, [1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 10, 11])
    }

    func testPaddedLinesAreDroppedOnRepack() throws {
        var format = try XCTUnwrap(FrameFormat.packed(.grey, width: 3, height: 2))
        format.bytesPerLine = 4
        let payload: [UInt8] = [1, 2, 3, 99, 4, 5, 6, 99]
        XCTAssertEqual(Repack.toPlanar(payload, format: format)?.1, [1, 2, 3, 4, 5, 6])
    }

    func testShortPayloadAndCompressedFormatsAreRefused() throws {
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 64, height: 8))
        XCTAssertNil(Repack.toPlanar([UInt8](repeating: 0, count: format.sizeImage - 1), format: format))
        let mjpeg = try XCTUnwrap(FrameFormat.packed(.mjpeg, width: 64, height: 8))
        XCTAssertNil(Repack.toPlanar([0xFF, 0xD8], format: mjpeg))
        XCTAssertNil(Repack.planarEquivalent(of: .rgb24))
    }
}
