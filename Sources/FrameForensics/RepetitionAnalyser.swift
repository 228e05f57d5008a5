import CaptureModel

/// Repetition: frozen frames (identical pixels), duplicates, a frozen scene
/// that still has fresh noise (what a real camera sees of a still scene),
/// loops (a segment played again), and hard cuts (a splice).
public enum RepetitionAnalyser {
    public static let name = "repetition"

    /// Nine in ten consecutive pairs bit-identical: the stream is one image
    /// (a tenth left for a session that starts live and then freezes).
    static let frozenShare = 0.9
    /// A repeated run this long (frames) is a loop, not a coincidence: three
    /// bit-identical frames in a row cannot come from a sensor with noise.
    static let loopRunFrames = 3
    /// Near loops (re-encoded or re-noised): a lag at which this many frames
    /// in a row match their earlier copies… (8 frames, a quarter second at
    /// 30 fps: shorter matches happen in any slow, smooth motion)
    static let nearLoopRunFrames = 8
    /// …at a signature distance under this share of the segment's own
    /// frame-to-frame motion. Signatures are normalised for brightness and
    /// contrast (so mains flicker does not repeat), and cell means average
    /// the noise away, so a replayed segment sits far below its own motion;
    /// 0.15 leaves a factor of about 7 between a copy and a fresh frame.
    static let nearLoopDistanceShare = 0.15
    /// A run only counts where the scene moves by at least this much per
    /// frame (normalised signature units: the cells' standard deviation is
    /// 1), else a still scene would match itself at every lag.
    static let nearLoopMinimumMotion = 0.02
    /// Lags searched for near loops, and frames searched: 10 s at 30 fps
    /// covers any loop a kiosk session could contain and bounds the search
    /// on long files.
    static let nearLoopMaximumLag = 300
    static let nearLoopMaximumFrames = 900
    /// A cut: one step whose signature change is this many times the median
    /// step, and at least this many levels (mean over the cells). The sensor
    /// model's steps are 0.1–0.3 levels and its splices 20; a subject moving
    /// quickly changes part of the frame, not every cell by 6 levels. A light
    /// switched on does it too, so a cut is only suspicious.
    static let cutMedianMultiple = 8.0
    static let cutMinimumLevels = 6.0
    /// Frames with 95% of their pixels black or saturated carry no pattern
    /// to compare (a lens cap, a lamp in the lens).
    static let informativeClippedShare = 0.95

    public static func analyse(_ frames: [FrameMeasurement]) -> AnalyserReport {
        let lumas = frames.compactMap(\.luma)
        guard lumas.count >= 2 else { return .insufficient(name, "\(lumas.count) decodable frames; repetition needs at least 2") }
        guard lumas.allSatisfy({ !$0.signature.isEmpty }) else { return .insufficient(name, "frames smaller than one 16×16 block") }
        let informative = lumas.filter { $0.clippedFraction < informativeClippedShare }
        guard informative.count >= 2 else { return .insufficient(name, "every frame is black or saturated") }
        var findings: [Finding] = []
        var metrics: [String: Double] = [:]

        let pairs = frames.compactMap(\.pair)
        let identical = pairs.filter(\.identical).count
        let repeats = distantRepeats(lumas)
        metrics["identical_pairs"] = Double(identical)
        metrics["repeated_frames"] = Double(repeats)
        metrics["pairs"] = Double(pairs.count)
        if !pairs.isEmpty, Double(identical) >= frozenShare * Double(pairs.count) {
            findings.append(Finding(code: "frozen_frame", severity: .attack,
                                    message: "\(identical) of \(pairs.count) consecutive frames are bit-identical: a still image, not a sensor",
                                    evidence: ["identical_pairs": String(identical), "pairs": String(pairs.count)]))
        } else if identical > 0 || repeats > 0 {
            findings.append(Finding(code: "duplicate_frames", severity: .suspicious,
                                    message: "\(identical + repeats) frames repeat an earlier one bit for bit; sensor noise makes that impossible",
                                    evidence: ["identical_pairs": String(identical), "repeated_frames": String(repeats), "pairs": String(pairs.count)]))
        }

        // A still scene whose noise is new in every frame is a real camera
        // looking at something that does not move: context, not an attack.
        let stillPairs = pairs.filter { pair in
            guard !pair.identical, pair.usableBlocks > 0, let variance = pair.temporalVariance else { return false }
            return Double(pair.staticBlocks) >= 0.95 * Double(pair.usableBlocks) && variance >= TemporalNoiseAnalyser.silentSigma * TemporalNoiseAnalyser.silentSigma
                && Double(pair.zeroBlocks) < TemporalNoiseAnalyser.frozenBlockShare * Double(pair.usableBlocks)
        }.count
        if !pairs.isEmpty, Double(stillPairs) >= frozenShare * Double(pairs.count) {
            findings.append(Finding(code: "frozen_scene", severity: .info,
                                    message: "the scene does not move, but its noise changes in every frame",
                                    evidence: ["still_pairs": String(stillPairs), "pairs": String(pairs.count)]))
        }

        if identical < pairs.count, let loop = exactLoop(lumas) ?? nearLoop(lumas) {
            // Bit-identical runs are proof; signature matches are strong
            // evidence that a careful re-encode could in principle imitate.
            findings.append(Finding(code: "loop_detected", severity: loop.exact ? .attack : .suspicious,
                                    message: "frames \(loop.start)–\(loop.start + loop.length - 1) replay frames from \(loop.lag) frames earlier",
                                    evidence: ["lag_frames": String(loop.lag), "repeated_frames": String(loop.length), "first_repeat": String(loop.start),
                                               "match": loop.exact ? "exact" : "signature"]))
            metrics["loop_lag_frames"] = Double(loop.lag)
        }

        let steps = zip(lumas, lumas.dropFirst()).map { signatureDistance($0.signature, $1.signature) }
        if let typical = median(steps), let largest = steps.max() {
            metrics["signature_step_median"] = typical
            metrics["signature_step_max"] = largest
            if let at = steps.firstIndex(of: largest), largest >= cutMinimumLevels, largest >= cutMedianMultiple * typical {
                findings.append(Finding(code: "scene_cut", severity: .suspicious,
                                        message: "the whole picture changes at once between frames \(at) and \(at + 1): a splice",
                                        evidence: ["frame": String(at + 1), "change_levels": evidenceNumber(largest), "median_change_levels": evidenceNumber(typical)]))
            }
        }
        return .ran(name, findings: findings, metrics: metrics)
    }

    struct Loop {
        var start: Int
        var lag: Int
        var length: Int
        var exact: Bool
    }

    /// The longest run of frames whose digests equal those of frames a fixed
    /// lag earlier (lag ≥ 2, so plain duplicates are not loops). The lag is
    /// to the latest earlier copy, so a cycle of two frames (A, B, A, B)
    /// keeps a constant lag of 2.
    static func exactLoop(_ lumas: [LumaStatistics]) -> Loop? {
        var lastSeen: [UInt64: Int] = [:]
        var best: Loop?
        var run: Loop?
        for (index, luma) in lumas.enumerated() {
            if let earlier = lastSeen[luma.digest], index - earlier >= 2 {
                let lag = index - earlier
                if var current = run, current.lag == lag, current.start + current.length == index {
                    current.length += 1
                    run = current
                } else {
                    run = Loop(start: index, lag: lag, length: 1, exact: true)
                }
                if let current = run, current.length >= loopRunFrames, current.length > (best?.length ?? 0) { best = current }
            } else {
                run = nil
            }
            lastSeen[luma.digest] = index
        }
        return best
    }

    /// Frames bit-identical to a frame at least two places earlier (ones that
    /// repeat the previous frame are counted as identical pairs instead).
    static func distantRepeats(_ lumas: [LumaStatistics]) -> Int {
        var lastSeen: [UInt64: Int] = [:]
        var count = 0
        for (index, luma) in lumas.enumerated() {
            if let earlier = lastSeen[luma.digest], index - earlier >= 2, luma.clippedFraction < informativeClippedShare { count += 1 }
            lastSeen[luma.digest] = index
        }
        return count
    }

    /// A lag at which a run of frames matches, by signature, frames that
    /// far back, far more closely than the run's own motion: a segment
    /// played again after re-encoding or with new noise laid over it.
    static func nearLoop(_ lumas: [LumaStatistics]) -> Loop? {
        let signatures = lumas.prefix(nearLoopMaximumFrames).map { normalised($0.signature) }
        let count = signatures.count
        guard count >= 2 * nearLoopRunFrames else { return nil }
        let steps = zip(signatures, signatures.dropFirst()).map { signatureDistance($0, $1) }
        for lag in nearLoopRunFrames...min(nearLoopMaximumLag, count - nearLoopRunFrames) {
            var runStart: Int?
            var motion = 0.0
            var distance = 0.0
            for index in lag..<count {
                let d = signatureDistance(signatures[index], signatures[index - lag])
                let step = steps[index - 1]
                // The run breaks as soon as a frame matches worse than the motion allows.
                guard d <= nearLoopDistanceShare * step else {
                    runStart = nil
                    continue
                }
                if runStart == nil { runStart = index; motion = 0; distance = 0 }
                motion += step
                distance += d
                guard let start = runStart else { continue }
                let length = index - start + 1
                if length >= nearLoopRunFrames, distance < nearLoopDistanceShare * motion, motion / Double(length) >= nearLoopMinimumMotion {
                    return Loop(start: start, lag: lag, length: length, exact: false)
                }
            }
        }
        return nil
    }

    /// A signature with its mean removed and its spread scaled to 1: what
    /// is left is the layout of the picture, not its brightness.
    static func normalised(_ signature: [Float]) -> [Float] {
        guard !signature.isEmpty else { return signature }
        let mean = signature.reduce(0, +) / Float(signature.count)
        let spread = (signature.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(signature.count)).squareRoot()
        return signature.map { ($0 - mean) / max(spread, 0.5) }
    }

    /// Mean absolute difference of two signatures, in luma levels.
    static func signatureDistance(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        var sum: Float = 0
        for index in 0..<a.count { sum += abs(a[index] - b[index]) }
        return Double(sum) / Double(a.count)
    }
}
