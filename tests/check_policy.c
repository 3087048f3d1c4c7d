/*  check_policy: policy_decide (node/policy.c) on a real SQLite store: the
    suite's fixture, the state its tests write, and main. The tests are in
    check_policy_agreement.c (the other node, the agreement, several
    agreements, the store) and check_policy_governance.c (the dataset's
    governance, DSPT, onward sharing, allowed, fixed).

    Each test gets its own mkdtemp directory and a store file in it, writes
    the least state the rule needs (the peer, the agreements as encoded
    documents with or without each party's signature, the peer's DSPT
    status and year, revocations, dates), asks one question and asserts the
    rule that decided and what its reason names. One test per rule of the
    table in docs/IG-RULES.md, and the choice among several agreements.
    The "fixed" case holds what this suite found policy_decide getting
    wrong, now right.

    Not for: the audit entry the caller writes, the wire, the trust layer's
    own refusal (trust.revoked): the integration tests cover those.
*/
#include <dirent.h>
#include <unistd.h>

#include "check_policy.h"

static char s_dir[PATH_MAX];
char fx_db[PATH_MAX];
store_t *fx_store;

static void s_setup (void)
{
    char err[256] = "";
    snprintf (s_dir, sizeof s_dir, "%s/cdx-policy-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull (mkdtemp (s_dir));
    snprintf (fx_db, sizeof fx_db, "%s/store.db", s_dir);
    fx_store = store_open (fx_db, 1, err, sizeof err);
    ck_assert_msg (fx_store != NULL, "store_open: %s", err);
}

static void s_teardown (void)
{
    store_close (&fx_store);
    DIR *d = opendir (s_dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_MAX + 256];
    while ((e = readdir (d)) != NULL) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0) continue;
        snprintf (path, sizeof path, "%s/%s", s_dir, e->d_name);
        unlink (path);
    }
    closedir (d);
    rmdir (s_dir);
}

/* ---- state ------------------------------------------------------------ */

/* A peer as the authority work would leave it: DSPT and its year, the
   certificate's end and a directory's revocation (0 for none). */
void given_peer (const char *org, const char *dspt, const char *year, int64_t not_after,
                 int64_t revoked)
{
    store_peer_t p;
    memset (&p, 0, sizeof p);
    uint8_t seed = (uint8_t) (org[0] + 3 * org[1] + 7 * org[2]);   /* distinct keys per org */
    snprintf (p.org, sizeof p.org, "%s", org);
    snprintf (p.address, sizeof p.address, "%s", org);
    snprintf (p.role, sizeof p.role, "icb");
    snprintf (p.name, sizeof p.name, "Peer %s", org);
    snprintf (p.endpoint, sizeof p.endpoint, "tcp://127.0.0.1:%d", 5000 + seed);
    for (int i = 0; i < 32; i++) {
        p.sign_pk[i] = (uint8_t) (seed + i);
        p.box_pk[i] = (uint8_t) (seed * 3 + i);
        p.curve_pk[i] = (uint8_t) (seed * 7 + i);
    }
    snprintf (p.card, sizeof p.card, "card of %s", org);
    snprintf (p.trust, sizeof p.trust, "%s", dspt[0] ? "certified" : "pinned");
    snprintf (p.dspt, sizeof p.dspt, "%s", dspt);
    snprintf (p.dspt_year, sizeof p.dspt_year, "%s", year);
    p.not_after = not_after;
    p.revoked = revoked;
    ck_assert_msg (store_peer_put (fx_store, &p) == 0, "peer %s: %s", org,
                   store_error (fx_store));
}

/* The recipient, assured: what a SEND of pseudonymised data needs. */
void given_peer_good (const char *org)
{
    given_peer (org, "standards-met", "2025/26", 0, 0);
}

agr_t agr_of (const char *ref)
{
    agr_t a = {ref,      PROVIDER, RECIPIENT, "apc/*", "pseudonymised", "commissioning",
               0,        0,        START,     END,     1,               1,
               0,        ""};
    return a;
}

void given_agreement (const agr_t *g)
{
    agr_t dsa1 = agr_of ("DSA-1");
    if (!g) g = &dsa1;
    proto_agreement_t *doc = calloc (1, sizeof *doc);
    store_agreement_t *a = calloc (1, sizeof *a);
    ck_assert_ptr_nonnull (doc);
    ck_assert_ptr_nonnull (a);
    doc->format = 1;
    snprintf (doc->ref, sizeof doc->ref, "%s", g->ref);
    snprintf (doc->provider, sizeof doc->provider, "%s", g->provider);
    snprintf (doc->provider_ig, sizeof doc->provider_ig, "A. Lead");
    snprintf (doc->recipient, sizeof doc->recipient, "%s", g->recipient);
    snprintf (doc->recipient_ig, sizeof doc->recipient_ig, "B. Lead");
    snprintf (doc->topics, sizeof doc->topics, "%s", g->topics);
    snprintf (doc->class_, sizeof doc->class_, "%s", g->class_);
    snprintf (doc->purposes, sizeof doc->purposes, "%s", g->purposes);
    snprintf (doc->art6, sizeof doc->art6, "6(1)(e)");
    snprintf (doc->art9, sizeof doc->art9, "9(2)(h)");
    snprintf (doc->duty, sizeof doc->duty, "s251");
    doc->opt_out = (uint32_t) g->opt_out;
    doc->start = g->start;
    doc->end = g->end;
    doc->retention_days = 365;
    doc->onward = (uint32_t) g->onward;
    doc->created = g->start;
    ck_assert_msg (proto_agreement_encode (doc, a->doc, sizeof a->doc, &a->doc_len) == 0,
                   "encode %s: %s", g->ref, proto_error ());

    snprintf (a->ref, sizeof a->ref, "%s", g->ref);
    for (size_t i = 0; i < sizeof a->hash; i++)    /* distinct per ref; policy ignores it */
        a->hash[i] = (uint8_t) (g->ref[i % strlen (g->ref)] + i);
    snprintf (a->provider, sizeof a->provider, "%s", g->provider);
    snprintf (a->recipient, sizeof a->recipient, "%s", g->recipient);
    if (g->signed_provider) memset (a->sig_provider, 0xa5, sizeof a->sig_provider);
    if (g->signed_recipient) memset (a->sig_recipient, 0x5a, sizeof a->sig_recipient);
    a->start = g->start;
    a->end = g->end;
    a->revoked = g->revoked;
    snprintf (a->revoked_by, sizeof a->revoked_by, "%s", g->revoked_by);
    ck_assert_msg (store_agreement_put (fx_store, a) == 0, "agreement %s: %s", g->ref,
                   store_error (fx_store));
    free (a);
    free (doc);
}

/* A SEND of pseudonymised data for commissioning, 0DF to 04V, today. */
policy_request_t req (void)
{
    policy_request_t q = {POLICY_SEND, PROVIDER, RECIPIENT, "apc/monthly", "pseudonymised",
                          "commissioning", "", "", "", NOW};
    return q;
}

policy_decision_t decide (const policy_request_t *q)
{
    policy_decision_t d;
    memset (&d, 0x7e, sizeof d);      /* policy_decide must set every field it reports */
    ck_assert_int_eq (policy_decide (fx_store, q, &d), 0);
    return d;
}

void given (const agr_t *g)
{
    given_peer_good (RECIPIENT);
    given_agreement (g);
}

agr_t src_agr (void)
{
    agr_t src = agr_of ("DSA-SRC");
    src.provider = "0AB";
    src.recipient = PROVIDER;
    src.onward = 1;
    return src;
}

policy_decision_t decide_onward (const agr_t *src, const char *source)
{
    given (NULL);
    given_agreement (src);
    policy_request_t q = req ();
    q.source = source;
    return decide (&q);
}

/* ---- suite ------------------------------------------------------------- */

TCase *policy_tcase (const char *name)
{
    TCase *tc = tcase_create (name);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    return tc;
}

static Suite *s_suite (void)
{
    Suite *s = suite_create ("policy");
    policy_agreement_tcases (s);
    policy_governance_tcases (s);
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
