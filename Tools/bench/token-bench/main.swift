// token-bench: signs and verifies attestation-sized tokens in-process and
// prints rates as JSON; writes the tokens and JWKS for
// Tools/bench/tokens.py to time PyJWT on the same tokens.
// Usage: token-bench OUTDIR [--count N] [--alg EdDSA|ES256]

import Attestation
import CaptureCrypto
import Foundation
import Verifier

/// The value after `name`, removed from `arguments` with its flag.
func option(_ name: String, in arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return arguments[index + 1]
}
var arguments = Array(CommandLine.arguments.dropFirst())
let count = option("--count", in: &arguments).flatMap(Int.init) ?? 2000
let alg = option("--alg", in: &arguments) ?? "EdDSA"
guard arguments.count == 1 else {
    FileHandle.standardError.write(Data("usage: token-bench OUTDIR [--count N] [--alg EdDSA|ES256]\n".utf8))
    exit(2)
}
let directory = arguments[0]

do {
    let key = try SigningKey.generate(alg == "ES256" ? .es256 : .ed25519)
    let signer = try TokenSigner(key: key, algorithm: alg)
    let jwks = try KeyFile.jwks(for: key)
    let nonce = [UInt8](repeating: 0x5a, count: 32)
    let now = Int64(Date().timeIntervalSince1970)
    // About the size of a real attestation's claims (attest on the sample: ~2 KB).
    let padding = String(repeating: "x", count: 1800)
    func claims(_ i: Int) -> [UInt8] {
        Array(#"{"aud":"bank.example","captureguard":{"evidence":{"image_sha256":"00"},"pad":"\#(padding)"},"eat_nonce":"\#(Base64URL.encode(nonce))","eat_profile":"\#(TokenVerifier.profile)","exp":\#(now + 3600),"iat":\#(now),"jti":"\#(i)"}"#.utf8)
    }
    let payloads = (0..<count).map(claims)
    var tokens: [String] = []
    tokens.reserveCapacity(count)
    let signStart = DispatchTime.now().uptimeNanoseconds
    for payload in payloads { tokens.append(try signer.sign(claims: payload)) }
    let signSeconds = Double(DispatchTime.now().uptimeNanoseconds - signStart) / 1e9
    let policy = VerificationPolicy(nonce: nonce, audience: "bank.example", now: now)
    let ring = KeyRing(jwks)
    let verifyStart = DispatchTime.now().uptimeNanoseconds
    for token in tokens { _ = try TokenVerifier.verify(token, keys: ring, policy: policy) }
    let verifySeconds = Double(DispatchTime.now().uptimeNanoseconds - verifyStart) / 1e9
    // The signature check alone, through the same EVP calls, on the same inputs.
    let publicKey = try key.publicKey
    let split = tokens.map { token -> ([UInt8], [UInt8]) in
        let parts = token.split(separator: ".")
        return (Array((parts[0] + "." + parts[1]).utf8), Base64URL.decode(parts[2]) ?? [])
    }
    let primitiveStart = DispatchTime.now().uptimeNanoseconds
    for (input, signature) in split where !publicKey.verify(signature, over: input) { exit(3) }
    let primitiveSeconds = Double(DispatchTime.now().uptimeNanoseconds - primitiveStart) / 1e9
    FileHandle.standardError.write(Data("signature only: \(Double(count) / primitiveSeconds)/s\n".utf8))
    try tokens.joined(separator: "\n").write(toFile: directory + "/tokens.txt", atomically: true, encoding: .utf8)
    try JSONEncoder().encode(jwks).write(to: URL(fileURLWithPath: directory + "/jwks.json"))
    try Base64URL.encode(nonce).write(toFile: directory + "/nonce.txt", atomically: true, encoding: .utf8)
    print(String(format: #"{"alg": "%@", "count": %d, "token_bytes": %d, "sign_per_s": %.1f, "sign_ms": %.4f, "verify_per_s": %.1f}"#,
                 alg, count, tokens[0].utf8.count, Double(count) / signSeconds, signSeconds * 1000 / Double(count), Double(count) / verifySeconds))
} catch {
    FileHandle.standardError.write(Data("token-bench: \(error)\n".utf8))
    exit(1)
}
