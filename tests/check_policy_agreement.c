/*  check_policy_agreement.c: policy_decide (node/policy.c) on the other
    node and the agreement: the peer unknown, revoked or expired; no
    agreement, or one whose topics, signatures, revocation, dates, class or
    purposes do not cover the request; the choice among several agreements
    (the refusal of the one that got furthest, one passing allows); a store
    that cannot be read.

    Not for: the dataset's own governance, the recipient's DSPT, onward
    sharing (check_policy_governance.c).
*/
#include <sqlite3.h>

#include "check_policy.h"

/* ---- the other node ----------------------------------------------------- */

START_TEST (test_peer_unknown_refused)
{
    given_agreement (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.peer-unknown");
    ASSERT_REASON_HAS (d, RECIPIENT);
}
END_TEST

START_TEST (test_peer_revoked_refused)
{
    given_peer (RECIPIENT, "standards-met", "2025/26", 0, NOW - DAY);
    given_agreement (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.peer-revoked");
    ASSERT_REASON_HAS (d, RECIPIENT);
    ASSERT_REASON_HAS (d, "2026-01-14");
}
END_TEST

START_TEST (test_peer_revoked_checks_the_provider_at_receive)
{
    /* at the receiving end the other node is the provider */
    given_peer (PROVIDER, "", "", 0, NOW - DAY);
    given_agreement (NULL);
    policy_request_t q = req ();
    q.stage = POLICY_RECEIVE;
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.peer-revoked");
    ASSERT_REASON_HAS (d, PROVIDER);
}
END_TEST

START_TEST (test_peer_expired_refused)
{
    given_peer (RECIPIENT, "standards-met", "2025/26", NOW, 0);   /* expires as of now */
    given_agreement (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.peer-expired");
    ASSERT_REASON_HAS (d, RECIPIENT);
    ASSERT_REASON_HAS (d, "2026-01-15");
}
END_TEST

/* ---- the agreement ------------------------------------------------------ */

START_TEST (test_no_agreement_refused)
{
    given_peer_good (RECIPIENT);
    /* one the other way round does not count */
    agr_t g = agr_of ("DSA-REV");
    g.provider = RECIPIENT;
    g.recipient = PROVIDER;
    given_agreement (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.no-agreement");
    ASSERT_REASON_HAS (d, PROVIDER);
    ASSERT_REASON_HAS (d, RECIPIENT);
}
END_TEST

START_TEST (test_topic_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.topics = "op/monthly,apc/*";
    given (&g);
    policy_request_t q = req ();
    q.topic = "ae/daily";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.topic");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "ae/daily");
    ASSERT_REASON_HAS (d, "op/monthly,apc/*");
    ck_assert_str_eq (d.agreement, "DSA-1");
}
END_TEST

START_TEST (test_topic_patterns_cover)
{
    agr_t g = agr_of ("DSA-1");
    g.topics = "op/monthly,apc/*";
    given (&g);
    policy_request_t q = req ();
    q.topic = "op/monthly";          /* an exact topic in the list */
    policy_decision_t d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
    q.topic = "apc/monthly/2026";    /* the prefix pattern */
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
    q.topic = "op/monthly2";         /* an exact topic is not a prefix */
    d = decide (&q);
    ASSERT_REFUSED (d, "policy.topic");
}
END_TEST

START_TEST (test_topic_star_covers_every_topic)
{
    agr_t g = agr_of ("DSA-1");
    g.topics = "*";
    given (&g);
    policy_request_t q = req ();
    q.topic = "ae/daily";
    policy_decision_t d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
    ck_assert_int_eq (d.allow, 1);
}
END_TEST

START_TEST (test_unsigned_by_recipient_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.signed_recipient = 0;          /* a proposal, not yet signed back */
    given (&g);
    policy_request_t q = req ();
    q.stage = POLICY_SUBSCRIBE;
    q.class_ = NULL;
    q.purpose = NULL;
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.agreement-unsigned");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, PROVIDER);
    ASSERT_REASON_HAS (d, RECIPIENT);
}
END_TEST

START_TEST (test_unsigned_by_provider_refused)
{
    given_peer_good (PROVIDER);
    agr_t g = agr_of ("DSA-1");
    g.signed_provider = 0;
    given_agreement (&g);
    policy_request_t q = req ();
    q.stage = POLICY_RECEIVE;
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.agreement-unsigned");
}
END_TEST

START_TEST (test_agreement_revoked_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.revoked = NOW - 2 * DAY;
    g.revoked_by = RECIPIENT;
    given (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.agreement-revoked");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "by " RECIPIENT);
    ASSERT_REASON_HAS (d, "2026-01-13");
}
END_TEST

START_TEST (test_agreement_not_started_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.start = NOW + 1;
    g.end = NOW + 365 * DAY;
    given (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.agreement-not-started");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "2026-01-15");
    q.now = NOW + 1;                  /* in force from its start, inclusive */
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_agreement_expired_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.end = NOW;                      /* the end is exclusive */
    given (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.agreement-expired");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "2026-01-15");
    q.now = NOW - 1;
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_class_above_the_agreement_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.class_ = "aggregate";
    given (&g);
    policy_request_t q = req ();   /* pseudonymised */
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.class");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "up to aggregate");
    ASSERT_REASON_HAS (d, "not pseudonymised");
}
END_TEST

START_TEST (test_class_below_the_agreement_allowed)
{
    agr_t g = agr_of ("DSA-1");
    g.class_ = "identifiable";
    given (&g);
    policy_request_t q = req ();   /* pseudonymised < identifiable */
    policy_decision_t d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
    q.class_ = "aggregate";
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_class_unknown_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.class_ = "identifiable";
    given (&g);
    policy_request_t q = req ();
    q.class_ = "pseudonymized";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.class");
    ASSERT_REASON_HAS (d, "not pseudonymized");
}
END_TEST

START_TEST (test_purpose_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.purposes = "commissioning,invoice-validation";
    given (&g);
    policy_request_t q = req ();
    q.purpose = "risk-stratification";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.purpose");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "commissioning,invoice-validation");
    ASSERT_REASON_HAS (d, "not risk-stratification");
    q.purpose = "invoice-validation";
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_purpose_prefix_is_not_a_purpose)
{
    given (NULL);   /* commissioning */
    policy_request_t q = req ();
    q.purpose = "commission";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.purpose");
}
END_TEST

/* ---- several agreements -------------------------------------------------- */

START_TEST (test_several_refusal_of_the_furthest)
{
    /* topic < signatures < revocation < dates < class < purpose: the one
       that failed latest is named, whatever the order of the refs */
    given_peer_good (RECIPIENT);
    agr_t g = agr_of ("DSA-A-PURPOSE");
    g.purposes = "invoice-validation";
    given_agreement (&g);
    g = agr_of ("DSA-B-TOPIC");
    g.topics = "op/*";
    given_agreement (&g);
    g = agr_of ("DSA-C-CLASS");
    g.class_ = "aggregate";
    given_agreement (&g);
    g = agr_of ("DSA-D-UNSIGNED");
    g.signed_recipient = 0;
    given_agreement (&g);
    g = agr_of ("DSA-E-EXPIRED");
    g.end = NOW - DAY;
    g.start = NOW - 10 * DAY;
    given_agreement (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.purpose");
    ck_assert_str_eq (d.agreement, "DSA-A-PURPOSE");
    ASSERT_REASON_HAS (d, "DSA-A-PURPOSE");
}
END_TEST

START_TEST (test_several_dates_after_revocation)
{
    given_peer_good (RECIPIENT);
    agr_t g = agr_of ("DSA-A-EXPIRED");
    g.end = NOW - DAY;
    g.start = NOW - 10 * DAY;
    given_agreement (&g);
    g = agr_of ("DSA-B-REVOKED");
    g.revoked = NOW - DAY;
    g.revoked_by = PROVIDER;
    given_agreement (&g);
    g = agr_of ("DSA-C-TOPIC");
    g.topics = "op/*";
    given_agreement (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.agreement-expired");
    ck_assert_str_eq (d.agreement, "DSA-A-EXPIRED");
}
END_TEST

START_TEST (test_several_opt_out_is_furthest)
{
    given_peer_good (RECIPIENT);
    agr_t g = agr_of ("DSA-A-OPTOUT");
    g.class_ = "identifiable";
    g.opt_out = 1;
    given_agreement (&g);
    g = agr_of ("DSA-B-PURPOSE");
    g.class_ = "identifiable";
    g.purposes = "invoice-validation";
    given_agreement (&g);
    policy_request_t q = req ();
    q.class_ = "identifiable";
    q.legal_basis = "s251";
    q.opt_out = "statutory-exemption";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.opt-out");
    ck_assert_str_eq (d.agreement, "DSA-A-OPTOUT");
}
END_TEST

START_TEST (test_several_one_passing_allows)
{
    given_peer_good (RECIPIENT);
    agr_t g = agr_of ("DSA-A-REVOKED");
    g.revoked = NOW - DAY;
    g.revoked_by = RECIPIENT;
    given_agreement (&g);
    g = agr_of ("DSA-B-GOOD");
    given_agreement (&g);
    g = agr_of ("DSA-C-PURPOSE");
    g.purposes = "invoice-validation";
    given_agreement (&g);
    g = agr_of ("DSA-D-UNSIGNED");
    g.signed_provider = 0;
    given_agreement (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ck_assert_int_eq (d.allow, 1);
    ck_assert_str_eq (d.rule, "policy.allow");
    ck_assert_str_eq (d.agreement, "DSA-B-GOOD");
    ck_assert_int_eq (d.until, END);
}
END_TEST

START_TEST (test_several_with_other_parties_ignored)
{
    /* agreements of other pairs neither allow nor shape the refusal */
    given_peer_good (RECIPIENT);
    agr_t g = agr_of ("DSA-A-OTHER");
    g.recipient = "05D";
    given_agreement (&g);
    g = agr_of ("DSA-B-TOPIC");
    g.topics = "op/*";
    given_agreement (&g);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.topic");
    ck_assert_str_eq (d.agreement, "DSA-B-TOPIC");
}
END_TEST

/* ---- the store ----------------------------------------------------------- */

START_TEST (test_store_unreadable_is_an_error)
{
    given (NULL);
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open_v2 (fx_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    ck_assert_int_eq (sqlite3_exec (db, "DROP TABLE agreements", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
    policy_request_t q = req ();
    policy_decision_t d;
    ck_assert_int_eq (policy_decide (fx_store, &q, &d), -1);
    ASSERT_REFUSED (d, "policy.error");
    ASSERT_REASON_HAS (d, "agreements");
}
END_TEST

void policy_agreement_tcases (Suite *s)
{
    TCase *tc = policy_tcase ("peer");
    tcase_add_test (tc, test_peer_unknown_refused);
    tcase_add_test (tc, test_peer_revoked_refused);
    tcase_add_test (tc, test_peer_revoked_checks_the_provider_at_receive);
    tcase_add_test (tc, test_peer_expired_refused);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("agreement");
    tcase_add_test (tc, test_no_agreement_refused);
    tcase_add_test (tc, test_topic_refused);
    tcase_add_test (tc, test_topic_patterns_cover);
    tcase_add_test (tc, test_topic_star_covers_every_topic);
    tcase_add_test (tc, test_unsigned_by_recipient_refused);
    tcase_add_test (tc, test_unsigned_by_provider_refused);
    tcase_add_test (tc, test_agreement_revoked_refused);
    tcase_add_test (tc, test_agreement_not_started_refused);
    tcase_add_test (tc, test_agreement_expired_refused);
    tcase_add_test (tc, test_class_above_the_agreement_refused);
    tcase_add_test (tc, test_class_below_the_agreement_allowed);
    tcase_add_test (tc, test_class_unknown_refused);
    tcase_add_test (tc, test_purpose_refused);
    tcase_add_test (tc, test_purpose_prefix_is_not_a_purpose);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("several");
    tcase_add_test (tc, test_several_refusal_of_the_furthest);
    tcase_add_test (tc, test_several_dates_after_revocation);
    tcase_add_test (tc, test_several_opt_out_is_furthest);
    tcase_add_test (tc, test_several_one_passing_allows);
    tcase_add_test (tc, test_several_with_other_parties_ignored);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("store");
    tcase_add_test (tc, test_store_unreadable_is_an_error);
    suite_add_tcase (s, tc);
}
