// Helpers shared by CaptureGuard's test targets: scratch directories and
// running real external tools (ffmpeg, ffprobe) whose output the tests
// compare against. A missing tool fails the test; it is never skipped.

import Foundation
import XCTest

public struct ToolResult {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs `executable` (a path, or a name looked up on PATH) and waits for it.
public func runTool(_ executable: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ToolResult {
    guard let path = executable.contains("/") ? executable : findOnPath(executable) else {
        XCTFail("\(executable) is not installed; .ci/run installs it", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Drain both pipes concurrently so a chatty tool cannot block on a full pipe.
    let errorData = LockedData()
    let reader = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    return ToolResult(status: process.terminationStatus, stdout: output, stderr: String(decoding: errorData.value, as: UTF8.self))
}

/// Runs ffmpeg quietly and fails the test if it fails.
public func ffmpeg(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    let result = try runTool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments, file: file, line: line)
    guard result.status == 0 else {
        XCTFail("ffmpeg \(arguments.joined(separator: " ")) failed: \(result.stderr)", file: file, line: line)
        throw CocoaError(.fileWriteUnknown)
    }
}

public func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// A fresh directory under the system temporary directory, removed by the
/// test case's teardown.
public func makeScratchDirectory(for testCase: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "captureguard-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

public func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

public func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The frames of a Y4M file: header line and each frame's bytes.
public func parseY4M(_ bytes: [UInt8], frameSize: Int) -> (header: String, frames: [[UInt8]])? {
    guard let newline = bytes.firstIndex(of: 0x0a) else { return nil }
    let header = String(decoding: bytes[..<newline], as: UTF8.self)
    var frames: [[UInt8]] = []
    var position = newline + 1
    while position < bytes.count {
        guard let end = bytes[position...].firstIndex(of: 0x0a) else { return nil }
        let start = end + 1
        guard start + frameSize <= bytes.count else { return nil }
        frames.append(Array(bytes[start..<start + frameSize]))
        position = start + frameSize
    }
    return (header, frames)
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    func set(_ value: Data) {
        lock.lock()
        data = value
        done = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    var value: Data {
        lock.lock()
        defer { lock.unlock() }
        return data
    }
}
