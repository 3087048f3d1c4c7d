/*  content.c: the end-to-end protection of a dataset's content.

    A random content key per dataset, held in guarded memory; wrapped for
    each recipient's box key with a sealed box and unwrapped with our own;
    and chunks sealed and opened with XChaCha20-Poly1305 under that key,
    bound to their dataset and index through the nonce and associated data,
    so that a chunk moved to another place or dataset does not open.

    It is not for: key pairs, signatures or hashing (cx.c), key files
    (keyfile.c), nor where sealed chunks are stored or how they travel.
    Every open path fails closed with a reason in cx_error().
*/
#include "cx.h"
#include "cx_int.h"

#include <string.h>

#include <sodium.h>

/* ---- content keys and chunks ----------------------------------------- */

struct cx_content {
    uint8_t key[CX_KEYBYTES]; /* the whole struct is sodium_malloc'd */
};

#define CHUNK_NONCEBYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES /* 24 */
#define CHUNK_ADBYTES (CX_DATASET_IDBYTES + 8u)                       /* 24 */
_Static_assert(CHUNK_NONCEBYTES == 24, "XChaCha20 nonce is 24 bytes");

static cx_content_t *content_alloc (void)
{
    cx_content_t *k = sodium_malloc (sizeof *k);
    if (!k) cx_fail ("out of guarded memory for a content key (sodium_malloc failed)");
    return k;
}

cx_content_t *cx_content_new (void)
{
    cx_content_t *k = content_alloc ();
    if (k) crypto_aead_xchacha20poly1305_ietf_keygen (k->key);
    return k;
}

void cx_content_destroy (cx_content_t **k_p)
{
    if (!k_p || !*k_p) return;
    sodium_free (*k_p); /* wipes */
    *k_p = NULL;
}

int cx_content_wrap (const cx_content_t *k, const uint8_t box_pk[CX_BOX_PUBLICKEYBYTES],
                     uint8_t out[CX_WRAPPEDBYTES])
{
    if (!k || !box_pk || !out) {
        cx_fail ("cx_content_wrap: missing content key, public key or output");
        return -1;
    }
    if (crypto_box_seal (out, k->key, CX_KEYBYTES, box_pk) != 0) {
        cx_fail ("cannot wrap the content key for this box public key (invalid public key)");
        return -1;
    }
    return 0;
}

cx_content_t *cx_content_unwrap (const uint8_t wrapped[CX_WRAPPEDBYTES], const cx_keypair_t *box_kp)
{
    if (!wrapped || !box_kp) {
        cx_fail ("cx_content_unwrap: missing wrapped key or key pair");
        return NULL;
    }
    if (box_kp->type != CX_KEY_BOX) {
        cx_fail ("cx_content_unwrap: a %s key pair cannot open content keys; use the box key "
                 "pair",
                 keytype_name (box_kp->type));
        return NULL;
    }
    cx_content_t *k = content_alloc ();
    if (!k) return NULL;
    if (crypto_box_seal_open (k->key, wrapped, CX_WRAPPEDBYTES, box_kp->pk, box_kp->sk) != 0) {
        cx_content_destroy (&k);
        cx_fail ("wrapped content key does not open: not wrapped for this box key, or altered");
        return NULL;
    }
    return k;
}

static void store_le64 (uint8_t out[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

/* Nonce = index (8 bytes, little-endian) || 16 zero bytes;
   AD = dataset id (16) || index (8 bytes, little-endian). */
static void chunk_nonce_ad (const uint8_t id[CX_DATASET_IDBYTES], uint64_t index,
                            uint8_t nonce[CHUNK_NONCEBYTES], uint8_t ad[CHUNK_ADBYTES])
{
    memset (nonce, 0, CHUNK_NONCEBYTES);
    store_le64 (nonce, index);
    memcpy (ad, id, CX_DATASET_IDBYTES);
    store_le64 (ad + CX_DATASET_IDBYTES, index);
}

int cx_chunk_seal (const cx_content_t *k, const uint8_t id[CX_DATASET_IDBYTES], uint64_t index,
                   const uint8_t *in, size_t len, uint8_t *out)
{
    if (!k || !id || !out || (!in && len > 0)) {
        cx_fail ("cx_chunk_seal: missing content key, dataset id, input or output");
        return -1;
    }
    if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX) {
        cx_fail ("cx_chunk_seal: chunk of %zu bytes is too large to seal", len);
        return -1;
    }
    uint8_t nonce[CHUNK_NONCEBYTES];
    uint8_t ad[CHUNK_ADBYTES];
    chunk_nonce_ad (id, index, nonce, ad);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt (out, &clen, in, len, ad, sizeof ad, NULL, nonce,
                                                    k->key) != 0 ||
        clen != (unsigned long long)len + CX_CHUNK_ABYTES) {
        cx_fail ("libsodium failed to seal chunk %llu", (unsigned long long)index);
        return -1;
    }
    return 0;
}

int cx_chunk_open (const cx_content_t *k, const uint8_t id[CX_DATASET_IDBYTES], uint64_t index,
                   const uint8_t *in, size_t len, uint8_t *out)
{
    if (!k || !id || !in) {
        cx_fail ("cx_chunk_open: missing content key, dataset id or input");
        return -1;
    }
    if (len < CX_CHUNK_ABYTES) {
        cx_fail ("sealed chunk %llu is %zu bytes, shorter than its %u-byte tag",
                 (unsigned long long)index, len, CX_CHUNK_ABYTES);
        return -1;
    }
    if (!out && len > CX_CHUNK_ABYTES) {
        cx_fail ("cx_chunk_open: missing output");
        return -1;
    }
    uint8_t nonce[CHUNK_NONCEBYTES];
    uint8_t ad[CHUNK_ADBYTES];
    chunk_nonce_ad (id, index, nonce, ad);
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt (out, &mlen, NULL, in, len, ad, sizeof ad, nonce,
                                                    k->key) != 0 ||
        mlen != (unsigned long long)(len - CX_CHUNK_ABYTES)) {
        cx_fail ("sealed chunk %llu does not open: altered, or from another chunk, dataset or "
                 "key",
                 (unsigned long long)index);
        return -1;
    }
    return 0;
}
