#!/usr/bin/env python3
"""Token signing and whole-token verification speed, in one run, pinned to
one CPU:
  * CaptureGuard (Tools/bench/token-bench, release build): sign, and verify
    (parse, allowlist, kid, signature, claims) of ~2.5 KB EdDSA tokens;
  * `openssl speed -seconds S ed25519`: the raw Ed25519 verify rate, the
    ceiling for a whole-token verify;
  * PyJWT verifying the same tokens (signature, exp, aud, nonce compare),
    the baseline to beat.
Usage: Tools/bench/tokens.py [--count 3000] [--seconds 5] [--json]
"""
import argparse, hmac, json, os, re, subprocess, sys, tempfile, time

import jwt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "token-bench"], cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        ours = json.loads(subprocess.run(["taskset", "-c", "1", os.path.join(ROOT, ".build/release/token-bench"), tmp, "--count", str(args.count)],
                                         check=True, capture_output=True, text=True).stdout)
        speed = subprocess.run(["taskset", "-c", "1", "openssl", "speed", "-seconds", str(args.seconds), "ed25519"],
                               check=True, capture_output=True, text=True).stdout
        # "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  45789.0  14123.4": sign/s, verify/s
        match = re.search(r"EdDSA \(Ed25519\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", speed)
        openssl_verify = float(match.group(2)) if match else None
        tokens = open(os.path.join(tmp, "tokens.txt")).read().split("\n")
        key = jwt.PyJWK(json.load(open(os.path.join(tmp, "jwks.json")))["keys"][0]).key
        nonce = open(os.path.join(tmp, "nonce.txt")).read()
        os.sched_setaffinity(0, {1})
        start = time.perf_counter()
        for token in tokens:
            claims = jwt.decode(token, key, algorithms=["EdDSA"], audience="bank.example")
            assert hmac.compare_digest(claims["eat_nonce"], nonce)
        pyjwt_verify = len(tokens) / (time.perf_counter() - start)
    result = {**ours, "openssl_ed25519_verify_per_s": openssl_verify, "pyjwt_verify_per_s": round(pyjwt_verify, 1),
              "ratio_vs_openssl": round(ours["verify_per_s"] / openssl_verify, 3) if openssl_verify else None,
              "ratio_vs_pyjwt": round(ours["verify_per_s"] / pyjwt_verify, 3)}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"sign: {result['sign_per_s']:.0f}/s ({result['sign_ms']:.3f} ms per {result['token_bytes']}-byte token); "
              f"verify: {result['verify_per_s']:.0f}/s; openssl speed ed25519 verify: {openssl_verify}/s "
              f"(ratio {result['ratio_vs_openssl']}); PyJWT: {result['pyjwt_verify_per_s']}/s (ratio {result['ratio_vs_pyjwt']})")


if __name__ == "__main__":
    main()
