import Foundation

/// A strict JSON parser (RFC 8259) for token headers and claims. It refuses
/// what RFC 7515 §4 lets a verifier refuse: duplicate member names (which
/// parsers resolve differently, so an attacker could show two verifiers two
/// different claims), a top level that is not an object, invalid UTF-8,
/// raw control characters, numbers a double cannot hold, and nesting deeper
/// than `maximumDepth`.
///
/// Parsing validates the whole text in one pass and records where each
/// value lies (a `Document`: the bytes plus a flat tape of value positions)
/// without building a String, a dictionary or a boxed value. A verifier
/// reads half a dozen of the ~90 claims a real attestation carries, and
/// building `[String: Any]` for all of them made a whole-token verification
/// cost 1.85 million instructions against 1.64 million with the tape
/// (callgrind, Tools/bench/token-claims.json, 2026-11-27; the Ed25519
/// check alone is 1.53 million); reading numbers and names in place and
/// skipping digits a word at a time took it to 1.62 million (2026-11-28).
/// `Document` reads values by tape index, `Value` is a handle for looking
/// members up, and `materialized` builds Foundation values for callers that
/// want them all.
public enum StrictJSON {
    /// Claims nest three levels; 32 leaves room and bounds the recursion an
    /// unauthenticated header can cause.
    static let maximumDepth = 32

    /// The object, or nil if `bytes` is not exactly one strict JSON object.
    /// Numbers become `Int` when integral and in range, else `Double`;
    /// `null` becomes `NSNull`.
    public static func object(_ bytes: [UInt8]) -> [String: Any]? {
        guard case .success(let document) = Document.parse(bytes) else { return nil }
        return document.root.materialized as? [String: Any]
    }

    /// True when any object repeats a member name (after decoding escapes,
    /// so "a" and "\u0061" collide).
    static func hasDuplicateKeys(_ bytes: [UInt8]) -> Bool {
        if case .failure(.duplicateMember) = Document.parse(bytes) { return true }
        return false
    }

    public enum Kind: UInt8, Sendable {
        case object, array, string, number, `true`, `false`, null
    }

    /// Why a text is not a strict JSON object.
    public enum Failure: Error, Sendable {
        case syntax
        case duplicateMember
        case tooDeep
    }

    /// One value's place in the text. Strings span their content (without
    /// the quotes); `plain` says the content has no escape and no byte above
    /// ASCII, so it is its own decoded form. Numbers are `plain` when
    /// integral (no fraction, no exponent). `next` is the tape index just
    /// past this value and everything inside it.
    struct Node {
        var kind: Kind
        var plain: Bool
        var start: Int32
        var end: Int32
        var next: Int32
    }

    /// A validated JSON object: its bytes and the tape of its values in
    /// text order (an object's members are key node, value node, …).
    public struct Document: Sendable {
        public let bytes: [UInt8]
        let tape: [Node]

        public static func parse(_ bytes: [UInt8]) -> Result<Document, Failure> {
            // Tape positions are Int32; nothing this verifier reads comes
            // near 2 GB (a token is at most 256 KB).
            guard bytes.count < Int(Int32.max) else { return .failure(.syntax) }
            let built = bytes.withUnsafeBufferPointer { buffer -> Result<[Node], Failure> in
                var builder = TapeBuilder(bytes: buffer)
                builder.skipWhitespace()
                guard builder.peek == UInt8(ascii: "{") else { return .failure(.syntax) }
                if let failure = builder.value(depth: 0) { return .failure(failure) }
                builder.skipWhitespace()
                return builder.position == buffer.count ? .success(builder.tape) : .failure(.syntax)
            }
            return built.map { Document(bytes: bytes, tape: $0) }
        }

        public var root: Value { Value(document: self, index: 0) }

        // Reads by tape index. `Value` is a handle over these; a caller that
        // reads several members (the verifier's claim checks) uses them
        // directly, since every `Value` copy retains and releases the
        // document's two arrays.

        /// The tape index of the value of member `name` of the object at
        /// `object`, or nil (also when `object` is not an object).
        func member(_ name: UnsafeBufferPointer<UInt8>, of object: Int) -> Int? {
            guard tape[object].kind == .object else { return nil }
            var member = object + 1
            let end = Int(tape[object].next)
            while member < end {
                if stringEquals(at: member, name) { return member + 1 }
                member = Int(tape[member + 1].next)
            }
            return nil
        }

        func member(_ name: StaticString, of object: Int) -> Int? {
            name.withUTF8Buffer { member($0, of: object) }
        }

        /// Whether the value at `index` is a string whose decoded text is
        /// exactly `text` (compared in place when the string is plain).
        func stringEquals(at index: Int, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
            let node = tape[index]
            guard node.kind == .string else { return false }
            return bytes.withUnsafeBufferPointer { buffer in
                let content = UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.end)])
                if node.plain { return StrictJSON.sameBytes(content, text) }
                return StrictJSON.decodeString(content).map { $0.elementsEqual(text) } ?? false
            }
        }

        func string(at index: Int) -> String? {
            let node = tape[index]
            guard node.kind == .string else { return nil }
            return bytes.withUnsafeBufferPointer { buffer in
                let content = UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.end)])
                if node.plain { return String(decoding: content, as: UTF8.self) }
                return StrictJSON.decodeString(content).flatMap { String(validating: $0, as: UTF8.self) }
            }
        }

        /// An integral number that fits in Int64 (a JSON number with a
        /// fraction or exponent counts when its value is whole, below 1e15).
        func integer(at index: Int) -> Int64? {
            let node = tape[index]
            guard node.kind == .number else { return nil }
            if node.plain, let whole = plainInteger(node) { return whole }
            guard let number = Double(numberText(node)), number == number.rounded(), abs(number) < 1e15 else { return nil }
            return Int64(number)
        }

        func double(at index: Int) -> Double? {
            tape[index].kind == .number ? Double(numberText(tape[index])) : nil
        }

        /// A string's content decoded as base64url (`Base64URL.decode`), in
        /// place when the string has no escape; nil for anything else.
        func base64URLBytes(at index: Int) -> [UInt8]? {
            let node = tape[index]
            guard node.kind == .string else { return nil }
            if !node.plain { return string(at: index).flatMap { Base64URL.decode($0) } }
            return bytes.withUnsafeBufferPointer { Base64URL.decode(bytes: UnsafeBufferPointer(rebasing: $0[Int(node.start)..<Int(node.end)])) }
        }

        /// A plain (integral) number's digits read in place, nil past Int64:
        /// `exp` and `iat` are read on every verification, and going through
        /// a String for them cost more than the digits.
        private func plainInteger(_ node: Node) -> Int64? {
            bytes.withUnsafeBufferPointer { buffer -> Int64? in
                var index = Int(node.start)
                let negative = buffer[index] == UInt8(ascii: "-")
                if negative { index += 1 }
                var magnitude: UInt64 = 0
                while index < Int(node.end) {
                    let (times10, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
                    let (sum, overflowB) = times10.addingReportingOverflow(UInt64(buffer[index] &- 0x30))
                    guard !overflowA, !overflowB else { return nil }
                    magnitude = sum
                    index += 1
                }
                if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
                return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
            }
        }

        fileprivate func numberText(_ node: Node) -> String {
            bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[Int(node.start)..<Int(node.end)]), as: UTF8.self) }
        }
    }

    /// A value inside a `Document`.
    public struct Value: Sendable, CustomStringConvertible {
        let document: Document
        let index: Int

        var node: Node { document.tape[index] }
        public var kind: Kind { node.kind }

        /// The member called `name` when this is an object.
        public subscript(name: String) -> Value? {
            var name = name
            return name.withUTF8 { document.member($0, of: index) }.map { Value(document: document, index: $0) }
        }

        /// The members of an object, in text order.
        public var members: [(name: String, value: Value)] {
            guard node.kind == .object else { return [] }
            var result: [(name: String, value: Value)] = []
            var member = index + 1
            while member < Int(node.next) {
                result.append((document.string(at: member) ?? "", Value(document: document, index: member + 1)))
                member = Int(document.tape[member + 1].next)
            }
            return result
        }

        /// The elements of an array, in order.
        public var elements: [Value] {
            guard node.kind == .array else { return [] }
            var result: [Value] = []
            var element = index + 1
            while element < Int(node.next) {
                result.append(Value(document: document, index: element))
                element = Int(document.tape[element].next)
            }
            return result
        }

        /// The decoded text of a string.
        public var string: String? { document.string(at: index) }

        /// An integral number that fits in Int64 (a JSON number with a
        /// fraction or exponent counts when its value is whole, below 1e15).
        public var integer: Int64? { document.integer(at: index) }

        public var double: Double? { document.double(at: index) }

        /// Whether this is a string whose decoded text is exactly `text`,
        /// compared in place (no String is built for a plain string).
        public func isString(_ text: String) -> Bool {
            var text = text
            return text.withUTF8 { document.stringEquals(at: index, $0) }
        }

        /// A string's content decoded as base64url (`Base64URL.decode`), in
        /// place when the string has no escape; nil for anything else.
        public var base64URLBytes: [UInt8]? { document.base64URLBytes(at: index) }

        /// Foundation values: `[String: Any]`, `[Any]`, `String`, `Int` when
        /// integral and in range else `Double`, `Bool`, `NSNull`.
        public var materialized: Any {
            switch node.kind {
            case .object:
                var result: [String: Any] = [:]
                for (name, value) in members { result[name] = value.materialized }
                return result
            case .array: return elements.map(\.materialized)
            case .string: return string ?? ""
            case .number:
                if node.plain, let whole = Int(document.numberText(node)) { return whole }
                return Double(document.numberText(node)) ?? .nan
            case .true: return true
            case .false: return false
            case .null: return NSNull()
            }
        }

        public var description: String { "\(materialized)" }
    }

    static func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }

    /// The bytes a string's content (between its quotes) stands for, or nil
    /// for a bad escape or a lone surrogate. UTF-8 validity is the caller's.
    static func decodeString(_ content: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(content.count)
        var position = 0
        func hexQuad() -> UInt32? {
            guard position + 4 <= content.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = content[position]
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
        while position < content.count {
            let byte = content[position]
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                position += 1
                continue
            }
            guard position + 1 < content.count else { return nil }
            let escape = content[position + 1]
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
                    guard position + 1 < content.count, content[position] == UInt8(ascii: "\\"), content[position + 1] == UInt8(ascii: "u") else { return nil }
                    position += 2
                    guard let low = hexQuad(), (0xDC00...0xDFFF).contains(low) else { return nil }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                decoded.append(contentsOf: String(scalar).utf8)
            default:
                return nil
            }
        }
        return decoded
    }

    /// Builds the tape in one pass over the text.
    private struct TapeBuilder {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        var tape: [Node] = []
        /// Up to this many members an object's names are compared pairwise
        /// (claims objects have at most a dozen); past it, a hash set takes
        /// over, so an unauthenticated header with thousands of members
        /// costs linear time, not quadratic.
        static let pairwiseMembers = 16

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            // A real claims set has one value per 12 bytes (185 in 2,157,
            // Tools/bench/token-claims.json); one per 8 avoids regrowing.
            tape.reserveCapacity(bytes.count / 8 + 4)
        }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        /// A text position or tape index as stored in a node: `parse`
        /// refuses texts of 2 GB or more, so both fit in Int32 unchecked.
        @inline(__always) func offset(_ value: Int) -> Int32 { Int32(truncatingIfNeeded: value) }

        /// Compact JSON (what signers write) has no whitespace, so the
        /// usual case is one test, inlined at each of the four places per
        /// member that allow whitespace: 2,100 fewer instructions a
        /// whole-token verification than a call each time (callgrind,
        /// Tools/bench/token-claims.json, 2026-11-28).
        @inline(__always) mutating func skipWhitespace() {
            if position < bytes.count, bytes[position] > 0x20 { return }
            skipWhitespaceRun()
        }

        @inline(never) mutating func skipWhitespaceRun() {
            while position < bytes.count {
                let byte = bytes[position]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d else { return }
                position += 1
            }
        }

        /// Parses one value onto the tape; nil on success.
        mutating func value(depth: Int) -> Failure? {
            guard depth <= StrictJSON.maximumDepth else { return .tooDeep }
            skipWhitespace()
            guard let byte = peek else { return .syntax }
            switch byte {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string() ? nil : .syntax
            case UInt8(ascii: "t"): return literal("true", .true)
            case UInt8(ascii: "f"): return literal("false", .false)
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func open(_ kind: Kind) -> Int {
            tape.append(Node(kind: kind, plain: true, start: offset(position), end: 0, next: 0))
            position += 1
            return tape.count - 1
        }

        mutating func close(_ slot: Int) {
            tape[slot].end = offset(position)
            tape[slot].next = offset(tape.count)
        }

        mutating func object(depth: Int) -> Failure? {
            let slot = open(.object)
            var members = 0
            var hashed: Set<[UInt8]>?
            var seen: UInt64 = 0
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                position += 1
                close(slot)
                return nil
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\""), string() else { return .syntax }
                // A name whose bit is clear cannot repeat an earlier one
                // (see `nameBit`), unless the names are hashed by now.
                let key = tape.count - 1
                let bit = nameBit(of: key)
                if seen & bit != 0 || hashed != nil,
                   isDuplicate(key: key, object: slot, members: members, hashed: &hashed) {
                    return .duplicateMember
                }
                seen |= bit
                members += 1
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return .syntax }
                position += 1
                if let failure = value(depth: depth + 1) { return failure }
                skipWhitespace()
                guard let next = peek else { return .syntax }
                position += 1
                if next == UInt8(ascii: "}") {
                    close(slot)
                    return nil
                }
                guard next == UInt8(ascii: ",") else { return .syntax }
            }
        }

        /// A member name's bit in its object's `seen` mask, picked by the
        /// decoded name's length, first and last byte: equal names have
        /// equal bits, so a name whose bit is not yet set cannot repeat an
        /// earlier one, and only a name whose bit is set is compared with
        /// the others (6 of the 91 names in Tools/bench/token-claims.json).
        @inline(__always) func nameBit(of key: Int) -> UInt64 {
            let node = tape[key]
            if node.plain {
                let length = Int(node.end &- node.start)
                return length == 0 ? 1 : Self.nameBit(length, bytes[Int(node.start)], bytes[Int(node.end) &- 1])
            }
            let decoded = name(key)
            return decoded.isEmpty ? 1 : Self.nameBit(decoded.count, decoded[0], decoded[decoded.count - 1])
        }

        /// Whether the member name at tape index `key` repeats one of the
        /// `members` names already on the tape for the object at `object`
        /// (compared after decoding escapes).
        func isDuplicate(key: Int, object: Int, members: Int, hashed: inout Set<[UInt8]>?) -> Bool {
            if members >= Self.pairwiseMembers {
                if hashed == nil {
                    var earlier = Set<[UInt8]>()
                    var member = object + 1
                    while member < key {
                        earlier.insert(name(member))
                        member = Int(tape[member + 1].next)
                    }
                    hashed = earlier
                }
                return hashed?.insert(name(key)).inserted == false
            }
            return tape.withUnsafeBufferPointer { nodes in
                let wanted = nodes[key]
                let length = wanted.end - wanted.start
                var member = object + 1
                while member < key {
                    let other = nodes[member]
                    if wanted.plain && other.plain {
                        // Length, then first byte, then the rest: names in one
                        // object mostly differ early.
                        if other.end - other.start == length,
                           length == 0 || bytes[Int(other.start)] == bytes[Int(wanted.start)] && StrictJSON.sameBytes(content(other), content(wanted)) {
                            return true
                        }
                    } else if name(member) == name(key) {
                        // Rare: a name with an escape or a byte above ASCII.
                        return true
                    }
                    member = Int(nodes[member + 1].next)
                }
                return false
            }
        }

        static func nameBit(_ length: Int, _ first: UInt8, _ last: UInt8) -> UInt64 {
            1 &<< UInt64((length &* 7 &+ Int(first) &* 31 &+ Int(last)) & 63)
        }

        func content(_ node: Node) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.end)])
        }

        /// A member name's decoded bytes (its content when plain).
        func name(_ index: Int) -> [UInt8] {
            let node = tape[index]
            return node.plain ? Array(content(node)) : StrictJSON.decodeString(content(node)) ?? []
        }

        mutating func array(depth: Int) -> Failure? {
            let slot = open(.array)
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                position += 1
                close(slot)
                return nil
            }
            while true {
                if let failure = value(depth: depth + 1) { return failure }
                skipWhitespace()
                guard let next = peek else { return .syntax }
                position += 1
                if next == UInt8(ascii: "]") {
                    close(slot)
                    return nil
                }
                guard next == UInt8(ascii: ",") else { return .syntax }
            }
        }

        mutating func literal(_ text: StaticString, _ kind: Kind) -> Failure? {
            let count = text.utf8CodeUnitCount
            guard position + count <= bytes.count else { return .syntax }
            for offset in 0..<count where bytes[position + offset] != text.utf8Start[offset] { return .syntax }
            tape.append(Node(kind: kind, plain: true, start: offset(position), end: offset(position + count), next: offset(tape.count + 1)))
            position += count
            return nil
        }

        mutating func number() -> Failure? {
            let start = position
            var integral = true
            if peek == UInt8(ascii: "-") { position += 1 }
            guard let first = peek, first >= 0x30, first <= 0x39 else { return .syntax }
            let wholeDigits = first == 0x30 ? 1 : skipDigits()
            if first == 0x30 { position += 1 }
            if peek == UInt8(ascii: ".") {
                integral = false
                position += 1
                guard skipDigits() > 0 else { return .syntax }
            }
            // The number is below 10^(wholeDigits + exponent); a double holds
            // up to 1.8e308, so 307 or less is finite without converting.
            var magnitudeBound = wholeDigits
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                integral = false
                position += 1
                var sign = 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") {
                    if peek == UInt8(ascii: "-") { sign = -1 }
                    position += 1
                }
                let digitsStart = position
                guard skipDigits() > 0 else { return .syntax }
                // Six digits cannot overflow; longer exponents are converted.
                if position - digitsStart <= 6 {
                    var exponent = 0
                    for index in digitsStart..<position { exponent = exponent * 10 + Int(bytes[index] &- 0x30) }
                    magnitudeBound += sign * exponent
                } else {
                    magnitudeBound = Int.max
                }
            }
            if magnitudeBound > 307 {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                guard let value = Double(text), value.isFinite else { return .syntax }
            }
            tape.append(Node(kind: .number, plain: integral, start: offset(start), end: offset(position), next: offset(tape.count + 1)))
            return nil
        }

        @discardableResult
        mutating func skipDigits() -> Int {
            let start = position
            // Eight bytes at a time while all are digits (a score's 16-17
            // fraction digits, a time's 10), then byte by byte.
            if let base = bytes.baseAddress {
                while position + 8 <= bytes.count {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                    // A byte is a digit when its high nibble is 3 and adding 6
                    // to it does not carry into the high nibble ('0'-'9').
                    let notDigits = (word & 0xf0f0_f0f0_f0f0_f0f0 ^ 0x3030_3030_3030_3030) | ((word &+ 0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0 ^ 0x3030_3030_3030_3030)
                    guard notDigits == 0 else { break }
                    position += 8
                }
            }
            while position < bytes.count, bytes[position] &- 0x30 < 10 { position += 1 }
            return position - start
        }

        /// A string literal at `position` (a quote) onto the tape; false if
        /// it is unterminated, holds a raw control character, a bad escape
        /// or invalid UTF-8.
        @inline(__always)
        mutating func string() -> Bool {
            position += 1
            let start = position
            var plain = true
            while true {
                skipPlainBytes()
                guard position < bytes.count else { return false }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") { break }
                if byte < 0x20 { return false }
                if byte == UInt8(ascii: "\\") {
                    plain = false
                    // The escaped byte cannot end the string.
                    position += 2
                    continue
                }
                if byte >= 0x80 { plain = false }
                position += 1
            }
            if !plain {
                // Escapes must be valid and the decoded bytes valid UTF-8
                // (refused, not replaced).
                let content = UnsafeBufferPointer(rebasing: bytes[start..<position])
                guard let decoded = StrictJSON.decodeString(content), String(validating: decoded, as: UTF8.self) != nil else { return false }
            }
            tape.append(Node(kind: .string, plain: plain, start: offset(start), end: offset(position), next: offset(tape.count + 1)))
            position += 1
            return true
        }

        /// Advances eight bytes at a time to the first quote, backslash,
        /// control character or non-ASCII byte (or to the last seven bytes
        /// of the text, left to the byte loop). Each test below flags every
        /// byte it looks for, and can flag a clean byte only above a real hit
        /// in the same word (a borrow), so the lowest flagged byte is always
        /// a real one.
        mutating func skipPlainBytes() {
            guard let base = bytes.baseAddress else { return }
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func zeroBytes(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highs }
            while position + 8 <= bytes.count {
                // Little-endian: the first byte in memory is the lowest.
                let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let special = word & highs | zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5c)) | (word &- ones &* 0x20) & ~word & highs
                if special != 0 {
                    position += special.trailingZeroBitCount / 8
                    return
                }
                position += 8
            }
        }
    }
}
