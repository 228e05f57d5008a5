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
    let keys: [String: (jwk: JWK, key: VerificationKey?)]

    public init(_ jwks: JWKS) {
        var keys: [String: (JWK, VerificationKey?)] = [:]
        for jwk in jwks.keys {
            guard let kid = jwk.kid, keys[kid] == nil else { continue }
            keys[kid] = (jwk, jwk.verificationKey())
        }
        self.keys = keys
    }
}
