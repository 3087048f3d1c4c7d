/*  hasher: a second thread that hashes chunks while the caller does
    something else with the bytes (seals and writes them when publishing,
    writes them when receiving).

    BLAKE2b of a dataset's plaintext (its signed content hash) is the
    dearest per-byte step of both publishing and receiving after the
    cipher, and the two do not depend on each other: on two cores, a chunk
    then costs the slower of the two, not their sum. One job at a time: the
    caller posts a chunk, keeps the buffer untouched until node_hasher_wait
    returns, and waits before it finalises or destroys the hash state it
    handed over.

    Not for: anything but cx_hash_update on buffers the caller owns.
*/
#ifndef NODE_HASHER_H_INCLUDED
#define NODE_HASHER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "cx.h"

typedef struct node_hasher node_hasher_t;

/* Starts the thread. NULL (errno set) if it cannot be started. */
node_hasher_t *node_hasher_new (void);

/* Hashes LEN bytes at DATA into HASH on the thread; returns at once.
   Waits first for the job before, so at most one is in hand. */
void node_hasher_post (node_hasher_t *h, cx_hash_t *hash, const uint8_t *data, size_t len);

/* Returns when no job is in hand: DATA and HASH are the caller's again. */
void node_hasher_wait (node_hasher_t *h);

/* Finishes the job in hand, joins the thread and frees it; *H_P = NULL. */
void node_hasher_destroy (node_hasher_t **h_p);

#endif
