import CaptureModel
import Glibc

/// Screen recapture: a camera filming a display sees the display's pixel
/// grid alias against its own, as moiré: a few sharp, isolated peaks in the
/// spatial spectrum where a natural scene's spectrum is smooth. Averaging a
/// few frames first removes the sensor noise, which is not periodic.
public enum MoireAnalyser {
    public static let name = "moire"

    /// The analysed crop: a centred square, a power of two up to 256 (a
    /// 256² spectrum resolves display pitches down to the sensor's own
    /// Nyquist limit and costs a few milliseconds).
    static let maximumSide = 256
    /// Frames averaged before the transform: 8 cut the sensor noise by
    /// √8 ≈ 2.8 while the moiré, fixed to the display, stays; they are the
    /// first quarter second of a 30 fps session.
    static let framesAveraged = 8
    /// A peak counts when its log power exceeds the mean log power of its
    /// 9×9 neighbourhood (centre 3×3 left out) by this much: e^5 ≈ 150×.
    /// Sensor-model captures of faces peak at ≤ 2.8 and the screen
    /// recaptures at 7–7.6 in the corpus preview (Tools/corpus, 640×360).
    public static let peakLogExcess = 5.0
    /// Peaks come in conjugate pairs; two pairs are a pattern.
    static let minimumPeaks = 4
    /// Only mid and high frequencies (share of Nyquist): low frequencies
    /// are the scene's layout, and the outermost ring holds demosaicing's
    /// Nyquist artefacts.
    static let band = 0.15...0.95

    /// Accumulates the centred crop of the first frames.
    public struct Accumulator: Sendable {
        let side: Int
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        private(set) var sum: [Double]
        public private(set) var frames = 0

        public init?(width: Int, height: Int) {
            var side = maximumSide
            while side > min(width, height) { side /= 2 }
            guard side >= 64 else { return nil }
            self.side = side
            self.width = width
            self.height = height
            x = (width - side) / 2
            y = (height - side) / 2
            sum = Array(repeating: 0, count: side * side)
        }

        public mutating func add(_ plane: LumaPlane) {
            guard frames < framesAveraged, plane.width == width, plane.height == height else { return }
            for row in 0..<side {
                let start = (y + row) * width + x
                for column in 0..<side { sum[row * side + column] += Double(plane.pixels[start + column]) }
            }
            frames += 1
        }
    }

    public static func analyse(_ accumulator: Accumulator?) -> AnalyserReport {
        guard let accumulator, accumulator.frames > 0 else { return .insufficient(name, "no frame large enough for a 64×64 spectrum") }
        let frames = Double(accumulator.frames)
        // A flat picture (black, saturated, a lens cap) has no spectrum to read.
        guard let spectrum = spectralPeaks(accumulator.sum.map { $0 / frames }, side: accumulator.side) else {
            return .insufficient(name, "the picture is flat")
        }
        let metrics = ["spectral_peaks": Double(spectrum.peaks), "strongest_peak_log_excess": spectrum.strongest, "frames_averaged": frames]
        var findings: [Finding] = []
        if spectrum.peaks >= minimumPeaks {
            findings.append(Finding(code: "screen_moire", severity: .suspicious,
                                    message: "\(spectrum.peaks) sharp periodic peaks in the picture's spectrum: the moiré of a display filmed by a camera (or a strongly patterned object)",
                                    evidence: ["spectral_peaks": String(spectrum.peaks), "strongest_log_excess": evidenceNumber(spectrum.strongest, digits: 2)]))
        }
        return .ran(name, findings: findings, metrics: metrics)
    }

    /// The periodic peaks of a square `side × side` patch (side a power of
    /// two): how many mid- and high-frequency bins stand `peakLogExcess`
    /// above their neighbourhood, and the strongest excess. Nil for a flat
    /// patch: under 1 level² of variance is below any scene's texture.
    public static func spectralPeaks(_ samples: [Double], side: Int) -> (peaks: Int, strongest: Double)? {
        guard side >= 8, samples.count == side * side else { return nil }
        let count = Double(side * side)
        let mean = samples.reduce(0, +) / count
        let spread = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        guard spread >= 1 else { return nil }
        // A Hann window keeps the crop's edges from smearing into every bin.
        let window = (0..<side).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(side - 1)) }
        var real = [Double](repeating: 0, count: side * side)
        for row in 0..<side {
            for column in 0..<side {
                real[row * side + column] = (samples[row * side + column] - mean) * window[row] * window[column]
            }
        }
        guard let power = FFT.powerSpectrum(real, width: side, height: side) else { return nil }
        let logPower = power.map { log($0 + 1e-9) }
        let excess = neighbourhoodExcess(logPower, side: side)
        var peaks = 0
        var strongest = -Double.infinity
        for row in 0..<side {
            let fy = Double(min(row, side - row)) / Double(side / 2)
            for column in 0..<side {
                let fx = Double(min(column, side - column)) / Double(side / 2)
                let radius = (fx * fx + fy * fy).squareRoot()
                guard band.contains(radius) else { continue }
                let value = excess[row * side + column]
                strongest = max(strongest, value)
                if value >= peakLogExcess { peaks += 1 }
            }
        }
        return (peaks, strongest)
    }

    /// Each bin's log power minus the mean of its 9×9 neighbourhood without
    /// the centre 3×3 (circular, as the spectrum is), from a summed-area table.
    static func neighbourhoodExcess(_ values: [Double], side: Int) -> [Double] {
        let padded = side + 8
        var table = [Double](repeating: 0, count: (padded + 1) * (padded + 1))
        for row in 0..<padded {
            var running = 0.0
            for column in 0..<padded {
                running += values[((row - 4 + side) % side) * side + (column - 4 + side) % side]
                table[(row + 1) * (padded + 1) + column + 1] = table[row * (padded + 1) + column + 1] + running
            }
        }
        func box(_ top: Int, _ left: Int, _ size: Int) -> Double {
            let stride = padded + 1
            return table[(top + size) * stride + left + size] - table[top * stride + left + size] - table[(top + size) * stride + left] + table[top * stride + left]
        }
        var excess = [Double](repeating: 0, count: side * side)
        for row in 0..<side {
            for column in 0..<side {
                let outer = box(row, column, 9)
                let inner = box(row + 3, column + 3, 3)
                excess[row * side + column] = values[row * side + column] - (outer - inner) / 72
            }
        }
        return excess
    }
}
