import CaptureModel
import Glibc

/// Double JPEG compression inside an MJPEG stream: a camera compresses each
/// frame once; a replayed clip re-encoded for a virtual camera or a USB
/// gadget was compressed before, with another quantiser. Recomputing the
/// 8×8 DCT of the decoded luma and dividing by the frame's own quantiser
/// gives back the quantised coefficients. Their histogram is smooth and
/// falls away from zero after one compression, and is periodically gapped
/// or ridged after two (Lukáš & Fridrich, DFRWS 2003; Popescu & Farid 2004).
public enum DoubleJPEG {
    /// Low-frequency AC positions (row, column) of the 8×8 DCT: they hold
    /// enough non-zero coefficients per frame to fill a histogram.
    static let positions = [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2)]
    /// Histogram bins 1…`span` on each side of zero: at webcam qualities
    /// the low-frequency coefficients rarely pass 12 quantiser steps, and
    /// the periodic gaps repeat every 2–4 bins, so 12 bins hold several.
    static let span = 12
    /// Non-zero coefficients needed: at 500 a bin of 50 has a Poisson error
    /// of 14%, small against a gap (a bin at zero) or a ridge (twice its
    /// neighbours).
    static let minimumCoefficients = 500
    /// Frames whose coefficients are collected: 10 frames of 640×480 hold
    /// about 48,000 blocks, far above `minimumCoefficients` per position,
    /// and a third of a second at 30 fps.
    public static let framesSampled = 10
    /// Rises of the histogram away from zero, beyond twice their Poisson
    /// standard error, as a share of all counted coefficients. Measured on
    /// a sensor-model clip (640×352, ffmpeg MJPEG 4:2:0): compressed once at
    /// -q:v 3 or 6, 0.0001 or less; the kphotoalbum webcam clip, 0; ffmpeg's
    /// synthetic testsrc2 (flat colours, sharp edges), 0.023; recompressed
    /// to a finer quantiser (-q:v 6 then 3, 8 then 4), 0.92. Recompressed
    /// to a coarser one (3 then 5) scores 0.015 and an integer multiple
    /// (3 then 6) nothing: that case leaves no histogram trace to find.
    static let riseShare = 0.03

    /// The luma quantisation table (natural order, 64 values) of a JPEG: the
    /// DQT the first frame component of the SOF names. Nil when absent.
    public static func lumaQuantiser(_ jpeg: [UInt8]) -> [Int]? {
        var tables: [Int: [Int]] = [:]
        var lumaTable: Int?
        var position = 2
        guard jpeg.count > 4, jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { return nil }
        while position + 4 <= jpeg.count {
            guard jpeg[position] == 0xFF else { return nil }
            let marker = jpeg[position + 1]
            if marker == 0xFF { position += 1; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            let length = Int(jpeg[position + 2]) << 8 | Int(jpeg[position + 3])
            let body = position + 4
            let end = position + 2 + length
            guard length >= 2, end <= jpeg.count else { return nil }
            if marker == 0xDB {
                var at = body
                while at < end {
                    let precision = jpeg[at] >> 4
                    let id = Int(jpeg[at] & 0x0F)
                    let size = precision == 0 ? 64 : 128
                    guard at + 1 + size <= end else { return nil }
                    var natural = [Int](repeating: 0, count: 64)
                    for index in 0..<64 {
                        let value = precision == 0 ? Int(jpeg[at + 1 + index]) : Int(jpeg[at + 1 + 2 * index]) << 8 | Int(jpeg[at + 2 + 2 * index])
                        natural[zigzag[index]] = value
                    }
                    tables[id] = natural
                    at += 1 + size
                }
            } else if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC, length >= 11 {
                // SOF: precision, height, width, component count, then (id, sampling, Tq).
                lumaTable = Int(jpeg[body + 8])
            }
            position = end
        }
        return lumaTable.flatMap { tables[$0] } ?? tables[0]
    }

    /// The natural-order index of each zigzag position (ITU T.81 Figure A.6).
    static let zigzag: [Int] = {
        var order: [Int] = []
        for sum in 0..<15 {
            let cells = (0...sum).compactMap { row -> Int? in
                let column = sum - row
                return row < 8 && column < 8 ? row * 8 + column : nil
            }
            order += sum % 2 == 0 ? cells.reversed() : cells
        }
        return order
    }()

    /// The orthonormal 8-point DCT-II basis: basis[u][x].
    static let basis: [Double] = {
        var values = [Double](repeating: 0, count: 64)
        for u in 0..<8 {
            let scale: Double = u == 0 ? (1.0 / 8).squareRoot() : (2.0 / 8).squareRoot()
            for x in 0..<8 {
                let angle = Double((2 * x + 1) * u) * Double.pi / 16
                values[u * 8 + x] = scale * cos(angle)
            }
        }
        return values
    }()

    /// Coefficient histograms gathered over frames.
    public struct Accumulator: Sendable {
        /// positions × (2·span + 1) counts, bin k at index k + span.
        private(set) var counts = [Int](repeating: 0, count: DoubleJPEG.positions.count * (2 * DoubleJPEG.span + 1))
        public private(set) var frames = 0
        /// Positions whose quantiser step is 1 carry no trace and are skipped.
        private(set) var usablePositions = Set<Int>()

        public init() {}

        /// Adds one frame: its JPEG payload (for the quantiser) and its decoded luma.
        public mutating func add(jpeg: [UInt8], luma: LumaPlane) {
            guard frames < DoubleJPEG.framesSampled, let quantiser = DoubleJPEG.lumaQuantiser(jpeg) else { return }
            frames += 1
            let width = luma.width
            let blocksAcross = width / 8
            let blocksDown = luma.height / 8
            let binCount = 2 * DoubleJPEG.span + 1
            var rows = [Double](repeating: 0, count: 24)   // row transforms for u = 0…2 of each of the 8 rows
            luma.pixels.withUnsafeBufferPointer { pixels in
                DoubleJPEG.basis.withUnsafeBufferPointer { basis in
                    for by in 0..<blocksDown {
                        for bx in 0..<blocksAcross {
                            let origin = by * 8 * width + bx * 8
                            // Horizontal frequencies 0…2 of each row.
                            for y in 0..<8 {
                                let row = origin + y * width
                                for v in 0..<3 {
                                    var sum = 0.0
                                    for x in 0..<8 { sum += (Double(pixels[row + x]) - 128) * basis[v * 8 + x] }
                                    rows[y * 3 + v] = sum
                                }
                            }
                            for (slot, (u, v)) in DoubleJPEG.positions.enumerated() {
                                let step = quantiser[u * 8 + v]
                                guard step >= 2 else { continue }
                                var coefficient = 0.0
                                for y in 0..<8 { coefficient += rows[y * 3 + v] * basis[u * 8 + y] }
                                let k = Int((coefficient / Double(step)).rounded())
                                guard k != 0, abs(k) <= DoubleJPEG.span else { continue }
                                counts[slot * binCount + k + DoubleJPEG.span] += 1
                                usablePositions.insert(slot)
                            }
                        }
                    }
                }
            }
        }

        /// Rises of each histogram away from zero beyond twice their
        /// standard error, summed over positions and sides, over all counts.
        public var riseShare: Double? {
            let binCount = 2 * DoubleJPEG.span + 1
            var rises = 0.0
            var total = 0
            for slot in usablePositions.sorted() {
                let histogram = Array(counts[(slot * binCount)..<((slot + 1) * binCount)])
                total += histogram.reduce(0, +)
                for side in [1, -1] {
                    for magnitude in 1..<DoubleJPEG.span {
                        let inner = Double(histogram[side * magnitude + DoubleJPEG.span])
                        let outer = Double(histogram[side * (magnitude + 1) + DoubleJPEG.span])
                        rises += max(0, outer - inner - 2 * (outer + inner).squareRoot())
                    }
                }
            }
            return total >= DoubleJPEG.minimumCoefficients ? rises / Double(total) : nil
        }
    }

    /// The re-encoding analyser's report for compressed payloads.
    static func analyse(_ accumulator: Accumulator?, analyser name: String) -> AnalyserReport {
        guard let accumulator, accumulator.frames > 0 else {
            return .insufficient(name, "no MJPEG frame with a quantisation table decoded")
        }
        guard let share = accumulator.riseShare else {
            return .insufficient(name, "too few non-zero DCT coefficients for the double-JPEG test")
        }
        var findings: [Finding] = []
        if share >= riseShare {
            findings.append(Finding(code: "double_jpeg", severity: .attack,
                                    message: "the JPEG coefficients show a second quantiser's gaps and ridges: frames compressed before this camera's encoder",
                                    evidence: ["rise_share": evidenceNumber(share, digits: 4), "frames": String(accumulator.frames)]))
        }
        return .ran(name, findings: findings, metrics: ["double_jpeg_rise_share": share, "double_jpeg_frames": Double(accumulator.frames)])
    }
}
