import COpenSSL
import Synchronization

/// The signature algorithms CaptureGuard signs with. Both go through EVP, so
/// an ES256 key can later live in a TPM or PKCS#11 token behind an OpenSSL
/// provider without changing the callers.
public enum KeyAlgorithm: String, Sendable, CaseIterable {
    case ed25519 = "Ed25519"
    case es256 = "ES256"
}

/// An owned `EVP_PKEY`. A class because the key has identity (it is freed once).
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// Ed25519 or ES256 (P-256), or nil for any other key type.
    var algorithm: KeyAlgorithm? {
        switch EVP_PKEY_get_id(pointer) {
        case CG_EVP_PKEY_ED25519: return .ed25519
        case CG_EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pointer, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &length) == 1 else { return nil }
            let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return group == "prime256v1" || group == "P-256" ? .es256 : nil
        default: return nil
        }
    }
}

/// A private signing key.
public final class SigningKey: @unchecked Sendable {
    let key: EVPKey
    public let algorithm: KeyAlgorithm

    init(key: EVPKey, algorithm: KeyAlgorithm) {
        self.key = key
        self.algorithm = algorithm
    }

    /// A fresh key. The corresponding OpenSSL calls are `EVP_PKEY_keygen_init`
    /// and `EVP_PKEY_keygen`.
    public static func generate(_ algorithm: KeyAlgorithm) throws(CryptoError) -> SigningKey {
        let id = algorithm == .ed25519 ? CG_EVP_PKEY_ED25519 : CG_EVP_PKEY_EC
        guard let context = EVP_PKEY_CTX_new_id(id, nil) else { throw .fromQueue("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw .fromQueue("EVP_PKEY_keygen_init") }
        if algorithm == .es256 {
            guard EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, CG_NID_P256) == 1 else { throw .fromQueue("set P-256") }
        }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen(context, &generated) == 1, let generated else { throw .fromQueue("EVP_PKEY_keygen") }
        return SigningKey(key: EVPKey(generated), algorithm: algorithm)
    }

    /// Reads a PEM private key (PKCS#8 or traditional). The corresponding
    /// OpenSSL call is `PEM_read_bio_PrivateKey`.
    public init(pem: [UInt8]) throws(CryptoError) {
        let loaded: OpaquePointer? = pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(clamping: bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            // A password callback that declines: an encrypted key fails
            // instead of OpenSSL prompting on the kiosk's terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let loaded else { throw .fromQueue("not a PEM private key") }
        let key = EVPKey(loaded)
        guard let algorithm = key.algorithm else { throw .openSSL("unsupported key type (want Ed25519 or EC P-256)") }
        self.key = key
        self.algorithm = algorithm
    }

    /// The key as unencrypted PKCS#8 PEM. The corresponding OpenSSL call is
    /// `PEM_write_bio_PrivateKey`.
    public func pem() throws(CryptoError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .fromQueue("BIO_new") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key.pointer, nil, nil, 0, nil, nil) == 1 else { throw .fromQueue("PEM_write_bio_PrivateKey") }
        return readAll(bio)
    }

    public var publicKey: VerificationKey {
        get throws(CryptoError) { try VerificationKey(publicOf: self) }
    }

    /// Signs `message` as JWS wants it: 64 raw bytes for Ed25519, and for
    /// ES256 the 32-byte r and s concatenated (RFC 7518 §3.4), converted from
    /// OpenSSL's DER. The corresponding OpenSSL calls are `EVP_DigestSignInit`
    /// and `EVP_DigestSign`.
    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw .fromQueue("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        let digest = algorithm == .es256 ? EVP_sha256() : nil
        guard EVP_DigestSignInit(context, nil, digest, nil, key.pointer) == 1 else { throw .fromQueue("EVP_DigestSignInit") }
        var length = 0
        let sizing = message.withUnsafeBytes { m in EVP_DigestSign(context, nil, &length, m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count) }
        guard sizing == 1 else { throw .fromQueue("EVP_DigestSign") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBytes { m in EVP_DigestSign(context, &signature, &length, m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count) }
        guard signed == 1 else { throw .fromQueue("EVP_DigestSign") }
        signature = Array(signature.prefix(length))
        return algorithm == .es256 ? try ECDSASignature.rawFromDER(signature) : signature
    }
}

/// A public key that verifies JWS signatures, built from a JWK.
public final class VerificationKey: @unchecked Sendable {
    let key: EVPKey
    public let algorithm: KeyAlgorithm
    /// The public point: 32 bytes `x` for Ed25519; 32-byte `x` and `y` for P-256.
    public let x: [UInt8]
    public let y: [UInt8]?

    init(publicOf signing: SigningKey) throws(CryptoError) {
        algorithm = signing.algorithm
        switch signing.algorithm {
        case .ed25519:
            var raw = [UInt8](repeating: 0, count: 32)
            var length = raw.count
            guard EVP_PKEY_get_raw_public_key(signing.key.pointer, &raw, &length) == 1, length == 32 else { throw .fromQueue("EVP_PKEY_get_raw_public_key") }
            x = raw
            y = nil
            key = try Self.ed25519(raw)
        case .es256:
            x = try Self.coordinate(signing.key.pointer, OSSL_PKEY_PARAM_EC_PUB_X)
            let yValue = try Self.coordinate(signing.key.pointer, OSSL_PKEY_PARAM_EC_PUB_Y)
            y = yValue
            key = try Self.p256(x: x, y: yValue)
        }
    }

    /// A key from JWK coordinates. Throws for a wrong size or a point not on
    /// the curve.
    public init(algorithm: KeyAlgorithm, x: [UInt8], y: [UInt8]?) throws(CryptoError) {
        self.algorithm = algorithm
        self.x = x
        self.y = y
        switch algorithm {
        case .ed25519:
            guard x.count == 32, y == nil else { throw .openSSL("an Ed25519 key has a 32-byte x and no y") }
            key = try Self.ed25519(x)
        case .es256:
            guard x.count == 32, let y, y.count == 32 else { throw .openSSL("a P-256 key has 32-byte x and y") }
            key = try Self.p256(x: x, y: y)
        }
    }

    /// The corresponding OpenSSL call is `EVP_PKEY_new_raw_public_key`.
    private static func ed25519(_ raw: [UInt8]) throws(CryptoError) -> EVPKey {
        guard let pointer = EVP_PKEY_new_raw_public_key(CG_EVP_PKEY_ED25519, nil, raw, raw.count) else { throw .fromQueue("EVP_PKEY_new_raw_public_key") }
        return EVPKey(pointer)
    }

    /// Builds a P-256 public key from its uncompressed point. The
    /// corresponding OpenSSL call is `EVP_PKEY_fromdata` (in the shim);
    /// OpenSSL rejects a point that is not on the curve.
    private static func p256(x: [UInt8], y: [UInt8]) throws(CryptoError) -> EVPKey {
        let point = [UInt8]([0x04]) + x + y
        guard let created = point.withUnsafeBufferPointer({ cg_p256_public_key($0.baseAddress, $0.count) }) else {
            throw .fromQueue("not a P-256 public key")
        }
        return EVPKey(created)
    }

    private static func coordinate(_ key: OpaquePointer, _ name: String) throws(CryptoError) -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else { throw .fromQueue("EVP_PKEY_get_bn_param(\(name))") }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard BN_bn2binpad(number, &bytes, 32) == 32 else { throw .fromQueue("BN_bn2binpad") }
        return bytes
    }

    /// A verify context already initialised with this key, copied for each
    /// signature: `EVP_DigestVerifyInit` fetches the algorithm from the
    /// provider every time, which costs far more than the copy (21,300
    /// against 1,400 instructions with the context's allocation and free,
    /// callgrind, OpenSSL 3.0.22, 2026-11-27). Reusing one context instead
    /// would save only those 1,400 (0.09 % of a verify). Built on first
    /// use; a copy source is only read, but the lock keeps that a guarantee
    /// rather than an OpenSSL implementation detail.
    private let template = Mutex<VerifyTemplate?>(nil)

    /// True when `signature` (JWS form, see `SigningKey.sign`) verifies over
    /// `message`. The corresponding OpenSSL calls are `EVP_DigestVerifyInit`
    /// (once per key), `EVP_MD_CTX_copy_ex` and `EVP_DigestVerify`.
    public func verify(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        message.withUnsafeBufferPointer { verify(signature, over: $0) }
    }

    /// The same, over bytes the caller already holds (a token's signing
    /// input is a slice of the token; copying it costs a visible share of a
    /// whole-token verification).
    public func verify(_ signature: [UInt8], over message: UnsafeBufferPointer<UInt8>) -> Bool {
        let native: [UInt8]
        if algorithm == .es256 {
            guard let der = try? ECDSASignature.derFromRaw(signature) else { return false }
            native = der
        } else {
            guard signature.count == 64 else { return false }
            native = signature
        }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let ready = template.withLock { cached -> Bool in
            if cached == nil { cached = VerifyTemplate(key: key, algorithm: algorithm) }
            guard let source = cached?.context else { return false }
            return EVP_MD_CTX_copy_ex(context, source) == 1
        }
        guard ready else {
            ERR_clear_error()
            return false
        }
        let result = native.withUnsafeBufferPointer { s in EVP_DigestVerify(context, s.baseAddress, s.count, message.baseAddress, message.count) }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}

/// An owned `EVP_MD_CTX` set up by `EVP_DigestVerifyInit` and never used to
/// verify, so that copies of it start a fresh verification.
final class VerifyTemplate: @unchecked Sendable {
    let context: OpaquePointer

    init?(key: EVPKey, algorithm: KeyAlgorithm) {
        guard let context = EVP_MD_CTX_new() else { return nil }
        guard EVP_DigestVerifyInit(context, nil, algorithm == .es256 ? EVP_sha256() : nil, nil, key.pointer) == 1 else {
            EVP_MD_CTX_free(context)
            return nil
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }
}

/// Conversions between OpenSSL's DER ECDSA signatures and JWS's raw r‖s.
enum ECDSASignature {
    /// The corresponding OpenSSL calls are `d2i_ECDSA_SIG` and `ECDSA_SIG_get0`.
    static func rawFromDER(_ der: [UInt8]) throws(CryptoError) -> [UInt8] {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw .fromQueue("d2i_ECDSA_SIG") }
        defer { ECDSA_SIG_free(parsed) }
        var r: OpaquePointer?
        var s: OpaquePointer?
        ECDSA_SIG_get0(parsed, &r, &s)
        var raw = [UInt8](repeating: 0, count: 64)
        let ok = raw.withUnsafeMutableBufferPointer { out -> Bool in
            guard let base = out.baseAddress else { return false }
            return BN_bn2binpad(r, base, 32) == 32 && BN_bn2binpad(s, base + 32, 32) == 32
        }
        guard ok else { throw .fromQueue("BN_bn2binpad") }
        return raw
    }

    /// The corresponding OpenSSL calls are `ECDSA_SIG_set0` and `i2d_ECDSA_SIG`.
    static func derFromRaw(_ raw: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard raw.count == 64, let signature = ECDSA_SIG_new() else { throw .openSSL("an ES256 signature is 64 bytes") }
        defer { ECDSA_SIG_free(signature) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        let s = raw.withUnsafeBufferPointer { $0.baseAddress.map { BN_bin2bn($0 + 32, 32, nil) } ?? nil }
        // ECDSA_SIG_set0 takes ownership only when it succeeds.
        guard let r, let s, ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            throw .fromQueue("ECDSA_SIG_set0")
        }
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &output)
        guard length > 0, let output else { throw .fromQueue("i2d_ECDSA_SIG") }
        defer { CRYPTO_free(output, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }
}

/// Compares secrets without an early exit. The corresponding OpenSSL call is
/// `CRYPTO_memcmp`.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
}

private func readAll(_ bio: OpaquePointer) -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = BIO_read(bio, &chunk, Int32(chunk.count))
        if count <= 0 { break }
        result += chunk.prefix(Int(count))
    }
    return result
}
