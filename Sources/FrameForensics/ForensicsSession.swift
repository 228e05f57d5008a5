import CaptureModel

/// Folds a session's frames, one at a time, into what the analysers read:
/// a `FrameMeasurement` per frame and a PRNU residual sum over sampled
/// frames. Holds at most three luma planes, so a live capture does not
/// buffer its frames. Pure: the caller reads the frames and decodes MJPEG.
public struct ForensicsSession: Sendable {
    /// Payloads the camera compressed (MJPEG), or libv4lconvert decoded:
    /// block artefacts are expected there and prove nothing.
    public let compressedPayloads: Bool
    public let monochrome: Bool
    public private(set) var measurements: [FrameMeasurement] = []
    private var previous: LumaPlane?
    private var beforePrevious: LumaPlane?
    private var prnu: PRNUAccumulator?
    private var moire: MoireAnalyser.Accumulator?
    private var prnuSampled = 0
    private let prnuStride: Int
    private let prnuLimit: Int

    /// `prnuFrames` frames at most are sampled for PRNU, every `prnuStride`th.
    public init(format: FrameFormat, decodedByLibrary: Bool = false, prnuStride: Int = 1, prnuFrames: Int = 24) {
        compressedPayloads = format.pixelFormat.isCompressed || decodedByLibrary
        monochrome = format.pixelFormat == .grey
        self.prnuStride = max(1, prnuStride)
        prnuLimit = max(0, prnuFrames)
        prnu = PRNUAccumulator(frameWidth: format.width, frameHeight: format.height)
        moire = MoireAnalyser.Accumulator(width: format.width, height: format.height)
    }

    /// For a capture file or a device whose `CaptureInfo` is known up front.
    public init(info: CaptureInfo, prnuStride: Int = 1, prnuFrames: Int = 24) {
        self.init(format: info.format, decodedByLibrary: info.mode == .converted, prnuStride: prnuStride, prnuFrames: prnuFrames)
    }

    /// Adds a frame and its luma (nil when it would not decode).
    public mutating func add(_ frame: Frame, luma: LumaPlane?) {
        var statistics: LumaStatistics?
        var pair: PairStatistics?
        if let luma {
            (statistics, pair) = FrameMeasurer.measure(luma, previous: previous, beforePrevious: beforePrevious)
            if measurements.count % prnuStride == 0, prnuSampled < prnuLimit, prnu != nil {
                prnu?.add(luma)
                prnuSampled += 1
            }
            moire?.add(luma)
            beforePrevious = previous
            previous = luma
        } else {
            // A frame that will not decode breaks the chain of differences.
            previous = nil
            beforePrevious = nil
        }
        measurements.append(FrameMeasurement(metadata: frame.metadata, format: frame.format, payloadBytes: frame.payload.count, luma: statistics, pair: pair))
    }

    /// The PRNU residual sum so far (for enrollment).
    public var sensorResidual: PRNUAccumulator? { prnu }

    public func report(timing: CaptureInfo.Timing, nominalInterval: Fraction?, sensor: SensorFingerprint?) -> ForensicsReport {
        ForensicsAnalysis.run(measurements, timing: timing, nominalInterval: nominalInterval, compressedPayloads: compressedPayloads,
                              monochrome: monochrome, prnu: prnu, moire: moire, sensor: sensor)
    }
}

/// Runs every analyser over measured frames.
public enum ForensicsAnalysis {
    public static func run(_ frames: [FrameMeasurement], timing: CaptureInfo.Timing, nominalInterval: Fraction?, compressedPayloads: Bool,
                           monochrome: Bool, prnu: PRNUAccumulator?, moire: MoireAnalyser.Accumulator?, sensor: SensorFingerprint?) -> ForensicsReport {
        let stamps = frames.compactMap(\.metadata.timestampNanoseconds)
        let duration = stamps.count >= 2 && timing == .kernel ? stamps.last.flatMap { last in stamps.first.flatMap { nanosecondsBetween($0, last) } }.map { Double($0) / 1e9 } : nil
        var analysers = [
            TimingAnalyser.analyse(frames, timing: timing, nominalInterval: nominalInterval),
            RepetitionAnalyser.analyse(frames),
            TemporalNoiseAnalyser.analyse(frames, monochrome: monochrome),
            ReencodingAnalyser.analyse(frames, compressedPayloads: compressedPayloads),
            MoireAnalyser.analyse(moire),
            SensorIdentityAnalyser.analyse(prnu, enrolled: sensor),
        ]
        // With no decodable frame at all, the pixel analysers have nothing to say.
        if frames.isEmpty {
            analysers = ForensicsReport.analyserNames.map { AnalyserReport.insufficient($0, "no frames") }
        }
        return ForensicsReport(analysers: analysers, frames: frames.count, durationSeconds: duration)
    }
}
