/*  policy.c: the disclosure rules (see policy.h, docs/IG-RULES.md).

    Order of the checks: the other node (revoked, certificate expired),
    then the agreements between the two organisations, then the recipient's
    assurance (DSPT), then the dataset's own governance metadata (legal
    basis, opt-outs), then onward sharing. Among several agreements between
    the same parties, any one that passes every check allows; if none does,
    the refusal reported is the one from the agreement that got furthest
    (topic, signatures, revocation, dates, class, purpose, opt-outs, in that
    order), which is the most useful to a person fixing it. */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agreement.h"
#include "proto.h"

static int s_set (policy_decision_t *d, int allow, const char *rule, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static int s_set (policy_decision_t *d, int allow, const char *rule, const char *fmt, ...)
{
    d->allow = allow;
    snprintf (d->rule, sizeof d->rule, "%s", rule);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (d->reason, sizeof d->reason, fmt, ap);
    va_end (ap);
    return 0;
}

int policy_dspt_current (const char *year, int64_t now)
{
    int y = 0, yy = 0;
    char extra;
    if (!year || sscanf (year, "%4d/%2d%c", &y, &yy, &extra) != 2 || y < 2000 || (y + 1) % 100 != yy)
        return 0;
    /* stands until 30 June of the year after its end year, inclusive */
    struct tm tm = {0};
    tm.tm_year = y + 2 - 1900;
    tm.tm_mon = 6;                         /* 1 July */
    tm.tm_mday = 1;
    int64_t until = (int64_t) timegm (&tm);
    return now < until;
}

static const char *s_date (int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t) t;
    struct tm tm;
    gmtime_r (&tt, &tm);
    strftime (buf, cap, "%Y-%m-%d", &tm);
    return buf;
}

/* How far an agreement got, for choosing which refusal to report. */
enum { STEP_TOPIC = 1, STEP_SIGNED, STEP_REVOKED, STEP_STARTED, STEP_EXPIRED, STEP_CLASS,
       STEP_PURPOSE, STEP_OPTOUT, STEP_ALL };

typedef struct {
    const policy_request_t *q;
    policy_decision_t best;
    int best_step;
    int found;
    int allowed;
} scan_t;

/* 1 if either party's signature is missing (a proposal, not in force). */
static int s_unsigned (const store_agreement_t *a)
{
    static const uint8_t zero[64];
    return memcmp (a->sig_provider, zero, 64) == 0 || memcmp (a->sig_recipient, zero, 64) == 0;
}

/* Checks one agreement against the request; the step it failed at (or
   STEP_ALL) and the refusal in D. */
static int s_check (const store_agreement_t *a, const policy_request_t *q, policy_decision_t *d)
{
    proto_agreement_t *doc = malloc (sizeof *doc);
    int step = 0;
    char when[16];
    if (!doc) {
        s_set (d, 0, "policy.error", "out of memory");
        return 0;
    }
    snprintf (d->agreement, sizeof d->agreement, "%s", a->ref);
    if (proto_agreement_decode (a->doc, a->doc_len, doc) != PROTO_OK) {
        s_set (d, 0, "policy.no-agreement", "agreement %s as stored does not decode", a->ref);
        goto out;
    }
    step = STEP_TOPIC;
    if (!agreement_covers_topic (doc->topics, q->topic)) {
        s_set (d, 0, "policy.topic", "agreement %s does not cover topic %s (it covers %s)", a->ref,
               q->topic, doc->topics);
        goto out;
    }
    step = STEP_SIGNED;
    if (s_unsigned (a)) {
        s_set (d, 0, "policy.agreement-unsigned", "agreement %s is not signed by both %s and %s yet",
               a->ref, doc->provider, doc->recipient);
        goto out;
    }
    step = STEP_REVOKED;
    if (a->revoked) {
        s_set (d, 0, "policy.agreement-revoked", "agreement %s was revoked by %s on %s", a->ref,
               a->revoked_by, s_date (a->revoked, when, sizeof when));
        goto out;
    }
    step = STEP_STARTED;
    if (q->now < doc->start) {
        s_set (d, 0, "policy.agreement-not-started", "agreement %s is in force from %s", a->ref,
               s_date (doc->start, when, sizeof when));
        goto out;
    }
    step = STEP_EXPIRED;
    if (q->now >= doc->end) {
        s_set (d, 0, "policy.agreement-expired", "agreement %s expired on %s", a->ref,
               s_date (doc->end, when, sizeof when));
        goto out;
    }
    step = STEP_CLASS;
    if (q->class_ && (agreement_class_rank (q->class_) < 0 ||
                      agreement_class_rank (q->class_) > agreement_class_rank (doc->class_))) {
        s_set (d, 0, "policy.class", "agreement %s allows data up to %s, not %s", a->ref,
               doc->class_, q->class_);
        goto out;
    }
    step = STEP_PURPOSE;
    if (q->purpose && !agreement_lists_purpose (doc->purposes, q->purpose)) {
        s_set (d, 0, "policy.purpose", "agreement %s allows the purposes %s, not %s", a->ref,
               doc->purposes, q->purpose);
        goto out;
    }
    step = STEP_OPTOUT;
    if (doc->opt_out && proto_class_rank (q->class_) == PROTO_CLASS_IDENTIFIABLE &&
        proto_opt_out_id (q->opt_out) != PROTO_OPT_OUT_YES) {
        s_set (d, 0, "policy.opt-out",
               "agreement %s requires National Data Opt-outs to be applied; the dataset says %s",
               a->ref, q->opt_out && *q->opt_out ? q->opt_out : "nothing");
        goto out;
    }
    step = STEP_ALL;
    d->until = doc->end;
    s_set (d, 1, "policy.allow", "under agreement %s (until %s)", a->ref,
           s_date (doc->end, when, sizeof when));
out:
    free (doc);
    return step;
}

static int s_scan (const store_agreement_t *a, void *arg)
{
    scan_t *s = arg;
    if (strcmp (a->provider, s->q->provider) != 0 || strcmp (a->recipient, s->q->recipient) != 0)
        return 0;
    s->found = 1;
    policy_decision_t d;
    memset (&d, 0, sizeof d);
    int step = s_check (a, s->q, &d);
    if (step > s->best_step) {
        s->best = d;
        s->best_step = step;
    }
    return step == STEP_ALL ? 1 : 0;        /* stop at the first that allows */
}

/* The other organisation (the node standing for it, store_peer_of_org):
   not revoked, its certificate not expired. */
static int s_peer_ok (store_t *st, const char *org, const policy_request_t *q, store_peer_t *p,
                      policy_decision_t *d)
{
    char when[16];
    int r = store_peer_of_org (st, org, p);
    if (r < 0)
        return s_set (d, 0, "policy.error", "cannot read peer %s", org), -1;
    if (r == STORE_NOTFOUND) {
        s_set (d, 0, "policy.peer-unknown", "%s is not a peer of this node", org);
        return 1;
    }
    if (p->revoked && p->revoked <= q->now) {
        s_set (d, 0, "policy.peer-revoked", "%s was revoked on %s", org,
               s_date (p->revoked, when, sizeof when));
        return 1;
    }
    if (p->not_after && p->not_after <= q->now) {
        s_set (d, 0, "policy.peer-expired", "the certificate of %s expired on %s", org,
               s_date (p->not_after, when, sizeof when));
        return 1;
    }
    return 0;
}

int policy_decide (store_t *st, const policy_request_t *q, policy_decision_t *d)
{
    memset (d, 0, sizeof *d);
    /* A copy between nodes of one organisation (SPEC.md 11.5) discloses
       nothing to anyone: the data stays in the organisation, under the
       governance its publish was checked against. */
    if ((q->stage == POLICY_SEND || q->stage == POLICY_RECEIVE) && q->provider && q->recipient &&
        strcmp (q->provider, q->recipient) == 0) {
        s_set (d, 1, "sibling.copy", "a copy between nodes of %s: the data stays in the organisation", q->provider);
        return 0;
    }
    const char *other = q->stage == POLICY_RECEIVE ? q->provider : q->recipient;
    store_peer_t *peer = malloc (sizeof *peer);
    scan_t *s = calloc (1, sizeof *s);
    int rc = 0;
    if (!peer || !s) {
        s_set (d, 0, "policy.error", "out of memory");
        rc = -1;
        goto out;
    }
    int r = s_peer_ok (st, other, q, peer, d);
    if (r != 0) {
        rc = r < 0 ? -1 : 0;
        goto out;
    }

    /* The dataset's own metadata: identifiable data must say on what
       legal basis it flows and whether opt-outs were applied. */
    if (proto_class_rank (q->class_) == PROTO_CLASS_IDENTIFIABLE) {
        if (!q->legal_basis || !*q->legal_basis) {
            s_set (d, 0, "policy.legal-basis", "identifiable data without a legal basis");
            goto out;
        }
        if (!q->opt_out || !*q->opt_out || proto_opt_out_id (q->opt_out) == PROTO_OPT_OUT_NOT_IDENTIFIABLE) {
            s_set (d, 0, "policy.opt-out",
                   "identifiable data must say whether National Data Opt-outs were applied "
                   "(yes or statutory-exemption), not %s",
                   q->opt_out && *q->opt_out ? q->opt_out : "nothing");
            goto out;
        }
    }

    s->q = q;
    s->best_step = -1;                      /* a refusal at step 0 (undecodable) still names its rule */
    r = store_agreement_each (st, s_scan, s);
    if (r < 0) {
        s_set (d, 0, "policy.error", "cannot read agreements: %s", store_error (st));
        rc = -1;
        goto out;
    }
    if (!s->found) {
        s_set (d, 0, "policy.no-agreement", "no data sharing agreement between %s (provider) and %s (recipient)",
               q->provider, q->recipient);
        goto out;
    }
    if (s->best_step != STEP_ALL) {
        *d = s->best;
        goto out;
    }
    policy_decision_t allowed = s->best;

    /* The recipient's assurance: anything but aggregate needs a current
       DSPT that meets or exceeds the standards. The recipient's own node
       does not judge itself. */
    if (q->stage == POLICY_SEND && q->class_ && proto_class_rank (q->class_) != PROTO_CLASS_AGGREGATE) {
        int good = proto_dspt_meets (peer->dspt);
        if (!peer->dspt[0]) {
            s_set (d, 0, "policy.dspt",
                   "%s has no DSPT status on record (a peer pinned by hand): only aggregate data may be sent",
                   q->recipient);
            goto out;
        }
        if (!good || !policy_dspt_current (peer->dspt_year, q->now)) {
            s_set (d, 0, "policy.dspt", "the DSPT of %s is %s (%s): %s data needs standards met or exceeded, current",
                   q->recipient, peer->dspt, peer->dspt_year[0] ? peer->dspt_year : "no year", q->class_);
            goto out;
        }
    }

    /* Onward sharing: data this node received may go further only if the
       agreement it came under says so. */
    if (q->stage == POLICY_SEND && q->source && *q->source) {
        policy_onward (st, POLICY_SEND, q->provider, q->source, q->now, d);   /* an error refuses */
        if (!d->allow)
            goto out;
    }
    *d = allowed;
out:
    free (peer);
    free (s);
    return rc;
}

/* The refusal of the onward check for STAGE, at the first check failed in
   the order its words were always given in. */
static void s_onward_refuse (policy_decision_t *d, policy_stage_t stage, const char *holder, const char *source,
                             const proto_agreement_t *doc, int held, int recipient, int onward, int ended,
                             int unsigned_)
{
    if (stage == POLICY_PUBLISH) {
        const char *why = !held ? "this node holds no such agreement"
                          : !recipient ? "this node is not its recipient"
                          : !onward ? "it does not allow onward sharing" : "it is not in force";
        s_set (d, 0, "policy.onward", "--agreement %s: onward sharing refused: %s", source, why);
    } else if (!held)
        s_set (d, 0, "policy.onward", "the data came under agreement %s, which this node does not hold", source);
    else if (!onward)
        s_set (d, 0, "policy.onward", "the data came under agreement %s, which does not allow onward sharing",
               source);
    else if (!recipient)
        s_set (d, 0, "policy.onward", "the data cannot have come to %s under agreement %s, whose recipient is %s",
               holder, source, doc->recipient);
    else if (ended)
        s_set (d, 0, "policy.onward", "agreement %s, which the data came under, is no longer in force", source);
    else
        s_set (d, 0, "policy.onward", "agreement %s, which the data came under, is not in force (%s)", source,
               unsigned_ ? "not signed by both parties" : "not started");
}

int policy_onward (store_t *st, policy_stage_t stage, const char *holder, const char *source, int64_t now,
                   policy_decision_t *d)
{
    memset (d, 0, sizeof *d);
    store_agreement_t *src = malloc (sizeof *src);
    proto_agreement_t *doc = malloc (sizeof *doc);
    int r = src && doc ? store_agreement_get (st, source, src) : -1;
    int rc = r != 0 && r != STORE_NOTFOUND ? -1 : 0;
    int held = r == 0 && proto_agreement_decode (src->doc, src->doc_len, doc) == PROTO_OK;
    int recipient = held && strcmp (doc->recipient, holder) == 0;
    int onward = held && doc->onward;
    int ended = held && (src->revoked || now >= doc->end);
    int unsigned_ = held && s_unsigned (src);
    int pending = held && (now < doc->start || unsigned_);
    if (rc != 0 && stage == POLICY_PUBLISH)
        s_set (d, 0, "policy.error", "%s", src && doc ? store_error (st) : "out of memory");
    else if (held && recipient && onward && !ended && !pending)
        s_set (d, 1, "policy.onward", "agreement %s allows onward sharing", source);
    else
        s_onward_refuse (d, stage, holder, source, doc, held, recipient, onward, ended, unsigned_);
    free (src);
    free (doc);
    return rc;
}
