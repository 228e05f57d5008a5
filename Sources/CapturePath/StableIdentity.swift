import CaptureCrypto
import CaptureModel
import Foundation

/// The part of a fingerprint that stays the same while the same camera sits
/// on the same port: no node number, no openers, no modules, no kernel
/// version, no current values. Its SHA-256 is what `enroll-path` pins.
public struct StableIdentity: Hashable, Sendable, Codable {
    public struct Capability: Hashable, Sendable, Codable {
        var driver: String
        var card: String
        var busInfo: String
        var capabilities: UInt32
        var deviceCaps: UInt32

        enum CodingKeys: String, CodingKey {
            case driver, card, capabilities
            case busInfo = "bus_info"
            case deviceCaps = "device_caps"
        }
    }

    public struct Format: Hashable, Sendable, Codable {
        var fourcc: String
        var flags: UInt32
        /// "WxH@num/den,num/den" per size, in driver order.
        var sizes: [String]
    }

    public struct Control: Hashable, Sendable, Codable {
        var id: UInt32
        var name: String
        var type: UInt32
        var minimum: Int64
        var maximum: Int64
        var step: UInt64
        var defaultValue: Int64

        enum CodingKeys: String, CodingKey {
            case id, name, type, minimum, maximum, step
            case defaultValue = "default"
        }
    }

    public struct Placement: Hashable, Sendable, Codable {
        /// The sysfs path of the parent device: the physical port, without
        /// the `video4linux/videoN` tail that changes with enumeration order.
        var parentPath: String?
        var bus: String?
        var driver: String?
        var usb: USBDescriptor?

        enum CodingKeys: String, CodingKey {
            case bus, driver, usb
            case parentPath = "parent_path"
        }
    }

    var querycap: Capability
    var formats: [Format]?
    var controls: [Control]?
    var inputs: [String]?
    var sysfs: Placement?

    public init(_ fingerprint: DeviceFingerprint) {
        let q = fingerprint.querycap
        querycap = Capability(driver: q.driver, card: q.card, busInfo: q.busInfo, capabilities: q.capabilities.rawValue, deviceCaps: q.deviceCaps.rawValue)
        formats = fingerprint.formats?.map { format in
            Format(fourcc: format.pixelFormat.fourcc, flags: format.flags.rawValue, sizes: format.sizes.map { size in
                "\(size.width)x\(size.height)@" + size.intervals.map(\.description).joined(separator: ",")
            })
        }
        controls = fingerprint.controls?.map {
            Control(id: $0.id, name: $0.name, type: $0.type, minimum: $0.minimum, maximum: $0.maximum, step: $0.step, defaultValue: $0.defaultValue)
        }
        inputs = fingerprint.inputs?.map { "\($0.name)/\($0.type)" }
        sysfs = fingerprint.sysfs.map { placement in
            var parent = placement.devicePath
            if let path = parent, let range = path.range(of: "/video4linux/") { parent = String(path[..<range.lowerBound]) }
            return Placement(parentPath: parent, bus: placement.bus?.rawValue, driver: placement.driver, usb: placement.usb)
        }
    }

    /// Canonical JSON: sorted keys, no whitespace.
    public func canonicalJSON() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Lowercase hex SHA-256 of the canonical JSON.
    public func sha256() throws -> String {
        try SHA256.hexDigest(try canonicalJSON())
    }

    /// The sections that differ from `other`, for a finding's evidence.
    public func differences(from other: StableIdentity) -> [String] {
        var sections: [String] = []
        if querycap.driver != other.querycap.driver { sections.append("driver") }
        if querycap.card != other.querycap.card { sections.append("card") }
        if querycap.busInfo != other.querycap.busInfo { sections.append("bus_info") }
        if querycap.capabilities != other.querycap.capabilities || querycap.deviceCaps != other.querycap.deviceCaps { sections.append("capabilities") }
        if formats != other.formats { sections.append("formats") }
        if controls != other.controls { sections.append("controls") }
        if inputs != other.inputs { sections.append("inputs") }
        if sysfs?.usb != other.sysfs?.usb { sections.append("usb") }
        if sysfs?.parentPath != other.sysfs?.parentPath || sysfs?.bus != other.sysfs?.bus || sysfs?.driver != other.sysfs?.driver { sections.append("sysfs") }
        return sections
    }
}

/// What `enroll-path` writes: the stable identity of the kiosk's camera and
/// its hash, to compare every later session against.
public struct PinnedPath: Hashable, Sendable, Codable {
    public static let schemaName = "captureguard.pinned-path/1"

    public var schema: String
    public var node: String
    public var enrolledAt: String
    public var sha256: String
    public var identity: StableIdentity

    public init(fingerprint: DeviceFingerprint, enrolledAt: String) throws {
        schema = Self.schemaName
        node = fingerprint.node
        self.enrolledAt = enrolledAt
        identity = StableIdentity(fingerprint)
        sha256 = try identity.sha256()
    }

    enum CodingKeys: String, CodingKey {
        case schema, node, sha256, identity
        case enrolledAt = "enrolled_at"
    }
}
