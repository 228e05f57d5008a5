import CaptureModel
import CV4L2
import Glibc

/// A file descriptor of a V4L2 node, with one typed method per ioctl.
///
/// Each method wraps exactly one request through libv4l2's `v4l2_ioctl`
/// (which passes requests straight to the kernel for descriptors it does not
/// manage) and returns `Result<_, Errno>`; callers above throw typed errors.
struct V4L2FileDescriptor {
    let rawValue: Int32

    /// The single path from Swift to `v4l2_ioctl`.
    private func ioctl<T>(_ request: UInt, _ argument: inout T, retryOnInterrupt: Bool = true) -> Result<Void, Errno> {
        let fd = rawValue
        return withUnsafeMutablePointer(to: &argument) { pointer in
            valueOrErrno(retryOnInterrupt: retryOnInterrupt) { cv4l2_ioctl(fd, request, pointer) }.map { _ in () }
        }
    }

    /// The corresponding ioctl is `VIDIOC_QUERYCAP`.
    func queryCapability() -> Result<QueryCapability, Errno> {
        var cap = v4l2_capability()
        return ioctl(CV4L2_VIDIOC_QUERYCAP, &cap).map {
            QueryCapability(
                driver: cString(cap.driver), card: cString(cap.card), busInfo: cString(cap.bus_info),
                version: cap.version, capabilities: Capabilities(rawValue: cap.capabilities),
                deviceCaps: Capabilities(rawValue: cap.device_caps))
        }
    }

    /// One format at `index` for buffer `type`. The corresponding ioctl is `VIDIOC_ENUM_FMT`.
    func enumerateFormat(index: UInt32, type: BufferType) -> Result<(PixelFormat, String, FormatFlags), Errno> {
        var desc = v4l2_fmtdesc()
        desc.index = index
        desc.type = type.rawValue
        return ioctl(CV4L2_VIDIOC_ENUM_FMT, &desc).map {
            (PixelFormat(rawValue: desc.pixelformat), cString(desc.description), FormatFlags(rawValue: desc.flags))
        }
    }

    /// One frame size at `index`. The corresponding ioctl is `VIDIOC_ENUM_FRAMESIZES`.
    func enumerateFrameSize(index: UInt32, format: PixelFormat) -> Result<FrameSizeEntry, Errno> {
        var size = v4l2_frmsizeenum()
        size.index = index
        size.pixel_format = format.rawValue
        return ioctl(CV4L2_VIDIOC_ENUM_FRAMESIZES, &size).map {
            switch size.type {
            case V4L2_FRMSIZE_TYPE_DISCRETE.rawValue:
                return .discrete(width: Int(size.discrete.width), height: Int(size.discrete.height))
            default:
                let s = size.stepwise
                return .range(
                    continuous: size.type == V4L2_FRMSIZE_TYPE_CONTINUOUS.rawValue,
                    minWidth: Int(s.min_width), maxWidth: Int(s.max_width), stepWidth: Int(s.step_width),
                    minHeight: Int(s.min_height), maxHeight: Int(s.max_height), stepHeight: Int(s.step_height))
            }
        }
    }

    /// One frame interval at `index` for a format and size. The corresponding
    /// ioctl is `VIDIOC_ENUM_FRAMEINTERVALS`.
    func enumerateFrameInterval(index: UInt32, format: PixelFormat, width: Int, height: Int) -> Result<FrameIntervalEntry, Errno> {
        var interval = v4l2_frmivalenum()
        interval.index = index
        interval.pixel_format = format.rawValue
        interval.width = UInt32(clamping: width)
        interval.height = UInt32(clamping: height)
        return ioctl(CV4L2_VIDIOC_ENUM_FRAMEINTERVALS, &interval).map {
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                return .discrete(Fraction(interval.discrete.numerator, interval.discrete.denominator))
            }
            let s = interval.stepwise
            return .range(
                min: Fraction(s.min.numerator, s.min.denominator), max: Fraction(s.max.numerator, s.max.denominator),
                step: Fraction(s.step.numerator, s.step.denominator))
        }
    }

    /// The corresponding ioctl is `VIDIOC_G_FMT` (single-planar video).
    func getFormat(type: BufferType = .videoCapture) -> Result<FrameFormat, Errno> {
        var format = v4l2_format()
        format.type = type.rawValue
        return ioctl(CV4L2_VIDIOC_G_FMT, &format).map { Self.frameFormat(format.fmt.pix) }
    }

    /// Asks for `requested` and returns what the driver chose, which may differ.
    /// The corresponding ioctl is `VIDIOC_S_FMT` (single-planar video capture).
    func setFormat(_ requested: FrameFormat) -> Result<FrameFormat, Errno> {
        var format = v4l2_format()
        format.type = BufferType.videoCapture.rawValue
        format.fmt.pix.width = UInt32(clamping: requested.width)
        format.fmt.pix.height = UInt32(clamping: requested.height)
        format.fmt.pix.pixelformat = requested.pixelFormat.rawValue
        format.fmt.pix.field = requested.field
        format.fmt.pix.bytesperline = UInt32(clamping: requested.bytesPerLine)
        format.fmt.pix.sizeimage = UInt32(clamping: requested.sizeImage)
        return ioctl(CV4L2_VIDIOC_S_FMT, &format).map { Self.frameFormat(format.fmt.pix) }
    }

    /// The corresponding ioctl is `VIDIOC_G_PARM` (video capture).
    func getStreamParameters() -> Result<StreamParameters, Errno> {
        var parm = v4l2_streamparm()
        parm.type = BufferType.videoCapture.rawValue
        return ioctl(CV4L2_VIDIOC_G_PARM, &parm).map { Self.streamParameters(parm.parm.capture) }
    }

    /// Requests a frame interval and returns the one the driver chose.
    /// The corresponding ioctl is `VIDIOC_S_PARM` (video capture).
    func setFrameInterval(_ interval: Fraction) -> Result<StreamParameters, Errno> {
        var parm = v4l2_streamparm()
        parm.type = BufferType.videoCapture.rawValue
        parm.parm.capture.timeperframe.numerator = interval.numerator
        parm.parm.capture.timeperframe.denominator = interval.denominator
        return ioctl(CV4L2_VIDIOC_S_PARM, &parm).map { Self.streamParameters(parm.parm.capture) }
    }

    /// The control after `previousID` (0 for the first), including compound
    /// controls. The corresponding ioctl is `VIDIOC_QUERY_EXT_CTRL`.
    func queryNextControl(after previousID: UInt32) -> Result<ControlDescription, Errno> {
        var control = v4l2_query_ext_ctrl()
        control.id = previousID | UInt32(truncatingIfNeeded: V4L2_CTRL_FLAG_NEXT_CTRL) | UInt32(truncatingIfNeeded: V4L2_CTRL_FLAG_NEXT_COMPOUND)
        return ioctl(CV4L2_VIDIOC_QUERY_EXT_CTRL, &control).map {
            ControlDescription(
                id: control.id, name: cString(control.name), type: control.type, minimum: control.minimum,
                maximum: control.maximum, step: control.step, defaultValue: control.default_value,
                flags: control.flags, elementSize: control.elem_size, elements: control.elems)
        }
    }

    /// The corresponding ioctl is `VIDIOC_ENUMINPUT`.
    func enumerateInput(index: UInt32) -> Result<InputDescription, Errno> {
        var input = v4l2_input()
        input.index = index
        return ioctl(CV4L2_VIDIOC_ENUMINPUT, &input).map {
            InputDescription(index: input.index, name: cString(input.name), type: input.type, status: input.status, capabilities: input.capabilities)
        }
    }

    /// Allocates `count` mmap buffers (0 frees them) and returns how many the
    /// driver granted. The corresponding ioctl is `VIDIOC_REQBUFS`.
    func requestBuffers(count: UInt32, type: BufferType = .videoCapture) -> Result<UInt32, Errno> {
        var request = v4l2_requestbuffers()
        request.count = count
        request.type = type.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        return ioctl(CV4L2_VIDIOC_REQBUFS, &request).map { request.count }
    }

    /// The mmap offset and length of buffer `index`. The corresponding ioctl is `VIDIOC_QUERYBUF`.
    func queryBuffer(index: UInt32) -> Result<(offset: UInt32, length: UInt32), Errno> {
        var buffer = Self.captureBuffer(index: index)
        return ioctl(CV4L2_VIDIOC_QUERYBUF, &buffer).map { (buffer.m.offset, buffer.length) }
    }

    /// Hands buffer `index` to the driver. The corresponding ioctl is `VIDIOC_QBUF`.
    func queueBuffer(index: UInt32) -> Result<Void, Errno> {
        var buffer = Self.captureBuffer(index: index)
        return ioctl(CV4L2_VIDIOC_QBUF, &buffer)
    }

    /// A buffer's timestamp in nanoseconds. A writer behind v4l2loopback
    /// chooses it (timestamp copy), so a value that does not fit is kept as
    /// the largest one rather than trapping.
    static func nanoseconds(_ time: timeval) -> Int64 {
        let (seconds, overflow) = Int64(time.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflowSum) = seconds.addingReportingOverflow(Int64(time.tv_usec).multipliedReportingOverflow(by: 1_000).partialValue)
        if overflow || overflowSum { return time.tv_sec < 0 ? Int64.min + 1 : Int64.max }
        return total
    }

    /// Takes the next filled buffer; `EAGAIN` when none is ready (the node is
    /// opened non-blocking). The corresponding ioctl is `VIDIOC_DQBUF`.
    func dequeueBuffer() -> Result<DequeuedBuffer, Errno> {
        var buffer = Self.captureBuffer(index: 0)
        return ioctl(CV4L2_VIDIOC_DQBUF, &buffer).map {
            DequeuedBuffer(
                index: buffer.index, sequence: buffer.sequence,
                timestampNanoseconds: Self.nanoseconds(buffer.timestamp),
                flags: BufferFlags(rawValue: buffer.flags), bytesUsed: buffer.bytesused, field: buffer.field, length: buffer.length)
        }
    }

    /// The corresponding ioctl is `VIDIOC_STREAMON`.
    func streamOn(type: BufferType = .videoCapture) -> Result<Void, Errno> {
        var value = Int32(bitPattern: type.rawValue)
        return ioctl(CV4L2_VIDIOC_STREAMON, &value)
    }

    /// The corresponding ioctl is `VIDIOC_STREAMOFF`.
    func streamOff(type: BufferType = .videoCapture) -> Result<Void, Errno> {
        var value = Int32(bitPattern: type.rawValue)
        return ioctl(CV4L2_VIDIOC_STREAMOFF, &value)
    }

    /// Waits until a buffer can be dequeued. Returns false on timeout.
    /// The corresponding system call is `poll`.
    func waitReadable(timeoutMilliseconds: Int32) -> Result<Bool, Errno> {
        var descriptor = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
        return valueOrErrno { poll(&descriptor, 1, timeoutMilliseconds) }.flatMap { ready in
            if ready == 0 { return .success(false) }
            if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && descriptor.revents & Int16(POLLIN) == 0 {
                return .failure(.noSuchDevice)
            }
            return .success(true)
        }
    }

    private static func captureBuffer(index: UInt32) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = index
        buffer.type = BufferType.videoCapture.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        return buffer
    }

    private static func frameFormat(_ pix: v4l2_pix_format) -> FrameFormat {
        FrameFormat(
            pixelFormat: PixelFormat(rawValue: pix.pixelformat), width: Int(pix.width), height: Int(pix.height),
            bytesPerLine: Int(pix.bytesperline), sizeImage: Int(pix.sizeimage), field: pix.field, colorspace: pix.colorspace)
    }

    private static func streamParameters(_ capture: v4l2_captureparm) -> StreamParameters {
        StreamParameters(
            supportsFrameInterval: capture.capability & UInt32(V4L2_CAP_TIMEPERFRAME) != 0,
            timePerFrame: Fraction(capture.timeperframe.numerator, capture.timeperframe.denominator),
            readBuffers: capture.readbuffers)
    }
}

/// `enum v4l2_buf_type`, for the queues CaptureGuard touches.
enum BufferType: UInt32 {
    case videoCapture = 1
    case videoOutput = 2
    case metaCapture = 13
}

enum FrameSizeEntry {
    case discrete(width: Int, height: Int)
    case range(continuous: Bool, minWidth: Int, maxWidth: Int, stepWidth: Int, minHeight: Int, maxHeight: Int, stepHeight: Int)
}

enum FrameIntervalEntry {
    case discrete(Fraction)
    case range(min: Fraction, max: Fraction, step: Fraction)
}

/// What `VIDIOC_DQBUF` filled in, before the payload is copied out.
struct DequeuedBuffer {
    var index: UInt32
    var sequence: UInt32
    var timestampNanoseconds: Int64
    var flags: BufferFlags
    var bytesUsed: UInt32
    var field: UInt32
    var length: UInt32
}

/// Reads a NUL-terminated string out of a fixed-size C char array.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
