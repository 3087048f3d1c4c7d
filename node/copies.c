/*  copies.c: the copies of what this node publishes held by its siblings
    (SPEC.md 11.5): which nodes are its siblings now, a copy queued for
    each in the publish's transaction, and how many have receipted one.

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

int node_published_here (node_t *n, const store_dataset_t *d)
{
    return d->state == STORE_DS_PUBLISHED && (!d->origin[0] || strcmp (d->origin, node_address (n)) == 0);
}

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

int node_copies_queue (node_t *n, const char *id, int *queued)
{
    node_siblings_t *s = malloc (sizeof *s);
    *queued = 0;
    if (!s)
        return node_fail (n, "out of memory");
    int rc = node_siblings (n, s);
    for (int i = 0; rc == 0 && i < s->count; i++) {
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
