/*  run_internal: what the files of the event loop (node/run/) share.

    The running node's state (run_t), a peer (peer_t) with its outgoing
    transfer (out_xfer_t), the incoming transfers (in_xfer_t), the limits
    and timings of cdx/1, and the functions one file offers the others.
    Calls go down only: loop.c -> dispatch.c -> the jobs (zap, serving,
    gossip, incoming, outgoing) -> peer.c, wire.c, report.c, decide.c ->
    the node library.

    Not for: anything outside node/run/ (node.h holds node_run, the public
    entry), or the session tables themselves (session.h: pure data).
*/
#ifndef RUN_INTERNAL_H_INCLUDED
#define RUN_INTERNAL_H_INCLUDED

#include <stdint.h>
#include <time.h>
#include <zmq.h>

#include "hasher.h"
#include "core.h"
#include "policy.h"
#include "session.h"

#define RUN_WINDOW          8u        /* chunks in flight per transfer */
#define RUN_SYNC_BYTES      (32 << 20) /* receiver makes chunks durable every 32 MiB */
#define RUN_INFLIGHT_MAX    32        /* chunks in flight over all transfers */
#define RUN_TIMEOUT_MS      15000     /* no answer from a peer in a session */
#define RUN_IDLE_MS         60000     /* an incoming transfer is dropped after */
#define RUN_BACKOFF_MIN_MS  1000
#define RUN_BACKOFF_MAX_MS  300000
#define RUN_HEARTBEAT_MS    5000
#define RUN_TAKEOVER_MS     15000     /* T of SPEC.md 11.5 */
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
    char sub_wait_resend[RUN_SUB_WAIT]; /* 1: that one is a RESEND (SPEC.md 11.1) */
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
    /* A sibling's reachability and this node's takeover of its work
       (siblings.c, SPEC.md 11.5). */
    int64_t down_since;        /* unreachable since, ms (0: connected, or not reached since the start) */
    int64_t down_wall;         /* the same, unix ms */
    int take_count;            /* its deliveries this scan takes over */
    int64_t taken_at;          /* took them over at, ms (0: not in this outage) */
    int taken;                 /* how many then */
    int settings_synced;       /* a sibling: every setting was sent since its connection came up */
    int64_t settings_sent;     /* ... and those updated from then on (unix seconds) are sent next */
} peer_t;

typedef struct {
    in_state_t state;          /* IN_RECEIVING while in memory, else IN_IDLE (a free slot) */
    char dataset[33];
    uint8_t dsid[16];
    char publisher[17];        /* the org it comes from */
    char sender[16];           /* the node it comes from, its address */
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

static inline int in_active (const in_xfer_t *x)
{
    return x->state == IN_RECEIVING;
}

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
    struct metrics *metrics;   /* the metrics endpoint (metrics.c), NULL: none */
    int64_t started_ms;        /* when the loop started, ms and unix ms */
    int64_t started_wall;
    int64_t takeover_ms;       /* a sibling unreachable this long has its deliveries taken over */
    struct drill *drill;       /* a drill under way (drill.c), NULL: none */
    const char *bind;          /* what the ROUTER binds: --bind, NULL: the card's endpoint */
} run_t;

typedef struct {
    uint8_t routing[256];
    size_t routing_len;
    char org[17];              /* the org of the node ZAP authenticated (its User-Id is the node's address) */
    peer_t *peer;
} origin_t;

/* One look at pending work (serve_scan), passed to the store's walks. */
typedef struct {
    run_t *r;
    int64_t now;
    uint64_t id;
} scan_t;

static inline int64_t run_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next look at pending work (serve_scan) is due no later than AT. */
static inline void run_schedule (run_t *r, int64_t at)
{
    if (r->scan_at == 0 || at < r->scan_at)
        r->scan_at = at;
}

/* peer.c */
/* The peer (a node) at ADDRESS (ORG or ORG/LABEL), or NULL. */
peer_t *peer_find (run_t *r, const char *address);
/* The node that what goes to organisation ORG is sent to (peer_for_org in
   peer.c), or NULL; never a sibling. */
peer_t *peer_for_org (run_t *r, const char *org);
/* The node a delivery to SUBSCRIBER goes to: the sibling at that address
   for a copy (card_address_of_org), else peer_for_org. NULL if none. */
peer_t *peer_for_delivery (run_t *r, const char *subscriber);
/* The subscriber of P's deliveries in the store: its address if it is a
   sibling (a copy, SPEC.md 11.5), else its org. */
const char *peer_to (run_t *r, const peer_t *p);
/* 1 if P is a node of this node's own organisation. */
int peer_is_sibling (run_t *r, const peer_t *p);
/* 0 if SIG over MSG verifies with the signing key of a node of ORG not
   barred (this node's own for its own org): a signature by an
   organisation (SPEC.md 9.2), from the peers loaded, with no allocation.
   -1 otherwise. */
/* The address of the current node of ORG whose key made SIG, or NULL. */
const char *peer_org_signer (run_t *r, const char *org, const uint8_t *msg, size_t len, const uint8_t sig[64]);
int peer_org_verify (run_t *r, const char *org, const uint8_t *msg, size_t len, const uint8_t sig[64]);
void peer_actor (const peer_t *p, char *buf, size_t cap);
void peer_backoff (run_t *r, peer_t *p);
int run_limit_take (run_t *r, limit_t *l, const char *who, const char *decision, const char *kind);
int run_limit_pass (run_t *r, limit_t *l, const char *who);
void run_limits_flush (run_t *r, int64_t now);
void peer_seen (run_t *r, peer_t *p, int connected);
void peer_heard (run_t *r, peer_t *p);
void peer_seen_tick (run_t *r, int64_t now, int stopping);
int peer_connect (run_t *r, peer_t *p);
void peer_close (peer_t *p);
peer_t *peer_new (void);
void peer_destroy (peer_t **p_p);

/* wire.c */
int wire_send (run_t *r, void *sock, const uint8_t *routing, size_t routing_len,
                   const proto_msg_t *m, zmq_msg_t *payload);
int wire_error (run_t *r, const origin_t *o, proto_err_t code, const uint8_t *dsid, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

/* report.c */
void report_soon (run_t *r);
void report_tick (run_t *r, int64_t now);

/* zap.c */
void zap_bar (run_t *r, peer_t *p, const char *rule);
void zap_reload_peers (run_t *r);
void zap_handle (run_t *r);

/* decide.c */
int decide_agreement_holds (run_t *r, const char *ref, int64_t until, policy_decision_t *dec);
void decide_again (run_t *r, policy_stage_t stage, const store_dataset_t *d, const char *provider,
                            const char *recipient, policy_decision_t *dec);

/* outgoing.c */
/* What comes with an event for an outgoing session (each may be NULL):
   the message, the refusal of an agreement ended, the store's rows of an
   expired delivery; SLOT, a session other than the peer's own (one in the
   store only). */
typedef struct {
    const proto_msg_t *m;
    const policy_decision_t *dec;
    const store_delivery_t *delivery;
    const store_dataset_t *dataset;
    out_xfer_t *slot;
} out_input_t;
/* Moves P's outgoing session through the table on EV (IN may be NULL).
   0, or -1 if the table has no row for it (logged, nothing changed). */
int out_event (run_t *r, peer_t *p, out_event_t ev, out_input_t *in);
/* The expiry of delivery D (of dataset DS) to P (NULL if not loaded),
   under way or queued. */
int out_expire (run_t *r, peer_t *p, const store_delivery_t *d, const store_dataset_t *ds);
void out_release (run_t *r, out_xfer_t *x);

/* serving.c */
void serve_scan (run_t *r);
void serve_on_subscribe (run_t *r, const origin_t *o, const proto_msg_t *m);
void serve_on_unsubscribe (run_t *r, const origin_t *o, const proto_msg_t *m);
/* Deliveries of this organisation's TOPIC to SUBSCRIBER (an org) queued
   as a new subscription from FROM_VERSION asks (0: the newest only): the
   versions of this organisation held here (published here or a
   sibling's copy: whichever node owns a delivery sends it). How many. */
int serve_queue_versions (run_t *r, const char *subscriber, const char *topic, int64_t from_version);
/* The publisher-side subscription SUB ended (state set here): stored (as
   a sibling's setting if SETTING), its queued deliveries cancelled in
   the same transaction and the one under way cancelled. How many were
   cancelled, or -1 (nothing changed). */
int serve_end_subscriber (run_t *r, store_sub_t *sub, int setting);
/* The oldest SUBSCRIBE (or RESEND) of TOPIC awaiting an answer, and any
   older, are answered: 1 if it was a RESEND, 0 if a SUBSCRIBE, -1 if
   none awaited. */
int serve_sub_answered (peer_t *p, const char *topic);
void serve_on_resend (run_t *r, const origin_t *o, const proto_msg_t *m);
int serve_sub_refused (run_t *r, peer_t *p, const proto_msg_t *m);
void serve_on_subscribed (run_t *r, peer_t *p, const proto_msg_t *m);

/* gossip.c */
/* M: REVOKE of agreement A (its hash and reason). */
void gossip_revoke_message (const store_agreement_t *a, proto_msg_t *m);
int gossip_push_agreement (const store_agreement_t *a, void *arg);
void gossip_on_agreement (run_t *r, const origin_t *o, peer_t *p, const proto_msg_t *m, int routed);
void gossip_on_revoke (run_t *r, const origin_t *o, peer_t *p, const proto_msg_t *m, int routed);
void gossip_dir_refresh (run_t *r);
void gossip_send_directory (run_t *r, void *sock, const origin_t *o, int with_text);
void gossip_dir_announce (run_t *r);
void gossip_on_directory (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload);
void gossip_recheck (run_t *r);

/* incoming.c */
in_xfer_t *in_find (run_t *r, const uint8_t dsid[16]);
void in_release (in_xfer_t *x);
int in_sync (run_t *r, in_xfer_t *x);
void in_let_go (run_t *r, in_xfer_t *x);
void in_discard (run_t *r, const char *id);
int in_abandon_record (run_t *r, const store_dataset_t *d);
double in_need (double bytes, double chunk_size, double chunks, double from);
int in_room (run_t *r, double now, double need, char *why, size_t cap);
in_drop_t *in_dropping (run_t *r, const uint8_t dsid[16], const char *publisher);
void in_drop_after (run_t *r, const in_xfer_t *x);
void in_note (run_t *r, const origin_t *o, const char *object, const char *rule, const char *why);
void in_refuse (run_t *r, const origin_t *o, const char *object, proto_err_t code,
                         const uint8_t *dsid, const char *rule, const char *why);
void in_pause (run_t *r, const origin_t *o, in_xfer_t *x, const char *object, const char *why);
void in_stop (run_t *r, in_xfer_t *x, const policy_decision_t *dec);
int64_t in_chunk_len (int64_t bytes, int64_t chunk_size, int64_t chunks, int64_t index);
int64_t in_rehash (run_t *r, in_xfer_t *x);
void in_send_receipt (run_t *r, const origin_t *o, const uint8_t dsid[16], const uint8_t hash[32]);
void in_accept (run_t *r, const origin_t *o, in_xfer_t *x);
int in_complete (run_t *r, const origin_t *o, in_xfer_t *x, const char **why);

/* receive.c */
void in_on_offer (run_t *r, const origin_t *o, const proto_msg_t *m);
void in_on_chunk (run_t *r, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload);
/* Moves the transfer X, in memory, through the incoming table on EV (one
   without a message: agreement-ended with DEC, idle, stopped). */
void in_event (run_t *r, in_xfer_t *x, in_event_t ev, const policy_decision_t *dec);
/* Incoming transfers from PUBLISHER (everyone's if NULL) not in progress
   and without activity (an OFFER, chunks made durable, a pause) for
   RUN_ABANDON_MS are abandoned. Without a publisher it also sets when to
   look again. How many. */
int in_abandon (run_t *r, const char *publisher);

/* dispatch.c */
/* siblings.c: DELIVERED, SETTING and FAILOVER from P, refused unless P is
   a sibling (SPEC.md 11.5). */
void sibling_on_message (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m);

/* siblings.c: who sends a delivery of this organisation's data (1: this
   node, now; 0: another, STATUS says which), the scan's takeovers
   recorded, a sibling's connect and disconnect, a receipt passed on. */
int sibling_sends (run_t *r, const store_delivery_t *d, int64_t now, char *status, size_t cap);
void sibling_scan_begin (run_t *r);
void sibling_scan_end (run_t *r);
void sibling_on_connect (run_t *r, peer_t *p);
void sibling_on_disconnect (run_t *r, peer_t *p);
void sibling_receipt (run_t *r, const store_delivery_t *d);
void sibling_copy_receipted (run_t *r, peer_t *p, const char *dataset);

/* drill.c: a FAILOVER about this node, the outcome of a drill under way. */
void drill_on_failover (run_t *r, peer_t *p, const proto_msg_t *m);
/* What a node stopped or killed during a drill left in its home, removed
   at the start. */
void drill_init (run_t *r);
/* On a kick: a drill asked for (HOME/drill.req) is started. 1 while the
   node is dark (the kick's other work waits until it is back), else 0. */
int drill_on_kick (run_t *r);
/* 1 while a drill keeps this node dark: no ROUTER, no DEALERs, no scan. */
int drill_dark (const run_t *r);
/* NEXT (ms, 0: none), or the drill's next deadline if sooner. */
int64_t drill_next (const run_t *r, int64_t next);
/* The drill's timers at NOW: back when the dark time ends, failed when
   no FAILOVER came in time. 1 if it just came back. */
int drill_tick (run_t *r, int64_t now);
/* The node stops: a drill under way ends, failed, and is recorded. */
void drill_stop (run_t *r);
/* P connected (dispatch.c, before sibling_on_connect): a sibling that
   was unreachable for longer than the takeover time with nothing of its
   taken over is sent FAILOVER with count 0 (a drill's answer when no
   delivery was waiting); one whose deliveries were taken over is told by
   sibling_on_connect. */
void drill_sibling_back (run_t *r, peer_t *p);

/* loop.c: the ROUTER, bound to r->bind (or the card's endpoint), at the
   start and after a drill. 0, or -1 (node_error; r->router NULL). */
int run_router_open (run_t *r);

/* settings.c: a SETTING from sibling P, applied if newer. */
void settings_on_setting (run_t *r, peer_t *p, const proto_msg_t *m);
/* settings.c: to each connected sibling, every setting when its
   connection is new, else those changed since the last scan. */
void settings_scan (run_t *r);

void dispatch_router (run_t *r);
void dispatch_dealer (run_t *r, peer_t *p);
void dispatch_monitor (run_t *r, peer_t *p);

#endif
