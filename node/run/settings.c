/*  settings.c: the settings siblings share (SPEC.md 11.5): subscriptions
    and retention periods, sent as SETTING to each sibling and applied
    newest-wins.

    Not for: the other sibling messages (siblings.c).
*/
#include "run_internal.h"

void settings_on_setting (run_t *r, peer_t *p, const proto_msg_t *m)
{
    if (run_limit_pass (r, &p->refusals, p->info.org))
        node_log (r->n, "info", "%s from sibling %s: not acted on by this version", proto_name (m->id),
                  p->info.address);
}
