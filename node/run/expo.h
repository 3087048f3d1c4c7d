/*  expo: the Prometheus text exposition format (version 0.0.4), written
    into a growing buffer: a family's HELP and TYPE lines, samples with
    their labels, a histogram's buckets, sum and count.

    Label values and help texts are escaped as the format says (a
    backslash, a double quote in a label value, a line feed), so that a
    topic or an org code can never end a line or a label early; numbers
    are written so that a scraper reads them back exactly (integers as
    integers, NaN and infinities by name).

    Not for: what the metrics are (metrics.c), HTTP. Pure: no store, no
    node, no sockets; a failed allocation marks the buffer failed and
    every later call does nothing.
*/
#ifndef EXPO_H_INCLUDED
#define EXPO_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;               /* out of memory: the text is incomplete */
} expo_t;

void expo_init (expo_t *e);
/* Frees the buffer; the text may be taken first (expo_take). */
void expo_free (expo_t *e);
/* The text (NUL-terminated, the caller frees it) and its length; NULL if
   the buffer failed (it is freed then). E is empty after. */
char *expo_take (expo_t *e, size_t *len);

/* "# HELP NAME HELP" and "# TYPE NAME TYPE" (counter, gauge, histogram). */
void expo_family (expo_t *e, const char *name, const char *type, const char *help);

/* "NAME{K1="V1",K2="V2"} VALUE": the labels as NULL-terminated pairs of
   key and value after VALUE (none: just NULL). */
void expo_sample (expo_t *e, const char *name, double value, ...) __attribute__ ((sentinel));

/* A histogram's samples (its family written before): NAME_bucket for
   each upper bound in BOUNDS (NB of them, ascending) with the cumulative
   counts CUM, then le="+Inf" with COUNT, NAME_sum and NAME_count; with
   one label KEY="VALUE" (KEY NULL: none) on each. */
void expo_histogram (expo_t *e, const char *name, const char *key, const char *value, const double *bounds,
                     const uint64_t *cum, size_t nb, uint64_t count, double sum);

/* VALUE as the format writes it into BUF (at least 32 bytes). */
void expo_number (double value, char *buf, size_t cap);

#endif
