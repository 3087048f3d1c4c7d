/*  core: what every file of a node uses of the node itself, through
    accessors (struct node is private to core.c): its home, store,
    identity and current keys; its last failure's reason and kind; its
    log; the run lock. The lifecycle (node.c) builds a node with
    node_new, node_open_store and node_load_keys and frees it with
    node_free.

    Not for: the public interface (node.h), or any operation on a node:
    core.c calls nothing above it. Key history is keys.c's (keys.h), the
    user acting is access.c's (access.h).
*/
#ifndef CORE_H_INCLUDED
#define CORE_H_INCLUDED

#include <stdint.h>
#include <stdio.h>

#include "card.h"
#include "cx.h"
#include "errf.h"
#include "node.h"
#include "proto.h"
#include "store.h"

#define NODE_CHUNK_SIZE   PROTO_CHUNK_MAX      /* plaintext bytes per chunk */
#define NODE_LOCK_FILE    "run.lock"

/* The three keys of keys/: NAME.key for each of node_key_names (sign,
   box, curve), of the types node_key_types. */
extern const cx_keytype_t node_key_types[3];
extern const char *const node_key_names[3];

/* The keys kept after rotations (keys.c) and the user acting (access.c):
   each file's own state, which the core only holds. */
typedef struct node_keyring node_keyring_t;
typedef struct node_acting node_acting_t;

/* What other node files read of a node, instead of reaching into struct
   node: its store, its identity (org, role, name, endpoint) and its
   current keys. */
store_t *node_db (const node_t *n);
const store_self_t *node_self (const node_t *n);
cx_keypair_t *node_sign_key (const node_t *n);
cx_keypair_t *node_box_key (const node_t *n);
cx_keypair_t *node_curve_key (const node_t *n);

/* A rotation's new keys (keys.c): the node takes KP[0..2] (sign, box,
   curve) and destroys the sign and curve keys it had; the old box key is
   returned in *OLD_BOX for the caller to keep (keys/old/). */
void node_set_keys (node_t *n, cx_keypair_t *const kp[3], cx_keypair_t **old_box);
/* The node's card after a rotation recorded it. */
void node_set_card (node_t *n, const char *card);

/* The state of keys.c and access.c, held here and freed by them. */
node_keyring_t *node_keyring (const node_t *n);
void node_set_keyring (node_t *n, node_keyring_t *k);
node_acting_t *node_acting (const node_t *n);
void node_set_acting (node_t *n, node_acting_t *a);

/* The seq at the running node's last checkpoint attempt (audit.c), 0
   before any. */
int64_t node_checkpoint_tried (const node_t *n);
void node_set_checkpoint_tried (node_t *n, int64_t seq);

/* Takes HOME/run.lock for the running node (no other cdx run, rotation
   or recovery meanwhile): 0, or -1 naming the fix. node_unlock_run lets
   it go. node_holds_run: 1 while this handle holds it. */
int node_lock_run (node_t *n);
void node_unlock_run (node_t *n);
int node_holds_run (const node_t *n);

/* Sets the node's error reason; returns -1 for "return node_fail(...)". */
int node_fail (node_t *n, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* The same for a value the caller gave that is out of its grammar,
   vocabulary or range (node_invalid): refused where it enters, before
   anything is done or audited, so that it never reaches the log. The
   reason names the rule, never the refused bytes raw. */
int node_fail_input (node_t *n, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A write transaction that failed: the reason (WHAT, then the store's
   error; the error alone if WHAT is NULL), then the transaction rolled
   back. -1. */
int node_rollback (node_t *n, const char *what);
/* Marks the last failure a rule's refusal (node_refused) or not. */
void node_set_refused (node_t *n, int refused);
/* The reason's buffer (NODE_ERR_MAX bytes), for functions that write a
   reason into one (outfile.c, home.c); refused and invalid unchanged. */
char *node_errbuf (node_t *n);
/* node_fail_input unless ORG is an ODS code (card_valid_org); WHAT names
   the option in the reason, e.g. "--from". 0, or -1. */
int node_check_org (node_t *n, const char *what, const char *org);
/* node_fail_input unless TOPIC follows the topic grammar (proto_topic_ok). */
int node_check_topic (node_t *n, const char *what, const char *topic);

/* Logs a line to stderr: time, org, LEVEL ("error", "warn", "info" or
   "debug"), message, with control characters escaped; for the journal
   (JOURNAL_STREAM) the time gives way to the priority, "<N>". Lines below
   the node's level (node_set_log_level) are dropped. */
void node_log (const node_t *n, const char *level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* HOME/REL into BUF: 0, or -1 if it does not fit. */
int node_join (char *buf, size_t cap, const char *home, const char *rel);
/* HOME/keys/NAME.key of key I (node_key_names) into BUF: 0, or -1 if it
   does not fit. */
int node_key_path (char *buf, size_t cap, const char *home, int i);
/* Fsyncs directory DIR, so that a rename or create in it is durable. */
void node_sync_dir (const char *dir);

/* The signed card of identity WHO (org, role, name, endpoint) with the
   keys KP (sign, box, curve), created now, into OUT. 0 or -1 (card_error). */
int node_make_card (const store_self_t *who, cx_keypair_t *const kp[3], char *out, size_t cap);

/* ---- for the lifecycle (node.c) ---------------------------------------- */

/* A node of HOME with nothing open yet; NULL if out of memory. */
node_t *node_new (const char *home);
/* Opens HOME/store.db (PATH) and reads the node's identity. 0, or -1 with ERR. */
int node_open_store (node_t *n, const char *path, char *err, size_t errlen);
/* Loads the three key files of keys/. 0, or -1 with ERR. */
int node_load_keys (node_t *n, char *err, size_t errlen);
/* Frees what the core holds (store, keys, run lock) and sets *N_P to
   NULL; the keyring and the user acting must be freed before. */
void node_free (node_t **n_p);

#endif
