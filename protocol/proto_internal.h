/*  proto_internal.h: what the files of protocol/'s codec share, and
    nothing outside protocol/ may use: the reason of the last failure, the
    text rules of string fields, the field descriptor that one encoder and
    one decoder walk, and the pre-scanner every decoder calls first.

    The codec is split by job: proto.c (messages), document.c (the signed
    documents: manifest, receipt, agreement), field.c (one field: check,
    pack, take), prescan.c (hostile msgpack refused before msgpack-c sees
    it), vocab.c (the vocabularies and the text rules). Not for: cards and
    certificates (card.c, cert.c), which are text, not msgpack.
*/
#ifndef PROTO_INTERNAL_H_INCLUDED
#define PROTO_INTERNAL_H_INCLUDED

#include "proto.h"

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* ---- reasons (proto.c) -------------------------------------------------- */

#define PROTO_WHY_MAX 256

/* Sets the reason proto_error () returns (printable ASCII: outside bytes
   are shown as hex or '?', so a reason may go back in an ERROR as it is). */
void proto_set_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Empties it after a success, so a caller can tell "no reason" from one. */
void proto_clear_error (void);

/* ---- text rules (vocab.c) ---------------------------------------------- */

/* What a string field must look like beyond its length. */
typedef enum {
    RULE_NONE = 0,
    RULE_TOPIC,    /* [A-Za-z0-9._/-], not starting with '/' or '.' */
    RULE_TEXT,     /* UTF-8 a person can read: no control characters */
    RULE_ORG,      /* ODS code: 3..5 of [A-Z0-9] */
    RULE_CLASS,    /* classes.def */
    RULE_PURPOSE,  /* [a-z0-9-] */
    RULE_FILENAME, /* RULE_TEXT, no '/', not "." or ".." */
    RULE_OPTOUT,   /* opt_outs.def */
    RULE_ORG_OPT,  /* "" or RULE_ORG */
    RULE_REF_OPT,  /* "" or RULE_TOPIC */
    RULE_TOPICS,   /* comma-separated topic patterns: RULE_TOPIC, '*' only last */
    RULE_PURPOSES, /* comma-separated RULE_PURPOSE, none empty */
    RULE_LABEL,    /* a node label: 1..8 of [a-z0-9], a letter first */
    RULE_ADDR      /* a node address: RULE_ORG, or RULE_ORG '/' RULE_LABEL */
} rule_t;

/* 0 if the N bytes at P follow RULE, else -1 with the reason in WHY. */
int proto_rule_ok (rule_t rule, const uint8_t *p, size_t n, char *why, size_t whylen);

/* ---- one field (field.c) ------------------------------------------------ */

typedef enum {
    V_UINT, /* msgpack positive integer, bounded by [min, max] */
    V_INT,  /* msgpack integer that fits int64_t */
    V_STR,  /* msgpack str, length in [min, max], then a rule */
    V_BIN   /* msgpack bin, length in [min, max] */
} vtype_t;

#define NO_LEN ((size_t)-1)

/* Where a value lives in a C struct, its msgpack type and its bounds. */
typedef struct {
    const char *name; /* in reasons, and the key in a document */
    vtype_t type;
    size_t off;        /* offset of the member in its struct */
    size_t width;      /* V_UINT: 4 or 8; V_STR, V_BIN: size of the member */
    size_t len_off;    /* V_BIN of variable length: offset of its size_t */
    uint64_t min, max; /* V_UINT: value; V_STR, V_BIN: length in bytes */
    rule_t rule;       /* V_STR only */
} field_t;

/* A msgpack write callback into a fixed buffer, so encoding allocates
   nothing and a short buffer is an error rather than a reallocation. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
} proto_sink_t;

int proto_sink_write (void *data, const char *p, size_t n);

/* Checks and packs field F of the struct at BASE. Returns 0, or -1 with
   the reason in WHY (or the sink's overflow flag set). */
int proto_field_pack (msgpack_packer *pk, const field_t *f, const void *base, char *why,
                      size_t whylen);
/* Type-checks O against F and stores it into the struct at BASE. Returns
   0, or -1 with the reason in WHY (BASE may then be partly written). */
int proto_field_take (const field_t *f, const msgpack_object *o, void *base, char *why,
                      size_t whylen);
/* "uint", "str", ... for reasons. */
const char *proto_type_name (msgpack_object_type t);

/* ---- hostile input (prescan.c) ------------------------------------------ */

/* 0 if BUF holds exactly one complete msgpack object none of whose
   containers claims more elements than bytes remain (which bounds what
   msgpack-c will allocate by the frame size); else -1 with WHY. */
int proto_prescan (const uint8_t *buf, size_t len, char *why, size_t whylen);
/* Pre-scans BUF, then unpacks it into UP (which the caller initialised
   and destroys). Returns 0, or -1 with WHY. */
int proto_unpack (const uint8_t *buf, size_t len, msgpack_unpacked *up, char *why, size_t whylen);

#endif
