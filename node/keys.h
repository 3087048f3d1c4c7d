/*  keys: a node's key history, for the other node files: the keys kept
    after rotations (keys/old/) behind the node's keyring, a rotation cut
    short completed or undone, what opens or verifies with any key the
    node has had, and the steps a rotation (rotate.c) shares with that
    completion.

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

/* ---- for a rotation (rotate.c) ----------------------------------------- */

/* HOME/run.lock taken without waiting, for a rotation or its completion,
   so neither meets cdx run or another rotation. The descriptor, or -1 if
   someone holds it (errno EWOULDBLOCK) or on error. */
int node_keys_lock (const char *home);
/* Each keys/NAME.key.new takes the place of NAME.key, which is kept in
   keys/old/; the signing key first. 0, or -1 with ERR. */
int node_keys_promote (const char *home, char *err, size_t errlen);
/* Removes keys/NAME.key.new, the signing key's last. */
void node_keys_discard_new (const char *home);
/* 1 if every key the node keeps is among those in keys/old now (read
   again from the files). */
int node_keys_all_kept (node_t *n);
/* The node goes on with the new keys KP (taken: set to NULL) and keeps
   the old ones, as a reopened node would. 0, or -1 (node_error). */
int node_keys_take_new (node_t *n, cx_keypair_t *kp[3]);

#endif
