import CaptureFile
@testable import CaptureGuardCLI
import CaptureModel
import Foundation
import TestSupport
import XCTest

/// `analyze` and `enroll-sensor` end to end, in-process, on capture files.
final class ForensicsCommandTests: XCTestCase {
    let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Captures/vivid-yuyv-320x180.cgcap").path

    func testAnalyzeTheVividSample() throws {
        let result = runCLI(["analyze", sample, "--json"])
        XCTAssertEqual(result.status, 0, result.err)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        XCTAssertEqual(document["schema"] as? String, "captureguard.analysis/1")
        let forensics = try XCTUnwrap(document["forensics"] as? [String: Any])
        XCTAssertEqual(forensics["verdict"] as? String, "fail", "vivid's test pattern has no sensor noise")
        XCTAssertTrue((forensics["reasons"] as? [String] ?? []).contains("no_temporal_noise"))
        let analysers = try XCTUnwrap(forensics["analysers"] as? [String: Any])
        XCTAssertEqual(Set(analysers.keys), ["timing", "repetition", "temporal_noise", "reencoding", "moire", "sensor_identity"])
        XCTAssertEqual((analysers["sensor_identity"] as? [String: Any])?["status"] as? String, "not_applicable")
        XCTAssertEqual((document["capture_path"] as? [String: Any])?["verdict"] as? String, "virtual")
        XCTAssertEqual(document["verdict"] as? String, "fail")

        let text = runCLI(["analyze", sample])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.out.contains("attack     no_temporal_noise:"), text.out)
        XCTAssertTrue(text.out.hasSuffix("verdict: fail  (policy decision-policy/3)\n"), text.out)
    }

    /// A bright, flat, noisy scene through a fixed gain pattern: enough for
    /// enrollment, and a session from it matches.
    func testEnrollThenMatchAndRefusals() throws {
        let directory = try makeScratchDirectory(for: self)
        let width = 160, height = 128
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: width, height: height))
        let info = CaptureInfo(sourceKind: .v4l2, sourcePath: "/dev/video0", mode: .raw, timing: .kernel, format: format,
                               frameInterval: Fraction(1, 30), device: nil, recorder: "t", createdAt: "t")
        var state: UInt64 = 42
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let gains = (0..<(width * height)).map { _ in 1 + 0.06 * (uniform() - 0.5) }
        let path = directory + "/flat.cgcap"
        let writer = try CaptureFileWriter(path: path, info: info, appendOnly: true)
        for index in 0..<30 {
            var payload = [UInt8](repeating: 128, count: width * height * 2)
            for pixel in 0..<(width * height) {
                payload[pixel * 2] = UInt8(max(0, min(255, (160 * gains[pixel] + 4 * (uniform() - 0.5)).rounded())))
            }
            let stamp = Int64(index) * 33_333_333 + Int64(uniform() * 800_000)
            try writer.append(Frame(metadata: FrameMetadata(index: index, sequence: UInt32(index), timestampNanoseconds: stamp,
                                                            flags: BufferFlags(rawValue: 0x2000), bytesUsed: payload.count, hostMonotonicNanoseconds: stamp + 2_000_000),
                                    format: format, payload: payload))
        }
        try writer.finish(reason: .complete)

        let sensor = directory + "/a.prnu"
        let enroll = runCLI(["enroll-sensor", path, "--out", sensor])
        XCTAssertEqual(enroll.status, 0, enroll.err)
        XCTAssertTrue(enroll.err.contains("PRNU of 30 frames"), enroll.err)
        let again = runCLI(["enroll-sensor", path, "--out", sensor])
        XCTAssertEqual(again.status, ExitCode.outputError.rawValue, "an existing fingerprint is not replaced without --force")

        let analysis = runCLI(["analyze", path, "--sensor", sensor])
        XCTAssertEqual(analysis.status, 0, analysis.err)
        XCTAssertTrue(analysis.out.contains("sensor_match"), analysis.out)

        for command in ["analyze", "enroll-sensor"] {
            let absent = runCLI([command, directory + "/none.cgcap"] + (command == "enroll-sensor" ? ["--out", directory + "/x.prnu"] : []))
            XCTAssertEqual(absent.status, ExitCode.notFound.rawValue, command)
            XCTAssertEqual(absent.err, "captureguard \(command): \(directory)/none.cgcap: no such device or capture file\n")
        }
        let missing = runCLI(["analyze", path, "--sensor", directory + "/none.prnu"])
        XCTAssertEqual(missing.status, ExitCode.notFound.rawValue)
        var bytes = try readBytes(sensor)
        bytes[bytes.count / 2] ^= 1
        try writeBytes(bytes, to: directory + "/bad.prnu")
        let corrupt = runCLI(["analyze", path, "--sensor", directory + "/bad.prnu"])
        XCTAssertEqual(corrupt.status, ExitCode.invalidInput.rawValue)
        XCTAssertTrue(corrupt.err.contains("corrupt sensor fingerprint: checksum mismatch"), corrupt.err)
        let foreign = runCLI(["analyze", path, "--sensor", path])
        XCTAssertEqual(foreign.status, ExitCode.invalidInput.rawValue)
        XCTAssertTrue(foreign.err.contains("not a CaptureGuard sensor fingerprint"), foreign.err)

        // The vivid sample's colour bars are bright enough, but 10 frames of
        // 320x180 at a different size cannot be checked against this sensor.
        let mismatch = runCLI(["analyze", sample, "--sensor", sensor, "--json"])
        XCTAssertEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.out.contains("the sensor was enrolled at 160x128"), mismatch.out)

        // A black capture cannot be enrolled, and leaves no file.
        let dark = directory + "/dark.cgcap"
        let darkWriter = try CaptureFileWriter(path: dark, info: info, appendOnly: true)
        for index in 0..<12 {
            try darkWriter.append(Frame(metadata: FrameMetadata(index: index, sequence: UInt32(index), timestampNanoseconds: Int64(index) * 33_333_333,
                                                                flags: BufferFlags(rawValue: 0x2000), bytesUsed: width * height * 2, hostMonotonicNanoseconds: nil),
                                        format: format, payload: [UInt8](repeating: 0, count: width * height * 2)))
        }
        try darkWriter.finish(reason: .complete)
        let refused = runCLI(["enroll-sensor", dark, "--out", directory + "/dark.prnu"])
        XCTAssertEqual(refused.status, ExitCode.invalidInput.rawValue)
        XCTAssertTrue(refused.err.contains("only 0 usable frames"), refused.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/dark.prnu"))
    }
}

/// The double-JPEG test on MJPEG made by ffmpeg from the same frames:
/// compressed once, it passes; compressed, decoded and compressed again at
/// a finer quantiser (what re-encoding a replay for a virtual camera does),
/// it is `double_jpeg`.
final class DoubleJPEGCommandTests: XCTestCase {
    func testRecompressedMJPEGIsDoubleJPEG() throws {
        let directory = try makeScratchDirectory(for: self)
        let width = 320, height = 240
        var y4m = Array("YUV4MPEG2 W\(width) H\(height) F30:1 C420jpeg\n".utf8)
        var state: UInt64 = 9
        for frame in 0..<12 {
            y4m += Array("FRAME\n".utf8)
            for y in 0..<height {
                for x in 0..<width {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let texture = 110 + 50 * sin(Double(x + frame) / 7) * cos(Double(y) / 11) + 25 * sin(Double(x * y) / 300)
                    y4m.append(UInt8(max(0, min(255, texture + Double(state >> 61) - 3.5))))
                }
            }
            y4m += [UInt8](repeating: 128, count: width * height / 2)
        }
        try writeBytes(y4m, to: directory + "/clip.y4m")
        try ffmpeg(["-i", directory + "/clip.y4m", "-q:v", "4", "-pix_fmt", "yuvj420p", "-f", "mjpeg", directory + "/once.mjpeg"])
        try ffmpeg(["-i", directory + "/clip.y4m", "-q:v", "8", "-pix_fmt", "yuvj420p", "-f", "mjpeg", directory + "/first.mjpeg"])
        try ffmpeg(["-i", directory + "/first.mjpeg", "-q:v", "4", "-pix_fmt", "yuvj420p", "-f", "mjpeg", directory + "/twice.mjpeg"])
        var shares: [String: Double] = [:]
        for name in ["once", "twice"] {
            XCTAssertEqual(runCLI(["import-mjpeg", directory + "/\(name).mjpeg", "--fps", "30", "--out", directory + "/\(name).cgcap"]).status, 0)
            let result = runCLI(["analyze", directory + "/\(name).cgcap", "--json"])
            XCTAssertEqual(result.status, 0, result.err)
            let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
            let reencoding = try XCTUnwrap(((document["forensics"] as? [String: Any])?["analysers"] as? [String: Any])?["reencoding"] as? [String: Any])
            XCTAssertEqual(reencoding["status"] as? String, "ran", name)
            shares[name] = (reencoding["metrics"] as? [String: Any])?["double_jpeg_rise_share"] as? Double
            let codes = (reencoding["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            XCTAssertEqual(codes.contains("double_jpeg"), name == "twice", "\(name): \(codes), rise share \(shares[name] ?? -1)")
        }
        XCTAssertLessThan(shares["once"] ?? 1, shares["twice"] ?? 0)
    }
}
