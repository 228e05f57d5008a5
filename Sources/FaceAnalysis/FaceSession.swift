import CaptureModel
import FrameForensics

/// The thresholds that turn face-quality measurements into guidance. They
/// live in the decision policy (versioned data), and they only ever ask
/// for a retake: poor quality is never evidence of an attack.
public struct FaceQualityPolicy: Hashable, Sendable, Codable {
    /// Face box height over frame height. Below 0.2 a 720p face is under
    /// 144 px and its eyes under ~60 px apart, the ISO/IEC 19794-5 token-image
    /// minimum; above 0.8 the head is cropped by most kiosk framings.
    public var minFaceSize: Double
    public var maxFaceSize: Double
    /// Centre offset in half-frame units: 0.5 puts the face centre a quarter
    /// frame from the middle, the edge of where kiosk overlays ask people to be.
    public var maxCentreOffset: Double
    /// FaceQuality.sharpness below which the face is blurred. Measured on the
    /// Haar faces (≥ 60 px) of the real photos (astronaut, Grace Hopper,
    /// kphotoalbum demo), with white noise of σ 0, 2 and 4 codes added: sharp
    /// faces read 21–86; under a Gaussian blur of σ = 1 px at the 96-px
    /// scale, 6–50; under σ = 2 px, 1.3–7 for faces of 90 px and more (13
    /// with the strongest noise; smaller faces are not resampled and read
    /// up to 20). 10 flags the σ = 2 blur with a factor 2 to the sharpest
    /// faces' lower end.
    public var minSharpness: Double
    /// Mean face luma bounds. ISO/IEC 29794-5 asks for a face neither under-
    /// nor over-exposed; 60 and 200 of 255 keep the face out of the toe and
    /// shoulder of an sRGB tone curve, where texture is compressed.
    public var minMeanLuma: Double
    public var maxMeanLuma: Double
    /// Share of clipped face pixels tolerated: a few specular highlights or
    /// dark nostrils, not a blown or crushed face.
    public var maxClipped: Double
    /// Darker half / brighter half of the face: under 0.5 one side is more
    /// than twice as bright, which hides half the face's texture.
    public var minLightingUniformity: Double
    /// Sampled frames that must show a face: under half means the person
    /// was turned away or out of the picture for most of the session.
    public var minFaceFrameShare: Double

    enum CodingKeys: String, CodingKey {
        case minFaceSize = "min_face_size"
        case maxFaceSize = "max_face_size"
        case maxCentreOffset = "max_centre_offset"
        case minSharpness = "min_sharpness"
        case minMeanLuma = "min_mean_luma"
        case maxMeanLuma = "max_mean_luma"
        case maxClipped = "max_clipped"
        case minLightingUniformity = "min_lighting_uniformity"
        case minFaceFrameShare = "min_face_frame_share"
    }

    public static let standard = FaceQualityPolicy(
        minFaceSize: 0.2, maxFaceSize: 0.8, maxCentreOffset: 0.5, minSharpness: 10, minMeanLuma: 60, maxMeanLuma: 200,
        maxClipped: 0.1, minLightingUniformity: 0.5, minFaceFrameShare: 0.5)

    public init(minFaceSize: Double, maxFaceSize: Double, maxCentreOffset: Double, minSharpness: Double, minMeanLuma: Double, maxMeanLuma: Double,
                maxClipped: Double, minLightingUniformity: Double, minFaceFrameShare: Double) {
        self.minFaceSize = minFaceSize
        self.maxFaceSize = maxFaceSize
        self.maxCentreOffset = maxCentreOffset
        self.minSharpness = minSharpness
        self.minMeanLuma = minMeanLuma
        self.maxMeanLuma = maxMeanLuma
        self.maxClipped = maxClipped
        self.minLightingUniformity = minLightingUniformity
        self.minFaceFrameShare = minFaceFrameShare
    }

    /// Why these thresholds cannot be used, or nil.
    public var problem: String? {
        let unit: [(String, Double)] = [("min_face_size", minFaceSize), ("max_face_size", maxFaceSize), ("max_clipped", maxClipped),
                                        ("min_lighting_uniformity", minLightingUniformity), ("min_face_frame_share", minFaceFrameShare)]
        for (name, value) in unit where !(0...1).contains(value) { return "face_quality.\(name) must be from 0 to 1" }
        guard minFaceSize < maxFaceSize else { return "face_quality.min_face_size must be below max_face_size" }
        guard (0...2).contains(maxCentreOffset) else { return "face_quality.max_centre_offset must be from 0 to 2" }
        guard minSharpness >= 0, minSharpness.isFinite else { return "face_quality.min_sharpness must be a number ≥ 0" }
        guard (0...255).contains(minMeanLuma), (0...255).contains(maxMeanLuma), minMeanLuma < maxMeanLuma else {
            return "face_quality.min_mean_luma and max_mean_luma must be 0 to 255, min below max"
        }
        return nil
    }

    /// Each quality finding code and the guidance a person is given for it.
    public static let guidance: [String: String] = [
        "no_face": "look_at_camera",
        "face_intermittent": "look_at_camera",
        "multiple_faces": "one_person_only",
        "face_too_small": "move_closer",
        "face_too_large": "move_back",
        "face_off_centre": "centre_face",
        "face_cut_off": "centre_face",
        "face_blurry": "hold_still",
        "too_dark": "more_light",
        "too_bright": "less_light",
        "uneven_lighting": "even_light",
    ]
}

/// One sampled frame's face result.
public struct FaceObservation: Hashable, Sendable {
    public var frameIndex: Int
    /// Faces found, largest first (a tracked frame reports only the tracked one).
    public var faces: [FaceBox]
    /// Whether the whole frame was scanned, so `faces.count` counts people.
    public var fullScan: Bool
    /// Quality of the largest face.
    public var quality: FaceQuality?
}

/// A session's passive PAD result: the features, the model's hints, and
/// the findings for hints past the decision threshold.
public struct PADResult: Hashable, Sendable {
    public var features: PADFeatures
    /// Nil when the build's model cannot score these features.
    public var hints: PADHints?
    public var modelVersion: String
    public var findings: [Finding]

    /// A hint at or above this is reported: the logistic models' decision
    /// boundary (equal odds of attack and live on the training data).
    public static let findingThreshold = 0.5
}

/// A session's face account: how often a face was there, the best face
/// frame, its quality, and the guidance findings.
public struct FaceReport: Hashable, Sendable {
    public var framesSampled: Int
    public var framesWithFace: Int
    /// Most faces any full scan saw.
    public var maxFaces: Int
    public var best: FaceObservation?
    /// Quality findings (all severity info: they ask for a retake).
    public var findings: [Finding]
    /// Passive PAD over the sampled face frames that had colour; nil when
    /// none had (a gray or undecodable stream).
    public var pad: PADResult?

    public var guidance: [String] {
        findings.compactMap { FaceQualityPolicy.guidance[$0.code] }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

/// Folds a session's frames into a face account while they stream by. It
/// scans a sample of frames for faces: the whole frame on the first sample
/// and every `fullScanEvery` samples after (to count people), and between
/// them only a window around the last face (tracking), which costs a few
/// percent of a full scan. Holds no frames (only the last sample's luma
/// at half size, for PAD's background motion); the caller keeps the frame
/// `add` reports as the new best.
public struct FaceSession: Sendable {
    public let detector: any FaceDetecting
    public let sampleStride: Int
    public let fullScanEvery: Int
    /// The smallest face a full scan looks for, as a share of frame height:
    /// half the default `min_face_size`, so a face too small to use is
    /// still found and the person told to move closer.
    public static let smallestFaceShare = 0.1
    /// Tracking searches the last box grown by this share on every side,
    /// for faces from 1/1.3 to 1.3 times its size: a person moves well
    /// under a third of a face between samples 100 ms apart.
    static let trackingMargin = 0.5
    static let trackingScaleRange = 1.3

    public private(set) var framesSampled = 0
    public private(set) var framesWithFace = 0
    public private(set) var maxFaces = 0
    public private(set) var best: FaceObservation?
    private var lastFace: FaceBox?
    /// The previous sampled frame's luma at half size, for the PAD
    /// background-motion measure: the one piece of a frame kept.
    private var previousHalf: PADMeasurement.HalfPlane?
    private var seen = 0
    /// PAD measures of every sampled frame with a face and colour.
    public private(set) var padMeasures: [PADFrameMeasures] = []

    /// - Parameters:
    ///   - sampleStride: scan every n-th frame (3 at 30 fps is 10 scans a second).
    ///   - fullScanEvery: a full-frame scan every n samples (10: once a second at 10 scans a second).
    public init(detector: any FaceDetecting, sampleStride: Int = 3, fullScanEvery: Int = 10) {
        self.detector = detector
        self.sampleStride = max(1, sampleStride)
        self.fullScanEvery = max(1, fullScanEvery)
    }

    /// Looks at one frame. Returns the observation when the frame was
    /// sampled, and whether it is now the session's best face frame.
    public mutating func add(frameIndex: Int, luma: LumaPlane, chroma: ChromaPlanes? = nil) -> (observation: FaceObservation, isBest: Bool)? {
        defer { seen += 1 }
        guard seen % sampleStride == 0 else { return nil }
        var fullScan = lastFace == nil || framesSampled % fullScanEvery == 0
        framesSampled += 1
        var faces: [FaceBox]
        if !fullScan, let last = lastFace {
            faces = track(last, in: luma)
            if faces.isEmpty {
                // Lost: the whole frame is scanned, and counts as a full scan.
                faces = scan(luma)
                fullScan = true
            }
        } else {
            faces = scan(luma)
        }
        lastFace = faces.first
        if !faces.isEmpty { framesWithFace += 1 }
        if fullScan { maxFaces = max(maxFaces, faces.count) }
        let observation = FaceObservation(frameIndex: frameIndex, faces: faces, fullScan: fullScan,
                                          quality: faces.first.flatMap { FaceQuality.measure(luma, face: $0) })
        // PAD needs colour, so a session without it keeps no half plane.
        let half = chroma == nil ? nil : PADMeasurement.HalfPlane(luma)
        if let face = faces.first, let chroma, let quality = observation.quality,
           var measures = PADMeasurement.measure(luma: luma, chroma: chroma, face: face, sharpness: quality.sharpness) {
            if let previousHalf, let half {
                measures.backgroundMotion = PADMeasurement.backgroundMotion(previous: previousHalf, current: half, face: face)
            }
            padMeasures.append(measures)
        }
        previousHalf = half
        let isBest = Self.better(observation, than: best)
        if isBest { best = observation }
        return (observation, isBest)
    }

    /// The best face frame: a face beats none, one face beats several, then
    /// the sharper face wins.
    static func better(_ candidate: FaceObservation, than current: FaceObservation?) -> Bool {
        guard let quality = candidate.quality else { return false }
        guard let current, let currentQuality = current.quality else { return true }
        let candidateSingle = candidate.faces.count == 1, currentSingle = current.faces.count == 1
        if candidateSingle != currentSingle { return candidateSingle }
        return quality.sharpness > currentQuality.sharpness
    }

    private func scan(_ luma: LumaPlane) -> [FaceBox] {
        let minimum = Int((Self.smallestFaceShare * Double(luma.height)).rounded())
        return detector.detect(in: luma, parameters: DetectionParameters(minSize: minimum))
    }

    /// Detection in a window around the last face, for faces of about its size.
    private func track(_ last: FaceBox, in luma: LumaPlane) -> [FaceBox] {
        let grow = Int((Double(max(last.width, last.height)) * Self.trackingMargin).rounded())
        guard let window = FaceBox(x: last.x - grow, y: last.y - grow, width: last.width + 2 * grow, height: last.height + 2 * grow)
            .clipped(width: luma.width, height: luma.height), let crop = luma.crop(window) else { return [] }
        let parameters = DetectionParameters(
            minSize: Int((Double(last.width) / Self.trackingScaleRange).rounded()),
            maxSize: Int((Double(last.width) * Self.trackingScaleRange).rounded()))
        return detector.detect(in: crop, parameters: parameters).map {
            FaceBox(x: $0.x + window.x, y: $0.y + window.y, width: $0.width, height: $0.height)
        }
    }

    /// The session's account under `policy`'s thresholds, with PAD hints
    /// from `model`.
    public func report(policy: FaceQualityPolicy, model: PADModel = .trained) -> FaceReport {
        var findings: [Finding] = []
        func add(_ code: String, _ message: String, _ evidence: [String: String] = [:]) {
            findings.append(Finding(code: code, severity: .info, message: message, evidence: evidence))
        }
        let share = framesSampled > 0 ? Double(framesWithFace) / Double(framesSampled) : 0
        let shareText = String(format: "%.2f", share)
        if framesWithFace == 0 {
            add("no_face", "no face in any of the \(framesSampled) sampled frames", ["frames_sampled": "\(framesSampled)"])
        } else if share < policy.minFaceFrameShare {
            add("face_intermittent", "a face in only \(framesWithFace) of \(framesSampled) sampled frames",
                ["face_frame_share": shareText])
        }
        if maxFaces > 1 { add("multiple_faces", "\(maxFaces) faces in one frame", ["faces": "\(maxFaces)"]) }
        if let quality = best?.quality {
            func number(_ value: Double) -> String { String(format: "%.3g", value) }
            if quality.size < policy.minFaceSize {
                add("face_too_small", "the face is \(number(quality.size)) of the frame height", ["size": number(quality.size)])
            }
            if quality.size > policy.maxFaceSize {
                add("face_too_large", "the face is \(number(quality.size)) of the frame height", ["size": number(quality.size)])
            }
            if max(abs(quality.offsetX), abs(quality.offsetY)) > policy.maxCentreOffset {
                add("face_off_centre", "the face centre is off the frame centre",
                    ["offset_x": number(quality.offsetX), "offset_y": number(quality.offsetY)])
            }
            if quality.cutOff { add("face_cut_off", "the face touches the frame border") }
            if quality.sharpness < policy.minSharpness {
                add("face_blurry", "the face is blurred", ["sharpness": number(quality.sharpness)])
            }
            if quality.meanLuma < policy.minMeanLuma || quality.clippedDark > policy.maxClipped {
                add("too_dark", "the face is underexposed", ["mean_luma": number(quality.meanLuma), "clipped_dark": number(quality.clippedDark)])
            }
            if quality.meanLuma > policy.maxMeanLuma || quality.clippedBright > policy.maxClipped {
                add("too_bright", "the face is overexposed", ["mean_luma": number(quality.meanLuma), "clipped_bright": number(quality.clippedBright)])
            }
            if quality.lightingUniformity < policy.minLightingUniformity {
                add("uneven_lighting", "one side of the face is much brighter", ["lighting_uniformity": number(quality.lightingUniformity)])
            }
        }
        return FaceReport(framesSampled: framesSampled, framesWithFace: framesWithFace, maxFaces: maxFaces, best: best, findings: findings,
                          pad: PADFeatures(padMeasures).map { Self.pad($0, model: model) })
    }

    static func pad(_ features: PADFeatures, model: PADModel) -> PADResult {
        let hints = model.hints(features)
        var findings: [Finding] = []
        if let hints {
            let evidence = ["frames": "\(features.frames)", "model": model.version]
            for (code, score, what) in [("screen_attack", hints.screen, "a face shown on a screen"),
                                        ("print_attack", hints.print, "a printed photo of a face"),
                                        ("mask_like_texture", hints.maskLike ?? 0, "a face surface unlike live skin")]
            where score >= PADResult.findingThreshold {
                findings.append(Finding(code: code, severity: .suspicious, message: "the face looks like \(what) (score \(String(format: "%.2f", score)))",
                                        evidence: evidence.merging(["score": String(format: "%.3f", score)]) { $1 }))
            }
        }
        return PADResult(features: features, hints: hints, modelVersion: model.version, findings: findings)
    }
}

extension LumaPlane {
    /// The pixels inside `box` (which must lie inside the plane).
    public func crop(_ box: FaceBox) -> LumaPlane? {
        guard box.x >= 0, box.y >= 0, box.width > 0, box.height > 0, box.x + box.width <= width, box.y + box.height <= height else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(box.width * box.height)
        for y in box.y..<(box.y + box.height) {
            let start = y * width + box.x
            out.append(contentsOf: pixels[start..<(start + box.width)])
        }
        return LumaPlane(width: box.width, height: box.height, pixels: out)
    }
}
