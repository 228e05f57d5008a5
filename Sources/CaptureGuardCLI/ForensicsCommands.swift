import Attestation
import CaptureEngine
import CaptureFile
import CaptureModel
import CapturePath
import FaceAnalysis
import FrameForensics
import Foundation

/// `analyze` and `enroll-sensor`: frame forensics over a device's capture
/// window or a capture file, and the PRNU enrollment that sensor identity
/// checks sessions against.
enum ForensicsCommands {
    static let analyze = Command(
        name: "analyze",
        summary: "run frame forensics (timing, repetition, noise, re-encoding, PRNU) and the path check",
        help: """
        Usage: captureguard analyze DEVICE|CAPTURE [--seconds N] [--sensor sensor.prnu] [--policy FILE]
                                    [--cascade XML] [--json]

        Captures DEVICE for --seconds (default 3) with raw payloads, or reads a
        capture file (its first N seconds with --seconds), and runs every
        frame-forensics analyser: timing and consistency, repetition (frozen
        frames, duplicates, loops, cuts), temporal sensor noise, re-encoding
        traces, and, with --sensor, the PRNU match against an enrolled camera;
        then the face analysis attest runs (quality, guidance, PAD hints).
        Where the source has a device fingerprint, the capture path is judged
        too. Prints each finding with its code, severity and evidence, each
        analyser's score, and the decision policy's verdict. Exit 0 whenever
        the analysis ran, whatever it found.

        Options:
          --seconds N     capture window for a device (default 3); for a file,
                          analyse only its first N seconds
          --sensor FILE   a PRNU fingerprint from enroll-sensor
          --policy FILE   decision policy JSON instead of the built-in one
          --cascade XML   face cascade (as attest; default opencv-data's Haar frontal face)
          --json          print the captureguard.analysis/1 document
          --help          show this help

        """,
        run: runAnalyze)

    static let enrollSensor = Command(
        name: "enroll-sensor",
        summary: "estimate a camera's PRNU fingerprint for sensor-identity checks",
        help: """
        Usage: captureguard enroll-sensor DEVICE|CAPTURE --out sensor.prnu [--seconds N] [--force]

        Estimates the camera's PRNU (photo-response non-uniformity) pattern from
        up to 300 frames: captured from DEVICE for --seconds (default 5), or read
        from a capture file. Point the camera at a bright, evenly lit, defocused
        scene; dark (< 16) and saturated (> 250) pixels, and frames that are
        mostly so, are left out. Needs 10 usable frames. The fingerprint
        covers a centred crop (a power of two each way, at most 512) at this
        frame size; sessions are checked at the same size. The file appears
        only when complete.

        Options:
          --out FILE     fingerprint to create (format in the README)
          --seconds N    capture window for a device (default 5)
          --force        replace an existing FILE
          --help         show this help

        """,
        run: runEnroll)

    /// PRNU frames sampled per analysed session: enough for PCE to clear
    /// its threshold on a matching camera in the corpus, and within the
    /// PRNU benchmark's 150 ms budget at 720p (Tools/bench).
    static let sessionPRNUFrames = 24
    /// Enrollment uses more frames: the fingerprint's own noise adds to
    /// every later comparison, and it falls as 1/√N (Chen et al. 2008); 300
    /// is 10 s at 30 fps, the length of an installer's enrollment.
    static let enrollmentFrames = 300
    /// A floor, not a goal: under 10 frames K is mostly the enrollment
    /// scene's own texture; the 300-frame default gives the clean reference.
    static let minimumEnrollmentFrames = 10

    static func runAnalyze(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(arguments, valued: ["seconds", "sensor", "policy", "cascade"], switches: ["json"])
        let sourcePath = try parsed.single("DEVICE or CAPTURE")
        let seconds = try parsed.positiveNumber("seconds", atMost: ArgumentLimits.seconds)
        let sensor = try parsed.value("sensor").map { file throws(CommandFailure) in try loadSensor(file) }
        let policy = try parsed.value("policy").map { file throws(CommandFailure) in try AttestCommand.loadPolicy(file) } ?? .standard

        let detector = try FaceCommands.sessionDetector(parsed.value("cascade"), console: console)
        let faces = detector.map { FaceWorker(detector: $0, pacing: FileCommands.isRegularFile(sourcePath) ? .everyOffer : .live) }
        let input = try readSession(sourcePath, seconds: seconds, defaultDeviceSeconds: 3, prnuFrames: sessionPRNUFrames, sensor: sensor,
                                    faces: faces, console: console)
        let report = input.session.report(timing: input.info.timing, nominalInterval: input.info.frameInterval, driver: input.fingerprint?.querycap.driver)
        let assessment = input.fingerprint.map { PathAssessor.assess($0) }
        let faceReport = faces?.finish(policy: policy.faceQualityThresholds).report
        let document = AnalysisDocument(input: input, report: report, assessment: assessment, faces: faceReport, policy: policy)
        if parsed.has("json") {
            console.out(try CommandLineTool.json(document))
        } else {
            printAnalysis(document, report, console)
        }
        return input.exitCode
    }

    static func runEnroll(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(arguments, valued: ["out", "seconds"], switches: ["force"])
        let sourcePath = try parsed.single("DEVICE or CAPTURE")
        let output = try parsed.required("out")
        let seconds = try parsed.positiveNumber("seconds", atMost: ArgumentLimits.seconds)
        if !parsed.has("force"), FileManager.default.fileExists(atPath: output) {
            throw CommandFailure(.outputError, "\(output): exists (use --force to replace it)")
        }
        let input = try readSession(sourcePath, seconds: seconds, defaultDeviceSeconds: 5, prnuFrames: enrollmentFrames, sensor: nil, console: console)
        guard let residual = input.session.sensorResidual else {
            throw CommandFailure(.invalidInput, "\(sourcePath): frames of \(input.info.format.width)x\(input.info.format.height) are too small for a PRNU crop (64x64 at least)")
        }
        guard residual.framesUsed >= minimumEnrollmentFrames else {
            throw CommandFailure(.invalidInput, "\(sourcePath): only \(residual.framesUsed) usable frames (\(residual.framesGated) too dark or saturated); enrollment needs \(minimumEnrollmentFrames): light the scene evenly and capture longer")
        }
        let fingerprint = residual.fingerprint(source: sourcePath, createdAt: CommandLineTool.timestamp())
        do {
            try Data(SensorFingerprintFile.encode(fingerprint)).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw CommandFailure(.outputError, "\(output): cannot write: \(error.localizedDescription)")
        }
        console.writeError("enroll-sensor: \(output): PRNU of \(residual.framesUsed) frames (\(residual.framesGated) gated out), crop \(fingerprint.crop.width)x\(fingerprint.crop.height) of \(fingerprint.frameWidth)x\(fingerprint.frameHeight)\n")
        return input.exitCode
    }

    static func loadSensor(_ file: String) throws(CommandFailure) -> SensorFingerprint {
        let data = try PathCommands.readFile(file)
        do {
            return try SensorFingerprintFile.decode(Array(data))
        } catch {
            switch error {
            case .notAFingerprint: throw CommandFailure(.invalidInput, "\(file): not a CaptureGuard sensor fingerprint (.prnu)")
            case .corrupt(let why): throw CommandFailure(.invalidInput, "\(file): corrupt sensor fingerprint: \(why)")
            }
        }
    }

    /// A session read for analysis: what it came from and its folded frames.
    struct SessionInput {
        var info: CaptureInfo
        var fingerprint: DeviceFingerprint?
        var fromFile: Bool
        var session: ForensicsSession
        /// Non-zero when the file was damaged (its frames were still analysed).
        var exitCode: ExitCode
    }

    /// Reads a device's capture window, or a capture file (its first
    /// `seconds` when given), folding every frame into a ForensicsSession.
    static func readSession(_ path: String, seconds: Double?, defaultDeviceSeconds: Double, prnuFrames: Int, sensor: SensorFingerprint?,
                            faces: FaceWorker? = nil, console: Console) throws(CommandFailure) -> SessionInput {
        try FileCommands.requireDeviceOrCapture(path)
        let converter = try? FrameConverter()
        if FileCommands.isRegularFile(path) {
            let reader = try FileCommands.openCapture(path)
            let info = reader.info
            let fps = info.frameInterval?.framesPerSecond
            let frameLimit = seconds.flatMap { s in fps.map { max(1, Int((s * $0).rounded())) } }
            let expected = frameLimit ?? Int(((fps ?? 30) * 3).rounded())
            var session = ForensicsSession(info: info, prnuStride: max(1, expected / max(prnuFrames, 1)), prnuFrames: prnuFrames, sensor: sensor)
            var firstTimestamp: Int64?
            var count = 0
            do {
                while let frame = try reader.nextRecordedFrame() {
                    if let frameLimit, count >= frameLimit { break }
                    if frameLimit == nil, let seconds, let stamp = frame.metadata.timestampNanoseconds {
                        let first = firstTimestamp ?? stamp
                        firstTimestamp = first
                        if let elapsed = nanosecondsBetween(first, stamp), Double(elapsed) >= seconds * 1e9 { break }
                    }
                    let decoded = decode(frame, converter: converter)
                    session.add(frame, luma: decoded.luma)
                    if let luma = decoded.luma { faces?.offer(frame, payloadDigest: [], luma: luma, planar: decoded.planar) }
                    count += 1
                }
            } catch {
                throw CommandFailure(error)
            }
            let exit = FileCommands.finishReading(reader, console: console)
            return SessionInput(info: info, fingerprint: info.device, fromFile: true, session: session, exitCode: exit)
        }
        let window = seconds ?? defaultDeviceSeconds
        var session: ForensicsSession?
        // The device's rate is not known before it opens; 30 fps is the usual kiosk camera's.
        let stride = max(1, Int((window * 30).rounded()) / max(prnuFrames, 1))
        let (info, fingerprint) = try AttestCommand.captureLive(path, seconds: window, keep: nil, replace: false, console: console) { frame in
            if session == nil { session = ForensicsSession(format: frame.format, prnuStride: stride, prnuFrames: prnuFrames, sensor: sensor) }
            let decoded = decode(frame, converter: converter)
            session?.add(frame, luma: decoded.luma)
            if let luma = decoded.luma { faces?.offer(frame, payloadDigest: [], luma: luma, planar: decoded.planar) }
        }
        return SessionInput(info: info, fingerprint: fingerprint, fromFile: false,
                            session: session ?? ForensicsSession(info: info, prnuStride: stride, prnuFrames: prnuFrames, sensor: sensor), exitCode: .success)
    }

    /// The luma the analysers read: in place for YUV and GREY, decoded by
    /// libv4lconvert for MJPEG and RGB. Nil when the frame will not decode.
    static func luma(of frame: Frame, converter: FrameConverter?) -> LumaPlane? {
        decode(frame, converter: converter).luma
    }

    /// The luma plane, and for MJPEG and RGB the planar YU12 frame it was
    /// decoded into (whose chroma the face analysis reads).
    static func decode(_ frame: Frame, converter: FrameConverter?) -> (luma: LumaPlane?, planar: Frame?) {
        if let plane = LumaPlane(frame: frame) { return (plane, nil) }
        guard frame.format.lumaLayout == nil, let converter, let planar = try? converter.toYU12(frame) else { return (nil, nil) }
        return (LumaPlane(frame: planar), planar)
    }

    static func printAnalysis(_ document: AnalysisDocument, _ report: ForensicsReport, _ console: Console) {
        let source = document.source
        console.out("source:  \(source.path)  \(source.format) \(source.width)x\(source.height)  \(source.frames) frames" +
                    (source.durationSeconds.map { String(format: "  %.2f s", $0) } ?? "") + "  timing \(source.timing)")
        if let path = document.capturePath {
            console.out("path:    \(path.verdict)" + (path.reasons.isEmpty ? "" : " (\(path.reasons.joined(separator: ", ")))"))
        }
        for analyser in report.analysers {
            let score = analyser.score.map { String(format: "%.2f", $0) } ?? "-"
            console.out("\(analyser.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(analyser.status.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) score \(score)" +
                        (analyser.note.map { "  (\($0))" } ?? ""))
            for finding in analyser.findings where finding.code != "insufficient_evidence" {
                let evidence = finding.evidence.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                console.out("  \(finding.severity.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(finding.code): \(finding.message)" + (evidence.isEmpty ? "" : "  [\(evidence)]"))
            }
        }
        if let faces = document.faces {
            let quality = faces.quality
            console.out("faces:   \(faces.verdict.rawValue); a face in \(quality.framesWithFace ?? 0) of \(quality.framesSampled ?? 0) sampled frames" +
                        (quality.guidance.isEmpty ? "" : "; guidance \(quality.guidance.joined(separator: ", "))"))
            if let pad = faces.pad {
                let hints = pad.hints.map {
                    String(format: "screen %.2f, print %.2f, ", $0.screen, $0.print)
                        + ($0.maskLike.map { String(format: "mask-like %.2f", $0) } ?? "mask-like not assessed (face too small for texture)")
                }
                    ?? "no usable model (\(pad.model))"
                console.out("pad:     \(hints) over \(pad.features.frames) face frames")
            }
            for finding in faces.findings {
                console.out("  \(finding.severity.padding(toLength: 10, withPad: " ", startingAt: 0)) \(finding.code): \(finding.message)")
            }
        }
        console.out("forensics: \(document.forensics.verdict.rawValue)" + (document.forensics.reasons.isEmpty ? "" : " (\(document.forensics.reasons.joined(separator: ", ")))"))
        console.out("verdict: \(document.verdict.rawValue)  (policy \(document.policyVersion))")
    }
}

/// `analyze --json`: the captureguard.analysis/1 document (README).
struct AnalysisDocument: Encodable {
    struct Source: Encodable {
        var path: String
        var kind: String
        var format: String
        var width: Int
        var height: Int
        var frames: Int
        var durationSeconds: Double?
        var timing: String

        enum CodingKeys: String, CodingKey {
            case path, kind, format, width, height, frames, timing
            case durationSeconds = "duration_s"
        }
    }

    struct FindingEntry: Encodable {
        var code: String
        var severity: String
        var analyser: String
        var message: String
        var evidence: [String: String]
    }

    struct Analyser: Encodable {
        var status: String
        var score: Double?
        var findings: [FindingEntry]
        var metrics: [String: Double]
        var note: String?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status, forKey: .status)
            try c.encode(score, forKey: .score)
            try c.encode(findings, forKey: .findings)
            try c.encode(metrics.filter { $0.value.isFinite }, forKey: .metrics)
            try c.encodeIfPresent(note, forKey: .note)
        }

        enum CodingKeys: String, CodingKey { case status, score, findings, metrics, note }
    }

    struct Forensics: Encodable {
        var verdict: Decision
        var score: Double
        var reasons: [String]
        var analysers: [String: Analyser]
    }

    struct CapturePathSummary: Encodable {
        var verdict: String
        var reasons: [String]
        var findings: [FindingEntry]
    }

    /// The face analysis: the quality claim attest would sign, and PAD.
    struct Faces: Encodable {
        struct PAD: Encodable {
            var model: String
            var hints: PADHints?
            var features: PADFeatures
        }
        var verdict: Decision
        var quality: AttestationClaims.Quality
        var findings: [FindingEntry]
        var pad: PAD?
    }

    var schema = "captureguard.analysis/1"
    var source: Source
    var forensics: Forensics
    var faces: Faces?
    var capturePath: CapturePathSummary?
    var verdict: Decision
    var policyVersion: String
    var findings: [FindingEntry]
    var attackHints: [String: Double?]

    enum CodingKeys: String, CodingKey {
        case schema, source, forensics, faces, verdict, findings
        case capturePath = "capture_path"
        case policyVersion = "policy_version"
        case attackHints = "attack_hints"
    }

    init(input: ForensicsCommands.SessionInput, report: ForensicsReport, assessment: PathAssessment?, faces faceReport: FaceReport?, policy: DecisionPolicy) {
        let info = input.info
        source = Source(path: info.sourcePath, kind: input.fromFile ? "file" : "device", format: info.format.pixelFormat.fourcc,
                        width: info.format.width, height: info.format.height, frames: report.frames, durationSeconds: report.durationSeconds,
                        timing: info.timing.rawValue)
        var analysers: [String: Analyser] = [:]
        var all: [FindingEntry] = []
        for analyser in report.analysers {
            let entries = analyser.findings.map {
                FindingEntry(code: $0.code, severity: $0.severity.rawValue, analyser: analyser.name, message: $0.message, evidence: $0.evidence)
            }
            analysers[analyser.name] = Analyser(status: analyser.status.rawValue, score: analyser.score, findings: entries, metrics: analyser.metrics, note: analyser.note)
            all += entries
        }
        let forensicsDecision = policy.decide(report)
        forensics = Forensics(verdict: forensicsDecision, score: policy.score(forensicsDecision), reasons: policy.reasons(report), analysers: analysers)
        if let assessment {
            let entries = assessment.findings.map {
                FindingEntry(code: $0.code, severity: $0.severity.rawValue, analyser: "capture_path", message: $0.message, evidence: $0.evidence)
            }
            capturePath = CapturePathSummary(verdict: assessment.verdict.rawValue, reasons: assessment.findings.filter { $0.severity >= .suspicious }.map(\.code),
                                             findings: entries)
            all = entries + all
        }
        if let faceReport {
            let entries = (faceReport.findings + (faceReport.pad?.findings ?? [])).map {
                FindingEntry(code: $0.code, severity: $0.severity.rawValue, analyser: "face", message: $0.message, evidence: $0.evidence)
            }
            faces = Faces(verdict: policy.decide(faceReport), quality: AttestationClaims.Quality(faceReport), findings: entries,
                          pad: faceReport.pad.map { Faces.PAD(model: $0.modelVersion, hints: $0.hints, features: $0.features) })
            all += entries
        }
        verdict = policy.decide(pathVerdict: assessment?.verdict ?? .unknown, fromFile: input.fromFile, frames: report.frames, forensics: report,
                                faces: faceReport)
        policyVersion = policy.version
        findings = all
        var hints = report.attackHints
        hints["virtual_camera"] = assessment.map { $0.verdict == .virtual ? 1 : 0 }
        if let padHints = faceReport?.pad?.hints {
            hints["screen"] = max(hints["screen"].flatMap { $0 } ?? 0, padHints.screen)
            hints["print"] = padHints.print
            hints["mask_like"] = padHints.maskLike
        }
        attackHints = hints
    }
}
