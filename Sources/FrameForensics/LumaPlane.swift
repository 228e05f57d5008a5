import CaptureModel

/// An 8-bit luma plane, row-major with no padding: what every pixel analyser
/// reads. Sensor noise, PRNU and block artefacts all live in luma.
public struct LumaPlane: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// Nil unless `pixels` holds exactly `width × height` samples.
    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width > 0, height > 0, pixels.count == width * height else { return nil }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The luma of an uncompressed frame, read through its layout (packed
    /// YUYV and UYVY included). Nil for compressed or RGB payloads, which the
    /// caller decodes first, and for a payload too short for its format.
    public init?(frame: Frame) {
        let format = frame.format
        guard let layout = format.lumaLayout, let needed = format.minimumPayloadSize, frame.payload.count >= needed,
              format.width > 0, format.height > 0 else { return nil }
        let width = format.width
        let height = format.height
        var pixels = [UInt8](repeating: 0, count: width * height)
        frame.payload.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for y in 0..<height {
                    let row = from + layout.offset + y * layout.stride
                    let out = to + y * width
                    if layout.step == 1 {
                        out.update(from: row, count: width)
                    } else {
                        for x in 0..<width { out[x] = row[x * layout.step] }
                    }
                }
            }
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
