@testable import CaptureFile
import TestSupport
import XCTest

/// Binary PGM/PPM reading: the header's corners, and damaged files refused
/// with a reason (exit 10 at the command line) before any large allocation.
final class PNMTests: XCTestCase {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = try makeScratchDirectory(for: self) + "/image.pnm"
        try writeBytes(bytes, to: path)
        return path
    }

    func testReadsGrayAndColourWithComments() throws {
        let gray = try PNMImage(path: write(Array("P5\n# a comment\n3 2\n255\n".utf8) + [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual([gray.width, gray.height, gray.channels], [3, 2, 1])
        XCTAssertEqual(gray.samples, [1, 2, 3, 4, 5, 6])
        let colour = try PNMImage(path: write(Array("P6 1 1 255\n".utf8) + [9, 8, 7]))
        XCTAssertEqual(colour.channels, 3)
        XCTAssertEqual(colour.samples, [9, 8, 7])
    }

    func assertRefused(_ bytes: [UInt8], containing fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(bytes)
        XCTAssertThrowsError(try PNMImage(path: path), file: file, line: line) { error in
            guard case .invalidInput(_, let reason) = error as? CaptureFileError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(reason.contains(fragment), "'\(reason)' lacks '\(fragment)'", file: file, line: line)
        }
    }

    func testDamagedFilesAreRefused() throws {
        try assertRefused(Array("P5\n3 2\n255\n".utf8) + [1, 2], containing: "truncated")
        // A header claiming 16384² RGB in a 20-byte file: refused before reading.
        try assertRefused(Array("P6\n16384 16384\n255\n".utf8), containing: "truncated")
        try assertRefused(Array("P5\n3 2\n65535\n".utf8), containing: "maximum value")
        try assertRefused(Array("P5\n0 2\n255\n".utf8), containing: "out of range")
        try assertRefused(Array("P3\n1 1\n255\n1 2 3\n".utf8), containing: "not a binary PGM or PPM")
        try assertRefused(Array("P5\n3 x\n".utf8), containing: "malformed")
    }
}
