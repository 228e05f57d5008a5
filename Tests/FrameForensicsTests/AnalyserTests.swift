import CaptureFile
import CaptureModel
import XCTest
@testable import FrameForensics

/// Every analyser on hand-made frames: a deterministic stand-in for a
/// sensor (a textured scene, spatially correlated noise drawn anew per
/// frame, jittered kernel timestamps), and one defect at a time.
final class AnalyserTests: XCTestCase {
    static let width = 160
    static let height = 128

    /// xorshift64*: the tests' noise must be the same on every run.
    struct Noise {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        /// Approximately N(0, 1): the sum of 12 uniforms minus 6.
        mutating func gaussian() -> Double {
            var sum = 0.0
            for _ in 0..<12 { sum += Double(next() >> 11) / Double(1 << 53) }
            return sum - 6
        }
    }

    static func scene(shift: Int = 0) -> [Double] {
        (0..<(width * height)).map { index in
            let x = Double(index % width + shift), y = Double(index / width)
            return 110 + 40 * sin(x / 9) * cos(y / 13) + 20 * sin((x + y) / 5)
        }
    }

    /// Noise of σ ≈ `sigma`, correlated between neighbours the way
    /// demosaicing makes it (each sample averages itself and its right and
    /// lower neighbours' white noise).
    static func correlatedNoise(_ noise: inout Noise, sigma: Double) -> [Double] {
        let white = (0..<((width + 1) * (height + 1))).map { _ in noise.gaussian() }
        return (0..<(width * height)).map { index in
            let x = index % width, y = index / width
            let at = y * (width + 1) + x
            return sigma * (white[at] + white[at + 1] + white[at + width + 1]) / 3.0.squareRoot()
        }
    }

    static func yuyv(_ luma: [Double], index: Int, timestamp: Int64?, flags: UInt32 = 0x2000 | 0x1_0000, sequence: UInt32? = nil) -> Frame {
        var payload = [UInt8](repeating: 128, count: width * height * 2)
        for (i, value) in luma.enumerated() { payload[i * 2] = UInt8(max(0, min(255, value.rounded()))) }
        let format = FrameFormat.packed(.yuyv, width: width, height: height)!
        return Frame(metadata: FrameMetadata(index: index, sequence: sequence ?? UInt32(index), timestampNanoseconds: timestamp,
                                             flags: BufferFlags(rawValue: flags), bytesUsed: payload.count, hostMonotonicNanoseconds: timestamp.map { $0 + 3_000_000 }),
                     format: format, payload: payload)
    }

    static func info(timing: CaptureInfo.Timing = .kernel) -> CaptureInfo {
        CaptureInfo(sourceKind: .v4l2, sourcePath: "test", mode: .raw, timing: timing, format: FrameFormat.packed(.yuyv, width: width, height: height)!,
                    frameInterval: Fraction(1, 30), device: nil, recorder: "test", createdAt: "")
    }

    /// `count` frames of the reference sensor, with `modify` applied to each luma.
    static func session(_ count: Int = 40, seed: UInt64 = 7, timing: CaptureInfo.Timing = .kernel, sensor: SensorFingerprint? = nil,
                        frame make: (Int, inout Noise) -> Frame?) -> ForensicsReport {
        var noise = Noise(state: seed)
        var session = ForensicsSession(info: info(timing: timing), prnuFrames: 40, sensor: sensor)
        for index in 0..<count {
            guard let frame = make(index, &noise) else { continue }
            session.add(frame, luma: LumaPlane(frame: frame))
        }
        return session.report(timing: timing, nominalInterval: Fraction(1, 30))
    }

    static func jitteredTimestamp(_ index: Int, _ noise: inout Noise) -> Int64 {
        1_000_000_000 + Int64(index) * 33_333_333 + Int64(noise.gaussian() * 400_000)
    }

    static func genuine(_ index: Int, _ noise: inout Noise) -> Frame {
        let scene = scene()
        let grain = correlatedNoise(&noise, sigma: 1.5)
        return yuyv(zip(scene, grain).map(+), index: index, timestamp: jitteredTimestamp(index, &noise))
    }

    func codes(_ report: ForensicsReport, severity: Severity = .suspicious) -> Set<String> {
        Set(report.findings.filter { $0.severity >= severity }.map(\.code))
    }

    func testGenuineStandInRaisesNothing() {
        let report = Self.session(frame: Self.genuine)
        XCTAssertEqual(codes(report), [], "\(report.findings)")
        let noise = report.analyser("temporal_noise")
        XCTAssertEqual(noise?.status, .ran)
        XCTAssertEqual(noise?.metrics["temporal_sigma"] ?? 0, 1.5, accuracy: 0.25)
        XCTAssertGreaterThan(noise?.metrics["noise_correlation_horizontal"] ?? 0, 0.3)
        XCTAssertEqual(noise?.metrics["noise_correlation_temporal"] ?? 0, -0.5, accuracy: 0.1)
    }

    func testFrozenFrameAndNoNoise() {
        var noise = Noise(state: 3)
        let still = zip(Self.scene(), Self.correlatedNoise(&noise, sigma: 1.5)).map(+)
        let report = Self.session { index, noise in Self.yuyv(still, index: index, timestamp: Self.jitteredTimestamp(index, &noise)) }
        XCTAssertTrue(codes(report).isSuperset(of: ["frozen_frame", "no_temporal_noise"]), "\(codes(report))")
        XCTAssertFalse(codes(report).contains("loop_detected"), "a frozen frame is not a loop")
    }

    func testWhiteNoiseOnAStillImageIsSynthetic() {
        let scene = Self.scene()
        let report = Self.session { index, noise in
            Self.yuyv(scene.map { $0 + 1.5 * noise.gaussian() }, index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertTrue(codes(report).contains("synthetic_noise"), "\(report.findings)")
        XCTAssertTrue(report.findings.contains { $0.code == "frozen_scene" }, "the scene is still, the noise new")
    }

    func testSlowlyEvolvingNoiseIsNotFresh() {
        var pattern = [Double](repeating: 0, count: Self.width * Self.height)
        let scene = Self.scene()
        let report = Self.session { index, noise in
            // AR(1) with φ = 0.9: consecutive differences correlate at −(1−φ)/2 = −0.05.
            let innovation = Self.correlatedNoise(&noise, sigma: 1.5 * (1 - 0.81).squareRoot())
            pattern = zip(pattern, innovation).map { 0.9 * $0 + $1 }
            return Self.yuyv(zip(scene, pattern).map(+), index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertTrue(codes(report).contains("noise_reused"), "\(report.findings)")
    }

    func testExactLoop() {
        var clip: [Frame] = []
        var noise = Noise(state: 11)
        for index in 0..<15 {
            let scene = Self.scene(shift: index)
            clip.append(Self.yuyv(zip(scene, Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: nil))
        }
        let report = Self.session(45) { index, noise in
            let source = clip[index % clip.count]
            return Self.yuyv([], index: index, timestamp: nil).withPayload(source.payload, metadata: FrameMetadata(
                index: index, sequence: UInt32(index), timestamp: Self.jitteredTimestamp(index, &noise)))
        }
        let loop = report.findings.first { $0.code == "loop_detected" }
        XCTAssertEqual(loop?.evidence["lag_frames"], "15", "\(report.findings)")
        XCTAssertEqual(loop?.severity, .attack)
    }

    func testSpliceIsACut() {
        let report = Self.session { index, noise in
            let scene = index < 20 ? Self.scene() : Self.scene().map { 255 - $0 }
            return Self.yuyv(zip(scene, Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertEqual(report.findings.first { $0.code == "scene_cut" }?.evidence["frame"], "20", "\(report.findings)")
    }

    func testTimingDefects() {
        let metronome = Self.session { index, noise in
            let scene = Self.scene()
            return Self.yuyv(zip(scene, Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: 1_000_000_000 + Int64(index) * 33_333_333)
        }
        XCTAssertTrue(codes(metronome).contains("metronome_timing"))

        let backwards = Self.session { index, noise in
            let frame = Self.genuine(index, &noise)
            return index == 10 ? frame.withTimestamp(5) : frame
        }
        XCTAssertTrue(codes(backwards).contains("timestamp_not_monotonic"))

        let copied = Self.session { index, noise in
            Self.yuyv(zip(Self.scene(), Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index,
                      timestamp: Self.jitteredTimestamp(index, &noise), flags: 0x4000)
        }
        XCTAssertTrue(codes(copied).contains("timestamp_copy"))

        let bursty = Self.session { index, noise in
            // Pairs of frames 1 ms apart, then a gap: a writer flushing a queue.
            let stamp = 1_000_000_000 + Int64(index / 2) * 66_666_666 + Int64(index % 2) * 1_000_000
            return Self.yuyv(zip(Self.scene(), Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: stamp + Int64(noise.gaussian() * 300_000))
        }
        XCTAssertTrue(codes(bursty).contains("bursty_timing"), "\(bursty.findings)")

        // A node that names uvcvideo but stamps at end of frame.
        var measured = ForensicsSession(info: Self.info(), prnuFrames: 0)
        var noise = Noise(state: 12)
        for index in 0..<20 {
            let frame = Self.yuyv(zip(Self.scene(), Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index,
                                  timestamp: Self.jitteredTimestamp(index, &noise), flags: 0x2000)
            measured.add(frame, luma: LumaPlane(frame: frame))
        }
        let claimed = measured.report(timing: .kernel, nominalInterval: Fraction(1, 30), driver: "uvcvideo")
        XCTAssertEqual(claimed.findings.first { $0.code == "timestamp_source_mismatch" }?.evidence["sources"], "eof", "\(claimed.findings)")
        XCTAssertFalse(codes(measured.report(timing: .kernel, nominalInterval: Fraction(1, 30), driver: "vivid")).contains("timestamp_source_mismatch"))
        XCTAssertFalse(codes(Self.session(frame: Self.genuine)).contains("timestamp_source_mismatch"), "the stand-in stamps SOE")

        let imported = Self.session(timing: .unknown) { index, noise in
            Self.yuyv(zip(Self.scene(), Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: nil)
        }
        XCTAssertEqual(codes(imported), [])
        XCTAssertTrue(imported.findings.contains { $0.code == "timing_unknown" && $0.severity == .info })
    }

    func testFormatChangeMidSession() {
        let report = Self.session { index, noise in
            var frame = Self.genuine(index, &noise)
            if index == 25 { frame.payload.removeLast(Self.width * 2) }
            return frame
        }
        XCTAssertTrue(codes(report).contains("format_changed"))
    }

    func testBlockGridCountsOnlyWithStaleNoise() {
        // Each 8×8 block shifted by its own constant: what a coarse DCT quantiser leaves.
        var offsets = Noise(state: 99)
        let blocks = (0..<((Self.width / 8) * (Self.height / 8))).map { _ in 4 * offsets.gaussian() }
        let gridded = Self.scene().enumerated().map { i, value in value + blocks[(i / Self.width / 8) * (Self.width / 8) + (i % Self.width) / 8] }
        // A decoded video: the grid, and "noise" that evolves slowly (AR(1), φ = 0.9).
        var pattern = [Double](repeating: 0, count: Self.width * Self.height)
        let decoded = Self.session { index, noise in
            pattern = zip(pattern, Self.correlatedNoise(&noise, sigma: 0.65)).map { 0.9 * $0 + $1 }
            return Self.yuyv(zip(gridded, pattern).map(+), index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertEqual(decoded.findings.first { $0.code == "reencoded_stream" }?.evidence["traces"], "block_grid", "\(decoded.findings)")
        // A JPEG poster in front of a live sensor: the grid, with fresh noise.
        let poster = Self.session { index, noise in
            Self.yuyv(zip(gridded, Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertFalse(codes(poster).contains("reencoded_stream"), "\(poster.findings)")
        XCTAssertGreaterThan(poster.analyser("reencoding")?.metrics["grid_excess"] ?? 0, 0.03, "the grid is measured either way")
    }

    func testDisplayMoire() {
        let report = Self.session { index, noise in
            let scene = Self.scene().enumerated().map { i, value in
                value + 12 * sin(Double(i % Self.width) * 2.1 + Double(i / Self.width) * 0.7)
            }
            return Self.yuyv(zip(scene, Self.correlatedNoise(&noise, sigma: 1.5)).map(+), index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertTrue(codes(report).contains("screen_moire"), "\(report.findings)")
    }

    func testSensorIdentityMatchesOnlyTheEnrolledPattern() throws {
        func prnu(_ seed: UInt64) -> [Double] {
            var noise = Noise(state: seed)
            return (0..<(Self.width * Self.height)).map { _ in 1 + 0.03 * noise.gaussian() }
        }
        let sensorA = prnu(101)
        let sensorB = prnu(202)
        func frame(_ gains: [Double], _ index: Int, _ noise: inout Noise, flat: Bool) -> Frame {
            let scene = flat ? [Double](repeating: 170, count: Self.width * Self.height) : Self.scene().map { $0 + 40 }
            let grain = Self.correlatedNoise(&noise, sigma: 1.0)
            return Self.yuyv((0..<scene.count).map { scene[$0] * gains[$0] + grain[$0] }, index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        var enrollment = try XCTUnwrap(PRNUAccumulator(frameWidth: Self.width, frameHeight: Self.height))
        var noise = Noise(state: 5)
        for index in 0..<40 { enrollment.add(try XCTUnwrap(LumaPlane(frame: frame(sensorA, index, &noise, flat: true)))) }
        let enrolled = enrollment.fingerprint(source: "test", createdAt: "")

        let same = Self.session(sensor: enrolled) { index, noise in frame(sensorA, index, &noise, flat: false) }
        let other = Self.session(sensor: enrolled) { index, noise in frame(sensorB, index, &noise, flat: false) }
        XCTAssertTrue(same.findings.contains { $0.code == "sensor_match" }, "\(same.analyser("sensor_identity")!)")
        XCTAssertTrue(codes(other).contains("sensor_mismatch"), "\(other.analyser("sensor_identity")!)")

        // The fingerprint file round-trips, and a flipped byte is caught.
        let bytes = SensorFingerprintFile.encode(enrolled)
        XCTAssertEqual(try SensorFingerprintFile.decode(bytes), enrolled)
        var damaged = bytes
        damaged[damaged.count / 2] ^= 0x40
        XCTAssertThrowsError(try SensorFingerprintFile.decode(damaged))
        XCTAssertThrowsError(try SensorFingerprintFile.decode(Array(bytes.prefix(100))))
        XCTAssertEqual(try? SensorFingerprintFile.decode(Array("not a fingerprint at all".utf8)), nil)
    }

    // Bad input: each gives "insufficient evidence", never a crash or an accusation.

    func testNoFramesAndOneFrame() {
        let empty = Self.session(0) { _, _ in nil }
        XCTAssertTrue(empty.isInsufficient)
        // Frames that will not decode: timing runs, nothing reads pixels.
        var undecodable = ForensicsSession(info: Self.info(), prnuFrames: 0)
        var noise = Noise(state: 8)
        for index in 0..<20 { undecodable.add(Self.genuine(index, &noise), luma: nil) }
        let blind = undecodable.report(timing: .kernel, nominalInterval: Fraction(1, 30))
        XCTAssertEqual(blind.analyser("timing")?.status, .ran)
        XCTAssertTrue(blind.isInsufficient, "timing alone must not let a session pass")
        XCTAssertEqual(codes(empty), [])
        XCTAssertEqual(Set(empty.analysers.map(\.name)), Set(ForensicsReport.analyserNames))

        let one = Self.session(1, frame: Self.genuine)
        for name in ["timing", "repetition", "temporal_noise", "reencoding"] {
            XCTAssertEqual(one.analyser(name)?.status, .insufficientEvidence, name)
        }
        XCTAssertEqual(codes(one), [])
    }

    func testAllBlackAndAllSaturated() {
        for level in [0.0, 255.0] {
            let report = Self.session { index, noise in
                Self.yuyv([Double](repeating: level, count: Self.width * Self.height), index: index, timestamp: Self.jitteredTimestamp(index, &noise))
            }
            XCTAssertEqual(report.analyser("repetition")?.status, .insufficientEvidence, "level \(level)")
            XCTAssertEqual(report.analyser("temporal_noise")?.status, .insufficientEvidence, "level \(level)")
            XCTAssertEqual(codes(report, severity: .attack), [], "level \(level): \(report.findings)")
            XCTAssertTrue(report.isInsufficient, "level \(level): no pixel analyser can read a flat picture: \(report.analysers.map { "\($0.name) \($0.status)" })")
        }
    }

    func testMismatchedSizesDoNotCrash() {
        let small = FrameFormat.packed(.yuyv, width: 64, height: 48)!
        let report = Self.session { index, noise in
            var frame = Self.genuine(index, &noise)
            if index % 2 == 1 {
                frame = Frame(metadata: frame.metadata, format: small, payload: [UInt8](repeating: 90, count: 64 * 48 * 2))
            }
            return frame
        }
        XCTAssertTrue(codes(report).contains("format_changed"))
    }

    // Findings of the review of this analyser set, each a regression test.

    func testTwoFramesAlternatedAreALoop() {
        var noise = Noise(state: 21)
        let stills = (0..<2).map { _ in zip(Self.scene(), Self.correlatedNoise(&noise, sigma: 1.5)).map(+) }
        let report = Self.session { index, noise in Self.yuyv(stills[index % 2], index: index, timestamp: Self.jitteredTimestamp(index, &noise)) }
        XCTAssertEqual(report.findings.first { $0.code == "loop_detected" }?.evidence["lag_frames"], "2", "\(report.findings)")
        XCTAssertTrue(codes(report).contains("noise_reused"), "alternating noise correlates at −1: \(report.findings)")
    }

    func testUndecodableFramesBetweenGoodOnesDoNotPass() {
        var session = ForensicsSession(info: Self.info(), prnuFrames: 0)
        var noise = Noise(state: 4)
        let still = Self.genuine(0, &noise)
        for index in 0..<40 {
            let frame = Self.yuyv([], index: index, timestamp: Self.jitteredTimestamp(index, &noise)).withPayload(still.payload, metadata: FrameMetadata(
                index: index, sequence: UInt32(index), timestamp: Self.jitteredTimestamp(index, &noise)))
            session.add(frame, luma: index % 2 == 0 ? LumaPlane(frame: frame) : nil)
        }
        let report = session.report(timing: .kernel, nominalInterval: Fraction(1, 30))
        XCTAssertTrue(report.isInsufficient, "\(report.analysers.map { "\($0.name) \($0.status)" })")
        XCTAssertEqual(report.findings.first { $0.code == "undecodable_frames" }?.severity, .suspicious)
        XCTAssertNil(report.attackHints["synthetic_noise"] ?? nil, "no hint where the temporal-noise analyser did not run")
    }

    func testBrightnessChangesDoNotHideOrFakeNoiseStructure() {
        // White noise with a random global brightness step per frame is still white.
        let scene = Self.scene()
        let jittered = Self.session { index, noise in
            let offset = 1.5 * noise.gaussian()
            return Self.yuyv(scene.map { $0 + offset + 1.5 * noise.gaussian() }, index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertTrue(codes(jittered).contains("synthetic_noise"), "\(jittered.findings)")
        // Fresh camera-like noise under an exposure ramp is still fresh.
        let ramp = Self.session { index, noise in
            let offset = 0.5 * Double(min(index, 30))
            return Self.yuyv(zip(scene, Self.correlatedNoise(&noise, sigma: 0.8)).map { $0 + $1 + offset }, index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertEqual(codes(ramp), [], "\(ramp.findings)")
    }

    func testMainsFlickerOnAStillPersonIsNotALoop() {
        let scene = Self.scene()
        let report = Self.session(60) { index, noise in
            // 50 Hz light seen at 30 fps beats with a 3-frame period.
            let gain = 1 + 0.01 * sin(2 * Double.pi * Double(index) / 3)
            return Self.yuyv(zip(scene, Self.correlatedNoise(&noise, sigma: 1.0)).map { $0 * gain + $1 }, index: index, timestamp: Self.jitteredTimestamp(index, &noise))
        }
        XCTAssertFalse(codes(report).contains("loop_detected"), "\(report.findings)")
    }

    func testTinyFramesAreInsufficientNotAccused() {
        for (width, height) in [(1, 1), (1, 200), (200, 1), (2, 2), (17, 17), (64, 64), (8, 300)] {
            let format = FrameFormat.packed(.grey, width: width, height: height)!
            var session = ForensicsSession(format: format, prnuFrames: 24)
            var noise = Noise(state: 17)
            for index in 0..<30 {
                let pixels = (0..<(width * height)).map { i in UInt8(max(0, min(255, 120 + 30 * sin(Double(i) / 5) + 2 * noise.gaussian()))) }
                let frame = Frame(metadata: FrameMetadata(index: index, sequence: UInt32(index), timestamp: Self.jitteredTimestamp(index, &noise)),
                                  format: format, payload: pixels)
                session.add(frame, luma: LumaPlane(frame: frame))
            }
            let report = session.report(timing: .kernel, nominalInterval: Fraction(1, 30))
            XCTAssertEqual(codes(report), [], "\(width)x\(height): \(report.findings)")
            XCTAssertTrue(report.isInsufficient, "\(width)x\(height)")
        }
        XCTAssertNil(PRNUCrop(frameWidth: 1, frameHeight: 1))
        XCTAssertNil(PRNUCrop(frameWidth: 65, frameHeight: 500))
        XCTAssertNil(MoireAnalyser.Accumulator(width: 1, height: 300))
    }

    func testAnEnrolledSensorCannotBeSwitchedOffBySize() throws {
        var enrollment = try XCTUnwrap(PRNUAccumulator(frameWidth: 128, frameHeight: 128))
        var noise = Noise(state: 2)
        for _ in 0..<10 {
            enrollment.add(try XCTUnwrap(LumaPlane(width: 128, height: 128, pixels: (0..<(128 * 128)).map { _ in UInt8(150 + Int(noise.gaussian() * 2)) })))
        }
        let report = Self.session(sensor: enrollment.fingerprint(source: "t", createdAt: ""), frame: Self.genuine)
        XCTAssertEqual(report.findings.first { $0.code == "sensor_unverified" }?.severity, .suspicious, "\(report.findings)")
        XCTAssertEqual(report.attackHints["sensor_mismatch"] ?? nil, 0.5)
    }

    func testCraftedFingerprintHeadersAreRefused() throws {
        func file(_ header: String, count: UInt32, values: Int) -> [UInt8] {
            var bytes = Array("CGPRNU\r\n".utf8)
            bytes.appendLittleEndian(UInt32(1))
            bytes.appendLittleEndian(UInt32(header.utf8.count))
            bytes += Array(header.utf8)
            bytes.appendLittleEndian(count)
            bytes += [UInt8](repeating: 0, count: values * 4)
            bytes.appendLittleEndian(CRC32.of(bytes))
            return bytes
        }
        let headers = [
            #"{"schema":"captureguard.sensor-prnu/1","frame_width":1280,"frame_height":720,"crop":{"x":1,"y":1,"width":4611686018427387904,"height":4},"frames_used":1,"source":"","created_at":""}"#,
            #"{"schema":"captureguard.sensor-prnu/1","frame_width":1280,"frame_height":720,"crop":{"x":9223372036854775807,"y":1,"width":1,"height":1},"frames_used":1,"source":"","created_at":""}"#,
            #"{"schema":"captureguard.sensor-prnu/1","frame_width":1,"frame_height":1,"crop":{"x":0,"y":0,"width":-8,"height":-8},"frames_used":1,"source":"","created_at":""}"#,
            #"{"schema":"captureguard.sensor-prnu/1","frame_width":-5,"frame_height":9223372036854775807,"crop":{"x":0,"y":0,"width":64,"height":64},"frames_used":1,"source":"","created_at":""}"#,
        ]
        for header in headers {
            XCTAssertThrowsError(try SensorFingerprintFile.decode(file(header, count: 64, values: 64)), header)
        }
    }

    func testMedianBySelectionMatchesSorting() {
        var noise = Noise(state: 1)
        for count in [1, 2, 3, 10, 101, 1000] {
            let values = (0..<count).map { _ in (noise.gaussian() * 10).rounded() }
            let sorted = values.sorted()
            let expected = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
            XCTAssertEqual(median(values), expected, "count \(count)")
        }
        XCTAssertNil(median([]))
    }
}

extension Frame {
    func withTimestamp(_ timestamp: Int64) -> Frame {
        var copy = self
        copy.metadata.timestampNanoseconds = timestamp
        copy.metadata.hostMonotonicNanoseconds = timestamp + 3_000_000
        return copy
    }

    func withPayload(_ payload: [UInt8], metadata: FrameMetadata) -> Frame {
        Frame(metadata: metadata, format: format, payload: payload)
    }
}

extension FrameMetadata {
    init(index: Int, sequence: UInt32, timestamp: Int64) {
        self.init(index: index, sequence: sequence, timestampNanoseconds: timestamp, flags: BufferFlags(rawValue: 0x2000 | 0x1_0000),
                  bytesUsed: 0, hostMonotonicNanoseconds: timestamp + 3_000_000)
    }
}
