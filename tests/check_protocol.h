/*  check_protocol.h: what the files of the protocol suite share (the
    suite is check_protocol.c and the check_protocol_*.c and
    check_messages.c beside it, one executable, unit_protocol): the
    headers, the example messages and documents (spec_examples.h), the
    helpers that build hand-made msgpack, and each file's tests.
    Not for: anything outside tests/.
*/
#ifndef CHECK_PROTOCOL_H_INCLUDED
#define CHECK_PROTOCOL_H_INCLUDED

#include "agreement.h"
#include "card.h"
#include "cx.h"
#include "proto.h"
#include "spec_examples.h"

#include <check.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* P[0..N) as lower-case hex into OUT (2N + 1 bytes). */
void check_hex (const uint8_t *p, size_t n, char *out);
/* Prints NAME and the bytes when CDX_PRINT_VECTORS is set. */
void check_print_vector (const char *name, const uint8_t *p, size_t n);

/* The example of ID (spec_examples.h: the golden vectors encode these)
   into M; the test fails if there is none. */
void check_example (uint8_t id, proto_msg_t *m);
/* Encodes the example of ID into BUF (PROTO_HEADER_MAX bytes); its length. */
size_t check_encode_example (uint8_t id, uint8_t *buf);

/* A msgpack builder for hand-made (often wrong) frames. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} mp_t;

void mp_init (mp_t *m);
void mp_str (mp_t *m, const char *s, size_t n);
void mp_cstr (mp_t *m, const char *s);
void mp_bin (mp_t *m, const void *p, size_t n);
void mp_kv_uint (mp_t *m, const char *key, uint64_t v);
void mp_kv_int (mp_t *m, const char *key, int64_t v);
void mp_kv_str (mp_t *m, const char *key, const char *v);
void mp_kv_bin (mp_t *m, const char *key, const void *p, size_t n);
/* [version, id, ...] with NFIELDS fields still to pack. */
void mp_head (mp_t *m, uint64_t version, uint64_t id, size_t nfields);
/* Decodes what M holds, then frees it. */
proto_err_t mp_decode (mp_t *m, proto_msg_t *out);

/* FILE (a path under the source tree) read whole, NUL-terminated; the
   test fails if it cannot be read. Freed by the caller. */
char *check_source_text (const char *file);

/* Each file's tests, added to T (check_messages.c makes its own case). */
void check_codec_tests (TCase *t);
void check_decode_tests (TCase *t);
void check_documents_tests (TCase *t);
void check_card_tests (TCase *t);
void check_vectors_tests (TCase *t);
void check_vocab_tests (TCase *t);
TCase *check_messages_tcase (void);

#endif
