import CaptureModel

/// Why a device could not be opened, configured or streamed. Each case
/// carries what a kiosk operator needs to act on it.
public enum DeviceError: Error, Equatable, Sendable {
    /// ENOENT (or ENXIO/ENODEV at open): nothing is at that path.
    case notFound(path: String)
    /// EACCES or EPERM: the node exists but this user may not open it.
    case permissionDenied(path: String)
    /// The path is not a V4L2 node: a regular file, a directory, or a
    /// character device that answers QUERYCAP with ENOTTY.
    case notV4L2(path: String, reason: String)
    /// A V4L2 node that cannot deliver video now: no single-planar capture
    /// with streaming (a v4l2loopback with `exclusive_caps=1` and no writer),
    /// or no capture format yet (the same with `exclusive_caps=0`).
    case cannotCapture(path: String, reason: String)
    /// EBUSY. `holders` names the other processes that have the node open,
    /// as far as /proc lets this user see.
    case busy(path: String, holders: [DeviceHolder])
    /// The driver refused or changed the requested format.
    case formatRejected(path: String, requested: String, offered: [String])
    /// The device disappeared while in use (unplug, driver unbind).
    case deviceLost(path: String, errno: Errno)
    /// No frame arrived within the poll timeout.
    case timeout(path: String, seconds: Double)
    /// Any other ioctl failure, named so it can be looked up.
    case ioctlFailed(path: String, ioctl: String, errno: Errno)

    /// One line for a person.
    public var message: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such device"
        case .permissionDenied(let path):
            return "\(path): permission denied (add this user to the 'video' group or run as root)"
        case .notV4L2(let path, let reason):
            return "\(path): not a V4L2 device (\(reason))"
        case .cannotCapture(let path, let reason):
            return "\(path): V4L2 node cannot capture video (\(reason))"
        case .busy(let path, let holders):
            if holders.isEmpty { return "\(path): device busy (holder not visible to this user)" }
            let names = holders.map { "\($0.command) (pid \($0.pid), \($0.mode.rawValue))" }.joined(separator: ", ")
            return "\(path): device busy, held by \(names)"
        case .formatRejected(let path, let requested, let offered):
            return "\(path): format \(requested) not supported; device offers \(offered.joined(separator: ", "))"
        case .deviceLost(let path, let errno):
            return "\(path): device lost while streaming (\(errno.name))"
        case .timeout(let path, let seconds):
            return "\(path): no frame within \(seconds) s"
        case .ioctlFailed(let path, let ioctl, let errno):
            return "\(path): \(ioctl) failed: \(errno)"
        }
    }
}
