/*  drill.c: `cdx drill failover` at the running node (SPEC.md 11.5): it
    goes dark on purpose, a sibling takes over, and the FAILOVER it sends
    when this node is back is the drill's outcome, recorded.

    The command asks through HOME/drill.req and a kick (node/drill.c);
    each phase is reported in HOME/drill.state. Dark: the ROUTER and every
    DEALER closed (an outgoing transfer under way ends as on a
    disconnect, to be offered again later), no scan, nothing sent, kicks
    held; the peers' own view is a lost connection. Back: the ROUTER as at
    the start (run_router_open), the DEALERs (peer_connect), then up to
    NODE_DRILL_WAIT_S for a FAILOVER about this node. The outcome is one
    audit entry: action drill, rule sibling.drill, allow "MS ms: ADDR took
    over N deliveries" (MS: the FAILOVER's took) or refuse "MS ms: no
    sibling took over within S s" (MS: the time dark).

    And the sibling's side of a drill with nothing to take over: a sibling
    seen unreachable for longer than the takeover time is sent FAILOVER
    with count 0 when it connects again (drill_sibling_back).

    Not for: the takeover itself (siblings.c), the request's checks
    (node/drill.c).
*/
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drill.h"
#include "run_internal.h"

struct drill {
    node_drill_file_t f;       /* what drill.state says */
    int64_t until;             /* the phase ends, ms */
    int64_t dark_at, back_at;  /* ms */
    peer_t **was;              /* the peers connected when it went dark */
    size_t nwas;
};

static int64_t s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_state (run_t *r, struct drill *d, node_drill_phase_t phase)
{
    d->f.phase = phase;
    d->f.at = s_wall_ms ();
    if (node_drill_write_state (r->n, &d->f) != 0)
        node_log (r->n, "error", "drill %s: %s", d->f.id, node_error (r->n));
}

/* The drill is over: its state done, the request (the lock) removed. */
static void s_free (run_t *r)
{
    struct drill *d = r->drill;
    s_state (r, d, NODE_DRILL_DONE);
    node_drill_remove (r->n, NODE_DRILL_REQ);
    free (d->was);
    free (d);
    r->drill = NULL;
}

/* A request the node will not start: why, in drill.state, and the lock
   removed. */
static void s_refuse (run_t *r, node_drill_file_t *f, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static void s_refuse (run_t *r, node_drill_file_t *f, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (f->reason, sizeof f->reason, fmt, ap);
    va_end (ap);
    f->phase = NODE_DRILL_REFUSED;
    f->at = s_wall_ms ();
    f->takeover_ms = r->takeover_ms;
    node_log (r->n, "warn", "drill %s not started: %s", f->id, f->reason);
    if (node_drill_write_state (r->n, f) != 0)
        node_log (r->n, "error", "drill %s: %s", f->id, node_error (r->n));
    node_drill_remove (r->n, NODE_DRILL_REQ);
}

static int s_sibling_connected (run_t *r)
{
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected && !r->peers[i]->barred && peer_is_sibling (r, r->peers[i]))
            return 1;
    return 0;
}

/* Dark: nothing reaches this node and it sends nothing. */
static void s_dark (run_t *r, struct drill *d)
{
    int64_t now = run_now_ms ();
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && session_accepts (&session_out, p->out.state, OUT_EV_DISCONNECTED))
            out_event (r, p, OUT_EV_DISCONNECTED, NULL);     /* offered again when back */
        if (p->connected) {
            peer_seen (r, p, 0);
            d->was[d->nwas++] = p;
        }
        p->connected = 0;
        p->sub_waiting = 0;
        peer_close (p);
    }
    if (r->router)
        zmq_close (r->router);
    r->router = NULL;
    d->dark_at = now;
    d->until = now + d->f.seconds * 1000;
    node_log (r->n, "warn",
              "drill %s: this node is unreachable on purpose for %" PRId64 " s (its ROUTER and DEALERs closed); "
              "a sibling takes over its deliveries after %" PRId64 " ms",
              d->f.id, d->f.seconds, r->takeover_ms);
    s_state (r, d, NODE_DRILL_DARK);
}

static void s_start (run_t *r, node_drill_file_t *f)
{
    int64_t t_s = (r->takeover_ms + 999) / 1000;
    if (f->seconds == 0)
        f->seconds = t_s + 15;
    if (f->seconds * 1000 <= r->takeover_ms) {
        s_refuse (r, f,
                  "--seconds %" PRId64 " is not longer than this node's takeover time (%" PRId64
                  " ms): no sibling would take over; give --seconds %" PRId64 " or more",
                  f->seconds, r->takeover_ms, t_s + 1);
        return;
    }
    if (s_wall_ms () - f->at > NODE_DRILL_STALE_MS) {
        s_refuse (r, f, "the request is older than %d s (its command no longer waits): ask again",
                  NODE_DRILL_STALE_MS / 1000);
        return;
    }
    if (!s_sibling_connected (r)) {
        s_refuse (r, f, "no sibling is connected to this node: start one (cdx run there) and check cdx peers");
        return;
    }
    struct drill *d = calloc (1, sizeof *d);
    if (d && r->npeers)
        d->was = calloc (r->npeers, sizeof *d->was);
    if (!d || (r->npeers && !d->was)) {
        if (d)
            free (d);
        s_refuse (r, f, "out of memory at the running node");
        return;
    }
    d->f = *f;
    d->f.takeover_ms = r->takeover_ms;
    r->drill = d;
    s_dark (r, d);
}

/* Back: listening and connecting as at the start, then waiting for a
   sibling's FAILOVER. 1 when back, 0 if the ROUTER cannot bind yet (tried
   again in a second). */
static int s_back (run_t *r, struct drill *d, int64_t now)
{
    if (run_router_open (r) != 0) {
        node_log (r->n, "error", "drill %s: %s; trying again in 1 s", d->f.id, node_error (r->n));
        d->until = now + 1000;
        return 0;
    }
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->barred || p->dealer)
            continue;
        p->retry_at = 0;
        if (peer_connect (r, p) != 0)
            node_log (r->n, "error", "peer %s: cannot set up its socket", p->info.address);
    }
    /* Its own siblings were not unreachable: only this node was. Their
       outage, in its view, starts now and ends when they connect, so it
       takes nothing of theirs over. */
    for (size_t i = 0; i < d->nwas; i++) {
        d->was[i]->down_since = 0;
        sibling_on_disconnect (r, d->was[i]);
    }
    d->back_at = now;
    d->until = now + NODE_DRILL_WAIT_S * 1000;
    node_log (r->n, "info", "drill %s: back after %" PRId64 " ms; waiting up to %d s for a sibling's FAILOVER",
              d->f.id, now - d->dark_at, NODE_DRILL_WAIT_S);
    s_state (r, d, NODE_DRILL_BACK);
    run_schedule (r, now);
    return 1;
}

void drill_init (run_t *r)
{
    node_drill_file_t f;
    if (node_drill_read (r->n, NODE_DRILL_REQ, &f) != 1)
        node_log (r->n, "warn", "a drill asked for before this node stopped is dropped");
    node_drill_remove (r->n, NODE_DRILL_REQ);
    node_drill_remove (r->n, NODE_DRILL_STATE);
}

int drill_on_kick (run_t *r)
{
    if (r->drill)
        return drill_dark (r);
    node_drill_file_t f;
    int rc = node_drill_read (r->n, NODE_DRILL_REQ, &f);
    if (rc < 0) {
        node_log (r->n, "error", "%s", node_error (r->n));
        node_drill_remove (r->n, NODE_DRILL_REQ);
        return 0;
    }
    if (rc == 0 && f.phase == NODE_DRILL_ASKED)
        s_start (r, &f);
    return drill_dark (r);
}

int drill_dark (const run_t *r)
{
    return r->drill && r->drill->f.phase == NODE_DRILL_DARK;
}

int64_t drill_next (const run_t *r, int64_t next)
{
    if (r->drill && (!next || r->drill->until < next))
        return r->drill->until;
    return next;
}

int drill_tick (run_t *r, int64_t now)
{
    struct drill *d = r->drill;
    if (!d || now < d->until)
        return 0;
    if (d->f.phase == NODE_DRILL_DARK)
        return s_back (r, d, now);
    int64_t dark_ms = d->back_at - d->dark_at;
    int64_t within = (now - d->dark_at + 999) / 1000;
    node_log (r->n, "warn", "drill %s failed: no sibling reported a takeover within %" PRId64 " s", d->f.id, within);
    node_audit (r->n, "node", "drill", node_address (r->n), "", "refuse", "sibling.drill",
                "%" PRId64 " ms: no sibling took over within %" PRId64 " s", dark_ms, within);
    s_free (r);
    return 0;
}

void drill_stop (run_t *r)
{
    struct drill *d = r->drill;
    if (!d)
        return;
    int64_t now = run_now_ms ();
    int64_t dark_ms = (d->back_at ? d->back_at : now) - d->dark_at;
    node_log (r->n, "warn", "drill %s ended by the stop: no sibling reported a takeover", d->f.id);
    node_audit (r->n, "node", "drill", node_address (r->n), "", "refuse", "sibling.drill",
                "%" PRId64 " ms: no sibling took over before the node stopped", dark_ms);
    s_free (r);
}

void drill_on_failover (run_t *r, peer_t *p, const proto_msg_t *m)
{
    struct drill *d = r->drill;
    if (!d || d->f.phase != NODE_DRILL_BACK)
        return;                                 /* not a drill's: siblings.c recorded it */
    node_log (r->n, "info", "drill %s passed: %s took over %" PRIu64 " deliveries in %" PRIu64 " ms", d->f.id,
              p->info.address, m->count, m->took);
    node_audit (r->n, "node", "drill", node_address (r->n), p->info.address, "allow", "sibling.drill",
                "%" PRIu64 " ms: %s took over %" PRIu64 " deliveries", m->took, p->info.address, m->count);
    s_free (r);
}

void drill_sibling_back (run_t *r, peer_t *p)
{
    if (!peer_is_sibling (r, p) || p->taken_at || !p->down_since || run_now_ms () - p->down_since <= r->takeover_ms)
        return;                                 /* not a sibling, told by siblings.c, or not down for long */
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_FAILOVER;
    snprintf (m.node, sizeof m.node, "%s", p->info.address);
    m.since = (uint64_t) p->down_wall;
    m.took = (uint64_t) r->takeover_ms;         /* when this node would have taken over */
    m.count = 0;
    if (wire_send (r, p->dealer, NULL, 0, &m, NULL) == 0)
        node_log (r->n, "info", "told %s that it was unreachable longer than the takeover time, with nothing to take over",
                  p->info.address);
}
