/*  check_audit.h: the fixture the audit verifier suite's files share
    (defined in check_audit.c): a real node home per test with a short log
    and its checkpoints, the ways another program damages the store file,
    and the assertions on a verify report.

    Not for: tests.
*/
#ifndef CHECK_AUDIT_H_INCLUDED
#define CHECK_AUDIT_H_INCLUDED

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx.h"
#include "node.h"
#include "core.h"
#include "store.h"

#define ORG "0DF"

/* The log every test starts from: entries 1 (cdx init's) to LAST, with
   signed checkpoints at CP1 and LAST, or none (audit_tcase). MID, between
   the two checkpoints, is a refusal with every text field set; EARLY lies
   before the first checkpoint. */
#define CP1 6
#define LAST 12
#define MID 9
#define EARLY 3

extern char fx_home[PATH_MAX];
extern char fx_db[PATH_MAX + 16]; /* fx_home/store.db */
extern node_t *fx_node;

/* TCase NAME, each test on a fresh home whose log ends at LAST, with the
   checkpoints at CP1 and LAST if CHECKPOINTS. */
TCase *audit_tcase (const char *name, int checkpoints);

/* ---- the node ------------------------------------------------------------ */

/* fx_node = node_open (fx_home), after node_close to read the home afresh. */
void reopen (void);
/* Appends entries (node_audit) until the log ends at UNTIL. */
void append_until (int64_t until);
/* node_audit_verify without signing; asserts that the check could be done. */
node_audit_report_t verify (void);
/* cdx audit verify --checkpoint: signs the last entry with this node's key. */
void checkpoint (void);

/* ---- damage, as another program on the store file does it ---------------- */

/* Runs the SQL of FMT on a sqlite3 connection of its own, the tables'
   append-only triggers dropped first; the rows its last statement changed. */
int tamper (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Every entry, as the store reads it; the caller frees E. */
typedef struct {
    store_audit_t *e;
    size_t n;
} audit_entries_t;
audit_entries_t all_entries (void);
/* The chain hash stored with entry SEQ. */
void stored_hash (int64_t seq, uint8_t out[STORE_HASHBYTES]);
/* Edits entry SEQ with the SET clause SET; asserts that what the verifier
   sees of it changed. */
void edit (int64_t seq, const char *set);
/* A decision turned into the other one. */
#define FLIP_DECISION "decision = CASE decision WHEN 'allow' THEN 'refuse' ELSE 'allow' END"
/* Recomputes every stored hash from the fields, in seq order: a
   consistent chain again, whatever was edited. */
void rechain (void);
/* Swaps entries A and B: every field but seq, and the hash if WITH_HASH. */
void swap (int64_t a, int64_t b, int with_hash);
/* A checkpoint of (SEQ, HASH) signed with KP over the message node.h
   documents. */
store_checkpoint_t signed_cp (const cx_keypair_t *kp, int64_t seq,
                              const uint8_t hash[STORE_HASHBYTES]);
/* Records C through the store. */
void put_cp (const store_checkpoint_t *c);

/* ---- what a verify must say ------------------------------------------------ */

#define ASSERT_PROBLEM(r, want, want_seq)                                                          \
    do {                                                                                           \
        ck_assert_msg ((r).problem == (want) && (r).seq == (want_seq),                             \
                       "expected %s at seq %lld, got %s at seq %lld: %s",                          \
                       node_audit_problem_name (want), (long long)(want_seq),                      \
                       node_audit_problem_name ((r).problem), (long long)(r).seq, (r).reason);     \
    } while (0)

#define ASSERT_REASON_HAS(r, text)                                                                 \
    ck_assert_msg (strstr ((r).reason, text) != NULL, "reason \"%s\" does not name \"%s\"",        \
                   (r).reason, text)

#define ASSERT_OK(r)                                                                               \
    ck_assert_msg ((r).problem == NODE_AUDIT_OK, "expected ok, got %s at seq %lld: %s",            \
                   node_audit_problem_name ((r).problem), (long long)(r).seq, (r).reason)

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

/* Each file's test cases. */
void audit_entries_tcases (Suite *s);     /* check_audit_entries.c */
void audit_checkpoints_tcases (Suite *s); /* check_audit_checkpoints.c */

#endif
