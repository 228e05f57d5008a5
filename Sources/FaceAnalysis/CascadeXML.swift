// FaceAnalysis: finds faces in luma planes with OpenCV's boosted cascades
// (Haar and LBP, parsed from their XML files), measures capture quality on
// the face, and scores presentation-attack hints. Pure functions over pixel
// planes: no I/O except reading a cascade file's bytes, which the caller
// does, so tests can feed arrays.

/// One element of an XML document: its name, attributes, child elements and
/// the text directly inside it. OpenCV's FileStorage XML needs nothing more
/// (no namespaces, no mixed content that matters).
struct XMLElement: Sendable {
    var name: String
    var attributes: [String: String] = [:]
    var children: [XMLElement] = []
    var text: String = ""

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
}

/// Why an XML document could not be read; `offset` is the byte position.
struct XMLSyntaxError: Error, Sendable {
    var message: String
    var offset: Int
}

/// A small, non-recursive XML reader: elements, attributes, text, comments,
/// processing instructions and the five predefined entities. It is written
/// for cascade files, so it refuses DTDs and CDATA instead of half-parsing
/// them, and its nesting depth is bounded so crafted input cannot exhaust
/// the stack or memory through depth.
enum XMLReader {
    static let maximumDepth = 64

    static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLElement {
        var stack: [XMLElement] = []
        var root: XMLElement?
        var index = 0
        let count = bytes.count

        func fail(_ message: String, at offset: Int) -> XMLSyntaxError { XMLSyntaxError(message: message, offset: offset) }
        func starts(with literal: String, at position: Int) -> Bool {
            var cursor = position
            for byte in literal.utf8 {
                guard cursor < count, bytes[cursor] == byte else { return false }
                cursor += 1
            }
            return true
        }
        func find(_ literal: String, from position: Int) -> Int? {
            let pattern = Array(literal.utf8)
            var cursor = position
            while cursor + pattern.count <= count {
                if bytes[cursor] == pattern[0], Array(bytes[cursor..<cursor + pattern.count]) == pattern { return cursor }
                cursor += 1
            }
            return nil
        }

        // Skip a UTF-8 byte-order mark.
        if starts(with: "\u{FEFF}", at: 0) { index = 3 }

        while index < count {
            if bytes[index] != UInt8(ascii: "<") {
                let start = index
                while index < count, bytes[index] != UInt8(ascii: "<") { index += 1 }
                let text = bytes[start..<index]
                if stack.isEmpty {
                    guard text.allSatisfy(isSpace) else { throw fail("text outside the root element", at: start) }
                } else {
                    stack[stack.count - 1].text += try decodeEntities(text, at: start)
                }
                continue
            }
            if starts(with: "<!--", at: index) {
                guard let end = find("-->", from: index + 4) else { throw fail("unterminated comment", at: index) }
                index = end + 3
            } else if starts(with: "<?", at: index) {
                guard let end = find("?>", from: index + 2) else { throw fail("unterminated processing instruction", at: index) }
                index = end + 2
            } else if starts(with: "<!", at: index) {
                throw fail("DTDs and CDATA sections are not supported in a cascade file", at: index)
            } else if starts(with: "</", at: index) {
                let nameStart = index + 2
                var cursor = nameStart
                while cursor < count, isNameByte(bytes[cursor]) { cursor += 1 }
                let name = String(decoding: bytes[nameStart..<cursor], as: UTF8.self)
                while cursor < count, isSpace(bytes[cursor]) { cursor += 1 }
                guard cursor < count, bytes[cursor] == UInt8(ascii: ">") else { throw fail("malformed end tag", at: index) }
                guard let open = stack.popLast() else { throw fail("end tag </\(name)> without a start tag", at: index) }
                guard open.name == name else { throw fail("end tag </\(name)> closes <\(open.name)>", at: index) }
                index = cursor + 1
                try close(open)
            } else {
                let tagStart = index
                var cursor = index + 1
                let nameStart = cursor
                while cursor < count, isNameByte(bytes[cursor]) { cursor += 1 }
                guard cursor > nameStart else { throw fail("malformed start tag", at: tagStart) }
                var element = XMLElement(name: String(decoding: bytes[nameStart..<cursor], as: UTF8.self))
                var selfClosing = false
                while true {
                    while cursor < count, isSpace(bytes[cursor]) { cursor += 1 }
                    guard cursor < count else { throw fail("unterminated start tag <\(element.name)>", at: tagStart) }
                    if bytes[cursor] == UInt8(ascii: ">") { cursor += 1; break }
                    if bytes[cursor] == UInt8(ascii: "/") {
                        guard cursor + 1 < count, bytes[cursor + 1] == UInt8(ascii: ">") else { throw fail("malformed start tag <\(element.name)>", at: tagStart) }
                        selfClosing = true
                        cursor += 2
                        break
                    }
                    let attributeStart = cursor
                    while cursor < count, isNameByte(bytes[cursor]) { cursor += 1 }
                    guard cursor > attributeStart else { throw fail("malformed attribute in <\(element.name)>", at: cursor) }
                    let attribute = String(decoding: bytes[attributeStart..<cursor], as: UTF8.self)
                    while cursor < count, isSpace(bytes[cursor]) { cursor += 1 }
                    guard cursor < count, bytes[cursor] == UInt8(ascii: "=") else { throw fail("attribute \(attribute) has no value", at: cursor) }
                    cursor += 1
                    while cursor < count, isSpace(bytes[cursor]) { cursor += 1 }
                    guard cursor < count, bytes[cursor] == UInt8(ascii: "\"") || bytes[cursor] == UInt8(ascii: "'") else {
                        throw fail("attribute \(attribute) is not quoted", at: cursor)
                    }
                    let quote = bytes[cursor]
                    let valueStart = cursor + 1
                    cursor = valueStart
                    while cursor < count, bytes[cursor] != quote { cursor += 1 }
                    guard cursor < count else { throw fail("unterminated attribute \(attribute)", at: valueStart) }
                    element.attributes[attribute] = try decodeEntities(bytes[valueStart..<cursor], at: valueStart)
                    cursor += 1
                }
                index = cursor
                if selfClosing {
                    try close(element)
                } else {
                    guard stack.count < maximumDepth else { throw fail("elements nested deeper than \(maximumDepth)", at: tagStart) }
                    if root != nil && stack.isEmpty { throw fail("a second root element <\(element.name)>", at: tagStart) }
                    stack.append(element)
                }
            }
        }
        guard stack.isEmpty else { throw fail("unexpected end of file inside <\(stack[stack.count - 1].name)>", at: count) }
        guard let document = root else { throw fail("no root element", at: count) }
        return document

        func close(_ element: XMLElement) throws(XMLSyntaxError) {
            if stack.isEmpty {
                guard root == nil else { throw fail("a second root element <\(element.name)>", at: index) }
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return byte >= 0x80
        }
    }

    private static func decodeEntities(_ raw: ArraySlice<UInt8>, at offset: Int) throws(XMLSyntaxError) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        let text = String(decoding: raw, as: UTF8.self)
        var result = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            guard let semicolon = rest[ampersand...].firstIndex(of: ";") else {
                throw XMLSyntaxError(message: "unterminated entity", offset: offset)
            }
            switch rest[rest.index(after: ampersand)..<semicolon] {
            case "lt": result += "<"
            case "gt": result += ">"
            case "amp": result += "&"
            case "quot": result += "\""
            case "apos": result += "'"
            case let other: throw XMLSyntaxError(message: "unknown entity &\(other);", offset: offset)
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }
}
