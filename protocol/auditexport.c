/*  auditexport.c: the signed audit export, cdx-audit-export/1: its writer
    and its reader (see auditexport.h). The reader is a JSON subset parser
    over hostile bytes: every string bounded by its field, every count by
    a limit, depth by S_JSON_DEPTH. */
#include "auditexport.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "json.h"

#define S_JSON_DEPTH 16
#define S_KEY_MAX 64 /* member names: longer ones are refused, unknown ones skipped */

/* ---- writing -------------------------------------------------------------- */

static void s_utc (int64_t t, char out[32])
{
    time_t tt = (time_t) t;
    struct tm tm;
    gmtime_r (&tt, &tm);
    strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

uint8_t *auditexport_message (const char *body, size_t len, size_t *msg_len)
{
    if (len > SIZE_MAX - sizeof AUDITEXPORT_TAG) return NULL;
    uint8_t *msg = malloc (sizeof AUDITEXPORT_TAG + len);
    if (!msg) return NULL;
    memcpy (msg, AUDITEXPORT_TAG, sizeof AUDITEXPORT_TAG);
    if (len) memcpy (msg + sizeof AUDITEXPORT_TAG, body, len);
    *msg_len = sizeof AUDITEXPORT_TAG + len;
    return msg;
}

int auditexport_begin (auditexport_writer_t *w, const char *org, const uint8_t sign_pk[32], int64_t exported)
{
    memset (w, 0, sizeof *w);
    w->mem = open_memstream (&w->text, &w->len);
    if (!w->mem) return -1;
    char key[65], when[32];
    sodium_bin2hex (key, sizeof key, sign_pk, 32);
    s_utc (exported, when);
    fprintf (w->mem, "{\"format\":\"" AUDITEXPORT_FORMAT "\",\"org\":\"%s\",\"sign_key\":\"%s\",\"exported\":\"%s\","
             "\"entries\":[", org, key, when);
    return ferror (w->mem) ? -1 : 0;
}

int auditexport_add (auditexport_writer_t *w, const auditexport_entry_t *e)
{
    if (!w->mem) return -1;
    char when[32], hash[2 * sizeof e->hash + 1];
    s_utc (e->at, when);
    sodium_bin2hex (hash, sizeof hash, e->hash, sizeof e->hash);
    FILE *f = w->mem;
    fprintf (f, "%s{\"seq\":%" PRId64 ",\"at\":\"%s\",\"actor\":", w->count ? "," : "", e->seq, when);
    json_string (f, e->actor);
    const char *names[] = {"action", "object", "peer", "purpose", "decision", "rule", "detail"};
    const char *values[] = {e->action, e->object, e->peer, e->purpose, e->decision, e->rule, e->detail};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        fprintf (f, ",\"%s\":", names[i]);
        json_string (f, values[i]);       /* "" stays "": the format as signed */
    }
    fprintf (f, ",\"hash\":\"%s\"}", hash);
    w->count++;
    return ferror (f) ? -1 : 0;
}

int auditexport_signed (auditexport_writer_t *w, uint8_t **msg, size_t *msg_len)
{
    *msg = NULL;
    if (!w->mem) return -1;
    fputs ("]", w->mem);
    if (fflush (w->mem) != 0 || ferror (w->mem)) return -1;
    *msg = auditexport_message (w->text, w->len, msg_len);
    return *msg ? 0 : -1;
}

int auditexport_finish (auditexport_writer_t *w, const uint8_t sig[64], const char **text, size_t *len)
{
    if (!w->mem) return -1;
    char hex[AUDITEXPORT_SIG_HEX + 1];
    sodium_bin2hex (hex, sizeof hex, sig, 64);
    fprintf (w->mem, ",\"signature\":\"%s\"}\n", hex);
    int bad = ferror (w->mem) != 0;
    if (fclose (w->mem) != 0) bad = 1;
    w->mem = NULL;
    if (bad) return -1;
    *text = w->text;
    *len = w->len;
    return 0;
}

void auditexport_writer_free (auditexport_writer_t *w)
{
    if (w->mem) fclose (w->mem);
    free (w->text);
    memset (w, 0, sizeof *w);
}

/* Exactly N bytes from 2N hex digits, nothing else. */
static int s_unhex (const char *hex, uint8_t *out, size_t n)
{
    size_t got = 0, len = strlen (hex);
    const char *end = NULL;
    if (len != 2 * n || sodium_hex2bin (out, n, hex, len, NULL, &got, &end) != 0 || got != n || end != hex + len)
        return -1;
    return 0;
}

/* ---- the JSON subset -------------------------------------------------------- */

typedef struct {
    const char *p, *start, *end;
    char err[160];
} s_json_t;

static int s_jfail (s_json_t *j, const char *what)
{
    if (!j->err[0])
        snprintf (j->err, sizeof j->err, "%s at byte %zu", what, (size_t)(j->p - j->start));
    return -1;
}

static void s_ws (s_json_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int s_take (s_json_t *j, char c)
{
    s_ws (j);
    if (j->p >= j->end || *j->p != c) {
        char what[32];
        snprintf (what, sizeof what, "expected '%c'", c);
        return s_jfail (j, what);
    }
    j->p++;
    return 0;
}

static int s_hexval (char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A string into OUT (CAP bytes with the NUL; OUT NULL: skipped). Refuses
   control characters, NUL, surrogates and strings longer than CAP - 1. */
static int s_string (s_json_t *j, char *out, size_t cap)
{
    if (s_take (j, '"') != 0) return -1;
    size_t used = 0;
    for (;;) {
        if (j->p >= j->end) return s_jfail (j, "unterminated string");
        unsigned char c = (unsigned char)*j->p++;
        char buf[4];
        size_t n = 0;
        if (c == '"') break;
        if (c < 0x20) return s_jfail (j, "control character in a string");
        if (c != '\\') {
            buf[n++] = (char)c;
        } else {
            if (j->p >= j->end) return s_jfail (j, "unterminated escape");
            char e = *j->p++;
            switch (e) {
            case '"':
                buf[n++] = '"';
                break;
            case '\\':
                buf[n++] = '\\';
                break;
            case '/':
                buf[n++] = '/';
                break;
            case 'b':
                buf[n++] = '\b';
                break;
            case 'f':
                buf[n++] = '\f';
                break;
            case 'n':
                buf[n++] = '\n';
                break;
            case 'r':
                buf[n++] = '\r';
                break;
            case 't':
                buf[n++] = '\t';
                break;
            case 'u': {
                if (j->end - j->p < 4) return s_jfail (j, "short \\u escape");
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = s_hexval (j->p[i]);
                    if (h < 0) return s_jfail (j, "bad \\u escape");
                    v = v << 4 | (unsigned)h;
                }
                j->p += 4;
                if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
                    return s_jfail (j, "\\u0000 or a surrogate in a string");
                if (v < 0x80) {
                    buf[n++] = (char)v;
                } else if (v < 0x800) {
                    buf[n++] = (char)(0xC0 | v >> 6);
                    buf[n++] = (char)(0x80 | (v & 0x3F));
                } else {
                    buf[n++] = (char)(0xE0 | v >> 12);
                    buf[n++] = (char)(0x80 | ((v >> 6) & 0x3F));
                    buf[n++] = (char)(0x80 | (v & 0x3F));
                }
                break;
            }
            default:
                return s_jfail (j, "bad escape");
            }
        }
        if (out) {
            if (used + n >= cap) return s_jfail (j, "string too long for its field");
            memcpy (out + used, buf, n);
        }
        used += n;
    }
    if (out) out[used] = 0;
    return 0;
}

/* A non-negative integer of at most 18 digits. */
static int s_int (s_json_t *j, int64_t *out)
{
    s_ws (j);
    int64_t v = 0;
    int digits = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (++digits > 18) return s_jfail (j, "number too large");
        v = v * 10 + (*j->p++ - '0');
    }
    if (!digits) return s_jfail (j, "expected a number");
    *out = v;
    return 0;
}

/* Any value, skipped (members this cdx does not know). */
static int s_skip (s_json_t *j, int depth)
{
    if (depth > S_JSON_DEPTH) return s_jfail (j, "nested too deeply");
    s_ws (j);
    if (j->p >= j->end) return s_jfail (j, "expected a value");
    char c = *j->p;
    if (c == '"') return s_string (j, NULL, 0);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        s_ws (j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (c == '{' && (s_string (j, NULL, 0) != 0 || s_take (j, ':') != 0)) return -1;
            if (s_skip (j, depth + 1) != 0) return -1;
            s_ws (j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            return s_take (j, close);
        }
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen (words[i]);
        if ((size_t)(j->end - j->p) >= len && memcmp (j->p, words[i], len) == 0) {
            j->p += len;
            return 0;
        }
    }
    if (c == '-') j->p++;
    int64_t ignored;
    return s_int (j, &ignored);
}

static int s_hexfield (s_json_t *j, uint8_t *out, size_t n)
{
    char hex[129];
    if (n * 2 + 1 > sizeof hex || s_string (j, hex, sizeof hex) != 0) return -1;
    if (strlen (hex) != n * 2 || s_unhex (hex, out, n) != 0)
        return s_jfail (j, "expected hex of the right length");
    return 0;
}

static int s_entry (s_json_t *j, auditexport_entry_t *e)
{
    memset (e, 0, sizeof *e);
    if (s_take (j, '{') != 0) return -1;
    s_ws (j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return s_jfail (j, "empty entry");
    }
    int have_seq = 0;
    for (;;) {
        char key[S_KEY_MAX];
        if (s_string (j, key, sizeof key) != 0) return -1;
        if (s_take (j, ':') != 0) return -1;
        int rc;
        if (strcmp (key, "seq") == 0) {
            rc = s_int (j, &e->seq);
            have_seq = 1;
        } else if (strcmp (key, "actor") == 0) {
            rc = s_string (j, e->actor, sizeof e->actor);
        } else if (strcmp (key, "action") == 0) {
            rc = s_string (j, e->action, sizeof e->action);
        } else if (strcmp (key, "object") == 0) {
            rc = s_string (j, e->object, sizeof e->object);
        } else if (strcmp (key, "peer") == 0) {
            rc = s_string (j, e->peer, sizeof e->peer);
        } else if (strcmp (key, "purpose") == 0) {
            rc = s_string (j, e->purpose, sizeof e->purpose);
        } else if (strcmp (key, "decision") == 0) {
            rc = s_string (j, e->decision, sizeof e->decision);
        } else if (strcmp (key, "rule") == 0) {
            rc = s_string (j, e->rule, sizeof e->rule);
        } else if (strcmp (key, "detail") == 0) {
            rc = s_string (j, e->detail, sizeof e->detail);
        } else if (strcmp (key, "hash") == 0) {
            rc = s_hexfield (j, e->hash, sizeof e->hash);
        } else {
            rc = s_skip (j, 2);
        }
        if (rc != 0) return -1;
        s_ws (j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (s_take (j, '}') != 0) return -1;
        break;
    }
    if (!have_seq || !e->action[0]) return s_jfail (j, "an entry without seq or action");
    return 0;
}

static int s_entries (s_json_t *j, auditexport_t *x)
{
    if (s_take (j, '[') != 0) return -1;
    s_ws (j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    size_t cap = x->count;
    for (;;) {
        if (x->count == cap) {
            if (cap >= AUDITEXPORT_ENTRIES_MAX) return s_jfail (j, "too many entries");
            size_t grown = cap ? cap * 2 : 64;
            auditexport_entry_t *more = realloc (x->entries, grown * sizeof *more);
            if (!more) return s_jfail (j, "out of memory");
            x->entries = more;
            cap = grown;
        }
        if (s_entry (j, &x->entries[x->count]) != 0) return -1;
        x->count++;
        s_ws (j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return s_take (j, ']');
    }
}

void auditexport_free (auditexport_t *x)
{
    if (!x) return;
    free (x->entries);
    memset (x, 0, sizeof *x);
}

int auditexport_parse (const char *text, size_t len, auditexport_t *x, char *err,
                             size_t errlen)
{
    memset (x, 0, sizeof *x);
    s_json_t j = {text, text, text + len, ""};
    int have_format = 0, have_org = 0, have_key = 0, have_entries = 0;
    if (s_take (&j, '{') != 0) goto bad;
    const char *comma = NULL; /* the comma before the current member */
    for (;;) {
        char key[S_KEY_MAX];
        if (s_string (&j, key, sizeof key) != 0 || s_take (&j, ':') != 0) goto bad;
        if (strcmp (key, "signature") == 0) {
            if (!comma) {
                s_jfail (&j, "the signature must follow the signed members");
                goto bad;
            }
            x->body_len = (size_t)(comma - text);
            if (s_hexfield (&j, x->sig, sizeof x->sig) != 0 || s_take (&j, '}') != 0) goto bad;
            s_ws (&j);
            if (j.p != j.end) {
                s_jfail (&j, "bytes after the signature");
                goto bad;
            }
            break;
        }
        int rc;
        if (strcmp (key, "format") == 0) {
            char format[32];
            rc = s_string (&j, format, sizeof format);
            if (rc == 0 && strcmp (format, AUDITEXPORT_FORMAT) != 0)
                rc = s_jfail (&j, "not a " AUDITEXPORT_FORMAT " document");
            have_format = 1;
        } else if (strcmp (key, "org") == 0) {
            rc = s_string (&j, x->org, sizeof x->org);
            have_org = 1;
        } else if (strcmp (key, "sign_key") == 0) {
            rc = s_hexfield (&j, x->sign_pk, sizeof x->sign_pk);
            have_key = 1;
        } else if (strcmp (key, "entries") == 0) {
            rc = have_entries ? s_jfail (&j, "entries twice") : s_entries (&j, x);
            have_entries = 1;
        } else {
            rc = s_skip (&j, 1);
        }
        if (rc != 0) goto bad;
        s_ws (&j);
        if (j.p < j.end && *j.p == ',') {
            comma = j.p++;
            continue;
        }
        s_jfail (&j, "no signature: an export ends with its \"signature\" member");
        goto bad;
    }
    if (!have_format || !have_org || !have_key || !have_entries || !x->org[0]) {
        snprintf (err, errlen,
                  "an audit export needs format, org, sign_key, entries and signature");
        auditexport_free (x);
        return -1;
    }
    /* The org names the peer in messages and in this node's log: an ODS
       code, or the export is not one. */
    if (card_valid_org (x->org) != 0) {
        snprintf (err, errlen, "not a valid audit export: its org is not an ODS code (%s)", card_error ());
        auditexport_free (x);
        return -1;
    }
    return 0;
bad:
    snprintf (err, errlen, "not a valid audit export: %s", j.err[0] ? j.err : "malformed");
    auditexport_free (x);
    return -1;
}
