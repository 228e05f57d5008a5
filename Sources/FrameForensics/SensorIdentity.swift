import CaptureFile
import CaptureModel
import Foundation

/// A camera's PRNU fingerprint: the per-pixel gain pattern every frame of
/// that sensor carries (Lukáš, Fridrich & Goljan, IEEE TIFS 2006), over a
/// centred power-of-two crop of the luma plane.
public struct SensorFingerprint: Hashable, Sendable {
    public static let schema = "captureguard.sensor-prnu/1"
    public var frameWidth: Int
    public var frameHeight: Int
    public var crop: PRNUCrop
    public var framesUsed: Int
    /// K, zero-mean by rows and columns, `crop.width × crop.height` row-major.
    public var values: [Float]
    /// Free text: the device or file it was enrolled from, and when.
    public var source: String
    public var createdAt: String

    public init(frameWidth: Int, frameHeight: Int, crop: PRNUCrop, framesUsed: Int, values: [Float], source: String, createdAt: String) {
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.crop = crop
        self.framesUsed = framesUsed
        self.values = values
        self.source = source
        self.createdAt = createdAt
    }
}

/// The centred region PRNU is read from: a power of two each way (for the
/// FFT), at most 512 (enough pixels for PCE; Goljan et al. match on crops of
/// this order) and at least 64.
public struct PRNUCrop: Hashable, Sendable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init?(frameWidth: Int, frameHeight: Int) {
        func side(_ extent: Int) -> Int? {
            // One pixel of margin each side for the 3×3 filter.
            guard extent >= 66 else { return nil }
            var size = 512
            while size > extent - 2 { size /= 2 }
            return size >= 64 ? size : nil
        }
        guard let width = side(frameWidth), let height = side(frameHeight) else { return nil }
        self.width = width
        self.height = height
        x = (frameWidth - width) / 2
        y = (frameHeight - height) / 2
    }
}

/// Sums a sensor's noise residuals, weighted by intensity, over frames:
/// K = Σ W·I / Σ I² (the maximum-likelihood estimate in Chen et al., TIFS 2008).
public struct PRNUAccumulator: Sendable {
    /// Pixels darker than this or brighter than this are left out: dark
    /// pixels carry almost no PRNU signal and saturated ones none at all
    /// (the Binghamton code masks > 250; Martin & Newman 2024 show what
    /// under- and over-exposure do to the error rates).
    static let darkLevel = 16.0
    static let saturatedLevel = 250.0
    /// A frame is gated out when under half of its crop is usable: the
    /// other half would contribute mostly scene and clipping.
    static let usableFrameShare = 0.5
    /// The noise variance the Wiener shrinkage assumes (levels²): 3 levels,
    /// between webcam temporal noise (1–2) and the σ = 5 of Lukáš et al.'s
    /// wavelet denoiser.
    static let wienerNoiseVariance = 9.0

    public let frameWidth: Int
    public let frameHeight: Int
    public let crop: PRNUCrop
    private var numerator: [Double]
    private var denominator: [Double]
    public private(set) var framesUsed = 0
    public private(set) var framesGated = 0

    public init?(frameWidth: Int, frameHeight: Int) {
        guard let crop = PRNUCrop(frameWidth: frameWidth, frameHeight: frameHeight) else { return nil }
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.crop = crop
        numerator = Array(repeating: 0, count: crop.width * crop.height)
        denominator = Array(repeating: 0, count: crop.width * crop.height)
    }

    /// Adds one frame's residual W = (I − μ)·min(1, σ₀²/σ²) over 3×3
    /// windows: a local Wiener filter keeps the noise and drops edges.
    public mutating func add(_ plane: LumaPlane) {
        guard plane.width == frameWidth, plane.height == frameHeight else { return }
        let crop = crop
        var usable = 0
        var residual = [Double](repeating: 0, count: crop.width * crop.height)
        var intensity = [Double](repeating: 0, count: crop.width * crop.height)
        plane.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let width = plane.width
            // Column sums of three rows (values and squares) over the crop
            // plus one pixel each side, then a sliding sum across them.
            let span = crop.width + 2
            let columnSums = UnsafeMutablePointer<Int>.allocate(capacity: span)
            let columnSquares = UnsafeMutablePointer<Int>.allocate(capacity: span)
            defer {
                columnSums.deallocate()
                columnSquares.deallocate()
            }
            for row in 0..<crop.height {
                let y = crop.y + row
                let above = base + (y - 1) * width + crop.x - 1
                let line = base + y * width + crop.x - 1
                let below = base + (y + 1) * width + crop.x - 1
                for i in 0..<span {
                    let a = Int(above[i]), b = Int(line[i]), c = Int(below[i])
                    columnSums[i] = a + b + c
                    columnSquares[i] = a * a + b * b + c * c
                }
                for column in 0..<crop.width {
                    let center = Double(line[column + 1])
                    guard center >= Self.darkLevel, center <= Self.saturatedLevel else { continue }
                    let sum = columnSums[column] + columnSums[column + 1] + columnSums[column + 2]
                    let squares = columnSquares[column] + columnSquares[column + 1] + columnSquares[column + 2]
                    let mean = Double(sum) / 9
                    let variance = max(Double(squares) / 9 - mean * mean, 1e-6)
                    let index = row * crop.width + column
                    residual[index] = (center - mean) * min(1, Self.wienerNoiseVariance / variance)
                    intensity[index] = center
                    usable += 1
                }
            }
        }
        guard Double(usable) >= Self.usableFrameShare * Double(crop.width * crop.height) else {
            framesGated += 1
            return
        }
        for index in 0..<numerator.count where intensity[index] > 0 {
            numerator[index] += residual[index] * intensity[index]
            denominator[index] += intensity[index] * intensity[index]
        }
        framesUsed += 1
    }

    /// K, with row and column means removed: what every camera of a model
    /// shares (readout lines, CFA interpolation) is not this camera's.
    public func estimate() -> [Double] {
        let width = crop.width
        let height = crop.height
        var values = zip(numerator, denominator).map { $1 > 0 ? $0 / $1 : 0 }
        for row in 0..<height {
            let mean = values[(row * width)..<((row + 1) * width)].reduce(0, +) / Double(width)
            for column in 0..<width { values[row * width + column] -= mean }
        }
        for column in 0..<width {
            var mean = 0.0
            for row in 0..<height { mean += values[row * width + column] }
            mean /= Double(height)
            for row in 0..<height { values[row * width + column] -= mean }
        }
        return values
    }

    public func fingerprint(source: String, createdAt: String) -> SensorFingerprint {
        SensorFingerprint(frameWidth: frameWidth, frameHeight: frameHeight, crop: crop, framesUsed: framesUsed,
                          values: estimate().map { Float($0) }, source: source, createdAt: createdAt)
    }
}

/// Peak-to-correlation energy of two fingerprints at zero shift (Goljan et
/// al.): the squared correlation at the expected alignment over the mean
/// squared correlation at every other shift, outside an 11×11 neighbourhood
/// of the peak. Signed, so an anti-correlated pattern is not a match.
public enum PCE {
    static let neighbourhood = 5

    public static func compute(_ a: [Double], _ b: [Double], width: Int, height: Int) -> (pce: Double, correlation: Double)? {
        guard let surface = FFT.crossCorrelation(a, b, width: width, height: height) else { return nil }
        let peak = surface[0]
        var energy = 0.0
        var count = 0
        for y in 0..<height {
            let dy = min(y, height - y)
            for x in 0..<width {
                let dx = min(x, width - x)
                if dx <= neighbourhood && dy <= neighbourhood { continue }
                energy += surface[y * width + x] * surface[y * width + x]
                count += 1
            }
        }
        guard count > 0, energy > 0 else { return nil }
        let normA = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let normB = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let correlation = normA > 0 && normB > 0 ? peak / (normA * normB) : 0
        return ((peak >= 0 ? 1 : -1) * peak * peak / (energy / Double(count)), correlation)
    }
}

/// Sensor identity: does this session's PRNU match the enrolled camera's?
public enum SensorIdentityAnalyser {
    public static let name = "sensor_identity"

    /// PCE ≥ 60 is the decision threshold of Goljan, Fridrich & Filler's
    /// large-scale test (SPIE 7254, 2009; anchors.md §5 marks the exact
    /// figure as to be confirmed), with a false-accept rate near 10⁻⁵.
    static let matchPCE = 60.0
    /// Fewer usable frames than this and the residual is mostly scene: a
    /// quarter of the 24 a session samples, so a session that gates out
    /// three in four frames is still read (matching corpus sessions reach
    /// PCE in the hundreds to thousands with 24; Captures/REPORT.md).
    static let minimumFrames = 6

    public static func analyse(_ session: PRNUAccumulator?, enrolled: SensorFingerprint?) -> AnalyserReport {
        guard let enrolled else { return .notApplicable(name, "no enrolled sensor (--sensor)") }
        // With a sensor enrolled, a session that cannot be checked against
        // it is not neutral: changing the frame size or darkening the scene
        // must not switch the check off.
        func unverified(_ reason: String, metrics: [String: Double] = [:]) -> AnalyserReport {
            .ran(name, findings: [Finding(code: "sensor_unverified", severity: .suspicious,
                                          message: "the enrolled sensor cannot be checked: \(reason)", evidence: ["reason": reason])],
                 metrics: metrics)
        }
        guard let session else { return unverified("the frames are too small for a PRNU crop") }
        guard session.frameWidth == enrolled.frameWidth, session.frameHeight == enrolled.frameHeight, session.crop == enrolled.crop,
              enrolled.values.count == session.crop.width * session.crop.height else {
            return unverified("the session is \(session.frameWidth)x\(session.frameHeight); the sensor was enrolled at \(enrolled.frameWidth)x\(enrolled.frameHeight)")
        }
        var metrics: [String: Double] = ["frames_used": Double(session.framesUsed), "frames_gated": Double(session.framesGated)]
        guard session.framesUsed >= minimumFrames else {
            return unverified("\(session.framesUsed) frames bright enough for PRNU; need \(minimumFrames)", metrics: metrics)
        }
        guard let match = PCE.compute(session.estimate(), enrolled.values.map(Double.init), width: session.crop.width, height: session.crop.height) else {
            return unverified("the residual has no energy", metrics: metrics)
        }
        metrics["pce"] = match.pce
        metrics["correlation"] = match.correlation
        let evidence = ["pce": evidenceNumber(match.pce, digits: 1), "correlation": evidenceNumber(match.correlation, digits: 4),
                        "frames_used": String(session.framesUsed), "threshold": evidenceNumber(matchPCE)]
        let finding = match.pce >= matchPCE
            ? Finding(code: "sensor_match", severity: .info, message: "the PRNU matches the enrolled sensor (PCE \(evidenceNumber(match.pce, digits: 1)))", evidence: evidence)
            : Finding(code: "sensor_mismatch", severity: .attack,
                      message: "the PRNU does not match the enrolled sensor (PCE \(evidenceNumber(match.pce, digits: 1)) < \(evidenceNumber(matchPCE))): another camera, or frames that never came through it",
                      evidence: evidence)
        return .ran(name, findings: [finding], metrics: metrics)
    }
}

/// The `.prnu` file: magic "CGPRNU\r\n", u32 version 1, u32 header length,
/// the JSON header, u32 count, `count` little-endian float32 values, and a
/// CRC-32 of everything before it. Documented in the README.
public enum SensorFingerprintFile {
    static let magic: [UInt8] = Array("CGPRNU\r\n".utf8)

    struct Header: Codable {
        var schema: String
        var frameWidth: Int
        var frameHeight: Int
        var crop: PRNUCrop
        var framesUsed: Int
        var source: String
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case schema, crop, source
            case frameWidth = "frame_width"
            case frameHeight = "frame_height"
            case framesUsed = "frames_used"
            case createdAt = "created_at"
        }
    }

    public static func encode(_ fingerprint: SensorFingerprint) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and integers cannot fail.
        let header = (try? encoder.encode(Header(schema: SensorFingerprint.schema, frameWidth: fingerprint.frameWidth, frameHeight: fingerprint.frameHeight,
                                     crop: fingerprint.crop, framesUsed: fingerprint.framesUsed, source: fingerprint.source, createdAt: fingerprint.createdAt))).map { Array($0) } ?? Array("{}".utf8)
        var bytes = magic
        bytes.appendLittleEndian(UInt32(1))
        bytes.appendLittleEndian(UInt32(header.count))
        bytes += header
        bytes.appendLittleEndian(UInt32(fingerprint.values.count))
        bytes.reserveCapacity(bytes.count + fingerprint.values.count * 4 + 4)
        for value in fingerprint.values { bytes.appendLittleEndian(value.bitPattern) }
        bytes.appendLittleEndian(CRC32.of(bytes))
        return bytes
    }

    /// Why a file is not a usable fingerprint, as one line.
    public enum DecodeError: Error, Equatable {
        case notAFingerprint
        case corrupt(String)
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> SensorFingerprint {
        guard bytes.count >= magic.count + 12, Array(bytes[0..<magic.count]) == magic else { throw .notAFingerprint }
        guard CRC32.of(Array(bytes.dropLast(4))) == readUInt32(bytes, bytes.count - 4) else { throw .corrupt("checksum mismatch (damaged or truncated)") }
        guard readUInt32(bytes, 8) == 1 else { throw .corrupt("unsupported version \(readUInt32(bytes, 8))") }
        let headerLength = Int(readUInt32(bytes, 12))
        let headerEnd = 16 + headerLength
        guard headerLength <= 1 << 20, headerEnd + 4 <= bytes.count - 4 else { throw .corrupt("bad header length") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<headerEnd])) } catch { throw .corrupt("bad header JSON") }
        guard header.schema == SensorFingerprint.schema else { throw .corrupt("not a \(SensorFingerprint.schema) header") }
        // Sizes first, so no arithmetic on them can overflow: a frame up to
        // 65536 a side, and the crop this frame size would give.
        guard (1...65_536).contains(header.frameWidth), (1...65_536).contains(header.frameHeight),
              let expected = PRNUCrop(frameWidth: header.frameWidth, frameHeight: header.frameHeight), expected == header.crop
        else { throw .corrupt("the header's frame size and crop do not fit together") }
        let count = Int(readUInt32(bytes, headerEnd))
        guard count == expected.width * expected.height, headerEnd + 4 + count * 4 == bytes.count - 4
        else { throw .corrupt("the values do not fit the header's crop") }
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let value = Float(bitPattern: readUInt32(bytes, headerEnd + 4 + index * 4))
            guard value.isFinite else { throw .corrupt("a value is not a finite number") }
            values[index] = value
        }
        return SensorFingerprint(frameWidth: header.frameWidth, frameHeight: header.frameHeight, crop: header.crop, framesUsed: header.framesUsed,
                                 values: values, source: header.source, createdAt: header.createdAt)
    }

    static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 { bytes.littleEndian(UInt32.self, at: offset) }
}
