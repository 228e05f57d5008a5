import Foundation

/// JSON parsing that refuses what RFC 7515 §4 lets a verifier refuse:
/// duplicate member names (which parsers resolve differently, so an
/// attacker can show two verifiers two different claims) and non-object
/// top levels.
enum StrictJSON {
    /// The object, or nil if the bytes are not UTF-8 JSON, not an object,
    /// or repeat a member name in any object.
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        guard !hasDuplicateKeys(bytes),
              let value = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let object = value as? [String: Any]
        else { return nil }
        return object
    }

    /// Scans the JSON text keeping, for each open object, the member names
    /// seen so far (after decoding escapes, so "a" and "\u0061" collide).
    /// Malformed input is left to JSONSerialization to reject.
    static func hasDuplicateKeys(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { scanForDuplicateKeys($0) }
    }

    private static func scanForDuplicateKeys(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var stack: [(isObject: Bool, keys: Set<String>, expectingKey: Bool)] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                stack.append((true, [], true))
            case UInt8(ascii: "["):
                stack.append((false, [], false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if let last = stack.indices.last, stack[last].isObject { stack[last].expectingKey = true }
            case UInt8(ascii: "\""):
                guard let (string, end) = readString(bytes, from: index) else { return false }
                if let last = stack.indices.last, stack[last].isObject, stack[last].expectingKey {
                    if !stack[last].keys.insert(string).inserted { return true }
                    stack[last].expectingKey = false
                }
                index = end
                continue
            default:
                break
            }
            index += 1
        }
        return false
    }

    private static func hexQuad(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> UInt32? {
        guard start + 4 <= bytes.count else { return nil }
        return UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + 4)]), as: UTF8.self), radix: 16)
    }

    /// Decodes the string literal starting at `start` (a quote); returns it
    /// and the index after the closing quote.
    private static func readString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (String, Int)? {
        // Fast path: no escapes, so the literal's bytes are the string.
        var end = start + 1
        while end < bytes.count && bytes[end] != UInt8(ascii: "\"") && bytes[end] != UInt8(ascii: "\\") { end += 1 }
        if end < bytes.count && bytes[end] == UInt8(ascii: "\"") {
            return (String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<end]), as: UTF8.self), end + 1)
        }
        var scalars: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return (String(decoding: scalars, as: UTF8.self), index + 1) }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { return nil }
                let escape = bytes[index + 1]
                if escape == UInt8(ascii: "u") {
                    guard var code = hexQuad(bytes, at: index + 2) else { return nil }
                    index += 6
                    // A UTF-16 surrogate pair (\uD83D\uDE00) is one scalar,
                    // as JSONSerialization decodes it.
                    if (0xD800...0xDBFF).contains(code), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                       bytes[index + 1] == UInt8(ascii: "u"), let low = hexQuad(bytes, at: index + 2), (0xDC00...0xDFFF).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    scalars += Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
                    continue
                }
                let mapped: [UInt8: UInt8] = [UInt8(ascii: "n"): 0x0a, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0d,
                                              UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0c]
                scalars.append(mapped[escape] ?? escape)
                index += 2
                continue
            }
            scalars.append(byte)
            index += 1
        }
        return nil
    }
}
