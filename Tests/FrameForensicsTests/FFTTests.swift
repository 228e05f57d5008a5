import XCTest
@testable import FrameForensics

final class FFTTests: XCTestCase {
    /// The circular cross-correlation through the FFT equals the direct sum.
    func testCrossCorrelationMatchesDirectSum() throws {
        let width = 8, height = 4
        var generator = SystemRandomNumberGenerator()
        let a = (0..<(width * height)).map { _ in Double.random(in: -1...1, using: &generator) }
        let b = (0..<(width * height)).map { _ in Double.random(in: -1...1, using: &generator) }
        let fast = try XCTUnwrap(FFT.crossCorrelation(a, b, width: width, height: height))
        for sy in 0..<height {
            for sx in 0..<width {
                var direct = 0.0
                for y in 0..<height {
                    for x in 0..<width {
                        direct += a[y * width + x] * b[((y - sy + height) % height) * width + (x - sx + width) % width]
                    }
                }
                XCTAssertEqual(fast[sy * width + sx], direct, accuracy: 1e-9, "shift (\(sx), \(sy))")
            }
        }
    }

    func testRejectsSizesThatAreNotPowersOfTwo() {
        XCTAssertNil(FFT(size: 12))
        XCTAssertNil(FFT.crossCorrelation([0, 0, 0], [0, 0, 0], width: 3, height: 1))
    }
}
