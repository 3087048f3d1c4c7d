/*  check_protocol: the Check suite for protocol/ (unit_protocol), one
    executable over the files that share check_protocol.h, one per job of
    protocol/: check_protocol_codec.c (messages), check_protocol_decode.c
    (what the decoder refuses), check_protocol_documents.c (manifest,
    receipt, agreement), check_protocol_card.c (identity cards),
    check_protocol_vocab.c (the vocabularies and the help),
    check_protocol_vectors.c (SPEC.md's signatures) and check_messages.c
    (messages.def against SPEC.md). This file holds what they share (hex,
    hand-made msgpack, the examples of spec_examples.h) and the runner.

    Together they prove round trips for every message and document, pin
    every wire encoding to a golden hex string recorded once (so an
    accidental change to the wire fails here, not between two NHS
    organisations), and feed the decoders the malformed input a hostile
    peer would send. Not for: sockets, crypto or storage (other suites);
    certificates (check_cert.c).

    Set CDX_PRINT_VECTORS=1 to print the encodings (used for SPEC.md).
*/
#include "check_protocol.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

void check_hex (const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

void check_print_vector (const char *name, const uint8_t *p, size_t n)
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


void mp_init (mp_t *m)
{
    msgpack_sbuffer_init (&m->sb);
    msgpack_packer_init (&m->pk, &m->sb, msgpack_sbuffer_write);
}

void mp_str (mp_t *m, const char *s, size_t n)
{
    msgpack_pack_str (&m->pk, n);
    msgpack_pack_str_body (&m->pk, s, n);
}

void mp_cstr (mp_t *m, const char *s)
{
    mp_str (m, s, strlen (s));
}

void mp_bin (mp_t *m, const void *p, size_t n)
{
    msgpack_pack_bin (&m->pk, n);
    msgpack_pack_bin_body (&m->pk, p, n);
}

void mp_kv_uint (mp_t *m, const char *key, uint64_t v)
{
    mp_cstr (m, key);
    msgpack_pack_uint64 (&m->pk, v);
}

void mp_kv_int (mp_t *m, const char *key, int64_t v)
{
    mp_cstr (m, key);
    msgpack_pack_int64 (&m->pk, v);
}

void mp_kv_str (mp_t *m, const char *key, const char *v)
{
    mp_cstr (m, key);
    mp_cstr (m, v);
}

void mp_kv_bin (mp_t *m, const char *key, const void *p, size_t n)
{
    mp_cstr (m, key);
    mp_bin (m, p, n);
}

/* [version, id, ...] with NFIELDS fields still to pack. */
void mp_head (mp_t *m, uint64_t version, uint64_t id, size_t nfields)
{
    msgpack_pack_array (&m->pk, 2 + nfields);
    msgpack_pack_uint64 (&m->pk, version);
    msgpack_pack_uint64 (&m->pk, id);
}

/* Decodes what M holds, then frees it. */
proto_err_t mp_decode (mp_t *m, proto_msg_t *out)
{
    proto_err_t rc = proto_decode ((const uint8_t *)m->sb.data, m->sb.size, out);
    msgpack_sbuffer_destroy (&m->sb);
    return rc;
}

/* The example of ID (spec_examples.h: the golden vectors encode these). */
void check_example (uint8_t id, proto_msg_t *m)
{
    ck_assert_msg (spec_example_msg (id, m) == 0, "no example of %s: %s", proto_name (id),
                   proto_error ());
}

/* Encodes the fixture of ID; BUF must hold PROTO_HEADER_MAX bytes. */
size_t check_encode_example (uint8_t id, uint8_t *buf)
{
    proto_msg_t m;
    size_t len = 0;
    check_example (id, &m);
    ck_assert_msg (proto_encode (&m, buf, PROTO_HEADER_MAX, &len) == 0, "%s: %s", proto_name (id),
                   proto_error ());
    return len;
}

char *check_source_text (const char *file)
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
    return text;
}

/* ---- runner ------------------------------------------------------------ */

static Suite *s_suite (void)
{
    Suite *s = suite_create ("protocol");
    TCase *t = tcase_create ("messages");
    check_codec_tests (t);
    suite_add_tcase (s, t);

    t = tcase_create ("decode-refusals");
    check_decode_tests (t);
    suite_add_tcase (s, t);

    t = tcase_create ("documents");
    check_vocab_tests (t);
    check_documents_tests (t);
    suite_add_tcase (s, t);

    t = tcase_create ("card");
    check_card_tests (t);
    suite_add_tcase (s, t);

    t = tcase_create ("spec-vectors");
    check_vectors_tests (t);
    suite_add_tcase (s, t);

    suite_add_tcase (s, check_messages_tcase ());
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
