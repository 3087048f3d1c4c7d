/*  settings.c: the settings siblings share (SPEC.md 11.5): this
    organisation's subscriptions to other publishers (sub, unsub), other
    organisations' subscriptions to its own topics (subscriber,
    unsubscriber) and retention periods (retention), sent as SETTING to
    each sibling and applied newest-wins (newest.c).

    Sending: a connected sibling gets every setting once its connection
    is up, and from then on those whose updated time is at or after the
    last scan that sent to it (a per-peer watermark). A change made by a
    command happens in another process and kicks the node: the scan finds
    it by its time. Receiving: a SETTING is applied if it is newer than
    what the store holds, stored with its own time and origin (so that it
    is not sent back as newer), acted on as the same change made here
    would be, and audited (rule sibling.setting).

    Not for: the other sibling messages (siblings.c), the subscriptions'
    own messages with a publisher or subscriber (serving.c).
*/
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "newest.h"
#include "run_internal.h"

#define SETTINGS_AHEAD_MAX 300   /* s: a SETTING dated further ahead of this node's clock is ignored */

/* ---- sending ------------------------------------------------------------ */

typedef struct {
    run_t *r;
    peer_t *to[NODE_SIBLINGS_MAX];
    int64_t since[NODE_SIBLINGS_MAX];   /* settings updated from then on go to it */
    int failed[NODE_SIBLINGS_MAX];      /* a send to it failed: its watermark stays */
    int n;
} s_send_t;

static void s_send (s_send_t *c, const char *kind, const char *org, const char *topic, int64_t value,
                    int64_t updated, const char *origin)
{
    if (card_valid_org (org) != 0)
        return;                                 /* not an organisation's row: nothing to share */
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_SETTING;
    snprintf (m.kind, sizeof m.kind, "%s", kind);
    snprintf (m.org, sizeof m.org, "%.5s", org);
    snprintf (m.topic, sizeof m.topic, "%s", topic);
    m.value = value < 0 ? 0 : (uint64_t) value;
    m.updated = updated < 0 ? 0 : (uint64_t) updated;
    snprintf (m.node, sizeof m.node, "%.14s", origin[0] ? origin : node_address (c->r->n));
    for (int i = 0; i < c->n; i++)
        if (updated >= c->since[i] && wire_send (c->r, c->to[i]->dealer, NULL, 0, &m, NULL) != 0)
            c->failed[i] = 1;
}

static int s_send_sub (const store_sub_t *sub, void *arg)
{
    s_send_t *c = arg;
    const char *own = node_self (c->r->n)->org;
    if (strcmp (sub->subscriber, own) == 0 && strcmp (sub->publisher, own) != 0) {
        int live = sub->state == STORE_SUB_REQUESTED || sub->state == STORE_SUB_ACTIVE ||
                   sub->state == STORE_SUB_REFUSED;
        s_send (c, live ? "sub" : "unsub", sub->publisher, sub->topic, live ? sub->from_version : 0, sub->updated,
                sub->origin);
    } else if (strcmp (sub->publisher, own) == 0 && strcmp (sub->subscriber, own) != 0) {
        int active = sub->state == STORE_SUB_ACTIVE;
        s_send (c, active ? "subscriber" : "unsubscriber", sub->subscriber, sub->topic,
                active ? sub->from_version : 0, sub->updated, sub->origin);
    }
    return 0;
}

static int s_send_retention (const store_retention_t *ret, void *arg)
{
    s_send ((s_send_t *) arg, "retention", ret->publisher, ret->topic, ret->seconds, ret->updated, ret->origin);
    return 0;
}

void settings_scan (run_t *r)
{
    s_send_t c;
    memset (&c, 0, sizeof c);
    c.r = r;
    int64_t now = (int64_t) time (NULL);
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (!p->connected || p->barred || !peer_is_sibling (r, p)) {
            p->settings_synced = 0;             /* all of them again once it is back */
            continue;
        }
        if (c.n == NODE_SIBLINGS_MAX)
            continue;
        c.to[c.n] = p;
        c.since[c.n++] = p->settings_synced ? p->settings_sent : INT64_MIN;
    }
    if (c.n == 0)
        return;
    if (store_sub_each (node_db (r->n), s_send_sub, &c) < 0 ||
        store_retention_each (node_db (r->n), s_send_retention, &c) < 0) {
        node_log (r->n, "error", "cannot read the settings to send to siblings: %s", store_error (node_db (r->n)));
        return;                                 /* sent again at the next scan */
    }
    for (int i = 0; i < c.n; i++)
        if (!c.failed[i]) {
            c.to[i]->settings_synced = 1;
            c.to[i]->settings_sent = now;       /* a change in this same second is sent again: harmless */
        } else {
            run_schedule (r, run_now_ms () + RUN_BACKOFF_MIN_MS);
        }
}

/* ---- receiving ---------------------------------------------------------- */

/* The origin as the store keeps it: "" for this node. */
static const char *s_origin_kept (run_t *r, const char *address)
{
    return strcmp (address, node_address (r->n)) == 0 ? "" : address;
}

/* The origin of a stored row as compared: this node's address for "". */
static const char *s_origin_of (run_t *r, const char *kept)
{
    return kept[0] ? kept : node_address (r->n);
}

static void s_ignored (run_t *r, peer_t *p, const proto_msg_t *m, const char *why)
{
    if (run_limit_pass (r, &p->refusals, p->info.address))
        node_log (r->n, "warn", "SETTING %s of %s %s from sibling %s ignored: %s", m->kind, m->org, m->topic,
                  p->info.address, why);
}

/* The applied change, in the audit log (at the peer's rate) and the log. */
static void s_applied (run_t *r, peer_t *p, const proto_msg_t *m, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static void s_applied (run_t *r, peer_t *p, const proto_msg_t *m, const char *fmt, ...)
{
    char what[320];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (what, sizeof what, fmt, ap);
    va_end (ap);
    node_log (r->n, "info", "setting from sibling %s: %s", p->info.address, what);
    if (!run_limit_take (r, &p->allowed, p->info.address, "allow", "setting(s)"))
        return;
    char actor[80];
    peer_actor (p, actor, sizeof actor);
    node_audit (r->n, actor, "setting", m->topic, m->org, "allow", "sibling.setting",
                "%s (set at %s, %" PRIu64 "), from sibling %s", what, m->node, m->updated, p->info.address);
}

/* This organisation's subscription to M's publisher and topic: requested
   (sub) or ended (unsub), as cdx subscribe / unsubscribe would. */
static void s_apply_sub (run_t *r, peer_t *p, const proto_msg_t *m)
{
    const char *own = node_self (r->n)->org;
    int on = strcmp (m->kind, "sub") == 0;
    store_sub_t sub;
    int rc = store_sub_get (node_db (r->n), m->org, own, m->topic, &sub);
    if (rc != 0 && rc != STORE_NOTFOUND) {
        node_log (r->n, "error", "cannot read a subscription: %s", store_error (node_db (r->n)));
        return;
    }
    int found = rc == 0;
    if (found && !newest_wins ((int64_t) m->updated, m->node, sub.updated, s_origin_of (r, sub.origin)))
        return;                                 /* what is held is as new or newer */
    int live = found && (sub.state == STORE_SUB_REQUESTED || sub.state == STORE_SUB_ACTIVE ||
                         sub.state == STORE_SUB_REFUSED);
    if (on ? live && sub.from_version == (int64_t) m->value : found && !live)
        return;                                 /* it says what is held already */
    if (!found) {
        memset (&sub, 0, sizeof sub);
        snprintf (sub.publisher, sizeof sub.publisher, "%s", m->org);
        snprintf (sub.subscriber, sizeof sub.subscriber, "%s", own);
        snprintf (sub.topic, sizeof sub.topic, "%s", m->topic);
    }
    /* Ending one held: the publisher is told (ending); one never held
       here is recorded as ended, so that an older sub loses to it. */
    sub.state = on ? STORE_SUB_REQUESTED : found ? STORE_SUB_ENDING : STORE_SUB_ENDED;
    if (on)
        sub.from_version = (int64_t) m->value;
    sub.updated = (int64_t) m->updated;
    snprintf (sub.origin, sizeof sub.origin, "%s", s_origin_kept (r, m->node));
    if (store_sub_put_setting (node_db (r->n), &sub) != 0) {
        node_log (r->n, "error", "cannot record a sibling's subscription: %s", store_error (node_db (r->n)));
        return;
    }
    if (on)
        s_applied (r, p, m, "subscription to %s from %s requested (%s)", m->topic, m->org,
                   m->value ? "history" : "latest only");
    else
        s_applied (r, p, m, "subscription to %s from %s ended%s", m->topic, m->org,
                   found ? " (the publisher is told)" : "");
    run_schedule (r, run_now_ms ());            /* the publisher is asked, or told */
}

/* Organisation M->org's subscription to this organisation's topic:
   active (subscriber), its versions held here queued, or ended
   (unsubscriber), its deliveries cancelled, as SUBSCRIBE and UNSUBSCRIBE
   from it would. */
static void s_apply_subscriber (run_t *r, peer_t *p, const proto_msg_t *m)
{
    const char *own = node_self (r->n)->org;
    int on = strcmp (m->kind, "subscriber") == 0;
    store_sub_t sub;
    int rc = store_sub_get (node_db (r->n), own, m->org, m->topic, &sub);
    if (rc != 0 && rc != STORE_NOTFOUND) {
        node_log (r->n, "error", "cannot read a subscription: %s", store_error (node_db (r->n)));
        return;
    }
    int found = rc == 0;
    if (found && !newest_wins ((int64_t) m->updated, m->node, sub.updated, s_origin_of (r, sub.origin)))
        return;
    int active = found && sub.state == STORE_SUB_ACTIVE;
    if (on ? active && sub.from_version == (int64_t) m->value : found && !active)
        return;
    if (!found) {
        memset (&sub, 0, sizeof sub);
        snprintf (sub.publisher, sizeof sub.publisher, "%s", own);
        snprintf (sub.subscriber, sizeof sub.subscriber, "%s", m->org);
        snprintf (sub.topic, sizeof sub.topic, "%s", m->topic);
    }
    sub.updated = (int64_t) m->updated;
    snprintf (sub.origin, sizeof sub.origin, "%s", s_origin_kept (r, m->node));
    if (!on) {
        int cancelled = serve_end_subscriber (r, &sub, 1);
        if (cancelled < 0) {
            node_log (r->n, "error", "cannot record the end of %s's subscription: %s", m->org,
                      store_error (node_db (r->n)));
            return;
        }
        s_applied (r, p, m, "%s ended its subscription to %s; %d pending deliveries cancelled", m->org, m->topic,
                   cancelled);
        return;
    }
    sub.state = STORE_SUB_ACTIVE;
    sub.from_version = (int64_t) m->value;
    if (store_sub_put_setting (node_db (r->n), &sub) != 0) {
        node_log (r->n, "error", "cannot record %s's subscription: %s", m->org, store_error (node_db (r->n)));
        return;
    }
    int queued = active ? 0 : serve_queue_versions (r, m->org, m->topic, (int64_t) m->value);
    s_applied (r, p, m, "%s subscribed to %s (%s); %d existing version(s) queued", m->org, m->topic,
               m->value ? "history" : "latest only", queued);
    run_schedule (r, run_now_ms ());
}

/* The retention period of M's publisher and topic, as cdx retention set
   would (without --delivered: a sibling's row keeps its own). */
static void s_apply_retention (run_t *r, peer_t *p, const proto_msg_t *m)
{
    store_retention_t ret;
    int rc = store_retention_get (node_db (r->n), m->org, m->topic, &ret);
    if (rc != 0 && rc != STORE_NOTFOUND) {
        node_log (r->n, "error", "cannot read a retention period: %s", store_error (node_db (r->n)));
        return;
    }
    int found = rc == 0;
    if (found && !newest_wins ((int64_t) m->updated, m->node, ret.updated, s_origin_of (r, ret.origin)))
        return;
    if (found && ret.seconds == (int64_t) m->value)
        return;
    if (!found) {
        memset (&ret, 0, sizeof ret);
        snprintf (ret.publisher, sizeof ret.publisher, "%s", m->org);
        snprintf (ret.topic, sizeof ret.topic, "%s", m->topic);
    }
    ret.seconds = (int64_t) m->value;
    snprintf (ret.set_by, sizeof ret.set_by, "%s", m->node);
    ret.updated = (int64_t) m->updated;
    snprintf (ret.origin, sizeof ret.origin, "%s", s_origin_kept (r, m->node));
    if (store_retention_put_setting (node_db (r->n), &ret) != 0) {
        node_log (r->n, "error", "cannot record a sibling's retention period: %s", store_error (node_db (r->n)));
        return;
    }
    char rule[360];
    node_retention_describe (r->n, &ret, rule, sizeof rule);
    s_applied (r, p, m, "retention: %s", rule);
    run_schedule (r, run_now_ms ());            /* the sweep applies it */
}

void settings_on_setting (run_t *r, peer_t *p, const proto_msg_t *m)
{
    const char *own = node_self (r->n)->org;
    int64_t now = (int64_t) time (NULL);
    int sub = strcmp (m->kind, "sub") == 0 || strcmp (m->kind, "unsub") == 0;
    int subscriber = strcmp (m->kind, "subscriber") == 0 || strcmp (m->kind, "unsubscriber") == 0;
    int retention = strcmp (m->kind, "retention") == 0;
    /* The codec has checked each field's grammar; what it means is checked here. */
    if (!sub && !subscriber && !retention)
        s_ignored (r, p, m, "a kind this version does not know");
    else if (!card_address_of_org (m->node, own))
        s_ignored (r, p, m, "its origin is not a node of this organisation");
    else if (card_valid_org (m->org) != 0 || proto_topic_ok (m->topic) != 0)
        s_ignored (r, p, m, "not an organisation's topic");
    else if (m->updated > (uint64_t) (now + SETTINGS_AHEAD_MAX))
        s_ignored (r, p, m, "dated more than 300 s ahead of this node's clock");
    else if (m->value > INT64_MAX)
        s_ignored (r, p, m, "its value is out of range");
    else if ((sub || subscriber) && strcmp (m->org, own) == 0)
        s_ignored (r, p, m, "an organisation does not subscribe to itself");
    else if (retention && (m->value < 1 || m->value > (uint64_t) NODE_KEEP_MAX))
        s_ignored (r, p, m, "a retention period is 1 s to 100 years (none is not set by this version)");
    else if (sub)
        s_apply_sub (r, p, m);
    else if (subscriber)
        s_apply_subscriber (r, p, m);
    else
        s_apply_retention (r, p, m);
}
