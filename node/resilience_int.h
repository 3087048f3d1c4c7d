/*  resilience_int: what the two files of the resilience figures share
    (resilience.c walks the audit log, resilience_store.c reads the store
    and the directory). Private to them.

    Not for: any other file (resilience.h is the interface).
*/
#ifndef NODE_RESILIENCE_INT_H_INCLUDED
#define NODE_RESILIENCE_INT_H_INCLUDED

#include <stddef.h>

#include "resilience.h"

/* A note of what was left out (at most NODE_RES_NOTES_MAX kept; the rest
   counted in notes_more). */
void res_note (node_resilience_t *res, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A new zeroed slot at the end of *ARR (N used, CAP allocated, SIZE
   each), grown as needed; NULL if out of memory. */
void *res_push (void **arr, size_t *n, size_t *cap, size_t size);
/* One more of KIND for REASON ("" counts as "no reason recorded"): 0, or
   -1 if out of memory. */
int res_reason (node_resilience_t *res, const char *kind, const char *reason);
/* The figures of the store, the directory and the audit check: 0, or -1
   (node_error). */
int res_store (node_t *n, node_resilience_t *res);

#endif
