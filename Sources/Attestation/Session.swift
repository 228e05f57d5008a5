import CaptureCrypto
import CaptureModel
import CapturePath
import FaceAnalysis
import FrameForensics
import Verifier

/// What one capture session produced, as plain values: the input to the
/// decision and to the token's claims.
public struct SessionFacts: Sendable {
    public var info: CaptureInfo
    public var fingerprint: DeviceFingerprint?
    public var assessment: PathAssessment?
    public var fromFile: Bool
    public var frames: Int
    /// Seconds between the first and last kernel timestamps, when known.
    public var kernelDuration: Double?
    public var chainLink: [UInt8]
    public var evidenceImageSHA256: String
    public var evidenceFrameIndex: Int
    public var evidenceFramePayloadSHA256: String
    /// Every frame-forensics analyser's report; nil when they did not run.
    public var forensics: ForensicsReport?
    /// The face account (presence, quality); nil when no cascade was loaded.
    public var faces: FaceReport?

    public init(info: CaptureInfo, fingerprint: DeviceFingerprint?, assessment: PathAssessment?, fromFile: Bool, frames: Int, kernelDuration: Double?,
                chainLink: [UInt8], evidenceImageSHA256: String, evidenceFrameIndex: Int, evidenceFramePayloadSHA256: String,
                forensics: ForensicsReport? = nil, faces: FaceReport? = nil) {
        self.info = info
        self.fingerprint = fingerprint
        self.assessment = assessment
        self.fromFile = fromFile
        self.frames = frames
        self.kernelDuration = kernelDuration
        self.chainLink = chainLink
        self.evidenceImageSHA256 = evidenceImageSHA256
        self.evidenceFrameIndex = evidenceFrameIndex
        self.evidenceFramePayloadSHA256 = evidenceFramePayloadSHA256
        self.forensics = forensics
        self.faces = faces
    }
}

extension AttestationClaims {
    /// The claims for a session, decided by `policy`. Pure: the caller
    /// supplies the time and the session id.
    public init(_ facts: SessionFacts, policy: DecisionPolicy, nonce: [UInt8], audience: String?, issuer: String, now: Int64, jti: String) {
        let assessment = facts.assessment
        let pathVerdict = assessment?.verdict ?? .unknown
        let forensics = facts.forensics
        let faces = facts.faces
        let decision = policy.decide(pathVerdict: pathVerdict, fromFile: facts.fromFile, frames: facts.frames, forensics: forensics, faces: faces)
        var reasons = (assessment?.findings ?? []).filter { $0.severity >= .suspicious }.map(\.code)
        reasons += forensics.map { policy.reasons($0) } ?? []
        reasons += faces.map { policy.reasons($0) } ?? []
        if facts.fromFile { reasons.append("file_source") }
        if facts.fingerprint == nil { reasons.append("no_device_fingerprint") }
        if facts.frames < policy.minimumFrames { reasons.append("too_few_frames") }
        reasons = reasons.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }

        let info = facts.info
        let fingerprint = facts.fingerprint
        let fps = facts.kernelDuration.flatMap { $0 > 0 && facts.frames > 1 ? Double(facts.frames - 1) / $0 : nil }
        let capture = Capture(
            source: facts.fromFile ? "file" : "device", node: fingerprint?.node ?? info.sourcePath, fingerprintSHA256: assessment?.fingerprintSHA256,
            driver: fingerprint?.querycap.driver, card: fingerprint?.querycap.card, bus: fingerprint?.querycap.busInfo,
            format: info.format.pixelFormat.fourcc, width: info.format.width, height: info.format.height,
            fps: ClaimPrecision.rounded(fps, ClaimPrecision.rate), nominalFPS: ClaimPrecision.rounded(info.frameInterval?.framesPerSecond, ClaimPrecision.rate),
            frames: facts.frames, durationSeconds: ClaimPrecision.rounded(facts.kernelDuration, ClaimPrecision.seconds), timing: info.timing.rawValue)
        self.init(
            iss: issuer, iat: now, exp: now + Int64(policy.tokenLifetimeSeconds), jti: jti, aud: audience, eatNonce: Base64URL.encode(nonce),
            captureguard: Body(
                capture: capture,
                decision: DecisionClaim(verdict: decision, score: ClaimPrecision.rounded(policy.score(decision), ClaimPrecision.fraction), reasons: reasons,
                                        policyVersion: policy.version,
                                        pathPolicyVersion: assessment?.policyVersion ?? PathPolicy.standard.version),
                quality: faces.map { Quality($0) } ?? .notAssessed,
                attackHints: AttackHints(
                    virtualCamera: assessment.map { $0.verdict == .virtual ? 1 : 0 },
                    writerProcess: assessment.map { a in a.findings.contains { $0.code == "writer_process" } ? 1 : 0 },
                    replay: forensics?.attackHints["replay"] ?? nil,
                    loop: forensics?.attackHints["loop"] ?? nil,
                    reencoding: forensics?.attackHints["reencoding"] ?? nil,
                    syntheticNoise: forensics?.attackHints["synthetic_noise"] ?? nil,
                    sensorMismatch: forensics?.attackHints["sensor_mismatch"] ?? nil,
                    screen: Self.strongest(forensics?.attackHints["screen"] ?? nil, faces?.pad?.hints?.screen),
                    print: faces?.pad?.hints?.print,
                    maskLike: faces?.pad?.hints?.maskLike),
                evidence: Evidence(imageSHA256: facts.evidenceImageSHA256, imageFrameIndex: facts.evidenceFrameIndex,
                                   imageFramePayloadSHA256: facts.evidenceFramePayloadSHA256, frameCount: facts.frames,
                                   chainSHA256: hexString(facts.chainLink))),
            submods: Submodules(
                capturePath: assessment.map { a in
                    Submodule(status: "ran", verdict: a.verdict.rawValue, policyVersion: a.policyVersion,
                              findings: a.findings.map { SubmoduleFinding(code: $0.code, severity: $0.severity.rawValue, evidence: $0.evidence) })
                } ?? .notRun,
                frameForensics: forensics.map { report in
                    Submodule(status: report.isInsufficient ? "insufficient_evidence" : "ran", verdict: policy.decide(report).rawValue,
                              policyVersion: policy.version,
                              findings: report.findings.map { SubmoduleFinding(code: $0.code, severity: $0.severity.rawValue, evidence: $0.evidence) })
                } ?? .notRun,
                pad: faces.map { report in
                    Submodule(status: report.framesSampled == 0 ? "insufficient_evidence" : "ran", verdict: policy.decide(report).rawValue,
                              policyVersion: policy.version,
                              findings: (report.findings + (report.pad?.findings ?? [])).map {
                                  SubmoduleFinding(code: $0.code, severity: $0.severity.rawValue, evidence: $0.evidence)
                              })
                } ?? .notRun))
    }

    /// The larger of two hints, either of which may not have run.
    static func strongest(_ a: Double?, _ b: Double?) -> Double? {
        switch (a, b) {
        case let (a?, b?): return max(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }

    public var decision: Decision { captureguard.decision.verdict }
    public var reasons: [String] { captureguard.decision.reasons }
}
