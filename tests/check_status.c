/*  check_status: the Check suite for what status and metrics decide and
    write without a store: the Prometheus text format (node/run/expo.c)
    and the thresholds of cdx status (node_status_attention).

    It proves that label values and help texts cannot end a line or a
    label early, that numbers read back exactly, that a histogram's
    buckets are cumulative and end with +Inf, and that each threshold
    fires on its side of the limit and not on the other. Not for: the
    figures read from a store or a running node (integration t_status).
*/
#include "expo.h"
#include "status.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_text (expo_t *e)
{
    size_t len;
    char *t = expo_take (e, &len);
    ck_assert_ptr_nonnull (t);
    ck_assert_uint_eq (strlen (t), len);
    return t;
}

START_TEST (test_expo_escapes_labels_and_help)
{
    expo_t e;
    expo_init (&e);
    expo_family (&e, "cdx_x", "gauge", "a \\ back\nslash");
    expo_sample (&e, "cdx_x", 1, "topic", "sus/\"q\"\n} 9\\", "peer", "04V", NULL);
    char *t = s_text (&e);
    ck_assert_str_eq (t, "# HELP cdx_x a \\\\ back\\nslash\n"
                         "# TYPE cdx_x gauge\n"
                         "cdx_x{topic=\"sus/\\\"q\\\"\\n} 9\\\\\",peer=\"04V\"} 1\n");
    free (t);
}
END_TEST

START_TEST (test_expo_numbers_read_back)
{
    char b[40];
    expo_number (0, b, sizeof b);
    ck_assert_str_eq (b, "0");
    expo_number (84463382528.0, b, sizeof b);            /* a disk's bytes: no exponent */
    ck_assert_str_eq (b, "84463382528");
    expo_number (-3600, b, sizeof b);
    ck_assert_str_eq (b, "-3600");
    expo_number (0.25, b, sizeof b);
    ck_assert_double_eq (strtod (b, NULL), 0.25);
    expo_number (1.0 / 3.0, b, sizeof b);
    ck_assert_double_eq (strtod (b, NULL), 1.0 / 3.0);
    expo_number (1.0 / 0.0, b, sizeof b);
    ck_assert_str_eq (b, "+Inf");
    expo_number (-1.0 / 0.0, b, sizeof b);
    ck_assert_str_eq (b, "-Inf");
    expo_number (0.0 / 0.0, b, sizeof b);
    ck_assert_str_eq (b, "NaN");
}
END_TEST

START_TEST (test_expo_sample_without_labels)
{
    expo_t e;
    expo_init (&e);
    expo_sample (&e, "cdx_up", 1, NULL);
    char *t = s_text (&e);
    ck_assert_str_eq (t, "cdx_up 1\n");
    free (t);
    expo_init (&e);                                        /* nothing written: an empty text */
    t = s_text (&e);
    ck_assert_str_eq (t, "");
    free (t);
}
END_TEST

START_TEST (test_expo_histogram_is_cumulative)
{
    const double bounds[] = {1, 60};
    const uint64_t cum[] = {1, 3};
    expo_t e;
    expo_init (&e);
    expo_histogram (&e, "cdx_d_seconds", "peer", "04V", bounds, cum, 2, 4, 190.5);
    expo_histogram (&e, "cdx_n_seconds", NULL, NULL, bounds, cum, 2, 3, 2);
    char *t = s_text (&e);
    ck_assert_str_eq (t, "cdx_d_seconds_bucket{peer=\"04V\",le=\"1\"} 1\n"
                         "cdx_d_seconds_bucket{peer=\"04V\",le=\"60\"} 3\n"
                         "cdx_d_seconds_bucket{peer=\"04V\",le=\"+Inf\"} 4\n"
                         "cdx_d_seconds_sum{peer=\"04V\"} 190.5\n"
                         "cdx_d_seconds_count{peer=\"04V\"} 4\n"
                         "cdx_n_seconds_bucket{le=\"1\"} 1\n"
                         "cdx_n_seconds_bucket{le=\"60\"} 3\n"
                         "cdx_n_seconds_bucket{le=\"+Inf\"} 3\n"
                         "cdx_n_seconds_sum 2\n"
                         "cdx_n_seconds_count 3\n");
    free (t);
}
END_TEST

START_TEST (test_expo_grows_past_its_first_buffer)
{
    expo_t e;
    expo_init (&e);
    for (int i = 0; i < 5000; i++)
        expo_sample (&e, "cdx_many", i, "peer", "04V", NULL);
    char *t = s_text (&e);
    ck_assert_ptr_nonnull (strstr (t, "cdx_many{peer=\"04V\"} 4999\n"));
    free (t);
}
END_TEST

/* ---- thresholds ------------------------------------------------------------ */

#define NOW ((int64_t) 1800000000)

static char s_kinds[512];

static void s_kind (const char *kind, const char *why, void *arg)
{
    (void) arg;
    ck_assert_ptr_nonnull (why);
    ck_assert_ptr_null (strchr (why, '\n'));              /* one line each */
    strcat (s_kinds, kind);
    strcat (s_kinds, " ");
}

/* A healthy node: running, certified for a year, a directory for a week,
   a quarter of its disk free, everything covered by a checkpoint. */
static void s_healthy (node_status_t *st, node_status_peer_t *peer)
{
    memset (st, 0, sizeof *st);
    memset (peer, 0, sizeof *peer);
    st->now = NOW;
    st->running = 1;
    st->since = NOW - 60;
    st->cert_not_after = NOW + 365 * 86400;
    st->dir_serial = 3;
    st->dir_expires = NOW + 7 * 86400;
    st->audit_seq = st->checkpoint_seq = 10;
    st->disk_size = (int64_t) 100 << 30;
    st->disk_free = (int64_t) 25 << 30;
    snprintf (peer->org, sizeof peer->org, "04V");
    peer->connected = 1;
    peer->last_seen = NOW;
    st->peers = peer;
    st->npeers = 1;
}

static const char *s_attention (const node_status_t *st)
{
    node_status_limits_t l;
    node_status_limits_default (&l);
    s_kinds[0] = 0;
    int n = node_status_attention (st, &l, s_kind, NULL);
    int spaces = 0;
    for (const char *p = s_kinds; *p; p++)
        spaces += *p == ' ';
    ck_assert_int_eq (n, spaces);
    return s_kinds;
}

START_TEST (test_attention_healthy_is_quiet)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    ck_assert_str_eq (s_attention (&st), "");
    /* Pinned by hand, no directory: nothing to expire. */
    st.cert_not_after = 0;
    st.dir_serial = 0;
    ck_assert_str_eq (s_attention (&st), "");
}
END_TEST

START_TEST (test_attention_not_running)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    st.running = 0;
    st.stopped = NOW - 3 * 3600;
    ck_assert_str_eq (s_attention (&st), "not-running ");
}
END_TEST

START_TEST (test_attention_certificate_and_directory_ending)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    st.cert_not_after = NOW + 14 * 86400 + 1;              /* just outside 14 days */
    st.dir_expires = NOW + 48 * 3600 + 1;                  /* just outside 48 hours */
    ck_assert_str_eq (s_attention (&st), "");
    st.cert_not_after = NOW + 14 * 86400;
    ck_assert_str_eq (s_attention (&st), "certificate ");
    st.dir_expires = NOW + 48 * 3600;
    ck_assert_str_eq (s_attention (&st), "certificate directory ");
    st.cert_not_after = NOW - 1;                           /* ended */
    st.dir_expires = NOW - 86400;
    ck_assert_str_eq (s_attention (&st), "certificate directory ");
}
END_TEST

START_TEST (test_attention_disk)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    st.disk_free = st.disk_size * 5 / 100;                 /* 5 % of 100 GiB: at the limit */
    ck_assert_str_eq (s_attention (&st), "");
    st.disk_free -= 1;
    ck_assert_str_eq (s_attention (&st), "disk ");
    st.disk_size = (int64_t) 2 << 30;                      /* a small disk: 1 GiB at least */
    st.disk_free = ((int64_t) 1 << 30) - 1;
    ck_assert_str_eq (s_attention (&st), "disk ");
    st.disk_free = -1;                                     /* unknown: nothing said */
    ck_assert_str_eq (s_attention (&st), "");
}
END_TEST

START_TEST (test_attention_peer_offline_only_with_deliveries_waiting)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    p.connected = 0;
    p.last_seen = NOW - 25 * 3600;
    ck_assert_str_eq (s_attention (&st), "");              /* nothing waits for it */
    p.queued = 2;
    ck_assert_str_eq (s_attention (&st), "peer-offline ");
    p.last_seen = NOW - 23 * 3600;
    ck_assert_str_eq (s_attention (&st), "");
    p.last_seen = 0;                                       /* never seen: since its oldest delivery */
    p.oldest = NOW - 24 * 3600;
    ck_assert_str_eq (s_attention (&st), "peer-offline ");
    p.connected = -1;                                      /* no node runs: not-running says it */
    st.running = 0;
    ck_assert_str_eq (s_attention (&st), "not-running ");
}
END_TEST

START_TEST (test_attention_deliveries_failing)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    p.queued = 1;
    p.failing = 1;
    p.attempts = 4;
    ck_assert_str_eq (s_attention (&st), "");
    p.attempts = 5;
    ck_assert_str_eq (s_attention (&st), "deliveries-failing ");
}
END_TEST

START_TEST (test_attention_checkpoint)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    st.audit_seq = 40;
    st.uncovered_since = NOW - 23 * 3600;
    ck_assert_str_eq (s_attention (&st), "");
    st.uncovered_since = NOW - 24 * 3600;
    ck_assert_str_eq (s_attention (&st), "checkpoint ");
}
END_TEST

START_TEST (test_attention_most_urgent_first)
{
    node_status_t st;
    node_status_peer_t p;
    s_healthy (&st, &p);
    st.running = 0;
    st.cert_not_after = NOW - 1;
    st.disk_free = 0;
    ck_assert_str_eq (s_attention (&st), "not-running certificate disk ");
}
END_TEST

static Suite *s_suite (void)
{
    Suite *s = suite_create ("status");
    TCase *t = tcase_create ("expo");
    tcase_add_test (t, test_expo_escapes_labels_and_help);
    tcase_add_test (t, test_expo_numbers_read_back);
    tcase_add_test (t, test_expo_sample_without_labels);
    tcase_add_test (t, test_expo_histogram_is_cumulative);
    tcase_add_test (t, test_expo_grows_past_its_first_buffer);
    suite_add_tcase (s, t);
    t = tcase_create ("attention");
    tcase_add_test (t, test_attention_healthy_is_quiet);
    tcase_add_test (t, test_attention_not_running);
    tcase_add_test (t, test_attention_certificate_and_directory_ending);
    tcase_add_test (t, test_attention_disk);
    tcase_add_test (t, test_attention_peer_offline_only_with_deliveries_waiting);
    tcase_add_test (t, test_attention_deliveries_failing);
    tcase_add_test (t, test_attention_checkpoint);
    tcase_add_test (t, test_attention_most_urgent_first);
    suite_add_tcase (s, t);
    return s;
}

int main (void)
{
    SRunner *sr = srunner_create (s_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
