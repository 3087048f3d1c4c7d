/*  status.c: a node's health read from its store (see status.h), and the
    thresholds that say when it needs attention.

    The figures are what the running node recorded: its start and stop
    entries in the audit log, each peer's presence, each transfer's
    progress (at most once a second), the directory accepted; plus the
    free space of the home's file system. Reading them costs a few
    queries, each bounded by the number of peers, agreements and
    transfers under way, whatever the size of the audit log or of the
    history of deliveries.

    Not for: printing (tools/cmd_status.c), the metrics' format
    (node/run/metrics.c), or deciding anything the node does.
*/
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "cert.h"
#include "core.h"
#include "status.h"
#include "trust.h"

/* Grows *ARR (of SIZE-byte items, *N used, *CAP room) by one zeroed item:
   it, or NULL when out of memory. */
static void *s_push (void **arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        void *grown = realloc (*arr, ncap * size);
        if (!grown)
            return NULL;
        *arr = grown;
        *cap = ncap;
    }
    void *item = (char *) *arr + (*n)++ * size;
    memset (item, 0, size);
    return item;
}

typedef struct {
    node_t *n;
    node_status_t *st;
    size_t cap_peers, cap_transfers, cap_agreements;
    int failed;
} s_collect_t;

static int s_peer (const store_peer_t *p, void *arg)
{
    s_collect_t *c = arg;
    node_status_peer_t *sp = s_push ((void **) &c->st->peers, &c->st->npeers, &c->cap_peers, sizeof *sp);
    if (!sp)
        return c->failed = -1;
    snprintf (sp->org, sizeof sp->org, "%s", p->org);
    snprintf (sp->address, sizeof sp->address, "%s", p->address);
    snprintf (sp->name, sizeof sp->name, "%s", p->name);
    snprintf (sp->trust, sizeof sp->trust, "%s", p->trust);
    snprintf (sp->dspt, sizeof sp->dspt, "%s", p->dspt);
    sp->connected = node_peer_presence (c->n, p, c->st->running, &sp->last_seen);
    sp->not_after = p->not_after;
    const char *rule = NULL;
    if (node_peer_barred (p, c->st->now, &rule) && rule)
        snprintf (sp->barred, sizeof sp->barred, "%s", rule);
    return 0;
}

static int s_queue (const store_queue_t *q, void *arg)
{
    s_collect_t *c = arg;
    node_status_peer_t *sp = NULL;
    for (size_t i = 0; i < c->st->npeers && !sp; i++)
        if (strcmp (c->st->peers[i].org, q->subscriber) == 0)
            sp = &c->st->peers[i];
    if (!sp) {                /* a subscriber no longer a peer: its queue still counts */
        sp = s_push ((void **) &c->st->peers, &c->st->npeers, &c->cap_peers, sizeof *sp);
        if (!sp)
            return c->failed = -1;
        snprintf (sp->org, sizeof sp->org, "%s", q->subscriber);
        sp->connected = c->st->running ? 0 : -1;
    }
    sp->queued = q->queued;
    sp->sending = q->sending;
    sp->oldest = q->oldest;
    sp->failing = q->failing;
    sp->attempts = q->attempts;
    return 0;
}

static int s_sending (const store_delivery_t *d, void *arg)
{
    s_collect_t *c = arg;
    node_delivery_view_t v;
    if (node_delivery_view (c->n, d, c->st->running, &v) != 0)
        return c->failed = -1;
    node_status_transfer_t *t =
        s_push ((void **) &c->st->transfers, &c->st->ntransfers, &c->cap_transfers, sizeof *t);
    if (!t)
        return c->failed = -1;
    snprintf (t->direction, sizeof t->direction, "send");
    snprintf (t->peer, sizeof t->peer, "%s", d->subscriber);
    snprintf (t->dataset, sizeof t->dataset, "%s", d->dataset);
    snprintf (t->topic, sizeof t->topic, "%s", v.topic);
    snprintf (t->status, sizeof t->status, "%s", v.status);
    t->version = v.version;
    t->bytes = v.bytes;
    t->done = v.done;
    t->rate = v.rate;
    t->eta = v.eta;
    return 0;
}

/* A dataset arriving: what is durable so far (recorded every 32 MiB and
   at each pause); its rate is known only to the running node's metrics. */
static int s_receiving (const store_dataset_t *d, void *arg)
{
    s_collect_t *c = arg;
    node_status_transfer_t *t =
        s_push ((void **) &c->st->transfers, &c->st->ntransfers, &c->cap_transfers, sizeof *t);
    if (!t)
        return c->failed = -1;
    snprintf (t->direction, sizeof t->direction, "receive");
    snprintf (t->peer, sizeof t->peer, "%s", d->publisher);
    snprintf (t->dataset, sizeof t->dataset, "%s", d->id);
    snprintf (t->topic, sizeof t->topic, "%s", d->topic);
    snprintf (t->status, sizeof t->status, "%s", c->st->running ? "receiving" : "node not running (cdx run)");
    t->version = d->version;
    t->bytes = d->bytes;
    t->done = d->next_chunk * d->chunk_size < d->bytes ? d->next_chunk * d->chunk_size : d->bytes;
    t->eta = -1;
    return 0;
}

static int s_agreement (const store_agreement_t *a, void *arg)
{
    s_collect_t *c = arg;
    if (strcmp (node_agreement_state (a, c->st->now), "in-force") != 0 ||
        a->end - c->st->now > (int64_t) NODE_STATUS_AGREEMENT_DAYS * 86400)
        return 0;
    node_status_agreement_t *sa =
        s_push ((void **) &c->st->agreements, &c->st->nagreements, &c->cap_agreements, sizeof *sa);
    if (!sa)
        return c->failed = -1;
    snprintf (sa->ref, sizeof sa->ref, "%s", a->ref);
    const char *other = strcmp (a->provider, node_self (c->n)->org) == 0 ? a->recipient : a->provider;
    snprintf (sa->peer, sizeof sa->peer, "%s", other);
    sa->end = a->end;
    return 0;
}

/* This node's own certificate, from the directory held (the directory
   certifies every node, this one too; the peers table holds the others). */
static int s_certificate (node_t *n, node_status_t *st)
{
    cert_dir_t d;
    int r = node_directory_load (n, &d);
    if (r != 0)
        return r == STORE_NOTFOUND ? 0 : -1;
    st->dir_serial = d.serial;
    st->dir_expires = d.expires;
    const uint8_t *mine = cx_keypair_public (node_sign_key (n));
    for (size_t i = 0; i < d.ncerts; i++)
        if (strcmp (d.certs[i].org, st->org) == 0 && strcmp (d.certs[i].node, node_self (n)->node) == 0 &&
            memcmp (d.certs[i].sign_pk, mine, 32) == 0) {
            st->cert_not_after = d.certs[i].not_after;
            snprintf (st->cert_dspt, sizeof st->cert_dspt, "%s", d.certs[i].dspt);
        }
    cert_dir_free (&d);
    return 0;
}

static int s_audit (node_t *n, node_status_t *st)
{
    store_t *db = node_db (n);
    store_audit_t *last = malloc (sizeof *last);
    if (!last)
        return node_fail (n, "out of memory");
    int r = store_audit_last (db, last);
    st->audit_seq = r == 0 ? last->seq : 0;
    free (last);
    if (r < 0)
        return node_fail (n, "%s", store_error (db));
    store_checkpoint_t cp;
    r = store_checkpoint_last (db, &cp);
    if (r < 0)
        return node_fail (n, "%s", store_error (db));
    if (r == 0) {
        st->checkpoint_seq = cp.seq;
        st->checkpoint_at = cp.at;
    }
    if (st->audit_seq > st->checkpoint_seq) {
        int64_t at = store_audit_at (db, st->checkpoint_seq + 1);
        if (at < 0)
            return node_fail (n, "%s", store_error (db));
        st->uncovered_since = at;
    }
    return 0;
}

int node_status_collect (node_t *n, node_status_t *st, int transfers)
{
    memset (st, 0, sizeof *st);
    store_t *db = node_db (n);
    st->now = (int64_t) time (NULL);
    st->running = node_running (n);
    snprintf (st->version, sizeof st->version, "%s", CDX_VERSION);
    const store_self_t *self = node_self (n);
    snprintf (st->org, sizeof st->org, "%s", self->org);
    snprintf (st->address, sizeof st->address, "%s", node_address (n));
    snprintf (st->name, sizeof st->name, "%s", self->name);
    snprintf (st->endpoint, sizeof st->endpoint, "%s", self->endpoint);
    int64_t started, stopped;
    if (store_last_run (db, &started, &stopped) != 0)
        return node_fail (n, "%s", store_error (db));
    if (st->running)
        st->since = started;
    else
        st->stopped = stopped;
    if (s_certificate (n, st) != 0 || s_audit (n, st) != 0)
        return -1;
    s_collect_t c = {.n = n, .st = st};
    if (store_peer_each (db, s_peer, &c) < 0 || store_queue_each (db, s_queue, &c) < 0 ||
        (transfers && store_delivery_each_sending (db, s_sending, &c) < 0) ||
        (transfers && store_dataset_each_state (db, STORE_DS_RECEIVING, s_receiving, &c) < 0) ||
        store_agreement_each (db, s_agreement, &c) < 0)
        return c.failed ? -1 : node_fail (n, "%s", store_error (db));
    if (c.failed)
        return node_fail (n, "out of memory");
    struct statvfs vfs;
    st->disk_free = st->disk_size = -1;
    if (statvfs (node_home (n), &vfs) == 0) {
        st->disk_free = (int64_t) vfs.f_bavail * (int64_t) vfs.f_frsize;
        st->disk_size = (int64_t) vfs.f_blocks * (int64_t) vfs.f_frsize;
    }
    return 0;
}

int node_status (node_t *n, node_status_t *st)
{
    memset (st, 0, sizeof *st);
    /* Every role may see how the node is: what it shows (peers, topics
       moving, agreements ending) each role sees in its own listings
       anyway; a login the node does not know is told nothing. */
    if (!node_authorize (n, NODE_ROLE_ADMIN | NODE_ROLE_PUBLISHER | NODE_ROLE_ANALYST | NODE_ROLE_IG,
                         "status-read", "status"))
        return -1;
    return node_status_collect (n, st, 1);
}

void node_status_free (node_status_t *st)
{
    free (st->peers);
    free (st->transfers);
    free (st->agreements);
    st->peers = NULL;
    st->transfers = NULL;
    st->agreements = NULL;
    st->npeers = st->ntransfers = st->nagreements = 0;
}

/* ---- what needs attention ------------------------------------------------ */

void node_status_limits_default (node_status_limits_t *l)
{
    l->cert_days = 14;
    l->dir_hours = 48;
    l->offline_hours = 24;
    l->failing_attempts = 5;
    l->checkpoint_hours = 24;
    l->disk_percent = 5;
    l->disk_bytes = (int64_t) 1 << 30;
}

/* "3 d", "5 h" or "12 min" for a span of S seconds (S >= 0). */
static void s_span (int64_t s, char *buf, size_t cap)
{
    if (s >= 2 * 86400)
        snprintf (buf, cap, "%" PRId64 " d", s / 86400);
    else if (s >= 2 * 3600)
        snprintf (buf, cap, "%" PRId64 " h", s / 3600);
    else
        snprintf (buf, cap, "%" PRId64 " min", s / 60);
}

typedef struct {
    node_attention_fn *fn;
    void *arg;
    int count;
} s_say_t;

static void s_say (s_say_t *say, const char *kind, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static void s_say (s_say_t *say, const char *kind, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (why, sizeof why, fmt, ap);
    va_end (ap);
    say->count++;
    if (say->fn)
        say->fn (kind, why, say->arg);
}

/* An end at END, against a warning WITHIN seconds before it. */
static void s_ending (s_say_t *say, const node_status_t *st, const char *kind, const char *what, int64_t end,
                      int64_t within, const char *fix)
{
    char span[32];
    if (end <= st->now) {
        s_span (st->now - end, span, sizeof span);
        s_say (say, kind, "%s expired %s ago: %s", what, span, fix);
    } else if (end - st->now <= within) {
        s_span (end - st->now, span, sizeof span);
        s_say (say, kind, "%s expires in %s: %s", what, span, fix);
    }
}

static void s_peers_attention (s_say_t *say, const node_status_t *st, const node_status_limits_t *l)
{
    char span[32];
    for (size_t i = 0; i < st->npeers; i++) {
        const node_status_peer_t *p = &st->peers[i];
        int64_t waiting = p->queued + p->sending;
        if (!waiting || p->connected != 0)
            continue;
        /* Unreachable since it was last seen, or since its oldest delivery was queued. */
        int64_t since = p->last_seen ? p->last_seen : p->oldest;
        if (since && st->now - since >= l->offline_hours * 3600) {
            s_span (st->now - since, span, sizeof span);
            s_say (say, "peer-offline", "peer %s unreachable for %s with %" PRId64 " deliveries waiting (is its node running at %s?)",
                   p->org, span, waiting, p->name[0] ? p->name : "its endpoint");
        }
    }
    for (size_t i = 0; i < st->npeers; i++) {
        const node_status_peer_t *p = &st->peers[i];
        if (p->failing && p->attempts >= l->failing_attempts)
            s_say (say, "deliveries-failing",
                   "%" PRId64 " deliveries to %s are failing (up to %" PRId64 " attempts): cdx deliveries says why",
                   p->failing, p->org, p->attempts);
    }
}

int node_status_attention (const node_status_t *st, const node_status_limits_t *l, node_attention_fn *fn, void *arg)
{
    s_say_t say = {fn, arg, 0};
    char span[32];
    if (!st->running) {
        if (st->stopped) {
            s_span (st->now > st->stopped ? st->now - st->stopped : 0, span, sizeof span);
            s_say (&say, "not-running", "node not running (stopped %s ago): start it with cdx run", span);
        } else {
            s_say (&say, "not-running", "node not running: start it with cdx run");
        }
    }
    if (st->cert_not_after)
        s_ending (&say, st, "certificate", "this node's certificate", st->cert_not_after, l->cert_days * 86400,
                  "have the authority certify this node's card again and publish a directory");
    if (st->dir_serial)
        s_ending (&say, st, "directory", "the directory", st->dir_expires, l->dir_hours * 3600,
                  "import a newer one (cdx directory import) or ask the authority for one");
    if (st->disk_free >= 0 && st->disk_size > 0 &&
        (st->disk_free * 100 < st->disk_size * l->disk_percent || st->disk_free < l->disk_bytes))
        s_say (&say, "disk", "%.1f GiB free (%.1f%%) on the home's file system: make room",
               (double) st->disk_free / 1073741824.0, 100.0 * (double) st->disk_free / (double) st->disk_size);
    s_peers_attention (&say, st, l);
    if (st->uncovered_since && st->now - st->uncovered_since >= l->checkpoint_hours * 3600) {
        s_span (st->now - st->uncovered_since, span, sizeof span);
        s_say (&say, "checkpoint",
               "%" PRId64 " audit entries not covered by a signed checkpoint for %s: cdx audit verify --checkpoint",
               st->audit_seq - st->checkpoint_seq, span);
    }
    return say.count;
}
