/*  resilience_store.c: the figures of resilience.h that come from the
    store and the directory held, not from the walk of the audit log:
    deliveries that failed or expired and why, this node's certificate
    and DSPT status, the agreements in force and ending, and the audit
    chain's check (node_audit_verify, as cdx audit verify runs it).

    Not for: the audit walk (resilience.c), printing.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "proto.h"
#include "resilience_int.h"
#include "trust.h"

int res_reason (node_resilience_t *res, const char *kind, const char *reason)
{
    char why[sizeof res->reasons[0].reason];      /* as it is kept: a long one merges too */
    snprintf (why, sizeof why, "%s", reason && *reason ? reason : "no reason recorded");
    if (strcmp (kind, "received") == 0)
        res->datasets_failed++;
    for (size_t i = 0; i < res->nreasons; i++)
        if (strcmp (res->reasons[i].kind, kind) == 0 && strcmp (res->reasons[i].reason, why) == 0) {
            res->reasons[i].count++;
            return 0;
        }
    node_res_reason_t *grown = realloc (res->reasons, (res->nreasons + 1) * sizeof *grown);
    if (!grown)
        return -1;
    res->reasons = grown;
    node_res_reason_t *r = &res->reasons[res->nreasons++];
    memset (r, 0, sizeof *r);
    snprintf (r->kind, sizeof r->kind, "%s", kind);
    snprintf (r->reason, sizeof r->reason, "%s", why);
    r->count = 1;
    return 0;
}

static int s_delivery (const store_delivery_t *d, void *arg)
{
    node_resilience_t *res = arg;
    int failed = d->state == STORE_DL_FAILED, expired = d->state == STORE_DL_EXPIRED;
    if ((!failed && !expired) || d->updated < res->since || d->updated > res->until)
        return 0;
    if (failed)
        res->deliveries_failed++;
    else
        res->deliveries_expired++;
    return res_reason (res, failed ? "failed" : "expired", d->error) != 0 ? -1 : 0;
}

/* Most frequent first; ties by kind, then reason (a stable order). */
static int s_by_count (const void *a, const void *b)
{
    const node_res_reason_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    int k = strcmp (x->kind, y->kind);
    return k ? k : strcmp (x->reason, y->reason);
}

/* This node's certificate in the directory held (none held: no figures). */
static int s_certificate (node_t *n, node_resilience_t *res)
{
    cert_dir_t d;
    int r = node_directory_load (n, &d);
    if (r != 0)
        return r == STORE_NOTFOUND ? 0 : -1;
    const uint8_t *mine = cx_keypair_public (node_sign_key (n));
    for (size_t i = 0; i < d.ncerts; i++)
        if (strcmp (d.certs[i].org, res->org) == 0 && memcmp (d.certs[i].sign_pk, mine, 32) == 0) {
            res->have_cert = 1;
            res->cert_not_before = d.certs[i].not_before;
            res->cert_not_after = d.certs[i].not_after;
            snprintf (res->dspt, sizeof res->dspt, "%s", d.certs[i].dspt);
            snprintf (res->dspt_year, sizeof res->dspt_year, "%s", d.certs[i].dspt_year);
            res->dspt_met = proto_dspt_meets (d.certs[i].dspt) == 1;
        }
    cert_dir_free (&d);
    return 0;
}

typedef struct {
    node_t *n;
    node_resilience_t *res;
    size_t cap;
    int failed;
} s_agree_t;

static int s_agreement (const store_agreement_t *a, void *arg)
{
    s_agree_t *c = arg;
    node_resilience_t *res = c->res;
    if (strcmp (node_agreement_state (a, res->generated), "in-force") != 0)
        return 0;
    res->agreements_in_force++;
    if (a->end <= 0 || a->end - res->generated > (int64_t) NODE_RES_AGREEMENT_DAYS * 86400)
        return 0;
    node_res_agreement_t *e = res_push ((void **) &res->ending, &res->nending, &c->cap, sizeof *e);
    if (!e)
        return c->failed = -1;
    snprintf (e->ref, sizeof e->ref, "%s", a->ref);
    snprintf (e->peer, sizeof e->peer, "%s", strcmp (a->provider, res->org) == 0 ? a->recipient : a->provider);
    e->end = a->end;
    return 0;
}

static int s_by_end (const void *a, const void *b)
{
    const node_res_agreement_t *x = a, *y = b;
    return x->end != y->end ? (x->end > y->end) - (x->end < y->end) : strcmp (x->ref, y->ref);
}

int res_store (node_t *n, node_resilience_t *res)
{
    store_t *db = node_db (n);
    if (store_delivery_each (db, s_delivery, res) != 0)
        return node_fail (n, "cannot read the deliveries: %s", store_error (db));
    if (res->nreasons > 1)
        qsort (res->reasons, res->nreasons, sizeof *res->reasons, s_by_count);
    if (s_certificate (n, res) != 0)
        return -1;
    s_agree_t c = {n, res, 0, 0};
    if (store_agreement_each (db, s_agreement, &c) != 0 || c.failed)
        return node_fail (n, "cannot read the agreements: %s", c.failed ? "out of memory" : store_error (db));
    if (res->nending > 1)
        qsort (res->ending, res->nending, sizeof *res->ending, s_by_end);
    if (node_audit_verify (n, 0, &res->audit) != 0)
        return -1;
    return 0;
}
