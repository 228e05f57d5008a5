import CaptureModel
import XCTest

/// Layout arithmetic against values derived by hand from the kernel's
/// `v4l2_fill_pixfmt()` (drivers/media/v4l2-core/v4l2-common.c, 6.1).
final class FormatArithmeticTests: XCTestCase {
    func testPackedLayoutForEveryFormatAt640x480() throws {
        let expected: [(PixelFormat, Int, Int)] = [
            (.yuyv, 1280, 614_400), (.uyvy, 1280, 614_400),
            (.nv12, 640, 460_800), (.nv21, 640, 460_800),
            (.yu12, 640, 460_800), (.yv12, 640, 460_800),
            (.yuv422p, 640, 614_400), (.grey, 640, 307_200),
            (.rgb24, 1920, 921_600), (.bgr24, 1920, 921_600),
        ]
        for (format, bytesPerLine, sizeImage) in expected {
            let layout = try XCTUnwrap(FrameFormat.packed(format, width: 640, height: 480), "\(format)")
            XCTAssertEqual(layout.bytesPerLine, bytesPerLine, "bytesperline of \(format)")
            XCTAssertEqual(layout.sizeImage, sizeImage, "sizeimage of \(format)")
            XCTAssertEqual(layout.minimumPayloadSize, sizeImage, "tight layout of \(format) has no slack")
        }
    }

    func testOddSizesRoundChromaUpLikeTheKernel() throws {
        // 641x481: chroma planes are ceil(641/2) x ceil(481/2) = 321 x 241.
        XCTAssertEqual(FrameFormat.packed(.yu12, width: 641, height: 481)?.sizeImage, 641 * 481 + 2 * 321 * 241)
        XCTAssertEqual(FrameFormat.packed(.nv12, width: 641, height: 481)?.sizeImage, 641 * 481 + 2 * 321 * 241)
        XCTAssertEqual(FrameFormat.packed(.yuv422p, width: 641, height: 481)?.sizeImage, 641 * 481 + 2 * 321 * 481)
        XCTAssertEqual(FrameFormat.packed(.yuyv, width: 641, height: 481)?.sizeImage, 2 * 641 * 481)
    }

    func testCompressedFormatsHaveNoLineLength() throws {
        let mjpeg = try XCTUnwrap(FrameFormat.packed(.mjpeg, width: 1280, height: 720))
        XCTAssertEqual(mjpeg.bytesPerLine, 0)
        XCTAssertNil(mjpeg.planes)
        XCTAssertTrue(PixelFormat.mjpeg.isCompressed)
        XCTAssertFalse(PixelFormat.yuyv.isCompressed)
    }

    func testRejectsNonsenseSizesAndUnknownFormats() {
        XCTAssertNil(FrameFormat.packed(.yuyv, width: 0, height: 480))
        XCTAssertNil(FrameFormat.packed(.yuyv, width: 640, height: -1))
        XCTAssertNil(FrameFormat.packed(.yuyv, width: 1 << 20, height: 480))
        XCTAssertNil(FrameFormat.packed(PixelFormat(fourcc: "BA81")!, width: 640, height: 480))
    }

    func testPlanesHonourDriverLinePadding() throws {
        // A driver may pad each luma line (here to 704 bytes); YU12 chroma
        // lines are then half of that, per the V4L2 YUV420 definition.
        var format = try XCTUnwrap(FrameFormat.packed(.yu12, width: 640, height: 480))
        format.bytesPerLine = 704
        let planes = try XCTUnwrap(format.planes)
        XCTAssertEqual(planes.map(\.stride), [704, 352, 352])
        XCTAssertEqual(planes.map(\.offset), [0, 704 * 480, 704 * 480 + 352 * 240])
        XCTAssertEqual(planes.map(\.rowBytes), [640, 320, 320])
        var nv12 = try XCTUnwrap(FrameFormat.packed(.nv12, width: 640, height: 480))
        nv12.bytesPerLine = 768
        XCTAssertEqual(try XCTUnwrap(nv12.planes).map(\.stride), [768, 768])
    }

    func testFourccRoundTripAndValidation() {
        XCTAssertEqual(PixelFormat(fourcc: "YUYV"), .yuyv)
        XCTAssertEqual(PixelFormat.yuyv.rawValue, 0x5659_5559)  // v4l2_fourcc('Y','U','Y','V')
        XCTAssertEqual(PixelFormat.mjpeg.fourcc, "MJPG")
        XCTAssertNil(PixelFormat(fourcc: "YUY"))
        XCTAssertNil(PixelFormat(fourcc: "YUYVX"))
    }
}

final class FlagTests: XCTestCase {
    func testTimestampTypeAndSourceDecoding() {
        let vivid = BufferFlags(rawValue: 0x0000_2001)  // mapped | timestamp_monotonic, EOF source
        XCTAssertEqual(vivid.timestampType, .monotonic)
        XCTAssertEqual(vivid.timestampSource, .endOfFrame)
        XCTAssertEqual(vivid.names, ["mapped", "timestamp_monotonic"])
        let uvc = BufferFlags(rawValue: 0x0001_2000)
        XCTAssertEqual(uvc.timestampSource, .startOfExposure)
        XCTAssertEqual(BufferFlags(rawValue: 0x4000).timestampType, .copy)
        // v4l2loopback 0.12.7 sets no timestamp flags at all (vm-recipe.md).
        XCTAssertEqual(BufferFlags(rawValue: 0x0001).timestampType, .unknown)
        XCTAssertEqual(BufferFlags(rawValue: 0x0200_0000).names, ["0x2000000"])
    }

    func testNodeCapabilitiesFromRealDrivers() {
        // Values read from vivid and v4l2loopback 0.12.7 in the test VM.
        let vivid = QueryCapability(driver: "vivid", card: "vivid", busInfo: "platform:vivid-000", version: 0x0601c0,
                                    capabilities: Capabilities(rawValue: 0x9dbf_0df7), deviceCaps: Capabilities(rawValue: 0x0523_0005))
        XCTAssertTrue(vivid.canCaptureVideo)
        XCTAssertEqual(vivid.versionString, "6.1.192")
        let loopbackNoWriter = QueryCapability(driver: "v4l2 loopback", card: "OBS Virtual Camera", busInfo: "platform:v4l2loopback-000", version: 0x0601c0,
                                               capabilities: Capabilities(rawValue: 0x8520_0002), deviceCaps: Capabilities(rawValue: 0x0520_0002))
        XCTAssertFalse(loopbackNoWriter.canCaptureVideo)
        XCTAssertEqual(loopbackNoWriter.nodeCapabilities.names, ["video_output", "ext_pix_format", "readwrite", "streaming"])
        let meta = QueryCapability(driver: "uvcvideo", card: "C920", busInfo: "usb-0000:00:14.0-1", version: 0,
                                   capabilities: Capabilities(rawValue: 0x8480_0001), deviceCaps: Capabilities(rawValue: 0x0480_0000))
        XCTAssertTrue(meta.isMetadataNode)
        XCTAssertFalse(meta.canCaptureVideo)
    }
}
