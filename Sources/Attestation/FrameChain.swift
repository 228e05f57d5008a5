import CaptureCrypto
import CaptureModel

/// A hash chain over every frame of a session, so a token commits to all of
/// them in 32 bytes:
///   link₀ = SHA-256("captureguard.frame-chain/1" ‖ nonce)
///   linkᵢ = SHA-256(linkᵢ₋₁ ‖ SHA-256(payloadᵢ) ‖ sequenceᵢ (u32 LE) ‖ timestampᵢ (i64 LE, INT64_MIN if unknown))
/// A server holding the capture file can recompute it.
public struct FrameChain: Sendable {
    public static let name = "captureguard.frame-chain/1"
    public private(set) var link: [UInt8]
    public private(set) var count = 0

    public init(nonce: [UInt8]) throws(CryptoError) {
        link = try SHA256.digest(Array(Self.name.utf8) + nonce)
    }

    /// Adds a frame and returns its payload digest.
    @discardableResult
    public mutating func append(_ frame: Frame) throws(CryptoError) -> [UInt8] {
        let payloadDigest = try SHA256.digest(frame.payload)
        var input = link + payloadDigest
        withUnsafeBytes(of: frame.metadata.sequence.littleEndian) { input += $0 }
        withUnsafeBytes(of: (frame.metadata.timestampNanoseconds ?? Int64.min).littleEndian) { input += $0 }
        link = try SHA256.digest(input)
        count += 1
        return payloadDigest
    }
}
