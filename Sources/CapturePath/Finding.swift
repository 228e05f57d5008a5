// CapturePath: judges a capture path from its fingerprint.
//
// Pure functions over `DeviceFingerprint` values: the stable identity hash
// that a kiosk pins, the findings (each a stable snake_case code, a severity
// and its evidence) and the overall verdict, decided by a versioned policy
// that is data, not scattered conditions. No I/O: the CLI reads devices and
// files and hands the values in.

import CaptureModel

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
