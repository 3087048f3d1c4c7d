/*  node_internal: what node.c (local operations) and run.c (the event loop)
    share. Not part of the node's public interface. */
#ifndef NODE_INTERNAL_H_INCLUDED
#define NODE_INTERNAL_H_INCLUDED

#include <stdio.h>
#include <sys/un.h>

#include "card.h"
#include "cx.h"
#include "node.h"
#include "proto.h"
#include "store.h"

#define NODE_CHUNK_SIZE   PROTO_CHUNK_MAX      /* plaintext bytes per chunk */
#define NODE_PATH_MAX     4096

struct node {
    char home[NODE_PATH_MAX];
    store_t *store;
    store_self_t self;
    cx_keypair_t *sign;
    cx_keypair_t *box;
    cx_keypair_t *curve;
    /* Keys replaced by cdx keys rotate (keys/old/): box keys still open
       content keys wrapped for them; signing keys still verify this
       node's older audit checkpoints. */
    cx_keypair_t **old_box;
    size_t nold_box;
    uint8_t (*old_sign_pk)[32];
    size_t nold_sign;
    int lock_fd;                 /* held by node_run */
    int64_t audit_tried;         /* seq at the running node's last checkpoint attempt */
    char login[65];              /* the local user acting (access.c) */
    char real_login[65];         /* the real account, when CDX_USER names another ("" if not) */
    unsigned roles;              /* NODE_ROLE_* it holds */
    int refused;                 /* the last failure was a rule's refusal */
    int invalid;                 /* the last failure was a value out of its grammar */
    char err[NODE_ERR_MAX];
};

/* What other node files read of a node, instead of reaching into struct
   node: its store, its identity (org, role, name, endpoint) and its
   current keys. */
store_t *node_db (const node_t *n);
const store_self_t *node_self (const node_t *n);
cx_keypair_t *node_sign_key (const node_t *n);
cx_keypair_t *node_box_key (const node_t *n);
cx_keypair_t *node_curve_key (const node_t *n);
/* Takes HOME/run.lock for the running node (no other cdx run, rotation
   or recovery meanwhile): 0, or -1 naming the fix. node_unlock_run lets
   it go. */
int node_lock_run (node_t *n);
void node_unlock_run (node_t *n);

/* Writes a reason into ERR (capacity ERRLEN; either may be 0) where there
   is no node yet to hold it; returns -1. */
int node_errf (char *err, size_t errlen, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Sets the node's error reason; returns -1 for "return node_fail(...)". */
int node_fail (node_t *n, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* The same for a value the caller gave that is out of its grammar,
   vocabulary or range (node_invalid): refused where it enters, before
   anything is done or audited, so that it never reaches the log. The
   reason names the rule, never the refused bytes raw. */
int node_fail_input (node_t *n, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* node_fail_input unless ORG is an ODS code (card_valid_org); WHAT names
   the option in the reason, e.g. "--from". 0, or -1. */
int node_check_org (node_t *n, const char *what, const char *org);
/* node_fail_input unless TOPIC follows the topic grammar (proto_topic_ok). */
int node_check_topic (node_t *n, const char *what, const char *topic);

/* Fsyncs directory DIR, so that a rename or create in it is durable. */
void node_sync_dir (const char *dir);

/* The signed card of identity WHO (org, role, name, endpoint) with the
   keys KP (sign, box, curve), created now, into OUT. 0 or -1 (card_error). */
int node_make_card (const store_self_t *who, cx_keypair_t *const kp[3], char *out, size_t cap);

/* keys.c: the keys kept after rotations (keys/old/) into n->old_box and
   n->old_sign_pk. 0, or -1 with ERR. */
int node_keys_load_old (node_t *n, char *err, size_t errlen);

/* keys.c: completes a rotation cut short after its store transaction
   committed (keys/NAME.key.new match the card), or removes the new keys of
   one cut short before it. 0, or -1 with ERR. */
int node_keys_recover (node_t *n, char *err, size_t errlen);

/* HOME/data/ID.sealed into BUF. */
void node_data_path (const node_t *n, const char *id, char *buf, size_t cap);

/* Offset of sealed chunk INDEX in a dataset file. */
static inline int64_t node_chunk_offset (int64_t chunk_size, int64_t index)
{
    return index * (chunk_size + (int64_t) CX_CHUNK_ABYTES);
}

/* Logs a line to stderr: time, org, level, message. */
void node_log (const node_t *n, const char *level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Opens the content key of dataset D (wrapped for this node). */
cx_content_t *node_content_key (node_t *n, const store_dataset_t *d);

/* Opens a content key wrapped for this node's box key, or for one it had
   before a rotation. NULL if none opens it. */
cx_content_t *node_unwrap (node_t *n, const uint8_t wrapped[CX_WRAPPEDBYTES]);

/* 1 if PK is this node's signing key or one it had before a rotation. */
int node_own_sign_key (const node_t *n, const uint8_t pk[32]);

/* trust.c: the trusted authority's key (and name): 0, STORE_NOTFOUND if
   none is trusted, -1 on error (node_error). */
int node_authority_key (node_t *n, uint8_t pk[32], char *name, size_t cap);

/* trust.c: adds the peer of a certificate file (node_peer_add's other half). */
int node_cert_add (node_t *n, const char *text, size_t len, store_peer_t *out);
/* Agreements (agree.c), for run.c: verifies the signatures carried,
   merges them into the copy held (FROM: the peer it came from, or NULL),
   signs it too with SIGN, stores it and audits a change. OUT (may be NULL)
   receives the copy held; *CHANGED whether it changed. */
int node_agreement_take (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from, int sign, store_agreement_t *out,
                         int *changed);
/* 0 if peer FROM may hand this node the agreement DOC (with signatures
   SIG_P, SIG_R): it is not a new proposal, or FROM has fewer proposals
   here awaiting this node's signature than the limit. -1 with the reason
   (node_error) if FROM is at that limit, or on a store error. A document
   that does not decode passes: node_agreement_take refuses it. */
int node_agreement_room (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from);
/* Records A as revoked by BY (an org code) and audits it; nothing if it
   was already. PUSHED: whether the other party knows already. */
int node_agreement_mark_revoked (node_t *n, store_agreement_t *a, const char *by, const char *reason,
                                 int pushed);
/* Fills M with the AGREEMENT message carrying A. */
void node_agreement_message (const store_agreement_t *a, proto_msg_t *m);
/* Sets n->login and n->roles from the real account, or from CDX_USER
   when the real account is an admin (access.c). 0, or -1 (node_error). */
int node_identify (node_t *n);
/* node_identify for a command asking for CLAIM (may be NULL): a
   refusal of CDX_USER (user.override) is audited as a refusal of CLAIM's
   action, with its object, peer and purpose. */
int node_identify_claim (node_t *n, const node_claim_t *claim);

/* node_authorize (node.h) recording what was asked: CLAIM's action,
   object, peer, purpose and note (before the reason) in the refusal's
   entry. The role held, or 0 (audited, role.missing; node_error). */
unsigned node_authorize_claim (node_t *n, unsigned any, const node_claim_t *claim);

/* The audit object of dataset ID as every entry about it names it,
   "TOPIC vVERSION ID", into OBJECT, and its publisher into PUBLISHER
   (17 bytes; may be NULL), when this node holds it: 1. 0 when it does
   not (or ID is not a dataset id): OBJECT holds ID as given, PUBLISHER
   "". */
int node_dataset_object (node_t *n, const char *id, char *object, size_t cap, char *publisher);

/* Reads again, from the store, the roles of the user acting (n->roles),
   for a decision taken again at the end of long work. 0, or -1
   (node_error). */
int node_refresh_roles (node_t *n);

#define NODE_KICK_FILE "kick.ipc"

/* The address of HOME/kick.ipc, the running node's local datagram socket
   that CLI commands nudge (node_kick). -1 if the path is too long for a
   local socket. */
int node_kick_addr (const node_t *n, struct sockaddr_un *addr);
#define NODE_LOCK_FILE "run.lock"

#endif
