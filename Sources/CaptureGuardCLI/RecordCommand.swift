import CaptureEngine
import CaptureFile
import CaptureModel
import Glibc

enum RecordCommand {
    static let command = Command(
        name: "record",
        summary: "record a device to a capture file, keeping every frame's kernel metadata",
        help: """
        Usage: captureguard record DEVICE --out FILE [--seconds N] [--frames N]
                                   [--format FOURCC] [--size WxH] [--fps N]
                                   [--converted] [--timeout S] [--force] [--json]

        Streams DEVICE with mmap buffers and appends each frame, with its kernel
        sequence, timestamp, flags and bytesused and the host arrival time, to
        FILE as it arrives. By default payloads are raw: exactly what the driver
        produced (libv4l conversion disabled). A killed recorder loses at most the
        frame it was writing; Ctrl-C closes the file cleanly (exit 130).
        On a terminal, a progress line shows frames, fps and drops.

        Options:
          --out FILE       capture file to create (refuses to overwrite without --force)
          --seconds N      how long to record (default 5)
          --frames N       stop after N frames (whichever comes first)
          --format FOURCC  pixel format to request, e.g. YUYV, MJPG, NV12
          --size WxH       frame size to request, e.g. 640x480
          --fps N          frame rate to request (VIDIOC_S_PARM)
          --converted      let libv4lconvert decode into planar YU12 instead of raw
          --timeout S      seconds to wait for each frame (default 5)
          --force          replace an existing FILE
          --json           print a JSON summary on stdout
          --help           show this help

        """,
        run: run)

    static func run(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(
            arguments, valued: ["out", "seconds", "frames", "format", "size", "fps", "timeout"],
            switches: ["converted", "force", "json"])
        let path = try parsed.single("DEVICE")
        let outPath = try parsed.required("out")
        let seconds = try parsed.positiveNumber("seconds", atMost: ArgumentLimits.seconds) ?? 5
        let frameLimit = try parsed.positiveInteger("frames", atMost: ArgumentLimits.frames)
        let fps = try parsed.positiveInteger("fps", atMost: ArgumentLimits.framesPerSecond)
        let timeout = try parsed.positiveNumber("timeout", atMost: ArgumentLimits.pollTimeout) ?? 5
        var pixelFormat: PixelFormat?
        if let text = parsed.value("format") {
            let padded = text.count < 4 ? text + String(repeating: " ", count: 4 - text.count) : text
            guard let format = PixelFormat(fourcc: padded) else { throw CommandFailure(.usage, "--format must be a fourcc such as YUYV or MJPG, got '\(text)'") }
            pixelFormat = format
        }
        var size: (Int, Int)?
        if let text = parsed.value("size") {
            let parts = text.lowercased().split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
                throw CommandFailure(.usage, "--size must be WIDTHxHEIGHT, got '\(text)'")
            }
            size = (width, height)
        }
        // Refused before the camera is touched; the writer checks again
        // (exclusively) when it creates the file.
        if !parsed.has("force") && access(outPath, F_OK) == 0 {
            throw CommandFailure(CaptureFileError.outputExists(path: outPath))
        }

        let device: VideoDevice
        let source: DeviceFrameSource
        do throws(DeviceError) {
            device = try VideoDevice.openForCapture(path, mode: parsed.has("converted") ? .converted : .raw)
            if parsed.has("converted") && pixelFormat == nil { pixelFormat = .yu12 }
            _ = try device.negotiateFormat(pixelFormat: pixelFormat, width: size?.0, height: size?.1)
            let interval = try device.negotiateFrameRate(fps)
            source = try DeviceFrameSource(
                device: device, fingerprint: CommandLineTool.fingerprint(of: device), frameInterval: interval,
                recorder: CommandLineTool.recorder, createdAt: CommandLineTool.timestamp(), pollTimeout: timeout)
        } catch {
            throw CommandFailure(error)
        }

        let writer: CaptureFileWriter
        do {
            writer = try CaptureFileWriter(path: outPath, info: source.info, appendOnly: true, replace: parsed.has("force"))
        } catch {
            throw CommandFailure(error)
        }
        let stopSignals = StopSignals()
        // Keep SIGINT/SIGTERM blocked until the end record is on disk.
        defer { withExtendedLifetime(stopSignals) {} }
        let outcome = try CaptureWindow.run(source, seconds: seconds, frameLimit: frameLimit, stopSignals: stopSignals, console: console) { (frame) throws(CommandFailure) in
            do {
                try writer.append(frame)
            } catch {
                // The file holds every frame before this one; say so.
                throw CommandFailure(.outputError, "\(CommandFailure(error).message); \(writer.framesWritten) frames were written before it")
            }
        }
        do {
            try writer.finish(reason: outcome.reason, message: outcome.failure?.message)
        } catch {
            throw CommandFailure(error)
        }
        let summary = RecordingSummary(
            path: outPath, device: path, frames: writer.framesWritten, drops: outcome.drops,
            seconds: outcome.seconds, format: source.info.format,
            frameInterval: source.info.frameInterval, ending: outcome.reason, measuredFramesPerSecond: outcome.measuredFramesPerSecond)
        if parsed.has("json") {
            console.out(try CommandLineTool.json(summary))
        } else {
            let rates = String(format: "%.2f s (%.2f fps)", summary.seconds, summary.measuredFramesPerSecond)
            let format = summary.format
            console.writeError("recorded \(summary.frames) frames in \(rates), \(summary.drops) dropped, \(format.pixelFormat.fourcc) \(format.width)x\(format.height) -> \(outPath)\n")
        }
        if var failure = outcome.failure {
            if failure.code == ExitCode.interrupted { failure.message = "interrupted; \(writer.framesWritten) frames kept in \(outPath)" }
            throw failure
        }
        return .success
    }
}

struct RecordingSummary: Encodable {
    var path: String
    var device: String
    var frames: Int
    var drops: Int
    var seconds: Double
    var format: FrameFormat
    var frameInterval: Fraction?
    var ending: CaptureTrailer.Reason
    /// Frame rate from host arrival times of the first and last frame.
    var measuredFramesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case path, device, frames, drops, seconds, format, ending
        case frameInterval = "frame_interval"
        case measuredFramesPerSecond = "measured_fps"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(device, forKey: .device)
        try c.encode(frames, forKey: .frames)
        try c.encode(drops, forKey: .drops)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(format, forKey: .format)
        try c.encode(frameInterval, forKey: .frameInterval)
        try c.encode(ending, forKey: .ending)
        try c.encode(measuredFramesPerSecond, forKey: .measuredFramesPerSecond)
    }
}
