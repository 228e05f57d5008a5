/// A set of V4L2 bit flags that also knows the kernel's names for its bits,
/// so JSON can show both the raw integer and what it means.
public protocol NamedFlags: OptionSet, Sendable where RawValue == UInt32 {
    /// Each named bit, in the order the kernel header lists them.
    static var names: [(flag: UInt32, name: String)] { get }
}

extension NamedFlags {
    /// The names of the bits that are set; unknown bits appear as hex.
    public var names: [String] {
        var remaining = rawValue
        var result: [String] = []
        for (flag, name) in Self.names where rawValue & flag == flag && flag != 0 {
            result.append(name)
            remaining &= ~flag
        }
        if remaining != 0 { result.append("0x" + String(remaining, radix: 16)) }
        return result
    }
}

/// `V4L2_CAP_*`: what a device or a node can do.
public struct Capabilities: NamedFlags, Hashable, Codable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let videoCapture = Capabilities(rawValue: 0x0000_0001)
    public static let videoOutput = Capabilities(rawValue: 0x0000_0002)
    public static let videoOverlay = Capabilities(rawValue: 0x0000_0004)
    public static let videoCaptureMplane = Capabilities(rawValue: 0x0000_1000)
    public static let videoOutputMplane = Capabilities(rawValue: 0x0000_2000)
    public static let videoM2M = Capabilities(rawValue: 0x0000_8000)
    public static let metaCapture = Capabilities(rawValue: 0x0080_0000)
    public static let readWrite = Capabilities(rawValue: 0x0100_0000)
    public static let streaming = Capabilities(rawValue: 0x0400_0000)
    public static let metaOutput = Capabilities(rawValue: 0x0800_0000)
    public static let deviceCaps = Capabilities(rawValue: 0x8000_0000)

    public static let names: [(flag: UInt32, name: String)] = [
        (0x0000_0001, "video_capture"), (0x0000_0002, "video_output"), (0x0000_0004, "video_overlay"),
        (0x0000_0010, "vbi_capture"), (0x0000_0020, "vbi_output"), (0x0000_0040, "sliced_vbi_capture"),
        (0x0000_0080, "sliced_vbi_output"), (0x0000_0100, "rds_capture"), (0x0000_0200, "video_output_overlay"),
        (0x0000_0400, "hw_freq_seek"), (0x0000_0800, "rds_output"), (0x0000_1000, "video_capture_mplane"),
        (0x0000_2000, "video_output_mplane"), (0x0000_4000, "video_m2m_mplane"), (0x0000_8000, "video_m2m"),
        (0x0001_0000, "tuner"), (0x0002_0000, "audio"), (0x0004_0000, "radio"), (0x0008_0000, "modulator"),
        (0x0010_0000, "sdr_capture"), (0x0020_0000, "ext_pix_format"), (0x0040_0000, "sdr_output"),
        (0x0080_0000, "meta_capture"), (0x0100_0000, "readwrite"), (0x0400_0000, "streaming"),
        (0x0800_0000, "meta_output"), (0x1000_0000, "touch"), (0x2000_0000, "io_mc"), (0x8000_0000, "device_caps"),
    ]
}

/// `V4L2_BUF_FLAG_*`, including the timestamp type and source fields that
/// the kernel packs into the same word.
public struct BufferFlags: NamedFlags, Hashable, Codable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyframe = BufferFlags(rawValue: 0x0000_0008)
    public static let error = BufferFlags(rawValue: 0x0000_0040)
    public static let timestampMonotonic = BufferFlags(rawValue: 0x0000_2000)
    public static let timestampCopy = BufferFlags(rawValue: 0x0000_4000)
    public static let timestampSourceStartOfExposure = BufferFlags(rawValue: 0x0001_0000)
    public static let last = BufferFlags(rawValue: 0x0010_0000)

    static let timestampTypeMask: UInt32 = 0x0000_e000
    static let timestampSourceMask: UInt32 = 0x0007_0000

    public static let names: [(flag: UInt32, name: String)] = [
        (0x0000_0001, "mapped"), (0x0000_0002, "queued"), (0x0000_0004, "done"), (0x0000_0008, "keyframe"),
        (0x0000_0010, "pframe"), (0x0000_0020, "bframe"), (0x0000_0040, "error"), (0x0000_0080, "in_request"),
        (0x0000_0100, "timecode"), (0x0000_0200, "m2m_hold_capture_buf"), (0x0000_0400, "prepared"),
        (0x0000_0800, "no_cache_invalidate"), (0x0000_1000, "no_cache_clean"),
        (0x0000_2000, "timestamp_monotonic"), (0x0000_4000, "timestamp_copy"),
        (0x0001_0000, "tstamp_src_soe"), (0x0010_0000, "last"), (0x0080_0000, "request_fd"),
    ]

    /// What clock the kernel timestamp comes from.
    public var timestampType: TimestampType {
        switch rawValue & Self.timestampTypeMask {
        case 0x2000: return .monotonic
        case 0x4000: return .copy
        case 0: return .unknown
        default: return .other
        }
    }

    /// When in the frame's life the timestamp was taken. Only meaningful
    /// with a monotonic timestamp: EOF is the kernel's zero value.
    public var timestampSource: TimestampSource {
        switch rawValue & Self.timestampSourceMask {
        case 0: return .endOfFrame
        case 0x1_0000: return .startOfExposure
        default: return .other
        }
    }
}

public enum TimestampType: String, Sendable, Codable {
    case monotonic, copy, unknown, other
}

public enum TimestampSource: String, Sendable, Codable {
    case endOfFrame = "eof"
    case startOfExposure = "soe"
    case other
}

/// `V4L2_FMT_FLAG_*` from `VIDIOC_ENUM_FMT`.
public struct FormatFlags: NamedFlags, Hashable, Codable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let compressed = FormatFlags(rawValue: 0x0001)
    public static let emulated = FormatFlags(rawValue: 0x0002)

    public static let names: [(flag: UInt32, name: String)] = [
        (0x0001, "compressed"), (0x0002, "emulated"), (0x0004, "continuous_bytestream"),
        (0x0008, "dyn_resolution"), (0x0010, "enc_cap_frame_interval"), (0x0020, "csc_colorspace"),
        (0x0040, "csc_xfer_func"), (0x0080, "csc_ycbcr_enc"), (0x0100, "csc_quantization"),
    ]
}
