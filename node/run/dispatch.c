/*  dispatch.c: one message in, from the ROUTER (peers' requests) or a
    DEALER (their answers), decoded, its socket checked, and handed to its
    job; the DEALER monitors' connects and disconnects.

    Not for: what a message means (the jobs).
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

/* ---- each message to its handler, on the sockets messages.def names ----- */

/* A message decoded, from peer P: on the ROUTER (O set) or on the DEALER
   to P (O NULL). */
typedef struct {
    run_t *r;
    peer_t *p;
    const origin_t *o;
    const proto_msg_t *m;
    zmq_msg_t *payload;
    out_event_t out_ev;        /* for an answer in an outgoing session */
} msg_t;

typedef void (msg_fn) (const msg_t *c);

static void s_on_subscribe (const msg_t *c) { serve_on_subscribe (c->r, c->o, c->m); }
static void s_on_unsubscribe (const msg_t *c) { serve_on_unsubscribe (c->r, c->o, c->m); }
static void s_on_resend (const msg_t *c) { serve_on_resend (c->r, c->o, c->m); }
static void s_on_subscribed (const msg_t *c) { serve_on_subscribed (c->r, c->p, c->m); }
static void s_on_offer (const msg_t *c) { in_on_offer (c->r, c->o, c->m); }
static void s_on_chunk (const msg_t *c) { in_on_chunk (c->r, c->o, c->m, c->payload); }
static void s_on_directory (const msg_t *c) { gossip_on_directory (c->r, c->p, c->o, c->m, c->payload); }
static void s_on_agreement (const msg_t *c) { gossip_on_agreement (c->r, c->o, c->p, c->m, c->o != NULL); }
static void s_on_revoke (const msg_t *c) { gossip_on_revoke (c->r, c->o, c->p, c->m, c->o != NULL); }

/* DELIVERED, SETTING and FAILOVER (SPEC.md 11.5): siblings.c, which
   takes them from a certified sibling only and refuses them, audited,
   from anyone else. */
static void s_on_sibling (const msg_t *c)
{
    sibling_on_message (c->r, c->p, c->o, c->m);
}

/* ACCEPT, CREDIT, RECEIPT and ERROR about the delivery under way to P go
   to its session; others about no delivery of ours are not for us. */
static int s_ours (const msg_t *c)
{
    return c->p->out.dataset[0] && memcmp (c->m->dataset, c->p->out.dsid, 16) == 0;
}

static void s_on_answer (const msg_t *c)
{
    out_input_t in = {.m = c->m};
    if (s_ours (c))
        out_event (c->r, c->p, c->out_ev, &in);
}

static void s_on_error (const msg_t *c)
{
    run_t *r = c->r;
    const proto_msg_t *m = c->m;
    if (c->o) {                                  /* never answer an ERROR with an ERROR */
        if (run_limit_pass (r, &c->p->refusals, c->o->org))
            node_log (r->n, "warn", "%s sent ERROR %s to our socket: %s", c->o->org, proto_err_name (m->code),
                      m->reason);
    } else if (s_ours (c)) {
        s_on_answer (c);
    } else if (!serve_sub_refused (r, c->p, m)) {
        node_log (r->n, "warn", "%s says %s: %s", c->p->info.org, proto_err_name (m->code), m->reason);
    }
}

/* Each message's handler, by id. Which socket takes it is not written
   here: it comes from protocol/messages.def (proto_accepted_on), the one
   definition SPEC.md's table is held to. */
static const struct {
    msg_fn *handler;
    out_event_t out_ev;
} s_messages[] = {
    [PROTO_SUBSCRIBE] = {s_on_subscribe, OUT_EV_NONE},
    [PROTO_SUBSCRIBED] = {s_on_subscribed, OUT_EV_NONE},
    [PROTO_OFFER] = {s_on_offer, OUT_EV_NONE},
    [PROTO_ACCEPT] = {s_on_answer, OUT_EV_ACCEPT},
    [PROTO_CHUNK] = {s_on_chunk, OUT_EV_NONE},
    [PROTO_CREDIT] = {s_on_answer, OUT_EV_CREDIT},
    [PROTO_RECEIPT] = {s_on_answer, OUT_EV_RECEIPT},
    [PROTO_ERROR] = {s_on_error, OUT_EV_ERROR},
    [PROTO_UNSUBSCRIBE] = {s_on_unsubscribe, OUT_EV_NONE},
    [PROTO_DIRECTORY] = {s_on_directory, OUT_EV_NONE},
    [PROTO_AGREEMENT] = {s_on_agreement, OUT_EV_NONE},
    [PROTO_REVOKE] = {s_on_revoke, OUT_EV_NONE},
    [PROTO_RESEND] = {s_on_resend, OUT_EV_NONE},
    [PROTO_DELIVERED] = {s_on_sibling, OUT_EV_NONE},
    [PROTO_SETTING] = {s_on_sibling, OUT_EV_NONE},
    [PROTO_FAILOVER] = {s_on_sibling, OUT_EV_NONE},
};
_Static_assert (sizeof s_messages / sizeof s_messages[0] == PROTO_MSG_MAX + 1,
                "a handler for every message of messages.def, up to the last id");

/* Hands M from P (on the ROUTER when O is set) to its handler, if its
   socket takes it; otherwise refused (STATE, on the ROUTER) or ignored (on
   a DEALER: never answered). An ERROR on the ROUTER, which no socket takes
   there, is logged by its handler and never answered. */
static void s_dispatch (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload)
{
    proto_socket_t socket = o ? PROTO_ROUTER : PROTO_DEALER;
    int known = m->id < sizeof s_messages / sizeof s_messages[0] && s_messages[m->id].handler;
    if (known && (proto_accepted_on (m->id, socket) || m->id == PROTO_ERROR)) {
        msg_t c = {r, p, o, m, payload, s_messages[m->id].out_ev};
        s_messages[m->id].handler (&c);
        return;
    }
    if (o)
        wire_error (r, o, PROTO_E_STATE, NULL, "%s is not sent to a node's ROUTER socket", proto_name (m->id));
    else
        node_log (r->n, "warn", "%s sent %s on our connection: ignored", p->info.org, proto_name (m->id));
}

void dispatch_router (run_t *r)
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
    if (!user || !(o.peer = peer_find (r, user))) {
        zap_reload_peers (r);                 /* admitted by ZAP: maybe just added */
        if (!user || !(o.peer = peer_find (r, user)))
            goto out;
    }
    snprintf (o.org, sizeof o.org, "%s", o.peer->info.org);   /* User-Id names the node; o.org its org */
    if (o.peer->barred) {                       /* admitted before it was barred: its data is refused */
        if (run_limit_pass (r, &o.peer->refusals, o.peer->info.address)) {
            char actor[80];
            peer_actor (o.peer, actor, sizeof actor);
            node_audit (r->n, actor, "receive", "message", o.peer->info.address, "refuse", o.peer->barred,
                        "message from %s refused: it is barred (%s)", o.peer->info.address, o.peer->barred);
        }
        goto out;
    }
    /* One message at a time, in the loop's one thread: a buffer of its
       own, so that no allocation can fail and lose a message that was
       received (a chunk dropped so would stall its transfer). */
    static proto_msg_t s_router_msg;
    proto_msg_t *m = &s_router_msg;
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
            in_note (r, &o, "message", "protocol.decode", why);
        else
            in_refuse (r, &o, "message", err, NULL, "protocol.decode", why);
        goto out;
    }
    peer_heard (r, o.peer);                     /* a message that decodes: it was seen */
    s_dispatch (r, o.peer, &o, m, &payload);
out:
    zmq_msg_close (&header);
    zmq_msg_close (&payload);
}

void dispatch_dealer (run_t *r, peer_t *p)
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
    static proto_msg_t s_dealer_msg;            /* as s_router_msg */
    proto_msg_t *m = &s_dealer_msg;
    proto_err_t err = proto_decode (zmq_msg_data (&header), zmq_msg_size (&header), m);
    if (err == PROTO_OK && (extra || frames != 1 + proto_has_payload (m->id)))
        err = PROTO_E_MALFORMED;
    if (err != PROTO_OK) {
        char actor[80];
        peer_actor (p, actor, sizeof actor);
        if (!run_limit_pass (r, &p->refusals, p->info.org))
            goto out;
        node_log (r->n, "warn", "malformed reply from %s: %s", p->info.org, proto_error ());
        node_audit (r->n, actor, "receive", "message", p->info.org, "refuse", "protocol.decode",
                    "%s reply: %s", proto_err_name (err), proto_error ());
        goto out;
    }
    s_dispatch (r, p, NULL, m, &payload);
out:
    zmq_msg_close (&header);
    zmq_msg_close (&payload);
}

void dispatch_monitor (run_t *r, peer_t *p)
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
        peer_seen (r, p, 1);
        node_log (r->n, "info", "connected to %s", p->info.address);
        drill_sibling_back (r, p);               /* before its outage is forgotten */
        sibling_on_connect (r, p);
        if (r->authority)
            gossip_send_directory (r, p->dealer, NULL, 0);
        run_schedule (r, run_now_ms ());
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        if (p->connected) {
            node_log (r->n, "info", "lost connection to %s", p->info.address);
            peer_seen (r, p, 0);
        }
        p->connected = 0;
        p->sub_waiting = 0;
        sibling_on_disconnect (r, p);
        /* What was in flight went with the connection: end the attempt
           now, rather than when its timer runs out, so that it is offered
           again (the subscriber answers from what it holds) as soon as the
           connection is back. */
        if (p->out.dataset[0])
            out_event (r, p, OUT_EV_DISCONNECTED, NULL);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        node_log (r->n, "warn", "%s refused our connection (does it have our card?)", p->info.address);
    }
    zmq_msg_close (&ev);
    zmq_msg_close (&addr);
}
