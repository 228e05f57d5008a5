import Foundation

/// A strict JSON parser (RFC 8259) for token headers and claims. It refuses
/// what RFC 7515 §4 lets a verifier refuse: duplicate member names (which
/// parsers resolve differently, so an attacker could show two verifiers two
/// different claims), a top level that is not an object, invalid UTF-8,
/// raw control characters, and nesting deeper than `maximumDepth`. One pass,
/// no Foundation parser: verification time is dominated by this and the
/// signature.
public enum StrictJSON {
    /// Claims nest three levels; 32 leaves room and bounds the recursion an
    /// unauthenticated header can cause.
    static let maximumDepth = 32

    /// The object, or nil if `bytes` is not exactly one strict JSON object.
    /// Numbers become `Int` when integral and in range, else `Double`;
    /// `null` becomes `NSNull`.
    public static func object(_ bytes: [UInt8]) -> [String: Any]? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer)
            parser.skipWhitespace()
            guard parser.peek == UInt8(ascii: "{"), let value = parser.value(depth: 0) as? [String: Any] else { return nil }
            parser.skipWhitespace()
            return parser.position == buffer.count ? value : nil
        }
    }

    /// True when any object repeats a member name (after decoding escapes,
    /// so "a" and "\u0061" collide). Malformed JSON counts as false here.
    static func hasDuplicateKeys(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer)
            _ = parser.value(depth: 0)
            return parser.sawDuplicate
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        var sawDuplicate = false

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while position < bytes.count {
                let byte = bytes[position]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d else { return }
                position += 1
            }
        }

        mutating func value(depth: Int) -> Any? {
            guard depth <= StrictJSON.maximumDepth else { return nil }
            skipWhitespace()
            guard let byte = peek else { return nil }
            switch byte {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true", true)
            case UInt8(ascii: "f"): return literal("false", false)
            case UInt8(ascii: "n"): return literal("null", NSNull())
            default: return number()
            }
        }

        mutating func object(depth: Int) -> [String: Any]? {
            position += 1
            var result: [String: Any] = [:]
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                position += 1
                return result
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return nil }
                position += 1
                guard let member = value(depth: depth + 1) else { return nil }
                if result.updateValue(member, forKey: key) != nil {
                    sawDuplicate = true
                    return nil
                }
                skipWhitespace()
                guard let next = peek else { return nil }
                position += 1
                if next == UInt8(ascii: "}") { return result }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        }

        mutating func array(depth: Int) -> [Any]? {
            position += 1
            var result: [Any] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                position += 1
                return result
            }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                result.append(element)
                skipWhitespace()
                guard let next = peek else { return nil }
                position += 1
                if next == UInt8(ascii: "]") { return result }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        }

        mutating func literal(_ text: StaticString, _ value: Any) -> Any? {
            let count = text.utf8CodeUnitCount
            guard position + count <= bytes.count else { return nil }
            for offset in 0..<count where bytes[position + offset] != text.utf8Start[offset] { return nil }
            position += count
            return value
        }

        mutating func number() -> Any? {
            let start = position
            var integral = true
            if peek == UInt8(ascii: "-") { position += 1 }
            guard let first = peek, first >= 0x30, first <= 0x39 else { return nil }
            if first == 0x30 { position += 1 } else { skipDigits() }
            if peek == UInt8(ascii: ".") {
                integral = false
                position += 1
                guard skipDigits() > 0 else { return nil }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                integral = false
                position += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
                guard skipDigits() > 0 else { return nil }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if integral, let value = Int(text) { return value }
            guard let value = Double(text), value.isFinite else { return nil }
            return value
        }

        @discardableResult
        mutating func skipDigits() -> Int {
            let start = position
            while let byte = peek, byte >= 0x30, byte <= 0x39 { position += 1 }
            return position - start
        }

        /// A string literal at `position` (a quote), decoded.
        mutating func string() -> String? {
            position += 1
            let start = position
            // Fast path: plain ASCII with no escapes, eight bytes per step
            // while none of them is special, then byte by byte.
            skipPlainWords()
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                    position += 1
                    return literal
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
                position += 1
            }
            var decoded = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    // Invalid UTF-8 is refused, not replaced.
                    return String(validating: decoded, as: UTF8.self)
                case 0..<0x20:
                    return nil
                case UInt8(ascii: "\\"):
                    guard position + 1 < bytes.count else { return nil }
                    let escape = bytes[position + 1]
                    position += 2
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                    case UInt8(ascii: "b"): decoded.append(0x08)
                    case UInt8(ascii: "f"): decoded.append(0x0c)
                    case UInt8(ascii: "n"): decoded.append(0x0a)
                    case UInt8(ascii: "r"): decoded.append(0x0d)
                    case UInt8(ascii: "t"): decoded.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var code = hexQuad() else { return nil }
                        // A UTF-16 surrogate pair (\uD83D\uDE00) is one scalar.
                        if (0xD800...0xDBFF).contains(code) {
                            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else { return nil }
                            position += 2
                            guard let low = hexQuad(), (0xDC00...0xDFFF).contains(low) else { return nil }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { return nil }
                        decoded += Array(String(scalar).utf8)
                    default:
                        return nil
                    }
                default:
                    decoded.append(byte)
                    position += 1
                }
            }
            return nil
        }

        /// Advances over whole 8-byte words that hold no quote, backslash,
        /// control character or non-ASCII byte. The zero-byte test can flag a
        /// clean byte only next to a real hit in the same word, and a flagged
        /// word is left to the byte loop, so it never skips a special byte.
        mutating func skipPlainWords() {
            guard let base = bytes.baseAddress else { return }
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func hasZeroByte(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
            while position + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
                if word & highs != 0 || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5c))
                    || (word &- ones &* 0x20) & ~word & highs != 0 { return }
                position += 8
            }
        }

        mutating func hexQuad() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: return nil
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }
    }
}
