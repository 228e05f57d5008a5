import FrameForensics

/// The image pyramid's arithmetic, written to match OpenCV 4.x exactly so
/// that the detector sees the same pixels and integrals as
/// `cv::CascadeClassifier`: its scale list, its rounding, its bit-exact
/// bilinear downscale (INTER_LINEAR_EXACT) and its integral images.
enum OpenCVRounding {
    /// cvRound: round half to even, as the x86-64 conversion instructions do.
    @inline(__always) static func round(_ value: Double) -> Int { Int(value.rounded(.toNearestOrEven)) }
    @inline(__always) static func round(_ value: Float) -> Int { Int(value.rounded(.toNearestOrEven)) }
}

enum BitExactResize {
    /// Fractional bits of OpenCV's `ufixedpoint16` interpolation weights
    /// for 8-bit images (resize.cpp, fixedpoint.inl.hpp).
    static let weightBits = 8

    /// Per destination coordinate: the first source index and the weights of
    /// it and its successor, in 1/256 (they sum to 256).
    struct Taps {
        var index: [Int32]
        var weightFirst: [UInt32]
        var weightSecond: [UInt32]
    }

    /// Source positions (d + ½)·(source/destination) − ½, clamped at both
    /// borders, as resize_bitExact computes them.
    static func taps(source: Int, destination: Int) -> Taps {
        let scale = 1.0 / (Double(destination) / Double(source))
        var index = [Int32](repeating: 0, count: destination)
        var first = [UInt32](repeating: 0, count: destination)
        var second = [UInt32](repeating: 0, count: destination)
        let one = UInt32(1 << weightBits)
        for d in 0..<destination {
            var position = (Double(d) + 0.5) * scale - 0.5
            var start = Int(position.rounded(.down))
            position -= Double(start)
            if start < 0 {
                start = 0
                position = 0
            }
            if start >= source - 1 {
                start = source - 1
                position = 0
            }
            let weight = UInt32(OpenCVRounding.round(position * Double(one)))
            index[d] = Int32(start)
            second[d] = weight
            first[d] = one - weight
        }
        return Taps(index: index, weightFirst: first, weightSecond: second)
    }

    /// Downscales (or copies) `image` to `width × height`, rows of `stride`
    /// bytes into `output`.
    static func resize(_ image: LumaPlane, width: Int, height: Int, into output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        if width == image.width && height == image.height {
            output.append(contentsOf: image.pixels)
            return
        }
        output.append(contentsOf: repeatElement(0, count: width * height))
        let columns = taps(source: image.width, destination: width)
        let rows = taps(source: image.height, destination: height)
        let sourceWidth = image.width
        let sourceHeight = image.height
        // One horizontally interpolated row per source row, in 8.8 fixed point,
        // computed lazily: a destination row needs two source rows.
        var horizontal = [UInt32](repeating: 0, count: 2 * width)
        var cachedRows = (-1, -1)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                horizontal.withUnsafeMutableBufferPointer { line in
                    columns.index.withUnsafeBufferPointer { xIndex in
                    columns.weightFirst.withUnsafeBufferPointer { xFirst in
                    columns.weightSecond.withUnsafeBufferPointer { xSecond in
                        func interpolate(row: Int, slot: Int) {
                            let base = row * sourceWidth
                            let out = slot * width
                            for x in 0..<width {
                                let s = base + Int(xIndex[x])
                                let next = Int(xIndex[x]) + 1 < sourceWidth ? s + 1 : s
                                line[out + x] = UInt32(source[s]) &* xFirst[x] &+ UInt32(source[next]) &* xSecond[x]
                            }
                        }
                        for y in 0..<height {
                            let top = Int(rows.index[y])
                            let bottom = min(top + 1, sourceHeight - 1)
                            let topSlot = top % 2
                            let bottomSlot = bottom % 2
                            if cachedRows.0 != top && cachedRows.1 != top {
                                interpolate(row: top, slot: topSlot)
                                if topSlot == 0 { cachedRows.0 = top } else { cachedRows.1 = top }
                            }
                            if bottom != top, cachedRows.0 != bottom && cachedRows.1 != bottom {
                                interpolate(row: bottom, slot: bottomSlot)
                                if bottomSlot == 0 { cachedRows.0 = bottom } else { cachedRows.1 = bottom }
                            }
                            let wTop = rows.weightFirst[y]
                            let wBottom = rows.weightSecond[y]
                            let topLine = topSlot * width
                            let bottomLine = bottomSlot * width
                            let out = y * width
                            // 8.8 × 8.8 → 16.16, rounded to the nearest integer.
                            for x in 0..<width {
                                let value = line[topLine + x] &* wTop &+ line[bottomLine + x] &* wBottom
                                target[out + x] = UInt8(truncatingIfNeeded: (value &+ 32768) >> 16)
                            }
                        }
                    }
                    }
                    }
                }
            }
        }
    }
}

/// Integral images of one pyramid level, (width+1) × (height+1) points with
/// a row stride shared by every level, so feature offsets are computed once
/// per detection. Sums wrap in 32 bits exactly like OpenCV's CV_32S
/// integrals; any window's sum is small enough to come out exact.
struct IntegralImages {
    var stride: Int
    var sum: [Int32]
    var squares: [UInt32]
    /// Rotated (45°) integral, only for cascades with tilted features. It is
    /// padded on both sides by `tiltedPad` columns so its recurrence never
    /// leaves the buffer; pad and stride are fixed by the largest level.
    var tilted: [Int32]
    let tiltedStride: Int
    let tiltedPad: Int
    let wantsTilted: Bool

    /// Buffers for the levels of a `width × height` image.
    init(stride: Int, width: Int, height: Int, tilted wantsTilted: Bool) {
        self.stride = stride
        self.wantsTilted = wantsTilted
        sum = []
        squares = []
        tilted = []
        tiltedPad = wantsTilted ? height + 1 : 0
        tiltedStride = wantsTilted ? width + 1 + 2 * tiltedPad : 0
    }

    mutating func compute(pixels: [UInt8], width: Int, height: Int, squares wantSquares: Bool) {
        let points = (height + 1) * stride
        sum.removeAll(keepingCapacity: true)
        sum.append(contentsOf: repeatElement(0, count: points))
        if wantSquares {
            squares.removeAll(keepingCapacity: true)
            squares.append(contentsOf: repeatElement(0, count: points))
        }
        Self.integrate(pixels, width: width, height: height, stride: stride, into: &sum) { Int32($0) }
        if wantSquares {
            Self.integrate(pixels, width: width, height: height, stride: stride, into: &squares) { UInt32($0) &* UInt32($0) }
        }
        if wantsTilted { computeTilted(pixels: pixels, width: width, height: height) }
    }

    /// I(x+1, y+1) = I(x+1, y) + Σ value(row y, columns ≤ x), with row and
    /// column 0 left zero; sums wrap as OpenCV's CV_32S integrals do.
    @inline(__always)
    private static func integrate<T: FixedWidthInteger>(_ pixels: [UInt8], width: Int, height: Int, stride: Int, into table: inout [T],
                                                        value: (UInt8) -> T) {
        pixels.withUnsafeBufferPointer { source in
            table.withUnsafeMutableBufferPointer { sums in
                for y in 0..<height {
                    var rowSum: T = 0
                    let above = y * stride
                    let here = (y + 1) * stride
                    let row = y * width
                    for x in 0..<width {
                        rowSum &+= value(source[row + x])
                        sums[here + x + 1] = sums[above + x + 1] &+ rowSum
                    }
                }
            }
        }
    }

    /// T(X, Y) = Σ I(x, y) over y < Y and |x − X + 1| ≤ Y − y − 1 (OpenCV's
    /// definition), through T(X,Y) = T(X−1,Y−1) + T(X+1,Y−1) − T(X,Y−2)
    /// + I(X−1,Y−1) + I(X−1,Y−2). T vanishes for X ≤ −Y and X ≥ width + Y,
    /// so a pad of height+1 columns on each side keeps it exact.
    private mutating func computeTilted(pixels: [UInt8], width: Int, height: Int) {
        let pad = tiltedPad
        let columns = tiltedStride
        tilted.removeAll(keepingCapacity: true)
        tilted.append(contentsOf: repeatElement(0, count: (height + 1) * columns))
        pixels.withUnsafeBufferPointer { source in
            tilted.withUnsafeMutableBufferPointer { t in
                func pixel(_ x: Int, _ y: Int) -> Int32 {
                    guard x >= 0, x < width, y >= 0, y < height else { return 0 }
                    return Int32(source[y * width + x])
                }
                for y in 1...max(height, 1) where height > 0 {
                    for column in 0..<columns {
                        let x = column - pad
                        let upLeft = column > 0 ? t[(y - 1) * columns + column - 1] : 0
                        let upRight = column + 1 < columns ? t[(y - 1) * columns + column + 1] : 0
                        let twoUp = y >= 2 ? t[(y - 2) * columns + column] : 0
                        t[y * columns + column] = upLeft &+ upRight &- twoUp &+ pixel(x - 1, y - 1) &+ pixel(x - 1, y - 2)
                    }
                }
            }
        }
    }
}
