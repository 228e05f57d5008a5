/// An incremental, strict HTTP/1.1 request parser (RFC 9112) with hard
/// limits. Feed it bytes as they arrive; it answers "more", "done" or a
/// refusal with its status, and never traps on any byte sequence (the
/// libFuzzer target in Tools/fuzz holds it to that).
///
/// What it refuses, beyond malformed syntax: a bare CR or LF as a line end,
/// obsolete line folding, whitespace before a header colon, any
/// Transfer-Encoding (501: bodies are Content-Length only, which closes the
/// request-smuggling doors chunked framing opens), a repeated or non-numeric
/// Content-Length, a body-carrying method without Content-Length (411), and
/// an HTTP/1.1 request without exactly one Host.
public struct HTTPRequestParser: Sendable {
    public enum Progress: Sendable, Equatable {
        /// Keep reading. `sendContinue` is true once, when the head is in,
        /// the body is not, and the client asked for `100 Continue`.
        case incomplete(sendContinue: Bool)
        case complete(HTTPRequest)
        case refused(HTTPRequestError)
    }

    private enum State: Sendable {
        /// Looking for the blank line; bytes before `scanned` hold none, and
        /// `requestLineEnd` is where the request line's CRLF starts, if seen.
        case head(scanned: Int, requestLineEnd: Int?)
        case body(HTTPRequest, start: Int, length: Int)
        case finished(Progress)
    }

    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    private var state = State.head(scanned: 0, requestLineEnd: nil)

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Adds bytes and reports where the request stands. After `complete` or
    /// `refused`, further bytes change nothing (one request per connection).
    public mutating func consume<Bytes: Collection>(_ bytes: Bytes) -> Progress where Bytes.Element == UInt8 {
        if case .finished(let progress) = state { return progress }
        buffer.append(contentsOf: bytes)
        let progress = advance()
        switch progress {
        case .complete, .refused: state = .finished(progress)
        case .incomplete: break
        }
        return progress
    }

    private mutating func advance() -> Progress {
        switch state {
        case .finished(let progress):
            return progress
        case .body(let request, let start, let length):
            return finishBody(request, start: start, length: length)
        case .head(let scanned, let knownLineEnd):
            // Only the new bytes are examined, so a client sending one byte
            // at a time costs linear, not quadratic, work.
            var requestLineEnd = knownLineEnd
            let blank = blankLine(from: max(0, scanned - 3))
            // The head's line ends only: the body may hold any byte.
            for index in scanned..<(blank.map { $0 + 4 } ?? buffer.count) where buffer[index] == 0x0a {
                guard index > 0, buffer[index - 1] == 0x0d else {
                    return .refused(.init(.badRequest, "bad_line_ending", "a bare LF; lines end with CRLF"))
                }
                if requestLineEnd == nil { requestLineEnd = index - 1 }
            }
            guard let end = blank else {
                state = .head(scanned: buffer.count, requestLineEnd: requestLineEnd)
                // Refuse early only what the finished head would refuse too:
                // the last bytes may still turn out to be the CR of a line end
                // or the start of the blank line.
                if requestLineEnd.map({ $0 > limits.requestLine }) ?? (buffer.count - 1 > limits.requestLine) {
                    return .refused(.init(.uriTooLong, "request_line_too_long", "the request line is longer than \(limits.requestLine) bytes"))
                }
                if buffer.count - 3 > (requestLineEnd ?? limits.requestLine) + 2 + limits.headerBytes {
                    return .refused(.init(.requestHeaderFieldsTooLarge, "headers_too_large", "the header section is longer than \(limits.headerBytes) bytes"))
                }
                return .incomplete(sendContinue: false)
            }
            let request: HTTPRequest
            switch parseHead(buffer[..<end]) {
            case .success(let parsed): request = parsed
            case .failure(let error): return .refused(error)
            }
            let length = contentLength(request) ?? 0
            state = .body(request, start: end + 4, length: length)
            let progress = finishBody(request, start: end + 4, length: length)
            if case .incomplete = progress, request.header("Expect")?.lowercased() == "100-continue" {
                return .incomplete(sendContinue: true)
            }
            return progress
        }
    }

    private func finishBody(_ request: HTTPRequest, start: Int, length: Int) -> Progress {
        guard buffer.count - start >= length else { return .incomplete(sendContinue: false) }
        var complete = request
        complete.body = Array(buffer[start..<(start + length)])
        return .complete(complete)
    }

    /// The index of the CRLF CRLF that ends the head, searching from `from`.
    private func blankLine(from: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = from
        while index + 3 < buffer.count {
            if buffer[index] == 0x0d && buffer[index + 1] == 0x0a && buffer[index + 2] == 0x0d && buffer[index + 3] == 0x0a { return index }
            index += 1
        }
        return nil
    }

    private func contentLength(_ request: HTTPRequest) -> Int? {
        request.header("Content-Length").flatMap { Int($0) }
    }

    private func parseHead(_ head: ArraySlice<UInt8>) -> Result<HTTPRequest, HTTPRequestError> {
        func bad(_ code: String, _ detail: String) -> Result<HTTPRequest, HTTPRequestError> { .failure(.init(.badRequest, code, detail)) }
        // Every CR must start a CRLF and every LF end one.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        var index = head.startIndex
        while index < head.endIndex {
            let byte = head[index]
            if byte == 0x0d {
                guard index + 1 < head.endIndex, head[index + 1] == 0x0a else { return bad("bad_line_ending", "a CR not followed by LF") }
                lines.append(head[lineStart..<index])
                index += 2
                lineStart = index
                continue
            }
            if byte == 0x0a { return bad("bad_line_ending", "a bare LF; lines end with CRLF") }
            index += 1
        }
        lines.append(head[lineStart..<head.endIndex])
        guard let requestLine = lines.first else { return bad("bad_request_line", "no request line") }
        if requestLine.count > limits.requestLine {
            return .failure(.init(.uriTooLong, "request_line_too_long", "the request line is longer than \(limits.requestLine) bytes"))
        }
        let fieldLines = lines.dropFirst()
        if head.count - requestLine.count - 2 > limits.headerBytes {
            return .failure(.init(.requestHeaderFieldsTooLarge, "headers_too_large", "the header section is longer than \(limits.headerBytes) bytes"))
        }
        if fieldLines.count > limits.headerFields {
            return .failure(.init(.requestHeaderFieldsTooLarge, "too_many_headers", "more than \(limits.headerFields) header fields"))
        }

        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte) else {
            return bad("bad_request_line", "the request line is not METHOD SP TARGET SP VERSION")
        }
        let target = parts[1]
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
            return bad("bad_target", "the target must be an absolute path of visible ASCII")
        }
        let version = Array(parts[2])
        let minorVersion: Int
        switch version {
        case Array("HTTP/1.1".utf8): minorVersion = 1
        case Array("HTTP/1.0".utf8): minorVersion = 0
        default:
            let isHTTP = version.count == 8 && version.starts(with: Array("HTTP/".utf8)) && version[6] == UInt8(ascii: ".")
                && Self.isDigit(version[5]) && Self.isDigit(version[7])
            if isHTTP { return .failure(.init(.httpVersionNotSupported, "version_not_supported", "only HTTP/1.1 and HTTP/1.0 are served")) }
            return bad("bad_request_line", "the version is not HTTP/1.x")
        }

        var headers: [HTTPHeader] = []
        for line in fieldLines {
            guard let first = line.first else { return bad("bad_header", "an empty header line inside the head") }
            if first == 0x20 || first == 0x09 { return bad("obsolete_line_folding", "a header line starts with whitespace (obs-fold)") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return bad("bad_header", "a header line without a colon") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
                return bad("bad_header", "a header name is empty or not a token (whitespace before the colon is refused)")
            }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
            while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
            guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7f }) else { return bad("bad_header", "a control character in a header value") }
            headers.append(HTTPHeader(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        let request = HTTPRequest(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            minorVersion: minorVersion, headers: headers, body: [])

        func count(_ name: String) -> Int { headers.filter { $0.name.lowercased() == name }.count }
        if count("transfer-encoding") > 0 {
            return .failure(.init(.notImplemented, "transfer_encoding_refused", "Transfer-Encoding is not accepted; send Content-Length"))
        }
        if minorVersion == 1 && count("host") != 1 { return bad("bad_host", "an HTTP/1.1 request needs exactly one Host header") }
        switch count("content-length") {
        case 0:
            if ["POST", "PUT", "PATCH"].contains(request.method) {
                return .failure(.init(.lengthRequired, "length_required", "\(request.method) needs a Content-Length"))
            }
        case 1:
            let text = Array(request.header("Content-Length")?.utf8 ?? "".utf8)
            // 18 digits cannot overflow Int; anything longer is over the limit anyway.
            guard !text.isEmpty, text.count <= 18, text.allSatisfy(Self.isDigit), let length = Int(String(decoding: text, as: UTF8.self)) else {
                return bad("bad_content_length", "Content-Length is not a decimal number")
            }
            if length > limits.body {
                return .failure(.init(.payloadTooLarge, "body_too_large", "the body is \(length) bytes; the limit is \(limits.body)"))
            }
        default:
            return bad("bad_content_length", "more than one Content-Length")
        }
        return .success(request)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }
}
