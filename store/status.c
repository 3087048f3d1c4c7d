/*  status.c: what a node's status and its metrics read that no listing
    of one table gives (see store.h): the queue of each subscriber in one
    aggregate, when the node last started and stopped, and the time of one
    audit entry.

    Each is one statement over tables other files own (deliveries, audit),
    read only, so that cdx status and a metrics scrape cost a few queries
    however many rows there are, never a copy of every row.

    Not for: what the figures mean or when they need attention
    (node/status.c), or writing anything.
*/
#include "store_int.h"

#include <assert.h>
#include <string.h>

enum {
    STATUS_QUEUES,
    STATUS_LAST_RUN,
    STATUS_AUDIT_AT,
    STATUS__COUNT
};

static const char *const s_sql[STATUS__COUNT] = {
    /* deliveries_by_state serves the WHERE; a queue is one row. */
    [STATUS_QUEUES] = "SELECT subscriber, SUM (state = 'queued'), SUM (state = 'sending'),"
                      " MIN (created), SUM (error <> ''), MAX (attempts) FROM deliveries"
                      " WHERE state IN ('queued', 'sending') GROUP BY subscriber ORDER BY subscriber",
    /* Read from the end: the node's own start and stop entries are recent. */
    [STATUS_LAST_RUN] = "SELECT action, at FROM audit WHERE actor = 'node'"
                        " AND action IN ('start', 'stop') ORDER BY seq DESC LIMIT 1",
    [STATUS_AUDIT_AT] = "SELECT at FROM audit WHERE seq = ?1",
};
SQ_STATEMENTS (status, s_sql, STATUS__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_status, (id))

static int s_row_queue (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "deliveries";
    store_queue_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, subscriber) || SQ_INT (1, queued) || SQ_INT (2, sending) || SQ_INT (3, oldest) ||
        SQ_INT (4, failing) || SQ_INT (5, attempts))
        return -1;
    return 0;
}
SQ_EMITTER (s_emit_queue, store_queue_t)
static const sq_rows_t s_queues = {sizeof (store_queue_t), s_row_queue, s_emit_queue};

int store_queue_each (store_t *s, int (*fn) (const store_queue_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (STATUS_QUEUES), SQLITE_OK, "the queues", &s_queues, SQ_CB (fn, arg));
}

int store_last_run (store_t *s, int64_t *started, int64_t *stopped)
{
    assert (s && started && stopped);
    *started = *stopped = 0;
    sqlite3_stmt *st = STMT (STATUS_LAST_RUN);
    if (!st) return -1;
    int ret = 0, rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        const char *action = (const char *) sqlite3_column_text (st, 0);
        int64_t at = sqlite3_column_int64 (st, 1);
        if (action && strcmp (action, "start") == 0)
            *started = at;
        else
            *stopped = at;
    } else if (rc != SQLITE_DONE) {
        ret = sq_dbfail (s, "cannot read the node's start in the audit log");
    }
    sq_end (st);
    return ret;
}

int64_t store_audit_at (store_t *s, int64_t seq)
{
    assert (s);
    sqlite3_stmt *st = STMT (STATUS_AUDIT_AT);
    if (!st) return -1;
    int64_t at = 0;
    int bind = sq_bind_int (st, 1, seq);
    int rc = bind == SQLITE_OK ? sqlite3_step (st) : SQLITE_ERROR;
    if (rc == SQLITE_ROW)
        at = sqlite3_column_int64 (st, 0);
    else if (rc != SQLITE_DONE)
        at = sq_dbfail (s, "cannot read audit entry %lld", (long long) seq);
    sq_end (st);
    return at;
}
