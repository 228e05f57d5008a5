// LocalAPI: the agent's local HTTP/1.1 endpoint, hand-written because the
// project takes no packages. A strict, bounded request parser (pure: bytes
// in, a request or a status out, so it can be fuzzed and unit-tested), the
// response encoder, and a small server over a Unix domain socket (and an
// opt-in loopback TCP port) with per-connection deadlines. It knows nothing
// of cameras or tokens; the caller supplies the routes.

/// The statuses the agent sends.
public enum HTTPStatus: Int, Sendable, CaseIterable {
    case continueStatus = 100
    case ok = 200
    case badRequest = 400
    case notFound = 404
    case methodNotAllowed = 405
    case requestTimeout = 408
    case conflict = 409
    case lengthRequired = 411
    case payloadTooLarge = 413
    case uriTooLong = 414
    case unsupportedMediaType = 415
    case requestHeaderFieldsTooLarge = 431
    case internalServerError = 500
    case notImplemented = 501
    case serviceUnavailable = 503
    case httpVersionNotSupported = 505

    public var reason: String {
        switch self {
        case .continueStatus: return "Continue"
        case .ok: return "OK"
        case .badRequest: return "Bad Request"
        case .notFound: return "Not Found"
        case .methodNotAllowed: return "Method Not Allowed"
        case .requestTimeout: return "Request Timeout"
        case .conflict: return "Conflict"
        case .lengthRequired: return "Length Required"
        case .payloadTooLarge: return "Content Too Large"
        case .uriTooLong: return "URI Too Long"
        case .unsupportedMediaType: return "Unsupported Media Type"
        case .requestHeaderFieldsTooLarge: return "Request Header Fields Too Large"
        case .internalServerError: return "Internal Server Error"
        case .notImplemented: return "Not Implemented"
        case .serviceUnavailable: return "Service Unavailable"
        case .httpVersionNotSupported: return "HTTP Version Not Supported"
        }
    }
}

/// The bounds on what a client may send before it is refused. The defaults
/// are the ones issue 8 names (8 KiB request line, 16 KiB of headers, 64 KiB
/// of body): a session request is a ~100-byte JSON object.
public struct HTTPLimits: Sendable, Equatable {
    public var requestLine: Int
    /// The header section after the request line, including its line ends.
    public var headerBytes: Int
    /// 100 fields is far more than curl or http.client send (3 to 5); it
    /// bounds the work per request when each field is short.
    public var headerFields: Int
    public var body: Int

    public init(requestLine: Int = 8 * 1024, headerBytes: Int = 16 * 1024, headerFields: Int = 100, body: Int = 64 * 1024) {
        self.requestLine = requestLine
        self.headerBytes = headerBytes
        self.headerFields = headerFields
        self.body = body
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete request. Header names keep the client's spelling; look them
/// up with `header(_:)`, which ignores case as HTTP requires.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The origin-form target: an absolute path with an optional query.
    public var target: String
    public var minorVersion: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    /// The target without its query.
    public var path: String {
        guard let question = target.firstIndex(of: "?") else { return target }
        return String(target[..<question])
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why a request was refused before it reached a route: the status to send
/// and a stable snake_case code for the JSON body and the log.
public struct HTTPRequestError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    public var code: String
    public var detail: String

    public init(_ status: HTTPStatus, _ code: String, _ detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: HTTPStatus
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The response as sent: status line, the caller's headers, then
    /// Content-Length and `Connection: close` (one request per connection).
    public func encoded() -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}
