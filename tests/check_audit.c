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

    Not for: the command line's output and exit codes (integration
    t_audit_verify), the store's own append and listing (check_store).
*/
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cx.h"
#include "node.h"
#include "node_internal.h"
#include "store.h"

#define ORG "0DF"

/* The log every test starts from: entries 1 (cdx init's) to LAST, with
   signed checkpoints at CP1 and LAST (s_setup) or none (s_setup_bare).
   MID, between the two checkpoints, is a refusal with every text field
   set; EARLY lies before the first checkpoint. */
#define CP1   6
#define LAST  12
#define MID   9
#define EARLY 3

static char s_root[PATH_MAX]; /* made by main, removed at its end */
static char s_home[PATH_MAX];
static char s_db[PATH_MAX + 16];
static node_t *s_node;

/* ---- fixture -------------------------------------------------------------- */

static void s_open (void)
{
    char err[NODE_ERR_MAX] = "";
    s_node = node_open (s_home, NULL, err, sizeof err);
    ck_assert_msg (s_node != NULL, "node_open: %s", err);
}

static int64_t s_last_seq (void)
{
    store_audit_t *e = malloc (sizeof *e);
    ck_assert_ptr_nonnull (e);
    ck_assert_int_eq (store_audit_last (node_db (s_node), e), 0);
    int64_t seq = e->seq;
    free (e);
    return seq;
}

/* Appends entries until the log ends at UNTIL. MID is a refusal naming a
   peer, a purpose and a rule; the others vary around it. */
static void s_append_until (int64_t until)
{
    for (int64_t seq = s_last_seq () + 1; seq <= until; seq++) {
        int rc;
        if (seq == MID)
            rc = node_audit_purpose (s_node, "peer:04V:0123456789abcdef", "send", "sus/apc v3",
                                     "04V", "commissioning", "refuse", "policy.dspt",
                                     "04V has no DSPT status (entry %lld)", (long long)seq);
        else
            rc = node_audit (s_node, "user:alice (publisher)", seq % 2 ? "publish" : "export",
                             "sus/apc", "", seq % 3 ? "allow" : "refuse", "local.publish",
                             "entry %lld", (long long)seq);
        ck_assert_msg (rc == 0, "node_audit: %s", node_error (s_node));
    }
    ck_assert_int_eq (s_last_seq (), until);
}

static node_audit_report_t s_verify (void)
{
    node_audit_report_t r;
    ck_assert_msg (node_audit_verify (s_node, 0, &r) == 0, "verify: %s", node_error (s_node));
    return r;
}

/* cdx audit verify --checkpoint: signs the last entry with this node's key. */
static void s_checkpoint (void)
{
    node_audit_report_t r;
    ck_assert_msg (node_audit_verify (s_node, 1, &r) == 0, "verify: %s", node_error (s_node));
    ck_assert_msg (r.problem == NODE_AUDIT_OK, "checkpoint over a broken log: %s", r.reason);
}

static void s_make_home (void)
{
    ck_assert_int_eq (cx_init (), 0);
    snprintf (s_home, sizeof s_home, "%s/home-XXXXXX", s_root);
    ck_assert_ptr_nonnull (mkdtemp (s_home));
    snprintf (s_db, sizeof s_db, "%s/store.db", s_home);
    node_init_t o = {s_home, ORG, "csu", "Audit Test CSU", "tcp://127.0.0.1:7101"};
    char err[NODE_ERR_MAX] = "";
    ck_assert_msg (node_init (&o, err, sizeof err) == 0, "node_init: %s", err);
    s_open ();
}

static void s_setup (void)
{
    s_make_home ();
    s_append_until (CP1);
    s_checkpoint ();
    s_append_until (LAST);
    s_checkpoint ();
}

static void s_setup_bare (void)
{
    s_make_home ();
    s_append_until (LAST);
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
    node_close (&s_node);
    if (s_home[0]) nftw (s_home, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    s_home[0] = '\0';
}

/* ---- damage, as another program on the store file does it ----------------- */

/* Runs SQL on a connection of its own; returns the rows the last statement
   changed. The triggers that keep the tables append-only are dropped
   first: they stop mistakes, not someone who means it. */
static int s_sql (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static int s_sql (const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start (ap, fmt);
    int len = vsnprintf (sql, sizeof sql, fmt, ap);
    va_end (ap);
    ck_assert_int_lt (len, (int)sizeof sql);
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open_v2 (s_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
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

/* Every entry, as the store reads it; the caller frees. */
typedef struct {
    store_audit_t *e;
    size_t n;
} s_entries_t;

static int s_collect (const store_audit_t *e, void *arg)
{
    s_entries_t *all = arg;
    store_audit_t *grown = realloc (all->e, (all->n + 1) * sizeof *grown);
    ck_assert_ptr_nonnull (grown);
    all->e = grown;
    all->e[all->n++] = *e;
    return 0;
}

static s_entries_t s_entries (void)
{
    s_entries_t all = {NULL, 0};
    ck_assert_int_ge (store_audit_each (node_db (s_node), s_collect, &all), 0);
    return all;
}

/* Entry SEQ as the store reads it, into OUT. */
static void s_entry (int64_t seq, store_audit_t *out)
{
    s_entries_t all = s_entries ();
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
static void s_stored_hash (int64_t seq, uint8_t out[STORE_HASHBYTES])
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
static void s_edit (int64_t seq, const char *set)
{
    uint8_t before[STORE_AUDIT_ENCODED_MAX + STORE_HASHBYTES];
    uint8_t after[STORE_AUDIT_ENCODED_MAX + STORE_HASHBYTES];
    size_t len = s_seen (seq, before);
    ck_assert_int_eq (s_sql ("UPDATE audit SET %s WHERE seq = %lld", set, (long long)seq), 1);
    ck_assert_msg (s_seen (seq, after) != len || memcmp (before, after, len) != 0,
                   "SET %s left entry %lld as it was", set, (long long)seq);
}

/* A decision turned into the other one. */
#define S_FLIP_DECISION "decision = CASE decision WHEN 'allow' THEN 'refuse' ELSE 'allow' END"

/* Recomputes every stored hash from the entries' fields in seq order, as
   store_audit_append would have: the chain is consistent again, whatever
   was edited. */
static void s_rechain (void)
{
    s_entries_t all = s_entries ();
    uint8_t prev[STORE_HASHBYTES] = {0};
    for (size_t i = 0; i < all.n; i++) {
        uint8_t buf[STORE_AUDIT_ENCODED_MAX];
        size_t len = store_audit_encode (prev, &all.e[i], buf, sizeof buf);
        ck_assert_uint_gt (len, 0);
        ck_assert_int_eq (cx_hash_buf (buf, len, prev), 0);
        char hex[2 * STORE_HASHBYTES + 1];
        cx_hex (prev, STORE_HASHBYTES, hex);
        s_sql ("UPDATE audit SET hash = X'%s' WHERE seq = %lld", hex, (long long)all.e[i].seq);
    }
    free (all.e);
}

/* A checkpoint of (SEQ, HASH) signed with KP over the documented message
   (node.h): "cdx-audit-checkpoint" NUL | org | seq (8, big-endian) | hash. */
static store_checkpoint_t s_signed_cp (const cx_keypair_t *kp, int64_t seq,
                                       const uint8_t hash[STORE_HASHBYTES])
{
    static const char tag[] = "cdx-audit-checkpoint";
    uint8_t msg[sizeof tag + 16 + 8 + STORE_HASHBYTES];
    size_t len = 0;
    memcpy (msg, tag, sizeof tag);
    len += sizeof tag;
    memcpy (msg + len, ORG, strlen (ORG));
    len += strlen (ORG);
    for (int i = 0; i < 8; i++) msg[len + (size_t)i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
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

static void s_put_cp (const store_checkpoint_t *c)
{
    ck_assert_msg (store_checkpoint_put (node_db (s_node), c) == 0, "%s",
                   store_error (node_db (s_node)));
}

/* Swaps entries A and B: every field but seq, and the hash too if WITH_HASH. */
static void s_swap (int64_t a, int64_t b, int with_hash)
{
    const char *cols = with_hash ? "at, actor, action, object, peer, purpose, decision, rule, "
                                   "detail, hash"
                                 : "at, actor, action, object, peer, purpose, decision, rule, "
                                   "detail";
    int changed = s_sql ("CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (%lld, %lld);"
                         "UPDATE audit SET (%s) = (SELECT %s FROM t WHERE t.seq = %lld - audit.seq)"
                         " WHERE seq IN (%lld, %lld);",
                         (long long)a, (long long)b, cols, cols, (long long)(a + b), (long long)a,
                         (long long)b);
    ck_assert_int_eq (changed, 2);
}

/* ---- what a failed verify must say ----------------------------------------- */

#define ASSERT_PROBLEM(r, want, want_seq)                                                         \
    do {                                                                                          \
        ck_assert_msg ((r).problem == (want) && (r).seq == (want_seq),                           \
                       "expected %s at seq %lld, got %s at seq %lld: %s",                         \
                       node_audit_problem_name (want), (long long)(want_seq),                     \
                       node_audit_problem_name ((r).problem), (long long)(r).seq, (r).reason);    \
    } while (0)

#define ASSERT_REASON_HAS(r, text)                                                                \
    ck_assert_msg (strstr ((r).reason, text) != NULL, "reason \"%s\" does not name \"%s\"",      \
                   (r).reason, text)

#define ASSERT_OK(r)                                                                              \
    ck_assert_msg ((r).problem == NODE_AUDIT_OK, "expected ok, got %s at seq %lld: %s",          \
                   node_audit_problem_name ((r).problem), (long long)(r).seq, (r).reason)

/* ---- an intact log ----------------------------------------------------------- */

START_TEST (test_intact_log_passes)
{
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_str_eq (node_audit_problem_name (r.problem), "ok");
    ck_assert_int_eq (r.entries, LAST);
    ck_assert_int_eq (r.last_seq, LAST);
    ck_assert_int_eq (r.checkpoints, 2);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    ck_assert_int_eq (r.uncovered, 0);
    ck_assert_str_eq (r.reason, "");
}
END_TEST

START_TEST (test_intact_log_reports_entries_not_yet_covered)
{
    s_append_until (LAST + 3);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    ck_assert_int_eq (r.uncovered, 3);
    s_checkpoint ();
    r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
    ck_assert_int_eq (r.uncovered, 0);
}
END_TEST

/* ---- entries edited ---------------------------------------------------------------- */

/* Each field the chain hash covers (store_audit_encode), and the stored
   hash itself, changed in entry MID alone: the hashes after it left. */
static const struct {
    const char *field;
    const char *set;
} s_edits[] = {
    {"at", "at = at + 1"},
    {"actor", "actor = 'user:mallory (admin)'"},
    {"action", "action = 'receive'"},
    {"object", "object = 'sus/apc v4'"},
    {"peer", "peer = '05D'"},
    {"purpose", "purpose = 'invoice-validation'"},
    {"decision", S_FLIP_DECISION},
    {"rule", "rule = 'policy.allow'"},
    {"detail", "detail = 'nothing happened'"},
    {"hash", "hash = zeroblob (32)"},
};

START_TEST (test_field_edited_is_named)
{
    s_edit (MID, s_edits[_i].set);
    node_audit_report_t r = s_verify ();
    ck_assert_msg (r.problem == NODE_AUDIT_HASH && r.seq == MID,
                   "%s edited: expected hash at seq %d, got %s at seq %lld: %s", s_edits[_i].field,
                   MID, node_audit_problem_name (r.problem), (long long)r.seq, r.reason);
    ASSERT_REASON_HAS (r, "entry 9 does not match its hash");
    ASSERT_REASON_HAS (r, "edited");
}
END_TEST

/* Before any checkpoint too: the link to the next entry breaks. */
START_TEST (test_field_edited_before_any_checkpoint_is_named)
{
    s_edit (EARLY, s_edits[_i].set);
    node_audit_report_t r = s_verify ();
    ck_assert_msg (r.problem == NODE_AUDIT_HASH && r.seq == EARLY,
                   "%s edited: expected hash at seq %d, got %s at seq %lld: %s", s_edits[_i].field,
                   EARLY, node_audit_problem_name (r.problem), (long long)r.seq, r.reason);
    ck_assert_int_eq (r.checkpoints, 0);
}
END_TEST

/* The seq is hashed too, but a changed seq is first of all a hole. */
START_TEST (test_seq_changed_is_a_gap)
{
    ck_assert_int_eq (s_sql ("UPDATE audit SET seq = 100 WHERE seq = %d", MID), 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "entry 9 is missing");
}
END_TEST

/* A row the store refuses to read (a hash of the wrong size, written past
   the table's CHECK) is named, not skipped. */
START_TEST (test_unreadable_entry_is_named)
{
    s_sql ("PRAGMA ignore_check_constraints = ON; UPDATE audit SET hash = X'00' WHERE seq = %d", MID);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_UNREADABLE, MID);
    ASSERT_REASON_HAS (r, "audit entry 9");
}
END_TEST

/* ---- entries deleted, swapped, inserted ---------------------------------------------- */

START_TEST (test_deleted_from_the_middle_is_a_gap)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit WHERE seq = %d", MID), 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "entry 9 is missing (deleted)");
}
END_TEST

START_TEST (test_several_deleted_from_the_middle_is_a_gap)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit WHERE seq BETWEEN %d AND %d", MID, MID + 1), 2);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID + 1);
    ASSERT_REASON_HAS (r, "entries 9 to 10 are missing");
}
END_TEST

/* The hole closed by renumbering the entries after it. */
START_TEST (test_deleted_and_renumbered_is_a_gap)
{
    s_sql ("DELETE FROM audit WHERE seq = %d;"
           "UPDATE audit SET seq = seq + 1000 WHERE seq > %d;"
           "UPDATE audit SET seq = seq - 1001 WHERE seq > 1000;",
           MID, MID);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, MID);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "1 entry from seq 9 was deleted");
}
END_TEST

START_TEST (test_first_deleted_and_renumbered_is_a_gap)
{
    s_sql ("DELETE FROM audit WHERE seq = 1;"
           "UPDATE audit SET seq = seq + 1000;"
           "UPDATE audit SET seq = seq - 1001;");
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, 1);
    ASSERT_REASON_HAS (r, "from seq 1 was deleted");
}
END_TEST

/* Neighbours swapped whole, hashes moving with them. */
START_TEST (test_neighbours_swapped_is_reordered)
{
    s_swap (MID, MID + 1, 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, MID);
    ck_assert_int_eq (r.other, MID + 1);
    ASSERT_REASON_HAS (r, "entry 9 holds the entry written as seq 10");
}
END_TEST

/* Two distant entries' contents swapped, the hashes left in place. */
START_TEST (test_contents_swapped_is_reordered)
{
    s_swap (EARLY, MID, 0);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, EARLY);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "entry 3 holds the entry written as seq 9");
}
END_TEST

START_TEST (test_rows_swapped_is_reordered)
{
    s_swap (EARLY, MID, 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, EARLY);
    ck_assert_int_eq (r.other, MID);
}
END_TEST

/* A forged entry at MID, the entries from there moved up one; its hash
   copied from the entry before (the forger cannot know a better one
   without recomputing the rest). */
START_TEST (test_inserted_and_renumbered_is_named)
{
    s_sql ("UPDATE audit SET seq = seq + 1000 WHERE seq >= %d;"
           "UPDATE audit SET seq = seq - 999 WHERE seq > 1000;"
           "INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
           "detail, hash) SELECT %d, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
           " 'local.export', 'exported nothing', hash FROM audit WHERE seq = %d;",
           MID, MID, MID - 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, MID);
    ASSERT_REASON_HAS (r, "it was inserted, and the entries after it renumbered");
}
END_TEST

/* A forged entry with a correct hash of its own, the entries after it
   moved up one with theirs: the first broken link is the entry after it,
   which holds the one written at MID. */
START_TEST (test_inserted_with_its_own_hash_is_named)
{
    s_sql ("UPDATE audit SET seq = seq + 1000 WHERE seq >= %d;"
           "UPDATE audit SET seq = seq - 999 WHERE seq > 1000;"
           "INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
           "detail, hash) SELECT %d, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
           " 'local.export', 'exported nothing', zeroblob (32) FROM audit WHERE seq = %d;",
           MID, MID, MID - 1);
    /* the forged entry's hash, computed as the store would */
    s_entries_t all = s_entries ();
    ck_assert_uint_eq (all.n, LAST + 1);
    uint8_t buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (all.e[MID - 2].hash, &all.e[MID - 1], buf, sizeof buf);
    ck_assert_uint_gt (len, 0);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    free (all.e);
    char hex[2 * STORE_HASHBYTES + 1];
    cx_hex (h, sizeof h, hex);
    s_sql ("UPDATE audit SET hash = X'%s' WHERE seq = %d", hex, MID);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_MOVED, MID + 1);
    ck_assert_int_eq (r.other, MID);
    ASSERT_REASON_HAS (r, "renumbered around an inserted or deleted entry");
}
END_TEST

/* One more entry at the end whose hash the forger did not recompute. */
START_TEST (test_appended_without_its_hash_is_named)
{
    s_sql ("INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
           "detail, hash) SELECT %d, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
           " 'local.export', 'exported nothing', hash FROM audit WHERE seq = %d;",
           LAST + 1, LAST);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, LAST + 1);
}
END_TEST

/* ---- the chain rewritten consistently, behind signed checkpoints -------------------- */

/* Edited between the two checkpoints and every hash recomputed: the
   chain is whole again, the checkpoint after the edit no longer matches. */
START_TEST (test_rechained_after_a_checkpoint_is_named)
{
    s_edit (MID, S_FLIP_DECISION);
    s_rechain ();
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_HASH, LAST);
    ASSERT_REASON_HAS (r, "entry 12 differs from the signed checkpoint");
    ASSERT_REASON_HAS (r, "entries after 6 (the checkpoint before) up to 12 were rewritten");
    ck_assert_int_eq (r.checkpoints, 1); /* the one at CP1 still held */
}
END_TEST

/* Edited before the first checkpoint: that checkpoint is the one named. */
START_TEST (test_rechained_before_the_first_checkpoint_is_named)
{
    s_edit (EARLY, "detail = 'rewritten'");
    s_rechain ();
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_HASH, CP1);
    ASSERT_REASON_HAS (r, "entries up to 6 were rewritten");
    ck_assert_int_eq (r.checkpoints, 0);
}
END_TEST

/* An entry deleted, the rest renumbered and rechained: a consistent chain
   one entry shorter, which the checkpoints no longer match. */
START_TEST (test_deleted_renumbered_and_rechained_is_named)
{
    s_sql ("DELETE FROM audit WHERE seq = %d;"
           "UPDATE audit SET seq = seq + 1000 WHERE seq > %d;"
           "UPDATE audit SET seq = seq - 1001 WHERE seq > 1000;",
           EARLY, EARLY);
    s_rechain ();
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_HASH, CP1);
}
END_TEST

/* ---- checkpoints damaged or forged ----------------------------------------------- */

START_TEST (test_checkpoint_signature_altered_is_named)
{
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (s_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST);
    c.sig[17] ^= 0x01;
    char hex[2 * 64 + 1];
    cx_hex (c.sig, sizeof c.sig, hex);
    ck_assert_int_eq (s_sql ("UPDATE audit_checkpoints SET sig = X'%s' WHERE seq = %d", hex, LAST), 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, LAST);
    ASSERT_REASON_HAS (r, "the checkpoint at seq 12 does not carry this node's signature");
}
END_TEST

/* The checkpoint's hash changed to match a rechained log: its signature
   no longer covers it. */
START_TEST (test_checkpoint_hash_altered_is_named)
{
    s_edit (MID, "detail = 'rewritten'");
    s_rechain ();
    uint8_t h[STORE_HASHBYTES];
    s_stored_hash (LAST, h);
    char hex[2 * STORE_HASHBYTES + 1];
    cx_hex (h, sizeof h, hex);
    ck_assert_int_eq (s_sql ("UPDATE audit_checkpoints SET hash = X'%s' WHERE seq = %d", hex, LAST),
                      1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, LAST);
}
END_TEST

/* A checkpoint moved to another seq: the seq is signed too. */
START_TEST (test_checkpoint_seq_altered_is_named)
{
    ck_assert_int_eq (s_sql ("UPDATE audit_checkpoints SET seq = %d WHERE seq = %d", MID, CP1), 1);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, MID);
}
END_TEST

/* Well formed, over the right message and the entry's real hash, but
   signed by a key this node never had. */
START_TEST (test_checkpoint_by_a_stranger_is_named)
{
    cx_keypair_t *stranger = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (stranger);
    uint8_t h[STORE_HASHBYTES];
    s_stored_hash (MID, h);
    store_checkpoint_t c = s_signed_cp (stranger, MID, h);
    cx_keypair_destroy (&stranger);
    s_put_cp (&c);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, MID);
    ASSERT_REASON_HAS (r, "a forged or altered checkpoint");
    ck_assert_int_eq (r.checkpoints, 1); /* CP1, before it */
}
END_TEST

/* The same message signed with this node's own key verifies: the test
   above fails for the key, not for the message. */
START_TEST (test_checkpoint_by_this_node_over_the_same_message_passes)
{
    uint8_t h[STORE_HASHBYTES];
    s_stored_hash (MID, h);
    store_checkpoint_t c = s_signed_cp (node_sign_key (s_node), MID, h);
    s_put_cp (&c);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
}
END_TEST

/* A forged checkpoint beyond the end is named as forged, not as the log
   having been cut. */
START_TEST (test_checkpoint_by_a_stranger_beyond_the_log_is_named)
{
    cx_keypair_t *stranger = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (stranger);
    uint8_t h[STORE_HASHBYTES] = {7};
    store_checkpoint_t c = s_signed_cp (stranger, LAST + 5, h);
    cx_keypair_destroy (&stranger);
    s_put_cp (&c);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_CHECKPOINT_SIG, LAST + 5);
}
END_TEST

/* Signed before a key rotation, verified after it, by the same node
   handle and by one opened afresh (the old key read from keys/old/). */
START_TEST (test_checkpoint_by_a_rotated_key_is_accepted)
{
    uint8_t before[32];
    memcpy (before, cx_keypair_public (node_sign_key (s_node)), 32);
    ck_assert_msg (node_keys_rotate (s_node, NULL, 0) == 0, "rotate: %s", node_error (s_node));
    ck_assert_int_ne (memcmp (before, cx_keypair_public (node_sign_key (s_node)), 32), 0);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 2);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    node_close (&s_node);
    s_open ();
    r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 2);
    s_checkpoint (); /* the new key's, after the old ones */
    r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
    ck_assert_int_eq (r.uncovered, 0);
}
END_TEST

/* This node's own signature over a seq the log does not reach: entries it
   covered were deleted. */
START_TEST (test_checkpoint_beyond_the_log_is_truncation)
{
    uint8_t h[STORE_HASHBYTES] = {7};
    store_checkpoint_t c = s_signed_cp (node_sign_key (s_node), LAST + 5, h);
    s_put_cp (&c);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_TRUNCATED, LAST + 5);
    ASSERT_REASON_HAS (r, "covers entry 17, but the log ends at 12");
}
END_TEST

/* An entry put before the first, at seq 0 (written past the table's
   CHECK): named as inserted there. It was once named a gap at seq 1
   ("entries 1 to -1 are missing"), an entry that is there and intact. */
START_TEST (test_inserted_before_the_first_is_named)
{
    s_sql ("PRAGMA ignore_check_constraints = ON;"
           "INSERT INTO audit (seq, at, actor, action, object, peer, purpose, decision, rule, "
           "detail, hash) SELECT 0, at, 'user:mallory', 'export', object, peer, purpose, 'allow',"
           " 'local.export', 'exported nothing', hash FROM audit WHERE seq = 1;");
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, 0);
    ASSERT_REASON_HAS (r, "entry 0 comes before the log's first entry (seq 1): it was inserted");
}
END_TEST

/* A checkpoint row the store refuses to read is named in the reason. */
START_TEST (test_unreadable_checkpoint_is_named)
{
    s_sql ("PRAGMA ignore_check_constraints = ON;"
           "UPDATE audit_checkpoints SET sig = X'00' WHERE seq = %d", LAST);
    node_audit_report_t r = s_verify ();
    ck_assert_msg (r.problem == NODE_AUDIT_UNREADABLE, "got %s: %s",
                   node_audit_problem_name (r.problem), r.reason);
    ASSERT_REASON_HAS (r, "audit checkpoint at seq 12");
}
END_TEST

/* ---- the log cut short --------------------------------------------------------- */

START_TEST (test_truncated_after_a_checkpoint_is_named)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit WHERE seq > %d", LAST - 2), 2);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_TRUNCATED, LAST);
    ASSERT_REASON_HAS (r, "covers entry 12, but the log ends at 10");
    ck_assert_int_eq (r.checkpoints, 1);
}
END_TEST

START_TEST (test_truncated_to_nothing_is_named)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit"), LAST);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_TRUNCATED, CP1);
    ASSERT_REASON_HAS (r, "the log is empty");
}
END_TEST

/* Without any checkpoint, an empty log still cannot be a node's. */
START_TEST (test_emptied_without_checkpoints_is_a_gap)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit"), LAST);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_GAP, 1);
    ASSERT_REASON_HAS (r, "the log is empty");
}
END_TEST

/* ---- the running node's own check before it signs ---------------------------------

   Holding the run lock, a node signs a checkpoint once
   NODE_AUDIT_CHECKPOINT_EVERY entries have been appended since the last,
   after walking them; over a broken link it signs nothing. */

static void s_append_running (int count)
{
    ck_assert_msg (node_lock_run (s_node) == 0, "%s", node_error (s_node));
    for (int i = 0; i < count; i++)
        ck_assert_int_eq (node_audit (s_node, "node", "receive", "sus/apc", "04V", "allow",
                                      "policy.allow", "running %d", i),
                          0);
    node_unlock_run (s_node);
}

START_TEST (test_running_node_signs_an_intact_log)
{
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY);
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (s_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST + NODE_AUDIT_CHECKPOINT_EVERY);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 3);
}
END_TEST

START_TEST (test_running_node_does_not_sign_over_an_edited_entry)
{
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY / 2);
    s_edit (LAST + 3, S_FLIP_DECISION);
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY / 2);
    ck_assert_int_eq (s_node->audit_tried, LAST + NODE_AUDIT_CHECKPOINT_EVERY); /* it looked */
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (s_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST);
    node_audit_report_t r = s_verify ();
    ASSERT_PROBLEM (r, NODE_AUDIT_HASH, LAST + 3);
}
END_TEST

/* The entry the last checkpoint signed deleted: the next one appended
   takes its seq, and is not the one signed. */
START_TEST (test_running_node_does_not_sign_after_its_anchor_was_cut)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit WHERE seq = %d", LAST), 1);
    s_append_running (NODE_AUDIT_CHECKPOINT_EVERY + 1);
    ck_assert_int_eq (s_node->audit_tried, LAST + NODE_AUDIT_CHECKPOINT_EVERY); /* it looked */
    store_checkpoint_t c;
    ck_assert_int_eq (store_checkpoint_last (node_db (s_node), &c), 0);
    ck_assert_int_eq (c.seq, LAST);
}
END_TEST

/* ---- known gaps (SECURITY.md, known gaps: the audit log's limits) ----------------

   What the verifier cannot see without a checkpoint held outside the
   node. Each test asserts that verify passes today: if one starts to
   fail, a gap was closed, and SECURITY.md and this test change together. */

/* Entries after the last signed checkpoint cut off the end. */
START_TEST (test_known_gap_tail_cut)
{
    s_append_until (LAST + 4);
    ck_assert_int_eq (s_sql ("DELETE FROM audit WHERE seq > %d", LAST), 4);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.last_seq, LAST);
    ck_assert_int_eq (r.uncovered, 0);
}
END_TEST

/* A suffix of entries deleted together with the checkpoints covering it. */
START_TEST (test_known_gap_tail_cut_with_its_checkpoints)
{
    ck_assert_int_eq (s_sql ("DELETE FROM audit WHERE seq > %d", CP1), LAST - CP1);
    ck_assert_int_eq (s_sql ("DELETE FROM audit_checkpoints WHERE seq > %d", CP1), 1);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.last_seq, CP1);
    ck_assert_int_eq (r.checkpoint_seq, CP1);
}
END_TEST

/* The checkpoints are in the same file: deleted, they cover nothing, and
   what they covered is after the last checkpoint left, editable as above.
   Only a checkpoint held elsewhere shows it. */
START_TEST (test_known_gap_rechained_behind_deleted_checkpoints)
{
    s_edit (MID, S_FLIP_DECISION);
    s_rechain ();
    ck_assert_int_eq (s_sql ("DELETE FROM audit_checkpoints WHERE seq > %d", CP1), 1);
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoint_seq, CP1);
    ck_assert_int_eq (r.uncovered, LAST - CP1);
}
END_TEST

/* An entry edited before the first checkpoint, every later hash
   recomputed. */
START_TEST (test_known_gap_rechained_before_any_checkpoint)
{
    s_edit (MID, S_FLIP_DECISION);
    s_rechain ();
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 0);
    ck_assert_int_eq (r.uncovered, LAST);
}
END_TEST

/* The same after the last checkpoint: entries not yet covered, edited and
   rechained, or forged and appended with their hashes, pass as not yet
   covered (SECURITY.md names cutting them; editing them is the same
   limit). */
START_TEST (test_known_gap_rechained_after_the_last_checkpoint)
{
    s_append_until (LAST + 3);
    s_edit (LAST + 2, S_FLIP_DECISION);
    s_rechain ();
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoint_seq, LAST);
    ck_assert_int_eq (r.uncovered, 3);
}
END_TEST

/* Whoever can write the home's key files can sign: a key put into
   keys/old/ is taken for one this node had (the signature is checked
   against the keys in the node's own home). */
START_TEST (test_known_gap_key_planted_in_keys_old)
{
    cx_keypair_t *planted = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (planted);
    char path[PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/keys/old", s_home);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/keys/old/sign-planted.key", s_home);
    ck_assert_int_eq (cx_keypair_save (planted, path), 0);
    s_edit (MID, S_FLIP_DECISION);
    s_rechain ();
    uint8_t h[STORE_HASHBYTES];
    s_stored_hash (LAST, h);
    /* the checkpoint at LAST replaced by one over the rewritten chain */
    ck_assert_int_eq (s_sql ("DELETE FROM audit_checkpoints WHERE seq = %d", LAST), 1);
    store_checkpoint_t c = s_signed_cp (planted, LAST, h);
    cx_keypair_destroy (&planted);
    s_put_cp (&c);
    node_close (&s_node);
    s_open ();
    node_audit_report_t r = s_verify ();
    ASSERT_OK (r);
    ck_assert_int_eq (r.checkpoints, 2);
}
END_TEST

/* ---- suite --------------------------------------------------------------------- */

static TCase *s_tcase (const char *name, void (*setup) (void))
{
    TCase *tc = tcase_create (name);
    tcase_add_checked_fixture (tc, setup, s_teardown);
    return tc;
}

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

static Suite *s_suite (void)
{
    Suite *s = suite_create ("audit");

    TCase *tc = s_tcase ("intact", s_setup);
    tcase_add_test (tc, test_intact_log_passes);
    tcase_add_test (tc, test_intact_log_reports_entries_not_yet_covered);
    suite_add_tcase (s, tc);

    tc = s_tcase ("edited", s_setup);
    tcase_add_loop_test (tc, test_field_edited_is_named, 0, N (s_edits));
    tcase_add_test (tc, test_seq_changed_is_a_gap);
    tcase_add_test (tc, test_unreadable_entry_is_named);
    suite_add_tcase (s, tc);

    tc = s_tcase ("edited-uncovered", s_setup_bare);
    tcase_add_loop_test (tc, test_field_edited_before_any_checkpoint_is_named, 0, N (s_edits));
    tcase_add_test (tc, test_emptied_without_checkpoints_is_a_gap);
    suite_add_tcase (s, tc);

    tc = s_tcase ("moved", s_setup);
    tcase_add_test (tc, test_deleted_from_the_middle_is_a_gap);
    tcase_add_test (tc, test_several_deleted_from_the_middle_is_a_gap);
    tcase_add_test (tc, test_deleted_and_renumbered_is_a_gap);
    tcase_add_test (tc, test_first_deleted_and_renumbered_is_a_gap);
    tcase_add_test (tc, test_neighbours_swapped_is_reordered);
    tcase_add_test (tc, test_contents_swapped_is_reordered);
    tcase_add_test (tc, test_rows_swapped_is_reordered);
    tcase_add_test (tc, test_inserted_and_renumbered_is_named);
    tcase_add_test (tc, test_inserted_with_its_own_hash_is_named);
    tcase_add_test (tc, test_appended_without_its_hash_is_named);
    tcase_add_test (tc, test_inserted_before_the_first_is_named);
    suite_add_tcase (s, tc);

    tc = s_tcase ("rechained", s_setup);
    tcase_add_test (tc, test_rechained_after_a_checkpoint_is_named);
    tcase_add_test (tc, test_rechained_before_the_first_checkpoint_is_named);
    tcase_add_test (tc, test_deleted_renumbered_and_rechained_is_named);
    suite_add_tcase (s, tc);

    tc = s_tcase ("checkpoints", s_setup);
    tcase_add_test (tc, test_checkpoint_signature_altered_is_named);
    tcase_add_test (tc, test_checkpoint_hash_altered_is_named);
    tcase_add_test (tc, test_checkpoint_seq_altered_is_named);
    tcase_add_test (tc, test_checkpoint_by_a_stranger_is_named);
    tcase_add_test (tc, test_checkpoint_by_this_node_over_the_same_message_passes);
    tcase_add_test (tc, test_checkpoint_by_a_stranger_beyond_the_log_is_named);
    tcase_add_test (tc, test_checkpoint_by_a_rotated_key_is_accepted);
    tcase_add_test (tc, test_checkpoint_beyond_the_log_is_truncation);
    tcase_add_test (tc, test_unreadable_checkpoint_is_named);
    suite_add_tcase (s, tc);

    tc = s_tcase ("truncated", s_setup);
    tcase_add_test (tc, test_truncated_after_a_checkpoint_is_named);
    tcase_add_test (tc, test_truncated_to_nothing_is_named);
    suite_add_tcase (s, tc);

    tc = s_tcase ("running", s_setup);
    tcase_add_test (tc, test_running_node_signs_an_intact_log);
    tcase_add_test (tc, test_running_node_does_not_sign_over_an_edited_entry);
    tcase_add_test (tc, test_running_node_does_not_sign_after_its_anchor_was_cut);
    suite_add_tcase (s, tc);

    tc = s_tcase ("known-gaps", s_setup);
    tcase_add_test (tc, test_known_gap_tail_cut);
    tcase_add_test (tc, test_known_gap_tail_cut_with_its_checkpoints);
    tcase_add_test (tc, test_known_gap_rechained_after_the_last_checkpoint);
    tcase_add_test (tc, test_known_gap_rechained_behind_deleted_checkpoints);
    tcase_add_test (tc, test_known_gap_key_planted_in_keys_old);
    suite_add_tcase (s, tc);

    tc = s_tcase ("known-gaps-uncovered", s_setup_bare);
    tcase_add_test (tc, test_known_gap_rechained_before_any_checkpoint);
    suite_add_tcase (s, tc);
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
