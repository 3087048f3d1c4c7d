/*  check_policy_governance.c: policy_decide (node/policy.c) on what goes
    beyond the agreement's own terms: the dataset's legal basis and
    opt-outs, the recipient's DSPT status and year, onward sharing under
    the agreement the data came in under; what an allowed decision names;
    and the cases this suite found policy_decide getting wrong, now right.

    Not for: the peer and the agreement's own terms
    (check_policy_agreement.c).
*/
#include "check_policy.h"

/* ---- the dataset's own governance --------------------------------------- */

/* A copy between nodes of one organisation (SPEC.md 11.5): allowed by
   its own rule with no agreement, no peer row and no DSPT, at SEND and
   RECEIVE; never at SUBSCRIBE, and a send to another organisation with
   no agreement is still refused. */
START_TEST (test_sibling_copy_allowed_without_agreement)
{
    policy_request_t q = req ();
    q.recipient = PROVIDER;
    policy_decision_t d = decide (&q);
    ck_assert_int_eq (d.allow, 1);
    ck_assert_str_eq (d.rule, "sibling.copy");
    ASSERT_REASON_HAS (d, "stays in the organisation");
    q.stage = POLICY_RECEIVE;
    d = decide (&q);
    ck_assert_int_eq (d.allow, 1);
    ck_assert_str_eq (d.rule, "sibling.copy");
    q.stage = POLICY_SUBSCRIBE;
    q.class_ = q.purpose = NULL;
    d = decide (&q);
    ck_assert_int_eq (d.allow, 0);
    q = req ();                                 /* to another organisation: no agreement, refused */
    d = decide (&q);
    ck_assert_int_eq (d.allow, 0);
    ck_assert_str_ne (d.rule, "sibling.copy");
}
END_TEST

START_TEST (test_legal_basis_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.class_ = "identifiable";
    given (&g);
    policy_request_t q = req ();
    q.class_ = "identifiable";
    q.opt_out = "yes";
    q.legal_basis = "";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.legal-basis");
    ASSERT_REASON_HAS (d, "legal basis");
    q.legal_basis = NULL;
    d = decide (&q);
    ASSERT_REFUSED (d, "policy.legal-basis");
    q.legal_basis = "s251";
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_opt_out_unstated_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.class_ = "identifiable";
    given (&g);
    policy_request_t q = req ();
    q.class_ = "identifiable";
    q.legal_basis = "s251";
    q.opt_out = "";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.opt-out");
    ASSERT_REASON_HAS (d, "not nothing");
    q.opt_out = "not-identifiable";  /* a contradiction for identifiable data */
    d = decide (&q);
    ASSERT_REFUSED (d, "policy.opt-out");
    ASSERT_REASON_HAS (d, "not not-identifiable");
    q.opt_out = "statutory-exemption";   /* the agreement does not require them */
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_opt_out_required_by_the_agreement_refused)
{
    agr_t g = agr_of ("DSA-1");
    g.class_ = "identifiable";
    g.opt_out = 1;
    given (&g);
    policy_request_t q = req ();
    q.class_ = "identifiable";
    q.legal_basis = "s251";
    q.opt_out = "statutory-exemption";
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.opt-out");
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "statutory-exemption");
    q.opt_out = "yes";
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

/* ---- the recipient's assurance ------------------------------------------ */

START_TEST (test_dspt_none_refused_but_aggregate_sent)
{
    given_peer (RECIPIENT, "", "", 0, 0);     /* pinned by hand */
    given_agreement (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.dspt");
    ASSERT_REASON_HAS (d, RECIPIENT);
    ASSERT_REASON_HAS (d, "no DSPT status");
    q.class_ = "aggregate";
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_dspt_approaching_refused)
{
    given_peer (RECIPIENT, "approaching-standards", "2025/26", 0, 0);
    given_agreement (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.dspt");
    ASSERT_REASON_HAS (d, "approaching-standards");
    ASSERT_REASON_HAS (d, "pseudonymised");
}
END_TEST

START_TEST (test_dspt_old_year_refused)
{
    given_peer (RECIPIENT, "standards-exceeded", "2023/24", 0, 0);   /* stood until 2025-06-30 */
    given_agreement (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.dspt");
    ASSERT_REASON_HAS (d, "2023/24");
    given_peer (RECIPIENT, "standards-exceeded", "2024/25", 0, 0);   /* stands until 2026-06-30 */
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

START_TEST (test_dspt_not_judged_at_receive)
{
    /* the recipient's own assurance is for the sender to judge */
    given_peer (PROVIDER, "", "", 0, 0);
    given_agreement (NULL);
    policy_request_t q = req ();
    q.stage = POLICY_RECEIVE;
    policy_decision_t d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
}
END_TEST

/* ---- onward sharing ------------------------------------------------------ */

START_TEST (test_onward_unknown_source_refused)
{
    agr_t src = src_agr ();
    policy_decision_t d = decide_onward (&src, "DSA-NONE");
    ASSERT_REFUSED (d, "policy.onward");
    ASSERT_REASON_HAS (d, "DSA-NONE");
    ASSERT_REASON_HAS (d, "does not hold");
}
END_TEST

START_TEST (test_onward_not_allowed_refused)
{
    agr_t src = src_agr ();
    src.onward = 0;
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ASSERT_REFUSED (d, "policy.onward");
    ASSERT_REASON_HAS (d, "DSA-SRC");
    ASSERT_REASON_HAS (d, "does not allow onward sharing");
}
END_TEST

START_TEST (test_onward_source_revoked_refused)
{
    agr_t src = src_agr ();
    src.revoked = NOW - DAY;
    src.revoked_by = "0AB";
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ASSERT_REFUSED (d, "policy.onward");
    ASSERT_REASON_HAS (d, "DSA-SRC");
    ASSERT_REASON_HAS (d, "no longer in force");
}
END_TEST

START_TEST (test_onward_source_expired_refused)
{
    agr_t src = src_agr ();
    src.end = NOW;
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ASSERT_REFUSED (d, "policy.onward");
    ASSERT_REASON_HAS (d, "no longer in force");
}
END_TEST

START_TEST (test_onward_allowed)
{
    agr_t src = src_agr ();
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ck_assert_str_eq (d.rule, "policy.allow");
    ck_assert_str_eq (d.agreement, "DSA-1");      /* the one it goes out under */
}
END_TEST

/* ---- allowed ------------------------------------------------------------- */

START_TEST (test_allow_names_the_agreement)
{
    given (NULL);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ck_assert_int_eq (d.allow, 1);
    ck_assert_str_eq (d.rule, "policy.allow");
    ck_assert_str_eq (d.agreement, "DSA-1");
    ck_assert_int_eq (d.until, END);
    ASSERT_REASON_HAS (d, "DSA-1");
    ASSERT_REASON_HAS (d, "2027-01-15");
}
END_TEST

START_TEST (test_allow_at_subscribe_and_receive)
{
    given_peer_good (RECIPIENT);
    given_peer_good (PROVIDER);
    given_agreement (NULL);
    policy_request_t q = req ();
    q.stage = POLICY_SUBSCRIBE;
    q.class_ = NULL;
    q.purpose = NULL;
    policy_decision_t d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
    q = req ();
    q.stage = POLICY_RECEIVE;
    d = decide (&q);
    ck_assert_str_eq (d.rule, "policy.allow");
    ck_assert_str_eq (d.agreement, "DSA-1");
}
END_TEST

/* ---- found by this suite, fixed in policy.c --------------------------------

   An undecodable agreement once refused with an empty rule (its step 0
   never beat the initial best step), and the onward check at send once
   looked only at the onward flag, revocation and end. */

/* An agreement row whose document does not decode, with no other for the
   pair: refused as policy.no-agreement, naming it. */
START_TEST (test_undecodable_agreement_names_no_agreement)
{
    given_peer_good (RECIPIENT);
    store_agreement_t *a = calloc (1, sizeof *a);
    ck_assert_ptr_nonnull (a);
    snprintf (a->ref, sizeof a->ref, "DSA-BAD");
    memset (a->hash, 0x11, sizeof a->hash);
    memset (a->doc, 0xc1, 16);                    /* 0xc1: never used in msgpack */
    a->doc_len = 16;
    snprintf (a->provider, sizeof a->provider, PROVIDER);
    snprintf (a->recipient, sizeof a->recipient, RECIPIENT);
    memset (a->sig_provider, 0xa5, sizeof a->sig_provider);
    memset (a->sig_recipient, 0x5a, sizeof a->sig_recipient);
    a->start = START;
    a->end = END;
    ck_assert_int_eq (store_agreement_put (fx_store, a), 0);
    free (a);
    policy_request_t q = req ();
    policy_decision_t d = decide (&q);
    ASSERT_REFUSED (d, "policy.no-agreement");
    ASSERT_REASON_HAS (d, "DSA-BAD");
}
END_TEST

/* Onward: "goes further only if that agreement allows onward sharing and
   is in force": started, signed by both, not revoked, not ended, and with
   this node as its recipient (cdx publish checks the same; the policy is
   the second line). */
START_TEST (test_onward_source_not_started_refused)
{
    agr_t src = src_agr ();
    src.start = NOW + DAY;
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ASSERT_REFUSED (d, "policy.onward");
}
END_TEST

START_TEST (test_onward_source_unsigned_refused)
{
    agr_t src = src_agr ();
    src.signed_provider = 0;                       /* a proposal only */
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ASSERT_REFUSED (d, "policy.onward");
}
END_TEST

START_TEST (test_onward_source_of_another_recipient_refused)
{
    agr_t src = src_agr ();
    src.recipient = "05D";                         /* data 0DF never received under it */
    policy_decision_t d = decide_onward (&src, "DSA-SRC");
    ASSERT_REFUSED (d, "policy.onward");
}
END_TEST

void policy_governance_tcases (Suite *s)
{
    TCase *tc = policy_tcase ("dataset");
    tcase_add_test (tc, test_sibling_copy_allowed_without_agreement);
    tcase_add_test (tc, test_legal_basis_refused);
    tcase_add_test (tc, test_opt_out_unstated_refused);
    tcase_add_test (tc, test_opt_out_required_by_the_agreement_refused);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("dspt");
    tcase_add_test (tc, test_dspt_none_refused_but_aggregate_sent);
    tcase_add_test (tc, test_dspt_approaching_refused);
    tcase_add_test (tc, test_dspt_old_year_refused);
    tcase_add_test (tc, test_dspt_not_judged_at_receive);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("onward");
    tcase_add_test (tc, test_onward_unknown_source_refused);
    tcase_add_test (tc, test_onward_not_allowed_refused);
    tcase_add_test (tc, test_onward_source_revoked_refused);
    tcase_add_test (tc, test_onward_source_expired_refused);
    tcase_add_test (tc, test_onward_allowed);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("allow");
    tcase_add_test (tc, test_allow_names_the_agreement);
    tcase_add_test (tc, test_allow_at_subscribe_and_receive);
    suite_add_tcase (s, tc);
    tc = policy_tcase ("fixed");
    tcase_add_test (tc, test_undecodable_agreement_names_no_agreement);
    tcase_add_test (tc, test_onward_source_not_started_refused);
    tcase_add_test (tc, test_onward_source_unsigned_refused);
    tcase_add_test (tc, test_onward_source_of_another_recipient_refused);
    suite_add_tcase (s, tc);
}
