@testable import FaceAnalysis
import FrameForensics
import XCTest

/// Quality signals on constructed images, and the session's findings and
/// guidance through a scripted detector.
final class FaceQualityTests: XCTestCase {
    /// A 320×240 frame with a textured 96×96 "face" at (x, y): 8-pixel blocks
    /// of hashed levels around `level` (contrast ±40), whose edges are the
    /// detail a blur removes, on a mid-gray background.
    static func frame(faceAt x: Int = 112, _ y: Int = 72, side: Int = 96, level: Int = 128, blurRadius: Int = 0,
                      leftGain: Double = 1) -> LumaPlane {
        let width = 320, height = 240
        var pixels = [UInt8](repeating: 110, count: width * height)
        for row in y..<min(y + side, height) {
            for column in x..<min(x + side, width) {
                let hash = abs(((row - y) / 8 &* 73_856_093) ^ ((column - x) / 8 &* 19_349_663))
                var value = Double(level + (hash % 81) - 40)
                if column < x + side / 2 { value *= leftGain }
                pixels[row * width + column] = UInt8(max(0, min(255, value)))
            }
        }
        var plane = LumaPlane(width: width, height: height, pixels: pixels)!
        if blurRadius > 0 { plane = boxBlur(plane, radius: blurRadius) }
        return plane
    }

    static func boxBlur(_ plane: LumaPlane, radius: Int) -> LumaPlane {
        var out = plane.pixels
        for y in 0..<plane.height {
            for x in 0..<plane.width {
                var total = 0, count = 0
                for dy in -radius...radius {
                    for dx in -radius...radius {
                        let yy = y + dy, xx = x + dx
                        guard yy >= 0, yy < plane.height, xx >= 0, xx < plane.width else { continue }
                        total += Int(plane.pixels[yy * plane.width + xx])
                        count += 1
                    }
                }
                out[y * plane.width + x] = UInt8(total / count)
            }
        }
        return LumaPlane(width: plane.width, height: plane.height, pixels: out)!
    }

    let centred = FaceBox(x: 112, y: 72, width: 96, height: 96)

    func testSharpnessFallsWithBlur() throws {
        let sharp = try XCTUnwrap(FaceQuality.measure(Self.frame(), face: centred))
        let blurred = try XCTUnwrap(FaceQuality.measure(Self.frame(blurRadius: 5), face: centred))
        XCTAssertGreaterThan(sharp.sharpness, FaceQualityPolicy.standard.minSharpness)
        XCTAssertLessThan(blurred.sharpness, FaceQualityPolicy.standard.minSharpness)
    }

    func testExposureAndLighting() throws {
        let normal = try XCTUnwrap(FaceQuality.measure(Self.frame(), face: centred))
        XCTAssertEqual(normal.meanLuma, 128, accuracy: 3)
        XCTAssertEqual(normal.lightingUniformity, 1, accuracy: 0.05)
        let dark = try XCTUnwrap(FaceQuality.measure(Self.frame(level: 25), face: centred))
        XCTAssertLessThan(dark.meanLuma, FaceQualityPolicy.standard.minMeanLuma)
        XCTAssertGreaterThan(dark.clippedDark, 0.05)
        let bright = try XCTUnwrap(FaceQuality.measure(Self.frame(level: 240), face: centred))
        XCTAssertGreaterThan(bright.clippedBright, FaceQualityPolicy.standard.maxClipped)
        let sideLit = try XCTUnwrap(FaceQuality.measure(Self.frame(leftGain: 0.35), face: centred))
        XCTAssertLessThan(sideLit.lightingUniformity, FaceQualityPolicy.standard.minLightingUniformity)
    }

    func testFraming() throws {
        let centre = try XCTUnwrap(FaceQuality.measure(Self.frame(), face: centred))
        XCTAssertEqual(centre.offsetX, 0, accuracy: 0.01)
        XCTAssertEqual(centre.offsetY, 0, accuracy: 0.01)
        XCTAssertEqual(centre.size, 0.4, accuracy: 0.001)
        XCTAssertFalse(centre.cutOff)
        let corner = FaceBox(x: 0, y: 10, width: 60, height: 60)
        let offCentre = try XCTUnwrap(FaceQuality.measure(Self.frame(faceAt: 0, 10, side: 60), face: corner))
        XCTAssertLessThan(offCentre.offsetX, -0.5)
        XCTAssertTrue(offCentre.cutOff)
        XCTAssertNil(FaceQuality.measure(Self.frame(), face: FaceBox(x: 400, y: 400, width: 10, height: 10)))
    }

    /// Returns the scripted boxes for each call, in order.
    final class ScriptedDetector: FaceDetecting, @unchecked Sendable {
        var script: [[FaceBox]]
        var calls: [DetectionParameters] = []
        init(_ script: [[FaceBox]]) { self.script = script }
        func detect(in image: LumaPlane, parameters: DetectionParameters) -> [FaceBox] {
            calls.append(parameters)
            return script.isEmpty ? [] : script.removeFirst()
        }
    }

    func report(_ frames: [LumaPlane], _ script: [[FaceBox]], policy: FaceQualityPolicy = .standard) -> (FaceReport, ScriptedDetector) {
        // Full scans only: the scripted boxes are in frame coordinates, and a
        // tracking scan would see a crop.
        let detector = ScriptedDetector(script)
        var session = FaceSession(detector: detector, sampleStride: 1, fullScanEvery: 1)
        for (index, frame) in frames.enumerated() { _ = session.add(frameIndex: index, luma: frame) }
        return (session.report(policy: policy), detector)
    }

    func testAGoodSessionHasNoFindings() {
        let (report, _) = report(Array(repeating: Self.frame(), count: 4), Array(repeating: [centred], count: 4))
        XCTAssertEqual(report.findings.map(\.code), [])
        XCTAssertEqual(report.framesWithFace, 4)
        XCTAssertEqual(report.best?.faces, [centred])
    }

    func testNoFaceIsAFindingNotAnError() {
        let (report, _) = report(Array(repeating: Self.frame(), count: 3), [])
        XCTAssertEqual(report.findings.map(\.code), ["no_face"])
        XCTAssertEqual(report.guidance, ["look_at_camera"])
        XCTAssertNil(report.best)
    }

    func testEachQualityProblemGivesItsGuidance() {
        let small = FaceBox(x: 140, y: 100, width: 40, height: 40)
        let cases: [(LumaPlane, FaceBox, String, String)] = [
            (Self.frame(blurRadius: 5), centred, "face_blurry", "hold_still"),
            (Self.frame(level: 25), centred, "too_dark", "more_light"),
            (Self.frame(level: 240), centred, "too_bright", "less_light"),
            (Self.frame(leftGain: 0.35), centred, "uneven_lighting", "even_light"),
            (Self.frame(faceAt: 140, 100, side: 40), small, "face_too_small", "move_closer"),
            (Self.frame(faceAt: 0, 10, side: 96), FaceBox(x: 0, y: 10, width: 96, height: 96), "face_off_centre", "centre_face"),
        ]
        for (frame, box, code, guidance) in cases {
            let (report, _) = report([frame, frame], [[box], [box]])
            XCTAssertTrue(report.findings.map(\.code).contains(code), "\(code): \(report.findings.map(\.code))")
            XCTAssertTrue(report.guidance.contains(guidance), "\(code): \(report.guidance)")
            XCTAssertTrue(report.findings.allSatisfy { $0.severity == .info }, "quality is never an attack")
        }
    }

    func testCountsPeopleAndIntermittentFaces() {
        let other = FaceBox(x: 10, y: 10, width: 90, height: 90)
        let (crowd, _) = report([Self.frame()], [[centred, other]])
        XCTAssertTrue(crowd.findings.map(\.code).contains("multiple_faces"))
        let (flicker, _) = report(Array(repeating: Self.frame(), count: 4), [[centred], [], [], []])
        XCTAssertEqual(flicker.framesWithFace, 1)
        XCTAssertTrue(flicker.findings.map(\.code).contains("face_intermittent"))
    }

    func testTracksBetweenFullScansAndPrefersTheSharperFace() {
        let sharp = Self.frame(), soft = Self.frame(blurRadius: 2)
        let detector = ScriptedDetector([[centred], [centred], [centred]])
        var session = FaceSession(detector: detector, sampleStride: 1, fullScanEvery: 10)
        XCTAssertEqual(session.add(frameIndex: 0, luma: soft)?.isBest, true)
        XCTAssertEqual(session.add(frameIndex: 1, luma: sharp)?.isBest, true)
        XCTAssertEqual(session.add(frameIndex: 2, luma: soft)?.isBest, false)
        XCTAssertEqual(session.best?.frameIndex, 1)
        // The first call is a full scan; later ones look around the last face.
        XCTAssertNil(detector.calls[0].maxSize)
        XCTAssertEqual(detector.calls[1].maxSize, Int((96 * FaceSession.trackingScaleRange).rounded()))
        // With stride 3 only every third frame is looked at.
        var sparse = FaceSession(detector: ScriptedDetector([]), sampleStride: 3)
        let sampled = (0..<7).compactMap { sparse.add(frameIndex: $0, luma: sharp) }.count
        XCTAssertEqual(sampled, 3)
    }

    func testPolicyValidation() {
        XCTAssertNil(FaceQualityPolicy.standard.problem)
        var bad = FaceQualityPolicy.standard
        bad.minFaceSize = 0.9
        XCTAssertNotNil(bad.problem)
        bad = .standard
        bad.maxMeanLuma = 300
        XCTAssertNotNil(bad.problem)
    }
}
