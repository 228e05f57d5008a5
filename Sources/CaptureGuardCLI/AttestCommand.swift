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

/// Session orchestration for `attest`: capture (or read) the frames, run the
/// analysers that exist, decide, write the evidence image and sign.
enum AttestCommand {
    static let command = Command(
        name: "attest",
        summary: "capture, analyse and print a signed attestation token",
        help: """
        Usage: captureguard attest DEVICE|CAPTURE --nonce B64URL --key agent.key
                                   [--audience AUD] [--seconds N] [--evidence out.png] [--keep FILE]
                                   [--sensor sensor.prnu] [--policy FILE] [--cascade XML]
                                   [--alg EdDSA|Ed25519|ES256] [--issuer ID] [--force]

        Captures DEVICE for --seconds (default 3) with raw payloads, or reads a
        capture file, hashes every frame into a chain, judges the capture path,
        runs frame forensics (as analyze does; PRNU with --sensor), finds the
        face on every third frame and measures its quality (blur, lighting,
        framing; poor quality means retry with guidance codes), decides
        pass|fail|retry|step_up with the decision policy, writes the best face
        frame (else the sharpest frame) as PNG evidence, and prints a JWS (EAT
        claims, typ eat+jwt) bound to the server's nonce and to the evidence
        image's SHA-256.
        The token goes to stdout, a one-line summary to stderr. The exit status
        is 0 whatever the decision; the server reads it from the token.

        Options:
          --nonce B64URL   the server's challenge, 8 to 64 bytes, base64url
          --key FILE       the agent's private key (mode 600; see keygen)
          --audience AUD   the aud claim
          --seconds N      capture window for a device (default 3)
          --evidence FILE  where to write the evidence PNG (default evidence.png, replaced)
          --keep FILE      also record the session's capture file (device only)
          --sensor FILE    check the PRNU against this enroll-sensor fingerprint
          --policy FILE    decision policy JSON instead of the built-in one
          --cascade XML    face cascade (default $CAPTUREGUARD_CASCADE or
                           /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml;
                           without one, quality is not assessed and a warning says so)
          --alg ALG        EdDSA (default for Ed25519 keys), Ed25519 (RFC 9864) or ES256
          --issuer ID      the iss claim (default captureguard:<key thumbprint>)
          --force          replace an existing --keep FILE
          --help           show this help

        """,
        run: run)

    static func run(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(
            arguments, valued: ["nonce", "key", "audience", "seconds", "evidence", "keep", "policy", "alg", "issuer", "sensor", "cascade"], switches: ["force"])
        let sourcePath = try parsed.single("DEVICE or CAPTURE")
        let nonce = try parsed.nonce()
        // 3 s: at 30 fps, the 90 frames the frame-forensics issue must decide on.
        let seconds = try parsed.positiveNumber("seconds", atMost: ArgumentLimits.seconds) ?? 3
        let evidencePath = parsed.value("evidence") ?? "evidence.png"
        let setup = try AttestSetup(parsed, console: console)
        try FileCommands.requireDeviceOrCapture(sourcePath)
        let request = AttestRequest(nonce: nonce, audience: parsed.value("audience"), seconds: seconds, keep: parsed.value("keep"),
                                    replaceKept: parsed.has("force"), filePacing: .immediate)
        let outcome = try AttestSession.run(sourcePath, setup: setup, request: request, console: console)
        do {
            try Data(outcome.evidencePNG).write(to: URL(fileURLWithPath: evidencePath), options: .atomic)
        } catch {
            throw CommandFailure(.outputError, "\(evidencePath): cannot write the evidence image: \(error.localizedDescription)")
        }
        console.out(outcome.token)
        let postCapture = String(format: "%.1f", Double(monotonicNanoseconds() - outcome.windowClosed) / 1e6)
        console.writeError("attest: \(outcome.summary); evidence \(evidencePath) frame \(outcome.evidenceFrameIndex) sha256 \(outcome.evidenceImageSHA256.prefix(16))…; token \(outcome.token.utf8.count) bytes, kid \(setup.signer.kid); \(postCapture) ms after capture\n")
        return .success
    }

    /// A decision policy file, validated: a policy that cannot be used is
    /// refused before the camera is touched.
    static func loadPolicy(_ file: String) throws(CommandFailure) -> DecisionPolicy {
        let policy = try PathCommands.loadDocument(DecisionPolicy.self, from: file, schema: nil, what: "decision policy") { _ in "" }
        if let problem = policy.problem { throw CommandFailure(.invalidInput, "\(file): invalid decision policy: \(problem)") }
        return policy
    }

    /// Streams a live device's raw frames to `handle` (and optionally into a
    /// capture file) for `seconds`.
    static func captureLive(
        _ path: String, seconds: Double, keep: String?, replace: Bool, stop: (any StopRequest)? = nil, console: Console,
        handle: (Frame) throws(CommandFailure) -> Void
    ) throws(CommandFailure) -> (CaptureInfo, DeviceFingerprint?) {
        let device: VideoDevice
        let source: DeviceFrameSource
        let fingerprint: DeviceFingerprint
        do throws(DeviceError) {
            device = try VideoDevice.openForCapture(path, mode: .raw)
            fingerprint = CommandLineTool.fingerprint(of: device)
            let interval = try device.negotiateFrameRate(nil)
            source = try DeviceFrameSource(device: device, fingerprint: fingerprint, frameInterval: interval,
                                           recorder: CommandLineTool.recorder, createdAt: CommandLineTool.timestamp())
        } catch {
            throw CommandFailure(error)
        }
        let writer: CaptureFileWriter?
        do {
            writer = try keep.map { try CaptureFileWriter(path: $0, info: source.info, appendOnly: true, replace: replace) }
        } catch {
            throw CommandFailure(error)
        }
        // Blocks SIGINT/SIGTERM for the window unless the caller handles them.
        let stopSignals = stop ?? StopSignals()
        defer { withExtendedLifetime(stopSignals) {} }
        let outcome = try CaptureWindow.run(source, seconds: seconds, frameLimit: nil, stopSignals: stopSignals, console: console) { (frame) throws(CommandFailure) in
            try handle(frame)
            do { try writer?.append(frame) } catch { throw CommandFailure(error) }
        }
        do { try writer?.finish(reason: outcome.reason, message: outcome.failure?.message) } catch { throw CommandFailure(error) }
        // A session cut short by an unplug or a signal is not attested.
        if let failure = outcome.failure { throw failure }
        return (source.info, fingerprint)
    }

    /// Converts the evidence frame (the best face frame, else the sharpest
    /// frame) to RGB and encodes it as PNG; the token carries its digests.
    static func encodeEvidence(_ best: (frame: Frame, payloadDigest: [UInt8])?) throws(CommandFailure) -> (png: [UInt8], imageSHA256: String, frameIndex: Int, framePayloadSHA256: String) {
        guard let best else { throw CommandFailure(.invalidInput, "no frame to attest") }
        let png: [UInt8]
        do {
            let rgb = try FrameConverter().toRGB24(best.frame)
            guard let encoded = PNG.encode(pixels: rgb.payload, width: rgb.format.width, height: rgb.format.height, color: .rgb) else {
                throw CommandFailure(.internalError, "cannot encode the evidence PNG")
            }
            png = encoded
        } catch {
            throw CommandFailure(error)
        }
        do {
            return (png, try SHA256.hexDigest(png), best.frame.metadata.index, hexString(best.payloadDigest))
        } catch {
            throw CommandFailure(error)
        }
    }
}

/// Everything `attest` keeps while frames stream by: the hash chain, the
/// sharpest frame so far, the kernel time span and the frame-forensics fold;
/// sampled frames go to the face worker. Only a few frames and three luma
/// planes are held.
struct SessionAccumulator {
    private(set) var chain: FrameChain
    private(set) var best: (frame: Frame, payloadDigest: [UInt8])?
    private var bestSharpness = 0.0
    private let faces: FaceWorker?
    private(set) var firstTimestamp: Int64?
    private(set) var lastTimestamp: Int64?
    private(set) var forensics: ForensicsSession?
    private let converter: FrameConverter?
    private let expectedFrames: Int
    private let sensor: SensorFingerprint?

    init(nonce: [UInt8], expectedFrames: Int, sensor: SensorFingerprint?, faces: FaceWorker? = nil) throws(CommandFailure) {
        do { chain = try FrameChain(nonce: nonce) } catch { throw CommandFailure(error) }
        self.faces = faces
        converter = try? FrameConverter()
        self.expectedFrames = max(1, expectedFrames)
        self.sensor = sensor
    }

    var frames: Int { chain.count }

    /// Seconds between the first and last kernel timestamps, when known.
    var kernelDuration: Double? {
        guard let firstTimestamp, let lastTimestamp else { return nil }
        return nanosecondsBetween(firstTimestamp, lastTimestamp).map { Double($0) / 1e9 }
    }

    /// For a capture file, whose header says how it was recorded (a
    /// libv4lconvert-decoded recording carries codec traces legitimately).
    mutating func prepare(for info: CaptureInfo) {
        forensics = ForensicsSession(info: info, prnuStride: max(1, expectedFrames / ForensicsCommands.sessionPRNUFrames),
                                     prnuFrames: ForensicsCommands.sessionPRNUFrames, sensor: sensor)
    }

    mutating func add(_ frame: Frame) throws(CommandFailure) {
        let digest: [UInt8]
        do { digest = try chain.append(frame) } catch { throw CommandFailure(error) }
        if let timestamp = frame.metadata.timestampNanoseconds {
            if firstTimestamp == nil { firstTimestamp = timestamp }
            lastTimestamp = timestamp
        }
        // One luma plane per frame serves the forensics and the evidence
        // choice. A frame that will not decode cannot be evidence; it still
        // counts in the chain and breaks the forensics' frame differences.
        let (luma, planar) = ForensicsCommands.decode(frame, converter: converter)
        if forensics == nil {
            forensics = ForensicsSession(format: frame.format, prnuStride: max(1, expectedFrames / ForensicsCommands.sessionPRNUFrames),
                                         prnuFrames: ForensicsCommands.sessionPRNUFrames, sensor: sensor)
        }
        forensics?.add(frame, luma: luma)
        guard let luma else { return }
        faces?.offer(frame, payloadDigest: digest, luma: luma, planar: planar)
        let sharpness = luma.pixels.withUnsafeBufferPointer {
            Sharpness.laplacianVariance(luma: $0, width: luma.width, height: luma.height, stride: luma.width)
        }
        if best == nil || sharpness > bestSharpness {
            best = (frame, digest)
            bestSharpness = sharpness
        }
    }
}
