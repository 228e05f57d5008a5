import CaptureModel
@testable import FaceAnalysis
import FrameForensics
import XCTest

/// PAD features on constructed colour images, the chroma reader, and the
/// model's arithmetic. How well the trained model separates attacks is
/// measured by Tools/corpus/train-pad on the corpus, not here.
final class PADTests: XCTestCase {
    static let width = 320, height = 240

    /// A YUYV frame: luma from `lumaAt`, chroma (Cb, Cr) from `chromaAt` per pixel pair.
    static func yuyv(lumaAt: (Int, Int) -> UInt8, chromaAt: (Int, Int) -> (UInt8, UInt8)) -> Frame {
        let format = FrameFormat.packed(.yuyv, width: width, height: height)!
        var payload = [UInt8](repeating: 0, count: width * height * 2)
        for y in 0..<height {
            for pair in 0..<(width / 2) {
                let at = y * width * 2 + pair * 4
                let (cb, cr) = chromaAt(pair * 2, y)
                payload[at] = lumaAt(pair * 2, y)
                payload[at + 1] = cb
                payload[at + 2] = lumaAt(pair * 2 + 1, y)
                payload[at + 3] = cr
            }
        }
        let metadata = FrameMetadata(index: 0, sequence: 0, timestampNanoseconds: nil, flags: BufferFlags(rawValue: 0),
                                     bytesUsed: payload.count, hostMonotonicNanoseconds: nil)
        return Frame(metadata: metadata, format: format, payload: payload)
    }

    /// Smooth "skin": low-frequency shading plus hashed fine texture.
    static func skin(_ x: Int, _ y: Int) -> UInt8 {
        let hash = abs((x &* 73_856_093) ^ (y &* 19_349_663)) % 21
        return UInt8(110 + (x + y) / 12 + hash)
    }

    let face = FaceBox(x: 100, y: 60, width: 120, height: 120)

    func testChromaPlanesReadYUYV() throws {
        let frame = Self.yuyv(lumaAt: { x, _ in UInt8(x % 256) }, chromaAt: { x, y in (UInt8(x / 2 % 256), UInt8(y % 256)) })
        let chroma = try XCTUnwrap(ChromaPlanes(frame: frame))
        XCTAssertEqual(chroma.width, Self.width / 2)
        XCTAssertEqual(chroma.height, Self.height)
        XCTAssertEqual(chroma.cb(x: 10, y: 5), 5)
        XCTAssertEqual(chroma.cr(x: 10, y: 7), 7)
        let gray = Frame(metadata: frame.metadata, format: FrameFormat.packed(.grey, width: Self.width, height: Self.height)!,
                         payload: [UInt8](repeating: 0, count: Self.width * Self.height))
        XCTAssertNil(ChromaPlanes(frame: gray))
    }

    func testUniformLBPHas58Codes() {
        XCTAssertEqual(Set(PADMeasurement.uniformIndex.filter { $0 < 58 }).count, 58)
        XCTAssertEqual(PADMeasurement.uniformIndex.filter { $0 == 58 }.count, 256 - 58)
    }

    func measures(_ frame: Frame) throws -> PADFrameMeasures {
        let luma = try XCTUnwrap(LumaPlane(frame: frame))
        let chroma = try XCTUnwrap(ChromaPlanes(frame: frame))
        return try XCTUnwrap(PADMeasurement.measure(luma: luma, chroma: chroma, face: face, sharpness: 50))
    }

    func testAPixelGridShowsAsPeaksAndSkinDoesNot() throws {
        let skin = try measures(Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (120, 140) }))
        // A display-like grid: every third column dark, every fourth row dark.
        let grid = try measures(Self.yuyv(lumaAt: { x, y in x % 3 == 0 || y % 4 == 0 ? 60 : Self.skin(x, y) }, chromaAt: { _, _ in (120, 140) }))
        XCTAssertLessThan(skin.faceStrongestPeak, MoireAnalyser.peakLogExcess)
        XCTAssertGreaterThanOrEqual(grid.faceStrongestPeak, MoireAnalyser.peakLogExcess)
        XCTAssertGreaterThan(grid.facePeaks, skin.facePeaks)
        // The grid covers the whole frame, so the background shows it too.
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(grid.backgroundStrongestPeak), MoireAnalyser.peakLogExcess)
    }

    func testColourStatistics() throws {
        let neutral = try measures(Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (128, 128) }))
        XCTAssertEqual(neutral.saturationMean, 0, accuracy: 1e-9)
        XCTAssertEqual(neutral.cbMean, 0, accuracy: 1e-9)
        let bluish = try measures(Self.yuyv(lumaAt: Self.skin, chromaAt: { x, y in (UInt8(150 + (x + y) % 20), 120) }))
        XCTAssertGreaterThan(bluish.cbMean, 20)
        XCTAssertLessThan(bluish.crMean, 0)
        XCTAssertGreaterThan(bluish.saturationMean, 20)
        XCTAssertGreaterThan(bluish.chromaDiversity, neutral.chromaDiversity)
        XCTAssertEqual(bluish.colourLBP.count, PADMeasurement.colourLBPCount)
        // Six channels, each a histogram summing to 1.
        for channel in 0..<6 {
            XCTAssertEqual(bluish.colourLBP[(channel * 59)..<((channel + 1) * 59)].reduce(0, +), 1, accuracy: 1e-9)
        }
    }

    func testSurroundDarkReadsTheDarkestContentAroundTheFace() throws {
        // Dark hair beside the face (columns 50-89, inside the surround of
        // the box grown by half its size: columns 40-279); the frame's far
        // left (columns 0-29, outside the surround) darker still.
        func frame(hair: UInt8) -> Frame {
            Self.yuyv(lumaAt: { x, y in x < 30 ? 5 : (50..<90).contains(x) ? hair : Self.skin(x, y) }, chromaAt: { _, _ in (120, 140) })
        }
        let live = try measures(frame(hair: 20))
        let lifted = try measures(frame(hair: 70))
        XCTAssertEqual(live.surroundDark, 20)
        XCTAssertEqual(lifted.surroundDark, 70)
        // The face's own dark level does not see the hair.
        XCTAssertEqual(live.darkLevel, lifted.darkLevel)
    }

    func testSurroundWhiteCbReadsTheColourOfTheBrightestContentAroundTheFace() throws {
        // A bright patch (a collar, or a screen's white) below the face, in
        // the surround (rows 190-219 of the box grown by half: rows 0-239),
        // at luma 230 where the skin stays under 180; the frame's far left
        // (columns 0-29, outside the surround) brighter and yellow.
        func frame(patchCb: UInt8) -> Frame {
            Self.yuyv(lumaAt: { x, y in x < 30 ? 250 : (190..<220).contains(y) && (120..<200).contains(x) ? 230 : Self.skin(x, y) },
                      chromaAt: { x, y in x < 30 ? (60, 150) : (190..<220).contains(y) && (120..<200).contains(x) ? (patchCb, 128) : (110, 145) })
        }
        let neutral = try measures(frame(patchCb: 128))
        let blue = try measures(frame(patchCb: 150))
        // 2,400 patch pixels are 4.2 % of the 57,600-pixel surround: the
        // brightest 2 % lie inside it, the skin's warm Cb (-18) does not count.
        XCTAssertEqual(neutral.surroundWhiteCb, 0, accuracy: 1e-9)
        XCTAssertEqual(blue.surroundWhiteCb, 22, accuracy: 1e-9)
        // The face's own colour does not see the patch.
        XCTAssertEqual(neutral.cbMean, blue.cbMean)
        // Nothing bright around the face: the brightest skin sets it.
        let plain = try measures(Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (110, 145) }))
        XCTAssertEqual(plain.surroundWhiteCb, -18, accuracy: 1e-9)
    }

    func testStraightEdgeSeesABezelAroundTheFace() throws {
        // A dark 8-pixel frame (a bezel) around the face, outside the
        // excluded face-and-hair box (columns 70-249, rows 30-209): its
        // top and bottom edges run 240 columns, twice the face height.
        let framed = try measures(Self.yuyv(lumaAt: { x, y in
            let inside = (40..<280).contains(x) && (10..<230).contains(y)
            let bezel = inside && !((48..<272).contains(x) && (18..<222).contains(y))
            return bezel ? 20 : Self.skin(x, y)
        }, chromaAt: { _, _ in (120, 140) }))
        let plain = try measures(Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (120, 140) }))
        XCTAssertGreaterThan(framed.straightEdge, 1.5)
        XCTAssertLessThan(plain.straightEdge, 0.2)
    }

    /// A room with smooth texture everywhere (a lens-blurred scene: a
    /// one-sample shift stays within the gradient's linear range).
    static func room(_ x: Int, _ y: Int) -> UInt8 {
        UInt8(128 + 60 * sin(Double(x) * 2 * .pi / 20) + 20 * sin(Double(y) * 2 * .pi / 40))
    }

    static func plane(_ lumaAt: (Int, Int) -> UInt8) throws -> LumaPlane {
        try XCTUnwrap(LumaPlane(width: width, height: height, pixels: (0..<(width * height)).map { lumaAt($0 % width, $0 / width) }))
    }

    func testBackgroundMotionSeesTheSceneMoveButNotThePerson() throws {
        let before = PADMeasurement.HalfPlane(try Self.plane(Self.room))
        // The person (face box, hair and shoulders: columns 10-309 from
        // row 0 down) moves 4 pixels; the room stays.
        let personMoved = PADMeasurement.HalfPlane(try Self.plane { x, y in
            (10..<310).contains(x) && y >= 0 ? Self.room(x + 4, y) : Self.room(x, y)
        })
        // The whole picture moves 2 pixels (one sample of the half plane), as a hand-held screen does.
        let sceneMoved = PADMeasurement.HalfPlane(try Self.plane { x, y in Self.room(x + 2, y) })
        let still = try XCTUnwrap(PADMeasurement.backgroundMotion(previous: before, current: before, face: face))
        XCTAssertEqual(still, 0)
        let person = try XCTUnwrap(PADMeasurement.backgroundMotion(previous: before, current: personMoved, face: face))
        XCTAssertLessThan(person, 0.05, "a live person moving against a still room")
        let scene = try XCTUnwrap(PADMeasurement.backgroundMotion(previous: before, current: sceneMoved, face: face))
        XCTAssertGreaterThan(scene, 0.5, "everything beside the person moved")
        // A featureless wall gives too few samples to measure.
        let wall = PADMeasurement.HalfPlane(try Self.plane { _, _ in 128 })
        XCTAssertNil(PADMeasurement.backgroundMotion(previous: wall, current: wall, face: face))
        // Planes of different sizes are not compared.
        let smaller = PADMeasurement.HalfPlane(try XCTUnwrap(LumaPlane(width: 100, height: 100, pixels: [UInt8](repeating: 9, count: 10_000))))
        XCTAssertNil(PADMeasurement.backgroundMotion(previous: smaller, current: before, face: face))
    }

    func testSessionMeasuresBackgroundMotionBetweenSamples() throws {
        let chromaAt: (Int, Int) -> (UInt8, UInt8) = { _, _ in (120, 140) }
        let scene = { (shift: Int) in Self.yuyv(lumaAt: { x, y in
            self.face.x <= x && x < self.face.x + self.face.width && self.face.y <= y && y < self.face.y + self.face.height
                ? Self.skin(x, y) : Self.room(x + shift, y)
        }, chromaAt: chromaAt) }
        func features(_ frames: [Frame]) throws -> PADFeatures {
            var session = FaceSession(detector: FaceQualityTests.ScriptedDetector(frames.map { _ in [face] }), sampleStride: 1, fullScanEvery: 1)
            for (index, frame) in frames.enumerated() {
                _ = session.add(frameIndex: index, luma: try XCTUnwrap(LumaPlane(frame: frame)), chroma: ChromaPlanes(frame: frame))
            }
            return try XCTUnwrap(PADFeatures(session.padMeasures))
        }
        XCTAssertEqual(try features([scene(0), scene(0), scene(0)]).scalars["background_motion"], 0)
        XCTAssertGreaterThan(try features([scene(0), scene(2), scene(4)]).scalars["background_motion"] ?? 0, 0.5)
        XCTAssertEqual(try features([scene(0)]).scalars["background_motion"], 0, "one sample: nothing to compare, read as still")
    }

    func testAFaceTooSmallOrGrayHasNoMeasures() throws {
        let frame = Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (128, 128) })
        let luma = try XCTUnwrap(LumaPlane(frame: frame))
        let chroma = try XCTUnwrap(ChromaPlanes(frame: frame))
        XCTAssertNil(PADMeasurement.measure(luma: luma, chroma: chroma, face: FaceBox(x: 10, y: 10, width: 30, height: 30), sharpness: 1))
    }

    func model(bias: Double) -> PADModel {
        let count = PADFeatures.scalarNames.count
        return PADModel(version: "test", features: PADFeatures.scalarNames, mean: Array(repeating: 0, count: count), scale: Array(repeating: 1, count: count),
                        screen: .init(weights: Array(repeating: 0, count: count), bias: bias),
                        print: .init(weights: Array(repeating: 0, count: count), bias: -bias),
                        liveSkinLBP: Array(repeating: 1.0 / 354, count: 354), maskDistance: 1, maskSpread: 0.1, training: "test")
    }

    func testModelArithmeticAndUsability() throws {
        let features = try XCTUnwrap(PADFeatures([try measures(Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (128, 128) }))]))
        let hints = try XCTUnwrap(model(bias: 2).hints(features))
        XCTAssertEqual(hints.screen, 1 / (1 + exp(-2)), accuracy: 1e-12)
        XCTAssertEqual(hints.print, 1 / (1 + exp(2)), accuracy: 1e-12)
        XCTAssertEqual(hints.score, max(hints.screen, hints.print, try XCTUnwrap(hints.maskLike)))
        // The checked-in model fits this build's features.
        XCTAssertTrue(PADModel.trained.isUsable, PADModel.trained.version)
        XCTAssertNotNil(PADModel.trained.hints(features))
        var broken = model(bias: 0)
        broken.scale[0] = 0
        XCTAssertFalse(broken.isUsable)
        XCTAssertNil(broken.hints(features), "an unusable model gives no hints")
        var unknown = model(bias: 0)
        unknown.features[0] = "not_a_feature"
        XCTAssertFalse(unknown.isUsable)
    }

    func testMaskLikeNeedsAFaceLargeEnoughForTexture() throws {
        let frame = Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (128, 128) })
        let luma = try XCTUnwrap(LumaPlane(frame: frame))
        let chroma = try XCTUnwrap(ChromaPlanes(frame: frame))
        // An 80 px box: the inner face (less 15 % a side) is 56 px, under
        // the 64 px texture size; the 120 px box's inner face is 84 px.
        let small = try XCTUnwrap(PADMeasurement.measure(luma: luma, chroma: chroma, face: FaceBox(x: 100, y: 60, width: 80, height: 80), sharpness: 50))
        let large = try measures(frame)
        XCTAssertFalse(small.textureNative)
        XCTAssertTrue(large.textureNative)
        let unassessed = try XCTUnwrap(PADFeatures([small, small]))
        let assessed = try XCTUnwrap(PADFeatures([small, large]))
        XCTAssertEqual(unassessed.textureFrames, 0)
        XCTAssertEqual(assessed.textureFrames, 1)
        // The texture read is the large face's alone.
        XCTAssertEqual(assessed.colourLBP, large.colourLBP)
        XCTAssertEqual(unassessed.colourLBP, small.colourLBP)
        // Screen and print at 0.5; the constructed skin is far from the
        // model's flat live histogram, so an assessed mask-like hint is high.
        let even = model(bias: 0)
        let without = try XCTUnwrap(even.hints(unassessed))
        XCTAssertNil(without.maskLike)
        XCTAssertEqual(without.score, 0.5, accuracy: 1e-12)
        let with = try XCTUnwrap(even.hints(assessed))
        XCTAssertGreaterThan(try XCTUnwrap(with.maskLike), 0.99)
        XCTAssertEqual(with.score, with.maskLike)
        // Not assessed is written as null, so readers see the key.
        let json = String(decoding: try JSONEncoder().encode(without), as: UTF8.self)
        XCTAssertTrue(json.contains(#""mask_like":null"#), json)
        // No mask-like finding without the hint.
        let result = FaceSession.pad(unassessed, model: even)
        XCTAssertFalse(result.findings.map(\.code).contains("mask_like_texture"))
    }

    func testSessionReportsPADOnlyWithColour() throws {
        let frame = Self.yuyv(lumaAt: Self.skin, chromaAt: { _, _ in (128, 128) })
        let luma = try XCTUnwrap(LumaPlane(frame: frame))
        let detector = FaceQualityTests.ScriptedDetector([[face], [face]])
        var session = FaceSession(detector: detector, sampleStride: 1, fullScanEvery: 1)
        _ = session.add(frameIndex: 0, luma: luma)
        XCTAssertNil(session.report(policy: .standard).pad, "no chroma, no PAD")
        _ = session.add(frameIndex: 1, luma: luma, chroma: ChromaPlanes(frame: frame))
        let pad = try XCTUnwrap(session.report(policy: .standard, model: model(bias: 3)).pad)
        XCTAssertEqual(pad.features.frames, 1)
        XCTAssertEqual(pad.findings.map(\.code).contains("screen_attack"), true)
        XCTAssertTrue(pad.findings.allSatisfy { $0.severity == .suspicious })
    }
}
