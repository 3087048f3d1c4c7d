/*  outfile: a file the user names, written whole or not at all, and never
    in place of something already there.

    The content goes to an unnamed file (O_TMPFILE) in the destination's
    directory, is synced, and is then given its name with linkat(2), which
    never replaces anything; where the file system has no O_TMPFILE, to a
    temporary created exclusively beside the destination and moved with
    renameat2 (RENAME_NOREPLACE), or link(2). An existing file, directory
    or symlink at the destination is never replaced or followed, even one
    that appeared while the content was being written. A failure, or a
    kill, leaves the destination untouched; a kill leaves nothing else
    either, except the hidden temporary (".NAME.cdx-XXXXXX") where
    O_TMPFILE is not available.

    A file may also be made elsewhere and handed in as a descriptor
    (node_outfile_wrap): a command forwarded to the running node gets its
    output from the caller, who made it as above with its own rights
    (control.h), and commit and retract then ask the caller to name it or
    take it back.

    Not for: files inside a node's home (sealed.c, publish.c and node/run/ own those). */
#ifndef NODE_OUTFILE_H_INCLUDED
#define NODE_OUTFILE_H_INCLUDED

#include <stddef.h>
#include <sys/types.h>

typedef struct node_outfile node_outfile_t;

/* Starts a file for PATH, which must not exist yet (checked at once, and
   again when it is put in place). MODE: its permissions (e.g. 0600).
   NULL on failure, with a reason naming PATH and the fix in ERR. */
node_outfile_t *node_outfile_new (const char *path, mode_t mode, char *err, size_t errlen);

/* What a wrapped file's commit and retract do, after the content is
   synced: name the file at its path (0, or -1 with ERR), take it back (0,
   or -1). */
typedef struct {
    int (*commit) (void *arg, char *err, size_t errlen);
    int (*retract) (void *arg);
    void *arg;
} node_outfile_ops_t;

/* A file made elsewhere, open for writing on FD (owned by the result,
   closed on failure too), for PATH (ABS: its absolute path, for the
   record); OPS names it. NULL if out of memory (ERR). */
node_outfile_t *node_outfile_wrap (int fd, const char *path, const char *abs, const node_outfile_ops_t *ops,
                                   char *err, size_t errlen);

/* The descriptor to write the content to (owned by F). */
int node_outfile_fd (const node_outfile_t *f);

/* The destination path F was made for, made absolute (its directory
   resolved when it was given relative): what an audit entry records. */
const char *node_outfile_path (const node_outfile_t *f);

/* Writes LEN bytes of DATA to F. 0, or -1 with ERR. */
int node_outfile_write (node_outfile_t *f, const void *data, size_t len, char *err, size_t errlen);

/* Syncs the content written so far (once: commit then skips it), so that
   the commit is quick, e.g. inside a store transaction. 0, or -1 with ERR. */
int node_outfile_sync (node_outfile_t *f, char *err, size_t errlen);

/* Syncs the content (unless node_outfile_sync did) and puts it in place
   at PATH without replacing anything. 0; or -1 with ERR, and nothing at
   PATH. */
int node_outfile_commit (node_outfile_t *f, char *err, size_t errlen);

/* Removes what was put in place by a commit that must be taken back
   (a decision that could not be recorded, say). 0, or -1 (errno). */
int node_outfile_retract (node_outfile_t *f);

/* Removes the temporary, if not committed, and frees F; sets *F_P to
   NULL. */
void node_outfile_destroy (node_outfile_t **f_p);

/* The whole of DATA into a new file PATH: new, write, commit. 0 or -1. */
int node_outfile_save (const char *path, const void *data, size_t len, mode_t mode, char *err,
                       size_t errlen);

#endif
