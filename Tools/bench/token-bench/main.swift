// token-bench: signs and verifies attestation-sized tokens in-process and
// prints rates as JSON; writes the tokens and JWKS for
// Tools/bench/tokens.py to time PyJWT on the same tokens.
// Usage: token-bench OUTDIR --claims FILE [--count N] [--alg EdDSA|ES256] [--seconds S] [--paired S]
// FILE is a claims set to sign (Tools/bench/token-claims.json: the payload
// of a real `attest` on a generated genuine_face capture, its numbers since
// rounded as `attest` now rounds them, `ClaimPrecision`: 2,036 bytes, was
// 2,157), given a fresh jti, iat, exp, aud and nonce per token.
// With --seconds, verification cycles through the tokens for S seconds, as
// `openssl speed -seconds S` times its loop: on this VM a CPU left idle
// runs slower for the first few hundred milliseconds of load (a one-pass
// run of 1,000 tokens measured 5,300/s cold against 8,800/s after a 2 s
// spin, 2026-11-27), so a short pass would compare a cold start with
// openssl's S warm seconds.
// With --paired S, it then runs three loops in turn, a slice of each every
// few tens of milliseconds, for S seconds: whole-token verification, the
// signature check alone, and `openssl speed ed25519`'s own verify loop
// (`SpeedLoop`). Run that way the three share every slow and fast moment of
// a shared VM, which separate processes one after another do not.

import Attestation
import CaptureCrypto
import COpenSSL
import Foundation
import Verifier

/// The value after `name`, removed from `arguments` with its flag.
func option(_ name: String, in arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return arguments[index + 1]
}
/// This process's user CPU time so far (getrusage).
func userCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
}
/// Runs `pass` (which verifies `perPass` items) until `seconds` have gone
/// by, at least once: (per wall second, per user CPU second, items done).
func rates(seconds: Double?, perPass: Int, _ pass: () throws -> Void) rethrows -> (wall: Double, cpu: Double, done: Int) {
    let cpuStart = userCPUSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    let deadline = start + UInt64((seconds ?? 0) * 1e9)
    var done = 0
    repeat {
        try pass()
        done += perPass
    } while DispatchTime.now().uptimeNanoseconds < deadline
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (Double(done) / wall, Double(done) / (userCPUSeconds() - cpuStart), done)
}
/// `openssl speed ed25519`'s verify loop as apps/speed.c in OpenSSL 3.0
/// writes it: an Ed25519 key, one signature over a 20-byte buffer, a
/// context set up once with `EVP_DigestVerifyInit`, then `EVP_DigestVerify`
/// on that context, buffer and signature, over and over. Same library, same
/// calls, same message size: only the process and the timing differ.
final class SpeedLoop {
    private let key: OpaquePointer
    private let context: OpaquePointer
    private var message = [UInt8](repeating: 0, count: 20)
    private var signature = [UInt8](repeating: 0, count: 64)

    init?() {
        guard let keyContext = EVP_PKEY_CTX_new_id(CG_EVP_PKEY_ED25519, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(keyContext) == 1, EVP_PKEY_keygen(keyContext, &generated) == 1, let generated else { return nil }
        guard let signing = EVP_MD_CTX_new(), let verifying = EVP_MD_CTX_new() else {
            EVP_PKEY_free(generated)
            return nil
        }
        defer { EVP_MD_CTX_free(signing) }
        var length = signature.count
        guard EVP_DigestSignInit(signing, nil, nil, nil, generated) == 1,
              EVP_DigestSign(signing, &signature, &length, message, message.count) == 1, length == 64,
              EVP_DigestVerifyInit(verifying, nil, nil, nil, generated) == 1 else {
            EVP_MD_CTX_free(verifying)
            EVP_PKEY_free(generated)
            return nil
        }
        key = generated
        context = verifying
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_PKEY_free(key)
    }

    /// `count` verifications; false if one fails (as speed.c, which stops).
    func run(_ count: Int) -> Bool {
        for _ in 0..<count where EVP_DigestVerify(context, signature, signature.count, message, message.count) != 1 { return false }
        return true
    }
}

/// Nanoseconds on `clock` (CLOCK_MONOTONIC, or this thread's CPU time).
func nanoseconds(_ clock: clockid_t) -> UInt64 {
    var now = timespec()
    clock_gettime(clock, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Runs the `sides` in turn, `slice` operations of each per turn, rotating
/// which goes first, until `seconds` have gone by: per side, operations
/// per wall second and per CPU second, summed over every turn.
func paired(seconds: Double, slice: Int, _ sides: [(Int) -> Void]) -> [(wall: Double, cpu: Double)] {
    var wall = [UInt64](repeating: 0, count: sides.count)
    var cpu = [UInt64](repeating: 0, count: sides.count)
    var turns = 0
    let deadline = nanoseconds(CLOCK_MONOTONIC) + UInt64(seconds * 1e9)
    repeat {
        for offset in 0..<sides.count {
            let side = (turns + offset) % sides.count
            let (wallStart, cpuStart) = (nanoseconds(CLOCK_MONOTONIC), nanoseconds(CLOCK_THREAD_CPUTIME_ID))
            sides[side](slice)
            cpu[side] += nanoseconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart
            wall[side] += nanoseconds(CLOCK_MONOTONIC) - wallStart
        }
        turns += 1
    } while nanoseconds(CLOCK_MONOTONIC) < deadline
    let done = Double(turns * slice)
    return zip(wall, cpu).map { (done / (Double($0) / 1e9), done / (Double($1) / 1e9)) }
}

var arguments = Array(CommandLine.arguments.dropFirst())
let count = option("--count", in: &arguments).flatMap(Int.init) ?? 2000
let alg = option("--alg", in: &arguments) ?? "EdDSA"
let verifySeconds = option("--seconds", in: &arguments).flatMap(Double.init)
let pairedSeconds = option("--paired", in: &arguments).flatMap(Double.init)
let claimsFile = option("--claims", in: &arguments)
guard arguments.count == 1, let claimsFile else {
    FileHandle.standardError.write(Data("usage: token-bench OUTDIR --claims FILE [--count N] [--alg EdDSA|ES256] [--seconds S] [--paired S]\n".utf8))
    exit(2)
}
let directory = arguments[0]

do {
    let key = try SigningKey.generate(alg == "ES256" ? .es256 : .ed25519)
    let signer = try TokenSigner(key: key, algorithm: alg)
    let jwks = try KeyFile.jwks(for: key)
    let nonce = [UInt8](repeating: 0x5a, count: 32)
    let now = Int64(Date().timeIntervalSince1970)
    guard let template = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: claimsFile))) as? [String: Any] else {
        FileHandle.standardError.write(Data("token-bench: \(claimsFile) is not a JSON object\n".utf8))
        exit(2)
    }
    func claims(_ i: Int) throws -> [UInt8] {
        var claims = template
        claims["aud"] = "bank.example"
        claims["eat_nonce"] = Base64URL.encode(nonce)
        claims["eat_profile"] = TokenVerifier.profile
        claims["iat"] = now
        claims["exp"] = now + 3600
        claims["jti"] = "\(i)"
        return Array(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
    let payloads = try (0..<count).map(claims)
    var tokens: [String] = []
    tokens.reserveCapacity(count)
    let signStart = DispatchTime.now().uptimeNanoseconds
    for payload in payloads { tokens.append(try signer.sign(claims: payload)) }
    let signSeconds = Double(DispatchTime.now().uptimeNanoseconds - signStart) / 1e9
    let policy = VerificationPolicy(nonce: nonce, audience: "bank.example", now: now)
    let ring = KeyRing(jwks)
    // Both clocks: wall time, and user CPU time, the divisor `openssl speed`
    // uses unless given -elapsed (on a shared VM the two differ by the time
    // the vCPU was taken away, 2-4 % here).
    let verify = try rates(seconds: verifySeconds, perPass: tokens.count) {
        for token in tokens { _ = try TokenVerifier.verify(token, keys: ring, policy: policy) }
    }
    // The signature check alone, through the same EVP calls, on the same
    // inputs, timed the same way: the rate a verifier that spent nothing on
    // parsing and checks would reach on these tokens, i.e. the Ed25519 check
    // including SHA-512 over the ~3 KB signing input that openssl speed's
    // 20-byte message does not have.
    let publicKey = try key.publicKey
    let split = tokens.map { token -> ([UInt8], [UInt8]) in
        let parts = token.split(separator: ".")
        return (Array((parts[0] + "." + parts[1]).utf8), Base64URL.decode(parts[2]) ?? [])
    }
    let signatureOnly = rates(seconds: verifySeconds, perPass: split.count) {
        for (input, signature) in split where !publicKey.verify(signature, over: input) { exit(3) }
    }
    // 100 operations are 12-20 ms of each side here: short enough that the
    // VM's load changes little within a turn, long enough that the clock
    // reads (well under a microsecond) do not count.
    var pairedFigures = ""
    if let pairedSeconds {
        guard let speedLoop = SpeedLoop() else {
            FileHandle.standardError.write(Data("token-bench: cannot set up openssl speed's Ed25519 loop\n".utf8))
            exit(1)
        }
        var nextToken = 0
        var nextInput = 0
        var failed = false
        let sides: [(Int) -> Void] = [
            { count in
                for _ in 0..<count {
                    if (try? TokenVerifier.verify(tokens[nextToken], keys: ring, policy: policy)) == nil { failed = true }
                    nextToken = (nextToken + 1) % tokens.count
                }
            },
            { count in
                for _ in 0..<count {
                    if !publicKey.verify(split[nextInput].1, over: split[nextInput].0) { failed = true }
                    nextInput = (nextInput + 1) % split.count
                }
            },
            { count in if !speedLoop.run(count) { failed = true } },
        ]
        let figures = paired(seconds: pairedSeconds, slice: 100, sides)
        guard !failed else { exit(3) }
        pairedFigures = String(format: #", "paired_verify_per_s": %.1f, "paired_verify_per_cpu_s": %.1f, "paired_signature_only_per_s": %.1f, "paired_signature_only_per_cpu_s": %.1f, "paired_speed_loop_per_s": %.1f, "paired_speed_loop_per_cpu_s": %.1f"#,
                               figures[0].wall, figures[0].cpu, figures[1].wall, figures[1].cpu, figures[2].wall, figures[2].cpu)
    }
    try tokens.joined(separator: "\n").write(toFile: directory + "/tokens.txt", atomically: true, encoding: .utf8)
    try JSONEncoder().encode(jwks).write(to: URL(fileURLWithPath: directory + "/jwks.json"))
    try Base64URL.encode(nonce).write(toFile: directory + "/nonce.txt", atomically: true, encoding: .utf8)
    print(String(format: #"{"alg": "%@", "count": %d, "token_bytes": %d, "sign_per_s": %.1f, "sign_ms": %.4f, "verify_per_s": %.1f, "verify_per_user_cpu_s": %.1f, "verified": %d, "signature_only_per_s": %.1f, "signature_only_per_user_cpu_s": %.1f"#,
                 alg, count, tokens[0].utf8.count, Double(count) / signSeconds, signSeconds * 1000 / Double(count),
                 verify.wall, verify.cpu, verify.done, signatureOnly.wall, signatureOnly.cpu) + pairedFigures + "}")
} catch {
    FileHandle.standardError.write(Data("token-bench: \(error)\n".utf8))
    exit(1)
}
