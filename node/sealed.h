/*  sealed: the format of a dataset's content on disk, HOME/data/ID.sealed:
    chunk i sealed (XChaCha20-Poly1305, CX_CHUNK_ABYTES more than its
    plaintext) at i * (chunk size + CX_CHUNK_ABYTES); the content key that
    opens it, wrapped for this node in the dataset's row; and a new file
    created for a publish, held from its creation.

    Not for: what is in a chunk (cx.h), the leftovers of killed commands
    (home.c), the manifest (proto.h).
*/
#ifndef SEALED_H_INCLUDED
#define SEALED_H_INCLUDED

#include <sys/types.h>

#include "core.h"

/* HOME/data/ID.sealed into BUF. */
void node_data_path (const node_t *n, const char *id, char *buf, size_t cap);

/* Offset of sealed chunk INDEX in a dataset file. */
static inline int64_t node_chunk_offset (int64_t chunk_size, int64_t index)
{
    return index * (chunk_size + (int64_t) CX_CHUNK_ABYTES);
}

/* Plaintext bytes of chunk INDEX of dataset D (the last may be short). */
int64_t node_chunk_bytes (const store_dataset_t *d, int64_t index);

/* Opens the content key of dataset D (wrapped for this node). NULL with
   node_error if it does not open; the caller destroys it. */
cx_content_t *node_content_key (node_t *n, const store_dataset_t *d);

/* Creates data/ID.sealed.tmp for a new dataset id (DSID, ID in hex) and
   holds it (node_home_hold) so that no sweep removes it. FINAL and TMP
   (NODE_PATH_MAX each) receive the paths. The descriptor, or -1 (node
   error; TMP empty). */
int node_sealed_create (node_t *n, uint8_t dsid[16], char id[33], char *final, char *tmp);

/* Writes LEN bytes of BUF to FD whatever the interruptions: 0, or -1
   (errno). */
int node_write_all (int fd, const uint8_t *buf, size_t len);
/* Reads up to LEN bytes into BUF, fewer only at the end of the file: the
   count, or -1 (errno). */
ssize_t node_read_full (int fd, uint8_t *buf, size_t len);

#endif
