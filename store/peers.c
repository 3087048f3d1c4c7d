/*  peers.c: who this node is and whom it knows (see store.h).

    The tables self (this node's identity and card: one row), peers (nodes
    whose cards this node added, by hand or from a directory, with their
    assurance and whether the running node is connected to them) and trust
    (the authority this node trusts and the newest directory it accepted,
    as text).

    Not for: verifying a card, a certificate or a directory (the node's).
*/
#include "store_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Column lists are shared by the statements that read a table and the
   function that copies one of its rows, so their order is in one place. */
#define SELF_COLS "org, role, name, endpoint, card, created, node"
#define PEER_COLS                                                                                  \
    "address, org, node, role, name, endpoint, sign_pk, box_pk, curve_pk, card, trust, added, "    \
    "dspt, dspt_year, not_after, revoked"
/* Columns the running node keeps up to date, read but never written by
   store_peer_put. */
#define PEER_READ_COLS PEER_COLS ", connected, last_seen"

enum {
    SELF_SET,
    SELF_GET,
    SELF_CARD,
    PEER_PUT,
    PEER_GET,
    PEER_BY_CURVE,
    PEER_EACH,
    PEER_ORG_EACH,
    PEER_OF_ORG,
    PEER_SEEN,
    PEER_ALL_OFFLINE,
    PEER_UNPIN,
    TRUST_PUT,
    TRUST_GET,
    PEERS__COUNT
};

static const char *const s_sql[PEERS__COUNT] = {
    [SELF_SET] = "INSERT INTO self (id, " SELF_COLS ") VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SELF_GET] = "SELECT " SELF_COLS " FROM self WHERE id = 1",
    [SELF_CARD] = "UPDATE self SET card = ?1 WHERE id = 1",

    [PEER_PUT] = "INSERT INTO peers (" PEER_COLS ")"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
                 " ON CONFLICT (address) DO UPDATE SET org = excluded.org, node = excluded.node,"
                 " role = excluded.role,"
                 " name = excluded.name, endpoint = excluded.endpoint,"
                 " sign_pk = excluded.sign_pk, box_pk = excluded.box_pk,"
                 " curve_pk = excluded.curve_pk, card = excluded.card,"
                 " trust = excluded.trust, added = excluded.added,"
                 " dspt = excluded.dspt, dspt_year = excluded.dspt_year,"
                 " not_after = excluded.not_after, revoked = excluded.revoked",
    [PEER_GET] = "SELECT " PEER_READ_COLS " FROM peers WHERE address = ?1",
    [PEER_BY_CURVE] = "SELECT " PEER_READ_COLS " FROM peers WHERE curve_pk = ?1",
    [PEER_EACH] = "SELECT " PEER_READ_COLS " FROM peers ORDER BY address",
    [PEER_ORG_EACH] = "SELECT " PEER_READ_COLS " FROM peers WHERE org = ?1 ORDER BY address",
    /* The node an organisation-wide question reads (DSPT, known or not):
       of its nodes not revoked, the unlabelled one, else the first by
       address; a revoked one only if all are. */
    [PEER_OF_ORG] = "SELECT " PEER_READ_COLS " FROM peers WHERE org = ?1"
                    " ORDER BY revoked <> 0, address <> org, address LIMIT 1",
    [PEER_SEEN] = "UPDATE peers SET connected = ?2, last_seen = ?3 WHERE address = ?1",
    [PEER_ALL_OFFLINE] = "UPDATE peers SET connected = 0 WHERE connected <> 0",
    [PEER_UNPIN] = "DELETE FROM peers WHERE address = ?1 AND trust = 'pinned'",

    [TRUST_PUT] = "INSERT INTO trust (name, value, updated) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                  " updated = excluded.updated",
    [TRUST_GET] = "SELECT value FROM trust WHERE name = ?1",
};
SQ_STATEMENTS (peers, s_sql, PEERS__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_peers, (id))

/* ---- this node ----------------------------------------------------------- */

static int s_row_self (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "self";
    store_self_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, org) || SQ_TEXT (1, role) || SQ_TEXT (2, name) || SQ_TEXT (3, endpoint) ||
        SQ_TEXT (4, card) || SQ_INT (5, created) || SQ_TEXT (6, node))
        return -1;
    return 0;
}

/* Not through sq_write: a second identity is refused in words of its own. */
int store_self_set (store_t *s, const store_self_t *self)
{
    assert (s && self);
    if (SQ_FIELD (s, self, org) || SQ_FIELD (s, self, node) || SQ_FIELD (s, self, role) ||
        SQ_FIELD (s, self, name) ||
        SQ_FIELD (s, self, endpoint) || SQ_FIELD (s, self, card))
        return -1;
    sqlite3_stmt *st = STMT (SELF_SET);
    if (!st) return -1;
    int ret = -1;
    if ((sq_bind_text (st, 1, self->org) | sq_bind_text (st, 2, self->role) |
         sq_bind_text (st, 3, self->name) | sq_bind_text (st, 4, self->endpoint) |
         sq_bind_text (st, 5, self->card) | sq_bind_int (st, 6, sq_now ()) |
         sq_bind_text (st, 7, self->node)) != SQLITE_OK) {
        sq_dbfail (s, "cannot store this node's identity");
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        sq_fail (s, "this store already has an identity: it is set once, by cdx init");
    else if (rc != SQLITE_DONE)
        sq_dbfail (s, "cannot store this node's identity");
    else
        ret = 0;
out:
    sq_end (st);
    return ret;
}

int store_self_get (store_t *s, store_self_t *out)
{
    assert (s && out);
    return sq_get (s, STMT (SELF_GET), SQLITE_OK, s_row_self, out, "this node's identity",
                   "this store has no identity: run cdx init");
}

int store_self_card (store_t *s, const char *card)
{
    assert (s && card);
    if (sq_arg (s, "card", card, STORE_FIELD_SIZE (store_self_t, card)) != 0) return -1;
    sqlite3_stmt *st = STMT (SELF_CARD);
    return sq_write (s, st, sq_bind_text (st, 1, card), "this store has no identity",
                     "cannot replace this node's card");
}

/* ---- peers --------------------------------------------------------------- */

static int s_row_peer (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "peers";
    store_peer_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, address) || SQ_TEXT (1, org) || SQ_TEXT (2, node) || SQ_TEXT (3, role) ||
        SQ_TEXT (4, name) || SQ_TEXT (5, endpoint) || SQ_EXACT (6, sign_pk, 0) ||
        SQ_EXACT (7, box_pk, 0) || SQ_EXACT (8, curve_pk, 0) || SQ_TEXT (9, card) ||
        SQ_TEXT (10, trust) || SQ_INT (11, added) || SQ_TEXT (12, dspt) ||
        SQ_TEXT (13, dspt_year) || SQ_INT (14, not_after) || SQ_INT (15, revoked) ||
        SQ_INT (16, connected) || SQ_INT (17, last_seen))
        return -1;
    return 0;
}

SQ_EMITTER (s_emit_peer, store_peer_t)
static const sq_rows_t s_peers = {sizeof (store_peer_t), s_row_peer, s_emit_peer};

/* Replacing keeps the row (and so any constraint on curve_pk holds): a
   peer whose new curve key is another peer's is refused, not merged. The
   added time becomes that of this card. */
int store_peer_put (store_t *s, const store_peer_t *p)
{
    assert (s && p);
    if (SQ_FIELD (s, p, address) || SQ_FIELD (s, p, org) || SQ_FIELD (s, p, node) ||
        SQ_FIELD (s, p, role) || SQ_FIELD (s, p, name) ||
        SQ_FIELD (s, p, endpoint) || SQ_FIELD (s, p, card) || SQ_FIELD (s, p, trust) ||
        SQ_FIELD (s, p, dspt) || SQ_FIELD (s, p, dspt_year))
        return -1;
    if (!p->address[0] || !p->org[0]) return sq_fail (s, "a peer needs an address and an org");
    sqlite3_stmt *st = STMT (PEER_PUT);
    int bind = sq_bind_text (st, 1, p->address) | sq_bind_text (st, 2, p->org) |
               sq_bind_text (st, 3, p->node) | sq_bind_text (st, 4, p->role) |
               sq_bind_text (st, 5, p->name) | sq_bind_text (st, 6, p->endpoint) |
               sq_bind_blob (st, 7, p->sign_pk, sizeof p->sign_pk) |
               sq_bind_blob (st, 8, p->box_pk, sizeof p->box_pk) |
               sq_bind_blob (st, 9, p->curve_pk, sizeof p->curve_pk) |
               sq_bind_text (st, 10, p->card) | sq_bind_text (st, 11, p->trust) |
               sq_bind_int (st, 12, sq_now ()) | sq_bind_text (st, 13, p->dspt) |
               sq_bind_text (st, 14, p->dspt_year) | sq_bind_int (st, 15, p->not_after) |
               sq_bind_int (st, 16, p->revoked);
    return sq_write (s, st, bind, NULL, "cannot store peer %s", p->address);
}

int store_peer_get (store_t *s, const char *address, store_peer_t *out)
{
    assert (s && address && out);
    sqlite3_stmt *st = STMT (PEER_GET);
    return sq_get (s, st, sq_bind_text (st, 1, address), s_row_peer, out, "peer",
                   "no peer with address %.64s", address);
}

int store_peer_of_org (store_t *s, const char *org, store_peer_t *out)
{
    assert (s && org && out);
    sqlite3_stmt *st = STMT (PEER_OF_ORG);
    return sq_get (s, st, sq_bind_text (st, 1, org), s_row_peer, out, "peer",
                   "no peer of organisation %.64s", org);
}

int store_peer_org_each (store_t *s, const char *org, int (*fn) (const store_peer_t *, void *), void *arg)
{
    assert (s && org && fn);
    sqlite3_stmt *st = STMT (PEER_ORG_EACH);
    return sq_each (s, st, sq_bind_text (st, 1, org), "peers", &s_peers, SQ_CB (fn, arg));
}

int store_peer_by_curve (store_t *s, const uint8_t curve_pk[32], store_peer_t *out)
{
    assert (s && curve_pk && out);
    sqlite3_stmt *st = STMT (PEER_BY_CURVE);
    return sq_get (s, st, sq_bind_blob (st, 1, curve_pk, 32), s_row_peer, out, "peer",
                   "no peer with this curve key");
}

int store_peer_each (store_t *s, int (*fn) (const store_peer_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (PEER_EACH), SQLITE_OK, "peers", &s_peers, SQ_CB (fn, arg));
}

int store_peer_seen (store_t *s, const char *address, int connected, int64_t last_seen)
{
    assert (s && address);
    sqlite3_stmt *st = STMT (PEER_SEEN);
    int bind = sq_bind_text (st, 1, address) | sq_bind_int (st, 2, connected ? 1 : 0) |
               sq_bind_int (st, 3, last_seen);
    return sq_write (s, st, bind, NULL, "cannot record whether peer %.16s is connected", address);
}

int store_peer_unpin (store_t *s, const char *address)
{
    assert (s && address);
    sqlite3_stmt *st = STMT (PEER_UNPIN);
    return sq_write (s, st, sq_bind_text (st, 1, address), NULL, "cannot remove the pinned peer %.16s", address);
}

int store_peer_all_offline (store_t *s)
{
    assert (s);
    return sq_write (s, STMT (PEER_ALL_OFFLINE), SQLITE_OK, NULL,
                     "cannot record peers as not connected");
}

/* ---- trust ----------------------------------------------------------------- */

int store_trust_put (store_t *s, const char *name, const char *value)
{
    assert (s && name && value);
    sqlite3_stmt *st = STMT (TRUST_PUT);
    int bind =
        sq_bind_text (st, 1, name) | sq_bind_text (st, 2, value) | sq_bind_int (st, 3, sq_now ());
    return sq_write (s, st, bind, NULL, "cannot store %s", name);
}

/* Read here, not through sq_get: the value has no size limit of a struct. */
int store_trust_get (store_t *s, const char *name, char **out, size_t *len)
{
    assert (s && name && out);
    *out = NULL;
    sqlite3_stmt *st = STMT (TRUST_GET);
    if (!st) return -1;
    int ret = -1;
    if (sq_bind_text (st, 1, name) != SQLITE_OK) {
        sq_dbfail (s, "cannot look up %s", name);
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_DONE) {
        ret = sq_notfound (s, "no %s recorded", name);
        goto out;
    }
    if (rc != SQLITE_ROW || sqlite3_column_type (st, 0) != SQLITE_TEXT) {
        sq_dbfail (s, "cannot read %s", name);
        goto out;
    }
    const unsigned char *v = sqlite3_column_text (st, 0);
    int n = sqlite3_column_bytes (st, 0);
    if (!v || n < 0) {
        sq_fail (s, "cannot read %s", name);
        goto out;
    }
    *out = malloc ((size_t)n + 1);
    if (!*out) {
        sq_fail (s, "out of memory");
        goto out;
    }
    memcpy (*out, v, (size_t)n);
    (*out)[n] = 0;
    if (len) *len = (size_t)n;
    ret = 0;
out:
    sq_end (st);
    return ret;
}
