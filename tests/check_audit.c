/*  check_audit: the audit chain verifier (node/audit.c) against every kind
    of damage it is meant to catch.

    Each test makes a real node home in its own mkdtemp directory
    (node_init: real keys, a real store.db), writes a short log through
    node_audit, signs checkpoints through node_audit_verify, then damages
    the store file as an operator with disk access would: a plain sqlite3
    connection with the append-only triggers dropped, checkpoints signed
    with keys of its own, hashes recomputed (the chain's format is public,
    store.h). It asserts that node_audit_verify fails with the problem, the
    seq and the words it should name. What SECURITY.md lists under the audit
    log's limits has a test named test_known_gap_* that asserts what the
    verifier does today (it passes), so that closing a gap shows as a test
    to change, not as a silent improvement.

    This file holds the fixture and main; the tests are in
    check_audit_entries.c (damage to entries) and check_audit_checkpoints.c
    (the chain rewritten, the checkpoints, the running node, known gaps).

    Not for: the command line's output and exit codes (integration
    t_audit_verify), the store's own append and listing (check_store).
*/
#include <ftw.h>
#include <stdarg.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check_audit.h"

static char s_root[PATH_MAX]; /* made by main, removed at its end */
char fx_home[PATH_MAX];
char fx_db[PATH_MAX + 16];
node_t *fx_node;

/* ---- fixture -------------------------------------------------------------- */

void reopen (void)
{
    char err[NODE_ERR_MAX] = "";
    fx_node = node_open (fx_home, NULL, err, sizeof err);
    ck_assert_msg (fx_node != NULL, "node_open: %s", err);
}

static int64_t s_last_seq (void)
{
    store_audit_t *e = malloc (sizeof *e);
    ck_assert_ptr_nonnull (e);
    ck_assert_int_eq (store_audit_last (node_db (fx_node), e), 0);
    int64_t seq = e->seq;
    free (e);
    return seq;
}

/* Appends entries until the log ends at UNTIL. MID is a refusal naming a
   peer, a purpose and a rule; the others vary around it. */
void append_until (int64_t until)
{
    for (int64_t seq = s_last_seq () + 1; seq <= until; seq++) {
        int rc;
        if (seq == MID)
            rc = node_audit_purpose (fx_node, "peer:04V:0123456789abcdef", "send", "sus/apc v3",
                                     "04V", "commissioning", "refuse", "policy.dspt",
                                     "04V has no DSPT status (entry %lld)", (long long)seq);
        else
            rc = node_audit (fx_node, "user:alice (publisher)", seq % 2 ? "publish" : "export",
                             "sus/apc", "", seq % 3 ? "allow" : "refuse", "local.publish",
                             "entry %lld", (long long)seq);
        ck_assert_msg (rc == 0, "node_audit: %s", node_error (fx_node));
    }
    ck_assert_int_eq (s_last_seq (), until);
}

node_audit_report_t verify (void)
{
    node_audit_report_t r;
    ck_assert_msg (node_audit_verify (fx_node, 0, &r) == 0, "verify: %s", node_error (fx_node));
    return r;
}

/* cdx audit verify --checkpoint: signs the last entry with this node's key. */
void checkpoint (void)
{
    node_audit_report_t r;
    ck_assert_msg (node_audit_verify (fx_node, 1, &r) == 0, "verify: %s", node_error (fx_node));
    ck_assert_msg (r.problem == NODE_AUDIT_OK, "checkpoint over a broken log: %s", r.reason);
}

static void s_make_home (void)
{
    ck_assert_int_eq (cx_init (), 0);
    snprintf (fx_home, sizeof fx_home, "%s/home-XXXXXX", s_root);
    ck_assert_ptr_nonnull (mkdtemp (fx_home));
    snprintf (fx_db, sizeof fx_db, "%s/store.db", fx_home);
    node_init_t o = {fx_home, ORG, "csu", "Audit Test CSU", "tcp://127.0.0.1:7101", NULL};
    char err[NODE_ERR_MAX] = "";
    ck_assert_msg (node_init (&o, err, sizeof err) == 0, "node_init: %s", err);
    reopen ();
}

static void s_setup (void)
{
    s_make_home ();
    append_until (CP1);
    checkpoint ();
    append_until (LAST);
    checkpoint ();
}

static void s_setup_bare (void)
{
    s_make_home ();
    append_until (LAST);
}

static int s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

static void s_teardown (void)
{
    node_close (&fx_node);
    if (fx_home[0]) nftw (fx_home, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    fx_home[0] = '\0';
}

/* ---- damage, as another program on the store file does it ----------------- */

/* Runs SQL on a connection of its own; returns the rows the last statement
   changed. The triggers that keep the tables append-only are dropped
   first: they stop mistakes, not someone who means it. */
int tamper (const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start (ap, fmt);
    int len = vsnprintf (sql, sizeof sql, fmt, ap);
    va_end (ap);
    ck_assert_int_lt (len, (int)sizeof sql);
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open_v2 (fx_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    char *err = NULL;
    int rc = sqlite3_exec (db,
                           "DROP TRIGGER IF EXISTS audit_no_update;"
                           "DROP TRIGGER IF EXISTS audit_no_delete;"
                           "DROP TRIGGER IF EXISTS audit_checkpoints_no_update;"
                           "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete;",
                           NULL, NULL, &err);
    ck_assert_msg (rc == SQLITE_OK, "dropping the triggers: %s", err ? err : "?");
    rc = sqlite3_exec (db, sql, NULL, NULL, &err);
    ck_assert_msg (rc == SQLITE_OK, "%s: %s", sql, err ? err : "?");
    int changes = sqlite3_changes (db);
    sqlite3_close (db);
    return changes;
}

static int s_collect (const store_audit_t *e, void *arg)
{
    audit_entries_t *all = arg;
    store_audit_t *grown = realloc (all->e, (all->n + 1) * sizeof *grown);
    ck_assert_ptr_nonnull (grown);
    all->e = grown;
    all->e[all->n++] = *e;
    return 0;
}

audit_entries_t all_entries (void)
{
    audit_entries_t all = {NULL, 0};
    ck_assert_int_ge (store_audit_each (node_db (fx_node), s_collect, &all), 0);
    return all;
}

/* Entry SEQ as the store reads it, into OUT. */
static void s_entry (int64_t seq, store_audit_t *out)
{
    audit_entries_t all = all_entries ();
    int found = 0;
    for (size_t i = 0; i < all.n; i++)
        if (all.e[i].seq == seq) {
            *out = all.e[i];
            found = 1;
        }
    free (all.e);
    ck_assert_msg (found, "no entry %lld", (long long)seq);
}

/* The chain hash stored with entry SEQ. */
void stored_hash (int64_t seq, uint8_t out[STORE_HASHBYTES])
{
    store_audit_t *e = malloc (sizeof *e);
    ck_assert_ptr_nonnull (e);
    s_entry (seq, e);
    memcpy (out, e->hash, STORE_HASHBYTES);
    free (e);
}

/* What of entry SEQ the verifier can see: the bytes its hash covers (after
   a zero previous hash), then the hash stored. The length, or 0. */
static size_t s_seen (int64_t seq, uint8_t buf[STORE_AUDIT_ENCODED_MAX + STORE_HASHBYTES])
{
    static const uint8_t zero[STORE_HASHBYTES];
    store_audit_t *e = malloc (sizeof *e);
    ck_assert_ptr_nonnull (e);
    s_entry (seq, e);
    size_t len = store_audit_encode (zero, e, buf, STORE_AUDIT_ENCODED_MAX);
    ck_assert_uint_gt (len, 0);
    memcpy (buf + len, e->hash, STORE_HASHBYTES);
    free (e);
    return len + STORE_HASHBYTES;
}

/* Edits entry SEQ with the UPDATE's SET clause SET, and asserts that the
   edit changed what the verifier sees (a SET that writes the value the
   field already holds would test nothing). */
void edit (int64_t seq, const char *set)
{
    uint8_t before[STORE_AUDIT_ENCODED_MAX + STORE_HASHBYTES];
    uint8_t after[STORE_AUDIT_ENCODED_MAX + STORE_HASHBYTES];
    size_t len = s_seen (seq, before);
    ck_assert_int_eq (tamper ("UPDATE audit SET %s WHERE seq = %lld", set, (long long)seq), 1);
    ck_assert_msg (s_seen (seq, after) != len || memcmp (before, after, len) != 0,
                   "SET %s left entry %lld as it was", set, (long long)seq);
}

/* Recomputes every stored hash from the entries' fields in seq order, as
   store_audit_append would have: the chain is consistent again, whatever
   was edited. */
void rechain (void)
{
    audit_entries_t all = all_entries ();
    uint8_t prev[STORE_HASHBYTES] = {0};
    for (size_t i = 0; i < all.n; i++) {
        uint8_t buf[STORE_AUDIT_ENCODED_MAX];
        size_t len = store_audit_encode (prev, &all.e[i], buf, sizeof buf);
        ck_assert_uint_gt (len, 0);
        ck_assert_int_eq (cx_hash_buf (buf, len, prev), 0);
        char hex[2 * STORE_HASHBYTES + 1];
        cx_hex (prev, STORE_HASHBYTES, hex);
        tamper ("UPDATE audit SET hash = X'%s' WHERE seq = %lld", hex, (long long)all.e[i].seq);
    }
    free (all.e);
}

/* A checkpoint of (SEQ, HASH) signed with KP over the documented message
   (node.h): "cdx-audit-checkpoint" NUL | org | seq (8, big-endian) | hash. */
store_checkpoint_t signed_cp (const cx_keypair_t *kp, int64_t seq,
                              const uint8_t hash[STORE_HASHBYTES])
{
    static const char tag[] = "cdx-audit-checkpoint";
    uint8_t msg[sizeof tag + 16 + 8 + STORE_HASHBYTES];
    size_t len = 0;
    memcpy (msg, tag, sizeof tag);
    len += sizeof tag;
    memcpy (msg + len, ORG, strlen (ORG));
    len += strlen (ORG);
    for (int i = 0; i < 8; i++)
        msg[len + (size_t)i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
    len += 8;
    memcpy (msg + len, hash, STORE_HASHBYTES);
    len += STORE_HASHBYTES;
    store_checkpoint_t c;
    memset (&c, 0, sizeof c);
    c.seq = seq;
    memcpy (c.hash, hash, STORE_HASHBYTES);
    ck_assert_int_eq (cx_sign (kp, msg, len, c.sig), 0);
    return c;
}

void put_cp (const store_checkpoint_t *c)
{
    ck_assert_msg (store_checkpoint_put (node_db (fx_node), c) == 0, "%s",
                   store_error (node_db (fx_node)));
}

/* Swaps entries A and B: every field but seq, and the hash too if WITH_HASH. */
void swap (int64_t a, int64_t b, int with_hash)
{
    const char *cols = with_hash ? "at, actor, action, object, peer, purpose, decision, rule, "
                                   "detail, hash"
                                 : "at, actor, action, object, peer, purpose, decision, rule, "
                                   "detail";
    int changed = tamper (
        "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (%lld, %lld);"
        "UPDATE audit SET (%s) = (SELECT %s FROM t WHERE t.seq = %lld - audit.seq)"
        " WHERE seq IN (%lld, %lld);",
        (long long)a, (long long)b, cols, cols, (long long)(a + b), (long long)a, (long long)b);
    ck_assert_int_eq (changed, 2);
}

/* ---- suite --------------------------------------------------------------------- */

TCase *audit_tcase (const char *name, int checkpoints)
{
    TCase *tc = tcase_create (name);
    tcase_add_checked_fixture (tc, checkpoints ? s_setup : s_setup_bare, s_teardown);
    return tc;
}

static Suite *s_suite (void)
{
    Suite *s = suite_create ("audit");
    audit_entries_tcases (s);
    audit_checkpoints_tcases (s);
    return s;
}

int main (void)
{
    const char *base = getenv ("TMPDIR");
    snprintf (s_root, sizeof s_root, "%s/cdx-check-audit-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp (s_root)) {
        perror ("check_audit: mkdtemp");
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create (s_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    nftw (s_root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
