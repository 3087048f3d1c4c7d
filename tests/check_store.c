/*  check_store: the store module's behaviour on real SQLite files.

    Each test gets its own mkdtemp directory and a store file in it; where a
    test needs to see the file as another program would (the journal mode,
    a future schema, a tampered row), it opens a second plain sqlite3
    connection. Nothing is mocked.

    Not for: what the node does with the rows (tests of node/ and the
    integration tests cover that).
*/
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <sys/wait.h>

#include "cx.h"
#include "store.h"
#include "spec_vectors.h"

static char s_dir[PATH_MAX];
static char s_db[PATH_MAX];

static void s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "%s/cdx-store-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull (mkdtemp (s_dir));
    snprintf (s_db, sizeof s_db, "%s/store.db", s_dir);
}

static void s_teardown (void)
{
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

/* ---- helpers ----------------------------------------------------------- */

/* With the audit chain's real hash (BLAKE2b-256), as the node sets it. */
static store_t *s_open (int create)
{
    char err[256] = "";
    ck_assert_int_eq (cx_init (), 0);
    store_t *s = store_open (s_db, create, err, sizeof err);
    ck_assert_msg (s != NULL, "store_open: %s", err);
    store_set_hasher (s, cx_hash_buf);
    return s;
}

/* A second, plain connection to the same file, as another program. */
static sqlite3 *s_raw_open (void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open_v2 (s_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    return db;
}

static int s_raw_exec (const char *sql)
{
    sqlite3 *db = s_raw_open ();
    int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_close (db);
    return rc;
}

static void s_raw_text (const char *sql, char *buf, size_t cap)
{
    sqlite3 *db = s_raw_open ();
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq (sqlite3_step (st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text (st, 0);
    snprintf (buf, cap, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize (st);
    sqlite3_close (db);
}

static int64_t s_raw_int (const char *sql)
{
    char buf[64];
    s_raw_text (sql, buf, sizeof buf);
    return strtoll (buf, NULL, 10);
}

static store_peer_t s_peer (const char *org, uint8_t seed)
{
    store_peer_t p;
    memset (&p, 0, sizeof p);
    snprintf (p.org, sizeof p.org, "%s", org);
    snprintf (p.role, sizeof p.role, "icb");
    snprintf (p.name, sizeof p.name, "Peer %s", org);
    snprintf (p.endpoint, sizeof p.endpoint, "tcp://127.0.0.1:%d", 5000 + seed);
    for (int i = 0; i < 32; i++) {
        p.sign_pk[i] = (uint8_t)(seed + i);
        p.box_pk[i] = (uint8_t)(seed * 3 + i);
        p.curve_pk[i] = (uint8_t)(seed * 7 + i);
    }
    snprintf (p.card, sizeof p.card, "card of %s", org);
    snprintf (p.trust, sizeof p.trust, "pinned");
    return p;
}

static store_dataset_t s_dataset (const char *id, const char *pub, const char *topic,
                                  int64_t version)
{
    store_dataset_t d;
    memset (&d, 0, sizeof d);
    snprintf (d.id, sizeof d.id, "%s", id);
    snprintf (d.publisher, sizeof d.publisher, "%s", pub);
    snprintf (d.topic, sizeof d.topic, "%s", topic);
    d.version = version;
    snprintf (d.class_, sizeof d.class_, "aggregate");
    snprintf (d.purpose, sizeof d.purpose, "commissioning");
    snprintf (d.filename, sizeof d.filename, "%s-v%lld.csv", topic, (long long)version);
    d.bytes = 1000 * version + 7;
    d.chunk_size = 256;
    d.chunks = (d.bytes + 255) / 256;
    for (int i = 0; i < 32; i++)
        d.hash[i] = (uint8_t)(0xA0 + i + version);
    d.manifest_len = 100 + (size_t)version;
    for (size_t i = 0; i < d.manifest_len; i++)
        d.manifest[i] = (uint8_t)(i * 13 + version);
    for (int i = 0; i < 64; i++)
        d.sig[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < 80; i++)
        d.wrapped[i] = (uint8_t)(0x10 + i);
    snprintf (d.state, sizeof d.state, "published");
    d.next_chunk = d.chunks;
    return d;
}

static store_audit_t s_audit (const char *action, const char *detail)
{
    store_audit_t e;
    memset (&e, 0, sizeof e);
    e.seq = 999;
    e.at = 5;
    snprintf (e.actor, sizeof e.actor, "user:alice");
    snprintf (e.action, sizeof e.action, "%s", action);
    snprintf (e.object, sizeof e.object, "topic/x");
    snprintf (e.peer, sizeof e.peer, "04V");
    snprintf (e.decision, sizeof e.decision, "allow");
    snprintf (e.rule, sizeof e.rule, "local.admin");
    snprintf (e.detail, sizeof e.detail, "%s", detail);
    return e;
}

#define ck_ok(s, call) ck_assert_msg ((call) == 0, "%s: %s", #call, store_error (s))
#define ck_has(str, sub)                                                                           \
    ck_assert_msg (strstr ((str), (sub)) != NULL, "\"%s\" lacks \"%s\"", (str), (sub))

/* Collects rows of any _each into a counter and a few keys. */
typedef struct {
    int count;
    int stop_after; /* return 7 after this many rows, 0: never */
    char keys[16][160];
} s_seen_t;

static int s_note (s_seen_t *seen, const char *key)
{
    if (seen->count < 16) snprintf (seen->keys[seen->count], sizeof seen->keys[0], "%s", key);
    seen->count++;
    return seen->stop_after && seen->count >= seen->stop_after ? 7 : 0;
}

static int s_see_peer (const store_peer_t *p, void *arg)
{
    return s_note (arg, p->org);
}

static int s_see_dataset (const store_dataset_t *d, void *arg)
{
    char key[160];
    snprintf (key, sizeof key, "%s/%s/%lld", d->publisher, d->topic, (long long)d->version);
    return s_note (arg, key);
}

static int s_see_sub (const store_sub_t *sub, void *arg)
{
    char key[160];
    snprintf (key, sizeof key, "%s>%s:%s=%s", sub->publisher, sub->subscriber, sub->topic,
              sub->state);
    return s_note (arg, key);
}

static int s_see_delivery (const store_delivery_t *d, void *arg)
{
    char key[160];
    snprintf (key, sizeof key, "%s>%s=%s", d->dataset, d->subscriber, d->state);
    return s_note (arg, key);
}

/* ---- opening ------------------------------------------------------------ */

START_TEST (test_open_creates_and_migrates)
{
    store_t *s = s_open (1);
    ck_assert_int_eq (store_schema_version (s), STORE_SCHEMA_VERSION);
    /* Statements are prepared on first use: every one compiles against
       the schema. */
    ck_assert_msg (store_prepare_all (s) == 0, "%s", store_error (s));
    store_close (&s);
    ck_assert_ptr_null (s);

    struct stat sb;
    ck_assert_int_eq (stat (s_db, &sb), 0);
    ck_assert_msg ((sb.st_mode & 077) == 0, "store is mode %o, readable by others",
                   (unsigned)(sb.st_mode & 0777));
    ck_assert_int_eq (s_raw_int ("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq (s_raw_int ("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name"
                                 " IN ('self', 'peers', 'datasets', 'subscriptions',"
                                 " 'deliveries', 'audit')"),
                      6);
    /* Opening again (with or without create) migrates nothing twice. */
    s = s_open (1);
    ck_assert_int_eq (store_schema_version (s), STORE_SCHEMA_VERSION);
    store_close (&s);
    store_close (&s); /* closing NULL is harmless */
}
END_TEST

START_TEST (test_reopen_keeps_data)
{
    store_t *s = s_open (1);
    store_self_t self;
    memset (&self, 0, sizeof self);
    snprintf (self.org, sizeof self.org, "QWE");
    snprintf (self.role, sizeof self.role, "icb");
    snprintf (self.card, sizeof self.card, "my card");
    ck_ok (s, store_self_set (s, &self));
    store_peer_t p = s_peer ("04V", 1);
    ck_ok (s, store_peer_put (s, &p));
    store_audit_t e = s_audit ("init", "created");
    ck_ok (s, store_audit_append (s, &e));
    store_close (&s);

    s = s_open (0);
    store_self_t got;
    ck_ok (s, store_self_get (s, &got));
    ck_assert_str_eq (got.org, "QWE");
    ck_assert_str_eq (got.card, "my card");
    store_peer_t gp;
    ck_ok (s, store_peer_get (s, "04V", &gp));
    ck_assert_mem_eq (gp.curve_pk, p.curve_pk, 32);
    s_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, s_see_peer, &seen));
    ck_assert_int_eq (seen.count, 1);
    store_close (&s);
}
END_TEST

START_TEST (test_trust_values_and_card_replacement)
{
    store_t *s = s_open (1);
    char *v = NULL;
    size_t len = 0;
    ck_assert_int_eq (store_trust_get (s, "directory", &v, &len), STORE_NOTFOUND);
    ck_assert_ptr_null (v);
    ck_ok (s, store_trust_put (s, "authority", "cdx-authority: 1\n"));
    ck_ok (s, store_trust_put (s, "directory", "serial 1"));
    ck_ok (s, store_trust_put (s, "directory", "serial 2"));   /* replaced, not added */
    ck_ok (s, store_trust_get (s, "directory", &v, &len));
    ck_assert_str_eq (v, "serial 2");
    ck_assert_uint_eq (len, 8);
    free (v);
    ck_assert_int_eq (store_trust_put (s, "other", "x"), -1);  /* only the two names */
    ck_assert_int_eq (store_trust_put (s, "directory", ""), -1);
    /* the card after a key rotation */
    ck_assert_int_eq (store_self_card (s, "new card"), -1);    /* no identity yet */
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
    s = s_open (0);
    ck_ok (s, store_trust_get (s, "authority", &v, NULL));
    ck_assert_str_eq (v, "cdx-authority: 1\n");
    free (v);
    store_close (&s);
}
END_TEST

START_TEST (test_open_missing_without_create_fails_readably)
{
    char err[256] = "";
    store_t *s = store_open (s_db, 0, err, sizeof err);
    ck_assert_ptr_null (s);
    ck_has (err, "no store at");
    ck_has (err, s_db);
    ck_has (err, "run cdx init first");
    struct stat sb;
    ck_assert_int_eq (stat (s_db, &sb), -1);
    ck_assert_int_eq (errno, ENOENT);

    /* A short or absent buffer is respected. */
    char tiny[8];
    memset (tiny, 'x', sizeof tiny);
    ck_assert_ptr_null (store_open (s_db, 0, tiny, sizeof tiny));
    ck_assert_int_eq (strlen (tiny), sizeof tiny - 1);
    ck_assert_ptr_null (store_open (s_db, 0, NULL, 0));
}
END_TEST

START_TEST (test_open_empty_file_without_create_fails)
{
    int fd = open (s_db, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge (fd, 0);
    close (fd);
    char err[256] = "";
    ck_assert_ptr_null (store_open (s_db, 0, err, sizeof err));
    ck_has (err, "cdx init");
    store_t *s = s_open (1);
    ck_assert_int_eq (store_schema_version (s), STORE_SCHEMA_VERSION);
    store_close (&s);
}
END_TEST

START_TEST (test_open_refuses_other_sqlite_database)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open (s_db, &db), SQLITE_OK);
    ck_assert_int_eq (
        sqlite3_exec (db, "CREATE TABLE t (x); INSERT INTO t VALUES (42);", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    char err[256] = "";
    ck_assert_ptr_null (store_open (s_db, 1, err, sizeof err));
    ck_has (err, "not a cdx store");
    ck_assert_int_eq (s_raw_int ("SELECT x FROM t"), 42);
    ck_assert_int_eq (s_raw_int ("SELECT count(*) FROM sqlite_master WHERE name = 'peers'"), 0);
}
END_TEST

START_TEST (test_journal_mode_is_wal)
{
    store_t *s = s_open (1);
    char mode[32];
    s_raw_text ("PRAGMA journal_mode", mode, sizeof mode);
    ck_assert_str_eq (mode, "wal");
    store_close (&s);
}
END_TEST

START_TEST (test_future_schema_version_is_refused)
{
    store_t *s = s_open (1);
    store_close (&s);
    char sql[64];
    snprintf (sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    ck_assert_int_eq (s_raw_exec (sql), SQLITE_OK);

    for (int create = 0; create <= 1; create++) {
        char err[256] = "";
        ck_assert_ptr_null (store_open (s_db, create, err, sizeof err));
        ck_has (err, "newer");
        ck_has (err, "upgrade cdx");
    }
    /* Refusing did not touch it. */
    ck_assert_int_eq (s_raw_int ("PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
}
END_TEST

/* ---- this node ------------------------------------------------------------ */

START_TEST (test_self_set_once_and_get)
{
    store_t *s = s_open (1);
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

/* ---- peers ---------------------------------------------------------------- */

START_TEST (test_peer_put_get_by_curve)
{
    store_t *s = s_open (1);
    store_peer_t p = s_peer ("04V", 1);
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
    store_t *s = s_open (1);
    const char *orgs[] = {"ZZZ", "AAA", "MMM"};
    for (int i = 0; i < 3; i++) {
        store_peer_t p = s_peer (orgs[i], (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    s_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, s_see_peer, &seen));
    ck_assert_int_eq (seen.count, 3);
    ck_assert_str_eq (seen.keys[0], "AAA");
    ck_assert_str_eq (seen.keys[1], "MMM");
    ck_assert_str_eq (seen.keys[2], "ZZZ");

    /* Same org again: replaced, not added. */
    store_peer_t p = s_peer ("MMM", 9);
    snprintf (p.name, sizeof p.name, "Renamed");
    ck_ok (s, store_peer_put (s, &p));
    memset (&seen, 0, sizeof seen);
    ck_ok (s, store_peer_each (s, s_see_peer, &seen));
    ck_assert_int_eq (seen.count, 3);
    store_peer_t got;
    ck_ok (s, store_peer_get (s, "MMM", &got));
    ck_assert_str_eq (got.name, "Renamed");
    ck_assert_mem_eq (got.curve_pk, p.curve_pk, 32);
    /* The old curve key no longer finds it. */
    store_peer_t old = s_peer ("MMM", 3);
    ck_assert_int_eq (store_peer_by_curve (s, old.curve_pk, &got), STORE_NOTFOUND);

    /* Another org claiming MMM's curve key is refused, and MMM is intact. */
    store_peer_t thief = s_peer ("BAD", 9);
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
    store_t *s = s_open (1);
    for (int i = 0; i < 4; i++) {
        char org[8];
        snprintf (org, sizeof org, "P%d", i);
        store_peer_t p = s_peer (org, (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    s_seen_t seen = {.stop_after = 2};
    ck_assert_int_eq (store_peer_each (s, s_see_peer, &seen), 7);
    ck_assert_int_eq (seen.count, 2);
    /* The statement was reset: a new listing starts from the top, and
       writes are not blocked by a half-read statement. */
    store_peer_t p = s_peer ("P9", 50);
    ck_ok (s, store_peer_put (s, &p));
    memset (&seen, 0, sizeof seen);
    ck_ok (s, store_peer_each (s, s_see_peer, &seen));
    ck_assert_int_eq (seen.count, 5);
    ck_assert_str_eq (seen.keys[0], "P0");
    store_close (&s);
}
END_TEST

/* ---- datasets ------------------------------------------------------------- */

START_TEST (test_dataset_put_get_round_trip)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("00112233445566778899aabbccddeeff", "QWE", "sus/monthly", 3);
    time_t before = time (NULL);
    ck_ok (s, store_dataset_put (s, &d));
    time_t after = time (NULL);

    store_dataset_t got;
    ck_ok (s, store_dataset_get (s, d.id, &got));
    ck_assert_str_eq (got.id, d.id);
    ck_assert_str_eq (got.publisher, d.publisher);
    ck_assert_str_eq (got.topic, d.topic);
    ck_assert_int_eq (got.version, 3);
    ck_assert_str_eq (got.class_, d.class_);
    ck_assert_str_eq (got.purpose, d.purpose);
    ck_assert_str_eq (got.filename, d.filename);
    ck_assert_int_eq (got.bytes, d.bytes);
    ck_assert_int_eq (got.chunk_size, d.chunk_size);
    ck_assert_int_eq (got.chunks, d.chunks);
    ck_assert_mem_eq (got.hash, d.hash, 32);
    ck_assert_uint_eq (got.manifest_len, d.manifest_len);
    ck_assert_mem_eq (got.manifest, d.manifest, d.manifest_len);
    ck_assert_mem_eq (got.sig, d.sig, 64);
    ck_assert_mem_eq (got.wrapped, d.wrapped, 80);
    ck_assert_str_eq (got.state, "published");
    ck_assert_int_eq (got.next_chunk, d.chunks);
    ck_assert_int_ge (got.created, before);
    ck_assert_int_le (got.created, after);
    ck_assert_int_eq (got.updated, got.created);

    ck_assert_int_eq (store_dataset_get (s, "nope", &got), STORE_NOTFOUND);

    /* A manifest longer than its field is refused before SQL. */
    d.manifest_len = sizeof d.manifest + 1;
    snprintf (d.id, sizeof d.id, "other");
    ck_assert_int_eq (store_dataset_put (s, &d), -1);
    ck_has (store_error (s), "manifest_len");
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_progress)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("d1", "04V", "sus/monthly", 1);
    snprintf (d.state, sizeof d.state, "receiving");
    d.next_chunk = 0;
    ck_ok (s, store_dataset_put (s, &d));

    ck_ok (s, store_dataset_progress (s, "d1", "receiving", 2));
    store_dataset_t got;
    ck_ok (s, store_dataset_get (s, "d1", &got));
    ck_assert_str_eq (got.state, "receiving");
    ck_assert_int_eq (got.next_chunk, 2);
    ck_assert_int_ge (got.updated, got.created);

    ck_ok (s, store_dataset_progress (s, "d1", "available", d.chunks));
    ck_ok (s, store_dataset_get (s, "d1", &got));
    ck_assert_str_eq (got.state, "available");
    ck_assert_int_eq (got.next_chunk, d.chunks);

    ck_assert_int_eq (store_dataset_progress (s, "missing", "available", 0), -1);
    ck_has (store_error (s), "no such dataset");
    ck_assert_int_eq (store_dataset_progress (s, "d1", "lost", 0), -1);
    ck_has (store_error (s), "CHECK");
    ck_assert_int_eq (store_dataset_progress (s, "d1", "receiving", d.chunks + 1), -1);
    ck_ok (s, store_dataset_get (s, "d1", &got));
    ck_assert_str_eq (got.state, "available");
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_last_version_and_each_order)
{
    store_t *s = s_open (1);
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "a/topic"), 0);
    struct {
        const char *id, *pub, *topic;
        int64_t v;
    } rows[] = {
        {"i1", "QWE", "b/topic", 2}, {"i2", "QWE", "a/topic", 10}, {"i3", "04V", "z/topic", 1},
        {"i4", "QWE", "a/topic", 2}, {"i5", "QWE", "b/topic", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        store_dataset_t d = s_dataset (rows[i].id, rows[i].pub, rows[i].topic, rows[i].v);
        ck_ok (s, store_dataset_put (s, &d));
    }
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "a/topic"), 10);
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "b/topic"), 2);
    ck_assert_int_eq (store_dataset_last_version (s, "04V", "a/topic"), 0);

    s_seen_t seen = {0};
    ck_ok (s, store_dataset_each (s, s_see_dataset, &seen));
    ck_assert_int_eq (seen.count, 5);
    ck_assert_str_eq (seen.keys[0], "04V/z/topic/1");
    ck_assert_str_eq (seen.keys[1], "QWE/a/topic/2");
    ck_assert_str_eq (seen.keys[2], "QWE/a/topic/10");
    ck_assert_str_eq (seen.keys[3], "QWE/b/topic/1");
    ck_assert_str_eq (seen.keys[4], "QWE/b/topic/2");
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_count_each_state_and_touch)
{
    store_t *s = s_open (1);
    const char *states[] = {"receiving", "receiving", "failed", "available", "receiving"};
    const char *pubs[] = {"QWE", "QWE", "QWE", "QWE", "04V"};
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf (id, sizeof id, "r%d", i);
        store_dataset_t d = s_dataset (id, pubs[i], "t", i + 1);
        snprintf (d.state, sizeof d.state, "%s", states[i]);
        d.next_chunk = 0;
        ck_ok (s, store_dataset_put (s, &d));
    }
    ck_assert_int_eq (store_dataset_count (s, "QWE", "receiving"), 2);
    ck_assert_int_eq (store_dataset_count (s, "QWE", "failed"), 1);
    ck_assert_int_eq (store_dataset_count (s, "ZZZ", "receiving"), 0);
    /* least recently updated first */
    ck_assert_int_eq (s_raw_exec ("UPDATE datasets SET updated = 5 WHERE id = 'r4';"
                                  "UPDATE datasets SET updated = 7 WHERE id = 'r0'"),
                      SQLITE_OK);
    s_seen_t seen = {0};
    ck_ok (s, store_dataset_each_state (s, "receiving", s_see_dataset, &seen));
    ck_assert_int_eq (seen.count, 3);
    ck_assert_str_eq (seen.keys[0], "04V/t/5");
    ck_assert_str_eq (seen.keys[1], "QWE/t/1");
    ck_assert_int_eq (store_dataset_touch (s, "receiving"), 3);
    ck_assert_int_ge (s_raw_int ("SELECT min (updated) FROM datasets WHERE state = 'receiving'"),
                      1000000000);
    ck_assert_int_eq (s_raw_int ("SELECT count (*) FROM datasets WHERE updated = 7 OR updated = 5"),
                      0);
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_duplicate_version_is_an_error)
{
    store_t *s = s_open (1);
    store_dataset_t a = s_dataset ("A", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &a));
    store_dataset_t b = s_dataset ("B", "QWE", "t", 1);
    ck_assert_int_eq (store_dataset_put (s, &b), -1);
    ck_has (store_error (s), "UNIQUE");
    /* Same id again is also refused. */
    ck_assert_int_eq (store_dataset_put (s, &a), -1);

    /* The handle is still fine. */
    store_dataset_t got;
    ck_assert_int_eq (store_dataset_get (s, "B", &got), STORE_NOTFOUND);
    store_dataset_t c = s_dataset ("C", "QWE", "t", 2);
    ck_ok (s, store_dataset_put (s, &c));
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "t"), 2);
    ck_ok (s, store_check (s));
    store_close (&s);
}
END_TEST

/* ---- subscriptions --------------------------------------------------------- */

START_TEST (test_sub_put_update_get_each)
{
    store_t *s = s_open (1);
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "QWE");
    snprintf (sub.subscriber, sizeof sub.subscriber, "04V");
    snprintf (sub.topic, sizeof sub.topic, "sus/monthly");
    snprintf (sub.state, sizeof sub.state, "requested");
    ck_ok (s, store_sub_put (s, &sub));

    store_sub_t got;
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (got.state, "requested");
    ck_assert_int_eq (got.from_version, 0);
    int64_t created = got.created;

    snprintf (sub.state, sizeof sub.state, "active");
    sub.from_version = 5;
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (got.state, "active");
    ck_assert_int_eq (got.from_version, 5);
    ck_assert_int_eq (got.created, created);
    ck_assert_int_ge (got.updated, created);

    snprintf (sub.subscriber, sizeof sub.subscriber, "02X");
    snprintf (sub.state, sizeof sub.state, "refused");
    ck_ok (s, store_sub_put (s, &sub));
    snprintf (sub.state, sizeof sub.state, "maybe");
    ck_assert_int_eq (store_sub_put (s, &sub), -1);

    s_seen_t seen = {0};
    ck_ok (s, store_sub_each (s, s_see_sub, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "QWE>02X:sus/monthly=refused");
    ck_assert_str_eq (seen.keys[1], "QWE>04V:sus/monthly=active");
    ck_assert_int_eq (store_sub_get (s, "QWE", "04V", "other", &got), STORE_NOTFOUND);
    store_close (&s);
}
END_TEST

START_TEST (test_sub_refusal_keeps_rule_and_reason_until_it_ends)
{
    store_t *s = s_open (1);
    store_sub_t sub, got;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "QWE");
    snprintf (sub.subscriber, sizeof sub.subscriber, "04V");
    snprintf (sub.topic, sizeof sub.topic, "sus/monthly");
    snprintf (sub.state, sizeof sub.state, "refused");
    snprintf (sub.rule, sizeof sub.rule, "policy.no-agreement");
    snprintf (sub.reason, sizeof sub.reason, "no data sharing agreement");
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (got.rule, "policy.no-agreement");
    ck_assert_str_eq (got.reason, "no data sharing agreement");
    /* Any other state has no refusal: the rule and reason go. */
    snprintf (sub.state, sizeof sub.state, "active");
    ck_ok (s, store_sub_put (s, &sub));
    ck_ok (s, store_sub_get (s, "QWE", "04V", "sus/monthly", &got));
    ck_assert_str_eq (got.state, "active");
    ck_assert_str_eq (got.rule, "");
    ck_assert_str_eq (got.reason, "");
    store_close (&s);
}
END_TEST

/* ---- deliveries ------------------------------------------------------------ */

START_TEST (test_supersede_skips_only_unstarted_older_versions)
{
    store_t *s = s_open (1);
    for (int v = 1; v <= 4; v++) {
        char id[8];
        snprintf (id, sizeof id, "v%d", v);
        store_dataset_t d = s_dataset (id, "0DF", "apc", v);
        ck_assert_int_eq (store_dataset_put (s, &d), 0);
        ck_assert_int_eq (store_delivery_add (s, id, "04V"), 0);
    }
    store_dataset_t other = s_dataset ("o1", "0DF", "other", 1);
    ck_assert_int_eq (store_dataset_put (s, &other), 0);
    ck_assert_int_eq (store_delivery_add (s, "o1", "04V"), 0);
    store_delivery_t d;
    ck_assert_int_eq (store_delivery_get (s, "v2", "04V", &d), 0);
    snprintf (d.state, sizeof d.state, "sending");      /* started: keeps going */
    d.next_chunk = 1;
    d.started = 1234;
    ck_assert_int_eq (store_delivery_update (s, &d), 0);
    ck_assert_int_eq (store_delivery_supersede (s, "0DF", "apc", 4, "superseded by version 4"), 2);
    ck_assert_int_eq (store_delivery_get (s, "v1", "04V", &d), 0);
    ck_assert_str_eq (d.state, "superseded");
    ck_assert_str_eq (d.error, "superseded by version 4");
    ck_assert_int_eq (store_delivery_get (s, "v2", "04V", &d), 0);
    ck_assert_str_eq (d.state, "sending");
    ck_assert_int_eq (d.started, 1234);
    ck_assert_int_eq (store_delivery_get (s, "v3", "04V", &d), 0);
    ck_assert_str_eq (d.state, "superseded");
    ck_assert_int_eq (store_delivery_get (s, "v4", "04V", &d), 0);
    ck_assert_str_eq (d.state, "queued");
    ck_assert_int_eq (store_delivery_get (s, "o1", "04V", &d), 0);
    ck_assert_str_eq (d.state, "queued");
    store_close (&s);
}
END_TEST

static int s_count_agreement (const store_agreement_t *a, void *arg)
{
    (void)a;
    (*(int *)arg)++;
    return 0;
}

START_TEST (test_agreement_put_merge_revoke_and_clash)
{
    store_t *s = s_open (1);
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
    store_t *s = s_open (1);
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

START_TEST (test_cancel_touches_one_subscriber_and_topic)
{
    store_t *s = s_open (1);
    store_dataset_t a = s_dataset ("a", "0DF", "apc", 1);
    store_dataset_t b = s_dataset ("b", "0DF", "op", 1);
    ck_assert_int_eq (store_dataset_put (s, &a), 0);
    ck_assert_int_eq (store_dataset_put (s, &b), 0);
    ck_assert_int_eq (store_delivery_add (s, "a", "04V"), 0);
    ck_assert_int_eq (store_delivery_add (s, "a", "10Q"), 0);
    ck_assert_int_eq (store_delivery_add (s, "b", "04V"), 0);
    ck_assert_int_eq (store_delivery_cancel (s, "0DF", "apc", "04V", "unsubscribed"), 1);
    store_delivery_t d;
    ck_assert_int_eq (store_delivery_get (s, "a", "04V", &d), 0);
    ck_assert_str_eq (d.state, "cancelled");
    ck_assert_int_eq (store_delivery_get (s, "a", "10Q", &d), 0);
    ck_assert_str_eq (d.state, "queued");
    ck_assert_int_eq (store_delivery_get (s, "b", "04V", &d), 0);
    ck_assert_str_eq (d.state, "queued");
    ck_assert_int_eq (store_delivery_cancel (s, "0DF", "apc", "04V", "again"), 0);
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_kind_and_expiry_round_trip)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("k", "0DF", "apc", 1);
    snprintf (d.kind, sizeof d.kind, "correction");
    d.expires = 1900000000;
    ck_assert_int_eq (store_dataset_put (s, &d), 0);
    store_dataset_t e = s_dataset ("e", "0DF", "apc", 2);   /* kind "" is "new" */
    ck_assert_int_eq (store_dataset_put (s, &e), 0);
    store_dataset_t out;
    ck_assert_int_eq (store_dataset_get (s, "k", &out), 0);
    ck_assert_str_eq (out.kind, "correction");
    ck_assert_int_eq (out.expires, 1900000000);
    ck_assert_int_eq (store_dataset_get (s, "e", &out), 0);
    ck_assert_str_eq (out.kind, "new");
    store_dataset_t bad = s_dataset ("x", "0DF", "apc", 3);
    snprintf (bad.kind, sizeof bad.kind, "bogus");
    ck_assert_int_eq (store_dataset_put (s, &bad), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_add_is_idempotent)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_delivery_add (s, "D1", "04V"));
    store_delivery_t upd;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &upd));
    upd.attempts = 3;
    ck_ok (s, store_delivery_update (s, &upd));
    ck_ok (s, store_delivery_add (s, "D1", "04V")); /* no-op: does not reset it */

    s_seen_t seen = {0};
    ck_ok (s, store_delivery_each (s, s_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 1);
    store_delivery_t got;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &got));
    ck_assert_str_eq (got.state, "queued");
    ck_assert_int_eq (got.attempts, 3);
    ck_assert_int_eq (got.next_chunk, 0);
    ck_assert_str_eq (got.error, "");
    ck_assert_uint_eq (got.receipt_len, 0);

    /* Foreign keys are on: no delivery of a dataset that is not there. */
    ck_assert_int_eq (store_delivery_add (s, "NOPE", "04V"), -1);
    ck_has (store_error (s), "no such dataset");
    ck_assert_int_eq (store_delivery_add (s, "D1", "a-subscriber-name-too-long"), -1);
    ck_assert_int_eq (store_delivery_get (s, "D1", "02X", &got), STORE_NOTFOUND);
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_update_and_receipt)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_delivery_add (s, "D1", "04V"));
    ck_ok (s, store_delivery_add (s, "D1", "02X"));

    store_delivery_t u;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &u));
    snprintf (u.state, sizeof u.state, "sending");
    u.next_chunk = 4;
    u.attempts = 2;
    snprintf (u.error, sizeof u.error, "peer 04V timed out after 30 s");
    ck_ok (s, store_delivery_update (s, &u));
    store_delivery_t got;
    ck_ok (s, store_delivery_get (s, "D1", "04V", &got));
    ck_assert_str_eq (got.state, "sending");
    ck_assert_int_eq (got.next_chunk, 4);
    ck_assert_int_eq (got.attempts, 2);
    ck_assert_str_eq (got.error, u.error);

    /* "delivered" only comes with a receipt. */
    snprintf (u.state, sizeof u.state, "delivered");
    ck_assert_int_eq (store_delivery_update (s, &u), -1);

    uint8_t receipt[300], sig[64];
    for (size_t i = 0; i < sizeof receipt; i++)
        receipt[i] = (uint8_t)(i * 7);
    memset (sig, 0x5A, sizeof sig);
    ck_ok (s, store_delivery_receipt (s, "D1", "04V", receipt, sizeof receipt, sig));
    ck_ok (s, store_delivery_get (s, "D1", "04V", &got));
    ck_assert_str_eq (got.state, "delivered");
    ck_assert_uint_eq (got.receipt_len, sizeof receipt);
    ck_assert_mem_eq (got.receipt, receipt, sizeof receipt);
    ck_assert_mem_eq (got.receipt_sig, sig, 64);
    ck_assert_str_eq (got.error, "");

    ck_assert_int_eq (store_delivery_receipt (s, "D1", "XXX", receipt, sizeof receipt, sig), -1);
    ck_has (store_error (s), "no such delivery");
    ck_assert_int_eq (store_delivery_receipt (s, "D1", "02X", receipt, 4097, sig), -1);
    ck_assert_int_eq (store_delivery_receipt (s, "D1", "02X", receipt, 0, sig), -1);
    snprintf (u.subscriber, sizeof u.subscriber, "XXX");
    snprintf (u.state, sizeof u.state, "failed");
    ck_assert_int_eq (store_delivery_update (s, &u), -1);
    ck_has (store_error (s), "no such delivery");
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_each_pending_excludes_finished)
{
    store_t *s = s_open (1);
    const char *ids[] = {"D3", "D1", "D2"};
    for (int i = 0; i < 3; i++) {
        store_dataset_t d = s_dataset (ids[i], "QWE", "t", i + 1);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, ids[i], "04V"));
    }
    ck_ok (s, store_delivery_add (s, "D1", "02X"));
    uint8_t receipt[10] = {1}, sig[64] = {2};
    ck_ok (s, store_delivery_receipt (s, "D2", "04V", receipt, sizeof receipt, sig));
    store_delivery_t u;
    ck_ok (s, store_delivery_get (s, "D3", "04V", &u));
    snprintf (u.state, sizeof u.state, "failed");
    ck_ok (s, store_delivery_update (s, &u));
    ck_ok (s, store_delivery_get (s, "D1", "02X", &u));
    snprintf (u.state, sizeof u.state, "sending");
    ck_ok (s, store_delivery_update (s, &u));

    /* All queued in the same second, so the order falls to publication
       order, then subscriber (pinned: the clock may have ticked during the
       test). */
    ck_assert_int_eq (s_raw_exec ("UPDATE deliveries SET created = 1000"), SQLITE_OK);
    s_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, s_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "D1>02X=sending");
    ck_assert_str_eq (seen.keys[1], "D1>04V=queued");

    memset (&seen, 0, sizeof seen);
    ck_ok (s, store_delivery_each (s, s_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 4);
    store_close (&s);
}
END_TEST

START_TEST (test_delivery_pending_order_is_oldest_first)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("ZZ", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    d = s_dataset ("AA", "QWE", "t", 2);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_delivery_add (s, "ZZ", "04V"));
    /* Make the first older than the second, as if queued earlier. */
    store_close (&s);
    ck_assert_int_eq (s_raw_exec ("UPDATE deliveries SET created = created - 100"), SQLITE_OK);
    s = s_open (0);
    ck_ok (s, store_delivery_add (s, "AA", "04V"));
    s_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, s_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "ZZ>04V=queued");
    ck_assert_str_eq (seen.keys[1], "AA>04V=queued");
    store_close (&s);
}
END_TEST

/* A subscriber that was away has a week of versions queued in the same
   second (or a late subscriber its history at once): they go out in
   publication order, whatever their (random) dataset ids. */
START_TEST (test_delivery_pending_same_second_in_version_order)
{
    store_t *s = s_open (1);
    const char *ids[] = {"C3", "F1", "A7", "E2", "B5", "D4", "G6"};
    const int versions[] = {3, 1, 7, 2, 5, 4, 6};
    for (int i = 0; i < 7; i++) {
        store_dataset_t d = s_dataset (ids[i], "QWE", "t", versions[i]);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, ids[i], "04V"));
    }
    ck_assert_int_eq (s_raw_exec ("UPDATE deliveries SET created = 1000"), SQLITE_OK);
    ck_assert_int_eq (s_raw_exec ("UPDATE datasets SET created = 900"), SQLITE_OK);
    s_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, s_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 7);
    const char *want[] = {"F1", "E2", "C3", "D4", "B5", "G6", "A7"};
    for (int i = 0; i < 7; i++) {
        char key[32];
        snprintf (key, sizeof key, "%s>04V=queued", want[i]);
        ck_assert_str_eq (seen.keys[i], key);
    }
    store_close (&s);
}
END_TEST

/* The node's pattern: take each pending delivery and mark it sending. Each
   row must be visited once, not again after its state changed. */
typedef struct {
    store_t *s;
    int visits;
    int rc;
} s_mark_t;

static int s_mark_sending (const store_delivery_t *d, void *arg)
{
    s_mark_t *m = arg;
    m->visits++;
    if (m->visits > 100) return 1;
    store_delivery_t u = *d;
    snprintf (u.state, sizeof u.state, "sending");
    u.attempts++;
    if (store_delivery_update (m->s, &u) != 0) m->rc = -1;
    return 0;
}

START_TEST (test_pending_callback_may_update_the_row)
{
    store_t *s = s_open (1);
    for (int i = 0; i < 20; i++) {
        char id[8];
        snprintf (id, sizeof id, "D%02d", i);
        store_dataset_t d = s_dataset (id, "QWE", "t", i + 1);
        ck_ok (s, store_dataset_put (s, &d));
        ck_ok (s, store_delivery_add (s, id, "04V"));
        ck_ok (s, store_delivery_add (s, id, "02X"));
    }
    s_mark_t m = {s, 0, 0};
    ck_ok (s, store_delivery_each_pending (s, s_mark_sending, &m));
    ck_assert_int_eq (m.rc, 0);
    ck_assert_int_eq (m.visits, 40);
    store_delivery_t got;
    ck_ok (s, store_delivery_get (s, "D07", "02X", &got));
    ck_assert_str_eq (got.state, "sending");
    ck_assert_int_eq (got.attempts, 1);
    store_close (&s);
}
END_TEST

/* ---- audit log --------------------------------------------------------------- */

typedef struct {
    int count;
    int64_t seqs[16];
    store_audit_t last;
} s_audits_t;

static int s_see_audit (const store_audit_t *e, void *arg)
{
    s_audits_t *a = arg;
    if (a->count < 16) a->seqs[a->count] = e->seq;
    a->count++;
    a->last = *e;
    return 0;
}

START_TEST (test_audit_append_assigns_increasing_seq)
{
    store_t *s = s_open (1);
    time_t before = time (NULL);
    const char *actions[] = {"init", "publish", "refuse"};
    for (int i = 0; i < 3; i++) {
        store_audit_t e = s_audit (actions[i], "detail");
        if (i == 2) snprintf (e.decision, sizeof e.decision, "refuse");
        ck_ok (s, store_audit_append (s, &e));
    }
    time_t after = time (NULL);
    s_audits_t a = {0};
    ck_ok (s, store_audit_each (s, s_see_audit, &a));
    ck_assert_int_eq (a.count, 3);
    ck_assert_int_ge (a.seqs[0], 1);
    ck_assert_int_gt (a.seqs[1], a.seqs[0]);
    ck_assert_int_gt (a.seqs[2], a.seqs[1]);
    ck_assert_int_ne (a.seqs[0], 999); /* ignored */
    ck_assert_str_eq (a.last.action, "refuse");
    ck_assert_str_eq (a.last.decision, "refuse");
    ck_assert_str_eq (a.last.actor, "user:alice");
    ck_assert_str_eq (a.last.object, "topic/x");
    ck_assert_str_eq (a.last.peer, "04V");
    ck_assert_str_eq (a.last.rule, "local.admin");
    ck_assert_str_eq (a.last.detail, "detail");
    ck_assert_int_ge (a.last.at, before);
    ck_assert_int_le (a.last.at, after);

    store_audit_t bad = s_audit ("x", "y");
    snprintf (bad.decision, sizeof bad.decision, "maybe");
    ck_assert_int_eq (store_audit_append (s, &bad), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_log_is_append_only_in_sql)
{
    store_t *s = s_open (1);
    store_audit_t e = s_audit ("init", "created");
    ck_ok (s, store_audit_append (s, &e));
    store_close (&s);
    ck_assert_int_ne (s_raw_exec ("UPDATE audit SET detail = 'rewritten'"), SQLITE_OK);
    ck_assert_int_ne (s_raw_exec ("DELETE FROM audit"), SQLITE_OK);
    char detail[64];
    s_raw_text ("SELECT detail FROM audit", detail, sizeof detail);
    ck_assert_str_eq (detail, "created");
}
END_TEST

typedef struct {
    store_t *s;
    int visits;
} s_audit_more_t;

static int s_audit_more (const store_audit_t *e, void *arg)
{
    s_audit_more_t *m = arg;
    (void)e;
    if (++m->visits > 50) return 1;
    store_audit_t more = s_audit ("export", "appended while listing");
    return store_audit_append (m->s, &more) == 0 ? 0 : 2;
}

START_TEST (test_audit_each_ends_at_the_entry_last_when_it_began)
{
    store_t *s = s_open (1);
    for (int i = 0; i < 3; i++) {
        store_audit_t e = s_audit ("publish", "x");
        ck_ok (s, store_audit_append (s, &e));
    }
    /* Inside a write transaction a callback may append. */
    s_audit_more_t m = {s, 0};
    ck_ok (s, store_begin (s));
    ck_ok (s, store_audit_each (s, s_audit_more, &m));
    ck_ok (s, store_commit (s));
    ck_assert_int_eq (m.visits, 3);
    s_audits_t a = {0};
    ck_ok (s, store_audit_each (s, s_see_audit, &a));
    ck_assert_int_eq (a.count, 6);
    store_close (&s);
}
END_TEST

/* The audit log is streamed (it may be too long to hold): a write from its
   callback outside a transaction would meet SQLITE_BUSY under concurrency,
   so it is refused every time, with a reason. */
START_TEST (test_audit_each_refuses_a_write_from_its_callback)
{
    store_t *s = s_open (1);
    store_audit_t e = s_audit ("publish", "x");
    ck_ok (s, store_audit_append (s, &e));
    s_audit_more_t m = {s, 0};
    ck_assert_int_eq (store_audit_each (s, s_audit_more, &m), 2);
    ck_assert_ptr_nonnull (strstr (store_error (s), "from inside a listing of the audit log"));
    s_audits_t a = {0};
    ck_ok (s, store_audit_each (s, s_see_audit, &a));
    ck_assert_int_eq (a.count, 1);
    store_close (&s);
}
END_TEST

/* ---- audit chain and checkpoints -------------------------------------------- */

/* Collects up to 64 entries and checks as it goes that each is chained to
   the one before: hash = H(previous hash || store_audit_encode (entry)). */
typedef struct {
    int count;
    int broken;              /* seq of the first bad link, 0 if none */
    uint8_t prev[STORE_HASHBYTES];
    store_audit_t rows[64];
} s_chain_t;

static int s_see_chain (const store_audit_t *e, void *arg)
{
    s_chain_t *c = arg;
    uint8_t buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (c->prev, e, buf, sizeof buf);
    ck_assert_uint_gt (len, 0);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    if (memcmp (h, e->hash, sizeof h) != 0 && !c->broken) c->broken = (int)e->seq;
    memcpy (c->prev, e->hash, sizeof c->prev);
    if (c->count < 64) c->rows[c->count] = *e;
    c->count++;
    return 0;
}

static s_chain_t *s_chain (store_t *s)
{
    s_chain_t *c = calloc (1, sizeof *c);
    ck_assert_ptr_nonnull (c);
    ck_ok (s, store_audit_each (s, s_see_chain, c));
    return c;
}

START_TEST (test_audit_entries_are_hash_chained)
{
    store_t *s = s_open (1);
    for (int i = 0; i < 5; i++) {
        store_audit_t e = s_audit ("publish", "x");
        snprintf (e.detail, sizeof e.detail, "entry %d", i);
        ck_ok (s, store_audit_append (s, &e));
    }
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 5);
    ck_assert_int_eq (c->broken, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq (c->rows[i].seq, i + 1);
    /* The first entry follows 32 zero bytes; every hash differs. */
    uint8_t zero[STORE_HASHBYTES] = {0}, buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (zero, &c->rows[0], buf, sizeof buf);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    ck_assert_mem_eq (h, c->rows[0].hash, sizeof h);
    ck_assert_int_ne (memcmp (c->rows[0].hash, c->rows[1].hash, STORE_HASHBYTES), 0);
    store_audit_t last;
    ck_ok (s, store_audit_last (s, &last));
    ck_assert_int_eq (last.seq, 5);
    ck_assert_mem_eq (last.hash, c->rows[4].hash, STORE_HASHBYTES);
    /* Listing from a seq starts there. */
    s_audits_t a = {0};
    ck_ok (s, store_audit_each_from (s, 4, s_see_audit, &a));
    ck_assert_int_eq (a.count, 2);
    ck_assert_int_eq (a.seqs[0], 4);
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_encoding_is_length_prefixed)
{
    uint8_t prev[STORE_HASHBYTES];
    memset (prev, 0xAB, sizeof prev);
    store_audit_t a = s_audit ("publish", "x"), b = a;
    a.seq = b.seq = 0x0102030405060708;
    a.at = b.at = 1700000000;
    snprintf (a.actor, sizeof a.actor, "ab");
    snprintf (a.action, sizeof a.action, "c");
    snprintf (b.actor, sizeof b.actor, "a");
    snprintf (b.action, sizeof b.action, "bc");
    uint8_t ea[STORE_AUDIT_ENCODED_MAX], eb[STORE_AUDIT_ENCODED_MAX];
    size_t la = store_audit_encode (prev, &a, ea, sizeof ea);
    size_t lb = store_audit_encode (prev, &b, eb, sizeof eb);
    ck_assert_uint_eq (la, lb);
    ck_assert_int_ne (memcmp (ea, eb, la), 0); /* same bytes, other boundaries */
    /* prev | seq (8, big-endian) | at (8) | len (4) "ab" | len (4) "c" ... */
    static const uint8_t head[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0, 0, 0, 0,
                                   0x65, 0x53, 0xF1, 0x00, 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 1, 'c'};
    ck_assert_mem_eq (ea, prev, STORE_HASHBYTES);
    ck_assert_mem_eq (ea + STORE_HASHBYTES, head, sizeof head);
    ck_assert_uint_eq (la, STORE_HASHBYTES + 16 + 8 * 4 + strlen (a.actor) + strlen (a.action) +
                               strlen (a.object) + strlen (a.peer) + strlen (a.purpose) +
                               strlen (a.decision) + strlen (a.rule) + strlen (a.detail));
    /* Too small a buffer, or an unterminated field: 0. */
    ck_assert_uint_eq (store_audit_encode (prev, &a, ea, la - 1), 0);
    memset (a.rule, 'r', sizeof a.rule);
    ck_assert_uint_eq (store_audit_encode (prev, &a, ea, sizeof ea), 0);
}
END_TEST

START_TEST (test_audit_purpose_round_trips)
{
    store_t *s = s_open (1);
    store_audit_t e = s_audit ("export", "x");
    snprintf (e.purpose, sizeof e.purpose, "invoice-validation");
    ck_ok (s, store_audit_append (s, &e));
    store_audit_t none = s_audit ("export", "y");
    ck_ok (s, store_audit_append (s, &none));
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 2);
    ck_assert_str_eq (c->rows[0].purpose, "invoice-validation");
    ck_assert_str_eq (c->rows[1].purpose, "");
    ck_assert_int_eq (c->broken, 0);
    /* The purpose is covered by the hash. */
    store_audit_t other = c->rows[0];
    snprintf (other.purpose, sizeof other.purpose, "commissioning");
    uint8_t zero[STORE_HASHBYTES] = {0}, buf[STORE_AUDIT_ENCODED_MAX], h[STORE_HASHBYTES];
    size_t len = store_audit_encode (zero, &other, buf, sizeof buf);
    ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
    ck_assert_int_ne (memcmp (h, c->rows[0].hash, sizeof h), 0);
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_seq_is_contiguous_across_two_handles)
{
    store_t *node = s_open (1);
    store_t *cli = s_open (0);
    for (int i = 0; i < 10; i++) {
        store_audit_t e = s_audit ("send", "from the node");
        ck_ok (node, store_audit_append (node, &e));
        store_audit_t f = s_audit ("publish", "from the command line");
        ck_ok (cli, store_audit_append (cli, &f));
    }
    s_chain_t *c = s_chain (node);
    ck_assert_int_eq (c->count, 20);
    ck_assert_int_eq (c->broken, 0);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq (c->rows[i].seq, i + 1);
        ck_assert_str_eq (c->rows[i].action, i % 2 ? "publish" : "send");
    }
    free (c);
    store_close (&cli);
    store_close (&node);
}
END_TEST

/* Processes appending at the same moment still make one chain. */
START_TEST (test_audit_concurrent_processes_make_one_chain)
{
    store_t *s = s_open (1);
    store_close (&s);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork ();
        ck_assert_int_ge (kids[k], 0);
        if (kids[k] == 0) {
            char err[256];
            store_t *mine = store_open (s_db, 0, err, sizeof err);
            if (!mine) _exit (2);
            store_set_hasher (mine, cx_hash_buf);
            for (int i = 0; i < 20; i++) {
                store_audit_t e = s_audit ("send", "concurrent");
                if (store_audit_append (mine, &e) != 0) _exit (3);
            }
            store_close (&mine);
            _exit (0);
        }
    }
    for (int k = 0; k < 3; k++) {
        int status = 0;
        ck_assert_int_eq (waitpid (kids[k], &status, 0), kids[k]);
        ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "child %d failed", k);
    }
    s = s_open (0);
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 60);
    ck_assert_int_eq (c->broken, 0);
    for (int i = 0; i < 60; i++)
        ck_assert_int_eq (c->rows[i].seq, i + 1);
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_append_joins_the_callers_transaction)
{
    store_t *s = s_open (1);
    store_audit_t e = s_audit ("init", "first");
    ck_ok (s, store_audit_append (s, &e));
    ck_ok (s, store_begin (s));
    e = s_audit ("publish", "rolled back");
    ck_ok (s, store_audit_append (s, &e));
    ck_ok (s, store_rollback (s));
    ck_ok (s, store_begin (s));
    e = s_audit ("publish", "kept");
    ck_ok (s, store_audit_append (s, &e));
    ck_ok (s, store_commit (s));
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 2);
    ck_assert_int_eq (c->broken, 0);
    ck_assert_int_eq (c->rows[1].seq, 2);
    ck_assert_str_eq (c->rows[1].detail, "kept");
    free (c);
    store_close (&s);
}
END_TEST

START_TEST (test_audit_append_needs_a_hasher)
{
    store_t *s = s_open (1);
    store_close (&s);
    char err[256];
    s = store_open (s_db, 0, err, sizeof err);
    ck_assert_ptr_nonnull (s);
    store_audit_t e = s_audit ("init", "x");
    ck_assert_int_eq (store_audit_append (s, &e), -1);
    ck_has (store_error (s), "hash");
    store_close (&s);
    ck_assert_int_eq (s_raw_int ("SELECT count(*) FROM audit"), 0);
}
END_TEST

/* An entry another program edited is still read as it is (checking it is
   the node's job); a tail whose hash is damaged stops appends. */
START_TEST (test_audit_edited_rows_are_read_and_a_damaged_tail_refused)
{
    store_t *s = s_open (1);
    for (int i = 0; i < 3; i++) {
        store_audit_t e = s_audit ("publish", "x");
        ck_ok (s, store_audit_append (s, &e));
    }
    ck_assert_int_eq (s_raw_exec ("DROP TRIGGER audit_no_update;"
                                  "UPDATE audit SET detail = 'edited' WHERE seq = 2"),
                      SQLITE_OK);
    s_chain_t *c = s_chain (s);
    ck_assert_int_eq (c->count, 3);
    ck_assert_str_eq (c->rows[1].detail, "edited");
    ck_assert_int_eq (c->broken, 2);
    free (c);
    ck_assert_int_eq (s_raw_exec ("PRAGMA ignore_check_constraints = ON;"
                                  "UPDATE audit SET hash = zeroblob (31) WHERE seq = 3"),
                      SQLITE_OK);
    store_audit_t e = s_audit ("publish", "after");
    ck_assert_int_eq (store_audit_append (s, &e), -1);
    ck_has (store_error (s), "seq 3");
    s_audits_t a = {0};
    ck_assert_int_eq (store_audit_each (s, s_see_audit, &a), -1);
    ck_has (store_error (s), "audit entry 3");
    store_close (&s);
}
END_TEST

static int s_see_checkpoint (const store_checkpoint_t *cp, void *arg)
{
    s_seen_t *seen = arg;
    char key[160];
    snprintf (key, sizeof key, "%lld:%02x:%02x", (long long)cp->seq, cp->hash[0], cp->sig[0]);
    return s_note (seen, key);
}

START_TEST (test_checkpoints_are_kept_in_order_and_append_only)
{
    store_t *s = s_open (1);
    store_checkpoint_t cp;
    ck_assert_int_eq (store_checkpoint_last (s, &cp), STORE_NOTFOUND);
    store_checkpoint_t a = {.seq = 100}, b = {.seq = 7};
    memset (a.hash, 0x11, sizeof a.hash);
    memset (a.sig, 0x22, sizeof a.sig);
    memset (b.hash, 0x33, sizeof b.hash);
    memset (b.sig, 0x44, sizeof b.sig);
    ck_ok (s, store_checkpoint_put (s, &a));
    ck_ok (s, store_checkpoint_put (s, &b));
    store_checkpoint_t again = a;
    memset (again.sig, 0x99, sizeof again.sig);
    ck_ok (s, store_checkpoint_put (s, &again)); /* the first one stays */
    ck_ok (s, store_checkpoint_last (s, &cp));
    ck_assert_int_eq (cp.seq, 100);
    ck_assert_mem_eq (cp.sig, a.sig, sizeof cp.sig);
    ck_assert_int_gt (cp.at, 0);
    s_seen_t seen = {0};
    ck_ok (s, store_checkpoint_each (s, s_see_checkpoint, &seen));
    ck_assert_int_eq (seen.count, 2);
    ck_assert_str_eq (seen.keys[0], "7:33:44");
    ck_assert_str_eq (seen.keys[1], "100:11:22");
    store_close (&s);
    ck_assert_int_ne (s_raw_exec ("UPDATE audit_checkpoints SET seq = 8 WHERE seq = 7"), SQLITE_OK);
    ck_assert_int_ne (s_raw_exec ("DELETE FROM audit_checkpoints"), SQLITE_OK);
    ck_assert_int_eq (s_raw_int ("SELECT count(*) FROM audit_checkpoints"), 2);
}
END_TEST

/* ---- values ---------------------------------------------------------------- */

START_TEST (test_metacharacters_round_trip)
{
    static const char *nasty[] = {
        "O'Brien",
        "Robert'); DROP TABLE peers;--",
        "\"quoted\" and 'single' and `back`",
        "%s%n%x %% \\ \\\\ ?1 :name @x $y",
        "line\nbreak\ttab\r",
        "unicode: \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x92",
        "; DELETE FROM audit; SELECT '",
        "",
    };
    store_t *s = s_open (1);
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
        char org[17];
        snprintf (org, sizeof org, "O%zu'\"", i);
        store_peer_t p = s_peer (org, (uint8_t)(i + 1));
        snprintf (p.name, sizeof p.name, "%s", nasty[i]);
        snprintf (p.card, sizeof p.card, "%s", nasty[i]);
        ck_ok (s, store_peer_put (s, &p));
        store_peer_t got;
        ck_ok (s, store_peer_get (s, org, &got));
        ck_assert_str_eq (got.name, nasty[i]);
        ck_assert_str_eq (got.card, nasty[i]);

        store_audit_t e = s_audit ("receive", nasty[i]);
        snprintf (e.object, sizeof e.object, "%s", nasty[i]);
        ck_ok (s, store_audit_append (s, &e));
        s_audits_t a = {0};
        ck_ok (s, store_audit_each (s, s_see_audit, &a));
        ck_assert_str_eq (a.last.detail, nasty[i]);
        ck_assert_str_eq (a.last.object, nasty[i]);

        char id[16];
        snprintf (id, sizeof id, "id'%zu", i);
        store_dataset_t d = s_dataset (id, org, nasty[i], 1);
        ck_ok (s, store_dataset_put (s, &d));
        ck_assert_int_eq (store_dataset_last_version (s, org, nasty[i]), 1);
        store_dataset_t gd;
        ck_ok (s, store_dataset_get (s, id, &gd));
        ck_assert_str_eq (gd.topic, nasty[i]);
    }
    s_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, s_see_peer, &seen));
    ck_assert_int_eq (seen.count, (int)(sizeof nasty / sizeof nasty[0]));
    ck_ok (s, store_check (s));
    store_close (&s);
}
END_TEST

START_TEST (test_unterminated_field_is_refused)
{
    store_t *s = s_open (1);
    store_peer_t p = s_peer ("04V", 1);
    memset (p.org, 'A', sizeof p.org);
    ck_assert_int_eq (store_peer_put (s, &p), -1);
    ck_has (store_error (s), "org");
    store_audit_t e = s_audit ("x", "y");
    memset (e.detail, 'z', sizeof e.detail);
    ck_assert_int_eq (store_audit_append (s, &e), -1);
    ck_has (store_error (s), "detail");
    s_seen_t seen = {0};
    ck_ok (s, store_peer_each (s, s_see_peer, &seen));
    ck_assert_int_eq (seen.count, 0);
    store_close (&s);
}
END_TEST

START_TEST (test_value_too_long_in_file_is_refused_not_truncated)
{
    store_t *s = s_open (1);
    store_peer_t p = s_peer ("04V", 1);
    ck_ok (s, store_peer_put (s, &p));
    /* Another program writes an org code longer than the field. */
    ck_assert_int_eq (s_raw_exec ("UPDATE peers SET org = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"),
                      SQLITE_OK);
    s_seen_t seen = {0};
    ck_assert_int_eq (store_peer_each (s, s_see_peer, &seen), -1);
    ck_assert_int_eq (seen.count, 0);
    ck_has (store_error (s), "peers.org");
    ck_has (store_error (s), "truncate");
    store_peer_t got;
    ck_assert_int_eq (store_peer_by_curve (s, p.curve_pk, &got), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_blob_of_wrong_size_in_file_is_refused)
{
    store_t *s = s_open (1);
    store_peer_t p = s_peer ("04V", 1);
    ck_ok (s, store_peer_put (s, &p));
    sqlite3 *db = s_raw_open ();
    ck_assert_int_eq (sqlite3_exec (db,
                                    "PRAGMA ignore_check_constraints = ON;"
                                    "UPDATE peers SET box_pk = zeroblob (31);",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    store_peer_t got;
    ck_assert_int_eq (store_peer_get (s, "04V", &got), -1);
    ck_has (store_error (s), "box_pk");
    ck_has (store_error (s), "exactly 32");
    store_close (&s);
}
END_TEST

/* ---- integrity, transactions, sharing ------------------------------------ */

START_TEST (test_check_passes_on_fresh_store)
{
    store_t *s = s_open (1);
    ck_ok (s, store_check (s));
    store_close (&s);
}
END_TEST

/* store_sync reaches the write-ahead log and syncs it: the commit it
   follows is there for another connection, in the WAL (not yet
   checkpointed into the database file). */
START_TEST (test_sync_makes_a_commit_durable)
{
    store_t *s = s_open (1);
    ck_ok (s, store_begin (s));
    store_peer_t p = s_peer ("SYN", 1);
    ck_ok (s, store_peer_put (s, &p));
    ck_ok (s, store_commit (s));
    ck_ok (s, store_sync (s));
    ck_ok (s, store_sync (s)); /* nothing new: harmless */
    char wal[PATH_MAX + 8];
    snprintf (wal, sizeof wal, "%s-wal", s_db);
    struct stat st;
    ck_assert_int_eq (stat (wal, &st), 0);
    ck_assert_int_gt (st.st_size, 0);
    ck_assert_int_eq (s_raw_int ("SELECT count(*) FROM peers WHERE org = 'SYN'"), 1);
    store_close (&s);
}
END_TEST

START_TEST (test_rollback_discards_and_commit_keeps)
{
    store_t *s = s_open (1);
    ck_ok (s, store_begin (s));
    ck_assert_int_eq (store_begin (s), -1);
    ck_has (store_error (s), "already open");
    store_peer_t p = s_peer ("RBK", 1);
    ck_ok (s, store_peer_put (s, &p));
    store_peer_t got;
    ck_ok (s, store_peer_get (s, "RBK", &got)); /* visible inside */
    ck_ok (s, store_rollback (s));
    ck_assert_int_eq (store_peer_get (s, "RBK", &got), STORE_NOTFOUND);

    ck_ok (s, store_begin (s));
    p = s_peer ("CMT", 2);
    ck_ok (s, store_peer_put (s, &p));
    ck_ok (s, store_commit (s));
    ck_ok (s, store_peer_get (s, "CMT", &got));

    ck_assert_int_eq (store_commit (s), -1);
    ck_has (store_error (s), "no transaction");
    ck_ok (s, store_rollback (s)); /* nothing open: harmless */
    store_close (&s);

    s = s_open (0);
    ck_assert_int_eq (store_peer_get (s, "RBK", &got), STORE_NOTFOUND);
    ck_ok (s, store_peer_get (s, "CMT", &got));
    store_close (&s);
}
END_TEST

START_TEST (test_two_handles_see_each_others_commits)
{
    store_t *node = s_open (1);
    store_t *cli = s_open (0);

    store_peer_t p = s_peer ("04V", 1);
    ck_ok (cli, store_peer_put (cli, &p));
    store_peer_t got;
    ck_ok (node, store_peer_get (node, "04V", &got));

    store_audit_t e = s_audit ("send", "from the node");
    ck_ok (node, store_audit_append (node, &e));
    s_audits_t a = {0};
    ck_ok (cli, store_audit_each (cli, s_see_audit, &a));
    ck_assert_int_eq (a.count, 1);
    ck_assert_str_eq (a.last.detail, "from the node");

    /* Uncommitted work is invisible to the other handle, which can still
       read meanwhile (WAL); after the commit it sees it. */
    ck_ok (node, store_begin (node));
    store_peer_t q = s_peer ("02X", 2);
    ck_ok (node, store_peer_put (node, &q));
    ck_assert_int_eq (store_peer_get (cli, "02X", &got), STORE_NOTFOUND);
    ck_ok (cli, store_peer_get (cli, "04V", &got));
    ck_ok (node, store_commit (node));
    ck_ok (cli, store_peer_get (cli, "02X", &got));

    store_close (&cli);
    store_close (&node);
}
END_TEST

/* ---- callbacks that use the store ---------------------------------------- */

typedef struct {
    store_t *s;
    int queued;
    int inner;
} s_queue_t;

static int s_queue_active (const store_sub_t *sub, void *arg)
{
    s_queue_t *q = arg;
    if (strcmp (sub->state, "active") != 0) return 0;
    if (store_delivery_add (q->s, "D1", sub->subscriber) != 0) return -1;
    q->queued++;
    return 0;
}

START_TEST (test_each_callback_may_write_other_tables_in_a_transaction)
{
    store_t *s = s_open (1);
    const char *subs[] = {"04V", "02X", "15N"};
    for (int i = 0; i < 3; i++) {
        store_sub_t sub;
        memset (&sub, 0, sizeof sub);
        snprintf (sub.publisher, sizeof sub.publisher, "QWE");
        snprintf (sub.subscriber, sizeof sub.subscriber, "%s", subs[i]);
        snprintf (sub.topic, sizeof sub.topic, "t");
        snprintf (sub.state, sizeof sub.state, i == 1 ? "refused" : "active");
        ck_ok (s, store_sub_put (s, &sub));
    }
    ck_ok (s, store_begin (s));
    store_dataset_t d = s_dataset ("D1", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &d));
    s_queue_t q = {s, 0, 0};
    ck_ok (s, store_sub_each (s, s_queue_active, &q));
    ck_ok (s, store_commit (s));
    ck_assert_int_eq (q.queued, 2);
    s_seen_t seen = {0};
    ck_ok (s, store_delivery_each_pending (s, s_see_delivery, &seen));
    ck_assert_int_eq (seen.count, 2);
    store_close (&s);
}
END_TEST

static int s_reenter (const store_peer_t *p, void *arg)
{
    s_queue_t *q = arg;
    (void)p;
    s_seen_t seen = {0};
    if (store_peer_each (q->s, s_see_peer, &seen) == 0 && seen.count == 3) q->inner++;
    return 0;
}

/* Listings other than the audit log are read whole before their callback
   runs, so a callback may list again (and write: the next test). */
START_TEST (test_each_from_its_callback_lists_again)
{
    store_t *s = s_open (1);
    for (int i = 0; i < 3; i++) {
        char org[8];
        snprintf (org, sizeof org, "P%d", i);
        store_peer_t p = s_peer (org, (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    s_queue_t q = {s, 0, 0};
    ck_ok (s, store_peer_each (s, s_reenter, &q));
    ck_assert_int_eq (q.inner, 3);
    store_close (&s);
}
END_TEST

typedef struct {
    store_t *s, *other;
    int writes;
} s_stale_t;

/* Another connection writes first (making any read snapshot this one had
   open stale), then this one writes from inside its listing. */
static int s_write_after_other (const store_peer_t *p, void *arg)
{
    s_stale_t *w = arg;
    store_peer_t q = *p;
    snprintf (q.name, sizeof q.name, "renamed by the other");
    if (store_peer_put (w->other, &q) != 0) return 2;
    snprintf (q.name, sizeof q.name, "renamed from the callback");
    if (store_peer_put (w->s, &q) != 0) return 3;
    store_audit_t e = s_audit ("peer-add", "written from a listing's callback");
    if (store_audit_append (w->s, &e) != 0) return 4;
    w->writes++;
    return 0;
}

START_TEST (test_each_callback_writes_after_another_connection)
{
    store_t *s = s_open (1);
    store_t *other = s_open (0);
    for (int i = 0; i < 3; i++) {
        char org[8];
        snprintf (org, sizeof org, "P%d", i);
        store_peer_t p = s_peer (org, (uint8_t)(i + 1));
        ck_ok (s, store_peer_put (s, &p));
    }
    s_stale_t w = {s, other, 0};
    ck_ok (s, store_peer_each (s, s_write_after_other, &w));
    ck_assert_int_eq (w.writes, 3);
    store_peer_t got;
    ck_ok (s, store_peer_get (s, "P1", &got));
    ck_assert_str_eq (got.name, "renamed from the callback");
    store_close (&other);
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_erase_keeps_metadata_drops_key)
{
    store_t *s = s_open (1);
    store_dataset_t d = s_dataset ("e1", "0DF", "sus/monthly", 1);
    snprintf (d.state, sizeof d.state, "available");
    memset (d.wrapped, 0xAB, sizeof d.wrapped);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_dataset_erase (s, "e1"));
    store_dataset_t got;
    ck_ok (s, store_dataset_get (s, "e1", &got));
    ck_assert_str_eq (got.state, "erased");
    ck_assert_int_eq (got.next_chunk, 0);
    uint8_t zero[80] = {0};
    ck_assert_mem_eq (got.wrapped, zero, sizeof zero);
    ck_assert_mem_eq (got.hash, d.hash, 32);                  /* what it was is kept */
    ck_assert_uint_eq (got.manifest_len, d.manifest_len);
    ck_assert_str_eq (got.topic, "sus/monthly");
    ck_assert_int_eq (store_dataset_erase (s, "missing"), -1);
    ck_has (store_error (s), "no such dataset");
    store_close (&s);
}
END_TEST

static int s_count_user (const store_user_t *u, void *arg)
{
    char *seen = arg;
    strcat (seen, u->login);
    strcat (seen, ";");
    return 0;
}

START_TEST (test_user_put_replace_remove_each)
{
    store_t *s = s_open (1);
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
    ck_assert_str_eq (seen, "alice;bob;");                    /* ordered by login */

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
    s = s_open (0);
    ck_ok (s, store_user_get (s, "alice", &got));
    ck_assert_str_eq (got.roles, "analyst,ig-officer");
    store_close (&s);
}
END_TEST

START_TEST (test_retention_put_replace_get)
{
    store_t *s = s_open (1);
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
    r.seconds = 0;                                            /* CHECK (seconds >= 1) */
    ck_assert_int_eq (store_retention_put (s, &r), -1);
    store_close (&s);
}
END_TEST

static TCase *s_tcase (Suite *suite, const char *name)
{
    TCase *tc = tcase_create (name);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    suite_add_tcase (suite, tc);
    return tc;
}

/* SPEC.md 18.22: the byte layout an entry's chain hash covers, and the
   hashes of two entries chained from 32 zero bytes, as another
   implementation (reading an export, cdx audit reconcile) computes them. */
static void s_spec_entry (store_audit_t *e, int64_t seq, int64_t at, const char *const f[8])
{
    memset (e, 0, sizeof *e);
    e->seq = seq;
    e->at = at;
    char *const dst[8] = {e->actor, e->action, e->object, e->peer, e->purpose, e->decision, e->rule, e->detail};
    const size_t cap[8] = {sizeof e->actor,   sizeof e->action,   sizeof e->object, sizeof e->peer,
                           sizeof e->purpose, sizeof e->decision, sizeof e->rule,   sizeof e->detail};
    for (int i = 0; i < 8; i++)
        snprintf (dst[i], cap[i], "%s", f[i]);
}

START_TEST (test_audit_chain_matches_spec_vector)
{
    ck_assert_int_eq (cx_init (), 0);
    const char *const encoded[2] = {SPEC_AUDIT1_ENCODED, SPEC_AUDIT2_ENCODED};
    const char *const hashes[2] = {SPEC_AUDIT1_HASH, SPEC_AUDIT2_HASH};
    const char *const *fields[2] = {SPEC_AUDIT1_FIELDS, SPEC_AUDIT2_FIELDS};
    const int64_t at[2] = {SPEC_AUDIT1_AT, SPEC_AUDIT2_AT};
    uint8_t prev[STORE_HASHBYTES] = {0};
    for (int i = 0; i < 2; i++) {
        store_audit_t e;
        s_spec_entry (&e, i + 1, at[i], fields[i]);
        uint8_t buf[STORE_AUDIT_ENCODED_MAX], want[STORE_AUDIT_ENCODED_MAX];
        uint8_t h[STORE_HASHBYTES], wh[STORE_HASHBYTES];
        size_t len = store_audit_encode (prev, &e, buf, sizeof buf);
        ck_assert_uint_eq (2 * len, strlen (encoded[i]));
        ck_assert_int_eq (cx_unhex (encoded[i], want, len), 0);
        ck_assert_mem_eq (buf, want, len);
        ck_assert_int_eq (cx_hash_buf (buf, len, h), 0);
        ck_assert_int_eq (cx_unhex (hashes[i], wh, sizeof wh), 0);
        ck_assert_mem_eq (h, wh, sizeof h);
        memcpy (prev, h, sizeof prev);
    }
}
END_TEST

static Suite *s_suite (void)
{
    Suite *suite = suite_create ("store");
    TCase *tc = NULL;

    tc = s_tcase (suite, "open");
    tcase_add_test (tc, test_open_creates_and_migrates);
    tcase_add_test (tc, test_reopen_keeps_data);
    tcase_add_test (tc, test_open_missing_without_create_fails_readably);
    tcase_add_test (tc, test_open_empty_file_without_create_fails);
    tcase_add_test (tc, test_open_refuses_other_sqlite_database);
    tcase_add_test (tc, test_journal_mode_is_wal);
    tcase_add_test (tc, test_future_schema_version_is_refused);

    tc = s_tcase (suite, "self");
    tcase_add_test (tc, test_self_set_once_and_get);

    tc = s_tcase (suite, "peers");
    tcase_add_test (tc, test_peer_put_get_by_curve);
    tcase_add_test (tc, test_peer_each_orders_by_org_and_replaces);
    tcase_add_test (tc, test_each_stops_early_and_returns_fn_value);

    tc = s_tcase (suite, "users");
    tcase_add_test (tc, test_user_put_replace_remove_each);
    tcase_add_test (tc, test_retention_put_replace_get);

    tc = s_tcase (suite, "datasets");
    tcase_add_test (tc, test_dataset_put_get_round_trip);
    tcase_add_test (tc, test_dataset_progress);
    tcase_add_test (tc, test_dataset_erase_keeps_metadata_drops_key);
    tcase_add_test (tc, test_dataset_last_version_and_each_order);
    tcase_add_test (tc, test_dataset_duplicate_version_is_an_error);
    tcase_add_test (tc, test_dataset_count_each_state_and_touch);

    tc = s_tcase (suite, "subscriptions");
    tcase_add_test (tc, test_sub_put_update_get_each);
    tcase_add_test (tc, test_sub_refusal_keeps_rule_and_reason_until_it_ends);

    tc = s_tcase (suite, "deliveries");
    tcase_add_test (tc, test_delivery_add_is_idempotent);
    tcase_add_test (tc, test_delivery_update_and_receipt);
    tcase_add_test (tc, test_delivery_each_pending_excludes_finished);
    tcase_add_test (tc, test_delivery_pending_same_second_in_version_order);
    tcase_add_test (tc, test_delivery_pending_order_is_oldest_first);
    tcase_add_test (tc, test_pending_callback_may_update_the_row);
    tcase_add_test (tc, test_supersede_skips_only_unstarted_older_versions);
    tcase_add_test (tc, test_cancel_touches_one_subscriber_and_topic);
    tcase_add_test (tc, test_agreement_put_merge_revoke_and_clash);
    tcase_add_test (tc, test_agreement_count_unsigned_by_the_other_party);
    tcase_add_test (tc, test_dataset_kind_and_expiry_round_trip);

    tc = s_tcase (suite, "audit");
    tcase_add_test (tc, test_audit_append_assigns_increasing_seq);
    tcase_add_test (tc, test_audit_log_is_append_only_in_sql);
    tcase_add_test (tc, test_audit_each_ends_at_the_entry_last_when_it_began);
    tcase_add_test (tc, test_audit_each_refuses_a_write_from_its_callback);
    tcase_add_test (tc, test_audit_entries_are_hash_chained);
    tcase_add_test (tc, test_audit_chain_matches_spec_vector);
    tcase_add_test (tc, test_audit_encoding_is_length_prefixed);
    tcase_add_test (tc, test_audit_purpose_round_trips);
    tcase_add_test (tc, test_audit_seq_is_contiguous_across_two_handles);
    tcase_add_test (tc, test_audit_concurrent_processes_make_one_chain);
    tcase_add_test (tc, test_audit_append_joins_the_callers_transaction);
    tcase_add_test (tc, test_audit_append_needs_a_hasher);
    tcase_add_test (tc, test_audit_edited_rows_are_read_and_a_damaged_tail_refused);
    tcase_add_test (tc, test_checkpoints_are_kept_in_order_and_append_only);

    tc = s_tcase (suite, "values");
    tcase_add_test (tc, test_metacharacters_round_trip);
    tcase_add_test (tc, test_unterminated_field_is_refused);
    tcase_add_test (tc, test_value_too_long_in_file_is_refused_not_truncated);
    tcase_add_test (tc, test_blob_of_wrong_size_in_file_is_refused);

    tc = s_tcase (suite, "trust");
    tcase_add_test (tc, test_trust_values_and_card_replacement);

    tc = s_tcase (suite, "integrity");
    tcase_add_test (tc, test_check_passes_on_fresh_store);

    tc = s_tcase (suite, "transactions");
    tcase_add_test (tc, test_rollback_discards_and_commit_keeps);
    tcase_add_test (tc, test_sync_makes_a_commit_durable);
    tcase_add_test (tc, test_two_handles_see_each_others_commits);

    tc = s_tcase (suite, "callbacks");
    tcase_add_test (tc, test_each_callback_may_write_other_tables_in_a_transaction);
    tcase_add_test (tc, test_each_from_its_callback_lists_again);
    tcase_add_test (tc, test_each_callback_writes_after_another_connection);
    return suite;
}

int main (void)
{
    SRunner *sr = srunner_create (s_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
