@testable import CaptureEngine
import CaptureModel
import Foundation
import TestSupport
import XCTest

/// The open errors on things the host really has: a regular file, /dev/null
/// (a character device that is not V4L2), a directory and a missing path.
/// Live V4L2 nodes are exercised in the VM tests.
final class OpenErrorTests: XCTestCase {
    func testMissingPathIsNotFound() {
        XCTAssertThrowsError(try VideoDevice(inspecting: "/dev/video-does-not-exist")) { error in
            XCTAssertEqual(error as? DeviceError, .notFound(path: "/dev/video-does-not-exist"))
        }
    }

    func testRegularFileIsNotV4L2() throws {
        let directory = try makeScratchDirectory(for: self)
        try writeBytes([0, 1, 2], to: directory + "/frame.bin")
        XCTAssertThrowsError(try VideoDevice.openForCapture(directory + "/frame.bin", mode: .raw)) { error in
            XCTAssertEqual(error as? DeviceError, .notV4L2(path: directory + "/frame.bin", reason: "regular file"))
        }
        XCTAssertThrowsError(try VideoDevice(inspecting: directory)) { error in
            XCTAssertEqual(error as? DeviceError, .notV4L2(path: directory, reason: "directory"))
        }
    }

    func testCharacterDeviceWithoutQuerycapIsNotV4L2() {
        XCTAssertThrowsError(try VideoDevice(inspecting: "/dev/null")) { error in
            guard case .notV4L2(let path, let reason) = error as? DeviceError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/dev/null")
            XCTAssertTrue(reason.contains("ENOTTY"), reason)
            XCTAssertFalse((error as? DeviceError)?.message.contains("\n") ?? true)
        }
    }

    func testMessagesNameWhatToDo() {
        let holder = DeviceHolder(pid: 4242, command: "ffmpeg", mode: .readWrite, fd: 3)
        XCTAssertEqual(DeviceError.busy(path: "/dev/video0", holders: [holder]).message,
                       "/dev/video0: device busy, held by ffmpeg (pid 4242, rw)")
        XCTAssertTrue(DeviceError.permissionDenied(path: "/dev/video0").message.contains("video"))
        XCTAssertEqual(DeviceError.cannotCapture(path: "/dev/video10", reason: "capabilities: video_output").message, "/dev/video10: V4L2 node cannot capture video (capabilities: video_output)")
    }
}

/// The /proc walk that names who holds a busy device, on a real process
/// holding a real character device.
final class DeviceHolderTests: XCTestCase {
    func testFindsAnotherProcessHoldingACharacterDeviceWithItsMode() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        // fd 7 is /dev/zero opened write-only; sleep inherits it.
        child.arguments = ["-c", "exec 7>/dev/zero; exec sleep 30"]
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        var holders: [DeviceHolder] = []
        for _ in 0..<200 where holders.isEmpty {
            usleep(10_000)
            holders = DeviceHolders.holders(of: "/dev/zero").filter { $0.pid == child.processIdentifier && $0.command == "sleep" }
        }
        let holder = try XCTUnwrap(holders.first, "the sleeping child holds /dev/zero on fd 7")
        XCTAssertEqual(holder.fd, 7)
        XCTAssertEqual(holder.mode, .write)
        XCTAssertFalse(DeviceHolders.holders(of: "/dev/zero").contains { $0.pid == getpid() }, "the agent never lists itself")
    }

    func testFdinfoFlagsParseToAccessModes() {
        XCTAssertEqual(DeviceHolders.accessMode(fdinfo: "pos:\t0\nflags:\t0100002\nmnt_id:\t25\n"), .readWrite)
        XCTAssertEqual(DeviceHolders.accessMode(fdinfo: "pos:\t0\nflags:\t02100000\n"), .read)
        XCTAssertEqual(DeviceHolders.accessMode(fdinfo: "flags:\t0100001\n"), .write)
    }

    func testRegularFilesHaveNoDeviceHolders() throws {
        let directory = try makeScratchDirectory(for: self)
        try writeBytes([1], to: directory + "/f")
        XCTAssertEqual(DeviceHolders.holders(of: directory + "/f"), [])
    }
}

final class DiscoveryTests: XCTestCase {
    func testVideoNodesAreListedInNumericOrder() throws {
        let directory = try makeScratchDirectory(for: self)
        for name in ["video10", "video2", "video0", "vbi0", "videoX", "media0"] { try writeBytes([], to: "\(directory)/\(name)") }
        XCTAssertEqual(DeviceDiscovery.videoNodes(devRoot: directory), ["video0", "video2", "video10"].map { "\(directory)/\($0)" })
    }

    func testUnreadableNodesAreListedWithTheirError() throws {
        let directory = try makeScratchDirectory(for: self)
        try writeBytes([], to: directory + "/video0")
        let listing = try XCTUnwrap(DeviceDiscovery.list(devRoot: directory, sysfsRoot: directory + "/sys").first)
        XCTAssertFalse(listing.canCapture)
        XCTAssertEqual(listing.error, "\(directory)/video0: not a V4L2 device (regular file)")
    }
}
