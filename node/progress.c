/*  progress.c: what the running node says of its work, read back for
    people: a delivery's progress and why it waits, whether a peer is
    connected, the next version of a topic.

    The running node (node/run/) records these in the store as it goes, at a
    bounded rate; this file reads them and puts them in words the same
    way for every listing (cdx deliveries, cdx wait, cdx peers), taking
    into account that a node not running says nothing current.

    Not for: recording them (node/run/), printing (tools/).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

static int64_t s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The rule of a policy refusal in ERROR ("policy.x: why", or "ORG refused
   with DENIED: policy.x: why") into RULE; 0 if ERROR is not one. */
static int s_refusal_rule (const char *error, char *rule, size_t cap)
{
    const char *denied = strstr (error, "refused with DENIED: ");
    const char *p = denied ? denied + strlen ("refused with DENIED: ") : error;
    size_t len = strspn (p, "abcdefghijklmnopqrstuvwxyz0123456789.-");
    if (len == 0 || len >= cap || p[len] != ':' || !memchr (p, '.', len))
        return 0;
    memcpy (rule, p, len);
    rule[len] = 0;
    return 1;
}

static void s_queued_status (node_t *n, const store_delivery_t *d, int running, node_delivery_view_t *v)
{
    store_peer_t *peer = malloc (sizeof *peer);
    int copy = card_address_of_org (d->subscriber, node_self (n)->org);
    int connected = peer &&
                    (copy ? store_peer_get (node_db (n), d->subscriber, peer)
                          : store_peer_of_org (node_db (n), d->subscriber, peer)) == 0 &&
                    peer->connected;
    free (peer);
    if (!running)
        snprintf (v->status, sizeof v->status, "node not running (cdx run)");
    else if (!connected)
        snprintf (v->status, sizeof v->status, "offline");
    else if (d->status[0])
        snprintf (v->status, sizeof v->status, "%s", d->status);
    else
        snprintf (v->status, sizeof v->status, "%s", d->attempts ? "retrying" : "queued");
}

int node_delivery_view (node_t *n, const store_delivery_t *d, int running, node_delivery_view_t *v)
{
    memset (v, 0, sizeof *v);
    v->eta = -1;
    v->stalled = -1;
    snprintf (v->topic, sizeof v->topic, "?");
    v->copy = card_address_of_org (d->subscriber, node_self (n)->org);
    store_dataset_t *ds = malloc (sizeof *ds);
    if (!ds)
        return node_fail (n, "out of memory");
    if (store_dataset_get (node_db (n), d->dataset, ds) == 0) {
        snprintf (v->topic, sizeof v->topic, "%s", ds->topic);
        v->version = ds->version;
        v->bytes = ds->bytes;
        v->done = d->state == STORE_DL_DELIVERED ? ds->bytes : d->next_chunk * ds->chunk_size;
        if (v->done > v->bytes)
            v->done = v->bytes;
    }
    free (ds);
    char rule[64];
    if (d->state == STORE_DL_SENDING) {
        v->session_bytes = d->session_bytes;
        if (d->session_ms > 0)
            v->rate = (double) d->session_bytes * 1000.0 / (double) d->session_ms;
        if (v->rate > 0)
            v->eta = (int64_t) ((double) (v->bytes - v->done) / v->rate + 0.5);
        if (d->progress_at > 0)
            v->stalled = (s_wall_ms () - d->progress_at) / 1000;
        if (!running)
            snprintf (v->status, sizeof v->status, "node not running (cdx run)");
        else if (d->progress_at == 0)
            snprintf (v->status, sizeof v->status, "starting");
        else if (v->stalled * 1000 >= NODE_STALL_MS)
            snprintf (v->status, sizeof v->status, "stalled: no progress for %lld s", (long long) v->stalled);
        else
            snprintf (v->status, sizeof v->status, "sending");
    } else if (d->state == STORE_DL_QUEUED) {
        s_queued_status (n, d, running, v);
    } else if (d->state == STORE_DL_FAILED && s_refusal_rule (d->error, rule, sizeof rule)) {
        snprintf (v->status, sizeof v->status, "refused: %s", rule);
    } else {
        snprintf (v->status, sizeof v->status, "%s", store_delivery_state_name (d->state));
    }
    return 0;
}

typedef struct {
    int (*fn) (const store_delivery_t *, void *);
    void *arg;
} s_each_t;

int node_deliveries_of (node_t *n, const char *dataset, int (*fn) (const store_delivery_t *, void *), void *arg)
{
    int rc = dataset ? store_delivery_each_dataset (node_db (n), dataset, fn, arg)
                     : store_delivery_each (node_db (n), fn, arg);
    if (rc < 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    return rc;
}

int node_peer_presence (node_t *n, const store_peer_t *p, int running, int64_t *last_seen)
{
    (void) n;
    *last_seen = p->last_seen;
    if (!running)
        return -1;
    return p->connected ? 1 : 0;
}

typedef struct {
    const char *publisher, *topic;
    int64_t after;            /* versions above this one */
    store_dataset_t best;     /* the lowest version above it that is held */
    int found;
    int usable;               /* ... and is available (or published here) */
} s_next_t;

static int s_usable (const store_dataset_t *d)
{
    return d->state == STORE_DS_AVAILABLE || d->state == STORE_DS_PUBLISHED;
}

static int s_next_one (const store_dataset_t *d, void *arg)
{
    s_next_t *x = arg;
    if (strcmp (d->topic, x->topic) != 0 || (x->publisher && strcmp (d->publisher, x->publisher) != 0))
        return 0;
    if (x->after < 0) {       /* the baseline: the newest held whole */
        if ((s_usable (d) || d->state == STORE_DS_ERASED) && d->version > x->best.version) {
            x->best = *d;
            x->found = 1;
        }
        return 0;
    }
    if (d->version <= x->after || d->state == STORE_DS_FAILED)
        return 0;
    /* The one that became available first wins; else the one arriving. */
    if (!x->found || (s_usable (d) && !x->usable) || (s_usable (d) == x->usable && d->version < x->best.version)) {
        x->best = *d;
        x->found = 1;
        x->usable = s_usable (d);
    }
    return 0;
}

int node_topic_newest (node_t *n, const char *publisher, const char *topic, int64_t *version)
{
    if ((publisher && node_check_org (n, "--from", publisher) != 0) || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    s_next_t *x = calloc (1, sizeof *x);
    if (!x)
        return node_fail (n, "out of memory");
    x->publisher = publisher;
    x->topic = topic;
    x->after = -1;
    int rc = store_dataset_each (node_db (n), s_next_one, x) < 0 ? node_fail (n, "%s", store_error (node_db (n))) : 0;
    *version = x->found ? x->best.version : 0;
    free (x);
    return rc;
}

int node_topic_next (node_t *n, const char *publisher, const char *topic, int64_t after, store_dataset_t *out)
{
    s_next_t *x = calloc (1, sizeof *x);
    if (!x)
        return node_fail (n, "out of memory");
    x->publisher = publisher;
    x->topic = topic;
    x->after = after;
    int rc = store_dataset_each (node_db (n), s_next_one, x) < 0 ? node_fail (n, "%s", store_error (node_db (n)))
             : !x->found                                      ? 0
             : x->usable                                      ? 2
                                                              : 1;
    if (x->found)
        *out = x->best;
    free (x);
    return rc;
}
