import CaptureCrypto
import CaptureModel
@testable import CapturePath
import Foundation
import TestSupport
import XCTest

let fingerprintDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Captures/fingerprints").path

func loadFingerprint(_ name: String) throws -> DeviceFingerprint {
    try JSONDecoder().decode(DeviceFingerprint.self, from: Data(contentsOf: URL(fileURLWithPath: "\(fingerprintDirectory)/\(name)")))
}

struct Manifest: Decodable {
    struct Entry: Decodable {
        var kind: String
        var verdicts: [PathVerdict]
        var codes: [String]?
    }
    var fingerprints: [String: Entry]
}

/// The recorded fingerprints in Captures/fingerprints: real drivers in the
/// VM and published dumps, each with the verdicts it must get.
final class RecordedFingerprintTests: XCTestCase {
    func testEveryRecordedFingerprintGetsItsRequiredVerdict() throws {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: fingerprintDirectory + "/manifest.json")))
        let files = try FileManager.default.contentsOfDirectory(atPath: fingerprintDirectory).filter { $0.hasSuffix(".json") && $0 != "manifest.json" }
        XCTAssertEqual(Set(files), Set(manifest.fingerprints.keys), "every recorded fingerprint is classified in manifest.json")
        XCTAssertGreaterThanOrEqual(files.count, 14)
        for (name, entry) in manifest.fingerprints.sorted(by: { $0.key < $1.key }) {
            let assessment = PathAssessor.assess(try loadFingerprint(name))
            XCTAssertTrue(entry.verdicts.contains(assessment.verdict), "\(name) (\(entry.kind)): got \(assessment.verdict), want one of \(entry.verdicts)")
            for code in entry.codes ?? [] {
                XCTAssertTrue(assessment.findings.contains { $0.code == code }, "\(name): expected finding \(code)")
            }
            if entry.verdicts.contains(.physical) {
                XCTAssertFalse(assessment.findings.contains { $0.severity == .attack }, "\(name): a real camera gets no attack finding")
            }
        }
    }

    func testRenamingTheCardNeverMakesAVirtualCameraLookPhysical() throws {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: fingerprintDirectory + "/manifest.json")))
        let labels = ["HD Pro Webcam C920", "Integrated Camera: Integrated C", "UVC Camera (046d:0825)", "FaceTime HD Camera", ""]
        for (name, entry) in manifest.fingerprints where entry.verdicts == [.virtual] {
            var fingerprint = try loadFingerprint(name)
            for label in labels {
                fingerprint.querycap.card = label
                XCTAssertEqual(PathAssessor.assess(fingerprint).verdict, .virtual, "\(name) renamed '\(label)'")
            }
        }
    }

    func testEachHardSignalAloneIsEnoughForALoopback() throws {
        // Strip a v4l2loopback fingerprint down to one kind of evidence at a
        // time: each of these alone must still say virtual.
        let full = try loadFingerprint("vm-loopback-caps1-c920-writer.json")
        var bare = DeviceFingerprint(node: full.node, querycap: full.querycap)
        bare.querycap.driver = "uvcvideo"
        bare.querycap.busInfo = "usb-0000:00:14.0-1"
        XCTAssertNotEqual(PathAssessor.assess(bare).verdict, .virtual, "the stripped base has no evidence left")

        var onlyDriver = bare
        onlyDriver.querycap.driver = full.querycap.driver
        var onlySysfs = bare
        onlySysfs.sysfs = full.sysfs
        var onlyControls = bare
        onlyControls.controls = full.controls
        var outputNode = bare
        outputNode.querycap.deviceCaps = Capabilities(rawValue: 0x0520_0002)
        for (label, fingerprint) in [("driver", onlyDriver), ("sysfs", onlySysfs), ("controls", onlyControls), ("output capability", outputNode)] {
            XCTAssertEqual(PathAssessor.assess(fingerprint).verdict, .virtual, label)
        }
    }

    func testMissingSectionsAreUnknownNeverAnAttack() throws {
        let cap = QueryCapability(driver: "uvcvideo", card: "HD Webcam", busInfo: "usb-0000:00:14.0-3", version: 0x060100,
                                  capabilities: Capabilities(rawValue: 0x84a0_0001), deviceCaps: Capabilities(rawValue: 0x0420_0001))
        let assessment = PathAssessor.assess(DeviceFingerprint(node: "/dev/video0", querycap: cap))
        XCTAssertEqual(assessment.verdict, .unknown)
        XCTAssertEqual(assessment.findings.map(\.code), ["sysfs_unknown"])
    }
}

final class PathRuleTests: XCTestCase {
    private func usbCamera(vendor: String = "046d", product: String = "HD Pro Webcam C920", manufacturer: String = "Logitech") -> DeviceFingerprint {
        let cap = QueryCapability(driver: "uvcvideo", card: product, busInfo: "usb-0000:00:14.0-1", version: 0x060100,
                                  capabilities: Capabilities(rawValue: 0x84a0_0001), deviceCaps: Capabilities(rawValue: 0x0420_0001))
        return DeviceFingerprint(
            node: "/dev/video0", querycap: cap,
            sysfs: SysfsPlacement(name: product, devicePath: "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/video4linux/video0", bus: .usb,
                                  driver: "uvcvideo", usb: USBDescriptor(vendorID: vendor, productID: "082d", manufacturer: manufacturer, product: product, interfaceClass: "0e")),
            siblings: [SiblingNode(node: "/dev/video1", kind: .metadata)], modules: [KernelModule(name: "uvcvideo")], openers: [],
            integrity: AgentIntegrity(ldPreload: nil, ldSoPreload: [], libv4lPlugins: ["/usr/lib/x86_64-linux-gnu/libv4l/plugins/libv4l-mplane.so"]))
    }

    func testACleanUSBCameraIsPhysical() {
        let assessment = PathAssessor.assess(usbCamera())
        XCTAssertEqual(assessment.verdict, .physical)
        XCTAssertEqual(assessment.findings.map(\.code), ["physical_bus"])
    }

    func testUSBGadgetsAreAtLeastSuspicious() {
        let byVendor = PathAssessor.assess(usbCamera(vendor: "1d6b", product: "Piwebcam", manufacturer: "Show-me-webcam Project"))
        XCTAssertEqual(byVendor.verdict, .suspicious)
        XCTAssertTrue(byVendor.findings.contains { $0.code == "usb_gadget_vendor" })
        // A gadget given a real camera's vendor ID still carries the kernel's
        // default strings.
        let byStrings = PathAssessor.assess(usbCamera(vendor: "046d", product: "UVC Gadget", manufacturer: "Linux 5.10.17+ with fe980000.usb"))
        XCTAssertEqual(byStrings.verdict, .suspicious)
        XCTAssertTrue(byStrings.findings.contains { $0.code == "usb_gadget_strings" })
    }

    func testAnotherProcessOnARealCameraIsSuspiciousNotVirtual() {
        var fingerprint = usbCamera()
        fingerprint.openers = [DeviceHolder(pid: 812, command: "zoom", mode: .readWrite, fd: 31)]
        let assessment = PathAssessor.assess(fingerprint)
        XCTAssertEqual(assessment.verdict, .suspicious)
        XCTAssertEqual(assessment.findings.first { $0.code == "other_opener" }?.evidence, ["pid": "812", "comm": "zoom", "mode": "rw"])
        fingerprint.openers = [DeviceHolder(pid: 813, command: "inject", mode: .write, fd: 4)]
        XCTAssertTrue(PathAssessor.assess(fingerprint).findings.contains { $0.code == "writer_process" })
    }

    func testInterposersAreReported() {
        var fingerprint = usbCamera()
        fingerprint.integrity = AgentIntegrity(ldPreload: "/tmp/hook.so", ldSoPreload: ["/usr/lib/libevil.so"],
                                               libv4lPlugins: ["/usr/lib/x86_64-linux-gnu/libv4l/plugins/libv4l-mplane.so", "/usr/lib/x86_64-linux-gnu/libv4l/plugins/libv4l-fake.so"])
        let assessment = PathAssessor.assess(fingerprint)
        XCTAssertEqual(assessment.verdict, .suspicious)
        XCTAssertEqual(assessment.findings.filter { $0.code == "preload_interposer" }.count, 2)
        XCTAssertEqual(assessment.findings.first { $0.code == "preload_interposer" }?.severity, .attack)
        XCTAssertEqual(assessment.findings.first { $0.code == "libv4l_plugin" }?.evidence["plugins"], "/usr/lib/x86_64-linux-gnu/libv4l/plugins/libv4l-fake.so")
    }

    func testBusInfoMustMatchTheSysfsBus() {
        var fingerprint = usbCamera()
        fingerprint.querycap.busInfo = "platform:cam-0"
        XCTAssertTrue(PathAssessor.assess(fingerprint).findings.contains { $0.code == "bus_info_mismatch" })
    }

    func testEmulatedOnlyFormatsAreSuspicious() {
        var fingerprint = usbCamera()
        fingerprint.formats = [FormatDescription(index: 0, pixelFormat: .rgb24, description: "RGB3", flags: .emulated, sizes: []),
                               FormatDescription(index: 1, pixelFormat: .yu12, description: "YU12", flags: .emulated, sizes: [])]
        XCTAssertTrue(PathAssessor.assess(fingerprint).findings.contains { $0.code == "emulated_format_only" })
        fingerprint.formats?.append(FormatDescription(index: 2, pixelFormat: .mjpeg, description: "MJPG", flags: .compressed, sizes: []))
        XCTAssertFalse(PathAssessor.assess(fingerprint).findings.contains { $0.code == "emulated_format_only" })
    }

    func testStableHashIgnoresVolatileFieldsAndCatchesASwap() throws {
        let original = usbCamera()
        var volatile = original
        volatile.node = "/dev/video4"
        volatile.openers = [DeviceHolder(pid: 1, command: "x", mode: .read, fd: 3)]
        volatile.modules = []
        volatile.querycap.version = 0x060200
        volatile.collectedAt = "2027-01-01T00:00:00Z"
        volatile.sysfs?.devicePath = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/video4linux/video4"
        XCTAssertEqual(try StableIdentity(volatile).sha256(), try StableIdentity(original).sha256())

        let pinned = try PinnedPath(fingerprint: original, enrolledAt: "2026-11-27T00:00:00Z")
        XCTAssertFalse(PathAssessor.assess(volatile, pinned: pinned).findings.contains { $0.code == "pinned_path_changed" })
        var swapped = original
        swapped.sysfs?.usb?.productID = "0825"
        swapped.querycap.card = "UVC Camera (046d:0825)"
        let finding = try XCTUnwrap(PathAssessor.assess(swapped, pinned: pinned).findings.first { $0.code == "pinned_path_changed" })
        XCTAssertEqual(finding.evidence["changed"], "card,usb")
        XCTAssertEqual(PathAssessor.assess(swapped, pinned: pinned).verdict, .suspicious)
    }

    func testPolicyIsVersionedData() throws {
        var fingerprint = usbCamera()
        fingerprint.openers = [DeviceHolder(pid: 812, command: "zoom", mode: .readWrite, fd: 31)]
        var lenient = PathPolicy.standard
        lenient.version = "kiosk-lenient/1"
        lenient.rules["other_opener"] = PathPolicy.Rule(.info, nil)
        let roundTripped = try JSONDecoder().decode(PathPolicy.self, from: JSONEncoder().encode(lenient))
        let assessment = PathAssessor.assess(fingerprint, policy: roundTripped)
        XCTAssertEqual(assessment.verdict, .physical)
        XCTAssertEqual(assessment.policyVersion, "kiosk-lenient/1")
        XCTAssertEqual(assessment.findings.first { $0.code == "other_opener" }?.severity, .info)
    }

    func testACodeMissingFromAnOlderPolicyStillCounts() throws {
        var older = PathPolicy.standard
        older.rules["usb_gadget_vendor"] = nil
        let assessment = PathAssessor.assess(usbCamera(vendor: "1d6b"), policy: older)
        XCTAssertEqual(assessment.verdict, .suspicious)
        XCTAssertEqual(assessment.findings.first { $0.code == "usb_gadget_vendor" }?.severity, .suspicious)
    }

    func testEveryCodeTheRulesEmitIsInThePolicy() throws {
        // Run every rule over every recorded fingerprint plus the synthetic
        // cases; no finding may fall back to the unknown-code default.
        var codes = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: fingerprintDirectory) where name.hasSuffix(".json") && name != "manifest.json" {
            codes.formUnion(PathAssessor.assess(try loadFingerprint(name)).findings.map(\.code))
        }
        XCTAssertTrue(codes.isSubset(of: Set(PathPolicy.standard.rules.keys)), "\(codes.subtracting(PathPolicy.standard.rules.keys))")
    }
}

final class DigestTests: XCTestCase {
    func testSHA256KnownAnswer() throws {
        // FIPS 180-2 appendix B.1.
        XCTAssertEqual(try SHA256.hexDigest(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(try SHA256.hexDigest([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
