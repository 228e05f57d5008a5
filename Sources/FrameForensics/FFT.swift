import Glibc

/// A radix-2 complex FFT over power-of-two sizes, and the 2-D circular
/// cross-correlation PCE needs. Written here because CaptureGuard links no
/// numeric library; it is textbook Cooley–Tukey (iterative, bit-reversed),
/// checked in the tests against a direct DFT.
struct FFT {
    let size: Int
    private let cosines: [Double]
    private let sines: [Double]
    private let reversed: [Int]

    /// Nil unless `size` is a power of two ≥ 2.
    init?(size: Int) {
        guard size >= 2, size & (size - 1) == 0 else { return nil }
        self.size = size
        cosines = (0..<(size / 2)).map { cos(-2 * Double.pi * Double($0) / Double(size)) }
        sines = (0..<(size / 2)).map { sin(-2 * Double.pi * Double($0) / Double(size)) }
        let bits = size.trailingZeroBitCount
        reversed = (0..<size).map { index in
            var value = 0
            for bit in 0..<bits where index & (1 << bit) != 0 { value |= 1 << (bits - 1 - bit) }
            return value
        }
    }

    /// In place over `size` contiguous samples. `inverse` conjugates the
    /// twiddles; the caller scales by 1/size.
    func transform(_ real: UnsafeMutablePointer<Double>, _ imaginary: UnsafeMutablePointer<Double>, inverse: Bool) {
        reversed.withUnsafeBufferPointer { reversed in
            for index in 0..<size {
                let target = reversed[index]
                if target > index {
                    (real[index], real[target]) = (real[target], real[index])
                    (imaginary[index], imaginary[target]) = (imaginary[target], imaginary[index])
                }
            }
        }
        let direction = inverse ? -1.0 : 1.0
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                var length = 2
                while length <= size {
                    let half = length / 2
                    let step = size / length
                    var start = 0
                    while start < size {
                        for k in 0..<half {
                            let c = cosines[k * step]
                            let s = direction * sines[k * step]
                            let top = start + k
                            let bottom = top + half
                            let re = real[bottom] * c - imaginary[bottom] * s
                            let im = real[bottom] * s + imaginary[bottom] * c
                            real[bottom] = real[top] - re
                            imaginary[bottom] = imaginary[top] - im
                            real[top] += re
                            imaginary[top] += im
                        }
                        start += length
                    }
                    length *= 2
                }
            }
        }
    }

    /// A 2-D transform of a row-major `width × height` complex image in
    /// place: rows, then columns through a contiguous scratch copy (a
    /// strided column walk misses the cache on every sample).
    static func transform2D(_ real: inout [Double], _ imaginary: inout [Double], width: Int, height: Int, inverse: Bool) -> Bool {
        guard real.count == width * height, imaginary.count == real.count, let rows = FFT(size: width), let columns = FFT(size: height) else { return false }
        let columnReal = UnsafeMutablePointer<Double>.allocate(capacity: height)
        let columnImaginary = UnsafeMutablePointer<Double>.allocate(capacity: height)
        defer {
            columnReal.deallocate()
            columnImaginary.deallocate()
        }
        real.withUnsafeMutableBufferPointer { r in
            imaginary.withUnsafeMutableBufferPointer { i in
                guard let rp = r.baseAddress, let ip = i.baseAddress else { return }
                for y in 0..<height { rows.transform(rp + y * width, ip + y * width, inverse: inverse) }
                for x in 0..<width {
                    for y in 0..<height {
                        columnReal[y] = rp[y * width + x]
                        columnImaginary[y] = ip[y * width + x]
                    }
                    columns.transform(columnReal, columnImaginary, inverse: inverse)
                    for y in 0..<height {
                        rp[y * width + x] = columnReal[y]
                        ip[y * width + x] = columnImaginary[y]
                    }
                }
            }
        }
        return true
    }

    /// The circular cross-correlation of two real `width × height` images
    /// (row-major): result[s] = Σ a(p) · b(p − s). Both images go through
    /// one complex transform (a + i·b) and are separated by symmetry, so
    /// the whole takes two 2-D FFTs.
    static func crossCorrelation(_ a: [Double], _ b: [Double], width: Int, height: Int) -> [Double]? {
        guard a.count == width * height, b.count == a.count else { return nil }
        var real = a
        var imaginary = b
        guard transform2D(&real, &imaginary, width: width, height: height, inverse: false) else { return nil }
        var productReal = [Double](repeating: 0, count: a.count)
        var productImaginary = [Double](repeating: 0, count: a.count)
        for y in 0..<height {
            let mirrorY = (height - y) % height
            for x in 0..<width {
                let k = y * width + x
                let m = mirrorY * width + (width - x) % width
                // A = (Z[k] + conj Z[−k]) / 2, B = (Z[k] − conj Z[−k]) / 2i
                let aRe = (real[k] + real[m]) / 2, aIm = (imaginary[k] - imaginary[m]) / 2
                let bRe = (imaginary[k] + imaginary[m]) / 2, bIm = -(real[k] - real[m]) / 2
                productReal[k] = aRe * bRe + aIm * bIm
                productImaginary[k] = aIm * bRe - aRe * bIm
            }
        }
        guard transform2D(&productReal, &productImaginary, width: width, height: height, inverse: true) else { return nil }
        let scale = 1 / Double(width * height)
        return productReal.map { $0 * scale }
    }

    /// |FFT|² of a real `width × height` image (row-major).
    static func powerSpectrum(_ image: [Double], width: Int, height: Int) -> [Double]? {
        var real = image
        var imaginary = [Double](repeating: 0, count: image.count)
        guard transform2D(&real, &imaginary, width: width, height: height, inverse: false) else { return nil }
        return zip(real, imaginary).map { $0 * $0 + $1 * $1 }
    }
}
