import CaptureModel

/// The two colour-difference planes of a frame (Cb, Cr), at their own,
/// subsampled resolution: what the colour hints of face PAD read. Sample
/// (x, y) of the full-resolution picture has chroma at (x / stepX, y / stepY).
public struct ChromaPlanes: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public let stepX: Int
    public let stepY: Int
    public let cb: [UInt8]
    public let cr: [UInt8]

    public init?(width: Int, height: Int, stepX: Int, stepY: Int, cb: [UInt8], cr: [UInt8]) {
        guard width > 0, height > 0, stepX > 0, stepY > 0, cb.count == width * height, cr.count == width * height else { return nil }
        self.width = width
        self.height = height
        self.stepX = stepX
        self.stepY = stepY
        self.cb = cb
        self.cr = cr
    }

    /// The chroma of an uncompressed YUV frame (packed 4:2:2, planar 4:2:0
    /// and 4:2:2, semi-planar 4:2:0). Nil for other formats (gray, RGB,
    /// compressed: the caller decodes those to YU12 first) and for a
    /// payload too short for its format.
    public init?(frame: Frame) {
        let format = frame.format
        let width = format.width, height = format.height
        guard width >= 2, height >= 2, let planes = format.planes, let needed = format.minimumPayloadSize,
              frame.payload.count >= needed else { return nil }
        let payload = frame.payload
        func plane(_ layout: PlaneLayout, columns: Int, rows: Int, start: Int, step: Int) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: columns * rows)
            for row in 0..<rows {
                let base = layout.offset + row * layout.stride + start
                for column in 0..<columns { out[row * columns + column] = payload[base + column * step] }
            }
            return out
        }
        let columns = width / 2
        switch format.pixelFormat {
        case .yuyv, .uyvy:
            let first = planes[0]
            let (cbAt, crAt) = format.pixelFormat == .yuyv ? (1, 3) : (0, 2)
            self.init(width: columns, height: height, stepX: 2, stepY: 1,
                      cb: plane(first, columns: columns, rows: height, start: cbAt, step: 4),
                      cr: plane(first, columns: columns, rows: height, start: crAt, step: 4))
        case .yu12, .yv12, .yuv422p:
            guard planes.count == 3 else { return nil }
            let rows = format.pixelFormat == .yuv422p ? height : height / 2
            let (cbPlane, crPlane) = format.pixelFormat == .yv12 ? (planes[2], planes[1]) : (planes[1], planes[2])
            self.init(width: columns, height: rows, stepX: 2, stepY: height / rows,
                      cb: plane(cbPlane, columns: columns, rows: rows, start: 0, step: 1),
                      cr: plane(crPlane, columns: columns, rows: rows, start: 0, step: 1))
        case .nv12, .nv21:
            guard planes.count == 2 else { return nil }
            let (cbAt, crAt) = format.pixelFormat == .nv12 ? (0, 1) : (1, 0)
            self.init(width: columns, height: height / 2, stepX: 2, stepY: 2,
                      cb: plane(planes[1], columns: columns, rows: height / 2, start: cbAt, step: 2),
                      cr: plane(planes[1], columns: columns, rows: height / 2, start: crAt, step: 2))
        default:
            return nil
        }
    }

    @inline(__always) func cb(x: Int, y: Int) -> UInt8 { cb[min(y / stepY, height - 1) * width + min(x / stepX, width - 1)] }
    @inline(__always) func cr(x: Int, y: Int) -> UInt8 { cr[min(y / stepY, height - 1) * width + min(x / stepX, width - 1)] }
}
