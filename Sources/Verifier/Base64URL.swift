// Verifier: checks CaptureGuard attestation tokens (JWS compact, EAT claims)
// on a server. It depends on OpenSSL through CaptureCrypto and on nothing
// that touches a camera, so a Swift server links it alone. Every rejection
// is a stable error code (`VerificationFailure.Code`).

/// Base64url without padding (RFC 7515 §2), strict: any character outside
/// the alphabet, padding, or a length that cannot occur is an error.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], alphabet[Int(value & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)]]
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)]]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Nil for anything that is not canonical unpadded base64url.
    public static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        decode(bytes: Array(text.utf8))
    }

    /// Decodes ASCII bytes (a slice of a token, without copying it first).
    public static func decode<C: Collection>(bytes input: C) -> [UInt8]? where C.Element == UInt8 {
        if let decoded = input.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return decoded }
        return Array(input).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Four characters to three bytes per step, over raw buffers: whole-token
    /// verification decodes about 4 KB of base64url per token.
    private static func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        guard count % 4 != 1 else { return nil }
        let outputCount = count / 4 * 3 + max(0, count % 4 - 1)
        return values.withUnsafeBufferPointer { table -> [UInt8]? in
            @inline(__always) func sextet(_ character: UInt8) -> UInt32? {
                let value = table[Int(character)]
                return value < 0 ? nil : UInt32(value)
            }
            var output = [UInt8](repeating: 0, count: outputCount)
            let complete = output.withUnsafeMutableBufferPointer { out -> Bool in
                var read = 0
                var written = 0
                while read + 4 <= count {
                    // One sign test for four characters: invalid ones map to -1.
                    let a = table[Int(input[read])], b = table[Int(input[read + 1])]
                    let c = table[Int(input[read + 2])], d = table[Int(input[read + 3])]
                    guard a | b | c | d >= 0 else { return false }
                    let word = UInt32(truncatingIfNeeded: a) << 18 | UInt32(truncatingIfNeeded: b) << 12 | UInt32(truncatingIfNeeded: c) << 6 | UInt32(truncatingIfNeeded: d)
                    out[written] = UInt8(truncatingIfNeeded: word >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: word)
                    read += 4
                    written += 3
                }
                switch count - read {
                case 2:
                    guard let a = sextet(input[read]), let b = sextet(input[read + 1]) else { return false }
                    // Leftover bits must be zero, or two strings would decode alike.
                    guard b & 0x0f == 0 else { return false }
                    out[written] = UInt8(truncatingIfNeeded: a << 2 | b >> 4)
                case 3:
                    guard let a = sextet(input[read]), let b = sextet(input[read + 1]), let c = sextet(input[read + 2]) else { return false }
                    guard c & 0x03 == 0 else { return false }
                    let word = a << 18 | b << 12 | c << 6
                    out[written] = UInt8(truncatingIfNeeded: word >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: word >> 8)
                default:
                    break
                }
                return true
            }
            return complete ? output : nil
        }
    }
}
