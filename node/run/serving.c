/*  serving.c: pending work, and subscriptions at both ends: the scan that
    starts queued deliveries, expires them and asks for subscriptions;
    SUBSCRIBE and UNSUBSCRIBE on the publisher side, their answers on the
    subscriber side.

    Not for: the transfer once started (outgoing.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cert.h"
#include "home.h"
#include "run_internal.h"

/* Why queued delivery D waits, as the scheduler knows it, recorded when
   it changes ("" once it starts). */
static void s_note_wait (run_t *r, const store_delivery_t *d, const char *status)
{
    if (strcmp (d->status, status) != 0 &&
        store_delivery_status (node_db (r->n), d->dataset, d->subscriber, status) != 0)
        node_log (r->n, "error", "cannot record why a delivery waits: %s", store_error (node_db (r->n)));
}

/* A delivery that could not complete before its dataset's expiry is
   reported as expired; nothing is dropped silently. 1 if it expired. */
static int s_expire (run_t *r, const store_delivery_t *d, int64_t *expires)
{
    store_dataset_t *ds = malloc (sizeof *ds);
    if (!ds)
        return 0;
    int expired = 0;
    *expires = 0;
    if (store_dataset_get (node_db (r->n), d->dataset, ds) == 0 && ds->expires > 0) {
        *expires = ds->expires;
        if (ds->expires <= (int64_t) time (NULL)) {
            out_expire (r, peer_for_delivery (r, d->subscriber), d, ds);
            expired = 1;
        }
    }
    free (ds);
    return expired;
}

static int s_scan_delivery (const store_delivery_t *d, void *arg)
{
    scan_t *s = arg;
    int64_t expires;
    if (s_expire (s->r, d, &expires))
        return 0;
    if (expires > 0) {                           /* look again when it would expire */
        int64_t left_ms = (expires - (int64_t) time (NULL)) * 1000;
        run_schedule (s->r, s->now + (left_ms < 3600000 ? left_ms : 3600000));
    }
    char owner[96];
    if (!sibling_sends (s->r, d, s->now, owner, sizeof owner)) {
        s_note_wait (s->r, d, owner);           /* a sibling sends it (SPEC.md 11.5) */
        return 0;
    }
    peer_t *p = peer_for_delivery (s->r, d->subscriber);
    if (p && p->barred) {                        /* held, not lost: it resumes if the peer is certified again */
        if (!p->held_noted) {
            p->held_noted = 1;
            store_delivery_t h = *d;
            snprintf (h.error, sizeof h.error, "held: %s is barred (%s)", p->info.org, p->barred);
            store_delivery_update (node_db (s->r->n), &h);
            node_audit (s->r->n, "node", "hold", d->dataset, p->info.org, "refuse", p->barred,
                        "deliveries to %s are held while it is barred (%s)", p->info.org, p->barred);
        }
        s_note_wait (s->r, d, "held");
        return 0;
    }
    if (!p || p->out.dataset[0]) {               /* unknown peer, or busy */
        if (p && strcmp (p->out.dataset, d->dataset) != 0)
            s_note_wait (s->r, d, "waiting for earlier versions");
        return 0;
    }
    if (!p->connected) {
        s_note_wait (s->r, d, "offline");
        return 0;                                /* the connect event reschedules */
    }
    if (p->retry_at > s->now) {
        s_note_wait (s->r, d, "retrying");
        run_schedule (s->r, p->retry_at);
        return 0;
    }
    s_note_wait (s->r, d, "");
    snprintf (p->out.dataset, sizeof p->out.dataset, "%s", d->dataset);
    p->out.state = OUT_QUEUED;
    p->out.fd = -1;
    out_event (s->r, p, OUT_EV_START, NULL);
    return 0;
}

static int s_scan_sub (const store_sub_t *sub, void *arg)
{
    scan_t *s = arg;
    int refused = sub->state == STORE_SUB_REFUSED;
    int resend = sub->resend && sub->state == STORE_SUB_ACTIVE;   /* versions lost: a restore */
    if (strcmp (sub->subscriber, node_self (s->r->n)->org) != 0 ||
        (sub->state != STORE_SUB_REQUESTED && sub->state != STORE_SUB_ENDING && !refused && !resend))
        return 0;
    peer_t *p = peer_for_org (s->r, sub->publisher);
    if (!p || !p->connected || p->barred)
        return 0;                                /* the connect event rescans */
    int64_t due = sub->updated + NODE_SUB_RETRY_REFUSED - (int64_t) time (NULL);
    if (refused && !p->sub_again && due > 0) {
        run_schedule (s->r, s->now + due * 1000);
        return 0;
    }
    if (p->sub_retry_at > s->now && p->sub_scan != s->id) {
        run_schedule (s->r, p->sub_retry_at);
        return 0;
    }
    if (p->sub_scan != s->id && p->sub_retry_at && p->sub_retry_at <= s->now)
        p->sub_waiting = 0;                      /* 15 s on: those answers are not coming */
    int ending = sub->state == STORE_SUB_ENDING;
    if (!ending && p->sub_waiting == RUN_SUB_WAIT) {
        /* Sent when answers make room, or when those awaited are given up
           (a kick may have cleared the retry time: set it again). */
        if (!p->sub_retry_at)
            p->sub_retry_at = s->now + RUN_TIMEOUT_MS;
        run_schedule (s->r, p->sub_retry_at);
        return 0;
    }
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = ending ? PROTO_UNSUBSCRIBE : resend ? PROTO_RESEND : PROTO_SUBSCRIBE;
    snprintf (m.topic, sizeof m.topic, "%s", sub->topic);
    m.number = ending ? 0 : (uint64_t) sub->from_version;
    int64_t held = 0;
    if (resend && node_topic_newest (s->r->n, sub->publisher, sub->topic, &held) != 0)
        return 0;                                /* asked again at the next scan */
    if (resend)
        m.number = (uint64_t) held;              /* "I hold up to this version" */
    if (wire_send (s->r, p->dealer, NULL, 0, &m, NULL) == 0) {
        if (resend)
            node_log (s->r->n, "info", "asked %s for the versions of %s after %" PRId64 " it lost (restored "
                      "from a backup)", p->info.org, sub->topic, held);
        else
            node_log (s->r->n, "info", "%s %s for topic %s", ending ? "told" : "asked", p->info.org, sub->topic);
        if (!ending) {
            p->sub_wait_resend[p->sub_waiting] = (char) resend;
            snprintf (p->sub_wait[p->sub_waiting++], sizeof p->sub_wait[0], "%s", sub->topic);
        }
    }
    p->sub_retry_at = s->now + RUN_TIMEOUT_MS;
    p->sub_scan = s->id;
    run_schedule (s->r, p->sub_retry_at);
    return 0;
}

void serve_scan (run_t *r)
{
    static uint64_t s_scan_id;
    scan_t s = {r, run_now_ms (), ++s_scan_id};
    r->scan_at = 0;
    const char *rule;
    for (size_t i = 0; i < r->npeers; i++)      /* a certificate that ended while we ran */
        if (!r->peers[i]->barred && node_peer_barred (&r->peers[i]->info, (int64_t) time (NULL), &rule))
            zap_bar (r, r->peers[i], rule);
        else if (!r->peers[i]->barred && r->peers[i]->info.not_after > 0) {
            int64_t left_ms = (r->peers[i]->info.not_after - (int64_t) time (NULL)) * 1000;
            run_schedule (r, s.now + (left_ms < 3600000 ? left_ms : 3600000));
        }
    /* Settings first: a sibling holds the subscription before the copy
       that needs it arrives (one connection keeps the order). */
    settings_scan (r);
    sibling_scan_begin (r);
    if (store_agreement_each (node_db (r->n), gossip_push_agreement, &s) < 0 ||
        store_delivery_each_pending (node_db (r->n), s_scan_delivery, &s) < 0 ||
        store_sub_each (node_db (r->n), s_scan_sub, &s) < 0)
        node_log (r->n, "error", "cannot read pending work: %s", store_error (node_db (r->n)));
    sibling_scan_end (r);
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected)
            r->peers[i]->sub_again = 0;          /* refused ones were asked for again */
    int64_t next = 0;
    if (node_retention_sweep (r->n, &next) < 0)
        node_log (r->n, "error", "retention: %s", node_error (r->n));
    if (next > 0) {                              /* look again when the next one ends */
        int64_t left_ms = (next - (int64_t) time (NULL)) * 1000;
        run_schedule (r, s.now + (left_ms < 0 ? 0 : left_ms < 3600000 ? left_ms : 3600000));
    }
}

/* SUBSCRIBED(TOPIC, STATUS) to subscriber O: "active" or "ended" (SPEC 6). */
static void s_subscribed (run_t *r, const origin_t *o, const char *topic, const char *status)
{
    proto_msg_t reply;
    memset (&reply, 0, sizeof reply);
    reply.id = PROTO_SUBSCRIBED;
    snprintf (reply.topic, sizeof reply.topic, "%s", topic);
    snprintf (reply.reason, sizeof reply.reason, "%s", status);
    wire_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
}

typedef struct {
    run_t *r;
    const char *subscriber;
    const char *topic;
    int64_t from_version;
    int64_t latest;
    char latest_id[33];
    int queued;
} sub_queue_t;

static int s_queue_versions (const store_dataset_t *d, void *arg)
{
    sub_queue_t *q = arg;
    /* A sibling's copy is queued too: whichever node owns the delivery
       sends it (SPEC.md 11.5, "Who delivers"). */
    if (strcmp (d->publisher, node_self (q->r->n)->org) != 0 || strcmp (d->topic, q->topic) != 0 ||
        d->state != STORE_DS_PUBLISHED)
        return 0;
    if (q->from_version > 0) {
        if (d->version >= q->from_version && store_delivery_add (node_db (q->r->n), d->id, q->subscriber) == 0)
            q->queued++;
    } else if (d->version > q->latest) {
        q->latest = d->version;
        memcpy (q->latest_id, d->id, sizeof q->latest_id);
    }
    return 0;
}

int serve_queue_versions (run_t *r, const char *subscriber, const char *topic, int64_t from_version)
{
    sub_queue_t q = {r, subscriber, topic, from_version, 0, "", 0};
    if (store_dataset_each (node_db (r->n), s_queue_versions, &q) < 0)
        node_log (r->n, "error", "cannot queue the versions of %s for %s: %s", topic, subscriber,
                  store_error (node_db (r->n)));
    if (q.latest > 0 && store_delivery_add (node_db (r->n), q.latest_id, subscriber) == 0)
        q.queued++;
    return q.queued;
}

/* A sibling is of this node's own organisation: it holds the same data
   (SPEC.md 11.5) and is never a subscriber. 1 if refused. */
static int s_sibling_refused (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    if (strcmp (o->org, node_self (r->n)->org) != 0)
        return 0;
    wire_error (r, o, PROTO_E_DENIED, NULL, "sibling.subscribe: %s is a node of this organisation: siblings do "
                "not subscribe to each other", o->peer->info.address);
    if (run_limit_pass (r, &o->peer->refusals, o->peer->info.address)) {
        char actor[80];
        peer_actor (o->peer, actor, sizeof actor);
        node_audit (r->n, actor, proto_name (m->id), m->topic, o->peer->info.address, "refuse", "sibling.subscribe",
                    "%s from sibling %s refused: an organisation does not subscribe to itself", proto_name (m->id),
                    o->peer->info.address);
    }
    return 1;
}

void serve_on_subscribe (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    if (s_sibling_refused (r, o, m))
        return;
    policy_request_t pq = {POLICY_SUBSCRIBE, node_self (r->n)->org, o->org, m->topic, NULL, NULL, NULL, NULL, NULL,
                           (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (node_db (r->n), &pq, &dec);
    if (!dec.allow) {
        wire_error (r, o, PROTO_E_DENIED, NULL, "%s: %s", dec.rule, dec.reason);
        if (run_limit_pass (r, &o->peer->refusals, o->org)) {
            char pactor[80];
            peer_actor (o->peer, pactor, sizeof pactor);
            node_log (r->n, "warn", "refused subscription of %s to %s: %s: %s", o->org, m->topic, dec.rule,
                      dec.reason);
            node_audit (r->n, pactor, "subscribe", m->topic, o->org, "refuse", dec.rule, "%s", dec.reason);
        }
        return;
    }
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "%s", node_self (r->n)->org);
    snprintf (sub.subscriber, sizeof sub.subscriber, "%s", o->org);
    snprintf (sub.topic, sizeof sub.topic, "%s", m->topic);
    sub.state = STORE_SUB_ACTIVE;
    sub.from_version = (int64_t) m->number;
    store_sub_t old;
    int existed = store_sub_get (node_db (r->n), sub.publisher, sub.subscriber, sub.topic, &old) == 0 &&
                  old.state == STORE_SUB_ACTIVE;
    char actor[80];
    peer_actor (o->peer, actor, sizeof actor);
    /* A repeated SUBSCRIBE (each node of a subscriber asks) changes
       nothing: its time stays, so it never wins over a newer setting. */
    int same = existed && old.from_version == sub.from_version;
    if (!same && store_sub_put (node_db (r->n), &sub) != 0) {
        wire_error (r, o, PROTO_E_INTERNAL, NULL, "cannot record the subscription now");
        return;
    }
    s_subscribed (r, o, m->topic, "active");
    if (existed)
        return;
    int queued = serve_queue_versions (r, o->org, m->topic, (int64_t) m->number);
    if (run_limit_take (r, &o->peer->allowed, o->org, "allow", "subscription(s)"))
        node_audit (r->n, actor, "subscribe", m->topic, o->org, "allow", dec.rule,
                    "%s subscribed to %s (%s); %d existing version(s) queued; %s", o->org, m->topic,
                    m->number ? "history" : "latest only", queued, dec.reason);
    node_log (r->n, "info", "%s subscribed to %s", o->org, m->topic);
    run_schedule (r, run_now_ms ());
}

int serve_end_subscriber (run_t *r, store_sub_t *sub, int setting)
{
    int cancelled = 0;
    sub->state = STORE_SUB_ENDED;
    if (!setting)
        sub->origin[0] = '\0';                 /* ended here (SPEC.md 11.5) */
    if (store_begin (node_db (r->n)) != 0 ||
        (setting ? store_sub_put_setting (node_db (r->n), sub) : store_sub_put (node_db (r->n), sub)) != 0 ||
        (cancelled = store_delivery_cancel (node_db (r->n), node_self (r->n)->org, sub->topic, sub->subscriber,
                                            "unsubscribed by the subscriber")) < 0 ||
        store_commit (node_db (r->n)) != 0) {
        store_rollback (node_db (r->n));
        return -1;
    }
    for (size_t i = 0; i < r->npeers; i++) {   /* the one under way, at whichever of its nodes */
        peer_t *p = r->peers[i];
        if (strcmp (p->info.org, sub->subscriber) == 0 && p->out.dataset[0] && strcmp (p->out.topic, sub->topic) == 0)
            out_event (r, p, OUT_EV_CANCELLED, NULL);  /* cancelled with the others */
    }
    run_schedule (r, run_now_ms ());            /* the siblings are told (settings.c) */
    return cancelled;
}

void serve_on_unsubscribe (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    store_sub_t sub;
    int found = store_sub_get (node_db (r->n), node_self (r->n)->org, o->org, m->topic, &sub) == 0;
    int cancelled = 0;
    if (found && sub.state != STORE_SUB_ENDED) {
        if ((cancelled = serve_end_subscriber (r, &sub, 0)) < 0) {
            wire_error (r, o, PROTO_E_INTERNAL, NULL, "cannot record the end of the subscription now");
            return;
        }
        char actor[80];
        peer_actor (o->peer, actor, sizeof actor);
        if (run_limit_take (r, &o->peer->allowed, o->org, "allow", "end(s) of subscription"))
            node_audit (r->n, actor, "unsubscribe", m->topic, o->org, "allow", "subscription.ended",
                        "%s ended its subscription to %s; %d pending deliveries cancelled", o->org, m->topic,
                        cancelled);
        node_log (r->n, "info", "%s unsubscribed from %s", o->org, m->topic);
    }
    s_subscribed (r, o, m->topic, "ended");
}

/* SUBSCRIBED(TOPIC) answers the oldest SUBSCRIBE of TOPIC awaiting one:
   it and any older (answered by what was not taken for theirs) are done. */
/* RESEND_ONLY: only a RESEND of TOPIC is looked for. */
static int s_take_wait (peer_t *p, const char *topic, int resend_only)
{
    for (int i = 0; i < p->sub_waiting; i++)
        if (strcmp (p->sub_wait[i], topic) == 0 && (!resend_only || p->sub_wait_resend[i])) {
            int was = p->sub_wait_resend[i];
            memmove (p->sub_wait[0], p->sub_wait[i + 1], (size_t) (p->sub_waiting - i - 1) * sizeof p->sub_wait[0]);
            memmove (p->sub_wait_resend, p->sub_wait_resend + i + 1, (size_t) (p->sub_waiting - i - 1));
            p->sub_waiting -= i + 1;
            return was;
        }
    return -1;
}

int serve_sub_answered (peer_t *p, const char *topic)
{
    return s_take_wait (p, topic, 0);
}

/* The RESEND of TOPIC to P is answered, so not asked again: WHY (NULL:
   done) is logged and audited when the versions lost will not come. */
static void s_resend_done (run_t *r, peer_t *p, const char *topic, const char *rule, const char *why)
{
    if (store_sub_resend_done (node_db (r->n), p->info.org, node_self (r->n)->org, topic) != 0)
        node_log (r->n, "error", "cannot record the answer to RESEND %s: %s", topic, store_error (node_db (r->n)));
    if (!why) {
        node_log (r->n, "info", "%s will send again the versions of %s this node lost", p->info.org, topic);
        return;
    }
    node_log (r->n, "warn", "%s: the versions of %s received after the backup are not re-delivered: %s",
              p->info.org, topic, why);
    node_audit (r->n, "node", "resend", topic, p->info.org, "refuse", rule,
                "the versions of %s received after the backup are not re-delivered: %s", topic, why);
}

/* An ERROR about no dataset from publisher P. A publisher answers each
   SUBSCRIBE, in order, with SUBSCRIBED or ERROR (SPEC.md 11.1), and a
   policy refusal is ERROR(DENIED, "policy.RULE: words") (11.4): such an
   ERROR is the answer to the oldest SUBSCRIBE awaiting one, and that
   subscription is recorded as refused with the rule and the words, to be
   asked for again later (NODE_SUB_RETRY_REFUSED). 1 if it was that. */
int serve_sub_refused (run_t *r, peer_t *p, const proto_msg_t *m)
{
    static const uint8_t none[16];
    const char *colon = strstr (m->reason, ": ");
    if (memcmp (m->dataset, none, 16) != 0 || p->sub_waiting == 0)
        return 0;
    if (m->code == PROTO_E_VERSION) {            /* only a RESEND goes in version 2 (SPEC.md 15) */
        for (int i = 0; i < p->sub_waiting; i++)
            if (p->sub_wait_resend[i]) {
                char topic[129];
                snprintf (topic, sizeof topic, "%s", p->sub_wait[i]);
                s_take_wait (p, topic, 1);
                s_resend_done (r, p, topic, "protocol.version",
                               "the publisher speaks only protocol version 1 (no RESEND); its operator can "
                               "send them again when this node unsubscribes and subscribes with --history");
                return 1;
            }
        return 0;
    }
    if (p->sub_wait_resend[0] && (m->code == PROTO_E_DENIED || m->code == PROTO_E_INTERNAL)) {
        char topic[129];
        snprintf (topic, sizeof topic, "%s", p->sub_wait[0]);
        s_take_wait (p, topic, 1);
        if (m->code == PROTO_E_INTERNAL) {       /* not final: asked again in 15 s */
            node_log (r->n, "warn", "%s cannot send %s again now: %s", p->info.org, topic, m->reason);
            return 1;
        }
        s_resend_done (r, p, topic, "resend.refused", m->reason);
        return 1;
    }
    if (m->code == PROTO_E_INTERNAL && strncmp (m->reason, "agreement.", 10) != 0) {
        node_log (r->n, "warn", "%s cannot take the subscription to %s now: %s (asked again in 15 s)", p->info.org,
                  p->sub_wait[0], m->reason);
        serve_sub_answered (p, p->sub_wait[0]);       /* it stays requested */
        return 1;
    }
    if (m->code != PROTO_E_DENIED ||
        strncmp (m->reason, "policy.", 7) != 0 || !colon ||
        (size_t) (colon - m->reason) >= sizeof ((store_sub_t *) 0)->rule)
        return 0;
    char topic[129];
    snprintf (topic, sizeof topic, "%s", p->sub_wait[0]);
    serve_sub_answered (p, topic);
    store_sub_t sub;
    if (store_sub_get (node_db (r->n), p->info.org, node_self (r->n)->org, topic, &sub) != 0 ||
        (sub.state != STORE_SUB_REQUESTED && sub.state != STORE_SUB_REFUSED))
        return 1;                                /* ended, or active meanwhile */
    int first = sub.state != STORE_SUB_REFUSED;
    sub.state = STORE_SUB_REFUSED;
    snprintf (sub.rule, sizeof sub.rule, "%.*s", (int) (colon - m->reason), m->reason);
    snprintf (sub.reason, sizeof sub.reason, "%s", colon + 2);
    if (store_sub_put (node_db (r->n), &sub) != 0)
        node_log (r->n, "error", "cannot record the refusal of %s: %s", topic, store_error (node_db (r->n)));
    node_log (r->n, first ? "warn" : "info", "%s refused the subscription to %s: %s (asked again in %d s, "
              "or when an agreement with it changes)", p->info.org, topic, m->reason, NODE_SUB_RETRY_REFUSED);
    return 1;
}

/* SUBSCRIBED from publisher P: the subscription it confirms (active) or
   the end of it (ended); any other status is a newer one's, ignored. */
void serve_on_subscribed (run_t *r, peer_t *p, const proto_msg_t *m)
{
    store_sub_t sub;
    int ended = strcmp (m->reason, "ended") == 0;
    if (!ended && strcmp (m->reason, "active") != 0) {      /* a status token, SPEC 6 */
        node_log (r->n, "warn", "%s sent SUBSCRIBED %s with an unknown status: ignored", p->info.org, m->topic);
        return;
    }
    int resent = ended ? s_take_wait (p, m->topic, 1) : serve_sub_answered (p, m->topic);
    if (resent == 1 && store_sub_get (node_db (r->n), p->info.org, node_self (r->n)->org, m->topic, &sub) == 0 &&
        sub.resend) {
        if (ended && sub.state == STORE_SUB_ACTIVE) {    /* it ended after the backup */
            sub.state = STORE_SUB_ENDED;
            store_sub_put (node_db (r->n), &sub);
        }
        s_resend_done (r, p, m->topic, "subscription.ended", ended ? "the subscription ended at the publisher "
                       "after the backup (subscribe again for new versions)" : NULL);
        return;
    }
    if (store_sub_get (node_db (r->n), p->info.org, node_self (r->n)->org, m->topic, &sub) == 0 &&
        (ended ? sub.state == STORE_SUB_ENDING
               : sub.state == STORE_SUB_REQUESTED || sub.state == STORE_SUB_REFUSED)) {
        /* The answer is not a new setting: its time and origin stay, so
           that a sibling's later change still wins (SPEC.md 11.5). */
        sub.state = ended ? STORE_SUB_ENDED : STORE_SUB_ACTIVE;
        store_sub_put_setting (node_db (r->n), &sub);
        node_log (r->n, "info", "%s confirmed %s to %s", p->info.org,
                  ended ? "the end of the subscription" : "subscription", m->topic);
        if (sub.resend && !ended)
            run_schedule (r, run_now_ms ());     /* now the RESEND */
    }
}

/* RESEND(TOPIC, HELD) from subscriber O (SPEC.md 11.1): the versions of
   TOPIC after HELD delivered to it and still held here go back to the
   queue; its receiver answers what it holds after all with the receipt. */
void serve_on_resend (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    if (s_sibling_refused (r, o, m))
        return;
    policy_request_t pq = {POLICY_SUBSCRIBE, node_self (r->n)->org, o->org, m->topic, NULL, NULL, NULL, NULL, NULL,
                           (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (node_db (r->n), &pq, &dec);
    char actor[80];
    peer_actor (o->peer, actor, sizeof actor);
    if (!dec.allow) {
        wire_error (r, o, PROTO_E_DENIED, NULL, "%s: %s", dec.rule, dec.reason);
        if (run_limit_pass (r, &o->peer->refusals, o->org))
            node_audit (r->n, actor, "resend", m->topic, o->org, "refuse", dec.rule, "%s", dec.reason);
        return;
    }
    store_sub_t sub;
    if (store_sub_get (node_db (r->n), node_self (r->n)->org, o->org, m->topic, &sub) != 0 ||
        sub.state != STORE_SUB_ACTIVE) {
        s_subscribed (r, o, m->topic, "ended");
        return;
    }
    int64_t held = m->number > INT64_MAX ? INT64_MAX : (int64_t) m->number;
    int queued = store_delivery_resend (node_db (r->n), node_self (r->n)->org, m->topic, o->org, held);
    if (queued < 0) {
        node_log (r->n, "error", "cannot queue %s again for %s: %s", m->topic, o->org, store_error (node_db (r->n)));
        wire_error (r, o, PROTO_E_INTERNAL, NULL, "cannot queue the versions again now");
        return;
    }
    s_subscribed (r, o, m->topic, "active");
    if (queued > 0 || run_limit_take (r, &o->peer->allowed, o->org, "allow", "resend request(s)"))
        node_audit (r->n, actor, "resend", m->topic, o->org, "allow", dec.rule,
                    "%s lost the versions of %s after %" PRId64 " (restored from a backup): %d delivered "
                    "version(s) still held here queued again; %s", o->org, m->topic, held, queued, dec.reason);
    node_log (r->n, "info", "%s asked for %s after version %" PRId64 ": %d queued again", o->org, m->topic, held,
              queued);
    if (queued > 0)
        run_schedule (r, run_now_ms ());
}
