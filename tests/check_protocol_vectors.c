/*  check_protocol_vectors: the cryptographic examples of SPEC.md 18.11 and
    18.19 to 18.21, with the fixed keys of spec_vectors.h: the
    version-3 answer, and manifest, receipt and card signatures that
    verify. Not for: the encodings themselves (the other files).
*/
#include "check_protocol.h"
#include "spec_vectors.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SPEC 18.11: a version-4 SUBSCRIBE and the ERROR(VERSION) a cdx node
   answers, whose reason is "CODE message: " and the decoder's reason
   (node/run.c; the node's real answer is checked byte for byte by
   tests/integration/hostile.py version). */
START_TEST (test_spec_version_answer_golden)
{
    static const char want[] =
        "95010802d94e56455253494f4e206d6573736167653a2070726f746f636f6c20"
        "76657273696f6e2034206e6f7420737570706f727465643b20737570706f7274"
        "65642076657273696f6e733a20312c20322c2033c41000000000000000000000"
        "000000000000";
    static const uint8_t v2[] = {0x94, 0x04, 0x01, 0xab, 'a', 'p', 'c', '/', 'm', 'o', 'n', 't', 'h', 'l', 'y', 0x00};
    proto_msg_t m;
    proto_err_t err = proto_decode (v2, sizeof v2, &m);
    ck_assert_int_eq (err, PROTO_E_VERSION);
    proto_msg_t e;
    memset (&e, 0, sizeof e);
    e.id = PROTO_ERROR;
    e.code = err;
    snprintf (e.reason, sizeof e.reason, "%s message: %s", proto_err_name (err), proto_error ());
    uint8_t buf[PROTO_HEADER_MAX];
    char hex[2 * PROTO_HEADER_MAX + 1];
    size_t len;
    ck_assert_int_eq (proto_encode (&e, buf, sizeof buf, &len), 0);
    check_hex (buf, len, hex);
    check_print_vector ("ERROR(VERSION)", buf, len);
    ck_assert_msg (strcmp (hex, want) == 0, "ERROR(VERSION) encodes as\n%s", hex);
}
END_TEST

/* ---- SPEC.md 18.19 to 18.21: signatures that verify, with fixed keys ----- */

static cx_keypair_t *s_spec_sign_key (const char *pk_hex, uint8_t seed_first)
{
    ck_assert_int_eq (cx_init (), 0);
    uint8_t buf[112];
    size_t len = spec_keyfile (buf, CX_KEY_SIGN, pk_hex, seed_first);
    ck_assert_uint_eq (len, 112);
    cx_keypair_t *kp = cx_keypair_parse (buf, len, CX_KEY_SIGN);
    ck_assert_msg (kp != NULL, "%s", cx_error ());
    return kp;
}

static void s_unhex_ok (const char *hex, uint8_t *out, size_t n)
{
    ck_assert_msg (cx_unhex (hex, out, n) == 0, "%s", cx_error ());
}

START_TEST (test_spec_manifest_signature)
{
    proto_manifest_t mf;
    uint8_t doc[PROTO_DOC_MAX], sig[64], want[64];
    size_t len;
    spec_example_manifest (&mf);                     /* the manifest of SPEC 18.3 */
    ck_assert_int_eq (proto_manifest_encode (&mf, doc, sizeof doc, &len), 0);
    ck_assert_uint_eq (len, 281);
    cx_keypair_t *kp = s_spec_sign_key (SPEC_P_SIGN_PK, SPEC_P_SIGN_SEED);
    ck_assert_int_eq (cx_sign (kp, doc, len, sig), 0);
    s_unhex_ok (SPEC_MANIFEST_SIG, want, sizeof want);
    ck_assert_mem_eq (sig, want, sizeof sig);
    ck_assert_int_eq (cx_verify (cx_keypair_public (kp), doc, len, want), 0);
    doc[len - 1] ^= 1;
    ck_assert_int_ne (cx_verify (cx_keypair_public (kp), doc, len, want), 0);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_spec_receipt_signature)
{
    proto_receipt_t r;
    uint8_t doc[PROTO_DOC_MAX], want_doc[PROTO_DOC_MAX], sig[64], want[64];
    size_t len;
    spec_example_receipt (&r);                       /* SPEC 18.8, with 04V's real key */
    s_unhex_ok (SPEC_V_SIGN_PK, r.recipient_key, sizeof r.recipient_key);
    ck_assert_int_eq (proto_receipt_encode (&r, doc, sizeof doc, &len), 0);
    ck_assert_uint_eq (2 * len, strlen (SPEC_RECEIPT));
    s_unhex_ok (SPEC_RECEIPT, want_doc, len);
    ck_assert_mem_eq (doc, want_doc, len);
    cx_keypair_t *kp = s_spec_sign_key (SPEC_V_SIGN_PK, SPEC_V_SIGN_SEED);
    ck_assert_int_eq (cx_sign (kp, doc, len, sig), 0);
    s_unhex_ok (SPEC_RECEIPT_SIG, want, sizeof want);
    ck_assert_mem_eq (sig, want, sizeof sig);
    ck_assert_int_eq (cx_verify (r.recipient_key, doc, len, want), 0);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_spec_card_signature_verifies)
{
    const char *text = SPEC_CARD;
    card_t c;
    size_t signed_len = 0, len = 0;
    ck_assert_msg (card_parse (text, strlen (text), &c, &signed_len) == 0, "%s", card_error ());
    ck_assert_uint_eq (signed_len, 275);
    char hex[65];
    cx_hex (c.sign_pk, 32, hex);
    ck_assert_str_eq (hex, SPEC_P_SIGN_PK);
    cx_hex (c.box_pk, 32, hex);
    ck_assert_str_eq (hex, SPEC_P_BOX_PK);
    cx_hex (c.curve_pk, 32, hex);
    ck_assert_str_eq (hex, SPEC_P_CURVE_PK);
    ck_assert_int_eq (cx_init (), 0);
    ck_assert_int_eq (cx_verify (c.sign_pk, (const uint8_t *)text, signed_len, c.sig), 0);
    /* and cdx makes the same card from the same keys: one text per card */
    cx_keypair_t *kp = s_spec_sign_key (SPEC_P_SIGN_PK, SPEC_P_SIGN_SEED);
    char body[CARD_MAX_BYTES + 1], out[CARD_MAX_BYTES + 1];
    ck_assert_int_eq (card_format_body (&c, body, sizeof body, &len), 0);
    ck_assert_int_eq (cx_sign (kp, (const uint8_t *)body, len, c.sig), 0);
    ck_assert_int_eq (card_format (&c, out, sizeof out, &len), 0);
    ck_assert_str_eq (out, text);
    cx_keypair_destroy (&kp);
}
END_TEST

void check_vectors_tests (TCase *t)
{
    tcase_add_test (t, test_spec_version_answer_golden);
    tcase_add_test (t, test_spec_manifest_signature);
    tcase_add_test (t, test_spec_receipt_signature);
    tcase_add_test (t, test_spec_card_signature_verifies);
}
