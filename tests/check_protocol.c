/*  check_protocol: the Check suite for protocol/ (wire codec, manifest,
    receipt and identity card).

    It proves round trips for every message and document, pins every wire
    encoding to a golden hex string recorded once (so an accidental change
    to the wire fails here, not between two NHS organisations), and feeds
    the decoders the malformed input a hostile peer would send. Not for:
    sockets, crypto or storage (other suites).

    Set CDX_PRINT_VECTORS=1 to print the encodings (used for SPEC.md).
*/
#include "card.h"
#include "proto.h"
#include "agreement.h"
#include "cx.h"
#include "spec_vectors.h"

#include <check.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static void s_hex (const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

static void s_fill (uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(first + i);
}

static void s_print_vector (const char *name, const uint8_t *p, size_t n)
{
    if (!getenv ("CDX_PRINT_VECTORS")) return;
    printf ("== %s (%zu bytes)\n", name, n);
    for (size_t i = 0; i < n; i += 16) {
        printf ("%04zx ", i);
        for (size_t j = i; j < i + 16 && j < n; j++)
            printf (" %02x", p[j]);
        printf ("\n");
    }
}

/* A msgpack builder for hand-made (often wrong) frames. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} mp_t;

static void mp_init (mp_t *m)
{
    msgpack_sbuffer_init (&m->sb);
    msgpack_packer_init (&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void mp_str (mp_t *m, const char *s, size_t n)
{
    msgpack_pack_str (&m->pk, n);
    msgpack_pack_str_body (&m->pk, s, n);
}

static void mp_cstr (mp_t *m, const char *s)
{
    mp_str (m, s, strlen (s));
}

static void mp_bin (mp_t *m, const void *p, size_t n)
{
    msgpack_pack_bin (&m->pk, n);
    msgpack_pack_bin_body (&m->pk, p, n);
}

static void mp_kv_uint (mp_t *m, const char *key, uint64_t v)
{
    mp_cstr (m, key);
    msgpack_pack_uint64 (&m->pk, v);
}

static void mp_kv_int (mp_t *m, const char *key, int64_t v)
{
    mp_cstr (m, key);
    msgpack_pack_int64 (&m->pk, v);
}

static void mp_kv_str (mp_t *m, const char *key, const char *v)
{
    mp_cstr (m, key);
    mp_cstr (m, v);
}

static void mp_kv_bin (mp_t *m, const char *key, const void *p, size_t n)
{
    mp_cstr (m, key);
    mp_bin (m, p, n);
}

/* [version, id, ...] with NFIELDS fields still to pack. */
static void mp_head (mp_t *m, uint64_t version, uint64_t id, size_t nfields)
{
    msgpack_pack_array (&m->pk, 2 + nfields);
    msgpack_pack_uint64 (&m->pk, version);
    msgpack_pack_uint64 (&m->pk, id);
}

/* Decodes what M holds, then frees it. */
static proto_err_t mp_decode (mp_t *m, proto_msg_t *out)
{
    proto_err_t rc = proto_decode ((const uint8_t *)m->sb.data, m->sb.size, out);
    msgpack_sbuffer_destroy (&m->sb);
    return rc;
}

static const uint8_t DATASET[PROTO_ID_BYTES] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                                0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static void s_manifest_fixture (proto_manifest_t *m)
{
    memset (m, 0, sizeof *m);
    m->format = 1;
    memcpy (m->dataset, DATASET, sizeof m->dataset);
    strcpy (m->publisher, "0DF");
    strcpy (m->topic, "apc/monthly");
    m->version = 3;
    strcpy (m->class_, "pseudonymised");
    strcpy (m->purpose, "commissioning");
    strcpy (m->filename, "apc_2026-10.csv");
    m->bytes = 2500000;
    m->chunk_size = 1u << 20;
    m->chunks = 3;
    s_fill (m->hash, sizeof m->hash, 0xe0);
    m->created = 1795640400; /* 2026-11-25T21:00:00Z */
    strcpy (m->opt_out, "not-identifiable");
}

static void s_agreement_fixture (proto_agreement_t *a)
{
    memset (a, 0, sizeof *a);
    a->format = 1;
    strcpy (a->ref, "DSA-0DF-04V-2026-01");
    strcpy (a->provider, "0DF");
    strcpy (a->provider_ig, "A. Lead");
    strcpy (a->recipient, "04V");
    strcpy (a->recipient_ig, "B. Lead");
    strcpy (a->topics, "apc/*,op/monthly");
    strcpy (a->class_, "pseudonymised");
    strcpy (a->purposes, "commissioning");
    strcpy (a->art6, "6(1)(e)");
    strcpy (a->art9, "9(2)(h)");
    a->opt_out = 0;
    a->start = 1795640400;
    a->end = 1827176400;     /* a year later */
    a->retention_days = 365;
    a->onward = 0;
    a->created = 1795640400;
}

static void s_receipt_fixture (proto_receipt_t *r)
{
    memset (r, 0, sizeof *r);
    r->format = 1;
    memcpy (r->dataset, DATASET, sizeof r->dataset);
    s_fill (r->hash, sizeof r->hash, 0xe0);
    strcpy (r->recipient, "04V");
    s_fill (r->recipient_key, sizeof r->recipient_key, 0x30);
    r->received = 1795640460;
}

/* A fixed, valid message of each id (the golden vectors encode these). */
static void s_msg_fixture (uint8_t id, proto_msg_t *m)
{
    memset (m, 0, sizeof *m);
    m->id = id;
    m->version = PROTO_VERSION;
    switch (id) {
    case PROTO_SUBSCRIBE:
        strcpy (m->topic, "apc/monthly");
        m->number = 0;
        break;
    case PROTO_SUBSCRIBED:
        strcpy (m->topic, "apc/monthly");
        strcpy (m->reason, "active");
        break;
    case PROTO_OFFER: {
        proto_manifest_t mf;
        s_manifest_fixture (&mf);
        memcpy (m->dataset, DATASET, sizeof m->dataset);
        ck_assert_int_eq (proto_manifest_encode (&mf, m->doc, sizeof m->doc, &m->doc_len), 0);
        s_fill (m->sig, sizeof m->sig, 0xa0);
        s_fill (m->wrapped, sizeof m->wrapped, 0x20);
        break;
    }
    case PROTO_ACCEPT:
        memcpy (m->dataset, DATASET, sizeof m->dataset);
        m->number = 0;
        m->credit = 8;
        break;
    case PROTO_CHUNK:
        memcpy (m->dataset, DATASET, sizeof m->dataset);
        m->number = 2;
        break;
    case PROTO_CREDIT:
        memcpy (m->dataset, DATASET, sizeof m->dataset);
        m->credit = 1;
        break;
    case PROTO_RECEIPT: {
        proto_receipt_t r;
        s_receipt_fixture (&r);
        memcpy (m->dataset, DATASET, sizeof m->dataset);
        ck_assert_int_eq (proto_receipt_encode (&r, m->doc, sizeof m->doc, &m->doc_len), 0);
        s_fill (m->sig, sizeof m->sig, 0xa0);
        break;
    }
    case PROTO_UNSUBSCRIBE:
        strcpy (m->topic, "apc/monthly");
        break;
    case PROTO_DIRECTORY:
        m->number = 7;
        break;
    case PROTO_AGREEMENT: {
        proto_agreement_t a;
        s_agreement_fixture (&a);
        ck_assert_int_eq (proto_agreement_encode (&a, m->doc, sizeof m->doc, &m->doc_len), 0);
        s_fill (m->sig, sizeof m->sig, 0xa0);
        s_fill (m->sig2, sizeof m->sig2, 0x60);
        break;
    }
    case PROTO_REVOKE:
        s_fill (m->hash, sizeof m->hash, 0xe0);
        strcpy (m->reason, "superseded by DSA-0DF-04V-2026-02");
        break;
    case PROTO_ERROR:
        m->code = PROTO_E_DENIED;
        strcpy (m->reason, "no subscription to 0DF apc/monthly");
        memcpy (m->dataset, DATASET, sizeof m->dataset);
        break;
    default:
        ck_abort_msg ("no fixture for id %u", id);
    }
}

/* Encodes the fixture of ID; BUF must hold PROTO_HEADER_MAX bytes. */
static size_t s_encode_fixture (uint8_t id, uint8_t *buf)
{
    proto_msg_t m;
    size_t len = 0;
    s_msg_fixture (id, &m);
    ck_assert_msg (proto_encode (&m, buf, PROTO_HEADER_MAX, &len) == 0, "%s: %s", proto_name (id),
                   proto_error ());
    return len;
}

/* ---- messages: round trips and golden vectors --------------------------- */

START_TEST (test_roundtrip_every_message)
{
    uint8_t id = (uint8_t)_i;
    proto_msg_t in, out;
    if (strcmp (proto_name (id), "UNKNOWN") == 0) return; /* reserved for other work */
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;
    s_msg_fixture (id, &in);
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_msg (proto_decode (buf, len, &out) == PROTO_OK, "%s: %s", proto_name (id),
                   proto_error ());
    ck_assert_int_eq (out.id, id);
    ck_assert_uint_eq (out.version, PROTO_VERSION);
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
    size_t len = s_encode_fixture (GOLDEN[_i].id, buf);
    s_hex (buf, len, hex);
    s_print_vector (proto_name (GOLDEN[_i].id), buf, len);
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
    s_msg_fixture (PROTO_OFFER, &in);
    in.doc_len = PROTO_DOC_MAX;
    memset (in.doc, 0x5a, sizeof in.doc);
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (out.doc_len, PROTO_DOC_MAX);
    ck_assert_mem_eq (out.doc, in.doc, PROTO_DOC_MAX);

    s_msg_fixture (PROTO_SUBSCRIBE, &in);
    memset (in.topic, 'a', PROTO_TOPIC_MAX);
    in.topic[PROTO_TOPIC_MAX] = 0;
    in.number = UINT64_MAX;
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (strlen (out.topic), PROTO_TOPIC_MAX);
    ck_assert (out.number == UINT64_MAX);

    s_msg_fixture (PROTO_ERROR, &in);
    memset (in.reason, 'r', PROTO_REASON_MAX);
    in.reason[PROTO_REASON_MAX] = 0;
    in.code = PROTO_E_MAX;
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (strlen (out.reason), PROTO_REASON_MAX);

    s_msg_fixture (PROTO_CREDIT, &in);
    in.credit = PROTO_CREDIT_MAX;
    ck_assert_int_eq (proto_encode (&in, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_decode (buf, len, &out), PROTO_OK);
    ck_assert_uint_eq (out.credit, PROTO_CREDIT_MAX);

    /* UTF-8 text is fine in a reason */
    s_msg_fixture (PROTO_ERROR, &in);
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
    s_msg_fixture (PROTO_OFFER, &m);
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

    s_msg_fixture (PROTO_SUBSCRIBE, &m);
    m.id = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.id = PROTO_MSG_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);

    s_msg_fixture (PROTO_SUBSCRIBE, &m);
    strcpy (m.topic, "");
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    strcpy (m.topic, "apc monthly");
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    ck_assert_ptr_nonnull (strstr (proto_error (), "SUBSCRIBE field 1 (topic)"));
    memset (m.topic, 'a', sizeof m.topic); /* not terminated */
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);

    s_msg_fixture (PROTO_ACCEPT, &m);
    m.credit = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.credit = PROTO_CREDIT_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);

    s_msg_fixture (PROTO_OFFER, &m);
    m.doc_len = 0;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    m.doc_len = PROTO_DOC_MAX + 1;
    ck_assert_int_eq (proto_encode (&m, buf, sizeof buf, &len), -1);
    ck_assert_ptr_nonnull (strstr (proto_error (), "OFFER field 2 (doc)"));

    s_msg_fixture (PROTO_ERROR, &m);
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
    size_t len = s_encode_fixture (PROTO_OFFER, buf);
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
    size_t len = s_encode_fixture (PROTO_CREDIT, buf);
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
    mp_head (&b, 2, PROTO_SUBSCRIBE, 2);
    mp_cstr (&b, "apc/monthly");
    msgpack_pack_uint64 (&b.pk, 0);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_VERSION);
    ck_assert_uint_eq (m.version, 2);
    ck_assert_ptr_nonnull (strstr (proto_error (), "supported versions: 1"));

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
    mp_bin (&b, DATASET, 16);
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
    mp_bin (&b, DATASET, 16);
    mp_bin (&b, big, sizeof big);
    mp_bin (&b, sig, sizeof sig);
    mp_bin (&b, wrapped, sizeof wrapped);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);
    ck_assert_str_eq (proto_error (), "OFFER field 2 (doc): bin of 4097 bytes exceeds 4096");

    mp_init (&b); /* doc empty */
    mp_head (&b, PROTO_VERSION, PROTO_OFFER, 4);
    mp_bin (&b, DATASET, 16);
    mp_bin (&b, big, 0);
    mp_bin (&b, sig, sizeof sig);
    mp_bin (&b, wrapped, sizeof wrapped);
    ck_assert_int_eq (mp_decode (&b, &m), PROTO_E_MALFORMED);

    mp_init (&b); /* sig one byte short */
    mp_head (&b, PROTO_VERSION, PROTO_OFFER, 4);
    mp_bin (&b, DATASET, 16);
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
    mp_bin (&b, DATASET, 16);
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
    mp_bin (&b, DATASET, 16);
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

static proto_err_t s_decode_credit (uint8_t id, uint64_t credit)
{
    proto_msg_t m;
    mp_t b;
    mp_init (&b);
    mp_head (&b, PROTO_VERSION, id, id == PROTO_ACCEPT ? 3 : 2);
    mp_bin (&b, DATASET, 16);
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
        mp_bin (&b, DATASET, 16);
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
    mp_bin (&b, DATASET, 16);
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
        size_t len = s_encode_fixture (id, buf);
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
                ck_assert (memcmp (&m, &m2, sizeof m) == 0);
            }
            buf[i] = orig;
        }
    }
}
END_TEST

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
    s_manifest_fixture (&in);
    ck_assert_msg (proto_manifest_encode (&in, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_manifest_decode (buf, len, &out), PROTO_OK);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    s_hex (buf, len, hex);
    s_print_vector ("manifest", buf, len);
    ck_assert_msg (strcmp (hex, MANIFEST_HEX) == 0, "manifest encodes as\n%s", hex);
}
END_TEST

START_TEST (test_receipt_round_trip_and_golden)
{
    proto_receipt_t in, out;
    uint8_t buf[PROTO_DOC_MAX];
    char hex[2 * PROTO_DOC_MAX + 1];
    size_t len;
    s_receipt_fixture (&in);
    ck_assert_msg (proto_receipt_encode (&in, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_receipt_decode (buf, len, &out), PROTO_OK);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    s_hex (buf, len, hex);
    s_print_vector ("receipt", buf, len);
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
    s_agreement_fixture (&in);
    ck_assert_msg (proto_agreement_encode (&in, buf, sizeof buf, &len) == 0, "%s", proto_error ());
    ck_assert_int_eq (proto_agreement_decode (buf, len, &out), PROTO_OK);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    s_hex (buf, len, hex);
    s_print_vector ("agreement", buf, len);
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
    s_agreement_fixture (&a);
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
    s_agreement_fixture (&a);
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
    s_manifest_fixture (&m);
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
    s_manifest_fixture (&m);
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
    s_manifest_fixture (&m);
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
    s_manifest_fixture (&m);
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
    s_manifest_fixture (&m);
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
    s_manifest_fixture (&m);
    m.format = 2;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    m.version = 0;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    strcpy (m.class_, "secret");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    strcpy (m.purpose, "Commissioning");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.purpose, "");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    strcpy (m.filename, "../etc/passwd");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.filename, "..");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.filename, "a\tb.csv");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.filename, "");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);
    s_manifest_fixture (&m);
    strcpy (m.publisher, "0df");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    strcpy (m.publisher, "ABCDEF");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    strcpy (m.topic, "/etc");
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    m.chunk_size = PROTO_CHUNK_MAX + 1;
    m.chunks = 3;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    m.chunk_size = 0;
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_E_MALFORMED);
    s_manifest_fixture (&m);
    m.created = -1; /* an int, so negative is representable */
    ck_assert_int_eq (s_manifest_try (&m, NULL, NULL, NULL), PROTO_OK);
}
END_TEST

START_TEST (test_manifest_refuses_bad_frames)
{
    proto_manifest_t m, out;
    uint8_t buf[PROTO_DOC_MAX + 1];
    size_t len;
    s_manifest_fixture (&m);
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
    s_receipt_fixture (&r);
    ck_assert_int_eq (proto_receipt_encode (&r, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_manifest_decode (buf, len, &out), PROTO_E_MALFORMED);
}
END_TEST

START_TEST (test_receipt_refusals)
{
    proto_receipt_t r, out;
    uint8_t buf[PROTO_DOC_MAX];
    size_t len;
    s_receipt_fixture (&r);
    strcpy (r.recipient, "04v");
    ck_assert_int_eq (proto_receipt_encode (&r, buf, sizeof buf, &len), -1);
    s_receipt_fixture (&r);
    r.format = 0;
    ck_assert_int_eq (proto_receipt_encode (&r, buf, sizeof buf, &len), -1);

    mp_t b; /* missing "received" */
    mp_init (&b);
    msgpack_pack_map (&b.pk, 5);
    mp_kv_uint (&b, "format", 1);
    mp_kv_bin (&b, "dataset", DATASET, 16);
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
    mp_kv_bin (&b, "dataset", DATASET, 16);
    mp_kv_bin (&b, "hash", r.hash, 31);
    mp_kv_str (&b, "recipient", "04V");
    mp_kv_bin (&b, "recipient_key", r.recipient_key, 32);
    mp_kv_str (&b, "received", "now");
    ck_assert_int_eq (proto_receipt_decode ((const uint8_t *)b.sb.data, b.sb.size, &out),
                      PROTO_E_MALFORMED);
    msgpack_sbuffer_destroy (&b.sb);

    /* a manifest is not a receipt */
    proto_manifest_t m;
    s_manifest_fixture (&m);
    ck_assert_int_eq (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_int_eq (proto_receipt_decode (buf, len, &out), PROTO_E_MALFORMED);
}
END_TEST

/* ---- identity card ---------------------------------------------------------- */

static void s_card_fixture (card_t *c)
{
    memset (c, 0, sizeof *c);
    strcpy (c->org, "0DF");
    strcpy (c->role, "csu");
    strcpy (c->name, "Example CSU");
    strcpy (c->endpoint, "tcp://127.0.0.1:7101");
    s_fill (c->sign_pk, 32, 0x00);
    s_fill (c->box_pk, 32, 0x40);
    s_fill (c->curve_pk, 32, 0x80);
    strcpy (c->created, "2026-11-25T21:00:00Z");
    s_fill (c->sig, 64, 0xc0);
}

static const char CARD_TEXT[] =
    "cdx-card: 1\n"
    "org: 0DF\n"
    "role: csu\n"
    "name: Example CSU\n"
    "endpoint: tcp://127.0.0.1:7101\n"
    "sign-key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "box-key: QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n"
    "curve-key: gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8=\n"
    "created: 2026-11-25T21:00:00Z\n"
    "signature: "
    "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n";

/* Formats the fixture; BUF holds CARD_MAX_BYTES + 1. */
static size_t s_card_text (char *buf)
{
    card_t c;
    size_t len;
    s_card_fixture (&c);
    ck_assert_msg (card_format (&c, buf, CARD_MAX_BYTES + 1, &len) == 0, "%s", card_error ());
    return len;
}

START_TEST (test_card_round_trip_and_golden)
{
    card_t in, out;
    char text[CARD_MAX_BYTES + 1], body[CARD_MAX_BYTES + 1];
    size_t len, body_len, signed_len = 0;
    s_card_fixture (&in);
    ck_assert_int_eq (card_format_body (&in, body, sizeof body, &body_len), 0);
    ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
    ck_assert_uint_eq (strlen (text), len);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== card\n%s", text);
    ck_assert_msg (strcmp (text, CARD_TEXT) == 0, "card formats as\n%s", text);
    ck_assert_int_eq (card_parse (text, len, &out, &signed_len), 0);
    ck_assert_uint_eq (signed_len, body_len);
    ck_assert_uint_eq (signed_len, 275); /* as SPEC.md 18.12 says */
    ck_assert (memcmp (text, body, body_len) == 0);
    ck_assert (strncmp (text + signed_len, "signature: ", 11) == 0);
    ck_assert (memcmp (&in, &out, sizeof in) == 0);

    /* every accepted role and a UTF-8 name with an IPv6 endpoint */
    static const char *const roles[] = {"csu", "ccg", "icb", "dscro"};
    for (size_t i = 0; i < 4; i++) {
        s_card_fixture (&in);
        memset (in.endpoint, 0, sizeof in.endpoint); /* so memcmp sees no old bytes */
        strcpy (in.role, roles[i]);
        strcpy (in.name, "Commissioning Support \xe2\x80\x94 North & East");
        strcpy (in.endpoint, "tcp://[::1]:65535");
        ck_assert_int_eq (card_format (&in, text, sizeof text, &len), 0);
        ck_assert_msg (card_parse (text, len, &out, NULL) == 0, "%s", card_error ());
        ck_assert (memcmp (&in, &out, sizeof in) == 0);
    }
}
END_TEST

/* Replaces the first FROM in the fixture card by TO, then parses. */
static int s_card_mutated (const char *from, const char *to)
{
    char text[CARD_MAX_BYTES + 1], out[2 * CARD_MAX_BYTES + 64];
    size_t len = s_card_text (text);
    const char *at = strstr (text, from);
    ck_assert_msg (at != NULL, "\"%s\" not in the card", from);
    size_t head = (size_t)(at - text), fl = strlen (from), tl = strlen (to);
    memcpy (out, text, head);
    memcpy (out + head, to, tl);
    memcpy (out + head + tl, at + fl, len - head - fl);
    size_t n = len - fl + tl;
    card_t c;
    size_t signed_len;
    return card_parse (out, n, &c, &signed_len);
}

START_TEST (test_card_refuses_line_changes)
{
    /* missing line */
    ck_assert_int_eq (s_card_mutated ("role: csu\n", ""), -1);
    ck_assert_int_eq (s_card_mutated ("cdx-card: 1\n", ""), -1);
    /* extra line */
    ck_assert_int_eq (s_card_mutated ("role: csu\n", "role: csu\nextra: x\n"), -1);
    ck_assert_int_eq (s_card_mutated ("role: csu\n", "role: csu\n\n"), -1);
    /* reordered */
    ck_assert_int_eq (s_card_mutated ("org: 0DF\nrole: csu\n", "role: csu\norg: 0DF\n"), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "out of order"));
    /* duplicated */
    ck_assert_int_eq (s_card_mutated ("org: 0DF\n", "org: 0DF\norg: 0DF\n"), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "repeated"));
    /* spacing and case of keys */
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org:0DF"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org:  0DF"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "Org: 0DF"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF\n", "org: 0DF\r\n"), -1);
    /* version */
    ck_assert_int_eq (s_card_mutated ("cdx-card: 1", "cdx-card: 2"), -1);
}
END_TEST

START_TEST (test_card_refuses_bad_ends)
{
    char text[CARD_MAX_BYTES + 8];
    card_t c;
    size_t len = s_card_text (text), sl;
    ck_assert_int_eq (card_parse (text, len, &c, &sl), 0);
    /* missing final newline */
    ck_assert_int_eq (card_parse (text, len - 1, &c, &sl), -1);
    /* anything after the signature line */
    memcpy (text + len, "x", 2);
    ck_assert_int_eq (card_parse (text, len + 1, &c, &sl), -1);
    memcpy (text + len, "\n", 2);
    ck_assert_int_eq (card_parse (text, len + 1, &c, &sl), -1);
    memcpy (text + len, "signature: x\n", 14);
    ck_assert_int_eq (card_parse (text, len + 13, &c, &sl), -1);
    /* every prefix is refused */
    for (size_t n = 0; n < len; n++)
        ck_assert_msg (card_parse (text, n, &c, &sl) == -1, "prefix of %zu accepted", n);
    /* a NUL byte anywhere */
    len = s_card_text (text);
    text[20] = 0;
    ck_assert_int_eq (card_parse (text, len, &c, &sl), -1);
    ck_assert_ptr_nonnull (strstr (card_error (), "NUL"));
    /* too big */
    static char big[CARD_MAX_BYTES + 1];
    memset (big, 'a', sizeof big);
    ck_assert_int_eq (card_parse (big, sizeof big, &c, &sl), -1);
    ck_assert_int_eq (card_parse (NULL, 0, &c, &sl), -1);
}
END_TEST

START_TEST (test_card_refuses_bad_values)
{
    char name[CARD_NAME_MAX + 16], endpoint[CARD_ENDPOINT_MAX + 32];
    /* over-long values */
    memset (name, 'n', CARD_NAME_MAX + 1);
    strcpy (name + CARD_NAME_MAX + 1, "\n");
    ck_assert_int_eq (s_card_mutated ("Example CSU\n", name), -1);
    name[CARD_NAME_MAX] = '\n';
    name[CARD_NAME_MAX + 1] = 0;
    ck_assert_int_eq (s_card_mutated ("Example CSU\n", name), 0);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org: 0DF0DF0DF0DF0DF0DF0DF"), -1);
    strcpy (endpoint, "tcp://");
    memset (endpoint + 6, 'h', CARD_ENDPOINT_MAX);
    strcpy (endpoint + 6 + CARD_ENDPOINT_MAX, ":1");
    ck_assert_int_eq (s_card_mutated ("tcp://127.0.0.1:7101", endpoint), -1);
    ck_assert_int_eq (s_card_mutated ("role: csu", "role: dscrodscro"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-11-25T21:00:00Z0123456789abc"),
                      -1);
    /* values outside their rules */
    ck_assert_int_eq (s_card_mutated ("name: Example CSU", "name: "), -1);
    ck_assert_int_eq (s_card_mutated ("Example CSU", "Example\tCSU"), -1);
    ck_assert_int_eq (s_card_mutated ("Example CSU", "Example \xe2\x80\xae"
                                                     "CSU"),
                      -1);
    ck_assert_int_eq (s_card_mutated ("Example CSU", "Example \xff"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org: 0df"), -1);
    ck_assert_int_eq (s_card_mutated ("org: 0DF", "org: 0D"), -1);
    ck_assert_int_eq (s_card_mutated ("role: csu", "role: nhs"), -1);
    ck_assert_int_eq (s_card_mutated ("tcp://127.0.0.1:7101", "udp://127.0.0.1:7101"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-02-30T21:00:00Z"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-11-25 21:00:00Z"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2026-11-25T24:00:00Z"), -1);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2028-02-29T00:00:00Z"), 0);
    ck_assert_int_eq (s_card_mutated ("2026-11-25T21:00:00Z", "2100-02-29T00:00:00Z"), -1);
}
END_TEST

START_TEST (test_card_refuses_bad_base64)
{
    card_t c;
    char text[CARD_MAX_BYTES + 1];
    s_card_text (text);
    ck_assert_int_eq (card_parse (text, strlen (text), &c, NULL), 0);
    /* sign-key of 0x00..0x1f is "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" */
    const char *k = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    ck_assert_ptr_nonnull (strstr (text, k));
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAR EhMUFRYXGBkaGxwdHh8="), -1);
    ck_assert_int_eq (s_card_mutated (k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAAA="), -1);
    ck_assert_int_eq (s_card_mutated ("signature: ", "signature: A"), -1);
}
END_TEST

START_TEST (test_card_format_refusals)
{
    card_t c;
    char text[CARD_MAX_BYTES + 1];
    size_t len, need;
    s_card_fixture (&c);
    ck_assert_int_eq (card_format (&c, text, sizeof text, &need), 0);
    for (size_t cap = 0; cap <= need; cap++) /* the NUL needs a byte too */
        ck_assert_int_eq (card_format (&c, text, cap, &len), -1);
    ck_assert_int_eq (card_format (&c, text, need + 1, &len), 0);

    s_card_fixture (&c);
    strcpy (c.name, "two\nlines");
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
    s_card_fixture (&c);
    strcpy (c.role, "gp");
    ck_assert_int_eq (card_format_body (&c, text, sizeof text, &len), -1);
    s_card_fixture (&c);
    strcpy (c.created, "yesterday");
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
    s_card_fixture (&c);
    memset (c.org, 'A', sizeof c.org);
    ck_assert_int_eq (card_format (&c, text, sizeof text, &len), -1);
}
END_TEST

START_TEST (test_card_validators)
{
    static const char *const good_ep[] = {
        "tcp://127.0.0.1:7101",    "tcp://node-1.example.nhs.uk:1", "tcp://[::1]:7101",
        "tcp://[fe80::1:2]:65535", "tcp://[::ffff:10.0.0.1]:80",    "tcp://h:9"};
    static const char *const bad_ep[] = {"",
                                         "tcp://",
                                         "tcp://:7101",
                                         "tcp://host",
                                         "tcp://host:",
                                         "tcp://host:0",
                                         "tcp://host:65536",
                                         "tcp://host:07101",
                                         "tcp://host:71a",
                                         "tcp://ho st:1",
                                         "tcp://host:1/",
                                         "tcp://[]:1",
                                         "tcp://[::1:1",
                                         "tcp://[::1]",
                                         "tcp://[zz::1]:1",
                                         "tcp://[1.2.3.4]:1",
                                         "ipc:///tmp/x",
                                         "TCP://host:1",
                                         "tcp://*:7101",
                                         "tcp://host:123456",
                                         "tcp://host:-1",
                                         "tcp://host_1:1"};
    for (size_t i = 0; i < sizeof good_ep / sizeof *good_ep; i++)
        ck_assert_msg (card_valid_endpoint (good_ep[i]) == 0, "%s: %s", good_ep[i], card_error ());
    for (size_t i = 0; i < sizeof bad_ep / sizeof *bad_ep; i++)
        ck_assert_msg (card_valid_endpoint (bad_ep[i]) == -1, "%s accepted", bad_ep[i]);
    ck_assert_int_eq (card_valid_endpoint (NULL), -1);

    ck_assert_int_eq (card_valid_org ("0DF"), 0);
    ck_assert_int_eq (card_valid_org ("04V"), 0);
    ck_assert_int_eq (card_valid_org ("RX1A2"), 0);
    ck_assert_int_eq (card_valid_org ("ABCD"), 0);
    ck_assert_int_eq (card_valid_org ("AB"), -1);
    ck_assert_int_eq (card_valid_org ("ABCDEF"), -1);
    ck_assert_int_eq (card_valid_org ("0df"), -1);
    ck_assert_int_eq (card_valid_org ("0D-F"), -1);
    ck_assert_int_eq (card_valid_org (""), -1);
    ck_assert_int_eq (card_valid_org (NULL), -1);

    ck_assert_int_eq (card_valid_role ("csu"), 0);
    ck_assert_int_eq (card_valid_role ("ccg"), 0);
    ck_assert_int_eq (card_valid_role ("icb"), 0);
    ck_assert_int_eq (card_valid_role ("dscro"), 0);
    ck_assert_int_eq (card_valid_role ("CSU"), -1);
    ck_assert_int_eq (card_valid_role ("csu "), -1);
    ck_assert_int_eq (card_valid_role (""), -1);
    ck_assert_int_eq (card_valid_role (NULL), -1);
}
END_TEST

/* ---- runner ------------------------------------------------------------------ */

/* SPEC 18.11: a version-2 SUBSCRIBE and the ERROR(VERSION) a cdx/1 node
   answers, whose reason is "CODE message: " and the decoder's reason
   (node/run.c; the node's real answer is checked byte for byte by
   tests/integration/hostile.py version). */
START_TEST (test_spec_version_answer_golden)
{
    static const char want[] =
        "95010802d94856455253494f4e206d6573736167653a2070726f746f636f6c2076"
        "657273696f6e2032206e6f7420737570706f727465643b20737570706f72746564"
        "2076657273696f6e733a2031c41000000000000000000000000000000000";
    static const uint8_t v2[] = {0x94, 0x02, 0x01, 0xab, 'a', 'p', 'c', '/', 'm', 'o', 'n', 't', 'h', 'l', 'y', 0x00};
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
    s_hex (buf, len, hex);
    s_print_vector ("ERROR(VERSION)", buf, len);
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
    s_manifest_fixture (&mf);                     /* the manifest of SPEC 18.3 */
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
    s_receipt_fixture (&r);                       /* SPEC 18.8, with 04V's real key */
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

/* ---- vocabularies: the .def files, their lookups and the help --------- */

START_TEST (test_vocabulary_lookups)
{
    ck_assert_int_eq (PROTO_CLASSES, 3);
    ck_assert (proto_class_known ("pseudonymised"));
    ck_assert (!proto_class_known ("pseudonymized"));
    ck_assert (!proto_class_known (NULL));
    ck_assert_int_eq (proto_class_rank ("aggregate"), PROTO_CLASS_AGGREGATE);
    ck_assert_int_eq (proto_class_rank ("identifiable"), PROTO_CLASS_IDENTIFIABLE);
    ck_assert_int_eq (proto_class_rank ("Identifiable"), -1);
    ck_assert_str_eq (proto_classes_list (), "aggregate, pseudonymised, identifiable");
    ck_assert_str_eq (proto_classes_or (), "aggregate, pseudonymised or identifiable");

    ck_assert_int_eq (PROTO_OPT_OUTS, 3);
    ck_assert (proto_opt_out_known ("statutory-exemption"));
    ck_assert (!proto_opt_out_known ("applied"));
    ck_assert (!proto_opt_out_known (NULL));
    ck_assert_int_eq (proto_opt_out_id ("yes"), PROTO_OPT_OUT_YES);
    ck_assert_int_eq (proto_opt_out_id ("not-identifiable"), PROTO_OPT_OUT_NOT_IDENTIFIABLE);
    ck_assert_int_eq (proto_opt_out_id (""), -1);
    ck_assert_str_eq (proto_opt_outs_list (), "yes, not-identifiable, statutory-exemption");
    ck_assert_str_eq (proto_opt_outs_or (), "yes, not-identifiable or statutory-exemption");

    ck_assert_int_eq (PROTO_DSPTS, 4);
    ck_assert (proto_dspt_known ("approaching-standards"));
    ck_assert (!proto_dspt_known ("standards-mex"));
    ck_assert (proto_dspt_meets ("standards-exceeded"));
    ck_assert (proto_dspt_meets ("standards-met"));
    ck_assert (!proto_dspt_meets ("approaching-standards"));
    ck_assert (!proto_dspt_meets ("standards-not-met"));
    ck_assert (!proto_dspt_meets (""));
    ck_assert (!proto_dspt_meets (NULL));
    ck_assert_str_eq (proto_dspts_list (),
                      "standards-exceeded, standards-met, approaching-standards, standards-not-met");
    ck_assert_str_eq (proto_dspts_or (),
                      "standards-exceeded, standards-met, approaching-standards or standards-not-met");
}
END_TEST

START_TEST (test_vocabulary_refusals_name_the_def)
{
    /* The manifest's rules refuse with the words of the .def files. */
    proto_manifest_t m;
    s_manifest_fixture (&m);
    uint8_t buf[4096];
    size_t len = 0;
    strcpy (m.class_, "secret");
    ck_assert_int_ne (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_ptr_nonnull (strstr (proto_error (), "not aggregate, pseudonymised or identifiable"));
    s_manifest_fixture (&m);
    strcpy (m.opt_out, "applied");
    ck_assert_int_ne (proto_manifest_encode (&m, buf, sizeof buf, &len), 0);
    ck_assert_ptr_nonnull (strstr (proto_error (), "not yes, not-identifiable or statutory-exemption"));
}
END_TEST

/* FILE (under the source tree) as one string with its C string literals
   joined: a '"', a line break, spaces and the next '"' with the spaces
   after it become one space, so a help line split over two literals reads
   as one. Freed by the caller. */
static char *s_source_joined (const char *file)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", CDX_SOURCE_DIR, file);
    FILE *f = fopen (path, "rb");
    ck_assert_msg (f != NULL, "cannot open %s", path);
    ck_assert_int_eq (fseek (f, 0, SEEK_END), 0);
    long size = ftell (f);
    ck_assert (size > 0);
    rewind (f);
    char *text = malloc ((size_t) size + 1);
    ck_assert_ptr_nonnull (text);
    ck_assert_int_eq (fread (text, 1, (size_t) size, f), (size_t) size);
    fclose (f);
    text[size] = '\0';
    size_t o = 0;
    for (size_t i = 0; i < (size_t) size;) {
        if (text[i] == '\\' && text[i + 1] == 'n' && text[i + 2] == '"') {
            size_t j = i + 3;
            while (text[j] == '\n' || text[j] == ' ') j++;
            if (text[j] == '"') {
                j++;
                while (text[j] == ' ') j++;
                text[o++] = ' ';
                i = j;
                continue;
            }
        }
        text[o++] = text[i++];
    }
    text[o] = '\0';
    return text;
}

/* LIST ("a, b, c") with each ", " made SEP, in BUF. */
static const char *s_relist (const char *list, const char *sep, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = list; *p && o + 8 < len;) {
        if (p[0] == ',' && p[1] == ' ') {
            o += (size_t) snprintf (buf + o, len - o, "%s", sep);
            p += 2;
        } else
            buf[o++] = *p++;
    }
    buf[o] = '\0';
    return buf;
}

START_TEST (test_vocabulary_help_agrees)
{
    /* cdx's help is static text: each list it spells out must be the .def's. */
    char *cdx = s_source_joined ("tools/cdx.c");
    char want[512];
    const char *needles[] = {
        s_relist (proto_classes_list (), " | ", (char[256]){0}, 256),
        s_relist (proto_classes_list (), " < ", (char[256]){0}, 256),
        s_relist (proto_purposes_list (), " | ", (char[256]){0}, 256),
        s_relist (proto_dspts_list (), " | ", (char[256]){0}, 256),
    };
    const char *where[] = {"publish --class", "agreement propose --class", "publish --purpose",
                           "authority certify --dspt"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        ck_assert_msg (strstr (cdx, needles[i]) != NULL, "cdx help (%s) does not list \"%s\"", where[i],
                       needles[i]);
    /* --opt-out is described value by value, in the order that reads best. */
    snprintf (want, sizeof want, "--opt-out STATUS   National Data Opt-outs: %s (applied) | %s | %s (the default",
              "yes", "statutory-exemption", "not-identifiable");
    ck_assert_msg (strstr (cdx, want) != NULL, "cdx publish --opt-out help changed: check it against opt_outs.def");
    ck_assert_int_eq (PROTO_OPT_OUTS, 3);
    ck_assert (proto_opt_out_known ("yes") && proto_opt_out_known ("statutory-exemption") &&
               proto_opt_out_known ("not-identifiable"));
    free (cdx);

    /* cdx-gen-apc stands alone (no protocol library): its class table and
       help must still name exactly the classes of classes.def. */
    char *gen = s_source_joined ("tests/data/gen/columns.c");
    size_t entries = 0;
    for (const char *p = strstr (gen, "\", CLASS_"); p; p = strstr (p + 1, "\", CLASS_")) {
        p += strlen ("\", CLASS_");
        while ((*p >= 'A' && *p <= 'Z') || *p == '_') p++;
        entries += *p == '}';
    }
    ck_assert_int_eq (entries, PROTO_CLASSES);
    char names[256];
    snprintf (names, sizeof names, "%s", proto_classes_list ());
    for (char *save = NULL, *name = strtok_r (names, ", ", &save); name; name = strtok_r (NULL, ", ", &save)) {
        char row[64];
        snprintf (row, sizeof row, "{\"%s\", CLASS_", name);
        ck_assert_msg (strstr (gen, row) != NULL, "cdx-gen-apc has no class %s", name);
    }
    ck_assert_ptr_nonnull (strstr (gen, "--class CLASS        pseudonymised (default), identifiable, or aggregate"));
    free (gen);
}
END_TEST

static Suite *s_suite (void)
{
    Suite *s = suite_create ("protocol");
    TCase *t = tcase_create ("messages");
    tcase_add_loop_test (t, test_roundtrip_every_message, 1, PROTO_MSG_MAX + 1);
    tcase_add_loop_test (t, test_golden_every_message, 0, GOLDEN_COUNT);
    tcase_add_test (t, test_golden_covers_every_id);
    tcase_add_test (t, test_names_and_payload);
    tcase_add_test (t, test_error_without_dataset);
    tcase_add_test (t, test_limits_round_trip);
    tcase_add_test (t, test_encode_refuses_small_buffer);
    tcase_add_test (t, test_encode_refuses_bad_fields);
    suite_add_tcase (s, t);

    t = tcase_create ("decode-refusals");
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
    tcase_add_test (t, test_decode_credit_bounds);
    tcase_add_test (t, test_decode_code_bounds);
    tcase_add_test (t, test_decode_refuses_big_frame);
    tcase_add_test (t, test_decode_refuses_hostile_msgpack);
    tcase_add_test (t, test_decode_survives_mutations);
    suite_add_tcase (s, t);

    t = tcase_create ("documents");
    tcase_add_test (t, test_vocabulary_lookups);
    tcase_add_test (t, test_vocabulary_refusals_name_the_def);
    tcase_add_test (t, test_vocabulary_help_agrees);
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
    suite_add_tcase (s, t);

    t = tcase_create ("card");
    tcase_add_test (t, test_card_round_trip_and_golden);
    tcase_add_test (t, test_card_refuses_line_changes);
    tcase_add_test (t, test_card_refuses_bad_ends);
    tcase_add_test (t, test_card_refuses_bad_values);
    tcase_add_test (t, test_card_refuses_bad_base64);
    tcase_add_test (t, test_card_format_refusals);
    tcase_add_test (t, test_card_validators);
    suite_add_tcase (s, t);

    t = tcase_create ("spec-vectors");
    tcase_add_test (t, test_spec_version_answer_golden);
    tcase_add_test (t, test_spec_manifest_signature);
    tcase_add_test (t, test_spec_receipt_signature);
    tcase_add_test (t, test_spec_card_signature_verifies);
    suite_add_tcase (s, t);
    return s;
}

int main (void)
{
    SRunner *sr = srunner_create (s_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
