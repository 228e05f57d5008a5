import CaptureModel

/// Small frames for chain tests.
enum FrameFormatShim {
    static let grey = FrameFormat(pixelFormat: .grey, width: 1, height: 1, bytesPerLine: 1, sizeImage: 1)

    static func frame(index: Int, payload: [UInt8], format: FrameFormat) -> Frame {
        Frame(metadata: FrameMetadata(index: index, sequence: UInt32(index), timestampNanoseconds: Int64(index) * 40_000_000,
                                      flags: BufferFlags(rawValue: 0x2000), bytesUsed: payload.count, hostMonotonicNanoseconds: nil),
              format: format, payload: payload)
    }
}
