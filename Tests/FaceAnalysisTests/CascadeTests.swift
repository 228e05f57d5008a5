@testable import FaceAnalysis
import FrameForensics
import XCTest

/// The cascade reader and the detector's arithmetic, against hand-built
/// cascades and brute-force references. Detection parity with OpenCV on
/// real photos is Tests/faces/test_parity.py.
final class CascadeTests: XCTestCase {
    /// A one-stage Haar cascade: bright centre square against its frame.
    static func haarXML(stageThreshold: String = "0.5", rects: String = "<_>2 2 8 8 -1.</_><_>4 4 4 4 4.</_>",
                        internalNodes: String = "0 -1 0 0.1", leaves: String = "-1. 1.", extraFeature: String = "") -> String {
        """
        <?xml version="1.0"?>
        <!-- a test cascade -->
        <opencv_storage>
        <cascade type_id="opencv-cascade-classifier"><stageType>BOOST</stageType>
          <featureType>HAAR</featureType>
          <height>12</height>
          <width>12</width>
          <stageParams><maxWeakCount>1</maxWeakCount></stageParams>
          <featureParams><maxCatCount>0</maxCatCount></featureParams>
          <stageNum>1</stageNum>
          <stages>
            <_>
              <maxWeakCount>1</maxWeakCount>
              <stageThreshold>\(stageThreshold)</stageThreshold>
              <weakClassifiers>
                <_><internalNodes>\(internalNodes)</internalNodes><leafValues>\(leaves)</leafValues></_>
              </weakClassifiers>
            </_>
          </stages>
          <features>
            <_><rects>\(rects)</rects></_>\(extraFeature)
          </features>
        </cascade>
        </opencv_storage>
        """
    }

    func parse(_ text: String) throws -> Cascade { try Cascade(xml: Array(text.utf8)) }

    func assertRefused(_ text: String, containing fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            let message = (error as? CascadeError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", file: file, line: line)
        }
    }

    func testParsesAHandBuiltHaarCascade() throws {
        let cascade = try parse(Self.haarXML())
        XCTAssertEqual(cascade.kind, .haar)
        XCTAssertEqual(cascade.windowWidth, 12)
        XCTAssertEqual(cascade.stageCount, 1)
        XCTAssertEqual(cascade.haarFeatures.first?.rects.count, 2)
        // OpenCV lowers stage thresholds by 1e-5 when reading.
        XCTAssertEqual(cascade.stages[0].threshold, 0.5 - 1e-5, accuracy: 1e-7)
        XCTAssertTrue(cascade.isStumpBased)
    }

    func testXMLReaderHandlesCommentsEntitiesAndCRLF() throws {
        let root = try XMLReader.parse(Array("<?xml version=\"1.0\"?>\r\n<a x='1 &amp; 2'><!-- c --><b>&lt;5&gt;</b>\r\n<c/></a>".utf8))
        XCTAssertEqual(root.name, "a")
        XCTAssertEqual(root.attributes["x"], "1 & 2")
        XCTAssertEqual(root.child("b")?.text, "<5>")
        XCTAssertNotNil(root.child("c"))
    }

    func testMalformedXMLIsRefusedWithItsReason() {
        let full = Self.haarXML()
        assertRefused(String(full.prefix(full.count / 2)), containing: "not well-formed XML")
        assertRefused("<opencv_storage><a></b></opencv_storage>", containing: "closes <a>")
        assertRefused("<opencv_storage></opencv_storage>trailing", containing: "text outside the root")
        assertRefused("<!DOCTYPE x [<!ENTITY a 'b'>]><opencv_storage/>", containing: "DTD")
        assertRefused("<opencv_storage>&bogus;</opencv_storage>", containing: "unknown entity")
        let deep = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        assertRefused(deep, containing: "nested deeper")
        assertRefused("", containing: "no root element")
    }

    func testNonCascadeAndOldFormatAreRefused() {
        assertRefused("<opencv_storage><calibration><k>1</k></calibration></opencv_storage>", containing: "not a cascade classifier")
        assertRefused("<html><body/></html>", containing: "not an OpenCV FileStorage")
        assertRefused("<opencv_storage><face type_id=\"opencv-haar-classifier\"><size>24 24</size></face></opencv_storage>",
                      containing: "old-style")
        assertRefused(Self.haarXML().replacingOccurrences(of: "<featureType>HAAR", with: "<featureType>HOG"), containing: "HOG")
    }

    func testIndicesAndGeometryAreValidated() {
        assertRefused(Self.haarXML(internalNodes: "0 -1 3 0.1"), containing: "uses feature 3 of 1")
        assertRefused(Self.haarXML(rects: "<_>6 6 8 8 -1.</_><_>4 4 4 4 4.</_>"), containing: "leaves the 12×12 window")
        assertRefused(Self.haarXML(leaves: "-1."), containing: "need 2 leaf values")
        assertRefused(Self.haarXML(internalNodes: "0 -1 0"), containing: "not a multiple of 4")
        // A child that points back at its own node would loop forever.
        assertRefused(Self.haarXML(internalNodes: "0 1 0 0.1 1 -2 0 0.2", leaves: "1. 2. 3."), containing: "invalid child")
        assertRefused(Self.haarXML(internalNodes: "0 -1 0 nan"), containing: "not a number")
        // Int32.min as a child must be refused, not negated into a trap.
        assertRefused(Self.haarXML(internalNodes: "-2147483648 0 0 0.5"), containing: "invalid child")
        assertRefused(Self.haarXML(rects: "<_>2 2 8 8</_>"), containing: "x y width height weight")
        // Tilted rectangles reach left to x − h.
        assertRefused(Self.haarXML(extraFeature: "<_><rects><_>1 0 2 3 1.</_><_>1 0 2 3 1.</_></rects><tilted>1</tilted></_>"),
                      containing: "leaves the 12×12 window")
    }

    func testShippedCascadesParseWhenInstalled() throws {
        let haar = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
        let lbp = "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml"
        guard let haarBytes = FileManager.default.contents(atPath: haar), let lbpBytes = FileManager.default.contents(atPath: lbp) else {
            throw XCTSkip("opencv-data is not installed (Tools/setup installs it)")
        }
        let frontal = try Cascade(xml: [UInt8](haarBytes))
        XCTAssertEqual(frontal.kind, .haar)
        XCTAssertEqual(frontal.stageCount, 25)
        XCTAssertEqual(frontal.windowWidth, 24)
        XCTAssertEqual(frontal.trees.count, 2913)
        let improved = try Cascade(xml: [UInt8](lbpBytes))
        XCTAssertEqual(improved.kind, .lbp)
        XCTAssertEqual(improved.windowWidth, 45)
        XCTAssertEqual(improved.subsets.count, improved.nodes.count * 8)
    }

    func testDetectorFindsTheBrightSquareItWasBuiltFor() throws {
        let detector = CascadeDetector(cascade: try parse(Self.haarXML()))
        // A 12×12 bright square with a darker ring, repeated once at 2× size.
        var pixels = [UInt8](repeating: 20, count: 120 * 80)
        func square(_ x0: Int, _ y0: Int, _ side: Int) {
            for y in y0..<(y0 + side) { for x in x0..<(x0 + side) { pixels[y * 120 + x] = 60 } }
            let inner = side / 3
            for y in (y0 + inner)..<(y0 + 2 * inner) { for x in (x0 + inner)..<(x0 + 2 * inner) { pixels[y * 120 + x] = 240 } }
        }
        square(10, 10, 12)
        square(60, 30, 24)
        let plane = try XCTUnwrap(LumaPlane(width: 120, height: 80, pixels: pixels))
        let raw = detector.detect(in: plane, parameters: DetectionParameters(minNeighbors: 0))
        XCTAssertFalse(raw.isEmpty)
        XCTAssertTrue(raw.contains { $0.overlap(with: FaceBox(x: 10, y: 10, width: 12, height: 12)) > 0.5 }, "\(raw)")
        XCTAssertTrue(raw.contains { $0.overlap(with: FaceBox(x: 60, y: 30, width: 24, height: 24)) > 0.5 }, "\(raw)")
        // A flat image has no window with σ > 10: nothing is found.
        let flat = try XCTUnwrap(LumaPlane(width: 120, height: 80, pixels: [UInt8](repeating: 128, count: 120 * 80)))
        XCTAssertEqual(detector.detect(in: flat, parameters: DetectionParameters(minNeighbors: 0)), [])
        // An image smaller than the window is not an error.
        let tiny = try XCTUnwrap(LumaPlane(width: 8, height: 8, pixels: [UInt8](repeating: 0, count: 64)))
        XCTAssertEqual(detector.detect(in: tiny), [])
    }

    func testScaleListFollowsOpenCV() throws {
        let detector = CascadeDetector(cascade: try parse(Self.haarXML()))
        // Window 12 on 100×60: 12·1.1^k ≤ 60 → k ≤ 16.
        let all = detector.scales(width: 100, height: 60, parameters: DetectionParameters())
        XCTAssertEqual(all.count, 17)
        XCTAssertEqual(all.first, 1)
        // minSize skips small levels; maxSize ends the list.
        let limited = detector.scales(width: 100, height: 60, parameters: DetectionParameters(minSize: 20, maxSize: 40))
        XCTAssertTrue(limited.allSatisfy { Float(12) * $0 >= 19.5 && Float(12) * $0 <= 40.5 }, "\(limited)")
        // Nothing between minSize and maxSize: the level nearest minSize.
        let nearest = detector.scales(width: 100, height: 60, parameters: DetectionParameters(minSize: 55, maxSize: 13))
        XCTAssertEqual(nearest.count, 1)
        // A factor barely above 1 is bounded, not millions of levels.
        let crawling = detector.scales(width: 1000, height: 1000, parameters: DetectionParameters(scaleFactor: 1.000_000_1))
        XCTAssertEqual(crawling.count, CascadeDetector.maximumLevels)
    }

    func testGroupingMatchesOpenCVRules() {
        let near = (0..<4).map { FaceBox(x: 100 + $0, y: 50 - $0, width: 40 + $0, height: 40 + $0) }
        let lone = FaceBox(x: 300, y: 300, width: 40, height: 40)
        let grouped = RectangleGrouping.group(near + [lone], threshold: 3, eps: 0.2)
        // Four similar boxes (> 3) survive, averaged; the lone one does not.
        XCTAssertEqual(grouped, [FaceBox(x: 102, y: 48, width: 42, height: 42)])
        XCTAssertEqual(RectangleGrouping.group(near + [lone], threshold: 4, eps: 0.2), [])
        // threshold 0 returns the raw boxes.
        XCTAssertEqual(RectangleGrouping.group(near + [lone], threshold: 0, eps: 0.2).count, 5)
        // A small, weakly supported cluster inside a strong one is dropped.
        let big = (0..<8).map { _ in FaceBox(x: 100, y: 100, width: 100, height: 100) }
        let small = (0..<2).map { _ in FaceBox(x: 120, y: 120, width: 30, height: 30) }
        XCTAssertEqual(RectangleGrouping.group(big + small, threshold: 1, eps: 0.2), [FaceBox(x: 100, y: 100, width: 100, height: 100)])
    }

    func testBitExactResizeHalvesAsAnAreaAverage() throws {
        var pixels = [UInt8](repeating: 0, count: 64)
        for index in pixels.indices { pixels[index] = UInt8((index * 37) % 251) }
        let plane = try XCTUnwrap(LumaPlane(width: 8, height: 8, pixels: pixels))
        var half: [UInt8] = []
        BitExactResize.resize(plane, width: 4, height: 4, into: &half)
        for y in 0..<4 {
            for x in 0..<4 {
                let sum = Int(pixels[(2 * y) * 8 + 2 * x]) + Int(pixels[(2 * y) * 8 + 2 * x + 1]) + Int(pixels[(2 * y + 1) * 8 + 2 * x]) + Int(pixels[(2 * y + 1) * 8 + 2 * x + 1])
                XCTAssertEqual(Int(half[y * 4 + x]), (sum + 2) >> 2, "at \(x),\(y)")
            }
        }
        var same: [UInt8] = []
        BitExactResize.resize(plane, width: 8, height: 8, into: &same)
        XCTAssertEqual(same, pixels)
    }

    func testIntegralsMatchBruteForce() {
        let width = 9, height = 7
        let pixels = (0..<(width * height)).map { UInt8(($0 * 53 + 11) % 256) }
        var integrals = IntegralImages(stride: width + 1, width: width, height: height, tilted: true)
        integrals.compute(pixels: pixels, width: width, height: height, squares: true)
        func pixel(_ x: Int, _ y: Int) -> Int { x >= 0 && x < width && y >= 0 && y < height ? Int(pixels[y * width + x]) : 0 }
        for Y in 0...height {
            for X in 0...width {
                var sum = 0, squares = 0, tilted = 0
                for y in 0..<Y { for x in 0..<X { sum += pixel(x, y); squares += pixel(x, y) * pixel(x, y) } }
                // OpenCV's rotated integral: y < Y and |x − X + 1| ≤ Y − y − 1.
                for y in 0..<Y { for x in 0..<width where abs(x - X + 1) <= Y - y - 1 { tilted += pixel(x, y) } }
                XCTAssertEqual(Int(integrals.sum[Y * (width + 1) + X]), sum)
                XCTAssertEqual(Int(integrals.squares[Y * (width + 1) + X]), squares)
                XCTAssertEqual(Int(integrals.tilted[Y * integrals.tiltedStride + X + integrals.tiltedPad]), tilted, "T(\(X),\(Y))")
            }
        }
    }
}
