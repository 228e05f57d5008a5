import FrameForensics

/// What an operator needs to tell a person how to retake a capture: the
/// face's sharpness, exposure and framing, measured on one frame. Pure
/// measurements; `FaceQualityPolicy` judges them.
public struct FaceQuality: Hashable, Sendable, Codable {
    /// Variance of the 4-neighbour Laplacian over the face box (Pech-Pacheco
    /// et al., ICPR 2000, the usual focus measure), per mille of the face's
    /// own variance, so exposure and contrast do not read as focus. The face
    /// is first resampled to `FaceQuality.normalisedSide` pixels, so the
    /// figure does not grow with its size, and smoothed by a 3×3 binomial,
    /// so sensor noise does not read as detail (without it, white noise of
    /// σ = 2 codes alone reads as well focused as a slightly blurred face).
    public var sharpness: Double
    /// Mean luma (0–255) over the face box.
    public var meanLuma: Double
    /// Share of face pixels at or below 5 / at or above 250: crushed or blown.
    public var clippedDark: Double
    public var clippedBright: Double
    /// Darker half over brighter half of the face (left against right),
    /// 1 for even light, towards 0 for light from one side.
    public var lightingUniformity: Double
    /// Face box height over frame height.
    public var size: Double
    /// Face centre's offset from the frame centre, in half-frame units
    /// (−1 left/top edge … 1 right/bottom edge).
    public var offsetX: Double
    public var offsetY: Double
    /// The face box touches the frame border: part of the head is likely
    /// outside the picture.
    public var cutOff: Bool

    enum CodingKeys: String, CodingKey {
        case sharpness, size
        case meanLuma = "mean_luma"
        case clippedDark = "clipped_dark"
        case clippedBright = "clipped_bright"
        case lightingUniformity = "lighting_uniformity"
        case offsetX = "offset_x"
        case offsetY = "offset_y"
        case cutOff = "cut_off"
    }

    /// Faces are compared at this side: about the median face in a 720p
    /// kiosk frame, and a multiple of the cascades' 24-pixel window.
    public static let normalisedSide = 96
    /// Luma at or below/above which a pixel counts as clipped: within the
    /// few codes of 0 and 255 where sensor noise no longer straddles the
    /// limit.
    static let darkClip: UInt8 = 5
    static let brightClip: UInt8 = 250
    /// A box within this many pixels of the border counts as touching it;
    /// detector boxes jitter by about 2 px between frames.
    static let borderMargin = 2

    public static func measure(_ plane: LumaPlane, face: FaceBox) -> FaceQuality? {
        guard let box = face.clipped(width: plane.width, height: plane.height), box.width >= 3, box.height >= 3 else { return nil }
        var sum = 0.0
        var dark = 0
        var bright = 0
        var leftSum = 0.0, rightSum = 0.0
        let half = box.x + box.width / 2
        for y in box.y..<(box.y + box.height) {
            let row = y * plane.width
            for x in box.x..<(box.x + box.width) {
                let value = plane.pixels[row + x]
                sum += Double(value)
                if value <= darkClip { dark += 1 }
                if value >= brightClip { bright += 1 }
                if x < half { leftSum += Double(value) } else { rightSum += Double(value) }
            }
        }
        let count = Double(box.width * box.height)
        let leftCount = Double((half - box.x) * box.height)
        let rightCount = count - leftCount
        let leftMean = leftCount > 0 ? leftSum / leftCount : 0
        let rightMean = rightCount > 0 ? rightSum / rightCount : 0
        let brighter = max(leftMean, rightMean)
        let uniformity = brighter > 0 ? min(leftMean, rightMean) / brighter : 1
        let margin = borderMargin
        return FaceQuality(
            sharpness: normalisedSharpness(plane, box),
            meanLuma: sum / count, clippedDark: Double(dark) / count, clippedBright: Double(bright) / count,
            lightingUniformity: uniformity,
            size: Double(face.height) / Double(plane.height),
            offsetX: (face.centreX - Double(plane.width) / 2) / (Double(plane.width) / 2),
            offsetY: (face.centreY - Double(plane.height) / 2) / (Double(plane.height) / 2),
            cutOff: face.x <= margin || face.y <= margin || face.x + face.width >= plane.width - margin || face.y + face.height >= plane.height - margin)
    }

    /// Laplacian variance of the face resampled (area average) to the
    /// normalised side and smoothed; a box smaller than that is read at its
    /// own size.
    static func normalisedSharpness(_ plane: LumaPlane, _ box: FaceBox) -> Double {
        let side = normalisedSide
        let width = min(side, box.width), height = min(side, box.height)
        var patch = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            let y0 = box.y + y * box.height / height, y1 = max(y0 + 1, box.y + (y + 1) * box.height / height)
            for x in 0..<width {
                let x0 = box.x + x * box.width / width, x1 = max(x0 + 1, box.x + (x + 1) * box.width / width)
                var total = 0
                for yy in y0..<y1 {
                    let row = yy * plane.width
                    for xx in x0..<x1 { total += Int(plane.pixels[row + xx]) }
                }
                patch[y * width + x] = Double(total) / Double((y1 - y0) * (x1 - x0))
            }
        }
        guard width >= 3, height >= 3 else { return 0 }
        // [1 2 1]/4 along rows, then along columns, edges replicated.
        var rows = patch
        for y in 0..<height {
            for x in 0..<width {
                let left = patch[y * width + max(x - 1, 0)], right = patch[y * width + min(x + 1, width - 1)]
                rows[y * width + x] = (left + 2 * patch[y * width + x] + right) / 4
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                let up = rows[max(y - 1, 0) * width + x], down = rows[min(y + 1, height - 1) * width + x]
                patch[y * width + x] = (up + 2 * rows[y * width + x] + down) / 4
            }
        }
        var sum = 0.0, squares = 0.0, n = 0.0
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                let at = y * width + x
                let value = patch[at - 1] + patch[at + 1] + patch[at - width] + patch[at + width] - 4 * patch[at]
                sum += value
                squares += value * value
                n += 1
            }
        }
        let mean = sum / n
        let laplacianVariance = squares / n - mean * mean
        let patchMean = patch.reduce(0, +) / Double(patch.count)
        let patchVariance = patch.reduce(0) { $0 + ($1 - patchMean) * ($1 - patchMean) } / Double(patch.count)
        // A flat patch has no detail to be sharp or blurred: report 0.
        guard patchVariance > 1e-9 else { return 0 }
        return 1000 * laplacianVariance / patchVariance
    }
}
