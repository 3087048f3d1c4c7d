/*  check_peers: this node, its peers and the authority it trusts (store/peers.c).

    The identity is set once; peers are put, replaced and found by org or
    curve key and listed in order; a listing stops where its callback says;
    trust values and the node's card are replaced.

    Not for: verifying cards or directories (node/trust.c).
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

START_TEST (test_trust_values_and_card_replacement)
{
    store_t *s = fx_open (1);
    char *v = NULL;
    size_t len = 0;
    ck_assert_int_eq (store_trust_get (s, "directory", &v, &len), STORE_NOTFOUND);
    ck_assert_ptr_null (v);
    ck_ok (s, store_trust_put (s, "authority", "cdx-authority: 1\n"));
    ck_ok (s, store_trust_put (s, "directory", "serial 1"));
    ck_ok (s, store_trust_put (s, "directory", "serial 2")); /* replaced, not added */
    ck_ok (s, store_trust_get (s, "directory", &v, &len));
    ck_assert_str_eq (v, "serial 2");
    ck_assert_uint_eq (len, 8);
    free (v);
    ck_assert_int_eq (store_trust_put (s, "other", "x"), -1); /* only the two names */
    ck_assert_int_eq (store_trust_put (s, "directory", ""), -1);
    /* the card after a key rotation */
    ck_assert_int_eq (store_self_card (s, "new card"), -1); /* no identity yet */
    store_self_t self, got;
    memset (&self, 0, sizeof self);
    snprintf (self.org, sizeof self.org, "0DF");
    snprintf (self.role, sizeof self.role, "csu");
    snprintf (self.card, sizeof self.card, "old card");
    ck_ok (s, store_self_set (s, &self));
    ck_ok (s, store_self_card (s, "new card"));
    ck_ok (s, store_self_get (s, &got));
    ck_assert_str_eq (got.card, "new card");
    ck_assert_str_eq (got.org, "0DF");
    store_close (&s);
    s = fx_open (0);
    ck_ok (s, store_trust_get (s, "authority", &v, NULL));
    ck_assert_str_eq (v, "cdx-authority: 1\n");
    free (v);
    store_close (&s);
}
END_TEST

START_TEST (test_self_set_once_and_get)
{
    store_t *s = fx_open (1);
    store_self_t got;
    ck_assert_int_eq (store_self_get (s, &got), STORE_NOTFOUND);
    ck_has (store_error (s), "no identity");

    store_self_t self;
    memset (&self, 0, sizeof self);
    snprintf (self.org, sizeof self.org, "QWE");
    snprintf (self.role, sizeof self.role, "icb");
    snprintf (self.name, sizeof self.name, "NHS South West London ICB");
    snprintf (self.endpoint, sizeof self.endpoint, "tcp://10.0.0.1:7400");
    snprintf (self.card, sizeof self.card, "-----BEGIN CDX CARD-----\nabc\n");
    self.created = 12345; /* ignored: the store sets it */
    time_t before = time (NULL);
    ck_ok (s, store_self_set (s, &self));
    time_t after = time (NULL);

    ck_ok (s, store_self_get (s, &got));
    ck_assert_str_eq (got.org, self.org);
    ck_assert_str_eq (got.role, self.role);
    ck_assert_str_eq (got.name, self.name);
    ck_assert_str_eq (got.endpoint, self.endpoint);
    ck_assert_str_eq (got.card, self.card);
    ck_assert_int_ge (got.created, before);
    ck_assert_int_le (got.created, after);

    snprintf (self.org, sizeof self.org, "ABC");
    ck_assert_int_eq (store_self_set (s, &self), -1);
    ck_has (store_error (s), "already has an identity");
    ck_ok (s, store_self_get (s, &got));
    ck_assert_str_eq (got.org, "QWE");
    store_close (&s);
}
END_TEST

START_TEST (test_peer_put_get_by_curve)
{
    store_t *s = fx_open (1);
    store_peer_t p = fx_peer ("04V", 1);
    time_t before = time (NULL);
    ck_ok (s, store_peer_put (s, &p));

    store_peer_t got;
    ck_ok (s, store_peer_get (s, "04V", &got));
    ck_assert_str_eq (got.org, p.org);
    ck_assert_str_eq (got.role, p.role);
    ck_assert_str_eq (got.name, p.name);
    ck_assert_str_eq (got.endpoint, p.endpoint);
    ck_assert_mem_eq (got.sign_pk, p.sign_pk, 32);
    ck_assert_mem_eq (got.box_pk, p.box_pk, 32);
    ck_assert_mem_eq (got.curve_pk, p.curve_pk, 32);
    ck_assert_str_eq (got.card, p.card);
    ck_assert_str_eq (got.trust, "pinned");
    ck_assert_int_ge (got.added, before);

    memset (&got, 0, sizeof got);
    ck_ok (s, store_peer_by_curve (s, p.curve_pk, &got));
    ck_assert_str_eq (got.org, "04V");

    uint8_t other[32] = {0};
    ck_assert_int_eq (store_peer_by_curve (s, other, &got), STORE_NOTFOUND);
    ck_assert_int_eq (store_peer_get (s, "XYZ", &got), STORE_NOTFOUND);
    ck_has (store_error (s), "XYZ");
    store_close (&s);
}
END_TEST

START_TEST (test_peer_each_orders_by_org_and_replaces)
{
    store_t *s = fx_open (1);
    const char *orgs[] = {"ZZZ", "AAA", "MMM"};
    for (int i = 0; i < 3; i++) {
        store_peer_t p = fx_peer (orgs[i], (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    fx_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, fx_see_peer, &seen));
    ck_assert_int_eq (seen.count, 3);
    ck_assert_str_eq (seen.keys[0], "AAA");
    ck_assert_str_eq (seen.keys[1], "MMM");
    ck_assert_str_eq (seen.keys[2], "ZZZ");

    /* Same org again: replaced, not added. */
    store_peer_t p = fx_peer ("MMM", 9);
    snprintf (p.name, sizeof p.name, "Renamed");
    ck_ok (s, store_peer_put (s, &p));
    memset (&seen, 0, sizeof seen);
    ck_ok (s, store_peer_each (s, fx_see_peer, &seen));
    ck_assert_int_eq (seen.count, 3);
    store_peer_t got;
    ck_ok (s, store_peer_get (s, "MMM", &got));
    ck_assert_str_eq (got.name, "Renamed");
    ck_assert_mem_eq (got.curve_pk, p.curve_pk, 32);
    /* The old curve key no longer finds it. */
    store_peer_t old = fx_peer ("MMM", 3);
    ck_assert_int_eq (store_peer_by_curve (s, old.curve_pk, &got), STORE_NOTFOUND);

    /* Another org claiming MMM's curve key is refused, and MMM is intact. */
    store_peer_t thief = fx_peer ("BAD", 9);
    ck_assert_int_eq (store_peer_put (s, &thief), -1);
    ck_has (store_error (s), "curve_pk");
    ck_assert_int_eq (store_peer_get (s, "BAD", &got), STORE_NOTFOUND);
    ck_ok (s, store_peer_by_curve (s, p.curve_pk, &got));
    ck_assert_str_eq (got.org, "MMM");
    store_close (&s);
}
END_TEST

START_TEST (test_each_stops_early_and_returns_fn_value)
{
    store_t *s = fx_open (1);
    for (int i = 0; i < 4; i++) {
        char org[8];
        snprintf (org, sizeof org, "P%d", i);
        store_peer_t p = fx_peer (org, (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    fx_seen_t seen = {.stop_after = 2};
    ck_assert_int_eq (store_peer_each (s, fx_see_peer, &seen), 7);
    ck_assert_int_eq (seen.count, 2);
    /* The statement was reset: a new listing starts from the top, and
       writes are not blocked by a half-read statement. */
    store_peer_t p = fx_peer ("P9", 50);
    ck_ok (s, store_peer_put (s, &p));
    memset (&seen, 0, sizeof seen);
    ck_ok (s, store_peer_each (s, fx_see_peer, &seen));
    ck_assert_int_eq (seen.count, 5);
    ck_assert_str_eq (seen.keys[0], "P0");
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_peers");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "self");
    tcase_add_test (tc, test_self_set_once_and_get);

    tc = fx_tcase (suite, "peers");
    tcase_add_test (tc, test_peer_put_get_by_curve);
    tcase_add_test (tc, test_peer_each_orders_by_org_and_replaces);
    tcase_add_test (tc, test_each_stops_early_and_returns_fn_value);

    tc = fx_tcase (suite, "trust");
    tcase_add_test (tc, test_trust_values_and_card_replacement);
    return suite;
}
