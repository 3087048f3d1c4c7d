/*  resilience.c: the figures of resilience.h from one walk of the audit
    log, in seq order (the service, datasets received, transfers resumed
    and restarts survived, failovers and drills, backups and restores);
    the store's and the directory's figures are resilience_store.c's.

    The walk reads every entry once, up to the period's end, keeping only
    the transfers under way (bounded) and one latency per dataset
    received in the period.

    Not for: printing, recording anything.
*/
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "proto.h"
#include "resilience.h"
#include "resilience_int.h"

/* Transfers under way kept at once: more (accepted and never ended) are
   forgotten, oldest first, with a note. */
#define S_PENDING_MAX 4096

typedef struct {
    char key[160];             /* a dataset id (accepted here), or "OBJECT|PEER" (a retry of a delivery) */
    int64_t at;                /* when accepted */
    int restarted;             /* a start came after it */
} s_pending_t;

typedef struct {
    int64_t *v;
    size_t n, cap;
} s_lat_t;

typedef struct {
    node_t *n;
    node_resilience_t *res;
    store_dataset_t *ds;       /* scratch: one dataset row */
    int64_t prev_at;           /* the last entry before this one that the running node wrote */
    int state;                 /* 0 never started, 1 running, 2 stopped, 3 crashed past the period's end */
    int past;                  /* an entry after the period's end was seen */
    int64_t stop_at, first_start, last_start;
    s_pending_t *accepted;     /* datasets accepted, not yet ended */
    size_t naccepted;
    s_pending_t *retried;      /* deliveries interrupted, not yet delivered */
    size_t nretried;
    s_lat_t *lat;              /* per publisher: its latencies, seconds */
    size_t cap_publishers, cap_outages, cap_failovers, cap_drills;
    int failed;
} s_walk_t;

void res_note (node_resilience_t *res, const char *fmt, ...)
{
    if (res->nnotes >= NODE_RES_NOTES_MAX) {
        res->notes_more++;
        return;
    }
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (res->notes[res->nnotes++], sizeof res->notes[0], fmt, ap);
    va_end (ap);
}

void *res_push (void **arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t grown = *cap ? *cap * 2 : 8;
        void *p = realloc (*arr, grown * size);
        if (!p)
            return NULL;
        *arr = p;
        *cap = grown;
    }
    void *slot = (char *) *arr + (*n)++ * size;
    memset (slot, 0, size);
    return slot;
}

int node_res_parse_ms (const char *detail, int64_t *ms)
{
    const char *p = detail;
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (strncmp (p, " ms", 3) != 0 || (p[3] != '\0' && p[3] != ' ' && p[3] != ':'))
        return -1;
    *ms = v;
    return 0;
}

static int s_in (const s_walk_t *w, int64_t at) { return at >= w->res->since && at <= w->res->until; }

/* ---- service ---------------------------------------------------------------- */

static void s_outage (s_walk_t *w, int64_t from, int64_t to, int unclean, int ongoing)
{
    node_resilience_t *res = w->res;
    if (to < res->since || from > res->until || to < from)
        return;
    node_res_outage_t *o = res_push ((void **) &res->outages, &res->noutages, &w->cap_outages, sizeof *o);
    if (!o) {
        w->failed = 1;
        return;
    }
    o->from = from < res->since ? res->since : from;
    o->to = to > res->until ? res->until : to;
    o->unclean = unclean;
    o->ongoing = ongoing;
}

static void s_start (s_walk_t *w, const store_audit_t *e)
{
    if (w->state == 1) {
        s_outage (w, w->prev_at, e->at, 1, 0);
        if (e->at >= w->res->since && w->prev_at <= w->res->until)
            w->res->unclean_stops++;
    } else if (w->state == 2) {
        s_outage (w, w->stop_at, e->at, 0, 0);
    }
    if (s_in (w, e->at))
        w->res->starts++;
    if (!w->first_start)
        w->first_start = e->at;
    w->last_start = e->at;
    w->state = 1;
    for (size_t i = 0; i < w->naccepted; i++)
        w->accepted[i].restarted = 1;
}

static void s_stop (s_walk_t *w, const store_audit_t *e)
{
    if (s_in (w, e->at))
        w->res->clean_stops++;
    w->state = 2;
    w->stop_at = e->at;
}

/* After the walk: the state at the period's end, the window and the
   time in service. */
static void s_service_end (s_walk_t *w, int ends_now)
{
    node_resilience_t *res = w->res;
    if (w->state == 1 && ends_now && !res->running)
        s_outage (w, w->prev_at, res->until, 1, 1);      /* killed after its last entry, not started since */
    else if (w->state == 3)
        s_outage (w, w->prev_at, res->until, 1, 1);      /* killed inside the period: its next start is after it */
    else if (w->state == 2)
        s_outage (w, w->stop_at, res->until, 0, 1);
    if (!w->first_start || w->first_start > res->until)
        return;
    int64_t from = w->first_start > res->since ? w->first_start : res->since;
    res->window_from = from;
    res->window_s = res->until - from;
    int64_t out = 0;
    for (size_t i = 0; i < res->noutages; i++) {
        int64_t a = res->outages[i].from < from ? from : res->outages[i].from;
        if (res->outages[i].to > a)
            out += res->outages[i].to - a;
    }
    res->in_service_s = res->window_s > out ? res->window_s - out : 0;
}

/* ---- transfers -------------------------------------------------------------- */

static s_pending_t *s_find (s_pending_t *arr, size_t n, const char *key)
{
    for (size_t i = n; i-- > 0;)
        if (strcmp (arr[i].key, key) == 0)
            return &arr[i];
    return NULL;
}

static void s_drop (s_pending_t *arr, size_t *n, s_pending_t *p)
{
    size_t i = (size_t) (p - arr);
    memmove (&arr[i], &arr[i + 1], (*n - i - 1) * sizeof *arr);
    (*n)--;
}

static void s_remember (s_walk_t *w, s_pending_t **arr, size_t *n, const char *key, int64_t at)
{
    if (s_find (*arr, *n, key))
        return;
    if (!*arr && !(*arr = malloc (S_PENDING_MAX * sizeof **arr))) {
        w->failed = 1;
        return;
    }
    if (*n == S_PENDING_MAX) {
        res_note (w->res, "more than %d transfers under way at once: the oldest are left out of the "
                  "transfer figures", S_PENDING_MAX);
        memmove (&(*arr)[0], &(*arr)[1], (S_PENDING_MAX - 1) * sizeof **arr);
        (*n)--;
    }
    s_pending_t *p = &(*arr)[(*n)++];
    snprintf (p->key, sizeof p->key, "%s", key);
    p->at = at;
    p->restarted = 0;
}

/* The dataset id at the end of an entry's object ("TOPIC vN ID"), or
   NULL. */
static const char *s_object_id (const char *object)
{
    const char *id = strrchr (object, ' ');
    id = id ? id + 1 : object;
    if (strlen (id) != 32 || strspn (id, "0123456789abcdef") != 32)
        return NULL;
    return id;
}

static int64_t s_leading (const char *s)
{
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9' && v < INT64_MAX / 10 - 9; s++)
        v = v * 10 + (*s - '0');
    return v;
}

static node_res_publisher_t *s_publisher (s_walk_t *w, const char *org)
{
    node_resilience_t *res = w->res;
    for (size_t i = 0; i < res->npublishers; i++)
        if (strcmp (res->publishers[i].org, org) == 0)
            return &res->publishers[i];
    size_t cap = w->cap_publishers;
    node_res_publisher_t *p = res_push ((void **) &res->publishers, &res->npublishers, &w->cap_publishers, sizeof *p);
    if (p && cap != w->cap_publishers) {
        s_lat_t *lat = realloc (w->lat, w->cap_publishers * sizeof *lat);
        if (lat) {
            w->lat = lat;
        } else {
            res->npublishers--;                /* the cleanup frees only what has its latencies */
            p = NULL;
        }
    }
    if (!p) {
        w->failed = 1;
        return NULL;
    }
    memset (&w->lat[res->npublishers - 1], 0, sizeof *w->lat);
    snprintf (p->org, sizeof p->org, "%s", org);
    store_peer_t *peer = malloc (sizeof *peer);
    if (peer && store_peer_of_org (node_db (w->n), org, peer) == 0)
        snprintf (p->name, sizeof p->name, "%s", peer->name);
    free (peer);
    return p;
}

/* A dataset made available: its publisher's figures, and the transfer's. */
static void s_received (s_walk_t *w, const store_audit_t *e, const char *id)
{
    node_resilience_t *res = w->res;
    s_pending_t *acc = s_find (w->accepted, w->naccepted, id);
    int restarted = acc && acc->restarted;
    int64_t from = acc ? (restarted && w->last_start > acc->at ? w->last_start : acc->at) : e->at;
    if (acc)
        s_drop (w->accepted, &w->naccepted, acc);
    if (!s_in (w, e->at))
        return;
    node_res_publisher_t *p = s_publisher (w, e->peer);
    if (!p)
        return;
    int64_t bytes = s_leading (e->detail);
    res->received++;
    p->datasets++;
    p->bytes += bytes;
    res->bytes_received += bytes;
    res->transfer_s += e->at - from > 1 ? e->at - from : 1;
    if (restarted)
        res->restarts_survived++, res->resumed++;
    proto_manifest_t man;
    if (store_dataset_get (node_db (w->n), id, w->ds) != 0 ||
        proto_manifest_decode (w->ds->manifest, w->ds->manifest_len, &man) != PROTO_OK) {
        res_note (res, "audit entry %" PRId64 ": dataset %s is not in the store with a readable manifest: "
                  "its publication time is unknown", e->seq, id);
        return;
    }
    s_lat_t *l = &w->lat[p - res->publishers];
    int64_t *slot = res_push ((void **) &l->v, &l->n, &l->cap, sizeof *slot);
    if (!slot) {
        w->failed = 1;
        return;
    }
    /* The signed time is the publisher's word: one before 1970 or after
       the reception gives no figure (and no overflow). */
    *slot = man.created >= 0 && e->at > man.created ? e->at - man.created : 0;
    p->timed = (int64_t) l->n;
}

/* A delivery of this node completed (its receipt verified). */
static void s_delivered (s_walk_t *w, const store_audit_t *e, const char *id)
{
    char key[160];
    snprintf (key, sizeof key, "%.128s|%.16s", e->object, e->peer);
    s_pending_t *retry = s_find (w->retried, w->nretried, key);
    int resumed = retry != NULL;
    if (retry)
        s_drop (w->retried, &w->nretried, retry);
    if (!s_in (w, e->at))
        return;
    node_resilience_t *res = w->res;
    int64_t bytes = s_leading (e->detail), secs = 1;
    store_delivery_t *d = malloc (sizeof *d);
    if (d && store_delivery_get (node_db (w->n), id, e->peer, d) == 0) {
        if (d->started > 0 && d->updated > d->started)
            secs = d->updated - d->started;
        if (w->last_start > d->created && w->last_start <= e->at && d->created > 0)
            res->restarts_survived++, resumed = 1;
    }
    free (d);
    res->resumed += resumed;
    res->bytes_sent += bytes;
    res->transfer_s += secs;
}

static void s_transfer (s_walk_t *w, const store_audit_t *e)
{
    const char *id = s_object_id (e->object);
    if (!id)
        return;
    int allow = strcmp (e->decision, "allow") == 0;
    if (strcmp (e->action, "accept") == 0 && allow) {
        s_remember (w, &w->accepted, &w->naccepted, id, e->at);
    } else if (strcmp (e->action, "receive") == 0 && allow) {
        s_received (w, e, id);
    } else if ((strcmp (e->action, "receive") == 0 || strcmp (e->action, "abandon") == 0) && !allow) {
        s_pending_t *acc = s_find (w->accepted, w->naccepted, id);
        if (!acc)
            return;                     /* an offer refused before it began: not a transfer */
        s_drop (w->accepted, &w->naccepted, acc);
        if (s_in (w, e->at) && res_reason (w->res, "received", e->rule) != 0)
            w->failed = 1;
    } else if (strcmp (e->action, "send") == 0 && !allow) {
        size_t len = strlen (e->detail);
        if (len >= 12 && strcmp (e->detail + len - 12, "; will retry") == 0) {
            char key[160];
            snprintf (key, sizeof key, "%.128s|%.16s", e->object, e->peer);
            s_remember (w, &w->retried, &w->nretried, key, e->at);
        }
    } else if (strcmp (e->action, "deliver") == 0 && allow) {
        s_delivered (w, e, id);
    }
}

/* ---- failovers, drills, backups ----------------------------------------------- */

static void s_event (s_walk_t *w, const store_audit_t *e, int drill)
{
    node_resilience_t *res = w->res;
    const char *what = drill ? "drill" : "failover";
    int64_t ms;
    if (node_res_parse_ms (e->detail, &ms) != 0) {
        res_note (res, "audit entry %" PRId64 ": a %s whose detail does not start with \"MS ms\" is left out",
                  e->seq, what);
        return;
    }
    node_res_event_t *ev = drill ? res_push ((void **) &res->drills, &res->ndrills, &w->cap_drills, sizeof *ev)
                                 : res_push ((void **) &res->failovers, &res->nfailovers, &w->cap_failovers,
                                             sizeof *ev);
    if (!ev) {
        w->failed = 1;
        return;
    }
    ev->seq = e->seq;
    ev->at = e->at;
    ev->ms = ms;
    ev->passed = strcmp (e->decision, "allow") == 0;
    snprintf (ev->actor, sizeof ev->actor, "%s", e->actor);
    snprintf (ev->peer, sizeof ev->peer, "%s", e->peer);
    if (drill && ev->passed)
        res->drills_passed++;
}

static int s_entry (const store_audit_t *e, void *arg)
{
    s_walk_t *w = arg;
    int node = strcmp (e->actor, "node") == 0;
    if (e->at > w->res->until) {        /* written after the period (entries are in seq order, clocks may step) */
        if (!w->past && node && strcmp (e->action, "start") == 0 && w->state == 1) {
            w->state = 3;               /* a start with no stop: the node was killed before the period ended */
            if (w->prev_at >= w->res->since)
                w->res->unclean_stops++;
        }
        w->past = 1;
        return 0;
    }
    if (node && strcmp (e->action, "start") == 0)
        s_start (w, e);
    else if (node && strcmp (e->action, "stop") == 0)
        s_stop (w, e);
    else if (strcmp (e->action, "failover") == 0 && s_in (w, e->at)) {
        if (node && strcmp (e->rule, "sibling.failover") == 0 && strcmp (e->decision, "allow") == 0)
            s_event (w, e, 0);
    } else if (strcmp (e->action, "drill") == 0 && s_in (w, e->at)) {
        if (strcmp (e->rule, "sibling.drill") == 0 &&
            (strcmp (e->decision, "allow") == 0 || strcmp (e->decision, "refuse") == 0))
            s_event (w, e, 1);
    } else if (strcmp (e->action, "backup") == 0 && strcmp (e->decision, "allow") == 0 && s_in (w, e->at)) {
        w->res->backups++;
        w->res->last_backup = e->at;
    } else if (strcmp (e->action, "restore") == 0 && strcmp (e->decision, "allow") == 0) {
        w->res->last_restore = e->at;
    } else {
        s_transfer (w, e);
    }
    /* Only what the running node writes shows it was up: a command run
       while it was down (a backup, a publish) must not shorten an
       unclean stop's outage. Counting from the node's own last entry
       may make an outage longer than it was, never shorter. */
    if (node || strncmp (e->actor, "peer:", 5) == 0)
        w->prev_at = e->at;
    return w->failed ? -1 : 0;
}

static int s_cmp64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least P percent at or below it. */
static int64_t s_rank (const int64_t *v, size_t n, int p)
{
    size_t k = (n * (size_t) p + 99) / 100;
    return v[k ? k - 1 : 0];
}

static void s_latencies (s_walk_t *w)
{
    node_resilience_t *res = w->res;
    for (size_t i = 0; i < res->npublishers; i++) {
        node_res_publisher_t *p = &res->publishers[i];
        if (p->timed == 0)
            continue;
        const s_lat_t *l = &w->lat[i];
        qsort (l->v, l->n, sizeof (int64_t), s_cmp64);
        p->median_s = s_rank (l->v, l->n, 50);
        p->p95_s = s_rank (l->v, l->n, 95);
        p->worst_s = l->v[l->n - 1];
    }
}

static int s_walk (node_t *n, node_resilience_t *res, int ends_now)
{
    s_walk_t w = {.n = n, .res = res};
    int rc = -1;
    if (!(w.ds = malloc (sizeof *w.ds))) {
        node_fail (n, "out of memory");
        goto out;
    }
    int each = store_audit_each (node_db (n), s_entry, &w);
    if (w.failed) {
        node_fail (n, "out of memory reading the audit log");
        goto out;
    }
    if (each != 0) {
        node_fail (n, "cannot read the audit log: %s", store_error (node_db (n)));
        goto out;
    }
    s_service_end (&w, ends_now);
    s_latencies (&w);
    if (w.failed) {
        node_fail (n, "out of memory");
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < res->npublishers && w.lat; i++)
        free (w.lat[i].v);
    free (w.lat);
    free (w.accepted);
    free (w.retried);
    free (w.ds);
    return rc;
}

int node_resilience (node_t *n, int64_t since, int64_t until, node_resilience_t *res)
{
    memset (res, 0, sizeof *res);
    if (!node_authorize (n, NODE_ROLE_ADMIN | NODE_ROLE_IG, "report-read", "resilience"))
        return -1;
    res->generated = (int64_t) time (NULL);
    int ends_now = until == 0 || until >= res->generated;
    res->until = ends_now ? res->generated : until;     /* never a period in the future */
    res->since = since;
    if (res->since > res->until)
        return node_fail_input (n, "the period starts after it ends: --since must come before --until");
    snprintf (res->org, sizeof res->org, "%s", node_self (n)->org);
    snprintf (res->name, sizeof res->name, "%s", node_self (n)->name);
    res->running = node_running (n) == 1;
    if (s_walk (n, res, ends_now) != 0 || res_store (n, res) != 0)
        return -1;
    return 0;
}

void node_resilience_free (node_resilience_t *res)
{
    free (res->outages);
    free (res->publishers);
    free (res->reasons);
    free (res->failovers);
    free (res->drills);
    free (res->ending);
    res->outages = NULL;
    res->publishers = NULL;
    res->reasons = NULL;
    res->failovers = res->drills = NULL;
    res->ending = NULL;
    res->noutages = res->npublishers = res->nreasons = res->nfailovers = res->ndrills = res->nending = 0;
}

static void s_say (node_res_attention_fn *fn, void *arg, const char *kind, const char *why)
{
    if (fn)
        fn (kind, why, arg);
}

int node_resilience_attention (const node_resilience_t *res, node_res_attention_fn *fn, void *arg)
{
    int count = 0;
    char why[512];
    if (res->audit.problem != NODE_AUDIT_OK) {
        snprintf (why, sizeof why, "the audit chain does not verify at seq %" PRId64 " (%s): %s (cdx audit verify)",
                  res->audit.seq, node_audit_problem_name (res->audit.problem), res->audit.reason);
        s_say (fn, arg, "audit", why), count++;
    }
    if (res->have_cert && res->cert_not_after <= res->generated) {
        snprintf (why, sizeof why, "this node's certificate has ended: ask the authority for a new one, then "
                  "cdx directory import");
        s_say (fn, arg, "certificate", why), count++;
    }
    if (res->have_cert && !res->dspt_met) {
        snprintf (why, sizeof why, "this node's DSPT status is %s (%s): it does not meet the standards",
                  res->dspt, res->dspt_year);
        s_say (fn, arg, "dspt", why), count++;
    }
    return count;
}
