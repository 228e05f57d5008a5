// Shim for OpenSSL libcrypto (pkg-config `libcrypto`, apt `libssl-dev`).
// CaptureGuard hashes, signs and verifies through EVP only; nothing here
// implements a primitive. Function-like or compound macros Swift cannot
// import are re-exported as constants.
#ifndef CAPTUREGUARD_COPENSSL_SHIM_H
#define CAPTUREGUARD_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

static const int CG_EVP_PKEY_PUBLIC_KEY = EVP_PKEY_PUBLIC_KEY;
static const int CG_EVP_PKEY_ED25519 = EVP_PKEY_ED25519;
static const int CG_EVP_PKEY_EC = EVP_PKEY_EC;
static const int CG_NID_P256 = NID_X9_62_prime256v1;

// Builds a P-256 public key from an uncompressed point (0x04 || x || y).
// OSSL_PARAM keeps pointers to its key names, which must outlive the call;
// Swift only has temporary copies of the macro strings, so the parameter
// array is built here, where the names are static.
static inline EVP_PKEY *cg_p256_public_key(const unsigned char *point, size_t length) {
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    char group[] = "prime256v1";
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group) - 1),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, length),
        OSSL_PARAM_END,
    };
    if (context == NULL) return NULL;
    if (EVP_PKEY_fromdata_init(context) != 1 || EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, parameters) != 1) key = NULL;
    EVP_PKEY_CTX_free(context);
    return key;
}

#endif
