@testable import LocalAPI
import XCTest

final class HTTPParserTests: XCTestCase {
    private func parse(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPRequestParser.Progress {
        var parser = HTTPRequestParser(limits: limits)
        return parser.consume(Array(text.utf8))
    }

    private func refusal(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPRequestError? {
        if case .refused(let error) = parse(text, limits: limits) { return error }
        return nil
    }

    func testAWellFormedPostIsParsedWhetherItArrivesWholeOrByteByByte() throws {
        let text = "POST /v1/sessions?x=1 HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"nonce\":\"AAAA\"}\n"
        guard case .complete(let whole) = parse(text) else { return XCTFail("not complete") }
        XCTAssertEqual(whole.method, "POST")
        XCTAssertEqual(whole.path, "/v1/sessions")
        XCTAssertEqual(whole.header("content-type"), "application/json")
        XCTAssertEqual(String(decoding: whole.body, as: UTF8.self), "{\"nonce\":\"AAAA\"}\n")
        var parser = HTTPRequestParser()
        var last = HTTPRequestParser.Progress.incomplete(sendContinue: false)
        for byte in Array(text.utf8) {
            XCTAssertEqual(last, .incomplete(sendContinue: false), "complete before the last byte")
            last = parser.consume([byte])
        }
        XCTAssertEqual(last, .complete(whole))
    }

    func testExpectContinueIsAskedForOnceWhenTheBodyIsMissing() {
        var parser = HTTPRequestParser()
        XCTAssertEqual(parser.consume(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8)), .incomplete(sendContinue: true))
        XCTAssertEqual(parser.consume(Array("{".utf8)), .incomplete(sendContinue: false))
        guard case .complete(let request) = parser.consume(Array("}".utf8)) else { return XCTFail("not complete") }
        XCTAssertEqual(request.body, Array("{}".utf8))
    }

    func testEachRefusalHasItsStatusAndCode() {
        let cases: [(String, HTTPStatus, String)] = [
            ("GET / HTTP/1.1\nHost: a\n\n", .badRequest, "bad_line_ending"),
            ("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .badRequest, "bad_line_ending"),
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", .badRequest, "obsolete_line_folding"),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .badRequest, "bad_header"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", .badRequest, "bad_header"),
            ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .badRequest, "bad_header"),
            ("GET / HTTP/1.1\r\n\r\n", .badRequest, "bad_host"),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badRequest, "bad_host"),
            ("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "bad_target"),
            ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "bad_request_line"),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .httpVersionNotSupported, "version_not_supported"),
            ("GET / FTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "bad_request_line"),
            ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "bad_request_line"),
            ("POST / HTTP/1.1\r\nHost: a\r\n\r\n", .lengthRequired, "length_required"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", .notImplemented, "transfer_encoding_refused"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", .badRequest, "bad_content_length"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badRequest, "bad_content_length"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", .badRequest, "bad_content_length"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", .badRequest, "bad_content_length"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", .payloadTooLarge, "body_too_large"),
        ]
        for (text, status, code) in cases {
            let error = refusal(text)
            XCTAssertEqual(error?.status, status, text.debugDescription)
            XCTAssertEqual(error?.code, code, text.debugDescription)
        }
    }

    func testLimitsAreEnforcedBeforeTheHeadIsComplete() {
        let longLine = "GET /" + String(repeating: "a", count: 9000)
        XCTAssertEqual(refusal(longLine)?.status, .uriTooLong, "no line end yet, already past the request-line limit")
        let manyHeaders = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-Filler: " + String(repeating: "b", count: 100) + "\r\n", count: 200)
        XCTAssertEqual(refusal(manyHeaders)?.status, .requestHeaderFieldsTooLarge, "no blank line yet, already past 16 KiB")
        let fields = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: y\r\n", count: 120) + "\r\n"
        XCTAssertEqual(refusal(fields)?.code, "too_many_headers")
        let small = HTTPLimits(requestLine: 64, headerBytes: 64, headerFields: 10, body: 4)
        XCTAssertEqual(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", limits: small)?.status, .payloadTooLarge)
        if case .complete = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", limits: small) {} else { XCTFail("at the limit is allowed") }
    }

    func testAfterAnAnswerMoreBytesChangeNothing() {
        var parser = HTTPRequestParser()
        guard case .complete(let request) = parser.consume(Array("GET /v1/health HTTP/1.0\r\n\r\nGARBAGE".utf8)) else { return XCTFail("not complete") }
        XCTAssertEqual(request.minorVersion, 0, "HTTP/1.0 needs no Host")
        XCTAssertEqual(parser.consume(Array("\r\n\r\n".utf8)), .complete(request))
    }

    /// Random and mutated inputs never trap (the fuzzer runs far more).
    func testArbitraryBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let seed = Array("POST /v1/sessions HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}".utf8)
        for _ in 0..<2000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            var parser = HTTPRequestParser()
            var offset = 0
            while offset < bytes.count {
                let step = Int.random(in: 1...16, using: &generator)
                _ = parser.consume(bytes[offset..<min(bytes.count, offset + step)])
                offset += step
            }
        }
    }

    func testResponsesAreFramedAndJSONIsEscaped() {
        let response = HTTPResponse.error(.conflict, "session_running", "a \"quoted\"\nline", headers: [HTTPHeader("Retry-After", "2")])
        let text = String(decoding: response.encoded(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 409 Conflict\r\n"))
        XCTAssertTrue(text.contains("Retry-After: 2\r\n"))
        XCTAssertTrue(text.contains("Connection: close\r\n\r\n"))
        let body = text.components(separatedBy: "\r\n\r\n").last ?? ""
        XCTAssertTrue(text.contains("Content-Length: \(body.utf8.count)\r\n"))
        let decoded = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: String]
        XCTAssertEqual(decoded?["detail"], "a \"quoted\"\nline")
        XCTAssertEqual(decoded?["error"], "session_running")
    }
}
