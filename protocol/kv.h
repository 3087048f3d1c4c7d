/*  kv: the "key: value" text form of identity cards (card.c) and of
    certificates, directories and authority files (cert.c): one line per
    value, "KEY: VALUE\n", in one order, nothing else; binary values as
    canonical padded base64 (crypto's cx_base64), numbers in decimal.

    A writer appends lines to a caller's buffer, keeping it NUL-terminated;
    a reader takes the next line if it has the key expected. Both report
    into the calling module's reason buffer (card_error, cert_error), or
    return a code the module words itself, so that each keeps its own
    messages. Not for: what the lines mean, their order or their rules
    (card.c, cert.c); only protocol/ uses it.
*/
#ifndef KV_H_INCLUDED
#define KV_H_INCLUDED

#include "card.h"

#include <stddef.h>
#include <stdint.h>

#define KV_BIN_MAX 64u /* the largest value a line holds as base64: a signature */

/* A text being written: BUF of CAP bytes, LEN used. A failure sets WHY
   (WHYLEN bytes), its reason prefixed with WHAT ("card: ", or ""). */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    char *why;
    size_t whylen;
    const char *what;
} kv_out_t;

/* Appends "KEY: VALUE\n". 0, or -1 with "buffer of CAP bytes is too small". */
int kv_line (kv_out_t *o, const char *key, const char *value);
/* The same with N (at most KV_BIN_MAX) bytes of BIN as base64. */
int kv_line_b64 (kv_out_t *o, const char *key, const uint8_t *bin, size_t n);
/* The same with V in decimal. */
int kv_line_u64 (kv_out_t *o, const char *key, uint64_t v);

/* The identity lines of a card or certificate (card_identity_t), org to
   curve-key ("node" only when the label is not empty). 0, or -1 with the reason set. */
int kv_identity_lines (kv_out_t *o, const card_identity_t *id);

/* A text being read: LEN bytes at BUF, POS the next line, LINENO its
   number once taken (1-based). */
typedef struct {
    const char *buf;
    size_t len;
    size_t pos;
    int lineno;
} kv_in_t;

typedef enum {
    KV_OK = 0,
    KV_END,        /* no line left */
    KV_NO_NEWLINE, /* the last line does not end with "\n" */
    KV_OTHER       /* a line, but not "KEY: ": *V and *VLEN give the whole line */
} kv_next_t;

/* Takes the next line if it is "KEY: VALUE\n": KV_OK with the value (not
   terminated) at *V, *VLEN bytes, and POS past the line. Otherwise the
   code, POS unchanged. LINENO counts the line in every case. */
kv_next_t kv_next (kv_in_t *r, const char *key, const char **v, size_t *vlen);

typedef enum {
    KV_B64_OK = 0,
    KV_B64_LENGTH,       /* not the length N bytes encode to (*WANT) */
    KV_B64_INVALID,      /* not base64 */
    KV_B64_NOT_CANONICAL /* decodes, but is not the one encoding of its bytes */
} kv_b64_t;

/* Decodes exactly N (at most KV_BIN_MAX) bytes of canonical padded base64
   from the VLEN bytes at V into OUT; *WANT is the length expected. */
kv_b64_t kv_b64 (const char *v, size_t vlen, uint8_t *out, size_t n, size_t *want);
/* The same for a value of any length up to MAX decoded bytes (a
   certificate inside a directory): *GOT receives the length decoded.
   SCRATCH must hold VLEN + 1 bytes. */
kv_b64_t kv_b64_any (const char *v, size_t vlen, uint8_t *out, size_t max, size_t *got,
                     char *scratch);

#endif
