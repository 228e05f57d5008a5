import CaptureModel

/// Splits an MJPEG elementary stream (concatenated JPEG images, as
/// `ffmpeg -c:v copy -f mjpeg` writes) into frames by walking JPEG markers,
/// so an 0xFFD9 inside entropy-coded data (impossible: the encoder stuffs
/// 0xFF with 0x00) or inside a segment never ends a frame early.
public enum MJPEG {
    public struct Image: Equatable, Sendable {
        public var range: Range<Int>
        public var width: Int
        public var height: Int
    }

    public enum ScanResult: Equatable, Sendable {
        case image(Image)
        /// The stream ends inside this image.
        case truncated(start: Int)
        case invalid(start: Int, reason: String)
    }

    /// Parses the JPEG image that starts at `start` (which must be SOI).
    public static func scanImage(_ bytes: [UInt8], from start: Int) -> ScanResult {
        let end = bytes.count
        guard start + 1 < end, bytes[start] == 0xFF, bytes[start + 1] == 0xD8 else {
            return .invalid(start: start, reason: "no JPEG start-of-image marker")
        }
        var position = start + 2
        var width = 0, height = 0
        while true {
            // Markers may be preceded by any number of 0xFF fill bytes.
            guard position < end else { return .truncated(start: start) }
            guard bytes[position] == 0xFF else {
                return .invalid(start: start, reason: "expected a marker at byte \(position)")
            }
            while position < end && bytes[position] == 0xFF { position += 1 }
            guard position < end else { return .truncated(start: start) }
            let marker = bytes[position]
            position += 1
            switch marker {
            case 0xD9:
                guard width > 0, height > 0 else { return .invalid(start: start, reason: "JPEG image without a frame header (SOF)") }
                return .image(Image(range: start..<position, width: width, height: height))
            case 0x01, 0xD0...0xD7:
                continue
            case 0xD8:
                return .invalid(start: start, reason: "nested start-of-image at byte \(position - 2)")
            default:
                guard position + 1 < end else { return .truncated(start: start) }
                let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
                guard length >= 2 else { return .invalid(start: start, reason: "segment length \(length) at byte \(position)") }
                guard position + length <= end else { return .truncated(start: start) }
                // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the size.
                if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                    guard length >= 7 else { return .invalid(start: start, reason: "short frame header") }
                    height = Int(bytes[position + 3]) << 8 | Int(bytes[position + 4])
                    width = Int(bytes[position + 5]) << 8 | Int(bytes[position + 6])
                }
                position += length
                if marker == 0xDA {
                    // Entropy-coded data runs until a marker other than a
                    // stuffed 0xFF00 or a restart marker.
                    while true {
                        guard position + 1 < end else { return .truncated(start: start) }
                        if bytes[position] == 0xFF {
                            let next = bytes[position + 1]
                            if next == 0x00 || (0xD0...0xD7).contains(next) {
                                position += 2
                                continue
                            }
                            if next == 0xFF {
                                position += 1
                                continue
                            }
                            break
                        }
                        position += 1
                    }
                }
            }
        }
    }

    /// Imports an MJPEG stream as a capture whose payloads are the original
    /// JPEG bytes. `framesPerSecond` sets the nominal interval (an elementary
    /// stream has none); timing is marked unknown either way.
    public static func importFile(_ inputPath: String, to outputPath: String, framesPerSecond: Int?, recorder: String, createdAt: String, replace: Bool = false) throws(CaptureFileError) -> (frames: Int, warning: String?) {
        let input = try InputFile(path: inputPath)
        // Elementary streams from webcams are small (about 30 KB a frame);
        // reading the file whole keeps the marker walk simple.
        let bytes = try input.read(input.size)
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw .invalidInput(path: inputPath, reason: "not an MJPEG stream (does not start with a JPEG start-of-image marker)")
        }
        var position = 0
        var writer: CaptureFileWriter?
        var format: FrameFormat?
        var index = 0
        var warning: String?
        scan: while position < bytes.count {
            switch scanImage(bytes, from: position) {
            case .image(let image):
                if format == nil {
                    guard let first = FrameFormat.packed(.mjpeg, width: image.width, height: image.height) else {
                        throw .invalidInput(path: inputPath, reason: "JPEG size \(image.width)x\(image.height) is out of range")
                    }
                    format = first
                    let info = CaptureInfo(
                        sourceKind: .mjpeg, sourcePath: inputPath, mode: .imported, timing: .unknown, format: first,
                        frameInterval: framesPerSecond.flatMap { $0 > 0 ? Fraction(1, UInt32($0)) : nil },
                        device: nil, recorder: recorder, createdAt: createdAt)
                    writer = try CaptureFileWriter(path: outputPath, info: info, appendOnly: false, replace: replace)
                }
                guard let format, let writer else { break scan }
                guard image.width == format.width, image.height == format.height else {
                    throw .invalidInput(path: inputPath, reason: "frame \(index) is \(image.width)x\(image.height), earlier frames are \(format.width)x\(format.height)")
                }
                let payload = Array(bytes[image.range])
                let metadata = FrameMetadata(
                    index: index, sequence: UInt32(truncatingIfNeeded: index), timestampNanoseconds: nil,
                    flags: BufferFlags(rawValue: 0), bytesUsed: payload.count, hostMonotonicNanoseconds: nil)
                try writer.append(Frame(metadata: metadata, format: format, payload: payload))
                index += 1
                position = image.range.upperBound
                // Tolerate padding between images (some muxers add it).
                while position < bytes.count && !(bytes[position] == 0xFF && position + 1 < bytes.count && bytes[position + 1] == 0xD8) {
                    position += 1
                }
            case .truncated(let start):
                warning = "\(inputPath): truncated: the JPEG image at byte \(start) is incomplete; it was dropped"
                break scan
            case .invalid(let start, let reason):
                if index == 0 { throw .invalidInput(path: inputPath, reason: "not a valid MJPEG stream: \(reason)") }
                throw .invalidInput(path: inputPath, reason: "frame \(index) at byte \(start): \(reason)")
            }
        }
        guard let writer, index > 0 else { throw .invalidInput(path: inputPath, reason: "MJPEG stream holds no whole image") }
        try writer.finish(reason: .converted)
        return (index, warning)
    }
}
