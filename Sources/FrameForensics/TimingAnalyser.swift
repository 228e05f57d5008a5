import CaptureModel

/// Timing and consistency of the kernel metadata: drops, monotonicity, the
/// timestamp clock, the rhythm of the intervals against the negotiated one,
/// host arrival against the kernel's timestamp, and format changes.
public enum TimingAnalyser {
    public static let name = "timing"

    /// A USB camera's frames complete on 125 µs microframe boundaries and its
    /// interrupt is served with tens of µs of latency, so measured intervals
    /// wander by well over 10 µs; intervals steadier than this over a whole
    /// session were computed by software, not measured. (v4l2loopback and
    /// akvcam stamp what the writer hands them; see anchors.md §6.)
    static let metronomeJitterNanoseconds = 10_000.0
    /// A writer that pushes frames in bursts leaves intervals under half the
    /// nominal one; a sensor never does, except right after a drop. One in
    /// ten such intervals is a pattern, not an accident.
    static let burstShare = 0.10
    /// uvcvideo's clock recovery and any EOF/SOE stamp are never after the
    /// buffer was dequeued; 1 ms is far above the recovery's error.
    static let futureTimestampToleranceNanoseconds: Int64 = 1_000_000
    /// A frame a second old when dequeued was not live.
    static let staleArrivalNanoseconds: Int64 = 1_000_000_000
    /// A median interval this far (20%) from the negotiated one: the camera
    /// lowered its rate (auto-exposure in low light does), worth recording.
    static let intervalTolerance = 0.20
    /// Share of frames that will not decode at which the stream is suspect.
    static let undecodableShare = 0.10

    /// Where drivers take their timestamps (`V4L2_BUF_FLAG_TSTAMP_SRC_*`):
    /// uvcvideo's queue sets start of exposure (drivers/media/usb/uvc,
    /// uvc_queue_init; anchors.md §6). A node that says it is uvcvideo and
    /// stamps end of frame is not the driver it names.
    static let expectedSource: [String: TimestampSource] = ["uvcvideo": .startOfExposure]

    /// `driver` is what the device's VIDIOC_QUERYCAP named, when known.
    public static func analyse(_ frames: [FrameMeasurement], timing: CaptureInfo.Timing, nominalInterval: Fraction?, driver: String? = nil) -> AnalyserReport {
        guard frames.count >= 3 else { return .insufficient(name, "\(frames.count) frames; timing needs at least 3") }
        var findings: [Finding] = []
        var metrics: [String: Double] = [:]

        // Undecodable frames: a camera on a saturated bus corrupts the odd
        // MJPEG frame; one in ten is a stream built to starve the pixel
        // analysers (each bad frame breaks the chain of differences).
        let undecodable = frames.filter { $0.luma == nil }.count
        metrics["undecodable_frames"] = Double(undecodable)
        if undecodable > 0 {
            let share = Double(undecodable) / Double(frames.count)
            findings.append(Finding(code: "undecodable_frames", severity: share >= undecodableShare ? .suspicious : .info,
                                    message: "\(undecodable) of \(frames.count) frames would not decode",
                                    evidence: ["undecodable": String(undecodable), "frames": String(frames.count)]))
        }

        if let first = frames.first {
            let changed = frames.first { $0.format != first.format || (!first.format.pixelFormat.isCompressed && $0.payloadBytes != first.payloadBytes) }
            if let changed {
                findings.append(Finding(code: "format_changed", severity: .attack,
                                        message: "frame \(changed.metadata.index) has a different format or payload size; a device cannot change either mid-stream",
                                        evidence: ["frame": String(changed.metadata.index), "first": describe(first), "changed": describe(changed)]))
            }
        }

        let stamps = frames.compactMap { frame in frame.metadata.timestampNanoseconds.map { (frame.metadata, $0) } }
        guard timing == .kernel, stamps.count == frames.count else {
            findings.append(Finding(code: "timing_unknown", severity: .info, message: "the source carries no kernel timestamps (an import); timing is not judged",
                                    evidence: ["timing": timing.rawValue]))
            return .ran(name, findings: findings, metrics: metrics)
        }

        // Sequence: drops are normal under load; going backwards is not.
        var drops = 0
        var regressions = 0
        for (earlier, later) in zip(frames, frames.dropFirst()) {
            if later.metadata.sequence <= earlier.metadata.sequence { regressions += 1 }
            drops += droppedFrames(from: earlier.metadata.sequence, to: later.metadata.sequence)
        }
        metrics["dropped_frames"] = Double(drops)
        if drops > 0 {
            findings.append(Finding(code: "frames_dropped", severity: .info, message: "\(drops) frames lost between sequence numbers",
                                    evidence: ["dropped": String(drops), "frames": String(frames.count)]))
        }

        // Intervals per sequence step, so a drop does not look like a stall.
        var intervals: [Double] = []
        var backwards = 0
        for (earlier, later) in zip(stamps, stamps.dropFirst()) {
            guard let gap = nanosecondsBetween(earlier.1, later.1) else { backwards += 1; continue }
            if gap <= 0 { backwards += 1; continue }
            let steps = later.0.sequence > earlier.0.sequence ? Int(later.0.sequence - earlier.0.sequence) : 1
            intervals.append(Double(gap) / Double(max(steps, 1)))
        }
        if backwards > 0 || regressions > 0 {
            findings.append(Finding(code: "timestamp_not_monotonic", severity: .attack,
                                    message: "timestamps or sequence numbers go backwards or repeat; a kernel driver's never do",
                                    evidence: ["timestamp_regressions": String(backwards), "sequence_regressions": String(regressions)]))
        }

        // The clock: a capture node stamps with CLOCK_MONOTONIC; COPY is what
        // a memory-to-memory device passes through from its writer.
        let types = Set(frames.map { $0.metadata.flags.timestampType })
        if types.contains(.copy) {
            findings.append(Finding(code: "timestamp_copy", severity: .suspicious,
                                    message: "timestamps are copied from a writer (V4L2_BUF_FLAG_TIMESTAMP_COPY), not taken by a capture driver",
                                    evidence: ["types": types.map(\.rawValue).sorted().joined(separator: ",")]))
        } else if types.contains(.unknown) || types.contains(.other) {
            findings.append(Finding(code: "timestamp_type_unknown", severity: .suspicious,
                                    message: "the driver does not say which clock its timestamps come from",
                                    evidence: ["types": types.map(\.rawValue).sorted().joined(separator: ",")]))
        }

        if let driver, let expected = expectedSource[driver], types == [.monotonic] {
            let sources = Set(frames.map { $0.metadata.flags.timestampSource })
            if sources != [expected] {
                findings.append(Finding(code: "timestamp_source_mismatch", severity: .suspicious,
                                        message: "\(driver) stamps frames at \(expected.rawValue), but these carry \(sources.map(\.rawValue).sorted().joined(separator: ","))",
                                        evidence: ["driver": driver, "expected": expected.rawValue, "sources": sources.map(\.rawValue).sorted().joined(separator: ",")]))
            }
        }

        if let medianInterval = median(intervals), intervals.count >= 2 {
            let mean = intervals.reduce(0, +) / Double(intervals.count)
            let jitter = (intervals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(intervals.count)).squareRoot()
            metrics["interval_median_ms"] = medianInterval / 1e6
            metrics["interval_jitter_us"] = jitter / 1e3
            let nominal = nominalInterval.flatMap { $0.denominator > 0 && $0.numerator > 0 ? Double($0.numerator) / Double($0.denominator) * 1e9 : nil }
            let reference = nominal ?? medianInterval
            let bursts = intervals.filter { $0 < 0.5 * reference }.count
            metrics["burst_share"] = Double(bursts) / Double(intervals.count)
            if jitter < metronomeJitterNanoseconds {
                findings.append(Finding(code: "metronome_timing", severity: .suspicious,
                                        message: "frame intervals vary by \(evidenceNumber(jitter / 1e3, digits: 1)) µs: computed by software, not measured from a sensor",
                                        evidence: ["jitter_us": evidenceNumber(jitter / 1e3), "median_interval_ms": evidenceNumber(medianInterval / 1e6)]))
            }
            if Double(bursts) >= burstShare * Double(intervals.count) {
                findings.append(Finding(code: "bursty_timing", severity: .suspicious,
                                        message: "\(bursts) of \(intervals.count) intervals are under half the frame period: frames arrive in bursts",
                                        evidence: ["short_intervals": String(bursts), "intervals": String(intervals.count)]))
            }
            if let nominal, abs(medianInterval - nominal) > intervalTolerance * nominal {
                findings.append(Finding(code: "interval_mismatch", severity: .info,
                                        message: "median interval \(evidenceNumber(medianInterval / 1e6)) ms against the negotiated \(evidenceNumber(nominal / 1e6)) ms",
                                        evidence: ["median_interval_ms": evidenceNumber(medianInterval / 1e6), "nominal_interval_ms": evidenceNumber(nominal / 1e6)]))
            }
        }

        // Host arrival against the kernel stamp, when both are known.
        let delays = frames.compactMap { frame -> Int64? in
            guard let host = frame.metadata.hostMonotonicNanoseconds, let stamp = frame.metadata.timestampNanoseconds else { return nil }
            return nanosecondsBetween(stamp, host)
        }
        if !delays.isEmpty {
            let future = delays.filter { $0 < -futureTimestampToleranceNanoseconds }.count
            let stale = delays.filter { $0 > staleArrivalNanoseconds }.count
            metrics["host_delay_median_ms"] = (median(delays.map(Double.init)) ?? 0) / 1e6
            if future > 0 || stale > 0 {
                findings.append(Finding(code: "host_delay_anomaly", severity: .suspicious,
                                        message: "\(future) frames were stamped after they were dequeued and \(stale) arrived over a second late",
                                        evidence: ["future_timestamps": String(future), "stale_frames": String(stale),
                                                   "median_delay_ms": evidenceNumber((median(delays.map(Double.init)) ?? 0) / 1e6)]))
            }
        }
        return .ran(name, findings: findings, metrics: metrics)
    }

    static func describe(_ frame: FrameMeasurement) -> String {
        "\(frame.format.pixelFormat.fourcc) \(frame.format.width)x\(frame.format.height) \(frame.payloadBytes) bytes"
    }
}
