/*  check_policy.h: the fixture the node/policy suite's files share (defined
    in check_policy.c): a fresh store file per test, the state a rule needs
    written into it (peers, agreements), the one request tests vary, and
    the assertions on a decision.

    Not for: tests.
*/
#ifndef CHECK_POLICY_H_INCLUDED
#define CHECK_POLICY_H_INCLUDED

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "proto.h"
#include "store.h"

#define DAY 86400
#define NOW 1768435200         /* 2026-01-15 00:00:00 UTC */
#define START (NOW - 30 * DAY) /* 2025-12-16 */
#define END (NOW + 365 * DAY)  /* 2027-01-15 */
#define PROVIDER "0DF"
#define RECIPIENT "04V"

/* The test's store, and its file (for a second, plain sqlite3 connection). */
extern char fx_db[PATH_MAX];
extern store_t *fx_store;

/* TCase NAME, each test in a fresh mkdtemp directory with its store. */
TCase *policy_tcase (const char *name);

/* ---- state ------------------------------------------------------------ */

/* A peer as the authority work would leave it: DSPT and its year, the
   certificate's end and a directory's revocation (0 for none). */
void given_peer (const char *org, const char *dspt, const char *year, int64_t not_after,
                 int64_t revoked);
/* The recipient, assured: what a SEND of pseudonymised data needs. */
void given_peer_good (const char *org);

/* An agreement with what a test may vary; the rest as a proposal carries. */
typedef struct {
    const char *ref;
    const char *provider, *recipient;
    const char *topics, *class_, *purposes;
    int opt_out, onward;
    int64_t start, end;
    int signed_provider, signed_recipient;
    int64_t revoked;
    const char *revoked_by;
} agr_t;

/* REF from PROVIDER to RECIPIENT: topics "apc/" and below, pseudonymised,
   commissioning, START to END, signed by both. */
agr_t agr_of (const char *ref);
/* Stores G encoded as the document a proposal carries (NULL: agr_of
   ("DSA-1")). */
void given_agreement (const agr_t *g);
/* What most tests start from: RECIPIENT assured, and G (NULL: agr_of
   ("DSA-1")) between PROVIDER and RECIPIENT. */
void given (const agr_t *g);

/* DSA-SRC: this node (PROVIDER) received data from 0AB under it, and it
   allows onward sharing. */
agr_t src_agr (void);
/* given (NULL) and SRC, then a SEND to RECIPIENT of data received under
   the agreement SOURCE names. */
policy_decision_t decide_onward (const agr_t *src, const char *source);

/* ---- asking ------------------------------------------------------------- */

/* A SEND of pseudonymised data for commissioning, PROVIDER to RECIPIENT,
   at NOW. */
policy_request_t req (void);
/* policy_decide on the test's store; asserts it decided. */
policy_decision_t decide (const policy_request_t *q);

#define ASSERT_REFUSED(d, want_rule)                                                               \
    do {                                                                                           \
        ck_assert_msg ((d).allow == 0, "allowed by %s: %s", (d).rule, (d).reason);                 \
        ck_assert_str_eq ((d).rule, want_rule);                                                    \
    } while (0)

#define ASSERT_REASON_HAS(d, text)                                                                 \
    ck_assert_msg (strstr ((d).reason, text) != NULL, "reason \"%s\" does not name \"%s\"",        \
                   (d).reason, text)

/* Each file's test cases. */
void policy_agreement_tcases (Suite *s);  /* check_policy_agreement.c */
void policy_governance_tcases (Suite *s); /* check_policy_governance.c */

#endif
