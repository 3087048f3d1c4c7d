/*  check_protocol_decode: what the decoder refuses: the hostile msgpack
    the pre-scanner stops (prescan.c), wrong versions, ids, field counts
    and types, and every field rule and bound (field.c, vocab.c); and
    that mutated frames never crash it. Not for: documents
    (check_protocol_documents.c).
*/
#include "check_protocol.h"
#include "spec_vectors.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- decoder refusals --------------------------------------------------- */

START_TEST (test_decode_refuses_empty)
{
    proto_msg_t m;
    uint8_t b = 0;
    ck_assert_int_eq (proto_decode (&b, 0, &m), PROTO_E_MALFORMED);
    ck_assert_int_eq (proto_decode (NULL, 0, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_every_prefix)
{
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len = check_encode_example (PROTO_OFFER, buf);
    proto_msg_t m;
    for (size_t n = 0; n < len; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past the end */
        uint8_t *copy = malloc (n ? n : 1);
        ck_assert_ptr_nonnull (copy);
        memcpy (copy, buf, n);
        ck_assert_msg (proto_decode (copy, n, &m) == PROTO_E_MALFORMED, "prefix of %zu accepted",
                       n);
        free (copy);
    }
    ck_assert_int_eq (proto_decode (buf, len, &m), PROTO_OK);
}
END_TEST

START_TEST (test_decode_refuses_trailing_bytes)
{
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len = check_encode_example (PROTO_CREDIT, buf);
    proto_msg_t m;
    buf[len] = 0x00;
    ck_assert_int_eq (proto_decode (buf, len + 1, &m), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "trailing"));
    /* two whole messages in one frame */
    memcpy (buf + len, buf, len);
    ck_assert_int_eq (proto_decode (buf, 2 * len, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_non_array)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    msgpack_pack_map (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b);
    mp_cstr (&b, "SUBSCRIBE");
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* too short to hold version and id */
    msgpack_pack_array (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b);
    msgpack_pack_array (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_wrong_version)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, 4, PROTO_SUBSCRIBE, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_VERSION);
    ck_assert_uint_eq (m.version, 4);
    ck_assert_ptr_nonnull (strstr (proto_error (), "supported versions: 1, 2, 3"));

    /* version 2: SUBSCRIBE in it is the same message; RESEND only in it */
    mp_init (&b);
    mp_head (&b, 2, PROTO_SUBSCRIBE, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_OK);
    ck_assert_uint_eq (m.version, 2);
    mp_init (&b);
    mp_head (&b, 1, PROTO_RESEND, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 3);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_UNKNOWN);
    mp_init (&b);
    mp_head (&b, 2, PROTO_RESEND, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 3);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_OK);
    ck_assert_uint_eq (m.number, 3);
    mp_init (&b);                /* and in a version 3 header */
    mp_head (&b, 3, PROTO_RESEND, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 3);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_OK);

    /* version 3: the messages of siblings only in it */
    for (unsigned v = 1; v <= 3; v++) {
        mp_init (&b);
        mp_head (&b, v, PROTO_FAILOVER, 4);
        mp_cstr (&b, "0DF/a");
        for (int i = 0; i < 3; i++) msgpack_pack_uint64 (&b.pk, 7);
        ck_assert_int_eq (mp_decode (&b, &m), v < 3 ? PROTO_E_UNKNOWN : PROTO_OK);
    }
    ck_assert_str_eq (m.node, "0DF/a");
    ck_assert_uint_eq (m.count, 7);

    /* a future version may carry fields this one would refuse */
    mp_init (&b);
    mp_head (&b, 7, 200, 1);
    msgpack_pack_nil (&b.pk);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_VERSION);
    ck_assert_uint_eq (m.version, 7);

    mp_init (&b);
    mp_head (&b, 0, PROTO_SUBSCRIBE, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_VERSION);

    mp_init (&b);
    mp_head (&b, UINT64_MAX, PROTO_SUBSCRIBE, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_VERSION);
    ck_assert_uint_eq (m.version, UINT32_MAX);

    mp_init (&b); /* a version that is not a number is malformed */
    msgpack_pack_array (&b.pk, 2);
    mp_cstr (&b, "1");
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b);
    msgpack_pack_array (&b.pk, 2);
    msgpack_pack_int64 (&b.pk, -1);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_unknown_id)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_MSG_MAX + 1, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_UNKNOWN);
    ck_assert_uint_eq (m.id, PROTO_MSG_MAX + 1);
    ck_assert_uint_eq (m.version, PROTO_VERSION);

    mp_init (&b);
    mp_head (&b, PROTO_VERSION, 0, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_UNKNOWN);

    mp_init (&b);
    mp_head (&b, PROTO_VERSION, 1000, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_UNKNOWN);
    ck_assert_uint_eq (m.id, 255);

    mp_init (&b);
    msgpack_pack_array (&b.pk, 2);
    msgpack_pack_uint64 (&b.pk, PROTO_VERSION);
    msgpack_pack_int64 (&b.pk, -3);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_wrong_field_count)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 1);
    mp_cstr (&b, "apc/monthly");
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
    ck_assert_uint_eq (m.id, PROTO_SUBSCRIBE); /* kept for the reply */

    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 3);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 0);
    msgpack_pack_uint64 (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_CREDIT, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_wrong_field_type)
{
    proto_msg_t m;
    mp_t b;

    mp_init (&b); /* topic as bin */
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 2);
    mp_bin (&b, "apc/monthly", 11);
    msgpack_pack_uint64 (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "expected str, got bin"));
    ck_assert_str_eq (m.topic, "");

    mp_init (&b); /* number as str */
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 2);
    mp_cstr (&b, "apc/monthly");
    mp_cstr (&b, "0");
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
    ck_assert_str_eq (m.topic, ""); /* nothing half-decoded is left */

    mp_init (&b); /* number negative */
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_int64 (&b.pk, -1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* number as float */
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_double (&b.pk, 1.0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* dataset as str */
    mp_head (&b, PROTO_VERSION, PROTO_CREDIT, 2);
    mp_str (&b, (const char *)"0123456789abcdef", 16);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* dataset nil */
    mp_head (&b, PROTO_VERSION, PROTO_CREDIT, 2);
    msgpack_pack_nil (&b.pk);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* credit nested in an array */
    mp_head (&b, PROTO_VERSION, PROTO_CREDIT, 2);
    mp_bin (&b, SPEC_DATASET, 16);
    msgpack_pack_array (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_oversize)
{
    proto_msg_t m;
    mp_t b;
    static uint8_t big[PROTO_DOC_MAX + 1];
    char topic[PROTO_TOPIC_MAX + 2];
    char reason[PROTO_REASON_MAX + 2];
    uint8_t sig[PROTO_SIG_BYTES], wrapped[PROTO_WRAPPED_BYTES];
    memset (sig, 1, sizeof sig);
    memset (wrapped, 2, sizeof wrapped);

    mp_init (&b); /* doc one byte too long */
    mp_head (&b, PROTO_VERSION, PROTO_OFFER, 4);
    mp_bin (&b, SPEC_DATASET, 16);
    mp_bin (&b, big, sizeof big);
    mp_bin (&b, sig, sizeof sig);
    mp_bin (&b, wrapped, sizeof wrapped);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
    ck_assert_str_eq (proto_error (), "OFFER field 2 (doc): bin of 4097 bytes exceeds 4096");

    mp_init (&b); /* doc empty */
    mp_head (&b, PROTO_VERSION, PROTO_OFFER, 4);
    mp_bin (&b, SPEC_DATASET, 16);
    mp_bin (&b, big, 0);
    mp_bin (&b, sig, sizeof sig);
    mp_bin (&b, wrapped, sizeof wrapped);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* sig one byte short */
    mp_head (&b, PROTO_VERSION, PROTO_OFFER, 4);
    mp_bin (&b, SPEC_DATASET, 16);
    mp_bin (&b, big, 10);
    mp_bin (&b, sig, sizeof sig - 1);
    mp_bin (&b, wrapped, sizeof wrapped);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* dataset 17 bytes */
    mp_head (&b, PROTO_VERSION, PROTO_CREDIT, 2);
    mp_bin (&b, big, 17);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    memset (topic, 'a', sizeof topic);
    mp_init (&b); /* topic one byte too long */
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 2);
    mp_str (&b, topic, PROTO_TOPIC_MAX + 1);
    msgpack_pack_uint64 (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    memset (reason, 'r', sizeof reason);
    mp_init (&b); /* reason one byte too long */
    mp_head (&b, PROTO_VERSION, PROTO_ERROR, 3);
    msgpack_pack_uint64 (&b.pk, PROTO_E_STATE);
    mp_str (&b, reason, PROTO_REASON_MAX + 1);
    mp_bin (&b, SPEC_DATASET, 16);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

static proto_err_t s_decode_subscribe (const char *topic, size_t n)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_SUBSCRIBE, 2);
    mp_str (&b, topic, n);
    msgpack_pack_uint64 (&b.pk, 0);
    return mp_decode (&b, &m);
}

START_TEST (test_decode_topic_rules)
{
    ck_assert_int_eq (s_decode_subscribe ("apc/monthly", 11), PROTO_OK);
    ck_assert_int_eq (s_decode_subscribe ("A-z_0.9/x", 9), PROTO_OK);
    ck_assert_int_eq (s_decode_subscribe ("", 0), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("apc monthly", 11), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("/apc", 4), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe (".apc", 4), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("apc\0x", 5), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("apc*", 4), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("apc\\x", 5), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("caf\xc3\xa9", 5), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_subscribe ("apc\n", 4), PROTO_E_MALFORMED);
}
END_TEST

static proto_err_t s_decode_error_reason (const char *reason, size_t n)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_ERROR, 3);
    msgpack_pack_uint64 (&b.pk, PROTO_E_STATE);
    mp_str (&b, reason, n);
    mp_bin (&b, SPEC_DATASET, 16);
    return mp_decode (&b, &m);
}

START_TEST (test_decode_reason_rules)
{
    ck_assert_int_eq (s_decode_error_reason ("", 0), PROTO_OK);
    ck_assert_int_eq (s_decode_error_reason ("caf\xc3\xa9", 5), PROTO_OK);
    ck_assert_int_eq (s_decode_error_reason ("a\0b", 3), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_error_reason ("a\nb", 3), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_error_reason ("a\x1b[2Jb", 6), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_error_reason ("a\x7f", 2), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_error_reason ("\xc2\x85", 2), PROTO_E_MALFORMED);     /* NEL */
    ck_assert_int_eq (s_decode_error_reason ("\xe2\x80\xae", 3), PROTO_E_MALFORMED); /* RLO */
    ck_assert_int_eq (s_decode_error_reason ("\xff", 1), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_error_reason ("\xc3", 1), PROTO_E_MALFORMED);         /* cut */
    ck_assert_int_eq (s_decode_error_reason ("\xc0\xaf", 2), PROTO_E_MALFORMED);     /* overlong */
    ck_assert_int_eq (s_decode_error_reason ("\xed\xa0\x80", 3), PROTO_E_MALFORMED); /* surrogate */
    ck_assert_int_eq (s_decode_error_reason ("\xf4\x90\x80\x80", 4), PROTO_E_MALFORMED);
}
END_TEST

/* SETTING(kind, org, "apc/monthly", 0, 1, node) in a version 3 header. */
static proto_err_t s_decode_setting (const char *kind, const char *org, const char *node)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, 3, PROTO_SETTING, 6);
    mp_cstr (&b, kind);
    mp_cstr (&b, org);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 0);
    msgpack_pack_uint64 (&b.pk, 1);
    mp_cstr (&b, node);
    return mp_decode (&b, &m);
}

START_TEST (test_decode_setting_rules)
{
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V"), PROTO_OK);
    ck_assert_int_eq (s_decode_setting ("retention", "0DF", "04V/b"), PROTO_OK);
    ck_assert_int_eq (s_decode_setting ("later-kind", "0DF", "04V/node9"), PROTO_OK); /* kinds are open */
    ck_assert_int_eq (s_decode_setting ("", "0DF", "04V"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("Sub", "0DF", "04V"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("a-kind-of-17-byte", "0DF", "04V"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0df", "04V"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF/a", "04V"), PROTO_E_MALFORMED); /* an org, not a node */
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V/"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V/B"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V/9a"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V/abcdefghi"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V/a/b"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "/a"), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_setting ("sub", "0DF", "04V\na"), PROTO_E_MALFORMED);
}
END_TEST

static proto_err_t s_decode_credit (uint8_t id, uint64_t credit)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, id, id == PROTO_ACCEPT ? 3 : 2);
    mp_bin (&b, SPEC_DATASET, 16);
    if (id == PROTO_ACCEPT) msgpack_pack_uint64 (&b.pk, 0);
    msgpack_pack_uint64 (&b.pk, credit);
    return mp_decode (&b, &m);
}

START_TEST (test_decode_credit_bounds)
{
    ck_assert_int_eq (s_decode_credit (PROTO_CREDIT, 1), PROTO_OK);
    ck_assert_int_eq (s_decode_credit (PROTO_CREDIT, PROTO_CREDIT_MAX), PROTO_OK);
    ck_assert_int_eq (s_decode_credit (PROTO_CREDIT, 0), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_credit (PROTO_CREDIT, PROTO_CREDIT_MAX + 1), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_credit (PROTO_CREDIT, UINT64_MAX), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_credit (PROTO_ACCEPT, 0), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_credit (PROTO_ACCEPT, PROTO_CREDIT_MAX + 1), PROTO_E_MALFORMED);
    ck_assert_int_eq (s_decode_credit (PROTO_ACCEPT, 8), PROTO_OK);
}
END_TEST

START_TEST (test_decode_code_bounds)
{
    proto_msg_t m;
    for (uint64_t code = 0; code <= PROTO_E_MAX + 1; code++) {
        mp_t b;
        mp_init (&b);
        mp_head (&b, PROTO_VERSION, PROTO_ERROR, 3);
        msgpack_pack_uint64 (&b.pk, code);
        mp_cstr (&b, "x");
        mp_bin (&b, SPEC_DATASET, 16);
        proto_err_t want = (code >= 1 && code <= PROTO_E_MAX) ? PROTO_OK : PROTO_E_MALFORMED;
        ck_assert_msg (mp_decode (&b, &m) == want, "code %d", (int)code);
    }
}
END_TEST

START_TEST (test_decode_refuses_big_frame)
{
    proto_msg_t m;
    static uint8_t big[PROTO_HEADER_MAX + 1];
    mp_t b;
    /* refused on size alone, before any parsing */
    ck_assert_int_eq (proto_decode (big, sizeof big, &m), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "exceeds 8192"));
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, PROTO_OFFER, 4);
    mp_bin (&b, SPEC_DATASET, 16);
    mp_bin (&b, big, PROTO_HEADER_MAX);
    mp_bin (&b, big, PROTO_SIG_BYTES);
    mp_bin (&b, big, PROTO_WRAPPED_BYTES);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_decode_refuses_hostile_msgpack)
{
    proto_msg_t m;
    /* array32 claiming 4G elements: refused before msgpack-c allocates */
    static const uint8_t huge_array[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01};
    ck_assert_int_eq (proto_decode (huge_array, sizeof huge_array, &m), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "claims more elements"));
    static const uint8_t huge_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01};
    ck_assert_int_eq (proto_decode (huge_map, sizeof huge_map, &m), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "claims more elements"));
    /* str32 and bin32 claiming 4 GB */
    static const uint8_t huge_str[] = {0x93, 0x01, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41};
    ck_assert_int_eq (proto_decode (huge_str, sizeof huge_str, &m), PROTO_E_MALFORMED);
    static const uint8_t huge_bin[] = {0x93, 0x01, 0x05, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x41};
    ck_assert_int_eq (proto_decode (huge_bin, sizeof huge_bin, &m), PROTO_E_MALFORMED);
    /* the byte msgpack never uses */
    static const uint8_t never[] = {0x92, 0x01, 0xc1};
    ck_assert_int_eq (proto_decode (never, sizeof never, &m), PROTO_E_MALFORMED);
    /* ext types */
    static const uint8_t ext[] = {0x94, 0x01, 0x06, 0xd4, 0x01, 0x00, 0x01};
    ck_assert_int_eq (proto_decode (ext, sizeof ext, &m), PROTO_E_MALFORMED);
    /* deep nesting, far beyond msgpack-c's own stack */
    uint8_t deep[4096];
    memset (deep, 0x91, sizeof deep - 1);
    deep[sizeof deep - 1] = 0x01;
    ck_assert_int_eq (proto_decode (deep, sizeof deep, &m), PROTO_E_MALFORMED);
    /* thousands of tiny elements: bounded work, refused on the field count */
    static uint8_t wide[PROTO_HEADER_MAX];
    wide[0] = 0xdc;
    wide[1] = (uint8_t)((PROTO_HEADER_MAX - 3) >> 8);
    wide[2] = (uint8_t)((PROTO_HEADER_MAX - 3) & 0xff);
    memset (wide + 3, 0x01, sizeof wide - 3);
    ck_assert_int_eq (proto_decode (wide, sizeof wide, &m), PROTO_E_MALFORMED);
}
END_TEST

/* Single-byte changes (to the values that matter to msgpack) of every
   valid frame must be handled: refused, or accepted as something the
   encoder would also produce. */
START_TEST (test_decode_survives_mutations)
{
    for (uint8_t id = 1; id <= PROTO_MSG_MAX; id++) {
        uint8_t buf[PROTO_HEADER_MAX], again[PROTO_HEADER_MAX];
        if (strcmp (proto_name (id), "UNKNOWN") == 0) continue;
        size_t len = check_encode_example (id, buf);
        for (size_t i = 0; i < len; i++) {
            uint8_t orig = buf[i];
            const uint8_t values[] = {0x00,
                                      0x01,
                                      0x02,
                                      0x08,
                                      0x0f,
                                      0x10,
                                      0x40,
                                      0x7f,
                                      0x80,
                                      0x90,
                                      0x9f,
                                      0xa0,
                                      0xbf,
                                      0xc0,
                                      0xc1,
                                      0xc2,
                                      0xc4,
                                      0xc5,
                                      0xc6,
                                      0xcc,
                                      0xcf,
                                      0xd0,
                                      0xd3,
                                      0xd4,
                                      0xd9,
                                      0xdb,
                                      0xdc,
                                      0xdd,
                                      0xde,
                                      0xdf,
                                      0xe0,
                                      0xff,
                                      (uint8_t)(orig + 1),
                                      (uint8_t)(orig - 1),
                                      (uint8_t)(orig ^ 0x80)};
            for (size_t k = 0; k < sizeof values; k++) {
                proto_msg_t m, m2;
                size_t len2;
                int v = values[k];
                buf[i] = (uint8_t)v;
                if (proto_decode (buf, len, &m) != PROTO_OK) continue;
                ck_assert_msg (proto_encode (&m, again, sizeof again, &len2) == 0,
                               "%s byte %zu = %02x: decoded but cannot re-encode: %s",
                               proto_name (id), i, v, proto_error ());
                ck_assert_int_eq (proto_decode (again, len2, &m2), PROTO_OK);
                /* re-encoded in the version its message is sent in */
                ck_assert_uint_eq (m2.version, proto_msg_version (m.id));
                m2.version = m.version;
                ck_assert (memcmp (&m, &m2, sizeof m) == 0);
            }
            buf[i] = orig;
        }
    }
}
END_TEST

void check_decode_tests (TCase *t)
{
    tcase_add_test (t, test_decode_refuses_empty);
    tcase_add_test (t, test_decode_refuses_every_prefix);
    tcase_add_test (t, test_decode_refuses_trailing_bytes);
    tcase_add_test (t, test_decode_refuses_non_array);
    tcase_add_test (t, test_decode_refuses_wrong_version);
    tcase_add_test (t, test_decode_refuses_unknown_id);
    tcase_add_test (t, test_decode_refuses_wrong_field_count);
    tcase_add_test (t, test_decode_refuses_wrong_field_type);
    tcase_add_test (t, test_decode_refuses_oversize);
    tcase_add_test (t, test_decode_topic_rules);
    tcase_add_test (t, test_decode_reason_rules);
    tcase_add_test (t, test_decode_setting_rules);
    tcase_add_test (t, test_decode_credit_bounds);
    tcase_add_test (t, test_decode_code_bounds);
    tcase_add_test (t, test_decode_refuses_big_frame);
    tcase_add_test (t, test_decode_refuses_hostile_msgpack);
    tcase_add_test (t, test_decode_survives_mutations);
}
