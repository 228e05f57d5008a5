/// Lossless rearrangements between packed, semi-planar and planar YUV.
///
/// Y4M only knows planar layouts, so exporting a YUYV or NV12 capture moves
/// bytes without changing any sample value; the reverse direction restores
/// the original bytes exactly. These are pure functions over payloads.
public enum Repack {
    /// The planar format a payload can be losslessly rearranged into, or nil
    /// when that needs decoding (MJPEG) or colour conversion (RGB).
    public static func planarEquivalent(of format: PixelFormat) -> PixelFormat? {
        switch format {
        case .yu12, .yv12, .nv12, .nv21: return .yu12
        case .yuyv, .uyvy, .yuv422p: return .yuv422p
        case .grey: return .grey
        default: return nil
        }
    }

    /// Rearranges one uncompressed frame into tightly packed planar YU12,
    /// 422P or GREY (see `planarEquivalent`). Nil if the format has no
    /// lossless planar form or the payload is too short for its layout.
    public static func toPlanar(_ payload: [UInt8], format: FrameFormat) -> (FrameFormat, [UInt8])? {
        guard let target = planarEquivalent(of: format.pixelFormat),
              let planes = format.planes,
              let needed = format.minimumPayloadSize, payload.count >= needed,
              let outFormat = FrameFormat.packed(target, width: format.width, height: format.height),
              let outPlanes = outFormat.planes
        else { return nil }
        var out = [UInt8](repeating: 0, count: outFormat.sizeImage)
        payload.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                switch format.pixelFormat {
                case .yu12, .yuv422p, .grey:
                    for (inPlane, outPlane) in zip(planes, outPlanes) {
                        copyRows(src, inPlane, dst, outPlane)
                    }
                case .yv12:
                    // YV12 stores V before U.
                    copyRows(src, planes[0], dst, outPlanes[0])
                    copyRows(src, planes[2], dst, outPlanes[1])
                    copyRows(src, planes[1], dst, outPlanes[2])
                case .nv12, .nv21:
                    copyRows(src, planes[0], dst, outPlanes[0])
                    let (uIndex, vIndex) = format.pixelFormat == .nv12 ? (0, 1) : (1, 0)
                    let chroma = planes[1]
                    for row in 0..<outPlanes[1].rows {
                        let inRow = chroma.offset + row * chroma.stride
                        let uRow = outPlanes[1].offset + row * outPlanes[1].stride
                        let vRow = outPlanes[2].offset + row * outPlanes[2].stride
                        for x in 0..<outPlanes[1].rowBytes {
                            dst[uRow + x] = src[inRow + 2 * x + uIndex]
                            dst[vRow + x] = src[inRow + 2 * x + vIndex]
                        }
                    }
                case .yuyv, .uyvy:
                    let (yAt, uAt, vAt) = format.pixelFormat == .yuyv ? (0, 1, 3) : (1, 0, 2)
                    let packed = planes[0]
                    let pairs = format.width / 2
                    for row in 0..<format.height {
                        let inRow = packed.offset + row * packed.stride
                        let yRow = outPlanes[0].offset + row * outPlanes[0].stride
                        let uRow = outPlanes[1].offset + row * outPlanes[1].stride
                        let vRow = outPlanes[2].offset + row * outPlanes[2].stride
                        for pair in 0..<pairs {
                            let i = inRow + 4 * pair
                            dst[yRow + 2 * pair] = src[i + yAt]
                            dst[yRow + 2 * pair + 1] = src[i + yAt + 2]
                            dst[uRow + pair] = src[i + uAt]
                            dst[vRow + pair] = src[i + vAt]
                        }
                    }
                default:
                    break
                }
            }
        }
        return (outFormat, out)
    }

    /// Interleaves planar 4:2:2 back into YUYV, the inverse of `toPlanar`
    /// for a YUYV frame. Nil for odd widths or a short payload.
    public static func planar422ToYUYV(_ payload: [UInt8], width: Int, height: Int) -> [UInt8]? {
        guard width > 0, height > 0, width % 2 == 0,
              let planar = FrameFormat.packed(.yuv422p, width: width, height: height),
              let planes = planar.planes, payload.count >= planar.sizeImage
        else { return nil }
        var out = [UInt8](repeating: 0, count: width * height * 2)
        payload.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    let yRow = planes[0].offset + row * planes[0].stride
                    let uRow = planes[1].offset + row * planes[1].stride
                    let vRow = planes[2].offset + row * planes[2].stride
                    for pair in 0..<width / 2 {
                        let o = row * width * 2 + 4 * pair
                        dst[o] = src[yRow + 2 * pair]
                        dst[o + 1] = src[uRow + pair]
                        dst[o + 2] = src[yRow + 2 * pair + 1]
                        dst[o + 3] = src[vRow + pair]
                    }
                }
            }
        }
        return out
    }

    private static func copyRows(_ src: UnsafeBufferPointer<UInt8>, _ from: PlaneLayout, _ dst: UnsafeMutableBufferPointer<UInt8>, _ to: PlaneLayout) {
        let count = min(from.rowBytes, to.rowBytes)
        for row in 0..<min(from.rows, to.rows) {
            let s = from.offset + row * from.stride
            let d = to.offset + row * to.stride
            guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return }
            (dstBase + d).update(from: srcBase + s, count: count)
        }
    }
}
