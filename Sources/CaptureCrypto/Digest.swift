// CaptureCrypto: CaptureGuard's only use of cryptography, all through
// OpenSSL's EVP interface (libcrypto). Nothing here implements a primitive.
// The capture-path fingerprint hash uses SHA-256 now; the attestation issue
// adds signing behind the same module.

import COpenSSL

public enum CryptoError: Error, Equatable, Sendable {
    case openSSL(String)

    public var message: String {
        switch self {
        case .openSSL(let reason): return "OpenSSL: \(reason)"
        }
    }

    /// The most recent error on OpenSSL's thread-local queue (earlier ones
    /// are often leftovers of decoders that were tried and skipped); the
    /// queue is cleared.
    static func fromQueue(_ operation: String) -> CryptoError {
        let code = ERR_peek_last_error()
        ERR_clear_error()
        guard code != 0 else { return .openSSL("\(operation) failed") }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return .openSSL("\(operation): \(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
}

public enum SHA256 {
    /// The SHA-256 digest of `bytes`. The corresponding OpenSSL call is `EVP_Digest`.
    public static func digest(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &output, &length, EVP_sha256(), nil)
        }
        guard ok == 1, length == 32 else { throw CryptoError.fromQueue("EVP_Digest(SHA-256)") }
        return Array(output.prefix(32))
    }

    /// Lowercase hex of the digest, the form fingerprints and tokens carry.
    public static func hexDigest(_ bytes: [UInt8]) throws(CryptoError) -> String {
        hexString(try digest(bytes))
    }
}

/// Lowercase hex of bytes.
public func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
