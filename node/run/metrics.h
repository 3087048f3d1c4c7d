/*  metrics: the running node's Prometheus endpoint (cdx run --metrics
    ADDR:PORT): libmicrohttpd, driven from the event loop's own thread.

    The daemon runs with MHD_USE_EPOLL and no thread of its own: its epoll
    descriptor is one more item of the loop's zmq_poll, and MHD_run is
    called when that is readable or its timeout has passed. So a scrape
    reads the running node's state (its transfers in memory, the store)
    with no locks, between two turns of the loop, and costs the loop the
    time of one scrape (bench/README.md: the cost of a scrape).

    Not for: what status means (node/status.c), the text format (expo.c).
*/
#ifndef METRICS_H_INCLUDED
#define METRICS_H_INCLUDED

#include "run_internal.h"

/* Serves ADDR:PORT (node_metrics_check's grammar) from now on: 0, or -1
   (node_error: the address, or why it cannot be bound). */
int metrics_start (run_t *r, const char *addr);
void metrics_stop (run_t *r);

/* The loop's poll item for the daemon (one that asks for nothing when
   metrics are off), and TIMEOUT (ms, -1 none) shortened to its next
   deadline. */
zmq_pollitem_t metrics_item (run_t *r);
long metrics_timeout (run_t *r, long timeout);
/* After zmq_poll: runs the daemon when its item is readable (REVENTS)
   or its deadline has passed. */
void metrics_serve (run_t *r, short revents);

/* The text of one scrape (what /metrics answers), malloc'd, *LEN its
   length; NULL when out of memory. */
char *metrics_text (run_t *r, size_t *len);

#endif
