@testable import Attestation
import CaptureCrypto
@testable import CaptureFile
import Foundation
import Synchronization
import TestSupport
@testable import Verifier
import CaptureModel
import XCTest

final class EncodingTests: XCTestCase {
    func testBase64URLRoundTripAndStrictness() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            XCTAssertFalse(text.contains("=") || text.contains("+") || text.contains("/"))
            XCTAssertEqual(Base64URL.decode(text), bytes)
        }
        XCTAssertEqual(Base64URL.encode(Array("\u{3}\u{ff}".utf8)), "A8O_")
        XCTAssertNil(Base64URL.decode("ab+c"), "standard alphabet is not base64url")
        XCTAssertNil(Base64URL.decode("abc="), "no padding")
        XCTAssertNil(Base64URL.decode("abcde"), "a length of 4n+1 cannot occur")
        XCTAssertNil(Base64URL.decode("AB"), "non-zero leftover bits are not canonical")
        XCTAssertNil(Base64URL.decode("ab c"))
        XCTAssertNil(Base64URL.decode("AAB"), "non-zero leftover bits after three characters")
        XCTAssertEqual(Base64URL.decode("AAE"), [0x00, 0x01])
        // Foundation's standard base64, translated, agrees on random bytes
        // of every length through the 8-character steps, the lone quartet
        // and both tails.
        var generator = SystemRandomNumberGenerator()
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let standard = Data(bytes).base64EncodedString()
            let url = String(standard.filter { $0 != "=" }.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
            XCTAssertEqual(Base64URL.encode(bytes), url)
            XCTAssertEqual(Base64URL.decode(url), bytes, "length \(length)")
        }
        // A bad character is caught in every position of an 8-character
        // step, a lone quartet and the tail.
        for length in [2, 3, 4, 6, 7, 8, 11, 12, 15, 16, 19] {
            for position in 0..<length {
                for bad: UInt8 in [UInt8(ascii: "."), UInt8(ascii: "="), 0x00, 0x80, 0xff] {
                    var text = [UInt8](repeating: UInt8(ascii: "A"), count: length)
                    text[position] = bad
                    XCTAssertNil(Base64URL.decode(bytes: text), "byte \(bad) at \(position) of \(length)")
                }
            }
        }
    }

    /// Random nested documents written by Foundation's serializer come back
    /// equal from the tape, and random byte edits of them never crash the
    /// parser; an edited text it accepts reads back the same after another
    /// round through Foundation.
    func testRandomDocumentsRoundTripAndEditsNeverCrash() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        let pieces = ["a", "exp", "é", "😀", "\"", "\\", "\n", "/", "\u{1}", "x y", ""]
        func text() -> String { (0..<next(4)).map { _ in pieces[next(pieces.count)] }.joined() }
        func value(_ depth: Int) -> Any {
            switch next(depth > 3 ? 5 : 7) {
            case 0: return next(2_000_000_000) - 1_000_000_000
            case 1: return Double(next(1_000_000)) / 64
            case 2: return text()
            case 3: return next(2) == 0
            case 4: return NSNull()
            case 5: return (0..<next(4)).map { _ in value(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for _ in 0..<next(20) { object[text() + String(next(30))] = value(depth + 1) }
                return object
            }
        }
        // Equal documents serialise alike with sorted keys (NSDictionary's
        // isEqual on Linux does not equate bridged and native numbers).
        func canonical(_ object: Any) throws -> Data { try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) }
        for round in 0..<300 {
            var object: [String: Any] = [:]
            for index in 0..<next(8) { object["k\(index)"] = value(0) }
            let bytes = Array(try JSONSerialization.data(withJSONObject: object))
            let parsed = try XCTUnwrap(StrictJSON.object(bytes), "round \(round): \(String(decoding: bytes, as: UTF8.self))")
            XCTAssertEqual(try canonical(parsed), try canonical(object), "round \(round)")
            for _ in 0..<20 {
                var edited = bytes
                guard !edited.isEmpty else { break }
                edited[next(edited.count)] = UInt8(next(256))
                guard let accepted = StrictJSON.object(edited) else { continue }
                let again = Array(try JSONSerialization.data(withJSONObject: accepted))
                let reparsed = try XCTUnwrap(StrictJSON.object(again))
                XCTAssertEqual(try canonical(reparsed), try canonical(accepted), "round \(round), edit of \(String(decoding: edited, as: UTF8.self))")
            }
        }
    }

    func testDuplicateMemberNamesAreFoundEvenWhenEscaped() {
        XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"a":1,"a":2}"#.utf8)))
        XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"exp":1,"\u0065xp":2}"#.utf8)))
        XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"\u0065xp":1,"exp":2}"#.utf8)), "the escaped spelling first")
        XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"":1,"a":2,"":3}"#.utf8)), "the empty name")
        XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"x":{"k":1,"k":2}}"#.utf8)))
        XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"\ud83d\ude00":1,"😀":2}"#.utf8)), "a surrogate pair is the same key as the literal")
        XCTAssertFalse(StrictJSON.hasDuplicateKeys(Array(#"{"\ud83d\ude00":1,"\ud83d\ude01":2}"#.utf8)), "different astral keys differ")
        XCTAssertFalse(StrictJSON.hasDuplicateKeys(Array(#"{"a":{"a":1},"b":["a","a"],"c":"a"}"#.utf8)))
        XCTAssertNil(StrictJSON.object(Array(#"[1,2]"#.utf8)), "the top level must be an object")
        XCTAssertNotNil(StrictJSON.object(Array(#"{"a":"}\"{"}"#.utf8)))
    }

    func testStrictParserRefusesWhatLenientParsersAccept() throws {
        func parse(_ text: [UInt8]) -> [String: Any]? { StrictJSON.object(text) }
        XCTAssertNil(parse(Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)), "not an object")
        XCTAssertNil(parse(Array(("{\"a\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}").utf8)), "deeper than 32")
        XCTAssertNotNil(parse(Array(("{\"a\":" + String(repeating: "[", count: 20) + String(repeating: "]", count: 20) + "}").utf8)))
        XCTAssertNil(parse([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x01, 0x22, 0x7d]), "a raw control character in a string")
        XCTAssertNil(parse([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), "invalid UTF-8")
        XCTAssertNil(parse(Array(#"{"a":1} x"#.utf8)), "trailing garbage")
        XCTAssertNil(parse(Array(#"{"a":01}"#.utf8)), "a leading zero")
        XCTAssertNil(parse(Array(#"{"a":"\ud83d"}"#.utf8)), "a lone surrogate")
        XCTAssertNil(parse(Array(#"{"a":tru}"#.utf8)))
        XCTAssertNil(parse(Array(#"{"a":1,}"#.utf8)), "a trailing comma")
        let numbers = try XCTUnwrap(parse(Array(#"{"a":1.5e3,"b":-0,"c":12,"d":true,"e":null,"f":"\u00e9\n"}"#.utf8)))
        XCTAssertEqual(numbers["a"] as? Double, 1500)
        XCTAssertEqual(numbers["b"] as? Int, 0)
        XCTAssertEqual(numbers["c"] as? Int, 12)
        XCTAssertEqual(numbers["d"] as? Bool, true)
        XCTAssertTrue(numbers["e"] is NSNull)
        XCTAssertEqual(numbers["f"] as? String, "é\n")
        XCTAssertNil(parse(Array(#"{"a":1e400}"#.utf8)), "a number a double cannot hold")
        // RFC 8259's four whitespace bytes, runs of them, at every place
        // they may stand, read as the compact text does; other control
        // bytes there are refused (the compact case is one inlined test).
        let compact = try XCTUnwrap(parse(Array(#"{"a":[1,{"b":"c"},true],"d":null}"#.utf8)))
        for space in [" ", "\t", "\n", "\r", " \t\r\n "] {
            let tokens = ["{", #""a""#, ":", "[", "1", ",", "{", #""b""#, ":", #""c""#, "}", ",", "true", "]", ",", #""d""#, ":", "null", "}"]
            let text = space + tokens.joined(separator: space) + space
            let parsed = try XCTUnwrap(parse(Array(text.utf8)), text.debugDescription)
            XCTAssertEqual(try JSONSerialization.data(withJSONObject: parsed, options: [.sortedKeys]),
                           try JSONSerialization.data(withJSONObject: compact, options: [.sortedKeys]), text.debugDescription)
        }
        for control: UInt8 in [0x0b, 0x0c, 0x1f, 0x00] {
            XCTAssertNil(parse(Array(#"{"a":"#.utf8) + [control] + Array("1}".utf8)), "byte \(control) is not JSON whitespace")
        }
        XCTAssertNil(parse(Array(("{\"a\":" + String(repeating: "9", count: 400) + "}").utf8)), "400 digits overflow a double")
        XCTAssertNotNil(parse(Array(("{\"a\":" + String(repeating: "9", count: 299) + "}").utf8)))
        let times = try XCTUnwrap(try? StrictJSON.Document.parse(Array(#"{"t":true,"n":1800000000,"f":1.8e9,"h":1.5,"s":"1"}"#.utf8)).get()).root
        XCTAssertNil(times["t"]?.integer, "a boolean is not a time")
        XCTAssertEqual(times["n"]?.integer, 1_800_000_000)
        XCTAssertEqual(times["f"]?.integer, 1_800_000_000, "a whole number written with an exponent")
        XCTAssertNil(times["h"]?.integer, "a fraction is not a whole second")
        XCTAssertNil(times["s"]?.integer, "a string is not a number")
        // Exponents are judged without converting up to 10^307; the edge
        // of a double's range is converted, and agrees with Foundation.
        for text in ["1e307", "9.9e307", "99e306", "1.7e308", "1.8e308", "0.001e310", "10e308", "1e-400", "-2e308",
                     "0e999999", "1e0000001", "1e-9999999", String(repeating: "9", count: 309) + "e-2"] {
            let finite = Double(text).map(\.isFinite) ?? false
            XCTAssertEqual(parse(Array(#"{"a":\#(text)}"#.utf8)) != nil, finite, text)
        }
        // Digit runs are skipped eight at a time: a run that stops inside
        // or right after a word still ends at the right byte.
        for digits in 1...20 {
            let run = String(repeating: "7", count: digits)
            XCTAssertEqual(try StrictJSON.Document.parse(Array(#"{"a":0.\#(run),"b":\#(run)}"#.utf8)).get().root["b"]?.double, Double(run))
            for bad in [":", "/", "a", "\u{7f}", "9x"] {
                XCTAssertNil(parse(Array(#"{"a":\#(run)\#(bad)}"#.utf8)), "\(run)\(bad)")
            }
        }
        // Integers are read in place, to the edges of Int64.
        let edges = try StrictJSON.Document.parse(Array(#"{"max":9223372036854775807,"min":-9223372036854775808,"over":9223372036854775808,"under":-9223372036854775809,"zero":-0,"big":99999999999999999999}"#.utf8)).get().root
        XCTAssertEqual(edges["max"]?.integer, Int64.max)
        XCTAssertEqual(edges["min"]?.integer, Int64.min)
        XCTAssertNil(edges["over"]?.integer)
        XCTAssertNil(edges["under"]?.integer)
        XCTAssertEqual(edges["zero"]?.integer, 0)
        XCTAssertNil(edges["big"]?.integer)
        // Strings compared and base64url-decoded in place, escaped or not.
        let strings = try StrictJSON.Document.parse(Array(#"{"p":"urn:x","q":"urn\u003ax","n":"AAE","m":"\u0041AE","b":"AA=","i":1}"#.utf8)).get().root
        XCTAssertTrue(strings["p"]?.isString("urn:x") ?? false)
        XCTAssertTrue(strings["q"]?.isString("urn:x") ?? false, "an escape decodes before comparing")
        XCTAssertFalse(strings["p"]?.isString("urn:") ?? true)
        XCTAssertFalse(strings["i"]?.isString("1") ?? true, "a number is not a string")
        XCTAssertEqual(strings["n"]?.base64URLBytes, [0, 1])
        XCTAssertEqual(strings["m"]?.base64URLBytes, [0, 1])
        XCTAssertNil(strings["b"]?.base64URLBytes)
        XCTAssertNil(strings["i"]?.base64URLBytes)
    }

    /// The tape answers lookups the way the materialised dictionary does:
    /// escaped names match their decoded form, nested objects keep their own
    /// names, and objects past the pairwise limit still catch duplicates.
    func testDocumentLookupsAndLargeObjects() throws {
        let text = #"{"a\u0062":{"x":[1,"two",{"x":3}],"y":null},"c":"\u00e9","d":[],"e":{}}"#
        let root = try StrictJSON.Document.parse(Array(text.utf8)).get().root
        XCTAssertEqual(root["ab"]?.kind, .object, "an escaped member name matches its decoded form")
        XCTAssertNil(root[#"a\u0062"#], "and not its escaped spelling")
        XCTAssertEqual(root["ab"]?["x"]?.elements.count, 3)
        XCTAssertEqual(root["ab"]?["x"]?.elements[1].string, "two")
        XCTAssertEqual(root["ab"]?["x"]?.elements[2]["x"]?.integer, 3)
        XCTAssertEqual(root["ab"]?["y"]?.kind, .null)
        XCTAssertEqual(root["c"]?.string, "é")
        XCTAssertEqual(root["d"]?.elements.count, 0)
        XCTAssertEqual(root["e"]?.members.count, 0)
        XCTAssertNil(root["x"], "a nested member is not a top-level one")
        XCTAssertEqual(root.members.map(\.name), ["ab", "c", "d", "e"])
        let materialized = try XCTUnwrap(root.materialized as? [String: Any])
        XCTAssertEqual(((materialized["ab"] as? [String: Any])?["x"] as? [Any])?.count, 3)

        for members in [15, 16, 17, 200] {
            let names = (0..<members).map { "\"k\($0)\":\($0)" }
            let unique = "{" + names.joined(separator: ",") + "}"
            let parsed = try StrictJSON.Document.parse(Array(unique.utf8)).get().root
            XCTAssertEqual(parsed["k\(members - 1)"]?.integer, Int64(members - 1), "\(members) members")
            for repeated in [0, members - 1] {
                let escapedName = "k" + String(repeated).utf8.map { #"\u00"# + String($0, radix: 16) }.joined()
                let duplicate = "{" + names.joined(separator: ",") + ",\"\(escapedName)\":0}"
                XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(duplicate.utf8)), "k\(repeated) escaped, after \(members) members")
            }
        }
    }

    /// The string scanner skips eight plain bytes at a time; every special
    /// byte must still be seen wherever it falls in, or next to, a word.
    func testSpecialBytesAreSeenAtEveryOffsetOfTheWordScan() throws {
        for prefix in 0..<20 {
            let plain = String(repeating: "p", count: prefix)
            let escaped = try XCTUnwrap(StrictJSON.object(Array(#"{"k":"\#(plain)\"\\\u00e9x"}"#.utf8)))
            XCTAssertEqual(escaped["k"] as? String, plain + "\"\\éx", "escapes after \(prefix) plain bytes")
            let utf8 = try XCTUnwrap(StrictJSON.object(Array(#"{"k":"\#(plain)é😀","\#(plain)":1}"#.utf8)))
            XCTAssertEqual(utf8["k"] as? String, plain + "é😀")
            XCTAssertNil(StrictJSON.object(Array(#"{"k":"\#(plain)"#.utf8) + [0x09] + Array(#"x"}"#.utf8)), "a raw tab after \(prefix) plain bytes")
            XCTAssertNil(StrictJSON.object(Array(#"{"k":"\#(plain)"#.utf8) + [0xc3] + Array(#"x"}"#.utf8)), "a truncated UTF-8 sequence after \(prefix) plain bytes")
            XCTAssertNil(StrictJSON.object(Array(#"{"k":"\#(plain)"#.utf8)), "an unterminated string of \(prefix) plain bytes")
            XCTAssertTrue(StrictJSON.hasDuplicateKeys(Array(#"{"\#(plain)a":1,"\#(plain)\u0061":2}"#.utf8)))
        }
    }

    func testJWKThumbprintMatchesRFC8037Example() throws {
        // RFC 8037 appendix A.3.
        let jwk = JWK(kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", y: nil, kid: nil, alg: nil)
        XCTAssertEqual(try jwk.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    func testPNGIsAValidZlibStreamWithTheExactPixels() throws {
        let width = 300, height = 250  // > 64 KiB of rows: several stored blocks
        let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let png = try XCTUnwrap(PNG.encode(pixels: pixels, width: width, height: height, color: .rgb))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Python's zlib inflates the IDAT and checks Adler-32 and the chunk CRCs.
        let directory = try makeScratchDirectory(for: self)
        try writeBytes(png, to: directory + "/e.png")
        try writeBytes(pixels, to: directory + "/e.rgb")
        let script = """
        import struct, sys, zlib
        d = open(sys.argv[1], 'rb').read(); p = 8; idat = b''; ihdr = None
        while p < len(d):
            n, = struct.unpack('>I', d[p:p+4]); t = d[p+4:p+8]; body = d[p+8:p+8+n]
            assert zlib.crc32(t + body) == struct.unpack('>I', d[p+8+n:p+12+n])[0], t
            if t == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
            if t == b'IDAT': idat += body
            p += 12 + n
        raw = zlib.decompress(idat); w, h = ihdr[0], ihdr[1]
        rows = [raw[r*(w*3+1)+1:(r+1)*(w*3+1)] for r in range(h)]
        assert all(raw[r*(w*3+1)] == 0 for r in range(h))
        print('ok' if b''.join(rows) == open(sys.argv[2], 'rb').read() and ihdr[2:4] == (8, 2) else 'bad')
        """
        let result = try runTool("python3", ["-c", script, directory + "/e.png", directory + "/e.rgb"])
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), "ok\n", result.stderr)
        XCTAssertNil(PNG.encode(pixels: [1, 2], width: 2, height: 2, color: .rgb))
    }
}

final class SignatureTests: XCTestCase {
    private func token(_ key: SigningKey, claims: [String: Any], alg: String? = nil) throws -> String {
        try TokenSigner(key: key, algorithm: alg).sign(claims: Array(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])))
    }

    private func claims(nonce: [UInt8], now: Int64) -> [String: Any] {
        ["eat_profile": TokenVerifier.profile, "eat_nonce": Base64URL.encode(nonce), "iat": now, "exp": now + 120, "aud": "bank",
         "captureguard": ["evidence": ["image_sha256": try! SHA256.hexDigest([1, 2, 3])]]]
    }

    func testSignVerifyRoundTripForEveryAlgorithmAndKeyFile() throws {
        let nonce = [UInt8](repeating: 7, count: 16)
        let now: Int64 = 1_800_000_000
        for (algorithm, alg) in [(KeyAlgorithm.ed25519, "EdDSA"), (.ed25519, "Ed25519"), (.es256, "ES256")] {
            // Through PEM and back, as keygen and attest do.
            let key = try SigningKey(pem: try SigningKey.generate(algorithm).pem())
            let jwks = try KeyFile.jwks(for: key)
            let text = try token(key, claims: claims(nonce: nonce, now: now), alg: alg)
            let policy = VerificationPolicy(nonce: nonce, audience: "bank", evidenceImage: [1, 2, 3], now: now + 10)
            let verified = try TokenVerifier.verify(text, keys: jwks, policy: policy)
            XCTAssertEqual(verified.header["alg"] as? String, alg)
            XCTAssertEqual(verified.header["typ"] as? String, "eat+jwt")
            XCTAssertEqual(verified.header["kid"] as? String, jwks.keys.first?.kid)
            XCTAssertEqual(verified.claimSet.root["captureguard"]?["evidence"]?["image_sha256"]?.string, try SHA256.hexDigest([1, 2, 3]))
            XCTAssertEqual(verified.claimSet.root["exp"]?.integer, now + 120)
            XCTAssertEqual((verified.claims["captureguard"] as? [String: Any]).map { Array($0.keys) }, ["evidence"])
            XCTAssertEqual(verified.payload, verified.claimSet.bytes)
            // ES256 signatures are randomised; Ed25519 ones are deterministic.
            XCTAssertEqual(try token(key, claims: claims(nonce: nonce, now: now), alg: alg) == text, algorithm == .ed25519)
        }
    }

    /// A key verifies through copies of one initialised context: one after
    /// another (different messages, a bad signature in between) and from
    /// several threads at once, it must neither pass a bad signature nor
    /// fail a good one.
    func testOneKeyVerifiesRepeatedlyAndConcurrently() throws {
        let nonce = [UInt8](repeating: 7, count: 16)
        let now: Int64 = 1_800_000_000
        for (algorithm, alg) in [(KeyAlgorithm.ed25519, "EdDSA"), (.es256, "ES256")] {
            let key = try SigningKey.generate(algorithm)
            let ring = KeyRing(try KeyFile.jwks(for: key))
            let good = try token(key, claims: claims(nonce: nonce, now: now), alg: alg)
            var bytes = Array(good.utf8)
            let flip = bytes.count - 10
            bytes[flip] = bytes[flip] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let forged = String(decoding: bytes, as: UTF8.self)
            let policy = VerificationPolicy(nonce: nonce, audience: "bank", now: now + 10)
            let other = try token(key, claims: claims(nonce: nonce, now: now + 1), alg: alg)
            XCTAssertNotEqual(other, good)
            for round in 0..<20 {
                XCTAssertNoThrow(try TokenVerifier.verify(round % 2 == 0 ? good : other, keys: ring, policy: policy), "\(alg) round \(round)")
                XCTAssertThrowsError(try TokenVerifier.verify(forged, keys: ring, policy: policy), "\(alg) round \(round)")
            }
            let outcomes = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 64) { index in
                let text = index % 2 == 0 ? good : forged
                let outcome: String
                do {
                    _ = try TokenVerifier.verify(text, keys: ring, policy: policy)
                    outcome = "ok"
                } catch let failure as VerificationFailure {
                    outcome = failure.code.rawValue
                } catch {
                    outcome = "\(error)"
                }
                outcomes.withLock { $0.append("\(index % 2):\(outcome)") }
            }
            let seen = outcomes.withLock { $0 }
            XCTAssertEqual(seen.filter { $0 == "0:ok" }.count, 32, alg)
            XCTAssertEqual(seen.filter { $0 == "1:bad_signature" || $0 == "1:bad_format" }.count, 32, alg)
        }
    }

    func testAuditChainCatchesEditedDeletedAndTornRecords() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let log = try AuditLog(path: path)
            for index in 0..<3 { try log.append(time: "t\(index)", jti: "j\(index)", decision: "pass", reasons: [], token: "token\(index)") }
            XCTAssertEqual(log.state.records, 3)
        }
        let reopened = try AuditLog(path: path)
        try reopened.append(time: "t3", jti: "j3", decision: "fail", reasons: ["test_driver"], token: "token3")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let summary = try AuditChain.verify(bytes)
        XCTAssertEqual(summary.records, 4, "appends after a reopen continue the chain")
        XCTAssertEqual(summary.head, reopened.state.head)
        var lines = bytes.split(separator: 0x0a).map(Array.init)
        func verifies(_ lines: [[UInt8]], torn: Bool = false) -> Bool {
            let joined: [UInt8] = lines.reduce(into: []) { $0 += $1 + [0x0a] }
            return (try? AuditChain.verify(torn ? Array(joined.dropLast(5)) : joined)) != nil
        }
        XCTAssertTrue(verifies(lines))
        XCTAssertFalse(verifies(lines, torn: true), "a torn last line")
        XCTAssertFalse(verifies(Array(lines[0..<1] + lines[2...])), "a deleted record")
        XCTAssertFalse(verifies([lines[1], lines[0]] + lines[2...]), "swapped records")
        lines[1] = Array(String(decoding: lines[1], as: UTF8.self).replacingOccurrences(of: "\"pass\"", with: "\"fail\"").utf8)
        XCTAssertFalse(verifies(lines), "an edited decision")
        XCTAssertTrue(verifies(Array(lines[0..<1])), "a prefix alone is a valid chain: anchors catch truncation")
    }

    func testEachClaimCheckHasItsCode() throws {
        let key = try SigningKey.generate(.ed25519)
        let jwks = try KeyFile.jwks(for: key)
        let nonce = [UInt8](repeating: 9, count: 32)
        let now: Int64 = 1_800_000_000
        func code(_ mutate: (inout [String: Any]) -> Void, policy: VerificationPolicy? = nil) throws -> String? {
            var c = claims(nonce: nonce, now: now)
            mutate(&c)
            do {
                _ = try TokenVerifier.verify(try token(key, claims: c), keys: jwks, policy: policy ?? VerificationPolicy(nonce: nonce, audience: "bank", now: now))
                return nil
            } catch {
                return (error as? VerificationFailure)?.code.rawValue ?? "\(error)"
            }
        }
        XCTAssertNil(try code { _ in })
        XCTAssertEqual(try code { $0["exp"] = now - 31 }, "expired")
        XCTAssertNil(try code { $0["exp"] = now - 29 }, "within the default 30 s skew")
        XCTAssertEqual(try code { $0["iat"] = now + 600 }, "not_yet_valid")
        XCTAssertEqual(try code { $0["eat_nonce"] = Base64URL.encode([UInt8](repeating: 1, count: 32)) }, "nonce_mismatch")
        XCTAssertEqual(try code { $0["eat_nonce"] = Base64URL.encode([UInt8](repeating: 9, count: 7)) }, "bad_format")
        XCTAssertEqual(try code { $0["aud"] = "other" }, "audience_mismatch")
        XCTAssertEqual(try code { $0["eat_profile"] = "urn:other" }, "profile_unsupported")
        XCTAssertEqual(try code { $0["exp"] = true }, "bad_format", "a boolean is not a time")
        XCTAssertEqual(try code({ _ in }, policy: VerificationPolicy(nonce: nonce, audience: "bank", evidenceImage: [1, 2, 4], now: now)), "evidence_mismatch")
        XCTAssertEqual(try code { $0["nbf"] = now + 600 }, "not_yet_valid")
        XCTAssertEqual(try code { $0["iat"] = "\(now)" }, "bad_format", "a time written as a string")
        XCTAssertNil(try code { $0["aud"] = ["other", "bank"] }, "one of several audiences")
        XCTAssertEqual(try code { $0["aud"] = ["other", "third"] }, "audience_mismatch")
        XCTAssertEqual(try code { $0["aud"] = [] as [String] }, "audience_mismatch")
        XCTAssertEqual(try code { $0["aud"] = ["bank", 7] }, "bad_format", "every audience must be a string, even after a match")
        XCTAssertEqual(try code { $0["aud"] = 7 }, "bad_format")
        XCTAssertEqual(try code { $0["aud"] = nil }, "audience_mismatch", "the server expects an audience the token lacks")
        XCTAssertEqual(try code({ _ in }, policy: VerificationPolicy(nonce: nonce, now: now)), "audience_mismatch", "a token for 'bank' at a server with none")
        XCTAssertNil(try code({ $0["aud"] = nil }, policy: VerificationPolicy(nonce: nonce, now: now)))
    }

    /// Attack hints are written to four decimals (`ClaimPrecision`), not a
    /// double's 17 digits, and a hint that did not run stays null.
    func testClaimNumbersCarryTheirMeasurementsPrecision() throws {
        let hints = AttestationClaims.AttackHints(replay: 1, screen: 0.12019848119720122, print: 6.29144505676263e-08, maskLike: 0.99995)
        XCTAssertEqual(hints.screen, 0.1202)
        XCTAssertEqual(hints.print, 0)
        XCTAssertEqual(hints.maskLike, 1, "half-way rounds away from zero")
        XCTAssertNil(hints.sensorMismatch)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(hints), as: UTF8.self)
        XCTAssertTrue(text.contains(#""screen":0.1202"#), text)
        XCTAssertTrue(text.contains(#""sensor_mismatch":null"#), text)
    }

    /// The header's alg and kid are matched in place: in a key set small
    /// enough to scan and in a large one (looked up by kid), and when the
    /// header spells them with JSON escapes, which name the same strings.
    func testKeysAreFoundByKidInSmallAndLargeSetsAndThroughEscapes() throws {
        let nonce = [UInt8](repeating: 7, count: 16)
        let now: Int64 = 1_800_000_000
        let key = try SigningKey.generate(.ed25519)
        let own = try KeyFile.jwks(for: key).keys
        var others: [JWK] = []
        for _ in 0..<(KeyRing.scannedKeys + 3) { others += try KeyFile.jwks(for: try SigningKey.generate(.ed25519)).keys }
        let policy = VerificationPolicy(nonce: nonce, audience: "bank", now: now + 10)
        let text = try token(key, claims: claims(nonce: nonce, now: now))
        for (label, keys) in [("small", Array(others.prefix(3)) + own), ("large", Array(others.prefix(9)) + own + others.suffix(2)), ("only", own)] {
            XCTAssertNoThrow(try TokenVerifier.verify(text, keys: JWKS(keys: keys), policy: policy), label)
            XCTAssertThrowsError(try TokenVerifier.verify(text, keys: JWKS(keys: keys.filter { $0.kid != own[0].kid }), policy: policy), label) { error in
                XCTAssertEqual((error as? VerificationFailure)?.code, .unknownKid, label)
            }
        }
        // The same header with its alg's "D" and its kid's first character
        // written as \u escapes, signed by the same key.
        let kid = try XCTUnwrap(own[0].kid)
        let escapedKid = String(format: "\\u%04X", Int(kid.utf8.first ?? 0)) + kid.dropFirst()
        let header = #"{"alg":"Ed\u0044SA","kid":"\#(escapedKid)","typ":"eat+jwt"}"#
        let claimBytes = Array(try JSONSerialization.data(withJSONObject: claims(nonce: nonce, now: now), options: [.sortedKeys]))
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(claimBytes)
        let escaped = input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
        for keys in [own, Array(others.prefix(9)) + own] {
            let verified = try TokenVerifier.verify(escaped, keys: JWKS(keys: keys), policy: policy)
            XCTAssertEqual(verified.header["kid"] as? String, kid)
            XCTAssertEqual(verified.header["alg"] as? String, "EdDSA")
        }
    }

    func testKeyTypeMustMatchTheAlgorithm() throws {
        let ed = try SigningKey.generate(.ed25519)
        let ec = try SigningKey.generate(.es256)
        // The Ed25519 key's kid, but an ES256 header signed by the EC key.
        var jwks = try KeyFile.jwks(for: ed)
        let ecToken = try TokenSigner(key: ec).sign(claims: Array(#"{"a":1}"#.utf8))
        jwks.keys[0].kid = try KeyFile.jwks(for: ec).keys[0].kid
        XCTAssertThrowsError(try TokenVerifier.verify(ecToken, keys: jwks, policy: VerificationPolicy(nonce: [UInt8](repeating: 0, count: 8)))) { error in
            XCTAssertEqual((error as? VerificationFailure)?.code, .unsupportedAlg)
        }
    }

    func testKeyFilesAreWrittenPrivateAndInsecureOnesRefused() throws {
        let directory = try makeScratchDirectory(for: self)
        let path = directory + "/agent.key"
        try KeyFile.store(try SigningKey.generate(.es256), to: path, replace: false)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).uint16Value
        XCTAssertEqual(mode & 0o777, 0o600)
        XCTAssertEqual(try KeyFile.load(path).algorithm, .es256)
        XCTAssertThrowsError(try KeyFile.store(try SigningKey.generate(.es256), to: path, replace: false)) { XCTAssertEqual($0 as? KeyFileError, .exists(path)) }
        chmod(path, 0o640)
        XCTAssertThrowsError(try KeyFile.load(path)) { XCTAssertEqual($0 as? KeyFileError, .insecurePermissions(path, mode: 0o640)) }
        try writeBytes(Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8), to: directory + "/bad.key")
        chmod(directory + "/bad.key", 0o600)
        XCTAssertThrowsError(try KeyFile.load(directory + "/bad.key")) { error in
            guard case .invalid = error as? KeyFileError else { return XCTFail("\(error)") }
        }
    }

    func testFrameChainCommitsToOrderAndContent() throws {
        let format = FrameFormatShim.grey
        func chain(_ payloads: [[UInt8]]) throws -> [UInt8] {
            var chain = try FrameChain(nonce: [1, 2, 3, 4, 5, 6, 7, 8])
            for (index, payload) in payloads.enumerated() {
                try chain.append(FrameFormatShim.frame(index: index, payload: payload, format: format))
            }
            return chain.link
        }
        let base = try chain([[1], [2], [3]])
        XCTAssertEqual(try chain([[1], [2], [3]]), base)
        XCTAssertNotEqual(try chain([[1], [3], [2]]), base, "order matters")
        XCTAssertNotEqual(try chain([[1], [2], [4]]), base, "content matters")
        XCTAssertNotEqual(try chain([[1], [2]]), base, "a dropped frame changes the chain")
    }
}

final class PolicyTests: XCTestCase {
    func testDecisionPolicyFilesAreValidated() throws {
        XCTAssertNil(DecisionPolicy.standard.problem)
        var missing = DecisionPolicy.standard
        missing.capturePath["virtual"] = nil
        XCTAssertEqual(missing.problem, "capture_path has no decision for 'virtual'")
        var forever = DecisionPolicy.standard
        forever.tokenLifetimeSeconds = Int.max
        XCTAssertNotNil(forever.problem)
        var score = DecisionPolicy.standard
        score.scores["pass"] = 7
        XCTAssertNotNil(score.problem)
        XCTAssertEqual(DecisionPolicy.standard.decide(pathVerdict: .physical, fromFile: false, frames: 75), .pass)
        XCTAssertEqual(DecisionPolicy.standard.decide(pathVerdict: .physical, fromFile: false, frames: 3), .retry)
        XCTAssertEqual(DecisionPolicy.standard.decide(pathVerdict: .physical, fromFile: true, frames: 75), .stepUp)
        XCTAssertEqual(DecisionPolicy.standard.decide(pathVerdict: .virtual, fromFile: false, frames: 3), .fail, "fail outranks retry")
    }
}


final class SharpnessTests: XCTestCase {
    func testLumaReadInPlaceEqualsTheRepackedPlane() throws {
        for pixelFormat in [PixelFormat.yuyv, .uyvy, .nv12, .grey] {
            var format = try XCTUnwrap(FrameFormat.packed(pixelFormat, width: 40, height: 30))
            format.bytesPerLine += 8  // driver line padding
            let size = try XCTUnwrap(format.minimumPayloadSize)
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
            let luma = try XCTUnwrap(format.lumaLayout)
            let inPlace = payload.withUnsafeBufferPointer {
                Sharpness.laplacianVariance(luma: $0, width: 40, height: 30, offset: luma.offset, stride: luma.stride, step: luma.step)
            }
            let (planar, bytes) = try XCTUnwrap(Repack.toPlanar(payload, format: format))
            let repacked = bytes.withUnsafeBufferPointer { Sharpness.laplacianVariance(luma: $0, width: 40, height: 30, stride: planar.width) }
            XCTAssertGreaterThan(repacked, 0)
            XCTAssertEqual(inPlace, repacked, "\(pixelFormat)")
        }
        XCTAssertNil(FrameFormat.packed(.mjpeg, width: 40, height: 30)?.lumaLayout)
        XCTAssertNil(FrameFormat.packed(.rgb24, width: 40, height: 30)?.lumaLayout)
    }
}
