import CaptureModel

/// Temporal sensor noise: how much the pixels of a still region change from
/// frame to frame, whether that change is new in every frame, whether it is
/// spatially white (added in software) or correlated (demosaiced and
/// compressed like a camera's), and how it varies with brightness
/// (EMVA 1288's photon-transfer curve).
public enum TemporalNoiseAnalyser {
    public static let name = "temporal_noise"

    /// Below this temporal σ (luma levels) the pixels of still regions did
    /// not change. Quantising any signal that moves at all already adds
    /// 1/√12 ≈ 0.29 levels, and EMVA 1288 datasheets of webcam-class
    /// sensors give a dark temporal noise of a level or more at unity gain.
    static let silentSigma = 0.25
    /// Blocks with not one pixel changed, as a share of usable blocks: a
    /// sensor with σ ≥ 0.5 leaves a 16×16 block unchanged with probability
    /// far below 10⁻⁶⁰, so half the picture frozen is a copy, not a capture.
    static let frozenBlockShare = 0.5
    /// The white-noise test runs only above this σ (smaller noise is mostly
    /// quantisation, which is white whatever made it).
    static let measurableSigma = 0.5
    /// Lag-1 correlation of the temporal difference below which noise is
    /// white. A colour sensor's luma noise is interpolated by demosaicing
    /// (bilinear: each missing sample averages 2–4 neighbours), which the
    /// sensor model in Tools/corpus puts at ρ ≈ 0.2–0.4; MJPEG and other
    /// codecs smooth it further. Per-pixel noise added in software has
    /// ρ ≈ 0 (its estimate's spread over a 720p session is < 0.01).
    static let whiteCorrelation = 0.1
    /// Fresh noise makes consecutive differences correlate at −0.5
    /// (d_t = n_t − n_{t−1} shares −n_{t−1} with d_{t+1}). Above −0.25 the
    /// noise was not drawn anew for each frame. The corpus's sensor model
    /// measures −0.40 to −0.49, the kphotoalbum webcam clip −0.33, and
    /// H.264 replays (CRF 20–28) −0.21 to 0.
    static let freshCorrelationCeiling = -0.25
    /// Below −0.75 consecutive differences mirror each other: frames that
    /// alternate between two noise patterns (A, B, A, B) give −1, while fresh
    /// noise gives −0.5 and motion only raises it.
    static let alternatingCorrelationFloor = -0.75
    /// Enough still blocks in a pair to read its noise: 20 blocks are 5,120
    /// differences, so the σ estimate's relative error is about 1/√5120 ≈
    /// 1.4%, far inside the gaps between the thresholds above.
    static let minimumStaticBlocks = 20

    public static func analyse(_ frames: [FrameMeasurement], monochrome: Bool) -> AnalyserReport {
        let pairs = frames.compactMap(\.pair)
        guard !pairs.isEmpty else { return .insufficient(name, "no pair of same-size decodable frames") }
        let usable = pairs.reduce(0) { $0 + $1.usableBlocks }
        guard usable > 0 else { return .insufficient(name, "every block is black or saturated") }
        var findings: [Finding] = []
        var metrics: [String: Double] = [:]

        let zeroShare = Double(pairs.reduce(0) { $0 + $1.zeroBlocks }) / Double(usable)
        metrics["unchanged_block_share"] = zeroShare
        let measured = readablePairs(pairs)
        let sigma = median(measured.compactMap(\.temporalVariance)).map { max($0, 0).squareRoot() }
        let spatial = median(frames.compactMap { $0.luma?.spatialNoise })
        if let sigma { metrics["temporal_sigma"] = sigma }
        if let spatial { metrics["spatial_sigma_immerkaer"] = spatial }
        let horizontal = median(measured.compactMap(\.horizontalCorrelation))
        let vertical = median(measured.compactMap(\.verticalCorrelation))
        let fresh = freshness(pairs)
        if let horizontal { metrics["noise_correlation_horizontal"] = horizontal }
        if let vertical { metrics["noise_correlation_vertical"] = vertical }
        if let fresh { metrics["noise_correlation_temporal"] = fresh }
        if let curve = noiseCurve(measured) {
            metrics["noise_curve_slope"] = curve.slope
            metrics["noise_curve_intercept"] = curve.intercept
            metrics["noise_curve_r2"] = curve.r2
            metrics["noise_curve_bins"] = Double(curve.bins)
        }

        let everyPairIdentical = pairs.allSatisfy(\.identical)
        // Frames too small, or all moving, leave no still block to read: no
        // verdict either way (the identical-frames case is read below).
        if measured.isEmpty && !everyPairIdentical && zeroShare < frozenBlockShare {
            return .insufficient(name, "no frame pair has \(minimumStaticBlocks) still 16×16 blocks", metrics: metrics)
        }
        if measured.isEmpty || (sigma ?? 0) < silentSigma || zeroShare >= frozenBlockShare {
            findings.append(Finding(code: "no_temporal_noise", severity: .attack,
                                    message: "still regions do not change between frames: no sensor noise",
                                    evidence: ["temporal_sigma": evidenceNumber(sigma ?? 0), "unchanged_block_share": evidenceNumber(zeroShare)]))
            return .ran(name, findings: findings, metrics: metrics)
        }
        guard let sigma else { return .ran(name, findings: findings, metrics: metrics) }
        // Freshness holds at any noise level above silence: quantising a
        // still signal under new noise is itself new in every frame.
        if let fresh, fresh > freshCorrelationCeiling || fresh < alternatingCorrelationFloor {
            findings.append(Finding(code: "noise_reused", severity: .attack,
                                    message: "consecutive frame differences correlate at \(evidenceNumber(fresh, digits: 2)); noise new in every frame gives −0.5",
                                    evidence: ["correlation_temporal": evidenceNumber(fresh), "temporal_sigma": evidenceNumber(sigma)]))
        }
        guard sigma >= measurableSigma else { return .ran(name, findings: findings, metrics: metrics) }
        if !monochrome, let horizontal, let vertical, horizontal < whiteCorrelation, vertical < whiteCorrelation {
            findings.append(Finding(code: "synthetic_noise", severity: .attack,
                                    message: "the frame-to-frame noise is spatially white: added per pixel in software, not demosaiced sensor noise",
                                    evidence: ["correlation_horizontal": evidenceNumber(horizontal), "correlation_vertical": evidenceNumber(vertical),
                                               "temporal_sigma": evidenceNumber(sigma)]))
        }
        return .ran(name, findings: findings, metrics: metrics)
    }

    /// Pairs whose noise can be read: not bit-identical, with enough still blocks.
    static func readablePairs(_ pairs: [PairStatistics]) -> [PairStatistics] {
        pairs.filter { !$0.identical && $0.staticBlocks >= minimumStaticBlocks }
    }

    /// Consecutive-difference correlation over the readable pairs: −0.5
    /// when the noise is new in every frame; nil when no pair is readable.
    static func freshness(_ pairs: [PairStatistics]) -> Double? {
        median(readablePairs(pairs).compactMap(\.temporalCorrelation))
    }

    /// Least-squares line through the still blocks' noise variance against
    /// their mean level, over bins holding at least 30 blocks.
    static func noiseCurve(_ pairs: [PairStatistics]) -> (slope: Double, intercept: Double, r2: Double, bins: Int)? {
        var sums = [Double](repeating: 0, count: 16)
        var counts = [Int](repeating: 0, count: 16)
        for pair in pairs where pair.binVarianceSums.count == 16 && pair.binCounts.count == 16 {
            for bin in 0..<16 {
                sums[bin] += pair.binVarianceSums[bin]
                counts[bin] += pair.binCounts[bin]
            }
        }
        let points = (0..<16).filter { counts[$0] >= 30 }.map { (Double($0) * 16 + 8, sums[$0] / Double(counts[$0])) }
        guard points.count >= 3 else { return nil }
        let n = Double(points.count)
        let meanX = points.map(\.0).reduce(0, +) / n
        let meanY = points.map(\.1).reduce(0, +) / n
        let sxx = points.map { ($0.0 - meanX) * ($0.0 - meanX) }.reduce(0, +)
        let sxy = points.map { ($0.0 - meanX) * ($0.1 - meanY) }.reduce(0, +)
        let syy = points.map { ($0.1 - meanY) * ($0.1 - meanY) }.reduce(0, +)
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        return (slope, meanY - slope * meanX, syy > 0 ? (sxy * sxy) / (sxx * syy) : 0, points.count)
    }
}
