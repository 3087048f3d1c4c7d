/*  backup: a node's home copied while it runs, checked, and restored.

    A backup is a directory of flat files: store.db (a consistent copy of
    the store, SQLite's online backup API), keys.NAME.key (the key files of
    keys/, as they are: protected by a passphrase or not), keys.old.NAME
    (keys/old/), data.ID.sealed (each sealed file the copied store names)
    and MANIFEST, last: every file with its size and BLAKE2b-256 hash, the
    store's schema version, the audit log's last seq and hash at the copy,
    the node's org and signing key, the time; signed with that key
    (Ed25519 over "cdx-backup" NUL and every byte before its signature
    line). Format: backup.c.

    The node creates no file itself in the backup: the caller's callbacks
    create the directory and each file by name (the command line, as the
    user running it), so that the files belong to whoever asked.

    Not for: the store's copy itself (store_backup, store/backup.c), the
    files a user names for other commands (outfile.h).
*/
#ifndef NODE_BACKUP_H_INCLUDED
#define NODE_BACKUP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "outfile.h"

#define NODE_BACKUP_MANIFEST "MANIFEST"
#define NODE_BACKUP_MANIFEST_MAX (1u << 20)   /* bytes: a manifest is refused beyond */
#define NODE_BACKUP_NAME_MAX 100              /* bytes of a file name in a backup */

/* Where a backup goes: DIR makes the backup's directory (empty, private);
   FILE a new file NAME in it (a plain name, no '/'; never following a
   link, never replacing anything), written and committed by the node.
   Each returns 0 / the file, or -1 / NULL with the reason in ERR. */
typedef struct {
    int (*dir) (void *arg, char *err, size_t errlen);
    node_outfile_t *(*file) (void *arg, const char *name, char *err, size_t errlen);
    void *arg;
    node_progress_fn *progress;   /* bytes copied of the total; may be NULL */
    void *progress_arg;
} node_backup_out_t;

/* What a backup holds, from its manifest. */
typedef struct {
    char org[17];
    char sign_key[65];            /* hex */
    char fingerprint[17];         /* of the signing key */
    char created[32];             /* YYYY-MM-DDTHH:MM:SSZ */
    int64_t at;                   /* the same, unix seconds */
    int schema;                   /* the store's schema version */
    int64_t audit_seq;            /* the audit log's last entry in the copy */
    char audit_hash[65];
    int64_t files, bytes;         /* every file but the manifest */
    int64_t datasets;             /* sealed files */
} node_backup_info_t;

/* Admin only (a backup holds the keys): copies this node's home into the
   backup OUT makes, while the node runs or not: the store through the
   online backup API into a temporary file inside the home, then the
   sealed files the copy names, the key files, then the signed manifest.
   Audited (action backup). INFO (may be NULL) receives what it holds. 0,
   or -1 (node_error, node_refused); what was made is the caller's to
   remove (the manifest is written last: a backup without one is none). */
int node_backup (node_t *n, const node_backup_out_t *out, node_backup_info_t *info);

/* What a check of a backup found. */
typedef struct {
    int ok;                       /* 1: every check passed */
    char problem[512];            /* else the first problem, in words */
    char file[NODE_BACKUP_NAME_MAX + 1];   /* the file it is about, "" if none */
    const char *key;              /* whose key signed it: "backup" (the key in the backup);
                                     with a live node, "current" or "old" (rotated since) */
    node_backup_info_t info;
} node_backup_report_t;

/* Checks the backup in DIR without a node: the manifest's signature (with
   the signing key it names, which must be the one on the card in the
   copied store; with LIVE, not NULL, also one LIVE has or had), every
   file's size and hash, the store's integrity (read-only), and its audit
   chain, link by link, up to the manifest's seq and hash. 0 when the
   check was made (REPORT->ok says how it went), -1 if it could not be
   (ERR). */
int node_backup_verify (const char *dir, node_t *live, node_backup_report_t *report, char *err,
                        size_t errlen);

/* Restores the backup in DIR into HOME, which must not exist or be an
   empty directory: checks it first (node_backup_verify; nothing is
   created if it fails), makes the home as cdx init does (directories
   0700, files 0600), copies every file (hashed again on the way), opens
   the node (its store migrated to this code's schema), records the
   restore in the audit log (what was lost: the entries after the
   backup's seq), marks every subscription to ask its publisher for the
   versions lost since, and checks the audit log. REPORT receives the
   check. 0; or -1 with the reason in ERR (REPORT->ok 0 if the backup was
   refused: exit 4), having removed everything it made. */
int node_restore (const char *dir, const char *home, node_backup_report_t *report, char *err, size_t errlen);

/* ---- the manifest, for backup.c and restore.c ------------------------------ */

typedef struct {
    char name[NODE_BACKUP_NAME_MAX + 1];
    int64_t size;
    uint8_t hash[32];
} node_backup_file_t;

typedef struct {
    node_backup_info_t info;
    uint8_t sign_pk[32];
    node_backup_file_t *files;    /* malloc'd */
    size_t nfiles;
    uint8_t sig[64];
    size_t signed_len;            /* the bytes the signature covers, after the tag */
} node_backup_manifest_t;

/* 1 if NAME is one a backup may hold: store.db, keys.NAME, keys.old.NAME,
   data.ID.sealed, of letters, digits, '.', '_', '-'. */
int node_backup_name_ok (const char *name);

/* Parses manifest TEXT (LEN bytes) into M (M->files malloc'd: free with
   node_backup_manifest_free). 0, or -1 with the reason in ERR. The
   signature is not checked here. */
int node_backup_manifest_parse (const char *text, size_t len, node_backup_manifest_t *m, char *err,
                                size_t errlen);
void node_backup_manifest_free (node_backup_manifest_t *m);
/* 0 if M's signature over TEXT verifies with M->sign_pk. */
int node_backup_manifest_verify (const node_backup_manifest_t *m, const char *text);

#endif
