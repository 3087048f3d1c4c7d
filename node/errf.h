/*  errf: what a file in node/ shares with those that hold no node (the
    authority's side, authority.c): a reason written into the caller's
    buffer, and the longest path a home may give.

    Not for: anything about a node (core.h).
*/
#ifndef ERRF_H_INCLUDED
#define ERRF_H_INCLUDED

#include <stddef.h>

#define NODE_PATH_MAX 4096

/* Writes a reason into ERR (capacity ERRLEN; either may be 0) where there
   is no node to hold it; returns -1. */
int node_errf (char *err, size_t errlen, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

#endif
