/*  check_crypto_spec.c: the SPEC.md vectors of section 18.16 to 18.18 (fixed
    keys, a wrapped content key, a sealed chunk) through crypto/cx.

    Not for: the protocol's own vectors (check_protocol).
*/
#include "check_crypto.h"
#include "spec_vectors.h"

/* ---- SPEC.md section 18.16 to 18.18: keys, a sealed chunk, a wrapped key - */

/* The key pair of a fixed key of SPEC 18.16, through its key file. */
static cx_keypair_t *spec_key (cx_keytype_t type, const char *pk_hex, uint8_t secret_first)
{
    uint8_t buf[112];
    size_t len = spec_keyfile (buf, type, pk_hex, secret_first);
    ck_assert_uint_ne (len, 0);
    cx_keypair_t *kp = cx_keypair_parse (buf, len, type);
    ck_assert_msg (kp != NULL, "SPEC key %s: %s", pk_hex, cx_error ());
    return kp;
}

START_TEST (test_spec_keys_derive_their_public_halves_and_fingerprints)
{
    /* cx_keypair_parse refuses a secret half that does not give the
       public half: so each seed or secret gives the key the SPEC says. */
    const struct {
        cx_keytype_t type;
        const char *pk, *fp;
        uint8_t first;
    } k[] = {{CX_KEY_SIGN, SPEC_P_SIGN_PK, SPEC_P_SIGN_FP, SPEC_P_SIGN_SEED},
             {CX_KEY_BOX, SPEC_P_BOX_PK, NULL, SPEC_P_BOX_SK},
             {CX_KEY_CURVE, SPEC_P_CURVE_PK, NULL, SPEC_P_CURVE_SK},
             {CX_KEY_SIGN, SPEC_V_SIGN_PK, SPEC_V_SIGN_FP, SPEC_V_SIGN_SEED},
             {CX_KEY_BOX, SPEC_V_BOX_PK, NULL, SPEC_V_BOX_SK}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        cx_keypair_t *kp = spec_key (k[i].type, k[i].pk, k[i].first);
        char hex[65], fp[CX_FINGERPRINT_HEXLEN];
        cx_hex (cx_keypair_public (kp), 32, hex);
        ck_assert_str_eq (hex, k[i].pk);
        cx_fingerprint (cx_keypair_public (kp), fp);
        if (k[i].fp)
            ck_assert_str_eq (fp, k[i].fp);
        cx_keypair_destroy (&kp);
    }
}
END_TEST

START_TEST (test_spec_wrapped_key_opens_to_k_and_seals_the_spec_chunk)
{
    cx_keypair_t *box = spec_key (CX_KEY_BOX, SPEC_V_BOX_PK, SPEC_V_BOX_SK);
    uint8_t wrapped[CX_WRAPPEDBYTES];
    unhex_or_die (SPEC_WRAPPED, wrapped, sizeof wrapped);
    cx_content_t *k = cx_content_unwrap (wrapped, box);
    ck_assert_msg (k != NULL, "SPEC 18.18 does not open: %s", cx_error ());
    uint8_t raw[CX_KEYBYTES], want_k[CX_KEYBYTES];
    raw_content_key (k, raw);
    spec_pat (want_k, sizeof want_k, SPEC_CONTENT_KEY);
    ck_assert_mem_eq (raw, want_k, sizeof raw);

    uint8_t id[CX_DATASET_IDBYTES];
    spec_pat (id, sizeof id, 0x00);
    const char *plain = SPEC_CHUNK_PLAIN;
    size_t len = strlen (plain);
    uint8_t want[64], got[64], back[64];
    ck_assert_uint_eq (strlen (SPEC_CHUNK_SEALED), 2 * (len + CX_CHUNK_ABYTES));
    unhex_or_die (SPEC_CHUNK_SEALED, want, len + CX_CHUNK_ABYTES);
    ck_assert_int_eq (cx_chunk_seal (k, id, SPEC_CHUNK_INDEX, (const uint8_t *)plain, len, got), 0);
    ck_assert_mem_eq (got, want, len + CX_CHUNK_ABYTES);
    ck_assert_int_eq (cx_chunk_open (k, id, SPEC_CHUNK_INDEX, want, len + CX_CHUNK_ABYTES, back), 0);
    ck_assert_mem_eq (back, plain, len);
    ck_assert_int_ne (cx_chunk_open (k, id, SPEC_CHUNK_INDEX + 1, want, len + CX_CHUNK_ABYTES, back), 0);

    /* The nonce and additional data the SPEC prints are what seals it. */
    uint8_t nonce[24], ad[24], direct[64];
    unsigned long long dlen = 0;
    unhex_or_die (SPEC_CHUNK_NONCE, nonce, sizeof nonce);
    unhex_or_die (SPEC_CHUNK_AD, ad, sizeof ad);
    crypto_aead_xchacha20poly1305_ietf_encrypt (direct, &dlen, (const uint8_t *)plain, len, ad, sizeof ad, NULL,
                                                nonce, want_k);
    ck_assert_uint_eq (dlen, len + CX_CHUNK_ABYTES);
    ck_assert_mem_eq (direct, want, dlen);
    cx_content_destroy (&k);
    cx_keypair_destroy (&box);
}
END_TEST

void crypto_spec_tcases (Suite *s)
{
    TCase *tc = tcase ("spec-vectors");
    tcase_add_test (tc, test_spec_keys_derive_their_public_halves_and_fingerprints);
    tcase_add_test (tc, test_spec_wrapped_key_opens_to_k_and_seals_the_spec_chunk);
    suite_add_tcase (s, tc);
}
