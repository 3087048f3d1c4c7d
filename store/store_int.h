/*  store_int.h: what the files of store/ share, and nobody outside them.

    struct store, the statement cache, the reasons (errors), and the few
    ways a table file runs a statement: bind, step, reset and check in one
    call (sq_write, sq_changes, sq_int, sq_get), and the listings (sq_each,
    sq_stream). store.c opens, migrates and closes; sql.c holds the
    helpers; each other file holds one group of tables and its SQL.

    Not for: anything outside store/. Callers see store.h (and rows.h);
    names here begin with sq_ so that they are never taken for the API.
*/
#ifndef STORE_INT_H_INCLUDED
#define STORE_INT_H_INCLUDED

#include "store.h"

#include <stdarg.h>

#include <sqlite3.h>

#define STORE_ERR_MAX 512

/* ---- the statement cache ------------------------------------------------

   Each file that runs SQL lists its own statements, next to the functions
   that use them, in one array indexed by an enum of its own, and names the
   array to the cache with SQ_STATEMENTS. The cache keeps one row of
   prepared statements per file (SQ_FILES, below, lists the files once),
   so that adding a statement touches only the file that runs it; a single
   list of every statement (an X-macro .def) would put the SQL of all
   tables in one place again, far from the code that binds it. */
#define SQ_FILES(X) X (db) X (peers) X (datasets) X (deliveries) X (agreements) X (audit) X (users) X (status)
#define SQ_FILE_STMT_MAX 24

typedef enum {
#define SQ_FILE_ENUM(name) SQ_FILE_##name,
    SQ_FILES (SQ_FILE_ENUM)
#undef SQ_FILE_ENUM
    SQ_FILE__COUNT
} sq_file_t;

typedef struct {
    sq_file_t file;
    const char *const *sql;
    int count;
} sq_statements_t;

#define SQ_FILE_EXTERN(name) extern const sq_statements_t sq_statements_##name;
SQ_FILES (SQ_FILE_EXTERN)
#undef SQ_FILE_EXTERN

/* Defines the statements of file NAME: ARRAY, with COUNT entries. */
#define SQ_STATEMENTS(name, array, count)                                                          \
    _Static_assert((count) <= SQ_FILE_STMT_MAX, "raise SQ_FILE_STMT_MAX");                         \
    const sq_statements_t sq_statements_##name = {SQ_FILE_##name, (array), (count)}

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[SQ_FILE__COUNT][SQ_FILE_STMT_MAX];
    store_hash_fn *hasher; /* of the audit chain; NULL: no appends */
    int streaming;         /* sq_stream listings open */
    char err[STORE_ERR_MAX];
};

/* Statement ID of the file whose statements are SET, prepared on first
   use: a command pays only for the statements it runs (preparing them all
   was half the cost of opening a store). NULL, with the reason, if it
   cannot be prepared; every helper below takes NULL as a failure already
   explained. Every statement is prepared by the unit suite
   (store_prepare_all). */
sqlite3_stmt *sq_stmt (store_t *s, const sq_statements_t *set, int id);

/* ---- reasons -------------------------------------------------------------

   sq_fail sets the reason and returns -1; sq_dbfail adds ": " and SQLite's
   message (call it before sqlite3_reset, which may replace that);
   sq_notfound returns STORE_NOTFOUND; sq_refail puts FMT's text before the
   reason already set, and returns -1; sq_vfail is sq_fail with ": THEN"
   after FMT's text unless THEN is NULL. */
int sq_vfail (store_t *s, const char *then, const char *fmt, va_list ap);
int sq_fail (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int sq_dbfail (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int sq_notfound (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int sq_refail (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* ---- arguments ------------------------------------------------------------ */

int64_t sq_now (void);
/* A struct's string field must be terminated inside the field; anything
   else would be read past its end. 0, or -1 naming the field. */
int sq_field (store_t *s, const char *name, const char *v, size_t cap);
#define SQ_FIELD(s, rec, field) sq_field ((s), #field, (rec)->field, sizeof (rec)->field)
/* A string argument stored as-is must fit the field it is read back into. */
int sq_arg (store_t *s, const char *name, const char *v, size_t cap);
/* WORD, the word of a state to store (states.def, through its name
   function), or NULL with the reason when VALUE is outside WHAT's enum. */
const char *sq_state (store_t *s, const char *what, const char *word, int value);

/* ---- binding values ---------------------------------------------------------

   SQLITE_STATIC is safe: every helper steps and resets its statement (and
   clears the bindings) before it returns. The results are OR-ed by the
   callers and handed to the helper as BIND: SQLITE_OK is 0, so any failure
   leaves the total non-zero. */
int sq_bind_text (sqlite3_stmt *st, int i, const char *v);
int sq_bind_blob (sqlite3_stmt *st, int i, const void *v, size_t n);
int sq_bind_int (sqlite3_stmt *st, int i, int64_t v);
/* Resets ST and clears its bindings; NULL is ignored. */
void sq_end (sqlite3_stmt *st);

/* ---- running statements ---------------------------------------------------

   Each steps ST once with its parameters bound as BIND says and resets it
   on every path. FMT... is the reason's prefix on failure (SQLite's message
   follows it). */

/* A statement that returns no rows: 0 or -1. With ABSENT non-NULL, a step
   that changes no row is a failure too, "FMT...: ABSENT". */
int sq_write (store_t *s, sqlite3_stmt *st, int bind, const char *absent, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* The same, returning how many rows it changed, or -1. */
int sq_changes (store_t *s, sqlite3_stmt *st, int bind, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* A one-row query of one integer column (a count, a maximum): it, or -1. */
int64_t sq_int (store_t *s, sqlite3_stmt *st, int bind, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Steps a statement that returns no rows and takes no parameters, refused
   while a streamed listing is open outside a transaction (sq_stream): 0,
   or -1 with WHAT as the reason's prefix. */
int sq_run (store_t *s, sqlite3_stmt *st, const char *what);
/* The transaction statements alone (store.c), each as sq_run. */
int sq_begin (store_t *s, const char *what);
int sq_commit (store_t *s, const char *what);
int sq_rollback (store_t *s, const char *what);
/* A write outside a transaction while a streamed listing is open would
   fail at once with SQLITE_BUSY under concurrency (sq_each): refused
   always, so that the mistake shows in every run, not only under load. */
int sq_write_allowed (store_t *s, const char *what);

/* ---- reading rows --------------------------------------------------------

   A reader copies the current row of ST into the struct at ROW, in the
   order of its table's *_COLS: 0, or -1 with a reason naming the table
   and the column. The file is shared with other processes and may have
   been written by another program or version, so nothing read is trusted
   to fit. ROW is zeroed first; on failure its content is unspecified. */
typedef int (*sq_read_fn) (store_t *s, sqlite3_stmt *st, void *row);

int sq_col_text (store_t *s, const char *table, sqlite3_stmt *st, int col, char *dst, size_t cap);
/* A blob of up to CAP bytes into DST, its size into *LEN. NULL reads as
   empty only when NULLABLE. */
int sq_col_blob (store_t *s, const char *table, sqlite3_stmt *st, int col, uint8_t *dst, size_t cap,
                 size_t *len, int nullable);
/* A blob of exactly N bytes (a key, hash or signature). NULL reads as all
   zero only when NULLABLE. */
int sq_col_exact (store_t *s, const char *table, sqlite3_stmt *st, int col, uint8_t *dst, size_t n,
                  int nullable);
int sq_col_int (store_t *s, const char *table, sqlite3_stmt *st, int col, int64_t *out);

/* Inside a reader whose names are s, st, out and T (the table's name). */
#define SQ_TEXT(i, f) sq_col_text (s, T, st, (i), out->f, sizeof out->f)
#define SQ_EXACT(i, f, nullable) sq_col_exact (s, T, st, (i), out->f, sizeof out->f, (nullable))
#define SQ_INT(i, f) sq_col_int (s, T, st, (i), &out->f)
/* -1 with the reason: the state column of TABLE holds WORD, which is not
   in states.def. A reader refuses the row rather than read it as some
   other state. */
int sq_unknown_state (store_t *s, const char *table, const char *word);

/* Steps ST for at most one row and copies it with READ into OUT: 0, -1
   ("cannot look up WHAT" or "cannot read WHAT"), or STORE_NOTFOUND with
   the reason NOTFOUND... */
int sq_get (store_t *s, sqlite3_stmt *st, int bind, sq_read_fn read, void *out, const char *what,
            const char *notfound, ...) __attribute__ ((format (printf, 7, 8)));

/* ---- listings -----------------------------------------------------------

   A caller's function and its argument, whatever the row type: FN is the
   caller's int (*) (const ROW *, void *), converted to sq_fn and back by
   the emitter of its row type (SQ_EMITTER), never called as another type. */
typedef void (*sq_fn) (void);
typedef struct {
    sq_fn fn;
    void *arg;
} sq_cb_t;
typedef int (*sq_emit_fn) (const void *row, const sq_cb_t *cb);

/* How rows of one struct are read and handed on. */
typedef struct {
    size_t size; /* of one row */
    sq_read_fn read;
    sq_emit_fn emit;
} sq_rows_t;

/* Defines static sq_emit_fn NAME, for rows of TYPE. */
#define SQ_EMITTER(name, type)                                                                     \
    static int name (const void *row, const sq_cb_t *cb)                                           \
    {                                                                                              \
        return ((int (*) (const type *, void *))cb->fn) (row, cb->arg);                            \
    }
#define SQ_CB(fn, arg) (&(sq_cb_t){(sq_fn)(fn), (arg)})

/* -1 with the reason if the listing ST is running already (its own
   callback asked for it again: resetting it would cut that listing short);
   0 if it may start. Call it before binding a listing's parameters. */
int sq_reentered (store_t *s, sqlite3_stmt *st, const char *what);

/* Lists the rows of ST: every row is read first and the statement reset
   (ending its read transaction) before CB sees any of them, so a callback
   may write to the store. A write from inside an open SELECT would have to
   upgrade a read snapshot that another connection may have made stale, and
   SQLite answers that with an immediate SQLITE_BUSY that no busy handler
   waits out. 0, the first non-zero value CB returned, or -1. */
int sq_each (store_t *s, sqlite3_stmt *st, int bind, const char *what, const sq_rows_t *rows,
             const sq_cb_t *cb);

/* Lists the rows of ST one at a time into ROW, the statement open while CB
   runs: for the audit log, which may be too long to hold. CB must not
   write (s->streaming refuses it). Returns as sq_each. */
int sq_stream (store_t *s, sqlite3_stmt *st, int bind, const char *what, void *row,
               const sq_rows_t *rows, const sq_cb_t *cb);

#endif
