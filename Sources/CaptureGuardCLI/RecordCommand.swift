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
        let seconds = try parsed.positiveNumber("seconds") ?? 5
        let frameLimit = try parsed.positiveInteger("frames")
        let fps = try parsed.positiveInteger("fps")
        let timeout = try parsed.positiveNumber("timeout") ?? 5
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
        var progress = RecordingProgress(console: console, seconds: seconds)
        let started = monotonicNanoseconds()
        let deadline = started + Int64(seconds * 1e9)
        var ending: (CaptureTrailer.Reason, CommandFailure?) = (.complete, nil)
        while monotonicNanoseconds() < deadline && (frameLimit.map { writer.framesWritten < $0 } ?? true) {
            if stopSignals.pending {
                ending = (.interrupted, CommandFailure(.interrupted, "interrupted; \(writer.framesWritten) frames kept in \(outPath)"))
                break
            }
            let frame: Frame
            do throws(DeviceError) {
                guard let next = try source.nextDeviceFrame() else { break }
                frame = next
            } catch {
                let reason: CaptureTrailer.Reason = error.isTimeout ? .timeout : .deviceLost
                ending = (reason, CommandFailure(error))
                break
            }
            do {
                try writer.append(frame)
            } catch {
                // The file holds every frame before this one; say so.
                source.stop()
                throw CommandFailure(.outputError, "\(error.message); \(writer.framesWritten) frames were written before it")
            }
            progress.record(frame.metadata)
        }
        source.stop()
        progress.finish()
        do {
            try writer.finish(reason: ending.0, message: ending.1?.message)
        } catch {
            throw CommandFailure(error)
        }
        let summary = RecordingSummary(
            path: outPath, device: path, frames: writer.framesWritten, drops: progress.drops,
            seconds: Double(monotonicNanoseconds() - started) / 1e9, format: source.info.format,
            frameInterval: source.info.frameInterval, ending: ending.0, measuredFramesPerSecond: progress.measuredFramesPerSecond)
        if parsed.has("json") {
            console.out(try CommandLineTool.json(summary))
        } else {
            let rates = String(format: "%.2f s (%.2f fps)", summary.seconds, summary.measuredFramesPerSecond)
            let format = summary.format
            console.writeError("recorded \(summary.frames) frames in \(rates), \(summary.drops) dropped, \(format.pixelFormat.fourcc) \(format.width)x\(format.height) -> \(outPath)\n")
        }
        if let failure = ending.1 { throw failure }
        return .success
    }
}

extension DeviceError {
    var isTimeout: Bool {
        if case .timeout = self { return true }
        return false
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

/// Counts drops from sequence gaps and draws a live line on a terminal.
struct RecordingProgress {
    let console: Console
    let seconds: Double
    private(set) var drops = 0
    private var frames = 0
    private var lastSequence: UInt32?
    private var firstArrival: Int64?
    private var lastArrival: Int64?
    private var lastDrawn: Int64 = 0
    private var drewLine = false

    init(console: Console, seconds: Double) {
        self.console = console
        self.seconds = seconds
    }

    mutating func record(_ metadata: FrameMetadata) {
        if let lastSequence, metadata.sequence > lastSequence &+ 1 {
            drops += Int(metadata.sequence &- lastSequence &- 1)
        }
        lastSequence = metadata.sequence
        frames += 1
        let now = metadata.hostMonotonicNanoseconds ?? monotonicNanoseconds()
        if firstArrival == nil { firstArrival = now }
        lastArrival = now
        // Redraw at most 4 times a second: enough to look live, cheap on a slow tty.
        guard console.errorIsTerminal, now - lastDrawn >= 250_000_000, let firstArrival else { return }
        lastDrawn = now
        let elapsed = Double(now - firstArrival) / 1e9
        let rate = elapsed > 0 ? Double(frames - 1) / elapsed : 0
        console.writeError(String(format: "\r  %6d frames  %6.2f fps  %4d dropped  %5.1f/%.0f s ", frames, rate, drops, elapsed, seconds))
        drewLine = true
    }

    var measuredFramesPerSecond: Double {
        guard let firstArrival, let lastArrival, lastArrival > firstArrival, frames > 1 else { return 0 }
        return Double(frames - 1) / (Double(lastArrival - firstArrival) / 1e9)
    }

    mutating func finish() {
        if drewLine { console.writeError("\n") }
        drewLine = false
    }
}

/// Blocks SIGINT and SIGTERM for the recording loop and reports whether one
/// arrived, so the loop can close the capture file cleanly. Polling the
/// pending set needs no signal handler and no global state.
final class StopSignals {
    private static let signals = [SIGINT, SIGTERM]
    private var previousMask = sigset_t()
    private var previousActions: [sigaction] = []

    init() {
        // A shell starts background jobs with SIGINT ignored, and an ignored
        // signal is discarded rather than left pending: restore the default
        // action (it never runs while the signal is blocked).
        for signal in Self.signals {
            var action = sigaction()
            var old = sigaction()
            action.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, &old)
            previousActions.append(old)
        }
        var blocked = Self.set()
        pthread_sigmask(SIG_BLOCK, &blocked, &previousMask)
    }

    deinit {
        // Consume a pending stop so unblocking does not kill the process
        // after the file was closed cleanly.
        var set = Self.set()
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while pending, sigtimedwait(&set, nil, &zero) > 0 {}
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        for (signal, var action) in zip(Self.signals, previousActions) { sigaction(signal, &action, nil) }
    }

    var pending: Bool {
        var set = sigset_t()
        sigpending(&set)
        return Self.signals.contains { sigismember(&set, $0) == 1 }
    }

    private static func set() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }
}
