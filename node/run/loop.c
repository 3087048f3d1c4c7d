/*  loop.c: the node's event loop (cdx run): its sockets set up and torn
    down, one zmq_poll over the ROUTER, ZAP, the kick socket, the wake pipe
    and each peer's DEALER and monitor, and the timers.

    Not for: local operations (node.c), or anything that blocks on a peer.
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
#include "kick.h"
#include "notify.h"
#include "metrics.h"
#include "run_internal.h"

/* The kick socket: a plain datagram socket, so that a kick costs a CLI
   command one sendto, not a ZeroMQ context. A socket file left by a
   killed node is ours to replace: this process holds the run lock. */
static int s_kick_open (run_t *r)
{
    struct sockaddr_un addr;
    if (node_kick_addr (r->n, &addr) != 0)
        return node_fail (r->n, "home path %s is too long for its local socket", node_home (r->n));
    unlink (addr.sun_path);
    r->kick = socket (AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->kick < 0 || bind (r->kick, (const struct sockaddr *) &addr, sizeof addr) != 0)
        return node_fail (r->n, "cannot bind %s: %s", addr.sun_path, strerror (errno));
    return 0;
}

/* The ROUTER peers reach this node on, bound to r->bind (or the card's
   endpoint): at the start, and again after a drill (drill.c). 0, or -1
   (node_error). */
int run_router_open (run_t *r)
{
    node_t *n = r->n;
    int zero = 0, one = 1, hb = RUN_HEARTBEAT_MS, hbt = RUN_HEARTBEAT_MS * 3, hwm = 4 * RUN_WINDOW;
    /* libzmq checks this against the frame as it arrives, before CURVE
       removes its own framing, so allow for that overhead. */
    int64_t maxmsg = PROTO_PAYLOAD_MAX + RUN_CURVE_OVERHEAD;
    r->router = zmq_socket (r->ctx, ZMQ_ROUTER);
    if (!r->router)
        return node_fail (n, "cannot make a socket");
    zmq_setsockopt (r->router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (r->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt (r->router, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt (r->router, ZMQ_HEARTBEAT_TIMEOUT, &hbt, sizeof hbt);
    zmq_setsockopt (r->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (r->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt (r->router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt (r->router, ZMQ_CURVE_SECRETKEY, cx_keypair_secret (node_curve_key (n)), 32);
    zmq_setsockopt (r->router, ZMQ_ZAP_DOMAIN, "cdx", 3);
    const char *endpoint = r->bind ? r->bind : node_self (n)->endpoint;
    if (zmq_bind (r->router, endpoint) != 0) {
        node_fail (n, "cannot listen on %s: %s (is another node using that port?)", endpoint,
                   zmq_strerror (zmq_errno ()));
        zmq_close (r->router);
        r->router = NULL;
        return -1;
    }
    return 0;
}

static int s_setup (run_t *r)
{
    node_t *n = r->n;
    r->kick = -1;
    r->ctx = zmq_ctx_new ();
    if (!r->ctx)
        return node_fail (n, "cannot start ZeroMQ");
    /* CURVE encrypts in the I/O threads: two let sends to several peers
       use both cores of a small machine. */
    zmq_ctx_set (r->ctx, ZMQ_IO_THREADS, 2);
    if (!zmq_has ("curve"))
        return node_fail (n, "this libzmq has no CURVE support: install libzmq5 built with libsodium");
    r->zap = zmq_socket (r->ctx, ZMQ_REP);
    if (!r->zap || zmq_bind (r->zap, RUN_ZAP_ENDPOINT) != 0)
        return node_fail (n, "cannot start the ZAP handler: %s", zmq_strerror (zmq_errno ()));
    if (run_router_open (r) != 0)
        return -1;
    if (s_kick_open (r) != 0)
        return -1;
    r->scratch = malloc (PROTO_CHUNK_MAX);
    r->spare = malloc (PROTO_CHUNK_MAX);
    if (!(r->hasher = node_hasher_new ()))
        return node_fail (n, "cannot start a thread: %s", strerror (errno));
    if (!r->scratch || !r->spare)
        return node_fail (n, "out of memory");
    for (int i = 0; i < RUN_MAX_IN; i++)
        r->in[i].fd = -1;
    return 0;
}

static void s_teardown (run_t *r)
{
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (in_active (&r->in[i]))
            in_event (r, &r->in[i], IN_EV_STOPPED, NULL);
    for (size_t i = 0; i < r->npeers; i++) {
        if (r->peers[i]->out.dataset[0])
            out_event (r, r->peers[i], OUT_EV_STOPPED, NULL);
        peer_destroy (&r->peers[i]);
    }
    free (r->peers);
    metrics_stop (r);
    if (r->router)
        zmq_close (r->router);
    if (r->zap)
        zmq_close (r->zap);
    if (r->kick >= 0)
        close (r->kick);
    if (r->ctx)
        zmq_ctx_term (r->ctx);
    node_hasher_destroy (&r->hasher);
    if (r->spare) {
        cx_wipe (r->spare, PROTO_CHUNK_MAX);
        free (r->spare);
    }
    if (r->scratch) {
        cx_wipe (r->scratch, PROTO_CHUNK_MAX);
        free (r->scratch);
    }
}

/* Deliveries left "sending" by a stopped or killed node go back in line. */
static int s_requeue (const store_delivery_t *d, void *arg)
{
    run_t *r = arg;
    if (d->state == STORE_DL_SENDING) {
        store_delivery_t copy = *d;
        copy.state = STORE_DL_QUEUED;
        store_delivery_update (node_db (r->n), &copy);
    }
    return 0;
}

/* Transfers waiting for the node-wide budget of chunks in flight get it in
   turn, so many subscribers share the sender fairly and its memory stays
   bounded whatever their number. */
static void s_pump_all (run_t *r)
{
    size_t n = r->npeers;
    for (size_t k = 0; k < n && r->inflight < RUN_INFLIGHT_MAX; k++) {
        peer_t *p = r->peers[(r->pump_next + k) % n];
        if (p->out.dataset[0] && p->out.credit > 0 && session_accepts (&session_out, p->out.state, OUT_EV_PUMP))
            out_event (r, p, OUT_EV_PUMP, NULL);
    }
    if (n)
        r->pump_next = (r->pump_next + 1) % n;
}

static void s_on_kick (run_t *r);

static void s_timers (run_t *r)
{
    int64_t now = run_now_ms ();
    report_tick (r, now);
    peer_seen_tick (r, now, 0);
    if (r->recheck_at && r->recheck_at <= now)
        gossip_recheck (r);
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && p->out.state != OUT_QUEUED && p->out.deadline <= now)
            out_event (r, p, OUT_EV_TIMEOUT, NULL);
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (in_active (&r->in[i]) && r->in[i].last_activity + RUN_IDLE_MS <= now)
            in_event (r, &r->in[i], IN_EV_IDLE, NULL);
    run_limits_flush (r, now);
    if (drill_tick (r, now))
        s_on_kick (r);                        /* back from a drill: what changed meanwhile */
    if (r->scan_at && r->scan_at <= now && !drill_dark (r))
        serve_scan (r);
    if (r->abandon_at && r->abandon_at <= now)
        in_abandon (r, NULL);
    notify_tick (r, now);
}

static long s_poll_timeout (run_t *r)
{
    int64_t next = drill_next (r, drill_dark (r) ? 0 : r->scan_at);   /* dark: no scan */
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && p->out.state != OUT_QUEUED && (!next || p->out.deadline < next))
            next = p->out.deadline;
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (in_active (&r->in[i]) && (!next || r->in[i].last_activity + RUN_IDLE_MS < next))
            next = r->in[i].last_activity + RUN_IDLE_MS;
    if (r->abandon_at && (!next || r->abandon_at < next))
        next = r->abandon_at;
    if (r->progress_at && (!next || r->progress_at < next))
        next = r->progress_at;
    if (r->seen_at && (!next || r->seen_at < next))
        next = r->seen_at;
    int busy = 0;
    for (size_t i = 0; i < r->npeers; i++)
        busy |= r->peers[i]->out.dataset[0] && r->peers[i]->out.state != OUT_QUEUED;
    for (int i = 0; i < RUN_MAX_IN; i++)
        busy |= in_active (&r->in[i]);
    if (busy) {                               /* look at their agreements again soon */
        if (!r->recheck_at)
            r->recheck_at = run_now_ms () + RUN_RECHECK_MS;
        if (!next || r->recheck_at < next)
            next = r->recheck_at;
    } else {
        r->recheck_at = 0;
    }
    next = notify_next (next);
    if (!next)
        return -1;                            /* nothing to wait for: sleep */
    int64_t wait = next - run_now_ms ();
    return wait < 0 ? 0 : (long) wait;
}

/* 1 if SOCK has a message waiting (a burst stops when it has none). */
static int s_readable (void *sock)
{
    int events = 0;
    size_t len = sizeof events;
    zmq_getsockopt (sock, ZMQ_EVENTS, &events, &len);
    return (events & ZMQ_POLLIN) != 0;
}

/* The kick socket: the store changed (a CLI command). */
static void s_on_kick (run_t *r)
{
    char buf[16];
    while (recv (r->kick, buf, sizeof buf, MSG_DONTWAIT) >= 0)
        ;
    if (drill_on_kick (r))
        return;                               /* dark: nothing connects until the drill is back */
    zap_reload_peers (r);
    /* The store changed: a subscription just requested goes out
       now, not when the last one sent may be retried (15 s). */
    for (size_t i = 0; i < r->npeers; i++) {
        r->peers[i]->sub_retry_at = 0;
        r->peers[i]->sub_again = 1;      /* an agreement made here, maybe */
    }
    uint64_t before = r->dir_serial;
    gossip_dir_refresh (r);
    if (r->dir_serial > before)          /* imported from a file: pass it on */
        gossip_dir_announce (r);
    gossip_recheck (r);                    /* a revocation here takes effect at once */
    run_schedule (r, run_now_ms ());
}

/* What zmq_poll waits on: ROUTER, ZAP, kick, the wake pipe, and each
   peer's DEALER and monitor (4 + 2 per peer ITEMS). */
static void s_poll_items (run_t *r, zmq_pollitem_t *items, int wake_fd)
{
    /* Without a ROUTER (a drill) the slot asks for nothing. */
    items[0] = r->router ? (zmq_pollitem_t){r->router, 0, ZMQ_POLLIN, 0} : (zmq_pollitem_t){NULL, -1, 0, 0};
    items[1] = (zmq_pollitem_t){r->zap, 0, ZMQ_POLLIN, 0};
    items[2] = (zmq_pollitem_t){NULL, r->kick, ZMQ_POLLIN, 0};
    /* Without a wake pipe the slot asks for nothing. */
    items[3] = wake_fd >= 0 ? (zmq_pollitem_t){NULL, wake_fd, ZMQ_POLLIN, 0} : (zmq_pollitem_t){NULL, r->kick, 0, 0};
    for (size_t i = 0; i < r->npeers; i++) {
        /* A barred peer has no sockets: an entry with fd -1 is ignored. */
        void *dealer = r->peers[i]->dealer, *monitor = r->peers[i]->monitor;
        items[4 + 2 * i] = (zmq_pollitem_t){dealer, dealer ? 0 : -1, dealer ? ZMQ_POLLIN : 0, 0};
        items[5 + 2 * i] = (zmq_pollitem_t){monitor, monitor ? 0 : -1, monitor ? ZMQ_POLLIN : 0, 0};
    }
}

/* Each of the NPEERS peers polled: its monitor's events, then a burst of
   up to a window of its answers, so that every peer is served fairly. */
static void s_serve_peers (run_t *r, const zmq_pollitem_t *items, size_t npeers)
{
    for (size_t i = 0; i < npeers && i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (items[5 + 2 * i].revents & ZMQ_POLLIN)
            dispatch_monitor (r, p);
        for (unsigned k = 0; k < RUN_WINDOW && (items[4 + 2 * i].revents & ZMQ_POLLIN) && s_readable (p->dealer); k++)
            dispatch_dealer (r, p);
    }
}

int node_run (node_t *n, const char *bind, volatile sig_atomic_t *stop, int wake_fd)
{
    node_run_opts_t opts = {.bind = bind};
    return node_run_with (n, &opts, stop, wake_fd);
}

int node_run_with (node_t *n, const node_run_opts_t *opts, volatile sig_atomic_t *stop, int wake_fd)
{
    const char *bind = opts->bind;
    if (node_lock_run (n) != 0)
        return -1;
    node_home_sweep (n, "node", 0);             /* what killed commands left in data/ */

    run_t *r = calloc (1, sizeof *r);
    if (!r)
        return node_fail (n, "out of memory");
    r->n = n;
    r->started_ms = run_now_ms ();
    r->started_wall = (int64_t) time (NULL) * 1000;
    r->bind = bind;
    r->takeover_ms = opts->takeover_s > 0 ? (int64_t) opts->takeover_s * 1000 : RUN_TAKEOVER_MS;
    int rc = -1;
    if (s_setup (r) != 0 || (opts->metrics && metrics_start (r, opts->metrics) != 0))
        goto out;
    store_delivery_each_pending (node_db (n), s_requeue, r);
    if (store_dataset_touch (node_db (n), STORE_DS_RECEIVING) < 0)  /* nobody could reach us while we were down */
        node_log (n, "error", "cannot restart the clock of unfinished transfers: %s", store_error (node_db (n)));
    if (store_peer_all_offline (node_db (n)) != 0)   /* whatever a killed node left */
        node_log (n, "error", "%s", store_error (node_db (n)));
    gossip_dir_refresh (r);
    drill_init (r);
    zap_reload_peers (r);
    node_audit (n, "node", "start", "node", "", "allow", "local.run", "listening on %s", bind ? bind : node_self (n)->endpoint);
    node_log (n, "info", "listening on %s as %s (%s)", bind ? bind : node_self (n)->endpoint, node_address (n), node_self (n)->name);
    notify_ready (r, bind ? bind : node_self (n)->endpoint);
    run_schedule (r, run_now_ms ());
    r->abandon_at = run_now_ms ();

    zmq_pollitem_t *items = NULL;
    while (!*stop) {
        size_t count = 4 + 2 * r->npeers + 1;   /* the last: the metrics daemon */
        zmq_pollitem_t *grown = realloc (items, count * sizeof *items);
        if (!grown)
            break;
        items = grown;
        size_t npeers = r->npeers;
        s_poll_items (r, items, wake_fd);
        items[count - 1] = metrics_item (r);
        int ready = zmq_poll (items, (int) count, metrics_timeout (r, s_poll_timeout (r)));
        if (ready < 0) {
            if (zmq_errno () == EINTR)
                continue;
            node_fail (n, "poll failed: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (wake_fd >= 0 && (items[3].revents & ZMQ_POLLIN)) {
            char buf[16];
            while (read (wake_fd, buf, sizeof buf) > 0)
                ;
            if (*stop)
                break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            zap_handle (r);
        /* A burst of up to a window of messages per socket per turn keeps
           every peer served fairly. */
        for (unsigned k = 0; k < RUN_WINDOW && (items[0].revents & ZMQ_POLLIN) && s_readable (r->router); k++)
            dispatch_router (r);
        if (items[2].revents & ZMQ_POLLIN)
            s_on_kick (r);
        s_serve_peers (r, items, npeers);
        s_pump_all (r);
        s_timers (r);
        metrics_serve (r, items[count - 1].revents);
    }
    free (items);
    drill_stop (r);
    peer_seen_tick (r, run_now_ms (), 1);
    run_limits_flush (r, INT64_MAX);
    /* *STOP holds the signal that asked for the stop, when there was one. */
    int sig = (int) *stop;
    char why[64] = "stopped";
    if (sig > 0 && sig < NSIG)
        snprintf (why, sizeof why, "stopped on signal %d (%s)", sig, strsignal (sig));
    notify_stopping (why);
    node_audit (n, "node", "stop", "node", "", "allow", "local.run", "%s", why);
    node_log (n, "info", "%s", why);
    rc = 0;
out:
    s_teardown (r);
    free (r);
    node_unlock_run (n);
    return rc;
}
