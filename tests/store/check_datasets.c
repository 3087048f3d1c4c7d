/*  check_datasets: datasets published and received (store/datasets.c).

    Rows round-trip; progress, counts, listings by state, the clock reset,
    the last version and erasure hold; a duplicate version is refused.

    Not for: the sealed files (node/).
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

START_TEST (test_dataset_put_get_round_trip)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("00112233445566778899aabbccddeeff", "QWE", "sus/monthly", 3);
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
    ck_assert_str_eq (store_dataset_state_name (got.state), "published");
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
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("d1", "04V", "sus/monthly", 1);
    d.state = STORE_DS_RECEIVING;
    d.next_chunk = 0;
    ck_ok (s, store_dataset_put (s, &d));

    ck_ok (s, store_dataset_progress (s, "d1", STORE_DS_RECEIVING, 2));
    store_dataset_t got;
    ck_ok (s, store_dataset_get (s, "d1", &got));
    ck_assert_str_eq (store_dataset_state_name (got.state), "receiving");
    ck_assert_int_eq (got.next_chunk, 2);
    ck_assert_int_ge (got.updated, got.created);

    ck_ok (s, store_dataset_progress (s, "d1", STORE_DS_AVAILABLE, d.chunks));
    ck_ok (s, store_dataset_get (s, "d1", &got));
    ck_assert_str_eq (store_dataset_state_name (got.state), "available");
    ck_assert_int_eq (got.next_chunk, d.chunks);

    ck_assert_int_eq (store_dataset_progress (s, "missing", STORE_DS_AVAILABLE, 0), -1);
    ck_has (store_error (s), "no such dataset");
    ck_assert_int_eq (store_dataset_progress (s, "d1", (store_dataset_state_t)99, 0), -1);
    ck_has (store_error (s), "dataset state 99 is none of the states");
    ck_assert_int_eq (store_dataset_progress (s, "d1", STORE_DS_RECEIVING, d.chunks + 1), -1);
    ck_ok (s, store_dataset_get (s, "d1", &got));
    ck_assert_str_eq (store_dataset_state_name (got.state), "available");
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_last_version_and_each_order)
{
    store_t *s = fx_open (1);
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "a/topic"), 0);
    struct {
        const char *id, *pub, *topic;
        int64_t v;
    } rows[] = {
        {"i1", "QWE", "b/topic", 2}, {"i2", "QWE", "a/topic", 10}, {"i3", "04V", "z/topic", 1},
        {"i4", "QWE", "a/topic", 2}, {"i5", "QWE", "b/topic", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        store_dataset_t d = fx_dataset (rows[i].id, rows[i].pub, rows[i].topic, rows[i].v);
        ck_ok (s, store_dataset_put (s, &d));
    }
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "a/topic"), 10);
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "b/topic"), 2);
    ck_assert_int_eq (store_dataset_last_version (s, "04V", "a/topic"), 0);

    fx_seen_t seen = {0};
    ck_ok (s, store_dataset_each (s, fx_see_dataset, &seen));
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
    store_t *s = fx_open (1);
    const store_dataset_state_t states[] = {STORE_DS_RECEIVING, STORE_DS_RECEIVING, STORE_DS_FAILED,
                                            STORE_DS_AVAILABLE, STORE_DS_RECEIVING};
    const char *pubs[] = {"QWE", "QWE", "QWE", "QWE", "04V"};
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf (id, sizeof id, "r%d", i);
        store_dataset_t d = fx_dataset (id, pubs[i], "t", i + 1);
        d.state = states[i];
        d.next_chunk = 0;
        ck_ok (s, store_dataset_put (s, &d));
    }
    ck_assert_int_eq (store_dataset_count (s, "QWE", STORE_DS_RECEIVING), 2);
    ck_assert_int_eq (store_dataset_count (s, "QWE", STORE_DS_FAILED), 1);
    ck_assert_int_eq (store_dataset_count (s, "ZZZ", STORE_DS_RECEIVING), 0);
    /* least recently updated first */
    ck_assert_int_eq (fx_raw_exec ("UPDATE datasets SET updated = 5 WHERE id = 'r4';"
                                   "UPDATE datasets SET updated = 7 WHERE id = 'r0'"),
                      SQLITE_OK);
    fx_seen_t seen = {0};
    ck_ok (s, store_dataset_each_state (s, STORE_DS_RECEIVING, fx_see_dataset, &seen));
    ck_assert_int_eq (seen.count, 3);
    ck_assert_str_eq (seen.keys[0], "04V/t/5");
    ck_assert_str_eq (seen.keys[1], "QWE/t/1");
    ck_assert_int_eq (store_dataset_touch (s, STORE_DS_RECEIVING), 3);
    ck_assert_int_ge (fx_raw_int ("SELECT min (updated) FROM datasets WHERE state = 'receiving'"),
                      1000000000);
    ck_assert_int_eq (
        fx_raw_int ("SELECT count (*) FROM datasets WHERE updated = 7 OR updated = 5"), 0);
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_duplicate_version_is_an_error)
{
    store_t *s = fx_open (1);
    store_dataset_t a = fx_dataset ("A", "QWE", "t", 1);
    ck_ok (s, store_dataset_put (s, &a));
    store_dataset_t b = fx_dataset ("B", "QWE", "t", 1);
    ck_assert_int_eq (store_dataset_put (s, &b), -1);
    ck_has (store_error (s), "UNIQUE");
    /* Same id again is also refused. */
    ck_assert_int_eq (store_dataset_put (s, &a), -1);

    /* The handle is still fine. */
    store_dataset_t got;
    ck_assert_int_eq (store_dataset_get (s, "B", &got), STORE_NOTFOUND);
    store_dataset_t c = fx_dataset ("C", "QWE", "t", 2);
    ck_ok (s, store_dataset_put (s, &c));
    ck_assert_int_eq (store_dataset_last_version (s, "QWE", "t"), 2);
    ck_ok (s, store_check (s));
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_kind_and_expiry_round_trip)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("k", "0DF", "apc", 1);
    snprintf (d.kind, sizeof d.kind, "correction");
    d.expires = 1900000000;
    ck_assert_int_eq (store_dataset_put (s, &d), 0);
    store_dataset_t e = fx_dataset ("e", "0DF", "apc", 2); /* kind "" is "new" */
    ck_assert_int_eq (store_dataset_put (s, &e), 0);
    store_dataset_t out;
    ck_assert_int_eq (store_dataset_get (s, "k", &out), 0);
    ck_assert_str_eq (out.kind, "correction");
    ck_assert_int_eq (out.expires, 1900000000);
    ck_assert_int_eq (store_dataset_get (s, "e", &out), 0);
    ck_assert_str_eq (out.kind, "new");
    store_dataset_t bad = fx_dataset ("x", "0DF", "apc", 3);
    snprintf (bad.kind, sizeof bad.kind, "bogus");
    ck_assert_int_eq (store_dataset_put (s, &bad), -1);
    store_close (&s);
}
END_TEST

START_TEST (test_dataset_erase_keeps_metadata_drops_key)
{
    store_t *s = fx_open (1);
    store_dataset_t d = fx_dataset ("e1", "0DF", "sus/monthly", 1);
    d.state = STORE_DS_AVAILABLE;
    memset (d.wrapped, 0xAB, sizeof d.wrapped);
    ck_ok (s, store_dataset_put (s, &d));
    ck_ok (s, store_dataset_erase (s, "e1"));
    store_dataset_t got;
    ck_ok (s, store_dataset_get (s, "e1", &got));
    ck_assert_str_eq (store_dataset_state_name (got.state), "erased");
    ck_assert_int_eq (got.next_chunk, 0);
    uint8_t zero[80] = {0};
    ck_assert_mem_eq (got.wrapped, zero, sizeof zero);
    ck_assert_mem_eq (got.hash, d.hash, 32); /* what it was is kept */
    ck_assert_uint_eq (got.manifest_len, d.manifest_len);
    ck_assert_str_eq (got.topic, "sus/monthly");
    ck_assert_int_eq (store_dataset_erase (s, "missing"), -1);
    ck_has (store_error (s), "no such dataset");
    store_close (&s);
}
END_TEST

Suite *fx_suite (void)
{
    Suite *suite = suite_create ("store_datasets");
    TCase *tc = NULL;

    tc = fx_tcase (suite, "datasets");
    tcase_add_test (tc, test_dataset_put_get_round_trip);
    tcase_add_test (tc, test_dataset_progress);
    tcase_add_test (tc, test_dataset_erase_keeps_metadata_drops_key);
    tcase_add_test (tc, test_dataset_last_version_and_each_order);
    tcase_add_test (tc, test_dataset_duplicate_version_is_an_error);
    tcase_add_test (tc, test_dataset_count_each_state_and_touch);
    tcase_add_test (tc, test_dataset_kind_and_expiry_round_trip);
    return suite;
}
