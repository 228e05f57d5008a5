// Attestation: turns a finished capture session into a signed token.
//
// It loads the agent's key (refusing one others can read), builds the EAT
// claims from the session's findings and the decision policy, binds them to
// the server's nonce and to the evidence image, and signs a compact JWS
// through CaptureCrypto. The verifying half lives in the Verifier module.

import CaptureCrypto
import Foundation
import Glibc
import Verifier

public enum KeyFileError: Error, Equatable, Sendable {
    case notFound(String)
    case unreadable(String)
    /// Group or others may read the key: refused, as ssh refuses.
    case insecurePermissions(String, mode: UInt32)
    case invalid(String, String)
    case exists(String)
    case writeFailed(String, String)

    public var message: String {
        switch self {
        case .notFound(let path): return "\(path): no such key file"
        case .unreadable(let path): return "\(path): cannot read the key file"
        case .insecurePermissions(let path, let mode):
            return "\(path): private key is open to group or others (mode \(String(mode, radix: 8))); run chmod 600 \(path)"
        case .invalid(let path, let reason): return "\(path): not a usable private key (\(reason))"
        case .exists(let path): return "\(path): already exists (use --force to replace it)"
        case .writeFailed(let path, let reason): return "\(path): cannot write the key: \(reason)"
        }
    }
}

public enum KeyFile {
    /// Loads a PEM private key, refusing a file that the group or others
    /// can read or write.
    public static func load(_ path: String) throws(KeyFileError) -> SigningKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw errno == ENOENT ? .notFound(path) : .unreadable(path)
        }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .insecurePermissions(path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        do {
            return try SigningKey(pem: [UInt8](data))
        } catch {
            throw .invalid(path, error.message)
        }
    }

    /// Writes the key as PEM with mode 0600. The file is created exclusively
    /// as a hidden temporary beside `path`, so it is never readable by others
    /// for even a moment, then renamed into place: a failed `--force` leaves
    /// the old key, which servers may still trust, untouched.
    public static func store(_ key: SigningKey, to path: String, replace: Bool) throws(KeyFileError) {
        let pem: [UInt8]
        do { pem = try key.pem() } catch { throw .writeFailed(path, error.message) }
        if !replace && access(path, F_OK) == 0 { throw .exists(path) }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let temporary = directory + "." + (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .writeFailed(path, String(cString: strerror(errno))) }
        fchmod(fd, 0o600)
        let written = pem.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == pem.count, synced else {
            unlink(temporary)
            throw .writeFailed(path, "short write")
        }
        if !replace && access(path, F_OK) == 0 {
            unlink(temporary)
            throw .exists(path)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .writeFailed(path, reason)
        }
    }

    /// The JWS `alg` a key signs with by default: `EdDSA` for Ed25519 (the
    /// name PyJWT and most JOSE libraries verify; RFC 9864's `Ed25519` is
    /// selectable), `ES256` for P-256.
    public static func defaultJWSAlgorithm(_ algorithm: KeyAlgorithm) -> String {
        algorithm == .ed25519 ? "EdDSA" : "ES256"
    }

    /// The public JWK Set for a key, with its RFC 7638 thumbprint as `kid`.
    public static func jwks(for key: SigningKey) throws -> JWKS {
        JWKS(keys: [try JWK(key.publicKey)])
    }
}
