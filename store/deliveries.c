/*  deliveries.c: who asked for what, and what was sent (see store.h).

    The tables subscriptions (a subscriber's request for a publisher's
    topic, and the publisher's answer) and deliveries (publisher side: one
    row per dataset and subscriber, from queued to delivered with the
    signed receipt, or to failed, expired, superseded or cancelled, and
    what the running node says of an attempt under way).

    Not for: deciding who may receive what (node/policy.c) or when to send
    (node/run.c); the datasets themselves (datasets.c).
*/
#include "store_int.h"

#include <assert.h>
#include <string.h>

/* The order of the columns, shared by the statements and the readers. */
#define SUB_COLS "publisher, subscriber, topic, state, from_version, created, updated, rule, reason, origin"
/* What is read back: the columns written, and whether to ask for lost
   versions again (schema 4; set by a restore, never by store_sub_put). */
#define SUB_READ_COLS SUB_COLS ", resend"
#define DELIVERY_COLS                                                                              \
    "dataset, subscriber, state, next_chunk, attempts, error, receipt, receipt_sig, started, "     \
    "created, updated, status, session_bytes, session_ms, progress_at"

enum {
    SUB_PUT,
    SUB_GET,
    SUB_EACH,
    DELIVERY_ADD,
    DELIVERY_GET,
    DELIVERY_UPDATE,
    DELIVERY_RECEIPT,
    DELIVERY_PENDING,
    DELIVERY_EACH,
    DELIVERY_SUPERSEDE,
    DELIVERY_CANCEL,
    DELIVERY_PROGRESS,
    DELIVERY_STATUS,
    DELIVERY_EACH_DATASET,
    DELIVERY_EACH_DELIVERED,
    DELIVERY_ADD_HELD,
    DELIVERY_RESEND,
    SUB_RESEND_ALL,
    SUB_RESEND_DONE,
    DELIVERY_EACH_SENDING,
    DELIVERIES__COUNT
};

static const char *const s_sql[DELIVERIES__COUNT] = {
    [SUB_PUT] =
        "INSERT INTO subscriptions (" SUB_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?7, ?8, ?10)"
        " ON CONFLICT (publisher, subscriber, topic) DO UPDATE SET"
        " state = excluded.state, from_version = excluded.from_version,"
        " updated = excluded.updated, rule = excluded.rule, reason = excluded.reason,"
        " origin = excluded.origin",
    [SUB_GET] = "SELECT " SUB_READ_COLS " FROM subscriptions"
                " WHERE publisher = ?1 AND subscriber = ?2 AND topic = ?3",
    [SUB_EACH] = "SELECT " SUB_READ_COLS " FROM subscriptions ORDER BY publisher, subscriber, topic",
    [SUB_RESEND_ALL] = "UPDATE subscriptions SET resend = 1, updated = ?2 WHERE subscriber = ?1"
                       " AND state IN ('requested', 'active', 'refused')",
    [SUB_RESEND_DONE] = "UPDATE subscriptions SET resend = 0"
                        " WHERE publisher = ?1 AND subscriber = ?2 AND topic = ?3",

    /* DO NOTHING on the key only: INSERT OR IGNORE would also swallow a
       CHECK or NOT NULL failure. A missing dataset still fails (foreign
       key), which conflict clauses never cover. */
    [DELIVERY_ADD] = "INSERT INTO deliveries (dataset, subscriber, state, next_chunk,"
                     " attempts, error, created, updated)"
                     " VALUES (?1, ?2, 'queued', 0, 0, '', ?3, ?3)"
                     " ON CONFLICT (dataset, subscriber) DO NOTHING",
    [DELIVERY_GET] = "SELECT " DELIVERY_COLS " FROM deliveries"
                     " WHERE dataset = ?1 AND subscriber = ?2",
    [DELIVERY_UPDATE] = "UPDATE deliveries SET state = ?3, next_chunk = ?4, attempts = ?5,"
                        " error = ?6, started = ?8, updated = ?7"
                        " WHERE dataset = ?1 AND subscriber = ?2",
    /* Older versions not yet started give way to a superseding one; the
       copies to the publisher's own nodes (a subscriber that is its org
       code or one of its addresses) do not: every node holds every
       version (SPEC.md 11.5). */
    [DELIVERY_SUPERSEDE] = "UPDATE deliveries SET state = 'superseded', error = ?4, updated = ?5"
                           " WHERE state = 'queued' AND next_chunk = 0"
                           " AND subscriber <> ?1 AND substr (subscriber, 1, length (?1) + 1) <> ?1 || '/'"
                           " AND dataset IN"
                           " (SELECT id FROM datasets WHERE publisher = ?1 AND topic = ?2"
                           " AND version < ?3)",
    [DELIVERY_CANCEL] = "UPDATE deliveries SET state = 'cancelled', error = ?4, updated = ?5"
                        " WHERE state IN ('queued', 'sending') AND subscriber = ?3 AND dataset IN"
                        " (SELECT id FROM datasets WHERE publisher = ?1 AND topic = ?2)",
    [DELIVERY_RECEIPT] = "UPDATE deliveries SET receipt = ?3, receipt_sig = ?4,"
                         " state = 'delivered', error = '', updated = ?5"
                         " WHERE dataset = ?1 AND subscriber = ?2",
    /* Oldest first: in the order they were queued, and among those queued
       in the same second in publication order (when each dataset was
       published, then its version), so that a subscriber that was away
       gets the versions it missed in order; the dataset id is random and
       says nothing of order. No index serves this order, so SQLite sorts
       the whole result before the first row: FN may update the row it is
       given (to 'sending', say) without it coming round again. */
    [DELIVERY_PENDING] = "SELECT " DELIVERY_COLS " FROM deliveries"
                         " WHERE state IN ('queued', 'sending')"
                         " ORDER BY created,"
                         " (SELECT d.created FROM datasets d WHERE d.id = deliveries.dataset),"
                         " (SELECT d.version FROM datasets d WHERE d.id = deliveries.dataset),"
                         " subscriber, deliveries.rowid",
    [DELIVERY_EACH] = "SELECT " DELIVERY_COLS " FROM deliveries"
                      " ORDER BY created, rowid",
    /* Progress of an attempt under way: never written over a delivery
       that has ended meanwhile. */
    [DELIVERY_PROGRESS] = "UPDATE deliveries SET next_chunk = ?3, session_bytes = ?4,"
                          " session_ms = ?5, progress_at = ?6, updated = ?7"
                          " WHERE dataset = ?1 AND subscriber = ?2 AND state = 'sending'",
    [DELIVERY_STATUS] = "UPDATE deliveries SET status = ?3 WHERE dataset = ?1 AND subscriber = ?2",
    [DELIVERY_EACH_DATASET] = "SELECT " DELIVERY_COLS " FROM deliveries WHERE dataset = ?1"
                              " ORDER BY created, rowid",
    /* A copy for a sibling of every dataset held (published or received
       available) that has none yet. WHERE 1 lets the parser see the
       upsert clause. */
    [DELIVERY_ADD_HELD] = "INSERT INTO deliveries (dataset, subscriber, state, next_chunk,"
                          " attempts, error, created, updated)"
                          " SELECT id, ?1, 'queued', 0, 0, '', ?2, ?2 FROM datasets"
                          " WHERE state IN ('published', 'available') ORDER BY created, id"
                          " ON CONFLICT (dataset, subscriber) DO NOTHING",
    [DELIVERY_EACH_DELIVERED] = "SELECT " DELIVERY_COLS " FROM deliveries"
                                " WHERE state = 'delivered' AND updated >= ?1 ORDER BY updated, rowid",
    /* A subscriber lost what it was sent (a restore): the versions after
       ?4 delivered to it whose sealed copies are still held go back to
       the queue. Its receipt stays until the new one replaces it. */
    [DELIVERY_RESEND] = "UPDATE deliveries SET state = 'queued', next_chunk = 0, attempts = 0,"
                        " error = 'sent again: the subscriber asked for versions it lost',"
                        " status = '', started = 0, created = ?5, updated = ?5"
                        " WHERE state = 'delivered' AND subscriber = ?3 AND dataset IN"
                        " (SELECT id FROM datasets WHERE publisher = ?1 AND topic = ?2"
                        " AND version > ?4 AND state = 'published')",
    [DELIVERY_EACH_SENDING] = "SELECT " DELIVERY_COLS " FROM deliveries WHERE state = 'sending'"
                              " ORDER BY subscriber",
};
SQ_STATEMENTS (deliveries, s_sql, DELIVERIES__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_deliveries, (id))

/* A change of a delivery that does not exist is an error (-1), as for
   datasets. */
#define NO_DELIVERY "there is no such delivery"

/* ---- subscriptions -------------------------------------------------------- */

static int s_row_sub (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "subscriptions";
    store_sub_t *out = row;
    char word[16];
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, publisher) || SQ_TEXT (1, subscriber) || SQ_TEXT (2, topic) ||
        sq_col_text (s, T, st, 3, word, sizeof word) || SQ_INT (4, from_version) ||
        SQ_INT (5, created) ||
        SQ_INT (6, updated) || SQ_TEXT (7, rule) || SQ_TEXT (8, reason) || SQ_TEXT (9, origin))
        return -1;
    int64_t resend = sqlite3_column_int64 (st, 10);
    out->resend = resend != 0;
    if (store_sub_state_parse (word, &out->state) != 0) return sq_unknown_state (s, T, word);
    return 0;
}

SQ_EMITTER (s_emit_sub, store_sub_t)
static const sq_rows_t s_subs = {sizeof (store_sub_t), s_row_sub, s_emit_sub};

/* SUB changed now (SETTING 0) or at the time it says (a sibling's). */
static int s_sub_put (store_t *s, const store_sub_t *sub, int setting)
{
    assert (s && sub);
    if (SQ_FIELD (s, sub, publisher) || SQ_FIELD (s, sub, subscriber) || SQ_FIELD (s, sub, topic) ||
        SQ_FIELD (s, sub, origin))
        return -1;
    const char *state = sq_state (s, "subscription state", store_sub_state_name (sub->state),
                                  (int)sub->state);
    if (!state) return -1;
    /* Only a refusal has a rule and a reason: any other state clears them. */
    int refused = sub->state == STORE_SUB_REFUSED;
    if (refused && (SQ_FIELD (s, sub, rule) || SQ_FIELD (s, sub, reason))) return -1;
    sqlite3_stmt *st = STMT (SUB_PUT);
    int bind = sq_bind_text (st, 1, sub->publisher) | sq_bind_text (st, 2, sub->subscriber) |
               sq_bind_text (st, 3, sub->topic) | sq_bind_text (st, 4, state) |
               sq_bind_int (st, 5, sub->from_version) | sq_bind_int (st, 6, sq_now ()) |
               sq_bind_text (st, 7, refused ? sub->rule : "") |
               sq_bind_text (st, 8, refused ? sub->reason : "") |
               sq_bind_int (st, 9, setting ? sub->updated : sq_now ()) |
               sq_bind_text (st, 10, sub->origin);
    return sq_write (s, st, bind, NULL, "cannot store the subscription of %s to %s %s",
                     sub->subscriber, sub->publisher, sub->topic);
}

int store_sub_put (store_t *s, const store_sub_t *sub)
{
    return s_sub_put (s, sub, 0);
}

int store_sub_put_setting (store_t *s, const store_sub_t *sub)
{
    return s_sub_put (s, sub, 1);
}

int store_sub_get (store_t *s, const char *publisher, const char *subscriber, const char *topic,
                   store_sub_t *out)
{
    assert (s && publisher && subscriber && topic && out);
    sqlite3_stmt *st = STMT (SUB_GET);
    int bind = sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, subscriber) |
               sq_bind_text (st, 3, topic);
    return sq_get (s, st, bind, s_row_sub, out, "the subscription",
                   "%.16s has no subscription to %.64s from %.16s", subscriber, topic, publisher);
}

int store_sub_each (store_t *s, int (*fn) (const store_sub_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (SUB_EACH), SQLITE_OK, "subscriptions", &s_subs, SQ_CB (fn, arg));
}

int store_sub_resend_all (store_t *s, const char *subscriber)
{
    assert (s && subscriber);
    sqlite3_stmt *st = STMT (SUB_RESEND_ALL);
    int bind = sq_bind_text (st, 1, subscriber) | sq_bind_int (st, 2, sq_now ());
    return sq_changes (s, st, bind, "cannot mark the subscriptions of %s", subscriber);
}

int store_sub_resend_done (store_t *s, const char *publisher, const char *subscriber, const char *topic)
{
    assert (s && publisher && subscriber && topic);
    sqlite3_stmt *st = STMT (SUB_RESEND_DONE);
    int bind = sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, subscriber) |
               sq_bind_text (st, 3, topic);
    return sq_write (s, st, bind, NULL, "cannot record the answer about %s %s", publisher, topic);
}

/* ---- deliveries ------------------------------------------------------------ */

static int s_row_delivery (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "deliveries";
    store_delivery_t *out = row;
    char word[16];
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, dataset) || SQ_TEXT (1, subscriber) ||
        sq_col_text (s, T, st, 2, word, sizeof word) ||
        SQ_INT (3, next_chunk) || SQ_INT (4, attempts) || SQ_TEXT (5, error) ||
        sq_col_blob (s, T, st, 6, out->receipt, sizeof out->receipt, &out->receipt_len, 1) ||
        SQ_EXACT (7, receipt_sig, 1) || SQ_INT (8, started) || SQ_INT (9, created) ||
        SQ_INT (10, updated) || SQ_TEXT (11, status) || SQ_INT (12, session_bytes) ||
        SQ_INT (13, session_ms) || SQ_INT (14, progress_at))
        return -1;
    if (store_delivery_state_parse (word, &out->state) != 0) return sq_unknown_state (s, T, word);
    return 0;
}

SQ_EMITTER (s_emit_delivery, store_delivery_t)
static const sq_rows_t s_deliveries = {sizeof (store_delivery_t), s_row_delivery, s_emit_delivery};

/* Not through sq_write: a missing dataset is refused in words of its own. */
int store_delivery_add (store_t *s, const char *dataset, const char *subscriber)
{
    assert (s);
    if (sq_arg (s, "dataset id", dataset, STORE_FIELD_SIZE (store_delivery_t, dataset)) != 0 ||
        sq_arg (s, "subscriber", subscriber, STORE_FIELD_SIZE (store_delivery_t, subscriber)) != 0)
        return -1;
    sqlite3_stmt *st = STMT (DELIVERY_ADD);
    if (!st) return -1;
    int ret = -1;
    if ((sq_bind_text (st, 1, dataset) | sq_bind_text (st, 2, subscriber) |
         sq_bind_int (st, 3, sq_now ())) != SQLITE_OK) {
        sq_dbfail (s, "cannot queue dataset %s for %s", dataset, subscriber);
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        sq_fail (s, "cannot queue dataset %s for %s: there is no such dataset", dataset,
                 subscriber);
    else if (rc != SQLITE_DONE)
        sq_dbfail (s, "cannot queue dataset %s for %s", dataset, subscriber);
    else
        ret = 0;
out:
    sq_end (st);
    return ret;
}

int store_delivery_get (store_t *s, const char *dataset, const char *subscriber,
                        store_delivery_t *out)
{
    assert (s && dataset && subscriber && out);
    sqlite3_stmt *st = STMT (DELIVERY_GET);
    return sq_get (s, st, sq_bind_text (st, 1, dataset) | sq_bind_text (st, 2, subscriber),
                   s_row_delivery, out, "the delivery", "no delivery of %.64s to %.16s", dataset,
                   subscriber);
}

int store_delivery_update (store_t *s, const store_delivery_t *d)
{
    assert (s && d);
    if (SQ_FIELD (s, d, dataset) || SQ_FIELD (s, d, subscriber) || SQ_FIELD (s, d, error))
        return -1;
    const char *state = sq_state (s, "delivery state", store_delivery_state_name (d->state),
                                  (int)d->state);
    if (!state) return -1;
    sqlite3_stmt *st = STMT (DELIVERY_UPDATE);
    int bind = sq_bind_text (st, 1, d->dataset) | sq_bind_text (st, 2, d->subscriber) |
               sq_bind_text (st, 3, state) | sq_bind_int (st, 4, d->next_chunk) |
               sq_bind_int (st, 5, d->attempts) | sq_bind_text (st, 6, d->error) |
               sq_bind_int (st, 7, sq_now ()) | sq_bind_int (st, 8, d->started);
    return sq_write (s, st, bind, NO_DELIVERY, "cannot update the delivery of %s to %s", d->dataset,
                     d->subscriber);
}

int store_delivery_receipt (store_t *s, const char *dataset, const char *subscriber,
                            const uint8_t *receipt, size_t len, const uint8_t sig[64])
{
    assert (s && dataset && subscriber && sig);
    if (!receipt || len == 0 || len > STORE_FIELD_SIZE (store_delivery_t, receipt))
        return sq_fail (s, "a receipt is 1 to %zu bytes, not %zu",
                        STORE_FIELD_SIZE (store_delivery_t, receipt), receipt ? len : 0);
    sqlite3_stmt *st = STMT (DELIVERY_RECEIPT);
    int bind = sq_bind_text (st, 1, dataset) | sq_bind_text (st, 2, subscriber) |
               sq_bind_blob (st, 3, receipt, len) | sq_bind_blob (st, 4, sig, 64) |
               sq_bind_int (st, 5, sq_now ());
    return sq_write (s, st, bind, NO_DELIVERY, "cannot record the receipt for %.64s from %.16s",
                     dataset, subscriber);
}

/* Runs one of the "pending deliveries of PUBLISHER's TOPIC" updates; returns
   the number of rows changed, or -1. */
static int s_delivery_bulk (store_t *s, int id, const char *publisher, const char *topic,
                            int64_t version, const char *subscriber, const char *why)
{
    assert (s && publisher && topic && why);
    sqlite3_stmt *st = STMT (id);
    int bind = sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, topic) |
               (subscriber ? sq_bind_text (st, 3, subscriber) : sq_bind_int (st, 3, version)) |
               sq_bind_text (st, 4, why) | sq_bind_int (st, 5, sq_now ());
    return sq_changes (s, st, bind, "cannot update deliveries of %s %s", publisher, topic);
}

int store_delivery_supersede (store_t *s, const char *publisher, const char *topic, int64_t version,
                              const char *why)
{
    return s_delivery_bulk (s, DELIVERY_SUPERSEDE, publisher, topic, version, NULL, why);
}

int store_delivery_cancel (store_t *s, const char *publisher, const char *topic,
                           const char *subscriber, const char *why)
{
    return s_delivery_bulk (s, DELIVERY_CANCEL, publisher, topic, 0, subscriber, why);
}

int store_delivery_each_pending (store_t *s, int (*fn) (const store_delivery_t *, void *),
                                 void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (DELIVERY_PENDING), SQLITE_OK, "pending deliveries", &s_deliveries,
                    SQ_CB (fn, arg));
}

int store_delivery_each (store_t *s, int (*fn) (const store_delivery_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (DELIVERY_EACH), SQLITE_OK, "deliveries", &s_deliveries,
                    SQ_CB (fn, arg));
}

int64_t store_delivery_add_held (store_t *s, const char *subscriber)
{
    assert (s && subscriber);
    sqlite3_stmt *st = STMT (DELIVERY_ADD_HELD);
    int bind = sq_bind_text (st, 1, subscriber) | sq_bind_int (st, 2, sq_now ());
    if (sq_write (s, st, bind, NULL, "cannot queue copies for %.16s", subscriber) != 0)
        return -1;
    return sqlite3_changes (s->db);
}

int store_delivery_each_delivered (store_t *s, int64_t since, int (*fn) (const store_delivery_t *, void *),
                                   void *arg)
{
    assert (s && fn);
    sqlite3_stmt *st = STMT (DELIVERY_EACH_DELIVERED);
    if (sq_reentered (s, st, "deliveries") != 0) return -1;
    return sq_each (s, st, sq_bind_int (st, 1, since), "deliveries", &s_deliveries, SQ_CB (fn, arg));
}

int store_delivery_each_dataset (store_t *s, const char *dataset,
                                 int (*fn) (const store_delivery_t *, void *), void *arg)
{
    assert (s && dataset && fn);
    sqlite3_stmt *st = STMT (DELIVERY_EACH_DATASET);
    if (sq_reentered (s, st, "deliveries") != 0) return -1;
    return sq_each (s, st, sq_bind_text (st, 1, dataset), "deliveries", &s_deliveries,
                    SQ_CB (fn, arg));
}

int store_delivery_each_sending (store_t *s, int (*fn) (const store_delivery_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (DELIVERY_EACH_SENDING), SQLITE_OK, "deliveries", &s_deliveries,
                    SQ_CB (fn, arg));
}

int store_delivery_progress (store_t *s, const store_delivery_t *d)
{
    assert (s && d);
    if (SQ_FIELD (s, d, dataset) || SQ_FIELD (s, d, subscriber)) return -1;
    if (d->session_bytes < 0 || d->session_ms < 0)
        return sq_fail (s, "progress of the delivery of %s to %s is negative", d->dataset,
                        d->subscriber);
    sqlite3_stmt *st = STMT (DELIVERY_PROGRESS);
    int bind = sq_bind_text (st, 1, d->dataset) | sq_bind_text (st, 2, d->subscriber) |
               sq_bind_int (st, 3, d->next_chunk) | sq_bind_int (st, 4, d->session_bytes) |
               sq_bind_int (st, 5, d->session_ms) | sq_bind_int (st, 6, d->progress_at) |
               sq_bind_int (st, 7, sq_now ());
    return sq_write (s, st, bind, NULL, "cannot record the progress of %s to %s", d->dataset,
                     d->subscriber);
}

int store_delivery_status (store_t *s, const char *dataset, const char *subscriber,
                           const char *status)
{
    assert (s && dataset && subscriber);
    if (sq_arg (s, "status", status, STORE_FIELD_SIZE (store_delivery_t, status)) != 0) return -1;
    sqlite3_stmt *st = STMT (DELIVERY_STATUS);
    int bind = sq_bind_text (st, 1, dataset) | sq_bind_text (st, 2, subscriber) |
               sq_bind_text (st, 3, status);
    return sq_write (s, st, bind, NULL, "cannot record why the delivery of %s to %s waits", dataset,
                     subscriber);
}

int store_delivery_resend (store_t *s, const char *publisher, const char *topic, const char *subscriber,
                           int64_t after)
{
    assert (s && publisher && topic && subscriber);
    sqlite3_stmt *st = STMT (DELIVERY_RESEND);
    int bind = sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, topic) |
               sq_bind_text (st, 3, subscriber) | sq_bind_int (st, 4, after) | sq_bind_int (st, 5, sq_now ());
    return sq_changes (s, st, bind, "cannot queue again the deliveries of %s %s to %s", publisher, topic,
                       subscriber);
}
