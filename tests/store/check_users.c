/*  check_users: local users and retention periods (store/users.c).

    Users are put, replaced, removed and listed; retention periods are
    put, replaced and found.

    Not for: what a role allows or erasing content (node/).
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

static int s_count_user (const store_user_t *u, void *arg)
{
    char *seen = arg;
    strcat (seen, u->login);
    strcat (seen, ";");
    return 0;
}

START_TEST (test_user_put_replace_remove_each)
{
    store_t *s = fx_open (1);
    store_user_t u = {0};
    snprintf (u.login, sizeof u.login, "bob");
    snprintf (u.roles, sizeof u.roles, "publisher");
    snprintf (u.added_by, sizeof u.added_by, "root");
    ck_ok (s, store_user_put (s, &u));
    snprintf (u.login, sizeof u.login, "alice");
    snprintf (u.roles, sizeof u.roles, "analyst");
    ck_ok (s, store_user_put (s, &u));

    store_user_t got;
    ck_ok (s, store_user_get (s, "alice", &got));
    ck_assert_str_eq (got.roles, "analyst");
    ck_assert_str_eq (got.added_by, "root");
    ck_assert_int_gt (got.created, 0);
    int64_t created = got.created;

    /* Put again: the roles change, the row (and its creation time) stays. */
    snprintf (u.roles, sizeof u.roles, "analyst,ig-officer");
    snprintf (u.added_by, sizeof u.added_by, "carol");
    ck_ok (s, store_user_put (s, &u));
    ck_ok (s, store_user_get (s, "alice", &got));
    ck_assert_str_eq (got.roles, "analyst,ig-officer");
    ck_assert_str_eq (got.added_by, "carol");
    ck_assert_int_eq (got.created, created);

    char seen[64] = "";
    ck_assert_int_eq (store_user_each (s, s_count_user, seen), 0);
    ck_assert_str_eq (seen, "alice;bob;"); /* ordered by login */

    ck_ok (s, store_user_remove (s, "bob"));
    ck_assert_int_eq (store_user_get (s, "bob", &got), STORE_NOTFOUND);
    ck_assert_int_eq (store_user_remove (s, "bob"), STORE_NOTFOUND);
    ck_has (store_error (s), "no local user bob");

    /* An empty login is refused by the schema; an unterminated one before SQL. */
    snprintf (u.login, sizeof u.login, "%s", "");
    ck_assert_int_eq (store_user_put (s, &u), -1);
    memset (u.login, 'x', sizeof u.login);
    ck_assert_int_eq (store_user_put (s, &u), -1);
    ck_has (store_error (s), "login");
    store_close (&s);

    /* The table survives a reopen. */
    s = fx_open (0);
    ck_ok (s, store_user_get (s, "alice", &got));
    ck_assert_str_eq (got.roles, "analyst,ig-officer");
    store_close (&s);
}
END_TEST

START_TEST (test_retention_put_replace_get)
{
    store_t *s = fx_open (1);
    store_retention_t r = {0};
    snprintf (r.publisher, sizeof r.publisher, "0DF");
    snprintf (r.topic, sizeof r.topic, "sus/apc");
    r.seconds = 30 * 86400;
    snprintf (r.set_by, sizeof r.set_by, "ig");
    ck_ok (s, store_retention_put (s, &r));
    r.seconds = 3;
    ck_ok (s, store_retention_put (s, &r));
    store_retention_t got;
    ck_ok (s, store_retention_get (s, "0DF", "sus/apc", &got));
    ck_assert_int_eq (got.seconds, 3);
    ck_assert_str_eq (got.set_by, "ig");
    ck_assert_int_eq (store_retention_get (s, "0DF", "other", &got), STORE_NOTFOUND);
    r.seconds = 0; /* CHECK (seconds >= 1) */
    ck_assert_int_eq (store_retention_put (s, &r), -1);
    /* A sibling's setting keeps its time and origin (SPEC.md 11.5). */
    r.seconds = 86400;
    r.updated = 1795640400;
    snprintf (r.origin, sizeof r.origin, "0DF/b");
    ck_ok (s, store_retention_put_setting (s, &r));
    ck_ok (s, store_retention_get (s, "0DF", "sus/apc", &got));
    ck_assert_int_eq (got.updated, 1795640400);
    ck_assert_str_eq (got.origin, "0DF/b");
    r.origin[0] = '\0';
    ck_ok (s, store_retention_put (s, &r));
    ck_ok (s, store_retention_get (s, "0DF", "sus/apc", &got));
    ck_assert_int_gt (got.updated, 1795640400);
    ck_assert_str_eq (got.origin, "");
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_users");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "users");
    tcase_add_test (tc, test_user_put_replace_remove_each);
    tcase_add_test (tc, test_retention_put_replace_get);
    return suite;
}
