/*  fixture.h: what the store's test files share (tests/store/check_*.c).

    A fresh mkdtemp directory and store file per test (set up and removed
    by the test cases fx_tcase makes), the store opened as the node opens it,
    a second plain sqlite3 connection to the same file (as another program
    would see it), rows to put, and callbacks that note what a listing
    gave. Nothing is mocked. Each test file defines fx_suite; fixture.c's
    main runs it.

    Not for: assertions of any one behaviour (those are the test files').
*/
#ifndef STORE_FIXTURE_H_INCLUDED
#define STORE_FIXTURE_H_INCLUDED

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

/* The test's directory and its store file. */
extern char fx_dir[PATH_MAX];
extern char fx_db[PATH_MAX];

#define ck_ok(s, call) ck_assert_msg ((call) == 0, "%s: %s", #call, store_error (s))

#define ck_has(str, sub)                                                                           \
    ck_assert_msg (strstr ((str), (sub)) != NULL, "\"%s\" lacks \"%s\"", (str), (sub))

/* Collects rows of any _each into a counter and a few keys. */
typedef struct {
    int count;
    int stop_after; /* return 7 after this many rows, 0: never */
    char keys[16][160];
} fx_seen_t;

/* The store at fx_db, with the audit chain's real hash (BLAKE2b-256), as
   the node sets it. */
store_t *fx_open (int create);
/* A second, plain connection to the same file, as another program; the
   others run one statement on one and close it. */
sqlite3 *fx_raw_open (void);
int fx_raw_exec (const char *sql);
void fx_raw_text (const char *sql, char *buf, size_t cap);
int64_t fx_raw_int (const char *sql);
/* What a listing of the audit log gave: the first seqs and the last entry. */
typedef struct {
    int count;
    int64_t seqs[16];
    store_audit_t last;
} fx_audits_t;

/* Rows to put, their fields derived from the arguments. */
store_peer_t fx_peer (const char *org, uint8_t seed);
store_dataset_t fx_dataset (const char *id, const char *pub, const char *topic, int64_t version);
store_audit_t fx_audit (const char *action, const char *detail);
/* Note one row in SEEN: 7 once stop_after rows are seen, else 0. */
int fx_note (fx_seen_t *seen, const char *key);
/* Callbacks of the _each functions that note a key of each row. */
int fx_see_peer (const store_peer_t *p, void *arg);
int fx_see_dataset (const store_dataset_t *d, void *arg);
int fx_see_sub (const store_sub_t *sub, void *arg);
int fx_see_delivery (const store_delivery_t *d, void *arg);
int fx_see_audit (const store_audit_t *e, void *arg);

/* A test case of SUITE named NAME, each test with a fresh directory. */
TCase *fx_tcase (Suite *suite, const char *name);
/* The suite of one test file, defined by that file. */
Suite *fx_suite (void);

#endif
