/*  check_rows: values in and out of rows, and listings (store/sql.c).

    Metacharacters round-trip, an unterminated field is refused, and a
    value another program left too long or a blob of the wrong size is
    refused, never truncated, and a state it wrote that states.def does
    not hold is refused, never read as another; every state's word round-
    trips; a listing's callback may write, list again
    or write after another connection did.

    Not for: what one table keeps (check_peers.c and the others).
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

START_TEST (test_metacharacters_round_trip)
{
    static const char *nasty[] = {
        "O'Brien",
        "Robert'); DROP TABLE peers;--",
        "\"quoted\" and 'single' and `back`",
        "%s%n%x %% \\ \\\\ ?1 :name @x $y",
        "line\nbreak\ttab\r",
        "unicode: \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x92",
        "; DELETE FROM audit; SELECT '",
        "",
    };
    store_t *s = fx_open (1);
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
        char org[17];
        snprintf (org, sizeof org, "O%zu'\"", i);
        store_peer_t p = fx_peer (org, (uint8_t)(i + 1));
        snprintf (p.name, sizeof p.name, "%s", nasty[i]);
        snprintf (p.card, sizeof p.card, "%s", nasty[i]);
        ck_ok (s, store_peer_put (s, &p));
        store_peer_t got;
        ck_ok (s, store_peer_get (s, org, &got));
        ck_assert_str_eq (got.name, nasty[i]);
        ck_assert_str_eq (got.card, nasty[i]);

        store_audit_t e = fx_audit ("receive", nasty[i]);
        snprintf (e.object, sizeof e.object, "%s", nasty[i]);
        ck_ok (s, store_audit_append (s, &e));
        fx_audits_t a = {0};
        ck_ok (s, store_audit_each (s, fx_see_audit, &a));
        ck_assert_str_eq (a.last.detail, nasty[i]);
        ck_assert_str_eq (a.last.object, nasty[i]);

        char id[16];
        snprintf (id, sizeof id, "id'%zu", i);
        store_dataset_t d = fx_dataset (id, org, nasty[i], 1);
        ck_ok (s, store_dataset_put (s, &d));
        ck_assert_int_eq (store_dataset_last_version (s, org, nasty[i]), 1);
        store_dataset_t gd;
        ck_ok (s, store_dataset_get (s, id, &gd));
        ck_assert_str_eq (gd.topic, nasty[i]);
    }
    fx_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, fx_see_peer, &seen));
    ck_assert_int_eq (seen.count, (int)(sizeof nasty / sizeof nasty[0]));
    ck_ok (s, store_check (s));
    store_close (&s);
}
END_TEST

START_TEST (test_unterminated_field_is_refused)
{
    store_t *s = fx_open (1);
    store_peer_t p = fx_peer ("04V", 1);
    memset (p.org, 'A', sizeof p.org);
    ck_assert_int_eq (store_peer_put (s, &p), -1);
    ck_has (store_error (s), "org");
    store_audit_t e = fx_audit ("x", "y");
    memset (e.detail, 'z', sizeof e.detail);
    ck_assert_int_eq (store_audit_append (s, &e), -1);
    ck_has (store_error (s), "detail");
    fx_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, fx_see_peer, &seen));
    ck_assert_int_eq (seen.count, 0);
    store_close (&s);
}
END_TEST

START_TEST (test_value_too_long_in_file_is_refused_not_truncated)
{
    store_t *s = fx_open (1);
    store_peer_t p = fx_peer ("04V", 1);
    ck_ok (s, store_peer_put (s, &p));
    /* Another program writes an org code longer than the field. */
    ck_assert_int_eq (fx_raw_exec ("UPDATE peers SET org = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"),
                      SQLITE_OK);
    fx_seen_t seen = {0};
    ck_assert_int_eq (store_peer_each (s, fx_see_peer, &seen), -1);
    ck_assert_int_eq (seen.count, 0);
    ck_has (store_error (s), "peers.org");
    ck_has (store_error (s), "truncate");
    store_peer_t got;
    ck_assert_int_eq (store_peer_by_curve (s, p.curve_pk, &got), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_blob_of_wrong_size_in_file_is_refused)
{
    store_t *s = fx_open (1);
    store_peer_t p = fx_peer ("04V", 1);
    ck_ok (s, store_peer_put (s, &p));
    sqlite3 *db = fx_raw_open ();
    ck_assert_int_eq (sqlite3_exec (db,
                                    "PRAGMA ignore_check_constraints = ON;"
                                    "UPDATE peers SET box_pk = zeroblob (31);",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    store_peer_t got;
    ck_assert_int_eq (store_peer_get (s, "04V", &got), -1);
    ck_has (store_error (s), "box_pk");
    ck_has (store_error (s), "exactly 32");
    store_close (&s);
}
END_TEST

/* Every state's word parses back to it; a word not in states.def, and a
   value outside an enum, have none. */
START_TEST (test_state_words_round_trip)
{
    store_dataset_state_t ds;
    for (int i = STORE_DS_PUBLISHED; i <= STORE_DS_ERASED; i++) {
        ck_assert_int_eq (store_dataset_state_parse (store_dataset_state_name (i), &ds), 0);
        ck_assert_int_eq (ds, i);
    }
    store_sub_state_t sub;
    for (int i = STORE_SUB_REQUESTED; i <= STORE_SUB_ENDED; i++) {
        ck_assert_int_eq (store_sub_state_parse (store_sub_state_name (i), &sub), 0);
        ck_assert_int_eq (sub, i);
    }
    store_delivery_state_t dl;
    for (int i = STORE_DL_QUEUED; i <= STORE_DL_CANCELLED; i++) {
        ck_assert_int_eq (store_delivery_state_parse (store_delivery_state_name (i), &dl), 0);
        ck_assert_int_eq (dl, i);
    }
    ck_assert_str_eq (store_dataset_state_name (STORE_DS_AVAILABLE), "available");
    ck_assert_str_eq (store_sub_state_name (STORE_SUB_ENDING), "ending");
    ck_assert_str_eq (store_delivery_state_name (STORE_DL_SUPERSEDED), "superseded");
    ck_assert_int_eq (store_dataset_state_parse ("lost", &ds), -1);
    ck_assert_int_eq (store_sub_state_parse ("", &sub), -1);
    ck_assert_int_eq (store_delivery_state_parse ("Queued", &dl), -1);
    ck_assert_ptr_null (store_dataset_state_name ((store_dataset_state_t)(STORE_DS_ERASED + 1)));
    ck_assert_ptr_null (store_delivery_state_name ((store_delivery_state_t)-1));
}
END_TEST

/* Another program writes a state this cdx does not know: the row is
   refused, naming the table and the word, never read as another state. */
START_TEST (test_unknown_state_in_file_is_refused)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "QWE");
    snprintf (sub.subscriber, sizeof sub.subscriber, "04V");
    snprintf (sub.topic, sizeof sub.topic, "t");
    sub.state = STORE_SUB_ACTIVE;
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_delivery_add (s, "D1", "04V"));
    sqlite3 *db = fx_raw_open ();
    ck_assert_int_eq (sqlite3_exec (db,
                                    "PRAGMA ignore_check_constraints = ON;"
                                    "UPDATE datasets SET state = 'lost';"
                                    "UPDATE subscriptions SET state = 'paused';"
                                    "UPDATE deliveries SET state = 'mislaid';",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    store_dataset_t got;
    ck_assert_int_eq (store_dataset_get (s, "D1", &got), -1);
    ck_has (store_error (s), "datasets.state is 'lost'");
    store_sub_t gs;
    ck_assert_int_eq (store_sub_get (s, "QWE", "04V", "t", &gs), -1);
    ck_has (store_error (s), "subscriptions.state is 'paused'");
    fx_seen_t seen = {0};
    ck_assert_int_eq (store_delivery_each (s, fx_see_delivery, &seen), -1);
    ck_assert_int_eq (seen.count, 0);
    ck_has (store_error (s), "deliveries.state is 'mislaid'");
    store_close (&s);
}
END_TEST

typedef struct {
    store_t *s;
    int queued;
    int inner;
} s_queue_t;

static int s_queue_active (const store_sub_t *sub, void *arg)
{
    s_queue_t *q = arg;
    if (sub->state != STORE_SUB_ACTIVE) return 0;
    if (store_delivery_add (q->s, "D1", sub->subscriber) != 0) return -1;
    q->queued++;
    return 0;
}

START_TEST (test_each_callback_may_write_other_tables_in_a_transaction)
{
    store_t *s = fx_open (1);
    const char *subs[] = {"04V", "02X", "15N"};
    for (int i = 0; i < 3; i++) {
        store_sub_t sub;
        memset (&sub, 0, sizeof sub);
        snprintf (sub.publisher, sizeof sub.publisher, "QWE");
        snprintf (sub.subscriber, sizeof sub.subscriber, "%s", subs[i]);
        snprintf (sub.topic, sizeof sub.topic, "t");
        sub.state = i == 1 ? STORE_SUB_REFUSED : STORE_SUB_ACTIVE;
        ck_ok (s, store_sub_put (s, &sub));
    }
    ck_ok (s, store_begin (s));
    store_dataset_t d = fx_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    s_queue_t q = {s, 0, 0};
    ck_ok (s, store_sub_each (s, s_queue_active, &q));
    ck_ok (s, store_commit (s));
    ck_assert_int_eq (q.queued, 2);
    fx_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 2);
    store_close (&s);
}
END_TEST

static int s_reenter (const store_peer_t *p, void *arg)
{
    s_queue_t *q = arg;
    (void)p;
    fx_seen_t seen = {0};
    if (store_peer_each (q->s, fx_see_peer, &seen) == 0 && seen.count == 3) q->inner++;
    return 0;
}

/* Listings other than the audit log are read whole before their callback
   runs, so a callback may list again (and write: the next test). */
START_TEST (test_each_from_its_callback_lists_again)
{
    store_t *s = fx_open (1);
    for (int i = 0; i < 3; i++) {
        char org[8];
        snprintf (org, sizeof org, "P%d", i);
        store_peer_t p = fx_peer (org, (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    s_queue_t q = {s, 0, 0};
    ck_ok (s, store_peer_each (s, s_reenter, &q));
    ck_assert_int_eq (q.inner, 3);
    store_close (&s);
}
END_TEST

typedef struct {
    store_t *s, *other;
    int writes;
} s_stale_t;

/* Another connection writes first (making any read snapshot this one had
   open stale), then this one writes from inside its listing. */
static int s_write_after_other (const store_peer_t *p, void *arg)
{
    s_stale_t *w = arg;
    store_peer_t q = *p;
    snprintf (q.name, sizeof q.name, "renamed by the other");
    if (store_peer_put (w->other, &q) != 0) return 2;
    snprintf (q.name, sizeof q.name, "renamed from the callback");
    if (store_peer_put (w->s, &q) != 0) return 3;
    store_audit_t e = fx_audit ("peer-add", "written from a listing's callback");
    if (store_audit_append (w->s, &e) != 0) return 4;
    w->writes++;
    return 0;
}

START_TEST (test_each_callback_writes_after_another_connection)
{
    store_t *s = fx_open (1);
    store_t *other = fx_open (0);
    for (int i = 0; i < 3; i++) {
        char org[8];
        snprintf (org, sizeof org, "P%d", i);
        store_peer_t p = fx_peer (org, (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    s_stale_t w = {s, other, 0};
    ck_ok (s, store_peer_each (s, s_write_after_other, &w));
    ck_assert_int_eq (w.writes, 3);
    store_peer_t got;
    ck_ok (s, store_peer_get (s, "P1", &got));
    ck_assert_str_eq (got.name, "renamed from the callback");
    store_close (&other);
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_rows");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "values");
    tcase_add_test (tc, test_metacharacters_round_trip);
    tcase_add_test (tc, test_unterminated_field_is_refused);
    tcase_add_test (tc, test_value_too_long_in_file_is_refused_not_truncated);
    tcase_add_test (tc, test_blob_of_wrong_size_in_file_is_refused);
    tcase_add_test (tc, test_state_words_round_trip);
    tcase_add_test (tc, test_unknown_state_in_file_is_refused);

    tc = fx_tcase (suite, "callbacks");
    tcase_add_test (tc, test_each_callback_may_write_other_tables_in_a_transaction);
    tcase_add_test (tc, test_each_from_its_callback_lists_again);
    tcase_add_test (tc, test_each_callback_writes_after_another_connection);
    return suite;
}
