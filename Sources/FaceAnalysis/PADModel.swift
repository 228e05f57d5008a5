import Glibc

/// A session's PAD features: the per-frame measures of every sampled face
/// frame, summarised (medians of the scalars, the mean LBP histogram).
/// These are what the PAD model was trained on, and what `analyze --json`
/// prints for training and for people.
public struct PADFeatures: Hashable, Sendable, Codable {
    public var frames: Int
    public var scalars: [String: Double]
    public var colourLBP: [Double]
    /// Frames whose face was large enough for texture (`textureNative`);
    /// the mask-like hint is only given when there is one.
    public var textureFrames: Int

    enum CodingKeys: String, CodingKey {
        case frames, scalars
        case colourLBP = "colour_lbp"
        case textureFrames = "texture_frames"
    }

    /// Names of the scalar features, in the model's order.
    public static let scalarNames = [
        "face_peak", "face_peaks", "background_peak", "background_peaks", "saturation_mean", "saturation_spread",
        "cb_mean", "cr_mean", "chroma_diversity", "highlight_tail", "dark_level", "bright_level", "sharpness",
        "surround_dark", "straight_edge", "background_motion", "surround_white_cb",
    ]

    public init?(_ measures: [PADFrameMeasures]) {
        guard !measures.isEmpty else { return nil }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        let backgrounds = measures.compactMap(\.backgroundStrongestPeak)
        let backgroundCounts = measures.compactMap(\.backgroundPeaks).map(Double.init)
        let motions = measures.compactMap(\.backgroundMotion)
        frames = measures.count
        let textured = measures.filter(\.textureNative)
        textureFrames = textured.count
        // Without room beside the face the background reads as neutral: no
        // excess, no peaks.
        scalars = [
            "face_peak": median(measures.map(\.faceStrongestPeak)),
            "face_peaks": median(measures.map { Double($0.facePeaks) }),
            "background_peak": backgrounds.isEmpty ? 0 : median(backgrounds),
            "background_peaks": backgroundCounts.isEmpty ? 0 : median(backgroundCounts),
            "saturation_mean": median(measures.map(\.saturationMean)),
            "saturation_spread": median(measures.map(\.saturationSpread)),
            "cb_mean": median(measures.map(\.cbMean)),
            "cr_mean": median(measures.map(\.crMean)),
            "chroma_diversity": median(measures.map(\.chromaDiversity)),
            "highlight_tail": median(measures.map(\.highlightTail)),
            "dark_level": median(measures.map(\.darkLevel)),
            "bright_level": median(measures.map(\.brightLevel)),
            "sharpness": median(measures.map(\.sharpness)),
            "surround_dark": median(measures.map(\.surroundDark)),
            "straight_edge": median(measures.map(\.straightEdge)),
            // No pair of samples to compare (or no texture away from the
            // person) reads as a still scene: no evidence either way.
            "background_motion": motions.isEmpty ? 0 : median(motions),
            "surround_white_cb": median(measures.map(\.surroundWhiteCb)),
        ]
        // Texture from the frames with pixels enough for it, so that an
        // enlarged frame does not blur the others; with none, from every
        // frame (printed, but not scored).
        let textureSources = textured.isEmpty ? measures : textured
        var histogram = [Double](repeating: 0, count: PADMeasurement.colourLBPCount)
        for measure in textureSources where measure.colourLBP.count == histogram.count {
            for index in histogram.indices { histogram[index] += measure.colourLBP[index] / Double(textureSources.count) }
        }
        colourLBP = histogram
    }
}

/// The PAD hints of a session: per-attack scores in [0, 1] and their
/// combination.
public struct PADHints: Hashable, Sendable, Codable {
    public var screen: Double
    public var print: Double
    /// Nil when no sampled face was large enough to read skin texture.
    public var maskLike: Double?
    /// The strongest hint: a session is as suspect as its most likely attack.
    public var score: Double

    enum CodingKeys: String, CodingKey {
        case screen, print, score
        case maskLike = "mask_like"
    }

    /// An unassessed mask-like hint is written as null, not left out, so
    /// readers see the key either way.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(screen, forKey: .screen)
        try container.encode(print, forKey: .print)
        try container.encode(maskLike, forKey: .maskLike)
        try container.encode(score, forKey: .score)
    }
}

/// The trained PAD model: a logistic regression per attack (screen, print)
/// over a chosen subset of the standardised scalar features, and a live-skin model for
/// mask-like texture (the χ² distance of the colour-texture LBP histogram
/// from the mean live-skin histogram, scored by a logistic around the
/// distance live skin rarely exceeds). Trained by Tools/corpus/train-pad,
/// which writes `PADModel.trained` (PADModelData.swift).
public struct PADModel: Hashable, Sendable, Codable {
    public struct Logistic: Hashable, Sendable, Codable {
        public var weights: [Double]
        public var bias: Double
    }

    public var version: String
    public var features: [String]
    public var mean: [Double]
    public var scale: [Double]
    public var screen: Logistic
    public var print: Logistic
    public var liveSkinLBP: [Double]
    public var maskDistance: Double
    public var maskSpread: Double
    /// How it was trained: data recipe, split, sizes.
    public var training: String

    enum CodingKeys: String, CodingKey {
        case version, features, mean, scale, screen, print, training
        case liveSkinLBP = "live_skin_lbp"
        case maskDistance = "mask_distance"
        case maskSpread = "mask_spread"
    }

    /// Whether the model fits the features this build measures: it may use
    /// any subset of the scalars, each once.
    public var isUsable: Bool {
        !features.isEmpty && Set(features).count == features.count && Set(features).isSubset(of: PADFeatures.scalarNames)
            && mean.count == features.count && scale.count == features.count
            && screen.weights.count == features.count && print.weights.count == features.count
            && liveSkinLBP.count == PADMeasurement.colourLBPCount && maskSpread > 0 && scale.allSatisfy { $0 > 0 }
    }

    public func hints(_ features: PADFeatures) -> PADHints? {
        guard isUsable else { return nil }
        let standardised = self.features.enumerated().map { index, name in ((features.scalars[name] ?? 0) - mean[index]) / scale[index] }
        func logistic(_ model: Logistic) -> Double {
            let z = zip(model.weights, standardised).reduce(model.bias) { $0 + $1.0 * $1.1 }
            return 1 / (1 + exp(-z))
        }
        var distance = 0.0
        for (observed, live) in zip(features.colourLBP, liveSkinLBP) where observed + live > 0 {
            distance += (observed - live) * (observed - live) / (observed + live)
        }
        let screen = logistic(screen), print = logistic(print)
        let mask = features.textureFrames > 0 ? 1 / (1 + exp(-(distance - maskDistance) / maskSpread)) : nil
        return PADHints(screen: screen, print: print, maskLike: mask, score: max(screen, print, mask ?? 0))
    }
}
