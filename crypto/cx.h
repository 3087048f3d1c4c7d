/*  cx: the cryptography of cdx, a thin layer over libsodium.

    Key pairs and their files, hashing, signatures, and the end-to-end
    protection of dataset content: a random content key per dataset, wrapped
    for each recipient with a sealed box, and chunks sealed with
    XChaCha20-Poly1305 under that key.

    Not for: anything about the wire, the store or the node. Callers own
    every object they create and free it with the matching _destroy(), which
    wipes secrets and sets the caller's pointer to NULL.

    Errors: functions return 0 / -1 (or NULL) and set a reason readable with
    cx_error(). Verify/open functions are warn_unused_result.
*/
#ifndef CX_H_INCLUDED
#define CX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define CX_WUR __attribute__((warn_unused_result))

/* Sizes, next to the functions that use them. */
#define CX_SIGN_PUBLICKEYBYTES  32u   /* Ed25519 public key */
#define CX_SIGN_SECRETKEYBYTES  64u   /* Ed25519 secret key (seed || pk) */
#define CX_SIGNATUREBYTES       64u
#define CX_BOX_PUBLICKEYBYTES   32u   /* X25519 public key (box and CURVE) */
#define CX_BOX_SECRETKEYBYTES   32u
#define CX_HASHBYTES            32u   /* BLAKE2b-256 */
#define CX_KEYBYTES             32u   /* a dataset's content key */
#define CX_WRAPPEDBYTES         80u   /* content key in a sealed box: 32 + 48 */
#define CX_CHUNK_ABYTES         16u   /* Poly1305 tag added to each chunk */
#define CX_DATASET_IDBYTES      16u   /* random dataset id */
#define CX_FINGERPRINTBYTES      8u   /* short key fingerprint */
#define CX_FINGERPRINT_HEXLEN   17u   /* 16 hex digits and a NUL */
#define CX_KEYFILE_MAXBYTES    128u   /* no key file is larger than this */
#define CX_KEYFILE_PROTECTED_MAXBYTES 256u /* ... nor a passphrase-protected one */

/* Must be called once before anything else. Returns 0, or -1 if libsodium
   cannot be initialised. */
int cx_init (void);

/* The reason for the last failure in this thread. Never NULL. */
const char *cx_error (void);

/* ---- key pairs and key files --------------------------------------- */

typedef enum {
    CX_KEY_SIGN  = 1,   /* Ed25519: signs cards, manifests, receipts */
    CX_KEY_BOX   = 2,   /* X25519: opens content keys wrapped for us */
    CX_KEY_CURVE = 3    /* X25519: ZeroMQ CURVE transport identity */
} cx_keytype_t;

typedef struct cx_keypair cx_keypair_t;

/* A new random key pair of the given type; the secret half lives in
   guarded memory (sodium_malloc). NULL on failure. */
cx_keypair_t *cx_keypair_new (cx_keytype_t type);

/* Writes the key pair to PATH, created exclusively (O_EXCL, O_NOFOLLOW)
   with mode 0600, and fsyncs it. Fails if PATH exists.
   File layout (all fixed):
     "CDXK" | format version (1 byte, =1) | key type (1 byte) | 2 zero bytes
     | fingerprint (8) | public key (32) | secret key (64 for sign, 32 else) */
int cx_keypair_save (const cx_keypair_t *kp, const char *path);

/* Reads a key file written by cx_keypair_save; refuses symlinks, files
   readable by group or others, wrong type, wrong size, wrong fingerprint,
   or a secret that does not match the public half. NULL on failure. */
cx_keypair_t *cx_keypair_load (const char *path, cx_keytype_t expect);

/* Parses the bytes of a key file (the part of cx_keypair_load that reads
   outside bytes; a fuzz target). NULL on failure. */
cx_keypair_t *cx_keypair_parse (const uint8_t *buf, size_t len, cx_keytype_t expect);

/* ---- passphrase protection of key files -------------------------------

   With a passphrase set (for this process), cx_keypair_save writes key
   files protected by it (Argon2id, then XSalsa20-Poly1305 around the plain
   file: layout in keyfile.c), and cx_keypair_load opens them; without one, a
   protected file is refused with a reason that names CDX_PASSPHRASE_FILE.
   Plain key files load either way. The passphrase is kept in guarded
   memory; LEN 0 clears it. -1 if longer than 1024 bytes. */
int cx_set_passphrase (const char *pass, size_t len);
int cx_passphrase_set (void);   /* 1 if one is set */

/* Opens a protected key file's bytes with PASS (a fuzz target; the part of
   cx_keypair_load that reads outside bytes). NULL on failure. */
cx_keypair_t *cx_keypair_parse_protected (const uint8_t *buf, size_t len, cx_keytype_t expect,
                                          const char *pass, size_t passlen);

void cx_keypair_destroy (cx_keypair_t **kp_p);

cx_keytype_t   cx_keypair_type (const cx_keypair_t *kp);
const uint8_t *cx_keypair_public (const cx_keypair_t *kp);   /* 32 bytes */
const uint8_t *cx_keypair_secret (const cx_keypair_t *kp);   /* 64 or 32 */

/* Lower-case hex of the first 8 bytes of BLAKE2b(pk). */
void cx_fingerprint (const uint8_t pk[32], char out[CX_FINGERPRINT_HEXLEN]);

/* ---- signatures ----------------------------------------------------- */

/* Detached Ed25519 signature over MSG. kp must be CX_KEY_SIGN. */
int cx_sign (const cx_keypair_t *kp, const uint8_t *msg, size_t len,
             uint8_t sig[CX_SIGNATUREBYTES]);

/* 0 if SIG is a valid signature of MSG by PK, else -1. */
CX_WUR int cx_verify (const uint8_t pk[CX_SIGN_PUBLICKEYBYTES],
                      const uint8_t *msg, size_t len,
                      const uint8_t sig[CX_SIGNATUREBYTES]);

/* ---- hashing -------------------------------------------------------- */

typedef struct cx_hash cx_hash_t;

cx_hash_t *cx_hash_new (void);                                 /* BLAKE2b-256 */
int  cx_hash_update (cx_hash_t *h, const uint8_t *data, size_t len);
int  cx_hash_final (cx_hash_t *h, uint8_t out[CX_HASHBYTES]);  /* once */
void cx_hash_destroy (cx_hash_t **h_p);

/* One-shot BLAKE2b-256. */
int cx_hash_buf (const uint8_t *data, size_t len, uint8_t out[CX_HASHBYTES]);

/* ---- dataset content keys and chunks ---------------------------------- */

typedef struct cx_content cx_content_t;

/* A new random content key, in guarded memory. */
cx_content_t *cx_content_new (void);

/* Wraps the content key for the holder of BOX_PK (crypto_box_seal). */
int cx_content_wrap (const cx_content_t *k,
                     const uint8_t box_pk[CX_BOX_PUBLICKEYBYTES],
                     uint8_t out[CX_WRAPPEDBYTES]);

/* Opens a wrapped content key with our box key pair. NULL if it was not
   wrapped for us or was altered. */
CX_WUR cx_content_t *cx_content_unwrap (const uint8_t wrapped[CX_WRAPPEDBYTES],
                                        const cx_keypair_t *box_kp);

/* Seals chunk INDEX of dataset ID: OUT receives LEN + CX_CHUNK_ABYTES bytes
   (XChaCha20-Poly1305-IETF; nonce = index, little-endian, zero-padded;
   associated data = ID || index as 8 bytes little-endian). IN and OUT may
   not overlap. */
int cx_chunk_seal (const cx_content_t *k, const uint8_t id[CX_DATASET_IDBYTES],
                   uint64_t index, const uint8_t *in, size_t len, uint8_t *out);

/* Opens a sealed chunk: OUT receives LEN - CX_CHUNK_ABYTES bytes. -1 if the
   chunk is too short, was altered, or belongs to another index or dataset. */
CX_WUR int cx_chunk_open (const cx_content_t *k, const uint8_t id[CX_DATASET_IDBYTES],
                          uint64_t index, const uint8_t *in, size_t len, uint8_t *out);

void cx_content_destroy (cx_content_t **k_p);

/* ---- small helpers ---------------------------------------------------- */

void cx_random (void *buf, size_t len);

/* Hex encoding; OUT must hold 2*LEN+1 bytes. */
void cx_hex (const uint8_t *in, size_t len, char *out);
/* Decodes exactly OUTLEN bytes from HEX (2*OUTLEN digits, nothing else).
   -1 on any other input. */
int cx_unhex (const char *hex, uint8_t *out, size_t outlen);

/* Standard base64 with padding. OUT must hold cx_base64_len(LEN) bytes. */
size_t cx_base64_len (size_t len);
void cx_base64 (const uint8_t *in, size_t len, char *out);
/* Decodes exactly OUTLEN bytes; -1 on anything else. */
int cx_unbase64 (const char *b64, uint8_t *out, size_t outlen);

/* Wipes LEN bytes at P in a way the compiler keeps. */
void cx_wipe (void *p, size_t len);

#endif
