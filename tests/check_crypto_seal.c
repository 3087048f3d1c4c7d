/*  check_crypto_seal.c: signatures, hashes, content keys and sealed chunks
    of crypto/cx.

    Each round-trips and fails closed on every kind of tampering: a flipped
    bit of the message, signature, wrapped key, ciphertext or tag, another
    key, another index or dataset id, a length cut or extended; golden
    vectors (RFC 8032, BLAKE2b-256, XChaCha20-Poly1305 computed by an
    independent implementation) pin the formats.

    Not for: key files (check_crypto_keys.c), the SPEC.md vectors
    (check_crypto_spec.c).
*/
#include "check_crypto.h"

/* ---- signatures ------------------------------------------------------- */

START_TEST (test_sign_verify_round_trip)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    uint8_t msg[300], sig[CX_SIGNATUREBYTES];
    cx_random (msg, sizeof msg);
    ck_assert_int_eq (cx_sign (kp, msg, sizeof msg, sig), 0);
    ck_assert_int_eq (cx_verify (cx_keypair_public (kp), msg, sizeof msg, sig), 0);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_sign_verify_empty_message)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    uint8_t sig[CX_SIGNATUREBYTES];
    ck_assert_int_eq (cx_sign (kp, NULL, 0, sig), 0);
    ck_assert_int_eq (cx_verify (cx_keypair_public (kp), NULL, 0, sig), 0);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_verify_rejects_any_flipped_message_bit)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    uint8_t msg[32], sig[CX_SIGNATUREBYTES];
    cx_random (msg, sizeof msg);
    ck_assert_int_eq (cx_sign (kp, msg, sizeof msg, sig), 0);
    for (size_t i = 0; i < sizeof msg * 8; i++) {
        msg[i / 8] ^= (uint8_t)(1u << (i % 8));
        ck_assert_msg (cx_verify (cx_keypair_public (kp), msg, sizeof msg, sig) == -1,
                       "accepted flipped message bit %zu", i);
        msg[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    ck_assert_ptr_nonnull (strstr (cx_error (), "does not verify"));
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_verify_rejects_any_flipped_signature_bit)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    uint8_t msg[] = "receipt", sig[CX_SIGNATUREBYTES];
    ck_assert_int_eq (cx_sign (kp, msg, sizeof msg, sig), 0);
    for (size_t i = 0; i < sizeof sig * 8; i++) {
        sig[i / 8] ^= (uint8_t)(1u << (i % 8));
        ck_assert_msg (cx_verify (cx_keypair_public (kp), msg, sizeof msg, sig) == -1,
                       "accepted flipped signature bit %zu", i);
        sig[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_verify_rejects_other_signer_and_shortened_message)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    cx_keypair_t *other = cx_keypair_new (CX_KEY_SIGN);
    uint8_t msg[] = "card", sig[CX_SIGNATUREBYTES];
    ck_assert_int_eq (cx_sign (kp, msg, sizeof msg, sig), 0);
    ck_assert_int_eq (cx_verify (cx_keypair_public (other), msg, sizeof msg, sig), -1);
    ck_assert_int_eq (cx_verify (cx_keypair_public (kp), msg, sizeof msg - 1, sig), -1);
    cx_keypair_destroy (&kp);
    cx_keypair_destroy (&other);
}
END_TEST

START_TEST (test_sign_refuses_box_and_curve_key_pairs)
{
    cx_keypair_t *kp = cx_keypair_new (all_types[1 + _i]);
    uint8_t msg[] = "x", sig[CX_SIGNATUREBYTES];
    ck_assert_int_eq (cx_sign (kp, msg, sizeof msg, sig), -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "cannot sign"));
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_sign_matches_rfc8032_test_vector_1)
{
    uint8_t buf[112];
    size_t len = golden_sign_keyfile (buf);
    cx_keypair_t *kp = cx_keypair_parse (buf, len, CX_KEY_SIGN);
    ck_assert_ptr_nonnull (kp);
    uint8_t sig[CX_SIGNATUREBYTES], want[CX_SIGNATUREBYTES];
    unhex_or_die (rfc8032_sig, want, sizeof want);
    ck_assert_int_eq (cx_sign (kp, NULL, 0, sig), 0);
    ck_assert_mem_eq (sig, want, sizeof sig);
    ck_assert_int_eq (cx_verify (cx_keypair_public (kp), NULL, 0, want), 0);
    cx_keypair_destroy (&kp);
}
END_TEST

/* ---- hashing ---------------------------------------------------------- */

static void assert_hash_hex (const uint8_t *data, size_t len, const char *want)
{
    uint8_t h[CX_HASHBYTES];
    char hex[2 * CX_HASHBYTES + 1];
    ck_assert_int_eq (cx_hash_buf (data, len, h), 0);
    cx_hex (h, sizeof h, hex);
    ck_assert_str_eq (hex, want);
}

START_TEST (test_hash_of_empty_string_matches_blake2b_256_golden)
{
    /* python3: hashlib.blake2b(b'', digest_size=32).hexdigest() */
    assert_hash_hex (NULL, 0, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}
END_TEST

START_TEST (test_hash_of_abc_matches_blake2b_256_golden)
{
    /* python3: hashlib.blake2b(b'abc', digest_size=32).hexdigest() */
    assert_hash_hex ((const uint8_t *)"abc", 3,
                     "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}
END_TEST

START_TEST (test_hash_streaming_equals_one_shot_for_any_split)
{
    uint8_t data[700], one[CX_HASHBYTES];
    cx_random (data, sizeof data);
    ck_assert_int_eq (cx_hash_buf (data, sizeof data, one), 0);
    static const size_t splits[] = {0, 1, 63, 64, 127, 128, 129, 350, 699, 700};
    for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
        cx_hash_t *h = cx_hash_new ();
        ck_assert_ptr_nonnull (h);
        uint8_t streamed[CX_HASHBYTES];
        ck_assert_int_eq (cx_hash_update (h, data, splits[s]), 0);
        ck_assert_int_eq (cx_hash_update (h, data + splits[s], sizeof data - splits[s]), 0);
        ck_assert_int_eq (cx_hash_final (h, streamed), 0);
        ck_assert_mem_eq (streamed, one, sizeof one);
        cx_hash_destroy (&h);
    }
}
END_TEST

START_TEST (test_hash_streaming_byte_by_byte_equals_one_shot)
{
    uint8_t data[300], one[CX_HASHBYTES], streamed[CX_HASHBYTES];
    cx_random (data, sizeof data);
    ck_assert_int_eq (cx_hash_buf (data, sizeof data, one), 0);
    cx_hash_t *h = cx_hash_new ();
    for (size_t i = 0; i < sizeof data; i++)
        ck_assert_int_eq (cx_hash_update (h, data + i, 1), 0);
    ck_assert_int_eq (cx_hash_final (h, streamed), 0);
    ck_assert_mem_eq (streamed, one, sizeof one);
    cx_hash_destroy (&h);
}
END_TEST

START_TEST (test_hash_final_may_be_called_only_once)
{
    cx_hash_t *h = cx_hash_new ();
    uint8_t out[CX_HASHBYTES];
    ck_assert_int_eq (cx_hash_final (h, out), 0);
    ck_assert_int_eq (cx_hash_final (h, out), -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "finalised"));
    cx_hash_destroy (&h);
}
END_TEST

START_TEST (test_hash_update_after_final_fails)
{
    cx_hash_t *h = cx_hash_new ();
    uint8_t out[CX_HASHBYTES];
    ck_assert_int_eq (cx_hash_final (h, out), 0);
    ck_assert_int_eq (cx_hash_update (h, (const uint8_t *)"x", 1), -1);
    cx_hash_destroy (&h);
}
END_TEST

START_TEST (test_hash_destroy_sets_pointer_null)
{
    cx_hash_t *h = cx_hash_new ();
    ck_assert_ptr_nonnull (h);
    cx_hash_destroy (&h);
    ck_assert_ptr_null (h);
    cx_hash_destroy (&h);
}
END_TEST

/* ---- content keys ----------------------------------------------------- */

START_TEST (test_wrap_unwrap_round_trip_recovers_same_key)
{
    cx_content_t *k = cx_content_new ();
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    ck_assert_ptr_nonnull (k);
    uint8_t w[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w), 0);
    cx_content_t *back = cx_content_unwrap (w, box);
    ck_assert_msg (back != NULL, "%s", cx_error ());
    uint8_t a[CX_KEYBYTES], b[CX_KEYBYTES];
    raw_content_key (k, a);
    raw_content_key (back, b);
    ck_assert_mem_eq (a, b, sizeof a);
    cx_content_destroy (&k);
    cx_content_destroy (&back);
    ck_assert_ptr_null (back);
    cx_keypair_destroy (&box);
}
END_TEST

START_TEST (test_wrap_is_randomised_per_call)
{
    cx_content_t *k = cx_content_new ();
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    uint8_t w1[CX_WRAPPEDBYTES], w2[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w1), 0);
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w2), 0);
    ck_assert_mem_ne (w1, w2, sizeof w1);
    cx_content_destroy (&k);
    cx_keypair_destroy (&box);
}
END_TEST

START_TEST (test_content_keys_are_distinct)
{
    cx_content_t *k1 = cx_content_new ();
    cx_content_t *k2 = cx_content_new ();
    uint8_t a[CX_KEYBYTES], b[CX_KEYBYTES];
    raw_content_key (k1, a);
    raw_content_key (k2, b);
    ck_assert_mem_ne (a, b, sizeof a);
    cx_content_destroy (&k1);
    cx_content_destroy (&k2);
}
END_TEST

START_TEST (test_unwrap_with_another_box_key_fails)
{
    cx_content_t *k = cx_content_new ();
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    cx_keypair_t *other = cx_keypair_new (CX_KEY_BOX);
    uint8_t w[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w), 0);
    ck_assert_ptr_null (cx_content_unwrap (w, other));
    ck_assert_ptr_nonnull (strstr (cx_error (), "does not open"));
    cx_content_destroy (&k);
    cx_keypair_destroy (&box);
    cx_keypair_destroy (&other);
}
END_TEST

START_TEST (test_unwrap_refuses_sign_and_curve_key_pairs)
{
    cx_content_t *k = cx_content_new ();
    cx_keypair_t *curve = cx_keypair_new (CX_KEY_CURVE);
    cx_keypair_t *sign = cx_keypair_new (CX_KEY_SIGN);
    uint8_t w[CX_WRAPPEDBYTES];
    /* Wrapped for the CURVE key itself: still refused, the type is wrong. */
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (curve), w), 0);
    ck_assert_ptr_null (cx_content_unwrap (w, curve));
    ck_assert_ptr_nonnull (strstr (cx_error (), "box key pair"));
    ck_assert_ptr_null (cx_content_unwrap (w, sign));
    cx_content_destroy (&k);
    cx_keypair_destroy (&curve);
    cx_keypair_destroy (&sign);
}
END_TEST

START_TEST (test_unwrap_fails_on_any_flipped_wrapped_byte)
{
    cx_content_t *k = cx_content_new ();
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    uint8_t w[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w), 0);
    for (size_t i = 0; i < sizeof w; i++) {
        w[i] ^= 0x01;
        cx_content_t *bad = cx_content_unwrap (w, box);
        ck_assert_msg (bad == NULL, "accepted a flip of wrapped byte %zu", i);
        w[i] ^= 0x01;
    }
    cx_content_t *good = cx_content_unwrap (w, box);
    ck_assert_ptr_nonnull (good);
    cx_content_destroy (&good);
    cx_content_destroy (&k);
    cx_keypair_destroy (&box);
}
END_TEST

START_TEST (test_wrap_refuses_all_zero_public_key)
{
    cx_content_t *k = cx_content_new ();
    uint8_t zero[CX_BOX_PUBLICKEYBYTES] = {0}, w[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, zero, w), -1);
    cx_content_destroy (&k);
}
END_TEST

/* ---- chunks ----------------------------------------------------------- */

/* A content key with known bytes 00 01 .. 1f, made by sealing them for BOX. */
static cx_content_t *known_content_key (cx_keypair_t *box)
{
    uint8_t raw[CX_KEYBYTES], w[CX_WRAPPEDBYTES];
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)i;
    ck_assert_int_eq (crypto_box_seal (w, raw, sizeof raw, cx_keypair_public (box)), 0);
    cx_content_t *k = cx_content_unwrap (w, box);
    ck_assert_ptr_nonnull (k);
    return k;
}

static const size_t chunk_lens[] = {0, 1, 15, 16, 17, 1000, 65536};

START_TEST (test_chunk_round_trip_for_various_lengths)
{
    size_t len = chunk_lens[_i];
    cx_content_t *k = cx_content_new ();
    uint8_t id[CX_DATASET_IDBYTES];
    cx_random (id, sizeof id);
    uint8_t *in = malloc (len + 1), *sealed = malloc (len + CX_CHUNK_ABYTES),
            *out = malloc (len + 1);
    cx_random (in, len);
    ck_assert_int_eq (cx_chunk_seal (k, id, 7, in, len, sealed), 0);
    ck_assert_int_eq (cx_chunk_open (k, id, 7, sealed, len + CX_CHUNK_ABYTES, out), 0);
    if (len) ck_assert_mem_eq (in, out, len);
    if (len >= 16) ck_assert_mem_ne (in, sealed, 16);
    free (in);
    free (sealed);
    free (out);
    cx_content_destroy (&k);
}
END_TEST

START_TEST (test_chunk_seal_matches_independent_xchacha20poly1305_vector)
{
    /* Key 00..1f, id a0..af, index 0x0102030405060708; expected output from
       a separate Python implementation (HChaCha20 + ChaCha20-Poly1305 of
       the cryptography package, itself checked against the XChaCha draft's
       vectors) using nonce = LE64(index) || 0^16, AD = id || LE64(index). */
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    cx_content_t *k = known_content_key (box);
    uint8_t id[CX_DATASET_IDBYTES];
    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t)(0xa0 + i);
    const char *msg = "cdx chunk golden vector";
    size_t len = strlen (msg);
    uint8_t sealed[64], want[64];
    unhex_or_die ("3320894ff35172ba90612f95b51656ecc6ea84cfc0bd4936f9a06eb39f339523d6e842bb702e98",
                  want, len + CX_CHUNK_ABYTES);
    ck_assert_int_eq (
        cx_chunk_seal (k, id, 0x0102030405060708ull, (const uint8_t *)msg, len, sealed), 0);
    ck_assert_mem_eq (sealed, want, len + CX_CHUNK_ABYTES);
    uint8_t out[64];
    ck_assert_int_eq (cx_chunk_open (k, id, 0x0102030405060708ull, want, len + 16, out), 0);
    ck_assert_mem_eq (out, msg, len);
    cx_content_destroy (&k);
    cx_keypair_destroy (&box);
}
END_TEST

START_TEST (test_chunk_seal_uses_documented_nonce_and_associated_data)
{
    cx_content_t *k = cx_content_new ();
    uint8_t raw[CX_KEYBYTES];
    raw_content_key (k, raw);
    uint8_t id[CX_DATASET_IDBYTES];
    cx_random (id, sizeof id);
    const uint64_t index = 0x1122334455667788ull;
    const uint8_t le[8] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
    uint8_t nonce[24] = {0}, ad[24];
    memcpy (nonce, le, 8);
    memcpy (ad, id, 16);
    memcpy (ad + 16, le, 8);
    uint8_t msg[100], want[116], got[116];
    cx_random (msg, sizeof msg);
    unsigned long long wlen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt (want, &wlen, msg, sizeof msg, ad, sizeof ad, NULL,
                                                nonce, raw);
    ck_assert_uint_eq (wlen, sizeof want);
    ck_assert_int_eq (cx_chunk_seal (k, id, index, msg, sizeof msg, got), 0);
    ck_assert_mem_eq (got, want, sizeof want);
    cx_wipe (raw, sizeof raw);
    cx_content_destroy (&k);
}
END_TEST

/* A sealed 64-byte chunk, index 5, of a random dataset, for tamper tests. */
struct sealed_fixture {
    cx_content_t *k;
    uint8_t id[CX_DATASET_IDBYTES];
    uint8_t msg[64];
    uint8_t sealed[64 + CX_CHUNK_ABYTES];
    uint8_t out[64 + CX_CHUNK_ABYTES];
};

static void sealed_make (struct sealed_fixture *f)
{
    f->k = cx_content_new ();
    ck_assert_ptr_nonnull (f->k);
    cx_random (f->id, sizeof f->id);
    cx_random (f->msg, sizeof f->msg);
    ck_assert_int_eq (cx_chunk_seal (f->k, f->id, 5, f->msg, sizeof f->msg, f->sealed), 0);
}

START_TEST (test_chunk_open_fails_on_any_flipped_ciphertext_byte)
{
    struct sealed_fixture f;
    sealed_make (&f);
    for (size_t i = 0; i < sizeof f.msg; i++) {
        f.sealed[i] ^= 0x80;
        ck_assert_msg (cx_chunk_open (f.k, f.id, 5, f.sealed, sizeof f.sealed, f.out) == -1,
                       "accepted flipped ciphertext byte %zu", i);
        f.sealed[i] ^= 0x80;
    }
    ck_assert_ptr_nonnull (strstr (cx_error (), "does not open"));
    ck_assert_int_eq (cx_chunk_open (f.k, f.id, 5, f.sealed, sizeof f.sealed, f.out), 0);
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_open_fails_on_any_flipped_tag_byte)
{
    struct sealed_fixture f;
    sealed_make (&f);
    for (size_t i = sizeof f.msg; i < sizeof f.sealed; i++) {
        f.sealed[i] ^= 0x01;
        ck_assert_msg (cx_chunk_open (f.k, f.id, 5, f.sealed, sizeof f.sealed, f.out) == -1,
                       "accepted flipped tag byte %zu", i);
        f.sealed[i] ^= 0x01;
    }
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_open_fails_for_wrong_index_in_any_index_byte)
{
    struct sealed_fixture f;
    sealed_make (&f);
    ck_assert_int_eq (cx_chunk_open (f.k, f.id, 4, f.sealed, sizeof f.sealed, f.out), -1);
    ck_assert_int_eq (cx_chunk_open (f.k, f.id, 6, f.sealed, sizeof f.sealed, f.out), -1);
    for (int b = 1; b < 8; b++) {
        uint64_t idx = 5 | ((uint64_t)1 << (8 * b));
        ck_assert_msg (cx_chunk_open (f.k, f.id, idx, f.sealed, sizeof f.sealed, f.out) == -1,
                       "index byte %d is not bound", b);
    }
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_open_fails_for_wrong_dataset_id_in_any_byte)
{
    struct sealed_fixture f;
    sealed_make (&f);
    for (size_t i = 0; i < sizeof f.id; i++) {
        f.id[i] ^= 0x01;
        ck_assert_msg (cx_chunk_open (f.k, f.id, 5, f.sealed, sizeof f.sealed, f.out) == -1,
                       "dataset id byte %zu is not bound", i);
        f.id[i] ^= 0x01;
    }
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_open_fails_with_another_content_key)
{
    struct sealed_fixture f;
    sealed_make (&f);
    cx_content_t *other = cx_content_new ();
    ck_assert_int_eq (cx_chunk_open (other, f.id, 5, f.sealed, sizeof f.sealed, f.out), -1);
    cx_content_destroy (&other);
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_open_refuses_length_below_tag_size)
{
    struct sealed_fixture f;
    sealed_make (&f);
    for (size_t len = 0; len < CX_CHUNK_ABYTES; len++) {
        memset (f.out, 0xaa, sizeof f.out);
        ck_assert_msg (cx_chunk_open (f.k, f.id, 5, f.sealed + sizeof f.msg, len, f.out) == -1,
                       "accepted a %zu-byte chunk", len);
        ck_assert_uint_eq (f.out[0], 0xaa);
    }
    ck_assert_ptr_nonnull (strstr (cx_error (), "shorter than"));
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_open_fails_when_truncated_or_extended)
{
    struct sealed_fixture f;
    sealed_make (&f);
    ck_assert_int_eq (cx_chunk_open (f.k, f.id, 5, f.sealed, sizeof f.sealed - 1, f.out), -1);
    ck_assert_int_eq (cx_chunk_open (f.k, f.id, 5, f.sealed + 1, sizeof f.sealed - 1, f.out), -1);
    uint8_t longer[sizeof f.sealed + 1];
    memcpy (longer, f.sealed, sizeof f.sealed);
    longer[sizeof f.sealed] = 0;
    uint8_t out[sizeof longer];
    ck_assert_int_eq (cx_chunk_open (f.k, f.id, 5, longer, sizeof longer, out), -1);
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_same_plaintext_seals_differently_per_index)
{
    struct sealed_fixture f;
    sealed_make (&f);
    uint8_t again[sizeof f.sealed];
    ck_assert_int_eq (cx_chunk_seal (f.k, f.id, 6, f.msg, sizeof f.msg, again), 0);
    ck_assert_mem_ne (again, f.sealed, sizeof again);
    ck_assert_int_eq (cx_chunk_seal (f.k, f.id, 5, f.msg, sizeof f.msg, again), 0);
    ck_assert_mem_eq (again, f.sealed, sizeof again); /* deterministic per (key, id, index) */
    cx_content_destroy (&f.k);
}
END_TEST

START_TEST (test_chunk_round_trip_at_largest_index)
{
    cx_content_t *k = cx_content_new ();
    uint8_t id[CX_DATASET_IDBYTES] = {0}, msg[] = "last", sealed[sizeof msg + 16], out[sizeof msg];
    ck_assert_int_eq (cx_chunk_seal (k, id, UINT64_MAX, msg, sizeof msg, sealed), 0);
    ck_assert_int_eq (cx_chunk_open (k, id, UINT64_MAX, sealed, sizeof sealed, out), 0);
    ck_assert_mem_eq (out, msg, sizeof msg);
    ck_assert_int_eq (cx_chunk_open (k, id, 0, sealed, sizeof sealed, out), -1);
    cx_content_destroy (&k);
}
END_TEST

START_TEST (test_chunk_sealed_by_unwrapped_key_opens_with_original)
{
    cx_content_t *k = cx_content_new ();
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    uint8_t w[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w), 0);
    cx_content_t *peer = cx_content_unwrap (w, box);
    ck_assert_ptr_nonnull (peer);
    uint8_t id[CX_DATASET_IDBYTES], msg[] = "patient-level extract", sealed[sizeof msg + 16],
                                    out[sizeof msg];
    cx_random (id, sizeof id);
    ck_assert_int_eq (cx_chunk_seal (peer, id, 0, msg, sizeof msg, sealed), 0);
    ck_assert_int_eq (cx_chunk_open (k, id, 0, sealed, sizeof sealed, out), 0);
    ck_assert_mem_eq (out, msg, sizeof msg);
    cx_content_destroy (&k);
    cx_content_destroy (&peer);
    cx_keypair_destroy (&box);
}
END_TEST

void crypto_seal_tcases (Suite *s)
{
    TCase *tc = tcase ("signatures");
    tcase_add_test (tc, test_sign_verify_round_trip);
    tcase_add_test (tc, test_sign_verify_empty_message);
    tcase_add_test (tc, test_verify_rejects_any_flipped_message_bit);
    tcase_add_test (tc, test_verify_rejects_any_flipped_signature_bit);
    tcase_add_test (tc, test_verify_rejects_other_signer_and_shortened_message);
    tcase_add_loop_test (tc, test_sign_refuses_box_and_curve_key_pairs, 0, 2);
    tcase_add_test (tc, test_sign_matches_rfc8032_test_vector_1);
    suite_add_tcase (s, tc);
    tc = tcase ("hashing");
    tcase_add_test (tc, test_hash_of_empty_string_matches_blake2b_256_golden);
    tcase_add_test (tc, test_hash_of_abc_matches_blake2b_256_golden);
    tcase_add_test (tc, test_hash_streaming_equals_one_shot_for_any_split);
    tcase_add_test (tc, test_hash_streaming_byte_by_byte_equals_one_shot);
    tcase_add_test (tc, test_hash_final_may_be_called_only_once);
    tcase_add_test (tc, test_hash_update_after_final_fails);
    tcase_add_test (tc, test_hash_destroy_sets_pointer_null);
    suite_add_tcase (s, tc);
    tc = tcase ("content-keys");
    tcase_add_test (tc, test_wrap_unwrap_round_trip_recovers_same_key);
    tcase_add_test (tc, test_wrap_is_randomised_per_call);
    tcase_add_test (tc, test_content_keys_are_distinct);
    tcase_add_test (tc, test_unwrap_with_another_box_key_fails);
    tcase_add_test (tc, test_unwrap_refuses_sign_and_curve_key_pairs);
    tcase_add_test (tc, test_unwrap_fails_on_any_flipped_wrapped_byte);
    tcase_add_test (tc, test_wrap_refuses_all_zero_public_key);
    suite_add_tcase (s, tc);
    tc = tcase ("chunks");
    tcase_add_loop_test (tc, test_chunk_round_trip_for_various_lengths, 0, N (chunk_lens));
    tcase_add_test (tc, test_chunk_seal_matches_independent_xchacha20poly1305_vector);
    tcase_add_test (tc, test_chunk_seal_uses_documented_nonce_and_associated_data);
    tcase_add_test (tc, test_chunk_open_fails_on_any_flipped_ciphertext_byte);
    tcase_add_test (tc, test_chunk_open_fails_on_any_flipped_tag_byte);
    tcase_add_test (tc, test_chunk_open_fails_for_wrong_index_in_any_index_byte);
    tcase_add_test (tc, test_chunk_open_fails_for_wrong_dataset_id_in_any_byte);
    tcase_add_test (tc, test_chunk_open_fails_with_another_content_key);
    tcase_add_test (tc, test_chunk_open_refuses_length_below_tag_size);
    tcase_add_test (tc, test_chunk_open_fails_when_truncated_or_extended);
    tcase_add_test (tc, test_chunk_same_plaintext_seals_differently_per_index);
    tcase_add_test (tc, test_chunk_round_trip_at_largest_index);
    tcase_add_test (tc, test_chunk_sealed_by_unwrapped_key_opens_with_original);
    suite_add_tcase (s, tc);
}
