/*  card.c: formats and parses the text identity card of a cdx node
    (layout in card.h and SPEC.md "Identity card").

    The format is deliberately rigid: ten "key: value\n" lines in a fixed
    order (eleven in format 2, which has "node: LABEL" after "org:"),
    nothing else, so that there is exactly one text for a given card
    and the signed prefix is unambiguous. The parser treats the text as
    hostile: it checks the size first, refuses NUL bytes, takes each line in
    order, bounds each value before copying it, and accepts base64 only in
    its canonical padded form (it re-encodes and compares). The lines and
    their base64 are kv.c's, shared with certificates (cert.c).

    Not for: checking the signature (the caller does, with cx_verify over the
    first *signed_len bytes) or deciding whether to trust a card.
*/
#include "card.h"
#include "kv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CARD_WHY_MAX 256
#define CARD_KEY_BYTES 32u
#define CARD_SIG_BYTES 64u
#define CARD_CREATED_LEN 20u /* YYYY-MM-DDTHH:MM:SSZ */

/* Empty after a successful format or parse; printable ASCII otherwise. */
static _Thread_local char s_error[CARD_WHY_MAX] = "";

static int s_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Sets the reason and returns -1, so that "return s_fail (...)" reads. */
static int s_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s_error, sizeof s_error, fmt, ap);
    va_end (ap);
    return -1;
}

const char *card_error (void)
{
    return s_error;
}

/* ---- value rules --------------------------------------------------------- */

/* Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF)
   without control characters, line separators or bidirectional overrides.
   The same rule as "text" in vocab.c; kept here so that card.c stands
   alone. Returns 0, or -1 with the reason set. */
static int s_text_ok (const char *what, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t at = i, more;
        uint8_t b = p[i];
        uint32_t c, min;
        if (b < 0x80)
            more = 0, c = b, min = 0;
        else if ((b & 0xE0) == 0xC0)
            more = 1, c = b & 0x1F, min = 0x80;
        else if ((b & 0xF0) == 0xE0)
            more = 2, c = b & 0x0F, min = 0x800;
        else if ((b & 0xF8) == 0xF0)
            more = 3, c = b & 0x07, min = 0x10000;
        else
            return s_fail ("%s: invalid UTF-8 at byte %zu", what, at);
        if (more > n - i - 1) return s_fail ("%s: truncated UTF-8 at byte %zu", what, at);
        for (size_t k = 1; k <= more; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return s_fail ("%s: invalid UTF-8 at byte %zu", what, at);
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return s_fail ("%s: invalid UTF-8 at byte %zu", what, at);
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x2028 && c <= 0x202E) ||
            (c >= 0x2066 && c <= 0x2069))
            return s_fail ("%s: control character U+%04X at byte %zu", what, (unsigned)c, at);
        i += more + 1;
    }
    return 0;
}

int card_valid_org (const char *org)
{
    if (!org) return s_fail ("org: missing");
    size_t n = strnlen (org, CARD_ORG_MAX + 1);
    if (n < 3 || n > 5) return s_fail ("org: an ODS code is 3 to 5 characters, not %zu", n);
    for (size_t i = 0; i < n; i++)
        if (!((org[i] >= 'A' && org[i] <= 'Z') || (org[i] >= '0' && org[i] <= '9')))
            return s_fail ("org: only upper-case letters and digits are allowed");
    return 0;
}

int card_valid_label (const char *label)
{
    if (!label) return s_fail ("node: missing");
    size_t n = strnlen (label, CARD_LABEL_MAX + 1);
    if (n < 1 || n > CARD_LABEL_MAX)
        return s_fail ("node: a node label is 1 to %u characters, not %s", CARD_LABEL_MAX,
                       n ? "more" : "none");
    if (!(label[0] >= 'a' && label[0] <= 'z'))
        return s_fail ("node: a node label begins with a lower-case letter (a-z)");
    for (size_t i = 1; i < n; i++)
        if (!((label[i] >= 'a' && label[i] <= 'z') || (label[i] >= '0' && label[i] <= '9')))
            return s_fail ("node: only lower-case letters and digits are allowed in a node label");
    return 0;
}

int card_address (const char *org, const char *label, char out[CARD_ADDR_MAX + 1])
{
    out[0] = 0;
    if (card_valid_org (org) != 0) return -1;
    if (label && label[0]) {
        if (card_valid_label (label) != 0) return -1;
        snprintf (out, CARD_ADDR_MAX + 1, "%s/%s", org, label);
    } else
        snprintf (out, CARD_ADDR_MAX + 1, "%s", org);
    return 0;
}

int card_address_split (const char *addr, char org[CARD_ORG_MAX + 1], char label[CARD_LABEL_MAX + 1])
{
    org[0] = label[0] = 0;
    if (!addr) return s_fail ("address: missing");
    size_t n = strnlen (addr, CARD_ADDR_MAX + 1);
    if (n > CARD_ADDR_MAX)
        return s_fail ("address: a node's address is ORG or ORG/LABEL, at most %u bytes", CARD_ADDR_MAX);
    const char *slash = memchr (addr, '/', n);
    size_t olen = slash ? (size_t)(slash - addr) : n;
    if (olen > CARD_ORG_MAX) return s_fail ("address: expected ORG or ORG/LABEL");
    char o[CARD_ORG_MAX + 1], l[CARD_LABEL_MAX + 1] = "";
    memcpy (o, addr, olen);
    o[olen] = 0;
    if (card_valid_org (o) != 0) return -1;
    if (slash) {
        size_t llen = n - olen - 1;
        if (llen > CARD_LABEL_MAX) return s_fail ("address: the node label is 1 to %u characters", CARD_LABEL_MAX);
        memcpy (l, slash + 1, llen);
        l[llen] = 0;
        if (card_valid_label (l) != 0) return -1;
    }
    memcpy (org, o, olen + 1);
    snprintf (label, CARD_LABEL_MAX + 1, "%s", l);
    return 0;
}

int card_address_of_org (const char *addr, const char *org)
{
    char o[CARD_ORG_MAX + 1], l[CARD_LABEL_MAX + 1];
    if (!org || card_address_split (addr, o, l) != 0) return 0;
    return strcmp (o, org) == 0;
}

int card_format_version (const card_identity_t *id)
{
    return id->node[0] ? 2 : 1;
}

int card_valid_role (const char *role)
{
    static const char *const roles[] = {"csu", "ccg", "icb", "dscro"};
    if (!role) return s_fail ("role: missing");
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp (role, roles[i]) == 0) return 0;
    return s_fail ("role: must be csu, ccg, icb or dscro");
}

static int s_host_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

static int s_ipv6_char (char c)
{
    return (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.';
}

int card_valid_endpoint (const char *endpoint)
{
    static const char scheme[] = "tcp://";
    if (!endpoint) return s_fail ("endpoint: missing");
    size_t n = strnlen (endpoint, CARD_ENDPOINT_MAX + 1);
    if (n > CARD_ENDPOINT_MAX) return s_fail ("endpoint: longer than %u bytes", CARD_ENDPOINT_MAX);
    if (strncmp (endpoint, scheme, sizeof scheme - 1) != 0)
        return s_fail ("endpoint: must start with tcp://");
    const char *h = endpoint + sizeof scheme - 1;
    const char *p;
    if (*h == '[') {
        const char *close = strchr (h, ']');
        if (!close || close == h + 1) return s_fail ("endpoint: unterminated or empty [IPv6] host");
        for (p = h + 1; p < close; p++)
            if (!s_ipv6_char (*p)) return s_fail ("endpoint: bad character in [IPv6] host");
        if (!memchr (h + 1, ':', (size_t)(close - h - 1)))
            return s_fail ("endpoint: [IPv6] host without ':'");
        p = close + 1;
    } else {
        for (p = h; *p && *p != ':'; p++)
            if (!s_host_char (*p))
                return s_fail ("endpoint: host may hold only letters, digits, '.' and '-'");
        if (p == h) return s_fail ("endpoint: empty host");
    }
    if (*p != ':') return s_fail ("endpoint: expected :PORT after the host");
    p++;
    size_t digits = strlen (p);
    if (digits < 1 || digits > 5 || p[0] == '0')
        return s_fail ("endpoint: port must be 1 to 65535");
    unsigned long port = 0;
    for (size_t i = 0; i < digits; i++) {
        if (p[i] < '0' || p[i] > '9') return s_fail ("endpoint: port must be 1 to 65535");
        port = port * 10 + (unsigned long)(p[i] - '0');
    }
    if (port < 1 || port > 65535) return s_fail ("endpoint: port must be 1 to 65535");
    return 0;
}

static int s_valid_name (const char *name)
{
    size_t n = strnlen (name, CARD_NAME_MAX + 1);
    if (n < 1 || n > CARD_NAME_MAX)
        return s_fail ("name: 1 to %u bytes, not %s", CARD_NAME_MAX, n ? "more" : "none");
    return s_text_ok ("name", (const uint8_t *)name, n);
}

static int s_digits (const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return 0;
}

/* YYYY-MM-DDTHH:MM:SSZ, UTC, with the calendar checked (leap years too);
   a leap second (:60) is allowed. */
static int s_valid_created (const char *t)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, s;
    if (strnlen (t, CARD_CREATED_LEN + 1) != CARD_CREATED_LEN || t[4] != '-' || t[7] != '-' ||
        t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z' || s_digits (t, 4, &y) ||
        s_digits (t + 5, 2, &mo) || s_digits (t + 8, 2, &d) || s_digits (t + 11, 2, &h) ||
        s_digits (t + 14, 2, &mi) || s_digits (t + 17, 2, &s))
        return s_fail ("created: expected YYYY-MM-DDTHH:MM:SSZ");
    if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 60)
        return s_fail ("created: date or time out of range");
    unsigned dim = mdays[mo - 1];
    if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) dim = 29;
    if (d < 1 || d > dim) return s_fail ("created: day out of range");
    return 0;
}

int card_valid_name (const char *name)
{
    if (!name) return s_fail ("name: missing");
    return s_valid_name (name);
}

int card_valid_time (const char *t)
{
    if (!t) return s_fail ("time: missing");
    return s_valid_created (t);
}

/* ---- formatting ----------------------------------------------------------- */

/* A card being written: its reasons go to card_error (). */
#define S_OUT(buf, cap) {buf, cap, 0, s_error, sizeof s_error, "card: "}

/* Checks every field of C; -1 with the reason set on the first bad one. */
static int s_valid_card (const card_t *c)
{
    if (strnlen (c->org, sizeof c->org) == sizeof c->org ||
        strnlen (c->node, sizeof c->node) == sizeof c->node ||
        strnlen (c->role, sizeof c->role) == sizeof c->role ||
        strnlen (c->name, sizeof c->name) == sizeof c->name ||
        strnlen (c->endpoint, sizeof c->endpoint) == sizeof c->endpoint ||
        strnlen (c->created, sizeof c->created) == sizeof c->created)
        return s_fail ("card: a text field is not NUL-terminated");
    if (card_valid_identity (&c->identity) != 0 || s_valid_created (c->created) != 0) return -1;
    return 0;
}

int card_valid_identity (const card_identity_t *id)
{
    if (card_valid_org (id->org) != 0 || (id->node[0] && card_valid_label (id->node) != 0) ||
        card_valid_role (id->role) != 0 ||
        card_valid_name (id->name) != 0 || card_valid_endpoint (id->endpoint) != 0)
        return -1;
    return 0;
}

static int s_format_body (const card_t *c, kv_out_t *o)
{
    if (s_valid_card (c) != 0) return -1;
    if (kv_line (o, "cdx-card", card_format_version (&c->identity) == 2 ? "2" : "1") != 0 || kv_identity_lines (o, &c->identity) != 0 ||
        kv_line (o, "created", c->created) != 0)
        return -1;
    return 0;
}

/* BUF is NUL-terminated on success; CAP must leave room for the NUL. */
int card_format_body (const card_t *c, char *buf, size_t cap, size_t *len)
{
    if (!c || !buf || !len) return s_fail ("card_format_body: null argument");
    kv_out_t o = S_OUT (buf, cap);
    if (s_format_body (c, &o) != 0) return -1;
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

int card_format (const card_t *c, char *buf, size_t cap, size_t *len)
{
    if (!c || !buf || !len) return s_fail ("card_format: null argument");
    kv_out_t o = S_OUT (buf, cap);
    if (s_format_body (c, &o) != 0 || kv_line_b64 (&o, "signature", c->sig, sizeof c->sig) != 0)
        return -1;
    if (o.len > CARD_MAX_BYTES) return s_fail ("card: %zu bytes exceeds %u", o.len, CARD_MAX_BYTES);
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

/* ---- parsing ------------------------------------------------------------- */

/* The lines of a card, in their only order. */
typedef enum {
    L_VERSION,
    L_ORG,
    L_NODE, /* format 2 only */
    L_ROLE,
    L_NAME,
    L_ENDPOINT,
    L_SIGN_KEY,
    L_BOX_KEY,
    L_CURVE_KEY,
    L_CREATED,
    L_SIGNATURE,
    L_COUNT
} line_t;
static const char *const s_line_keys[L_COUNT] = {
    [L_VERSION] = "cdx-card",  [L_ORG] = "org",  [L_NODE] = "node",
    [L_ROLE] = "role",         [L_NAME] = "name",
    [L_ENDPOINT] = "endpoint", [L_SIGN_KEY] = "sign-key",
    [L_BOX_KEY] = "box-key",   [L_CURVE_KEY] = "curve-key",
    [L_CREATED] = "created",   [L_SIGNATURE] = "signature",
};

/* Decodes canonical padded base64 of exactly N bytes. */
static int s_take_b64 (const char *key, const char *v, size_t vlen, uint8_t *out, size_t n)
{
    size_t want = 0;
    switch (kv_b64 (v, vlen, out, n, &want)) {
    case KV_B64_OK:
        return 0;
    case KV_B64_LENGTH:
        return s_fail ("%s: expected %zu base64 characters for %zu bytes, got %zu", key, want, n,
                       vlen);
    case KV_B64_INVALID:
        return s_fail ("%s: not valid base64", key);
    case KV_B64_NOT_CANONICAL:
        break;
    }
    return s_fail ("%s: base64 is not in canonical form", key);
}

/* Copies a value of VLEN bytes into the NUL-terminated field DST of CAP. */
static int s_take_str (const char *key, const char *v, size_t vlen, char *dst, size_t cap)
{
    if (vlen >= cap) return s_fail ("%s: value of %zu bytes is too long", key, vlen);
    memcpy (dst, v, vlen);
    dst[vlen] = 0;
    return 0;
}

/* *FORMAT receives the card's format from its first line. */
static int s_take_value (line_t l, const char *v, size_t n, card_t *c, int *format)
{
    const char *key = s_line_keys[l];
    switch (l) {
    case L_VERSION:
        if (n != 1 || (v[0] != '1' && v[0] != '2'))
            return s_fail ("cdx-card: only formats 1 and 2 are understood");
        *format = v[0] - '0';
        return 0;
    case L_ORG:
        if (s_take_str (key, v, n, c->org, sizeof c->org) != 0) return -1;
        return card_valid_org (c->org);
    case L_NODE:
        if (s_take_str (key, v, n, c->node, sizeof c->node) != 0) return -1;
        return card_valid_label (c->node);
    case L_ROLE:
        if (s_take_str (key, v, n, c->role, sizeof c->role) != 0) return -1;
        return card_valid_role (c->role);
    case L_NAME:
        if (s_take_str (key, v, n, c->name, sizeof c->name) != 0) return -1;
        return s_valid_name (c->name);
    case L_ENDPOINT:
        if (s_take_str (key, v, n, c->endpoint, sizeof c->endpoint) != 0) return -1;
        return card_valid_endpoint (c->endpoint);
    case L_SIGN_KEY:
        return s_take_b64 (key, v, n, c->sign_pk, sizeof c->sign_pk);
    case L_BOX_KEY:
        return s_take_b64 (key, v, n, c->box_pk, sizeof c->box_pk);
    case L_CURVE_KEY:
        return s_take_b64 (key, v, n, c->curve_pk, sizeof c->curve_pk);
    case L_CREATED:
        if (s_take_str (key, v, n, c->created, sizeof c->created) != 0) return -1;
        return s_valid_created (c->created);
    case L_SIGNATURE:
        return s_take_b64 (key, v, n, c->sig, sizeof c->sig);
    case L_COUNT:
        break;
    }
    return s_fail ("card: internal error (line %d)", (int)l);
}

/* Explains why line number LINENO (1-based), which should be key WANT,
   is not: a known key in the wrong place, or a line that has no business
   in a card. Always returns -1. */
static int s_wrong_line (int lineno, line_t want, const char *line, size_t n)
{
    const char *colon = memchr (line, ':', n);
    size_t klen = colon ? (size_t)(colon - line) : n;
    for (int k = 0; k < L_COUNT; k++) {
        if (klen == strlen (s_line_keys[k]) && memcmp (line, s_line_keys[k], klen) == 0) {
            if (k == (int)want)
                return s_fail ("line %d: expected \"%s: \" (a single space after the colon)",
                               lineno, s_line_keys[want]);
            if (k < (int)want)
                return s_fail ("line %d: \"%s\" is repeated or out of order; expected \"%s\"",
                               lineno, s_line_keys[k], s_line_keys[want]);
            return s_fail ("line %d: \"%s\" is out of order, or \"%s\" is missing", lineno,
                           s_line_keys[k], s_line_keys[want]);
        }
    }
    return s_fail ("line %d: unexpected line; expected \"%s: ...\"", lineno, s_line_keys[want]);
}

int card_parse (const char *buf, size_t len, card_t *c, size_t *signed_len)
{
    size_t pos = 0, sig_at = 0;
    if (!c) return s_fail ("card_parse: null card");
    memset (c, 0, sizeof *c);
    if (!buf) return s_fail ("card_parse: null buffer");
    if (len > CARD_MAX_BYTES) {
        s_fail ("card of %zu bytes exceeds %u", len, CARD_MAX_BYTES);
        goto malformed;
    }
    if (memchr (buf, 0, len)) {
        s_fail ("card contains a NUL byte");
        goto malformed;
    }
    kv_in_t r = {buf, len, 0, 0};
    int format = 1, lineno = 0;
    for (int l = 0; l < L_COUNT; l++) {
        const char *key = s_line_keys[l];
        const char *v = NULL;
        size_t n = 0;
        size_t at = r.pos;
        if (l == L_NODE && format == 1) {
            /* a format 1 card has no node line: say so rather than "role expected" */
            if (kv_next (&r, key, &v, &n) == KV_OK) {
                s_fail ("line %d: a format 1 card has no \"node\" line (a labelled node's card is "
                        "cdx-card: 2)", lineno + 1);
                goto malformed;
            }
            r.pos = at;
            r.lineno--;
            continue;
        }
        lineno++;
        switch (kv_next (&r, key, &v, &n)) {
        case KV_OK:
            break;
        case KV_END:
            s_fail ("card ends before line %d (\"%s\")", lineno, key);
            goto malformed;
        case KV_NO_NEWLINE:
            s_fail ("line %d (\"%s\") does not end with a newline", lineno, key);
            goto malformed;
        case KV_OTHER:
            if (l == L_NODE) {
                s_fail ("line %d: a format 2 card has \"node: LABEL\" after \"org\"", lineno);
                goto malformed;
            }
            s_wrong_line (lineno, (line_t)l, v, n);
            goto malformed;
        }
        if (l == L_SIGNATURE) sig_at = at;
        if (s_take_value ((line_t)l, v, n, c, &format) != 0) goto malformed;
    }
    pos = r.pos;
    if (pos != len) {
        s_fail ("%zu bytes after the signature line", len - pos);
        goto malformed;
    }
    if (signed_len) *signed_len = sig_at;
    s_error[0] = 0; /* no stale reason from an earlier failure, as card_format */
    return 0;

malformed:
    memset (c, 0, sizeof *c);
    return -1;
}
