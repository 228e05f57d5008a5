import CaptureModel

/// Folds a session's frames, one at a time, into what the analysers read:
/// a `FrameMeasurement` per frame and a PRNU residual sum over sampled
/// frames. Holds at most three luma planes, so a live capture does not
/// buffer its frames. The PRNU match and the moiré spectrum are settled as
/// soon as their frames are in, while the camera still streams, so little
/// is left for after the capture window. Pure: the caller reads the frames
/// and decodes MJPEG.
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
    private let sensor: SensorFingerprint?
    private var settledSensor: AnalyserReport?
    private var settledMoire: AnalyserReport?
    /// For JPEG payloads as the camera sent them (not libv4lconvert output).
    private var doubleJPEG: DoubleJPEG.Accumulator?

    /// `prnuFrames` frames at most are sampled for PRNU, every `prnuStride`th,
    /// and matched against `sensor` when given.
    public init(format: FrameFormat, decodedByLibrary: Bool = false, prnuStride: Int = 1, prnuFrames: Int = 24, sensor: SensorFingerprint? = nil) {
        compressedPayloads = format.pixelFormat.isCompressed || decodedByLibrary
        monochrome = format.pixelFormat == .grey
        self.prnuStride = max(1, prnuStride)
        prnuLimit = max(0, prnuFrames)
        self.sensor = sensor
        if format.pixelFormat.isCompressed && !decodedByLibrary && format.pixelFormat != .h264 { doubleJPEG = DoubleJPEG.Accumulator() }
        prnu = PRNUAccumulator(frameWidth: format.width, frameHeight: format.height)
        moire = MoireAnalyser.Accumulator(width: format.width, height: format.height)
    }

    /// For a capture file or a device whose `CaptureInfo` is known up front.
    public init(info: CaptureInfo, prnuStride: Int = 1, prnuFrames: Int = 24, sensor: SensorFingerprint? = nil) {
        self.init(format: info.format, decodedByLibrary: info.mode == .converted, prnuStride: prnuStride, prnuFrames: prnuFrames, sensor: sensor)
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
                if prnuSampled == prnuLimit, let sensor { settledSensor = SensorIdentityAnalyser.analyse(prnu, enrolled: sensor) }
            }
            if let accumulator = doubleJPEG, accumulator.frames < DoubleJPEG.framesSampled {
                doubleJPEG?.add(jpeg: frame.payload, luma: luma)
            }
            if let accumulator = moire, accumulator.frames < MoireAnalyser.framesAveraged {
                moire?.add(luma)
                if moire?.frames == MoireAnalyser.framesAveraged { settledMoire = MoireAnalyser.analyse(moire) }
            }
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

    /// `driver` is the device's VIDIOC_QUERYCAP driver name, when known.
    public func report(timing: CaptureInfo.Timing, nominalInterval: Fraction?, driver: String? = nil) -> ForensicsReport {
        ForensicsAnalysis.run(measurements, timing: timing, nominalInterval: nominalInterval, driver: driver, compressedPayloads: compressedPayloads,
                              monochrome: monochrome, doubleJPEG: doubleJPEG,
                              sensorReport: settledSensor ?? SensorIdentityAnalyser.analyse(prnu, enrolled: sensor),
                              moireReport: settledMoire ?? MoireAnalyser.analyse(moire))
    }
}

/// Runs every analyser over measured frames.
public enum ForensicsAnalysis {
    public static func run(_ frames: [FrameMeasurement], timing: CaptureInfo.Timing, nominalInterval: Fraction?, driver: String?, compressedPayloads: Bool,
                           monochrome: Bool, doubleJPEG: DoubleJPEG.Accumulator?, sensorReport: AnalyserReport, moireReport: AnalyserReport) -> ForensicsReport {
        let stamps = frames.compactMap(\.metadata.timestampNanoseconds)
        let duration = stamps.count >= 2 && timing == .kernel ? stamps.last.flatMap { last in stamps.first.flatMap { nanosecondsBetween($0, last) } }.map { Double($0) / 1e9 } : nil
        var analysers = [
            TimingAnalyser.analyse(frames, timing: timing, nominalInterval: nominalInterval, driver: driver),
            RepetitionAnalyser.analyse(frames),
            TemporalNoiseAnalyser.analyse(frames, monochrome: monochrome),
            ReencodingAnalyser.analyse(frames, compressedPayloads: compressedPayloads, doubleJPEG: doubleJPEG),
            moireReport,
            sensorReport,
        ]
        // With no decodable frame at all, the pixel analysers have nothing to say.
        if frames.isEmpty {
            analysers = ForensicsReport.analyserNames.map { AnalyserReport.insufficient($0, "no frames") }
        }
        return ForensicsReport(analysers: analysers, frames: frames.count, durationSeconds: duration)
    }
}
