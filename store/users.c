/*  users.c: the node's local rules, set by its people (see store.h).

    The tables users (operating-system logins and the roles an admin gave
    them) and retention (how long content is kept, per publisher and topic,
    set by the IG officer; with this node as the publisher, for the content
    it published).

    Not for: what a role allows (node/access.c) or erasing anything
    (node/retention.c): the store keeps the rules, the node applies them.
*/
#include "store_int.h"

#include <assert.h>
#include <string.h>

/* The order of the columns, shared by the statements and the readers. */
#define USER_COLS "login, roles, added_by, created, updated"
#define RETENTION_COLS "publisher, topic, seconds, set_by, updated, delivered, origin"

enum {
    USER_PUT,
    USER_GET,
    USER_REMOVE,
    USER_EACH,
    RETENTION_PUT,
    RETENTION_GET,
    RETENTION_EACH,
    USERS__COUNT
};

static const char *const s_sql[USERS__COUNT] = {
    [USER_PUT] = "INSERT INTO users (" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?4)"
                 " ON CONFLICT (login) DO UPDATE SET roles = excluded.roles,"
                 " added_by = excluded.added_by, updated = excluded.updated",
    [USER_GET] = "SELECT " USER_COLS " FROM users WHERE login = ?1",
    [USER_REMOVE] = "DELETE FROM users WHERE login = ?1",
    [USER_EACH] = "SELECT " USER_COLS " FROM users ORDER BY login",
    [RETENTION_PUT] = "INSERT INTO retention (" RETENTION_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                      " ON CONFLICT (publisher, topic) DO UPDATE SET seconds = excluded.seconds,"
                      " set_by = excluded.set_by, updated = excluded.updated,"
                      " delivered = excluded.delivered, origin = excluded.origin",
    [RETENTION_GET] =
        "SELECT " RETENTION_COLS " FROM retention WHERE publisher = ?1 AND topic = ?2",
    [RETENTION_EACH] = "SELECT " RETENTION_COLS " FROM retention ORDER BY publisher, topic",
};
SQ_STATEMENTS (users, s_sql, USERS__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_users, (id))

/* ---- local users ------------------------------------------------------------ */

static int s_row_user (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "users";
    store_user_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, login) || SQ_TEXT (1, roles) || SQ_TEXT (2, added_by) || SQ_INT (3, created) ||
        SQ_INT (4, updated))
        return -1;
    return 0;
}

SQ_EMITTER (s_emit_user, store_user_t)
static const sq_rows_t s_users = {sizeof (store_user_t), s_row_user, s_emit_user};

int store_user_put (store_t *s, const store_user_t *u)
{
    assert (s && u);
    if (SQ_FIELD (s, u, login) || SQ_FIELD (s, u, roles) || SQ_FIELD (s, u, added_by)) return -1;
    sqlite3_stmt *st = STMT (USER_PUT);
    int bind = sq_bind_text (st, 1, u->login) | sq_bind_text (st, 2, u->roles) |
               sq_bind_text (st, 3, u->added_by) | sq_bind_int (st, 4, sq_now ());
    return sq_write (s, st, bind, NULL, "cannot store user %.64s", u->login);
}

int store_user_get (store_t *s, const char *login, store_user_t *out)
{
    assert (s && login && out);
    sqlite3_stmt *st = STMT (USER_GET);
    return sq_get (s, st, sq_bind_text (st, 1, login), s_row_user, out, "user",
                   "no local user %.64s", login);
}

int store_user_remove (store_t *s, const char *login)
{
    assert (s && login);
    sqlite3_stmt *st = STMT (USER_REMOVE);
    int changed =
        sq_changes (s, st, sq_bind_text (st, 1, login), "cannot remove user %.64s", login);
    if (changed == 0) return sq_notfound (s, "no local user %.64s", login);
    return changed < 0 ? -1 : 0;
}

int store_user_each (store_t *s, int (*fn) (const store_user_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (USER_EACH), SQLITE_OK, "users", &s_users, SQ_CB (fn, arg));
}

/* ---- retention of content ----------------------------------------------------- */

static int s_row_retention (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "retention";
    store_retention_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, publisher) || SQ_TEXT (1, topic) || SQ_INT (2, seconds) ||
        SQ_TEXT (3, set_by) || SQ_INT (4, updated) || SQ_INT (5, delivered) || SQ_TEXT (6, origin))
        return -1;
    return 0;
}

SQ_EMITTER (s_emit_retention, store_retention_t)
static const sq_rows_t s_retention = {sizeof (store_retention_t), s_row_retention,
                                      s_emit_retention};

/* R set now (SETTING 0) or at the time it says (a sibling's). */
static int s_retention_put (store_t *s, const store_retention_t *r, int setting)
{
    assert (s && r);
    if (SQ_FIELD (s, r, publisher) || SQ_FIELD (s, r, topic) || SQ_FIELD (s, r, set_by) ||
        SQ_FIELD (s, r, origin))
        return -1;
    sqlite3_stmt *st = STMT (RETENTION_PUT);
    int bind = sq_bind_text (st, 1, r->publisher) | sq_bind_text (st, 2, r->topic) |
               sq_bind_int (st, 3, r->seconds) | sq_bind_text (st, 4, r->set_by) |
               sq_bind_int (st, 5, setting ? r->updated : sq_now ()) |
               sq_bind_int (st, 6, r->delivered ? 1 : 0) | sq_bind_text (st, 7, r->origin);
    return sq_write (s, st, bind, NULL, "cannot store the retention of %.16s %.64s", r->publisher,
                     r->topic);
}

int store_retention_put (store_t *s, const store_retention_t *r)
{
    return s_retention_put (s, r, 0);
}

int store_retention_put_setting (store_t *s, const store_retention_t *r)
{
    return s_retention_put (s, r, 1);
}

int store_retention_get (store_t *s, const char *publisher, const char *topic,
                         store_retention_t *out)
{
    assert (s && publisher && topic && out);
    sqlite3_stmt *st = STMT (RETENTION_GET);
    return sq_get (s, st, sq_bind_text (st, 1, publisher) | sq_bind_text (st, 2, topic),
                   s_row_retention, out, "a retention period",
                   "no retention period for %.64s from %.16s", topic, publisher);
}

int store_retention_each (store_t *s, int (*fn) (const store_retention_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (RETENTION_EACH), SQLITE_OK, "retention periods", &s_retention,
                    SQ_CB (fn, arg));
}
