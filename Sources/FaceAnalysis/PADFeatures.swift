import FrameForensics
import Glibc

/// What passive PAD measures on one face frame: the cues that separate a
/// live face from a printout or a screen held up to the camera
/// (../shared/research/anchors.md §4).
/// - Periodicity: a halftone screen or a display's pixel grid aliases into
///   sharp spectral peaks, in the face and in the background around it
///   (moiré; Patel et al., ICB 2015).
/// - Colour: print narrows the gamut and lowers saturation; a display has
///   its own white point and gamma (image distortion analysis; Wen et al.,
///   TIFS 2015).
/// - Tone: paper and a backlit panel lift the blacks and compress the range.
///   Read on the face alone this follows the person (skin tone, lighting);
///   read on the face's surroundings (hair, clothes, shadows, what is held
///   up beside the face) it follows the medium: a live scene keeps dark
///   content there, a print cannot go below its paper's black, a screen
///   below its backlight and reflected room light (image distortion
///   analysis's contrast cue; Wen et al., TIFS 2015).
/// - Specular response: skin has small bright highlights; paper and glass
///   reflect flat or as one glare patch.
/// - Texture: colour-texture LBP histograms over YCbCr and HSV
///   (Boulkenafet et al., TIFS 2016), compared with live skin.
/// - Geometry: a screen's bezel or a sheet's edge is a long, straight,
///   sharp step beside the face, whatever the photo's colour and tone. A
///   real room has straight edges too (doors, shelves, a monitor behind
///   the person), so this is a hint to weigh with the others, not proof.
public struct PADFrameMeasures: Hashable, Sendable {
    /// Strongest spectral peak of the face crop (log excess over its
    /// neighbourhood, as MoireAnalyser measures it) and how many bins pass
    /// the moiré threshold.
    public var faceStrongestPeak: Double
    public var facePeaks: Int
    /// The same beside the face; nil when the frame has no room for it.
    public var backgroundStrongestPeak: Double?
    public var backgroundPeaks: Int?
    /// Mean and spread of chroma saturation, √((Cb−128)² + (Cr−128)²).
    public var saturationMean: Double
    public var saturationSpread: Double
    /// Mean Cb and Cr minus 128 (a display's bluish white shows in Cb).
    public var cbMean: Double
    public var crMean: Double
    /// Occupied share of a 32×32 (Cb, Cr) histogram: colour diversity.
    public var chromaDiversity: Double
    /// (p99 − p50) / (p50 − p5) of face luma: how far highlights stand out.
    public var highlightTail: Double
    /// The 1st and 99th percentiles of face luma: paper and a backlit panel
    /// cannot reach a live scene's blacks (the corpus's prints lift them by
    /// about 32 codes, its screens by 17), and print compresses the tone range.
    public var darkLevel: Double
    public var brightLevel: Double
    /// The 0.5th percentile of luma over the face box grown by half its
    /// size on every side (clipped to the frame): the darkest content
    /// around the face, where a recapture's medium sets a floor.
    public var surroundDark: Double
    /// Mean Cb minus 128 of the brightest `surroundWhiteShare` of the same
    /// surround: the colour of the whitest content near the face. A live
    /// scene's whites (a collar, a highlight, a lit wall) and a print's
    /// paper are lit by the room light the camera is balanced for, so they
    /// come out neutral or, on skin, warm; a display's white is its own
    /// (about 6500 K against a 4000 K room) and shows blue. A real
    /// daylight window beside the face would also show blue, and auto
    /// white balance on a frame that a screen fills would pull its white
    /// towards neutral, so this is a hint to weigh with the others.
    public var surroundWhiteCb: Double
    /// FaceQuality.sharpness of the face: fine texture a print loses.
    public var sharpness: Double
    /// The longest straight, sharp edge of one contrast polarity outside
    /// the face and hair, in face heights: a screen's bezel or a sheet's
    /// edge is a long straight step, a live scene's edges mostly are not
    /// (though walls, doors and shelves can be).
    public var straightEdge: Double
    /// Uniform LBP(8,1) histograms (59 bins each) of Y, Cb, Cr, H, S and V
    /// over the face resampled to 64×64, each normalised to sum 1.
    public var colourLBP: [Double]
    /// Whether the inner face spans at least `textureSide` pixels each way,
    /// so the 64×64 resampling only averages: a smaller face is enlarged,
    /// and LBP(8,1) then reads the enlargement's smooth steps rather than
    /// skin (kphotoalbum's real 160×120 webcam clip, a 63 px face box, read
    /// mask-like 1.0 that way).
    public var textureNative: Bool = true
    /// How far the scene away from the person moved since the previous
    /// sampled frame (`PADMeasurement.backgroundMotion`); nil for a
    /// session's first sample or too little texture away from the person.
    public var backgroundMotion: Double? = nil
}

public enum PADMeasurement {
    /// The inner face: the detector's box shrunk by this share on every
    /// side, which keeps hair, ears and background out and the cheeks,
    /// nose and forehead in.
    static let innerMargin = 0.15
    /// Spectrum crops: a power of two between these; 128² resolves a
    /// halftone or pixel grid while a small face still fills it.
    static let largestCrop = 128
    static let smallestCrop = 32
    /// The surround of `surroundDark`: the face box grown by this share of
    /// its size on every side (2× the box: the hair, neck and what is
    /// beside the face, mostly on the sheet or screen in an attack).
    static let surroundMargin = 0.5
    /// Its percentile: 0.5 % is a few thousand samples for a face 25 % of a
    /// 720-line frame high, so single noisy or dead pixels do not set it,
    /// while a small dark region (eyes, nostrils, hair) still does.
    static let surroundDarkPercentile = 0.005
    /// The share of the surround whose colour `surroundWhiteCb` reads: 2 %
    /// of a surround four times the face's area is about 8 % of the face,
    /// room for a collar, a highlight or a screen's brightest region while
    /// midtones stay out. Set without a sweep (a Python prototype on the
    /// seed-7 train split, 2026-11-28); this measure on the pooled train
    /// splits of seeds 7, 8 and 9, 5th to 95th percentile per identity:
    /// genuine -14.3 to +0.9, print -1.4 to 0, screen +2.0 to +18.8.
    static let surroundWhiteShare = 0.02
    /// LBP is read on the face at this size (Boulkenafet et al. use 64×64).
    static let textureSide = 64
    /// Uniform LBP(8,1): 58 uniform codes and one bin for the rest.
    static let lbpBins = 59
    static let lbpChannels = 6
    public static var colourLBPCount: Int { lbpBins * lbpChannels }

    /// The measures of one face, or nil when the face is too small or the
    /// frame has no colour.
    public static func measure(luma: LumaPlane, chroma: ChromaPlanes, face: FaceBox, sharpness: Double) -> PADFrameMeasures? {
        let marginX = Int(Double(face.width) * innerMargin), marginY = Int(Double(face.height) * innerMargin)
        guard let inner = FaceBox(x: face.x + marginX, y: face.y + marginY, width: face.width - 2 * marginX, height: face.height - 2 * marginY)
            .clipped(width: luma.width, height: luma.height), inner.width >= smallestCrop, inner.height >= smallestCrop else { return nil }
        var side = largestCrop
        while side > min(inner.width, inner.height) { side /= 2 }
        let faceCrop = FaceBox(x: inner.x + (inner.width - side) / 2, y: inner.y + (inner.height - side) / 2, width: side, height: side)
        let faceSpectrum = MoireAnalyser.spectralPeaks(samples(luma, faceCrop), side: side)
        let background = backgroundCrop(beside: face, side: side, width: luma.width, height: luma.height)
        let backgroundSpectrum = background.flatMap { MoireAnalyser.spectralPeaks(samples(luma, $0), side: side) }

        var saturations: [Double] = []
        var cbTotal = 0.0, crTotal = 0.0
        // 8 codes per bin: coarser than sensor chroma noise (a few codes),
        // fine enough to tell a narrowed gamut from a full one.
        var bins = [Int](repeating: 0, count: 32 * 32)
        var lumas: [UInt8] = []
        lumas.reserveCapacity(inner.width * inner.height)
        for y in inner.y..<(inner.y + inner.height) {
            for x in inner.x..<(inner.x + inner.width) { lumas.append(luma.pixels[y * luma.width + x]) }
        }
        // Chroma at its own resolution, over the inner face.
        let cx0 = inner.x / chroma.stepX, cx1 = max(cx0 + 1, (inner.x + inner.width) / chroma.stepX)
        let cy0 = inner.y / chroma.stepY, cy1 = max(cy0 + 1, (inner.y + inner.height) / chroma.stepY)
        for cy in cy0..<min(cy1, chroma.height) {
            for cx in cx0..<min(cx1, chroma.width) {
                let cb = Double(chroma.cb[cy * chroma.width + cx]) - 128, cr = Double(chroma.cr[cy * chroma.width + cx]) - 128
                saturations.append((cb * cb + cr * cr).squareRoot())
                cbTotal += cb
                crTotal += cr
                bins[(Int(cb + 128) >> 3) * 32 + (Int(cr + 128) >> 3)] += 1
            }
        }
        guard !saturations.isEmpty else { return nil }
        let count = Double(saturations.count)
        let saturationMean = saturations.reduce(0, +) / count
        let saturationSpread = (saturations.reduce(0) { $0 + ($1 - saturationMean) * ($1 - saturationMean) } / count).squareRoot()
        // A bin counts when it holds at least 0.1 % of the face: stray
        // noise samples do not make a face colourful.
        let occupied = bins.filter { Double($0) >= max(1, count / 1000) }.count

        lumas.sort()
        func percentile(_ p: Double) -> Double { Double(lumas[min(lumas.count - 1, Int(p * Double(lumas.count - 1)))]) }
        let median = percentile(0.5)
        let tail = (percentile(0.99) - median) / max(1, median - percentile(0.05))

        // One histogram of the surround serves both of its measures.
        let around = surround(of: face, width: luma.width, height: luma.height).map { (box: $0, histogram: LumaHistogram(luma, $0)) }
        return PADFrameMeasures(
            faceStrongestPeak: faceSpectrum?.strongest ?? 0, facePeaks: faceSpectrum?.peaks ?? 0,
            backgroundStrongestPeak: backgroundSpectrum?.strongest, backgroundPeaks: backgroundSpectrum?.peaks,
            saturationMean: saturationMean, saturationSpread: saturationSpread, cbMean: cbTotal / count, crMean: crTotal / count,
            chromaDiversity: Double(occupied) / Double(bins.count), highlightTail: tail,
            darkLevel: percentile(0.01), brightLevel: percentile(0.99),
            surroundDark: around?.histogram.level(at: surroundDarkPercentile) ?? 0,
            surroundWhiteCb: around.map { surroundWhiteCb(luma, chroma: chroma, surround: $0.box, level: $0.histogram.level(at: 1 - surroundWhiteShare)) } ?? 0,
            sharpness: sharpness,
            straightEdge: straightEdgeLength(luma, face: face),
            colourLBP: colourLBP(luma: luma, chroma: chroma, face: inner),
            textureNative: inner.width >= textureSide && inner.height >= textureSide)
    }

    /// The face box grown by `surroundMargin` of its size on every side,
    /// clipped to the frame: where `surroundDark` and `surroundWhiteCb`
    /// look. Nil when none of it is in the frame.
    static func surround(of face: FaceBox, width: Int, height: Int) -> FaceBox? {
        let marginX = Int(Double(face.width) * surroundMargin), marginY = Int(Double(face.height) * surroundMargin)
        return FaceBox(x: face.x - marginX, y: face.y - marginY, width: face.width + 2 * marginX, height: face.height + 2 * marginY)
            .clipped(width: width, height: height)
    }

    /// A 256-bin luma histogram of a box (which must lie inside the
    /// plane): any percentile of a large surround for one pass.
    struct LumaHistogram {
        let counts: [Int]
        let total: Int

        init(_ luma: LumaPlane, _ box: FaceBox) {
            var counts = [Int](repeating: 0, count: 256)
            for y in box.y..<(box.y + box.height) {
                let row = y * luma.width
                for x in box.x..<(box.x + box.width) { counts[Int(luma.pixels[row + x])] += 1 }
            }
            self.counts = counts
            total = box.area
        }

        /// The level at `percentile`, by the same index rule as the face's.
        func level(at percentile: Double) -> Double {
            let rank = Int(percentile * Double(total - 1))
            var seen = 0
            for (level, count) in counts.enumerated() {
                seen += count
                if seen > rank { return Double(level) }
            }
            return 255
        }
    }

    /// `surroundWhiteCb`: the mean Cb of the chroma samples in `surround`
    /// whose co-sited luma is at or above `level` (where the brightest
    /// `surroundWhiteShare` begins); 0 (neutral) when there are none.
    static func surroundWhiteCb(_ luma: LumaPlane, chroma: ChromaPlanes, surround: FaceBox, level: Double) -> Double {
        let cx0 = surround.x / chroma.stepX, cx1 = (surround.x + surround.width) / chroma.stepX
        let cy0 = surround.y / chroma.stepY, cy1 = (surround.y + surround.height) / chroma.stepY
        var total = 0.0, count = 0
        for cy in cy0..<max(cy0, min(cy1, chroma.height)) {
            let lumaRow = cy * chroma.stepY * luma.width
            for cx in cx0..<max(cx0, min(cx1, chroma.width)) where Double(luma.pixels[lumaRow + cx * chroma.stepX]) >= level {
                total += Double(chroma.cb[cy * chroma.width + cx]) - 128
                count += 1
            }
        }
        return count == 0 ? 0 : total / Double(count)
    }

    /// `straightEdge`: luma averaged over 2×2 blocks (a bezel's edge stays
    /// a one-to-two-sample step, sensor noise drops by half), Sobel
    /// gradients, and a Hough transform of the samples whose gradient
    /// exceeds `edgeGradient`: each votes for the lines through it whose
    /// signed normal lies within `edgeVoteSpread` bins of its own gradient
    /// direction (signed, so the two sides of a thin line do not add up).
    /// The fullest line, in samples, over the face height in samples.
    static let edgeDownsample = 2
    /// Gradient threshold in luma codes per (downsampled) sample, Sobel
    /// normalised by 8: chosen on the train split only (seed 7, 56 per
    /// species, 40 train each; a Python prototype of this measure on the
    /// corpus's face boxes) among 8, 16, 24 and 32: genuine-vs-screen AUC
    /// 0.83, 0.92, 0.95, 0.95 and screens above every genuine capture 16,
    /// 28, 32, 30 of 40. A weaker threshold admits soft edges (a live
    /// scene's blurred or feathered outlines).
    static let edgeGradient = 24.0
    /// Signed normal directions: 0.5° bins, fine enough that a line
    /// across a 640-sample-wide frame stays within one 2-sample rho bin
    /// (a 640-sample line 0.25° off a bin's centre drifts by 2.8 samples
    /// end to end, about one bin).
    static let edgeDirections = 720
    /// ±6 bins (±3°): a Sobel direction on a blurred step is good to a few
    /// degrees, so each sample votes over that range.
    static let edgeVoteSpread = 6
    /// Rho bins of 2 samples: a blurred step passes the threshold on about
    /// two samples across.
    static let edgeRhoBin = 2.0
    /// Excluded around the face: the box grown by this share on every
    /// side (hair and ears, whose curved edges are not the question).
    static let edgeFaceMargin = 0.25
    /// The normals' cosines and sines, bin centres from -π: computed once,
    /// not for every measured frame.
    static let edgeCosines = (0..<edgeDirections).map { cos(edgeAngle($0)) }
    static let edgeSines = (0..<edgeDirections).map { sin(edgeAngle($0)) }
    static func edgeAngle(_ bin: Int) -> Double { (Double(bin) + 0.5) / Double(edgeDirections) * 2 * Double.pi - Double.pi }

    static func straightEdgeLength(_ luma: LumaPlane, face: FaceBox) -> Double {
        let step = edgeDownsample
        let w = luma.width / step, h = luma.height / step
        guard w >= 3, h >= 3, face.height >= step else { return 0 }
        var small = [Double](repeating: 0, count: w * h)
        let area = Double(step * step)
        for y in 0..<h {
            for x in 0..<w {
                var total = 0
                for dy in 0..<step {
                    let row = (y * step + dy) * luma.width + x * step
                    for dx in 0..<step { total += Int(luma.pixels[row + dx]) }
                }
                small[y * w + x] = Double(total) / area
            }
        }
        let fx0 = (Double(face.x) - edgeFaceMargin * Double(face.width)) / Double(step)
        let fx1 = (Double(face.x + face.width) + edgeFaceMargin * Double(face.width)) / Double(step)
        let fy0 = (Double(face.y) - edgeFaceMargin * Double(face.height)) / Double(step)
        let fy1 = (Double(face.y + face.height) + edgeFaceMargin * Double(face.height)) / Double(step)
        let bins = edgeDirections
        let cosines = edgeCosines, sines = edgeSines
        let reach = Int((Double(w * w + h * h)).squareRoot() / edgeRhoBin) + 2
        let span = 2 * reach + 1
        var votes = [Int](repeating: 0, count: bins * span)
        let threshold = edgeGradient * edgeGradient
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                if Double(x) > fx0, Double(x) < fx1, Double(y) > fy0, Double(y) < fy1 { continue }
                let a = small[(y - 1) * w + x - 1], b = small[(y - 1) * w + x], c = small[(y - 1) * w + x + 1]
                let d = small[y * w + x - 1], f = small[y * w + x + 1]
                let g = small[(y + 1) * w + x - 1], k = small[(y + 1) * w + x], m = small[(y + 1) * w + x + 1]
                let gx = ((c + 2 * f + m) - (a + 2 * d + g)) / 8
                let gy = ((g + 2 * k + m) - (a + 2 * b + c)) / 8
                guard gx * gx + gy * gy > threshold else { continue }
                let centre = Int(((atan2(gy, gx) + Double.pi) / (2 * Double.pi) * Double(bins)).rounded(.down))
                for offset in -edgeVoteSpread...edgeVoteSpread {
                    let bin = ((centre + offset) % bins + bins) % bins
                    let rho = Int((Double(x) * cosines[bin] + Double(y) * sines[bin]) / edgeRhoBin + Double(reach))
                    guard rho >= 0, rho < span else { continue }
                    votes[bin * span + rho] += 1
                }
            }
        }
        let best = votes.max() ?? 0
        return Double(best) / (Double(face.height) / Double(step))
    }

    /// A luma plane summed over 2×2 blocks (four times the mean), the
    /// resolution `backgroundMotion` works at: sensor noise drops by half
    /// and a sampled frame's copy is a quarter of its size.
    public struct HalfPlane: Hashable, Sendable {
        public let width: Int
        public let height: Int
        public let sums: [UInt16]

        public init(_ luma: LumaPlane) {
            width = luma.width / 2
            height = luma.height / 2
            var sums = [UInt16](repeating: 0, count: width * height)
            for y in 0..<height {
                let top = 2 * y * luma.width, bottom = top + luma.width
                for x in 0..<width {
                    sums[y * width + x] = UInt16(luma.pixels[top + 2 * x]) + UInt16(luma.pixels[top + 2 * x + 1])
                        + UInt16(luma.pixels[bottom + 2 * x]) + UInt16(luma.pixels[bottom + 2 * x + 1])
                }
            }
            self.sums = sums
        }
    }

    /// `backgroundMotion` leaves out the person: the face box grown by
    /// this share of its width on either side (hair, ears, shoulders), by
    /// this share of its height above (hair), and everything below the
    /// face (neck, body), since all of these move with a live person.
    /// 0.75 a side makes the excluded band 2.5 face widths wide, about an
    /// adult's shoulder width (biacromial breadth ~35-40 cm against the
    /// 14-16.5 cm Haar face box pad.py sizes faces by); 0.5 above covers
    /// the hair.
    static let motionPersonMarginX = 0.75
    static let motionPersonMarginTop = 0.5
    /// A sample counts when its central-difference gradient, |∂x| + |∂y|
    /// in luma codes of the 2×2 mean, reaches this: in the corpus's
    /// captures the 2×2 mean's temporal noise is about 1-2 codes (sensor.py:
    /// 3 e- read noise and shot noise at gain 1.5-4, halved by the
    /// averaging), so on a still scene |ΔI| / |∇I| stays near 0.1 samples
    /// and a shift of one sample reads near 1. Measured on the seed-7
    /// train split with this threshold: live captures 0-0.07, screens up
    /// to 0.82 (34 of 40 above 0.1).
    static let motionGradient = 16
    /// Fewer samples than this away from the person (a face filling the
    /// frame, a featureless wall) and the measure is not taken: with 200
    /// the median's own sampling error is about 1.25/√200 ≈ 0.09 of the
    /// ratios' spread, small beside the live-to-attack gap above, while a
    /// 640×360 half frame leaves tens of thousands of samples beside an
    /// ordinary face.
    static let motionMinimumSamples = 200

    /// How far the scene away from the person moved between two sampled
    /// frames, in samples of the 2×2 mean: the median, over samples with a
    /// strong gradient outside the person (`motionPersonMargin…`), of
    /// |ΔI| / |∇I|, the normal flow's length. A live person moves against
    /// a still room; a hand-held print or screen that fills the frame moves
    /// everything it shows, what looks like the room included (face and
    /// background motion agree: Anjos and Marcel, IJCB 2011, against photo
    /// attacks). A sheet or screen that does not fill the frame leaves the
    /// real room still and shows its edge instead (`straightEdge`). A
    /// camera that is itself moved, or a crowd behind the person, moves
    /// the background of a live session too: a hint, not proof. `face` is
    /// in full-resolution pixels; nil when the planes differ in size or
    /// too few samples qualify.
    public static func backgroundMotion(previous: HalfPlane, current: HalfPlane, face: FaceBox) -> Double? {
        let w = current.width, h = current.height
        guard previous.width == w, previous.height == h, w >= 3, h >= 3 else { return nil }
        let personX0 = (Double(face.x) - motionPersonMarginX * Double(face.width)) / 2
        let personX1 = (Double(face.x + face.width) + motionPersonMarginX * Double(face.width)) / 2
        let personY0 = (Double(face.y) - motionPersonMarginTop * Double(face.height)) / 2
        // Sums of four samples: the gradient threshold and the ratio are
        // taken on the sums, which scales both sides alike.
        let threshold = 4 * motionGradient
        var ratios: [Double] = []
        ratios.reserveCapacity(w * h / 4)
        current.sums.withUnsafeBufferPointer { now in
            previous.sums.withUnsafeBufferPointer { before in
                for y in 1..<(h - 1) {
                    let inPersonRows = Double(y) >= personY0
                    for x in 1..<(w - 1) {
                        if inPersonRows, Double(x) >= personX0, Double(x) <= personX1 { continue }
                        let index = y * w + x
                        let gradient = abs(Int(now[index + 1]) - Int(now[index - 1])) / 2 + abs(Int(now[index + w]) - Int(now[index - w])) / 2
                        guard gradient >= threshold else { continue }
                        ratios.append(Double(abs(Int(now[index]) - Int(before[index]))) / Double(gradient))
                    }
                }
            }
        }
        guard ratios.count >= motionMinimumSamples else { return nil }
        ratios.sort()
        return ratios[ratios.count / 2]
    }

    static func samples(_ luma: LumaPlane, _ box: FaceBox) -> [Double] {
        var out = [Double](repeating: 0, count: box.width * box.height)
        for row in 0..<box.height {
            let start = (box.y + row) * luma.width + box.x
            for column in 0..<box.width { out[row * box.width + column] = Double(luma.pixels[start + column]) }
        }
        return out
    }

    /// A square of `side` beside the face (left if it fits, else right),
    /// at the face's height, wholly inside the frame and off the face.
    static func backgroundCrop(beside face: FaceBox, side: Int, width: Int, height: Int) -> FaceBox? {
        let y = min(max(0, Int(face.centreY) - side / 2), height - side)
        guard y >= 0 else { return nil }
        // A quarter face away: clear of the hair and ears the box leaves out.
        let gap = face.width / 4
        if face.x - gap - side >= 0 { return FaceBox(x: face.x - gap - side, y: y, width: side, height: side) }
        if face.x + face.width + gap + side <= width { return FaceBox(x: face.x + face.width + gap, y: y, width: side, height: side) }
        return nil
    }

    /// Uniform-pattern index of each 8-bit LBP code: the 58 codes with at
    /// most two 0/1 transitions around the circle get 0...57, the rest 58.
    static let uniformIndex: [Int] = {
        var table = [Int](repeating: 58, count: 256)
        var next = 0
        for code in 0..<256 {
            var transitions = 0
            for bit in 0..<8 where ((code >> bit) & 1) != ((code >> ((bit + 1) % 8)) & 1) { transitions += 1 }
            if transitions <= 2 {
                table[code] = next
                next += 1
            }
        }
        return table
    }()

    /// The six channel histograms, concatenated: Y, Cb, Cr, then H, S, V
    /// from the same pixels converted to RGB (BT.601, full range).
    static func colourLBP(luma: LumaPlane, chroma: ChromaPlanes, face: FaceBox) -> [Double] {
        let side = textureSide
        var channels = [[Double]](repeating: [Double](repeating: 0, count: side * side), count: lbpChannels)
        for row in 0..<side {
            for column in 0..<side {
                // Area average over the source cell (nearest chroma sample).
                let x0 = face.x + column * face.width / side, x1 = max(x0 + 1, face.x + (column + 1) * face.width / side)
                let y0 = face.y + row * face.height / side, y1 = max(y0 + 1, face.y + (row + 1) * face.height / side)
                var y = 0.0, cb = 0.0, cr = 0.0
                for sy in y0..<y1 {
                    for sx in x0..<x1 {
                        y += Double(luma.pixels[sy * luma.width + sx])
                        cb += Double(chroma.cb(x: sx, y: sy))
                        cr += Double(chroma.cr(x: sx, y: sy))
                    }
                }
                let n = Double((y1 - y0) * (x1 - x0))
                y /= n
                cb /= n
                cr /= n
                let at = row * side + column
                channels[0][at] = y
                channels[1][at] = cb
                channels[2][at] = cr
                let r = min(255, max(0, y + 1.402 * (cr - 128)))
                let g = min(255, max(0, y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128)))
                let b = min(255, max(0, y + 1.772 * (cb - 128)))
                let maximum = max(r, g, b), minimum = min(r, g, b), delta = maximum - minimum
                var hue = 0.0
                if delta > 0 {
                    if maximum == r { hue = (g - b) / delta } else if maximum == g { hue = 2 + (b - r) / delta } else { hue = 4 + (r - g) / delta }
                    hue = (hue < 0 ? hue + 6 : hue) / 6 * 255
                }
                channels[3][at] = hue
                channels[4][at] = maximum > 0 ? delta / maximum * 255 : 0
                channels[5][at] = maximum
            }
        }
        var histogram = [Double](repeating: 0, count: colourLBPCount)
        let weight = 1 / Double((side - 2) * (side - 2))
        // The 8 neighbours, clockwise from the top-left, as index offsets.
        let ringOffsets = [-side - 1, -side, -side + 1, 1, side + 1, side, side - 1, -1]
        for (channel, values) in channels.enumerated() {
            for row in 1..<(side - 1) {
                for column in 1..<(side - 1) {
                    let at = row * side + column
                    let centre = values[at]
                    var code = 0
                    for (bit, offset) in ringOffsets.enumerated() where values[at + offset] >= centre { code |= 1 << bit }
                    histogram[channel * lbpBins + uniformIndex[code]] += weight
                }
            }
        }
        return histogram
    }
}
