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
    char login[65];              /* the local user acting (access.c) */
    unsigned roles;              /* NODE_ROLE_* it holds */
    int refused;                 /* the last failure was a rule's refusal */
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

/* Sets n->login and n->roles from the real account, or from CDX_USER
   when the real account is an admin (access.c). 0, or -1 (node_error). */
int node_identify (node_t *n);

#define NODE_KICK_FILE "kick.ipc"
#define NODE_LOCK_FILE "run.lock"

#endif
