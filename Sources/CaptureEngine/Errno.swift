// CaptureEngine: CaptureGuard's only contact with V4L2.
//
// It finds /dev/video* nodes, opens them through libv4l2 (raw or converted),
// reads everything a node says about itself, negotiates a format and streams
// mmap buffers, keeping each frame's kernel metadata. Every ioctl is wrapped
// exactly once, in V4L2Ioctls.swift; no other module sees a raw ioctl,
// a `v4l2_buffer` or a fourcc integer.

import CV4L2
import Glibc

/// A POSIX error number, as a value. Named constants cover the codes the
/// capture engine reacts to; any other code still round-trips.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let ioError = Errno(rawValue: EIO)
    public static let noSuchDeviceOrAddress = Errno(rawValue: ENXIO)
    public static let resourceTemporarilyUnavailable = Errno(rawValue: EAGAIN)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let deviceBusy = Errno(rawValue: EBUSY)
    public static let noSuchDevice = Errno(rawValue: ENODEV)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let notTypewriter = Errno(rawValue: ENOTTY)
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)

    /// The value of `errno` right now.
    static var current: Errno { Errno(rawValue: cv4l2_errno()) }

    /// The symbolic name where known (`EBUSY`), else the number.
    public var name: String {
        let known: [Int32: String] = [
            ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", EAGAIN: "EAGAIN", EACCES: "EACCES",
            EPERM: "EPERM", EBUSY: "EBUSY", ENODEV: "ENODEV", EINVAL: "EINVAL", ENOTTY: "ENOTTY",
            EOPNOTSUPP: "EOPNOTSUPP", ENOMEM: "ENOMEM", EFAULT: "EFAULT", ENOSPC: "ENOSPC", EPIPE: "EPIPE",
        ]
        return known[rawValue] ?? "errno \(rawValue)"
    }

    public var description: String {
        guard let text = strerror(rawValue) else { return name }
        return "\(name) (\(String(cString: text)))"
    }

    /// Errors that mean the device went away under us (unplug, driver unbind).
    var meansDeviceLost: Bool { self == .noSuchDevice || self == .ioError || self == .noSuchDeviceOrAddress }
}

/// Runs a system call that returns -1 and sets errno on failure, retrying
/// while it is interrupted by a signal. The one place EINTR is handled.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> T) -> Result<T, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}
