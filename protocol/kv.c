/*  kv.c: the "key: value" lines of cards and certificates (kv.h), their
    base64 through crypto/ (cx_base64, cx_unbase64). Not for: what a line
    means (card.c, cert.c).
*/
#include "kv.h"

#include "cx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int s_fail (kv_out_t *o, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int s_fail (kv_out_t *o, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (why, sizeof why, fmt, ap);
    va_end (ap);
    snprintf (o->why, o->whylen, "%s%s", o->what, why);
    return -1;
}

static int s_put (kv_out_t *o, const char *s, size_t n)
{
    /* keep one byte for the terminating NUL */
    if (o->cap == 0 || o->len > o->cap - 1 || n > o->cap - 1 - o->len) return -1;
    memcpy (o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = 0;
    return 0;
}

int kv_line (kv_out_t *o, const char *key, const char *value)
{
    if (s_put (o, key, strlen (key)) != 0 || s_put (o, ": ", 2) != 0 ||
        s_put (o, value, strlen (value)) != 0 || s_put (o, "\n", 1) != 0)
        return s_fail (o, "buffer of %zu bytes is too small", o->cap);
    return 0;
}

int kv_line_b64 (kv_out_t *o, const char *key, const uint8_t *bin, size_t n)
{
    char b64[(KV_BIN_MAX + 2) / 3 * 4 + 1];
    if (n > KV_BIN_MAX || cx_base64_len (n) > sizeof b64) return s_fail (o, "%s too long", key);
    cx_base64 (bin, n, b64);
    return kv_line (o, key, b64);
}

int kv_line_u64 (kv_out_t *o, const char *key, uint64_t v)
{
    char num[24];
    snprintf (num, sizeof num, "%llu", (unsigned long long)v);
    return kv_line (o, key, num);
}

int kv_identity_lines (kv_out_t *o, const card_identity_t *id)
{
    if (kv_line (o, "org", id->org) != 0 || (id->node[0] && kv_line (o, "node", id->node) != 0) ||
        kv_line (o, "role", id->role) != 0 ||
        kv_line (o, "name", id->name) != 0 || kv_line (o, "endpoint", id->endpoint) != 0 ||
        kv_line_b64 (o, "sign-key", id->sign_pk, sizeof id->sign_pk) != 0 ||
        kv_line_b64 (o, "box-key", id->box_pk, sizeof id->box_pk) != 0 ||
        kv_line_b64 (o, "curve-key", id->curve_pk, sizeof id->curve_pk) != 0)
        return -1;
    return 0;
}

kv_next_t kv_next (kv_in_t *r, const char *key, const char **v, size_t *vlen)
{
    size_t klen = strlen (key);
    r->lineno++;
    if (r->pos >= r->len) return KV_END;
    const char *line = r->buf + r->pos;
    const char *nl = memchr (line, '\n', r->len - r->pos);
    if (!nl) return KV_NO_NEWLINE;
    size_t n = (size_t)(nl - line);
    if (n < klen + 2 || memcmp (line, key, klen) != 0 || line[klen] != ':' ||
        line[klen + 1] != ' ') {
        *v = line;
        *vlen = n;
        return KV_OTHER;
    }
    *v = line + klen + 2;
    *vlen = n - klen - 2;
    r->pos += n + 1;
    return KV_OK;
}

/* V (VLEN bytes, copied to SCRATCH and terminated) decoded into the N
   bytes at OUT, then encoded again into SCRATCH (VLEN + 1 bytes, as N
   bytes encode to VLEN) and compared: one text per value. */
static kv_b64_t s_decode (const char *v, size_t vlen, uint8_t *out, size_t n, char *scratch)
{
    memcpy (scratch, v, vlen);
    scratch[vlen] = 0;
    if (cx_unbase64 (scratch, out, n) != 0) return KV_B64_INVALID;
    cx_base64 (out, n, scratch);
    return memcmp (scratch, v, vlen) == 0 ? KV_B64_OK : KV_B64_NOT_CANONICAL;
}

kv_b64_t kv_b64 (const char *v, size_t vlen, uint8_t *out, size_t n, size_t *want)
{
    char scratch[(KV_BIN_MAX + 2) / 3 * 4 + 1];
    *want = n <= KV_BIN_MAX ? cx_base64_len (n) - 1 : 0;
    if (n > KV_BIN_MAX || vlen != *want) return KV_B64_LENGTH;
    return s_decode (v, vlen, out, n, scratch);
}

kv_b64_t kv_b64_any (const char *v, size_t vlen, uint8_t *out, size_t max, size_t *got,
                     char *scratch)
{
    /* padded base64 comes in fours; the padding says how short the last is */
    if (vlen == 0 || vlen % 4 != 0) return KV_B64_INVALID;
    size_t pad = (size_t)(v[vlen - 1] == '=') + (size_t)(v[vlen - 2] == '=');
    size_t n = vlen / 4 * 3 - pad;
    if (n > max) return KV_B64_INVALID;
    *got = n;
    return s_decode (v, vlen, out, n, scratch);
}
