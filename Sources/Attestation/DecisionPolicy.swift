import CaptureModel
import CapturePath
import FaceAnalysis
import FrameForensics

/// What a session's outcome is for the relying server.
public enum Decision: String, Hashable, Sendable, Codable {
    case pass
    case fail
    /// Capture again (too few frames, unknown path): not an accusation.
    case retry
    /// Suspicious: ask for a stronger check (passive by default).
    case stepUp = "step_up"
}

/// The versioned decision policy: which capture-path verdicts and which
/// frame-forensics findings fail, retry or step up, and the session limits. Shipped built in; `attest --policy
/// FILE` overrides it with the same JSON shape, and every token names the
/// version that decided it.
public struct DecisionPolicy: Hashable, Sendable, Codable {
    public var version: String
    /// Capture-path verdict (physical, virtual, suspicious, unknown) → decision.
    public var capturePath: [String: Decision]
    /// Decision for a session attested from a file rather than a live
    /// device: a file can be made by anyone, so it never passes outright.
    public var fileSource: Decision
    /// Fewer whole frames than this → retry.
    public var minimumFrames: Int
    /// Token lifetime (`exp - iat`).
    public var tokenLifetimeSeconds: Int
    /// The score each decision carries, in [0, 1].
    public var scores: [String: Double]
    /// Frame-forensics finding severity (attack, suspicious) → decision, and
    /// `insufficient` for a session no analyser could read. Absent in a
    /// decision-policy/1 file: the built-in mapping applies, so leaving it
    /// out cannot make an injected stream pass.
    public var frameForensics: [String: Decision]?
    /// Per-code overrides of the severity mapping, e.g. `{"scene_cut": "retry"}`.
    public var findingOverrides: [String: Decision]?
    /// Face-quality thresholds (decision-policy/3). Absent in older files:
    /// the built-in ones apply.
    public var faceQuality: FaceQualityPolicy?
    /// What a face-quality finding (no face, too dark, blurred, …) does to
    /// the session: `retry` by default, or `pass` to only advise. Never
    /// `fail` or `step_up`: poor quality is not evidence of an attack.
    public var faceQualityDecision: Decision?
    /// What a passive-PAD finding (screen_attack, print_attack,
    /// mask_like_texture) does: `step_up` by default, since the hints come
    /// from a model trained on simulated recaptures; `fail` makes them final.
    public var padDecision: Decision?

    enum CodingKeys: String, CodingKey {
        case version, scores
        case capturePath = "capture_path"
        case fileSource = "file_source"
        case minimumFrames = "minimum_frames"
        case tokenLifetimeSeconds = "token_lifetime_s"
        case frameForensics = "frame_forensics"
        case findingOverrides = "finding_overrides"
        case faceQuality = "face_quality"
        case faceQualityDecision = "face_quality_decision"
        case padDecision = "pad_decision"
    }

    public static let standard = DecisionPolicy(
        version: "decision-policy/3",
        capturePath: ["physical": .pass, "virtual": .fail, "suspicious": .stepUp, "unknown": .retry],
        fileSource: .stepUp,
        // 10 frames is 0.4 s at 25 fps: less than that cannot show a face or
        // timing behaviour to any analyser.
        minimumFrames: 10,
        // RFC 9711 leaves the lifetime to the profile; 120 s covers a kiosk
        // upload on a slow link while keeping replay windows short.
        tokenLifetimeSeconds: 120,
        scores: ["pass": 1.0, "step_up": 0.5, "retry": 0.5, "fail": 0.0],
        // Passive by default: hard evidence fails, forgeable or ambiguous
        // evidence asks for a stronger check, and a session too dark or too
        // short to read is captured again rather than accused.
        frameForensics: ["attack": .fail, "suspicious": .stepUp, "insufficient": .retry],
        findingOverrides: [:],
        // Kiosks must not reject real people: a bad capture is retaken.
        faceQuality: .standard, faceQualityDecision: .retry,
        // Passive by default: a PAD hint asks for a stronger check.
        padDecision: .stepUp)

    public init(version: String, capturePath: [String: Decision], fileSource: Decision, minimumFrames: Int, tokenLifetimeSeconds: Int,
                scores: [String: Double], frameForensics: [String: Decision]? = nil, findingOverrides: [String: Decision]? = nil,
                faceQuality: FaceQualityPolicy? = nil, faceQualityDecision: Decision? = nil, padDecision: Decision? = nil) {
        self.version = version
        self.capturePath = capturePath
        self.fileSource = fileSource
        self.minimumFrames = minimumFrames
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.scores = scores
        self.frameForensics = frameForensics
        self.findingOverrides = findingOverrides
        self.faceQuality = faceQuality
        self.faceQualityDecision = faceQualityDecision
        self.padDecision = padDecision
    }

    /// The face-quality thresholds and decision in force.
    public var faceQualityThresholds: FaceQualityPolicy { faceQuality ?? .standard }
    public var faceQualityOutcome: Decision { faceQualityDecision ?? .retry }
    public var padOutcome: Decision { padDecision ?? .stepUp }

    /// The severity mapping in force: this policy's, or the built-in one.
    public var forensicsDecisions: [String: Decision] { frameForensics ?? Self.standard.frameForensics ?? [:] }

    /// Why a policy cannot be used, or nil when it can: a policy file must
    /// not be able to make a virtual camera pass by leaving a key out, or
    /// sign tokens that expire before they are sent.
    public var problem: String? {
        for verdict in ["physical", "virtual", "suspicious", "unknown"] where capturePath[verdict] == nil {
            return "capture_path has no decision for '\(verdict)'"
        }
        // A day bounds a token's replay window and keeps iat + lifetime far from overflow.
        guard (1...86_400).contains(tokenLifetimeSeconds) else { return "token_lifetime_s must be 1 to 86400" }
        guard (0...1_000_000).contains(minimumFrames) else { return "minimum_frames must be 0 to 1000000" }
        if let frameForensics {
            for key in ["attack", "suspicious", "insufficient"] where frameForensics[key] == nil {
                return "frame_forensics has no decision for '\(key)'"
            }
        }
        if let problem = faceQuality?.problem { return problem }
        if let faceQualityDecision, faceQualityDecision != .retry && faceQualityDecision != .pass {
            return "face_quality_decision must be retry or pass: poor quality is not evidence of an attack"
        }
        for decision in ["pass", "fail", "retry", "step_up"] {
            guard let score = scores[decision], (0...1).contains(score) else { return "scores.\(decision) must be a number from 0 to 1" }
        }
        return nil
    }

    /// Combines the sources of a decision: the most severe wins
    /// (fail > step_up > retry > pass).
    public func decide(pathVerdict: PathVerdict, fromFile: Bool, frames: Int, forensics: ForensicsReport? = nil, faces: FaceReport? = nil) -> Decision {
        var candidates = [capturePath[pathVerdict.rawValue] ?? .stepUp]
        if fromFile { candidates.append(fileSource) }
        if frames < minimumFrames { candidates.append(.retry) }
        if let forensics { candidates.append(decide(forensics)) }
        if let faces { candidates.append(decide(faces)) }
        return Self.mostSevere(candidates)
    }

    /// The face decision alone: any quality finding asks for a retake (or
    /// only advises, under a policy that says `pass`); a PAD finding takes
    /// `pad_decision`.
    public func decide(_ faces: FaceReport) -> Decision {
        var candidates: [Decision] = [faces.findings.isEmpty ? .pass : faceQualityOutcome]
        if let pad = faces.pad, !pad.findings.isEmpty { candidates.append(padOutcome) }
        return Self.mostSevere(candidates)
    }

    /// The face finding codes behind a face decision other than pass.
    public func reasons(_ faces: FaceReport) -> [String] {
        var codes: [String] = []
        if faceQualityOutcome != .pass { codes += faces.findings.map(\.code) }
        if padOutcome != .pass { codes += faces.pad?.findings.map(\.code) ?? [] }
        return codes
    }

    /// The frame-forensics decision alone: each finding by its code's
    /// override or else its severity, `insufficient` when nothing could be
    /// read. Info findings never move it.
    public func decide(_ forensics: ForensicsReport) -> Decision {
        let mapping = forensicsDecisions
        var candidates: [Decision] = [.pass]
        if forensics.isInsufficient { candidates.append(mapping["insufficient"] ?? .retry) }
        for finding in forensics.findings {
            if let override = findingOverrides?[finding.code] {
                candidates.append(override)
            } else if finding.severity >= .suspicious {
                candidates.append(mapping[finding.severity.rawValue] ?? .stepUp)
            }
        }
        return Self.mostSevere(candidates)
    }

    /// The finding codes behind a forensics decision other than pass.
    public func reasons(_ forensics: ForensicsReport) -> [String] {
        var codes = forensics.findings.filter { finding in
            if let override = findingOverrides?[finding.code] { return override != .pass }
            return finding.severity >= .suspicious
        }.map(\.code)
        if forensics.isInsufficient { codes.append("insufficient_evidence") }
        return codes.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    static func mostSevere(_ candidates: [Decision]) -> Decision {
        let order: [Decision] = [.fail, .stepUp, .retry, .pass]
        return order.first { candidates.contains($0) } ?? .stepUp
    }

    public func score(_ decision: Decision) -> Double { scores[decision.rawValue] ?? 0 }
}
