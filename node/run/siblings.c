/*  siblings.c: the work the nodes of one organisation share (SPEC.md
    11.5). Who sends a delivery of the organisation's own data: its origin
    while reachable, else, once the origin has been unreachable for the
    takeover time, the deputy (the first reachable holder by address),
    which records the takeover (failover) and tells the origin when it is
    back (FAILOVER). Receipts passed on to each sibling (DELIVERED). And
    the sibling messages as they arrive: DELIVERED and FAILOVER here,
    SETTING in settings.c; each taken from a certified sibling only, from
    anyone else refused (sibling.not-sibling) and recorded.

    Not for: the copies themselves (node/copies.c, receive.c), the
    transfer (outgoing.c).
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agree.h"
#include "card.h"
#include "run_internal.h"

/* ---- reachability ---------------------------------------------------------- */

static int64_t s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How long sibling P has been unreachable, ms (0 while connected). One
   not reached since this node started counts from the start. */
static int64_t s_down_for (run_t *r, const peer_t *p, int64_t now)
{
    if (p->connected)
        return 0;
    return now - (p->down_since ? p->down_since : r->started_ms);
}

void sibling_on_disconnect (run_t *r, peer_t *p)
{
    if (!p->down_since) {
        p->down_since = run_now_ms ();
        p->down_wall = s_wall_ms ();
    }
    if (peer_is_sibling (r, p))
        run_schedule (r, p->down_since + r->takeover_ms);  /* its work may be ours then */
}

/* ---- who delivers ------------------------------------------------------------ */

typedef struct {
    const char *address;
    int holds;
} s_holds_t;

static int s_holds_one (const store_delivery_t *d, void *arg)
{
    s_holds_t *h = arg;
    if (strcmp (d->subscriber, h->address) == 0 && d->state == STORE_DL_DELIVERED)
        h->holds = 1;
    return 0;
}

/* 1 if sibling Q is known to hold dataset ID: its receipt for a copy. */
static int s_holds (run_t *r, const peer_t *q, const char *id)
{
    s_holds_t h = {q->info.address, 0};
    store_delivery_each_dataset (node_db (r->n), id, s_holds_one, &h);
    return h.holds;
}

int sibling_sends (run_t *r, const store_delivery_t *d, int64_t now, char *status, size_t cap)
{
    const char *own = node_self (r->n)->org;
    status[0] = 0;
    if (card_address_of_org (d->subscriber, own))
        return 1;                               /* a copy: whoever holds it copies it */
    store_dataset_t *ds = malloc (sizeof *ds);
    if (!ds || store_dataset_get (node_db (r->n), d->dataset, ds) != 0 || strcmp (ds->publisher, own) != 0 ||
        !ds->origin[0] || strcmp (ds->origin, node_address (r->n)) == 0) {
        free (ds);
        return 1;                               /* published here (or unreadable: the offer says why) */
    }
    peer_t *o = peer_find (r, ds->origin);
    if (o && (!peer_is_sibling (r, o) || o->barred))
        o = NULL;                               /* no longer a node of ours: its work is ours */
    if (o) {
        int64_t down = s_down_for (r, o, now);
        if (o->connected || down < r->takeover_ms) {
            snprintf (status, cap, "sent by %s, where it was published", o->info.address);
            if (!o->connected)
                run_schedule (r, now + r->takeover_ms - down);
            free (ds);
            return 0;
        }
    }
    /* The deputy: the first by address of this node and the reachable
       siblings known to hold it. */
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *q = r->peers[i];
        if (q != o && q->connected && !q->barred && peer_is_sibling (r, q) &&
            strcmp (q->info.address, node_address (r->n)) < 0 && s_holds (r, q, ds->id)) {
            snprintf (status, cap, "sent by %s, deputy for %s", q->info.address, ds->origin);
            free (ds);
            return 0;
        }
    }
    if (o)
        o->take_count++;
    free (ds);
    return 1;
}

void sibling_scan_begin (run_t *r)
{
    for (size_t i = 0; i < r->npeers; i++)
        r->peers[i]->take_count = 0;
}

/* The first scan that takes over from a sibling records it, once per
   outage: "MS ms: took over N deliveries from ADDR". */
void sibling_scan_end (run_t *r)
{
    int64_t now = run_now_ms ();
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (!p->take_count || p->taken_at)
            continue;
        p->taken_at = now;
        p->taken = p->take_count;
        int64_t ms = s_down_for (r, p, now);
        node_log (r->n, "warn", "%s unreachable for %" PRId64 " ms: this node takes over its %d deliveries",
                  p->info.address, ms, p->take_count);
        node_audit (r->n, "node", "failover", "deliveries", p->info.address, "allow", "sibling.failover",
                    "%" PRId64 " ms: took over %d deliveries from %s", ms, p->take_count, p->info.address);
    }
}

/* ---- on connect: FAILOVER, and the receipts it may lack ----------------------- */

typedef struct {
    run_t *r;
    peer_t *p;
    int sent;
} s_backlog_t;

static void s_send_delivered (run_t *r, peer_t *p, const store_delivery_t *d)
{
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_DELIVERED;
    if (cx_unhex (d->dataset, m.dataset, 16) != 0 || d->receipt_len == 0 || d->receipt_len > sizeof m.doc)
        return;
    memcpy (m.doc, d->receipt, d->receipt_len);
    m.doc_len = d->receipt_len;
    memcpy (m.sig, d->receipt_sig, 64);
    wire_send (r, p->dealer, NULL, 0, &m, NULL);
}

static int s_backlog_one (const store_delivery_t *d, void *arg);

static int s_backlog_delivered (const store_delivery_t *d, void *arg)
{
    return d->state == STORE_DL_DELIVERED ? s_backlog_one (d, arg) : 0;
}

static int s_backlog_one (const store_delivery_t *d, void *arg)
{
    s_backlog_t *b = arg;
    if (card_address_of_org (d->subscriber, node_self (b->r->n)->org))
        return 0;                               /* a copy's receipt is the sibling's own */
    s_send_delivered (b->r, b->p, d);
    b->sent++;
    return 0;
}

static int s_agreement_one (const store_agreement_t *a, void *arg)
{
    s_backlog_t *b = arg;
    proto_msg_t *m = malloc (sizeof *m);
    if (!m)
        return 0;
    node_agreement_message (a, m);
    wire_send (b->r, b->p->dealer, NULL, 0, m, NULL);
    if (a->revoked) {                           /* the document first, then that it ended */
        gossip_revoke_message (a, m);
        wire_send (b->r, b->p->dealer, NULL, 0, m, NULL);
    }
    free (m);
    return 0;
}

void sibling_on_connect (run_t *r, peer_t *p)
{
    if (!peer_is_sibling (r, p))
        return;
    if (p->taken_at) {
        proto_msg_t m;
        memset (&m, 0, sizeof m);
        m.id = PROTO_FAILOVER;
        snprintf (m.node, sizeof m.node, "%s", p->info.address);
        m.since = (uint64_t) (p->down_wall ? p->down_wall : r->started_wall);
        m.took = (uint64_t) (p->taken_at - (p->down_since ? p->down_since : r->started_ms));
        m.count = (uint64_t) p->taken;
        if (wire_send (r, p->dealer, NULL, 0, &m, NULL) == 0)
            node_log (r->n, "info", "told %s that this node took over %d of its deliveries", p->info.address,
                      p->taken);
    }
    /* The organisation's agreements, whatever their state: it merges what
       it lacks (signatures, a revocation). */
    store_agreement_each (node_db (r->n), s_agreement_one, &(s_backlog_t){r, p, 0});
    /* Receipts recorded while it was away (from a day before this node
       started, if it never saw it): a sibling that misses one is answered
       with the receipt when it offers the dataset again, so this only
       spares that OFFER. */
    int64_t since = p->down_wall ? p->down_wall / 1000 - 60 : r->started_wall / 1000 - 86400;
    s_backlog_t b = {r, p, 0};
    if (store_delivery_each_delivered (node_db (r->n), since, s_backlog_one, &b) < 0)
        node_log (r->n, "error", "cannot read the receipts for %s: %s", p->info.address, store_error (node_db (r->n)));
    /* Whatever it may lack: each dataset held here with no copy to it
       yet (it is new, or was away when the copy was queued, or sent it
       here: its receipt then records that it holds it). */
    int64_t queued = store_delivery_add_held (node_db (r->n), p->info.address);
    if (queued < 0)
        node_log (r->n, "error", "cannot queue copies for %s: %s", p->info.address, store_error (node_db (r->n)));
    else if (queued > 0)
        node_log (r->n, "info", "%lld dataset(s) queued for sibling %s", (long long) queued, p->info.address);
    p->settings_synced = 0;                     /* every setting again (settings.c) */
    p->down_since = 0;
    p->down_wall = 0;
    p->taken_at = 0;
    p->taken = 0;
}

void sibling_copy_receipted (run_t *r, peer_t *p, const char *dataset)
{
    /* What was delivered while the copy travelled: the sibling had no
       delivery to mark when it was first told. */
    s_backlog_t b = {r, p, 0};
    store_delivery_each_dataset (node_db (r->n), dataset, s_backlog_delivered, &b);
}

void sibling_receipt (run_t *r, const store_delivery_t *d)
{
    if (card_address_of_org (d->subscriber, node_self (r->n)->org))
        return;
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected && peer_is_sibling (r, r->peers[i]))
            s_send_delivered (r, r->peers[i], d);
}

/* ---- the messages as they arrive ------------------------------------------- */

static void s_not_sibling (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m)
{
    if (run_limit_pass (r, &p->refusals, o->org)) {
        char actor[80];
        peer_actor (p, actor, sizeof actor);
        node_audit (r->n, actor, "receive", "message", o->org, "refuse", "sibling.not-sibling",
                    "%s from %s refused: only a node of this organisation sends it", proto_name (m->id), o->org);
    }
    wire_error (r, o, PROTO_E_DENIED, NULL, "sibling.not-sibling: %s is taken only from a node of %s",
                proto_name (m->id), node_self (r->n)->org);
}

/* The current node of ORG whose signing key is KEY, or NULL. */
static peer_t *s_node_with_key (run_t *r, const char *org, const uint8_t key[32])
{
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *q = r->peers[i];
        if (strcmp (q->info.org, org) == 0 && !q->barred && memcmp (q->info.sign_pk, key, 32) == 0)
            return q;
    }
    return NULL;
}

/* DELIVERED: a receipt a sibling recorded, checked as section 8 says
   (the receiving node is a current node of the organisation it names,
   its key made the signature, the hash is the dataset's) and recorded
   here if the delivery was not yet. Anything else is logged, not acted
   on: it is never needed for correctness. */
static void s_on_delivered (run_t *r, peer_t *p, const proto_msg_t *m)
{
    proto_receipt_t rc;
    char id[33];
    cx_hex (m->dataset, 16, id);
    const char *why = NULL;
    store_dataset_t *ds = malloc (sizeof *ds);
    store_delivery_t *dl = malloc (sizeof *dl);
    peer_t *at = NULL;
    if (!ds || !dl)
        why = "out of memory";
    else if (proto_receipt_decode (m->doc, m->doc_len, &rc) != PROTO_OK)
        why = "the receipt does not decode";
    else if (memcmp (rc.dataset, m->dataset, 16) != 0)
        why = "the receipt names another dataset";
    else if (!(at = s_node_with_key (r, rc.recipient, rc.recipient_key)) || peer_is_sibling (r, at))
        why = "the receipt's key is not a current node of the organisation it names";
    else if (cx_verify (rc.recipient_key, m->doc, m->doc_len, m->sig) != 0)
        why = "the receipt's signature does not verify";
    else if (store_dataset_get (node_db (r->n), id, ds) != 0 || memcmp (ds->hash, rc.hash, 32) != 0)
        why = "the receipt is for a dataset not held here, or another content";
    else if (store_delivery_get (node_db (r->n), id, rc.recipient, dl) != 0)
        why = "no delivery of it to that organisation is queued here";
    if (why) {
        if (run_limit_pass (r, &p->refusals, p->info.org))
            node_log (r->n, "info", "DELIVERED %s from %s not recorded: %s", id, p->info.address, why);
    } else if (dl->state != STORE_DL_DELIVERED) {
        char object[129];
        snprintf (object, sizeof object, "%s v%lld %s", ds->topic, (long long) ds->version, id);
        store_t *st = node_db (r->n);
        if (store_begin (st) != 0 ||
            store_delivery_receipt (st, id, rc.recipient, m->doc, m->doc_len, m->sig) != 0 ||
            node_audit (r->n, "node", "receipt", object, rc.recipient, "allow", "sibling.delivered",
                        "delivered by %s: receipt signed by %s, passed on by %s", p->info.address,
                        at->info.address, p->info.address) != 0 ||
            store_commit (st) != 0) {
            store_rollback (st);
            node_log (r->n, "error", "cannot record the receipt from %s: %s", p->info.address, store_error (st));
        } else {
            node_log (r->n, "info", "%s v%lld delivered to %s by sibling %s (receipt recorded)", ds->topic,
                      (long long) ds->version, rc.recipient, p->info.address);
            run_schedule (r, run_now_ms ());    /* its retention, and what waited on it */
        }
    }
    free (ds);
    free (dl);
}

/* FAILOVER: a sibling took over this node's deliveries while it was
   unreachable (a drill's outcome, or a real loss). */
static void s_on_failover (run_t *r, peer_t *p, const proto_msg_t *m)
{
    if (strcmp (m->node, node_address (r->n)) != 0) {
        node_log (r->n, "info", "FAILOVER from %s about %s, not this node: ignored", p->info.address, m->node);
        return;
    }
    char actor[80];
    peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "%s took over %" PRIu64 " deliveries of this node after %" PRIu64 " ms unreachable",
              p->info.address, m->count, m->took);
    node_audit (r->n, actor, "failover", "deliveries", p->info.address, "allow", "sibling.failover",
                "%s took over %" PRIu64 " deliveries of this node after %" PRIu64 " ms unreachable", p->info.address,
                m->count, m->took);
    drill_on_failover (r, p, m);
}

void sibling_on_message (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m)
{
    if (!peer_is_sibling (r, p)) {
        s_not_sibling (r, p, o, m);
        return;
    }
    switch (m->id) {
    case PROTO_SETTING:
        settings_on_setting (r, p, m);
        break;
    case PROTO_DELIVERED:
        s_on_delivered (r, p, m);
        break;
    case PROTO_FAILOVER:
        s_on_failover (r, p, m);
        break;
    default:
        break;
    }
}
