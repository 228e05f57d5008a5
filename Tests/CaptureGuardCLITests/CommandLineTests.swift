import Attestation
import CaptureCrypto
import CaptureFile
@testable import CaptureGuardCLI
import CaptureModel
import Foundation
import TestSupport
import XCTest

/// Runs the command line in-process and captures both streams.
func runCLI(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
    var out = ""
    var err = ""
    let console = Console(writeOut: { out += $0 }, writeError: { err += $0 }, errorIsTerminal: false)
    let status = CommandLineTool.run(arguments, console: console)
    return (status, out, err)
}

final class CommandLineTests: XCTestCase {
    func testEveryCommandHasHelp() {
        XCTAssertEqual(CommandLineTool.commands.map(\.name),
                       ["devices", "inspect", "assess-path", "enroll-path", "record", "replay", "import-y4m", "import-mjpeg", "export-y4m", "analyze", "enroll-sensor", "detect-faces", "attest", "keygen", "verify", "serve", "audit-verify"])
        for command in CommandLineTool.commands {
            let result = runCLI([command.name, "--help"])
            XCTAssertEqual(result.status, 0, command.name)
            XCTAssertTrue(result.out.hasPrefix("Usage: captureguard \(command.name)"), command.name)
            XCTAssertTrue(result.out.contains("--help"), command.name)
            XCTAssertEqual(result.err, "")
        }
        XCTAssertTrue(runCLI(["--help"]).out.contains("record"))
        XCTAssertEqual(runCLI(["--version"]).out, "captureguard \(CommandLineTool.version)\n")
    }

    func testUsageErrorsExitTwoWithOneClearLine() {
        let cases: [[String]] = [[], ["frobnicate"], ["record", "/dev/video0"], ["record", "/dev/video0", "--out"],
                                 ["record", "/dev/video0", "--out", "x", "--seconds", "-3"], ["replay"], ["replay", "a", "b"],
                                 ["devices", "--bogus"], ["record", "/dev/video0", "--out", "x", "--size", "640"],
                                 ["import-mjpeg", "x", "--out", "y", "--fps", "0"], ["devices", "--json=yes"]]
        for arguments in cases {
            let result = runCLI(arguments)
            XCTAssertEqual(result.status, ExitCode.usage.rawValue, "\(arguments)")
            XCTAssertFalse(result.err.isEmpty, "\(arguments)")
        }
        XCTAssertEqual(runCLI(["record", "/dev/video0"]).err, "captureguard record: --out is required (see 'captureguard record --help')\n")
        XCTAssertEqual(runCLI(["record", "/dev/video0", "--out", "x", "--fps", "5000000000"]).status, ExitCode.usage.rawValue, "a number that would overflow later is a usage error")
        XCTAssertEqual(runCLI(["record", "/dev/video0", "--out", "x", "--seconds", "1e300"]).status, ExitCode.usage.rawValue)
    }

    func testDeviceOpenErrorsMapToDocumentedCodes() throws {
        let directory = try makeScratchDirectory(for: self)
        let out = directory + "/never.cgcap"
        let missing = runCLI(["record", "/dev/video-missing", "--out", out])
        XCTAssertEqual(missing.status, ExitCode.notFound.rawValue)
        XCTAssertEqual(missing.err, "captureguard record: /dev/video-missing: no such device\n")
        XCTAssertEqual(runCLI(["record", "/dev/null", "--out", out]).status, ExitCode.notV4L2.rawValue)
        try writeBytes([1, 2, 3], to: directory + "/plain")
        XCTAssertEqual(runCLI(["record", directory + "/plain", "--out", out]).status, ExitCode.notV4L2.rawValue)
        XCTAssertEqual(runCLI(["inspect", "/dev/null"]).status, ExitCode.notV4L2.rawValue)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed open leaves no capture file behind")
    }

    func testRecordRefusesToOverwriteBeforeTouchingTheDevice() throws {
        let directory = try makeScratchDirectory(for: self)
        try writeBytes([7], to: directory + "/earlier.cgcap")
        let result = runCLI(["record", "/dev/null", "--out", directory + "/earlier.cgcap"])
        XCTAssertEqual(result.status, ExitCode.outputError.rawValue)
        XCTAssertTrue(result.err.contains("--force"))
        XCTAssertEqual(try readBytes(directory + "/earlier.cgcap"), [7])
    }

    func testDevicesJSONIsAnArray() throws {
        let result = runCLI(["devices", "--json"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) is [Any])
    }

    func testImportReplayInspectAndExportOfAY4M() throws {
        let directory = try makeScratchDirectory(for: self)
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-pix_fmt", "yuv420p", directory + "/in.y4m"])
        let capture = directory + "/c.cgcap"
        XCTAssertEqual(runCLI(["import-y4m", directory + "/in.y4m", "--out", capture]).status, 0)
        let again = runCLI(["import-y4m", directory + "/in.y4m", "--out", capture])
        XCTAssertEqual(again.status, ExitCode.outputError.rawValue, "existing output is refused")
        XCTAssertEqual(runCLI(["import-y4m", directory + "/in.y4m", "--out", capture, "--force"]).status, 0)

        let replay = runCLI(["replay", capture, "--json"])
        XCTAssertEqual(replay.status, 0)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(replay.out.utf8)) as? [String: Any])
        let frames = try XCTUnwrap(document["frames"] as? [[String: Any]])
        XCTAssertEqual(frames.count, 3)
        XCTAssertTrue(frames[0]["timestamp_ns"] is NSNull, "imports carry no kernel timestamp")
        let summary = try XCTUnwrap(document["summary"] as? [String: Any])
        XCTAssertEqual(summary["integrity"] as? String, "complete")
        XCTAssertEqual((document["info"] as? [String: Any])?["timing"] as? String, "unknown")

        let text = runCLI(["replay", capture])
        XCTAssertTrue(text.out.contains("timing:   unknown"))
        XCTAssertTrue(text.out.contains("frames: 3"))

        let inspect = runCLI(["inspect", capture])
        XCTAssertEqual(inspect.status, 0)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as? [String: Any])
        XCTAssertEqual(header["source_kind"] as? String, "y4m")
        XCTAssertEqual((header["format"] as? [String: Any])?["fourcc"] as? String, "YU12")

        XCTAssertEqual(runCLI(["export-y4m", capture, "--out", directory + "/out.y4m"]).status, 0)
        XCTAssertEqual(try readBytes(directory + "/out.y4m"), try readBytes(directory + "/in.y4m"))
    }

    func testTruncatedCaptureReplaysWithWarningAndDamagedOneFails() throws {
        let directory = try makeScratchDirectory(for: self)
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "4", "-pix_fmt", "gray", "-strict", "-1", directory + "/in.y4m"])
        let capture = directory + "/c.cgcap"
        XCTAssertEqual(runCLI(["import-y4m", directory + "/in.y4m", "--out", capture]).status, 0)
        let bytes = try readBytes(capture)
        try writeBytes(Array(bytes.dropLast(60)), to: capture)
        let truncated = runCLI(["replay", capture])
        XCTAssertEqual(truncated.status, 0)
        XCTAssertTrue(truncated.err.contains("truncated"), truncated.err)
        XCTAssertTrue(truncated.out.contains("frames: 3"), "the three whole frames before the cut are kept")

        var damaged = bytes
        damaged[damaged.count - 400] ^= 0xFF
        try writeBytes(damaged, to: capture)
        let result = runCLI(["replay", capture, "--json"])
        XCTAssertEqual(result.status, ExitCode.invalidInput.rawValue)
        XCTAssertTrue(result.err.contains("damaged record"), result.err)

        try writeBytes(Array("garbage".utf8), to: capture)
        let foreign = runCLI(["replay", capture])
        XCTAssertEqual(foreign.status, ExitCode.invalidInput.rawValue)
        XCTAssertEqual(foreign.err, "captureguard replay: \(capture): not a CaptureGuard capture (unknown magic)\n")
    }

    func testCraftedCaptureHeadersAndTimestampsNeverCrash() throws {
        let directory = try makeScratchDirectory(for: self)
        // An implausible frame size in an otherwise valid header.
        var huge = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 64, height: 48))
        huge.width = 1 << 40
        huge.bytesPerLine = Int.max / 2
        let info = CaptureInfo(sourceKind: .v4l2, sourcePath: "/dev/video0", mode: .raw, timing: .kernel, format: huge,
                               frameInterval: nil, device: nil, recorder: "t", createdAt: "t")
        let writer = try CaptureFileWriter(path: directory + "/huge.cgcap", info: info, appendOnly: true)
        try writer.finish(reason: .complete)
        for command in [["replay"], ["export-y4m", "--out", directory + "/o.y4m"], ["inspect"]] {
            let result = runCLI([command[0], directory + "/huge.cgcap"] + command.dropFirst())
            XCTAssertEqual(result.status, ExitCode.invalidInput.rawValue, "\(command): \(result.err)")
            XCTAssertTrue(result.err.contains("implausible frame format"), result.err)
        }
        // Timestamps whose difference does not fit in 64 bits, and a short
        // payload that libv4lconvert would read past.
        let format = try XCTUnwrap(FrameFormat.packed(.yuyv, width: 64, height: 48))
        let sane = CaptureInfo(sourceKind: .v4l2, sourcePath: "/dev/video0", mode: .raw, timing: .kernel, format: format,
                               frameInterval: nil, device: nil, recorder: "t", createdAt: "t")
        let odd = try CaptureFileWriter(path: directory + "/odd.cgcap", info: sane, appendOnly: true)
        for (index, stamp) in [Int64(-5_000_000_000_000_000_000), 5_000_000_000_000_000_000].enumerated() {
            try odd.append(Frame(metadata: FrameMetadata(index: index, sequence: UInt32(index), timestampNanoseconds: stamp, flags: BufferFlags(rawValue: 0x2000),
                                                         bytesUsed: 10, hostMonotonicNanoseconds: -stamp), format: format, payload: [UInt8](repeating: 1, count: 10)))
        }
        try odd.finish(reason: .complete)
        XCTAssertEqual(runCLI(["replay", directory + "/odd.cgcap", "--json"]).status, 0)
        XCTAssertEqual(runCLI(["replay", directory + "/odd.cgcap"]).status, 0)
        let analysis = runCLI(["analyze", directory + "/odd.cgcap", "--json"])
        XCTAssertEqual(analysis.status, 0, "short frames and absurd timestamps are analysed, not a crash: \(analysis.err)")
        XCTAssertTrue(analysis.out.contains("\"insufficient_evidence\""), analysis.out)
        let export = runCLI(["export-y4m", directory + "/odd.cgcap", "--out", directory + "/odd.y4m"])
        XCTAssertEqual(export.status, ExitCode.invalidInput.rawValue, export.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/odd.y4m"))
        let key = directory + "/k.key"
        try KeyFile.store(try SigningKey.generate(.ed25519), to: key, replace: false)
        let attest = runCLI(["attest", directory + "/odd.cgcap", "--nonce", "c2VydmVyLWNoYWxsZW5nZQ", "--key", key, "--evidence", directory + "/e.png"])
        XCTAssertEqual(attest.status, ExitCode.invalidInput.rawValue, "short frames cannot be evidence: \(attest.err)")
        XCTAssertEqual(attest.out, "", "no token for a session without a usable frame")
    }

    func testUndecodableExportFailsWithoutLeavingAFile() throws {
        let directory = try makeScratchDirectory(for: self)
        // ffmpeg writes 4:2:2 JPEG with 2x2 luma / 1x2 chroma sampling, which
        // libv4lconvert refuses: a real decode failure to exercise.
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "2", "-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-f", "mjpeg", directory + "/in.mjpeg"])
        XCTAssertEqual(runCLI(["import-mjpeg", directory + "/in.mjpeg", "--out", directory + "/c.cgcap"]).status, 0)
        let result = runCLI(["export-y4m", directory + "/c.cgcap", "--out", directory + "/out.y4m"])
        XCTAssertEqual(result.status, ExitCode.invalidInput.rawValue)
        XCTAssertTrue(result.err.contains("frame 0"), result.err)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["c.cgcap", "in.mjpeg"])
    }

    func testAssessPathOnARecordedFingerprint() throws {
        let file = fingerprintsDirectory() + "/vm-loopback-caps1-c920-writer.json"
        let text = runCLI(["assess-path", "--fingerprint", file])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.out.contains("verdict: virtual"), text.out)
        XCTAssertTrue(text.out.contains("attack     virtual_bus:"), text.out)
        let json = runCLI(["assess-path", "--fingerprint", file, "--json"])
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        XCTAssertEqual(document["verdict"] as? String, "virtual")
        XCTAssertEqual(document["policy_version"] as? String, "capture-path-policy/1")
        let findings = try XCTUnwrap(document["findings"] as? [[String: Any]])
        XCTAssertTrue(findings.contains { $0["code"] as? String == "writer_process" && ($0["evidence"] as? [String: String])?["comm"] == "ffmpeg" })
        XCTAssertEqual((document["fingerprint_sha256"] as? String)?.count, 64)
    }

    func testAssessPathReadsTheFingerprintACaptureRecorded() throws {
        let sample = fingerprintsDirectory() + "/../vivid-yuyv-320x180.cgcap"
        let result = runCLI(["assess-path", "--fingerprint", sample, "--json"])
        XCTAssertEqual(result.status, 0, result.err)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        XCTAssertEqual(document["verdict"] as? String, "virtual", "the sample was recorded from vivid")
        let imported = runCLI(["assess-path", "--fingerprint", fingerprintsDirectory() + "/../testsrc2-mjpeg-320x240.cgcap"])
        XCTAssertEqual(imported.status, ExitCode.invalidInput.rawValue)
        XCTAssertTrue(imported.err.contains("no device fingerprint"), imported.err)
    }

    func testBadFingerprintFilesFailWithOneLineNamingTheProblem() throws {
        let directory = try makeScratchDirectory(for: self)
        let good = try String(contentsOfFile: fingerprintsDirectory() + "/dump-03-logitech-c270.json", encoding: .utf8)
        let cases: [(String, String, ExitCode, String)] = [
            ("malformed", "{\"schema\": \"captureguard.fingerprint/1\", ", .invalidInput, "malformed JSON"),
            ("schema", good.replacingOccurrences(of: "captureguard.fingerprint/1", with: "captureguard.device/9"), .invalidInput, "not a captureguard.fingerprint/1 document (schema 'captureguard.device/9')"),
            ("noschema", "{\"querycap\": {}}", .invalidInput, "schema: missing"),
            ("types", good.replacingOccurrences(of: "\"capabilities\": 2225078273", with: "\"capabilities\": \"0x84a00001\""), .invalidInput, "querycap.capabilities: expected an integer"),
            ("noquerycap", "{\"schema\": \"captureguard.fingerprint/1\", \"node\": \"/dev/video0\"}", .invalidInput, "querycap: missing"),
            ("array", "[1, 2, 3]", .invalidInput, "invalid fingerprint"),
            ("formats", "{\"schema\": \"captureguard.fingerprint/1\", \"formats\": {\"x\": 1}, \"querycap\": {\"driver\": \"d\", \"card\": \"c\", \"bus_info\": \"b\", \"capabilities\": 1}}", .invalidInput, "formats: expected an array"),
        ]
        for (name, content, code, fragment) in cases {
            let path = "\(directory)/\(name).json"
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            let result = runCLI(["assess-path", "--fingerprint", path])
            XCTAssertEqual(result.status, code.rawValue, "\(name): \(result.err)")
            XCTAssertTrue(result.err.contains(fragment), "\(name): '\(result.err)' should contain '\(fragment)'")
            XCTAssertEqual(result.err.split(separator: "\n").count, 1, "\(name): one line")
        }
        XCTAssertEqual(runCLI(["assess-path", "--fingerprint", directory + "/absent.json"]).status, ExitCode.notFound.rawValue)
        XCTAssertEqual(runCLI(["assess-path", "/dev/video0", "--fingerprint", directory + "/x.json"]).status, ExitCode.usage.rawValue)
        XCTAssertEqual(runCLI(["assess-path", "/dev/null"]).status, ExitCode.notV4L2.rawValue)
    }

    func testAttestRefusesBadArgumentsBeforeCapturing() throws {
        let directory = try makeScratchDirectory(for: self)
        let key = directory + "/agent.key"
        try KeyFile.store(try SigningKey.generate(.ed25519), to: key, replace: false)
        let sample = fingerprintsDirectory() + "/../vivid-yuyv-320x180.cgcap"
        let nonce = "c2VydmVyLWNoYWxsZW5nZQ"
        let mismatched = runCLI(["attest", sample, "--nonce", nonce, "--key", key, "--alg", "ES256", "--evidence", directory + "/e.png"])
        XCTAssertEqual(mismatched.status, ExitCode.usage.rawValue, mismatched.err)
        XCTAssertTrue(mismatched.err.contains("does not fit this Ed25519 key"), mismatched.err)
        XCTAssertEqual(runCLI(["attest", sample, "--nonce", nonce, "--key", key, "--alg", "HS256"]).status, ExitCode.usage.rawValue)
        XCTAssertEqual(runCLI(["attest", sample, "--nonce", "c2hvcnQ", "--key", key]).status, ExitCode.usage.rawValue, "a 5-byte nonce")
        XCTAssertEqual(runCLI(["attest", sample, "--nonce", nonce, "--key", directory + "/none.key"]).status, ExitCode.notFound.rawValue)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/e.png"), "nothing is written when arguments are refused")
        let ok = runCLI(["attest", sample, "--nonce", nonce, "--key", key, "--evidence", directory + "/e.png"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertEqual(ok.out.filter { $0 == "." }.count, 2)
        XCTAssertTrue(ok.err.hasPrefix("attest: fail (test_driver,"), ok.err)
        XCTAssertTrue(ok.err.contains("no_temporal_noise") && ok.err.contains("file_source)"), ok.err)
    }

    func testEnrollPathRefusesNonV4L2AndExistingOutput() throws {
        let directory = try makeScratchDirectory(for: self)
        XCTAssertEqual(runCLI(["enroll-path", "/dev/null", "--out", directory + "/pin.json"]).status, ExitCode.notV4L2.rawValue)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/pin.json"))
        try writeBytes([1], to: directory + "/pin.json")
        XCTAssertEqual(runCLI(["enroll-path", "/dev/null", "--out", directory + "/pin.json"]).status, ExitCode.outputError.rawValue)
    }
}

func fingerprintsDirectory() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Captures/fingerprints").path
}
