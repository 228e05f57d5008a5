// libFuzzer target for LocalAPI's HTTP request parser (issue 8). Built and
// run by Tools/fuzz/run-http-parser with -sanitize=fuzzer,address.
//
// Each input is fed twice: whole, and in chunks whose sizes come from the
// input's own bytes. Besides "never crash", the two must agree: a request
// completed one way is completed, identically, the other way, and a
// completed body is exactly Content-Length bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Small limits reach every limit branch with short inputs.
    let limits = HTTPLimits(requestLine: 64, headerBytes: 128, headerFields: 6, body: 32)
    var whole = HTTPRequestParser(limits: limits)
    let atOnce = whole.consume(bytes)

    var chunked = HTTPRequestParser(limits: limits)
    var progress = HTTPRequestParser.Progress.incomplete(sendContinue: false)
    var offset = 0
    var step = 0
    while offset < bytes.count {
        let length = 1 + Int(bytes[step % bytes.count] % 7)
        progress = chunked.consume(bytes[offset..<min(bytes.count, offset + length)])
        offset += length
        step += 1
    }
    switch (atOnce, progress) {
    case (.complete(let a), .complete(let b)):
        if a != b { fatalError("whole and chunked parses differ") }
        if a.body.count != Int(a.header("Content-Length") ?? "0") { fatalError("body length differs from Content-Length") }
    case (.complete, _), (_, .complete):
        if bytes.count > 0 { fatalError("one way complete, the other not") }
    default:
        break
    }
    return 0
}
