/*  keys: a node's key history, for the other node files: the keys kept
    after rotations (keys/old/) behind the node's keyring, a rotation cut
    short completed or undone, and what opens or verifies with any key
    the node has had.

    Not for: the current keys (core.h: node_sign_key ...), the rotation
    command (node_keys_rotate, node.h), the key file format (cx.h).
*/
#ifndef KEYS_H_INCLUDED
#define KEYS_H_INCLUDED

#include "core.h"

/* The keys kept after rotations (keys/old/) into the node's keyring. 0,
   or -1 with ERR; the keyring is the node's either way (node_keys_release
   frees it). */
int node_keys_load_old (node_t *n, char *err, size_t errlen);
void node_keys_release (node_t *n);

/* Completes a rotation cut short after its store transaction committed
   (keys/NAME.key.new match the card), or removes the new keys of one cut
   short before it. 0, or -1 with ERR. */
int node_keys_recover (node_t *n, char *err, size_t errlen);

/* Opens a content key wrapped for this node's box key, or for one it had
   before a rotation. NULL if none opens it. */
cx_content_t *node_unwrap (node_t *n, const uint8_t wrapped[CX_WRAPPEDBYTES]);

/* 1 if PK is this node's signing key or one it had before a rotation. */
int node_own_sign_key (const node_t *n, const uint8_t pk[32]);

/* 0 if SIG over MSG (LEN bytes) verifies with this node's signing key or
   one it had before a rotation, else -1. */
int node_verify_own (const node_t *n, const uint8_t *msg, size_t len, const uint8_t sig[64]);

#endif
