/*  drill.c: `cdx drill failover` at the running node (SPEC.md 11.5): it
    goes dark on purpose, a sibling takes over, and the FAILOVER it sends
    when this node is back is the drill's outcome, recorded.

    Not for: the takeover itself (siblings.c).
*/
#include "run_internal.h"

void drill_on_failover (run_t *r, peer_t *p, const proto_msg_t *m)
{
    (void) r;
    (void) p;
    (void) m;
}
