/*  check_deliveries: subscriptions and deliveries (store/deliveries.c).

    Subscriptions are put, updated and keep a refusal's rule until they
    end; deliveries are queued once, updated, receipted, superseded and
    cancelled as the API says, and pending ones come oldest first, in
    publication order, with a callback free to update the row it is given.

    Not for: when the node sends (node/run.c).
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

START_TEST (test_sub_put_update_get_each)
{
    store_t *s = fx_open (1);
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "QWE");
    snprintf (sub.subscriber, sizeof sub.subscriber, "04V");
    snprintf (sub.topic, sizeof sub.topic, "sus/monthly");
    sub.state = STORE_SUB_REQUESTED;
    ck_ok (s, store_sub_put (s, &sub));

    store_sub_t got;
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (store_sub_state_name (got.state), "requested");
    ck_assert_int_eq (got.from_version, 0);
    int64_t created = got.created;

    sub.state = STORE_SUB_ACTIVE;
    sub.from_version = 5;
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (store_sub_state_name (got.state), "active");
    ck_assert_int_eq (got.from_version, 5);
    ck_assert_int_eq (got.created, created);
    ck_assert_int_ge (got.updated, created);

    snprintf (sub.subscriber, sizeof sub.subscriber, "02X");
    sub.state = STORE_SUB_REFUSED;
    ck_ok (s, store_sub_put (s, &sub));
    sub.state = (store_sub_state_t)99;
    ck_assert_int_eq (store_sub_put (s, &sub), -1);

    fx_seen_t seen = {0};
    ck_ok (s, store_sub_each (s, fx_see_sub, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "QWE>02X:sus/monthly=refused");
    ck_assert_str_eq (seen.keys[1], "QWE>04V:sus/monthly=active");
    ck_assert_int_eq (store_sub_get (s, "QWE", "04V", "other", &got), STORE_NOTFOUND);
    store_close (&s);
}
END_TEST

/* A sibling's setting keeps its time and origin; a change here is now
   and keeps the origin it is given (SPEC.md 11.5). */
START_TEST (test_sub_put_setting_keeps_updated_and_origin)
{
    store_t *s = fx_open (1);
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "0DF");
    snprintf (sub.subscriber, sizeof sub.subscriber, "04V");
    snprintf (sub.topic, sizeof sub.topic, "sus/apc");
    sub.state = STORE_SUB_REQUESTED;
    sub.updated = 1795640400;
    snprintf (sub.origin, sizeof sub.origin, "04V/b");
    ck_ok (s, store_sub_put_setting (s, &sub));
    store_sub_t got;
    ck_ok (s, store_sub_get (s, "0DF", "04V", "sus/apc", &got));
    ck_assert_int_eq (got.updated, 1795640400);
    ck_assert_str_eq (got.origin, "04V/b");
    got.state = STORE_SUB_REFUSED;               /* a refusal: not a setting, its time now */
    snprintf (got.rule, sizeof got.rule, "policy.x");
    snprintf (got.reason, sizeof got.reason, "no");
    ck_ok (s, store_sub_put (s, &got));
    ck_ok (s, store_sub_get (s, "0DF", "04V", "sus/apc", &got));
    ck_assert_int_gt (got.updated, 1795640400);
    ck_assert_str_eq (got.origin, "04V/b");
    got.origin[0] = '\0';                       /* ended here */
    got.state = STORE_SUB_ENDING;
    ck_ok (s, store_sub_put (s, &got));
    ck_ok (s, store_sub_get (s, "0DF", "04V", "sus/apc", &got));
    ck_assert_str_eq (got.origin, "");
    memset (got.origin, 'x', sizeof got.origin);  /* not NUL-terminated: refused */
    ck_assert_int_eq (store_sub_put_setting (s, &got), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_sub_refusal_keeps_rule_and_reason_until_it_ends)
{
    store_t *s = fx_open (1);
    store_sub_t sub, got;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "QWE");
    snprintf (sub.subscriber, sizeof sub.subscriber, "04V");
    snprintf (sub.topic, sizeof sub.topic, "sus/monthly");
    sub.state = STORE_SUB_REFUSED;
    snprintf (sub.rule, sizeof sub.rule, "policy.no-agreement");
    snprintf (sub.reason, sizeof sub.reason, "no data sharing agreement");
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (got.rule, "policy.no-agreement");
    ck_assert_str_eq (got.reason, "no data sharing agreement");
    /* Any other state has no refusal: the rule and reason go. */
    sub.state = STORE_SUB_ACTIVE;
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (store_sub_state_name (got.state), "active");
    ck_assert_str_eq (got.rule, "");
    ck_assert_str_eq (got.reason, "");
    store_close (&s);
}
END_TEST

START_TEST (test_supersede_skips_only_unstarted_older_versions)
{
    store_t *s = fx_open (1);
    for (int v = 1; v <= 4; v++) {
        char id[8];
        snprintf (id, sizeof id, "v%d", v);
        store_dataset_t d = fx_dataset (id, "0DF", "apc", v);
        ck_assert_int_eq (store_dataset_put (s, &d), 0);
        ck_assert_int_eq (store_delivery_add (s, id, "04V"), 0);
    }
    store_dataset_t other = fx_dataset ("o1", "0DF", "other", 1);
    ck_assert_int_eq (store_dataset_put (s, &other), 0);
    ck_assert_int_eq (store_delivery_add (s, "o1", "04V"), 0);
    store_delivery_t d;
    ck_assert_int_eq (store_delivery_get (s, "v2", "04V", &d), 0);
    d.state = STORE_DL_SENDING; /* started: keeps going */
    d.next_chunk = 1;
    d.started = 1234;
    ck_assert_int_eq (store_delivery_update (s, &d), 0);
    ck_assert_int_eq (store_delivery_supersede (s, "0DF", "apc", 4, "superseded by version 4"), 2);
    ck_assert_int_eq (store_delivery_get (s, "v1", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "superseded");
    ck_assert_str_eq (d.error, "superseded by version 4");
    ck_assert_int_eq (store_delivery_get (s, "v2", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "sending");
    ck_assert_int_eq (d.started, 1234);
    ck_assert_int_eq (store_delivery_get (s, "v3", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "superseded");
    ck_assert_int_eq (store_delivery_get (s, "v4", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "queued");
    ck_assert_int_eq (store_delivery_get (s, "o1", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "queued");
    store_close (&s);
}
END_TEST

START_TEST (test_cancel_touches_one_subscriber_and_topic)
{
    store_t *s = fx_open (1);
    store_dataset_t a = fx_dataset ("a", "0DF", "apc", 1);
    store_dataset_t b = fx_dataset ("b", "0DF", "op", 1);
    ck_assert_int_eq (store_dataset_put (s, &a), 0);
    ck_assert_int_eq (store_dataset_put (s, &b), 0);
    ck_assert_int_eq (store_delivery_add (s, "a", "04V"), 0);
    ck_assert_int_eq (store_delivery_add (s, "a", "10Q"), 0);
    ck_assert_int_eq (store_delivery_add (s, "b", "04V"), 0);
    ck_assert_int_eq (store_delivery_cancel (s, "0DF", "apc", "04V", "unsubscribed"), 1);
    store_delivery_t d;
    ck_assert_int_eq (store_delivery_get (s, "a", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "cancelled");
    ck_assert_int_eq (store_delivery_get (s, "a", "10Q", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "queued");
    ck_assert_int_eq (store_delivery_get (s, "b", "04V", &d), 0);
    ck_assert_str_eq (store_delivery_state_name (d.state), "queued");
    ck_assert_int_eq (store_delivery_cancel (s, "0DF", "apc", "04V", "again"), 0);
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_add_is_idempotent)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_delivery_add (s, "D1", "04V"));
    store_delivery_t upd;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &upd));
    upd.attempts = 3;
    ck_ok (s, store_delivery_update (s, &upd));
    ck_ok (s, store_delivery_add (s, "D1", "04V")); /* no-op: does not reset it */

    fx_seen_t seen = {0};
    ck_ok (s, store_delivery_each (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 1);
    store_delivery_t got;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &got));
    ck_assert_str_eq (store_delivery_state_name (got.state), "queued");
    ck_assert_int_eq (got.attempts, 3);
    ck_assert_int_eq (got.next_chunk, 0);
    ck_assert_str_eq (got.error, "");
    ck_assert_uint_eq (got.receipt_len, 0);

    /* Foreign keys are on: no delivery of a dataset that is not there. */
    ck_assert_int_eq (store_delivery_add (s, "NOPE", "04V"), -1);
    ck_has (store_error (s), "no such dataset");
    ck_assert_int_eq (store_delivery_add (s, "D1", "a-subscriber-name-too-long"), -1);
    ck_assert_int_eq (store_delivery_get (s, "D1", "02X", &got), STORE_NOTFOUND);
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_update_and_receipt)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_delivery_add (s, "D1", "04V"));
    ck_ok (s, store_delivery_add (s, "D1", "02X"));

    store_delivery_t u;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &u));
    u.state = STORE_DL_SENDING;
    u.next_chunk = 4;
    u.attempts = 2;
    snprintf (u.error, sizeof u.error, "peer 04V timed out after 30 s");
    ck_ok (s, store_delivery_update (s, &u));
    store_delivery_t got;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &got));
    ck_assert_str_eq (store_delivery_state_name (got.state), "sending");
    ck_assert_int_eq (got.next_chunk, 4);
    ck_assert_int_eq (got.attempts, 2);
    ck_assert_str_eq (got.error, u.error);

    /* "delivered" only comes with a receipt. */
    u.state = STORE_DL_DELIVERED;
    ck_assert_int_eq (store_delivery_update (s, &u), -1);

    uint8_t receipt[300], sig[64];
    for (size_t i = 0; i < sizeof receipt; i++)
        receipt[i] = (uint8_t)(i * 7);
    memset (sig, 0x5A, sizeof sig);
    ck_ok (s, store_delivery_receipt (s, "D1", "04V", receipt, sizeof receipt, sig));
    ck_ok (s, store_delivery_get (s, "D1", "04V", &got));
    ck_assert_str_eq (store_delivery_state_name (got.state), "delivered");
    ck_assert_uint_eq (got.receipt_len, sizeof receipt);
    ck_assert_mem_eq (got.receipt, receipt, sizeof receipt);
    ck_assert_mem_eq (got.receipt_sig, sig, 64);
    ck_assert_str_eq (got.error, "");

    ck_assert_int_eq (store_delivery_receipt (s, "D1", "XXX", receipt, sizeof receipt, sig), -1);
    ck_has (store_error (s), "no such delivery");
    ck_assert_int_eq (store_delivery_receipt (s, "D1", "02X", receipt, 4097, sig), -1);
    ck_assert_int_eq (store_delivery_receipt (s, "D1", "02X", receipt, 0, sig), -1);
    snprintf (u.subscriber, sizeof u.subscriber, "XXX");
    u.state = STORE_DL_FAILED;
    ck_assert_int_eq (store_delivery_update (s, &u), -1);
    ck_has (store_error (s), "no such delivery");
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_each_pending_excludes_finished)
{
    store_t *s = fx_open (1);
    const char *ids[] = {"D3", "D1", "D2"};
    for (int i = 0; i < 3; i++) {
        store_dataset_t d = fx_dataset (ids[i], "QWE", "t", i + 1);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, ids[i], "04V"));
    }
    ck_ok (s, store_delivery_add (s, "D1", "02X"));
    uint8_t receipt[10] = {1}, sig[64] = {2};
    ck_ok (s, store_delivery_receipt (s, "D2", "04V", receipt, sizeof receipt, sig));
    store_delivery_t u;
    ck_ok (s, store_delivery_get (s, "D3", "04V", &u));
    u.state = STORE_DL_FAILED;
    ck_ok (s, store_delivery_update (s, &u));
    ck_ok (s, store_delivery_get (s, "D1", "02X", &u));
    u.state = STORE_DL_SENDING;
    ck_ok (s, store_delivery_update (s, &u));

    /* All queued in the same second, so the order falls to publication
       order, then subscriber (pinned: the clock may have ticked during the
       test). */
    ck_assert_int_eq (fx_raw_exec ("UPDATE deliveries SET created = 1000"), SQLITE_OK);
    fx_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "D1>02X=sending");
    ck_assert_str_eq (seen.keys[1], "D1>04V=queued");

    memset (&seen, 0, sizeof seen);
    ck_ok (s, store_delivery_each (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 4);
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_pending_order_is_oldest_first)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("ZZ", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    d = fx_dataset ("AA", "QWE", "t", 2);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_delivery_add (s, "ZZ", "04V"));
    /* Make the first older than the second, as if queued earlier. */
    store_close (&s);
    ck_assert_int_eq (fx_raw_exec ("UPDATE deliveries SET created = created - 100"), SQLITE_OK);
    s = fx_open (0);
    ck_ok (s, store_delivery_add (s, "AA", "04V"));
    fx_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "ZZ>04V=queued");
    ck_assert_str_eq (seen.keys[1], "AA>04V=queued");
    store_close (&s);
}
END_TEST

/* A subscriber that was away has a week of versions queued in the same
   second (or a late subscriber its history at once): they go out in
   publication order, whatever their (random) dataset ids. */
START_TEST (test_delivery_pending_same_second_in_version_order)
{
    store_t *s = fx_open (1);
    const char *ids[] = {"C3", "F1", "A7", "E2", "B5", "D4", "G6"};
    const int versions[] = {3, 1, 7, 2, 5, 4, 6};
    for (int i = 0; i < 7; i++) {
        store_dataset_t d = fx_dataset (ids[i], "QWE", "t", versions[i]);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, ids[i], "04V"));
    }
    ck_assert_int_eq (fx_raw_exec ("UPDATE deliveries SET created = 1000"), SQLITE_OK);
    ck_assert_int_eq (fx_raw_exec ("UPDATE datasets SET created = 900"), SQLITE_OK);
    fx_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 7);
    const char *want[] = {"F1", "E2", "C3", "D4", "B5", "G6", "A7"};
    for (int i = 0; i < 7; i++) {
        char key[32];
        snprintf (key, sizeof key, "%s>04V=queued", want[i]);
        ck_assert_str_eq (seen.keys[i], key);
    }
    store_close (&s);
}
END_TEST

/* The node's pattern: take each pending delivery and mark it sending. Each
   row must be visited once, not again after its state changed. */
typedef struct {
    store_t *s;
    int visits;
    int rc;
} s_mark_t;

static int s_mark_sending (const store_delivery_t *d, void *arg)
{
    s_mark_t *m = arg;
    m->visits++;
    if (m->visits > 100) return 1;
    store_delivery_t u = *d;
    u.state = STORE_DL_SENDING;
    u.attempts++;
    if (store_delivery_update (m->s, &u) != 0) m->rc = -1;
    return 0;
}

START_TEST (test_pending_callback_may_update_the_row)
{
    store_t *s = fx_open (1);
    for (int i = 0; i < 20; i++) {
        char id[8];
        snprintf (id, sizeof id, "D%02d", i);
        store_dataset_t d = fx_dataset (id, "QWE", "t", i + 1);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, id, "04V"));
        ck_ok (s, store_delivery_add (s, id, "02X"));
    }
    s_mark_t m = {s, 0, 0};
    ck_ok (s, store_delivery_each_pending (s, s_mark_sending, &m));
    ck_assert_int_eq (m.rc, 0);
    ck_assert_int_eq (m.visits, 40);
    store_delivery_t got;
    ck_ok (s, store_delivery_get (s, "D07", "02X", &got));
    ck_assert_str_eq (store_delivery_state_name (got.state), "sending");
    ck_assert_int_eq (got.attempts, 1);
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_deliveries");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "subscriptions");
    tcase_add_test (tc, test_sub_put_update_get_each);
    tcase_add_test (tc, test_sub_put_setting_keeps_updated_and_origin);
    tcase_add_test (tc, test_sub_refusal_keeps_rule_and_reason_until_it_ends);

    tc = fx_tcase (suite, "deliveries");
    tcase_add_test (tc, test_delivery_add_is_idempotent);
    tcase_add_test (tc, test_delivery_update_and_receipt);
    tcase_add_test (tc, test_delivery_each_pending_excludes_finished);
    tcase_add_test (tc, test_delivery_pending_same_second_in_version_order);
    tcase_add_test (tc, test_delivery_pending_order_is_oldest_first);
    tcase_add_test (tc, test_pending_callback_may_update_the_row);
    tcase_add_test (tc, test_supersede_skips_only_unstarted_older_versions);
    tcase_add_test (tc, test_cancel_touches_one_subscriber_and_topic);
    return suite;
}
