import Attestation
import CaptureCrypto
import CaptureFile
import Foundation
import Verifier

enum TokenCommands {
    static let keygen = Command(
        name: "keygen",
        summary: "make the agent's signing key and print its public JWKS",
        help: """
        Usage: captureguard keygen --out agent.key [--alg Ed25519|ES256] [--force]

        Generates a private key with OpenSSL (Ed25519 by default, or ECDSA
        P-256 for ES256), writes it as PKCS#8 PEM with mode 0600, and prints the
        public key as a JWK Set on stdout, with its RFC 7638 thumbprint as kid.
        Give that JWKS to the servers that verify this agent's tokens.

        Options:
          --out FILE   private key file to create (refuses to overwrite without --force)
          --alg ALG    Ed25519 (default) or ES256
          --force      replace an existing FILE
          --help       show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: ["out", "alg"], switches: ["force"])
            guard parsed.positionals.isEmpty else { throw CommandFailure(.usage, "keygen takes no arguments") }
            let outPath = try parsed.required("out")
            let algorithmName = parsed.value("alg") ?? "Ed25519"
            guard let algorithm = KeyAlgorithm(rawValue: algorithmName) else {
                throw CommandFailure(.usage, "--alg must be Ed25519 or ES256, got '\(algorithmName)'")
            }
            do {
                let key = try SigningKey.generate(algorithm)
                try KeyFile.store(key, to: outPath, replace: parsed.has("force"))
                console.out(try CommandLineTool.json(try KeyFile.jwks(for: key)))
                console.writeError("wrote \(algorithm.rawValue) private key (mode 600) -> \(outPath)\n")
            } catch {
                throw CommandFailure(error)
            }
            return .success
        })

    static let verify = Command(
        name: "verify",
        summary: "verify an attestation token as a server would",
        help: """
        Usage: captureguard verify TOKEN|- --jwks keys.json --nonce B64URL
                                   [--audience AUD] [--evidence image.png] [--clock-skew S] [--json]

        Checks, in order: the compact JWS form (bad_format), the algorithm
        allowlist EdDSA/Ed25519/ES256 (unsupported_alg), the key id (unknown_kid),
        the signature (bad_signature), then eat_profile (profile_unsupported),
        exp (expired), nbf/iat (not_yet_valid), eat_nonce (nonce_mismatch), aud
        (audience_mismatch) and the evidence image's SHA-256 (evidence_mismatch).
        On success prints the verified claims and exits 0. On failure prints
        "captureguard verify: CODE: detail" on stderr (and {"valid": false,
        "error": CODE, "detail": ...} on stdout with --json) and exits 20.
        A token carrying aud is refused unless --audience names one of its
        values (RFC 7519). TOKEN "-" reads the token from stdin.

        Options:
          --jwks FILE      the agent's public JWK Set (from keygen)
          --nonce B64URL   the challenge this server issued (8-64 bytes)
          --audience AUD   require this audience
          --evidence FILE  require the token's evidence digest to match this image
          --clock-skew S   seconds of clock difference allowed (default 30)
          --json           machine-readable result
          --help           show this help

        """,
        run: run)

    static func run(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(arguments, valued: ["jwks", "nonce", "audience", "evidence", "clock-skew"], switches: ["json"])
        let source = try parsed.single("TOKEN (or - for stdin)")
        let token: String
        if source == "-" {
            // Read at most a little past the verifier's limit; more is bad_format anyway.
            let data = FileHandle.standardInput.readData(ofLength: TokenVerifier.maximumTokenSize + 1)
            token = String(decoding: data, as: UTF8.self)
        } else {
            token = source
        }
        let nonce = try parsed.nonce()
        let keys = try PathCommands.loadDocument(JWKS.self, from: try parsed.required("jwks"), schema: nil, what: "JWKS") { _ in "" }
        var evidence: [UInt8]?
        if let file = parsed.value("evidence") {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(.notFound, "\(file): cannot read the evidence image") }
            evidence = [UInt8](data)
        }
        var skew: Int64 = 30
        if let text = parsed.value("clock-skew") {
            // An hour: beyond that a clock is broken, and a skew that large
            // would stretch a 120 s token's validity thirtyfold.
            guard let value = Int64(text), value >= 0, value <= 3600 else { throw CommandFailure(.usage, "--clock-skew must be 0 to 3600 seconds") }
            skew = value
        }
        let policy = VerificationPolicy(nonce: nonce, audience: parsed.value("audience"), evidenceImage: evidence, clockSkew: skew)
        do {
            let verified = try TokenVerifier.verify(token, keys: keys, policy: policy)
            if parsed.has("json") {
                console.out(#"{"valid": true, "claims": "# + String(decoding: verified.payload, as: UTF8.self) + "}")
            } else {
                let pretty = (try? JSONSerialization.data(withJSONObject: verified.claims, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: verified.payload, as: UTF8.self)
                console.out(pretty)
                console.writeError("verify: valid token from key \(verified.header["kid"] as? String ?? "?")\n")
            }
            return .success
        } catch {
            if parsed.has("json") {
                let detail = (try? JSONSerialization.data(withJSONObject: ["valid": false, "error": error.code.rawValue, "detail": error.detail], options: [.sortedKeys]))
                console.out(detail.map { String(decoding: $0, as: UTF8.self) } ?? #"{"valid": false}"#)
            }
            throw CommandFailure(.tokenRejected, "\(error.code.rawValue): \(error.detail)")
        }
    }
}
