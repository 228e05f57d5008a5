import Attestation
import CaptureCrypto
import CaptureEngine
import CaptureFile
import CaptureModel
import CapturePath
import FaceAnalysis
import Foundation
import FrameForensics
import Verifier

/// What stays the same from one attestation session to the next: the
/// signing key, the decision policy, the sensor and pinned path to check
/// against, the face cascade and the issuer. `attest` builds one per run;
/// `serve` builds one at start and swaps the policy on SIGHUP.
struct AttestSetup: Sendable {
    var signer: TokenSigner
    var policy: DecisionPolicy
    var sensor: SensorFingerprint?
    var pinned: PinnedPath?
    var faceDetector: CascadeDetector?
    var issuer: String

    /// From `--key`, `--alg`, `--policy`, `--sensor`, `--pinned`,
    /// `--cascade` and `--issuer`. The key comes first: an unusable key must
    /// fail before the camera is touched.
    init(_ parsed: ParsedArguments, console: Console) throws(CommandFailure) {
        let key: SigningKey
        do { key = try KeyFile.load(try parsed.required("key")) } catch { throw CommandFailure(error) }
        if let alg = parsed.value("alg"), TokenVerifier.allowedAlgorithms[alg] != key.algorithm {
            throw CommandFailure(.usage, "--alg \(alg) does not fit this \(key.algorithm.rawValue) key (use EdDSA or Ed25519 for Ed25519, ES256 for P-256)")
        }
        do { signer = try TokenSigner(key: key, algorithm: parsed.value("alg")) } catch { throw CommandFailure(error) }
        policy = try parsed.value("policy").map { file throws(CommandFailure) in try AttestCommand.loadPolicy(file) } ?? .standard
        sensor = try parsed.value("sensor").map { file throws(CommandFailure) in try ForensicsCommands.loadSensor(file) }
        pinned = try parsed.value("pinned").map { file throws(CommandFailure) in
            try PathCommands.loadDocument(PinnedPath.self, from: file, schema: PinnedPath.schemaName, what: "pinned path") { $0.schema }
        }
        faceDetector = try FaceCommands.sessionDetector(parsed.value("cascade"), console: console)
        issuer = parsed.value("issuer") ?? "captureguard:\(signer.kid)"
    }
}

/// What one session is asked for.
struct AttestRequest {
    enum FilePacing {
        /// Read a capture file as fast as it decodes (attest, analyze).
        case immediate
        /// Deliver a capture file's frames at their recorded pace, for at
        /// most the session's seconds, as a camera would (serve on a file).
        case recorded
    }

    var nonce: [UInt8]
    var audience: String?
    var seconds: Double
    var keep: String?
    var replaceKept: Bool
    var filePacing: FilePacing
    /// Nil: SIGINT/SIGTERM stop the capture window (attest). `serve` passes
    /// `NoStopRequest`, since its signal thread owns those signals.
    var stop: (any StopRequest)? = nil
}

/// What a session produced: the signed token, the evidence image it is
/// bound to, and the facts a caller logs or shows.
struct AttestOutcome: Sendable {
    var token: String
    var evidencePNG: [UInt8]
    var evidenceImageSHA256: String
    var evidenceFrameIndex: Int
    var jti: String
    var decision: Decision
    var reasons: [String]
    var pathVerdict: PathVerdict
    var frames: Int
    /// `monotonicNanoseconds()` when the capture window closed.
    var windowClosed: Int64
    /// Milliseconds from the session's start to the window's close.
    var captureMilliseconds: Double
    /// One line for a person: decision, reasons, path, frames, faces.
    var summary: String
}

/// Session orchestration shared by `attest` and `serve`: capture (or read)
/// the frames, run every analyser, decide, encode the evidence image and
/// sign. It writes nothing but the optional kept capture file.
enum AttestSession {
    static func run(_ sourcePath: String, setup: AttestSetup, request: AttestRequest, console: Console) throws(CommandFailure) -> AttestOutcome {
        let started = monotonicNanoseconds()
        let fromFile = FileCommands.isRegularFile(sourcePath)
        let faces = setup.faceDetector.map { FaceWorker(detector: $0, pacing: fromFile ? .everyOffer : .live) }
        var session = try SessionAccumulator(nonce: request.nonce, expectedFrames: Int((request.seconds * 30).rounded()), sensor: setup.sensor, faces: faces)
        let fingerprint: DeviceFingerprint?
        let info: CaptureInfo
        if fromFile {
            let reader = try FileCommands.openCapture(sourcePath)
            info = reader.info
            fingerprint = reader.info.device
            session.prepare(for: info)
            var pacer = request.filePacing == .recorded ? RecordedPacer(seconds: request.seconds, info: info) : nil
            do {
                while let frame = try reader.nextRecordedFrame() {
                    if var current = pacer {
                        guard current.wait(for: frame) else { break }
                        pacer = current
                    }
                    try session.add(frame)
                }
            } catch {
                throw CommandFailure(error)
            }
            if let warning = reader.integrity.warning(path: reader.path, frames: reader.framesRead) { console.warn(warning) }
        } else {
            (info, fingerprint) = try AttestCommand.captureLive(sourcePath, seconds: request.seconds, keep: request.keep, replace: request.replaceKept,
                                                                stop: request.stop, console: console) {
                (frame) throws(CommandFailure) in try session.add(frame)
            }
        }

        // Everything from here to the signed token is what a session adds
        // after the capture window closes.
        let windowClosed = monotonicNanoseconds()
        let assessment = fingerprint.map { PathAssessor.assess($0, pinned: setup.pinned) }
        let forensics = session.forensics?.report(timing: info.timing, nominalInterval: info.frameInterval, driver: fingerprint?.querycap.driver)
        let faceResult = faces?.finish(policy: setup.policy.faceQualityThresholds)
        let evidence = try AttestCommand.encodeEvidence(faceResult?.best ?? session.best)
        let facts = SessionFacts(
            info: info, fingerprint: fingerprint, assessment: assessment, fromFile: fromFile, frames: session.frames,
            kernelDuration: session.kernelDuration, chainLink: session.chain.link, evidenceImageSHA256: evidence.imageSHA256,
            evidenceFrameIndex: evidence.frameIndex, evidenceFramePayloadSHA256: evidence.framePayloadSHA256, forensics: forensics, faces: faceResult?.report)
        let jti = UUID().uuidString.lowercased()
        let claims = AttestationClaims(
            facts, policy: setup.policy, nonce: request.nonce, audience: request.audience, issuer: setup.issuer,
            now: Int64(Date().timeIntervalSince1970), jti: jti)
        let token: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            token = try setup.signer.sign(claims: Array(try encoder.encode(claims)))
        } catch {
            throw CommandFailure(.internalError, "cannot sign the token: \(error)")
        }
        let pathVerdict = assessment?.verdict ?? .unknown
        let reasonText = claims.reasons.isEmpty ? "" : " (\(claims.reasons.joined(separator: ",")))"
        let faceText = faceResult.map { "; a face in \($0.report.framesWithFace) of \($0.report.framesSampled) sampled frames" } ?? "; faces not assessed"
        return AttestOutcome(
            token: token, evidencePNG: evidence.png, evidenceImageSHA256: evidence.imageSHA256, evidenceFrameIndex: evidence.frameIndex,
            jti: jti, decision: claims.decision, reasons: claims.reasons, pathVerdict: pathVerdict, frames: session.frames,
            windowClosed: windowClosed, captureMilliseconds: Double(windowClosed - started) / 1e6,
            summary: "\(claims.decision.rawValue)\(reasonText); capture path \(pathVerdict.rawValue); \(session.frames) frames\(faceText)")
    }
}

/// Releases a capture file's frames at the pace they were recorded (their
/// kernel timestamps, else the nominal interval, else 30 fps) for at most
/// the session's seconds, so a file-backed service behaves like a camera.
struct RecordedPacer {
    private let start = monotonicNanoseconds()
    private let limit: Int64
    private let interval: Int64
    private var firstTimestamp: Int64?
    private var released: Int64 = 0

    init(seconds: Double, info: CaptureInfo) {
        limit = Int64(seconds * 1e9)
        // 30 fps: the usual kiosk camera, when the file states no rate.
        let nominal = info.frameInterval.map { Double($0.numerator) / Double(max(1, $0.denominator)) } ?? (1.0 / 30.0)
        // A 1 ms floor: a zero or corrupt interval must not make the pacer
        // release every frame at once (1,000 fps is ArgumentLimits' ceiling).
        interval = Int64(max(0.001, nominal) * 1e9)
    }

    /// Sleeps until `frame` is due; false once the window is over.
    mutating func wait(for frame: Frame) -> Bool {
        let offset: Int64
        if let timestamp = frame.metadata.timestampNanoseconds {
            if firstTimestamp == nil { firstTimestamp = timestamp }
            offset = timestamp - (firstTimestamp ?? timestamp)
        } else {
            offset = released * interval
        }
        released += 1
        guard offset >= 0, offset < limit else { return false }
        let due = start + offset
        let now = monotonicNanoseconds()
        if due > now { usleep(useconds_t(min(Int64(UInt32.max), (due - now) / 1000))) }
        return true
    }
}
