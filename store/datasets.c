/*  datasets.c: the datasets a node published or received (see store.h).

    The table datasets: one row per version of a topic, with its signed
    manifest, the content key wrapped for this node, how many chunks are
    durable in the sealed file next to the store, and its state from
    published or receiving to available, failed or erased.

    Not for: the sealed file itself (the node writes and removes it) or
    the deliveries of a dataset (deliveries.c).
*/
#include "store_int.h"

#include <assert.h>
#include <string.h>

/* The order of the columns, shared by the statements and s_row_dataset. */
#define DATASET_COLS                                                                               \
    "id, publisher, topic, version, class, purpose, filename, bytes, chunk_size, chunks, hash, "   \
    "manifest, sig, wrapped, state, next_chunk, kind, expires, created, updated, agreement, origin"

enum {
    DATASET_PUT,
    DATASET_GET,
    DATASET_PROGRESS,
    DATASET_HELD_AT,
    DATASET_LAST,
    DATASET_CLASH,
    DATASET_EACH,
    DATASET_EACH_STATE,
    DATASET_COUNT,
    DATASET_TOUCH,
    DATASET_ERASE,
    DATASET_RESIGN,
    DATASETS__COUNT
};

static const char *const s_sql[DATASETS__COUNT] = {
    [DATASET_PUT] = "INSERT INTO datasets (" DATASET_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
    [DATASET_GET] = "SELECT " DATASET_COLS " FROM datasets WHERE id = ?1",
    [DATASET_PROGRESS] = "UPDATE datasets SET state = ?2, next_chunk = ?3, updated = ?4"
                         " WHERE id = ?1",
    /* How far a transfer in progress is durable: never a dataset that
       has since become available (or failed) by another way. */
    [DATASET_HELD_AT] = "UPDATE datasets SET next_chunk = ?2, updated = ?3"
                        " WHERE id = ?1 AND state = 'receiving'",
    [DATASET_LAST] = "SELECT COALESCE (MAX (version), 0) FROM datasets"
                     " WHERE publisher = ?1 AND topic = ?2",
    [DATASET_CLASH] = "SELECT count(*) FROM datasets"
                      " WHERE publisher = ?1 AND topic = ?2 AND version = ?3 AND id <> ?4",
    [DATASET_EACH] = "SELECT " DATASET_COLS " FROM datasets ORDER BY publisher, topic, version",
    [DATASET_EACH_STATE] = "SELECT " DATASET_COLS " FROM datasets WHERE state = ?1"
                           " ORDER BY updated, id",
    [DATASET_COUNT] = "SELECT count(*) FROM datasets WHERE publisher = ?1 AND state = ?2",
    [DATASET_TOUCH] = "UPDATE datasets SET updated = ?2 WHERE state = ?1",
    /* The wrapped content key goes with the content: a copy of the file
       left anywhere (a backup) no longer opens with this node's keys. */
    [DATASET_ERASE] = "UPDATE datasets SET state = 'erased', next_chunk = 0,"
                      " wrapped = zeroblob (80), updated = ?2 WHERE id = ?1",
    [DATASET_RESIGN] = "UPDATE datasets SET sig = ?2, updated = ?3 WHERE id = ?1",
};
SQ_STATEMENTS (datasets, s_sql, DATASETS__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_datasets, (id))

/* A change of a dataset that does not exist is an error (-1), not
   STORE_NOTFOUND: the caller is acting on a dataset it believes is there. */
#define NO_DATASET "there is no such dataset"

/* The word of state V, or NULL with the reason (sq_state). */
#define DATASET_STATE(v) sq_state (s, "dataset state", store_dataset_state_name (v), (int)(v))

static int s_row_dataset (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "datasets";
    store_dataset_t *out = row;
    char word[16];
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, id) || SQ_TEXT (1, publisher) || SQ_TEXT (2, topic) || SQ_INT (3, version) ||
        SQ_TEXT (4, class_) || SQ_TEXT (5, purpose) || SQ_TEXT (6, filename) || SQ_INT (7, bytes) ||
        SQ_INT (8, chunk_size) || SQ_INT (9, chunks) || SQ_EXACT (10, hash, 0) ||
        sq_col_blob (s, T, st, 11, out->manifest, sizeof out->manifest, &out->manifest_len, 0) ||
        SQ_EXACT (12, sig, 0) || SQ_EXACT (13, wrapped, 0) ||
        sq_col_text (s, T, st, 14, word, sizeof word) ||
        SQ_INT (15, next_chunk) || SQ_TEXT (16, kind) || SQ_INT (17, expires) ||
        SQ_INT (18, created) || SQ_INT (19, updated) || SQ_TEXT (20, agreement) || SQ_TEXT (21, origin))
        return -1;
    if (store_dataset_state_parse (word, &out->state) != 0) return sq_unknown_state (s, T, word);
    return 0;
}

SQ_EMITTER (s_emit_dataset, store_dataset_t)
static const sq_rows_t s_datasets = {sizeof (store_dataset_t), s_row_dataset, s_emit_dataset};

int store_dataset_put (store_t *s, const store_dataset_t *d)
{
    assert (s && d);
    if (SQ_FIELD (s, d, id) || SQ_FIELD (s, d, publisher) || SQ_FIELD (s, d, topic) ||
        SQ_FIELD (s, d, class_) || SQ_FIELD (s, d, purpose) || SQ_FIELD (s, d, filename) ||
        SQ_FIELD (s, d, agreement) || SQ_FIELD (s, d, origin))
        return -1;
    const char *state = DATASET_STATE (d->state);
    if (!state) return -1;
    if (d->manifest_len > sizeof d->manifest)
        return sq_fail (s, "dataset %s: manifest_len %zu is more than %zu", d->id, d->manifest_len,
                        sizeof d->manifest);
    sqlite3_stmt *st = STMT (DATASET_PUT);
    int64_t now = sq_now ();
    int bind = sq_bind_text (st, 1, d->id) | sq_bind_text (st, 2, d->publisher) |
               sq_bind_text (st, 3, d->topic) | sq_bind_int (st, 4, d->version) |
               sq_bind_text (st, 5, d->class_) | sq_bind_text (st, 6, d->purpose) |
               sq_bind_text (st, 7, d->filename) | sq_bind_int (st, 8, d->bytes) |
               sq_bind_int (st, 9, d->chunk_size) | sq_bind_int (st, 10, d->chunks) |
               sq_bind_blob (st, 11, d->hash, sizeof d->hash) |
               sq_bind_blob (st, 12, d->manifest, d->manifest_len) |
               sq_bind_blob (st, 13, d->sig, sizeof d->sig) |
               sq_bind_blob (st, 14, d->wrapped, sizeof d->wrapped) |
               sq_bind_text (st, 15, state) | sq_bind_int (st, 16, d->next_chunk) |
               sq_bind_text (st, 17, d->kind[0] ? d->kind : "new") |
               sq_bind_int (st, 18, d->expires) | sq_bind_int (st, 19, now) |
               sq_bind_int (st, 20, now) | sq_bind_text (st, 21, d->agreement) |
               sq_bind_text (st, 22, d->origin);
    return sq_write (s, st, bind, NULL, "cannot store dataset %s (%s %s v%lld)", d->id,
                     d->publisher, d->topic, (long long)d->version);
}

int store_dataset_get (store_t *s, const char *id, store_dataset_t *out)
{
    assert (s && id && out);
    sqlite3_stmt *st = STMT (DATASET_GET);
    return sq_get (s, st, sq_bind_text (st, 1, id), s_row_dataset, out, "dataset",
                   "no dataset %.64s", id);
}

int store_dataset_progress (store_t *s, const char *id, store_dataset_state_t to,
                            int64_t next_chunk)
{
    assert (s && id);
    const char *state = DATASET_STATE (to);
    if (!state) return -1;
    sqlite3_stmt *st = STMT (DATASET_PROGRESS);
    int bind = sq_bind_text (st, 1, id) | sq_bind_text (st, 2, state) |
               sq_bind_int (st, 3, next_chunk) | sq_bind_int (st, 4, sq_now ());
    return sq_write (s, st, bind, NO_DATASET, "cannot update dataset %.64s", id);
}

int store_dataset_held_at (store_t *s, const char *id, int64_t next_chunk)
{
    assert (s && id);
    sqlite3_stmt *st = STMT (DATASET_HELD_AT);
    int bind = sq_bind_text (st, 1, id) | sq_bind_int (st, 2, next_chunk) | sq_bind_int (st, 3, sq_now ());
    return sq_write (s, st, bind, NULL, "cannot update dataset %.64s", id);
}

int64_t store_dataset_last_version (store_t *s, const char *publisher, const char *topic)
{
    assert (s && publisher && topic);
    sqlite3_stmt *st = STMT (DATASET_LAST);
    return sq_int (s, st, sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, topic),
                   "cannot look up the last version of %.64s from %.16s", topic, publisher);
}

int64_t store_dataset_clash (store_t *s, const char *publisher, const char *topic, int64_t version,
                             const char *id)
{
    assert (s && publisher && topic && id);
    sqlite3_stmt *st = STMT (DATASET_CLASH);
    return sq_int (s, st, sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, topic) |
                   sq_bind_int (st, 3, version) | sq_bind_text (st, 4, id),
                   "cannot look up version %lld of %.64s from %.16s", (long long) version, topic, publisher);
}

int store_dataset_each (store_t *s, int (*fn) (const store_dataset_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (DATASET_EACH), SQLITE_OK, "datasets", &s_datasets, SQ_CB (fn, arg));
}

int store_dataset_each_state (store_t *s, store_dataset_state_t in,
                              int (*fn) (const store_dataset_t *, void *), void *arg)
{
    assert (s && fn);
    const char *state = DATASET_STATE (in);
    if (!state) return -1;
    sqlite3_stmt *st = STMT (DATASET_EACH_STATE);
    if (sq_reentered (s, st, "datasets") != 0) return -1;
    return sq_each (s, st, sq_bind_text (st, 1, state), "datasets", &s_datasets, SQ_CB (fn, arg));
}

int64_t store_dataset_count (store_t *s, const char *publisher, store_dataset_state_t in)
{
    assert (s && publisher);
    const char *state = DATASET_STATE (in);
    if (!state) return -1;
    sqlite3_stmt *st = STMT (DATASET_COUNT);
    return sq_int (s, st, sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, state),
                   "cannot count datasets");
}

/* Refused from inside a streamed listing of the audit log, as sq_run
   refuses the transaction statements (sq_write_allowed). */
int store_dataset_touch (store_t *s, store_dataset_state_t in)
{
    assert (s);
    const char *state = DATASET_STATE (in);
    if (!state) return -1;
    if (sq_write_allowed (s, "cannot update datasets") != 0) return -1;
    sqlite3_stmt *st = STMT (DATASET_TOUCH);
    return sq_changes (s, st, sq_bind_text (st, 1, state) | sq_bind_int (st, 2, sq_now ()),
                       "cannot update datasets");
}

int store_dataset_erase (store_t *s, const char *id)
{
    assert (s && id);
    sqlite3_stmt *st = STMT (DATASET_ERASE);
    return sq_write (s, st, sq_bind_text (st, 1, id) | sq_bind_int (st, 2, sq_now ()), NO_DATASET,
                     "cannot erase dataset %.64s", id);
}

int store_dataset_resign (store_t *s, const char *id, const uint8_t sig[64])
{
    assert (s && id && sig);
    sqlite3_stmt *st = STMT (DATASET_RESIGN);
    int bind =
        sq_bind_text (st, 1, id) | sq_bind_blob (st, 2, sig, 64) | sq_bind_int (st, 3, sq_now ());
    return sq_write (s, st, bind, NO_DATASET, "cannot record the new signature of dataset %.64s",
                     id);
}
