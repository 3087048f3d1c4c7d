/*  notify: the running node and its service manager (sd_notify(3), via
    libsystemd): READY=1 once it listens, a STATUS= line when what it
    says changes (at most every NOTIFY_STATUS_MS), WATCHDOG=1 at half the
    manager's watchdog interval, STOPPING=1 on a clean stop.

    The loop calls these (node/run/loop.c); the watchdog is kept from the
    loop's own timers, so a loop that hangs stops them and the manager
    restarts the node. Without NOTIFY_SOCKET (a node run by hand, the
    tests) every call does nothing and adds no wake-up. The state is the
    process's, as NOTIFY_SOCKET and WATCHDOG_USEC are.

    Not for: logging (node_log, core.c), or anything the node decides.
*/
#ifndef NOTIFY_H_INCLUDED
#define NOTIFY_H_INCLUDED

#include <stdint.h>

#include "run_internal.h"

#define NOTIFY_STATUS_MS 5000     /* a STATUS= line at most this often */

/* READY=1 with the first STATUS= line: R listens on ENDPOINT. Reads the
   manager's watchdog interval (sd_watchdog_enabled). */
void notify_ready (run_t *r, const char *endpoint);
/* From the loop's timers: WATCHDOG=1 when due, and a STATUS= line if it
   changed and the last is NOTIFY_STATUS_MS old. */
void notify_tick (run_t *r, int64_t now);
/* NEXT (a deadline in ms, 0 for none) or the sooner of it and when
   notify_tick is due. */
int64_t notify_next (int64_t next);
/* STOPPING=1, with WHY as the status. */
void notify_stopping (const char *why);

#endif
