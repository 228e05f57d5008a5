import CaptureEngine
import CaptureFile
import CaptureModel
import Glibc

/// A capture window over a live device: streams until the time or frame
/// limit, a stop signal, device loss or a poll timeout, handing each frame to
/// the caller. `record` and `attest` share it.
enum CaptureWindow {
    struct Outcome {
        var reason: CaptureTrailer.Reason
        /// Why the window ended early, if it did (device lost, timeout, signal).
        var failure: CommandFailure?
        var frames: Int
        var drops: Int
        var seconds: Double
        var measuredFramesPerSecond: Double
    }

    static func run(
        _ source: DeviceFrameSource, seconds: Double, frameLimit: Int?, stopSignals: any StopRequest, console: Console,
        handle: (Frame) throws(CommandFailure) -> Void
    ) throws(CommandFailure) -> Outcome {
        var progress = RecordingProgress(console: console, seconds: seconds)
        let started = monotonicNanoseconds()
        let deadline = started + Int64(seconds * 1e9)
        var frames = 0
        var reason = CaptureTrailer.Reason.complete
        var failure: CommandFailure?
        defer {
            source.stop()
            progress.finish()
        }
        while monotonicNanoseconds() < deadline && (frameLimit.map { frames < $0 } ?? true) {
            if stopSignals.pending {
                reason = .interrupted
                failure = CommandFailure(.interrupted, "interrupted after \(frames) frames")
                break
            }
            let frame: Frame
            do throws(DeviceError) {
                guard let next = try source.nextDeviceFrame() else { break }
                frame = next
            } catch {
                reason = error.isTimeout ? .timeout : .deviceLost
                failure = CommandFailure(error)
                break
            }
            try handle(frame)
            frames += 1
            progress.record(frame.metadata)
        }
        return Outcome(reason: reason, failure: failure, frames: frames, drops: progress.drops,
                       seconds: Double(monotonicNanoseconds() - started) / 1e9, measuredFramesPerSecond: progress.measuredFramesPerSecond)
    }
}

extension DeviceError {
    var isTimeout: Bool {
        if case .timeout = self { return true }
        return false
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
        if let lastSequence { drops += droppedFrames(from: lastSequence, to: metadata.sequence) }
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
/// Whether the capture loop should stop early.
protocol StopRequest: AnyObject {
    var pending: Bool { get }
}

/// Never asks to stop: `serve` handles its signals on a thread of its own
/// and lets a running session finish.
final class NoStopRequest: StopRequest {
    var pending: Bool { false }
}

final class StopSignals: StopRequest {
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
