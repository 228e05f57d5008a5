// Verifier: checks CaptureGuard attestation tokens (JWS compact, EAT claims)
// on a server. It depends on OpenSSL through CaptureCrypto and on nothing
// that touches a camera, so a Swift server links it alone. Every rejection
// is a stable error code (`VerificationFailure.Code`).

/// Base64url without padding (RFC 7515 §2), strict: any character outside
/// the alphabet, padding, or a length that cannot occur is an error.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

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

    /// Each character's sextet already shifted into place for each of the
    /// four positions of a quartet (256 entries per position), so a quartet
    /// is four loads and three ORs. A character outside the alphabet maps to
    /// `invalid` in every position, which no OR of valid entries (24 bits)
    /// can produce.
    private static let invalid: UInt32 = 0xff00_0000
    private static let quartetTable: [UInt32] = {
        var table = [UInt32](repeating: invalid, count: 4 * 256)
        for (index, character) in alphabet.enumerated() {
            for position in 0..<4 { table[position * 256 + Int(character)] = UInt32(index) << (18 - 6 * position) }
        }
        return table
    }()

    /// Eight characters to six bytes per step (one validity test, one
    /// 8-byte store whose last two bytes the next step or the tail
    /// overwrites, or that land in the array's two spare bytes), then at
    /// most one quartet and the tail: whole-token verification decodes
    /// about 3 KB of base64url per token.
    private static func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        guard count % 4 != 1 else { return nil }
        guard let source = input.baseAddress else { return [] }
        let outputCount = count / 4 * 3 + max(0, count % 4 - 1)
        return quartetTable.withUnsafeBufferPointer { table -> [UInt8]? in
            @inline(__always) func bits(_ character: UInt8, _ position: Int) -> UInt32 { table[position &* 256 &+ Int(character)] }
            @inline(__always) func quartet(_ at: Int) -> UInt32 {
                bits(source[at], 0) | bits(source[at &+ 1], 1) | bits(source[at &+ 2], 2) | bits(source[at &+ 3], 3)
            }
            var complete = true
            // Every byte below outputCount is written before the array is
            // returned, or the array is dropped (complete == false).
            let output = [UInt8](unsafeUninitializedCapacity: outputCount + 2) { out, initialized in
                defer { if complete { initialized = outputCount } }
                guard let target = out.baseAddress else {
                    complete = false
                    return
                }
                var read = 0
                var written = 0
                while read + 8 <= count {
                    let first = quartet(read)
                    let second = quartet(read &+ 4)
                    guard (first | second) & invalid == 0 else {
                        complete = false
                        return
                    }
                    // Big-endian: the first character's bits come first.
                    let six = (UInt64(first) << 40 | UInt64(second) << 16).bigEndian
                    UnsafeMutableRawPointer(target + written).storeBytes(of: six, as: UInt64.self)
                    read += 8
                    written += 6
                }
                if read + 4 <= count {
                    let word = quartet(read)
                    guard word & invalid == 0 else {
                        complete = false
                        return
                    }
                    target[written] = UInt8(truncatingIfNeeded: word >> 16)
                    target[written + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    target[written + 2] = UInt8(truncatingIfNeeded: word)
                    read += 4
                    written += 3
                }
                let rest = count - read
                guard rest >= 2 else { return }
                var word = bits(source[read], 0) | bits(source[read + 1], 1)
                if rest == 3 { word |= bits(source[read + 2], 2) }
                // Leftover bits must be zero, or two strings would decode alike.
                let leftover: UInt32 = rest == 2 ? 0xffff : 0xff
                guard word & invalid == 0, word & leftover == 0 else {
                    complete = false
                    return
                }
                target[written] = UInt8(truncatingIfNeeded: word >> 16)
                if rest == 3 { target[written + 1] = UInt8(truncatingIfNeeded: word >> 8) }
            }
            return complete ? output : nil
        }
    }
}
