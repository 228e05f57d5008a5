import CaptureModel

/// Re-encoding: frames that claim to be uncompressed (YUYV, NV12, an
/// imported Y4M) but carry a transform codec's traces were decoded from a
/// compressed file, which is what a replay is. Two traces: the block grid
/// (edges at x, y ≡ 3, 7 mod 8 stronger than elsewhere) and inter-frame
/// skip blocks (regions copied unchanged, which sensor noise never allows).
/// MJPEG payloads get the double-JPEG test instead (DoubleJPEG).
public enum ReencodingAnalyser {
    public static let name = "reencoding"

    /// Excess of the mean luma step across the 8- or 4-pixel grid over the
    /// steps of the same parity elsewhere. Bayer demosaicing makes steps
    /// 2-periodic, so only same-parity phases are compared; nothing in a
    /// sensor is 4- or 8-periodic. On the corpus preview (640×360, 2 s) the
    /// sensor model's excess stayed under 0.02 except where the JPEG face
    /// photo it films kept its own grid (0.04–0.06, with fresh noise, so no
    /// trace); the carphone clip decoded from H.264 shows 0.16.
    static let gridExcess = 0.03
    /// Share of still-usable blocks copied bit for bit from the previous
    /// frame: codecs skip-code still regions; a sensor with noise cannot
    /// (see TemporalNoiseAnalyser.frozenBlockShare for the probability).
    static let skipBlockShare = 0.05

    /// For compressed payloads only the double-JPEG test applies (a
    /// camera's own JPEG blocking proves nothing); for frames libv4lconvert
    /// decoded, neither does.
    public static func analyse(_ frames: [FrameMeasurement], compressedPayloads: Bool, doubleJPEG: DoubleJPEG.Accumulator? = nil) -> AnalyserReport {
        guard !compressedPayloads else {
            guard let doubleJPEG else { return .notApplicable(name, "frames were decoded by libv4lconvert; codec traces are expected") }
            return DoubleJPEG.analyse(doubleJPEG, analyser: name)
        }
        let sized = frames.compactMap(\.luma).filter { $0.columnPhaseDifferences.count == 32 && $0.rowPhaseDifferences.count == 32 }
        guard sized.count >= 2 else { return .insufficient(name, "\(sized.count) frames large enough for an 8×8 grid; need 2") }
        let lumas = sized.filter { $0.clippedFraction < RepetitionAnalyser.informativeClippedShare }
        guard lumas.count >= 2 else { return .insufficient(name, "every frame is black or saturated") }
        var findings: [Finding] = []
        var metrics: [String: Double] = [:]

        // The four quadrants' phase profiles, averaged: the whole frame.
        let columns = average(lumas.map { quadrantMean($0.columnPhaseDifferences) })
        let rows = average(lumas.map { quadrantMean($0.rowPhaseDifferences) })
        let strongest = [gridStrength(columns), gridStrength(rows)].compactMap { $0 }.max() ?? 0
        metrics["grid_excess"] = strongest

        let pairs = frames.compactMap(\.pair)
        let moving = pairs.filter { !$0.identical }
        let usable = moving.reduce(0) { $0 + $1.usableBlocks }
        let skipShare = usable > 0 ? Double(moving.reduce(0) { $0 + $1.zeroBlocks }) / Double(usable) : 0
        metrics["skip_block_share"] = skipShare

        // A grid alone can be the scene's (a JPEG poster or photo in view);
        // with noise that is not new in every frame it is the codec's.
        let freshness = TemporalNoiseAnalyser.freshness(pairs)
        if let freshness { metrics["noise_correlation_temporal"] = freshness }
        var traces: [String] = []
        if strongest >= gridExcess, let freshness, freshness > TemporalNoiseAnalyser.freshCorrelationCeiling { traces.append("block_grid") }
        if !moving.isEmpty, skipShare >= skipBlockShare { traces.append("skip_blocks") }
        if !traces.isEmpty {
            findings.append(Finding(code: "reencoded_stream", severity: .attack,
                                    message: "uncompressed frames carry codec traces (\(traces.joined(separator: ", "))): decoded from compressed video, not read off a sensor",
                                    evidence: ["traces": traces.joined(separator: ","), "grid_excess": evidenceNumber(strongest),
                                               "skip_block_share": evidenceNumber(skipShare)]))
        }
        return .ran(name, findings: findings, metrics: metrics)
    }

    /// Relative excess of the grid phases (7 for 8×8; 3 and 7 for 4×4) over
    /// the other odd phases (the step from x to x+1 for x odd).
    static func gridStrength(_ phases: [Double]) -> Double? {
        guard phases.count == 8 else { return nil }
        let reference8 = (phases[1] + phases[3] + phases[5]) / 3
        let reference4 = (phases[1] + phases[5]) / 2
        // Under 0.05 levels per step the picture is flat: no edges to compare.
        guard reference8 > 0.05, reference4 > 0.05 else { return nil }
        return max(phases[7] / reference8 - 1, (phases[3] + phases[7]) / 2 / reference4 - 1)
    }

    /// The mean of four 8-phase profiles laid end to end.
    static func quadrantMean(_ phases: [Double]) -> [Double] {
        (0..<8).map { phase in (0..<4).map { phases[$0 * 8 + phase] }.reduce(0, +) / 4 }
    }

    static func average(_ rows: [[Double]]) -> [Double] {
        guard let first = rows.first else { return [] }
        var sums = [Double](repeating: 0, count: first.count)
        for row in rows where row.count == first.count { for index in 0..<row.count { sums[index] += row[index] } }
        return sums.map { $0 / Double(rows.count) }
    }
}
