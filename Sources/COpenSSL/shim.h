// Shim for OpenSSL libcrypto (pkg-config `libcrypto`, apt `libssl-dev`).
// The attestation module signs and hashes through EVP only; nothing here
// implements a primitive.
#ifndef CAPTUREGUARD_COPENSSL_SHIM_H
#define CAPTUREGUARD_COPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#endif
