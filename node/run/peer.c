/*  peer.c: a peer of the running node: its DEALER socket and monitor, its
    back-off, the limits on what its messages may write to the audit log, and
    whether it is seen.

    Not for: what is said to it (the jobs), or who it is (zap.c, the store).
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

peer_t *peer_find (run_t *r, const char *address)
{
    for (size_t i = 0; i < r->npeers; i++)
        if (strcmp (r->peers[i]->info.address, address) == 0)
            return r->peers[i];
    return NULL;
}

/* Until siblings share the work (SPEC.md 11.5), what goes to an
   organisation goes to its first node by address that is connected and
   not barred, else to its first node by address (which then waits for
   it, or holds its deliveries while it is barred). */
peer_t *peer_for_org (run_t *r, const char *org)
{
    peer_t *first = NULL, *live = NULL;
    if (strcmp (org, node_self (r->n)->org) == 0)
        return NULL;                            /* siblings are not another organisation */
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (strcmp (p->info.org, org) != 0)
            continue;
        if (!first || strcmp (p->info.address, first->info.address) < 0)
            first = p;
        if (p->connected && !p->barred && (!live || strcmp (p->info.address, live->info.address) < 0))
            live = p;
    }
    return live ? live : first;
}

int peer_is_sibling (run_t *r, const peer_t *p)
{
    return strcmp (p->info.org, node_self (r->n)->org) == 0 && strcmp (p->info.trust, "certified") == 0;
}

peer_t *peer_for_delivery (run_t *r, const char *subscriber)
{
    if (!card_address_of_org (subscriber, node_self (r->n)->org))
        return peer_for_org (r, subscriber);
    peer_t *p = peer_find (r, subscriber);
    return p && peer_is_sibling (r, p) ? p : NULL;
}

const char *peer_to (run_t *r, const peer_t *p)
{
    return peer_is_sibling (r, p) ? p->info.address : p->info.org;
}

const char *peer_org_signer (run_t *r, const char *org, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    if (strcmp (org, node_self (r->n)->org) == 0 &&
        cx_verify (cx_keypair_public (node_sign_key (r->n)), msg, len, sig) == 0)
        return node_address (r->n);
    for (size_t i = 0; i < r->npeers; i++) {
        const peer_t *p = r->peers[i];
        if (strcmp (p->info.org, org) == 0 && !p->barred && cx_verify (p->info.sign_pk, msg, len, sig) == 0)
            return p->info.address;
    }
    return NULL;
}

int peer_org_verify (run_t *r, const char *org, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    return peer_org_signer (r, org, msg, len, sig) ? 0 : -1;
}

void peer_actor (const peer_t *p, char *buf, size_t cap)
{
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (p->info.sign_pk, fpr);          /* the fingerprint people compare */
    snprintf (buf, cap, "peer:%s:%s", p->info.address, fpr);
}

void peer_backoff (run_t *r, peer_t *p)
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
    p->retry_at = run_now_ms () + p->backoff_ms + jitter;
    run_schedule (r, p->retry_at);
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
int run_limit_take (run_t *r, limit_t *l, const char *who, const char *decision, const char *kind)
{
    int64_t now = run_now_ms ();
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
        run_schedule (r, l->start + RUN_LIMIT_WINDOW_MS);
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
int run_limit_pass (run_t *r, limit_t *l, const char *who)
{
    return run_limit_take (r, l, who, "refuse", "refusal(s)");
}

/* Summaries of every window that has ended by NOW (INT64_MAX: every
   window, when the node stops, so that nothing counted goes unrecorded). */
void run_limits_flush (run_t *r, int64_t now)
{
    s_limit_flush (r, &r->zap_refusals, "", now);
    for (size_t i = 0; i < r->npeers; i++) {
        s_limit_flush (r, &r->peers[i]->refusals, r->peers[i]->info.address, now);
        s_limit_flush (r, &r->peers[i]->allowed, r->peers[i]->info.address, now);
    }
}

void peer_seen (run_t *r, peer_t *p, int connected)
{
    if (store_peer_seen (node_db (r->n), p->info.address, connected, (int64_t) time (NULL)) != 0)
        node_log (r->n, "error", "cannot record peer %s as %sconnected: %s", p->info.address, connected ? "" : "not ",
                  store_error (node_db (r->n)));
    if (connected && !r->seen_at)
        r->seen_at = run_now_ms () + RUN_SEEN_MS;
}

/* A message from P on our ROUTER: it was seen, even when our own
   connection to it is not up (yet, or any more); recorded at most once a
   RUN_SEEN_MS. */
void peer_heard (run_t *r, peer_t *p)
{
    int64_t now = run_now_ms ();
    if (p->heard_at && now < p->heard_at + RUN_SEEN_MS)
        return;
    p->heard_at = now;
    peer_seen (r, p, p->connected);
}

/* Connected peers were seen up now; at a stop (STOPPING), for the last time. */
void peer_seen_tick (run_t *r, int64_t now, int stopping)
{
    if (!stopping && (!r->seen_at || now < r->seen_at))
        return;
    int any = 0;
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected) {
            peer_seen (r, r->peers[i], !stopping);
            any = 1;
        }
    r->seen_at = any && !stopping ? now + RUN_SEEN_MS : 0;
}

int peer_connect (run_t *r, peer_t *p)
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
    zmq_setsockopt (p->dealer, ZMQ_CURVE_PUBLICKEY, cx_keypair_public (node_curve_key (r->n)), 32);
    zmq_setsockopt (p->dealer, ZMQ_CURVE_SECRETKEY, cx_keypair_secret (node_curve_key (r->n)), 32);
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

/* A peer not yet known to the loop: no sockets, no transfer. NULL if
   out of memory. peer_destroy closes its sockets, frees it and sets *P_P
   to NULL. */
peer_t *peer_new (void)
{
    peer_t *p = calloc (1, sizeof *p);
    if (p)
        p->out.fd = -1;
    return p;
}

void peer_destroy (peer_t **p_p)
{
    if (!*p_p)
        return;
    peer_close (*p_p);
    free (*p_p);
    *p_p = NULL;
}

void peer_close (peer_t *p)
{
    if (p->monitor)
        zmq_close (p->monitor);
    if (p->dealer)
        zmq_close (p->dealer);
    p->monitor = p->dealer = NULL;
}
