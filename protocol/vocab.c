/*  vocab.c: the vocabularies of protocol/ (purposes.def, classes.def,
    opt_outs.def, dspt.def) with their lookups and lists, and the text
    rules every string field follows (topic, org code, readable text, ...),
    for the codec and for callers that take values from people.

    Every vocabulary has one shape: its words from its .def, a list of them
    for messages ("a, b, c"; "a, b or c"), and a lookup; s_vocab_t,
    vocab_table.h (included once per vocabulary) and the S_VOCAB_* macros
    below are that shape once. Not for: which field
    follows which rule (messages.def, document.c).
*/
#include "proto_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- vocabularies ------------------------------------------------------ */

/* A vocabulary: its words in .def order and "w1, w2, w3". */
typedef struct {
    const char *const *words;
    size_t count;
    const char *list;
} s_vocab_t;

#define VOCAB_OR_MAX 256

/* The index of the N bytes at P in V, or -1 (also for NULL). */
static int s_vocab_index (const s_vocab_t *v, const void *p, size_t n)
{
    for (size_t i = 0; p && i < v->count; i++)
        if (n == strlen (v->words[i]) && memcmp (p, v->words[i], n) == 0) return (int)i;
    return -1;
}

static int s_vocab_find (const s_vocab_t *v, const char *s)
{
    return s ? s_vocab_index (v, s, strlen (s)) : -1;
}

/* LIST ("a, b, c") with its last ", " made " or ", in BUF; a list of one
   word is returned as it is. */
static const char *s_or (const char *list, char *buf, size_t len)
{
    const char *last = NULL;
    for (const char *q = strstr (list, ", "); q; q = strstr (q + 2, ", "))
        last = q;
    if (!last) return list;
    snprintf (buf, len, "%.*s or %s", (int)(last - list), list, last + 2);
    return buf;
}

/* The word among an X line's arguments: X (NAME) or X (ID, NAME, ...). */
#define S_FIRST(a, ...) a
#define S_SECOND(a, b, ...) b

/* KNOWN_FN (1 if a word of VAR, else 0, also for NULL) and LIST_FN (its
   list). */
#define S_VOCAB_KNOWN_LIST(var, known_fn, list_fn)                                                 \
    int known_fn (const char *word)                                                                \
    {                                                                                              \
        return s_vocab_find (&var, word) >= 0;                                                     \
    }                                                                                              \
    const char *list_fn (void)                                                                     \
    {                                                                                              \
        return var.list;                                                                           \
    }

/* OR_FN: VAR's list with "or" before the last word (per thread, never freed). */
#define S_VOCAB_OR(var, or_fn)                                                                     \
    const char *or_fn (void)                                                                       \
    {                                                                                              \
        static _Thread_local char buf[VOCAB_OR_MAX];                                               \
        return s_or (var.list, buf, sizeof buf);                                                   \
    }

#define VOCAB_FILE "purposes.def"
#define VOCAB_VAR s_purposes
#define VOCAB_WORD(...) S_FIRST (__VA_ARGS__, 0)
#include "vocab_table.h"
S_VOCAB_KNOWN_LIST (s_purposes, proto_purpose_known, proto_purposes_list)

#define VOCAB_FILE "classes.def"
#define VOCAB_VAR s_classes
#define VOCAB_WORD(...) S_SECOND (__VA_ARGS__, 0)
#define VOCAB_FITS sizeof ((proto_manifest_t *)0)->class_
#include "vocab_table.h"
S_VOCAB_KNOWN_LIST (s_classes, proto_class_known, proto_classes_list)
S_VOCAB_OR (s_classes, proto_classes_or)

int proto_class_rank (const char *class_)
{
    return s_vocab_find (&s_classes, class_);
}

#define VOCAB_FILE "opt_outs.def"
#define VOCAB_VAR s_opt_outs
#define VOCAB_WORD(...) S_SECOND (__VA_ARGS__, 0)
#define VOCAB_FITS sizeof ((proto_manifest_t *)0)->opt_out
#include "vocab_table.h"
S_VOCAB_KNOWN_LIST (s_opt_outs, proto_opt_out_known, proto_opt_outs_list)
S_VOCAB_OR (s_opt_outs, proto_opt_outs_or)

int proto_opt_out_id (const char *opt_out)
{
    return s_vocab_find (&s_opt_outs, opt_out);
}

#define VOCAB_FILE "dspt.def"
#define VOCAB_VAR s_dspts
#define VOCAB_WORD(...) S_SECOND (__VA_ARGS__, 0)
#include "vocab_table.h"
S_VOCAB_KNOWN_LIST (s_dspts, proto_dspt_known, proto_dspts_list)
S_VOCAB_OR (s_dspts, proto_dspts_or)

int proto_dspt_meets (const char *dspt)
{
    static const int meets[] = {
#define X(id, name, meets_) meets_,
#include "dspt.def"
#undef X
    };
    int i = s_vocab_find (&s_dspts, dspt);
    return i >= 0 && meets[i];
}

/* ---- text rules ------------------------------------------------------- */

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
        if (star && p[j - 1] == '*') len--; /* a trailing '*' matches any rest */
        if (len > 0 && proto_rule_ok (item, p + i, len, why, whylen) != 0) return -1;
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

/* A node label (SPEC.md 9.2): 1 to 8 of a-z, 0-9, a letter first. */
static int s_label_ok (const uint8_t *p, size_t n, char *why, size_t whylen)
{
    if (n < 1 || n > 8) {
        snprintf (why, whylen, "node label of %zu characters (1 to 8 expected)", n);
        return -1;
    }
    if (!(p[0] >= 'a' && p[0] <= 'z')) {
        snprintf (why, whylen, "node label starts with byte 0x%02X, not a letter a-z", p[0]);
        return -1;
    }
    for (size_t i = 1; i < n; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9'))) {
            snprintf (why, whylen, "node label byte 0x%02X at %zu is not one of [a-z0-9]", p[i], i);
            return -1;
        }
    }
    return 0;
}

int proto_rule_ok (rule_t rule, const uint8_t *p, size_t n, char *why, size_t whylen)
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
        if (s_vocab_index (&s_classes, p, n) >= 0) return 0;
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
        if (s_vocab_index (&s_opt_outs, p, n) >= 0) return 0;
        snprintf (why, whylen, "not %s", proto_opt_outs_or ());
        return -1;
    case RULE_ORG_OPT:
        return n == 0 ? 0 : proto_rule_ok (RULE_ORG, p, n, why, whylen);
    case RULE_REF_OPT:
        return n == 0 ? 0 : proto_rule_ok (RULE_TOPIC, p, n, why, whylen);
    case RULE_TOPICS:
        return s_list_ok (RULE_TOPIC, 1, p, n, why, whylen);
    case RULE_PURPOSES:
        return s_list_ok (RULE_PURPOSE, 0, p, n, why, whylen);
    case RULE_LABEL:
        return s_label_ok (p, n, why, whylen);
    case RULE_ADDR: {
        const uint8_t *slash = n ? memchr (p, '/', n) : NULL;
        size_t orgn = slash ? (size_t)(slash - p) : n;
        if (proto_rule_ok (RULE_ORG, p, orgn, why, whylen) != 0) return -1;
        return slash ? s_label_ok (slash + 1, n - orgn - 1, why, whylen) : 0;
    }
    }
    snprintf (why, whylen, "unknown rule");
    return -1;
}

/* ---- grammars and vocabularies for callers ----------------------------- */

/* A NUL-terminated value of 1 to MAX bytes that RULE accepts. */
static int s_value_ok (const char *what, const char *v, size_t max, rule_t rule)
{
    char why[PROTO_WHY_MAX];
    size_t n = v ? strnlen (v, max + 1) : 0;
    if (n == 0) {
        proto_set_error ("%s: empty", what);
        return -1;
    }
    if (n > max) {
        proto_set_error ("%s: longer than %zu bytes", what, max);
        return -1;
    }
    if (proto_rule_ok (rule, (const uint8_t *)v, n, why, sizeof why) != 0) {
        proto_set_error ("%s: %s", what, why);
        return -1;
    }
    proto_clear_error ();
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
    return text && *text ? s_value_ok (what, text, max, RULE_TEXT) : (proto_clear_error (), 0);
}
