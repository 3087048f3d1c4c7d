/*  reconcile.c: a peer's signed audit export, and reconciling this node's
    sends and receipts with it.

    An export (cdx audit export) is this node's audit log as JSON, signed
    with the node's Ed25519 key so that the organisation it is given to can
    check, with the signing key it pinned for this node, that it came from
    here unaltered:

      {"format":"cdx-audit-export/1","org":"0DF","sign_key":"<64 hex>",
       "exported":"<UTC>","entries":[<entries as cdx audit --json>]
       ,"signature":"<128 hex>"}

    The signature covers "cdx-audit-export" NUL and every byte before the
    comma that opens the "signature" member, which must be the last. The
    parser here reads only that shape (a JSON subset: objects, arrays,
    strings, integers, true/false/null), refuses anything else, and never
    trusts a length it did not check: the file comes from another
    organisation (fuzz/fuzz_auditexport.c).

    Reconciling compares, for one peer P, what this node holds with what
    P's log says, per dataset id:
      sends:    our deliveries to P with a signed receipt  vs  P's receive
                entries for datasets from us
      receipts: datasets we received from P (available or erased)  vs  P's
                deliver entries to us
    and reports each dataset sent but never received, received but never
    sent, or received with another content hash. An export is a snapshot:
    transfers after it show as mismatches until a newer export.

    Not for: printing (tools/cdx.c), the log's own chain (audit.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node_internal.h"

#define S_EXPORT_TAG "cdx-audit-export"
#define S_EXPORT_FORMAT "cdx-audit-export/1"
#define S_JSON_DEPTH 16
#define S_ENTRIES_MAX 4000000
#define S_KEY_MAX 64 /* member names: longer ones are refused, unknown ones skipped */

/* ---- signing -------------------------------------------------------------- */

/* TAG NUL | BODY, signed or verified. */
static uint8_t *s_export_msg (const uint8_t *body, size_t len, size_t *msg_len)
{
    if (len > SIZE_MAX - sizeof S_EXPORT_TAG) return NULL;
    uint8_t *msg = malloc (sizeof S_EXPORT_TAG + len);
    if (!msg) return NULL;
    memcpy (msg, S_EXPORT_TAG, sizeof S_EXPORT_TAG);
    if (len) memcpy (msg + sizeof S_EXPORT_TAG, body, len);
    *msg_len = sizeof S_EXPORT_TAG + len;
    return msg;
}

int node_audit_export_sign (node_t *n, const char *body, size_t len, char sig_hex[129])
{
    size_t msg_len;
    uint8_t *msg = s_export_msg ((const uint8_t *)body, len, &msg_len);
    if (!msg) return node_fail (n, "out of memory");
    uint8_t sig[64];
    int rc = cx_sign (node_sign_key (n), msg, msg_len, sig);
    free (msg);
    if (rc != 0) return node_fail (n, "cannot sign the export: %s", cx_error ());
    cx_hex (sig, sizeof sig, sig_hex);
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
    if (strlen (hex) != n * 2 || cx_unhex (hex, out, n) != 0)
        return s_jfail (j, "expected hex of the right length");
    return 0;
}

static int s_entry (s_json_t *j, store_audit_t *e)
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

static int s_entries (s_json_t *j, node_audit_export_t *x)
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
            if (cap >= S_ENTRIES_MAX) return s_jfail (j, "too many entries");
            size_t grown = cap ? cap * 2 : 64;
            store_audit_t *more = realloc (x->entries, grown * sizeof *more);
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

void node_audit_export_free (node_audit_export_t *x)
{
    if (!x) return;
    free (x->entries);
    memset (x, 0, sizeof *x);
}

int node_audit_export_parse (const char *text, size_t len, node_audit_export_t *x, char *err,
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
            if (rc == 0 && strcmp (format, S_EXPORT_FORMAT) != 0)
                rc = s_jfail (&j, "not a " S_EXPORT_FORMAT " document");
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
        node_audit_export_free (x);
        return -1;
    }
    /* The org names the peer in messages and in this node's log: an ODS
       code, or the export is not one. */
    if (card_valid_org (x->org) != 0) {
        snprintf (err, errlen, "not a valid audit export: its org is not an ODS code (%s)", card_error ());
        node_audit_export_free (x);
        return -1;
    }
    return 0;
bad:
    snprintf (err, errlen, "not a valid audit export: %s", j.err[0] ? j.err : "malformed");
    node_audit_export_free (x);
    return -1;
}

/* ---- reconciling -------------------------------------------------------------- */

typedef struct {
    char id[33];
    char object[129]; /* topic vN id, as logged or held */
    uint8_t hash[32];
    int has_hash;
} s_item_t;

typedef struct {
    s_item_t *v;
    size_t n, cap;
} s_set_t;

static int s_add (s_set_t *s, const char *id, const char *object, const uint8_t *hash)
{
    if (s->n == s->cap) {
        size_t grown = s->cap ? s->cap * 2 : 32;
        s_item_t *more = realloc (s->v, grown * sizeof *more);
        if (!more) return -1;
        s->v = more;
        s->cap = grown;
    }
    s_item_t *it = &s->v[s->n++];
    memset (it, 0, sizeof *it);
    snprintf (it->id, sizeof it->id, "%s", id);
    snprintf (it->object, sizeof it->object, "%s", object);
    if (hash) {
        memcpy (it->hash, hash, 32);
        it->has_hash = 1;
    }
    return 0;
}

static int s_item_cmp (const void *a, const void *b)
{
    return strcmp (((const s_item_t *)a)->id, ((const s_item_t *)b)->id);
}

static const s_item_t *s_find (const s_set_t *s, const char *id)
{
    s_item_t key;
    snprintf (key.id, sizeof key.id, "%s", id);
    return s->n ? bsearch (&key, s->v, s->n, sizeof *s->v, s_item_cmp) : NULL;
}

/* The dataset id: the last word of an object "topic vN id" (32 hex). */
static int s_object_id (const char *object, char id[33])
{
    const char *sp = strrchr (object, ' ');
    const char *w = sp ? sp + 1 : object;
    if (strlen (w) != 32) return -1;
    for (const char *p = w; *p; p++)
        if (s_hexval (*p) < 0) return -1;
    memcpy (id, w, 33);
    return 0;
}

/* "blake2b HEX" in a detail, or -1. */
static int s_detail_hash (const char *detail, uint8_t out[32])
{
    const char *p = strstr (detail, "blake2b ");
    if (!p) return -1;
    char hex[65];
    snprintf (hex, sizeof hex, "%.64s", p + 8);
    return strlen (hex) == 64 && cx_unhex (hex, out, 32) == 0 ? 0 : -1;
}

typedef struct {
    node_t *n;
    const char *peer;
    s_set_t *sent, *recv;
    int rc;
} s_local_t;

static int s_local_delivery (const store_delivery_t *d, void *arg)
{
    s_local_t *l = arg;
    if (strcmp (d->subscriber, l->peer) != 0 || strcmp (d->state, "delivered") != 0) return 0;
    store_dataset_t *ds = malloc (sizeof *ds);
    if (!ds || store_dataset_get (node_db (l->n), d->dataset, ds) != 0) {
        free (ds);
        l->rc = -1;
        return 1;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", ds->topic, (long long)ds->version, ds->id);
    int rc = s_add (l->sent, ds->id, object, ds->hash);
    free (ds);
    if (rc != 0) l->rc = -1;
    return rc ? 1 : 0;
}

static int s_local_dataset (const store_dataset_t *d, void *arg)
{
    s_local_t *l = arg;
    if (strcmp (d->publisher, l->peer) != 0 ||
        (strcmp (d->state, "available") != 0 && strcmp (d->state, "erased") != 0))
        return 0;
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long)d->version, d->id);
    if (s_add (l->recv, d->id, object, d->hash) != 0) {
        l->rc = -1;
        return 1;
    }
    return 0;
}

static void s_report (node_reconcile_fn *fn, void *arg, const char *kind, const char *from,
                      const char *to, const s_item_t *ours, const s_item_t *theirs, int *count)
{
    node_mismatch_t m;
    memset (&m, 0, sizeof m);
    snprintf (m.kind, sizeof m.kind, "%s", kind);
    snprintf (m.from, sizeof m.from, "%s", from);
    snprintf (m.to, sizeof m.to, "%s", to);
    const s_item_t *any = ours ? ours : theirs;
    snprintf (m.dataset, sizeof m.dataset, "%s", any->id);
    snprintf (m.object, sizeof m.object, "%s", any->object);
    if (ours && ours->has_hash) cx_hex (ours->hash, 32, m.our_hash);
    if (theirs && theirs->has_hash) cx_hex (theirs->hash, 32, m.their_hash);
    fn (&m, arg);
    (*count)++;
}

/* One direction: what the sender holds as sent (SENT) against what the
   receiver logged as received (RECV). */
static void s_compare (const s_set_t *sent, const s_set_t *recv, int sent_is_ours, const char *from,
                       const char *to, node_reconcile_fn *fn, void *arg, int *count)
{
    for (size_t i = 0; i < sent->n; i++) {
        const s_item_t *r = s_find (recv, sent->v[i].id);
        const s_item_t *ours = sent_is_ours ? &sent->v[i] : r;
        const s_item_t *theirs = sent_is_ours ? r : &sent->v[i];
        if (!r)
            s_report (fn, arg, "sent-not-received", from, to, ours, theirs, count);
        else if (sent->v[i].has_hash && r->has_hash && memcmp (sent->v[i].hash, r->hash, 32) != 0)
            s_report (fn, arg, "hash-differs", from, to, ours, theirs, count);
    }
    for (size_t i = 0; i < recv->n; i++)
        if (!s_find (sent, recv->v[i].id))
            s_report (fn, arg, "received-not-sent", from, to, sent_is_ours ? NULL : &recv->v[i],
                      sent_is_ours ? &recv->v[i] : NULL, count);
}

int node_audit_reconcile (node_t *n, const char *text, size_t len, node_reconcile_fn *fn, void *arg,
                          node_reconcile_t *summary)
{
    memset (summary, 0, sizeof *summary);
    if (!node_authorize (n, NODE_ROLE_IG, "audit-reconcile", "audit export")) return -1;
    char actor[160];
    node_actor (n, NODE_ROLE_IG, actor, sizeof actor);
    node_audit_export_t x;
    char err[256];
    if (node_audit_export_parse (text, len, &x, err, sizeof err) != 0) {
        node_fail (n, "%s", err);
        node_set_refused (n, 1);
        return -1;
    }
    int rc = -1;
    s_set_t our_sent = {0}, our_recv = {0}, their_sent = {0}, their_recv = {0};
    store_peer_t peer;
    const char *rule = NULL;
    if (store_peer_get (node_db (n), x.org, &peer) != 0) {
        node_fail (n, "the export is from %s, which is not a peer of this node", x.org);
        rule = "reconcile.peer";
        goto out;
    }
    size_t msg_len;
    uint8_t *msg = NULL;
    if (memcmp (x.sign_pk, peer.sign_pk, 32) != 0) {
        node_fail (n, "the export is signed with a key that is not the one pinned for %s", x.org);
        rule = "reconcile.key";
        goto out;
    }
    msg = s_export_msg ((const uint8_t *)text, x.body_len, &msg_len);
    if (!msg) {
        node_fail (n, "out of memory");
        goto out;
    }
    int bad = cx_verify (peer.sign_pk, msg, msg_len, x.sig) != 0;
    free (msg);
    if (bad) {
        node_fail (
            n,
            "the export's signature does not verify with %s's signing key: altered, or not from %s",
            x.org, x.org);
        rule = "reconcile.signature";
        goto out;
    }
    snprintf (summary->peer, sizeof summary->peer, "%s", x.org);
    summary->entries = (int64_t)x.count;
    for (size_t i = 0; i < x.count; i++) {
        const store_audit_t *e = &x.entries[i];
        char id[33];
        uint8_t hash[32];
        if (strcmp (e->decision, "allow") != 0 || strcmp (e->peer, node_self (n)->org) != 0 ||
            s_object_id (e->object, id) != 0)
            continue;
        int has = s_detail_hash (e->detail, hash) == 0;
        int r = 0;
        if (strcmp (e->action, "receive") == 0)
            r = s_add (&their_recv, id, e->object, has ? hash : NULL);
        else if (strcmp (e->action, "deliver") == 0)
            r = s_add (&their_sent, id, e->object, has ? hash : NULL);
        if (r != 0) {
            node_fail (n, "out of memory");
            goto out;
        }
    }
    s_local_t l = {n, x.org, &our_sent, &our_recv, 0};
    if (store_delivery_each (node_db (n), s_local_delivery, &l) < 0 ||
        store_dataset_each (node_db (n), s_local_dataset, &l) < 0 || l.rc != 0) {
        node_fail (n, "cannot read this node's deliveries and datasets: %s",
                   store_error (node_db (n)));
        goto out;
    }
    s_set_t *sets[] = {&our_sent, &our_recv, &their_sent, &their_recv};
    for (size_t i = 0; i < 4; i++)
        if (sets[i]->n) qsort (sets[i]->v, sets[i]->n, sizeof *sets[i]->v, s_item_cmp);
    /* The same dataset delivered twice is one send. */
    for (size_t i = 0; i < 4; i++) {
        size_t w = 0;
        for (size_t k = 0; k < sets[i]->n; k++)
            if (w == 0 || strcmp (sets[i]->v[w - 1].id, sets[i]->v[k].id) != 0)
                sets[i]->v[w++] = sets[i]->v[k];
        sets[i]->n = w;
    }
    summary->sent = (int64_t)our_sent.n;
    summary->received = (int64_t)our_recv.n;
    int count = 0;
    s_compare (&our_sent, &their_recv, 1, node_self (n)->org, x.org, fn, arg, &count);
    s_compare (&their_sent, &our_recv, 0, x.org, node_self (n)->org, fn, arg, &count);
    summary->mismatches = count;
    node_audit (
        n, actor, "audit-reconcile", "audit export", x.org, count ? "refuse" : "allow",
        count ? "reconcile.mismatch" : "reconcile.match",
        "%zu entries of %s's signed audit export against %lld sends and %lld receipts held here: "
        "%d mismatch(es)",
        x.count, x.org, (long long)our_sent.n, (long long)our_recv.n, count);
    rc = 0;
out:
    if (rule) {
        char why[NODE_ERR_MAX];
        snprintf (why, sizeof why, "%s", node_error (n));
        node_audit (n, actor, "audit-reconcile", "audit export", x.org, "refuse", rule, "%s", why);
        snprintf (node_errbuf (n), NODE_ERR_MAX, "%s", why);
        node_set_refused (n, 1);
    }
    free (our_sent.v);
    free (our_recv.v);
    free (their_sent.v);
    free (their_recv.v);
    node_audit_export_free (&x);
    return rc;
}
