import CaptureModel
import FaceAnalysis
import Foundation
import FrameForensics

/// Runs a session's face analysis on its own thread, so a full-frame face
/// scan (tens of milliseconds, far more on a slow kiosk CPU) never holds up
/// the capture loop and costs the camera frames. The capture loop offers
/// every `sampleStride`-th frame. Live, a new offer replaces one the worker
/// has not started (the freshest frame wins and the camera never waits);
/// from a file, an offer waits for the worker, so a file's result does not
/// depend on the machine's speed. The worker keeps the best face frame.
final class FaceWorker: @unchecked Sendable {
    enum Pacing {
        /// Never block the producer; replace unstarted work.
        case live
        /// Block the producer until the worker takes the work.
        case everyOffer
    }

    struct Work {
        var frame: Frame
        var payloadDigest: [UInt8]
        var luma: LumaPlane
        /// The YU12 frame a compressed frame was decoded into, for its chroma.
        var planar: Frame?
    }

    /// Every third frame: 10 looks a second at 30 fps, enough to follow a
    /// face and to count the frames that show one.
    static let sampleStride = 3

    private let condition = NSCondition()
    private let pacing: Pacing
    // Guarded by `condition`.
    private var pending: Work?
    private var closed = false
    private var done = false
    private var replaced = 0
    // Touched only by the worker thread until `finish` has seen `done`.
    private var session: FaceSession
    private var best: (frame: Frame, payloadDigest: [UInt8])?
    private var offered = 0

    init(detector: any FaceDetecting, pacing: Pacing) {
        self.pacing = pacing
        session = FaceSession(detector: detector, sampleStride: 1)
        let thread = Thread { [self] in run() }
        thread.name = "captureguard.faces"
        thread.start()
    }

    /// Called for every frame by the capture loop; takes every
    /// `sampleStride`-th.
    func offer(_ frame: Frame, payloadDigest: [UInt8], luma: LumaPlane, planar: Frame? = nil) {
        defer { offered += 1 }
        guard offered % Self.sampleStride == 0 else { return }
        condition.lock()
        if pacing == .everyOffer {
            while pending != nil && !done { condition.wait() }
        } else if pending != nil {
            replaced += 1
        }
        pending = Work(frame: frame, payloadDigest: payloadDigest, luma: luma, planar: planar)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the work already offered, stops the thread and returns the
    /// session's report, its best face frame and how many offers a busy
    /// worker let a fresher frame replace.
    func finish(policy: FaceQualityPolicy) -> (report: FaceReport, best: (frame: Frame, payloadDigest: [UInt8])?, replaced: Int) {
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        let replaced = self.replaced
        condition.unlock()
        return (session.report(policy: policy), best, replaced)
    }

    private func run() {
        while true {
            condition.lock()
            while pending == nil && !closed { condition.wait() }
            guard let work = pending else {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            pending = nil
            condition.broadcast()
            condition.unlock()
            let chroma = ChromaPlanes(frame: work.planar ?? work.frame)
            if session.add(frameIndex: work.frame.metadata.index, luma: work.luma, chroma: chroma)?.isBest == true {
                best = (work.frame, work.payloadDigest)
            }
        }
    }
}
