import CaptureModel
import CV4L2
import Glibc

/// A live device as a `FrameSource`: mmap streaming with at least four
/// buffers, poll() with a timeout, and each frame's kernel metadata next to
/// the host's CLOCK_MONOTONIC arrival time.
public final class DeviceFrameSource: FrameSource {
    public let info: CaptureInfo
    public let device: VideoDevice
    private let format: FrameFormat
    private var mappings: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false
    private var delivered = 0
    private let pollTimeoutMilliseconds: Int32

    /// The driver may grant more; fewer than this and the kernel has no slack
    /// between a slow reader and the sensor. V4L2 documents 2 as a driver
    /// minimum; 4 is what v4l2-ctl and libcamera allocate by default.
    public static let minimumBuffers: UInt32 = 4

    /// Starts streaming `device` in its negotiated format.
    /// - Parameters:
    ///   - pollTimeout: seconds to wait for each frame before `timeout`. The
    ///     default 5 s outlasts a UVC camera's first frame after STREAMON and
    ///     an ffmpeg writer's start-up under TCG (3.5-4.5 s, vm-recipe.md).
    ///   - fingerprint: the device fingerprint to embed in `info`.
    ///   - bufferCount: 16 buffers give the reader 640 ms of slack at 25 fps
    ///     before the driver has nowhere to put a frame. Measured in the TCG
    ///     test VM recording 640x480 YUYV: 6 buffers dropped frames now and
    ///     then, 8 dropped 2 of 133 frames in one CI run under load. (vb2
    ///     allows 32; ffmpeg asks for 256.) 16 x 600 KiB is 10 MB.
    public init(device: VideoDevice, fingerprint: DeviceFingerprint, frameInterval: Fraction?, recorder: String, createdAt: String, pollTimeout: Double = 5, bufferCount: UInt32 = 16) throws(DeviceError) {
        self.device = device
        self.pollTimeoutMilliseconds = Int32(max(1, min(pollTimeout * 1000, 600_000)))
        let format = try device.currentFormat()
        self.format = format
        self.info = CaptureInfo(
            sourceKind: .v4l2, sourcePath: device.path, mode: device.mode == .raw ? .raw : .converted,
            timing: .kernel, format: format, frameInterval: frameInterval, device: fingerprint,
            recorder: recorder, createdAt: createdAt)
        try start(bufferCount: max(bufferCount, Self.minimumBuffers))
    }

    deinit {
        stop()
    }

    private func start(bufferCount: UInt32) throws(DeviceError) {
        let fd = device.descriptor
        let granted: UInt32
        switch fd.requestBuffers(count: bufferCount) {
        case .success(let count): granted = count
        case .failure(let error): throw device.failure("VIDIOC_REQBUFS", error)
        }
        guard granted >= 2 else {
            _ = fd.requestBuffers(count: 0)
            throw .cannotCapture(path: device.path, reason: "the driver granted \(granted) buffers; streaming needs at least 2")
        }
        do throws(DeviceError) {
            for index in 0..<granted {
                let (offset, length): (UInt32, UInt32)
                switch fd.queryBuffer(index: index) {
                case .success(let value): (offset, length) = value
                case .failure(let error): throw device.failure("VIDIOC_QUERYBUF", error)
                }
                let address = v4l2_mmap(nil, Int(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, Int64(offset))
                guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
                    throw device.failure("mmap", Errno.current)
                }
                mappings.append((address, Int(length)))
            }
            for index in 0..<granted {
                if case .failure(let error) = fd.queueBuffer(index: index) { throw device.failure("VIDIOC_QBUF", error) }
            }
            if case .failure(let error) = fd.streamOn() { throw device.failure("VIDIOC_STREAMON", error) }
            streaming = true
        } catch {
            stop()
            throw error
        }
    }

    /// Stops streaming and releases the buffers. Safe to call twice and after
    /// the device vanished (errors are ignored: there is nothing left to free).
    public func stop() {
        let fd = device.descriptor
        if streaming { _ = fd.streamOff() }
        streaming = false
        for mapping in mappings { v4l2_munmap(mapping.address, mapping.length) }
        if !mappings.isEmpty { _ = fd.requestBuffers(count: 0) }
        mappings = []
    }

    public func nextFrame() throws -> Frame? {
        try nextDeviceFrame()
    }

    /// Waits for, copies out and requeues the next buffer.
    public func nextDeviceFrame() throws(DeviceError) -> Frame? {
        guard streaming else { return nil }
        let fd = device.descriptor
        while true {
            switch fd.waitReadable(timeoutMilliseconds: pollTimeoutMilliseconds) {
            case .failure(let error): throw device.failure("poll", error)
            case .success(false): throw .timeout(path: device.path, seconds: Double(pollTimeoutMilliseconds) / 1000)
            case .success(true): break
            }
            let buffer: DequeuedBuffer
            switch fd.dequeueBuffer() {
            case .success(let value): buffer = value
            case .failure(let error) where error == .resourceTemporarilyUnavailable: continue
            case .failure(let error): throw device.failure("VIDIOC_DQBUF", error)
            }
            let arrival = monotonicNanoseconds()
            guard Int(buffer.index) < mappings.count else {
                throw .ioctlFailed(path: device.path, ioctl: "VIDIOC_DQBUF", errno: .invalidArgument)
            }
            let mapping = mappings[Int(buffer.index)]
            let count = min(Int(buffer.bytesUsed), mapping.length)
            let payload = [UInt8](UnsafeRawBufferPointer(start: mapping.address, count: count))
            if case .failure(let error) = fd.queueBuffer(index: buffer.index) { throw device.failure("VIDIOC_QBUF", error) }
            let metadata = FrameMetadata(
                index: delivered, sequence: buffer.sequence, timestampNanoseconds: buffer.timestampNanoseconds,
                flags: buffer.flags, bytesUsed: Int(buffer.bytesUsed), field: buffer.field, hostMonotonicNanoseconds: arrival)
            delivered += 1
            return Frame(metadata: metadata, format: format, payload: payload)
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the clock V4L2 monotonic timestamps use,
/// so host arrival and kernel timestamp are directly comparable.
public func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
