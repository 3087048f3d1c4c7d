/*  check_open: opening a store, its schema, transactions and its checks (store/store.c).

    A missing, empty, foreign or newer file is refused in words that name
    the fix; a new one is WAL, migrated and keeps its data; transactions
    roll back and commit, the WAL sync and the integrity check hold, and
    two handles on one file see each other's commits.

    Not for: the rows of any table (the other check_*.c files).
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

START_TEST (test_open_creates_and_migrates)
{
    store_t *s = fx_open (1);
    ck_assert_int_eq (store_schema_version (s), STORE_SCHEMA_VERSION);
    /* Statements are prepared on first use: every one compiles against
       the schema. */
    ck_assert_msg (store_prepare_all (s) == 0, "%s", store_error (s));
    store_close (&s);
    ck_assert_ptr_null (s);

    struct stat sb;
    ck_assert_int_eq (stat (fx_db, &sb), 0);
    ck_assert_msg ((sb.st_mode & 077) == 0, "store is mode %o, readable by others",
                   (unsigned)(sb.st_mode & 0777));
    ck_assert_int_eq (fx_raw_int ("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq (fx_raw_int ("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name"
                                  " IN ('self', 'peers', 'datasets', 'subscriptions',"
                                  " 'deliveries', 'audit')"),
                      6);
    /* Opening again (with or without create) migrates nothing twice. */
    s = fx_open (1);
    ck_assert_int_eq (store_schema_version (s), STORE_SCHEMA_VERSION);
    store_close (&s);
    store_close (&s); /* closing NULL is harmless */
}
END_TEST

START_TEST (test_reopen_keeps_data)
{
    store_t *s = fx_open (1);
    store_self_t self;
    memset (&self, 0, sizeof self);
    snprintf (self.org, sizeof self.org, "QWE");
    snprintf (self.role, sizeof self.role, "icb");
    snprintf (self.card, sizeof self.card, "my card");
    ck_ok (s, store_self_set (s, &self));
    store_peer_t p = fx_peer ("04V", 1);
    ck_ok (s, store_peer_put (s, &p));
    store_audit_t e = fx_audit ("init", "created");
    ck_ok (s, store_audit_append (s, &e));
    store_close (&s);

    s = fx_open (0);
    store_self_t got;
    ck_ok (s, store_self_get (s, &got));
    ck_assert_str_eq (got.org, "QWE");
    ck_assert_str_eq (got.card, "my card");
    store_peer_t gp;
    ck_ok (s, store_peer_get (s, "04V", &gp));
    ck_assert_mem_eq (gp.curve_pk, p.curve_pk, 32);
    fx_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, fx_see_peer, &seen));
    ck_assert_int_eq (seen.count, 1);
    store_close (&s);
}
END_TEST

START_TEST (test_open_missing_without_create_fails_readably)
{
    char err[256] = "";
    store_t *s = store_open (fx_db, 0, err, sizeof err);
    ck_assert_ptr_null (s);
    ck_has (err, "no store at");
    ck_has (err, fx_db);
    ck_has (err, "run cdx init first");
    struct stat sb;
    ck_assert_int_eq (stat (fx_db, &sb), -1);
    ck_assert_int_eq (errno, ENOENT);

    /* A short or absent buffer is respected. */
    char tiny[8];
    memset (tiny, 'x', sizeof tiny);
    ck_assert_ptr_null (store_open (fx_db, 0, tiny, sizeof tiny));
    ck_assert_int_eq (strlen (tiny), sizeof tiny - 1);
    ck_assert_ptr_null (store_open (fx_db, 0, NULL, 0));
}
END_TEST

START_TEST (test_open_empty_file_without_create_fails)
{
    int fd = open (fx_db, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge (fd, 0);
    close (fd);
    char err[256] = "";
    ck_assert_ptr_null (store_open (fx_db, 0, err, sizeof err));
    ck_has (err, "cdx init");
    store_t *s = fx_open (1);
    ck_assert_int_eq (store_schema_version (s), STORE_SCHEMA_VERSION);
    store_close (&s);
}
END_TEST

START_TEST (test_open_refuses_other_sqlite_database)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open (fx_db, &db), SQLITE_OK);
    ck_assert_int_eq (
        sqlite3_exec (db, "CREATE TABLE t (x); INSERT INTO t VALUES (42);", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    char err[256] = "";
    ck_assert_ptr_null (store_open (fx_db, 1, err, sizeof err));
    ck_has (err, "not a cdx store");
    ck_assert_int_eq (fx_raw_int ("SELECT x FROM t"), 42);
    ck_assert_int_eq (fx_raw_int ("SELECT count(*) FROM sqlite_master WHERE name = 'peers'"), 0);
}
END_TEST

START_TEST (test_journal_mode_is_wal)
{
    store_t *s = fx_open (1);
    char mode[32];
    fx_raw_text ("PRAGMA journal_mode", mode, sizeof mode);
    ck_assert_str_eq (mode, "wal");
    store_close (&s);
}
END_TEST

START_TEST (test_future_schema_version_is_refused)
{
    store_t *s = fx_open (1);
    store_close (&s);
    char sql[64];
    snprintf (sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    ck_assert_int_eq (fx_raw_exec (sql), SQLITE_OK);

    for (int create = 0; create <= 1; create++) {
        char err[256] = "";
        ck_assert_ptr_null (store_open (fx_db, create, err, sizeof err));
        ck_has (err, "newer");
        ck_has (err, "upgrade cdx");
    }
    /* Refusing did not touch it. */
    ck_assert_int_eq (fx_raw_int ("PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
}
END_TEST

START_TEST (test_check_passes_on_fresh_store)
{
    store_t *s = fx_open (1);
    ck_ok (s, store_check (s));
    store_close (&s);
}
END_TEST

/* store_sync reaches the write-ahead log and syncs it: the commit it
   follows is there for another connection, in the WAL (not yet
   checkpointed into the database file). */
START_TEST (test_sync_makes_a_commit_durable)
{
    store_t *s = fx_open (1);
    ck_ok (s, store_begin (s));
    store_peer_t p = fx_peer ("SYN", 1);
    ck_ok (s, store_peer_put (s, &p));
    ck_ok (s, store_commit (s));
    ck_ok (s, store_sync (s));
    ck_ok (s, store_sync (s)); /* nothing new: harmless */
    char wal[PATH_MAX + 8];
    snprintf (wal, sizeof wal, "%s-wal", fx_db);
    struct stat st;
    ck_assert_int_eq (stat (wal, &st), 0);
    ck_assert_int_gt (st.st_size, 0);
    ck_assert_int_eq (fx_raw_int ("SELECT count(*) FROM peers WHERE org = 'SYN'"), 1);
    store_close (&s);
}
END_TEST

START_TEST (test_rollback_discards_and_commit_keeps)
{
    store_t *s = fx_open (1);
    ck_ok (s, store_begin (s));
    ck_assert_int_eq (store_begin (s), -1);
    ck_has (store_error (s), "already open");
    store_peer_t p = fx_peer ("RBK", 1);
    ck_ok (s, store_peer_put (s, &p));
    store_peer_t got;
    ck_ok (s, store_peer_get (s, "RBK", &got)); /* visible inside */
    ck_ok (s, store_rollback (s));
    ck_assert_int_eq (store_peer_get (s, "RBK", &got), STORE_NOTFOUND);

    ck_ok (s, store_begin (s));
    p = fx_peer ("CMT", 2);
    ck_ok (s, store_peer_put (s, &p));
    ck_ok (s, store_commit (s));
    ck_ok (s, store_peer_get (s, "CMT", &got));

    ck_assert_int_eq (store_commit (s), -1);
    ck_has (store_error (s), "no transaction");
    ck_ok (s, store_rollback (s)); /* nothing open: harmless */
    store_close (&s);

    s = fx_open (0);
    ck_assert_int_eq (store_peer_get (s, "RBK", &got), STORE_NOTFOUND);
    ck_ok (s, store_peer_get (s, "CMT", &got));
    store_close (&s);
}
END_TEST

START_TEST (test_two_handles_see_each_others_commits)
{
    store_t *node = fx_open (1);
    store_t *cli = fx_open (0);

    store_peer_t p = fx_peer ("04V", 1);
    ck_ok (cli, store_peer_put (cli, &p));
    store_peer_t got;
    ck_ok (node, store_peer_get (node, "04V", &got));

    store_audit_t e = fx_audit ("send", "from the node");
    ck_ok (node, store_audit_append (node, &e));
    fx_audits_t a = {0};
    ck_ok (cli, store_audit_each (cli, fx_see_audit, &a));
    ck_assert_int_eq (a.count, 1);
    ck_assert_str_eq (a.last.detail, "from the node");

    /* Uncommitted work is invisible to the other handle, which can still
       read meanwhile (WAL); after the commit it sees it. */
    ck_ok (node, store_begin (node));
    store_peer_t q = fx_peer ("02X", 2);
    ck_ok (node, store_peer_put (node, &q));
    ck_assert_int_eq (store_peer_get (cli, "02X", &got), STORE_NOTFOUND);
    ck_ok (cli, store_peer_get (cli, "04V", &got));
    ck_ok (node, store_commit (node));
    ck_ok (cli, store_peer_get (cli, "02X", &got));

    store_close (&cli);
    store_close (&node);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_open");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "open");
    tcase_add_test (tc, test_open_creates_and_migrates);
    tcase_add_test (tc, test_reopen_keeps_data);
    tcase_add_test (tc, test_open_missing_without_create_fails_readably);
    tcase_add_test (tc, test_open_empty_file_without_create_fails);
    tcase_add_test (tc, test_open_refuses_other_sqlite_database);
    tcase_add_test (tc, test_journal_mode_is_wal);
    tcase_add_test (tc, test_future_schema_version_is_refused);

    tc = fx_tcase (suite, "integrity");
    tcase_add_test (tc, test_check_passes_on_fresh_store);

    tc = fx_tcase (suite, "transactions");
    tcase_add_test (tc, test_rollback_discards_and_commit_keeps);
    tcase_add_test (tc, test_sync_makes_a_commit_durable);
    tcase_add_test (tc, test_two_handles_see_each_others_commits);
    return suite;
}
