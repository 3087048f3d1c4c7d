/*  cx.c: the cryptography of cdx, a thin layer over libsodium: its core.

    Initialisation and the reason for the last failure; key pairs in memory
    (new, destroy, accessors) and their fingerprints; Ed25519 signatures;
    BLAKE2b-256 hashing; and the small helpers (random bytes, wiping, hex,
    base64). Secret halves of key pairs live only in sodium_malloc'd
    (guarded, locked) memory and are wiped when freed; every verify path
    fails closed.

    It is not for: key files and their passphrase (keyfile.c), content keys
    and chunks (content.c), nor framing, transport, storage or policy. It
    never exits and never asserts on bytes it did not produce; every failure
    returns -1 or NULL and leaves a readable reason in cx_error() for this
    thread.
*/
#include "cx.h"
#include "cx_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The interface promises sizes; make sure libsodium agrees at compile time
   rather than discovering a mismatch in a key file. */
_Static_assert(CX_SIGN_PUBLICKEYBYTES == crypto_sign_PUBLICKEYBYTES, "sign pk size");
_Static_assert(CX_SIGN_SECRETKEYBYTES == crypto_sign_SECRETKEYBYTES, "sign sk size");
_Static_assert(CX_SIGNATUREBYTES == crypto_sign_BYTES, "signature size");
_Static_assert(CX_BOX_PUBLICKEYBYTES == crypto_box_PUBLICKEYBYTES, "box pk size");
_Static_assert(CX_BOX_SECRETKEYBYTES == crypto_box_SECRETKEYBYTES, "box sk size");
_Static_assert(CX_BOX_PUBLICKEYBYTES == crypto_scalarmult_BYTES, "scalarmult size");
_Static_assert(CX_HASHBYTES >= crypto_generichash_BYTES_MIN, "hash size");
_Static_assert(CX_HASHBYTES <= crypto_generichash_BYTES_MAX, "hash size");
_Static_assert(CX_KEYBYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "content key size");
_Static_assert(CX_CHUNK_ABYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "chunk tag size");
_Static_assert(CX_WRAPPEDBYTES == CX_KEYBYTES + crypto_box_SEALBYTES, "wrapped key size");
_Static_assert(CX_FINGERPRINT_HEXLEN == 2 * CX_FINGERPRINTBYTES + 1, "fingerprint hex size");

/* ---- errors ---------------------------------------------------------- */

static _Thread_local char cx_errbuf[256] = "no error";

void cx_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (cx_errbuf, sizeof cx_errbuf, fmt, ap);
    va_end (ap);
}

const char *cx_error (void)
{
    return cx_errbuf;
}

int cx_init (void)
{
    /* 0 = initialised now, 1 = already initialised; both are fine. */
    if (sodium_init () < 0) {
        cx_fail ("libsodium could not be initialised (sodium_init failed)");
        return -1;
    }
    return 0;
}

/* ---- key pairs ------------------------------------------------------- */

const char *keytype_name (cx_keytype_t type)
{
    switch (type) {
    case CX_KEY_SIGN:
        return "sign";
    case CX_KEY_BOX:
        return "box";
    case CX_KEY_CURVE:
        return "curve";
    }
    return "unknown";
}

/* Secret key length for TYPE, or 0 if TYPE is not a key type. */
size_t keytype_sklen (int type)
{
    switch (type) {
    case CX_KEY_SIGN:
        return CX_SIGN_SECRETKEYBYTES;
    case CX_KEY_BOX:
    case CX_KEY_CURVE:
        return CX_BOX_SECRETKEYBYTES;
    }
    return 0;
}

/* An empty key pair of TYPE with its secret buffer allocated, or NULL. */
cx_keypair_t *keypair_alloc (cx_keytype_t type)
{
    size_t sklen = keytype_sklen ((int)type);
    if (sklen == 0) {
        cx_fail ("unknown key type %d", (int)type);
        return NULL;
    }
    cx_keypair_t *kp = calloc (1, sizeof *kp);
    if (!kp) {
        cx_fail ("out of memory allocating a key pair");
        return NULL;
    }
    kp->sk = sodium_malloc (sklen);
    if (!kp->sk) {
        free (kp);
        cx_fail ("out of guarded memory for a secret key (sodium_malloc failed)");
        return NULL;
    }
    kp->type = type;
    kp->sklen = sklen;
    return kp;
}

cx_keypair_t *cx_keypair_new (cx_keytype_t type)
{
    cx_keypair_t *kp = keypair_alloc (type);
    if (!kp) return NULL;
    int rc = type == CX_KEY_SIGN ? crypto_sign_keypair (kp->pk, kp->sk)
                                 : crypto_box_keypair (kp->pk, kp->sk);
    if (rc != 0) {
        cx_keypair_destroy (&kp);
        cx_fail ("libsodium could not generate a %s key pair", keytype_name (type));
        return NULL;
    }
    return kp;
}

void cx_keypair_destroy (cx_keypair_t **kp_p)
{
    if (!kp_p || !*kp_p) return;
    cx_keypair_t *kp = *kp_p;
    sodium_free (kp->sk); /* wipes before unmapping */
    sodium_memzero (kp, sizeof *kp);
    free (kp);
    *kp_p = NULL;
}

cx_keytype_t cx_keypair_type (const cx_keypair_t *kp)
{
    return kp ? kp->type : (cx_keytype_t)0;
}

const uint8_t *cx_keypair_public (const cx_keypair_t *kp)
{
    return kp ? kp->pk : NULL;
}

const uint8_t *cx_keypair_secret (const cx_keypair_t *kp)
{
    return kp ? kp->sk : NULL;
}

/* First CX_FINGERPRINTBYTES of BLAKE2b-256(pk). */
void fingerprint_raw (const uint8_t pk[32], uint8_t fp[CX_FINGERPRINTBYTES])
{
    uint8_t h[CX_HASHBYTES];
    crypto_generichash (h, sizeof h, pk, CX_SIGN_PUBLICKEYBYTES, NULL, 0);
    memcpy (fp, h, CX_FINGERPRINTBYTES);
}

void cx_fingerprint (const uint8_t pk[32], char out[CX_FINGERPRINT_HEXLEN])
{
    uint8_t fp[CX_FINGERPRINTBYTES];
    fingerprint_raw (pk, fp);
    sodium_bin2hex (out, CX_FINGERPRINT_HEXLEN, fp, sizeof fp);
}

/* ---- signatures ------------------------------------------------------ */

int cx_sign (const cx_keypair_t *kp, const uint8_t *msg, size_t len, uint8_t sig[CX_SIGNATUREBYTES])
{
    if (!kp || !sig || (!msg && len > 0)) {
        cx_fail ("cx_sign: missing key pair, message or signature buffer");
        return -1;
    }
    if (kp->type != CX_KEY_SIGN) {
        cx_fail ("cx_sign: a %s key pair cannot sign; use a sign key pair",
                 keytype_name (kp->type));
        return -1;
    }
    if (crypto_sign_detached (sig, NULL, msg, len, kp->sk) != 0) {
        cx_fail ("cx_sign: libsodium failed to sign");
        return -1;
    }
    return 0;
}

int cx_verify (const uint8_t pk[CX_SIGN_PUBLICKEYBYTES], const uint8_t *msg, size_t len,
               const uint8_t sig[CX_SIGNATUREBYTES])
{
    if (!pk || !sig || (!msg && len > 0)) {
        cx_fail ("cx_verify: missing public key, message or signature");
        return -1;
    }
    if (crypto_sign_verify_detached (sig, msg, len, pk) != 0) {
        cx_fail ("signature does not verify: wrong signer, or the message or signature was "
                 "altered");
        return -1;
    }
    return 0;
}

/* ---- hashing --------------------------------------------------------- */

/* Allocated with sodium_malloc, which places the object at the end of a
   page: the state's 64-byte alignment holds because the struct's size is a
   multiple of its alignment. */
struct cx_hash {
    crypto_generichash_state st;
    int done; /* final has been called */
};

cx_hash_t *cx_hash_new (void)
{
    cx_hash_t *h = sodium_malloc (sizeof *h);
    if (!h) {
        cx_fail ("out of guarded memory for a hash state (sodium_malloc failed)");
        return NULL;
    }
    h->done = 0;
    if (crypto_generichash_init (&h->st, NULL, 0, CX_HASHBYTES) != 0) {
        sodium_free (h);
        cx_fail ("libsodium could not start a BLAKE2b hash");
        return NULL;
    }
    return h;
}

int cx_hash_update (cx_hash_t *h, const uint8_t *data, size_t len)
{
    if (!h || (!data && len > 0)) {
        cx_fail ("cx_hash_update: missing hash or data");
        return -1;
    }
    if (h->done) {
        cx_fail ("cx_hash_update: hash already finalised; start a new one");
        return -1;
    }
    if (len == 0) return 0;
    if (crypto_generichash_update (&h->st, data, len) != 0) {
        cx_fail ("libsodium failed to update a BLAKE2b hash");
        return -1;
    }
    return 0;
}

int cx_hash_final (cx_hash_t *h, uint8_t out[CX_HASHBYTES])
{
    if (!h || !out) {
        cx_fail ("cx_hash_final: missing hash or output");
        return -1;
    }
    if (h->done) {
        cx_fail ("cx_hash_final: hash already finalised; it may be finalised only once");
        return -1;
    }
    h->done = 1;
    int rc = crypto_generichash_final (&h->st, out, CX_HASHBYTES);
    sodium_memzero (&h->st, sizeof h->st);
    if (rc != 0) {
        cx_fail ("libsodium failed to finalise a BLAKE2b hash");
        return -1;
    }
    return 0;
}

void cx_hash_destroy (cx_hash_t **h_p)
{
    if (!h_p || !*h_p) return;
    sodium_free (*h_p);
    *h_p = NULL;
}

int cx_hash_buf (const uint8_t *data, size_t len, uint8_t out[CX_HASHBYTES])
{
    if (!out || (!data && len > 0)) {
        cx_fail ("cx_hash_buf: missing data or output");
        return -1;
    }
    if (crypto_generichash (out, CX_HASHBYTES, data, len, NULL, 0) != 0) {
        cx_fail ("libsodium failed to compute a BLAKE2b hash");
        return -1;
    }
    return 0;
}

/* ---- small helpers --------------------------------------------------- */

void cx_random (void *buf, size_t len)
{
    randombytes_buf (buf, len);
}

void cx_wipe (void *p, size_t len)
{
    sodium_memzero (p, len);
}

void cx_hex (const uint8_t *in, size_t len, char *out)
{
    sodium_bin2hex (out, 2 * len + 1, in, len);
}

int cx_unhex (const char *hex, uint8_t *out, size_t outlen)
{
    if (!hex || (!out && outlen > 0)) {
        cx_fail ("cx_unhex: missing input or output");
        return -1;
    }
    if (outlen > SIZE_MAX / 2) {
        cx_fail ("cx_unhex: output length %zu is too large", outlen);
        return -1;
    }
    size_t hexlen = strlen (hex);
    if (hexlen != 2 * outlen) {
        cx_fail ("hex string has %zu characters; expected exactly %zu", hexlen, 2 * outlen);
        return -1;
    }
    size_t binlen = 0;
    const char *end = NULL;
    if (sodium_hex2bin (out, outlen, hex, hexlen, NULL, &binlen, &end) != 0 || binlen != outlen ||
        end != hex + hexlen) {
        sodium_memzero (out, outlen);
        cx_fail ("hex string contains a character that is not a hex digit");
        return -1;
    }
    return 0;
}

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

size_t cx_base64_len (size_t len)
{
    return sodium_base64_ENCODED_LEN (len, B64_VARIANT);
}

void cx_base64 (const uint8_t *in, size_t len, char *out)
{
    sodium_bin2base64 (out, cx_base64_len (len), in, len, B64_VARIANT);
}

int cx_unbase64 (const char *b64, uint8_t *out, size_t outlen)
{
    if (!b64 || (!out && outlen > 0)) {
        cx_fail ("cx_unbase64: missing input or output");
        return -1;
    }
    if (outlen > SIZE_MAX / 4 * 3 - 3) {
        cx_fail ("cx_unbase64: output length %zu is too large", outlen);
        return -1;
    }
    size_t want = cx_base64_len (outlen) - 1; /* without the NUL */
    size_t b64len = strlen (b64);
    if (b64len != want) {
        cx_fail ("base64 string has %zu characters; %zu bytes encode to exactly %zu", b64len,
                 outlen, want);
        return -1;
    }
    /* libsodium 1.0.18's decoder treats bytes >= 0x80 (a negative char) as
       valid base64 digits, so check the alphabet ourselves first; padding
       placement and leftover bits are left to sodium_base642bin. */
    for (size_t i = 0; i < b64len; i++) {
        unsigned char c = (unsigned char)b64[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=')) {
            cx_fail ("base64 string has a character (0x%02x) outside the standard alphabet", c);
            return -1;
        }
    }
    size_t binlen = 0;
    const char *end = NULL;
    if (sodium_base642bin (out, outlen, b64, b64len, NULL, &binlen, &end, B64_VARIANT) != 0 ||
        binlen != outlen || end != b64 + b64len) {
        sodium_memzero (out, outlen);
        cx_fail ("base64 string is not canonical padded standard base64 of %zu bytes", outlen);
        return -1;
    }
    return 0;
}
