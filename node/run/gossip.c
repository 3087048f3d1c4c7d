/*  gossip.c: what peers tell each other besides data: agreements and their
    revocations (AGREEMENT, REVOKE) both ways, directories (DIRECTORY,
    SPEC.md 11.3), and the transfers an ended agreement stops.

    Not for: verifying agreements or directories (agree.c, trust.c).
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

#include "agree.h"
#include "cert.h"
#include "home.h"
#include "run_internal.h"
#include "trust.h"

void gossip_revoke_message (const store_agreement_t *a, proto_msg_t *m)
{
    memset (m, 0, sizeof *m);
    m->id = PROTO_REVOKE;
    memcpy (m->hash, a->hash, 32);
    snprintf (m->reason, sizeof m->reason, "%s", a->reason);
}

/* M to each connected sibling: they hold the organisation's agreements
   alike (SPEC.md 11.5). */
static void s_to_siblings (run_t *r, const proto_msg_t *m)
{
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->connected && peer_is_sibling (r, r->peers[i]))
            wire_send (r, r->peers[i]->dealer, NULL, 0, m, NULL);
}

/* Sends this node's copy of each agreement the other party may not have
   yet (its signatures, or its revocation), to connected peers. */
int gossip_push_agreement (const store_agreement_t *a, void *arg)
{
    scan_t *sc = arg;
    if (a->pushed)
        return 0;
    const char *other = strcmp (a->provider, node_self (sc->r->n)->org) == 0 ? a->recipient : a->provider;
    peer_t *p = peer_for_org (sc->r, other);
    proto_msg_t *m = malloc (sizeof *m);
    if (!m)
        return 0;
    if (a->revoked)
        gossip_revoke_message (a, m);
    else
        node_agreement_message (a, m);
    /* Until the other party holds it, each sibling is sent it too. */
    s_to_siblings (sc->r, m);
    if (!p || !p->connected) {
        free (m);
        return 0;                                /* the connect event rescans */
    }
    if (wire_send (sc->r, p->dealer, NULL, 0, m, NULL) == 0)
        node_log (sc->r->n, "info", "sent %s %s to %s", a->revoked ? "revocation of agreement" : "agreement", a->ref,
                  other);
    free (m);
    run_schedule (sc->r, sc->now + RUN_TIMEOUT_MS);  /* until it is acknowledged */
    return 0;
}

/* Peer P has as many proposals here as it may (node_agreement_room, whose
   reason is in node_error): refused with INTERNAL, which asks it to try
   again later, and audited within the rate. */
static void s_agreement_limit (run_t *r, const origin_t *o, peer_t *p, int routed)
{
    if (routed)
        wire_error (r, o, PROTO_E_INTERNAL, NULL, "agreement.limit: %s", node_error (r->n));
    if (!run_limit_pass (r, &p->refusals, p->info.org))
        return;
    char actor[80];
    peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "refused an agreement from %s: %s", p->info.org, node_error (r->n));
    node_audit (r->n, actor, "agreement-receive", "agreement", p->info.org, "refuse", "agreement.limit", "%s",
                node_error (r->n));
}

/* An AGREEMENT from the other party: on our ROUTER (ROUTED set) it is
   answered with our merged copy, or with REVOKE if we revoked it; on our
   DEALER it is that answer. */
void gossip_on_agreement (run_t *r, const origin_t *o, peer_t *p, const proto_msg_t *m, int routed)
{
    store_agreement_t *a = malloc (sizeof *a);
    proto_msg_t *reply = malloc (sizeof *reply);
    int changed = 0;
    if (!a || !reply)
        goto out;
    if (peer_is_sibling (r, p)) {               /* a sibling's copy: merged, not answered */
        if (node_agreement_take (r->n, m->doc, m->doc_len, m->sig, m->sig2, p->info.org, 0, a, &changed) != 0)
            node_log (r->n, "warn", "agreement from sibling %s not taken: %s", p->info.address, node_error (r->n));
        else if (changed)
            node_log (r->n, "info", "agreement %s from sibling %s: %s", a->ref, p->info.address,
                      node_agreement_state (a, (int64_t) time (NULL)));
        goto out;
    }
    if (node_agreement_room (r->n, m->doc, m->doc_len, m->sig, m->sig2, p->info.org) != 0) {
        s_agreement_limit (r, o, p, routed);
        goto out;
    }
    if (node_agreement_take (r->n, m->doc, m->doc_len, m->sig, m->sig2, p->info.org, 0, a, &changed) != 0) {
        if (routed)
            wire_error (r, o, PROTO_E_DENIED, NULL, "agreement.refused: %s", node_error (r->n));
        if (run_limit_pass (r, &p->refusals, p->info.org)) {
            char actor[80];
            peer_actor (p, actor, sizeof actor);
            node_log (r->n, "warn", "refused an agreement from %s: %s", p->info.org, node_error (r->n));
            node_audit (r->n, actor, "agreement-receive", "agreement", p->info.org, "refuse", "agreement.refused",
                        "%s", node_error (r->n));
        }
        goto out;
    }
    if (changed) {
        node_log (r->n, "info", "agreement %s from %s: %s", a->ref, p->info.org,
                  node_agreement_state (a, (int64_t) time (NULL)));
        node_agreement_message (a, reply);      /* what it merged, to the siblings */
        s_to_siblings (r, reply);
    }
    /* Its copy may be what it refused a subscription for the want of. */
    p->sub_again = 1;
    p->sub_retry_at = 0;
    run_schedule (r, run_now_ms ());
    int same = memcmp (a->sig_provider, m->sig, 64) == 0 && memcmp (a->sig_recipient, m->sig2, 64) == 0;
    if (routed) {
        if (a->revoked)
            gossip_revoke_message (a, reply);
        else
            node_agreement_message (a, reply);
        if (wire_send (r, r->router, o->routing, o->routing_len, reply, NULL) == 0 && !a->revoked && !a->pushed) {
            a->pushed = 1;                      /* the answer carries everything we hold */
            store_agreement_put (node_db (r->n), a);
        }
    } else if (same && !a->revoked && !a->pushed) {
        a->pushed = 1;                          /* the other party holds what we hold */
        store_agreement_put (node_db (r->n), a);
    }
out:
    free (a);
    free (reply);
}

/* A REVOKE from the other party (or its answer to ours): the agreement
   stops here too, with running transfers under it. */
void gossip_on_revoke (run_t *r, const origin_t *o, peer_t *p, const proto_msg_t *m, int routed)
{
    store_agreement_t *a = malloc (sizeof *a);
    if (!a)
        return;
    int sib = peer_is_sibling (r, p);             /* a sibling's revocation stands for the organisation */
    if (store_agreement_by_hash (node_db (r->n), m->hash, a) != 0 ||
        (!sib && strcmp (a->provider, p->info.org) != 0 && strcmp (a->recipient, p->info.org) != 0)) {
        if (routed)
            wire_error (r, o, PROTO_E_DENIED, NULL, "agreement.unknown: no agreement with that hash between us");
        free (a);
        return;
    }
    if (!a->revoked) {
        node_agreement_mark_revoked (r->n, a, p->info.org, m->reason, !sib);
        node_log (r->n, "warn", "agreement %s revoked by %s: %s", a->ref, p->info.org, m->reason);
        if (!sib)
            s_to_siblings (r, m);               /* it stands for the whole organisation */
        gossip_recheck (r);
    } else if (!a->pushed && !sib) {
        a->pushed = 1;                          /* both ends hold it revoked */
        store_agreement_put (node_db (r->n), a);
    }
    if (routed && !sib) {
        proto_msg_t reply;
        gossip_revoke_message (a, &reply);
        wire_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
    }
    free (a);
}

void gossip_dir_refresh (run_t *r)
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
void gossip_send_directory (run_t *r, void *sock, const origin_t *o, int with_text)
{
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_DIRECTORY;
    m.number = r->dir_serial;
    char *text = NULL;
    size_t len = 0;
    if (with_text && store_trust_get (node_db (r->n), "directory", &text, &len) != 0) {
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
    wire_send (r, sock, o ? o->routing : NULL, o ? o->routing_len : 0, &m, &payload);
}

/* Tells every connected peer which directory this node holds. */
void gossip_dir_announce (run_t *r)
{
    if (!r->authority)
        return;
    for (size_t i = 0; i < r->npeers; i++)
        if (r->peers[i]->dealer && r->peers[i]->connected && !r->peers[i]->barred)
            gossip_send_directory (r, r->peers[i]->dealer, NULL, 0);
}

/* DIRECTORY from peer P: on our ROUTER (O set) or on our DEALER to it. */
void gossip_on_directory (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload)
{
    if (!r->authority)
        return;                                 /* nothing to verify it with */
    size_t len = zmq_msg_size (payload);
    if (len == 0) {
        if (m->number < r->dir_serial)
            gossip_send_directory (r, o ? r->router : p->dealer, o, 1);
        else if (m->number > r->dir_serial && o)
            gossip_send_directory (r, r->router, o, 0); /* it holds a newer one: ask for it */
        return;
    }
    if (m->number <= r->dir_serial)
        return;                                 /* not newer: nothing to learn */
    if (!run_limit_pass (r, &p->refusals, p->info.address))
        return;                                 /* a peer sending directories without end */
    node_directory_result_t res;
    if (node_directory_import (r->n, zmq_msg_data (payload), len, p->info.address, &res) != 0) {
        node_log (r->n, "warn", "directory from %s refused: %s", p->info.address, node_error (r->n));
        return;
    }
    node_log (r->n, "info", "directory serial %" PRIu64 " from %s accepted: %d certified, %d revoked",
              res.serial, p->info.org, res.certified, res.revoked);
    r->dir_serial = res.serial;
    zap_reload_peers (r);
    gossip_dir_announce (r);
    run_schedule (r, run_now_ms ());
}

/* Running transfers whose agreement has ended or been revoked stop, at
   both ends (each end looks at its own copy of the agreement). */
void gossip_recheck (run_t *r)
{
    policy_decision_t dec;
    r->recheck_at = run_now_ms () + RUN_RECHECK_MS;
    for (size_t i = 0; i < r->npeers; i++) {
        peer_t *p = r->peers[i];
        if (p->out.dataset[0] && p->out.state != OUT_QUEUED && p->out.agreement[0] &&
            decide_agreement_holds (r, p->out.agreement, p->out.until, &dec) != 0) {
            out_input_t in = {.dec = &dec};
            out_event (r, p, OUT_EV_AGREEMENT_ENDED, &in);
        }
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (in_active (&r->in[i]) && r->in[i].agreement[0] &&
            decide_agreement_holds (r, r->in[i].agreement, r->in[i].until, &dec) != 0)
            in_event (r, &r->in[i], IN_EV_AGREEMENT_ENDED, &dec);
}
