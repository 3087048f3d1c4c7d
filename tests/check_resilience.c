/*  check_resilience: the figures of node/resilience.c against entries
    and rows made in a real node home (node_init: real keys, a real
    store.db) through the node library and the store's API.

    It proves that a start with no stop before it is an unclean stop whose
    outage runs from the entry before it to that start, and a clean stop's
    from the stop to the next start; that the time from publication (the
    signed manifest's time) to available gives the nearest-rank median,
    p95 and worst per publisher; that failovers and drills are read from
    the entries of the fixed format and that one with a malformed "MS ms"
    detail is left out with a note, not a crash; that a restart between a
    dataset's accept and its arrival counts as survived; backups, the last
    restore and deliveries failed or expired by reason; and that the
    report needs admin or ig-officer, the refusal audited.

    Not for: the command's output (integration t_report), the page
    (check_report).
*/
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "cx.h"
#include "node.h"
#include "proto.h"
#include "resilience.h"

static char s_root[PATH_MAX];
static char s_home[PATH_MAX];
static node_t *s_node;

static void s_setup (void)
{
    ck_assert_int_eq (cx_init (), 0);
    snprintf (s_home, sizeof s_home, "%s/home-XXXXXX", s_root);
    ck_assert_ptr_nonnull (mkdtemp (s_home));
    node_init_t o = {s_home, "04V", "ccg", "Resilience Test CCG", "tcp://127.0.0.1:7101", NULL};
    char err[NODE_ERR_MAX] = "";
    ck_assert_msg (node_init (&o, err, sizeof err) == 0, "node_init: %s", err);
    s_node = node_open (s_home, NULL, err, sizeof err);
    ck_assert_msg (s_node != NULL, "node_open: %s", err);
}

static void s_teardown (void) { node_close (&s_node); }

static int64_t s_audit (const char *actor, const char *action, const char *object, const char *peer,
                        const char *decision, const char *rule, const char *detail)
{
    ck_assert_msg (node_audit (s_node, actor, action, object, peer, decision, rule, "%s", detail) == 0, "%s",
                   node_error (s_node));
    store_audit_t *e = malloc (sizeof *e);
    ck_assert_ptr_nonnull (e);
    ck_assert_int_eq (store_audit_last (node_db (s_node), e), 0);
    int64_t at = e->at;
    free (e);
    return at;
}

static void s_figures (node_resilience_t *res)
{
    ck_assert_msg (node_resilience (s_node, 0, 0, res) == 0, "node_resilience: %s", node_error (s_node));
}

START_TEST (test_unclean_stop_is_an_outage_from_the_entry_before_the_start)
{
    s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    int64_t last = s_audit ("node", "receive", "message", "0DF", "refuse", "protocol.decode", "garbage");
    sleep (2);
    int64_t restart = s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    int64_t stop = s_audit ("node", "stop", "node", "", "allow", "local.run", "stopped");
    sleep (1);
    int64_t again = s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    node_resilience_t res;
    s_figures (&res);
    ck_assert_int_eq (res.starts, 3);
    ck_assert_int_eq (res.clean_stops, 1);
    ck_assert_int_eq (res.unclean_stops, 1);
    /* The third outage: not running now, and no stop after the last start. */
    ck_assert_uint_eq (res.noutages, 3);
    ck_assert_int_eq (res.outages[0].unclean, 1);
    ck_assert_int_eq (res.outages[0].from, last);
    ck_assert_int_eq (res.outages[0].to, restart);
    ck_assert_int_ge (restart - last, 2);
    ck_assert_int_eq (res.outages[1].unclean, 0);
    ck_assert_int_eq (res.outages[1].from, stop);
    ck_assert_int_eq (res.outages[1].to, again);
    ck_assert_int_eq (res.outages[2].ongoing, 1);
    ck_assert_int_eq (res.outages[2].from, again);
    int64_t out = (restart - last) + (again - stop) + (res.until - again);
    ck_assert_int_eq (res.in_service_s, res.window_s - out);
    ck_assert_int_eq (res.running, 0);
    node_resilience_free (&res);
}
END_TEST

/* A received dataset as the running node leaves it: the row with a signed
   manifest published AGE seconds ago, its accept and receive entries. */
static void s_received (const char *publisher, int version, int64_t age, int restart_between, char id[33])
{
    store_dataset_t *d = calloc (1, sizeof *d);
    ck_assert_ptr_nonnull (d);
    proto_manifest_t m;
    memset (&m, 0, sizeof m);
    m.format = 1;
    for (int i = 0; i < 16; i++)
        m.dataset[i] = (uint8_t) (i == 0 ? version : i == 1 ? (uint8_t) publisher[2] : i);
    snprintf (m.publisher, sizeof m.publisher, "%s", publisher);
    snprintf (m.topic, sizeof m.topic, "sus/apc");
    m.version = (uint64_t) version;
    snprintf (m.class_, sizeof m.class_, "aggregate");
    snprintf (m.purpose, sizeof m.purpose, "commissioning");
    snprintf (m.filename, sizeof m.filename, "apc.csv");
    m.bytes = 1000;
    m.chunk_size = 1024;
    m.chunks = 1;
    m.created = (int64_t) time (NULL) - age;
    snprintf (m.opt_out, sizeof m.opt_out, "not-identifiable");
    ck_assert_msg (proto_manifest_encode (&m, d->manifest, sizeof d->manifest, &d->manifest_len) == 0, "%s",
                   proto_error ());
    cx_hex (m.dataset, 16, d->id);
    snprintf (d->publisher, sizeof d->publisher, "%s", publisher);
    snprintf (d->topic, sizeof d->topic, "sus/apc");
    d->version = version;
    snprintf (d->class_, sizeof d->class_, "aggregate");
    snprintf (d->purpose, sizeof d->purpose, "commissioning");
    snprintf (d->filename, sizeof d->filename, "apc.csv");
    d->bytes = 1000;
    d->chunk_size = 1024;
    d->chunks = 1;
    d->next_chunk = 1;
    d->state = STORE_DS_AVAILABLE;
    ck_assert_msg (store_dataset_put (node_db (s_node), d) == 0, "%s", store_error (node_db (s_node)));
    char object[129];
    snprintf (object, sizeof object, "sus/apc v%d %s", version, d->id);
    s_audit ("peer:x", "accept", object, publisher, "allow", "policy.agreement", "offer accepted");
    if (restart_between)
        s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    s_audit ("peer:x", "receive", object, publisher, "allow", "signature.verified", "1000 bytes received, verified");
    if (id)
        memcpy (id, d->id, 33);
    free (d);
}

/* A command run while the node was down (a backup) does not shorten the
   outage; and a period that ends before the next start still sees the
   unclean stop (that start, after the period, shows it), as an outage
   under way at the period's end. */
START_TEST (test_unclean_stop_from_the_node_own_entry_and_before_a_period_end)
{
    s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    int64_t last = s_audit ("node", "receive", "message", "0DF", "refuse", "protocol.decode", "garbage");
    sleep (1);
    int64_t backup = s_audit ("user:root (admin)", "backup", "home", "", "allow", "backup", "backup of 9 files");
    sleep (2);
    int64_t restart = s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    s_audit ("node", "stop", "node", "", "allow", "local.run", "stopped");   /* not running at the end */
    ck_assert_int_gt (backup, last);
    node_resilience_t res;
    s_figures (&res);
    ck_assert_int_eq (res.unclean_stops, 1);
    ck_assert_uint_ge (res.noutages, 1);          /* and the one since the stop, under way */
    ck_assert_int_eq (res.outages[0].from, last);
    ck_assert_int_eq (res.outages[0].to, restart);
    node_resilience_free (&res);
    /* the period ends after the kill, before the start that shows it */
    ck_assert_msg (node_resilience (s_node, 0, restart - 1, &res) == 0, "%s", node_error (s_node));
    ck_assert_int_eq (res.unclean_stops, 1);
    ck_assert_uint_eq (res.noutages, 1);
    ck_assert_int_eq (res.outages[0].from, last);
    ck_assert_int_eq (res.outages[0].to, restart - 1);
    ck_assert_int_eq (res.outages[0].unclean, 1);
    ck_assert_int_eq (res.outages[0].ongoing, 1);
    node_resilience_free (&res);
    /* a period that ends in the future ends now */
    ck_assert_msg (node_resilience (s_node, 0, restart + 86400, &res) == 0, "%s", node_error (s_node));
    ck_assert_int_le (res.until, (int64_t) time (NULL));
    node_resilience_free (&res);
}
END_TEST

START_TEST (test_publication_to_available_median_p95_worst)
{
    s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    for (int v = 1; v <= 20; v++)
        s_received ("0DF", v, (int64_t) v * 10, 0, NULL);
    s_received ("0AB", 1, 5, 0, NULL);
    node_resilience_t res;
    s_figures (&res);
    ck_assert_int_eq (res.received, 21);
    ck_assert_uint_eq (res.npublishers, 2);
    const node_res_publisher_t *p = strcmp (res.publishers[0].org, "0DF") == 0 ? &res.publishers[0]
                                                                                  : &res.publishers[1];
    ck_assert_str_eq (p->org, "0DF");
    ck_assert_int_eq (p->datasets, 20);
    ck_assert_int_eq (p->timed, 20);
    ck_assert_int_eq (p->bytes, 20000);
    /* Nearest rank over 10, 20, ... 200 s (a second more if the clock
       ticked between making the manifest and the entry). */
    ck_assert_int_ge (p->median_s, 100);
    ck_assert_int_le (p->median_s, 101);
    ck_assert_int_ge (p->p95_s, 190);
    ck_assert_int_le (p->p95_s, 191);
    ck_assert_int_ge (p->worst_s, 200);
    ck_assert_int_le (p->worst_s, 201);
    ck_assert_int_eq (res.bytes_received, 21000);
    ck_assert_int_eq (res.restarts_survived, 0);
    node_resilience_free (&res);
}
END_TEST

START_TEST (test_restart_between_accept_and_arrival_is_survived)
{
    s_audit ("node", "start", "node", "", "allow", "local.run", "listening");
    s_received ("0DF", 1, 3, 1, NULL);
    s_received ("0DF", 2, 3, 0, NULL);
    node_resilience_t res;
    s_figures (&res);
    ck_assert_int_eq (res.received, 2);
    ck_assert_int_eq (res.restarts_survived, 1);
    ck_assert_int_eq (res.resumed, 1);
    ck_assert_int_eq (res.unclean_stops, 1);    /* the start in between had no stop before it */
    node_resilience_free (&res);
}
END_TEST

START_TEST (test_failovers_and_drills_and_a_malformed_detail)
{
    s_audit ("node", "failover", "0DF/b", "0DF/b", "allow", "sibling.failover", "1234 ms deliveries taken over");
    s_audit ("node", "failover", "0DF/b", "0DF/b", "allow", "sibling.failover", "12ms no space");
    s_audit ("node", "failover", "0DF/b", "0DF/b", "allow", "sibling.failover", "ms 12");
    s_audit ("node", "failover", "0DF/b", "0DF/b", "allow", "sibling.failover", "99999999999999999999999 ms");
    s_audit ("user:root (admin)", "drill", "0DF/b", "0DF/b", "allow", "sibling.drill", "2500 ms drill passed");
    s_audit ("node", "drill", "0DF/b", "0DF/b", "refuse", "sibling.drill", "9000 ms sibling did not answer");
    s_audit ("node", "drill", "0DF/b", "0DF/b", "refuse", "sibling.drill", "");
    /* Another rule is not a failover of this format. */
    s_audit ("node", "failover", "0DF/b", "0DF/b", "allow", "other.rule", "5 ms");
    node_resilience_t res;
    s_figures (&res);
    ck_assert_uint_eq (res.nfailovers, 1);
    ck_assert_int_eq (res.failovers[0].ms, 1234);
    ck_assert_str_eq (res.failovers[0].peer, "0DF/b");
    ck_assert_uint_eq (res.ndrills, 2);
    ck_assert_int_eq (res.drills_passed, 1);
    ck_assert_int_eq (res.drills[0].ms, 2500);
    ck_assert_str_eq (res.drills[0].actor, "user:root (admin)");
    ck_assert_int_eq (res.drills[1].ms, 9000);
    ck_assert_int_eq (res.drills[1].passed, 0);
    ck_assert_uint_eq (res.nnotes, 4);
    for (size_t i = 0; i < res.nnotes; i++)
        ck_assert_msg (strstr (res.notes[i], "is left out") && strstr (res.notes[i], "MS ms"), "%s", res.notes[i]);
    ck_assert_ptr_nonnull (strstr (res.notes[3], "drill"));
    node_resilience_free (&res);
}
END_TEST

START_TEST (test_parse_ms)
{
    int64_t ms = -1;
    ck_assert_int_eq (node_res_parse_ms ("0 ms", &ms), 0);
    ck_assert_int_eq (ms, 0);
    ck_assert_int_eq (node_res_parse_ms ("815 ms took over 3 deliveries", &ms), 0);
    ck_assert_int_eq (ms, 815);
    /* as the node writes them: siblings.c's failover, drill.c's drill */
    ck_assert_int_eq (node_res_parse_ms ("2103 ms: took over 2 deliveries from 0DF/a", &ms), 0);
    ck_assert_int_eq (ms, 2103);
    ck_assert_int_eq (node_res_parse_ms ("5003 ms: no sibling took over within 35 s", &ms), 0);
    ck_assert_int_eq (ms, 5003);
    ck_assert_int_eq (node_res_parse_ms ("9223372036854775807 ms", &ms), 0);
    ck_assert_int_eq (ms, INT64_MAX);
    const char *bad[] = {"", "ms", " 5 ms", "5ms", "5 msec", "5 s", "-5 ms", "9223372036854775808 ms", "5  ms",
                         "5 ms; x", "5 :ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg (node_res_parse_ms (bad[i], &ms) == -1, "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST (test_backups_restore_deliveries_and_the_chain)
{
    s_audit ("user:root (admin)", "backup", "home", "", "allow", "backup", "backup of 9 files");
    s_audit ("user:root (admin)", "backup", "home", "", "refuse", "role.missing", "refused");
    int64_t second = s_audit ("user:root (admin)", "backup", "home", "", "allow", "backup", "backup of 9 files");
    int64_t restored = s_audit ("user:root (admin)", "restore", "home", "", "allow", "backup.restore", "restored");
    /* Deliveries of a dataset: two failed for one reason, one expired. */
    char id[33];
    s_received ("0DF", 1, 3, 0, id);
    store_t *db = node_db (s_node);
    const char *to[] = {"0AB", "0XY", "0ZZ"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq (store_delivery_add (db, id, to[i]), 0);
        store_delivery_t *d = malloc (sizeof *d);
        ck_assert_ptr_nonnull (d);
        ck_assert_int_eq (store_delivery_get (db, id, to[i], d), 0);
        d->state = i < 2 ? STORE_DL_FAILED : STORE_DL_EXPIRED;
        snprintf (d->error, sizeof d->error, "%s", i < 2 ? "policy.no-agreement: none in force" : "retention ended");
        ck_assert_msg (store_delivery_update (db, d) == 0, "%s", store_error (db));
        free (d);
    }
    node_audit_report_t cp;
    ck_assert_int_eq (node_audit_verify (s_node, 1, &cp), 0);
    node_resilience_t res;
    s_figures (&res);
    ck_assert_int_eq (res.backups, 2);
    ck_assert_int_eq (res.last_backup, second);
    ck_assert_int_eq (res.last_restore, restored);
    ck_assert_int_eq (res.audit.problem, NODE_AUDIT_OK);
    ck_assert_int_eq (res.audit.checkpoint_seq, cp.last_seq);
    ck_assert_int_eq (res.have_cert, 0);
    ck_assert_int_eq (res.deliveries_failed, 2);
    ck_assert_int_eq (res.deliveries_expired, 1);
    ck_assert_uint_eq (res.nreasons, 2);
    ck_assert_str_eq (res.reasons[0].kind, "failed");
    ck_assert_str_eq (res.reasons[0].reason, "policy.no-agreement: none in force");
    ck_assert_int_eq (res.reasons[0].count, 2);
    ck_assert_str_eq (res.reasons[1].kind, "expired");
    ck_assert_int_eq (res.reasons[1].count, 1);
    ck_assert_int_eq (node_resilience_attention (&res, NULL, NULL), 0);
    node_resilience_free (&res);
}
END_TEST

START_TEST (test_needs_admin_or_ig_officer)
{
    node_close (&s_node);
    char err[NODE_ERR_MAX] = "";
    s_node = node_open_as (s_home, "nobody-at-all", NULL, err, sizeof err);
    ck_assert_msg (s_node != NULL, "node_open_as: %s", err);
    node_resilience_t res;
    ck_assert_int_eq (node_resilience (s_node, 0, 0, &res), -1);
    ck_assert_int_eq (node_refused (s_node), 1);
    ck_assert_ptr_nonnull (strstr (node_error (s_node), "admin"));
    node_resilience_free (&res);
    store_audit_t *e = malloc (sizeof *e);
    ck_assert_ptr_nonnull (e);
    ck_assert_int_eq (store_audit_last (node_db (s_node), e), 0);
    ck_assert_str_eq (e->action, "report-read");
    ck_assert_str_eq (e->decision, "refuse");
    ck_assert_str_eq (e->rule, "role.missing");
    free (e);
}
END_TEST

static int s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove (path);
}

int main (void)
{
    snprintf (s_root, sizeof s_root, "%s/cdx-check-resilience-XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    if (!mkdtemp (s_root))
        return 1;
    Suite *s = suite_create ("resilience");
    TCase *t = tcase_create ("figures");
    tcase_add_checked_fixture (t, s_setup, s_teardown);
    tcase_set_timeout (t, 60);
    tcase_add_test (t, test_unclean_stop_is_an_outage_from_the_entry_before_the_start);
    tcase_add_test (t, test_unclean_stop_from_the_node_own_entry_and_before_a_period_end);
    tcase_add_test (t, test_publication_to_available_median_p95_worst);
    tcase_add_test (t, test_restart_between_accept_and_arrival_is_survived);
    tcase_add_test (t, test_failovers_and_drills_and_a_malformed_detail);
    tcase_add_test (t, test_parse_ms);
    tcase_add_test (t, test_backups_restore_deliveries_and_the_chain);
    tcase_add_test (t, test_needs_admin_or_ig_officer);
    suite_add_tcase (s, t);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    nftw (s_root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return failed ? 1 : 0;
}
