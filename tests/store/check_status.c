/*  check_status: what status and metrics read (store/status.c, and
    store_delivery_each_sending in deliveries.c).

    A subscriber's queue is one aggregate of its queued and sending
    deliveries (delivered ones not counted, the oldest and the failing
    ones found); the deliveries being sent are listed alone; the node's
    last start or stop is read from the end of the audit log; an entry's
    time is found by its seq.

    Not for: what the figures mean (node/status.c, unit_status).
*/
#include "fixture.h"

#include <stdlib.h>

typedef struct {
    int count;
    store_queue_t q[4];
} s_queues_t;

static int s_see_queue (const store_queue_t *q, void *arg)
{
    s_queues_t *qs = arg;
    if (qs->count < 4)
        qs->q[qs->count] = *q;
    qs->count++;
    return 0;
}

/* Datasets d1..dN of sus/t, each queued for SUBSCRIBER. */
static void s_queue (store_t *s, int n, const char *subscriber)
{
    for (int i = 1; i <= n; i++) {
        char id[8];
        snprintf (id, sizeof id, "%s%d", subscriber, i);
        store_dataset_t d = fx_dataset (id, "QWE", subscriber, i);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, id, subscriber));
    }
}

START_TEST (test_queue_aggregates_pending_by_subscriber)
{
    store_t *s = fx_open (1);
    s_queue (s, 3, "04V");
    s_queue (s, 2, "05X");
    /* 04V: one sending after a failed attempt, one delivered, one queued. */
    store_delivery_t d;
    ck_ok (s, store_delivery_get (s, "04V1", "04V", &d));
    d.state = STORE_DL_SENDING;
    d.attempts = 6;
    snprintf (d.error, sizeof d.error, "connection lost");
    ck_ok (s, store_delivery_update (s, &d));
    uint8_t receipt[8] = {1}, sig[64] = {0};
    ck_ok (s, store_delivery_receipt (s, "04V2", "04V", receipt, sizeof receipt, sig));
    fx_raw_exec ("UPDATE deliveries SET created = 1000 WHERE dataset = '04V3'");
    fx_raw_exec ("UPDATE deliveries SET created = 500 WHERE dataset = '04V2'");   /* delivered: not counted */

    s_queues_t qs = {0};
    ck_ok (s, store_queue_each (s, s_see_queue, &qs));
    ck_assert_int_eq (qs.count, 2);
    ck_assert_str_eq (qs.q[0].subscriber, "04V");
    ck_assert_int_eq (qs.q[0].queued, 1);
    ck_assert_int_eq (qs.q[0].sending, 1);
    ck_assert_int_eq (qs.q[0].oldest, 1000);
    ck_assert_int_eq (qs.q[0].failing, 1);
    ck_assert_int_eq (qs.q[0].attempts, 6);
    ck_assert_str_eq (qs.q[1].subscriber, "05X");
    ck_assert_int_eq (qs.q[1].queued, 2);
    ck_assert_int_eq (qs.q[1].sending, 0);
    ck_assert_int_eq (qs.q[1].failing, 0);

    fx_seen_t seen = {0};
    ck_ok (s, store_delivery_each_sending (s, fx_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 1);
    store_close (&s);
}
END_TEST

START_TEST (test_queue_of_nothing_pending_is_empty)
{
    store_t *s = fx_open (1);
    s_queues_t qs = {0};
    ck_ok (s, store_queue_each (s, s_see_queue, &qs));
    ck_assert_int_eq (qs.count, 0);
    store_close (&s);
}
END_TEST

static void s_append (store_t *s, const char *actor, const char *action)
{
    store_audit_t e = fx_audit (action, "x");
    snprintf (e.actor, sizeof e.actor, "%s", actor);
    ck_ok (s, store_audit_append (s, &e));
}

START_TEST (test_last_run_is_the_last_start_or_stop)
{
    store_t *s = fx_open (1);
    int64_t started = -1, stopped = -1;
    ck_ok (s, store_last_run (s, &started, &stopped));
    ck_assert_int_eq (started, 0);                         /* never ran */
    ck_assert_int_eq (stopped, 0);
    s_append (s, "node", "start");
    s_append (s, "user:alice (publisher)", "stop");        /* not the node's own */
    ck_ok (s, store_last_run (s, &started, &stopped));
    ck_assert_int_gt (started, 0);
    ck_assert_int_eq (stopped, 0);
    s_append (s, "node", "stop");
    s_append (s, "node", "deliver");
    ck_ok (s, store_last_run (s, &started, &stopped));
    ck_assert_int_eq (started, 0);
    ck_assert_int_gt (stopped, 0);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_at_finds_an_entry_by_seq)
{
    store_t *s = fx_open (1);
    ck_assert_int_eq (store_audit_at (s, 1), 0);           /* none */
    s_append (s, "node", "start");
    int64_t at = store_audit_at (s, 1);
    ck_assert_int_gt (at, 0);
    ck_assert_int_eq (at, fx_raw_int ("SELECT at FROM audit WHERE seq = 1"));
    ck_assert_int_eq (store_audit_at (s, 2), 0);
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_status");
    TCase *tc = fx_tcase (suite, "status");
    tcase_add_test (tc, test_queue_aggregates_pending_by_subscriber);
    tcase_add_test (tc, test_queue_of_nothing_pending_is_empty);
    tcase_add_test (tc, test_last_run_is_the_last_start_or_stop);
    tcase_add_test (tc, test_audit_at_finds_an_entry_by_seq);
    return suite;
}
