/// The kernel's own account of one dequeued buffer, next to the host's
/// arrival time. Mirrors libcamera's `FrameMetadata`: plain and immutable.
public struct FrameMetadata: Hashable, Sendable, Codable {
    /// Position of the frame in this capture, from 0.
    public var index: Int
    /// `v4l2_buffer.sequence`: the driver's frame counter. Gaps are drops.
    public var sequence: UInt32
    /// `v4l2_buffer.timestamp` in nanoseconds; nil when the source has no
    /// kernel timing (imports), which analysers must treat as unknown.
    public var timestampNanoseconds: Int64?
    /// `v4l2_buffer.flags`, including the timestamp type and source.
    public var flags: BufferFlags
    /// `v4l2_buffer.bytesused`: the payload length the driver reported.
    public var bytesUsed: Int
    /// `v4l2_buffer.field`.
    public var field: UInt32
    /// CLOCK_MONOTONIC on the host when DQBUF returned; nil for imports.
    public var hostMonotonicNanoseconds: Int64?

    public init(index: Int, sequence: UInt32, timestampNanoseconds: Int64?, flags: BufferFlags, bytesUsed: Int, field: UInt32 = 1, hostMonotonicNanoseconds: Int64?) {
        self.index = index
        self.sequence = sequence
        self.timestampNanoseconds = timestampNanoseconds
        self.flags = flags
        self.bytesUsed = bytesUsed
        self.field = field
        self.hostMonotonicNanoseconds = hostMonotonicNanoseconds
    }

    enum CodingKeys: String, CodingKey {
        case index, sequence, flags, field
        case timestampNanoseconds = "timestamp_ns"
        case bytesUsed = "bytesused"
        case hostMonotonicNanoseconds = "host_monotonic_ns"
    }
}

/// One captured frame: its payload exactly as the source delivered it, the
/// format that describes the payload, and the kernel metadata.
public struct Frame: Sendable {
    public var metadata: FrameMetadata
    public var format: FrameFormat
    public var payload: [UInt8]

    public init(metadata: FrameMetadata, format: FrameFormat, payload: [UInt8]) {
        self.metadata = metadata
        self.format = format
        self.payload = payload
    }
}

/// `later - earlier` in nanoseconds, or nil when it does not fit: timestamps
/// read from a file are arbitrary 64-bit values, not a clock.
public func nanosecondsBetween(_ earlier: Int64, _ later: Int64) -> Int64? {
    let (difference, overflow) = later.subtractingReportingOverflow(earlier)
    return overflow ? nil : difference
}

/// Frames lost between two kernel sequence numbers (0 when consecutive or
/// when the counter went backwards, which a restarted stream does).
public func droppedFrames(from previous: UInt32, to next: UInt32) -> Int {
    next > previous &+ 1 && next > previous ? Int(next &- previous &- 1) : 0
}
