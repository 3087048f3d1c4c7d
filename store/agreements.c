/*  agreements.c: data sharing agreements as both parties hold them (see
    store.h).

    The table agreements: the encoded document, the hash that names it on
    the wire, each party's signature (zeros until it signs), a revocation
    and whether the other party has this node's latest copy.

    Not for: what an agreement says or whether it is in force (the node's:
    node/agree.c, node/policy.c); verifying its signatures.
*/
#include "store_int.h"

#include <assert.h>
#include <string.h>

/* The order of the columns, shared by the statements and s_row_agreement. */
#define AGREEMENT_COLS                                                                             \
    "ref, hash, doc, provider, recipient, sig_provider, sig_recipient, start, end_at, revoked, "   \
    "revoked_by, reason, pushed, created, updated"

enum {
    AGREEMENT_PUT,
    AGREEMENT_GET,
    AGREEMENT_BY_HASH,
    AGREEMENT_EACH,
    AGREEMENT_UNSIGNED,
    AGREEMENTS__COUNT
};

static const char *const s_sql[AGREEMENTS__COUNT] = {
    /* The WHERE makes a ref held for another document change nothing. */
    [AGREEMENT_PUT] = "INSERT INTO agreements (" AGREEMENT_COLS ") VALUES (?1, ?2, ?3, ?4,"
                      " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
                      " ON CONFLICT (ref) DO UPDATE SET sig_provider = excluded.sig_provider,"
                      " sig_recipient = excluded.sig_recipient, revoked = excluded.revoked,"
                      " revoked_by = excluded.revoked_by, reason = excluded.reason,"
                      " pushed = excluded.pushed, updated = excluded.updated"
                      " WHERE agreements.hash = excluded.hash",
    [AGREEMENT_GET] = "SELECT " AGREEMENT_COLS " FROM agreements WHERE ref = ?1",
    [AGREEMENT_BY_HASH] = "SELECT " AGREEMENT_COLS " FROM agreements WHERE hash = ?1",
    [AGREEMENT_EACH] = "SELECT " AGREEMENT_COLS " FROM agreements ORDER BY ref",
    [AGREEMENT_UNSIGNED] = "SELECT count(*) FROM agreements"
                           " WHERE (provider = ?1 AND sig_recipient = zeroblob (64))"
                           " OR (recipient = ?1 AND sig_provider = zeroblob (64))",
};
SQ_STATEMENTS (agreements, s_sql, AGREEMENTS__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_agreements, (id))

static int s_row_agreement (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "agreements";
    store_agreement_t *out = row;
    memset (out, 0, sizeof *out);
    if (SQ_TEXT (0, ref) || SQ_EXACT (1, hash, 0) ||
        sq_col_blob (s, T, st, 2, out->doc, sizeof out->doc, &out->doc_len, 0) ||
        SQ_TEXT (3, provider) || SQ_TEXT (4, recipient) || SQ_EXACT (5, sig_provider, 0) ||
        SQ_EXACT (6, sig_recipient, 0) || SQ_INT (7, start) || SQ_INT (8, end) ||
        SQ_INT (9, revoked) || SQ_TEXT (10, revoked_by) || SQ_TEXT (11, reason) ||
        SQ_INT (12, pushed) || SQ_INT (13, created) || SQ_INT (14, updated))
        return -1;
    return 0;
}

SQ_EMITTER (s_emit_agreement, store_agreement_t)
static const sq_rows_t s_agreements = {sizeof (store_agreement_t), s_row_agreement,
                                       s_emit_agreement};

int store_agreement_put (store_t *s, const store_agreement_t *a)
{
    assert (s && a);
    if (SQ_FIELD (s, a, ref) || SQ_FIELD (s, a, provider) || SQ_FIELD (s, a, recipient) ||
        SQ_FIELD (s, a, revoked_by) || SQ_FIELD (s, a, reason))
        return -1;
    if (a->doc_len == 0 || a->doc_len > sizeof a->doc)
        return sq_fail (s, "agreement %s: doc_len %zu is not 1 to %zu", a->ref, a->doc_len,
                        sizeof a->doc);
    sqlite3_stmt *st = STMT (AGREEMENT_PUT);
    int bind = sq_bind_text (st, 1, a->ref) | sq_bind_blob (st, 2, a->hash, sizeof a->hash) |
               sq_bind_blob (st, 3, a->doc, a->doc_len) | sq_bind_text (st, 4, a->provider) |
               sq_bind_text (st, 5, a->recipient) |
               sq_bind_blob (st, 6, a->sig_provider, sizeof a->sig_provider) |
               sq_bind_blob (st, 7, a->sig_recipient, sizeof a->sig_recipient) |
               sq_bind_int (st, 8, a->start) | sq_bind_int (st, 9, a->end) |
               sq_bind_int (st, 10, a->revoked) | sq_bind_text (st, 11, a->revoked_by) |
               sq_bind_text (st, 12, a->reason) | sq_bind_int (st, 13, a->pushed) |
               sq_bind_int (st, 14, sq_now ());
    int changed = sq_changes (s, st, bind, "cannot store agreement %s", a->ref);
    if (changed == 0)
        return sq_fail (s, "agreement %s: this reference is already held for another agreement",
                        a->ref);
    return changed < 0 ? -1 : 0;
}

int store_agreement_get (store_t *s, const char *ref, store_agreement_t *out)
{
    assert (s && ref && out);
    sqlite3_stmt *st = STMT (AGREEMENT_GET);
    return sq_get (s, st, sq_bind_text (st, 1, ref), s_row_agreement, out, "agreement",
                   "no agreement %.64s", ref);
}

int store_agreement_by_hash (store_t *s, const uint8_t hash[32], store_agreement_t *out)
{
    assert (s && hash && out);
    sqlite3_stmt *st = STMT (AGREEMENT_BY_HASH);
    return sq_get (s, st, sq_bind_blob (st, 1, hash, 32), s_row_agreement, out, "agreement",
                   "no agreement with that hash");
}

int store_agreement_each (store_t *s, int (*fn) (const store_agreement_t *, void *), void *arg)
{
    assert (s && fn);
    return sq_each (s, STMT (AGREEMENT_EACH), SQLITE_OK, "agreements", &s_agreements,
                    SQ_CB (fn, arg));
}

int64_t store_agreement_count_unsigned (store_t *s, const char *org)
{
    assert (s && org);
    sqlite3_stmt *st = STMT (AGREEMENT_UNSIGNED);
    return sq_int (s, st, sq_bind_text (st, 1, org), "cannot count agreements");
}
