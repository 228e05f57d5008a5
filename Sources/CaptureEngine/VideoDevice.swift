import CaptureModel
import CV4L2
import Glibc

/// An open V4L2 node. A class, because an open device has identity: it owns
/// a descriptor (closed in `deinit`) and, while streaming, mapped buffers.
public final class VideoDevice {
    /// How payloads reach the caller.
    public enum Mode: Sendable {
        /// `v4l2_fd_open(fd, V4L2_DISABLE_CONVERSION)`: bytes exactly as the
        /// driver produced them, no software processing or emulated formats.
        case raw
        /// libv4l2 with libv4lconvert: MJPEG and other formats are decoded
        /// into the requested format (YU12 for the analysers).
        case converted
    }

    public let path: String
    public let mode: Mode
    public let capability: QueryCapability
    let descriptor: V4L2FileDescriptor

    /// Opens `path` for inspection: any V4L2 node, including output-only
    /// and metadata nodes. libv4l2 is not involved, so what the kernel says
    /// is exactly what the fingerprint holds.
    public convenience init(inspecting path: String) throws(DeviceError) {
        try self.init(path: path, mode: .raw, forCapture: false)
    }

    /// Opens `path` for capture through libv4l2, refusing a node without
    /// video capture and streaming (for example an output-only loopback).
    public static func openForCapture(_ path: String, mode: Mode) throws(DeviceError) -> VideoDevice {
        try VideoDevice(path: path, mode: mode, forCapture: true)
    }

    init(path: String, mode: Mode, forCapture: Bool) throws(DeviceError) {
        self.path = path
        self.mode = mode
        var info = stat()
        switch valueOrErrno({ stat(path, &info) }) {
        case .failure(let error):
            throw Self.openError(path: path, error)
        case .success:
            let type = info.st_mode & S_IFMT
            if type == S_IFREG { throw .notV4L2(path: path, reason: "regular file") }
            if type == S_IFDIR { throw .notV4L2(path: path, reason: "directory") }
            if type != S_IFCHR { throw .notV4L2(path: path, reason: "not a character device") }
        }
        let fd: Int32
        switch valueOrErrno({ open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }) {
        case .failure(let error): throw Self.openError(path: path, error)
        case .success(let value): fd = value
        }
        let plain = V4L2FileDescriptor(rawValue: fd)
        switch plain.queryCapability() {
        case .failure(let error):
            close(fd)
            if error == .notTypewriter || error == .invalidArgument {
                throw .notV4L2(path: path, reason: "character device does not answer VIDIOC_QUERYCAP: \(error.name)")
            }
            throw Self.openError(path: path, error)
        case .success(let cap):
            capability = cap
        }
        guard forCapture else {
            // Not handed to libv4l2; `v4l2_ioctl` passes straight through.
            descriptor = plain
            return
        }
        guard capability.canCaptureVideo else {
            close(fd)
            throw .cannotCapture(path: path, reason: "capabilities: " + capability.nodeCapabilities.names.joined(separator: ","))
        }
        // libv4l2 reads the current format when it takes the descriptor; a
        // node with no format yet (a loopback nobody writes to) fails there.
        if case .failure(let error) = plain.getFormat() {
            close(fd)
            throw .cannotCapture(path: path, reason: "no capture format yet, VIDIOC_G_FMT: \(error.name); is anything producing frames?")
        }
        let flags: Int32 = mode == .raw ? V4L2_DISABLE_CONVERSION : 0
        let managed = v4l2_fd_open(fd, flags)
        guard managed >= 0 else {
            let error = Errno.current
            close(fd)
            throw .ioctlFailed(path: path, ioctl: "v4l2_fd_open", errno: error)
        }
        descriptor = V4L2FileDescriptor(rawValue: managed)
    }

    deinit {
        v4l2_close(descriptor.rawValue)
    }

    static func openError(path: String, _ error: Errno) -> DeviceError {
        switch error {
        case .noSuchFileOrDirectory, .noSuchDevice, .noSuchDeviceOrAddress: return .notFound(path: path)
        case .permissionDenied, .notPermitted: return .permissionDenied(path: path)
        case .deviceBusy: return .busy(path: path, holders: DeviceHolders.holders(of: path))
        default: return .ioctlFailed(path: path, ioctl: "open", errno: error)
        }
    }

    /// Maps an ioctl failure to the most specific error.
    func failure(_ ioctl: String, _ error: Errno) -> DeviceError {
        if error == .deviceBusy { return .busy(path: path, holders: DeviceHolders.holders(of: path)) }
        if error.meansDeviceLost { return .deviceLost(path: path, errno: error) }
        return .ioctlFailed(path: path, ioctl: ioctl, errno: error)
    }

    // MARK: - Reading the device

    /// The node's fingerprint: everything it says about itself plus where it
    /// hangs in sysfs, its siblings, the kernel modules, the other openers
    /// and the agent's integrity. Ioctls a node does not support (an
    /// output-only node has no capture format) are listed in `notes` rather
    /// than failing.
    public func fingerprint(probe: HostProbe = HostProbe(), environment: [String: String], collectedAt: String?) -> DeviceFingerprint {
        var fingerprint = v4l2Fingerprint()
        fingerprint.source = "live"
        fingerprint.collectedAt = collectedAt
        fingerprint.sysfs = probe.placement(forNode: path)
        fingerprint.siblings = probe.siblings(ofNode: path)
        fingerprint.modules = probe.modules()
        fingerprint.integrity = probe.integrity(environment: environment)
        return fingerprint
    }

    /// What the node says about itself through V4L2, and who holds it.
    func v4l2Fingerprint() -> DeviceFingerprint {
        var notes: [String] = []
        let caps = capability.nodeCapabilities
        let bufferType: BufferType? =
            caps.contains(.videoCapture) ? .videoCapture :
            caps.contains(.metaCapture) ? .metaCapture :
            caps.contains(.videoOutput) ? .videoOutput : nil
        var formats: [FormatDescription] = []
        if let bufferType {
            formats = enumerateFormats(type: bufferType, notes: &notes)
        } else {
            notes.append("no single-planar capture, metadata or output queue: formats not enumerated")
        }
        var currentFormat: FrameFormat?
        var parameters: StreamParameters?
        if caps.contains(.videoCapture) {
            switch descriptor.getFormat() {
            case .success(let format): currentFormat = format
            case .failure(let error): notes.append("VIDIOC_G_FMT: \(error.name)")
            }
            switch descriptor.getStreamParameters() {
            case .success(let value): parameters = value
            case .failure(let error): notes.append("VIDIOC_G_PARM: \(error.name)")
            }
        }
        return DeviceFingerprint(
            node: path, querycap: capability, formats: formats, currentFormat: currentFormat,
            streamParameters: parameters, controls: enumerateControls(notes: &notes),
            inputs: enumerateInputs(notes: &notes), openers: DeviceHolders.holders(of: path), notes: notes)
    }

    /// Bounds every enumeration loop: a buggy driver that never returns
    /// EINVAL must not hang the agent. No real device lists more than a few
    /// hundred entries (vivid, the most verbose, has 83 formats).
    private static let enumerationLimit: UInt32 = 4096

    private func enumerateFormats(type: BufferType, notes: inout [String]) -> [FormatDescription] {
        var formats: [FormatDescription] = []
        for index in 0..<Self.enumerationLimit {
            guard case .success(let (pixelFormat, description, flags)) = descriptor.enumerateFormat(index: index, type: type) else { break }
            let sizes = type == .metaCapture ? [] : enumerateSizes(pixelFormat)
            formats.append(FormatDescription(index: index, pixelFormat: pixelFormat, description: description, flags: flags, sizes: sizes))
        }
        if formats.isEmpty { notes.append("VIDIOC_ENUM_FMT: no formats for buffer type \(type.rawValue)") }
        return formats
    }

    private func enumerateSizes(_ format: PixelFormat) -> [FrameSizeDescription] {
        var sizes: [FrameSizeDescription] = []
        for index in 0..<Self.enumerationLimit {
            guard case .success(let entry) = descriptor.enumerateFrameSize(index: index, format: format) else { break }
            switch entry {
            case .discrete(let width, let height):
                let (intervals, range) = enumerateIntervals(format, width: width, height: height)
                sizes.append(FrameSizeDescription(kind: .discrete, width: width, height: height, intervals: intervals, intervalRange: range))
            case .range(let continuous, let minWidth, let maxWidth, let stepWidth, let minHeight, let maxHeight, let stepHeight):
                // Intervals of a range are reported at its largest size.
                let (intervals, range) = enumerateIntervals(format, width: maxWidth, height: maxHeight)
                sizes.append(FrameSizeDescription(
                    kind: continuous ? .continuous : .stepwise, width: minWidth, height: minHeight, maxWidth: maxWidth,
                    maxHeight: maxHeight, stepWidth: stepWidth, stepHeight: stepHeight, intervals: intervals, intervalRange: range))
                return sizes
            }
        }
        return sizes
    }

    private func enumerateIntervals(_ format: PixelFormat, width: Int, height: Int) -> ([Fraction], [Fraction]?) {
        var intervals: [Fraction] = []
        for index in 0..<Self.enumerationLimit {
            guard case .success(let entry) = descriptor.enumerateFrameInterval(index: index, format: format, width: width, height: height) else { break }
            switch entry {
            case .discrete(let interval): intervals.append(interval)
            case .range(let min, let max, let step): return (intervals, [min, max, step])
            }
        }
        return (intervals, nil)
    }

    private func enumerateControls(notes: inout [String]) -> [ControlDescription] {
        var controls: [ControlDescription] = []
        var previous: UInt32 = 0
        for _ in 0..<Self.enumerationLimit {
            switch descriptor.queryNextControl(after: previous) {
            case .success(let control):
                // A driver that repeats an id would loop forever.
                guard control.id > previous || previous == 0 else { return controls }
                controls.append(control)
                previous = control.id
            case .failure(let error):
                if error != .invalidArgument { notes.append("VIDIOC_QUERY_EXT_CTRL: \(error.name)") }
                return controls
            }
        }
        return controls
    }

    private func enumerateInputs(notes: inout [String]) -> [InputDescription] {
        var inputs: [InputDescription] = []
        for index in 0..<Self.enumerationLimit {
            switch descriptor.enumerateInput(index: index) {
            case .success(let input): inputs.append(input)
            case .failure(let error):
                if error != .invalidArgument && error != .notTypewriter { notes.append("VIDIOC_ENUMINPUT: \(error.name)") }
                return inputs
            }
        }
        return inputs
    }

    // MARK: - Negotiation

    /// The format the driver is set to now.
    public func currentFormat() throws(DeviceError) -> FrameFormat {
        switch descriptor.getFormat() {
        case .success(let format): return format
        case .failure(let error): throw failure("VIDIOC_G_FMT", error)
        }
    }

    /// Requests a pixel format and size (nil keeps the current one) and
    /// returns what the driver chose. A driver that silently substitutes a
    /// different pixel format is reported as a rejection, listing its formats.
    public func negotiateFormat(pixelFormat: PixelFormat?, width: Int?, height: Int?) throws(DeviceError) -> FrameFormat {
        let current = try currentFormat()
        guard pixelFormat != nil || width != nil || height != nil else { return current }
        let wanted = pixelFormat ?? current.pixelFormat
        let request = FrameFormat(
            pixelFormat: wanted, width: width ?? current.width, height: height ?? current.height,
            bytesPerLine: 0, sizeImage: 0, field: 1)
        let chosen: FrameFormat
        switch descriptor.setFormat(request) {
        case .success(let value): chosen = value
        case .failure(let error) where error == .invalidArgument:
            throw .formatRejected(path: path, requested: describe(request), offered: offeredFormats())
        case .failure(let error): throw failure("VIDIOC_S_FMT", error)
        }
        if chosen.pixelFormat != wanted || (width != nil && chosen.width != width) || (height != nil && chosen.height != height) {
            throw .formatRejected(path: path, requested: describe(request), offered: offeredFormats())
        }
        return chosen
    }

    /// Requests `framesPerSecond` and returns the interval the driver chose
    /// (it may round). Drivers without `V4L2_CAP_TIMEPERFRAME` keep theirs.
    public func negotiateFrameRate(_ framesPerSecond: Int?) throws(DeviceError) -> Fraction? {
        guard let framesPerSecond, framesPerSecond > 0 else {
            if case .success(let parameters) = descriptor.getStreamParameters(), parameters.timePerFrame.isValid {
                return parameters.timePerFrame
            }
            return nil
        }
        switch descriptor.setFrameInterval(Fraction(1, UInt32(framesPerSecond))) {
        case .success(let parameters): return parameters.timePerFrame.isValid ? parameters.timePerFrame : nil
        case .failure(let error) where error == .notTypewriter || error == .invalidArgument: return nil
        case .failure(let error): throw failure("VIDIOC_S_PARM", error)
        }
    }

    private func describe(_ format: FrameFormat) -> String {
        "\(format.pixelFormat.fourcc) \(format.width)x\(format.height)"
    }

    private func offeredFormats() -> [String] {
        var notes: [String] = []
        return enumerateFormats(type: .videoCapture, notes: &notes).map { format in
            let sizes = format.sizes.prefix(6).map { "\($0.width)x\($0.height)" }.joined(separator: "/")
            return sizes.isEmpty ? format.pixelFormat.fourcc : "\(format.pixelFormat.fourcc) \(sizes)"
        }
    }
}
