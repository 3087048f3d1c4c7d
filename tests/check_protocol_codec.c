/*  check_protocol_codec: the message codec: a round trip and a golden
    vector (SPEC.md section 18) for every message of messages.def, names
    and payloads, and what the encoder refuses. Not for: refusals of the
    decoder (check_protocol_decode.c).
*/
#include "check_protocol.h"
#include "spec_vectors.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages: round trips and golden vectors --------------------------- */

START_TEST (test_roundtrip_every_message)
{
    uint8_t id = (uint8_t)_i;
    proto_msg_t in, out;
    if (strcmp (proto_name (id), "UNKNOWN") == 0) return; /* reserved for other work */
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;
    check_example (id, &in);
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_msg (proto_decode (buf, len, &out) == PROTO_OK, "%s: %s", proto_name (id),
                   proto_error ());
    ck_assert_int_eq (out.id, id);
    ck_assert_uint_eq (out.version, proto_msg_version (id));
    ck_assert_msg (memcmp (&in, &out, sizeof in) == 0, "%s differs after a round trip",
                   proto_name (id));
    ck_assert_str_eq (proto_error (), ""); /* no reason after a success */
}
END_TEST

/* Recorded once from this codec; a change here is a wire change and needs a
   new protocol version, not a new string. */
static const struct {
    uint8_t id;
    const char *hex;
} GOLDEN[] = {
    {PROTO_SUBSCRIBE, "940101ab6170632f6d6f6e74686c7900"},
    {PROTO_RESEND, "94020dab6170632f6d6f6e74686c7903"},      /* version 2 */
    {PROTO_SETTING, "98030fa3737562a3304446ab6170632f6d6f6e74686c7900ce6b074c50a53034562f62"},  /* version 3 */
    {PROTO_FAILOVER, "960310a53044462f61cf000001a214821880cd3b9202"},
    {PROTO_DELIVERED, "95030ec410000102030405060708090a0b0c0d0e0fc49686a6666f726d617401"
                      "a764617461736574c410000102030405060708090a0b0c0d0e0fa468617368c4"
                      "20e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfe"
                      "ffa9726563697069656e74a3303456ad726563697069656e745f6b6579c42030"
                      "3132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4fa8"
                      "7265636569766564ce6b074c8cc440a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0"
                      "b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0"
                      "d1d2d3d4d5d6d7d8d9dadbdcdddedf"},
    {PROTO_UNSUBSCRIBE, "930109ab6170632f6d6f6e74686c79"},
    {PROTO_DIRECTORY, "93010a07"},
    {PROTO_SUBSCRIBED, "940102ab6170632f6d6f6e74686c79a6616374697665"},
    {PROTO_OFFER, "960103c410000102030405060708090a0b0c0d0e0fc50119de0010a6666f726d"
                  "617401a764617461736574c410000102030405060708090a0b0c0d0e0fa97075"
                  "626c6973686572a3304446a5746f706963ab6170632f6d6f6e74686c79a77665"
                  "7273696f6e03a5636c617373ad70736575646f6e796d69736564a7707572706f"
                  "7365ad636f6d6d697373696f6e696e67a866696c656e616d65af6170635f3230"
                  "32362d31302e637376a56279746573ce002625a0aa6368756e6b5f73697a65ce"
                  "00100000a66368756e6b7303a468617368c420e0e1e2e3e4e5e6e7e8e9eaebec"
                  "edeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeffa763726561746564ce6b074c50"
                  "ab6c6567616c5f6261736973a0a76f70745f6f7574b06e6f742d6964656e7469"
                  "666961626c65a961677265656d656e74a0c440a0a1a2a3a4a5a6a7a8a9aaabac"
                  "adaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcc"
                  "cdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfc450202122232425262728292a"
                  "2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a"
                  "4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a"
                  "6b6c6d6e6f"},
    {PROTO_ACCEPT, "950104c410000102030405060708090a0b0c0d0e0f0008"},
    {PROTO_CHUNK, "940105c410000102030405060708090a0b0c0d0e0f02"},
    {PROTO_CREDIT, "940106c410000102030405060708090a0b0c0d0e0f01"},
    {PROTO_RECEIPT, "950107c410000102030405060708090a0b0c0d0e0fc49686a6666f726d617401"
                    "a764617461736574c410000102030405060708090a0b0c0d0e0fa468617368c4"
                    "20e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfe"
                    "ffa9726563697069656e74a3303456ad726563697069656e745f6b6579c42030"
                    "3132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4fa8"
                    "7265636569766564ce6b074c8cc440a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0"
                    "b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0"
                    "d1d2d3d4d5d6d7d8d9dadbdcdddedf"},
    {PROTO_AGREEMENT, "95010bc50135de0015a6666f726d617401a3726566b34453412d3044462d3034"
                      "562d323032362d3031a870726f7669646572a3304446ab70726f76696465725f"
                      "6967a7412e204c656164a9726563697069656e74a3303456ac72656369706965"
                      "6e745f6967a7422e204c656164aa636f6e74726f6c6c6572a0ad636f6e74726f"
                      "6c6c65725f6967a0a6746f70696373b06170632f2a2c6f702f6d6f6e74686c79"
                      "a5636c617373ad70736575646f6e796d69736564a8707572706f736573ad636f"
                      "6d6d697373696f6e696e67a461727436a736283129286529a461727439a73928"
                      "3229286829a464757479a0a76f70745f6f757400a57374617274ce6b074c50a3"
                      "656e64ce6ce87fd0ae726574656e74696f6e5f64617973cd016da66f6e776172"
                      "6400aa636f6e646974696f6e73a0a763726561746564ce6b074c50c440a0a1a2"
                      "a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2"
                      "c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfc44060"
                      "6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80"
                      "8182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"},
    {PROTO_REVOKE, "94010cc420e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fa"
                   "fbfcfdfeffd92173757065727365646564206279204453412d3044462d303456"
                   "2d323032362d3032"},
    {PROTO_ERROR, "95010805d9226e6f20737562736372697074696f6e20746f2030444620617063"
                  "2f6d6f6e74686c79c410000102030405060708090a0b0c0d0e0f"},
};
#define GOLDEN_COUNT ((int)(sizeof GOLDEN / sizeof GOLDEN[0]))

START_TEST (test_golden_every_message)
{
    uint8_t buf[PROTO_HEADER_MAX];
    char hex[2 * PROTO_HEADER_MAX + 1];
    size_t len = check_encode_example (GOLDEN[_i].id, buf);
    check_hex (buf, len, hex);
    check_print_vector (proto_name (GOLDEN[_i].id), buf, len);
    ck_assert_msg (strcmp (hex, GOLDEN[_i].hex) == 0, "%s encodes as\n%s\nexpected\n%s",
                   proto_name (GOLDEN[_i].id), hex, GOLDEN[_i].hex);
}
END_TEST

START_TEST (test_golden_covers_every_id)
{
    for (int id = 1; id <= PROTO_MSG_MAX; id++) {
        int found = 0;
        if (strcmp (proto_name ((uint8_t)id), "UNKNOWN") == 0) continue;
        for (int i = 0; i < GOLDEN_COUNT; i++)
            found |= GOLDEN[i].id == id;
        ck_assert_msg (found, "no golden vector for %s", proto_name ((uint8_t)id));
    }
}
END_TEST

START_TEST (test_names_and_payload)
{
    ck_assert_str_eq (proto_name (PROTO_SUBSCRIBE), "SUBSCRIBE");
    ck_assert_str_eq (proto_name (PROTO_ERROR), "ERROR");
    ck_assert_str_eq (proto_name (0), "UNKNOWN");
    ck_assert_str_eq (proto_name (PROTO_UNSUBSCRIBE), "UNSUBSCRIBE");
    ck_assert_str_eq (proto_name (PROTO_MSG_MAX + 1), "UNKNOWN");
    ck_assert_str_eq (proto_err_name (PROTO_E_MALFORMED), "MALFORMED");
    ck_assert_str_eq (proto_err_name (PROTO_E_UNKNOWN_DATASET), "UNKNOWN_DATASET");
    ck_assert_str_eq (proto_err_name (PROTO_E_INTERNAL), "INTERNAL");
    ck_assert_str_eq (proto_err_name (11), "UNKNOWN");
    for (int id = 0; id <= 255; id++)
        ck_assert_int_eq (proto_has_payload ((uint8_t)id), id == PROTO_CHUNK || id == PROTO_DIRECTORY);
}
END_TEST

START_TEST (test_error_without_dataset)
{
    proto_msg_t in, out;
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;
    memset (&in, 0, sizeof in);
    in.id = PROTO_ERROR;
    in.code = PROTO_E_VERSION;
    strcpy (in.reason, "");
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (out.code, PROTO_E_VERSION);
    ck_assert_str_eq (out.reason, "");
    static const uint8_t zero[PROTO_ID_BYTES];
    ck_assert_mem_eq (out.dataset, zero, sizeof zero);
}
END_TEST

START_TEST (test_limits_round_trip)
{
    /* the largest values every field allows travel intact */
    proto_msg_t in, out;
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;
    check_example (PROTO_OFFER, &in);
    in.doc_len = PROTO_DOC_MAX;
    memset (in.doc, 0x5a, sizeof in.doc);
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (out.doc_len, PROTO_DOC_MAX);
    ck_assert_mem_eq (out.doc, in.doc, PROTO_DOC_MAX);

    check_example (PROTO_SUBSCRIBE, &in);
    memset (in.topic, 'a', PROTO_TOPIC_MAX);
    in.topic[PROTO_TOPIC_MAX] = 0;
    in.number = UINT64_MAX;
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (strlen (out.topic), PROTO_TOPIC_MAX);
    ck_assert (out.number == UINT64_MAX);

    check_example (PROTO_ERROR, &in);
    memset (in.reason, 'r', PROTO_REASON_MAX);
    in.reason[PROTO_REASON_MAX] = 0;
    in.code = PROTO_E_MAX;
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (strlen (out.reason), PROTO_REASON_MAX);

    check_example (PROTO_CREDIT, &in);
    in.credit = PROTO_CREDIT_MAX;
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (out.credit, PROTO_CREDIT_MAX);

    /* UTF-8 text is fine in a reason */
    check_example (PROTO_ERROR, &in);
    strcpy (in.reason, "refus\xc3\xa9 \xe2\x9c\x93");
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_str_eq (out.reason, in.reason);
}
END_TEST

/* ---- encoder refusals --------------------------------------------------- */

START_TEST (test_encode_refuses_small_buffer)
{
    proto_msg_t m;
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len, need;
    check_example (PROTO_OFFER, &m);
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &need), 0);
    for (size_t cap = 0; cap < need; cap++)
        ck_assert_msg (proto_encode (&m, buf, cap, &len) == -1, "cap %zu accepted", cap);
    ck_assert_ptr_nonnull (strstr (proto_error (), "too small"));
    ck_assert_int_eq (proto_encode (&m, buf, need, &len), 0);
    ck_assert_uint_eq (len, need);
}
END_TEST

START_TEST (test_encode_refuses_bad_fields)
{
    proto_msg_t m;
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;

    check_example (PROTO_SUBSCRIBE, &m);
    m.id = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.id = PROTO_MSG_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);

    check_example (PROTO_SUBSCRIBE, &m);
    strcpy (m.topic, "");
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    strcpy (m.topic, "apc monthly");
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    ck_assert_ptr_nonnull (strstr (proto_error (), "SUBSCRIBE field 1 (topic)"));
    memset (m.topic, 'a', sizeof m.topic); /* not terminated */
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);

    check_example (PROTO_ACCEPT, &m);
    m.credit = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.credit = PROTO_CREDIT_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);

    check_example (PROTO_OFFER, &m);
    m.doc_len = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.doc_len = PROTO_DOC_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    ck_assert_ptr_nonnull (strstr (proto_error (), "OFFER field 2 (doc)"));

    check_example (PROTO_ERROR, &m);
    m.code = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.code = PROTO_E_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.code = PROTO_E_STATE;
    strcpy (m.reason, "line\nbreak");
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    strcpy (m.reason, "bad \xff utf-8");
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
}
END_TEST

void check_codec_tests (TCase *t)
{
    tcase_add_loop_test (t, test_roundtrip_every_message, 1, PROTO_MSG_MAX + 1);
    tcase_add_loop_test (t, test_golden_every_message, 0, GOLDEN_COUNT);
    tcase_add_test (t, test_golden_covers_every_id);
    tcase_add_test (t, test_names_and_payload);
    tcase_add_test (t, test_error_without_dataset);
    tcase_add_test (t, test_limits_round_trip);
    tcase_add_test (t, test_encode_refuses_small_buffer);
    tcase_add_test (t, test_encode_refuses_bad_fields);
}
