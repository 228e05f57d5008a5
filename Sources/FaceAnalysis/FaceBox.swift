import FrameForensics

/// A box in image pixels: where a face is.
public struct FaceBox: Hashable, Sendable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Int { width * height }
    public var centreX: Double { Double(x) + Double(width) / 2 }
    public var centreY: Double { Double(y) + Double(height) / 2 }

    /// The part inside a `width × height` image; nil when none is.
    public func clipped(width imageWidth: Int, height imageHeight: Int) -> FaceBox? {
        let left = max(x, 0), top = max(y, 0)
        let right = min(x + width, imageWidth), bottom = min(y + height, imageHeight)
        guard right > left, bottom > top else { return nil }
        return FaceBox(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// Intersection over union, 0 for disjoint boxes.
    public func overlap(with other: FaceBox) -> Double {
        let left = max(x, other.x), right = min(x + width, other.x + other.width)
        let top = max(y, other.y), bottom = min(y + height, other.y + other.height)
        guard right > left, bottom > top else { return 0 }
        let intersection = (right - left) * (bottom - top)
        return Double(intersection) / Double(area + other.area - intersection)
    }
}

/// OpenCV's fixed-point BGR→gray (cvtColor, COLOR_BGR2GRAY, 8-bit): the
/// BT.601 weights scaled by 2^15 and rounded. Used for colour stills so the
/// detector sees the same gray image OpenCV would.
public enum GrayConversion {
    public static func luma(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        // 0.299, 0.587 and 0.114 × 32768: the weights opencv-python 4.14
        // uses, checked against its cvtColor for all 2^24 colours.
        UInt8(truncatingIfNeeded: (Int(red) * 9798 + Int(green) * 19235 + Int(blue) * 3735 + 16384) >> 15)
    }

    /// Gray plane of interleaved RGB samples (3 bytes per pixel).
    public static func plane(rgb: [UInt8], width: Int, height: Int) -> LumaPlane? {
        guard width > 0, height > 0, rgb.count == width * height * 3 else { return nil }
        var pixels = [UInt8](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            pixels[index] = luma(red: rgb[3 * index], green: rgb[3 * index + 1], blue: rgb[3 * index + 2])
        }
        return LumaPlane(width: width, height: height, pixels: pixels)
    }
}
