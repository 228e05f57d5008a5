import Foundation
import TestSupport
import XCTest

/// The built `captureguard` executable as a user runs it: exit statuses
/// through a real process, and a permission error as an unprivileged user.
final class ExecutableTests: XCTestCase {
    private func executable() throws -> String {
        // SwiftPM puts the test bundle and the executable in one directory.
        let directory = Bundle.main.bundleURL.path
        let candidates = [directory + "/captureguard", directory + "/../captureguard"]
        return try XCTUnwrap(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                             "captureguard not built next to \(directory); run swift build first")
    }

    func testExitStatusAndSingleLineErrorThroughAProcess() throws {
        let result = try runTool(try executable(), ["record", "/dev/video-missing", "--out", "/tmp/never.cgcap"])
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.stderr, "captureguard record: /dev/video-missing: no such device\n")
        XCTAssertEqual(try runTool(try executable(), ["--version"]).status, 0)
    }

    func testPermissionDeniedAsAnUnprivilegedUser() throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to create a device node and drop to 'nobody'")
        }
        let directory = try makeScratchDirectory(for: self)
        // A character device only root may open: the same device number as
        // /dev/null, mode 0600.
        var null = stat()
        XCTAssertEqual(stat("/dev/null", &null), 0)
        XCTAssertEqual(mknod(directory + "/video0", S_IFCHR | 0o600, null.st_rdev), 0)
        chmod(directory, 0o755)
        let result = try runTool("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", try executable(), "inspect", directory + "/video0"])
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains("permission denied"), result.stderr)
    }
}
