import CaptureModel
import CV4L2

/// Decodes frames into planar YU12 with libv4lconvert, the same library the
/// converted device mode uses, so a capture file and a live device give the
/// analysers identical pixels. Holds libv4lconvert state: one per thread.
public final class FrameConverter {
    public enum ConversionError: Error, Equatable, Sendable {
        case unsupported(PixelFormat)
        case failed(String)

        public var message: String {
            switch self {
            case .unsupported(let format): return "cannot convert \(format.fourcc) frames"
            case .failed(let reason): return "conversion failed: \(reason)"
            }
        }
    }

    private let handle: OpaquePointer
    private var output: [UInt8] = []

    public init() throws(ConversionError) {
        // Detached from any device, libv4lconvert applies no per-camera
        // quirks or software processing: a pure format conversion.
        guard let handle = cv4l2_convert_create_detached() else { throw .failed("v4lconvert_create_with_dev_ops returned NULL") }
        self.handle = handle
    }

    deinit { v4lconvert_destroy(handle) }

    /// Converts one frame to packed 8-bit RGB (for evidence images).
    public func toRGB24(_ frame: Frame) throws(ConversionError) -> Frame {
        try convert(frame, to: .rgb24)
    }

    /// Converts one frame to tightly packed YU12. YU12 input is repacked
    /// without libv4lconvert (it would only copy). The metadata is kept.
    public func toYU12(_ frame: Frame) throws(ConversionError) -> Frame {
        let source = frame.format
        if source.pixelFormat == .yu12, let (format, payload) = Repack.toPlanar(frame.payload, format: source) {
            return Frame(metadata: frame.metadata, format: format, payload: payload)
        }
        return try convert(frame, to: .yu12)
    }

    /// One libv4lconvert conversion into a tightly packed `targetFormat`.
    private func convert(_ frame: Frame, to targetFormat: PixelFormat) throws(ConversionError) -> Frame {
        let source = frame.format
        guard let target = FrameFormat.packed(targetFormat, width: source.width, height: source.height),
              v4lconvert_supported_dst_format(targetFormat.rawValue) != 0
        else { throw .unsupported(targetFormat) }
        // libv4lconvert reads the whole layout before it checks the size it
        // was given, so a short payload (a damaged or crafted capture, a
        // frame the driver flagged as an error) must be refused here.
        if !source.pixelFormat.isCompressed {
            guard let needed = source.minimumPayloadSize, frame.payload.count >= needed else {
                throw .failed("\(source.pixelFormat.fourcc) \(source.width)x\(source.height): payload of \(frame.payload.count) bytes is shorter than its layout")
            }
        }
        var sourceFormat = v4l2_format()
        sourceFormat.type = 1
        sourceFormat.fmt.pix.width = UInt32(source.width)
        sourceFormat.fmt.pix.height = UInt32(source.height)
        sourceFormat.fmt.pix.pixelformat = source.pixelFormat.rawValue
        sourceFormat.fmt.pix.field = 1
        sourceFormat.fmt.pix.bytesperline = UInt32(clamping: source.bytesPerLine)
        sourceFormat.fmt.pix.sizeimage = UInt32(clamping: frame.payload.count)
        var destination = sourceFormat
        destination.fmt.pix.pixelformat = targetFormat.rawValue
        destination.fmt.pix.bytesperline = UInt32(target.bytesPerLine)
        destination.fmt.pix.sizeimage = UInt32(target.sizeImage)
        if output.count != target.sizeImage { output = [UInt8](repeating: 0, count: target.sizeImage) }
        var input = frame.payload
        let written = input.withUnsafeMutableBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                v4lconvert_convert(handle, &sourceFormat, &destination, src.baseAddress, Int32(clamping: src.count), dst.baseAddress, Int32(clamping: dst.count))
            }
        }
        guard written >= 0 else {
            let reason = v4lconvert_get_error_message(handle).map { String(cString: $0) } ?? "unknown error"
            throw .failed("\(source.pixelFormat.fourcc) \(source.width)x\(source.height): \(reason)")
        }
        return Frame(metadata: frame.metadata, format: target, payload: output)
    }
}
