/*  run.c: the node's event loop (cdx run).

    One thread, one zmq_poll over: the ROUTER socket peers connect to (CURVE
    server), the ZAP handler that admits them, a local "kick" socket that CLI
    commands use to say the store changed, and per peer one DEALER (CURVE
    client) with a monitor socket that reports connects and disconnects.

    Outgoing deliveries (publisher side) follow an explicit state machine,
    s_out_table below: QUEUED -> OFFERED -> SENDING -> AWAIT_RECEIPT ->
    DELIVERED, with credit-based flow control and timeouts. Incoming
    transfers (subscriber side) verify every chunk as it arrives, write it to
    the dataset's file and record progress durably every few chunks, so a
    transfer resumes from the last durable chunk after a crash.
    protocol/SPEC.md describes all of this for other implementers.

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
#include "hasher.h"
#include "home.h"
#include "node_internal.h"
#include "policy.h"

#define RUN_WINDOW          8u        /* chunks in flight per transfer */
#define RUN_SYNC_BYTES      (32 << 20) /* receiver makes chunks durable every 32 MiB */
#define RUN_INFLIGHT_MAX    32        /* chunks in flight over all transfers */
#define RUN_TIMEOUT_MS      15000     /* no answer from a peer in a session */
#define RUN_IDLE_MS         60000     /* an incoming transfer is dropped after */
#define RUN_BACKOFF_MIN_MS  1000
#define RUN_BACKOFF_MAX_MS  300000
#define RUN_HEARTBEAT_MS    5000
#define RUN_MAX_IN          64        /* concurrent incoming transfers */
#define RUN_MAX_IN_PER_PEER 4         /* ... of which from one publisher */
#define RUN_MAX_UNFINISHED  16        /* datasets from one publisher recorded as receiving */
#define RUN_ABANDON_MS      (15 * 60000) /* ... abandoned after this long without activity */
#define RUN_REFUSALS_PER_MIN 30       /* audited refusals per peer per minute */
#define RUN_LIMIT_KINDS     4         /* kinds of entry a summary counts apart */
#define RUN_LIMIT_WINDOW_MS 60000
#define RUN_CUTOFF_CORRUPT  5         /* bad chunks from a peer in an hour */
#define RUN_CUTOFF_MS       3600000   /* ... cut it off for an hour */
#define RUN_MAX_CORRUPT     3         /* chunk refusals before a delivery fails */
#define RUN_CURVE_OVERHEAD  256       /* CURVE MESSAGE command framing */
#define RUN_DISK_RESERVE    (8 << 20) /* bytes kept free for the store and audit log */
#define RUN_MAX_DROPS       16        /* transfers refused recently, chunks dropped */
#define RUN_DROP_CHUNKS     (2 * RUN_WINDOW) /* ... at most this many of each, quietly */
#define RUN_ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define RUN_RECHECK_MS      1000      /* agreements of running transfers looked at again */
#define RUN_SUB_WAIT        16        /* SUBSCRIBEs awaiting an answer, per publisher */
#define RUN_PROGRESS_MS     1000      /* a transfer's progress recorded for listings at most this often */
#define RUN_PROGRESS_LOG_MS 5000      /* ... and logged this often once it has run this long */
#define RUN_SEEN_MS         60000     /* last seen of connected peers refreshed */

/* ---- types ---------------------------------------------------------------- */

typedef enum { OUT_QUEUED, OUT_OFFERED, OUT_SENDING, OUT_AWAIT_RECEIPT, OUT_STATES } out_state_t;
typedef enum { EV_START, EV_ACCEPT, EV_CREDIT, EV_RECEIPT, EV_ERROR, EV_TIMEOUT } out_event_t;

static const char *const s_out_state_names[] = {"QUEUED", "OFFERED", "SENDING", "AWAIT_RECEIPT"};
static const char *const s_event_names[] = {"start", "ACCEPT", "CREDIT", "RECEIPT", "ERROR", "timeout"};

typedef struct {
    out_state_t state;
    char dataset[33];
    uint8_t dsid[16];
    uint8_t hash[32];
    char topic[129];
    int64_t version;
    int64_t chunks, chunk_size, bytes;
    int64_t next;              /* next chunk to send */
    int64_t acked;             /* chunks the subscriber has consumed */
    uint32_t credit;
    int fd;
    int64_t deadline;          /* ms, monotonic */
    char agreement[65];        /* the agreement the policy allowed it under */
    int64_t until;             /* ... which ends then (unix seconds) */
    char purpose[64];
    int64_t session_ms;        /* when this attempt began sending (ACCEPT), ms; 0 not yet */
    int64_t session_from;      /* ... from which chunk */
    int64_t noted_ms;          /* progress last recorded for listings, ms */
    int64_t logged_ms;         /* ... last logged, ms */
    int64_t moved_ms;          /* acked last grew, ms */
    int64_t logged_acked;
} out_xfer_t;

/* Refusals are recorded one by one up to a rate; past it they are counted
   and one summary entry is written when the minute ends, so a hostile peer
   cannot grow the audit log (or the log on stderr) without bound. Allowed
   entries a peer can cause in bulk (subscribing and unsubscribing again
   and again, offers) go through a limiter of their own, the same way. The
   summary says how many of each kind were not recorded one by one. */
typedef struct {
    int64_t start;             /* window start, ms */
    int count;
    int suppressed;
    const char *decision;      /* of the entries counted: "refuse" (NULL) or "allow" */
    const char *kinds[RUN_LIMIT_KINDS]; /* what was suppressed, and how many of each */
    int counts[RUN_LIMIT_KINDS];
} limit_t;

typedef struct {
    store_peer_t info;
    void *dealer;
    void *monitor;
    int connected;
    int64_t retry_at;          /* earliest next attempt, ms */
    int64_t backoff_ms;
    out_xfer_t out;            /* one outgoing transfer per peer at a time */
    int64_t sub_retry_at;      /* resend requested SUBSCRIBEs after */
    uint64_t sub_scan;         /* the scan that last sent them */
    char sub_wait[RUN_SUB_WAIT][129]; /* topics of SUBSCRIBEs sent and not answered, oldest first */
    int sub_waiting;
    int sub_again;             /* ask for refused subscriptions again now, not when due */
    limit_t refusals;          /* audit entries for refusals of its messages */
    limit_t allowed;           /* audit entries for what it may do in bulk */
    int64_t corrupt_start;     /* window of chunks from it that failed, ms */
    int corrupt;               /* how many in that window */
    int64_t cut_until;         /* its offers are refused until then, ms */
    const char *barred;        /* rule that bars it (revoked, expired), or NULL */
    int admitted;              /* its first admission by ZAP was recorded */
    int held_noted;            /* holding its deliveries was recorded */
    int64_t heard_at;          /* a message from it last recorded it as seen, ms */
} peer_t;

typedef struct {
    int active;
    char dataset[33];
    uint8_t dsid[16];
    char publisher[17];
    char topic[129];
    int64_t version;
    uint8_t routing[256];
    size_t routing_len;
    int fd;
    cx_content_t *key;
    cx_hash_t *hash;
    node_hasher_t *hasher;     /* may be updating HASH */
    uint8_t want[32];
    int64_t next, durable, chunks, chunk_size, bytes;
    uint32_t owed;
    int64_t last_activity;
    char agreement[65];        /* the agreement the policy accepted it under */
    int64_t until;
    int64_t session_ms;        /* when this node accepted the current attempt, ms */
    int64_t session_from;      /* ... from which chunk */
    int64_t logged_ms;         /* progress last logged, ms */
    int64_t logged_next;
} in_xfer_t;

/* A transfer this node refused with INTERNAL while chunks of it were in
   flight: those chunks are dropped without an answer (the publisher has its
   ERROR already, and more would only be noise, or end its next attempt),
   up to RUN_DROP_CHUNKS of them within RUN_TIMEOUT_MS, or until it offers
   the dataset again. */
typedef struct {
    uint8_t dsid[16];
    char publisher[17];
    int left;
    int64_t until;             /* ms */
} in_drop_t;

typedef struct {
    node_t *n;
    void *ctx, *router, *zap;
    int kick;                  /* local datagram socket CLI commands nudge */
    peer_t **peers;
    size_t npeers;
    in_xfer_t in[RUN_MAX_IN];
    in_drop_t drops[RUN_MAX_DROPS];
    size_t drop_next;          /* the slot to reuse next */
    uint8_t *scratch;          /* one plaintext chunk, free to decrypt into */
    uint8_t *spare;            /* the other: the hasher may be reading it */
    node_hasher_t *hasher;     /* hashes received plaintext beside the loop */
    int64_t scan_at;           /* next time to look at pending work, ms */
    limit_t zap_refusals;      /* audit entries for refused connections */
    int64_t inflight;          /* chunks sent, not yet consumed, all peers */
    size_t pump_next;          /* round-robin start for s_pump_all */
    int64_t recheck_at;        /* next look at the agreements of running transfers, ms */
    int64_t abandon_at;        /* next look for abandoned incoming transfers, ms */
    char actor[80];
    int authority;             /* this node trusts an authority: it passes directories on */
    uint64_t dir_serial;       /* serial of the directory held, 0 if none */
    int64_t progress_at;       /* next look at the progress of running transfers, ms */
    int64_t seen_at;           /* next refresh of connected peers' last seen, ms */
} run_t;

typedef struct {
    uint8_t routing[256];
    size_t routing_len;
    char org[17];              /* authenticated by ZAP */
    peer_t *peer;
} origin_t;

static void s_recheck (run_t *r);
static int s_push_agreement (const store_agreement_t *a, void *arg);

/* ---- small helpers ---------------------------------------------------------- */

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_schedule (run_t *r, int64_t at)
{
    if (r->scan_at == 0 || at < r->scan_at)
        r->scan_at = at;
}

static peer_t *s_peer (run_t *r, const char *org)
{
    for (size_t i = 0; i < r->npeers; i++)
        if (strcmp (r->peers[i]->info.org, org) == 0)
            return r->peers[i];
    return NULL;
}

static void s_peer_actor (const peer_t *p, char *buf, size_t cap)
{
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (p->info.sign_pk, fpr);          /* the fingerprint people compare */
    snprintf (buf, cap, "peer:%s:%s", p->info.org, fpr);
}

static void s_backoff (run_t *r, peer_t *p)
{
    if (p->backoff_ms < RUN_BACKOFF_MIN_MS)
        p->backoff_ms = RUN_BACKOFF_MIN_MS;
    else
        p->backoff_ms *= 2;
    if (p->backoff_ms > RUN_BACKOFF_MAX_MS)
        p->backoff_ms = RUN_BACKOFF_MAX_MS;
    uint32_t rnd;
    cx_random (&rnd, sizeof rnd);
    int64_t jitter = (int64_t) (rnd % (uint32_t) (p->backoff_ms / 4 + 1));
    p->retry_at = s_now_ms () + p->backoff_ms + jitter;
    s_schedule (r, p->retry_at);
}

/* Writes the summary of a finished window, if anything was suppressed:
   how many entries, of which kinds. */
static void s_limit_flush (run_t *r, limit_t *l, const char *who, int64_t now)
{
    if (l->suppressed > 0 && now - l->start >= RUN_LIMIT_WINDOW_MS) {
        char kinds[200] = "";
        for (int i = 0; i < RUN_LIMIT_KINDS && l->kinds[i]; i++) {
            size_t len = strlen (kinds);
            snprintf (kinds + len, sizeof kinds - len, "%s%d %s", i ? ", " : "", l->counts[i], l->kinds[i]);
            l->kinds[i] = NULL;
            l->counts[i] = 0;
        }
        const char *decision = l->decision ? l->decision : "refuse";
        node_audit (r->n, "node", decision, "summary", who, decision, "audit.rate-limit",
                    "%d further %s of %s in one minute not recorded one by one: %s", l->suppressed,
                    l->decision ? "entries" : "refusal(s)", *who ? who : "unknown keys", kinds);
        node_log (r->n, "warn", "%d further %s of %s not recorded one by one: %s", l->suppressed,
                  l->decision ? "entries" : "refusal(s)", *who ? who : "unknown keys", kinds);
        l->suppressed = 0;
    }
}

/* 1 if this entry (of KIND, for a summary: "subscription(s)") is to be
   recorded on its own, 0 if only counted. DECISION: "refuse" or "allow",
   always the same for one limiter. */
static int s_limit_take (run_t *r, limit_t *l, const char *who, const char *decision, const char *kind)
{
    int64_t now = s_now_ms ();
    l->decision = strcmp (decision, "refuse") == 0 ? NULL : decision;
    if (now - l->start >= RUN_LIMIT_WINDOW_MS) {
        s_limit_flush (r, l, who, now);
        l->start = now;
        l->count = 0;
    }
    if (l->count < RUN_REFUSALS_PER_MIN) {
        l->count++;
        return 1;
    }
    if (l->suppressed++ == 0)
        s_schedule (r, l->start + RUN_LIMIT_WINDOW_MS);
    int i = 0;
    while (i < RUN_LIMIT_KINDS - 1 && l->kinds[i] && strcmp (l->kinds[i], kind) != 0)
        i++;
    if (l->kinds[i] && strcmp (l->kinds[i], kind) != 0)
        kind = "other";                      /* more kinds than slots: the last one counts the rest */
    l->kinds[i] = kind;
    l->counts[i]++;
    return 0;
}

/* 1 if this refusal is to be recorded on its own, 0 if only counted. */
static int s_limit_pass (run_t *r, limit_t *l, const char *who)
{
    return s_limit_take (r, l, who, "refuse", "refusal(s)");
}

/* Summaries of every window that has ended by NOW (INT64_MAX: every
   window, when the node stops, so that nothing counted goes unrecorded). */
static void s_limits_flush (run_t *r, int64_t now)
{
    s_limit_flush (r, &r->zap_refusals, "", now);
    for (size_t i = 0; i < r->npeers; i++) {
        s_limit_flush (r, &r->peers[i]->refusals, r->peers[i]->info.org, now);
        s_limit_flush (r, &r->peers[i]->allowed, r->peers[i]->info.org, now);
    }
}

/* Encodes M and sends it on SOCK, after ROUTING (if any) and before PAYLOAD
   (if any; the zmq message is consumed). 0 or -1 (peer not reachable). */
static int s_send (run_t *r, void *sock, const uint8_t *routing, size_t routing_len,
                   const proto_msg_t *m, zmq_msg_t *payload)
{
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;
    if (proto_encode (m, buf, sizeof buf, &len) != 0) {
        node_log (r->n, "error", "cannot encode %s: %s", proto_name (m->id), proto_error ());
        if (payload)
            zmq_msg_close (payload);
        return -1;
    }
    if (routing && zmq_send (sock, routing, routing_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        goto fail;
    if (zmq_send (sock, buf, len, ZMQ_DONTWAIT | (payload ? ZMQ_SNDMORE : 0)) < 0)
        goto fail;
    if (payload && zmq_msg_send (payload, sock, ZMQ_DONTWAIT) < 0)
        goto fail;
    return 0;
fail:
    if (payload)
        zmq_msg_close (payload);
    return -1;
}

static int s_reply_error (run_t *r, const origin_t *o, proto_err_t code, const uint8_t *dsid,
                          const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
static int s_reply_error (run_t *r, const origin_t *o, proto_err_t code, const uint8_t *dsid,
                          const char *fmt, ...)
{
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_ERROR;
    m.code = code;
    if (dsid)
        memcpy (m.dataset, dsid, sizeof m.dataset);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (m.reason, sizeof m.reason, fmt, ap);
    va_end (ap);
    return s_send (r, r->router, o->routing, o->routing_len, &m, NULL);
}

/* ---- progress and presence: what listings and the log show ------------------

   The loop keeps transfers' progress in memory; people see it through the
   store (cdx deliveries, cdx wait) and the log. A transfer's row is
   written at most once every RUN_PROGRESS_MS, from the timers, never per
   chunk; a transfer that has run RUN_PROGRESS_LOG_MS is logged that often
   until it ends. Rates count this attempt's bytes only, not those a
   resumed transfer had already. Peers: whether the connection is up, and
   when it last came up, went down or was seen up (every RUN_SEEN_MS). */

static void s_progress_soon (run_t *r)
{
    int64_t at = s_now_ms () + RUN_PROGRESS_MS;
    if (!r->progress_at || at < r->progress_at)
        r->progress_at = at;
}

/* An attempt starts sending (ACCEPT): its rate counts from here. */
static void s_out_session (run_t *r, out_xfer_t *x)
{
    x->session_ms = x->logged_ms = x->moved_ms = s_now_ms ();
    x->session_from = x->logged_acked = x->acked;
    x->noted_ms = 0;
    s_progress_soon (r);
}

/* "12.0 of 64.0 MiB (18%), 2.1 MiB/s, ETA 25 s", or the stall, into BUF. */
static void s_progress_words (int64_t done, int64_t total, int64_t session_bytes, int64_t session_ms,
                              int64_t still_ms, char *buf, size_t cap)
{
    double rate = session_ms > 0 ? (double) session_bytes * 1000.0 / (double) session_ms : 0;
    int len = snprintf (buf, cap, "%.1f of %.1f MiB (%.0f%%), %.2f MiB/s this attempt", (double) done / 1048576.0,
                        (double) total / 1048576.0, total > 0 ? 100.0 * (double) done / (double) total : 100.0,
                        rate / 1048576.0);
    if (len < 0 || (size_t) len >= cap)
        return;
    if (still_ms >= NODE_STALL_MS)
        snprintf (buf + len, cap - (size_t) len, ", no progress for %lld s", (long long) (still_ms / 1000));
    else if (rate > 0)
        snprintf (buf + len, cap - (size_t) len, ", ETA %.0f s", (double) (total - done) / rate);
}

static int64_t s_bytes_of (int64_t chunks, int64_t chunk_size, int64_t bytes)
{
    int64_t done = chunks * chunk_size;
    return done < bytes ? done : bytes;
}

static void s_out_progress (run_t *r, peer_t *p, int64_t now)
{
    out_xfer_t *x = &p->out;
    if (!x->dataset[0] || !x->session_ms || (x->state != OUT_SENDING && x->state != OUT_AWAIT_RECEIPT))
        return;
    int64_t done = s_bytes_of (x->acked, x->chunk_size, x->bytes);
    int64_t session = done - s_bytes_of (x->session_from, x->chunk_size, x->bytes);
    if (now - x->noted_ms >= RUN_PROGRESS_MS) {
        store_delivery_t d;
        memset (&d, 0, sizeof d);
        snprintf (d.dataset, sizeof d.dataset, "%s", x->dataset);
        snprintf (d.subscriber, sizeof d.subscriber, "%s", p->info.org);
        d.next_chunk = x->acked;
        d.session_bytes = session > 0 ? session : 0;
        d.session_ms = (x->moved_ms > x->session_ms ? x->moved_ms : now) - x->session_ms;
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        d.progress_at = (int64_t) ts.tv_sec * 1000 - (now - x->moved_ms) + ts.tv_nsec / 1000000;
        if (store_delivery_progress (r->n->store, &d) != 0)
            node_log (r->n, "error", "cannot record progress: %s", store_error (r->n->store));
        x->noted_ms = now;
    }
    if (now - x->logged_ms >= RUN_PROGRESS_LOG_MS) {
        char words[160];
        s_progress_words (done, x->bytes, session, x->moved_ms - x->session_ms, now - x->moved_ms, words,
                          sizeof words);
        node_log (r->n, "info", "sending %s v%lld (%s) to %s: %s", x->topic, (long long) x->version, x->dataset,
                  p->info.org, words);
        x->logged_ms = now;
    }
}

static void s_in_progress (run_t *r, in_xfer_t *x, int64_t now)
{
    if (!x->session_ms || now - x->logged_ms < RUN_PROGRESS_LOG_MS)
        return;
    int64_t done = s_bytes_of (x->next, x->chunk_size, x->bytes);
    int64_t session = done - s_bytes_of (x->session_from, x->chunk_size, x->bytes);
    char words[160];
    s_progress_words (done, x->bytes, session, x->last_activity - x->session_ms, now - x->last_activity, words,
                      sizeof words);
    node_log (r->n, "info", "receiving %s v%lld (%s) from %s: %s", x->topic, (long long) x->version, x->dataset,
              x->publisher, words);
    x->logged_ms = now;
    x->logged_next = x->next;
}

/* Called from the timers: records and logs the progress of every running
   transfer that is due, and says when to look again. */
static void s_progress_tick (run_t *r, int64_t now)
{
    if (!r->progress_at || now < r->progress_at)
        return;
    int busy = 0;
    for (size_t i = 0; i < r->npeers; i++) {
        s_out_progress (r, r->peers[i], now);
        busy |= r->peers[i]->out.dataset[0] && r->peers[i]->out.session_ms;
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active) {
            s_in_progress (r, &r->in[i], now);
            busy = 1;
        }
    r->progress_at = busy ? now + RUN_PROGRESS_MS : 0;
}

/* Why queued delivery D waits, as the scheduler knows it, recorded when
   it changes ("" once it starts). */
static void s_note_wait (run_t *r, const store_delivery_t *d, const char *status)
{
    if (strcmp (d->status, status) != 0 &&
        store_delivery_status (r->n->store, d->dataset, d->subscriber, status) != 0)
        node_log (r->n, "error", "cannot record why a delivery waits: %s", store_error (r->n->store));
}

static void s_seen (run_t *r, peer_t *p, int connected)
{
    if (store_peer_seen (r->n->store, p->info.org, connected, (int64_t) time (NULL)) != 0)
        node_log (r->n, "error", "cannot record peer %s as %sconnected: %s", p->info.org, connected ? "" : "not ",
                  store_error (r->n->store));
    if (connected && !r->seen_at)
        r->seen_at = s_now_ms () + RUN_SEEN_MS;
}

/* A message from P on our ROUTER: it was seen, even when our own
   connection to it is not up (yet, or any more); recorded at most once a
   RUN_SEEN_MS. */
static void s_heard (run_t *r, peer_t *p)
{
    int64_t now = s_now_ms ();
    if (p->heard_at && now < p->heard_at + RUN_SEEN_MS)
        return;
    p->heard_at = now;
    s_seen (r, p, p->connected);
}

/* Connected peers were seen up now; at a stop (STOPPING), for the last time. */
static void s_seen_tick (run_t *r, int64_t now, int stopping)
{
    if (!stopping && (!r->seen_at || now < r->seen_at))
        return;
    int any = 0;
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected) {
            s_seen (r, r->peers[i], !stopping);
            any = 1;
        }
    r->seen_at = any && !stopping ? now + RUN_SEEN_MS : 0;
}

/* ---- peers and their DEALER sockets ------------------------------------ */

static int s_peer_connect (run_t *r, peer_t *p)
{
    p->dealer = zmq_socket (r->ctx, ZMQ_DEALER);
    if (!p->dealer)
        return -1;
    int one = 1, zero = 0, hb = RUN_HEARTBEAT_MS, hbt = RUN_HEARTBEAT_MS * 3, ivl = 100,
        ivlmax = 5000;
    /* Replies are small, except a DIRECTORY (section 11.3 of SPEC.md). */
    int64_t maxmsg = CERT_DIR_MAX_BYTES + RUN_CURVE_OVERHEAD;
    zmq_setsockopt (p->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (p->dealer, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt (p->dealer, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt (p->dealer, ZMQ_HEARTBEAT_TIMEOUT, &hbt, sizeof hbt);
    zmq_setsockopt (p->dealer, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt (p->dealer, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof ivlmax);
    zmq_setsockopt (p->dealer, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt (p->dealer, ZMQ_CURVE_SERVERKEY, p->info.curve_pk, 32);
    zmq_setsockopt (p->dealer, ZMQ_CURVE_PUBLICKEY, cx_keypair_public (r->n->curve), 32);
    zmq_setsockopt (p->dealer, ZMQ_CURVE_SECRETKEY, cx_keypair_secret (r->n->curve), 32);
    char mon[64];
    static unsigned s_mon_seq;
    snprintf (mon, sizeof mon, "inproc://cdx-monitor-%u", ++s_mon_seq);
    if (zmq_socket_monitor (p->dealer, mon,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
        return -1;
    p->monitor = zmq_socket (r->ctx, ZMQ_PAIR);
    if (!p->monitor || zmq_connect (p->monitor, mon) != 0)
        return -1;
    zmq_setsockopt (p->monitor, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect (p->dealer, p->info.endpoint) != 0) {
        node_log (r->n, "error", "peer %s: cannot connect to %s: %s", p->info.org, p->info.endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

static void s_out_release (run_t *r, out_xfer_t *x)
{
    if (x->dataset[0] && x->next > x->acked)
        r->inflight -= x->next - x->acked;     /* no longer ours to count */
    if (x->fd >= 0)
        close (x->fd);
    memset (x, 0, sizeof *x);
    x->fd = -1;
    x->state = OUT_QUEUED;
}

static void s_peer_close (run_t *r, peer_t *p)
{
    if (p->monitor)
        zmq_close (p->monitor);
    if (p->dealer)
        zmq_close (p->dealer);
    p->monitor = p->dealer = NULL;
    s_out_release (r, &p->out);
}

static void s_delivery_note (run_t *r, peer_t *p, const char *state, const char *error,
                             int count_attempt);

/* A peer the authority revoked, or whose certificate ended: its DEALER is
   closed (nothing more is sent to it), a transfer to it in progress is put
   back in line with the reason, and the event is audited once. */
static void s_peer_bar (run_t *r, peer_t *p, const char *rule)
{
    int had = p->dealer != NULL;
    if (p->out.dataset[0])
        s_delivery_note (r, p, "queued", "held: the peer's certificate is revoked or has ended", 0);
    s_peer_close (r, p);
    if (p->connected)
        s_seen (r, p, 0);
    p->connected = 0;
    if (p->barred && strcmp (p->barred, rule) == 0)
        return;
    p->barred = rule;
    char actor[80];
    s_peer_actor (p, actor, sizeof actor);
    node_audit (r->n, actor, "disconnect", "peer", p->info.org, "refuse", rule,
                "%s is barred (%s): %sno data is sent to it or accepted from it; deliveries to it are held",
                p->info.org, strcmp (rule, "trust.revoked") == 0 ? "revoked by the authority" : "certificate ended",
                had ? "its connection closed; " : "");
    node_log (r->n, "warn", "peer %s barred (%s)", p->info.org, rule);
}

static int s_load_peer (const store_peer_t *info, void *arg)
{
    run_t *r = arg;
    peer_t *p = s_peer (r, info->org);
    const char *rule = NULL;
    int barred = node_peer_barred (info, (int64_t) time (NULL), &rule);
    if (p && memcmp (p->info.curve_pk, info->curve_pk, 32) == 0 &&
        strcmp (p->info.endpoint, info->endpoint) == 0 && (barred || p->dealer)) {
        p->info = *info;
        if (barred)
            s_peer_bar (r, p, rule);
        return 0;
    }
    if (p) {                                  /* card replaced: reconnect */
        s_peer_close (r, p);
        if (p->connected)
            s_seen (r, p, 0);
    } else {
        peer_t **grown = realloc (r->peers, (r->npeers + 1) * sizeof *grown);
        if (!grown)
            return -2;                        /* out of memory: s_reload_peers says so */
        r->peers = grown;
        p = calloc (1, sizeof *p);
        if (!p)
            return -2;
        r->peers[r->npeers++] = p;
    }
    p->info = *info;
    p->out.fd = -1;
    p->connected = 0;
    p->retry_at = 0;
    p->backoff_ms = 0;
    p->held_noted = 0;
    if (barred) {
        s_peer_bar (r, p, rule);
        return 0;
    }
    p->barred = NULL;
    if (s_peer_connect (r, p) != 0)
        node_log (r->n, "error", "peer %s: cannot set up its socket", info->org);
    else
        node_log (r->n, "info", "peer %s (%s) at %s", info->org, info->name, info->endpoint);
    return 0;
}

static void s_reload_peers (run_t *r)
{
    int rc = store_peer_each (r->n->store, s_load_peer, r);
    if (rc < 0)
        node_log (r->n, "error", "cannot load peers: %s",
                  rc == -2 ? "out of memory" : store_error (r->n->store));
}

/* ---- ZAP: who may connect ------------------------------------------------ */

static void s_zap_reply (void *zap, const char *request_id, size_t idlen, const char *status,
                         const char *text, const char *user)
{
    zmq_send (zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (zap, request_id, idlen, ZMQ_SNDMORE);
    zmq_send (zap, status, strlen (status), ZMQ_SNDMORE);
    zmq_send (zap, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (zap, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (zap, "", 0, 0);
}

static void s_handle_zap (run_t *r)
{
    /* Frames: version, request id, domain, address, routing id, mechanism,
       credentials (the client's CURVE public key). */
    char frames[7][256];
    int sizes[7] = {0};
    int count = 0, more = 1;
    while (more) {
        char buf[256];
        int size = zmq_recv (r->zap, buf, sizeof buf, 0);
        if (size < 0)
            return;
        if (count < 7) {
            int keep = size < (int) sizeof buf ? size : (int) sizeof buf;
            memcpy (frames[count], buf, (size_t) keep);
            sizes[count] = keep;
        }
        count++;
        size_t optlen = sizeof more;
        zmq_getsockopt (r->zap, ZMQ_RCVMORE, &more, &optlen);
    }
    if (count < 2)
        return;
    char address[64] = "";
    if (count > 3)
        snprintf (address, sizeof address, "%.*s", sizes[3] < 63 ? sizes[3] : 63, frames[3]);
    if (count != 7 || sizes[0] != 3 || memcmp (frames[0], "1.0", 3) != 0 || sizes[5] != 5 ||
        memcmp (frames[5], "CURVE", 5) != 0 || sizes[6] != 32) {
        s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "400", "CURVE required", "");
        if (s_limit_pass (r, &r->zap_refusals, ""))
            node_audit (r->n, "node", "connect", "transport", "", "refuse", "zap.mechanism",
                    "connection from %s without CURVE refused", address);
        return;
    }
    store_peer_t peer;
    int found = store_peer_by_curve (r->n->store, (const uint8_t *) frames[6], &peer);
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint ((const uint8_t *) frames[6], fpr);
    char actor[64];
    snprintf (actor, sizeof actor, "key:%s", fpr);
    const char *rule = NULL;
    if (found == 0 && node_peer_barred (&peer, (int64_t) time (NULL), &rule)) {
        s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "400",
                     strcmp (rule, "trust.revoked") == 0 ? "revoked" : "certificate ended", "");
        if (!s_limit_pass (r, &r->zap_refusals, ""))
            return;
        char until[32];
        time_t t = (time_t) (strcmp (rule, "trust.revoked") == 0 ? peer.revoked : peer.not_after);
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
        node_log (r->n, "warn", "refused connection from %s (%s): %s", peer.org, address, rule);
        node_audit (r->n, actor, "connect", "transport", peer.org, "refuse", rule,
                    "connection from %s refused: %s's %s at %s", address, peer.org,
                    strcmp (rule, "trust.revoked") == 0 ? "key was revoked by the authority" : "certificate ended",
                    until);
        return;
    }
    if (found == 0) {
        s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "200", "OK", peer.org);
        peer_t *p = s_peer (r, peer.org);
        if (p && !p->admitted) {                /* once per peer and run: how it was trusted */
            p->admitted = 1;
            node_audit (r->n, actor, "connect", "transport", peer.org, "allow",
                        strcmp (peer.trust, "certified") == 0 ? "trust.certified" : "trust.pinned",
                        "%s admitted from %s (%s%s%s)", peer.org, address,
                        strcmp (peer.trust, "certified") == 0 ? "certified by the authority, DSPT " : "pinned by hand",
                        strcmp (peer.trust, "certified") == 0 ? peer.dspt : "",
                        "");
        }
        return;
    }
    uint8_t apk[32];
    int has_authority = node_authority_key (r->n, apk, NULL, 0) == 0;
    s_zap_reply (r->zap, frames[1], (size_t) sizes[1], "400", "unknown key", "");
    if (!s_limit_pass (r, &r->zap_refusals, ""))
        return;
    node_log (r->n, "warn", "refused connection from %s: CURVE key %s is not a known peer", address, fpr);
    if (has_authority)
        node_audit (r->n, actor, "connect", "transport", "", "refuse", "trust.uncertified",
                    "connection from %s refused: CURVE key %s has no certificate in the authority's directory and "
                    "was not pinned by hand", address, fpr);
    else
        node_audit (r->n, actor, "connect", "transport", "", "refuse", "zap.unknown-key",
                    "connection from %s refused: CURVE key %s belongs to no added peer", address, fpr);
}

/* ---- outgoing deliveries: the state machine ----------------------------- */

typedef out_state_t (out_action_fn) (run_t *r, peer_t *p, const proto_msg_t *m);

static void s_delivery_note (run_t *r, peer_t *p, const char *state, const char *error,
                             int count_attempt)
{
    store_delivery_t d;
    if (store_delivery_get (r->n->store, p->out.dataset, p->info.org, &d) != 0)
        return;
    snprintf (d.state, sizeof d.state, "%s", state);
    snprintf (d.error, sizeof d.error, "%s", error ? error : "");
    d.next_chunk = p->out.acked;
    if (strcmp (state, "sending") != 0)
        d.started = 0;
    if (count_attempt)
        d.attempts++;
    if (store_delivery_update (r->n->store, &d) != 0)
        node_log (r->n, "error", "cannot record delivery: %s", store_error (r->n->store));
}

static out_state_t s_out_fail (run_t *r, peer_t *p, const char *rule, int fatal, const char *why)
{
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", p->out.topic, (long long) p->out.version,
              p->out.dataset);
    s_peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "delivery of %s to %s %s: %s", p->out.dataset, p->info.org,
              fatal ? "failed" : "interrupted", why);
    node_audit (r->n, actor, "send", object, p->info.org, "refuse", rule, "%s%s", why,
                fatal ? "" : "; will retry");
    s_delivery_note (r, p, fatal ? "failed" : "queued", why, 0);
    s_out_release (r, &p->out);
    s_backoff (r, p);
    return OUT_QUEUED;
}

/* The policy refused this delivery: it fails for good, with the rule. */
static out_state_t s_out_deny (run_t *r, peer_t *p, const char *purpose, const policy_decision_t *dec)
{
    char object[129], actor[80], why[320];
    snprintf (object, sizeof object, "%s v%lld %s", p->out.topic, (long long) p->out.version, p->out.dataset);
    snprintf (why, sizeof why, "%s: %s", dec->rule, dec->reason);
    s_peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "delivery of %s to %s refused by policy: %s", p->out.dataset, p->info.org, why);
    node_audit_purpose (r->n, actor, "send", object, p->info.org, purpose, "refuse", dec->rule, "%s",
                        dec->reason);
    s_delivery_note (r, p, "failed", why, 0);
    s_out_release (r, &p->out);
    s_schedule (r, s_now_ms ());
    return OUT_QUEUED;
}

/* The agreement a running delivery was allowed under, looked at again:
   0 if still in force, else the refusal in DEC. */
static int s_agreement_holds (run_t *r, const char *ref, int64_t until, policy_decision_t *dec)
{
    int64_t now = (int64_t) time (NULL);
    memset (dec, 0, sizeof *dec);
    snprintf (dec->agreement, sizeof dec->agreement, "%s", ref);
    if (now >= until) {
        snprintf (dec->rule, sizeof dec->rule, "policy.agreement-expired");
        snprintf (dec->reason, sizeof dec->reason, "agreement %s expired during the transfer", ref);
        return -1;
    }
    store_agreement_t *a = malloc (sizeof *a);
    int revoked = a && store_agreement_get (r->n->store, ref, a) == 0 && a->revoked;
    if (revoked) {
        snprintf (dec->rule, sizeof dec->rule, "policy.agreement-revoked");
        snprintf (dec->reason, sizeof dec->reason, "agreement %s was revoked by %s during the transfer: %s", ref,
                  a->revoked_by, a->reason);
    }
    free (a);
    return revoked ? -1 : 0;
}

/* The policy asked again at the last moment, about dataset D going from
   PROVIDER to RECIPIENT: what its stored manifest says, against the
   agreements and peers as the store holds them now. The caller holds the
   store's write transaction (BEGIN IMMEDIATE), so no revocation can land
   between this decision and the change it allows. The decision in DEC. */
static void s_decide_again (run_t *r, policy_stage_t stage, const store_dataset_t *d, const char *provider,
                            const char *recipient, policy_decision_t *dec)
{
    proto_manifest_t man;
    if (proto_manifest_decode (d->manifest, d->manifest_len, &man) != PROTO_OK) {
        memset (dec, 0, sizeof *dec);
        snprintf (dec->rule, sizeof dec->rule, "policy.error");
        snprintf (dec->reason, sizeof dec->reason, "the stored manifest of %s does not decode", d->id);
        return;
    }
    policy_request_t q = {stage, provider, recipient, d->topic, d->class_, d->purpose,
                          man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decide (r->n->store, &q, dec);
}

static out_state_t s_out_pump (run_t *r, peer_t *p)
{
    out_xfer_t *x = &p->out;
    if (x->until && (int64_t) time (NULL) >= x->until) {
        policy_decision_t dec;
        s_agreement_holds (r, x->agreement, x->until, &dec);
        return s_out_deny (r, p, x->purpose, &dec);
    }
    while (x->credit > 0 && x->next < x->chunks && r->inflight < RUN_INFLIGHT_MAX) {
        int64_t want = x->chunk_size;
        if (x->next == x->chunks - 1)
            want = x->bytes - x->chunk_size * (x->chunks - 1);
        size_t slen = (size_t) want + CX_CHUNK_ABYTES;
        zmq_msg_t payload;
        if (zmq_msg_init_size (&payload, slen) != 0)
            return s_out_fail (r, p, "node.memory", 0, "out of memory");
        ssize_t got = pread (x->fd, zmq_msg_data (&payload), slen, node_chunk_offset (x->chunk_size, x->next));
        if (got != (ssize_t) slen) {
            zmq_msg_close (&payload);
            return s_out_fail (r, p, "store.content", 1, "stored content is missing or short");
        }
        proto_msg_t m;
        memset (&m, 0, sizeof m);
        m.id = PROTO_CHUNK;
        memcpy (m.dataset, x->dsid, 16);
        m.number = (uint64_t) x->next;
        if (s_send (r, p->dealer, NULL, 0, &m, &payload) != 0)
            return s_out_fail (r, p, "transport.send", 0, "peer not reachable");
        x->next++;
        x->credit--;
        r->inflight++;
    }
    x->deadline = s_now_ms () + RUN_TIMEOUT_MS;
    return x->next >= x->chunks ? OUT_AWAIT_RECEIPT : OUT_SENDING;
}

static out_state_t s_out_offer (run_t *r, peer_t *p, const proto_msg_t *unused)
{
    (void) unused;
    out_xfer_t *x = &p->out;
    store_dataset_t *d = malloc (sizeof *d);
    if (!d)
        return s_out_fail (r, p, "node.memory", 0, "out of memory");
    out_state_t next = OUT_OFFERED;
    if (store_dataset_get (r->n->store, x->dataset, d) != 0) {
        next = s_out_fail (r, p, "store.dataset", 1, "dataset not found in the store");
        goto out;
    }
    memcpy (x->hash, d->hash, 32);
    snprintf (x->topic, sizeof x->topic, "%s", d->topic);
    x->version = d->version;
    x->chunks = d->chunks;
    x->chunk_size = d->chunk_size;
    x->bytes = d->bytes;
    x->next = 0;
    x->credit = 0;
    if (cx_unhex (d->id, x->dsid, 16) != 0) {
        next = s_out_fail (r, p, "store.dataset", 1, "corrupt dataset id");
        goto out;
    }
    char path[NODE_PATH_MAX];
    node_data_path (r->n, d->id, path, sizeof path);
    x->fd = open (path, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) {
        next = s_out_fail (r, p, "store.content", 1, "stored content is missing");
        goto out;
    }
    proto_manifest_t man;
    if (proto_manifest_decode (d->manifest, d->manifest_len, &man) != PROTO_OK) {
        next = s_out_fail (r, p, "store.dataset", 1, "stored manifest does not decode");
        goto out;
    }
    policy_request_t q = {POLICY_SEND, r->n->self.org, p->info.org, d->topic, d->class_, d->purpose,
                          man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (r->n->store, &q, &dec);
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long) d->version, d->id);
    s_peer_actor (p, actor, sizeof actor);
    if (!dec.allow) {
        next = s_out_deny (r, p, d->purpose, &dec);
        goto out;
    }
    snprintf (x->agreement, sizeof x->agreement, "%s", dec.agreement);
    snprintf (x->purpose, sizeof x->purpose, "%s", d->purpose);
    x->until = dec.until;
    cx_content_t *key = node_content_key (r->n, d);
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_OFFER;
    memcpy (m.dataset, x->dsid, 16);
    memcpy (m.doc, d->manifest, d->manifest_len);
    m.doc_len = d->manifest_len;
    memcpy (m.sig, d->sig, 64);
    int wrapped = key ? cx_content_wrap (key, p->info.box_pk, m.wrapped) : -1;
    cx_content_destroy (&key);
    if (wrapped != 0) {
        next = s_out_fail (r, p, "crypto.wrap", 1, "cannot wrap the content key for the recipient");
        goto out;
    }
    /* The decision is on record before it takes effect: no OFFER leaves
       whose allowing entry could not be written. */
    if (node_audit_purpose (r->n, actor, "offer", object, p->info.org, d->purpose, "allow", dec.rule,
                            "offered %lld bytes (%s, purpose %s) to subscriber %s %s", (long long) d->bytes,
                            d->class_, d->purpose, p->info.org, dec.reason) != 0) {
        next = s_out_fail (r, p, "audit.write", 0, "cannot write the audit log: offer held back");
        goto out;
    }
    if (s_send (r, p->dealer, NULL, 0, &m, NULL) != 0) {
        next = s_out_fail (r, p, "transport.send", 0, "peer not reachable");
        goto out;
    }
    x->deadline = s_now_ms () + RUN_TIMEOUT_MS;
    s_delivery_note (r, p, "sending", NULL, 1);
    node_log (r->n, "info", "offered %s v%lld (%s, %lld bytes) to %s", d->topic, (long long) d->version,
              d->id, (long long) d->bytes, p->info.org);
out:
    free (d);
    return next;
}

static out_state_t s_out_accept (run_t *r, peer_t *p, const proto_msg_t *m)
{
    out_xfer_t *x = &p->out;
    if (m->number > (uint64_t) x->chunks)
        return s_out_fail (r, p, "protocol.accept", 0, "ACCEPT asks for a chunk past the end");
    if (x->next == 0 && m->number > 0)
        node_log (r->n, "info", "%s resumes %s from chunk %" PRIu64 " of %lld", p->info.org, x->dataset,
                  m->number, (long long) x->chunks);
    if (x->next > x->acked)
        r->inflight -= x->next - x->acked;     /* a restart: those are gone */
    x->next = (int64_t) m->number;
    x->acked = x->next;
    x->credit = m->credit;
    store_delivery_t d;
    if (store_delivery_get (r->n->store, x->dataset, p->info.org, &d) == 0) {
        d.started = (int64_t) time (NULL);
        d.next_chunk = x->acked;
        store_delivery_update (r->n->store, &d);
    }
    s_out_session (r, x);
    return s_out_pump (r, p);
}

static out_state_t s_out_credit (run_t *r, peer_t *p, const proto_msg_t *m)
{
    out_xfer_t *x = &p->out;
    x->credit += m->credit;
    int64_t before = x->acked;
    x->acked += m->credit;
    if (x->acked > x->next)
        x->acked = x->next;
    r->inflight -= x->acked - before;
    if (x->acked > before)                      /* progress for listings: s_progress_tick */
        x->moved_ms = s_now_ms ();
    if (x->credit > 2 * PROTO_CREDIT_MAX)
        x->credit = 2 * PROTO_CREDIT_MAX;
    return s_out_pump (r, p);
}

static out_state_t s_out_ignore (run_t *r, peer_t *p, const proto_msg_t *m)
{
    (void) r;
    (void) m;
    return p->out.state;
}

/* A verified receipt RC for P's delivery came in, inside the caller's
   transaction: the policy decides again before it is recorded as
   delivered. 0 if it still allows; 1 if it refused, the delivery then
   failed with the rule and its entry written and committed here (the
   receipt is not taken as delivery: the entry says what the peer claimed);
   -1 if the store could not record that (the caller rolls back). */
static int s_out_decide_again (run_t *r, peer_t *p, const proto_receipt_t *rc)
{
    out_xfer_t *x = &p->out;
    store_t *st = r->n->store;
    store_dataset_t *d = malloc (sizeof *d);
    store_delivery_t *dl = malloc (sizeof *dl);
    int ret = -1;
    if (!d || !dl || store_dataset_get (st, x->dataset, d) != 0 ||
        store_delivery_get (st, x->dataset, p->info.org, dl) != 0)
        goto out;
    policy_decision_t dec;
    s_decide_again (r, POLICY_SEND, d, r->n->self.org, p->info.org, &dec);
    if (dec.allow) {
        ret = 0;
        goto out;
    }
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    s_peer_actor (p, actor, sizeof actor);
    snprintf (dl->state, sizeof dl->state, "failed");
    snprintf (dl->error, sizeof dl->error, "%s: %s", dec.rule, dec.reason);
    dl->started = 0;
    if (store_delivery_update (st, dl) != 0 ||
        node_audit_purpose (r->n, actor, "deliver", object, p->info.org, d->purpose, "refuse", dec.rule,
                            "%s; decided again when the receipt came: not recorded as delivered, although %s "
                            "signed a receipt for all %lld bytes (received at %lld)", dec.reason, p->info.org,
                            (long long) x->bytes, (long long) rc->received) != 0 ||
        store_commit (st) != 0)
        goto out;
    node_log (r->n, "warn", "delivery of %s to %s refused at its end: %s: %s", x->dataset, p->info.org, dec.rule,
              dec.reason);
    ret = 1;
out:
    free (d);
    free (dl);
    return ret;
}

static out_state_t s_out_receipt (run_t *r, peer_t *p, const proto_msg_t *m)
{
    out_xfer_t *x = &p->out;
    proto_receipt_t rc;
    if (proto_receipt_decode (m->doc, m->doc_len, &rc) != PROTO_OK)
        return s_out_fail (r, p, "receipt.format", 0, proto_error ());
    if (memcmp (rc.dataset, x->dsid, 16) != 0 || memcmp (rc.hash, x->hash, 32) != 0 ||
        strcmp (rc.recipient, p->info.org) != 0 || memcmp (rc.recipient_key, p->info.sign_pk, 32) != 0)
        return s_out_fail (r, p, "receipt.content", 0,
                           "receipt names another dataset, hash or recipient");
    if (cx_verify (p->info.sign_pk, m->doc, m->doc_len, m->sig) != 0)
        return s_out_fail (r, p, "receipt.signature", 0, "receipt signature does not verify");
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    s_peer_actor (p, actor, sizeof actor);
    char hashhex[65];
    cx_hex (x->hash, sizeof x->hash, hashhex);
    /* The receipt and its audit entry are one transaction: a delivery is
       never recorded without the entry, nor the entry without it. The
       policy decides again inside it, so a revocation here while the last
       chunks were on their way is honoured, never recorded as delivered. */
    store_t *st = r->n->store;
    if (store_begin (st) != 0)
        return s_out_fail (r, p, "store.write", 0, "cannot store the receipt");
    int refused = s_out_decide_again (r, p, &rc);
    if (refused != 0) {
        if (refused < 0) {
            store_rollback (st);
            return s_out_fail (r, p, "store.write", 0, "cannot record the refusal of the receipt");
        }
        s_out_release (r, x);
        s_schedule (r, s_now_ms ());
        return OUT_QUEUED;
    }
    if (store_delivery_receipt (st, x->dataset, p->info.org, m->doc, m->doc_len, m->sig) != 0 ||
        node_audit (r->n, actor, "deliver", object, p->info.org, "allow", "receipt.verified",
                    "%lld bytes delivered, blake2b %s; receipt signed by %s", (long long) x->bytes, hashhex,
                    p->info.org) != 0 ||
        store_commit (st) != 0) {
        node_log (r->n, "error", "cannot store receipt: %s", store_error (st));
        store_rollback (st);
        return s_out_fail (r, p, "store.write", 0, "cannot store the receipt");
    }
    node_log (r->n, "info", "delivered %s v%lld to %s (signed receipt stored)", x->topic,
              (long long) x->version, p->info.org);
    s_out_release (r, x);
    p->backoff_ms = 0;
    p->retry_at = 0;
    s_schedule (r, s_now_ms ());
    return OUT_QUEUED;
}

static out_state_t s_out_error (run_t *r, peer_t *p, const proto_msg_t *m)
{
    char why[400];
    snprintf (why, sizeof why, "%s refused with %s: %s", p->info.org, proto_err_name (m->code), m->reason);
    int fatal = m->code == PROTO_E_DENIED || m->code == PROTO_E_SIGNATURE || m->code == PROTO_E_HASH;
    store_delivery_t d;
    if (m->code == PROTO_E_CHUNK &&
        store_delivery_get (r->n->store, p->out.dataset, p->info.org, &d) == 0 &&
        d.attempts >= RUN_MAX_CORRUPT) {
        /* The same sealed bytes keep failing: our stored copy is damaged. */
        fatal = 1;
        snprintf (why + strlen (why), sizeof why - strlen (why),
                  " (%d attempts: the stored copy is damaged; publish it again)", (int) d.attempts);
    }
    return s_out_fail (r, p, "peer.error", fatal, why);
}

static out_state_t s_out_timeout (run_t *r, peer_t *p, const proto_msg_t *m)
{
    (void) m;
    return s_out_fail (r, p, "transport.timeout", 0, "no answer from the peer in time");
}

#define ANY OUT_STATES
static const struct {
    out_state_t state;
    out_event_t event;
    out_action_fn *action;
} s_out_table[] = {
    {OUT_QUEUED, EV_START, s_out_offer},
    {OUT_OFFERED, EV_ACCEPT, s_out_accept},
    {OUT_SENDING, EV_ACCEPT, s_out_accept},         /* receiver restarted its side */
    {OUT_AWAIT_RECEIPT, EV_ACCEPT, s_out_accept},
    {OUT_SENDING, EV_CREDIT, s_out_credit},
    {OUT_AWAIT_RECEIPT, EV_CREDIT, s_out_ignore},   /* credit for chunks already sent */
    {OUT_OFFERED, EV_RECEIPT, s_out_receipt},       /* it already had the dataset */
    {OUT_SENDING, EV_RECEIPT, s_out_receipt},
    {OUT_AWAIT_RECEIPT, EV_RECEIPT, s_out_receipt},
    {ANY, EV_ERROR, s_out_error},
    {ANY, EV_TIMEOUT, s_out_timeout},
};

static void s_out_event (run_t *r, peer_t *p, out_event_t ev, const proto_msg_t *m)
{
    out_state_t state = p->out.state;
    if (ev != EV_START && !p->out.dataset[0]) {
        node_log (r->n, "warn", "%s from %s with no delivery in progress: ignored", s_event_names[ev],
                  p->info.org);
        return;
    }
    for (size_t i = 0; i < sizeof s_out_table / sizeof s_out_table[0]; i++) {
        if ((s_out_table[i].state == state || s_out_table[i].state == ANY) && s_out_table[i].event == ev) {
            out_state_t next = s_out_table[i].action (r, p, m);
            if (p->out.dataset[0])
                p->out.state = next;
            return;
        }
    }
    node_log (r->n, "warn", "%s from %s in state %s: ignored", s_event_names[ev], p->info.org,
              s_out_state_names[state]);
}

/* ---- pending work: what to send or ask for next --------------------------- */

typedef struct {
    run_t *r;
    int64_t now;
    uint64_t id;
} scan_t;

/* A delivery that could not complete before its dataset's expiry is
   reported as expired; nothing is dropped silently. 1 if it expired. */
static int s_expire (run_t *r, const store_delivery_t *d, int64_t *expires)
{
    store_dataset_t *ds = malloc (sizeof *ds);
    if (!ds)
        return 0;
    int expired = 0;
    *expires = 0;
    if (store_dataset_get (r->n->store, d->dataset, ds) == 0 && ds->expires > 0) {
        *expires = ds->expires;
        if (ds->expires <= (int64_t) time (NULL)) {
            peer_t *p = s_peer (r, d->subscriber);
            if (p && strcmp (p->out.dataset, d->dataset) == 0)
                s_out_release (r, &p->out);
            store_delivery_t e = *d;
            snprintf (e.state, sizeof e.state, "expired");
            snprintf (e.error, sizeof e.error, "not delivered before the retention period ended");
            char object[129];
            snprintf (object, sizeof object, "%s v%lld %s", ds->topic, (long long) ds->version, ds->id);
            if (store_delivery_update (r->n->store, &e) == 0)
                node_audit (r->n, "node", "expire", object, d->subscriber, "refuse", "delivery.expired",
                            "delivery to %s did not complete before the dataset expired (%d attempts, last error: %s)",
                            d->subscriber, (int) d->attempts, d->error[0] ? d->error : "none");
            node_log (r->n, "warn", "delivery of %s to %s expired", d->dataset, d->subscriber);
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
        s_schedule (s->r, s->now + (left_ms < 3600000 ? left_ms : 3600000));
    }
    peer_t *p = s_peer (s->r, d->subscriber);
    if (p && p->barred) {                        /* held, not lost: it resumes if the peer is certified again */
        if (!p->held_noted) {
            p->held_noted = 1;
            store_delivery_t h = *d;
            snprintf (h.error, sizeof h.error, "held: %s is barred (%s)", p->info.org, p->barred);
            store_delivery_update (s->r->n->store, &h);
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
        s_schedule (s->r, p->retry_at);
        return 0;
    }
    s_note_wait (s->r, d, "");
    snprintf (p->out.dataset, sizeof p->out.dataset, "%s", d->dataset);
    p->out.state = OUT_QUEUED;
    p->out.fd = -1;
    s_out_event (s->r, p, EV_START, NULL);
    return 0;
}

static int s_scan_sub (const store_sub_t *sub, void *arg)
{
    scan_t *s = arg;
    int refused = strcmp (sub->state, "refused") == 0;
    if (strcmp (sub->subscriber, s->r->n->self.org) != 0 ||
        (strcmp (sub->state, "requested") != 0 && strcmp (sub->state, "ending") != 0 && !refused))
        return 0;
    peer_t *p = s_peer (s->r, sub->publisher);
    if (!p || !p->connected || p->barred)
        return 0;                                /* the connect event rescans */
    int64_t due = sub->updated + NODE_SUB_RETRY_REFUSED - (int64_t) time (NULL);
    if (refused && !p->sub_again && due > 0) {
        s_schedule (s->r, s->now + due * 1000);
        return 0;
    }
    if (p->sub_retry_at > s->now && p->sub_scan != s->id) {
        s_schedule (s->r, p->sub_retry_at);
        return 0;
    }
    if (p->sub_scan != s->id && p->sub_retry_at && p->sub_retry_at <= s->now)
        p->sub_waiting = 0;                      /* 15 s on: those answers are not coming */
    int ending = strcmp (sub->state, "ending") == 0;
    if (!ending && p->sub_waiting == RUN_SUB_WAIT) {
        /* Sent when answers make room, or when those awaited are given up
           (a kick may have cleared the retry time: set it again). */
        if (!p->sub_retry_at)
            p->sub_retry_at = s->now + RUN_TIMEOUT_MS;
        s_schedule (s->r, p->sub_retry_at);
        return 0;
    }
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = ending ? PROTO_UNSUBSCRIBE : PROTO_SUBSCRIBE;
    snprintf (m.topic, sizeof m.topic, "%s", sub->topic);
    m.number = ending ? 0 : (uint64_t) sub->from_version;
    if (s_send (s->r, p->dealer, NULL, 0, &m, NULL) == 0) {
        node_log (s->r->n, "info", "%s %s for topic %s", ending ? "told" : "asked", p->info.org, sub->topic);
        if (!ending)
            snprintf (p->sub_wait[p->sub_waiting++], sizeof p->sub_wait[0], "%s", sub->topic);
    }
    p->sub_retry_at = s->now + RUN_TIMEOUT_MS;
    p->sub_scan = s->id;
    s_schedule (s->r, p->sub_retry_at);
    return 0;
}

static void s_scan (run_t *r)
{
    static uint64_t s_scan_id;
    scan_t s = {r, s_now_ms (), ++s_scan_id};
    r->scan_at = 0;
    const char *rule;
    for (size_t i = 0; i < r->npeers; i++)      /* a certificate that ended while we ran */
        if (!r->peers[i]->barred && node_peer_barred (&r->peers[i]->info, (int64_t) time (NULL), &rule))
            s_peer_bar (r, r->peers[i], rule);
        else if (!r->peers[i]->barred && r->peers[i]->info.not_after > 0) {
            int64_t left_ms = (r->peers[i]->info.not_after - (int64_t) time (NULL)) * 1000;
            s_schedule (r, s.now + (left_ms < 3600000 ? left_ms : 3600000));
        }
    if (store_agreement_each (r->n->store, s_push_agreement, &s) < 0 ||
        store_delivery_each_pending (r->n->store, s_scan_delivery, &s) < 0 ||
        store_sub_each (r->n->store, s_scan_sub, &s) < 0)
        node_log (r->n, "error", "cannot read pending work: %s", store_error (r->n->store));
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected)
            r->peers[i]->sub_again = 0;          /* refused ones were asked for again */
    int64_t next = 0;
    if (node_retention_sweep (r->n, &next) < 0)
        node_log (r->n, "error", "retention: %s", node_error (r->n));
    if (next > 0) {                              /* look again when the next one ends */
        int64_t left_ms = (next - (int64_t) time (NULL)) * 1000;
        s_schedule (r, s.now + (left_ms < 0 ? 0 : left_ms < 3600000 ? left_ms : 3600000));
    }
}

/* ---- publisher side: SUBSCRIBE -------------------------------------------- */

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
    if (strcmp (d->publisher, q->r->n->self.org) != 0 || strcmp (d->topic, q->topic) != 0 ||
        strcmp (d->state, "published") != 0)
        return 0;
    if (q->from_version > 0) {
        if (d->version >= q->from_version && store_delivery_add (q->r->n->store, d->id, q->subscriber) == 0)
            q->queued++;
    } else if (d->version > q->latest) {
        q->latest = d->version;
        memcpy (q->latest_id, d->id, sizeof q->latest_id);
    }
    return 0;
}

static void s_on_subscribe (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    policy_request_t pq = {POLICY_SUBSCRIBE, r->n->self.org, o->org, m->topic, NULL, NULL, NULL, NULL, NULL,
                           (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (r->n->store, &pq, &dec);
    if (!dec.allow) {
        s_reply_error (r, o, PROTO_E_DENIED, NULL, "%s: %s", dec.rule, dec.reason);
        if (s_limit_pass (r, &o->peer->refusals, o->org)) {
            char pactor[80];
            s_peer_actor (o->peer, pactor, sizeof pactor);
            node_log (r->n, "warn", "refused subscription of %s to %s: %s: %s", o->org, m->topic, dec.rule,
                      dec.reason);
            node_audit (r->n, pactor, "subscribe", m->topic, o->org, "refuse", dec.rule, "%s", dec.reason);
        }
        return;
    }
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "%s", r->n->self.org);
    snprintf (sub.subscriber, sizeof sub.subscriber, "%s", o->org);
    snprintf (sub.topic, sizeof sub.topic, "%s", m->topic);
    snprintf (sub.state, sizeof sub.state, "active");
    sub.from_version = (int64_t) m->number;
    store_sub_t old;
    int existed = store_sub_get (r->n->store, sub.publisher, sub.subscriber, sub.topic, &old) == 0 &&
                  strcmp (old.state, "active") == 0;
    char actor[80];
    s_peer_actor (o->peer, actor, sizeof actor);
    if (store_sub_put (r->n->store, &sub) != 0) {
        s_reply_error (r, o, PROTO_E_INTERNAL, NULL, "cannot record the subscription now");
        return;
    }
    proto_msg_t reply;
    memset (&reply, 0, sizeof reply);
    reply.id = PROTO_SUBSCRIBED;
    snprintf (reply.topic, sizeof reply.topic, "%s", m->topic);
    snprintf (reply.reason, sizeof reply.reason, "active");
    s_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
    if (existed)
        return;
    sub_queue_t q = {r, o->org, m->topic, (int64_t) m->number, 0, "", 0};
    store_dataset_each (r->n->store, s_queue_versions, &q);
    if (q.latest > 0 && store_delivery_add (r->n->store, q.latest_id, o->org) == 0)
        q.queued++;
    if (s_limit_take (r, &o->peer->allowed, o->org, "allow", "subscription(s)"))
        node_audit (r->n, actor, "subscribe", m->topic, o->org, "allow", dec.rule,
                    "%s subscribed to %s (%s); %d existing version(s) queued; %s", o->org, m->topic,
                    m->number ? "history" : "latest only", q.queued, dec.reason);
    node_log (r->n, "info", "%s subscribed to %s", o->org, m->topic);
    s_schedule (r, s_now_ms ());
}

static void s_on_unsubscribe (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    store_sub_t sub;
    int found = store_sub_get (r->n->store, r->n->self.org, o->org, m->topic, &sub) == 0;
    int cancelled = 0;
    if (found && strcmp (sub.state, "ended") != 0) {
        snprintf (sub.state, sizeof sub.state, "ended");
        if (store_begin (r->n->store) != 0 || store_sub_put (r->n->store, &sub) != 0 ||
            (cancelled = store_delivery_cancel (r->n->store, r->n->self.org, m->topic, o->org,
                                                "unsubscribed by the subscriber")) < 0 ||
            store_commit (r->n->store) != 0) {
            store_rollback (r->n->store);
            s_reply_error (r, o, PROTO_E_INTERNAL, NULL, "cannot record the end of the subscription now");
            return;
        }
        out_xfer_t *x = &o->peer->out;
        if (x->dataset[0] && strcmp (x->topic, m->topic) == 0)
            s_out_release (r, x);                   /* its delivery is cancelled */
        char actor[80];
        s_peer_actor (o->peer, actor, sizeof actor);
        if (s_limit_take (r, &o->peer->allowed, o->org, "allow", "end(s) of subscription"))
            node_audit (r->n, actor, "unsubscribe", m->topic, o->org, "allow", "subscription.ended",
                        "%s ended its subscription to %s; %d pending deliveries cancelled", o->org, m->topic,
                        cancelled);
        node_log (r->n, "info", "%s unsubscribed from %s", o->org, m->topic);
    }
    proto_msg_t reply;
    memset (&reply, 0, sizeof reply);
    reply.id = PROTO_SUBSCRIBED;
    snprintf (reply.topic, sizeof reply.topic, "%s", m->topic);
    snprintf (reply.reason, sizeof reply.reason, "ended");
    s_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
}

/* ---- agreements: AGREEMENT and REVOKE, both ways -------------------------- */

static void s_revoke_message (const store_agreement_t *a, proto_msg_t *m)
{
    memset (m, 0, sizeof *m);
    m->id = PROTO_REVOKE;
    memcpy (m->hash, a->hash, 32);
    snprintf (m->reason, sizeof m->reason, "%s", a->reason);
}

/* Sends this node's copy of each agreement the other party may not have
   yet (its signatures, or its revocation), to connected peers. */
static int s_push_agreement (const store_agreement_t *a, void *arg)
{
    scan_t *sc = arg;
    if (a->pushed)
        return 0;
    const char *other = strcmp (a->provider, sc->r->n->self.org) == 0 ? a->recipient : a->provider;
    peer_t *p = s_peer (sc->r, other);
    if (!p || !p->connected)
        return 0;                                /* the connect event rescans */
    proto_msg_t *m = malloc (sizeof *m);
    if (!m)
        return 0;
    if (a->revoked)
        s_revoke_message (a, m);
    else
        node_agreement_message (a, m);
    if (s_send (sc->r, p->dealer, NULL, 0, m, NULL) == 0)
        node_log (sc->r->n, "info", "sent %s %s to %s", a->revoked ? "revocation of agreement" : "agreement", a->ref,
                  other);
    free (m);
    s_schedule (sc->r, sc->now + RUN_TIMEOUT_MS);  /* until it is acknowledged */
    return 0;
}

/* Peer P has as many proposals here as it may (node_agreement_room, whose
   reason is in node_error): refused with INTERNAL, which asks it to try
   again later, and audited within the rate. */
static void s_agreement_limit (run_t *r, const origin_t *o, peer_t *p, int routed)
{
    if (routed)
        s_reply_error (r, o, PROTO_E_INTERNAL, NULL, "agreement.limit: %s", node_error (r->n));
    if (!s_limit_pass (r, &p->refusals, p->info.org))
        return;
    char actor[80];
    s_peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "refused an agreement from %s: %s", p->info.org, node_error (r->n));
    node_audit (r->n, actor, "agreement-receive", "agreement", p->info.org, "refuse", "agreement.limit", "%s",
                node_error (r->n));
}

/* An AGREEMENT from the other party: on our ROUTER (ROUTED set) it is
   answered with our merged copy, or with REVOKE if we revoked it; on our
   DEALER it is that answer. */
static void s_on_agreement (run_t *r, const origin_t *o, peer_t *p, const proto_msg_t *m, int routed)
{
    store_agreement_t *a = malloc (sizeof *a);
    proto_msg_t *reply = malloc (sizeof *reply);
    int changed = 0;
    if (!a || !reply)
        goto out;
    if (node_agreement_room (r->n, m->doc, m->doc_len, m->sig, m->sig2, p->info.org) != 0) {
        s_agreement_limit (r, o, p, routed);
        goto out;
    }
    if (node_agreement_take (r->n, m->doc, m->doc_len, m->sig, m->sig2, p->info.org, 0, a, &changed) != 0) {
        if (routed)
            s_reply_error (r, o, PROTO_E_DENIED, NULL, "agreement.refused: %s", node_error (r->n));
        if (s_limit_pass (r, &p->refusals, p->info.org)) {
            char actor[80];
            s_peer_actor (p, actor, sizeof actor);
            node_log (r->n, "warn", "refused an agreement from %s: %s", p->info.org, node_error (r->n));
            node_audit (r->n, actor, "agreement-receive", "agreement", p->info.org, "refuse", "agreement.refused",
                        "%s", node_error (r->n));
        }
        goto out;
    }
    if (changed)
        node_log (r->n, "info", "agreement %s from %s: %s", a->ref, p->info.org,
                  node_agreement_state (a, (int64_t) time (NULL)));
    /* Its copy may be what it refused a subscription for the want of. */
    p->sub_again = 1;
    p->sub_retry_at = 0;
    s_schedule (r, s_now_ms ());
    int same = memcmp (a->sig_provider, m->sig, 64) == 0 && memcmp (a->sig_recipient, m->sig2, 64) == 0;
    if (routed) {
        if (a->revoked)
            s_revoke_message (a, reply);
        else
            node_agreement_message (a, reply);
        if (s_send (r, r->router, o->routing, o->routing_len, reply, NULL) == 0 && !a->revoked && !a->pushed) {
            a->pushed = 1;                      /* the answer carries everything we hold */
            store_agreement_put (r->n->store, a);
        }
    } else if (same && !a->revoked && !a->pushed) {
        a->pushed = 1;                          /* the other party holds what we hold */
        store_agreement_put (r->n->store, a);
    }
out:
    free (a);
    free (reply);
}

/* A REVOKE from the other party (or its answer to ours): the agreement
   stops here too, with running transfers under it. */
static void s_on_revoke (run_t *r, const origin_t *o, peer_t *p, const proto_msg_t *m, int routed)
{
    store_agreement_t *a = malloc (sizeof *a);
    if (!a)
        return;
    if (store_agreement_by_hash (r->n->store, m->hash, a) != 0 ||
        (strcmp (a->provider, p->info.org) != 0 && strcmp (a->recipient, p->info.org) != 0)) {
        if (routed)
            s_reply_error (r, o, PROTO_E_DENIED, NULL, "agreement.unknown: no agreement with that hash between us");
        free (a);
        return;
    }
    if (!a->revoked) {
        node_agreement_mark_revoked (r->n, a, p->info.org, m->reason, 1);
        node_log (r->n, "warn", "agreement %s revoked by %s: %s", a->ref, p->info.org, m->reason);
        s_recheck (r);
    } else if (!a->pushed) {
        a->pushed = 1;                          /* both ends hold it revoked */
        store_agreement_put (r->n->store, a);
    }
    if (routed) {
        proto_msg_t reply;
        s_revoke_message (a, &reply);
        s_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
    }
    free (a);
}

/* ---- subscriber side: incoming transfers ---------------------------------- */

static in_xfer_t *s_in_find (run_t *r, const uint8_t dsid[16])
{
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active && memcmp (r->in[i].dsid, dsid, 16) == 0)
            return &r->in[i];
    return NULL;
}

static void s_in_release (in_xfer_t *x)
{
    if (x->hasher)
        node_hasher_wait (x->hasher);
    if (x->fd >= 0)
        close (x->fd);
    cx_content_destroy (&x->key);
    cx_hash_destroy (&x->hash);
    memset (x, 0, sizeof *x);
    x->fd = -1;
}

/* Makes the chunks written so far durable and records how far that is,
   so that nothing received is lost when the transfer pauses (a new OFFER,
   an idle publisher, a refusal, the node stopping). 0, or -1 if they could
   not be made durable (the point recorded before still holds). */
static int s_in_sync (run_t *r, in_xfer_t *x)
{
    if (x->fd < 0 || x->next <= x->durable)
        return 0;
    if (fdatasync (x->fd) != 0) {
        node_log (r->n, "error", "%s: cannot make chunks %lld-%lld durable: %s", x->dataset,
                  (long long) x->durable, (long long) x->next - 1, strerror (errno));
        return -1;
    }
    if (store_dataset_progress (r->n->store, x->dataset, "receiving", x->next) != 0) {
        node_log (r->n, "error", "%s: cannot record chunks %lld-%lld as durable: %s", x->dataset,
                  (long long) x->durable, (long long) x->next - 1, store_error (r->n->store));
        return -1;
    }
    /* Durable sealed chunks are read again only on export: leave the page
       cache to what is in use. */
    (void) posix_fadvise (x->fd, node_chunk_offset (x->chunk_size, x->durable),
                          node_chunk_offset (x->chunk_size, x->next - x->durable), POSIX_FADV_DONTNEED);
    x->durable = x->next;
    return 0;
}

/* Drops the in-memory transfer X (its durable chunks are kept for the
   next OFFER) and records when: its abandonment clock runs from then. */
static void s_in_let_go (run_t *r, in_xfer_t *x)
{
    if (store_dataset_progress (r->n->store, x->dataset, "receiving", x->durable) != 0)
        node_log (r->n, "error", "%s: cannot record the pause: %s", x->dataset, store_error (r->n->store));
    s_in_release (x);
}

/* Removes the sealed file of a dataset that failed: nothing in it is
   ever read (a new OFFER starts again from chunk 0). */
static void s_in_discard (run_t *r, const char *id)
{
    char path[NODE_PATH_MAX];
    node_data_path (r->n, id, path, sizeof path);
    if (unlink (path) != 0 && errno != ENOENT)
        node_log (r->n, "error", "cannot remove %s: %s", path, strerror (errno));
}

typedef struct {
    run_t *r;
    const char *publisher;     /* only its transfers, or NULL: everyone's */
    int64_t now;               /* unix seconds */
    int64_t next;              /* the next one due, unix seconds */
    int abandoned;
} abandon_t;

static int s_abandon_one (const store_dataset_t *d, void *arg)
{
    abandon_t *a = arg;
    uint8_t dsid[16];
    if ((a->publisher && strcmp (d->publisher, a->publisher) != 0) || cx_unhex (d->id, dsid, 16) != 0 ||
        s_in_find (a->r, dsid))
        return 0;                                /* another's, or arriving now */
    int64_t due = d->updated + RUN_ABANDON_MS / 1000;
    if (due > a->now) {
        if (due < a->next)
            a->next = due;
        return 0;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long) d->version, d->id);
    /* The state and its entry in one transaction; the file goes after. */
    store_t *st = a->r->n->store;
    if (store_begin (st) != 0 || store_dataset_progress (st, d->id, "failed", 0) != 0 ||
        node_audit (a->r->n, "node", "abandon", object, d->publisher, "refuse", "transfer.abandoned",
                    "no activity from %s on this transfer for %d minutes: the %lld of %lld chunks held are removed "
                    "and the dataset is failed; a new OFFER starts it again from chunk 0",
                    d->publisher, RUN_ABANDON_MS / 60000, (long long) d->next_chunk, (long long) d->chunks) != 0 ||
        store_commit (st) != 0) {
        node_log (a->r->n, "error", "cannot abandon %s: %s", d->id, store_error (st));
        store_rollback (st);
        return 0;
    }
    s_in_discard (a->r, d->id);
    a->abandoned++;
    node_log (a->r->n, "warn", "abandoned %s from %s: no activity for %d minutes", object, d->publisher,
              RUN_ABANDON_MS / 60000);
    return 0;
}

/* Incoming transfers from PUBLISHER (everyone's if NULL) not in progress
   and without activity (an OFFER, chunks made durable, a pause) for
   RUN_ABANDON_MS are abandoned: failed, their file removed, audited.
   Without a publisher it also sets when to look again. How many. */
static int s_in_abandon (run_t *r, const char *publisher)
{
    int64_t now = (int64_t) time (NULL);
    abandon_t a = {r, publisher, now, now + RUN_ABANDON_MS / 1000, 0};
    if (store_dataset_each_state (r->n->store, "receiving", s_abandon_one, &a) < 0)
        node_log (r->n, "error", "cannot look for abandoned transfers: %s", store_error (r->n->store));
    if (!publisher)                              /* one made from now on is due no earlier */
        r->abandon_at = s_now_ms () + (a.next - now) * 1000;
    return a.abandoned;
}

/* 0 if publisher O may start one more transfer here (a dataset it has not
   been sending): it has fewer than RUN_MAX_UNFINISHED recorded as receiving,
   after its abandoned ones are counted out. Otherwise -1 and, in WHY, the
   reason for it and the audit log. */
static int s_in_unfinished_room (run_t *r, const origin_t *o, char *why, size_t cap)
{
    int64_t held = store_dataset_count (r->n->store, o->org, "receiving");
    if (held >= RUN_MAX_UNFINISHED && s_in_abandon (r, o->org) > 0)
        held = store_dataset_count (r->n->store, o->org, "receiving");
    if (held < 0) {
        snprintf (why, cap, "cannot count the transfers in progress: %s", store_error (r->n->store));
        return -1;
    }
    if (held < RUN_MAX_UNFINISHED)
        return 0;
    snprintf (why, cap, "too many unfinished transfers from %s (%lld, at most %d): finish one, or retry once "
              "they are abandoned after %d minutes without activity", o->org, (long long) held, RUN_MAX_UNFINISHED,
              RUN_ABANDON_MS / 60000);
    return -1;
}

/* Sealed bytes still to be written for chunks FROM.. of a dataset, as a
   double: the manifest's numbers come from a peer and may be absurd. */
static double s_in_need (double bytes, double chunk_size, double chunks, double from)
{
    double need = bytes - from * chunk_size + (double) CX_CHUNK_ABYTES * (chunks - from);
    return need > 0 ? need : 0;
}

/* 0 if the data directory has room for NOW more bytes and the reserve
   kept for the store; otherwise -1 and, in WHY, a reason for the publisher
   and the audit log that names NEED, what the rest of the transfer takes.
   0 as well if the free space cannot be read. */
static int s_in_room (run_t *r, double now, double need, char *why, size_t cap)
{
    char dir[NODE_PATH_MAX];
    snprintf (dir, sizeof dir, "%s/data", r->n->home);
    struct statvfs sv;
    if (statvfs (dir, &sv) != 0)
        return 0;
    double avail = (double) sv.f_bavail * (double) sv.f_frsize;
    if (avail >= now + RUN_DISK_RESERVE)
        return 0;
    snprintf (why, cap,
              "receiver disk full: %.0f bytes needed (and %d MiB kept for its store), %.0f free;"
              " its operator must free space or grow the disk, then the delivery resumes",
              need, RUN_DISK_RESERVE >> 20, avail);
    return -1;
}

static in_drop_t *s_in_dropping (run_t *r, const uint8_t dsid[16], const char *publisher)
{
    for (int i = 0; i < RUN_MAX_DROPS; i++) {
        in_drop_t *d = &r->drops[i];
        if (d->left > 0 && memcmp (d->dsid, dsid, 16) == 0 && strcmp (d->publisher, publisher) == 0)
            return d;
    }
    return NULL;
}

static void s_in_drop_after (run_t *r, const in_xfer_t *x)
{
    in_drop_t *d = s_in_dropping (r, x->dsid, x->publisher);
    if (!d) {
        d = &r->drops[r->drop_next];
        r->drop_next = (r->drop_next + 1) % RUN_MAX_DROPS;
    }
    memcpy (d->dsid, x->dsid, 16);
    snprintf (d->publisher, sizeof d->publisher, "%s", x->publisher);
    d->left = RUN_DROP_CHUNKS;
    d->until = s_now_ms () + RUN_TIMEOUT_MS;
}

/* Records (rate limited) a refusal of a message from O; s_in_refuse also
   answers it. A malformed ERROR is only recorded: a node never answers an
   ERROR with an ERROR. */
static void s_in_note (run_t *r, const origin_t *o, const char *object, const char *rule, const char *why)
{
    if (!s_limit_pass (r, &o->peer->refusals, o->org))
        return;
    char actor[80];
    s_peer_actor (o->peer, actor, sizeof actor);
    node_log (r->n, "warn", "refused %s from %s: %s", object, o->org, why);
    node_audit (r->n, actor, "receive", object, o->org, "refuse", rule, "%s", why);
}

static void s_in_refuse (run_t *r, const origin_t *o, const char *object, proto_err_t code,
                         const uint8_t *dsid, const char *rule, const char *why)
{
    s_reply_error (r, o, code, dsid, "%s", why);
    s_in_note (r, o, object, rule, why);
}

/* This node cannot go on with X now (its disk, its store): what was
   received is kept, the publisher is told with ERROR(INTERNAL) and will
   offer again later, and the chunks it still has in flight are dropped. */
static void s_in_pause (run_t *r, const origin_t *o, in_xfer_t *x, const char *object, const char *why)
{
    s_in_sync (r, x);
    s_in_refuse (r, o, object, PROTO_E_INTERNAL, x->dsid, "store.write", why);
    s_in_drop_after (r, x);
    s_in_release (x);
}

/* The agreement an incoming transfer came under ended or was revoked: it
   stops here, the publisher is told, and what arrived is not kept. */
static void s_in_stop (run_t *r, in_xfer_t *x, const policy_decision_t *dec)
{
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_ERROR;
    m.code = PROTO_E_DENIED;
    memcpy (m.dataset, x->dsid, 16);
    snprintf (m.reason, sizeof m.reason, "%s: %s", dec->rule, dec->reason);
    s_send (r, r->router, x->routing, x->routing_len, &m, NULL);
    store_dataset_progress (r->n->store, x->dataset, "failed", 0);
    s_in_discard (r, x->dataset);
    node_log (r->n, "warn", "stopped receiving %s from %s: %s", object, x->publisher, m.reason);
    node_audit (r->n, "node", "receive", object, x->publisher, "refuse", dec->rule, "%s", dec->reason);
    s_in_release (x);
}

static int64_t s_chunk_len (int64_t bytes, int64_t chunk_size, int64_t chunks, int64_t index)
{
    return index == chunks - 1 ? bytes - chunk_size * (chunks - 1) : chunk_size;
}

/* Reads back chunks 0..durable-1 to rebuild the running hash after a
   restart. Returns how many chunks verified (a shorter prefix means the
   rest must be fetched again). */
static int64_t s_in_rehash (run_t *r, in_xfer_t *x)
{
    node_hasher_wait (r->hasher);
    uint8_t *sealed = malloc ((size_t) x->chunk_size + CX_CHUNK_ABYTES);
    if (!sealed)
        return 0;
    int64_t i;
    for (i = 0; i < x->durable; i++) {
        size_t plen = (size_t) s_chunk_len (x->bytes, x->chunk_size, x->chunks, i);
        size_t slen = plen + CX_CHUNK_ABYTES;
        if (pread (x->fd, sealed, slen, node_chunk_offset (x->chunk_size, i)) != (ssize_t) slen ||
            cx_chunk_open (x->key, x->dsid, (uint64_t) i, sealed, slen, r->scratch) != 0)
            break;
        cx_hash_update (x->hash, r->scratch, plen);
    }
    free (sealed);
    return i;
}

static void s_send_receipt (run_t *r, const origin_t *o, const uint8_t dsid[16], const uint8_t hash[32])
{
    proto_receipt_t rc;
    memset (&rc, 0, sizeof rc);
    rc.format = 1;
    memcpy (rc.dataset, dsid, 16);
    memcpy (rc.hash, hash, 32);
    snprintf (rc.recipient, sizeof rc.recipient, "%s", r->n->self.org);
    memcpy (rc.recipient_key, cx_keypair_public (r->n->sign), 32);
    rc.received = (int64_t) time (NULL);
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_RECEIPT;
    memcpy (m.dataset, dsid, 16);
    if (proto_receipt_encode (&rc, m.doc, sizeof m.doc, &m.doc_len) != 0 ||
        cx_sign (r->n->sign, m.doc, m.doc_len, m.sig) != 0) {
        node_log (r->n, "error", "cannot make a receipt");
        return;
    }
    s_send (r, r->router, o->routing, o->routing_len, &m, NULL);
}

/* Tells the publisher where to start (the first chunk not yet held) and
   grants the first window of credit. */
static void s_in_accept (run_t *r, const origin_t *o, in_xfer_t *x)
{
    x->session_ms = x->logged_ms = s_now_ms ();   /* its rate counts from here */
    x->session_from = x->logged_next = x->next;
    s_progress_soon (r);
    /* The publisher is at work on it: its abandonment clock starts again. */
    if (store_dataset_progress (r->n->store, x->dataset, "receiving", x->durable) != 0)
        node_log (r->n, "error", "%s: cannot record the offer: %s", x->dataset, store_error (r->n->store));
    proto_msg_t reply;
    memset (&reply, 0, sizeof reply);
    reply.id = PROTO_ACCEPT;
    memcpy (reply.dataset, x->dsid, 16);
    reply.number = (uint64_t) x->next;
    reply.credit = RUN_WINDOW;
    s_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
}

/* The policy, asked again when all of X is in, refused it (DEC): the
   dataset is failed and its entry written in the transaction the caller
   opened, its content removed, and the publisher told ERROR(DENIED,
   "RULE: words") instead of a receipt. */
static void s_in_refuse_final (run_t *r, const origin_t *o, in_xfer_t *x, const char *purpose,
                               const policy_decision_t *dec)
{
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    store_t *st = r->n->store;
    if (store_dataset_progress (st, x->dataset, "failed", 0) != 0 ||
        node_audit_purpose (r->n, "node", "receive", object, o->org, purpose, "refuse", dec->rule,
                            "%s; decided again when the last chunk was in: not made available, no receipt "
                            "sent, the %lld bytes received are removed", dec->reason, (long long) x->bytes) != 0 ||
        store_commit (st) != 0) {
        node_log (r->n, "error", "%s: cannot record the refusal: %s", x->dataset, store_error (st));
        store_rollback (st);
        store_dataset_progress (st, x->dataset, "failed", 0);
    }
    s_in_discard (r, x->dataset);
    s_reply_error (r, o, PROTO_E_DENIED, x->dsid, "%s: %s", dec->rule, dec->reason);
    node_log (r->n, "warn", "refused %s from %s at its end: %s: %s", object, o->org, dec->rule, dec->reason);
    s_in_release (x);
}

/* All of X is in and verified: the policy decides again, and if it still
   allows, the dataset becomes available with its entry, in one
   transaction. 0 if it did (the caller sends the receipt), 1 if the policy
   refused (handled here), -1 if the store could not record it. */
static int s_in_final (run_t *r, const origin_t *o, in_xfer_t *x, const char *hashhex)
{
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    s_peer_actor (o->peer, actor, sizeof actor);
    store_t *st = r->n->store;
    store_dataset_t *d = malloc (sizeof *d);
    if (!d || store_begin (st) != 0 || store_dataset_get (st, x->dataset, d) != 0)
        goto fail;
    policy_decision_t dec;
    s_decide_again (r, POLICY_RECEIVE, d, o->org, r->n->self.org, &dec);
    if (!dec.allow && strcmp (dec.rule, "policy.error") == 0)
        goto fail;                              /* undecided, not refused: the data is kept */
    if (!dec.allow) {
        s_in_refuse_final (r, o, x, d->purpose, &dec);
        free (d);
        return 1;
    }
    if (store_dataset_progress (st, x->dataset, "available", x->chunks) != 0 ||
        node_audit_purpose (r->n, actor, "receive", object, o->org, d->purpose, "allow", "signature.verified",
                            "%lld bytes received, publisher signature and blake2b %s verified; %s", (long long) x->bytes,
                            hashhex, dec.reason) != 0 ||
        store_commit (st) != 0 || store_sync (st) != 0)
        goto fail;
    free (d);
    return 0;
fail:
    free (d);
    store_rollback (st);
    return -1;
}

/* The last chunk is in: check the whole content against the manifest. */
static void s_in_complete (run_t *r, const origin_t *o, in_xfer_t *x)
{
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    uint8_t got[32];
    node_hasher_wait (r->hasher);          /* the last chunk's hash */
    cx_hash_final (x->hash, got);
    if (memcmp (got, x->want, 32) != 0) {
        store_dataset_progress (r->n->store, x->dataset, "failed", 0);
        s_in_discard (r, x->dataset);
        s_in_refuse (r, o, object, PROTO_E_HASH, x->dsid, "content.hash",
                     "content hash differs from the signed manifest");
        s_in_release (x);
        return;
    }
    if (x->fd >= 0 && fdatasync (x->fd) != 0) {
        s_in_refuse (r, o, object, PROTO_E_INTERNAL, x->dsid, "store.write", "cannot make the data durable");
        s_in_release (x);
        return;
    }
    char hashhex[65];
    cx_hex (got, 32, hashhex);
    int final = s_in_final (r, o, x, hashhex);
    if (final > 0)
        return;                                  /* refused at the last moment */
    if (final < 0) {
        s_in_refuse (r, o, object, PROTO_E_INTERNAL, x->dsid, "store.write", "cannot record the dataset now");
        s_in_release (x);
        return;
    }
    node_log (r->n, "info", "received %s v%lld from %s: %lld bytes, verified", x->topic, (long long) x->version,
              o->org, (long long) x->bytes);
    s_send_receipt (r, o, x->dsid, got);
    s_in_release (x);
    s_schedule (r, s_now_ms ());                 /* its retention, if one is set */
}

static void s_on_offer (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    char id[33];
    cx_hex (m->dataset, 16, id);
    if (o->peer->cut_until > s_now_ms ()) {
        s_in_refuse (r, o, id, PROTO_E_DENIED, m->dataset, "peer.corrupt-data",
                     "this node is refusing your offers for a while: too many chunks failed authentication");
        return;
    }
    proto_manifest_t man;
    if (proto_manifest_decode (m->doc, m->doc_len, &man) != PROTO_OK) {
        char why[300];
        snprintf (why, sizeof why, "manifest: %s", proto_error ());
        s_in_refuse (r, o, id, PROTO_E_MALFORMED, m->dataset, "offer.manifest", why);
        return;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%llu %s", man.topic, (unsigned long long) man.version, id);
    if (memcmp (man.dataset, m->dataset, 16) != 0) {
        s_in_refuse (r, o, object, PROTO_E_MALFORMED, m->dataset, "offer.manifest",
                     "manifest names another dataset");
        return;
    }
    if (strcmp (man.publisher, o->org) != 0) {
        char why[128];
        snprintf (why, sizeof why, "manifest says publisher %s but the sender is %s", man.publisher, o->org);
        s_in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "offer.publisher", why);
        return;
    }
    if (cx_verify (o->peer->info.sign_pk, m->doc, m->doc_len, m->sig) != 0) {
        s_in_refuse (r, o, object, PROTO_E_SIGNATURE, m->dataset, "offer.signature",
                     "manifest signature does not verify with the publisher's signing key");
        return;
    }
    store_sub_t sub;
    if (store_sub_get (r->n->store, o->org, r->n->self.org, man.topic, &sub) != 0 ||
        (strcmp (sub.state, "active") != 0 && strcmp (sub.state, "requested") != 0 &&
         strcmp (sub.state, "refused") != 0)) {
        char why[256];
        snprintf (why, sizeof why, "this node has no subscription to %s from %s", man.topic, o->org);
        s_in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "subscription.none", why);
        return;
    }
    policy_request_t pq = {POLICY_RECEIVE, o->org, r->n->self.org, man.topic, man.class_, man.purpose,
                           man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (r->n->store, &pq, &dec);
    if (!dec.allow) {
        char why[320];
        snprintf (why, sizeof why, "%s: %s", dec.rule, dec.reason);
        /* policy.error: undecided here (no memory, the store), so not final: offered again */
        s_reply_error (r, o, strcmp (dec.rule, "policy.error") ? PROTO_E_DENIED : PROTO_E_INTERNAL,
                       m->dataset, "%s", why);
        if (s_limit_pass (r, &o->peer->refusals, o->org)) {
            char pactor[80];
            s_peer_actor (o->peer, pactor, sizeof pactor);
            node_log (r->n, "warn", "refused %s from %s: %s", object, o->org, why);
            node_audit_purpose (r->n, pactor, "receive", object, o->org, man.purpose, "refuse", dec.rule, "%s",
                                dec.reason);
        }
        return;
    }
    if (strcmp (sub.state, "active") != 0) {          /* the offer proves it was recorded */
        snprintf (sub.state, sizeof sub.state, "active");
        store_sub_put (r->n->store, &sub);
    }
    store_dataset_t *d = malloc (sizeof *d);
    if (!d) {
        s_reply_error (r, o, PROTO_E_INTERNAL, m->dataset, "out of memory");
        return;
    }
    int found = store_dataset_get (r->n->store, id, d);
    /* A dataset id belongs to one publisher and one manifest: an offer
       reusing a known id for anything else (another peer's dataset, or one
       this node published) is refused before it can touch that dataset. */
    if (found == 0 && (strcmp (d->state, "published") == 0 || strcmp (d->publisher, o->org) != 0 ||
                       d->manifest_len != m->doc_len || memcmp (d->manifest, m->doc, m->doc_len) != 0)) {
        free (d);
        s_in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "offer.id-clash",
                     "this dataset id is already held here for another dataset");
        return;
    }
    /* Held, or held and erased at the end of its retention: it was
       received and verified, so the receipt stands; never fetched again. */
    if (found == 0 && (strcmp (d->state, "available") == 0 || strcmp (d->state, "erased") == 0)) {
        s_send_receipt (r, o, m->dataset, d->hash);    /* idempotent */
        free (d);
        return;
    }
    cx_content_t *key = node_unwrap (r->n, m->wrapped);
    if (!key) {
        free (d);
        s_in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "offer.key",
                     "the content key is not wrapped for this node");
        return;
    }
    in_drop_t *drop = s_in_dropping (r, m->dataset, o->org);
    if (drop)
        drop->left = 0;                                 /* a new attempt: its chunks count */
    in_xfer_t *x = s_in_find (r, m->dataset);
    if (x && strcmp (x->publisher, o->org) != 0)
        x = NULL;                                       /* not reachable: ids are checked above */
    /* Room for what is still to come, checked before anything is written,
       so that a full disk is reported clearly (and audited: the reserve
       keeps room for that) instead of failing in the middle. */
    double from = x ? (double) x->next : found == 0 && strcmp (d->state, "receiving") == 0 ? (double) d->next_chunk : 0;
    char room[PROTO_REASON_MAX + 1];
    double need = s_in_need ((double) man.bytes, (double) man.chunk_size, (double) man.chunks, from);
    if (need > 0 && s_in_room (r, need, need, room, sizeof room) != 0) {
        if (x) {
            s_in_sync (r, x);
            s_in_release (x);
        }
        cx_content_destroy (&key);
        free (d);
        s_in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "store.write", room);
        return;
    }
    if (x && found == 0 && strcmp (d->state, "receiving") == 0 &&
        s_in_sync (r, x) == 0) {
        /* The same transfer offered again (its connection broke, or the
           publisher timed out): everything received is now durable and the
           running hash in memory covers exactly that, so carry on from
           there without reading the file back. */
        cx_content_destroy (&key);
        free (d);
        x->owed = 0;
        x->last_activity = s_now_ms ();
        memcpy (x->routing, o->routing, o->routing_len);
        x->routing_len = o->routing_len;
        node_log (r->n, "info", "resuming %s from chunk %lld of %lld", id, (long long) x->next,
                  (long long) x->chunks);
        s_in_accept (r, o, x);
        return;
    }
    if (x) {
        s_in_sync (r, x);                               /* keep what was received */
        s_in_release (x);                               /* restart from what is durable */
        x = NULL;
    }
    char limit[PROTO_REASON_MAX + 1];
    if (!(found == 0 && strcmp (d->state, "receiving") == 0) &&
        s_in_unfinished_room (r, o, limit, sizeof limit) != 0) {    /* a new transfer: is there room? */
        cx_content_destroy (&key);
        free (d);
        s_in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "transfer.limit", limit);
        return;
    }
    int mine = 0;
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active && strcmp (r->in[i].publisher, o->org) == 0)
            mine++;
    for (int i = 0; i < RUN_MAX_IN && !x && mine < RUN_MAX_IN_PER_PEER; i++)
        if (!r->in[i].active)
            x = &r->in[i];
    if (!x) {
        cx_content_destroy (&key);
        free (d);
        s_reply_error (r, o, PROTO_E_INTERNAL, m->dataset, "too many transfers in progress; retry later");
        return;
    }
    int64_t durable = 0;
    if (found == 0 && strcmp (d->state, "receiving") == 0)
        durable = d->next_chunk;
    if (found != 0) {
        memset (d, 0, sizeof *d);
        memcpy (d->id, id, sizeof d->id);
        snprintf (d->publisher, sizeof d->publisher, "%s", man.publisher);
        snprintf (d->topic, sizeof d->topic, "%s", man.topic);
        d->version = (int64_t) man.version;
        snprintf (d->class_, sizeof d->class_, "%s", man.class_);
        snprintf (d->purpose, sizeof d->purpose, "%s", man.purpose);
        snprintf (d->filename, sizeof d->filename, "%s", man.filename);
        d->bytes = (int64_t) man.bytes;
        d->chunk_size = man.chunk_size;
        d->chunks = (int64_t) man.chunks;
        memcpy (d->hash, man.hash, 32);
        memcpy (d->manifest, m->doc, m->doc_len);
        d->manifest_len = m->doc_len;
        memcpy (d->sig, m->sig, 64);
        memcpy (d->wrapped, m->wrapped, 80);
        snprintf (d->state, sizeof d->state, "receiving");
        snprintf (d->agreement, sizeof d->agreement, "%s", dec.agreement);
        char actor[80];
        s_peer_actor (o->peer, actor, sizeof actor);
        /* The dataset and the entry accepting it are one transaction.
           Every acceptance has its own entry (not rate-limited): each makes
           a dataset row, and those a peer can leave unfinished are bounded
           (RUN_MAX_UNFINISHED), so the entries are too. */
        store_t *st = r->n->store;
        if (store_begin (st) != 0 || store_dataset_put (st, d) != 0 ||
            node_audit_purpose (r->n, actor, "accept", object, o->org, man.purpose, "allow", dec.rule,
                                "offer of %llu bytes (%s, purpose %s) accepted under subscription to %s, %s",
                                (unsigned long long) man.bytes, man.class_, man.purpose, man.topic,
                                dec.reason) != 0 ||
            store_commit (st) != 0) {
            store_rollback (st);
            cx_content_destroy (&key);
            free (d);
            s_in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "store.write",
                         "cannot record the dataset (a version clash or a full disk)");
            return;
        }
    } else if (strcmp (d->state, "failed") == 0) {
        store_dataset_progress (r->n->store, id, "receiving", 0);
    }
    free (d);

    memset (x, 0, sizeof *x);
    x->active = 1;
    memcpy (x->dataset, id, sizeof x->dataset);
    memcpy (x->dsid, m->dataset, 16);
    snprintf (x->publisher, sizeof x->publisher, "%s", o->org);
    snprintf (x->topic, sizeof x->topic, "%s", man.topic);
    x->version = (int64_t) man.version;
    memcpy (x->want, man.hash, 32);
    x->bytes = (int64_t) man.bytes;
    x->chunk_size = man.chunk_size;
    x->chunks = (int64_t) man.chunks;
    x->key = key;
    x->hash = cx_hash_new ();
    x->hasher = r->hasher;
    x->durable = durable;
    x->last_activity = s_now_ms ();
    snprintf (x->agreement, sizeof x->agreement, "%s", dec.agreement);
    x->until = dec.until;
    char path[NODE_PATH_MAX];
    node_data_path (r->n, id, path, sizeof path);
    x->fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (x->fd < 0 || !x->hash) {
        s_in_release (x);
        s_in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "store.write", "cannot open the data file");
        return;
    }
    if (durable > 0) {
        int64_t ok = s_in_rehash (r, x);
        if (ok != durable) {
            node_log (r->n, "warn", "%s: only %lld of %lld durable chunks verify; refetching the rest", id,
                      (long long) ok, (long long) durable);
            cx_hash_destroy (&x->hash);
            x->hash = cx_hash_new ();
            ok = s_in_rehash (r, x);           /* same prefix again, into a clean hash */
        }
        x->durable = ok;
        node_log (r->n, "info", "resuming %s from chunk %lld of %lld", id, (long long) ok, (long long) x->chunks);
    }
    x->next = x->durable;
    memcpy (x->routing, o->routing, o->routing_len);
    x->routing_len = o->routing_len;
    if (x->chunks == 0 || x->next == x->chunks) {
        s_in_complete (r, o, x);
        return;
    }
    s_in_accept (r, o, x);
}

static void s_on_chunk (run_t *r, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload)
{
    char id[33];
    cx_hex (m->dataset, 16, id);
    in_xfer_t *x = s_in_find (r, m->dataset);
    if (!x || strcmp (x->publisher, o->org) != 0) {
        in_drop_t *drop = x ? NULL : s_in_dropping (r, m->dataset, o->org);
        if (drop && drop->until > s_now_ms ()) {
            drop->left--;                              /* in flight when refused */
            return;
        }
        if (drop)
            drop->left = 0;
        store_dataset_t *d = malloc (sizeof *d);
        int known = d && store_dataset_get (r->n->store, id, d) == 0;
        free (d);
        if (known)
            s_reply_error (r, o, PROTO_E_STATE, m->dataset, "no transfer of %s in progress: send OFFER first", id);
        else
            s_reply_error (r, o, PROTO_E_UNKNOWN_DATASET, m->dataset, "dataset %s is not known here: send OFFER first",
                           id);
        return;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    x->last_activity = s_now_ms ();
    if (x->until && (int64_t) time (NULL) >= x->until) {
        policy_decision_t dec;
        s_agreement_holds (r, x->agreement, x->until, &dec);
        s_in_stop (r, x, &dec);
        return;
    }
    if (m->number < (uint64_t) x->next) {
        proto_msg_t credit;                            /* a duplicate: give its credit back */
        memset (&credit, 0, sizeof credit);
        credit.id = PROTO_CREDIT;
        memcpy (credit.dataset, m->dataset, 16);
        credit.credit = 1;
        s_send (r, r->router, o->routing, o->routing_len, &credit, NULL);
        return;
    }
    if (m->number != (uint64_t) x->next) {
        s_reply_error (r, o, PROTO_E_STATE, m->dataset, "expected chunk %lld, got %" PRIu64, (long long) x->next,
                       m->number);
        s_in_let_go (r, x);
        return;
    }
    size_t plen = (size_t) s_chunk_len (x->bytes, x->chunk_size, x->chunks, x->next);
    size_t slen = zmq_msg_size (payload);
    if (slen != plen + CX_CHUNK_ABYTES ||
        cx_chunk_open (x->key, x->dsid, m->number, zmq_msg_data (payload), slen, r->scratch) != 0) {
        char why[160];
        snprintf (why, sizeof why, "chunk %" PRIu64 " fails authentication (altered or corrupted in transit)",
                  m->number);
        s_in_refuse (r, o, object, PROTO_E_CHUNK, m->dataset, "chunk.authentication", why);
        s_in_let_go (r, x);
        peer_t *p = o->peer;
        int64_t now = s_now_ms ();
        if (now - p->corrupt_start > RUN_CUTOFF_MS) {
            p->corrupt_start = now;
            p->corrupt = 0;
        }
        if (++p->corrupt >= RUN_CUTOFF_CORRUPT && p->cut_until <= now) {
            p->cut_until = now + RUN_CUTOFF_MS;
            char actor[80];
            s_peer_actor (p, actor, sizeof actor);
            node_audit (r->n, actor, "cut-off", "peer", p->info.org, "refuse", "peer.corrupt-data",
                        "%d chunks from %s failed authentication within an hour: its offers are refused for an hour",
                        p->corrupt, p->info.org);
            node_log (r->n, "warn", "cutting off %s for an hour: %d corrupt chunks", p->info.org, p->corrupt);
        }
        return;
    }
    /* Something else may be filling the disk: stop while the store still
       has its reserve, so that progress and the refusal can be recorded. */
    char room[PROTO_REASON_MAX + 1];
    if (s_in_room (r, (double) slen,
                   s_in_need ((double) x->bytes, (double) x->chunk_size, (double) x->chunks, (double) x->next), room,
                   sizeof room) != 0) {
        s_in_pause (r, o, x, object, room);
        return;
    }
    /* Hashed on the hasher's thread while this one writes the chunk and
       opens the next into the other buffer. */
    node_hasher_post (r->hasher, x->hash, r->scratch, plen);
    uint8_t *hashing = r->scratch;
    r->scratch = r->spare;
    r->spare = hashing;
    const uint8_t *data = zmq_msg_data (payload);
    size_t left = slen;
    off_t off = node_chunk_offset (x->chunk_size, x->next);
    while (left > 0) {
        ssize_t w = pwrite (x->fd, data, left, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            char why[PROTO_REASON_MAX + 1];
            double need = s_in_need ((double) x->bytes, (double) x->chunk_size, (double) x->chunks, (double) x->next);
            if (err != ENOSPC || s_in_room (r, need, need, why, sizeof why) == 0)
                snprintf (why, sizeof why, "cannot store chunk %lld: %s", (long long) x->next, strerror (err));
            s_in_pause (r, o, x, object, why);
            return;
        }
        data += w;
        left -= (size_t) w;
        off += w;
    }
    /* Writeback starts now (a hint): the fdatasync below then waits for
       little, and dirty pages do not pile up in the page cache, which on a
       small virtual machine makes the copy into it several times dearer. */
    (void) sync_file_range (x->fd, node_chunk_offset (x->chunk_size, x->next), (off_t) slen,
                            SYNC_FILE_RANGE_WRITE);
    x->next++;
    x->owed++;
    if (x->next == x->chunks) {
        s_in_complete (r, o, x);
        return;
    }
    /* Durable every RUN_SYNC_BYTES whatever the chunk size (at least every
       chunk), then recorded: a crash refetches at most that much. */
    if ((x->next - x->durable) * x->chunk_size >= RUN_SYNC_BYTES) {
        if (s_in_sync (r, x) != 0) {
            s_in_pause (r, o, x, object, "cannot make chunks durable (is the receiver's disk full?)");
            return;
        }
    }
    if (x->owed >= RUN_WINDOW / 2) {
        proto_msg_t credit;
        memset (&credit, 0, sizeof credit);
        credit.id = PROTO_CREDIT;
        memcpy (credit.dataset, m->dataset, 16);
        credit.credit = x->owed;
        x->owed = 0;
        s_send (r, r->router, o->routing, o->routing_len, &credit, NULL);
    }
}

/* ---- directory distribution (SPEC.md 11.3) ------------------------------- */

static void s_dir_refresh (run_t *r)
{
    uint8_t pk[32];
    int64_t expires;
    r->authority = node_authority_key (r->n, pk, NULL, 0) == 0;
    if (node_directory_held (r->n, &r->dir_serial, &expires) != 0) {
        node_log (r->n, "error", "%s", node_error (r->n));
        r->dir_serial = 0;
    }
}

/* Sends DIRECTORY(serial held) on SOCK (after O's routing id on the
   ROUTER), with the directory text if WITH_TEXT, else an empty payload. */
static void s_send_directory (run_t *r, void *sock, const origin_t *o, int with_text)
{
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_DIRECTORY;
    m.number = r->dir_serial;
    char *text = NULL;
    size_t len = 0;
    if (with_text && store_trust_get (r->n->store, "directory", &text, &len) != 0) {
        text = NULL;
        len = 0;
    }
    zmq_msg_t payload;
    if (len > CERT_DIR_MAX_BYTES || zmq_msg_init_size (&payload, len) != 0) {
        free (text);
        return;
    }
    if (len)
        memcpy (zmq_msg_data (&payload), text, len);
    free (text);
    s_send (r, sock, o ? o->routing : NULL, o ? o->routing_len : 0, &m, &payload);
}

/* Tells every connected peer which directory this node holds. */
static void s_dir_announce (run_t *r)
{
    if (!r->authority)
        return;
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->dealer && r->peers[i]->connected && !r->peers[i]->barred)
            s_send_directory (r, r->peers[i]->dealer, NULL, 0);
}

/* DIRECTORY from peer P: on our ROUTER (O set) or on our DEALER to it. */
static void s_on_directory (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload)
{
    if (!r->authority)
        return;                                 /* nothing to verify it with */
    size_t len = zmq_msg_size (payload);
    if (len == 0) {
        if (m->number < r->dir_serial)
            s_send_directory (r, o ? r->router : p->dealer, o, 1);
        else if (m->number > r->dir_serial && o)
            s_send_directory (r, r->router, o, 0); /* it holds a newer one: ask for it */
        return;
    }
    if (m->number <= r->dir_serial)
        return;                                 /* not newer: nothing to learn */
    if (!s_limit_pass (r, &p->refusals, p->info.org))
        return;                                 /* a peer sending directories without end */
    node_directory_result_t res;
    if (node_directory_import (r->n, zmq_msg_data (payload), len, p->info.org, &res) != 0) {
        node_log (r->n, "warn", "directory from %s refused: %s", p->info.org, node_error (r->n));
        return;
    }
    node_log (r->n, "info", "directory serial %" PRIu64 " from %s accepted: %d certified, %d revoked",
              res.serial, p->info.org, res.certified, res.revoked);
    r->dir_serial = res.serial;
    s_reload_peers (r);
    s_dir_announce (r);
    s_schedule (r, s_now_ms ());
}

/* ---- dispatch ------------------------------------------------------------- */

/* Receives one whole message from SOCK: optional routing frame, header
   frame, optional payload frame. Extra frames are drained and make it
   malformed. Returns frames read, or -1. */
static int s_recv (void *sock, int routed, origin_t *o, zmq_msg_t *header, zmq_msg_t *payload,
                   int *extra)
{
    int frames = 0, more = 1;
    *extra = 0;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, sock, frames == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close (&part);
            return frames ? frames : -1;
        }
        more = zmq_msg_more (&part);
        int slot = routed ? frames : frames + 1;
        if (slot == 0) {
            size_t len = zmq_msg_size (&part);
            o->routing_len = len < sizeof o->routing ? len : sizeof o->routing;
            memcpy (o->routing, zmq_msg_data (&part), o->routing_len);
            zmq_msg_close (&part);
        } else if (slot == 1) {
            zmq_msg_move (header, &part);
            zmq_msg_close (&part);
        } else if (slot == 2) {
            zmq_msg_move (payload, &part);
            zmq_msg_close (&part);
        } else {
            (*extra)++;
            zmq_msg_close (&part);
        }
        frames++;
    }
    return frames;
}

static void s_handle_router (run_t *r)
{
    origin_t o;
    memset (&o, 0, sizeof o);
    zmq_msg_t header, payload;
    zmq_msg_init (&header);
    zmq_msg_init (&payload);
    int extra = 0;
    int frames = s_recv (r->router, 1, &o, &header, &payload, &extra);
    if (frames < 2)
        goto out;
    const char *user = zmq_msg_gets (&header, "User-Id");
    if (!user || !(o.peer = s_peer (r, user))) {
        s_reload_peers (r);                 /* admitted by ZAP: maybe just added */
        if (!user || !(o.peer = s_peer (r, user)))
            goto out;
    }
    snprintf (o.org, sizeof o.org, "%s", user);
    s_heard (r, o.peer);
    if (o.peer->barred) {                       /* admitted before it was barred: its data is refused */
        if (s_limit_pass (r, &o.peer->refusals, o.org)) {
            char actor[80];
            s_peer_actor (o.peer, actor, sizeof actor);
            node_audit (r->n, actor, "receive", "message", o.org, "refuse", o.peer->barred,
                        "message from %s refused: it is barred (%s)", o.org, o.peer->barred);
        }
        goto out;
    }
    proto_msg_t *m = malloc (sizeof *m);
    if (!m)
        goto out;
    proto_err_t err = proto_decode (zmq_msg_data (&header), zmq_msg_size (&header), m);
    int has_payload = frames == 3 + extra ? 1 : 0;
    /* The header's own fault comes first (a VERSION reply must list the
       versions, whatever else is wrong); then the frame count. */
    const char *reason = proto_error ();
    if (err == PROTO_OK && (extra || proto_has_payload (m->id) != has_payload)) {
        err = PROTO_E_MALFORMED;
        reason = "wrong number of frames";
    }
    if (err != PROTO_OK) {
        char why[400];
        snprintf (why, sizeof why, "%s message: %s", proto_err_name (err), reason);
        if (err == PROTO_E_MALFORMED && m->id == PROTO_ERROR)   /* never answered: dropped */
            s_in_note (r, &o, "message", "protocol.decode", why);
        else
            s_in_refuse (r, &o, "message", err, NULL, "protocol.decode", why);
        free (m);
        goto out;
    }
    switch (m->id) {
    case PROTO_SUBSCRIBE: s_on_subscribe (r, &o, m); break;
    case PROTO_UNSUBSCRIBE: s_on_unsubscribe (r, &o, m); break;
    case PROTO_OFFER:     s_on_offer (r, &o, m); break;
    case PROTO_CHUNK:     s_on_chunk (r, &o, m, &payload); break;
    case PROTO_DIRECTORY: s_on_directory (r, o.peer, &o, m, &payload); break;
    case PROTO_AGREEMENT: s_on_agreement (r, &o, o.peer, m, 1); break;
    case PROTO_REVOKE:    s_on_revoke (r, &o, o.peer, m, 1); break;
    case PROTO_ERROR:                        /* never answer an ERROR with an ERROR */
        if (s_limit_pass (r, &o.peer->refusals, o.org))
            node_log (r->n, "warn", "%s sent ERROR %s to our socket: %s", o.org, proto_err_name (m->code), m->reason);
        break;
    default:
        s_reply_error (r, &o, PROTO_E_STATE, NULL, "%s is not sent to a node's ROUTER socket", proto_name (m->id));
        break;
    }
    free (m);
out:
    zmq_msg_close (&header);
    zmq_msg_close (&payload);
}

/* SUBSCRIBED(TOPIC) answers the oldest SUBSCRIBE of TOPIC awaiting one:
   it and any older (answered by what was not taken for theirs) are done. */
static void s_sub_answered (peer_t *p, const char *topic)
{
    for (int i = 0; i < p->sub_waiting; i++)
        if (strcmp (p->sub_wait[i], topic) == 0) {
            memmove (p->sub_wait[0], p->sub_wait[i + 1], (size_t) (p->sub_waiting - i - 1) * sizeof p->sub_wait[0]);
            p->sub_waiting -= i + 1;
            return;
        }
}

/* An ERROR about no dataset from publisher P. A publisher answers each
   SUBSCRIBE, in order, with SUBSCRIBED or ERROR (SPEC.md 11.1), and a
   policy refusal is ERROR(DENIED, "policy.RULE: words") (11.4): such an
   ERROR is the answer to the oldest SUBSCRIBE awaiting one, and that
   subscription is recorded as refused with the rule and the words, to be
   asked for again later (NODE_SUB_RETRY_REFUSED). 1 if it was that. */
static int s_sub_refused (run_t *r, peer_t *p, const proto_msg_t *m)
{
    static const uint8_t none[16];
    const char *colon = strstr (m->reason, ": ");
    if (memcmp (m->dataset, none, 16) != 0 || p->sub_waiting == 0)
        return 0;
    if (m->code == PROTO_E_INTERNAL && strncmp (m->reason, "agreement.", 10) != 0) {
        node_log (r->n, "warn", "%s cannot take the subscription to %s now: %s (asked again in 15 s)", p->info.org,
                  p->sub_wait[0], m->reason);
        s_sub_answered (p, p->sub_wait[0]);       /* it stays requested */
        return 1;
    }
    if (m->code != PROTO_E_DENIED ||
        strncmp (m->reason, "policy.", 7) != 0 || !colon ||
        (size_t) (colon - m->reason) >= sizeof ((store_sub_t *) 0)->rule)
        return 0;
    char topic[129];
    snprintf (topic, sizeof topic, "%s", p->sub_wait[0]);
    s_sub_answered (p, topic);
    store_sub_t sub;
    if (store_sub_get (r->n->store, p->info.org, r->n->self.org, topic, &sub) != 0 ||
        (strcmp (sub.state, "requested") != 0 && strcmp (sub.state, "refused") != 0))
        return 1;                                /* ended, or active meanwhile */
    int first = strcmp (sub.state, "refused") != 0;
    snprintf (sub.state, sizeof sub.state, "refused");
    snprintf (sub.rule, sizeof sub.rule, "%.*s", (int) (colon - m->reason), m->reason);
    snprintf (sub.reason, sizeof sub.reason, "%s", colon + 2);
    if (store_sub_put (r->n->store, &sub) != 0)
        node_log (r->n, "error", "cannot record the refusal of %s: %s", topic, store_error (r->n->store));
    node_log (r->n, first ? "warn" : "info", "%s refused the subscription to %s: %s (asked again in %d s, "
              "or when an agreement with it changes)", p->info.org, topic, m->reason, NODE_SUB_RETRY_REFUSED);
    return 1;
}

static void s_handle_dealer (run_t *r, peer_t *p)
{
    origin_t o;
    memset (&o, 0, sizeof o);
    zmq_msg_t header, payload;
    zmq_msg_init (&header);
    zmq_msg_init (&payload);
    int extra = 0;
    int frames = s_recv (p->dealer, 0, &o, &header, &payload, &extra);
    if (frames < 1)
        goto out;
    proto_msg_t *m = malloc (sizeof *m);
    if (!m)
        goto out;
    proto_err_t err = proto_decode (zmq_msg_data (&header), zmq_msg_size (&header), m);
    if (err == PROTO_OK && (extra || frames != 1 + proto_has_payload (m->id)))
        err = PROTO_E_MALFORMED;
    if (err != PROTO_OK) {
        char actor[80];
        s_peer_actor (p, actor, sizeof actor);
        free (m);
        if (!s_limit_pass (r, &p->refusals, p->info.org))
            goto out;
        node_log (r->n, "warn", "malformed reply from %s: %s", p->info.org, proto_error ());
        node_audit (r->n, actor, "receive", "message", p->info.org, "refuse", "protocol.decode",
                    "%s reply: %s", proto_err_name (err), proto_error ());
        goto out;
    }
    int ours = p->out.dataset[0] && memcmp (m->dataset, p->out.dsid, 16) == 0;
    switch (m->id) {
    case PROTO_SUBSCRIBED: {
        store_sub_t sub;
        int ended = strcmp (m->reason, "ended") == 0;
        if (!ended && strcmp (m->reason, "active") != 0) {      /* a status token, SPEC 6 */
            node_log (r->n, "warn", "%s sent SUBSCRIBED %s with an unknown status: ignored", p->info.org, m->topic);
            break;
        }
        if (!ended)
            s_sub_answered (p, m->topic);
        if (store_sub_get (r->n->store, p->info.org, r->n->self.org, m->topic, &sub) == 0 &&
            (ended ? strcmp (sub.state, "ending") == 0
                   : strcmp (sub.state, "requested") == 0 || strcmp (sub.state, "refused") == 0)) {
            snprintf (sub.state, sizeof sub.state, "%s", ended ? "ended" : "active");
            store_sub_put (r->n->store, &sub);
            node_log (r->n, "info", "%s confirmed %s to %s", p->info.org,
                      ended ? "the end of the subscription" : "subscription", m->topic);
        }
        break;
    }
    case PROTO_AGREEMENT: s_on_agreement (r, &o, p, m, 0); break;
    case PROTO_REVOKE:    s_on_revoke (r, &o, p, m, 0); break;
    case PROTO_ACCEPT:  if (ours) s_out_event (r, p, EV_ACCEPT, m); break;
    case PROTO_CREDIT:  if (ours) s_out_event (r, p, EV_CREDIT, m); break;
    case PROTO_RECEIPT: if (ours) s_out_event (r, p, EV_RECEIPT, m); break;
    case PROTO_DIRECTORY: s_on_directory (r, p, NULL, m, &payload); break;
    case PROTO_ERROR:
        if (ours)
            s_out_event (r, p, EV_ERROR, m);
        else if (!s_sub_refused (r, p, m))
            node_log (r->n, "warn", "%s says %s: %s", p->info.org, proto_err_name (m->code), m->reason);
        break;
    default:
        node_log (r->n, "warn", "%s sent %s on our connection: ignored", p->info.org, proto_name (m->id));
        break;
    }
    free (m);
out:
    zmq_msg_close (&header);
    zmq_msg_close (&payload);
}

static void s_handle_monitor (run_t *r, peer_t *p)
{
    zmq_msg_t ev, addr;
    zmq_msg_init (&ev);
    zmq_msg_init (&addr);
    if (zmq_msg_recv (&ev, p->monitor, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&ev);
        return;
    }
    if (zmq_msg_more (&ev))
        zmq_msg_recv (&addr, p->monitor, 0);
    uint16_t event = 0;
    if (zmq_msg_size (&ev) >= 2)
        memcpy (&event, zmq_msg_data (&ev), 2);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        p->connected = 1;
        p->retry_at = 0;
        p->sub_retry_at = 0;
        p->sub_waiting = 0;                      /* a new connection: nothing awaits an answer */
        p->sub_again = 1;
        s_seen (r, p, 1);
        node_log (r->n, "info", "connected to %s", p->info.org);
        if (r->authority)
            s_send_directory (r, p->dealer, NULL, 0);
        s_schedule (r, s_now_ms ());
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        if (p->connected) {
            node_log (r->n, "info", "lost connection to %s", p->info.org);
            s_seen (r, p, 0);
        }
        p->connected = 0;
        p->sub_waiting = 0;
        /* What was in flight went with the connection: end the attempt
           now, rather than when its timer runs out, so that it is offered
           again (the subscriber answers from what it holds) as soon as the
           connection is back. */
        if (p->out.dataset[0])
            s_out_fail (r, p, "transport.send", 0, "connection lost");
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        node_log (r->n, "warn", "%s refused our connection (does it have our card?)", p->info.org);
    }
    zmq_msg_close (&ev);
    zmq_msg_close (&addr);
}

/* ---- the loop ---------------------------------------------------------------- */

/* The kick socket: a plain datagram socket, so that a kick costs a CLI
   command one sendto, not a ZeroMQ context. A socket file left by a
   killed node is ours to replace: this process holds the run lock. */
static int s_kick_open (run_t *r)
{
    struct sockaddr_un addr;
    if (node_kick_addr (r->n, &addr) != 0)
        return node_fail (r->n, "home path %s is too long for its local socket", r->n->home);
    unlink (addr.sun_path);
    r->kick = socket (AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->kick < 0 || bind (r->kick, (const struct sockaddr *) &addr, sizeof addr) != 0)
        return node_fail (r->n, "cannot bind %s: %s", addr.sun_path, strerror (errno));
    return 0;
}

static int s_setup (run_t *r, const char *bind)
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
    zmq_setsockopt (r->router, ZMQ_CURVE_SECRETKEY, cx_keypair_secret (n->curve), 32);
    zmq_setsockopt (r->router, ZMQ_ZAP_DOMAIN, "cdx", 3);
    const char *endpoint = bind ? bind : n->self.endpoint;
    if (zmq_bind (r->router, endpoint) != 0)
        return node_fail (n, "cannot listen on %s: %s (is another node using that port?)", endpoint,
                          zmq_strerror (zmq_errno ()));
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
        if (r->in[i].active) {
            s_in_sync (r, &r->in[i]);
            s_in_release (&r->in[i]);
        }
    for (size_t i = 0; i < r->npeers; i++) {
        if (r->peers[i]->out.dataset[0])
            s_delivery_note (r, r->peers[i], "queued", "node stopped", 0);
        s_peer_close (r, r->peers[i]);
        free (r->peers[i]);
    }
    free (r->peers);
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
    if (strcmp (d->state, "sending") == 0) {
        store_delivery_t copy = *d;
        snprintf (copy.state, sizeof copy.state, "queued");
        store_delivery_update (r->n->store, &copy);
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
        if (p->out.dataset[0] && p->out.state == OUT_SENDING && p->out.credit > 0) {
            out_state_t next = s_out_pump (r, p);
            if (p->out.dataset[0])
                p->out.state = next;
        }
    }
    if (n)
        r->pump_next = (r->pump_next + 1) % n;
}

/* Running transfers whose agreement has ended or been revoked stop, at
   both ends (each end looks at its own copy of the agreement). */
static void s_recheck (run_t *r)
{
    policy_decision_t dec;
    r->recheck_at = s_now_ms () + RUN_RECHECK_MS;
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && p->out.state != OUT_QUEUED && p->out.agreement[0] &&
            s_agreement_holds (r, p->out.agreement, p->out.until, &dec) != 0) {
            s_out_deny (r, p, p->out.purpose, &dec);
        }
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active && r->in[i].agreement[0] &&
            s_agreement_holds (r, r->in[i].agreement, r->in[i].until, &dec) != 0)
            s_in_stop (r, &r->in[i], &dec);
}

static void s_timers (run_t *r)
{
    int64_t now = s_now_ms ();
    s_progress_tick (r, now);
    s_seen_tick (r, now, 0);
    if (r->recheck_at && r->recheck_at <= now)
        s_recheck (r);
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && p->out.state != OUT_QUEUED && p->out.deadline <= now)
            s_out_event (r, p, EV_TIMEOUT, NULL);
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active && r->in[i].last_activity + RUN_IDLE_MS <= now) {
            s_in_sync (r, &r->in[i]);
            node_log (r->n, "info", "transfer of %s idle; keeping %lld durable chunks for later", r->in[i].dataset,
                      (long long) r->in[i].durable);
            s_in_let_go (r, &r->in[i]);
        }
    s_limits_flush (r, now);
    if (r->scan_at && r->scan_at <= now)
        s_scan (r);
    if (r->abandon_at && r->abandon_at <= now)
        s_in_abandon (r, NULL);
}

static long s_poll_timeout (run_t *r)
{
    int64_t next = r->scan_at;
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && p->out.state != OUT_QUEUED && (!next || p->out.deadline < next))
            next = p->out.deadline;
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active && (!next || r->in[i].last_activity + RUN_IDLE_MS < next))
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
        busy |= r->in[i].active;
    if (busy) {                               /* look at their agreements again soon */
        if (!r->recheck_at)
            r->recheck_at = s_now_ms () + RUN_RECHECK_MS;
        if (!next || r->recheck_at < next)
            next = r->recheck_at;
    } else {
        r->recheck_at = 0;
    }
    if (!next)
        return -1;                            /* nothing to wait for: sleep */
    int64_t wait = next - s_now_ms ();
    return wait < 0 ? 0 : (long) wait;
}

int node_run (node_t *n, const char *bind, volatile sig_atomic_t *stop, int wake_fd)
{
    if (node_lock_run (n) != 0)
        return -1;
    node_home_sweep (n, "node", 0);             /* what killed commands left in data/ */

    run_t *r = calloc (1, sizeof *r);
    if (!r)
        return node_fail (n, "out of memory");
    r->n = n;
    int rc = -1;
    if (s_setup (r, bind) != 0)
        goto out;
    store_delivery_each_pending (n->store, s_requeue, r);
    if (store_dataset_touch (n->store, "receiving") < 0)  /* nobody could reach us while we were down */
        node_log (n, "error", "cannot restart the clock of unfinished transfers: %s", store_error (n->store));
    if (store_peer_all_offline (n->store) != 0)   /* whatever a killed node left */
        node_log (n, "error", "%s", store_error (n->store));
    s_dir_refresh (r);
    s_reload_peers (r);
    node_audit (n, "node", "start", "node", "", "allow", "local.run", "listening on %s", bind ? bind : n->self.endpoint);
    node_log (n, "info", "listening on %s as %s (%s)", bind ? bind : n->self.endpoint, n->self.org, n->self.name);
    s_schedule (r, s_now_ms ());
    r->abandon_at = s_now_ms ();

    zmq_pollitem_t *items = NULL;
    while (!*stop) {
        size_t count = 4 + 2 * r->npeers;
        zmq_pollitem_t *grown = realloc (items, count * sizeof *items);
        if (!grown)
            break;
        items = grown;
        items[0] = (zmq_pollitem_t){r->router, 0, ZMQ_POLLIN, 0};
        items[1] = (zmq_pollitem_t){r->zap, 0, ZMQ_POLLIN, 0};
        items[2] = (zmq_pollitem_t){NULL, r->kick, ZMQ_POLLIN, 0};
        /* Without a wake pipe the slot asks for nothing. */
        items[3] = wake_fd >= 0 ? (zmq_pollitem_t){NULL, wake_fd, ZMQ_POLLIN, 0}
                                : (zmq_pollitem_t){NULL, r->kick, 0, 0};
        size_t npeers = r->npeers;
        for (size_t i = 0; i < npeers; i++) {
            /* A barred peer has no sockets: an entry with fd -1 is ignored. */
            void *dealer = r->peers[i]->dealer, *monitor = r->peers[i]->monitor;
            items[4 + 2 * i] = (zmq_pollitem_t){dealer, dealer ? 0 : -1, dealer ? ZMQ_POLLIN : 0, 0};
            items[5 + 2 * i] = (zmq_pollitem_t){monitor, monitor ? 0 : -1, monitor ? ZMQ_POLLIN : 0, 0};
        }
        int ready = zmq_poll (items, (int) count, s_poll_timeout (r));
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
            s_handle_zap (r);
        /* A burst of up to a window of messages per socket per turn keeps
           every peer served fairly. */
        for (unsigned k = 0; k < RUN_WINDOW && (items[0].revents & ZMQ_POLLIN); k++) {
            int events = 0;
            size_t len = sizeof events;
            zmq_getsockopt (r->router, ZMQ_EVENTS, &events, &len);
            if (!(events & ZMQ_POLLIN))
                break;
            s_handle_router (r);
        }
        if (items[2].revents & ZMQ_POLLIN) {
            char buf[16];
            while (recv (r->kick, buf, sizeof buf, MSG_DONTWAIT) >= 0)
                ;
            s_reload_peers (r);
            /* The store changed: a subscription just requested goes out
               now, not when the last one sent may be retried (15 s). */
            for (size_t i = 0; i < r->npeers; i++) {
                r->peers[i]->sub_retry_at = 0;
                r->peers[i]->sub_again = 1;      /* an agreement made here, maybe */
            }
            uint64_t before = r->dir_serial;
            s_dir_refresh (r);
            if (r->dir_serial > before)          /* imported from a file: pass it on */
                s_dir_announce (r);
            s_recheck (r);                    /* a revocation here takes effect at once */
            s_schedule (r, s_now_ms ());
        }
        for (size_t i = 0; i < npeers && i < r->npeers; i++) {
            peer_t *p = r->peers[i];
            if (items[5 + 2 * i].revents & ZMQ_POLLIN)
                s_handle_monitor (r, p);
            if (items[4 + 2 * i].revents & ZMQ_POLLIN) {
                for (unsigned k = 0; k < RUN_WINDOW; k++) {
                    int events = 0;
                    size_t len = sizeof events;
                    zmq_getsockopt (p->dealer, ZMQ_EVENTS, &events, &len);
                    if (!(events & ZMQ_POLLIN))
                        break;
                    s_handle_dealer (r, p);
                }
            }
        }
        s_pump_all (r);
        s_timers (r);
    }
    free (items);
    s_seen_tick (r, s_now_ms (), 1);
    s_limits_flush (r, INT64_MAX);
    /* *STOP holds the signal that asked for the stop, when there was one. */
    int sig = (int) *stop;
    char why[64] = "stopped";
    if (sig > 0 && sig < NSIG)
        snprintf (why, sizeof why, "stopped on signal %d (%s)", sig, strsignal (sig));
    node_audit (n, "node", "stop", "node", "", "allow", "local.run", "%s", why);
    node_log (n, "info", "%s", why);
    rc = 0;
out:
    s_teardown (r);
    free (r);
    node_unlock_run (n);
    return rc;
}
