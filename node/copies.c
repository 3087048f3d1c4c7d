/*  copies.c: the copies of what this organisation holds, at each of its
    nodes (SPEC.md 11.5): which nodes are its siblings now, a copy queued
    for each when a dataset is published or becomes held here, the
    deliveries a held copy of its own data queues (whichever node owns
    them sends them), and how many siblings have receipted a copy.

    A copy is a delivery whose subscriber is a sibling's address
    (card_address_of_org): no organisation delivers to itself, so an
    address of this node's own organisation in deliveries.subscriber is
    always a copy, an unlabelled sibling's (its org code) included.

    Not for: sending or receiving a copy (node/run/), the wait of cdx
    publish on the command line (tools/).
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

typedef struct {
    node_t *n;
    int64_t now;
    node_siblings_t *out;
} s_sib_ctx_t;

static int s_sibling (const store_peer_t *p, void *arg)
{
    s_sib_ctx_t *c = arg;
    if (!node_peer_sibling (c->n, p) || strcmp (p->trust, "certified") != 0 || node_peer_barred (p, c->now, NULL) ||
        strcmp (p->address, node_address (c->n)) == 0)
        return 0;
    if (c->out->count < NODE_SIBLINGS_MAX)
        snprintf (c->out->address[c->out->count++], sizeof c->out->address[0], "%s", p->address);
    return 0;
}

int node_siblings (node_t *n, node_siblings_t *out)
{
    memset (out, 0, sizeof *out);
    s_sib_ctx_t c = {n, (int64_t) time (NULL), out};
    if (store_peer_each (node_db (n), s_sibling, &c) < 0)
        return node_fail (n, "cannot read the peers: %s", store_error (node_db (n)));
    return 0;
}

int node_copies_queue (node_t *n, const char *id, const char *except, int *queued)
{
    node_siblings_t *s = malloc (sizeof *s);
    *queued = 0;
    if (!s)
        return node_fail (n, "out of memory");
    int rc = node_siblings (n, s);
    for (int i = 0; rc == 0 && i < s->count; i++) {
        if (except && strcmp (s->address[i], except) == 0)
            continue;                           /* it came from there */
        if (store_delivery_add (node_db (n), id, s->address[i]) != 0)
            rc = node_fail (n, "cannot queue a copy for %s: %s", s->address[i], store_error (node_db (n)));
        else
            (*queued)++;
    }
    free (s);
    return rc;
}

typedef struct {
    node_t *n;
    const char *topic;
    const char *id;
    int count;
    int rc;
} s_queue_ctx_t;

static int s_queue_sub (const store_sub_t *sub, void *arg)
{
    s_queue_ctx_t *q = arg;
    if (strcmp (sub->publisher, node_self (q->n)->org) != 0 || strcmp (sub->topic, q->topic) != 0 ||
        sub->state != STORE_SUB_ACTIVE)
        return 0;
    if (store_delivery_add (node_db (q->n), q->id, sub->subscriber) != 0) {
        q->rc = -1;
        return 1;
    }
    q->count++;
    return 0;
}

int node_subscribers_queue (node_t *n, const char *id, const char *topic, int *queued)
{
    s_queue_ctx_t q = {n, topic, id, 0, 0};
    *queued = 0;
    if (store_sub_each (node_db (n), s_queue_sub, &q) != 0 || q.rc != 0)
        return node_fail (n, "cannot queue the deliveries of %s: %s", id, store_error (node_db (n)));
    *queued = q.count;
    return 0;
}

int node_copies_hold (node_t *n, const store_dataset_t *d, const char *from, int *copies, int *deliveries)
{
    *deliveries = 0;
    if (node_copies_queue (n, d->id, from, copies) != 0)
        return -1;
    if (strcmp (d->publisher, node_self (n)->org) != 0)
        return 0;                               /* received: delivered to no one */
    return node_subscribers_queue (n, d->id, d->topic, deliveries);
}

typedef struct {
    node_t *n;
    node_copies_t *out;
} s_held_ctx_t;

static int s_held (const store_delivery_t *d, void *arg)
{
    s_held_ctx_t *c = arg;
    if (!card_address_of_org (d->subscriber, node_self (c->n)->org))
        return 0;                               /* a delivery to another organisation */
    node_copies_t *o = c->out;
    if (d->state == STORE_DL_DELIVERED) {
        o->held++;
        return 0;
    }
    if (o->missing_count < NODE_SIBLINGS_MAX)
        snprintf (o->missing[o->missing_count++], sizeof o->missing[0], "%s", d->subscriber);
    return 0;
}

int node_copies_held (node_t *n, const char *id, node_copies_t *out)
{
    memset (out, 0, sizeof *out);
    s_held_ctx_t c = {n, out};
    if (store_delivery_each_dataset (node_db (n), id, s_held, &c) < 0)
        return node_fail (n, "cannot read the copies of %s: %s", id, store_error (node_db (n)));
    return 0;
}

void node_copies_missing (const node_copies_t *c, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < c->missing_count && used < cap; i++) {
        int w = snprintf (buf + used, cap - used, "%s%s", i ? ", " : "", c->missing[i]);
        if (w < 0)
            break;
        used += (size_t) w;
    }
}
