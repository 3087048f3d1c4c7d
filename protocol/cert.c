/*  cert.c: formats, parses and verifies certificates, directories and the
    authority file (layouts in cert.h and SPEC.md "Certificates and the
    directory").

    The parser is the same kind as card.c's: the size is checked first, NUL
    bytes are refused, each line is taken in its only order, each value is
    bounded before it is copied, base64 must be canonical, numbers have no
    leading zeros. A directory states how many certificates and
    revocations follow before they do, and the counts are checked against
    the limits before anything is allocated.

    The lines and their base64 are kv.c's, shared with cards; signatures
    are verified through crypto/ (cx_verify).

    Not for: deciding whether to admit a peer (node/) or holding secret
    keys (signing is the caller's, with cx_sign over cert_format_body).
*/
#include "cert.h"
#include "cx.h"
#include "kv.h"
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CERT_WHY_MAX 256
#define CERT_TIME_LEN 20u
#define CERT_KEY_B64 44u             /* 32 bytes */
#define CERT_SIG_B64 88u             /* 64 bytes */
#define CERT_LINE_MAX (CERT_MAX_BYTES * 4 / 3 + 16) /* "cert: " + base64 of a certificate */

static _Thread_local char s_error[CERT_WHY_MAX] = "";

static int s_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static int s_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s_error, sizeof s_error, fmt, ap);
    va_end (ap);
    return -1;
}

const char *cert_error (void)
{
    return s_error;
}

const char *cert_status_name (cert_status_t st)
{
    switch (st) {
    case CERT_OK: return "ok";
    case CERT_E_SIGNER: return "signer";
    case CERT_E_SIGNATURE: return "signature";
    case CERT_E_NOT_YET: return "not-yet-valid";
    case CERT_E_EXPIRED: return "expired";
    }
    return "unknown";
}

/* ---- values ------------------------------------------------------------- */

#define X(id, name, meets) _Static_assert (sizeof name <= CERT_DSPT_MAX + 1, "DSPT status " name " fits a certificate");
#include "dspt.def"
#undef X

int cert_valid_dspt (const char *dspt)
{
    if (!dspt) return s_fail ("dspt: missing");
    if (proto_dspt_known (dspt)) return 0;
    return s_fail ("dspt: must be %s", proto_dspts_or ());
}

int cert_valid_dspt_year (const char *y)
{
    if (!y || strnlen (y, 8) != 7 || y[4] != '/') return s_fail ("dspt-year: expected YYYY/YY, e.g. 2025/26");
    unsigned a = 0, b = 0;
    for (int i = 0; i < 7; i++) {
        if (i == 4) continue;
        if (y[i] < '0' || y[i] > '9') return s_fail ("dspt-year: expected YYYY/YY, e.g. 2025/26");
        if (i < 4) a = a * 10 + (unsigned)(y[i] - '0');
        else b = b * 10 + (unsigned)(y[i] - '0');
    }
    if (a < 2000 || (a + 1) % 100 != b) return s_fail ("dspt-year: the second year must follow the first (2025/26)");
    return 0;
}

void cert_time_format (int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r (&tt, &tm) || strftime (out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != CERT_TIME_LEN)
        snprintf (out, 21, "1970-01-01T00:00:00Z");
}

int cert_time_parse (const char *s, int64_t *t)
{
    if (card_valid_time (s) != 0 || strlen (s) != CERT_TIME_LEN) return s_fail ("time: expected YYYY-MM-DDTHH:MM:SSZ");
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_year = atoi (s) - 1900;
    tm.tm_mon = atoi (s + 5) - 1;
    tm.tm_mday = atoi (s + 8);
    tm.tm_hour = atoi (s + 11);
    tm.tm_min = atoi (s + 14);
    tm.tm_sec = atoi (s + 17);
    if (tm.tm_sec == 60) return s_fail ("time: a leap second is not a valid time here");
    time_t v = timegm (&tm);
    if (v == (time_t)-1) return s_fail ("time: out of range");
    *t = (int64_t)v;
    return 0;
}

/* 0 if T formats back to a valid time of our form (not before 1970). */
static int s_valid_time_value (const char *what, int64_t t)
{
    char buf[21];
    int64_t back;
    cert_time_format (t, buf);
    if (t < 0 || cert_time_parse (buf, &back) != 0 || back != t) return s_fail ("%s: time out of range", what);
    return 0;
}

/* ---- output --------------------------------------------------------------- */

/* A text being written: its reasons go to cert_error (). */
#define S_OUT(buf, cap) {buf, cap, 0, s_error, sizeof s_error, ""}

static int s_line_time (kv_out_t *o, const char *key, int64_t t)
{
    char buf[21];
    if (s_valid_time_value (key, t) != 0) return -1;
    cert_time_format (t, buf);
    return kv_line (o, key, buf);
}

/* ---- input ---------------------------------------------------------------- */

/* Takes the next line, which must be "KEY: VALUE\n"; *V and *VLEN give the
   value (not terminated). -1 with the reason set otherwise. */
static int s_take (kv_in_t *r, const char *key, const char **v, size_t *vlen)
{
    switch (kv_next (r, key, v, vlen)) {
    case KV_OK:
        return 0;
    case KV_END:
        return s_fail ("line %d: ends before \"%s\"", r->lineno, key);
    case KV_NO_NEWLINE:
        return s_fail ("line %d (\"%s\") does not end with a newline", r->lineno, key);
    case KV_OTHER:
        break;
    }
    return s_fail ("line %d: expected \"%s: ...\"", r->lineno, key);
}

static int s_str (const char *key, const char *v, size_t n, char *dst, size_t cap)
{
    if (n >= cap) return s_fail ("%s: value of %zu bytes is too long", key, n);
    memcpy (dst, v, n);
    dst[n] = 0;
    return 0;
}

static int s_take_str (kv_in_t *r, const char *key, char *dst, size_t cap)
{
    const char *v;
    size_t n;
    if (s_take (r, key, &v, &n) != 0) return -1;
    return s_str (key, v, n, dst, cap);
}

static int s_b64 (const char *key, const char *v, size_t vlen, uint8_t *out, size_t n)
{
    size_t want = 0;
    switch (kv_b64 (v, vlen, out, n, &want)) {
    case KV_B64_OK:
        return 0;
    case KV_B64_LENGTH:
        return s_fail ("%s: expected %zu base64 characters, got %zu", key, want, vlen);
    case KV_B64_INVALID:
        return s_fail ("%s: not valid base64", key);
    case KV_B64_NOT_CANONICAL:
        break;
    }
    return s_fail ("%s: base64 is not in canonical form", key);
}

static int s_take_b64 (kv_in_t *r, const char *key, uint8_t *out, size_t n)
{
    const char *v;
    size_t vlen;
    if (s_take (r, key, &v, &vlen) != 0) return -1;
    return s_b64 (key, v, vlen, out, n);
}

/* Decimal without sign or leading zeros, 0 ... MAX. */
static int s_u64 (const char *key, const char *v, size_t n, uint64_t max, uint64_t *out)
{
    if (n < 1 || n > 19 || (n > 1 && v[0] == '0')) return s_fail ("%s: expected a decimal number", key);
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return s_fail ("%s: expected a decimal number", key);
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (x > max) return s_fail ("%s: %llu is beyond %llu", key, (unsigned long long)x, (unsigned long long)max);
    *out = x;
    return 0;
}

static int s_take_u64 (kv_in_t *r, const char *key, uint64_t max, uint64_t *out)
{
    const char *v;
    size_t n;
    if (s_take (r, key, &v, &n) != 0) return -1;
    return s_u64 (key, v, n, max, out);
}

static int s_time (const char *key, const char *v, size_t n, int64_t *t)
{
    char buf[CERT_TIME_LEN + 1];
    if (n != CERT_TIME_LEN) return s_fail ("%s: expected YYYY-MM-DDTHH:MM:SSZ", key);
    memcpy (buf, v, n);
    buf[n] = 0;
    if (cert_time_parse (buf, t) != 0) return s_fail ("%s: expected a valid YYYY-MM-DDTHH:MM:SSZ", key);
    return 0;
}

static int s_take_time (kv_in_t *r, const char *key, int64_t *t)
{
    const char *v;
    size_t n;
    if (s_take (r, key, &v, &n) != 0) return -1;
    return s_time (key, v, n, t);
}

/* The whole input: size bound and no NUL byte. */
static int s_input (const char *what, const char *buf, size_t len, size_t max)
{
    if (!buf) return s_fail ("%s: no input", what);
    if (len > max) return s_fail ("%s of %zu bytes exceeds %zu", what, len, max);
    if (memchr (buf, 0, len)) return s_fail ("%s contains a NUL byte", what);
    return 0;
}

/* Through crypto/: the one verifier of Ed25519 signatures. */
static cert_status_t s_verify (const uint8_t pk[32], const char *body, size_t len, const uint8_t sig[64])
{
    return cx_verify (pk, (const uint8_t *)body, len, sig) == 0 ? CERT_OK : CERT_E_SIGNATURE;
}

/* ---- certificates ------------------------------------------------------- */

static int s_valid_cert (const cert_t *c)
{
    if (strnlen (c->org, sizeof c->org) == sizeof c->org || strnlen (c->node, sizeof c->node) == sizeof c->node ||
        strnlen (c->role, sizeof c->role) == sizeof c->role ||
        strnlen (c->name, sizeof c->name) == sizeof c->name ||
        strnlen (c->endpoint, sizeof c->endpoint) == sizeof c->endpoint ||
        strnlen (c->dspt, sizeof c->dspt) == sizeof c->dspt ||
        strnlen (c->dspt_year, sizeof c->dspt_year) == sizeof c->dspt_year)
        return s_fail ("certificate: a text field is not terminated");
    if (c->serial < 1 || c->serial > CERT_SERIAL_MAX) return s_fail ("serial: must be 1 or more");
    if (card_valid_identity (&c->identity) != 0 || cert_valid_dspt (c->dspt) != 0 ||
        cert_valid_dspt_year (c->dspt_year) != 0 || s_valid_time_value ("not-before", c->not_before) != 0 ||
        s_valid_time_value ("not-after", c->not_after) != 0)
        return -1;
    if (c->not_after <= c->not_before) return s_fail ("not-after: must be later than not-before");
    return 0;
}

static int s_cert_body (const cert_t *c, kv_out_t *o)
{
    if (s_valid_cert (c) != 0) return -1;
    if (kv_line (o, "cdx-cert", card_format_version (&c->identity) == 2 ? "2" : "1") != 0 || kv_line_u64 (o, "serial", c->serial) != 0 ||
        kv_identity_lines (o, &c->identity) != 0 ||
        kv_line (o, "dspt", c->dspt) != 0 || kv_line (o, "dspt-year", c->dspt_year) != 0 ||
        s_line_time (o, "not-before", c->not_before) != 0 || s_line_time (o, "not-after", c->not_after) != 0 ||
        kv_line_b64 (o, "authority-key", c->authority_pk, 32) != 0)
        return -1;
    return 0;
}

int cert_format_body (const cert_t *c, char *buf, size_t cap, size_t *len)
{
    if (!c || !buf || !len) return s_fail ("cert_format_body: null argument");
    kv_out_t o = S_OUT (buf, cap);
    if (s_cert_body (c, &o) != 0) return -1;
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

int cert_format (const cert_t *c, char *buf, size_t cap, size_t *len)
{
    if (!c || !buf || !len) return s_fail ("cert_format: null argument");
    kv_out_t o = S_OUT (buf, cap);
    if (s_cert_body (c, &o) != 0 || kv_line_b64 (&o, "signature", c->sig, 64) != 0) return -1;
    if (o.len > CERT_MAX_BYTES) return s_fail ("certificate of %zu bytes exceeds %u", o.len, CERT_MAX_BYTES);
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

int cert_parse (const char *buf, size_t len, cert_t *c)
{
    if (!c) return s_fail ("cert_parse: null certificate");
    memset (c, 0, sizeof *c);
    if (s_input ("certificate", buf, len, CERT_MAX_BYTES) != 0) goto malformed;
    kv_in_t r = {buf, len, 0, 0};
    const char *v;
    size_t n;
    if (s_take (&r, "cdx-cert", &v, &n) != 0) goto malformed;
    if (n != 1 || (v[0] != '1' && v[0] != '2')) {
        s_fail ("cdx-cert: only formats 1 and 2 are understood");
        goto malformed;
    }
    int format = v[0] - '0';
    if (s_take_u64 (&r, "serial", CERT_SERIAL_MAX, &c->serial) != 0 ||
        s_take_str (&r, "org", c->org, sizeof c->org) != 0)
        goto malformed;
    if (format == 2 && (s_take_str (&r, "node", c->node, sizeof c->node) != 0 || card_valid_label (c->node) != 0)) {
        s_fail ("line 4: a format 2 certificate has a valid \"node: LABEL\" after \"org\" (%s)", card_error ());
        goto malformed;
    }
    if (format == 1 && kv_next (&(kv_in_t){buf, len, r.pos, 0}, "node", &v, &n) == KV_OK) {
        s_fail ("line 4: a format 1 certificate has no \"node\" line (a labelled node's is cdx-cert: 2)");
        goto malformed;
    }
    if (s_take_str (&r, "role", c->role, sizeof c->role) != 0 ||
        s_take_str (&r, "name", c->name, sizeof c->name) != 0 ||
        s_take_str (&r, "endpoint", c->endpoint, sizeof c->endpoint) != 0 ||
        s_take_b64 (&r, "sign-key", c->sign_pk, 32) != 0 || s_take_b64 (&r, "box-key", c->box_pk, 32) != 0 ||
        s_take_b64 (&r, "curve-key", c->curve_pk, 32) != 0 || s_take_str (&r, "dspt", c->dspt, sizeof c->dspt) != 0 ||
        s_take_str (&r, "dspt-year", c->dspt_year, sizeof c->dspt_year) != 0 ||
        s_take_time (&r, "not-before", &c->not_before) != 0 || s_take_time (&r, "not-after", &c->not_after) != 0 ||
        s_take_b64 (&r, "authority-key", c->authority_pk, 32) != 0 ||
        s_take_b64 (&r, "signature", c->sig, 64) != 0)
        goto malformed;
    if (r.pos != len) {
        s_fail ("%zu bytes after the signature line", len - r.pos);
        goto malformed;
    }
    if (s_valid_cert (c) != 0) goto malformed;
    s_error[0] = 0;
    return 0;
malformed:
    memset (c, 0, sizeof *c);
    return -1;
}

cert_status_t cert_check (const cert_t *c, const uint8_t authority_pk[32], int64_t now)
{
    char body[CERT_MAX_BYTES + 1];
    size_t len = 0;
    if (memcmp (c->authority_pk, authority_pk, 32) != 0) {
        s_fail ("certificate for %s was issued by another authority", c->org);
        return CERT_E_SIGNER;
    }
    if (cert_format_body (c, body, sizeof body, &len) != 0 || s_verify (authority_pk, body, len, c->sig) != CERT_OK) {
        s_fail ("certificate for %s: the authority's signature does not verify", c->org);
        return CERT_E_SIGNATURE;
    }
    if (now < c->not_before) {
        s_fail ("certificate for %s is not valid yet", c->org);
        return CERT_E_NOT_YET;
    }
    if (now >= c->not_after) {
        s_fail ("certificate for %s has expired", c->org);
        return CERT_E_EXPIRED;
    }
    return CERT_OK;
}

/* ---- directories ---------------------------------------------------------- */

int cert_dir_alloc (cert_dir_t *d, size_t ncerts, size_t nrevoked)
{
    if (ncerts > CERT_DIR_MAX_CERTS) return s_fail ("directory: more than %u certificates", CERT_DIR_MAX_CERTS);
    if (nrevoked > CERT_DIR_MAX_REVOKED) return s_fail ("directory: more than %u revocations", CERT_DIR_MAX_REVOKED);
    d->certs = ncerts ? calloc (ncerts, sizeof *d->certs) : NULL;
    d->revoked = nrevoked ? calloc (nrevoked, sizeof *d->revoked) : NULL;
    if ((ncerts && !d->certs) || (nrevoked && !d->revoked)) {
        cert_dir_free (d);
        return s_fail ("out of memory");
    }
    d->ncerts = ncerts;
    d->nrevoked = nrevoked;
    return 0;
}

void cert_dir_free (cert_dir_t *d)
{
    if (!d) return;
    free (d->certs);
    free (d->revoked);
    memset (d, 0, sizeof *d);
}

/* Format 2 when a certificate is of a labelled node, an organisation has
   two, or a revocation names a labelled node; else format 1 (SPEC.md 9.2),
   so that a network of single nodes sees the same bytes as before. */
int cert_dir_format_version (const cert_dir_t *d)
{
    for (size_t i = 0; i < d->ncerts; i++) {
        if (d->certs[i].node[0]) return 2;
        for (size_t j = 0; j < i; j++)
            if (strcmp (d->certs[i].org, d->certs[j].org) == 0) return 2;
    }
    for (size_t i = 0; i < d->nrevoked; i++)
        if (d->revoked[i].node[0]) return 2;
    return 1;
}

static size_t s_dir_cap (const cert_dir_t *d)
{
    return 1024 + d->ncerts * (CERT_LINE_MAX + 8) + d->nrevoked * (CARD_ORG_MAX + CERT_KEY_B64 + 40);
}

static int s_dir_body (const cert_dir_t *d, kv_out_t *o)
{
    if (strnlen (d->authority, sizeof d->authority) == sizeof d->authority || card_valid_name (d->authority) != 0)
        return s_fail ("authority: invalid name");
    if (d->serial < 1 || d->serial > CERT_SERIAL_MAX) return s_fail ("serial: must be 1 or more");
    if (d->ncerts > CERT_DIR_MAX_CERTS || d->nrevoked > CERT_DIR_MAX_REVOKED)
        return s_fail ("directory: too many entries");
    if (s_valid_time_value ("issued", d->issued) != 0 || s_valid_time_value ("expires", d->expires) != 0) return -1;
    if (d->expires <= d->issued) return s_fail ("expires: must be later than issued");
    if (kv_line (o, "cdx-directory", cert_dir_format_version (d) == 2 ? "2" : "1") != 0 || kv_line (o, "authority", d->authority) != 0 ||
        kv_line_b64 (o, "authority-key", d->authority_pk, 32) != 0 || kv_line_u64 (o, "serial", d->serial) != 0 ||
        s_line_time (o, "issued", d->issued) != 0 || s_line_time (o, "expires", d->expires) != 0 ||
        kv_line_u64 (o, "certificates", d->ncerts) != 0)
        return -1;
    for (size_t i = 0; i < d->ncerts; i++) {
        char text[CERT_MAX_BYTES + 1], b64[CERT_LINE_MAX];
        size_t len;
        if (cert_format (&d->certs[i], text, sizeof text, &len) != 0) return -1;
        cx_base64 ((const uint8_t *)text, len, b64);
        if (kv_line (o, "cert", b64) != 0) return -1;
    }
    if (kv_line_u64 (o, "revocations", d->nrevoked) != 0) return -1;
    for (size_t i = 0; i < d->nrevoked; i++) {
        const cert_revoked_t *rv = &d->revoked[i];
        char key[CERT_KEY_B64 + 1], when[21], line[CARD_ADDR_MAX + CERT_KEY_B64 + 40];
        char addr[CARD_ADDR_MAX + 1];
        if (strnlen (rv->org, sizeof rv->org) == sizeof rv->org ||
            strnlen (rv->node, sizeof rv->node) == sizeof rv->node ||
            card_address (rv->org, rv->node, addr) != 0 || s_valid_time_value ("revoked", rv->at) != 0)
            return s_fail ("revoked: invalid entry %zu", i + 1);
        cx_base64 (rv->sign_pk, 32, key);
        cert_time_format (rv->at, when);
        snprintf (line, sizeof line, "%s %s %s", addr, key, when);
        if (kv_line (o, "revoked", line) != 0) return -1;
    }
    return 0;
}

static int s_dir_format (const cert_dir_t *d, int with_sig, char **out, size_t *len)
{
    if (!d || !out || !len) return s_fail ("cert_dir_format: null argument");
    *out = NULL;
    size_t cap = s_dir_cap (d);
    kv_out_t o = S_OUT (malloc (cap), cap);
    if (!o.buf) return s_fail ("out of memory");
    o.buf[0] = 0;
    if (s_dir_body (d, &o) != 0 || (with_sig && kv_line_b64 (&o, "signature", d->sig, 64) != 0)) {
        free (o.buf);
        return -1;
    }
    if (o.len > CERT_DIR_MAX_BYTES) {
        free (o.buf);
        return s_fail ("directory of %zu bytes exceeds %u", o.len, CERT_DIR_MAX_BYTES);
    }
    *out = o.buf;
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

int cert_dir_format_body (const cert_dir_t *d, char **out, size_t *len)
{
    return s_dir_format (d, 0, out, len);
}

int cert_dir_format (const cert_dir_t *d, char **out, size_t *len)
{
    return s_dir_format (d, 1, out, len);
}

/* FORMAT 1 names an organisation, 2 a node's address. */
static int s_take_revoked (kv_in_t *r, cert_revoked_t *rv, int format)
{
    const char *v;
    size_t n;
    if (s_take (r, "revoked", &v, &n) != 0) return -1;
    const char *sp1 = memchr (v, ' ', n);
    if (!sp1) return s_fail ("line %d: revoked: expected ORG KEY TIME", r->lineno);
    size_t olen = (size_t)(sp1 - v);
    size_t rest = n - olen - 1;
    if (rest != CERT_KEY_B64 + 1 + CERT_TIME_LEN || sp1[1 + CERT_KEY_B64] != ' ')
        return s_fail ("line %d: revoked: expected ORG KEY TIME", r->lineno);
    char addr[CARD_ADDR_MAX + 1];
    if (s_str ("revoked", v, olen, addr, sizeof addr) != 0) return -1;
    if (format == 1 ? s_str ("revoked", v, olen, rv->org, sizeof rv->org) != 0 || card_valid_org (rv->org) != 0
                    : card_address_split (addr, rv->org, rv->node) != 0)
        return s_fail ("line %d: revoked: %s", r->lineno,
                       format == 1 ? "expected an org code (format 1)" : card_error ());
    if (s_b64 ("revoked", sp1 + 1, CERT_KEY_B64, rv->sign_pk, 32) != 0 ||
        s_time ("revoked", sp1 + 2 + CERT_KEY_B64, CERT_TIME_LEN, &rv->at) != 0)
        return -1;
    return 0;
}

int cert_dir_parse (const char *buf, size_t len, cert_dir_t *d)
{
    if (!d) return s_fail ("cert_dir_parse: null directory");
    memset (d, 0, sizeof *d);
    char *text = NULL;
    if (s_input ("directory", buf, len, CERT_DIR_MAX_BYTES) != 0) goto malformed;
    kv_in_t r = {buf, len, 0, 0};
    const char *v;
    size_t n;
    uint64_t ncerts, nrevoked;
    if (s_take (&r, "cdx-directory", &v, &n) != 0) goto malformed;
    if (n != 1 || (v[0] != '1' && v[0] != '2')) {
        s_fail ("cdx-directory: only formats 1 and 2 are understood");
        goto malformed;
    }
    int format = v[0] - '0';
    if (s_take_str (&r, "authority", d->authority, sizeof d->authority) != 0 ||
        card_valid_name (d->authority) != 0 || s_take_b64 (&r, "authority-key", d->authority_pk, 32) != 0 ||
        s_take_u64 (&r, "serial", CERT_SERIAL_MAX, &d->serial) != 0 ||
        s_take_time (&r, "issued", &d->issued) != 0 || s_take_time (&r, "expires", &d->expires) != 0 ||
        s_take_u64 (&r, "certificates", CERT_DIR_MAX_CERTS, &ncerts) != 0)
        goto malformed;
    if (d->serial < 1) {
        s_fail ("serial: must be 1 or more");
        goto malformed;
    }
    if (d->expires <= d->issued) {
        s_fail ("expires: must be later than issued");
        goto malformed;
    }
    /* Each certificate line is at least as long as its key: the count
       cannot claim more than the bytes left could hold. */
    if (ncerts > (len - r.pos) / 8) {
        s_fail ("certificates: %llu claimed, the directory is too short", (unsigned long long)ncerts);
        goto malformed;
    }
    d->certs = ncerts ? calloc ((size_t)ncerts, sizeof *d->certs) : NULL;
    text = malloc (CERT_MAX_BYTES + 1);
    if ((ncerts && !d->certs) || !text) {
        s_fail ("out of memory");
        goto malformed;
    }
    d->ncerts = (size_t)ncerts;
    for (size_t i = 0; i < d->ncerts; i++) {
        size_t got = 0;
        char scratch[CERT_LINE_MAX + 1];
        if (s_take (&r, "cert", &v, &n) != 0) goto malformed;
        kv_b64_t b64 = n > CERT_LINE_MAX ? KV_B64_INVALID
                                         : kv_b64_any (v, n, (uint8_t *)text, CERT_MAX_BYTES, &got, scratch);
        if (b64 == KV_B64_INVALID) {
            s_fail ("line %d: cert: not valid base64 of a certificate", r.lineno);
            goto malformed;
        }
        if (b64 != KV_B64_OK) {
            s_fail ("line %d: cert: base64 is not in canonical form", r.lineno);
            goto malformed;
        }
        if (cert_parse (text, got, &d->certs[i]) != 0) {
            char why[CERT_WHY_MAX];
            snprintf (why, sizeof why, "%s", s_error);
            s_fail ("line %d: certificate %zu: %s", r.lineno, i + 1, why);
            goto malformed;
        }
        const cert_t *c = &d->certs[i];
        char addr[CARD_ADDR_MAX + 1];
        (void) card_address (c->org, c->node, addr);   /* valid: cert_parse checked both */
        if (format == 1 && c->node[0]) {
            s_fail ("line %d: certificate %zu is of a labelled node (%s): a format 1 directory holds "
                    "format 1 certificates only", r.lineno, i + 1, addr);
            goto malformed;
        }
        for (size_t j = 0; format == 2 && j < i; j++)
            if (strcmp (d->certs[j].org, c->org) == 0 && strcmp (d->certs[j].node, c->node) == 0) {
                s_fail ("line %d: certificate %zu: node %s is already certified by certificate %zu "
                        "(one current certificate per node)", r.lineno, i + 1, addr, j + 1);
                goto malformed;
            }
    }
    if (s_take_u64 (&r, "revocations", CERT_DIR_MAX_REVOKED, &nrevoked) != 0) goto malformed;
    if (nrevoked > (len - r.pos) / 8) {
        s_fail ("revocations: %llu claimed, the directory is too short", (unsigned long long)nrevoked);
        goto malformed;
    }
    d->revoked = nrevoked ? calloc ((size_t)nrevoked, sizeof *d->revoked) : NULL;
    if (nrevoked && !d->revoked) {
        s_fail ("out of memory");
        goto malformed;
    }
    d->nrevoked = (size_t)nrevoked;
    for (size_t i = 0; i < d->nrevoked; i++)
        if (s_take_revoked (&r, &d->revoked[i], format) != 0) goto malformed;
    if (format == 2 && cert_dir_format_version (d) != 2) {
        s_fail ("cdx-directory: 2, but every node in it is a single unlabelled node: such a directory is "
                "format 1");
        goto malformed;
    }
    if (format == 1 && cert_dir_format_version (d) != 1) {
        s_fail ("cdx-directory: 1, but it holds two nodes of one organisation (or a labelled one): such a "
                "directory is format 2");
        goto malformed;
    }
    if (s_take_b64 (&r, "signature", d->sig, 64) != 0) goto malformed;
    if (r.pos != len) {
        s_fail ("%zu bytes after the signature line", len - r.pos);
        goto malformed;
    }
    free (text);
    s_error[0] = 0;
    return 0;
malformed:
    free (text);
    cert_dir_free (d);
    return -1;
}

cert_status_t cert_dir_check (const cert_dir_t *d, const uint8_t authority_pk[32])
{
    if (memcmp (d->authority_pk, authority_pk, 32) != 0) {
        s_fail ("the directory was issued by another authority");
        return CERT_E_SIGNER;
    }
    char *body = NULL;
    size_t len = 0;
    if (cert_dir_format_body (d, &body, &len) != 0) return CERT_E_SIGNATURE;
    cert_status_t st = s_verify (authority_pk, body, len, d->sig);
    free (body);
    if (st != CERT_OK) {
        s_fail ("the directory's signature does not verify with the authority's key (altered or forged)");
        return st;
    }
    for (size_t i = 0; i < d->ncerts; i++) {
        cert_status_t cs = cert_check (&d->certs[i], authority_pk, d->certs[i].not_before);
        if (cs == CERT_E_SIGNER || cs == CERT_E_SIGNATURE) {
            s_fail ("certificate %zu (%s) in the directory does not verify", i + 1, d->certs[i].org);
            return cs;
        }
    }
    return CERT_OK;
}

/* ---- the authority file ------------------------------------------------- */

static int s_auth_body (const cert_authority_t *a, kv_out_t *o)
{
    if (strnlen (a->name, sizeof a->name) == sizeof a->name || card_valid_name (a->name) != 0)
        return s_fail ("name: invalid");
    if (kv_line (o, "cdx-authority", "1") != 0 || kv_line (o, "name", a->name) != 0 ||
        kv_line_b64 (o, "key", a->key, 32) != 0 || s_line_time (o, "created", a->created) != 0)
        return -1;
    return 0;
}

int cert_authority_format_body (const cert_authority_t *a, char *buf, size_t cap, size_t *len)
{
    if (!a || !buf || !len) return s_fail ("cert_authority_format_body: null argument");
    kv_out_t o = S_OUT (buf, cap);
    if (s_auth_body (a, &o) != 0) return -1;
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

int cert_authority_format (const cert_authority_t *a, char *buf, size_t cap, size_t *len)
{
    if (!a || !buf || !len) return s_fail ("cert_authority_format: null argument");
    kv_out_t o = S_OUT (buf, cap);
    if (s_auth_body (a, &o) != 0 || kv_line_b64 (&o, "signature", a->sig, 64) != 0) return -1;
    *len = o.len;
    s_error[0] = 0;
    return 0;
}

int cert_authority_parse (const char *buf, size_t len, cert_authority_t *a)
{
    if (!a) return s_fail ("cert_authority_parse: null argument");
    memset (a, 0, sizeof *a);
    if (s_input ("authority file", buf, len, CERT_AUTHORITY_MAX_BYTES) != 0) goto malformed;
    kv_in_t r = {buf, len, 0, 0};
    const char *v;
    size_t n;
    if (s_take (&r, "cdx-authority", &v, &n) != 0) goto malformed;
    if (n != 1 || v[0] != '1') {
        s_fail ("cdx-authority: only version 1 is understood");
        goto malformed;
    }
    if (s_take_str (&r, "name", a->name, sizeof a->name) != 0 || card_valid_name (a->name) != 0 ||
        s_take_b64 (&r, "key", a->key, 32) != 0 || s_take_time (&r, "created", &a->created) != 0 ||
        s_take_b64 (&r, "signature", a->sig, 64) != 0)
        goto malformed;
    if (r.pos != len) {
        s_fail ("%zu bytes after the signature line", len - r.pos);
        goto malformed;
    }
    s_error[0] = 0;
    return 0;
malformed:
    memset (a, 0, sizeof *a);
    return -1;
}

cert_status_t cert_authority_check (const cert_authority_t *a)
{
    char body[CERT_AUTHORITY_MAX_BYTES + 1];
    size_t len = 0;
    if (cert_authority_format_body (a, body, sizeof body, &len) != 0 ||
        s_verify (a->key, body, len, a->sig) != CERT_OK) {
        s_fail ("the authority file's signature does not verify (altered?)");
        return CERT_E_SIGNATURE;
    }
    return CERT_OK;
}
