import CaptureEngine
import CaptureFile
import CaptureModel
import Glibc

enum FileCommands {
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// For commands that take DEVICE|CAPTURE: a path that is neither gets
    /// an error naming both, rather than "no such device".
    static func requireDeviceOrCapture(_ path: String) throws(CommandFailure) {
        var info = stat()
        if stat(path, &info) != 0 && errno == ENOENT { throw CommandFailure(.notFound, "\(path): no such device or capture file") }
    }

    static func openCapture(_ path: String) throws(CommandFailure) -> CaptureFileReader {
        do { return try CaptureFileReader(path: path) } catch { throw CommandFailure(error) }
    }

    /// Exit status for a capture read to its end: recovered truncation is
    /// success with a warning; a damaged record is an invalid input.
    static func finishReading(_ reader: CaptureFileReader, console: Console) -> ExitCode {
        guard let warning = reader.integrity.warning(path: reader.path, frames: reader.framesRead) else { return .success }
        console.warn(warning)
        if case .damaged = reader.integrity { return .invalidInput }
        return .success
    }

    static let replay = Command(
        name: "replay",
        summary: "print a capture file's per-frame kernel metadata",
        help: """
        Usage: captureguard replay CAPTURE [--json]

        Reads CAPTURE and prints one line per frame: index, sequence, kernel
        timestamp, interval since the previous frame, host arrival time relative
        to the first frame, timestamp type/source, bytesused and buffer flags. A truncated file is read
        up to its last whole frame with a warning (exit 0); a damaged record
        stops reading with a warning (exit 10). Imports show timing 'unknown'.

        Options:
          --json    print {info, frames, summary, integrity} as JSON
          --help    show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: [], switches: ["json"])
            let reader = try openCapture(try parsed.single("CAPTURE"))
            var rows: [FrameRow] = []
            var previousTimestamp: Int64?
            do {
                while let frame = try reader.nextRecordedFrame() {
                    let metadata = frame.metadata
                    let delta = zip2(previousTimestamp, metadata.timestampNanoseconds).flatMap { nanosecondsBetween($0, $1) }
                    rows.append(FrameRow(metadata: metadata, intervalNanoseconds: delta))
                    previousTimestamp = metadata.timestampNanoseconds
                }
            } catch {
                throw CommandFailure(error)
            }
            let summary = ReplaySummary(info: reader.info, rows: rows, integrity: reader.integrity)
            if parsed.has("json") {
                console.out(try CommandLineTool.json(ReplayDocument(info: reader.info, summary: summary, frames: rows)))
            } else {
                printText(reader.info, summary, rows, console)
            }
            return finishReading(reader, console: console)
        })

    private static func printText(_ info: CaptureInfo, _ summary: ReplaySummary, _ rows: [FrameRow], _ console: Console) {
        let format = info.format
        let interval = info.frameInterval.map { "\($0) s (\(String(format: "%.3f", $0.framesPerSecond ?? 0)) fps)" } ?? "unknown"
        console.out("source:   \(info.sourceKind.rawValue) \(info.sourcePath) (\(info.mode.rawValue))")
        if let device = info.device {
            console.out("device:   \(device.querycap.driver) '\(device.querycap.card)' \(device.querycap.busInfo)")
        }
        console.out("format:   \(format.pixelFormat.fourcc) \(format.width)x\(format.height) bytesperline \(format.bytesPerLine) sizeimage \(format.sizeImage)")
        console.out("interval: \(interval)")
        console.out("timing:   \(info.timing.rawValue)")
        console.out("recorded: \(info.createdAt) by \(info.recorder)")
        console.out("")
        console.out("index  sequence  timestamp_ns         delta_ms  arrival_ms  ts_type    src  bytesused  flags")
        let firstArrival = rows.first?.metadata.hostMonotonicNanoseconds
        for row in rows {
            let m = row.metadata
            let timestamp = m.timestampNanoseconds.map(String.init) ?? "-"
            let delta = row.intervalNanoseconds.map { String(format: "%.3f", Double($0) / 1e6) } ?? "-"
            // Host arrival relative to the first frame: a kernel timestamp that
            // says 40 ms while frames arrive in bursts is itself evidence.
            let arrival = zip2(firstArrival, m.hostMonotonicNanoseconds).flatMap { nanosecondsBetween($0, $1) }.map { String(format: "%.3f", Double($0) / 1e6) } ?? "-"
            let type = info.timing == .unknown ? "-" : m.flags.timestampType.rawValue
            let sourceName = info.timing == .unknown ? "-" : m.flags.timestampSource.rawValue
            let names = m.flags.names.filter { !$0.hasPrefix("timestamp_") && $0 != "tstamp_src_soe" }
            console.out(
                pad(String(m.index), 5) + "  " + pad(String(m.sequence), 8) + "  " + pad(timestamp, 19) + "  "
                    + pad(delta, 8) + "  " + pad(arrival, 10) + "  " + pad(type, 9) + "  " + pad(sourceName, 3) + "  " + pad(String(m.bytesUsed), 9)
                    + "  " + (names.isEmpty ? "-" : names.joined(separator: ",")))
        }
        console.out("")
        let fps = summary.measuredFramesPerSecond.map { String(format: "%.3f", $0) } ?? "unknown"
        console.out("frames: \(summary.frames)  drops: \(summary.drops.map(String.init) ?? "unknown")  measured fps: \(fps)  integrity: \(summary.integrity)")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    static let importY4M = Command(
        name: "import-y4m",
        summary: "turn a YUV4MPEG2 file into a capture (timing marked unknown)",
        help: """
        Usage: captureguard import-y4m FILE --out CAPTURE [--force]

        Imports a Y4M file (C420*, C422 or Cmono) as a capture of YU12, 422P or
        GREY frames, byte for byte. Y4M has no kernel timestamps, so the capture's
        timing is 'unknown' and later analysers treat it so. Any video becomes a
        Y4M with: ffmpeg -i clip.mp4 -pix_fmt yuv420p clip.y4m
        The output appears only when complete.

        Options:
          --out CAPTURE  capture file to create
          --force        replace an existing CAPTURE
          --help         show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: ["out"], switches: ["force"])
            let input = try parsed.single("FILE")
            let output = try parsed.required("out")
            do {
                let (frames, warning) = try Y4M.importFile(
                    input, to: output, recorder: CommandLineTool.recorder, createdAt: CommandLineTool.timestamp(),
                    replace: parsed.has("force"))
                if let warning { console.warn(warning) }
                console.writeError("imported \(frames) frames -> \(output)\n")
            } catch {
                throw CommandFailure(error)
            }
            return .success
        })

    static let importMJPEG = Command(
        name: "import-mjpeg",
        summary: "turn an MJPEG elementary stream into a capture, keeping the JPEG bytes",
        help: """
        Usage: captureguard import-mjpeg FILE --out CAPTURE [--fps N] [--force]

        Splits concatenated JPEG images (as 'ffmpeg -i clip.avi -c:v copy -f mjpeg'
        writes) by walking JPEG markers, and stores each image unchanged as an
        MJPG frame. The stream has no timestamps: timing is 'unknown'. --fps sets
        the nominal frame interval. A cut-off last image is dropped with a warning.
        The output appears only when complete.

        Options:
          --out CAPTURE  capture file to create
          --fps N        nominal frame rate to record in the header
          --force        replace an existing CAPTURE
          --help         show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: ["out", "fps"], switches: ["force"])
            let input = try parsed.single("FILE")
            let output = try parsed.required("out")
            let fps = try parsed.positiveInteger("fps", atMost: ArgumentLimits.framesPerSecond)
            do {
                let (frames, warning) = try MJPEG.importFile(
                    input, to: output, framesPerSecond: fps, recorder: CommandLineTool.recorder,
                    createdAt: CommandLineTool.timestamp(), replace: parsed.has("force"))
                if let warning { console.warn(warning) }
                console.writeError("imported \(frames) frames -> \(output)\n")
            } catch {
                throw CommandFailure(error)
            }
            return .success
        })

    static let exportY4M = Command(
        name: "export-y4m",
        summary: "write a capture's frames as YUV4MPEG2",
        help: """
        Usage: captureguard export-y4m CAPTURE --out FILE [--force]

        YUYV/UYVY become C422 and NV12/NV21/YV12/YU12 become C420jpeg by moving
        bytes only (lossless and reversible); GREY becomes Cmono. MJPEG and RGB
        frames are decoded to C420jpeg with libv4lconvert. A truncated capture is
        exported up to its last whole frame, with a warning.
        The output appears only when complete.

        Options:
          --out FILE  Y4M file to create
          --force     replace an existing FILE
          --help      show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: ["out"], switches: ["force"])
            let reader = try openCapture(try parsed.single("CAPTURE"))
            let outPath = try parsed.required("out")
            let needsDecoding = Repack.planarEquivalent(of: reader.info.format.pixelFormat) == nil
            do {
                var decode: ((Frame) throws -> [UInt8])?
                if needsDecoding {
                    let converter = try FrameConverter()
                    decode = { frame in
                        do { return try converter.toYU12(frame).payload } catch {
                            throw CommandFailure(.invalidInput, "\(reader.path): frame \(frame.metadata.index): \(CommandFailure(error).message)")
                        }
                    }
                }
                let (frames, decoded) = try Y4M.export(reader, to: outPath, replace: parsed.has("force"), decode: decode)
                console.writeError("exported \(frames) frames (\(decoded ? "decoded with libv4lconvert" : "lossless")) -> \(outPath)\n")
            } catch {
                throw CommandFailure(error)
            }
            return finishReading(reader, console: console)
        })
}

/// Both values or nil.
func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

struct FrameRow: Encodable {
    var metadata: FrameMetadata
    var intervalNanoseconds: Int64?

    enum CodingKeys: String, CodingKey {
        case index, sequence, field, bytesused
        case timestampNanoseconds = "timestamp_ns"
        case intervalNanoseconds = "interval_ns"
        case hostMonotonicNanoseconds = "host_monotonic_ns"
        case flags
        case flagNames = "flag_names"
        case timestampType = "timestamp_type"
        case timestampSource = "timestamp_source"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metadata.index, forKey: .index)
        try c.encode(metadata.sequence, forKey: .sequence)
        try c.encode(metadata.timestampNanoseconds, forKey: .timestampNanoseconds)
        try c.encode(intervalNanoseconds, forKey: .intervalNanoseconds)
        try c.encode(metadata.hostMonotonicNanoseconds, forKey: .hostMonotonicNanoseconds)
        try c.encode(metadata.flags, forKey: .flags)
        try c.encode(metadata.flags.names, forKey: .flagNames)
        try c.encode(metadata.flags.timestampType, forKey: .timestampType)
        try c.encode(metadata.flags.timestampSource, forKey: .timestampSource)
        try c.encode(metadata.bytesUsed, forKey: .bytesused)
        try c.encode(metadata.field, forKey: .field)
    }
}

struct ReplaySummary: Encodable {
    var frames: Int
    /// Sum of sequence gaps; nil when timing is unknown (imports number
    /// frames themselves, so gaps there say nothing about a sensor).
    var drops: Int?
    var durationSeconds: Double?
    var measuredFramesPerSecond: Double?
    var integrity: String

    init(info: CaptureInfo, rows: [FrameRow], integrity: CaptureFileReader.Integrity) {
        frames = rows.count
        self.integrity = integrity.name
        guard info.timing == .kernel else { return }
        drops = zip(rows, rows.dropFirst()).reduce(0) { $0 + droppedFrames(from: $1.0.metadata.sequence, to: $1.1.metadata.sequence) }
        if let first = rows.first?.metadata.timestampNanoseconds, let last = rows.last?.metadata.timestampNanoseconds, rows.count > 1,
           let span = nanosecondsBetween(first, last), span > 0 {
            durationSeconds = Double(span) / 1e9
            measuredFramesPerSecond = Double(rows.count - 1) / (Double(span) / 1e9)
        }
    }

    enum CodingKeys: String, CodingKey {
        case frames, drops, integrity
        case durationSeconds = "duration_s"
        case measuredFramesPerSecond = "measured_fps"
    }

    /// Unknown values are written as null, not left out, as the README says.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frames, forKey: .frames)
        try c.encode(drops, forKey: .drops)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(measuredFramesPerSecond, forKey: .measuredFramesPerSecond)
        try c.encode(integrity, forKey: .integrity)
    }
}

struct ReplayDocument: Encodable {
    var info: CaptureInfo
    var summary: ReplaySummary
    var frames: [FrameRow]
}
