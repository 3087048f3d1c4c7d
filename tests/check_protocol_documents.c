/*  check_protocol_documents: the signed documents (document.c): manifest,
    receipt and agreement round trips and golden vectors, keys in any
    order but each once, every field rule, the cross-field checks, and
    what an agreement covers (agreement.c). Not for: messages.
*/
#include "check_protocol.h"
#include "spec_vectors.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- manifest and receipt ------------------------------------------------- */

static const char MANIFEST_HEX[] =
    "de0010a6666f726d617401a764617461736574c410000102030405060708090a"
    "0b0c0d0e0fa97075626c6973686572a3304446a5746f706963ab6170632f6d6f"
    "6e74686c79a776657273696f6e03a5636c617373ad70736575646f6e796d6973"
    "6564a7707572706f7365ad636f6d6d697373696f6e696e67a866696c656e616d"
    "65af6170635f323032362d31302e637376a56279746573ce002625a0aa636875"
    "6e6b5f73697a65ce00100000a66368756e6b7303a468617368c420e0e1e2e3e4"
    "e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeffa763726561"
    "746564ce6b074c50ab6c6567616c5f6261736973a0a76f70745f6f7574b06e6f"
    "742d6964656e7469666961626c65a961677265656d656e74a0";
static const char RECEIPT_HEX[] = "86a6666f726d617401a764617461736574c410000102030405060708090a0b0c"
                                  "0d0e0fa468617368c420e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5"
                                  "f6f7f8f9fafbfcfdfeffa9726563697069656e74a3303456ad72656369706965"
                                  "6e745f6b6579c420303132333435363738393a3b3c3d3e3f4041424344454647"
                                  "48494a4b4c4d4e4fa87265636569766564ce6b074c8c";

START_TEST (test_manifest_round_trip_and_golden)
{
    proto_manifest_t in, out;
    uint8_t buf[PROTO_DOC_MAX];
    char hex[2 * PROTO_DOC_MAX + 1];
    size_t len;
    spec_example_manifest (&in);
    ck_assert_msg (proto_manifest_encode (&in, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_manifest_decode (buf, len, &out), PROTO_OK);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    check_hex (buf, len, hex);
    check_print_vector ("manifest", buf, len);
    ck_assert_msg (strcmp (hex, MANIFEST_HEX) == 0, "manifest encodes as\n%s", hex);
}
END_TEST

START_TEST (test_receipt_round_trip_and_golden)
{
    proto_receipt_t in, out;
    uint8_t buf[PROTO_DOC_MAX];
    char hex[2 * PROTO_DOC_MAX + 1];
    size_t len;
    spec_example_receipt (&in);
    ck_assert_msg (proto_receipt_encode (&in, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_receipt_decode (buf, len, &out), PROTO_OK);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    check_hex (buf, len, hex);
    check_print_vector ("receipt", buf, len);
    ck_assert_msg (strcmp (hex, RECEIPT_HEX) == 0, "receipt encodes as\n%s", hex);
}
END_TEST

static const char AGREEMENT_HEX[] =
    "de0015a6666f726d617401a3726566b34453412d3044462d3034562d32303236"
    "2d3031a870726f7669646572a3304446ab70726f76696465725f6967a7412e20"
    "4c656164a9726563697069656e74a3303456ac726563697069656e745f6967a7"
    "422e204c656164aa636f6e74726f6c6c6572a0ad636f6e74726f6c6c65725f69"
    "67a0a6746f70696373b06170632f2a2c6f702f6d6f6e74686c79a5636c617373"
    "ad70736575646f6e796d69736564a8707572706f736573ad636f6d6d69737369"
    "6f6e696e67a461727436a736283129286529a461727439a739283229286829a4"
    "64757479a0a76f70745f6f757400a57374617274ce6b074c50a3656e64ce6ce8"
    "7fd0ae726574656e74696f6e5f64617973cd016da66f6e7761726400aa636f6e"
    "646974696f6e73a0a763726561746564ce6b074c50";

START_TEST (test_agreement_matching)
{
    ck_assert (agreement_covers_topic ("apc/*,op/monthly", "apc/monthly"));
    ck_assert (agreement_covers_topic ("apc/*,op/monthly", "apc/"));
    ck_assert (agreement_covers_topic ("apc/*,op/monthly", "op/monthly"));
    ck_assert (!agreement_covers_topic ("apc/*,op/monthly", "op/monthly2"));
    ck_assert (!agreement_covers_topic ("apc/*,op/monthly", "apc"));
    ck_assert (!agreement_covers_topic ("apc/*", "xapc/1"));
    ck_assert (agreement_covers_topic ("*", "anything/at/all"));
    ck_assert (!agreement_covers_topic ("*", ""));
    ck_assert (agreement_lists_purpose ("commissioning,risk-stratification", "risk-stratification"));
    ck_assert (!agreement_lists_purpose ("commissioning,risk-stratification", "risk"));
    ck_assert (!agreement_lists_purpose ("commissioning", "commissioning-x"));
    ck_assert_int_eq (agreement_class_rank ("aggregate"), 0);
    ck_assert_int_eq (agreement_class_rank ("pseudonymised"), 1);
    ck_assert_int_eq (agreement_class_rank ("identifiable"), 2);
    ck_assert_int_eq (agreement_class_rank ("secret"), -1);
    ck_assert_int_eq (agreement_class_rank (NULL), -1);
}
END_TEST

START_TEST (test_agreement_round_trip_and_golden)
{
    proto_agreement_t in, out;
    uint8_t buf[PROTO_DOC_MAX];
    char hex[2 * PROTO_DOC_MAX + 1];
    size_t len;
    spec_example_agreement (&in);
    ck_assert_msg (proto_agreement_encode (&in, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_agreement_decode (buf, len, &out), PROTO_OK);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    check_hex (buf, len, hex);
    check_print_vector ("agreement", buf, len);
    ck_assert_msg (strcmp (hex, AGREEMENT_HEX) == 0, "agreement encodes as\n%s", hex);
}
END_TEST

/* Every rule of the agreement refuses at both ends: the encoder will not
   write it and the decoder will not take it. */
START_TEST (test_agreement_refusals)
{
    proto_agreement_t a, out;
    uint8_t buf[PROTO_DOC_MAX];
    size_t len;
    spec_example_agreement (&a);
    a.opt_out = 1;
    strcpy (a.controller, "QNQ");
    strcpy (a.controller_ig, "C. Lead");
    strcpy (a.topics, "*");
    ck_assert_msg (proto_agreement_encode (&a, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_agreement_decode (buf, len, &out), PROTO_OK);
    static const char *const what[] = {
        "end before start", "end at start", "one party twice", "empty topic item",
        "star inside a pattern", "topic starting with /", "purpose upper case", "empty purpose item",
        "class unknown", "controller not an org", "controller IG without controller",
        "IG lead with a control character", "no Article 6", "retention 0 days", "onward 2", "opt_out 2"};
    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
        proto_agreement_t x = a;
        switch (i) {
        case 0: x.end = x.start - 1; break;
        case 1: x.end = x.start; break;
        case 2: strcpy (x.recipient, x.provider); break;
        case 3: strcpy (x.topics, "apc/*,,op"); break;
        case 4: strcpy (x.topics, "apc*/x"); break;
        case 5: strcpy (x.topics, "/apc"); break;
        case 6: strcpy (x.purposes, "Commissioning"); break;
        case 7: strcpy (x.purposes, "commissioning,"); break;
        case 8: strcpy (x.class_, "secret"); break;
        case 9: strcpy (x.controller, "qnq"); break;
        case 10: x.controller[0] = 0; break;
        case 11: strcpy (x.provider_ig, "A\x1b[2J"); break;
        case 12: x.art6[0] = 0; break;
        case 13: x.retention_days = 0; break;
        case 14: x.onward = 2; break;
        case 15: x.opt_out = 2; break;
        }
        ck_assert_msg (proto_agreement_encode (&x, buf, sizeof buf, &len) == -1, "encoder took: %s", what[i]);
    }
    /* the decoder: the valid encoding with its end moved before its start */
    spec_example_agreement (&a);
    a.end = a.start + 1;
    ck_assert_int_eq (proto_agreement_encode (&a, buf, sizeof buf, &len), 0);
    mp_t b;
    mp_init (&b);
    msgpack_pack_map (&b.pk, 1);
    mp_cstr (&b, "format");
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (proto_agreement_decode ((const uint8_t *)b.sb.data, b.sb.size, &out), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "missing"));
    msgpack_sbuffer_destroy (&b.sb);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq (proto_agreement_decode (buf, cut, &out), PROTO_E_MALFORMED);
}
END_TEST

/* Packs M as a manifest map without any checks, leaving out key SKIP,
   repeating key DUP and adding key EXTRA (each may be NULL). */
static void s_pack_manifest (mp_t *b, const proto_manifest_t *m, const char *skip, const char *dup,
                             const char *extra)
{
    static const char *const keys[] = {"format",      "dataset", "publisher", "topic", "version",
                                       "class",       "purpose", "filename",  "bytes", "chunk_size",
                                       "chunks",      "hash",    "created",   "legal_basis",
                                       "opt_out",     "agreement"};
    size_t n = 16 - (skip != NULL) + (dup != NULL) + (extra != NULL);
    msgpack_pack_map (&b->pk, n);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < 16; i++) {
            const char *k = keys[i];
            if (pass == 0 && skip && strcmp (k, skip) == 0) continue;
            if (pass == 1 && !(dup && strcmp (k, dup) == 0)) continue;
            mp_cstr (b, k);
            switch (i) {
            case 0:
                msgpack_pack_uint64 (&b->pk, m->format);
                break;
            case 1:
                mp_bin (b, m->dataset, 16);
                break;
            case 2:
                mp_cstr (b, m->publisher);
                break;
            case 3:
                mp_cstr (b, m->topic);
                break;
            case 4:
                msgpack_pack_uint64 (&b->pk, m->version);
                break;
            case 5:
                mp_cstr (b, m->class_);
                break;
            case 6:
                mp_cstr (b, m->purpose);
                break;
            case 7:
                mp_cstr (b, m->filename);
                break;
            case 8:
                msgpack_pack_uint64 (&b->pk, m->bytes);
                break;
            case 9:
                msgpack_pack_uint64 (&b->pk, m->chunk_size);
                break;
            case 10:
                msgpack_pack_uint64 (&b->pk, m->chunks);
                break;
            case 11:
                mp_bin (b, m->hash, 32);
                break;
            case 12:
                msgpack_pack_int64 (&b->pk, m->created);
                break;
            case 13:
                mp_cstr (b, m->legal_basis);
                break;
            case 14:
                mp_cstr (b, m->opt_out);
                break;
            case 15:
                mp_cstr (b, m->agreement);
                break;
            }
        }
    }
    if (extra) {
        mp_cstr (b, extra);
        msgpack_pack_uint64 (&b->pk, 1);
    }
}

static proto_err_t s_manifest_try (const proto_manifest_t *m, const char *skip, const char *dup,
                                   const char *extra)
{
    proto_manifest_t out;
    mp_t b;
    mp_init (&b);
    s_pack_manifest (&b, m, skip, dup, extra);
    proto_err_t rc = proto_manifest_decode ((const uint8_t *)b.sb.data, b.sb.size, &out);
    msgpack_sbuffer_destroy (&b.sb);
    return rc;
}

START_TEST (test_manifest_keys_any_order_once)
{
    proto_manifest_t m;
    spec_example_manifest (&m);
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);
    {
        proto_manifest_t out;
        mp_t b;
        mp_init (&b);
        msgpack_pack_map (&b.pk, 16);
        /* reversed order */
        mp_kv_str (&b, "agreement", m.agreement);
        mp_kv_str (&b, "opt_out", m.opt_out);
        mp_kv_str (&b, "legal_basis", m.legal_basis);
        mp_kv_int (&b, "created", m.created);
        mp_kv_bin (&b, "hash", m.hash, 32);
        mp_kv_uint (&b, "chunks", m.chunks);
        mp_kv_uint (&b, "chunk_size", m.chunk_size);
        mp_kv_uint (&b, "bytes", m.bytes);
        mp_kv_str (&b, "filename", m.filename);
        mp_kv_str (&b, "purpose", m.purpose);
        mp_kv_str (&b, "class", m.class_);
        mp_kv_uint (&b, "version", m.version);
        mp_kv_str (&b, "topic", m.topic);
        mp_kv_str (&b, "publisher", m.publisher);
        mp_kv_bin (&b, "dataset", m.dataset, 16);
        mp_kv_uint (&b, "format", 1);
        ck_assert_int_eq (proto_manifest_decode ((const uint8_t *)b.sb.data, b.sb.size, &out),
                          PROTO_OK);
        msgpack_sbuffer_destroy (&b.sb);
        ck_assert (memcmp (&m, &out, sizeof m) == 0);
    }
}
END_TEST

START_TEST (test_manifest_refuses_missing_key)
{
    static const char *const keys[] = {"format",  "dataset", "publisher",   "topic",   "version",
                                       "class",   "purpose", "filename",    "bytes",   "chunk_size",
                                       "chunks",  "hash",    "created",     "legal_basis", "opt_out",
                                       "agreement"};
    proto_manifest_t m;
    spec_example_manifest (&m);
    for (size_t i = 0; i < 16; i++) {
        ck_assert_msg (s_manifest_try (&m, keys[i], NULL, NULL) == PROTO_E_MALFORMED,
                       "missing %s accepted", keys[i]);
        ck_assert_ptr_nonnull (strstr (proto_error (), "missing"));
    }
}
END_TEST

START_TEST (test_manifest_refuses_duplicate_key)
{
    proto_manifest_t m;
    spec_example_manifest (&m);
    ck_assert_int_eq (s_manifest_try (&m, NULL, "version", NULL), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "twice"));
    ck_assert_int_eq (s_manifest_try (&m, NULL, "hash", NULL), PROTO_E_MALFORMED);
    /* a duplicate standing in for a missing key is still refused */
    ck_assert_int_eq (s_manifest_try (&m, "topic", "format", NULL), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_manifest_refuses_unknown_key)
{
    proto_manifest_t m;
    spec_example_manifest (&m);
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, "colour"), PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "unknown key \"colour\""));
    ck_assert_int_eq (s_manifest_try (&m, "topic", NULL, "Topic"), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_manifest_chunks_consistency)
{
    proto_manifest_t m, out;
    uint8_t buf[PROTO_DOC_MAX];
    size_t len;
    spec_example_manifest (&m);
    m.chunks = 2; /* 2500000 bytes in 1 MiB chunks is 3 */
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), -1);
    m.chunks = 4;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);

    m.bytes = 0; /* empty file: no chunks */
    m.chunks = 0;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);
    m.chunks = 1;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);

    m.bytes = 3u << 20; /* exact multiple */
    m.chunks = 3;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);

    m.bytes = INT64_MAX; /* no overflow in the rounding */
    m.chunk_size = PROTO_CHUNK_MAX;
    m.chunks = ((uint64_t) INT64_MAX >> 20) + 1;
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_manifest_decode (buf, len, &out), PROTO_OK);
    m.chunk_size = 1;
    m.chunks = INT64_MAX;
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_manifest_decode (buf, len, &out), PROTO_OK);
    m.chunks = 0;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    /* Sizes and versions stop at 2^63 - 1: what a store can hold. */
    m.bytes = (uint64_t) INT64_MAX + 1;
    m.chunks = (uint64_t) INT64_MAX + 1;
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), -1);
}
END_TEST

START_TEST (test_manifest_field_rules)
{
    proto_manifest_t m;
    spec_example_manifest (&m);
    m.format = 2;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    m.version = 0;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    strcpy (m.class_, "secret");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    strcpy (m.purpose, "Commissioning");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.purpose, "");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    strcpy (m.filename, "../etc/passwd");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.filename, "..");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.filename, "a\tb.csv");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.filename, "");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);
    spec_example_manifest (&m);
    strcpy (m.publisher, "0df");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.publisher, "ABCDEF");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    strcpy (m.topic, "/etc");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    m.chunk_size = PROTO_CHUNK_MAX + 1;
    m.chunks = 3;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    m.chunk_size = 0;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    spec_example_manifest (&m);
    m.created = -1; /* an int, so negative is representable */
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);
}
END_TEST

START_TEST (test_manifest_refuses_bad_frames)
{
    proto_manifest_t m, out;
    uint8_t buf[PROTO_DOC_MAX + 1];
    size_t len;
    spec_example_manifest (&m);
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    for (size_t n = 0; n < len; n++)
        ck_assert_int_eq (proto_manifest_decode (buf, n, &out), PROTO_E_MALFORMED);
    buf[len] = 0xc0;
    ck_assert_int_eq (proto_manifest_decode (buf, len + 1, &out), PROTO_E_MALFORMED);
    for (size_t cap = 0; cap < len; cap++)
        ck_assert_int_eq (proto_manifest_encode (&m, buf, cap, &len), -1);

    mp_t b; /* an array is not a map */
    mp_init (&b);
    msgpack_pack_array (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (proto_manifest_decode ((const uint8_t *)b.sb.data, b.sb.size, &out),
                      PROTO_E_MALFORMED);
    msgpack_sbuffer_destroy (&b.sb);

    mp_init (&b); /* keys must be str */
    msgpack_pack_map (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    msgpack_pack_uint64 (&b.pk, 1);
    ck_assert_int_eq (proto_manifest_decode ((const uint8_t *)b.sb.data, b.sb.size, &out),
                      PROTO_E_MALFORMED);
    msgpack_sbuffer_destroy (&b.sb);

    proto_receipt_t r; /* a receipt is not a manifest */
    spec_example_receipt (&r);
    ck_assert_int_eq (proto_receipt_encode (&r, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_manifest_decode (buf, len, &out), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_receipt_refusals)
{
    proto_receipt_t r, out;
    uint8_t buf[PROTO_DOC_MAX];
    size_t len;
    spec_example_receipt (&r);
    strcpy (r.recipient, "04v");
    ck_assert_int_eq (proto_receipt_encode (&r, buf, sizeof buf, &len), -1);
    spec_example_receipt (&r);
    r.format = 0;
    ck_assert_int_eq (proto_receipt_encode (&r, buf, sizeof buf, &len), -1);

    mp_t b; /* missing "received" */
    mp_init (&b);
    msgpack_pack_map (&b.pk, 5);
    mp_kv_uint (&b, "format", 1);
    mp_kv_bin (&b, "dataset", SPEC_DATASET, 16);
    mp_kv_bin (&b, "hash", r.hash, 32);
    mp_kv_str (&b, "recipient", "04V");
    mp_kv_bin (&b, "recipient_key", r.recipient_key, 32);
    ck_assert_int_eq (proto_receipt_decode ((const uint8_t *)b.sb.data, b.sb.size, &out),
                      PROTO_E_MALFORMED);
    ck_assert_ptr_nonnull (strstr (proto_error (), "received"));
    msgpack_sbuffer_destroy (&b.sb);

    mp_init (&b); /* received as a str, hash too short */
    msgpack_pack_map (&b.pk, 6);
    mp_kv_uint (&b, "format", 1);
    mp_kv_bin (&b, "dataset", SPEC_DATASET, 16);
    mp_kv_bin (&b, "hash", r.hash, 31);
    mp_kv_str (&b, "recipient", "04V");
    mp_kv_bin (&b, "recipient_key", r.recipient_key, 32);
    mp_kv_str (&b, "received", "now");
    ck_assert_int_eq (proto_receipt_decode ((const uint8_t *)b.sb.data, b.sb.size, &out),
                      PROTO_E_MALFORMED);
    msgpack_sbuffer_destroy (&b.sb);

    /* a manifest is not a receipt */
    proto_manifest_t m;
    spec_example_manifest (&m);
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_receipt_decode (buf, len, &out), PROTO_E_MALFORMED);
}
END_TEST

void check_documents_tests (TCase *t)
{
    tcase_add_test (t, test_manifest_round_trip_and_golden);
    tcase_add_test (t, test_receipt_round_trip_and_golden);
    tcase_add_test (t, test_agreement_round_trip_and_golden);
    tcase_add_test (t, test_agreement_refusals);
    tcase_add_test (t, test_agreement_matching);
    tcase_add_test (t, test_manifest_keys_any_order_once);
    tcase_add_test (t, test_manifest_refuses_missing_key);
    tcase_add_test (t, test_manifest_refuses_duplicate_key);
    tcase_add_test (t, test_manifest_refuses_unknown_key);
    tcase_add_test (t, test_manifest_chunks_consistency);
    tcase_add_test (t, test_manifest_field_rules);
    tcase_add_test (t, test_manifest_refuses_bad_frames);
    tcase_add_test (t, test_receipt_refusals);
}
