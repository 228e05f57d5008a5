import CaptureCrypto
import Foundation
import Verifier

/// Produces compact JWS tokens (RFC 7515) over JSON claims.
public struct TokenSigner: Sendable {
    public let key: SigningKey
    public let kid: String
    /// `EdDSA` or `Ed25519` for an Ed25519 key, `ES256` for P-256.
    public let algorithm: String

    public init(key: SigningKey, algorithm: String? = nil) throws {
        self.key = key
        kid = try JWK(key.publicKey).thumbprint()
        let chosen = algorithm ?? KeyFile.defaultJWSAlgorithm(key.algorithm)
        guard TokenVerifier.allowedAlgorithms[chosen] == key.algorithm else {
            throw CryptoError.openSSL("alg \(chosen) does not match a \(key.algorithm.rawValue) key")
        }
        self.algorithm = chosen
    }

    /// Signs `claims` (already-encoded JSON object bytes) as `eat+jwt`.
    public func sign(claims: [UInt8]) throws -> String {
        let header = #"{"alg":"\#(algorithm)","kid":"\#(kid)","typ":"eat+jwt"}"#
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(claims)
        let signature = try key.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
