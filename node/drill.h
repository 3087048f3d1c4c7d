/*  drill.h: the two small files through which a command asks the running
    node for a failover drill and follows it (SPEC.md 11.5, docs/OPERATIONS.md):
    HOME/drill.req, made by the command (O_EXCL: one drill at a time; the
    node removes it when the drill ends), and HOME/drill.state, which the
    running node replaces (rename) at each phase.

    Not for: the drill itself (node/run/drill.c), or what the command shows
    (node_drill_ask and node_drill_poll in node.h, tools/cmd_drill.c).
*/
#ifndef DRILL_H_INCLUDED
#define DRILL_H_INCLUDED

#include <stdint.h>

#include "core.h"

#define NODE_DRILL_REQ   "drill.req"
#define NODE_DRILL_STATE "drill.state"
#define NODE_DRILL_WAIT_S 30          /* after the dark time, a FAILOVER is waited for this long */
#define NODE_DRILL_STALE_MS 10000     /* a request not taken within this is not started */

/* Either file: "cdx-drill/1 ID PHASE SECONDS TAKEOVER_MS AT\nREASON\n"
   (the request: phase asked, takeover 0, AT when it was asked, no
   reason). */
typedef struct {
    char id[17];                      /* 16 hex digits: the request's */
    node_drill_phase_t phase;
    int64_t seconds;                  /* dark for (asked: 0 is the node's default) */
    int64_t takeover_ms;              /* the node's takeover time */
    int64_t at;                       /* the phase began, unix ms */
    char reason[256];                 /* refused: why, naming the fix */
} node_drill_file_t;

/* HOME/NAME (NODE_DRILL_REQ or NODE_DRILL_STATE) into F: 0; 1 if it is
   absent or not complete yet (a command still writing it); -1 if it
   cannot be read or is malformed (node_error). */
int node_drill_read (node_t *n, const char *name, node_drill_file_t *f);
/* F as HOME/drill.state, replacing it at once (a new file renamed over
   it). 0, or -1 (node_error). */
int node_drill_write_state (node_t *n, const node_drill_file_t *f);
/* HOME/NAME removed (gone already is fine). */
void node_drill_remove (node_t *n, const char *name);

#endif
