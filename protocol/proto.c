/*  proto.c: the cdx wire codec and the two signed documents (manifest and
    receipt), as specified in protocol/SPEC.md.

    Everything here is table-driven. A field descriptor (field_t) says where
    a value lives in a C struct, its msgpack type and its bounds; a message
    row (msg_desc_t) lists the fields of one message in wire order; the
    manifest and receipt are lists of fields keyed by name. One encoder and
    one decoder walk these tables, and both call the same check functions, so
    the encoder cannot emit anything the decoder would refuse.

    Decoding treats its input as hostile: before msgpack-c sees a frame, a
    small scanner proves that it holds exactly one complete msgpack object
    whose containers claim no more elements than there are bytes left (so a
    5-byte frame cannot make msgpack-c reserve gigabytes), and every type,
    length and bound is checked before a byte is copied. Failures leave
    through one path per function with a code and a reason (proto_error).

    Not for: sockets, cryptography (signatures over the documents are the
    caller's business), storage, or deciding whether a message is welcome
    at this point of a conversation.
*/
#include "proto.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- reasons ----------------------------------------------------------- */

#define PROTO_WHY_MAX 256

/* Empty after a success, so a caller can tell "no reason" from a reason.
   Reasons are printable ASCII (outside bytes are shown as hex or '?'), so
   they may be sent back in an ERROR reason as they are. */
static _Thread_local char s_error[PROTO_WHY_MAX] = "";

static void s_ok (void)
{
    s_error[0] = 0;
}

static void s_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void s_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s_error, sizeof s_error, fmt, ap);
    va_end (ap);
}

const char *proto_error (void)
{
    return s_error;
}

/* ---- vocabularies (the .def files beside this one) -------------------- */

/* The index of the N bytes at P in WORDS (COUNT of them), or -1. */
static int s_word_index (const char *const *words, size_t count, const void *p, size_t n)
{
    for (size_t i = 0; p && i < count; i++)
        if (n == strlen (words[i]) && memcmp (p, words[i], n) == 0) return (int) i;
    return -1;
}

static int s_word_index_str (const char *const *words, size_t count, const char *s)
{
    return s ? s_word_index (words, count, s, strlen (s)) : -1;
}

/* LIST ("a, b, c") with its last ", " made " or ", in BUF; a list of one
   word is returned as it is. */
static const char *s_or (const char *list, char *buf, size_t len)
{
    const char *last = NULL;
    for (const char *q = strstr (list, ", "); q; q = strstr (q + 2, ", ")) last = q;
    if (!last) return list;
    snprintf (buf, len, "%.*s or %s", (int) (last - list), list, last + 2);
    return buf;
}

#define VOCAB_OR_MAX 256

static const char *const s_classes[] = {
#define X(id, name) name,
#include "classes.def"
#undef X
};
#define N_CLASSES (sizeof s_classes / sizeof s_classes[0])
#define X(id, name) _Static_assert (sizeof name <= sizeof ((proto_manifest_t *) 0)->class_, "class " name " fits the manifest");
#include "classes.def"
#undef X

int proto_class_known (const char *class_)
{
    return s_word_index_str (s_classes, N_CLASSES, class_) >= 0;
}

int proto_class_rank (const char *class_)
{
    return s_word_index_str (s_classes, N_CLASSES, class_);
}

const char *proto_classes_list (void)
{
    static const char list[] =
#define X(id, name) ", " name
#include "classes.def"
#undef X
        ;
    return list + 2;
}

const char *proto_classes_or (void)
{
    static _Thread_local char buf[VOCAB_OR_MAX];
    return s_or (proto_classes_list (), buf, sizeof buf);
}

static const char *const s_opt_outs[] = {
#define X(id, name) name,
#include "opt_outs.def"
#undef X
};
#define N_OPT_OUTS (sizeof s_opt_outs / sizeof s_opt_outs[0])
#define X(id, name) _Static_assert (sizeof name <= sizeof ((proto_manifest_t *) 0)->opt_out, "opt-out " name " fits the manifest");
#include "opt_outs.def"
#undef X

int proto_opt_out_known (const char *opt_out)
{
    return s_word_index_str (s_opt_outs, N_OPT_OUTS, opt_out) >= 0;
}

int proto_opt_out_id (const char *opt_out)
{
    return s_word_index_str (s_opt_outs, N_OPT_OUTS, opt_out);
}

const char *proto_opt_outs_list (void)
{
    static const char list[] =
#define X(id, name) ", " name
#include "opt_outs.def"
#undef X
        ;
    return list + 2;
}

const char *proto_opt_outs_or (void)
{
    static _Thread_local char buf[VOCAB_OR_MAX];
    return s_or (proto_opt_outs_list (), buf, sizeof buf);
}

static const char *const s_dspts[] = {
#define X(id, name, meets) name,
#include "dspt.def"
#undef X
};
static const int s_dspt_meets[] = {
#define X(id, name, meets) meets,
#include "dspt.def"
#undef X
};
#define N_DSPTS (sizeof s_dspts / sizeof s_dspts[0])

int proto_dspt_known (const char *dspt)
{
    return s_word_index_str (s_dspts, N_DSPTS, dspt) >= 0;
}

int proto_dspt_meets (const char *dspt)
{
    int i = s_word_index_str (s_dspts, N_DSPTS, dspt);
    return i >= 0 && s_dspt_meets[i];
}

const char *proto_dspts_list (void)
{
    static const char list[] =
#define X(id, name, meets) ", " name
#include "dspt.def"
#undef X
        ;
    return list + 2;
}

const char *proto_dspts_or (void)
{
    static _Thread_local char buf[VOCAB_OR_MAX];
    return s_or (proto_dspts_list (), buf, sizeof buf);
}

/* ---- text rules ------------------------------------------------------- */

/* What a string field must look like beyond its length. */
typedef enum {
    RULE_NONE = 0,
    RULE_TOPIC,   /* [A-Za-z0-9._/-], not starting with '/' or '.' */
    RULE_TEXT,    /* UTF-8 a person can read: no control characters */
    RULE_ORG,     /* ODS code: 3..5 of [A-Z0-9] */
    RULE_CLASS,   /* classes.def */
    RULE_PURPOSE, /* [a-z0-9-] */
    RULE_FILENAME, /* RULE_TEXT, no '/', not "." or ".." */
    RULE_OPTOUT,   /* opt_outs.def */
    RULE_ORG_OPT,  /* "" or RULE_ORG */
    RULE_REF_OPT,  /* "" or RULE_TOPIC */
    RULE_TOPICS,   /* comma-separated topic patterns: RULE_TOPIC, '*' only last */
    RULE_PURPOSES  /* comma-separated RULE_PURPOSE, none empty */
} rule_t;

static int s_rule_ok (rule_t rule, const uint8_t *p, size_t n, char *why, size_t whylen);

/* Each comma-separated item of P[0..N) is checked with ITEM; none empty. */
static int s_list_ok (rule_t item, int star, const uint8_t *p, size_t n, char *why, size_t whylen)
{
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != ',')
            j++;
        size_t len = j - i;
        if (len == 0) {
            snprintf (why, whylen, "empty item at byte %zu", i);
            return -1;
        }
        if (star && p[j - 1] == '*')
            len--;                            /* a trailing '*' matches any rest */
        if (len > 0 && s_rule_ok (item, p + i, len, why, whylen) != 0)
            return -1;
        i = j + 1;
    }
    return 0;
}

/* Decodes one UTF-8 sequence at P[*I] (strictly: no overlong forms, no
   surrogates, nothing above U+10FFFF). Returns 0 and advances *I, or -1. */
static int s_utf8_next (const uint8_t *p, size_t n, size_t *i, uint32_t *cp)
{
    uint8_t b = p[*i];
    size_t more;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        (*i)++;
        return 0;
    }
    if ((b & 0xE0) == 0xC0) {
        more = 1, c = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        more = 2, c = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        more = 3, c = b & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (more > n - *i - 1) return -1;
    for (size_t k = 1; k <= more; k++) {
        uint8_t x = p[*i + k];
        if ((x & 0xC0) != 0x80) return -1;
        c = (c << 6) | (x & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return -1;
    *cp = c;
    *i += more + 1;
    return 0;
}

/* Characters refused in text: C0 and C1 controls, DEL, the line and
   paragraph separators and the bidirectional embeddings, overrides and
   isolates (which can make a name or reason display as something else). */
static int s_char_refused (uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

static int s_text_ok (const uint8_t *p, size_t n, char *why, size_t whylen)
{
    size_t i = 0;
    while (i < n) {
        size_t at = i;
        uint32_t c;
        if (s_utf8_next (p, n, &i, &c) != 0) {
            snprintf (why, whylen, "invalid UTF-8 at byte %zu", at);
            return -1;
        }
        if (s_char_refused (c)) {
            snprintf (why, whylen, "control character U+%04" PRIX32 " at byte %zu", c, at);
            return -1;
        }
    }
    return 0;
}

static int s_rule_ok (rule_t rule, const uint8_t *p, size_t n, char *why, size_t whylen)
{
    switch (rule) {
    case RULE_NONE:
        return 0;
    case RULE_TEXT:
        return s_text_ok (p, n, why, whylen);
    case RULE_TOPIC:
        if (n > 0 && (p[0] == '/' || p[0] == '.')) {
            snprintf (why, whylen, "topic starts with '%c'", p[0]);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            uint8_t c = p[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '/' || c == '-')) {
                snprintf (why, whylen, "byte 0x%02X at %zu is not one of [A-Za-z0-9._/-]", c, i);
                return -1;
            }
        }
        return 0;
    case RULE_ORG:
        if (n < 3 || n > 5) {
            snprintf (why, whylen, "org code of %zu characters (3 to 5 expected)", n);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9'))) {
                snprintf (why, whylen, "org code byte 0x%02X at %zu is not one of [A-Z0-9]", p[i],
                          i);
                return -1;
            }
        }
        return 0;
    case RULE_CLASS:
        if (s_word_index (s_classes, N_CLASSES, p, n) >= 0) return 0;
        snprintf (why, whylen, "not %s", proto_classes_or ());
        return -1;
    case RULE_PURPOSE:
        for (size_t i = 0; i < n; i++) {
            uint8_t c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                snprintf (why, whylen, "byte 0x%02X at %zu is not one of [a-z0-9-]", c, i);
                return -1;
            }
        }
        return 0;
    case RULE_FILENAME:
        if (n && memchr (p, '/', n)) {
            snprintf (why, whylen, "contains '/' (a base name is expected)");
            return -1;
        }
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            snprintf (why, whylen, "\".\" and \"..\" are not file names");
            return -1;
        }
        return s_text_ok (p, n, why, whylen);
    case RULE_OPTOUT:
        if (s_word_index (s_opt_outs, N_OPT_OUTS, p, n) >= 0) return 0;
        snprintf (why, whylen, "not %s", proto_opt_outs_or ());
        return -1;
    case RULE_ORG_OPT:
        return n == 0 ? 0 : s_rule_ok (RULE_ORG, p, n, why, whylen);
    case RULE_REF_OPT:
        return n == 0 ? 0 : s_rule_ok (RULE_TOPIC, p, n, why, whylen);
    case RULE_TOPICS:
        return s_list_ok (RULE_TOPIC, 1, p, n, why, whylen);
    case RULE_PURPOSES:
        return s_list_ok (RULE_PURPOSE, 0, p, n, why, whylen);
    }
    snprintf (why, whylen, "unknown rule");
    return -1;
}

/* ---- field descriptors ------------------------------------------------- */

typedef enum {
    V_UINT, /* msgpack positive integer, bounded by [min, max] */
    V_INT,  /* msgpack integer that fits int64_t */
    V_STR,  /* msgpack str, length in [min, max], then a rule */
    V_BIN   /* msgpack bin, length in [min, max] */
} vtype_t;

#define NO_LEN ((size_t)-1)

typedef struct {
    const char *name; /* in reasons, and the key in a document */
    vtype_t type;
    size_t off;        /* offset of the member in its struct */
    size_t width;      /* V_UINT: 4 or 8; V_STR, V_BIN: size of the member */
    size_t len_off;    /* V_BIN of variable length: offset of its size_t */
    uint64_t min, max; /* V_UINT: value; V_STR, V_BIN: length in bytes */
    rule_t rule;       /* V_STR only */
} field_t;

/* The field kinds of messages.def, one descriptor each: F_topic, ... */
#define S_MSG_FIELD(name, vtype, len_off, min, max, rule)                                          \
    {                                                                                              \
        #name, vtype, offsetof (proto_msg_t, name), sizeof (((proto_msg_t *)0)->name), len_off,    \
            min, max, RULE_##rule                                                                  \
    }
#define S_FIELD_UINT(name, min, max, rule) S_MSG_FIELD (name, V_UINT, NO_LEN, min, max, rule)
#define S_FIELD_STR(name, min, max, rule) S_MSG_FIELD (name, V_STR, NO_LEN, min, max, rule)
#define S_FIELD_BIN(name, min, max, rule) S_MSG_FIELD (name, V_BIN, NO_LEN, min, max, rule)
#define S_FIELD_VBIN(name, min, max, rule)                                                         \
    S_MSG_FIELD (name, V_BIN, offsetof (proto_msg_t, name##_len), min, max, rule)

#define FIELD(name, type, min, max, rule)                                                          \
    static const field_t F_##name = S_FIELD_##type (name, min, max, rule);
#define MSG(...)
#include "messages.def"
#undef MSG
#undef FIELD

/* ---- the message table ------------------------------------------------ */

#define MSG_FIELDS_MAX 4

typedef struct {
    const char *name;
    int payload;         /* a payload frame follows the header frame */
    proto_from_t from;   /* who sends it */
    unsigned accepted;   /* proto_socket_t flags of the sockets that take it */
    size_t nfields;
    const field_t *fields[MSG_FIELDS_MAX];
} msg_desc_t;

/* A message's field list (1 to MSG_FIELDS_MAX kinds) as descriptors, and
   its length; a longer list fails to compile. */
#define S_NTH(_1, _2, _3, _4, n, ...) n
#define S_F1(a) &F_##a
#define S_F2(a, b) &F_##a, &F_##b
#define S_F3(a, b, c) &F_##a, &F_##b, &F_##c
#define S_F4(a, b, c, d) &F_##a, &F_##b, &F_##c, &F_##d
#define S_FIELDS(...) S_NTH (__VA_ARGS__, S_F4, S_F3, S_F2, S_F1, 0) (__VA_ARGS__)
#define S_NFIELDS(...) S_NTH (__VA_ARGS__, 4, 3, 2, 1, 0)
#define S_ON_ROUTER PROTO_ROUTER
#define S_ON_DEALER PROTO_DEALER
#define S_ON_BOTH (PROTO_ROUTER | PROTO_DEALER)

static const msg_desc_t s_msgs[PROTO_MSG_MAX + 1] = {
#define FIELD(...)
#define MSG(id, name, from, on, payload, ...)                                                      \
    [id] = {#name, payload, PROTO_FROM_##from, S_ON_##on, S_NFIELDS (__VA_ARGS__),                \
            {S_FIELDS (__VA_ARGS__)}},
#include "messages.def"
#undef MSG
#undef FIELD
};

/* Ids are 1 to PROTO_MSG_MAX, each once, in order (SPEC.md section 6). */
enum {
    S_ID_NONE = 0,
#define FIELD(...)
#define MSG(id, name, ...) S_ID_##name,
#include "messages.def"
#undef MSG
#undef FIELD
};
#define FIELD(...)
#define MSG(id, name, ...) _Static_assert (S_ID_##name == id, #name ": ids run 1, 2, ... in messages.def");
#include "messages.def"
#undef MSG
#undef FIELD

static const msg_desc_t *s_msg (uint64_t id)
{
    if (id == 0 || id > PROTO_MSG_MAX || !s_msgs[id].name) return NULL;
    return &s_msgs[id];
}

int proto_has_payload (uint8_t id)
{
    const msg_desc_t *d = s_msg (id);
    return d ? d->payload : 0;
}

proto_from_t proto_sender (int id)
{
    const msg_desc_t *d = id < 0 ? NULL : s_msg ((uint64_t)id);
    return d ? d->from : PROTO_FROM_NONE;
}

int proto_accepted_on (int id, proto_socket_t s)
{
    const msg_desc_t *d = id < 0 ? NULL : s_msg ((uint64_t)id);
    return d && (d->accepted & (unsigned)s) != 0;
}

const char *proto_name (uint8_t id)
{
    const msg_desc_t *d = s_msg (id);
    return d ? d->name : "UNKNOWN";
}

const char *proto_err_name (uint32_t code)
{
    static const char *const names[PROTO_E_MAX + 1] = {
        [PROTO_OK] = "OK",
        [PROTO_E_MALFORMED] = "MALFORMED",
        [PROTO_E_VERSION] = "VERSION",
        [PROTO_E_UNKNOWN] = "UNKNOWN",
        [PROTO_E_STATE] = "STATE",
        [PROTO_E_DENIED] = "DENIED",
        [PROTO_E_SIGNATURE] = "SIGNATURE",
        [PROTO_E_CHUNK] = "CHUNK",
        [PROTO_E_HASH] = "HASH",
        [PROTO_E_UNKNOWN_DATASET] = "UNKNOWN_DATASET",
        [PROTO_E_INTERNAL] = "INTERNAL",
    };
    return code <= PROTO_E_MAX ? names[code] : "UNKNOWN";
}

/* ---- grammars and vocabularies for callers ----------------------------- */

/* A NUL-terminated value of 1 to MAX bytes that RULE accepts. */
static int s_value_ok (const char *what, const char *v, size_t max, rule_t rule)
{
    char why[PROTO_WHY_MAX];
    size_t n = v ? strnlen (v, max + 1) : 0;
    if (n == 0) {
        s_fail ("%s: empty", what);
        return -1;
    }
    if (n > max) {
        s_fail ("%s: longer than %zu bytes", what, max);
        return -1;
    }
    if (s_rule_ok (rule, (const uint8_t *)v, n, why, sizeof why) != 0) {
        s_fail ("%s: %s", what, why);
        return -1;
    }
    s_ok ();
    return 0;
}

int proto_topic_ok (const char *topic)
{
    return s_value_ok ("topic", topic, PROTO_TOPIC_MAX, RULE_TOPIC);
}

int proto_ref_ok (const char *ref)
{
    return s_value_ok ("agreement reference", ref, PROTO_REF_MAX, RULE_TOPIC);
}

int proto_text_ok (const char *what, const char *text, size_t max)
{
    return text && *text ? s_value_ok (what, text, max, RULE_TEXT) : (s_ok (), 0);
}

static const char *const s_purposes[] = {
#define X(name) name,
#include "purposes.def"
#undef X
};

int proto_purpose_known (const char *purpose)
{
    for (size_t i = 0; purpose && i < sizeof s_purposes / sizeof s_purposes[0]; i++)
        if (strcmp (purpose, s_purposes[i]) == 0) return 1;
    return 0;
}

const char *proto_purposes_list (void)
{
    /* ", a, b, c" at compile time; the first separator is skipped. */
    static const char list[] =
#define X(name) ", " name
#include "purposes.def"
#undef X
        ;
    return list + 2;
}

/* ---- checks shared by encoder and decoder ------------------------------ */

static int s_check_uint (const field_t *f, uint64_t v, char *why, size_t whylen)
{
    if (v < f->min) {
        snprintf (why, whylen, "value %" PRIu64 " is below %" PRIu64, v, f->min);
        return -1;
    }
    if (v > f->max) {
        snprintf (why, whylen, "value %" PRIu64 " exceeds %" PRIu64, v, f->max);
        return -1;
    }
    return 0;
}

static int s_check_len (const field_t *f, const char *kind, size_t n, char *why, size_t whylen)
{
    if (f->min == f->max && n != f->min) {
        snprintf (why, whylen, "%s of %zu bytes, expected exactly %" PRIu64, kind, n, f->min);
        return -1;
    }
    if (n < f->min) {
        snprintf (why, whylen, "%s of %zu bytes is shorter than %" PRIu64, kind, n, f->min);
        return -1;
    }
    if (n > f->max) {
        snprintf (why, whylen, "%s of %zu bytes exceeds %" PRIu64, kind, n, f->max);
        return -1;
    }
    return 0;
}

static int s_check_str (const field_t *f, const uint8_t *p, size_t n, char *why, size_t whylen)
{
    if (s_check_len (f, "str", n, why, whylen) != 0) return -1;
    if (n && memchr (p, 0, n)) {
        snprintf (why, whylen, "str contains a NUL byte");
        return -1;
    }
    return s_rule_ok (f->rule, p, n, why, whylen);
}

/* ---- encoding ----------------------------------------------------------- */

/* A msgpack write callback into a fixed buffer, so encoding allocates
   nothing and a short buffer is an error rather than a reallocation. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
} sink_t;

static int s_sink_write (void *data, const char *p, size_t n)
{
    sink_t *s = data;
    if (n > s->cap - s->len) {
        s->overflow = 1;
        return -1;
    }
    memcpy (s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

/* Checks and packs field F of the struct at BASE. Returns 0, or -1 with
   the reason in WHY (or the sink's overflow flag set). */
static int s_pack_field (msgpack_packer *pk, const field_t *f, const void *base, char *why,
                         size_t whylen)
{
    const uint8_t *p = (const uint8_t *)base + f->off;
    switch (f->type) {
    case V_UINT: {
        uint64_t v;
        if (f->width == sizeof (uint32_t)) {
            uint32_t v32;
            memcpy (&v32, p, sizeof v32);
            v = v32;
        } else {
            memcpy (&v, p, sizeof v);
        }
        if (s_check_uint (f, v, why, whylen) != 0) return -1;
        return msgpack_pack_uint64 (pk, v);
    }
    case V_INT: {
        int64_t v;
        memcpy (&v, p, sizeof v);
        return msgpack_pack_int64 (pk, v);
    }
    case V_STR: {
        size_t n = strnlen ((const char *)p, f->width);
        if (n == f->width) {
            snprintf (why, whylen, "not NUL-terminated within %zu bytes", f->width);
            return -1;
        }
        if (s_check_str (f, p, n, why, whylen) != 0) return -1;
        if (msgpack_pack_str (pk, n) != 0) return -1;
        return msgpack_pack_str_body (pk, p, n);
    }
    case V_BIN: {
        size_t n = f->width;
        if (f->len_off != NO_LEN) memcpy (&n, (const uint8_t *)base + f->len_off, sizeof n);
        if (s_check_len (f, "bin", n, why, whylen) != 0) return -1;
        if (n > f->width) { /* only if the table is wrong */
            snprintf (why, whylen, "length %zu exceeds its buffer", n);
            return -1;
        }
        if (msgpack_pack_bin (pk, n) != 0) return -1;
        return msgpack_pack_bin_body (pk, p, n);
    }
    }
    snprintf (why, whylen, "unknown field type");
    return -1;
}

int proto_encode (const proto_msg_t *m, uint8_t *buf, size_t cap, size_t *len)
{
    char why[PROTO_WHY_MAX] = "";
    if (!m || !buf || !len) {
        s_fail ("proto_encode: null argument");
        return -1;
    }
    const msg_desc_t *d = s_msg (m->id);
    if (!d) {
        s_fail ("cannot encode unknown message id %u", (unsigned)m->id);
        return -1;
    }
    sink_t sink = {buf, cap, 0, 0};
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sink, s_sink_write);
    if (msgpack_pack_array (&pk, 2 + d->nfields) != 0 ||
        msgpack_pack_uint64 (&pk, PROTO_VERSION) != 0 || msgpack_pack_uint64 (&pk, m->id) != 0)
        goto overflow;
    for (size_t i = 0; i < d->nfields; i++) {
        if (s_pack_field (&pk, d->fields[i], m, why, sizeof why) != 0) {
            if (sink.overflow) goto overflow;
            s_fail ("%s field %zu (%s): %s", d->name, i + 1, d->fields[i]->name, why);
            return -1;
        }
    }
    if (sink.len > PROTO_HEADER_MAX) {
        s_fail ("%s: %zu bytes exceeds the header limit of %u", d->name, sink.len,
                PROTO_HEADER_MAX);
        return -1;
    }
    *len = sink.len;
    s_ok ();
    return 0;

overflow:
    s_fail ("%s: buffer of %zu bytes is too small", d->name, cap);
    return -1;
}

/* ---- decoding ------------------------------------------------------------ */

static const char *s_type_name (msgpack_object_type t)
{
    switch (t) {
    case MSGPACK_OBJECT_NIL:
        return "nil";
    case MSGPACK_OBJECT_BOOLEAN:
        return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return "uint";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return "negative int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return "float";
    case MSGPACK_OBJECT_STR:
        return "str";
    case MSGPACK_OBJECT_ARRAY:
        return "array";
    case MSGPACK_OBJECT_MAP:
        return "map";
    case MSGPACK_OBJECT_BIN:
        return "bin";
    case MSGPACK_OBJECT_EXT:
        return "ext";
    }
    return "unknown type";
}

static uint64_t s_be (const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Proves that BUF holds exactly one complete msgpack object, and that no
   container claims more elements than bytes remain (each element takes at
   least one byte), which bounds what msgpack-c will allocate by the frame
   size. Returns 0, or -1 with the reason in WHY. */
static int s_scan (const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    size_t pos = 0;
    uint64_t pending = 1; /* objects still to read; never more than bytes left */
    while (pending > 0) {
        if (pos >= len) goto truncated;
        uint8_t b = buf[pos++];
        size_t left = len - pos;
        uint64_t count = 0; /* container elements */
        uint64_t skip = 0;  /* bytes of payload to step over */
        size_t sz = 0;      /* bytes of length field */
        pending--;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool */
        } else if (b <= 0x8f) {
            count = 2u * (b & 0x0f);
        } else if (b <= 0x9f) {
            count = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else if (b == 0xc1) {
            snprintf (why, whylen, "byte 0xC1 at %zu is never used in msgpack", pos - 1);
            return -1;
        } else if (b >= 0xc4 && b <= 0xc6) { /* bin 8/16/32 */
            sz = (size_t)1 << (b - 0xc4);
        } else if (b >= 0xc7 && b <= 0xc9) { /* ext 8/16/32: length, type */
            sz = (size_t)1 << (b - 0xc7);
        } else if (b == 0xca || b == 0xcb) { /* float 32/64 */
            skip = b == 0xca ? 4 : 8;
        } else if (b >= 0xcc && b <= 0xd3) { /* uint, int 8..64 */
            skip = (uint64_t)1 << ((b - 0xcc) & 3);
        } else if (b >= 0xd4 && b <= 0xd8) { /* fixext 1..16, plus type */
            skip = 1 + ((uint64_t)1 << (b - 0xd4));
        } else if (b >= 0xd9 && b <= 0xdb) { /* str 8/16/32 */
            sz = (size_t)1 << (b - 0xd9);
        } else { /* 0xdc..0xdf: array 16/32, map 16/32 */
            size_t csz = (b == 0xdc || b == 0xde) ? 2 : 4;
            if (csz > left) goto truncated;
            count = s_be (buf + pos, csz);
            if (b >= 0xde) count *= 2;
            pos += csz;
            left -= csz;
        }
        if (sz) {
            if (sz > left) goto truncated;
            skip = s_be (buf + pos, sz);
            pos += sz;
            left -= sz;
            if (b >= 0xc7 && b <= 0xc9) skip += 1; /* the ext type byte */
        }
        if (skip > left) goto truncated;
        pos += (size_t)skip;
        left -= (size_t)skip;
        if (count > left || pending > left - count) {
            snprintf (why, whylen, "container at byte %zu claims more elements than bytes left",
                      pos - 1);
            return -1;
        }
        pending += count;
    }
    if (pos != len) {
        snprintf (why, whylen, "%zu trailing bytes after the msgpack object", len - pos);
        return -1;
    }
    return 0;

truncated:
    snprintf (why, whylen, "truncated msgpack (%zu bytes)", len);
    return -1;
}

/* Unpacks BUF, which must hold exactly one msgpack object, into UP (which
   the caller initialised and destroys). Returns 0, or -1 with WHY. */
static int s_unpack (const uint8_t *buf, size_t len, msgpack_unpacked *up, char *why, size_t whylen)
{
    if (len == 0 || !buf) {
        snprintf (why, whylen, "empty frame");
        return -1;
    }
    if (s_scan (buf, len, why, whylen) != 0) return -1;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next (up, (const char *)buf, len, &off);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len) {
        snprintf (why, whylen, "msgpack-c refused the frame (%d)", (int)rc);
        return -1;
    }
    return 0;
}

static const char *s_vtype_name (vtype_t t)
{
    switch (t) {
    case V_UINT:
        return "uint";
    case V_INT:
        return "int";
    case V_STR:
        return "str";
    case V_BIN:
        return "bin";
    }
    return "?";
}

/* Type-checks O against F and stores it into the struct at BASE. Returns
   0, or -1 with the reason in WHY (BASE may then be partly written). */
static int s_take_field (const field_t *f, const msgpack_object *o, void *base, char *why,
                         size_t whylen)
{
    uint8_t *p = (uint8_t *)base + f->off;
    switch (f->type) {
    case V_UINT: {
        if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) goto wrong_type;
        uint64_t v = o->via.u64;
        if (s_check_uint (f, v, why, whylen) != 0) return -1;
        if (f->width == sizeof (uint32_t)) {
            uint32_t v32 = (uint32_t)v; /* the table bounds it */
            memcpy (p, &v32, sizeof v32);
        } else {
            memcpy (p, &v, sizeof v);
        }
        return 0;
    }
    case V_INT: {
        int64_t v;
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            if (o->via.u64 > INT64_MAX) {
                snprintf (why, whylen, "value %" PRIu64 " does not fit int64", o->via.u64);
                return -1;
            }
            v = (int64_t)o->via.u64;
        } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            v = o->via.i64;
        } else {
            goto wrong_type;
        }
        memcpy (p, &v, sizeof v);
        return 0;
    }
    case V_STR: {
        if (o->type != MSGPACK_OBJECT_STR) goto wrong_type;
        size_t n = o->via.str.size;
        /* msgpack-c gives NULL for an empty str; the libc calls below may not */
        const uint8_t *s = n ? (const uint8_t *)o->via.str.ptr : (const uint8_t *)"";
        if (s_check_str (f, s, n, why, whylen) != 0) return -1;
        if (n >= f->width) { /* only if the table is wrong */
            snprintf (why, whylen, "str of %zu bytes does not fit", n);
            return -1;
        }
        memcpy (p, s, n);
        p[n] = 0;
        return 0;
    }
    case V_BIN: {
        if (o->type != MSGPACK_OBJECT_BIN) goto wrong_type;
        size_t n = o->via.bin.size;
        if (s_check_len (f, "bin", n, why, whylen) != 0) return -1;
        if (n > f->width) {
            snprintf (why, whylen, "bin of %zu bytes does not fit", n);
            return -1;
        }
        if (n) memcpy (p, o->via.bin.ptr, n);
        if (f->len_off != NO_LEN) memcpy ((uint8_t *)base + f->len_off, &n, sizeof n);
        return 0;
    }
    }
    snprintf (why, whylen, "unknown field type");
    return -1;

wrong_type:
    snprintf (why, whylen, "expected %s, got %s", s_vtype_name (f->type), s_type_name (o->type));
    return -1;
}

static uint32_t s_clamp32 (uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

proto_err_t proto_decode (const uint8_t *buf, size_t len, proto_msg_t *m)
{
    char why[PROTO_WHY_MAX] = "";
    proto_err_t err = PROTO_E_MALFORMED;
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    const msg_desc_t *d = NULL;
    if (!m) {
        s_fail ("proto_decode: null message");
        goto out;
    }
    memset (m, 0, sizeof *m);
    if (len > PROTO_HEADER_MAX) {
        snprintf (why, sizeof why, "frame of %zu bytes exceeds %u", len, PROTO_HEADER_MAX);
        goto malformed;
    }
    if (s_unpack (buf, len, &up, why, sizeof why) != 0) goto malformed;

    const msgpack_object *top = &up.data;
    if (top->type != MSGPACK_OBJECT_ARRAY) {
        snprintf (why, sizeof why, "expected array, got %s", s_type_name (top->type));
        goto malformed;
    }
    const msgpack_object_array *a = &top->via.array;
    if (a->size < 2) {
        snprintf (why, sizeof why, "array of %" PRIu32 " elements, need version and id", a->size);
        goto malformed;
    }
    if (a->ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf (why, sizeof why, "version: expected uint, got %s", s_type_name (a->ptr[0].type));
        goto malformed;
    }
    m->version = s_clamp32 (a->ptr[0].via.u64);
    if (a->ptr[0].via.u64 != PROTO_VERSION) {
        s_fail ("protocol version %" PRIu64 " not supported; supported versions: %u",
                a->ptr[0].via.u64, PROTO_VERSION);
        err = PROTO_E_VERSION;
        goto out;
    }
    if (a->ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf (why, sizeof why, "message id: expected uint, got %s",
                  s_type_name (a->ptr[1].type));
        goto malformed;
    }
    uint64_t id = a->ptr[1].via.u64;
    m->id = id > UINT8_MAX ? UINT8_MAX : (uint8_t)id;
    d = s_msg (id);
    if (!d) {
        s_fail ("unknown message id %" PRIu64, id);
        err = PROTO_E_UNKNOWN;
        goto out;
    }
    if (a->size - 2 != d->nfields) {
        snprintf (why, sizeof why, "%" PRIu32 " fields, expected %zu", a->size - 2, d->nfields);
        goto malformed;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        if (s_take_field (d->fields[i], &a->ptr[2 + i], m, why, sizeof why) != 0) {
            s_fail ("%s field %zu (%s): %s", d->name, i + 1, d->fields[i]->name, why);
            goto refuse;
        }
    }
    err = PROTO_OK;
    s_ok ();
    goto out;

malformed:
    if (d)
        s_fail ("%s: %s", d->name, why);
    else
        s_fail ("%s", why);
refuse:
    if (m) { /* keep only what a reply needs: version and id */
        uint8_t keep_id = m->id;
        uint32_t keep_version = m->version;
        memset (m, 0, sizeof *m);
        m->id = keep_id;
        m->version = keep_version;
    }
    err = PROTO_E_MALFORMED;
out:
    msgpack_unpacked_destroy (&up);
    return err;
}

/* ---- documents: manifest and receipt ------------------------------------ */

#define DOC_FIELDS_MAX 24

typedef struct {
    const char *name; /* "manifest", "receipt" */
    size_t nfields;
    const field_t *fields;
    /* Cross-field checks after every field passed; NULL if none. */
    int (*check) (const void *doc, char *why, size_t whylen);
} doc_desc_t;

#define DOC_FIELD(type_, key, vtype, member, min, max, rule)                                       \
    {                                                                                              \
        key, vtype, offsetof (type_, member), sizeof (((type_ *)0)->member), NO_LEN, min, max,     \
            rule                                                                                   \
    }
#define MF(key, vtype, member, min, max, rule)                                                     \
    DOC_FIELD (proto_manifest_t, key, vtype, member, min, max, rule)
#define RF(key, vtype, member, min, max, rule)                                                     \
    DOC_FIELD (proto_receipt_t, key, vtype, member, min, max, rule)
#define AF(key, vtype, member, min, max, rule)                                                     \
    DOC_FIELD (proto_agreement_t, key, vtype, member, min, max, rule)

/* In encoding order (SPEC.md "Manifest"). */
static const field_t s_manifest_fields[] = {
    MF ("format", V_UINT, format, 1, 1, RULE_NONE),
    MF ("dataset", V_BIN, dataset, PROTO_ID_BYTES, PROTO_ID_BYTES, RULE_NONE),
    MF ("publisher", V_STR, publisher, 3, 5, RULE_ORG),
    MF ("topic", V_STR, topic, 1, PROTO_TOPIC_MAX, RULE_TOPIC),
    MF ("version", V_UINT, version, 1, INT64_MAX, RULE_NONE),
    MF ("class", V_STR, class_, 1, 15, RULE_CLASS),
    MF ("purpose", V_STR, purpose, 1, 63, RULE_PURPOSE),
    MF ("filename", V_STR, filename, 0, 127, RULE_FILENAME),
    MF ("bytes", V_UINT, bytes, 0, INT64_MAX, RULE_NONE),
    MF ("chunk_size", V_UINT, chunk_size, 1, PROTO_CHUNK_MAX, RULE_NONE),
    MF ("chunks", V_UINT, chunks, 0, INT64_MAX, RULE_NONE),
    MF ("hash", V_BIN, hash, PROTO_HASH_BYTES, PROTO_HASH_BYTES, RULE_NONE),
    MF ("created", V_INT, created, 0, 0, RULE_NONE),
    MF ("legal_basis", V_STR, legal_basis, 0, PROTO_BASIS_MAX, RULE_TEXT),
    MF ("opt_out", V_STR, opt_out, 1, 23, RULE_OPTOUT),
    MF ("agreement", V_STR, agreement, 0, PROTO_REF_MAX, RULE_REF_OPT),
};

/* In encoding order (SPEC.md "Agreement"). */
static const field_t s_agreement_fields[] = {
    AF ("format", V_UINT, format, 1, 1, RULE_NONE),
    AF ("ref", V_STR, ref, 1, PROTO_REF_MAX, RULE_TOPIC),
    AF ("provider", V_STR, provider, 3, 5, RULE_ORG),
    AF ("provider_ig", V_STR, provider_ig, 1, PROTO_IG_MAX, RULE_TEXT),
    AF ("recipient", V_STR, recipient, 3, 5, RULE_ORG),
    AF ("recipient_ig", V_STR, recipient_ig, 1, PROTO_IG_MAX, RULE_TEXT),
    AF ("controller", V_STR, controller, 0, 5, RULE_ORG_OPT),
    AF ("controller_ig", V_STR, controller_ig, 0, PROTO_IG_MAX, RULE_TEXT),
    AF ("topics", V_STR, topics, 1, PROTO_TOPICS_MAX, RULE_TOPICS),
    AF ("class", V_STR, class_, 1, 15, RULE_CLASS),
    AF ("purposes", V_STR, purposes, 1, PROTO_PURPOSES_MAX, RULE_PURPOSES),
    AF ("art6", V_STR, art6, 1, PROTO_BASIS_MAX, RULE_TEXT),
    AF ("art9", V_STR, art9, 0, PROTO_BASIS_MAX, RULE_TEXT),
    AF ("duty", V_STR, duty, 0, PROTO_BASIS_MAX, RULE_TEXT),
    AF ("opt_out", V_UINT, opt_out, 0, 1, RULE_NONE),
    AF ("start", V_INT, start, 0, 0, RULE_NONE),
    AF ("end", V_INT, end, 0, 0, RULE_NONE),
    AF ("retention_days", V_UINT, retention_days, 1, 36500, RULE_NONE),
    AF ("onward", V_UINT, onward, 0, 1, RULE_NONE),
    AF ("conditions", V_STR, conditions, 0, PROTO_CONDITIONS_MAX, RULE_TEXT),
    AF ("created", V_INT, created, 0, 0, RULE_NONE),
};

static int s_agreement_check (const void *doc, char *why, size_t whylen)
{
    const proto_agreement_t *a = doc;
    if (a->end <= a->start) {
        snprintf (why, whylen, "end is not after start");
        return -1;
    }
    if (strcmp (a->provider, a->recipient) == 0) {
        snprintf (why, whylen, "provider and recipient are the same organisation");
        return -1;
    }
    if (!a->controller[0] && a->controller_ig[0]) {
        snprintf (why, whylen, "controller_ig without a controller");
        return -1;
    }
    return 0;
}

/* In encoding order (SPEC.md "Receipt"). */
static const field_t s_receipt_fields[] = {
    RF ("format", V_UINT, format, 1, 1, RULE_NONE),
    RF ("dataset", V_BIN, dataset, PROTO_ID_BYTES, PROTO_ID_BYTES, RULE_NONE),
    RF ("hash", V_BIN, hash, PROTO_HASH_BYTES, PROTO_HASH_BYTES, RULE_NONE),
    RF ("recipient", V_STR, recipient, 3, 5, RULE_ORG),
    RF ("recipient_key", V_BIN, recipient_key, 32, 32, RULE_NONE),
    RF ("received", V_INT, received, 0, 0, RULE_NONE),
};

static int s_manifest_check (const void *doc, char *why, size_t whylen)
{
    const proto_manifest_t *m = doc;
    if (m->chunk_size == 0) { /* the field check refuses it first */
        snprintf (why, whylen, "chunk_size is 0");
        return -1;
    }
    /* ceil(bytes / chunk_size) without the overflow of bytes + size - 1 */
    uint64_t want = m->bytes / m->chunk_size + (m->bytes % m->chunk_size != 0);
    if (m->chunks != want) {
        snprintf (why, whylen,
                  "chunks is %" PRIu64 " but %" PRIu64 " bytes in chunks of %" PRIu32
                  " make %" PRIu64,
                  m->chunks, m->bytes, m->chunk_size, want);
        return -1;
    }
    return 0;
}

static const doc_desc_t s_manifest = {"manifest",
                                      sizeof s_manifest_fields / sizeof s_manifest_fields[0],
                                      s_manifest_fields, s_manifest_check};
static const doc_desc_t s_agreement = {"agreement",
                                       sizeof s_agreement_fields / sizeof s_agreement_fields[0],
                                       s_agreement_fields, s_agreement_check};
static const doc_desc_t s_receipt = {
    "receipt", sizeof s_receipt_fields / sizeof s_receipt_fields[0], s_receipt_fields, NULL};

static int s_doc_encode (const doc_desc_t *d, const void *doc, uint8_t *buf, size_t cap,
                         size_t *len)
{
    char why[PROTO_WHY_MAX] = "";
    if (!doc || !buf || !len) {
        s_fail ("%s: null argument", d->name);
        return -1;
    }
    sink_t sink = {buf, cap, 0, 0};
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sink, s_sink_write);
    if (msgpack_pack_map (&pk, d->nfields) != 0) goto overflow;
    for (size_t i = 0; i < d->nfields; i++) {
        const field_t *f = &d->fields[i];
        size_t klen = strlen (f->name);
        if (msgpack_pack_str (&pk, klen) != 0 || msgpack_pack_str_body (&pk, f->name, klen) != 0)
            goto overflow;
        if (s_pack_field (&pk, f, doc, why, sizeof why) != 0) {
            if (sink.overflow) goto overflow;
            s_fail ("%s key \"%s\": %s", d->name, f->name, why);
            return -1;
        }
    }
    if (d->check && d->check (doc, why, sizeof why) != 0) {
        s_fail ("%s: %s", d->name, why);
        return -1;
    }
    if (sink.len > PROTO_DOC_MAX) {
        s_fail ("%s: %zu bytes exceeds %u", d->name, sink.len, PROTO_DOC_MAX);
        return -1;
    }
    *len = sink.len;
    s_ok ();
    return 0;

overflow:
    s_fail ("%s: buffer of %zu bytes is too small", d->name, cap);
    return -1;
}

/* Decodes a document into DOC (of SIZE bytes, zeroed first and again on
   failure). Keys may come in any order; each must appear exactly once. */
static proto_err_t s_doc_decode (const doc_desc_t *d, const uint8_t *buf, size_t len, void *doc,
                                 size_t size)
{
    char why[PROTO_WHY_MAX] = "";
    proto_err_t err = PROTO_E_MALFORMED;
    int seen[DOC_FIELDS_MAX] = {0};
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    if (!doc) {
        s_fail ("%s: null argument", d->name);
        goto out;
    }
    memset (doc, 0, size);
    if (len > PROTO_DOC_MAX) {
        snprintf (why, sizeof why, "%zu bytes exceeds %u", len, PROTO_DOC_MAX);
        goto malformed;
    }
    if (s_unpack (buf, len, &up, why, sizeof why) != 0) goto malformed;
    if (up.data.type != MSGPACK_OBJECT_MAP) {
        snprintf (why, sizeof why, "expected map, got %s", s_type_name (up.data.type));
        goto malformed;
    }
    const msgpack_object_map *map = &up.data.via.map;
    for (uint32_t k = 0; k < map->size; k++) {
        const msgpack_object *key = &map->ptr[k].key;
        if (key->type != MSGPACK_OBJECT_STR) {
            snprintf (why, sizeof why, "key %" PRIu32 " is a %s, not a str", k + 1,
                      s_type_name (key->type));
            goto malformed;
        }
        size_t i;
        for (i = 0; i < d->nfields; i++)
            if (key->via.str.size > 0 && key->via.str.size == strlen (d->fields[i].name) &&
                memcmp (key->via.str.ptr, d->fields[i].name, key->via.str.size) == 0)
                break;
        if (i == d->nfields) {
            /* the key is outside bytes: print at most 32 bytes, as hex-safe text */
            char shown[33];
            size_t n = key->via.str.size < 32 ? key->via.str.size : 32;
            for (size_t j = 0; j < n; j++) {
                unsigned char c = (unsigned char)key->via.str.ptr[j];
                shown[j] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
            }
            shown[n] = 0;
            snprintf (why, sizeof why, "unknown key \"%s\"", shown);
            goto malformed;
        }
        if (seen[i]) {
            snprintf (why, sizeof why, "key \"%s\" appears twice", d->fields[i].name);
            goto malformed;
        }
        seen[i] = 1;
        if (s_take_field (&d->fields[i], &map->ptr[k].val, doc, why, sizeof why) != 0) {
            char inner[PROTO_WHY_MAX];
            memcpy (inner, why, sizeof inner);
            snprintf (why, sizeof why, "key \"%s\": %s", d->fields[i].name, inner);
            goto malformed;
        }
    }
    for (size_t i = 0; i < d->nfields; i++) {
        if (!seen[i]) {
            snprintf (why, sizeof why, "key \"%s\" is missing", d->fields[i].name);
            goto malformed;
        }
    }
    if (d->check && d->check (doc, why, sizeof why) != 0) goto malformed;
    err = PROTO_OK;
    s_ok ();
    goto out;

malformed:
    s_fail ("%s: %s", d->name, why);
    memset (doc, 0, size);
    err = PROTO_E_MALFORMED;
out:
    msgpack_unpacked_destroy (&up);
    return err;
}

int proto_manifest_encode (const proto_manifest_t *m, uint8_t *buf, size_t cap, size_t *len)
{
    return s_doc_encode (&s_manifest, m, buf, cap, len);
}

proto_err_t proto_manifest_decode (const uint8_t *buf, size_t len, proto_manifest_t *m)
{
    return s_doc_decode (&s_manifest, buf, len, m, sizeof *m);
}

int proto_receipt_encode (const proto_receipt_t *r, uint8_t *buf, size_t cap, size_t *len)
{
    return s_doc_encode (&s_receipt, r, buf, cap, len);
}

proto_err_t proto_receipt_decode (const uint8_t *buf, size_t len, proto_receipt_t *r)
{
    return s_doc_decode (&s_receipt, buf, len, r, sizeof *r);
}

int proto_agreement_encode (const proto_agreement_t *a, uint8_t *buf, size_t cap, size_t *len)
{
    return s_doc_encode (&s_agreement, a, buf, cap, len);
}

proto_err_t proto_agreement_decode (const uint8_t *buf, size_t len, proto_agreement_t *a)
{
    return s_doc_decode (&s_agreement, buf, len, a, sizeof *a);
}
