// FrameForensics: reads how a stream behaves over time, which is what a
// virtual camera or an injected file finds hardest to fake.
//
// Timing and consistency of the kernel metadata, repetition (frozen frames,
// duplicates, loops, cuts), temporal sensor noise (Immerkær, temporal
// differences, noise against intensity, freshness and whiteness of the
// noise), re-encoding traces, a display's moiré, and the sensor's PRNU
// fingerprint. Every
// analyser is a pure function over luma planes and frame metadata: no I/O,
// no device, so tests feed it arrays. `ForensicsSession` folds frames one at
// a time into the per-frame measurements the analysers read, so a live
// session never holds more than three planes.

import CaptureModel

/// Whether an analyser could say anything about this session.
public enum AnalyserStatus: String, Hashable, Sendable, Codable {
    case ran
    /// Too few usable frames (or none with the signal it needs): not a finding.
    case insufficientEvidence = "insufficient_evidence"
    /// The analyser does not apply (no enrolled sensor, compressed payloads, …).
    case notApplicable = "not_applicable"
}

/// One analyser's account of a session.
public struct AnalyserReport: Hashable, Sendable {
    public var name: String
    public var status: AnalyserStatus
    /// How strongly this analyser points at an attack, in [0, 1]; nil unless it ran.
    public var score: Double?
    public var findings: [Finding]
    /// The measurements behind the findings, for people and for calibration.
    public var metrics: [String: Double]
    /// Why it did not run, when it did not.
    public var note: String?

    public init(name: String, status: AnalyserStatus, score: Double?, findings: [Finding], metrics: [String: Double], note: String? = nil) {
        self.name = name
        self.status = status
        self.score = score
        self.findings = findings
        self.metrics = metrics
        self.note = note
    }

    static func insufficient(_ name: String, _ note: String, metrics: [String: Double] = [:]) -> AnalyserReport {
        AnalyserReport(name: name, status: .insufficientEvidence, score: nil,
                       findings: [Finding(code: "insufficient_evidence", severity: .info, message: "\(name): \(note)", evidence: ["analyser": name])],
                       metrics: metrics, note: note)
    }

    static func notApplicable(_ name: String, _ note: String) -> AnalyserReport {
        AnalyserReport(name: name, status: .notApplicable, score: nil, findings: [], metrics: [:], note: note)
    }

    /// Score from the worst finding: an attack finding is 1, a suspicious one 0.5.
    static func ran(_ name: String, findings: [Finding], metrics: [String: Double]) -> AnalyserReport {
        let worst = findings.map(\.severity).max() ?? .info
        let score: Double = worst == .attack ? 1 : worst == .suspicious ? 0.5 : 0
        return AnalyserReport(name: name, status: .ran, score: score, findings: findings, metrics: metrics)
    }
}

/// Every analyser's report for one session, in a fixed order.
public struct ForensicsReport: Hashable, Sendable {
    public static let analyserNames = ["timing", "repetition", "temporal_noise", "reencoding", "moire", "sensor_identity"]

    public var analysers: [AnalyserReport]
    /// Frames folded in, and the kernel-timestamp span they cover when known.
    public var frames: Int
    public var durationSeconds: Double?

    public var findings: [Finding] { analysers.flatMap(\.findings) }

    public func analyser(_ name: String) -> AnalyserReport? { analysers.first { $0.name == name } }

    /// Without both of these, nothing was said about where the frames came
    /// from: moiré, the grid and the double-JPEG test read single frames,
    /// and a stream of undecodable frames between good ones would starve
    /// everything else.
    public static let essentialAnalysers = ["repetition", "temporal_noise"]

    /// True when an essential analyser could not run (no frame pairs
    /// decoded, every frame black, saturated or tiny): timing alone, or a
    /// single-frame test, never makes a session pass.
    public var isInsufficient: Bool { !Self.essentialAnalysers.allSatisfy { analyser($0)?.status == .ran } }

    /// The strongest score among `codes`' findings: the token's attack
    /// hints. Nil when none of the analysers that emit those codes ran.
    public func hint(_ codes: Set<String>, from owners: Set<String>) -> Double? {
        let ran = analysers.filter { owners.contains($0.name) && $0.status == .ran }
        guard !ran.isEmpty else { return nil }
        let matching = ran.flatMap(\.findings).filter { codes.contains($0.code) }
        guard let worst = matching.map(\.severity).max() else { return 0 }
        return worst == .attack ? 1 : worst == .suspicious ? 0.5 : 0
    }

    /// The token's frame-forensics attack hints, by name (README: attack_hints).
    public var attackHints: [String: Double?] {
        [
            "replay": hint(["frozen_frame", "duplicate_frames", "loop_detected", "reencoded_stream", "scene_cut", "no_temporal_noise"],
                           from: ["repetition", "reencoding", "temporal_noise"]),
            "loop": hint(["loop_detected"], from: ["repetition"]),
            "reencoding": hint(["reencoded_stream", "double_jpeg"], from: ["reencoding"]),
            "synthetic_noise": hint(["synthetic_noise", "no_temporal_noise", "noise_reused"], from: ["temporal_noise"]),
            "sensor_mismatch": hint(["sensor_mismatch", "sensor_unverified"], from: ["sensor_identity"]),
            "screen": hint(["screen_moire"], from: ["moire"]),
        ]
    }
}

/// Formats a measurement for a finding's evidence: short, stable, no locale.
func evidenceNumber(_ value: Double, digits: Int = 3) -> String {
    guard value.isFinite else { return "nan" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
    return String(rounded)
}

/// The median, by selection rather than a full sort (it runs on every
/// frame pair's few thousand block variances).
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    var work = values
    let middle = work.count / 2
    let upper = select(&work, middle)
    guard work.count % 2 == 0 else { return upper }
    // The lower middle is the largest value left of the upper one.
    let lower = work[0..<middle].max() ?? upper
    return (lower + upper) / 2
}

/// Hoare's selection: reorders `values` so that `values[k]` is the k-th
/// smallest, everything before it no larger and everything after no smaller.
func select(_ values: inout [Double], _ k: Int) -> Double {
    var low = 0
    var high = values.count - 1
    while low < high {
        let pivot = values[(low + high) / 2]
        var i = low
        var j = high
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j {
                values.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if k <= j { high = j } else if k >= i { low = i } else { break }
    }
    return values[k]
}
