/*  siblings.c: the messages between nodes of one organisation (SPEC.md
    11.5) as they arrive: DELIVERED (a receipt a sibling recorded) and
    FAILOVER (a sibling took over this node's deliveries). SETTING is
    settings.c's. Each is taken from a sibling only: from anyone else it is
    refused (sibling.not-sibling) and recorded.

    Not for: sending them (outgoing.c, serving.c), the copies themselves
    (node/copies.c, receive.c).
*/
#include <string.h>

#include "run_internal.h"

static void s_not_sibling (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m)
{
    if (run_limit_pass (r, &p->refusals, o->org)) {
        char actor[80];
        peer_actor (p, actor, sizeof actor);
        node_audit (r->n, actor, "receive", "message", o->org, "refuse", "sibling.not-sibling",
                    "%s from %s refused: only a node of this organisation sends it", proto_name (m->id), o->org);
    }
    wire_error (r, o, PROTO_E_DENIED, NULL, "sibling.not-sibling: %s is taken only from a node of %s",
                proto_name (m->id), node_self (r->n)->org);
}

static void s_unacted (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m)
{
    if (run_limit_pass (r, &p->refusals, o->org))
        node_log (r->n, "info", "%s from sibling %s: not acted on by this version", proto_name (m->id),
                  p->info.address);
}

void sibling_on_message (run_t *r, peer_t *p, const origin_t *o, const proto_msg_t *m)
{
    if (!peer_is_sibling (r, p)) {
        s_not_sibling (r, p, o, m);
        return;
    }
    switch (m->id) {
    case PROTO_SETTING:
        settings_on_setting (r, p, m);
        break;
    default:
        s_unacted (r, p, o, m);
        break;
    }
}
