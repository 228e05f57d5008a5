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
                       ["devices", "inspect", "record", "replay", "import-y4m", "import-mjpeg", "export-y4m"])
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
        XCTAssertEqual(runCLI(["record", "/dev/video0"]).err.split(separator: "\n").first, "captureguard record: --out is required")
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
}
