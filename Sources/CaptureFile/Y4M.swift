import CaptureModel

/// YUV4MPEG2 reading and writing. Y4M carries planar 4:2:0, 4:2:2 and mono
/// frames with a frame rate but no timestamps, so an import's timing is
/// marked unknown.
public enum Y4M {
    /// Longest header or FRAME line accepted; real headers are under 100 bytes.
    static let maximumLineLength = 4096

    /// The planar format a Y4M `C` tag denotes. Every 4:2:0 siting variant
    /// stores the same sample layout, so all map to YU12.
    static func pixelFormat(colourspace: String) -> PixelFormat? {
        switch colourspace {
        case "420jpeg", "420paldv", "420mpeg2", "420": return .yu12
        case "422": return .yuv422p
        case "mono": return .grey
        default: return nil
        }
    }

    /// The `C` tag (with ffmpeg's `XYSCSS` extension) written for a format.
    static func colourspaceTag(for format: PixelFormat) -> String? {
        switch format {
        case .yu12: return "C420jpeg XYSCSS=420JPEG"
        case .yuv422p: return "C422 XYSCSS=422"
        case .grey: return "Cmono"
        default: return nil
        }
    }

    /// Imports a Y4M file as a capture. Returns the number of frames and a
    /// warning when the last frame was cut short (it is dropped).
    public static func importFile(_ inputPath: String, to outputPath: String, recorder: String, createdAt: String, replace: Bool = false) throws(CaptureFileError) -> (frames: Int, warning: String?) {
        let reader = try Y4MReader(path: inputPath)
        let info = CaptureInfo(
            sourceKind: .y4m, sourcePath: inputPath, mode: .imported, timing: .unknown, format: reader.format,
            frameInterval: reader.frameInterval, device: nil, recorder: recorder, createdAt: createdAt)
        let writer = try CaptureFileWriter(path: outputPath, info: info, appendOnly: false, replace: replace)
        var count = 0
        while let frame = try reader.nextFrame() {
            try writer.append(frame)
            count += 1
        }
        guard count > 0 else { throw .invalidInput(path: inputPath, reason: "Y4M file holds no whole frame") }
        try writer.finish(reason: .converted)
        return (count, reader.truncationWarning)
    }

    /// Writes every whole frame of a capture as Y4M. Formats with a planar
    /// equivalent (YUYV, UYVY, NV12, NV21, YV12, YU12, 422P, GREY) are
    /// rearranged losslessly; others (MJPEG, RGB) go through `decode`, which
    /// must return tightly packed YU12. The output appears only once whole.
    /// - Returns: the number of frames written and whether they were decoded.
    public static func export(
        _ reader: CaptureFileReader, to path: String, replace: Bool = false,
        decode: ((Frame) throws -> [UInt8])?
    ) throws -> (frames: Int, decoded: Bool) {
        let source = reader.info.format
        let planarFormat = Repack.planarEquivalent(of: source.pixelFormat)
        guard let outFormat = FrameFormat.packed(planarFormat ?? .yu12, width: source.width, height: source.height) else {
            throw CaptureFileError.invalidInput(path: reader.path, reason: "frame size \(source.width)x\(source.height) is out of range")
        }
        guard planarFormat != nil || decode != nil else {
            throw CaptureFileError.invalidInput(path: reader.path, reason: "\(source.pixelFormat.fourcc) frames need decoding to become Y4M")
        }
        let writer = try Y4MWriter(
            path: path, format: outFormat, frameInterval: reader.info.frameInterval,
            fullRange: source.pixelFormat == .mjpeg || source.pixelFormat == .jpeg, replace: replace)
        while let frame = try reader.nextRecordedFrame() {
            if planarFormat != nil {
                guard let (_, planar) = Repack.toPlanar(frame.payload, format: frame.format) else {
                    throw CaptureFileError.invalidInput(
                        path: reader.path,
                        reason: "frame \(frame.metadata.index) has \(frame.payload.count) bytes, too few for \(source.pixelFormat.fourcc) \(source.width)x\(source.height)")
                }
                try writer.append(planar)
            } else if let decode {
                try writer.append(try decode(frame))
            }
        }
        guard reader.framesRead > 0 else {
            throw CaptureFileError.invalidInput(path: reader.path, reason: "no whole frame to export")
        }
        try writer.finish()
        return (reader.framesRead, planarFormat == nil)
    }

    static func readLine(_ input: InputFile, path: String, what: String) throws(CaptureFileError) -> String {
        let window = try input.peek(maximumLineLength)
        guard let newline = window.firstIndex(of: 0x0a) else {
            if window.count < maximumLineLength {
                throw .invalidInput(path: path, reason: "truncated: \(what) at byte \(input.offset) has no end of line")
            }
            throw .invalidInput(path: path, reason: "\(what) at byte \(input.offset) is longer than \(maximumLineLength) bytes")
        }
        let length = newline - window.startIndex
        let line = try input.read(length + 1)
        return String(decoding: line.dropLast(), as: UTF8.self)
    }
}

/// Reads a YUV4MPEG2 stream frame by frame, as planar frames without
/// timestamps (Y4M has none).
public final class Y4MReader {
    public let path: String
    public let format: FrameFormat
    /// Seconds per frame from the header's `F` tag, when it has one.
    public let frameInterval: Fraction?
    /// Set once a cut-short last frame was met (and dropped).
    public private(set) var truncationWarning: String?
    private let input: InputFile
    private var index = 0

    public init(path: String) throws(CaptureFileError) {
        self.path = path
        input = try InputFile(path: path)
        guard Array(try input.peek(10)) == Array("YUV4MPEG2 ".utf8) else {
            throw .invalidInput(path: path, reason: "not a YUV4MPEG2 file (missing 'YUV4MPEG2' signature)")
        }
        let headerLine = try Y4M.readLine(input, path: path, what: "header")
        var width = 0, height = 0
        var interval: Fraction?
        var colourspace = "420jpeg"
        for token in headerLine.split(separator: " ").dropFirst() {
            guard let tag = token.first else { continue }
            let value = String(token.dropFirst())
            switch tag {
            case "W": width = Int(value) ?? 0
            case "H": height = Int(value) ?? 0
            case "C": colourspace = value
            case "F":
                let parts = value.split(separator: ":")
                if parts.count == 2, let rate = UInt32(parts[0]), let scale = UInt32(parts[1]), rate > 0, scale > 0 {
                    interval = Fraction(scale, rate)
                }
            default: break
            }
        }
        guard width > 0, height > 0 else {
            throw .invalidInput(path: path, reason: "Y4M header has no valid W/H: \(headerLine)")
        }
        guard let pixelFormat = Y4M.pixelFormat(colourspace: colourspace) else {
            throw .invalidInput(path: path, reason: "Y4M colourspace C\(colourspace) is not supported (use 420, 422 or mono: ffmpeg -pix_fmt yuv420p)")
        }
        guard let format = FrameFormat.packed(pixelFormat, width: width, height: height) else {
            throw .invalidInput(path: path, reason: "Y4M frame size \(width)x\(height) is out of range")
        }
        self.format = format
        frameInterval = interval
    }

    /// The next whole frame, or nil at the end (a cut-short last frame is
    /// dropped and noted in `truncationWarning`).
    public func nextFrame() throws(CaptureFileError) -> Frame? {
        if truncationWarning != nil { return nil }
        if try input.peek(1).isEmpty { return nil }
        let frameOffset = input.offset
        let line = try Y4M.readLine(input, path: path, what: "FRAME marker")
        guard line.hasPrefix("FRAME") else {
            throw .invalidInput(path: path, reason: "expected FRAME at byte \(frameOffset), found '\(line.prefix(16))'")
        }
        let payload = try input.read(format.sizeImage)
        guard payload.count == format.sizeImage else {
            truncationWarning = "\(path): truncated: frame \(index) has \(payload.count) of \(format.sizeImage) bytes; it was dropped"
            return nil
        }
        let metadata = FrameMetadata(
            index: index, sequence: UInt32(truncatingIfNeeded: index), timestampNanoseconds: nil,
            flags: BufferFlags(rawValue: 0), bytesUsed: payload.count, hostMonotonicNanoseconds: nil)
        index += 1
        return Frame(metadata: metadata, format: format, payload: payload)
    }
}

/// Writes planar frames as a Y4M stream.
public final class Y4MWriter {
    private let output: OutputFile
    private let format: FrameFormat
    private var frames = 0

    /// - Parameters:
    ///   - frameInterval: seconds per frame; Y4M requires a rate, so an
    ///     unknown interval is written as 25 fps, ffmpeg's default.
    ///   - fullRange: samples use the full 0-255 range (decoded JPEG), marked
    ///     with ffmpeg's `XCOLORRANGE=FULL` so readers do not rescale them.
    public init(path: String, format: FrameFormat, frameInterval: Fraction?, fullRange: Bool = false, replace: Bool = false) throws(CaptureFileError) {
        guard let colourspace = Y4M.colourspaceTag(for: format.pixelFormat) else {
            throw .invalidInput(path: path, reason: "Y4M cannot hold \(format.pixelFormat.fourcc) frames")
        }
        self.format = format
        output = try OutputFile(path: path, discipline: .atomic, replace: replace)
        let rate = frameInterval.flatMap { $0.isValid ? "\($0.denominator):\($0.numerator)" : nil } ?? "25:1"
        let range = fullRange ? " XCOLORRANGE=FULL" : ""
        try output.write(Array("YUV4MPEG2 W\(format.width) H\(format.height) F\(rate) Ip A1:1 \(colourspace)\(range)\n".utf8))
    }

    /// Appends one tightly packed planar frame of the writer's format.
    public func append(_ payload: [UInt8]) throws(CaptureFileError) {
        guard payload.count == format.sizeImage else {
            throw .io(path: output.path, operation: "write frame", reason: "frame has \(payload.count) bytes, expected \(format.sizeImage)")
        }
        try output.write(Array("FRAME\n".utf8) + payload)
        frames += 1
    }

    public func finish() throws(CaptureFileError) {
        try output.commit()
    }
}
