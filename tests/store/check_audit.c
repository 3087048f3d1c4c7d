/*  check_audit: the audit log and its checkpoints (store/audit.c).

    Entries are appended with contiguous seq, hash-chained as SPEC.md
    says (its vectors included), length-prefixed, one chain across handles
    and processes, inside the caller's transaction; the log is append-only
    in SQL, a listing ends where the log ended when it began and refuses a
    write from its callback, edited rows are read and a damaged tail is
    refused; checkpoints are kept in order and append-only.

    Not for: checking the chain or signing checkpoints (node/audit.c).
*/
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cx.h"
#include "spec_vectors.h"

START_TEST (test_audit_append_assigns_increasing_seq)
{
    store_t *s = fx_open (1);
    time_t before = time (NULL);
    const char *actions[] = {"init", "publish", "refuse"};
    for (int i = 0; i < 3; i++) {
        store_audit_t e = fx_audit (actions[i], "detail");
        if (i == 2) snprintf (e.decision, sizeof e.decision, "refuse");
        ck_ok (s, store_audit_append (s, &e));
    }
    time_t after = time (NULL);
    fx_audits_t a = {0};
    ck_ok (s, store_audit_each (s, fx_see_audit, &a));
    ck_assert_int_eq (a.count, 3);
    ck_assert_int_ge (a.seqs[0], 1);
    ck_assert_int_gt (a.seqs[1], a.seqs[0]);
    ck_assert_int_gt (a.seqs[2], a.seqs[1]);
    ck_assert_int_ne (a.seqs[0], 999); /* ignored */
    ck_assert_str_eq (a.last.action, "refuse");
    ck_assert_str_eq (a.last.decision, "refuse");
    ck_assert_str_eq (a.last.actor, "user:alice");
    ck_assert_str_eq (a.last.object, "topic/x");
    ck_assert_str_eq (a.last.peer, "04V");
    ck_assert_str_eq (a.last.rule, "local.admin");
    ck_assert_str_eq (a.last.detail, "detail");
    ck_assert_int_ge (a.last.at, before);
    ck_assert_int_le (a.last.at, after);

    store_audit_t bad = fx_audit ("x", "y");
    snprintf (bad.decision, sizeof bad.decision, "maybe");
    ck_assert_int_eq (store_audit_append (s, &bad), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_log_is_append_only_in_sql)
{
    store_t *s = fx_open (1);
    store_audit_t e = fx_audit ("init", "created");
    ck_ok (s, store_audit_append (s, &e));
    store_close (&s);
    ck_assert_int_ne (fx_raw_exec ("UPDATE audit SET detail = 'rewritten'"), SQLITE_OK);
    ck_assert_int_ne (fx_raw_exec ("DELETE FROM audit"), SQLITE_OK);
    char detail[64];
    fx_raw_text ("SELECT detail FROM audit", detail, sizeof detail);
    ck_assert_str_eq (detail, "created");
}
END_TEST

typedef struct {
    store_t *s;
    int visits;
} s_audit_more_t;

static int s_audit_more (const store_audit_t *e, void *arg)
{
    s_audit_more_t *m = arg;
    (void)e;
    if (++m->visits > 50) return 1;
    store_audit_t more = fx_audit ("export", "appended while listing");
    return store_audit_append (m->s, &more) == 0 ? 0 : 2;
}

START_TEST (test_audit_each_ends_at_the_entry_last_when_it_began)
{
    store_t *s = fx_open (1);
    for (int i = 0; i < 3; i++) {
        store_audit_t e = fx_audit ("publish", "x");
        ck_ok (s, store_audit_append (s, &e));
    }
    /* Inside a write transaction a callback may append. */
    s_audit_more_t m = {s, 0};
    ck_ok (s, store_begin (s));
    ck_ok (s, store_audit_each (s, s_audit_more, &m));
    ck_ok (s, store_commit (s));
    ck_assert_int_eq (m.visits, 3);
    fx_audits_t a = {0};
    ck_ok (s, store_audit_each (s, fx_see_audit, &a));
    ck_assert_int_eq (a.count, 6);
    store_close (&s);
}
END_TEST

/* The audit log is streamed (it may be too long to hold): a write from its
   callback outside a transaction would meet SQLITE_BUSY under concurrency,
   so it is refused every time, with a reason. */
START_TEST (test_audit_each_refuses_a_write_from_its_callback)
{
    store_t *s = fx_open (1);
    store_audit_t e = fx_audit ("publish", "x");
    ck_ok (s, store_audit_append (s, &e));
    s_audit_more_t m = {s, 0};
    ck_assert_int_eq (store_audit_each (s, s_audit_more, &m), 2);
    ck_assert_ptr_nonnull (strstr (store_error (s), "from inside a listing of the audit log"));
    fx_audits_t a = {0};
    ck_ok (s, store_audit_each (s, fx_see_audit, &a));
    ck_assert_int_eq (a.count, 1);
    store_close (&s);
}
END_TEST

/* Collects up to 64 entries and checks as it goes that each is chained to
   the one before: hash = H(previous hash || store_audit_encode (entry)). */
typedef struct {
    int count;
    int broken; /* seq of the first bad link, 0 if none */
    uint8_t prev[STORE_HASHBYTES];
    store_audit_t rows[64];
} s_chain_t;

static int s_see_chain (const store_audit_t *e, void *arg)
{
    s_chain_t *c = arg;
    uint8_t buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (c->prev, e, buf, sizeof buf);
    ck_assert_uint_gt (len, 0);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    if (memcmp (h, e->hash, sizeof h) != 0 && !c->broken) c->broken = (int)e->seq;
    memcpy (c->prev, e->hash, sizeof c->prev);
    if (c->count < 64) c->rows[c->count] = *e;
    c->count++;
    return 0;
}

static s_chain_t *s_chain (store_t *s)
{
    s_chain_t *c = calloc (1, sizeof *c);
    ck_assert_ptr_nonnull (c);
    ck_ok (s, store_audit_each (s, s_see_chain, c));
    return c;
}

START_TEST (test_audit_entries_are_hash_chained)
{
    store_t *s = fx_open (1);
    for (int i = 0; i < 5; i++) {
        store_audit_t e = fx_audit ("publish", "x");
        snprintf (e.detail, sizeof e.detail, "entry %d", i);
        ck_ok (s, store_audit_append (s, &e));
    }
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 5);
    ck_assert_int_eq (c->broken, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq (c->rows[i].seq, i + 1);
    /* The first entry follows 32 zero bytes; every hash differs. */
    uint8_t zero[STORE_HASHBYTES] = {0}, buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (zero, &c->rows[0], buf, sizeof buf);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    ck_assert_mem_eq (h, c->rows[0].hash, sizeof h);
    ck_assert_int_ne (memcmp (c->rows[0].hash, c->rows[1].hash, STORE_HASHBYTES), 0);
    store_audit_t last;
    ck_ok (s, store_audit_last (s, &last));
    ck_assert_int_eq (last.seq, 5);
    ck_assert_mem_eq (last.hash, c->rows[4].hash, STORE_HASHBYTES);
    /* Listing from a seq starts there. */
    fx_audits_t a = {0};
    ck_ok (s, store_audit_each_from (s, 4, fx_see_audit, &a));
    ck_assert_int_eq (a.count, 2);
    ck_assert_int_eq (a.seqs[0], 4);
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_encoding_is_length_prefixed)
{
    uint8_t prev[STORE_HASHBYTES];
    memset (prev, 0xAB, sizeof prev);
    store_audit_t a = fx_audit ("publish", "x"), b = a;
    a.seq = b.seq = 0x0102030405060708;
    a.at = b.at = 1700000000;
    snprintf (a.actor, sizeof a.actor, "ab");
    snprintf (a.action, sizeof a.action, "c");
    snprintf (b.actor, sizeof b.actor, "a");
    snprintf (b.action, sizeof b.action, "bc");
    uint8_t ea[STORE_AUDIT_ENCODED_MAX], eb[STORE_AUDIT_ENCODED_MAX];
    size_t la = store_audit_encode (prev, &a, ea, sizeof ea);
    size_t lb = store_audit_encode (prev, &b, eb, sizeof eb);
    ck_assert_uint_eq (la, lb);
    ck_assert_int_ne (memcmp (ea, eb, la), 0); /* same bytes, other boundaries */
    /* prev | seq (8, big-endian) | at (8) | len (4) "ab" | len (4) "c" ... */
    static const uint8_t head[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0,
                                   0,    0,    0,    0x65, 0x53, 0xF1, 0x00, 0,    0,
                                   0,    2,    'a',  'b',  0,    0,    0,    1,    'c'};
    ck_assert_mem_eq (ea, prev, STORE_HASHBYTES);
    ck_assert_mem_eq (ea + STORE_HASHBYTES, head, sizeof head);
    ck_assert_uint_eq (la, STORE_HASHBYTES + 16 + 8 * 4 + strlen (a.actor) + strlen (a.action) +
                               strlen (a.object) + strlen (a.peer) + strlen (a.purpose) +
                               strlen (a.decision) + strlen (a.rule) + strlen (a.detail));
    /* Too small a buffer, or an unterminated field: 0. */
    ck_assert_uint_eq (store_audit_encode (prev, &a, ea, la - 1), 0);
    memset (a.rule, 'r', sizeof a.rule);
    ck_assert_uint_eq (store_audit_encode (prev, &a, ea, sizeof ea), 0);
}
END_TEST

START_TEST (test_audit_purpose_round_trips)
{
    store_t *s = fx_open (1);
    store_audit_t e = fx_audit ("export", "x");
    snprintf (e.purpose, sizeof e.purpose, "invoice-validation");
    ck_ok (s, store_audit_append (s, &e));
    store_audit_t none = fx_audit ("export", "y");
    ck_ok (s, store_audit_append (s, &none));
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 2);
    ck_assert_str_eq (c->rows[0].purpose, "invoice-validation");
    ck_assert_str_eq (c->rows[1].purpose, "");
    ck_assert_int_eq (c->broken, 0);
    /* The purpose is covered by the hash. */
    store_audit_t other = c->rows[0];
    snprintf (other.purpose, sizeof other.purpose, "commissioning");
    uint8_t zero[STORE_HASHBYTES] = {0}, buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (zero, &other, buf, sizeof buf);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    ck_assert_int_ne (memcmp (h, c->rows[0].hash, sizeof h), 0);
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_seq_is_contiguous_across_two_handles)
{
    store_t *node = fx_open (1);
    store_t *cli = fx_open (0);
    for (int i = 0; i < 10; i++) {
        store_audit_t e = fx_audit ("send", "from the node");
        ck_ok (node, store_audit_append (node, &e));
        store_audit_t f = fx_audit ("publish", "from the command line");
        ck_ok (cli, store_audit_append (cli, &f));
    }
    s_chain_t *c = s_chain (node);
    ck_assert_int_eq (c->count, 20);
    ck_assert_int_eq (c->broken, 0);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq (c->rows[i].seq, i + 1);
        ck_assert_str_eq (c->rows[i].action, i % 2 ? "publish" : "send");
    }
    free (c);
    store_close (&cli);
    store_close (&node);
}
END_TEST

/* Processes appending at the same moment still make one chain. */
START_TEST (test_audit_concurrent_processes_make_one_chain)
{
    store_t *s = fx_open (1);
    store_close (&s);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork ();
        ck_assert_int_ge (kids[k], 0);
        if (kids[k] == 0) {
            char err[256];
            store_t *mine = store_open (fx_db, 0, err, sizeof err);
            if (!mine) _exit (2);
            store_set_hasher (mine, cx_hash_buf);
            for (int i = 0; i < 20; i++) {
                store_audit_t e = fx_audit ("send", "concurrent");
                if (store_audit_append (mine, &e) != 0) _exit (3);
            }
            store_close (&mine);
            _exit (0);
        }
    }
    for (int k = 0; k < 3; k++) {
        int status = 0;
        ck_assert_int_eq (waitpid (kids[k], &status, 0), kids[k]);
        ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "child %d failed", k);
    }
    s = fx_open (0);
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 60);
    ck_assert_int_eq (c->broken, 0);
    for (int i = 0; i < 60; i++)
        ck_assert_int_eq (c->rows[i].seq, i + 1);
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_append_joins_the_callers_transaction)
{
    store_t *s = fx_open (1);
    store_audit_t e = fx_audit ("init", "first");
    ck_ok (s, store_audit_append (s, &e));
    ck_ok (s, store_begin (s));
    e = fx_audit ("publish", "rolled back");
    ck_ok (s, store_audit_append (s, &e));
    ck_ok (s, store_rollback (s));
    ck_ok (s, store_begin (s));
    e = fx_audit ("publish", "kept");
    ck_ok (s, store_audit_append (s, &e));
    ck_ok (s, store_commit (s));
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 2);
    ck_assert_int_eq (c->broken, 0);
    ck_assert_int_eq (c->rows[1].seq, 2);
    ck_assert_str_eq (c->rows[1].detail, "kept");
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_append_needs_a_hasher)
{
    store_t *s = fx_open (1);
    store_close (&s);
    char err[256];
    s = store_open (fx_db, 0, err, sizeof err);
    ck_assert_ptr_nonnull (s);
    store_audit_t e = fx_audit ("init", "x");
    ck_assert_int_eq (store_audit_append (s, &e), -1);
    ck_has (store_error (s), "hash");
    store_close (&s);
    ck_assert_int_eq (fx_raw_int ("SELECT count(*) FROM audit"), 0);
}
END_TEST

/* An entry another program edited is still read as it is (checking it is
   the node's job); a tail whose hash is damaged stops appends. */
START_TEST (test_audit_edited_rows_are_read_and_a_damaged_tail_refused)
{
    store_t *s = fx_open (1);
    for (int i = 0; i < 3; i++) {
        store_audit_t e = fx_audit ("publish", "x");
        ck_ok (s, store_audit_append (s, &e));
    }
    ck_assert_int_eq (fx_raw_exec ("DROP TRIGGER audit_no_update;"
                                   "UPDATE audit SET detail = 'edited' WHERE seq = 2"),
                      SQLITE_OK);
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 3);
    ck_assert_str_eq (c->rows[1].detail, "edited");
    ck_assert_int_eq (c->broken, 2);
    free (c);
    ck_assert_int_eq (fx_raw_exec ("PRAGMA ignore_check_constraints = ON;"
                                   "UPDATE audit SET hash = zeroblob (31) WHERE seq = 3"),
                      SQLITE_OK);
    store_audit_t e = fx_audit ("publish", "after");
    ck_assert_int_eq (store_audit_append (s, &e), -1);
    ck_has (store_error (s), "seq 3");
    fx_audits_t a = {0};
    ck_assert_int_eq (store_audit_each (s, fx_see_audit, &a), -1);
    ck_has (store_error (s), "audit entry 3");
    store_close (&s);
}
END_TEST

static int s_see_checkpoint (const store_checkpoint_t *cp, void *arg)
{
    fx_seen_t *seen = arg;
    char key[160];
    snprintf (key, sizeof key, "%lld:%02x:%02x", (long long)cp->seq, cp->hash[0], cp->sig[0]);
    return fx_note (seen, key);
}

START_TEST (test_checkpoints_are_kept_in_order_and_append_only)
{
    store_t *s = fx_open (1);
    store_checkpoint_t cp;
    ck_assert_int_eq (store_checkpoint_last (s, &cp), STORE_NOTFOUND);
    store_checkpoint_t a = {.seq = 100}, b = {.seq = 7};
    memset (a.hash, 0x11, sizeof a.hash);
    memset (a.sig, 0x22, sizeof a.sig);
    memset (b.hash, 0x33, sizeof b.hash);
    memset (b.sig, 0x44, sizeof b.sig);
    ck_ok (s, store_checkpoint_put (s, &a));
    ck_ok (s, store_checkpoint_put (s, &b));
    store_checkpoint_t again = a;
    memset (again.sig, 0x99, sizeof again.sig);
    ck_ok (s, store_checkpoint_put (s, &again)); /* the first one stays */
    ck_ok (s, store_checkpoint_last (s, &cp));
    ck_assert_int_eq (cp.seq, 100);
    ck_assert_mem_eq (cp.sig, a.sig, sizeof cp.sig);
    ck_assert_int_gt (cp.at, 0);
    fx_seen_t seen = {0};
    ck_ok (s, store_checkpoint_each (s, s_see_checkpoint, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "7:33:44");
    ck_assert_str_eq (seen.keys[1], "100:11:22");
    store_close (&s);
    ck_assert_int_ne (fx_raw_exec ("UPDATE audit_checkpoints SET seq = 8 WHERE seq = 7"),
                      SQLITE_OK);
    ck_assert_int_ne (fx_raw_exec ("DELETE FROM audit_checkpoints"), SQLITE_OK);
    ck_assert_int_eq (fx_raw_int ("SELECT count(*) FROM audit_checkpoints"), 2);
}
END_TEST

/* SPEC.md 18.22: the byte layout an entry's chain hash covers, and the
   hashes of two entries chained from 32 zero bytes, as another
   implementation (reading an export, cdx audit reconcile) computes them. */
static void s_spec_entry (store_audit_t *e, int64_t seq, int64_t at, const char *const f[8])
{
    memset (e, 0, sizeof *e);
    e->seq = seq;
    e->at = at;
    char *const dst[8] = {e->actor,   e->action,   e->object, e->peer,
                          e->purpose, e->decision, e->rule,   e->detail};
    const size_t cap[8] = {sizeof e->actor, sizeof e->action,  sizeof e->object,
                           sizeof e->peer,  sizeof e->purpose, sizeof e->decision,
                           sizeof e->rule,  sizeof e->detail};
    for (int i = 0; i < 8; i++)
        snprintf (dst[i], cap[i], "%s", f[i]);
}

START_TEST (test_audit_chain_matches_spec_vector)
{
    ck_assert_int_eq (cx_init (), 0);
    const char *const encoded[2] = {SPEC_AUDIT1_ENCODED, SPEC_AUDIT2_ENCODED};
    const char *const hashes[2] = {SPEC_AUDIT1_HASH, SPEC_AUDIT2_HASH};
    const char *const *fields[2] = {SPEC_AUDIT1_FIELDS, SPEC_AUDIT2_FIELDS};
    const int64_t at[2] = {SPEC_AUDIT1_AT, SPEC_AUDIT2_AT};
    uint8_t prev[STORE_HASHBYTES] = {0};
    for (int i = 0; i < 2; i++) {
        store_audit_t e;
        s_spec_entry (&e, i + 1, at[i], fields[i]);
        uint8_t buf[STORE_AUDIT_ENCODED_MAX], want[STORE_AUDIT_ENCODED_MAX];
        uint8_t h[STORE_HASHBYTES], wh[STORE_HASHBYTES];
        size_t len = store_audit_encode (prev, &e, buf, sizeof buf);
        ck_assert_uint_eq (2 * len, strlen (encoded[i]));
        ck_assert_int_eq (cx_unhex (encoded[i], want, len), 0);
        ck_assert_mem_eq (buf, want, len);
        ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
        ck_assert_int_eq (cx_unhex (hashes[i], wh, sizeof wh), 0);
        ck_assert_mem_eq (h, wh, sizeof h);
        memcpy (prev, h, sizeof prev);
    }
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_audit");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "audit");
    tcase_add_test (tc, test_audit_append_assigns_increasing_seq);
    tcase_add_test (tc, test_audit_log_is_append_only_in_sql);
    tcase_add_test (tc, test_audit_each_ends_at_the_entry_last_when_it_began);
    tcase_add_test (tc, test_audit_each_refuses_a_write_from_its_callback);
    tcase_add_test (tc, test_audit_entries_are_hash_chained);
    tcase_add_test (tc, test_audit_chain_matches_spec_vector);
    tcase_add_test (tc, test_audit_encoding_is_length_prefixed);
    tcase_add_test (tc, test_audit_purpose_round_trips);
    tcase_add_test (tc, test_audit_seq_is_contiguous_across_two_handles);
    tcase_add_test (tc, test_audit_concurrent_processes_make_one_chain);
    tcase_add_test (tc, test_audit_append_joins_the_callers_transaction);
    tcase_add_test (tc, test_audit_append_needs_a_hasher);
    tcase_add_test (tc, test_audit_edited_rows_are_read_and_a_damaged_tail_refused);
    tcase_add_test (tc, test_checkpoints_are_kept_in_order_and_append_only);
    return suite;
}
