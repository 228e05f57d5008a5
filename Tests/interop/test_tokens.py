#!/usr/bin/env python3
"""Attestation tokens against independent JOSE implementations, and forged
tokens against `captureguard verify`.

* Tokens from `captureguard attest` (Ed25519 as EdDSA and as Ed25519, and
  ES256) verify with PyJWT and joserfc using only the JWKS `keygen` printed.
* Tokens forged here with PyJWT/cryptography are rejected by `verify` with
  the documented code (exit 20).
* The example server verifier in Tools/ accepts a real token and refuses a
  tampered evidence image.

Run from the project root after `swift build`. Prints "N passed, N failed".
"""
import atexit, base64, json, os, shutil, subprocess, sys, tempfile, time, warnings

import jwt
from cryptography.hazmat.primitives import serialization
from joserfc import jwt as jjwt
from joserfc.jwk import KeySet

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from suite import Suite  # noqa: E402  (Tests/suite.py)

warnings.filterwarnings("ignore")  # joserfc's "EdDSA is deprecated via RFC 9864"
AGENT = os.environ.get("CAPTUREGUARD", ".build/debug/captureguard")
SAMPLE = "Captures/vivid-yuyv-320x180.cgcap"
suite = Suite("interop")
check = suite.check


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run(*args, stdin=None):
    return subprocess.run([AGENT, *args], input=stdin, capture_output=True, text=True)


work = tempfile.mkdtemp(prefix="cg-interop-")
# The directory holds private keys: gone when the run ends, pass or fail.
atexit.register(shutil.rmtree, work, ignore_errors=True)
nonce = os.urandom(24)
N = b64(nonce)
keys = {}
for alg in ("Ed25519", "ES256"):
    path = os.path.join(work, f"{alg}.key")
    r = run("keygen", "--out", path, "--alg", alg)
    check(f"keygen {alg} exits 0 and writes a 0600 key", r.returncode == 0 and os.stat(path).st_mode & 0o777 == 0o600, r.stderr)
    jwks = json.loads(r.stdout)
    with open(os.path.join(work, f"{alg}.jwks"), "w") as f:
        json.dump(jwks, f)
    keys[alg] = (path, jwks)

tokens = {}
for key_alg, jws_alg in (("Ed25519", "EdDSA"), ("Ed25519", "Ed25519"), ("ES256", "ES256")):
    path, jwks = keys[key_alg]
    evidence = os.path.join(work, f"{jws_alg}.png")
    r = run("attest", SAMPLE, "--nonce", N, "--key", path, "--audience", "bank.example", "--alg", jws_alg, "--evidence", evidence)
    token = r.stdout.strip()
    tokens[jws_alg] = (token, key_alg, evidence)
    check(f"attest signs with {jws_alg} (exit 0, one token on stdout, summary on stderr)",
          r.returncode == 0 and token.count(".") == 2 and r.stderr.startswith("attest: "), r.stderr)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    check(f"{jws_alg} header is alg/kid/typ eat+jwt with the JWKS kid",
          header == {"alg": jws_alg, "kid": jwks["keys"][0]["kid"], "typ": "eat+jwt"}, header)
    if jws_alg != "Ed25519":  # PyJWT does not know RFC 9864's name
        pk = jwt.PyJWK(jwks["keys"][0]).key
        try:
            claims = jwt.decode(token, pk, algorithms=[jws_alg], audience="bank.example")
            check(f"PyJWT verifies the {jws_alg} token", claims["eat_nonce"] == N, claims.get("eat_nonce"))
        except Exception as e:
            check(f"PyJWT verifies the {jws_alg} token", False, repr(e))
    try:
        decoded = jjwt.decode(token, KeySet.import_key_set(jwks), algorithms=[jws_alg])
        check(f"joserfc verifies the {jws_alg} token", decoded.claims["eat_nonce"] == N)
    except Exception as e:
        check(f"joserfc verifies the {jws_alg} token", False, repr(e))
    r = run("verify", token, "--jwks", os.path.join(work, f"{key_alg}.jwks"), "--nonce", N, "--audience", "bank.example", "--evidence", evidence, "--json")
    out = json.loads(r.stdout or "{}")
    check(f"captureguard verify accepts its own {jws_alg} token with the evidence image",
          r.returncode == 0 and out.get("valid") is True and out["claims"]["captureguard"]["decision"]["verdict"] == "fail", r.stderr)

token, _, evidence = tokens["EdDSA"]
claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
decision = claims["captureguard"]["decision"]
check("the sample (recorded from vivid) is attested as fail, with the path, file and forensics reasons and the policy version",
      decision["verdict"] == "fail" and decision["score"] == 0 and decision["reasons"][0] == "test_driver"
      and {"file_source", "no_temporal_noise"} <= set(decision["reasons"])
      and decision["policy_version"] == "decision-policy/3" and decision["path_policy_version"] == "capture-path-policy/1", decision)
check("exp is iat + 120 s and the EAT profile is set", claims["exp"] - claims["iat"] == 120 and claims["eat_profile"] == "urn:captureguard:eat-profile:1")
forensics = claims["submods"]["frame_forensics"]
pad = claims["submods"]["pad"]
check("the PAD submodule ran and found no face in vivid's test pattern (retry, look_at_camera)",
      pad["status"] == "ran" and pad["verdict"] == "retry" and [f["code"] for f in pad["findings"]] == ["no_face"]
      and claims["captureguard"]["quality"]["guidance"] == ["look_at_camera"] and "no_face" in decision["reasons"], pad)
check("submods carry the capture-path and frame-forensics findings",
      claims["submods"]["capture_path"]["verdict"] == "virtual"
      and forensics["status"] == "ran" and forensics["verdict"] == "fail"
      and any(f["code"] == "no_temporal_noise" and f["severity"] == "attack" for f in forensics["findings"]), forensics)
hints = claims["captureguard"]["attack_hints"]
check("attack hints carry the forensics scores (synthetic noise 1, screen 0) and null for what did not run (sensor, PAD)",
      hints["synthetic_noise"] == 1 and hints["screen"] == 0 and hints["sensor_mismatch"] is None
      and hints["print"] is None and hints["mask_like"] is None, hints)


def fractional_digits(claims, path=""):
    """(path, digits after the point) for every non-integral number."""
    if isinstance(claims, dict):
        for name, value in claims.items():
            yield from fractional_digits(value, f"{path}.{name}")
    elif isinstance(claims, list):
        for index, value in enumerate(claims):
            yield from fractional_digits(value, f"{path}[{index}]")
    elif isinstance(claims, float) and not claims.is_integer():
        text = repr(claims)
        yield path, 99 if "e" in text else len(text.split(".")[1])


allowed = {".captureguard.capture.duration_s": 6, ".captureguard.capture.fps": 3, ".captureguard.capture.nominal_fps": 3}
precision = dict(fractional_digits(claims))
check("claim numbers carry their measurement's precision (fps 3 decimals, duration 6, the rest 4), not a double's 17 digits",
      ".captureguard.capture.fps" in precision and all(digits <= allowed.get(path, 4) for path, digits in precision.items()), precision)

# Forgeries, each against `verify` with the real JWKS.
ed_path, ed_jwks = keys["Ed25519"]
jwks_file = os.path.join(work, "Ed25519.jwks")
with open(ed_path, "rb") as f:
    private = serialization.load_pem_private_key(f.read(), password=None)
kid = ed_jwks["keys"][0]["kid"]
public_pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
now = int(time.time())
good = {"eat_profile": "urn:captureguard:eat-profile:1", "eat_nonce": N, "iat": now, "exp": now + 120, "aud": "bank.example"}


def sign(payload, headers=None, key=private, alg="EdDSA"):
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, "typ": "eat+jwt", **(headers or {})})


def raw_token(header, payload_bytes):
    signing_input = b64(json.dumps(header).encode()) + "." + b64(payload_bytes)
    return signing_input + "." + b64(private.sign(signing_input.encode()))


def expect(description, token, code, extra=()):
    r = run("verify", "-", "--jwks", jwks_file, "--nonce", N, "--audience", "bank.example", *extra, stdin=token)
    check(f"{description} -> {code}", r.returncode == 20 and r.stderr.startswith(f"captureguard verify: {code}: "), (r.returncode, r.stderr.strip()[:200]))


r = run("verify", sign(good), "--jwks", jwks_file, "--nonce", N, "--audience", "bank.example")
check("a correctly signed forged-here token verifies (the key is right)", r.returncode == 0, r.stderr)
r = run("verify", sign(good), "--jwks", jwks_file, "--nonce", N)
check("a token with aud is refused by a verifier that names no audience (RFC 7519)", r.returncode == 20 and ": audience_mismatch:" in r.stderr, r.stderr)
none_token = b64(json.dumps({"alg": "none", "kid": kid}).encode()) + "." + b64(json.dumps(good).encode()) + "."
expect("alg:none", none_token, "bad_format")
expect("alg:none with a dummy signature", none_token + "AAAA", "unsupported_alg")
hs = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode()) + "." + b64(json.dumps(good).encode())
import hmac, hashlib
expect("HS256 signed with the public key as the secret", hs + "." + b64(hmac.new(public_pem, hs.encode(), hashlib.sha256).digest()), "unsupported_alg")
expect("a kid not in the JWKS", jwt.encode(good, private, algorithm="EdDSA", headers={"kid": "not-our-key"}), "unknown_kid")
t = sign(good)
head, payload, sig = t.split(".")
flipped = bytearray(base64.urlsafe_b64decode(payload + "=="))
flipped[5] ^= 0x01
expect("one flipped payload byte", ".".join([head, b64(bytes(flipped)), sig]), "bad_signature")
expect("exp in the past", sign({**good, "iat": now - 600, "exp": now - 300}), "expired")
expect("iat in the future", sign({**good, "iat": now + 600, "exp": now + 700}), "not_yet_valid")
expect("the wrong nonce", sign({**good, "eat_nonce": b64(os.urandom(24))}), "nonce_mismatch")
expect("a 7-byte nonce", sign({**good, "eat_nonce": b64(os.urandom(7))}), "bad_format")
expect("a 65-byte nonce", sign({**good, "eat_nonce": b64(os.urandom(65))}), "bad_format")
dup = json.dumps(good)[:-1] + f', "eat_nonce": "{b64(os.urandom(24))}"' + "}"
expect("duplicate claim names", raw_token({"alg": "EdDSA", "kid": kid}, dup.encode()), "bad_format")
expect("a 10 MB token", sign({**good, "pad": "A" * (10 * 1024 * 1024)}), "bad_format")
expect("a truncated token", t[: len(t) - 20], "bad_format")
expect("non-base64url characters", t.replace(".", ".+/", 1), "bad_format")
expect("the wrong audience", sign(good), "audience_mismatch", extra=("--audience", "other.example"))
expect("an unsupported profile", sign({**good, "eat_profile": "urn:example:other"}), "profile_unsupported")
png = bytearray(open(evidence, "rb").read())
png[200] ^= 0x01  # one byte of one pixel inside the stored IDAT data
tampered = os.path.join(work, "tampered.png")
open(tampered, "wb").write(bytes(png))
expect("an evidence image that differs by one pixel", token, "evidence_mismatch", extra=("--evidence", tampered))

# A private key others can read is refused before anything is captured.
os.chmod(ed_path, 0o644)
r = run("attest", SAMPLE, "--nonce", N, "--key", ed_path)
check("attest refuses a group/world-readable key with exit 13 and one line",
      r.returncode == 13 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and "chmod 600" in r.stderr, r.stderr)
os.chmod(ed_path, 0o600)
r = run("attest", SAMPLE, "--nonce", b64(os.urandom(7)), "--key", ed_path)
check("attest refuses a 7-byte nonce (exit 2)", r.returncode == 2, r.stderr)

# The example server verifier in Tools/ (PyJWT).
# --nonce=VALUE: a base64url nonce may start with "-", which argparse would
# otherwise take for an option.
example = ["python3", "Tools/verify-token-example.py", "--jwks", jwks_file, f"--nonce={N}", "--audience", "bank.example"]
r = subprocess.run(example + ["--evidence", evidence, token], capture_output=True, text=True)
check("the Python example verifier accepts the real token and evidence", r.returncode == 0 and "valid" in r.stdout, r.stdout + r.stderr)
r = subprocess.run(example + ["--evidence", tampered, token], capture_output=True, text=True)
check("the Python example verifier refuses a tampered evidence image",
      r.returncode != 0 and "not the one the agent signed" in (r.stdout + r.stderr), r.stdout + r.stderr)

suite.finish()
