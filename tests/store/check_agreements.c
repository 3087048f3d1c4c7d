/*  check_agreements: data sharing agreements (store/agreements.c).

    An agreement merges signatures and revocation under its ref, a ref
    held for another document is refused, and the count of those waiting
    for the other party's signature holds.

    Not for: what an agreement allows (node/agree.c, node/policy.c).
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

static int s_count_agreement (const store_agreement_t *a, void *arg)
{
    (void)a;
    (*(int *)arg)++;
    return 0;
}

START_TEST (test_agreement_put_merge_revoke_and_clash)
{
    store_t *s = fx_open (1);
    static store_agreement_t a, got;
    memset (&a, 0, sizeof a);
    strcpy (a.ref, "DSA-1");
    memset (a.hash, 0x11, 32);
    memset (a.doc, 0x22, 100);
    a.doc_len = 100;
    strcpy (a.provider, "0DF");
    strcpy (a.recipient, "04V");
    memset (a.sig_provider, 0x33, 64);
    a.start = 10, a.end = 20;
    ck_ok (s, store_agreement_put (s, &a));
    ck_ok (s, store_agreement_get (s, "DSA-1", &got));
    ck_assert_mem_eq (got.doc, a.doc, 100);
    ck_assert_uint_eq (got.doc_len, 100);
    ck_assert_int_eq (got.end, 20);
    static const uint8_t zero[64];
    ck_assert_mem_eq (got.sig_recipient, zero, 64);
    /* the recipient's signature and a revocation update the same row */
    memset (a.sig_recipient, 0x44, 64);
    a.revoked = 15, a.pushed = 1;
    strcpy (a.revoked_by, "04V");
    strcpy (a.reason, "ended");
    ck_ok (s, store_agreement_put (s, &a));
    ck_ok (s, store_agreement_by_hash (s, a.hash, &got));
    ck_assert_mem_eq (got.sig_recipient, a.sig_recipient, 64);
    ck_assert_int_eq (got.revoked, 15);
    ck_assert_str_eq (got.revoked_by, "04V");
    ck_assert_int_eq (got.pushed, 1);
    /* the same reference for another document is refused, and changes nothing */
    memset (a.hash, 0x55, 32);
    ck_assert_int_eq (store_agreement_put (s, &a), -1);
    ck_has (store_error (s), "another agreement");
    ck_ok (s, store_agreement_get (s, "DSA-1", &got));
    ck_assert_uint_eq (got.hash[0], 0x11);
    uint8_t none[32] = {0};
    ck_assert_int_eq (store_agreement_by_hash (s, none, &got), STORE_NOTFOUND);
    ck_assert_int_eq (store_agreement_get (s, "DSA-2", &got), STORE_NOTFOUND);
    int n = 0;
    ck_ok (s, store_agreement_each (s, s_count_agreement, &n));
    ck_assert_int_eq (n, 1);
    store_close (&s);
}
END_TEST

START_TEST (test_agreement_count_unsigned_by_the_other_party)
{
    store_t *s = fx_open (1);
    static store_agreement_t a;
    /* at 04V: two proposals from 0DF 04V has not signed (one revoked),
       one both signed, and one 04V proposed that 0DF has not signed */
    struct {
        const char *ref, *provider, *recipient;
        int sig_p, sig_r, revoked;
    } rows[] = {
        {"A", "0DF", "04V", 1, 0, 0},
        {"B", "0DF", "04V", 1, 0, 1},
        {"C", "0DF", "04V", 1, 1, 0},
        {"D", "04V", "0DF", 1, 0, 0},
    };
    for (int i = 0; i < 4; i++) {
        memset (&a, 0, sizeof a);
        snprintf (a.ref, sizeof a.ref, "%s", rows[i].ref);
        memset (a.hash, 0x10 + i, 32);
        memset (a.doc, 0x22, 10);
        a.doc_len = 10;
        snprintf (a.provider, sizeof a.provider, "%s", rows[i].provider);
        snprintf (a.recipient, sizeof a.recipient, "%s", rows[i].recipient);
        if (rows[i].sig_p) memset (a.sig_provider, 0x33, 64);
        if (rows[i].sig_r) memset (a.sig_recipient, 0x44, 64);
        a.revoked = rows[i].revoked;
        a.start = 1, a.end = 2;
        ck_ok (s, store_agreement_put (s, &a));
    }
    /* what counts is the signature of the party other than 0DF: A and B
       lack it; D lacks only 0DF's own */
    ck_assert_int_eq (store_agreement_count_unsigned (s, "0DF"), 2);
    ck_assert_int_eq (store_agreement_count_unsigned (s, "XYZ"), 0);
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_agreements");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "agreements");
    tcase_add_test (tc, test_agreement_put_merge_revoke_and_clash);
    tcase_add_test (tc, test_agreement_count_unsigned_by_the_other_party);
    return suite;
}
