/*  audit.c: the audit log and its checkpoints (see store.h).

    The tables audit (append only, hash-chained: each entry's hash covers
    the previous entry's hash and store_audit_encode of its own fields,
    with seq the last one + 1, read and written in one write transaction)
    and audit_checkpoints (the node's signatures over one entry's seq and
    hash). Triggers in the schema refuse UPDATE and DELETE of both.

    Not for: checking the chain or signing and verifying checkpoints (the
    node's: node/audit.c). The hash function comes from the node
    (store_set_hasher): the store knows no cryptography.
*/
#include "store_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The order of the columns, shared by the statements and the readers. */
#define AUDIT_COLS "seq, at, actor, action, object, peer, purpose, decision, rule, detail, hash"
#define CHECKPOINT_COLS "seq, hash, sig, at"

enum {
    AUDIT_APPEND,
    AUDIT_EACH,
    AUDIT_LAST,
    AUDIT_TAIL,
    CHECKPOINT_PUT,
    CHECKPOINT_LAST,
    CHECKPOINT_EACH,
    AUDIT__COUNT
};

static const char *const s_sql[AUDIT__COUNT] = {
    [AUDIT_APPEND] = "INSERT INTO audit (" AUDIT_COLS ")"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    /* Bounded by the last seq when the listing starts (the subquery runs
       once), so an FN that itself appends an entry does not loop. */
    [AUDIT_EACH] = "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ?1"
                   " AND seq <= (SELECT COALESCE (MAX (seq), 0) FROM audit) ORDER BY seq",
    [AUDIT_LAST] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq DESC LIMIT 1",
    [AUDIT_TAIL] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [CHECKPOINT_PUT] = "INSERT INTO audit_checkpoints (" CHECKPOINT_COLS ")"
                       " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (seq) DO NOTHING",
    [CHECKPOINT_LAST] = "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints"
                        " ORDER BY seq DESC LIMIT 1",
    [CHECKPOINT_EACH] = "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY seq",
};
SQ_STATEMENTS (audit, s_sql, AUDIT__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_audit, (id))

/* ---- the chain ------------------------------------------------------------ */

_Static_assert(STORE_AUDIT_ENCODED_MAX >= STORE_HASHBYTES + 8 + 8 + 8 * 4 +
                                              STORE_FIELD_SIZE (store_audit_t, actor) +
                                              STORE_FIELD_SIZE (store_audit_t, action) +
                                              STORE_FIELD_SIZE (store_audit_t, object) +
                                              STORE_FIELD_SIZE (store_audit_t, peer) +
                                              STORE_FIELD_SIZE (store_audit_t, purpose) +
                                              STORE_FIELD_SIZE (store_audit_t, decision) +
                                              STORE_FIELD_SIZE (store_audit_t, rule) +
                                              STORE_FIELD_SIZE (store_audit_t, detail) - 8,
               "STORE_AUDIT_ENCODED_MAX holds the largest entry");

void store_set_hasher (store_t *s, store_hash_fn *fn)
{
    assert (s);
    s->hasher = fn;
}

static uint8_t *s_put_be (uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xFF);
        v >>= 8;
    }
    return p + bytes;
}

/* The field order here is the format: changing it breaks every chain. */
size_t store_audit_encode (const uint8_t prev[STORE_HASHBYTES], const store_audit_t *e,
                           uint8_t *buf, size_t cap)
{
    assert (prev && e && buf);
    const char *const field[] = {e->actor,   e->action,   e->object, e->peer,
                                 e->purpose, e->decision, e->rule,   e->detail};
    const size_t size[] = {sizeof e->actor, sizeof e->action,  sizeof e->object,
                           sizeof e->peer,  sizeof e->purpose, sizeof e->decision,
                           sizeof e->rule,  sizeof e->detail};
    size_t len[8];
    size_t need = STORE_HASHBYTES + 8 + 8;
    for (int i = 0; i < 8; i++) {
        const char *nul = memchr (field[i], '\0', size[i]);
        if (!nul) return 0;
        len[i] = (size_t)(nul - field[i]);
        need += 4 + len[i];
    }
    if (need > cap) return 0;
    uint8_t *p = buf;
    memcpy (p, prev, STORE_HASHBYTES);
    p += STORE_HASHBYTES;
    p = s_put_be (p, (uint64_t)e->seq, 8);
    p = s_put_be (p, (uint64_t)e->at, 8);
    for (int i = 0; i < 8; i++) {
        p = s_put_be (p, (uint64_t)len[i], 4);
        memcpy (p, field[i], len[i]);
        p += len[i];
    }
    assert ((size_t)(p - buf) == need);
    return need;
}

/* ---- reading rows ----------------------------------------------------------

   The reason names the entry, so that whoever checks the log knows which
   row another program left unreadable. */

static int s_row_audit (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "audit";
    store_audit_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_INT (0, seq)) return -1;
    if (SQ_INT (1, at) || SQ_TEXT (2, actor) || SQ_TEXT (3, action) || SQ_TEXT (4, object) ||
        SQ_TEXT (5, peer) || SQ_TEXT (6, purpose) || SQ_TEXT (7, decision) || SQ_TEXT (8, rule) ||
        SQ_TEXT (9, detail) || SQ_EXACT (10, hash, 0))
        return sq_refail (s, "audit entry %lld: ", (long long)out->seq);
    return 0;
}

static int s_row_checkpoint (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "audit_checkpoints";
    store_checkpoint_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_INT (0, seq)) return -1;
    if (SQ_EXACT (1, hash, 0) || SQ_EXACT (2, sig, 0) || SQ_INT (3, at))
        return sq_refail (s, "audit checkpoint at seq %lld: ", (long long)out->seq);
    return 0;
}

SQ_EMITTER (s_emit_audit, store_audit_t)
static const sq_rows_t s_entries = {sizeof (store_audit_t), s_row_audit, s_emit_audit};
SQ_EMITTER (s_emit_checkpoint, store_checkpoint_t)
static const sq_rows_t s_checkpoints = {sizeof (store_checkpoint_t), s_row_checkpoint,
                                        s_emit_checkpoint};

/* ---- audit log ------------------------------------------------------------- */

/* The seq and hash of the last entry into *SEQ and PREV; 0 and zeros for
   an empty log. Only these two columns are read, so an entry whose text
   another program made unreadable does not stop the log; a damaged hash
   does, since nothing could be chained to it. */
static int s_audit_tail (store_t *s, int64_t *seq, uint8_t prev[STORE_HASHBYTES])
{
    sqlite3_stmt *st = STMT (AUDIT_TAIL);
    if (!st) return -1;
    int ret = -1;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_DONE) {
        *seq = 0;
        memset (prev, 0, STORE_HASHBYTES);
        ret = 0;
    } else if (rc != SQLITE_ROW) {
        sq_dbfail (s, "cannot read the end of the audit log");
    } else if (sqlite3_column_type (st, 0) != SQLITE_INTEGER) {
        sq_fail (s, "the last audit entry has no integer seq: run cdx audit verify");
    } else {
        *seq = sqlite3_column_int64 (st, 0);
        const void *b = sqlite3_column_blob (st, 1);
        if (sqlite3_column_type (st, 1) != SQLITE_BLOB || !b ||
            sqlite3_column_bytes (st, 1) != STORE_HASHBYTES)
            sq_fail (s,
                     "the last audit entry (seq %lld) has a damaged hash, so nothing can be "
                     "chained to it: run cdx audit verify",
                     (long long)*seq);
        else if (*seq < 0 || *seq == INT64_MAX)
            sq_fail (s, "the last audit entry has seq %lld: run cdx audit verify", (long long)*seq);
        else {
            memcpy (prev, b, STORE_HASHBYTES);
            ret = 0;
        }
    }
    sq_end (st);
    return ret;
}

/* Hashes ROW (seq and at set) onto PREV into ROW->hash and inserts it: 0
   or -1. */
static int s_insert (store_t *s, const uint8_t prev[STORE_HASHBYTES], store_audit_t *row)
{
    uint8_t buf[STORE_AUDIT_ENCODED_MAX];
    size_t len = store_audit_encode (prev, row, buf, sizeof buf);
    assert (len > 0); /* fields checked by the caller, buffer sized for the largest */
    if (s->hasher (buf, len, row->hash) != 0)
        return sq_fail (s, "cannot write the audit log: the chain hash failed");
    sqlite3_stmt *st = STMT (AUDIT_APPEND);
    int bind = sq_bind_int (st, 1, row->seq) | sq_bind_int (st, 2, row->at) |
               sq_bind_text (st, 3, row->actor) | sq_bind_text (st, 4, row->action) |
               sq_bind_text (st, 5, row->object) | sq_bind_text (st, 6, row->peer) |
               sq_bind_text (st, 7, row->purpose) | sq_bind_text (st, 8, row->decision) |
               sq_bind_text (st, 9, row->rule) | sq_bind_text (st, 10, row->detail) |
               sq_bind_blob (st, 11, row->hash, sizeof row->hash);
    return sq_write (s, st, bind, NULL, "cannot write the audit log (%s %s)", row->actor,
                     row->action);
}

int store_audit_append (store_t *s, const store_audit_t *e)
{
    assert (s && e);
    if (SQ_FIELD (s, e, actor) || SQ_FIELD (s, e, action) || SQ_FIELD (s, e, object) ||
        SQ_FIELD (s, e, peer) || SQ_FIELD (s, e, purpose) || SQ_FIELD (s, e, decision) ||
        SQ_FIELD (s, e, rule) || SQ_FIELD (s, e, detail))
        return -1;
    if (!s->hasher)
        return sq_fail (s, "cannot write the audit log: no chain hash function is set "
                           "(store_set_hasher)");
    if (sq_write_allowed (s, "cannot write the audit log") != 0) return -1;
    /* Reading the tail and inserting after it must be one write
       transaction, or two processes could chain to the same entry. */
    int own = sqlite3_get_autocommit (s->db) != 0;
    if (own && sq_begin (s, "cannot write the audit log") != 0) return -1;
    store_audit_t row = *e;
    uint8_t prev[STORE_HASHBYTES];
    int ret = s_audit_tail (s, &row.seq, prev);
    if (ret == 0) {
        row.seq++;
        row.at = sq_now ();
        ret = s_insert (s, prev, &row);
    }
    if (own) {
        if (ret == 0 && sq_commit (s, "cannot write the audit log") != 0) ret = -1;
        if (ret != 0 && !sqlite3_get_autocommit (s->db)) {
            char why[STORE_ERR_MAX];
            snprintf (why, sizeof why, "%s", s->err);
            sq_rollback (s, "cannot roll back");
            snprintf (s->err, sizeof s->err, "%s", why);
        }
    }
    return ret;
}

int store_audit_each_from (store_t *s, int64_t from, int (*fn) (const store_audit_t *, void *),
                           void *arg)
{
    assert (s && fn);
    sqlite3_stmt *st = STMT (AUDIT_EACH);
    /* Checked before binding: resetting a busy statement would cut short
       the listing whose callback this is. */
    if (sq_reentered (s, st, "the audit log") != 0) return -1;
    store_audit_t row;
    return sq_stream (s, st, sq_bind_int (st, 1, from), "the audit log", &row, &s_entries,
                      SQ_CB (fn, arg));
}

int store_audit_each (store_t *s, int (*fn) (const store_audit_t *, void *), void *arg)
{
    return store_audit_each_from (s, INT64_MIN, fn, arg);
}

int store_audit_last (store_t *s, store_audit_t *out)
{
    assert (s && out);
    return sq_get (s, STMT (AUDIT_LAST), SQLITE_OK, s_row_audit, out, "the audit log",
                   "the audit log is empty");
}

/* ---- audit checkpoints ---------------------------------------------------- */

int store_checkpoint_put (store_t *s, const store_checkpoint_t *c)
{
    assert (s && c);
    sqlite3_stmt *st = STMT (CHECKPOINT_PUT);
    int bind = sq_bind_int (st, 1, c->seq) | sq_bind_blob (st, 2, c->hash, sizeof c->hash) |
               sq_bind_blob (st, 3, c->sig, sizeof c->sig) | sq_bind_int (st, 4, sq_now ());
    return sq_write (s, st, bind, NULL, "cannot record the audit checkpoint at seq %lld",
                     (long long)c->seq);
}

int store_checkpoint_last (store_t *s, store_checkpoint_t *out)
{
    assert (s && out);
    return sq_get (s, STMT (CHECKPOINT_LAST), SQLITE_OK, s_row_checkpoint, out, "audit checkpoints",
                   "no audit checkpoint yet");
}

int store_checkpoint_each (store_t *s, int (*fn) (const store_checkpoint_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (CHECKPOINT_EACH), SQLITE_OK, "audit checkpoints", &s_checkpoints,
                    SQ_CB (fn, arg));
}
