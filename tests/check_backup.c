/*  check_backup: backups (node/backup.c, node/restore.c): the manifest's
    parser against every line it must refuse, and node_backup_verify
    against a real backup of a real home damaged in each way it names:
    a file changed, missing or added as a link, the manifest re-ordered or
    cut, and a store whose audit log was edited before the backup (every
    hash in the manifest then matches: only the chain walk finds it).

    Each test makes a node home in its own directory under one mkdtemp
    root (node_init), backs it up with the same kind of callbacks the
    command line uses (mkdir, node_outfile_new), and removes it all.
    Not for: the command line and the running node (integration t_backup).
*/
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "core.h"

static char s_root[PATH_MAX];
static char s_home[PATH_MAX], s_dir[PATH_MAX + 8];
static node_t *s_node;

static int s_mkdir (void *arg, char *err, size_t errlen)
{
    if (mkdir ((const char *) arg, 0700) == 0)
        return 0;
    snprintf (err, errlen, "mkdir: %s", strerror (errno));
    return -1;
}

static node_outfile_t *s_file (void *arg, const char *name, char *err, size_t errlen)
{
    char path[PATH_MAX + 128];
    snprintf (path, sizeof path, "%s/%s", (const char *) arg, name);
    return node_outfile_new (path, 0600, err, errlen);
}

static void s_backup (void)
{
    node_backup_out_t out = {s_mkdir, s_file, s_dir, NULL, NULL};
    node_backup_info_t info;
    ck_assert_msg (node_backup (s_node, &out, &info) == 0, "backup: %s", node_error (s_node));
    ck_assert_str_eq (info.org, "0DF");
    ck_assert_int_eq (info.files, 4);               /* the store and three keys */
}

static void s_setup (void)
{
    ck_assert_int_eq (cx_init (), 0);
    snprintf (s_home, sizeof s_home, "%s/home-XXXXXX", s_root);
    ck_assert_ptr_nonnull (mkdtemp (s_home));
    snprintf (s_dir, sizeof s_dir, "%s.bk", s_home);
    node_init_t o = {s_home, "0DF", "csu", "Backup Test CSU", "tcp://127.0.0.1:7101", NULL};
    char err[NODE_ERR_MAX] = "";
    ck_assert_msg (node_init (&o, err, sizeof err) == 0, "node_init: %s", err);
    s_node = node_open (s_home, NULL, err, sizeof err);
    ck_assert_msg (s_node != NULL, "node_open: %s", err);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq (node_audit (s_node, "user:t (admin)", "note", "x", "", "allow", "local", "entry %d", i), 0);
}

static int s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove (path);
}

static void s_teardown (void)
{
    node_close (&s_node);
    nftw (s_home, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    nftw (s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static node_backup_report_t s_verify (void)
{
    node_backup_report_t r;
    char err[NODE_ERR_MAX] = "";
    ck_assert_msg (node_backup_verify (s_dir, s_node, &r, err, sizeof err) == 0, "verify: %s", err);
    return r;
}

/* Refused, naming FILE and a problem containing WORDS. */
static void s_refused (const char *file, const char *words)
{
    node_backup_report_t r = s_verify ();
    ck_assert_msg (!r.ok, "a damaged backup verified");
    ck_assert_str_eq (r.file, file);
    ck_assert_msg (strstr (r.problem, words) != NULL, "problem \"%s\" lacks \"%s\"", r.problem, words);
}

static void s_flip (const char *name, long at)
{
    char path[PATH_MAX + 128];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    int fd = open (path, O_RDWR);
    ck_assert_int_ge (fd, 0);
    unsigned char b;
    ck_assert_int_eq (pread (fd, &b, 1, at), 1);
    b ^= 1;
    ck_assert_int_eq (pwrite (fd, &b, 1, at), 1);
    close (fd);
}

START_TEST (test_backup_verifies_with_the_current_key)
{
    s_backup ();
    node_backup_report_t r = s_verify ();
    ck_assert_msg (r.ok, "%s", r.problem);
    ck_assert_str_eq (r.key, "current");
    ck_assert_int_eq (r.info.audit_seq, 6);       /* init and the five entries: the log at the copy */
}
END_TEST

START_TEST (test_each_file_changed_is_named)
{
    static const char *const names[] = {"store.db", "keys.sign.key", "keys.box.key", "keys.curve.key"};
    s_backup ();
    for (size_t i = 0; i < 4; i++) {
        s_flip (names[i], 20);
        s_refused (names[i], "does not match its hash");
        s_flip (names[i], 20);
    }
    ck_assert (s_verify ().ok);
}
END_TEST

START_TEST (test_a_file_replaced_by_a_link_is_refused)
{
    s_backup ();
    char path[PATH_MAX + 128];
    snprintf (path, sizeof path, "%s/keys.box.key", s_dir);
    ck_assert_int_eq (unlink (path), 0);
    ck_assert_int_eq (symlink ("/etc/hostname", path), 0);
    s_refused ("keys.box.key", "keys.box.key");
}
END_TEST

START_TEST (test_manifest_changed_anywhere_is_refused)
{
    s_backup ();
    s_flip (NODE_BACKUP_MANIFEST, 30);          /* in the signing key's hex: still hex or not */
    node_backup_report_t r = s_verify ();
    ck_assert (!r.ok);
    ck_assert_str_eq (r.file, NODE_BACKUP_MANIFEST);
}
END_TEST

START_TEST (test_an_audit_log_edited_before_the_backup_is_found)
{
    /* every file then matches its hash: the chain walk is what finds it */
    sqlite3 *db = NULL;
    char path[PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/store.db", s_home);
    ck_assert_int_eq (sqlite3_open (path, &db), SQLITE_OK);
    ck_assert_int_eq (sqlite3_exec (db, "DROP TRIGGER audit_no_update;"
                                        "UPDATE audit SET detail = 'edited' WHERE seq = 4;", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    s_backup ();
    s_refused ("store.db", "audit entry 4 does not match its hash");
}
END_TEST

/* ---- the parser -------------------------------------------------------- */

static const char *const s_head =
    "cdx-backup: 1\norg: 0DF\nsign-key: 0000000000000000000000000000000000000000000000000000000000000000\n"
    "created: 2026-12-01T00:00:00Z\nat: 1796083200\nschema: 4\naudit-seq: 3\n"
    "audit-hash: 0000000000000000000000000000000000000000000000000000000000000000\n";
static const char *const s_sig =
    "signature: 00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000\n";

static int s_parse (const char *files, const char *tail)
{
    char text[4096];
    snprintf (text, sizeof text, "%s%s%s", s_head, files, tail);
    node_backup_manifest_t m;
    char err[NODE_ERR_MAX];
    int rc = node_backup_manifest_parse (text, strlen (text), &m, err, sizeof err);
    node_backup_manifest_free (&m);
    return rc;
}

START_TEST (test_parser_takes_the_format_and_refuses_the_rest)
{
    const char *h = "0000000000000000000000000000000000000000000000000000000000000000";
    char ok[256], line[512];
    snprintf (ok, sizeof ok, "file: store.db 10 %s\n", h);
    ck_assert_int_eq (s_parse (ok, s_sig), 0);
    static const char *const bad[] = {
        "file: ../store.db 10 ", "file: .hidden 10 ", "file: data/x 10 ", "file: other.db 10 ",
        "file: store.db -1 ", "file: store.db 1e3 ", "file: store.db  10 ", "file: keys.a\tb 10 ",
        "file: store.db 10 00", "file:  store.db 10 ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf (line, sizeof line, "%s%s\n", bad[i], strstr (bad[i], " 00") ? "" : h);
        ck_assert_msg (s_parse (line, s_sig) != 0, "took \"%s\"", line);
    }
    snprintf (line, sizeof line, "%s%s", ok, ok);                      /* a name twice */
    ck_assert_int_ne (s_parse (line, s_sig), 0);
    ck_assert_int_ne (s_parse (ok, ""), 0);                             /* no signature */
    snprintf (line, sizeof line, "%sx\n", s_sig);                       /* bytes after it */
    ck_assert_int_ne (s_parse (ok, line), 0);
    ck_assert_int_ne (s_parse (ok, "signature: 00\n"), 0);
}
END_TEST

int main (void)
{
    snprintf (s_root, sizeof s_root, "%s/cdx-check-backup-XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    if (!mkdtemp (s_root))
        return 2;
    Suite *s = suite_create ("backup");
    TCase *t = tcase_create ("verify");
    tcase_add_checked_fixture (t, s_setup, s_teardown);
    tcase_add_test (t, test_backup_verifies_with_the_current_key);
    tcase_add_test (t, test_each_file_changed_is_named);
    tcase_add_test (t, test_a_file_replaced_by_a_link_is_refused);
    tcase_add_test (t, test_manifest_changed_anywhere_is_refused);
    tcase_add_test (t, test_an_audit_log_edited_before_the_backup_is_found);
    suite_add_tcase (s, t);
    TCase *p = tcase_create ("manifest");
    tcase_add_test (p, test_parser_takes_the_format_and_refuses_the_rest);
    suite_add_tcase (s, p);
    SRunner *r = srunner_create (s);
    srunner_run_all (r, CK_NORMAL);
    int failed = srunner_ntests_failed (r);
    srunner_free (r);
    rmdir (s_root);
    return failed ? 1 : 0;
}
