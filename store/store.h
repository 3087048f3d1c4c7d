/*  store: the node's durable state in one SQLite file.

    Identity, peers, datasets and their versions, subscriptions, deliveries
    and the audit log. WAL mode, synchronous=NORMAL, foreign keys on; the
    schema is created and upgraded by numbered migrations recorded in
    PRAGMA user_version; each statement is prepared when first used and reused.

    Dataset content does not live here: the node keeps sealed chunks in
    files next to the database (large blobs are faster as files); the store
    records how far each is durable.

    Not for: cryptography, the wire, policy. Strings passed in are copied.
    Functions return 0 on success, -1 on error (reason: store_error()), and
    lookups return STORE_NOTFOUND (1) when there is no such row.
*/
#ifndef STORE_H_INCLUDED
#define STORE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "rows.h"

#define STORE_NOTFOUND 1
#define STORE_SCHEMA_VERSION 7

typedef struct store store_t;

/* Opens (creating if CREATE is non-zero) the database at PATH and runs any
   pending migrations. NULL on failure, with the reason in ERR. */
store_t *store_open (const char *path, int create, char *err, size_t errlen);
void store_close (store_t **s_p);
/* Statements are prepared when first used; this prepares every one now
   (-1 and the reason if one does not compile against the schema). */
int store_prepare_all (store_t *s);
const char *store_error (const store_t *s);
int store_schema_version (store_t *s);

/* Transactions (BEGIN IMMEDIATE). Nested calls are not allowed. */
int store_begin (store_t *s);
int store_commit (store_t *s);
int store_rollback (store_t *s);

/* Makes every committed transaction durable: syncs the write-ahead log.
   The store runs with synchronous=NORMAL, so a commit survives the process
   being killed but not a power cut until the WAL is synced (at the next
   checkpoint, or here). Call it after a commit that something outside the
   node relies on: a publish the user is told of, a received dataset a
   signed receipt will vouch for. 0, or -1 with the reason. */
int store_sync (store_t *s);

/* "PRAGMA integrity_check" says ok: 0, else -1 with the first problem. */
int store_check (store_t *s);

/* ---- copies (backup.c) ------------------------------------------------ */

/* Copies the store, as one consistent snapshot, into a new file PATH
   (which must not exist) through SQLite's online backup API: other
   processes go on writing meanwhile. The copy is one self-contained file
   (rollback journal, no -wal), mode 0600. 0, or -1 with the reason (and
   nothing left at PATH). */
int store_backup (store_t *s, const char *path);

/* Opens a copy read-only, as it is: no migration, no change of journal
   mode, nothing written beside it. Refuses a file that is not a cdx store
   or is newer than this code. NULL with the reason in ERR. */
store_t *store_open_readonly (const char *path, char *err, size_t errlen);

/* The _each functions: FN may call any other store function, including
   writes, but not the same _each again (that call returns -1). Rows FN
   inserts into the table being listed may or may not be visited, except
   in the audit log, whose listing ends at the entry that was last when it
   began. Returns 0, FN's non-zero value, or -1 on a store error. */

/* ---- this node ------------------------------------------------------ */

int store_self_set (store_t *s, const store_self_t *self);  /* once */
int store_self_get (store_t *s, store_self_t *out);         /* or NOTFOUND */
int store_self_card (store_t *s, const char *card);         /* after a key rotation */

/* ---- peers (nodes whose cards this node has added) ------------------ */

/* Adds or replaces the peer (a node) with this address. */
int store_peer_put (store_t *s, const store_peer_t *p);
/* The peer whose address (ORG or ORG/LABEL) is ADDRESS. */
int store_peer_get (store_t *s, const char *address, store_peer_t *out);
/* The node that stands for organisation ORG where a question is the
   organisation's (is it known, its DSPT status): of its nodes not
   revoked, the one whose address is ORG, else the first by address; a
   revoked one only if all are. STORE_NOTFOUND if ORG has no node. */
int store_peer_of_org (store_t *s, const char *org, store_peer_t *out);
/* Calls FN for each node of organisation ORG, by address; stops early if
   FN returns non-zero (returned). */
int store_peer_org_each (store_t *s, const char *org, int (*fn) (const store_peer_t *, void *), void *arg);
int store_peer_by_curve (store_t *s, const uint8_t curve_pk[32], store_peer_t *out);
/* Calls FN for each peer ordered by address; stops early if FN returns non-zero
   and returns that value. */
int store_peer_each (store_t *s, int (*fn) (const store_peer_t *, void *), void *arg);
/* Records whether the running node is connected to the peer at ADDRESS
   and when it last saw it. Nothing happens if there is no such peer. */
int store_peer_seen (store_t *s, const char *address, int connected, int64_t last_seen);
/* Removes the peer at ADDRESS if it was pinned by hand (a certified one
   stays): the authority has certified its organisation's nodes. */
int store_peer_unpin (store_t *s, const char *address);
/* Every peer not connected: the running node starts and stops. */
int store_peer_all_offline (store_t *s);

/* ---- datasets ------------------------------------------------------- */

/* A state is stored as its word (states.def); a value outside its enum,
   given to any function here or in a row, is refused (-1). */

int store_dataset_put (store_t *s, const store_dataset_t *d);        /* insert */
int store_dataset_get (store_t *s, const char *id, store_dataset_t *out);
/* Updates state and next_chunk (and updated time). */
int store_dataset_progress (store_t *s, const char *id, store_dataset_state_t state,
                            int64_t next_chunk);
/* Highest version of TOPIC by PUBLISHER, 0 if none. -1 on error. */
int64_t store_dataset_last_version (store_t *s, const char *publisher, const char *topic);
/* A transfer in progress of ID is durable up to NEXT_CHUNK: changes the
   row only while it is receiving. 0, or -1. */
int store_dataset_held_at (store_t *s, const char *id, int64_t next_chunk);
/* How many datasets other than ID hold that version of the topic: 0 or 1
   (UNIQUE), -1 on error. */
int64_t store_dataset_clash (store_t *s, const char *publisher, const char *topic, int64_t version,
                             const char *id);
/* Ends a dataset's retention (received or published): state erased, next_chunk 0 and its
   wrapped content key zeroed; the row (metadata, hash, manifest) is kept.
   Removing the content file is the caller's. -1 if there is no such
   dataset. */
int store_dataset_erase (store_t *s, const char *id);
/* Replaces the manifest signature of dataset ID (the manifest bytes stay
   as they are): a publisher's key rotation. -1 if there is no such
   dataset. */
int store_dataset_resign (store_t *s, const char *id, const uint8_t sig[64]);
/* Ordered by publisher, topic, version. */
int store_dataset_each (store_t *s, int (*fn) (const store_dataset_t *, void *), void *arg);
/* The datasets in STATE, least recently updated first. */
int store_dataset_each_state (store_t *s, store_dataset_state_t state,
                              int (*fn) (const store_dataset_t *, void *), void *arg);
/* How many datasets from PUBLISHER are in STATE, or -1. */
int64_t store_dataset_count (store_t *s, const char *publisher, store_dataset_state_t state);
/* Sets the updated time of every dataset in STATE to now: the node starts
   the clock of unfinished transfers again when it starts, since nobody
   could reach it while it was down. Returns how many, or -1. */
int store_dataset_touch (store_t *s, store_dataset_state_t state);

/* ---- subscriptions -------------------------------------------------- */

/* Inserts, or updates state/from_version (and rule/reason: kept for state
   refused, cleared for any other) and origin of the existing row,
   updated now. A change this node makes to the setting itself (SPEC.md
   11.5) clears origin first; the publisher's answers keep it. */
int store_sub_put (store_t *s, const store_sub_t *sub);
/* The same as a sibling made it (SPEC.md 11.5): updated as SUB has it. */
int store_sub_put_setting (store_t *s, const store_sub_t *sub);
int store_sub_get (store_t *s, const char *publisher, const char *subscriber,
                   const char *topic, store_sub_t *out);
int store_sub_each (store_t *s, int (*fn) (const store_sub_t *, void *), void *arg);
/* Marks every subscription of SUBSCRIBER (this node) still wanted
   (requested, active, refused) to ask its publisher for the versions it
   lost (resend, after a restore). How many, or -1. */
int store_sub_resend_all (store_t *s, const char *subscriber);
/* The publisher answered: resend cleared. 0 or -1. */
int store_sub_resend_done (store_t *s, const char *publisher, const char *subscriber, const char *topic);

/* ---- deliveries (publisher side: one row per dataset and subscriber) -- */

/* Inserts a queued delivery; does nothing if it exists. */
int store_delivery_add (store_t *s, const char *dataset, const char *subscriber);
int store_delivery_get (store_t *s, const char *dataset, const char *subscriber,
                        store_delivery_t *out);
/* Updates state, next_chunk, attempts, error and started. */
int store_delivery_update (store_t *s, const store_delivery_t *d);
/* Records the receipt and sets state to delivered. */
int store_delivery_receipt (store_t *s, const char *dataset, const char *subscriber,
                            const uint8_t *receipt, size_t len, const uint8_t sig[64]);
/* Marks queued, not yet started deliveries of versions of TOPIC older than
   VERSION as superseded (WHY is recorded). Returns how many, or -1. */
int store_delivery_supersede (store_t *s, const char *publisher, const char *topic,
                              int64_t version, const char *why);
/* Marks pending deliveries of TOPIC to SUBSCRIBER as cancelled. Returns how
   many, or -1. */
int store_delivery_cancel (store_t *s, const char *publisher, const char *topic,
                           const char *subscriber, const char *why);
/* Queues again the deliveries of TOPIC's versions after AFTER that were
   delivered to SUBSCRIBER and whose content PUBLISHER still holds: the
   subscriber lost them (SPEC.md 11.1, RESEND). How many, or -1. */
int store_delivery_resend (store_t *s, const char *publisher, const char *topic, const char *subscriber,
                           int64_t after);
/* Deliveries not yet delivered or failed, oldest first. */
int store_delivery_each_pending (store_t *s, int (*fn) (const store_delivery_t *, void *), void *arg);
int store_delivery_each (store_t *s, int (*fn) (const store_delivery_t *, void *), void *arg);
/* The deliveries of DATASET, oldest first. */
/* A delivery to SUBSCRIBER (a sibling: a copy) queued for each dataset
   held, published or available, that has none to it yet. How many, or -1. */
int64_t store_delivery_add_held (store_t *s, const char *subscriber);
/* Each delivery recorded as delivered at or after SINCE (unix seconds),
   oldest first. */
int store_delivery_each_delivered (store_t *s, int64_t since, int (*fn) (const store_delivery_t *, void *),
                                   void *arg);
int store_delivery_each_dataset (store_t *s, const char *dataset,
                                 int (*fn) (const store_delivery_t *, void *), void *arg);
/* The deliveries being sent (at most one per subscriber), by subscriber. */
int store_delivery_each_sending (store_t *s, int (*fn) (const store_delivery_t *, void *), void *arg);
/* Records next_chunk, session_bytes, session_ms and progress_at of D, if
   it is still sending (else nothing happens). */
int store_delivery_progress (store_t *s, const store_delivery_t *d);
/* Records STATUS (at most 128 bytes) on the delivery. */
int store_delivery_status (store_t *s, const char *dataset, const char *subscriber,
                           const char *status);

/* ---- data sharing agreements ------------------------------------------

   The signed document as both parties hold it, with each party's Ed25519
   signature (64 zero bytes until that party signs). What the document
   says, and whether it is in force, is for the node to decide. */

/* Inserts, or updates signatures, revocation and pushed of the row with
   this ref; -1 if the ref is held for another document (another hash). */
int store_agreement_put (store_t *s, const store_agreement_t *a);
int store_agreement_get (store_t *s, const char *ref, store_agreement_t *out);
int store_agreement_by_hash (store_t *s, const uint8_t hash[32], store_agreement_t *out);
/* How many agreements with ORG as a party lack the other party's signature
   (at a node, those ORG proposed that the node has not signed, revoked or
   not), or -1. */
int64_t store_agreement_count_unsigned (store_t *s, const char *org);
/* Ordered by ref. */
int store_agreement_each (store_t *s, int (*fn) (const store_agreement_t *, void *), void *arg);

/* ---- audit log (append only, hash-chained) --------------------------

   Every entry carries hash = H(previous entry's hash || store_audit_encode
   (entry)), the first entry's previous hash being 32 zero bytes, so that
   an entry edited, deleted, inserted or moved shows as a broken link. The
   store computes the hash with the function the caller gives it (the store
   knows no cryptography; the node gives it BLAKE2b-256) and refuses to
   append without one. Checking the chain, and signing checkpoints of it,
   is the node's business; the store only keeps them. */
/* Hashes LEN bytes at DATA into OUT: 0, or -1 if it cannot. */
typedef int (store_hash_fn) (const uint8_t *data, size_t len, uint8_t out[STORE_HASHBYTES]);

/* Sets the hash function of the audit chain for this handle. */
void store_set_hasher (store_t *s, store_hash_fn *fn);


/* Appends one entry: seq (the last one + 1), at (now) and hash are
   assigned, the values in E are ignored. Reading the last entry and
   inserting the next happen in one write transaction (the caller's if
   one is open, else its own), so processes appending at once form one
   chain. -1 if no hasher is set or the last entry's hash is unreadable. */
int store_audit_append (store_t *s, const store_audit_t *e);
/* Entries in seq order. Rows are read as stored, edited or not: checking
   them is the caller's job. */
int store_audit_each (store_t *s, int (*fn) (const store_audit_t *, void *), void *arg);
/* The same, from the entry with seq FROM on. */
int store_audit_each_from (store_t *s, int64_t from, int (*fn) (const store_audit_t *, void *),
                           void *arg);
/* The entry with the highest seq, or STORE_NOTFOUND if the log is empty. */
int store_audit_last (store_t *s, store_audit_t *out);

/* The canonical bytes of E that its chain hash covers, after PREV (the
   previous entry's hash): PREV (32) | seq (8) | at (8), both big-endian
   two's complement | then actor, action, object, peer, purpose,
   decision, rule, detail, each as its length (4, big-endian) and its
   bytes without the NUL. Writes at most STORE_AUDIT_ENCODED_MAX bytes
   into BUF and returns how many; 0 if a string field of E is not
   terminated inside its field. */
#define STORE_AUDIT_ENCODED_MAX                                                                    \
    (STORE_HASHBYTES + 8 + 8 + 8 * 4 + 129 + 24 + 129 + 17 + 64 + 8 + 48 + 513)
size_t store_audit_encode (const uint8_t prev[STORE_HASHBYTES], const store_audit_t *e,
                           uint8_t *buf, size_t cap);

/* ---- audit checkpoints (append only) ---------------------------------

   A checkpoint is the node's signature over (seq, hash) of one entry of
   the chain; what is signed, and the checking, are the node's. */

/* Records a checkpoint (AT is assigned). One already recorded at the same
   seq is kept and this one dropped: 0 either way. */
int store_checkpoint_put (store_t *s, const store_checkpoint_t *c);
/* The checkpoint with the highest seq, or STORE_NOTFOUND. */
int store_checkpoint_last (store_t *s, store_checkpoint_t *out);
/* In seq order. */
int store_checkpoint_each (store_t *s, int (*fn) (const store_checkpoint_t *, void *), void *arg);

/* ---- trust (the authority's key and its latest directory) ----------

   Named text values: "authority" (the authority file the operator chose
   to trust) and "directory" (the newest signed directory accepted). The
   store keeps them; parsing and verifying them is the node's business. */

/* Adds or replaces the value NAME. */
int store_trust_put (store_t *s, const char *name, const char *value);
/* *OUT receives a malloc'd NUL-terminated copy (caller frees), *LEN (may
   be NULL) its length; STORE_NOTFOUND if never set. */
int store_trust_get (store_t *s, const char *name, char **out, size_t *len);
/* ---- local users (operating-system logins) and their roles ------------

   ROLES is a comma-separated list the node writes and reads ("admin,
   analyst"); what a role allows is the node's business. */

/* Inserts, or replaces the roles (and added_by) of the existing row. */
int store_user_put (store_t *s, const store_user_t *u);
int store_user_get (store_t *s, const char *login, store_user_t *out);   /* or NOTFOUND */
int store_user_remove (store_t *s, const char *login);                   /* or NOTFOUND */
/* Ordered by login. */
int store_user_each (store_t *s, int (*fn) (const store_user_t *, void *), void *arg);

/* ---- retention of content, per publisher and topic ----------------------

   For received datasets, and with this node as the publisher for the
   datasets it published; what the rows mean is the node's. */

/* Inserts, or replaces seconds, set_by and origin ("" when set at this
   node) of the existing row, updated now. */
int store_retention_put (store_t *s, const store_retention_t *r);
/* The same as a sibling set it (SPEC.md 11.5): updated as R has it. */
int store_retention_put_setting (store_t *s, const store_retention_t *r);
int store_retention_get (store_t *s, const char *publisher, const char *topic,
                         store_retention_t *out);                          /* or NOTFOUND */
/* Ordered by publisher, topic. */
int store_retention_each (store_t *s, int (*fn) (const store_retention_t *, void *), void *arg);

/* ---- what status and metrics read (status.c) ---------------------------

   Aggregates over the deliveries and the audit log, read only. */

/* One subscriber's pending deliveries. */
typedef struct {
    char subscriber[17];
    int64_t queued, sending;
    int64_t oldest;          /* when the oldest pending one was queued (unix seconds) */
    int64_t failing;         /* pending ones whose last attempt failed (error set) */
    int64_t attempts;        /* the most attempts of any of them */
} store_queue_t;

/* Each subscriber with deliveries queued or sending, ordered by org. */
int store_queue_each (store_t *s, int (*fn) (const store_queue_t *, void *), void *arg);

/* The node's last start or stop entry in the audit log: *STARTED is its
   time if it is a start (0 if not), *STOPPED if a stop; both 0 if the
   node never ran. 0, or -1. */
int store_last_run (store_t *s, int64_t *started, int64_t *stopped);

/* The time of audit entry SEQ, 0 if there is none, or -1. */
int64_t store_audit_at (store_t *s, int64_t seq);

#endif
