#!/usr/bin/env python3
"""A server-side CaptureGuard token check in a few lines of PyJWT.

Usage: verify-token-example.py --jwks agent.jwks --nonce=NONCE [--audience AUD] [--evidence selfie.png] TOKEN
(write --nonce=NONCE: a base64url nonce can start with "-")

It checks the signature (EdDSA or ES256, never anything else), exp, the
nonce this server issued, the audience, and that the image it is about to
face-match is the evidence the agent signed. Exits 0 and prints the decision,
or exits 1 with the reason.
"""
import argparse, hashlib, hmac, json, sys

import jwt

ap = argparse.ArgumentParser()
ap.add_argument("--jwks", required=True)
ap.add_argument("--nonce", required=True)
ap.add_argument("--audience")
ap.add_argument("--evidence")
ap.add_argument("token")
args = ap.parse_args()

keys = {k["kid"]: jwt.PyJWK(k) for k in json.load(open(args.jwks))["keys"]}
try:
    kid = jwt.get_unverified_header(args.token)["kid"]
    key = keys[kid]
    claims = jwt.decode(args.token, key.key, algorithms=["EdDSA", "ES256"], audience=args.audience,
                        options={"require": ["exp", "iat", "eat_nonce"]}, leeway=30)
except (jwt.PyJWTError, KeyError) as error:
    sys.exit(f"invalid token: {error!r}")
if not hmac.compare_digest(claims["eat_nonce"], args.nonce):
    sys.exit("invalid token: nonce mismatch")
if args.evidence:
    digest = hashlib.sha256(open(args.evidence, "rb").read()).hexdigest()
    if not hmac.compare_digest(digest, claims["captureguard"]["evidence"]["image_sha256"]):
        sys.exit("invalid token: the evidence image is not the one the agent signed")
decision = claims["captureguard"]["decision"]
print(f"valid: decision {decision['verdict']} (score {decision['score']}, reasons {decision['reasons']}, policy {decision['policy_version']})")
