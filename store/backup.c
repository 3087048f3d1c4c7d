/*  backup.c: copies of the store (see store.h): a consistent copy made
    while other processes write (SQLite's online backup API), and a
    read-only opening of such a copy, to check it.

    Not for: what else a backup holds (keys, sealed files), its manifest
    or its signature (node/backup.c); restoring (node/backup.c copies the
    file and opens it with store_open, which migrates it).
*/
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Removes PATH and what SQLite may have left beside it. */
static void s_remove (const char *path)
{
    char side[4200];
    unlink (path);
    snprintf (side, sizeof side, "%s-journal", path);
    unlink (side);
}

int store_backup (store_t *s, const char *path)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sq_fail (s, "cannot create the copy of the store %s: %s", path, strerror (errno));
    close (fd);
    sqlite3 *dest = NULL;
    int ret = -1;
    if (sqlite3_open_v2 (path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sq_fail (s, "cannot open the copy of the store %s: %s", path,
                 dest ? sqlite3_errmsg (dest) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout (dest, 5000);
    sqlite3_backup *b = sqlite3_backup_init (dest, "main", s->db, "main");
    if (!b) {
        sq_fail (s, "cannot start copying the store: %s", sqlite3_errmsg (dest));
        goto out;
    }
    /* All pages in one step: one read transaction on the source, so the
       copy is one snapshot however much the node writes meanwhile (a WAL
       reader blocks no writer). The store holds no dataset content, so it
       is small. */
    int rc;
    int tries = 0;
    while ((rc = sqlite3_backup_step (b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (++tries > 500)
            break;
        sqlite3_sleep (10);
    }
    int frc = sqlite3_backup_finish (b);
    if (rc != SQLITE_DONE || frc != SQLITE_OK) {
        sq_fail (s, "cannot copy the store: %s", sqlite3_errstr (rc != SQLITE_DONE ? rc : frc));
        goto out;
    }
    char *msg = NULL;
    if (sqlite3_exec (dest, "PRAGMA journal_mode = DELETE", NULL, NULL, &msg) != SQLITE_OK) {
        sq_fail (s, "cannot make the copy of the store self-contained: %s", msg ? msg : "?");
        sqlite3_free (msg);
        goto out;
    }
    ret = 0;
out:
    if (dest && sqlite3_close (dest) != SQLITE_OK && ret == 0)
        ret = sq_fail (s, "cannot close the copy of the store %s", path);
    if (ret != 0)
        s_remove (path);
    return ret;
}

store_t *store_open_readonly (const char *path, char *err, size_t errlen)
{
    store_t *s = calloc (1, sizeof *s);
    if (!s) {
        if (err && errlen)
            snprintf (err, errlen, "out of memory");
        return NULL;
    }
    snprintf (s->err, sizeof s->err, "no error");
    if (sqlite3_open_v2 (path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sq_fail (s, "cannot open %s: %s", path, s->db ? sqlite3_errmsg (s->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes (s->db, 1);
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2 (s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_ROW) {
        sq_fail (s, "%s is not an SQLite database: %s", path, sqlite3_errmsg (s->db));
        sqlite3_finalize (st);
        goto fail;
    }
    v = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    if (v < 1) {
        sq_fail (s, "%s is not a cdx store (schema version %lld)", path, (long long) v);
        goto fail;
    }
    if (v > STORE_SCHEMA_VERSION) {
        sq_fail (s, "%s has schema version %lld, newer than the %d this cdx knows: upgrade cdx", path,
                 (long long) v, STORE_SCHEMA_VERSION);
        goto fail;
    }
    return s;
fail:
    if (err && errlen)
        snprintf (err, errlen, "%s", s->err);
    store_close (&s);
    return NULL;
}
