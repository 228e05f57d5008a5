// CapturePath: judges a capture path from its fingerprint.
//
// Pure functions over `DeviceFingerprint` values: the stable identity hash
// that a kiosk pins, the findings (each a stable snake_case code, a severity
// and its evidence) and the overall verdict, decided by a versioned policy
// that is data, not scattered conditions. No I/O: the CLI reads devices and
// files and hands the values in.

import CaptureModel

/// How much a finding weighs on its own.
public enum Severity: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
    /// Context worth recording; never moves the verdict towards an attack.
    case info
    /// Unusual for a kiosk camera, or forgeable evidence of an attack.
    case suspicious
    /// Hard-to-forge evidence that frames do not come from a sensor on a
    /// physical bus, or that the path is being tampered with.
    case attack

    private var rank: Int {
        switch self {
        case .info: return 0
        case .suspicious: return 1
        case .attack: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One observation about a capture path.
public struct Finding: Hashable, Sendable, Codable {
    /// Stable snake_case code, listed in the README.
    public var code: String
    public var severity: Severity
    /// One line for a person.
    public var message: String
    /// The facts behind it, e.g. `["driver": "v4l2 loopback"]`.
    public var evidence: [String: String]

    public init(code: String, severity: Severity, message: String, evidence: [String: String]) {
        self.code = code
        self.severity = severity
        self.message = message
        self.evidence = evidence
    }
}

/// The capture-path verdict.
public enum PathVerdict: String, Hashable, Sendable, Codable {
    /// A sensor on a physical bus, and nothing suspicious.
    case physical
    /// Frames come from software: a loopback, akvcam, a test driver.
    case virtual
    /// Not proven virtual, but something a kiosk should not accept blindly:
    /// a USB gadget, a tampered agent, another process on the camera, a
    /// swapped camera.
    case suspicious
    /// Not enough information (a fingerprint without sysfs, say).
    case unknown
}
