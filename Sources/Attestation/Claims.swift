import CaptureModel
import CapturePath
import FaceAnalysis
import Foundation
import Verifier

/// The token's claims (the payload of the JWS). Standard JWT/EAT claims at
/// the top; CaptureGuard's own under `captureguard`; each analyser's
/// findings under the EAT `submods` claim (RFC 9711 §4.2.18). The README
/// documents every key.
public struct AttestationClaims: Encodable, Sendable {
    public var iss: String
    public var iat: Int64
    public var exp: Int64
    public var jti: String
    public var aud: String?
    public var eatNonce: String
    public var eatProfile: String = TokenVerifier.profile
    public var captureguard: Body
    public var submods: Submodules

    enum CodingKeys: String, CodingKey {
        case iss, iat, exp, jti, aud, captureguard, submods
        case eatNonce = "eat_nonce"
        case eatProfile = "eat_profile"
    }

    public struct Body: Encodable, Sendable {
        public var capture: Capture
        public var decision: DecisionClaim
        public var quality: Quality
        public var attackHints: AttackHints
        public var evidence: Evidence

        enum CodingKeys: String, CodingKey {
            case capture, decision, quality, evidence
            case attackHints = "attack_hints"
        }
    }

    public struct Capture: Encodable, Sendable {
        /// "device" (captured live) or "file" (attested from a capture file).
        public var source: String
        public var node: String
        public var fingerprintSHA256: String?
        public var driver: String?
        public var card: String?
        public var bus: String?
        public var format: String
        public var width: Int
        public var height: Int
        /// Frames per second from kernel timestamps, when timing is known.
        public var fps: Double?
        public var nominalFPS: Double?
        public var frames: Int
        public var durationSeconds: Double?
        public var timing: String

        enum CodingKeys: String, CodingKey {
            case source, node, driver, card, bus, format, width, height, fps, frames, timing
            case fingerprintSHA256 = "fingerprint_sha256"
            case nominalFPS = "nominal_fps"
            case durationSeconds = "duration_s"
        }
    }

    public struct DecisionClaim: Encodable, Sendable {
        public var verdict: Decision
        public var score: Double
        public var reasons: [String]
        public var policyVersion: String
        public var pathPolicyVersion: String

        enum CodingKeys: String, CodingKey {
            case verdict, score, reasons
            case policyVersion = "policy_version"
            case pathPolicyVersion = "path_policy_version"
        }
    }

    /// Capture quality on the session's best face frame: blur, lighting,
    /// framing, how often a face was there, and the guidance codes a kiosk
    /// shows. `assessed` is false when the face analyser did not run (no
    /// cascade); every other key is then null.
    public struct Quality: Encodable, Sendable {
        public var assessed: Bool
        public var guidance: [String]
        public var faces: Int?
        public var framesSampled: Int?
        public var framesWithFace: Int?
        public var face: Face?
        public var blur: Blur?
        public var lighting: Lighting?
        public var framing: Framing?

        public struct Face: Encodable, Sendable {
            public var x: Int
            public var y: Int
            public var width: Int
            public var height: Int
            public var frameIndex: Int

            enum CodingKeys: String, CodingKey {
                case x, y, width, height
                case frameIndex = "frame_index"
            }
        }

        public struct Blur: Encodable, Sendable {
            public var sharpness: Double
        }

        public struct Lighting: Encodable, Sendable {
            public var meanLuma: Double
            public var clippedDark: Double
            public var clippedBright: Double
            public var uniformity: Double

            enum CodingKeys: String, CodingKey {
                case uniformity
                case meanLuma = "mean_luma"
                case clippedDark = "clipped_dark"
                case clippedBright = "clipped_bright"
            }
        }

        public struct Framing: Encodable, Sendable {
            public var size: Double
            public var offsetX: Double
            public var offsetY: Double
            public var cutOff: Bool

            enum CodingKeys: String, CodingKey {
                case size
                case offsetX = "offset_x"
                case offsetY = "offset_y"
                case cutOff = "cut_off"
            }
        }

        enum CodingKeys: String, CodingKey {
            case assessed, guidance, faces, face, blur, lighting, framing
            case framesSampled = "frames_sampled"
            case framesWithFace = "frames_with_face"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(assessed, forKey: .assessed)
            try c.encode(guidance, forKey: .guidance)
            try c.encode(faces, forKey: .faces)
            try c.encode(framesSampled, forKey: .framesSampled)
            try c.encode(framesWithFace, forKey: .framesWithFace)
            try c.encode(face, forKey: .face)
            try c.encode(blur, forKey: .blur)
            try c.encode(lighting, forKey: .lighting)
            try c.encode(framing, forKey: .framing)
        }

        public static let notAssessed = Quality(assessed: false, guidance: [])

        init(assessed: Bool, guidance: [String], faces: Int? = nil, framesSampled: Int? = nil, framesWithFace: Int? = nil, face: Face? = nil,
             blur: Blur? = nil, lighting: Lighting? = nil, framing: Framing? = nil) {
            self.assessed = assessed
            self.guidance = guidance
            self.faces = faces
            self.framesSampled = framesSampled
            self.framesWithFace = framesWithFace
            self.face = face
            self.blur = blur
            self.lighting = lighting
            self.framing = framing
        }

        /// The claim for a session's face report.
        public init(_ report: FaceReport) {
            let best = report.best
            let quality = best?.quality
            self.init(
                assessed: true, guidance: report.guidance, faces: report.maxFaces, framesSampled: report.framesSampled,
                framesWithFace: report.framesWithFace,
                face: best.flatMap { observation in
                    observation.faces.first.map { Face(x: $0.x, y: $0.y, width: $0.width, height: $0.height, frameIndex: observation.frameIndex) }
                },
                blur: quality.map { Blur(sharpness: ClaimPrecision.rounded($0.sharpness, ClaimPrecision.level)) },
                lighting: quality.map {
                    Lighting(meanLuma: ClaimPrecision.rounded($0.meanLuma, ClaimPrecision.level),
                             clippedDark: ClaimPrecision.rounded($0.clippedDark, ClaimPrecision.fraction),
                             clippedBright: ClaimPrecision.rounded($0.clippedBright, ClaimPrecision.fraction),
                             uniformity: ClaimPrecision.rounded($0.lightingUniformity, ClaimPrecision.fraction))
                },
                framing: quality.map {
                    Framing(size: ClaimPrecision.rounded($0.size, ClaimPrecision.fraction), offsetX: ClaimPrecision.rounded($0.offsetX, ClaimPrecision.fraction),
                            offsetY: ClaimPrecision.rounded($0.offsetY, ClaimPrecision.fraction), cutOff: $0.cutOff)
                })
        }
    }

    /// Each hint is a score in [0, 1] (four decimals, `ClaimPrecision`), or
    /// null when no analyser looked.
    public struct AttackHints: Encodable, Sendable {
        public var virtualCamera: Double?
        public var writerProcess: Double?
        public var replay: Double?
        public var loop: Double?
        public var reencoding: Double?
        public var syntheticNoise: Double?
        public var sensorMismatch: Double?
        public var screen: Double?
        public var print: Double?
        public var maskLike: Double?

        public init(virtualCamera: Double? = nil, writerProcess: Double? = nil, replay: Double? = nil, loop: Double? = nil, reencoding: Double? = nil,
                    syntheticNoise: Double? = nil, sensorMismatch: Double? = nil, screen: Double? = nil, print: Double? = nil, maskLike: Double? = nil) {
            let digits = ClaimPrecision.fraction
            self.virtualCamera = ClaimPrecision.rounded(virtualCamera, digits)
            self.writerProcess = ClaimPrecision.rounded(writerProcess, digits)
            self.replay = ClaimPrecision.rounded(replay, digits)
            self.loop = ClaimPrecision.rounded(loop, digits)
            self.reencoding = ClaimPrecision.rounded(reencoding, digits)
            self.syntheticNoise = ClaimPrecision.rounded(syntheticNoise, digits)
            self.sensorMismatch = ClaimPrecision.rounded(sensorMismatch, digits)
            self.screen = ClaimPrecision.rounded(screen, digits)
            self.print = ClaimPrecision.rounded(print, digits)
            self.maskLike = ClaimPrecision.rounded(maskLike, digits)
        }

        enum CodingKeys: String, CodingKey {
            case replay, loop, reencoding, screen, print
            case virtualCamera = "virtual_camera"
            case writerProcess = "writer_process"
            case syntheticNoise = "synthetic_noise"
            case sensorMismatch = "sensor_mismatch"
            case maskLike = "mask_like"
        }

        /// Encodes every hint, null included, so a server sees which
        /// analysers did not run rather than a missing key.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(virtualCamera, forKey: .virtualCamera)
            try c.encode(writerProcess, forKey: .writerProcess)
            try c.encode(replay, forKey: .replay)
            try c.encode(loop, forKey: .loop)
            try c.encode(reencoding, forKey: .reencoding)
            try c.encode(syntheticNoise, forKey: .syntheticNoise)
            try c.encode(sensorMismatch, forKey: .sensorMismatch)
            try c.encode(screen, forKey: .screen)
            try c.encode(print, forKey: .print)
            try c.encode(maskLike, forKey: .maskLike)
        }
    }

    public struct Evidence: Encodable, Sendable {
        /// SHA-256 of the evidence PNG's exact bytes.
        public var imageSHA256: String
        public var imageFormat: String = "png"
        /// The capture frame the image was made from, and its payload digest.
        public var imageFrameIndex: Int
        public var imageFramePayloadSHA256: String
        public var frameCount: Int
        /// Last link of the hash chain over every frame (see `FrameChain`).
        public var chainSHA256: String
        public var chain: String = FrameChain.name

        enum CodingKeys: String, CodingKey {
            case chain
            case imageSHA256 = "image_sha256"
            case imageFormat = "image_format"
            case imageFrameIndex = "image_frame_index"
            case imageFramePayloadSHA256 = "image_frame_payload_sha256"
            case frameCount = "frame_count"
            case chainSHA256 = "chain_sha256"
        }
    }

    public struct Submodules: Encodable, Sendable {
        public var capturePath: Submodule
        public var frameForensics: Submodule
        public var pad: Submodule

        enum CodingKeys: String, CodingKey {
            case pad
            case capturePath = "capture_path"
            case frameForensics = "frame_forensics"
        }
    }

    public struct Submodule: Encodable, Sendable {
        /// "ran", "insufficient_evidence" (nothing it could read), or "not_run"
        /// (it could not run here, e.g. no face cascade installed).
        public var status: String
        public var verdict: String?
        public var policyVersion: String?
        public var findings: [SubmoduleFinding]

        enum CodingKeys: String, CodingKey {
            case status, verdict, findings
            case policyVersion = "policy_version"
        }

        public static let notRun = Submodule(status: "not_run", verdict: nil, policyVersion: nil, findings: [])
    }

    public struct SubmoduleFinding: Encodable, Sendable {
        public var code: String
        public var severity: String
        public var evidence: [String: String]
    }
}

/// Claim numbers carry the precision their measurement has, not a double's
/// 17 significant digits (`0.06678816452985245`): a server reads the same
/// values, the token is about 120 bytes (5 %) shorter, and every verifier
/// hashes and parses that much less. Decisions are made on the unrounded
/// values before the claims are built; a score within 0.00005 of a policy
/// threshold can therefore read as the threshold in the token.
enum ClaimPrecision {
    /// Scores, attack hints and fractions in [0, 1]: 1e-4 is finer than any
    /// threshold the decision and face-quality policies state (two decimals).
    static let fraction = 4
    /// Frame rates: a millihertz (nominal rates are stated to 0.01 fps).
    static let rate = 3
    /// Durations: kernel timestamps are microseconds.
    static let seconds = 6
    /// Luma means and sharpness (variance of the Laplacian): a hundredth of
    /// a grey level, where the policy's limits are whole numbers.
    static let level = 2

    static func rounded(_ value: Double, _ decimals: Int) -> Double {
        guard value.isFinite else { return value }
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }

    static func rounded(_ value: Double?, _ decimals: Int) -> Double? { value.map { rounded($0, decimals) } }
}
