/*  rows.h: the rows of the store as plain records.

    One fixed-size struct per table (strings NUL-terminated inside their
    field, blobs with their length beside them), the sizes the schema holds
    them to, and nothing that mentions store_t: the node's library hands
    these to the command line, which prints them without ever seeing the
    store. store.h includes this file; reading and writing rows is there.

    Not for: what a row means (the node's), how it is stored (the .c files of store/).
*/
#ifndef STORE_ROWS_H_INCLUDED
#define STORE_ROWS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* The size of an audit entry's chain hash (BLAKE2b-256). */
#define STORE_HASHBYTES 32

/* ---- states (states.def) --------------------------------------------

   A row carries its state as one of these; the store holds it as its
   word. The name functions return the word, or NULL for a value that is
   none of them (a programmer's error). The parse functions set *OUT from
   a word: 0, or -1 (and *OUT untouched) for a word that is not in the
   list. Neither needs a store. */
typedef enum {
#define STORE_DATASET_STATE(id, word) STORE_DS_##id,
#include "states.def"
} store_dataset_state_t;

typedef enum {
#define STORE_SUB_STATE(id, word) STORE_SUB_##id,
#include "states.def"
} store_sub_state_t;

typedef enum {
#define STORE_DELIVERY_STATE(id, word) STORE_DL_##id,
#include "states.def"
} store_delivery_state_t;

const char *store_dataset_state_name (store_dataset_state_t state);
int store_dataset_state_parse (const char *word, store_dataset_state_t *out);
const char *store_sub_state_name (store_sub_state_t state);
int store_sub_state_parse (const char *word, store_sub_state_t *out);
const char *store_delivery_state_name (store_delivery_state_t state);
int store_delivery_state_parse (const char *word, store_delivery_state_t *out);

/* ---- this node ------------------------------------------------------ */
typedef struct {
    char org[17];
    char node[9];            /* its label, "" for an unlabelled node (SPEC.md 9.2) */
    char role[8];
    char name[121];
    char endpoint[201];
    char card[2048];         /* our signed card, as text */
    int64_t created;
} store_self_t;

/* ---- a peer: a node whose card this node has added ------------------ */
typedef struct {
    char address[15];        /* the node's address, its key: ORG or ORG/LABEL (SPEC.md 9.2) */
    char org[17];            /* its organisation */
    char node[9];            /* its label, "" for an unlabelled node */
    char role[8];
    char name[121];
    char endpoint[201];
    uint8_t sign_pk[32];
    uint8_t box_pk[32];
    uint8_t curve_pk[32];
    char card[2048];         /* the card as added, text */
    char trust[16];          /* how it was trusted: "pinned" | "certified" */
    int64_t added;
    /* Assurance, from the peer's certificate ("" and 0 when pinned by hand):
       DSPT status (standards-exceeded | standards-met |
       approaching-standards | standards-not-met) and its assessment year
       ("2025/26"); the certificate's end (unix seconds, 0 = none); when a
       directory revoked this peer (unix seconds, 0 = not revoked). */
    char dspt[24];
    char dspt_year[12];
    int64_t not_after;
    int64_t revoked;
    /* Kept by the running node (store_peer_seen), not by store_peer_put:
       1 while its connection to the peer is up; when it last connected,
       lost the connection or heard from it (unix seconds, 0 = never). */
    int64_t connected;
    int64_t last_seen;
} store_peer_t;

/* ---- a dataset (one version of a topic), published or received ------ */
typedef struct {
    char id[33];             /* hex of the 16-byte id */
    char publisher[17];
    char topic[129];
    int64_t version;
    char class_[16];
    char purpose[64];
    char filename[128];
    int64_t bytes;
    int64_t chunk_size;
    int64_t chunks;
    uint8_t hash[32];
    uint8_t manifest[4096];  /* signed manifest bytes */
    size_t manifest_len;
    uint8_t sig[64];
    uint8_t wrapped[80];     /* content key wrapped for this node */
    store_dataset_state_t state; /* published | receiving | available | failed | erased */
    int64_t next_chunk;      /* chunks durable so far (receiving) */
    char kind[16];           /* new | supersedes | correction ("" = new) */
    int64_t expires;         /* publisher: undelivered copies expire then; 0 never */
    int64_t created;
    int64_t updated;
    char agreement[65];      /* received: the agreement it came under; "" otherwise */
    char origin[15];         /* this organisation's: the address of the node it was published
                                at ("" if received from another organisation, or older) */
} store_dataset_t;

/* ---- a subscription of a subscriber to a publisher's topic ---------- */
typedef struct {
    char publisher[17];
    char subscriber[17];
    char topic[129];
    store_sub_state_t state; /* requested | active | refused | ending | ended */
    int64_t from_version;    /* 0: latest only */
    int64_t created;
    int64_t updated;         /* a refused one is tried again from this time */
    char rule[48];           /* refused: the publisher's rule, e.g. policy.no-agreement */
    char reason[257];        /* refused: the words of its ERROR after the rule */
    int resend;              /* subscriber side: ask the publisher for versions lost (a restore) */
    char origin[15];         /* the address of the sibling where it was last set (SPEC.md 11.5),
                                "" for this node */
} store_sub_t;

/* ---- a delivery (publisher side: one per dataset and subscriber) ----- */
typedef struct {
    char dataset[33];
    char subscriber[17];
    store_delivery_state_t state; /* queued | sending | delivered | failed | expired
                                     | superseded | cancelled */
    int64_t next_chunk;      /* acknowledged resume point */
    int64_t attempts;
    char error[257];         /* why the last attempt failed, or "" */
    uint8_t receipt[4096];   /* signed receipt bytes, when delivered */
    size_t receipt_len;
    uint8_t receipt_sig[64];
    int64_t started;         /* when the current attempt began sending, 0 if not */
    int64_t created;
    int64_t updated;
    /* Written by the running node for listings, never read by it. */
    char status[129];        /* why a queued delivery waits ("offline", ...), or "" */
    int64_t session_bytes;   /* bytes acknowledged in the current attempt alone */
    int64_t session_ms;      /* how long that attempt had run then */
    int64_t progress_at;     /* when that was recorded (unix milliseconds), 0 never */
} store_delivery_t;

/* ---- a data sharing agreement ------------------------------------------

   The signed document as both parties hold it, with each party's Ed25519
   signature (64 zero bytes until that party signs). */
typedef struct {
    char ref[65];
    uint8_t hash[32];        /* BLAKE2b-256 of doc: names it on the wire */
    uint8_t doc[4096];       /* the encoded agreement */
    size_t doc_len;
    char provider[17];
    char recipient[17];
    uint8_t sig_provider[64];
    uint8_t sig_recipient[64];
    int64_t start, end;      /* from the document, for listings */
    int64_t revoked;         /* when it was revoked (unix seconds), 0 if not */
    char revoked_by[17];     /* the party that revoked it */
    char reason[257];
    int64_t pushed;          /* 1 when the other party has this node's latest copy */
    int64_t created;
    int64_t updated;
} store_agreement_t;

/* ---- an entry of the audit log ----------------------------------------

   HASH chains it to the entry before it (store.h, store_audit_encode). */
typedef struct {
    int64_t seq;             /* 1, 2, 3 ... with no gaps */
    int64_t at;              /* unix seconds UTC */
    char actor[129];         /* "user:alice" or "peer:04V:<fingerprint>" or "node" */
    char action[24];         /* publish, send, receive, refuse, export, ... */
    char object[129];        /* dataset id, topic, card, ... */
    char peer[17];           /* org on the other side, or "" */
    char purpose[64];        /* purpose claimed, or "" */
    char decision[8];        /* allow | refuse */
    char rule[48];           /* the rule that decided */
    char detail[513];        /* reason in words */
    uint8_t hash[STORE_HASHBYTES]; /* the chain hash, as stored */
} store_audit_t;

/* ---- an audit checkpoint: the node's signature over (seq, hash) ------- */
typedef struct {
    int64_t seq;
    uint8_t hash[STORE_HASHBYTES];
    uint8_t sig[64];
    int64_t at;              /* when it was signed, unix seconds UTC */
} store_checkpoint_t;

/* ---- a local user (an operating-system login) and its roles -----------

   ROLES is a comma-separated list ("admin,analyst"). */
typedef struct {
    char login[65];
    char roles[64];
    char added_by[65];       /* the login that last set the roles */
    int64_t created;
    int64_t updated;
} store_user_t;

/* ---- a retention period, per publisher and topic ---------------------- */
typedef struct {
    char publisher[17];
    char topic[129];
    int64_t seconds;         /* content is erased this long after it arrived (published) */
    char set_by[65];
    int64_t updated;
    /* Content this node published (publisher is this node): also removed,
       before SECONDS, once every delivery of a version has ended and a
       newer version exists. */
    int64_t delivered;
    char origin[15];         /* the address of the sibling where it was last set (SPEC.md 11.5),
                                "" for this node */
} store_retention_t;

/* Sizes written into the schema's CHECK constraints (store.c, the
   migrations), tied to the structs so that changing one without the other
   fails to compile. */
#define STORE_FIELD_SIZE(type, field) sizeof (((type *)0)->field)
_Static_assert(STORE_FIELD_SIZE (store_peer_t, sign_pk) == 32, "schema says 32");
_Static_assert(STORE_FIELD_SIZE (store_peer_t, box_pk) == 32, "schema says 32");
_Static_assert(STORE_FIELD_SIZE (store_peer_t, curve_pk) == 32, "schema says 32");
_Static_assert(STORE_FIELD_SIZE (store_dataset_t, hash) == 32, "schema says 32");
_Static_assert(STORE_FIELD_SIZE (store_dataset_t, manifest) == 4096, "schema says 4096");
_Static_assert(STORE_FIELD_SIZE (store_dataset_t, sig) == 64, "schema says 64");
_Static_assert(STORE_FIELD_SIZE (store_dataset_t, wrapped) == 80, "schema says 80");
_Static_assert(STORE_FIELD_SIZE (store_delivery_t, receipt) == 4096, "schema says 4096");
_Static_assert(STORE_FIELD_SIZE (store_delivery_t, receipt_sig) == 64, "schema says 64");
_Static_assert(STORE_FIELD_SIZE (store_audit_t, hash) == 32, "schema says 32");
_Static_assert(STORE_FIELD_SIZE (store_checkpoint_t, hash) == 32, "schema says 32");
_Static_assert(STORE_FIELD_SIZE (store_checkpoint_t, sig) == 64, "schema says 64");

#endif
