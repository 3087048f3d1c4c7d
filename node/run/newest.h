/*  newest.h: which of two versions of a setting the siblings share wins
    (SPEC.md 11.5): the later one, and of two made in the same second the
    one made at the greater node address (in byte order). Pure: no store,
    no clock, so that every sibling decides alike whatever the order of
    arrival.

    Not for: what a setting is or how it is applied (settings.c).
*/
#ifndef NEWEST_H_INCLUDED
#define NEWEST_H_INCLUDED

#include <stdint.h>

/* 1 if the version made at UPDATED_A (unix seconds) at the node at
   ORIGIN_A wins over the one made at UPDATED_B at ORIGIN_B, else 0 (the
   same version, or an older one). */
int newest_wins (int64_t updated_a, const char *origin_a, int64_t updated_b, const char *origin_b);

#endif
