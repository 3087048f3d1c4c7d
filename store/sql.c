/*  sql.c: how the table files of store/ bind, step and read.

    What is here: the checks of arguments before they are bound, binding,
    running a statement in one call (bound, stepped, reset, its failure
    explained), reading columns into fixed-size fields without ever
    truncating, and the two ways of listing rows (read whole, or streamed).
    The idiom every table function needs is written once, here.

    Not for: SQL of any table (each table file has its own), opening and
    migrating (store.c).
*/
#include "store_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- arguments ------------------------------------------------------------ */

int64_t sq_now (void)
{
    return (int64_t)time (NULL);
}

int sq_field (store_t *s, const char *name, const char *v, size_t cap)
{
    if (memchr (v, '\0', cap) == NULL)
        return sq_fail (s, "%s is not a terminated string of at most %zu bytes", name, cap - 1);
    return 0;
}

int sq_arg (store_t *s, const char *name, const char *v, size_t cap)
{
    if (!v) return sq_fail (s, "no %s given", name);
    if (strnlen (v, cap) >= cap) return sq_fail (s, "%s is longer than %zu bytes", name, cap - 1);
    return 0;
}

const char *sq_state (store_t *s, const char *what, const char *word, int value)
{
    if (!word) sq_fail (s, "%s %d is none of the states this cdx knows", what, value);
    return word;
}

/* ---- binding values ---------------------------------------------------------- */

int sq_bind_text (sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text (st, i, v, -1, SQLITE_STATIC);
}

int sq_bind_blob (sqlite3_stmt *st, int i, const void *v, size_t n)
{
    if (n > INT_MAX) return SQLITE_TOOBIG;
    return sqlite3_bind_blob (st, i, v, (int)n, SQLITE_STATIC);
}

int sq_bind_int (sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64 (st, i, v);
}

void sq_end (sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset (st);
    sqlite3_clear_bindings (st);
}

/* ---- running statements ------------------------------------------------------

   One step of ST, bound as BIND says: SQLite's result, or -1 (and the
   reason, FMT... then SQLite's message) if the binding failed or the step
   did not give WANT. ST is not reset: the caller reads the row first. A
   NULL ST (not prepared) fails with the reason already set. */
static int s_step (store_t *s, sqlite3_stmt *st, int bind, int want, const char *fmt, va_list ap)
{
    if (!st) return -1;
    if (bind == SQLITE_OK) {
        int rc = sqlite3_step (st);
        if (rc == want) return rc;
    }
    return sq_vfail (s, sqlite3_errmsg (s->db), fmt, ap);
}

/* sq_changes with the variable arguments as AP. */
static int s_vchanges (store_t *s, sqlite3_stmt *st, int bind, const char *fmt, va_list ap)
{
    int ret = s_step (s, st, bind, SQLITE_DONE, fmt, ap) < 0 ? -1 : sqlite3_changes (s->db);
    sq_end (st);
    return ret;
}

int sq_write (store_t *s, sqlite3_stmt *st, int bind, const char *absent, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int changed = s_vchanges (s, st, bind, fmt, ap);
    va_end (ap);
    if (changed < 0) return -1;
    if (changed == 0 && absent) {
        va_start (ap, fmt);
        sq_vfail (s, absent, fmt, ap);
        va_end (ap);
        return -1;
    }
    return 0;
}

int sq_changes (store_t *s, sqlite3_stmt *st, int bind, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int ret = s_vchanges (s, st, bind, fmt, ap);
    va_end (ap);
    return ret;
}

int64_t sq_int (store_t *s, sqlite3_stmt *st, int bind, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int64_t ret = s_step (s, st, bind, SQLITE_ROW, fmt, ap) < 0 ? -1 : sqlite3_column_int64 (st, 0);
    va_end (ap);
    sq_end (st);
    return ret;
}

int sq_write_allowed (store_t *s, const char *what)
{
    if (s->streaming && sqlite3_get_autocommit (s->db))
        return sq_fail (s, "%s: a write from inside a listing of the audit log (collect first)",
                        what);
    return 0;
}

int sq_run (store_t *s, sqlite3_stmt *st, const char *what)
{
    if (!st) return -1;
    if (!sqlite3_stmt_readonly (st) && sq_write_allowed (s, what) != 0) {
        sq_end (st);
        return -1;
    }
    int rc = sqlite3_step (st);
    int ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) ret = sq_dbfail (s, "%s", what);
    sq_end (st);
    return ret;
}

/* ---- reading columns ----------------------------------------------------

   Each returns 0, or -1 with a reason naming TABLE and the column. */

static const char *s_colname (sqlite3_stmt *st, int col)
{
    const char *name = sqlite3_column_name (st, col);
    return name ? name : "?";
}

int sq_col_text (store_t *s, const char *table, sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    int type = sqlite3_column_type (st, col);
    if (type == SQLITE_NULL) {
        dst[0] = '\0';
        return 0;
    }
    if (type != SQLITE_TEXT)
        return sq_fail (s, "stored %s.%s is not text", table, s_colname (st, col));
    const unsigned char *t = sqlite3_column_text (st, col);
    int n = sqlite3_column_bytes (st, col);
    if (!t) return sq_dbfail (s, "cannot read %s.%s", table, s_colname (st, col));
    if (n < 0 || (size_t)n >= cap)
        return sq_fail (s,
                        "stored %s.%s is %d bytes, longer than the %zu this cdx holds: "
                        "refusing to truncate it",
                        table, s_colname (st, col), n, cap - 1);
    if (memchr (t, '\0', (size_t)n))
        return sq_fail (s, "stored %s.%s contains a NUL byte", table, s_colname (st, col));
    memcpy (dst, t, (size_t)n);
    dst[n] = '\0';
    return 0;
}

int sq_unknown_state (store_t *s, const char *table, const char *word)
{
    return sq_fail (s, "stored %s.state is '%s', not a state this cdx knows: refusing the row",
                    table, word);
}

int sq_col_blob (store_t *s, const char *table, sqlite3_stmt *st, int col, uint8_t *dst, size_t cap,
                 size_t *len, int nullable)
{
    int type = sqlite3_column_type (st, col);
    if (type == SQLITE_NULL && nullable) {
        *len = 0;
        return 0;
    }
    if (type != SQLITE_BLOB)
        return sq_fail (s, "stored %s.%s is not a blob", table, s_colname (st, col));
    const void *b = sqlite3_column_blob (st, col);
    int n = sqlite3_column_bytes (st, col);
    if (n < 0 || (size_t)n > cap)
        return sq_fail (s, "stored %s.%s is %d bytes, more than the %zu this cdx holds", table,
                        s_colname (st, col), n, cap);
    if (n > 0 && !b) return sq_dbfail (s, "cannot read %s.%s", table, s_colname (st, col));
    if (n > 0) memcpy (dst, b, (size_t)n);
    *len = (size_t)n;
    return 0;
}

int sq_col_exact (store_t *s, const char *table, sqlite3_stmt *st, int col, uint8_t *dst, size_t n,
                  int nullable)
{
    size_t len = 0;
    if (sq_col_blob (s, table, st, col, dst, n, &len, nullable) != 0) return -1;
    if (len == 0 && nullable && sqlite3_column_type (st, col) == SQLITE_NULL) {
        memset (dst, 0, n);
        return 0;
    }
    if (len != n)
        return sq_fail (s, "stored %s.%s is %zu bytes, expected exactly %zu", table,
                        s_colname (st, col), len, n);
    return 0;
}

int sq_col_int (store_t *s, const char *table, sqlite3_stmt *st, int col, int64_t *out)
{
    if (sqlite3_column_type (st, col) != SQLITE_INTEGER)
        return sq_fail (s, "stored %s.%s is not an integer", table, s_colname (st, col));
    *out = sqlite3_column_int64 (st, col);
    return 0;
}

/* ---- reading rows ------------------------------------------------------------ */

int sq_get (store_t *s, sqlite3_stmt *st, int bind, sq_read_fn read, void *out, const char *what,
            const char *notfound, ...)
{
    if (!st) return -1;
    int ret;
    if (bind != SQLITE_OK) {
        ret = sq_dbfail (s, "cannot look up %s", what);
    } else {
        int rc = sqlite3_step (st);
        if (rc == SQLITE_ROW)
            ret = read (s, st, out);
        else if (rc == SQLITE_DONE)
            ret = STORE_NOTFOUND;
        else
            ret = sq_dbfail (s, "cannot read %s", what);
    }
    sq_end (st);
    if (ret == STORE_NOTFOUND) {
        va_list ap;
        va_start (ap, notfound);
        sq_vfail (s, NULL, notfound, ap);
        va_end (ap);
    }
    return ret;
}

/* ---- listings ------------------------------------------------------------------

   ST is reset on every path, so that a callback may use any other
   statement; a call of the same listing from its own callback would reset
   the outer loop, so it is refused (sq_reentered). */

int sq_reentered (store_t *s, sqlite3_stmt *st, const char *what)
{
    if (st && sqlite3_stmt_busy (st))
        return sq_fail (s, "listing %s from inside the same listing's callback is not supported",
                        what);
    return 0;
}

/* Reads every row of ST, bound, into a malloc'd array that *ROWS_P receives (the caller frees it,
   also on failure), their number into *N. 0 or -1. */
static int s_collect (store_t *s, sqlite3_stmt *st, const char *what, const sq_rows_t *rows,
                      uint8_t **rows_p, size_t *n)
{
    size_t cap = 0;
    *rows_p = NULL;
    *n = 0;
    for (;;) {
        int rc = sqlite3_step (st);
        if (rc == SQLITE_DONE) return 0;
        if (rc != SQLITE_ROW) return sq_dbfail (s, "cannot list %s", what);
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            uint8_t *grown =
                ncap <= SIZE_MAX / rows->size ? realloc (*rows_p, ncap * rows->size) : NULL;
            if (!grown) return sq_fail (s, "cannot list %s: out of memory", what);
            *rows_p = grown;
            cap = ncap;
        }
        uint8_t *row = *rows_p + *n * rows->size;
        memset (row, 0, rows->size);
        if (rows->read (s, st, row) != 0) return -1;
        (*n)++;
    }
}

int sq_each (store_t *s, sqlite3_stmt *st, int bind, const char *what, const sq_rows_t *rows,
             const sq_cb_t *cb)
{
    if (!st || sq_reentered (s, st, what) != 0) return -1;
    uint8_t *all = NULL;
    size_t n = 0;
    int ret = bind != SQLITE_OK ? sq_dbfail (s, "cannot list %s", what)
                                : s_collect (s, st, what, rows, &all, &n);
    sq_end (st);
    for (size_t i = 0; ret == 0 && i < n; i++)
        ret = rows->emit (all + i * rows->size, cb);
    free (all);
    return ret;
}

int sq_stream (store_t *s, sqlite3_stmt *st, int bind, const char *what, void *row,
               const sq_rows_t *rows, const sq_cb_t *cb)
{
    if (!st || sq_reentered (s, st, what) != 0) return -1;
    if (bind != SQLITE_OK) {
        sq_dbfail (s, "cannot list %s", what);
        sq_end (st);
        return -1;
    }
    int ret = 0;
    s->streaming++;
    for (;;) {
        int rc = sqlite3_step (st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            ret = sq_dbfail (s, "cannot list %s", what);
            break;
        }
        if (rows->read (s, st, row) != 0) {
            ret = -1;
            break;
        }
        ret = rows->emit (row, cb);
        if (ret != 0) break;
    }
    s->streaming--;
    sq_end (st);
    return ret;
}
