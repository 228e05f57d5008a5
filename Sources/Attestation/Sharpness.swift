/// Picks the evidence frame: the sharpest, by variance of a 4-neighbour
/// Laplacian over the luma plane (Pech-Pacheco et al., ICPR 2000, the usual
/// focus measure). A pure function over a plane; the face-aware choice comes
/// with the PAD analyser.
public enum Sharpness {
    /// Variance of the Laplacian on every second pixel of every second row
    /// (a quarter of the work; the ranking between frames is unchanged for
    /// blur much wider than 2 px). Luma sample (x, y) is at
    /// `offset + y * stride + x * step`, so packed YUYV is read in place.
    public static func laplacianVariance(luma: UnsafeBufferPointer<UInt8>, width: Int, height: Int, offset: Int = 0, stride: Int, step: Int = 1) -> Double {
        guard width >= 3, height >= 3, step >= 1, luma.count >= offset + stride * (height - 1) + step * (width - 1) + 1 else { return 0 }
        var sum = 0.0
        var sumSquares = 0.0
        var count = 0.0
        var y = 1
        while y < height - 1 {
            let row = offset + y * stride
            var x = 1
            while x < width - 1 {
                let at = row + x * step
                let center = Int(luma[at])
                let value = Int(luma[at - step]) + Int(luma[at + step]) + Int(luma[at - stride]) + Int(luma[at + stride]) - 4 * center
                let v = Double(value)
                sum += v
                sumSquares += v * v
                count += 1
                x += 2
            }
            y += 2
        }
        guard count > 0 else { return 0 }
        let mean = sum / count
        return sumSquares / count - mean * mean
    }
}
