/*  check_newest: the newest-wins rule of the settings siblings share
    (node/run/newest.c, SPEC.md 11.5): the later time wins; in the same
    second the greater origin address (byte order); the same version
    never wins over itself; and two siblings holding either version
    agree on which one stands.

    Not for: applying a setting (t_siblings_settings runs real nodes).
*/
#include <check.h>
#include <stdlib.h>

#include "newest.h"

START_TEST (test_the_later_time_wins)
{
    ck_assert_int_eq (newest_wins (1795640401, "04V/a", 1795640400, "04V/b"), 1);
    ck_assert_int_eq (newest_wins (1795640400, "04V/b", 1795640401, "04V/a"), 0);
}
END_TEST

START_TEST (test_same_second_the_greater_address_wins)
{
    ck_assert_int_eq (newest_wins (1795640400, "04V/b", 1795640400, "04V/a"), 1);
    ck_assert_int_eq (newest_wins (1795640400, "04V/a", 1795640400, "04V/b"), 0);
    /* An unlabelled node's address (its org) sorts before a labelled one. */
    ck_assert_int_eq (newest_wins (1795640400, "04V/a", 1795640400, "04V"), 1);
    /* Byte order, not locale order: 'a' (0x61) is after 'Z' (0x5a). */
    ck_assert_int_eq (newest_wins (1795640400, "04V/a", 1795640400, "04V/Z"), 1);
}
END_TEST

START_TEST (test_the_same_version_does_not_win)
{
    ck_assert_int_eq (newest_wins (1795640400, "04V/a", 1795640400, "04V/a"), 0);
    ck_assert_int_eq (newest_wins (0, "04V", 0, "04V"), 0);
}
END_TEST

START_TEST (test_every_order_ends_alike)
{
    /* Exactly one of two different versions wins, whichever is held. */
    static const struct { int64_t t; const char *o; } v[] = {
        {0, "04V"}, {1, "04V"}, {1, "04V/a"}, {1, "04V/b"}, {2, "04V/a"}, {INT64_MAX, "04V/a"},
    };
    size_t n = sizeof v / sizeof v[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int a = newest_wins (v[i].t, v[i].o, v[j].t, v[j].o);
            int b = newest_wins (v[j].t, v[j].o, v[i].t, v[i].o);
            ck_assert_int_eq (a + b, i == j ? 0 : 1);
        }
}
END_TEST

int main (void)
{
    Suite *s = suite_create ("newest");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_the_later_time_wins);
    tcase_add_test (tc, test_same_second_the_greater_address_wins);
    tcase_add_test (tc, test_the_same_version_does_not_win);
    tcase_add_test (tc, test_every_order_ends_alike);
    suite_add_tcase (s, tc);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
