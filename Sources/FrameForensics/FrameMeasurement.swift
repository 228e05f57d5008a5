import CaptureModel
import Glibc

/// What one frame contributes to the session analysers, measured in one
/// pass over its luma (and the two planes before it). Only these values are
/// kept; the planes are not.
public struct FrameMeasurement: Hashable, Sendable {
    public var metadata: FrameMetadata
    public var format: FrameFormat
    public var payloadBytes: Int
    /// Nil when the frame had no luma (it would not decode).
    public var luma: LumaStatistics?
    /// Against the previous frame; nil for the first frame or a size change.
    public var pair: PairStatistics?

    public init(metadata: FrameMetadata, format: FrameFormat, payloadBytes: Int, luma: LumaStatistics?, pair: PairStatistics?) {
        self.metadata = metadata
        self.format = format
        self.payloadBytes = payloadBytes
        self.luma = luma
        self.pair = pair
    }
}

/// Statistics of a single luma plane.
public struct LumaStatistics: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public var mean: Double
    /// Share of pixels at ≤ 2 or ≥ 253: black or saturated, no noise to read.
    public var clippedFraction: Double
    /// A 64-bit digest of every pixel, for exact repeats at any distance.
    public var digest: UInt64
    /// Mean luma of a coarse grid of cells: a compact signature for near
    /// repeats, loops and cuts, insensitive to noise.
    public var signature: [Float]
    /// Immerkær's σ estimate (CVIU 1996) from the 3×3 Laplacian-difference
    /// mask, on every second pixel of every second row.
    public var spatialNoise: Double
    /// Mean |Y(x+1) − Y(x)| by x mod 8, and mean |Y(y+1) − Y(y)| by y mod 8,
    /// for each quadrant of the frame (8 values per quadrant, quadrants in
    /// reading order): a transform codec's 8×8 (and 4×4) grid shows at
    /// phases 3 and 7, and covers the whole frame.
    public var columnPhaseDifferences: [Double]
    public var rowPhaseDifferences: [Double]
}

/// Statistics of the difference between a frame and the one before it,
/// over 16×16 blocks that are neither black nor saturated.
public struct PairStatistics: Hashable, Sendable {
    /// Bit-identical to the previous frame.
    public var identical: Bool
    public var usableBlocks: Int
    /// Blocks whose difference is explained by noise (no motion).
    public var staticBlocks: Int
    /// Usable blocks with not one pixel changed.
    public var zeroBlocks: Int
    /// σ² of the temporal noise: median over static blocks of var(d)/2.
    public var temporalVariance: Double?
    /// Lag-1 correlation of the difference image inside static blocks,
    /// horizontally and vertically: demosaicing and compression make sensor
    /// noise spatially correlated; noise added per pixel in software is white.
    public var horizontalCorrelation: Double?
    public var verticalCorrelation: Double?
    /// Correlation of this difference with the previous one inside static
    /// blocks: −0.5 when every frame's noise is new.
    public var temporalCorrelation: Double?
    /// Static blocks' noise variance by block mean (16 bins of 16 levels):
    /// sums and counts, for the noise-versus-intensity curve.
    public var binVarianceSums: [Double]
    public var binCounts: [Int]
}

public enum FrameMeasurer {
    /// 16×16 blocks: 256 differences give a block's noise variance to
    /// about ±9%, and a 720p frame still holds 3,600 of them to tell still
    /// regions from moving ones (and 16 is the codecs' macroblock).
    public static let blockSize = 16
    static let momentCount = 7
    /// Levels a still block's mean may shift between frames: an exposure
    /// step of an auto-exposure loop (a few percent of a mid-grey level);
    /// motion across a textured block shifts it by far more.
    static let maximumStaticDrift = 2.0
    /// Pixels at or below 2 or at or above 253 are clipped: their noise is
    /// cut off (limited-range video puts black at 16 and white at 235, so
    /// only a saturated or crushed sensor reaches these).
    static let clipLow = 3
    static let clipHigh = 252
    /// The signature grid: at most this many cells across and down. 16×12
    /// cells of 80×60 pixels at 720p average the noise to a few hundredths
    /// of a level, while a head turning still changes several cells.
    static let signatureColumns = 16
    static let signatureRows = 12

    /// Measures `current`, against `previous` and `beforePrevious` when they
    /// have the same size.
    public static func measure(_ current: LumaPlane, previous: LumaPlane?, beforePrevious: LumaPlane?) -> (LumaStatistics, PairStatistics?) {
        let width = current.width
        let height = current.height
        let previous = previous.flatMap { $0.width == width && $0.height == height ? $0 : nil }
        let beforePrevious = previous == nil ? nil : beforePrevious.flatMap { $0.width == width && $0.height == height ? $0 : nil }
        let blocksAcross = width / blockSize
        let blocksDown = height / blockSize
        let blockCount = blocksAcross * blocksDown

        var blockSums = [Int](repeating: 0, count: blockCount)
        var blockClipped = [Int](repeating: 0, count: blockCount)
        // Per block: Σd, Σd², Σd·d(x+1), Σd·d(y+1), Σd·d_prev, Σd_prev², Σd_prev.
        var moments = [Int](repeating: 0, count: previous == nil ? 0 : blockCount * momentCount)
        var totalClipped = 0
        var total = 0

        // Row by row: the differences of a whole row first (a loop the
        // compiler vectorises), then each block's share of the sums.
        let rowsUsed = blocksDown * blockSize
        let columnsUsed = blocksAcross * blockSize
        var difference = [Int32](repeating: 0, count: columnsUsed)
        var differenceAbove = [Int32](repeating: 0, count: columnsUsed)
        var earlierDifference = [Int32](repeating: 0, count: columnsUsed)
        current.pixels.withUnsafeBufferPointer { currentBuffer in
            withOptionalPointer(previous?.pixels) { p in
                withOptionalPointer(beforePrevious?.pixels) { q in
                    guard let c = currentBuffer.baseAddress else { return }
                    for y in 0..<rowsUsed {
                        let cr = c + y * width
                        let blockRow = (y / blockSize) * blocksAcross
                        for bx in 0..<blocksAcross {
                            var sum = 0
                            var clipped = 0
                            for x in (bx * blockSize)..<((bx + 1) * blockSize) {
                                let value = Int(cr[x])
                                sum &+= value
                                clipped &+= value < clipLow || value > clipHigh ? 1 : 0
                            }
                            blockSums[blockRow + bx] &+= sum
                            blockClipped[blockRow + bx] &+= clipped
                            totalClipped &+= clipped
                        }
                        guard let p else { continue }
                        let pr = p + y * width
                        swap(&difference, &differenceAbove)
                        difference.withUnsafeMutableBufferPointer { d in
                            for x in 0..<columnsUsed { d[x] = Int32(cr[x]) &- Int32(pr[x]) }
                        }
                        if let q {
                            let qr = q + y * width
                            earlierDifference.withUnsafeMutableBufferPointer { e in
                                for x in 0..<columnsUsed { e[x] = Int32(pr[x]) &- Int32(qr[x]) }
                            }
                        }
                        let firstRowOfBlock = y % blockSize == 0
                        difference.withUnsafeBufferPointer { d in
                            differenceAbove.withUnsafeBufferPointer { a in
                                earlierDifference.withUnsafeBufferPointer { e in
                                    for bx in 0..<blocksAcross {
                                        let from = bx * blockSize
                                        var sd: Int32 = 0, sd2: Int32 = 0, sdr: Int32 = 0, sdd: Int32 = 0, sdq: Int32 = 0, sq2: Int32 = 0, sq: Int32 = 0
                                        for x in from..<(from + blockSize) {
                                            let value = d[x]
                                            sd &+= value
                                            sd2 &+= value &* value
                                            sdd &+= value &* a[x]
                                            sdq &+= value &* e[x]
                                            sq2 &+= e[x] &* e[x]
                                            sq &+= e[x]
                                        }
                                        for x in (from + 1)..<(from + blockSize) { sdr &+= d[x] &* d[x - 1] }
                                        let m = (blockRow + bx) * momentCount
                                        moments[m] &+= Int(sd)
                                        moments[m + 1] &+= Int(sd2)
                                        moments[m + 2] &+= Int(sdr)
                                        if !firstRowOfBlock { moments[m + 3] &+= Int(sdd) }
                                        if q != nil {
                                            moments[m + 4] &+= Int(sdq)
                                            moments[m + 5] &+= Int(sq2)
                                            moments[m + 6] &+= Int(sq)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        total = blocksAcross * blocksDown * blockSize * blockSize

        let pixelsPerBlock = Double(blockSize * blockSize)
        let mean = blockCount > 0 ? Double(blockSums.reduce(0, +)) / (pixelsPerBlock * Double(blockCount)) : 0
        let statistics = LumaStatistics(
            width: width, height: height, mean: mean,
            clippedFraction: total > 0 ? Double(totalClipped) / Double(total) : 0,
            digest: digest(current.pixels),
            signature: signature(blockSums, across: blocksAcross, down: blocksDown),
            spatialNoise: immerkaerSigma(current),
            columnPhaseDifferences: quadrants(current).flatMap { columnPhases(current, $0) },
            rowPhaseDifferences: quadrants(current).flatMap { rowPhases(current, $0) })

        guard let previous else { return (statistics, nil) }
        let identical = previous.pixels.withUnsafeBytes { a in current.pixels.withUnsafeBytes { b in
            a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        } }
        return (statistics, pairStatistics(moments: moments, blockSums: blockSums, blockClipped: blockClipped, identical: identical,
                                           hasBeforePrevious: beforePrevious != nil))
    }

    /// Chooses the static blocks and reduces their moments. A block is
    /// static when its difference variance is at most twice the median (for
    /// noise alone the variance of a 256-sample estimate spreads by about
    /// ±9%, so twice the median keeps every still block and drops moving
    /// edges, whose variance is many times the noise's) and its mean moved by
    /// at most `maximumStaticDrift`.
    static func pairStatistics(moments: [Int], blockSums: [Int], blockClipped: [Int], identical: Bool, hasBeforePrevious: Bool) -> PairStatistics {
        let n = Double(blockSize * blockSize)
        var usable: [Int] = []
        var variances: [Double] = []
        for block in 0..<blockSums.count where blockClipped[block] == 0 {
            let m = block * momentCount
            let meanDifference = Double(moments[m]) / n
            usable.append(block)
            variances.append(Double(moments[m + 1]) / n - meanDifference * meanDifference)
        }
        var zeroBlocks = 0
        for block in usable where moments[block * momentCount + 1] == 0 { zeroBlocks += 1 }
        guard let medianVariance = median(variances) else {
            return PairStatistics(identical: identical, usableBlocks: 0, staticBlocks: 0, zeroBlocks: 0, temporalVariance: nil,
                                  horizontalCorrelation: nil, verticalCorrelation: nil, temporalCorrelation: nil,
                                  binVarianceSums: Array(repeating: 0, count: 16), binCounts: Array(repeating: 0, count: 16))
        }
        var staticVariances: [Double] = []
        // Products of differences centred on each block's mean difference:
        // a global brightness step (auto-exposure, flicker) moves every
        // difference alike and must not read as correlated noise.
        let neighbourShare = Double(blockSize - 1) / Double(blockSize)
        var d2 = 0.0, right = 0.0, down = 0.0, cross = 0.0, previous2 = 0.0
        var binSums = [Double](repeating: 0, count: 16)
        var binCounts = [Int](repeating: 0, count: 16)
        for (index, block) in usable.enumerated() {
            let m = block * momentCount
            let variance = variances[index]
            let mean = Double(moments[m]) / n
            guard variance <= 2 * medianVariance, abs(mean) <= maximumStaticDrift else { continue }
            staticVariances.append(variance / 2)
            let previousMean = Double(moments[m + 6]) / n
            d2 += Double(moments[m + 1]) - n * mean * mean
            right += Double(moments[m + 2]) - neighbourShare * n * mean * mean
            down += Double(moments[m + 3]) - neighbourShare * n * mean * mean
            cross += Double(moments[m + 4]) - n * mean * previousMean
            previous2 += Double(moments[m + 5]) - n * previousMean * previousMean
            let bin = min(15, max(0, Int(Double(blockSums[block]) / n) / 16))
            binSums[bin] += variance / 2
            binCounts[bin] += 1
        }
        let energy = d2 > 0 ? d2 : nil
        return PairStatistics(
            identical: identical, usableBlocks: usable.count, staticBlocks: staticVariances.count, zeroBlocks: zeroBlocks,
            temporalVariance: median(staticVariances),
            horizontalCorrelation: energy.map { right / ($0 * neighbourShare) },
            verticalCorrelation: energy.map { down / ($0 * neighbourShare) },
            temporalCorrelation: hasBeforePrevious && d2 > 0 && previous2 > 0 ? cross / (d2 * previous2).squareRoot() : nil,
            binVarianceSums: binSums, binCounts: binCounts)
    }

    static func signature(_ blockSums: [Int], across: Int, down: Int) -> [Float] {
        guard across > 0, down > 0 else { return [] }
        let groupAcross = max(1, across / signatureColumns)
        let groupDown = max(1, down / signatureRows)
        let columns = across / groupAcross
        let rows = down / groupDown
        var cells = [Float](repeating: 0, count: columns * rows)
        let scale = Float(blockSize * blockSize * groupAcross * groupDown)
        for row in 0..<rows {
            for column in 0..<columns {
                var sum = 0
                for by in (row * groupDown)..<((row + 1) * groupDown) {
                    for bx in (column * groupAcross)..<((column + 1) * groupAcross) { sum += blockSums[by * across + bx] }
                }
                cells[row * columns + column] = Float(sum) / scale
            }
        }
        return cells
    }

    /// FNV-1a over 8-byte words (then the tail): only ever compared with
    /// digests of other frames in the same session, never trusted across a
    /// boundary, so a non-cryptographic hash is enough.
    static func digest(_ pixels: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        pixels.withUnsafeBytes { raw in
            let words = raw.count / 8
            for index in 0..<words {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* 0x0000_0100_0000_01b3
            }
            for index in (words * 8)..<raw.count { hash = (hash ^ UInt64(raw[index])) &* 0x0000_0100_0000_01b3 }
        }
        return hash
    }

    /// σ = √(π/2) / 6 · mean |I ∗ N| with N = [[1,−2,1],[−2,4,−2],[1,−2,1]]
    /// (Immerkær, "Fast Noise Variance Estimation", CVIU 64(2), 1996).
    static func immerkaerSigma(_ plane: LumaPlane) -> Double {
        let width = plane.width
        let height = plane.height
        guard width >= 3, height >= 3 else { return 0 }
        var sum = 0
        var count = 0
        plane.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var y = 1
            while y < height - 1 {
                let above = base + (y - 1) * width
                let row = base + y * width
                let below = base + (y + 1) * width
                var x = 1
                while x < width - 1 {
                    let corners = Int(above[x - 1]) + Int(above[x + 1]) + Int(below[x - 1]) + Int(below[x + 1])
                    let edges = Int(above[x]) + Int(below[x]) + Int(row[x - 1]) + Int(row[x + 1])
                    let response = corners - 2 * edges + 4 * Int(row[x])
                    sum &+= response < 0 ? -response : response
                    count &+= 1
                    x += 2
                }
                y += 2
            }
        }
        guard count > 0 else { return 0 }
        return (Double.pi / 2).squareRoot() / 6 * Double(sum) / Double(count)
    }

    /// The frame's quadrants, split on multiples of 8 so phases stay
    /// aligned to the frame's own grid; none for frames under 32×32.
    static func quadrants(_ plane: LumaPlane) -> [(x: Range<Int>, y: Range<Int>)] {
        let midX = plane.width / 16 * 8
        let midY = plane.height / 16 * 8
        guard midX >= 16, midY >= 16 else { return [] }
        return [(0..<midX, 0..<midY), (midX..<plane.width, 0..<midY), (0..<midX, midY..<plane.height), (midX..<plane.width, midY..<plane.height)]
    }

    /// Mean |Y(x+1) − Y(x)| for each x mod 8 inside `region`, on every second row.
    static func columnPhases(_ plane: LumaPlane, _ region: (x: Range<Int>, y: Range<Int>)) -> [Double] {
        let width = plane.width
        guard region.x.count >= 16 else { return [] }
        var s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0
        var rows = 0
        plane.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var y = region.y.lowerBound
            while y < region.y.upperBound {
                let row = base + y * width
                var x = region.x.lowerBound
                while x + 8 < region.x.upperBound {
                    let p = row + x
                    s0 &+= abs(Int(p[1]) - Int(p[0]))
                    s1 &+= abs(Int(p[2]) - Int(p[1]))
                    s2 &+= abs(Int(p[3]) - Int(p[2]))
                    s3 &+= abs(Int(p[4]) - Int(p[3]))
                    s4 &+= abs(Int(p[5]) - Int(p[4]))
                    s5 &+= abs(Int(p[6]) - Int(p[5]))
                    s6 &+= abs(Int(p[7]) - Int(p[6]))
                    s7 &+= abs(Int(p[8]) - Int(p[7]))
                    x += 8
                }
                rows += 1
                y += 2
            }
        }
        let perPhase = Double(rows * ((region.x.count - 1) / 8))
        return perPhase > 0 ? [s0, s1, s2, s3, s4, s5, s6, s7].map { Double($0) / perPhase } : []
    }

    /// Mean |Y(y+1) − Y(y)| for each y mod 8 inside `region`, on every second column.
    static func rowPhases(_ plane: LumaPlane, _ region: (x: Range<Int>, y: Range<Int>)) -> [Double] {
        let width = plane.width
        guard region.y.count >= 16 else { return [] }
        var sums = (0, 0, 0, 0, 0, 0, 0, 0)
        var counts = [Int](repeating: 0, count: 8)
        plane.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for y in region.y.lowerBound..<min(region.y.upperBound, plane.height - 1) {
                let row = base + y * width
                let next = row + width
                var sum = 0
                var x = region.x.lowerBound
                while x < region.x.upperBound {
                    sum &+= abs(Int(next[x]) - Int(row[x]))
                    x += 2
                }
                switch y & 7 {
                case 0: sums.0 &+= sum
                case 1: sums.1 &+= sum
                case 2: sums.2 &+= sum
                case 3: sums.3 &+= sum
                case 4: sums.4 &+= sum
                case 5: sums.5 &+= sum
                case 6: sums.6 &+= sum
                default: sums.7 &+= sum
                }
                counts[y & 7] += (region.x.count + 1) / 2
            }
        }
        let totals = [sums.0, sums.1, sums.2, sums.3, sums.4, sums.5, sums.6, sums.7]
        return zip(totals, counts).map { $1 > 0 ? Double($0) / Double($1) : 0 }
    }
}

private func withOptionalPointer<R>(_ array: [UInt8]?, _ body: (UnsafePointer<UInt8>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
