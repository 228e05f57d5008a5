/// Where a stream's frames come from and how far their timing can be trusted.
public struct CaptureInfo: Hashable, Sendable, Codable {
    public enum SourceKind: String, Sendable, Codable {
        /// A live V4L2 device (or a capture file recorded from one).
        case v4l2
        /// Imported from a YUV4MPEG2 file.
        case y4m
        /// Imported from an MJPEG elementary stream.
        case mjpeg
    }

    /// Whether frame timing came from the kernel. Imports carry no kernel
    /// timestamps; analysers report their timing as unknown, not suspicious.
    public enum Timing: String, Sendable, Codable { case kernel, unknown }

    /// How payloads relate to what the driver produced.
    public enum Mode: String, Sendable, Codable {
        /// Bytes exactly as the driver delivered them (`V4L2_DISABLE_CONVERSION`).
        case raw
        /// Decoded by libv4lconvert into the requested format.
        case converted
        /// Not from a device: bytes exactly as the imported file held them.
        case imported
    }

    public var sourceKind: SourceKind
    /// The device node or the imported file's path.
    public var sourcePath: String
    public var mode: Mode
    public var timing: Timing
    public var format: FrameFormat
    /// The negotiated frame interval in seconds per frame, when known.
    public var frameInterval: Fraction?
    public var device: DeviceFingerprint?
    /// The program that wrote the capture, e.g. "captureguard 0.1.0".
    public var recorder: String
    /// Wall-clock start of the capture, RFC 3339 UTC.
    public var createdAt: String

    public init(sourceKind: SourceKind, sourcePath: String, mode: Mode, timing: Timing, format: FrameFormat, frameInterval: Fraction?, device: DeviceFingerprint?, recorder: String, createdAt: String) {
        self.sourceKind = sourceKind
        self.sourcePath = sourcePath
        self.mode = mode
        self.timing = timing
        self.format = format
        self.frameInterval = frameInterval
        self.device = device
        self.recorder = recorder
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case mode, timing, format, device, recorder
        case sourceKind = "source_kind"
        case sourcePath = "source_path"
        case frameInterval = "frame_interval"
        case createdAt = "created_at"
    }
}

/// The seam between capture and analysis: a live device and a capture file
/// both deliver the same frames with the same metadata through this protocol.
public protocol FrameSource: AnyObject {
    var info: CaptureInfo { get }
    /// The next frame, or nil at the end of the stream.
    func nextFrame() throws -> Frame?
}
