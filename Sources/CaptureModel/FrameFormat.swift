/// The negotiated format of a stream: what `VIDIOC_G_FMT` returns for a
/// single-planar video capture queue.
public struct FrameFormat: Hashable, Sendable, Codable {
    public var pixelFormat: PixelFormat
    public var width: Int
    public var height: Int
    /// Bytes per line of the first plane; 0 for compressed formats.
    public var bytesPerLine: Int
    /// The largest payload a buffer may carry.
    public var sizeImage: Int
    /// `enum v4l2_field`; 1 is `V4L2_FIELD_NONE` (progressive).
    public var field: UInt32
    /// `enum v4l2_colorspace`; 0 is default.
    public var colorspace: UInt32

    public init(pixelFormat: PixelFormat, width: Int, height: Int, bytesPerLine: Int, sizeImage: Int, field: UInt32 = 1, colorspace: UInt32 = 0) {
        self.pixelFormat = pixelFormat
        self.width = width
        self.height = height
        self.bytesPerLine = bytesPerLine
        self.sizeImage = sizeImage
        self.field = field
        self.colorspace = colorspace
    }

    enum CodingKeys: String, CodingKey {
        case width, height, field, colorspace
        case pixelFormat = "fourcc"
        case bytesPerLine = "bytesperline"
        case sizeImage = "sizeimage"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pixelFormat = try c.decode(PixelFormat.self, forKey: .pixelFormat)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        bytesPerLine = try c.decodeIfPresent(Int.self, forKey: .bytesPerLine) ?? 0
        sizeImage = try c.decodeIfPresent(Int.self, forKey: .sizeImage) ?? 0
        field = try c.decodeIfPresent(UInt32.self, forKey: .field) ?? 1
        colorspace = try c.decodeIfPresent(UInt32.self, forKey: .colorspace) ?? 0
    }

    /// The tightly packed layout the kernel's `v4l2_fill_pixfmt()` computes
    /// for this format and size. Nil for a format CaptureGuard cannot lay out
    /// or a non-positive size. Compressed formats get `bytesPerLine` 0 and a
    /// `sizeImage` bound equal to a 4:2:2 frame, which is what most UVC
    /// cameras advertise for MJPEG.
    public static func packed(_ pixelFormat: PixelFormat, width: Int, height: Int) -> FrameFormat? {
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else { return nil }
        if pixelFormat.isCompressed {
            return FrameFormat(pixelFormat: pixelFormat, width: width, height: height, bytesPerLine: 0, sizeImage: width * height * 2)
        }
        guard let layout = PlaneGeometry(pixelFormat) else { return nil }
        let bytesPerLine = width * layout.bytesPerPixel[0]
        var size = 0
        for plane in 0..<layout.bytesPerPixel.count {
            let hdiv = plane == 0 ? 1 : layout.horizontalSubsampling
            let vdiv = plane == 0 ? 1 : layout.verticalSubsampling
            size += layout.bytesPerPixel[plane] * ceilDiv(width, hdiv) * ceilDiv(height, vdiv)
        }
        return FrameFormat(pixelFormat: pixelFormat, width: width, height: height, bytesPerLine: bytesPerLine, sizeImage: size)
    }

    /// The largest frame side V4L2 drivers accept (vivid's limit; the UVC
    /// specification's wWidth is 16 bits).
    public static let maximumSide = 1 << 15
    /// Line padding beyond this many bytes is no driver's: the widest packed
    /// line, 32768 RGB24 pixels, is 96 KiB.
    public static let maximumBytesPerLine = 1 << 20

    /// False for sizes no driver produces; a capture header with such a
    /// format is corrupt or crafted, and the layout arithmetic must never
    /// see it.
    public var isPlausible: Bool {
        (1...Self.maximumSide).contains(width) && (1...Self.maximumSide).contains(height)
            && (0...Self.maximumBytesPerLine).contains(bytesPerLine) && sizeImage >= 0
    }

    /// The planes of an uncompressed frame in this format, honouring any
    /// line padding the driver chose (`bytesPerLine` larger than packed).
    /// Nil for compressed or unknown formats and implausible sizes.
    public var planes: [PlaneLayout]? {
        guard isPlausible, !pixelFormat.isCompressed, let geometry = PlaneGeometry(pixelFormat) else { return nil }
        let lumaStride = max(bytesPerLine, width * geometry.bytesPerPixel[0])
        var result: [PlaneLayout] = []
        var offset = 0
        for plane in 0..<geometry.bytesPerPixel.count {
            let hdiv = plane == 0 ? 1 : geometry.horizontalSubsampling
            let vdiv = plane == 0 ? 1 : geometry.verticalSubsampling
            let samples = ceilDiv(width, hdiv)
            let rows = ceilDiv(height, vdiv)
            // V4L2 defines the chroma stride of 3-plane formats as the luma
            // stride divided by the horizontal subsampling, and of 2-plane
            // (interleaved CbCr) formats as equal to the luma stride.
            let stride: Int
            if plane == 0 {
                stride = lumaStride
            } else {
                stride = max(lumaStride * geometry.bytesPerPixel[plane] / (geometry.bytesPerPixel[0] * hdiv), samples * geometry.bytesPerPixel[plane])
            }
            result.append(PlaneLayout(offset: offset, stride: stride, rowBytes: samples * geometry.bytesPerPixel[plane], rows: rows))
            offset += stride * rows
        }
        return result
    }

    /// Where the luma samples sit in a payload of this format, when they can
    /// be read in place: the first plane of planar and semi-planar YUV and
    /// GREY (every byte), or every second byte of packed YUYV/UYVY. Nil for
    /// formats that need decoding (MJPEG) or colour conversion (RGB).
    public var lumaLayout: (offset: Int, stride: Int, step: Int)? {
        guard let plane = planes?.first else { return nil }
        switch pixelFormat {
        case .yuyv: return (plane.offset, plane.stride, 2)
        case .uyvy: return (plane.offset + 1, plane.stride, 2)
        case .grey, .yu12, .yv12, .nv12, .nv21, .yuv422p: return (plane.offset, plane.stride, 1)
        default: return nil
        }
    }

    /// Bytes an uncompressed payload must hold to contain every plane.
    public var minimumPayloadSize: Int? {
        guard let planes else { return nil }
        return planes.last.map { $0.offset + $0.stride * ($0.rows - 1) + $0.rowBytes }
    }
}

/// Where one plane of a frame sits inside the payload.
public struct PlaneLayout: Hashable, Sendable {
    public var offset: Int
    public var stride: Int
    /// Meaningful bytes per row (without padding).
    public var rowBytes: Int
    public var rows: Int
}

/// Per-format geometry, as in the kernel's `struct v4l2_format_info`:
/// bytes per pixel for each plane and the chroma subsampling.
struct PlaneGeometry {
    var bytesPerPixel: [Int]
    var horizontalSubsampling: Int
    var verticalSubsampling: Int

    init?(_ format: PixelFormat) {
        switch format {
        case .yuyv, .uyvy: self.init(bytesPerPixel: [2], horizontalSubsampling: 2, verticalSubsampling: 1)
        case .nv12, .nv21: self.init(bytesPerPixel: [1, 2], horizontalSubsampling: 2, verticalSubsampling: 2)
        case .yu12, .yv12: self.init(bytesPerPixel: [1, 1, 1], horizontalSubsampling: 2, verticalSubsampling: 2)
        case .yuv422p: self.init(bytesPerPixel: [1, 1, 1], horizontalSubsampling: 2, verticalSubsampling: 1)
        case .grey: self.init(bytesPerPixel: [1], horizontalSubsampling: 1, verticalSubsampling: 1)
        case .rgb24, .bgr24: self.init(bytesPerPixel: [3], horizontalSubsampling: 1, verticalSubsampling: 1)
        default: return nil
        }
    }

    init(bytesPerPixel: [Int], horizontalSubsampling: Int, verticalSubsampling: Int) {
        self.bytesPerPixel = bytesPerPixel
        self.horizontalSubsampling = horizontalSubsampling
        self.verticalSubsampling = verticalSubsampling
    }
}

@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
