/*  fixture.c: the store's test fixture and the main of every store test
    file (see fixture.h).

    Not for: tests.
*/
#include "fixture.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "cx.h"

char fx_dir[PATH_MAX];
char fx_db[PATH_MAX];

static void s_setup (void)
{
    snprintf (fx_dir, sizeof fx_dir, "%s/cdx-store-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull (mkdtemp (fx_dir));
    snprintf (fx_db, sizeof fx_db, "%s/store.db", fx_dir);
}

static void s_teardown (void)
{
    DIR *d = opendir (fx_dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_MAX + 256];
    while ((e = readdir (d)) != NULL) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0) continue;
        snprintf (path, sizeof path, "%s/%s", fx_dir, e->d_name);
        unlink (path);
    }
    closedir (d);
    rmdir (fx_dir);
}

/* With the audit chain's real hash (BLAKE2b-256), as the node sets it. */
store_t *fx_open (int create)
{
    char err[256] = "";
    ck_assert_int_eq (cx_init (), 0);
    store_t *s = store_open (fx_db, create, err, sizeof err);
    ck_assert_msg (s != NULL, "store_open: %s", err);
    store_set_hasher (s, cx_hash_buf);
    return s;
}

/* A second, plain connection to the same file, as another program. */
sqlite3 *fx_raw_open (void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq (sqlite3_open_v2 (fx_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    return db;
}

int fx_raw_exec (const char *sql)
{
    sqlite3 *db = fx_raw_open ();
    int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_close (db);
    return rc;
}

void fx_raw_text (const char *sql, char *buf, size_t cap)
{
    sqlite3 *db = fx_raw_open ();
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq (sqlite3_step (st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text (st, 0);
    snprintf (buf, cap, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize (st);
    sqlite3_close (db);
}

int64_t fx_raw_int (const char *sql)
{
    char buf[64];
    fx_raw_text (sql, buf, sizeof buf);
    return strtoll (buf, NULL, 10);
}

store_peer_t fx_peer (const char *org, uint8_t seed)
{
    store_peer_t p;
    memset (&p, 0, sizeof p);
    snprintf (p.org, sizeof p.org, "%s", org);
    snprintf (p.address, sizeof p.address, "%s", org);
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

store_dataset_t fx_dataset (const char *id, const char *pub, const char *topic, int64_t version)
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
    d.state = STORE_DS_PUBLISHED;
    d.next_chunk = d.chunks;
    return d;
}

store_audit_t fx_audit (const char *action, const char *detail)
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

int fx_note (fx_seen_t *seen, const char *key)
{
    if (seen->count < 16) snprintf (seen->keys[seen->count], sizeof seen->keys[0], "%s", key);
    seen->count++;
    return seen->stop_after && seen->count >= seen->stop_after ? 7 : 0;
}

int fx_see_peer (const store_peer_t *p, void *arg)
{
    return fx_note (arg, p->org);
}

int fx_see_dataset (const store_dataset_t *d, void *arg)
{
    char key[160];
    snprintf (key, sizeof key, "%s/%s/%lld", d->publisher, d->topic, (long long)d->version);
    return fx_note (arg, key);
}

int fx_see_sub (const store_sub_t *sub, void *arg)
{
    char key[160];
    snprintf (key, sizeof key, "%s>%s:%s=%s", sub->publisher, sub->subscriber, sub->topic,
              store_sub_state_name (sub->state));
    return fx_note (arg, key);
}

int fx_see_delivery (const store_delivery_t *d, void *arg)
{
    char key[160];
    snprintf (key, sizeof key, "%s>%s=%s", d->dataset, d->subscriber,
              store_delivery_state_name (d->state));
    return fx_note (arg, key);
}

int fx_see_audit (const store_audit_t *e, void *arg)
{
    fx_audits_t *a = arg;
    if (a->count < 16) a->seqs[a->count] = e->seq;
    a->count++;
    a->last = *e;
    return 0;
}

TCase *fx_tcase (Suite *suite, const char *name)
{
    TCase *tc = tcase_create (name);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    suite_add_tcase (suite, tc);
    return tc;
}

int main (void)
{
    SRunner *sr = srunner_create (fx_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
