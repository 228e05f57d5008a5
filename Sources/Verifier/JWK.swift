import CaptureCrypto
import Foundation

/// A public JSON Web Key (RFC 7517) of the two kinds CaptureGuard signs with:
/// OKP Ed25519 (RFC 8037) and EC P-256.
public struct JWK: Hashable, Sendable, Codable {
    public var kty: String
    /// Optional so a JWK Set that also holds other key types (RSA, say)
    /// still loads; such keys are skipped.
    public var crv: String?
    public var x: String?
    public var y: String?
    public var kid: String?
    public var use: String?
    public var alg: String?

    public init(kty: String, crv: String?, x: String?, y: String?, kid: String?, use: String? = "sig", alg: String?) {
        self.kty = kty
        self.crv = crv
        self.x = x
        self.y = y
        self.kid = kid
        self.use = use
        self.alg = alg
    }

    /// The JWK of a public key, with its RFC 7638 thumbprint as `kid`.
    /// `alg` is left out unless given: the same Ed25519 key signs as `EdDSA`
    /// or `Ed25519`, and JOSE libraries refuse a token whose alg differs from
    /// the key's.
    public init(_ key: VerificationKey, alg: String? = nil) throws {
        kty = key.algorithm == .ed25519 ? "OKP" : "EC"
        crv = key.algorithm == .ed25519 ? "Ed25519" : "P-256"
        x = Base64URL.encode(key.x)
        y = key.y.map(Base64URL.encode)
        use = "sig"
        self.alg = alg
        kid = try thumbprint()
    }

    /// RFC 7638: base64url(SHA-256(the required members, sorted, no spaces)).
    public func thumbprint() throws -> String {
        guard let crv, let x else { throw CryptoError.openSSL("a thumbprint needs crv and x") }
        let canonical: String
        if kty == "EC", let y {
            canonical = #"{"crv":"\#(crv)","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        } else {
            canonical = #"{"crv":"\#(crv)","kty":"\#(kty)","x":"\#(x)"}"#
        }
        return Base64URL.encode(try SHA256.digest(Array(canonical.utf8)))
    }

    /// The key this JWK describes, or nil for another kind or a malformed one.
    public func verificationKey() -> VerificationKey? {
        guard let x, let xBytes = Base64URL.decode(x) else { return nil }
        switch (kty, crv ?? "") {
        case ("OKP", "Ed25519"):
            return try? VerificationKey(algorithm: .ed25519, x: xBytes, y: nil)
        case ("EC", "P-256"):
            guard let y, let yBytes = Base64URL.decode(y) else { return nil }
            return try? VerificationKey(algorithm: .es256, x: xBytes, y: yBytes)
        default:
            return nil
        }
    }
}

/// A JWK Set (RFC 7517 §5): what `keygen` prints and `verify --jwks` reads.
public struct JWKS: Hashable, Sendable, Codable {
    public var keys: [JWK]

    public init(keys: [JWK]) { self.keys = keys }

    public func key(id: String) -> JWK? { keys.first { $0.kid == id } }
}

/// The usable keys of a JWK Set, decoded once: a server builds this when it
/// loads the agent's JWKS, not on every token.
public struct KeyRing: Sendable {
    struct Entry: Sendable {
        let kid: [UInt8]
        let jwk: JWK
        let key: VerificationKey?
    }

    /// In JWKS order, the first of any repeated kid only.
    let entries: [Entry]
    /// By kid, for a set too large to scan.
    let byKid: [String: Int]

    public init(_ jwks: JWKS) {
        var entries: [Entry] = []
        var byKid: [String: Int] = [:]
        for jwk in jwks.keys {
            guard let kid = jwk.kid, byKid[kid] == nil else { continue }
            byKid[kid] = entries.count
            entries.append(Entry(kid: Array(kid.utf8), jwk: jwk, key: jwk.verificationKey()))
        }
        self.entries = entries
        self.byKid = byKid
    }

    /// An agent's JWKS holds a key or two (a rotation); up to this many,
    /// the header's kid is compared in place with each, which costs less
    /// than making it a String to hash.
    static let scannedKeys = 8

    /// The entry whose kid is the string at `index` in `header`.
    func entry(kidAt index: Int, in header: StrictJSON.Document) -> Entry? {
        if entries.count <= Self.scannedKeys {
            return entries.first { entry in entry.kid.withUnsafeBufferPointer { header.stringEquals(at: index, $0) } }
        }
        return header.string(at: index).flatMap { byKid[$0] }.map { entries[$0] }
    }
}
