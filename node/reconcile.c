/*  reconcile.c: this node's signed audit export, and reconciling this
    node's sends and receipts with a peer's.

    The export's format, cdx-audit-export/1, is protocol/auditexport.h's:
    its writer and its reader. Here the node lists its log into the writer
    and signs it with its Ed25519 key (node_audit_export), and checks a
    peer's export, read by the protocol's reader, against the signing key
    it pinned for that peer.

    Reconciling compares, for one peer P, what this node holds with what
    P's log says, per dataset id:
      sends:    our deliveries to P with a signed receipt  vs  P's receive
                entries for datasets from us
      receipts: datasets we received from P (available or erased)  vs  P's
                deliver entries to us
    and reports each dataset sent but never received, received but never
    sent, or received with another content hash. An export is a snapshot:
    transfers after it show as mismatches until a newer export.

    Not for: printing (tools/cmd_audit.c), the format's bytes
    (protocol/auditexport.c), the log's own chain (audit.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditexport.h"
#include "core.h"
#include "outfile.h"

/* An audit row is an export's entry: the same fields, the same sizes. */
_Static_assert (sizeof ((store_audit_t *) 0)->actor == sizeof ((auditexport_entry_t *) 0)->actor &&
                    sizeof ((store_audit_t *) 0)->action == sizeof ((auditexport_entry_t *) 0)->action &&
                    sizeof ((store_audit_t *) 0)->object == sizeof ((auditexport_entry_t *) 0)->object &&
                    sizeof ((store_audit_t *) 0)->peer == sizeof ((auditexport_entry_t *) 0)->peer &&
                    sizeof ((store_audit_t *) 0)->purpose == sizeof ((auditexport_entry_t *) 0)->purpose &&
                    sizeof ((store_audit_t *) 0)->decision == sizeof ((auditexport_entry_t *) 0)->decision &&
                    sizeof ((store_audit_t *) 0)->rule == sizeof ((auditexport_entry_t *) 0)->rule &&
                    sizeof ((store_audit_t *) 0)->detail == sizeof ((auditexport_entry_t *) 0)->detail &&
                    sizeof ((store_audit_t *) 0)->hash == sizeof ((auditexport_entry_t *) 0)->hash,
                "store_audit_t and auditexport_entry_t differ");

/* ---- exporting ------------------------------------------------------------ */

static int s_export_entry (const store_audit_t *e, void *arg)
{
    auditexport_entry_t x;
    x.seq = e->seq;
    x.at = e->at;
    memcpy (x.actor, e->actor, sizeof x.actor);
    memcpy (x.action, e->action, sizeof x.action);
    memcpy (x.object, e->object, sizeof x.object);
    memcpy (x.peer, e->peer, sizeof x.peer);
    memcpy (x.purpose, e->purpose, sizeof x.purpose);
    memcpy (x.decision, e->decision, sizeof x.decision);
    memcpy (x.rule, e->rule, sizeof x.rule);
    memcpy (x.detail, e->detail, sizeof x.detail);
    memcpy (x.hash, e->hash, sizeof x.hash);
    return auditexport_add (arg, &x) == 0 ? 0 : 1;
}

int node_audit_export (node_t *n, const char *path, const node_files_t *files, int64_t *entries)
{
    *entries = 0;
    if (!node_authorize (n, NODE_ROLE_IG, "audit-export", "audit log")) return -1;
    auditexport_writer_t w;
    node_outfile_t *out = NULL;
    uint8_t *msg = NULL;
    int rc = -1;
    if (auditexport_begin (&w, node_self (n)->org, cx_keypair_public (node_sign_key (n)), (int64_t)time (NULL)) != 0) {
        node_fail (n, "out of memory");
        goto out;
    }
    int each = store_audit_each (node_db (n), s_export_entry, &w);
    if (each < 0) {
        node_fail (n, "%s (cdx audit verify names the entry)", store_error (node_db (n)));
        goto out;
    }
    size_t msg_len;
    if (each > 0 || auditexport_signed (&w, &msg, &msg_len) != 0) {
        node_fail (n, "out of memory");
        goto out;
    }
    uint8_t sig[64];
    if (cx_sign (node_sign_key (n), msg, msg_len, sig) != 0) {
        node_fail (n, "cannot sign the export: %s", cx_error ());
        goto out;
    }
    const char *text;
    size_t len;
    if (auditexport_finish (&w, sig, &text, &len) != 0) {
        node_fail (n, "out of memory");
        goto out;
    }
    char err[NODE_ERR_MAX];
    if (!files)
        snprintf (err, sizeof err, "no way to create %s", path);
    out = files ? files->open_out (files->arg, path, 0600, err, sizeof err) : NULL;
    if (!out || node_outfile_write (out, text, len, err, sizeof err) != 0 ||
        node_outfile_commit (out, err, sizeof err) != 0) {
        node_fail (n, "%s", err);
        goto out;
    }
    char actor[160];
    node_actor (n, NODE_ROLE_IG, actor, sizeof actor);
    if (node_audit (n, actor, "audit-export", "audit log", "", "allow", "local.audit-export",
                    "%" PRId64 " entries exported, signed, to %s", w.count, node_outfile_path (out)) != 0) {
        node_outfile_retract (out);
        snprintf (err, sizeof err, "%s", node_error (n));
        node_fail (n, "%s: the export was removed", err);
        goto out;
    }
    *entries = w.count;
    rc = 0;
out:
    free (msg);
    node_outfile_destroy (&out);
    auditexport_writer_free (&w);
    return rc;
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
        if (!strchr ("0123456789abcdefABCDEF", *p)) return -1;
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
    if (strcmp (d->subscriber, l->peer) != 0 || d->state != STORE_DL_DELIVERED) return 0;
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
        (d->state != STORE_DS_AVAILABLE && d->state != STORE_DS_ERASED))
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

/* The peer's side from its export X: what it logged as received from us
   (THEIR_RECV) and delivered to us (THEIR_SENT). 0, or -1 (out of memory). */
static int s_their_sets (node_t *n, const auditexport_t *x, s_set_t *their_sent, s_set_t *their_recv)
{
    for (size_t i = 0; i < x->count; i++) {
        const auditexport_entry_t *e = &x->entries[i];
        char id[33];
        uint8_t hash[32];
        if (strcmp (e->decision, "allow") != 0 || strcmp (e->peer, node_self (n)->org) != 0 ||
            s_object_id (e->object, id) != 0)
            continue;
        int has = s_detail_hash (e->detail, hash) == 0;
        int r = 0;
        if (strcmp (e->action, "receive") == 0)
            r = s_add (their_recv, id, e->object, has ? hash : NULL);
        else if (strcmp (e->action, "deliver") == 0)
            r = s_add (their_sent, id, e->object, has ? hash : NULL);
        if (r != 0) return -1;
    }
    return 0;
}

/* Sorted by id, each id once: the same dataset delivered twice is one send. */
static void s_normalise (s_set_t *set)
{
    if (set->n) qsort (set->v, set->n, sizeof *set->v, s_item_cmp);
    size_t w = 0;
    for (size_t k = 0; k < set->n; k++)
        if (w == 0 || strcmp (set->v[w - 1].id, set->v[k].id) != 0) set->v[w++] = set->v[k];
    set->n = w;
}

/* A node of the exporting organisation holds the signing key KEY. */
typedef struct {
    const uint8_t *key;
    int found;
} s_node_key_t;

static int s_node_key (const store_peer_t *p, void *arg)
{
    s_node_key_t *k = arg;
    if (memcmp (p->sign_pk, k->key, 32) == 0 && !node_peer_barred (p, (int64_t) time (NULL), NULL))
        k->found = 1;                           /* a current node's key: not revoked, not expired */
    return k->found;
}

int node_audit_reconcile (node_t *n, const char *text, size_t len, node_reconcile_fn *fn, void *arg,
                          node_reconcile_t *summary)
{
    memset (summary, 0, sizeof *summary);
    if (!node_authorize (n, NODE_ROLE_IG, "audit-reconcile", "audit export")) return -1;
    char actor[160];
    node_actor (n, NODE_ROLE_IG, actor, sizeof actor);
    auditexport_t x;
    char err[256];
    if (auditexport_parse (text, len, &x, err, sizeof err) != 0) {
        node_fail (n, "%s", err);
        node_set_refused (n, 1);
        return -1;
    }
    int rc = -1;
    s_set_t our_sent = {0}, our_recv = {0}, their_sent = {0}, their_recv = {0};
    store_peer_t peer;
    const char *rule = NULL;
    if (store_peer_of_org (node_db (n), x.org, &peer) != 0) {
        node_fail (n, "the export is from %s, which is not a peer of this node", x.org);
        rule = "reconcile.peer";
        goto out;
    }
    size_t msg_len;
    uint8_t *msg = NULL;
    /* The export is one node's: the key of any node of the organisation (SPEC.md 9.2). */
    s_node_key_t nk = {x.sign_pk, 0};
    if (store_peer_org_each (node_db (n), x.org, s_node_key, &nk) < 0 || !nk.found) {
        node_fail (n, "the export is signed with a key that is not the one pinned for %s", x.org);
        rule = "reconcile.key";
        goto out;
    }
    msg = auditexport_message (text, x.body_len, &msg_len);
    if (!msg) {
        node_fail (n, "out of memory");
        goto out;
    }
    int bad = cx_verify (x.sign_pk, msg, msg_len, x.sig) != 0;
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
    if (s_their_sets (n, &x, &their_sent, &their_recv) != 0) {
        node_fail (n, "out of memory");
        goto out;
    }
    s_local_t l = {n, x.org, &our_sent, &our_recv, 0};
    if (store_delivery_each (node_db (n), s_local_delivery, &l) < 0 ||
        store_dataset_each (node_db (n), s_local_dataset, &l) < 0 || l.rc != 0) {
        node_fail (n, "cannot read this node's deliveries and datasets: %s",
                   store_error (node_db (n)));
        goto out;
    }
    s_set_t *sets[] = {&our_sent, &our_recv, &their_sent, &their_recv};
    for (size_t i = 0; i < 4; i++) s_normalise (sets[i]);
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
    auditexport_free (&x);
    return rc;
}
