import CaptureCrypto
import Foundation

/// Why a token was rejected: stable codes, documented in the README.
public struct VerificationFailure: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case badFormat = "bad_format"
        case unsupportedAlg = "unsupported_alg"
        case unknownKid = "unknown_kid"
        case badSignature = "bad_signature"
        case expired
        case notYetValid = "not_yet_valid"
        case nonceMismatch = "nonce_mismatch"
        case audienceMismatch = "audience_mismatch"
        case evidenceMismatch = "evidence_mismatch"
        case profileUnsupported = "profile_unsupported"
    }

    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// What a server expects of a token.
public struct VerificationPolicy: Sendable {
    /// The challenge the server issued for this session.
    public var nonce: [UInt8]
    public var audience: String?
    /// The exact image bytes the server will face-match, if it checks them.
    public var evidenceImage: [UInt8]?
    /// Seconds of clock difference tolerated on `exp`, `nbf` and `iat`. The
    /// default, 30 s, covers an NTP-synced kiosk and server with room to
    /// spare while keeping a 120 s token's replay window close to 120 s.
    public var clockSkew: Int64
    /// Unix time to judge `exp` against; now by default.
    public var now: Int64

    public init(nonce: [UInt8], audience: String? = nil, evidenceImage: [UInt8]? = nil, clockSkew: Int64 = 30, now: Int64 = Int64(Date().timeIntervalSince1970)) {
        self.nonce = nonce
        self.audience = audience
        self.evidenceImage = evidenceImage
        self.clockSkew = clockSkew
        self.now = now
    }
}

/// A token that passed every check.
public struct VerifiedToken: Sendable {
    /// The header and the claims as parsed and validated: look members up
    /// (`claimSet.root["captureguard"]?["decision"]?["verdict"]?.string`)
    /// without building a dictionary of every claim.
    public let headerSet: StrictJSON.Document
    public let claimSet: StrictJSON.Document

    /// The header as Foundation values, built on each access.
    public var header: [String: Any] { headerSet.root.materialized as? [String: Any] ?? [:] }
    /// The claims as Foundation values, built on each access.
    public var claims: [String: Any] { claimSet.root.materialized as? [String: Any] ?? [:] }
    /// The payload exactly as signed, for printing without re-encoding.
    public var payload: [UInt8] { claimSet.bytes }
}

public enum TokenVerifier {
    /// The profile this verifier understands (the `eat_profile` claim).
    public static let profile = "urn:captureguard:eat-profile:1"
    /// `EdDSA` (RFC 8037) and `Ed25519` (RFC 9864) name the same signature;
    /// `ES256` is ECDSA P-256 with SHA-256. Never `none`, never HS*: an
    /// attacker must not pick a MAC keyed with our public key.
    public static let allowedAlgorithms: [String: KeyAlgorithm] = Dictionary(uniqueKeysWithValues: allowedAlgorithmList.map { ($0.name, $0.algorithm) })
    static let allowedAlgorithmList: [(name: String, algorithm: KeyAlgorithm)] = [("EdDSA", .ed25519), ("Ed25519", .ed25519), ("ES256", .es256)]
    /// Bounds the work an unauthenticated token can cause before its
    /// signature is checked; a token with a full attestation is ~10 KB.
    public static let maximumTokenSize = 256 * 1024
    /// eat_nonce is 8 to 64 bytes (RFC 9711 §4.1).
    public static let nonceSizes = 8...64

    /// Verifies a compact JWS: format, algorithm allowlist, key id, signature,
    /// then the claims, in that order, so nothing unsigned is trusted.
    public static func verify(_ token: String, keys: JWKS, policy: VerificationPolicy) throws(VerificationFailure) -> VerifiedToken {
        try verify(token, keys: KeyRing(keys), policy: policy)
    }

    public static func verify(_ token: String, keys: KeyRing, policy: VerificationPolicy) throws(VerificationFailure) -> VerifiedToken {
        // Work on the UTF-8 bytes in place: a token is ASCII, and String's
        // Character-level trimming and splitting, or even a copy of the
        // bytes, cost a visible share of the signature's time.
        var token = token
        let outcome = token.withUTF8 { bytes in Result { () throws(VerificationFailure) in try verify(bytes: bytes, keys: keys, policy: policy) } }
        return try outcome.get()
    }

    /// Verifies a token given as its bytes (ASCII; surrounding whitespace is ignored).
    public static func verify(bytes: UnsafeBufferPointer<UInt8>, keys: KeyRing, policy: VerificationPolicy) throws(VerificationFailure) -> VerifiedToken {
        guard bytes.count <= maximumTokenSize + 2 else { throw .init(.badFormat, "token is \(bytes.count) bytes; the limit is \(maximumTokenSize)") }
        func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }
        var end = bytes.count
        while end > 0, isWhitespace(bytes[end - 1]) { end -= 1 }
        var start = 0
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        guard end - start <= maximumTokenSize else { throw .init(.badFormat, "token is \(end - start) bytes; the limit is \(maximumTokenSize)") }
        // memchr rather than a byte loop: the scan crosses the whole ~3 KB
        // token, and libc's vectorised search makes it about a tenth of the cost.
        func dot(after from: Int) -> Int? {
            guard let base = bytes.baseAddress, from < end, let hit = memchr(base + from, Int32(UInt8(ascii: ".")), end - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        guard let first = dot(after: start), let second = dot(after: first + 1), dot(after: second + 1) == nil,
              first > start, second > first + 1, second < end - 1 else {
            throw .init(.badFormat, "a compact JWS has three non-empty parts")
        }
        let dots = (first, second)
        func part(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[range]) }
        guard let headerBytes = Base64URL.decode(bytes: part(start..<dots.0)),
              let payload = Base64URL.decode(bytes: part((dots.0 + 1)..<dots.1)),
              let signature = Base64URL.decode(bytes: part((dots.1 + 1)..<end))
        else {
            throw .init(.badFormat, "a part is not base64url")
        }
        guard case .success(let headerSet) = StrictJSON.Document.parse(headerBytes) else {
            throw .init(.badFormat, "the header is not a JSON object with unique member names")
        }
        // The header's alg and kid are matched in place rather than made
        // into Strings for dictionary lookups (see `checkClaims`).
        let header = headerSet.root
        guard let algIndex = headerSet.member("alg", of: 0),
              let algorithm = allowedAlgorithmList.first(where: { entry in
                  var name = entry.name
                  return name.withUTF8 { headerSet.stringEquals(at: algIndex, $0) }
              })?.algorithm else {
            throw .init(.unsupportedAlg, "alg '\(header["alg"]?.description ?? "")' is not one of \(allowedAlgorithms.keys.sorted().joined(separator: ", "))")
        }
        if let critical = header["crit"] { throw .init(.badFormat, "unsupported critical header parameters \(critical)") }
        guard let kidIndex = headerSet.member("kid", of: 0), let entry = keys.entry(kidAt: kidIndex, in: headerSet) else {
            throw .init(.unknownKid, "kid '\(header["kid"]?.description ?? "")' is not in the JWKS")
        }
        guard let key = entry.key, key.algorithm == algorithm else {
            throw .init(.unsupportedAlg, "key \(entry.jwk.kid ?? "") (\(entry.jwk.kty) \(entry.jwk.crv ?? "no crv")) cannot verify \(header["alg"]?.string ?? "")")
        }
        // Both algorithms sign with exactly 64 bytes (Ed25519; ES256's r‖s).
        guard signature.count == 64 else { throw .init(.badFormat, "the signature is \(signature.count) bytes, not 64") }
        guard key.verify(signature, over: part(start..<dots.1)) else { throw .init(.badSignature, "the signature does not verify with key \(entry.jwk.kid ?? "")") }
        guard case .success(let claimSet) = StrictJSON.Document.parse(payload) else {
            throw .init(.badFormat, "the payload is not a JSON object with unique member names")
        }
        try checkClaims(claimSet, policy)
        return VerifiedToken(headerSet: headerSet, claimSet: claimSet)
    }

    /// The claim checks. They read the claims by tape index (`Value`s only
    /// for error messages and the rarer claims): a `Value` per lookup
    /// retains and releases the document's arrays. With the header's
    /// in-place matching, the time of the header checks and these fell from
    /// about 1,500 to 800-1,000 ns a verification of a ~3 KB token (timed in
    /// place with a monotonic clock, token-bench --paired, 2026-11-28), and
    /// the instructions by 3,100 (callgrind).
    static func checkClaims(_ claims: StrictJSON.Document, _ policy: VerificationPolicy) throws(VerificationFailure) {
        guard let profile = claims.member("eat_profile", of: 0),
              profileBytes.withUnsafeBufferPointer({ claims.stringEquals(at: profile, $0) }) else {
            throw .init(.profileUnsupported, "eat_profile '\(claims.root["eat_profile"]?.description ?? "")' is not \(Self.profile)")
        }
        guard let expIndex = claims.member("exp", of: 0), let exp = claims.integer(at: expIndex) else {
            throw .init(.badFormat, "exp is missing or not a number")
        }
        guard policy.now <= exp + policy.clockSkew else { throw .init(.expired, "expired at \(exp), now \(policy.now)") }
        func notAfterNow(_ name: StaticString) throws(VerificationFailure) {
            guard let index = claims.member(name, of: 0) else { return }
            guard let time = claims.integer(at: index) else { throw .init(.badFormat, "\(name) is not a number") }
            guard time <= policy.now + policy.clockSkew else { throw .init(.notYetValid, "\(name) \(time) is after now \(policy.now)") }
        }
        try notAfterNow("nbf")
        try notAfterNow("iat")
        guard let nonceIndex = claims.member("eat_nonce", of: 0), let nonce = claims.base64URLBytes(at: nonceIndex), nonceSizes.contains(nonce.count) else {
            throw .init(.badFormat, "eat_nonce is missing, not base64url, or not 8-64 bytes")
        }
        guard constantTimeEqual(nonce, policy.nonce) else { throw .init(.nonceMismatch, "eat_nonce differs from the expected nonce") }
        // RFC 7519 §4.1.3: a token addressed to an audience is refused by a
        // verifier that does not identify itself with one of its values.
        if let audIndex = claims.member("aud", of: 0) {
            let aud = StrictJSON.Value(document: claims, index: audIndex)
            var addressed = false
            switch aud.kind {
            case .string:
                addressed = matches(policy.audience, claims, audIndex)
            case .array:
                for element in aud.elements {
                    guard element.kind == .string else { throw .init(.badFormat, "aud is neither a string nor an array of strings") }
                    addressed = addressed || matches(policy.audience, claims, element.index)
                }
            default: throw .init(.badFormat, "aud is neither a string nor an array of strings")
            }
            guard addressed else {
                throw .init(.audienceMismatch, "aud \(aud.description) does not include '\(policy.audience ?? "(no audience given)")'")
            }
        } else if let audience = policy.audience {
            throw .init(.audienceMismatch, "the token has no aud; expected '\(audience)'")
        }
        if let image = policy.evidenceImage {
            guard let expected = claims.root["captureguard"]?["evidence"]?["image_sha256"]?.string.flatMap(hexBytes) else {
                throw .init(.evidenceMismatch, "the token carries no evidence image digest")
            }
            let actual: [UInt8]
            do { actual = try SHA256.digest(image) } catch { throw .init(.evidenceMismatch, "cannot hash the image: \(error.message)") }
            guard constantTimeEqual(actual, expected) else { throw .init(.evidenceMismatch, "the image's SHA-256 differs from the token's") }
        }
    }

    private static let profileBytes = Array(profile.utf8)

    /// Whether the string at `index` is the expected audience.
    private static func matches(_ audience: String?, _ claims: StrictJSON.Document, _ index: Int) -> Bool {
        guard var audience else { return false }
        return audience.withUTF8 { claims.stringEquals(at: index, $0) }
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
