/*  node_internal: what node.c (local operations) and run.c (the event loop)
    share. Not part of the node's public interface. */
#ifndef NODE_INTERNAL_H_INCLUDED
#define NODE_INTERNAL_H_INCLUDED

#include <stdio.h>

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
    int lock_fd;                 /* held by node_run */
    int64_t audit_tried;         /* seq at the running node's last checkpoint attempt */
    char err[NODE_ERR_MAX];
};

/* Sets the node's error reason; returns -1 for "return node_fail(...)". */
int node_fail (node_t *n, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

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

/* Agreements (agree.c), for run.c: verifies the signatures carried,
   merges them into the copy held (FROM: the peer it came from, or NULL),
   signs it too with SIGN, stores it and audits a change. OUT (may be NULL)
   receives the copy held; *CHANGED whether it changed. */
int node_agreement_take (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from, int sign, store_agreement_t *out,
                         int *changed);
/* Records A as revoked by BY (an org code) and audits it; nothing if it
   was already. PUSHED: whether the other party knows already. */
int node_agreement_mark_revoked (node_t *n, store_agreement_t *a, const char *by, const char *reason,
                                 int pushed);
/* Fills M with the AGREEMENT message carrying A. */
void node_agreement_message (const store_agreement_t *a, proto_msg_t *m);

#define NODE_KICK_FILE "kick.ipc"
#define NODE_LOCK_FILE "run.lock"

#endif
